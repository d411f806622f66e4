//! A request to stop that comes from outside the process: Ctrl-C, or the SIGINT/SIGTERM a CI
//! runner or a service manager sends when a job is cancelled.
//!
//! Killing idp at once would kill OpenTofu with it, and OpenTofu killed mid-apply keeps its state
//! lock and loses the record of what it made since its last state snapshot. So the frontends
//! listen for the signal ([`next_signal`]) and [`request`] a stop; work that must end cleanly
//! holds a [`Shield`] and watches [`requested`] (the OpenTofu adapter sends SIGINT to OpenTofu,
//! which saves its state and releases its lock, and waits a bounded time before it kills it). When
//! nothing is shielded, or on a second signal, the frontend exits at once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static SHIELDS: AtomicUsize = AtomicUsize::new(0);

fn notify() -> &'static Notify {
    static NOTIFY: OnceLock<Notify> = OnceLock::new();
    NOTIFY.get_or_init(Notify::new)
}

/// Asks every shielded piece of work to stop cleanly. Idempotent.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
    notify().notify_waiters();
}

/// Withdraws a stop request once the work it stopped has ended, for a process that goes on
/// after it (the Python module: Ctrl-C stops the call, not the interpreter).
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn is_requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Resolves once a stop is requested (at once if it already was).
pub async fn requested() {
    loop {
        let notified = notify().notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if is_requested() {
            return;
        }
        notified.await;
    }
}

/// Marks work that stops cleanly on [`request`] while it is alive (see [`shield`]).
#[derive(Debug)]
pub struct Shield(());

/// A [`Shield`] for the current piece of work.
pub fn shield() -> Shield {
    SHIELDS.fetch_add(1, Ordering::SeqCst);
    Shield(())
}

impl Drop for Shield {
    fn drop(&mut self) {
        SHIELDS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether some work holds a [`Shield`] (and so stops by itself once a stop is requested).
pub fn is_shielded() -> bool {
    SHIELDS.load(Ordering::SeqCst) > 0
}

/// Which signal arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    /// The exit code of a process stopped by this signal (128 + its number).
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

/// Waits for the next SIGINT or SIGTERM. The first call replaces the default action of both
/// signals (ending the process) for the rest of its life, so call it only from a frontend that
/// then decides what a signal does.
pub async fn next_signal() -> std::io::Result<Signal> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(tokio::select! {
        _ = interrupt.recv() => Signal::Interrupt,
        _ = terminate.recv() => Signal::Terminate,
    })
}

/// Runs `work` until it ends, turning signals into stop requests: the first SIGINT or SIGTERM
/// asks shielded work to stop cleanly and lets it finish (reporting what it did); a signal while
/// nothing is shielded, or a second signal, ends the wait at once with that signal (dropping
/// `work`, which kills any child process it holds). `on_request` is called on the first signal of
/// shielded work, to tell the user what happens.
pub async fn run_until_signal<T>(
    work: impl std::future::Future<Output = T>,
    on_request: impl Fn(Signal),
) -> Result<T, Signal> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return Ok(done),
            signal = next_signal() => {
                // Without signal handling (an unusual sandbox) the work just runs to its end.
                let Ok(signal) = signal else { return Ok(work.await) };
                if is_requested() || !is_shielded() {
                    request();
                    return Err(signal);
                }
                request();
                on_request(signal);
            }
        }
    }
}
