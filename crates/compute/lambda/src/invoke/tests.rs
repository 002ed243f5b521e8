//! The asynchronous queue and the concurrency limits, end to end through the real sandbox
//! manager (a Python function on the host's interpreter) against the in-memory store, with
//! test doubles of the bus traits as destinations.

use super::records::FAILED;
use crate::code::make_zip;
use crate::ops::invoke::QueuedEvent;
use crate::store::{self, Scope};
use crate::{Lambda, LambdaConfig};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use lamina_bus::{QueueError, QueueMessage, QueueSender, TopicMessage, TopicPublisher};
use lamina_core::{AwsError, BoxFuture, Input, RequestContext};
use lamina_storage::{Store, WriteBatch};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:destination";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:dead-letters";

const CODE: &str = "\
import json, time
def handler(event, context):
    with open(event['log'], 'a') as f:
        f.write(context.aws_request_id + ' ' + str(time.time()) + '\\n')
    if event.get('sleep'):
        time.sleep(event['sleep'])
    if event.get('fail'):
        raise ValueError('boom')
    return {'ok': event.get('n', 0)}
";

/// Records what was sent (SQS and SNS doubles).
#[derive(Default)]
struct Sent(Mutex<Vec<(String, String, Value)>>);

impl Sent {
    fn all(&self) -> Vec<(String, String, Value)> {
        self.0.lock().unwrap().clone()
    }
}

impl QueueSender for Sent {
    fn send<'a>(
        &'a self,
        arn: &'a str,
        m: QueueMessage,
    ) -> BoxFuture<'a, Result<String, QueueError>> {
        Box::pin(async move {
            if arn.ends_with(":missing") {
                return Err(QueueError {
                    code: "AWS.SimpleQueueService.NonExistentQueue".into(),
                    message: "The specified queue does not exist.".into(),
                });
            }
            self.0
                .lock()
                .unwrap()
                .push((arn.to_string(), m.body, Value::Object(m.attributes)));
            Ok("id".into())
        })
    }
}

impl TopicPublisher for Sent {
    fn publish<'a>(
        &'a self,
        arn: &'a str,
        m: TopicMessage,
    ) -> BoxFuture<'a, Result<String, QueueError>> {
        Box::pin(async move {
            self.0
                .lock()
                .unwrap()
                .push((arn.to_string(), m.message, Value::Object(m.attributes)));
            Ok("id".into())
        })
    }
}

struct T {
    lambda: Arc<Lambda>,
    store: Arc<dyn Store>,
    dir: tempfile::TempDir,
    sent: Arc<Sent>,
}

fn config(dir: &std::path::Path) -> LambdaConfig {
    let mut c = LambdaConfig::new(dir.join("work"), "http://127.0.0.1:4566".into());
    // the test functions report their runs through files in the test's directory
    c.namespaces = false;
    c.async_retry_delays = vec![Duration::from_millis(200), Duration::from_millis(400)];
    c.async_lease_margin = Duration::ZERO;
    c
}

fn setup() -> T {
    let dir = tempfile::tempdir().expect("tempdir");
    let store: Arc<dyn Store> = lamina_storage_memory::MemoryStore::new();
    let lambda = Lambda::new(
        store.clone(),
        config(dir.path()),
        Arc::new(lamina_bus::NullLogSink),
    );
    let sent = Arc::new(Sent::default());
    lambda.set_queue_sender(sent.clone());
    lambda.set_topic_publisher(sent.clone());
    T {
        lambda,
        store,
        dir,
        sent,
    }
}

fn ctx() -> RequestContext {
    RequestContext {
        request_id: lamina_core::new_request_id(),
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        access_key_id: "test".into(),
        endpoint: String::new(),
    }
}

impl T {
    async fn call(
        &self,
        op: &str,
        value: Value,
        payload: Option<Bytes>,
    ) -> Result<lamina_core::Output, AwsError> {
        crate::ops::call(&self.lambda, &ctx(), op, Input { value, payload })
            .await
            .map_err(AwsError::from)
    }

    async fn ok(&self, op: &str, value: Value) -> Value {
        self.call(op, value, None)
            .await
            .unwrap_or_else(|e| panic!("{op}: {e}"))
            .value
    }

    async fn create(&self, name: &str, extra: Value) {
        let mut v = json!({
            "FunctionName": name,
            "Runtime": "python3.12",
            "Role": "arn:aws:iam::123456789012:role/r",
            "Handler": "index.handler",
            "Timeout": 1,
            "Code": { "ZipFile": B64.encode(make_zip(&[("index.py", CODE.as_bytes(), 0o644)])) },
        });
        if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        self.ok("CreateFunction", v).await;
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// Request ids of the runs, in order.
    fn runs(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.log(name))
            .unwrap_or_default()
            .lines()
            .map(|l| l.split(' ').next().unwrap_or_default().to_string())
            .collect()
    }

    async fn event(&self, name: &str, mut payload: Value) -> u16 {
        payload["log"] = json!(self.log(name));
        let out = self
            .call(
                "Invoke",
                json!({ "FunctionName": name, "InvocationType": "Event" }),
                Some(Bytes::from(payload.to_string())),
            )
            .await
            .unwrap();
        out.value["StatusCode"].as_u64().unwrap() as u16
    }

    async fn sync(&self, name: &str, mut payload: Value) -> Result<lamina_core::Output, AwsError> {
        payload["log"] = json!(self.log(name));
        self.call(
            "Invoke",
            json!({ "FunctionName": name }),
            Some(Bytes::from(payload.to_string())),
        )
        .await
    }

    async fn until<F: Fn(&T) -> bool>(&self, what: &str, secs: u64, f: F) {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            if f(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("timed out waiting for {what}");
    }

    async fn queued(&self) -> usize {
        self.store
            .scan(
                store::EVENTS,
                lamina_storage::Range::all(),
                lamina_storage::Direction::Forward,
                0,
            )
            .await
            .unwrap()
            .len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_with_the_configured_delays_then_on_failure_gets_awss_record() {
    let t = setup();
    t.create("flaky", json!({})).await;
    t.ok(
        "PutFunctionEventInvokeConfig",
        json!({ "FunctionName": "flaky", "DestinationConfig": { "OnFailure": { "Destination": QUEUE } } }),
    )
    .await;
    let _w = t.lambda.start_background();
    let started = Instant::now();
    assert_eq!(t.event("flaky", json!({ "fail": true, "n": 7 })).await, 202);
    t.until("the failure record", 20, |t| !t.sent.all().is_empty())
        .await;
    let elapsed = started.elapsed();
    // one run and two retries, ~200 ms then ~400 ms apart, all with the same request id
    let runs = t.runs("flaky");
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert!(runs.iter().all(|r| r == &runs[0]));
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    let sent = t.sent.all();
    assert_eq!(sent.len(), 1);
    let (arn, body, attrs) = &sent[0];
    assert_eq!(arn, QUEUE);
    assert_eq!(attrs, &json!({}));
    let r: Value = serde_json::from_str(body).unwrap();
    assert_eq!(r["version"], "1.0");
    assert_eq!(r["requestContext"]["requestId"], runs[0].as_str());
    assert_eq!(
        r["requestContext"]["functionArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:flaky:$LATEST"
    );
    assert_eq!(r["requestContext"]["condition"], "RetriesExhausted");
    assert_eq!(r["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(r["requestPayload"]["n"], 7);
    assert_eq!(
        r["responseContext"],
        json!({ "statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled" })
    );
    assert_eq!(r["responsePayload"]["errorType"], "ValueError");
    assert_eq!(r["responsePayload"]["errorMessage"], "boom");
    t.until("the lease to end", 5, |_| true).await;
    assert_eq!(t.queued().await, 0);
    t.lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_destination_and_dead_letter_topic_without_retries() {
    let t = setup();
    t.create("dl", json!({ "DeadLetterConfig": { "TargetArn": TOPIC } }))
        .await;
    t.ok(
        "PutFunctionEventInvokeConfig",
        json!({
            "FunctionName": "dl",
            "MaximumRetryAttempts": 0,
            "DestinationConfig": { "OnSuccess": { "Destination": QUEUE } },
        }),
    )
    .await;
    let _w = t.lambda.start_background();
    t.event("dl", json!({ "n": 1 })).await;
    t.event("dl", json!({ "fail": true, "n": 2 })).await;
    t.until("both outcomes", 20, |t| t.sent.all().len() == 2)
        .await;
    let sent = t.sent.all();
    let ok = sent.iter().find(|s| s.0 == QUEUE).expect("success record");
    let r: Value = serde_json::from_str(&ok.1).unwrap();
    assert_eq!(r["requestContext"]["condition"], "Success");
    assert_eq!(r["requestContext"]["approximateInvokeCount"], 1);
    assert_eq!(
        r["responseContext"],
        json!({ "statusCode": 200, "executedVersion": "$LATEST" })
    );
    assert_eq!(r["responsePayload"], json!({ "ok": 1 }));
    // the dead-letter message is the event itself, with AWS's attributes
    let dl = sent.iter().find(|s| s.0 == TOPIC).expect("dead letter");
    let body: Value = serde_json::from_str(&dl.1).unwrap();
    assert_eq!(body["n"], 2);
    assert_eq!(
        dl.2["ErrorCode"],
        json!({ "DataType": "Number", "StringValue": "200" })
    );
    assert_eq!(
        dl.2["ErrorMessage"],
        json!({ "DataType": "String", "StringValue": "boom" })
    );
    let failed_id = dl.2["RequestID"]["StringValue"]
        .as_str()
        .unwrap()
        .to_string();
    // MaximumRetryAttempts 0: the failing event ran once
    assert_eq!(t.runs("dl").iter().filter(|r| **r == failed_id).count(), 1);
    t.lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_events_without_a_destination_are_kept_and_listed() {
    let t = setup();
    t.create("lost", json!({})).await;
    t.create("unreachable", json!({})).await;
    for name in ["lost", "unreachable"] {
        t.ok(
            "PutFunctionEventInvokeConfig",
            json!({ "FunctionName": name, "MaximumRetryAttempts": 0 }),
        )
        .await;
    }
    t.ok(
        "UpdateFunctionEventInvokeConfig",
        json!({
            "FunctionName": "unreachable",
            "DestinationConfig": { "OnFailure": { "Destination": "arn:aws:sqs:us-east-1:123456789012:missing" } },
        }),
    )
    .await;
    let _w = t.lambda.start_background();
    t.event("lost", json!({ "fail": true })).await;
    t.event("unreachable", json!({ "fail": true })).await;
    let end = Instant::now() + Duration::from_secs(20);
    let list = loop {
        let r = t
            .lambda
            .admin("GET", "/_lamina/lambda/failed-events", "", ACCOUNT, REGION)
            .await;
        assert_eq!(r.status, 200);
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        if v["FailedEvents"].as_array().is_some_and(|a| a.len() == 2) || Instant::now() > end {
            break v["FailedEvents"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let lost = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["functionName"] == "lost")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(lost["condition"], "RetriesExhausted");
    assert_eq!(lost["approximateInvokeCount"], 1);
    assert_eq!(lost["target"], Value::Null);
    assert_eq!(lost["record"]["responsePayload"]["errorMessage"], "boom");
    let unreachable = list
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["functionName"] == "unreachable")
        .unwrap();
    assert!(
        unreachable["deliveryError"]
            .as_str()
            .unwrap()
            .contains("The specified queue does not exist."),
        "{unreachable}"
    );
    // filtered by function; other accounts see nothing
    let r = t
        .lambda
        .admin(
            "GET",
            "/_lamina/lambda/failed-events",
            "function=lost",
            ACCOUNT,
            REGION,
        )
        .await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["FailedEvents"].as_array().unwrap().len(), 1);
    let r = t
        .lambda
        .admin(
            "GET",
            "/_lamina/lambda/failed-events",
            "",
            "000000000000",
            REGION,
        )
        .await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["FailedEvents"], json!([]));
    t.lambda.shutdown().await;
}

/// Puts an event straight into the queue, as Invoke does, with a chosen receive time.
async fn put_event(
    t: &T,
    name: &str,
    payload: Value,
    received: u64,
    due: u64,
    attempts: u32,
) -> String {
    let scope = Scope {
        account: ACCOUNT.into(),
        region: REGION.into(),
    };
    let e = QueuedEvent {
        v: 1,
        id: lamina_core::new_request_id(),
        function_name: name.into(),
        qualifier: None,
        payload: B64.encode(payload.to_string()),
        received,
        attempts,
    };
    let mut b = WriteBatch::new();
    b.put(
        store::EVENTS,
        scope.key(&[&store::pad(due), &e.id]),
        store::encode(&e).unwrap(),
    );
    t.store.commit(b).await.unwrap();
    e.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_older_than_the_maximum_age_are_not_run() {
    let t = setup();
    t.create("old", json!({})).await;
    t.ok(
        "PutFunctionEventInvokeConfig",
        json!({
            "FunctionName": "old",
            "MaximumEventAgeInSeconds": 60,
            "DestinationConfig": { "OnFailure": { "Destination": QUEUE } },
        }),
    )
    .await;
    let now = lamina_core::now_epoch_millis();
    let id = put_event(
        &t,
        "old",
        json!({ "log": t.log("old") }),
        now - 61_000,
        now,
        0,
    )
    .await;
    let _w = t.lambda.start_background();
    t.until("the failure record", 10, |t| !t.sent.all().is_empty())
        .await;
    let r: Value = serde_json::from_str(&t.sent.all()[0].1).unwrap();
    assert_eq!(r["requestContext"]["requestId"], id.as_str());
    assert_eq!(r["requestContext"]["condition"], "EventAgeExceeded");
    assert_eq!(r["requestContext"]["approximateInvokeCount"], 0);
    assert!(t.runs("old").is_empty());
    t.lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_claim_per_event_and_a_crashed_claim_runs_again_after_its_lease() {
    let t = setup();
    t.create("lease", json!({})).await;
    t.ok(
        "PutFunctionEventInvokeConfig",
        json!({ "FunctionName": "lease", "DestinationConfig": { "OnSuccess": { "Destination": QUEUE } } }),
    )
    .await;
    // two workers on one store race for one due event: exactly one claims it
    let other_dir = tempfile::tempdir().unwrap();
    let other = Lambda::new(
        t.store.clone(),
        config(other_dir.path()),
        Arc::new(lamina_bus::NullLogSink),
    );
    let now = lamina_core::now_epoch_millis();
    put_event(
        &t,
        "lease",
        json!({ "log": t.log("lease"), "sleep": 0.3 }),
        now,
        now,
        0,
    )
    .await;
    let (a, b) = tokio::join!(super::queue::pass(&t.lambda), super::queue::pass(&other));
    assert_eq!(a.unwrap().started + b.unwrap().started, 1);
    t.until("the run", 10, |t| t.sent.all().len() == 1).await;
    assert_eq!(t.runs("lease").len(), 1);

    // a claim whose process died: leased (attempt 1 counted) until timeout + margin
    let lease_end = lamina_core::now_epoch_millis() + 1000;
    let id = put_event(
        &t,
        "lease",
        json!({ "log": t.log("lease") }),
        now,
        lease_end,
        1,
    )
    .await;
    let _w = t.lambda.start_background();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(t.runs("lease").len(), 1, "ran before its lease ended");
    t.until("the run after the lease", 10, |t| t.sent.all().len() == 2)
        .await;
    let r: Value = serde_json::from_str(&t.sent.all()[1].1).unwrap();
    assert_eq!(r["requestContext"]["requestId"], id.as_str());
    assert_eq!(r["requestContext"]["approximateInvokeCount"], 2);
    other.shutdown().await;
    t.lambda.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_concurrency_throttles_sync_calls_and_queues_events() {
    let t = setup();
    t.create("one", json!({ "Timeout": 5 })).await;
    t.ok(
        "PutFunctionConcurrency",
        json!({ "FunctionName": "one", "ReservedConcurrentExecutions": 1 }),
    )
    .await;
    let (a, b) = tokio::join!(t.sync("one", json!({ "sleep": 1.0 })), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        t.sync("one", json!({})).await
    });
    assert!(a.is_ok());
    let e = b.expect_err("the second call is throttled");
    assert_eq!(e.code.shape, "TooManyRequestsException");
    assert_eq!(e.code.status, 429);
    assert_eq!(e.message, "Rate Exceeded.");
    assert_eq!(
        e.fields
            .as_ref()
            .and_then(|f| f.get("Reason"))
            .and_then(Value::as_str),
        Some("ReservedFunctionConcurrentInvocationLimitExceeded")
    );
    // afterwards it runs again
    assert!(t.sync("one", json!({})).await.is_ok());

    // events wait for the slot instead of failing: three events of 0.3 s, one at a time
    t.ok(
        "PutFunctionEventInvokeConfig",
        json!({ "FunctionName": "one", "DestinationConfig": { "OnSuccess": { "Destination": QUEUE } } }),
    )
    .await;
    std::fs::remove_file(t.log("one")).unwrap();
    let _w = t.lambda.start_background();
    for _ in 0..3 {
        t.event("one", json!({ "sleep": 0.3 })).await;
    }
    t.until("three successes", 20, |t| t.sent.all().len() == 3)
        .await;
    let starts: Vec<f64> = std::fs::read_to_string(t.log("one"))
        .unwrap()
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap().parse().unwrap())
        .collect();
    assert_eq!(starts.len(), 3);
    let mut s = starts.clone();
    s.sort_by(f64::total_cmp);
    assert!(s[1] - s[0] >= 0.28 && s[2] - s[1] >= 0.28, "{s:?}");
    t.lambda.shutdown().await;
}

#[tokio::test]
async fn code_location_serves_the_package() {
    let t = setup();
    t.create("pkg", json!({})).await;
    let g = t.ok("GetFunction", json!({ "FunctionName": "pkg" })).await;
    let loc = g["Code"]["Location"].as_str().unwrap();
    let path = &loc[loc.find("/_lamina/").unwrap()..];
    let r = t.lambda.admin("GET", path, "", ACCOUNT, REGION).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/zip");
    assert_eq!(
        &r.body[..],
        &make_zip(&[("index.py", CODE.as_bytes(), 0o644)])[..]
    );
    let missing = t
        .lambda
        .admin(
            "GET",
            &format!("/_lamina/lambda/code/{}.zip", "0".repeat(64)),
            "",
            ACCOUNT,
            REGION,
        )
        .await;
    assert_eq!(missing.status, 404);
    let bad = t
        .lambda
        .admin("GET", "/_lamina/lambda/code/../x.zip", "", ACCOUNT, REGION)
        .await;
    assert_eq!(bad.status, 404);
    // nothing is left over in the failed tree either
    assert!(
        t.store
            .scan(
                FAILED,
                lamina_storage::Range::all(),
                lamina_storage::Direction::Forward,
                0
            )
            .await
            .unwrap()
            .is_empty()
    );
}
