//! BatchGetItem and BatchWriteItem.
//!
//! Both check the whole request before touching any item (key counts, tables, keys and items,
//! duplicate keys, expressions), so an invalid request writes nothing. BatchGetItem reads each
//! key and stops adding items once the answer holds 16 MB (the rest goes to
//! `UnprocessedKeys`); BatchWriteItem writes each request through the one write path
//! ([`crate::write::write_item`]), so index entries and stream records stay atomic with each
//! item; as on AWS the requests are not one transaction. `UnprocessedItems` is always empty.

#[cfg(test)]
mod tests;

use crate::DynamoDb;
use crate::error::{DdbError, Result};
use crate::expr::{self, Context, Path, legacy};
use crate::ops::query::capacity::{self, Consumed, Mode};
use crate::store::load_table_for_items;
use crate::table::TableMeta;
use crate::value::{
    Item, item_from_json, item_size, item_to_json, read_units, validate_item, validate_item_key,
    validate_key,
};
use crate::write::{self, Mutation, Origin};
use lamina_core::RequestContext;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::Arc;

pub(crate) const OPS: &[&str] = &["BatchGetItem", "BatchWriteItem"];

/// Keys one BatchGetItem may ask for, over all tables.
const MAX_GET_KEYS: usize = 100;
/// Requests one BatchWriteItem may carry, over all tables.
const MAX_WRITES: usize = 25;
/// The size of a BatchGetItem answer after which keys are left unprocessed.
const MAX_GET_BYTES: usize = 16 * 1024 * 1024;

pub(crate) async fn call(
    db: &DynamoDb,
    ctx: &RequestContext,
    op: &str,
    input: &Value,
) -> Option<Result<Value>> {
    Some(match op {
        "BatchGetItem" => batch_get(db, ctx, input).await,
        "BatchWriteItem" => batch_write(db, ctx, input).await,
        _ => return None,
    })
}

fn invalid(msg: impl Into<String>) -> DdbError {
    DdbError::Validation(msg.into())
}

const DUPLICATES: &str = "Provided list of item keys contains duplicates";

fn request_items(input: &Value) -> Result<&Map<String, Value>> {
    input
        .get("RequestItems")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("The requestItems parameter is required for BatchGetItem"))
}

/// Reads a `Key` and checks it against the table's key schema.
pub(crate) fn read_key(table: &TableMeta, v: &Value) -> Result<Item> {
    let key = item_from_json(v)?;
    validate_key(&key, &write::key_schema(&table.key))?;
    Ok(key)
}

pub(crate) async fn table(
    db: &DynamoDb,
    ctx: &RequestContext,
    name: &str,
) -> Result<Arc<crate::store::Loaded>> {
    load_table_for_items(db, &ctx.account_id, &ctx.region, name).await
}

/// One table of a BatchGetItem, checked.
struct GetTable {
    meta: Arc<crate::store::Loaded>,
    keys: Vec<Item>,
    projection: Option<Vec<Path>>,
    consistent: bool,
    /// The request's entry for this table, echoed in `UnprocessedKeys`.
    spec: Map<String, Value>,
}

async fn batch_get(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let requests = request_items(input)?;
    let total: usize = requests
        .values()
        .map(|t| t.get("Keys").and_then(Value::as_array).map_or(0, Vec::len))
        .sum();
    if total > MAX_GET_KEYS {
        return Err(invalid(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let mut tables = Vec::with_capacity(requests.len());
    for (name, spec) in requests {
        expr::check_request_params(spec, &[])?;
        let mut cx = Context::new(spec.get("ExpressionAttributeNames"), None)?;
        let projection = match (
            spec.get("ProjectionExpression").and_then(Value::as_str),
            spec.get("AttributesToGet").filter(|v| !v.is_null()),
        ) {
            (Some(src), _) => Some(cx.projection(src)?),
            (None, Some(list)) => Some(legacy::attributes_to_get(list)?),
            (None, None) => None,
        };
        cx.check_unused()?;
        let meta = table(db, ctx, name).await?;
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        for k in spec
            .get("Keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = read_key(&meta.meta, k)?;
            if !seen.insert(write::key_suffix(&meta.meta, &key)?) {
                return Err(invalid(DUPLICATES));
            }
            keys.push(key);
        }
        tables.push(GetTable {
            meta,
            keys,
            projection,
            consistent: spec
                .get("ConsistentRead")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            spec: spec.as_object().cloned().unwrap_or_default(),
        });
    }
    let mut responses = Map::new();
    let mut unprocessed = Map::new();
    let mut consumed = Vec::new();
    let mut bytes = 0usize;
    for t in &tables {
        let meta = &t.meta.meta;
        let mut items = Vec::new();
        let mut left = Vec::new();
        let mut c = Consumed::new(&meta.name);
        for key in &t.keys {
            if bytes >= MAX_GET_BYTES {
                left.push(item_to_json(key));
                continue;
            }
            let item = write::get_item(db.store.as_ref(), meta, key).await?;
            let size = item.as_ref().map_or(0, item_size);
            c.table += read_units(size, t.consistent);
            if let Some(item) = item {
                bytes += size;
                let shown = match &t.projection {
                    Some(paths) => expr::project(&item, paths),
                    None => item,
                };
                items.push(item_to_json(&shown));
            }
        }
        responses.insert(meta.name.clone(), Value::Array(items));
        if !left.is_empty() {
            let mut spec = t.spec.clone();
            spec.insert("Keys".into(), Value::Array(left));
            unprocessed.insert(meta.name.clone(), Value::Object(spec));
        }
        consumed.push(c);
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Value::Object(responses));
    out.insert("UnprocessedKeys".into(), Value::Object(unprocessed));
    if let Some(cc) = capacity::list(&consumed, Mode::of(input)) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    Ok(Value::Object(out))
}

/// One checked write of a BatchWriteItem.
enum Write {
    Put(Item),
    Delete,
}

/// `ItemCollectionMetrics` of a write to a table with local indexes.
pub(crate) fn collection_metrics(meta: &TableMeta, key: &Item) -> Option<Value> {
    if meta.lsis.is_empty() {
        return None;
    }
    let hash = &meta.key.hash.name;
    let collection: Item = key
        .iter()
        .filter(|(k, _)| *k == hash)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Some(json!({
        "ItemCollectionKey": item_to_json(&collection),
        "SizeEstimateRangeGB": [0.0, 1.0],
    }))
}

/// Checks an item being put: key attributes, value rules and size, index key types.
pub(crate) fn check_put(meta: &TableMeta, item: &Item) -> Result<Item> {
    let schema = write::key_schema(&meta.key);
    validate_item_key(item, &schema)?;
    validate_item(item)?;
    write::check_index_keys(meta, item)?;
    Ok(schema.key_of(item))
}

async fn batch_write(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let requests = input
        .get("RequestItems")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("The requestItems parameter is required for BatchWriteItem"))?;
    let total: usize = requests
        .values()
        .map(|l| l.as_array().map_or(0, Vec::len))
        .sum();
    if total > MAX_WRITES {
        return Err(invalid(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    let mut tables = Vec::with_capacity(requests.len());
    for (name, list) in requests {
        let meta = table(db, ctx, name).await?;
        let mut seen = HashSet::new();
        let mut writes = Vec::new();
        for r in list.as_array().into_iter().flatten() {
            let put = r.get("PutRequest").filter(|v| !v.is_null());
            let delete = r.get("DeleteRequest").filter(|v| !v.is_null());
            let (w, key) = match (put, delete) {
                (Some(p), None) => {
                    let item = item_from_json(p.get("Item").unwrap_or(&Value::Null))?;
                    let key = check_put(&meta.meta, &item)?;
                    (Write::Put(item), key)
                }
                (None, Some(d)) => {
                    let key = read_key(&meta.meta, d.get("Key").unwrap_or(&Value::Null))?;
                    (Write::Delete, key)
                }
                _ => {
                    return Err(invalid(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                    ));
                }
            };
            if !seen.insert(write::key_suffix(&meta.meta, &key)?) {
                return Err(invalid(DUPLICATES));
            }
            writes.push((w, key));
        }
        tables.push((meta, writes));
    }
    let metrics = input
        .get("ReturnItemCollectionMetrics")
        .and_then(Value::as_str)
        == Some("SIZE");
    let mut consumed = Vec::new();
    let mut collections = Map::new();
    for (meta, writes) in &tables {
        let meta = &meta.meta;
        let mut c = Consumed::new(&meta.name);
        let mut metrics_of_table = Vec::new();
        for (w, key) in writes {
            let outcome = write::write_item(db.store.as_ref(), meta, key, Origin::User, |_| {
                Ok(match w {
                    Write::Put(item) => Mutation::Put(item.clone()),
                    Write::Delete => Mutation::Delete,
                })
            })
            .await?;
            c.table += outcome.table_units;
            for i in &outcome.indexes {
                c.add_index(&i.name, i.global, i.units);
            }
            if metrics && let Some(m) = collection_metrics(meta, key) {
                metrics_of_table.push(m);
            }
        }
        if !metrics_of_table.is_empty() {
            collections.insert(meta.name.clone(), Value::Array(metrics_of_table));
        }
        consumed.push(c);
    }
    let mut out = Map::new();
    out.insert("UnprocessedItems".into(), json!({}));
    if metrics {
        out.insert("ItemCollectionMetrics".into(), Value::Object(collections));
    }
    if let Some(cc) = capacity::list(&consumed, Mode::of(input)) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    Ok(Value::Object(out))
}
