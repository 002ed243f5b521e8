//! The `Service` implementation: deserialize the canonical input, run the operation, map the
//! result. No logic of its own.

use crate::crypto::Crypto;
use crate::error::SsmError;
use crate::ops::{self, Engine};
use crate::store::{Scope, Table};
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_model::generated::ssm::op;
use lamina_storage::Store;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;

/// SSM Parameter Store over a [`Store`], with SecureString values encrypted under a 32-byte
/// master key.
pub struct SsmService {
    engine: Engine,
}

impl SsmService {
    pub fn new(store: Arc<dyn Store>, master_key: [u8; 32]) -> Self {
        Self {
            engine: Engine {
                table: Table::new(store),
                crypto: Crypto::new(master_key),
            },
        }
    }
}

const IMPLEMENTED: &[&str] = &[
    op::ADD_TAGS_TO_RESOURCE,
    op::DELETE_PARAMETER,
    op::DELETE_PARAMETERS,
    op::DESCRIBE_PARAMETERS,
    op::GET_PARAMETER,
    op::GET_PARAMETER_HISTORY,
    op::GET_PARAMETERS,
    op::GET_PARAMETERS_BY_PATH,
    op::LABEL_PARAMETER_VERSION,
    op::LIST_TAGS_FOR_RESOURCE,
    op::PUT_PARAMETER,
    op::REMOVE_TAGS_FROM_RESOURCE,
    op::UNLABEL_PARAMETER_VERSION,
];

fn input<T: DeserializeOwned>(value: Value) -> Result<T, SsmError> {
    serde_json::from_value(value)
        .map_err(|e| SsmError::Serialization(format!("Invalid request: {e}")))
}

fn output<T: Serialize>(value: T) -> Result<Output, SsmError> {
    serde_json::to_value(value)
        .map(Output::json)
        .map_err(|e| SsmError::Internal(format!("encode output: {e}")))
}

fn empty() -> Output {
    Output::json(json!({}))
}

impl SsmService {
    async fn dispatch(
        &self,
        ctx: &RequestContext,
        operation: &str,
        v: Value,
    ) -> Result<Output, SsmError> {
        let e = &self.engine;
        let scope = Scope {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
            user: format!("arn:aws:iam::{}:root", ctx.account_id),
        };
        let s = &scope;
        match operation {
            op::PUT_PARAMETER => output(ops::put::put(e, s, input(v)?).await?),
            op::GET_PARAMETER => output(ops::get::get(e, s, input(v)?).await?),
            op::GET_PARAMETERS => output(ops::get::get_many(e, s, input(v)?).await?),
            op::GET_PARAMETERS_BY_PATH => output(ops::get::by_path(e, s, input(v)?).await?),
            op::GET_PARAMETER_HISTORY => output(ops::get::history(e, s, input(v)?).await?),
            op::DESCRIBE_PARAMETERS => output(ops::describe::describe(e, s, input(v)?).await?),
            op::DELETE_PARAMETER => ops::delete::delete(e, s, input(v)?).await.map(|()| empty()),
            op::DELETE_PARAMETERS => output(ops::delete::delete_many(e, s, input(v)?).await?),
            op::LABEL_PARAMETER_VERSION => output(ops::labels::label(e, s, input(v)?).await?),
            op::UNLABEL_PARAMETER_VERSION => output(ops::labels::unlabel(e, s, input(v)?).await?),
            op::ADD_TAGS_TO_RESOURCE => ops::tags::add(e, s, input(v)?).await.map(|()| empty()),
            op::REMOVE_TAGS_FROM_RESOURCE => {
                ops::tags::remove(e, s, input(v)?).await.map(|()| empty())
            }
            op::LIST_TAGS_FOR_RESOURCE => output(ops::tags::list(e, s, input(v)?).await?),
            other => Err(SsmError::Internal(format!(
                "operation {other} is not implemented"
            ))),
        }
    }
}

impl Service for SsmService {
    fn name(&self) -> &'static str {
        "ssm"
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
        let model = lamina_model::get("ssm").expect("ssm model");
        for name in IMPLEMENTED {
            assert!(model.operation(name).is_some(), "{name}");
        }
    }
}
