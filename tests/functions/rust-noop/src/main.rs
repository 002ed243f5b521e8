//! A no-op Lambda function for Lamina's compatibility suite, built with the official Rust
//! runtime client (`lambda_runtime`) and run as the `bootstrap` of a `provided.al2023` function.
//!
//! It answers every event with the event itself plus what the runtime told it about the
//! invocation, and a module-level counter that shows whether the execution environment was
//! reused (warm start):
//!
//! ```json
//! {"event": <the event>, "count": 3, "requestId": "...", "functionName": "...",
//!  "functionVersion": "$LATEST", "memoryLimitInMB": 128, "invokedFunctionArn": "...",
//!  "remainingMs": 2998, "runtime": "rust"}
//! ```
//!
//! An event `{"fail": "message"}` makes the handler return an error instead, which the runtime
//! client reports through `/invocation/{id}/error`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

/// Invocations handled by this process (execution environment).
static COUNT: AtomicU64 = AtomicU64::new(0);

async fn handler(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let (payload, ctx) = event.into_parts();
    let count = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    if let Some(message) = payload.get("fail").and_then(Value::as_str) {
        return Err(message.to_string().into());
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i128)
        .unwrap_or(0);
    let remaining_ms = ctx.deadline as i128 - now_ms;
    Ok(json!({
        "event": payload,
        "count": count,
        "requestId": ctx.request_id,
        "functionName": ctx.env_config.function_name,
        "functionVersion": ctx.env_config.version,
        "memoryLimitInMB": ctx.env_config.memory,
        "invokedFunctionArn": ctx.invoked_function_arn,
        "remainingMs": remaining_ms,
        "runtime": "rust",
    }))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(handler)).await
}
