//! AWS service integrations (`type: AWS` with a non-Lambda URI) of the REST API data plane:
//! `arn:aws:apigateway:<region>:<service>:action/<Action>` and
//! `arn:aws:apigateway:<region>:<service>:path/<path>` (SQS's `path/<account>/<queue>`).
//!
//! The integration request is built as API Gateway builds it — the request template (or the
//! passed-through body), `integration.request.{querystring,header,path}.*` mappings — and read
//! with the service's own wire codec into the operation's input: a JSON body is the input of
//! a JSON-protocol service (DynamoDB, Logs, SSM; `X-Amz-Target` implied by the action), a
//! form or query string (`Action=SendMessage&MessageBody=...`) is a query-protocol request
//! (SQS, SNS, STS). The operation runs in process through [`lamina_bus::ServiceCaller`],
//! validated as the gateway validates client requests, and its answer is written back in the
//! same protocol (JSON, or the XML of the query protocol). That answer then goes through the
//! integration responses: the selection pattern is matched against its status code, and the
//! response template sees it as `$input`.
//!
//! Known differences: the integration's `credentials` role is not assumed (the call runs as
//! the API's account); services Lamina does not serve answer 500 `Internal server error`.

use super::integrations::{
    method_response, param_source, render, request_template, select_response, timeout_of,
};
use super::invoke::{Call, INTERNAL, message};
use super::types::Integration;
use lamina_bus::CallContext;
use lamina_model::Model;
use lamina_wire::{HttpRequest, HttpResponse, Protocol, ResponseMeta};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// What an AWS integration URI addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub region: String,
    /// The service's subdomain (`dynamodb`, `sqs`), which is also Lamina's model name.
    pub service: String,
    pub kind: TargetKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// `action/<Action>`.
    Action(String),
    /// `path/<path>`, without the leading slash.
    Path(String),
}

/// Parses `arn:aws:apigateway:<region>:<service>:action/<A>` or `...:path/<p>`.
pub fn target(uri: &str) -> Option<Target> {
    let rest = uri.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, apigw, region, service, tail) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if apigw != "apigateway" || service.is_empty() {
        return None;
    }
    // `service` may carry a subdomain (`<sub>.<service>`): the service is the last part.
    let service = service.rsplit('.').next().unwrap_or(service).to_string();
    let kind = if let Some(a) = tail.strip_prefix("action/") {
        TargetKind::Action(a.split(['/', '?']).next().unwrap_or(a).to_string())
    } else if let Some(p) = tail.strip_prefix("path/") {
        TargetKind::Path(p.to_string())
    } else {
        return None;
    };
    Some(Target {
        region: region.to_string(),
        service,
        kind,
    })
}

/// The integration request parameters of one location (`querystring`, `header`, `path`).
fn mapped(call: &Call<'_>, i: &Integration, location: &str) -> BTreeMap<String, String> {
    let prefix = format!("integration.request.{location}.");
    i.request_parameters
        .iter()
        .flatten()
        .filter_map(|(target, source)| {
            let name = target.strip_prefix(&prefix)?;
            Some((name.to_string(), param_source(call, source)?))
        })
        .collect()
}

fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The request as the service would receive it.
fn service_request(
    call: &Call<'_>,
    i: &Integration,
    t: &Target,
    body: Vec<u8>,
) -> Result<HttpRequest, HttpResponse> {
    let mut path_values = call.path_params.clone();
    path_values.extend(mapped(call, i, "path"));
    let mut path = match &t.kind {
        TargetKind::Path(p) => format!("/{p}"),
        TargetKind::Action(_) => "/".to_string(),
    };
    for (k, v) in &path_values {
        path = path
            .replace(&format!("{{{k}+}}"), v)
            .replace(&format!("{{{k}}}"), &encode(v));
    }
    let mut query: Vec<String> = mapped(call, i, "querystring")
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    if let TargetKind::Action(a) = &t.kind
        && !query.iter().any(|q| q.starts_with("Action="))
    {
        query.insert(0, format!("Action={}", encode(a)));
    }
    let mut headers = http::HeaderMap::new();
    let mut content_type = call.req.header("content-type").map(str::to_string);
    for (k, v) in mapped(call, i, "header") {
        if k.eq_ignore_ascii_case("content-type") {
            content_type = Some(v);
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(&v),
        ) {
            headers.insert(name, value);
        }
    }
    if let Some(ct) = content_type
        && let Ok(v) = http::HeaderValue::from_str(&ct)
    {
        headers.insert(http::header::CONTENT_TYPE, v);
    }
    let method = i
        .http_method
        .as_deref()
        .unwrap_or("POST")
        .parse::<http::Method>()
        .map_err(|_| message(500, INTERNAL))?;
    Ok(HttpRequest {
        method,
        path,
        query: query.join("&"),
        headers,
        body: body.into(),
    })
}

/// How the service reads the request: JSON when the model speaks JSON and the body is a
/// JSON document (or empty with an action in the URI), else the query protocol.
fn protocol_of(model: &Model, req: &HttpRequest) -> Protocol {
    let declared = Protocol::of(model);
    if declared != Protocol::Json {
        return declared;
    }
    let is_form = req.header("content-type").is_some_and(|c| {
        c.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    let json_body = req.body.iter().all(u8::is_ascii_whitespace)
        || serde_json::from_slice::<Value>(&req.body).is_ok_and(|v| v.is_object());
    if model.metadata.aws_query_compatible.is_some() && (is_form || !json_body) {
        return Protocol::Query;
    }
    if model.metadata.aws_query_compatible.is_some()
        && req.body.iter().all(u8::is_ascii_whitespace)
        && !req.query.is_empty()
    {
        // `action/SendMessage?QueueUrl=...&MessageBody=...`: parameters in the query string.
        return Protocol::Query;
    }
    Protocol::Json
}

/// An error in the service's protocol, as the service would have sent it.
fn error_response(
    model: &Model,
    protocol: Protocol,
    code: &str,
    msg: &str,
    status: u16,
    request_id: &str,
) -> HttpResponse {
    match protocol {
        Protocol::Query | Protocol::RestXml => {
            let esc = |s: &str| {
                s.replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;")
                    .replace('"', "&quot;")
            };
            let kind = if status < 500 { "Sender" } else { "Receiver" };
            let body = format!(
                "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"{}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message><Detail/></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                lamina_wire::query::namespace(model),
                esc(code),
                esc(msg)
            );
            HttpResponse {
                status,
                headers: vec![
                    ("Content-Type".into(), "text/xml".into()),
                    ("x-amzn-RequestId".into(), request_id.into()),
                ],
                body: body.into_bytes().into(),
            }
        }
        _ => HttpResponse {
            status,
            headers: vec![
                ("Content-Type".into(), "application/x-amz-json-1.0".into()),
                ("x-amzn-RequestId".into(), request_id.into()),
            ],
            body: json!({"__type": code, "message": msg})
                .to_string()
                .into_bytes()
                .into(),
        },
    }
}

/// A query-protocol answer in the JSON form query services give to `Accept:
/// application/json` (what API Gateway asks for unless an `Accept` header is mapped):
/// `{"<Op>Response": {"<Op>Result": {...every output member, null when absent},
/// "ResponseMetadata": {"RequestId": ...}}}`, errors as `{"Error": {"Code", "Message",
/// "Type"}, "RequestId"}`.
fn query_as_json(
    model: &Model,
    op: &lamina_model::Operation,
    result: Result<Value, lamina_bus::CallError>,
    rid: &str,
) -> HttpResponse {
    let (status, body) = match result {
        Ok(out) => {
            let mut members = serde_json::Map::new();
            if let Some(shape) = op.output.as_ref().and_then(|r| model.shape(&r.shape)) {
                for name in shape.members.keys() {
                    members.insert(name.clone(), out.get(name).cloned().unwrap_or(Value::Null));
                }
            }
            let name = &op.name;
            (
                200,
                json!({format!("{name}Response"): {
                    format!("{name}Result"): members,
                    "ResponseMetadata": {"RequestId": rid},
                }}),
            )
        }
        Err(e) => (
            e.status,
            json!({"Error": {
                "Code": e.code,
                "Message": e.message,
                "Type": if e.status < 500 { "Sender" } else { "Receiver" },
            }, "RequestId": rid}),
        ),
    };
    HttpResponse {
        status,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("x-amzn-RequestId".into(), rid.into()),
        ],
        body: body.to_string().into_bytes().into(),
    }
}

/// Runs the service call; the service's HTTP answer.
async fn call_service(call: &Call<'_>, t: &Target, req: &HttpRequest) -> HttpResponse {
    let rid = call.ctx.request_id.as_str();
    let Some(caller) = call.gw.caller.get() else {
        tracing::warn!("no service caller wired; aws integration answers 500");
        return message(500, INTERNAL);
    };
    let Some(model) = lamina_model::get(&t.service) else {
        tracing::info!(service = %t.service, "aws integration to a service lamina does not serve");
        return message(500, INTERNAL);
    };
    let protocol = protocol_of(model, req);
    let op = match &t.kind {
        TargetKind::Action(a) => model.operation(a),
        TargetKind::Path(_) => lamina_wire::operation(model, protocol, req).ok(),
    };
    let Some(op) = op else {
        let (code, msg) = match protocol {
            Protocol::Query | Protocol::RestXml => (
                "InvalidAction",
                "The action or operation requested is invalid. Verify that the action is typed correctly.",
            ),
            _ => ("UnknownOperationException", ""),
        };
        return error_response(model, protocol, code, msg, 400, rid);
    };
    let mut input = match lamina_wire::parse(model, protocol, op, req) {
        Ok(i) => i.value,
        Err(e) => {
            return error_response(model, protocol, e.code.code, &e.message, e.code.status, rid);
        }
    };
    // The SQS path form names the queue in the path, where the query API reads QueueUrl.
    if let TargetKind::Path(p) = &t.kind
        && let Some(obj) = input.as_object_mut()
        && model
            .shape(op.input.as_ref().map_or("", |r| r.shape.as_str()))
            .is_some_and(|s| s.member("QueueUrl").is_some())
        && !obj.contains_key("QueueUrl")
    {
        let p = p.trim_matches('/');
        obj.insert(
            "QueueUrl".into(),
            json!(format!("{}/{p}", call.ctx.endpoint.trim_end_matches('/'))),
        );
    }
    let cx = CallContext {
        account_id: call.ctx.account_id.clone(),
        region: call.ctx.region.clone(),
        endpoint: call.ctx.endpoint.clone(),
    };
    let json_query = protocol == Protocol::Query
        && !req
            .header("accept")
            .is_some_and(|a| a.to_ascii_lowercase().contains("xml"));
    let result = caller.call(&cx, &t.service, &op.name, input).await;
    if json_query {
        return query_as_json(model, op, result, rid);
    }
    match result {
        Ok(out) => lamina_wire::serialize(
            model,
            protocol,
            op,
            lamina_core::Output::json(out),
            &ResponseMeta { request_id: rid },
        ),
        Err(e) => error_response(model, protocol, &e.code, &e.message, e.status, rid),
    }
}

/// Serves an AWS service integration.
pub async fn serve(call: &Call<'_>, i: &Integration, t: &Target) -> HttpResponse {
    let body = match request_template(call, i) {
        Ok(Some(tpl)) => match render(call, tpl, &call.req.body) {
            Ok(r) => r.body.into_bytes(),
            Err(resp) => return resp,
        },
        Ok(None) => call.req.body.to_vec(),
        Err(resp) => return resp,
    };
    let req = match service_request(call, i, t, body) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let resp = match tokio::time::timeout(timeout_of(i), call_service(call, t, &req)).await {
        Ok(r) => r,
        Err(_) => return message(504, r#"{"message": "Endpoint request timed out"}"#),
    };
    let ir = select_response(i, &resp.status.to_string());
    method_response(call, ir, &resp.body, &resp.headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_integration_uris() {
        assert_eq!(
            target("arn:aws:apigateway:us-east-1:dynamodb:action/PutItem"),
            Some(Target {
                region: "us-east-1".into(),
                service: "dynamodb".into(),
                kind: TargetKind::Action("PutItem".into()),
            })
        );
        assert_eq!(
            target("arn:aws:apigateway:eu-west-1:sqs:path/000000000000/orders"),
            Some(Target {
                region: "eu-west-1".into(),
                service: "sqs".into(),
                kind: TargetKind::Path("000000000000/orders".into()),
            })
        );
        assert_eq!(
            target("arn:aws:apigateway:us-east-1:sqs:action/SendMessage")
                .unwrap()
                .kind,
            TargetKind::Action("SendMessage".into())
        );
        assert!(target("arn:aws:apigateway:us-east-1:dynamodb:PutItem").is_none());
        assert!(target("arn:aws:lambda:us-east-1:1:function:f").is_none());
        assert!(target("nonsense").is_none());
        assert_eq!(encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
