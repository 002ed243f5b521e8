//! The background sweeper: Time to Live deletes and the 24-hour trim of stream records.
//!
//! Every `config.ttl_sweep_interval` it walks the tables of every account and region in the
//! store (`ddb.tables`). For a table with TTL enabled it reads items and deletes those whose
//! TTL attribute is a Number of epoch seconds in the past — but not more than five years in
//! the past, which DynamoDB ignores, as it ignores values of any other type. Each delete goes
//! through the write path with the check repeated on the item as stored at that moment, so a
//! concurrent update that extended the expiry wins; its stream record (REMOVE) carries the
//! service identity `{"type": "Service", "principalId": "dynamodb.amazonaws.com"}`.
//!
//! Work per tick is bounded ([`Limits`]); a per-table cursor carries a long table over to the
//! next ticks. Several nodes sharing one store may all sweep: deletes are idempotent.

use crate::DynamoDb;
use crate::store::{ITEMS, STREAM, TABLES, item_prefix, stream_prefix};
use crate::streams::RETENTION_MS;
use crate::table::TableMeta;
use crate::value::{AttrValue, Item, decode_item};
use crate::write::{self, Mutation, Origin};
use lamina_storage::{Direction, Range, WriteBatch};
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// TTL values further back than this are never expired (five years).
const MAX_PAST_SECS: f64 = 5.0 * 365.25 * 86_400.0;
/// Entries read per store call.
const CHUNK: usize = 256;
/// How often stream records are trimmed (the retention is 24 hours; a minute late is fine).
const TRIM_EVERY: Duration = Duration::from_secs(60);
/// The shortest sweep interval accepted.
const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// Bounds of one tick.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Items deleted per tick, all tables together.
    pub deletes: usize,
    /// Items read per tick, all tables together.
    pub scanned: usize,
    /// Stream records trimmed per table per tick.
    pub trimmed: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deletes: 1000,
            scanned: 20_000,
            trimmed: 4 * CHUNK,
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub tables: usize,
    pub scanned: usize,
    pub deleted: usize,
    pub trimmed: usize,
}

/// The sweeper's memory between ticks (rebuildable: losing it only restarts the walks).
#[derive(Debug, Default)]
pub(crate) struct State {
    /// table_id → the last item key read, where the next tick continues.
    cursors: HashMap<String, Vec<u8>>,
    last_trim: Option<Instant>,
}

impl DynamoDb {
    /// Starts the TTL sweeper (and the stream trim) on the current Tokio runtime. It stops by
    /// itself once this `DynamoDb` is dropped; abort the handle to stop it sooner.
    pub fn start_background(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak: Weak<DynamoDb> = Arc::downgrade(self);
        let period = self.config.ttl_sweep_interval.max(MIN_INTERVAL);
        tokio::spawn(async move {
            let mut state = State::default();
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(db) = weak.upgrade() else {
                    return;
                };
                match sweep(&db, &mut state, Limits::default()).await {
                    Ok(s) if s.deleted > 0 || s.trimmed > 0 => {
                        tracing::debug!(
                            deleted = s.deleted,
                            trimmed = s.trimmed,
                            scanned = s.scanned,
                            "ttl sweep"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "ttl sweep failed"),
                }
            }
        })
    }
}

/// Whether `item` is expired at `now` (epoch seconds) under TTL attribute `attr`.
pub(crate) fn expired(item: &Item, attr: &str, now: f64) -> bool {
    match item.get(attr) {
        Some(AttrValue::N(n)) => {
            let t = n.to_f64();
            t.is_finite() && t < now && t >= now - MAX_PAST_SECS
        }
        _ => false,
    }
}

/// One tick: every table's stream trim (at most every [`TRIM_EVERY`]) and TTL deletes.
pub(crate) async fn sweep(
    db: &DynamoDb,
    state: &mut State,
    limits: Limits,
) -> crate::error::Result<Stats> {
    let mut stats = Stats::default();
    let trim = state.last_trim.is_none_or(|t| t.elapsed() >= TRIM_EVERY);
    if trim {
        state.last_trim = Some(Instant::now());
    }
    let mut range = Range::all();
    let mut seen = Vec::new();
    loop {
        let chunk = db
            .store
            .scan(TABLES, range.clone(), Direction::Forward, CHUNK)
            .await?;
        for (_, v) in &chunk {
            let Ok(meta) = serde_json::from_slice::<TableMeta>(v) else {
                continue;
            };
            stats.tables += 1;
            if trim {
                stats.trimmed += trim_stream(db, &meta, limits.trimmed).await?;
            }
            let Some(attr) = meta
                .ttl
                .as_ref()
                .filter(|t| t.enabled)
                .map(|t| t.attribute.clone())
            else {
                continue;
            };
            seen.push(meta.table_id.clone());
            if stats.deleted < limits.deletes && stats.scanned < limits.scanned {
                sweep_table(db, state, &meta, &attr, limits, &mut stats).await?;
            }
        }
        match chunk.last() {
            Some((k, _)) if chunk.len() == CHUNK => range.start = Bound::Excluded(k.clone()),
            _ => break,
        }
    }
    // Forget the cursors of tables that are gone or no longer expire items.
    state.cursors.retain(|id, _| seen.contains(id));
    Ok(stats)
}

/// Reads items of one table from its cursor and deletes the expired ones, within the tick's
/// remaining budget.
async fn sweep_table(
    db: &DynamoDb,
    state: &mut State,
    meta: &TableMeta,
    attr: &str,
    limits: Limits,
    stats: &mut Stats,
) -> crate::error::Result<()> {
    let prefix = item_prefix(&meta.account, &meta.region, &meta.table_id);
    let mut range = Range::prefix(&prefix);
    if let Some(k) = state.cursors.get(&meta.table_id) {
        range.start = Bound::Excluded(k.clone());
    }
    let now = lamina_core::now_epoch_seconds();
    loop {
        let room = limits.scanned.saturating_sub(stats.scanned).min(CHUNK);
        if room == 0 || stats.deleted >= limits.deletes {
            return Ok(());
        }
        let chunk = db
            .store
            .scan(ITEMS, range.clone(), Direction::Forward, room)
            .await?;
        for (k, v) in &chunk {
            stats.scanned += 1;
            state.cursors.insert(meta.table_id.clone(), k.clone());
            let Ok(item) = decode_item(v) else {
                tracing::warn!(table = %meta.name, "undecodable item skipped by the ttl sweeper");
                continue;
            };
            if expired(&item, attr, now) && expire(db, meta, attr, &item, now).await? {
                stats.deleted += 1;
                if stats.deleted >= limits.deletes {
                    return Ok(());
                }
            }
        }
        match chunk.last() {
            Some((k, _)) if chunk.len() == room => range.start = Bound::Excluded(k.clone()),
            _ => {
                // The end of the table: the next tick starts over.
                state.cursors.remove(&meta.table_id);
                return Ok(());
            }
        }
    }
}

/// Deletes the item read as `seen` if, as stored now, it is still expired. True when it
/// was deleted.
pub(crate) async fn expire(
    db: &DynamoDb,
    meta: &TableMeta,
    attr: &str,
    seen: &Item,
    now: f64,
) -> crate::error::Result<bool> {
    let key = write::key_schema(&meta.key).key_of(seen);
    let outcome = write::write_item(db.store.as_ref(), meta, &key, Origin::Ttl, |current| {
        Ok(match current {
            Some(item) if expired(item, attr, now) => Mutation::Delete,
            _ => Mutation::NoChange,
        })
    })
    .await?;
    Ok(outcome.changed)
}

/// Deletes up to `max` stream records of `meta` older than the retention. Returns how many.
async fn trim_stream(db: &DynamoDb, meta: &TableMeta, max: usize) -> crate::error::Result<usize> {
    let prefix = stream_prefix(&meta.account, &meta.region, &meta.table_id);
    let cutoff_ms = lamina_core::now_epoch_millis().saturating_sub(RETENTION_MS);
    let mut end = prefix.clone();
    end.extend_from_slice(&(u128::from(cutoff_ms) * 1_000_000).to_be_bytes());
    let range = Range {
        start: Bound::Included(prefix),
        end: Bound::Excluded(end),
    };
    let mut done = 0;
    while done < max {
        let chunk = db
            .store
            .scan(
                STREAM,
                range.clone(),
                Direction::Forward,
                CHUNK.min(max - done),
            )
            .await?;
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        let mut batch = WriteBatch::new();
        for (k, _) in chunk {
            batch.delete(STREAM, k);
        }
        db.store.commit(batch).await?;
        done += n;
    }
    Ok(done)
}

#[cfg(test)]
#[path = "ttl_tests.rs"]
mod tests;
