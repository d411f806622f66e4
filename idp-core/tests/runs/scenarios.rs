//! The run scenarios, written once for every backend.

#![allow(
    clippy::print_stderr,
    reason = "the 1,000-order scenario reports its time"
)]

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use idp_core::domain::orders::{OrderStatus, RunStatus};
use idp_core::error::ErrorKind;
use idp_core::runs::{self, RunEventKind, RunId, RunOptions};
use idp_core::secret::Secret;

use crate::support::{Fixture, job};

fn statuses(summary: &idp_core::domain::orders::RunSummary) -> BTreeMap<String, OrderStatus> {
    summary
        .orders
        .iter()
        .map(|o| (o.name.clone(), o.status))
        .collect()
}

fn unique(prefix: &str) -> RunId {
    RunId::parse(&format!("{prefix}-{}", uuid::Uuid::new_v4().simple())).unwrap()
}

pub(crate) async fn a_single_order_runs_and_its_result_is_stored(f: &Fixture) {
    let job =
        job("orders:\n  - {name: hello, cmds: [\"echo hello from $IDP_ORDER\"], timeout: 30s}\n");
    let summary = runs::run(&f.platform, job, Some(unique("one")), f.options())
        .await
        .unwrap();
    assert_eq!(summary.status, RunStatus::Succeeded);
    let order = &summary.orders[0];
    assert_eq!(
        (order.status, order.exit_code),
        (OrderStatus::Succeeded, Some(0))
    );
    assert!(order.log_excerpt.contains("hello from hello"), "{order:?}");
    // What the store says is what the run returned.
    let stored = runs::status(&f.platform, &summary.run_id).await.unwrap();
    assert_eq!(stored, summary);
    let log = runs::logs(&f.platform, &summary.run_id, "hello")
        .await
        .unwrap();
    assert_eq!(log, "+ echo hello from $IDP_ORDER\nhello from hello\n");
    let missing = runs::logs(&f.platform, &summary.run_id, "nope")
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    let unknown = runs::status(&f.platform, &RunId::parse("no-such-run").unwrap())
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
}

pub(crate) async fn ten_orders_run_in_dependency_order(f: &Fixture) {
    let mut yaml = String::from("orders:\n");
    for i in 0..10 {
        let deps = match i {
            0 => String::new(),
            1..=3 => "o0".to_owned(),
            4..=8 => format!("o{}, o{}", 1 + i % 3, 1 + (i + 1) % 3),
            _ => (4..=8)
                .map(|d| format!("o{d}"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        yaml.push_str(&format!(
            "  - {{name: o{i}, cmds: [\"echo $IDP_ORDER >> trace\"], timeout: 30s, depends_on: [{deps}]}}\n"
        ));
    }
    let job = job(&yaml);
    let summary = runs::run(&f.platform, job.clone(), Some(unique("ten")), f.options())
        .await
        .unwrap();
    assert_eq!(summary.status, RunStatus::Succeeded, "{summary:?}");
    // Every order started only after each of its dependencies finished, by the event log.
    let events = runs::events(&f.platform, &summary.run_id).await.unwrap();
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (0..events.len() as u64).collect::<Vec<_>>(),
        "the log has no gap"
    );
    let at = |kind: RunEventKind, order: &str| {
        events
            .iter()
            .find(|e| e.kind == kind && e.order.as_deref() == Some(order))
            .map(|e| e.seq)
            .unwrap()
    };
    for order in &job.orders {
        for dep in &order.depends_on {
            assert!(
                at(RunEventKind::OrderFinished, dep) < at(RunEventKind::OrderStarted, &order.name)
            );
        }
    }
    let trace = fs_err::read_to_string(f.workdir.path().join("trace")).unwrap();
    assert_eq!(trace.lines().count(), 10);
}

pub(crate) async fn a_failing_branch_skips_its_dependents_and_an_optional_failure_does_not(
    f: &Fixture,
) {
    let job = job("orders:\n\
         \x20 - {name: top, cmds: [\"true\"], timeout: 30s}\n\
         \x20 - {name: left, cmds: [\"echo broken; exit 3\"], timeout: 30s, depends_on: [top]}\n\
         \x20 - {name: right, cmds: [\"true\"], timeout: 30s, depends_on: [top]}\n\
         \x20 - {name: join, cmds: [\"true\"], timeout: 30s, depends_on: [left, right]}\n\
         \x20 - {name: after-join, cmds: [\"true\"], timeout: 30s, depends_on: [join]}\n\
         \x20 - {name: lint, cmds: [\"exit 1\"], timeout: 30s, must_succeed: false}\n\
         \x20 - {name: docs, cmds: [\"true\"], timeout: 30s, depends_on: [lint]}\n");
    let summary = runs::run(&f.platform, job, Some(unique("diamond")), f.options())
        .await
        .unwrap();
    assert_eq!(summary.status, RunStatus::Failed);
    let s = statuses(&summary);
    use OrderStatus::*;
    assert_eq!(s["top"], Succeeded);
    assert_eq!(s["left"], Failed);
    assert_eq!(s["right"], Succeeded);
    assert_eq!(s["join"], Skipped);
    assert_eq!(s["after-join"], Skipped);
    assert_eq!(s["lint"], Failed);
    assert_eq!(
        s["docs"], Succeeded,
        "a failed optional order skips nothing"
    );
    let left = summary.orders.iter().find(|o| o.name == "left").unwrap();
    assert_eq!(left.exit_code, Some(3));
    assert!(left.log_excerpt.contains("broken"));
}

pub(crate) async fn a_hanging_order_is_killed_at_its_timeout_with_its_children(f: &Fixture) {
    let job = job(
        "orders:\n  - {name: hang, cmds: [\"sleep 300 & echo $! > child.pid; wait\"], timeout: 1s}\n  - {name: next, cmds: [\"true\"], timeout: 30s, depends_on: [hang]}\n",
    );
    let started = Instant::now();
    let summary = runs::run(&f.platform, job, Some(unique("hang")), f.options())
        .await
        .unwrap();
    // Far below the order's 300 s: it was killed at its 1 s timeout (the margin is for moto,
    // shared by every suite of a CI run).
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(summary.status, RunStatus::Failed);
    assert_eq!(statuses(&summary)["hang"], OrderStatus::TimedOut);
    assert_eq!(statuses(&summary)["next"], OrderStatus::Skipped);
    let pid = fs_err::read_to_string(f.workdir.path().join("child.pid")).unwrap();
    assert!(
        process_ends(pid.trim()).await,
        "the background `sleep` ({pid}) outlived its order"
    );
}

/// Whether process `pid` is gone (or only a zombie) within a few seconds.
async fn process_ends(pid: &str) -> bool {
    for _ in 0..50 {
        match fs_err::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(stat)
                if stat
                    .rsplit(')')
                    .next()
                    .is_some_and(|rest| rest.trim_start().starts_with('Z')) =>
            {
                return true;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    false
}

pub(crate) async fn the_job_timeout_ends_the_run(f: &Fixture) {
    let job = job(
        // Long enough for the quick order on a loaded machine (records on moto), far shorter
        // than the slow one.
        "timeout: 6s\norders:\n  - {name: quick, cmds: [\"true\"], timeout: 30s}\n  - {name: slow, cmds: [\"sleep 60 & echo $! > slow.pid; wait\"], timeout: 1m}\n  - {name: never, cmds: [\"true\"], timeout: 30s, depends_on: [slow]}\n",
    );
    let started = Instant::now();
    let summary = runs::run(&f.platform, job, Some(unique("jobtimeout")), f.options())
        .await
        .unwrap();
    // Well short of the slow order's 60 s, with room for a moto shared by every suite.
    assert!(
        started.elapsed() < Duration::from_secs(45),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(summary.status, RunStatus::TimedOut);
    let s = statuses(&summary);
    assert_eq!(s["quick"], OrderStatus::Succeeded);
    assert_eq!(s["slow"], OrderStatus::TimedOut);
    assert_eq!(s["never"], OrderStatus::Skipped);
    let pid = fs_err::read_to_string(f.workdir.path().join("slow.pid")).unwrap();
    assert!(
        process_ends(pid.trim()).await,
        "the slow order's process survived the job timeout"
    );
    assert_eq!(
        runs::status(&f.platform, &summary.run_id)
            .await
            .unwrap()
            .status,
        RunStatus::TimedOut
    );
}

pub(crate) async fn a_run_resumes_after_its_orchestrator_was_killed(f: &Fixture) {
    let job = job(
        "orders:\n  - {name: a, cmds: [\"echo a >> trace\"], timeout: 30s}\n  - {name: b, cmds: [\"sleep 3\", \"echo b >> trace\"], timeout: 30s, depends_on: [a]}\n  - {name: c, cmds: [\"echo c >> trace\"], timeout: 30s, depends_on: [b]}\n",
    );
    let run_id = unique("resume");
    let platform = f.platform.clone();
    let (id, options) = (run_id.clone(), f.options());
    let orchestrator =
        tokio::spawn(async move { runs::run(&platform, job, Some(id), options).await });
    // Wait until `a` ended and `b` is running, then kill the orchestrator.
    let mut seen = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(s) = runs::status(&f.platform, &run_id).await {
            let s = statuses(&s);
            if s["a"] == OrderStatus::Succeeded && s["b"] == OrderStatus::Running {
                seen = true;
                break;
            }
        }
    }
    assert!(seen, "the run never reached `b`");
    orchestrator.abort();
    assert!(orchestrator.await.unwrap_err().is_cancelled());
    let halfway = runs::status(&f.platform, &run_id).await.unwrap();
    assert_eq!(halfway.status, RunStatus::Running);
    // The lease of the killed orchestrator expires; the resumed one takes over.
    let summary = runs::resume(&f.platform, &run_id, f.options())
        .await
        .unwrap();
    assert_eq!(summary.status, RunStatus::Succeeded, "{summary:?}");
    let trace = fs_err::read_to_string(f.workdir.path().join("trace")).unwrap();
    assert_eq!(
        trace, "a\nb\nc\n",
        "`a` ran once, `b` was re-run, `c` ran after it"
    );
    let events = runs::events(&f.platform, &run_id).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == RunEventKind::OrderReaped && e.order.as_deref() == Some("b"))
    );
    assert!(events.iter().any(|e| e.kind == RunEventKind::OrderStarted
        && e.order.as_deref() == Some("b")
        && e.message.as_deref() == Some("attempt 2")));
    // Resuming a finished run only reads it back.
    assert_eq!(
        runs::resume(&f.platform, &run_id, f.options())
            .await
            .unwrap(),
        summary
    );
}

pub(crate) async fn secrets_never_reach_logs_results_or_events(f: &Fixture) {
    let secret = "s3cr3t-Value-4242";
    let job = job(
        "orders:\n  - name: leaky\n    cmds: [\"echo token=$TOKEN\", \"echo $TOKEN >&2\", \"printf '%s' \\\"$TOKEN\\\" | rev\", \"echo $TOKEN; exit 4\"]\n    timeout: 30s\n    secrets: [TOKEN]\n",
    );
    let mut options = f.options();
    options
        .secrets
        .insert("TOKEN".into(), Secret::new(secret.to_owned()));
    let summary = runs::run(&f.platform, job.clone(), Some(unique("secret")), options)
        .await
        .unwrap();
    let order = &summary.orders[0];
    assert_eq!(order.exit_code, Some(4));
    assert!(
        order.log_excerpt.contains("token=****"),
        "{}",
        order.log_excerpt
    );
    assert!(!format!("{summary:?}").contains(secret));
    for object in f
        .platform
        .backend
        .store
        .list_all(&format!("runs/{}/", summary.run_id))
        .await
        .unwrap()
    {
        let bytes = f
            .platform
            .backend
            .store
            .get(&object.key)
            .await
            .unwrap()
            .bytes;
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(secret), "`{}` holds the secret", object.key);
    }
    // A secret the runner does not supply is refused before anything runs.
    let refused = runs::run(&f.platform, job, None, f.options())
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert!(refused.to_string().contains("needs secret `TOKEN`"));
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, found);
        } else {
            found.push(path);
        }
    }
}

pub(crate) async fn sourced_secrets_are_sealed_masked_and_stored_nowhere_in_clear(f: &Fixture) {
    use std::sync::Arc;

    use idp_core::adapters::memory::MemorySecrets;

    let root = format!("/idp-e2e-{}/", uuid::Uuid::new_v4().simple());
    let sources = Arc::new(MemorySecrets::new());
    sources.put_parameter(&format!("{root}db-password"), "pa55-Param-7781");
    sources.put_parameter(&format!("{root}api/token"), "tok-Path-9931");
    let json = r#"{"db_user":"admin-Json-5512","port":"6543"}"#;
    sources.put_secret("prod/db-creds", json);
    let values = ["pa55-Param-7781", "tok-Path-9931", "admin-Json-5512", json];
    let mut platform = f.platform.clone();
    platform.backend = platform.backend.clone().with_secrets(sources);
    // The last command proves the process got the decrypted value without the job file
    // holding it (it compares the value reversed).
    let job = job(&format!(
        "orders:\n  - name: leaky\n    cmds: [\"echo db=$DB_PASSWORD token=$TOKEN user=$DB_USER port=$PORT\", \"printenv DB_PASSWORD >&2\", \"test \\\"$(printf %s \\\"$DB_PASSWORD\\\" | rev)\\\" = 1877-maraP-55ap\"]\n    timeout: 30s\n    ssm_paths: [{root}db-password, {root}api/]\n    secret_manager_paths: [prod/db-creds]\n"
    ));
    let run_id = unique("sourced");
    let summary = runs::run(&platform, job.clone(), Some(run_id.clone()), f.options())
        .await
        .unwrap();
    let order = &summary.orders[0];
    assert_eq!(
        (order.status, order.exit_code),
        (OrderStatus::Succeeded, Some(0)),
        "the child process saw the decrypted values: {}",
        order.log_excerpt
    );
    let log = runs::logs(&platform, &run_id, "leaky").await.unwrap();
    assert!(
        log.contains("db=**** token=**** user=**** port=****"),
        "{log}"
    );
    for value in values {
        assert!(!log.contains(value), "the log shows `{value}`");
        assert!(!format!("{summary:?}").contains(value));
    }
    // Every object of the state store, and on the local backend every file of its directory.
    let store = &platform.backend.store;
    let mut stored: Vec<(String, Vec<u8>)> = Vec::new();
    for object in store.list_all("").await.unwrap() {
        let bytes = store.get(&object.key).await.unwrap().bytes.to_vec();
        stored.push((object.key, bytes));
    }
    if let Some(dir) = f.state_dir() {
        let mut files = Vec::new();
        files_under(dir, &mut files);
        for file in files {
            stored.push((file.display().to_string(), std::fs::read(&file).unwrap()));
        }
    }
    let prefix = format!("runs/{run_id}/orders/1/");
    let manifest = stored
        .iter()
        .find(|(k, _)| *k == format!("{prefix}bundle.json"))
        .map(|(_, b)| serde_json::from_slice::<serde_json::Value>(b).unwrap())
        .expect("the bundle's manifest is stored with the run");
    assert_eq!(
        manifest["variables"],
        serde_json::json!(["DB_PASSWORD", "DB_USER", "PORT", "TOKEN"])
    );
    assert!(manifest["recipient"].as_str().unwrap().starts_with("age1"));
    let sealed = stored
        .iter()
        .find(|(k, _)| *k == format!("{prefix}bundle.age"))
        .expect("the bundle is stored with the run");
    assert!(sealed.1.starts_with(b"age-encryption.org/v1"));
    for (key, bytes) in &stored {
        for value in values {
            assert!(
                !bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                "`{key}` holds `{value}` in plain text"
            );
        }
        assert!(
            !String::from_utf8_lossy(bytes).contains("AGE-SECRET-KEY"),
            "`{key}` holds the run's key"
        );
    }
    // A missing parameter refuses the run before anything is recorded, naming it.
    let missing = job_with_missing(&root);
    let refused_id = unique("missing");
    let refused = runs::run(&platform, missing, Some(refused_id.clone()), f.options())
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert!(
        refused
            .to_string()
            .contains(&format!("SSM parameter `{root}gone` does not exist")),
        "{refused}"
    );
    assert!(runs::status(&platform, &refused_id).await.is_err());
}

fn job_with_missing(root: &str) -> idp_core::domain::orders::Job {
    job(&format!(
        "orders:\n  - name: needs\n    cmds: [\"true\"]\n    timeout: 30s\n    ssm_paths: [{root}gone]\n"
    ))
}

pub(crate) async fn two_orchestrators_never_drive_one_run(f: &Fixture) {
    let job = job("orders:\n  - {name: wait, cmds: [\"sleep 2\"], timeout: 30s}\n");
    let run_id = unique("dup");
    let (platform, id, options, first_job) =
        (f.platform.clone(), run_id.clone(), f.options(), job.clone());
    let first =
        tokio::spawn(async move { runs::run(&platform, first_job, Some(id), options).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = runs::run(&f.platform, job, Some(run_id.clone()), f.options())
        .await
        .unwrap_err();
    assert!(
        matches!(again.kind(), ErrorKind::LockHeld | ErrorKind::InvalidInput),
        "{again}"
    );
    let mut impatient = f.options();
    impatient.lease_wait = Duration::from_millis(100);
    let resumed = runs::resume(&f.platform, &run_id, impatient)
        .await
        .unwrap_err();
    assert_eq!(resumed.kind(), ErrorKind::LockHeld, "{resumed}");
    assert_eq!(first.await.unwrap().unwrap().status, RunStatus::Succeeded);
}

pub(crate) async fn a_thousand_orders_finish_with_bounded_concurrency(f: &Fixture) {
    let mut yaml = String::from("orders:\n");
    for i in 0..1000 {
        let deps = if i == 0 {
            String::new()
        } else {
            format!("o{}", (i - 1) / 2)
        };
        yaml.push_str(&format!(
            "  - {{name: o{i}, cmds: [\"true\"], timeout: 30s, depends_on: [{deps}]}}\n"
        ));
    }
    let job = job(&yaml);
    let options = RunOptions {
        max_parallel: 16,
        ..f.options()
    };
    let started = Instant::now();
    let summary = runs::run(&f.platform, job, Some(unique("thousand")), options)
        .await
        .unwrap();
    let took = started.elapsed();
    eprintln!("1,000 orders: {took:?}");
    assert_eq!(summary.status, RunStatus::Succeeded);
    assert_eq!(summary.count(OrderStatus::Succeeded), 1000);
    // Never more than 16 orders running at once, by the event log.
    let events = runs::events(&f.platform, &summary.run_id).await.unwrap();
    let mut running: HashMap<String, ()> = HashMap::new();
    let mut most = 0;
    for e in &events {
        match e.kind {
            RunEventKind::OrderStarted => {
                running.insert(e.order.clone().unwrap(), ());
            }
            RunEventKind::OrderFinished => {
                running.remove(e.order.as_deref().unwrap());
            }
            _ => {}
        }
        most = most.max(running.len());
    }
    assert!(most <= 16, "{most} orders ran at once");
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

/// Waits until order `name` of `run_id` is running.
async fn until_running(f: &Fixture, run_id: &RunId, name: &str) {
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(s) = runs::status(&f.platform, run_id).await
            && statuses(&s).get(name) == Some(&OrderStatus::Running)
        {
            return;
        }
    }
    panic!("`{name}` of run {run_id} never ran");
}

pub(crate) async fn a_cancelled_run_stops_whoever_drives_it(f: &Fixture) {
    let yaml = "orders:\n  - {name: slow, cmds: [\"sleep 20\"], timeout: 1m}\n  - {name: after, cmds: [\"echo never >> trace\"], timeout: 30s, depends_on: [slow]}\n";
    // Driven: the orchestrator reads the request back and ends the run within a poll.
    let run_id = unique("cancel");
    let (platform, id, options) = (f.platform.clone(), run_id.clone(), f.options());
    let job1 = job(yaml);
    let orchestrator =
        tokio::spawn(async move { runs::run(&platform, job1, Some(id), options).await });
    until_running(f, &run_id, "slow").await;
    let started = Instant::now();
    let report = runs::cancel(&f.platform, &run_id, "alice", f.options())
        .await
        .unwrap();
    assert_eq!(report.outcome, runs::CancelOutcome::Requested);
    let summary = orchestrator.await.unwrap().unwrap();
    // Well before the order's own 20 s: the cancel ended it (the margin is for moto).
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(summary.status, RunStatus::Cancelled, "{summary:?}");
    let s = statuses(&summary);
    assert_eq!(s["slow"], OrderStatus::Cancelled);
    assert_eq!(s["after"], OrderStatus::Skipped);
    assert_eq!(runs::status(&f.platform, &run_id).await.unwrap(), summary);
    let events = runs::events(&f.platform, &run_id).await.unwrap();
    assert!(events.iter().any(|e| e.kind == RunEventKind::RunCancelled
        && e.message.as_deref().is_some_and(|m| m.contains("`alice`"))));
    // Again: it had ended, nothing changes.
    let again = runs::cancel(&f.platform, &run_id, "bob", f.options())
        .await
        .unwrap();
    assert_eq!(again.outcome, runs::CancelOutcome::Finished);
    assert_eq!(again.summary, summary);

    // Nobody drives it (its orchestrator was killed): once the lease is gone, the cancel itself
    // stops what is left of the running order and ends the run.
    let run_id = unique("cancel");
    let (platform, id, options) = (f.platform.clone(), run_id.clone(), f.options());
    let job2 = job(yaml);
    let orchestrator =
        tokio::spawn(async move { runs::run(&platform, job2, Some(id), options).await });
    until_running(f, &run_id, "slow").await;
    orchestrator.abort();
    assert!(orchestrator.await.unwrap_err().is_cancelled());
    let mut report = runs::cancel(&f.platform, &run_id, "alice", f.options())
        .await
        .unwrap();
    for _ in 0..50 {
        if report.outcome != runs::CancelOutcome::Requested {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        report = runs::cancel(&f.platform, &run_id, "alice", f.options())
            .await
            .unwrap();
    }
    assert_eq!(report.outcome, runs::CancelOutcome::Cancelled, "{report:?}");
    assert_eq!(report.summary.status, RunStatus::Cancelled);
    assert_eq!(statuses(&report.summary)["after"], OrderStatus::Skipped);
    assert!(
        !f.workdir.path().join("trace").exists(),
        "`after` never ran"
    );
    // An unknown run is not found.
    let unknown = runs::cancel(&f.platform, &unique("nope"), "alice", f.options())
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::NotFound);
}
