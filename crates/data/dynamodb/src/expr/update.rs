//! Applying an update to an item, atomically: the work happens on a copy that replaces the
//! item only when every action succeeded.
//!
//! All SET values are computed from the item as it was before the update (so `SET a = b,
//! b = a` swaps); then SET actions apply in order, REMOVE actions (list elements from the
//! highest index down, so indexes refer to the original list), then ADD, then DELETE.

use super::ast::{Path, PathElem, SetOperand, SetValue, Update, UpdateAction};
use super::eval::resolve_path;
use super::invalid;
use crate::error::{DdbError, Result};
use crate::value::{AttrValue, Item};
use std::collections::BTreeMap;

fn missing_attr() -> DdbError {
    invalid("The provided expression refers to an attribute that does not exist in the item")
}

fn wrong_type() -> DdbError {
    invalid("An operand in the update expression has an incorrect data type")
}

fn bad_path() -> DdbError {
    invalid("The document path provided in the update expression is invalid for update")
}

fn operand(o: &SetOperand, item: &Item) -> Result<AttrValue> {
    match o {
        SetOperand::Path(p) => resolve_path(item, p).cloned().ok_or_else(missing_attr),
        SetOperand::Value(v) => Ok(v.clone()),
        SetOperand::IfNotExists(p, default) => match resolve_path(item, p) {
            Some(v) => Ok(v.clone()),
            None => operand(default, item),
        },
        SetOperand::ListAppend(a, b) => match (operand(a, item)?, operand(b, item)?) {
            (AttrValue::L(mut x), AttrValue::L(y)) => {
                x.extend(y);
                Ok(AttrValue::L(x))
            }
            _ => Err(wrong_type()),
        },
    }
}

fn set_value(v: &SetValue, item: &Item) -> Result<AttrValue> {
    let arith = |a: &SetOperand, b: &SetOperand, plus: bool| -> Result<AttrValue> {
        match (operand(a, item)?, operand(b, item)?) {
            (AttrValue::N(x), AttrValue::N(y)) => {
                let r = if plus { x.add(&y) } else { x.sub(&y) };
                r.map(AttrValue::N).map_err(|e| invalid(e.to_string()))
            }
            _ => Err(wrong_type()),
        }
    };
    match v {
        SetValue::Operand(o) => operand(o, item),
        SetValue::Plus(a, b) => arith(a, b, true),
        SetValue::Minus(a, b) => arith(a, b, false),
    }
}

/// Where a path's last element lives.
enum Slot<'i> {
    Map(&'i mut BTreeMap<String, AttrValue>, &'i str),
    List(&'i mut Vec<AttrValue>, usize),
}

impl Slot<'_> {
    fn get(&self) -> Option<&AttrValue> {
        match self {
            Slot::Map(m, k) => m.get(*k),
            Slot::List(l, i) => l.get(*i),
        }
    }

    /// Sets the value; an index past the end of a list appends.
    fn set(self, v: AttrValue) {
        match self {
            Slot::Map(m, k) => {
                m.insert(k.to_string(), v);
            }
            Slot::List(l, i) => match l.get_mut(i) {
                Some(slot) => *slot = v,
                None => l.push(v),
            },
        }
    }

    fn remove(self) {
        match self {
            Slot::Map(m, k) => {
                m.remove(k);
            }
            Slot::List(l, i) => {
                if i < l.len() {
                    l.remove(i);
                }
            }
        }
    }
}

/// The slot for `path`: its parent must exist and be a map (for a name) or a list (for an
/// index), else "The document path provided in the update expression is invalid for update".
fn slot<'i>(item: &'i mut Item, path: &'i Path) -> Result<Slot<'i>> {
    let Some((last, parents)) = path.0.split_last() else {
        return Err(bad_path());
    };
    let Some((first, middle)) = parents.split_first() else {
        return match last {
            PathElem::Name(n) => Ok(Slot::Map(item, n)),
            PathElem::Index(_) => Err(bad_path()),
        };
    };
    let PathElem::Name(first) = first else {
        return Err(bad_path());
    };
    let mut cur = item.get_mut(first).ok_or_else(bad_path)?;
    for e in middle {
        cur = match (e, cur) {
            (PathElem::Name(n), AttrValue::M(m)) => m.get_mut(n).ok_or_else(bad_path)?,
            (PathElem::Index(i), AttrValue::L(l)) => l.get_mut(*i as usize).ok_or_else(bad_path)?,
            _ => return Err(bad_path()),
        };
    }
    match (last, cur) {
        (PathElem::Name(n), AttrValue::M(m)) => Ok(Slot::Map(m, n)),
        (PathElem::Index(i), AttrValue::L(l)) => Ok(Slot::List(l, *i as usize)),
        _ => Err(bad_path()),
    }
}

fn union<T: PartialEq + Clone>(a: &mut Vec<T>, b: &[T]) {
    for x in b {
        if !a.contains(x) {
            a.push(x.clone());
        }
    }
}

fn add(slot: Slot<'_>, v: &AttrValue) -> Result<()> {
    let new = match (slot.get(), v) {
        (None, AttrValue::N(_) | AttrValue::Ss(_) | AttrValue::Ns(_) | AttrValue::Bs(_)) => {
            v.clone()
        }
        (Some(AttrValue::N(x)), AttrValue::N(y)) => {
            AttrValue::N(x.add(y).map_err(|e| invalid(e.to_string()))?)
        }
        (Some(AttrValue::Ss(x)), AttrValue::Ss(y)) => {
            let mut x = x.clone();
            union(&mut x, y);
            AttrValue::Ss(x)
        }
        (Some(AttrValue::Ns(x)), AttrValue::Ns(y)) => {
            let mut x = x.clone();
            union(&mut x, y);
            AttrValue::Ns(x)
        }
        (Some(AttrValue::Bs(x)), AttrValue::Bs(y)) => {
            let mut x = x.clone();
            union(&mut x, y);
            AttrValue::Bs(x)
        }
        _ => return Err(wrong_type()),
    };
    slot.set(new);
    Ok(())
}

fn delete(slot: Slot<'_>, v: &AttrValue) -> Result<()> {
    let new = match (slot.get(), v) {
        (None, _) => return Ok(()),
        (Some(AttrValue::Ss(x)), AttrValue::Ss(y)) => {
            AttrValue::Ss(x.iter().filter(|e| !y.contains(e)).cloned().collect())
        }
        (Some(AttrValue::Ns(x)), AttrValue::Ns(y)) => {
            AttrValue::Ns(x.iter().filter(|e| !y.contains(e)).cloned().collect())
        }
        (Some(AttrValue::Bs(x)), AttrValue::Bs(y)) => {
            AttrValue::Bs(x.iter().filter(|e| !y.contains(e)).cloned().collect())
        }
        _ => return Err(wrong_type()),
    };
    let empty = matches!(&new, AttrValue::Ss(s) if s.is_empty())
        || matches!(&new, AttrValue::Ns(s) if s.is_empty())
        || matches!(&new, AttrValue::Bs(s) if s.is_empty());
    if empty {
        slot.remove();
    } else {
        slot.set(new);
    }
    Ok(())
}

/// Applies `update` to `item`. On error the item is unchanged.
pub fn apply_update(update: &Update, item: &mut Item) -> Result<()> {
    let mut sets = Vec::new();
    let mut removes = Vec::new();
    let mut adds = Vec::new();
    let mut deletes = Vec::new();
    for a in &update.actions {
        match a {
            UpdateAction::Set(p, v) => sets.push((p, set_value(v, item)?)),
            UpdateAction::Remove(p) => removes.push(p),
            UpdateAction::Add(p, v) => adds.push((p, v)),
            UpdateAction::Delete(p, v) => deletes.push((p, v)),
        }
    }
    let mut new = item.clone();
    for (p, v) in sets {
        slot(&mut new, p)?.set(v);
    }
    removes.sort_by(|a, b| b.cmp(a));
    for p in removes {
        match slot(&mut new, p) {
            Ok(s) => s.remove(),
            // REMOVE of a top-level attribute that is not there is a no-op; a nested one
            // needs its parent.
            Err(e) if !p.is_top_level() => return Err(e),
            Err(_) => {}
        }
    }
    for (p, v) in adds {
        add(slot(&mut new, p)?, v)?;
    }
    for (p, v) in deletes {
        delete(slot(&mut new, p)?, v)?;
    }
    *item = new;
    Ok(())
}
