//! How an order's commands run, whatever runs them: in order, each announced in the output
//! (`+ cmd`), the first failing command ends the order, the order's timeout covers all of them,
//! and the output kept is the bounded, masked end of what they printed.
//!
//! Executors supply one step: run one command until it ends or the deadline passes.

use async_trait::async_trait;
use tokio::time::Instant;

use crate::domain::orders::{OrderOutcome, format_duration};
use crate::domain::redact::Tail;
use crate::ports::executor::{ExecHandle, ExecRequest, ExecResult};

/// How one command ended.
pub(crate) enum Ended {
    /// It exited, with its code (`None`: killed by a signal, or it could not start).
    Exited(Option<i32>),
    /// It was stopped (the order was cancelled).
    Stopped,
    /// The order's deadline passed first.
    TimedOut,
}

/// Runs one command of an order.
#[async_trait]
pub(crate) trait RunOne: Sync {
    /// Runs `cmd` until it ends or `deadline` passes, adding what it prints to `tail`, and
    /// reports its handle through `started` once it runs.
    async fn run_one(
        &self,
        request: &ExecRequest,
        cmd: &str,
        deadline: Instant,
        tail: &mut Tail,
        started: &(dyn Fn(ExecHandle) + Send + Sync),
    ) -> Ended;

    /// What happened to a command whose deadline passed (e.g. "its process group was killed").
    fn timed_out_note(&self) -> &'static str;
}

/// Runs `request`'s commands one after another with `runner`.
pub(crate) async fn run_in_order(
    runner: &(impl RunOne + ?Sized),
    request: &ExecRequest,
    started: &(dyn Fn(ExecHandle) + Send + Sync),
) -> ExecResult {
    let deadline = Instant::now() + request.timeout;
    let mut tail = Tail::new(request.output_cap);
    let mut exit_code = None;
    let mut outcome = OrderOutcome::Succeeded;
    for cmd in &request.cmds {
        tail.push(format!("+ {cmd}\n").as_bytes());
        match runner
            .run_one(request, cmd, deadline, &mut tail, started)
            .await
        {
            Ended::Exited(code) => {
                exit_code = code;
                if code != Some(0) {
                    outcome = OrderOutcome::Failed;
                    break;
                }
            }
            Ended::Stopped => {
                tail.push(b"\nidp: the command was stopped\n");
                exit_code = None;
                outcome = OrderOutcome::Failed;
                break;
            }
            Ended::TimedOut => {
                tail.push(
                    format!(
                        "\nidp: timed out after {}; {}\n",
                        format_duration(request.timeout),
                        runner.timed_out_note()
                    )
                    .as_bytes(),
                );
                exit_code = None;
                outcome = OrderOutcome::TimedOut;
                break;
            }
        }
    }
    ExecResult {
        outcome,
        exit_code,
        output: tail.text(&request.secret_values()),
    }
}
