//! The other refusal before anything is provisioned: a config that references a Secrets Manager
//! secret outside its repository's allow-list (`aws.secretPatterns`, default
//! `idp/{owner}/{repo}/*`). On the GitOps path (one-process preview and the workflow's plan
//! step) the pull request says why and the commit status fails; on the create path (CLI, API,
//! Python) it is `secret_not_allowed`, exit code 7. Nothing is written or applied.

use idp_core::domain::config::Config;
use idp_core::domain::event::{Branch, CommitSha, Repository, Trigger};
use idp_core::domain::naming::EnvName;
use idp_core::domain::secret_access::SecretAllowList;
use idp_core::environments::create::{self, CreateRequest};
use idp_core::error::{Error, ErrorKind, ExitCode};
use idp_core::gitops::preview::{self, PreviewRequest};
use idp_core::gitops::steps::{self, Expect, PlanRequest};
use idp_core::ports::CommitState;
use idp_core::support::report::Outcome;
use idp_core::support::state;

use crate::platform;

const SHA: &str = "2123456789abcdef0123456789abcdef01234567";
const SHA2: &str = "3123456789abcdef0123456789abcdef01234567";
const PRODUCTION: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/stripe-key-AbCdEf:key::";
const OWN: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:idp/acme/shop/api-key-AbCdEf";

fn name(s: &str) -> EnvName {
    EnvName::parse(s).unwrap()
}

fn config(secret: &str) -> Config {
    let mut config = Config::default();
    config.secrets.insert("API_KEY".into(), secret.into());
    config
}

fn push(branch: &str, commit: &str) -> Trigger {
    Trigger::Push {
        repository: Repository::parse("acme/shop").unwrap(),
        branch: Branch::parse(branch).unwrap(),
        commit: CommitSha::parse(commit).unwrap(),
        actor: "mallory".into(),
        default_branch: Some(Branch::parse("main").unwrap()),
    }
}

#[tokio::test]
async fn a_push_referencing_a_production_secret_is_refused_on_the_pr_and_its_own_secret_is_not() {
    let (p, h) = platform("idp");
    h.forge.open_pr("acme/shop", 21, "feature/leak", SHA);
    let req = |secret: &str, sha: &str| PreviewRequest {
        trigger: push("feature/leak", sha),
        config: config(secret),
        image: None,
        owner: Some("mallory".into()),
    };
    let err = preview::preview(&p, req(PRODUCTION, SHA))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SecretNotAllowed, "{err}");
    assert_eq!(ExitCode::from(err.kind()) as u8, 7);
    let Error::SecretNotAllowed(refused) = &err else {
        panic!("{err}")
    };
    assert_eq!(refused.key, "API_KEY");
    assert_eq!(refused.repository.as_deref(), Some("acme/shop"));
    assert!(
        err.to_string().contains("idp/acme/shop/"),
        "the error names what is allowed: {err}"
    );
    let env = name("preview-leak");
    assert!(!h.provisioner.is_applied(&env), "nothing provisioned");
    assert!(
        state::load(&*p.backend.store, &env)
            .await
            .unwrap()
            .is_none(),
        "no record"
    );
    let comments = h.forge.comments("acme/shop", 21);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].body.contains("API_KEY"), "{}", comments[0].body);
    let last = h
        .forge
        .statuses()
        .into_iter()
        .rev()
        .find(|s| s.sha == SHA)
        .unwrap();
    assert_eq!(last.status.state, CommitState::Failure);
    assert!(
        last.status
            .description
            .as_deref()
            .unwrap_or_default()
            .contains("Secret not allowed"),
        "{:?}",
        last.status
    );

    // The repository's own secret is fine: the next push provisions.
    let ok = preview::preview(&p, req(OWN, SHA2)).await.unwrap();
    assert_eq!(ok.outcome, Outcome::Created);
    assert!(h.provisioner.is_applied(&env));
}

#[tokio::test]
async fn the_workflow_plan_step_refuses_a_foreign_secret_before_writing() {
    let (p, h) = platform("idp");
    h.forge.open_pr("acme/shop", 22, "feature/wf-leak", SHA);
    let err = steps::plan(
        &p,
        PlanRequest {
            trigger: push("feature/wf-leak", SHA),
            config: config(PRODUCTION),
            image: None,
            owner: Some("mallory".into()),
            expect: Some(Expect::Deploy),
            begin: true,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SecretNotAllowed, "{err}");
    assert!(
        state::load(&*p.backend.store, &name("preview-wf-leak"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(h.forge.comments("acme/shop", 22).len(), 1);
    let last = h.forge.statuses().into_iter().next_back().unwrap();
    assert_eq!(last.status.state, CommitState::Failure);
}

#[tokio::test]
async fn a_create_without_a_repository_may_reference_only_the_platforms_fixed_patterns() {
    let (p, h) = platform("alice");
    let req = |env: &str, secret: &str| CreateRequest {
        name: name(env),
        config: config(secret),
        ttl: None,
        owner: Some("alice".into()),
        image: None,
        source: Default::default(),
        budget_override: None,
    };
    // The default patterns all name a repository: an environment without one may read none.
    let err = create::create(&p, req("by-hand", OWN)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SecretNotAllowed, "{err}");
    assert!(!h.provisioner.is_applied(&name("by-hand")));
    let err = create::check_approval(&p, &req("by-hand", OWN))
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::SecretNotAllowed,
        "the API's early check: {err}"
    );

    let mut shared = p.clone();
    shared.settings.secret_allow_list =
        SecretAllowList::parse("arn:aws:secretsmanager:*:123456789012:secret:shared/*").unwrap();
    let shared_secret =
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared/sandbox-AbCdEf";
    let report = create::create(&shared, req("by-hand", shared_secret))
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Created);
    let err = create::create(&shared, req("by-hand-2", PRODUCTION))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SecretNotAllowed, "{err}");
}
