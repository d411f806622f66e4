//! `status`: an environment's record plus its live health and its alarms.

use serde::Serialize;

use crate::domain::lifecycle::Metadata;
use crate::domain::naming::EnvName;
use crate::domain::ttl;
use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::ports::provisioner::RuntimeHealth;
use crate::ports::{AlarmStatus, ServiceHealth};
use crate::support::deploy;
use crate::support::state;

/// An environment's status.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    /// The record.
    pub environment: Metadata,
    /// "expires in 2d 3h" / "expired 3h ago".
    pub expires: String,
    /// The template's outputs, as last recorded.
    pub outputs: serde_json::Value,
    /// What the runtime says (local backend: the process).
    pub runtime: Option<RuntimeHealth>,
    /// What the container service says (AWS backend: ECS).
    pub service: Option<ServiceHealth>,
    /// The environment's alarms (AWS backend: CloudWatch), those its template's `alarm_names`
    /// output names, in that order; none on a backend without alarms.
    pub alarms: Vec<AlarmStatus>,
    /// Problems met while asking for live health (the record itself was read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Read an environment's status: metadata, outputs and live health.
pub async fn status(platform: &Platform, name: &EnvName) -> Result<StatusReport> {
    let backend = &platform.backend;
    let current = match state::load_existing(&*backend.store, name).await {
        Ok(current) => current,
        // A name that waits for approval has no record: say what it waits for.
        Err(Error::NotFound { name: missing }) => {
            return Err(
                match crate::environments::approve::load(platform, name).await? {
                    Some(request) if request.approval.is_none() => {
                        crate::environments::approve::waiting_error(&request)
                    }
                    _ => Error::NotFound { name: missing },
                },
            );
        }
        Err(e) => return Err(e),
    };
    let mut meta = current.meta;
    // The report names the region: a record without one is in the platform's default (its
    // keys stay flat: they follow `region_scoped`, not this field).
    meta.region
        .get_or_insert_with(|| platform.settings.region.clone());
    let outputs = state::get_json(&*backend.store, &state::keys(&meta)?.outputs)
        .await?
        .unwrap_or(serde_json::Value::Object(serde_json::Map::new()));
    let mut warnings = Vec::new();
    let req = deploy::observing_request(platform, &meta)?;
    let runtime = match backend.provisioner.health(&req).await {
        Ok(h) => Some(h),
        Err(e) => {
            warnings.push(format!("runtime health: {e}"));
            None
        }
    };
    let service = match (
        outputs.get("cluster_name").and_then(|v| v.as_str()),
        outputs.get("service_name").and_then(|v| v.as_str()),
    ) {
        (Some(cluster), Some(service)) => match backend.deployer.describe(cluster, service).await {
            Ok(h) => Some(h),
            Err(e) => {
                warnings.push(format!("service health: {e}"));
                None
            }
        },
        _ => None,
    };
    let names = alarm_names(&outputs);
    let alarms = match backend.deployer.alarms(&names).await {
        Ok(alarms) => alarms,
        Err(e) => {
            warnings.push(format!("alarms: {e}"));
            Vec::new()
        }
    };
    Ok(StatusReport {
        expires: ttl::humanize(meta.expires_at, backend.clock.now()),
        environment: meta,
        outputs,
        runtime,
        service,
        alarms,
        warnings,
    })
}

/// The names in the `alarm_names` output (a list of strings); none when there is no such
/// output (a template without alarms, or a record written before it had them).
pub fn alarm_names(outputs: &serde_json::Value) -> Vec<String> {
    outputs
        .get("alarm_names")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect()
}

/// An environment's record alone (no live health); `NotFound` when there is none.
pub async fn record(platform: &Platform, name: &EnvName) -> Result<Metadata> {
    Ok(state::load_existing(&*platform.backend.store, name)
        .await?
        .meta)
}
