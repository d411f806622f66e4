//! The local process runtime: an environment's app as a process on this machine.
//!
//! With no cloud configured, "provisioning" an environment means starting the app with the
//! user's own command (`local.command` in `.idp/config.yml`) on a free port of 127.0.0.1 and
//! waiting until it answers its health check. The app outlives the `idp` process that started
//! it, so everything needed to find it again is written down:
//!
//! ```text
//! <dir>/.local/runtime/<env>.json          pid, process group, start time, port, command
//! <dir>/logs/ecs/idp-<env>/app.log         the app's stdout and stderr, appended
//! ```
//!
//! A process is identified by its pid *and* its start time (field 22 of `/proc/<pid>/stat`), so a
//! pid the kernel has since given to another program is never signalled. The app runs in its own
//! process group and is stopped as a group (SIGTERM, then SIGKILL after a grace period), which
//! also stops whatever it started itself.
#![allow(
    clippy::disallowed_methods,
    reason = "the local runtime starts processes, reads /proc, writes its records and reads the clock"
)]

mod probe;
mod process;

use std::io::{Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use self::probe::{check_health_path, probe};
use self::process::wait_until_gone;
pub(super) use self::process::{ProcStat, group_alive};
use super::fs::{self, BACKEND, LOCAL_DIR};
use crate::domain::naming::EnvName;
use crate::domain::redact::Tail;
use crate::ports::provisioner::{
    Outputs, ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth,
};

/// The log stream (file name without `.log`) of the app's output.
const STREAM: &str = "app";

/// How often the health check and the stop loop look again.
const POLL: Duration = Duration::from_millis(100);

/// How long a failed start gets between SIGTERM and SIGKILL.
const ABANDON_GRACE: Duration = Duration::from_millis(500);

/// How many ports an apply tries when the app fails because another process took its port.
const PORT_ATTEMPTS: u32 = 3;

/// How long a group gets to disappear after SIGKILL.
const KILL_WAIT: Duration = Duration::from_secs(2);

/// Where the runtime keeps its records and logs, and how patient it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalRuntimeConfig {
    /// The local backend's directory (`IDP_STATE_DIR`).
    pub state_dir: PathBuf,
    /// The directory the command runs in (the repository root, so that `local.command` can use
    /// paths relative to it).
    pub working_dir: PathBuf,
    /// How long `apply` waits for the first 2xx answer before it kills the app.
    pub health_timeout: Duration,
    /// How long a stopping app gets between SIGTERM and SIGKILL.
    pub stop_grace: Duration,
}

impl LocalRuntimeConfig {
    /// How long `apply` waits for the app's first 2xx answer by default.
    pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(30);

    /// How long a stopped app gets between SIGTERM and SIGKILL by default.
    pub const DEFAULT_STOP_GRACE: Duration = Duration::from_secs(5);

    /// Records under `state_dir`, commands run in the current directory, the default timeouts.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            state_dir: state_dir.into(),
            working_dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            health_timeout: Self::DEFAULT_HEALTH_TIMEOUT,
            stop_grace: Self::DEFAULT_STOP_GRACE,
        }
    }
}

/// A [`Provisioner`] that runs each environment's app as a local process.
///
/// - `apply` runs `local.command` with `/bin/sh -c` in [`LocalRuntimeConfig::working_dir`]. The
///   command is the user's own line from their config file; nothing is ever interpolated into it.
///   The app learns its environment from variables: `PORT` (a free port on 127.0.0.1, kept across
///   redeploys when still free), `IDP_ENVIRONMENT` and the request's `env_vars`. Its stdout and
///   stderr are appended to `<dir>/logs/ecs/idp-<env>/app.log`. `apply` returns once
///   `http://127.0.0.1:$PORT{health_check_path}` answers 2xx, with the outputs `endpoint`, `pid`,
///   `port`, `log_file` and `log_group`. A second `apply` stops the running app first (a
///   redeploy).
/// - The app keeps running after the `idp` process exits; it is never killed on drop. While this
///   process lives, a thread waits for the app so it never lingers as a zombie; after this process
///   exits, init adopts and reaps it. (In a container whose PID 1 does not reap orphans, a
///   stopped app stays a zombie until the container stops, harmless but visible in `ps`;
///   `docker run --init` avoids it. The runtime counts zombies as stopped.)
/// - `destroy` stops the app's process group and removes its record and logs.
#[derive(Debug, Clone)]
pub struct LocalRuntime {
    config: LocalRuntimeConfig,
}

/// What the runtime writes down about a running app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ProcessRecord {
    env: String,
    pid: u32,
    pgid: u32,
    /// Field 22 of `/proc/<pid>/stat`: clock ticks after boot.
    start_time: u64,
    port: u16,
    command: String,
    working_dir: PathBuf,
    log_file: PathBuf,
    started_at: DateTime<Utc>,
}

/// How much of the app's log since a failed start is read (the end is kept).
const LOG_TAIL_CAP: usize = 64 * 1024;

/// Whether the record's process group may be signalled: its leader is the very process that was
/// started (same start time), or the leader is gone but members of its group live on (a process
/// group id is never given to a new process while the group exists).
fn group_is_ours(record: &ProcessRecord) -> bool {
    match ProcStat::read(record.pid) {
        Some(stat) => stat.start_time == record.start_time && stat.is_live(),
        None => group_alive(record.pgid),
    }
}

fn local_error(source: impl Into<crate::ports::BoxError>) -> ProvisionError {
    ProvisionError::Backend {
        backend: BACKEND,
        source: source.into(),
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

fn timestamp() -> String {
    now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An environment's app as the runtime started it, while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunningApp {
    pub(crate) pid: u32,
    pub(crate) port: u16,
    pub(crate) working_dir: PathBuf,
}

/// The running app of `env` under the local backend's `state_dir`: `None` when it was never
/// started, was destroyed, or has stopped.
pub(crate) fn running_app(
    state_dir: &std::path::Path,
    env: &EnvName,
) -> Result<Option<RunningApp>, ProvisionError> {
    let runtime = LocalRuntime::new(LocalRuntimeConfig::new(state_dir));
    Ok(runtime
        .read_record(env)?
        .filter(group_is_ours)
        .map(|r| RunningApp {
            pid: r.pid,
            port: r.port,
            working_dir: r.working_dir,
        }))
}

impl LocalRuntime {
    /// A runtime with `config`.
    pub fn new(config: LocalRuntimeConfig) -> Self {
        Self { config }
    }

    fn record_path(&self, env: &EnvName) -> PathBuf {
        self.config
            .state_dir
            .join(LOCAL_DIR)
            .join("runtime")
            .join(format!("{env}.json"))
    }

    /// The log group of an environment's app: `/ecs/idp-<env>`, as on AWS, so `idp logs` reads
    /// it the same way through the local log source.
    pub fn log_group(env: &EnvName) -> String {
        format!("/ecs/idp-{env}")
    }

    /// The file the app's stdout and stderr are appended to.
    pub fn log_file(&self, env: &EnvName) -> PathBuf {
        self.config
            .state_dir
            .join("logs")
            .join("ecs")
            .join(format!("idp-{env}"))
            .join(format!("{STREAM}.log"))
    }

    fn read_record(&self, env: &EnvName) -> Result<Option<ProcessRecord>, ProvisionError> {
        let path = self.record_path(env);
        let Some(bytes) = fs::read_optional(&path).map_err(local_error)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            local_error(format!(
                "the runtime record `{}` is not valid ({e}); stop the app by hand and delete the file",
                path.display()
            ))
        })
    }

    fn write_record(&self, record: &ProcessRecord, env: &EnvName) -> Result<(), ProvisionError> {
        let bytes = serde_json::to_vec_pretty(record).map_err(local_error)?;
        fs::atomic_write(&self.record_path(env), &bytes).map_err(local_error)
    }

    fn remove_record(&self, env: &EnvName) -> Result<(), ProvisionError> {
        fs::remove_optional(&self.record_path(env))
            .map(|_| ())
            .map_err(local_error)
    }

    /// Appends a line of the runtime's own, in the format of the local log source.
    fn note(&self, env: &EnvName, message: &str) {
        use std::io::Write;
        let path = self.log_file(env);
        let written = path
            .parent()
            .map_or(Ok(()), fs_err::create_dir_all)
            .and_then(|()| {
                fs_err::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
            })
            .and_then(|mut f| writeln!(f, "{} idp: {message}", timestamp()));
        if let Err(error) = written {
            tracing::warn!(%error, "could not write to the app's log file");
        }
    }

    /// Stops the app of `record`: SIGTERM to its group, SIGKILL after the grace period. A record
    /// whose pid now belongs to another process is left alone.
    async fn stop(&self, record: &ProcessRecord, grace: Duration) -> Result<(), ProvisionError> {
        if !group_is_ours(record) {
            return Ok(());
        }
        let Ok(raw) = i32::try_from(record.pgid) else {
            return Ok(());
        };
        let pgid = Pid::from_raw(raw);
        let _ = killpg(pgid, Signal::SIGTERM);
        if wait_until_gone(record.pgid, grace).await {
            return Ok(());
        }
        let _ = killpg(pgid, Signal::SIGKILL);
        if wait_until_gone(record.pgid, KILL_WAIT).await {
            return Ok(());
        }
        Err(local_error(format!(
            "process group `{}` of `{}` survived SIGKILL; stop it by hand",
            record.pgid, record.command
        )))
    }

    /// A free port: the previous one when it is free again, else one the kernel picks.
    fn free_port(previous: Option<u16>) -> Result<u16, ProvisionError> {
        if let Some(port) = previous
            && TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
        {
            return Ok(port);
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(local_error)?;
        Ok(listener.local_addr().map_err(local_error)?.port())
    }

    /// The log written since byte `offset`, capped and redacted.
    fn log_tail_since(&self, request: &ProvisionRequest, offset: u64) -> String {
        let mut tail = Tail::new(LOG_TAIL_CAP);
        let read = fs_err::File::open(self.log_file(&request.env)).and_then(|mut file| {
            file.seek(SeekFrom::Start(offset))?;
            let mut buf = vec![0_u8; 8192];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                tail.push(buf.get(..n).unwrap_or_default());
            }
        });
        if let Err(error) = read {
            return format!("(could not read the log: {error})");
        }
        request.error_tail_of(&tail)
    }

    /// Starts the app and returns its record and a receiver of its exit status.
    fn start(
        &self,
        request: &ProvisionRequest,
        command: &str,
        port: u16,
    ) -> Result<(ProcessRecord, oneshot::Receiver<ExitStatus>), ProvisionError> {
        let log_file = self.log_file(&request.env);
        if let Some(dir) = log_file.parent() {
            fs_err::create_dir_all(dir).map_err(local_error)?;
        }
        let log = fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_file)
            .map_err(local_error)?;
        let stderr = log.file().try_clone().map_err(local_error)?;
        let mut child = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(command)
            .current_dir(&self.config.working_dir)
            .envs(&request.env_vars)
            .env("PORT", port.to_string())
            .env("IDP_ENVIRONMENT", request.env.as_str())
            .stdin(Stdio::null())
            .stdout(log.into_parts().0)
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .map_err(|e| ProvisionError::Unavailable {
                backend: BACKEND,
                retryable: false,
                source: format!(
                    "cannot run `/bin/sh` in `{}`: {e}",
                    self.config.working_dir.display()
                )
                .into(),
            })?;
        let pid = child.id();
        // Read before anyone waits for the child: until then it cannot be reaped, so its
        // /proc entry exists even if it already exited.
        let start_time = ProcStat::read(pid).map_or(0, |s| s.start_time);
        let (exited, exit) = oneshot::channel();
        // The waiting thread reaps the app when it exits while this process lives.
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = exited.send(status);
            }
        });
        let record = ProcessRecord {
            env: request.env.to_string(),
            pid,
            pgid: pid,
            start_time,
            port,
            command: command.to_owned(),
            working_dir: self.config.working_dir.clone(),
            log_file,
            started_at: now(),
        };
        Ok((record, exit))
    }

    fn outputs_of(record: &ProcessRecord, env: &EnvName) -> Outputs {
        let mut outputs = Outputs::new();
        outputs.insert("endpoint", format!("http://127.0.0.1:{}", record.port));
        outputs.insert("pid", record.pid);
        outputs.insert("port", record.port);
        outputs.insert("log_file", record.log_file.display().to_string());
        outputs.insert("log_group", Self::log_group(env));
        outputs
    }

    /// Kills a failed start and forgets it.
    async fn abandon(&self, record: &ProcessRecord, env: &EnvName) {
        // A failed start never served anyone: it gets a short grace only.
        if let Err(error) = self.stop(record, ABANDON_GRACE).await {
            tracing::warn!(%error, "could not stop a failed start");
        }
        if let Err(error) = self.remove_record(env) {
            tracing::warn!(%error, "could not remove the record of a failed start");
        }
    }
}

#[async_trait]
impl Provisioner for LocalRuntime {
    async fn apply(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        let env = &request.env;
        let Some(command) = request
            .local_command
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        else {
            return Err(ProvisionError::InvalidRequest {
                reason: format!(
                    "environment `{env}` has no local command: set `local.command` in `.idp/config.yml` to the command that starts your app on `$PORT` (e.g. `python3 app.py`)"
                ),
            });
        };
        check_health_path(&request.health_check_path)?;
        if ProcStat::read(std::process::id()).is_none() {
            return Err(ProvisionError::Unavailable {
                backend: BACKEND,
                retryable: false,
                source: "the local runtime identifies processes through `/proc/<pid>/stat`, which this system lacks; run idp on Linux (or in a Linux container) or use `--backend aws`".into(),
            });
        }

        // A redeploy: the old app goes first (its port is reused when free again).
        let previous = self.read_record(env)?;
        if let Some(old) = &previous {
            self.stop(old, self.config.stop_grace).await?;
            self.note(env, &format!("stopped pid {} for a redeploy", old.pid));
            self.remove_record(env)?;
        }
        let mut port = Self::free_port(previous.map(|r| r.port))?;
        // A free port is only free when it is picked: another process (a client socket's
        // ephemeral port on loopback, another app) may take it before the app binds it. An app
        // that fails while its port is held by someone else is started again on another one.
        let mut attempt = 1;
        'start: loop {
            self.note(env, &format!("starting `{command}` on port {port}"));
            let offset = fs_err::metadata(self.log_file(env)).map_or(0, |m| m.len());
            let (record, mut exit) = self.start(request, command, port)?;
            self.write_record(&record, env)?;

            let deadline = tokio::time::Instant::now() + self.config.health_timeout;
            // Most apps are up within a few hundred milliseconds: look often at first, then less.
            let mut pause = Duration::from_millis(10);
            loop {
                if let Ok(status) = exit.try_recv() {
                    self.abandon(&record, env).await;
                    if !status.success()
                        && attempt < PORT_ATTEMPTS
                        && TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_err()
                    {
                        self.note(
                        env,
                        &format!("port {port} was taken by another process; starting again on another port"),
                    );
                        attempt += 1;
                        port = Self::free_port(None)?;
                        continue 'start;
                    }
                    let mut stderr_tail = self.log_tail_since(request, offset);
                    if status.success() {
                        stderr_tail.push_str(
                        "\nthe command exited with success before it answered: keep the app in the foreground (no `&`, no daemon mode)",
                    );
                    }
                    return Err(ProvisionError::Failed {
                        step: "local.command".to_owned(),
                        exit_code: status.code(),
                        stderr_tail,
                    });
                }
                if probe(port, &request.health_check_path)
                    .await
                    .is_some_and(|code| (200..300).contains(&code))
                {
                    return Ok(Self::outputs_of(&record, env));
                }
                if tokio::time::Instant::now() >= deadline {
                    self.abandon(&record, env).await;
                    return Err(ProvisionError::Timeout {
                        step: format!("GET http://127.0.0.1:{port}{}", request.health_check_path),
                        after: self.config.health_timeout,
                        output_tail: self.log_tail_since(request, offset),
                    });
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(POLL);
            }
        }
    }

    async fn destroy(&self, request: &ProvisionRequest) -> Result<(), ProvisionError> {
        let env = &request.env;
        if let Some(record) = self.read_record(env)? {
            self.stop(&record, self.config.stop_grace).await?;
            self.remove_record(env)?;
        }
        // The log group goes with the environment, as on AWS.
        if let Some(dir) = self.log_file(env).parent() {
            match fs_err::remove_dir_all(dir) {
                Ok(()) => {}
                Err(e) if fs::is_missing(&e) => {}
                Err(e) => return Err(local_error(e)),
            }
        }
        Ok(())
    }

    async fn outputs(&self, request: &ProvisionRequest) -> Result<Outputs, ProvisionError> {
        let record = self
            .read_record(&request.env)?
            .ok_or_else(|| ProvisionError::NotFound {
                env: request.env.to_string(),
            })?;
        Ok(Self::outputs_of(&record, &request.env))
    }

    async fn health(&self, request: &ProvisionRequest) -> Result<RuntimeHealth, ProvisionError> {
        let record = self
            .read_record(&request.env)?
            .ok_or_else(|| ProvisionError::NotFound {
                env: request.env.to_string(),
            })?;
        // The pid is the process group's leader; the app may be a child of it.
        if group_is_ours(&record) {
            Ok(RuntimeHealth::Running {
                pid: Some(record.pid),
            })
        } else {
            Ok(RuntimeHealth::Stopped)
        }
    }
}
