//! The four operations of `DynamoDBStreams_20120810`: ListStreams, DescribeStream,
//! GetShardIterator, GetRecords. Inputs arrive model-validated (required members, enums,
//! lengths, `Limit >= 1`); the upper limits the model does not carry are checked here.

use super::arn::{StreamArn, parse_sequence, sequence_millis, sequence_string, start_sequence};
use super::error::{Result, StreamsError};
use super::iterator::{Position, ShardIterator};
use super::read::{self, MAX_RESPONSE_BYTES, Stream};
use crate::DynamoDb;
use crate::store::{TABLES, cached_table, table_key};
use crate::table::TableMeta;
use lamina_core::RequestContext;
use lamina_storage::{Direction, Range, key};
use serde_json::{Map, Value, json};
use std::ops::Bound;

/// Records are kept this long.
pub(crate) const RETENTION_MS: u64 = 24 * 60 * 60 * 1000;
const LIST_STREAMS_MAX: u64 = 100;
const DESCRIBE_STREAM_MAX: u64 = 100;
const GET_RECORDS_MAX: u64 = 1000;
/// Table metas read per store call by ListStreams.
const TABLES_CHUNK: usize = 256;

fn str_of<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

/// `Limit` with its default and AWS's "less than or equal to" check.
fn limit(input: &Value, default: u64, max: u64) -> Result<usize> {
    let n = match input.get("Limit") {
        None | Some(Value::Null) => default,
        Some(v) => v.as_u64().unwrap_or(0),
    };
    if n > max {
        return Err(StreamsError::Validation(format!(
            "1 validation error detected: Value '{n}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to {max}"
        )));
    }
    Ok(usize::try_from(n.max(1)).unwrap_or(1))
}

fn stream_summary(meta: &TableMeta) -> Option<Value> {
    let (arn, label) = (meta.stream_arn()?, meta.stream.label.as_ref()?);
    Some(json!({"StreamArn": arn, "TableName": meta.name, "StreamLabel": label}))
}

pub(crate) async fn list_streams(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value> {
    let limit = limit(input, LIST_STREAMS_MAX, LIST_STREAMS_MAX)?;
    let after = match str_of(input, "ExclusiveStartStreamArn") {
        Some(s) => Some(StreamArn::parse(s).ok_or_else(|| {
            StreamsError::Validation(format!("Invalid ExclusiveStartStreamArn: {s}"))
        })?),
        None => None,
    };
    let (account, region) = (ctx.account_id.as_str(), ctx.region.as_str());
    let mut streams = Vec::new();
    let mut more = false;
    if let Some(name) = str_of(input, "TableName") {
        let Some(l) = cached_table(db, account, region, name).await? else {
            return Err(StreamsError::NotFound(format!(
                "Requested resource not found: Table: {name} not found"
            )));
        };
        let skipped = after.as_ref().is_some_and(|a| a.table.as_str() >= name);
        if let Some(s) = stream_summary(&l.meta).filter(|_| !skipped) {
            streams.push(s);
        }
    } else {
        let prefix = key::prefix(&[account, region]);
        let mut range = Range::prefix(&prefix);
        if let Some(a) = &after {
            range.start = Bound::Excluded(table_key(account, region, &a.table));
        }
        'scan: loop {
            let chunk = db
                .store
                .scan(TABLES, range.clone(), Direction::Forward, TABLES_CHUNK)
                .await?;
            for (k, v) in &chunk {
                let Ok(meta) = serde_json::from_slice::<TableMeta>(v) else {
                    tracing::warn!(key = %String::from_utf8_lossy(k), "undecodable table meta skipped");
                    continue;
                };
                if let Some(s) = stream_summary(&meta) {
                    if streams.len() == limit {
                        more = true;
                        break 'scan;
                    }
                    streams.push(s);
                }
            }
            match chunk.last() {
                Some((k, _)) if chunk.len() == TABLES_CHUNK => {
                    range.start = Bound::Excluded(k.clone());
                }
                _ => break,
            }
        }
    }
    let mut out = Map::new();
    if let Some(last) = streams.last().filter(|_| more) {
        out.insert("LastEvaluatedStreamArn".into(), last["StreamArn"].clone());
    }
    out.insert("Streams".into(), Value::Array(streams));
    Ok(Value::Object(out))
}

/// The stream's view type; a disabled stream's meta no longer holds it, its records do.
async fn view_type(db: &DynamoDb, stream: &Stream) -> Result<Option<String>> {
    if let Some(v) = &stream.meta.stream.view_type {
        return Ok(Some(v.clone()));
    }
    let last = read::last(db.store.as_ref(), stream).await?;
    Ok(last.and_then(|r| {
        r.record["dynamodb"]["StreamViewType"]
            .as_str()
            .map(str::to_string)
    }))
}

pub(crate) async fn describe_stream(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value> {
    let limit = limit(input, DESCRIBE_STREAM_MAX, DESCRIBE_STREAM_MAX)?;
    let arn = str_of(input, "StreamArn").unwrap_or_default();
    let stream = read::resolve(db, arn, Some((&ctx.account_id, &ctx.region))).await?;
    let shard_id = stream.shard_id();
    let mut range = Map::new();
    range.insert(
        "StartingSequenceNumber".into(),
        json!(sequence_string(stream.start())),
    );
    if !stream.enabled() {
        let end = read::last(db.store.as_ref(), &stream)
            .await?
            .map_or(stream.start(), |r| r.seq);
        range.insert("EndingSequenceNumber".into(), json!(sequence_string(end)));
    }
    let after_us = str_of(input, "ExclusiveStartShardId").is_some_and(|s| s >= shard_id.as_str());
    // One shard and no children: a CHILD_SHARDS filter matches nothing.
    let filtered = input.get("ShardFilter").is_some();
    let shards: Vec<Value> = if after_us || filtered || limit == 0 {
        Vec::new()
    } else {
        vec![json!({"ShardId": shard_id, "SequenceNumberRange": Value::Object(range)})]
    };
    let mut d = Map::new();
    d.insert("StreamArn".into(), json!(stream.arn));
    d.insert(
        "StreamLabel".into(),
        json!(stream.meta.stream.label.clone().unwrap_or_default()),
    );
    let status = if stream.enabled() {
        "ENABLED"
    } else {
        "DISABLED"
    };
    d.insert("StreamStatus".into(), json!(status));
    if let Some(v) = view_type(db, &stream).await? {
        d.insert("StreamViewType".into(), json!(v));
    }
    d.insert(
        "CreationRequestDateTime".into(),
        json!(stream.label_ms as f64 / 1000.0),
    );
    d.insert("TableName".into(), json!(stream.meta.name));
    d.insert("KeySchema".into(), stream.meta.key.to_json());
    d.insert("Shards".into(), Value::Array(shards));
    Ok(json!({"StreamDescription": Value::Object(d)}))
}

pub(crate) async fn get_shard_iterator(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value> {
    let arn = str_of(input, "StreamArn").unwrap_or_default();
    let stream = read::resolve(db, arn, Some((&ctx.account_id, &ctx.region))).await?;
    if str_of(input, "ShardId") != Some(stream.shard_id().as_str()) {
        return Err(StreamsError::NotFound(
            "Requested resource not found: Shard does not exist".into(),
        ));
    }
    let kind = str_of(input, "ShardIteratorType").unwrap_or_default();
    let seq = str_of(input, "SequenceNumber");
    let now = lamina_core::now_epoch_millis();
    let position = match (kind, seq) {
        ("TRIM_HORIZON" | "LATEST" | "AT_TIMESTAMP", Some(_)) => {
            return Err(StreamsError::Validation(format!(
                "Invalid request: SequenceNumber must not be specified for ShardIteratorType {kind}"
            )));
        }
        ("AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER", None) => {
            return Err(StreamsError::Validation(format!(
                "Invalid request: SequenceNumber is required for ShardIteratorType {kind}"
            )));
        }
        ("TRIM_HORIZON", None) => Position::TrimHorizon,
        ("LATEST", None) => match read::last(db.store.as_ref(), &stream).await? {
            Some(r) => Position::After(r.seq),
            None => Position::TrimHorizon,
        },
        ("AT_TIMESTAMP", None) => {
            let Some(ts) = input.get("Timestamp").and_then(Value::as_f64) else {
                return Err(StreamsError::Validation(
                    "Invalid request: Timestamp is required for ShardIteratorType AT_TIMESTAMP"
                        .into(),
                ));
            };
            let ms = if ts.is_finite() && ts > 0.0 {
                (ts * 1000.0) as u64
            } else {
                0
            };
            Position::At(start_sequence(ms).max(stream.start()))
        }
        (_, Some(s)) => {
            let n = parse_sequence(s)
                .ok_or_else(|| StreamsError::Validation(format!("Invalid SequenceNumber: {s}")))?;
            if sequence_millis(n).saturating_add(RETENTION_MS) < now {
                return Err(StreamsError::Trimmed(
                    "The operation attempted to read past the oldest stream record in a shard."
                        .into(),
                ));
            }
            if n < stream.start() {
                return Err(StreamsError::Validation(format!(
                    "Invalid SequenceNumber: {s} is not in the sequence number range of shard {}",
                    stream.shard_id()
                )));
            }
            if kind == "AT_SEQUENCE_NUMBER" {
                Position::At(n)
            } else {
                Position::After(n)
            }
        }
        _ => {
            return Err(StreamsError::Validation(format!(
                "Invalid ShardIteratorType: {kind}"
            )));
        }
    };
    let it = ShardIterator {
        stream_arn: stream.arn,
        position,
        issued_ms: now,
    };
    Ok(json!({"ShardIterator": it.encode()}))
}

/// A time as AWS prints it in the expired-iterator message.
fn when(ms: u64) -> String {
    crate::table::stream_label(ms).replace('T', " ") + " UTC"
}

pub(crate) async fn get_records(
    db: &DynamoDb,
    ctx: &RequestContext,
    input: &Value,
) -> Result<Value> {
    let limit = limit(input, GET_RECORDS_MAX, GET_RECORDS_MAX)?;
    let raw = str_of(input, "ShardIterator").unwrap_or_default();
    let it = ShardIterator::decode(raw)
        .ok_or_else(|| StreamsError::Validation("Invalid ShardIterator".into()))?;
    let now = lamina_core::now_epoch_millis();
    if it.expired(now) {
        return Err(StreamsError::Expired(format!(
            "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {} milliseconds.",
            when(it.issued_ms),
            when(now),
            super::iterator::ITERATOR_TTL_MS
        )));
    }
    let stream = read::resolve(db, &it.stream_arn, Some((&ctx.account_id, &ctx.region))).await?;
    let from = match it.position {
        Position::TrimHorizon => Bound::Included(start_sequence(now.saturating_sub(RETENTION_MS))),
        Position::At(s) => Bound::Included(s),
        Position::After(s) => Bound::Excluded(s),
    };
    let store = db.store.as_ref();
    let records = read::scan(store, &stream, from, limit, MAX_RESPONSE_BYTES).await?;
    let next = match records.last() {
        Some(r) => Position::After(r.seq),
        None => it.position,
    };
    // A disabled stream's shard is closed: once it is read to the end there is no next
    // iterator (the answer omits NextShardIterator, as AWS's does).
    let closed = !stream.enabled() && {
        let rest = match next {
            Position::TrimHorizon => from,
            Position::At(s) => Bound::Included(s),
            Position::After(s) => Bound::Excluded(s),
        };
        read::scan(store, &stream, rest, 1, MAX_RESPONSE_BYTES)
            .await?
            .is_empty()
    };
    let mut out = Map::new();
    out.insert(
        "Records".into(),
        Value::Array(
            records
                .into_iter()
                .map(|r| read::api_record(r.record))
                .collect(),
        ),
    );
    if !closed {
        let it = ShardIterator {
            stream_arn: stream.arn,
            position: next,
            issued_ms: now,
        };
        out.insert("NextShardIterator".into(), json!(it.encode()));
    }
    Ok(Value::Object(out))
}
