//! Secondary index entries of the write path: which entry an item has in an index (none when
//! it lacks an index key attribute: indexes are sparse), its projection, the diff between the
//! old and the new entry, and the checks DynamoDB applies to index key attributes on write.

use crate::error::{DdbError, Result};
use crate::store::index_prefix;
use crate::table::{IndexMeta, KeyDef, TableMeta};
use crate::value::{AttrValue, Item, ScalarType, encode_item, encode_key, item_size, write_units};
use lamina_storage::WriteBatch;

/// One index's entry for an item: its `ddb.index` key and the projected item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: Vec<u8>,
    pub item: Item,
}

fn value_type(t: crate::table::ScalarType) -> ScalarType {
    match t {
        crate::table::ScalarType::S => ScalarType::S,
        crate::table::ScalarType::N => ScalarType::N,
        crate::table::ScalarType::B => ScalarType::B,
    }
}

/// The attributes `index` copies from an item of a table keyed by `table_key`.
pub(crate) fn project(index: &IndexMeta, table_key: &KeyDef, item: &Item) -> Item {
    item.iter()
        .filter(|(k, _)| index.projects(k, table_key))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The entry of `item` (whose table key encodes to `item_suffix`) in `index`, or `None` when
/// the item has no entry there: an index key attribute is missing, of another type than
/// declared, or an empty string/binary (only possible for items written before the index).
pub(crate) fn entry(
    table: &TableMeta,
    index: &IndexMeta,
    item: &Item,
    item_suffix: &[u8],
) -> Option<Entry> {
    let mut key = index_prefix(&table.account, &table.region, &table.table_id, &index.name);
    let attrs = std::iter::once(&index.key.hash).chain(index.key.range.as_ref());
    for a in attrs {
        let v = item.get(&a.name)?;
        if ScalarType::of(v) != Some(value_type(a.ty)) || is_empty(v) {
            return None;
        }
        encode_key(v, &mut key).ok()?;
    }
    key.extend_from_slice(item_suffix);
    Some(Entry {
        key,
        item: project(index, &table.key, item),
    })
}

fn is_empty(v: &AttrValue) -> bool {
    matches!(v, AttrValue::S(s) if s.is_empty()) || matches!(v, AttrValue::B(b) if b.is_empty())
}

/// Adds the index maintenance for one item change to `batch` and returns the write units
/// it costs (0 when the index is untouched): the old entry is deleted when its key changed
/// or it went away, the new one put when it is new or its key or projection changed.
pub(crate) fn diff(batch: &mut WriteBatch, old: Option<Entry>, new: Option<Entry>) -> f64 {
    let units = |e: &Entry| write_units(item_size(&e.item));
    match (old, new) {
        (None, None) => 0.0,
        (Some(o), None) => {
            batch.delete(crate::store::INDEX, o.key.clone());
            units(&o)
        }
        (None, Some(n)) => {
            let u = units(&n);
            batch.put(crate::store::INDEX, n.key, encode_item(&n.item));
            u
        }
        (Some(o), Some(n)) if o == n => 0.0,
        (Some(o), Some(n)) if o.key == n.key => {
            let u = units(&o).max(units(&n));
            batch.put(crate::store::INDEX, n.key, encode_item(&n.item));
            u
        }
        (Some(o), Some(n)) => {
            let u = units(&o) + units(&n);
            batch.delete(crate::store::INDEX, o.key);
            batch.put(crate::store::INDEX, n.key, encode_item(&n.item));
            u
        }
    }
}

/// The checks DynamoDB applies to an item being written on the key attributes of the
/// table's indexes: when present they must have the declared type and must not be empty.
pub(crate) fn check_index_keys(table: &TableMeta, item: &Item) -> Result<()> {
    for index in table.indexes() {
        let attrs = std::iter::once(&index.key.hash).chain(index.key.range.as_ref());
        for a in attrs {
            let Some(v) = item.get(&a.name) else { continue };
            if ScalarType::of(v) != Some(value_type(a.ty)) {
                return Err(DdbError::Validation(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    a.name,
                    a.ty.as_str(),
                    v.type_name(),
                    index.name
                )));
            }
            if is_empty(v) {
                let what = if matches!(v, AttrValue::S(_)) {
                    "string"
                } else {
                    "binary"
                };
                return Err(DdbError::Validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {what} value. IndexName: {}, IndexKey: {}",
                    index.name, a.name
                )));
            }
        }
    }
    Ok(())
}
