//! The parsed forms of all expression kinds. Names and values are already substituted
//! (`#n` → its name, `:v` → its value), so evaluation needs only the item. The legacy
//! parameters (Expected, AttributeUpdates, ...) are translated into the same types.

use crate::value::AttrValue;
use std::fmt;

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElem {
    /// A map key (or, first, a top-level attribute name).
    Name(String),
    /// A list index.
    Index(u32),
}

/// A document path: `a.b[2].c`. Never empty; the first element is always a `Name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path(pub Vec<PathElem>);

impl Path {
    /// A path of one top-level attribute.
    pub fn attr(name: impl Into<String>) -> Self {
        Path(vec![PathElem::Name(name.into())])
    }

    /// The top-level attribute the path starts at.
    pub fn top(&self) -> &str {
        match self.0.first() {
            Some(PathElem::Name(n)) => n,
            _ => "",
        }
    }

    /// Whether the path is just a top-level attribute.
    pub fn is_top_level(&self) -> bool {
        self.0.len() == 1
    }
}

/// AWS's rendering in error messages: `[a, b, [2], c]`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match e {
                PathElem::Name(n) => f.write_str(n)?,
                PathElem::Index(i) => write!(f, "[{i}]")?,
            }
        }
        f.write_str("]")
    }
}

/// An operand of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    Value(AttrValue),
    /// `size(operand)`
    Size(Box<Operand>),
}

/// A comparator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The operator with its operands swapped (`:v < a` is `a > :v`).
    pub fn flipped(self) -> Self {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
}

/// A ConditionExpression / FilterExpression (and the legacy Expected / QueryFilter / ScanFilter).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Cmp(CmpOp, Operand, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    Exists(Path),
    NotExists(Path),
    /// `attribute_type(path, :t)` with the type descriptor (`S`, `SS`, `NULL`, ...).
    AttrType(Path, String),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    /// Always true (an empty legacy filter).
    True,
}

/// An operand on the right of `SET path = ...`.
#[derive(Debug, Clone, PartialEq)]
pub enum SetOperand {
    Path(Path),
    Value(AttrValue),
    IfNotExists(Path, Box<SetOperand>),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

/// The value of a SET action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    Operand(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
}

/// One action of an update.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    Set(Path, SetValue),
    Remove(Path),
    /// ADD a number or set elements.
    Add(Path, AttrValue),
    /// DELETE set elements.
    Delete(Path, AttrValue),
}

impl UpdateAction {
    /// The path the action writes.
    pub fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }
}

/// An UpdateExpression (or legacy AttributeUpdates).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Update {
    pub actions: Vec<UpdateAction>,
}

impl Update {
    /// Every path the update writes (for the "part of the key" and index checks).
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.actions.iter().map(UpdateAction::path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expr_path_display_is_aws_format() {
        let p = Path(vec![
            PathElem::Name("ab".into()),
            PathElem::Name("bc".into()),
            PathElem::Index(1),
            PathElem::Name("a".into()),
        ]);
        assert_eq!(p.to_string(), "[ab, bc, [1], a]");
        assert_eq!(p.top(), "ab");
        assert!(!p.is_top_level());
        assert!(Path::attr("x").is_top_level());
    }
}
