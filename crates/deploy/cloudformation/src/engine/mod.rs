//! The stack engine and the interface to resource providers.
//!
//! The engine owns the stack life cycle (dependency graph, concurrency, status transitions,
//! events, rollback, exports); a [`ResourceProvider`] knows one resource type and nothing else:
//! it creates, updates and deletes one resource by calling the owning service in process
//! through [`lamina_bus::ServiceCaller`], exactly as an SDK would. Providers live in
//! `crate::resources` and are looked up through a [`ProviderRegistry`]
//! (`crate::resources::registry()` in production, a fake in the engine's tests).
//!
//! Properties handed to a provider are fully resolved: every intrinsic function has been
//! evaluated, `AWS::NoValue` removed, conditions applied. What `Ref` returns is the physical
//! id; what `Fn::GetAtt` returns comes from the attribute map a provider returns.

pub mod graph;
pub mod run;

use lamina_bus::{CallContext, ServiceCaller};
use lamina_core::BoxFuture;
use serde_json::{Map, Value};
use std::sync::Arc;

/// What a provider knows about the resource it works on and how it reaches other services.
#[derive(Clone)]
pub struct ResourceContext {
    pub caller: Arc<dyn ServiceCaller>,
    /// Account, region and endpoint the calls act in (the stack's).
    pub call: CallContext,
    pub stack_name: String,
    pub stack_id: String,
    pub logical_id: String,
    pub resource_type: String,
}

impl ResourceContext {
    /// Calls an operation of a service (canonical JSON in and out); a failure comes back as
    /// a [`ProviderError`] carrying the service's message.
    pub async fn call(
        &self,
        service: &str,
        operation: &str,
        input: Value,
    ) -> Result<Value, ProviderError> {
        self.caller
            .call(&self.call, service, operation, input)
            .await
            .map_err(|e| ProviderError {
                code: Some(e.code),
                message: e.message,
            })
    }

    /// The name CloudFormation generates for a resource without an explicit name:
    /// `<stack>-<logical id>-<12 random upper-case alphanumerics>`, the stack and logical id
    /// parts shortened so the whole fits `max_len` (as AWS does for queues, tables, functions).
    pub fn generated_name(&self, max_len: usize) -> String {
        let suffix = lamina_core::random_alnum(12, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
        let budget = max_len.saturating_sub(suffix.len() + 2);
        let mut stack: String = self.stack_name.clone();
        let mut logical: String = self.logical_id.clone();
        while stack.len() + logical.len() + 1 > budget && (stack.len() > 1 || logical.len() > 1) {
            if stack.len() >= logical.len() {
                stack.pop();
            } else {
                logical.pop();
            }
        }
        format!("{stack}-{logical}-{suffix}")
    }
}

/// A resource a provider has created.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Created {
    /// What `Ref` returns and what update/delete receive back.
    pub physical_id: String,
    /// What `Fn::GetAtt <logical id>.<name>` returns.
    pub attributes: Map<String, Value>,
}

/// A resource after an update in place. A `physical_id` different from the old one means
/// the provider replaced the resource itself (the engine then deletes nothing: the provider
/// already handled the old one).
pub type Updated = Created;

/// Why a provider failed; the message becomes the resource's `ResourceStatusReason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    /// The service's error code, when the failure came from a call.
    pub code: Option<String>,
    pub message: String,
}

impl ProviderError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            code: None,
            message: message.into(),
        }
    }

    /// True when the service said the resource does not exist (deletes treat it as done).
    pub fn is_not_found(&self) -> bool {
        self.code.as_deref().is_some_and(|c| {
            c.contains("NotFound") || c.contains("NonExistent") || c.contains("DoesNotExist")
        })
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// One resource type (`AWS::SQS::Queue`, ...).
pub trait ResourceProvider: Send + Sync + 'static {
    /// Creates the resource from its resolved properties.
    fn create<'a>(
        &'a self,
        ctx: &'a ResourceContext,
        props: &'a Value,
    ) -> BoxFuture<'a, Result<Created, ProviderError>>;

    /// Updates the resource in place (called only when [`Self::requires_replacement`] is
    /// false and the properties differ).
    fn update<'a>(
        &'a self,
        ctx: &'a ResourceContext,
        physical_id: &'a str,
        old: &'a Value,
        new: &'a Value,
    ) -> BoxFuture<'a, Result<Updated, ProviderError>>;

    /// Deletes the resource; a resource that is already gone is a success.
    fn delete<'a>(
        &'a self,
        ctx: &'a ResourceContext,
        physical_id: &'a str,
        props: &'a Value,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// True when going from `old` to `new` properties needs a new resource (a changed name,
    /// key schema, ...): the engine creates the new one, then deletes the old one.
    fn requires_replacement(&self, old: &Value, new: &Value) -> bool;
}

/// Resource types → providers.
pub trait ProviderRegistry: Send + Sync + 'static {
    fn provider(&self, resource_type: &str) -> Option<&dyn ResourceProvider>;
}

/// What the SAM transform gets besides the template.
#[derive(Debug, Clone, Default)]
pub struct TransformContext {
    pub account_id: String,
    pub region: String,
    pub stack_name: String,
    /// Resolved parameter values (name → value as the template sees it).
    pub parameters: Map<String, Value>,
    /// Where a relative local `CodeUri`/`ContentUri` is read from (`lamina serve
    /// --code-root`); None: local paths are refused.
    pub code_root: Option<std::path::PathBuf>,
}

/// The SAM transform's name as templates declare it.
pub const SERVERLESS_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// Runs the SAM transform (`crate::sam`).
pub fn expand_serverless(template: Value, ctx: &TransformContext) -> Result<Value, String> {
    crate::sam::transform(template, ctx)
}
