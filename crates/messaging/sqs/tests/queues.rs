//! Crate tests against the in-memory store: what a client sees from the service, operation
//! by operation (the compatibility suite repeats these with boto3 over both wire protocols).

use lamina_bus::{QueueMessage, QueueSender};
use lamina_core::{Input, RequestContext, Service};
use lamina_sqs::{Sqs, SqsConfig, SqsService};
use lamina_storage_memory::MemoryStore;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ctx() -> RequestContext {
    RequestContext {
        request_id: "t".into(),
        account_id: "000000000000".into(),
        region: "us-east-1".into(),
        access_key_id: String::new(),
        endpoint: "http://localhost:4566".into(),
    }
}

fn service() -> (Arc<Sqs>, Arc<SqsService>) {
    let sqs = Sqs::new(
        MemoryStore::new(),
        SqsConfig {
            sweep_interval: Duration::from_millis(100),
            retention_interval: Duration::from_millis(100),
        },
    );
    (sqs.clone(), Arc::new(SqsService::new(sqs)))
}

async fn call(svc: &SqsService, op: &str, value: Value) -> Result<Value, (String, String)> {
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
    .map_err(|e| (e.code.code.to_string(), e.message))
}

async fn create(svc: &SqsService, name: &str, attrs: Value) -> String {
    call(
        svc,
        "CreateQueue",
        json!({"QueueName": name, "Attributes": attrs}),
    )
    .await
    .expect("CreateQueue")["QueueUrl"]
        .as_str()
        .expect("url")
        .to_string()
}

async fn receive(svc: &SqsService, url: &str, extra: Value) -> Vec<Value> {
    let mut req = json!({"QueueUrl": url, "MaxNumberOfMessages": 10});
    if let (Some(r), Some(e)) = (req.as_object_mut(), extra.as_object()) {
        r.extend(e.clone());
    }
    call(svc, "ReceiveMessage", req)
        .await
        .expect("ReceiveMessage")["Messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn send_receive_delete_and_digests() {
    let (_, svc) = service();
    let url = create(&svc, "q", json!({})).await;
    assert_eq!(url, "http://localhost:4566/000000000000/q");
    let sent = call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "hello",
        "MessageAttributes": {"a": {"DataType": "String", "StringValue": "b"}}}),
    )
    .await
    .unwrap();
    assert_eq!(sent["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
    let msgs = receive(&svc, &url, json!({"MessageAttributeNames": ["All"]})).await;
    assert_eq!(msgs.len(), 1);
    assert_eq!(
        msgs[0]["MD5OfMessageAttributes"],
        sent["MD5OfMessageAttributes"]
    );
    let handle = msgs[0]["ReceiptHandle"].clone();
    assert!(receive(&svc, &url, json!({})).await.is_empty(), "in flight");
    call(
        &svc,
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": handle}),
    )
    .await
    .unwrap();
    call(
        &svc,
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": handle}),
    )
    .await
    .expect("deleting twice succeeds");
    let e = call(
        &svc,
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": "nope"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.0, "ReceiptHandleIsInvalid");
}

#[tokio::test]
async fn long_poll_wakes_on_send() {
    let (_, svc) = service();
    let url = create(&svc, "lp", json!({})).await;
    let (s2, u2) = (svc.clone(), url.clone());
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        call(
            &s2,
            "SendMessage",
            json!({"QueueUrl": u2, "MessageBody": "x"}),
        )
        .await
        .unwrap();
    });
    let t0 = Instant::now();
    let msgs = receive(&svc, &url, json!({"WaitTimeSeconds": 5})).await;
    assert_eq!(msgs.len(), 1);
    assert!(
        t0.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn redrive_then_move_task_back() {
    let (sqs, svc) = service();
    let bg = sqs.start_background();
    let dlq = create(&svc, "dlq", json!({})).await;
    let dlq_arn = "arn:aws:sqs:us-east-1:000000000000:dlq";
    let src = create(&svc, "src", json!({"VisibilityTimeout": "0",
        "RedrivePolicy": json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}).to_string()}))
    .await;
    call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": src, "MessageBody": "p"}),
    )
    .await
    .unwrap();
    assert_eq!(receive(&svc, &src, json!({})).await.len(), 1);
    assert!(
        receive(&svc, &src, json!({})).await.is_empty(),
        "moved to the DLQ"
    );
    let d = receive(
        &svc,
        &dlq,
        json!({"VisibilityTimeout": 0, "MessageSystemAttributeNames": ["All"]}),
    )
    .await;
    assert_eq!(
        d[0]["Attributes"]["DeadLetterQueueSourceArn"],
        "arn:aws:sqs:us-east-1:000000000000:src"
    );
    call(&svc, "StartMessageMoveTask", json!({"SourceArn": dlq_arn}))
        .await
        .unwrap();
    let t0 = Instant::now();
    loop {
        let r = call(&svc, "ListMessageMoveTasks", json!({"SourceArn": dlq_arn}))
            .await
            .unwrap();
        if r["Results"][0]["Status"] == "COMPLETED" {
            assert_eq!(r["Results"][0]["ApproximateNumberOfMessagesMoved"], 1);
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(5), "{r}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(receive(&svc, &src, json!({})).await[0]["Body"], "p");
    bg.abort();
}

#[tokio::test]
async fn fifo_groups_block_while_in_flight() {
    let (_, svc) = service();
    let url = create(
        &svc,
        "f.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    )
    .await;
    for (g, b) in [("a", "a1"), ("a", "a2"), ("b", "b1")] {
        call(
            &svc,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": b, "MessageGroupId": g}),
        )
        .await
        .unwrap();
    }
    let e = call(
        &svc,
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e,
        (
            "MissingParameter".into(),
            "The request must contain the parameter MessageGroupId.".into()
        )
    );
    let first = receive(&svc, &url, json!({"MaxNumberOfMessages": 1})).await;
    assert_eq!(first[0]["Body"], "a1");
    let next = receive(&svc, &url, json!({})).await;
    assert_eq!(next.len(), 1, "group a is blocked");
    assert_eq!(next[0]["Body"], "b1");
}

#[tokio::test]
async fn queue_sender_by_arn() {
    let (sqs, svc) = service();
    let url = create(&svc, "target", json!({})).await;
    let id = sqs
        .send(
            "arn:aws:sqs:us-east-1:000000000000:target",
            QueueMessage {
                body: "from sns".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let msgs = receive(&svc, &url, json!({})).await;
    assert_eq!(
        (msgs[0]["MessageId"].as_str(), msgs[0]["Body"].as_str()),
        (Some(id.as_str()), Some("from sns"))
    );
    let e = sqs
        .send(
            "arn:aws:sqs:us-east-1:000000000000:missing",
            QueueMessage::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code, "AWS.SimpleQueueService.NonExistentQueue");
}

#[tokio::test]
async fn receive_request_attempt_id_replays_until_a_message_changes() {
    let store: Arc<dyn lamina_storage::Store> = MemoryStore::new();
    let svc = SqsService::new(Sqs::new(store.clone(), SqsConfig::default()));
    let url = create(
        &svc,
        "att.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    )
    .await;
    for (g, b) in [("a", "a1"), ("b", "b1"), ("a", "a2")] {
        call(
            &svc,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": b, "MessageGroupId": g}),
        )
        .await
        .unwrap();
    }
    let handles = |m: &[Value]| -> Vec<(String, String)> {
        m.iter()
            .map(|m| {
                (
                    m["Body"].as_str().unwrap().to_string(),
                    m["ReceiptHandle"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let attempt = json!({"ReceiveRequestAttemptId": "try-1", "VisibilityTimeout": 30});
    let first = receive(&svc, &url, attempt.clone()).await;
    assert_eq!(first.len(), 3);
    // the retry returns the same messages and handles although they are in flight
    let again = receive(&svc, &url, attempt.clone()).await;
    assert_eq!(handles(&again), handles(&first));
    // a different id sees nothing: both groups are in flight
    assert!(
        receive(&svc, &url, json!({"ReceiveRequestAttemptId": "try-2"}))
            .await
            .is_empty()
    );
    // the state is in the store: a second engine over it replays too
    let svc2 = SqsService::new(Sqs::new(store, SqsConfig::default()));
    assert_eq!(
        handles(&receive(&svc2, &url, attempt.clone()).await),
        handles(&first)
    );
    // after a delete the attempt is no longer retryable
    call(
        &svc,
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": first[0]["ReceiptHandle"]}),
    )
    .await
    .unwrap();
    let e = call(
        &svc,
        "ReceiveMessage",
        json!({"QueueUrl": url, "ReceiveRequestAttemptId": "try-1"}),
    )
    .await
    .unwrap_err();
    assert_eq!(
        e,
        (
            "InvalidParameterValue".into(),
            "Value try-1 for parameter ReceiveRequestAttemptId is invalid. Reason: The receiveRequestAttemptId is not valid anymore since the receive call is not retryable.".into()
        )
    );
    let e = call(
        &svc,
        "ReceiveMessage",
        json!({"QueueUrl": url, "ReceiveRequestAttemptId": "bad id"}),
    )
    .await
    .unwrap_err();
    assert_eq!(e.0, "InvalidParameterValue");
}

#[tokio::test]
async fn a_deleted_name_is_unavailable_for_60_seconds() {
    let (_, svc) = service();
    let url = create(&svc, "gone", json!({})).await;
    call(&svc, "DeleteQueue", json!({"QueueUrl": url}))
        .await
        .unwrap();
    let e = call(&svc, "CreateQueue", json!({"QueueName": "gone"}))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        (
            "AWS.SimpleQueueService.QueueDeletedRecently".into(),
            "You must wait 60 seconds after deleting a queue before you can create another with the same name.".into()
        )
    );
    let e = call(&svc, "DeleteQueue", json!({"QueueUrl": url}))
        .await
        .unwrap_err();
    assert_eq!(e.0, "AWS.SimpleQueueService.NonExistentQueue");
    // other names are not affected
    create(&svc, "gone-2", json!({})).await;
}

#[tokio::test]
async fn delete_message_batch_is_one_write_with_per_entry_outcomes() {
    let (_, svc) = service();
    let url = create(&svc, "db", json!({})).await;
    for b in ["a", "b", "c"] {
        call(
            &svc,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": b}),
        )
        .await
        .unwrap();
    }
    let got = receive(&svc, &url, json!({"VisibilityTimeout": 30})).await;
    assert_eq!(got.len(), 3);
    let h = |i: usize| got[i]["ReceiptHandle"].clone();
    let r = call(
        &svc,
        "DeleteMessageBatch",
        json!({"QueueUrl": url, "Entries": [
            {"Id": "one", "ReceiptHandle": h(0)},
            {"Id": "again", "ReceiptHandle": h(0)},
            {"Id": "two", "ReceiptHandle": h(1)},
            {"Id": "junk", "ReceiptHandle": "bm9wZQ=="},
        ]}),
    )
    .await
    .unwrap();
    let ids = |k: &str| -> Vec<String> {
        r[k].as_array()
            .unwrap()
            .iter()
            .map(|e| e["Id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids("Successful"), ["one", "again", "two"]);
    assert_eq!(ids("Failed"), ["junk"]);
    assert_eq!(r["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
    let a = call(
        &svc,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessagesNotVisible"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        a["Attributes"]["ApproximateNumberOfMessagesNotVisible"],
        "1"
    );
}
