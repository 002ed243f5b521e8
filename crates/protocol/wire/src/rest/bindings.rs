//! HTTP bindings shared by rest-json and rest-xml: members bound to URI labels, the query
//! string, headers, header-prefix maps and the status code, read into canonical form and
//! written back out.

use super::{quirks, route};
use crate::HttpRequest;
use crate::timestamp::{self, TimestampFormat};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use lamina_core::AwsError;
use lamina_model::{Model, Operation, Shape, ShapeRef, ShapeType};
use serde_json::{Map, Number, Value};

/// Where a bound value came from; decides the default timestamp format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Uri,
    Query,
    Header,
}

/// Whether a member is bound outside the body.
pub fn is_bound(member: &ShapeRef) -> bool {
    matches!(
        member.location.as_deref(),
        Some("uri" | "querystring" | "header" | "headers" | "statusCode")
    )
}

/// The member's wire name: `locationName` or the member name.
pub fn wire_name<'a>(name: &'a str, member: &'a ShapeRef) -> &'a str {
    member.location_name.as_deref().unwrap_or(name)
}

/// Reads every URI, query-string and header member of the input shape from the request.
pub fn parse_bindings(
    model: &Model,
    op: &Operation,
    shape: &Shape,
    req: &HttpRequest,
) -> Result<Map<String, Value>, AwsError> {
    let labels = route::labels_for(op, req);
    let query = route::query_pairs(&req.query);
    let template = route::Template::parse(&op.http.request_uri);
    let mut out = Map::new();
    // Query keys some scalar or list member claims; a query-string map gets the others.
    let mut claimed: Vec<&str> = template.query.iter().map(|(k, _)| k.as_str()).collect();
    claimed.push("x-id");
    for (name, member) in shape.members() {
        if member.location.as_deref() == Some("querystring")
            && model
                .shape(&member.shape)
                .is_some_and(|s| s.kind != ShapeType::Map)
        {
            claimed.push(wire_name(name, member));
        }
    }
    for (name, member) in shape.members() {
        let Some(target) = model.shape(&member.shape) else {
            continue;
        };
        let wire = wire_name(name, member);
        let value = match member.location.as_deref() {
            Some("uri") => match labels.iter().find(|(k, _)| k == wire) {
                Some((_, v)) => Some(scalar(model, member, target, v, Place::Uri)?),
                None => None,
            },
            Some("querystring") => match target.kind {
                ShapeType::Map => query_map(model, target, &query, &claimed),
                ShapeType::List => {
                    let items: Vec<&str> = query
                        .iter()
                        .filter(|(k, _)| k == wire)
                        .map(|(_, v)| v.as_str())
                        .collect();
                    if items.is_empty() {
                        None
                    } else {
                        let item_ref = target.member.as_ref();
                        let mut list = Vec::with_capacity(items.len());
                        for item in items {
                            list.push(
                                match item_ref.and_then(|r| Some((r, model.shape(&r.shape)?))) {
                                    Some((r, s)) => scalar(model, r, s, item, Place::Query)?,
                                    None => Value::String(item.to_string()),
                                },
                            );
                        }
                        Some(Value::Array(list))
                    }
                }
                _ => match query.iter().find(|(k, _)| k == wire) {
                    Some((_, v)) => Some(scalar(model, member, target, v, Place::Query)?),
                    None => None,
                },
            },
            Some("header") => match header_text(req, wire) {
                Some(text) if target.kind == ShapeType::List => {
                    let item_ref = target.member.as_ref();
                    let mut list = Vec::new();
                    for item in split_header_list(&text) {
                        list.push(
                            match item_ref.and_then(|r| Some((r, model.shape(&r.shape)?))) {
                                Some((r, s)) => scalar(model, r, s, &item, Place::Header)?,
                                None => Value::String(item),
                            },
                        );
                    }
                    Some(Value::Array(list))
                }
                Some(text) => Some(scalar(model, member, target, &text, Place::Header)?),
                None => None,
            },
            Some("headers") => {
                let prefix = wire.to_ascii_lowercase();
                let map: Map<String, Value> = req
                    .headers
                    .iter()
                    .filter_map(|(k, v)| {
                        let key = k.as_str().strip_prefix(prefix.as_str())?;
                        Some((
                            key.to_string(),
                            Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()),
                        ))
                    })
                    .collect();
                (!map.is_empty()).then_some(Value::Object(map))
            }
            _ => None,
        };
        if let Some(v) = value {
            out.insert(name.clone(), v);
        }
    }
    Ok(out)
}

fn header_text(req: &HttpRequest, name: &str) -> Option<String> {
    let values: Vec<String> = req
        .headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(","))
}

fn query_map(
    model: &Model,
    target: &Shape,
    query: &[(String, String)],
    claimed: &[&str],
) -> Option<Value> {
    let of_lists = target
        .value
        .as_ref()
        .and_then(|v| model.shape(&v.shape))
        .is_some_and(|s| s.kind == ShapeType::List);
    let mut map = Map::new();
    for (k, v) in query.iter().filter(|(k, _)| !claimed.contains(&k.as_str())) {
        if of_lists {
            if let Value::Array(items) = map
                .entry(k.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                items.push(Value::String(v.clone()));
            }
        } else {
            map.entry(k.clone())
                .or_insert_with(|| Value::String(v.clone()));
        }
    }
    (!map.is_empty()).then_some(Value::Object(map))
}

/// Splits a comma-separated header list; items may be double-quoted with `\"` escapes.
pub fn split_header_list(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ',' if !quoted => items.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    items.push(cur.trim().to_string());
    items
}

/// Converts one bound text value to canonical form by its shape's type.
pub fn scalar(
    model: &Model,
    member: &ShapeRef,
    target: &Shape,
    text: &str,
    place: Place,
) -> Result<Value, AwsError> {
    let bad = |what: &str| {
        AwsError::new(
            quirks::malformed(model.name),
            format!("Invalid {what} value: '{text}'"),
        )
    };
    Ok(match target.kind {
        ShapeType::Integer | ShapeType::Long => Value::Number(
            text.trim()
                .parse::<i64>()
                .map_err(|_| bad("integer"))?
                .into(),
        ),
        ShapeType::Float | ShapeType::Double | ShapeType::Decimal => {
            let f = text.trim().parse::<f64>().map_err(|_| bad("number"))?;
            match Number::from_f64(f) {
                Some(n) => Value::Number(n),
                // NaN and the infinities travel as strings, as in the JSON protocol.
                None => Value::String(text.trim().to_string()),
            }
        }
        ShapeType::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(bad("boolean")),
        },
        ShapeType::Timestamp => {
            timestamp::epoch_value(timestamp::parse_any(text).ok_or_else(|| bad("timestamp"))?)
        }
        ShapeType::String if member.json_value == Some(true) && place == Place::Header => {
            let bytes = B64.decode(text.trim()).map_err(|_| bad("base64 JSON"))?;
            serde_json::from_slice(&bytes).map_err(|_| bad("JSON"))?
        }
        _ => Value::String(text.to_string()),
    })
}

/// Writes one canonical scalar as header / query text.
pub fn scalar_text(
    member: &ShapeRef,
    target: &Shape,
    value: &Value,
    place: Place,
) -> Option<String> {
    match (target.kind, value) {
        (ShapeType::Timestamp, Value::Number(n)) => {
            let default = if place == Place::Header {
                TimestampFormat::Rfc822
            } else {
                TimestampFormat::Iso8601
            };
            Some(timestamp::format(
                n.as_f64()?,
                TimestampFormat::resolve(Some(member), target, default),
            ))
        }
        (ShapeType::String, v) if member.json_value == Some(true) => {
            Some(B64.encode(serde_json::to_string(v).ok()?))
        }
        (_, Value::String(s)) => Some(s.clone()),
        (_, Value::Bool(b)) => Some(b.to_string()),
        (_, Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Takes the header-, headers- and statusCode-bound members out of a canonical output,
/// writing them as response headers; returns the status-code member's value if any.
pub fn write_bindings(
    model: &Model,
    shape: &Shape,
    value: &mut Map<String, Value>,
    headers: &mut Vec<(String, String)>,
) -> Option<u16> {
    let mut status = None;
    for (name, member) in shape.members() {
        if !is_bound(member) {
            continue;
        }
        let Some(v) = value.remove(name) else {
            continue;
        };
        let Some(target) = model.shape(&member.shape) else {
            continue;
        };
        let wire = wire_name(name, member);
        match member.location.as_deref() {
            Some("statusCode") => status = v.as_u64().and_then(|s| u16::try_from(s).ok()),
            Some("headers") => {
                if let Value::Object(map) = v {
                    for (k, item) in map {
                        if let Value::String(s) = item {
                            headers.push((format!("{wire}{k}"), s));
                        }
                    }
                }
            }
            Some("header") => {
                let text = match (&v, target.member.as_ref()) {
                    (Value::Array(items), Some(item_ref)) => {
                        let Some(item_shape) = model.shape(&item_ref.shape) else {
                            continue;
                        };
                        let parts: Vec<String> = items
                            .iter()
                            .filter_map(|i| scalar_text(item_ref, item_shape, i, Place::Header))
                            .map(|s| {
                                if s.contains(',') || s.contains('"') {
                                    format!("\"{}\"", s.replace('"', "\\\""))
                                } else {
                                    s
                                }
                            })
                            .collect();
                        Some(parts.join(","))
                    }
                    _ => scalar_text(member, target, &v, Place::Header),
                };
                if let Some(t) = text {
                    headers.push((wire.to_string(), t));
                }
            }
            _ => {}
        }
    }
    status
}
