//! SNS subscription filter policies: parsing with AWS's validation messages, the complexity
//! limit, and evaluation against message attributes or a JSON message body. Pure: no I/O, no
//! store, so it is tested (and could be fuzzed) alone.
//!
//! Syntax: exact strings / numbers / `null` / booleans, `anything-but` (a value, a list, or
//! `{"prefix"|"suffix": ..}`), `prefix`, `suffix`, `equals-ignore-case`, `numeric` (`=`, `<`,
//! `<=`, `>`, `>=`, and ranges `[">", a, "<=", b]`), `exists`, `$or` at any object level,
//! nested keys for the `MessageBody` scope; an array value in the message matches when any
//! element matches.

mod eval;
#[cfg(test)]
mod tests;

use serde_json::Value;

pub use eval::AttributeValue;

/// Where a policy applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    MessageAttributes,
    MessageBody,
}

impl Scope {
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "MessageAttributes" => Some(Scope::MessageAttributes),
            "MessageBody" => Some(Scope::MessageBody),
            _ => None,
        }
    }
}

/// At most this many combinations of values (AWS's limit).
pub const MAX_COMBINATIONS: u64 = 150;
/// At most this many top-level keys.
pub const MAX_KEYS: usize = 5;
/// Nesting bound, so a hostile policy cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

/// A validated filter policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub(crate) root: Group,
    pub(crate) scope: Scope,
}

/// An object of the policy: every field must match, and one branch of each `$or`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub fields: Vec<(String, Field)>,
    pub ors: Vec<Vec<Group>>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field {
    Rules(Vec<Rule>),
    Nested(Group),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Rule {
    Exact(String),
    Number(f64),
    Bool(bool),
    Null,
    Prefix(String),
    Suffix(String),
    EqualsIgnoreCase(String),
    AnythingBut(Vec<Rule>),
    AnythingButPrefix(String),
    AnythingButSuffix(String),
    /// Lower and upper bounds: (value, inclusive).
    Numeric {
        lower: Option<(f64, bool)>,
        upper: Option<(f64, bool)>,
    },
    Exists(bool),
}

/// A policy that AWS would reject; the text follows `Invalid parameter: [Attributes Reason: ]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError(pub String);

fn err<T>(msg: impl std::fmt::Display) -> Result<T, PolicyError> {
    Err(PolicyError(format!("FilterPolicy: {msg}")))
}

impl Policy {
    /// Parses and validates a policy document (the subscription attribute's text).
    pub fn parse(text: &str, scope: Scope) -> Result<Policy, PolicyError> {
        let value: Value = serde_json::from_str(text).or_else(|_| err("failed to parse JSON."))?;
        Policy::from_value(&value, scope)
    }

    pub fn from_value(value: &Value, scope: Scope) -> Result<Policy, PolicyError> {
        let Value::Object(map) = value else {
            return err("Filter policy must be a JSON object");
        };
        if map.len() > MAX_KEYS {
            return err("Filter policy can not have more than 5 keys");
        }
        let (root, combinations) = group(value, scope, 1)?;
        if combinations > MAX_COMBINATIONS {
            return err("Filter policy is too complex");
        }
        Ok(Policy { root, scope })
    }

    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Whether a message with these attributes matches (`MessageAttributes` scope).
    pub fn matches_attributes(&self, attributes: &[(&str, AttributeValue)]) -> bool {
        eval::group_matches_attributes(&self.root, attributes)
    }

    /// Whether a message body matches (`MessageBody` scope); a body that is not a JSON
    /// object matches nothing.
    pub fn matches_body(&self, body: &str) -> bool {
        match serde_json::from_str::<Value>(body) {
            Ok(v @ Value::Object(_)) => eval::group_matches_body(&self.root, &v),
            _ => false,
        }
    }
}

/// Parses one object; returns it with its number of combinations.
fn group(value: &Value, scope: Scope, depth: usize) -> Result<(Group, u64), PolicyError> {
    if depth > MAX_DEPTH {
        return err("Filter policy is too complex");
    }
    let Value::Object(map) = value else {
        return err("Filter policy must be a JSON object");
    };
    let mut g = Group {
        fields: Vec::new(),
        ors: Vec::new(),
    };
    let mut combinations: u64 = 1;
    for (key, v) in map {
        match v {
            Value::Array(items) if key == "$or" => {
                if items.len() < 2 {
                    return err("Or condition must have at least 2 branches");
                }
                let mut branches = Vec::with_capacity(items.len());
                let mut sum: u64 = 0;
                for item in items {
                    if !item.is_object() {
                        return err("Or condition branches must be objects");
                    }
                    let (b, c) = group(item, scope, depth)?;
                    sum = sum.saturating_add(c);
                    branches.push(b);
                }
                combinations = combinations.saturating_mul(sum);
                g.ors.push(branches);
            }
            Value::Array(items) => {
                if items.is_empty() {
                    return err("Empty arrays are not allowed");
                }
                let rules = items.iter().map(rule).collect::<Result<Vec<_>, _>>()?;
                combinations = combinations
                    .saturating_mul(items.len() as u64)
                    .saturating_mul(depth as u64);
                g.fields.push((key.clone(), Field::Rules(rules)));
            }
            Value::Object(_) => {
                if scope == Scope::MessageAttributes {
                    return Err(PolicyError(
                        "Filter policy scope MessageAttributes does not support nested filter policy"
                            .into(),
                    ));
                }
                let (nested, c) = group(v, scope, depth + 1)?;
                combinations = combinations.saturating_mul(c);
                g.fields.push((key.clone(), Field::Nested(nested)));
            }
            _ => return err(format!("\"{key}\" must be an object or an array")),
        }
    }
    Ok((g, combinations))
}

fn scalar(v: &Value) -> Result<Rule, PolicyError> {
    match v {
        Value::String(s) => Ok(Rule::Exact(s.clone())),
        Value::Number(n) => Ok(Rule::Number(n.as_f64().unwrap_or(f64::NAN))),
        Value::Bool(b) => Ok(Rule::Bool(*b)),
        Value::Null => Ok(Rule::Null),
        _ => err("Match value must be String, number, true, false, or null"),
    }
}

fn string_operand(op: &str, v: &Value) -> Result<String, PolicyError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        _ => err(format!("{op} match pattern must be a string")),
    }
}

fn rule(v: &Value) -> Result<Rule, PolicyError> {
    let Value::Object(m) = v else {
        return scalar(v);
    };
    if m.len() != 1 {
        return err("Only one key allowed in match expression");
    }
    let Some((op, operand)) = m.iter().next() else {
        return err("Only one key allowed in match expression");
    };
    match op.as_str() {
        "prefix" => Ok(Rule::Prefix(string_operand(op, operand)?)),
        "suffix" => Ok(Rule::Suffix(string_operand(op, operand)?)),
        "equals-ignore-case" => Ok(Rule::EqualsIgnoreCase(string_operand(op, operand)?)),
        "exists" => match operand {
            Value::Bool(b) => Ok(Rule::Exists(*b)),
            _ => err("exists match pattern must be either true or false."),
        },
        "anything-but" => match operand {
            Value::Array(items) => {
                if items.is_empty() {
                    return err("Empty arrays are not allowed");
                }
                Ok(Rule::AnythingBut(
                    items.iter().map(scalar).collect::<Result<_, _>>()?,
                ))
            }
            Value::Object(inner) => {
                if inner.len() != 1 {
                    return err("Only one key allowed in match expression");
                }
                match inner.iter().next() {
                    Some((k, v)) if k == "prefix" => {
                        Ok(Rule::AnythingButPrefix(string_operand(k, v)?))
                    }
                    Some((k, v)) if k == "suffix" => {
                        Ok(Rule::AnythingButSuffix(string_operand(k, v)?))
                    }
                    Some((k, _)) => err(format!("Unsupported anything-but pattern: {k}")),
                    None => err("Only one key allowed in match expression"),
                }
            }
            other => Ok(Rule::AnythingBut(vec![scalar(other)?])),
        },
        "numeric" => numeric(operand),
        other => err(format!("Unrecognized match type {other}")),
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn numeric(v: &Value) -> Result<Rule, PolicyError> {
    let items = match v {
        Value::Array(items) if !items.is_empty() => items,
        _ => return err("Invalid member in numeric match: ]"),
    };
    let mut it = items.iter();
    let op = it.next().map(show).unwrap_or_default();
    if !items[0].is_string() {
        return err(format!("Invalid member in numeric match: {op}"));
    }
    if !["<", "<=", "=", ">", ">="].contains(&op.as_str()) {
        return err(format!("Unrecognized numeric range operator: {op}"));
    }
    let named = |op: &str| {
        if op == "=" {
            "equals".to_string()
        } else {
            op.to_string()
        }
    };
    let Some(first) = it.next().and_then(Value::as_f64) else {
        return err(format!("Value of {} must be numeric", named(&op)));
    };
    let mut lower = None;
    let mut upper = None;
    match op.as_str() {
        "=" => {
            lower = Some((first, true));
            upper = Some((first, true));
        }
        "<" => upper = Some((first, false)),
        "<=" => upper = Some((first, true)),
        ">" => lower = Some((first, false)),
        _ => lower = Some((first, true)),
    }
    let Some(second) = it.next() else {
        return Ok(Rule::Numeric { lower, upper });
    };
    if !matches!(op.as_str(), ">" | ">=") {
        return err("Too many elements in numeric expression");
    }
    let op2 = show(second);
    if !second.is_string() {
        return err(format!("Bad value in numeric range: {op2}"));
    }
    if !["<", "<="].contains(&op2.as_str()) {
        return err(format!("Bad numeric range operator: {op2}"));
    }
    let Some(top) = it.next().and_then(Value::as_f64) else {
        return err(format!("Value of {} must be numeric", named(&op2)));
    };
    if top <= first {
        return err("Bottom must be less than top");
    }
    if it.next().is_some() {
        return err("Too many terms in numeric range expression");
    }
    upper = Some((top, op2 == "<="));
    Ok(Rule::Numeric { lower, upper })
}
