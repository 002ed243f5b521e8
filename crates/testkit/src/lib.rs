//! Test support shared by Lamina's tests; a dev-dependency only, never linked into `lamina`.
//!
//! # Crash tests (`kill -9` under load)
//!
//! A crash test re-executes its own test binary as a child process that runs one ignored test,
//! its *child mode*, told what to do by environment variables. The child puts the code under
//! test under load ([`run_child`]) and prints an acknowledgement line `ACK <what> END` ([`ack`])
//! only once `<what>` has been answered as done. The parent ([`CrashChild::run_until_killed`])
//! reads those lines until it has seen enough or a time bound passes, sends SIGKILL, and returns
//! every acknowledgement printed before the kill; the test then reopens the data and checks each
//! one. Running another child on the same directory restarts on what the crash left behind.
//!
//! ```ignore
//! use lamina_testkit::{CrashChild, ack, child_var, run_child};
//!
//! #[test]
//! #[ignore = "run by `writes_survive_kill_9` as its child process"]
//! fn crash_child() {
//!     let dir = child_var("MY_CRASH_DIR", "writes_survive_kill_9");
//!     run_child(async move {
//!         // open the store in `dir`, then spawn writers that call `ack(key)` after each commit
//!         vec![tokio::spawn(async move { ack("k1") })]
//!     });
//! }
//!
//! #[test]
//! fn writes_survive_kill_9() {
//!     let dir = tempfile::tempdir().unwrap();
//!     let acked = CrashChild::new("crash_child")
//!         .env("MY_CRASH_DIR", dir.path())
//!         .run_until_killed(1000, Duration::from_secs(4));
//!     // reopen the store in `dir` and check every key in `acked`
//! }
//! ```

use std::ffi::OsStr;
use std::fmt::Display;
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child stops by itself after this long, should its parent fail to kill it.
pub const CHILD_LIFETIME: Duration = Duration::from_secs(60);

/// The acknowledgement `what` of an `ACK <what> END` line; `None` for any other line, including
/// one cut short by the kill (it lacks its `END`, so it is not an acknowledgement). The first
/// line follows the harness's `test <name> ... ` on the same line (`--nocapture` output is not
/// put on a line of its own), so the `ACK ` is looked for, not expected at the start.
fn parse_ack(line: &str) -> Option<&str> {
    line.split_once("ACK ")?.1.strip_suffix(" END")
}

/// Child mode: prints the acknowledgement line `ACK <what> END`. Call it only once `what` is
/// done (committed, answered); `what` must not contain a line break.
pub fn ack(what: impl Display) {
    println!("ACK {what} END");
}

/// Child mode: the value the parent gave the environment variable `var`. Panics, naming the
/// `parent` test, when the child test was started by hand.
pub fn child_var(var: &str, parent: &str) -> String {
    std::env::var(var)
        .unwrap_or_else(|_| panic!("this test is the child process of {parent}; run that instead"))
}

/// Child mode: runs `start` on a two-worker runtime; the tasks it returns work until the parent
/// kills the process (after [`CHILD_LIFETIME`] they are aborted and the child returns).
pub fn run_child(start: impl Future<Output = Vec<tokio::task::JoinHandle<()>>>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let tasks = start.await;
        tokio::time::sleep(CHILD_LIFETIME).await;
        for t in tasks {
            t.abort();
        }
    });
}

/// The parent's side: the current test binary, started to run only the ignored test that is
/// its child mode.
pub struct CrashChild {
    test: String,
    cmd: Command,
}

impl CrashChild {
    /// A child running the ignored test `test` (matched exactly) of this test binary.
    pub fn new(test: &str) -> Self {
        let mut cmd = Command::new(std::env::current_exe().expect("test binary path"));
        cmd.args([
            test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        CrashChild {
            test: test.to_owned(),
            cmd,
        }
    }

    /// Sets an environment variable of the child (its data directory, its round, …).
    pub fn env(mut self, var: &str, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(var, value);
        self
    }

    /// Starts the child, reads its acknowledgements until there are `target_acks` of them or
    /// `max_load_time` has passed, kills it with SIGKILL and returns every acknowledgement it
    /// printed before it died, in the order printed.
    pub fn run_until_killed(mut self, target_acks: usize, max_load_time: Duration) -> Vec<String> {
        let started = Instant::now();
        let mut child = self.cmd.spawn().expect("spawn child");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(ack) = parse_ack(&line)
                    && tx.send(ack.to_owned()).is_err()
                {
                    break;
                }
            }
        });
        let mut acked = Vec::new();
        while acked.len() < target_acks && started.elapsed() < max_load_time {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(a) => acked.push(a),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        // Child::kill sends SIGKILL on Unix.
        child.kill().expect("SIGKILL the child");
        let status = child.wait().expect("wait for the child");
        // Everything printed before the kill was acknowledged too.
        reader.join().expect("reader thread");
        acked.extend(rx.try_iter());
        eprintln!(
            "{}: {} acknowledgements in {:.2?} before SIGKILL (child {status})",
            self.test,
            acked.len(),
            started.elapsed()
        );
        acked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_ack_lines_are_acknowledgements() {
        assert_eq!(
            parse_ack("ACK PUT w1-00000001 END"),
            Some("PUT w1-00000001")
        );
        assert_eq!(parse_ack("ACK PUT w1-000"), None, "cut short by the kill");
        assert_eq!(parse_ack("running 1 test"), None);
        assert_eq!(parse_ack("ACK  END"), Some(""));
        assert_eq!(
            parse_ack("test tests::testkit_child ... ACK n 7 END"),
            Some("n 7"),
            "the first line, behind libtest's"
        );
    }

    /// The child mode of `kills_the_child_and_keeps_its_acknowledgements`.
    #[test]
    #[ignore = "run by `kills_the_child_and_keeps_its_acknowledgements` as its child process"]
    fn testkit_child() {
        let start = child_var(
            "LAMINA_TESTKIT_START",
            "kills_the_child_and_keeps_its_acknowledgements",
        );
        run_child(async move {
            vec![tokio::spawn(async move {
                for i in start.parse::<u64>().expect("number").. {
                    ack(format_args!("n {i}"));
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })]
        });
    }

    #[test]
    fn kills_the_child_and_keeps_its_acknowledgements() {
        let started = Instant::now();
        let acked = CrashChild::new("tests::testkit_child")
            .env("LAMINA_TESTKIT_START", "7")
            .run_until_killed(20, Duration::from_secs(20));
        // killed long before its lifetime, with at least the acknowledgements asked for
        assert!(
            started.elapsed() < CHILD_LIFETIME / 2,
            "{:?}",
            started.elapsed()
        );
        assert!(acked.len() >= 20, "{}", acked.len());
        for (i, a) in acked.iter().enumerate() {
            assert_eq!(a, &format!("n {}", i + 7));
        }
    }

    #[test]
    fn stops_at_the_time_bound_when_acknowledgements_are_few() {
        let started = Instant::now();
        let acked = CrashChild::new("tests::testkit_child")
            .env("LAMINA_TESTKIT_START", "0")
            .run_until_killed(usize::MAX, Duration::from_millis(500));
        let took = started.elapsed();
        assert!(
            took >= Duration::from_millis(500) && took < CHILD_LIFETIME / 2,
            "{took:?}"
        );
        assert!(!acked.is_empty());
    }
}
