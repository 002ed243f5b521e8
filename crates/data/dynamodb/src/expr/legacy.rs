//! The parameters older code still sends, translated into the expression types: Expected +
//! ConditionalOperator → [`Condition`], AttributeUpdates → [`Update`], KeyConditions →
//! [`KeyConditions`], QueryFilter/ScanFilter → [`Condition`], AttributesToGet → paths.
//! Use [`super::check_request_params`] first: a request may not mix them with expressions.

use super::ast::{CmpOp, Condition, Operand, Path, SetOperand, SetValue, Update, UpdateAction};
use super::keycond::{KeyCond, KeyConditions, KeyOp};
use super::{eval, invalid};
use crate::error::Result;
use crate::value::AttrValue;
use serde_json::{Map, Value};
use std::cmp::Ordering;

fn params(msg: impl std::fmt::Display) -> crate::error::DdbError {
    invalid(format!("One or more parameter values were invalid: {msg}"))
}

fn object<'v>(v: &'v Value, what: &str) -> Result<&'v Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| invalid(format!("{what} must be a map")))
}

fn attr_value(v: &Value) -> Result<AttrValue> {
    AttrValue::from_json(v).map_err(|e| invalid(e.0))
}

fn value_list(v: Option<&Value>) -> Result<Vec<AttrValue>> {
    match v.filter(|v| !v.is_null()) {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a.iter().map(attr_value).collect(),
        Some(_) => Err(invalid("AttributeValueList must be a list")),
    }
}

/// Joins conditions into a balanced AND/OR tree (bounded evaluation depth for any count).
fn combine(mut conds: Vec<Condition>, or: bool) -> Condition {
    if conds.len() <= 1 {
        return conds.pop().unwrap_or(Condition::True);
    }
    let right = conds.split_off(conds.len() / 2);
    let (l, r) = (Box::new(combine(conds, or)), Box::new(combine(right, or)));
    if or {
        Condition::Or(l, r)
    } else {
        Condition::And(l, r)
    }
}

fn is_or(conditional_operator: Option<&Value>) -> bool {
    conditional_operator.and_then(Value::as_str) == Some("OR")
}

fn scalar(v: &AttrValue) -> bool {
    matches!(v, AttrValue::S(_) | AttrValue::N(_) | AttrValue::B(_))
}

/// One `{ComparisonOperator, AttributeValueList}` on attribute `attr`.
fn comparison(attr: &str, op: &str, args: Vec<AttrValue>) -> Result<Condition> {
    let want: Option<usize> = match op {
        "NULL" | "NOT_NULL" => Some(0),
        "BETWEEN" => Some(2),
        "IN" => None,
        _ => Some(1),
    };
    if want.is_some_and(|n| n != args.len()) || (want.is_none() && args.is_empty()) {
        return Err(params(format!(
            "Invalid number of argument(s) for the {op} ComparisonOperator"
        )));
    }
    let allowed: &[&str] = match op {
        "LT" | "LE" | "GT" | "GE" | "BETWEEN" | "CONTAINS" | "NOT_CONTAINS" => &["S", "N", "B"],
        "BEGINS_WITH" => &["S", "B"],
        _ => &["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"],
    };
    if let Some(bad) = args.iter().find(|v| !allowed.contains(&v.type_name())) {
        return Err(params(format!(
            "ComparisonOperator {op} is not valid for {} AttributeValue type",
            bad.type_name()
        )));
    }
    let path = || Operand::Path(Path::attr(attr));
    let mut it = args.into_iter();
    let mut one = || {
        it.next()
            .map(Operand::Value)
            .unwrap_or(Operand::Value(AttrValue::Null))
    };
    let cmp = |op: CmpOp, v: Operand| Condition::Cmp(op, path(), v);
    Ok(match op {
        "EQ" => cmp(CmpOp::Eq, one()),
        "NE" => cmp(CmpOp::Ne, one()),
        "LT" => cmp(CmpOp::Lt, one()),
        "LE" => cmp(CmpOp::Le, one()),
        "GT" => cmp(CmpOp::Gt, one()),
        "GE" => cmp(CmpOp::Ge, one()),
        "NULL" => Condition::NotExists(Path::attr(attr)),
        "NOT_NULL" => Condition::Exists(Path::attr(attr)),
        "CONTAINS" => Condition::Contains(path(), one()),
        "NOT_CONTAINS" => Condition::And(
            Box::new(Condition::Exists(Path::attr(attr))),
            Box::new(Condition::Not(Box::new(Condition::Contains(path(), one())))),
        ),
        "BEGINS_WITH" => Condition::BeginsWith(path(), one()),
        "BETWEEN" => {
            let (lo, hi) = (one(), one());
            if let (Operand::Value(l), Operand::Value(h)) = (&lo, &hi) {
                if l.type_name() != h.type_name() {
                    return Err(params(
                        "AttributeValues inside AttributeValueList must be of same type",
                    ));
                }
                if eval::compare(l, h) == Some(Ordering::Greater) {
                    return Err(invalid(
                        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
                    ));
                }
            }
            Condition::Between(path(), lo, hi)
        }
        "IN" => {
            let list: Vec<AttrValue> = it.collect();
            if !list.iter().all(scalar) || list.iter().any(|v| v.type_name() != list[0].type_name())
            {
                return Err(params(
                    "AttributeValues inside AttributeValueList must be of same type",
                ));
            }
            Condition::In(path(), list.into_iter().map(Operand::Value).collect())
        }
        other => return Err(invalid(format!("Unsupported ComparisonOperator: {other}"))),
    })
}

/// `Expected` (+ `ConditionalOperator`) → a condition; `None` when there is nothing to check.
pub fn expected(
    expected: Option<&Value>,
    conditional_operator: Option<&Value>,
) -> Result<Option<Condition>> {
    let Some(exp) = expected.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let mut conds = Vec::new();
    for (attr, e) in object(exp, "Expected")? {
        let value = e.get("Value").filter(|v| !v.is_null());
        let exists = e.get("Exists").and_then(Value::as_bool);
        let op = e.get("ComparisonOperator").and_then(Value::as_str);
        let list = e.get("AttributeValueList").filter(|v| !v.is_null());
        if let Some(op) = op {
            if exists.is_some() {
                return Err(params(format!(
                    "Exists and ComparisonOperator cannot be used together for Attribute: {attr}"
                )));
            }
            if value.is_some() && list.is_some() {
                return Err(params(format!(
                    "Value and AttributeValueList cannot be used together for Attribute: {attr}"
                )));
            }
            let args = match value {
                Some(v) => vec![attr_value(v)?],
                None => value_list(list)?,
            };
            if args.is_empty() && !matches!(op, "NULL" | "NOT_NULL") {
                return Err(params(format!(
                    "Value or AttributeValueList must be used with ComparisonOperator: {op} for Attribute: {attr}"
                )));
            }
            conds.push(comparison(attr, op, args)?);
            continue;
        }
        if list.is_some() {
            return Err(params(format!(
                "AttributeValueList can only be used with a ComparisonOperator for Attribute: {attr}"
            )));
        }
        conds.push(match (exists, value) {
            (Some(false), Some(_)) => {
                return Err(params(format!(
                    "Value cannot be used when Exists is false for Attribute: {attr}"
                )));
            }
            (Some(false), None) => Condition::NotExists(Path::attr(attr.clone())),
            (_, Some(v)) => Condition::Cmp(
                CmpOp::Eq,
                Operand::Path(Path::attr(attr.clone())),
                Operand::Value(attr_value(v)?),
            ),
            (Some(true), None) => {
                return Err(params(format!(
                    "Value must be provided when Exists is true for Attribute: {attr}"
                )));
            }
            (None, None) => {
                return Err(params(format!(
                    "Value must be provided when Exists is null for Attribute: {attr}"
                )));
            }
        });
    }
    if conds.is_empty() {
        return Ok(None);
    }
    Ok(Some(combine(conds, is_or(conditional_operator))))
}

/// `QueryFilter` / `ScanFilter` (+ `ConditionalOperator`) → a condition.
pub fn filter(
    filter: Option<&Value>,
    conditional_operator: Option<&Value>,
) -> Result<Option<Condition>> {
    let Some(f) = filter.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let mut conds = Vec::new();
    for (attr, c) in object(f, "Filter")? {
        let op = c
            .get("ComparisonOperator")
            .and_then(Value::as_str)
            .unwrap_or("");
        conds.push(comparison(
            attr,
            op,
            value_list(c.get("AttributeValueList"))?,
        )?);
    }
    if conds.is_empty() {
        return Ok(None);
    }
    Ok(Some(combine(conds, is_or(conditional_operator))))
}

/// `KeyConditions` → the same per-attribute conditions a KeyConditionExpression gives.
pub fn key_conditions(v: &Value) -> Result<KeyConditions> {
    let map = object(v, "KeyConditions")?;
    if map.is_empty() || map.len() > 2 {
        return Err(invalid("Conditions can be of length 1 or 2 only"));
    }
    let mut out = Vec::new();
    for (attr, c) in map {
        let op = c
            .get("ComparisonOperator")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !matches!(
            op,
            "EQ" | "LE" | "LT" | "GE" | "GT" | "BEGINS_WITH" | "BETWEEN"
        ) {
            return Err(invalid(
                "Attempted conditional constraint is not an indexable operation",
            ));
        }
        let cond = comparison(attr, op, value_list(c.get("AttributeValueList"))?)?;
        let op = match cond {
            Condition::Cmp(op, _, Operand::Value(v)) => KeyOp::Cmp(op, v),
            Condition::BeginsWith(_, Operand::Value(v)) => KeyOp::BeginsWith(v),
            Condition::Between(_, Operand::Value(lo), Operand::Value(hi)) => KeyOp::Between(lo, hi),
            _ => {
                return Err(invalid(
                    "Attempted conditional constraint is not an indexable operation",
                ));
            }
        };
        out.push(KeyCond {
            name: attr.clone(),
            op,
        });
    }
    Ok(KeyConditions(out))
}

/// `AttributeUpdates` → an update.
pub fn attribute_updates(v: &Value) -> Result<Update> {
    let mut actions = Vec::new();
    for (attr, u) in object(v, "AttributeUpdates")? {
        let path = Path::attr(attr.clone());
        let action = u.get("Action").and_then(Value::as_str).unwrap_or("PUT");
        let value = match u.get("Value").filter(|v| !v.is_null()) {
            Some(v) => Some(attr_value(v)?),
            None => None,
        };
        let Some(value) = value else {
            if action != "DELETE" {
                return Err(params(
                    "Only DELETE action is allowed when no attribute value is specified",
                ));
            }
            actions.push(UpdateAction::Remove(path));
            continue;
        };
        actions.push(match action {
            "PUT" => UpdateAction::Set(path, SetValue::Operand(SetOperand::Value(value))),
            "DELETE" => match value {
                AttrValue::Ss(_) | AttrValue::Ns(_) | AttrValue::Bs(_) => {
                    UpdateAction::Delete(path, value)
                }
                other => {
                    return Err(params(format!(
                        "DELETE action with value is not supported for the type {}",
                        other.type_name()
                    )));
                }
            },
            "ADD" => match value {
                AttrValue::N(_) | AttrValue::Ss(_) | AttrValue::Ns(_) | AttrValue::Bs(_) => {
                    UpdateAction::Add(path, value)
                }
                AttrValue::L(_) => {
                    let existing = SetOperand::IfNotExists(
                        path.clone(),
                        Box::new(SetOperand::Value(AttrValue::L(Vec::new()))),
                    );
                    let appended = SetOperand::ListAppend(
                        Box::new(existing),
                        Box::new(SetOperand::Value(value)),
                    );
                    UpdateAction::Set(path, SetValue::Operand(appended))
                }
                other => {
                    return Err(params(format!(
                        "ADD action is not supported for the type {}",
                        other.type_name()
                    )));
                }
            },
            other => {
                return Err(invalid(format!(
                    "Unsupported AttributeUpdates action: {other}"
                )));
            }
        });
    }
    Ok(Update { actions })
}

/// `AttributesToGet` → top-level paths.
pub fn attributes_to_get(v: &Value) -> Result<Vec<Path>> {
    let list = v
        .as_array()
        .ok_or_else(|| invalid("AttributesToGet must be a list"))?;
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for n in list {
        let n = n
            .as_str()
            .ok_or_else(|| invalid("AttributesToGet must be a list of strings"))?;
        if !seen.insert(n) {
            return Err(params(format!("Duplicate value in attribute name: {n}")));
        }
        out.push(Path::attr(n));
    }
    Ok(out)
}
