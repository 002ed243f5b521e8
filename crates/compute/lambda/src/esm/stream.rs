//! The worker of a DynamoDB stream mapping: one per shard, so the shard's records reach the
//! function in order. It reads from its checkpoint (the last sequence number handled, kept in
//! tree `lambda.esm.pos` under the mapping's key), gathers up to BatchSize records within the
//! batching window, skips (and checkpoints past) the records no filter matches, and invokes
//! the function synchronously with the stream event as AWS builds it.
//!
//! A failing batch blocks the shard: it is retried (with a growing pause) until it succeeds,
//! MaximumRetryAttempts is used up, or its oldest record is older than
//! MaximumRecordAgeInSeconds; then its description goes to the OnFailure destination and the
//! shard moves on. BisectBatchOnFunctionError splits a failing batch in two (which does not
//! count as a retry); with `ReportBatchItemFailures` the checkpoint moves to just before the
//! lowest failed `itemIdentifier` and the retry starts there. An invocation that could not be
//! made at all (throttled, function missing) is retried without counting, until the record
//! age limit. The checkpoint is written after each settled batch, so a restart re-delivers at
//! most the batch that was in flight.

use super::MappingRecord;
use super::filter;
use crate::Lambda;
use crate::error::Result;
use crate::invoke::records::{deliver, iso_millis};
use crate::store;
use bytes::Bytes;
use lamina_bus::{
    InvocationType, InvokeRequest, InvokeResponse, Invoker, StreamEvent, StreamReader,
};
use lamina_storage::WriteBatch;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The tree of stream positions (key: the mapping's key).
pub const POSITIONS: &str = "lambda.esm.pos";
/// LastProcessingResult before the first batch.
pub const NO_RECORDS: &str = "No records processed";
const OK: &str = "OK";
const PROBLEM: &str = "PROBLEM: Function call failed";
/// How long one read waits for new records.
const READ_WAIT: Duration = Duration::from_secs(1);
/// Pause after an error reading the stream.
const BACKOFF: Duration = Duration::from_secs(1);

/// Where a mapping is in its shard.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Checkpoint {
    pub v: u32,
    pub shard_id: String,
    /// The last sequence number handled (decimal); `None`: nothing yet.
    pub after: Option<String>,
    pub last_result: String,
}

impl Checkpoint {
    fn after(&self) -> Option<u128> {
        self.after.as_deref().and_then(|s| s.parse().ok())
    }
}

pub(crate) async fn load_checkpoint(
    lambda: &Lambda,
    m: &MappingRecord,
) -> Result<Option<Checkpoint>> {
    Ok(
        store::get::<Checkpoint>(lambda.store.as_ref(), POSITIONS, &m.key())
            .await?
            .map(|l| l.record),
    )
}

/// Writes the position while the mapping exists (a deleted mapping leaves none behind).
async fn save(lambda: &Lambda, m: &MappingRecord, cp: &Checkpoint) {
    let result = async {
        let mut b = WriteBatch::new();
        b.require_exists(super::TREE, m.key())
            .put(POSITIONS, m.key(), store::encode(cp)?);
        lambda.store.commit(b).await?;
        Result::Ok(())
    }
    .await;
    if let Err(e) = result {
        tracing::debug!(uuid = %m.uuid, error = %e, "stream event source mapping: checkpoint not written");
    }
}

/// Runs until aborted.
pub(crate) async fn run(lambda: Arc<Lambda>, reader: Arc<dyn StreamReader>, m: Arc<MappingRecord>) {
    let filters: Vec<Value> = m
        .filters
        .iter()
        .filter_map(|p| filter::parse(p).ok())
        .collect();
    let arn = m.event_source_arn.as_str();
    let shard = loop {
        if lambda.runtime.stopping() {
            return;
        }
        match reader.shards(arn).await {
            Ok(s) if !s.is_empty() => break s[0].shard_id.clone(),
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(uuid = %m.uuid, error = %e.message, "stream event source mapping: stream unreadable");
            }
        }
        tokio::time::sleep(BACKOFF).await;
    };
    let mut cp = match load_checkpoint(&lambda, &m).await {
        Ok(Some(cp)) if cp.shard_id == shard => cp,
        _ => Checkpoint {
            v: 1,
            shard_id: shard.clone(),
            after: m.start_after.clone(),
            last_result: NO_RECORDS.into(),
        },
    };
    let want = m.batch_size.max(1) as usize;
    loop {
        if lambda.runtime.stopping() {
            return;
        }
        let mut batch = match reader.read(arn, &shard, cp.after(), want, READ_WAIT).await {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!(uuid = %m.uuid, error = %e.message, "stream event source mapping: read failed");
                tokio::time::sleep(BACKOFF).await;
                continue;
            }
        };
        if batch.is_empty() {
            continue;
        }
        if m.batching_window > 0 && batch.len() < want {
            let deadline = Instant::now() + Duration::from_secs(u64::from(m.batching_window));
            while batch.len() < want {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                let after = batch.last().map(|r| r.sequence);
                match reader
                    .read(arn, &shard, after, want - batch.len(), left)
                    .await
                {
                    Ok(more) => batch.extend(more),
                    Err(_) => break,
                }
            }
        }
        process(&lambda, &m, &filters, &mut cp, batch).await;
    }
}

fn sequence_of(r: &StreamEvent) -> String {
    r.sequence.to_string()
}

/// The record's `dynamodb.SequenceNumber` (the `itemIdentifier` of a partial batch response).
fn item_id(r: &StreamEvent) -> &str {
    r.event
        .pointer("/dynamodb/SequenceNumber")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// `dynamodb.ApproximateCreationDateTime` (epoch seconds) in milliseconds.
fn created_millis(r: &StreamEvent) -> Option<u64> {
    let v = r.event.pointer("/dynamodb/ApproximateCreationDateTime")?;
    let secs = v.as_f64()?;
    (secs >= 0.0).then_some((secs * 1000.0) as u64)
}

/// Moves the checkpoint behind `r`.
fn advance(cp: &mut Checkpoint, r: &StreamEvent) {
    let seq = sequence_of(r);
    if cp.after().is_none_or(|a| r.sequence > a) {
        cp.after = Some(seq);
    }
}

/// How one invocation of a sub-batch ended.
enum Outcome {
    Done,
    /// Retry from this index (the lowest failed item).
    Partial(usize),
    /// A function error or a malformed partial batch response.
    Failed,
    /// The function could not be invoked.
    NotInvoked,
}

/// Delivers one batch, blocking until every record of it is settled (delivered, sent to the
/// OnFailure destination or dropped by a filter); the checkpoint ends behind its last record.
async fn process(
    lambda: &Lambda,
    m: &MappingRecord,
    filters: &[Value],
    cp: &mut Checkpoint,
    batch: Vec<StreamEvent>,
) {
    let Some(last) = batch.last().cloned() else {
        return;
    };
    let kept: Vec<StreamEvent> = batch
        .into_iter()
        .filter(|r| filters.is_empty() || filters.iter().any(|f| filter::matches(f, &r.event)))
        .collect();
    let mut pending: VecDeque<Vec<StreamEvent>> = VecDeque::new();
    if !kept.is_empty() {
        pending.push_back(kept);
    }
    while let Some(mut sub) = pending.pop_front() {
        let mut retries: i64 = 0;
        let mut invokes: u32 = 0;
        let mut waited: u32 = 0;
        loop {
            if lambda.runtime.stopping() {
                return;
            }
            if let Some(age) = m.max_record_age.filter(|a| *a >= 0)
                && let Some(created) = sub.first().and_then(created_millis)
                && lamina_core::now_epoch_millis().saturating_sub(created) > (age as u64) * 1000
            {
                discard(lambda, m, cp, &sub, "RecordAgeExceeded", invokes, None).await;
                break;
            }
            let (outcome, resp) = invoke(lambda, m, &sub).await;
            if !matches!(outcome, Outcome::NotInvoked) {
                invokes += 1;
            }
            match outcome {
                Outcome::Done => {
                    if let Some(r) = sub.last() {
                        advance(cp, r);
                    }
                    cp.last_result = OK.into();
                    save(lambda, m, cp).await;
                    break;
                }
                Outcome::Partial(i) => {
                    if i > 0 {
                        advance(cp, &sub[i - 1]);
                        sub.drain(..i);
                    }
                    retries += 1;
                }
                Outcome::Failed => {
                    if m.bisect.unwrap_or(false) && sub.len() > 1 {
                        // Splitting does not count as a retry.
                        let second = sub.split_off(sub.len() / 2);
                        pending.push_front(second);
                        pending.push_front(sub);
                        break;
                    }
                    retries += 1;
                }
                Outcome::NotInvoked => {}
            }
            if let Some(max) = m.max_retry_attempts.filter(|n| *n >= 0)
                && retries > max
            {
                discard(
                    lambda,
                    m,
                    cp,
                    &sub,
                    "RetryAttemptsExhausted",
                    invokes,
                    resp.as_ref(),
                )
                .await;
                break;
            }
            cp.last_result = PROBLEM.into();
            save(lambda, m, cp).await;
            waited += 1;
            tokio::time::sleep(pause(waited)).await;
        }
    }
    advance(cp, &last);
    save(lambda, m, cp).await;
}

/// The pause before the n-th retry of a batch: 0.5 s, growing to 5 s.
fn pause(n: u32) -> Duration {
    Duration::from_millis((250u64 << n.min(5)).min(5_000))
}

async fn invoke(
    lambda: &Lambda,
    m: &MappingRecord,
    sub: &[StreamEvent],
) -> (Outcome, Option<InvokeResponse>) {
    let payload = json!({ "Records": sub.iter().map(|r| r.event.clone()).collect::<Vec<_>>() });
    let req = InvokeRequest {
        account_id: m.account.clone(),
        region: m.region.clone(),
        function: m.function_arn(),
        qualifier: None,
        payload: Bytes::from(payload.to_string()),
        invocation_type: InvocationType::RequestResponse,
    };
    let resp = match lambda.invoke(req).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(uuid = %m.uuid, code = %e.code, "stream event source mapping: invoke failed");
            return (Outcome::NotInvoked, None);
        }
    };
    if resp.function_error.is_some() {
        return (Outcome::Failed, Some(resp));
    }
    if !m.reports_item_failures() {
        return (Outcome::Done, Some(resp));
    }
    let ids: Vec<&str> = sub.iter().map(item_id).collect();
    let outcome = match super::poller::failed_items(&resp.payload, &ids) {
        None => Outcome::Failed,
        Some(failed) if failed.is_empty() => Outcome::Done,
        Some(failed) => {
            // The lowest failed sequence number: records before it are done.
            let first = ids.iter().position(|id| failed.contains(id)).unwrap_or(0);
            Outcome::Partial(first)
        }
    };
    (outcome, Some(resp))
}

/// Gives up on `sub`: its description goes to the OnFailure destination (if any) and the
/// checkpoint moves behind it.
async fn discard(
    lambda: &Lambda,
    m: &MappingRecord,
    cp: &mut Checkpoint,
    sub: &[StreamEvent],
    condition: &str,
    invokes: u32,
    resp: Option<&InvokeResponse>,
) {
    let Some(last) = sub.last() else {
        return;
    };
    tracing::info!(uuid = %m.uuid, records = sub.len(), condition, "stream event source mapping: batch discarded");
    if let Some(target) = &m.on_failure {
        let record = invocation_record(m, &cp.shard_id, sub, condition, invokes, resp);
        if let Err(e) = deliver(lambda, target, record.to_string(), Default::default()).await {
            tracing::warn!(uuid = %m.uuid, target = %target, error = %e, "stream event source mapping: OnFailure delivery failed");
        }
    }
    advance(cp, last);
    cp.last_result = PROBLEM.into();
    save(lambda, m, cp).await;
}

/// The record AWS sends to a stream mapping's OnFailure destination.
pub(crate) fn invocation_record(
    m: &MappingRecord,
    shard_id: &str,
    sub: &[StreamEvent],
    condition: &str,
    invokes: u32,
    resp: Option<&InvokeResponse>,
) -> Value {
    let arrival = |r: Option<&StreamEvent>| {
        r.and_then(created_millis).map(|ms| {
            format!(
                "{}Z",
                iso_millis(ms)
                    .trim_end_matches('Z')
                    .split('.')
                    .next()
                    .unwrap_or_default()
            )
        })
    };
    let mut v = json!({
        "requestContext": {
            "requestId": lamina_core::new_request_id(),
            "functionArn": m.function_arn(),
            "condition": condition,
            "approximateInvokeCount": invokes,
        },
        "version": "1.0",
        "timestamp": iso_millis(lamina_core::now_epoch_millis()),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": sub.first().map(item_id).unwrap_or_default(),
            "endSequenceNumber": sub.last().map(item_id).unwrap_or_default(),
            "approximateArrivalOfFirstRecord": arrival(sub.first()),
            "approximateArrivalOfLastRecord": arrival(sub.last()),
            "batchSize": sub.len(),
            "streamArn": m.event_source_arn,
        },
    });
    if let Some(r) = resp {
        let mut ctx = json!({
            "statusCode": r.status,
            "executedVersion": r.executed_version,
        });
        if let Some(e) = &r.function_error {
            ctx["functionError"] = json!(e);
        }
        v["responseContext"] = ctx;
    }
    v
}
