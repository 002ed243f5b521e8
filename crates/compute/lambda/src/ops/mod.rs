//! Operation families. Each family module exports `OPS` and `call`, which answers `None` for
//! operations that are not its own, so families are added without editing each other.

use crate::Lambda;
use crate::error::{LambdaError, Result};
use lamina_core::{Input, Output, RequestContext};

/// Every implemented operation.
pub(crate) fn implemented() -> Vec<&'static str> {
    let ops: Vec<&'static str> = Vec::new();
    ops
}

/// Runs an operation of any family.
pub(crate) async fn call(_lambda: &Lambda, _ctx: &RequestContext, op: &str, _input: Input) -> Result<Output> {
    Err(LambdaError::Internal(format!("operation {op} has no handler")))
}
