//! DeleteMessage and ChangeMessageVisibility: what a receipt handle can do.

use super::receive::replace;
use super::{Call, resolve, retry};
use crate::error::{Result, SqsError};
use crate::handle::Handle;
use crate::store::{self, QueueRecord, Scope};
use crate::types::*;
use crate::{Sqs, now_ms};
use lamina_storage::WriteBatch;

fn decode_for(q: &QueueRecord, raw: &str) -> Result<Handle> {
    let h = Handle::decode(raw)?;
    if h.queue_id != q.id {
        return Err(SqsError::ReceiptHandleIsInvalid(raw.to_string()));
    }
    Ok(h)
}

/// Deletes the message a handle names. A handle of a message already deleted succeeds, as
/// on AWS; a handle from an earlier receive of a message received again since succeeds
/// without deleting it (AWS: "the request succeeds, but the message might not be deleted").
pub async fn delete_one(sqs: &Sqs, scope: &Scope, q: &QueueRecord, raw: &str) -> Result<()> {
    let h = decode_for(q, raw)?;
    let deleted = retry(|| async {
        let Some(m) = sqs.table.message(scope, &q.id, &h.message_id).await? else {
            return Ok(false);
        };
        if m.rec.receive_id.as_deref() != Some(h.receive_id.as_str()) {
            return Ok(false);
        }
        let mut b = WriteBatch::new();
        store::delete_message(&mut b, scope, &q.id, &m);
        sqs.table.commit(b).await?;
        Ok(true)
    })
    .await?;
    if deleted && q.fifo() {
        // the group may be unblocked now
        sqs.wake(&q.id);
    }
    Ok(())
}

/// Deletes the messages several handles name in one atomic write (one commit for a
/// DeleteMessageBatch instead of one per entry). Each handle gets its own outcome, with the
/// rules of [`delete_one`]: a malformed or foreign handle is `ReceiptHandleIsInvalid`; a
/// deleted message or a stale handle succeeds (the latter without deleting).
pub async fn delete_many(
    sqs: &Sqs,
    scope: &Scope,
    q: &QueueRecord,
    raws: &[&str],
) -> Result<Vec<Result<()>>> {
    let handles: Vec<Result<Handle>> = raws.iter().map(|r| decode_for(q, r)).collect();
    let deleted = retry(|| async {
        let mut b = WriteBatch::new();
        let mut done = std::collections::HashSet::new();
        for h in handles.iter().flatten() {
            if done.contains(&h.message_id) {
                continue;
            }
            let Some(m) = sqs.table.message(scope, &q.id, &h.message_id).await? else {
                continue;
            };
            if m.rec.receive_id.as_deref() != Some(h.receive_id.as_str()) {
                continue;
            }
            store::delete_message(&mut b, scope, &q.id, &m);
            done.insert(h.message_id.clone());
        }
        if !b.ops.is_empty() {
            sqs.table.commit(b).await?;
        }
        Ok(!done.is_empty())
    })
    .await?;
    if deleted && q.fifo() {
        // groups may be unblocked now
        sqs.wake(&q.id);
    }
    Ok(handles.into_iter().map(|h| h.map(|_| ())).collect())
}

pub fn check_visibility(vt: i64) -> Result<u64> {
    if (0..=43_200).contains(&vt) {
        Ok(vt as u64)
    } else {
        Err(SqsError::invalid(
            vt,
            "VisibilityTimeout",
            "VisibilityTimeout must be an integer between 0 and 43200",
        ))
    }
}

/// Sets the visibility deadline of an in-flight message to now + `vt` seconds.
pub async fn change_one(
    sqs: &Sqs,
    scope: &Scope,
    q: &QueueRecord,
    raw: &str,
    vt: i64,
) -> Result<()> {
    let h = decode_for(q, raw)?;
    let vt = check_visibility(vt)?;
    retry(|| async {
        let now = now_ms();
        let Some(m) = sqs.table.message(scope, &q.id, &h.message_id).await? else {
            return Err(SqsError::invalid(
                raw,
                "ReceiptHandle",
                "Message does not exist or is not available for visibility timeout change.",
            ));
        };
        if m.rec.receive_id.as_deref() != Some(h.receive_id.as_str()) {
            return Err(SqsError::invalid(
                raw,
                "ReceiptHandle",
                "The receipt handle has expired.",
            ));
        }
        if !m.rec.in_flight(now) {
            return Err(SqsError::MessageNotInflight);
        }
        let mut rec = m.rec.clone();
        rec.visible_at = now + vt * 1000;
        let available = if q.fifo() { 0 } else { rec.visible_at };
        let mut b = WriteBatch::new();
        replace(&mut b, scope, &q.id, &m, available, &rec)?;
        sqs.table.commit(b).await
    })
    .await?;
    if vt == 0 {
        sqs.wake(&q.id);
    }
    Ok(())
}

pub async fn delete(sqs: &Sqs, call: &Call<'_>, req: DeleteMessageRequest) -> Result<()> {
    let (scope, q) = resolve(sqs, call, &req.queue_url).await?;
    delete_one(sqs, &scope, &q.rec, &req.receipt_handle).await
}

pub async fn change_visibility(
    sqs: &Sqs,
    call: &Call<'_>,
    req: ChangeMessageVisibilityRequest,
) -> Result<()> {
    let (scope, q) = resolve(sqs, call, &req.queue_url).await?;
    change_one(
        sqs,
        &scope,
        &q.rec,
        &req.receipt_handle,
        req.visibility_timeout,
    )
    .await
}
