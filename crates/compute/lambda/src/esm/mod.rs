//! Event source mappings (SQS queues and DynamoDB streams): the persisted mappings (tree
//! `lambda.esm`, key `account \0 region \0 uuid`, JSON records with `"v": 1`), their state
//! machine and the workers that feed the functions.
//!
//! The API (`ops/esm.rs`) writes a mapping in a transitional state (`Creating`, `Updating`,
//! `Deleting`) and wakes the supervisor ([`Lambda::start_event_source_mappings`]); the
//! supervisor moves it to `Enabled`/`Disabled` (or removes it) with a compare-and-set write,
//! and keeps one set of workers per enabled mapping, restarted when the mapping changes.
//! Everything it needs is in the store, so a restart resumes every mapping: messages an SQS
//! poller had received when it stopped come back after their visibility timeout, as on AWS,
//! and a stream worker resumes behind its checkpoint (tree `lambda.esm.pos`, written after
//! each settled batch), so at most the batch in flight is delivered again.
//!
//! SQS is reached only through [`lamina_bus::QueueConsumer`] (`poller.rs`), DynamoDB streams
//! through [`lamina_bus::StreamReader`] (`stream.rs`: one worker per shard, in order, a failing
//! batch blocking the shard until it succeeds, its retries are used up or its records are too
//! old, then the OnFailure destination); the function is invoked through the same path as
//! Invoke (`lamina_bus::Invoker` on [`Lambda`]), so concurrency limits apply. Filters
//! (`filter.rs`) see an SQS record with its JSON body parsed, a stream record as it is.
//!
//! Known differences from AWS: an SQS mapping runs a fixed number of pollers (ScalingConfig's
//! MaximumConcurrency, else 5) instead of scaling with the backlog; a batch is not cut at
//! 6 MB; FIFO order comes from SQS's group blocking (a group's next message is not received
//! while one is in flight); a stream mapping accepts ParallelizationFactor but runs one batch
//! per shard at a time; TumblingWindowInSeconds other than 0 is refused; a stream that
//! disappears leaves the mapping Enabled and retrying (AWS disables it); Kinesis, Kafka and
//! MQ sources are refused; MetricsConfig, LoggingConfig, KMSKeyArn and Tags are ignored.

pub(crate) mod filter;
pub(crate) mod poller;
pub(crate) mod stream;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;

use crate::Lambda;
use crate::error::Result;
use crate::store::{self, Scope};
use lamina_bus::{QueueConsumer, StreamReader};
use lamina_storage::{Direction, Range, StoreError, WriteBatch};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinSet};

/// The tree of mappings.
pub const TREE: &str = "lambda.esm";
pub const FORMAT: u32 = 1;

/// How often the supervisor looks at the mappings without being woken.
const RECONCILE_EVERY: Duration = Duration::from_millis(500);
/// Concurrent batches of a mapping without ScalingConfig (AWS starts with five pollers).
pub const DEFAULT_POLLERS: u32 = 5;

/// One mapping as stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MappingRecord {
    pub v: u32,
    pub uuid: String,
    pub account: String,
    pub region: String,
    pub function_name: String,
    pub qualifier: Option<String>,
    pub event_source_arn: String,
    pub batch_size: u32,
    pub batching_window: u32,
    pub enabled: bool,
    /// `Creating`, `Enabled`, `Disabled`, `Updating`, `Deleting`.
    pub state: String,
    pub state_reason: String,
    /// Epoch seconds.
    pub last_modified: f64,
    pub response_types: Vec<String>,
    pub max_concurrency: Option<u32>,
    /// `FilterCriteria.Filters[].Pattern`, as given.
    pub filters: Vec<String>,
    // Stream sources (DynamoDB Streams) only; absent from SQS mappings.
    /// `TRIM_HORIZON` or `LATEST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_position: Option<String>,
    /// Where a `LATEST` mapping starts: after this sequence number (the newest record when the
    /// mapping was created; `None` is the start of the stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_after: Option<String>,
    /// -1 (the default) is infinite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retry_attempts: Option<i64>,
    /// -1 (the default) is infinite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_record_age: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bisect: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelization: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tumbling_window: Option<u32>,
    /// `DestinationConfig.OnFailure.Destination`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
}

impl MappingRecord {
    pub fn scope(&self) -> Scope {
        Scope {
            account: self.account.clone(),
            region: self.region.clone(),
        }
    }

    pub fn key(&self) -> Vec<u8> {
        self.scope().key(&[&self.uuid])
    }

    /// The function's ARN, with the qualifier when the mapping names one.
    pub fn function_arn(&self) -> String {
        let arn = self.scope().function_arn(&self.function_name);
        match &self.qualifier {
            Some(q) => format!("{arn}:{q}"),
            None => arn,
        }
    }

    /// Whether the source is a DynamoDB stream (else an SQS queue).
    pub fn is_stream(&self) -> bool {
        is_stream_arn(&self.event_source_arn)
    }

    pub fn reports_item_failures(&self) -> bool {
        self.response_types
            .iter()
            .any(|t| t == "ReportBatchItemFailures")
    }

    /// `EventSourceMappingConfiguration` in canonical form.
    pub fn to_output(&self) -> Value {
        let mut v = json!({
            "UUID": self.uuid,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.batching_window,
            "EventSourceArn": self.event_source_arn,
            "FunctionArn": self.function_arn(),
            "LastModified": self.last_modified,
            "State": self.state,
            "StateTransitionReason": self.state_reason,
            "FunctionResponseTypes": self.response_types,
            "EventSourceMappingArn": format!(
                "arn:aws:lambda:{}:{}:event-source-mapping:{}",
                self.region, self.account, self.uuid
            ),
        });
        if !self.filters.is_empty() {
            v["FilterCriteria"] = json!({
                "Filters": self.filters.iter().map(|p| json!({ "Pattern": p })).collect::<Vec<_>>()
            });
        }
        if let Some(n) = self.max_concurrency {
            v["ScalingConfig"] = json!({ "MaximumConcurrency": n });
        }
        if self.is_stream() {
            v["StartingPosition"] = json!(self.starting_position);
            v["ParallelizationFactor"] = json!(self.parallelization.unwrap_or(1));
            v["MaximumRecordAgeInSeconds"] = json!(self.max_record_age.unwrap_or(-1));
            v["BisectBatchOnFunctionError"] = json!(self.bisect.unwrap_or(false));
            v["MaximumRetryAttempts"] = json!(self.max_retry_attempts.unwrap_or(-1));
            v["TumblingWindowInSeconds"] = json!(self.tumbling_window.unwrap_or(0));
            v["DestinationConfig"] = match &self.on_failure {
                Some(d) => json!({ "OnFailure": { "Destination": d } }),
                None => json!({ "OnFailure": {} }),
            };
            v["LastProcessingResult"] = json!(stream::NO_RECORDS);
        }
        v
    }
}

/// `arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>`.
pub fn is_stream_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "dynamodb"
        && parts[5].starts_with("table/")
        && parts[5].contains("/stream/")
}

/// The mapping's configuration as the API answers it, with the stream position's
/// LastProcessingResult.
pub(crate) async fn output(lambda: &Lambda, m: &MappingRecord) -> Value {
    let mut v = m.to_output();
    if m.is_stream()
        && let Ok(Some(cp)) = stream::load_checkpoint(lambda, m).await
    {
        v["LastProcessingResult"] = json!(cp.last_result);
    }
    v
}

/// The in-memory side: the SQS client the binary hands in and the supervisor's signal.
#[derive(Default)]
pub(crate) struct Esm {
    pub(crate) consumer: OnceLock<Arc<dyn QueueConsumer>>,
    pub(crate) streams: OnceLock<Arc<dyn StreamReader>>,
    pub(crate) wake: Notify,
    supervisor: Mutex<Option<AbortHandle>>,
}

impl Esm {
    pub(crate) fn stop(&self) {
        if let Some(h) = crate::sandbox::lock(&self.supervisor).take() {
            h.abort();
        }
    }
}

/// Every mapping of an account and region, in UUID order, with the bytes each was read from.
pub(crate) async fn list(
    lambda: &Lambda,
    scope: &Scope,
) -> Result<Vec<store::Loaded<MappingRecord>>> {
    let entries = lambda
        .store
        .scan(
            TREE,
            Range::prefix(&scope.prefix(&[])),
            Direction::Forward,
            0,
        )
        .await?;
    entries
        .into_iter()
        .map(|(_, raw)| {
            Ok(store::Loaded {
                record: store::decode(&raw)?,
                raw,
            })
        })
        .collect()
}

impl Lambda {
    /// Where event source mappings read SQS (the binary passes SQS in).
    pub fn set_queue_consumer(&self, consumer: Arc<dyn QueueConsumer>) {
        let _ = self.esm.consumer.set(consumer);
    }

    /// Where event source mappings read DynamoDB streams (the binary passes them in).
    pub fn set_stream_reader(&self, reader: Arc<dyn StreamReader>) {
        let _ = self.esm.streams.set(reader);
    }

    /// Starts the event source mapping supervisor (once): it settles transitional states and
    /// runs the pollers of enabled mappings. Aborting the task stops every poller.
    pub fn start_event_source_mappings(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let task = tokio::spawn(supervise(self.clone()));
        *crate::sandbox::lock(&self.esm.supervisor) = Some(task.abort_handle());
        task
    }
}

/// A running mapping: the record it was started from and its workers.
struct Running {
    raw: Vec<u8>,
    workers: Vec<AbortHandle>,
}

impl Running {
    fn stop(self) {
        for w in self.workers {
            w.abort();
        }
    }
}

async fn supervise(lambda: Arc<Lambda>) {
    // Dropping the set (when this task is aborted) aborts every worker.
    let mut set: JoinSet<()> = JoinSet::new();
    let mut running: HashMap<String, Running> = HashMap::new();
    loop {
        if lambda.runtime.stopping() {
            break;
        }
        let woken = lambda.esm.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if let Err(e) = reconcile(&lambda, &mut set, &mut running).await {
            tracing::warn!(error = %e, "event source mappings: reconcile failed");
        }
        while set.try_join_next().is_some() {}
        tokio::select! {
            _ = &mut woken => {}
            _ = tokio::time::sleep(RECONCILE_EVERY) => {}
        }
    }
    for (_, r) in running.drain() {
        r.stop();
    }
}

/// Settles transitional states and makes the running pollers match the enabled mappings.
async fn reconcile(
    lambda: &Arc<Lambda>,
    set: &mut JoinSet<()>,
    running: &mut HashMap<String, Running>,
) -> Result<()> {
    let entries = lambda
        .store
        .scan(TREE, Range::all(), Direction::Forward, 0)
        .await?;
    let mut seen = std::collections::HashSet::new();
    for (key, raw) in entries {
        let mut rec: MappingRecord = match store::decode(&raw) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "event source mappings: unreadable record skipped");
                continue;
            }
        };
        let mut current = raw.clone();
        match rec.state.as_str() {
            "Deleting" => {
                let mut b = WriteBatch::new();
                b.require_equals(TREE, key.clone(), raw.clone())
                    .delete(TREE, key.clone())
                    .delete(stream::POSITIONS, key);
                commit_or_skip(lambda, b).await?;
                continue;
            }
            "Creating" | "Updating" => {
                rec.state = if rec.enabled { "Enabled" } else { "Disabled" }.to_string();
                let encoded = store::encode(&rec)?;
                let mut b = WriteBatch::new();
                b.require_equals(TREE, key.clone(), raw.clone())
                    .put(TREE, key, encoded.clone());
                if !commit_or_skip(lambda, b).await? {
                    continue;
                }
                current = encoded;
            }
            _ => {}
        }
        if rec.state != "Enabled" {
            continue;
        }
        let source = if rec.is_stream() {
            match lambda.esm.streams.get().cloned() {
                Some(r) => Source::Stream(r),
                None => continue,
            }
        } else {
            match lambda.esm.consumer.get().cloned() {
                Some(c) => Source::Queue(c),
                None => continue,
            }
        };
        seen.insert(rec.uuid.clone());
        if running.get(&rec.uuid).is_some_and(|r| r.raw == current) {
            continue;
        }
        if let Some(old) = running.remove(&rec.uuid) {
            old.stop();
        }
        let rec = Arc::new(rec);
        let consumer = match source {
            Source::Stream(reader) => {
                // One worker per shard keeps the shard's records in order.
                let worker = set.spawn(stream::run(lambda.clone(), reader, rec.clone()));
                tracing::debug!(uuid = %rec.uuid, "stream event source mapping started");
                running.insert(
                    rec.uuid.clone(),
                    Running {
                        raw: current,
                        workers: vec![worker],
                    },
                );
                continue;
            }
            Source::Queue(c) => c,
        };
        let n = rec.max_concurrency.unwrap_or(DEFAULT_POLLERS).max(1);
        // With a batching window the mapping gathers one batch at a time (AWS buffers per
        // mapping): a poller holds this while it fills its batch, then invokes without it.
        let gathering = Arc::new(tokio::sync::Mutex::new(()));
        let workers = (0..n)
            .map(|_| {
                set.spawn(poller::run(
                    lambda.clone(),
                    consumer.clone(),
                    rec.clone(),
                    gathering.clone(),
                ))
            })
            .collect();
        tracing::debug!(uuid = %rec.uuid, pollers = n, "event source mapping started");
        running.insert(
            rec.uuid.clone(),
            Running {
                raw: current,
                workers,
            },
        );
    }
    let gone: Vec<String> = running
        .keys()
        .filter(|k| !seen.contains(*k))
        .cloned()
        .collect();
    for k in gone {
        if let Some(r) = running.remove(&k) {
            tracing::debug!(uuid = %k, "event source mapping stopped");
            r.stop();
        }
    }
    Ok(())
}

enum Source {
    Queue(Arc<dyn QueueConsumer>),
    Stream(Arc<dyn StreamReader>),
}

/// Commits; `false` when someone changed the record since it was read (next round).
async fn commit_or_skip(lambda: &Lambda, b: WriteBatch) -> Result<bool> {
    match lambda.store.commit(b).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}
