//! The rest-xml protocol (S3).
//!
//! Requests: route and HTTP bindings from [`crate::rest`]; a blob/string payload member
//! (`PutObject`'s `Body`, `UploadPart`) goes raw to [`Input::payload`]; a structure payload
//! (`CreateBucketConfiguration`, `Delete`, `Tagging`, ...) is read from the XML body by the
//! model ([`read`]: members by `locationName`, wrapped and flattened lists and maps, XML
//! attributes; depth bounded by [`crate::MAX_DEPTH`]). A body that is not well-formed XML is
//! `MalformedXML` (400).
//!
//! Responses: header bindings, then the payload member (raw for blobs/strings, else XML with
//! the root named by the member's `locationName`) or an XML document of the remaining
//! members whose root is AWS's name for it ([`crate::rest::quirks::xml_root`]); the root
//! carries S3's namespace. Every response has `x-amz-request-id` and `x-amz-id-2`.
//!
//! Errors: S3's `<Error><Code/><Message/>...<RequestId/><HostId/></Error>` (no
//! `ErrorResponse` wrapper), status from the code. Codes S3 uses but its model lacks are in
//! [`s3_errors`].
//!
//! Known differences from AWS: `x-amz-id-2` is derived from the request id, not a host id;
//! event-stream outputs (`SelectObjectContent`) are not framed.

pub mod read;
pub mod s3_errors;

use crate::rest::{bindings, quirks};
use crate::xml::{self, XmlOptions, XmlWriter};
use crate::{HttpRequest, HttpResponse, ResponseMeta, timestamp::TimestampFormat};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use lamina_core::{AwsError, Input, Output};
use lamina_model::{Model, Operation, ShapeRef, ShapeType};
use serde_json::{Map, Value, json};

fn malformed(model: &Model, detail: &str) -> AwsError {
    let message = match model.name {
        "s3" => "The XML you provided was not well-formed or did not validate against our published schema".to_string(),
        _ => format!("Invalid XML in request body: {detail}"),
    };
    AwsError::new(quirks::malformed(model.name), message)
}

fn read_body(model: &Model, body: &[u8]) -> Result<Option<read::Node>, AwsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    read::parse_tree(body)
        .map(Some)
        .map_err(|e| malformed(model, &e))
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
    match shape
        .payload
        .as_deref()
        .and_then(|p| Some((p, shape.member(p)?)))
    {
        Some((name, member)) => match model.shape(&member.shape) {
            Some(t) if matches!(t.kind, ShapeType::Blob | ShapeType::String) => {
                payload = (!req.body.is_empty()).then(|| req.body.clone());
            }
            Some(t) => {
                if let Some(root) = read_body(model, &req.body)? {
                    value.insert(
                        name.to_string(),
                        read::to_canonical(model, Some(member), t, &root, 0),
                    );
                }
            }
            None => {}
        },
        None => {
            if let Some(root) = read_body(model, &req.body)?
                && let Value::Object(members) = read::to_canonical(model, None, shape, &root, 0)
            {
                for (k, v) in members {
                    value.entry(k).or_insert(v);
                }
            }
        }
    }
    Ok(Input {
        value: Value::Object(value),
        payload,
    })
}

fn options() -> XmlOptions {
    XmlOptions {
        timestamp_format: TimestampFormat::Iso8601,
        skip_located: true,
    }
}

fn base_headers(meta: &ResponseMeta<'_>) -> Vec<(String, String)> {
    vec![
        ("x-amz-request-id".to_string(), meta.request_id.to_string()),
        ("x-amz-id-2".to_string(), B64.encode(meta.request_id)),
    ]
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
    let mut headers = base_headers(meta);
    let mut status = op.http.response_code.unwrap_or(200);
    let mut body = Bytes::new();
    let mut xml_body = false;
    let ns = quirks::xml_namespace(model.name);
    if let Some((shape_name, shape)) = op
        .output
        .as_ref()
        .and_then(|r| Some((r.shape.as_str(), model.shape(&r.shape)?)))
    {
        let mut value = match out.value {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        if let Some(s) = bindings::write_bindings(model, shape, &mut value, &mut headers) {
            status = s;
        }
        let payload = shape
            .payload
            .as_deref()
            .and_then(|p| Some((p, shape.member(p)?)));
        if let Some((name, member)) = payload {
            match model.shape(&member.shape) {
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
                }
                Some(t) if t.kind == ShapeType::Structure && !t.eventstream => {
                    if let Some(v) = value.remove(name) {
                        let root = member.location_name.as_deref().unwrap_or(name);
                        let r = with_namespace(member, ns);
                        let mut w = XmlWriter::new();
                        w.declaration();
                        xml::write_value(&mut w, model, root, Some(&r), &v, options(), 0);
                        body = Bytes::from(w.finish());
                        xml_body = true;
                    }
                }
                _ => {}
            }
        } else if let Some(member) = quirks::xml_text_root(model.name, shape_name) {
            let text = value
                .get(member)
                .map(|v| xml::scalar_text(v, None, options()))
                .unwrap_or_default();
            let mut w = XmlWriter::new();
            w.declaration();
            let attrs: Vec<(&str, &str)> = ns.map(|n| ("xmlns", n)).into_iter().collect();
            w.start(member, &attrs);
            w.text(&text);
            w.end(member);
            body = Bytes::from(w.finish());
            xml_body = true;
        } else if shape.members().iter().any(|(_, m)| !bindings::is_bound(m)) {
            let root = quirks::xml_root(model.name, shape_name, shape.location_name.as_deref());
            let mut w = XmlWriter::new();
            w.declaration();
            let attrs: Vec<(&str, &str)> = ns.map(|n| ("xmlns", n)).into_iter().collect();
            w.start(root, &attrs);
            xml::write_members(&mut w, model, shape, &Value::Object(value), options(), 0);
            w.end(root);
            body = Bytes::from(w.finish());
            xml_body = true;
        }
    }
    if status == 204 || status == 304 {
        body = Bytes::new();
    }
    if xml_body && !body.is_empty() && !has_header(&headers, "content-type") {
        headers.push(("Content-Type".to_string(), "application/xml".to_string()));
    }
    HttpResponse {
        status,
        headers,
        body,
    }
}

/// The payload member's ref with the service namespace when it names none itself.
fn with_namespace(member: &ShapeRef, ns: Option<&str>) -> ShapeRef {
    ShapeRef {
        shape: member.shape.clone(),
        location_name: member.location_name.clone(),
        xml_namespace: member
            .xml_namespace
            .clone()
            .or_else(|| ns.map(|n| json!({ "uri": n }))),
        ..ShapeRef::default()
    }
}

pub fn serialize_error(model: &Model, err: &AwsError, meta: &ResponseMeta<'_>) -> HttpResponse {
    let mut headers = base_headers(meta);
    headers.push(("Content-Type".to_string(), "application/xml".to_string()));
    let mut w = XmlWriter::new();
    w.declaration();
    w.start("Error", &[]);
    w.element("Code", err.code.code);
    w.element("Message", &err.message);
    let shape = model.shape(err.code.shape).filter(|s| s.exception);
    for (k, v) in err
        .fields
        .iter()
        .flat_map(|m| m.iter())
        .filter(|(k, _)| !k.starts_with("__"))
    {
        match shape.and_then(|s| s.member(k)) {
            Some(r) => xml::write_member(&mut w, model, k, r, v, options(), 1),
            None if !v.is_object() && !v.is_array() => {
                w.element(k, &xml::scalar_text(v, None, options()))
            }
            None => {}
        }
    }
    w.element("RequestId", meta.request_id);
    w.element("HostId", &B64.encode(meta.request_id));
    w.end("Error");
    HttpResponse {
        status: err.code.status,
        headers,
        body: Bytes::from(w.finish()),
    }
}

#[cfg(test)]
mod tests;
