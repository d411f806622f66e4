//! Pull-request comments: the marker searched on every page, one comment kept, long bodies cut,
//! missing pull requests, and the open pull request of a branch.

use idp_core::domain::event::Branch;
use idp_core::ports::{Forge, ForgeError};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::{MARKER, Stand, TOKEN, comment, comment_by, fixture, repo};

#[tokio::test]
async fn a_comment_with_the_marker_on_page_3_is_found_and_edited() {
    let stand = Stand::new().await;
    let base = stand.server.uri();
    let list = "/repos/octo/app/issues/7/comments";
    let page = |n: u32| format!("{base}{list}?per_page=100&page={n}");
    let link = |next: u32| {
        format!(
            "<{}>; rel=\"next\", <{}>; rel=\"last\"",
            page(next),
            page(3)
        )
    };
    Mock::given(method("GET"))
        .and(path(list))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link(3).as_str())
                .set_body_json(json!([comment(21, "lgtm"), comment(22, "ship it")])),
        )
        .expect(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("GET"))
        .and(path(list))
        .and(query_param("page", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            comment(31, "nit"),
            comment_by(
                33,
                &format!("{MARKER}\nold body"),
                idp_test_support::github_fake::PAT_LOGIN
            )
        ])))
        .expect(1)
        .mount(&stand.server)
        .await;
    // The first page has no `page` parameter.
    Mock::given(method("GET"))
        .and(path(list))
        .and(query_param("per_page", "100"))
        .and(|r: &Request| {
            !r.url.query().unwrap_or("").contains("page=2")
                && !r.url.query().unwrap_or("").contains("page=3")
        })
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("link", link(2).as_str())
                .set_body_json(json!([comment(11, "first"), comment(12, "second")])),
        )
        .expect(1)
        .mount(&stand.server)
        .await;
    // Comment 33 is the first to start with the marker: only then is the identity asked for.
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            idp_test_support::github_fake::bodies::authenticated_user(
                idp_test_support::github_fake::PAT_LOGIN,
            ),
        ))
        .expect(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octo/app/issues/comments/33"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_partial_json(
            json!({"body": format!("{MARKER}\nnew body")}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment_by(
            33,
            &format!("{MARKER}\nnew body"),
            idp_test_support::github_fake::PAT_LOGIN,
        )))
        .expect(1)
        .mount(&stand.server)
        .await;

    let got = stand
        .forge
        .upsert_pr_comment(&repo(), 7, MARKER, &format!("{MARKER}\nnew body"))
        .await
        .unwrap();
    assert_eq!(got.id, 33);
    assert!(!got.created);
    assert_eq!(
        got.url,
        "https://github.com/octo/app/pull/7#issuecomment-33"
    );
    stand.finish().await;
}

#[tokio::test]
async fn two_upserts_leave_one_comment() {
    let stand = Stand::new().await;
    let list = "/repos/octo/app/issues/7/comments";
    let posted = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let store = posted.clone();
    Mock::given(method("GET"))
        .and(path(list))
        .respond_with(move |_: &Request| {
            ResponseTemplate::new(200).set_body_json(Value::Array(store.lock().unwrap().clone()))
        })
        .mount(&stand.server)
        .await;
    let store = posted.clone();
    Mock::given(method("POST"))
        .and(path(list))
        .respond_with(move |r: &Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let c = comment(501, body["body"].as_str().unwrap());
            store.lock().unwrap().push(c.clone());
            ResponseTemplate::new(201).set_body_json(c)
        })
        .expect(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/octo/app/issues/comments/501"))
        .respond_with(ResponseTemplate::new(200).set_body_json(comment(501, "edited")))
        .expect(1)
        .mount(&stand.server)
        .await;

    let first = stand
        .forge
        .upsert_pr_comment(&repo(), 7, MARKER, "deployed")
        .await
        .unwrap();
    let second = stand
        .forge
        .upsert_pr_comment(&repo(), 7, MARKER, "redeployed")
        .await
        .unwrap();
    assert!(first.created && !second.created);
    assert_eq!(first.id, second.id);
    assert_eq!(posted.lock().unwrap().len(), 1);
    assert!(
        posted.lock().unwrap()[0]["body"]
            .as_str()
            .unwrap()
            .starts_with(MARKER)
    );
    stand.finish().await;
}

#[tokio::test]
async fn a_missing_pull_request_is_not_found_and_the_open_pr_of_a_branch_ignores_forks() {
    let stand = Stand::new().await;
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/issues/404/comments"))
        .respond_with(ResponseTemplate::new(404).set_body_json(fixture("error-not-found.json")))
        .expect(1)
        .mount(&stand.server)
        .await;
    let mut fork = fixture("pull-request-simple.json");
    fork["number"] = json!(3);
    fork["head"]["repo"]["full_name"] = json!("mallory/app");
    let mut own = fixture("pull-request-simple.json");
    own["number"] = json!(8);
    own["head"]["repo"]["full_name"] = json!("octo/app");
    Mock::given(method("GET"))
        .and(path("/repos/octo/app/pulls"))
        .and(query_param("state", "open"))
        .and(query_param("head", "octo:feature/payment-api"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([fork, own])))
        .expect(1)
        .mount(&stand.server)
        .await;

    let error = stand
        .forge
        .upsert_pr_comment(&repo(), 404, MARKER, "x")
        .await
        .unwrap_err();
    assert!(matches!(error, ForgeError::NotFound { .. }), "{error:?}");
    let pr = stand
        .forge
        .find_open_pr(&repo(), &Branch::parse("feature/payment-api").unwrap())
        .await
        .unwrap();
    assert_eq!(pr.map(|p| p.number), Some(8));
    stand.finish().await;
}

#[tokio::test]
async fn a_body_over_githubs_limit_is_sent_cut_with_a_truncation_note() {
    let stand = Stand::new().await;
    let list = "/repos/octo/app/issues/7/comments";
    Mock::given(method("GET"))
        .and(path(list))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&stand.server)
        .await;
    Mock::given(method("POST"))
        .and(path(list))
        .and(|r: &Request| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let text = body["body"].as_str().unwrap();
            text.len() <= 65_536
                && text.starts_with(MARKER)
                && text.contains("truncated to fit GitHub's 65,536-character limit")
        })
        .respond_with(ResponseTemplate::new(201).set_body_json(comment(9, "cut")))
        .expect(1)
        .mount(&stand.server)
        .await;
    let huge = format!("{MARKER}\n{}", "log line ✓\n".repeat(10_000));
    let got = stand
        .forge
        .upsert_pr_comment(&repo(), 7, MARKER, &huge)
        .await
        .unwrap();
    assert!(got.created);
    stand.finish().await;
}
