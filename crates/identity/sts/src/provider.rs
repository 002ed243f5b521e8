//! The [`Service`] implementation: reads the typed input, runs the operation, writes the
//! canonical output. Every operation first resolves the caller, so expired Lamina-issued
//! credentials are refused everywhere.

use crate::error::StsError;
use crate::ops::{self, credentials, identity};
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_model::generated::sts::op;
use lamina_storage::Store;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The operations Lamina implements; the gateway answers the others with `NotImplemented`.
const IMPLEMENTED: &[&str] = &[
    op::ASSUME_ROLE,
    op::GET_ACCESS_KEY_INFO,
    op::GET_CALLER_IDENTITY,
    op::GET_SESSION_TOKEN,
];

pub struct StsService {
    store: Arc<dyn Store>,
}

impl StsService {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    async fn dispatch(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input: Input,
    ) -> Result<Output, StsError> {
        let store = self.store.as_ref();
        let now = ops::now();
        let caller = identity::caller(store, ctx, now).await?;
        match operation {
            op::GET_CALLER_IDENTITY => output(identity::get_caller_identity(&caller)),
            op::GET_ACCESS_KEY_INFO => {
                output(identity::get_access_key_info(store, ctx, parse(input)?).await?)
            }
            op::ASSUME_ROLE => {
                output(credentials::assume_role(store, &caller, parse(input)?, now).await?)
            }
            op::GET_SESSION_TOKEN => {
                output(credentials::get_session_token(store, &caller, parse(input)?, now).await?)
            }
            other => Err(StsError::Input(format!(
                "operation {other} is not implemented"
            ))),
        }
    }
}

impl Service for StsService {
    fn name(&self) -> &'static str {
        "sts"
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
            if !IMPLEMENTED.contains(&operation) {
                return Err(AwsError::new(
                    lamina_core::common::NOT_IMPLEMENTED,
                    format!("The operation {operation} is not implemented by Lamina's sts."),
                ));
            }
            self.dispatch(ctx, operation, input)
                .await
                .map_err(AwsError::from)
        })
    }
}

fn parse<T: DeserializeOwned>(input: Input) -> Result<T, StsError> {
    let value = match input.value {
        serde_json::Value::Null => serde_json::Value::Object(Default::default()),
        v => v,
    };
    serde_json::from_value(value).map_err(|e| StsError::Input(format!("invalid input: {e}")))
}

fn output<T: Serialize>(value: T) -> Result<Output, StsError> {
    serde_json::to_value(value)
        .map(Output::json)
        .map_err(|e| StsError::Corrupt(e.to_string()))
}
