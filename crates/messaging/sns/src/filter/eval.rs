//! Evaluation of a parsed policy against message attributes or a JSON body.

use super::{Field, Group, Rule};
use serde_json::Value;

/// A message attribute as the filter sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// `String` and `String.<custom>` attributes.
    String(String),
    /// `Number` attributes (unparseable numbers never reach here: Publish rejects them).
    Number(f64),
    /// `String.Array`: the parsed JSON array.
    Array(Vec<Value>),
    /// `Binary`: present, but matched only by `exists`.
    Binary,
}

/// One value of the message a rule is compared with.
#[derive(Debug, Clone, Copy)]
enum Leaf<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
    Null,
}

fn leaf(v: &Value) -> Option<Leaf<'_>> {
    match v {
        Value::String(s) => Some(Leaf::Str(s)),
        Value::Number(n) => n.as_f64().map(Leaf::Num),
        Value::Bool(b) => Some(Leaf::Bool(*b)),
        Value::Null => Some(Leaf::Null),
        _ => None,
    }
}

fn rule_matches(rule: &Rule, l: Leaf<'_>) -> bool {
    match (rule, l) {
        (Rule::Exact(s), Leaf::Str(v)) => s == v,
        (Rule::Number(n), Leaf::Num(v)) => *n == v,
        (Rule::Bool(b), Leaf::Bool(v)) => *b == v,
        (Rule::Null, Leaf::Null) => true,
        (Rule::Prefix(p), Leaf::Str(v)) => v.starts_with(p.as_str()),
        (Rule::Suffix(p), Leaf::Str(v)) => v.ends_with(p.as_str()),
        (Rule::EqualsIgnoreCase(p), Leaf::Str(v)) => p.to_lowercase() == v.to_lowercase(),
        (Rule::AnythingBut(list), l @ (Leaf::Str(_) | Leaf::Num(_))) => {
            !list.iter().any(|r| rule_matches(r, l))
        }
        (Rule::AnythingButPrefix(p), Leaf::Str(v)) => !v.starts_with(p.as_str()),
        (Rule::AnythingButSuffix(p), Leaf::Str(v)) => !v.ends_with(p.as_str()),
        (Rule::Numeric { lower, upper }, Leaf::Num(v)) => {
            let above = match lower {
                Some((b, true)) => v >= *b,
                Some((b, false)) => v > *b,
                None => true,
            };
            let below = match upper {
                Some((t, true)) => v <= *t,
                Some((t, false)) => v < *t,
                None => true,
            };
            above && below
        }
        _ => false,
    }
}

/// Whether any rule matches: `exists` compares with presence, the others need a leaf.
fn rules_match(rules: &[Rule], present: bool, leaves: &[Leaf<'_>]) -> bool {
    rules.iter().any(|r| match r {
        Rule::Exists(want) => *want == present,
        r => leaves.iter().any(|l| rule_matches(r, *l)),
    })
}

pub(super) fn group_matches_attributes(g: &Group, attrs: &[(&str, AttributeValue)]) -> bool {
    let fields_ok = g.fields.iter().all(|(key, field)| {
        let Field::Rules(rules) = field else {
            // Nested policies are rejected for this scope at parse time.
            return false;
        };
        let Some((_, value)) = attrs.iter().find(|(k, _)| k == key) else {
            return rules_match(rules, false, &[]);
        };
        let leaves: Vec<Leaf<'_>> = match value {
            AttributeValue::String(s) => vec![Leaf::Str(s)],
            AttributeValue::Number(n) => vec![Leaf::Num(*n)],
            AttributeValue::Array(items) => items.iter().filter_map(leaf).collect(),
            AttributeValue::Binary => vec![],
        };
        rules_match(rules, true, &leaves)
    });
    fields_ok
        && g.ors
            .iter()
            .all(|branches| branches.iter().any(|b| group_matches_attributes(b, attrs)))
}

/// The values under `key` in `ctx`, looking through arrays of objects.
fn children<'a>(ctx: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match ctx {
        Value::Object(m) => {
            if let Some(v) = m.get(key) {
                out.push(v);
            }
        }
        Value::Array(items) => {
            for i in items {
                children(i, key, out);
            }
        }
        _ => {}
    }
}

pub(super) fn group_matches_body(g: &Group, ctx: &Value) -> bool {
    let fields_ok = g.fields.iter().all(|(key, field)| {
        let mut vals = Vec::new();
        children(ctx, key, &mut vals);
        match field {
            Field::Rules(rules) => {
                let mut leaves = Vec::new();
                for v in &vals {
                    match v {
                        Value::Array(items) => leaves.extend(items.iter().filter_map(leaf)),
                        other => leaves.extend(leaf(other)),
                    }
                }
                rules_match(rules, !leaves.is_empty(), &leaves)
            }
            Field::Nested(nested) => {
                if vals.is_empty() {
                    group_matches_body(nested, &Value::Null)
                } else {
                    vals.iter().any(|v| group_matches_body(nested, v))
                }
            }
        }
    });
    fields_ok
        && g.ors
            .iter()
            .all(|branches| branches.iter().any(|b| group_matches_body(b, ctx)))
}
