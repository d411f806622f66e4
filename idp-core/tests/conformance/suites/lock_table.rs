//! The `LockTable` contract: leases with expiry, owner-only renew and release, force-unlock, and
//! OpenTofu lock items.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use idp_core::ports::{LeaseRequest, LockError, LockTable, TfLockInfo};

use crate::adapters::{Caps, Handle, Seed};

fn request(key: &str, owner: &str, minutes: i64) -> LeaseRequest {
    LeaseRequest {
        key: key.to_owned(),
        owner: owner.to_owned(),
        ttl: TimeDelta::minutes(minutes),
    }
}

fn held_by(
    result: &Result<impl std::fmt::Debug, LockError>,
    who: &str,
    until: DateTime<Utc>,
) -> bool {
    matches!(result, Err(LockError::Held { owner, expires_at, .. }) if owner == who && *expires_at == until)
}

pub(crate) async fn acquire_on_a_free_key_grants_a_lease_until_now_plus_ttl(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    _: Arc<dyn Seed>,
    caps: &Caps,
) {
    let lease = locks
        .acquire(&request("environments/a", "alice", 10), caps.now)
        .await
        .expect("acquire");
    assert_eq!(
        (lease.key.as_str(), lease.owner.as_str(), lease.expires_at),
        ("environments/a", "alice", caps.now + TimeDelta::minutes(10))
    );
    let stored = locks
        .get("environments/a")
        .await
        .expect("get")
        .expect("a stored lease");
    assert_eq!(stored, lease.info());
    assert_eq!(locks.get("environments/b").await.expect("get"), None);
}

pub(crate) async fn acquire_of_a_live_lease_is_held_naming_the_holder(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    _: Arc<dyn Seed>,
    caps: &Caps,
) {
    let lease = locks
        .acquire(&request("k", "alice", 10), caps.now)
        .await
        .expect("acquire");
    let later = caps.now + TimeDelta::minutes(9);
    let bob = locks.acquire(&request("k", "bob", 10), later).await;
    assert!(held_by(&bob, "alice", lease.expires_at), "{bob:?}");
    let alice_again = locks.acquire(&request("k", "alice", 10), later).await;
    assert!(
        held_by(&alice_again, "alice", lease.expires_at),
        "the same owner cannot take a live lease twice: {alice_again:?}"
    );
    assert_eq!(locks.get("k").await.expect("get"), Some(lease.info()));
}

pub(crate) async fn expired_lease_is_acquirable_by_another_owner(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    _: Arc<dyn Seed>,
    caps: &Caps,
) {
    let alice = locks
        .acquire(&request("k", "alice", 10), caps.now)
        .await
        .expect("acquire");
    let at_expiry = alice.expires_at;
    // The expired item may still be stored (DynamoDB TTL deletion is lazy), yet it is free.
    let stored = locks.get("k").await.expect("get");
    assert!(stored.is_some_and(|s| !s.is_live(at_expiry)));
    let bob = locks
        .acquire(&request("k", "bob", 5), at_expiry)
        .await
        .expect("an expired lease is free");
    assert_eq!(
        (bob.owner.as_str(), bob.expires_at),
        ("bob", at_expiry + TimeDelta::minutes(5))
    );
    assert_ne!(bob.token, alice.token);
    assert_eq!(
        locks.get("k").await.expect("get").map(|l| l.owner),
        Some("bob".to_owned())
    );
}

pub(crate) async fn renew_by_the_holder_moves_the_expiry(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    _: Arc<dyn Seed>,
    caps: &Caps,
) {
    let lease = locks
        .acquire(&request("k", "alice", 10), caps.now)
        .await
        .expect("acquire");
    let until = caps.now + TimeDelta::hours(1);
    let renewed = locks.renew(&lease, until).await.expect("renew");
    assert_eq!((renewed.expires_at, &renewed.token), (until, &lease.token));
    assert_eq!(
        locks.get("k").await.expect("get").map(|l| l.expires_at),
        Some(until)
    );
    // Past the old expiry the renewed lease still holds.
    let bob = locks
        .acquire(&request("k", "bob", 10), lease.expires_at)
        .await;
    assert!(held_by(&bob, "alice", until), "{bob:?}");
    // Renewing an expired lease nobody took works too.
    let late = locks
        .renew(&renewed, until + TimeDelta::hours(5))
        .await
        .expect("late renew");
    assert_eq!(late.expires_at, until + TimeDelta::hours(5));
}

pub(crate) async fn renew_of_a_replaced_or_released_lease_is_refused(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    _: Arc<dyn Seed>,
    caps: &Caps,
) {
    let alice = locks
        .acquire(&request("k", "alice", 10), caps.now)
        .await
        .expect("acquire");
    let bob = locks
        .acquire(&request("k", "bob", 10), alice.expires_at)
        .await
        .expect("bob takes the expired lease");
    let renewed = locks.renew(&alice, caps.now + TimeDelta::hours(1)).await;
    assert!(held_by(&renewed, "bob", bob.expires_at), "{renewed:?}");
    assert_eq!(locks.get("k").await.expect("get"), Some(bob.info()));
    locks.release(&bob).await.expect("release");
    let renewed = locks.renew(&bob, caps.now + TimeDelta::hours(1)).await;
    assert!(
        matches!(&renewed, Err(LockError::NotFound { key }) if key == "k"),
        "{renewed:?}"
    );
}

pub(crate) async fn release_by_a_non_owner_is_refused_and_keeps_the_lease(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    _: Arc<dyn Seed>,
    caps: &Caps,
) {
    let alice = locks
        .acquire(&request("k", "alice", 10), caps.now)
        .await
        .expect("acquire");
    let forged = idp_core::ports::Lease {
        owner: "mallory".to_owned(),
        ..alice.clone()
    };
    assert!(held_by(
        &locks.release(&forged).await,
        "alice",
        alice.expires_at
    ));
    let wrong_token = idp_core::ports::Lease {
        token: "not-the-token".to_owned(),
        ..alice.clone()
    };
    assert!(held_by(
        &locks.release(&wrong_token).await,
        "alice",
        alice.expires_at
    ));
    assert_eq!(locks.get("k").await.expect("get"), Some(alice.info()));
}

pub(crate) async fn release_frees_the_key_once(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    _: Arc<dyn Seed>,
    caps: &Caps,
) {
    let alice = locks
        .acquire(&request("k", "alice", 10), caps.now)
        .await
        .expect("acquire");
    locks.release(&alice).await.expect("release");
    assert_eq!(locks.get("k").await.expect("get"), None);
    assert!(matches!(
        locks.release(&alice).await,
        Err(LockError::NotFound { .. })
    ));
    locks
        .acquire(&request("k", "bob", 10), caps.now)
        .await
        .expect("a released key is free");
}

pub(crate) async fn force_unlock_returns_the_holder_and_frees_the_key(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    _: Arc<dyn Seed>,
    caps: &Caps,
) {
    let alice = locks
        .acquire(&request("k", "alice", 10), caps.now)
        .await
        .expect("acquire");
    assert_eq!(
        locks.force_unlock("k").await.expect("force unlock"),
        Some(alice.info())
    );
    assert_eq!(
        locks
            .force_unlock("k")
            .await
            .expect("force unlock of a free key"),
        None
    );
    assert!(matches!(
        locks.release(&alice).await,
        Err(LockError::NotFound { .. })
    ));
    locks
        .acquire(&request("k", "bob", 10), caps.now)
        .await
        .expect("an unlocked key is free");
}

pub(crate) async fn list_returns_stored_leases_under_a_prefix_sorted(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    seed: Arc<dyn Seed>,
    caps: &Caps,
) {
    for (key, minutes) in [
        ("environments/b", 10),
        ("environments/a", -5),
        ("environments/ab", 10),
        ("other/a", 10),
    ] {
        let now = caps.now + TimeDelta::minutes(minutes.min(0) * 2);
        locks
            .acquire(&request(key, "alice", minutes.abs()), now)
            .await
            .expect("acquire");
    }
    seed.terraform_lock("environments/tfstate", &tf_info("environments/tfstate"))
        .await;
    let listed = locks.list("environments/").await.expect("list");
    let keys: Vec<&str> = listed.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(
        keys,
        ["environments/a", "environments/ab", "environments/b"],
        "expired leases are listed, lock items are not"
    );
    assert!(!listed[0].is_live(caps.now) && listed[1].is_live(caps.now));
    assert_eq!(locks.list("").await.expect("list all").len(), 4);
}

fn tf_info(path: &str) -> String {
    format!(
        r#"{{"ID":"2b8f3c1e-0000-4000-8000-000000000001","Operation":"OperationTypeApply","Info":"","Who":"runner@ci","Version":"1.8.2","Created":"2026-02-18T22:03:39.123456789Z","Path":"{path}"}}"#
    )
}

pub(crate) async fn terraform_lock_items_are_read_and_removed(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    seed: Arc<dyn Seed>,
    _: &Caps,
) {
    let state_key = "environments/preview-a/terraform.tfstate";
    let lock_id = TfLockInfo::lock_id("state-bucket", state_key);
    let digest_id = TfLockInfo::digest_id("state-bucket", state_key);
    assert_eq!(
        lock_id,
        "state-bucket/environments/preview-a/terraform.tfstate"
    );
    seed.terraform_lock(&lock_id, &tf_info(&lock_id)).await;
    seed.terraform_digest(&digest_id, "d41d8cd98f00b204e9800998ecf8427e")
        .await;
    // A neighbour's items are untouched.
    let other = TfLockInfo::lock_id("state-bucket", "environments/preview-ab/terraform.tfstate");
    seed.terraform_lock(&other, &tf_info(&other)).await;

    let held = locks
        .terraform_lock(&lock_id)
        .await
        .expect("read")
        .expect("a lock");
    assert_eq!(
        (
            held.who.as_str(),
            held.operation.as_str(),
            held.path.as_str()
        ),
        ("runner@ci", "OperationTypeApply", lock_id.as_str())
    );
    assert!(held.created.is_some());
    assert_eq!(
        locks
            .terraform_lock(&digest_id)
            .await
            .expect("a digest item is not a lock"),
        None
    );

    let removed = locks
        .remove_terraform_lock_items("state-bucket", state_key)
        .await
        .expect("remove");
    assert_eq!(removed.lock.map(|l| l.id), Some(held.id));
    assert!(removed.digest_removed);
    assert_eq!(locks.terraform_lock(&lock_id).await.expect("read"), None);
    let again = locks
        .remove_terraform_lock_items("state-bucket", state_key)
        .await
        .expect("removing nothing succeeds");
    assert_eq!((again.lock, again.digest_removed), (None, false));
    assert!(locks.terraform_lock(&other).await.expect("read").is_some());
}

pub(crate) async fn malformed_terraform_lock_is_reported_and_still_removable(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    seed: Arc<dyn Seed>,
    _: &Caps,
) {
    let lock_id = TfLockInfo::lock_id("b", "k");
    seed.terraform_lock(&lock_id, "not json").await;
    let read = locks.terraform_lock(&lock_id).await;
    assert!(
        matches!(&read, Err(LockError::Malformed { key, .. }) if *key == lock_id),
        "{read:?}"
    );
    locks
        .remove_terraform_lock_items("b", "k")
        .await
        .expect("remove");
    assert_eq!(locks.terraform_lock(&lock_id).await.expect("read"), None);
}

async fn race(locks: Arc<dyn LockTable>, handle: Handle<dyn LockTable>, now: DateTime<Utc>) {
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let locks = handle();
            tokio::spawn(async move {
                locks
                    .acquire(
                        &request("environments/race", &format!("owner-{i}"), 10),
                        now,
                    )
                    .await
            })
        })
        .collect();
    let mut holders = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task") {
            Ok(lease) => holders.push(lease),
            Err(LockError::Held { .. }) => {}
            Err(other) => panic!("owner-{i} failed with {other:?}"),
        }
    }
    assert_eq!(holders.len(), 1, "exactly one acquisition wins");
    assert_eq!(
        locks.get("environments/race").await.expect("get"),
        Some(holders[0].info())
    );
}

pub(crate) async fn race_acquire_has_exactly_one_holder(
    locks: Arc<dyn LockTable>,
    handle: Handle<dyn LockTable>,
    _: Arc<dyn Seed>,
    caps: &Caps,
) {
    race(locks, handle, caps.now).await;
}

pub(crate) async fn race_acquire_of_an_expired_lease_has_exactly_one_holder(
    locks: Arc<dyn LockTable>,
    handle: Handle<dyn LockTable>,
    _: Arc<dyn Seed>,
    caps: &Caps,
) {
    let old = locks
        .acquire(
            &request("environments/race", "crashed", 10),
            caps.now - TimeDelta::hours(1),
        )
        .await
        .expect("acquire");
    assert!(!old.info().is_live(caps.now));
    race(locks, handle, caps.now).await;
}

pub(crate) async fn unlock_removes_the_terraform_lock_but_keeps_the_digest(
    locks: Arc<dyn LockTable>,
    _: Handle<dyn LockTable>,
    seed: Arc<dyn Seed>,
    _: &Caps,
) {
    let state_key = "environments/preview-a/terraform.tfstate";
    let lock_id = TfLockInfo::lock_id("state-bucket", state_key);
    let digest_id = TfLockInfo::digest_id("state-bucket", state_key);
    seed.terraform_lock(&lock_id, &tf_info(&lock_id)).await;
    seed.terraform_digest(&digest_id, "d41d8cd98f00b204e9800998ecf8427e")
        .await;

    let removed = locks.remove_terraform_lock(&lock_id).await.expect("unlock");
    assert_eq!(removed.map(|l| l.who), Some("runner@ci".to_owned()));
    assert_eq!(locks.terraform_lock(&lock_id).await.expect("read"), None);
    assert_eq!(
        locks
            .remove_terraform_lock(&lock_id)
            .await
            .expect("unlock again"),
        None
    );
    assert_eq!(
        locks
            .remove_terraform_lock(&digest_id)
            .await
            .expect("a digest is not a lock"),
        None
    );
    // The digest is still there: destroy removes it, unlock never does.
    let destroy = locks
        .remove_terraform_lock_items("state-bucket", state_key)
        .await
        .expect("remove");
    assert_eq!((destroy.lock, destroy.digest_removed), (None, true));
}
