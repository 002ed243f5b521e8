//! Put/Get/Update/Delete/ListFunctionEventInvokeConfig(s): asynchronous invocation options
//! (retries, maximum event age, destinations) per qualifier, kept in the function record.

use super::{Cx, input, json, page, parse_ref, resolve, update_function};
use crate::error::{LambdaError, Result};
use crate::model::EventInvokeConfig;
use lamina_core::{Input, Output, now_epoch_seconds};
use lamina_model::generated::lambda_::op;
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) const OPS: &[&str] = &[
    op::PUT_FUNCTION_EVENT_INVOKE_CONFIG,
    op::GET_FUNCTION_EVENT_INVOKE_CONFIG,
    op::UPDATE_FUNCTION_EVENT_INVOKE_CONFIG,
    op::DELETE_FUNCTION_EVENT_INVOKE_CONFIG,
    op::LIST_FUNCTION_EVENT_INVOKE_CONFIGS,
];

pub(crate) async fn call(cx: &Cx<'_>, op: &str, i: Input) -> Result<Output> {
    match op {
        op::PUT_FUNCTION_EVENT_INVOKE_CONFIG => put(cx, input(i.value)?, false).await,
        op::UPDATE_FUNCTION_EVENT_INVOKE_CONFIG => put(cx, input(i.value)?, true).await,
        op::GET_FUNCTION_EVENT_INVOKE_CONFIG => get(cx, input(i.value)?).await,
        op::DELETE_FUNCTION_EVENT_INVOKE_CONFIG => delete(cx, input(i.value)?).await,
        op::LIST_FUNCTION_EVENT_INVOKE_CONFIGS => list(cx, input(i.value)?).await,
        _ => Err(LambdaError::Internal(format!(
            "{op} is not an event invoke config operation"
        ))),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutFunctionEventInvokeConfigRequest {
    pub function_name: String,
    pub qualifier: Option<String>,
    pub maximum_retry_attempts: Option<u32>,
    pub maximum_event_age_in_seconds: Option<u32>,
    pub destination_config: Option<Value>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetFunctionEventInvokeConfigRequest {
    pub function_name: String,
    pub qualifier: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListFunctionEventInvokeConfigsRequest {
    pub function_name: String,
    pub marker: Option<String>,
    pub max_items: Option<usize>,
}

fn constraint(value: u32, at: &str, rule: &str) -> LambdaError {
    LambdaError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {rule}"
    ))
}

fn check(r: &PutFunctionEventInvokeConfigRequest) -> Result<()> {
    if let Some(n) = r.maximum_retry_attempts
        && n > 2
    {
        return Err(constraint(
            n,
            "maximumRetryAttempts",
            "Member must have value less than or equal to 2",
        ));
    }
    if let Some(n) = r.maximum_event_age_in_seconds {
        if n < 60 {
            return Err(constraint(
                n,
                "maximumEventAgeInSeconds",
                "Member must have value greater than or equal to 60",
            ));
        }
        if n > 21600 {
            return Err(constraint(
                n,
                "maximumEventAgeInSeconds",
                "Member must have value less than or equal to 21600",
            ));
        }
    }
    if let Some(d) = &r.destination_config {
        for side in ["OnSuccess", "OnFailure"] {
            if let Some(arn) = d
                .get(side)
                .and_then(|s| s.get("Destination"))
                .and_then(Value::as_str)
            {
                let service = arn.split(':').nth(2).unwrap_or_default();
                if !arn.starts_with("arn:")
                    || !["sqs", "sns", "lambda", "events", "s3"].contains(&service)
                {
                    return Err(LambdaError::InvalidParameter(format!(
                        "The destination ARN {arn} is invalid."
                    )));
                }
            }
        }
    }
    Ok(())
}

fn render(arn: &str, c: &EventInvokeConfig) -> Value {
    let mut v = json!({
        "LastModified": c.last_modified,
        "FunctionArn": arn,
        "DestinationConfig": c.destination_config.clone().unwrap_or_else(|| json!({ "OnSuccess": {}, "OnFailure": {} })),
    });
    if let Some(n) = c.maximum_retry_attempts {
        v["MaximumRetryAttempts"] = json!(n);
    }
    if let Some(n) = c.maximum_event_age_in_seconds {
        v["MaximumEventAgeInSeconds"] = json!(n);
    }
    v
}

fn not_found(arn: &str) -> LambdaError {
    LambdaError::NotFound(format!(
        "The function {arn} doesn't have an EventInvokeConfig"
    ))
}

async fn put(cx: &Cx<'_>, r: PutFunctionEventInvokeConfigRequest, merge: bool) -> Result<Output> {
    check(&r)?;
    let fref = parse_ref(&cx.scope, &r.function_name, r.qualifier.as_deref())?;
    resolve(cx, &fref.name, fref.qualifier.as_deref()).await?;
    let qualifier = fref.qualifier.unwrap_or_else(|| "$LATEST".into());
    let arn = format!("{}:{qualifier}", cx.scope.function_arn(&fref.name));
    let c = update_function(cx, &fref.name, |f, _| {
        let mut c = match (merge, f.event_invoke_configs.get(&qualifier)) {
            (true, Some(old)) => old.clone(),
            (true, None) => return Err(not_found(&arn)),
            (false, _) => EventInvokeConfig {
                maximum_retry_attempts: None,
                maximum_event_age_in_seconds: None,
                destination_config: None,
                last_modified: 0.0,
            },
        };
        if r.maximum_retry_attempts.is_some() || !merge {
            c.maximum_retry_attempts = r.maximum_retry_attempts;
        }
        if r.maximum_event_age_in_seconds.is_some() || !merge {
            c.maximum_event_age_in_seconds = r.maximum_event_age_in_seconds;
        }
        if r.destination_config.is_some() || !merge {
            c.destination_config = r.destination_config.clone();
        }
        c.last_modified = now_epoch_seconds();
        f.event_invoke_configs.insert(qualifier.clone(), c.clone());
        Ok(c)
    })
    .await?;
    json(render(&arn, &c))
}

async fn get(cx: &Cx<'_>, r: GetFunctionEventInvokeConfigRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, r.qualifier.as_deref())?;
    let res = resolve(cx, &fref.name, fref.qualifier.as_deref()).await?;
    let qualifier = fref.qualifier.unwrap_or_else(|| "$LATEST".into());
    let arn = format!("{}:{qualifier}", cx.scope.function_arn(&fref.name));
    let c = res
        .function
        .event_invoke_configs
        .get(&qualifier)
        .ok_or_else(|| not_found(&arn))?;
    json(render(&arn, c))
}

async fn delete(cx: &Cx<'_>, r: GetFunctionEventInvokeConfigRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, r.qualifier.as_deref())?;
    resolve(cx, &fref.name, fref.qualifier.as_deref()).await?;
    let qualifier = fref.qualifier.unwrap_or_else(|| "$LATEST".into());
    let arn = format!("{}:{qualifier}", cx.scope.function_arn(&fref.name));
    update_function(cx, &fref.name, |f, _| {
        f.event_invoke_configs
            .remove(&qualifier)
            .map(|_| ())
            .ok_or_else(|| not_found(&arn))
    })
    .await?;
    json(json!({}))
}

async fn list(cx: &Cx<'_>, r: ListFunctionEventInvokeConfigsRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, None)?;
    let res = resolve(cx, &fref.name, None).await?;
    let base = cx.scope.function_arn(&fref.name);
    let items: Vec<(String, EventInvokeConfig)> =
        res.function.event_invoke_configs.into_iter().collect();
    let (items, next) = page(
        items,
        |(q, _)| q.clone(),
        r.marker.as_deref(),
        r.max_items,
        50,
    )?;
    let list: Vec<Value> = items
        .iter()
        .map(|(q, c)| render(&format!("{base}:{q}"), c))
        .collect();
    let mut out = json!({ "FunctionEventInvokeConfigs": list });
    if let Some(m) = next {
        out["NextMarker"] = json!(m);
    }
    json(out)
}
