//! The typed tables over the [`Store`].
//!
//! Trees (every key starts with `account \0 region \0`; names never contain 0x00):
//! * `sqs.queues`: `... name` → [`QueueRecord`] (attributes, tags, the queue's random id).
//! * `sqs.messages`: `... qid \0 available-at (u64 BE ms) seq (u64 BE)` → [`MessageRecord`].
//!   For a standard queue `available-at` is the time the message becomes visible (after a
//!   delay or a visibility timeout), so ReceiveMessage is a range scan from the start up to
//!   now; a receive moves the message to its new deadline. FIFO queues keep `available-at`
//!   at 0 so the tree is in send order (ordering per group needs that); their records carry
//!   the deadline.
//! * `sqs.index`: `... qid \0 message-id` → the 16-byte suffix of the message's current key,
//!   so a receipt handle (which names the message id) finds the message.
//! * `sqs.dedup`: `... qid \0 [group \0] dedup-id` → [`DedupRecord`] (FIFO, 5 minutes).
//! * `sqs.tasks`: `... source-name \0 started (u64 BE ms) task-id` → [`TaskRecord`].
//! * `sqs.attempts`: `... qid \0 attempt-id` → [`AttemptRecord`]: what a FIFO ReceiveMessage
//!   with a ReceiveRequestAttemptId returned, so a retry returns it again (5 minutes).
//! * `sqs.deleted`: `... name` → [`DeletedRecord`]: when a queue was deleted, so a create of
//!   the same name within 60 seconds fails with QueueDeletedRecently, as on AWS.
//!
//! Messages are keyed by the queue's random id, not its name, so a queue deleted and
//! recreated under the same name never sees the old queue's messages. Every value is JSON
//! with a format version `"v": 1`.

use crate::error::{Result, SqsError};
use crate::types::{Attrs, MessageAttrs};
use lamina_storage::{Direction, Range, Store, WriteBatch, key};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

pub const QUEUES: &str = "sqs.queues";
pub const MESSAGES: &str = "sqs.messages";
pub const INDEX: &str = "sqs.index";
pub const DEDUP: &str = "sqs.dedup";
pub const TASKS: &str = "sqs.tasks";
pub const ATTEMPTS: &str = "sqs.attempts";
pub const DELETED: &str = "sqs.deleted";
pub const FORMAT: u32 = 1;

/// Account and region of a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn arn(&self, name: &str) -> String {
        lamina_core::arn("sqs", &self.region, &self.account, name)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QueueRecord {
    pub v: u32,
    pub name: String,
    /// Random id that keys the queue's messages.
    pub id: String,
    /// Epoch seconds.
    pub created: i64,
    pub modified: i64,
    /// The settable attributes, defaults filled in.
    pub attributes: Attrs,
    pub tags: Attrs,
    /// When the last PurgeQueue ran (epoch ms).
    pub purged_at: Option<u64>,
}

impl QueueRecord {
    pub fn fifo(&self) -> bool {
        self.name.ends_with(".fifo")
    }
    pub fn num(&self, name: &str, default: u64) -> u64 {
        self.attributes
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }
    pub fn flag(&self, name: &str) -> bool {
        self.attributes.get(name).map(String::as_str) == Some("true")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MessageRecord {
    pub v: u32,
    pub id: String,
    pub body: String,
    pub attributes: MessageAttrs,
    pub system: MessageAttrs,
    pub md5_body: String,
    pub md5_attributes: Option<String>,
    pub md5_system: Option<String>,
    /// Epoch ms of the original send.
    pub sent: u64,
    pub first_receive: Option<u64>,
    pub receive_count: u64,
    /// Id of the latest receive (part of the receipt handle).
    pub receive_id: Option<String>,
    /// Epoch ms when the message is (again) visible.
    pub visible_at: u64,
    pub group: Option<String>,
    pub dedup: Option<String>,
    pub sequence: Option<String>,
    pub sender: String,
    /// `DeadLetterQueueSourceArn` once moved to a dead-letter queue.
    pub dlq_source: Option<String>,
    /// Send order within the queue (part of the key).
    pub seq: u64,
}

impl MessageRecord {
    pub fn in_flight(&self, now: u64) -> bool {
        self.receive_id.is_some() && self.visible_at > now
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DedupRecord {
    pub v: u32,
    pub message_id: String,
    pub sequence: Option<String>,
    pub expires: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskRecord {
    pub v: u32,
    pub id: String,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub rate: Option<u64>,
    /// RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED.
    pub status: String,
    pub moved: u64,
    pub to_move: u64,
    /// Epoch ms; only messages that reached the DLQ before this are moved.
    pub started: u64,
    pub failure: Option<String>,
}

/// One message a receive with a ReceiveRequestAttemptId handed out.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttemptMessage {
    pub message_id: String,
    /// The receive id in the receipt handle it got.
    pub receive_id: String,
    /// The visibility deadline that receive (or its latest retry) set: a different one
    /// means ChangeMessageVisibility touched the message since.
    pub visible_at: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttemptRecord {
    pub v: u32,
    /// Epoch ms after which the attempt id no longer replays (5 minutes after the receive).
    pub expires: u64,
    /// In the order the receive returned them.
    pub messages: Vec<AttemptMessage>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeletedRecord {
    pub v: u32,
    /// Epoch ms of the DeleteQueue.
    pub deleted_at: u64,
}

pub fn attempt_key(s: &Scope, qid: &str, attempt: &str) -> Vec<u8> {
    key::join(&[s.account.as_str(), s.region.as_str(), qid, attempt])
}

pub fn queue_key(s: &Scope, name: &str) -> Vec<u8> {
    key::join(&[s.account.as_str(), s.region.as_str(), name])
}

pub fn scope_prefix(s: &Scope) -> Vec<u8> {
    key::prefix(&[s.account.as_str(), s.region.as_str()])
}

pub fn messages_prefix(s: &Scope, qid: &str) -> Vec<u8> {
    key::prefix(&[s.account.as_str(), s.region.as_str(), qid])
}

pub fn message_key(s: &Scope, qid: &str, available: u64, seq: u64) -> Vec<u8> {
    let mut k = messages_prefix(s, qid);
    k.extend_from_slice(&available.to_be_bytes());
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub fn index_key(s: &Scope, qid: &str, message_id: &str) -> Vec<u8> {
    key::join(&[s.account.as_str(), s.region.as_str(), qid, message_id])
}

pub fn dedup_key(s: &Scope, qid: &str, group: Option<&str>, id: &str) -> Vec<u8> {
    match group {
        Some(g) => key::join(&[s.account.as_str(), s.region.as_str(), qid, g, id]),
        None => key::join(&[s.account.as_str(), s.region.as_str(), qid, "", id]),
    }
}

pub fn task_key(s: &Scope, source: &str, started: u64, id: &str) -> Vec<u8> {
    let mut k = key::prefix(&[s.account.as_str(), s.region.as_str(), source]);
    k.extend_from_slice(&started.to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
}

pub fn tasks_prefix(s: &Scope, source: &str) -> Vec<u8> {
    key::prefix(&[s.account.as_str(), s.region.as_str(), source])
}

/// The 16-byte `available-at seq` suffix of a message key.
pub fn suffix(available: u64, seq: u64) -> Vec<u8> {
    let mut v = available.to_be_bytes().to_vec();
    v.extend_from_slice(&seq.to_be_bytes());
    v
}

/// Splits a 16-byte suffix back into `(available-at, seq)`.
pub fn parse_suffix(b: &[u8]) -> Option<(u64, u64)> {
    let a: [u8; 8] = b.get(..8)?.try_into().ok()?;
    let s: [u8; 8] = b.get(8..16)?.try_into().ok()?;
    Some((u64::from_be_bytes(a), u64::from_be_bytes(s)))
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| SqsError::Internal(format!("encode record: {e}")))
}

pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let probe: Version = serde_json::from_slice(bytes)
        .map_err(|e| SqsError::Internal(format!("decode record: {e}")))?;
    if probe.v != FORMAT {
        return Err(SqsError::Internal(format!(
            "unknown record format {}",
            probe.v
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| SqsError::Internal(format!("decode record: {e}")))
}

/// A record as read, with its key and raw bytes for compare-and-set.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    pub key: Vec<u8>,
    pub raw: Vec<u8>,
    pub rec: T,
}

/// Typed access to the trees.
#[derive(Clone)]
pub struct Table {
    pub store: Arc<dyn Store>,
}

impl Table {
    pub async fn queue(&self, s: &Scope, name: &str) -> Result<Option<Loaded<QueueRecord>>> {
        let key = queue_key(s, name);
        Ok(match self.store.get(QUEUES, &key).await? {
            Some(raw) => Some(Loaded {
                rec: decode(&raw)?,
                key,
                raw,
            }),
            None => None,
        })
    }

    /// Every queue of the scope whose name starts with `prefix`, in name order.
    pub async fn queues(&self, s: &Scope, prefix: &str) -> Result<Vec<QueueRecord>> {
        let mut p = scope_prefix(s);
        p.extend_from_slice(prefix.as_bytes());
        let entries = self
            .store
            .scan(QUEUES, Range::prefix(&p), Direction::Forward, 0)
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    /// Every queue of every scope (background work).
    pub async fn all_queues(&self) -> Result<Vec<(Scope, QueueRecord)>> {
        let entries = self
            .store
            .scan(QUEUES, Range::all(), Direction::Forward, 0)
            .await?;
        let mut out = Vec::new();
        for (k, v) in entries {
            let mut parts = k.split(|b| *b == 0);
            let (Some(a), Some(r)) = (parts.next(), parts.next()) else {
                continue;
            };
            let scope = Scope {
                account: String::from_utf8_lossy(a).into_owned(),
                region: String::from_utf8_lossy(r).into_owned(),
            };
            out.push((scope, decode(&v)?));
        }
        Ok(out)
    }

    /// Messages of a queue in key order, up to `limit` (0: all); with `until`, only those
    /// whose key's available-at is at most `until`.
    pub async fn messages(
        &self,
        s: &Scope,
        qid: &str,
        until: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Loaded<MessageRecord>>> {
        let prefix = messages_prefix(s, qid);
        let range = match until {
            Some(t) => Range::between(&prefix, &message_key(s, qid, t.saturating_add(1), 0)),
            None => Range::prefix(&prefix),
        };
        let entries = self
            .store
            .scan(MESSAGES, range, Direction::Forward, limit)
            .await?;
        entries
            .into_iter()
            .map(|(key, raw)| {
                Ok(Loaded {
                    rec: decode(&raw)?,
                    key,
                    raw,
                })
            })
            .collect()
    }

    /// Up to `limit` messages of the queue in key order, starting after `after` (a key
    /// returned before) — for passes over a whole queue that must not hold it in memory.
    pub async fn messages_after(
        &self,
        s: &Scope,
        qid: &str,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Loaded<MessageRecord>>> {
        let mut range = Range::prefix(&messages_prefix(s, qid));
        if let Some(k) = after {
            range.start = std::ops::Bound::Excluded(k.to_vec());
        }
        let entries = self
            .store
            .scan(MESSAGES, range, Direction::Forward, limit)
            .await?;
        entries
            .into_iter()
            .map(|(key, raw)| {
                Ok(Loaded {
                    rec: decode(&raw)?,
                    key,
                    raw,
                })
            })
            .collect()
    }

    /// The message with this id, wherever its key is now.
    pub async fn message(
        &self,
        s: &Scope,
        qid: &str,
        message_id: &str,
    ) -> Result<Option<Loaded<MessageRecord>>> {
        let Some(sfx) = self
            .store
            .get(INDEX, &index_key(s, qid, message_id))
            .await?
        else {
            return Ok(None);
        };
        let Some((avail, seq)) = parse_suffix(&sfx) else {
            return Err(SqsError::Internal("bad index entry".into()));
        };
        let key = message_key(s, qid, avail, seq);
        Ok(match self.store.get(MESSAGES, &key).await? {
            Some(raw) => Some(Loaded {
                rec: decode(&raw)?,
                key,
                raw,
            }),
            None => None,
        })
    }

    pub async fn commit(&self, batch: WriteBatch) -> Result<()> {
        Ok(self.store.commit(batch).await?)
    }
}

/// Adds the writes that store `rec` in queue `qid` at `available` (and its index entry).
pub fn put_message(
    b: &mut WriteBatch,
    s: &Scope,
    qid: &str,
    available: u64,
    rec: &MessageRecord,
) -> Result<Vec<u8>> {
    let key = message_key(s, qid, available, rec.seq);
    b.require_absent(MESSAGES, key.clone());
    b.put(MESSAGES, key.clone(), encode(rec)?);
    b.put(
        INDEX,
        index_key(s, qid, &rec.id),
        suffix(available, rec.seq),
    );
    Ok(key)
}

/// Adds the writes that remove a loaded message (and its index entry), guarded by "unchanged".
pub fn delete_message(b: &mut WriteBatch, s: &Scope, qid: &str, m: &Loaded<MessageRecord>) {
    b.require_equals(MESSAGES, m.key.clone(), m.raw.clone());
    b.delete(MESSAGES, m.key.clone());
    b.delete(INDEX, index_key(s, qid, &m.rec.id));
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUEUE_V1: &str = r#"{"v":1,"name":"q","id":"abc","created":1,"modified":2,"attributes":{"VisibilityTimeout":"30"},"tags":{},"purged_at":null}"#;

    #[test]
    fn frozen_v1_queue_decodes() {
        let q: QueueRecord = decode(QUEUE_V1.as_bytes()).unwrap();
        assert_eq!(q.num("VisibilityTimeout", 0), 30);
        assert!(!q.fifo());
        assert!(decode::<QueueRecord>(br#"{"v":7}"#).is_err());
    }

    #[test]
    fn frozen_v1_attempt_and_deleted_records_decode() {
        let a: AttemptRecord = decode(
            br#"{"v":1,"expires":9,"messages":[{"message_id":"m","receive_id":"r","visible_at":7}]}"#,
        )
        .unwrap();
        assert_eq!(a.messages[0].visible_at, 7);
        let d: DeletedRecord = decode(br#"{"v":1,"deleted_at":5}"#).unwrap();
        assert_eq!(d.deleted_at, 5);
    }

    #[test]
    fn message_keys_sort_by_time_then_seq() {
        let s = Scope {
            account: "1".into(),
            region: "r".into(),
        };
        assert!(message_key(&s, "q", 5, 9) < message_key(&s, "q", 6, 0));
        assert!(message_key(&s, "q", 5, 1) < message_key(&s, "q", 5, 2));
        assert!(message_key(&s, "q", u64::MAX, 1).starts_with(&messages_prefix(&s, "q")));
        assert_eq!(parse_suffix(&suffix(7, 8)), Some((7, 8)));
    }
}
