//! The in-memory [`Store`] backend, for tests and `lamina --in-memory`.
//!
//! Every tree is a `BTreeMap` behind one `RwLock`: reads share the lock, a commit takes it
//! exclusively, checks every condition and applies every op under it, so batches are atomic
//! and serializable. Nothing is persisted: the state is gone when the process exits.
//!
//! Commit hooks run after the batch is applied, in commit order, exactly once per batch that
//! has at least one op (a batch of only conditions changes nothing and is not reported). The
//! hooks of a batch have run by the time its `commit` returns, except when that commit was
//! made from inside a hook (then they run right after the current hook returns, on the same
//! thread), so a hook may call back into the store. A panicking hook is caught and does not
//! poison the store.
//!
//! Differences from the durable backends: none in behavior, except durability itself.

use lamina_core::BoxFuture;
use lamina_storage::{
    CommitHook, Condition, Direction, Entry, Range, Result, Store, StoreError, WriteBatch, WriteOp,
};
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Bound;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};

type Tree = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Default)]
struct Data {
    trees: HashMap<String, Tree>,
    closed: bool,
    /// Sequence number of the last batch applied (with at least one op).
    seq: u64,
}

#[derive(Default)]
struct HookQueue {
    pending: VecDeque<(u64, Arc<WriteBatch>)>,
    /// A thread is currently delivering batches to the hooks.
    delivering: bool,
    /// Sequence number of the last batch every hook has seen.
    delivered: u64,
}

thread_local! {
    /// Set while this thread runs commit hooks, so a commit made from a hook does not wait
    /// for its own delivery (which this thread will do next).
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// The in-memory store. Cheap to create: `MemoryStore::new()` for each test.
#[derive(Default)]
pub struct MemoryStore {
    data: RwLock<Data>,
    hooks: RwLock<Vec<CommitHook>>,
    queue: Mutex<HookQueue>,
    delivered: Condvar,
}

/// Locks ignoring poison: every critical section below leaves the data consistent (conditions
/// are checked before any op is applied, and applying ops cannot panic), and hooks run outside
/// every lock but `queue`'s bookkeeping.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryStore {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The number of keys in `tree` (0 for a tree never written); a test helper.
    pub fn len(&self, tree: &str) -> usize {
        let data = self.data.read().unwrap_or_else(|e| e.into_inner());
        data.trees.get(tree).map_or(0, BTreeMap::len)
    }

    /// True when no tree holds any key.
    pub fn is_empty(&self) -> bool {
        let data = self.data.read().unwrap_or_else(|e| e.into_inner());
        data.trees.values().all(BTreeMap::is_empty)
    }

    fn get_sync(&self, tree: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let data = self.data.read().unwrap_or_else(|e| e.into_inner());
        if data.closed {
            return Err(StoreError::Closed);
        }
        Ok(data.trees.get(tree).and_then(|t| t.get(key)).cloned())
    }

    fn scan_sync(
        &self,
        tree: &str,
        range: Range,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<Entry>> {
        let data = self.data.read().unwrap_or_else(|e| e.into_inner());
        if data.closed {
            return Err(StoreError::Closed);
        }
        let Some(t) = data.trees.get(tree) else {
            return Ok(Vec::new());
        };
        if range.is_empty() {
            return Ok(Vec::new());
        }
        let limit = if limit == 0 { usize::MAX } else { limit };
        let bounds: (Bound<&[u8]>, Bound<&[u8]>) = (as_ref(&range.start), as_ref(&range.end));
        let iter = t
            .range::<[u8], _>(bounds)
            .map(|(k, v)| (k.clone(), v.clone()));
        Ok(match direction {
            Direction::Forward => iter.take(limit).collect(),
            Direction::Reverse => iter.rev().take(limit).collect(),
        })
    }

    /// Checks and applies the batch under the write lock; returns the batch's sequence number
    /// if hooks must see it.
    fn apply(&self, batch: &Arc<WriteBatch>) -> Result<Option<u64>> {
        let mut data = self.data.write().unwrap_or_else(|e| e.into_inner());
        if data.closed {
            return Err(StoreError::Closed);
        }
        for c in &batch.conditions {
            check(&data.trees, c)?;
        }
        if batch.ops.is_empty() {
            return Ok(None);
        }
        for op in &batch.ops {
            match op {
                WriteOp::Put { tree, key, value } => {
                    data.trees
                        .entry(tree.clone())
                        .or_default()
                        .insert(key.clone(), value.clone());
                }
                WriteOp::Delete { tree, key } => {
                    if let Some(t) = data.trees.get_mut(tree) {
                        t.remove(key);
                    }
                }
            }
        }
        data.seq += 1;
        let seq = data.seq;
        // Queued while the data lock is held, so the queue is in commit order.
        lock(&self.queue)
            .pending
            .push_back((seq, Arc::clone(batch)));
        Ok(Some(seq))
    }

    /// Delivers queued batches to the hooks, one thread at a time, in commit order; returns
    /// once batch `seq` has been delivered (or at once when called from inside a hook).
    fn deliver(&self, seq: u64) {
        let mut q = lock(&self.queue);
        if q.delivering {
            if IN_HOOK.with(Cell::get) {
                return;
            }
            while q.delivered < seq {
                q = self.delivered.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            return;
        }
        q.delivering = true;
        while let Some((s, batch)) = q.pending.pop_front() {
            drop(q);
            let hooks = self.hooks.read().unwrap_or_else(|e| e.into_inner()).clone();
            let was_in_hook = IN_HOOK.with(|f| f.replace(true));
            for hook in &hooks {
                // A panicking hook must not stop delivery to the others nor wedge the queue.
                let _ = catch_unwind(AssertUnwindSafe(|| hook(&batch)));
            }
            IN_HOOK.with(|f| f.set(was_in_hook));
            q = lock(&self.queue);
            q.delivered = s;
            self.delivered.notify_all();
        }
        q.delivering = false;
        self.delivered.notify_all();
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn check(trees: &HashMap<String, Tree>, c: &Condition) -> Result<()> {
    let (tree, key) = match c {
        Condition::Absent { tree, key }
        | Condition::Equals { tree, key, .. }
        | Condition::Exists { tree, key } => (tree, key),
    };
    let current = trees.get(tree).and_then(|t| t.get(key));
    let holds = match c {
        Condition::Absent { .. } => current.is_none(),
        Condition::Exists { .. } => current.is_some(),
        Condition::Equals { value, .. } => current == Some(value),
    };
    if holds {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            tree: tree.clone(),
            key: key.clone(),
        })
    }
}

impl Store for MemoryStore {
    fn get<'a>(&'a self, tree: &'a str, key: &'a [u8]) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move { self.get_sync(tree, key) })
    }

    fn scan<'a>(
        &'a self,
        tree: &'a str,
        range: Range,
        direction: Direction,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Entry>>> {
        Box::pin(async move { self.scan_sync(tree, range, direction, limit) })
    }

    fn commit(&self, batch: WriteBatch) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            let batch = Arc::new(batch);
            if let Some(seq) = self.apply(&batch)? {
                self.deliver(seq);
            }
            Ok(())
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
            let mut data = self.data.write().unwrap_or_else(|e| e.into_inner());
            data.closed = true;
            data.trees.clear();
            Ok(())
        })
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hook_may_commit_from_inside_a_hook() {
        let store = MemoryStore::new();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s2, seen2) = (Arc::clone(&store), Arc::clone(&seen));
        store.add_commit_hook(Arc::new(move |b: &WriteBatch| {
            let key = b.ops[0].key().to_vec();
            seen2.lock().unwrap().push(key.clone());
            if key == b"first" {
                // Re-entrant commit: must neither deadlock nor be lost.
                let mut nb = WriteBatch::new();
                nb.put("t", "second", "v");
                let fut = s2.commit(nb);
                let waker = std::task::Waker::noop();
                let mut cx = std::task::Context::from_waker(waker);
                let mut fut = fut;
                assert!(fut.as_mut().poll(&mut cx).is_ready());
            }
        }));
        let mut b = WriteBatch::new();
        b.put("t", "first", "v");
        store.commit(b).await.unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            vec![b"first".to_vec(), b"second".to_vec()]
        );
        assert_eq!(store.len("t"), 2);
    }

    #[tokio::test]
    async fn panicking_hook_does_not_break_the_store() {
        let store = MemoryStore::new();
        store.add_commit_hook(Arc::new(|_: &WriteBatch| panic!("hook failure")));
        let mut b = WriteBatch::new();
        b.put("t", "k", "v");
        store.commit(b.clone()).await.unwrap();
        store.commit(b).await.unwrap();
        assert_eq!(store.get("t", b"k").await.unwrap(), Some(b"v".to_vec()));
    }
}
