//! The local backend between real processes: the race tests of the suites already give every
//! task its own `LocalStore`/`LocalLocks` instance (so the advisory file lock, not a mutex,
//! decides), and this one starts this test binary 8 times as separate processes.

#![allow(
    clippy::disallowed_methods,
    reason = "the cross-process race reads its environment, starts processes and signals through files"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use idp_core::adapters::local::LocalStore;
use idp_core::ports::{ObjectStore, PutMode, StoreError};

/// The shared directory, set only for the child processes of the race.
const CHILD_DIR: &str = "IDP_CONFORMANCE_CHILD_DIR";
/// The child's number.
const CHILD_ID: &str = "IDP_CONFORMANCE_CHILD_ID";
const PROCESSES: usize = 8;
/// Keys raced for, one after the other, so that the processes overlap many times.
const ROUNDS: usize = 25;
const CHILD_TEST: &str = "processes::create_only_puts_in_a_fresh_process_win_on_an_empty_directory";

fn key(round: usize) -> String {
    format!("environments/race-{round:02}/metadata.json")
}

async fn wait_for(path: &Path) {
    for _ in 0..30_000 {
        if path.exists() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("`{}` never appeared", path.display());
}

/// Alone, on a fresh directory, every put must win. As one of the race's children (with
/// `IDP_CONFORMANCE_CHILD_DIR` set) it reports ready, waits for the start signal, and every
/// put must either win or be `AlreadyExists`; it records the rounds it won in
/// `won-<id>` for the parent.
#[tokio::test]
async fn create_only_puts_in_a_fresh_process_win_on_an_empty_directory() {
    let fresh;
    let (dir, id) = match (std::env::var_os(CHILD_DIR), std::env::var(CHILD_ID)) {
        (Some(dir), Ok(id)) => {
            let dir = PathBuf::from(dir);
            fs_err::write(dir.join(format!("ready-{id}")), b"").expect("signal ready");
            wait_for(&dir.join("go")).await;
            (dir, Some(id))
        }
        _ => {
            fresh = crate::adapters::temp_dir();
            (fresh.path().to_path_buf(), None)
        }
    };
    let store = LocalStore::new(&dir);
    let name = id.clone().unwrap_or_else(|| "solo".to_owned());
    let mut won = Vec::new();
    for round in 0..ROUNDS {
        match store
            .put(
                &key(round),
                Bytes::from(format!("process {name}")),
                PutMode::CreateOnly,
            )
            .await
        {
            Ok(_) => won.push(round.to_string()),
            Err(StoreError::AlreadyExists { .. }) if id.is_some() => {}
            Err(other) => panic!("round {round} of process {name} failed: {other:?}"),
        }
    }
    match id {
        Some(id) => fs_err::write(dir.join(format!("won-{id}")), won.join("\n"))
            .expect("record the rounds won"),
        None => assert_eq!(won.len(), ROUNDS),
    }
}

#[tokio::test]
async fn race_create_only_puts_from_8_processes_have_exactly_one_winner() {
    let dir = crate::adapters::temp_dir();
    let exe = std::env::current_exe().expect("the test binary");
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            tokio::process::Command::new(&exe)
                .args(["--exact", CHILD_TEST, "--test-threads=1"])
                .env(CHILD_DIR, dir.path())
                .env(CHILD_ID, i.to_string())
                .kill_on_drop(true)
                .output()
        })
        .map(tokio::spawn)
        .collect();
    for i in 0..PROCESSES {
        wait_for(&dir.path().join(format!("ready-{i}"))).await;
    }
    fs_err::write(dir.path().join("go"), b"").expect("start signal");
    let mut winners: Vec<Vec<usize>> = vec![Vec::new(); ROUNDS];
    for (i, child) in children.into_iter().enumerate() {
        let output = child.await.expect("task").expect("the child process ran");
        assert!(
            output.status.success(),
            "process {i} failed: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        let won = fs_err::read_to_string(dir.path().join(format!("won-{i}")))
            .expect("the child's record");
        for round in won
            .lines()
            .map(|r| r.parse::<usize>().expect("a round number"))
        {
            winners[round].push(i);
        }
    }
    let store = LocalStore::new(dir.path());
    for (round, won) in winners.iter().enumerate() {
        assert_eq!(
            won.len(),
            1,
            "round {round}: exactly one process wins, not {won:?}"
        );
        let stored = store.get(&key(round)).await.expect("the winner's object");
        assert_eq!(stored.bytes, Bytes::from(format!("process {}", won[0])));
    }
}
