//! Who idp writes as: the token's login from `GET /user`, asked once per forge and shared by its
//! clones; `github-actions[bot]` for the Actions token; a login given with `with_identity`; or
//! the author of the comment the forge just created.

use std::time::Duration;

use idp_core::adapters::github::{GitHubConfig, GitHubForge, RetryPolicy};
use idp_core::ports::Forge;
use idp_core::ports::forge::ACTIONS_BOT_LOGIN;
use idp_core::secret::Secret;

use crate::{MARKER, repo};
use idp_test_support::github_fake::{ACTIONS_TOKEN, GitHubFake, PAT, PAT_LOGIN};

async fn fake_and_forge(token: &str) -> (GitHubFake, GitHubForge) {
    let fake = GitHubFake::start().await;
    fake.open_pr(
        "octo/app",
        7,
        "octo/app",
        "feature/payment-api",
        &"a".repeat(40),
    );
    let cfg = GitHubConfig::new(fake.uri(), Some(Secret::new(token.to_owned()))).with_retry(
        RetryPolicy {
            max_retries: 1,
            initial_backoff: Duration::from_millis(5),
            max_total_wait: Duration::from_secs(1),
        },
    );
    let forge = GitHubForge::new(&cfg).expect("a forge");
    (fake, forge)
}

#[tokio::test]
async fn the_identity_is_asked_once_per_forge_and_shared_by_its_clones() {
    let (fake, forge) = fake_and_forge(PAT).await;
    let ours = fake.add_comment("octo/app", 7, PAT_LOGIN, &format!("{MARKER}\nold"));
    let clone = forge.clone();
    for (n, f) in [&forge, &clone, &forge].into_iter().enumerate() {
        let got = f
            .upsert_pr_comment(&repo(), 7, MARKER, &format!("edit {n}"))
            .await
            .expect("upsert");
        assert_eq!((got.id, got.created), (ours, false));
    }
    assert_eq!(fake.requests("GET", "/user").await, 1);
    assert_eq!(fake.comments("octo/app", 7).len(), 1);
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
}

#[tokio::test]
async fn the_actions_token_writes_as_github_actions_bot_after_one_refused_get_user() {
    let (fake, forge) = fake_and_forge(ACTIONS_TOKEN).await;
    let ours = fake.add_comment("octo/app", 7, ACTIONS_BOT_LOGIN, &format!("{MARKER}\nold"));
    fake.add_comment(
        "octo/app",
        7,
        PAT_LOGIN,
        &format!("{MARKER}\nnot the bot's"),
    );
    for body in ["one", "two"] {
        let got = forge
            .upsert_pr_comment(&repo(), 7, MARKER, body)
            .await
            .expect("upsert");
        assert_eq!((got.id, got.created), (ours, false));
    }
    assert_eq!(fake.requests("GET", "/user").await, 1);
    let comments = fake.comments("octo/app", 7);
    assert_eq!(comments[0].body, format!("{MARKER}\ntwo"));
    assert_eq!(comments[1].body, format!("{MARKER}\nnot the bot's"));
}

#[tokio::test]
async fn a_named_identity_is_used_without_asking_get_user() {
    let (fake, forge) = fake_and_forge(PAT).await;
    let forge = forge.with_identity("deployer[bot]");
    fake.add_comment(
        "octo/app",
        7,
        PAT_LOGIN,
        &format!("{MARKER}\nby the PAT's user"),
    );
    let ours = fake.add_comment("octo/app", 7, "deployer[bot]", &format!("{MARKER}\nold"));
    let got = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "new")
        .await
        .expect("upsert");
    assert_eq!((got.id, got.created), (ours, false));
    assert_eq!(fake.requests("GET", "/user").await, 0);
}

#[tokio::test]
async fn the_author_of_a_created_comment_is_remembered_as_the_identity() {
    let (fake, forge) = fake_and_forge(PAT).await;
    let first = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "one")
        .await
        .expect("create");
    let second = forge
        .upsert_pr_comment(&repo(), 7, MARKER, "two")
        .await
        .expect("edit");
    assert!(first.created && !second.created);
    assert_eq!(first.id, second.id);
    assert_eq!(fake.requests("GET", "/user").await, 0);
}
