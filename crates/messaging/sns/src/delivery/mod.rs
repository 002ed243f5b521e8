//! The delivery task: reads due outbox records, delivers each to its endpoint, retries with
//! backoff (the delivery policy for http/https), dead-letters to the subscription DLQ, and
//! deletes the record only after the outcome is settled — at-least-once across restarts.

pub mod http;
pub mod render;
pub mod tls;

use crate::Inner;
use crate::error::{Result, SnsError};
use crate::ops::{self, Ctx};
use crate::sign::Signer;
use crate::store::{self, Delivery, Inspected, KeyRecord, Scope, SubRecord, TopicRecord};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use lamina_bus::{InvocationType, InvokeRequest, QueueMessage};
use lamina_storage::{Range, StoreError, WriteBatch};
use serde_json::{Map, Value};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

/// Records handled per pass, and deliveries in flight at once.
const PASS_LIMIT: usize = 256;
const CONCURRENCY: usize = 32;
/// Retry delays to SQS and Lambda are capped here.
const MAX_RETRY_MS: u64 = 60_000;

/// The signer, loaded from the store or generated once (and stored) on first use.
/// The TLS connector of `https` deliveries, built on first use from the configuration.
pub fn https(inner: &Inner) -> &std::result::Result<tokio_rustls::TlsConnector, String> {
    inner
        .tls
        .get_or_init(|| tls::connector(&inner.config.https))
}

pub async fn signer(inner: &Inner) -> Result<Arc<Signer>> {
    inner
        .signer
        .get_or_try_init(|| async {
            let key = b"signing".to_vec();
            loop {
                if let Some(l) = inner.table.get::<KeyRecord>(store::KEYS, &key).await? {
                    let k = l.value;
                    let der = |s: &str| {
                        STANDARD
                            .decode(s)
                            .map_err(|e| SnsError::Internal(format!("signing key: {e}")))
                    };
                    let s = Signer::from_der(&der(&k.key_der)?, der(&k.cert_der)?)
                        .map_err(SnsError::Internal)?;
                    return Ok(Arc::new(s));
                }
                let now = (ops::now_ms() / 1000) as i64;
                let generated = tokio::task::spawn_blocking(move || Signer::generate(now))
                    .await
                    .map_err(|e| SnsError::Internal(e.to_string()))?
                    .map_err(SnsError::Internal)?;
                let record = KeyRecord {
                    v: store::FORMAT,
                    key_der: STANDARD.encode(generated.key_der().map_err(SnsError::Internal)?),
                    cert_der: STANDARD.encode(generated.cert_der()),
                };
                let mut batch = WriteBatch::new();
                batch.require_absent(store::KEYS, key.clone());
                batch.put(store::KEYS, key.clone(), store::encode(&record)?);
                match inner.table.commit(batch).await {
                    Ok(()) => return Ok(Arc::new(generated)),
                    // Another node stored one first: use theirs.
                    Err(StoreError::Conflict { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        })
        .await
        .cloned()
}

/// Queues the SubscriptionConfirmation of a new http/https/email subscription in `batch`.
pub fn confirmation(
    batch: &mut WriteBatch,
    scope: &Scope,
    ctx: &Ctx,
    topic: &TopicRecord,
    sub: &SubRecord,
) -> Result<()> {
    let now = ops::now_ms();
    let d = Delivery {
        v: store::FORMAT,
        id: ops::uuid(),
        account: scope.account.clone(),
        region: scope.region.clone(),
        kind: "SubscriptionConfirmation".into(),
        protocol: sub.protocol.clone(),
        endpoint: sub.endpoint.clone(),
        topic_arn: topic.arn.clone(),
        subscription_arn: sub.arn.clone(),
        message_id: ops::uuid(),
        message: format!(
            "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
            topic.arn
        ),
        subject: None,
        attributes: Map::new(),
        timestamp: ops::iso_millis(now),
        group_id: None,
        dedup_id: None,
        sequence: None,
        token: Some(sub.token.clone()),
        signature_version: topic.signature_version(),
        endpoint_url: ctx.endpoint.clone(),
        raw: false,
        delivery_policy: sub
            .attributes
            .get("DeliveryPolicy")
            .or_else(|| topic.attributes.get("DeliveryPolicy"))
            .cloned(),
        dead_letter_arn: None,
        attempts: 0,
    };
    batch.put(
        store::OUTBOX,
        store::timed_key(now, &d.id),
        store::encode(&d)?,
    );
    Ok(())
}

/// The delivery loop; never returns.
pub async fn run(inner: Arc<Inner>) {
    let mut last_sweep = 0u64;
    loop {
        let handled = match pass(&inner).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "sns delivery pass failed");
                0
            }
        };
        let now = ops::now_ms();
        if now.saturating_sub(last_sweep) > 60_000 {
            last_sweep = now;
            if let Err(e) = sweep_dedup(&inner, now).await {
                tracing::warn!(error = %e, "sns dedup sweep failed");
            }
        }
        if handled == 0 {
            let idle = Duration::from_millis(inner.config.idle_poll_ms);
            let _ = tokio::time::timeout(idle, inner.wake.notified()).await;
        }
    }
}

async fn sweep_dedup(inner: &Inner, now: u64) -> Result<()> {
    let entries = inner.table.scan_prefix(store::DEDUP, b"", None, 0).await?;
    let mut batch = WriteBatch::new();
    for (k, raw) in entries {
        let d: store::DedupRecord = store::decode(&raw)?;
        if d.expires_ms <= now {
            batch.require_equals(store::DEDUP, k.clone(), raw);
            batch.delete(store::DEDUP, k);
        }
    }
    if !batch.is_empty() {
        match inner.table.commit(batch).await {
            Ok(()) | Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Handles every record due now; returns how many.
pub async fn pass(inner: &Arc<Inner>) -> Result<usize> {
    let now = ops::now_ms();
    let end = format!("{:020}", now + 1).into_bytes();
    let range = Range {
        start: Bound::Unbounded,
        end: Bound::Excluded(end),
    };
    let due = inner
        .table
        .store
        .scan(
            store::OUTBOX,
            range,
            lamina_storage::Direction::Forward,
            PASS_LIMIT,
        )
        .await?;
    let count = due.len();
    let mut tasks = tokio::task::JoinSet::new();
    for (key, raw) in due {
        while tasks.len() >= CONCURRENCY {
            let _ = tasks.join_next().await;
        }
        let inner = inner.clone();
        tasks.spawn(async move {
            if let Err(e) = settle(&inner, key, raw).await {
                tracing::warn!(error = %e, "sns delivery bookkeeping failed");
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(count)
}

/// Delivers one record and records the outcome.
async fn settle(inner: &Inner, key: Vec<u8>, raw: Vec<u8>) -> Result<()> {
    let mut d: Delivery = store::decode(&raw)?;
    let outcome = attempt(inner, &d).await;
    let mut batch = WriteBatch::new();
    batch.require_equals(store::OUTBOX, key.clone(), raw);
    batch.delete(store::OUTBOX, key);
    match outcome {
        Ok(()) => {}
        Err(reason) => match retry_delay(inner, &d) {
            Some(delay) => {
                tracing::debug!(protocol = %d.protocol, endpoint = %d.endpoint, attempt = d.attempts + 1, %reason, "sns delivery failed, will retry");
                d.attempts += 1;
                let at = ops::now_ms() + delay;
                batch.put(
                    store::OUTBOX,
                    store::timed_key(at, &d.id),
                    store::encode(&d)?,
                );
            }
            None => {
                tracing::warn!(protocol = %d.protocol, endpoint = %d.endpoint, subscription = %d.subscription_arn, %reason, "sns delivery failed for good");
                dead_letter(inner, &d).await;
            }
        },
    }
    match inner.table.commit(batch).await {
        // Someone else settled it (another node); nothing to do.
        Ok(()) | Err(StoreError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn dead_letter(inner: &Inner, d: &Delivery) {
    let Some(dlq) = &d.dead_letter_arn else {
        return;
    };
    let Some(queues) = inner.queues.get() else {
        tracing::warn!(dlq = %dlq, "no SQS wired for the subscription dead-letter queue");
        return;
    };
    let message = match sqs_message(inner, d).await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "rendering a dead-lettered message");
            return;
        }
    };
    if let Err(e) = queues.send(dlq, message).await {
        tracing::warn!(dlq = %dlq, code = %e.code, message = %e.message, "sending to the subscription dead-letter queue failed");
    }
}

/// `None`: no more retries.
fn retry_delay(inner: &Inner, d: &Delivery) -> Option<u64> {
    let retry = d.attempts + 1;
    match d.protocol.as_str() {
        "http" | "https" => http_retry_delay(d.delivery_policy.as_deref(), retry),
        _ if retry < inner.config.max_attempts => {
            let shift = d.attempts.min(16);
            Some((inner.config.retry_base_ms << shift).min(MAX_RETRY_MS))
        }
        _ => None,
    }
}

/// The delay before retry number `retry` (1-based) under an SNS delivery policy (the
/// subscription's `healthyRetryPolicy` or the topic's `http.defaultHealthyRetryPolicy`).
pub fn http_retry_delay(policy: Option<&str>, retry: u32) -> Option<u64> {
    let parsed: Value = policy
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Null);
    let p = parsed
        .get("healthyRetryPolicy")
        .or_else(|| parsed.pointer("/http/defaultHealthyRetryPolicy"))
        .cloned()
        .unwrap_or(Value::Null);
    let num = |k: &str, default: u64| p.get(k).and_then(Value::as_u64).unwrap_or(default);
    let retries = num("numRetries", 3);
    let min = num("minDelayTarget", 20);
    let max = num("maxDelayTarget", 20).max(min);
    let no_delay = num("numNoDelayRetries", 0);
    let min_delay = num("numMinDelayRetries", 0);
    let retry = u64::from(retry);
    if retry > retries {
        return None;
    }
    if retry <= no_delay {
        return Some(0);
    }
    if retry <= no_delay + min_delay {
        return Some(min * 1000);
    }
    let span = retries.saturating_sub(no_delay + min_delay).max(1);
    let step = retry - no_delay - min_delay; // 1..=span
    let secs = match p.get("backoffFunction").and_then(Value::as_str) {
        Some("exponential") | Some("geometric") => {
            let ratio = (max as f64 / min.max(1) as f64)
                .powf((step - 1) as f64 / span.max(2).saturating_sub(1) as f64);
            ((min.max(1) as f64) * ratio).round() as u64
        }
        _ => min + (max - min) * (step - 1) / span.saturating_sub(1).max(1),
    };
    Some(secs.clamp(min, max) * 1000)
}

async fn sqs_message(inner: &Inner, d: &Delivery) -> Result<QueueMessage> {
    let (body, attributes) = if d.raw && d.kind == "Notification" {
        (d.message.clone(), render::sqs_attributes(&d.attributes))
    } else {
        let s = signer(inner).await?;
        let env = render::envelope(d, &s).map_err(SnsError::Internal)?;
        (Value::Object(env).to_string(), Map::new())
    };
    let fifo_queue = d.endpoint.ends_with(".fifo");
    Ok(QueueMessage {
        body,
        attributes,
        group_id: if fifo_queue { d.group_id.clone() } else { None },
        deduplication_id: if fifo_queue {
            d.dedup_id.clone().or_else(|| Some(d.message_id.clone()))
        } else {
            None
        },
    })
}

async fn record(inner: &Inner, d: &Delivery, body: String) -> Result<()> {
    let now = ops::now_ms();
    let i = Inspected {
        v: store::FORMAT,
        account: d.account.clone(),
        region: d.region.clone(),
        protocol: d.protocol.clone(),
        endpoint: d.endpoint.clone(),
        topic_arn: d.topic_arn.clone(),
        subscription_arn: d.subscription_arn.clone(),
        kind: d.kind.clone(),
        message_id: d.message_id.clone(),
        subject: d.subject.clone(),
        message: d.message.clone(),
        body,
        timestamp: d.timestamp.clone(),
    };
    let mut batch = WriteBatch::new();
    batch.put(
        store::MESSAGES,
        store::timed_key(now, &d.id),
        store::encode(&i)?,
    );
    inner.table.commit(batch).await?;
    Ok(())
}

/// One delivery attempt; `Err` carries the reason it failed.
async fn attempt(inner: &Inner, d: &Delivery) -> std::result::Result<(), String> {
    match d.protocol.as_str() {
        "sqs" => {
            let queues = inner.queues.get().ok_or("no SQS service is wired")?;
            let m = sqs_message(inner, d).await.map_err(|e| e.to_string())?;
            queues
                .send(&d.endpoint, m)
                .await
                .map(|_| ())
                .map_err(|e| format!("{}: {}", e.code, e.message))
        }
        "lambda" => {
            let invoker = inner.invoker.get().ok_or("no Lambda service is wired")?;
            let s = signer(inner).await.map_err(|e| e.to_string())?;
            let event = render::lambda_event(d, &s)?;
            let req = InvokeRequest {
                account_id: d.account.clone(),
                region: d.region.clone(),
                function: d.endpoint.clone(),
                qualifier: None,
                payload: Bytes::from(event.to_string()),
                invocation_type: InvocationType::Event,
            };
            invoker
                .invoke(req)
                .await
                .map(|_| ())
                .map_err(|e| format!("{}: {}", e.code, e.message))
        }
        "http" | "https" => {
            let s = signer(inner).await.map_err(|e| e.to_string())?;
            let raw = d.raw && d.kind == "Notification";
            let body = if raw {
                d.message.clone()
            } else {
                Value::Object(render::envelope(d, &s)?).to_string()
            };
            if d.kind != "Notification" {
                record(inner, d, body.clone())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let mut headers = vec![
                ("x-amz-sns-message-type", d.kind.clone()),
                ("x-amz-sns-message-id", d.message_id.clone()),
                ("x-amz-sns-topic-arn", d.topic_arn.clone()),
                ("Content-Type", "text/plain; charset=UTF-8".to_string()),
                (
                    "User-Agent",
                    "Amazon Simple Notification Service Agent".to_string(),
                ),
            ];
            if d.kind == "Notification" {
                headers.push(("x-amz-sns-subscription-arn", d.subscription_arn.clone()));
            }
            if raw {
                headers.push(("x-amz-sns-rawdelivery", "true".to_string()));
            }
            let timeout = Duration::from_millis(inner.config.http_timeout_ms);
            let tls = https(inner).as_ref().map_err(String::as_str);
            match http::post(&d.endpoint, &headers, body.as_bytes(), timeout, tls).await? {
                200..=299 => Ok(()),
                status => Err(format!("endpoint answered {status}")),
            }
        }
        _ => {
            // email, email-json, sms, application, firehose: recorded for inspection only;
            // confirmations and email-json carry the signed envelope.
            let body = if d.kind != "Notification" || d.protocol == "email-json" {
                let s = signer(inner).await.map_err(|e| e.to_string())?;
                Value::Object(render::envelope(d, &s)?).to_string()
            } else {
                d.message.clone()
            };
            record(inner, d, body).await.map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_policy_delays() {
        // AWS's default: 3 retries, 20 s apart
        assert_eq!(http_retry_delay(None, 1), Some(20_000));
        assert_eq!(http_retry_delay(None, 3), Some(20_000));
        assert_eq!(http_retry_delay(None, 4), None);
        let p = r#"{"healthyRetryPolicy":{"numRetries":4,"numNoDelayRetries":1,"minDelayTarget":1,"maxDelayTarget":4,"backoffFunction":"linear"}}"#;
        assert_eq!(http_retry_delay(Some(p), 1), Some(0));
        assert_eq!(http_retry_delay(Some(p), 2), Some(1000));
        assert_eq!(http_retry_delay(Some(p), 4), Some(4000));
        assert_eq!(http_retry_delay(Some(p), 5), None);
        let topic = r#"{"http":{"defaultHealthyRetryPolicy":{"numRetries":0}}}"#;
        assert_eq!(http_retry_delay(Some(topic), 1), None);
    }
}
