//! The codec test oracle's Rust side: `lamina codec` reads JSON lines on stdin, each asking to
//! parse an HTTP request or serialize an output/error, and writes one JSON line per request.
//! `tests/compat/test_codec_oracle.py` drives it with botocore's own serializers and parsers.
//!
//! It goes through the same functions the gateway uses: [`Protocol::of_request`] /
//! [`Protocol::of`], [`crate::operation`], [`crate::parse`], [`crate::validate::validate`],
//! [`crate::serialize`] and [`crate::serialize_error`].
//!
//! Requests (one JSON object per line):
//!
//! ```text
//! {"service":"ssm","direction":"parse","request":{"method":"POST","path":"/","query":"",
//!   "headers":{"X-Amz-Target":"AmazonSSM.PutParameter"},"body_b64":"..."}}
//!   → {"ok":true,"operation":"PutParameter","input":{..},"payload_b64":null}
//!   | {"ok":false,"error":{"code":"..","message":"..","status":400}}
//! {"service":"ssm","operation":"PutParameter","direction":"serialize","output":{..}}
//!   → {"ok":true,"response":{"status":200,"headers":{..},"body_b64":".."}}
//! {"service":"ssm","direction":"serialize_error","error":{"shape":"ParameterNotFound",
//!   "message":"..","fields":{..}}}
//!   → {"ok":true,"response":{..}}
//! ```
//!
//! `serialize` and `serialize_error` accept `"protocol":"query"` to answer a JSON service's
//! query-mode client (SQS). A malformed line answers `{"ok":false,"error":{"code":"OracleError",..}}`.

use crate::{HttpRequest, HttpResponse, Protocol, ResponseMeta};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lamina_core::{AwsError, ErrorCode, Output};
use lamina_model::Model;
use serde_json::{Map, Value, json};
use std::io::{BufRead, Write};

const REQUEST_ID: &str = "00000000-0000-4000-8000-000000000000";

/// Answers every line of `input` on `output`, flushing after each line.
pub fn run(input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(req) => handle(&req).unwrap_or_else(|message| oracle_error(&message)),
            Err(e) => oracle_error(&format!("bad request line: {e}")),
        };
        writeln!(output, "{answer}")?;
        output.flush()?;
    }
    Ok(())
}

fn oracle_error(message: &str) -> Value {
    json!({"ok": false, "error": {"code": "OracleError", "message": message, "status": 0}})
}

fn error_value(e: &AwsError) -> Value {
    json!({"ok": false, "error": {"code": e.code.code, "shape": e.code.shape, "message": e.message, "status": e.code.status}})
}

fn handle(req: &Value) -> Result<Value, String> {
    let service = req["service"].as_str().ok_or("missing service")?;
    let model = lamina_model::get(service).ok_or_else(|| format!("unknown service {service}"))?;
    match req["direction"].as_str().ok_or("missing direction")? {
        "parse" => parse(model, &req["request"]),
        "serialize" => serialize(model, req),
        "serialize_error" => serialize_error(model, req),
        other => Err(format!("unknown direction {other}")),
    }
}

fn protocol_override(model: &Model, req: &Value) -> Result<Protocol, String> {
    Ok(match req["protocol"].as_str() {
        None => Protocol::of(model),
        Some("json") => Protocol::Json,
        Some("query") => Protocol::Query,
        Some("rest-json") => Protocol::RestJson,
        Some("rest-xml") => Protocol::RestXml,
        Some(other) => return Err(format!("unknown protocol {other}")),
    })
}

fn http_request(r: &Value) -> Result<HttpRequest, String> {
    let method = r["method"].as_str().unwrap_or("POST");
    let mut headers = http::HeaderMap::new();
    if let Some(h) = r["headers"].as_object() {
        for (k, v) in h {
            let name = http::HeaderName::from_bytes(k.as_bytes()).map_err(|e| e.to_string())?;
            let value = http::HeaderValue::from_str(v.as_str().unwrap_or_default())
                .map_err(|e| e.to_string())?;
            headers.append(name, value);
        }
    }
    let body = STANDARD
        .decode(r["body_b64"].as_str().unwrap_or_default())
        .map_err(|e| e.to_string())?;
    Ok(HttpRequest {
        method: http::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?,
        path: r["path"].as_str().unwrap_or("/").to_string(),
        query: r["query"].as_str().unwrap_or_default().to_string(),
        headers,
        body: body.into(),
    })
}

fn parse(model: &'static Model, r: &Value) -> Result<Value, String> {
    let req = http_request(r)?;
    let protocol = Protocol::of_request(model, &req);
    let op = match crate::operation(model, protocol, &req) {
        Ok(op) => op,
        Err(e) => return Ok(error_value(&e)),
    };
    let input = match crate::parse(model, protocol, op, &req) {
        Ok(i) => i,
        Err(e) => return Ok(error_value(&e)),
    };
    if let Err(e) = crate::validate::validate(model, op, &input.value) {
        return Ok(error_value(&e));
    }
    Ok(json!({
        "ok": true,
        "operation": op.name,
        "input": input.value,
        "payload_b64": input.payload.map(|p| STANDARD.encode(p)),
    }))
}

fn response_value(resp: HttpResponse) -> Value {
    let mut headers = Map::new();
    for (k, v) in resp.headers {
        headers.insert(k, Value::String(v));
    }
    json!({"ok": true, "response": {"status": resp.status, "headers": headers, "body_b64": STANDARD.encode(&resp.body)}})
}

fn serialize(model: &'static Model, req: &Value) -> Result<Value, String> {
    let name = req["operation"].as_str().ok_or("missing operation")?;
    let op = model
        .operation(name)
        .ok_or_else(|| format!("unknown operation {name}"))?;
    let protocol = protocol_override(model, req)?;
    let payload = match req["payload_b64"].as_str() {
        Some(p) => Some(STANDARD.decode(p).map_err(|e| e.to_string())?.into()),
        None => None,
    };
    let out = Output {
        value: req["output"].clone(),
        payload,
    };
    let meta = ResponseMeta {
        request_id: REQUEST_ID,
    };
    Ok(response_value(crate::serialize(
        model, protocol, op, out, &meta,
    )))
}

/// The [`ErrorCode`] of a model's error shape, read from its `error` trait.
pub fn error_code(model: &'static Model, shape: &str) -> Option<ErrorCode> {
    let (name, s) = model.shapes.get_key_value(shape)?;
    if !s.exception {
        return None;
    }
    let trait_ = s.error.as_ref();
    let code = trait_
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .unwrap_or(name);
    let status = trait_
        .and_then(|e| e.get("httpStatusCode"))
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(if s.fault { 500 } else { 400 });
    let sender_fault = trait_
        .and_then(|e| e.get("senderFault"))
        .and_then(Value::as_bool)
        .unwrap_or(!s.fault);
    Some(ErrorCode {
        shape: name.as_str(),
        code,
        status,
        sender_fault,
    })
}

fn serialize_error(model: &'static Model, req: &Value) -> Result<Value, String> {
    let e = &req["error"];
    let shape = e["shape"].as_str().ok_or("missing error.shape")?;
    let code = error_code(model, shape).ok_or_else(|| format!("{shape} is not an error shape"))?;
    let mut err = AwsError::new(code, e["message"].as_str().unwrap_or_default());
    if let Some(fields) = e["fields"].as_object() {
        err.fields = Some(Box::new(fields.clone()));
    }
    let protocol = protocol_override(model, req)?;
    let meta = ResponseMeta {
        request_id: REQUEST_ID,
    };
    Ok(response_value(crate::serialize_error(
        model, protocol, &err, &meta,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> Value {
        let mut out = Vec::new();
        run(line.as_bytes(), &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn parse_line_round_trips_a_json_request() {
        let body = STANDARD.encode(br#"{"Name":"/a"}"#);
        let line = format!(
            r#"{{"service":"ssm","direction":"parse","request":{{"method":"POST","path":"/","query":"","headers":{{"X-Amz-Target":"AmazonSSM.GetParameter","Content-Type":"application/x-amz-json-1.1"}},"body_b64":"{body}"}}}}"#
        );
        let v = one(&line);
        assert_eq!(v["ok"], json!(true), "{v}");
        assert_eq!(v["operation"], json!("GetParameter"));
        assert_eq!(v["input"], json!({"Name": "/a"}));
    }

    #[test]
    fn parse_line_reports_validation_errors() {
        let body = STANDARD.encode(b"{}");
        let line = format!(
            r#"{{"service":"ssm","direction":"parse","request":{{"headers":{{"X-Amz-Target":"AmazonSSM.GetParameter"}},"body_b64":"{body}"}}}}"#
        );
        let v = one(&line);
        assert_eq!(v["ok"], json!(false));
        assert_eq!(v["error"]["code"], json!("ValidationException"));
    }

    #[test]
    fn serialize_and_error_lines() {
        let v = one(
            r#"{"service":"sts","operation":"GetCallerIdentity","direction":"serialize","output":{"Account":"1"}}"#,
        );
        assert_eq!(v["response"]["status"], json!(200));
        let v = one(
            r#"{"service":"sqs","direction":"serialize_error","error":{"shape":"QueueDoesNotExist","message":"m"}}"#,
        );
        assert_eq!(
            v["response"]["headers"]["x-amzn-query-error"],
            json!("QueueDoesNotExist;Sender")
        );
        let v = one("not json");
        assert_eq!(v["error"]["code"], json!("OracleError"));
    }
}
