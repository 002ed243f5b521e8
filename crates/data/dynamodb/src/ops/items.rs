//! Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.
//!
//! Each handler checks the request (ReturnValues, expression vs legacy parameters, values,
//! expressions and the unused/undefined names and values across all of them), finds the table
//! (ResourceNotFoundException "Requested resource not found"), checks the key against the
//! schema, then writes through [`crate::write`], whose closure evaluates the condition
//! (ConditionalCheckFailedException, with the old item when asked) and applies the update.
//! Answers carry `Attributes` per ReturnValues, `ConsumedCapacity` (AWS's rounding) and
//! `ItemCollectionMetrics` (tables with local indexes) when asked.

mod input;
#[cfg(test)]
mod tests;

use crate::DynamoDb;
use crate::error::{DdbError, Result};
use crate::expr::{self, Condition, Context, Path, Update, UpdateAction};
use crate::store::load_table_for_items;
use crate::table::TableMeta;
use crate::value::{
    Item, item_from_json, item_size, item_to_json, read_units, rules, validate_item,
    validate_item_key, validate_key,
};
use crate::write::{self, Mutation, Origin, Outcome};
use input::{Capacity, DeleteItemInput, GetItemInput, PutItemInput, UpdateItemInput, parse};
use lamina_core::RequestContext;
use serde_json::{Map, Value, json};

pub(crate) const OPS: &[&str] = &["PutItem", "GetItem", "UpdateItem", "DeleteItem"];

pub(crate) async fn call(
    db: &DynamoDb,
    ctx: &RequestContext,
    op: &str,
    input: &Value,
) -> Option<Result<Value>> {
    Some(match op {
        "PutItem" => put_item(db, ctx, input).await,
        "GetItem" => get_item(db, ctx, input).await,
        "UpdateItem" => update_item(db, ctx, input).await,
        "DeleteItem" => delete_item(db, ctx, input).await,
        _ => return None,
    })
}

/// The condition of a write: `ConditionExpression`, or legacy `Expected` (+ `ConditionalOperator`).
fn condition(
    cx: &mut Context,
    expression: Option<&str>,
    expected: Option<&Value>,
    conditional_operator: Option<&Value>,
) -> Result<Option<Condition>> {
    match expression {
        Some(src) => Ok(Some(cx.condition(src)?)),
        None => expr::legacy::expected(expected, conditional_operator),
    }
}

/// The closure's condition check: ConditionalCheckFailedException, carrying the old item when
/// the request asked for `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
fn check(cond: Option<&Condition>, old: Option<&Item>, return_old: bool) -> Result<()> {
    let Some(cond) = cond else { return Ok(()) };
    let empty = Item::new();
    if expr::eval_condition(cond, old.unwrap_or(&empty))? {
        return Ok(());
    }
    Err(DdbError::ConditionFailed {
        item: old.filter(|_| return_old).cloned(),
    })
}

fn return_old_on_failure(v: Option<&str>) -> bool {
    v == Some("ALL_OLD")
}

/// Reads a `Key` parameter and checks it against the table's key schema.
fn read_key(table: &TableMeta, key: &Value) -> Result<Item> {
    let key = item_from_json(key)?;
    validate_key(&key, &write::key_schema(&table.key))?;
    Ok(key)
}

/// The table's cached meta (shared, not copied: `&*t` or `t.meta`).
async fn table(
    db: &DynamoDb,
    ctx: &RequestContext,
    name: &str,
) -> Result<std::sync::Arc<crate::store::Loaded>> {
    load_table_for_items(db, &ctx.account_id, &ctx.region, name).await
}

fn put_attributes(out: &mut Map<String, Value>, attrs: Option<&Item>) {
    if let Some(a) = attrs.filter(|a| !a.is_empty()) {
        out.insert("Attributes".into(), item_to_json(a));
    }
}

async fn put_item(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: PutItemInput = parse(input)?;
    let all_old = old_or_none(req.return_values.as_deref())?;
    expr::check_request_params(input, &["ConditionExpression"])?;
    let item = item_from_json(PutItemInput::item(input))?;
    let mut cx = Context::new(
        req.expression_attribute_names.as_ref(),
        req.expression_attribute_values.as_ref(),
    )?;
    let cond = condition(
        &mut cx,
        req.condition_expression.as_deref(),
        req.expected.as_ref(),
        req.conditional_operator.as_ref(),
    )?;
    cx.check_unused()?;
    let loaded = table(db, ctx, &req.table_name).await?;
    let t = &loaded.meta;
    validate_item_key(&item, &write::key_schema(&t.key))?;
    validate_item(&item)?;
    let key = write::key_schema(&t.key).key_of(&item);
    let return_old = return_old_on_failure(req.return_values_on_condition_check_failure.as_deref());
    let outcome = write::write_item(db.store.as_ref(), t, &key, Origin::User, |old| {
        check(cond.as_ref(), old, return_old)?;
        Ok(Mutation::Put(item.clone()))
    })
    .await?;
    let mut out = Map::new();
    if all_old {
        put_attributes(&mut out, outcome.old.as_ref());
    }
    write_extras(&mut out, t, &key, &outcome, &req.capacity());
    Ok(Value::Object(out))
}

async fn delete_item(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: DeleteItemInput = parse(input)?;
    let all_old = old_or_none(req.return_values.as_deref())?;
    expr::check_request_params(input, &["ConditionExpression"])?;
    let mut cx = Context::new(
        req.expression_attribute_names.as_ref(),
        req.expression_attribute_values.as_ref(),
    )?;
    let cond = condition(
        &mut cx,
        req.condition_expression.as_deref(),
        req.expected.as_ref(),
        req.conditional_operator.as_ref(),
    )?;
    cx.check_unused()?;
    let loaded = table(db, ctx, &req.table_name).await?;
    let t = &loaded.meta;
    let key = read_key(t, &req.key)?;
    let return_old = return_old_on_failure(req.return_values_on_condition_check_failure.as_deref());
    let outcome = write::write_item(db.store.as_ref(), t, &key, Origin::User, |old| {
        check(cond.as_ref(), old, return_old)?;
        Ok(Mutation::Delete)
    })
    .await?;
    let mut out = Map::new();
    if all_old {
        put_attributes(&mut out, outcome.old.as_ref());
    }
    write_extras(&mut out, t, &key, &outcome, &req.capacity());
    Ok(Value::Object(out))
}

/// PutItem and DeleteItem accept only NONE and ALL_OLD; true for ALL_OLD.
fn old_or_none(rv: Option<&str>) -> Result<bool> {
    match rv {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(_) => Err(DdbError::Validation(
            "ReturnValues can only be ALL_OLD or NONE".into(),
        )),
    }
}

async fn get_item(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: GetItemInput = parse(input)?;
    expr::check_request_params(input, &[])?;
    let mut cx = Context::new(req.expression_attribute_names.as_ref(), None)?;
    let projection: Option<Vec<Path>> = match (&req.projection_expression, &req.attributes_to_get) {
        (Some(p), _) => Some(cx.projection(p)?),
        (None, Some(a)) => Some(expr::legacy::attributes_to_get(a)?),
        (None, None) => None,
    };
    cx.check_unused()?;
    let loaded = table(db, ctx, &req.table_name).await?;
    let t = &loaded.meta;
    let key = read_key(t, &req.key)?;
    let item = write::get_item(db.store.as_ref(), t, &key).await?;
    let consistent = req.consistent_read.unwrap_or(false);
    let mut out = Map::new();
    let size = item.as_ref().map(item_size).unwrap_or(0);
    if let Some(item) = item {
        let shown = match &projection {
            Some(paths) => expr::project(&item, paths),
            None => item,
        };
        out.insert("Item".into(), item_to_json(&shown));
    }
    let units = read_units(size, consistent);
    if let Some(cc) = consumed(t, units, &[], &req.capacity()) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    Ok(Value::Object(out))
}

/// The update of an UpdateItem: `UpdateExpression`, legacy `AttributeUpdates`, or none (which
/// creates an item holding only its key when it is absent).
fn update_of(cx: &mut Context, req: &UpdateItemInput) -> Result<Update> {
    match (&req.update_expression, &req.attribute_updates) {
        (Some(src), _) => cx.update(src),
        (None, Some(au)) => expr::legacy::attribute_updates(au),
        (None, None) => Ok(Update::default()),
    }
}

/// Which attributes UPDATED_OLD / UPDATED_NEW show: the paths the update wrote.
fn updated_paths(update: &Update) -> Vec<Path> {
    let mut paths: Vec<Path> = update.paths().cloned().collect();
    paths.sort();
    paths.dedup();
    paths
}

async fn update_item(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: UpdateItemInput = parse(input)?;
    let rv = req.return_values.as_deref().unwrap_or("NONE");
    if !matches!(
        rv,
        "NONE" | "ALL_OLD" | "UPDATED_OLD" | "ALL_NEW" | "UPDATED_NEW"
    ) {
        return Err(DdbError::Validation(
            "Return values set to invalid value".into(),
        ));
    }
    expr::check_request_params(input, &["UpdateExpression", "ConditionExpression"])?;
    let mut cx = Context::new(
        req.expression_attribute_names.as_ref(),
        req.expression_attribute_values.as_ref(),
    )?;
    let update = update_of(&mut cx, &req)?;
    let cond = condition(
        &mut cx,
        req.condition_expression.as_deref(),
        req.expected.as_ref(),
        req.conditional_operator.as_ref(),
    )?;
    cx.check_unused()?;
    let loaded = table(db, ctx, &req.table_name).await?;
    let t = &loaded.meta;
    let key = read_key(t, &req.key)?;
    if let Some(p) = update.paths().find(|p| t.key.is_key(p.top())) {
        return Err(DdbError::Validation(format!(
            "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
            p.top()
        )));
    }
    let return_old = return_old_on_failure(req.return_values_on_condition_check_failure.as_deref());
    let only_removes = !update.actions.is_empty()
        && update
            .actions
            .iter()
            .all(|a| matches!(a, UpdateAction::Remove(_) | UpdateAction::Delete(..)));
    let outcome = write::write_item(db.store.as_ref(), t, &key, Origin::User, |old| {
        check(cond.as_ref(), old, return_old)?;
        let mut item = old.cloned().unwrap_or_else(|| key.clone());
        expr::apply_update(&update, &mut item)?;
        if old.is_none() && only_removes && item.len() == key.len() {
            return Ok(Mutation::NoChange);
        }
        check_updated(&item)?;
        Ok(Mutation::Put(item))
    })
    .await?;
    let mut out = Map::new();
    let paths = updated_paths(&update);
    let attrs = match rv {
        "ALL_OLD" => outcome.old.clone(),
        "ALL_NEW" => outcome.new.clone(),
        "UPDATED_OLD" => outcome.old.as_ref().map(|o| expr::project(o, &paths)),
        "UPDATED_NEW" => outcome.new.as_ref().map(|n| expr::project(n, &paths)),
        _ => None,
    };
    put_attributes(&mut out, attrs.as_ref());
    write_extras(&mut out, t, &key, &outcome, &req.capacity());
    Ok(Value::Object(out))
}

/// The rules an updated item must still satisfy; the size message names the update.
fn check_updated(item: &Item) -> Result<()> {
    validate_item(item).map_err(|e| {
        if e.0 == rules::ITEM_TOO_LARGE {
            DdbError::Validation("Item size to update has exceeded the maximum allowed size".into())
        } else {
            e.into()
        }
    })
}

/// `ConsumedCapacity` and `ItemCollectionMetrics` of a write, when asked for.
fn write_extras(
    out: &mut Map<String, Value>,
    t: &TableMeta,
    key: &Item,
    outcome: &Outcome,
    cap: &Capacity,
) {
    let indexes: Vec<(String, bool, f64)> = outcome
        .indexes
        .iter()
        .map(|i| (i.name.clone(), i.global, i.units))
        .collect();
    if let Some(cc) = consumed(t, outcome.table_units, &indexes, cap) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    if cap.collection_metrics && !t.lsis.is_empty() {
        let hash = &t.key.hash.name;
        let collection: Item = key
            .iter()
            .filter(|(k, _)| *k == hash)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.insert(
            "ItemCollectionMetrics".into(),
            json!({
                "ItemCollectionKey": item_to_json(&collection),
                "SizeEstimateRangeGB": [0.0, 1.0],
            }),
        );
    }
}

/// The `ConsumedCapacity` of one request on one table: `TOTAL` gives the sum, `INDEXES`
/// adds the table's and each index's share (`(name, global, units)`).
pub(crate) fn consumed(
    t: &TableMeta,
    table_units: f64,
    indexes: &[(String, bool, f64)],
    cap: &Capacity,
) -> Option<Value> {
    let total = table_units + indexes.iter().map(|(_, _, u)| u).sum::<f64>();
    match cap.consumed.as_deref() {
        Some("TOTAL") => Some(json!({"TableName": t.name, "CapacityUnits": total})),
        Some("INDEXES") => {
            let mut m = Map::new();
            m.insert("TableName".into(), json!(t.name));
            m.insert("CapacityUnits".into(), json!(total));
            m.insert("Table".into(), json!({"CapacityUnits": table_units}));
            let group = |global: bool| -> Map<String, Value> {
                indexes
                    .iter()
                    .filter(|(_, g, _)| *g == global)
                    .map(|(n, _, u)| (n.clone(), json!({"CapacityUnits": u})))
                    .collect()
            };
            let (gsis, lsis) = (group(true), group(false));
            if !gsis.is_empty() {
                m.insert("GlobalSecondaryIndexes".into(), Value::Object(gsis));
            }
            if !lsis.is_empty() {
                m.insert("LocalSecondaryIndexes".into(), Value::Object(lsis));
            }
            Some(Value::Object(m))
        }
        _ => None,
    }
}
