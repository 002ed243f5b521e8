//! PutFunctionConcurrency, GetFunctionConcurrency, DeleteFunctionConcurrency: reserved
//! concurrency, checked against the account's limit so that at least 100 executions stay
//! unreserved, as on AWS.
//!
//! Known difference from AWS: the check reads the other functions' reservations without a
//! lock, so two concurrent reservations can together pass the minimum.

use super::{Cx, input, json, load_function, parse_ref, update_function};
use crate::error::{LambdaError, Result};
use crate::store;
use lamina_core::{Input, Output};
use lamina_model::generated::lambda_::op;
use serde::Deserialize;
use serde_json::json;

pub(crate) const OPS: &[&str] = &[
    op::PUT_FUNCTION_CONCURRENCY,
    op::GET_FUNCTION_CONCURRENCY,
    op::DELETE_FUNCTION_CONCURRENCY,
];

/// Executions AWS keeps unreserved in every account.
pub(crate) const MIN_UNRESERVED: u32 = 100;

pub(crate) async fn call(cx: &Cx<'_>, op: &str, i: Input) -> Result<Output> {
    match op {
        op::PUT_FUNCTION_CONCURRENCY => put(cx, input(i.value)?).await,
        op::GET_FUNCTION_CONCURRENCY => get(cx, input(i.value)?).await,
        op::DELETE_FUNCTION_CONCURRENCY => delete(cx, input(i.value)?).await,
        _ => Err(LambdaError::Internal(format!(
            "{op} is not a concurrency operation"
        ))),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutFunctionConcurrencyRequest {
    pub function_name: String,
    pub reserved_concurrent_executions: u32,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetFunctionConcurrencyRequest {
    pub function_name: String,
}

/// The sum of every function's reserved concurrency, except `except`'s.
pub(crate) async fn reserved_total(cx: &Cx<'_>, except: Option<&str>) -> Result<u64> {
    let functions = store::functions(cx.store(), &cx.scope).await?;
    Ok(functions
        .iter()
        .filter(|f| Some(f.latest.name.as_str()) != except)
        .filter_map(|f| f.reserved_concurrency)
        .map(u64::from)
        .sum())
}

async fn put(cx: &Cx<'_>, r: PutFunctionConcurrencyRequest) -> Result<Output> {
    let name = parse_ref(&cx.scope, &r.function_name, None)?.name;
    load_function(cx, &name).await?;
    let others = reserved_total(cx, Some(&name)).await?;
    let limit = u64::from(cx.lambda.config.account_concurrency);
    let n = r.reserved_concurrent_executions;
    if others + u64::from(n) + u64::from(MIN_UNRESERVED) > limit {
        return Err(LambdaError::InvalidParameter(format!(
            "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution \
             below its minimum value of [{MIN_UNRESERVED}]."
        )));
    }
    update_function(cx, &name, |f, _| {
        f.reserved_concurrency = Some(n);
        Ok(())
    })
    .await?;
    json(json!({ "ReservedConcurrentExecutions": n }))
}

async fn get(cx: &Cx<'_>, r: GetFunctionConcurrencyRequest) -> Result<Output> {
    let name = parse_ref(&cx.scope, &r.function_name, None)?.name;
    let f = load_function(cx, &name).await?.record;
    match f.reserved_concurrency {
        Some(n) => json(json!({ "ReservedConcurrentExecutions": n })),
        None => json(json!({})),
    }
}

async fn delete(cx: &Cx<'_>, r: GetFunctionConcurrencyRequest) -> Result<Output> {
    let name = parse_ref(&cx.scope, &r.function_name, None)?.name;
    update_function(cx, &name, |f, _| {
        f.reserved_concurrency = None;
        Ok(())
    })
    .await?;
    json(json!({}))
}
