//! The `Executor` contract: commands run in order and the first failure ends the order, the
//! timeout ends it as timed out, dropping an execution stops it, output is capped and masked,
//! and `reap` stops what is left of an execution and is harmless on one that ended.
//!
//! The rules are written once against [`Commands`], which gives each adapter's command for a
//! behaviour (a shell line for the local executor, a scripted command for the memory one).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use idp_core::domain::orders::{OrderOutcome, RunId};
use idp_core::domain::redact::MASK;
use idp_core::ports::executor::{ExecHandle, ExecRequest, Executor};
use idp_core::secret::Secret;

/// Commands with a known behaviour on one adapter, and a look at what runs.
pub(crate) trait Commands: Send + Sync {
    /// Prints `text` (one line) and exits 0.
    fn prints(&self, text: &str) -> String;
    /// Prints `text` (one line) and exits with `code`.
    fn fails(&self, code: i32, text: &str) -> String;
    /// Prints the value of the variable `name` and exits 0.
    fn prints_var(&self, name: &str) -> String;
    /// Runs for a minute, printing nothing.
    fn hangs(&self) -> String;
    /// Whether the command behind `handle` still runs.
    fn is_running(&self, handle: &ExecHandle) -> bool;
}

fn request(cmds: Vec<String>) -> ExecRequest {
    ExecRequest {
        run_id: RunId::parse("conformance").expect("a run id"),
        order: "the-order".to_owned(),
        cmds,
        env: BTreeMap::new(),
        secrets: BTreeMap::new(),
        working_dir: std::env::temp_dir(),
        timeout: Duration::from_secs(30),
        output_cap: 64 * 1024,
    }
}

/// A `started` callback that keeps every handle.
fn recorder() -> (
    Arc<Mutex<Vec<ExecHandle>>>,
    impl Fn(ExecHandle) + Send + Sync,
) {
    let handles = Arc::new(Mutex::new(Vec::new()));
    let kept = handles.clone();
    (handles, move |h: ExecHandle| kept.lock().unwrap().push(h))
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    for _ in 0..250 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what} did not happen within 5 s");
}

pub(crate) async fn commands_run_in_order_and_success_is_exit_zero(
    executor: Arc<dyn Executor>,
    commands: Arc<dyn Commands>,
) {
    let (first, second) = (
        commands.prints("first line"),
        commands.prints("second line"),
    );
    let result = executor
        .execute(&request(vec![first.clone(), second.clone()]), &|_| {})
        .await
        .expect("execute");
    assert_eq!(result.outcome, OrderOutcome::Succeeded, "{result:?}");
    assert_eq!(result.exit_code, Some(0));
    let expected = format!("+ {first}\nfirst line\n+ {second}\nsecond line\n");
    assert_eq!(result.output, expected);
}

pub(crate) async fn the_first_failing_command_ends_the_order(
    executor: Arc<dyn Executor>,
    commands: Arc<dyn Commands>,
) {
    let never = commands.prints("never printed");
    let cmds = vec![
        commands.prints("before"),
        commands.fails(3, "it broke"),
        never.clone(),
    ];
    let result = executor
        .execute(&request(cmds), &|_| {})
        .await
        .expect("execute");
    assert_eq!(result.outcome, OrderOutcome::Failed, "{result:?}");
    assert_eq!(result.exit_code, Some(3));
    assert!(result.output.contains("it broke"), "{}", result.output);
    assert!(!result.output.contains(&never), "{}", result.output);
    assert!(
        !result.output.contains("never printed"),
        "{}",
        result.output
    );
}

pub(crate) async fn the_timeout_ends_the_order_as_timed_out(
    executor: Arc<dyn Executor>,
    commands: Arc<dyn Commands>,
) {
    let after = commands.prints("after the hang");
    let mut request = request(vec![commands.hangs(), after]);
    request.timeout = Duration::from_millis(500);
    let (handles, started) = recorder();
    let began = tokio::time::Instant::now();
    let result = executor.execute(&request, &started).await.expect("execute");
    assert_eq!(result.outcome, OrderOutcome::TimedOut, "{result:?}");
    assert_eq!(result.exit_code, None);
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "took {:?}",
        began.elapsed()
    );
    assert!(result.output.contains("timed out"), "{}", result.output);
    assert!(
        !result.output.contains("after the hang"),
        "{}",
        result.output
    );
    let handle = handles.lock().unwrap().first().cloned().expect("a handle");
    eventually("the timed out command stopping", || {
        !commands.is_running(&handle)
    })
    .await;
}

pub(crate) async fn dropping_an_execution_stops_it(
    executor: Arc<dyn Executor>,
    commands: Arc<dyn Commands>,
) {
    let request = request(vec![commands.hangs()]);
    let (handles, started) = recorder();
    let task = {
        let executor = executor.clone();
        tokio::spawn(async move { executor.execute(&request, &started).await })
    };
    eventually("the command starting", || {
        !handles.lock().unwrap().is_empty()
    })
    .await;
    let handle = handles.lock().unwrap()[0].clone();
    assert!(commands.is_running(&handle), "it runs until dropped");
    task.abort();
    let _ = task.await;
    eventually("the dropped command stopping", || {
        !commands.is_running(&handle)
    })
    .await;
}

pub(crate) async fn handles_name_the_target_and_differ_per_command(
    executor: Arc<dyn Executor>,
    commands: Arc<dyn Commands>,
) {
    let (handles, started) = recorder();
    let cmds = vec![commands.prints("one"), commands.prints("two")];
    let result = executor
        .execute(&request(cmds), &started)
        .await
        .expect("execute");
    assert_eq!(result.outcome, OrderOutcome::Succeeded);
    let handles = handles.lock().unwrap().clone();
    assert_eq!(handles.len(), 2, "one handle per command: {handles:?}");
    assert!(handles.iter().all(|h| h.target == executor.target()));
    assert_ne!(handles[0].id, handles[1].id);
}

pub(crate) async fn secret_values_are_masked_and_variables_reach_the_commands(
    executor: Arc<dyn Executor>,
    commands: Arc<dyn Commands>,
) {
    let secret = "hunter2-Zq9xW";
    let mut request = request(vec![
        commands.prints_var("TOKEN"),
        commands.prints_var("STAGE"),
        commands.prints_var("IDP_ORDER"),
    ]);
    request
        .secrets
        .insert("TOKEN".to_owned(), Secret::new(secret.to_owned()));
    request
        .env
        .insert("STAGE".to_owned(), "preview-stage".to_owned());
    let result = executor.execute(&request, &|_| {}).await.expect("execute");
    assert_eq!(result.outcome, OrderOutcome::Succeeded, "{result:?}");
    assert!(!result.output.contains(secret), "{}", result.output);
    assert!(!result.output.contains("hunter2"), "{}", result.output);
    assert!(
        result.output.contains(&format!("\n{MASK}\n")),
        "{}",
        result.output
    );
    assert!(
        result.output.contains("\npreview-stage\n"),
        "{}",
        result.output
    );
    assert!(result.output.contains("\nthe-order\n"), "{}", result.output);
}

pub(crate) async fn output_is_capped_to_its_end(
    executor: Arc<dyn Executor>,
    commands: Arc<dyn Commands>,
) {
    let long = format!("{}the-end", "x".repeat(5_000));
    let mut request = request(vec![commands.prints(&long)]);
    request.output_cap = 100;
    let result = executor.execute(&request, &|_| {}).await.expect("execute");
    assert!(result.output.len() <= 100, "{} bytes", result.output.len());
    assert!(result.output.ends_with("the-end\n"), "{}", result.output);
}

pub(crate) async fn reap_stops_an_execution_left_running(
    executor: Arc<dyn Executor>,
    commands: Arc<dyn Commands>,
) {
    let request = request(vec![commands.hangs()]);
    let (handles, started) = recorder();
    let task = {
        let executor = executor.clone();
        tokio::spawn(async move { executor.execute(&request, &started).await })
    };
    eventually("the command starting", || {
        !handles.lock().unwrap().is_empty()
    })
    .await;
    let handle = handles.lock().unwrap()[0].clone();
    assert!(
        executor.reap(&handle).await.expect("reap"),
        "it was running"
    );
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the reaped execution ends")
        .expect("task")
        .expect("execute");
    assert_ne!(result.outcome, OrderOutcome::Succeeded, "{result:?}");
    assert!(!commands.is_running(&handle));
}

pub(crate) async fn reap_of_an_ended_or_unknown_execution_is_harmless(
    executor: Arc<dyn Executor>,
    commands: Arc<dyn Commands>,
) {
    let (handles, started) = recorder();
    executor
        .execute(&request(vec![commands.prints("done")]), &started)
        .await
        .expect("execute");
    let handle = handles.lock().unwrap()[0].clone();
    assert!(!executor.reap(&handle).await.expect("reap of an ended one"));
    assert!(!executor.reap(&handle).await.expect("reap again"));
    let garbage = ExecHandle {
        target: executor.target(),
        id: "not-a-handle".to_owned(),
    };
    assert!(!executor.reap(&garbage).await.expect("reap of garbage"));
}
