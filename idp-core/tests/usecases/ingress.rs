//! Listener rule priorities on the shared load balancer (`use_shared_ingress`) on every
//! backend: claimed by create with a create-only write in the state store, different for two
//! environments created at once even when both ask first for the same one, passed to the
//! template, released by destroy.

use std::collections::BTreeMap;
use std::sync::Arc;

use idp_core::adapters::memory::ProvisionOp;
use idp_core::domain::config::Config;
use idp_core::domain::ingress;
use idp_core::domain::ttl::Ttl;
use idp_core::environments::create::{self, CreateRequest, Source};
use idp_core::environments::destroy::{self, DestroyRequest};
use idp_core::support::ingress as claims;
use idp_core::support::state;
use serde_json::json;

use crate::support::*;

fn request(n: &str, shared_ingress: bool) -> CreateRequest {
    CreateRequest {
        name: name(n),
        config: Config {
            use_shared_ingress: shared_ingress,
            ..Config::default()
        },
        ttl: Some(Ttl::parse("2d").unwrap()),
        owner: Some("dev@example.com".into()),
        image: None,
        source: Source::default(),
        budget_override: None,
    }
}

/// Two environment names that ask first for the same priority, so their creates race for one
/// claim object.
fn two_names_with_one_first_choice() -> (String, String) {
    let mut seen: BTreeMap<u32, String> = BTreeMap::new();
    for i in 0..100_000 {
        let candidate = format!("race-{i}");
        let first = ingress::first_choice(&name(&candidate));
        if let Some(other) = seen.insert(first, candidate.clone()) {
            return (other, candidate);
        }
    }
    unreachable!("50000 priorities and 100000 names: two share a first choice")
}

async fn recorded_priority(f: &Fixture, n: &str) -> Option<u32> {
    state::load_existing(&*f.platform.backend.store, &name(n))
        .await
        .unwrap()
        .meta
        .listener_rule_priority
}

/// The `listener_rule_priority` and `use_shared_ingress` the last apply of `n` was given.
fn applied_with(f: &Fixture, n: &str) -> (serde_json::Value, serde_json::Value) {
    let call = f
        .provisioner
        .calls()
        .into_iter()
        .rev()
        .find(|c| c.op == ProvisionOp::Apply && c.request.env == name(n))
        .unwrap_or_else(|| panic!("no apply of {n}"));
    (
        call.request.tfvars["listener_rule_priority"].clone(),
        call.request.tfvars["use_shared_ingress"].clone(),
    )
}

async fn holder(f: &Fixture, priority: u32) -> Option<String> {
    claims::holder(&*f.platform.backend.store, &ingress::claim_key(priority))
        .await
        .unwrap()
}

async fn two_concurrent_shared_ingress_creates_get_different_priorities(f: &Fixture) {
    let (first, second) = two_names_with_one_first_choice();
    let platform = Arc::new(f.platform.clone());
    let spawn = |n: String| {
        let p = Arc::clone(&platform);
        tokio::spawn(async move { create::create(&p, request(&n, true)).await })
    };
    let (a, b) = tokio::join!(spawn(first.clone()), spawn(second.clone()));
    a.unwrap().unwrap();
    b.unwrap().unwrap();

    let pa = recorded_priority(f, &first).await.expect("a priority");
    let pb = recorded_priority(f, &second).await.expect("a priority");
    assert_ne!(pa, pb, "{first} and {second} got one priority");
    let wanted = ingress::first_choice(&name(&first));
    assert!(
        pa == wanted || pb == wanted,
        "one of them holds the priority both asked for first ({wanted}): {pa}, {pb}"
    );
    for (n, p) in [(&first, pa), (&second, pb)] {
        assert_eq!(applied_with(f, n), (json!(p), json!(true)));
        assert_eq!(holder(f, p).await.as_deref(), Some(n.as_str()));
    }

    // Destroy releases the claim, and only its own.
    destroy::destroy(&f.platform, DestroyRequest::new(name(&first)))
        .await
        .unwrap();
    assert_eq!(holder(f, pa).await, None);
    assert_eq!(holder(f, pb).await.as_deref(), Some(second.as_str()));

    // The freed priority is the next one of its first chooser again.
    let third = create::create(&f.platform, request(&first, true)).await;
    third.unwrap();
    assert_eq!(recorded_priority(f, &first).await, Some(pa));
}

async fn an_environment_with_its_own_load_balancer_claims_no_priority(f: &Fixture) {
    create::create(&f.platform, request("own-alb", false))
        .await
        .unwrap();
    assert_eq!(recorded_priority(f, "own-alb").await, None);
    assert_eq!(applied_with(f, "own-alb"), (json!(0), json!(false)));
    let claimed = f
        .platform
        .backend
        .store
        .list_all(ingress::CLAIMS_PREFIX)
        .await
        .unwrap();
    assert!(claimed.is_empty(), "{claimed:?}");
}

async fn a_retried_create_keeps_its_priority(f: &Fixture) {
    f.provisioner
        .fail_next_apply(idp_core::adapters::memory::MemoryProvisioner::failed(
            "apply",
            "interrupted",
        ));
    create::create(&f.platform, request("retry-shared", true))
        .await
        .unwrap_err();
    let first = recorded_priority(f, "retry-shared").await.expect("claimed");
    create::create(&f.platform, request("retry-shared", true))
        .await
        .unwrap();
    assert_eq!(recorded_priority(f, "retry-shared").await, Some(first));
    assert_eq!(applied_with(f, "retry-shared").0, json!(first));
    let claimed = f
        .platform
        .backend
        .store
        .list_all(ingress::CLAIMS_PREFIX)
        .await
        .unwrap();
    assert_eq!(
        claimed.len(),
        1,
        "one claim, not one per attempt: {claimed:?}"
    );
}

scenarios_on_every_backend!(
    two_concurrent_shared_ingress_creates_get_different_priorities,
    an_environment_with_its_own_load_balancer_claims_no_priority,
    a_retried_create_keeps_its_priority,
);
