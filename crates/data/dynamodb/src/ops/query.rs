//! Query and Scan: key conditions as store range scans over the order-preserving key
//! encoding, on the table (`ddb.items`) or an index (`ddb.index`); `ScanIndexForward`,
//! `Limit` (items evaluated, before the filter), `ExclusiveStartKey`/`LastEvaluatedKey`, the
//! 1 MB page rule, `FilterExpression`/`QueryFilter`/`ScanFilter`, `Select`, projections, LSI
//! fetches of unprojected attributes, parallel Scan (`Segment`/`TotalSegments`, split by a
//! stable hash of the partition key) and `ConsumedCapacity`.

pub(crate) mod capacity;
mod page;
pub(crate) mod plan;
#[cfg(test)]
pub(crate) mod tests;

use crate::DynamoDb;
use crate::error::{DdbError, Result};
use crate::expr::{self, Condition, Context, Path, legacy};
use crate::store::load_table_for_items;
use crate::value::{item_to_json, read_units};
use capacity::{Consumed, Mode};
use lamina_core::RequestContext;
use lamina_storage::{Direction, Range};
use page::{Page, Segment};
use plan::{Select, Target};
use serde_json::{Map, Value, json};

pub(crate) const OPS: &[&str] = &["Query", "Scan"];

pub(crate) async fn call(
    db: &DynamoDb,
    ctx: &RequestContext,
    op: &str,
    input: &Value,
) -> Option<Result<Value>> {
    Some(match op {
        "Query" => query(db, ctx, input).await,
        "Scan" => scan(db, ctx, input).await,
        _ => return None,
    })
}

fn invalid(msg: impl Into<String>) -> DdbError {
    DdbError::Validation(msg.into())
}

fn field<'v>(input: &'v Value, name: &str) -> Option<&'v Value> {
    input.get(name).filter(|v| !v.is_null())
}

fn string<'v>(input: &'v Value, name: &str) -> Option<&'v str> {
    field(input, name).and_then(Value::as_str)
}

/// What Query and Scan share: the parsed filter and projection and the `Select`.
struct Reading {
    filter: Option<Condition>,
    filter_param: &'static str,
    projection: Option<Vec<Path>>,
    select: Select,
    limit: Option<usize>,
    consistent: bool,
}

/// Parses the projection and filter (expression or legacy form) of a Query or Scan.
fn reading(
    input: &Value,
    ctx: &mut Context,
    legacy_filter: &'static str,
    select_prefix: &str,
) -> Result<Reading> {
    let projection_src = string(input, "ProjectionExpression");
    let atg = field(input, "AttributesToGet");
    let select = plan::select(
        string(input, "Select"),
        projection_src.is_some(),
        atg.is_some(),
        field(input, "IndexName").is_some(),
        select_prefix,
    )?;
    let (filter, filter_param) = match string(input, "FilterExpression") {
        Some(src) => (Some(ctx.filter(src)?), "Filter Expression"),
        None => (
            legacy::filter(
                field(input, legacy_filter),
                field(input, "ConditionalOperator"),
            )?,
            legacy_filter,
        ),
    };
    let projection = match (projection_src, atg) {
        (Some(src), _) => Some(ctx.projection(src)?),
        (None, Some(list)) => Some(legacy::attributes_to_get(list)?),
        (None, None) => None,
    };
    let limit = field(input, "Limit")
        .and_then(Value::as_u64)
        .map(|l| usize::try_from(l).unwrap_or(usize::MAX));
    let consistent = field(input, "ConsistentRead")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(Reading {
        filter,
        filter_param,
        projection,
        select,
        limit,
        consistent,
    })
}

/// The checks that need the table: the index, consistent reads on GSIs, `ALL_ATTRIBUTES`.
fn check_target(target: &Target<'_>, r: &Reading) -> Result<()> {
    if target.global && r.consistent {
        return Err(invalid(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    plan::check_all_attributes(target, r.select)
}

/// Whether a read of an LSI must fetch table items: it asks for every attribute or reads
/// one the index does not hold.
fn needs_fetch(target: &Target<'_>, r: &Reading) -> bool {
    if target.index.is_none() || target.global || target.projects_all() {
        return false;
    }
    if r.select == Select::All {
        return true;
    }
    let mut paths: Vec<&Path> = Vec::new();
    if let Some(f) = &r.filter {
        plan::condition_paths(f, &mut paths);
    }
    if let Some(p) = &r.projection {
        paths.extend(p.iter());
    }
    paths.iter().any(|p| !target.projects(p.top()))
}

fn answer(target: &Target<'_>, r: &Reading, page: Page, mode: Mode) -> Value {
    let mut out = Map::new();
    if r.select != Select::Count {
        out.insert(
            "Items".into(),
            Value::Array(page.items.iter().map(item_to_json).collect()),
        );
    }
    out.insert("Count".into(), json!(page.count));
    out.insert("ScannedCount".into(), json!(page.scanned));
    if let Some(k) = &page.last_key {
        out.insert("LastEvaluatedKey".into(), item_to_json(k));
    }
    let mut consumed = Consumed::new(&target.table.name);
    let units = read_units(page.bytes, r.consistent);
    match target.index {
        Some(i) => {
            consumed.add_index(&i.name, target.global, units);
            if page.fetched_bytes > 0 {
                consumed.table = read_units(page.fetched_bytes, r.consistent);
            }
        }
        None => consumed.table = units,
    }
    if let Some(c) = consumed.to_json(mode) {
        out.insert("ConsumedCapacity".into(), c);
    }
    Value::Object(out)
}

async fn query(db: &DynamoDb, rctx: &RequestContext, input: &Value) -> Result<Value> {
    expr::check_request_params(input, &["KeyConditionExpression", "FilterExpression"])?;
    let mut ctx = Context::new(
        field(input, "ExpressionAttributeNames"),
        field(input, "ExpressionAttributeValues"),
    )?;
    let key_conditions = match (
        string(input, "KeyConditionExpression"),
        field(input, "KeyConditions"),
    ) {
        (Some(src), _) => ctx.key_condition(src)?,
        (None, Some(kc)) => legacy::key_conditions(kc)?,
        (None, None) => {
            return Err(invalid(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            ));
        }
    };
    let r = reading(
        input,
        &mut ctx,
        "QueryFilter",
        "1 validation error detected: ",
    )?;
    ctx.check_unused()?;
    let name = string(input, "TableName").unwrap_or_default();
    let loaded = load_table_for_items(db, &rctx.account_id, &rctx.region, name).await?;
    let target = Target::new(&loaded.meta, string(input, "IndexName"))?;
    check_target(&target, &r)?;
    let cond = key_conditions.resolve(
        &target.key.hash.0,
        target.key.range.as_ref().map(|(n, _)| n.as_str()),
    )?;
    plan::check_key_types(&cond, &target.key)?;
    if let Some(f) = &r.filter {
        plan::check_filter_keys(f, &target.key, r.filter_param)?;
    }
    let direction = match field(input, "ScanIndexForward").and_then(Value::as_bool) {
        Some(false) => Direction::Reverse,
        _ => Direction::Forward,
    };
    let mut range = plan::key_range(&target.prefix(), &cond)?;
    if let Some(start) = field(input, "ExclusiveStartKey") {
        let pos = target.start_key(start)?;
        range = plan::after(range, target.store_key(&pos)?, direction);
    }
    let page = page::read(
        db.store.as_ref(),
        page::Request {
            target: &target,
            range,
            direction,
            limit: r.limit,
            filter: r.filter.as_ref(),
            projection: r.projection.as_deref(),
            select: r.select,
            fetch: needs_fetch(&target, &r),
            segment: None,
        },
    )
    .await?;
    Ok(answer(&target, &r, page, Mode::of(input)))
}

/// `Segment` / `TotalSegments`, with AWS's messages when only one is given or they disagree.
fn segment(input: &Value) -> Result<Option<Segment>> {
    let seg = field(input, "Segment").and_then(Value::as_u64);
    let total = field(input, "TotalSegments").and_then(Value::as_u64);
    match (seg, total) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(invalid(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        )),
        (None, Some(_)) => Err(invalid(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
        (Some(s), Some(t)) if s >= t => Err(invalid(format!(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
        ))),
        (Some(s), Some(t)) => Ok(Some(Segment {
            segment: u32::try_from(s).unwrap_or(u32::MAX),
            total: u32::try_from(t).unwrap_or(u32::MAX),
        })),
    }
}

async fn scan(db: &DynamoDb, rctx: &RequestContext, input: &Value) -> Result<Value> {
    expr::check_request_params(input, &["FilterExpression"])?;
    let segment = segment(input)?;
    let mut ctx = Context::new(
        field(input, "ExpressionAttributeNames"),
        field(input, "ExpressionAttributeValues"),
    )?;
    let r = reading(input, &mut ctx, "ScanFilter", "")?;
    ctx.check_unused()?;
    let name = string(input, "TableName").unwrap_or_default();
    let loaded = load_table_for_items(db, &rctx.account_id, &rctx.region, name).await?;
    let target = Target::new(&loaded.meta, string(input, "IndexName"))?;
    check_target(&target, &r)?;
    let mut range = Range::prefix(&target.prefix());
    if let Some(start) = field(input, "ExclusiveStartKey") {
        let pos = target.start_key(start)?;
        if let Some(seg) = segment
            && !pos.get(&target.key.hash.0).is_some_and(|pk| seg.holds(pk))
        {
            return Err(invalid(
                "The provided Exclusive start key does not map to the provided Segment and TotalSegments values.",
            ));
        }
        range = plan::after(range, target.store_key(&pos)?, Direction::Forward);
    }
    let page = page::read(
        db.store.as_ref(),
        page::Request {
            target: &target,
            range,
            direction: Direction::Forward,
            limit: r.limit,
            filter: r.filter.as_ref(),
            projection: r.projection.as_deref(),
            select: r.select,
            fetch: needs_fetch(&target, &r),
            segment,
        },
    )
    .await?;
    Ok(answer(&target, &r, page, Mode::of(input)))
}
