//! The embedded [`Store`] backend on [redb](https://docs.rs/redb): one file,
//! `<data-dir>/lamina.redb`, fsync on every commit, so a write acknowledged with `Ok` survives
//! `kill -9` and power loss (as far as the disk honours fsync).
//!
//! * Trees are redb tables of `&[u8] → &[u8]` named `t:<tree>`; a tree never written reads as
//!   empty.
//! * Writes go through one writer thread that does group commit: every batch waiting when a
//!   transaction starts joins it, each batch's conditions are checked against the state left by
//!   the batches before it, a failing batch applies nothing and gets
//!   [`StoreError::Conflict`], and the transaction commits with one fsync
//!   ([`redb::Durability::Immediate`], redb's default). Then the commit hooks run, in commit
//!   order, and only then are the callers answered, so a batch's hooks have run when its
//!   `commit` returns. Hooks run on the writer thread: they must be cheap and must not wait
//!   for another commit.
//! * Reads open a redb read transaction (a consistent snapshot) on tokio's blocking pool, so
//!   they never stall the async runtime and never wait for the writer.
//! * `close()` stops accepting work, lets the writer drain the batches already queued, and
//!   closes the file. Dropping the store without `close()` does the same, blocking the dropping
//!   thread until the writer has drained.
//!
//! * Memory: redb keeps a page cache (read cache plus write buffer) of at most
//!   [`RedbStore::open_with_cache`]'s `cache_bytes`, [`DEFAULT_CACHE_BYTES`] (64 MiB) by default.
//!   redb's own default is 1 GiB, which a store that is written a lot fills up to the size of
//!   the file: under a load of 1 KB PutItems the process's RSS followed the file to 350 MiB in
//!   60 s and kept growing. Pages outside the cache are read through the kernel's page cache.
//!
//! One process per data directory: a second open of the same file fails with
//! [`StoreError::Backend`].

use lamina_core::BoxFuture;
use lamina_storage::{CommitHook, Direction, Entry, Range, Result, Store, StoreError, WriteBatch};
use redb::{Database, ReadableDatabase, TableDefinition, TableError};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

mod writer;

use writer::{Pending, backend_err, table_name};

/// The file name inside the data directory.
pub const FILE_NAME: &str = "lamina.redb";

/// The default size of redb's page cache (read cache and write buffer together).
pub const DEFAULT_CACHE_BYTES: usize = 64 << 20;

/// The redb-backed store. Open with [`RedbStore::open`].
pub struct RedbStore {
    path: PathBuf,
    open: RwLock<Option<Open>>,
    hooks: Arc<RwLock<Vec<CommitHook>>>,
}

/// What exists while the store is open.
struct Open {
    db: Arc<Database>,
    queue: mpsc::Sender<Pending>,
    writer: JoinHandle<()>,
}

impl RedbStore {
    /// Opens (creating if needed) `<data_dir>/lamina.redb`, creating `data_dir` too, with a
    /// page cache of [`DEFAULT_CACHE_BYTES`].
    pub fn open(data_dir: &Path) -> Result<Arc<RedbStore>> {
        Self::open_with_cache(data_dir, DEFAULT_CACHE_BYTES)
    }

    /// [`RedbStore::open`] with a page cache of at most `cache_bytes` (redb keeps its write
    /// buffer within half of it).
    pub fn open_with_cache(data_dir: &Path, cache_bytes: usize) -> Result<Arc<RedbStore>> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Backend(format!("creating {}: {e}", data_dir.display())))?;
        let path = data_dir.join(FILE_NAME);
        let db = redb::Builder::new()
            .set_cache_size(cache_bytes)
            .create(&path)
            .map_err(|e| StoreError::Backend(format!("opening {}: {e}", path.display())))?;
        let db = Arc::new(db);
        let hooks: Arc<RwLock<Vec<CommitHook>>> = Arc::default();
        let (queue, rx) = mpsc::channel();
        let writer = {
            let (db, hooks) = (Arc::clone(&db), Arc::clone(&hooks));
            std::thread::Builder::new()
                .name("lamina-redb-writer".into())
                .spawn(move || writer::run(db, rx, hooks))
                .map_err(|e| StoreError::Backend(format!("starting the writer thread: {e}")))?
        };
        Ok(Arc::new(RedbStore {
            path,
            open: RwLock::new(Some(Open { db, queue, writer })),
            hooks,
        }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn db(&self) -> Result<Arc<Database>> {
        let open = self.open.read().unwrap_or_else(|e| e.into_inner());
        open.as_ref()
            .map(|o| Arc::clone(&o.db))
            .ok_or(StoreError::Closed)
    }

    /// Runs `f` on a read transaction's view of `tree` (`None` if the tree was never written) on
    /// the blocking pool.
    async fn read<T, F>(&self, tree: &str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Option<&redb::ReadOnlyTable<&'static [u8], &'static [u8]>>) -> Result<T>
            + Send
            + 'static,
    {
        let db = self.db()?;
        let name = table_name(tree);
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().map_err(backend_err)?;
            match txn.open_table(TableDefinition::<&[u8], &[u8]>::new(&name)) {
                Ok(table) => f(Some(&table)),
                Err(TableError::TableDoesNotExist(_)) => f(None),
                Err(e) => Err(backend_err(e)),
            }
        })
        .await
        .map_err(|e| StoreError::Backend(format!("read task failed: {e}")))?
    }

    /// Takes the open state out: later calls see `Closed`.
    fn take(&self) -> Option<Open> {
        self.open.write().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl Open {
    /// Lets the writer drain the queue and stop (blocks until the queued batches are
    /// committed), then closes the file unless reads still in flight hold it (it closes when
    /// the last one ends).
    fn shut(self) -> Result<()> {
        drop(self.queue);
        if self.writer.join().is_err() {
            tracing::error!("redb writer thread panicked");
        }
        match Arc::try_unwrap(self.db) {
            Ok(db) => db.close().map_err(backend_err),
            Err(_) => Ok(()),
        }
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl Store for RedbStore {
    fn get<'a>(&'a self, tree: &'a str, key: &'a [u8]) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        let key = key.to_vec();
        Box::pin(self.read(tree, move |table| {
            let Some(table) = table else { return Ok(None) };
            Ok(table
                .get(key.as_slice())
                .map_err(backend_err)?
                .map(|v| v.value().to_vec()))
        }))
    }

    fn scan<'a>(
        &'a self,
        tree: &'a str,
        range: Range,
        direction: Direction,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Entry>>> {
        Box::pin(self.read(tree, move |table| {
            let Some(table) = table else {
                return Ok(Vec::new());
            };
            if range.is_empty() {
                return Ok(Vec::new());
            }
            let limit = if limit == 0 { usize::MAX } else { limit };
            let bounds = (as_ref(&range.start), as_ref(&range.end));
            let iter = table.range::<&[u8]>(bounds).map_err(backend_err)?;
            let entry = |r: std::result::Result<_, redb::StorageError>| {
                let (k, v): (redb::AccessGuard<&[u8]>, redb::AccessGuard<&[u8]>) =
                    r.map_err(backend_err)?;
                Ok((k.value().to_vec(), v.value().to_vec()))
            };
            match direction {
                Direction::Forward => iter.take(limit).map(entry).collect(),
                Direction::Reverse => iter.rev().take(limit).map(entry).collect(),
            }
        }))
    }

    fn commit(&self, batch: WriteBatch) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            {
                let open = self.open.read().unwrap_or_else(|e| e.into_inner());
                let open = open.as_ref().ok_or(StoreError::Closed)?;
                if batch.is_empty() {
                    return Ok(());
                }
                open.queue
                    .send(Pending { batch, reply })
                    .map_err(|_| StoreError::Closed)?;
            }
            answer
                .await
                .map_err(|_| StoreError::Backend("the redb writer stopped".into()))?
        })
    }

    fn add_commit_hook(&self, hook: CommitHook) {
        self.hooks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(hook);
    }

    fn close(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let Some(open) = self.take() else {
                return Ok(());
            };
            tokio::task::spawn_blocking(move || open.shut())
                .await
                .map_err(|e| StoreError::Backend(format!("close task failed: {e}")))?
        })
    }

    fn backend(&self) -> &'static str {
        "redb"
    }
}

impl Drop for RedbStore {
    fn drop(&mut self) {
        if let Some(open) = self.take()
            && let Err(e) = open.shut()
        {
            tracing::error!(error = %e, "closing redb on drop");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn data_survives_close_and_reopen_and_the_file_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("nested/data");
        let store = RedbStore::open(&data_dir).unwrap();
        assert_eq!(store.path(), data_dir.join(FILE_NAME));
        assert!(
            RedbStore::open(&data_dir).is_err(),
            "one process, one open per file"
        );
        let mut b = WriteBatch::new();
        b.put("", "empty-tree-name", "ok").put("t", "k", "v");
        store.commit(b).await.unwrap();
        store.close().await.unwrap();
        drop(store);

        let store = RedbStore::open(&data_dir).unwrap();
        assert_eq!(store.get("t", b"k").await.unwrap(), Some(b"v".to_vec()));
        assert_eq!(
            store.get("", b"empty-tree-name").await.unwrap(),
            Some(b"ok".to_vec())
        );
        // Dropped without close: the writer drains, the file is released for the next open.
        let mut b = WriteBatch::new();
        b.put("t", "k2", "v2");
        store.commit(b).await.unwrap();
        drop(store);
        let store = RedbStore::open(&data_dir).unwrap();
        assert_eq!(store.get("t", b"k2").await.unwrap(), Some(b"v2".to_vec()));
    }
}
