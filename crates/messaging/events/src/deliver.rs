//! Building events and handing them to targets: Lambda (asynchronous invoke), SQS, SNS,
//! through the bus traits. `Input` replaces the event with constant JSON text, `InputPath`
//! sends the part of the event a `$.a.b` path selects.

use crate::Inner;
use crate::store::{RuleRecord, Scope};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use lamina_bus::{InvocationType, InvokeRequest, QueueMessage, TopicMessage};
use serde_json::{Value, json};

/// The target services Lamina delivers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Lambda,
    Sqs,
    Sns,
}

impl Kind {
    pub fn of(arn: &str) -> Option<Kind> {
        let mut parts = arn.split(':');
        if parts.next() != Some("arn") {
            return None;
        }
        match parts.nth(1) {
            Some("lambda") => Some(Kind::Lambda),
            Some("sqs") => Some(Kind::Sqs),
            Some("sns") => Some(Kind::Sns),
            _ => None,
        }
    }
}

/// `$` or `$.a.b`: the field names, or `None` when the path is not of that form.
pub fn parse_path(p: &str) -> Option<Vec<String>> {
    let rest = p.strip_prefix('$')?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let rest = rest.strip_prefix('.')?;
    let segs: Vec<String> = rest.split('.').map(str::to_string).collect();
    if segs
        .iter()
        .any(|s| s.is_empty() || s.contains(['[', ']', '*', ' ']))
    {
        return None;
    }
    Some(segs)
}

/// The text a target receives for `event`, or `None` when its InputPath selects nothing.
pub fn payload(target: &Value, event: &Value) -> Option<String> {
    if let Some(i) = target.get("Input").and_then(Value::as_str) {
        return Some(i.to_string());
    }
    if let Some(p) = target.get("InputPath").and_then(Value::as_str) {
        let mut v = event;
        for seg in parse_path(p)? {
            v = v.get(&seg)?;
        }
        return Some(v.to_string());
    }
    Some(event.to_string())
}

/// ISO 8601 in UTC, seconds precision, as EventBridge writes `time`.
pub fn iso(epoch: i64) -> String {
    DateTime::<Utc>::from_timestamp(epoch, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The event a schedule sends at `at`.
pub fn scheduled_event(rule: &RuleRecord, at: i64) -> Value {
    let s = Scope {
        account: rule.account.clone(),
        region: rule.region.clone(),
    };
    json!({
        "version": "0",
        "id": lamina_core::new_request_id(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule.account,
        "time": iso(at),
        "region": rule.region,
        "resources": [s.rule_arn(&rule.bus, &rule.name)],
        "detail": {},
    })
}

/// Delivers `event` to every target of `rule`; returns how many deliveries were accepted.
/// Failures are logged: the event is not retried (see the crate's known differences).
pub async fn deliver(inner: &Inner, rule: &RuleRecord, event: &Value) -> usize {
    let mut ok = 0;
    for t in &rule.targets {
        let arn = t["Arn"].as_str().unwrap_or_default();
        let Some(body) = payload(t, event) else {
            tracing::debug!(rule = %rule.name, target = arn, "input path selects nothing; not delivered");
            continue;
        };
        let r = deliver_one(inner, rule, t, arn, body, event).await;
        match r {
            Ok(()) => ok += 1,
            Err(e) => {
                tracing::warn!(rule = %rule.name, target = arn, error = %e, "event delivery failed")
            }
        }
    }
    ok
}

async fn deliver_one(
    inner: &Inner,
    rule: &RuleRecord,
    t: &Value,
    arn: &str,
    body: String,
    event: &Value,
) -> Result<(), String> {
    match Kind::of(arn) {
        Some(Kind::Lambda) => {
            let inv = inner.invoker.get().ok_or("no lambda invoker wired")?;
            inv.invoke(InvokeRequest {
                account_id: rule.account.clone(),
                region: rule.region.clone(),
                function: arn.to_string(),
                qualifier: None,
                payload: Bytes::from(body),
                invocation_type: InvocationType::Event,
            })
            .await
            .map(|_| ())
            .map_err(|e| format!("{}: {}", e.code, e.message))
        }
        Some(Kind::Sqs) => {
            let q = inner.queues.get().ok_or("no sqs sender wired")?;
            let fifo = arn.ends_with(".fifo");
            let group = t
                .pointer("/SqsParameters/MessageGroupId")
                .and_then(Value::as_str)
                .map(str::to_string);
            q.send(
                arn,
                QueueMessage {
                    body,
                    group_id: group,
                    // FIFO queues deduplicate on the event id, as EventBridge does.
                    deduplication_id: fifo
                        .then(|| event["id"].as_str().map(str::to_string))
                        .flatten(),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ())
            .map_err(|e| format!("{}: {}", e.code, e.message))
        }
        Some(Kind::Sns) => {
            let p = inner.topics.get().ok_or("no sns publisher wired")?;
            p.publish(
                arn,
                TopicMessage {
                    message: body,
                    ..Default::default()
                },
            )
            .await
            .map(|_| ())
            .map_err(|e| format!("{}: {}", e.code, e.message))
        }
        None => Err("unsupported target".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_paths_payloads() {
        assert_eq!(
            Kind::of("arn:aws:lambda:us-east-1:1:function:f"),
            Some(Kind::Lambda)
        );
        assert_eq!(Kind::of("arn:aws:sqs:us-east-1:1:q"), Some(Kind::Sqs));
        assert_eq!(Kind::of("arn:aws:sns:us-east-1:1:t"), Some(Kind::Sns));
        assert_eq!(Kind::of("arn:aws:states:us-east-1:1:stateMachine:s"), None);
        assert_eq!(Kind::of("nonsense"), None);
        assert_eq!(parse_path("$"), Some(vec![]));
        assert_eq!(
            parse_path("$.detail.a"),
            Some(vec!["detail".into(), "a".into()])
        );
        assert_eq!(parse_path("detail"), None);
        assert_eq!(parse_path("$..a"), None);
        let ev = json!({"detail": {"a": {"b": 1}}, "id": "x"});
        assert_eq!(
            payload(&json!({"Input": "{\"k\":1}"}), &ev).unwrap(),
            "{\"k\":1}"
        );
        assert_eq!(
            payload(&json!({"InputPath": "$.detail.a"}), &ev).unwrap(),
            "{\"b\":1}"
        );
        assert_eq!(payload(&json!({"InputPath": "$.nope"}), &ev), None);
        assert_eq!(payload(&json!({}), &ev).unwrap(), ev.to_string());
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn scheduled_event_shape() {
        let r = RuleRecord {
            v: 1,
            account: "123".into(),
            region: "eu-west-1".into(),
            bus: "default".into(),
            name: "tick".into(),
            event_pattern: None,
            schedule: Some("rate(1 minute)".into()),
            schedule_since: 0,
            state: "ENABLED".into(),
            description: None,
            role_arn: None,
            targets: vec![],
            tags: vec![],
            created: 0.0,
        };
        let e = scheduled_event(&r, 60);
        assert_eq!(e["detail-type"], "Scheduled Event");
        assert_eq!(e["source"], "aws.events");
        assert_eq!(e["time"], "1970-01-01T00:01:00Z");
        assert_eq!(e["resources"][0], "arn:aws:events:eu-west-1:123:rule/tick");
        assert_eq!(e["detail"], json!({}));
        assert_eq!(e["id"].as_str().unwrap().len(), 36);
    }
}
