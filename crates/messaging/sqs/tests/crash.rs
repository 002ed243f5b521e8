//! Crash test (issue 6, "Done means"): producers sending and consumers receiving and deleting
//! through the SQS service on the embedded (redb) store, `kill -9`, reopen: no acknowledged
//! message is lost, and none that was received (and not deleted) is visible again before its
//! visibility timeout ends.
//!
//! The test re-executes its own binary in "child mode" (the ignored test `sqs_crash_child`,
//! told its data directory by an environment variable; the harness is `lamina_testkit`). The
//! child prints `ACK SENT b END` after SendMessage answered, `ACK RECV b END` after a
//! ReceiveMessage returned b (visibility timeout 600 s), and `ACK DELETING b END` *before* it
//! asks to delete b (a delete may commit without its line being printed).

use lamina_core::{Input, RequestContext, Service};
use lamina_sqs::SqsService;
use lamina_storage_redb::RedbStore;
use lamina_testkit::{CrashChild, ack, child_var, run_child};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const DIR_VAR: &str = "LAMINA_SQS_CRASH_DIR";
const PRODUCERS: usize = 4;
const CONSUMERS: usize = 2;
const TARGET_ACKS: usize = 1500;
const MAX_LOAD_TIME: Duration = Duration::from_secs(6);
const URL: &str = "http://localhost:4566/000000000000/crash";

fn ctx() -> RequestContext {
    RequestContext {
        request_id: "crash".into(),
        account_id: "000000000000".into(),
        region: "us-east-1".into(),
        access_key_id: String::new(),
        endpoint: "http://localhost:4566".into(),
    }
}

async fn call(svc: &SqsService, op: &str, value: Value) -> Result<Value, String> {
    svc.call(
        &ctx(),
        op,
        Input {
            value,
            payload: None,
        },
    )
    .await
    .map(|o| o.value)
    .map_err(|e| format!("{}: {}", e.code.shape, e.message))
}

/// Child mode: send, receive and delete until killed.
#[test]
#[ignore = "run by `sqs_acknowledged_messages_survive_kill_9` as its child process"]
fn sqs_crash_child() {
    let dir = child_var(DIR_VAR, "sqs_acknowledged_messages_survive_kill_9");
    run_child(async move {
        let store = RedbStore::open(Path::new(&dir)).expect("child opens the store");
        let svc = Arc::new(SqsService::with_store(store));
        call(
            &svc,
            "CreateQueue",
            json!({"QueueName": "crash", "Attributes": {"VisibilityTimeout": "600"}}),
        )
        .await
        .expect("CreateQueue");
        let mut tasks = Vec::new();
        for p in 0..PRODUCERS {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0u64.. {
                    let body = format!("p{p}-{i:08}");
                    call(
                        &svc,
                        "SendMessage",
                        json!({"QueueUrl": URL, "MessageBody": body}),
                    )
                    .await
                    .expect("SendMessage");
                    ack(format_args!("SENT {body}"));
                }
            }));
        }
        for _ in 0..CONSUMERS {
            let svc = svc.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let r = call(
                        &svc,
                        "ReceiveMessage",
                        json!({"QueueUrl": URL, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1}),
                    )
                    .await
                    .expect("ReceiveMessage");
                    let msgs = r["Messages"].as_array().cloned().unwrap_or_default();
                    for m in &msgs {
                        ack(format_args!("RECV {}", m["Body"].as_str().unwrap_or("?")));
                    }
                    // delete every other message; the rest stay in flight
                    for m in msgs.iter().step_by(2) {
                        ack(format_args!(
                            "DELETING {}",
                            m["Body"].as_str().unwrap_or("?")
                        ));
                        call(
                            &svc,
                            "DeleteMessage",
                            json!({"QueueUrl": URL, "ReceiptHandle": m["ReceiptHandle"]}),
                        )
                        .await
                        .expect("DeleteMessage");
                    }
                }
            }));
        }
        tasks
    });
}

/// Runs the child until it is killed; returns its acknowledgements (`SENT b` / `RECV b` /
/// `DELETING b`).
fn crash_round(dir: &Path) -> Vec<String> {
    CrashChild::new("sqs_crash_child")
        .env(DIR_VAR, dir)
        .run_until_killed(TARGET_ACKS, MAX_LOAD_TIME)
}

fn verify(dir: &Path, acked: &[String]) {
    let mut sent = BTreeSet::new();
    let mut received = BTreeSet::new();
    let mut deleting = BTreeSet::new();
    for a in acked {
        match a.split_once(' ') {
            Some(("SENT", b)) => sent.insert(b.to_string()),
            Some(("RECV", b)) => received.insert(b.to_string()),
            Some(("DELETING", b)) => deleting.insert(b.to_string()),
            _ => panic!("unexpected acknowledgement {a}"),
        };
    }
    assert!(!received.is_empty(), "the consumers received nothing");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let store = RedbStore::open(dir).expect("reopen after kill -9");
        let svc = SqsService::with_store(store.clone());
        // Everything a consumer can receive now.
        let mut visible = BTreeSet::new();
        loop {
            let r = call(&svc, "ReceiveMessage", json!({"QueueUrl": URL, "MaxNumberOfMessages": 10}))
                .await
                .expect("ReceiveMessage after restart");
            let msgs = r["Messages"].as_array().cloned().unwrap_or_default();
            if msgs.is_empty() {
                break;
            }
            for m in msgs {
                visible.insert(m["Body"].as_str().unwrap_or("?").to_string());
            }
        }
        let attrs = call(&svc, "GetQueueAttributes", json!({"QueueUrl": URL, "AttributeNames": ["All"]}))
            .await
            .expect("GetQueueAttributes");
        let in_flight: u64 = attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("count");
        for b in &received {
            if !deleting.contains(b) {
                assert!(
                    !visible.contains(b),
                    "{b} was received before the crash and is visible again before its visibility timeout"
                );
            }
        }
        // Every acknowledged message not being deleted is still there: visible now (never
        // received), or in flight. A message the child received just before the kill, but
        // whose `ACK RECV` line never got out, is in flight without being in `received`;
        // so the unexplained ones must fit in the in-flight count beside the received ones.
        let missing: Vec<&String> = sent
            .iter()
            .filter(|b| !deleting.contains(*b) && !visible.contains(*b) && !received.contains(*b))
            .collect();
        let received_kept = received.iter().filter(|b| !deleting.contains(*b)).count() as u64;
        assert!(
            in_flight >= received_kept + missing.len() as u64,
            "acknowledged messages lost: {} in flight, but {received_kept} received and kept before the crash plus {} neither visible nor received: {missing:?}",
            in_flight,
            missing.len()
        );
        lamina_storage::Store::close(store.as_ref()).await.expect("close");
    });
}

#[test]
fn sqs_acknowledged_messages_survive_kill_9() {
    let dir = tempfile::tempdir().expect("temp dir");
    let acked = crash_round(dir.path());
    assert!(
        acked.len() >= 50,
        "the child acknowledged only {} events",
        acked.len()
    );
    verify(dir.path(), &acked);
}
