//! GetAccountSettings: AWS's limits and the account's real usage (code size of every
//! function version and layer version, function count, unreserved concurrency).

use super::{Cx, json};
use crate::code::{MAX_UNZIPPED, MAX_ZIPPED};
use crate::error::{LambdaError, Result};
use crate::model::LayerVersionRecord;
use crate::store;
use lamina_core::{Input, Output};
use lamina_model::generated::lambda_::op;
use serde_json::json;

pub(crate) const OPS: &[&str] = &[op::GET_ACCOUNT_SETTINGS];

/// AWS's default storage quota for functions and layers (75 GB).
const TOTAL_CODE_SIZE: u64 = 80_530_636_800;

pub(crate) async fn call(cx: &Cx<'_>, op: &str, _: Input) -> Result<Output> {
    if op != op::GET_ACCOUNT_SETTINGS {
        return Err(LambdaError::Internal(format!(
            "{op} is not an account operation"
        )));
    }
    let functions = store::functions(cx.store(), &cx.scope).await?;
    let mut total: u64 = 0;
    for f in &functions {
        total += f.latest.code_size;
        for v in store::versions(cx.store(), &cx.scope, &f.latest.name).await? {
            total += v.code_size;
        }
    }
    let layers: Vec<(Vec<u8>, LayerVersionRecord)> =
        store::scan(cx.store(), store::LAYERS, &cx.scope.prefix(&[])).await?;
    total += layers.iter().map(|(_, l)| l.code_size).sum::<u64>();
    let limit = cx.lambda.config.account_concurrency;
    let reserved: u64 = functions
        .iter()
        .filter_map(|f| f.reserved_concurrency)
        .map(u64::from)
        .sum();
    let unreserved = u64::from(limit).saturating_sub(reserved);
    json(json!({
        "AccountLimit": {
            "TotalCodeSize": TOTAL_CODE_SIZE,
            "CodeSizeUnzipped": MAX_UNZIPPED,
            "CodeSizeZipped": MAX_ZIPPED,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": unreserved,
        },
        "AccountUsage": {
            "TotalCodeSize": total,
            "FunctionCount": functions.len(),
        },
    }))
}
