//! Parameter Store through the `Service` interface, as the gateway calls it, against the
//! in-memory store.

use lamina_core::{AwsError, Input, RequestContext, Service};
use lamina_ssm::SsmService;
use lamina_storage::{Direction, Range, Store};
use lamina_storage_memory::MemoryStore;
use serde_json::{Value, json};
use std::sync::Arc;

struct Env {
    svc: Arc<SsmService>,
    store: Arc<MemoryStore>,
    ctx: RequestContext,
}

fn env() -> Env {
    let store = MemoryStore::new();
    let svc = Arc::new(SsmService::new(store.clone(), [42; 32]));
    Env {
        svc,
        store,
        ctx: ctx("123456789012", "us-east-1"),
    }
}

fn ctx(account: &str, region: &str) -> RequestContext {
    RequestContext {
        request_id: "r".into(),
        account_id: account.into(),
        region: region.into(),
        access_key_id: "test".into(),
        endpoint: "http://localhost:4566".into(),
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
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op} failed: {e}"),
        }
    }
    async fn err(&self, op: &str, input: Value) -> AwsError {
        match self.call(op, input).await {
            Ok(v) => panic!("{op} succeeded unexpectedly: {v}"),
            Err(e) => e,
        }
    }
    async fn put(&self, name: &str, value: &str) -> Value {
        self.ok(
            "PutParameter",
            json!({"Name": name, "Value": value, "Type": "String"}),
        )
        .await
    }
    async fn value(&self, name: &str) -> String {
        let v = self
            .ok(
                "GetParameter",
                json!({"Name": name, "WithDecryption": true}),
            )
            .await;
        v["Parameter"]["Value"].as_str().unwrap().to_string()
    }
}

fn names(v: &Value) -> Vec<String> {
    v["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap().to_string())
        .collect()
}

mod crud;
mod listing;
mod versions;
