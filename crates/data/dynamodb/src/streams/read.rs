//! Reading streams from the store: which stream an ARN names, the records of a stream in
//! sequence order, and the two shapes a record is handed out in (the Streams API's and the
//! Lambda event's).
//!
//! A table has at most one readable stream: the one named by its latest label. Records live
//! under the table's `ddb.stream` prefix keyed by sequence number, and the stream with label
//! `L` holds the records from `start_sequence(L)` on (earlier ones belong to a stream that was
//! disabled and replaced, which Lamina does not serve).

use super::arn::{StreamArn, shard_id, start_sequence};
use super::error::{Result, StreamsError, stream_not_found};
use crate::DynamoDb;
use crate::store::{STREAM, cached_table, stream_prefix};
use crate::table::TableMeta;
use lamina_storage::{Direction, Range, Store};
use serde_json::{Map, Value, json};
use std::ops::Bound;

/// The most a GetRecords answer carries, like AWS (1 MB).
pub(crate) const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// A resolved stream.
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    pub arn: String,
    pub meta: TableMeta,
    pub label_ms: u64,
}

impl Stream {
    pub(crate) fn start(&self) -> u128 {
        start_sequence(self.label_ms)
    }

    pub(crate) fn shard_id(&self) -> String {
        shard_id(self.label_ms, &self.meta.table_id)
    }

    /// Whether the stream still receives records (a disabled stream stays readable).
    pub(crate) fn enabled(&self) -> bool {
        self.meta.stream.enabled
    }
}

/// The stream named by `arn`. `caller` (account, region) must own it when given. A malformed
/// ARN is a `ValidationException`, an unknown or replaced stream `ResourceNotFoundException`.
pub(crate) async fn resolve(
    db: &DynamoDb,
    arn: &str,
    caller: Option<(&str, &str)>,
) -> Result<Stream> {
    let parsed = StreamArn::parse(arn)
        .ok_or_else(|| StreamsError::Validation(format!("Invalid StreamArn: {arn}")))?;
    if let Some((account, region)) = caller
        && (parsed.account != account || parsed.region != region)
    {
        return Err(stream_not_found(arn));
    }
    let Some(loaded) = cached_table(db, &parsed.account, &parsed.region, &parsed.table).await?
    else {
        return Err(stream_not_found(arn));
    };
    if loaded.meta.stream.label.as_deref() != Some(parsed.label.as_str()) {
        return Err(stream_not_found(arn));
    }
    Ok(Stream {
        arn: arn.to_string(),
        meta: loaded.meta.clone(),
        label_ms: parsed.millis(),
    })
}

fn record_key(meta: &TableMeta, seq: u128) -> Vec<u8> {
    let mut k = stream_prefix(&meta.account, &meta.region, &meta.table_id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The sequence number of a `ddb.stream` key under `prefix`.
fn key_sequence(prefix: &[u8], key: &[u8]) -> Option<u128> {
    let tail = key.get(prefix.len()..)?;
    Some(u128::from_be_bytes(tail.try_into().ok()?))
}

/// A stored record: its sequence number and the record JSON as written (`"v": 1`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    pub seq: u128,
    pub record: Value,
    pub bytes: usize,
}

/// Up to `limit` records of the stream from `from` on (never before the stream's start), and
/// at most `max_bytes` of them (but at least one).
pub(crate) async fn scan(
    store: &dyn Store,
    stream: &Stream,
    from: Bound<u128>,
    limit: usize,
    max_bytes: usize,
) -> Result<Vec<Stored>> {
    let meta = &stream.meta;
    let prefix = stream_prefix(&meta.account, &meta.region, &meta.table_id);
    let start = stream.start();
    let from = match from {
        Bound::Included(s) if s >= start => Bound::Included(s),
        Bound::Excluded(s) if s >= start => Bound::Excluded(s),
        _ => Bound::Included(start),
    };
    let mut range = Range::prefix(&prefix);
    range.start = match from {
        Bound::Included(s) => Bound::Included(record_key(meta, s)),
        Bound::Excluded(s) => Bound::Excluded(record_key(meta, s)),
        Bound::Unbounded => Bound::Included(record_key(meta, start)),
    };
    let entries = store.scan(STREAM, range, Direction::Forward, limit).await?;
    let mut out = Vec::with_capacity(entries.len());
    let mut total = 0usize;
    for (k, v) in entries {
        let Some(seq) = key_sequence(&prefix, &k) else {
            continue;
        };
        if !out.is_empty() && total + v.len() > max_bytes {
            break;
        }
        total += v.len();
        let record = serde_json::from_slice(&v)
            .map_err(|e| StreamsError::Internal(format!("decode stream record: {e}")))?;
        out.push(Stored {
            seq,
            record,
            bytes: v.len(),
        });
    }
    Ok(out)
}

/// The newest record of the stream, if any.
pub(crate) async fn last(store: &dyn Store, stream: &Stream) -> Result<Option<Stored>> {
    let meta = &stream.meta;
    let prefix = stream_prefix(&meta.account, &meta.region, &meta.table_id);
    let mut range = Range::prefix(&prefix);
    range.start = Bound::Included(record_key(meta, stream.start()));
    let entries = store.scan(STREAM, range, Direction::Reverse, 1).await?;
    let Some((k, v)) = entries.into_iter().next() else {
        return Ok(None);
    };
    let Some(seq) = key_sequence(&prefix, &k) else {
        return Ok(None);
    };
    let record = serde_json::from_slice(&v)
        .map_err(|e| StreamsError::Internal(format!("decode stream record: {e}")))?;
    Ok(Some(Stored {
        seq,
        record,
        bytes: v.len(),
    }))
}

/// The record as GetRecords returns it: without the format version, with `userIdentity` in
/// the API's spelling (`Type`, `PrincipalId`).
pub(crate) fn api_record(mut record: Value) -> Value {
    if let Some(obj) = record.as_object_mut() {
        obj.remove("v");
        if let Some(Value::Object(id)) = obj.remove("userIdentity") {
            let mut out = Map::new();
            for (from, to) in [("type", "Type"), ("principalId", "PrincipalId")] {
                if let Some(v) = id.get(from).or_else(|| id.get(to)) {
                    out.insert(to.into(), v.clone());
                }
            }
            obj.insert("userIdentity".into(), Value::Object(out));
        }
    }
    record
}

/// The record as a Lambda event carries it: the stored shape (lower-case `userIdentity`
/// members) plus `eventSourceARN`, without the format version, and
/// `ApproximateCreationDateTime` as whole epoch seconds (`1479499740`, not `1479499740.0`).
pub(crate) fn event_record(mut record: Value, stream_arn: &str) -> Value {
    if let Some(obj) = record.as_object_mut() {
        obj.remove("v");
        obj.insert("eventSourceARN".into(), json!(stream_arn));
        if let Some(Value::Object(d)) = obj.get_mut("dynamodb")
            && let Some(t) = d.get_mut("ApproximateCreationDateTime")
            && let Some(secs) = t.as_f64()
            && secs >= 0.0
            && secs.fract() == 0.0
        {
            *t = json!(secs as u64);
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_api_record_uses_the_api_spelling() {
        let stored = json!({
            "v": 1, "eventName": "REMOVE",
            "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
        });
        let api = api_record(stored.clone());
        assert_eq!(
            api,
            json!({"eventName": "REMOVE", "userIdentity": {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}})
        );
        let ev = event_record(stored, "arn:x");
        assert_eq!(ev["userIdentity"]["principalId"], "dynamodb.amazonaws.com");
        let ev = event_record(
            json!({"v": 1, "dynamodb": {"ApproximateCreationDateTime": 1479499740.0}}),
            "arn:x",
        );
        assert_eq!(
            serde_json::to_string(&ev["dynamodb"]).unwrap(),
            r#"{"ApproximateCreationDateTime":1479499740}"#
        );
        assert_eq!(ev["eventSourceARN"], "arn:x");
        assert!(ev.get("v").is_none());
    }

    #[test]
    fn streams_key_sequence_reads_16_bytes_after_the_prefix() {
        let prefix = b"a\0b\0c\0".to_vec();
        let mut k = prefix.clone();
        k.extend_from_slice(&77u128.to_be_bytes());
        assert_eq!(key_sequence(&prefix, &k), Some(77));
        assert_eq!(key_sequence(&prefix, &prefix), None);
    }
}
