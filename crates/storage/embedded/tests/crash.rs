//! Crash test: `kill -9` under write load loses no acknowledged write.
//!
//! The test re-executes its own binary in "child mode" (the ignored test `crash_child`, told
//! its data directory by an environment variable; the harness is `lamina_testkit`). The child
//! commits keys from many concurrent tasks as fast as it can and prints `ACK <key> END` only
//! after the commit of that key returned `Ok`. The parent reads acknowledgements until it has
//! seen enough (or a time bound passes), sends SIGKILL, reads what was already printed, reopens
//! the store and checks every acknowledged key holds its value. It does that twice on the same
//! directory: the second child opens the file the first one left behind after its crash.

use lamina_storage::{Store, WriteBatch};
use lamina_storage_redb::RedbStore;
use lamina_testkit::{CrashChild, ack, child_var, run_child};
use std::path::Path;
use std::time::{Duration, Instant};

const DIR_VAR: &str = "LAMINA_CRASH_CHILD_DIR";
const ROUND_VAR: &str = "LAMINA_CRASH_CHILD_ROUND";
const WRITERS: usize = 16;
/// The parent kills the child after this many acknowledgements...
const TARGET_ACKS: usize = 5000;
/// ...or after this long, whichever comes first.
const MAX_LOAD_TIME: Duration = Duration::from_secs(4);

fn value_for(key: &str) -> Vec<u8> {
    format!("value of {key} / {}", key.len())
        .repeat(4)
        .into_bytes()
}

/// Child mode: write until killed.
#[test]
#[ignore = "run by `acknowledged_writes_survive_kill_9` as its child process"]
fn crash_child() {
    let dir = child_var(DIR_VAR, "acknowledged_writes_survive_kill_9");
    let round = child_var(ROUND_VAR, "acknowledged_writes_survive_kill_9");
    run_child(async move {
        let store = RedbStore::open(Path::new(&dir)).expect("child opens the store");
        (0..WRITERS)
            .map(|w| {
                let store = store.clone();
                let round = round.clone();
                tokio::spawn(async move {
                    for i in 0.. {
                        let key = format!("r{round}-w{w:02}-{i:08}");
                        let mut b = WriteBatch::new();
                        // Two trees in one batch: both must survive together.
                        b.put("crash", key.as_bytes(), value_for(&key));
                        b.put("crash-index", key.as_bytes(), "");
                        store.commit(b).await.expect("child commit");
                        ack(&key);
                    }
                })
            })
            .collect()
    });
}

/// Runs one child until it is killed; returns the keys it acknowledged.
fn crash_round(dir: &Path, round: u32) -> Vec<String> {
    CrashChild::new("crash_child")
        .env(DIR_VAR, dir)
        .env(ROUND_VAR, round.to_string())
        .run_until_killed(TARGET_ACKS, MAX_LOAD_TIME)
}

/// Reopens the store and checks every acknowledged key.
fn verify(dir: &Path, acked: &[String]) {
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let store = RedbStore::open(dir).expect("reopen after kill -9");
        for key in acked {
            let got = store.get("crash", key.as_bytes()).await.expect("get");
            assert_eq!(
                got.as_deref(),
                Some(value_for(key).as_slice()),
                "acknowledged key {key} lost"
            );
            let idx = store.get("crash-index", key.as_bytes()).await.expect("get");
            assert_eq!(idx, Some(Vec::new()), "half of the batch of {key} lost");
        }
        store.close().await.expect("close");
    });
    eprintln!(
        "verified {} keys after reopen in {:.2?}",
        acked.len(),
        started.elapsed()
    );
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut all = Vec::new();
    for round in 0..2 {
        let acked = crash_round(dir.path(), round);
        assert!(
            acked.len() >= 100,
            "round {round}: the child acknowledged only {} writes",
            acked.len()
        );
        all.extend(acked);
        // Check everything from every round so far: a crash must not damage older data either.
        verify(dir.path(), &all);
    }
}
