//! The shared state of CloudWatch Logs: the store, the configuration, the buffer behind the
//! [`LogSink`] that Lambda sandboxes write to, and the retention sweeper.

use crate::error::{LogsError, Result};
use crate::store::{self, EVENTS, GROUPS, GroupRecord, STREAMS, Scope, StreamRecord};
use lamina_bus::{LogEvent, LogSink, LogStreamRef};
use lamina_core::BoxFuture;
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::Notify;

/// Settings of the logs service.
#[derive(Debug, Clone)]
pub struct LogsConfig {
    /// How often the retention sweeper runs (it also runs right after PutRetentionPolicy).
    pub sweep_interval: Duration,
    /// How long sink events may wait in the buffer before they are written.
    pub flush_delay: Duration,
    /// Buffered bytes at which the sink writes at once (and the writer waits for it).
    pub flush_bytes: usize,
}

impl Default for LogsConfig {
    fn default() -> Self {
        Self {
            sweep_interval: Duration::from_secs(60),
            flush_delay: Duration::from_millis(200),
            flush_bytes: 256 * 1024,
        }
    }
}

#[derive(Default)]
struct Buffer {
    streams: HashMap<LogStreamRef, Vec<LogEvent>>,
    bytes: usize,
    scheduled: bool,
}

/// CloudWatch Logs state: shared by [`crate::LogsService`] and, as a [`LogSink`], by Lambda.
pub struct Logs {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: LogsConfig,
    buffer: Mutex<Buffer>,
    sweep_now: Notify,
    me: Weak<Logs>,
}

impl Logs {
    pub fn new(store: Arc<dyn Store>, config: LogsConfig) -> Arc<Self> {
        Arc::new_cyclic(|me| Logs {
            store,
            config,
            buffer: Mutex::new(Buffer::default()),
            sweep_now: Notify::new(),
            me: me.clone(),
        })
    }

    fn take_buffer(&self) -> HashMap<LogStreamRef, Vec<LogEvent>> {
        // A poisoned lock only means another writer panicked mid-push; the map is still usable.
        let mut b = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        b.bytes = 0;
        b.scheduled = false;
        std::mem::take(&mut b.streams)
    }

    /// Writes every buffered sink event now (call on shutdown).
    pub async fn flush(&self) -> Result<()> {
        let pending = self.take_buffer();
        let mut first_err = None;
        for (r, mut events) in pending {
            events.sort_by_key(|e| e.timestamp);
            let scope = Scope {
                account: r.account_id.clone(),
                region: r.region.clone(),
            };
            for chunk in events.chunks(crate::ops::events::MAX_BATCH_EVENTS) {
                let items: Vec<(i64, &str)> = chunk
                    .iter()
                    .map(|e| (e.timestamp, e.message.as_str()))
                    .collect();
                if let Err(e) = store::append(
                    self.store.as_ref(),
                    &scope,
                    &r.group,
                    &r.stream,
                    &items,
                    true,
                )
                .await
                {
                    tracing::warn!(group = %r.group, stream = %r.stream, error = %e, "log events dropped");
                    first_err.get_or_insert(e);
                }
            }
        }
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Wakes the retention sweeper (after a retention change).
    pub(crate) fn kick_sweeper(&self) {
        self.sweep_now.notify_one();
    }

    /// Starts the retention sweeper: every `sweep_interval`, and right after each
    /// PutRetentionPolicy, it deletes events older than their group's retention.
    pub fn start_retention(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = Arc::downgrade(self);
        let interval = self.config.sweep_interval;
        tokio::spawn(async move {
            loop {
                let Some(logs) = me.upgrade() else { return };
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = logs.sweep_now.notified() => {}
                }
                match logs.sweep_once().await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(deleted = n, "retention sweep"),
                    Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
                }
            }
        })
    }

    /// One pass of the retention sweeper over every account and region; returns how many
    /// events it deleted.
    pub async fn sweep_once(&self) -> Result<u64> {
        let store = self.store.as_ref();
        let groups = store
            .scan(GROUPS, Range::all(), Direction::Forward, 0)
            .await?;
        let now = store::now_millis();
        let mut deleted = 0;
        for (k, v) in groups {
            let g: GroupRecord = store::decode(&v)?;
            let Some(days) = g.retention_in_days else {
                continue;
            };
            // key = acct \0 region \0 group
            let mut parts = k.splitn(3, |b| *b == 0);
            let (Some(a), Some(r)) = (parts.next(), parts.next()) else {
                continue;
            };
            let scope = Scope {
                account: String::from_utf8_lossy(a).into_owned(),
                region: String::from_utf8_lossy(r).into_owned(),
            };
            let cutoff = now - i64::from(days) * 86_400_000;
            for s in store::list_streams(store, &scope, &g.name).await? {
                deleted += self.expire_stream(&scope, &g.name, &s.name, cutoff).await?;
            }
        }
        Ok(deleted)
    }

    async fn expire_stream(
        &self,
        s: &Scope,
        group: &str,
        stream: &str,
        cutoff: i64,
    ) -> Result<u64> {
        let store = self.store.as_ref();
        let prefix = s.events_prefix(group, stream);
        let end = store::event_key(&prefix, cutoff, 0);
        let mut total = 0u64;
        loop {
            let old = store
                .scan(
                    EVENTS,
                    Range::between(&prefix, &end),
                    Direction::Forward,
                    1000,
                )
                .await?;
            if old.is_empty() {
                break;
            }
            let mut bytes = 0u64;
            let mut b = WriteBatch::new();
            for (k, v) in &old {
                bytes += v.len().saturating_sub(9) as u64;
                b.delete(EVENTS, k.clone());
            }
            store.commit(b).await?;
            total += old.len() as u64;
            self.shrink_stream(s, group, stream, bytes).await?;
        }
        Ok(total)
    }

    /// After expiry: fewer stored bytes, and the first event is the oldest one left.
    async fn shrink_stream(&self, s: &Scope, group: &str, stream: &str, bytes: u64) -> Result<()> {
        let store = self.store.as_ref();
        let sk = s.stream_key(group, stream);
        let prefix = s.events_prefix(group, stream);
        for _ in 0..64 {
            let Some(old) = store.get(STREAMS, &sk).await? else {
                return Ok(());
            };
            let mut rec: StreamRecord = store::decode(&old)?;
            rec.stored_bytes = rec.stored_bytes.saturating_sub(bytes);
            let first = store
                .scan(EVENTS, Range::prefix(&prefix), Direction::Forward, 1)
                .await?;
            if let Some((k, v)) = first.first() {
                rec.first_event_timestamp =
                    Some(store::decode_event(prefix.len(), k, v)?.timestamp);
            }
            let mut b = WriteBatch::new();
            b.require(STREAMS, sk.clone(), Some(old)).put(
                STREAMS,
                sk.clone(),
                store::encode(&rec)?,
            );
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

    async fn buffer_events(&self, r: &LogStreamRef, events: Vec<LogEvent>) -> Result<()> {
        let (flush_now, schedule) = {
            let mut b = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
            b.bytes += events.iter().map(|e| e.message.len() + 26).sum::<usize>();
            b.streams.entry(r.clone()).or_default().extend(events);
            let flush_now = b.bytes >= self.config.flush_bytes;
            let schedule = !flush_now && !b.scheduled;
            if schedule {
                b.scheduled = true;
            }
            (flush_now, schedule)
        };
        if flush_now {
            return self.flush().await;
        }
        if schedule {
            match (tokio::runtime::Handle::try_current(), self.me.upgrade()) {
                (Ok(rt), Some(me)) => {
                    let delay = self.config.flush_delay;
                    rt.spawn(async move {
                        tokio::time::sleep(delay).await;
                        let _ = me.flush().await;
                    });
                }
                _ => return self.flush().await,
            }
        }
        Ok(())
    }
}

impl LogSink for Logs {
    fn put_events<'a>(
        &'a self,
        stream: &'a LogStreamRef,
        events: Vec<LogEvent>,
    ) -> BoxFuture<'a, std::result::Result<(), String>> {
        Box::pin(async move {
            if events.is_empty() {
                return Ok(());
            }
            self.buffer_events(stream, events)
                .await
                .map_err(|e| e.to_string())
        })
    }
}
