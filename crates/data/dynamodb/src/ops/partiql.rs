//! PartiQL operations: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction.
//!
//! Statements are parsed by [`crate::partiql`] with their `Parameters` bound; SELECT reads
//! through [`read`] (a Query over the partitions its WHERE clause names, else a Scan, with
//! `Limit`, 1 MB pages and an opaque `NextToken`), writes go through [`crate::write`] via
//! [`dml`] (single items; ExecuteTransaction as one multi-item batch, all or nothing).
//!
//! Batch members answer per statement (`Error` with `Code` `ValidationError`,
//! `ConditionalCheckFailed`, `DuplicateItem`, `ResourceNotFound`, ...); a batch holds reads
//! only or writes only. A transaction holds reads only or writes only, without RETURNING or
//! index reads, every read naming the whole key; a write transaction's `ClientRequestToken`
//! makes it idempotent for 10 minutes (shared with TransactWriteItems' token store).

mod dml;
mod read;
#[cfg(test)]
mod tests;

use crate::DynamoDb;
use crate::error::{DdbError, Result};
use crate::expr;
use crate::ops::query::capacity::{self, Consumed, Mode};
use crate::ops::transact::token;
use crate::partiql::{self, Projection, Statement};
use crate::store::{Loaded, load_table_for_items};
use crate::table::TableMeta;
use crate::value::{AttrValue, Item, item_size, item_to_json, read_units, validate_value};
use crate::write::{self, ItemWrite, Origin, Outcome};
use base64::Engine;
use lamina_core::RequestContext;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::Arc;

pub(crate) const OPS: &[&str] = &[
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
];

pub(crate) async fn call(
    db: &DynamoDb,
    ctx: &RequestContext,
    op: &str,
    input: &Value,
) -> Option<Result<Value>> {
    Some(match op {
        "ExecuteStatement" => execute_statement(db, ctx, input).await,
        "BatchExecuteStatement" => batch_execute(db, ctx, input).await,
        "ExecuteTransaction" => execute_transaction(db, ctx, input).await,
        _ => return None,
    })
}

fn invalid(msg: impl Into<String>) -> DdbError {
    DdbError::Validation(msg.into())
}

fn field<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    v.get(name).filter(|x| !x.is_null())
}

/// A statement of a request, parsed with its parameters.
fn parse_member(m: &Value) -> Result<Statement> {
    let src = field(m, "Statement")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let params = match field(m, "Parameters").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .map(|p| {
                let v = AttrValue::from_json(p)?;
                validate_value(&v)?;
                Ok(v)
            })
            .collect::<Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    Ok(partiql::parse(src, &params)?)
}

async fn table(db: &DynamoDb, ctx: &RequestContext, name: &str) -> Result<Arc<Loaded>> {
    load_table_for_items(db, &ctx.account_id, &ctx.region, name).await
}

fn return_old(m: &Value) -> bool {
    field(m, "ReturnValuesOnConditionCheckFailure").and_then(Value::as_str) == Some("ALL_OLD")
}

fn consistent(m: &Value) -> bool {
    field(m, "ConsistentRead")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn write_consumed(t: &TableMeta, outcome: &Outcome, factor: f64) -> Consumed {
    let mut c = Consumed::new(&t.name);
    c.table = factor * outcome.table_units;
    for i in &outcome.indexes {
        c.add_index(&i.name, i.global, factor * i.units);
    }
    c
}

/// Adds `c` to the per-table list.
fn merge(list: &mut Vec<Consumed>, c: Consumed) {
    match list.iter_mut().find(|x| x.table_name == c.table_name) {
        Some(x) => {
            x.table += c.table;
            for (n, g, u) in c.indexes {
                x.add_index(&n, g, u);
            }
        }
        None => list.push(c),
    }
}

// ---- NextToken

/// A short fingerprint of the statement and its parameters: a token is only good for the
/// request that produced it.
fn fingerprint(input: &Value) -> u64 {
    let text = format!(
        "{}\u{0}{}",
        field(input, "Statement")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        field(input, "Parameters")
            .map(Value::to_string)
            .unwrap_or_default()
    );
    // FNV-1a: stable across processes, which a token outliving one node needs.
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn encode_token(input: &Value, key: &[u8]) -> String {
    let mut raw = fingerprint(input).to_be_bytes().to_vec();
    raw.extend_from_slice(key);
    base64::engine::general_purpose::STANDARD.encode(raw)
}

fn decode_token(input: &Value, token: &str) -> Result<Vec<u8>> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| invalid("Invalid NextToken"))?;
    if raw.len() < 8 {
        return Err(invalid("Invalid NextToken"));
    }
    let (hash, key) = raw.split_at(8);
    if hash != fingerprint(input).to_be_bytes() {
        return Err(invalid("NextToken does not match request"));
    }
    Ok(key.to_vec())
}

// ---- ExecuteStatement

async fn execute_statement(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let stmt = parse_member(input)?;
    let loaded = table(db, ctx, stmt.table()).await?;
    let t = &loaded.meta;
    let mode = Mode::of(input);
    let mut out = Map::new();
    match &stmt {
        Statement::Select {
            source,
            projection,
            filter,
            descending,
        } => {
            let consistent = consistent(input);
            let index = read::target(
                t,
                source.index.as_deref(),
                filter.as_ref(),
                projection,
                consistent,
            )?;
            let after = match field(input, "NextToken").and_then(Value::as_str) {
                Some(tok) => Some(decode_token(input, tok)?),
                None => None,
            };
            let limit = field(input, "Limit")
                .and_then(Value::as_u64)
                .map(|l| usize::try_from(l).unwrap_or(usize::MAX));
            let sel = read::Select {
                table: t,
                index,
                filter: filter.as_ref(),
                projection,
                descending: *descending,
                limit,
            };
            let page = read::read(db.store.as_ref(), &sel, after).await?;
            out.insert(
                "Items".into(),
                Value::Array(page.items.iter().map(item_to_json).collect()),
            );
            if let Some(k) = &page.next {
                out.insert("NextToken".into(), json!(encode_token(input, k)));
            }
            let mut c = Consumed::new(&t.name);
            let units = read_units(page.bytes, consistent);
            match index {
                Some(i) => c.add_index(&i.name, t.gsis.iter().any(|g| g.name == i.name), units),
                None => c.table = units,
            }
            if let Some(cc) = c.to_json(mode) {
                out.insert("ConsumedCapacity".into(), cc);
            }
        }
        _ => {
            let w = dml::plan(&stmt, t)?;
            let ret_old = return_old(input);
            let outcome = write::write_item(db.store.as_ref(), t, &w.key, Origin::User, |old| {
                dml::apply(&w, old, ret_old)
            })
            .await?;
            let items: Vec<Value> = dml::returned(&w, &outcome)
                .iter()
                .map(item_to_json)
                .collect();
            out.insert("Items".into(), Value::Array(items));
            if let Some(cc) = write_consumed(t, &outcome, 1.0).to_json(mode) {
                out.insert("ConsumedCapacity".into(), cc);
            }
        }
    }
    Ok(Value::Object(out))
}

// ---- reads by full key (batches and transactions)

/// The key of a SELECT that names the table's whole primary key by equalities.
fn full_key(stmt: &Statement, t: &TableMeta) -> Option<Item> {
    let Statement::Select { source, filter, .. } = stmt else {
        return None;
    };
    if source.index.is_some() {
        return None;
    }
    let filter = filter.as_ref()?;
    let schema = write::key_schema(&t.key);
    let mut key = Item::new();
    for (name, _) in schema.attributes() {
        key.insert(
            name.to_string(),
            partiql::equality_on(filter, name)?.clone(),
        );
    }
    crate::value::validate_key(&key, &schema).ok()?;
    Some(key)
}

/// A keyed SELECT: the item if it exists and satisfies the WHERE clause, projected; and the
/// bytes read.
async fn keyed_read(
    db: &DynamoDb,
    stmt: &Statement,
    t: &TableMeta,
    key: &Item,
) -> Result<(Option<Item>, usize)> {
    let Statement::Select {
        projection, filter, ..
    } = stmt
    else {
        return Ok((None, 0));
    };
    let Some(item) = write::get_item(db.store.as_ref(), t, key).await? else {
        return Ok((None, 0));
    };
    let size = item_size(&item);
    let keep = match filter {
        Some(f) => expr::eval_condition(f, &item)?,
        None => true,
    };
    let shown = keep.then(|| read::project(&item, projection));
    Ok((
        shown.filter(|i| !i.is_empty() || matches!(projection, Projection::All)),
        size,
    ))
}

// ---- BatchExecuteStatement

/// The short code of a member's error in a batch answer.
fn batch_code(e: &DdbError) -> &'static str {
    match e {
        DdbError::Validation(_) => "ValidationError",
        DdbError::ConditionFailed { .. } => "ConditionalCheckFailed",
        DdbError::DuplicateItem(_) => "DuplicateItem",
        DdbError::NotFound(_) | DdbError::TableNotFound(_) => "ResourceNotFound",
        DdbError::Throttled(_) => "ProvisionedThroughputExceeded",
        DdbError::TransactionConflict(_) => "TransactionConflict",
        DdbError::CollectionTooLarge(_) => "ItemCollectionSizeLimitExceeded",
        DdbError::LimitExceeded(_) => "RequestLimitExceeded",
        _ => "InternalServerError",
    }
}

fn batch_error(e: &DdbError, table: Option<&str>) -> Value {
    let message = match e {
        DdbError::Internal(_) => "Internal server error".to_string(),
        other => other.to_string(),
    };
    let mut m = Map::new();
    m.insert(
        "Error".into(),
        json!({"Code": batch_code(e), "Message": message}),
    );
    if let Some(t) = table {
        m.insert("TableName".into(), json!(t));
    }
    Value::Object(m)
}

async fn batch_execute(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let members = field(input, "Statements")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if members.is_empty() {
        return Err(invalid(
            "1 validation error detected: Value '[]' at 'statements' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let parsed: Vec<Result<Statement>> = members.iter().map(parse_member).collect();
    let reads = parsed.iter().flatten().filter(|s| s.is_read()).count();
    let writes = parsed.iter().flatten().count() - reads;
    if reads > 0 && writes > 0 {
        return Err(invalid("Only read or write statements are allowed"));
    }
    let mut responses = Vec::with_capacity(members.len());
    let mut consumed: Vec<Consumed> = Vec::new();
    for (m, stmt) in members.iter().zip(parsed) {
        let stmt = match stmt {
            Ok(s) => s,
            Err(e) => {
                responses.push(batch_error(&e, None));
                continue;
            }
        };
        responses.push(batch_member(db, ctx, m, &stmt, &mut consumed).await);
    }
    let mut out = Map::new();
    out.insert("Responses".into(), Value::Array(responses));
    if let Some(cc) = capacity::list(&consumed, Mode::of(input)) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    Ok(Value::Object(out))
}

/// One member of a batch; its answer or its `Error`.
async fn batch_member(
    db: &DynamoDb,
    ctx: &RequestContext,
    m: &Value,
    stmt: &Statement,
    consumed: &mut Vec<Consumed>,
) -> Value {
    let loaded = match table(db, ctx, stmt.table()).await {
        Ok(l) => l,
        Err(e) => return batch_error(&e, None),
    };
    let t = &loaded.meta;
    let mut out = Map::new();
    if stmt.is_read() {
        let Some(key) = full_key(stmt, t) else {
            return batch_error(
                &invalid(
                    "Select statements within BatchExecuteStatement must specify the primary key in the where clause.",
                ),
                None,
            );
        };
        match keyed_read(db, stmt, t, &key).await {
            Ok((item, size)) => {
                let mut c = Consumed::new(&t.name);
                c.table = read_units(size, consistent(m));
                merge(consumed, c);
                out.insert("TableName".into(), json!(t.name));
                if let Some(item) = item {
                    out.insert("Item".into(), item_to_json(&item));
                }
            }
            Err(e) => return batch_error(&e, Some(&t.name)),
        }
        return Value::Object(out);
    }
    let w = match dml::plan(stmt, t) {
        Ok(w) => w,
        Err(e) => return batch_error(&e, None),
    };
    let result = write::write_item(db.store.as_ref(), t, &w.key, Origin::User, |old| {
        dml::apply(&w, old, false)
    })
    .await;
    match result {
        Ok(outcome) => {
            merge(consumed, write_consumed(t, &outcome, 1.0));
            out.insert("TableName".into(), json!(t.name));
            if let Some(item) = dml::returned(&w, &outcome) {
                out.insert("Item".into(), item_to_json(&item));
            }
            Value::Object(out)
        }
        Err(e) => batch_error(&e, Some(&t.name)),
    }
}

// ---- ExecuteTransaction

fn in_member(i: usize, e: DdbError) -> DdbError {
    match e {
        DdbError::Validation(msg) => invalid(format!(
            "Validation failed in TransactStatements[{i}]: {msg}"
        )),
        other => other,
    }
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
        Err(DdbError::DuplicateItem(msg)) => json!({"Code": "DuplicateItem", "Message": msg}),
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

async fn execute_transaction(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let members = field(input, "TransactStatements")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if members.is_empty() {
        return Err(invalid(
            "1 validation error detected: Value '[]' at 'transactStatements' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let mut stmts = Vec::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        let stmt = parse_member(m).map_err(|e| in_member(i, e))?;
        let returning = matches!(
            stmt,
            Statement::Update {
                returning: Some(_),
                ..
            } | Statement::Delete {
                returning: Some(_),
                ..
            }
        );
        if returning {
            return Err(in_member(
                i,
                invalid("RETURNING clause is not supported in ExecuteTransaction."),
            ));
        }
        if let Statement::Select { source, .. } = &stmt
            && source.index.is_some()
        {
            return Err(in_member(
                i,
                invalid("Reads on indices are not supported within transactions."),
            ));
        }
        stmts.push(stmt);
    }
    let reads = stmts.iter().filter(|s| s.is_read()).count();
    if reads > 0 && reads < stmts.len() {
        return Err(invalid(
            "ExecuteTransaction API does not support both read and write operations in the same request.",
        ));
    }
    // ClientRequestToken: the same request again within the window answers the first answer
    // without writing again (TransactWriteItems' token store).
    let token = field(input, "ClientRequestToken").and_then(Value::as_str);
    let fingerprint = token::fingerprint(input);
    if reads == 0
        && let Some(t) = token
        && let Some(answer) = token::lookup(db, ctx, t, &fingerprint).await?
    {
        return Ok(answer);
    }
    let mut tables = Vec::with_capacity(stmts.len());
    for s in &stmts {
        tables.push(table(db, ctx, s.table()).await?);
    }
    let mode = Mode::of(input);
    let mut consumed: Vec<Consumed> = Vec::new();
    let mut out = Map::new();
    if reads > 0 {
        let mut keys = Vec::with_capacity(stmts.len());
        for (i, (s, l)) in stmts.iter().zip(&tables).enumerate() {
            let key = full_key(s, &l.meta).ok_or_else(|| {
                in_member(
                    i,
                    invalid("Select statements within ExecuteTransaction must specify the primary key in the where clause."),
                )
            })?;
            keys.push(key);
        }
        let mut responses = Vec::with_capacity(stmts.len());
        for ((s, l), key) in stmts.iter().zip(&tables).zip(&keys) {
            let (item, size) = keyed_read(db, s, &l.meta, key).await?;
            let mut c = Consumed::new(&l.meta.name);
            c.table = 2.0 * read_units(size, true);
            merge(&mut consumed, c);
            responses.push(match item {
                Some(item) => json!({"Item": item_to_json(&item)}),
                None => json!({}),
            });
        }
        out.insert("Responses".into(), Value::Array(responses));
    } else {
        let mut plans = Vec::with_capacity(stmts.len());
        let mut seen = HashSet::new();
        for (i, (s, l)) in stmts.iter().zip(&tables).enumerate() {
            let w = dml::plan(s, &l.meta).map_err(|e| in_member(i, e))?;
            if !seen.insert(write::item_key(&l.meta, &w.key)?) {
                return Err(invalid(
                    "Transaction request cannot include multiple operations on one item",
                ));
            }
            plans.push(w);
        }
        let writes: Vec<ItemWrite<'_>> = plans
            .iter()
            .zip(&tables)
            .zip(&members)
            .map(|((w, l), m)| {
                let ret_old = return_old(m);
                ItemWrite {
                    table: &l.meta,
                    key: w.key.clone(),
                    origin: Origin::User,
                    apply: Box::new(move |old: Option<&Item>| dml::apply(w, old, ret_old)),
                }
            })
            .collect();
        let results = write::write_items(db.store.as_ref(), writes).await?;
        if results.iter().any(Result::is_err) {
            return Err(cancelled(&results));
        }
        for (r, l) in results.iter().zip(&tables) {
            if let Ok(outcome) = r {
                merge(&mut consumed, write_consumed(&l.meta, outcome, 2.0));
            }
        }
    }
    if let Some(cc) = capacity::list(&consumed, mode) {
        out.insert("ConsumedCapacity".into(), cc);
    }
    let answer = Value::Object(out);
    if reads == 0
        && let Some(t) = token
    {
        token::remember(db, ctx, t, &fingerprint, &answer).await?;
    }
    Ok(answer)
}
