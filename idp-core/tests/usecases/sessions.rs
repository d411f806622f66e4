//! Portal session scenarios (`idp_core::access::sessions`) on every backend: open with a token or
//! GitHub, authenticate the cookie, expire, end with the token, sign out, CSRF, and what the
//! store holds.

use chrono::TimeDelta;
use idp_core::access::sessions::{self, SessionError, SignIn};
use idp_core::access::{self, CreateTokenRequest, Principal, Role};
use idp_core::domain::layout;

use crate::support::*;

fn principal(role: Role, owner: &str) -> Principal {
    Principal {
        token_id: format!("github:{owner}"),
        role,
        owner: owner.to_owned(),
    }
}

async fn github_session(f: &Fixture, login: &str) -> sessions::OpenedSession {
    sessions::open(
        &f.platform,
        principal(Role::Developer, login),
        SignIn::Github {
            login: login.to_owned(),
        },
        TimeDelta::hours(12),
    )
    .await
    .unwrap()
}

pub(crate) async fn a_session_cookie_authenticates_as_its_principal(f: &Fixture) {
    let opened = github_session(f, "octocat").await;
    assert_eq!(format!("{:?}", opened.cookie), "Secret(****)");
    let session = sessions::authenticate(&f.platform, opened.cookie.expose())
        .await
        .unwrap();
    assert_eq!(session.principal, principal(Role::Developer, "octocat"));
    assert_eq!(session.expires_at, t0() + TimeDelta::hours(12));
    assert_eq!(session.id, opened.session.id);
    assert!(sessions::csrf_matches(
        &session,
        opened.session.csrf.expose()
    ));
    assert!(!sessions::csrf_matches(&session, ""));
    assert!(!sessions::csrf_matches(&session, &"0".repeat(64)));

    // The store holds the hash of the secret, never the cookie or its secret.
    let key = layout::session_key(&session.id);
    let stored = f.platform.backend.store.get(&key).await.unwrap();
    let text = String::from_utf8(stored.bytes.to_vec()).unwrap();
    let (_, secret) = opened.cookie.expose().split_once('.').unwrap();
    assert!(!text.contains(secret), "{text}");
}

pub(crate) async fn a_wrong_secret_unknown_id_or_garbage_is_unknown(f: &Fixture) {
    let opened = github_session(f, "octocat").await;
    let (id, _) = opened.cookie.expose().split_once('.').unwrap();
    for cookie in [
        format!("{id}.{}", "a".repeat(64)),
        format!("{}.{}", "0".repeat(16), "a".repeat(64)),
        String::new(),
        "garbage".to_owned(),
        format!("{id}.."),
        format!("../../{id}.{}", "a".repeat(64)),
    ] {
        let error = sessions::authenticate(&f.platform, &cookie)
            .await
            .unwrap_err();
        assert!(
            matches!(error, SessionError::Unknown),
            "{cookie}: {error:?}"
        );
    }
}

pub(crate) async fn a_session_ends_at_its_expiry_and_its_record_goes(f: &Fixture) {
    let opened = github_session(f, "octocat").await;
    f.advance(TimeDelta::hours(12));
    let error = sessions::authenticate(&f.platform, opened.cookie.expose())
        .await
        .unwrap_err();
    assert!(matches!(error, SessionError::Ended), "{error:?}");
    let key = layout::session_key(&opened.session.id);
    assert!(f.platform.backend.store.get(&key).await.is_err());
}

pub(crate) async fn a_token_session_ends_when_the_token_is_revoked(f: &Fixture) {
    let token = access::create(
        &f.platform,
        CreateTokenRequest {
            role: Role::Viewer,
            owner: "victor".to_owned(),
            expires_in: None,
            description: None,
        },
    )
    .await
    .unwrap();
    let p = access::authenticate(&f.platform, token.token.expose())
        .await
        .unwrap();
    let opened = sessions::open(
        &f.platform,
        p.clone(),
        SignIn::Token {
            token_id: token.info.id.clone(),
        },
        TimeDelta::hours(12),
    )
    .await
    .unwrap();
    let session = sessions::authenticate(&f.platform, opened.cookie.expose())
        .await
        .unwrap();
    assert_eq!(session.principal, p);
    access::revoke(&f.platform, &token.info.id).await.unwrap();
    let error = sessions::authenticate(&f.platform, opened.cookie.expose())
        .await
        .unwrap_err();
    assert!(matches!(error, SessionError::Ended), "{error:?}");
}

pub(crate) async fn signing_out_deletes_the_session_and_is_idempotent(f: &Fixture) {
    let opened = github_session(f, "octocat").await;
    let other = github_session(f, "hubot").await;
    sessions::close(&f.platform, opened.cookie.expose())
        .await
        .unwrap();
    assert!(matches!(
        sessions::authenticate(&f.platform, opened.cookie.expose()).await,
        Err(SessionError::Unknown)
    ));
    sessions::close(&f.platform, opened.cookie.expose())
        .await
        .unwrap();
    sessions::close(&f.platform, "garbage").await.unwrap();
    // Another browser's session is untouched.
    sessions::authenticate(&f.platform, other.cookie.expose())
        .await
        .unwrap();
    // A wrong secret for a real id signs nobody out.
    let (id, _) = other.cookie.expose().split_once('.').unwrap();
    sessions::close(&f.platform, &format!("{id}.{}", "b".repeat(64)))
        .await
        .unwrap();
    sessions::authenticate(&f.platform, other.cookie.expose())
        .await
        .unwrap();
}

pub(crate) async fn concurrent_sign_ins_get_distinct_sessions(f: &Fixture) {
    let opens = (0..16).map(|i| {
        sessions::open(
            &f.platform,
            principal(Role::Viewer, &format!("u{i}")),
            SignIn::Github {
                login: format!("u{i}"),
            },
            TimeDelta::hours(1),
        )
    });
    let opened = futures::future::try_join_all(opens).await.unwrap();
    let ids: std::collections::BTreeSet<&str> =
        opened.iter().map(|o| o.session.id.as_str()).collect();
    assert_eq!(ids.len(), 16);
    let csrfs: std::collections::BTreeSet<&str> = opened
        .iter()
        .map(|o| o.session.csrf.expose().as_str())
        .collect();
    assert_eq!(csrfs.len(), 16);
}

scenarios_on_every_backend!(
    a_session_cookie_authenticates_as_its_principal,
    a_wrong_secret_unknown_id_or_garbage_is_unknown,
    a_session_ends_at_its_expiry_and_its_record_goes,
    a_token_session_ends_when_the_token_is_revoked,
    signing_out_deletes_the_session_and_is_idempotent,
    concurrent_sign_ins_get_distinct_sessions,
);
