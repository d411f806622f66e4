//! `idp.Platform`: a backend (memory, local or AWS) and the use cases run against it.
//!
//! Each method converts its arguments, calls one `idp_core::platform::*` use case on the shared
//! runtime with the GIL released, and converts the report. No rule is decided here.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use idp_core::backend::Backend;
use idp_core::domain::event::parse_event;
use idp_core::domain::naming::EnvName;
use idp_core::domain::ttl::Ttl;
use idp_core::environments::cost::{self, CostRequest};
use idp_core::environments::create::{self, CreateRequest};
use idp_core::environments::destroy::{self, DestroyRequest};
use idp_core::environments::extend::{self, ExtendRequest};
use idp_core::environments::list::{self, ListRequest};
use idp_core::environments::logs::{self, LogsRequest};
use idp_core::environments::status;
use idp_core::environments::sweep::{self, SweepRequest};
use idp_core::environments::unlock;
use idp_core::error::{Error, ErrorKind};
use idp_core::gitops::preview::{self, PreviewRequest};
use idp_core::platform::{Platform as CorePlatform, Settings};
use idp_core::setup::env_vars::{self, EnvVars};
use idp_core::setup::open::{self, Options};
use idp_core::setup::settings::Key;
use pyo3::exceptions::{PyRuntimeWarning, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::config::{self, Config};
use crate::errors;
use crate::reports::{
    ChangeReport, Environment, LogsReport, RunReport, StatusReport, SweepReport, UnlockReport,
};
use crate::runtime::block_on;

/// A platform: where environments' state lives and where they run. Open one with
/// `Platform.local()`, `Platform.aws(...)` or `Platform.memory()`; it is safe to share between
/// threads.
#[pyclass(frozen, module = "idp")]
pub(crate) struct Platform {
    inner: Arc<CorePlatform>,
    description: String,
}

fn env_name(py: Python<'_>, name: &str) -> PyResult<EnvName> {
    EnvName::parse(name).map_err(|e| errors::to_py(py, &Error::from(e)))
}

fn ttl(py: Python<'_>, text: &str) -> PyResult<Ttl> {
    Ttl::parse(text).map_err(|e| errors::to_py(py, &Error::from(e)))
}

/// `since` of `logs()`: a TTL-like text (`"1h"`), a `timedelta` back from now, or an aware
/// `datetime`.
fn since(
    py: Python<'_>,
    now: DateTime<Utc>,
    since: Option<&Bound<'_, PyAny>>,
) -> PyResult<DateTime<Utc>> {
    let Some(since) = since.filter(|s| !s.is_none()) else {
        return Ok(now - ttl(py, "1h")?.duration());
    };
    if let Ok(text) = since.cast::<PyString>() {
        return Ok(now - ttl(py, &text.to_cow()?)?.duration());
    }
    if let Ok(at) = since.extract::<DateTime<Utc>>() {
        return Ok(at);
    }
    if let Ok(back) = since.extract::<TimeDelta>() {
        return Ok(now - back);
    }
    Err(PyTypeError::new_err(
        "`since` must be a duration like \"1h\", a datetime.timedelta, or a timezone-aware datetime.datetime",
    ))
}

impl Platform {
    fn new(inner: CorePlatform, description: String) -> Self {
        Self {
            inner: Arc::new(inner),
            description,
        }
    }
}

#[pymethods]
impl Platform {
    /// An in-memory platform: real etags, create-only writes, leases with expiry and a
    /// simulated provisioner, nothing on disk. For tests and examples.
    #[staticmethod]
    fn memory() -> Self {
        let settings = Settings {
            actor: env_vars::actor(),
            ..Settings::default()
        };
        Self::new(
            CorePlatform::new(Backend::memory()).with_settings(settings),
            "Platform.memory()".to_owned(),
        )
    }

    /// The embedded local backend: state in `state_dir` (default: `$IDP_STATE_DIR`, else the
    /// settings file's `stateDir`, else `$XDG_DATA_HOME/idp`, else `~/.local/share/idp`, as the
    /// CLI), apps run as local processes started by the config's `local.command` from the
    /// current directory.
    #[staticmethod]
    #[pyo3(signature = (state_dir=None))]
    fn local(py: Python<'_>, state_dir: Option<PathBuf>) -> PyResult<Self> {
        let description = match &state_dir {
            Some(dir) => format!("Platform.local({:?})", dir.display().to_string()),
            None => "Platform.local()".to_owned(),
        };
        let options = Options::new()
            .set(Key::Backend, Some("local"))
            .set(Key::StateDir, state_dir.map(|d| d.display().to_string()));
        let inner = block_on(py, async move { open::open(&options).await })?;
        Ok(Self::new(inner, description))
    }

    /// The AWS backend: state in the S3 bucket `state_bucket`, leases and OpenTofu locks in the
    /// DynamoDB table `lock_table`, environments applied with OpenTofu (`tofu`) from
    /// `templates_dir`. `endpoint_url` points every AWS client at another endpoint (a local AWS
    /// double); credentials come from `profile` or the standard AWS chain. The template inputs
    /// (`acm_certificate_arn`, `route53_zone_id`, `preview_domain`, `alb_access_logs_bucket`,
    /// `cost_center`, `nat_gateway_per_az`, `vpc_flow_logs`, `use_shared_ingress`,
    /// `alarm_topic_arn`) reach every environment's tfvars; `team_templates_dirs` adds teams'
    /// template folders, `regional_certificates` the preview domain's certificates in other
    /// regions, `secret_patterns` the secrets a repository's environments may reference and
    /// `permissions_boundary` the boundary of every role they create. An argument left out
    /// comes from its `IDP_*` variable, else the settings file, else the default, exactly as
    /// for the CLI.
    #[staticmethod]
    #[pyo3(signature = (
        state_bucket=None,
        lock_table=None,
        region=None,
        endpoint_url=None,
        profile=None,
        *,
        ecr_repository=None,
        templates_dir=None,
        tofu=None,
        acm_certificate_arn=None,
        route53_zone_id=None,
        preview_domain=None,
        alb_access_logs_bucket=None,
        cost_center=None,
        nat_gateway_per_az=None,
        vpc_flow_logs=None,
        use_shared_ingress=None,
        team_templates_dirs=None,
        secret_patterns=None,
        permissions_boundary=None,
        regional_certificates=None,
        alarm_topic_arn=None,
    ))]
    #[allow(
        clippy::too_many_arguments,
        reason = "keyword arguments of a Python constructor"
    )]
    fn aws(
        py: Python<'_>,
        state_bucket: Option<String>,
        lock_table: Option<String>,
        region: Option<String>,
        endpoint_url: Option<String>,
        profile: Option<String>,
        ecr_repository: Option<String>,
        templates_dir: Option<PathBuf>,
        tofu: Option<PathBuf>,
        acm_certificate_arn: Option<String>,
        route53_zone_id: Option<String>,
        preview_domain: Option<String>,
        alb_access_logs_bucket: Option<String>,
        cost_center: Option<String>,
        nat_gateway_per_az: Option<bool>,
        vpc_flow_logs: Option<bool>,
        use_shared_ingress: Option<bool>,
        team_templates_dirs: Option<Vec<PathBuf>>,
        secret_patterns: Option<Vec<String>>,
        permissions_boundary: Option<String>,
        regional_certificates: Option<Vec<String>>,
        alarm_topic_arn: Option<String>,
    ) -> PyResult<Self> {
        let path = |p: Option<PathBuf>| p.map(|p| p.display().to_string());
        let switch = |b: Option<bool>| b.map(|b| b.to_string());
        let options = Options::new()
            .set(Key::Backend, Some("aws"))
            .set(Key::AwsStateBucket, state_bucket)
            .set(Key::AwsLockTable, lock_table)
            .set(Key::AwsRegion, region)
            .set(Key::AwsEndpointUrl, endpoint_url)
            .set(Key::AwsProfile, profile)
            .set(Key::AwsEcrRepo, ecr_repository)
            .set(Key::AwsTemplatesDir, path(templates_dir))
            .set(Key::AwsTofu, path(tofu))
            .set(Key::AwsAcmCertificateArn, acm_certificate_arn)
            .set(Key::AwsRoute53ZoneId, route53_zone_id)
            .set(Key::AwsPreviewDomain, preview_domain)
            .set(Key::AwsAlbAccessLogsBucket, alb_access_logs_bucket)
            .set(Key::AwsCostCenter, cost_center)
            .set(Key::AwsNatGatewayPerAz, switch(nat_gateway_per_az))
            .set(Key::AwsVpcFlowLogs, switch(vpc_flow_logs))
            .set(Key::AwsUseSharedIngress, switch(use_shared_ingress))
            // Each list in the setting's own form: directories `:`-separated (as `PATH`),
            // patterns and ARNs `,`-separated.
            .set(
                Key::AwsTeamTemplatesDirs,
                team_templates_dirs.map(|dirs| {
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(":")
                }),
            )
            .set(Key::AwsSecretPatterns, secret_patterns.map(|p| p.join(",")))
            .set(Key::AwsPermissionsBoundary, permissions_boundary)
            .set(
                Key::AwsRegionalCertificates,
                regional_certificates.map(|c| c.join(",")),
            )
            .set(Key::AwsAlarmTopicArn, alarm_topic_arn);
        let (inner, description) = block_on(py, async move {
            let resolved = open::resolve(&options)?;
            let get = |k: Key| resolved.get(k).unwrap_or_default().to_owned();
            let description = format!(
                "Platform.aws({:?}, {:?}, {:?})",
                get(Key::AwsStateBucket),
                get(Key::AwsLockTable),
                get(Key::AwsRegion)
            );
            let platform = open::open_resolved(&resolved, &options).await?;
            Ok::<_, Error>((platform, description))
        })?;
        Ok(Self::new(inner, description))
    }

    /// Every environment, sorted by name; destroyed ones (tombstones) only with `all=True`.
    /// Records of the original platform are listed like idp's own (`Environment.legacy`). A
    /// record that cannot be read is named in a `RuntimeWarning`, or with `strict=True` raises
    /// `UnreadableRecord` (`idp migrate --dry-run` says why).
    #[pyo3(signature = (*, all=false, strict=false))]
    fn list(&self, py: Python<'_>, all: bool, strict: bool) -> PyResult<Vec<Environment>> {
        let platform = Arc::clone(&self.inner);
        let report = block_on(py, async move {
            list::list(&platform, ListRequest { all, spend: false }).await
        })?;
        if strict && let Some(bad) = report.unreadable.first() {
            return Err(errors::to_py(
                py,
                &Error::UnreadableRecord {
                    name: bad.name.clone(),
                    key: bad.key.clone(),
                    reason: format!(
                        "{} ({} unreadable record(s) in all)",
                        bad.reason,
                        report.unreadable.len()
                    ),
                },
            ));
        }
        for bad in &report.unreadable {
            let message = format!(
                "unreadable environment record `{}`: {} (run `idp migrate --dry-run`)",
                bad.key, bad.reason
            );
            PyErr::warn(
                py,
                &py.get_type::<PyRuntimeWarning>(),
                &std::ffi::CString::new(message).unwrap_or_default(),
                1,
            )?;
        }
        Ok(report.environments.iter().map(Environment::from).collect())
    }

    /// What an environment costs, as a `dict` shaped like `idp cost NAME --output json`: the
    /// list-price `estimate` over its lifetime and `to_date_usd` so far, and under `spend` this
    /// month's figures — `billed_usd` and `billed_through` from Cost Explorer (aws backend),
    /// `unbilled_estimate_usd` for the hours not billed yet, `daily_burn_usd` and the
    /// projections — with `source` (`billed` or `estimate_only`) and `actuals_note` saying
    /// which is which. Raises `NotFound`.
    fn cost<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        let name = env_name(py, name)?;
        let platform = Arc::clone(&self.inner);
        let report = block_on(py, async move {
            cost::cost(
                &platform,
                CostRequest::Environment {
                    name,
                    config: idp_core::domain::config::Config::default(),
                },
            )
            .await
        })?;
        let value = serde_json::to_value(&report).map_err(|e| {
            errors::to_py(
                py,
                &Error::Refused {
                    reason: "unserializable".to_owned(),
                    message: e.to_string(),
                },
            )
        })?;
        crate::reports::json_to_py(py, &value)
    }

    /// An environment's record, expiry, outputs and live health. Raises `NotFound`.
    fn status(&self, py: Python<'_>, name: &str) -> PyResult<StatusReport> {
        let name = env_name(py, name)?;
        let platform = Arc::clone(&self.inner);
        let report = block_on(py, async move { status::status(&platform, &name).await })?;
        Ok(StatusReport::from(&report))
    }

    /// Create an environment and wait until it answers. The other keyword arguments are keys
    /// of `.idp/config.yml` (`health_check_path="/health"`, `local={"command": "..."}`,
    /// `cpu=512`, …), validated exactly like the file. Raises `ConfigError`, `InvalidName`,
    /// `InvalidTtl`, `Conflict` (it exists), `LockHeld`.
    #[pyo3(signature = (template, name, ttl="7d", *, owner=None, image=None, **config))]
    #[allow(
        clippy::too_many_arguments,
        reason = "keyword arguments of a Python method"
    )]
    fn create(
        &self,
        py: Python<'_>,
        template: &str,
        name: &str,
        ttl: &str,
        owner: Option<String>,
        image: Option<String>,
        config: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<ChangeReport> {
        let fields = PyDict::new(py);
        if let Some(config) = config {
            fields.update(config.as_mapping())?;
        }
        fields.set_item("template", template)?;
        let config = config::from_fields(py, Some(&fields))?;
        let req = CreateRequest {
            name: env_name(py, name)?,
            config,
            ttl: Some(self::ttl(py, ttl)?),
            owner,
            image,
            source: Default::default(),
            budget_override: None,
        };
        let platform = Arc::clone(&self.inner);
        let report = block_on(py, async move { create::create(&platform, req).await })?;
        Ok(ChangeReport::from(&report))
    }

    /// Give an environment more time: its expiry becomes the later of now and the current
    /// expiry, plus `ttl` (capped by the platform's policy). Raises `NotFound`, `InvalidTtl`.
    fn extend(&self, py: Python<'_>, name: &str, ttl: &str) -> PyResult<ChangeReport> {
        let req = ExtendRequest {
            name: env_name(py, name)?,
            ttl: self::ttl(py, ttl)?,
        };
        let platform = Arc::clone(&self.inner);
        let report = block_on(py, async move { extend::extend(&platform, req).await })?;
        Ok(ChangeReport::from(&report))
    }

    /// Destroy an environment and clean up its state, images and locks. Destroying one that
    /// is gone, or that another destroy is working on, is a `no-op` report.
    fn destroy(&self, py: Python<'_>, name: &str) -> PyResult<ChangeReport> {
        let req = DestroyRequest::new(env_name(py, name)?);
        let platform = Arc::clone(&self.inner);
        let report = block_on(py, async move { destroy::destroy(&platform, req).await })?;
        Ok(ChangeReport::from(&report))
    }

    /// Destroy expired environments and retry destroys stuck for more than two hours;
    /// `dry_run=True` only reports what it would do.
    #[pyo3(signature = (dry_run=false))]
    fn sweep(&self, py: Python<'_>, dry_run: bool) -> PyResult<SweepReport> {
        let platform = Arc::clone(&self.inner);
        let report = block_on(py, async move {
            sweep::sweep(&platform, SweepRequest { dry_run }).await
        })?;
        Ok(SweepReport::from(&report))
    }

    /// One page of an environment's log events since `since` (default `"1h"`: a duration
    /// back from now, a `timedelta`, or an aware `datetime`), optionally only those containing
    /// `filter`. Pass `next_token` from the previous page to continue. Raises `NotFound`.
    #[pyo3(signature = (name, since=None, *, filter=None, limit=None, next_token=None))]
    fn logs(
        &self,
        py: Python<'_>,
        name: &str,
        since: Option<&Bound<'_, PyAny>>,
        filter: Option<String>,
        limit: Option<usize>,
        next_token: Option<String>,
    ) -> PyResult<LogsReport> {
        let now = self.inner.backend.clock.now();
        let req = LogsRequest {
            name: env_name(py, name)?,
            since: self::since(py, now, since)?,
            filter,
            next_token,
            limit,
        };
        let platform = Arc::clone(&self.inner);
        let report = block_on(py, async move { logs::logs(&platform, req).await })?;
        Ok(LogsReport::from(&report))
    }

    /// Break an environment's lease and OpenTofu state lock, reporting who held them.
    /// Raises `NotFound`.
    fn unlock(&self, py: Python<'_>, name: &str) -> PyResult<UnlockReport> {
        let name = env_name(py, name)?;
        let platform = Arc::clone(&self.inner);
        let report = block_on(py, async move { unlock::unlock(&platform, &name).await })?;
        Ok(UnlockReport::from(&report))
    }

    /// Run an infrastructure job (`idp run`): `job` is the job file's text (YAML or JSON) or a
    /// dict of the same shape. Orders run on this machine, at most `max_parallel` at once, in
    /// `working_dir` (default: the current directory); `secrets` maps the secret names orders
    /// list to their values (masked in every output, never stored). Returns when the run ends;
    /// a failed order is a `status` of the report, not an exception. Raises `InvalidInput` for
    /// an invalid job (every problem listed) and `LockHeld` when `run_id` is already running.
    #[pyo3(signature = (job, *, run_id=None, max_parallel=8, working_dir=None, secrets=None))]
    fn run(
        &self,
        py: Python<'_>,
        job: &Bound<'_, PyAny>,
        run_id: Option<String>,
        max_parallel: usize,
        working_dir: Option<PathBuf>,
        secrets: Option<std::collections::BTreeMap<String, String>>,
    ) -> PyResult<RunReport> {
        use idp_core::domain::orders::Job;
        use idp_core::runs::{self, RunId, RunOptions};
        let text: String = if job.is_instance_of::<PyString>() {
            job.extract()?
        } else if job.is_instance_of::<PyDict>() {
            py.import("json")?
                .call_method1("dumps", (job,))?
                .extract()?
        } else {
            return Err(PyTypeError::new_err(
                "`job` must be the job file's text or a dict",
            ));
        };
        let run_id = run_id
            .as_deref()
            .map(RunId::parse)
            .transpose()
            .map_err(|e| errors::to_py(py, &Error::from(e)))?;
        let job = Job::from_yaml(&text, "<job>").map_err(|errors| {
            errors::to_py(
                py,
                &Error::Refused {
                    reason: "invalid_job".into(),
                    message: errors.to_string(),
                },
            )
        })?;
        let mut options = RunOptions {
            max_parallel: max_parallel.max(1),
            ..RunOptions::default()
        };
        if let Some(dir) = working_dir {
            options.working_dir = dir;
        }
        options.secrets = secrets
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, idp_core::secret::Secret::new(v)))
            .collect();
        let platform = Arc::clone(&self.inner);
        let summary = block_on(py, async move {
            runs::run(&platform, job, run_id, options).await
        })?;
        Ok(RunReport::from(&summary))
    }

    /// The GitOps path for one GitHub event: `event` is the payload (a dict, or its JSON text
    /// as `str`/`bytes`) and `event_name` its name (`push`, `pull_request`, `delete`, …;
    /// default `$GITHUB_EVENT_NAME`). Provisions, redeploys, destroys, or reports a `no-op`
    /// with its reason. `config` is the repository's configuration (default: the defaults).
    /// Raises `InvalidEvent`, `BranchCollision`, `InvalidInput` (a fork's pull request).
    #[pyo3(signature = (event, event_name=None, *, config=None, image=None, owner=None))]
    fn preview(
        &self,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
        event_name: Option<String>,
        config: Option<&Config>,
        image: Option<String>,
        owner: Option<String>,
    ) -> PyResult<ChangeReport> {
        let payload: Vec<u8> = if let Ok(text) = event.cast::<PyString>() {
            text.to_cow()?.as_bytes().to_vec()
        } else if let Ok(bytes) = event.cast::<PyBytes>() {
            bytes.as_bytes().to_vec()
        } else if event.cast::<PyDict>().is_ok() {
            let text: String = py
                .import("json")?
                .call_method1("dumps", (event,))?
                .extract()?;
            text.into_bytes()
        } else {
            return Err(PyTypeError::new_err(
                "`event` must be the event payload as a dict, or its JSON text as str or bytes",
            ));
        };
        let Some(event_name) = event_name.or_else(|| env_vars::get(EnvVars::GITHUB_EVENT_NAME))
        else {
            return Err(errors::new_err(
                py,
                ErrorKind::InvalidEvent,
                "the event has no name: pass `event_name` (e.g. \"push\") or set `GITHUB_EVENT_NAME`",
                &[],
            ));
        };
        let trigger =
            parse_event(&event_name, &payload).map_err(|e| errors::to_py(py, &Error::from(e)))?;
        let req = PreviewRequest {
            trigger,
            config: config.map(|c| c.inner.clone()).unwrap_or_default(),
            image,
            owner,
        };
        let platform = Arc::clone(&self.inner);
        let report = block_on(py, async move { preview::preview(&platform, req).await })?;
        Ok(ChangeReport::from(&report))
    }

    fn __repr__(&self) -> String {
        self.description.clone()
    }
}
