//! The precedence, the keys and the file format.

use super::*;

fn values(pairs: &[(Key, &str)]) -> Values {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

#[test]
fn a_flag_wins_over_the_environment_which_wins_over_the_file_which_wins_over_the_default() {
    let flags = values(&[(Key::AwsRegion, "eu-west-1")]);
    let env = values(&[
        (Key::AwsRegion, "us-east-2"),
        (Key::AwsStateBucket, "env-bucket"),
    ]);
    let file = values(&[
        (Key::AwsRegion, "us-west-2"),
        (Key::AwsStateBucket, "file-bucket"),
        (Key::AwsLockTable, "file-table"),
    ]);
    let r = resolve_layers(&flags, &env, &file);
    assert_eq!(
        (r.get(Key::AwsRegion), r.origin(Key::AwsRegion)),
        (Some("eu-west-1"), Some(Origin::Flag))
    );
    assert_eq!(
        (r.get(Key::AwsStateBucket), r.origin(Key::AwsStateBucket)),
        (Some("env-bucket"), Some(Origin::Env))
    );
    assert_eq!(
        (r.get(Key::AwsLockTable), r.origin(Key::AwsLockTable)),
        (Some("file-table"), Some(Origin::File))
    );
    assert_eq!(
        (r.get(Key::Backend), r.origin(Key::Backend)),
        (Some("local"), Some(Origin::Default))
    );
    assert_eq!(
        (r.get(Key::GithubRepo), r.origin(Key::GithubRepo)),
        (None, None)
    );
}

#[test]
fn an_unknown_key_names_the_closest_known_key() {
    let err = Key::parse("aws.statebuckt").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown setting `aws.statebuckt`: did you mean `aws.stateBucket`?"
    );
    let err = Key::parse("colour").unwrap_err();
    assert!(
        err.to_string()
            .contains("the settings are backend, stateDir"),
        "{err}"
    );
}

#[test]
fn the_file_round_trips_through_toml_with_sections() {
    let v = values(&[
        (Key::Backend, "aws"),
        (Key::AwsStateBucket, "b"),
        (Key::AwsRegion, "eu-west-1"),
        (Key::GithubRepo, "acme/idp"),
    ]);
    let text = to_toml(&v);
    assert!(
        text.contains("[aws]\nregion = \"eu-west-1\"\nstateBucket = \"b\""),
        "{text}"
    );
    assert_eq!(parse(&text, "f").unwrap(), v);
}

#[test]
fn an_unknown_key_in_the_file_is_reported_with_its_line() {
    let err = parse("backend = \"aws\"\n[aws]\nbucket = \"x\"\n", "config.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "config.toml:3:1: unknown setting `aws.bucket`: did you mean `aws.stateBucket`?"
    );
    let err = parse("colour = \"x\"\n", "config.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "config.toml:1:1: unknown setting `colour`: the settings are backend, stateDir, aws.stateBucket, aws.lockTable, aws.region, aws.endpointUrl, aws.profile, aws.ecrRepo, aws.templatesDir, aws.teamTemplatesDirs, aws.tofu, aws.acmCertificateArn, aws.route53ZoneId, aws.previewDomain, aws.albAccessLogsBucket, aws.costCenter, aws.natGatewayPerAz, aws.vpcFlowLogs, aws.useSharedIngress, aws.secretPatterns, aws.permissionsBoundary, aws.regionalCertificates, aws.alarmTopicArn, github.repo, ttl.min, ttl.max"
    );
    let err = parse("backend = 3\n", "f").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("f:1:1: `backend` must be a string"),
        "{err}"
    );
    let err = parse("backend = \n", "f").unwrap_err();
    assert!(
        matches!(err, SettingsError::Syntax { line: 1, .. }),
        "{err}"
    );
}

#[test]
fn values_are_checked_before_they_are_stored() {
    assert!(Key::Backend.validate("gcp").is_err());
    assert!(Key::GithubRepo.validate("acme").is_err());
    assert!(Key::GithubRepo.validate("acme/idp").is_ok());
    assert!(Key::AwsEndpointUrl.validate("localhost:5000").is_err());
    assert!(Key::AwsStateBucket.validate("").is_err());
}

#[test]
fn the_platform_inputs_are_checked_like_the_other_settings() {
    let arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c";
    assert!(Key::AwsAcmCertificateArn.validate(arn).is_ok());
    assert!(Key::AwsAcmCertificateArn.validate("my-cert").is_err());
    assert!(Key::AwsRoute53ZoneId.validate("Z0123456789ABC").is_ok());
    assert!(Key::AwsRoute53ZoneId.validate("/hostedzone/Z1").is_err());
    assert!(
        Key::AwsPreviewDomain
            .validate("preview.example.com")
            .is_ok()
    );
    for bad in ["Preview.example.com", "example", ".example.com", "a b.com"] {
        assert!(Key::AwsPreviewDomain.validate(bad).is_err(), "{bad}");
    }
    assert!(Key::GithubRepo.validate("acme/.").is_err());
}

#[test]
fn the_alarm_topic_is_an_sns_topic_arn_and_says_so_when_it_is_not() {
    for good in [
        "arn:aws:sns:eu-west-1:123456789012:idp-alarms",
        "arn:aws-us-gov:sns:us-gov-west-1:123456789012:Alarms_2",
    ] {
        assert!(Key::AwsAlarmTopicArn.validate(good).is_ok(), "{good}");
    }
    for bad in [
        "idp-alarms",
        "arn:aws:sqs:eu-west-1:123456789012:idp-alarms",
        "arn:aws:sns:eu-west-1:12345:idp-alarms",
        "arn:aws:sns::123456789012:idp-alarms",
        "arn:aws:sns:eu-west-1:123456789012:",
        "arn:aws:sns:eu-west-1:123456789012:idp alarms",
        "arn:aws:sns:eu-west-1:123456789012:idp-alarms.fifo",
        "arn:aws:sns:eu-west-1:123456789012:idp-alarms:extra",
    ] {
        assert!(Key::AwsAlarmTopicArn.validate(bad).is_err(), "{bad}");
    }
    let env = values(&[(Key::AwsAlarmTopicArn, "my-topic")]);
    let err = resolve_layers(&Values::new(), &env, &Values::new())
        .check()
        .unwrap_err()
        .to_string();
    assert!(err.contains("aws.alarmTopicArn"), "{err}");
    assert!(err.contains("an SNS topic ARN"), "{err}");
    assert!(err.ends_with("(from `IDP_ALARM_TOPIC_ARN`)"), "{err}");
    assert_eq!(Key::AwsAlarmTopicArn.flag(), "--alarm-topic-arn");
    assert_eq!(
        Key::parse("aws.alarmTopicArn").unwrap(),
        Key::AwsAlarmTopicArn
    );
}

#[test]
fn a_bad_value_from_a_flag_or_variable_is_refused_naming_it() {
    let flags = values(&[(Key::AwsPreviewDomain, "Not A Domain")]);
    let env = values(&[(Key::AwsRoute53ZoneId, "zone")]);
    let err = resolve_layers(&flags, &Values::new(), &Values::new())
        .check()
        .unwrap_err();
    assert!(
        err.to_string().ends_with("(from `--preview-domain`)"),
        "{err}"
    );
    let err = resolve_layers(&Values::new(), &env, &Values::new())
        .check()
        .unwrap_err();
    assert!(
        err.to_string().ends_with("(from `IDP_ROUTE53_ZONE_ID`)"),
        "{err}"
    );
    assert!(
        resolve_layers(&env, &Values::new(), &Values::new())
            .check()
            .is_err()
    );
    assert!(
        resolve_layers(&Values::new(), &Values::new(), &Values::new())
            .check()
            .is_ok()
    );
}

#[test]
fn save_then_load_gives_the_same_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/config.toml");
    let v = values(&[(Key::AwsProfile, "dev"), (Key::StateDir, "/tmp/x")]);
    save(&path, &v).unwrap();
    assert_eq!(load(&path).unwrap(), v);
    assert_eq!(
        load(&dir.path().join("missing.toml")).unwrap(),
        Values::new()
    );
}

#[test]
fn switches_take_toml_booleans_or_strings_and_ttl_bounds_take_ttls() {
    let v = parse(
        "[aws]\nnatGatewayPerAz = true\nvpcFlowLogs = \"off\"\n[ttl]\nmin = \"10m\"\n",
        "f",
    )
    .unwrap();
    assert_eq!(
        v.get(&Key::AwsNatGatewayPerAz).map(String::as_str),
        Some("true")
    );
    assert_eq!(v.get(&Key::AwsVpcFlowLogs).map(String::as_str), Some("off"));
    assert_eq!(v.get(&Key::TtlMin).map(String::as_str), Some("10m"));
    let err = parse("[aws]\nvpcFlowLogs = \"sometimes\"\n", "f").unwrap_err();
    assert!(err.to_string().contains("`true` or `false`"), "{err}");
    let err = parse("[ttl]\nmax = \"forever\"\n", "f").unwrap_err();
    assert!(err.to_string().contains("a TTL such as"), "{err}");
    let err = parse("[ttl]\nmin = 3\n", "f").unwrap_err();
    assert!(err.to_string().contains("must be a string"), "{err}");
}
