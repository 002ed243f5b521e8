//! Stack operations around the main life cycle: CancelUpdateStack, ContinueUpdateRollback,
//! UpdateTerminationProtection, SetStackPolicy and GetStackPolicy.
//!
//! A stack policy is stored and returned as given; Lamina does not enforce it during updates
//! (a known difference from AWS, listed in docs/cloudformation.md).

use super::{Engine, Req};
use crate::engine::run::Op;
use crate::error::{CfnError, Result};
use crate::store::Scope;
use lamina_storage::WriteBatch;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleInput {
    pub stack_name: Option<String>,
    pub enable_termination_protection: Option<bool>,
    pub stack_policy_body: Option<String>,
    #[serde(rename = "StackPolicyURL")]
    pub stack_policy_url: Option<String>,
    #[serde(default)]
    pub resources_to_skip: Vec<String>,
}

/// A stack policy must be a JSON object with a `Statement`; a URL needs S3, which Lamina
/// does not have yet.
pub fn check_policy(body: Option<&str>, url: Option<&str>) -> Result<()> {
    if body.is_some() && url.is_some() {
        return Err(CfnError::Validation(
            "You cannot specify both StackPolicyURL and StackPolicyBody".into(),
        ));
    }
    if url.is_some() {
        return Err(CfnError::Validation(
            "StackPolicyURL is not supported by Lamina yet (there is no S3): pass the policy as StackPolicyBody".into(),
        ));
    }
    if let Some(b) = body {
        let ok = serde_json::from_str::<Value>(b)
            .ok()
            .is_some_and(|v| v.get("Statement").is_some_and(Value::is_array));
        if !ok {
            return Err(CfnError::Validation(
                "Error validating stack policy: Invalid stack policy".into(),
            ));
        }
    }
    Ok(())
}

impl Engine {
    pub async fn cancel_update_stack(&self, req: &Req, input: LifecycleInput) -> Result<Value> {
        let name = input.stack_name.unwrap_or_default();
        let stack = self.stack(req, &name).await?.record;
        if stack.status != "UPDATE_IN_PROGRESS" {
            return Err(CfnError::Validation(
                "CancelUpdateStack cannot be called from current stack status".into(),
            ));
        }
        self.runner.cancel(&stack.stack_id);
        Ok(json!({}))
    }

    pub async fn continue_update_rollback(
        &self,
        req: &Req,
        input: LifecycleInput,
    ) -> Result<Value> {
        let name = input.stack_name.unwrap_or_default();
        let loaded = self.stack(req, &name).await?;
        let mut stack = loaded.record;
        if stack.status != "UPDATE_ROLLBACK_FAILED" {
            return Err(CfnError::Validation(
                "ContinueUpdateRollback cannot be called from current stack status".into(),
            ));
        }
        for id in &input.resources_to_skip {
            if !stack.resources.contains_key(id) {
                return Err(CfnError::Validation(format!(
                    "Resource {id} does not exist for stack {name}"
                )));
            }
        }
        stack.status = "UPDATE_ROLLBACK_IN_PROGRESS".into();
        stack.reason = Some("User Initiated".into());
        self.begin(
            req,
            stack,
            Some(loaded.raw),
            Op::ContinueRollback(input.resources_to_skip),
        )
        .await?;
        Ok(json!({}))
    }

    pub async fn update_termination_protection(
        &self,
        req: &Req,
        input: LifecycleInput,
    ) -> Result<Value> {
        let name = input.stack_name.unwrap_or_default();
        let loaded = self.stack(req, &name).await?;
        let mut stack = loaded.record;
        if stack.is_deleted() {
            return Err(CfnError::no_stack(&name));
        }
        stack.termination_protection = input.enable_termination_protection.unwrap_or(false);
        self.save_stack(&req.scope, &stack, loaded.raw).await?;
        Ok(json!({"StackId": stack.stack_id}))
    }

    pub async fn set_stack_policy(&self, req: &Req, input: LifecycleInput) -> Result<Value> {
        let name = input.stack_name.unwrap_or_default();
        check_policy(
            input.stack_policy_body.as_deref(),
            input.stack_policy_url.as_deref(),
        )?;
        let loaded = self.stack(req, &name).await?;
        let mut stack = loaded.record;
        if stack.is_deleted() {
            return Err(CfnError::no_stack(&name));
        }
        stack.stack_policy = input.stack_policy_body;
        self.save_stack(&req.scope, &stack, loaded.raw).await?;
        Ok(json!({}))
    }

    pub async fn get_stack_policy(&self, req: &Req, input: LifecycleInput) -> Result<Value> {
        let name = input.stack_name.unwrap_or_default();
        let stack = self.stack(req, &name).await?.record;
        Ok(match stack.stack_policy {
            Some(p) => json!({"StackPolicyBody": p}),
            None => json!({}),
        })
    }

    /// Saves a changed stack record if nobody changed it since it was read.
    async fn save_stack(
        &self,
        scope: &Scope,
        stack: &crate::store::StackRecord,
        raw: Vec<u8>,
    ) -> Result<()> {
        let mut b = WriteBatch::new();
        b.require_equals(
            crate::store::STACKS,
            self.table.stack_key(scope, &stack.stack_id),
            raw,
        );
        self.table.put_stack(scope, &mut b, stack)?;
        match self.table.commit(b).await {
            Err(CfnError::Store(lamina_storage::StoreError::Conflict { .. })) => {
                Err(CfnError::Validation(format!(
                    "Stack:{} is in {} state and can not be updated.",
                    stack.stack_id, stack.status
                )))
            }
            other => other,
        }
    }
}
