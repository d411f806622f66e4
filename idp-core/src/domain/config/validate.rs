//! The rules of `.idp/config.yml`: from the raw file to a valid [`Config`].
//!
//! Long because every key's rule, with its message and fix, is kept in one place.
//!
//! Each rule here mirrors what AWS (Fargate, CloudWatch Logs, Secrets Manager, EventBridge)
//! or the templates would reject later, so that a mistake is reported in seconds at the line of
//! the key instead of minutes into a `tofu apply`.

use super::read::{Parsed, Report, did_you_mean, shown};
use super::schema::{CPU_VALUES, LOG_RETENTION_DAYS};
use super::{Config, ConfigOptions, LocalConfig};
use crate::domain::template::TemplateName;
use crate::domain::ttl::{Ttl, TtlError};

/// Check `parsed` against every rule, reporting problems into `report`. The returned `Config`
/// is meaningful only when `report` stays empty.
pub(super) fn validate(
    parsed: &Parsed,
    options: &ConfigOptions,
    report: &mut Report<'_>,
) -> Config {
    let raw = &parsed.raw;
    let mut config = Config::default();
    let at = |key: &str| parsed.pos(key, &[]);

    if let Some(name) = &raw.template {
        match template(name, options) {
            Ok(t) => config.template = t,
            Err((message, fix)) => {
                report.push(at("template"), "template", Some(name), message, fix)
            }
        }
    }

    if let Some(port) = raw.container_port {
        match u16::try_from(port) {
            Ok(p) if p >= 1 => config.container_port = p,
            _ => report.push(
                at("container_port"),
                "container_port",
                Some(&port.to_string()),
                format!("`{port}` is not a TCP port"),
                "use a port between 1 and 65535, e.g. `container_port: 8080`",
            ),
        }
    }

    if let Some(text) = &raw.ttl {
        // `Ttl::parse` slices at the last byte: hand it ASCII only.
        let parsed = if text.is_ascii() {
            Ttl::parse(text)
        } else {
            Err(TtlError::Syntax {
                value: text.clone(),
            })
        };
        match parsed.and_then(|t| options.ttl_policy.check(t)) {
            Ok(ttl) => config.ttl = ttl,
            Err(err) => report.push(
                at("ttl"),
                "ttl",
                Some(text),
                err.to_string(),
                format!(
                    "use a whole number and a unit (m, h, d, w) between `{}` and `{}`, e.g. `ttl: 7d`",
                    options.ttl_policy.min, options.ttl_policy.max
                ),
            ),
        }
    }

    cpu_and_memory(parsed, &mut config, report);

    if let Some(days) = raw.log_retention_days {
        if LOG_RETENTION_DAYS.contains(&days) {
            config.log_retention_days = days;
        } else {
            let nearest = LOG_RETENTION_DAYS
                .iter()
                .min_by_key(|d| d.abs_diff(days))
                .copied()
                .unwrap_or(3);
            report.push(
                at("log_retention_days"),
                "log_retention_days",
                Some(&days.to_string()),
                format!("`{days}` is not a retention period CloudWatch Logs accepts"),
                format!(
                    "use one of {} (nearest: `{nearest}`)",
                    join(LOG_RETENTION_DAYS.iter())
                ),
            );
        }
    }

    for (key, value, target) in [
        ("dockerfile", &raw.dockerfile, 0),
        ("build_context", &raw.build_context, 1),
    ] {
        let Some(path) = value else { continue };
        match repo_path(path) {
            Ok(()) if target == 0 => config.dockerfile = Some(path.clone()),
            Ok(()) => config.build_context = path.clone(),
            Err(problem) => report.push(
                at(key),
                key,
                Some(path),
                format!("`{}` {problem}", shown(path)),
                "use a path relative to the repository root that stays inside it, e.g. `docker/Dockerfile`",
            ),
        }
    }

    image(parsed, &mut config, report);
    environment_and_secrets(parsed, &mut config, report);

    if let Some(path) = &raw.health_check_path {
        if path.starts_with('/') && !path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            config.health_check_path = path.clone();
        } else {
            report.push(
                at("health_check_path"),
                "health_check_path",
                Some(path),
                format!("`{}` is not an HTTP path", shown(path)),
                "start it with `/` and leave out spaces, e.g. `health_check_path: /health`",
            );
        }
    }

    if let Some(shared) = raw.use_shared_networking {
        config.use_shared_networking = shared;
    }
    if let Some(shared) = raw.use_shared_ingress {
        let template = raw
            .template
            .as_deref()
            .unwrap_or(crate::domain::template::DEFAULT_TEMPLATE);
        if shared && !matches!(template, "api-service" | "api-database") {
            report.push(
                parsed.pos("use_shared_ingress", &[]),
                "use_shared_ingress",
                Some("true"),
                format!("template `{template}` is not served by a load balancer"),
                "remove `use_shared_ingress`, or set `template: api-service` (or `api-database`)",
            );
        } else {
            config.use_shared_ingress = shared;
        }
    }

    schedule(parsed, &mut config, report);

    if let Some(arn) = &raw.s3_bucket_arn {
        if is_s3_bucket_arn(arn) {
            config.s3_bucket_arn = Some(arn.clone());
        } else {
            report.push(
                at("s3_bucket_arn"),
                "s3_bucket_arn",
                Some(arn),
                format!("`{}` is not an S3 bucket ARN", shown(arn)),
                "write `arn:aws:s3:::<bucket-name>`, e.g. `arn:aws:s3:::my-data`",
            );
        }
    }

    site_dir(parsed, &mut config, report);

    if let Some(region) = &raw.region {
        if is_region(region) {
            config.region = Some(region.clone());
        } else {
            report.push(
                at("region"),
                "region",
                Some(region),
                format!("`{}` is not an AWS region", shown(region)),
                "write a region code such as `us-east-1`, `eu-west-1` or `us-gov-west-1`",
            );
        }
    }

    if let Some(command) = raw.local.as_ref().and_then(|l| l.command.as_ref()) {
        if command.trim().is_empty() {
            report.push(
                parsed.pos("local.command", &["local"]),
                "local.command",
                Some(command),
                "the command is empty",
                "write the command that starts the app, e.g. `command: npm start`, or remove `local:`",
            );
        } else {
            config.local = LocalConfig {
                command: Some(command.clone()),
            };
        }
    }

    super::kubernetes::validate(parsed, &mut config, report);

    config
}

fn template(name: &str, options: &ConfigOptions) -> Result<TemplateName, (String, String)> {
    let known: Vec<&str> = options.templates.iter().map(TemplateName::as_str).collect();
    let list = known.join(", ");
    let Some(t) = TemplateName::new(name) else {
        return Err((
            format!("`{}` is not a valid template name", shown(name)),
            format!("use one of {list}"),
        ));
    };
    if options.templates.contains(&t) {
        return Ok(t);
    }
    let fix = match did_you_mean(name, &known) {
        Some(best) => format!("did you mean `{best}`? The templates are {list}"),
        None => format!("use one of {list}"),
    };
    Err((format!("unknown template `{name}`"), fix))
}

/// The memory values Fargate accepts for `cpu` (AWS's task size table).
pub(super) fn fargate_memory(cpu: u32) -> Option<(u32, u32, u32)> {
    // (min, max, step) in MiB.
    match cpu {
        256 => Some((512, 2048, 512)),
        512 => Some((1024, 4096, 1024)),
        1024 => Some((2048, 8192, 1024)),
        2048 => Some((4096, 16384, 1024)),
        4096 => Some((8192, 30720, 1024)),
        8192 => Some((16384, 61440, 4096)),
        16384 => Some((32768, 122_880, 8192)),
        _ => None,
    }
}

/// Whether Fargate runs a task of `cpu` units with `memory` MiB.
pub(super) fn fargate_pair_ok(cpu: u32, memory: u32) -> bool {
    match fargate_memory(cpu) {
        // 256 CPU: 512, 1024, 2048 (not 1536).
        Some(_) if cpu == 256 => matches!(memory, 512 | 1024 | 2048),
        Some((min, max, step)) => (min..=max).contains(&memory) && memory.is_multiple_of(step),
        None => false,
    }
}

fn memory_choices(cpu: u32) -> String {
    match fargate_memory(cpu) {
        Some(_) if cpu == 256 => "512, 1024 or 2048".to_owned(),
        Some((min, max, step)) => format!("{min} to {max} in steps of {step}"),
        None => String::new(),
    }
}

fn cpu_and_memory(parsed: &Parsed, config: &mut Config, report: &mut Report<'_>) {
    let raw = &parsed.raw;
    let cpu = raw.cpu.unwrap_or(config.cpu);
    let memory = raw.memory.unwrap_or(config.memory);
    if fargate_memory(cpu).is_none() {
        report.push(
            parsed.pos("cpu", &[]),
            "cpu",
            Some(&cpu.to_string()),
            format!("`{cpu}` is not a Fargate CPU size"),
            format!("use one of {} (1024 = 1 vCPU)", join(CPU_VALUES.iter())),
        );
        return;
    }
    if !fargate_pair_ok(cpu, memory) {
        let (key, fallback) = if raw.memory.is_some() {
            ("memory", "cpu")
        } else {
            ("cpu", "memory")
        };
        let default_note = if raw.memory.is_none() {
            " (the default)"
        } else {
            ""
        };
        report.push(
            parsed.pos(key, &[fallback]),
            key,
            Some(&(if raw.memory.is_some() { memory } else { cpu }).to_string()),
            format!("Fargate does not run `cpu: {cpu}` with `memory: {memory}`{default_note}"),
            format!("with `cpu: {cpu}` set `memory` to {}", memory_choices(cpu)),
        );
        return;
    }
    config.cpu = cpu;
    config.memory = memory;
}

fn image(parsed: &Parsed, config: &mut Config, report: &mut Report<'_>) {
    let raw = &parsed.raw;
    let (key, value) = match (&raw.image, &raw.container_image) {
        (Some(_), Some(old)) => {
            report.push(
                parsed.pos("container_image", &[]),
                "container_image",
                Some(old),
                "both `image` and `container_image` are set",
                "keep only `image` (`container_image` is its former spelling)",
            );
            return;
        }
        (Some(v), None) => ("image", v),
        (None, Some(v)) => ("container_image", v),
        (None, None) => return,
    };
    if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        report.push(
            parsed.pos(key, &[]),
            key,
            Some(value),
            format!("`{}` is not a container image reference", shown(value)),
            "write a reference without spaces, e.g. `image: nginx:alpine` or `image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1`",
        );
    } else {
        config.image = value.clone();
    }
}

fn environment_and_secrets(parsed: &Parsed, config: &mut Config, report: &mut Report<'_>) {
    let raw = &parsed.raw;
    let mut ok = true;
    for (section, map) in [("environment", &raw.environment), ("secrets", &raw.secrets)] {
        for name in map.iter().flat_map(|m| m.keys()) {
            if !is_env_name(name) {
                ok = false;
                let key = format!("{section}.{name}");
                report.push(
                    parsed.pos(&key, &[section]),
                    &key,
                    Some(name),
                    format!("`{}` is not a valid environment variable name", shown(name)),
                    "use letters, digits and `_`, not starting with a digit, e.g. `API_URL`",
                );
            }
        }
    }
    if let (Some(env), Some(secrets)) = (&raw.environment, &raw.secrets) {
        for name in secrets.keys().filter(|n| env.contains_key(*n)) {
            ok = false;
            let key = format!("secrets.{name}");
            report.push(
                parsed.pos(&key, &["secrets"]),
                &key,
                Some(name),
                format!(
                    "`{}` is set both in `environment` and in `secrets`",
                    shown(name)
                ),
                "keep it in one of the two: a secret's value comes from Secrets Manager",
            );
        }
    }
    for (name, arn) in raw.secrets.iter().flatten() {
        if !is_secret_arn(arn) {
            ok = false;
            let key = format!("secrets.{name}");
            report.push(
                parsed.pos(&key, &["secrets"]),
                &key,
                Some(arn),
                format!("`{}` is not a Secrets Manager secret ARN", shown(arn)),
                "write `arn:aws:secretsmanager:<region>:<account id>:secret:<name>`, optionally followed by `:<json-key>:<version-stage>:<version-id>`",
            );
        }
    }
    if ok {
        config.environment = raw.environment.clone().unwrap_or_default();
        config.secrets = raw.secrets.clone().unwrap_or_default();
    }
}

fn schedule(parsed: &Parsed, config: &mut Config, report: &mut Report<'_>) {
    let raw = &parsed.raw;
    let scheduled = raw.template.as_deref() == Some("scheduled-worker");
    match &raw.schedule_expression {
        None if scheduled => report.push(
            parsed.pos("template", &[]),
            "schedule_expression",
            None,
            "template `scheduled-worker` needs a `schedule_expression`",
            "add e.g. `schedule_expression: rate(1 hour)` or `schedule_expression: cron(0 6 * * ? *)`",
        ),
        None => {}
        Some(expr) if !scheduled => report.push(
            parsed.pos("schedule_expression", &[]),
            "schedule_expression",
            Some(expr),
            format!(
                "template `{}` does not run on a schedule",
                raw.template.as_deref().unwrap_or(crate::domain::template::DEFAULT_TEMPLATE)
            ),
            "remove `schedule_expression`, or set `template: scheduled-worker`",
        ),
        Some(expr) => match check_schedule(expr) {
            Ok(()) => config.schedule_expression = Some(expr.clone()),
            Err(problem) => report.push(
                parsed.pos("schedule_expression", &[]),
                "schedule_expression",
                Some(expr),
                format!("`{}` {problem}", shown(expr)),
                "write `rate(N unit)` (minute/minutes, hour/hours, day/days) or `cron(min hour day-of-month month day-of-week year)`, e.g. `rate(1 hour)`",
            ),
        },
    }
}

fn site_dir(parsed: &Parsed, config: &mut Config, report: &mut Report<'_>) {
    let raw = &parsed.raw;
    let Some(dir) = &raw.site_dir else { return };
    let template = raw
        .template
        .as_deref()
        .unwrap_or(crate::domain::template::DEFAULT_TEMPLATE);
    if template != "static-site" {
        report.push(
            parsed.pos("site_dir", &[]),
            "site_dir",
            Some(dir),
            format!("template `{template}` serves no static site"),
            "remove `site_dir`, or set `template: static-site`",
        );
        return;
    }
    match site_path(dir) {
        Ok(()) => config.site_dir = Some(dir.trim_end_matches('/').to_owned()),
        Err(problem) => report.push(
            parsed.pos("site_dir", &[]),
            "site_dir",
            Some(dir),
            format!("`{}` {problem}", shown(dir)),
            "use the folder of the built site, relative to the repository root and inside it, e.g. `site_dir: dist`",
        ),
    }
}

/// Check `site_dir`: a folder below the repository root, named without `..`, `.git`, spaces,
/// backslashes or control characters (its files become public URLs, so the repository root
/// itself and its `.git` folder are refused too).
pub(super) fn site_path(path: &str) -> Result<(), &'static str> {
    if path.split(['/', '\\']).any(|p| p == "..") {
        return Err("goes up a folder with `..`");
    }
    repo_path(path)?;
    if path.len() > 255 {
        return Err("is longer than 255 characters");
    }
    if path.contains('\\') {
        return Err("contains a backslash; separate folders with `/`");
    }
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    if parts.iter().any(|p| p.is_empty() || *p == ".") {
        return Err("is the repository root or has an empty or `.` part");
    }
    if parts.iter().any(|p| p.eq_ignore_ascii_case(".git")) {
        return Err("is inside `.git`, which must never be published");
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if parts
        .iter()
        .any(|p| p.starts_with('-') || !p.chars().all(allowed))
    {
        return Err("has a character other than letters, digits, `.`, `_`, `-` and `/`");
    }
    Ok(())
}

/// Check an EventBridge schedule expression: `rate(N unit)` or `cron(6 fields)`.
pub(super) fn check_schedule(expr: &str) -> Result<(), &'static str> {
    if let Some(inner) = expr.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let mut parts = inner.split(' ');
        let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err("is not `rate(N unit)`");
        };
        if n.is_empty() || n.starts_with('0') || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err("needs a positive whole number in `rate(N unit)`");
        }
        let plural = n != "1";
        return match (unit, plural) {
            ("minute" | "hour" | "day", false) | ("minutes" | "hours" | "days", true) => Ok(()),
            ("minutes" | "hours" | "days", false) => {
                Err("must use the singular unit for 1, e.g. `rate(1 hour)`")
            }
            ("minute" | "hour" | "day", true) => {
                Err("must use a plural unit above 1, e.g. `rate(5 minutes)`")
            }
            _ => Err("has an unknown unit: use minute(s), hour(s) or day(s)"),
        };
    }
    if let Some(inner) = expr.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        let fields: Vec<&str> = inner.split(' ').collect();
        if fields.len() != 6 || fields.iter().any(|f| f.is_empty()) {
            return Err("needs exactly 6 cron fields separated by single spaces");
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || ",-*/?#".contains(c);
        if fields.iter().any(|f| !f.chars().all(allowed)) {
            return Err("has a character cron does not allow");
        }
        let (dom, dow) = (fields.get(2).copied(), fields.get(4).copied());
        if (dom == Some("?")) == (dow == Some("?")) {
            return Err("must have `?` in exactly one of day-of-month and day-of-week");
        }
        return Ok(());
    }
    Err("is not a schedule expression")
}

/// Whether `name` is a valid environment variable name: `^[A-Za-z_][A-Za-z0-9_]*$`.
pub(super) fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `s` is an AWS region code: `^[a-z]{2}(-gov)?-[a-z]+-\d$`.
/// Whether `s` is an AWS region code (`us-east-1`, `eu-west-1`, `us-gov-west-1`): what
/// `region:` in the config and a request's region must be.
pub fn is_region(s: &str) -> bool {
    let lower = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    let digit = |p: &str| p.len() == 1 && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [cc, "gov", area, n] | [cc, area, n] => {
            cc.len() == 2 && lower(cc) && lower(area) && digit(n)
        }
        _ => false,
    }
}

fn is_partition(p: &str) -> bool {
    p.strip_prefix("aws")
        .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
}

/// Whether `arn` is a Secrets Manager secret ARN, optionally in the ECS `valueFrom` form
/// `arn:aws:secretsmanager:<region>:<account>:secret:<name>[:json-key:version-stage:version-id]`.
pub(super) fn is_secret_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let (head, extra) = match parts.len() {
        7 => (&parts[..], None),
        10 => (&parts[..7], parts.get(7..)),
        _ => return false,
    };
    let [arn_, partition, service, region, account, kind, name] = head else {
        return false;
    };
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
    let extra_ok = extra.is_none_or(|e| {
        e.iter()
            .all(|f| !f.chars().any(|c| c.is_whitespace() || c.is_control()))
    });
    *arn_ == "arn"
        && is_partition(partition)
        && *service == "secretsmanager"
        && is_region(region)
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && *kind == "secret"
        && name_ok
        && extra_ok
}

/// Whether `arn` is an S3 bucket ARN (`arn:aws:s3:::bucket`).
pub(super) fn is_s3_bucket_arn(arn: &str) -> bool {
    let Some((partition, bucket)) = arn
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(":s3:::"))
    else {
        return false;
    };
    let edge = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    is_partition(partition)
        && (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && edge(bucket.bytes().next())
        && edge(bucket.bytes().last())
}

/// Check a path inside the repository: relative, and never above its root.
pub(super) fn repo_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("is empty");
    }
    if path.chars().any(char::is_control) {
        return Err("contains a control character");
    }
    let b = path.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if path.starts_with(['/', '\\']) || drive {
        return Err("is an absolute path");
    }
    let mut depth = 0usize;
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return Err("leaves the repository"),
            },
            _ => depth += 1,
        }
    }
    Ok(())
}

fn join<'a>(values: impl Iterator<Item = &'a u32>) -> String {
    values.map(u32::to_string).collect::<Vec<_>>().join(", ")
}
