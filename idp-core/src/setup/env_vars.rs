//! Every environment variable idp reads, declared once with its meaning.
//!
//! Frontends and adapters read the environment only through these names. [`EnvVars::ALL`] lists
//! each with its description; the README's environment-variable reference is checked against it,
//! so a variable cannot be added without being documented.
#![allow(
    clippy::disallowed_methods,
    reason = "this module is the one place that reads the environment"
)]

/// Declares the constants of [`EnvVars`] and [`EnvVars::ALL`] from one list, so the name and
/// the description of a variable are written once.
macro_rules! env_vars {
    ($($(#[doc = $doc:literal])+ $name:ident,)+) => {
        impl EnvVars {
            $(
                $(#[doc = $doc])+
                pub const $name: &'static str = stringify!($name);
            )+

            /// Every variable as `(name, description)`, in the order of the reference table.
            pub const ALL: &'static [(&'static str, &'static str)] = &[
                $((stringify!($name), concat!($($doc),+)),)+
            ];
        }
    };
}

/// The names of the environment variables idp reads.
pub struct EnvVars;

env_vars! {
    /// The backend: `local` (default) or `aws` (setting `backend`, flag `--backend`).
    IDP_BACKEND,
    /// The directory of the local backend's state (setting `stateDir`).
    IDP_STATE_DIR,
    /// The S3 bucket of the AWS backend (setting `aws.stateBucket`).
    IDP_STATE_BUCKET,
    /// The DynamoDB lock table of the AWS backend (setting `aws.lockTable`).
    IDP_LOCK_TABLE,
    /// The AWS region (setting `aws.region`).
    IDP_REGION,
    /// An AWS endpoint override: S3/DynamoDB-compatible services, moto in tests (setting
    /// `aws.endpointUrl`).
    IDP_ENDPOINT_URL,
    /// The AWS credentials profile, else the SDK's credential chain (setting `aws.profile`).
    AWS_PROFILE,
    /// The ECR repository of preview images; default `idp-preview` (setting `aws.ecrRepo`).
    IDP_ECR_REPOSITORY,
    /// The directory of OpenTofu templates; default `infrastructure/templates` (setting
    /// `aws.templatesDir`).
    IDP_TEMPLATES_DIR,
    /// Teams' own templates directories, `:`-separated, searched after the platform's
    /// (setting `aws.teamTemplatesDirs`).
    IDP_TEAM_TEMPLATES_DIRS,
    /// The OpenTofu (or Terraform) binary; default `tofu` (setting `aws.tofu`).
    IDP_TOFU,
    /// The ACM certificate of the preview HTTPS listeners; unset: HTTP only (setting
    /// `aws.acmCertificateArn`).
    IDP_ACM_CERTIFICATE_ARN,
    /// The Route 53 hosted zone of the preview domain; unset: no DNS record (setting
    /// `aws.route53ZoneId`).
    IDP_ROUTE53_ZONE_ID,
    /// The preview domain: environments answer at `<name>.<domain>`; unset: the load
    /// balancer's own name (setting `aws.previewDomain`).
    IDP_PREVIEW_DOMAIN,
    /// The bucket receiving the load balancers' access logs; unset: no access logs (setting
    /// `aws.albAccessLogsBucket`).
    IDP_ALB_ACCESS_LOGS_BUCKET,
    /// The `idp:cost-center` tag of every resource; default `engineering` (setting
    /// `aws.costCenter`).
    IDP_COST_CENTER,
    /// `true`: an environment's own VPC gets one NAT gateway per availability zone; default
    /// `false`, one NAT gateway (setting `aws.natGatewayPerAz`).
    IDP_NAT_GATEWAY_PER_AZ,
    /// `true`: an environment's own VPC sends its flow logs to CloudWatch Logs; default `false`
    /// (setting `aws.vpcFlowLogs`).
    IDP_VPC_FLOW_LOGS,
    /// `true`: `api-service` and `api-database` environments are served through the shared
    /// load balancer (`shared/preview-ingress`); default `false`, one load balancer each
    /// (setting `aws.useSharedIngress`).
    IDP_USE_SHARED_INGRESS,
    /// The Secrets Manager ARN patterns a repository's environments may reference, separated
    /// by commas; `{owner}`/`{repo}` stand for the repository; default
    /// `arn:aws:secretsmanager:*:*:secret:idp/{owner}/{repo}/*` (setting `aws.secretPatterns`).
    IDP_SECRET_PATTERNS,
    /// The permissions boundary of every IAM role an environment creates, e.g.
    /// `arn:aws:iam::123456789012:policy/idp-boundary-{owner}+{repo}`; unset: none (setting
    /// `aws.permissionsBoundary`).
    IDP_PERMISSIONS_BOUNDARY,
    /// ACM certificates of the preview domain in other regions, separated by commas, one per
    /// region, e.g. `arn:aws:acm:eu-west-1:123456789012:certificate/ID` (setting
    /// `aws.regionalCertificates`).
    IDP_REGIONAL_CERTIFICATES,
    /// The SNS topic the environments' CloudWatch alarms notify on alarm and on recovery, e.g.
    /// `arn:aws:sns:eu-west-1:123456789012:idp-alarms`; unset: the alarms only change state
    /// (setting `aws.alarmTopicArn`).
    IDP_ALARM_TOPIC_ARN,
    /// The `owner/name` repository whose workflows `--via-github` dispatches (setting
    /// `github.repo`).
    IDP_GITHUB_REPO,
    /// The shortest TTL an environment may be given; default `1h` (setting `ttl.min`).
    IDP_TTL_MIN,
    /// The longest TTL an environment may be given or extended to; default `30d` (setting
    /// `ttl.max`).
    IDP_TTL_MAX,
    /// The settings file; default `$XDG_CONFIG_HOME/idp/config.toml`.
    IDP_CONFIG_FILE,
    /// The file the GitHub token is kept in; setting it forces the file store.
    IDP_CREDENTIALS_FILE,
    /// The credential store of the GitHub token: `keyring` or `file`; default: the OS store
    /// where there is one.
    IDP_CREDENTIAL_STORE,
    /// The output format of `idp`: `human` (default) or `json` (flag `--output`).
    IDP_OUTPUT,
    /// The log filter of `idp`, in `tracing` syntax, e.g. `idp_core=debug`; default `warn`.
    IDP_LOG,
    /// The secret GitHub signs webhook deliveries to `idp serve` with (`X-Hub-Signature-256`);
    /// unset: the webhook route answers 503.
    IDP_WEBHOOK_SECRET,
    /// The HS256 secret of the JWTs `idp serve` accepts as bearer tokens and as `credentials_token`;
    /// unset: JWTs are refused.
    IDP_JWT_SECRET,
    /// The client secret of the GitHub OAuth App `idp serve` signs portal users in with (with
    /// `--github-client-id`); unset: signing in with GitHub is off.
    IDP_GITHUB_CLIENT_SECRET,
    /// The environment an `idp-action` step works on when `--name` is not given (the `setup`
    /// step's `environment` output).
    IDP_ENVIRONMENT,
    /// The image `idp-action setup` deploys, when the workflow built one (flag `--image`).
    IDP_IMAGE,
    /// The moto endpoint the AWS test suites run against.
    IDP_TEST_AWS_ENDPOINT,
    /// An `idp` binary for the end-to-end suites and scripts, instead of the one the workspace
    /// builds.
    IDP_BIN,
    /// An `idp-action` binary for the end-to-end suites, instead of the one the workspace
    /// builds.
    IDP_ACTION_BIN,
    /// Set: the API suite writes the OpenAPI document the code generates to
    /// `idp-server/openapi.json` instead of only comparing it.
    IDP_UPDATE_OPENAPI,
    /// Set by CI systems; makes skipped AWS suites fail instead.
    CI,
    /// Disables colours.
    NO_COLOR,
    /// The GitHub user that triggered a workflow run: the actor of changes made in a workflow.
    GITHUB_ACTOR,
    /// The GitHub REST API base URL (GitHub Enterprise Server: `https://HOST/api/v3`);
    /// default `https://api.github.com`.
    GITHUB_API_URL,
    /// The GitHub token: in a workflow, the one pull-request comments and commit statuses are
    /// written with; for `--via-github`, wins over the stored token after `GH_TOKEN`.
    GITHUB_TOKEN,
    /// The GitHub token of `--via-github`, before `GITHUB_TOKEN` and the stored token (the `gh`
    /// CLI's variable).
    GH_TOKEN,
    /// The name of the event a workflow runs for (set by GitHub Actions).
    GITHUB_EVENT_NAME,
    /// The file holding the event's payload (set by GitHub Actions).
    GITHUB_EVENT_PATH,
    /// The file a step's outputs are appended to (set by GitHub Actions); unset: outputs are
    /// printed as JSON.
    GITHUB_OUTPUT,
    /// The file a step's Markdown summary is appended to (set by GitHub Actions).
    GITHUB_STEP_SUMMARY,
    /// A per-job scratch directory (set by GitHub Actions): tfvars files and OpenTofu's data
    /// directories of `idp-action` go there.
    RUNNER_TEMP,
    /// The login name of the local user: the actor outside a workflow.
    USER,
    /// The base directory of user data files (XDG): the local backend's state is in its `idp`.
    XDG_DATA_HOME,
    /// The base directory of user configuration files (XDG): the settings file is in its `idp`.
    XDG_CONFIG_HOME,
    /// The user's home directory.
    HOME,
}

impl EnvVars {
    /// The description of variable `name`, if idp reads it.
    pub fn describe(name: &str) -> Option<&'static str> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, d)| d.trim())
    }

    /// The Markdown reference table of [`EnvVars::ALL`] (what the README shows).
    pub fn markdown_table() -> String {
        let mut table = String::from("| variable | meaning |\n|---|---|\n");
        for (name, doc) in Self::ALL {
            let doc = doc.split_whitespace().collect::<Vec<_>>().join(" ");
            table.push_str(&format!("| `{name}` | {} |\n", doc.replace('|', "\\|")));
        }
        table
    }
}

/// Who is acting: `$GITHUB_ACTOR` in a workflow, else `$USER`, else `idp`.
pub fn actor() -> String {
    get(EnvVars::GITHUB_ACTOR)
        .or_else(|| get(EnvVars::USER))
        .unwrap_or_else(|| "idp".to_owned())
}

/// The local backend's default state directory: `$XDG_DATA_HOME/idp`, else
/// `$HOME/.local/share/idp`, else `./.idp-state`.
pub fn default_state_dir() -> std::path::PathBuf {
    if let Some(data) = get(EnvVars::XDG_DATA_HOME) {
        return std::path::Path::new(&data).join("idp");
    }
    match get(EnvVars::HOME) {
        Some(home) => std::path::Path::new(&home).join(".local/share/idp"),
        None => std::path::PathBuf::from(".idp-state"),
    }
}

/// The value of an environment variable, if set and valid UTF-8 and not empty.
pub fn get(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::EnvVars;

    /// The README's reference table, between its markers.
    fn readme_table() -> String {
        let readme = include_str!("../../../README.md");
        let start = "<!-- env-vars:start -->\n";
        let end = "<!-- env-vars:end -->";
        let from = readme
            .find(start)
            .expect("README has the env-vars:start marker")
            + start.len();
        let to = readme[from..]
            .find(end)
            .expect("README has the env-vars:end marker");
        readme[from..from + to].to_owned()
    }

    #[test]
    fn the_readme_table_lists_every_variable_with_its_description() {
        let expected = EnvVars::markdown_table();
        assert_eq!(
            readme_table(),
            expected,
            "README.md's environment-variable table differs from EnvVars::ALL; replace the table between the markers with:\n{expected}"
        );
    }

    #[test]
    fn every_variable_is_listed_once_and_described() {
        let mut names: Vec<&str> = EnvVars::ALL.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "a variable is declared twice");
        assert!(EnvVars::ALL.iter().all(|(_, d)| d.trim().len() > 10));
        assert_eq!(
            EnvVars::describe(EnvVars::IDP_PREVIEW_DOMAIN)
                .map(|d| d.starts_with("The preview domain")),
            Some(true)
        );
    }
}
