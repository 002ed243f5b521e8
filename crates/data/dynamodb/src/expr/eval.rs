//! Condition evaluation with DynamoDB's semantics: comparisons only between values of the
//! same type (else false); a missing attribute makes every comparison false except `<>`
//! (true); sets compare as sets.

use super::ast::{CmpOp, Condition, Operand, Path, PathElem};
use crate::error::Result;
use crate::value::{AttrValue, Item, Number};
use std::borrow::Cow;
use std::cmp::Ordering;

/// The value at `path` in `item`, if there is one.
pub fn resolve_path<'i>(item: &'i Item, path: &Path) -> Option<&'i AttrValue> {
    let mut elems = path.0.iter();
    let mut cur = match elems.next()? {
        PathElem::Name(n) => item.get(n)?,
        PathElem::Index(_) => return None,
    };
    for e in elems {
        cur = match (e, cur) {
            (PathElem::Name(n), AttrValue::M(m)) => m.get(n)?,
            (PathElem::Index(i), AttrValue::L(l)) => l.get(usize::try_from(*i).ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Equality as DynamoDB sees it: same type and value; sets regardless of order.
pub fn values_equal(a: &AttrValue, b: &AttrValue) -> bool {
    fn same_set<T: PartialEq>(x: &[T], y: &[T]) -> bool {
        x.len() == y.len() && x.iter().all(|e| y.contains(e))
    }
    match (a, b) {
        (AttrValue::Ss(x), AttrValue::Ss(y)) => same_set(x, y),
        (AttrValue::Ns(x), AttrValue::Ns(y)) => same_set(x, y),
        (AttrValue::Bs(x), AttrValue::Bs(y)) => same_set(x, y),
        (AttrValue::L(x), AttrValue::L(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (AttrValue::M(x), AttrValue::M(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Order between two scalars of the same orderable type (S, N, B); `None` otherwise.
pub(crate) fn compare(a: &AttrValue, b: &AttrValue) -> Option<Ordering> {
    match (a, b) {
        (AttrValue::S(x), AttrValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttrValue::N(x), AttrValue::N(y)) => Some(x.cmp(y)),
        (AttrValue::B(x), AttrValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn size_of(v: &AttrValue) -> Option<usize> {
    Some(match v {
        AttrValue::S(s) => s.len(),
        AttrValue::B(b) => b.len(),
        AttrValue::Ss(s) => s.len(),
        AttrValue::Ns(s) => s.len(),
        AttrValue::Bs(s) => s.len(),
        AttrValue::L(l) => l.len(),
        AttrValue::M(m) => m.len(),
        _ => return None,
    })
}

fn operand<'i>(item: &'i Item, o: &'i Operand) -> Option<Cow<'i, AttrValue>> {
    match o {
        Operand::Path(p) => resolve_path(item, p).map(Cow::Borrowed),
        Operand::Value(v) => Some(Cow::Borrowed(v)),
        Operand::Size(inner) => {
            let v = operand(item, inner)?;
            let n = size_of(&v)?;
            Number::parse(&n.to_string())
                .ok()
                .map(|n| Cow::Owned(AttrValue::N(n)))
        }
    }
}

fn contains(hay: &AttrValue, needle: &AttrValue) -> bool {
    match (hay, needle) {
        (AttrValue::S(h), AttrValue::S(n)) => h.contains(n.as_str()),
        (AttrValue::B(h), AttrValue::B(n)) => {
            n.is_empty() || h.windows(n.len()).any(|w| w == n.as_slice())
        }
        (AttrValue::Ss(h), AttrValue::S(n)) => h.contains(n),
        (AttrValue::Ns(h), AttrValue::N(n)) => h.contains(n),
        (AttrValue::Bs(h), AttrValue::B(n)) => h.contains(n),
        (AttrValue::L(h), n) => h.iter().any(|e| values_equal(e, n)),
        _ => false,
    }
}

fn begins_with(v: &AttrValue, prefix: &AttrValue) -> bool {
    match (v, prefix) {
        (AttrValue::S(s), AttrValue::S(p)) => s.starts_with(p.as_str()),
        (AttrValue::B(b), AttrValue::B(p)) => b.starts_with(p),
        _ => false,
    }
}

fn cmp(op: CmpOp, a: Option<&AttrValue>, b: Option<&AttrValue>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return op == CmpOp::Ne;
    };
    match op {
        CmpOp::Eq => values_equal(a, b),
        CmpOp::Ne => !values_equal(a, b),
        _ => compare(a, b).is_some_and(|o| match op {
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            _ => o != Ordering::Less,
        }),
    }
}

/// Whether `item` satisfies `cond`. A missing item is the empty item.
pub fn eval_condition(cond: &Condition, item: &Item) -> Result<bool> {
    Ok(eval(cond, item))
}

fn eval(cond: &Condition, item: &Item) -> bool {
    // Depth is bounded: parsed expressions by the 4 KB limit, legacy conditions are balanced.
    match cond {
        Condition::And(l, r) => eval(l, item) && eval(r, item),
        Condition::Or(l, r) => eval(l, item) || eval(r, item),
        Condition::Not(c) => !eval(c, item),
        Condition::True => true,
        Condition::Cmp(op, a, b) => cmp(
            *op,
            operand(item, a).as_deref(),
            operand(item, b).as_deref(),
        ),
        Condition::Between(v, lo, hi) => {
            match (operand(item, v), operand(item, lo), operand(item, hi)) {
                (Some(v), Some(lo), Some(hi)) => {
                    compare(&lo, &v).is_some_and(|o| o != Ordering::Greater)
                        && compare(&v, &hi).is_some_and(|o| o != Ordering::Greater)
                }
                _ => false,
            }
        }
        Condition::In(v, list) => {
            let Some(v) = operand(item, v) else {
                return false;
            };
            list.iter()
                .any(|o| operand(item, o).is_some_and(|x| values_equal(&v, &x)))
        }
        Condition::Exists(p) => resolve_path(item, p).is_some(),
        Condition::NotExists(p) => resolve_path(item, p).is_none(),
        Condition::AttrType(p, t) => resolve_path(item, p).is_some_and(|v| v.type_name() == t),
        Condition::BeginsWith(a, b) => match (operand(item, a), operand(item, b)) {
            (Some(a), Some(b)) => begins_with(&a, &b),
            _ => false,
        },
        Condition::Contains(a, b) => match (operand(item, a), operand(item, b)) {
            (Some(a), Some(b)) => contains(&a, &b),
            _ => false,
        },
    }
}
