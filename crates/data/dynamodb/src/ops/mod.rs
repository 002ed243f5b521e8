//! Operation families. Each family module exports `OPS` (the operations it implements) and
//! `call`, which answers `None` for operations that are not its own. The provider asks the
//! families in turn, so families are added without touching each other's code.

use crate::DynamoDb;
use crate::error::Result;
use lamina_core::RequestContext;
use serde_json::Value;

pub(crate) mod batch;
pub(crate) mod items;
pub(crate) mod partiql;
pub(crate) mod query;
pub(crate) mod tables;
pub(crate) mod transact;

/// Every implemented operation, for `Service::implemented`.
pub(crate) fn implemented() -> Vec<&'static str> {
    let mut ops: Vec<&'static str> = Vec::new();
    ops.extend_from_slice(tables::OPS);
    ops.extend_from_slice(query::OPS);
    ops.extend_from_slice(batch::OPS);
    ops.extend_from_slice(transact::OPS);
    ops.extend_from_slice(items::OPS);
    ops.extend_from_slice(partiql::OPS);
    ops.sort_unstable();
    ops
}

/// Runs an operation, enforcing provisioned throughput when configured: the request is
/// refused while the table's bucket is empty, and charged what it consumed (the operation
/// is asked for its `ConsumedCapacity`, which is removed again unless the client asked).
pub(crate) async fn call(
    db: &DynamoDb,
    ctx: &RequestContext,
    op: &str,
    mut input: Value,
) -> Result<Value> {
    let enforced = match (db.config.enforce_throughput, crate::throughput::kind_of(op)) {
        (true, Some(kind)) => match input.get("TableName").and_then(Value::as_str) {
            Some(name) => crate::store::cached_table(db, &ctx.account_id, &ctx.region, name)
                .await?
                .map(|t| (t, kind)),
            None => None,
        },
        _ => None,
    };
    let Some((table, kind)) = enforced else {
        return call_family(db, ctx, op, input).await;
    };
    let now = std::time::Instant::now();
    db.throughput.admit(&table.meta, kind, now)?;
    let asked = input
        .get("ReturnConsumedCapacity")
        .and_then(Value::as_str)
        .unwrap_or("NONE")
        .to_string();
    if asked == "NONE" {
        input["ReturnConsumedCapacity"] = Value::String("TOTAL".into());
    }
    let mut out = call_family(db, ctx, op, input).await?;
    db.throughput
        .charge(&table.meta, kind, crate::throughput::consumed_units(&out));
    if asked == "NONE"
        && let Some(o) = out.as_object_mut()
    {
        o.remove("ConsumedCapacity");
    }
    Ok(out)
}

/// Runs an operation of any family.
async fn call_family(db: &DynamoDb, ctx: &RequestContext, op: &str, input: Value) -> Result<Value> {
    if let Some(r) = tables::call(db, ctx, op, &input).await {
        return r;
    }
    if let Some(r) = query::call(db, ctx, op, &input).await {
        return r;
    }
    if let Some(r) = batch::call(db, ctx, op, &input).await {
        return r;
    }
    if let Some(r) = transact::call(db, ctx, op, &input).await {
        return r;
    }
    if let Some(r) = items::call(db, ctx, op, &input).await {
        return r;
    }
    if let Some(r) = partiql::call(db, ctx, op, &input).await {
        return r;
    }
    Err(crate::error::DdbError::Internal(format!(
        "operation {op} has no handler"
    )))
}
