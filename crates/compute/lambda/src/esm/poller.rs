//! One poller of a mapping: long-poll the queue, gather a batch within the batching window
//! (one poller of the mapping at a time when there is a window),
//! drop (delete) the records no filter matches, invoke the function synchronously with the
//! SQS event exactly as AWS builds it, then delete what succeeded. A function error leaves the
//! batch in the queue (it becomes visible again after the visibility timeout, so the queue's
//! own redrive policy moves it to the dead-letter queue after maxReceiveCount); with
//! `ReportBatchItemFailures` only the reported records stay.

use super::MappingRecord;
use super::filter;
use crate::Lambda;
use bytes::Bytes;
use lamina_bus::{InvocationType, InvokeRequest, Invoker, QueueConsumer, ReceivedMessage};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest long poll SQS allows.
const MAX_WAIT: u64 = 20;
/// Pause after an error (queue gone, function throttled or missing) before polling again.
const BACKOFF: Duration = Duration::from_secs(1);

/// Runs until aborted.
pub(crate) async fn run(
    lambda: Arc<Lambda>,
    consumer: Arc<dyn QueueConsumer>,
    m: Arc<MappingRecord>,
    gathering: Arc<tokio::sync::Mutex<()>>,
) {
    let filters: Vec<Value> = m
        .filters
        .iter()
        .filter_map(|p| filter::parse(p).ok())
        .collect();
    loop {
        if lambda.runtime.stopping() {
            return;
        }
        // With a batching window one poller at a time fills a batch, so records that arrive
        // within the window end up in one invocation instead of one per idle poller.
        let turn = if m.batching_window > 0 {
            Some(gathering.lock().await)
        } else {
            None
        };
        let gathered = gather(consumer.as_ref(), &m).await;
        drop(turn);
        let batch = match gathered {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!(uuid = %m.uuid, error = %e, "event source mapping: receive failed");
                tokio::time::sleep(BACKOFF).await;
                continue;
            }
        };
        if batch.is_empty() {
            continue;
        }
        if !process(&lambda, consumer.as_ref(), &m, &filters, batch).await {
            tokio::time::sleep(BACKOFF).await;
        }
    }
}

/// Up to BatchSize messages: one long poll, then more while the batching window lasts.
async fn gather(
    consumer: &dyn QueueConsumer,
    m: &MappingRecord,
) -> Result<Vec<ReceivedMessage>, String> {
    let arn = m.event_source_arn.as_str();
    let want = m.batch_size.max(1) as usize;
    let first = consumer
        .receive(arn, want.min(10) as u32, None, MAX_WAIT)
        .await
        .map_err(|e| e.message)?;
    let mut batch = first;
    if batch.is_empty() || m.batching_window == 0 {
        return Ok(batch);
    }
    let deadline = Instant::now() + Duration::from_secs(u64::from(m.batching_window));
    while batch.len() < want {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let wait = left.as_secs_f64().ceil().min(MAX_WAIT as f64) as u64;
        let more = consumer
            .receive(arn, (want - batch.len()).min(10) as u32, None, wait)
            .await
            .map_err(|e| e.message)?;
        batch.extend(more);
    }
    Ok(batch)
}

/// Filters, invokes and deletes; `false` when the invocation could not be made at all.
async fn process(
    lambda: &Lambda,
    consumer: &dyn QueueConsumer,
    m: &MappingRecord,
    filters: &[Value],
    batch: Vec<ReceivedMessage>,
) -> bool {
    let arn = m.event_source_arn.as_str();
    let records: Vec<Value> = batch
        .iter()
        .map(|msg| record(msg, arn, &m.region))
        .collect();
    let mut keep = Vec::new();
    let mut dropped = Vec::new();
    for (msg, rec) in batch.iter().zip(records) {
        if filters.is_empty()
            || filters
                .iter()
                .any(|f| filter::matches(f, &filter_view(&rec)))
        {
            keep.push((msg, rec));
        } else {
            dropped.push(msg.receipt_handle.clone());
        }
    }
    // AWS deletes the messages that no filter matches.
    delete(consumer, arn, dropped).await;
    if keep.is_empty() {
        return true;
    }
    let payload = json!({ "Records": keep.iter().map(|(_, r)| r.clone()).collect::<Vec<_>>() });
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
            tracing::debug!(uuid = %m.uuid, code = %e.code, "event source mapping: invoke failed");
            return false;
        }
    };
    if resp.function_error.is_some() {
        // The whole batch returns to the queue after its visibility timeout.
        return true;
    }
    let ids: Vec<&str> = keep
        .iter()
        .map(|(msg, _)| msg.message_id.as_str())
        .collect();
    let failed = if m.reports_item_failures() {
        match failed_items(&resp.payload, &ids) {
            Some(f) => f,
            // A malformed response fails the whole batch, as on AWS.
            None => return true,
        }
    } else {
        HashSet::new()
    };
    let done = keep
        .iter()
        .filter(|(msg, _)| !failed.contains(msg.message_id.as_str()))
        .map(|(msg, _)| msg.receipt_handle.clone())
        .collect();
    delete(consumer, arn, done).await;
    true
}

async fn delete(consumer: &dyn QueueConsumer, arn: &str, handles: Vec<String>) {
    if handles.is_empty() {
        return;
    }
    if let Err(e) = consumer.delete_batch(arn, handles).await {
        tracing::warn!(queue = %arn, error = %e.message, "event source mapping: delete failed");
    }
}

/// The ids a partial batch response reports as failed; `None` when the response is malformed
/// (not JSON, an item without a string `itemIdentifier`, an empty or unknown identifier), which
/// AWS treats as a failure of the whole batch. Null, `{}` and an empty or null
/// `batchItemFailures` mean complete success.
pub(crate) fn failed_items<'a>(payload: &[u8], ids: &[&'a str]) -> Option<HashSet<&'a str>> {
    let text = std::str::from_utf8(payload).ok()?.trim();
    if text.is_empty() {
        return Some(HashSet::new());
    }
    let v: Value = serde_json::from_str(text).ok()?;
    let items = match v.get("batchItemFailures") {
        None | Some(Value::Null) => return Some(HashSet::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return None,
    };
    let mut out = HashSet::new();
    for item in items {
        let id = item.get("itemIdentifier")?.as_str()?;
        let known = ids.iter().find(|k| **k == id)?;
        out.insert(*known);
    }
    Some(out)
}

/// The system attributes an SQS event record carries, in AWS's order.
const RECORD_ATTRIBUTES: &[&str] = &[
    "ApproximateReceiveCount",
    "AWSTraceHeader",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
];

/// One record of the SQS event, as AWS sends it.
pub(crate) fn record(msg: &ReceivedMessage, queue_arn: &str, region: &str) -> Value {
    let mut attributes = Map::new();
    for name in RECORD_ATTRIBUTES {
        if let Some(v) = msg.attributes.get(*name) {
            attributes.insert((*name).to_string(), Value::String(v.clone()));
        }
    }
    let mut message_attributes = Map::new();
    for (name, a) in &msg.message_attributes {
        let mut out = Map::new();
        if let Some(s) = a.get("StringValue") {
            out.insert("stringValue".into(), s.clone());
        }
        if let Some(b) = a.get("BinaryValue") {
            out.insert("binaryValue".into(), b.clone());
        }
        out.insert(
            "stringListValues".into(),
            a.get("StringListValues")
                .cloned()
                .unwrap_or_else(|| json!([])),
        );
        out.insert(
            "binaryListValues".into(),
            a.get("BinaryListValues")
                .cloned()
                .unwrap_or_else(|| json!([])),
        );
        out.insert(
            "dataType".into(),
            a.get("DataType").cloned().unwrap_or(Value::Null),
        );
        message_attributes.insert(name.clone(), Value::Object(out));
    }
    json!({
        "messageId": msg.message_id,
        "receiptHandle": msg.receipt_handle,
        "body": msg.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": msg.md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    })
}

/// The record as filters see it: the body parsed when it is JSON.
pub(crate) fn filter_view(rec: &Value) -> Value {
    let mut v = rec.clone();
    if let Some(body) = rec.get("body").and_then(Value::as_str)
        && let Ok(parsed) = serde_json::from_str::<Value>(body)
    {
        v["body"] = parsed;
    }
    v
}
