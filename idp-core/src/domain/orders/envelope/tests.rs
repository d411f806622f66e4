//! The envelope's mapping, field by field, and its refusals.
//! Long because it holds a test or more per mapping rule and per refused field, beside the
//! helpers they share.

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn defaults() -> Defaults {
    Defaults {
        run_id: RunId::parse("r-default").unwrap(),
        trace_id: "t0000000".into(),
        default_target: Target::Local,
    }
}

/// An envelope with `job` encoded and the `extra` envelope fields.
fn body_with(job: &Value, extra: Value) -> Vec<u8> {
    let mut envelope = json!({ "job_parameters_b64": STANDARD.encode(job.to_string()) });
    if let (Value::Object(e), Value::Object(x)) = (&mut envelope, extra) {
        e.extend(x);
    }
    envelope.to_string().into_bytes()
}

fn body(job: &Value) -> Vec<u8> {
    body_with(job, json!({}))
}

fn accepted(body: &[u8]) -> Envelope {
    parse(body, &defaults()).unwrap_or_else(|r| panic!("refused: {:#?}", r.errors))
}

fn errors(body: &[u8]) -> Vec<String> {
    match parse(body, &defaults()) {
        Ok(e) => panic!("accepted: {e:?}"),
        Err(r) => r.errors,
    }
}

/// The errors of a job of one order with `fields` added to a valid one.
fn order_errors(fields: Value) -> Vec<String> {
    let mut order = json!({ "cmds": ["true"], "timeout": 60 });
    if let (Value::Object(o), Value::Object(f)) = (&mut order, fields) {
        o.extend(f);
    }
    errors(&body(&json!({ "username": "u", "orders": [order] })))
}

fn one_order(order: Value) -> Value {
    json!({ "username": "u", "orders": [order] })
}

#[test]
fn a_realistic_three_order_envelope_becomes_an_idp_job() {
    let job = json!({
        "username": "alice",
        "flow_label": "deploy",
        "git_repo": "acme/infra",
        "git_provider": "github",
        "pr_number": 42,
        "job_timeout": 1800,
        "presign_expiry": 7200,
        "orders": [
            {
                "order_name": "init",
                "queue_id": "q-init",
                "cmds": ["tofu init -input=false"],
                "timeout": 300,
                "execution_target": "codebuild",
                "git_folder": "infra/prod",
                "env_vars": { "TF_IN_AUTOMATION": 1, "TF_LOG": "warn", "CI": true }
            },
            {
                "order_name": "plan",
                "cmds": ["tofu plan -out=plan.bin", "tofu show plan.bin"],
                "timeout": 600,
                "dependencies": ["q-init"],
                "execution_target": "codebuild"
            },
            {
                "order_name": "notify",
                "cmds": ["echo planned"],
                "timeout": 60,
                "dependencies": ["plan", "init"],
                "must_succeed": false,
                "execution_target": "lambda"
            }
        ]
    });
    let env = accepted(&body_with(
        &job,
        json!({
            "trace_id": "a1b2c3d4",
            "run_id": "run-42",
            "done_endpt": "s3://acme-done/run-42/done",
            "credentials_token": "eyJhbGciOiJIUzI1NiJ9.e30.sig"
        }),
    ));
    assert_eq!(env.username, "alice");
    assert_eq!(env.run_id.as_str(), "run-42");
    assert_eq!(env.trace_id, "a1b2c3d4");
    assert_eq!(env.flow_label, "deploy");
    assert_eq!(env.flow_id, "alice:a1b2c3d4-deploy");
    assert_eq!(
        env.done_endpt.as_deref(),
        Some("s3://acme-done/run-42/done")
    );
    assert_eq!(
        env.credentials_token.as_ref().map(|t| t.expose().as_str()),
        Some("eyJhbGciOiJIUzI1NiJ9.e30.sig")
    );
    let pr = env.pr.as_ref().unwrap();
    assert_eq!((pr.repo.as_str(), pr.number), ("acme/infra", 42));
    assert_eq!(env.job.timeout, Duration::from_secs(1800));
    let names: Vec<&str> = env.job.orders.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["init", "plan", "notify"]);
    let [init, plan, notify] = &env.job.orders[..] else {
        panic!("three orders")
    };
    assert_eq!(init.target, Target::Codebuild);
    assert_eq!(init.timeout, Duration::from_secs(300));
    assert_eq!(init.working_dir.as_deref(), Some("infra/prod"));
    let vars: Vec<(&str, &str)> = init
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        vars,
        [
            ("CI", "true"),
            ("TF_IN_AUTOMATION", "1"),
            ("TF_LOG", "warn")
        ]
    );
    assert_eq!(plan.cmds.len(), 2);
    assert_eq!(plan.depends_on, ["init"]);
    assert_eq!(notify.depends_on, ["plan", "init"]);
    assert!(!notify.must_succeed && plan.must_succeed);
    assert_eq!(notify.target, Target::Lambda);
    assert!(init.secrets.is_empty());
}

#[test]
fn defaults_number_the_orders_and_fill_the_ids() {
    let job = json!({
        "username": "bob",
        "orders": [
            { "cmds": ["make"], "timeout": 10 },
            { "cmds": ["make test"], "timeout": 10, "dependencies": ["0001"] },
            { "cmds": ["make dist"], "timeout": 10, "dependencies": ["order-0002", "0001"] }
        ]
    });
    let d = Defaults {
        default_target: Target::Ecs,
        ..defaults()
    };
    let env = parse(&body(&job), &d).unwrap();
    let names: Vec<&str> = env.job.orders.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["order-0001", "order-0002", "order-0003"]);
    assert_eq!(env.job.orders[1].depends_on, ["order-0001"]);
    assert_eq!(env.job.orders[2].depends_on, ["order-0002", "order-0001"]);
    assert!(env.job.orders.iter().all(|o| o.target == Target::Ecs));
    assert!(env.job.orders.iter().all(|o| o.must_succeed));
    assert_eq!(env.run_id, d.run_id);
    assert_eq!(env.trace_id, "t0000000");
    assert_eq!(env.flow_label, "exec");
    assert_eq!(env.flow_id, "bob:t0000000-exec");
    assert_eq!(env.job.timeout, Duration::from_secs(3600));
    assert_eq!((env.done_endpt, env.pr), (None, None));
    assert!(env.credentials_token.is_none());
}

#[test]
fn a_dependency_matches_a_queue_id_or_an_order_name() {
    let job = json!({
        "username": "u",
        "orders": [
            { "order_name": "build", "queue_id": "b", "cmds": ["x"], "timeout": 5 },
            { "order_name": "test", "queue_id": 7, "cmds": ["x"], "timeout": 5, "dependencies": ["b"] },
            { "cmds": ["x"], "timeout": 5, "dependencies": ["build", "7", "test"] }
        ]
    });
    let env = accepted(&body(&job));
    assert_eq!(env.job.orders[1].depends_on, ["build"]);
    // `7` and `test` name the same order: it is listed once.
    assert_eq!(env.job.orders[2].depends_on, ["build", "test"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let job = json!({
        "orders": [
            { "cmds": ["x"], "timeout": 0 },
            { "cmds": [], "timeout": 30, "execution_target": "ssm" },
            { "cmds": ["x", " "], "timeout": 30, "dependencies": ["bulid"], "order_name": "build", "colour": "red" }
        ],
        "job_timeout": -5,
        "issue_number": 3
    });
    let r = parse(
        &body_with(&job, json!({ "trace_id": "not valid!", "extra": 1 })),
        &defaults(),
    )
    .unwrap_err();
    assert_eq!(
        r.errors,
        [
            "trace_id: `not valid!` is not valid: use 1 to 64 of `A-Z a-z 0-9 _ -`, or leave it out for a new one",
            "extra: is not a field of the envelope: remove it",
            "username: is required: the name of who runs the job (it starts `flow_id`)",
            "job_timeout: must be a whole number of seconds > 0, not `-5`",
            "issue_number: is not supported: idp comments on pull requests only: send `pr_number` with `git_repo`, or remove this field",
            "orders[0].timeout: must be a whole number of seconds > 0, not `0`",
            "orders[1].cmds: is empty: list at least one shell command",
            "orders[1].execution_target: `ssm` is not supported: idp runs no SSM Run Command: use `execution_target` `local`, `codebuild`, `lambda` or `ecs`",
            "orders[2].cmds[1]: is blank: remove it or write a command",
            "orders[2].dependencies: `bulid` names no order (by order_name or queue_id) (did you mean `build`?): use another order's `order_name` or `queue_id`",
            "orders[2].colour: is not a field of an order: remove it",
        ]
    );
    assert_eq!(
        (r.run_id.as_str(), r.trace_id.as_str()),
        ("r-default", "t0000000")
    );
}

#[test]
fn a_dangling_dependency_is_an_error() {
    let job = json!({ "username": "u", "orders": [
        { "cmds": ["x"], "timeout": 5 },
        { "cmds": ["x"], "timeout": 5, "dependencies": ["deploy"] }
    ]});
    assert_eq!(
        errors(&body(&job)),
        [
            "orders[1].dependencies: `deploy` names no order (by order_name or queue_id): use another order's `order_name` or `queue_id`"
        ]
    );
}

#[test]
fn duplicate_names_and_queue_ids_are_errors_and_make_a_dependency_ambiguous() {
    let job = json!({ "username": "u", "orders": [
        { "order_name": "a", "queue_id": "q", "cmds": ["x"], "timeout": 5 },
        { "order_name": "a", "queue_id": "q", "cmds": ["x"], "timeout": 5 },
        { "order_name": "order-0004", "cmds": ["x"], "timeout": 5, "queue_id": "0004" },
        { "cmds": ["x"], "timeout": 5, "dependencies": ["a"] }
    ]});
    assert_eq!(
        errors(&body(&job)),
        [
            "orders[1].order_name: `a` is also the name of orders[0]: give each order its own `order_name`",
            "orders[1].queue_id: `q` is also the queue_id of orders[0]: give each order its own `queue_id`",
            "orders[3].order_name: `order-0004` (the default name) is also the name of orders[2]: give each order its own `order_name`",
            "orders[3].queue_id: `0004` (the default queue_id: the order number) is also the queue_id of orders[2]: give each order its own `queue_id`",
            "orders[3].dependencies: `a` matches more than one order (orders[0] by order_name, orders[1] by order_name): give each order an `order_name` and a `queue_id` no other order uses",
        ]
    );
    let job = json!({ "username": "u", "orders": [
        { "order_name": "x", "cmds": ["x"], "timeout": 5 },
        { "queue_id": "x", "cmds": ["x"], "timeout": 5 },
        { "cmds": ["x"], "timeout": 5, "dependencies": ["x"] }
    ]});
    assert_eq!(
        errors(&body(&job)),
        [
            "orders[2].dependencies: `x` matches more than one order (orders[0] by order_name, orders[1] by queue_id): give each order an `order_name` and a `queue_id` no other order uses"
        ]
    );
}

#[test]
fn a_cycle_is_reported_as_the_path_that_closes_it() {
    let job = json!({ "username": "u", "orders": [
        { "order_name": "a", "cmds": ["x"], "timeout": 5, "dependencies": ["0002"] },
        { "order_name": "b", "cmds": ["x"], "timeout": 5, "dependencies": ["a"] },
        { "order_name": "c", "cmds": ["x"], "timeout": 5, "dependencies": ["c", "nope"] }
    ]});
    assert_eq!(
        errors(&body(&job)),
        [
            "orders[2].dependencies: `nope` names no order (by order_name or queue_id): use another order's `order_name` or `queue_id`",
            "orders[0].dependencies: dependency cycle `a -> b -> a`: remove one of these dependencies",
            "orders[2].dependencies: dependency cycle `c -> c`: remove one of these dependencies",
        ]
    );
}

#[test]
fn job_timeout_is_the_enforced_job_timeout_and_is_bounded() {
    let job = |t: Value| json!({ "username": "u", "job_timeout": t, "orders": [{ "cmds": ["x"], "timeout": 5 }] });
    let env = accepted(&body(&job(json!(90))));
    assert_eq!(env.job.timeout, Duration::from_secs(90));
    let max = MAX_JOB_TIMEOUT.as_secs();
    assert_eq!(
        accepted(&body(&job(json!(max)))).job.timeout,
        MAX_JOB_TIMEOUT
    );
    assert_eq!(
        errors(&body(&job(json!(max + 1)))),
        ["job_timeout: 604801 s is above the limit of 604800 s (7 days): split the job"]
    );
    for bad in [json!(0), json!("1h"), json!(1.5), json!(u64::MAX)] {
        let found = errors(&body(&job(bad.clone())));
        assert!(
            found.len() == 1 && found[0].starts_with("job_timeout: "),
            "{bad}: {found:?}"
        );
    }
}

#[test]
fn presign_expiry_must_outlast_the_longest_order_and_does_nothing_else() {
    let job = |presign: Option<u64>, timeout: u64| {
        let mut job = json!({ "username": "u", "orders": [
            { "cmds": ["x"], "timeout": 10 },
            { "cmds": ["x"], "timeout": timeout, "execution_target": "codebuild" }
        ]});
        if let (Some(p), Value::Object(o)) = (presign, &mut job) {
            o.insert("presign_expiry".into(), p.into());
        }
        job
    };
    assert_eq!(
        errors(&body(&job(Some(600), 400))),
        [
            "presign_expiry: 600 s is less than the longest order timeout (400 s, orders[1]) + 300 s: set `presign_expiry` to at least 700 (it has no other effect in idp)"
        ]
    );
    assert_eq!(
        errors(&body(&job(None, 7000))),
        [
            "presign_expiry: the default of 7200 s is less than the longest order timeout (7000 s, orders[1]) + 300 s: set `presign_expiry` to at least 7300 (it has no other effect in idp)"
        ]
    );
    let env = accepted(&body(&job(Some(700), 400)));
    assert_eq!(env, accepted(&body(&job(Some(99_999), 400))));
    accepted(&body(&job(None, 6900)));
}

#[test]
fn fields_idp_cannot_honour_are_refused_with_what_it_does_instead() {
    let job_level = [
        (
            "git_token_location",
            json!("aws:::ssm:/gh/token"),
            "idp clones no repository",
        ),
        (
            "git_ssh_key_location",
            json!("aws:::ssm:/gh/key"),
            "idp clones no repository",
        ),
        ("commit_hash", json!("abc123"), "idp clones no repository"),
        (
            "issue_number",
            json!(7),
            "idp comments on pull requests only",
        ),
        (
            "git_provider",
            json!("gitlab"),
            "`gitlab` is not supported: idp works with `github` only",
        ),
    ];
    for (key, value, says) in job_level {
        let mut job = one_order(json!({ "cmds": ["x"], "timeout": 5 }));
        if let Value::Object(o) = &mut job {
            o.insert(key.into(), value);
        }
        let found = errors(&body(&job));
        assert!(
            found.len() == 1
                && found[0].starts_with(&format!("{key}: "))
                && found[0].contains(says),
            "{key}: {found:?}"
        );
    }
    let order_level = [
        ("git_repo", json!("acme/app"), "put the checkout there"),
        ("commit_hash", json!("abc123"), "idp clones no repository"),
        (
            "s3_location",
            json!("s3://b/code.zip"),
            "idp unpacks no bundle",
        ),
        ("sops_key", json!("age1xyz"), "idp does not use SOPS"),
        (
            "ssm_targets",
            json!({ "instance_ids": ["i-1"] }),
            "idp runs no SSM Run Command",
        ),
        (
            "ssm_document_name",
            json!("doc"),
            "idp runs no SSM Run Command",
        ),
        (
            "execution_target",
            json!("ssm"),
            "idp runs no SSM Run Command",
        ),
    ];
    for (key, value, says) in order_level {
        let found = order_errors(json!({ key: value }));
        assert!(
            found.len() == 1
                && found[0].starts_with(&format!("orders[0].{key}: "))
                && found[0].contains(says),
            "{key}: {found:?}"
        );
    }
    // A client that sends its defaults explicitly asks for none of it.
    let job = json!({
        "username": "u", "git_repo": "", "git_token_location": "", "git_ssh_key_location": null,
        "commit_hash": null, "git_provider": "github", "issue_number": null, "pr_number": null,
        "orders": [{ "cmds": ["x"], "timeout": 5, "s3_location": null, "ssm_paths": [],
                     "secret_manager_paths": [], "sops_key": "", "ssm_targets": {}, "git_repo": "" }]
    });
    assert_eq!(accepted(&body(&job)).pr, None);
}

#[test]
fn execution_targets_map_onto_idp_targets_with_their_limits() {
    for (name, target) in [
        ("local", Target::Local),
        ("codebuild", Target::Codebuild),
        ("lambda", Target::Lambda),
        ("ecs", Target::Ecs),
    ] {
        let env = accepted(&body(&one_order(
            json!({ "cmds": ["x"], "timeout": 5, "execution_target": name }),
        )));
        assert_eq!(env.job.orders[0].target, target);
    }
    assert_eq!(
        order_errors(json!({ "execution_target": "k8s" })),
        [
            "orders[0].execution_target: `k8s` is not a target of idp: use `local`, `codebuild`, `lambda` or `ecs`, or leave it out for `local`"
        ]
    );
    assert_eq!(
        order_errors(json!({ "execution_target": "lambda", "timeout": 1200 })),
        [
            "orders[0].timeout: `20m` is above the `lambda` limit of 15m: lower it or use another target"
        ]
    );
}

#[test]
fn order_fields_are_checked_with_idp_rules() {
    assert_eq!(
        order_errors(json!({ "order_name": "../x" })),
        ["orders[0].order_name: use 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with `.` or `-`"]
    );
    assert_eq!(
        order_errors(json!({ "env_vars": { "1X": "y", "OK": [1], "FINE": null } })),
        [
            "orders[0].env_vars.FINE: must be a string, number or boolean, not null",
            "orders[0].env_vars.OK: must be a string, number or boolean, not a list",
            "orders[0].env_vars: `1X` is not a variable name: use `[A-Za-z_][A-Za-z0-9_]*`",
        ]
    );
    for (dir, says) in [
        ("/etc", "is absolute"),
        ("a/../../b", "leaves the server's working directory"),
        ("", "is blank"),
        ("C:\\x", "is absolute"),
    ] {
        let found = order_errors(json!({ "git_folder": dir }));
        assert!(
            found.len() == 1 && found[0].contains(says),
            "{dir}: {found:?}"
        );
    }
    assert_eq!(
        order_errors(json!({ "cmds": "make", "timeout": "60", "must_succeed": "yes" })),
        [
            "orders[0].cmds: must be a list of strings, not the string `make`",
            "orders[0].timeout: must be a whole number of seconds > 0, not the string `60`",
            "orders[0].must_succeed: must be `true` or `false`, not the string `yes`",
        ]
    );
    assert_eq!(
        errors(&body(
            &json!({ "username": "u", "orders": [{ "timeout": 5 }, 3] })
        )),
        [
            "orders[1]: must be an object with `cmds` and `timeout`, not `3`",
            "orders[0].cmds: is required: list the shell commands to run",
        ]
    );
}

#[test]
fn unknown_keys_are_named_with_the_field_meant() {
    assert_eq!(
        order_errors(json!({ "depends_on": ["a"], "cmd": ["x"] })),
        [
            "orders[0].cmd: is not a field of an order (did you mean `cmds`?): remove it",
            "orders[0].depends_on: is not a field of an order (did you mean `dependencies`?): remove it",
        ]
    );
    let mut job = one_order(json!({ "cmds": ["x"], "timeout": 5 }));
    if let Value::Object(o) = &mut job {
        o.insert("usename".into(), json!("u"));
        o.insert("timeout".into(), json!(60));
    }
    assert_eq!(
        errors(&body_with(&job, json!({ "username": "u", "trace": "x" }))),
        [
            "trace: is not a field of the envelope (did you mean `trace_id`?): remove it",
            "username: is a field of the job, not of the envelope: put it in the JSON that `job_parameters_b64` encodes",
            "timeout: is not a field of the job (did you mean `job_timeout`?): remove it",
            "usename: is not a field of the job (did you mean `username`?): remove it",
        ]
    );
}

#[test]
fn git_repo_with_pr_number_says_where_the_comment_goes() {
    let job = |extra: Value| {
        let mut job = one_order(json!({ "cmds": ["x"], "timeout": 5 }));
        if let (Value::Object(o), Value::Object(x)) = (&mut job, extra) {
            o.extend(x);
        }
        body(&job)
    };
    assert_eq!(accepted(&job(json!({ "git_repo": "acme/app" }))).pr, None);
    assert_eq!(
        errors(&job(json!({ "pr_number": 5 }))),
        ["pr_number: 5 needs `git_repo` (`owner/name`), the repository of the pull request"]
    );
    assert_eq!(
        errors(&job(json!({ "git_repo": "not a repo", "pr_number": 0 }))),
        [
            "git_repo: `not a repo` is not a repository: write `owner/name`, e.g. `acme/idp`",
            "pr_number: must be a whole number > 0, not `0`",
        ]
    );
}

#[test]
fn the_job_must_be_base64_of_utf8_json() {
    let job = one_order(json!({ "cmds": ["x"], "timeout": 5 }));
    let unpadded = STANDARD_NO_PAD.encode(format!("{job} "));
    let wrapped = format!("{}\n{}", &unpadded[..10], &unpadded[10..]);
    for b64 in [unpadded, wrapped] {
        accepted(json!({ "job_parameters_b64": b64 }).to_string().as_bytes());
    }
    let envelope = |b64: String| {
        json!({ "job_parameters_b64": b64 })
            .to_string()
            .into_bytes()
    };
    let says = |b64: String| errors(&envelope(b64)).join("\n");
    assert!(says("%%%".into()).starts_with("job_parameters_b64: is not base64"));
    assert_eq!(
        says(STANDARD.encode(b"{\"username\": \"caf\xe9\"}")),
        "job_parameters_b64: the decoded job is not UTF-8 text (byte 0xe9) at line 1, column 18: encode the job's JSON as UTF-8, then as base64"
    );
    assert!(
        says(STANDARD.encode("username: u"))
            .starts_with("job_parameters_b64: the decoded job is not JSON: ")
    );
    assert_eq!(
        says(STANDARD.encode("[1]")),
        "job_parameters_b64: the decoded job must be a JSON object with `username` and `orders`, not a list"
    );
    assert_eq!(
        errors(b"{}"),
        ["job_parameters_b64: is required: the base64 of the job's JSON"]
    );
    assert!(errors(b"\xff{").join("").starts_with("body: is not JSON"));
    assert_eq!(
        errors(b"[]"),
        ["body: must be a JSON object with `job_parameters_b64`, not a list"]
    );
}

#[test]
fn a_missing_username_is_an_error_not_a_crash() {
    let job = json!({ "orders": [{ "cmds": ["x"], "timeout": 5 }] });
    assert_eq!(
        errors(&body(&job)),
        ["username: is required: the name of who runs the job (it starts `flow_id`)"]
    );
    let job = json!({ "username": " \n", "orders": [{ "cmds": ["x"], "timeout": 5 }] });
    assert_eq!(errors(&body(&job)), ["username: is blank: give a name"]);
}

#[test]
fn run_ids_are_kept_as_sent_when_valid_and_lose_their_dashes_when_that_makes_them_valid() {
    let job = one_order(json!({ "cmds": ["x"], "timeout": 5 }));
    let uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let env = accepted(&body_with(&job, json!({ "run_id": uuid })));
    assert_eq!(env.run_id.as_str(), uuid);
    let env = accepted(&body_with(&job, json!({ "run_id": "-run-7" })));
    assert_eq!(env.run_id.as_str(), "run7");
    let r = parse(
        &body_with(&job, json!({ "run_id": "../x", "trace_id": "abc" })),
        &defaults(),
    )
    .unwrap_err();
    assert_eq!(
        r.errors,
        [
            "run_id: run id `../x` is not valid: use 1 to 64 letters, digits, `-` or `_`, starting with a letter or digit; or leave it out for a new one"
        ]
    );
    assert_eq!(
        (r.run_id.as_str(), r.trace_id.as_str()),
        ("r-default", "abc")
    );
    let r = parse(
        &body_with(&json!({}), json!({ "run_id": "r-9" })),
        &defaults(),
    )
    .unwrap_err();
    assert_eq!(r.run_id, "r-9");
    assert_eq!(
        serde_json::to_value(&r).unwrap()["run_id"],
        json!("r-9"),
        "serializes in the runner's shape"
    );
}

#[test]
fn secrets_are_added_to_every_order_and_win_over_env_vars() {
    let job = json!({ "username": "u", "orders": [
        { "cmds": ["x"], "timeout": 5, "env_vars": { "AWS_ACCESS_KEY_ID": "stale", "KEEP": 1 } },
        { "cmds": ["x"], "timeout": 5 }
    ]});
    let mut env = accepted(&body(&job));
    let names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "not a name"].map(String::from);
    env.add_secrets(&names);
    env.add_secrets(&names);
    for order in &env.job.orders {
        assert_eq!(
            order.secrets,
            ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        );
        assert!(!order.env.contains_key("AWS_ACCESS_KEY_ID"));
    }
    assert!(env.job.orders[0].env.contains_key("KEEP"));
    let again = Job::from_json(&env.job.to_json(), "job.json").unwrap();
    assert_eq!(again, env.job, "the job stays valid");
}

#[test]
fn the_credentials_token_is_never_debug_printed() {
    let job = one_order(json!({ "cmds": ["x"], "timeout": 5 }));
    let env = accepted(&body_with(
        &job,
        json!({ "credentials_token": "hunter2.jwt" }),
    ));
    assert!(!format!("{env:?}").contains("hunter2"));
    let found = errors(&body_with(
        &json!({}),
        json!({ "credentials_token": "hunter2.jwt" }),
    ));
    assert!(!found.join("").contains("hunter2"), "{found:?}");
}

#[test]
fn a_problem_is_always_one_line() {
    let found =
        order_errors(json!({ "order_name": "a\nb", "dependencies": ["x\ny"], "bad\nkey": 1 }));
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(found.iter().all(|l| !l.contains('\n')), "{found:?}");
}

/// Any JSON value, with strings and keys drawn partly from the envelope's own names.
fn any_json() -> impl Strategy<Value = Value> {
    let words = prop_oneof![
        proptest::sample::select(ORDER_KEYS.to_vec()).prop_map(str::to_owned),
        proptest::sample::select(vec![
            "a",
            "0001",
            "order-0002",
            "ssm",
            "lambda",
            "acme/x",
            "..",
            ""
        ])
        .prop_map(str::to_owned),
        "\\PC{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        words.clone().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(words.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A job shaped like a real one: known job keys, and orders of known order keys.
fn any_job() -> impl Strategy<Value = Value> {
    let order = proptest::collection::btree_map(
        proptest::sample::select(ORDER_KEYS.to_vec()).prop_map(str::to_owned),
        any_json(),
        0..10,
    );
    (
        proptest::collection::btree_map(
            proptest::sample::select(JOB_KEYS.to_vec()).prop_map(str::to_owned),
            any_json(),
            0..8,
        ),
        proptest::collection::vec(order, 0..5),
    )
        .prop_map(|(mut job, orders)| {
            let orders = orders
                .into_iter()
                .map(|o| Value::Object(o.into_iter().collect()))
                .collect();
            job.insert("orders".into(), Value::Array(orders));
            Value::Object(job.into_iter().collect())
        })
}

proptest! {
    /// Whatever bytes arrive, parsing never panics.
    #[test]
    fn any_bytes_are_parsed_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse(&bytes, &defaults());
    }

    /// Any JSON, as the envelope or as its job, is parsed or refused, never panics; a refusal
    /// always says why, one line per problem.
    #[test]
    fn any_json_is_parsed_or_refused(envelope in any_json(), job in any_job(), raw in any_json()) {
        let _ = parse(envelope.to_string().as_bytes(), &defaults());
        for job in [job, raw] {
            if let Err(r) = parse(&body(&job), &defaults()) {
                prop_assert!(!r.errors.is_empty());
                prop_assert!(r.errors.iter().all(|l| !l.contains('\n') && l.contains(": ")), "{:?}", r.errors);
            }
        }
    }
}

#[test]
fn ssm_and_secret_manager_paths_become_the_orders_sources() {
    let job = one_order(json!({
        "cmds": ["x"], "timeout": 5,
        "ssm_paths": ["/app/prod/db-password", "/app/prod/api/"],
        "secret_manager_paths": ["prod/db-creds", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/x-AbCdEf"],
    }));
    let order = &accepted(&body(&job)).job.orders[0];
    assert_eq!(order.ssm_paths, ["/app/prod/db-password", "/app/prod/api/"]);
    assert_eq!(order.secret_manager_paths.len(), 2);
    let again = Job::from_json(&accepted(&body(&job)).job.to_json(), "job.json").unwrap();
    assert_eq!(&again.orders[0], order);
}

#[test]
fn bad_source_entries_name_the_entry_and_the_fix() {
    let found = order_errors(json!({
        "ssm_paths": ["app/", "/app/9lives", 7, "/app/a", "/app/a"],
        "secret_manager_paths": "prod/db",
        "env_vars": { "PORT": 1 },
    }));
    insta::assert_snapshot!(found.join("\n"), @r"
    orders[0].ssm_paths[0]: `app/` is a path (it ends with `/`) but does not start with `/`: write `/app/`
    orders[0].ssm_paths[1]: `/app/9lives` cannot become a variable name: `9LIVES` starts with a digit; rename it or read it in a command
    orders[0].ssm_paths[2]: must be a string, not `7`
    orders[0].ssm_paths[4]: `/app/a` is listed twice: list it once
    orders[0].secret_manager_paths: must be a list of secret names or ARNs, not the string `prod/db`
    ");
    let found = order_errors(json!({
        "ssm_paths": ["/app/port"],
        "env_vars": { "PORT": 1 },
    }));
    insta::assert_snapshot!(found.join("\n"), @"orders[0].ssm_paths: `PORT` would be set by both `env_vars` and SSM parameter `/app/port`: list only one of them, or rename one");
}
