//! The local executor: each command of an order runs as `/bin/sh -c CMD` on this machine.
//!
//! The commands are the job file author's own, run with the author's permissions, exactly like
//! `make` runs a Makefile: idp never builds a command from other input. Each command runs in its
//! own process group with the order's environment added to idp's own, stdin closed, stdout and
//! stderr captured together into a size-capped tail. When the command exits, whatever it left
//! running in its group (a forgotten `&`) is killed after a short drain, so an order never leaves
//! processes behind; at the order's deadline, or when the execution is dropped (job timeout,
//! cancelled orchestrator), the whole group is killed with SIGKILL.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use super::runtime::{ProcStat, group_alive};
use crate::adapters::model::commands::{Ended, RunOne, run_in_order};
use crate::domain::orders::Target;
use crate::domain::redact::Tail;
use crate::ports::executor::{ExecError, ExecHandle, ExecRequest, ExecResult, Executor};

/// How long a command's pipes may stay open after it exited (a background child holding them).
const DRAIN: Duration = Duration::from_millis(500);

/// Runs orders as local processes.
#[derive(Debug, Clone, Default)]
pub struct LocalExecutor {
    base_dir: Option<PathBuf>,
}

impl LocalExecutor {
    /// An executor whose relative working directories are resolved against the process's
    /// current directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// An executor whose relative working directories are resolved against `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            base_dir: Some(dir.into()),
        }
    }
}

/// Kills a process group when dropped, unless it was disarmed.
struct GroupGuard(Option<Pid>);

impl GroupGuard {
    fn kill(&mut self) {
        if let Some(pgid) = self.0.take() {
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn read_chunk<R: AsyncRead + Unpin>(pipe: &mut Option<R>) -> Option<Vec<u8>> {
    let Some(reader) = pipe.as_mut() else {
        return std::future::pending().await;
    };
    let mut buf = vec![0u8; 8192];
    match reader.read(&mut buf).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buf.truncate(n);
            Some(buf)
        }
    }
}

#[async_trait]
impl RunOne for LocalExecutor {
    #[allow(
        clippy::disallowed_methods,
        reason = "the local executor starts the order's commands as processes"
    )]
    async fn run_one(
        &self,
        request: &ExecRequest,
        cmd: &str,
        deadline: Instant,
        tail: &mut Tail,
        started: &(dyn Fn(ExecHandle) + Send + Sync),
    ) -> Ended {
        let dir = match &self.base_dir {
            Some(base) => base.join(&request.working_dir),
            None => request.working_dir.clone(),
        };
        let mut command = tokio::process::Command::new("/bin/sh");
        command
            .arg("-c")
            .arg(cmd)
            .current_dir(&dir)
            .envs(&request.env)
            .envs(request.secrets.iter().map(|(k, v)| (k, v.expose())))
            .env("IDP_RUN_ID", request.run_id.as_str())
            .env("IDP_ORDER", &request.order)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                tail.push(
                    format!("idp: cannot run `/bin/sh` in `{}`: {e}\n", dir.display()).as_bytes(),
                );
                return Ended::Exited(None);
            }
        };
        let pid = child.id().unwrap_or(0);
        let mut guard = GroupGuard(
            i32::try_from(pid)
                .ok()
                .filter(|p| *p > 0)
                .map(Pid::from_raw),
        );
        let start_time = ProcStat::read(pid).map_or(0, |s| s.start_time);
        started(ExecHandle {
            target: Target::Local,
            id: format!("{pid}:{start_time}"),
        });
        let mut stdout = child.stdout.take();
        let mut stderr = child.stderr.take();
        let mut exited: Option<Option<i32>> = None;
        let mut drain_until = deadline;
        loop {
            if exited.is_some() && stdout.is_none() && stderr.is_none() {
                break;
            }
            tokio::select! {
                chunk = read_chunk(&mut stdout), if stdout.is_some() => match chunk {
                    Some(bytes) => tail.push(&bytes),
                    None => stdout = None,
                },
                chunk = read_chunk(&mut stderr), if stderr.is_some() => match chunk {
                    Some(bytes) => tail.push(&bytes),
                    None => stderr = None,
                },
                status = child.wait(), if exited.is_none() => {
                    exited = Some(status.ok().and_then(|s| s.code()));
                    drain_until = (Instant::now() + DRAIN).min(deadline);
                },
                () = tokio::time::sleep_until(drain_until), if exited.is_some() => break,
                () = tokio::time::sleep_until(deadline), if exited.is_none() => {
                    guard.kill();
                    // Reap the shell so not even a zombie is left.
                    let _ = child.wait().await;
                    return Ended::TimedOut;
                }
            }
        }
        // Whatever the command left in its group goes with it.
        guard.kill();
        Ended::Exited(exited.flatten())
    }

    fn timed_out_note(&self) -> &'static str {
        "the command's process group was killed"
    }
}

#[async_trait]
impl Executor for LocalExecutor {
    fn target(&self) -> Target {
        Target::Local
    }

    async fn execute(
        &self,
        request: &ExecRequest,
        started: &(dyn Fn(ExecHandle) + Send + Sync),
    ) -> Result<ExecResult, ExecError> {
        Ok(run_in_order(self, request, started).await)
    }

    async fn reap(&self, handle: &ExecHandle) -> Result<bool, ExecError> {
        let Some((pid, start)) = handle.id.split_once(':') else {
            return Ok(false);
        };
        let (Ok(pid), Ok(start)) = (pid.parse::<u32>(), start.parse::<u64>()) else {
            return Ok(false);
        };
        let ours = match ProcStat::read(pid) {
            Some(stat) => stat.start_time == start && stat.is_live(),
            // The leader is gone; a group id is not reused while members of the group live.
            None => group_alive(pid),
        };
        if ours && let Ok(raw) = i32::try_from(pid) {
            let _ = killpg(Pid::from_raw(raw), Signal::SIGKILL);
        }
        Ok(ours)
    }
}
