//! Command-line arguments (clap derive only; no behaviour).
//! Long because every command's help text lives here, next to its arguments, so `--help` is read
//! in one place.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use idp_core::setup::env_vars::EnvVars;

/// Exit codes, shown under `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  failure (a backend or the environment failed)
  2  invalid input (bad config, name, TTL or arguments)
  3  not found
  4  conflict (lock held, branch collision, concurrent change)
  5  over budget (a new environment would pass its team's or owner's monthly budget)

  6  approval required (an admin runs `idp approve`, then run the command again)
  7  secret not allowed (the config references a secret outside the repository's allow-list)";

/// idp — preview environments and infrastructure runs for AWS teams.
///
/// Every push to a branch gets its own running copy of the app; it is redeployed on every push,
/// extended while work goes on, and destroyed when the pull request closes or its TTL runs out.
#[derive(Debug, Parser)]
#[command(name = "idp", version, about, long_about, after_help = EXIT_CODES_HELP)]
pub(crate) struct Cli {
    /// Output format: `human` (tables and messages) or `json` (one JSON document on stdout).
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Human, env = EnvVars::IDP_OUTPUT)]
    pub(crate) output: Output,

    /// Where state lives: `local` (a directory, the default; no AWS account needed) or `aws`
    /// [env: IDP_BACKEND] [setting: backend] [default: local].
    #[arg(long, global = true, value_enum)]
    pub(crate) backend: Option<BackendKind>,

    /// The local backend's state directory [env: IDP_STATE_DIR] [setting: stateDir]
    /// [default: `$XDG_DATA_HOME/idp`, else `~/.local/share/idp`].
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) state_dir: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) aws: AwsArgs,

    /// The `owner/name` repository whose workflows `--via-github` dispatches
    /// [env: IDP_GITHUB_REPO] [setting: github.repo].
    #[arg(
        long,
        global = true,
        value_name = "OWNER/NAME",
        help_heading = "GitHub"
    )]
    pub(crate) repo: Option<String>,

    /// The shortest TTL `create` and `extend` accept [env: IDP_TTL_MIN] [setting: ttl.min]
    /// [default: 1h].
    #[arg(long, global = true, value_name = "TTL", help_heading = "TTL policy")]
    pub(crate) ttl_min: Option<String>,
    /// The longest TTL `create` and `extend` accept [env: IDP_TTL_MAX] [setting: ttl.max]
    /// [default: 30d].
    #[arg(long, global = true, value_name = "TTL", help_heading = "TTL policy")]
    pub(crate) ttl_max: Option<String>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Where the AWS backend keeps state (used with `--backend aws`).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "AWS backend")]
pub(crate) struct AwsArgs {
    /// The S3 bucket holding environment state [env: IDP_STATE_BUCKET] [setting: aws.stateBucket].
    #[arg(long, global = true, value_name = "BUCKET")]
    pub(crate) state_bucket: Option<String>,
    /// The DynamoDB table of leases and OpenTofu locks (partition key `LockID`)
    /// [env: IDP_LOCK_TABLE] [setting: aws.lockTable].
    #[arg(long, global = true, value_name = "TABLE")]
    pub(crate) lock_table: Option<String>,
    /// The AWS region [env: IDP_REGION] [setting: aws.region].
    #[arg(long, global = true, value_name = "REGION")]
    pub(crate) region: Option<String>,
    /// An endpoint override (S3/DynamoDB-compatible services, a local AWS double)
    /// [env: IDP_ENDPOINT_URL] [setting: aws.endpointUrl].
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// The AWS profile for credentials, else the standard credential chain
    /// [env: AWS_PROFILE] [setting: aws.profile].
    #[arg(long, global = true, value_name = "PROFILE")]
    pub(crate) profile: Option<String>,
    /// The ECR repository holding preview images [env: IDP_ECR_REPOSITORY] [setting: aws.ecrRepo]
    /// [default: idp-preview].
    #[arg(long, global = true, value_name = "REPO")]
    pub(crate) ecr_repository: Option<String>,
    /// The directory of OpenTofu templates, one root module each
    /// [env: IDP_TEMPLATES_DIR] [setting: aws.templatesDir] [default: infrastructure/templates].
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) templates_dir: Option<PathBuf>,
    /// Teams' own templates directories, `:`-separated, searched after the platform's
    /// [env: IDP_TEAM_TEMPLATES_DIRS] [setting: aws.teamTemplatesDirs].
    #[arg(long, global = true, value_name = "DIRS")]
    pub(crate) team_templates_dirs: Option<String>,
    /// The OpenTofu (or Terraform) binary [env: IDP_TOFU] [setting: aws.tofu] [default: tofu].
    #[arg(long, global = true, value_name = "PROGRAM")]
    pub(crate) tofu: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) templates: TemplateInputArgs,
}

/// The inputs every environment's template receives (AWS templates with an endpoint).
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Template inputs (AWS backend)")]
pub(crate) struct TemplateInputArgs {
    /// The ACM certificate of the preview HTTPS listeners; unset: HTTP only
    /// [env: IDP_ACM_CERTIFICATE_ARN] [setting: aws.acmCertificateArn].
    #[arg(long, global = true, value_name = "ARN")]
    pub(crate) acm_certificate_arn: Option<String>,
    /// The Route 53 hosted zone of the preview domain; unset: no DNS record
    /// [env: IDP_ROUTE53_ZONE_ID] [setting: aws.route53ZoneId].
    #[arg(long, global = true, value_name = "ZONE_ID")]
    pub(crate) route53_zone_id: Option<String>,
    /// The preview domain: environments answer at `<name>.<domain>`; unset: the load
    /// balancer's own name [env: IDP_PREVIEW_DOMAIN] [setting: aws.previewDomain].
    #[arg(long, global = true, value_name = "DOMAIN")]
    pub(crate) preview_domain: Option<String>,
    /// The bucket receiving the load balancers' access logs; unset: no access logs
    /// [env: IDP_ALB_ACCESS_LOGS_BUCKET] [setting: aws.albAccessLogsBucket].
    #[arg(long, global = true, value_name = "BUCKET")]
    pub(crate) alb_access_logs_bucket: Option<String>,
    /// The `idp:cost-center` tag of every resource [env: IDP_COST_CENTER]
    /// [setting: aws.costCenter] [default: engineering].
    #[arg(long, global = true, value_name = "TAG")]
    pub(crate) cost_center: Option<String>,
    /// An environment's own VPC gets one NAT gateway per availability zone (resilient, about
    /// $0.045/h more per zone) instead of one [env: IDP_NAT_GATEWAY_PER_AZ]
    /// [setting: aws.natGatewayPerAz] [default: false].
    #[arg(long, global = true, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub(crate) nat_gateway_per_az: Option<bool>,
    /// An environment's own VPC sends its flow logs to CloudWatch Logs
    /// [env: IDP_VPC_FLOW_LOGS] [setting: aws.vpcFlowLogs] [default: false].
    #[arg(long, global = true, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub(crate) vpc_flow_logs: Option<bool>,
    /// `api-service` and `api-database` environments are served through the shared load
    /// balancer (`shared/preview-ingress`) instead of one each [env: IDP_USE_SHARED_INGRESS]
    /// [setting: aws.useSharedIngress] [default: false].
    #[arg(long, global = true, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub(crate) use_shared_ingress: Option<bool>,
    /// The Secrets Manager ARN patterns a repository's environments may reference, separated
    /// by commas; `{owner}`/`{repo}` stand for the repository [env: IDP_SECRET_PATTERNS]
    /// [setting: aws.secretPatterns]
    /// [default: arn:aws:secretsmanager:*:*:secret:idp/{owner}/{repo}/*].
    #[arg(long, global = true, value_name = "PATTERNS")]
    pub(crate) secret_patterns: Option<String>,
    /// The permissions boundary of every IAM role an environment creates, `{owner}`/`{repo}`
    /// standing for its repository; unset: none [env: IDP_PERMISSIONS_BOUNDARY]
    /// [setting: aws.permissionsBoundary].
    #[arg(long, global = true, value_name = "ARN")]
    pub(crate) permissions_boundary: Option<String>,
    /// ACM certificates of the preview domain in other regions than `--acm-certificate-arn`'s,
    /// separated by commas, one per region: an environment created in a region uses the one
    /// there [env: IDP_REGIONAL_CERTIFICATES] [setting: aws.regionalCertificates].
    #[arg(long, global = true, value_name = "ARNS")]
    pub(crate) regional_certificates: Option<String>,
    /// The SNS topic the environments' CloudWatch alarms notify on alarm and on recovery;
    /// unset: the alarms only change state [env: IDP_ALARM_TOPIC_ARN]
    /// [setting: aws.alarmTopicArn].
    #[arg(long, global = true, value_name = "ARN")]
    pub(crate) alarm_topic_arn: Option<String>,
}

/// Which backend holds state and runs environments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BackendKind {
    /// A local directory; environments run as local processes.
    Local,
    /// S3 + DynamoDB + ECS + CloudWatch Logs + ECR, applied with OpenTofu.
    Aws,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// Human-readable text.
    Human,
    /// One JSON document with stable field names.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create an environment and wait until it answers.
    ///
    /// Reads `.idp/config.yml` (or `--config`) for the template, sizes and, on the local
    /// backend, `local.command`. Example:
    /// `idp create --name demo --config examples/app/.idp/config.yml --ttl 2h --yes`
    Create(CreateArgs),
    /// Destroy an environment and clean up its state, images and locks.
    Destroy(DestroyArgs),
    /// Approve an environment whose template needs approval (an admin's decision), after which
    /// `idp create` of it proceeds. Who, when and why are kept in its record (`idp status`).
    ///
    /// Example: `idp approve demo --reason "load test for INC-42"`
    Approve(ApproveArgs),
    /// Give an environment more time: the new expiry is the later of now and the current
    /// expiry, plus TTL. `created_at` never changes.
    Extend(ExtendArgs),
    /// List environments (destroyed ones only with `--all`).
    ///
    /// Every record is a row: records of the original platform are marked `(legacy)`, and a
    /// record idp cannot read is a row with status `unreadable` (in JSON:
    /// `{"name", "status": "unreadable", "kind": "unreadable_record", "key", "error"}`); exit 0
    /// unless `--strict`. The one write a list may make: when the environment index is missing
    /// or stale, it is written back, so the next list costs two requests again.
    List(ListArgs),
    /// Show an environment's record, expiry and live health.
    Status(NameArg),
    /// Print an environment's logs.
    Logs(LogsArgs),
    /// Break a stuck lease and OpenTofu state lock of an environment (shows the holder first).
    Unlock(UnlockArgs),
    /// Destroy expired environments and retry destroys stuck for more than 2 hours.
    ///
    /// Records that cannot be read are listed in the summary and in JSON (`unreadable`), since
    /// the sweep cannot tell whether they are due. `--dry-run` writes nothing at all.
    Sweep(SweepArgs),
    /// Run a command beside an environment's running app and exit with its exit code.
    ///
    /// Local backend: in the app's working directory with its `PORT`, `IDP_ENVIRONMENT` and
    /// `IDP_ENDPOINT`. AWS: in a running task of the environment's ECS service (ExecuteCommand),
    /// which needs the Session Manager plugin on this machine and `enableExecuteCommand` on the
    /// service; the session reports no exit code (idp exits 0 when it ended cleanly). Example:
    /// `idp exec demo -- sh -c 'curl -s localhost:$PORT/health'`
    Exec(ExecArgs),
    /// Convert the records of the original platform to idp's layout, then build the index.
    ///
    /// Each record is written over the version it was read at, so a workflow of the original
    /// platform writing it at the same moment makes idp read it again, never overwrite it.
    /// Re-runnable: records already converted are left alone. Reports, per environment, what
    /// changes, and by field what could not be mapped (kept verbatim). Example:
    /// `idp migrate --dry-run`, then `idp migrate`
    Migrate(MigrateArgs),
    /// List the infrastructure templates: the platform's (`<templates-dir>/*/template.json`),
    /// then each team's (`--team-templates-dirs`); `idp templates new NAME` scaffolds one,
    /// `idp templates check` checks them against the template contract.
    ///
    /// Adding a template is adding a folder: see infrastructure/templates/README.md. Example:
    /// `idp templates new ledger --from api-service --dir teams/payments/templates`
    Templates(TemplatesArgs),
    /// Estimate what an environment costs: from the config and TTL before creating it, or for
    /// an existing environment (`idp cost NAME`) over its lifetime, so far, and as billed by
    /// Cost Explorer this month (aws backend); `--by owner|team|template` groups the month's
    /// spend of every environment; `idp cost export` writes the chargeback report.
    ///
    /// Example: `idp cost --template api-database --ttl 3d`, `idp cost --by team --month 2026-11`
    Cost(CostArgs),
    /// Show the monthly budgets of the platform policy: limit, spend this month, percentage,
    /// remaining and alert thresholds; `idp budgets sync` stores the policy and creates the AWS
    /// budgets.
    ///
    /// Example: `idp budgets sync --policy platform.yml`, then `idp budgets`
    Budgets(BudgetsArgs),
    /// Render the environments dashboard (Markdown `ENVIRONMENTS.md`, or an HTML page).
    ///
    /// Example: `idp dashboard --format html --out environments.html`
    Dashboard(DashboardArgs),
    /// Scaffold a repository: `.idp/config.yml` and `.github/workflows/preview-env.yml`
    /// calling the platform's reusable workflows. Never overwrites without `--force`.
    ///
    /// Example: `idp init --platform-repo acme/idp --ref v1`
    Init(InitArgs),
    /// Read and write the settings file (backend, AWS and GitHub defaults).
    ///
    /// Precedence: flag > environment variable > settings file > default. The file is
    /// `$IDP_CONFIG_FILE`, else `$XDG_CONFIG_HOME/idp/config.toml`, else
    /// `~/.config/idp/config.toml`. Keys: backend, stateDir, aws.stateBucket, aws.lockTable,
    /// aws.region, aws.endpointUrl, aws.profile, aws.ecrRepo, aws.templatesDir, aws.tofu,
    /// aws.acmCertificateArn, aws.route53ZoneId, aws.previewDomain, aws.albAccessLogsBucket,
    /// aws.costCenter, github.repo.
    Config(ConfigArgs),
    /// Store, show or remove the GitHub token used by `--via-github`.
    ///
    /// The token lives in the OS credential store; where there is none (no Secret Service),
    /// in a file readable only by you. `GH_TOKEN` / `GITHUB_TOKEN` win over the stored token.
    Auth(AuthArgs),
    /// Show the environment name a branch maps to, and the AWS names derived from it.
    ///
    /// Example: `idp name feature/payment-api` prints `preview-payment-api`.
    Name(NameArgs),
    /// Check a `.idp/config.yml` file and report every problem with file, line, column and fix.
    ///
    /// Exits 0 when the file is valid (or absent: the defaults apply), 2 when it is not.
    /// Diagnostics go to stderr as `file:line:col: message`.
    Validate(ValidateArgs),
    /// Print the JSON Schema of `.idp/config.yml` (for editors: yaml-language-server, VS Code).
    Schema,
    /// Check and render the teams of the shared cluster (`teams/<team>/team.yaml`): their Argo
    /// CD ApplicationSets, AppProjects and namespaces.
    ///
    /// A team file names the team, its people (`members`: GitHub logins, `groups`: `org/team`
    /// or IdP groups, `viewers`), its quota and default limits, and its apps (Argo CD
    /// Applications `<team>-<app>`). `idp teams validate` reports every problem of every file;
    /// `idp teams render` prints what Argo CD will create. Reference: docs/teams.md. Example:
    /// `idp teams render --dir examples/teams --gitops-repo https://github.com/acme/gitops`
    Teams(TeamsArgs),
    /// Print a shell completion script, e.g. `idp completions bash > /etc/bash_completion.d/idp`.
    Completions(CompletionsArgs),
    /// Run a job file's orders in dependency order; `idp run status|logs|resume ID` for a run.
    ///
    /// Example: `idp run examples/runs/pipeline.yml`. Exits 0 when every order that must succeed
    /// succeeded, 1 when one failed or timed out, 2 when the job file is invalid.
    Run(RunArgs),
    /// Serve the web portal (`/`), the REST API (`/v1`), the GitHub webhook intake and the job
    /// runner's `/init` over HTTP, on the backend the settings select; `idp serve token …`
    /// manages its API tokens.
    ///
    /// Open the address in a browser and sign in with a token (or with GitHub, given
    /// `--github-client-id`). Every API request but `/healthz`, `/readyz`, `/metrics`,
    /// `/v1/openapi.json` and the webhook needs `Authorization: Bearer <token>`: create one with
    /// `idp serve token create --role admin`.
    /// The webhook secret is `IDP_WEBHOOK_SECRET`, the JWT secret `IDP_JWT_SECRET`. Ctrl-C or
    /// SIGTERM stops taking work and waits for running operations (a second one ends at once).
    ///
    /// Example: `idp serve --listen 127.0.0.1:8080`, then
    /// `curl -H "Authorization: Bearer $TOKEN" localhost:8080/v1/environments`
    Serve(ServeArgs),
}

/// Arguments of `idp templates`.
#[derive(Debug, clap::Args)]
pub(crate) struct TemplatesArgs {
    #[command(subcommand)]
    pub(crate) command: Option<TemplatesCommand>,
}

/// The subcommands of `idp templates`.
#[derive(Debug, Subcommand)]
pub(crate) enum TemplatesCommand {
    /// Scaffold a template folder that meets the template contract: the skeleton (the inputs
    /// idp passes, a tagged log group, an `endpoint` output), or a copy of `--from`, with its
    /// `template.json` written from the module. Never overwrites a template of that name.
    New(TemplatesNewArgs),
    /// Check template folders against the template contract (files, backend, provider, tags,
    /// variables, outputs, manifest) and report every problem as `file:line: message`.
    /// Exits 0 when all meet it, 2 when one does not.
    Check(TemplatesCheckArgs),
}

/// Arguments of `idp templates new`.
#[derive(Debug, clap::Args)]
pub(crate) struct TemplatesNewArgs {
    /// The new template's name: 1-64 characters of a-z, 0-9 and `-`, starting with a letter.
    pub(crate) name: String,
    /// Copy this template (from any templates directory) instead of the skeleton.
    #[arg(long, value_name = "TEMPLATE")]
    pub(crate) from: Option<String>,
    /// Where to create it [default: the first team templates directory, else the platform's].
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    /// The manifest's description of what it provisions.
    #[arg(long, value_name = "TEXT")]
    pub(crate) description: Option<String>,
}

/// Arguments of `idp templates check`.
#[derive(Debug, clap::Args)]
pub(crate) struct TemplatesCheckArgs {
    /// The templates to check [default: every template folder of every templates directory].
    pub(crate) names: Vec<String>,
}

/// Arguments of `idp name`.
#[derive(Debug, clap::Args)]
pub(crate) struct NameArgs {
    /// The git branch, e.g. `feature/payment-api`.
    pub(crate) branch: String,
}

/// Arguments of `idp validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// The config file, or a repository directory containing `.idp/config.yml`.
    #[arg(default_value = ".idp/config.yml")]
    pub(crate) path: PathBuf,
}

/// Arguments of `idp teams`.
#[derive(Debug, clap::Args)]
pub(crate) struct TeamsArgs {
    #[command(subcommand)]
    pub(crate) action: TeamsAction,
}

/// What `idp teams` does.
#[derive(Debug, Subcommand)]
pub(crate) enum TeamsAction {
    /// Check every `<dir>/*/team.yaml` and report every problem with file, line, column, key
    /// and fix.
    ///
    /// Each file is checked alone (keys, names, logins, quantities, URLs), then all of them
    /// together (two teams must not generate one Application name). Exits 0 when every file is
    /// valid, 2 when one is not; diagnostics go to stderr as `file:line:col: key `k`: message`
    /// with a `hint:` line, as `idp validate` prints them. Example: `idp teams validate --dir
    /// teams`
    Validate(TeamsDirArg),
    /// Print the Argo CD ApplicationSets and every team's objects as one multi-document YAML
    /// stream (`-o json`: one JSON document with the teams and the objects).
    ///
    /// Without `--team`: the ApplicationSets `team-projects`, `team-namespaces` and `team-apps`
    /// (apply these to Argo CD; they read the team files from `--gitops-repo`), then, per team,
    /// what they generate: the AppProject `team-<name>`, the Namespace `team-<name>` with its
    /// ResourceQuota, LimitRange, default-deny NetworkPolicies, `developer`/`viewer` Roles and
    /// RoleBindings, and one Application per app. With `--team NAME`: that team's objects only.
    /// The files are validated first: with a problem, nothing is printed on stdout and the exit
    /// code is 2. Example: `idp teams render --dir examples/teams --gitops-repo
    /// https://github.com/acme/gitops > teams.yaml`
    Render(Box<TeamsRenderArgs>),
}

/// The folder of the team folders.
#[derive(Debug, clap::Args)]
pub(crate) struct TeamsDirArg {
    /// The folder holding one folder per team, each with a `team.yaml`.
    #[arg(long, default_value = "teams", value_name = "DIR")]
    pub(crate) dir: PathBuf,
}

/// Arguments of `idp teams render`.
#[derive(Debug, clap::Args)]
pub(crate) struct TeamsRenderArgs {
    #[command(flatten)]
    pub(crate) dir: TeamsDirArg,
    /// Print only this team's objects (the folder name under `--dir`).
    #[arg(long, value_name = "NAME")]
    pub(crate) team: Option<String>,
    /// The https URL of the GitOps repository holding the team files and the charts
    /// (platform setting `repo_url`); needed unless `--team` is given.
    #[arg(
        long,
        value_name = "URL",
        required_unless_present = "team",
        help_heading = "Platform"
    )]
    pub(crate) gitops_repo: Option<String>,
    /// The revision of the GitOps repository Argo CD reads (`revision`) [default: main].
    #[arg(long, value_name = "REF", help_heading = "Platform")]
    pub(crate) revision: Option<String>,
    /// The team files' folder in the GitOps repository (`teams_path`) [default: `--dir` when it
    /// is a relative path, else `teams`].
    #[arg(long, value_name = "PATH", help_heading = "Platform")]
    pub(crate) teams_path: Option<String>,
    /// The namespace of Argo CD, its ApplicationSets and the AppProjects (`argocd_namespace`)
    /// [default: argocd].
    #[arg(long, value_name = "NAMESPACE", help_heading = "Platform")]
    pub(crate) argocd_namespace: Option<String>,
    /// The Argo CD project of each team's `-project` and `-namespace` Applications; it must
    /// allow AppProjects and Namespaces (`project`) [default: platform].
    #[arg(long, value_name = "PROJECT", help_heading = "Platform")]
    pub(crate) project: Option<String>,
    /// The Helm chart rendering a team's AppProject, given the team file as values
    /// (`project_chart`) [default: platform/team-project].
    #[arg(long, value_name = "PATH", help_heading = "Platform")]
    pub(crate) project_chart: Option<String>,
    /// The Helm chart rendering a team's namespace objects, given the team file as values
    /// (`resources_chart`) [default: platform/team-resources].
    #[arg(long, value_name = "PATH", help_heading = "Platform")]
    pub(crate) resources_chart: Option<String>,
    /// The cluster the Applications deploy to (`destination_server`)
    /// [default: https://kubernetes.default.svc].
    #[arg(long, value_name = "URL", help_heading = "Platform")]
    pub(crate) destination_server: Option<String>,
    /// The ingress controller's namespace, allowed to reach the teams' pods
    /// (`ingress_namespace`) [default: none: no traffic from outside a team's namespace].
    #[arg(long, value_name = "NAMESPACE", help_heading = "Platform")]
    pub(crate) ingress_namespace: Option<String>,
}

/// Arguments of `idp completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// Arguments of `idp create`.
#[derive(Debug, clap::Args)]
pub(crate) struct CreateArgs {
    /// The environment name: 2–40 of `a-z`, `0-9`, `-`, starting with a letter.
    #[arg(long)]
    pub(crate) name: String,
    /// The template; overrides the config file's.
    #[arg(long)]
    pub(crate) template: Option<String>,
    /// How long it lives, e.g. `2h`, `7d`; overrides the config file's.
    #[arg(long)]
    pub(crate) ttl: Option<String>,
    /// The config file [default: `.idp/config.yml` if present, else the defaults].
    #[arg(long, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// Who owns it (recorded in the metadata and tags).
    #[arg(long)]
    pub(crate) owner: Option<String>,
    /// The AWS region it runs in, e.g. `eu-west-1`; overrides the config file's `region`
    /// [default: the config's, else the platform's `--region`]. Its state stays in the
    /// platform's bucket, and its name stays unique across regions.
    #[arg(long, value_name = "REGION")]
    pub(crate) env_region: Option<String>,
    /// Create it even if it passes its team's budget, for this reason (admins of the platform
    /// policy only; the reason is kept in the metadata and shown by `idp status`).
    #[arg(long, value_name = "REASON")]
    pub(crate) override_budget: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    #[command(flatten)]
    pub(crate) via: ViaGithubArgs,
}

/// `--via-github`: run the change as the platform's workflow instead of directly.
#[derive(Debug, clap::Args)]
pub(crate) struct ViaGithubArgs {
    /// Dispatch the platform's workflow (`provision.yml` / `destroy.yml`) in `github.repo`
    /// instead of acting directly, and follow the run until it finishes. Needs `idp auth login`
    /// or `GH_TOKEN`.
    #[arg(long)]
    pub(crate) via_github: bool,
    /// The branch or tag the workflow runs on (with `--via-github`).
    #[arg(
        long = "ref",
        default_value = "main",
        value_name = "REF",
        requires = "via_github"
    )]
    pub(crate) git_ref: String,
}

/// Arguments of `idp destroy`.
#[derive(Debug, clap::Args)]
pub(crate) struct DestroyArgs {
    /// The environment.
    pub(crate) name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
    #[command(flatten)]
    pub(crate) via: ViaGithubArgs,
}

/// Arguments of `idp approve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ApproveArgs {
    /// The environment waiting for approval (`idp create` of it was refused).
    pub(crate) name: String,
    /// Why it is approved (kept with the approval).
    #[arg(long)]
    pub(crate) reason: Option<String>,
}

/// Arguments of `idp extend`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExtendArgs {
    /// The environment.
    pub(crate) name: String,
    /// How much time to add, e.g. `2d`.
    #[arg(long)]
    pub(crate) ttl: String,
    #[command(flatten)]
    pub(crate) via: ViaGithubArgs,
}

/// Arguments of `idp list`.
#[derive(Debug, clap::Args)]
pub(crate) struct ListArgs {
    /// Include destroyed environments.
    #[arg(long)]
    pub(crate) all: bool,
    /// Exit 1 when a record cannot be read (it is listed as `unreadable` either way).
    #[arg(long)]
    pub(crate) strict: bool,
    /// Add each environment's spend this month: billed by Cost Explorer (aws backend) plus the
    /// estimate of the hours not billed yet (`spend_this_month` in `-o json`). One Cost
    /// Explorer request a day covers every environment.
    #[arg(long)]
    pub(crate) cost: bool,
}

/// Arguments of `idp exec`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExecArgs {
    /// The environment.
    pub(crate) name: String,
    /// The container to run in (AWS; default: the task's first).
    #[arg(long)]
    pub(crate) container: Option<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub(crate) command: Vec<String>,
}

/// Arguments of `idp migrate`.
#[derive(Debug, clap::Args)]
pub(crate) struct MigrateArgs {
    /// Only report what would change; write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// One environment name.
#[derive(Debug, clap::Args)]
pub(crate) struct NameArg {
    /// The environment.
    pub(crate) name: String,
}

/// Arguments of `idp cost`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct CostArgs {
    /// `idp cost export`: write the month's chargeback report.
    #[command(subcommand)]
    pub(crate) action: Option<CostAction>,
    /// Group the month's spend of every environment by owner, team or template (or
    /// environment), instead of estimating one.
    #[arg(long, value_enum, value_name = "GROUP", conflicts_with_all = ["template", "ttl"])]
    pub(crate) by: Option<CostBy>,
    /// The month of `--by`, `YYYY-MM` [default: this month].
    #[arg(long, value_name = "YYYY-MM", requires = "by")]
    pub(crate) month: Option<String>,
    /// How `--by` prints its rows (`--output json` prints the whole report).
    #[arg(long, value_enum, default_value_t = CostFormat::Table, requires = "by")]
    pub(crate) format: CostFormat,
    /// The folder of `<team>/team.yaml` files mapping owners (members) to teams, for `--by
    /// team`; without it the teams of the stored platform policy (`idp budgets sync`) are used.
    #[arg(long, value_name = "DIR")]
    pub(crate) teams_dir: Option<PathBuf>,
    /// An existing environment (else: estimate from the config).
    pub(crate) name: Option<String>,
    /// The template; overrides the config file's.
    #[arg(long)]
    pub(crate) template: Option<String>,
    /// The TTL to estimate over, e.g. `2h`, `7d`; overrides the config file's.
    #[arg(long)]
    pub(crate) ttl: Option<String>,
    /// The config file for sizes [default: `.idp/config.yml` if present, else the defaults].
    #[arg(long, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
}

/// Arguments of `idp budgets`.
#[derive(Debug, clap::Args)]
pub(crate) struct BudgetsArgs {
    #[command(subcommand)]
    pub(crate) command: Option<BudgetsCommand>,
}

/// The subcommands of `idp budgets`.
#[derive(Debug, Subcommand)]
pub(crate) enum BudgetsCommand {
    /// Check the policy file, store it in the state store, and create, update or delete the
    /// AWS budgets (with their SNS alerts) to match; a second run changes nothing.
    Sync(BudgetsSyncArgs),
}

/// Arguments of `idp budgets sync`.
#[derive(Debug, clap::Args)]
pub(crate) struct BudgetsSyncArgs {
    /// The platform policy file (teams, admins, budgets).
    #[arg(long, value_name = "PATH", default_value = "platform.yml")]
    pub(crate) policy: PathBuf,
}

/// What `idp cost --by` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CostBy {
    Owner,
    Team,
    Template,
    Environment,
}

/// How `idp cost --by` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CostFormat {
    Table,
    Json,
    Csv,
}

/// The subcommands of `idp cost`.
#[derive(Debug, Subcommand)]
pub(crate) enum CostAction {
    /// Write the month's chargeback report (one row per owner, team and environment) as CSV
    /// and JSON to `s3://STATE_BUCKET/PREFIX/chargeback-YYYY-MM.{csv,json}`.
    ///
    /// Example: `idp cost export --month 2026-11 --to s3://my-state-bucket/chargeback/`
    Export(CostExportArgs),
}

/// Arguments of `idp cost export`.
#[derive(Debug, clap::Args)]
pub(crate) struct CostExportArgs {
    /// The month, `YYYY-MM` [default: last month].
    #[arg(long, value_name = "YYYY-MM")]
    pub(crate) month: Option<String>,
    /// Where to write: `s3://BUCKET/PREFIX/`, BUCKET being the state bucket.
    #[arg(long, value_name = "S3_URL")]
    pub(crate) to: String,
    /// The folder of `<team>/team.yaml` files mapping owners to teams [default: the teams of
    /// the stored platform policy].
    #[arg(long, value_name = "DIR")]
    pub(crate) teams_dir: Option<PathBuf>,
}

/// The dashboard formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DashboardFormat {
    /// Markdown (`ENVIRONMENTS.md`).
    Md,
    /// A self-contained HTML page.
    Html,
}

/// Arguments of `idp dashboard`.
#[derive(Debug, clap::Args)]
pub(crate) struct DashboardArgs {
    /// The format.
    #[arg(long, value_enum, default_value_t = DashboardFormat::Md)]
    pub(crate) format: DashboardFormat,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

/// Arguments of `idp init`.
#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// The repository directory.
    #[arg(default_value = ".")]
    pub(crate) dir: PathBuf,
    /// The `owner/name` of the platform repository whose workflows the consumer workflow calls
    /// [default: the `github.repo` setting, else the placeholder `OWNER/idp`].
    #[arg(long, value_name = "OWNER/NAME")]
    pub(crate) platform_repo: Option<String>,
    /// The git ref of the platform's workflows: a tag, branch or commit. It is resolved on
    /// GitHub (`GITHUB_API_URL`, with the stored token or `GH_TOKEN` if any) and the workflow is
    /// pinned to that commit, the ref kept in a comment; when it cannot be resolved (offline),
    /// the ref is used as it is, with a warning.
    #[arg(long = "ref", default_value = "main", value_name = "REF")]
    pub(crate) git_ref: String,
    /// Overwrite existing files.
    #[arg(long)]
    pub(crate) force: bool,
}

/// Arguments of `idp config`.
#[derive(Debug, clap::Args)]
pub(crate) struct ConfigArgs {
    #[command(subcommand)]
    pub(crate) command: ConfigCommand,
}

/// `idp config` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print a setting's effective value (after flags and environment variables).
    Get(KeyArg),
    /// Store a setting in the settings file.
    Set(SetArgs),
    /// Show every setting, its effective value and where it comes from.
    List,
    /// Remove a setting from the settings file.
    Unset(KeyArg),
}

/// One setting key.
#[derive(Debug, clap::Args)]
pub(crate) struct KeyArg {
    /// The key, e.g. `aws.stateBucket`.
    pub(crate) key: String,
}

/// Arguments of `idp config set`.
#[derive(Debug, clap::Args)]
pub(crate) struct SetArgs {
    /// The key, e.g. `aws.stateBucket`.
    pub(crate) key: String,
    /// The value.
    pub(crate) value: String,
}

/// Arguments of `idp auth`.
#[derive(Debug, clap::Args)]
pub(crate) struct AuthArgs {
    #[command(subcommand)]
    pub(crate) command: AuthCommand,
}

/// `idp auth` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Store a GitHub token (asked for on a terminal, or read from stdin with `--with-token`).
    ///
    /// Example: `gh auth token | idp auth login --with-token`
    Login(LoginArgs),
    /// Remove the stored token.
    Logout,
    /// Show whether a token is available and where it comes from (never the token itself).
    Status,
}

/// Arguments of `idp auth login`.
#[derive(Debug, clap::Args)]
pub(crate) struct LoginArgs {
    /// Read the token from standard input.
    #[arg(long)]
    pub(crate) with_token: bool,
}

/// Arguments of `idp logs`.
#[derive(Debug, clap::Args)]
pub(crate) struct LogsArgs {
    /// The environment.
    pub(crate) name: String,
    /// How far back, e.g. `10m`, `1h`, `2d`, or an RFC 3339 time (`2026-03-01T12:00:00Z`).
    #[arg(long, default_value = "1h")]
    pub(crate) since: String,
    /// Keep printing new events until interrupted.
    #[arg(long, short = 'f')]
    pub(crate) follow: bool,
    /// Only events containing these terms.
    #[arg(long)]
    pub(crate) filter: Option<String>,
}

/// Arguments of `idp unlock`.
#[derive(Debug, clap::Args)]
pub(crate) struct UnlockArgs {
    /// The environment.
    pub(crate) name: String,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
}

/// Arguments of `idp sweep`.
#[derive(Debug, clap::Args)]
pub(crate) struct SweepArgs {
    /// Only show what would be destroyed.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Rebuild the environment index from every environment's metadata first (normally a sweep
    /// checks every row against the metadata and re-reads only mismatched rows; a dry run
    /// trusts the index and re-reads only environments with a write in flight).
    #[arg(long)]
    pub(crate) reindex: bool,
}

/// Arguments of `idp run`: run a job file, or (with a subcommand) look at a run.
///
/// `idp run FILE` runs the orders of a job file in dependency order on this machine and exits 0
/// when every order that must succeed succeeded, 1 when one failed or timed out, 2 when the file
/// is invalid (every problem is listed). `idp run status ID`, `idp run logs ID ORDER` and
/// `idp run resume ID` read or continue a run by its id. (A job file literally named `status`,
/// `logs` or `resume` must be written as `./status`.)
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_value_name = "COMMAND | FILE"
)]
pub(crate) struct RunArgs {
    /// What to do with an existing run.
    #[command(subcommand)]
    pub(crate) action: Option<RunAction>,
    /// The job file (YAML or JSON), e.g. `examples/runs/pipeline.yml`.
    #[arg(value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) options: RunFlags,
}

/// How `idp run FILE` runs.
#[derive(Debug, clap::Args)]
pub(crate) struct RunFlags {
    /// Print every event (order started, finished, skipped) on stderr as it happens, also when
    /// stderr is not a terminal (a terminal shows a progress bar otherwise).
    #[arg(long, short = 'w')]
    pub(crate) watch: bool,
    /// The run's id [default: a new random id].
    #[arg(long, value_name = "ID")]
    pub(crate) run_id: Option<String>,
    /// The most orders running at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub(crate) max_parallel: usize,
    /// The directory orders run in (their `working_dir` is relative to it) [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub(crate) workdir: Option<PathBuf>,
    /// The repository (`owner/name`) of the pull request whose run comment is kept up to date.
    #[arg(long, requires = "pr", value_name = "OWNER/NAME")]
    pub(crate) repo: Option<String>,
    /// The pull request whose run comment is kept up to date (with `--repo`).
    #[arg(long, requires = "repo", value_name = "NUMBER")]
    pub(crate) pr: Option<u64>,
}

/// `idp run` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum RunAction {
    /// Show every order of a run: status, exit code, duration.
    Status(RunIdArg),
    /// Print the stored output of one order of a run (its end, secrets masked).
    Logs(RunLogsArgs),
    /// Continue a run whose `idp run` was killed: orders that had ended keep their results, an
    /// order that was running is stopped and run again.
    Resume(RunResumeArgs),
    /// Cancel a run: its running orders are stopped and recorded `cancelled`, its pending ones
    /// skipped. An orchestrator driving it (an `idp run` elsewhere, `idp serve`) stops it within
    /// one poll; a run nobody drives is ended here. An ended run is left as it is.
    Cancel(RunIdArg),
}

/// A run id.
#[derive(Debug, clap::Args)]
pub(crate) struct RunIdArg {
    /// The run's id (printed by `idp run`).
    pub(crate) run_id: String,
}

/// Arguments of `idp run logs`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunLogsArgs {
    /// The run's id.
    pub(crate) run_id: String,
    /// The order's name.
    pub(crate) order: String,
}

/// Arguments of `idp run resume`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunResumeArgs {
    /// The run's id.
    pub(crate) run_id: String,
    /// Print every event on stderr as it happens.
    #[arg(long, short = 'w')]
    pub(crate) watch: bool,
    /// The directory orders run in [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub(crate) workdir: Option<PathBuf>,
}

/// Arguments of `idp serve`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ServeArgs {
    /// Manage the server's API tokens instead of serving.
    #[command(subcommand)]
    pub(crate) action: Option<ServeAction>,
    /// The address to listen on (`:0` picks a free port; the bound address is printed on stderr).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub(crate) listen: std::net::SocketAddr,
    /// The log format on stderr: `text` or `json` (one JSON object per line, with request ids).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// The configuration environments are created with when a request gives none, and that
    /// webhook-driven previews use [default: `.idp/config.yml` if present, else the defaults].
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// The directory runs' orders start in (their `working_dir` is relative to it)
    /// [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub(crate) runs_dir: Option<PathBuf>,
    /// An origin allowed to call the API from a browser (repeatable); none: no CORS headers.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub(crate) cors_origins: Vec<String>,
    /// Requests per minute per token (or per client address without one); more get 429.
    #[arg(long, default_value_t = 600, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) rate_limit: u32,
    /// The largest request body accepted, in KiB; larger bodies get 413.
    #[arg(long, default_value_t = 5120, value_name = "KIB", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) max_body_kib: u32,
    /// How long a shutdown waits for running operations, in seconds.
    #[arg(long, default_value_t = 90, value_name = "SECONDS")]
    pub(crate) shutdown_timeout: u64,
    /// The URL people open the portal at, e.g. `https://idp.example.com` behind a TLS proxy:
    /// session cookies are `Secure` when it is HTTPS, and GitHub sends sign-ins back to it
    /// [default: `http://` and the request's host].
    #[arg(long, value_name = "URL")]
    pub(crate) public_url: Option<String>,
    /// How long a portal sign-in lasts, e.g. `12h`, `7d`.
    #[arg(long, default_value = "12h", value_name = "TTL")]
    pub(crate) session_lifetime: String,
    /// The client id of a GitHub OAuth App to sign portal users in with (its secret is
    /// `IDP_GITHUB_CLIENT_SECRET`; its callback URL is `<public URL>/login/github/callback`).
    #[arg(long, value_name = "ID")]
    pub(crate) github_client_id: Option<String>,
    /// Who gets which role when signing in with GitHub (repeatable): `admin=alice` (a login),
    /// `developer=acme/platform` (a team), `viewer=acme/*` (every member of an organization).
    /// Someone no rule matches cannot sign in.
    #[arg(long = "github-role", value_name = "ROLE=WHO")]
    pub(crate) github_roles: Vec<String>,
    /// The GitHub web address (GitHub Enterprise Server: `https://github.example.com`).
    #[arg(long, default_value = "https://github.com", value_name = "URL")]
    pub(crate) github_url: String,
    /// The GitHub REST API (GitHub Enterprise Server: `https://github.example.com/api/v3`).
    #[arg(long, default_value = "https://api.github.com", value_name = "URL")]
    pub(crate) github_api_url: String,
}

/// How `idp serve` logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `idp serve token …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ServeAction {
    /// Create, list or revoke API tokens (stored hashed in the state store).
    #[command(subcommand)]
    Token(TokenAction),
}

/// What to do with API tokens.
#[derive(Debug, Subcommand)]
pub(crate) enum TokenAction {
    /// Issue a token and print it once; only its hash is stored.
    ///
    /// Roles: `viewer` reads; `developer` also creates environments, extends and destroys its
    /// owner's, and submits and manages runs; `admin` does everything, including other owners'
    /// environments and unlocking. Example:
    /// `idp serve token create --role developer --owner alice --expires 90d`
    Create(TokenCreateArgs),
    /// List tokens: id, role, owner, expiry (never the secret).
    List,
    /// Revoke a token by id; it stops authenticating at once (a running server within 10 s).
    Revoke(TokenRevokeArgs),
}

/// Arguments of `idp serve token create`.
#[derive(Debug, clap::Args)]
pub(crate) struct TokenCreateArgs {
    /// What the token may do.
    #[arg(long, value_enum)]
    pub(crate) role: RoleArg,
    /// The owner recorded on what the token creates [default: the local user].
    #[arg(long, value_name = "OWNER")]
    pub(crate) owner: Option<String>,
    /// How long the token is valid, e.g. `90d`, `12h`, `2w` [default: until revoked].
    #[arg(long, value_name = "TTL")]
    pub(crate) expires: Option<String>,
    /// What the token is for, shown by `idp serve token list`.
    #[arg(long, value_name = "TEXT")]
    pub(crate) description: Option<String>,
}

/// A role of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RoleArg {
    /// Reads everything, changes nothing.
    Viewer,
    /// Creates environments, extends and destroys its own, submits runs.
    Developer,
    /// Everything.
    Admin,
}

/// Arguments of `idp serve token revoke`.
#[derive(Debug, clap::Args)]
pub(crate) struct TokenRevokeArgs {
    /// The token's id (12 hex digits, as `idp serve token list` shows it).
    pub(crate) id: String,
}
