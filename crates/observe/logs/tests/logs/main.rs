//! CloudWatch Logs against the in-memory store, through the `Service` interface: canonical
//! JSON in, canonical JSON or the wire error out — what a client sees after the codec.

use lamina_bus::{LogEvent, LogSink, LogStreamRef};
use lamina_core::{AwsError, Input, RequestContext, Service};
use lamina_logs::{Logs, LogsConfig, LogsService};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

struct T {
    logs: Arc<Logs>,
    svc: LogsService,
    ctx: RequestContext,
}

impl T {
    fn new() -> Self {
        let logs = Logs::new(
            lamina_storage_memory::MemoryStore::new(),
            LogsConfig {
                sweep_interval: Duration::from_millis(50),
                ..LogsConfig::default()
            },
        );
        T {
            svc: LogsService::new(logs.clone()),
            logs,
            ctx: RequestContext {
                request_id: "r".into(),
                account_id: "000000000000".into(),
                region: "us-east-1".into(),
                access_key_id: String::new(),
                endpoint: "http://localhost".into(),
            },
        }
    }

    async fn call(&self, op: &str, v: Value) -> Result<Value, AwsError> {
        self.svc
            .call(
                &self.ctx,
                op,
                Input {
                    value: v,
                    payload: None,
                },
            )
            .await
            .map(|o| o.value)
    }

    async fn ok(&self, op: &str, v: Value) -> Value {
        self.call(op, v)
            .await
            .unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    async fn err(&self, op: &str, v: Value) -> (String, String) {
        let e = self.call(op, v).await.expect_err(op);
        (e.code.shape.to_string(), e.message)
    }

    async fn group_and_stream(&self, g: &str, s: &str) {
        self.ok("CreateLogGroup", json!({"logGroupName": g})).await;
        self.ok(
            "CreateLogStream",
            json!({"logGroupName": g, "logStreamName": s}),
        )
        .await;
    }

    async fn put(&self, g: &str, s: &str, events: &[(i64, &str)]) -> Value {
        let evs: Vec<Value> = events
            .iter()
            .map(|(t, m)| json!({"timestamp": t, "message": m}))
            .collect();
        self.ok(
            "PutLogEvents",
            json!({"logGroupName": g, "logStreamName": s, "logEvents": evs}),
        )
        .await
    }
}

fn now() -> i64 {
    lamina_core::now_epoch_millis() as i64
}

fn messages(v: &Value) -> Vec<String> {
    v["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

mod events;
mod groups;
