//! The API's wire types: what requests carry and responses answer, and so the OpenAPI
//! document's schemas. Each response type is built from an idp-core report; the field names are
//! those of the CLI's `--output json`.
//!
//! Long because every request and response of the API is declared here, once, with the
//! documentation its OpenAPI schema carries.

use chrono::{DateTime, Utc};
use idp_core::domain::lifecycle::{Metadata, Status};
use idp_core::domain::orders::{OrderStatus, RunStatus, RunSummary};
use idp_core::environments::list::ListPage;
use idp_core::repo::templates::TemplatesReport;
use idp_core::support::report::ChangeReport;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An environment's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EnvStatus {
    Provisioning,
    Active,
    Updating,
    Failed,
    Destroying,
    Destroyed,
}

impl From<Status> for EnvStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Provisioning => EnvStatus::Provisioning,
            Status::Active => EnvStatus::Active,
            Status::Updating => EnvStatus::Updating,
            Status::Failed => EnvStatus::Failed,
            Status::Destroying => EnvStatus::Destroying,
            Status::Destroyed => EnvStatus::Destroyed,
        }
    }
}

impl From<EnvStatus> for Status {
    fn from(s: EnvStatus) -> Self {
        match s {
            EnvStatus::Provisioning => Status::Provisioning,
            EnvStatus::Active => Status::Active,
            EnvStatus::Updating => Status::Updating,
            EnvStatus::Failed => Status::Failed,
            EnvStatus::Destroying => Status::Destroying,
            EnvStatus::Destroyed => Status::Destroyed,
        }
    }
}

/// An environment's record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Environment {
    pub(crate) name: String,
    pub(crate) template: String,
    pub(crate) status: EnvStatus,
    pub(crate) status_changed_at: DateTime<Utc>,
    /// The branch of a preview.
    pub(crate) branch: Option<String>,
    /// `owner/name` of a preview's repository.
    pub(crate) repository: Option<String>,
    /// Who owns it.
    pub(crate) owner: String,
    pub(crate) pr_number: Option<u64>,
    /// The commit last deployed.
    pub(crate) commit: Option<String>,
    pub(crate) image: Option<String>,
    pub(crate) region: Option<String>,
    /// Where it answers.
    pub(crate) endpoint: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    /// The end of the provisioner's output of the last failed apply or destroy.
    pub(crate) last_error: Option<String>,
    /// Whether the record is still in the original platform's layout.
    pub(crate) legacy: bool,
    /// Who approved provisioning it, when and how, for a template that needs approval.
    pub(crate) approval: Option<ApprovalView>,
}

/// An approval of a costly template, as an environment's record keeps it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ApprovalView {
    /// Who approved (a GitHub login, or the admin's identity).
    pub(crate) by: String,
    pub(crate) at: DateTime<Utc>,
    /// `review`, `label` or `admin`.
    pub(crate) how: String,
    /// The template approved.
    pub(crate) template: String,
    /// Why (an admin's reason).
    pub(crate) reason: Option<String>,
}

impl From<&Metadata> for Environment {
    fn from(m: &Metadata) -> Self {
        Self {
            name: m.name.to_string(),
            template: m.template.as_str().to_owned(),
            status: m.status.into(),
            status_changed_at: m.status_changed_at,
            branch: m.branch.clone(),
            repository: m.repository.clone(),
            owner: m.owner.clone(),
            pr_number: m.pr_number,
            commit: m.commit.clone(),
            image: m.image.clone(),
            region: m.region.clone(),
            endpoint: m.endpoint.clone(),
            created_at: m.created_at,
            expires_at: m.expires_at,
            updated_at: m.updated_at,
            last_error: m.last_error.clone(),
            legacy: m.is_legacy(),
            approval: m.approval.as_ref().map(|a| ApprovalView {
                by: a.by.clone(),
                at: a.at,
                how: a.how.as_str().to_owned(),
                template: a.template.as_str().to_owned(),
                reason: a.reason.clone(),
            }),
        }
    }
}

/// A record that exists but cannot be read; listed, never dropped.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct UnreadableRecord {
    pub(crate) name: String,
    /// The object.
    pub(crate) key: String,
    /// Why it cannot be read.
    pub(crate) reason: String,
}

/// A page of environments.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct EnvironmentPage {
    pub(crate) environments: Vec<Environment>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub(crate) next_cursor: Option<String>,
    /// Every record that cannot be read (on every page).
    pub(crate) unreadable: Vec<UnreadableRecord>,
}

impl From<&ListPage> for EnvironmentPage {
    fn from(p: &ListPage) -> Self {
        Self {
            environments: p.environments.iter().map(Environment::from).collect(),
            next_cursor: p.next_cursor.clone(),
            unreadable: p
                .unreadable
                .iter()
                .map(|u| UnreadableRecord {
                    name: u.name.clone(),
                    key: u.key.clone(),
                    reason: u.reason.clone(),
                })
                .collect(),
        }
    }
}

/// The filters of `GET /v1/environments`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListParams {
    /// Only this status (`destroyed` lists tombstones).
    pub(crate) status: Option<EnvStatus>,
    /// Only environments of this owner.
    pub(crate) owner: Option<String>,
    /// Only environments of this template.
    pub(crate) template: Option<String>,
    /// Only environments expiring before this time (RFC 3339).
    pub(crate) expiring_before: Option<DateTime<Utc>>,
    /// The `next_cursor` of the previous page.
    pub(crate) cursor: Option<String>,
    /// Page size, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub(crate) limit: Option<u32>,
}

/// What to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateEnvironment {
    /// The environment's name (3–40 of a-z 0-9 -, as `idp name` derives them).
    pub(crate) name: String,
    /// The template; default: the config's.
    pub(crate) template: Option<String>,
    /// The TTL (`2h`, `3d`); default: the config's.
    pub(crate) ttl: Option<String>,
    /// The owner (admins only; default: the caller's).
    pub(crate) owner: Option<String>,
    /// The text of an `.idp/config.yml`; default: the server's config.
    pub(crate) config: Option<String>,
    /// The AWS region it runs in (`eu-west-1`); overrides the config's `region`. Default: the
    /// config's, else the platform's.
    pub(crate) region: Option<String>,
}

/// How much longer an environment lives.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtendEnvironment {
    /// Time to add (`2h`, `1d`).
    pub(crate) ttl: String,
}

/// An admin's approval of an environment whose template needs one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApproveEnvironment {
    /// Why it is approved (kept with the approval).
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// What a create, extend or destroy did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Change {
    /// `created`, `redeployed`, `extended`, `destroyed` or `no-op`.
    pub(crate) outcome: String,
    pub(crate) name: Option<String>,
    /// Why nothing was done, or what was noteworthy.
    pub(crate) reason: Option<String>,
    /// The record after the change.
    pub(crate) environment: Option<Environment>,
    pub(crate) endpoint: Option<String>,
    /// What went wrong around the change without failing it.
    pub(crate) notices: Vec<String>,
}

impl From<&ChangeReport> for Change {
    fn from(r: &ChangeReport) -> Self {
        Self {
            outcome: r.outcome.code().to_owned(),
            name: r.name.clone(),
            reason: r.reason.clone(),
            environment: r.environment.as_ref().map(Environment::from),
            endpoint: r.endpoint.clone(),
            notices: r.notices.clone(),
        }
    }
}

/// A template of the catalog.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Template {
    pub(crate) name: String,
    pub(crate) description: String,
    /// Inputs every environment must set.
    pub(crate) required: Vec<String>,
    /// Inputs with defaults.
    pub(crate) optional: Vec<String>,
    /// The template's outputs.
    pub(crate) outputs: Vec<String>,
    /// List price per hour with default sizes, in USD.
    pub(crate) hourly_cost_usd: Option<f64>,
    /// What the hourly cost counts.
    pub(crate) cost_note: Option<String>,
}

/// A template directory whose manifest cannot be used.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct BadTemplate {
    pub(crate) path: String,
    pub(crate) reason: String,
}

/// The template catalog.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct TemplateCatalog {
    pub(crate) templates: Vec<Template>,
    /// Directories with a missing or invalid manifest.
    pub(crate) invalid: Vec<BadTemplate>,
}

impl From<&TemplatesReport> for TemplateCatalog {
    fn from(r: &TemplatesReport) -> Self {
        Self {
            templates: r
                .templates
                .iter()
                .map(|t| Template {
                    name: t.name.clone(),
                    description: t.description.clone(),
                    required: t.required.clone(),
                    optional: t.optional.clone(),
                    outputs: t.outputs.clone(),
                    hourly_cost_usd: t.hourly_cost_usd,
                    cost_note: t.cost_note.clone(),
                })
                .collect(),
            invalid: r
                .invalid
                .iter()
                .map(|b| BadTemplate {
                    path: b.path.display().to_string(),
                    reason: b.reason.clone(),
                })
                .collect(),
        }
    }
}

/// The parameters of `GET /v1/environments/{name}/logs`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LogParams {
    /// How far back (`10m`, `2h`, `1d`) or an RFC 3339 time; default `1h`.
    pub(crate) since: Option<String>,
    /// Only events matching these plain terms.
    pub(crate) filter: Option<String>,
    /// The `next_token` of the previous page.
    pub(crate) next_token: Option<String>,
    /// `true`: a `text/event-stream` of events as they arrive (one `log` event each).
    pub(crate) follow: Option<bool>,
}

/// One log event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct LogEntry {
    pub(crate) timestamp: DateTime<Utc>,
    /// The task or process it came from.
    pub(crate) stream: String,
    pub(crate) message: String,
}

/// A page of log events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct LogPage {
    /// The log group read.
    pub(crate) group: String,
    /// Oldest first.
    pub(crate) events: Vec<LogEntry>,
    /// Pass back to get the next page (or, later, newer events).
    pub(crate) next_token: Option<String>,
}

/// An environment's status with live health.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct EnvironmentStatus {
    pub(crate) environment: Environment,
    /// `expires in 2d 3h` / `expired 3h ago`.
    pub(crate) expires: String,
    /// The template's outputs, as last recorded.
    #[schema(value_type = Object)]
    pub(crate) outputs: serde_json::Value,
    /// What the local runtime says.
    #[schema(value_type = Option<Object>)]
    pub(crate) runtime: Option<serde_json::Value>,
    /// What the container service says.
    #[schema(value_type = Option<Object>)]
    pub(crate) service: Option<serde_json::Value>,
    /// The environment's alarms (AWS backend: CloudWatch), those its template's `alarm_names`
    /// output names; none on a backend without alarms.
    pub(crate) alarms: Vec<Alarm>,
    /// Problems met while asking for live health.
    pub(crate) warnings: Vec<String>,
    /// What happened to the environment, oldest first (status changes and extensions; records
    /// older than the history have none).
    pub(crate) history: Vec<HistoryEvent>,
}

/// One alarm of an environment, as its monitoring service reports it now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Alarm {
    /// The alarm's name (`idp-{env}-…`).
    pub(crate) name: String,
    /// `OK`, `ALARM` or `INSUFFICIENT_DATA` (a state CloudWatch adds later, as it spells it).
    pub(crate) state: String,
    /// Why it is in that state, in the monitoring service's words.
    pub(crate) reason: String,
    /// When it entered that state, when known.
    pub(crate) since: Option<DateTime<Utc>>,
}

impl From<&idp_core::ports::AlarmStatus> for Alarm {
    fn from(a: &idp_core::ports::AlarmStatus) -> Self {
        Self {
            name: a.name.clone(),
            state: a.state.to_string(),
            reason: a.reason.clone(),
            since: a.since,
        }
    }
}

/// One event of an environment's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct HistoryEvent {
    pub(crate) at: DateTime<Utc>,
    /// The status it moved to (`provisioning` on creation, `updating` on a redeploy, `active`,
    /// `failed`, `destroying`, `destroyed`) or `extended`.
    pub(crate) event: String,
    /// A detail, such as the new expiry of an extension.
    pub(crate) detail: Option<String>,
}

impl From<&idp_core::domain::lifecycle::HistoryEntry> for HistoryEvent {
    fn from(h: &idp_core::domain::lifecycle::HistoryEntry) -> Self {
        Self {
            at: h.at,
            event: h.event.clone(),
            detail: h.detail.clone(),
        }
    }
}

/// A run to start.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubmitRun {
    /// The job, as a job file in JSON (`timeout`, `orders`: see `idp run`).
    #[schema(value_type = Object)]
    pub(crate) job: serde_json::Value,
    /// The run id (1–64 of A-Z a-z 0-9 - _); default: a new one.
    pub(crate) run_id: Option<String>,
    /// The most orders running at once (default 4).
    #[schema(minimum = 1, maximum = 64)]
    pub(crate) max_parallel: Option<u32>,
}

/// An order's state.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OrderState {
    Pending,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Skipped,
    Cancelled,
}

impl From<OrderStatus> for OrderState {
    fn from(s: OrderStatus) -> Self {
        match s {
            OrderStatus::Pending => OrderState::Pending,
            OrderStatus::Running => OrderState::Running,
            OrderStatus::Succeeded => OrderState::Succeeded,
            OrderStatus::Failed => OrderState::Failed,
            OrderStatus::TimedOut => OrderState::TimedOut,
            OrderStatus::Skipped => OrderState::Skipped,
            OrderStatus::Cancelled => OrderState::Cancelled,
        }
    }
}

/// A run's state.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RunState {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
}

impl From<RunStatus> for RunState {
    fn from(s: RunStatus) -> Self {
        match s {
            RunStatus::Running => RunState::Running,
            RunStatus::Succeeded => RunState::Succeeded,
            RunStatus::Failed => RunState::Failed,
            RunStatus::TimedOut => RunState::TimedOut,
            RunStatus::Cancelled => RunState::Cancelled,
        }
    }
}

/// What a cancel did: `cancelled` (this request ended the run), `requested` (the
/// orchestrator driving it stops it within one poll) or `finished` (it had ended; nothing
/// changed).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CancelState {
    Cancelled,
    Requested,
    Finished,
}

/// The answer of a cancel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RunCancel {
    pub(crate) outcome: CancelState,
    /// The run as it stands now.
    pub(crate) run: Run,
}

impl From<&idp_core::runs::CancelReport> for RunCancel {
    fn from(r: &idp_core::runs::CancelReport) -> Self {
        use idp_core::runs::CancelOutcome;
        Self {
            outcome: match r.outcome {
                CancelOutcome::Cancelled => CancelState::Cancelled,
                CancelOutcome::Requested => CancelState::Requested,
                CancelOutcome::Finished => CancelState::Finished,
            },
            run: Run::from(&r.summary),
        }
    }
}

/// One order of a run.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RunOrder {
    pub(crate) name: String,
    pub(crate) status: OrderState,
    pub(crate) exit_code: Option<i32>,
    pub(crate) duration_ms: Option<u64>,
    /// The end of its output, secrets masked.
    pub(crate) log_excerpt: String,
}

/// A run and its orders.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Run {
    pub(crate) run_id: String,
    pub(crate) status: RunState,
    pub(crate) orders: Vec<RunOrder>,
}

impl From<&RunSummary> for Run {
    fn from(s: &RunSummary) -> Self {
        Self {
            run_id: s.run_id.to_string(),
            status: s.status.into(),
            orders: s
                .orders
                .iter()
                .map(|o| RunOrder {
                    name: o.name.clone(),
                    status: o.status.into(),
                    exit_code: o.exit_code,
                    duration_ms: o.duration_ms,
                    log_excerpt: o.log_excerpt.clone(),
                })
                .collect(),
        }
    }
}

/// The runs in the state store.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct RunList {
    pub(crate) runs: Vec<Run>,
    /// Runs whose records cannot be read (id and reason).
    pub(crate) unreadable: Vec<UnreadableRecord>,
}

/// The parameters of an order's log.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct OrderLogParams {
    /// `true`: a `text/event-stream` of the output as it grows, until the order ends.
    pub(crate) follow: Option<bool>,
}

/// An order's captured output (secrets masked).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct OrderLog {
    pub(crate) run_id: String,
    pub(crate) order: String,
    pub(crate) log: String,
}

/// The envelope of the job runner's `/init`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct InitEnvelope {
    /// Base64 of the job JSON.
    pub(crate) job_parameters_b64: String,
    /// An HS256 JWT; its AWS credential claims become secrets of every order.
    pub(crate) credentials_token: Option<String>,
    pub(crate) trace_id: Option<String>,
    pub(crate) run_id: Option<String>,
    pub(crate) done_endpt: Option<String>,
}

/// `/init` accepted the job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct InitAccepted {
    /// Always `ok`.
    pub(crate) status: String,
    pub(crate) run_id: String,
    pub(crate) trace_id: String,
    /// `<username>:<trace_id>-<flow_label>`.
    pub(crate) flow_id: String,
    /// Where the run's result is reported.
    pub(crate) done_endpt: String,
}

/// `/init` refused the job: every problem at once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct InitRejected {
    /// Always `error`.
    pub(crate) status: String,
    pub(crate) errors: Vec<String>,
    pub(crate) run_id: String,
    pub(crate) trace_id: String,
}

/// What the webhook intake did with a delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct WebhookAck {
    /// `pong`, `ignored`, `duplicate` or `accepted`.
    pub(crate) outcome: String,
    pub(crate) reason: Option<String>,
    /// The operation acting on the delivery.
    pub(crate) operation: Option<String>,
}

/// Liveness or readiness.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Health {
    /// `ok`, or `unavailable`.
    pub(crate) status: String,
    /// The backend (`local`, `aws`, `memory`).
    pub(crate) backend: String,
    /// Why it is not ready.
    pub(crate) detail: Option<String>,
}
