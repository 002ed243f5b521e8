//! The key layout of docs/dynamodb.md and the table meta's reads and writes.
//!
//! | tree | key |
//! |---|---|
//! | `ddb.tables` | `acct \0 region \0 TableName` → [`TableMeta`] JSON (`"v": 1`) |
//! | `ddb.items` | [`item_prefix`] + enc(pk) + enc(sk) |
//! | `ddb.index` | [`index_prefix`] + enc(ipk) + enc(isk) + enc(pk) + enc(sk) |
//! | `ddb.stream` | [`stream_prefix`] + seq (16 bytes, big-endian) |
//!
//! Table names match `[a-zA-Z0-9_.-]+` and index names the same, so the 0x00 separator is
//! unambiguous. A small cache of metas (keyed by account, region, name) serves the item
//! operations; every control-plane write through [`commit_meta`] invalidates it and entries
//! expire after [`CACHE_TTL`] so other nodes sharing the store are seen quickly. The store is
//! the truth: read-modify-write of a meta always reads the store ([`read_table`]).

use crate::DynamoDb;
use crate::error::{DdbError, Result};
use crate::table::{Counts, TableMeta};
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch, key};
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const TABLES: &str = "ddb.tables";
pub(crate) const ITEMS: &str = "ddb.items";
pub(crate) const INDEX: &str = "ddb.index";
pub(crate) const STREAM: &str = "ddb.stream";

/// How long a cached meta is trusted without reading the store.
pub(crate) const CACHE_TTL: Duration = Duration::from_secs(1);
const CACHE_MAX: usize = 4096;
/// Entries read or deleted per store call when scanning a whole table.
const CHUNK: usize = 512;

/// A meta as read, with its raw bytes for the compare-and-set precondition.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub meta: TableMeta,
    pub raw: Vec<u8>,
}

type CacheKey = (String, String, String);

/// Cached metas; see the module header.
#[derive(Default)]
pub(crate) struct TableCache {
    entries: Mutex<HashMap<CacheKey, (Instant, Arc<Loaded>)>>,
}

impl TableCache {
    fn get(&self, k: &CacheKey) -> Option<Arc<Loaded>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(k)
            .filter(|(at, _)| at.elapsed() < CACHE_TTL)
            .map(|(_, l)| l.clone())
    }

    fn put(&self, k: CacheKey, l: Arc<Loaded>) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CACHE_MAX {
                entries.clear();
            }
            entries.insert(k, (Instant::now(), l));
        }
    }

    pub(crate) fn invalidate(&self, account: &str, region: &str, name: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(&(account.to_string(), region.to_string(), name.to_string()));
        }
    }
}

pub(crate) fn table_key(account: &str, region: &str, name: &str) -> Vec<u8> {
    key::join(&[account, region, name])
}

fn tables_prefix(account: &str, region: &str) -> Vec<u8> {
    key::prefix(&[account, region])
}

/// The prefix of every item of a table in `ddb.items`.
pub(crate) fn item_prefix(account: &str, region: &str, table_id: &str) -> Vec<u8> {
    key::prefix(&[account, region, table_id])
}

/// The prefix of every entry of one index in `ddb.index`.
pub(crate) fn index_prefix(account: &str, region: &str, table_id: &str, index: &str) -> Vec<u8> {
    key::prefix(&[account, region, table_id, index])
}

/// The prefix of every index entry of a table (all indexes) in `ddb.index`.
pub(crate) fn all_indexes_prefix(account: &str, region: &str, table_id: &str) -> Vec<u8> {
    key::prefix(&[account, region, table_id])
}

/// The prefix of every stream record of a table in `ddb.stream`.
pub(crate) fn stream_prefix(account: &str, region: &str, table_id: &str) -> Vec<u8> {
    key::prefix(&[account, region, table_id])
}

/// "Requested resource not found: Table: <name> not found" (control plane).
pub(crate) fn table_not_found(name: &str) -> DdbError {
    DdbError::NotFound(format!(
        "Requested resource not found: Table: {name} not found"
    ))
}

pub(crate) fn encode(meta: &TableMeta) -> Result<Vec<u8>> {
    serde_json::to_vec(meta).map_err(|e| DdbError::Internal(format!("encode table meta: {e}")))
}

fn decode(raw: &[u8]) -> Result<TableMeta> {
    serde_json::from_slice(raw).map_err(|e| DdbError::Internal(format!("decode table meta: {e}")))
}

/// Reads a meta from the store (no cache): for read-modify-write.
pub(crate) async fn read_table(
    store: &dyn Store,
    account: &str,
    region: &str,
    name: &str,
) -> Result<Option<Loaded>> {
    let Some(raw) = store.get(TABLES, &table_key(account, region, name)).await? else {
        return Ok(None);
    };
    Ok(Some(Loaded {
        meta: decode(&raw)?,
        raw,
    }))
}

/// The table for a control-plane read, or ResourceNotFoundException
/// "Requested resource not found: Table: <name> not found".
pub(crate) async fn load_table(
    db: &DynamoDb,
    account: &str,
    region: &str,
    name: &str,
) -> Result<Arc<Loaded>> {
    cached_table(db, account, region, name)
        .await?
        .ok_or_else(|| table_not_found(name))
}

/// The table for an item operation, or ResourceNotFoundException "Requested resource not
/// found" (the data plane's bare text). Served from the cache.
#[allow(dead_code)] // for the item operations
pub(crate) async fn load_table_for_items(
    db: &DynamoDb,
    account: &str,
    region: &str,
    name: &str,
) -> Result<Arc<Loaded>> {
    cached_table(db, account, region, name)
        .await?
        .ok_or_else(|| DdbError::NotFound("Requested resource not found".into()))
}

/// The table through the cache.
pub(crate) async fn cached_table(
    db: &DynamoDb,
    account: &str,
    region: &str,
    name: &str,
) -> Result<Option<Arc<Loaded>>> {
    let k = (account.to_string(), region.to_string(), name.to_string());
    if let Some(l) = db.tables.get(&k) {
        return Ok(Some(l));
    }
    let Some(l) = read_table(db.store.as_ref(), account, region, name).await? else {
        return Ok(None);
    };
    let l = Arc::new(l);
    db.tables.put(k, l.clone());
    Ok(Some(l))
}

/// Adds "write `meta`, provided the stored meta is still `expected` (None: absent)" to a batch.
pub(crate) fn put_meta(
    batch: &mut WriteBatch,
    meta: &TableMeta,
    expected: Option<&[u8]>,
) -> Result<()> {
    let k = table_key(&meta.account, &meta.region, &meta.name);
    batch.require(TABLES, k.clone(), expected.map(<[u8]>::to_vec));
    batch.put(TABLES, k, encode(meta)?);
    Ok(())
}

/// Adds "delete the meta, provided it is still `expected`" to a batch.
pub(crate) fn delete_meta(batch: &mut WriteBatch, meta: &TableMeta, expected: &[u8]) {
    let k = table_key(&meta.account, &meta.region, &meta.name);
    batch.require_equals(TABLES, k.clone(), expected.to_vec());
    batch.delete(TABLES, k);
}

/// Commits a batch that changes the meta of table `name` and drops it from the cache.
/// `Ok(false)` when a precondition failed (someone else changed the meta: read again).
pub(crate) async fn commit_meta(
    db: &DynamoDb,
    account: &str,
    region: &str,
    name: &str,
    batch: WriteBatch,
) -> Result<bool> {
    commit_meta_with(db.store.as_ref(), &db.tables, account, region, name, batch).await
}

async fn commit_meta_with(
    store: &dyn Store,
    cache: &TableCache,
    account: &str,
    region: &str,
    name: &str,
    batch: WriteBatch,
) -> Result<bool> {
    let r = store.commit(batch).await;
    cache.invalidate(account, region, name);
    match r {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Table names in `account`/`region` after `exclusive_start`, sorted, at most `limit`; the
/// second value is `LastEvaluatedTableName` when more names follow.
pub(crate) async fn list_tables(
    store: &dyn Store,
    account: &str,
    region: &str,
    exclusive_start: Option<&str>,
    limit: usize,
) -> Result<(Vec<String>, Option<String>)> {
    let prefix = tables_prefix(account, region);
    let mut range = Range::prefix(&prefix);
    if let Some(start) = exclusive_start {
        range.start = Bound::Excluded(table_key(account, region, start));
    }
    let entries = store
        .scan(TABLES, range, Direction::Forward, limit + 1)
        .await?;
    let mut names: Vec<String> = entries
        .iter()
        .map(|(k, _)| String::from_utf8_lossy(&k[prefix.len()..]).into_owned())
        .collect();
    let more = names.len() > limit;
    names.truncate(limit);
    let last = if more { names.last().cloned() } else { None };
    Ok((names, last))
}

/// The size DescribeTable counts for a stored item.
// TODO(items): use `value::size` of the decoded item once `value::codec` exists; the stored
// bytes are a close stand-in until then.
fn stored_size(value: &[u8]) -> u64 {
    value.len() as u64
}

/// Number of entries and their bytes under `prefix` in `tree`, read in chunks.
async fn count_prefix(store: &dyn Store, tree: &str, prefix: &[u8]) -> Result<(u64, u64)> {
    let (mut n, mut bytes) = (0u64, 0u64);
    let mut range = Range::prefix(prefix);
    loop {
        let chunk = store
            .scan(tree, range.clone(), Direction::Forward, CHUNK)
            .await?;
        for (_, v) in &chunk {
            n += 1;
            bytes += stored_size(v);
        }
        match chunk.last() {
            Some((k, _)) if chunk.len() == CHUNK => range.start = Bound::Excluded(k.clone()),
            _ => return Ok((n, bytes)),
        }
    }
}

/// ItemCount / TableSizeBytes of the table and each index, counted from the store.
pub(crate) async fn counts(store: &dyn Store, meta: &TableMeta) -> Result<Counts> {
    let (a, r, id) = (
        meta.account.as_str(),
        meta.region.as_str(),
        meta.table_id.as_str(),
    );
    let (items, bytes) = count_prefix(store, ITEMS, &item_prefix(a, r, id)).await?;
    let mut c = Counts {
        items,
        bytes,
        ..Counts::default()
    };
    for i in meta.indexes() {
        let n = count_prefix(store, INDEX, &index_prefix(a, r, id, &i.name)).await?;
        c.indexes.insert(i.name.clone(), n);
    }
    Ok(c)
}

/// True when the table holds at least one item.
pub(crate) async fn has_items(store: &dyn Store, meta: &TableMeta) -> Result<bool> {
    let p = item_prefix(&meta.account, &meta.region, &meta.table_id);
    Ok(!store
        .scan(ITEMS, Range::prefix(&p), Direction::Forward, 1)
        .await?
        .is_empty())
}

/// Deletes every entry under `prefix` in `tree`, a chunk per batch.
pub(crate) async fn delete_prefix(store: &dyn Store, tree: &str, prefix: &[u8]) -> Result<()> {
    loop {
        let chunk = store
            .scan(tree, Range::prefix(prefix), Direction::Forward, CHUNK)
            .await?;
        if chunk.is_empty() {
            return Ok(());
        }
        let mut batch = WriteBatch::new();
        for (k, _) in chunk {
            batch.delete(tree, k);
        }
        store.commit(batch).await?;
    }
}

/// Removes the items, index entries and stream records of a deleted table (its meta is
/// already gone). Runs in the background when a runtime is available, so DeleteTable
/// never waits for it.
pub(crate) fn spawn_purge(
    store: Arc<dyn Store>,
    account: String,
    region: String,
    table_id: String,
) {
    let purge = async move {
        let trees = [
            (ITEMS, item_prefix(&account, &region, &table_id)),
            (INDEX, all_indexes_prefix(&account, &region, &table_id)),
            (STREAM, stream_prefix(&account, &region, &table_id)),
        ];
        for (tree, prefix) in trees {
            if let Err(e) = delete_prefix(store.as_ref(), tree, &prefix).await {
                tracing::warn!(tree, table_id = %table_id, error = %e, "purge of deleted table failed");
                return;
            }
        }
        tracing::debug!(table_id = %table_id, "deleted table purged");
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            h.spawn(purge);
        }
        Err(_) => tracing::warn!("no runtime: data of a deleted table is left in the store"),
    }
}

/// Fills a GSI created by UpdateTable from the table's existing items.
///
/// Waits [`CACHE_TTL`] first: a writer that loaded the table description before the index
/// existed may still commit within that window without maintaining the new index; after it,
/// every writer sees the index (status CREATING) and maintains its entries, and the backfill
/// (which re-checks each chunk against concurrent changes) covers everything written before.
pub(crate) async fn backfill_index(store: &dyn Store, meta: &TableMeta, index: &str) -> Result<()> {
    tokio::time::sleep(CACHE_TTL).await;
    crate::write::backfill_index(store, meta, index).await
}

/// Runs [`backfill_index`] in the background and then marks the index ACTIVE.
pub(crate) fn spawn_backfill(db: &DynamoDb, meta: TableMeta, index: String) {
    let (store, cache) = (db.store.clone(), db.tables.clone());
    let task = async move {
        if let Err(e) = backfill_index(store.as_ref(), &meta, &index).await {
            tracing::warn!(table = %meta.name, index = %index, error = %e, "index backfill failed");
            return;
        }
        if let Err(e) = finish_backfill(store.as_ref(), &cache, &meta, &index).await {
            tracing::warn!(table = %meta.name, index = %index, error = %e, "index activation failed");
        }
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            h.spawn(task);
        }
        Err(_) => tracing::warn!("no runtime: index backfill not started"),
    }
}

/// Marks a backfilled index ACTIVE (unless the table was re-created or the index dropped).
pub(crate) async fn finish_backfill(
    store: &dyn Store,
    cache: &TableCache,
    meta: &TableMeta,
    index: &str,
) -> Result<()> {
    for _ in 0..16 {
        let Some(l) = read_table(store, &meta.account, &meta.region, &meta.name).await? else {
            return Ok(());
        };
        let mut m = l.meta.clone();
        if m.table_id != meta.table_id {
            return Ok(());
        }
        let Some(i) = m.gsis.iter_mut().find(|i| i.name == index) else {
            return Ok(());
        };
        i.status = crate::table::IndexStatus::Active;
        i.backfilling = false;
        let mut batch = WriteBatch::new();
        put_meta(&mut batch, &m, Some(&l.raw))?;
        if commit_meta_with(store, cache, &m.account, &m.region, &m.name, batch).await? {
            return Ok(());
        }
    }
    Err(DdbError::Internal(
        "index activation: too many conflicting table updates".into(),
    ))
}
