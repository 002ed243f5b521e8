//! Single-key reads and writes, empty things, tree isolation.

use super::{delete, get, keys, put};
use lamina_storage::{Direction, Range, Store, WriteBatch};
use std::sync::Arc;

pub async fn get_put_delete(store: Arc<dyn Store>) {
    let s = store.as_ref();
    assert_eq!(get(s, "t", b"k").await, None, "a fresh store is empty");
    put(s, "t", b"k", b"v").await;
    assert_eq!(get(s, "t", b"k").await, Some(b"v".to_vec()));
    assert_eq!(
        get(s, "t", b"k2").await,
        None,
        "only the written key exists"
    );
    delete(s, "t", b"k").await;
    assert_eq!(
        get(s, "t", b"k").await,
        None,
        "a deleted key reads as absent"
    );
    // Deleting an absent key (in an existing and in a never-written tree) is not an error.
    delete(s, "t", b"k").await;
    delete(s, "never-written", b"k").await;
    assert_eq!(get(s, "never-written", b"k").await, None);
}

pub async fn overwrite_and_last_op_wins(store: Arc<dyn Store>) {
    let s = store.as_ref();
    put(s, "t", b"k", b"one").await;
    put(s, "t", b"k", b"two").await;
    assert_eq!(get(s, "t", b"k").await, Some(b"two".to_vec()));
    // A shorter value replaces a longer one entirely.
    put(s, "t", b"k", b"3").await;
    assert_eq!(get(s, "t", b"k").await, Some(b"3".to_vec()));

    let mut b = WriteBatch::new();
    b.put("t", "a", "first").put("t", "a", "second");
    b.put("t", "b", "x").delete("t", "b");
    b.delete("t", "k").put("t", "k", "back");
    store.commit(b).await.expect("commit");
    assert_eq!(
        get(s, "t", b"a").await,
        Some(b"second".to_vec()),
        "later put wins"
    );
    assert_eq!(
        get(s, "t", b"b").await,
        None,
        "put then delete leaves nothing"
    );
    assert_eq!(
        get(s, "t", b"k").await,
        Some(b"back".to_vec()),
        "delete then put keeps the put"
    );
    assert_eq!(
        keys(s, "t", Range::all(), Direction::Forward, 0)
            .await
            .len(),
        2
    );
}

pub async fn empty_values_keys_and_trees(store: Arc<dyn Store>) {
    let s = store.as_ref();
    assert!(
        keys(s, "empty", Range::all(), Direction::Forward, 0)
            .await
            .is_empty()
    );
    assert!(
        keys(s, "empty", Range::all(), Direction::Reverse, 1)
            .await
            .is_empty()
    );
    store
        .commit(WriteBatch::new())
        .await
        .expect("an empty batch commits");

    put(s, "t", b"k", b"").await;
    assert_eq!(
        get(s, "t", b"k").await,
        Some(Vec::new()),
        "an empty value is present"
    );
    put(s, "t", b"", b"empty key").await;
    assert_eq!(get(s, "t", b"").await, Some(b"empty key".to_vec()));
    let all = store
        .scan("t", Range::all(), Direction::Forward, 0)
        .await
        .expect("scan");
    assert_eq!(
        all,
        vec![
            (Vec::new(), b"empty key".to_vec()),
            (b"k".to_vec(), Vec::new())
        ],
        "the empty key sorts first"
    );
    // A tree emptied by deletes reads like a tree never written.
    delete(s, "t", b"").await;
    delete(s, "t", b"k").await;
    assert!(
        keys(s, "t", Range::all(), Direction::Forward, 0)
            .await
            .is_empty()
    );
}

pub async fn trees_are_isolated(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let mut b = WriteBatch::new();
    b.put("a", "k", "in a")
        .put("ab", "k", "in ab")
        .put("b", "k", "in b");
    b.put("a", "only-a", "1");
    store.commit(b).await.expect("commit");
    assert_eq!(get(s, "a", b"k").await, Some(b"in a".to_vec()));
    assert_eq!(get(s, "ab", b"k").await, Some(b"in ab".to_vec()));
    assert_eq!(get(s, "b", b"k").await, Some(b"in b".to_vec()));
    assert_eq!(get(s, "b", b"only-a").await, None);
    assert_eq!(
        keys(s, "a", Range::all(), Direction::Forward, 0).await,
        vec![b"k".to_vec(), b"only-a".to_vec()]
    );
    assert_eq!(
        keys(s, "ab", Range::all(), Direction::Forward, 0).await,
        vec![b"k".to_vec()]
    );
    delete(s, "a", b"k").await;
    assert_eq!(get(s, "a", b"k").await, None);
    assert_eq!(
        get(s, "ab", b"k").await,
        Some(b"in ab".to_vec()),
        "delete stays in its tree"
    );
    assert_eq!(get(s, "b", b"k").await, Some(b"in b".to_vec()));
    // Tree names are exact: no case folding, no prefix matching.
    assert_eq!(get(s, "A", b"only-a").await, None);
}
