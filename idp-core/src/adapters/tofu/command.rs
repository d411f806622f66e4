//! Running one OpenTofu command: an argv vector (never a shell), a working directory, a few
//! environment variables and a hard timeout.
//!
//! OpenTofu starts provider plugins as child processes, so each command runs in its own process
//! group. On its timeout, or when a stop is requested ([`crate::interrupt`]), the group gets
//! SIGINT first: OpenTofu then stops starting work, saves its state, releases its state lock and
//! exits. Only if it has not exited after [`GRACE`] is the whole group killed. Its error output is
//! kept as a bounded [`Tail`], so a chatty provider costs no more memory than a quiet one.
#![allow(
    clippy::disallowed_methods,
    reason = "the tofu adapter starts the OpenTofu CLI as a process"
)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::task::JoinHandle;

use crate::domain::redact::Tail;

/// How long the output pipes may stay open after the command exited or was killed.
const DRAIN: Duration = Duration::from_secs(5);

/// How long a command gets between SIGINT and SIGKILL. OpenTofu saves its state within about a
/// second of SIGINT; the rest is for provider calls that must return first.
pub(crate) const GRACE: Duration = Duration::from_secs(60);

/// The most bytes of error output kept (the end is kept).
const STDERR_CAP: usize = 64 * 1024;

/// What a finished command printed and how it exited.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: Vec<u8>,
    /// The end of its error output.
    pub(crate) stderr: Tail,
}

/// Why a command did not finish.
#[derive(Debug)]
pub(crate) enum RunError {
    /// The program could not be started (missing binary, not executable).
    Spawn(std::io::Error),
    /// Waiting for the program failed.
    Wait(std::io::Error),
    /// The timeout passed; the process group was stopped (SIGINT, then SIGKILL after [`GRACE`])
    /// and reaped.
    Timeout {
        /// The end of what it printed to stderr, then stdout, before it was stopped.
        output: Tail,
    },
    /// A stop was requested ([`crate::interrupt`]); the process group was stopped as on a
    /// timeout.
    Interrupted {
        /// The end of what it printed to stderr, then stdout.
        output: Tail,
        /// Whether it had to be killed (it did not exit within [`GRACE`] of SIGINT).
        killed: bool,
    },
}

/// Why a running command is being stopped.
enum Stop {
    Timeout,
    Interrupted,
}

/// Runs `program args…` in `cwd` with `envs` added to the inherited environment.
pub(crate) async fn run(
    program: &Path,
    args: &[String],
    cwd: &Path,
    envs: &[(&str, &OsStr)],
    timeout: Duration,
) -> Result<Finished, RunError> {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .current_dir(cwd)
        .envs(envs.iter().map(|(k, v)| (*k, *v)))
        .env("TF_IN_AUTOMATION", "1")
        .env("TF_INPUT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(RunError::Spawn)?;
    let pgid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    let stdout = drain(child.stdout.take(), usize::MAX);
    let stderr = drain(child.stderr.take(), STDERR_CAP);
    // Kills the whole group: after the grace period, or plugins that outlived tofu and keep its
    // output pipes open.
    let signal_group = |signal: Signal| {
        if let Some(pgid) = pgid {
            let _ = killpg(pgid, signal);
        }
    };
    let kill_group = || signal_group(Signal::SIGKILL);
    let _shield = crate::interrupt::shield();
    let stop = tokio::select! {
        waited = child.wait() => match waited {
            Ok(status) => {
                let stdout = collect(stdout, kill_group).await;
                let stderr = collect(stderr, kill_group).await;
                return Ok(Finished {
                    status,
                    stdout: stdout.into_bytes(),
                    stderr,
                });
            }
            Err(error) => {
                kill_group();
                return Err(RunError::Wait(error));
            }
        },
        () = tokio::time::sleep(timeout) => Stop::Timeout,
        () = crate::interrupt::requested() => Stop::Interrupted,
    };
    signal_group(Signal::SIGINT);
    let killed = tokio::time::timeout(GRACE, child.wait()).await.is_err();
    // What is left of the group once tofu exited (or after the grace period): plugins, or
    // anything else still holding its output pipes.
    kill_group();
    // Reap the stopped process so nothing is left behind, not even a zombie.
    let _ = child.wait().await;
    let mut output = collect(stderr, kill_group).await;
    output.push(&collect(stdout, kill_group).await.into_bytes());
    Err(match stop {
        Stop::Timeout => RunError::Timeout { output },
        Stop::Interrupted => RunError::Interrupted { output, killed },
    })
}

/// Reads a pipe to its end in a task, keeping at most `cap` bytes of it (the end).
fn drain<R: AsyncRead + Unpin + Send + 'static>(pipe: Option<R>, cap: usize) -> JoinHandle<Tail> {
    tokio::spawn(async move {
        let mut kept = Tail::new(cap);
        if let Some(mut pipe) = pipe {
            let mut buf = vec![0_u8; 8192];
            // A read error ends the capture; what was read so far is kept.
            while let Ok(n) = pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                kept.push(buf.get(..n).unwrap_or_default());
            }
        }
        kept
    })
}

async fn collect(task: JoinHandle<Tail>, kill_group: impl Fn()) -> Tail {
    let abort = task.abort_handle();
    match tokio::time::timeout(DRAIN, task).await {
        Ok(Ok(kept)) => kept,
        Ok(Err(_join)) => Tail::new(0),
        Err(_elapsed) => {
            kill_group();
            abort.abort();
            Tail::new(0)
        }
    }
}
