//! The single write path (docs/dynamodb.md "Write path"). Every item change — PutItem,
//! UpdateItem, DeleteItem, batch and transaction members, PartiQL, TTL deletes — goes through
//! [`write_item`] or [`write_items`]:
//!
//! 1. read the current item from `ddb.items`;
//! 2. call the caller's closure with it; the closure checks the condition, computes the new
//!    item and answers a [`Mutation`] (or an error, which writes nothing);
//! 3. commit ONE batch: the item put/delete, the entry diff of every GSI and LSI (projected;
//!    items without an index key attribute are absent from that index) and, when the table's
//!    stream is on, the stream record — preconditioned on the item bytes read, so a
//!    concurrent writer makes the commit fail with `Conflict`, and the whole thing is retried
//!    (bounded) from step 1.
//!
//! A change that changes nothing (a put of the identical item, a delete of an absent item)
//! commits nothing and emits no stream record, as DynamoDB documents.
//!
//! Also here: [`get_item`], the key helpers ([`key_schema`], [`item_key`]) and
//! [`backfill_index`] for GSIs created by UpdateTable.

mod index;
mod stream;
#[cfg(test)]
pub(crate) mod tests;

pub(crate) use index::check_index_keys;
#[allow(unused_imports)] // for the Streams API and the TTL sweeper
pub(crate) use stream::{TTL_PRINCIPAL, next_sequence, record_key, sequence_string};

use crate::error::{DdbError, Result};
use crate::store::{ITEMS, STREAM, item_prefix};
use crate::table::{KeyDef, TableMeta};
use crate::value::{Item, KeySchema, ScalarType, decode_item, encode_item, item_size, write_units};
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch};
use std::ops::Bound;
use std::time::Duration;

/// Attempts of one read-modify-write before giving up with an internal error.
const MAX_ATTEMPTS: u32 = 100;
#[allow(dead_code)] // see backfill_index
/// Items read per store call by [`backfill_index`].
const BACKFILL_CHUNK: usize = 256;

/// What the closure of a write decides.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mutation {
    /// Store this item (its key must be the written key).
    Put(Item),
    /// Delete the item (nothing happens when it is absent).
    Delete,
    /// Leave everything as it is (e.g. an UpdateItem that only removes from a missing item).
    NoChange,
}

/// Who causes a write: stream records of TTL deletes carry the service's `userIdentity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Origin {
    #[default]
    User,
    Ttl,
}

/// Write units one index was charged for a change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexUnits {
    pub name: String,
    pub global: bool,
    pub units: f64,
}

/// What a write did.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Outcome {
    /// The item before the write.
    pub old: Option<Item>,
    /// The item after the write (`None`: absent).
    pub new: Option<Item>,
    /// Whether the store changed (false for [`Mutation::NoChange`] and no-op changes).
    pub changed: bool,
    /// Write units of the table: the larger of the old and new item, 1 KB per unit.
    pub table_units: f64,
    /// Write units of each index the change touched.
    pub indexes: Vec<IndexUnits>,
}

/// The closure of one member of [`write_items`].
#[allow(dead_code)] // for TransactWriteItems and ExecuteTransaction
pub(crate) type Apply<'a> = Box<dyn FnMut(Option<&Item>) -> Result<Mutation> + Send + 'a>;

#[allow(dead_code)] // for TransactWriteItems and ExecuteTransaction
/// One member of a multi-item write: the table, the item's key (validated against the table's
/// key schema) and the closure.
pub(crate) struct ItemWrite<'a> {
    pub table: &'a TableMeta,
    pub key: Item,
    pub origin: Origin,
    pub apply: Apply<'a>,
}

/// The table's (or an index's) key in the form the value rules use.
pub(crate) fn key_schema(k: &KeyDef) -> KeySchema {
    let ty = |t: crate::table::ScalarType| match t {
        crate::table::ScalarType::S => ScalarType::S,
        crate::table::ScalarType::N => ScalarType::N,
        crate::table::ScalarType::B => ScalarType::B,
    };
    KeySchema {
        hash: (k.hash.name.clone(), ty(k.hash.ty)),
        range: k.range.as_ref().map(|r| (r.name.clone(), ty(r.ty))),
    }
}

/// `enc(pk) ++ enc(sk)` of a key (or an item) of `table`.
pub(crate) fn key_suffix(table: &TableMeta, key: &Item) -> Result<Vec<u8>> {
    Ok(key_schema(&table.key).encode(key)?)
}

/// The `ddb.items` key of the item with `key`.
pub(crate) fn item_key(table: &TableMeta, key: &Item) -> Result<Vec<u8>> {
    let mut k = item_prefix(&table.account, &table.region, &table.table_id);
    k.extend_from_slice(&key_suffix(table, key)?);
    Ok(k)
}

fn decode(raw: &[u8]) -> Result<Item> {
    decode_item(raw).map_err(|e| DdbError::Internal(format!("decode stored item: {e}")))
}

/// The item with `key` (validated against the table's key schema), if there is one.
pub(crate) async fn get_item(
    store: &dyn Store,
    table: &TableMeta,
    key: &Item,
) -> Result<Option<Item>> {
    match store.get(ITEMS, &item_key(table, key)?).await? {
        Some(raw) => Ok(Some(decode(&raw)?)),
        None => Ok(None),
    }
}

/// Read-modify-write of one item; see the module header. The closure may run several times
/// (once per attempt). Its error is returned as is and nothing is written.
pub(crate) async fn write_item<F>(
    store: &dyn Store,
    table: &TableMeta,
    key: &Item,
    origin: Origin,
    mut apply: F,
) -> Result<Outcome>
where
    F: FnMut(Option<&Item>) -> Result<Mutation> + Send,
{
    let store_key = item_key(table, key)?;
    for attempt in 0..MAX_ATTEMPTS {
        let raw = store.get(ITEMS, &store_key).await?;
        let old = raw.as_deref().map(decode).transpose()?;
        let mutation = apply(old.as_ref())?;
        let mut batch = WriteBatch::new();
        let outcome = plan(
            &mut batch, table, key, &store_key, raw, old, mutation, origin,
        )?;
        if batch.ops.is_empty() {
            return Ok(outcome);
        }
        match store.commit(batch).await {
            Ok(()) => return Ok(outcome),
            Err(StoreError::Conflict { .. }) => backoff(attempt).await,
            Err(e) => return Err(e.into()),
        }
    }
    Err(too_contended())
}

/// Several item writes committed in ONE batch (transactions): every closure runs against the
/// item it reads, then all changes commit together, preconditioned on every item read. When
/// any closure fails nothing is written and the answer holds every member's result in order
/// (`Ok` for those that passed), from which the caller builds its cancellation reasons. The
/// outer error is for store failures and exhausted retries. Members must have distinct keys.
#[allow(dead_code)] // for TransactWriteItems and ExecuteTransaction
pub(crate) async fn write_items(
    store: &dyn Store,
    mut writes: Vec<ItemWrite<'_>>,
) -> Result<Vec<Result<Outcome>>> {
    let keys: Vec<Vec<u8>> = writes
        .iter()
        .map(|w| item_key(w.table, &w.key))
        .collect::<Result<_>>()?;
    for attempt in 0..MAX_ATTEMPTS {
        let mut batch = WriteBatch::new();
        let mut results = Vec::with_capacity(writes.len());
        let mut failed = false;
        for (w, store_key) in writes.iter_mut().zip(&keys) {
            let raw = store.get(ITEMS, store_key).await?;
            let old = raw.as_deref().map(decode).transpose()?;
            // Every member holds its item still, changed or not (a ConditionCheck reads too).
            batch.require(ITEMS, store_key.clone(), raw.clone());
            let r = (w.apply)(old.as_ref()).and_then(|m| {
                plan(
                    &mut batch, w.table, &w.key, store_key, raw, old, m, w.origin,
                )
            });
            failed |= r.is_err();
            results.push(r);
        }
        if failed || batch.ops.is_empty() {
            return Ok(results);
        }
        match store.commit(batch).await {
            Ok(()) => return Ok(results),
            Err(StoreError::Conflict { .. }) => backoff(attempt).await,
            Err(e) => return Err(e.into()),
        }
    }
    Err(too_contended())
}

fn too_contended() -> DdbError {
    DdbError::Internal("item write: too many conflicting concurrent writes".into())
}

/// A short, growing, jittered pause before the next attempt.
async fn backoff(attempt: u32) {
    let jitter = u64::from(lamina_core::random_bytes::<1>()[0] % 4);
    let ms = u64::from(attempt.min(10)) + jitter;
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// Adds one item change to `batch` (item, index entries, stream record, precondition).
#[allow(clippy::too_many_arguments)]
fn plan(
    batch: &mut WriteBatch,
    table: &TableMeta,
    key: &Item,
    store_key: &[u8],
    raw: Option<Vec<u8>>,
    old: Option<Item>,
    mutation: Mutation,
    origin: Origin,
) -> Result<Outcome> {
    let suffix = key_suffix(table, key)?;
    let new = match mutation {
        Mutation::NoChange => old.clone(),
        Mutation::Delete => None,
        Mutation::Put(item) => {
            if key_suffix(table, &item)? != suffix {
                return Err(DdbError::Internal(
                    "write path: the new item's key is not the written key".into(),
                ));
            }
            check_index_keys(table, &item)?;
            Some(item)
        }
    };
    let size = |i: &Option<Item>| i.as_ref().map(item_size).unwrap_or(0);
    let mut outcome = Outcome {
        table_units: write_units(size(&old).max(size(&new))),
        ..Outcome::default()
    };
    if old == new {
        outcome.old = old;
        outcome.new = new;
        return Ok(outcome);
    }
    batch.require(ITEMS, store_key.to_vec(), raw);
    match &new {
        Some(item) => batch.put(ITEMS, store_key.to_vec(), encode_item(item)),
        None => batch.delete(ITEMS, store_key.to_vec()),
    };
    for (global, idx) in table
        .gsis
        .iter()
        .map(|i| (true, i))
        .chain(table.lsis.iter().map(|i| (false, i)))
    {
        let o = old
            .as_ref()
            .and_then(|i| index::entry(table, idx, i, &suffix));
        let n = new
            .as_ref()
            .and_then(|i| index::entry(table, idx, i, &suffix));
        let units = index::diff(batch, o, n);
        if units > 0.0 {
            outcome.indexes.push(IndexUnits {
                name: idx.name.clone(),
                global,
                units,
            });
        }
    }
    if table.stream.enabled {
        let keys = key_schema(&table.key).key_of(new.as_ref().or(old.as_ref()).unwrap_or(key));
        let seq = next_sequence();
        if let Some(rec) = stream::record(table, &keys, old.as_ref(), new.as_ref(), origin, seq) {
            let bytes = serde_json::to_vec(&rec)
                .map_err(|e| DdbError::Internal(format!("encode stream record: {e}")))?;
            batch.put(STREAM, record_key(table, seq), bytes);
        }
    }
    outcome.old = old;
    outcome.new = new;
    outcome.changed = true;
    Ok(outcome)
}

/// Fills index `index` of `table` from the items already stored (UpdateTable's new GSIs),
/// a chunk of items per batch, each entry written with a precondition on the item bytes it
/// was computed from, so a concurrent write (which maintains the entry itself) wins and the
/// chunk is redone. An unknown index fills nothing.
#[allow(dead_code)] // for UpdateTable (store::backfill_index)
pub(crate) async fn backfill_index(
    store: &dyn Store,
    table: &TableMeta,
    index: &str,
) -> Result<()> {
    let Some(idx) = table.index(index) else {
        return Ok(());
    };
    let prefix = item_prefix(&table.account, &table.region, &table.table_id);
    let mut start = Bound::Included(prefix.clone());
    let mut conflicts = 0u32;
    loop {
        let mut range = Range::prefix(&prefix);
        range.start = start.clone();
        let chunk = store
            .scan(ITEMS, range, Direction::Forward, BACKFILL_CHUNK)
            .await?;
        let mut batch = WriteBatch::new();
        for (k, raw) in &chunk {
            let item = decode(raw)?;
            let suffix = &k[prefix.len()..];
            if let Some(e) = index::entry(table, idx, &item, suffix) {
                batch.require_equals(ITEMS, k.clone(), raw.clone());
                batch.put(crate::store::INDEX, e.key, encode_item(&e.item));
            }
        }
        if !batch.ops.is_empty() {
            match store.commit(batch).await {
                Ok(()) => {}
                Err(StoreError::Conflict { .. }) if conflicts < MAX_ATTEMPTS => {
                    conflicts += 1;
                    backoff(conflicts).await;
                    continue;
                }
                Err(StoreError::Conflict { .. }) => return Err(too_contended()),
                Err(e) => return Err(e.into()),
            }
        }
        match chunk.last() {
            Some((k, _)) if chunk.len() == BACKFILL_CHUNK => start = Bound::Excluded(k.clone()),
            _ => return Ok(()),
        }
    }
}
