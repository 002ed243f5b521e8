//! INSERT, UPDATE and DELETE as single-item writes through [`crate::write`]: the key comes
//! from the statement (the item of an INSERT; the WHERE clause's equalities on every key
//! attribute for UPDATE and DELETE), the closure checks the rest of the WHERE clause against
//! the stored item and computes the change.
//!
//! * INSERT of an existing key: `DuplicateItemException` "Duplicate primary key exists in
//!   table".
//! * UPDATE of a missing item, or whose WHERE clause is false: ConditionalCheckFailed.
//! * DELETE of a missing item succeeds unless the WHERE clause holds more than the key.

use crate::error::{DdbError, Result};
use crate::expr::{self, Condition, Path, Update, UpdateAction};
use crate::partiql::{self, INCOMPLETE_KEY, Returning, Statement};
use crate::table::TableMeta;
use crate::value::{AttrValue, Item, ScalarType, rules, validate_item, validate_item_key};
use crate::write::{self, Mutation, Outcome};

/// `DuplicateItemException`'s message.
pub(super) const DUPLICATE: &str = "Duplicate primary key exists in table";

/// What a write statement does to its item.
#[derive(Debug, Clone)]
pub(super) enum Change {
    Insert(Item),
    Update(Update),
    Delete,
}

/// A write statement checked against its table.
#[derive(Debug, Clone)]
pub(super) struct Write {
    pub key: Item,
    pub change: Change,
    /// The WHERE clause without the key equalities (UPDATE, DELETE).
    pub condition: Option<Condition>,
    pub returning: Option<Returning>,
}

fn invalid(msg: impl Into<String>) -> DdbError {
    DdbError::Validation(msg.into())
}

fn key_type_matches(v: &AttrValue, ty: ScalarType) -> bool {
    ScalarType::of(v) == Some(ty)
}

/// The item's key with PartiQL's messages for a missing or mistyped key attribute.
fn insert_key(t: &TableMeta, item: &Item) -> Result<Item> {
    let schema = write::key_schema(&t.key);
    for (name, ty) in schema.attributes() {
        let v = item.get(name).ok_or_else(|| {
            invalid(format!(
                "Key attribute should be present in the item: Key {name}"
            ))
        })?;
        if !key_type_matches(v, ty) {
            return Err(invalid(format!(
                "Key attribute's data type should match its data type in table's schema: Key {name}"
            )));
        }
    }
    validate_item_key(item, &schema)?;
    validate_item(item)?;
    Ok(schema.key_of(item))
}

/// The key an UPDATE or DELETE names, and the rest of its WHERE clause.
fn where_key(t: &TableMeta, filter: Option<&Condition>) -> Result<(Item, Option<Condition>)> {
    let filter = filter.ok_or_else(|| invalid(INCOMPLETE_KEY))?;
    let schema = write::key_schema(&t.key);
    let mut key = Item::new();
    for (name, ty) in schema.attributes() {
        let v = partiql::equality_on(filter, name).ok_or_else(|| invalid(INCOMPLETE_KEY))?;
        if !key_type_matches(v, ty) {
            return Err(invalid(format!(
                "Key attribute's data type should match its data type in table's schema: Key {name}"
            )));
        }
        key.insert(name.to_string(), v.clone());
    }
    crate::value::validate_key(&key, &schema)?;
    let mut rest: Option<Condition> = None;
    let mut used: Vec<&str> = Vec::new();
    for c in partiql::conjuncts(filter) {
        if let Some((n, _)) = partiql::equality(c)
            && schema.is_key(n)
            && !used.contains(&n)
        {
            used.push(n);
            continue;
        }
        rest = Some(match rest {
            None => c.clone(),
            Some(r) => Condition::And(Box::new(r), Box::new(c.clone())),
        });
    }
    Ok((key, rest))
}

/// Checks a write statement against its table.
pub(super) fn plan(stmt: &Statement, t: &TableMeta) -> Result<Write> {
    match stmt {
        Statement::Insert { item, .. } => Ok(Write {
            key: insert_key(t, item)?,
            change: Change::Insert(item.clone()),
            condition: None,
            returning: None,
        }),
        Statement::Update {
            actions,
            filter,
            returning,
            ..
        } => {
            let (key, condition) = where_key(t, filter.as_ref())?;
            if let Some(p) = actions
                .iter()
                .map(UpdateAction::path)
                .find(|p| t.key.is_key(p.top()))
            {
                return Err(invalid(format!(
                    "One or more parameter values were invalid: Cannot update attribute {}. This attribute is part of the key",
                    p.top()
                )));
            }
            Ok(Write {
                key,
                change: Change::Update(Update {
                    actions: actions.clone(),
                }),
                condition,
                returning: *returning,
            })
        }
        Statement::Delete {
            filter, returning, ..
        } => {
            if let Some(r) = returning
                && *r != Returning::AllOld
            {
                return Err(invalid(format!(
                    "Invalid returning clause: RETURNING {}. Only RETURNING ALL OLD * is allowed in DELETE statements.",
                    r.as_str()
                )));
            }
            let (key, condition) = where_key(t, filter.as_ref())?;
            Ok(Write {
                key,
                change: Change::Delete,
                condition,
                returning: *returning,
            })
        }
        Statement::Select { .. } => Err(DdbError::Internal(
            "partiql: a SELECT planned as a write".into(),
        )),
    }
}

fn failed(old: Option<&Item>, return_old: bool) -> DdbError {
    DdbError::ConditionFailed {
        item: old.filter(|_| return_old).cloned(),
    }
}

/// The write's closure: checks and computes the change against the stored item.
pub(super) fn apply(w: &Write, old: Option<&Item>, return_old: bool) -> Result<Mutation> {
    let empty = Item::new();
    let holds = |old: Option<&Item>| -> Result<bool> {
        match &w.condition {
            Some(c) => expr::eval_condition(c, old.unwrap_or(&empty)),
            None => Ok(true),
        }
    };
    match &w.change {
        Change::Insert(item) => {
            if old.is_some() {
                return Err(DdbError::DuplicateItem(DUPLICATE.into()));
            }
            Ok(Mutation::Put(item.clone()))
        }
        Change::Update(update) => {
            let Some(cur) = old else {
                return Err(failed(None, return_old));
            };
            if !holds(old)? {
                return Err(failed(old, return_old));
            }
            let mut item = cur.clone();
            expr::apply_update(update, &mut item)?;
            validate_item(&item).map_err(|e| {
                if e.0 == rules::ITEM_TOO_LARGE {
                    invalid("Item size to update has exceeded the maximum allowed size")
                } else {
                    e.into()
                }
            })?;
            Ok(Mutation::Put(item))
        }
        Change::Delete => {
            if !holds(old)? {
                return Err(failed(old, return_old));
            }
            Ok(if old.is_some() {
                Mutation::Delete
            } else {
                Mutation::NoChange
            })
        }
    }
}

/// The item a RETURNING clause asks for, if any and not empty.
pub(super) fn returned(w: &Write, outcome: &Outcome) -> Option<Item> {
    let modified = || -> Vec<Path> {
        match &w.change {
            Change::Update(u) => {
                let mut paths: Vec<Path> = u.paths().map(|p| Path::attr(p.top())).collect();
                paths.sort();
                paths.dedup();
                paths
            }
            _ => Vec::new(),
        }
    };
    let item = match w.returning? {
        Returning::AllOld => outcome.old.clone(),
        Returning::AllNew => outcome.new.clone(),
        Returning::ModifiedOld => outcome.old.as_ref().map(|o| expr::project(o, &modified())),
        Returning::ModifiedNew => outcome.new.as_ref().map(|n| expr::project(n, &modified())),
    }?;
    (!item.is_empty()).then_some(item)
}
