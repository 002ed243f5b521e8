//! The `Service` implementation: deserialize the canonical input, run the operation, map the
//! result. No logic of its own. Also the [`QueueSender`] other services enqueue through.

use crate::error::SqsError;
use crate::ops::{self, Call};
use crate::store::Scope;
use crate::{Sqs, SqsConfig};
use lamina_bus::{QueueError, QueueMessage, QueueSender};
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_model::generated::sqs::op;
use lamina_storage::Store;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// The `sqs` service over an [`Sqs`] engine.
pub struct SqsService {
    sqs: Arc<Sqs>,
}

impl SqsService {
    pub fn new(sqs: Arc<Sqs>) -> Self {
        Self { sqs }
    }

    /// A service over its own engine with the default configuration (tests).
    pub fn with_store(store: Arc<dyn Store>) -> Self {
        Self::new(Sqs::new(store, SqsConfig::default()))
    }

    pub fn engine(&self) -> &Arc<Sqs> {
        &self.sqs
    }
}

const IMPLEMENTED: &[&str] = lamina_model::generated::sqs::OPERATIONS;

fn input<T: DeserializeOwned>(value: Value) -> Result<T, SqsError> {
    serde_json::from_value(value)
        .map_err(|e| SqsError::Serialization(format!("Invalid request: {e}")))
}

fn output<T: Serialize>(value: T) -> Result<Output, SqsError> {
    serde_json::to_value(value)
        .map(Output::json)
        .map_err(|e| SqsError::Internal(format!("encode output: {e}")))
}

fn empty(r: Result<(), SqsError>) -> Result<Output, SqsError> {
    r.map(|()| Output::json(json!({})))
}

async fn dispatch(
    sqs: &Sqs,
    ctx: &RequestContext,
    operation: &str,
    v: Value,
) -> Result<Output, SqsError> {
    let call = Call {
        scope: Scope {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
        },
        endpoint: &ctx.endpoint,
    };
    let c = &call;
    match operation {
        op::CREATE_QUEUE => output(ops::queues::create(sqs, c, input(v)?).await?),
        op::GET_QUEUE_URL => output(ops::queues::get_url(sqs, c, input(v)?).await?),
        op::LIST_QUEUES => output(ops::queues::list(sqs, c, input(v)?).await?),
        op::GET_QUEUE_ATTRIBUTES => output(ops::queues::get_attributes(sqs, c, input(v)?).await?),
        op::SET_QUEUE_ATTRIBUTES => empty(ops::queues::set_attributes(sqs, c, input(v)?).await),
        op::DELETE_QUEUE => empty(ops::queues::delete(sqs, c, input(v)?).await),
        op::PURGE_QUEUE => empty(ops::queues::purge(sqs, c, input(v)?).await),
        op::TAG_QUEUE => empty(ops::queues::tag(sqs, c, input(v)?).await),
        op::UNTAG_QUEUE => empty(ops::queues::untag(sqs, c, input(v)?).await),
        op::LIST_QUEUE_TAGS => output(ops::queues::list_tags(sqs, c, input(v)?).await?),
        op::ADD_PERMISSION => empty(ops::queues::add_permission(sqs, c, input(v)?).await),
        op::REMOVE_PERMISSION => empty(ops::queues::remove_permission(sqs, c, input(v)?).await),
        op::LIST_DEAD_LETTER_SOURCE_QUEUES => {
            output(ops::queues::dead_letter_sources(sqs, c, input(v)?).await?)
        }
        op::SEND_MESSAGE => output(ops::send::send(sqs, c, input(v)?).await?),
        op::SEND_MESSAGE_BATCH => output(ops::batch::send(sqs, c, input(v)?).await?),
        op::RECEIVE_MESSAGE => output(ops::receive::receive(sqs, c, input(v)?).await?),
        op::DELETE_MESSAGE => empty(ops::messages::delete(sqs, c, input(v)?).await),
        op::DELETE_MESSAGE_BATCH => output(ops::batch::delete(sqs, c, input(v)?).await?),
        op::CHANGE_MESSAGE_VISIBILITY => {
            empty(ops::messages::change_visibility(sqs, c, input(v)?).await)
        }
        op::CHANGE_MESSAGE_VISIBILITY_BATCH => {
            output(ops::batch::change_visibility(sqs, c, input(v)?).await?)
        }
        op::START_MESSAGE_MOVE_TASK => output(ops::moves::start(sqs, input(v)?).await?),
        op::LIST_MESSAGE_MOVE_TASKS => output(ops::moves::list(sqs, input(v)?).await?),
        op::CANCEL_MESSAGE_MOVE_TASK => output(ops::moves::cancel(sqs, input(v)?).await?),
        other => Err(SqsError::Internal(format!(
            "operation {other} is not implemented"
        ))),
    }
}

impl Service for SqsService {
    fn name(&self) -> &'static str {
        "sqs"
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
            dispatch(&self.sqs, ctx, operation, input.value)
                .await
                .map_err(AwsError::from)
        })
    }
}

impl QueueSender for Sqs {
    fn send<'a>(
        &'a self,
        queue_arn: &'a str,
        message: QueueMessage,
    ) -> BoxFuture<'a, Result<String, QueueError>> {
        Box::pin(async move {
            let fail = |e: SqsError| {
                let (code, message) = match e.code() {
                    Some(c) => (c.code.to_string(), e.to_string()),
                    None => ("InternalFailure".to_string(), e.to_string()),
                };
                QueueError { code, message }
            };
            let Some((scope, name)) = ops::parse_arn(queue_arn) else {
                return Err(fail(SqsError::QueueDoesNotExist));
            };
            let q = self
                .table
                .queue(&scope, &name)
                .await
                .map_err(fail)?
                .ok_or_else(|| fail(SqsError::QueueDoesNotExist))?;
            let attributes =
                serde_json::from_value(Value::Object(message.attributes)).map_err(|e| {
                    fail(SqsError::InvalidParameterValue(format!(
                        "message attributes: {e}"
                    )))
                })?;
            let m = ops::send::Outgoing {
                body: message.body,
                attributes,
                group: message.group_id,
                dedup: message.deduplication_id,
                ..Default::default()
            };
            let sender = scope.account.clone();
            ops::send::enqueue(self, &scope, &q.rec, m, &sender)
                .await
                .map(|r| r.message_id)
                .map_err(fail)
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_model_operation_is_dispatched() {
        let model = lamina_model::get("sqs").expect("sqs model");
        for name in super::IMPLEMENTED {
            assert!(model.operation(name).is_some(), "{name}");
        }
    }
}
