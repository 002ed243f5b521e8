//! Closing, and sizes: large values, many keys.

use super::{get, keys, noise};
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch};
use std::ops::Bound;
use std::sync::Arc;

pub async fn close_then_closed(store: Arc<dyn Store>) {
    let mut b = WriteBatch::new();
    b.put("t", "k", "v");
    store.commit(b.clone()).await.expect("commit before close");
    assert!(!store.backend().is_empty());
    store.close().await.expect("close");
    assert!(
        matches!(store.get("t", b"k").await, Err(StoreError::Closed)),
        "get after close"
    );
    assert!(
        matches!(
            store.scan("t", Range::all(), Direction::Forward, 0).await,
            Err(StoreError::Closed)
        ),
        "scan after close"
    );
    assert!(
        matches!(store.commit(b).await, Err(StoreError::Closed)),
        "commit after close"
    );
    assert!(
        matches!(
            store.commit(WriteBatch::new()).await,
            Err(StoreError::Closed)
        ),
        "empty commit after close"
    );
    store.close().await.expect("a second close is harmless");
}

pub async fn large_values(store: Arc<dyn Store>) {
    let s = store.as_ref();
    const MIB: usize = 1 << 20;
    let big = noise(MIB, 7);
    let mut b = WriteBatch::new();
    b.put("big", "one", big.clone());
    store.commit(b).await.expect("commit 1 MiB");
    assert_eq!(get(s, "big", b"one").await.as_deref(), Some(big.as_slice()));

    // Several in one batch, and a large key next to them.
    let values: Vec<Vec<u8>> = (0..4).map(|i| noise(MIB + i, i as u64 + 11)).collect();
    let long_key = noise(2000, 3);
    let mut b = WriteBatch::new();
    for (i, v) in values.iter().enumerate() {
        b.put("big", format!("many{i}"), v.clone());
    }
    b.put("big", long_key.clone(), "long key");
    store.commit(b).await.expect("commit 4 MiB batch");
    let entries = store
        .scan("big", Range::prefix(b"many"), Direction::Forward, 0)
        .await
        .expect("scan");
    assert_eq!(entries.len(), 4);
    for (i, (k, v)) in entries.iter().enumerate() {
        assert_eq!(k, format!("many{i}").as_bytes());
        assert_eq!(v, &values[i], "value {i} intact");
    }
    assert_eq!(get(s, "big", &long_key).await, Some(b"long key".to_vec()));
    // Overwriting a large value with a small one.
    let mut b = WriteBatch::new();
    b.put("big", "one", "small");
    store.commit(b).await.expect("commit");
    assert_eq!(get(s, "big", b"one").await, Some(b"small".to_vec()));
}

pub async fn many_keys(store: Arc<dyn Store>) {
    let s = store.as_ref();
    const N: usize = 10_000;
    let key = |i: usize| format!("key{i:06}").into_bytes();
    // Half in one big batch, half in batches of 500.
    let mut b = WriteBatch::new();
    for i in (0..N).step_by(2) {
        b.put("many", key(i), i.to_string());
    }
    store.commit(b).await.expect("one batch of 5000");
    for chunk in (1..N).step_by(2).collect::<Vec<_>>().chunks(500) {
        let mut b = WriteBatch::new();
        for &i in chunk {
            b.put("many", key(i), i.to_string());
        }
        store.commit(b).await.expect("batch of 500");
    }
    let all = store
        .scan("many", Range::all(), Direction::Forward, 0)
        .await
        .expect("scan");
    assert_eq!(all.len(), N);
    for (i, (k, v)) in all.iter().enumerate() {
        assert_eq!(
            (k.as_slice(), v.as_slice()),
            (key(i).as_slice(), i.to_string().as_bytes())
        );
    }
    let rev = keys(s, "many", Range::all(), Direction::Reverse, 0).await;
    assert_eq!(rev.len(), N);
    assert_eq!(rev.first(), Some(&key(N - 1)));
    assert_eq!(rev.last(), Some(&key(0)));
    let mid = keys(
        s,
        "many",
        Range {
            start: Bound::Excluded(key(4999)),
            end: Bound::Unbounded,
        },
        Direction::Forward,
        3,
    )
    .await;
    assert_eq!(mid, vec![key(5000), key(5001), key(5002)]);
    assert_eq!(get(s, "many", &key(7777)).await, Some(b"7777".to_vec()));
    // Deleting every other key leaves exactly the rest.
    let mut b = WriteBatch::new();
    for i in (0..N).step_by(2) {
        b.delete("many", key(i));
    }
    store.commit(b).await.expect("delete 5000");
    let left = keys(s, "many", Range::all(), Direction::Forward, 0).await;
    assert_eq!(left, (1..N).step_by(2).map(key).collect::<Vec<_>>());
}
