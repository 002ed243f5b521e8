//! Crash test: `kill -9` under write load loses no acknowledged write.
//!
//! The test re-executes its own binary in "child mode" (the ignored test `crash_child`, selected
//! with `--exact --ignored`, told its data directory by an environment variable). The child
//! commits keys from many concurrent tasks as fast as it can and prints `ACK <key> END` only
//! after the commit of that key returned `Ok`. The parent reads acknowledgements until it has
//! seen enough (or a time bound passes), sends SIGKILL, reads what was already printed, reopens
//! the store and checks every acknowledged key holds its value. It does that twice on the same
//! directory: the second child opens the file the first one left behind after its crash.

use lamina_storage::{Store, WriteBatch};
use lamina_storage_redb::RedbStore;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DIR_VAR: &str = "LAMINA_CRASH_CHILD_DIR";
const ROUND_VAR: &str = "LAMINA_CRASH_CHILD_ROUND";
const WRITERS: usize = 16;
/// The parent kills the child after this many acknowledgements...
const TARGET_ACKS: usize = 5000;
/// ...or after this long, whichever comes first.
const MAX_LOAD_TIME: Duration = Duration::from_secs(4);
/// The child stops by itself after this long, should the parent fail to kill it.
const CHILD_LIFETIME: Duration = Duration::from_secs(60);

fn value_for(key: &str) -> Vec<u8> {
    format!("value of {key} / {}", key.len())
        .repeat(4)
        .into_bytes()
}

/// Child mode: write until killed.
#[test]
#[ignore = "run by `acknowledged_writes_survive_kill_9` as its child process"]
fn crash_child() {
    let (Ok(dir), Ok(round)) = (std::env::var(DIR_VAR), std::env::var(ROUND_VAR)) else {
        panic!("crash_child is the child of acknowledged_writes_survive_kill_9; run that instead");
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let store = RedbStore::open(Path::new(&dir)).expect("child opens the store");
        let writers: Vec<_> = (0..WRITERS)
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
                        println!("ACK {key} END");
                    }
                })
            })
            .collect();
        tokio::time::sleep(CHILD_LIFETIME).await;
        for w in writers {
            w.abort();
        }
    });
}

/// Runs one child until it is killed; returns the keys it acknowledged.
fn crash_round(dir: &Path, round: u32) -> Vec<String> {
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().expect("test binary path"))
        .args([
            "crash_child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .env(ROUND_VAR, round.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // A line cut short by the kill lacks its END and is not an acknowledgement.
            let key = line
                .strip_prefix("ACK ")
                .and_then(|l| l.strip_suffix(" END"));
            if let Some(key) = key
                && tx.send(key.to_owned()).is_err()
            {
                break;
            }
        }
    });
    let mut acked = Vec::new();
    while acked.len() < TARGET_ACKS && started.elapsed() < MAX_LOAD_TIME {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(key) => acked.push(key),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    child.kill().expect("SIGKILL the child");
    let status = child.wait().expect("wait for the child");
    // Everything printed before the kill was acknowledged too.
    reader.join().expect("reader thread");
    acked.extend(rx.try_iter());
    eprintln!(
        "crash round {round}: {} acknowledged writes in {:.2?} before SIGKILL (child {status})",
        acked.len(),
        started.elapsed()
    );
    acked
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
