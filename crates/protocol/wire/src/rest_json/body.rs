//! JSON bodies of rest-json ↔ canonical form: wire names (`locationName`) ↔ member names,
//! timestamps in the member's `timestampFormat` (default epoch seconds) ↔ epoch seconds.
//! Everything else (blobs as base64, numbers, documents) is the same in both.

use crate::MAX_DEPTH;
use crate::rest::bindings;
use crate::timestamp::{self, TimestampFormat};
use lamina_model::{Model, Shape, ShapeRef, ShapeType};
use serde_json::{Map, Value};

/// Too deeply nested to read.
#[derive(Debug)]
pub struct TooDeep;

/// Reads a wire JSON value of `shape` into canonical form. Values of the wrong JSON type
/// are kept as they are, for validation to report.
pub fn from_wire(
    model: &Model,
    shape: &Shape,
    value: Value,
    depth: usize,
) -> Result<Value, TooDeep> {
    if depth > MAX_DEPTH {
        return Err(TooDeep);
    }
    Ok(match (shape.kind, value) {
        (_, v) if shape.document => v,
        (ShapeType::Structure, Value::Object(mut obj)) => {
            let mut out = Map::new();
            for (name, member) in shape.members() {
                if bindings::is_bound(member) {
                    continue;
                }
                let Some(v) = obj.remove(bindings::wire_name(name, member)) else {
                    continue;
                };
                if v.is_null() {
                    continue;
                }
                out.insert(name.clone(), member_from_wire(model, member, v, depth)?);
            }
            Value::Object(out)
        }
        (ShapeType::List, Value::Array(items)) => match shape.member.as_ref() {
            Some(r) => Value::Array(
                items
                    .into_iter()
                    .map(|i| member_from_wire(model, r, i, depth))
                    .collect::<Result<_, _>>()?,
            ),
            None => Value::Array(items),
        },
        (ShapeType::Map, Value::Object(obj)) => match shape.value.as_ref() {
            Some(r) => Value::Object(
                obj.into_iter()
                    .map(|(k, v)| Ok((k, member_from_wire(model, r, v, depth)?)))
                    .collect::<Result<_, _>>()?,
            ),
            None => Value::Object(obj),
        },
        (ShapeType::Timestamp, Value::String(s)) => match timestamp::parse_any(&s) {
            Some(secs) => timestamp::epoch_value(secs),
            None => Value::String(s),
        },
        (_, v) => v,
    })
}

fn member_from_wire(model: &Model, r: &ShapeRef, v: Value, depth: usize) -> Result<Value, TooDeep> {
    match model.shape(&r.shape) {
        Some(s) => from_wire(model, s, v, depth + 1),
        None => Ok(v),
    }
}

/// Writes a canonical value of `shape` as wire JSON. `member` is the reference that led
/// here, whose `timestampFormat` wins over the shape's. Nesting past [`MAX_DEPTH`] is cut.
pub fn to_wire(
    model: &Model,
    member: Option<&ShapeRef>,
    shape: &Shape,
    value: Value,
    depth: usize,
) -> Value {
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    match (shape.kind, value) {
        (_, v) if shape.document => v,
        (ShapeType::Structure, Value::Object(mut obj)) => {
            let mut out = Map::new();
            for (name, m) in shape.members() {
                let Some(v) = obj.remove(name) else { continue };
                if v.is_null() || bindings::is_bound(m) {
                    continue;
                }
                let v = match model.shape(&m.shape) {
                    Some(s) => to_wire(model, Some(m), s, v, depth + 1),
                    None => v,
                };
                out.insert(bindings::wire_name(name, m).to_string(), v);
            }
            Value::Object(out)
        }
        (ShapeType::List, Value::Array(items)) => match shape.member.as_ref() {
            Some(r) => Value::Array(
                items
                    .into_iter()
                    .map(|i| item_to_wire(model, r, i, depth))
                    .collect(),
            ),
            None => Value::Array(items),
        },
        (ShapeType::Map, Value::Object(obj)) => match shape.value.as_ref() {
            Some(r) => Value::Object(
                obj.into_iter()
                    .map(|(k, v)| (k, item_to_wire(model, r, v, depth)))
                    .collect(),
            ),
            None => Value::Object(obj),
        },
        (ShapeType::Timestamp, Value::Number(n)) => {
            match (
                TimestampFormat::resolve(member, shape, TimestampFormat::EpochSeconds),
                n.as_f64(),
            ) {
                (TimestampFormat::EpochSeconds, _) | (_, None) => Value::Number(n),
                (f, Some(secs)) => Value::String(timestamp::format(secs, f)),
            }
        }
        (_, v) => v,
    }
}

fn item_to_wire(model: &Model, r: &ShapeRef, v: Value, depth: usize) -> Value {
    match model.shape(&r.shape) {
        Some(s) => to_wire(model, Some(r), s, v, depth + 1),
        None => v,
    }
}
