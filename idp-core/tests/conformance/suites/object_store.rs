//! The `ObjectStore` contract: conditional writes, etags, listing and pagination, deletes.

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use idp_core::ports::{ObjectStore, PutMode, StoreError};

use crate::adapters::{Caps, Handle};

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

async fn put(store: &dyn ObjectStore, key: &str, body: &str) -> idp_core::ports::Etag {
    store
        .put(key, b(body), PutMode::Overwrite)
        .await
        .expect("an overwrite put succeeds")
}

async fn body(store: &dyn ObjectStore, key: &str) -> String {
    let object = store.get(key).await.expect("the object exists");
    String::from_utf8(object.bytes.to_vec()).expect("utf-8")
}

pub(crate) async fn get_returns_the_bytes_and_etag_put_wrote(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    let etag = store
        .put(
            "environments/a/metadata.json",
            b("{\"v\":1}"),
            PutMode::CreateOnly,
        )
        .await
        .expect("create");
    let object = store
        .get("environments/a/metadata.json")
        .await
        .expect("get");
    assert_eq!(object.bytes, b("{\"v\":1}"));
    assert_eq!(object.etag, etag);
}

pub(crate) async fn get_and_head_of_a_missing_key_are_not_found(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    put(&*store, "environments/a/metadata.json", "x").await;
    for key in [
        "environments/missing.json",
        "environments/a",
        "environments/a/metadata.json/deeper",
    ] {
        assert!(
            matches!(store.get(key).await, Err(StoreError::NotFound { key: k }) if k == key),
            "get {key}"
        );
        assert!(
            matches!(store.head(key).await, Err(StoreError::NotFound { .. })),
            "head {key}"
        );
    }
}

pub(crate) async fn head_agrees_with_get(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    put(&*store, "k/one", "hello").await;
    let head = store.head("k/one").await.expect("head");
    let object = store.get("k/one").await.expect("get");
    assert_eq!(
        (head.key.as_str(), head.size, &head.etag),
        ("k/one", 5, &object.etag)
    );
}

pub(crate) async fn etag_changes_when_content_changes(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    let first = put(&*store, "k", "one").await;
    let second = put(&*store, "k", "two").await;
    assert_ne!(first, second);
    assert_eq!(store.get("k").await.expect("get").etag, second);
}

pub(crate) async fn create_only_put_on_an_existing_key_is_already_exists_and_changes_nothing(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    let etag = store
        .put("k", b("first"), PutMode::CreateOnly)
        .await
        .expect("create");
    let again = store.put("k", b("second"), PutMode::CreateOnly).await;
    assert!(
        matches!(&again, Err(StoreError::AlreadyExists { key }) if key == "k"),
        "{again:?}"
    );
    assert!(again.as_ref().is_err_and(StoreError::is_conflict));
    let object = store.get("k").await.expect("get");
    assert_eq!((object.bytes, object.etag), (b("first"), etag));
}

pub(crate) async fn if_match_with_the_current_etag_writes(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    let etag = put(&*store, "k", "one").await;
    let new = store
        .put("k", b("two"), PutMode::IfMatch(etag.clone()))
        .await
        .expect("if-match put");
    assert_ne!(new, etag);
    assert_eq!(body(&*store, "k").await, "two");
    // The new etag is the one to use next.
    store
        .put("k", b("three"), PutMode::IfMatch(new))
        .await
        .expect("chained if-match put");
    assert_eq!(body(&*store, "k").await, "three");
}

pub(crate) async fn stale_if_match_fails_and_leaves_the_object_unchanged(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    let stale = put(&*store, "k", "one").await;
    let current = put(&*store, "k", "two").await;
    let result = store
        .put("k", b("lost update"), PutMode::IfMatch(stale))
        .await;
    assert!(
        matches!(&result, Err(StoreError::PreconditionFailed { key }) if key == "k"),
        "{result:?}"
    );
    let object = store.get("k").await.expect("get");
    assert_eq!((object.bytes, object.etag), (b("two"), current));
}

pub(crate) async fn if_match_on_a_missing_key_is_not_found(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    let etag = put(&*store, "k", "one").await;
    let result = store.put("other", b("x"), PutMode::IfMatch(etag)).await;
    assert!(
        matches!(&result, Err(StoreError::NotFound { key }) if key == "other"),
        "{result:?}"
    );
    assert!(store.get("other").await.is_err_and(|e| e.is_not_found()));
}

pub(crate) async fn overwrite_always_writes(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    put(&*store, "k", "one").await;
    put(&*store, "k", "two").await;
    assert_eq!(body(&*store, "k").await, "two");
}

pub(crate) async fn delete_removes_and_deleting_a_missing_key_succeeds(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    put(&*store, "environments/a/metadata.json", "x").await;
    store
        .delete("environments/a/metadata.json")
        .await
        .expect("delete");
    assert!(
        store
            .get("environments/a/metadata.json")
            .await
            .is_err_and(|e| e.is_not_found())
    );
    store
        .delete("environments/a/metadata.json")
        .await
        .expect("deleting again succeeds");
    store
        .delete("never/was")
        .await
        .expect("deleting a missing key succeeds");
    // The key can be created again afterwards.
    store
        .put("environments/a/metadata.json", b("y"), PutMode::CreateOnly)
        .await
        .expect("re-create");
}

pub(crate) async fn delete_prefix_of_a_folder_leaves_a_sibling_with_a_longer_name(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    for key in [
        "environments/a/metadata.json",
        "environments/a/outputs.json",
        "environments/a/us-east-1/terraform.tfstate",
        "environments/ab/metadata.json",
        "environments/a.json",
    ] {
        put(&*store, key, "x").await;
    }
    let deleted = store
        .delete_prefix("environments/a/")
        .await
        .expect("delete_prefix");
    assert_eq!(deleted, 3);
    let left: Vec<String> = store
        .list_all("")
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(
        left,
        ["environments/a.json", "environments/ab/metadata.json"]
    );
    assert_eq!(
        store.delete_prefix("environments/a/").await.expect("again"),
        0
    );
}

pub(crate) async fn listing_is_sorted_and_limited_to_the_prefix(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    for key in [
        "environments/b/metadata.json",
        "environments/a/outputs.json",
        "environments/a/metadata.json",
        "environmentsX",
        "shared/x",
        "environments/ab/metadata.json",
    ] {
        put(&*store, key, key).await;
    }
    let page = store.list("environments/a", None).await.expect("list");
    assert_eq!(
        page.keys().collect::<Vec<_>>(),
        [
            "environments/a/metadata.json",
            "environments/a/outputs.json",
            "environments/ab/metadata.json"
        ]
    );
    assert_eq!(page.next, None);
    let listed = &page.objects[0];
    let head = store.head(&listed.key).await.expect("head");
    assert_eq!(
        (listed.size, &listed.etag),
        (head.size, &head.etag),
        "a listing reports the same etag and size as head"
    );
    assert!(
        store
            .list("nothing/", None)
            .await
            .expect("empty list")
            .objects
            .is_empty()
    );
    assert_eq!(store.list_all("").await.expect("list all").len(), 6);
}

pub(crate) async fn pagination_returns_every_key_exactly_once(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    caps: &Caps,
) {
    let expected: BTreeSet<String> = (0..caps.list_keys)
        .map(|i| format!("environments/env-{i:05}/metadata.json"))
        .collect();
    // 32 writes at a time: a thousand at once only measures how the endpoint copes with a burst
    // (a single-process moto on a loaded machine times some of them out).
    let writes: Vec<_> = futures::stream::iter(
        expected
            .iter()
            .map(|key| store.put(key, b("{}"), PutMode::Overwrite)),
    )
    .buffer_unordered(32)
    .collect()
    .await;
    if let Some(Err(e)) = writes.iter().find(|w| w.is_err()) {
        panic!("every write succeeds, but one failed: {e}");
    }
    put(&*store, "shared/outside-the-prefix", "x").await;

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = store
            .list("environments/", token.as_deref())
            .await
            .expect("list page");
        pages += 1;
        assert!(
            page.objects.len() <= 1000,
            "a page holds at most 1,000 keys"
        );
        seen.extend(page.objects.into_iter().map(|o| o.key));
        match page.next {
            Some(next) => token = Some(next),
            None => break,
        }
        assert!(pages <= caps.list_keys + 1, "pagination ends");
    }
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "keys come sorted and never twice"
    );
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
    assert!(
        caps.list_keys <= 1000 || pages > 1,
        "more keys than a page needs more than one page"
    );
    let all = store.list_all("environments/").await.expect("list_all");
    assert_eq!(all.len(), caps.list_keys);
}

pub(crate) async fn hostile_keys_are_rejected_or_stored_literally(
    store: Arc<dyn ObjectStore>,
    _: Handle<dyn ObjectStore>,
    caps: &Caps,
) {
    put(&*store, "environments/a/metadata.json", "inside").await;
    for key in [
        "../x",
        "environments/../../x",
        "/etc/idp-test",
        "environments//a",
        "a/./b",
    ] {
        let result = store.put(key, b("hostile"), PutMode::Overwrite).await;
        if caps.rejects_hostile_keys {
            assert!(
                matches!(&result, Err(StoreError::InvalidKey { key: k, .. }) if k == key),
                "{key}: {result:?}"
            );
            assert!(
                store.get(key).await.is_err(),
                "{key} is not readable either"
            );
        } else {
            // S3 keys are opaque strings: `..` means nothing, the key is stored as written.
            assert!(result.is_ok(), "{key}: {result:?}");
            assert_eq!(body(&*store, key).await, "hostile");
            store.delete(key).await.expect("delete");
        }
    }
    assert_eq!(
        body(&*store, "environments/a/metadata.json").await,
        "inside"
    );
    let keys: Vec<String> = store
        .list_all("")
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(keys, ["environments/a/metadata.json"]);
}

pub(crate) async fn race_create_only_puts_have_exactly_one_winner(
    store: Arc<dyn ObjectStore>,
    handle: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = handle();
            tokio::spawn(async move {
                store
                    .put(
                        "environments/race/metadata.json",
                        Bytes::from(format!("writer {i}")),
                        PutMode::CreateOnly,
                    )
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task") {
            Ok(etag) => winners.push((i, etag)),
            Err(StoreError::AlreadyExists { .. }) => {}
            Err(other) => panic!("writer {i} failed with {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one create-only put wins");
    let (winner, etag) = &winners[0];
    let object = store
        .get("environments/race/metadata.json")
        .await
        .expect("get");
    assert_eq!(object.bytes, Bytes::from(format!("writer {winner}")));
    assert_eq!(&object.etag, etag);
}

pub(crate) async fn race_if_match_puts_from_one_etag_have_exactly_one_winner(
    store: Arc<dyn ObjectStore>,
    handle: Handle<dyn ObjectStore>,
    _: &Caps,
) {
    let etag = put(&*store, "environments/race/metadata.json", "start").await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let (store, etag) = (handle(), etag.clone());
            tokio::spawn(async move {
                store
                    .put(
                        "environments/race/metadata.json",
                        Bytes::from(format!("writer {i}")),
                        PutMode::IfMatch(etag),
                    )
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match task.await.expect("task") {
            Ok(_) => winners.push(i),
            Err(StoreError::PreconditionFailed { .. }) => {}
            Err(other) => panic!("writer {i} failed with {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one compare-and-swap wins");
    assert_eq!(
        body(&*store, "environments/race/metadata.json").await,
        format!("writer {}", winners[0])
    );
}
