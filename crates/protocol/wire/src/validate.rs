//! Generic input validation against the model, with AWS's messages.
//!
//! [`violations`] walks a canonical input with the operation's input shape and lists every
//! broken constraint:
//!
//! * `required` members missing or null — `Member must not be null`;
//! * string length in characters, blob length in bytes, list and map sizes —
//!   `Member must have length greater than or equal to 1` / `less than or equal to 2048`;
//! * numeric ranges — `Member must have value greater than or equal to 1`;
//! * enums — `Member must satisfy enum value set: [String, StringList, SecureString]`;
//! * patterns — `Member must satisfy regular expression pattern: <pattern>`, matched against
//!   the whole value (Java's `matches()`, as AWS does) with `regex-lite`; compiled patterns
//!   are cached, and a pattern `regex-lite` cannot compile (look-arounds, Unicode classes)
//!   is skipped rather than failing the request.
//!
//! Paths name members with the first letter lowercased and list items by 1-based index, as
//! AWS does: `'parameterFilters.1.member.key'`; map values are `'<map>.<key>'`.
//!
//! [`error`] turns violations into the protocol's error: `ValidationException` for JSON and
//! REST services, `ValidationError` for query services, with the message
//! `N validation error(s) detected: A; B` listing at most [`MAX_LISTED`] violations.
//!
//! Known differences from AWS: values are rendered as JSON-ish text where AWS prints Java's
//! `toString` of lists and structures; the count is of the listed violations.

// `AwsError` is the workspace's one wire-error type and `lib.rs` fixes these signatures;
// boxing it is the lead's call, not this module's.
#![allow(clippy::result_large_err)]

use crate::{MAX_DEPTH, Protocol};
use lamina_core::{AwsError, ErrorCode, common};
use lamina_model::{Model, Operation, Shape, ShapeType};
use regex_lite::Regex;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// How many violations a message lists, as AWS caps its list.
pub const MAX_LISTED: usize = 10;

/// One broken constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// `parameterFilters.1.member.key`
    pub path: String,
    /// The value as AWS prints it, `None` for null or a sensitive member.
    pub value: Option<String>,
    /// `Member must not be null`
    pub constraint: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(v) => write!(
                f,
                "Value '{v}' at '{}' failed to satisfy constraint: {}",
                self.path, self.constraint
            ),
            None if self.constraint == NOT_NULL => {
                write!(
                    f,
                    "Value null at '{}' failed to satisfy constraint: {}",
                    self.path, self.constraint
                )
            }
            None => write!(
                f,
                "Value at '{}' failed to satisfy constraint: {}",
                self.path, self.constraint
            ),
        }
    }
}

const NOT_NULL: &str = "Member must not be null";

/// The error code a protocol uses for validation failures.
pub fn error_code(protocol: Protocol) -> ErrorCode {
    match protocol {
        Protocol::Query => common::VALIDATION_ERROR,
        Protocol::Json | Protocol::RestJson | Protocol::RestXml => common::VALIDATION_EXCEPTION,
    }
}

/// The protocol's validation error for a list of violations, `None` if there are none.
pub fn error(protocol: Protocol, violations: &[Violation]) -> Option<AwsError> {
    if violations.is_empty() {
        return None;
    }
    let listed = &violations[..violations.len().min(MAX_LISTED)];
    let n = listed.len();
    let noun = if n == 1 { "error" } else { "errors" };
    let parts: Vec<String> = listed.iter().map(ToString::to_string).collect();
    let message = format!("{n} validation {noun} detected: {}", parts.join("; "));
    Some(AwsError::new(error_code(protocol), message))
}

/// Checks a canonical input against the operation's input shape; the error code follows
/// the model's protocol.
pub fn validate(model: &Model, op: &Operation, input: &Value) -> Result<(), AwsError> {
    match error(Protocol::of(model), &violations(model, op, input)) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Every broken constraint of a canonical input.
pub fn violations(model: &Model, op: &Operation, input: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(shape) = op.input.as_ref().and_then(|r| model.shape(&r.shape)) {
        let empty = Value::Object(Default::default());
        let input = if input.is_null() { &empty } else { input };
        check_structure(model, shape, input, "", 0, &mut out);
    }
    out
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn join(prefix: &str, part: &str) -> String {
    if prefix.is_empty() {
        part.to_string()
    } else {
        format!("{prefix}.{part}")
    }
}

fn check_structure(
    model: &Model,
    shape: &Shape,
    value: &Value,
    path: &str,
    depth: usize,
    out: &mut Vec<Violation>,
) {
    if depth > MAX_DEPTH || shape.document {
        return;
    }
    let Some(obj) = value.as_object() else { return };
    for (name, r) in shape.members() {
        let member_path = join(path, &lower_first(name));
        let member_value = obj.get(name).filter(|v| !v.is_null());
        match member_value {
            None => {
                // A blob/string payload travels in `Input::payload`, not in the value.
                if shape.is_required(name) && !(depth == 0 && is_raw_payload(model, shape, name)) {
                    out.push(Violation {
                        path: member_path,
                        value: None,
                        constraint: NOT_NULL.into(),
                    });
                }
            }
            Some(v) => {
                if let Some(ms) = model.shape(&r.shape) {
                    check_value(model, ms, v, &member_path, depth + 1, out);
                }
            }
        }
    }
}

/// Whether `name` is the top-level blob/string payload member of a rest input.
fn is_raw_payload(model: &Model, shape: &Shape, name: &str) -> bool {
    shape.payload.as_deref() == Some(name)
        && shape
            .member(name)
            .and_then(|r| model.shape(&r.shape))
            .is_some_and(|s| {
                matches!(
                    s.kind,
                    lamina_model::ShapeType::Blob | lamina_model::ShapeType::String
                )
            })
}

fn check_value(
    model: &Model,
    shape: &Shape,
    value: &Value,
    path: &str,
    depth: usize,
    out: &mut Vec<Violation>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let shown = || {
        if shape.sensitive {
            None
        } else {
            Some(render(value))
        }
    };
    let mut push = |constraint: String| {
        out.push(Violation {
            path: path.to_string(),
            value: shown(),
            constraint,
        })
    };
    match shape.kind {
        ShapeType::Structure => {
            check_structure(model, shape, value, path, depth, out);
        }
        ShapeType::List => {
            let Some(items) = value.as_array() else {
                return;
            };
            check_length(shape, items.len(), &mut push);
            if let Some(ms) = shape.member.as_ref().and_then(|m| model.shape(&m.shape)) {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_null() {
                        check_value(
                            model,
                            ms,
                            item,
                            &format!("{path}.{}.member", i + 1),
                            depth + 1,
                            out,
                        );
                    }
                }
            }
        }
        ShapeType::Map => {
            let Some(entries) = value.as_object() else {
                return;
            };
            check_length(shape, entries.len(), &mut push);
            let key_shape = shape.key.as_ref().and_then(|m| model.shape(&m.shape));
            let value_shape = shape.value.as_ref().and_then(|m| model.shape(&m.shape));
            for (k, v) in entries {
                if let Some(ks) = key_shape {
                    check_value(
                        model,
                        ks,
                        &Value::String(k.clone()),
                        &format!("{path}.key"),
                        depth + 1,
                        out,
                    );
                }
                if let (Some(vs), false) = (value_shape, v.is_null()) {
                    check_value(model, vs, v, &format!("{path}.{k}"), depth + 1, out);
                }
            }
        }
        ShapeType::String => {
            let Some(s) = value.as_str() else { return };
            check_length(shape, s.chars().count(), &mut push);
            if !shape.enum_values.is_empty() && !shape.enum_values.iter().any(|e| e == s) {
                push(format!(
                    "Member must satisfy enum value set: [{}]",
                    shape.enum_values.join(", ")
                ));
            }
            if let Some(p) = &shape.pattern
                && let Some(re) = compiled(p)
                && !re.is_match(s)
            {
                push(format!(
                    "Member must satisfy regular expression pattern: {p}"
                ));
            }
        }
        ShapeType::Blob => {
            if let Some(s) = value.as_str() {
                check_length(shape, decoded_len(s), &mut push);
            }
        }
        ShapeType::Integer
        | ShapeType::Long
        | ShapeType::Float
        | ShapeType::Double
        | ShapeType::Decimal => {
            let Some(n) = value.as_f64() else { return };
            if let Some(min) = shape.min
                && n < min
            {
                push(format!(
                    "Member must have value greater than or equal to {}",
                    number(min)
                ));
            }
            if let Some(max) = shape.max
                && n > max
            {
                push(format!(
                    "Member must have value less than or equal to {}",
                    number(max)
                ));
            }
        }
        ShapeType::Boolean | ShapeType::Timestamp => {}
    }
}

fn check_length(shape: &Shape, len: usize, push: &mut impl FnMut(String)) {
    let len = len as f64;
    if let Some(min) = shape.min
        && len < min
    {
        push(format!(
            "Member must have length greater than or equal to {}",
            number(min)
        ));
    }
    if let Some(max) = shape.max
        && len > max
    {
        push(format!(
            "Member must have length less than or equal to {}",
            number(max)
        ));
    }
}

/// The byte length of a base64 text without decoding it.
fn decoded_len(b64: &str) -> usize {
    let trimmed = b64.trim_end_matches('=');
    trimmed.len() * 3 / 4
}

/// A model bound as AWS prints it: `1`, not `1.0`.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A value as the message shows it.
fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(render).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(obj) => {
            format!(
                "{{{}}}",
                obj.iter()
                    .map(|(k, v)| format!("{k}={}", render(v)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
        other => other.to_string(),
    }
}

/// The compiled, fully anchored form of a model pattern; `None` if regex-lite cannot
/// compile it (the constraint is then skipped).
fn compiled(pattern: &str) -> Option<Arc<Regex>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Arc<Regex>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    // A poisoned lock only means another thread panicked while inserting; the map is
    // still a valid cache.
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(pattern.to_string())
        .or_insert_with(|| Regex::new(&format!("^(?:{pattern})$")).ok().map(Arc::new))
        .clone()
}

#[cfg(test)]
mod tests;
