//! The wait of an apply: until Argo CD reports the Application `Synced` and `Healthy` at the
//! applied revision.
//!
//! The application is read once, then **watched** from the version read (`watch=true`,
//! `fieldSelector=metadata.name=…`, at most 290 s a stream), so a status change is seen as
//! soon as the controller writes it, with no request in between. A watch that ends (its
//! timeout, a `410 Gone` for an expired version, a dropped connection) is followed by a fresh
//! read and a new watch; a cluster (or a proxy) that does not serve watches (403, 404, 405) is
//! polled every [`super::KubernetesSettings::poll_interval`] instead. The whole wait is bounded
//! by [`super::KubernetesSettings::sync_timeout`], and a stop request ends it.

use futures::TryStreamExt;
use kube::api::{Api, DynamicObject, WatchEvent, WatchParams};
use tokio::time::Instant;

use super::errors::api_error;
use super::status::{self, Readiness};
use super::{KubernetesProvisioner, Resolved};
use crate::domain::kubernetes::namespace::NamespaceSpec;
use crate::ports::provisioner::{ProvisionError, ProvisionRequest};

/// The longest one watch request lasts (the API server's own limit is 30 min; shorter
/// streams survive idle-connection timeouts of load balancers in between).
const MAX_WATCH_SECONDS: u64 = 290;

/// How a watch ended.
enum Watched {
    /// The wait is decided: ready, failed, deleted or interrupted.
    Done(Result<(), ProvisionError>),
    /// The stream ended before that: read again, then watch again.
    Ended,
    /// The cluster does not serve watches to idp: poll from now on.
    Unavailable,
}

/// What the wait knows between two looks: the step, the request and the last status said.
struct Wait<'a> {
    request: &'a ProvisionRequest,
    spec: &'a NamespaceSpec,
    step: String,
    label: String,
    last: String,
}

impl Wait<'_> {
    /// The verdict on `app` as read now, if it decides the wait; progress is logged when the
    /// status changed.
    fn judge(&mut self, app: &DynamicObject) -> Option<Result<(), ProvisionError>> {
        match status::readiness(app.data.get("status"), &self.spec.revision) {
            Readiness::Ready => {
                tracing::info!(env = %self.request.env, revision = %self.spec.revision, "Argo CD reports the application Synced and Healthy");
                Some(Ok(()))
            }
            Readiness::Failed(said) => Some(Err(ProvisionError::Failed {
                step: self.step.clone(),
                exit_code: None,
                stderr_tail: self.request.error_tail(format!("Error: {said}").as_bytes()),
            })),
            Readiness::Waiting(now) => {
                if now != self.last {
                    tracing::info!(env = %self.request.env, status = %self.request.redact(&now), "waiting for Argo CD");
                    self.last = now;
                }
                None
            }
        }
    }

    fn deleted(&self) -> ProvisionError {
        ProvisionError::Failed {
            step: self.step.clone(),
            exit_code: None,
            stderr_tail: format!(
                "Error: {} was deleted while idp waited for it; run the command again",
                self.label
            ),
        }
    }

    fn tail(&self) -> String {
        self.request.error_tail(self.last.as_bytes())
    }
}

impl KubernetesProvisioner {
    /// Waits until Argo CD reports the application `Synced` and `Healthy` at `spec.revision`.
    pub(super) async fn wait_synced(
        &self,
        request: &ProvisionRequest,
        spec: &NamespaceSpec,
        application: &Resolved<'_>,
    ) -> Result<(), ProvisionError> {
        let api = self.api(application)?;
        let name = application.manifest.name();
        let label = application.manifest.label();
        let mut wait = Wait {
            request,
            spec,
            step: format!("wait for {label} to be Synced and Healthy"),
            label,
            last: String::new(),
        };
        let deadline = Instant::now() + self.settings.sync_timeout;
        let mut watching = true;
        loop {
            let version = match api.get_opt(name).await {
                Ok(Some(app)) => {
                    if let Some(done) = wait.judge(&app) {
                        return done;
                    }
                    app.metadata.resource_version.clone()
                }
                Ok(None) => return Err(wait.deleted()),
                Err(error) => {
                    let error = api_error(request, wait.step.clone(), error);
                    if !error.is_retryable() {
                        return Err(error);
                    }
                    tracing::warn!(env = %request.env, %error, "reading the application failed; trying again");
                    wait.last = error.to_string();
                    None
                }
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ProvisionError::Timeout {
                    step: wait.step.clone(),
                    after: self.settings.sync_timeout,
                    output_tail: wait.tail(),
                });
            }
            let started = Instant::now();
            let watched = match (&version, watching) {
                (Some(version), true) => self.watch(&api, name, version, deadline, &mut wait).await,
                _ => Watched::Ended,
            };
            match watched {
                Watched::Done(result) => return result,
                Watched::Unavailable => {
                    tracing::info!(env = %request.env, "the cluster does not serve watches to idp: looking every {:?}", self.settings.poll_interval);
                    watching = false;
                }
                Watched::Ended => {}
            }
            // Never faster than the poll interval: a stream that ends at once (or no watch at
            // all) is not a busy loop.
            if started.elapsed() < self.settings.poll_interval {
                let left = deadline.saturating_duration_since(Instant::now());
                if !left.is_zero() {
                    self.pause(&wait.step, left, || wait.tail()).await?;
                }
            }
        }
    }

    /// Watches application `name` from `version` until the wait is decided, the stream ends or
    /// `deadline` passes.
    async fn watch(
        &self,
        api: &Api<DynamicObject>,
        name: &str,
        version: &str,
        deadline: Instant,
        wait: &mut Wait<'_>,
    ) -> Watched {
        let left = deadline.saturating_duration_since(Instant::now());
        let seconds = left.as_secs().clamp(1, MAX_WATCH_SECONDS);
        let params = WatchParams::default()
            .fields(&format!("metadata.name={name}"))
            .timeout(u32::try_from(seconds).unwrap_or(1));
        let stream = match api.watch(&params, version).await {
            Ok(stream) => stream,
            Err(kube::Error::Api(status)) if (403..=405).contains(&status.code) => {
                tracing::debug!(code = status.code, reason = %status.reason, "watch refused");
                return Watched::Unavailable;
            }
            Err(error) => {
                tracing::warn!(env = %wait.request.env, %error, "watching the application failed; reading it again");
                return Watched::Ended;
            }
        };
        let mut stream = std::pin::pin!(stream);
        let until = tokio::time::sleep_until(deadline);
        let mut until = std::pin::pin!(until);
        loop {
            tokio::select! {
                next = stream.try_next() => match next {
                    Ok(Some(WatchEvent::Added(app) | WatchEvent::Modified(app))) => {
                        if let Some(done) = wait.judge(&app) {
                            return Watched::Done(done);
                        }
                    }
                    Ok(Some(WatchEvent::Deleted(_))) => return Watched::Done(Err(wait.deleted())),
                    Ok(Some(WatchEvent::Bookmark(_))) => {}
                    Ok(Some(WatchEvent::Error(status))) => {
                        // 410 Gone: the version expired; read again and watch from the new one.
                        tracing::debug!(code = status.code, reason = %status.reason, "the watch ended");
                        return Watched::Ended;
                    }
                    Ok(None) => return Watched::Ended,
                    Err(error) => {
                        tracing::warn!(env = %wait.request.env, %error, "the watch broke off; reading the application again");
                        return Watched::Ended;
                    }
                },
                () = &mut until => return Watched::Ended,
                () = crate::interrupt::requested() => {
                    return Watched::Done(Err(ProvisionError::Interrupted {
                        step: wait.step.clone(),
                        killed: false,
                        output_tail: wait.tail(),
                    }));
                }
            }
        }
    }
}
