//! The user settings (`idp config`) and the one precedence rule every frontend applies: a flag
//! (or keyword argument, or step input) wins over an environment variable, which wins over the
//! settings file, which wins over the default.
//!
//! The file is TOML at `$IDP_CONFIG_FILE`, else `$XDG_CONFIG_HOME/idp/config.toml`, else
//! `~/.config/idp/config.toml` ([`file`]). Its keys are the dotted names of [`Key`], as TOML
//! tables:
//!
//! ```toml
//! backend = "aws"
//! stateDir = "/var/lib/idp"
//!
//! [aws]
//! stateBucket = "acme-idp-state"
//! lockTable = "idp-locks"
//! region = "eu-west-1"
//! previewDomain = "preview.example.com"
//!
//! [github]
//! repo = "acme/idp"
//! ```
//!
//! Unknown keys are refused with the closest known key, so a typo never silently falls back to
//! a default. This module only resolves values; [`crate::setup::open`] turns them into a
//! platform.

pub mod file;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::event::Repository;
use crate::domain::secret_access::{self, DEFAULT_SECRET_PATTERNS, SecretAllowList};
use crate::domain::tfvars::DEFAULT_COST_CENTER;
use crate::domain::ttl::Ttl;
use crate::error::Error;
use crate::setup::env_vars::{self, EnvVars};

pub use self::file::{config_dir, default_path, load, parse, save, to_toml};

/// One setting. Its dotted name ([`Key::as_str`]) is what `idp config` and the file use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Key {
    /// `backend`: `local` or `aws`.
    Backend,
    /// `stateDir`: the local backend's state directory.
    StateDir,
    /// `aws.stateBucket`: the S3 bucket holding environment state.
    AwsStateBucket,
    /// `aws.lockTable`: the DynamoDB table of leases and OpenTofu locks.
    AwsLockTable,
    /// `aws.region`: the AWS region.
    AwsRegion,
    /// `aws.endpointUrl`: an endpoint override (S3/DynamoDB-compatible services).
    AwsEndpointUrl,
    /// `aws.profile`: the AWS profile for credentials.
    AwsProfile,
    /// `aws.ecrRepo`: the ECR repository holding preview images.
    AwsEcrRepo,
    /// `aws.templatesDir`: the directory of OpenTofu templates (one root module each).
    AwsTemplatesDir,
    /// `aws.teamTemplatesDirs`: teams' own templates directories, `:`-separated, searched after
    /// the platform's.
    AwsTeamTemplatesDirs,
    /// `aws.tofu`: the OpenTofu (or Terraform) binary.
    AwsTofu,
    /// `aws.acmCertificateArn`: the ACM certificate of the preview HTTPS listeners.
    AwsAcmCertificateArn,
    /// `aws.route53ZoneId`: the Route 53 hosted zone of the preview domain.
    AwsRoute53ZoneId,
    /// `aws.previewDomain`: environments answer at `<name>.<domain>`.
    AwsPreviewDomain,
    /// `aws.albAccessLogsBucket`: the bucket receiving the load balancers' access logs.
    AwsAlbAccessLogsBucket,
    /// `aws.costCenter`: the `idp:cost-center` tag of every resource.
    AwsCostCenter,
    /// `aws.natGatewayPerAz`: an environment's own VPC gets one NAT gateway per availability
    /// zone (`true`) or one for all (`false`, the default).
    AwsNatGatewayPerAz,
    /// `aws.vpcFlowLogs`: an environment's own VPC sends its flow logs to CloudWatch Logs.
    AwsVpcFlowLogs,
    /// `aws.useSharedIngress`: `api-service` and `api-database` environments are served through
    /// the shared load balancer (`shared/preview-ingress`) instead of one of their own.
    AwsUseSharedIngress,
    /// `aws.secretPatterns`: the Secrets Manager ARN patterns a repository's environments may
    /// reference (`{owner}`/`{repo}` stand for the repository).
    AwsSecretPatterns,
    /// `aws.permissionsBoundary`: the permissions boundary of every role an environment creates
    /// (`{owner}`/`{repo}` stand for the repository).
    AwsPermissionsBoundary,
    /// `aws.regionalCertificates`: ACM certificates of the preview domain in other regions
    /// than `aws.acmCertificateArn`'s, one per region, for environments created there.
    AwsRegionalCertificates,
    /// `aws.alarmTopicArn`: the SNS topic the environments' CloudWatch alarms notify.
    AwsAlarmTopicArn,
    /// `github.repo`: the `owner/name` repository whose workflows `--via-github` dispatches.
    GithubRepo,
    /// `ttl.min`: the shortest TTL an environment may be given.
    TtlMin,
    /// `ttl.max`: the longest TTL an environment may be given or extended to.
    TtlMax,
}

impl From<Key> for &'static str {
    fn from(key: Key) -> Self {
        key.as_str()
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Key {
    /// Every key, in the order `idp config list` shows them.
    pub const ALL: [Key; 26] = [
        Key::Backend,
        Key::StateDir,
        Key::AwsStateBucket,
        Key::AwsLockTable,
        Key::AwsRegion,
        Key::AwsEndpointUrl,
        Key::AwsProfile,
        Key::AwsEcrRepo,
        Key::AwsTemplatesDir,
        Key::AwsTeamTemplatesDirs,
        Key::AwsTofu,
        Key::AwsAcmCertificateArn,
        Key::AwsRoute53ZoneId,
        Key::AwsPreviewDomain,
        Key::AwsAlbAccessLogsBucket,
        Key::AwsCostCenter,
        Key::AwsNatGatewayPerAz,
        Key::AwsVpcFlowLogs,
        Key::AwsUseSharedIngress,
        Key::AwsSecretPatterns,
        Key::AwsPermissionsBoundary,
        Key::AwsRegionalCertificates,
        Key::AwsAlarmTopicArn,
        Key::GithubRepo,
        Key::TtlMin,
        Key::TtlMax,
    ];

    /// The dotted name, e.g. `aws.stateBucket`.
    pub fn as_str(self) -> &'static str {
        match self {
            Key::Backend => "backend",
            Key::StateDir => "stateDir",
            Key::AwsStateBucket => "aws.stateBucket",
            Key::AwsLockTable => "aws.lockTable",
            Key::AwsRegion => "aws.region",
            Key::AwsEndpointUrl => "aws.endpointUrl",
            Key::AwsProfile => "aws.profile",
            Key::AwsEcrRepo => "aws.ecrRepo",
            Key::AwsTemplatesDir => "aws.templatesDir",
            Key::AwsTeamTemplatesDirs => "aws.teamTemplatesDirs",
            Key::AwsTofu => "aws.tofu",
            Key::AwsAcmCertificateArn => "aws.acmCertificateArn",
            Key::AwsRoute53ZoneId => "aws.route53ZoneId",
            Key::AwsPreviewDomain => "aws.previewDomain",
            Key::AwsAlbAccessLogsBucket => "aws.albAccessLogsBucket",
            Key::AwsCostCenter => "aws.costCenter",
            Key::AwsNatGatewayPerAz => "aws.natGatewayPerAz",
            Key::AwsVpcFlowLogs => "aws.vpcFlowLogs",
            Key::AwsUseSharedIngress => "aws.useSharedIngress",
            Key::AwsSecretPatterns => "aws.secretPatterns",
            Key::AwsPermissionsBoundary => "aws.permissionsBoundary",
            Key::AwsRegionalCertificates => "aws.regionalCertificates",
            Key::AwsAlarmTopicArn => "aws.alarmTopicArn",
            Key::GithubRepo => "github.repo",
            Key::TtlMin => "ttl.min",
            Key::TtlMax => "ttl.max",
        }
    }

    /// The environment variable that sets it.
    pub fn env_var(self) -> &'static str {
        match self {
            Key::Backend => EnvVars::IDP_BACKEND,
            Key::StateDir => EnvVars::IDP_STATE_DIR,
            Key::AwsStateBucket => EnvVars::IDP_STATE_BUCKET,
            Key::AwsLockTable => EnvVars::IDP_LOCK_TABLE,
            Key::AwsRegion => EnvVars::IDP_REGION,
            Key::AwsEndpointUrl => EnvVars::IDP_ENDPOINT_URL,
            Key::AwsProfile => EnvVars::AWS_PROFILE,
            Key::AwsEcrRepo => EnvVars::IDP_ECR_REPOSITORY,
            Key::AwsTemplatesDir => EnvVars::IDP_TEMPLATES_DIR,
            Key::AwsTeamTemplatesDirs => EnvVars::IDP_TEAM_TEMPLATES_DIRS,
            Key::AwsTofu => EnvVars::IDP_TOFU,
            Key::AwsAcmCertificateArn => EnvVars::IDP_ACM_CERTIFICATE_ARN,
            Key::AwsRoute53ZoneId => EnvVars::IDP_ROUTE53_ZONE_ID,
            Key::AwsPreviewDomain => EnvVars::IDP_PREVIEW_DOMAIN,
            Key::AwsAlbAccessLogsBucket => EnvVars::IDP_ALB_ACCESS_LOGS_BUCKET,
            Key::AwsCostCenter => EnvVars::IDP_COST_CENTER,
            Key::AwsNatGatewayPerAz => EnvVars::IDP_NAT_GATEWAY_PER_AZ,
            Key::AwsVpcFlowLogs => EnvVars::IDP_VPC_FLOW_LOGS,
            Key::AwsUseSharedIngress => EnvVars::IDP_USE_SHARED_INGRESS,
            Key::AwsSecretPatterns => EnvVars::IDP_SECRET_PATTERNS,
            Key::AwsPermissionsBoundary => EnvVars::IDP_PERMISSIONS_BOUNDARY,
            Key::AwsRegionalCertificates => EnvVars::IDP_REGIONAL_CERTIFICATES,
            Key::AwsAlarmTopicArn => EnvVars::IDP_ALARM_TOPIC_ARN,
            Key::GithubRepo => EnvVars::IDP_GITHUB_REPO,
            Key::TtlMin => EnvVars::IDP_TTL_MIN,
            Key::TtlMax => EnvVars::IDP_TTL_MAX,
        }
    }

    /// The CLI flag that sets it.
    pub fn flag(self) -> &'static str {
        match self {
            Key::Backend => "--backend",
            Key::StateDir => "--state-dir",
            Key::AwsStateBucket => "--state-bucket",
            Key::AwsLockTable => "--lock-table",
            Key::AwsRegion => "--region",
            Key::AwsEndpointUrl => "--endpoint-url",
            Key::AwsProfile => "--profile",
            Key::AwsEcrRepo => "--ecr-repository",
            Key::AwsTemplatesDir => "--templates-dir",
            Key::AwsTeamTemplatesDirs => "--team-templates-dirs",
            Key::AwsTofu => "--tofu",
            Key::AwsAcmCertificateArn => "--acm-certificate-arn",
            Key::AwsRoute53ZoneId => "--route53-zone-id",
            Key::AwsPreviewDomain => "--preview-domain",
            Key::AwsAlbAccessLogsBucket => "--alb-access-logs-bucket",
            Key::AwsCostCenter => "--cost-center",
            Key::AwsNatGatewayPerAz => "--nat-gateway-per-az",
            Key::AwsVpcFlowLogs => "--vpc-flow-logs",
            Key::AwsUseSharedIngress => "--use-shared-ingress",
            Key::AwsSecretPatterns => "--secret-patterns",
            Key::AwsPermissionsBoundary => "--permissions-boundary",
            Key::AwsRegionalCertificates => "--regional-certificates",
            Key::AwsAlarmTopicArn => "--alarm-topic-arn",
            Key::GithubRepo => "--repo",
            Key::TtlMin => "--ttl-min",
            Key::TtlMax => "--ttl-max",
        }
    }

    /// The value used when no flag, variable or file sets it.
    pub fn default_value(self) -> Option<&'static str> {
        match self {
            Key::Backend => Some("local"),
            Key::AwsEcrRepo => Some(DEFAULT_ECR_REPOSITORY),
            Key::AwsTemplatesDir => Some(DEFAULT_TEMPLATES_DIR),
            Key::AwsTofu => Some(DEFAULT_TOFU),
            Key::AwsCostCenter => Some(DEFAULT_COST_CENTER),
            Key::AwsSecretPatterns => Some(DEFAULT_SECRET_PATTERNS),
            Key::AwsNatGatewayPerAz | Key::AwsVpcFlowLogs | Key::AwsUseSharedIngress => {
                Some("false")
            }
            Key::TtlMin => Some("1h"),
            Key::TtlMax => Some("30d"),
            _ => None,
        }
    }

    /// The key named `name`, or an error naming the closest key.
    pub fn parse(name: &str) -> Result<Key, SettingsError> {
        Key::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| SettingsError::UnknownKey {
                key: name.to_owned(),
                suggestion: did_you_mean(name),
            })
    }

    /// Whether the key is an on/off switch (`true`/`false`).
    pub fn is_switch(self) -> bool {
        matches!(
            self,
            Key::AwsNatGatewayPerAz | Key::AwsVpcFlowLogs | Key::AwsUseSharedIngress
        )
    }

    /// Check a value before it is stored.
    pub fn validate(self, value: &str) -> Result<(), SettingsError> {
        let bad = |expected: &str| SettingsError::InvalidValue {
            key: self,
            value: value.to_owned(),
            expected: expected.to_owned(),
        };
        if value.is_empty() || value.chars().any(char::is_control) {
            return Err(bad("a non-empty value without control characters"));
        }
        match self {
            Key::Backend if !matches!(value, "local" | "aws") => Err(bad("`local` or `aws`")),
            Key::AwsEndpointUrl
                if !(value.starts_with("http://") || value.starts_with("https://")) =>
            {
                Err(bad("an `http://` or `https://` URL"))
            }
            Key::GithubRepo if Repository::parse(value).is_none() => Err(bad(Repository::EXPECTED)),
            _ if self.is_switch() && parse_bool(value).is_none() => Err(bad("`true` or `false`")),
            Key::TtlMin | Key::TtlMax if Ttl::parse(value).is_err() => {
                Err(bad("a TTL such as `30m`, `4h` or `7d`"))
            }
            Key::AwsAcmCertificateArn
                if !(value.starts_with("arn:") && value.contains(":acm:")) =>
            {
                Err(bad(
                    "an ACM certificate ARN, e.g. `arn:aws:acm:eu-west-1:123456789012:certificate/…`",
                ))
            }
            Key::AwsRoute53ZoneId
                if !value
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) =>
            {
                Err(bad("a hosted zone id such as `Z0123456789ABCDEFGHIJ`"))
            }
            Key::AwsPreviewDomain
                if value.starts_with('.')
                    || value.ends_with('.')
                    || !value.contains('.')
                    || !value.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.')
                    }) =>
            {
                Err(bad("a lowercase domain such as `preview.example.com`"))
            }
            Key::AwsSecretPatterns => SecretAllowList::parse(value)
                .map(|_| ())
                .map_err(|_| bad(secret_access::EXPECTED)),
            Key::AwsPermissionsBoundary
                if !(value.starts_with("arn:")
                    && value.contains(":iam::")
                    && value.contains(":policy/")
                    && value
                        .replace("{owner}", "")
                        .replace("{repo}", "")
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_/:-".contains(c))) =>
            {
                Err(bad(
                    "an IAM policy ARN, `{owner}`/`{repo}` allowed, e.g. `arn:aws:iam::123456789012:policy/idp-boundary-{owner}+{repo}`",
                ))
            }
            Key::AwsRegionalCertificates => crate::domain::tfvars::parse_certificates(value)
                .map(|_| ())
                .map_err(|_| {
                    bad("ACM certificate ARNs separated by commas, at most one per region, e.g. `arn:aws:acm:eu-west-1:123456789012:certificate/ID`")
                }),
            Key::AwsAlarmTopicArn if !is_sns_topic_arn(value) => Err(bad(
                "an SNS topic ARN, e.g. `arn:aws:sns:eu-west-1:123456789012:idp-alarms`",
            )),
            Key::AwsRegion
                if !value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') =>
            {
                Err(bad("a region name such as `eu-west-1`"))
            }
            _ => Ok(()),
        }
    }
}

/// A switch's value: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`, any case), else
/// `None`.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Whether `value` is an SNS topic ARN: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`, the account
/// twelve digits, the name 1 to 256 letters, digits, `-` or `_` (a standard topic: CloudWatch
/// alarms do not notify FIFO topics). The templates check `alarm_topic_arn` the same way.
pub fn is_sns_topic_arn(value: &str) -> bool {
    let parts: Vec<&str> = value.split(':').collect();
    let [arn, partition, service, region, account, name] = parts.as_slice() else {
        return false;
    };
    *arn == "arn"
        && partition.starts_with("aws")
        && *service == "sns"
        && !region.is_empty()
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && (1..=256).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn did_you_mean(name: &str) -> Option<Key> {
    let lower = name.to_ascii_lowercase();
    Key::ALL
        .into_iter()
        .map(|k| {
            let candidate = k.as_str().to_ascii_lowercase();
            let score = strsim::jaro_winkler(&lower, &candidate)
                .max(strsim::normalized_damerau_levenshtein(&lower, &candidate));
            (score, k)
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

fn known_keys() -> String {
    Key::ALL.map(Key::as_str).join(", ")
}

/// A problem with a setting or the settings file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The key is not one of [`Key::ALL`].
    #[error("unknown setting `{key}`: {}", match suggestion { Some(k) => format!("did you mean `{k}`?"), None => format!("the settings are {}", known_keys()) })]
    UnknownKey {
        /// The key as given.
        key: String,
        /// The closest known key, if one is close.
        suggestion: Option<Key>,
    },
    /// The value does not fit the key.
    #[error("invalid value `{value}` for `{key}`: expected {expected}")]
    InvalidValue {
        key: Key,
        /// The value as given.
        value: String,
        /// What would be accepted.
        expected: String,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
}

impl From<SettingsError> for Error {
    fn from(e: SettingsError) -> Self {
        let reason = match &e {
            SettingsError::UnknownKey { .. } => "unknown_setting",
            SettingsError::InvalidValue { .. } => "invalid_setting",
            SettingsError::Syntax { .. } => "invalid_settings_file",
        };
        Error::Refused {
            reason: reason.to_owned(),
            message: e.to_string(),
        }
    }
}

/// The default of `aws.ecrRepo`.
pub const DEFAULT_ECR_REPOSITORY: &str = "idp-preview";
/// The default of `aws.templatesDir`.
pub const DEFAULT_TEMPLATES_DIR: &str = "infrastructure/templates";
/// The default of `aws.tofu`.
pub const DEFAULT_TOFU: &str = "tofu";

/// Values of some settings (one layer: flags, environment or file).
pub type Values = BTreeMap<Key, String>;

/// Where a resolved value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A command-line flag (or a keyword argument of a library call).
    Flag,
    /// An environment variable.
    Env,
    /// The settings file.
    File,
    /// The built-in default.
    Default,
}

impl Origin {
    /// `flag`, `env`, `file` or `default`.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Flag => "flag",
            Origin::Env => "env",
            Origin::File => "file",
            Origin::Default => "default",
        }
    }
}

/// A resolved setting: its value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    pub key: Key,
    /// The value (None when nothing sets it and it has no default).
    pub value: Option<String>,
    /// Where the value came from (None when unset).
    pub source: Option<Origin>,
    /// The environment variable that sets it.
    pub env: &'static str,
}

/// Every setting after applying the precedence: flag > environment > file > default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// One entry per key, in [`Key::ALL`] order.
    pub settings: Vec<Setting>,
}

/// Apply the precedence to explicit layers (pure; [`resolve`] reads the environment).
pub fn resolve_layers(flags: &Values, env: &Values, file: &Values) -> Resolved {
    let settings = Key::ALL
        .into_iter()
        .map(|key| {
            let found = [
                (flags, Origin::Flag),
                (env, Origin::Env),
                (file, Origin::File),
            ]
            .into_iter()
            .find_map(|(layer, source)| layer.get(&key).map(|v| (v.clone(), source)))
            .or_else(|| key.default_value().map(|v| (v.to_owned(), Origin::Default)));
            Setting {
                key,
                value: found.as_ref().map(|(v, _)| v.clone()),
                source: found.map(|(_, s)| s),
                env: key.env_var(),
            }
        })
        .collect();
    Resolved { settings }
}

/// The environment layer: every key's variable that is set and not empty.
pub fn env_layer() -> Values {
    Key::ALL
        .into_iter()
        .filter_map(|k| env_vars::get(k.env_var()).map(|v| (k, v)))
        .collect()
}

/// Apply the precedence to `flags`, the environment and `file`.
pub fn resolve(flags: &Values, file: &Values) -> Resolved {
    resolve_layers(flags, &env_layer(), file)
}

impl Resolved {
    /// The value of `key`, if any layer or the default sets it.
    pub fn get(&self, key: Key) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .and_then(|s| s.value.as_deref())
    }

    /// Where the value of `key` came from.
    pub fn origin(&self, key: Key) -> Option<Origin> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .and_then(|s| s.source)
    }

    /// Check every value that came from a flag or the environment (the file's values are
    /// checked when it is read); the error names the flag or variable.
    pub fn check(&self) -> Result<(), Error> {
        for s in &self.settings {
            let (Some(value), Some(origin @ (Origin::Flag | Origin::Env))) = (&s.value, s.source)
            else {
                continue;
            };
            if let Err(e) = s.key.validate(value) {
                let from = match origin {
                    Origin::Flag => format!("`{}`", s.key.flag()),
                    _ => format!("`{}`", s.env),
                };
                return Err(Error::Refused {
                    reason: "invalid_setting".to_owned(),
                    message: format!("{e} (from {from})"),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
