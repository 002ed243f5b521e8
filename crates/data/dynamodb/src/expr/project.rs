//! Projection: the parts of an item a ProjectionExpression names, nested as in the item.
//! `a.b[2].c` yields `{a: {M: {b: {L: [{M: {c: ...}}]}}}}`; several elements of one list keep
//! their original order; paths that name nothing contribute nothing.

use super::ast::{Path, PathElem};
use crate::value::{AttrValue, Item};
use std::collections::BTreeMap;

/// The projection being built: leaves are copied values, lists are kept by original index.
enum Node {
    Leaf(AttrValue),
    Map(BTreeMap<String, Node>),
    List(BTreeMap<u32, Node>),
}

impl Node {
    fn into_value(self) -> AttrValue {
        match self {
            Node::Leaf(v) => v,
            Node::Map(m) => AttrValue::M(m.into_iter().map(|(k, n)| (k, n.into_value())).collect()),
            Node::List(l) => AttrValue::L(l.into_values().map(Node::into_value).collect()),
        }
    }
}

fn insert(root: &mut BTreeMap<String, Node>, path: &[PathElem], value: AttrValue) {
    let Some((PathElem::Name(first), rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        root.insert(first.clone(), Node::Leaf(value));
        return;
    }
    let mut cur = root.entry(first.clone()).or_insert_with(|| {
        if matches!(rest[0], PathElem::Index(_)) {
            Node::List(BTreeMap::new())
        } else {
            Node::Map(BTreeMap::new())
        }
    });
    for (i, e) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        let fresh = || match rest.get(i + 1) {
            Some(PathElem::Index(_)) => Node::List(BTreeMap::new()),
            _ => Node::Map(BTreeMap::new()),
        };
        let next = match (e, cur) {
            (PathElem::Name(n), Node::Map(m)) if last => {
                m.insert(n.clone(), Node::Leaf(value));
                return;
            }
            (PathElem::Index(x), Node::List(l)) if last => {
                l.insert(*x, Node::Leaf(value));
                return;
            }
            (PathElem::Name(n), Node::Map(m)) => m.entry(n.clone()).or_insert_with(fresh),
            (PathElem::Index(x), Node::List(l)) => l.entry(*x).or_insert_with(fresh),
            // Shapes disagree only if the paths overlap or conflict, which parsing rejects.
            _ => return,
        };
        cur = next;
    }
}

/// The projection of `item` on `paths`.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut root: BTreeMap<String, Node> = BTreeMap::new();
    for p in paths {
        if let Some(v) = super::eval::resolve_path(item, p) {
            insert(&mut root, &p.0, v.clone());
        }
    }
    root.into_iter().map(|(k, n)| (k, n.into_value())).collect()
}
