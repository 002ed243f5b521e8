//! SELECT: a range scan of the partitions the WHERE clause names (an equality or `IN` on the
//! partition key, as a Query), or of the whole table or index (a Scan), evaluating the WHERE
//! clause on every item read. `Limit` counts items read, pages stop at 1 MB, and the page's
//! position is the store key of the last item read (the caller wraps it in `NextToken`).

use crate::error::{DdbError, Result};
use crate::expr::{self, Condition, Path};
use crate::partiql::{self, Projection};
use crate::store::{INDEX, ITEMS, index_prefix, item_prefix};
use crate::table::{IndexMeta, KeyAttr, ProjectionType, TableMeta};
use crate::value::{AttrValue, Item, ScalarType, decode_item, item_size, key::encode_key_to_vec};
use crate::write;
use lamina_storage::{Direction, Range, Store};
use std::ops::Bound;

/// Entries read per store call.
const CHUNK: usize = 256;
/// A page ends once it has read this many bytes of items.
const PAGE_BYTES: usize = 1024 * 1024;

/// One page of a SELECT.
#[derive(Debug, Default)]
pub(super) struct Page {
    pub items: Vec<Item>,
    /// Bytes of the items read (for the capacity).
    pub bytes: usize,
    /// Where the next page starts (the store key of the last item read), if there is more.
    pub next: Option<Vec<u8>>,
}

/// A SELECT, checked against its table.
pub(super) struct Select<'a> {
    pub table: &'a TableMeta,
    pub index: Option<&'a IndexMeta>,
    pub filter: Option<&'a Condition>,
    pub projection: &'a Projection,
    pub descending: bool,
    pub limit: Option<usize>,
}

fn invalid(msg: impl Into<String>) -> DdbError {
    DdbError::Validation(msg.into())
}

/// The index a SELECT names, with AWS's checks of the index qualifier and of what the index
/// projects.
pub(super) fn target<'t>(
    table: &'t TableMeta,
    index: Option<&str>,
    filter: Option<&Condition>,
    projection: &Projection,
    consistent: bool,
) -> Result<Option<&'t IndexMeta>> {
    let Some(name) = index else { return Ok(None) };
    let idx = table
        .index(name)
        .ok_or_else(|| invalid("The table does not have the specified index"))?;
    let global = table.gsis.iter().any(|g| g.name == idx.name);
    if global && consistent {
        return Err(invalid(
            "Strongly consistent read is not supported on Global Secondary Indexes",
        ));
    }
    if let Some(f) = filter {
        let mut attrs = Vec::new();
        partiql::condition_attrs(f, &mut attrs);
        let missing: Vec<String> = attrs
            .into_iter()
            .filter(|a| !idx.projects(a, &table.key))
            .collect();
        if !missing.is_empty() {
            return Err(invalid(format!(
                "One or more parameter values were invalid: Secondary index {} does not project one or more filter attributes: [{}]",
                idx.name,
                missing.join(", ")
            )));
        }
    }
    if global && let Projection::Paths(paths) = projection {
        let mut missing: Vec<&str> = Vec::new();
        for p in paths {
            if !idx.projects(p.top(), &table.key) && !missing.contains(&p.top()) {
                missing.push(p.top());
            }
        }
        if !missing.is_empty() {
            return Err(invalid(format!(
                "One or more parameter values were invalid: Global secondary index {} does not project [{}]",
                idx.name,
                missing.join(", ")
            )));
        }
    }
    Ok(Some(idx))
}

/// The result item of `item` for the projection: `*` is the item; paths are named by their
/// last name.
pub(super) fn project(item: &Item, projection: &Projection) -> Item {
    match projection {
        Projection::All => item.clone(),
        Projection::Paths(paths) => paths
            .iter()
            .filter_map(|p: &Path| {
                expr::resolve_path(item, p)
                    .map(|v| (partiql::result_name(p).to_string(), v.clone()))
            })
            .collect(),
    }
}

fn matches_type(v: &AttrValue, k: &KeyAttr) -> bool {
    let ty = match v {
        AttrValue::S(_) => ScalarType::S,
        AttrValue::N(_) => ScalarType::N,
        AttrValue::B(_) => ScalarType::B,
        _ => return false,
    };
    ty.as_str() == k.ty.as_str()
}

/// The store ranges to read, in reading order.
fn ranges(sel: &Select<'_>, prefix: &[u8]) -> Vec<(Vec<u8>, Range)> {
    let hash = match sel.index {
        Some(i) => &i.key.hash,
        None => &sel.table.key.hash,
    };
    let parts = sel.filter.and_then(|f| partiql::partitions(f, &hash.name));
    let mut out: Vec<(Vec<u8>, Range)> = match parts {
        None => vec![(prefix.to_vec(), Range::prefix(prefix))],
        Some(values) => values
            .iter()
            .filter(|v| matches_type(v, hash))
            .filter_map(|v| encode_key_to_vec(v).ok())
            .map(|enc| {
                let mut p = prefix.to_vec();
                p.extend_from_slice(&enc);
                let r = Range::prefix(&p);
                (p, r)
            })
            .collect(),
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.dedup_by(|a, b| a.0 == b.0);
    if sel.descending {
        out.reverse();
    }
    out
}

/// Reads one page, starting after `after` (a store key from a previous page).
pub(super) async fn read(
    store: &dyn Store,
    sel: &Select<'_>,
    after: Option<Vec<u8>>,
) -> Result<Page> {
    let t = sel.table;
    let (tree, prefix) = match sel.index {
        Some(i) => (
            INDEX,
            index_prefix(&t.account, &t.region, &t.table_id, &i.name),
        ),
        None => (ITEMS, item_prefix(&t.account, &t.region, &t.table_id)),
    };
    let dir = if sel.descending {
        Direction::Reverse
    } else {
        Direction::Forward
    };
    let fetch = sel.index.is_some_and(|i| {
        let local = t.lsis.iter().any(|l| l.name == i.name);
        local
            && match sel.projection {
                Projection::All => i.projection.kind != ProjectionType::All,
                Projection::Paths(ps) => ps.iter().any(|p| !i.projects(p.top(), &t.key)),
            }
    });
    let mut page = Page::default();
    let mut scanned = 0usize;
    let mut last: Option<Vec<u8>> = None;
    for (p, mut range) in ranges(sel, &prefix) {
        if let Some(k) = &after {
            match resume(range, &p, k, dir) {
                Some(r) => range = r,
                None => continue,
            }
        }
        loop {
            let chunk = store.scan(tree, range.clone(), dir, CHUNK).await?;
            for (k, raw) in &chunk {
                if sel.limit.is_some_and(|l| scanned >= l) || page.bytes >= PAGE_BYTES {
                    page.next = last;
                    return Ok(page);
                }
                let mut item = decode_item(raw)
                    .map_err(|e| DdbError::Internal(format!("decode stored item: {e}")))?;
                if fetch {
                    let key = write::key_schema(&t.key).key_of(&item);
                    match write::get_item(store, t, &key).await? {
                        Some(full) => item = full,
                        None => continue,
                    }
                }
                scanned += 1;
                page.bytes += item_size(&item);
                last = Some(k.clone());
                let keep = match sel.filter {
                    Some(f) => expr::eval_condition(f, &item)?,
                    None => true,
                };
                if keep {
                    page.items.push(project(&item, sel.projection));
                }
            }
            match chunk.last() {
                Some((k, _)) if chunk.len() == CHUNK => match dir {
                    Direction::Forward => range.start = Bound::Excluded(k.clone()),
                    Direction::Reverse => range.end = Bound::Excluded(k.clone()),
                },
                _ => break,
            }
        }
    }
    Ok(page)
}

/// The part of `range` (all keys starting with `prefix`) after position `k` in direction
/// `dir`; `None` when nothing of it is left.
fn resume(mut range: Range, prefix: &[u8], k: &[u8], dir: Direction) -> Option<Range> {
    let before = k < prefix;
    let inside = k.starts_with(prefix);
    match dir {
        Direction::Forward if inside => range.start = Bound::Excluded(k.to_vec()),
        Direction::Forward if before => {}
        Direction::Forward => return None,
        Direction::Reverse if inside => range.end = Bound::Excluded(k.to_vec()),
        Direction::Reverse if before => return None,
        Direction::Reverse => {}
    }
    Some(range)
}
