//! The `Service` implementation: deserialize the canonical input, run the operation, map the
//! result. No logic of its own.

use crate::error::LogsError;
use crate::logs::Logs;
use crate::ops;
use crate::store::Scope;
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_model::generated::logs::op;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// CloudWatch Logs behind the `Logs_20140328` JSON 1.1 protocol.
pub struct LogsService {
    logs: Arc<Logs>,
}

impl LogsService {
    pub fn new(logs: Arc<Logs>) -> Self {
        Self { logs }
    }
}

const IMPLEMENTED: &[&str] = &[
    op::CREATE_LOG_GROUP,
    op::CREATE_LOG_STREAM,
    op::DELETE_LOG_GROUP,
    op::DELETE_LOG_STREAM,
    op::DELETE_RETENTION_POLICY,
    op::DESCRIBE_LOG_GROUPS,
    op::DESCRIBE_LOG_STREAMS,
    op::FILTER_LOG_EVENTS,
    op::GET_LOG_EVENTS,
    op::LIST_TAGS_FOR_RESOURCE,
    op::LIST_TAGS_LOG_GROUP,
    op::PUT_LOG_EVENTS,
    op::PUT_RETENTION_POLICY,
    op::TAG_LOG_GROUP,
    op::TAG_RESOURCE,
    op::UNTAG_LOG_GROUP,
    op::UNTAG_RESOURCE,
];

fn input<T: DeserializeOwned>(value: Value) -> Result<T, LogsError> {
    serde_json::from_value(value)
        .map_err(|e| LogsError::Serialization(format!("Invalid request: {e}")))
}

fn output<T: Serialize>(value: T) -> Result<Output, LogsError> {
    serde_json::to_value(value)
        .map(Output::json)
        .map_err(|e| LogsError::Internal(format!("encode output: {e}")))
}

fn empty(r: Result<(), LogsError>) -> Result<Output, LogsError> {
    r.map(|()| Output::json(json!({})))
}

impl LogsService {
    async fn dispatch(
        &self,
        ctx: &RequestContext,
        operation: &str,
        v: Value,
    ) -> Result<Output, LogsError> {
        let l = self.logs.as_ref();
        let scope = Scope {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
        };
        let s = &scope;
        match operation {
            op::CREATE_LOG_GROUP => empty(ops::groups::create(l, s, input(v)?).await),
            op::DELETE_LOG_GROUP => empty(ops::groups::delete(l, s, input(v)?).await),
            op::DESCRIBE_LOG_GROUPS => output(ops::groups::describe(l, s, input(v)?).await?),
            op::PUT_RETENTION_POLICY => empty(ops::groups::put_retention(l, s, input(v)?).await),
            op::DELETE_RETENTION_POLICY => {
                empty(ops::groups::delete_retention(l, s, input(v)?).await)
            }
            op::CREATE_LOG_STREAM => empty(ops::streams::create(l, s, input(v)?).await),
            op::DELETE_LOG_STREAM => empty(ops::streams::delete(l, s, input(v)?).await),
            op::DESCRIBE_LOG_STREAMS => output(ops::streams::describe(l, s, input(v)?).await?),
            op::PUT_LOG_EVENTS => output(ops::events::put(l, s, input(v)?).await?),
            op::GET_LOG_EVENTS => output(ops::events::get(l, s, input(v)?).await?),
            op::FILTER_LOG_EVENTS => output(ops::filter::filter(l, s, input(v)?).await?),
            op::TAG_RESOURCE => empty(ops::tags::tag_resource(l, s, input(v)?).await),
            op::UNTAG_RESOURCE => empty(ops::tags::untag_resource(l, s, input(v)?).await),
            op::LIST_TAGS_FOR_RESOURCE => {
                output(ops::tags::list_for_resource(l, s, input(v)?).await?)
            }
            op::TAG_LOG_GROUP => empty(ops::tags::tag_log_group(l, s, input(v)?).await),
            op::UNTAG_LOG_GROUP => empty(ops::tags::untag_log_group(l, s, input(v)?).await),
            op::LIST_TAGS_LOG_GROUP => output(ops::tags::list_log_group(l, s, input(v)?).await?),
            other => Err(LogsError::Internal(format!(
                "operation {other} is not implemented"
            ))),
        }
    }
}

impl Service for LogsService {
    fn name(&self) -> &'static str {
        "logs"
    }

    fn implemented(&self) -> &'static [&'static str] {
        IMPLEMENTED
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Input,
    ) -> BoxFuture<'a, Result<Output, AwsError>> {
        Box::pin(async move {
            self.dispatch(ctx, operation, input.value)
                .await
                .map_err(AwsError::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implemented_operations_exist_in_the_model() {
        let model = lamina_model::get("logs").expect("logs model");
        for name in IMPLEMENTED {
            assert!(model.operation(name).is_some(), "{name}");
        }
    }
}
