//! Pollers end to end: a real Python function on the host's interpreter, the in-memory store,
//! and a queue double that records what was deleted.

use super::poller::{failed_items, filter_view, record};
use crate::code::make_zip;
use crate::{Lambda, LambdaConfig};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use lamina_bus::{QueueConsumer, QueueError, QueueInfo, ReceivedMessage};
use lamina_core::{BoxFuture, Input, RequestContext};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:work";

const CODE: &str = "\
import json, os
def handler(event, context):
    with open(os.environ['OUT'], 'a') as f:
        f.write(json.dumps(event) + '\\n')
    if any(r['body'] == 'crash' for r in event['Records']):
        raise ValueError('crash')
    return {'batchItemFailures': [{'itemIdentifier': r['messageId']} for r in event['Records'] if 'fail' in r['body']]}
";

/// Messages by id; a receive hides what it returns, a delete removes it.
#[derive(Default)]
struct Queue {
    messages: Mutex<Vec<(ReceivedMessage, bool)>>,
    deleted: Mutex<HashSet<String>>,
}

impl Queue {
    fn push(&self, id: &str, body: &str) {
        let mut attributes = BTreeMap::new();
        for (k, v) in [
            ("ApproximateReceiveCount", "1"),
            ("SentTimestamp", "1700000000000"),
            ("SenderId", "123456789012"),
            ("ApproximateFirstReceiveTimestamp", "1700000000001"),
            ("DeadLetterQueueSourceArn", "not in the event"),
        ] {
            attributes.insert(k.to_string(), v.to_string());
        }
        let mut ma = serde_json::Map::new();
        ma.insert(
            "a".into(),
            json!({"DataType": "String", "StringValue": "x"}),
        );
        let m = ReceivedMessage {
            message_id: id.into(),
            receipt_handle: format!("h-{id}"),
            body: body.into(),
            attributes,
            message_attributes: ma,
            md5_of_body: "0".repeat(32),
        };
        self.messages.lock().unwrap().push((m, true));
    }
    fn deleted(&self) -> HashSet<String> {
        self.deleted.lock().unwrap().clone()
    }
}

impl QueueConsumer for Queue {
    fn queue_info<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<QueueInfo, QueueError>> {
        Box::pin(async {
            Ok(QueueInfo {
                fifo: false,
                visibility_timeout: 30,
            })
        })
    }
    fn receive<'a>(
        &'a self,
        _: &'a str,
        max: u32,
        _: Option<u64>,
        _: u64,
    ) -> BoxFuture<'a, Result<Vec<ReceivedMessage>, QueueError>> {
        Box::pin(async move {
            let out: Vec<ReceivedMessage> = {
                let mut all = self.messages.lock().unwrap();
                all.iter_mut()
                    .filter(|(_, visible)| *visible)
                    .take(max as usize)
                    .map(|(m, visible)| {
                        *visible = false;
                        m.clone()
                    })
                    .collect()
            };
            if out.is_empty() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Ok(out)
        })
    }
    fn delete_batch<'a>(
        &'a self,
        _: &'a str,
        handles: Vec<String>,
    ) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async move {
            let mut d = self.deleted.lock().unwrap();
            for h in handles {
                d.insert(h.trim_start_matches("h-").to_string());
            }
            Ok(())
        })
    }
    fn change_visibility<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: u64,
    ) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async { Ok(()) })
    }
}

fn ctx() -> RequestContext {
    RequestContext {
        request_id: lamina_core::new_request_id(),
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        access_key_id: "test".into(),
        endpoint: "http://127.0.0.1:4566".into(),
    }
}

async fn call(lambda: &Lambda, op: &str, value: Value) -> Value {
    crate::ops::call(
        lambda,
        &ctx(),
        op,
        Input {
            value,
            payload: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{op}: {e}"))
    .value
}

fn python_available() -> bool {
    std::process::Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .is_ok_and(|s| s.success())
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_poller_filters_invokes_and_deletes_only_what_succeeded() {
    if !python_available() {
        eprintln!("skipped: no python3");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let mut config = LambdaConfig::new(dir.path().join("work"), "http://127.0.0.1:4566".into());
    // the function reports the events it got through a file in the test's directory
    config.namespaces = false;
    let lambda = Lambda::new(
        lamina_storage_memory::MemoryStore::new(),
        config,
        Arc::new(lamina_bus::NullLogSink),
    );
    let queue = Arc::new(Queue::default());
    lambda.set_queue_consumer(queue.clone());
    call(
        &lambda,
        "CreateFunction",
        json!({
            "FunctionName": "f", "Runtime": "python3.12", "Handler": "index.handler",
            "Role": "arn:aws:iam::123456789012:role/r",
            "Code": {"ZipFile": B64.encode(make_zip(&[("index.py", CODE.as_bytes(), 0o644)]))},
            "Environment": {"Variables": {"OUT": out.to_string_lossy()}},
        }),
    )
    .await;
    queue.push("m1", r#"{"keep": true, "n": 1}"#);
    queue.push("m2", r#"{"keep": true, "n": 2, "s": "fail"}"#);
    queue.push("m3", "plain text, filtered out");
    call(
        &lambda,
        "CreateEventSourceMapping",
        json!({
            "EventSourceArn": QUEUE, "FunctionName": "f", "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": 2},
            "FilterCriteria": {"Filters": [{"Pattern": "{\"body\": {\"keep\": [true]}}"}]},
        }),
    )
    .await;
    let sup = lambda.start_event_source_mappings();
    wait_for("m1 and m3 deleted", || {
        let d = queue.deleted();
        d.contains("m1") && d.contains("m3")
    })
    .await;
    assert!(
        !queue.deleted().contains("m2"),
        "a reported failure stays in the queue"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let event: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let records = event["Records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "the filtered message is not delivered");
    assert_eq!(
        records[0],
        json!({
            "messageId": "m1",
            "receiptHandle": "h-m1",
            "body": r#"{"keep": true, "n": 1}"#,
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1700000000000",
                "SenderId": "123456789012",
                "ApproximateFirstReceiveTimestamp": "1700000000001",
            },
            "messageAttributes": {"a": {"stringValue": "x", "stringListValues": [], "binaryListValues": [], "dataType": "String"}},
            "md5OfBody": "0".repeat(32),
            "eventSource": "aws:sqs",
            "eventSourceARN": QUEUE,
            "awsRegion": "us-east-1",
        })
    );

    // a function error leaves the whole batch
    let uuid = list_uuid(&lambda).await;
    call(
        &lambda,
        "UpdateEventSourceMapping",
        json!({"UUID": uuid, "FilterCriteria": {"Filters": []}}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while call(&lambda, "GetEventSourceMapping", json!({"UUID": uuid})).await["State"] != "Enabled"
    {
        assert!(Instant::now() < deadline, "mapping not enabled again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // the pollers restarted without the filter
    tokio::time::sleep(Duration::from_millis(200)).await;
    queue.push("c1", r#"{"keep": true}"#);
    queue.push("c2", "crash");
    wait_for("the crash batch ran", || {
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .contains("crash")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let d = queue.deleted();
    assert!(!d.contains("c1") && !d.contains("c2"), "{d:?}");
    sup.abort();
    lambda.shutdown().await;
}

async fn list_uuid(lambda: &Lambda) -> String {
    let v = call(lambda, "ListEventSourceMappings", json!({})).await;
    v["EventSourceMappings"][0]["UUID"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn partial_batch_responses_follow_awss_rules() {
    let ids = ["a", "b"];
    let ok = |p: &str| {
        failed_items(p.as_bytes(), &ids).map(|s| {
            let mut v: Vec<&str> = s.into_iter().collect();
            v.sort();
            v
        })
    };
    assert_eq!(ok(""), Some(vec![]));
    assert_eq!(ok("null"), Some(vec![]));
    assert_eq!(ok("{}"), Some(vec![]));
    assert_eq!(ok(r#"{"batchItemFailures": []}"#), Some(vec![]));
    assert_eq!(ok(r#"{"batchItemFailures": null}"#), Some(vec![]));
    assert_eq!(
        ok(r#"{"batchItemFailures": [{"itemIdentifier": "b"}]}"#),
        Some(vec!["b"])
    );
    // complete failures
    assert_eq!(ok("not json"), None);
    assert_eq!(
        ok(r#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#),
        None
    );
    assert_eq!(
        ok(r#"{"batchItemFailures": [{"itemIdentifier": null}]}"#),
        None
    );
    assert_eq!(ok(r#"{"batchItemFailures": [{"id": "a"}]}"#), None);
    assert_eq!(
        ok(r#"{"batchItemFailures": [{"itemIdentifier": "zz"}]}"#),
        None
    );
    assert_eq!(ok(r#"{"batchItemFailures": "a"}"#), None);
}

#[test]
fn fifo_records_and_the_filter_view() {
    let mut attributes = BTreeMap::new();
    for (k, v) in [
        ("ApproximateReceiveCount", "2"),
        ("SentTimestamp", "1"),
        ("SequenceNumber", "18849496460467696128"),
        ("MessageGroupId", "g"),
        ("SenderId", "s"),
        ("MessageDeduplicationId", "d"),
        ("ApproximateFirstReceiveTimestamp", "2"),
    ] {
        attributes.insert(k.to_string(), v.to_string());
    }
    let m = ReceivedMessage {
        message_id: "id".into(),
        receipt_handle: "h".into(),
        body: r#"{"k": [1, 2]}"#.into(),
        attributes,
        message_attributes: serde_json::Map::new(),
        md5_of_body: "m".into(),
    };
    let r = record(&m, "arn:aws:sqs:eu-west-1:1:q.fifo", "eu-west-1");
    let keys: Vec<&String> = r["attributes"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "ApproximateReceiveCount",
            "SentTimestamp",
            "SequenceNumber",
            "MessageGroupId",
            "SenderId",
            "MessageDeduplicationId",
            "ApproximateFirstReceiveTimestamp"
        ]
    );
    assert_eq!(r["awsRegion"], "eu-west-1");
    assert_eq!(filter_view(&r)["body"]["k"], json!([1, 2]));
    assert_eq!(r["body"], r#"{"k": [1, 2]}"#);
}
