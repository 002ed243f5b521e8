//! The `Service` implementation: deserialize the canonical input, run the operation, map the
//! result. No logic of its own. Also the [`TopicPublisher`] other services publish through.

use crate::Sns;
use crate::error::SnsError;
use crate::ops::{self, Ctx, publish, subscriptions, tags, topics};
use crate::store::Scope;
use crate::types::PublishInput;
use lamina_bus::{QueueError, TopicMessage, TopicPublisher};
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_model::generated::sns::op;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// SNS behind the query protocol.
pub struct SnsService {
    sns: Sns,
}

impl SnsService {
    pub fn new(sns: Sns) -> Self {
        Self { sns }
    }
}

const IMPLEMENTED: &[&str] = &[
    op::CONFIRM_SUBSCRIPTION,
    op::CREATE_TOPIC,
    op::DELETE_TOPIC,
    op::GET_DATA_PROTECTION_POLICY,
    op::GET_SUBSCRIPTION_ATTRIBUTES,
    op::GET_TOPIC_ATTRIBUTES,
    op::LIST_SUBSCRIPTIONS,
    op::LIST_SUBSCRIPTIONS_BY_TOPIC,
    op::LIST_TAGS_FOR_RESOURCE,
    op::LIST_TOPICS,
    op::PUBLISH,
    op::PUBLISH_BATCH,
    op::PUT_DATA_PROTECTION_POLICY,
    op::SET_SUBSCRIPTION_ATTRIBUTES,
    op::SET_TOPIC_ATTRIBUTES,
    op::SUBSCRIBE,
    op::TAG_RESOURCE,
    op::UNSUBSCRIBE,
    op::UNTAG_RESOURCE,
];

fn input<T: DeserializeOwned>(value: Value) -> Result<T, SnsError> {
    serde_json::from_value(value)
        .map_err(|e| SnsError::Serialization(format!("Invalid request: {e}")))
}

fn output<T: Serialize>(value: T) -> Result<Output, SnsError> {
    serde_json::to_value(value)
        .map(Output::json)
        .map_err(|e| SnsError::Internal(format!("encode output: {e}")))
}

fn empty() -> Output {
    Output::json(json!({}))
}

impl SnsService {
    async fn dispatch(
        &self,
        ctx: &RequestContext,
        operation: &str,
        v: Value,
    ) -> Result<Output, SnsError> {
        let i = &*self.sns.inner;
        let c = &Ctx {
            scope: Scope {
                account: ctx.account_id.clone(),
                region: ctx.region.clone(),
            },
            endpoint: ctx.endpoint.clone(),
        };
        match operation {
            op::CREATE_TOPIC => output(topics::create(i, c, input(v)?).await?),
            op::DELETE_TOPIC => topics::delete(i, c, input(v)?).await.map(|()| empty()),
            op::LIST_TOPICS => output(topics::list(i, c, input(v)?).await?),
            op::GET_TOPIC_ATTRIBUTES => output(topics::get_attributes(i, c, input(v)?).await?),
            op::SET_TOPIC_ATTRIBUTES => topics::set_attribute(i, c, input(v)?)
                .await
                .map(|()| empty()),
            op::PUT_DATA_PROTECTION_POLICY => topics::put_data_protection_policy(i, c, input(v)?)
                .await
                .map(|()| empty()),
            op::GET_DATA_PROTECTION_POLICY => {
                output(topics::get_data_protection_policy(i, c, input(v)?).await?)
            }
            op::SUBSCRIBE => output(subscriptions::subscribe(i, c, input(v)?).await?),
            op::CONFIRM_SUBSCRIPTION => output(subscriptions::confirm(i, c, input(v)?).await?),
            op::UNSUBSCRIBE => subscriptions::unsubscribe(i, input(v)?)
                .await
                .map(|()| empty()),
            op::LIST_SUBSCRIPTIONS | op::LIST_SUBSCRIPTIONS_BY_TOPIC => {
                output(subscriptions::list(i, c, input(v)?).await?)
            }
            op::GET_SUBSCRIPTION_ATTRIBUTES => {
                output(subscriptions::get_attributes(i, input(v)?).await?)
            }
            op::SET_SUBSCRIPTION_ATTRIBUTES => subscriptions::set_attribute(i, input(v)?)
                .await
                .map(|()| empty()),
            op::PUBLISH => output(publish::publish(i, c, input(v)?).await?),
            op::PUBLISH_BATCH => output(publish::publish_batch(i, c, input(v)?).await?),
            op::TAG_RESOURCE => tags::tag(i, c, input(v)?).await.map(|()| empty()),
            op::UNTAG_RESOURCE => tags::untag(i, c, input(v)?).await.map(|()| empty()),
            op::LIST_TAGS_FOR_RESOURCE => output(tags::list(i, c, input(v)?).await?),
            other => Err(SnsError::Internal(format!(
                "operation {other} is not implemented"
            ))),
        }
    }
}

impl Service for SnsService {
    fn name(&self) -> &'static str {
        "sns"
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

/// Publishing from other services (Lambda destinations, alarms, S3 notifications).
impl TopicPublisher for Sns {
    fn publish<'a>(
        &'a self,
        topic_arn: &'a str,
        message: TopicMessage,
    ) -> BoxFuture<'a, Result<String, QueueError>> {
        Box::pin(async move {
            let parts: Vec<&str> = topic_arn.split(':').collect();
            let (region, account) = match parts.as_slice() {
                [_, _, _, region, account, _] => (region.to_string(), account.to_string()),
                _ => {
                    return Err(QueueError {
                        code: "InvalidParameter".into(),
                        message: "Invalid parameter: TopicArn".into(),
                    });
                }
            };
            let ctx = Ctx {
                scope: Scope { account, region },
                endpoint: self.inner.config.endpoint.clone(),
            };
            let attributes = serde_json::from_value(Value::Object(message.attributes)).ok();
            let req = PublishInput {
                topic_arn: Some(topic_arn.to_string()),
                message: message.message,
                subject: message.subject,
                message_attributes: attributes,
                ..Default::default()
            };
            ops::publish::publish(&self.inner, &ctx, req)
                .await
                .map(|r| r.message_id)
                .map_err(|e| QueueError {
                    code: e.code().code.to_string(),
                    message: e.to_string(),
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implemented_operations_exist_in_the_model() {
        let model = lamina_model::get("sns").expect("sns model");
        for name in IMPLEMENTED {
            assert!(model.operation(name).is_some(), "{name}");
        }
    }
}
