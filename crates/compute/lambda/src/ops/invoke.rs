//! Invoke: resolves the qualifier (version, alias with weighted routing), checks AWS's
//! payload caps, builds the [`FunctionSpec`] and runs the invocation in a sandbox
//! (RequestResponse), keeps the event in the store before answering 202 (Event), or only
//! checks that the function can be invoked (DryRun, 204). Also `lamina_bus::Invoker` for
//! other services, which invoke in process.
//!
//! Events are kept in tree `lambda.events` under `account \0 region \0 due millis \0 id` as
//! [`QueuedEvent`] records; the asynchronous queue consumes them.

use super::{Cx, function_not_found, input, parse_ref, resolve};
use crate::code;
use crate::error::{LambdaError, Result};
use crate::model::Config;
use crate::sandbox::{Credentials, FunctionSpec, InvokeInput};
use crate::store::{self, Scope};
use crate::{Lambda, model};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use lamina_bus::{InvocationType, InvokeError, InvokeRequest, InvokeResponse, Invoker};
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, new_request_id};
use lamina_model::generated::lambda_::op;
use lamina_storage::WriteBatch;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;

pub(crate) const OPS: &[&str] = &[op::INVOKE];

/// Synchronous request and response cap (6 MB).
pub const MAX_SYNC_PAYLOAD: usize = 6_291_456;
/// The response cap AWS reports in its error.
pub const MAX_RESPONSE_PAYLOAD: usize = 6_291_556;
/// Asynchronous request cap (1 MB).
pub const MAX_EVENT_PAYLOAD: usize = 1_048_576;

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InvocationRequest {
    pub function_name: String,
    pub invocation_type: Option<String>,
    pub log_type: Option<String>,
    pub client_context: Option<String>,
    pub qualifier: Option<String>,
}

/// An event accepted with 202, waiting for the asynchronous queue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QueuedEvent {
    pub v: u32,
    pub id: String,
    pub function_name: String,
    /// As invoked (`None`: unqualified); aliases are resolved when the event runs.
    pub qualifier: Option<String>,
    /// Base64 of the payload.
    pub payload: String,
    /// Epoch milliseconds.
    pub received: u64,
    pub attempts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    RequestResponse,
    Event,
    DryRun,
}

/// What the caller gets.
#[derive(Debug, Clone)]
pub(crate) struct Invoked {
    pub status: u16,
    pub payload: Bytes,
    pub function_error: Option<String>,
    pub executed_version: Option<String>,
    pub log_result: Option<String>,
}

pub(crate) async fn call(cx: &Cx<'_>, op: &str, i: Input) -> Result<Output> {
    if op != op::INVOKE {
        return Err(LambdaError::Internal(format!(
            "{op} is not an invoke operation"
        )));
    }
    let r: InvocationRequest = input(i.value)?;
    let kind = match r.invocation_type.as_deref() {
        None | Some("RequestResponse") => Kind::RequestResponse,
        Some("Event") => Kind::Event,
        Some("DryRun") => Kind::DryRun,
        Some(other) => {
            return Err(LambdaError::Validation(format!(
                "1 validation error detected: Value '{other}' at 'invocationType' failed to satisfy constraint: \
                 Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
            )));
        }
    };
    let tail = r.log_type.as_deref() == Some("Tail");
    let payload = i.payload.unwrap_or_default();
    let fref = parse_ref(&cx.scope, &r.function_name, r.qualifier.as_deref())?;
    let out = invoke(
        cx,
        &fref.name,
        fref.qualifier.as_deref(),
        kind,
        payload,
        tail,
        r.client_context,
    )
    .await?;
    let mut value = json!({ "StatusCode": out.status });
    if let Some(v) = out.executed_version {
        value["ExecutedVersion"] = json!(v);
    }
    if let Some(e) = out.function_error {
        value["FunctionError"] = json!(e);
    }
    if let Some(l) = out.log_result {
        value["LogResult"] = json!(l);
    }
    Ok(Output {
        value,
        payload: Some(out.payload),
    })
}

/// A uniform draw in `[0, 1)`.
fn draw() -> f64 {
    let b = lamina_core::random_bytes::<8>();
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

/// The version an alias routes this invocation to.
fn route(primary: &str, weights: &std::collections::BTreeMap<String, f64>, r: f64) -> String {
    let mut acc = 0.0;
    for (version, w) in weights {
        acc += w;
        if r < acc {
            return version.clone();
        }
    }
    primary.to_string()
}

pub(crate) async fn invoke(
    cx: &Cx<'_>,
    name: &str,
    qualifier: Option<&str>,
    kind: Kind,
    payload: Bytes,
    tail: bool,
    client_context: Option<String>,
) -> Result<Invoked> {
    let cap = if kind == Kind::Event {
        MAX_EVENT_PAYLOAD
    } else {
        MAX_SYNC_PAYLOAD
    };
    if payload.len() > cap {
        return Err(LambdaError::RequestTooLarge(format!(
            "Request must be smaller than {cap} bytes for the InvokeFunction operation"
        )));
    }
    let (function, config) = select(cx, name, qualifier).await?;
    if function.reserved_concurrency == Some(0) {
        return Err(LambdaError::Throttled {
            message: "Rate Exceeded.".into(),
            reason: "ReservedFunctionConcurrentInvocationLimitExceeded",
        });
    }
    match kind {
        Kind::DryRun => Ok(Invoked {
            status: 204,
            payload: Bytes::new(),
            function_error: None,
            executed_version: None,
            log_result: None,
        }),
        Kind::Event => {
            enqueue(cx, name, qualifier, &payload).await?;
            Ok(Invoked {
                status: 202,
                payload: Bytes::new(),
                function_error: None,
                executed_version: None,
                log_result: None,
            })
        }
        Kind::RequestResponse => {
            // Held until the sandbox answered: over the limit, AWS's 429.
            let _permit = cx.lambda.acquire(&cx.scope, &function).await?;
            let spec = spec(cx.lambda, &cx.scope, &config, qualifier).await?;
            let input = InvokeInput {
                request_id: cx.ctx.request_id.clone(),
                payload,
                client_context,
                tail_logs: tail,
            };
            let outcome = cx.lambda.sandboxes.invoke(&spec, input).await?;
            let (payload, function_error) = if outcome.payload.len() > MAX_RESPONSE_PAYLOAD {
                let body = json!({
                    "errorMessage": format!(
                        "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_PAYLOAD} bytes)."
                    ),
                    "errorType": "Function.ResponseSizeTooLarge",
                });
                (Bytes::from(body.to_string()), Some("Unhandled".to_string()))
            } else {
                (outcome.payload, outcome.function_error)
            };
            let log_result = if tail {
                Some(B64.encode(outcome.log_tail.unwrap_or_default()))
            } else {
                None
            };
            Ok(Invoked {
                status: 200,
                payload,
                function_error,
                executed_version: Some(config.version),
                log_result,
            })
        }
    }
}

/// The function and the configuration an invocation runs: `$LATEST`, a version, or the
/// version an alias routes this invocation to (by weight).
pub(crate) async fn select(
    cx: &Cx<'_>,
    name: &str,
    qualifier: Option<&str>,
) -> Result<(model::FunctionRecord, Config)> {
    let res = resolve(cx, name, qualifier).await?;
    let config = match &res.alias {
        Some(a) if !a.weights.is_empty() => {
            let v = route(&a.function_version, &a.weights, draw());
            super::version_config(cx, &res.function, &v).await?
        }
        _ => res.config,
    };
    Ok((res.function, config))
}

/// Keeps an event in the store; durable before 202 is answered.
async fn enqueue(cx: &Cx<'_>, name: &str, qualifier: Option<&str>, payload: &[u8]) -> Result<()> {
    let now = lamina_core::now_epoch_millis();
    let event = QueuedEvent {
        v: model::FORMAT,
        // The request id of the 202 is the one the function sees, as on AWS.
        id: cx.ctx.request_id.clone(),
        function_name: name.to_string(),
        qualifier: qualifier.map(str::to_string),
        payload: B64.encode(payload),
        received: now,
        attempts: 0,
    };
    let mut batch = WriteBatch::new();
    batch.put(
        store::EVENTS,
        cx.scope.key(&[&store::pad(now), &event.id]),
        store::encode(&event)?,
    );
    cx.store().commit(batch).await?;
    cx.lambda.runtime.wake.notify_one();
    Ok(())
}

/// Everything a sandbox needs to run `config`.
pub(crate) async fn spec(
    lambda: &Lambda,
    scope: &Scope,
    config: &Config,
    qualifier: Option<&str>,
) -> Result<FunctionSpec> {
    let store = lambda.store.as_ref();
    let work = &lambda.config.work_dir;
    let code_dir = code::extracted(store, work, &config.code_key).await?;
    let mut layer_dirs = Vec::new();
    for l in &config.layers {
        layer_dirs.push(code::extracted(store, work, &l.code_key).await?);
    }
    let function_arn = scope.function_arn(&config.name);
    let invoked_arn = match qualifier {
        Some(q) => format!("{function_arn}:{q}"),
        None => function_arn,
    };
    let log_group = config
        .logging_config
        .as_ref()
        .and_then(|l| l.get("LogGroup"))
        .and_then(|g| g.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| format!("/aws/lambda/{}", config.name));
    let runtime = config
        .runtime
        .clone()
        .ok_or_else(|| function_not_found(scope, &config.name, None))?;
    Ok(FunctionSpec {
        account_id: scope.account.clone(),
        region: scope.region.clone(),
        function_name: config.name.clone(),
        version: config.version.clone(),
        invoked_arn,
        runtime,
        handler: config.handler.clone().unwrap_or_default(),
        memory_mb: config.memory_size,
        timeout: Duration::from_secs(u64::from(config.timeout)),
        ephemeral_storage_mb: config.ephemeral_storage,
        environment: config.environment.clone().unwrap_or_default(),
        code_dir,
        layer_dirs,
        // No STS coupling yet: the SDK's usual local credentials.
        credentials: Some(Credentials {
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
            session_token: "test".into(),
        }),
        log_group,
        revision: format!("{}:{}", config.version, config.revision_id),
    })
}

impl Invoker for Lambda {
    fn invoke(
        &self,
        req: InvokeRequest,
    ) -> BoxFuture<'_, std::result::Result<InvokeResponse, InvokeError>> {
        Box::pin(async move {
            let ctx = RequestContext {
                request_id: new_request_id(),
                account_id: req.account_id.clone(),
                region: req.region.clone(),
                access_key_id: String::new(),
                endpoint: self.config.endpoint_url.clone(),
            };
            let cx = Cx {
                lambda: self,
                scope: Scope {
                    account: req.account_id,
                    region: req.region,
                },
                ctx: &ctx,
            };
            let kind = match req.invocation_type {
                InvocationType::RequestResponse => Kind::RequestResponse,
                InvocationType::Event => Kind::Event,
            };
            let result = async {
                let fref = parse_ref(&cx.scope, &req.function, req.qualifier.as_deref())?;
                invoke(
                    &cx,
                    &fref.name,
                    fref.qualifier.as_deref(),
                    kind,
                    req.payload,
                    false,
                    None,
                )
                .await
            }
            .await;
            match result {
                Ok(out) => Ok(InvokeResponse {
                    status: out.status,
                    payload: out.payload,
                    function_error: out.function_error,
                    executed_version: out.executed_version.unwrap_or_default(),
                }),
                Err(e) => {
                    let e = AwsError::from(e);
                    Err(InvokeError {
                        code: e.code.shape.to_string(),
                        message: e.message,
                        status: e.code.status,
                    })
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_routing_follows_the_draw() {
        let w: std::collections::BTreeMap<String, f64> = [("2".to_string(), 0.3)].into();
        assert_eq!(route("1", &w, 0.1), "2");
        assert_eq!(route("1", &w, 0.29), "2");
        assert_eq!(route("1", &w, 0.3), "1");
        assert_eq!(route("1", &w, 0.99), "1");
        let d = draw();
        assert!((0.0..1.0).contains(&d));
    }
}
