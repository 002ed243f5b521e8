//! The `Service` implementation: deserialize the canonical input, run the operation, map the
//! result. No logic of its own.

use crate::engine::ProviderRegistry;
use crate::engine::run::Runner;
use crate::error::CfnError;
use crate::ops::{Engine, Req};
use crate::store::{Scope, Table};
use lamina_bus::ServiceCaller;
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_model::generated::cloudformation::op;
use lamina_storage::{Store, WriteBatch};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

/// How many resources one stack operation creates or updates at once.
pub const CONCURRENCY: usize = 4;

/// CloudFormation over a [`Store`]; resources are made through `caller`.
pub struct CloudFormationService {
    engine: Arc<Engine>,
}

impl CloudFormationService {
    /// The production service: every resource provider Lamina has.
    pub fn new(store: Arc<dyn Store>, caller: Arc<dyn ServiceCaller>) -> Self {
        Self::with_registry(store, caller, crate::resources::registry())
    }

    /// A service with the given providers (tests).
    pub fn with_registry(
        store: Arc<dyn Store>,
        caller: Arc<dyn ServiceCaller>,
        registry: Arc<dyn ProviderRegistry>,
    ) -> Self {
        let table = Table::new(store);
        Self {
            engine: Arc::new(Engine {
                table: table.clone(),
                runner: Arc::new(Runner {
                    table,
                    registry,
                    caller,
                    concurrency: CONCURRENCY,
                    cancels: Default::default(),
                }),
                code_root: None,
            }),
        }
    }

    /// Lets the SAM transform read a relative local `CodeUri`/`ContentUri` (a folder, a
    /// file or a zip) under `root` and zip it, as `lamina package` does on the client. AWS
    /// itself accepts only S3 locations there: this is a Lamina convenience, so that
    /// `aws cloudformation deploy` of an unpackaged template works.
    pub fn with_code_root(self, root: std::path::PathBuf) -> Self {
        Self {
            engine: Arc::new(Engine {
                table: self.engine.table.clone(),
                runner: self.engine.runner.clone(),
                code_root: Some(root),
            }),
        }
    }

    /// Marks stacks an earlier process left in progress as failed (their background task
    /// died with that process). Call once at startup.
    pub async fn recover(&self) -> Result<usize, AwsError> {
        let table = &self.engine.table;
        let mut n = 0;
        for mut s in table.all_stacks().await.map_err(AwsError::from)? {
            if !s.in_progress() {
                continue;
            }
            let failed = match s.status.as_str() {
                "CREATE_IN_PROGRESS" => "CREATE_FAILED",
                "ROLLBACK_IN_PROGRESS" => "ROLLBACK_FAILED",
                "DELETE_IN_PROGRESS" => "DELETE_FAILED",
                "UPDATE_ROLLBACK_IN_PROGRESS" | "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS" => {
                    "UPDATE_ROLLBACK_FAILED"
                }
                // The update itself succeeded; only cleanup was cut short.
                "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" => "UPDATE_COMPLETE",
                _ => "UPDATE_ROLLBACK_FAILED",
            };
            let scope = scope_of(&s.stack_id);
            s.status = failed.to_string();
            s.reason = Some("Lamina restarted while the operation was in progress".into());
            let mut b = WriteBatch::new();
            table
                .put_stack(&scope, &mut b, &s)
                .map_err(AwsError::from)?;
            table.commit(b).await.map_err(AwsError::from)?;
            n += 1;
        }
        Ok(n)
    }
}

/// Account and region from a stack ARN.
fn scope_of(stack_id: &str) -> Scope {
    let parts: Vec<&str> = stack_id.split(':').collect();
    Scope {
        region: parts.get(3).copied().unwrap_or_default().to_string(),
        account: parts.get(4).copied().unwrap_or_default().to_string(),
    }
}

const IMPLEMENTED: &[&str] = &[
    op::CREATE_STACK,
    op::UPDATE_STACK,
    op::DELETE_STACK,
    op::DESCRIBE_STACKS,
    op::DESCRIBE_STACK_EVENTS,
    op::DESCRIBE_STACK_RESOURCE,
    op::DESCRIBE_STACK_RESOURCES,
    op::LIST_STACK_RESOURCES,
    op::LIST_STACKS,
    op::GET_TEMPLATE,
    op::GET_TEMPLATE_SUMMARY,
    op::VALIDATE_TEMPLATE,
    op::CREATE_CHANGE_SET,
    op::DESCRIBE_CHANGE_SET,
    op::EXECUTE_CHANGE_SET,
    op::DELETE_CHANGE_SET,
    op::LIST_CHANGE_SETS,
    op::LIST_EXPORTS,
    op::LIST_IMPORTS,
    op::CANCEL_UPDATE_STACK,
    op::CONTINUE_UPDATE_ROLLBACK,
    op::UPDATE_TERMINATION_PROTECTION,
    op::SET_STACK_POLICY,
    op::GET_STACK_POLICY,
];

fn input<T: DeserializeOwned>(value: Value) -> Result<T, CfnError> {
    serde_json::from_value(value)
        .map_err(|e| CfnError::Serialization(format!("Invalid request: {e}")))
}

impl CloudFormationService {
    async fn dispatch(
        &self,
        ctx: &RequestContext,
        operation: &str,
        v: Value,
    ) -> Result<Value, CfnError> {
        let e = &self.engine;
        let req = Req {
            scope: Scope {
                account: ctx.account_id.clone(),
                region: ctx.region.clone(),
            },
            endpoint: ctx.endpoint.clone(),
        };
        let r = &req;
        match operation {
            op::CREATE_STACK => e.create_stack(r, input(v)?).await,
            op::UPDATE_STACK => e.update_stack(r, input(v)?).await,
            op::DELETE_STACK => e.delete_stack(r, input(v)?).await,
            op::DESCRIBE_STACKS => e.describe_stacks(r, input(v)?).await,
            op::DESCRIBE_STACK_EVENTS => e.describe_events(r, input(v)?).await,
            op::DESCRIBE_STACK_RESOURCE => e.describe_resource(r, input(v)?).await,
            op::DESCRIBE_STACK_RESOURCES => e.describe_resources(r, input(v)?).await,
            op::LIST_STACK_RESOURCES => e.list_resources(r, input(v)?).await,
            op::LIST_STACKS => e.list_stacks(r, input(v)?).await,
            op::GET_TEMPLATE => e.get_template(r, input(v)?).await,
            op::GET_TEMPLATE_SUMMARY => e.get_template_summary(r, input(v)?).await,
            op::VALIDATE_TEMPLATE => e.validate_template(r, input(v)?).await,
            op::CREATE_CHANGE_SET => e.create_change_set(r, input(v)?).await,
            op::DESCRIBE_CHANGE_SET => e.describe_change_set(r, input(v)?).await,
            op::EXECUTE_CHANGE_SET => e.execute_change_set(r, input(v)?).await,
            op::DELETE_CHANGE_SET => e.delete_change_set(r, input(v)?).await,
            op::LIST_CHANGE_SETS => e.list_change_sets(r, input(v)?).await,
            op::LIST_EXPORTS => e.list_exports(r, v["NextToken"].as_str()).await,
            op::CANCEL_UPDATE_STACK => e.cancel_update_stack(r, input(v)?).await,
            op::CONTINUE_UPDATE_ROLLBACK => e.continue_update_rollback(r, input(v)?).await,
            op::UPDATE_TERMINATION_PROTECTION => {
                e.update_termination_protection(r, input(v)?).await
            }
            op::SET_STACK_POLICY => e.set_stack_policy(r, input(v)?).await,
            op::GET_STACK_POLICY => e.get_stack_policy(r, input(v)?).await,
            op::LIST_IMPORTS => {
                let name = v["ExportName"].as_str().unwrap_or_default().to_string();
                e.list_imports(r, &name).await
            }
            other => Err(CfnError::Internal(format!(
                "operation {other} is not implemented"
            ))),
        }
    }
}

impl Service for CloudFormationService {
    fn name(&self) -> &'static str {
        "cloudformation"
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
                .map(Output::json)
                .map_err(AwsError::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implemented_operations_exist_in_the_model() {
        let model = lamina_model::get("cloudformation").expect("model");
        for name in IMPLEMENTED {
            assert!(model.operation(name).is_some(), "{name}");
        }
    }

    #[test]
    fn scope_from_arn() {
        let s = scope_of("arn:aws:cloudformation:eu-west-1:123456789012:stack/s/abc");
        assert_eq!(
            (s.region.as_str(), s.account.as_str()),
            ("eu-west-1", "123456789012")
        );
    }
}
