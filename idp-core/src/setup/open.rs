//! Opening a [`Platform`] for a frontend: the one resolver behind `idp`, `idp-action` and the
//! Python module.
//!
//! A frontend converts what it was told explicitly (flags, keyword arguments, step inputs) into
//! [`Options`] and calls [`open`]. The resolver reads the environment and the settings file,
//! applies the precedence **flag > environment variable > settings file > default** to every
//! [`Key`] ([`crate::setup::settings`]), and builds the backend and the platform [`Settings`],
//! including the template inputs every environment receives ([`PlatformVars`]: certificate,
//! DNS zone, preview domain, access-log bucket, cost center). So the same inputs give the same
//! platform, and the same tfvars, whichever frontend opened it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::Backend;
use crate::domain::config::ConfigOptions;
use crate::domain::secret_access::SecretAllowList;
use crate::domain::tfvars::{DEFAULT_COST_CENTER, PlatformVars};
use crate::domain::ttl::{Ttl, TtlPolicy};
use crate::error::{Error, Result};
use crate::platform::{Platform, Settings};
use crate::ports::provisioner::Provisioner;
use crate::setup::env_vars;
use crate::setup::settings::{
    self, DEFAULT_ECR_REPOSITORY, DEFAULT_TEMPLATES_DIR, DEFAULT_TOFU, Key, Resolved,
    SettingsError, Values,
};

/// What a frontend was told explicitly; everything else comes from the environment, the
/// settings file or the defaults.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Settings given as flags, keyword arguments or step inputs; they win over every other
    /// layer.
    pub values: Values,
    /// The settings file to read [default: [`settings::default_path`]].
    pub settings_file: Option<PathBuf>,
    /// Where each environment's OpenTofu `TF_DATA_DIR` goes [default: `<state dir>/tofu`].
    pub data_dir: Option<PathBuf>,
    /// Attach the GitHub forge (pull-request comments, commit statuses) when `GITHUB_TOKEN` or
    /// `GH_TOKEN` is set.
    pub github_forge: bool,
}

impl Options {
    /// No explicit inputs: the environment, the settings file and the defaults decide.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set `key` explicitly when `value` is `Some` (an absent flag or keyword argument leaves
    /// it to the other layers).
    #[must_use]
    pub fn set(mut self, key: Key, value: Option<impl Into<String>>) -> Self {
        if let Some(value) = value {
            self.values.insert(key, value.into());
        }
        self
    }
}

/// Every setting after the precedence, from `options`, the environment and the settings file.
pub fn resolve(options: &Options) -> Result<Resolved> {
    let path = options
        .settings_file
        .clone()
        .unwrap_or_else(settings::default_path);
    let file = settings::load(&path)?;
    let resolved = settings::resolve(&options.values, &file);
    resolved.check()?;
    Ok(resolved)
}

/// Which backend to open.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "made once per process by a frontend; a box would only burden every frontend that builds one"
)]
pub enum BackendChoice {
    /// The embedded local backend in `state_dir` (default: [`env_vars::default_state_dir`]).
    Local {
        /// The state directory.
        state_dir: Option<PathBuf>,
    },
    /// S3 + DynamoDB + ECS + CloudWatch Logs + ECR, applied with OpenTofu.
    #[cfg(feature = "aws")]
    Aws(AwsOptions),
}

/// Where the AWS backend keeps state and how it runs OpenTofu.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// The S3 bucket holding environment state.
    pub state_bucket: Option<String>,
    /// The DynamoDB table of leases and OpenTofu locks (partition key `LockID`).
    pub lock_table: Option<String>,
    /// The AWS region.
    pub region: Option<String>,
    /// An endpoint override (S3/DynamoDB-compatible services, a local AWS double).
    pub endpoint_url: Option<String>,
    /// The AWS profile (else the standard credential chain).
    pub profile: Option<String>,
    /// The ECR repository holding preview images.
    pub ecr_repository: String,
    /// The directory of OpenTofu templates.
    pub templates_dir: PathBuf,
    /// Teams' own templates directories, searched after `templates_dir`.
    pub team_templates_dirs: Vec<PathBuf>,
    /// The OpenTofu (or Terraform) binary.
    pub tofu_program: PathBuf,
    /// Where each environment's `TF_DATA_DIR` goes (default: `<default state dir>/tofu`).
    pub data_dir: Option<PathBuf>,
}

impl Default for AwsOptions {
    fn default() -> Self {
        Self {
            state_bucket: None,
            lock_table: None,
            region: None,
            endpoint_url: None,
            profile: None,
            ecr_repository: DEFAULT_ECR_REPOSITORY.to_owned(),
            templates_dir: PathBuf::from(DEFAULT_TEMPLATES_DIR),
            team_templates_dirs: Vec::new(),
            tofu_program: PathBuf::from(DEFAULT_TOFU),
            data_dir: None,
        }
    }
}

/// The backend `resolved` selects. `data_dir` overrides where OpenTofu's data directories go.
pub fn backend_choice(resolved: &Resolved, data_dir: Option<PathBuf>) -> Result<BackendChoice> {
    let state_dir = resolved.get(Key::StateDir).map(PathBuf::from);
    match resolved.get(Key::Backend).unwrap_or("local") {
        "local" => Ok(BackendChoice::Local { state_dir }),
        #[cfg(feature = "aws")]
        "aws" => {
            let get = |k: Key| resolved.get(k).map(str::to_owned);
            let defaults = AwsOptions::default();
            Ok(BackendChoice::Aws(AwsOptions {
                state_bucket: get(Key::AwsStateBucket),
                lock_table: get(Key::AwsLockTable),
                region: get(Key::AwsRegion),
                endpoint_url: get(Key::AwsEndpointUrl),
                profile: get(Key::AwsProfile),
                ecr_repository: get(Key::AwsEcrRepo).unwrap_or(defaults.ecr_repository),
                templates_dir: get(Key::AwsTemplatesDir)
                    .map_or(defaults.templates_dir, PathBuf::from),
                team_templates_dirs: team_templates_dirs(resolved),
                tofu_program: get(Key::AwsTofu).map_or(defaults.tofu_program, PathBuf::from),
                data_dir: data_dir.or_else(|| state_dir.map(|d| d.join("tofu"))),
            }))
        }
        other => {
            let _ = data_dir;
            Err(SettingsError::InvalidValue {
                key: Key::Backend,
                value: other.to_owned(),
                expected: if cfg!(feature = "aws") {
                    "`local` or `aws`".to_owned()
                } else {
                    "`local` (this build has no AWS support)".to_owned()
                },
            }
            .into())
        }
    }
}

/// The teams' templates directories `aws.teamTemplatesDirs` names (`:`-separated, empty
/// entries ignored), searched after the platform's `aws.templatesDir`.
pub fn team_templates_dirs(resolved: &Resolved) -> Vec<PathBuf> {
    resolved
        .get(Key::AwsTeamTemplatesDirs)
        .map(|v| {
            v.split(':')
                .filter(|d| !d.trim().is_empty())
                .map(PathBuf::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The platform's templates directory and the teams' ones after it, as `resolved` gives them.
pub fn templates_dirs(resolved: &Resolved) -> (PathBuf, Vec<PathBuf>) {
    (
        PathBuf::from(
            resolved
                .get(Key::AwsTemplatesDir)
                .unwrap_or(DEFAULT_TEMPLATES_DIR),
        ),
        team_templates_dirs(resolved),
    )
}

/// The platform settings `resolved` gives: the image repository, the default region, the
/// template inputs of every environment and the acting user (from the environment).
///
/// Fails when `ttl.min` is longer than `ttl.max`.
pub fn platform_settings(resolved: &Resolved) -> Result<Settings> {
    let text = |k: Key| resolved.get(k).unwrap_or_default().to_owned();
    // Validated when resolved: anything but a `true` spelling is off.
    let switch = |k: Key| resolved.get(k).and_then(settings::parse_bool) == Some(true);
    let defaults = Settings::default();
    Ok(Settings {
        image_repository: resolved
            .get(Key::AwsEcrRepo)
            .map_or(defaults.image_repository.clone(), str::to_owned),
        region: resolved
            .get(Key::AwsRegion)
            .map_or(defaults.region.clone(), str::to_owned),
        platform_vars: PlatformVars {
            state_bucket: text(Key::AwsStateBucket),
            acm_certificate_arn: text(Key::AwsAcmCertificateArn),
            route53_zone_id: text(Key::AwsRoute53ZoneId),
            preview_domain: text(Key::AwsPreviewDomain),
            alb_access_logs_bucket: text(Key::AwsAlbAccessLogsBucket),
            cost_center: resolved
                .get(Key::AwsCostCenter)
                .unwrap_or(DEFAULT_COST_CENTER)
                .to_owned(),
            nat_gateway_per_az: switch(Key::AwsNatGatewayPerAz),
            enable_flow_logs: switch(Key::AwsVpcFlowLogs),
            use_shared_ingress: switch(Key::AwsUseSharedIngress),
            permissions_boundary: text(Key::AwsPermissionsBoundary),
            // Validated when resolved.
            regional_certificates: resolved
                .get(Key::AwsRegionalCertificates)
                .map(|v| crate::domain::tfvars::parse_certificates(v).unwrap_or_default())
                .unwrap_or_default(),
            alarm_topic_arn: text(Key::AwsAlarmTopicArn),
        },
        secret_allow_list: match resolved.get(Key::AwsSecretPatterns) {
            Some(patterns) => {
                SecretAllowList::parse(patterns).map_err(|message| Error::Refused {
                    reason: "invalid_setting".to_owned(),
                    message: format!("{}: {message}", Key::AwsSecretPatterns),
                })?
            }
            None => SecretAllowList::default(),
        },
        actor: env_vars::actor(),
        ttl_policy: ttl_policy(resolved)?,
        approval_rules: {
            let (dir, team_dirs) = templates_dirs(resolved);
            let mut rules = crate::setup::approval_rules(&dir)?;
            // A team template's rule counts too; it never replaces a platform template's.
            for team_dir in team_dirs.iter().filter(|d| d.is_dir()) {
                for (name, rule) in crate::setup::approval_rules(team_dir)? {
                    rules.entry(name).or_insert(rule);
                }
            }
            rules
        },
        ..defaults
    })
}

/// What a repository's `.idp/config.yml` is checked against on this platform: its TTL bounds
/// (`ttl.min` / `ttl.max`). Fails as [`platform_settings`] does.
pub fn config_options(resolved: &Resolved) -> Result<ConfigOptions> {
    Ok(platform_settings(resolved)?.config_options())
}

/// The TTL bounds `ttl.min` and `ttl.max` give (each checked when it was resolved).
fn ttl_policy(resolved: &Resolved) -> Result<TtlPolicy> {
    let defaults = TtlPolicy::default();
    let bound = |k: Key, default: Ttl| {
        resolved
            .get(k)
            .and_then(|v| Ttl::parse(v).ok())
            .unwrap_or(default)
    };
    Ok(TtlPolicy::new(
        bound(Key::TtlMin, defaults.min),
        bound(Key::TtlMax, defaults.max),
    )?)
}

/// Resolve `options` and open the platform they select.
pub async fn open(options: &Options) -> Result<Platform> {
    open_resolved(&resolve(options)?, options).await
}

/// Open the platform already-resolved settings select (`options` gives the data directory and
/// whether to attach the GitHub forge).
pub async fn open_resolved(resolved: &Resolved, options: &Options) -> Result<Platform> {
    let choice = backend_choice(resolved, options.data_dir.clone())?;
    let platform = open_backend(choice, platform_settings(resolved)?).await?;
    #[cfg(feature = "github")]
    if options.github_forge {
        return github::attach(platform);
    }
    Ok(platform)
}

/// Open the backend `choice` names, with `settings` (the AWS backend fills in its state
/// bucket, image repository and region).
pub async fn open_backend(choice: BackendChoice, settings: Settings) -> Result<Platform> {
    let (backend, settings) = match choice {
        BackendChoice::Local { state_dir } => (
            Backend::local(state_dir.unwrap_or_else(env_vars::default_state_dir)),
            settings,
        ),
        #[cfg(feature = "aws")]
        BackendChoice::Aws(opts) => aws::open(opts, settings).await?,
    };
    // `k8s-namespace` environments go to the cluster of the environment (`KUBECONFIG`), on
    // every backend; the cluster is opened when the first such request comes.
    #[cfg(feature = "kubernetes")]
    let kubernetes: Arc<dyn Provisioner> = Arc::new(
        crate::adapters::kubernetes::FromEnvironment::new(Default::default()),
    );
    #[cfg(not(feature = "kubernetes"))]
    let kubernetes: Arc<dyn Provisioner> = Arc::new(crate::adapters::routing::NoKubernetes);
    let routed = crate::adapters::routing::ByTemplate::new(backend.provisioner.clone(), kubernetes);
    let backend = backend.with_provisioner(Arc::new(routed));
    Ok(Platform::new(backend).with_settings(settings))
}

/// The GitHub forge as the environment configures it.
#[cfg(feature = "github")]
pub mod github {
    use std::sync::Arc;

    use crate::adapters::github::{GitHubConfig, GitHubForge};
    use crate::error::{Error, Result};
    use crate::platform::Platform;
    use crate::setup::env_vars::{self, EnvVars};

    /// The GitHub forge's configuration from the environment: `GITHUB_API_URL` (default
    /// github.com's) and the token from `GITHUB_TOKEN`, else `GH_TOKEN`.
    pub fn config_from_env() -> GitHubConfig {
        let api_url = env_vars::get(EnvVars::GITHUB_API_URL)
            .unwrap_or_else(|| crate::adapters::github::DEFAULT_API_URL.to_owned());
        let token = env_vars::get(EnvVars::GITHUB_TOKEN)
            .or_else(|| env_vars::get(EnvVars::GH_TOKEN))
            .map(crate::secret::Secret::new);
        GitHubConfig::new(api_url, token)
    }

    /// `platform` with the GitHub forge of the environment's token, if there is one.
    pub(crate) fn attach(mut platform: Platform) -> Result<Platform> {
        let config = config_from_env();
        if config.token.is_none() {
            return Ok(platform);
        }
        let forge = GitHubForge::new(&config).map_err(|e| Error::Refused {
            reason: "github_unconfigured".into(),
            message: format!("cannot set up the GitHub client: {e}"),
        })?;
        platform.backend = platform.backend.with_forge(Arc::new(forge));
        Ok(platform)
    }
}

#[cfg(feature = "aws")]
mod aws {
    use std::sync::Arc;

    use super::AwsOptions;
    use crate::adapters::aws::AwsConfig;
    use crate::adapters::tofu::{TofuConfig, TofuProvisioner};
    use crate::backend::Backend;
    use crate::error::{Error, Result};
    use crate::platform::Settings;
    use crate::setup::env_vars::{self, EnvVars};

    fn missing(what: &str, flag: &str, var: &str) -> Error {
        Error::Refused {
            reason: "aws_backend_unconfigured".into(),
            message: format!("the AWS backend needs {what}: pass `{flag}` or set `{var}`"),
        }
    }

    pub(super) async fn open(
        opts: AwsOptions,
        mut settings: Settings,
    ) -> Result<(Backend, Settings)> {
        let bucket = opts.state_bucket.ok_or_else(|| {
            missing(
                "a state bucket",
                "--state-bucket",
                EnvVars::IDP_STATE_BUCKET,
            )
        })?;
        let table = opts
            .lock_table
            .ok_or_else(|| missing("a lock table", "--lock-table", EnvVars::IDP_LOCK_TABLE))?;
        let region = opts
            .region
            .ok_or_else(|| missing("a region", "--region", EnvVars::IDP_REGION))?;
        let mut cfg = AwsConfig::new(region, bucket, table, opts.ecr_repository);
        if let Some(url) = opts.endpoint_url {
            cfg = cfg.with_endpoint_url(url);
        }
        if let Some(profile) = opts.profile {
            cfg = cfg.with_profile(profile);
        }
        let data_dir = opts
            .data_dir
            .unwrap_or_else(|| env_vars::default_state_dir().join("tofu"));
        let mut tofu = TofuConfig::new(
            opts.templates_dir,
            data_dir,
            &cfg.state_bucket,
            &cfg.lock_table,
            &cfg.region,
        );
        tofu.program = opts.tofu_program;
        tofu.team_templates_dirs = opts.team_templates_dirs;
        // The same endpoint as the SDK clients: state, locks and every resource go to one place.
        tofu.endpoint_url = cfg.endpoint_url.clone();
        settings.state_bucket = cfg.state_bucket.clone();
        settings.image_repository = cfg.ecr_repository.clone();
        settings.region = cfg.region.clone();
        if settings.platform_vars.state_bucket.is_empty() {
            settings.platform_vars.state_bucket = cfg.state_bucket.clone();
        }
        // Applies start, and destroys end, by removing what an interrupted run left outside
        // its state (see `adapters::aws::orphans`).
        let sdk = cfg.load_sdk_config().await;
        let adapters = crate::adapters::aws::AwsAdapters::new(&cfg, &sdk);
        let reaper = crate::adapters::aws::OrphanReaper::new(
            &sdk,
            adapters.store.client().clone(),
            &cfg.state_bucket,
            &cfg.lock_table,
            &cfg.region,
        );
        let provisioner = crate::adapters::aws::Reaping::new(TofuProvisioner::new(tofu), reaper);
        let backend = Backend::from_aws(adapters, Arc::new(provisioner));
        Ok((backend, settings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::settings::{Origin, resolve_layers};

    fn layer(pairs: &[(Key, &str)]) -> Values {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn the_template_inputs_follow_the_precedence_like_every_setting() {
        let flags = layer(&[(Key::AwsPreviewDomain, "flag.example.com")]);
        let env = layer(&[
            (Key::AwsPreviewDomain, "env.example.com"),
            (Key::AwsRoute53ZoneId, "ZENV"),
        ]);
        let file = layer(&[
            (Key::AwsRoute53ZoneId, "ZFILE"),
            (
                Key::AwsAcmCertificateArn,
                "arn:aws:acm:us-east-1:123456789012:certificate/file",
            ),
            (Key::AwsStateBucket, "file-bucket"),
        ]);
        let resolved = resolve_layers(&flags, &env, &file);
        assert_eq!(resolved.origin(Key::AwsCostCenter), Some(Origin::Default));
        let vars = platform_settings(&resolved).unwrap().platform_vars;
        assert_eq!(
            vars,
            PlatformVars {
                state_bucket: "file-bucket".into(),
                acm_certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/file".into(),
                route53_zone_id: "ZENV".into(),
                preview_domain: "flag.example.com".into(),
                alb_access_logs_bucket: String::new(),
                cost_center: DEFAULT_COST_CENTER.into(),
                ..PlatformVars::default()
            }
        );
    }

    #[test]
    fn the_alarm_topic_reaches_the_platform_vars_from_the_environment() {
        let topic = "arn:aws:sns:eu-west-1:123456789012:idp-alarms";
        let env = layer(&[(Key::AwsAlarmTopicArn, topic)]);
        let resolved = resolve_layers(&Values::new(), &env, &Values::new());
        assert_eq!(resolved.origin(Key::AwsAlarmTopicArn), Some(Origin::Env));
        let vars = platform_settings(&resolved).unwrap().platform_vars;
        assert_eq!(vars.alarm_topic_arn, topic);
        let unset = resolve_layers(&Values::new(), &Values::new(), &Values::new());
        assert_eq!(
            platform_settings(&unset)
                .unwrap()
                .platform_vars
                .alarm_topic_arn,
            ""
        );
    }

    #[test]
    fn the_switches_and_the_ttl_bounds_reach_the_platform_settings() {
        let defaults = platform_settings(&resolve_layers(
            &Values::new(),
            &Values::new(),
            &Values::new(),
        ))
        .unwrap();
        assert!(
            !defaults.platform_vars.nat_gateway_per_az && !defaults.platform_vars.enable_flow_logs
        );
        assert_eq!(defaults.ttl_policy, TtlPolicy::default());
        let flags = layer(&[(Key::AwsNatGatewayPerAz, "yes"), (Key::TtlMin, "1m")]);
        let file = layer(&[(Key::AwsVpcFlowLogs, "true"), (Key::TtlMax, "2h")]);
        let settings = platform_settings(&resolve_layers(&flags, &Values::new(), &file)).unwrap();
        assert!(
            settings.platform_vars.nat_gateway_per_az && settings.platform_vars.enable_flow_logs
        );
        assert_eq!(
            (
                settings.ttl_policy.min.to_string(),
                settings.ttl_policy.max.to_string()
            ),
            ("1m".to_owned(), "2h".to_owned())
        );
        let inverted = layer(&[(Key::TtlMin, "3d"), (Key::TtlMax, "1d")]);
        let err = platform_settings(&resolve_layers(&inverted, &Values::new(), &Values::new()))
            .unwrap_err();
        assert!(err.to_string().contains("longer than its maximum"), "{err}");
    }

    #[test]
    fn the_backend_choice_follows_the_resolved_backend() {
        let r = resolve_layers(
            &Values::new(),
            &Values::new(),
            &layer(&[(Key::StateDir, "/s")]),
        );
        let choice = backend_choice(&r, None).unwrap();
        assert!(
            matches!(choice, BackendChoice::Local { state_dir: Some(d) } if d == std::path::Path::new("/s"))
        );
    }

    #[test]
    fn an_unknown_backend_is_refused_with_what_is_accepted() {
        let resolved = resolve_layers(
            &layer(&[(Key::Backend, "gcp")]),
            &Values::new(),
            &Values::new(),
        );
        let err = backend_choice(&resolved, None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid value `gcp` for `backend`"),
            "{err}"
        );
    }

    #[cfg(feature = "aws")]
    #[test]
    fn the_aws_choice_takes_every_aws_setting_and_the_data_dir() {
        let resolved = resolve_layers(
            &layer(&[(Key::Backend, "aws"), (Key::AwsTofu, "/bin/terraform")]),
            &Values::new(),
            &layer(&[(Key::AwsStateBucket, "b"), (Key::StateDir, "/s")]),
        );
        let BackendChoice::Aws(aws) = backend_choice(&resolved, None).unwrap() else {
            panic!("not AWS");
        };
        assert_eq!(aws.state_bucket.as_deref(), Some("b"));
        assert_eq!(aws.tofu_program, PathBuf::from("/bin/terraform"));
        assert_eq!(aws.templates_dir, PathBuf::from(DEFAULT_TEMPLATES_DIR));
        assert_eq!(aws.data_dir, Some(PathBuf::from("/s/tofu")));
        let BackendChoice::Aws(aws) =
            backend_choice(&resolved, Some(PathBuf::from("/runner/tofu"))).unwrap()
        else {
            panic!("not AWS");
        };
        assert_eq!(aws.data_dir, Some(PathBuf::from("/runner/tofu")));
    }
}
