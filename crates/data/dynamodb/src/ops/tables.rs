//! Control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable,
//! TagResource, UntagResource, ListTagsOfResource, UpdateTimeToLive, DescribeTimeToLive,
//! DescribeLimits, DescribeEndpoints, DescribeContinuousBackups.
//!
//! Tables are usable as soon as CreateTable returns: its answer says `CREATING` (as AWS's
//! does) and every later DescribeTable says `ACTIVE`, which satisfies both code that checks
//! the CreateTable answer and the SDK waiters. UpdateTable answers `UPDATING` the same way,
//! DeleteTable `DELETING` (the table is gone at once; its data is removed in the background).

mod input;
#[cfg(test)]
mod tests;

use crate::DynamoDb;
use crate::error::{DdbError, Result};
use crate::store::{self, Loaded};
use crate::table::{BillingMode, FORMAT, IndexStatus, SseMeta, StreamMeta, TableMeta, TtlMeta};
use input::{
    CreateTableInput, GlobalSecondaryIndexUpdate, Tag, TimeToLiveSpecification, UpdateTableInput,
    invalid, parse,
};
use lamina_core::RequestContext;
use lamina_storage::WriteBatch;
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) const OPS: &[&str] = &[
    "CreateTable",
    "DescribeTable",
    "ListTables",
    "UpdateTable",
    "DeleteTable",
    "TagResource",
    "UntagResource",
    "ListTagsOfResource",
    "UpdateTimeToLive",
    "DescribeTimeToLive",
    "DescribeLimits",
    "DescribeEndpoints",
    "DescribeContinuousBackups",
];

/// Attempts of a read-modify-write of a table meta before giving up.
const RETRIES: usize = 16;

pub(crate) async fn call(
    db: &DynamoDb,
    ctx: &RequestContext,
    op: &str,
    input: &Value,
) -> Option<Result<Value>> {
    Some(match op {
        "CreateTable" => create_table(db, ctx, input).await,
        "DescribeTable" => describe_table(db, ctx, input).await,
        "ListTables" => list_tables(db, ctx, input).await,
        "UpdateTable" => update_table(db, ctx, input).await,
        "DeleteTable" => delete_table(db, ctx, input).await,
        "TagResource" => tag_resource(db, ctx, input).await,
        "UntagResource" => untag_resource(db, ctx, input).await,
        "ListTagsOfResource" => list_tags(db, ctx, input).await,
        "UpdateTimeToLive" => update_ttl(db, ctx, input).await,
        "DescribeTimeToLive" => describe_ttl(db, ctx, input).await,
        "DescribeLimits" => Ok(json!({
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000,
        })),
        "DescribeEndpoints" => Ok(json!({
            "Endpoints": [{"Address": format!("dynamodb.{}.amazonaws.com", ctx.region), "CachePeriodInMinutes": 1440}]
        })),
        "DescribeContinuousBackups" => describe_backups(db, ctx, input).await,
        _ => return None,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableNameInput {
    table_name: String,
}

/// A new table id: 16 random hex characters.
fn new_table_id() -> String {
    lamina_core::random_bytes::<8>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn describe(db: &DynamoDb, meta: &TableMeta, status: &str) -> Result<Value> {
    let counts = store::counts(db.store.as_ref(), meta).await?;
    Ok(meta.describe(status, &counts))
}

async fn create_table(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: CreateTableInput = parse(input)?;
    let new = input::check_create(&req)?;
    let view_type = input::create_stream(req.stream_specification.as_ref())?;
    let sse = match &req.sse_specification {
        Some(s) => input::sse(s, &ctx.account_id, &ctx.region)?,
        None => None,
    };
    let tags = req.tags.clone().unwrap_or_default();
    input::check_tags(&tags, 0)?;
    let now = lamina_core::now_epoch_seconds();
    let mut meta = TableMeta {
        v: FORMAT,
        name: req.table_name.clone(),
        table_id: new_table_id(),
        uuid: lamina_core::new_request_id(),
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
        created: now,
        attributes: new.attributes,
        key: new.key,
        billing: new.billing,
        billing_changed: None,
        throughput: new.throughput,
        gsis: new.gsis,
        lsis: new.lsis,
        stream: StreamMeta::default(),
        sse: sse.map(|kms_key_arn| SseMeta { kms_key_arn }),
        deletion_protection: req.deletion_protection_enabled.unwrap_or(false),
        table_class: req.table_class.clone(),
        tags: tags.into_iter().map(|t| (t.key, t.value)).collect(),
        ttl: None,
    };
    if let Some(v) = view_type {
        meta.enable_stream(&v, lamina_core::now_epoch_millis());
    }
    let mut batch = WriteBatch::new();
    store::put_meta(&mut batch, &meta, None)?;
    if !store::commit_meta(db, &meta.account, &meta.region, &meta.name, batch).await? {
        return Err(DdbError::InUse(format!(
            "Table already exists: {}",
            meta.name
        )));
    }
    Ok(json!({"TableDescription": meta.describe("CREATING", &Default::default())}))
}

async fn describe_table(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: TableNameInput = parse(input)?;
    let l = store::load_table(db, &ctx.account_id, &ctx.region, &req.table_name).await?;
    Ok(json!({"Table": describe(db, &l.meta, "ACTIVE").await?}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTablesInput {
    #[serde(default)]
    exclusive_start_table_name: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

async fn list_tables(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: ListTablesInput = parse(input)?;
    // the model bounds Limit to 1..=100
    let limit = req.limit.unwrap_or(100).clamp(1, 100) as usize;
    let (names, last) = store::list_tables(
        db.store.as_ref(),
        &ctx.account_id,
        &ctx.region,
        req.exclusive_start_table_name.as_deref(),
        limit,
    )
    .await?;
    let mut out = json!({"TableNames": names});
    if let Some(last) = last {
        out["LastEvaluatedTableName"] = json!(last);
    }
    Ok(out)
}

/// Reads the table (from the store, not the cache), applies `change`, and commits it under a
/// compare-and-set, retrying when another writer got there first.
async fn modify<T>(
    db: &DynamoDb,
    ctx: &RequestContext,
    name: &str,
    mut change: impl FnMut(&mut TableMeta, &Loaded) -> Result<T>,
) -> Result<(TableMeta, T)> {
    for _ in 0..RETRIES {
        let l = store::read_table(db.store.as_ref(), &ctx.account_id, &ctx.region, name)
            .await?
            .ok_or_else(|| store::table_not_found(name))?;
        let mut meta = l.meta.clone();
        let out = change(&mut meta, &l)?;
        let mut batch = WriteBatch::new();
        store::put_meta(&mut batch, &meta, Some(&l.raw))?;
        if store::commit_meta(db, &ctx.account_id, &ctx.region, name, batch).await? {
            return Ok((meta, out));
        }
    }
    Err(DdbError::Internal(format!(
        "table {name}: too many conflicting updates"
    )))
}

const UPDATE_NOTHING: &str = "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required";

/// Request-only checks of GlobalSecondaryIndexUpdates.
fn check_gsi_updates(updates: &[GlobalSecondaryIndexUpdate]) -> Result<()> {
    let mut names: Vec<&str> = Vec::new();
    let mut online = 0;
    for u in updates {
        let actions = [u.update.is_some(), u.create.is_some(), u.delete.is_some()];
        let name = match (&u.update, &u.create, &u.delete) {
            (Some(a), _, _) => a.index_name.as_str(),
            (_, Some(a), _) => a.index_name.as_str(),
            (_, _, Some(a)) => a.index_name.as_str(),
            _ => {
                return Err(invalid(
                    "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
                ));
            }
        };
        if actions.iter().filter(|a| **a).count() > 1 {
            return Err(invalid(
                "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object",
            ));
        }
        if names.contains(&name) {
            return Err(invalid(format!(
                "Only one global secondary index update per index is allowed simultaneously. Index: {name}"
            )));
        }
        names.push(name);
        if u.create.is_some() || u.delete.is_some() {
            online += 1;
        }
    }
    if online > 1 {
        return Err(DdbError::LimitExceeded(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table".into(),
        ));
    }
    Ok(())
}

/// What UpdateTable did that needs work after the commit.
#[derive(Default)]
struct AfterUpdate {
    /// A GSI created on a table with items: fill it, then mark it ACTIVE.
    backfill: Option<String>,
}

async fn update_table(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: UpdateTableInput = parse(input)?;
    let gsi_updates = req
        .global_secondary_index_updates
        .clone()
        .unwrap_or_default();
    let nothing = req.provisioned_throughput.is_none()
        && req.billing_mode.is_none()
        && req.stream_specification.is_none()
        && gsi_updates.is_empty()
        && req.sse_specification.is_none()
        && req.replica_updates.is_none()
        && req.multi_region_consistency.is_none()
        && req.deletion_protection_enabled.is_none()
        && req.on_demand_throughput.is_none()
        && req.warm_throughput.is_none()
        && req.table_class.is_none();
    if nothing {
        return Err(DdbError::Validation(UPDATE_NOTHING.into()));
    }
    if req
        .global_secondary_index_updates
        .as_ref()
        .is_some_and(Vec::is_empty)
    {
        return Err(invalid("List of GlobalSecondaryIndexUpdates is empty"));
    }
    check_gsi_updates(&gsi_updates)?;
    let creates_or_deletes = gsi_updates
        .iter()
        .any(|u| u.create.is_some() || u.delete.is_some());
    if creates_or_deletes && req.stream_specification.is_some() {
        return Err(invalid(
            "You cannot create or delete index while changing stream status",
        ));
    }
    let name = req.table_name.clone();
    let has_items = {
        let l = store::read_table(db.store.as_ref(), &ctx.account_id, &ctx.region, &name)
            .await?
            .ok_or_else(|| store::table_not_found(&name))?;
        store::has_items(db.store.as_ref(), &l.meta).await?
    };
    let (meta, after) = modify(db, ctx, &name, |meta, _| {
        apply_update(meta, &req, &gsi_updates, has_items)
    })
    .await?;
    if let Some(index) = after.backfill {
        store::spawn_backfill(db, meta.clone(), index);
    }
    let mut shown = meta.clone();
    for g in &mut shown.gsis {
        if gsi_updates
            .iter()
            .any(|u| u.create.as_ref().is_some_and(|c| c.index_name == g.name))
        {
            g.status = IndexStatus::Creating;
        }
    }
    Ok(json!({"TableDescription": describe(db, &shown, "UPDATING").await?}))
}

fn apply_update(
    meta: &mut TableMeta,
    req: &UpdateTableInput,
    gsi_updates: &[GlobalSecondaryIndexUpdate],
    has_items: bool,
) -> Result<AfterUpdate> {
    let now = lamina_core::now_epoch_seconds();
    let mut after = AfterUpdate::default();
    // billing mode and table throughput
    let new_billing = match req.billing_mode.as_deref() {
        Some(b) => {
            BillingMode::parse(b).ok_or_else(|| invalid(format!("Unknown BillingMode: {b}")))?
        }
        None => meta.billing,
    };
    match (new_billing, &req.provisioned_throughput) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ));
        }
        (BillingMode::PayPerRequest, None) => {
            if meta.billing != BillingMode::PayPerRequest {
                meta.billing = BillingMode::PayPerRequest;
                meta.billing_changed = Some(now);
                meta.throughput = Default::default();
                for g in &mut meta.gsis {
                    g.throughput = None;
                }
            }
        }
        (BillingMode::Provisioned, None) if meta.billing == BillingMode::PayPerRequest => {
            return Err(invalid(
                "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
            ));
        }
        (BillingMode::Provisioned, None) => {}
        (BillingMode::Provisioned, Some(pt)) => {
            let tp = input::throughput(pt)?;
            if meta.billing == BillingMode::Provisioned
                && tp.read == meta.throughput.read
                && tp.write == meta.throughput.write
            {
                return Err(DdbError::Validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {}. Requested ReadCapacityUnits: {}. Current WriteCapacityUnits provisioned for the table: {}. Requested WriteCapacityUnits: {}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.",
                    meta.throughput.read, tp.read, meta.throughput.write, tp.write
                )));
            }
            if meta.billing == BillingMode::PayPerRequest {
                // switching to PROVISIONED: every GSI needs its capacity in this request
                for g in &meta.gsis {
                    let given = gsi_updates.iter().any(|u| {
                        u.update.as_ref().is_some_and(|a| {
                            a.index_name == g.name && a.provisioned_throughput.is_some()
                        })
                    });
                    if !given {
                        return Err(invalid(format!(
                            "ProvisionedThroughput must be specified for index: {}",
                            g.name
                        )));
                    }
                }
                meta.billing = BillingMode::Provisioned;
                meta.throughput = tp;
            } else {
                meta.throughput.change(tp.read, tp.write, now);
            }
        }
    }
    // attribute definitions for new index keys
    let mut defs: Vec<input::AttributeDefinition> = meta
        .attributes
        .iter()
        .map(|a| input::AttributeDefinition {
            attribute_name: a.name.clone(),
            attribute_type: a.ty.as_str().into(),
        })
        .collect();
    for d in req.attribute_definitions.iter().flatten() {
        match defs.iter().find(|x| x.attribute_name == d.attribute_name) {
            Some(x) if x.attribute_type != d.attribute_type => {
                return Err(invalid(format!(
                    "Cannot change the type of an attribute that is in use: {} (current: {}, requested: {})",
                    d.attribute_name, x.attribute_type, d.attribute_type
                )));
            }
            Some(_) => {}
            None => defs.push(d.clone()),
        }
    }
    for u in gsi_updates {
        if let Some(a) = &u.update {
            let is_lsi = meta.lsis.iter().any(|i| i.name == a.index_name);
            let Some(g) = meta.gsis.iter_mut().find(|i| i.name == a.index_name) else {
                if is_lsi {
                    return Err(DdbError::Validation(format!(
                        "Cannot update an index that is not a GlobalSecondaryIndex: {}",
                        a.index_name
                    )));
                }
                return Err(DdbError::NotFound(format!(
                    "Requested resource not found: Index {} for table {}",
                    a.index_name, meta.name
                )));
            };
            match (meta.billing, &a.provisioned_throughput) {
                (BillingMode::PayPerRequest, Some(_)) => {
                    return Err(invalid(format!(
                        "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {} when BillingMode is PAY_PER_REQUEST",
                        a.index_name
                    )));
                }
                (_, None) => {
                    return Err(invalid(format!(
                        "ProvisionedThroughput must be specified for index: {}",
                        a.index_name
                    )));
                }
                (BillingMode::Provisioned, Some(pt)) => {
                    let tp = input::throughput(pt)?;
                    match &mut g.throughput {
                        Some(cur) => cur.change(tp.read, tp.write, now),
                        None => g.throughput = Some(tp),
                    }
                }
            }
        }
        if let Some(a) = &u.delete {
            if meta.lsis.iter().any(|i| i.name == a.index_name) {
                return Err(DdbError::Validation(format!(
                    "Cannot delete an index that is not a GlobalSecondaryIndex: {}",
                    a.index_name
                )));
            }
            let before = meta.gsis.len();
            meta.gsis.retain(|i| i.name != a.index_name);
            if meta.gsis.len() == before {
                return Err(DdbError::NotFound(format!(
                    "Requested resource not found: Index {} for table {}",
                    a.index_name, meta.name
                )));
            }
            // TODO(items): the index entries under `store::index_prefix` stay until the table is
            // deleted; a background purge of the deleted index belongs with the write path.
        }
        if let Some(a) = &u.create {
            if meta.index(&a.index_name).is_some() {
                return Err(DdbError::Validation(
                    "Attempting to create an index which already exists".into(),
                ));
            }
            if meta.gsis.len() >= input::MAX_GSIS {
                return Err(DdbError::LimitExceeded(format!(
                    "Subscriber limit exceeded: The number of global secondary indexes exceeds the per-table limit of {}",
                    input::MAX_GSIS
                )));
            }
            let missing: Vec<&str> = a
                .key_schema
                .iter()
                .map(|k| k.attribute_name.as_str())
                .filter(|n| !defs.iter().any(|d| d.attribute_name == *n))
                .collect();
            if !missing.is_empty() {
                return Err(invalid(format!(
                    "AttributeDefinitions is not specified for index: {}",
                    a.index_name
                )));
            }
            let mut g = input::gsi(
                &a.index_name,
                &a.key_schema,
                &a.projection,
                a.provisioned_throughput.as_ref(),
                &defs,
                meta.billing,
            )?;
            if has_items {
                g.status = IndexStatus::Creating;
                g.backfilling = true;
                after.backfill = Some(g.name.clone());
            }
            meta.gsis.push(g);
        }
    }
    // keep exactly the definitions the table and its indexes use, in their order
    let used = |n: &str| meta.key.is_key(n) || meta.indexes().any(|i| i.key.is_key(n));
    meta.attributes = defs
        .iter()
        .filter(|d| used(&d.attribute_name))
        .filter_map(|d| {
            crate::table::ScalarType::parse(&d.attribute_type).map(|ty| crate::table::KeyAttr {
                name: d.attribute_name.clone(),
                ty,
            })
        })
        .collect();
    // stream
    if let Some(s) = &req.stream_specification {
        match (s.stream_enabled, meta.stream.enabled) {
            (true, true) => {
                return Err(DdbError::Validation(format!(
                    "Table already has an enabled stream: TableName: {}",
                    meta.name
                )));
            }
            (true, false) => {
                let Some(v) = &s.stream_view_type else {
                    return Err(invalid(
                        "If stream is being enabled then UpdateViewType is required",
                    ));
                };
                meta.enable_stream(v, lamina_core::now_epoch_millis());
            }
            (false, _) if s.stream_view_type.is_some() => {
                return Err(invalid(
                    "If stream is being disabled, then UpdateViewType must not be specified",
                ));
            }
            (false, false) => {
                return Err(DdbError::Validation(format!(
                    "Table has no stream to disable: TableName: {}",
                    meta.name
                )));
            }
            (false, true) => {
                meta.stream.enabled = false;
                meta.stream.view_type = None;
            }
        }
    }
    if let Some(s) = &req.sse_specification {
        meta.sse =
            input::sse(s, &meta.account, &meta.region)?.map(|kms_key_arn| SseMeta { kms_key_arn });
    }
    if let Some(c) = &req.table_class {
        meta.table_class = Some(c.clone());
    }
    if let Some(dp) = req.deletion_protection_enabled {
        meta.deletion_protection = dp;
    }
    Ok(after)
}

async fn delete_table(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: TableNameInput = parse(input)?;
    for _ in 0..RETRIES {
        let l = store::read_table(
            db.store.as_ref(),
            &ctx.account_id,
            &ctx.region,
            &req.table_name,
        )
        .await?
        .ok_or_else(|| store::table_not_found(&req.table_name))?;
        if l.meta.deletion_protection {
            return Err(DdbError::Validation(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
                    .into(),
            ));
        }
        let description = describe(db, &l.meta, "DELETING").await?;
        let mut batch = WriteBatch::new();
        store::delete_meta(&mut batch, &l.meta, &l.raw);
        if store::commit_meta(db, &ctx.account_id, &ctx.region, &req.table_name, batch).await? {
            store::spawn_purge(
                db.store.clone(),
                l.meta.account.clone(),
                l.meta.region.clone(),
                l.meta.table_id.clone(),
            );
            return Ok(json!({"TableDescription": description}));
        }
    }
    Err(DdbError::Internal(format!(
        "table {}: too many conflicting updates",
        req.table_name
    )))
}

/// The table name in a table ARN of the caller's account and region.
fn table_of_arn<'a>(ctx: &RequestContext, arn: &'a str) -> Result<&'a str> {
    if !arn.starts_with("arn:") {
        return Err(invalid(format!("ARNs must start with 'arn:': {arn}")));
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, region, account, resource] = parts.as_slice() else {
        return Err(DdbError::Validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        )));
    };
    if *service != "dynamodb" {
        return Err(invalid(format!(
            "Provided Arn is not a DynamoDB resource arn: {arn}"
        )));
    }
    if *region != ctx.region {
        return Err(DdbError::Validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        )));
    }
    let not_found = || {
        DdbError::NotFound(format!(
            "Requested resource not found: ResourceArn: {arn} not found"
        ))
    };
    let Some(name) = resource.strip_prefix("table/") else {
        return Err(not_found());
    };
    if name.contains('/') {
        return Err(invalid(format!(
            "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"
        )));
    }
    if *account != ctx.account_id || name.is_empty() {
        return Err(not_found());
    }
    Ok(name)
}

fn arn_not_found(arn: &str) -> DdbError {
    DdbError::NotFound(format!(
        "Requested resource not found: ResourceArn: {arn} not found"
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagResourceInput {
    resource_arn: String,
    tags: Vec<Tag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagResourceInput {
    resource_arn: String,
    tag_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTagsOfResourceInput {
    resource_arn: String,
}

/// `modify` for the tag operations: a missing table is "ResourceArn ... not found".
async fn modify_tags(
    db: &DynamoDb,
    ctx: &RequestContext,
    arn: &str,
    change: impl FnMut(&mut TableMeta, &Loaded) -> Result<()>,
) -> Result<Value> {
    let name = table_of_arn(ctx, arn)?;
    match modify(db, ctx, name, change).await {
        Ok(_) => Ok(json!({})),
        Err(DdbError::NotFound(_)) => Err(arn_not_found(arn)),
        Err(e) => Err(e),
    }
}

async fn tag_resource(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: TagResourceInput = parse(input)?;
    if req.tags.is_empty() {
        return Err(DdbError::Validation(
            "Atleast one Tag needs to be provided as Input.".into(),
        ));
    }
    modify_tags(db, ctx, &req.resource_arn, |meta, _| {
        let kept = meta
            .tags
            .keys()
            .filter(|k| !req.tags.iter().any(|t| &t.key == *k))
            .count();
        input::check_tags(&req.tags, kept)?;
        for t in &req.tags {
            meta.tags.insert(t.key.clone(), t.value.clone());
        }
        Ok(())
    })
    .await
}

async fn untag_resource(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: UntagResourceInput = parse(input)?;
    if req.tag_keys.is_empty() {
        return Err(DdbError::Validation(
            "Atleast one Tag Key needs to be provided as Input.".into(),
        ));
    }
    modify_tags(db, ctx, &req.resource_arn, |meta, _| {
        for k in &req.tag_keys {
            meta.tags.remove(k);
        }
        Ok(())
    })
    .await
}

async fn list_tags(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: ListTagsOfResourceInput = parse(input)?;
    let name = table_of_arn(ctx, &req.resource_arn)?;
    let Some(l) = store::cached_table(db, &ctx.account_id, &ctx.region, name).await? else {
        return Err(arn_not_found(&req.resource_arn));
    };
    let tags: Vec<Value> = l
        .meta
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({"Tags": tags}))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateTimeToLiveInput {
    table_name: String,
    time_to_live_specification: TimeToLiveSpecification,
}

async fn update_ttl(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: UpdateTimeToLiveInput = parse(input)?;
    let spec = &req.time_to_live_specification;
    modify(db, ctx, &req.table_name, |meta, _| {
        let current = meta.ttl.as_ref().filter(|t| t.enabled);
        match (spec.enabled, current) {
            (true, Some(t)) if t.attribute == spec.attribute_name => {
                Err(DdbError::Validation("TimeToLive is already enabled".into()))
            }
            (_, Some(t)) if t.attribute != spec.attribute_name => Err(DdbError::Validation(format!(
                "TimeToLive is active on a different AttributeName: current AttributeName is {}",
                t.attribute
            ))),
            (false, None) => Err(DdbError::Validation("TimeToLive is already disabled".into())),
            (true, _) => {
                meta.ttl = Some(TtlMeta { attribute: spec.attribute_name.clone(), enabled: true });
                Ok(())
            }
            (false, Some(_)) => {
                meta.ttl = None;
                Ok(())
            }
        }
    })
    .await?;
    Ok(
        json!({"TimeToLiveSpecification": {"Enabled": spec.enabled, "AttributeName": spec.attribute_name}}),
    )
}

async fn describe_ttl(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: TableNameInput = parse(input)?;
    let l = store::load_table(db, &ctx.account_id, &ctx.region, &req.table_name).await?;
    let d = match l.meta.ttl.as_ref().filter(|t| t.enabled) {
        Some(t) => json!({"TimeToLiveStatus": "ENABLED", "AttributeName": t.attribute}),
        None => json!({"TimeToLiveStatus": "DISABLED"}),
    };
    Ok(json!({"TimeToLiveDescription": d}))
}

async fn describe_backups(db: &DynamoDb, ctx: &RequestContext, input: &Value) -> Result<Value> {
    let req: TableNameInput = parse(input)?;
    if store::cached_table(db, &ctx.account_id, &ctx.region, &req.table_name)
        .await?
        .is_none()
    {
        return Err(DdbError::TableNotFound(format!(
            "Table not found: {}",
            req.table_name
        )));
    }
    // Lamina keeps no point-in-time history: report it as off.
    Ok(json!({
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}
        }
    }))
}
