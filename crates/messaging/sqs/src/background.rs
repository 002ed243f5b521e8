//! The background task: advances message move tasks every `sweep_interval`, and every
//! `retention_interval` (default 60 s: the pass reads every message) deletes messages past
//! their queue's retention period, expired FIFO deduplication and receive-attempt records and
//! old deleted-queue tombstones.

use crate::error::Result;
use crate::store::{
    self, ATTEMPTS, AttemptRecord, DEDUP, DELETED, DedupRecord, DeletedRecord, decode,
};
use crate::{Sqs, now_ms};
use lamina_storage::{Direction, Range, WriteBatch};
use std::sync::{Arc, Weak};
use std::time::Duration;

const MIN_INTERVAL: Duration = Duration::from_millis(50);
const CHUNK: usize = 500;

impl Sqs {
    /// Starts the sweeper; it stops when the `Sqs` is dropped or the handle aborted.
    pub fn start_background(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak: Weak<Sqs> = Arc::downgrade(self);
        let period = self.config.sweep_interval.max(MIN_INTERVAL);
        let retention_every = self.config.retention_interval.max(MIN_INTERVAL);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_sweep: Option<tokio::time::Instant> = None;
            loop {
                tick.tick().await;
                let Some(sqs) = weak.upgrade() else {
                    return;
                };
                if last_sweep.is_none_or(|t| t.elapsed() >= retention_every) {
                    last_sweep = Some(tokio::time::Instant::now());
                    match sweep(&sqs).await {
                        Ok(n) if n > 0 => tracing::debug!(expired = n, "sqs retention sweep"),
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "sqs retention sweep failed"),
                    }
                }
                let secs = period.as_secs_f64().ceil() as u64;
                if let Err(e) = crate::ops::moves::run_tasks(&sqs, secs).await {
                    tracing::warn!(error = %e, "sqs message move task failed");
                }
            }
        })
    }
}

/// One pass: returns how many messages expired.
pub(crate) async fn sweep(sqs: &Sqs) -> Result<u64> {
    let now = now_ms();
    let mut expired = 0;
    for (scope, q) in sqs.table.all_queues().await? {
        let retention = q.num("MessageRetentionPeriod", 345_600) * 1000;
        let mut b = WriteBatch::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = sqs
                .table
                .messages_after(&scope, &q.id, after.as_deref(), CHUNK)
                .await?;
            let full = page.len() == CHUNK;
            for m in &page {
                if m.rec.sent + retention <= now {
                    store::delete_message(&mut b, &scope, &q.id, m);
                    expired += 1;
                    if b.ops.len() >= CHUNK {
                        commit_quietly(sqs, std::mem::take(&mut b)).await?;
                    }
                }
            }
            after = page.last().map(|m| m.key.clone());
            if !full {
                break;
            }
        }
        commit_quietly(sqs, b).await?;
        if q.fifo() {
            let prefix = store::messages_prefix(&scope, &q.id);
            drop_where(sqs, DEDUP, &prefix, |raw| {
                Ok(decode::<DedupRecord>(raw)?.expires <= now)
            })
            .await?;
            drop_where(sqs, ATTEMPTS, &prefix, |raw| {
                Ok(decode::<AttemptRecord>(raw)?.expires <= now)
            })
            .await?;
        }
    }
    drop_where(sqs, DELETED, &[], |raw| {
        Ok(
            decode::<DeletedRecord>(raw)?.deleted_at + crate::ops::queues::DELETED_RECENTLY_MS
                <= now,
        )
    })
    .await?;
    Ok(expired)
}

/// Deletes the records under `prefix` of `tree` for which `stale` holds, each guarded by
/// "unchanged since read".
async fn drop_where<F>(sqs: &Sqs, tree: &str, prefix: &[u8], stale: F) -> Result<()>
where
    F: Fn(&[u8]) -> Result<bool>,
{
    let range = if prefix.is_empty() {
        Range::all()
    } else {
        Range::prefix(prefix)
    };
    let entries = sqs
        .table
        .store
        .scan(tree, range, Direction::Forward, 0)
        .await?;
    let mut b = WriteBatch::new();
    for (k, raw) in entries {
        if stale(&raw)? {
            b.require_equals(tree, k.clone(), raw);
            b.delete(tree, k);
            if b.ops.len() >= CHUNK {
                commit_quietly(sqs, std::mem::take(&mut b)).await?;
            }
        }
    }
    commit_quietly(sqs, b).await
}

/// Commits a sweep batch; a conflict (a consumer touched a message meanwhile) just leaves
/// the work for the next pass.
async fn commit_quietly(sqs: &Sqs, b: WriteBatch) -> Result<()> {
    if b.is_empty() {
        return Ok(());
    }
    match sqs.table.commit(b).await {
        Err(e) if e.is_conflict() => Ok(()),
        other => other,
    }
}
