//! What every handler shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use idp_core::platform::Platform;
use tokio::sync::{Notify, watch};

use crate::ServeOptions;
use crate::auth::Authenticator;
use crate::metrics::Metrics;
use crate::ops::Operations;

/// The server's shared state.
#[derive(Debug)]
pub struct AppState {
    /// The platform every use case runs against.
    pub platform: Platform,
    /// How the server runs.
    pub options: ServeOptions,
    pub(crate) ops: Operations,
    pub(crate) metrics: Metrics,
    pub(crate) auth: Authenticator,
    pub(crate) sessions: crate::portal::session::SessionCache,
    drain: watch::Sender<bool>,
    in_flight: Arc<InFlight>,
}

#[derive(Debug, Default)]
struct InFlight {
    count: AtomicUsize,
    idle: Notify,
}

/// Held by a background task for as long as it runs; a shutdown waits for every one.
#[derive(Debug)]
pub(crate) struct TaskGuard(Arc<InFlight>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl AppState {
    /// The state of a server over `platform`.
    pub fn new(platform: Platform, options: ServeOptions) -> Self {
        let (drain, _) = watch::channel(false);
        Self {
            auth: Authenticator::new(&options),
            sessions: Default::default(),
            platform,
            options,
            ops: Operations::default(),
            metrics: Metrics::new(),
            drain,
            in_flight: Arc::new(InFlight::default()),
        }
    }

    /// Stop taking new work: new requests that would start an operation get 503, followed log
    /// streams end, and running operations are asked to stop cleanly.
    pub fn begin_drain(&self) {
        self.drain.send_replace(true);
        idp_core::interrupt::request();
    }

    /// Whether the portal's cookies are `Secure`: its public URL is HTTPS.
    pub(crate) fn secure_cookies(&self) -> bool {
        self.options
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }

    /// Whether the server is shutting down.
    pub(crate) fn draining(&self) -> bool {
        *self.drain.borrow()
    }

    /// Resolves once the server starts shutting down.
    pub(crate) fn drained(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.drain.subscribe();
        async move {
            let _ = rx.wait_for(|d| *d).await;
        }
    }

    /// Count a background task as in flight until the guard drops.
    pub(crate) fn task(&self) -> TaskGuard {
        self.in_flight.count.fetch_add(1, Ordering::SeqCst);
        TaskGuard(self.in_flight.clone())
    }

    /// Wait for every background task, at most `timeout`; the number still running then.
    pub(crate) async fn finish_in_flight(&self, timeout: Duration) -> usize {
        let wait = async {
            loop {
                let idle = self.in_flight.idle.notified();
                if self.in_flight.count.load(Ordering::SeqCst) == 0 {
                    return;
                }
                idle.await;
            }
        };
        let _ = tokio::time::timeout(timeout, wait).await;
        self.in_flight.count.load(Ordering::SeqCst)
    }
}
