//! Every body the GitHub fake serves, and every fixture the mocks answer with, validates against
//! the schema GitHub's OpenAPI description (npm `@octokit/openapi`,
//! `generated/api.github.com.json`, OpenAPI 3.0.3) gives the response of its operation.
//!
//! OpenAPI 3.0 schemas are JSON Schema draft 4 plus `nullable`: each schema with
//! `nullable: true` also accepts `null`, and the `$ref`s to `#/components/schemas/…` are kept,
//! with the components they reach, in the document handed to the validator (`jsonschema`).
//! A status an operation does not document (a 401 on a listing) is checked against GitHub's
//! error bodies (`basic-error`, or `validation-error` for a 422 with `errors`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use idp_core::adapters::github::oauth::GithubOAuth;
use idp_core::adapters::github::{GitHubConfig, GitHubForge, RetryPolicy};
use idp_core::domain::event::{Branch, CommitSha, Repository};
use idp_core::ports::{CommitState, CommitStatus, Forge};
use idp_core::secret::Secret;
use serde_json::{Map, Value, json};

use crate::{MARKER, fixture, repo};
use idp_test_support::github_fake::{ACTIONS_TOKEN, GitHubFake, PAT, PAT_LOGIN, Served};

/// GitHub's OpenAPI description, or `None` (outside CI only) when `npm ci` has not been run.
fn spec() -> Option<&'static Value> {
    static SPEC: OnceLock<Option<Value>> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../node_modules/@octokit/openapi/generated/api.github.com.json");
        let Ok(text) = fs_err::read_to_string(&path) else {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "{} is missing: run `npm ci` at the workspace root before the tests",
                    path.display()
                );
            }
            eprintln!(
                "!!!!! SKIPPED: {} is missing; run `npm ci` at the workspace root to validate the GitHub fake's bodies against GitHub's OpenAPI description !!!!!",
                path.display()
            );
            return None;
        };
        Some(serde_json::from_str(&text).expect("the OpenAPI description is JSON"))
    })
    .as_ref()
}

/// `schema` with OpenAPI's `nullable: true` written as JSON Schema (`null` accepted).
fn json_schema(schema: &Value) -> Value {
    match schema {
        Value::Array(items) => Value::Array(items.iter().map(json_schema).collect()),
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| k.as_str() != "nullable")
                .map(|(k, v)| {
                    // `properties` maps names to schemas; `example`s are data, not schemas.
                    let v = if k == "example" || k == "examples" {
                        v.clone()
                    } else {
                        json_schema(v)
                    };
                    (k.clone(), v)
                })
                .collect();
            if map.get("nullable") != Some(&Value::Bool(true)) {
                return Value::Object(out);
            }
            match out.get("type").cloned() {
                Some(Value::String(t)) => {
                    out.insert("type".into(), json!([t, "null"]));
                    if let Some(Value::Array(values)) = out.get_mut("enum") {
                        values.push(Value::Null);
                    }
                    Value::Object(out)
                }
                _ => json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
            }
        }
        other => other.clone(),
    }
}

/// The names of the components `schema` refers to, directly or through other components.
fn reachable(spec: &Value, schema: &Value) -> BTreeSet<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref")
                    && let Some(name) = r.strip_prefix("#/components/schemas/")
                {
                    out.push(name.to_owned());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut seen = BTreeSet::new();
    let mut todo = Vec::new();
    refs(schema, &mut todo);
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            refs(&spec["components"]["schemas"][&name], &mut todo);
        }
    }
    seen
}

/// A validator for `schema` (a part of `spec`).
fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let components: Map<String, Value> = reachable(spec, schema)
        .into_iter()
        .map(|name| {
            let converted = json_schema(&spec["components"]["schemas"][&name]);
            (name, converted)
        })
        .collect();
    let document = json!({
        "allOf": [json_schema(schema)],
        "components": {"schemas": components},
    });
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&document)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

/// The schema of the `status` answer of operation `method path`, following `$ref`s to
/// `#/components/responses`; `None` for a documented answer without a body (204).
fn response_schema(spec: &Value, path: &str, method: &str, status: u16) -> Option<Value> {
    let operation = &spec["paths"][path][method];
    assert!(operation.is_object(), "no operation {method} {path}");
    let mut response = operation["responses"][status.to_string()].clone();
    if response.is_null() {
        assert!(
            status >= 400,
            "{method} {path}: GitHub does not document a {status} answer"
        );
        let error = if status == 422 {
            "validation-error"
        } else {
            "basic-error"
        };
        return Some(json!({"$ref": format!("#/components/schemas/{error}")}));
    }
    if let Some(Value::String(r)) = response.get("$ref") {
        let name = r.trim_start_matches("#/components/responses/");
        response = spec["components"]["responses"][name].clone();
    }
    let schema = response["content"]["application/json"]["schema"].clone();
    (!schema.is_null()).then_some(schema)
}

/// Every way `body` breaks the schema, as `path: message` lines.
fn problems(spec: &Value, served: &Served) -> Vec<String> {
    let schema = response_schema(spec, served.path, served.method, served.status);
    match (&schema, &served.body) {
        (None, None) => Vec::new(),
        (None, Some(_)) => vec![format!("a body where GitHub sends none")],
        (Some(_), None) => vec![format!("no body where GitHub sends one")],
        (Some(schema), Some(body)) => validator(spec, schema)
            .iter_errors(body)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect(),
    }
}

fn assert_valid(spec: &Value, served: &[Served]) {
    let failures: Vec<String> = served
        .iter()
        .filter_map(|s| {
            let found = problems(spec, s);
            (!found.is_empty()).then(|| {
                format!(
                    "{} {} → {}:\n  {}",
                    s.method,
                    s.path,
                    s.status,
                    found.join("\n  ")
                )
            })
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

async fn forge(fake: &GitHubFake, token: &str) -> GitHubForge {
    let cfg = GitHubConfig::new(fake.uri(), Some(Secret::new(token.to_owned()))).with_retry(
        RetryPolicy {
            max_retries: 0,
            initial_backoff: Duration::from_millis(5),
            max_total_wait: Duration::from_secs(1),
        },
    );
    GitHubForge::new(&cfg).expect("a forge")
}

/// Drives every operation the fake implements, with successes and refusals, on both tokens.
async fn everything_served() -> Vec<Served> {
    let fake = GitHubFake::start().await;
    fake.set_page_size(2);
    let sha = "b".repeat(40);
    fake.open_pr("octo/app", 7, "octo/app", "feature/payment-api", &sha);
    fake.open_pr("octo/app", 8, "octo/app", "feature/payment-api", &sha);
    fake.open_pr("octo/app", 9, "octo/app", "feature/payment-api", &sha);
    fake.add_workflow("octo/app", "infra.yml", &["stack"]);
    fake.add_comment("octo/app", 7, "mallory", &format!("{MARKER}\nspoof"));
    fake.add_comment("octo/app", 7, "reviewer", "lgtm");
    fake.add_comment("octo/app", 7, PAT_LOGIN, &format!("{MARKER}\nours"));
    fake.add_review("octo/app", 7, "platform-lead", "APPROVED");
    fake.add_review("octo/app", 7, "mallory", "CHANGES_REQUESTED");
    fake.label("octo/app", 7, "mallory", "idp-approved", true);
    fake.label("octo/app", 7, "mallory", "idp-approved", false);
    fake.add_team_member("acme", "platform-leads", "carol");
    fake.add_tag("octo/app", "v1", &sha, None);
    fake.add_tag("octo/app", "v2", &sha, Some(&"d".repeat(40)));
    let commit = CommitSha::parse(&sha).expect("a sha");
    let status = CommitStatus {
        context: "idp/preview/preview-payment-api".into(),
        state: CommitState::Success,
        target_url: Some("https://preview.example.com".into()),
        description: None,
    };
    let branch = Branch::parse("feature/payment-api").expect("a branch");
    let nowhere = Repository::parse("octo/missing").expect("a name");
    let inputs = BTreeMap::from([("stack".to_owned(), "net".to_owned())]);
    for token in [PAT, ACTIONS_TOKEN] {
        let forge = forge(&fake, token).await;
        // Outcomes differ per token (the Actions token may not edit the PAT's comment); every
        // answer is recorded either way.
        let _ = forge
            .upsert_pr_comment(&repo(), 7, MARKER, "deployed")
            .await;
        let _ = forge.upsert_pr_comment(&repo(), 7, MARKER, "again").await;
        let _ = forge.find_open_pr(&repo(), &branch).await;
        let _ = forge.set_commit_status(&repo(), &commit, &status).await;
        let other = CommitSha::parse(&"c".repeat(40)).expect("a sha");
        let _ = forge.set_commit_status(&repo(), &other, &status).await;
        let dispatch = forge
            .dispatch_workflow(&repo(), "infra.yml", "main", &inputs)
            .await
            .expect("dispatch");
        let run = forge
            .find_dispatched_run(&dispatch)
            .await
            .expect("find")
            .expect("a run");
        for _ in 0..3 {
            let _ = forge.poll_run(&repo(), run.id).await;
        }
        let _ = forge.latest_run_url(&repo(), "infra.yml").await;
        for git_ref in ["v1", "v2", "main", "nope"] {
            let _ = forge.resolve_ref(&repo(), git_ref).await;
        }
        let unexpected = BTreeMap::from([("nope".to_owned(), "1".to_owned())]);
        let _ = forge
            .dispatch_workflow(&repo(), "infra.yml", "main", &unexpected)
            .await;
        let _ = forge
            .dispatch_workflow(&repo(), "infra.yml", "nope", &inputs)
            .await;
        let _ = forge.upsert_pr_comment(&nowhere, 7, MARKER, "x").await;
        let _ = forge.poll_run(&repo(), 1).await;
        assert_eq!(
            forge
                .list_pr_reviews(&repo(), 7)
                .await
                .expect("reviews")
                .len(),
            2
        );
        assert_eq!(
            forge
                .list_label_events(&repo(), 7)
                .await
                .expect("labels")
                .len(),
            2
        );
        let _ = forge.list_pr_reviews(&repo(), 99).await;
        assert!(
            forge
                .is_team_member("acme", "platform-leads", "carol")
                .await
                .expect("member")
        );
        assert!(
            !forge
                .is_team_member("acme", "platform-leads", "mallory")
                .await
                .expect("no member")
        );
    }
    fake.set_read_only(PAT, true);
    let pat = forge(&fake, PAT).await;
    let _ = pat.set_commit_status(&repo(), &commit, &status).await;
    fake.revoke(PAT);
    let _ = pat.find_open_pr(&repo(), &branch).await;
    sign_in(&fake).await;
    assert!(fake.unexpected().is_empty(), "{:?}", fake.unexpected());
    fake.served()
}

/// Signs users in (teams and organizations over several pages, none at all, a revoked token),
/// for `GET /user`, `GET /user/teams` and `GET /user/orgs`.
async fn sign_in(fake: &GitHubFake) {
    fake.add_oauth_app("Iv1.0123456789abcdef", "app-secret-0123456789");
    let oauth = GithubOAuth::new(
        "Iv1.0123456789abcdef".to_owned(),
        Secret::new("app-secret-0123456789".to_owned()),
        &fake.uri(),
        &fake.uri(),
    )
    .expect("an OAuth client");
    let alice = fake.add_oauth_user(
        "alice",
        &[("acme", "platform"), ("acme", "design"), ("other", "ops")],
        &["acme", "other", "third"],
    );
    let nobody = fake.add_oauth_user("nobody", &[], &[]);
    for code in [alice, nobody] {
        let token = oauth
            .exchange_code(&code, "http://127.0.0.1/callback")
            .await
            .expect("a token");
        oauth.identity(&token).await.expect("an identity");
        fake.revoke(token.expose());
        let _ = oauth.identity(&token).await;
    }
}

#[tokio::test]
async fn every_body_the_fake_serves_is_a_whole_github_object() {
    let Some(spec) = spec() else { return };
    let served = everything_served().await;
    let operations: BTreeSet<(&str, &str)> = served.iter().map(|s| (s.method, s.path)).collect();
    assert_eq!(
        operations.len(),
        16,
        "every operation is covered: {operations:?}"
    );
    let statuses: BTreeSet<u16> = served.iter().map(|s| s.status).collect();
    assert_eq!(
        statuses,
        BTreeSet::from([200, 201, 204, 401, 403, 404, 422]),
        "successes and every refusal are covered"
    );
    assert_valid(spec, &served);
}

#[tokio::test]
async fn a_body_missing_a_required_field_or_with_a_wrong_type_is_refused() {
    let Some(spec) = spec() else { return };
    let served = everything_served().await;
    let comment = served
        .iter()
        .find(|s| s.method == "post" && s.status == 201 && s.path.ends_with("/comments"))
        .expect("a created comment")
        .clone();
    let run = served
        .iter()
        .find(|s| s.method == "get" && s.path.ends_with("/runs/{run_id}") && s.status == 200)
        .expect("a run")
        .clone();
    let teams = served
        .iter()
        .find(|s| s.path == "/user/teams" && s.status == 200)
        .expect("a page of teams")
        .clone();
    let mut broken = Vec::new();
    let mut edit = |served: &Served, change: &dyn Fn(&mut Value)| {
        let mut copy = served.clone();
        change(copy.body.as_mut().expect("a body"));
        broken.push(copy);
    };
    edit(&comment, &|b| {
        b.as_object_mut().map(|o| o.remove("node_id"));
    });
    edit(&comment, &|b| {
        b["user"].as_object_mut().map(|o| o.remove("login"));
    });
    edit(&comment, &|b| b["id"] = json!("one"));
    edit(&run, &|b| {
        b.as_object_mut().map(|o| o.remove("head_commit"));
    });
    edit(&run, &|b| b["html_url"] = Value::Null);
    edit(&teams, &|b| {
        b[0].as_object_mut().map(|o| o.remove("organization"));
    });
    edit(&teams, &|b| b[0]["slug"] = json!(7));
    for served in &broken {
        assert!(
            !problems(spec, served).is_empty(),
            "accepted a broken body: {}",
            served
                .body
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_default()
        );
    }
    assert!(problems(spec, &comment).is_empty());
}

#[tokio::test]
async fn every_fixture_is_a_whole_github_object() {
    let Some(spec) = spec() else { return };
    let one = |path: &'static str, method: &'static str, status: u16, name: &str| Served {
        path,
        method,
        status,
        body: Some(fixture(name)),
    };
    let mut bot_comment = fixture("issue-comment.json");
    bot_comment["user"] = fixture("user-github-actions-bot.json");
    let fixtures = [
        one("/user", "get", 200, "user.json"),
        one(
            "/repos/{owner}/{repo}/issues/comments/{comment_id}",
            "patch",
            200,
            "issue-comment.json",
        ),
        one(
            "/repos/{owner}/{repo}/actions/runs/{run_id}",
            "get",
            200,
            "workflow-run.json",
        ),
        one(
            "/repos/{owner}/{repo}/statuses/{sha}",
            "post",
            201,
            "status.json",
        ),
        one("/user", "get", 401, "error-bad-credentials.json"),
        one(
            "/user",
            "get",
            403,
            "error-not-accessible-by-integration.json",
        ),
        one(
            "/repos/{owner}/{repo}/actions/runs/{run_id}",
            "get",
            403,
            "error-rate-limit.json",
        ),
        one(
            "/repos/{owner}/{repo}/statuses/{sha}",
            "post",
            403,
            "error-secondary-rate-limit.json",
        ),
        one(
            "/repos/{owner}/{repo}/actions/runs/{run_id}",
            "get",
            404,
            "error-not-found.json",
        ),
        one(
            "/repos/{owner}/{repo}/actions/runs/{run_id}",
            "get",
            500,
            "error-server.json",
        ),
        one(
            "/repos/{owner}/{repo}/statuses/{sha}",
            "post",
            422,
            "error-no-commit.json",
        ),
        one(
            "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
            "post",
            422,
            "error-no-ref.json",
        ),
        one(
            "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
            "post",
            422,
            "error-unexpected-inputs.json",
        ),
        one(
            "/repos/{owner}/{repo}/issues/{issue_number}/comments",
            "post",
            422,
            "error-validation-failed.json",
        ),
        Served {
            path: "/user/teams",
            method: "get",
            status: 200,
            body: Some(json!([fixture("team-full.json")])),
        },
        Served {
            path: "/user/orgs",
            method: "get",
            status: 200,
            body: Some(json!([fixture("organization-simple.json")])),
        },
        Served {
            path: "/repos/{owner}/{repo}/pulls",
            method: "get",
            status: 200,
            body: Some(json!([fixture("pull-request-simple.json")])),
        },
        Served {
            path: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
            method: "get",
            status: 200,
            body: Some(json!([fixture("issue-comment.json"), bot_comment])),
        },
    ];
    assert_valid(spec, &fixtures);
}
