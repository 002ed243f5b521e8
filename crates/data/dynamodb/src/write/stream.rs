//! Stream records of the write path: the process-wide monotonic sequence and the record JSON
//! stored under `ddb.stream` (`"v": 1`), in the shape the Streams API returns in `Records`.

use super::Origin;
use crate::store::stream_prefix;
use crate::table::TableMeta;
use crate::value::{Item, item_size, item_to_json};
use serde_json::{Map, Value, json};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// The format version written into every stream record.
pub(crate) const FORMAT: u32 = 1;

/// The principal AWS names in `userIdentity` of records written by the TTL sweeper.
pub(crate) const TTL_PRINCIPAL: &str = "dynamodb.amazonaws.com";

static LAST_SEQUENCE: Mutex<u128> = Mutex::new(0);

/// The next stream sequence number: `max(now_µs × 1000, last + 1)`, so numbers grow strictly
/// within the process and keep growing across restarts (the clock moved on).
pub(crate) fn next_sequence() -> u128 {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or_default();
    // A poisoned lock only means another thread panicked while holding the plain integer;
    // the value itself is still a valid last sequence.
    let mut last = LAST_SEQUENCE.lock().unwrap_or_else(|e| e.into_inner());
    let next = micros.saturating_mul(1000).max(last.saturating_add(1));
    *last = next;
    next
}

/// A sequence number as AWS prints it: 21 decimal digits.
pub(crate) fn sequence_string(seq: u128) -> String {
    format!("{seq:021}")
}

/// The `ddb.stream` key of a record: the table's stream prefix + 16 big-endian bytes.
pub(crate) fn record_key(table: &TableMeta, seq: u128) -> Vec<u8> {
    let mut k = stream_prefix(&table.account, &table.region, &table.table_id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The stream record of one item change, or `None` when the change is no change.
pub(crate) fn record(
    table: &TableMeta,
    keys: &Item,
    old: Option<&Item>,
    new: Option<&Item>,
    origin: Origin,
    seq: u128,
) -> Option<Value> {
    let name = match (old, new) {
        (None, Some(_)) => "INSERT",
        (Some(_), Some(_)) => "MODIFY",
        (Some(_), None) => "REMOVE",
        (None, None) => return None,
    };
    let view = table
        .stream
        .view_type
        .as_deref()
        .unwrap_or("NEW_AND_OLD_IMAGES");
    let (with_new, with_old) = match view {
        "NEW_IMAGE" => (true, false),
        "OLD_IMAGE" => (false, true),
        "NEW_AND_OLD_IMAGES" => (true, true),
        _ => (false, false),
    };
    let mut size = item_size(keys);
    let mut d = Map::new();
    d.insert(
        "ApproximateCreationDateTime".into(),
        json!((lamina_core::now_epoch_seconds()).floor()),
    );
    d.insert("Keys".into(), item_to_json(keys));
    if let (true, Some(n)) = (with_new, new) {
        size += item_size(n);
        d.insert("NewImage".into(), item_to_json(n));
    }
    if let (true, Some(o)) = (with_old, old) {
        size += item_size(o);
        d.insert("OldImage".into(), item_to_json(o));
    }
    d.insert("SequenceNumber".into(), json!(sequence_string(seq)));
    d.insert("SizeBytes".into(), json!(size));
    d.insert("StreamViewType".into(), json!(view));
    let event_id: String = lamina_core::random_bytes::<16>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut r = Map::new();
    r.insert("v".into(), json!(FORMAT));
    r.insert("eventID".into(), json!(event_id));
    r.insert("eventName".into(), json!(name));
    r.insert("eventVersion".into(), json!("1.1"));
    r.insert("eventSource".into(), json!("aws:dynamodb"));
    r.insert("awsRegion".into(), json!(table.region));
    r.insert("dynamodb".into(), Value::Object(d));
    if origin == Origin::Ttl {
        r.insert(
            "userIdentity".into(),
            json!({"type": "Service", "principalId": TTL_PRINCIPAL}),
        );
    }
    Some(Value::Object(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_sequence_strictly_grows_and_prints_21_digits() {
        let mut last = next_sequence();
        for _ in 0..10_000 {
            let n = next_sequence();
            assert!(n > last, "{n} after {last}");
            last = n;
        }
        let s = sequence_string(last);
        assert_eq!(s.len(), 21, "{s}");
        assert!(s.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(sequence_string(7), "000000000000000000007");
    }

    #[test]
    fn write_sequence_keys_sort_like_numbers() {
        let t: TableMeta = serde_json::from_value(crate::write::tests::meta_json()).expect("meta");
        let (a, b) = (record_key(&t, 255), record_key(&t, 256));
        assert!(a < b);
        assert_eq!(a.len(), b.len());
    }
}
