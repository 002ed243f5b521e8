//! One page of a Query or Scan: read entries of a store range in order, stop at `Limit`
//! items evaluated or once 1 MB was read (before filtering), filter, project, and say where
//! the next page starts (`LastEvaluatedKey`).

use super::plan::{Select, Target};
use crate::error::Result;
use crate::expr::{Condition, Path, eval_condition, project};
use crate::store::ITEMS;
use crate::value::key::encode_key_to_vec;
use crate::value::{AttrValue, Item, decode_item, item_size};
use lamina_storage::{Direction, Range, Store};
use std::ops::Bound;

/// The page size rule: a page stops once this many bytes of items were read.
pub(crate) const PAGE_BYTES: usize = 1024 * 1024;
/// Entries fetched per store call.
const CHUNK: usize = 256;

/// Which part of a parallel scan this request reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub segment: u32,
    pub total: u32,
}

impl Segment {
    /// Whether an item whose partition key is `pk` belongs to this segment: a stable hash
    /// (FNV-1a of the key's encoding) modulo the segment count, so segments are disjoint,
    /// cover every item and agree across requests and processes.
    pub(crate) fn holds(&self, pk: &AttrValue) -> bool {
        let Ok(bytes) = encode_key_to_vec(pk) else {
            return false;
        };
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h % u64::from(self.total.max(1)) == u64::from(self.segment)
    }
}

/// What a page reads and returns.
pub(crate) struct Request<'a> {
    pub target: &'a Target<'a>,
    pub range: Range,
    pub direction: Direction,
    pub limit: Option<usize>,
    pub filter: Option<&'a Condition>,
    pub projection: Option<&'a [Path]>,
    pub select: Select,
    /// Read the table's item for each index entry (LSI reads of unprojected attributes).
    pub fetch: bool,
    pub segment: Option<Segment>,
}

/// A page's answer.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub items: Vec<Item>,
    pub count: usize,
    pub scanned: usize,
    /// Bytes of entries read from the target.
    pub bytes: usize,
    /// Bytes of table items fetched for index entries.
    pub fetched_bytes: usize,
    pub last_key: Option<Item>,
}

/// Reads one page.
pub(crate) async fn read(store: &dyn Store, req: Request<'_>) -> Result<Page> {
    let mut page = Page::default();
    let mut range = req.range.clone();
    let tree = req.target.tree();
    let hash = req.target.key.hash.0.clone();
    loop {
        if range.is_empty() {
            return Ok(page);
        }
        let want = match (req.limit, req.segment) {
            (Some(l), None) => l.saturating_sub(page.scanned).clamp(1, CHUNK),
            _ => CHUNK,
        };
        let chunk = store.scan(tree, range.clone(), req.direction, want).await?;
        let full = chunk.len() == want;
        let mut last_store_key = None;
        for (k, v) in chunk {
            let entry = decode_item(&v)?;
            last_store_key = Some(k);
            if let Some(seg) = req.segment
                && !entry.get(&hash).is_some_and(|pk| seg.holds(pk))
            {
                continue;
            }
            page.scanned += 1;
            page.bytes += item_size(&entry);
            let item = if req.fetch {
                let key = req.target.store_key_of_table_item(&entry)?;
                match store.get(ITEMS, &key).await? {
                    Some(raw) => {
                        let it = decode_item(&raw)?;
                        page.fetched_bytes += item_size(&it);
                        Some(it)
                    }
                    // the item was deleted after its index entry was read
                    None => None,
                }
            } else {
                Some(entry.clone())
            };
            if let Some(item) = item
                && req
                    .filter
                    .is_none_or(|f| eval_condition(f, &item).unwrap_or(false))
            {
                page.count += 1;
                if req.select != Select::Count {
                    page.items.push(match req.projection {
                        Some(paths) => project(&item, paths),
                        None => item,
                    });
                }
            }
            if req.limit.is_some_and(|l| page.scanned >= l) || page.bytes >= PAGE_BYTES {
                page.last_key = Some(req.target.position_of(&entry));
                return Ok(page);
            }
        }
        match (last_store_key, full) {
            (Some(k), true) => match req.direction {
                Direction::Forward => range.start = Bound::Excluded(k),
                Direction::Reverse => range.end = Bound::Excluded(k),
            },
            _ => return Ok(page),
        }
    }
}
