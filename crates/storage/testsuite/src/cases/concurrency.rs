//! Concurrent writers and readers, and the commit hooks' ordering.

use super::get;
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch, WriteOp};
use std::sync::{Arc, Mutex};

fn decode(v: &[u8]) -> u64 {
    std::str::from_utf8(v)
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("a decimal counter")
}

/// Read, add one, commit with "still what I read"; retry on conflict. Returns the new value.
async fn increment(store: &dyn Store, tree: &str, key: &[u8]) -> (u64, u32) {
    let mut conflicts = 0;
    loop {
        let old = store.get(tree, key).await.expect("get");
        let new = old.as_deref().map_or(0, decode) + 1;
        let mut b = WriteBatch::new();
        b.require(tree, key, old).put(tree, key, new.to_string());
        b.put("log", new.to_string(), "");
        match store.commit(b).await {
            Ok(()) => return (new, conflicts),
            Err(StoreError::Conflict { .. }) => conflicts += 1,
            Err(e) => panic!("commit failed: {e}"),
        }
    }
}

pub async fn concurrent_cas_counter(store: Arc<dyn Store>) {
    const TASKS: u64 = 32;
    const EACH: u64 = 5;
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut values = Vec::new();
                for _ in 0..EACH {
                    values.push(increment(store.as_ref(), "c", b"counter").await.0);
                }
                values
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    all.sort_unstable();
    assert_eq!(
        all,
        (1..=TASKS * EACH).collect::<Vec<_>>(),
        "every increment won exactly one value"
    );
    assert_eq!(
        get(store.as_ref(), "c", b"counter").await,
        Some((TASKS * EACH).to_string().into_bytes())
    );
}

pub async fn scans_see_atomic_batches(store: Arc<dyn Store>) {
    const ACCOUNTS: u64 = 5;
    const TOTAL: u64 = ACCOUNTS * 100;
    let mut b = WriteBatch::new();
    for a in 0..ACCOUNTS {
        b.put("bank", format!("acct{a}"), "100");
    }
    store.commit(b).await.expect("seed");
    let sum = |entries: &[(Vec<u8>, Vec<u8>)]| entries.iter().map(|(_, v)| decode(v)).sum::<u64>();

    let writers: Vec<_> = (0..2u64)
        .map(|w| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..60u64 {
                    let (from, to) = ((w + i) % ACCOUNTS, (w + i * 3 + 1) % ACCOUNTS);
                    if from == to {
                        continue;
                    }
                    loop {
                        let (fk, tk) = (format!("acct{from}"), format!("acct{to}"));
                        let fv = store
                            .get("bank", fk.as_bytes())
                            .await
                            .expect("get")
                            .expect("seeded");
                        let tv = store
                            .get("bank", tk.as_bytes())
                            .await
                            .expect("get")
                            .expect("seeded");
                        let amount = decode(&fv).min(7);
                        let mut b = WriteBatch::new();
                        b.require_equals("bank", fk.as_bytes(), fv.clone());
                        b.require_equals("bank", tk.as_bytes(), tv.clone());
                        b.put("bank", fk.as_bytes(), (decode(&fv) - amount).to_string());
                        b.put("bank", tk.as_bytes(), (decode(&tv) + amount).to_string());
                        match store.commit(b).await {
                            Ok(()) => break,
                            Err(StoreError::Conflict { .. }) => continue,
                            Err(e) => panic!("commit failed: {e}"),
                        }
                    }
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut scans = 0;
                loop {
                    let dir = if r == 0 {
                        Direction::Forward
                    } else {
                        Direction::Reverse
                    };
                    let entries = store
                        .scan("bank", Range::all(), dir, 0)
                        .await
                        .expect("scan");
                    assert_eq!(entries.len() as u64, ACCOUNTS);
                    assert_eq!(sum(&entries), TOTAL, "a scan saw half of a batch");
                    scans += 1;
                    if get(store.as_ref(), "bank-done", b"done").await.is_some() {
                        return scans;
                    }
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    let mut b = WriteBatch::new();
    b.put("bank-done", "done", "0");
    store.commit(b).await.expect("done marker");
    for r in readers {
        assert!(r.await.expect("reader") > 0);
    }
}

/// The counter value a hooked batch carries (the `log` put that `increment` adds).
fn logged(b: &WriteBatch) -> Option<u64> {
    b.ops.iter().find_map(|op| match op {
        WriteOp::Put { tree, key, .. } if tree == "log" => Some(decode(key)),
        _ => None,
    })
}

pub async fn hooks_see_commits_in_order_exactly_once(store: Arc<dyn Store>) {
    const TASKS: u64 = 12;
    const EACH: u64 = 8;
    let first: Arc<Mutex<Vec<WriteBatch>>> = Arc::default();
    let second: Arc<Mutex<Vec<WriteBatch>>> = Arc::default();
    for seen in [&first, &second] {
        let seen = Arc::clone(seen);
        store.add_commit_hook(Arc::new(move |b: &WriteBatch| {
            seen.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(b.clone())
        }));
    }
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (store, first) = (Arc::clone(&store), Arc::clone(&first));
            tokio::spawn(async move {
                let mut conflicts = 0;
                for _ in 0..EACH {
                    let (n, c) = increment(store.as_ref(), "c", b"counter").await;
                    conflicts += c;
                    let seen = first.lock().unwrap_or_else(|e| e.into_inner());
                    assert!(
                        seen.iter().any(|b| logged(b) == Some(n)),
                        "hook ran before commit returned"
                    );
                }
                conflicts
            })
        })
        .collect();
    let mut conflicts = 0;
    for t in tasks {
        conflicts += t.await.expect("task");
    }
    let order: Vec<u64> = first
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(logged)
        .collect();
    assert_eq!(
        order,
        (1..=TASKS * EACH).collect::<Vec<_>>(),
        "hooks see each successful batch once, in commit order ({conflicts} conflicts not reported)"
    );
    let (a, b) = (
        first.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        second.lock().unwrap_or_else(|e| e.into_inner()).clone(),
    );
    assert_eq!(a, b, "every hook sees the same batches");

    // The hook sees the batch as committed; failed and condition-only batches are not reported.
    let mut ok = WriteBatch::new();
    ok.require_exists("c", "counter")
        .put("x", "k", "v")
        .delete("x", "gone");
    store.commit(ok.clone()).await.expect("commit");
    let mut failed = WriteBatch::new();
    failed.require_absent("c", "counter").put("x", "k", "w");
    assert!(store.commit(failed).await.is_err());
    let mut check_only = WriteBatch::new();
    check_only.require_exists("c", "counter");
    store.commit(check_only).await.expect("condition-only");
    let seen = first.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(seen.len() as u64, TASKS * EACH + 1);
    assert_eq!(seen.last(), Some(&ok));
}
