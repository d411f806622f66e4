use super::*;

fn name(s: &str) -> EnvName {
    EnvName::parse(s).unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A record exactly as the original `provision.yml` writes it (`jq --arg`: every value a string).
fn original(status: &str) -> Value {
    serde_json::json!({
        "name": "preview-payment-api",
        "template": "api-service",
        "owner": "octocat@users.noreply.github.com",
        "ttl": "7d",
        "created_at": "2026-02-18T22:03:39Z",
        "expires_at": "2026-02-25T22:03:39.000Z",
        "status": status,
        "container_image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/mini-idp-preview:preview-payment-api-1a2b3c4",
        "acm_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc",
        "route53_zone_id": "Z123",
        "preview_domain": "preview.example.com",
        "use_shared_networking": "true"
    })
}

fn read(value: &Value) -> Result<Metadata, UnreadableRecord> {
    read_record(
        &serde_json::to_vec(value).unwrap(),
        &name("preview-payment-api"),
        Some(at("2026-02-19T00:00:00Z")),
    )
}

#[test]
fn every_field_of_an_active_original_record_is_mapped() {
    let m = read(&original("active")).unwrap();
    assert_eq!(m.schema, METADATA_SCHEMA);
    assert_eq!(m.status, Status::Active);
    assert_eq!(m.template.as_str(), "api-service");
    assert_eq!(m.owner, "octocat@users.noreply.github.com");
    assert_eq!(m.created_at, at("2026-02-18T22:03:39Z"));
    assert_eq!(m.expires_at, at("2026-02-25T22:03:39Z"));
    assert_eq!(m.status_changed_at, m.created_at);
    assert_eq!(m.updated_at, at("2026-02-19T00:00:00Z"));
    assert!(
        m.image
            .as_deref()
            .unwrap()
            .ends_with(":preview-payment-api-1a2b3c4")
    );
    let inputs = m.inputs.clone().unwrap();
    assert_eq!(inputs.route53_zone_id.as_deref(), Some("Z123"));
    assert_eq!(
        inputs.preview_domain.as_deref(),
        Some("preview.example.com")
    );
    assert_eq!(inputs.use_shared_networking, Some(true));
    assert!(
        inputs
            .acm_certificate_arn
            .unwrap()
            .starts_with("arn:aws:acm:")
    );
    let legacy = m.legacy.clone().unwrap();
    assert_eq!(legacy.schema, LEGACY_SCHEMA);
    assert_eq!(legacy.ttl.as_deref(), Some("7d"));
    assert!(legacy.unmapped.is_empty());
    assert!(m.is_legacy() && m.adoptable());
    assert_eq!(m.branch, None);
}

#[test]
fn destroying_takes_its_time_from_destroying_since() {
    let mut v = original("destroying");
    v["destroying_since"] = "2026-02-26T06:00:00Z".into();
    let m = read(&v).unwrap();
    assert_eq!(m.status, Status::Destroying);
    assert_eq!(m.status_changed_at, at("2026-02-26T06:00:00Z"));
    assert!(m.is_stuck_destroying(at("2026-02-26T08:00:01Z")));
    assert!(!m.is_stuck_destroying(at("2026-02-26T07:59:59Z")));
}

#[test]
fn empty_strings_are_unused_inputs_and_the_false_flag_is_kept() {
    let mut v = original("active");
    for key in ["acm_certificate_arn", "route53_zone_id", "preview_domain"] {
        v[key] = "".into();
    }
    v["use_shared_networking"] = "false".into();
    v["container_image"] = "nginx:alpine".into();
    let m = read(&v).unwrap();
    assert_eq!(
        m.inputs,
        Some(RecordedInputs {
            use_shared_networking: Some(false),
            ..RecordedInputs::default()
        })
    );
    assert_eq!(m.image.as_deref(), Some("nginx:alpine"));
}

#[test]
fn missing_fields_are_derived_and_said_so() {
    let mut v = original("active");
    let o = v.as_object_mut().unwrap();
    o.remove("expires_at");
    o.remove("owner");
    o.remove("status");
    let m = read_record(
        &serde_json::to_vec(&v).unwrap(),
        &name("preview-payment-api"),
        None,
    )
    .unwrap();
    assert_eq!(m.expires_at, at("2026-02-25T22:03:39Z"));
    assert_eq!(m.owner, "unknown");
    assert_eq!(m.status, Status::Failed);
    assert_eq!(m.updated_at, m.created_at);
    let derived = &m.legacy.unwrap().derived;
    for key in [
        "expires_at",
        "owner",
        "status",
        "status_changed_at",
        "updated_at",
    ] {
        assert!(derived.contains_key(key), "{key} not in {derived:?}");
    }
}

#[test]
fn fields_idp_has_no_place_for_are_kept_verbatim() {
    let mut v = original("active");
    v["inputs"] = serde_json::json!({"container_port": "8080"});
    v["team"] = "payments".into();
    let m = read(&v).unwrap();
    let unmapped = m.legacy.unwrap().unmapped;
    assert_eq!(unmapped["team"], "payments");
    assert_eq!(unmapped["inputs"]["container_port"], "8080");
}

#[test]
fn every_unmappable_field_is_named_at_once() {
    let mut v = original("exploding");
    v["created_at"] = "yesterday".into();
    v["use_shared_networking"] = "maybe".into();
    v["owner"] = 42.into();
    let err = read(&v).unwrap_err().reason;
    for part in [
        "`status` `exploding`",
        "`created_at` is `yesterday`",
        "`use_shared_networking` is `maybe`",
        "`owner` is 42",
    ] {
        assert!(err.contains(part), "{part} not in {err}");
    }
}

#[test]
fn a_record_under_another_name_is_unreadable() {
    let err = read_record(
        &serde_json::to_vec(&original("active")).unwrap(),
        &name("preview-other"),
        None,
    )
    .unwrap_err();
    assert!(err.reason.contains("stored under `preview-other`"), "{err}");
}

#[test]
fn current_records_round_trip_and_newer_or_broken_ones_say_why() {
    let m = Metadata::new(
        name("preview-x"),
        TemplateName::default_template(),
        "dev@example.com".into(),
        at("2026-01-01T00:00:00Z"),
        at("2026-01-08T00:00:00Z"),
    );
    assert_eq!(
        read_record(&m.to_json(), &name("preview-x"), None).unwrap(),
        m
    );
    let mut newer: Value = serde_json::from_slice(&m.to_json()).unwrap();
    newer["schema"] = 7.into();
    let err = read_record(
        &serde_json::to_vec(&newer).unwrap(),
        &name("preview-x"),
        None,
    )
    .unwrap_err();
    assert!(err.reason.contains("newer idp"), "{err}");
    for (bytes, says) in [
        (&b"\xff\xfe"[..], "not UTF-8"),
        (&b"{not json"[..], "not JSON"),
        (&b"[1]"[..], "not a JSON object"),
        (
            &br#"{"schema": 1, "name": "preview-x"}"#[..],
            "schema 1: missing field",
        ),
    ] {
        let err = read_record(bytes, &name("preview-x"), None).unwrap_err();
        assert!(err.reason.contains(says), "{says}: {err}");
    }
}

#[test]
fn writing_marks_a_legacy_record_migrated_and_keeps_its_history() {
    let m = read(&original("active")).unwrap();
    let written = m.for_writing();
    assert!(!written.is_legacy() && !written.adoptable());
    let legacy = written.legacy.clone().unwrap();
    assert_eq!(legacy.migrated_at, Some(m.updated_at));
    assert_eq!(legacy.ttl.as_deref(), Some("7d"));
    let again = read_record(&written.to_json(), &name("preview-payment-api"), None).unwrap();
    assert_eq!(again, written);
}

proptest::proptest! {
    /// Whatever bytes are stored, reading them never panics.
    #[test]
    fn reading_any_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
        let _ = read_record(&bytes, &name("preview-x"), None);
    }

    /// Any object of string fields is read or refused, never panics.
    #[test]
    fn any_string_record_is_read_or_refused(
        fields in proptest::collection::btree_map("[a-z_]{1,20}", "[ -~]{0,30}", 0..16)
    ) {
        let v: Map<String, Value> = fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        let _ = read_record(&serde_json::to_vec(&v).unwrap(), &name("preview-x"), None);
    }
}
