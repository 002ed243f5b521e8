//! The suite must fail on a broken backend: each mutant below breaks one promise of the
//! `Store` contract, and the case that guards that promise must panic on it.

use lamina_core::BoxFuture;
use lamina_storage::{CommitHook, Direction, Entry, Range, Result, Store, WriteBatch};
use lamina_storage_memory::MemoryStore;
use lamina_storage_testsuite::cases;
use std::future::Future;
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq)]
enum Bug {
    IgnoreConditions,
    PartialWriteOnConflict,
    ReverseIsForward,
    LimitOffByOne,
    NoHooks,
    CloseIsNoop,
    EmptyValueIsAbsent,
}

struct Mutant {
    inner: Arc<MemoryStore>,
    bug: Bug,
}

impl Store for Mutant {
    fn get<'a>(&'a self, tree: &'a str, key: &'a [u8]) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            let v = self.inner.get(tree, key).await?;
            Ok(v.filter(|v| !(self.bug == Bug::EmptyValueIsAbsent && v.is_empty())))
        })
    }

    fn scan<'a>(
        &'a self,
        tree: &'a str,
        range: Range,
        direction: Direction,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<Entry>>> {
        Box::pin(async move {
            let direction = if self.bug == Bug::ReverseIsForward {
                Direction::Forward
            } else {
                direction
            };
            let limit = if self.bug == Bug::LimitOffByOne && limit > 0 {
                limit + 1
            } else {
                limit
            };
            self.inner.scan(tree, range, direction, limit).await
        })
    }

    fn commit(&self, mut batch: WriteBatch) -> BoxFuture<'_, Result<()>> {
        Box::pin(async move {
            match self.bug {
                Bug::IgnoreConditions => batch.conditions.clear(),
                Bug::PartialWriteOnConflict => {
                    // On a conflict, the first op still lands.
                    let r = self.inner.commit(batch.clone()).await;
                    if r.is_err() {
                        let first = WriteBatch {
                            conditions: Vec::new(),
                            ops: batch.ops[..1].to_vec(),
                        };
                        self.inner.commit(first).await?;
                    }
                    return r;
                }
                _ => {}
            }
            self.inner.commit(batch).await
        })
    }

    fn add_commit_hook(&self, hook: CommitHook) {
        if self.bug != Bug::NoHooks {
            self.inner.add_commit_hook(hook);
        }
    }

    fn close(&self) -> BoxFuture<'_, Result<()>> {
        if self.bug == Bug::CloseIsNoop {
            Box::pin(async { Ok(()) })
        } else {
            self.inner.close()
        }
    }

    fn backend(&self) -> &'static str {
        "mutant"
    }
}

async fn must_fail<F, Fut>(bug: Bug, case: F)
where
    F: FnOnce(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let store: Arc<dyn Store> = Arc::new(Mutant {
        inner: MemoryStore::new(),
        bug,
    });
    let r = tokio::spawn(case(store)).await;
    assert!(
        r.is_err_and(|e| e.is_panic()),
        "the suite did not notice the bug"
    );
}

#[tokio::test]
async fn conditions_are_checked() {
    must_fail(Bug::IgnoreConditions, cases::condition_absent).await;
    must_fail(Bug::IgnoreConditions, cases::condition_equals).await;
    must_fail(Bug::IgnoreConditions, cases::condition_exists).await;
}

#[tokio::test]
async fn batches_are_atomic() {
    must_fail(
        Bug::PartialWriteOnConflict,
        cases::failed_condition_writes_nothing,
    )
    .await;
}

#[tokio::test]
async fn scans_are_checked() {
    must_fail(Bug::ReverseIsForward, cases::scan_bounds_reverse).await;
    must_fail(Bug::LimitOffByOne, cases::scan_limits).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_are_checked() {
    must_fail(Bug::NoHooks, cases::hooks_see_commits_in_order_exactly_once).await;
}

#[tokio::test]
async fn close_is_checked() {
    must_fail(Bug::CloseIsNoop, cases::close_then_closed).await;
}

#[tokio::test]
async fn empty_values_are_checked() {
    must_fail(Bug::EmptyValueIsAbsent, cases::empty_values_keys_and_trees).await;
}

#[tokio::test]
async fn the_correct_store_passes() {
    let store: Arc<dyn Store> = MemoryStore::new();
    cases::failed_condition_writes_nothing(store).await;
}
