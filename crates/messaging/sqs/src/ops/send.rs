//! SendMessage and the enqueue path every producer shares (SendMessageBatch, the
//! `QueueSender` used by SNS and Lambda).

use super::{Call, resolve, retry};
use crate::error::{Result, SqsError};
use crate::md5::{attributes_md5, md5_hex};
use crate::message::{check_attributes, check_body, check_fifo_id, check_system, message_size};
use crate::store::{self, DEDUP, DedupRecord, MessageRecord, QueueRecord, Scope, decode, encode};
use crate::types::*;
use crate::{Sqs, now_ms};
use lamina_storage::WriteBatch;
use sha2::{Digest, Sha256};

/// The FIFO deduplication window.
pub const DEDUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// One message as a producer hands it over.
#[derive(Debug, Clone, Default)]
pub struct Outgoing {
    pub body: String,
    pub attributes: MessageAttrs,
    pub system: MessageAttrs,
    pub delay: Option<i64>,
    pub group: Option<String>,
    pub dedup: Option<String>,
}

const NOT_FOR_THIS_TYPE: &str =
    "The request include parameter that is not valid for this queue type.";

/// Every rule SendMessage applies before anything is written.
pub fn validate(q: &QueueRecord, m: &Outgoing) -> Result<()> {
    check_body(&m.body)?;
    check_attributes(&m.attributes)?;
    check_system(&m.system)?;
    let max = q.num("MaximumMessageSize", crate::attributes::MAX_MESSAGE_SIZE);
    if message_size(&m.body, &m.attributes) as u64 > max {
        return Err(SqsError::InvalidParameterValue(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {max} bytes."
        )));
    }
    if let Some(d) = m.delay {
        if q.fifo() {
            return Err(SqsError::invalid(d, "DelaySeconds", NOT_FOR_THIS_TYPE));
        }
        if !(0..=900).contains(&d) {
            return Err(SqsError::invalid(
                d,
                "DelaySeconds",
                "DelaySeconds must be >= 0 and <= 900",
            ));
        }
    }
    if let Some(g) = &m.group {
        check_fifo_id(g, "MessageGroupId")?;
    }
    if q.fifo() {
        if m.group.is_none() {
            return Err(SqsError::MissingParameter("MessageGroupId".into()));
        }
        match &m.dedup {
            Some(d) => check_fifo_id(d, "MessageDeduplicationId")?,
            None if !q.flag("ContentBasedDeduplication") => {
                return Err(SqsError::InvalidParameterValue(
                    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly".into(),
                ));
            }
            None => {}
        }
    } else if let Some(d) = &m.dedup {
        return Err(SqsError::invalid(
            d,
            "MessageDeduplicationId",
            NOT_FOR_THIS_TYPE,
        ));
    }
    Ok(())
}

fn new_message_id() -> String {
    lamina_core::new_request_id()
}

/// Validates and durably enqueues one message; wakes long-polling receivers.
pub async fn enqueue(
    sqs: &Sqs,
    scope: &Scope,
    q: &QueueRecord,
    m: Outgoing,
    sender: &str,
) -> Result<SendMessageResult> {
    validate(q, &m)?;
    let md5_body = md5_hex(m.body.as_bytes());
    let md5_attributes = attributes_md5(&m.attributes);
    let md5_system = attributes_md5(&m.system);
    let fifo = q.fifo();
    let dedup = if fifo {
        Some(
            m.dedup
                .clone()
                .unwrap_or_else(|| hex::encode(Sha256::digest(m.body.as_bytes()))),
        )
    } else {
        None
    };
    let result = retry(|| async {
        let now = now_ms();
        let delay = m
            .delay
            .map(|d| d as u64)
            .unwrap_or_else(|| q.num("DelaySeconds", 0));
        let seq = sqs.next_seq();
        let id = new_message_id();
        let mut b = WriteBatch::new();
        let mut sequence = None;
        if let Some(d) = &dedup {
            let group = (q.attributes.get("DeduplicationScope").map(String::as_str)
                == Some("messageGroup"))
            .then_some(m.group.as_deref())
            .flatten();
            let dkey = store::dedup_key(scope, &q.id, group, d);
            let existing = sqs.table.store.get(DEDUP, &dkey).await?;
            if let Some(raw) = &existing {
                let rec: DedupRecord = decode(raw)?;
                if rec.expires > now {
                    return Ok(SendMessageResult {
                        md5_of_message_body: md5_body.clone(),
                        md5_of_message_attributes: md5_attributes.clone(),
                        md5_of_message_system_attributes: md5_system.clone(),
                        message_id: rec.message_id,
                        sequence_number: rec.sequence,
                    });
                }
            }
            sequence = Some(format!("{seq:020}"));
            b.require(DEDUP, dkey.clone(), existing);
            b.put(
                DEDUP,
                dkey,
                encode(&DedupRecord {
                    v: store::FORMAT,
                    message_id: id.clone(),
                    sequence: sequence.clone(),
                    expires: now + DEDUP_WINDOW_MS,
                })?,
            );
        }
        let visible_at = now + delay * 1000;
        let rec = MessageRecord {
            v: store::FORMAT,
            id: id.clone(),
            body: m.body.clone(),
            attributes: m.attributes.clone(),
            system: m.system.clone(),
            md5_body: md5_body.clone(),
            md5_attributes: md5_attributes.clone(),
            md5_system: md5_system.clone(),
            sent: now,
            first_receive: None,
            receive_count: 0,
            receive_id: None,
            visible_at,
            group: m.group.clone(),
            dedup: dedup.clone(),
            sequence: sequence.clone(),
            sender: sender.to_string(),
            dlq_source: None,
            seq,
        };
        let available = if fifo { 0 } else { visible_at };
        store::put_message(&mut b, scope, &q.id, available, &rec)?;
        sqs.table.commit(b).await?;
        Ok(SendMessageResult {
            md5_of_message_body: md5_body.clone(),
            md5_of_message_attributes: md5_attributes.clone(),
            md5_of_message_system_attributes: md5_system.clone(),
            message_id: id,
            sequence_number: sequence,
        })
    })
    .await?;
    sqs.wake(&q.id);
    Ok(result)
}

pub async fn send(
    sqs: &Sqs,
    call: &Call<'_>,
    req: SendMessageRequest,
) -> Result<SendMessageResult> {
    let (scope, q) = resolve(sqs, call, &req.queue_url).await?;
    let m = Outgoing {
        body: req.message_body,
        attributes: req.message_attributes.unwrap_or_default(),
        system: req.message_system_attributes.unwrap_or_default(),
        delay: req.delay_seconds,
        group: req.message_group_id,
        dedup: req.message_deduplication_id,
    };
    enqueue(sqs, &scope, &q.rec, m, &call.scope.account).await
}
