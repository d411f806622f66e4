//! The whole GitOps path (setup, record, comment, cleanup, dashboard) on the local backend and
//! on moto, and the pull-request comment through a mock GitHub.

use serde_json::{Value, json};

use crate::{Env, core_fixtures, moto_env, pr_closed_payload, push_payload, step};

/// The GitOps path, step by step as the workflows run it.
fn gitops_path(env: &Env) {
    let sha1 = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
    let sha2 = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c";
    let branch = "feature/payment-api";
    let push1 = push_payload(branch, sha1);

    let decided = step(env, &["setup"], Some(("push", &push1)), &[]);
    assert_eq!(decided.code, 0, "{}", decided.stdout);
    assert_eq!(decided.outputs["action"], "provision");
    assert_eq!(decided.outputs["environment"], "preview-payment-api");
    assert_eq!(decided.outputs["image_tag"], "preview-payment-api-6113728");

    let image =
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/idp-preview:preview-payment-api-6113728";
    let begun = step(
        env,
        &[
            "setup",
            "--begin",
            "--expect",
            "deploy",
            "--environment",
            "preview-payment-api",
            "--image",
            image,
        ],
        Some(("push", &push1)),
        &[],
    );
    assert_eq!(begun.code, 0, "{}", begun.stdout);
    assert_eq!(begun.outputs["status"], "provisioning");
    assert_eq!(
        begun.outputs["state_key"],
        "environments/preview-payment-api/terraform.tfstate"
    );
    let tfvars: Value =
        serde_json::from_slice(&fs_err::read(&begun.outputs["tfvars_file"]).unwrap()).unwrap();
    assert_eq!(tfvars["container_image"], json!(image));

    // The workflow's `tofu apply` produced these outputs.
    let outputs = env.path().join("outputs.json");
    fs_err::write(&outputs, serde_json::to_vec(&json!({
        "endpoint": {"value": "https://preview-payment-api.preview.example.com", "type": "string", "sensitive": false},
        "cluster_name": {"value": "idp-preview-payment-api", "type": "string", "sensitive": false},
        "database_password": {"value": "hunter2-s3cr3t", "type": "string", "sensitive": true},
    })).unwrap()).unwrap();
    let recorded = step(
        env,
        &["record", "--outputs", outputs.to_str().unwrap()],
        None,
        &[("IDP_ENVIRONMENT", "preview-payment-api")],
    );
    assert_eq!(recorded.code, 0, "{}", recorded.stdout);
    assert!(
        recorded.stdout.lines().next() == Some("::add-mask::hunter2-s3cr3t"),
        "{}",
        recorded.stdout
    );
    assert_eq!(recorded.outputs["status"], "active");
    assert_eq!(
        recorded.outputs["endpoint"],
        "https://preview-payment-api.preview.example.com"
    );
    assert!(
        !recorded.outputs_text.contains("hunter2"),
        "{}",
        recorded.outputs_text
    );

    let commented = step(
        env,
        &["comment", "--state", "created"],
        Some(("push", &push1)),
        &[("IDP_ENVIRONMENT", "preview-payment-api")],
    );
    assert_eq!(commented.code, 0, "{}", commented.stdout);
    assert!(
        commented
            .summary
            .starts_with("<!-- idp:preview:preview-payment-api -->"),
        "{}",
        commented.summary
    );

    let push2 = push_payload(branch, sha2);
    let again = step(
        env,
        &["setup", "--begin", "--expect", "deploy"],
        Some(("push", &push2)),
        &[],
    );
    assert_eq!(
        again.outputs["action"], "extend_and_redeploy",
        "{}",
        again.stdout
    );
    assert_eq!(again.outputs["status"], "updating");
    let recorded = step(
        env,
        &["record", "--outputs", outputs.to_str().unwrap()],
        None,
        &[("IDP_ENVIRONMENT", "preview-payment-api")],
    );
    assert_eq!(recorded.outputs["status"], "active");

    // Another branch mapping to the same name is refused, not redeployed.
    let other = step(
        env,
        &["setup"],
        Some(("push", &push_payload("bugfix/payment-api", sha2))),
        &[],
    );
    assert_eq!(other.code, 4, "{}", other.stdout);
    assert_eq!(other.outputs["action"], "refuse");

    // A provision workflow never destroys.
    let closed = pr_closed_payload(branch);
    let wrong = step(
        env,
        &["setup", "--begin", "--expect", "deploy"],
        Some(("pull_request", &closed)),
        &[],
    );
    assert_eq!(wrong.code, 2, "{}", wrong.stdout);

    let destroying = step(
        env,
        &["setup", "--begin", "--expect", "destroy"],
        Some(("pull_request", &closed)),
        &[],
    );
    assert_eq!(destroying.code, 0, "{}", destroying.stdout);
    assert_eq!(destroying.outputs["action"], "destroy");
    assert_eq!(destroying.outputs["status"], "destroying");
    let tfvars: Value =
        serde_json::from_slice(&fs_err::read(&destroying.outputs["tfvars_file"]).unwrap()).unwrap();
    assert_eq!(
        tfvars["environment_name"],
        json!("preview-payment-api"),
        "destroy reuses the applied tfvars"
    );

    let cleaned = step(
        env,
        &["cleanup"],
        None,
        &[("IDP_ENVIRONMENT", "preview-payment-api")],
    );
    assert_eq!(cleaned.code, 0, "{}", cleaned.stdout);
    assert_eq!(cleaned.outputs["status"], "destroyed");
    assert_eq!(
        cleaned.outputs["state_objects_deleted"], "2",
        "outputs.json and tfvars.json"
    );

    // The branch deletion that follows a merge finds nothing left to do.
    let late = step(
        env,
        &["setup", "--begin", "--expect", "destroy"],
        Some(("pull_request", &closed)),
        &[],
    );
    assert_eq!(late.outputs["action"], "noop", "{}", late.stdout);

    let dashboard = step(
        env,
        &[
            "dashboard",
            "--out",
            env.path().join("ENVIRONMENTS.md").to_str().unwrap(),
        ],
        None,
        &[],
    );
    assert_eq!(dashboard.outputs["changed"], "true");
    let dashboard = step(
        env,
        &[
            "dashboard",
            "--out",
            env.path().join("ENVIRONMENTS.md").to_str().unwrap(),
        ],
        None,
        &[],
    );
    assert_eq!(dashboard.outputs["changed"], "false");
}

#[test]
fn the_gitops_path_runs_on_the_local_backend() {
    gitops_path(&Env::local());
}

#[test]
fn the_gitops_path_runs_on_moto() {
    let Some((env, _)) = moto_env("idp-action") else {
        return;
    };
    gitops_path(&env);
}

#[test]
fn the_pull_request_comment_is_created_once_then_edited_through_a_mock_github() {
    use wiremock::matchers::{body_string_contains, header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(MockServer::start());
    let mut pr: Value = serde_json::from_slice(
        &fs_err::read(core_fixtures().join("pull_request.closed.merged.json")).unwrap(),
    )
    .unwrap();
    pr["action"] = json!("opened");
    pr["pull_request"]["merged"] = json!(false);
    pr["pull_request"]["merged_at"] = Value::Null;
    pr["pull_request"]["head"]["ref"] = json!("feature/comment-me");
    let number = pr["number"].as_u64().unwrap();
    let repo = pr["repository"]["full_name"].as_str().unwrap().to_owned();
    let payload = serde_json::to_vec(&pr).unwrap();
    let comments = format!("/repos/{repo}/issues/{number}/comments");
    let marker = "<!-- idp:preview:preview-comment-me -->";
    rt.block_on(async {
        Mock::given(method("GET")).and(path(comments.as_str())).and(header("authorization", "Bearer t0ken"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                {"id": 1, "body": "Preview environment looks great (a human's comment)", "html_url": "https://github.example/c/1"}
            ])))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET")).and(path(comments.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                {"id": 1, "body": "Preview environment looks great (a human's comment)", "html_url": "https://github.example/c/1"},
                {"id": 7, "body": format!("{marker}\nold"), "html_url": "https://github.example/c/7", "user": {"login": "github-actions[bot]", "type": "Bot"}}
            ])))
            .with_priority(2)
            .mount(&server)
            .await;
        // The Actions token cannot read `/user`: its comments are github-actions[bot]'s.
        Mock::given(method("GET")).and(path("/user"))
            .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": "Resource not accessible by integration"})))
            .mount(&server)
            .await;
        Mock::given(method("POST")).and(path(comments.as_str())).and(body_string_contains(marker))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 7, "body": marker, "html_url": "https://github.example/c/7"})))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("PATCH")).and(path(format!("/repos/{repo}/issues/comments/7"))).and(body_string_contains(marker))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 7, "body": marker, "html_url": "https://github.example/c/7"})))
            .expect(1)
            .mount(&server)
            .await;
    });

    let env = Env::local();
    let begun = step(
        &env,
        &["setup", "--begin", "--expect", "deploy"],
        Some(("pull_request", &payload)),
        &[],
    );
    assert_eq!(begun.outputs["status"], "provisioning", "{}", begun.stdout);
    let outputs = env.path().join("outputs.json");
    fs_err::write(&outputs, r#"{"endpoint": {"value": "https://preview-comment-me.preview.example.com", "type": "string", "sensitive": false}}"#).unwrap();
    let named = [("IDP_ENVIRONMENT", "preview-comment-me")];
    assert_eq!(
        step(
            &env,
            &["record", "--outputs", outputs.to_str().unwrap()],
            None,
            &named
        )
        .code,
        0
    );
    let github = [
        ("IDP_ENVIRONMENT", "preview-comment-me"),
        ("GITHUB_TOKEN", "t0ken"),
        ("GITHUB_API_URL", &server.uri()),
    ];
    let first = step(
        &env,
        &["comment", "--state", "created"],
        Some(("pull_request", &payload)),
        &github,
    );
    assert_eq!(first.code, 0, "{}", first.stdout);
    assert_eq!(first.outputs["comment_created"], "true", "{}", first.stdout);
    let second = step(
        &env,
        &["comment"],
        Some(("pull_request", &payload)),
        &github,
    );
    assert_eq!(
        second.outputs["comment_created"], "false",
        "the marked comment is edited, the human's is left alone: {}",
        second.stdout
    );
    rt.block_on(server.verify());
    let requests = rt.block_on(server.received_requests()).unwrap();
    let posted = requests
        .iter()
        .find(|r| r.method.as_str() == "POST")
        .unwrap();
    let body: Value = serde_json::from_slice(&posted.body).unwrap();
    let text = body["body"].as_str().unwrap();
    assert!(
        text.starts_with(marker) && text.contains("https://preview-comment-me.preview.example.com"),
        "{text}"
    );
}
