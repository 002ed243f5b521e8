//! One conformance suite for every [`Store`] backend, written once.
//!
//! A backend crate runs the whole suite from one test file:
//!
//! ```ignore
//! // crates/storage/<backend>/tests/conformance.rs
//! lamina_storage_testsuite::store_conformance!(async { lamina_storage_memory::MemoryStore::new() });
//! ```
//!
//! The argument is an expression evaluating to a future of a [`Fixture`]: an `Arc<S>` for some
//! `S: Store`, or a pair `(Arc<S>, guard)` where the guard (a temporary directory, a database
//! schema) lives until the test ends. It is evaluated once per test, so every test gets a fresh
//! store. The macro expands to one `#[tokio::test]` per case in [`cases`]; the calling crate needs
//! `tokio` (the workspace dependency) among its dev-dependencies.
//!
//! What the suite pins down, beyond the trait's doc comments:
//! * an empty value is a value (distinct from an absent key); the empty key is a valid key;
//! * keys are ordered as unsigned bytes; scans honour every combination of bounds, both
//!   directions and limits (`0` = no limit); an inverted range is empty, not an error;
//! * conditions are checked against the state before the batch; a failed condition writes
//!   nothing and returns [`StoreError::Conflict`] naming the tree and key;
//! * within a batch, later ops on the same key win;
//! * commit hooks see every batch with at least one op exactly once, in commit order, and have
//!   seen it by the time its `commit` returns; a failed or condition-only batch is not reported;
//! * after `close()`, every call fails with [`StoreError::Closed`]; a second `close()` is `Ok`.

use lamina_storage::Store;
use std::sync::Arc;

pub mod cases;

/// What the store-making expression of [`store_conformance!`] yields.
pub trait Fixture: Send + 'static {
    fn store(&self) -> Arc<dyn Store>;
}

impl<S: Store> Fixture for Arc<S> {
    fn store(&self) -> Arc<dyn Store> {
        Arc::clone(self) as Arc<dyn Store>
    }
}

impl<S: Store, G: Send + 'static> Fixture for (Arc<S>, G) {
    fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.0) as Arc<dyn Store>
    }
}

/// Generates one `#[tokio::test]` per conformance case; see the crate docs.
#[macro_export]
macro_rules! store_conformance {
    ($make:expr) => {
        $crate::store_conformance!(@cases $make;
            get_put_delete,
            overwrite_and_last_op_wins,
            empty_values_keys_and_trees,
            trees_are_isolated,
            scan_bounds_forward,
            scan_bounds_reverse,
            scan_limits,
            scan_orders_unsigned_bytes,
            prefix_ranges_with_ff_edges,
            failed_condition_writes_nothing,
            condition_absent,
            condition_equals,
            condition_exists,
            conditions_see_state_before_the_batch,
            concurrent_cas_counter,
            scans_see_atomic_batches,
            hooks_see_commits_in_order_exactly_once,
            close_then_closed,
            large_values,
            many_keys,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let fixture = $make.await;
                let store = $crate::Fixture::store(&fixture);
                $crate::cases::$case(store).await;
                drop(fixture);
            }
        )*
    };
}
