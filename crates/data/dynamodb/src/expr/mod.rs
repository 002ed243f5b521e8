//! The expression engine: a pure module (no store, no async) that parses and evaluates
//! DynamoDB's expression languages.
//!
//! * [`Context`] holds one request's ExpressionAttributeNames/Values and parses every
//!   expression of that request ([`Context::condition`], [`Context::filter`],
//!   [`Context::key_condition`], [`Context::projection`], [`Context::update`]); it records which
//!   names and values were used, so [`Context::check_unused`] can reject the unused ones across
//!   all expressions of the request, as DynamoDB does.
//! * [`eval_condition`], [`apply_update`], [`project`] evaluate the parsed forms against an item;
//!   [`KeyConditions::resolve`] checks a key condition against the table's key schema.
//! * [`legacy`] translates the pre-expression parameters (Expected, AttributeUpdates,
//!   KeyConditions, QueryFilter/ScanFilter, AttributesToGet) into the same types.
//!
//! Error messages are AWS's (`Invalid ConditionExpression: Syntax error; token: "x", near:
//! "a x"`, ...). Parsing is recursive descent with bounded depth over input bounded to AWS's
//! 4 KB, so no input can overflow the stack.

pub mod ast;
mod eval;
mod keycond;
pub mod legacy;
mod lexer;
mod parse_update;
mod parser;
mod project;
mod reserved;
mod update;

#[cfg(test)]
mod tests_eval;
#[cfg(test)]
mod tests_parse;
#[cfg(test)]
mod tests_update;

pub use ast::{
    CmpOp, Condition, Operand, Path, PathElem, SetOperand, SetValue, Update, UpdateAction,
};
pub use eval::{eval_condition, resolve_path, values_equal};
pub use keycond::{KeyCond, KeyCondition, KeyConditions, KeyOp};
pub use project::project;
pub use reserved::is_reserved;
pub use update::apply_update;

use crate::error::{DdbError, Result};
use crate::value::AttrValue;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// AWS's limit on the length of one expression string, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// Which expression parameter a string came from; it names the parameter in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprKind {
    Condition,
    Filter,
    KeyCondition,
    Projection,
    Update,
}

impl ExprKind {
    /// The request parameter: `ConditionExpression`, ...
    pub fn param(self) -> &'static str {
        match self {
            ExprKind::Condition => "ConditionExpression",
            ExprKind::Filter => "FilterExpression",
            ExprKind::KeyCondition => "KeyConditionExpression",
            ExprKind::Projection => "ProjectionExpression",
            ExprKind::Update => "UpdateExpression",
        }
    }
}

pub(crate) fn invalid(msg: impl Into<String>) -> DdbError {
    DdbError::Validation(msg.into())
}

/// One request's ExpressionAttributeNames and ExpressionAttributeValues, and which of them
/// the request's expressions used.
#[derive(Debug, Default, Clone)]
pub struct Context {
    names: BTreeMap<String, String>,
    values: BTreeMap<String, AttrValue>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

fn valid_key(key: &str, sigil: char) -> bool {
    let mut chars = key.chars();
    chars.next() == Some(sigil) && {
        let rest = chars.as_str();
        !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    }
}

impl Context {
    /// Reads the request's `ExpressionAttributeNames` and `ExpressionAttributeValues`
    /// (canonical JSON; either may be absent), with AWS's checks: not empty, keys `#x` / `:x`,
    /// values well-formed.
    pub fn new(names: Option<&Value>, values: Option<&Value>) -> Result<Self> {
        let mut ctx = Context::default();
        if let Some(names) = names.filter(|v| !v.is_null()) {
            let map = names
                .as_object()
                .ok_or_else(|| invalid("ExpressionAttributeNames must be a map"))?;
            if map.is_empty() {
                return Err(invalid("ExpressionAttributeNames must not be empty"));
            }
            for (k, v) in map {
                if !valid_key(k, '#') {
                    return Err(invalid(format!(
                        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                let name = v.as_str().ok_or_else(|| {
                    invalid(format!(
                        "ExpressionAttributeNames contains invalid value for key {k}"
                    ))
                })?;
                ctx.names.insert(k.clone(), name.to_string());
            }
        }
        if let Some(values) = values.filter(|v| !v.is_null()) {
            let map = values
                .as_object()
                .ok_or_else(|| invalid("ExpressionAttributeValues must be a map"))?;
            if map.is_empty() {
                return Err(invalid("ExpressionAttributeValues must not be empty"));
            }
            for (k, v) in map {
                if !valid_key(k, ':') {
                    return Err(invalid(format!(
                        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                    )));
                }
                let value = AttrValue::from_json(v).map_err(|e| {
                    invalid(format!(
                        "ExpressionAttributeValues contains invalid value: {e} for key {k}"
                    ))
                })?;
                crate::value::validate_value(&value).map_err(|e| {
                    invalid(format!(
                        "ExpressionAttributeValues contains invalid value: {e} for key {k}"
                    ))
                })?;
                ctx.values.insert(k.clone(), value);
            }
        }
        Ok(ctx)
    }

    /// A context from already-checked maps (tests, PartiQL, internal callers).
    pub fn from_maps(names: BTreeMap<String, String>, values: BTreeMap<String, AttrValue>) -> Self {
        Context {
            names,
            values,
            ..Default::default()
        }
    }

    /// Parses a `ConditionExpression`.
    pub fn condition(&mut self, src: &str) -> Result<Condition> {
        parser::parse_condition(self, src, ExprKind::Condition)
    }

    /// Parses a `FilterExpression`.
    pub fn filter(&mut self, src: &str) -> Result<Condition> {
        parser::parse_condition(self, src, ExprKind::Filter)
    }

    /// Parses a `KeyConditionExpression` into its per-attribute conditions; check them
    /// against the key schema with [`KeyConditions::resolve`].
    pub fn key_condition(&mut self, src: &str) -> Result<KeyConditions> {
        let cond = parser::parse_condition(self, src, ExprKind::KeyCondition)?;
        keycond::from_condition(&cond)
    }

    /// Parses a `ProjectionExpression`.
    pub fn projection(&mut self, src: &str) -> Result<Vec<Path>> {
        parser::parse_projection(self, src)
    }

    /// Parses an `UpdateExpression`.
    pub fn update(&mut self, src: &str) -> Result<Update> {
        parse_update::parse_update(self, src)
    }

    /// After all expressions of the request are parsed: AWS rejects names and values the
    /// expressions did not use (names are checked first).
    pub fn check_unused(&self) -> Result<()> {
        let unused = |all: Vec<&String>, used: &BTreeSet<String>| -> Vec<String> {
            all.into_iter()
                .filter(|k| !used.contains(*k))
                .cloned()
                .collect()
        };
        let names = unused(self.names.keys().collect(), &self.used_names);
        if !names.is_empty() {
            return Err(invalid(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                names.join(", ")
            )));
        }
        let values = unused(self.values.keys().collect(), &self.used_values);
        if !values.is_empty() {
            return Err(invalid(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                values.join(", ")
            )));
        }
        Ok(())
    }

    pub(crate) fn name(&mut self, key: &str) -> Option<String> {
        let v = self.names.get(key)?.clone();
        self.used_names.insert(key.to_string());
        Some(v)
    }

    pub(crate) fn value(&mut self, key: &str) -> Option<AttrValue> {
        let v = self.values.get(key)?.clone();
        self.used_values.insert(key.to_string());
        Some(v)
    }
}

/// The non-expression (legacy) parameters, in the order AWS lists them.
const LEGACY_PARAMS: &[&str] = &[
    "AttributesToGet",
    "AttributeUpdates",
    "Expected",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
    "ConditionalOperator",
];

/// The expression parameters, in the order AWS lists them.
const EXPRESSION_PARAMS: &[&str] = &[
    "UpdateExpression",
    "ConditionExpression",
    "ProjectionExpression",
    "FilterExpression",
    "KeyConditionExpression",
];

fn present<'a>(input: &Value, params: &[&'a str]) -> Vec<&'a str> {
    params
        .iter()
        .copied()
        .filter(|p| input.get(*p).is_some_and(|v| !v.is_null()))
        .collect()
}

/// Request-level rules shared by every operation that takes expressions: no mixing of
/// expression and legacy parameters; ExpressionAttributeNames/Values only with expressions.
/// `value_exprs` are the operation's expression parameters that can use values (e.g.
/// `["UpdateExpression", "ConditionExpression"]` for UpdateItem).
pub fn check_request_params(input: &Value, value_exprs: &[&str]) -> Result<()> {
    let legacy = present(input, LEGACY_PARAMS);
    let exprs = present(input, EXPRESSION_PARAMS);
    if !legacy.is_empty() && !exprs.is_empty() {
        return Err(invalid(format!(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
            legacy.join(", "),
            exprs.join(", ")
        )));
    }
    if input
        .get("ExpressionAttributeNames")
        .is_some_and(|v| !v.is_null())
        && exprs.is_empty()
    {
        return Err(invalid(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    if input
        .get("ExpressionAttributeValues")
        .is_some_and(|v| !v.is_null())
        && present(input, value_exprs).is_empty()
    {
        let null = match value_exprs {
            [] => String::new(),
            [one] => format!("{one} is null"),
            [init @ .., last] => format!("{} and {last} are null", init.join(", ")),
        };
        return Err(invalid(format!(
            "ExpressionAttributeValues can only be specified when using expressions: {null}"
        )));
    }
    Ok(())
}
