//! The conformance cases. Each takes a fresh, empty store and panics (assert) on a deviation.
//! They are plain async functions so a backend can also call one directly.

mod basic;
mod batch;
mod concurrency;
mod lifecycle;
mod scan;

pub use basic::*;
pub use batch::*;
pub use concurrency::*;
pub use lifecycle::*;
pub use scan::*;

use lamina_storage::{Direction, Range, Store, WriteBatch};

/// Commits one put; panics on failure.
pub(crate) async fn put(store: &dyn Store, tree: &str, key: &[u8], value: &[u8]) {
    let mut b = WriteBatch::new();
    b.put(tree, key, value);
    store.commit(b).await.expect("commit of a plain put");
}

/// Commits one delete; panics on failure.
pub(crate) async fn delete(store: &dyn Store, tree: &str, key: &[u8]) {
    let mut b = WriteBatch::new();
    b.delete(tree, key);
    store.commit(b).await.expect("commit of a plain delete");
}

pub(crate) async fn get(store: &dyn Store, tree: &str, key: &[u8]) -> Option<Vec<u8>> {
    store.get(tree, key).await.expect("get")
}

/// The keys a scan returns.
pub(crate) async fn keys(
    store: &dyn Store,
    tree: &str,
    range: Range,
    direction: Direction,
    limit: usize,
) -> Vec<Vec<u8>> {
    store
        .scan(tree, range, direction, limit)
        .await
        .expect("scan")
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

/// Deterministic pseudo-random bytes (xorshift), so large values are not all one byte.
pub(crate) fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
