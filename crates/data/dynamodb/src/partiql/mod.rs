//! PartiQL for DynamoDB: a pure parser (no store, no async) from a statement and its
//! `Parameters` to a [`Statement`] whose conditions and update actions are the expression
//! engine's own types ([`crate::expr`]), so evaluation is shared with ConditionExpression,
//! FilterExpression and UpdateExpression.
//!
//! Supported, as the DynamoDB developer guide describes it:
//!
//! * `SELECT * | path, ... FROM "table"[."index"] [WHERE condition] [ORDER BY key [ASC|DESC]]`
//! * `INSERT INTO "table" VALUE {'k': v, ...}`
//! * `UPDATE "table" (SET path = value | REMOVE path) ... WHERE condition [RETURNING ...]`,
//!   and the `FROM "table" WHERE condition SET ...` form; values may be `a + 1`, `a - 1`,
//!   `list_append(a, b)`, `set_add(a, <<...>>)`, `set_delete(a, <<...>>)`
//! * `DELETE FROM "table" WHERE condition [RETURNING ALL OLD *]`
//! * conditions: `= <> != < <= > >=`, `BETWEEN`, `IN [...]`, `AND`/`OR`/`NOT`, parentheses,
//!   `IS [NOT] MISSING`, `IS [NOT] NULL`, `begins_with`, `contains`, `attribute_type`,
//!   `attribute_exists`, `attribute_not_exists`, `size`
//! * literals: `'string'`, numbers, `TRUE`/`FALSE`, `NULL`, `{'k': v}`, `[...]`, `<<...>>`;
//!   `?` bound from `Parameters` in order (their count must match)
//!
//! Error texts are AWS's (`Statement wasn't well formed, can't be processed: <detail>`,
//! `Aliasing is not supported`, ...). Statements are at most [`MAX_STATEMENT_BYTES`] and
//! nesting is bounded by [`MAX_DEPTH`], so no input can overflow the stack or panic.

mod lexer;
mod literal;
mod parser;
#[cfg(test)]
mod tests;

use crate::error::DdbError;
use crate::expr::{CmpOp, Condition, Operand, Path, PathElem, UpdateAction};
use crate::value::{AttrValue, Item};

pub use parser::parse;

/// The model's limit on `Statement` (8192 characters); longer input is refused unread.
pub const MAX_STATEMENT_BYTES: usize = 8192 * 4;
/// Nesting bound of conditions, parentheses and literals.
pub const MAX_DEPTH: usize = 64;

/// AWS's envelope of every syntax error.
pub const NOT_WELL_FORMED: &str = "Statement wasn't well formed, can't be processed: ";
/// `Where clause does not contain a mandatory equality on all key attributes`.
pub const INCOMPLETE_KEY: &str =
    "Where clause does not contain a mandatory equality on all key attributes";
/// `Number of parameters in request and statement don't match.`
pub const PARAM_COUNT: &str = "Number of parameters in request and statement don't match.";

/// A syntax or statement error; its text is AWS's `ValidationException` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl From<ParseError> for DdbError {
    fn from(e: ParseError) -> Self {
        DdbError::Validation(e.0)
    }
}

pub(crate) fn not_well_formed(detail: &str) -> ParseError {
    ParseError(format!("{NOT_WELL_FORMED}{detail}"))
}

/// The table (and index) a statement reads or writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub table: String,
    pub index: Option<String>,
}

/// What a SELECT returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Projection {
    /// `*`
    All,
    /// Document paths; each result attribute is named by its path's last name.
    Paths(Vec<Path>),
}

/// `RETURNING (ALL | MODIFIED) (OLD | NEW) *`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returning {
    AllOld,
    ModifiedOld,
    AllNew,
    ModifiedNew,
}

impl Returning {
    /// As written in AWS's messages: `ALL OLD *`.
    pub fn as_str(self) -> &'static str {
        match self {
            Returning::AllOld => "ALL OLD *",
            Returning::ModifiedOld => "MODIFIED OLD *",
            Returning::AllNew => "ALL NEW *",
            Returning::ModifiedNew => "MODIFIED NEW *",
        }
    }
}

/// A parsed statement with its parameters bound.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select {
        source: Source,
        projection: Projection,
        filter: Option<Condition>,
        /// `ORDER BY ... DESC`
        descending: bool,
    },
    Insert {
        table: String,
        item: Item,
    },
    Update {
        table: String,
        actions: Vec<UpdateAction>,
        filter: Option<Condition>,
        returning: Option<Returning>,
    },
    Delete {
        table: String,
        filter: Option<Condition>,
        returning: Option<Returning>,
    },
}

impl Statement {
    /// The table the statement names.
    pub fn table(&self) -> &str {
        match self {
            Statement::Select { source, .. } => &source.table,
            Statement::Insert { table, .. }
            | Statement::Update { table, .. }
            | Statement::Delete { table, .. } => table,
        }
    }

    /// Whether the statement reads (SELECT) rather than writes.
    pub fn is_read(&self) -> bool {
        matches!(self, Statement::Select { .. })
    }
}

/// The top-level conjuncts of a condition (`a AND (b AND c)` → `[a, b, c]`).
pub fn conjuncts(c: &Condition) -> Vec<&Condition> {
    let mut out = Vec::new();
    let mut stack = vec![c];
    while let Some(c) = stack.pop() {
        match c {
            Condition::And(l, r) => {
                stack.push(r);
                stack.push(l);
            }
            other => out.push(other),
        }
    }
    out
}

/// `attr = value` (either way round) on a top-level attribute: its name and value.
pub fn equality(c: &Condition) -> Option<(&str, &AttrValue)> {
    match c {
        Condition::Cmp(CmpOp::Eq, Operand::Path(p), Operand::Value(v))
        | Condition::Cmp(CmpOp::Eq, Operand::Value(v), Operand::Path(p))
            if p.is_top_level() =>
        {
            Some((p.top(), v))
        }
        _ => None,
    }
}

/// The value of the equality on top-level attribute `name` among the conjuncts of `filter`.
pub fn equality_on<'c>(filter: &'c Condition, name: &str) -> Option<&'c AttrValue> {
    conjuncts(filter)
        .into_iter()
        .find_map(|c| equality(c).filter(|(n, _)| *n == name).map(|(_, v)| v))
}

/// The partition key values a SELECT is limited to, when its condition limits them: an
/// equality or `IN` on `hash` among the conjuncts, or an `OR` whose every branch does.
/// `None`: the statement reads every partition (a Scan).
pub fn partitions(filter: &Condition, hash: &str) -> Option<Vec<AttrValue>> {
    partitions_at(filter, hash, 0)
}

fn partitions_at(filter: &Condition, hash: &str, depth: usize) -> Option<Vec<AttrValue>> {
    if depth > MAX_DEPTH {
        return None;
    }
    for c in conjuncts(filter) {
        if let Some((n, v)) = equality(c)
            && n == hash
        {
            return Some(vec![v.clone()]);
        }
        if let Condition::In(Operand::Path(p), list) = c
            && p.is_top_level()
            && p.top() == hash
        {
            let values: Option<Vec<AttrValue>> = list
                .iter()
                .map(|o| match o {
                    Operand::Value(v) => Some(v.clone()),
                    _ => None,
                })
                .collect();
            if values.is_some() {
                return values;
            }
        }
        if let Condition::Or(l, r) = c
            && let (Some(mut a), Some(b)) = (
                partitions_at(l, hash, depth + 1),
                partitions_at(r, hash, depth + 1),
            )
        {
            for v in b {
                if !a.contains(&v) {
                    a.push(v);
                }
            }
            return Some(a);
        }
    }
    None
}

/// The top-level attributes a condition reads (for the index projection checks).
pub fn condition_attrs(c: &Condition, out: &mut Vec<String>) {
    fn operand(o: &Operand, out: &mut Vec<String>) {
        match o {
            Operand::Path(p) => push(p, out),
            Operand::Size(inner) => operand(inner, out),
            Operand::Value(_) => {}
        }
    }
    fn push(p: &Path, out: &mut Vec<String>) {
        if !out.iter().any(|a| a == p.top()) {
            out.push(p.top().to_string());
        }
    }
    let mut stack = vec![c];
    while let Some(c) = stack.pop() {
        match c {
            Condition::And(l, r) | Condition::Or(l, r) => {
                stack.push(r);
                stack.push(l);
            }
            Condition::Not(x) => stack.push(x),
            Condition::Cmp(_, a, b) | Condition::BeginsWith(a, b) | Condition::Contains(a, b) => {
                operand(a, out);
                operand(b, out);
            }
            Condition::Between(a, b, d) => {
                operand(a, out);
                operand(b, out);
                operand(d, out);
            }
            Condition::In(a, list) => {
                operand(a, out);
                list.iter().for_each(|o| operand(o, out));
            }
            Condition::Exists(p) | Condition::NotExists(p) | Condition::AttrType(p, _) => {
                push(p, out)
            }
            Condition::True => {}
        }
    }
}

/// The name a projected path gets in a result item: its last name (`a.b[1]` → `b`).
pub fn result_name(p: &Path) -> &str {
    p.0.iter()
        .rev()
        .find_map(|e| match e {
            PathElem::Name(n) => Some(n.as_str()),
            PathElem::Index(_) => None,
        })
        .unwrap_or("")
}
