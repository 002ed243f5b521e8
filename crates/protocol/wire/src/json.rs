//! The JSON 1.0 / 1.1 protocol (DynamoDB, DynamoDB Streams, SQS, SSM, Logs, ...).
//!
//! * Operation: `X-Amz-Target: <targetPrefix>.<Operation>`; a missing, foreign or unknown
//!   target is `UnknownOperationException` (400), as AWS answers.
//! * Input: the body is one JSON object (an empty body is `{}`). The walker follows the
//!   input shape: members are read by their JSON name (`locationName` if the model gives
//!   one) and stored under the model member name; members the model does not know are
//!   ignored, as AWS's JSON services ignore them; `null` members are treated as absent.
//!   Type mismatches give `SerializationException` with the messages AWS's JSON services
//!   use (`STRING_VALUE cannot be converted to Integer`, `Start of list found where not
//!   expected`). Timestamps become canonical epoch seconds, blobs stay base64 (checked).
//! * Output: only model members are written, under their JSON names; an operation
//!   without output answers `{}`. `Content-Type: application/x-amz-json-<version>`,
//!   `x-amzn-RequestId`.
//! * Errors: `{"__type": "<shape>", "message": "..."}` plus the error's extra members,
//!   `x-amzn-ErrorType`; `awsQueryCompatible` services (SQS) also send
//!   `x-amzn-query-error: <code>;Sender|Receiver`, from which botocore takes the code.
//!
//! Per-service deviations (DynamoDB's `x-amz-crc32`) are data in [`PATCHES`].
//!
//! Known differences from AWS: `__type` carries the bare shape name, not AWS's
//! `com.amazonaws.<service>#Shape` form (SDKs strip the prefix either way).

// `AwsError` is the workspace's one wire-error type and `lib.rs` fixes these signatures;
// boxing it is the lead's call, not this module's.
#![allow(clippy::result_large_err)]

use crate::timestamp::{self, TimestampFormat};
use crate::{HttpRequest, HttpResponse, MAX_DEPTH, ResponseMeta};
use base64::Engine;
use lamina_core::{AwsError, Input, Output, common};
use lamina_model::{Model, Operation, Shape, ShapeRef, ShapeType};
use serde_json::{Map, Value};

/// A per-service deviation from the plain JSON protocol.
#[derive(Debug, Clone, Copy, Default)]
pub struct Patch {
    /// Send `x-amz-crc32`: the CRC32 of the response body, in decimal.
    pub crc32_header: bool,
}

/// Services whose JSON responses differ from the protocol's default, keyed by model name.
pub const PATCHES: &[(&str, Patch)] = &[("dynamodb", Patch { crc32_header: true })];

/// The patch for a model (the default when it has none).
pub fn patch(model: &Model) -> Patch {
    PATCHES
        .iter()
        .find(|(name, _)| *name == model.name)
        .map(|(_, p)| *p)
        .unwrap_or_default()
}

fn unknown_operation() -> AwsError {
    AwsError::new(common::UNKNOWN_OPERATION, "")
}

/// The operation named by `X-Amz-Target`.
pub fn operation<'m>(model: &'m Model, req: &HttpRequest) -> Result<&'m Operation, AwsError> {
    let target = req.header("x-amz-target").ok_or_else(unknown_operation)?;
    let (prefix, name) = target.rsplit_once('.').ok_or_else(unknown_operation)?;
    if model
        .metadata
        .target_prefix
        .as_deref()
        .is_some_and(|p| p != prefix)
    {
        return Err(unknown_operation());
    }
    model.operation(name).ok_or_else(unknown_operation)
}

/// The body as the operation's canonical input.
pub fn parse(model: &Model, op: &Operation, req: &HttpRequest) -> Result<Input, AwsError> {
    let body: &[u8] = &req.body;
    let doc: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            AwsError::serialization(format!("Unable to parse request body as JSON: {e}"))
        })?
    };
    let Some(input_ref) = &op.input else {
        return Ok(Input {
            value: Value::Object(Map::new()),
            payload: None,
        });
    };
    let Some(shape) = model.shape(&input_ref.shape) else {
        return Ok(Input {
            value: Value::Object(Map::new()),
            payload: None,
        });
    };
    let value = from_wire(model, Some(input_ref), shape, doc, 0)?;
    Ok(Input {
        value,
        payload: None,
    })
}

/// AWS's name for the JSON kind found where another was expected.
fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL_VALUE",
        Value::Bool(_) => "BOOLEAN_VALUE",
        Value::Number(_) => "NUMBER_VALUE",
        Value::String(_) => "STRING_VALUE",
        Value::Array(_) => "START_ARRAY",
        Value::Object(_) => "START_OBJECT",
    }
}

fn mismatch(found: &Value, shape: &Shape) -> AwsError {
    let message = match (found, shape.kind) {
        (Value::Array(_), _) => "Start of list found where not expected".to_string(),
        (Value::Object(_), _) => "Start of structure or map found where not expected.".to_string(),
        (_, ShapeType::Structure | ShapeType::Map) => {
            format!(
                "{} can not be converted to a structure or map",
                kind_name(found)
            )
        }
        (_, ShapeType::List) => format!("{} can not be converted to a list", kind_name(found)),
        (_, kind) => format!(
            "{} cannot be converted to {}",
            kind_name(found),
            type_name(kind)
        ),
    };
    AwsError::serialization(message)
}

fn type_name(kind: ShapeType) -> &'static str {
    match kind {
        ShapeType::String => "String",
        ShapeType::Integer => "Integer",
        ShapeType::Long => "Long",
        ShapeType::Float => "Float",
        ShapeType::Double => "Double",
        ShapeType::Decimal => "BigDecimal",
        ShapeType::Boolean => "Boolean",
        ShapeType::Timestamp => "Date",
        ShapeType::Blob => "Blob",
        ShapeType::Structure => "Structure",
        ShapeType::List => "List",
        ShapeType::Map => "Map",
    }
}

fn too_deep() -> AwsError {
    AwsError::serialization("Request nesting exceeds the maximum depth")
}

/// The JSON name of a structure member.
fn wire_name<'a>(name: &'a str, r: &'a ShapeRef) -> &'a str {
    r.location_name.as_deref().unwrap_or(name)
}

/// Whether a float's special value (`NaN`, `Infinity`, `-Infinity`) is spelled as AWS does.
fn is_special_float(s: &str) -> bool {
    matches!(s, "NaN" | "Infinity" | "-Infinity")
}

/// Converts a wire value of `shape` into canonical form.
pub fn from_wire(
    model: &Model,
    r: Option<&ShapeRef>,
    shape: &Shape,
    v: Value,
    depth: usize,
) -> Result<Value, AwsError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    if v.is_null() {
        return Ok(Value::Null);
    }
    match shape.kind {
        ShapeType::Structure if shape.document => {
            check_depth(&v, depth)?;
            Ok(v)
        }
        ShapeType::Structure => {
            let Value::Object(mut obj) = v else {
                return Err(mismatch(&v, shape));
            };
            if in_member_order(model, shape, &obj) {
                // The object already is the canonical map: convert the values in place.
                for (name, item) in obj.iter_mut() {
                    let (Some(mref), Some(ms)) = (
                        shape.member(name),
                        shape.member(name).and_then(|r| model.shape(&r.shape)),
                    ) else {
                        continue; // not reached: in_member_order checked both
                    };
                    *item = from_wire(model, Some(mref), ms, std::mem::take(item), depth + 1)?;
                }
                return Ok(Value::Object(obj));
            }
            let mut out = Map::new();
            for (name, mref) in shape.members() {
                let Some(item) = obj.remove(wire_name(name, mref)) else {
                    continue;
                };
                if item.is_null() {
                    continue;
                }
                let Some(ms) = model.shape(&mref.shape) else {
                    continue;
                };
                out.insert(
                    name.clone(),
                    from_wire(model, Some(mref), ms, item, depth + 1)?,
                );
            }
            Ok(Value::Object(out))
        }
        ShapeType::List => {
            let Value::Array(items) = v else {
                return Err(mismatch(&v, shape));
            };
            let (Some(mref), Some(ms)) = (
                shape.member.as_ref(),
                shape.member.as_ref().and_then(|m| model.shape(&m.shape)),
            ) else {
                return Ok(Value::Array(items));
            };
            let mut items = items;
            for item in &mut items {
                *item = from_wire(model, Some(mref), ms, std::mem::take(item), depth + 1)?;
            }
            Ok(Value::Array(items))
        }
        ShapeType::Map => {
            let Value::Object(entries) = v else {
                return Err(mismatch(&v, shape));
            };
            let (Some(vref), Some(vs)) = (
                shape.value.as_ref(),
                shape.value.as_ref().and_then(|m| model.shape(&m.shape)),
            ) else {
                return Ok(Value::Object(entries));
            };
            let mut entries = entries;
            for item in entries.values_mut() {
                *item = from_wire(model, Some(vref), vs, std::mem::take(item), depth + 1)?;
            }
            Ok(Value::Object(entries))
        }
        ShapeType::String => match v {
            Value::String(_) => Ok(v),
            _ => Err(mismatch(&v, shape)),
        },
        ShapeType::Boolean => match v {
            Value::Bool(_) => Ok(v),
            _ => Err(mismatch(&v, shape)),
        },
        ShapeType::Integer | ShapeType::Long => match &v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v),
            _ => Err(mismatch(&v, shape)),
        },
        ShapeType::Float | ShapeType::Double | ShapeType::Decimal => match &v {
            Value::Number(_) => Ok(v),
            Value::String(s) if is_special_float(s) => Ok(v),
            _ => Err(mismatch(&v, shape)),
        },
        ShapeType::Timestamp => match &v {
            Value::Number(n) => Ok(n.as_f64().map(timestamp::epoch_value).unwrap_or(v)),
            Value::String(s) => timestamp::parse_any(s)
                .map(timestamp::epoch_value)
                .ok_or_else(|| AwsError::serialization(format!("Unable to parse date: {s}"))),
            _ => Err(mismatch(&v, shape)),
        },
        ShapeType::Blob => match &v {
            Value::String(s) => {
                if base64::engine::general_purpose::STANDARD.decode(s).is_err() {
                    let field = r.map(|r| r.shape.as_str()).unwrap_or("blob");
                    return Err(AwsError::serialization(format!(
                        "Base64 encoded {field} value is not valid base64"
                    )));
                }
                Ok(v)
            }
            _ => Err(mismatch(&v, shape)),
        },
    }
}

/// Whether a wire object is already what the general structure walk would build: every key
/// a member of the model under its own name (no `locationName`), in the model's member order,
/// none of them null, and each with a shape. Then converting its values in place gives the
/// same map without rebuilding it.
fn in_member_order(model: &Model, shape: &Shape, obj: &Map<String, Value>) -> bool {
    let members = shape.members();
    let mut next = 0;
    obj.iter().all(|(key, item)| {
        if item.is_null() {
            return false;
        }
        match members[next..].iter().position(|(name, _)| name == key) {
            Some(i) => {
                let (_, mref) = &members[next + i];
                next += i + 1;
                mref.location_name.as_deref().is_none_or(|l| l == key)
                    && model.shape(&mref.shape).is_some()
            }
            None => false,
        }
    })
}

/// Rejects document values nested deeper than [`MAX_DEPTH`].
fn check_depth(v: &Value, depth: usize) -> Result<(), AwsError> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    match v {
        Value::Array(items) => items.iter().try_for_each(|i| check_depth(i, depth + 1)),
        Value::Object(obj) => obj.values().try_for_each(|i| check_depth(i, depth + 1)),
        _ => Ok(()),
    }
}

/// Converts a canonical value of `shape` into its JSON wire form: model members only,
/// under their JSON names; timestamps in the member's format (epoch seconds by default).
pub fn to_wire(
    model: &Model,
    r: Option<&ShapeRef>,
    shape: &Shape,
    v: &Value,
    depth: usize,
) -> Value {
    if depth > MAX_DEPTH || v.is_null() {
        return Value::Null;
    }
    match shape.kind {
        ShapeType::Structure if shape.document => v.clone(),
        ShapeType::Structure => {
            let mut out = Map::new();
            let Some(obj) = v.as_object() else {
                return Value::Object(out);
            };
            for (name, mref) in shape.members() {
                let Some(item) = obj.get(name).filter(|i| !i.is_null()) else {
                    continue;
                };
                let Some(ms) = model.shape(&mref.shape) else {
                    continue;
                };
                out.insert(
                    wire_name(name, mref).to_string(),
                    to_wire(model, Some(mref), ms, item, depth + 1),
                );
            }
            Value::Object(out)
        }
        ShapeType::List => {
            let (Some(mref), Some(ms), Some(items)) = (
                shape.member.as_ref(),
                shape.member.as_ref().and_then(|m| model.shape(&m.shape)),
                v.as_array(),
            ) else {
                return v.clone();
            };
            Value::Array(
                items
                    .iter()
                    .map(|i| to_wire(model, Some(mref), ms, i, depth + 1))
                    .collect(),
            )
        }
        ShapeType::Map => {
            let (Some(vref), Some(vs), Some(entries)) = (
                shape.value.as_ref(),
                shape.value.as_ref().and_then(|m| model.shape(&m.shape)),
                v.as_object(),
            ) else {
                return v.clone();
            };
            Value::Object(
                entries
                    .iter()
                    .map(|(k, i)| (k.clone(), to_wire(model, Some(vref), vs, i, depth + 1)))
                    .collect(),
            )
        }
        ShapeType::Timestamp => match v.as_f64() {
            Some(secs) => match TimestampFormat::resolve(r, shape, TimestampFormat::EpochSeconds) {
                TimestampFormat::EpochSeconds => timestamp::epoch_value(secs),
                other => Value::String(timestamp::format(secs, other)),
            },
            None => v.clone(),
        },
        _ => v.clone(),
    }
}

fn content_type(model: &Model) -> String {
    format!(
        "application/x-amz-json-{}",
        model.metadata.json_version.as_deref().unwrap_or("1.0")
    )
}

/// Writes `v` as JSON (serde_json's compact form, as `serde_json::to_vec` would).
fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Writing a string or a `Value` to a Vec cannot fail: its keys are strings.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// Appends the JSON bytes of `to_wire(model, r, shape, v, depth)` to `out` without building
/// that value: the same members, names, order, timestamps and numbers, byte for byte.
/// (Equal only while no structure has two members with the same JSON name, which
/// `to_wire`'s map would merge; a test checks every embedded JSON model for that.)
fn write_wire(
    model: &Model,
    r: Option<&ShapeRef>,
    shape: &Shape,
    v: &Value,
    depth: usize,
    out: &mut Vec<u8>,
) {
    if depth > MAX_DEPTH || v.is_null() {
        out.extend_from_slice(b"null");
        return;
    }
    match shape.kind {
        ShapeType::Structure if shape.document => write_json(out, v),
        ShapeType::Structure => {
            out.push(b'{');
            if let Some(obj) = v.as_object() {
                let mut first = true;
                for (name, mref) in shape.members() {
                    let Some(item) = obj.get(name).filter(|i| !i.is_null()) else {
                        continue;
                    };
                    let Some(ms) = model.shape(&mref.shape) else {
                        continue;
                    };
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_json(out, wire_name(name, mref));
                    out.push(b':');
                    write_wire(model, Some(mref), ms, item, depth + 1, out);
                }
            }
            out.push(b'}');
        }
        ShapeType::List => {
            let (Some(mref), Some(ms), Some(items)) = (
                shape.member.as_ref(),
                shape.member.as_ref().and_then(|m| model.shape(&m.shape)),
                v.as_array(),
            ) else {
                return write_json(out, v);
            };
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_wire(model, Some(mref), ms, item, depth + 1, out);
            }
            out.push(b']');
        }
        ShapeType::Map => {
            let (Some(vref), Some(vs), Some(entries)) = (
                shape.value.as_ref(),
                shape.value.as_ref().and_then(|m| model.shape(&m.shape)),
                v.as_object(),
            ) else {
                return write_json(out, v);
            };
            out.push(b'{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, k);
                out.push(b':');
                write_wire(model, Some(vref), vs, item, depth + 1, out);
            }
            out.push(b'}');
        }
        ShapeType::Timestamp => write_json(out, &to_wire(model, r, shape, v, depth)),
        _ => write_json(out, v),
    }
}

fn respond(model: &Model, status: u16, body: Vec<u8>, meta: &ResponseMeta<'_>) -> HttpResponse {
    let mut headers = vec![
        ("Content-Type".to_string(), content_type(model)),
        ("x-amzn-RequestId".to_string(), meta.request_id.to_string()),
    ];
    if patch(model).crc32_header {
        headers.push((
            "x-amz-crc32".to_string(),
            crc32fast::hash(&body).to_string(),
        ));
    }
    HttpResponse {
        status,
        headers,
        body: body.into(),
    }
}

/// Writes an operation's output.
pub fn serialize(
    model: &Model,
    op: &Operation,
    out: Output,
    meta: &ResponseMeta<'_>,
) -> HttpResponse {
    let output = op
        .output
        .as_ref()
        .and_then(|r| model.shape(&r.shape).map(|s| (r, s)));
    if let Some((r, shape)) = output
        && shape.kind == ShapeType::Structure
        && !shape.document
        && !out.value.is_null()
    {
        // An output structure (every JSON operation's): its wire form is always an object,
        // written straight from the canonical value.
        let mut body = Vec::with_capacity(256);
        write_wire(model, Some(r), shape, &out.value, 0, &mut body);
        return respond(model, 200, body, meta);
    }
    let wire = match output {
        Some((r, shape)) => to_wire(model, Some(r), shape, &out.value, 0),
        None => Value::Object(Map::new()),
    };
    let wire = if wire.is_object() {
        wire
    } else {
        Value::Object(Map::new())
    };
    // Serializing a `Value` to a Vec cannot fail: its keys are strings.
    let body = serde_json::to_vec(&wire).unwrap_or_else(|_| b"{}".to_vec());
    respond(model, 200, body, meta)
}

/// The error body: `__type`, the message (under the error shape's own spelling, `message`
/// or `Message`) and the error's other members; never the internal `__cause`.
pub fn error_body(model: &Model, err: &AwsError) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert("__type".into(), Value::String(err.code.shape.to_string()));
    let shape = model.shape(err.code.shape);
    let message_key = match shape {
        Some(s) if s.member("Message").is_some() && s.member("message").is_none() => "Message",
        _ => "message",
    };
    if !err.message.is_empty() {
        body.insert(message_key.into(), Value::String(err.message.clone()));
    }
    if let Some(fields) = &err.fields {
        let fields: Map<String, Value> = fields
            .iter()
            .filter(|(k, _)| !k.starts_with("__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let wire = match shape {
            Some(s) if s.kind == ShapeType::Structure => {
                to_wire(model, None, s, &Value::Object(fields.clone()), 0)
            }
            _ => Value::Object(fields),
        };
        if let Value::Object(extra) = wire {
            for (k, v) in extra {
                if !body.contains_key(&k) && !k.eq_ignore_ascii_case("message") {
                    body.insert(k, v);
                }
            }
        }
    }
    body
}

/// Writes an error.
pub fn serialize_error(model: &Model, err: &AwsError, meta: &ResponseMeta<'_>) -> HttpResponse {
    let body = error_body(model, err);
    // As in `serialize`: a map of JSON values always serializes.
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = respond(model, err.code.status, bytes, meta);
    resp.headers
        .push(("x-amzn-ErrorType".to_string(), err.code.shape.to_string()));
    if model.metadata.aws_query_compatible.is_some() {
        let fault = if err.code.sender_fault {
            "Sender"
        } else {
            "Receiver"
        };
        resp.headers.push((
            "x-amzn-query-error".to_string(),
            format!("{};{fault}", err.code.code),
        ));
    }
    resp
}

#[cfg(test)]
mod tests;
