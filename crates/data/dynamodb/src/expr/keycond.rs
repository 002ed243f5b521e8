//! KeyConditionExpression (and legacy KeyConditions): `pk = :v [AND sk op :w]` turned into a
//! partition value and an optional sort-key condition the query can scan as a range.

use super::ast::{CmpOp, Condition, Operand};
use super::invalid;
use crate::error::Result;
use crate::value::AttrValue;

/// The condition on one key attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyOp {
    /// `=`, `<`, `<=`, `>`, `>=` (never `<>`), key attribute on the left.
    Cmp(CmpOp, AttrValue),
    Between(AttrValue, AttrValue),
    BeginsWith(AttrValue),
}

/// One attribute's condition.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCond {
    pub name: String,
    pub op: KeyOp,
}

/// The parsed key condition, before it is matched with the key schema (one or two entries,
/// at most one per attribute).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyConditions(pub Vec<KeyCond>);

/// A key condition matched with the key schema.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    pub hash_name: String,
    pub hash_value: AttrValue,
    /// The sort key's name and condition, if any.
    pub range: Option<(String, KeyOp)>,
}

impl KeyConditions {
    /// Checks the conditions against the key schema of the table or index queried.
    /// (Whether the values' types match the attribute definitions is the caller's check.)
    pub fn resolve(self, hash: &str, range: Option<&str>) -> Result<KeyCondition> {
        let keys = 1 + usize::from(range.is_some());
        if self.0.len() > keys {
            return Err(invalid("Query key condition not supported"));
        }
        let mut hash_cond = None;
        let mut range_cond = None;
        for c in self.0 {
            if c.name == hash {
                hash_cond = Some(c);
            } else {
                range_cond = Some(c);
            }
        }
        let Some(h) = hash_cond else {
            return Err(invalid(format!(
                "Query condition missed key schema element: {hash}"
            )));
        };
        let KeyOp::Cmp(CmpOp::Eq, hash_value) = h.op else {
            return Err(invalid("Query key condition not supported"));
        };
        let range = match range_cond {
            None => None,
            Some(c) if Some(c.name.as_str()) == range => Some((c.name, c.op)),
            Some(_) => {
                return Err(invalid(format!(
                    "Query condition missed key schema element: {}",
                    range.unwrap_or(hash)
                )));
            }
        };
        Ok(KeyCondition {
            hash_name: h.name,
            hash_value,
            range,
        })
    }
}

fn op_name(c: &Condition) -> Option<&'static str> {
    Some(match c {
        Condition::Or(..) => "OR",
        Condition::Not(_) => "NOT",
        Condition::In(..) => "IN",
        Condition::Cmp(CmpOp::Ne, ..) => "<>",
        Condition::Exists(_) => "attribute_exists",
        Condition::NotExists(_) => "attribute_not_exists",
        Condition::AttrType(..) => "attribute_type",
        Condition::Contains(..) => "contains",
        _ => return None,
    })
}

/// Turns a parsed KeyConditionExpression into per-attribute conditions, with AWS's messages.
pub(crate) fn from_condition(cond: &Condition) -> Result<KeyConditions> {
    let mut out = Vec::new();
    walk(cond, &mut out)?;
    Ok(KeyConditions(out))
}

fn walk(cond: &Condition, out: &mut Vec<KeyCond>) -> Result<()> {
    if let Some(op) = op_name(cond) {
        return Err(invalid(format!(
            "Invalid operator used in KeyConditionExpression: {op}"
        )));
    }
    let (args, first_must_be_key): (Vec<&Operand>, Option<&str>) = match cond {
        Condition::And(l, r) => {
            walk(l, out)?;
            return walk(r, out);
        }
        Condition::Cmp(_, a, b) => (vec![a, b], None),
        Condition::Between(v, lo, hi) => (vec![v, lo, hi], Some("BETWEEN")),
        Condition::BeginsWith(a, b) => (vec![a, b], Some("begins_with")),
        _ => return Err(invalid("Query key condition not supported")),
    };
    if let Some(op) = first_must_be_key
        && !matches!(args[0], Operand::Path(_))
    {
        return Err(invalid(format!(
            "Invalid condition in KeyConditionExpression: {op} operator must have the key attribute as its first operand"
        )));
    }
    let mut key: Option<(usize, &str)> = None;
    let mut values = Vec::new();
    for (i, a) in args.iter().enumerate() {
        match a {
            Operand::Path(p) => {
                if key.is_some() {
                    return Err(invalid(
                        "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
                    ));
                }
                if !p.is_top_level() {
                    return Err(invalid(
                        "KeyConditionExpressions cannot have conditions on nested attributes",
                    ));
                }
                key = Some((i, p.top()));
            }
            Operand::Size(_) => {
                return Err(invalid(
                    "KeyConditionExpressions cannot contain nested operations",
                ));
            }
            Operand::Value(v) => values.push(v.clone()),
        }
    }
    let Some((at, name)) = key else {
        return Err(invalid(
            "Invalid condition in KeyConditionExpression: No key attribute specified",
        ));
    };
    if out.iter().any(|c| c.name == name) {
        return Err(invalid(
            "KeyConditionExpressions must only contain one condition per key",
        ));
    }
    let mut values = values.into_iter();
    let op = match (cond, values.next(), values.next()) {
        (Condition::Cmp(op, ..), Some(v), _) => {
            KeyOp::Cmp(if at == 0 { *op } else { op.flipped() }, v)
        }
        (Condition::Between(..), Some(lo), Some(hi)) => KeyOp::Between(lo, hi),
        (Condition::BeginsWith(..), Some(v), _) => KeyOp::BeginsWith(v),
        _ => return Err(invalid("Query key condition not supported")),
    };
    out.push(KeyCond {
        name: name.to_string(),
        op,
    });
    Ok(())
}
