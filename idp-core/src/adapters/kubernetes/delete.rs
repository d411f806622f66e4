//! Deleting one object of an environment and waiting until it is gone.

use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Preconditions};
use tokio::time::Instant;

use super::KubernetesProvisioner;
use super::errors::{api_error, still_there};
use crate::domain::kubernetes::namespace::ENVIRONMENT_LABEL;
use crate::ports::provisioner::{ProvisionError, ProvisionRequest};

impl KubernetesProvisioner {
    /// Deletes the object named like the environment that `api` lists with the environment's
    /// label (if any), unless it is being deleted already, and waits until it is gone.
    pub(super) async fn delete_labelled(
        &self,
        request: &ProvisionRequest,
        api: &Api<DynamicObject>,
        what: &str,
        params: DeleteParams,
    ) -> Result<(), ProvisionError> {
        let env = request.env.as_str();
        let step = format!("delete {what}");
        let selector = format!("{ENVIRONMENT_LABEL}={env}");
        let listed = api
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|e| api_error(request, format!("list {what}"), e))?;
        let Some(object) = listed
            .items
            .into_iter()
            .find(|o| o.metadata.name.as_deref() == Some(env))
        else {
            tracing::info!(env, object = what, "already gone");
            return Ok(());
        };
        let uid = object.metadata.uid.clone();
        if object.metadata.deletion_timestamp.is_some() {
            tracing::info!(env, object = what, "already being deleted");
        } else {
            let params = DeleteParams {
                preconditions: Some(Preconditions {
                    uid: uid.clone(),
                    resource_version: None,
                }),
                ..params
            };
            tracing::info!(env, object = what, "deleting");
            match api.delete(env, &params).await {
                Ok(_) => {}
                // Gone meanwhile, or being deleted already (a terminating namespace answers 409).
                Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409) => {}
                Err(error) => return Err(api_error(request, step, error)),
            }
        }
        self.wait_gone(request, api, what, uid.as_deref()).await
    }

    /// Waits until the object of the environment's name is gone from `api` (or replaced by
    /// another one, with another `uid`).
    async fn wait_gone(
        &self,
        request: &ProvisionRequest,
        api: &Api<DynamicObject>,
        what: &str,
        uid: Option<&str>,
    ) -> Result<(), ProvisionError> {
        let env = request.env.as_str();
        let step = format!("wait for {what} to be deleted");
        let deadline = Instant::now() + self.settings.delete_timeout;
        loop {
            let left = match api.get_opt(env).await {
                Ok(Some(object)) if object.metadata.uid.as_deref() == uid => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(ProvisionError::Timeout {
                            step,
                            after: self.settings.delete_timeout,
                            output_tail: request.error_tail(still_there(what, &object).as_bytes()),
                        });
                    }
                    left
                }
                Ok(_) => {
                    tracing::info!(env, object = what, "deleted");
                    return Ok(());
                }
                Err(error) => {
                    let error = api_error(request, step.clone(), error);
                    let left = deadline.saturating_duration_since(Instant::now());
                    if !error.is_retryable() || left.is_zero() {
                        return Err(error);
                    }
                    left
                }
            };
            self.pause(&step, left, || {
                format!("{what} is being deleted; the next destroy waits for it")
            })
            .await?;
        }
    }
}
