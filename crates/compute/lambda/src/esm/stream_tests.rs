//! Stream workers end to end: a real Python function on the host's interpreter, the in-memory
//! store, a stream double (records in memory, read after a sequence number) and a queue double
//! for the OnFailure destination.

use super::stream::{Checkpoint, POSITIONS, invocation_record};
use super::{MappingRecord, is_stream_arn};
use crate::code::make_zip;
use crate::{Lambda, LambdaConfig};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use lamina_bus::{
    InvokeResponse, QueueError, QueueMessage, QueueSender, StreamError, StreamEvent, StreamReader,
    StreamShard,
};
use lamina_core::{BoxFuture, Input, RequestContext};
use lamina_storage::Store;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const STREAM: &str =
    "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000";
const DLQ: &str = "arn:aws:sqs:us-east-1:123456789012:dlq";
const SHARD: &str = "shardId-00000001767225600000-0123abcd";

/// The function appends each event to OUT; it raises on an item with `bad`, and reports the
/// records of items with `fail` (once each).
const CODE: &str = "\
import json, os
REPORTED = set()
def handler(event, context):
    with open(os.environ['OUT'], 'a') as f:
        f.write(json.dumps(event) + '\\n')
    images = [r['dynamodb'].get('NewImage', {}) for r in event['Records']]
    if any('bad' in i for i in images):
        raise ValueError('bad')
    failed = []
    for r in event['Records']:
        seq = r['dynamodb']['SequenceNumber']
        if 'fail' in r['dynamodb'].get('NewImage', {}) and seq not in REPORTED:
            REPORTED.add(seq)
            failed.append({'itemIdentifier': seq})
    return {'batchItemFailures': failed}
";

/// A one-shard stream in memory.
#[derive(Default)]
struct Stream {
    records: Mutex<Vec<StreamEvent>>,
}

impl Stream {
    /// Appends a record for item `pk` with the given extra attributes; returns its sequence.
    fn push(&self, name: &str, pk: &str, extra: Value) -> u128 {
        let mut all = self.records.lock().unwrap();
        let seq = 100 + all.len() as u128;
        let mut image = json!({ "pk": { "S": pk } });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            image[k] = v;
        }
        let mut dynamodb = json!({
            "ApproximateCreationDateTime": lamina_core::now_epoch_millis() / 1000,
            "Keys": { "pk": { "S": pk } },
            "SequenceNumber": seq.to_string(),
            "SizeBytes": 10,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        });
        if name != "REMOVE" {
            dynamodb["NewImage"] = image;
        }
        all.push(StreamEvent {
            sequence: seq,
            event: json!({
                "eventID": format!("e{seq}"),
                "eventName": name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": dynamodb,
                "eventSourceARN": STREAM,
            }),
        });
        seq
    }
}

impl StreamReader for Stream {
    fn shards<'a>(&'a self, arn: &'a str) -> BoxFuture<'a, Result<Vec<StreamShard>, StreamError>> {
        Box::pin(async move {
            if arn != STREAM {
                return Err(StreamError {
                    code: "ResourceNotFoundException".into(),
                    message: format!("Requested resource not found: Stream: {arn} not found"),
                });
            }
            let latest = self.records.lock().unwrap().last().map(|r| r.sequence);
            Ok(vec![StreamShard {
                shard_id: SHARD.into(),
                latest,
            }])
        })
    }

    fn read<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        after: Option<u128>,
        limit: usize,
        wait: Duration,
    ) -> BoxFuture<'a, Result<Vec<StreamEvent>, StreamError>> {
        Box::pin(async move {
            let deadline = Instant::now() + wait;
            loop {
                let out: Vec<StreamEvent> = self
                    .records
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|r| after.is_none_or(|a| r.sequence > a))
                    .take(limit)
                    .cloned()
                    .collect();
                if !out.is_empty() || Instant::now() >= deadline {
                    return Ok(out);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    }
}

#[derive(Default)]
struct Sent(Mutex<Vec<(String, String)>>);

impl QueueSender for Sent {
    fn send<'a>(
        &'a self,
        arn: &'a str,
        m: QueueMessage,
    ) -> BoxFuture<'a, Result<String, QueueError>> {
        Box::pin(async move {
            self.0.lock().unwrap().push((arn.to_string(), m.body));
            Ok("id".into())
        })
    }
}

struct T {
    lambda: Arc<Lambda>,
    store: Arc<dyn Store>,
    stream: Arc<Stream>,
    sent: Arc<Sent>,
    out: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl T {
    /// The events the function received, each as the list of its records' `pk`.
    fn batches(&self) -> Vec<Vec<String>> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                v["Records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        r["dynamodb"]["Keys"]["pk"]["S"]
                            .as_str()
                            .unwrap()
                            .to_string()
                    })
                    .collect()
            })
            .collect()
    }

    async fn checkpoint(&self, uuid: &str) -> Option<Checkpoint> {
        let key = crate::store::Scope {
            account: "123456789012".into(),
            region: "us-east-1".into(),
        }
        .key(&[uuid]);
        self.store
            .get(POSITIONS, &key)
            .await
            .unwrap()
            .map(|raw| serde_json::from_slice(&raw).unwrap())
    }
}

fn python_available() -> bool {
    std::process::Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .is_ok_and(|s| s.success())
}

async fn setup() -> T {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("events.jsonl");
    let mut config = LambdaConfig::new(dir.path().join("work"), "http://127.0.0.1:4566".into());
    config.namespaces = false;
    let store: Arc<dyn Store> = lamina_storage_memory::MemoryStore::new();
    let lambda = Lambda::new(store.clone(), config, Arc::new(lamina_bus::NullLogSink));
    let stream = Arc::new(Stream::default());
    let sent = Arc::new(Sent::default());
    lambda.set_stream_reader(stream.clone());
    lambda.set_queue_sender(sent.clone());
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
    .await
    .unwrap();
    T {
        lambda,
        store,
        stream,
        sent,
        out,
        _dir: dir,
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

async fn call(lambda: &Lambda, op: &str, value: Value) -> Result<Value, String> {
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
    .map(|o| o.value)
    .map_err(|e| e.to_string())
}

async fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn records_arrive_in_order_and_a_restart_resumes_behind_the_checkpoint() {
    if !python_available() {
        eprintln!("skipped: no python3");
        return;
    }
    let t = setup().await;
    t.stream.push("INSERT", "a", json!({}));
    t.stream.push("MODIFY", "a", json!({"n": {"N": "2"}}));
    let last = t.stream.push("REMOVE", "a", json!({}));
    let m = call(
        &t.lambda,
        "CreateEventSourceMapping",
        json!({"EventSourceArn": STREAM, "FunctionName": "f", "StartingPosition": "TRIM_HORIZON", "BatchSize": 2}),
    )
    .await
    .unwrap();
    let uuid = m["UUID"].as_str().unwrap().to_string();
    let sup = t.lambda.start_event_source_mappings();
    wait_for("two batches", || t.batches().len() == 2).await;
    assert_eq!(t.batches(), [vec!["a", "a"], vec!["a"]]);
    let text = std::fs::read_to_string(&t.out).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let names: Vec<&str> = first["Records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["INSERT", "MODIFY"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(cp) = t.checkpoint(&uuid).await
            && cp.after == Some(last.to_string())
        {
            assert_eq!(cp.shard_id, SHARD);
            assert_eq!(cp.last_result, "OK");
            break;
        }
        assert!(Instant::now() < deadline, "checkpoint not written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = call(&t.lambda, "GetEventSourceMapping", json!({"UUID": uuid}))
        .await
        .unwrap();
    assert_eq!(got["LastProcessingResult"], "OK");

    // a new supervisor (as after a restart) delivers only what came later
    sup.abort();
    let _ = sup.await;
    t.stream.push("INSERT", "b", json!({}));
    let sup = t.lambda.start_event_source_mappings();
    wait_for("the third batch", || t.batches().len() == 3).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(t.batches()[2], ["b"]);
    assert_eq!(t.batches().len(), 3, "nothing delivered twice");

    // deleting the mapping removes its checkpoint
    call(&t.lambda, "DeleteEventSourceMapping", json!({"UUID": uuid}))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while t.checkpoint(&uuid).await.is_some() {
        assert!(Instant::now() < deadline, "checkpoint not removed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sup.abort();
    t.lambda.shutdown().await;
}

#[tokio::test]
async fn failures_block_the_shard_then_go_to_on_failure_and_partial_responses_resume_at_the_failed_record()
 {
    if !python_available() {
        eprintln!("skipped: no python3");
        return;
    }
    let t = setup().await;
    t.stream.push("INSERT", "ok1", json!({}));
    t.stream
        .push("INSERT", "fail", json!({"fail": {"BOOL": true}}));
    t.stream.push("INSERT", "ok2", json!({}));
    let poison = t
        .stream
        .push("INSERT", "bad", json!({"bad": {"BOOL": true}}));
    t.stream.push("INSERT", "later", json!({}));
    call(
        &t.lambda,
        "CreateEventSourceMapping",
        json!({
            "EventSourceArn": STREAM, "FunctionName": "f", "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 3, "MaximumRetryAttempts": 1,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "DestinationConfig": {"OnFailure": {"Destination": DLQ}},
        }),
    )
    .await
    .unwrap();
    let sup = t.lambda.start_event_source_mappings();
    wait_for("the OnFailure record", || {
        !t.sent.0.lock().unwrap().is_empty()
    })
    .await;
    // the shard moves on
    t.stream.push("INSERT", "next", json!({}));
    wait_for("the next record", || {
        t.batches().last().is_some_and(|b| b == &["next"])
    })
    .await;
    assert_eq!(
        t.batches(),
        [
            vec!["ok1", "fail", "ok2"],
            // the retry starts at the reported record
            vec!["fail", "ok2"],
            // the batch with the poison record and its one retry, then it is discarded whole
            vec!["bad", "later"],
            vec!["bad", "later"],
            vec!["next"],
        ]
    );
    let sent = t.sent.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, DLQ);
    let rec: Value = serde_json::from_str(&sent[0].1).unwrap();
    assert_eq!(rec["requestContext"]["condition"], "RetryAttemptsExhausted");
    assert_eq!(rec["requestContext"]["approximateInvokeCount"], 2);
    assert_eq!(rec["responseContext"]["functionError"], "Unhandled");
    let info = &rec["DDBStreamBatchInfo"];
    assert_eq!(info["shardId"], SHARD);
    assert_eq!(info["streamArn"], STREAM);
    assert_eq!(info["startSequenceNumber"], poison.to_string());
    assert_eq!(info["endSequenceNumber"], (poison + 1).to_string());
    assert_eq!(info["batchSize"], 2);
    sup.abort();
    t.lambda.shutdown().await;
}

#[tokio::test]
async fn bisect_isolates_the_failing_record() {
    if !python_available() {
        eprintln!("skipped: no python3");
        return;
    }
    let t = setup().await;
    for pk in ["a", "b", "c"] {
        t.stream.push("INSERT", pk, json!({}));
    }
    t.stream
        .push("INSERT", "bad", json!({"bad": {"BOOL": true}}));
    call(
        &t.lambda,
        "CreateEventSourceMapping",
        json!({
            "EventSourceArn": STREAM, "FunctionName": "f", "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 4, "MaximumRetryAttempts": 0, "BisectBatchOnFunctionError": true,
            "DestinationConfig": {"OnFailure": {"Destination": DLQ}},
        }),
    )
    .await
    .unwrap();
    let sup = t.lambda.start_event_source_mappings();
    wait_for("the OnFailure record", || {
        !t.sent.0.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(
        t.batches(),
        [
            vec!["a", "b", "c", "bad"],
            vec!["a", "b"],
            vec!["c", "bad"],
            vec!["c"],
            vec!["bad"],
        ]
    );
    let rec: Value = serde_json::from_str(&t.sent.0.lock().unwrap()[0].1).unwrap();
    assert_eq!(rec["DDBStreamBatchInfo"]["batchSize"], 1);
    sup.abort();
    t.lambda.shutdown().await;
}

#[tokio::test]
async fn filters_latest_and_validation() {
    let t = setup().await;
    let err = call(
        &t.lambda,
        "CreateEventSourceMapping",
        json!({"EventSourceArn": STREAM, "FunctionName": "f"}),
    )
    .await
    .unwrap_err();
    assert!(err.contains("Value null at 'startingPosition'"), "{err}");
    let err = call(
        &t.lambda,
        "CreateEventSourceMapping",
        json!({"EventSourceArn": STREAM, "FunctionName": "f", "StartingPosition": "AT_TIMESTAMP"}),
    )
    .await
    .unwrap_err();
    assert!(err.contains("AT_TIMESTAMP"), "{err}");
    let other = STREAM.replace("table/t/", "table/gone/");
    let err = call(
        &t.lambda,
        "CreateEventSourceMapping",
        json!({"EventSourceArn": other, "FunctionName": "f", "StartingPosition": "LATEST"}),
    )
    .await
    .unwrap_err();
    assert!(err.contains("Stream not found"), "{err}");
    for (k, v) in [
        ("MaximumRecordAgeInSeconds", json!(59)),
        ("BatchSize", json!(10001)),
        ("ParallelizationFactor", json!(11)),
        ("TumblingWindowInSeconds", json!(60)),
    ] {
        let mut req =
            json!({"EventSourceArn": STREAM, "FunctionName": "f", "StartingPosition": "LATEST"});
        req[k] = v;
        assert!(
            call(&t.lambda, "CreateEventSourceMapping", req)
                .await
                .is_err(),
            "{k} accepted"
        );
    }
    let mut req = json!({"EventSourceArn": STREAM, "FunctionName": "f", "StartingPosition": "LATEST",
        "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:lambda:us-east-1:123456789012:function:x"}}});
    assert!(
        call(&t.lambda, "CreateEventSourceMapping", req.clone())
            .await
            .is_err()
    );
    req["DestinationConfig"] = json!({"OnFailure": {"Destination": DLQ}});
    t.stream.push("INSERT", "old", json!({}));
    let latest = t.stream.push("INSERT", "older", json!({}));
    req["FilterCriteria"] =
        json!({"Filters": [{"Pattern": r#"{"dynamodb": {"NewImage": {"k": {"S": ["keep"]}}}}"#}]});
    let m = call(&t.lambda, "CreateEventSourceMapping", req)
        .await
        .unwrap();
    assert_eq!(m["BatchSize"], 100);
    assert_eq!(m["StartingPosition"], "LATEST");
    assert_eq!(m["MaximumRetryAttempts"], -1);
    assert_eq!(m["MaximumRecordAgeInSeconds"], -1);
    assert_eq!(m["ParallelizationFactor"], 1);
    assert_eq!(m["LastProcessingResult"], "No records processed");
    assert_eq!(m["DestinationConfig"]["OnFailure"]["Destination"], DLQ);
    let stored: MappingRecord = serde_json::from_slice(
        &t.store
            .get(
                super::TREE,
                &crate::store::Scope {
                    account: "123456789012".into(),
                    region: "us-east-1".into(),
                }
                .key(&[m["UUID"].as_str().unwrap()]),
            )
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(stored.start_after, Some(latest.to_string()));
    if !python_available() {
        return;
    }
    let sup = t.lambda.start_event_source_mappings();
    t.stream
        .push("INSERT", "dropped", json!({"k": {"S": "no"}}));
    t.stream.push("INSERT", "kept", json!({"k": {"S": "keep"}}));
    wait_for("the kept record", || !t.batches().is_empty()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(t.batches(), [vec!["kept"]]);
    sup.abort();
    t.lambda.shutdown().await;
}

#[test]
fn stream_arns_are_told_from_queue_arns() {
    assert!(is_stream_arn(STREAM));
    assert!(!is_stream_arn("arn:aws:sqs:us-east-1:123456789012:q"));
    assert!(!is_stream_arn(
        "arn:aws:dynamodb:us-east-1:123456789012:table/t"
    ));
    assert!(!is_stream_arn(
        "arn:aws:kinesis:us-east-1:123456789012:stream/s"
    ));
    assert!(!is_stream_arn(""));
}

#[test]
fn the_on_failure_record_has_awss_shape() {
    let m = MappingRecord {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        function_name: "f".into(),
        event_source_arn: STREAM.into(),
        ..Default::default()
    };
    let s = Stream::default();
    s.push("INSERT", "a", json!({}));
    s.push("INSERT", "b", json!({}));
    let recs = s.records.lock().unwrap().clone();
    let resp = InvokeResponse {
        status: 200,
        payload: Default::default(),
        function_error: Some("Unhandled".into()),
        executed_version: "$LATEST".into(),
    };
    let r = invocation_record(&m, SHARD, &recs, "RetryAttemptsExhausted", 3, Some(&resp));
    let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
    let mut keys = keys.into_iter().cloned().collect::<Vec<_>>();
    keys.sort();
    assert_eq!(
        keys,
        [
            "DDBStreamBatchInfo",
            "requestContext",
            "responseContext",
            "timestamp",
            "version"
        ]
    );
    assert_eq!(
        r["requestContext"]["functionArn"],
        "arn:aws:lambda:us-east-1:123456789012:function:f"
    );
    assert_eq!(r["responseContext"]["executedVersion"], "$LATEST");
    let info = &r["DDBStreamBatchInfo"];
    assert_eq!(info["startSequenceNumber"], "100");
    assert_eq!(info["endSequenceNumber"], "101");
    let arrival = info["approximateArrivalOfFirstRecord"].as_str().unwrap();
    // 2026-01-01T00:00:00Z: whole seconds, as AWS writes it
    assert_eq!(arrival.len(), 20, "{arrival}");
    assert!(arrival.ends_with('Z'));
    assert!(r["timestamp"].as_str().unwrap().ends_with('Z'));
    let none = invocation_record(&m, SHARD, &recs, "RecordAgeExceeded", 0, None);
    assert!(none.get("responseContext").is_none());
}

#[test]
fn a_stream_mappings_answer_uses_only_model_members() {
    let m = MappingRecord {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        function_name: "f".into(),
        event_source_arn: STREAM.into(),
        batch_size: 100,
        starting_position: Some("LATEST".into()),
        on_failure: Some(DLQ.into()),
        filters: vec!["{}".into()],
        ..Default::default()
    };
    let out = m.to_output();
    lamina_model::conformance::check_serialized("lambda", "EventSourceMappingConfiguration", &out);
    assert_eq!(out["StartingPosition"], "LATEST");
    assert_eq!(out["DestinationConfig"]["OnFailure"]["Destination"], DLQ);
    // an SQS mapping's answer has none of the stream settings
    let sqs = MappingRecord {
        event_source_arn: "arn:aws:sqs:us-east-1:123456789012:q".into(),
        ..m
    }
    .to_output();
    for k in [
        "StartingPosition",
        "MaximumRetryAttempts",
        "DestinationConfig",
        "LastProcessingResult",
    ] {
        assert!(sqs.get(k).is_none(), "{k}");
    }
}

#[tokio::test]
async fn records_older_than_the_maximum_age_go_to_on_failure_without_an_invocation() {
    let t = setup().await;
    t.stream.push("INSERT", "stale", json!({}));
    {
        let mut all = t.stream.records.lock().unwrap();
        let two_hours_ago = lamina_core::now_epoch_millis() / 1000 - 7200;
        all[0].event["dynamodb"]["ApproximateCreationDateTime"] = json!(two_hours_ago);
    }
    call(
        &t.lambda,
        "CreateEventSourceMapping",
        json!({
            "EventSourceArn": STREAM, "FunctionName": "f", "StartingPosition": "TRIM_HORIZON",
            "MaximumRecordAgeInSeconds": 60,
            "DestinationConfig": {"OnFailure": {"Destination": DLQ}},
        }),
    )
    .await
    .unwrap();
    let sup = t.lambda.start_event_source_mappings();
    wait_for("the OnFailure record", || {
        !t.sent.0.lock().unwrap().is_empty()
    })
    .await;
    let rec: Value = serde_json::from_str(&t.sent.0.lock().unwrap()[0].1).unwrap();
    assert_eq!(rec["requestContext"]["condition"], "RecordAgeExceeded");
    assert_eq!(rec["requestContext"]["approximateInvokeCount"], 0);
    assert!(rec.get("responseContext").is_none());
    assert_eq!(rec["DDBStreamBatchInfo"]["batchSize"], 1);
    assert!(t.batches().is_empty(), "the function is not invoked");
    sup.abort();
    t.lambda.shutdown().await;
}
