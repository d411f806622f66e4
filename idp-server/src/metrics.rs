//! Prometheus metrics at `/metrics`: requests, latencies, operations by outcome, environments by
//! status, webhook deliveries. Labels are route templates and codes, never names, tokens or
//! secrets.

use std::time::Duration;

use prometheus::{
    CounterVec, Encoder, GaugeVec, HistogramOpts, HistogramVec, Opts, Registry, TextEncoder,
};

/// The server's metrics.
#[derive(Debug, Clone)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: CounterVec,
    latency: HistogramVec,
    operations: CounterVec,
    environments: GaugeVec,
    deliveries: CounterVec,
}

fn must<T>(r: prometheus::Result<T>) -> T {
    // The metric definitions are constants; a failure here is a bug caught by every test.
    r.unwrap_or_else(|e| panic!("metric definition: {e}"))
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let registry =
            Registry::new_custom(Some("idp".into()), None).unwrap_or_else(|_| Registry::new());
        let requests = must(CounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["method", "route", "status"],
        ));
        let latency = must(HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["route"],
        ));
        let operations = must(CounterVec::new(
            Opts::new(
                "operations_total",
                "Finished operations by kind and outcome",
            ),
            &["kind", "outcome"],
        ));
        let environments = must(GaugeVec::new(
            Opts::new(
                "environments",
                "Environments by status (read at scrape time)",
            ),
            &["status"],
        ));
        let deliveries = must(CounterVec::new(
            Opts::new(
                "webhook_deliveries_total",
                "GitHub webhook deliveries by event and result",
            ),
            &["event", "result"],
        ));
        for c in [&requests, &operations, &deliveries] {
            must(registry.register(Box::new(c.clone())));
        }
        must(registry.register(Box::new(latency.clone())));
        must(registry.register(Box::new(environments.clone())));
        Self {
            registry,
            requests,
            latency,
            operations,
            environments,
            deliveries,
        }
    }

    pub(crate) fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[route])
            .observe(took.as_secs_f64());
    }

    pub(crate) fn operation(&self, kind: &str, outcome: &str) {
        self.operations.with_label_values(&[kind, outcome]).inc();
    }

    pub(crate) fn delivery(&self, event: &str, result: &str) {
        // Event names come from a header: only known ones become label values.
        let event = match event {
            "push" | "delete" | "pull_request" | "ping" => event,
            _ => "other",
        };
        self.deliveries.with_label_values(&[event, result]).inc();
    }

    /// The text exposition, with the environment counts set from `by_status`.
    pub(crate) fn render(&self, by_status: &[(&str, usize)]) -> String {
        self.environments.reset();
        for (status, n) in by_status {
            self.environments
                .with_label_values(&[status])
                .set(*n as f64);
        }
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
