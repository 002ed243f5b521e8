//! SNS through the `Service` interface against the in-memory store, with recording
//! implementations of the bus traits (the binary wires the real SQS and Lambda).

use lamina_bus::{
    InvocationType, InvokeError, InvokeRequest, InvokeResponse, Invoker, QueueError, QueueMessage,
    QueueSender, TopicMessage, TopicPublisher,
};
use lamina_core::{AwsError, BoxFuture, Input, RequestContext, Service};
use lamina_sns::{Sns, SnsConfig, SnsService};
use lamina_storage_memory::MemoryStore;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Queues {
    sent: Mutex<Vec<(String, QueueMessage)>>,
    /// Queue ARNs that answer `QueueDoesNotExist`.
    missing: Mutex<Vec<String>>,
}

impl QueueSender for Queues {
    fn send<'a>(
        &'a self,
        arn: &'a str,
        m: QueueMessage,
    ) -> BoxFuture<'a, Result<String, QueueError>> {
        Box::pin(async move {
            if self.missing.lock().unwrap().iter().any(|q| q == arn) {
                return Err(QueueError {
                    code: "AWS.SimpleQueueService.NonExistentQueue".into(),
                    message: "The specified queue does not exist.".into(),
                });
            }
            self.sent.lock().unwrap().push((arn.to_string(), m));
            Ok("id".into())
        })
    }
}

#[derive(Default)]
struct Functions {
    calls: Mutex<Vec<InvokeRequest>>,
}

impl Invoker for Functions {
    fn invoke(&self, req: InvokeRequest) -> BoxFuture<'_, Result<InvokeResponse, InvokeError>> {
        Box::pin(async move {
            self.calls.lock().unwrap().push(req);
            Ok(InvokeResponse {
                status: 202,
                payload: Default::default(),
                function_error: None,
                executed_version: "$LATEST".into(),
            })
        })
    }
}

struct Env {
    store: Arc<MemoryStore>,
    sns: Sns,
    svc: SnsService,
    queues: Arc<Queues>,
    functions: Arc<Functions>,
    ctx: RequestContext,
}

fn config() -> SnsConfig {
    SnsConfig {
        retry_base_ms: 0,
        max_attempts: 3,
        ..Default::default()
    }
}

fn env() -> Env {
    env_on(MemoryStore::new())
}

fn env_on(store: Arc<MemoryStore>) -> Env {
    let sns = Sns::new(store.clone(), config());
    let queues = Arc::new(Queues::default());
    let functions = Arc::new(Functions::default());
    sns.set_queue_sender(queues.clone());
    sns.set_invoker(functions.clone());
    Env {
        store,
        svc: SnsService::new(sns.clone()),
        sns,
        queues,
        functions,
        ctx: RequestContext {
            request_id: "r".into(),
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            access_key_id: "test".into(),
            endpoint: "http://localhost:4566".into(),
        },
    }
}

impl Env {
    async fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        self.svc
            .call(
                &self.ctx,
                op,
                Input {
                    value: input,
                    payload: None,
                },
            )
            .await
            .map(|o| o.value)
    }
    async fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input)
            .await
            .unwrap_or_else(|e| panic!("{op}: {e}"))
    }
    async fn err(&self, op: &str, input: Value) -> AwsError {
        match self.call(op, input).await {
            Ok(v) => panic!("{op} succeeded: {v}"),
            Err(e) => e,
        }
    }
    async fn topic(&self, name: &str, attrs: Value) -> String {
        let v = self
            .ok("CreateTopic", json!({"Name": name, "Attributes": attrs}))
            .await;
        v["TopicArn"].as_str().unwrap().to_string()
    }
    async fn subscribe(&self, topic: &str, protocol: &str, endpoint: &str, attrs: Value) -> String {
        let v = self
            .ok(
                "Subscribe",
                json!({"TopicArn": topic, "Protocol": protocol, "Endpoint": endpoint, "Attributes": attrs, "ReturnSubscriptionArn": true}),
            )
            .await;
        v["SubscriptionArn"].as_str().unwrap().to_string()
    }
    async fn deliver(&self) {
        // enough passes for immediate retries to settle
        for _ in 0..5 {
            self.sns.deliver_due().await.unwrap();
        }
    }
    fn sent(&self) -> Vec<(String, QueueMessage)> {
        self.queues.sent.lock().unwrap().clone()
    }
}

const Q: &str = "arn:aws:sqs:us-east-1:123456789012:q";

#[tokio::test]
async fn publish_reaches_sqs_in_a_signed_envelope() {
    let e = env();
    let t = e.topic("t", json!({})).await;
    let sub = e.subscribe(&t, "sqs", Q, json!({})).await;
    let r = e
        .ok(
            "Publish",
            json!({"TopicArn": t, "Message": "hi", "Subject": "s",
                   "MessageAttributes": {"a": {"DataType": "String", "StringValue": "v"}}}),
        )
        .await;
    assert!(e.sent().is_empty(), "delivery is asynchronous");
    e.deliver().await;
    let sent = e.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, Q);
    let env: Value = serde_json::from_str(&sent[0].1.body).unwrap();
    assert_eq!(env["Type"], "Notification");
    assert_eq!(env["MessageId"], r["MessageId"]);
    assert_eq!(env["Subject"], "s");
    assert_eq!(
        env["MessageAttributes"]["a"],
        json!({"Type": "String", "Value": "v"})
    );
    assert!(
        env["UnsubscribeURL"]
            .as_str()
            .unwrap()
            .contains(&sub.replace(':', "%3A"))
    );
    assert_eq!(
        env["SigningCertURL"],
        "http://localhost:4566/_lamina/sns/SimpleNotificationService.pem"
    );
    // the signature verifies against the served key
    let keys: Vec<&str> = [
        "Message",
        "MessageId",
        "Subject",
        "Timestamp",
        "TopicArn",
        "Type",
    ]
    .to_vec();
    let text: String = keys
        .iter()
        .map(|k| format!("{k}\n{}\n", env[*k].as_str().unwrap()))
        .collect();
    let pem = e.sns.certificate_pem().await.unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(verify(&e, 1, &text, env["Signature"].as_str().unwrap()).await);
    // delivered once: the outbox is empty now
    e.deliver().await;
    assert_eq!(e.sent().len(), 1);
}

async fn verify(e: &Env, version: u8, text: &str, sig: &str) -> bool {
    // The signer is private; reload it from the store like a second node would.
    let other = Sns::new(e.store.clone(), config());
    let pem1 = other.certificate_pem().await.unwrap();
    assert_eq!(
        pem1,
        e.sns.certificate_pem().await.unwrap(),
        "one key per installation"
    );
    verify_with_store(e, version, text, sig).await
}

async fn verify_with_store(e: &Env, version: u8, text: &str, sig: &str) -> bool {
    use lamina_storage::Store;
    let raw = e.store.get("sns.keys", b"signing").await.unwrap().unwrap();
    let rec: Value = serde_json::from_slice(&raw).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let s = lamina_sns::sign::Signer::from_der(
        &b64.decode(rec["key_der"].as_str().unwrap()).unwrap(),
        b64.decode(rec["cert_der"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    s.verify(version, text, sig)
}

#[tokio::test]
async fn acknowledged_publishes_survive_a_restart() {
    let e = env();
    let t = e.topic("t", json!({})).await;
    e.subscribe(&t, "sqs", Q, json!({"RawMessageDelivery": "true"}))
        .await;
    for i in 0..5 {
        e.ok(
            "Publish",
            json!({"TopicArn": t, "Message": format!("m{i}")}),
        )
        .await;
    }
    // "restart": a new engine over the same store delivers what the first acknowledged
    let again = env_on(e.store.clone());
    again.deliver().await;
    let mut bodies: Vec<String> = again.sent().into_iter().map(|(_, m)| m.body).collect();
    bodies.sort();
    assert_eq!(bodies, ["m0", "m1", "m2", "m3", "m4"]);
}

#[tokio::test]
async fn filter_policies_select_subscriptions() {
    let e = env();
    let t = e.topic("t", json!({})).await;
    e.subscribe(
        &t,
        "sqs",
        "arn:aws:sqs:us-east-1:1:red",
        json!({"RawMessageDelivery": "true", "FilterPolicy": r#"{"c":["red"]}"#}),
    )
    .await;
    e.subscribe(&t, "sqs", "arn:aws:sqs:us-east-1:1:big", json!({"RawMessageDelivery": "true", "FilterPolicyScope": "MessageBody", "FilterPolicy": r#"{"n":[{"numeric":[">",10]}]}"#})).await;
    let attr = |c: &str| json!({"c": {"DataType": "String", "StringValue": c}});
    e.ok(
        "Publish",
        json!({"TopicArn": t, "Message": r#"{"n":5}"#, "MessageAttributes": attr("red")}),
    )
    .await;
    e.ok(
        "Publish",
        json!({"TopicArn": t, "Message": r#"{"n":50}"#, "MessageAttributes": attr("blue")}),
    )
    .await;
    e.deliver().await;
    let mut got: Vec<(String, String)> = e.sent().into_iter().map(|(q, m)| (q, m.body)).collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "arn:aws:sqs:us-east-1:1:big".to_string(),
                r#"{"n":50}"#.to_string()
            ),
            (
                "arn:aws:sqs:us-east-1:1:red".to_string(),
                r#"{"n":5}"#.to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn fifo_dedup_and_group_ids_reach_fifo_queues() {
    let e = env();
    let t = e
        .topic(
            "t.fifo",
            json!({"FifoTopic": "true", "ContentBasedDeduplication": "true"}),
        )
        .await;
    e.subscribe(&t, "sqs", "arn:aws:sqs:us-east-1:1:q.fifo", json!({}))
        .await;
    let a = e
        .ok(
            "Publish",
            json!({"TopicArn": t, "Message": "x", "MessageGroupId": "g"}),
        )
        .await;
    let b = e
        .ok(
            "Publish",
            json!({"TopicArn": t, "Message": "x", "MessageGroupId": "g"}),
        )
        .await;
    let c = e
        .ok(
            "Publish",
            json!({"TopicArn": t, "Message": "y", "MessageGroupId": "g"}),
        )
        .await;
    assert_eq!(a, b, "content-based duplicate within 5 minutes");
    assert_ne!(a["SequenceNumber"], c["SequenceNumber"]);
    e.deliver().await;
    let sent = e.sent();
    assert_eq!(sent.len(), 2);
    assert!(
        sent.iter()
            .all(|(_, m)| m.group_id.as_deref() == Some("g") && m.deduplication_id.is_some())
    );
    let err = e
        .err("Publish", json!({"TopicArn": t, "Message": "z"}))
        .await;
    assert_eq!(
        err.message,
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    );
}

#[tokio::test]
async fn lambda_gets_the_sns_event() {
    let e = env();
    let t = e.topic("t", json!({})).await;
    let f = "arn:aws:lambda:us-east-1:123456789012:function:f";
    let sub = e.subscribe(&t, "lambda", f, json!({})).await;
    e.ok("Publish", json!({"TopicArn": t, "Message": "m"}))
        .await;
    e.deliver().await;
    let calls = e.functions.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].function, f);
    assert_eq!(calls[0].invocation_type, InvocationType::Event);
    let ev: Value = serde_json::from_slice(&calls[0].payload).unwrap();
    let r = &ev["Records"][0];
    assert_eq!(
        (r["EventSource"].as_str(), r["EventVersion"].as_str()),
        (Some("aws:sns"), Some("1.0"))
    );
    assert_eq!(r["EventSubscriptionArn"], sub);
    assert_eq!(r["Sns"]["Subject"], Value::Null);
    assert_eq!(r["Sns"]["Message"], "m");
    assert!(r["Sns"]["SigningCertUrl"].is_string() && r["Sns"]["UnsubscribeUrl"].is_string());
    assert_eq!(r["Sns"]["MessageAttributes"], json!({}));
}

#[tokio::test]
async fn failed_deliveries_go_to_the_subscription_dlq() {
    let e = env();
    let t = e.topic("t", json!({})).await;
    let gone = "arn:aws:sqs:us-east-1:1:gone";
    e.queues.missing.lock().unwrap().push(gone.into());
    e.subscribe(
        &t,
        "sqs",
        gone,
        json!({"RedrivePolicy": r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:dlq"}"#}),
    )
    .await;
    e.ok("Publish", json!({"TopicArn": t, "Message": "lost?"}))
        .await;
    e.deliver().await;
    let sent = e.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "arn:aws:sqs:us-east-1:1:dlq");
    let env: Value = serde_json::from_str(&sent[0].1.body).unwrap();
    assert_eq!(env["Message"], "lost?");
}

#[tokio::test]
async fn http_failures_follow_the_delivery_policy_then_the_dlq() {
    let e = env();
    let t = e.topic("t", json!({})).await;
    // nothing listens on port 9 of loopback
    let sub = e.subscribe(&t, "http", "http://127.0.0.1:9/", json!({
        "DeliveryPolicy": r#"{"healthyRetryPolicy":{"numRetries":2,"numNoDelayRetries":2}}"#,
        "RedrivePolicy": r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:dlq"}"#
    })).await;
    // confirm through the token the confirmation message carried (recorded for inspection)
    e.deliver().await;
    let listing = e
        .sns
        .admin("GET", "/_lamina/sns/messages", "protocol=http")
        .await;
    let msgs: Value = serde_json::from_str(&listing.body).unwrap();
    let body: Value = serde_json::from_str(msgs["messages"][0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["Type"], "SubscriptionConfirmation");
    assert!(
        body["SubscribeURL"]
            .as_str()
            .unwrap()
            .contains("Action=ConfirmSubscription")
    );
    let r = e
        .ok(
            "ConfirmSubscription",
            json!({"TopicArn": t, "Token": body["Token"]}),
        )
        .await;
    assert_eq!(r["SubscriptionArn"], sub);
    e.ok("Publish", json!({"TopicArn": t, "Message": "to http"}))
        .await;
    e.deliver().await;
    let sent = e.sent();
    assert_eq!(sent.len(), 1, "dead-lettered after the retries");
    assert_eq!(sent[0].0, "arn:aws:sqs:us-east-1:1:dlq");
}

#[tokio::test]
async fn topic_publisher_for_other_services() {
    let e = env();
    let t = e.topic("t", json!({})).await;
    e.subscribe(&t, "sqs", Q, json!({"RawMessageDelivery": "true"}))
        .await;
    let id = e
        .sns
        .publish(
            &t,
            TopicMessage {
                subject: None,
                message: "from lambda".into(),
                attributes: Default::default(),
            },
        )
        .await
        .unwrap();
    assert_eq!(id.len(), 36);
    e.deliver().await;
    assert_eq!(e.sent()[0].1.body, "from lambda");
    let err = e
        .sns
        .publish(
            "arn:aws:sns:us-east-1:123456789012:nope",
            TopicMessage::default(),
        )
        .await;
    assert_eq!(err.unwrap_err().code, "NotFound");
}

#[tokio::test]
async fn subscriptions_and_errors() {
    let e = env();
    let t = e.topic("t", json!({})).await;
    let r = e
        .ok(
            "Subscribe",
            json!({"TopicArn": t, "Protocol": "email", "Endpoint": "a@b.c"}),
        )
        .await;
    assert_eq!(r["SubscriptionArn"], "pending confirmation");
    let attrs = e.ok("GetTopicAttributes", json!({"TopicArn": t})).await;
    assert_eq!(attrs["Attributes"]["SubscriptionsPending"], "1");
    let err = e
        .err(
            "Subscribe",
            json!({"TopicArn": t, "Protocol": "sqs", "Endpoint": "nope"}),
        )
        .await;
    assert_eq!(
        (err.code.code, err.message.as_str()),
        ("InvalidParameter", "Invalid parameter: SQS endpoint ARN")
    );
    let err = e.err("CreateTopic", json!({"Name": "bad name"})).await;
    assert_eq!(err.message, "Invalid parameter: Topic Name");
    let err = e
        .err(
            "GetSubscriptionAttributes",
            json!({"SubscriptionArn": format!("{t}:nope")}),
        )
        .await;
    assert_eq!((err.code.code, err.code.status), ("NotFound", 404));
    let err = e
        .err(
            "PublishBatch",
            json!({"TopicArn": t, "PublishBatchRequestEntries": []}),
        )
        .await;
    assert_eq!(err.code.code, "EmptyBatchRequest");
}
