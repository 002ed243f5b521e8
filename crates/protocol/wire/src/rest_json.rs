//! The rest-json protocol (Lambda, API Gateway v1 and v2).
//!
//! Requests: the route and HTTP bindings come from [`crate::rest`]; the body is either the
//! input's `payload` member (a blob/string payload goes raw to [`Input::payload`], a
//! structure payload is the JSON body) or a JSON object holding the unbound members by wire
//! name. An empty body is an empty object. A body that is not a JSON object is the service's
//! "malformed" error ([`crate::rest::quirks::malformed`]).
//!
//! Responses: status `http.responseCode` (or 200, or the `statusCode` member), header
//! bindings, then the payload member or a JSON object of the remaining members;
//! `x-amzn-RequestId` on every response. 204/304 responses have no body.
//!
//! Errors: `x-amzn-ErrorType: <shape>` (what botocore reads first) and a JSON body with the
//! message under the error shape's own message member (`message` for API Gateway,
//! `Message` + `Type` for Lambda), plus the error's extra fields by wire name.
//!
//! Known differences from AWS: AWS appends `:http://internal.amazon.com/...` to
//! `x-amzn-ErrorType` for some services; SDKs strip it, Lamina does not send it.

mod body;

use crate::rest::{bindings, quirks};
use crate::{HttpRequest, HttpResponse, MAX_DEPTH, ResponseMeta};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use lamina_core::{AwsError, Input, Output};
use lamina_model::{Model, Operation, ShapeType};
use serde_json::{Map, Value};

pub use body::{from_wire, to_wire};

fn malformed(model: &Model, detail: impl std::fmt::Display) -> AwsError {
    let message = match model.name {
        "lambda" => format!("Could not parse request body into json: {detail}"),
        _ => format!("Invalid JSON in request body: {detail}"),
    };
    AwsError::new(quirks::malformed(model.name), message)
}

fn read_json(model: &Model, body: &[u8]) -> Result<Option<Value>, AwsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| malformed(model, e))?;
    if depth_of(&value, 0) > MAX_DEPTH {
        return Err(malformed(model, "document nested too deeply"));
    }
    Ok(Some(value))
}

/// Depth of a parsed document, stopping early once past the limit.
fn depth_of(v: &Value, d: usize) -> usize {
    if d > MAX_DEPTH {
        return d;
    }
    match v {
        Value::Array(a) => a.iter().map(|i| depth_of(i, d + 1)).max().unwrap_or(d + 1),
        Value::Object(o) => o
            .values()
            .map(|i| depth_of(i, d + 1))
            .max()
            .unwrap_or(d + 1),
        _ => d,
    }
}

pub fn parse(model: &Model, op: &Operation, req: &HttpRequest) -> Result<Input, AwsError> {
    let Some(shape) = op.input.as_ref().and_then(|r| model.shape(&r.shape)) else {
        return Ok(Input {
            value: Value::Object(Map::new()),
            payload: None,
        });
    };
    let mut value = bindings::parse_bindings(model, op, shape, req)?;
    let mut payload = None;
    let too_deep = |_| malformed(model, "document nested too deeply");
    match shape
        .payload
        .as_deref()
        .and_then(|p| Some((p, shape.member(p)?)))
    {
        Some((name, member)) => {
            let target = model.shape(&member.shape);
            match target {
                Some(t) if matches!(t.kind, ShapeType::Blob | ShapeType::String) => {
                    payload = (!req.body.is_empty()).then(|| req.body.clone());
                }
                Some(t) => {
                    if let Some(v) = read_json(model, &req.body)? {
                        value.insert(
                            name.to_string(),
                            from_wire(model, t, v, 0).map_err(too_deep)?,
                        );
                    }
                }
                None => {}
            }
        }
        None => match read_json(model, &req.body)? {
            Some(v @ Value::Object(_)) => {
                if let Value::Object(members) = from_wire(model, shape, v, 0).map_err(too_deep)? {
                    for (k, v) in members {
                        value.entry(k).or_insert(v);
                    }
                }
            }
            Some(_) => return Err(malformed(model, "the body is not a JSON object")),
            None => {}
        },
    }
    Ok(Input {
        value: Value::Object(value),
        payload,
    })
}

fn json_bytes(v: &Value) -> Bytes {
    // Serializing a `Value` cannot fail: its keys are strings.
    Bytes::from(serde_json::to_vec(v).unwrap_or_default())
}

fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(name))
}

pub fn serialize(
    model: &Model,
    op: &Operation,
    out: Output,
    meta: &ResponseMeta<'_>,
) -> HttpResponse {
    let mut headers = vec![("x-amzn-RequestId".to_string(), meta.request_id.to_string())];
    let mut status = op.http.response_code.unwrap_or(200);
    let mut body = Bytes::new();
    let mut content_type = "application/json";
    if let Some(shape) = op.output.as_ref().and_then(|r| model.shape(&r.shape)) {
        let mut value = match out.value {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        if let Some(s) = bindings::write_bindings(model, shape, &mut value, &mut headers) {
            status = s;
        }
        match shape
            .payload
            .as_deref()
            .and_then(|p| Some((p, shape.member(p)?)))
        {
            Some((name, member)) => match model.shape(&member.shape) {
                Some(t) if matches!(t.kind, ShapeType::Blob | ShapeType::String) => {
                    body = match (out.payload, value.remove(name)) {
                        (Some(p), _) => p,
                        (None, Some(Value::String(s))) if t.kind == ShapeType::Blob => B64
                            .decode(s.as_bytes())
                            .map(Bytes::from)
                            .unwrap_or_default(),
                        (None, Some(Value::String(s))) => Bytes::from(s),
                        _ => Bytes::new(),
                    };
                    if t.kind == ShapeType::Blob && model.name != "lambda" {
                        content_type = "application/octet-stream";
                    }
                }
                Some(t) => {
                    if let Some(v) = value.remove(name) {
                        body = json_bytes(&to_wire(model, Some(member), t, v, 0));
                    }
                }
                None => {}
            },
            None => body = json_bytes(&to_wire(model, None, shape, Value::Object(value), 0)),
        }
    } else if status != 204 {
        body = Bytes::from_static(b"{}");
    }
    if status == 204 || status == 304 {
        body = Bytes::new();
    }
    if !has_header(&headers, "content-type") && (!body.is_empty() || status != 204) {
        headers.push(("Content-Type".to_string(), content_type.to_string()));
    }
    HttpResponse {
        status,
        headers,
        body,
    }
}

pub fn serialize_error(model: &Model, err: &AwsError, meta: &ResponseMeta<'_>) -> HttpResponse {
    let mut headers = vec![
        ("x-amzn-RequestId".to_string(), meta.request_id.to_string()),
        ("x-amzn-ErrorType".to_string(), err.code.shape.to_string()),
        ("Content-Type".to_string(), "application/json".to_string()),
    ];
    let shape = model.shape(err.code.shape).filter(|s| s.exception);
    let mut fields: Map<String, Value> = err
        .fields
        .iter()
        .flat_map(|m| m.iter())
        .filter(|(k, _)| !k.starts_with("__"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut body = Map::new();
    let mut message_key = "message".to_string();
    if let Some(shape) = shape {
        bindings::write_bindings(model, shape, &mut fields, &mut headers);
        if let Some((name, m)) = shape
            .members()
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("message"))
        {
            message_key = bindings::wire_name(name, m).to_string();
            fields.remove(name);
        }
        // Lambda's errors carry who is at fault, as AWS sends it.
        if shape.member("Type").is_some() && !fields.contains_key("Type") {
            let fault = if err.code.sender_fault {
                "User"
            } else {
                "Service"
            };
            fields.insert("Type".to_string(), Value::String(fault.to_string()));
        }
        if let Value::Object(wire) = to_wire(model, None, shape, Value::Object(fields.clone()), 0) {
            body.extend(wire);
        }
        // Fields the shape does not declare are still passed on under their own names.
        for (k, v) in fields {
            if shape.member(&k).is_none() {
                body.insert(k, v);
            }
        }
    } else {
        body.extend(fields);
    }
    body.insert(message_key, Value::String(err.message.clone()));
    HttpResponse {
        status: err.code.status,
        headers,
        body: json_bytes(&Value::Object(body)),
    }
}

#[cfg(test)]
mod tests;
