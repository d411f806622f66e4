//! API token scenarios (`idp_core::access`), run against every backend like the others: issue,
//! authenticate, expire, revoke and list, and what the store holds.

use std::collections::BTreeSet;

use bytes::Bytes;
use chrono::TimeDelta;
use idp_core::access::{self, AuthError, CreateTokenRequest, CreatedToken, Principal, Role};
use idp_core::domain::access::{hash_secret, parse_token, token_text};
use idp_core::domain::layout;
use idp_core::environments::list::{self as env_list, ListRequest};
use idp_core::error::{Error, ErrorKind};
use idp_core::ports::PutMode;

use crate::support::*;

fn request(role: Role, owner: &str) -> CreateTokenRequest {
    CreateTokenRequest {
        role,
        owner: owner.to_owned(),
        expires_in: None,
        description: Some("CI of the payments team".to_owned()),
    }
}

async fn issue(f: &Fixture, req: CreateTokenRequest) -> CreatedToken {
    access::create(&f.platform, req).await.unwrap()
}

/// The secret half of a token text.
fn secret_of(token: &CreatedToken) -> String {
    parse_token(token.token.expose()).unwrap().1.to_owned()
}

pub(crate) async fn a_created_token_authenticates_as_its_principal(f: &Fixture) {
    let created = issue(f, request(Role::Developer, "alice")).await;
    assert_eq!(created.info.role, Role::Developer);
    assert_eq!(created.info.owner, "alice");
    assert_eq!(created.info.created_at, t0());
    assert_eq!(created.info.expires_at, None);
    assert_eq!(
        created.info.description.as_deref(),
        Some("CI of the payments team")
    );
    let (id, _) = parse_token(created.token.expose()).expect("a well-formed token");
    assert_eq!(id, created.info.id);
    assert_eq!(format!("{:?}", created.token), "Secret(****)");

    let principal = access::authenticate(&f.platform, created.token.expose())
        .await
        .unwrap();
    assert_eq!(
        principal,
        Principal {
            token_id: created.info.id.clone(),
            role: Role::Developer,
            owner: "alice".to_owned(),
        }
    );

    // The store holds the secret's hash, never the secret.
    let stored = f
        .platform
        .backend
        .store
        .get(&layout::token_key(&created.info.id))
        .await
        .unwrap();
    let stored = String::from_utf8(stored.bytes.to_vec()).unwrap();
    let secret = secret_of(&created);
    assert!(!stored.contains(&secret), "{stored}");
    assert!(stored.contains(&hash_secret(&secret)), "{stored}");

    // A token is never taken for an environment.
    let environments = env_list::list(&f.platform, ListRequest::default())
        .await
        .unwrap();
    assert!(environments.environments.is_empty());
}

pub(crate) async fn a_wrong_secret_or_unknown_id_is_unknown_and_garbage_malformed(f: &Fixture) {
    let created = issue(f, request(Role::Admin, "root-team")).await;
    let id = created.info.id.clone();
    let secret = secret_of(&created);
    let wrong_secret = token_text(&id, &"0".repeat(64));
    assert_ne!(secret, "0".repeat(64));
    let unknown_id = token_text("000000000000", &secret);
    for text in [wrong_secret, unknown_id] {
        let error = access::authenticate(&f.platform, &text).await.unwrap_err();
        assert!(matches!(error, AuthError::Unknown), "{error:?}");
        assert!(!error.to_string().contains(&secret), "{error}");
    }
    for text in ["", "Bearer x", &created.token.expose()[1..]] {
        let error = access::authenticate(&f.platform, text).await.unwrap_err();
        assert!(matches!(error, AuthError::Malformed), "{error:?}");
        assert!(!error.to_string().contains(&secret), "{error}");
    }
}

pub(crate) async fn a_token_expires_at_its_expiry(f: &Fixture) {
    let created = issue(
        f,
        CreateTokenRequest {
            expires_in: Some(TimeDelta::hours(1)),
            ..request(Role::Viewer, "bob")
        },
    )
    .await;
    assert_eq!(created.info.expires_at, Some(t0() + TimeDelta::hours(1)));
    let text = created.token.expose().clone();
    assert!(access::authenticate(&f.platform, &text).await.is_ok());
    f.advance(TimeDelta::minutes(59));
    assert!(access::authenticate(&f.platform, &text).await.is_ok());
    f.advance(TimeDelta::minutes(1));
    let error = access::authenticate(&f.platform, &text).await.unwrap_err();
    assert!(matches!(error, AuthError::Expired), "{error:?}");
    // Without the secret, an expired token is as unknown as any other.
    let wrong = token_text(&created.info.id, &"f".repeat(64));
    let error = access::authenticate(&f.platform, &wrong).await.unwrap_err();
    assert!(matches!(error, AuthError::Unknown), "{error:?}");
}

pub(crate) async fn a_revoked_token_no_longer_authenticates(f: &Fixture) {
    let kept = issue(f, request(Role::Developer, "alice")).await;
    let revoked = issue(f, request(Role::Developer, "carol")).await;
    let info = access::revoke(&f.platform, &revoked.info.id).await.unwrap();
    assert_eq!(info, revoked.info);
    let error = access::authenticate(&f.platform, revoked.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(error, AuthError::Unknown), "{error:?}");
    assert!(
        access::authenticate(&f.platform, kept.token.expose())
            .await
            .is_ok()
    );
    let ids: Vec<String> = access::list(&f.platform)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, vec![kept.info.id.clone()]);
    // Revoking again is not found.
    let error = access::revoke(&f.platform, &revoked.info.id)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
}

pub(crate) async fn the_list_is_oldest_first_and_shows_no_secret_or_hash(f: &Fixture) {
    let mut created = Vec::new();
    for (role, owner) in [
        (Role::Admin, "ops"),
        (Role::Viewer, "dashboards"),
        (Role::Developer, "alice@example.com"),
    ] {
        created.push(issue(f, request(role, owner)).await);
        f.advance(TimeDelta::seconds(1));
    }
    let listed = access::list(&f.platform).await.unwrap();
    let expected: Vec<_> = created.iter().map(|c| c.info.clone()).collect();
    assert_eq!(listed, expected);
    let json = serde_json::to_string(&listed).unwrap();
    for token in &created {
        let secret = secret_of(token);
        assert!(!json.contains(token.token.expose().as_str()), "{json}");
        assert!(!json.contains(&secret), "{json}");
        assert!(!json.contains(&hash_secret(&secret)), "{json}");
    }
    assert!(!json.contains("sha256"), "{json}");
    assert!(!json.contains("secret"), "{json}");
}

pub(crate) async fn revoking_an_unknown_token_is_not_found(f: &Fixture) {
    let error = access::revoke(&f.platform, "0123456789ab")
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::TokenNotFound { id } if id == "0123456789ab"),
        "{error:?}"
    );
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(
        error.hints(),
        vec!["run `idp serve token list` to see the tokens".to_owned()]
    );
    // A whole token pasted where its id belongs: not found, and its secret is not echoed.
    let created = issue(f, request(Role::Viewer, "eve")).await;
    let error = access::revoke(&f.platform, created.token.expose())
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert!(!error.to_string().contains(&secret_of(&created)), "{error}");
    for id in ["", "../../x", "0123456789AB"] {
        let error = access::revoke(&f.platform, id).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound, "{id:?}: {error}");
    }
}

pub(crate) async fn invalid_owners_descriptions_and_expiries_are_refused(f: &Fixture) {
    let long = "x".repeat(201);
    let cases = [
        (
            CreateTokenRequest {
                owner: "two words".to_owned(),
                ..request(Role::Viewer, "")
            },
            "invalid_token_owner",
        ),
        (request(Role::Viewer, ""), "invalid_token_owner"),
        (
            CreateTokenRequest {
                description: Some(long),
                ..request(Role::Viewer, "bob")
            },
            "invalid_token_description",
        ),
        (
            CreateTokenRequest {
                description: Some("line\nbreak".to_owned()),
                ..request(Role::Viewer, "bob")
            },
            "invalid_token_description",
        ),
        (
            CreateTokenRequest {
                expires_in: Some(TimeDelta::zero()),
                ..request(Role::Viewer, "bob")
            },
            "invalid_token_expiry",
        ),
        (
            CreateTokenRequest {
                expires_in: Some(TimeDelta::MAX),
                ..request(Role::Viewer, "bob")
            },
            "invalid_token_expiry",
        ),
    ];
    for (req, code) in cases {
        let error = access::create(&f.platform, req).await.unwrap_err();
        assert!(
            matches!(&error, Error::Refused { reason, .. } if reason == code),
            "{code}: {error:?}"
        );
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
    }
    assert!(access::list(&f.platform).await.unwrap().is_empty());
}

pub(crate) async fn an_unreadable_record_is_an_error_naming_its_key(f: &Fixture) {
    issue(f, request(Role::Viewer, "bob")).await;
    let key = layout::token_key("0123456789ab");
    f.platform
        .backend
        .store
        .put(&key, Bytes::from_static(b"{not json"), PutMode::Overwrite)
        .await
        .unwrap();
    let error = access::list(&f.platform).await.unwrap_err();
    assert!(error.to_string().contains(&key), "{error}");
    let text = token_text("0123456789ab", &"a".repeat(64));
    let error = access::authenticate(&f.platform, &text).await.unwrap_err();
    assert!(matches!(error, AuthError::Backend(_)), "{error:?}");
}

pub(crate) async fn concurrent_creates_give_distinct_ids(f: &Fixture) {
    let creates =
        (0..16).map(|i| access::create(&f.platform, request(Role::Viewer, &format!("u{i}"))));
    let created = futures::future::try_join_all(creates).await.unwrap();
    let ids: BTreeSet<&str> = created.iter().map(|c| c.info.id.as_str()).collect();
    assert_eq!(ids.len(), 16);
    assert_eq!(access::list(&f.platform).await.unwrap().len(), 16);
}

scenarios_on_every_backend!(
    a_created_token_authenticates_as_its_principal,
    a_wrong_secret_or_unknown_id_is_unknown_and_garbage_malformed,
    a_token_expires_at_its_expiry,
    a_revoked_token_no_longer_authenticates,
    the_list_is_oldest_first_and_shows_no_secret_or_hash,
    revoking_an_unknown_token_is_not_found,
    invalid_owners_descriptions_and_expiries_are_refused,
    an_unreadable_record_is_an_error_naming_its_key,
    concurrent_creates_give_distinct_ids,
);
