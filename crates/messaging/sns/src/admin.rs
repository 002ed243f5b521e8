//! Lamina's own SNS routes, mounted by the binary under `/_lamina/sns/`:
//! * `GET /_lamina/sns/SimpleNotificationService.pem` (any `*.pem`): the signing certificate
//!   named by every message's `SigningCertURL`;
//! * `GET /_lamina/sns/messages[?protocol=email&topic=<arn>&endpoint=<e>]`: messages sent to
//!   email, email-json, sms and application endpoints and the confirmations sent to http
//!   endpoints, oldest first, for tests to assert on.

use crate::Sns;
use crate::store::{self, Inspected};
use serde_json::{Value, json};

/// A response for the gateway to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

fn json_response(status: u16, v: Value) -> AdminResponse {
    AdminResponse {
        status,
        content_type: "application/json",
        body: v.to_string(),
    }
}

pub async fn handle(sns: &Sns, method: &str, path: &str, query: &str) -> AdminResponse {
    if method != "GET" && method != "HEAD" {
        return json_response(405, json!({"message": "only GET is supported"}));
    }
    let Some(rest) = path.strip_prefix("/_lamina/sns/") else {
        return json_response(404, json!({"message": "no such SNS route"}));
    };
    if rest.ends_with(".pem") {
        return match sns.certificate_pem().await {
            Ok(pem) => AdminResponse {
                status: 200,
                content_type: "application/x-pem-file",
                body: pem,
            },
            Err(e) => {
                tracing::error!(error = %e, "sns signing certificate");
                json_response(500, json!({"message": "An internal error occurred."}))
            }
        };
    }
    if rest == "messages" {
        return match messages(sns, query).await {
            Ok(list) => json_response(200, json!({ "messages": list })),
            Err(e) => {
                tracing::error!(error = %e, "sns inspection listing");
                json_response(500, json!({"message": "An internal error occurred."}))
            }
        };
    }
    json_response(404, json!({"message": format!("no SNS route {path}")}))
}

async fn messages(sns: &Sns, query: &str) -> Result<Vec<Value>, crate::SnsError> {
    let mut protocol = None;
    let mut topic = None;
    let mut endpoint = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "protocol" => protocol = Some(v.into_owned()),
            "topic" | "topic_arn" => topic = Some(v.into_owned()),
            "endpoint" => endpoint = Some(v.into_owned()),
            _ => {}
        }
    }
    let entries = sns
        .inner
        .table
        .scan_prefix(store::MESSAGES, b"", None, 0)
        .await?;
    let mut out = Vec::new();
    for (_, raw) in entries {
        let m: Inspected = store::decode(&raw)?;
        if protocol.as_ref().is_some_and(|p| *p != m.protocol)
            || topic.as_ref().is_some_and(|t| *t != m.topic_arn)
            || endpoint.as_ref().is_some_and(|e| *e != m.endpoint)
        {
            continue;
        }
        out.push(serde_json::to_value(&m).unwrap_or(Value::Null));
    }
    Ok(out)
}
