//! Batch atomicity and each kind of precondition.

use super::{get, keys, put};
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch};
use std::sync::Arc;

/// Asserts `r` is a conflict naming `tree` and `key`.
fn assert_conflict(r: lamina_storage::Result<()>, tree: &str, key: &[u8]) {
    match r {
        Err(StoreError::Conflict { tree: t, key: k }) => {
            assert_eq!(
                (t.as_str(), k.as_slice()),
                (tree, key),
                "the conflict names the failed condition"
            );
        }
        other => panic!("expected a conflict on {tree}/{key:?}, got {other:?}"),
    }
}

pub async fn failed_condition_writes_nothing(store: Arc<dyn Store>) {
    let s = store.as_ref();
    put(s, "t", b"existing", b"old").await;
    put(s, "guard", b"g", b"held").await;
    let mut b = WriteBatch::new();
    b.put("t", "new1", "x")
        .put("other", "new2", "y")
        .put("t", "existing", "new");
    b.delete("guard", "g");
    b.require_exists("t", "existing"); // holds
    b.require_absent("guard", "g"); // fails
    assert_conflict(store.commit(b).await, "guard", b"g");
    assert_eq!(
        get(s, "t", b"new1").await,
        None,
        "no op of a failed batch applies"
    );
    assert_eq!(get(s, "other", b"new2").await, None);
    assert_eq!(get(s, "t", b"existing").await, Some(b"old".to_vec()));
    assert_eq!(get(s, "guard", b"g").await, Some(b"held".to_vec()));
    assert!(
        keys(s, "other", Range::all(), Direction::Forward, 0)
            .await
            .is_empty()
    );

    // The same batch with the guard fixed applies every op, across trees.
    let mut b = WriteBatch::new();
    b.put("t", "new1", "x")
        .put("other", "new2", "y")
        .put("t", "existing", "new");
    b.delete("guard", "g");
    b.require_equals("t", "existing", "old");
    store.commit(b).await.expect("all conditions hold");
    assert_eq!(get(s, "t", b"new1").await, Some(b"x".to_vec()));
    assert_eq!(get(s, "other", b"new2").await, Some(b"y".to_vec()));
    assert_eq!(get(s, "t", b"existing").await, Some(b"new".to_vec()));
    assert_eq!(get(s, "guard", b"g").await, None);
}

pub async fn condition_absent(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let mut b = WriteBatch::new();
    b.require_absent("t", "k").put("t", "k", "1");
    store
        .commit(b.clone())
        .await
        .expect("absent key: condition holds");
    assert_conflict(store.commit(b).await, "t", b"k");
    put(s, "t", b"e", b"").await;
    let mut b = WriteBatch::new();
    b.require_absent("t", "e").put("t", "x", "1");
    assert_conflict(store.commit(b).await, "t", b"e");
    assert_eq!(
        get(s, "t", b"x").await,
        None,
        "a key holding an empty value is not absent"
    );
    // Absent in one tree says nothing about another.
    let mut b = WriteBatch::new();
    b.require_absent("u", "k").put("u", "k", "2");
    store.commit(b).await.expect("absent in tree u");
}

pub async fn condition_equals(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let mut b = WriteBatch::new();
    b.require_equals("t", "k", "").put("t", "k", "1");
    assert_conflict(store.commit(b).await, "t", b"k");
    assert_eq!(
        get(s, "t", b"k").await,
        None,
        "an absent key does not equal the empty value"
    );

    put(s, "t", b"k", b"abc").await;
    for wrong in [&b"ab"[..], b"abcd", b"abd", b""] {
        let mut b = WriteBatch::new();
        b.require_equals("t", "k", wrong).put("t", "k", "bad");
        assert_conflict(store.commit(b).await, "t", b"k");
    }
    let mut b = WriteBatch::new();
    b.require_equals("t", "k", "abc").put("t", "k", "good");
    store.commit(b).await.expect("equal value: condition holds");
    assert_eq!(get(s, "t", b"k").await, Some(b"good".to_vec()));

    // `require` is the compare-and-set form.
    let mut b = WriteBatch::new();
    b.require("t", "k", Some(b"good".to_vec()))
        .require("t", "none", None)
        .put("t", "k", "cas");
    store
        .commit(b)
        .await
        .expect("require(Some) and require(None) hold");
    assert_eq!(get(s, "t", b"k").await, Some(b"cas".to_vec()));
}

pub async fn condition_exists(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let mut b = WriteBatch::new();
    b.require_exists("t", "k").put("t", "k", "1");
    assert_conflict(store.commit(b.clone()).await, "t", b"k");
    put(s, "t", b"k", b"").await;
    store
        .commit(b)
        .await
        .expect("present (even empty): condition holds");
    assert_eq!(get(s, "t", b"k").await, Some(b"1".to_vec()));
    let mut b = WriteBatch::new();
    b.delete("t", "k");
    store.commit(b).await.expect("delete");
    let mut b = WriteBatch::new();
    b.require_exists("t", "k");
    assert_conflict(store.commit(b).await, "t", b"k");
}

pub async fn conditions_see_state_before_the_batch(store: Arc<dyn Store>) {
    let s = store.as_ref();
    // Ops do not satisfy (or break) conditions of their own batch.
    let mut b = WriteBatch::new();
    b.put("t", "k", "v").require_exists("t", "k");
    assert_conflict(store.commit(b).await, "t", b"k");
    assert_eq!(get(s, "t", b"k").await, None);
    let mut b = WriteBatch::new();
    b.put("t", "k", "v").require_absent("t", "k");
    store
        .commit(b)
        .await
        .expect("condition checked before the put");
    // A condition-only batch checks and writes nothing.
    let mut b = WriteBatch::new();
    b.require_equals("t", "k", "v");
    store.commit(b).await.expect("condition-only batch");
    let mut b = WriteBatch::new();
    b.require_equals("t", "k", "w");
    assert_conflict(store.commit(b).await, "t", b"k");
    assert_eq!(get(s, "t", b"k").await, Some(b"v".to_vec()));
}
