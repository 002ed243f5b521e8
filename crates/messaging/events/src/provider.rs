//! The `Service` implementation: deserialize the canonical input, run the operation, map the
//! result. No logic of its own.

use crate::Events;
use crate::error::EventsError;
use crate::ops;
use crate::store::Scope;
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_model::generated::events::op;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// EventBridge behind the `AWSEvents` JSON 1.1 protocol.
pub struct EventsService {
    events: Events,
}

impl EventsService {
    pub fn new(events: Events) -> Self {
        Self { events }
    }
}

const IMPLEMENTED: &[&str] = &[
    op::CREATE_EVENT_BUS,
    op::DELETE_EVENT_BUS,
    op::DELETE_RULE,
    op::DESCRIBE_EVENT_BUS,
    op::DESCRIBE_RULE,
    op::DISABLE_RULE,
    op::ENABLE_RULE,
    op::LIST_EVENT_BUSES,
    op::LIST_RULES,
    op::LIST_TAGS_FOR_RESOURCE,
    op::LIST_TARGETS_BY_RULE,
    op::PUT_EVENTS,
    op::PUT_RULE,
    op::PUT_TARGETS,
    op::REMOVE_TARGETS,
    op::TAG_RESOURCE,
    op::UNTAG_RESOURCE,
];

fn input<T: DeserializeOwned>(value: Value) -> Result<T, EventsError> {
    serde_json::from_value(value)
        .map_err(|e| EventsError::Serialization(format!("Invalid request: {e}")))
}

fn empty() -> Output {
    Output::json(json!({}))
}

impl EventsService {
    async fn dispatch(
        &self,
        ctx: &RequestContext,
        operation: &str,
        v: Value,
    ) -> Result<Output, EventsError> {
        let e = &*self.events.inner;
        let scope = Scope {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
        };
        let s = &scope;
        let out = match operation {
            op::PUT_RULE => ops::rules::put(e, s, input(v)?).await?,
            op::DESCRIBE_RULE => ops::rules::describe(e, s, input(v)?).await?,
            op::LIST_RULES => ops::rules::list(e, s, input(v)?).await?,
            op::DELETE_RULE => return ops::rules::delete(e, s, input(v)?).await.map(|()| empty()),
            op::ENABLE_RULE => {
                return ops::rules::set_state(e, s, input(v)?, true)
                    .await
                    .map(|()| empty());
            }
            op::DISABLE_RULE => {
                return ops::rules::set_state(e, s, input(v)?, false)
                    .await
                    .map(|()| empty());
            }
            op::PUT_TARGETS => ops::targets::put(e, s, input(v)?).await?,
            op::REMOVE_TARGETS => ops::targets::remove(e, s, input(v)?).await?,
            op::LIST_TARGETS_BY_RULE => ops::targets::list(e, s, input(v)?).await?,
            op::PUT_EVENTS => ops::put_events::put(e, s, input(v)?).await?,
            op::CREATE_EVENT_BUS => ops::buses::create(e, s, input(v)?).await?,
            op::DESCRIBE_EVENT_BUS => ops::buses::describe(e, s, input(v)?).await?,
            op::LIST_EVENT_BUSES => ops::buses::list(e, s, input(v)?).await?,
            op::DELETE_EVENT_BUS => {
                return ops::buses::delete(e, s, input(v)?).await.map(|()| empty());
            }
            op::TAG_RESOURCE => return ops::tags::tag(e, s, input(v)?).await.map(|()| empty()),
            op::UNTAG_RESOURCE => {
                return ops::tags::untag(e, s, input(v)?).await.map(|()| empty());
            }
            op::LIST_TAGS_FOR_RESOURCE => ops::tags::list(e, s, input(v)?).await?,
            other => {
                return Err(EventsError::Internal(format!(
                    "operation {other} is not implemented"
                )));
            }
        };
        Ok(Output::json(out))
    }
}

impl Service for EventsService {
    fn name(&self) -> &'static str {
        "events"
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
        let model = lamina_model::get("events").expect("events model");
        for name in IMPLEMENTED {
            assert!(model.operation(name).is_some(), "{name}");
        }
    }
}
