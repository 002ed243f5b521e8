//! What an asynchronous invocation leaves behind: the invocation record AWS sends to
//! destinations (`version 1.0`, `requestContext`, `requestPayload`, `responseContext`,
//! `responsePayload`), the dead-letter message (the original event with the `RequestID`,
//! `ErrorCode` and `ErrorMessage` attributes), their delivery to SQS, SNS or another
//! function, and the failed events Lamina keeps when there is nowhere to send them
//! (tree `lambda.failed`).

use crate::Lambda;
use crate::error::Result;
use crate::model;
use crate::store::{self, Scope};
use bytes::Bytes;
use lamina_bus::{InvocationType, InvokeRequest, Invoker, QueueMessage, TopicMessage};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Failed events nobody received.
pub const FAILED: &str = "lambda.failed";

/// Why an event ended up at its failure destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Success,
    RetriesExhausted,
    EventAgeExceeded,
}

impl Condition {
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Success => "Success",
            Condition::RetriesExhausted => "RetriesExhausted",
            Condition::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

/// What the last attempt answered.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub payload: Bytes,
    pub function_error: Option<String>,
    pub executed_version: String,
}

/// A JSON document as-is, anything else as a string (an empty payload is `null`).
fn embed(payload: &[u8]) -> Value {
    if payload.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(payload).into_owned()))
}

/// `2019-11-14T18:16:05.568Z`.
pub fn iso_millis(millis: u64) -> String {
    let t = model::format_timestamp(millis);
    format!("{}Z", t.trim_end_matches("+0000"))
}

/// The invocation record of AWS's destinations.
pub fn destination_record(
    condition: Condition,
    request_id: &str,
    function_arn: &str,
    invoke_count: u32,
    request_payload: &[u8],
    response: Option<&Response>,
) -> Value {
    let mut r = json!({
        "version": "1.0",
        "timestamp": iso_millis(lamina_core::now_epoch_millis()),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition.as_str(),
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": embed(request_payload),
    });
    if let Some(resp) = response {
        let mut ctx = json!({
            "statusCode": resp.status,
            "executedVersion": resp.executed_version,
        });
        if let Some(e) = &resp.function_error {
            ctx["functionError"] = json!(e);
        }
        r["responseContext"] = ctx;
        r["responsePayload"] = embed(&resp.payload);
    }
    r
}

/// `{"DataType": ..., "StringValue": ...}`.
fn attribute(data_type: &str, value: String) -> Value {
    json!({ "DataType": data_type, "StringValue": value })
}

/// The attributes AWS adds to a dead-letter message.
pub fn dead_letter_attributes(request_id: &str, response: Option<&Response>) -> Map<String, Value> {
    let (code, message) = match response {
        Some(r) => {
            let parsed = serde_json::from_slice::<Value>(&r.payload).ok();
            let msg = parsed
                .as_ref()
                .and_then(|v| v.get("errorMessage"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| String::from_utf8_lossy(&r.payload).into_owned());
            (r.status, msg)
        }
        None => (429, "Event age exceeded".to_string()),
    };
    // AWS keeps the first 1 KB of the message.
    let mut message = message;
    if message.len() > 1024 {
        let mut cut = 1024;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
    }
    let mut m = Map::new();
    m.insert("RequestID".into(), attribute("String", request_id.into()));
    m.insert("ErrorCode".into(), attribute("Number", code.to_string()));
    m.insert("ErrorMessage".into(), attribute("String", message));
    m
}

/// Sends `body` to an SQS queue, an SNS topic or (asynchronously) a Lambda function.
pub async fn deliver(
    lambda: &Lambda,
    target_arn: &str,
    body: String,
    attributes: Map<String, Value>,
) -> std::result::Result<(), String> {
    let parts: Vec<&str> = target_arn.split(':').collect();
    let service = parts.get(2).copied().unwrap_or_default();
    match service {
        "sqs" => {
            let q = lambda
                .runtime
                .queues
                .get()
                .ok_or("SQS is not available in this Lamina")?;
            let message = QueueMessage {
                body,
                attributes,
                ..Default::default()
            };
            q.send(target_arn, message)
                .await
                .map(|_| ())
                .map_err(|e| format!("{}: {}", e.code, e.message))
        }
        "sns" => {
            let t = lambda
                .runtime
                .topics
                .get()
                .ok_or("SNS is not available in this Lamina")?;
            let message = TopicMessage {
                subject: None,
                message: body,
                attributes,
            };
            t.publish(target_arn, message)
                .await
                .map(|_| ())
                .map_err(|e| format!("{}: {}", e.code, e.message))
        }
        "lambda" if parts.len() >= 7 => {
            let req = InvokeRequest {
                account_id: parts[4].to_string(),
                region: parts[3].to_string(),
                function: target_arn.to_string(),
                qualifier: None,
                payload: Bytes::from(body),
                invocation_type: InvocationType::Event,
            };
            Invoker::invoke(lambda, req)
                .await
                .map(|_| ())
                .map_err(|e| format!("{}: {}", e.code, e.message))
        }
        _ => Err(format!(
            "destination {target_arn} is not supported by Lamina"
        )),
    }
}

/// A failed event kept in `lambda.failed` (listed by `GET /_lamina/lambda/failed-events`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FailedEvent {
    pub v: u32,
    pub request_id: String,
    pub function_name: String,
    pub qualifier: Option<String>,
    pub condition: String,
    pub approximate_invoke_count: u32,
    /// Epoch milliseconds.
    pub failed_at: u64,
    /// The destination or dead-letter target that could not be reached, if any.
    pub target: Option<String>,
    pub delivery_error: Option<String>,
    /// The destination record (as it would have been sent).
    pub record: Value,
}

pub fn failed_key(scope: &Scope, failed_at: u64, id: &str) -> Vec<u8> {
    scope.key(&[&store::pad(failed_at), id])
}

/// Every failed event of an account and region (all, when `scope` is `None`), oldest first.
pub async fn failed_events(lambda: &Lambda, scope: Option<&Scope>) -> Result<Vec<FailedEvent>> {
    let prefix = scope.map(|s| s.prefix(&[])).unwrap_or_default();
    Ok(store::scan(lambda.store.as_ref(), FAILED, &prefix)
        .await?
        .into_iter()
        .map(|(_, f)| f)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_awss_shape() {
        let resp = Response {
            status: 200,
            payload: Bytes::from_static(br#"{"errorMessage":"boom","errorType":"ValueError"}"#),
            function_error: Some("Unhandled".into()),
            executed_version: "$LATEST".into(),
        };
        let r = destination_record(
            Condition::RetriesExhausted,
            "id-1",
            "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
            3,
            br#"{"a":1}"#,
            Some(&resp),
        );
        assert_eq!(r["version"], "1.0");
        let ts = r["timestamp"].as_str().unwrap();
        assert!(ts.ends_with('Z') && ts.len() == 24, "{ts}");
        assert_eq!(
            r["requestContext"],
            json!({
                "requestId": "id-1",
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": 3,
            })
        );
        assert_eq!(r["requestPayload"], json!({ "a": 1 }));
        assert_eq!(
            r["responseContext"],
            json!({ "statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled" })
        );
        assert_eq!(r["responsePayload"]["errorType"], "ValueError");
        let a = dead_letter_attributes("id-1", Some(&resp));
        assert_eq!(
            Value::Object(a),
            json!({
                "RequestID": { "DataType": "String", "StringValue": "id-1" },
                "ErrorCode": { "DataType": "Number", "StringValue": "200" },
                "ErrorMessage": { "DataType": "String", "StringValue": "boom" },
            })
        );
        let ok = destination_record(Condition::Success, "i", "a", 1, b"not json", None);
        assert_eq!(ok["requestPayload"], "not json");
        assert!(ok.get("responseContext").is_none());
    }
}
