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
        check_structure(model, shape, input, &Loc::Root, 0, &mut out);
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

/// Where a value sits in the input. Built on the stack as the walk descends and rendered
/// (`parameterFilters.1.member.key`) only when a violation names it, so a valid input costs
/// no path strings.
#[derive(Clone, Copy)]
enum Loc<'a> {
    Root,
    /// A structure member: `<parent>.<name with the first letter lowercased>`.
    Member(&'a Loc<'a>, &'a str),
    /// The 0-based item of a list: `<parent>.<i + 1>.member`.
    Item(&'a Loc<'a>, usize),
    /// The keys of a map: `<parent>.key`.
    Key(&'a Loc<'a>),
    /// A map's value: `<parent>.<key>`.
    Entry(&'a Loc<'a>, &'a str),
}

impl Loc<'_> {
    fn render(&self) -> String {
        match self {
            Loc::Root => String::new(),
            Loc::Member(parent, name) => join(&parent.render(), &lower_first(name)),
            Loc::Item(parent, i) => format!("{}.{}.member", parent.render(), i + 1),
            Loc::Key(parent) => format!("{}.key", parent.render()),
            Loc::Entry(parent, key) => format!("{}.{key}", parent.render()),
        }
    }
}

/// A structure member's value: `obj.get(name)` without hashing for the small objects
/// (AttributeValue's one member) that most structures in a request are.
fn member<'v>(obj: &'v serde_json::Map<String, Value>, name: &str) -> Option<&'v Value> {
    if obj.len() <= 4 {
        obj.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v)
    } else {
        obj.get(name)
    }
}

fn check_structure(
    model: &Model,
    shape: &Shape,
    value: &Value,
    loc: &Loc<'_>,
    depth: usize,
    out: &mut Vec<Violation>,
) {
    if depth > MAX_DEPTH || shape.document {
        return;
    }
    let Some(obj) = value.as_object() else { return };
    for (name, r) in shape.members() {
        let member_loc = Loc::Member(loc, name);
        let member_value = member(obj, name).filter(|v| !v.is_null());
        match member_value {
            None => {
                // A blob/string payload travels in `Input::payload`, not in the value.
                if shape.is_required(name) && !(depth == 0 && is_raw_payload(model, shape, name)) {
                    out.push(Violation {
                        path: member_loc.render(),
                        value: None,
                        constraint: NOT_NULL.into(),
                    });
                }
            }
            Some(v) => {
                if let Some(ms) = model.shape(&r.shape) {
                    check_value(model, ms, v, &member_loc, depth + 1, out);
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

/// Records a violation of `constraint` by the value at `loc` (`shown`: how it prints).
fn violation(
    out: &mut Vec<Violation>,
    shape: &Shape,
    loc: &Loc<'_>,
    shown: impl FnOnce() -> String,
    constraint: String,
) {
    out.push(Violation {
        path: loc.render(),
        value: if shape.sensitive { None } else { Some(shown()) },
        constraint,
    });
}

/// The checks of a string shape (length in characters, enum, pattern) on `s`.
fn check_str(shape: &Shape, s: &str, loc: &Loc<'_>, out: &mut Vec<Violation>) {
    let shown = || s.to_string();
    check_length(shape, s.chars().count(), &mut |c| {
        violation(out, shape, loc, shown, c)
    });
    if !shape.enum_values.is_empty() && !shape.enum_values.iter().any(|e| e == s) {
        violation(
            out,
            shape,
            loc,
            shown,
            format!(
                "Member must satisfy enum value set: [{}]",
                shape.enum_values.join(", ")
            ),
        );
    }
    if let Some(p) = &shape.pattern
        && let Some(re) = compiled(p)
        && !re.is_match(s)
    {
        violation(
            out,
            shape,
            loc,
            shown,
            format!("Member must satisfy regular expression pattern: {p}"),
        );
    }
}

fn check_value(
    model: &Model,
    shape: &Shape,
    value: &Value,
    loc: &Loc<'_>,
    depth: usize,
    out: &mut Vec<Violation>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let shown = || render(value);
    let length = |len: usize, out: &mut Vec<Violation>| {
        check_length(shape, len, &mut |c| violation(out, shape, loc, shown, c))
    };
    match shape.kind {
        ShapeType::Structure => {
            check_structure(model, shape, value, loc, depth, out);
        }
        ShapeType::List => {
            let Some(items) = value.as_array() else {
                return;
            };
            length(items.len(), out);
            if let Some(ms) = shape.member.as_ref().and_then(|m| model.shape(&m.shape)) {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_null() {
                        check_value(model, ms, item, &Loc::Item(loc, i), depth + 1, out);
                    }
                }
            }
        }
        ShapeType::Map => {
            let Some(entries) = value.as_object() else {
                return;
            };
            length(entries.len(), out);
            let key_shape = shape.key.as_ref().and_then(|m| model.shape(&m.shape));
            let value_shape = shape.value.as_ref().and_then(|m| model.shape(&m.shape));
            let key_loc = Loc::Key(loc);
            for (k, v) in entries {
                match key_shape {
                    // A key is a string; checked as the string value it is, without a copy.
                    Some(ks) if ks.kind == ShapeType::String && depth < MAX_DEPTH => {
                        check_str(ks, k, &key_loc, out)
                    }
                    Some(ks) => check_value(
                        model,
                        ks,
                        &Value::String(k.clone()),
                        &key_loc,
                        depth + 1,
                        out,
                    ),
                    None => {}
                }
                if let (Some(vs), false) = (value_shape, v.is_null()) {
                    check_value(model, vs, v, &Loc::Entry(loc, k), depth + 1, out);
                }
            }
        }
        ShapeType::String => {
            let Some(s) = value.as_str() else { return };
            check_str(shape, s, loc, out);
        }
        ShapeType::Blob => {
            if let Some(s) = value.as_str() {
                length(decoded_len(s), out);
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
                violation(
                    out,
                    shape,
                    loc,
                    shown,
                    format!(
                        "Member must have value greater than or equal to {}",
                        number(min)
                    ),
                );
            }
            if let Some(max) = shape.max
                && n > max
            {
                violation(
                    out,
                    shape,
                    loc,
                    shown,
                    format!(
                        "Member must have value less than or equal to {}",
                        number(max)
                    ),
                );
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
    if let Some(re) = map.get(pattern) {
        return re.clone();
    }
    map.entry(pattern.to_string())
        .or_insert_with(|| Regex::new(&format!("^(?:{pattern})$")).ok().map(Arc::new))
        .clone()
}

#[cfg(test)]
mod tests;
