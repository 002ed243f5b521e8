//! The batch operations: at most 10 entries with distinct, well-formed ids; each entry
//! succeeds or fails on its own (`Failed` with `SenderFault`).

use super::messages::{change_one, delete_many};
use super::send::{Outgoing, enqueue, validate};
use super::{Call, resolve};
use crate::Sqs;
use crate::attributes::MAX_MESSAGE_SIZE;
use crate::error::{Result, SqsError};
use crate::message::message_size;
use crate::types::*;
use std::collections::HashSet;

/// The checks every batch request gets before any entry runs.
fn check_ids<'a>(ids: impl ExactSizeIterator<Item = &'a str>, entry: &'static str) -> Result<()> {
    let n = ids.len();
    if n == 0 {
        return Err(SqsError::EmptyBatchRequest(entry));
    }
    if n > 10 {
        return Err(SqsError::TooManyEntriesInBatchRequest(n));
    }
    let mut seen = HashSet::new();
    for id in ids {
        if id.is_empty()
            || id.len() > 80
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(SqsError::InvalidBatchEntryId);
        }
        if !seen.insert(id) {
            return Err(SqsError::BatchEntryIdsNotDistinct(id.to_string()));
        }
    }
    Ok(())
}

fn failure(id: &str, e: SqsError) -> Result<BatchResultErrorEntry> {
    match e.code() {
        Some(code) => Ok(BatchResultErrorEntry {
            id: id.to_string(),
            sender_fault: code.sender_fault,
            code: code.code.to_string(),
            message: e.to_string(),
        }),
        None => Err(e),
    }
}

pub async fn send(
    sqs: &Sqs,
    call: &Call<'_>,
    req: SendMessageBatchRequest,
) -> Result<SendMessageBatchResult> {
    check_ids(
        req.entries.iter().map(|e| e.id.as_str()),
        "SendMessageBatchRequestEntry",
    )?;
    let (scope, q) = resolve(sqs, call, &req.queue_url).await?;
    let total: usize = req
        .entries
        .iter()
        .map(|e| {
            message_size(
                &e.message_body,
                e.message_attributes.as_ref().unwrap_or(&Default::default()),
            )
        })
        .sum();
    if total as u64 > MAX_MESSAGE_SIZE {
        return Err(SqsError::BatchRequestTooLong {
            max: MAX_MESSAGE_SIZE as usize,
            sent: total,
        });
    }
    let mut out = SendMessageBatchResult {
        successful: Vec::new(),
        failed: Vec::new(),
    };
    for e in req.entries {
        let m = Outgoing {
            body: e.message_body,
            attributes: e.message_attributes.unwrap_or_default(),
            system: e.message_system_attributes.unwrap_or_default(),
            delay: e.delay_seconds,
            group: e.message_group_id,
            dedup: e.message_deduplication_id,
        };
        let r = match validate(&q.rec, &m) {
            Ok(()) => enqueue(sqs, &scope, &q.rec, m, &call.scope.account).await,
            Err(err) => Err(err),
        };
        match r {
            Ok(r) => out.successful.push(SendMessageBatchResultEntry {
                id: e.id,
                message_id: r.message_id,
                md5_of_message_body: r.md5_of_message_body,
                md5_of_message_attributes: r.md5_of_message_attributes,
                md5_of_message_system_attributes: r.md5_of_message_system_attributes,
                sequence_number: r.sequence_number,
            }),
            Err(err) => out.failed.push(failure(&e.id, err)?),
        }
    }
    Ok(out)
}

pub async fn delete(
    sqs: &Sqs,
    call: &Call<'_>,
    req: DeleteMessageBatchRequest,
) -> Result<BatchResult> {
    check_ids(
        req.entries.iter().map(|e| e.id.as_str()),
        "DeleteMessageBatchRequestEntry",
    )?;
    let (scope, q) = resolve(sqs, call, &req.queue_url).await?;
    let mut out = BatchResult {
        successful: Vec::new(),
        failed: Vec::new(),
    };
    let raws: Vec<&str> = req
        .entries
        .iter()
        .map(|e| e.receipt_handle.as_str())
        .collect();
    let outcomes = delete_many(sqs, &scope, &q.rec, &raws).await?;
    for (e, r) in req.entries.iter().zip(outcomes) {
        match r {
            Ok(()) => out.successful.push(BatchResultEntry { id: e.id.clone() }),
            Err(err) => out.failed.push(failure(&e.id, err)?),
        }
    }
    Ok(out)
}

pub async fn change_visibility(
    sqs: &Sqs,
    call: &Call<'_>,
    req: ChangeMessageVisibilityBatchRequest,
) -> Result<BatchResult> {
    check_ids(
        req.entries.iter().map(|e| e.id.as_str()),
        "ChangeMessageVisibilityBatchRequestEntry",
    )?;
    let (scope, q) = resolve(sqs, call, &req.queue_url).await?;
    let mut out = BatchResult {
        successful: Vec::new(),
        failed: Vec::new(),
    };
    for e in req.entries {
        let vt = e.visibility_timeout.unwrap_or(0);
        match change_one(sqs, &scope, &q.rec, &e.receipt_handle, vt).await {
            Ok(()) => out.successful.push(BatchResultEntry { id: e.id }),
            Err(err) => out.failed.push(failure(&e.id, err)?),
        }
    }
    Ok(out)
}
