//! TransactWriteItems and TransactGetItems.
//!
//! TransactWriteItems checks every action first (one action kind per member, tables, keys,
//! items, expressions, one action per item, the 4 MB aggregate), then runs all of them through
//! the write path's multi-item variant ([`crate::write::write_items`]): every item is read,
//! every condition evaluated, and the changes, index entries and stream records commit in ONE
//! store batch preconditioned on every item read — all or nothing. A failed condition cancels
//! the whole transaction with `TransactionCanceledException` and `CancellationReasons` in
//! request order. `ClientRequestToken` makes a request idempotent for 10 minutes (tree
//! `ddb.txtoken`: the request's SHA-256 and the answer). Capacity is doubled, as AWS charges
//! transactional reads and writes.
//!
//! TransactGetItems reads every item, then reads them again; when nothing changed in between
//! the answer is a consistent snapshot, otherwise it reads again (bounded).

#[cfg(test)]
mod tests;
pub(crate) mod token;

use crate::DynamoDb;
use crate::error::{DdbError, Result};
use crate::expr::{self, Condition, Context, Path, Update};
use crate::ops::batch::{check_put, collection_metrics, read_key, table};
use crate::ops::query::capacity::{self, Consumed, Mode};
use crate::store::{ITEMS, Loaded};
use crate::value::{
    Item, decode_item, item_from_json, item_size, item_to_json, read_units, rules, validate_item,
};
use crate::write::{self, ItemWrite, Mutation, Origin, Outcome};
use lamina_core::RequestContext;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::Arc;

pub(crate) const OPS: &[&str] = &["TransactWriteItems", "TransactGetItems"];

/// The largest aggregate size of the items of one TransactWriteItems.
const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;
/// Reads of a TransactGetItems before it gives up on a consistent snapshot.
const GET_ATTEMPTS: usize = 16;

pub(crate) async fn call(
    db: &DynamoDb,
    ctx: &RequestContext,
    op: &str,
    input: &Value,
) -> Option<Result<Value>> {
    Some(match op {
        "TransactWriteItems" => transact_write(db, ctx, input).await,
        "TransactGetItems" => transact_get(db, ctx, input).await,
        _ => return None,
    })
}

fn invalid(msg: impl Into<String>) -> DdbError {
    DdbError::Validation(msg.into())
}

const ONE_ITEM: &str = "Transaction request cannot include multiple operations on one item";

/// What one action does to its item.
enum Action {
    Put(Item),
    Update(Update),
    Delete,
    Check,
}

/// One checked action of a TransactWriteItems.
struct Member {
    table: Arc<Loaded>,
    key: Item,
    action: Action,
    condition: Option<Condition>,
    return_old: bool,
}

/// The single action kind of a member (`Put`, `Update`, `Delete`, `ConditionCheck`).
fn action_of(member: &Value) -> Result<(&'static str, &Value)> {
    let kinds = ["ConditionCheck", "Put", "Delete", "Update"];
    let present: Vec<(&'static str, &Value)> = kinds
        .iter()
        .filter_map(|k| member.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
        .collect();
    match present.as_slice() {
        [one] => Ok(*one),
        _ => Err(invalid(
            "TransactItems can only contain one of Check, Put, Update or Delete",
        )),
    }
}

async fn member(db: &DynamoDb, ctx: &RequestContext, m: &Value) -> Result<Member> {
    let (kind, spec) = action_of(m)?;
    let value_exprs: &[&str] = match kind {
        "Update" => &["UpdateExpression", "ConditionExpression"],
        _ => &["ConditionExpression"],
    };
    expr::check_request_params(spec, value_exprs)?;
    let mut cx = Context::new(
        spec.get("ExpressionAttributeNames"),
        spec.get("ExpressionAttributeValues"),
    )?;
    let update = match (kind, spec.get("UpdateExpression").and_then(Value::as_str)) {
        ("Update", Some(src)) => Some(cx.update(src)?),
        ("Update", None) => return Err(invalid("UpdateExpression must be specified")),
        _ => None,
    };
    let condition = match spec.get("ConditionExpression").and_then(Value::as_str) {
        Some(src) => Some(cx.condition(src)?),
        None if kind == "ConditionCheck" => {
            return Err(invalid(
                "The ConditionExpression parameter is required for ConditionCheck",
            ));
        }
        None => None,
    };
    cx.check_unused()?;
    let name = spec
        .get("TableName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let table = table(db, ctx, name).await?;
    let meta = &table.meta;
    let (key, action) = match kind {
        "Put" => {
            let item = item_from_json(spec.get("Item").unwrap_or(&Value::Null))?;
            (check_put(meta, &item)?, Action::Put(item))
        }
        _ => {
            let key = read_key(meta, spec.get("Key").unwrap_or(&Value::Null))?;
            let action = match (kind, update) {
                ("Update", Some(u)) => {
                    if let Some(p) = u.paths().find(|p| meta.key.is_key(p.top())) {
                        return Err(invalid(format!(
                            "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                            p.top()
                        )));
                    }
                    Action::Update(u)
                }
                ("Delete", _) => Action::Delete,
                _ => Action::Check,
            };
            (key, action)
        }
    };
    let return_old = spec
        .get("ReturnValuesOnConditionCheckFailure")
        .and_then(Value::as_str)
        == Some("ALL_OLD");
    Ok(Member {
        table,
        key,
        action,
        condition,
        return_old,
    })
}

/// What one action decides about its item: the condition, then the change.
fn apply(m: &Member, old: Option<&Item>) -> Result<Mutation> {
    if let Some(cond) = &m.condition {
        let empty = Item::new();
        if !expr::eval_condition(cond, old.unwrap_or(&empty))? {
            return Err(DdbError::ConditionFailed {
                item: old.filter(|_| m.return_old).cloned(),
            });
        }
    }
    Ok(match &m.action {
        Action::Put(item) => Mutation::Put(item.clone()),
        Action::Delete => Mutation::Delete,
        Action::Check => Mutation::NoChange,
        Action::Update(u) => {
            let mut item = old.cloned().unwrap_or_else(|| m.key.clone());
            expr::apply_update(u, &mut item)?;
            validate_item(&item).map_err(|e| {
                if e.0 == rules::ITEM_TOO_LARGE {
                    invalid("Item size to update has exceeded the maximum allowed size")
                } else {
                    e.into()
                }
            })?;
            write::check_index_keys(&m.table.meta, &item)?;
            Mutation::Put(item)
        }
    })
}

/// The cancellation reason of one member's result.
fn reason(r: &Result<Outcome>) -> Value {
    match r {
        Ok(_) => json!({"Code": "None"}),
        Err(DdbError::ConditionFailed { item }) => {
            let mut m = Map::new();
            m.insert("Code".into(), json!("ConditionalCheckFailed"));
            m.insert("Message".into(), json!("The conditional request failed"));
            if let Some(item) = item {
                m.insert("Item".into(), item_to_json(item));
            }
            Value::Object(m)
        }
        Err(e) => json!({"Code": "ValidationError", "Message": e.to_string()}),
    }
}

fn cancelled(results: &[Result<Outcome>]) -> DdbError {
    let reasons: Vec<Value> = results.iter().map(reason).collect();
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| r["Code"].as_str().unwrap_or("None"))
        .collect();
    DdbError::TransactionCanceled {
        message: format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        ),
        reasons,
    }
}

/// Adds a member's units to the per-table capacity list (doubled: transactional).
fn charge(consumed: &mut Vec<Consumed>, name: &str, table: f64, indexes: &[(String, bool, f64)]) {
    let pos = match consumed.iter().position(|c| c.table_name == name) {
        Some(p) => p,
        None => {
            consumed.push(Consumed::new(name));
            consumed.len() - 1
        }
    };
    let c = &mut consumed[pos];
    c.table += 2.0 * table;
    for (n, g, u) in indexes {
        c.add_index(n, *g, 2.0 * u);
    }
}

async fn transact_write(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let list = input
        .get("TransactItems")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("TransactItems must be specified"))?;
    let token = input.get("ClientRequestToken").and_then(Value::as_str);
    let fingerprint = token::fingerprint(input);
    if let Some(t) = token
        && let Some(answer) = token::lookup(db, ctx, t, &fingerprint).await?
    {
        return Ok(answer);
    }
    let mut members = Vec::with_capacity(list.len());
    for m in list {
        members.push(member(db, ctx, m).await?);
    }
    let mut seen = HashSet::new();
    let mut size = 0usize;
    for m in &members {
        if !seen.insert(write::item_key(&m.table.meta, &m.key)?) {
            return Err(invalid(ONE_ITEM));
        }
        size += match &m.action {
            Action::Put(item) => item_size(item),
            _ => item_size(&m.key),
        };
    }
    if size > MAX_TRANSACTION_BYTES {
        return Err(invalid("Transaction request cannot be larger than 4 MB"));
    }
    let writes: Vec<ItemWrite<'_>> = members
        .iter()
        .map(|m| ItemWrite {
            table: &m.table.meta,
            key: m.key.clone(),
            origin: Origin::User,
            apply: Box::new(move |old: Option<&Item>| apply(m, old)),
        })
        .collect();
    let results = write::write_items(db.store.as_ref(), writes).await?;
    if results.iter().any(Result::is_err) {
        return Err(cancelled(&results));
    }
    let mut consumed = Vec::new();
    let mut collections: Map<String, Value> = Map::new();
    let metrics = input
        .get("ReturnItemCollectionMetrics")
        .and_then(Value::as_str)
        == Some("SIZE");
    for (m, r) in members.iter().zip(&results) {
        let Ok(outcome) = r else { continue };
        let indexes: Vec<(String, bool, f64)> = outcome
            .indexes
            .iter()
            .map(|i| (i.name.clone(), i.global, i.units))
            .collect();
        let meta = &m.table.meta;
        charge(&mut consumed, &meta.name, outcome.table_units, &indexes);
        if metrics
            && !matches!(m.action, Action::Check)
            && let Some(cm) = collection_metrics(meta, &m.key)
        {
            if let Some(Value::Array(a)) = collections.get_mut(&meta.name) {
                a.push(cm);
            } else {
                collections.insert(meta.name.clone(), json!([cm]));
            }
        }
    }
    let mut out = Map::new();
    if let Some(cc) = capacity::list(&consumed, Mode::of(input)) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    if metrics {
        out.insert("ItemCollectionMetrics".into(), Value::Object(collections));
    }
    let answer = Value::Object(out);
    if let Some(t) = token {
        token::remember(db, ctx, t, &fingerprint, &answer).await?;
    }
    Ok(answer)
}

/// One checked Get of a TransactGetItems.
struct Get {
    table: Arc<Loaded>,
    store_key: Vec<u8>,
    projection: Option<Vec<Path>>,
}

async fn transact_get(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let list = input
        .get("TransactItems")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("TransactItems must be specified"))?;
    let mut gets = Vec::with_capacity(list.len());
    let mut seen = HashSet::new();
    for m in list {
        let spec = m
            .get("Get")
            .filter(|v| !v.is_null())
            .ok_or_else(|| invalid("TransactItems can only contain Get"))?;
        expr::check_request_params(spec, &[])?;
        let mut cx = Context::new(spec.get("ExpressionAttributeNames"), None)?;
        let projection = match spec.get("ProjectionExpression").and_then(Value::as_str) {
            Some(src) => Some(cx.projection(src)?),
            None => None,
        };
        cx.check_unused()?;
        let name = spec
            .get("TableName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let table = table(db, ctx, name).await?;
        let key = read_key(&table.meta, spec.get("Key").unwrap_or(&Value::Null))?;
        let store_key = write::item_key(&table.meta, &key)?;
        if !seen.insert(store_key.clone()) {
            return Err(invalid(ONE_ITEM));
        }
        gets.push(Get {
            table,
            store_key,
            projection,
        });
    }
    let raws = snapshot(db, &gets).await?;
    let mut responses = Vec::with_capacity(gets.len());
    let mut consumed = Vec::new();
    for (g, raw) in gets.iter().zip(raws) {
        let item = raw
            .as_deref()
            .map(decode_item)
            .transpose()
            .map_err(|e| DdbError::Internal(format!("decode stored item: {e}")))?;
        let units = read_units(item.as_ref().map_or(0, item_size), true);
        charge(&mut consumed, &g.table.meta.name, units, &[]);
        responses.push(match item {
            Some(item) => {
                let shown = match &g.projection {
                    Some(paths) => expr::project(&item, paths),
                    None => item,
                };
                json!({"Item": item_to_json(&shown)})
            }
            None => json!({}),
        });
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Value::Array(responses));
    if let Some(cc) = capacity::list(&consumed, Mode::of(input)) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    Ok(Value::Object(out))
}

/// The stored bytes of every item, as of one moment: read all, read all again, and accept
/// when both reads agree (a write in between makes them differ, and we read again).
async fn snapshot(db: &DynamoDb, gets: &[Get]) -> Result<Vec<Option<Vec<u8>>>> {
    let read_all = || async {
        let mut out = Vec::with_capacity(gets.len());
        for g in gets {
            out.push(db.store.get(ITEMS, &g.store_key).await?);
        }
        Ok::<_, DdbError>(out)
    };
    let mut first = read_all().await?;
    for _ in 0..GET_ATTEMPTS {
        let second = read_all().await?;
        if second == first {
            return Ok(first);
        }
        first = second;
    }
    Err(DdbError::TransactionCanceled {
        message: format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            vec!["TransactionConflict"; gets.len()].join(", ")
        ),
        reasons: gets
            .iter()
            .map(|_| json!({"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}))
            .collect(),
    })
}
