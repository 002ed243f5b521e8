//! The persisted layout over the [`Store`].
//!
//! * `logs.groups`: `acct \0 region \0 group` → [`GroupRecord`] (JSON, `"v": 1`)
//! * `logs.streams`: `acct \0 region \0 group \0 stream` → [`StreamRecord`] (JSON, `"v": 1`)
//! * `logs.events`: `acct \0 region \0 group \0 stream \0` + timestamp (u64 BE) + sequence
//!   (u64 BE) → `0x01` + ingestion time (i64 BE) + the message (UTF-8)
//!
//! Group names never contain 0x00 (the model's pattern); stream names may in theory, so they
//! are escaped with [`key::escape`]. The sequence number orders events of equal timestamp in
//! ingestion order and makes every key unique: it is the ingestion time in nanoseconds,
//! forced strictly increasing within the process.

use crate::error::{LogsError, Result};
use crate::types::Tags;
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch, key};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

pub const GROUPS: &str = "logs.groups";
pub const STREAMS: &str = "logs.streams";
pub const EVENTS: &str = "logs.events";
pub const FORMAT: u32 = 1;
const EVENT_FORMAT: u8 = 1;
/// Retries of a read-modify-write that lost a race.
const RETRIES: usize = 64;

/// Account and region of a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    /// The group's `arn` as DescribeLogGroups shows it (with the trailing `:*`).
    pub fn group_arn(&self, group: &str) -> String {
        format!("{}:*", self.log_group_arn(group))
    }
    /// `logGroupArn`: the ARN without `:*`, the form tagging APIs take.
    pub fn log_group_arn(&self, group: &str) -> String {
        lamina_core::arn(
            "logs",
            &self.region,
            &self.account,
            &format!("log-group:{group}"),
        )
    }
    pub fn stream_arn(&self, group: &str, stream: &str) -> String {
        format!("{}:log-stream:{stream}", self.log_group_arn(group))
    }
    pub fn group_key(&self, group: &str) -> Vec<u8> {
        key::join(&[
            self.account.as_bytes(),
            self.region.as_bytes(),
            group.as_bytes(),
        ])
    }
    /// Every group of the account and region.
    pub fn groups_prefix(&self) -> Vec<u8> {
        key::prefix(&[self.account.as_bytes(), self.region.as_bytes()])
    }
    pub fn stream_key(&self, group: &str, stream: &str) -> Vec<u8> {
        key::join(&[
            self.account.as_bytes(),
            self.region.as_bytes(),
            group.as_bytes(),
            &key::escape(stream.as_bytes()),
        ])
    }
    /// Every stream (or every event, in `logs.events`) of a group.
    pub fn group_prefix(&self, group: &str) -> Vec<u8> {
        key::prefix(&[
            self.account.as_bytes(),
            self.region.as_bytes(),
            group.as_bytes(),
        ])
    }
    /// Every event of a stream.
    pub fn events_prefix(&self, group: &str, stream: &str) -> Vec<u8> {
        let mut k = self.stream_key(group, stream);
        k.push(0);
        k
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupRecord {
    pub v: u32,
    pub name: String,
    pub creation_time: i64,
    pub retention_in_days: Option<i32>,
    pub kms_key_id: Option<String>,
    pub log_group_class: String,
    pub deletion_protection: bool,
    pub tags: Tags,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StreamRecord {
    pub v: u32,
    pub name: String,
    pub creation_time: i64,
    pub first_event_timestamp: Option<i64>,
    pub last_event_timestamp: Option<i64>,
    pub last_ingestion_time: Option<i64>,
    pub stored_bytes: u64,
}

impl StreamRecord {
    pub fn new(name: &str, now: i64) -> Self {
        Self {
            v: FORMAT,
            name: name.to_string(),
            creation_time: now,
            first_event_timestamp: None,
            last_event_timestamp: None,
            last_ingestion_time: None,
            stored_bytes: 0,
        }
    }
}

impl GroupRecord {
    pub fn new(name: &str, now: i64) -> Self {
        Self {
            v: FORMAT,
            name: name.to_string(),
            creation_time: now,
            retention_in_days: None,
            kms_key_id: None,
            log_group_class: "STANDARD".into(),
            deletion_protection: false,
            tags: Tags::new(),
        }
    }
}

pub fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| LogsError::Internal(format!("encode record: {e}")))
}

pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| LogsError::Internal(format!("decode record: {e}")))
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub timestamp: i64,
    pub seq: u64,
    pub ingestion_time: i64,
    pub message: String,
}

pub fn event_key(prefix: &[u8], timestamp: i64, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 16);
    k.extend_from_slice(prefix);
    k.extend_from_slice(&(timestamp.max(0) as u64).to_be_bytes());
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub fn event_value(ingestion_time: i64, message: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(9 + message.len());
    v.push(EVENT_FORMAT);
    v.extend_from_slice(&ingestion_time.to_be_bytes());
    v.extend_from_slice(message.as_bytes());
    v
}

/// Decodes an entry of `logs.events` whose key starts with `prefix`.
pub fn decode_event(prefix_len: usize, k: &[u8], v: &[u8]) -> Result<StoredEvent> {
    let bad = || LogsError::Internal("corrupt log event".into());
    let tail = k.get(prefix_len..).ok_or_else(bad)?;
    let ts: [u8; 8] = tail
        .get(..8)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    let seq: [u8; 8] = tail
        .get(8..16)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    if v.first() != Some(&EVENT_FORMAT) {
        return Err(bad());
    }
    let ing: [u8; 8] = v.get(1..9).ok_or_else(bad)?.try_into().map_err(|_| bad())?;
    let message = String::from_utf8_lossy(v.get(9..).ok_or_else(bad)?).into_owned();
    Ok(StoredEvent {
        timestamp: u64::from_be_bytes(ts) as i64,
        seq: u64::from_be_bytes(seq),
        ingestion_time: i64::from_be_bytes(ing),
        message,
    })
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A strictly increasing sequence number (ingestion time in nanoseconds where possible).
pub fn next_seq() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let mut cur = SEQ.load(Ordering::Relaxed);
    loop {
        let next = now.max(cur + 1);
        match SEQ.compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(actual) => cur = actual,
        }
    }
}

pub fn now_millis() -> i64 {
    lamina_core::now_epoch_millis() as i64
}

pub async fn get_group(store: &dyn Store, s: &Scope, group: &str) -> Result<Option<GroupRecord>> {
    match store.get(GROUPS, &s.group_key(group)).await? {
        Some(b) => Ok(Some(decode(&b)?)),
        None => Ok(None),
    }
}

pub async fn require_group(store: &dyn Store, s: &Scope, group: &str) -> Result<GroupRecord> {
    get_group(store, s, group)
        .await?
        .ok_or(LogsError::GroupNotFound)
}

pub async fn get_stream(
    store: &dyn Store,
    s: &Scope,
    group: &str,
    stream: &str,
) -> Result<Option<StreamRecord>> {
    match store.get(STREAMS, &s.stream_key(group, stream)).await? {
        Some(b) => Ok(Some(decode(&b)?)),
        None => Ok(None),
    }
}

/// All streams of a group, in name order.
pub async fn list_streams(store: &dyn Store, s: &Scope, group: &str) -> Result<Vec<StreamRecord>> {
    let entries = store
        .scan(
            STREAMS,
            Range::prefix(&s.group_prefix(group)),
            Direction::Forward,
            0,
        )
        .await?;
    entries.iter().map(|(_, v)| decode(v)).collect()
}

/// Read-modify-write of a group record with compare-and-set, retried on conflict.
pub async fn update_group<F>(
    store: &dyn Store,
    s: &Scope,
    group: &str,
    mut f: F,
) -> Result<GroupRecord>
where
    F: FnMut(&mut GroupRecord) -> Result<()>,
{
    let k = s.group_key(group);
    for _ in 0..RETRIES {
        let old = store
            .get(GROUPS, &k)
            .await?
            .ok_or(LogsError::GroupNotFound)?;
        let mut rec: GroupRecord = decode(&old)?;
        f(&mut rec)?;
        let mut b = WriteBatch::new();
        b.require(GROUPS, k.clone(), Some(old))
            .put(GROUPS, k.clone(), encode(&rec)?);
        match store.commit(b).await {
            Ok(()) => return Ok(rec),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(LogsError::Internal(
        "too many concurrent updates of a log group".into(),
    ))
}

/// Appends events (already checked) to a stream in one atomic batch with the stream's
/// updated metadata. With `create`, a missing group and stream are created in the same batch
/// (Lambda's path); otherwise they must exist.
pub async fn append(
    store: &dyn Store,
    s: &Scope,
    group: &str,
    stream: &str,
    events: &[(i64, &str)],
    create: bool,
) -> Result<()> {
    if events.is_empty() && !create {
        return Ok(());
    }
    let gk = s.group_key(group);
    let sk = s.stream_key(group, stream);
    let prefix = s.events_prefix(group, stream);
    for _ in 0..RETRIES {
        let now = now_millis();
        let mut b = WriteBatch::new();
        match store.get(GROUPS, &gk).await? {
            Some(_) => {
                b.require_exists(GROUPS, gk.clone());
            }
            None if create => {
                b.require_absent(GROUPS, gk.clone()).put(
                    GROUPS,
                    gk.clone(),
                    encode(&GroupRecord::new(group, now))?,
                );
            }
            None => return Err(LogsError::GroupNotFound),
        }
        let old = store.get(STREAMS, &sk).await?;
        let mut rec = match &old {
            Some(bytes) => decode::<StreamRecord>(bytes)?,
            None if create => StreamRecord::new(stream, now),
            None => return Err(LogsError::StreamNotFound),
        };
        for (ts, msg) in events {
            let ts = (*ts).max(0);
            b.put(
                EVENTS,
                event_key(&prefix, ts, next_seq()),
                event_value(now, msg),
            );
            rec.first_event_timestamp = Some(rec.first_event_timestamp.map_or(ts, |f| f.min(ts)));
            rec.last_event_timestamp = Some(rec.last_event_timestamp.map_or(ts, |l| l.max(ts)));
            rec.stored_bytes += msg.len() as u64;
        }
        if !events.is_empty() {
            rec.last_ingestion_time = Some(now);
        }
        b.require(STREAMS, sk.clone(), old)
            .put(STREAMS, sk.clone(), encode(&rec)?);
        match store.commit(b).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(LogsError::Internal(
        "too many concurrent writes to a log stream".into(),
    ))
}

/// Deletes every key of `tree` under `prefix`, in chunks (not atomic as a whole).
pub async fn delete_prefix(store: &dyn Store, tree: &str, prefix: &[u8]) -> Result<u64> {
    let mut n = 0;
    loop {
        let entries = store
            .scan(tree, Range::prefix(prefix), Direction::Forward, 1000)
            .await?;
        if entries.is_empty() {
            return Ok(n);
        }
        let mut b = WriteBatch::new();
        for (k, _) in &entries {
            b.delete(tree, k.clone());
        }
        n += entries.len() as u64;
        store.commit(b).await?;
    }
}
