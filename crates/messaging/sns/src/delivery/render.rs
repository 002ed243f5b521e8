//! What a delivery looks like on the wire: the SNS JSON envelope (signed), the raw form with
//! SQS message attributes, the Lambda event, and the URLs inside them.

use crate::sign::{Signer, canonical};
use crate::store::Delivery;
use serde_json::{Map, Value, json};

/// Where Lamina serves the signing certificate.
pub const CERT_PATH: &str = "/_lamina/sns/SimpleNotificationService.pem";

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn cert_url(endpoint: &str) -> String {
    format!("{endpoint}{CERT_PATH}")
}

/// A GET on it confirms the subscription through the ordinary query protocol path.
pub fn subscribe_url(endpoint: &str, topic_arn: &str, token: &str) -> String {
    format!(
        "{endpoint}/?Action=ConfirmSubscription&TopicArn={}&Token={}&Version=2010-03-31",
        enc(topic_arn),
        enc(token)
    )
}

pub fn unsubscribe_url(endpoint: &str, subscription_arn: &str) -> String {
    format!(
        "{endpoint}/?Action=Unsubscribe&SubscriptionArn={}&Version=2010-03-31",
        enc(subscription_arn)
    )
}

/// SNS message attributes as envelopes carry them: `{"Type": .., "Value": ..}`.
pub fn envelope_attributes(attrs: &Map<String, Value>) -> Map<String, Value> {
    attrs
        .iter()
        .map(|(k, a)| {
            let value = a
                .get("StringValue")
                .or_else(|| a.get("BinaryValue"))
                .cloned()
                .unwrap_or(Value::Null);
            (
                k.clone(),
                json!({"Type": a.get("DataType").cloned().unwrap_or(Value::Null), "Value": value}),
            )
        })
        .collect()
}

/// SQS message attributes for raw delivery (`String.Array` becomes `String`).
pub fn sqs_attributes(attrs: &Map<String, Value>) -> Map<String, Value> {
    attrs
        .iter()
        .map(|(k, a)| {
            let dt = a.get("DataType").and_then(Value::as_str).unwrap_or("String");
            let v = if dt.starts_with("Binary") {
                json!({"DataType": dt, "BinaryValue": a.get("BinaryValue").cloned().unwrap_or(Value::Null)})
            } else {
                let dt = if dt == "String.Array" { "String" } else { dt };
                json!({"DataType": dt, "StringValue": a.get("StringValue").cloned().unwrap_or(Value::Null)})
            };
            (k.clone(), v)
        })
        .collect()
}

/// The string that is signed for this delivery.
pub fn string_to_sign(d: &Delivery) -> String {
    if d.kind == "Notification" {
        canonical(&[
            ("Message", Some(&d.message)),
            ("MessageId", Some(&d.message_id)),
            ("Subject", d.subject.as_deref()),
            ("Timestamp", Some(&d.timestamp)),
            ("TopicArn", Some(&d.topic_arn)),
            ("Type", Some(&d.kind)),
        ])
    } else {
        let token = d.token.clone().unwrap_or_default();
        let url = subscribe_url(&d.endpoint_url, &d.topic_arn, &token);
        canonical(&[
            ("Message", Some(&d.message)),
            ("MessageId", Some(&d.message_id)),
            ("SubscribeURL", Some(&url)),
            ("Timestamp", Some(&d.timestamp)),
            ("Token", Some(&token)),
            ("TopicArn", Some(&d.topic_arn)),
            ("Type", Some(&d.kind)),
        ])
    }
}

/// The JSON envelope, fields in the order AWS writes them.
pub fn envelope(d: &Delivery, signer: &Signer) -> Result<Map<String, Value>, String> {
    let signature = signer.sign(d.signature_version, &string_to_sign(d))?;
    let mut m = Map::new();
    m.insert("Type".into(), json!(d.kind));
    m.insert("MessageId".into(), json!(d.message_id));
    if let Some(t) = &d.token {
        m.insert("Token".into(), json!(t));
    }
    m.insert("TopicArn".into(), json!(d.topic_arn));
    if let Some(s) = &d.subject {
        m.insert("Subject".into(), json!(s));
    }
    m.insert("Message".into(), json!(d.message));
    if let Some(t) = &d.token {
        m.insert(
            "SubscribeURL".into(),
            json!(subscribe_url(&d.endpoint_url, &d.topic_arn, t)),
        );
    }
    m.insert("Timestamp".into(), json!(d.timestamp));
    if let Some(s) = &d.sequence {
        m.insert("SequenceNumber".into(), json!(s));
    }
    m.insert(
        "SignatureVersion".into(),
        json!(d.signature_version.to_string()),
    );
    m.insert("Signature".into(), json!(signature));
    m.insert("SigningCertURL".into(), json!(cert_url(&d.endpoint_url)));
    if d.kind == "Notification" {
        m.insert(
            "UnsubscribeURL".into(),
            json!(unsubscribe_url(&d.endpoint_url, &d.subscription_arn)),
        );
        if !d.attributes.is_empty() {
            m.insert(
                "MessageAttributes".into(),
                Value::Object(envelope_attributes(&d.attributes)),
            );
        }
    }
    Ok(m)
}

/// The event Lambda receives from an SNS subscription.
pub fn lambda_event(d: &Delivery, signer: &Signer) -> Result<Value, String> {
    let signature = signer.sign(d.signature_version, &string_to_sign(d))?;
    Ok(json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": d.subscription_arn,
            "Sns": {
                "Type": d.kind,
                "MessageId": d.message_id,
                "TopicArn": d.topic_arn,
                "Subject": d.subject,
                "Message": d.message,
                "Timestamp": d.timestamp,
                "SignatureVersion": d.signature_version.to_string(),
                "Signature": signature,
                "SigningCertUrl": cert_url(&d.endpoint_url),
                "UnsubscribeUrl": unsubscribe_url(&d.endpoint_url, &d.subscription_arn),
                "MessageAttributes": envelope_attributes(&d.attributes),
            }
        }]
    }))
}
