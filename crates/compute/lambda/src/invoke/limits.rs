//! Concurrency limits: a function with reserved concurrency runs at most that many
//! invocations at once; every other function shares the account's unreserved pool
//! (`account limit − Σ reservations`, never less than 100, as AWS keeps it). Counters live in
//! memory — they count executions in this process — and a [`Permit`] gives its slot back on
//! drop. A synchronous invoke that finds no slot is throttled (429); the asynchronous queue
//! leaves the event queued and tries again.

use crate::error::LambdaError;
use crate::ops::concurrency::MIN_UNRESERVED;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// AWS's throttle message for both reasons.
pub const RATE_EXCEEDED: &str = "Rate Exceeded.";
pub const RESERVED_REASON: &str = "ReservedFunctionConcurrentInvocationLimitExceeded";
pub const ACCOUNT_REASON: &str = "ConcurrentInvocationLimitExceeded";

/// Which pool an invocation draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// The function's own reservation of this size.
    Reserved(u32),
    /// The account's unreserved pool, given the sum of every reservation in the account.
    Unreserved { reserved_total: u64 },
}

#[derive(Default)]
struct Counts {
    /// In flight per `account \0 region \0 function`.
    functions: HashMap<String, u32>,
    /// In flight from the unreserved pool per `account \0 region`.
    unreserved: HashMap<String, u64>,
}

/// The in-flight counters.
pub struct Limits {
    account_limit: u32,
    counts: Mutex<Counts>,
    /// Woken whenever a slot is given back (the queue waits on it).
    pub(crate) released: Notify,
}

/// One execution slot; released on drop.
pub struct Permit {
    limits: Arc<Limits>,
    function: String,
    scope: String,
    unreserved: bool,
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut c = crate::sandbox::lock(&self.limits.counts);
            if let Some(n) = c.functions.get_mut(&self.function) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    c.functions.remove(&self.function);
                }
            }
            if self.unreserved
                && let Some(n) = c.unreserved.get_mut(&self.scope)
            {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    c.unreserved.remove(&self.scope);
                }
            }
        }
        self.limits.released.notify_waiters();
    }
}

impl Limits {
    pub fn new(account_limit: u32) -> Arc<Self> {
        Arc::new(Self {
            account_limit,
            counts: Mutex::new(Counts::default()),
            released: Notify::new(),
        })
    }

    /// The size of the unreserved pool.
    pub fn unreserved_limit(&self, reserved_total: u64) -> u64 {
        u64::from(self.account_limit)
            .saturating_sub(reserved_total)
            .max(u64::from(MIN_UNRESERVED))
    }

    /// Takes a slot, or says why not (AWS's 429).
    pub fn try_acquire(
        self: &Arc<Self>,
        account: &str,
        region: &str,
        function: &str,
        pool: Pool,
    ) -> Result<Permit, LambdaError> {
        let scope = format!("{account}\0{region}");
        let key = format!("{scope}\0{function}");
        let mut c = crate::sandbox::lock(&self.counts);
        let running = c.functions.get(&key).copied().unwrap_or(0);
        let unreserved = match pool {
            Pool::Reserved(n) => {
                if running >= n {
                    return Err(throttled(RESERVED_REASON));
                }
                false
            }
            Pool::Unreserved { reserved_total } => {
                let used = c.unreserved.get(&scope).copied().unwrap_or(0);
                if used >= self.unreserved_limit(reserved_total) {
                    return Err(throttled(ACCOUNT_REASON));
                }
                *c.unreserved.entry(scope.clone()).or_default() += 1;
                true
            }
        };
        *c.functions.entry(key.clone()).or_default() += 1;
        Ok(Permit {
            limits: self.clone(),
            function: key,
            scope,
            unreserved,
        })
    }

    /// Invocations of one function in flight now.
    #[cfg(test)]
    pub fn in_flight(&self, account: &str, region: &str, function: &str) -> u32 {
        let key = format!("{account}\0{region}\0{function}");
        crate::sandbox::lock(&self.counts)
            .functions
            .get(&key)
            .copied()
            .unwrap_or(0)
    }
}

fn throttled(reason: &'static str) -> LambdaError {
    LambdaError::Throttled {
        message: RATE_EXCEEDED.into(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(r: Result<Permit, LambdaError>) -> &'static str {
        match r {
            Err(LambdaError::Throttled { reason, message }) => {
                assert_eq!(message, "Rate Exceeded.");
                reason
            }
            Err(e) => panic!("{e}"),
            Ok(_) => "ok",
        }
    }

    #[test]
    fn reserved_concurrency_caps_one_function() {
        let l = Limits::new(1000);
        let a = l.try_acquire("a", "r", "f", Pool::Reserved(2)).unwrap();
        let _b = l.try_acquire("a", "r", "f", Pool::Reserved(2)).unwrap();
        assert_eq!(
            reason(l.try_acquire("a", "r", "f", Pool::Reserved(2))),
            RESERVED_REASON
        );
        // another function, another region: not affected
        assert_eq!(
            reason(l.try_acquire("a", "r", "g", Pool::Reserved(2))),
            "ok"
        );
        assert_eq!(
            reason(l.try_acquire("a", "x", "f", Pool::Reserved(2))),
            "ok"
        );
        assert_eq!(l.in_flight("a", "r", "f"), 2);
        drop(a);
        assert_eq!(l.in_flight("a", "r", "f"), 1);
        assert_eq!(
            reason(l.try_acquire("a", "r", "f", Pool::Reserved(2))),
            "ok"
        );
        assert_eq!(
            reason(l.try_acquire("a", "r", "z", Pool::Reserved(0))),
            RESERVED_REASON
        );
    }

    #[test]
    fn the_unreserved_pool_is_shared_and_keeps_100() {
        let l = Limits::new(150);
        assert_eq!(l.unreserved_limit(0), 150);
        assert_eq!(l.unreserved_limit(50), 100);
        assert_eq!(l.unreserved_limit(900), 100);
        let mut held = Vec::new();
        for i in 0..100 {
            let f = format!("f{}", i % 7);
            held.push(
                l.try_acquire("a", "r", &f, Pool::Unreserved { reserved_total: 50 })
                    .unwrap(),
            );
        }
        assert_eq!(
            reason(l.try_acquire("a", "r", "f9", Pool::Unreserved { reserved_total: 50 })),
            ACCOUNT_REASON
        );
        // reserved functions do not draw from the unreserved pool
        assert_eq!(
            reason(l.try_acquire("a", "r", "res", Pool::Reserved(5))),
            "ok"
        );
        held.pop();
        assert_eq!(
            reason(l.try_acquire("a", "r", "f9", Pool::Unreserved { reserved_total: 50 })),
            "ok"
        );
    }
}
