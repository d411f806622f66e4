use chrono::TimeZone;
use jsonwebtoken::{EncodingKey, Header};
use proptest::prelude::*;

use super::*;

fn principal(role: Role, owner: &str) -> Principal {
    Principal {
        token_id: "abc123abc123".to_owned(),
        role,
        owner: owner.to_owned(),
    }
}

// === authorize ===

/// Every action with the least role that may do it, as `bob`.
fn matrix() -> Vec<(Action<'static>, Role)> {
    vec![
        (Action::Read, Role::Viewer),
        (Action::CreateEnvironment { owner: None }, Role::Developer),
        (
            Action::CreateEnvironment { owner: Some("bob") },
            Role::Developer,
        ),
        (
            Action::CreateEnvironment {
                owner: Some("alice"),
            },
            Role::Admin,
        ),
        (
            Action::ChangeEnvironment { owner: Some("bob") },
            Role::Developer,
        ),
        (
            Action::ChangeEnvironment {
                owner: Some("alice"),
            },
            Role::Admin,
        ),
        (Action::ChangeEnvironment { owner: None }, Role::Admin),
        (Action::ChangeEnvironment { owner: Some("") }, Role::Admin),
        (Action::SubmitRun, Role::Developer),
        (Action::ManageRun, Role::Developer),
        (Action::Unlock, Role::Admin),
        (Action::ManageTokens, Role::Admin),
        (Action::Approve, Role::Admin),
    ]
}

#[test]
fn every_role_may_do_exactly_the_actions_of_its_rank() {
    for (action, needed) in matrix() {
        for role in Role::ALL {
            let decision = authorize(&principal(role, "bob"), action);
            if role >= needed {
                assert_eq!(decision, Ok(()), "{role} {action:?}");
            } else {
                let denied = decision.expect_err("denied");
                assert_eq!(denied.needed, needed, "{role} {action:?}");
                assert!(denied.reason.contains(&format!("needs role `{needed}`")));
                assert!(denied.reason.contains(&format!("has `{role}`")));
                assert!(
                    denied.reason.contains("`abc123abc123`"),
                    "{}",
                    denied.reason
                );
            }
        }
    }
}

#[test]
fn an_empty_owner_never_matches_an_empty_principal_owner() {
    let nobody = principal(Role::Developer, "");
    assert!(authorize(&nobody, Action::ChangeEnvironment { owner: Some("") }).is_err());
    assert!(authorize(&nobody, Action::ChangeEnvironment { owner: None }).is_err());
}

#[test]
fn denials_are_one_sentence_naming_the_owner_the_role_and_the_token() {
    let bob = principal(Role::Developer, "bob");
    let denied = authorize(
        &bob,
        Action::ChangeEnvironment {
            owner: Some("alice"),
        },
    )
    .unwrap_err();
    assert_eq!(
        denied.reason,
        "extending or destroying an environment owned by `alice` needs role `admin`; token \
         `abc123abc123` has `developer` and changes only environments owned by `bob`"
    );
    let viewer = principal(Role::Viewer, "carol");
    assert_eq!(
        authorize(&viewer, Action::SubmitRun).unwrap_err().reason,
        "submitting an infrastructure run needs role `developer`; token `abc123abc123` has `viewer`"
    );
    assert_eq!(
        authorize(&bob, Action::ChangeEnvironment { owner: None })
            .unwrap_err()
            .reason,
        "extending or destroying an environment with no recorded owner needs role `admin`; token \
         `abc123abc123` has `developer` and changes only environments owned by `bob`"
    );
    assert_eq!(
        authorize(&bob, Action::Unlock).unwrap_err().to_string(),
        "unlocking an environment needs role `admin`; token `abc123abc123` has `developer`"
    );
}

#[test]
fn roles_parse_display_order_and_serialize_in_snake_case() {
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Ok(role));
        assert_eq!(role.to_string(), role.as_str());
        assert_eq!(
            serde_json::to_string(&role).unwrap(),
            format!("\"{}\"", role.as_str())
        );
        assert_eq!(
            serde_json::from_str::<Role>(&format!("\"{role}\"")).unwrap(),
            role
        );
    }
    assert!(Role::Viewer < Role::Developer && Role::Developer < Role::Admin);
    let error = Role::parse("Admin").unwrap_err();
    for name in ["viewer", "developer", "admin", "`Admin`"] {
        assert!(error.contains(name), "{error}");
    }
}

// === tokens ===

const ID: &str = "0123456789ab";
const SECRET: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

#[test]
fn a_token_text_parses_back_into_its_id_and_secret() {
    let text = token_text(ID, SECRET);
    assert_eq!(text.len(), 4 + 12 + 1 + 64);
    assert!(text.starts_with("idp_0123456789ab_"));
    assert_eq!(parse_token(&text), Some((ID, SECRET)));
    assert!(is_token_id(ID));
}

#[test]
fn token_texts_of_any_other_shape_are_refused() {
    let upper = token_text(&ID.to_uppercase(), SECRET);
    let short_id = token_text("0123456789a", SECRET);
    let long_id = token_text("0123456789abc", SECRET);
    let short_secret = token_text(ID, &SECRET[1..]);
    let long_secret = format!("{}0", token_text(ID, SECRET));
    let non_hex = token_text("0123456789ag", SECRET);
    let padded = format!(" {}", token_text(ID, SECRET));
    let newline = format!("{}\n", token_text(ID, SECRET));
    let other_prefix = format!("idq_{ID}_{SECRET}");
    let dash = format!("idp_{ID}-{SECRET}");
    let extra_part = format!("idp_{ID}_{SECRET}_00");
    for text in [
        "",
        "idp_",
        "idp__",
        upper.as_str(),
        &short_id,
        &long_id,
        &short_secret,
        &long_secret,
        &non_hex,
        &padded,
        &newline,
        &other_prefix,
        &dash,
        &extra_part,
    ] {
        assert_eq!(parse_token(text), None, "{text:?}");
    }
    assert!(!is_token_id("../../etc/p"));
}

#[test]
fn secrets_are_stored_as_their_sha256_and_compared_in_full() {
    // SHA-256 of the empty string and of "abc" (FIPS 180-2 test vectors).
    assert_eq!(
        hash_secret(""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        hash_secret("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let hash = hash_secret(SECRET);
    assert_eq!(hash.len(), 64);
    assert_ne!(hash, SECRET);
    assert!(same_hash(&hash, &hash_secret(SECRET)));
    assert!(!same_hash(&hash, &hash_secret(&SECRET.replace('0', "1"))));
    assert!(!same_hash(&hash, &hash[..63]));
    assert!(!same_hash(&hash, ""));
    assert!(same_hash("", ""));
    let mut last_differs = hash.clone().into_bytes();
    last_differs[63] ^= 1;
    assert!(!same_hash(&hash, &String::from_utf8(last_differs).unwrap()));
}

#[test]
fn owners_are_plausible_names() {
    for ok in [
        "alice",
        "team-payments",
        "a.b_c@example.com",
        "A",
        &"x".repeat(64),
    ] {
        assert_eq!(check_owner(ok), Ok(()), "{ok}");
    }
    for bad in ["", "al ice", "alice/bob", "ålice", "a\nb", &"x".repeat(65)] {
        let error = check_owner(bad).unwrap_err();
        assert!(error.contains("A-Z a-z 0-9 . _ @ -"), "{error}");
    }
    assert!(check_owner("a\nb").unwrap_err().contains("`a\\nb`"));
}

#[test]
fn descriptions_are_short_single_lines() {
    assert_eq!(check_description(""), Ok(()));
    assert_eq!(check_description("CI token for the payments team"), Ok(()));
    assert_eq!(check_description(&"é".repeat(200)), Ok(()));
    assert!(
        check_description(&"é".repeat(201))
            .unwrap_err()
            .contains("201")
    );
    assert!(
        check_description("two\nlines")
            .unwrap_err()
            .contains("\\u{a}")
    );
    assert!(check_description("bell\u{7}").is_err());
}

proptest! {
    #[test]
    fn any_string_either_parses_as_a_token_or_is_refused(text in any::<String>()) {
        if let Some((id, secret)) = parse_token(&text) {
            prop_assert_eq!(token_text(id, secret), text);
        }
    }

    #[test]
    fn every_well_shaped_token_parses(id in "[0-9a-f]{12}", secret in "[0-9a-f]{64}") {
        let text = token_text(&id, &secret);
        prop_assert_eq!(parse_token(&text), Some((id.as_str(), secret.as_str())));
    }

    #[test]
    fn any_jwt_text_is_claims_or_a_typed_error(text in any::<String>()) {
        let _ = verify_jwt(&text, b"secret", now());
    }
}

// === GitHub signatures ===

const GITHUB_SECRET: &[u8] = b"It's a Secret to Everybody";
const GITHUB_BODY: &[u8] = b"Hello, World!";
const GITHUB_SIGNATURE: &str =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

#[test]
fn githubs_documented_test_vector_verifies() {
    assert_eq!(
        verify_github_signature(GITHUB_SECRET, GITHUB_BODY, Some(GITHUB_SIGNATURE)),
        Ok(())
    );
}

#[test]
fn a_wrong_body_secret_or_signature_is_a_mismatch() {
    let mismatch = Err(SignatureError::Mismatch);
    assert_eq!(
        verify_github_signature(GITHUB_SECRET, b"Hello, World?", Some(GITHUB_SIGNATURE)),
        mismatch
    );
    assert_eq!(
        verify_github_signature(b"another secret", GITHUB_BODY, Some(GITHUB_SIGNATURE)),
        mismatch
    );
    let flipped = GITHUB_SIGNATURE.replace("757107", "757108");
    assert_eq!(
        verify_github_signature(GITHUB_SECRET, GITHUB_BODY, Some(&flipped)),
        mismatch
    );
    assert_eq!(
        verify_github_signature(b"", GITHUB_BODY, Some(GITHUB_SIGNATURE)),
        mismatch
    );
}

#[test]
fn a_missing_or_malformed_signature_header_is_refused_as_such() {
    assert_eq!(
        verify_github_signature(GITHUB_SECRET, GITHUB_BODY, None),
        Err(SignatureError::Missing)
    );
    let sha1 = GITHUB_SIGNATURE.replace("sha256=", "sha1=");
    let short = &GITHUB_SIGNATURE[..GITHUB_SIGNATURE.len() - 2];
    let long = format!("{GITHUB_SIGNATURE}00");
    let not_hex = GITHUB_SIGNATURE.replace('7', "z");
    let bare = GITHUB_SIGNATURE.trim_start_matches("sha256=");
    for header in ["", "sha256=", sha1.as_str(), short, &long, &not_hex, bare] {
        assert_eq!(
            verify_github_signature(GITHUB_SECRET, GITHUB_BODY, Some(header)),
            Err(SignatureError::Malformed),
            "{header:?}"
        );
    }
}

#[test]
fn signature_errors_never_contain_the_secret_or_the_signature() {
    for error in [
        SignatureError::Missing,
        SignatureError::Malformed,
        SignatureError::Mismatch,
    ] {
        let message = error.to_string();
        assert!(!message.contains("Secret to Everybody"), "{message}");
        assert!(!message.contains("757107"), "{message}");
    }
}

// === JWTs ===

const JWT_SECRET: &[u8] = b"runner-shared-secret";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn jwt(header: &Header, claims: &serde_json::Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn hs256(claims: &serde_json::Value) -> String {
    jwt(&Header::default(), claims, JWT_SECRET)
}

fn in_an_hour() -> i64 {
    now().timestamp() + 3600
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn a_valid_token_gives_its_claims_and_aws_credentials() {
    let token = hs256(&serde_json::json!({
        "sub": "runner-7",
        "role": "developer",
        "exp": in_an_hour(),
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI",
        "AWS_SESSION_TOKEN": 42,
        "job": {"id": 3},
    }));
    let claims = verify_jwt(&token, JWT_SECRET, now()).unwrap();
    assert_eq!(claims.sub.as_deref(), Some("runner-7"));
    assert_eq!(claims.role, Some(Role::Developer));
    assert_eq!(claims.exp, in_an_hour());
    assert_eq!(claims.extra["job"], serde_json::json!({"id": 3}));
    assert!(!claims.extra.contains_key("exp"));
    let credentials = aws_credentials(&claims);
    assert_eq!(
        credentials,
        BTreeMap::from([
            ("AWS_ACCESS_KEY_ID".to_owned(), "AKIAEXAMPLE".to_owned()),
            (
                "AWS_SECRET_ACCESS_KEY".to_owned(),
                "wJalrXUtnFEMI".to_owned()
            ),
        ])
    );
    let debug = format!("{claims:?}");
    assert!(!debug.contains("wJalrXUtnFEMI"), "{debug}");
    assert!(debug.contains("AWS_SECRET_ACCESS_KEY"), "{debug}");
}

#[test]
fn a_token_with_only_exp_has_no_subject_role_or_credentials() {
    let claims = verify_jwt(
        &hs256(&serde_json::json!({"exp": in_an_hour()})),
        JWT_SECRET,
        now(),
    )
    .unwrap();
    assert_eq!((claims.sub, claims.role), (None, None));
    assert!(claims.extra.is_empty());
}

#[test]
fn a_token_is_expired_from_its_exp_on_with_no_leeway() {
    let at = |exp: i64| hs256(&serde_json::json!({"exp": exp}));
    let now_s = now().timestamp();
    assert!(verify_jwt(&at(now_s + 1), JWT_SECRET, now()).is_ok());
    assert_eq!(
        verify_jwt(&at(now_s), JWT_SECRET, now()),
        Err(JwtError::Expired)
    );
    assert_eq!(
        verify_jwt(&at(now_s - 1), JWT_SECRET, now()),
        Err(JwtError::Expired)
    );
}

#[test]
fn a_token_signed_with_another_secret_is_refused() {
    let token = jwt(
        &Header::default(),
        &serde_json::json!({"exp": in_an_hour()}),
        b"another secret",
    );
    assert_eq!(
        verify_jwt(&token, JWT_SECRET, now()),
        Err(JwtError::BadSignature)
    );
    let good = hs256(&serde_json::json!({"exp": in_an_hour()}));
    assert_eq!(verify_jwt(&good, b"", now()), Err(JwtError::BadSignature));
    // Same header and signature, other claims.
    let (head, rest) = good.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged = format!(
        "{head}.{}.{signature}",
        b64(format!(r#"{{"exp":{},"role":"admin"}}"#, in_an_hour()).as_bytes())
    );
    assert_eq!(
        verify_jwt(&forged, JWT_SECRET, now()),
        Err(JwtError::BadSignature)
    );
}

#[test]
fn alg_none_and_every_other_algorithm_are_refused() {
    let claims = b64(format!(r#"{{"exp":{}}}"#, in_an_hour()).as_bytes());
    for alg in ["none", "None", "HS512", "RS256", "hs256"] {
        let header = b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes());
        for signature in ["", "c2ln"] {
            let token = format!("{header}.{claims}.{signature}");
            assert_eq!(
                verify_jwt(&token, JWT_SECRET, now()),
                Err(JwtError::WrongAlgorithm),
                "{alg} {signature:?}"
            );
        }
    }
    let hs512 = jwt(
        &Header::new(jsonwebtoken::Algorithm::HS512),
        &serde_json::json!({"exp": in_an_hour()}),
        JWT_SECRET,
    );
    assert_eq!(
        verify_jwt(&hs512, JWT_SECRET, now()),
        Err(JwtError::WrongAlgorithm)
    );
}

#[test]
fn a_token_without_exp_is_refused() {
    let token = hs256(&serde_json::json!({"sub": "runner"}));
    assert_eq!(
        verify_jwt(&token, JWT_SECRET, now()),
        Err(JwtError::MissingExp)
    );
    let text_exp = hs256(&serde_json::json!({"exp": "tomorrow"}));
    assert_eq!(
        verify_jwt(&text_exp, JWT_SECRET, now()),
        Err(JwtError::MissingExp)
    );
}

/// `message` with a valid HS256 signature over it, whatever it holds.
fn signed(message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(JWT_SECRET).unwrap();
    mac.update(message.as_bytes());
    format!("{message}.{}", b64(&mac.finalize().into_bytes()))
}

#[test]
fn claims_are_not_read_before_the_signature_is_checked() {
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    assert_eq!(
        verify_jwt(&format!("{header}.%%%.sig"), JWT_SECRET, now()),
        Err(JwtError::BadSignature)
    );
}

#[test]
fn malformed_tokens_and_claims_are_malformed() {
    let header = b64(br#"{"alg":"HS256","typ":"JWT"}"#);
    for token in [
        "",
        "a.b",
        "a.b.c.d",
        "not base64!.x.y",
        &format!("{}.x.y", b64(b"not json")),
        &format!("{}.x.y", b64(br#"{"typ":"JWT"}"#)),
        &signed(&format!("{header}.%%%")),
        &signed(&format!("{header}.{}", b64(b"[1, 2]"))),
        &"a".repeat(JWT_MAX_LEN + 1),
    ] {
        assert_eq!(
            verify_jwt(token, JWT_SECRET, now()),
            Err(JwtError::Malformed),
            "{token:?}"
        );
    }
    let bad_role = hs256(&serde_json::json!({"exp": in_an_hour(), "role": "root"}));
    assert_eq!(
        verify_jwt(&bad_role, JWT_SECRET, now()),
        Err(JwtError::Malformed)
    );
    let bad_sub = hs256(&serde_json::json!({"exp": in_an_hour(), "sub": 7}));
    assert_eq!(
        verify_jwt(&bad_sub, JWT_SECRET, now()),
        Err(JwtError::Malformed)
    );
}

#[test]
fn jwt_errors_never_contain_the_token_or_the_secret() {
    let token = hs256(&serde_json::json!({"exp": 1, "AWS_SECRET_ACCESS_KEY": "wJalr"}));
    let error = verify_jwt(&token, JWT_SECRET, now()).unwrap_err();
    assert_eq!(error, JwtError::Expired);
    for error in [
        JwtError::Malformed,
        JwtError::BadSignature,
        JwtError::Expired,
        JwtError::MissingExp,
        JwtError::WrongAlgorithm,
    ] {
        let message = error.to_string();
        assert!(!message.contains("runner-shared-secret"), "{message}");
        assert!(!message.contains(&token[..20]), "{message}");
    }
}
