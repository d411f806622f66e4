//! Tests of `.idp/config.yml` parsing and validation: one or more per rule, error positions,
//! did-you-mean, YAML 1.1 booleans, round trips, fixtures and the JSON Schema.
//!
//! Long because it holds one test or more per config rule, beside the fixtures they share.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::schema::{CPU_VALUES, KEYS, LOG_RETENTION_DAYS};
use super::validate::{
    check_schedule, fargate_pair_ok, is_region, is_secret_arn, repo_path, site_path,
};
use super::*;
use crate::domain::ttl::TtlUnit;

const FILE: &str = ".idp/config.yml";
const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf";

fn parse(yaml: &str) -> Result<Config, ConfigErrors> {
    Config::from_yaml(yaml, FILE)
}

fn ok(yaml: &str) -> Config {
    match parse(yaml) {
        Ok(c) => c,
        Err(e) => panic!("expected {yaml:?} to parse, got:\n{e}"),
    }
}

fn errs(yaml: &str) -> Vec<ConfigError> {
    match parse(yaml) {
        Ok(c) => panic!("expected {yaml:?} to fail, got {c:?}"),
        Err(e) => e.0,
    }
}

fn one_err(yaml: &str) -> ConfigError {
    let mut e = errs(yaml);
    assert_eq!(e.len(), 1, "expected one error for {yaml:?}, got {e:#?}");
    e.remove(0)
}

// === defaults ===

#[test]
fn an_empty_document_gives_the_defaults() {
    for yaml in ["", "\n", "# only a comment\n", "---\n", "\u{FEFF}"] {
        assert_eq!(ok(yaml), Config::default(), "{yaml:?}");
    }
}

#[test]
fn the_defaults_are_the_documented_ones() {
    let c = Config::default();
    assert_eq!(c.template.as_str(), "api-service");
    assert_eq!(c.image, "nginx:alpine");
    assert_eq!(c.container_port, 80);
    assert_eq!(c.ttl, Ttl::new(7, TtlUnit::Days));
    assert_eq!((c.cpu, c.memory, c.log_retention_days), (256, 512, 3));
    assert_eq!(c.health_check_path, "/");
    assert_eq!(c.build_context, ".");
}

#[test]
fn a_key_without_value_keeps_its_default() {
    assert_eq!(ok("cpu:\nenvironment:\n"), Config::default());
}

#[test]
fn the_example_file_parses_to_the_defaults() {
    assert_eq!(ok(EXAMPLE_YAML), Config::default());
}

#[test]
fn the_example_file_documents_every_key() {
    for key in KEYS.iter().filter(|k| **k != "container_image") {
        assert!(
            EXAMPLE_YAML.contains(&format!("\n{key}:"))
                || EXAMPLE_YAML.contains(&format!("# {key}:")),
            "{key} is missing from EXAMPLE_YAML"
        );
    }
    assert!(EXAMPLE_YAML.contains("command:"));
}

#[test]
fn every_key_is_read() {
    let c = ok(&format!(
        "template: scheduled-worker\ncontainer_port: 8080\nttl: 12h\ncpu: 512\nmemory: 2048\n\
         log_retention_days: 14\ndockerfile: docker/Dockerfile\nbuild_context: app\nimage: busybox:1\n\
         environment:\n  A: b\nsecrets:\n  S: {ARN}\nhealth_check_path: /health\n\
         use_shared_networking: true\nschedule_expression: rate(5 minutes)\n\
         s3_bucket_arn: arn:aws:s3:::my-data\nregion: eu-west-1\nlocal:\n  command: npm start\n"
    ));
    assert_eq!(c.template.as_str(), "scheduled-worker");
    assert_eq!(c.container_port, 8080);
    assert_eq!(c.ttl, Ttl::new(12, TtlUnit::Hours));
    assert_eq!((c.cpu, c.memory, c.log_retention_days), (512, 2048, 14));
    assert_eq!(c.dockerfile.as_deref(), Some("docker/Dockerfile"));
    assert_eq!(c.build_context, "app");
    assert_eq!(c.image, "busybox:1");
    assert_eq!(c.environment["A"], "b");
    assert_eq!(c.secrets["S"], ARN);
    assert_eq!(c.health_check_path, "/health");
    assert!(c.use_shared_networking);
    assert_eq!(c.schedule_expression.as_deref(), Some("rate(5 minutes)"));
    assert_eq!(c.s3_bucket_arn.as_deref(), Some("arn:aws:s3:::my-data"));
    assert_eq!(c.region.as_deref(), Some("eu-west-1"));
    assert_eq!(c.local.command.as_deref(), Some("npm start"));
}

// === unknown keys, positions, all errors at once ===

#[test]
fn an_unknown_key_suggests_the_closest_known_key() {
    let e = one_err("template: api-service\ncontianer_port: 8080\n");
    assert_eq!((e.line, e.column, e.key.as_str()), (2, 1, "contianer_port"));
    assert_eq!(e.fix, "did you mean `container_port`?");
    let e = one_err("container-port: 8080\n");
    assert_eq!(e.fix, "did you mean `container_port`?");
    let e = one_err("env:\n  A: b\n");
    assert_eq!(e.fix, "did you mean `environment`?");
}

#[test]
fn an_unknown_key_unlike_any_lists_the_known_keys() {
    let e = one_err("zzzzqqq: 1\n");
    assert!(
        e.fix
            .starts_with("remove it; the known keys are template, "),
        "{}",
        e.fix
    );
}

#[test]
fn an_unknown_key_under_local_suggests_command() {
    let e = one_err("local:\n  comand: npm start\n");
    assert_eq!((e.line, e.column, e.key.as_str()), (2, 3, "local.comand"));
    assert_eq!(e.fix, "did you mean `command`?");
}

#[test]
fn every_problem_is_reported_at_once_in_file_order() {
    let e = errs("cpu: 300\nbogus: 1\ncontainer_port: 0\nttl: 7x\nenvironment:\n  1BAD: x\n");
    let keys: Vec<&str> = e.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        ["cpu", "bogus", "container_port", "ttl", "environment.1BAD"]
    );
    let lines: Vec<usize> = e.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 2, 3, 4, 6]);
}

#[test]
fn errors_point_at_the_offending_key() {
    let e = one_err("# header\ntemplate: api-service\n\n   \nregion: mars-1\n");
    assert_eq!((e.line, e.column), (5, 1));
    let e = one_err("environment:\n  GOOD: 1\n    # comment\n  bad-name: 2\n");
    assert_eq!(
        (e.line, e.column, e.key.as_str()),
        (4, 3, "environment.bad-name")
    );
    let e = one_err("{ template: api-service, cpu: 3 }\n");
    assert_eq!((e.line, e.column, e.key.as_str()), (1, 26, "cpu"));
}

#[test]
fn a_yaml_syntax_error_has_a_position() {
    let e = one_err("template: api-service\ncpu: [256\n");
    assert_eq!(e.key, "");
    assert_eq!(e.line, 2);
    assert!(e.message.starts_with("invalid YAML: "), "{}", e.message);
    let e = one_err("ttl: 7d\nttl: 8d\n");
    assert_eq!((e.line, e.column), (2, 1));
    assert!(e.message.contains("duplicate"), "{}", e.message);
    assert_eq!(
        e.fix,
        "write each key once: remove or merge the repeated one"
    );
    let e = one_err("ttl: 7d\n---\nttl: 8d\n");
    assert_eq!(e.line, 3);
    assert!(e.fix.starts_with("keep a single document"), "{}", e.fix);
}

#[test]
fn hostile_yaml_is_refused_with_an_error() {
    let deep = format!("environment: {}\n", "[".repeat(10_000));
    assert_eq!(errs(&deep).len(), 1);
    let mut laughs = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        laughs.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    assert!(parse(&laughs).is_err());
}

#[test]
fn a_document_that_is_not_a_mapping_is_rejected() {
    let e = one_err("- template\n- api-service\n");
    assert!(e.message.contains("not a list"), "{}", e.message);
    let e = one_err("api-service\n");
    assert!(e.message.contains("not a string"), "{}", e.message);
}

#[test]
fn errors_render_with_file_position_key_and_hint() {
    let e = errs("cpu: 1024\ncontianer_port: 80\n");
    insta::assert_snapshot!(ConfigErrors(e).to_string(), @r"
    .idp/config.yml:1:1: key `cpu`: Fargate does not run `cpu: 1024` with `memory: 512` (the default)
      hint: with `cpu: 1024` set `memory` to 2048 to 8192 in steps of 1024
    .idp/config.yml:2:1: key `contianer_port`: unknown key `contianer_port`
      hint: did you mean `container_port`?
    ");
}

// === YAML 1.1 booleans and scalar text ===

#[test]
fn yaml_1_1_booleans_in_environment_stay_as_written() {
    let c = ok("environment:\n  A: no\n  B: yes\n  C: on\n  D: off\n  E: y\n  F: NO\n");
    let got: Vec<&str> = c.environment.values().map(String::as_str).collect();
    assert_eq!(got, ["no", "yes", "on", "off", "y", "NO"]);
}

#[test]
fn numbers_and_booleans_in_environment_become_their_text() {
    let c = ok(
        "environment:\n  PORT: 8080\n  RATIO: 1.50\n  MODE: 0755\n  HEX: 0x1F\n  ON: true\n  Q: \"quoted\"\n",
    );
    assert_eq!(c.environment["PORT"], "8080");
    assert_eq!(c.environment["RATIO"], "1.50");
    assert_eq!(c.environment["MODE"], "0755");
    assert_eq!(c.environment["HEX"], "0x1F");
    assert_eq!(c.environment["ON"], "true");
    assert_eq!(c.environment["Q"], "quoted");
}

#[test]
fn an_alias_in_environment_takes_the_anchored_text() {
    let c = ok("environment:\n  A: &p 8080\n  B: *p\n");
    assert_eq!(c.environment["B"], "8080");
}

#[test]
fn an_environment_variable_without_value_is_rejected() {
    let e = one_err("environment:\n  EMPTY:\n");
    assert_eq!(e.key, "environment.EMPTY");
    assert!(e.fix.contains("EMPTY: \"\""), "{}", e.fix);
    assert_eq!(ok("environment:\n  EMPTY: \"\"\n").environment["EMPTY"], "");
}

#[test]
fn a_yaml_1_1_boolean_for_a_boolean_key_is_rejected_with_the_fix() {
    let e = one_err("use_shared_networking: yes\n");
    assert_eq!(e.value.as_deref(), Some("yes"));
    assert_eq!(
        e.fix,
        "write `use_shared_networking: true` (YAML 1.1 spellings like yes/on are not booleans here)"
    );
    let e = one_err("use_shared_networking: off\n");
    assert!(
        e.fix.starts_with("write `use_shared_networking: false`"),
        "{}",
        e.fix
    );
    assert!(ok("use_shared_networking: true\n").use_shared_networking);
}

#[test]
fn a_quoted_number_is_rejected_for_a_number_key() {
    let e = one_err("container_port: \"8080\"\n");
    assert_eq!(
        e.fix,
        "write the number without quotes: `container_port: 8080`"
    );
    let e = one_err("cpu: 0.5\n");
    assert_eq!(e.message, "`0.5` is not a whole number");
    let e = one_err("memory: 99999999999999999999999999999999999999999\n");
    assert!(
        e.message.ends_with("is not a whole number"),
        "{}",
        e.message
    );
}

#[test]
fn a_list_where_text_is_expected_is_rejected() {
    let e = one_err("image: [a, b]\n");
    assert_eq!(e.message, "expected a string, found a list");
    let e = one_err("environment: [A, B]\n");
    assert!(e.message.starts_with("expected a mapping"), "{}", e.message);
}

// === each rule ===

#[test]
fn fargate_accepts_exactly_the_documented_cpu_memory_pairs() {
    let accepted = |cpu: u32| {
        (0..=130_000u32)
            .step_by(512)
            .filter(|m| fargate_pair_ok(cpu, *m))
            .collect::<Vec<_>>()
    };
    assert_eq!(accepted(256), [512, 1024, 2048]);
    assert_eq!(accepted(512), [1024, 2048, 3072, 4096]);
    assert_eq!(
        accepted(1024),
        (2..=8).map(|g| g * 1024).collect::<Vec<_>>()
    );
    assert_eq!(
        accepted(2048),
        (4..=16).map(|g| g * 1024).collect::<Vec<_>>()
    );
    assert_eq!(
        accepted(4096),
        (8..=30).map(|g| g * 1024).collect::<Vec<_>>()
    );
    assert_eq!(
        accepted(8192),
        (4..=15).map(|g| g * 4096).collect::<Vec<_>>()
    );
    assert_eq!(
        accepted(16384),
        (4..=15).map(|g| g * 8192).collect::<Vec<_>>()
    );
    assert!(accepted(300).is_empty());
}

#[test]
fn an_unsupported_cpu_is_rejected() {
    let e = one_err("cpu: 300\n");
    assert_eq!(e.key, "cpu");
    assert!(e.fix.starts_with("use one of 256, 512, 1024"), "{}", e.fix);
}

#[test]
fn a_memory_that_does_not_fit_the_cpu_is_reported_at_memory() {
    let e = one_err("cpu: 512\nmemory: 512\n");
    assert_eq!((e.key.as_str(), e.line), ("memory", 2));
    assert_eq!(
        e.fix,
        "with `cpu: 512` set `memory` to 1024 to 4096 in steps of 1024"
    );
    assert_eq!(ok("cpu: 512\nmemory: 3072\n").memory, 3072);
    let e = one_err("memory: 4096\n");
    assert_eq!(e.key, "memory");
}

#[test]
fn container_port_must_be_a_tcp_port() {
    for bad in ["0", "65536", "-1"] {
        assert_eq!(
            one_err(&format!("container_port: {bad}\n")).key,
            "container_port",
            "{bad}"
        );
    }
    assert_eq!(ok("container_port: 65535\n").container_port, 65535);
    assert_eq!(ok("container_port: 1\n").container_port, 1);
}

#[test]
fn ttl_is_parsed_and_checked_against_the_policy() {
    assert!(one_err("ttl: 7x\n").message.contains("is not valid"));
    assert!(
        one_err("ttl: \u{e9}t\u{e9}\n")
            .message
            .contains("is not valid")
    );
    assert!(
        one_err("ttl: 10m\n")
            .message
            .contains("shorter than the minimum `1h`")
    );
    assert!(
        one_err("ttl: 31d\n")
            .message
            .contains("longer than the maximum `30d`")
    );
    assert_eq!(ok("ttl: 2w\n").ttl, Ttl::new(2, TtlUnit::Weeks));
    let options = ConfigOptions {
        ttl_policy: TtlPolicy {
            min: Ttl::new(1, TtlUnit::Hours),
            max: Ttl::new(90, TtlUnit::Days),
        },
        ..ConfigOptions::default()
    };
    let c = Config::from_yaml_with("ttl: 60d\n", FILE, &options);
    assert_eq!(c.map(|c| c.ttl), Ok(Ttl::new(60, TtlUnit::Days)));
}

#[test]
fn an_unknown_template_suggests_the_closest() {
    let e = one_err("template: api-servce\n");
    assert_eq!(e.message, "unknown template `api-servce`");
    assert!(
        e.fix.starts_with("did you mean `api-service`?"),
        "{}",
        e.fix
    );
    let e = one_err("template: Api_Service\n");
    assert!(
        e.message.contains("not a valid template name"),
        "{}",
        e.message
    );
}

#[test]
fn a_custom_template_is_accepted_when_the_platform_offers_it() {
    assert_eq!(one_err("template: static-blog\n").key, "template");
    let mut options = ConfigOptions::default();
    options.templates.extend(TemplateName::new("static-blog"));
    let c = Config::from_yaml_with("template: static-blog\n", FILE, &options);
    assert_eq!(
        c.map(|c| c.template.to_string()),
        Ok("static-blog".to_owned())
    );
}

#[test]
fn environment_variable_names_are_checked() {
    for bad in ["1ABC", "A-B", "A.B", "\"A B\"", "\"\""] {
        let e = one_err(&format!("environment:\n  {bad}: x\n"));
        assert!(e.key.starts_with("environment."), "{bad}: {e:?}");
        assert_eq!(e.line, 2, "{bad}");
    }
    let e = one_err(&format!("secrets:\n  bad-name: {ARN}\n"));
    assert_eq!(e.key, "secrets.bad-name");
    let c = ok("environment:\n  _A1: x\n  a: y\n");
    assert_eq!(c.environment.len(), 2);
}

#[test]
fn a_name_in_both_environment_and_secrets_is_rejected() {
    let e = one_err(&format!("environment:\n  DB: x\nsecrets:\n  DB: {ARN}\n"));
    assert_eq!((e.key.as_str(), e.line, e.column), ("secrets.DB", 4, 3));
}

#[test]
fn secret_values_must_be_secrets_manager_arns() {
    for good in [
        ARN.to_owned(),
        format!("{ARN}:password::"),
        format!("{ARN}:password:AWSCURRENT:"),
        "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x".to_owned(),
        "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:a+b=c.d@e_f".to_owned(),
    ] {
        assert!(is_secret_arn(&good), "{good}");
    }
    for bad in [
        "super-secret-value",
        "arn:aws:ssm:us-east-1:123456789012:parameter/x",
        "arn:aws:secretsmanager:us-east-1:12345:secret:x",
        "arn:aws:secretsmanager:useast1:123456789012:secret:x",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:x:key",
        "arn:aws:secretsmanager:us-east-1:123456789012:key:x",
        "arn:gcp:secretsmanager:us-east-1:123456789012:secret:x",
    ] {
        assert!(!is_secret_arn(bad), "{bad}");
    }
    let e = one_err("secrets:\n  DB: hunter2\n");
    assert_eq!((e.key.as_str(), e.line, e.column), ("secrets.DB", 2, 3));
}

#[test]
fn log_retention_must_be_a_cloudwatch_period() {
    let e = one_err("log_retention_days: 4\n");
    assert!(e.fix.contains("nearest: `3`"), "{}", e.fix);
    for days in LOG_RETENTION_DAYS {
        assert_eq!(
            ok(&format!("log_retention_days: {days}\n")).log_retention_days,
            days
        );
    }
    for bad in [0, 2, 6, 366, 3654] {
        assert!(
            parse(&format!("log_retention_days: {bad}\n")).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn schedule_expressions_follow_eventbridge_syntax() {
    for good in [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "cron(0 6 * * ? *)",
        "cron(0/15 * ? * MON-FRI *)",
        "cron(0 8 1 * ? 2026)",
    ] {
        assert_eq!(check_schedule(good), Ok(()), "{good}");
    }
    for bad in [
        "rate(1 hours)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(05 minutes)",
        "rate(5 weeks)",
        "rate(5  minutes)",
        "rate(minutes)",
        "cron(0 6 * * *)",
        "cron(0 6 * * * *)",
        "cron(0 6 ? * ? *)",
        "cron(0 6 * * ? * *)",
        "cron(0 6 * * ? $)",
        "every hour",
        "",
    ] {
        assert!(check_schedule(bad).is_err(), "{bad}");
    }
}

#[test]
fn scheduled_worker_requires_a_schedule_expression() {
    let e = one_err("# worker\ntemplate: scheduled-worker\n");
    assert_eq!((e.key.as_str(), e.line), ("schedule_expression", 2));
    let c = ok("template: scheduled-worker\nschedule_expression: rate(1 hour)\n");
    assert_eq!(c.schedule_expression.as_deref(), Some("rate(1 hour)"));
    let e = one_err("template: scheduled-worker\nschedule_expression: every day\n");
    assert_eq!(e.key, "schedule_expression");
}

#[test]
fn other_templates_reject_a_schedule_expression() {
    let e = one_err("schedule_expression: rate(1 hour)\n");
    assert_eq!(
        e.message,
        "template `api-service` does not run on a schedule"
    );
    let e = one_err("template: api-database\nschedule_expression: rate(1 hour)\n");
    assert_eq!(e.line, 2);
}

#[test]
fn health_check_path_must_start_with_a_slash() {
    assert_eq!(
        one_err("health_check_path: health\n").key,
        "health_check_path"
    );
    assert_eq!(
        one_err("health_check_path: /a b\n").key,
        "health_check_path"
    );
    assert_eq!(
        ok("health_check_path: /healthz?full=1\n").health_check_path,
        "/healthz?full=1"
    );
}

#[test]
fn region_must_look_like_an_aws_region() {
    for good in [
        "us-east-1",
        "eu-central-2",
        "ap-southeast-4",
        "us-gov-west-1",
    ] {
        assert!(is_region(good), "{good}");
    }
    for bad in [
        "us-east",
        "US-EAST-1",
        "useast-1",
        "us-east-12",
        "usa-east-1",
        "us--1",
        "mars",
    ] {
        assert!(!is_region(bad), "{bad}");
    }
    assert_eq!(one_err("region: europe\n").key, "region");
}

#[test]
fn image_must_be_a_reference_without_spaces() {
    assert_eq!(one_err("image: \"\"\n").key, "image");
    assert_eq!(one_err("image: nginx alpine\n").key, "image");
    assert_eq!(
        ok("image: ghcr.io/org/app:1.2\n").image,
        "ghcr.io/org/app:1.2"
    );
}

#[test]
fn container_image_is_accepted_as_the_former_spelling_of_image() {
    assert_eq!(ok("container_image: busybox\n").image, "busybox");
    let e = one_err("image: a\ncontainer_image: b\n");
    assert_eq!((e.key.as_str(), e.line), ("container_image", 2));
    assert_eq!(one_err("container_image: a b\n").key, "container_image");
}

#[test]
fn paths_must_stay_inside_the_repository() {
    for good in [
        "Dockerfile",
        "./docker/Dockerfile",
        "a/../Dockerfile",
        ".",
        "app/",
    ] {
        assert_eq!(repo_path(good), Ok(()), "{good}");
    }
    for bad in [
        "",
        "../Dockerfile",
        "a/../../x",
        "/etc/passwd",
        "\\\\server\\x",
        "C:\\x",
        "..",
        "a/\u{0}",
    ] {
        assert!(repo_path(bad).is_err(), "{bad:?}");
    }
    assert_eq!(one_err("dockerfile: ../Dockerfile\n").key, "dockerfile");
    assert_eq!(one_err("build_context: /srv\n").key, "build_context");
    assert_eq!(
        ok("build_context: services/api\n").build_context,
        "services/api"
    );
}

#[test]
fn site_dir_is_a_folder_inside_the_repository_and_only_for_a_static_site() {
    let site = "template: static-site\n";
    let c = ok(&format!("{site}site_dir: site/public/\n"));
    assert_eq!(c.site_dir.as_deref(), Some("site/public"));
    assert_eq!(c.site_dir(), "site/public");
    assert_eq!(ok(site).site_dir(), DEFAULT_SITE_DIR);
    assert_eq!(ok(&c.to_yaml()), c, "to_yaml and back");
    for good in ["dist", "build/web", ".output/public", "_site", "a.b/c-d_e"] {
        assert_eq!(site_path(good), Ok(()), "{good}");
    }
    for bad in [
        "",
        ".",
        "./",
        "/var/www",
        "../site",
        "dist/../public",
        "a/./b",
        ".git",
        "x/.GIT/objects",
        "C:\\site",
        "dist\\web",
        "-rf",
        "my site",
        "dist;rm -rf /",
        "$(whoami)",
        "a/\u{0}b",
        "d\u{e9}j\u{e0}",
    ] {
        assert!(site_path(bad).is_err(), "{bad:?}");
    }
    assert!(site_path(&"a".repeat(256)).is_err());

    let e = one_err(&format!("{site}site_dir: ../dist\n"));
    assert_eq!((e.key.as_str(), e.line, e.column), ("site_dir", 2, 1));
    assert!(e.message.contains("`..`"), "{}", e.message);
    assert!(e.fix.contains("site_dir: dist"), "{}", e.fix);
    let e = one_err(&format!("{site}site_dir: /srv/site\n"));
    assert!(e.message.contains("absolute"), "{}", e.message);
    assert!(e.to_string().contains(FILE), "{e}");

    let e = one_err("site_dir: dist\n");
    assert_eq!((e.key.as_str(), e.line), ("site_dir", 1));
    assert!(e.message.contains("`api-service`"), "{}", e.message);
    assert!(e.fix.contains("template: static-site"), "{}", e.fix);
    let e = one_err("template: lambda-api\nsite_dir: dist\n");
    assert!(e.message.contains("`lambda-api`"), "{}", e.message);
    assert_eq!(
        one_err(&format!("{site}site_dir: [a, b]\n")).key,
        "site_dir"
    );
}

#[test]
fn s3_bucket_arn_must_be_a_bucket_arn() {
    let worker = "template: scheduled-worker\nschedule_expression: rate(1 hour)\n";
    assert_eq!(
        one_err(&format!("{worker}s3_bucket_arn: my-bucket\n")).key,
        "s3_bucket_arn"
    );
    assert_eq!(
        one_err(&format!("{worker}s3_bucket_arn: arn:aws:s3:::Bad_Bucket\n")).key,
        "s3_bucket_arn"
    );
    let c = ok(&format!("{worker}s3_bucket_arn: arn:aws:s3:::my.data-1\n"));
    assert_eq!(c.s3_bucket_arn.as_deref(), Some("arn:aws:s3:::my.data-1"));
}

#[test]
fn the_kubernetes_section_is_read_and_checked_at_the_line_of_each_key() {
    let c = ok(
        "template: k8s-namespace\nkubernetes:\n  cpu: \"4\"\n  memory: 8Gi\n  pods: 30\n  group: acme/payments\n  path: deploy/\n",
    );
    assert_eq!(
        (
            c.kubernetes.cpu.as_str(),
            c.kubernetes.memory.as_str(),
            c.kubernetes.pods
        ),
        ("4", "8Gi", 30)
    );
    assert_eq!(c.kubernetes.group.as_deref(), Some("acme/payments"));
    assert_eq!(c.kubernetes.path, "deploy");
    assert_eq!(ok(&c.to_yaml()), c, "to_yaml and back");

    let e = one_err("template: k8s-namespace\nkubernetes:\n  memory: 4GB\n");
    assert_eq!(
        (e.key.as_str(), e.line, e.column),
        ("kubernetes.memory", 3, 3)
    );
    assert!(e.fix.contains("4Gi"), "{}", e.fix);
    let e = one_err("template: k8s-namespace\nkubernetes:\n  cpus: \"2\"\n");
    assert_eq!(e.key, "kubernetes.cpus");
    assert!(e.fix.contains("`cpu`"), "{}", e.fix);
    let e = one_err("template: k8s-namespace\nkubernetes:\n  role_arn: arn:aws:s3:::b\n");
    assert_eq!(e.key, "kubernetes.role_arn");
    let e = one_err("kubernetes:\n  cpu: \"2\"\n");
    assert_eq!((e.key.as_str(), e.line), ("kubernetes", 1));
    assert!(e.fix.contains("template: k8s-namespace"), "{}", e.fix);
}

#[test]
fn local_command_must_not_be_empty() {
    let e = one_err("local:\n  command: \"  \"\n");
    assert_eq!((e.key.as_str(), e.line, e.column), ("local.command", 2, 3));
    assert_eq!(one_err("local: npm start\n").key, "local");
}

// === round trip ===

#[test]
fn to_yaml_writes_every_key() {
    let yaml = Config::default().to_yaml();
    for key in KEYS.iter().filter(|k| {
        !matches!(
            **k,
            "container_image"
                | "dockerfile"
                | "schedule_expression"
                | "s3_bucket_arn"
                | "site_dir"
                | "region"
                | "local"
                | "kubernetes"
        )
    }) {
        assert!(
            yaml.contains(&format!("{key}:")),
            "{key} missing from\n{yaml}"
        );
    }
    assert_eq!(ok(&yaml), Config::default());
}

#[test]
fn to_yaml_output_snapshot() {
    let mut c = ok(
        "template: scheduled-worker\nschedule_expression: cron(0 6 * * ? *)\nlocal:\n  command: ./run.sh\n",
    );
    c.environment.insert("DEBUG".to_owned(), "no".to_owned());
    c.environment.insert("PORT".to_owned(), "8080".to_owned());
    c.secrets
        .insert("TOKEN".to_owned(), format!("{ARN}:token::"));
    let yaml = c.to_yaml();
    assert_eq!(ok(&yaml), c);
    insta::assert_snapshot!(yaml);
}

fn arb_ttl() -> impl Strategy<Value = Ttl> {
    prop_oneof![
        (60u32..=43_200).prop_map(|n| Ttl::new(n, TtlUnit::Minutes)),
        (1u32..=720).prop_map(|n| Ttl::new(n, TtlUnit::Hours)),
        (1u32..=30).prop_map(|n| Ttl::new(n, TtlUnit::Days)),
        (1u32..=4).prop_map(|n| Ttl::new(n, TtlUnit::Weeks)),
    ]
}

fn arb_cpu_memory() -> impl Strategy<Value = (u32, u32)> {
    proptest::sample::select(CPU_VALUES.to_vec()).prop_flat_map(|cpu| {
        let choices: Vec<u32> = (512..=122_880u32)
            .step_by(512)
            .filter(|m| fargate_pair_ok(cpu, *m))
            .collect();
        (Just(cpu), proptest::sample::select(choices))
    })
}

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "no",
            "yes",
            "on",
            "off",
            "y",
            "8080",
            "1.50",
            "0755",
            "0x1F",
            "true",
            "false",
            "null",
            "~",
            "",
            " x ",
            "a: b",
            "#x",
            "- a",
            "[a]",
            "{a: 1}",
            "*x",
            "&x",
            "!x",
            "|",
            ">",
            "'",
            "\"",
            "%x",
            "@x",
            "`x",
            "a\nb",
            "tab\there",
            "trailing ",
            "\u{e9}t\u{e9}",
            "\u{FEFF}bom",
            "---",
            "...",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,24}",
    ]
}

fn arb_path() -> impl Strategy<Value = String> {
    "(\\./)?[a-zA-Z0-9_.-]{1,10}(/[a-zA-Z0-9_-]{1,10}){0,2}"
        .prop_filter("stays inside the repository", |p| repo_path(p).is_ok())
}

prop_compose! {
    fn arb_config()(
        template in proptest::sample::select(vec!["api-service", "api-database", "scheduled-worker", "static-site"]),
        container_port in 1u16..,
        ttl in arb_ttl(),
        (cpu, memory) in arb_cpu_memory(),
        log_retention_days in proptest::sample::select(LOG_RETENTION_DAYS.to_vec()),
        dockerfile in proptest::option::of(arb_path()),
        build_context in arb_path(),
        image in "[!-~]{1,40}",
        environment in proptest::collection::btree_map("[A-Za-z_][A-Za-z0-9_]{0,8}", arb_text(), 0..6),
        secret_names in proptest::collection::btree_set("S_[A-Z0-9_]{0,8}", 0..3),
        json_key in proptest::option::of("[a-z]{1,8}"),
        health_check_path in "/[!-~]{0,20}",
        use_shared_networking in any::<bool>(),
        use_shared_ingress in any::<bool>(),
        schedule in proptest::sample::select(vec!["rate(1 hour)", "rate(15 minutes)", "cron(0 6 * * ? *)"]),
        s3_bucket_arn in proptest::option::of("arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]"),
        region in proptest::option::of(proptest::sample::select(vec!["us-east-1", "eu-west-1", "us-gov-west-1"])),
        command in proptest::option::of("[!-~][ -~]{0,30}"),
        site in proptest::option::of("[a-z_][a-z0-9_-]{0,8}(/[a-z0-9_.-]{1,8}){0,2}"),
    ) -> Config {
        let template = TemplateName::new(template).unwrap_or_default();
        let scheduled = template.is_scheduled();
        let behind_alb = matches!(template.as_str(), "api-service" | "api-database");
        let site_dir = site.filter(|s| template.is_static_site() && site_path(s).is_ok());
        let suffix = json_key.map(|k| format!(":{k}::")).unwrap_or_default();
        let secrets: BTreeMap<String, String> = secret_names
            .into_iter()
            .filter(|n| !environment.contains_key(n))
            .map(|n| (n, format!("{ARN}{suffix}")))
            .collect();
        Config {
            template,
            container_port,
            ttl,
            cpu,
            memory,
            log_retention_days,
            dockerfile,
            build_context,
            image,
            environment,
            secrets,
            health_check_path,
            use_shared_networking,
            use_shared_ingress: use_shared_ingress && behind_alb,
            schedule_expression: scheduled.then(|| schedule.to_owned()),
            s3_bucket_arn,
            site_dir,
            region: region.map(str::to_owned),
            local: LocalConfig { command },
            kubernetes: super::KubernetesConfig::default(),
        }
    }
}

proptest! {
    #[test]
    fn a_valid_config_survives_to_yaml_and_back(config in arb_config()) {
        let yaml = config.to_yaml();
        match Config::from_yaml(&yaml, FILE) {
            Ok(back) => prop_assert_eq!(back, config, "yaml:\n{}", yaml),
            Err(e) => prop_assert!(false, "{}\nyaml:\n{}", e, yaml),
        }
    }

    #[test]
    fn key_value_files_parse_or_fail_cleanly_and_accepted_ones_round_trip(
        lines in proptest::collection::vec(
            (proptest::sample::select(KEYS.to_vec()), arb_text()),
            0..6,
        )
    ) {
        let text: String = lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        match Config::from_yaml(&text, FILE) {
            Ok(config) => {
                let back = Config::from_yaml(&config.to_yaml(), FILE);
                prop_assert_eq!(back, Ok(config), "text:\n{}", text);
            }
            Err(errors) => prop_assert!(errors.iter().all(|e| e.line >= 1 && !e.fix.is_empty())),
        }
    }

    #[test]
    fn any_text_gives_a_config_or_located_errors(text in "\\PC{0,200}") {
        if let Err(errors) = Config::from_yaml(&text, FILE) {
            prop_assert!(!errors.is_empty());
            for e in &errors {
                prop_assert!(e.line >= 1 && e.column >= 1);
                prop_assert!(!e.message.is_empty() && !e.fix.is_empty());
            }
        }
    }
}

// === fixtures and schema ===

#[allow(clippy::disallowed_methods, reason = "tests read their fixture files")]
fn fixtures(kind: &str) -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(kind);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .filter(|(name, _)| name.ends_with(".yml"))
        .collect();
    out.sort();
    out
}

#[test]
fn every_good_fixture_parses() {
    let good = fixtures("good");
    assert!(good.len() >= 4);
    for (name, text) in good {
        if let Err(e) = Config::from_yaml(&text, &format!(".idp/{name}")) {
            panic!("{name} should parse:\n{e}");
        }
    }
}

#[test]
fn every_bad_fixture_fails_with_one_explained_error() {
    let bad = fixtures("bad");
    assert!(bad.len() >= 10);
    for (name, text) in bad {
        assert!(
            text.starts_with('#'),
            "{name}: line 1 must say what is wrong"
        );
        let rendered = match Config::from_yaml(&text, ".idp/config.yml") {
            Ok(c) => panic!("{name} should fail, got {c:?}"),
            Err(e) => {
                assert_eq!(e.len(), 1, "{name}: each bad fixture has one mistake:\n{e}");
                e.to_string()
            }
        };
        let stem = name.trim_end_matches(".yml").to_owned();
        insta::with_settings!({ description => text, omit_expression => true }, {
            insta::assert_snapshot!(format!("bad_{stem}"), rendered);
        });
    }
}

#[test]
fn the_json_schema_describes_the_file() {
    let schema = json_schema();
    assert_eq!(schema["additionalProperties"], serde_json::json!(false));
    assert_eq!(
        schema["properties"]["cpu"]["enum"],
        serde_json::json!(CPU_VALUES)
    );
    assert_eq!(
        schema["properties"]["log_retention_days"]["enum"],
        serde_json::json!(LOG_RETENTION_DAYS)
    );
    for key in KEYS {
        assert!(
            schema["properties"][key]["description"].is_string(),
            "{key} has no description"
        );
    }
    insta::assert_json_snapshot!("json_schema", schema);
}

#[test]
fn config_errors_are_std_errors_that_travel_between_threads() {
    fn assert_error<E: std::error::Error + Send + Sync + 'static>() {}
    assert_error::<ConfigError>();
    assert_error::<ConfigErrors>();
}
