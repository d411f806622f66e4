//! The local process runtime, end to end with the real example app (`examples/app/server.py`,
//! Python 3 standard library only) and with small shell commands that misbehave on purpose.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::DateTime;
use idp_core::adapters::local::{LocalLogs, LocalRuntime, LocalRuntimeConfig};
use idp_core::ports::{
    LogQuery, LogSource, Outputs, ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth,
};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{group_alive, request};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn runtime(state: &TempDir) -> LocalRuntime {
    let mut config = LocalRuntimeConfig::new(state.path());
    config.working_dir = repo_root();
    LocalRuntime::new(config)
}

fn app(env: &str) -> ProvisionRequest {
    let mut request = request(env);
    request.local_command = Some("python3 examples/app/server.py".to_owned());
    request.health_check_path = "/health".to_owned();
    request
}

fn pid_of(outputs: &Outputs) -> u32 {
    let pid = outputs
        .get("pid")
        .and_then(serde_json::Value::as_u64)
        .unwrap();
    u32::try_from(pid).unwrap()
}

/// A plain HTTP/1.1 GET; the status code and body, or `None` if nothing answers.
async fn get(url: &str) -> Option<(u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = tokio::net::TcpStream::connect(host).await.ok()?;
    let head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let code = response.get(9..12)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((code, body))
}

#[tokio::test]
async fn the_example_app_is_started_redeployed_and_destroyed() {
    let state = tempfile::tempdir().unwrap();
    let runtime = runtime(&state);
    let request = app("preview-demo");

    let started = Instant::now();
    let outputs = runtime.apply(&request).await.unwrap();
    let healthy_after = started.elapsed();
    #[allow(
        clippy::print_stderr,
        reason = "the measurement is read from the test output"
    )]
    {
        eprintln!("example app: apply -> healthy in {healthy_after:?}");
    }
    let endpoint = outputs.endpoint().unwrap().to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let (code, body) = get(&format!("{endpoint}/")).await.unwrap();
    assert_eq!(code, 200);
    assert!(body.contains("preview-demo"), "{body}");
    let first_pid = pid_of(&outputs);
    assert_eq!(
        runtime.health(&request).await.unwrap(),
        RuntimeHealth::Running {
            pid: Some(first_pid)
        }
    );
    assert_eq!(runtime.outputs(&request).await.unwrap(), outputs);

    // A redeploy replaces the process and keeps answering, on the same port when it is free.
    let started = Instant::now();
    let again = runtime.apply(&request).await.unwrap();
    let redeployed_after = started.elapsed();
    #[allow(
        clippy::print_stderr,
        reason = "the measurement is read from the test output"
    )]
    {
        eprintln!("example app: redeploy -> healthy in {redeployed_after:?}");
    }
    let second_pid = pid_of(&again);
    assert_ne!(second_pid, first_pid);
    assert!(
        !group_alive(first_pid),
        "the old process group survived the redeploy"
    );
    let (code, _) = get(&format!("{}/health", again.endpoint().unwrap()))
        .await
        .unwrap();
    assert_eq!(code, 200);

    // The app's own timestamped lines are events of the local log source.
    let log_group = again
        .get("log_group")
        .and_then(|v| v.as_str())
        .unwrap()
        .to_owned();
    assert_eq!(log_group, "/ecs/idp-preview-demo");
    let logs = LocalLogs::new(state.path());
    let page = logs
        .events(&LogQuery::new(log_group, DateTime::UNIX_EPOCH))
        .await
        .unwrap();
    let messages: Vec<&str> = page.events.iter().map(|e| e.message.as_str()).collect();
    assert!(messages.contains(&"GET / 200"), "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("idp: starting `python3 examples/app/server.py`")),
        "{messages:?}"
    );

    runtime.destroy(&request).await.unwrap();
    assert!(
        !group_alive(second_pid),
        "the process group survived destroy"
    );
    assert!(
        get(&format!("{}/health", again.endpoint().unwrap()))
            .await
            .is_none()
    );
    assert!(runtime.health(&request).await.unwrap_err().is_not_found());
    assert!(runtime.outputs(&request).await.unwrap_err().is_not_found());
    runtime.destroy(&request).await.unwrap();
}

#[tokio::test]
async fn two_environments_run_side_by_side_on_different_ports() {
    let state = tempfile::tempdir().unwrap();
    let runtime = runtime(&state);
    let (a, b) = (app("preview-left"), app("preview-right"));
    let (left, right) = tokio::join!(runtime.apply(&a), runtime.apply(&b));
    let (left, right) = (left.unwrap(), right.unwrap());
    assert_ne!(left.get("port"), right.get("port"));
    for (outputs, name) in [(&left, "preview-left"), (&right, "preview-right")] {
        let (code, body) = get(&format!("{}/", outputs.endpoint().unwrap()))
            .await
            .unwrap();
        assert_eq!(code, 200);
        assert!(body.contains(name), "{body}");
    }
    runtime.destroy(&a).await.unwrap();
    let (code, _) = get(&format!("{}/health", right.endpoint().unwrap()))
        .await
        .unwrap();
    assert_eq!(code, 200, "destroying one environment left the other alone");
    runtime.destroy(&b).await.unwrap();
    assert!(!group_alive(pid_of(&right)));
}

#[tokio::test]
async fn a_command_that_never_becomes_healthy_is_killed_at_the_health_timeout() {
    let state = tempfile::tempdir().unwrap();
    let mut config = LocalRuntimeConfig::new(state.path());
    config.health_timeout = Duration::from_millis(1500);
    let runtime = LocalRuntime::new(config);
    let pid_file = state.path().join("pid");
    let mut request = request("preview-stuck");
    request.local_command =
        Some(r#"echo $$ > "$PID_FILE"; echo "warming up on $PORT"; sleep 60"#.to_owned());
    request
        .env_vars
        .insert("PID_FILE".to_owned(), pid_file.display().to_string());

    let error = runtime.apply(&request).await.unwrap_err();
    let ProvisionError::Timeout {
        step,
        after,
        output_tail,
    } = &error
    else {
        panic!("expected Timeout, got {error:?}");
    };
    assert!(step.starts_with("GET http://127.0.0.1:"), "{step}");
    assert!(error.to_string().contains("within 1.5s"), "{error}");
    assert_eq!(*after, Duration::from_millis(1500));
    assert!(output_tail.contains("warming up on "), "{output_tail}");
    let pgid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!group_alive(pgid), "the stuck command still runs");
    assert!(runtime.health(&request).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_command_that_exits_at_once_is_reported_with_its_log_tail() {
    let state = tempfile::tempdir().unwrap();
    let runtime = LocalRuntime::new(LocalRuntimeConfig::new(state.path()));
    let mut request = request("preview-crash");
    request.local_command = Some("echo 'Error: address already in use' >&2; exit 7".to_owned());
    let error = runtime.apply(&request).await.unwrap_err();
    let ProvisionError::Failed {
        exit_code,
        stderr_tail,
        ..
    } = &error
    else {
        panic!("expected Failed, got {error:?}");
    };
    assert_eq!(*exit_code, Some(7));
    assert_eq!(stderr_tail, "Error: address already in use");
    assert!(
        error.to_string().contains("Error: address already in use"),
        "{error}"
    );
    assert!(runtime.outputs(&request).await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_missing_local_command_tells_the_user_to_set_it_in_the_config() {
    let state = tempfile::tempdir().unwrap();
    let runtime = LocalRuntime::new(LocalRuntimeConfig::new(state.path()));
    let error = runtime.apply(&request("preview-none")).await.unwrap_err();
    assert!(matches!(error, ProvisionError::InvalidRequest { .. }));
    assert_eq!(
        error.to_string(),
        "environment `preview-none` has no local command: set `local.command` in `.idp/config.yml` to the command that starts your app on `$PORT` (e.g. `python3 app.py`)"
    );
}

#[tokio::test]
async fn a_recorded_pid_now_owned_by_another_process_is_never_signalled() {
    let state = tempfile::tempdir().unwrap();
    let runtime = runtime(&state);
    let request = app("preview-reuse");
    let outputs = runtime.apply(&request).await.unwrap();
    let pid = pid_of(&outputs);

    // Pretend the kernel gave the pid to another program: the start time no longer matches.
    let record = state.path().join(".local/runtime/preview-reuse.json");
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    json["start_time"] = serde_json::json!(1);
    std::fs::write(&record, serde_json::to_vec(&json).unwrap()).unwrap();

    assert_eq!(
        runtime.health(&request).await.unwrap(),
        RuntimeHealth::Stopped
    );
    runtime.destroy(&request).await.unwrap();
    assert!(
        group_alive(pid),
        "a process that did not match its record was signalled"
    );
    assert!(!record.exists());

    let pgid = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap());
    nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL).unwrap();
}

#[tokio::test]
async fn an_app_that_ignores_sigterm_is_killed_after_the_grace_period() {
    let state = tempfile::tempdir().unwrap();
    let mut config = LocalRuntimeConfig::new(state.path());
    config.stop_grace = Duration::from_millis(300);
    config.working_dir = repo_root();
    let runtime = LocalRuntime::new(config);
    let mut request = app("preview-stubborn");
    // The shell ignores SIGTERM and so does the app it starts (ignored signals are inherited).
    request.local_command = Some("trap '' TERM; python3 examples/app/server.py".to_owned());
    let outputs = runtime.apply(&request).await.unwrap();
    let pgid = pid_of(&outputs);
    let started = Instant::now();
    runtime.destroy(&request).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(
        !group_alive(pgid),
        "SIGKILL did not follow the grace period"
    );
}

#[tokio::test]
async fn a_command_that_exits_with_success_at_once_is_told_to_stay_in_the_foreground() {
    let state = tempfile::tempdir().unwrap();
    let runtime = LocalRuntime::new(LocalRuntimeConfig::new(state.path()));
    let mut request = request("preview-daemon");
    request.local_command = Some("echo forking into the background".to_owned());
    let error = runtime.apply(&request).await.unwrap_err();
    assert!(matches!(
        error,
        ProvisionError::Failed {
            exit_code: Some(0),
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "`local.command` failed with exit code `0`: the command exited with success before it answered: keep the app in the foreground (no `&`, no daemon mode)"
    );
}

#[tokio::test]
async fn an_app_whose_port_another_process_took_is_started_again_on_another_port() {
    let state = tempfile::tempdir().unwrap();
    let marker = state.path().join("port-taken");
    let runtime = LocalRuntime::new(LocalRuntimeConfig::new(state.path()));
    let mut request = request("preview-port-race");
    // The first start plays the race: a process of another session (not the app's group, so
    // stopping the app leaves it) binds the app's port, and the app fails as a server does
    // when its port is taken. The second start serves.
    request.local_command = Some(format!(
        "if [ -e '{marker}' ]; then exec python3 -m http.server --bind 127.0.0.1 \"$PORT\"; fi; \
         touch '{marker}'; \
         setsid python3 -c 'import socket, sys, time; s = socket.socket(); s.bind((\"127.0.0.1\", int(sys.argv[1]))); s.listen(); time.sleep(5)' \"$PORT\" & \
         sleep 0.5; echo 'OSError: [Errno 98] Address already in use' >&2; exit 1",
        marker = marker.display()
    ));
    request.health_check_path = "/".to_owned();
    let outputs = runtime.apply(&request).await.unwrap();
    let port = outputs
        .get("port")
        .and_then(serde_json::Value::as_u64)
        .unwrap();
    let log = fs_err::read_to_string(
        outputs
            .get("log_file")
            .and_then(serde_json::Value::as_str)
            .unwrap(),
    )
    .unwrap();
    assert!(
        log.contains("was taken by another process; starting again on another port"),
        "{log}"
    );
    let (code, _) = get(&format!("http://127.0.0.1:{port}/")).await.unwrap();
    assert_eq!(code, 200);
    runtime.destroy(&request).await.unwrap();
}

#[tokio::test]
async fn an_app_that_fails_on_a_free_port_is_not_started_again() {
    let state = tempfile::tempdir().unwrap();
    let runtime = LocalRuntime::new(LocalRuntimeConfig::new(state.path()));
    let mut request = request("preview-fails");
    request.local_command = Some("echo 'no such module' >&2; exit 3".to_owned());
    let error = runtime.apply(&request).await.unwrap_err();
    assert!(
        matches!(
            error,
            ProvisionError::Failed {
                exit_code: Some(3),
                ..
            }
        ),
        "{error}"
    );
    let log = fs_err::read_to_string(runtime.log_file(&request.env)).unwrap();
    assert_eq!(log.matches("starting `echo").count(), 1, "{log}");
    assert!(!log.contains("starting again"), "{log}");
}
