//! The event source mapping API against the in-memory store, with a queue double: what a
//! client sees for each operation and error, and the supervisor's state transitions.

use super::*;
use crate::ops::tests::{ACCOUNT, REGION, setup};
use lamina_bus::{QueueConsumer, QueueError, QueueInfo, ReceivedMessage};
use lamina_core::BoxFuture;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

const QUEUE: &str = "arn:aws:sqs:us-east-1:123456789012:work";
const FIFO: &str = "arn:aws:sqs:us-east-1:123456789012:work.fifo";

/// Knows two queues and holds no messages.
struct Queues;

impl QueueConsumer for Queues {
    fn queue_info<'a>(
        &'a self,
        arn: &'a str,
    ) -> BoxFuture<'a, std::result::Result<QueueInfo, QueueError>> {
        Box::pin(async move {
            if arn == QUEUE || arn == FIFO {
                Ok(QueueInfo {
                    fifo: arn.ends_with(".fifo"),
                    visibility_timeout: 30,
                })
            } else {
                Err(QueueError {
                    code: "AWS.SimpleQueueService.NonExistentQueue".into(),
                    message: "The specified queue does not exist.".into(),
                })
            }
        })
    }
    fn receive<'a>(
        &'a self,
        _: &'a str,
        _: u32,
        _: Option<u64>,
        _: u64,
    ) -> BoxFuture<'a, std::result::Result<Vec<ReceivedMessage>, QueueError>> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(Vec::new())
        })
    }
    fn delete_batch<'a>(
        &'a self,
        _: &'a str,
        _: Vec<String>,
    ) -> BoxFuture<'a, std::result::Result<(), QueueError>> {
        Box::pin(async { Ok(()) })
    }
    fn change_visibility<'a>(
        &'a self,
        _: &'a str,
        _: &'a str,
        _: u64,
    ) -> BoxFuture<'a, std::result::Result<(), QueueError>> {
        Box::pin(async { Ok(()) })
    }
}

fn fn_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

#[tokio::test]
async fn create_get_list_update_delete() {
    let t = setup();
    t.lambda.set_queue_consumer(Arc::new(Queues));
    t.create("f").await;
    let m = t
        .ok(
            "CreateEventSourceMapping",
            json!({"EventSourceArn": QUEUE, "FunctionName": "f"}),
        )
        .await;
    let uuid = m["UUID"].as_str().unwrap().to_string();
    assert_eq!(uuid.len(), 36);
    assert_eq!(m["State"], "Creating");
    assert_eq!(m["StateTransitionReason"], "USER_INITIATED");
    assert_eq!(m["BatchSize"], 10);
    assert_eq!(m["MaximumBatchingWindowInSeconds"], 0);
    assert_eq!(m["FunctionArn"], fn_arn("f"));
    assert_eq!(m["EventSourceArn"], QUEUE);
    assert_eq!(m["FunctionResponseTypes"], json!([]));
    assert_eq!(
        m["EventSourceMappingArn"],
        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:{uuid}")
    );
    assert!(m.get("FilterCriteria").is_none());
    assert!(m["LastModified"].as_f64().unwrap() > 1.6e9);

    // the supervisor settles the state
    let sup = t.lambda.start_event_source_mappings();
    let state = |v: &Value| v["State"].as_str().unwrap_or_default().to_string();
    let mut got = Value::Null;
    for _ in 0..100 {
        got = t.ok("GetEventSourceMapping", json!({"UUID": uuid})).await;
        if state(&got) == "Enabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state(&got), "Enabled");

    // duplicates conflict with AWS's message
    let (code, msg) = t
        .err(
            "CreateEventSourceMapping",
            json!({"EventSourceArn": QUEUE, "FunctionName": fn_arn("f")}),
        )
        .await;
    assert_eq!(code, "ResourceConflictException");
    assert_eq!(
        msg,
        format!(
            "An event source mapping with SQS arn (\" {QUEUE} \") and function (\" f \") already exists. Please update or \
             delete the existing mapping with UUID {uuid}"
        )
    );

    // a second mapping with a qualifier, filters and scaling
    t.ok(
        "CreateAlias",
        json!({"FunctionName": "f", "Name": "live", "FunctionVersion": "$LATEST"}),
    )
    .await;
    let m2 = t
        .ok(
            "CreateEventSourceMapping",
            json!({
                "EventSourceArn": QUEUE, "FunctionName": "f:live", "BatchSize": 100,
                "MaximumBatchingWindowInSeconds": 2, "Enabled": false,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "ScalingConfig": {"MaximumConcurrency": 2},
                "FilterCriteria": {"Filters": [{"Pattern": "{\"body\": {\"k\": [\"v\"]}}"}]},
            }),
        )
        .await;
    assert_eq!(m2["FunctionArn"], format!("{}:live", fn_arn("f")));
    assert_eq!(m2["ScalingConfig"], json!({"MaximumConcurrency": 2}));
    assert_eq!(
        m2["FilterCriteria"],
        json!({"Filters": [{"Pattern": "{\"body\": {\"k\": [\"v\"]}}"}]})
    );
    assert_eq!(
        m2["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    let uuid2 = m2["UUID"].as_str().unwrap().to_string();

    let all = t.ok("ListEventSourceMappings", json!({})).await;
    assert_eq!(all["EventSourceMappings"].as_array().unwrap().len(), 2);
    let by_fn = t
        .ok("ListEventSourceMappings", json!({"FunctionName": "f:live"}))
        .await;
    assert_eq!(by_fn["EventSourceMappings"][0]["UUID"], uuid2.as_str());
    assert_eq!(by_fn["EventSourceMappings"].as_array().unwrap().len(), 1);
    let page1 = t
        .ok(
            "ListEventSourceMappings",
            json!({"EventSourceArn": QUEUE, "MaxItems": 1}),
        )
        .await;
    assert_eq!(page1["EventSourceMappings"].as_array().unwrap().len(), 1);
    let marker = page1["NextMarker"].as_str().unwrap();
    let page2 = t
        .ok(
            "ListEventSourceMappings",
            json!({"EventSourceArn": QUEUE, "Marker": marker}),
        )
        .await;
    assert_eq!(page2["EventSourceMappings"].as_array().unwrap().len(), 1);
    assert!(page2.get("NextMarker").is_none());
    let none = t
        .ok("ListEventSourceMappings", json!({"EventSourceArn": FIFO}))
        .await;
    assert_eq!(none["EventSourceMappings"], json!([]));

    // update: disable, change batch size
    let u = t
        .ok(
            "UpdateEventSourceMapping",
            json!({"UUID": uuid, "Enabled": false, "BatchSize": 5}),
        )
        .await;
    assert_eq!(u["State"], "Updating");
    assert_eq!(u["BatchSize"], 5);
    let (code, msg) = t
        .err(
            "UpdateEventSourceMapping",
            json!({"UUID": uuid, "BatchSize": 50}),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert_eq!(msg, WINDOW_REQUIRED);
    for _ in 0..100 {
        got = t.ok("GetEventSourceMapping", json!({"UUID": uuid})).await;
        if state(&got) == "Disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(state(&got), "Disabled");

    // delete: Deleting, then gone
    let d = t
        .ok("DeleteEventSourceMapping", json!({"UUID": uuid}))
        .await;
    assert_eq!(d["State"], "Deleting");
    let mut gone = false;
    for _ in 0..100 {
        if t.call("GetEventSourceMapping", json!({"UUID": uuid}))
            .await
            .is_err()
        {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone);
    let (code, msg) = t.err("GetEventSourceMapping", json!({"UUID": uuid})).await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("ResourceNotFoundException", NOT_FOUND)
    );
    let (code, _) = t
        .err("DeleteEventSourceMapping", json!({"UUID": uuid}))
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    sup.abort();
    t.lambda.shutdown().await;
}

#[tokio::test]
async fn create_rejects_what_aws_rejects() {
    let t = setup();
    t.lambda.set_queue_consumer(Arc::new(Queues));
    t.create("f").await;
    let cases = [
        (
            json!({"EventSourceArn": QUEUE, "FunctionName": "nope"}),
            "Function does not exist",
        ),
        (
            json!({"EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:missing", "FunctionName": "f"}),
            NO_QUEUE,
        ),
        (
            json!({"EventSourceArn": QUEUE, "FunctionName": "f", "BatchSize": 11}),
            WINDOW_REQUIRED,
        ),
        (
            json!({"EventSourceArn": QUEUE, "FunctionName": "f",
                   "FilterCriteria": {"Filters": [{"Pattern": "{\"body\": \"x\"}"}]}}),
            filter::INVALID,
        ),
        (
            json!({"EventSourceArn": QUEUE, "FunctionName": "f",
                   "FilterCriteria": {"Filters": [{"Pattern": "not json"}]}}),
            filter::INVALID,
        ),
        (json!({"FunctionName": "f"}), "Unrecognized event source."),
    ];
    for (input, message) in cases {
        let (code, msg) = t.err("CreateEventSourceMapping", input.clone()).await;
        assert_eq!(code, "InvalidParameterValueException", "{input}");
        assert_eq!(msg, message, "{input}");
    }
    let (code, msg) = t
        .err(
            "CreateEventSourceMapping",
            json!({"EventSourceArn": FIFO, "FunctionName": "f", "BatchSize": 20, "MaximumBatchingWindowInSeconds": 1}),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert!(msg.contains("FIFO"), "{msg}");
    // a large batch with a window is fine on a standard queue
    t.ok(
        "CreateEventSourceMapping",
        json!({"EventSourceArn": QUEUE, "FunctionName": "f", "BatchSize": 10000, "MaximumBatchingWindowInSeconds": 1}),
    )
    .await;
    let (code, _) = t
        .err(
            "UpdateEventSourceMapping",
            json!({"UUID": "00000000-0000-4000-8000-000000000000", "Enabled": false}),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    t.lambda.shutdown().await;
}

#[test]
fn request_structs_match_the_model() {
    let check = |shape: &str, value: Value| {
        lamina_model::conformance::check_serialized("lambda", shape, &value);
    };
    let full = |v: Value| v;
    check(
        "CreateEventSourceMappingRequest",
        full(serde_json::to_value(CreateEventSourceMappingRequest::default()).unwrap()),
    );
    check(
        "UpdateEventSourceMappingRequest",
        serde_json::to_value(UpdateEventSourceMappingRequest::default()).unwrap(),
    );
    check(
        "GetEventSourceMappingRequest",
        serde_json::to_value(GetEventSourceMappingRequest::default()).unwrap(),
    );
    check(
        "ListEventSourceMappingsRequest",
        serde_json::to_value(ListEventSourceMappingsRequest::default()).unwrap(),
    );
    check(
        "FilterCriteria",
        serde_json::to_value(FilterCriteria::default()).unwrap(),
    );
    check("Filter", serde_json::to_value(Filter::default()).unwrap());
    check(
        "ScalingConfig",
        serde_json::to_value(ScalingConfig::default()).unwrap(),
    );
    let out = MappingRecord {
        v: FORMAT,
        uuid: "u".into(),
        account: ACCOUNT.into(),
        region: REGION.into(),
        function_name: "f".into(),
        qualifier: None,
        event_source_arn: QUEUE.into(),
        batch_size: 1,
        batching_window: 0,
        enabled: true,
        state: "Enabled".into(),
        state_reason: "USER_INITIATED".into(),
        last_modified: 0.0,
        response_types: vec![],
        max_concurrency: Some(2),
        filters: vec!["{}".into()],
        ..Default::default()
    };
    check("EventSourceMappingConfiguration", out.to_output());
    // required members are read
    let model = lamina_model::get("lambda").expect("lambda model");
    for (shape, fields) in [
        ("CreateEventSourceMappingRequest", vec!["FunctionName"]),
        ("UpdateEventSourceMappingRequest", vec!["UUID"]),
    ] {
        let s = model.shape(shape).unwrap();
        for r in &s.required {
            assert!(fields.contains(&r.as_str()), "{shape}: {r}");
        }
    }
}
