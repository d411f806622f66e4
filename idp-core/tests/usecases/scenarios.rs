//! Use-case scenarios, written once and run against every backend (see `main.rs`).
//!
//! Long because the scenarios are one list, instantiated per backend by `main.rs`.

use std::sync::Arc;

use chrono::TimeDelta;
use idp_core::adapters::memory::ProvisionOp;
use idp_core::domain::config::Config;
use idp_core::domain::lifecycle::Status;
use idp_core::domain::ttl::Ttl;
use idp_core::environments::create::{self, CreateRequest, Source};
use idp_core::environments::destroy::{self, DestroyRequest};
use idp_core::environments::extend::{self, ExtendRequest};
use idp_core::environments::list::{self, ListRequest};
use idp_core::environments::status;
use idp_core::environments::sweep::{self, SweepReason, SweepRequest};
use idp_core::environments::unlock;
use idp_core::error::{Error, ErrorKind};
use idp_core::gitops::preview;
use idp_core::platform::Platform;
use idp_core::ports::{LeaseRequest, TfLockInfo};
use idp_core::support::report::Outcome;
use idp_core::support::state;

use crate::support::*;

fn create_req(n: &str) -> CreateRequest {
    CreateRequest {
        name: name(n),
        config: Config::default(),
        ttl: Some(Ttl::parse("2d").unwrap()),
        owner: Some("dev@example.com".into()),
        image: None,
        source: Source::default(),
        budget_override: None,
    }
}

pub(crate) async fn create_list_status_extend_destroy(f: &Fixture) {
    let p = &f.platform;
    let created = create::create(p, create_req("demo")).await.unwrap();
    assert_eq!(created.outcome, Outcome::Created);
    let meta = created.environment.unwrap();
    assert_eq!(meta.status, Status::Active);
    assert_eq!(meta.created_at, t0());
    assert_eq!(meta.expires_at, t0() + TimeDelta::days(2));
    assert_eq!(
        created.endpoint.as_deref(),
        Some("http://demo.preview.invalid")
    );

    let listed = list::list(p, ListRequest::default()).await.unwrap();
    assert_eq!(listed.environments.len(), 1);
    let st = status::status(p, &name("demo")).await.unwrap();
    assert_eq!(st.environment.status, Status::Active);
    assert_eq!(st.expires, "expires in 2d");

    f.advance(TimeDelta::hours(1));
    let extended = extend::extend(
        p,
        ExtendRequest {
            name: name("demo"),
            ttl: Ttl::parse("1d").unwrap(),
        },
    )
    .await
    .unwrap();
    let m = extended.environment.unwrap();
    assert_eq!(m.created_at, t0(), "extend never changes created_at");
    assert_eq!(m.expires_at, t0() + TimeDelta::days(3));

    let destroyed = destroy::destroy(p, DestroyRequest::new(name("demo")))
        .await
        .unwrap();
    assert_eq!(destroyed.outcome, Outcome::Destroyed);
    assert_eq!(destroyed.environment.unwrap().status, Status::Destroyed);
    assert!(
        list::list(p, ListRequest::default())
            .await
            .unwrap()
            .environments
            .is_empty()
    );
    assert_eq!(
        list::list(
            p,
            ListRequest {
                all: true,
                spend: false
            }
        )
        .await
        .unwrap()
        .environments
        .len(),
        1
    );
    // Only the tombstone is left of the environment's state.
    let keys: Vec<String> = p
        .backend
        .store
        .list_all("environments/demo/")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, vec!["environments/demo/metadata.json".to_owned()]);

    let again = destroy::destroy(p, DestroyRequest::new(name("demo")))
        .await
        .unwrap();
    assert_eq!(again.outcome, Outcome::NoOp);
    assert!(again.reason.unwrap().contains("already destroyed"));
    // A destroyed name can be created again.
    let recreated = create::create(p, create_req("demo")).await.unwrap();
    assert_eq!(recreated.outcome, Outcome::Created);
}

pub(crate) async fn create_of_an_existing_name_is_refused(f: &Fixture) {
    create::create(&f.platform, create_req("taken"))
        .await
        .unwrap();
    let err = create::create(&f.platform, create_req("taken"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(f.provisioner.envs_called(ProvisionOp::Apply).len(), 1);
}

pub(crate) async fn concurrent_creates_apply_once(f: &Fixture) {
    let platform = Arc::new(f.platform.clone());
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let p = Arc::clone(&platform);
            tokio::spawn(async move { create::create(&p, create_req("twice")).await })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(report) => {
                assert_eq!(report.outcome, Outcome::Created);
                created += 1;
            }
            // Refused while the winner holds the lease, or after it finished.
            Err(e) => {
                assert!(
                    matches!(e, Error::Busy { .. } | Error::AlreadyExists { .. }),
                    "{e}"
                );
                assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
            }
        }
    }
    assert_eq!(created, 1);
    assert_eq!(
        f.provisioner.envs_called(ProvisionOp::Apply),
        vec![name("twice")]
    );
}

pub(crate) async fn a_failed_create_is_applied_again_by_the_next_create(f: &Fixture) {
    let p = &f.platform;
    f.provisioner
        .fail_next_apply(idp_core::adapters::memory::MemoryProvisioner::failed(
            "apply",
            "interrupted",
        ));
    create::create(p, create_req("retry")).await.unwrap_err();
    let failed = state::load(&*p.backend.store, &name("retry"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.meta.status, Status::Failed);

    // Another template, or another owner, does not take the failed environment over.
    let other_template = CreateRequest {
        config: Config {
            template: idp_core::domain::template::TemplateName::new("scheduled-worker").unwrap(),
            ..Config::default()
        },
        ..create_req("retry")
    };
    let err = create::create(p, other_template).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    let other_owner = CreateRequest {
        owner: Some("someone-else@example.com".into()),
        ..create_req("retry")
    };
    let err = create::create(p, other_owner).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");

    f.advance(TimeDelta::minutes(5));
    let again = create::create(p, create_req("retry")).await.unwrap();
    assert_eq!(again.outcome, Outcome::Created);
    let meta = again.environment.unwrap();
    assert_eq!(meta.status, Status::Active);
    assert_eq!(meta.last_error, None);
    assert_eq!(
        meta.created_at, failed.meta.created_at,
        "first attempt's start kept"
    );
    assert_eq!(f.provisioner.envs_called(ProvisionOp::Apply).len(), 2);
}

pub(crate) async fn concurrent_destroys_destroy_once(f: &Fixture) {
    create::create(&f.platform, create_req("racy"))
        .await
        .unwrap();
    let platform = Arc::new(f.platform.clone());
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let p = Arc::clone(&platform);
            tokio::spawn(
                async move { destroy::destroy(&p, DestroyRequest::new(name("racy"))).await },
            )
        })
        .collect();
    let mut destroyed = 0;
    for t in tasks {
        match t.await.unwrap().unwrap().outcome {
            Outcome::Destroyed => destroyed += 1,
            Outcome::NoOp => {}
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    assert_eq!(destroyed, 1);
    assert_eq!(
        f.provisioner.envs_called(ProvisionOp::Destroy),
        vec![name("racy")]
    );
}

pub(crate) async fn concurrent_pushes_provision_once_then_redeploy(f: &Fixture) {
    let platform = Arc::new(f.platform.clone());
    let tasks: Vec<_> = (0..8u32)
        .map(|i| {
            let p = Arc::clone(&platform);
            tokio::spawn(async move {
                preview::preview(
                    &p,
                    preview(push("acme/shop", "feature/payment-api", &sha(i))),
                )
                .await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap().unwrap().outcome);
    }
    assert_eq!(
        outcomes.iter().filter(|o| **o == Outcome::Created).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == Outcome::Redeployed)
            .count(),
        7,
        "{outcomes:?}"
    );
    assert_eq!(f.provisioner.envs_called(ProvisionOp::Apply).len(), 8);
    let current = state::load(&*f.platform.backend.store, &name("preview-payment-api"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.meta.status, Status::Active);
    assert_eq!(current.meta.branch.as_deref(), Some("feature/payment-api"));
    assert_eq!(current.meta.created_at, t0());
    let commit = current.meta.commit.unwrap();
    assert!((0..8).any(|i| sha(i) == commit));
}

pub(crate) async fn failed_apply_marks_failed_and_next_push_recovers(f: &Fixture) {
    let p = &f.platform;
    f.provisioner
        .fail_next_apply(idp_core::adapters::memory::MemoryProvisioner::failed(
            "apply", "boom",
        ));
    let err = preview::preview(p, preview(push("acme/shop", "feature/flaky", &sha(1))))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Provision { .. }), "{err}");
    let failed = state::load(&*p.backend.store, &name("preview-flaky"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.meta.status, Status::Failed);
    let kept = failed.meta.last_error.as_deref().unwrap_or_default();
    assert!(
        kept.contains("`apply` failed") && kept.ends_with("boom"),
        "the record keeps the failure and the end of its output: {kept:?}"
    );

    f.advance(TimeDelta::minutes(5));
    let recovered = preview::preview(p, preview(push("acme/shop", "feature/flaky", &sha(2))))
        .await
        .unwrap();
    assert_eq!(recovered.outcome, Outcome::Created);
    let meta = recovered.environment.unwrap();
    assert_eq!(meta.status, Status::Active);
    assert_eq!(meta.last_error, None, "a success clears the failure");
    assert_eq!(meta.created_at, t0(), "recovery keeps the creation time");

    // A failed environment that expires is swept.
    f.provisioner
        .fail_next_apply(idp_core::adapters::memory::MemoryProvisioner::failed(
            "apply", "boom",
        ));
    preview::preview(p, preview(push("acme/shop", "feature/flaky", &sha(3))))
        .await
        .unwrap_err();
    f.advance(TimeDelta::days(8));
    let swept = sweep::sweep(p, SweepRequest::default()).await.unwrap();
    assert_eq!(swept.actions.len(), 1);
    assert_eq!(swept.actions[0].reason, SweepReason::Expired);
}

pub(crate) async fn crashed_holders_lease_expires(f: &Fixture) {
    let p = &f.platform;
    create::create(p, create_req("stuck")).await.unwrap();
    // A deploy that crashed while holding the lease.
    let crashed = LeaseRequest {
        key: "env/stuck".into(),
        owner: "deploy:crashed:1".into(),
        ttl: TimeDelta::minutes(15),
    };
    p.backend
        .locks
        .acquire(&crashed, idp_core::ports::Clock::now(&*f.clock))
        .await
        .unwrap();
    let impatient = Platform {
        settings: idp_core::platform::Settings {
            lease_wait: TimeDelta::milliseconds(200),
            ..p.settings.clone()
        },
        ..p.clone()
    };
    let err = destroy::destroy(&impatient, DestroyRequest::new(name("stuck")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LockHeld, "{err}");
    let held = unlock::holders(p, &name("stuck")).await.unwrap();
    assert_eq!(held.lease.unwrap().owner, "deploy:crashed:1");

    f.advance(TimeDelta::minutes(16));
    let done = destroy::destroy(&impatient, DestroyRequest::new(name("stuck")))
        .await
        .unwrap();
    assert_eq!(done.outcome, Outcome::Destroyed);
}

pub(crate) async fn branch_collision_is_refused_and_changes_nothing(f: &Fixture) {
    let p = &f.platform;
    preview::preview(
        p,
        preview(push("acme/shop", "feature/payment-api", &sha(1))),
    )
    .await
    .unwrap();
    let before = state::load(&*p.backend.store, &name("preview-payment-api"))
        .await
        .unwrap()
        .unwrap();
    let err = preview::preview(p, preview(push("acme/shop", "bugfix/payment-api", &sha(2))))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BranchCollision, "{err}");
    assert!(err.to_string().contains("feature/payment-api"), "{err}");
    let after = state::load(&*p.backend.store, &name("preview-payment-api"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        before.etag, after.etag,
        "the other branch's environment is untouched"
    );
    // Nor may the other branch's deletion destroy it.
    let r = preview::preview(
        p,
        preview(branch_deleted("acme/shop", "bugfix/payment-api")),
    )
    .await
    .unwrap();
    assert_eq!(r.outcome, Outcome::NoOp);
    assert_eq!(f.provisioner.envs_called(ProvisionOp::Destroy).len(), 0);
}

pub(crate) async fn merge_with_branch_delete_destroys_once(f: &Fixture) {
    let p = &f.platform;
    preview::preview(p, preview(pr_opened("acme/shop", "feature/checkout", 7)))
        .await
        .unwrap();
    let closed = preview::preview(p, preview(pr_closed("acme/shop", "feature/checkout", 7)))
        .await
        .unwrap();
    assert_eq!(closed.outcome, Outcome::Destroyed);
    let deleted = preview::preview(p, preview(branch_deleted("acme/shop", "feature/checkout")))
        .await
        .unwrap();
    assert_eq!(deleted.outcome, Outcome::NoOp);
    assert_eq!(f.provisioner.envs_called(ProvisionOp::Destroy).len(), 1);
}

pub(crate) async fn sweep_destroys_expired_and_retries_stuck_destroys(f: &Fixture) {
    let p = &f.platform;
    create::create(
        p,
        CreateRequest {
            ttl: Some(Ttl::parse("1h").unwrap()),
            ..create_req("short")
        },
    )
    .await
    .unwrap();
    create::create(
        p,
        CreateRequest {
            ttl: Some(Ttl::parse("7d").unwrap()),
            ..create_req("long")
        },
    )
    .await
    .unwrap();
    create::create(
        p,
        CreateRequest {
            ttl: Some(Ttl::parse("7d").unwrap()),
            ..create_req("halfway")
        },
    )
    .await
    .unwrap();
    // A destroy of `halfway` that died after marking it `destroying`.
    f.provisioner
        .fail_next_destroy(idp_core::adapters::memory::MemoryProvisioner::failed(
            "destroy", "network",
        ));
    destroy::destroy(p, DestroyRequest::new(name("halfway")))
        .await
        .unwrap_err();
    let halfway = state::load(&*p.backend.store, &name("halfway"))
        .await
        .unwrap()
        .unwrap()
        .meta;
    assert_eq!(halfway.status, Status::Destroying);
    assert!(
        halfway
            .last_error
            .as_deref()
            .is_some_and(|e| e.ends_with("network")),
        "{:?}",
        halfway.last_error
    );

    f.advance(TimeDelta::hours(3));
    let dry = sweep::sweep(p, SweepRequest { dry_run: true })
        .await
        .unwrap();
    let mut planned: Vec<_> = dry
        .actions
        .iter()
        .map(|a| (a.name.as_str(), a.reason, a.outcome))
        .collect();
    planned.sort_by_key(|a| a.0);
    assert_eq!(
        planned,
        vec![
            ("halfway", SweepReason::StuckDestroying, None),
            ("short", SweepReason::Expired, None)
        ]
    );
    assert_eq!(
        f.provisioner.envs_called(ProvisionOp::Destroy).len(),
        1,
        "a dry run changes nothing"
    );

    let done = sweep::sweep(p, SweepRequest::default()).await.unwrap();
    assert_eq!(done.actions.len(), 2);
    assert!(
        done.actions
            .iter()
            .all(|a| a.outcome == Some(Outcome::Destroyed)),
        "{:?}",
        done.actions
    );
    let left = list::list(p, ListRequest::default()).await.unwrap();
    assert_eq!(
        left.environments
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        vec!["long"]
    );
}

pub(crate) async fn destroy_removes_only_its_own_images(f: &Fixture) {
    let p = &f.platform;
    for tag in [
        "foo-1a2b3c4",
        "foo-bar-1a2b3c4",
        "foo-5d6e7f8",
        "foobar-1a2b3c4",
    ] {
        f.registry
            .push_image("idp-preview", tag, &format!("sha256:{tag}"));
    }
    create::create(p, create_req("foo")).await.unwrap();
    let r = destroy::destroy(p, DestroyRequest::new(name("foo")))
        .await
        .unwrap();
    let mut deleted = r.cleanup.unwrap().images_deleted;
    deleted.sort();
    assert_eq!(deleted, vec!["foo-1a2b3c4", "foo-5d6e7f8"]);
}

/// Needs a lock table that can seed OpenTofu lock items (memory).
pub(crate) async fn destroy_and_unlock_handle_opentofu_lock_items(f: &Fixture) {
    let locks = f.memory_locks.as_ref().expect("memory lock table");
    let p = &f.platform;
    create::create(p, create_req("tf")).await.unwrap();
    create::create(p, create_req("tf2")).await.unwrap();
    let info = r#"{"ID":"abc","Operation":"OperationTypeApply","Who":"runner@ci","Version":"1.8.0","Created":"2026-03-01T11:00:00Z","Path":"x"}"#;
    for env in ["tf", "tf2"] {
        let key = format!("environments/{env}/terraform.tfstate");
        locks.put_terraform_lock(&TfLockInfo::lock_id("state-bucket", &key), info);
        locks.put_terraform_digest(&TfLockInfo::digest_id("state-bucket", &key), "d41d8cd9");
    }
    let unlocked = unlock::unlock(p, &name("tf2")).await.unwrap();
    assert!(unlocked.unlocked);
    assert_eq!(unlocked.terraform_lock.unwrap().who, "runner@ci");
    let key = "environments/tf2/terraform.tfstate";
    assert!(
        p.backend
            .locks
            .terraform_lock(&TfLockInfo::lock_id("state-bucket", key))
            .await
            .unwrap()
            .is_none()
    );
    let removal = p
        .backend
        .locks
        .remove_terraform_lock_items("state-bucket", key)
        .await
        .unwrap();
    assert!(removal.digest_removed, "unlock keeps the state digest");

    let r = destroy::destroy(p, DestroyRequest::new(name("tf")))
        .await
        .unwrap();
    let c = r.cleanup.unwrap();
    assert!(c.terraform_lock_removed && c.terraform_digest_removed);
}

pub(crate) async fn extend_of_a_missing_or_destroyed_environment_fails(f: &Fixture) {
    let p = &f.platform;
    let err = extend::extend(
        p,
        ExtendRequest {
            name: name("ghost"),
            ttl: Ttl::parse("1d").unwrap(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    create::create(p, create_req("gone")).await.unwrap();
    destroy::destroy(p, DestroyRequest::new(name("gone")))
        .await
        .unwrap();
    let err = extend::extend(
        p,
        ExtendRequest {
            name: name("gone"),
            ttl: Ttl::parse("1d").unwrap(),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
}

pub(crate) async fn pr_comment_lifecycle_with_commit_statuses(f: &Fixture) {
    let p = &f.platform;
    f.forge.open_pr("acme/shop", 7, "feature/pay", &sha(1));
    let first = preview::preview(p, preview(push("acme/shop", "feature/pay", &sha(1))))
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Created);
    assert!(first.notices.is_empty(), "{:?}", first.notices);
    let comments = f.forge.comments("acme/shop", 7);
    assert_eq!(comments.len(), 1);
    let body = &comments[0].body;
    assert!(
        body.starts_with("<!-- idp:preview:preview-pay -->"),
        "{body}"
    );
    assert!(body.contains("Preview environment created"), "{body}");
    assert!(body.contains("`idp logs preview-pay --follow`"), "{body}");
    assert!(body.contains("/month"), "{body}");
    assert!(body.contains(&format!("`{}`", &sha(1)[..7])), "{body}");
    // The push's PR was found and recorded, so a later destroy knows where to comment.
    let meta = state::load(&*p.backend.store, &name("preview-pay"))
        .await
        .unwrap()
        .unwrap()
        .meta;
    assert_eq!(meta.pr_number, Some(7));

    let second = preview::preview(p, preview(push("acme/shop", "feature/pay", &sha(2))))
        .await
        .unwrap();
    assert_eq!(second.outcome, Outcome::Redeployed);
    let comments = f.forge.comments("acme/shop", 7);
    assert_eq!(comments.len(), 1, "one comment, edited in place");
    assert_eq!(comments[0].edits, 1);
    assert!(comments[0].body.contains("Preview environment updated"));

    let statuses: Vec<_> = f
        .forge
        .statuses()
        .into_iter()
        .map(|s| (s.sha, s.status.state, s.status.target_url))
        .collect();
    let endpoint = second.endpoint.clone();
    assert_eq!(
        statuses,
        vec![
            (sha(1), idp_core::ports::CommitState::Pending, None),
            (
                sha(1),
                idp_core::ports::CommitState::Success,
                first.endpoint.clone()
            ),
            (sha(2), idp_core::ports::CommitState::Pending, None),
            (sha(2), idp_core::ports::CommitState::Success, endpoint),
        ]
    );
    assert!(
        f.forge
            .statuses()
            .iter()
            .all(|s| s.status.context == "idp/preview/preview-pay")
    );

    f.forge.close_pr("acme/shop", 7);
    let closed = preview::preview(p, preview(pr_closed("acme/shop", "feature/pay", 7)))
        .await
        .unwrap();
    assert_eq!(closed.outcome, Outcome::Destroyed);
    let comments = f.forge.comments("acme/shop", 7);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("Preview environment destroyed"),
        "{}",
        comments[0].body
    );
}

pub(crate) async fn forge_error_is_a_notice(f: &Fixture) {
    let p = &f.platform;
    f.forge.open_pr("acme/shop", 9, "feature/down", &sha(1));
    f.forge.set_unavailable(true);
    let report = preview::preview(p, preview(pr_opened("acme/shop", "feature/down", 9)))
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Created);
    assert!(!report.notices.is_empty());
    assert!(
        report
            .notices
            .iter()
            .any(|n| n.contains("pull request comment")),
        "{:?}",
        report.notices
    );
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["notices"].is_array());
    f.forge.set_unavailable(false);
    let destroyed = destroy::destroy(p, DestroyRequest::new(name("preview-down")))
        .await
        .unwrap();
    assert!(destroyed.notices.is_empty(), "{:?}", destroyed.notices);
    assert!(
        f.forge.comments("acme/shop", 9)[0]
            .body
            .contains("destroyed")
    );
}

pub(crate) async fn extend_retags_where_tags_carry_the_expiry(f: &Fixture) {
    let p = &f.platform;
    create::create(p, create_req("tagged")).await.unwrap();
    // Local and memory runtimes have no tags: an extend does not re-apply.
    extend::extend(
        p,
        ExtendRequest {
            name: name("tagged"),
            ttl: Ttl::parse("1d").unwrap(),
        },
    )
    .await
    .unwrap();
    assert_eq!(f.provisioner.envs_called(ProvisionOp::Apply).len(), 1);

    f.provisioner.set_tags_follow_expiry(true);
    let r = extend::extend(
        p,
        ExtendRequest {
            name: name("tagged"),
            ttl: Ttl::parse("1d").unwrap(),
        },
    )
    .await
    .unwrap();
    let expires = r.environment.unwrap().expires_at;
    let applies: Vec<_> = f
        .provisioner
        .calls()
        .into_iter()
        .filter(|c| c.op == ProvisionOp::Apply)
        .collect();
    assert_eq!(applies.len(), 2, "the extend re-applied");
    let tagged = applies[1].request.tfvars["expires_at"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        tagged,
        expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let stored = state::get_json(&*p.backend.store, "environments/tagged/tfvars.json")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored["expires_at"], tagged.as_str());

    // A failing re-tag keeps the extension and says so.
    f.provisioner
        .fail_next_apply(idp_core::adapters::memory::MemoryProvisioner::failed(
            "apply",
            "throttled",
        ));
    let r = extend::extend(
        p,
        ExtendRequest {
            name: name("tagged"),
            ttl: Ttl::parse("1d").unwrap(),
        },
    )
    .await
    .unwrap();
    assert_eq!(r.outcome, Outcome::Extended);
    assert!(r.notices[0].contains("were not updated"), "{:?}", r.notices);
    let meta = state::load(&*p.backend.store, &name("tagged"))
        .await
        .unwrap()
        .unwrap()
        .meta;
    assert_eq!(meta.status, Status::Active);
    assert!(meta.expires_at > expires);
}

/// Every use case keeps the environment index in step: after create, extend and destroy, each
/// row holds the record and etag of its `metadata.json`, so a list reads no metadata object.
pub(crate) async fn use_cases_keep_the_environment_index_in_step(f: &Fixture) {
    use idp_core::domain::index::{Entry, EnvIndex};
    use idp_core::domain::layout;
    use idp_core::support::index;

    let p = &f.platform;
    let store = &*p.backend.store;
    create::create(p, create_req("first")).await.unwrap();
    // The first list builds the index; from then on every metadata write updates it.
    list::list(p, ListRequest::default()).await.unwrap();
    create::create(p, create_req("second")).await.unwrap();
    extend::extend(
        p,
        ExtendRequest {
            name: name("first"),
            ttl: Ttl::parse("1d").unwrap(),
        },
    )
    .await
    .unwrap();
    destroy::destroy(p, DestroyRequest::new(name("second")))
        .await
        .unwrap();

    let raw = EnvIndex::from_json(&store.get(layout::INDEX_KEY).await.unwrap().bytes).unwrap();
    for env in ["first", "second"] {
        let truth = state::load_existing(store, &name(env)).await.unwrap();
        let row = &raw.rows[env];
        assert_eq!(
            row.etag,
            truth.etag.as_str(),
            "row `{env}` has the etag of its metadata"
        );
        // The row is the record without its history, which the index leaves out.
        assert!(!truth.meta.history.is_empty(), "the record has its history");
        assert_eq!(row.entry, Entry::record(truth.meta));
    }
    let verified = index::load(p).await.unwrap();
    assert_eq!(
        verified.stats.reread, 0,
        "a list after use cases reads no metadata"
    );
    let listed = list::list(
        p,
        ListRequest {
            all: true,
            spend: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(listed.environments.len(), 2);
}

#[allow(
    clippy::disallowed_methods,
    reason = "the scenario writes the site's build output to disk"
)]
pub(crate) async fn a_static_site_is_uploaded_and_invalidated_on_create_and_every_push(
    f: &Fixture,
    deployer: &idp_core::adapters::memory::MemoryDeployer,
) {
    let p = &f.platform;
    let site = tempfile::tempdir().unwrap();
    fs_err::create_dir_all(site.path().join("css")).unwrap();
    fs_err::write(site.path().join("index.html"), "<h1>one</h1>").unwrap();
    fs_err::write(site.path().join("css/site.css"), "h1{}").unwrap();
    fs_err::write(site.path().join("old.txt"), "gone soon").unwrap();
    let config = Config {
        template: idp_core::domain::template::TemplateName::new("static-site").unwrap(),
        site_dir: Some(site.path().display().to_string()),
        ..Config::default()
    };
    let created = create::create(
        p,
        CreateRequest {
            config: config.clone(),
            ..create_req("docs")
        },
    )
    .await
    .unwrap();
    assert_eq!(created.outcome, Outcome::Created);
    let objects = deployer.site_objects("idp-docs-site");
    let types: Vec<(&str, &str)> = objects
        .iter()
        .map(|(k, (t, _))| (k.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        types,
        [
            ("css/site.css", "text/css; charset=utf-8"),
            ("index.html", "text/html; charset=utf-8"),
            ("old.txt", "text/plain; charset=utf-8"),
        ]
    );
    assert_eq!(deployer.invalidations("EDOCS").len(), 1);

    // A redeploy uploads again, deletes what the build no longer has and invalidates again.
    fs_err::remove_file(site.path().join("old.txt")).unwrap();
    fs_err::write(site.path().join("index.html"), "<h1>two</h1>").unwrap();
    let mut push_req = preview(push("acme/docs", "feature/docs", &sha(1)));
    push_req.config = config.clone();
    let first = preview::preview(p, push_req.clone()).await.unwrap();
    let env = first.environment.as_ref().unwrap().name.clone();
    let bucket = format!("idp-{env}-site");
    let distribution = format!("E{}", env.as_str().to_ascii_uppercase().replace('-', ""));
    assert_eq!(deployer.invalidations(&distribution).len(), 1);
    push_req.trigger = push("acme/docs", "feature/docs", &sha(2));
    preview::preview(p, push_req.clone()).await.unwrap();
    let objects = deployer.site_objects(&bucket);
    assert_eq!(
        objects.keys().map(String::as_str).collect::<Vec<_>>(),
        ["css/site.css", "index.html"]
    );
    assert_eq!(objects["index.html"].1, b"<h1>two</h1>");
    assert_eq!(deployer.invalidations(&distribution).len(), 2);

    // A missing folder fails the deploy, naming the step, the call and the folder.
    push_req.config.site_dir = Some(site.path().join("dist").display().to_string());
    push_req.trigger = push("acme/docs", "feature/docs", &sha(3));
    let err = preview::preview(p, push_req).await.unwrap_err().to_string();
    assert!(err.contains("publish site_dir"), "{err}");
    assert!(err.contains("read of `") && err.contains("dist"), "{err}");
    let st = status::status(p, &env).await.unwrap();
    assert_eq!(st.environment.status, Status::Failed);
}

pub(crate) async fn status_reports_the_environments_alarms(
    f: &Fixture,
    deployer: &idp_core::adapters::memory::MemoryDeployer,
) {
    use idp_core::ports::{AlarmState, AlarmStatus};
    let p = &f.platform;
    create::create(p, create_req("watched")).await.unwrap();
    let st = status::status(p, &name("watched")).await.unwrap();
    assert_eq!(
        status::alarm_names(&st.outputs),
        ["idp-watched-5xx-rate", "idp-watched-unhealthy-targets"]
    );
    assert!(st.alarms.is_empty(), "no alarm exists yet: {:?}", st.alarms);

    let since = t0() + TimeDelta::minutes(5);
    deployer.put_alarm(AlarmStatus {
        name: "idp-watched-unhealthy-targets".into(),
        state: AlarmState::Alarm,
        reason: "Threshold Crossed: 1 datapoint [2.0] was greater than the threshold (0.0).".into(),
        since: Some(since),
    });
    deployer.put_alarm(AlarmStatus {
        name: "idp-watched-5xx-rate".into(),
        state: AlarmState::Ok,
        reason: "Unchecked: Initial alarm creation".into(),
        since: None,
    });
    // Another environment's alarm is not this one's, however alike the name.
    deployer.put_alarm(AlarmStatus {
        name: "idp-watched-2-5xx-rate".into(),
        state: AlarmState::Alarm,
        reason: "Threshold Crossed".into(),
        since: None,
    });
    let st = status::status(p, &name("watched")).await.unwrap();
    let seen: Vec<(&str, &AlarmState)> = st
        .alarms
        .iter()
        .map(|a| (a.name.as_str(), &a.state))
        .collect();
    assert_eq!(
        seen,
        [
            ("idp-watched-5xx-rate", &AlarmState::Ok),
            ("idp-watched-unhealthy-targets", &AlarmState::Alarm),
        ]
    );
    assert_eq!(st.alarms[1].since, Some(since));
    assert!(st.alarms[1].reason.starts_with("Threshold Crossed"));
    let json = serde_json::to_value(&st).unwrap();
    assert_eq!(json["alarms"][1]["state"], "ALARM");
    assert_eq!(json["alarms"][0]["state"], "OK");

    assert!(deployer.delete_alarm("idp-watched-5xx-rate"));
    let st = status::status(p, &name("watched")).await.unwrap();
    assert_eq!(st.alarms.len(), 1);
    assert_eq!(st.alarms[0].name, "idp-watched-unhealthy-targets");
    assert!(st.warnings.is_empty(), "{:?}", st.warnings);
}
