//! Range scans: bounds, directions, limits, byte order, prefixes.

use super::{keys, put};
use lamina_storage::{Direction, Range, Store, WriteBatch, key};
use std::ops::Bound::{self, Excluded, Included, Unbounded};
use std::sync::Arc;

/// Twenty keys `k00`..`k19` in tree `t`.
async fn twenty(store: &dyn Store) -> Vec<Vec<u8>> {
    let all: Vec<Vec<u8>> = (0..20).map(|i| format!("k{i:02}").into_bytes()).collect();
    let mut b = WriteBatch::new();
    // Written out of order: the store, not the writer, orders keys.
    for k in all.iter().rev() {
        b.put("t", k.clone(), [b"v".as_slice(), k].concat());
    }
    store.commit(b).await.expect("commit");
    all
}

fn k(i: usize) -> Vec<u8> {
    format!("k{i:02}").into_bytes()
}

fn ks(r: impl IntoIterator<Item = usize>) -> Vec<Vec<u8>> {
    r.into_iter().map(k).collect()
}

fn range(start: Bound<Vec<u8>>, end: Bound<Vec<u8>>) -> Range {
    Range { start, end }
}

/// Every combination of bound kinds over points on, between and outside the keys, compared
/// with a model (sorted list filtered by hand).
async fn exhaustive(store: &dyn Store, all: &[Vec<u8>], direction: Direction) {
    let points: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"a".to_vec(),
        k(0),
        k(5),
        b"k05x".to_vec(),
        k(6),
        k(19),
        b"z".to_vec(),
    ];
    let bounds = |p: &Vec<u8>| [Included(p.clone()), Excluded(p.clone())];
    let mut all_bounds: Vec<Bound<Vec<u8>>> = vec![Unbounded];
    for p in &points {
        all_bounds.extend(bounds(p));
    }
    for s in &all_bounds {
        for e in &all_bounds {
            let model: Vec<Vec<u8>> = all
                .iter()
                .filter(|key| {
                    let after = match s {
                        Included(x) => *key >= x,
                        Excluded(x) => *key > x,
                        Unbounded => true,
                    };
                    let before = match e {
                        Included(x) => *key <= x,
                        Excluded(x) => *key < x,
                        Unbounded => true,
                    };
                    after && before
                })
                .cloned()
                .collect();
            let model: Vec<Vec<u8>> = match direction {
                Direction::Forward => model,
                Direction::Reverse => model.into_iter().rev().collect(),
            };
            let got = keys(store, "t", range(s.clone(), e.clone()), direction, 0).await;
            assert_eq!(got, model, "scan {direction:?} from {s:?} to {e:?}");
        }
    }
}

pub async fn scan_bounds_forward(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let all = twenty(s).await;
    let fw = Direction::Forward;
    assert_eq!(keys(s, "t", Range::all(), fw, 0).await, all);
    assert_eq!(
        keys(s, "t", range(Included(k(3)), Included(k(6))), fw, 0).await,
        ks(3..=6)
    );
    assert_eq!(
        keys(s, "t", range(Excluded(k(3)), Excluded(k(6))), fw, 0).await,
        ks(4..6)
    );
    assert_eq!(
        keys(s, "t", range(Included(k(17)), Unbounded), fw, 0).await,
        ks(17..20)
    );
    assert_eq!(
        keys(s, "t", range(Unbounded, Excluded(k(2))), fw, 0).await,
        ks(0..2)
    );
    assert_eq!(
        keys(s, "t", Range::between(&k(8), &k(10)), fw, 0).await,
        ks(8..10)
    );
    // Values come back with their keys.
    let entries = store
        .scan("t", Range::between(&k(1), &k(3)), fw, 0)
        .await
        .expect("scan");
    assert_eq!(
        entries,
        vec![(k(1), b"vk01".to_vec()), (k(2), b"vk02".to_vec())],
        "entries pair each key with its value"
    );
    // Empty and inverted ranges are empty, not errors.
    assert!(
        keys(s, "t", range(Included(k(5)), Excluded(k(5))), fw, 0)
            .await
            .is_empty()
    );
    assert!(
        keys(s, "t", range(Excluded(k(5)), Excluded(k(5))), fw, 0)
            .await
            .is_empty()
    );
    assert!(
        keys(s, "t", range(Included(k(9)), Included(k(2))), fw, 0)
            .await
            .is_empty()
    );
    assert_eq!(
        keys(s, "t", range(Included(k(5)), Included(k(5))), fw, 0).await,
        ks([5])
    );
    exhaustive(s, &all, fw).await;
}

pub async fn scan_bounds_reverse(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let all = twenty(s).await;
    let rv = Direction::Reverse;
    let rev = |r: Vec<Vec<u8>>| r.into_iter().rev().collect::<Vec<_>>();
    assert_eq!(keys(s, "t", Range::all(), rv, 0).await, rev(all.clone()));
    assert_eq!(
        keys(s, "t", range(Included(k(3)), Included(k(6))), rv, 0).await,
        rev(ks(3..=6))
    );
    assert_eq!(
        keys(s, "t", range(Excluded(k(3)), Excluded(k(6))), rv, 0).await,
        rev(ks(4..6))
    );
    assert_eq!(
        keys(s, "t", range(Unbounded, Included(k(1))), rv, 0).await,
        ks([1, 0])
    );
    assert!(
        keys(s, "t", range(Included(k(9)), Included(k(2))), rv, 0)
            .await
            .is_empty()
    );
    exhaustive(s, &all, rv).await;
}

pub async fn scan_limits(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let all = twenty(s).await;
    let (fw, rv) = (Direction::Forward, Direction::Reverse);
    assert_eq!(
        keys(s, "t", Range::all(), fw, 0).await.len(),
        20,
        "0 means no limit"
    );
    assert_eq!(keys(s, "t", Range::all(), fw, 1).await, ks([0]));
    assert_eq!(keys(s, "t", Range::all(), fw, 3).await, ks(0..3));
    assert_eq!(
        keys(s, "t", Range::all(), rv, 3).await,
        ks([19, 18, 17]),
        "reverse limit takes the end"
    );
    assert_eq!(keys(s, "t", Range::all(), fw, 1000).await, all);
    assert_eq!(
        keys(s, "t", range(Excluded(k(4)), Unbounded), fw, 2).await,
        ks([5, 6])
    );
    assert_eq!(
        keys(s, "t", range(Unbounded, Excluded(k(4))), rv, 2).await,
        ks([3, 2])
    );
    // Paging: resume after the last key seen, as services do with LastEvaluatedKey.
    let mut seen = Vec::new();
    let mut start = Unbounded;
    loop {
        let page = keys(s, "t", range(start, Unbounded), fw, 7).await;
        let Some(last) = page.last().cloned() else {
            break;
        };
        seen.extend(page);
        start = Excluded(last);
    }
    assert_eq!(seen, all, "paging with limit 7 visits every key once");
}

pub async fn scan_orders_unsigned_bytes(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let sorted: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x00],
        vec![0x00, 0x00],
        vec![0x00, 0x01],
        vec![0x01],
        vec![0x7F],
        vec![0x80],
        vec![0xFE, 0xFF],
        vec![0xFF],
    ];
    let mut b = WriteBatch::new();
    for (i, key) in sorted.iter().enumerate().rev() {
        b.put("bytes", key.clone(), vec![i as u8]);
    }
    store.commit(b).await.expect("commit");
    assert_eq!(
        keys(s, "bytes", Range::all(), Direction::Forward, 0).await,
        sorted
    );
    let rev: Vec<_> = sorted.iter().rev().cloned().collect();
    assert_eq!(
        keys(s, "bytes", Range::all(), Direction::Reverse, 0).await,
        rev
    );
}

pub async fn prefix_ranges_with_ff_edges(store: Arc<dyn Store>) {
    let s = store.as_ref();
    let stored: Vec<Vec<u8>> = vec![
        vec![0x61],
        vec![0x61, 0x00],
        vec![0x61, 0xFF],
        vec![0x61, 0xFF, 0x00],
        vec![0x61, 0xFF, 0xFF],
        vec![0x62],
        vec![0xFF],
        vec![0xFF, 0x00],
        vec![0xFF, 0xFF],
        vec![0xFF, 0xFF, 0xFF],
    ];
    for key in &stored {
        put(s, "p", key, b"v").await;
    }
    let fw = Direction::Forward;
    let with = |p: &[u8]| {
        stored
            .iter()
            .filter(|k| k.starts_with(p))
            .cloned()
            .collect::<Vec<_>>()
    };
    for p in [
        &[][..],
        &[0x61],
        &[0x61, 0xFF],
        &[0x61, 0xFF, 0xFF],
        &[0xFF],
        &[0xFF, 0xFF],
        &[0xFF, 0xFF, 0xFF, 0xFF],
        &[0x60],
    ] {
        assert_eq!(
            keys(s, "p", Range::prefix(p), fw, 0).await,
            with(p),
            "prefix {p:02x?}"
        );
        let rev: Vec<_> = with(p).into_iter().rev().collect();
        assert_eq!(
            keys(s, "p", Range::prefix(p), Direction::Reverse, 0).await,
            rev,
            "reverse prefix {p:02x?}"
        );
    }
    // The key layout services use: account, region, then the resource; a prefix scan of one
    // account + region sees nothing of its neighbours.
    let acct = |a: &str, r: &str, n: &str| key::join(&[a, r, n]);
    for key in [
        acct("111111111111", "us-east-1", "a"),
        acct("111111111111", "us-east-1", "b"),
        acct("111111111111", "us-east-10", "c"),
        acct("111111111111", "us-west-2", "d"),
        acct("222222222222", "us-east-1", "e"),
    ] {
        put(s, "svc", &key, b"v").await;
    }
    let mine = keys(
        s,
        "svc",
        Range::prefix(&key::prefix(&["111111111111", "us-east-1"])),
        fw,
        0,
    )
    .await;
    assert_eq!(
        mine,
        vec![
            acct("111111111111", "us-east-1", "a"),
            acct("111111111111", "us-east-1", "b")
        ]
    );
}
