//! The storage interface every service keeps its state in.
//!
//! A [`Store`] is an ordered key-value store divided into named trees. Reads see committed
//! data; writes are atomic [`WriteBatch`]es that may carry preconditions ([`Condition`]),
//! which is how services do read-modify-write safely: read, compute, commit with "the key
//! still holds what I read", retry on [`StoreError::Conflict`]. A batch either applies
//! entirely or not at all, and once `commit` returns `Ok` the write is durable (for the
//! durable backends: it survives `kill -9`).
//!
//! Commit hooks see every committed batch, in commit order, after it is durable; they drive
//! streams and notifications (DynamoDB Streams, S3 events) and must be cheap.
//!
//! Keys are bytes, ordered lexicographically. Services put account and region at the front of
//! every key (see [`key`]).
//!
//! The API is async (boxed futures, so `dyn Store` works) because the scale-out backend is a
//! network database; the embedded backend runs its blocking work on a blocking thread.

use lamina_core::BoxFuture;
use std::ops::Bound;
use std::sync::Arc;

pub mod key;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A precondition of the batch did not hold; nothing was written.
    #[error("precondition failed on tree {tree}")]
    Conflict { tree: String, key: Vec<u8> },
    /// The backend failed (I/O, corruption, connection); the batch may not have applied.
    #[error("storage backend: {0}")]
    Backend(String),
    /// The store is closed (shutdown in progress).
    #[error("store is closed")]
    Closed,
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One key-value pair.
pub type Entry = (Vec<u8>, Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    Put {
        tree: String,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        tree: String,
        key: Vec<u8>,
    },
}

impl WriteOp {
    pub fn tree(&self) -> &str {
        match self {
            WriteOp::Put { tree, .. } | WriteOp::Delete { tree, .. } => tree,
        }
    }
    pub fn key(&self) -> &[u8] {
        match self {
            WriteOp::Put { key, .. } | WriteOp::Delete { key, .. } => key,
        }
    }
}

/// A precondition checked atomically with the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The key must be absent.
    Absent { tree: String, key: Vec<u8> },
    /// The key must be present with exactly this value.
    Equals {
        tree: String,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    /// The key must be present (any value).
    Exists { tree: String, key: Vec<u8> },
}

/// An atomic group of writes with optional preconditions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    pub conditions: Vec<Condition>,
    pub ops: Vec<WriteOp>,
}

impl WriteBatch {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn put(
        &mut self,
        tree: &str,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.ops.push(WriteOp::Put {
            tree: tree.into(),
            key: key.into(),
            value: value.into(),
        });
        self
    }
    pub fn delete(&mut self, tree: &str, key: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(WriteOp::Delete {
            tree: tree.into(),
            key: key.into(),
        });
        self
    }
    /// Requires the key to be absent at commit.
    pub fn require_absent(&mut self, tree: &str, key: impl Into<Vec<u8>>) -> &mut Self {
        self.conditions.push(Condition::Absent {
            tree: tree.into(),
            key: key.into(),
        });
        self
    }
    /// Requires the key to hold `value` at commit.
    pub fn require_equals(
        &mut self,
        tree: &str,
        key: impl Into<Vec<u8>>,
        value: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.conditions.push(Condition::Equals {
            tree: tree.into(),
            key: key.into(),
            value: value.into(),
        });
        self
    }
    /// Requires the key to be present at commit.
    pub fn require_exists(&mut self, tree: &str, key: impl Into<Vec<u8>>) -> &mut Self {
        self.conditions.push(Condition::Exists {
            tree: tree.into(),
            key: key.into(),
        });
        self
    }
    /// Requires the key to hold `expected` (Some) or be absent (None): the usual
    /// compare-and-set after a read.
    pub fn require(
        &mut self,
        tree: &str,
        key: impl Into<Vec<u8>>,
        expected: Option<Vec<u8>>,
    ) -> &mut Self {
        match expected {
            Some(v) => self.require_equals(tree, key, v),
            None => self.require_absent(tree, key),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.conditions.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    #[default]
    Forward,
    Reverse,
}

/// A key range within one tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub start: Bound<Vec<u8>>,
    pub end: Bound<Vec<u8>>,
}

impl Range {
    pub fn all() -> Self {
        Self {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    /// Every key that starts with `prefix`.
    pub fn prefix(prefix: &[u8]) -> Self {
        let end = match key::prefix_successor(prefix) {
            Some(s) => Bound::Excluded(s),
            None => Bound::Unbounded,
        };
        Self {
            start: Bound::Included(prefix.to_vec()),
            end,
        }
    }

    /// `[start, end)`.
    pub fn between(start: &[u8], end: &[u8]) -> Self {
        Self {
            start: Bound::Included(start.to_vec()),
            end: Bound::Excluded(end.to_vec()),
        }
    }

    /// True when the bounds are inverted (start after end, or equal bounds that are not both
    /// inclusive), so the range is empty. Backends check this first: `BTreeMap::range` panics
    /// on such ranges.
    pub fn is_empty(&self) -> bool {
        match (&self.start, &self.end) {
            (Bound::Unbounded, _) | (_, Bound::Unbounded) => false,
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
            | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
        }
    }

    pub fn contains(&self, k: &[u8]) -> bool {
        let after_start = match &self.start {
            Bound::Included(s) => k >= s.as_slice(),
            Bound::Excluded(s) => k > s.as_slice(),
            Bound::Unbounded => true,
        };
        let before_end = match &self.end {
            Bound::Included(e) => k <= e.as_slice(),
            Bound::Excluded(e) => k < e.as_slice(),
            Bound::Unbounded => true,
        };
        after_start && before_end
    }
}

/// Called after each durable commit with the batch that was applied.
pub type CommitHook = Arc<dyn Fn(&WriteBatch) + Send + Sync>;

/// An ordered, transactional key-value store with named trees.
pub trait Store: Send + Sync + 'static {
    /// The value under `key` in `tree`, if any. A tree that was never written is empty.
    fn get<'a>(&'a self, tree: &'a str, key: &'a [u8]) -> BoxFuture<'a, Result<Option<Vec<u8>>>>;

    /// Up to `limit` entries of `tree` within `range`, in key order (`Forward`) or reverse key
    /// order (`Reverse`). `limit == 0` means no limit.
    fn scan<'a>(
        &'a self,
        tree: &'a str,
        range: Range,
        direction: Direction,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Entry>>>;

    /// Applies the batch atomically if every condition holds; durable when it returns `Ok`.
    fn commit(&self, batch: WriteBatch) -> BoxFuture<'_, Result<()>>;

    /// Registers a hook called after every successful commit, in commit order.
    fn add_commit_hook(&self, hook: CommitHook);

    /// Flushes and closes the store; later calls fail with [`StoreError::Closed`].
    fn close(&self) -> BoxFuture<'_, Result<()>>;

    /// A short name for health output (`redb`, `memory`).
    fn backend(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverted_ranges_are_empty() {
        let r = |s, e| Range { start: s, end: e };
        let v = |x: &[u8]| x.to_vec();
        assert!(r(Bound::Included(v(b"b")), Bound::Included(v(b"a"))).is_empty());
        assert!(r(Bound::Included(v(b"a")), Bound::Excluded(v(b"a"))).is_empty());
        assert!(r(Bound::Excluded(v(b"a")), Bound::Included(v(b"a"))).is_empty());
        assert!(!r(Bound::Included(v(b"a")), Bound::Included(v(b"a"))).is_empty());
        assert!(!r(Bound::Unbounded, Bound::Excluded(v(b""))).is_empty());
        assert!(!Range::prefix(&[0xFF]).is_empty());
        assert!(Range::prefix(&[0xFF]).contains(&[0xFF, 0xFF]));
        assert!(!Range::prefix(b"ab").contains(b"ac"));
    }
}
