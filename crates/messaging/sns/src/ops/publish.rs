//! Publish and PublishBatch: validation with AWS's messages, FIFO sequencing and
//! deduplication, filter policies, and the outbox records written with the acknowledgement.

use super::subscriptions::{filter_of, valid_phone};
use super::{Ctx, MAX_ATTEMPTS, message_size, parse_topic_arn, validate_message_attributes};
use crate::Inner;
use crate::error::{Result, SnsError};
use crate::filter::{AttributeValue, Scope as FilterScope};
use crate::store::{self, DedupRecord, Delivery, Scope, SubRecord, TopicRecord};
use crate::types::{
    BatchResultErrorEntry, MessageAttributes, PublishBatchInput, PublishBatchRequestEntry,
    PublishBatchResponse, PublishBatchResultEntry, PublishInput, PublishResponse,
};
use lamina_storage::{StoreError, WriteBatch};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// 256 KiB: the largest message (body plus attributes).
pub const MAX_MESSAGE_BYTES: usize = 262_144;
/// FIFO deduplication window.
pub const DEDUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// A message that passed validation.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub message: String,
    /// `MessageStructure=json`: the per-protocol messages (with `default`).
    pub structured: Option<Map<String, Value>>,
    pub subject: Option<String>,
    pub attributes: MessageAttributes,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
}

impl Prepared {
    /// The message a subscription of `protocol` receives.
    pub fn message_for(&self, protocol: &str) -> String {
        match &self.structured {
            Some(m) => m
                .get(protocol)
                .or_else(|| m.get("default"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            None => self.message.clone(),
        }
    }
}

/// Checks one message (Publish or a batch entry) against the topic kind.
pub fn prepare(
    message: String,
    subject: Option<String>,
    structure: Option<String>,
    attributes: Option<MessageAttributes>,
    group_id: Option<String>,
    dedup_id: Option<String>,
    topic: Option<&TopicRecord>,
) -> Result<Prepared> {
    if message.is_empty() {
        return Err(SnsError::invalid("Invalid parameter: Empty message"));
    }
    if let Some(s) = &subject
        && (s.is_empty() || s.chars().count() > 100 || s.chars().any(|c| c.is_control()))
    {
        return Err(SnsError::invalid("Invalid parameter: Subject"));
    }
    let attributes = attributes.unwrap_or_default();
    validate_message_attributes(&attributes)?;
    if message_size(&message, &attributes) > MAX_MESSAGE_BYTES {
        return Err(SnsError::invalid("Invalid parameter: Message too long"));
    }
    let structured = match structure.as_deref() {
        None => None,
        Some("json") => match serde_json::from_str::<Value>(&message) {
            Ok(Value::Object(m)) => {
                if !m.get("default").is_some_and(Value::is_string) {
                    return Err(SnsError::invalid(
                        "Invalid parameter: Message Structure - No default entry in JSON message body",
                    ));
                }
                Some(m)
            }
            _ => {
                return Err(SnsError::invalid(
                    "Invalid parameter: Message Structure - JSON message body failed to parse",
                ));
            }
        },
        Some(_) => {
            return Err(SnsError::invalid(
                "Invalid parameter: MessageStructure Reason: Invalid value. Must be json",
            ));
        }
    };
    let fifo = topic.is_some_and(TopicRecord::fifo);
    let mut dedup_id = dedup_id;
    if fifo {
        if group_id.as_deref().is_none_or(str::is_empty) {
            return Err(SnsError::invalid(
                "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
            ));
        }
        if dedup_id.is_none() {
            if !topic.is_some_and(TopicRecord::content_dedup) {
                return Err(SnsError::invalid(
                    "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
                ));
            }
            dedup_id = Some(hex::encode(Sha256::digest(message.as_bytes())));
        }
    } else if dedup_id.is_some() {
        return Err(SnsError::invalid(
            "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
        ));
    }
    Ok(Prepared {
        message,
        structured,
        subject,
        attributes,
        group_id: if fifo { group_id } else { None },
        dedup_id,
    })
}

/// The attributes as the filter sees them.
fn filter_attributes(attrs: &MessageAttributes) -> Vec<(&str, AttributeValue)> {
    attrs
        .iter()
        .map(|(k, a)| {
            let s = a.string_value.clone().unwrap_or_default();
            let v = if a.data_type.starts_with("Binary") {
                AttributeValue::Binary
            } else if a.data_type.starts_with("Number") {
                AttributeValue::Number(s.trim().parse().unwrap_or(f64::NAN))
            } else if a.data_type == "String.Array" {
                match serde_json::from_str::<Value>(&s) {
                    Ok(Value::Array(items)) => AttributeValue::Array(items),
                    _ => AttributeValue::String(s),
                }
            } else {
                AttributeValue::String(s)
            };
            (k.as_str(), v)
        })
        .collect()
}

fn matches(sub: &SubRecord, p: &Prepared) -> bool {
    let Some(policy) = filter_of(sub) else {
        return true;
    };
    match policy.scope() {
        FilterScope::MessageAttributes => {
            policy.matches_attributes(&filter_attributes(&p.attributes))
        }
        FilterScope::MessageBody => policy.matches_body(&p.message_for(&sub.protocol)),
    }
}

fn attributes_json(attrs: &MessageAttributes) -> Map<String, Value> {
    attrs
        .iter()
        .filter_map(|(k, a)| serde_json::to_value(a).ok().map(|v| (k.clone(), v)))
        .collect()
}

fn dead_letter_arn(sub: &SubRecord) -> Option<String> {
    let policy: Value = serde_json::from_str(sub.attributes.get("RedrivePolicy")?).ok()?;
    policy
        .get("deadLetterTargetArn")
        .and_then(Value::as_str)
        .map(String::from)
}

/// Outbox records for one message: one per confirmed, matching subscription.
#[allow(clippy::too_many_arguments)]
fn deliveries(
    ctx: &Ctx,
    scope: &Scope,
    topic: &TopicRecord,
    subs: &[SubRecord],
    p: &Prepared,
    message_id: &str,
    sequence: Option<&str>,
    now: u64,
    batch: &mut WriteBatch,
) -> Result<()> {
    let timestamp = super::iso_millis(now);
    for sub in subs.iter().filter(|s| s.confirmed && matches(s, p)) {
        let d = Delivery {
            v: store::FORMAT,
            id: super::uuid(),
            account: scope.account.clone(),
            region: scope.region.clone(),
            kind: "Notification".into(),
            protocol: sub.protocol.clone(),
            endpoint: sub.endpoint.clone(),
            topic_arn: topic.arn.clone(),
            subscription_arn: sub.arn.clone(),
            message_id: message_id.to_string(),
            message: p.message_for(&sub.protocol),
            subject: p.subject.clone(),
            attributes: attributes_json(&p.attributes),
            timestamp: timestamp.clone(),
            group_id: p.group_id.clone(),
            dedup_id: p.dedup_id.clone(),
            sequence: sequence.map(String::from),
            token: None,
            signature_version: topic.signature_version(),
            endpoint_url: ctx.endpoint.clone(),
            raw: sub.raw(),
            delivery_policy: sub
                .attributes
                .get("DeliveryPolicy")
                .or_else(|| topic.attributes.get("DeliveryPolicy"))
                .cloned(),
            dead_letter_arn: dead_letter_arn(sub),
            attempts: 0,
        };
        batch.put(
            store::OUTBOX,
            store::timed_key(now, &d.id),
            store::encode(&d)?,
        );
    }
    Ok(())
}

/// Publishes prepared messages to one topic in one atomic batch; returns per message the
/// message id and sequence number.
async fn publish_to_topic(
    inner: &Inner,
    ctx: &Ctx,
    scope: &Scope,
    topic_name: &str,
    messages: &[Prepared],
) -> Result<Vec<(String, Option<String>)>> {
    let topic_key = store::topic_key(scope, topic_name);
    for _ in 0..MAX_ATTEMPTS {
        let Some(loaded) = inner.table.topic(scope, topic_name).await? else {
            return Err(SnsError::topic_not_found());
        };
        let mut topic = loaded.value;
        let subs: Vec<SubRecord> = inner
            .table
            .subs(scope, Some(topic_name))
            .await?
            .into_iter()
            .map(|l| l.value)
            .collect();
        let now = super::now_ms();
        let mut batch = WriteBatch::new();
        let mut results = Vec::with_capacity(messages.len());
        let mut seen = std::collections::HashMap::new();
        for p in messages {
            if topic.fifo() {
                let dedup = p.dedup_id.clone().unwrap_or_default();
                if let Some(prev) = seen.get(&dedup) {
                    results.push(Clone::clone(prev));
                    continue;
                }
                let dkey = store::dedup_key(scope, topic_name, &dedup);
                let existing = inner.table.get::<DedupRecord>(store::DEDUP, &dkey).await?;
                if let Some(d) = existing.as_ref().filter(|d| d.value.expires_ms > now) {
                    results.push((d.value.message_id.clone(), d.value.sequence.clone()));
                    continue;
                }
                topic.seq += 1;
                let sequence = format!("{}", 10_000_000_000_000_000_000u64 + topic.seq);
                let message_id = super::uuid();
                let record = DedupRecord {
                    v: store::FORMAT,
                    message_id: message_id.clone(),
                    sequence: Some(sequence.clone()),
                    expires_ms: now + DEDUP_WINDOW_MS,
                };
                match existing {
                    Some(e) => batch.require_equals(store::DEDUP, dkey.clone(), e.raw),
                    None => batch.require_absent(store::DEDUP, dkey.clone()),
                };
                batch.put(store::DEDUP, dkey, store::encode(&record)?);
                deliveries(
                    ctx,
                    scope,
                    &topic,
                    &subs,
                    p,
                    &message_id,
                    Some(&sequence),
                    now,
                    &mut batch,
                )?;
                let r = (message_id, Some(sequence));
                seen.insert(dedup, r.clone());
                results.push(r);
            } else {
                let message_id = super::uuid();
                deliveries(
                    ctx,
                    scope,
                    &topic,
                    &subs,
                    p,
                    &message_id,
                    None,
                    now,
                    &mut batch,
                )?;
                results.push((message_id, None));
            }
        }
        if topic.fifo() {
            batch.require_equals(store::TOPICS, topic_key.clone(), loaded.raw);
            batch.put(store::TOPICS, topic_key.clone(), store::encode(&topic)?);
        } else {
            batch.require_exists(store::TOPICS, topic_key.clone());
        }
        match inner.table.commit(batch).await {
            Ok(()) => {
                inner.wake.notify_one();
                return Ok(results);
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(SnsError::ConcurrentAccess)
}

async fn sms(inner: &Inner, ctx: &Ctx, phone: &str, p: &Prepared) -> Result<String> {
    let now = super::now_ms();
    let message_id = super::uuid();
    let d = crate::store::Inspected {
        v: store::FORMAT,
        account: ctx.scope.account.clone(),
        region: ctx.scope.region.clone(),
        protocol: "sms".into(),
        endpoint: phone.to_string(),
        topic_arn: String::new(),
        subscription_arn: String::new(),
        kind: "Notification".into(),
        message_id: message_id.clone(),
        subject: p.subject.clone(),
        message: p.message_for("sms"),
        body: p.message_for("sms"),
        timestamp: super::iso_millis(now),
    };
    let mut batch = WriteBatch::new();
    batch.put(
        store::MESSAGES,
        store::timed_key(now, &message_id),
        store::encode(&d)?,
    );
    inner.table.commit(batch).await?;
    Ok(message_id)
}

pub async fn publish(inner: &Inner, ctx: &Ctx, input: PublishInput) -> Result<PublishResponse> {
    let target = input.topic_arn.clone().or_else(|| input.target_arn.clone());
    if let Some(arn) = target {
        let is_topic = arn.split(':').count() == 6;
        if !is_topic {
            return Err(SnsError::invalid(
                "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified",
            ));
        }
        let (scope, name) = parse_topic_arn(ctx, &arn)?;
        let topic = inner
            .table
            .topic(&scope, &name)
            .await?
            .ok_or_else(SnsError::topic_not_found)?
            .value;
        let p = prepare(
            input.message,
            input.subject,
            input.message_structure,
            input.message_attributes,
            input.message_group_id,
            input.message_deduplication_id,
            Some(&topic),
        )?;
        let mut r = publish_to_topic(inner, ctx, &scope, &name, std::slice::from_ref(&p)).await?;
        let (message_id, sequence_number) = r.pop().unwrap_or_default();
        return Ok(PublishResponse {
            message_id,
            sequence_number,
        });
    }
    let Some(phone) = input.phone_number.clone() else {
        return Err(SnsError::invalid(
            "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
        ));
    };
    if !valid_phone(&phone) {
        return Err(SnsError::invalid(format!(
            "Invalid parameter: PhoneNumber Reason: {phone} is not valid to publish to"
        )));
    }
    let p = prepare(
        input.message,
        input.subject,
        input.message_structure,
        input.message_attributes,
        None,
        None,
        None,
    )?;
    Ok(PublishResponse {
        message_id: sms(inner, ctx, &phone, &p).await?,
        sequence_number: None,
    })
}

fn valid_entry_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 80
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub async fn publish_batch(
    inner: &Inner,
    ctx: &Ctx,
    input: PublishBatchInput,
) -> Result<PublishBatchResponse> {
    let entries = input.publish_batch_request_entries;
    if entries.is_empty() {
        return Err(SnsError::EmptyBatchRequest);
    }
    if entries.len() > 10 {
        return Err(SnsError::TooManyEntriesInBatchRequest);
    }
    let mut ids = HashSet::new();
    for e in &entries {
        if !ids.insert(e.id.as_str()) {
            return Err(SnsError::BatchEntryIdsNotDistinct);
        }
    }
    if entries.iter().any(|e| !valid_entry_id(&e.id)) {
        return Err(SnsError::InvalidBatchEntryId);
    }
    let total: usize = entries
        .iter()
        .map(|e| {
            message_size(
                &e.message,
                &e.message_attributes.clone().unwrap_or_default(),
            )
        })
        .sum();
    if total > MAX_MESSAGE_BYTES {
        return Err(SnsError::BatchRequestTooLong);
    }
    let (scope, name) = parse_topic_arn(ctx, &input.topic_arn)?;
    let topic = inner
        .table
        .topic(&scope, &name)
        .await?
        .ok_or_else(SnsError::topic_not_found)?
        .value;
    let mut ok_entries: Vec<(String, Prepared)> = Vec::new();
    let mut failed = Vec::new();
    for e in entries {
        let PublishBatchRequestEntry {
            id,
            message,
            subject,
            message_structure,
            message_attributes,
            message_deduplication_id,
            message_group_id,
        } = e;
        if topic.fifo() && message_group_id.as_deref().is_none_or(str::is_empty) {
            // AWS rejects the whole batch for this one.
            return Err(SnsError::invalid(
                "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
            ));
        }
        match prepare(
            message,
            subject,
            message_structure,
            message_attributes,
            message_group_id,
            message_deduplication_id,
            Some(&topic),
        ) {
            Ok(p) => ok_entries.push((id, p)),
            Err(err) => failed.push(BatchResultErrorEntry {
                id,
                code: err.code().code.to_string(),
                message: err.to_string(),
                sender_fault: true,
            }),
        }
    }
    let prepared: Vec<Prepared> = ok_entries.iter().map(|(_, p)| p.clone()).collect();
    let results = if prepared.is_empty() {
        vec![]
    } else {
        publish_to_topic(inner, ctx, &scope, &name, &prepared).await?
    };
    let successful = ok_entries
        .into_iter()
        .zip(results)
        .map(
            |((id, _), (message_id, sequence_number))| PublishBatchResultEntry {
                id,
                message_id,
                sequence_number,
            },
        )
        .collect();
    Ok(PublishBatchResponse { successful, failed })
}
