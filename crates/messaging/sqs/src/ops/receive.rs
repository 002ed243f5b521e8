//! ReceiveMessage: long polling, visibility, FIFO group rules, redrive to the dead-letter
//! queue, the system attributes a receiver asks for, and ReceiveRequestAttemptId on FIFO
//! queues (a retry within 5 minutes returns the same messages and receipt handles).

use super::{Call, parse_arn, resolve, retry};
use crate::attributes::parse_redrive;
use crate::error::{Result, SqsError};
use crate::handle::Handle;
use crate::md5::attributes_md5;
use crate::store::{
    self, ATTEMPTS, AttemptMessage, AttemptRecord, INDEX, Loaded, MESSAGES, MessageRecord,
    QueueRecord, Scope, decode, encode,
};
use crate::types::*;
use crate::{Sqs, now_ms};
use lamina_storage::WriteBatch;
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Writes `rec` as the new state of the loaded message `old` at `available` (moving its key
/// when the position changes), guarded by "unchanged since read".
pub fn replace(
    b: &mut WriteBatch,
    scope: &Scope,
    qid: &str,
    old: &Loaded<MessageRecord>,
    available: u64,
    rec: &MessageRecord,
) -> Result<()> {
    let key = store::message_key(scope, qid, available, rec.seq);
    b.require_equals(MESSAGES, old.key.clone(), old.raw.clone());
    if key == old.key {
        b.put(MESSAGES, key, encode(rec)?);
    } else {
        b.delete(MESSAGES, old.key.clone());
        b.require_absent(MESSAGES, key.clone());
        b.put(MESSAGES, key, encode(rec)?);
        b.put(
            INDEX,
            store::index_key(scope, qid, &rec.id),
            store::suffix(available, rec.seq),
        );
    }
    Ok(())
}

/// The dead-letter queue of `q`, if it has one that exists, with its maxReceiveCount.
async fn dead_letter(sqs: &Sqs, q: &QueueRecord) -> Result<Option<(Scope, QueueRecord, u64)>> {
    let Some(policy) = q
        .attributes
        .get("RedrivePolicy")
        .and_then(|p| parse_redrive(p).ok())
    else {
        return Ok(None);
    };
    let Some((scope, name)) = parse_arn(&policy.dead_letter_target_arn) else {
        return Ok(None);
    };
    Ok(sqs
        .table
        .queue(&scope, &name)
        .await?
        .map(|d| (scope, d.rec, policy.max_receive_count)))
}

/// Candidates in the order a receive should take them: visible, unexpired, and for FIFO the
/// head of each group that has nothing in flight (followed by that group's next messages).
async fn candidates(
    sqs: &Sqs,
    scope: &Scope,
    q: &QueueRecord,
    max: usize,
    now: u64,
) -> Result<Vec<Loaded<MessageRecord>>> {
    let retention = q.num("MessageRetentionPeriod", 345_600) * 1000;
    let alive = |m: &MessageRecord| m.sent + retention > now;
    if !q.fifo() {
        let mut found = sqs
            .table
            .messages(scope, &q.id, Some(now), max * 3 + 10)
            .await?;
        found.retain(|m| alive(&m.rec));
        // Spread concurrent receivers over the head of the queue so they conflict less.
        if found.len() > max {
            let spread = found.len() - max + 1;
            let r = lamina_core::random_bytes::<1>()[0] as usize % spread;
            found.rotate_left(r);
        }
        return Ok(found);
    }
    let mut blocked: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for m in sqs.table.messages(scope, &q.id, None, 0).await? {
        let group = m.rec.group.clone().unwrap_or_default();
        if blocked.contains(&group) {
            continue;
        }
        if m.rec.visible_at > now {
            blocked.insert(group);
            continue;
        }
        if alive(&m.rec) {
            out.push(m);
            if out.len() >= max {
                break;
            }
        }
    }
    Ok(out)
}

/// How long a ReceiveRequestAttemptId replays its receive.
pub const ATTEMPT_WINDOW_MS: u64 = 5 * 60 * 1000;

fn attempt_invalid(id: &str) -> SqsError {
    SqsError::invalid(
        id,
        "ReceiveRequestAttemptId",
        "The receiveRequestAttemptId is not valid anymore since the receive call is not retryable.",
    )
}

/// Checks a ReceiveRequestAttemptId: 1–128 characters, alphanumeric and punctuation.
fn check_attempt_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > 128 || !id.chars().all(|c| ('!'..='~').contains(&c)) {
        return Err(SqsError::invalid(
            id,
            "ReceiveRequestAttemptId",
            "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.",
        ));
    }
    Ok(())
}

/// A retried receive: the messages the attempt handed out, with the same receive ids, their
/// visibility timeout reset to `vt` from now. `Err` when any of them was deleted, had its
/// visibility changed or was received again since (the attempt is no longer retryable).
async fn replay(
    sqs: &Sqs,
    scope: &Scope,
    q: &QueueRecord,
    id: &str,
    attempt: &Loaded<AttemptRecord>,
    vt: u64,
    now: u64,
) -> Result<Vec<MessageRecord>> {
    let rec = &attempt.rec;
    let mut b = WriteBatch::new();
    let mut out = Vec::new();
    let mut next = rec.clone();
    for (i, a) in rec.messages.iter().enumerate() {
        let Some(m) = sqs.table.message(scope, &q.id, &a.message_id).await? else {
            return Err(attempt_invalid(id));
        };
        if m.rec.receive_id.as_deref() != Some(a.receive_id.as_str())
            || m.rec.visible_at != a.visible_at
        {
            return Err(attempt_invalid(id));
        }
        let mut r = m.rec.clone();
        r.visible_at = now + vt * 1000;
        let available = if q.fifo() { 0 } else { r.visible_at };
        replace(&mut b, scope, &q.id, &m, available, &r)?;
        next.messages[i].visible_at = r.visible_at;
        out.push(r);
    }
    b.require_equals(ATTEMPTS, attempt.key.clone(), attempt.raw.clone());
    b.put(ATTEMPTS, attempt.key.clone(), encode(&next)?);
    sqs.table.commit(b).await?;
    Ok(out)
}

/// Takes up to `max` messages: each becomes invisible for `vt` seconds under a fresh
/// receive id; a message whose receive would exceed maxReceiveCount moves to the DLQ instead.
/// With an `attempt` id (FIFO queues), a receive within 5 minutes of an earlier one with the
/// same id replays it instead, and a new receive records what it handed out in the same batch.
async fn take(
    sqs: &Sqs,
    scope: &Scope,
    q: &QueueRecord,
    max: usize,
    vt: u64,
    attempt: Option<&str>,
) -> Result<Vec<MessageRecord>> {
    let dlq = dead_letter(sqs, q).await?;
    let source_arn = scope.arn(&q.name);
    let attempt = attempt.filter(|_| q.fifo());
    retry(|| async {
        let now = now_ms();
        let mut b = WriteBatch::new();
        let mut attempt_slot = None;
        if let Some(id) = attempt {
            let akey = store::attempt_key(scope, &q.id, id);
            let existing = sqs.table.store.get(ATTEMPTS, &akey).await?;
            if let Some(raw) = &existing {
                let rec: AttemptRecord = decode(raw)?;
                if rec.expires > now {
                    let loaded = Loaded {
                        key: akey,
                        raw: raw.clone(),
                        rec,
                    };
                    return replay(sqs, scope, q, id, &loaded, vt, now).await;
                }
            }
            b.require(ATTEMPTS, akey.clone(), existing);
            attempt_slot = Some(akey);
        }
        let mut taken = Vec::new();
        let mut moved_to = None;
        for c in candidates(sqs, scope, q, max, now).await? {
            if taken.len() >= max {
                break;
            }
            if let Some((dscope, dq, max_count)) = &dlq
                && c.rec.receive_count >= *max_count
            {
                let mut rec = c.rec.clone();
                rec.seq = sqs.next_seq();
                rec.receive_count = 0;
                rec.receive_id = None;
                rec.first_receive = None;
                rec.visible_at = now;
                rec.dlq_source = Some(source_arn.clone());
                if dq.fifo() {
                    rec.sequence = Some(format!("{:020}", rec.seq));
                }
                store::delete_message(&mut b, scope, &q.id, &c);
                let available = if dq.fifo() { 0 } else { now };
                store::put_message(&mut b, dscope, &dq.id, available, &rec)?;
                moved_to = Some(dq.id.clone());
                continue;
            }
            let mut rec = c.rec.clone();
            rec.receive_count += 1;
            rec.first_receive.get_or_insert(now);
            rec.receive_id = Some(hex::encode(lamina_core::random_bytes::<8>()));
            rec.visible_at = now + vt * 1000;
            let available = if q.fifo() { 0 } else { rec.visible_at };
            replace(&mut b, scope, &q.id, &c, available, &rec)?;
            taken.push(rec);
        }
        if let Some(akey) = attempt_slot
            && !taken.is_empty()
        {
            let rec = AttemptRecord {
                v: store::FORMAT,
                expires: now + ATTEMPT_WINDOW_MS,
                messages: taken
                    .iter()
                    .map(|m| AttemptMessage {
                        message_id: m.id.clone(),
                        receive_id: m.receive_id.clone().unwrap_or_default(),
                        visible_at: m.visible_at,
                    })
                    .collect(),
            };
            b.put(ATTEMPTS, akey, encode(&rec)?);
        }
        if !b.ops.is_empty() {
            sqs.table.commit(b).await?;
        }
        if let Some(d) = moved_to {
            sqs.wake(&d);
        }
        Ok(taken)
    })
    .await
}

fn range_check(
    v: Option<i64>,
    param: &str,
    min: i64,
    max: i64,
    reason: &str,
) -> Result<Option<u64>> {
    match v {
        None => Ok(None),
        Some(n) if (min..=max).contains(&n) => Ok(Some(n as u64)),
        Some(n) => Err(SqsError::invalid(n, param, reason)),
    }
}

fn wants_message_attribute(names: &[String], name: &str) -> bool {
    names.iter().any(|n| {
        n == "All"
            || n == ".*"
            || n == name
            || n.strip_suffix(".*")
                .is_some_and(|p| name.starts_with(p) && name[p.len()..].starts_with('.'))
    })
}

/// The message as the receiver sees it: requested system and message attributes.
fn render(
    q: &QueueRecord,
    rec: &MessageRecord,
    system_names: &[String],
    attribute_names: &[String],
) -> Message {
    let all = system_names.iter().any(|n| n == "All");
    let want = |n: &str| all || system_names.iter().any(|x| x == n);
    let mut attrs = Attrs::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v
            && want(k)
        {
            attrs.insert(k.to_string(), v);
        }
    };
    put("SenderId", Some(rec.sender.clone()));
    put("SentTimestamp", Some(rec.sent.to_string()));
    put(
        "ApproximateReceiveCount",
        Some(rec.receive_count.to_string()),
    );
    put(
        "ApproximateFirstReceiveTimestamp",
        rec.first_receive.map(|t| t.to_string()),
    );
    put("MessageGroupId", rec.group.clone());
    if q.fifo() {
        put("MessageDeduplicationId", rec.dedup.clone());
        put("SequenceNumber", rec.sequence.clone());
    }
    put(
        "AWSTraceHeader",
        rec.system
            .get("AWSTraceHeader")
            .and_then(|v| v.string_value.clone()),
    );
    put("DeadLetterQueueSourceArn", rec.dlq_source.clone());
    let message_attributes: MessageAttrs = rec
        .attributes
        .iter()
        .filter(|(k, _)| wants_message_attribute(attribute_names, k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Message {
        message_id: rec.id.clone(),
        receipt_handle: Handle {
            queue_id: q.id.clone(),
            message_id: rec.id.clone(),
            receive_id: rec.receive_id.clone().unwrap_or_default(),
        }
        .encode(),
        md5_of_body: rec.md5_body.clone(),
        body: rec.body.clone(),
        attributes: attrs,
        md5_of_message_attributes: attributes_md5(&message_attributes),
        message_attributes,
    }
}

pub async fn receive(
    sqs: &Sqs,
    call: &Call<'_>,
    req: ReceiveMessageRequest,
) -> Result<ReceiveMessageResult> {
    let (scope, q) = resolve(sqs, call, &req.queue_url).await?;
    let q = q.rec;
    let max = range_check(
        req.max_number_of_messages,
        "MaxNumberOfMessages",
        1,
        10,
        "Must be between 1 and 10, if provided.",
    )?
    .unwrap_or(1) as usize;
    let wait = range_check(
        req.wait_time_seconds,
        "WaitTimeSeconds",
        0,
        20,
        "Must be >= 0 and <= 20, if provided.",
    )?
    .unwrap_or_else(|| q.num("ReceiveMessageWaitTimeSeconds", 0));
    let vt = range_check(
        req.visibility_timeout,
        "VisibilityTimeout",
        0,
        43_200,
        "Must be >= 0 and <= 43200, if provided.",
    )?
    .unwrap_or_else(|| q.num("VisibilityTimeout", 30));
    let mut system_names = req.attribute_names.unwrap_or_default();
    system_names.extend(req.message_system_attribute_names.unwrap_or_default());
    let attribute_names = req.message_attribute_names.unwrap_or_default();
    let attempt = req.receive_request_attempt_id;
    if let Some(id) = &attempt {
        check_attempt_id(id)?;
    }

    let deadline = Instant::now() + Duration::from_secs(wait);
    let notify = sqs.notifier(&q.id);
    loop {
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let taken = take(sqs, &scope, &q, max, vt, attempt.as_deref()).await?;
        let now = Instant::now();
        if !taken.is_empty() || now >= deadline {
            return Ok(ReceiveMessageResult {
                messages: taken
                    .iter()
                    .map(|m| render(&q, m, &system_names, &attribute_names))
                    .collect(),
            });
        }
        // Wake on a send; re-scan at least every 250 ms for delayed messages and expired
        // visibility timeouts.
        let nap = (deadline - now).min(Duration::from_millis(250));
        tokio::select! {
            _ = &mut notified => {}
            _ = tokio::time::sleep(nap) => {}
        }
        if sqs
            .table
            .queue(&scope, &q.name)
            .await?
            .is_none_or(|now| now.rec.id != q.id)
        {
            return Err(SqsError::QueueDoesNotExist);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_attribute_name_filters() {
        let names = vec!["a.*".to_string(), "exact".to_string()];
        assert!(wants_message_attribute(&names, "a.b"));
        assert!(!wants_message_attribute(&names, "ab"));
        assert!(wants_message_attribute(&names, "exact"));
        assert!(!wants_message_attribute(&names, "other"));
        assert!(wants_message_attribute(&["All".to_string()], "x"));
    }
}
