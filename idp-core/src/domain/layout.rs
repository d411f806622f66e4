//! Where things live: every state-store key and every derived resource name, in one place.
//! Long because each of those rules lives here once, next to the tests that pin it.
//!
//! Every key and name is built here from a validated [`EnvName`], so each rule exists once: a
//! prefix listing always ends in `/`, and an image tag prefix never matches another
//! environment's images.
//!
//! Keys are plain `String`s: they are built only by these functions, and a newtype would force
//! conversions at every port call without adding a check.
//!
//! State store layout:
//!
//! ```text
//! environments/_index.json                      the environment index (never an env name)
//! environments/_pending/{name}/{over}.{id}      a metadata write in flight (see the index)
//! environments/{name}/terraform.tfstate         OpenTofu state
//! environments/{name}/metadata.json             the environment record
//! environments/{name}/outputs.json              `tofu output -json`
//! environments/{name}/tfvars.json               the variables of the last apply
//! environments/{name}/{region}/…                state, outputs and tfvars of an environment
//!                                               created in a region of its own; its record stays
//!                                               `environments/{name}/metadata.json`, so a name is
//!                                               unique across regions
//! runs/{run_id}/orders/{n}/result.json          result of order n of an infrastructure run
//! runs/{run_id}/job.json                        the job of a run and when it started
//! runs/{run_id}/orders/{n}/state.json           order n started: attempt, executor handle
//! runs/{run_id}/orders/{n}/log                  the end of order n's output, secrets masked
//! runs/{run_id}/orders/{n}/bundle.age           order n's secret variables, age-encrypted for the run
//! runs/{run_id}/orders/{n}/bundle.json          the bundle's manifest: recipient and variable names
//! runs/{run_id}/events/{seq}.json               the run's append-only event log
//! runs/{run_id}/done                            marker written when a run has finished
//! access/tokens/{id}.json                      an API token: role, owner, SHA-256 of its secret
//! ```

use std::fmt;

use crate::domain::naming::EnvName;

/// The prefix under which every environment's objects live.
pub const ENVIRONMENTS_PREFIX: &str = "environments/";

/// The key of the environment index. `_index.json` can never be an environment name (names
/// start with a letter and have no `_` or `.`), so it never shadows an environment's prefix.
pub const INDEX_KEY: &str = "environments/_index.json";

/// The prefix of the markers of metadata writes in flight
/// ([`Intent`](crate::domain::index::Intent)): `environments/_pending/{name}/{over}.{id}`. Like
/// the index key, `_pending` can never be an environment name.
pub const PENDING_PREFIX: &str = "environments/_pending/";

/// The prefix under which infrastructure runs keep their results.
pub const RUNS_PREFIX: &str = "runs/";

/// The platform policy (teams, admins, budgets), stored by `idp budgets sync`. It is outside
/// [`ENVIRONMENTS_PREFIX`] like the tokens.
pub const POLICY_KEY: &str = "platform/policy.json";

/// Where approval requests of environments that wait for one are kept (`approvals/{name}.json`),
/// apart from the environments' records: a waiting environment has no record and nothing
/// applied.
pub const APPROVALS_PREFIX: &str = "approvals/";

/// The approval request of environment `name` (see [`APPROVALS_PREFIX`]).
pub fn approval_key(name: &EnvName) -> String {
    format!("{APPROVALS_PREFIX}{name}.json")
}

/// The prefix of the API tokens (`access/tokens/{id}.json`). It is outside
/// [`ENVIRONMENTS_PREFIX`], so neither [`env_of_key`] nor the environment index ever sees a token.
pub const TOKENS_PREFIX: &str = "access/tokens/";

/// The prefix of the portal's sign-in sessions (`access/sessions/{id}.json`), outside
/// [`ENVIRONMENTS_PREFIX`] like the tokens.
pub const SESSIONS_PREFIX: &str = "access/sessions/";

/// State key of the shared preview VPC (used with `use_shared_networking`).
pub const SHARED_NETWORKING_STATE_KEY: &str = "shared/preview-networking/terraform.tfstate";

/// State key of the shared ECR repository stack.
pub const SHARED_ECR_STATE_KEY: &str = "shared/ecr-preview/terraform.tfstate";

/// State key of the shared preview DNS stack.
pub const SHARED_DNS_STATE_KEY: &str = "shared/preview-dns/terraform.tfstate";

/// How many hex digits of the commit an image tag carries.
pub const SHORT_SHA_LEN: usize = 7;

/// Longest ALB and target group names (Elastic Load Balancing limit).
pub const ALB_NAME_MAX: usize = 32;
/// Longest RDS DB instance identifier.
pub const RDS_IDENTIFIER_MAX: usize = 63;
/// Longest IAM role name.
pub const IAM_ROLE_MAX: usize = 64;
/// Longest EventBridge rule name.
pub const EVENT_RULE_MAX: usize = 64;
/// Longest DNS label.
pub const DNS_LABEL_MAX: usize = 63;

/// A value that cannot be placed in a key or name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// Not a GitHub delivery id.
    #[error("delivery id `{delivery}` is not valid: it is 1 to 100 of A-Z a-z 0-9 -")]
    InvalidDeliveryId {
        /// The offending value.
        delivery: String,
    },
    /// Not an AWS region code.
    #[error("region `{region}` is not valid: use an AWS region code such as `us-east-1`")]
    InvalidRegion {
        /// The offending value.
        region: String,
    },
    /// Not a full git commit id.
    #[error(
        "commit `{sha}` is not a full commit id: pass the 40 (or 64) hex digit sha, e.g. `github.sha`"
    )]
    InvalidSha {
        /// The offending value.
        sha: String,
    },
    /// A run id that would not stay inside `runs/{run_id}/`.
    #[error(
        "run id `{run_id}` is not valid: use 1 to 64 letters, digits, `-` or `_`, starting with a letter or digit"
    )]
    InvalidRunId {
        /// The offending value.
        run_id: String,
    },
}

/// A validated AWS region code (`us-east-1`), safe to use as one key segment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(String);

impl Region {
    /// Validate a region code: 1–32 characters of `a-z`, `0-9` and `-`, starting with a letter,
    /// not ending with `-`.
    pub fn parse(region: &str) -> Result<Self, LayoutError> {
        let ok = !region.is_empty()
            && region.len() <= 32
            && region
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase())
            && !region.ends_with('-')
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(region.to_owned()))
        } else {
            Err(LayoutError::InvalidRegion {
                region: region.escape_debug().to_string(),
            })
        }
    }

    /// The region code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// === State store keys ===

/// `environments/{name}/`, with the trailing slash, so that listing `preview-foo` never matches
/// `preview-foo-bar`. Deleting this prefix removes every object of the environment.
pub fn env_prefix(name: &EnvName) -> String {
    format!("{ENVIRONMENTS_PREFIX}{name}/")
}

/// The keys of one environment's state objects besides its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvKeys {
    /// OpenTofu state ([`state_key`]).
    pub state: String,
    /// `tofu output -json` ([`outputs_key`]).
    pub outputs: String,
    /// The variables of the last apply ([`tfvars_key`]).
    pub tfvars: String,
}

impl EnvKeys {
    /// The keys of `name`, under `region` when it is region-scoped.
    pub fn new(name: &EnvName, region: Option<&Region>) -> Self {
        Self {
            state: state_key(name, region),
            outputs: outputs_key(name, region),
            tfvars: tfvars_key(name, region),
        }
    }
}

fn env_object(name: &EnvName, region: Option<&Region>, file: &str) -> String {
    match region {
        Some(region) => format!("{ENVIRONMENTS_PREFIX}{name}/{region}/{file}"),
        None => format!("{ENVIRONMENTS_PREFIX}{name}/{file}"),
    }
}

/// `environments/{name}/terraform.tfstate` (or `environments/{name}/{region}/terraform.tfstate`).
pub fn state_key(name: &EnvName, region: Option<&Region>) -> String {
    env_object(name, region, "terraform.tfstate")
}

/// `environments/{name}/metadata.json`: one record per name, whatever its region.
pub fn metadata_key(name: &EnvName) -> String {
    env_object(name, None, "metadata.json")
}

/// `environments/{name}/outputs.json` (or the region-scoped variant).
pub fn outputs_key(name: &EnvName, region: Option<&Region>) -> String {
    env_object(name, region, "outputs.json")
}

/// `environments/{name}/tfvars.json` (or the region-scoped variant).
pub fn tfvars_key(name: &EnvName, region: Option<&Region>) -> String {
    env_object(name, region, "tfvars.json")
}

/// The environment a key or listed prefix belongs to: `environments/{name}/…` → `name`.
/// `None` for the index, keys outside `environments/`, and segments that are not valid names.
pub fn env_of_key(key: &str) -> Option<EnvName> {
    let rest = key.strip_prefix(ENVIRONMENTS_PREFIX)?;
    let (name, _) = rest.split_once('/')?;
    EnvName::parse(name).ok()
}

/// Where billed spend is cached: `billing/`.
pub const BILLING_PREFIX: &str = "billing/";

/// `billing/{YYYY-MM-DD}/by-environment-{YYYY-MM}.json`: the month's daily billed cost per
/// environment tag as fetched on `fetched_on` (one object a day and month, so a day's listings
/// share one Cost Explorer request).
pub fn billing_cache_key(fetched_on: chrono::NaiveDate, month: chrono::NaiveDate) -> String {
    format!(
        "{BILLING_PREFIX}{}/by-environment-{}.json",
        fetched_on.format("%Y-%m-%d"),
        month.format("%Y-%m")
    )
}

// === Lock items (OpenTofu / Terraform S3 backend with a DynamoDB table) ===

/// The `LockID` of the state lock item: `{bucket}/{state_key}`.
pub fn lock_id(bucket: &str, state_key: &str) -> String {
    format!("{bucket}/{state_key}")
}

/// The `LockID` of the state digest item: `{bucket}/{state_key}-md5`. It must be deleted with
/// the state, or re-creating the environment fails with "state data in S3 does not have the
/// expected content".
pub fn digest_lock_id(bucket: &str, state_key: &str) -> String {
    format!("{bucket}/{state_key}-md5")
}

// === Infrastructure runs ===

fn checked_run_id(run_id: &str) -> Result<&str, LayoutError> {
    let ok = !run_id.is_empty()
        && run_id.len() <= 64
        && run_id
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && run_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(run_id)
    } else {
        Err(LayoutError::InvalidRunId {
            run_id: run_id.escape_debug().to_string(),
        })
    }
}

/// Where webhook delivery claims live (see `gitops::intake`).
pub const DELIVERIES_PREFIX: &str = "webhooks/deliveries/";

/// `webhooks/deliveries/{id}`: the claim of one GitHub delivery (`X-GitHub-Delivery`, a GUID;
/// 1–100 of `A-Z a-z 0-9 -`).
pub fn delivery_key(delivery: &str) -> Result<String, LayoutError> {
    let ok = (1..=100).contains(&delivery.len())
        && delivery
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(format!("{DELIVERIES_PREFIX}{delivery}"))
    } else {
        Err(LayoutError::InvalidDeliveryId {
            delivery: delivery.escape_debug().to_string(),
        })
    }
}

/// `runs/{run_id}/`, with the trailing slash.
pub fn run_prefix(run_id: &str) -> Result<String, LayoutError> {
    Ok(format!("{RUNS_PREFIX}{}/", checked_run_id(run_id)?))
}

/// `runs/{run_id}/orders/{n}/result.json`.
pub fn order_result_key(run_id: &str, n: usize) -> Result<String, LayoutError> {
    Ok(format!(
        "{RUNS_PREFIX}{}/orders/{n}/result.json",
        checked_run_id(run_id)?
    ))
}

/// `runs/{run_id}/done`.
pub fn run_done_key(run_id: &str) -> Result<String, LayoutError> {
    Ok(format!("{RUNS_PREFIX}{}/done", checked_run_id(run_id)?))
}

/// `runs/{run_id}/cancel.json`: written once when someone cancels the run.
pub fn run_cancel_key(run_id: &str) -> Result<String, LayoutError> {
    Ok(format!(
        "{RUNS_PREFIX}{}/cancel.json",
        checked_run_id(run_id)?
    ))
}

/// `runs/{run_id}/job.json`: the validated job and when its run started (for resuming).
pub fn run_job_key(run_id: &str) -> Result<String, LayoutError> {
    Ok(format!("{RUNS_PREFIX}{}/job.json", checked_run_id(run_id)?))
}

/// `runs/{run_id}/orders/{n}/state.json`: an order that started (its attempt and executor handle).
pub fn order_state_key(run_id: &str, n: usize) -> Result<String, LayoutError> {
    Ok(format!(
        "{RUNS_PREFIX}{}/orders/{n}/state.json",
        checked_run_id(run_id)?
    ))
}

/// `runs/{run_id}/orders/{n}/log`: the end of order n's output, secrets masked.
pub fn order_log_key(run_id: &str, n: usize) -> Result<String, LayoutError> {
    Ok(format!(
        "{RUNS_PREFIX}{}/orders/{n}/log",
        checked_run_id(run_id)?
    ))
}

/// `runs/{run_id}/orders/{n}/bundle.age`: order n's secret variables, encrypted with age to the
/// run's key.
pub fn order_bundle_key(run_id: &str, n: usize) -> Result<String, LayoutError> {
    Ok(format!(
        "{RUNS_PREFIX}{}/orders/{n}/bundle.age",
        checked_run_id(run_id)?
    ))
}

/// `runs/{run_id}/orders/{n}/bundle.json`: the manifest of order n's bundle (variable names).
pub fn order_bundle_manifest_key(run_id: &str, n: usize) -> Result<String, LayoutError> {
    Ok(format!(
        "{RUNS_PREFIX}{}/orders/{n}/bundle.json",
        checked_run_id(run_id)?
    ))
}

/// `runs/{run_id}/orders/`, with the trailing slash.
pub fn run_orders_prefix(run_id: &str) -> Result<String, LayoutError> {
    Ok(format!("{RUNS_PREFIX}{}/orders/", checked_run_id(run_id)?))
}

/// `runs/{run_id}/events/`, with the trailing slash.
pub fn run_events_prefix(run_id: &str) -> Result<String, LayoutError> {
    Ok(format!("{RUNS_PREFIX}{}/events/", checked_run_id(run_id)?))
}

/// `runs/{run_id}/events/{seq:010}.json`: one entry of the run's append-only event log. The
/// number is zero-padded so that key order is event order.
pub fn run_event_key(run_id: &str, seq: u64) -> Result<String, LayoutError> {
    Ok(format!(
        "{RUNS_PREFIX}{}/events/{seq:010}.json",
        checked_run_id(run_id)?
    ))
}

// === API tokens ===

/// `access/tokens/{id}.json`: one API token's record. `id` is a token id (12 lowercase hex
/// digits, see `domain::access::is_token_id`); check it before building a key from user input.
pub fn token_key(id: &str) -> String {
    format!("{TOKENS_PREFIX}{id}.json")
}

/// `access/sessions/{id}.json`: one portal session's record. `id` is a session id (16 lowercase
/// hex digits); check it before building a key from a cookie.
pub fn session_key(id: &str) -> String {
    format!("{SESSIONS_PREFIX}{id}.json")
}

// === Container images ===

/// The image tag of a build: `{name}-{short_sha}`, where `short_sha` is the first
/// [`SHORT_SHA_LEN`] hex digits of `sha`, lowercased. `sha` must be a full commit id (40 hex
/// digits, or 64 for SHA-256 repositories).
pub fn image_tag(name: &EnvName, sha: &str) -> Result<String, LayoutError> {
    let full = matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_hexdigit());
    let short =
        sha.get(..SHORT_SHA_LEN)
            .filter(|_| full)
            .ok_or_else(|| LayoutError::InvalidSha {
                sha: sha.escape_debug().to_string(),
            })?;
    Ok(format!("{name}-{}", short.to_ascii_lowercase()))
}

/// The prefix to list an environment's image tags with (`{name}-`). A listing by prefix also
/// returns other environments' tags (`preview-foo-` matches `preview-foo-bar-1a2b3c4`): filter
/// it with [`image_tag_belongs_to`] before deleting anything.
pub fn image_tag_prefix(name: &EnvName) -> String {
    format!("{name}-")
}

/// Whether `tag` is an image of environment `name`: exactly `{name}-` followed by 7 to 40
/// lowercase hex digits. So `preview-foo` does not own `preview-foo-bar-1a2b3c4`, and every tag
/// belongs to at most one environment (see [`image_tag_env`]).
pub fn image_tag_belongs_to(tag: &str, name: &EnvName) -> bool {
    tag.strip_prefix(name.as_str())
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(is_short_sha)
}

/// The one environment an image tag belongs to, if any.
pub fn image_tag_env(tag: &str) -> Option<EnvName> {
    let (name, sha) = tag.rsplit_once('-')?;
    if !is_short_sha(sha) {
        return None;
    }
    EnvName::parse(name).ok()
}

/// The repository of an ECR image URI (`{account}.dkr.ecr.{region}.amazonaws.com/{repo}:{tag}`
/// or `…@sha256:…`); `None` for any other image (`nginx:alpine`, another registry).
pub fn ecr_repository_of(image: &str) -> Option<&str> {
    let (host, rest) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    let ecr = [parts.next()?, parts.next()?];
    let _region = parts.next()?;
    let tail: Vec<&str> = parts.collect();
    let is_ecr = account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && ecr == ["dkr", "ecr"]
        && matches!(
            tail.as_slice(),
            ["amazonaws", "com"] | ["amazonaws", "com", "cn"]
        );
    if !is_ecr {
        return None;
    }
    let repo = rest.split(['@', ':']).next()?;
    (!repo.is_empty()).then_some(repo)
}

fn is_short_sha(s: &str) -> bool {
    (SHORT_SHA_LEN..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

// === AWS resource names ===

/// The CloudWatch log group of the environment's containers: `/ecs/idp-{name}`.
pub fn log_group(name: &EnvName) -> String {
    format!("/ecs/idp-{name}")
}

/// The ECS cluster: `idp-{name}-cluster`.
pub fn ecs_cluster(name: &EnvName) -> String {
    format!("idp-{name}-cluster")
}

/// The ECS service: `idp-{name}-service`.
pub fn ecs_service(name: &EnvName) -> String {
    format!("idp-{name}-service")
}

/// The application load balancer: `idp-{name}-alb`, cut with a hash to 32 characters
/// ([`EnvName::aws_name`]).
pub fn alb_name(name: &EnvName) -> String {
    name.aws_name("alb", ALB_NAME_MAX)
}

/// The target group: `idp-{name}-tg`, cut with a hash to 32 characters.
pub fn target_group_name(name: &EnvName) -> String {
    name.aws_name("tg", ALB_NAME_MAX)
}

/// The RDS instance identifier: `idp-{name}-postgres` (at most 53 characters, no `--`).
pub fn rds_identifier(name: &EnvName) -> String {
    name.aws_name("postgres", RDS_IDENTIFIER_MAX)
}

/// The ECS task execution role: `idp-{name}-ecs-task-execution` (at most 63 characters).
pub fn task_execution_role(name: &EnvName) -> String {
    name.aws_name("ecs-task-execution", IAM_ROLE_MAX)
}

/// The ECS task role: `idp-{name}-ecs-task`.
pub fn task_role(name: &EnvName) -> String {
    name.aws_name("ecs-task", IAM_ROLE_MAX)
}

/// The role EventBridge assumes to start a scheduled task: `idp-{name}-events-ecs-role`.
pub fn events_role(name: &EnvName) -> String {
    name.aws_name("events-ecs-role", IAM_ROLE_MAX)
}

/// The EventBridge rule of a scheduled worker: `idp-{name}-scheduled-task`.
pub fn schedule_rule(name: &EnvName) -> String {
    name.aws_name("scheduled-task", EVENT_RULE_MAX)
}

/// The DNS label of the environment: the name itself (at most 40 characters).
pub fn dns_label(name: &EnvName) -> &str {
    name.as_str()
}

/// The host name of the environment under the preview domain: `{name}.{domain}`.
pub fn hostname(name: &EnvName, domain: &str) -> String {
    format!("{name}.{}", domain.trim_matches('.'))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn env(s: &str) -> EnvName {
        EnvName::parse(s).unwrap()
    }

    const SHA: &str = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";

    #[test]
    fn the_repository_of_an_ecr_image_is_found_and_others_are_not() {
        let uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mini-idp-preview:preview-x-1a2b3c4";
        assert_eq!(ecr_repository_of(uri), Some("mini-idp-preview"));
        assert_eq!(
            ecr_repository_of("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app@sha256:ab"),
            Some("team/app")
        );
        for other in [
            "nginx:alpine",
            "ghcr.io/o/r:1",
            "evil.dkr.ecr.us-east-1.amazonaws.com/x:1",
            "123456789012.dkr.ecr.us-east-1.example.com/x:1",
        ] {
            assert_eq!(ecr_repository_of(other), None, "{other}");
        }
    }

    #[test]
    fn state_keys_follow_the_documented_layout() {
        let n = env("preview-foo");
        assert_eq!(env_prefix(&n), "environments/preview-foo/");
        assert_eq!(
            state_key(&n, None),
            "environments/preview-foo/terraform.tfstate"
        );
        assert_eq!(metadata_key(&n), "environments/preview-foo/metadata.json");
        assert_eq!(
            outputs_key(&n, None),
            "environments/preview-foo/outputs.json"
        );
        assert_eq!(tfvars_key(&n, None), "environments/preview-foo/tfvars.json");
        let r = Region::parse("eu-west-1").unwrap();
        assert_eq!(
            state_key(&n, Some(&r)),
            "environments/preview-foo/eu-west-1/terraform.tfstate"
        );
        assert_eq!(
            outputs_key(&n, Some(&r)),
            "environments/preview-foo/eu-west-1/outputs.json"
        );
        assert_eq!(
            tfvars_key(&n, Some(&r)),
            "environments/preview-foo/eu-west-1/tfvars.json"
        );
        // A region-scoped environment's objects are under its prefix: its cleanup and the
        // record listing see them, and the record stays one per name.
        assert!(state_key(&n, Some(&r)).starts_with(&env_prefix(&n)));
        assert_eq!(env_of_key(&state_key(&n, Some(&r))), Some(n.clone()));
    }

    #[test]
    fn an_environment_prefix_does_not_match_a_longer_name() {
        let foo = env("preview-foo");
        let foobar = env("preview-foo-bar");
        assert!(!state_key(&foobar, None).starts_with(&env_prefix(&foo)));
        assert!(state_key(&foo, None).starts_with(&env_prefix(&foo)));
    }

    #[test]
    fn the_index_key_is_never_an_environment() {
        assert_eq!(env_of_key(INDEX_KEY), None);
        assert_eq!(
            env_of_key(&format!("{PENDING_PREFIX}preview-foo/new.1")),
            None
        );
        assert!(EnvName::parse("_index.json").is_err());
        assert_eq!(
            env_of_key("environments/preview-foo/metadata.json"),
            Some(env("preview-foo"))
        );
        assert_eq!(
            env_of_key("environments/preview-foo/"),
            Some(env("preview-foo"))
        );
        assert_eq!(env_of_key("runs/x/done"), None);
        assert_eq!(env_of_key(&token_key("0123456789ab")), None);
        assert_eq!(env_of_key("environments/Bad_Name/metadata.json"), None);
    }

    #[test]
    fn token_keys_follow_the_documented_layout_outside_environments() {
        assert_eq!(token_key("0123456789ab"), "access/tokens/0123456789ab.json");
        assert!(token_key("0123456789ab").starts_with(TOKENS_PREFIX));
        assert!(!TOKENS_PREFIX.starts_with(ENVIRONMENTS_PREFIX));
        assert!(!ENVIRONMENTS_PREFIX.starts_with(TOKENS_PREFIX));
        assert_eq!(
            session_key("0123456789abcdef"),
            "access/sessions/0123456789abcdef.json"
        );
        assert!(!SESSIONS_PREFIX.starts_with(ENVIRONMENTS_PREFIX));
    }

    #[test]
    fn regions_are_validated() {
        for ok in ["us-east-1", "us-gov-west-1", "ap-southeast-2"] {
            assert!(Region::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "US-EAST-1", "us/east", "../x", "us-east-1-", "1us"] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Region::parse("us/east").unwrap_err().to_string(),
            "region `us/east` is not valid: use an AWS region code such as `us-east-1`"
        );
    }

    #[test]
    fn lock_ids_match_the_tofu_s3_backend() {
        let key = state_key(&env("preview-foo"), None);
        assert_eq!(
            lock_id("bucket", &key),
            "bucket/environments/preview-foo/terraform.tfstate"
        );
        assert_eq!(
            digest_lock_id("bucket", &key),
            "bucket/environments/preview-foo/terraform.tfstate-md5"
        );
    }

    #[test]
    fn run_keys_follow_the_documented_layout_and_refuse_escaping_ids() {
        assert_eq!(run_prefix("r-1").unwrap(), "runs/r-1/");
        assert_eq!(
            order_result_key("r-1", 3).unwrap(),
            "runs/r-1/orders/3/result.json"
        );
        assert_eq!(run_done_key("r-1").unwrap(), "runs/r-1/done");
        assert_eq!(
            run_event_key("r-1", 7).unwrap(),
            "runs/r-1/events/0000000007.json"
        );
        assert_eq!(
            order_state_key("r-1", 2).unwrap(),
            "runs/r-1/orders/2/state.json"
        );
        assert!(run_job_key("../x").is_err());
        for bad in ["", "../x", "a/b", "-x", &"a".repeat(65)] {
            assert!(run_done_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn image_tags_use_seven_hex_digits_of_a_full_sha() {
        let n = env("preview-foo");
        assert_eq!(image_tag(&n, SHA).unwrap(), "preview-foo-1a2b3c4");
        assert_eq!(
            image_tag(&n, &SHA.to_ascii_uppercase()).unwrap(),
            "preview-foo-1a2b3c4"
        );
        for bad in [
            "",
            "1a2b3c4",
            "zz2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
            "ä",
        ] {
            assert!(image_tag(&n, bad).is_err(), "{bad}");
        }
        assert_eq!(
            image_tag(&n, "1a2b3c4").unwrap_err().to_string(),
            "commit `1a2b3c4` is not a full commit id: pass the 40 (or 64) hex digit sha, e.g. `github.sha`"
        );
    }

    #[test]
    fn a_tag_belongs_to_exactly_one_environment() {
        let foo = env("preview-foo");
        let foobar = env("preview-foo-bar");
        assert!(image_tag_belongs_to("preview-foo-1a2b3c4", &foo));
        assert!(image_tag_belongs_to(&format!("preview-foo-{SHA}"), &foo));
        assert!(!image_tag_belongs_to("preview-foo-bar-1a2b3c4", &foo));
        assert!(image_tag_belongs_to("preview-foo-bar-1a2b3c4", &foobar));
        assert!(
            !image_tag_belongs_to("preview-foo-1a2b3c", &foo),
            "too short"
        );
        assert!(
            !image_tag_belongs_to("preview-foo-1A2B3C4", &foo),
            "upper case"
        );
        assert!(!image_tag_belongs_to("preview-foo", &foo));
        assert!(!image_tag_belongs_to("preview-foobar-1a2b3c4", &foo));
        assert_eq!(image_tag_env("preview-foo-bar-1a2b3c4"), Some(foobar));
        assert_eq!(image_tag_env("latest"), None);
        assert!("preview-foo-bar-1a2b3c4".starts_with(&image_tag_prefix(&foo)));
    }

    #[test]
    fn resource_names_follow_the_seed() {
        let n = env("preview-payment-api");
        assert_eq!(log_group(&n), "/ecs/idp-preview-payment-api");
        assert_eq!(ecs_cluster(&n), "idp-preview-payment-api-cluster");
        assert_eq!(ecs_service(&n), "idp-preview-payment-api-service");
        assert_eq!(alb_name(&n), "idp-preview-payment-api-alb");
        assert_eq!(target_group_name(&n), "idp-preview-payment-api-tg");
        assert_eq!(rds_identifier(&n), "idp-preview-payment-api-postgres");
        assert_eq!(
            task_execution_role(&n),
            "idp-preview-payment-api-ecs-task-execution"
        );
        assert_eq!(task_role(&n), "idp-preview-payment-api-ecs-task");
        assert_eq!(events_role(&n), "idp-preview-payment-api-events-ecs-role");
        assert_eq!(schedule_rule(&n), "idp-preview-payment-api-scheduled-task");
        assert_eq!(dns_label(&n), "preview-payment-api");
        assert_eq!(
            hostname(&n, "preview.example.com."),
            "preview-payment-api.preview.example.com"
        );
    }

    proptest! {
        #[test]
        fn every_image_tag_of_an_environment_belongs_to_it_alone(
            name in "[a-z][a-z0-9]{1,10}(-[a-z0-9]{1,8}){0,3}",
            sha in "[0-9a-f]{40}",
        ) {
            let n = env(&name);
            let tag = image_tag(&n, &sha).unwrap();
            prop_assert!(image_tag_belongs_to(&tag, &n));
            prop_assert_eq!(image_tag_env(&tag), Some(n.clone()));
            let longer = env(&format!("{name}-x"));
            prop_assert!(!image_tag_belongs_to(&image_tag(&longer, &sha).unwrap(), &n));
        }

        #[test]
        fn every_branch_gives_names_within_aws_limits(branch in any::<String>()) {
            if let Ok(n) = EnvName::from_branch(&branch) {
                prop_assert!(alb_name(&n).len() <= ALB_NAME_MAX);
                prop_assert!(target_group_name(&n).len() <= ALB_NAME_MAX);
                prop_assert!(rds_identifier(&n).len() <= RDS_IDENTIFIER_MAX);
                prop_assert!(!rds_identifier(&n).contains("--"));
                prop_assert!(task_execution_role(&n).len() <= IAM_ROLE_MAX);
                prop_assert!(events_role(&n).len() <= IAM_ROLE_MAX);
                prop_assert!(schedule_rule(&n).len() <= EVENT_RULE_MAX);
                prop_assert!(dns_label(&n).len() <= DNS_LABEL_MAX);
                prop_assert!(image_tag(&n, &"a".repeat(40)).unwrap().len() <= 128);
            }
        }
    }
}
