//! The writer thread: group commit.
//!
//! redb allows one write transaction at a time, and each commit costs an fsync. So one thread
//! owns writing: it takes every batch that is waiting, applies them in arrival order inside a
//! single write transaction, commits once, then runs the commit hooks and answers each caller.
//! A batch whose preconditions fail (checked against the transaction's state, which includes the
//! batches before it in the same group) applies nothing and is answered with a conflict; the
//! others commit. An I/O error fails the whole group.

use lamina_storage::{CommitHook, Condition, Result, StoreError, WriteBatch, WriteOp};
#[cfg(test)]
use redb::ReadableDatabase;
use redb::{Database, ReadableTable, Table, TableDefinition, WriteTransaction};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, RwLock};
use tokio::sync::oneshot;

/// At most this many batches share one write transaction...
const MAX_GROUP_BATCHES: usize = 512;
/// ...and at most about this many bytes of keys and values (a single larger batch still goes
/// alone).
const MAX_GROUP_BYTES: usize = 32 << 20;

/// One batch waiting for the writer, with the caller to answer.
pub(crate) struct Pending {
    pub batch: WriteBatch,
    pub reply: oneshot::Sender<Result<()>>,
}

/// The redb table that holds tree `tree`. Prefixed so that the empty tree name is valid (redb
/// table names must not be empty) and no tree can collide with a table of another purpose.
pub(crate) fn table_name(tree: &str) -> String {
    format!("t:{tree}")
}

pub(crate) fn backend_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Runs until every sender is dropped and the queue is drained.
pub(crate) fn run(
    db: Arc<Database>,
    queue: Receiver<Pending>,
    hooks: Arc<RwLock<Vec<CommitHook>>>,
) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        let mut bytes = batch_bytes(&group[0].batch);
        while group.len() < MAX_GROUP_BATCHES && bytes < MAX_GROUP_BYTES {
            match queue.try_recv() {
                Ok(p) => {
                    bytes += batch_bytes(&p.batch);
                    group.push(p);
                }
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let outcomes = match commit_group(&db, &group) {
            Ok(outcomes) => outcomes,
            Err(e) => {
                tracing::error!(error = %e, batches = group.len(), "redb group commit failed");
                group
                    .iter()
                    .map(|_| Err(StoreError::Backend(e.to_string())))
                    .collect()
            }
        };
        let hooks = hooks.read().unwrap_or_else(|e| e.into_inner()).clone();
        for (p, outcome) in group.iter().zip(&outcomes) {
            if outcome.is_ok() && !p.batch.ops.is_empty() {
                for hook in &hooks {
                    // A panicking hook must not take the writer down.
                    if catch_unwind(AssertUnwindSafe(|| hook(&p.batch))).is_err() {
                        tracing::error!("commit hook panicked");
                    }
                }
            }
        }
        for (p, outcome) in group.into_iter().zip(outcomes) {
            // The caller may have gone away (its future dropped); the batch stands regardless.
            let _ = p.reply.send(outcome);
        }
    }
}

fn batch_bytes(b: &WriteBatch) -> usize {
    b.ops
        .iter()
        .map(|op| match op {
            WriteOp::Put { key, value, .. } => key.len() + value.len(),
            WriteOp::Delete { key, .. } => key.len(),
        })
        .sum()
}

type Tables<'txn> = HashMap<String, Table<'txn, &'static [u8], &'static [u8]>>;

/// Applies the group in one transaction and commits it. `Ok` holds each batch's own outcome
/// (`Ok` or a conflict); `Err` means nothing was committed.
fn commit_group(
    db: &Database,
    group: &[Pending],
) -> std::result::Result<Vec<Result<()>>, StoreError> {
    let txn = db.begin_write().map_err(backend_err)?;
    let mut outcomes = Vec::with_capacity(group.len());
    {
        let mut tables = Tables::new();
        for p in group {
            outcomes.push(apply(&txn, &mut tables, &p.batch)?);
        }
    }
    let changed = group
        .iter()
        .zip(&outcomes)
        .any(|(p, o)| o.is_ok() && !p.batch.ops.is_empty());
    if changed {
        txn.commit().map_err(backend_err)?;
    } else {
        txn.abort().map_err(backend_err)?;
    }
    Ok(outcomes)
}

fn table<'t, 'txn>(
    txn: &'txn WriteTransaction,
    tables: &'t mut Tables<'txn>,
    tree: &str,
) -> std::result::Result<&'t mut Table<'txn, &'static [u8], &'static [u8]>, StoreError> {
    if !tables.contains_key(tree) {
        let name = table_name(tree);
        let t = txn
            .open_table(TableDefinition::<&[u8], &[u8]>::new(&name))
            .map_err(backend_err)?;
        tables.insert(tree.to_owned(), t);
    }
    tables
        .get_mut(tree)
        .ok_or_else(|| StoreError::Backend("table vanished".into()))
}

/// Checks the batch's conditions, then applies its ops. The outer `Err` is an I/O failure that
/// may have left the transaction half-written: the caller must not commit it.
fn apply<'txn>(
    txn: &'txn WriteTransaction,
    tables: &mut Tables<'txn>,
    batch: &WriteBatch,
) -> std::result::Result<Result<()>, StoreError> {
    for c in &batch.conditions {
        let (tree, key) = match c {
            Condition::Absent { tree, key }
            | Condition::Equals { tree, key, .. }
            | Condition::Exists { tree, key } => (tree, key),
        };
        let t = table(txn, tables, tree)?;
        let current = t.get(key.as_slice()).map_err(backend_err)?;
        let holds = match c {
            Condition::Absent { .. } => current.is_none(),
            Condition::Exists { .. } => current.is_some(),
            Condition::Equals { value, .. } => {
                current.is_some_and(|v| v.value() == value.as_slice())
            }
        };
        if !holds {
            return Ok(Err(StoreError::Conflict {
                tree: tree.clone(),
                key: key.clone(),
            }));
        }
    }
    for op in &batch.ops {
        match op {
            WriteOp::Put { tree, key, value } => {
                table(txn, tables, tree)?
                    .insert(key.as_slice(), value.as_slice())
                    .map_err(backend_err)?;
            }
            WriteOp::Delete { tree, key } => {
                table(txn, tables, tree)?
                    .remove(key.as_slice())
                    .map_err(backend_err)?;
            }
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(batch: WriteBatch) -> (Pending, oneshot::Receiver<Result<()>>) {
        let (reply, rx) = oneshot::channel();
        (Pending { batch, reply }, rx)
    }

    #[test]
    fn a_group_sees_its_earlier_batches_and_fails_only_the_conflicting_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(Database::create(dir.path().join("g.redb")).unwrap());
        let mut first = WriteBatch::new();
        first.require_absent("t", "k").put("t", "k", "1");
        let mut second = WriteBatch::new(); // conflicts: `first` wrote k in the same group
        second.require_absent("t", "k").put("t", "other", "lost");
        let mut third = WriteBatch::new(); // sees first's value
        third.require_equals("t", "k", "1").put("t", "k", "2");
        let (tx, rx) = std::sync::mpsc::channel();
        let mut answers = Vec::new();
        for b in [first, second, third] {
            let (p, a) = pending(b);
            tx.send(p).unwrap();
            answers.push(a);
        }
        drop(tx);
        let seen: Arc<std::sync::Mutex<Vec<WriteBatch>>> = Arc::default();
        let hook_seen = Arc::clone(&seen);
        let hooks: Arc<RwLock<Vec<CommitHook>>> =
            Arc::new(RwLock::new(vec![Arc::new(move |b: &WriteBatch| {
                hook_seen.lock().unwrap().push(b.clone())
            })]));
        // All three are queued before the writer starts, so they share one transaction.
        run(Arc::clone(&db), rx, hooks);
        let results: Vec<_> = answers
            .into_iter()
            .map(|mut a| a.try_recv().unwrap())
            .collect();
        assert!(results[0].is_ok());
        assert!(matches!(&results[1], Err(StoreError::Conflict { key, .. }) if key == b"k"));
        assert!(results[2].is_ok());
        let txn = db.begin_read().unwrap();
        let t = txn
            .open_table(TableDefinition::<&[u8], &[u8]>::new(&table_name("t")))
            .unwrap();
        assert_eq!(t.get(b"k".as_slice()).unwrap().unwrap().value(), b"2");
        assert!(t.get(b"other".as_slice()).unwrap().is_none());
        assert_eq!(
            seen.lock().unwrap().len(),
            2,
            "hooks see the two committed batches"
        );
    }
}
