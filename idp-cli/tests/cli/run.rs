//! `idp run`: the example job files, exit codes, JSON output, `status` and `logs`.

use super::{idp, run};

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

#[test]
fn the_example_pipeline_succeeds_and_can_be_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args([
        "run",
        "examples/runs/pipeline.yml",
        "--run-id",
        "pipeline-1",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for order in ["fmt", "init", "validate", "plan", "apply", "smoke-test"] {
        assert!(r.stdout.contains(order), "{}", r.stdout);
    }
    assert!(
        r.stdout
            .contains("run pipeline-1: succeeded (6 of 6 orders succeeded)"),
        "{}",
        r.stdout
    );

    let r = run(idp(dir.path()).args(["run", "status", "pipeline-1", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r.stdout);
    assert_eq!(v["run_id"], "pipeline-1");
    assert_eq!(v["status"], "succeeded");
    let orders = v["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 6);
    for order in orders {
        let keys: Vec<&str> = order
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["duration_ms", "exit_code", "log_excerpt", "name", "status"]
        );
        assert_eq!(order["status"], "succeeded");
        assert_eq!(order["exit_code"], 0);
    }

    let r = run(idp(dir.path()).args(["run", "logs", "pipeline-1", "plan"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("planning for preview"), "{}", r.stdout);
    assert!(r.stdout.contains("Plan: 3 to add"), "{}", r.stdout);
}

#[test]
fn a_failing_plan_exits_1_and_skips_what_depends_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["run", "examples/runs/failing.yml", "--output", "json"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r.stdout);
    assert_eq!(v["status"], "failed");
    let status = |name: &str| {
        v["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .map(|o| o["status"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(status("lint"), "failed");
    assert_eq!(status("init"), "succeeded");
    assert_eq!(status("plan"), "failed");
    assert_eq!(status("apply"), "skipped");
    assert_eq!(status("smoke-test"), "skipped");
}

#[test]
fn a_hanging_order_is_timed_out_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["run", "examples/runs/timeout.yml", "--watch"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("timed_out"), "{}", r.stdout);
    assert!(
        r.stderr.contains("order_started hangs"),
        "--watch prints events: {}",
        r.stderr
    );
}

#[test]
fn an_invalid_job_file_lists_every_problem_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yml");
    fs_err::write(
        &file,
        "orders:\n  - {name: a, cmds: [], timeout: 1m, depends_on: [c]}\n  - {name: b, cmds: [x], timeout: 0s, depends_on: [ghost]}\n  - {name: c, cmds: [x], timeout: 1m, depends_on: [a]}\n",
    )
    .unwrap();
    let r = run(idp(dir.path()).arg("run").arg(&file));
    assert_eq!(r.code, 2);
    let stderr = r.stderr.replace(&file.display().to_string(), "bad.yml");
    insta::assert_snapshot!(stderr, @r"
    bad.yml: order `a`: `cmds`: is empty: list at least one shell command
    bad.yml: order `b`: `timeout`: must be more than 0: write e.g. `90s`
    bad.yml: order `b`: `depends_on`: unknown order `ghost`: name an order of this job
    bad.yml: order `a`: `depends_on`: dependency cycle `a -> c -> a`: remove one of these dependencies
    bad.yml: 4 problem(s) found
    ");
}

#[test]
fn status_of_an_unknown_run_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(idp(dir.path()).args(["run", "status", "nope"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    let r = run(idp(dir.path()).arg("run"));
    assert_eq!(r.code, 2, "{}", r.stderr);
}
