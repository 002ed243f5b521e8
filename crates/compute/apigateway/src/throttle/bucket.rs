//! In-memory token buckets.

use super::{Decision, Limit};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Which bucket: one per (account, region) for the account limit, per (api, stage, method or
/// route) for stage settings, and per (usage plan, API key[, method]) for plan throttles.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BucketKey(String);

impl BucketKey {
    pub fn account(account: &str, region: &str) -> Self {
        Self(format!("a\0{account}\0{region}"))
    }
    /// `method` is `"<resource path> <HTTP method>"` for REST APIs (e.g. `"/pets GET"`) or the
    /// route key for HTTP APIs (e.g. `"GET /pets"`); any stable string works.
    pub fn method(account: &str, region: &str, api: &str, stage: &str, method: &str) -> Self {
        Self(format!("m\0{account}\0{region}\0{api}\0{stage}\0{method}"))
    }
    /// A usage plan's throttle for one key; `method` is `Some` when the plan's API stage has
    /// a per-method throttle (then the bucket is per method as well).
    pub fn plan_key(
        account: &str,
        region: &str,
        plan: &str,
        key: &str,
        method: Option<&str>,
    ) -> Self {
        Self(format!(
            "p\0{account}\0{region}\0{plan}\0{key}\0{}",
            method.unwrap_or("")
        ))
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
    limit: Limit,
}

impl Bucket {
    fn new(limit: Limit, now: Instant) -> Self {
        Self {
            tokens: limit.burst_tokens(),
            last: now,
            limit,
        }
    }

    /// Refills up to the burst for the time since the last look; a changed limit applies
    /// from now on (tokens above the new burst are dropped).
    fn refill(&mut self, limit: Limit, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now.max(self.last);
        self.limit = limit;
        let cap = limit.burst_tokens();
        self.tokens = (self.tokens + elapsed * limit.rate_per_second()).min(cap);
    }

    fn is_full(&self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens + elapsed * self.limit.rate_per_second() >= self.limit.burst_tokens()
    }
}

/// Beyond this many buckets, full (idle) buckets are dropped: a full bucket is the same as
/// none.
const SWEEP_AT: usize = 50_000;

/// The token buckets of one process. Cheap to share (`Arc<Throttles>`); one short lock per
/// check.
#[derive(Debug, Default)]
pub struct Throttles {
    buckets: Mutex<HashMap<BucketKey, Bucket>>,
}

impl Throttles {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one token from every bucket in `checks` if each has one, and then answers
    /// [`Decision::Allow`]; otherwise takes none and answers [`Decision::Throttled`]. A bucket
    /// starts full (its burst). A burst of 0 throttles every request.
    pub fn check(&self, checks: &[(BucketKey, Limit)], now: Instant) -> Decision {
        // A poisoned lock only means another thread panicked mid-check; the map is still a
        // valid cache of buckets.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, b| !b.is_full(now));
        }
        let mut ok = true;
        for (key, limit) in checks {
            let bucket = buckets
                .entry(key.clone())
                .or_insert_with(|| Bucket::new(*limit, now));
            bucket.refill(*limit, now);
            if bucket.tokens < 1.0 {
                ok = false;
            }
        }
        if !ok {
            return Decision::Throttled;
        }
        for (key, _) in checks {
            if let Some(b) = buckets.get_mut(key) {
                b.tokens -= 1.0;
            }
        }
        Decision::Allow
    }

    /// Number of live buckets (for tests and metrics).
    pub fn len(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn lim(rate: f64, burst: i64) -> Limit {
        Limit { rate, burst }
    }

    #[test]
    fn throttle_burst_then_rate() {
        let t = Throttles::new();
        let k = BucketKey::method("1", "r", "api", "prod", "/ GET");
        let now = Instant::now();
        let checks = [(k, lim(2.0, 3))];
        for _ in 0..3 {
            assert_eq!(t.check(&checks, now), Decision::Allow);
        }
        assert_eq!(t.check(&checks, now), Decision::Throttled);
        // half a second at 2 rps refills one token
        let later = now + Duration::from_millis(500);
        assert_eq!(t.check(&checks, later), Decision::Allow);
        assert_eq!(t.check(&checks, later), Decision::Throttled);
        // never more than the burst
        let much_later = now + Duration::from_secs(3600);
        for _ in 0..3 {
            assert_eq!(t.check(&checks, much_later), Decision::Allow);
        }
        assert_eq!(t.check(&checks, much_later), Decision::Throttled);
    }

    #[test]
    fn throttle_all_or_none() {
        let t = Throttles::new();
        let now = Instant::now();
        let wide = (BucketKey::account("1", "r"), lim(100.0, 100));
        let narrow = (BucketKey::plan_key("1", "r", "p", "k", None), lim(0.0, 1));
        assert_eq!(
            t.check(&[wide.clone(), narrow.clone()], now),
            Decision::Allow
        );
        for _ in 0..10 {
            assert_eq!(
                t.check(&[wide.clone(), narrow.clone()], now),
                Decision::Throttled
            );
        }
        // the wide bucket lost only the one token of the allowed request
        for _ in 0..99 {
            assert_eq!(t.check(std::slice::from_ref(&wide), now), Decision::Allow);
        }
        assert_eq!(t.check(&[wide], now), Decision::Throttled);
    }

    #[test]
    fn throttle_zero_burst_blocks_everything() {
        let t = Throttles::new();
        let checks = [(BucketKey::account("1", "r"), lim(1000.0, 0))];
        assert_eq!(t.check(&checks, Instant::now()), Decision::Throttled);
    }

    #[test]
    fn throttle_lowered_limit_applies_at_once() {
        let t = Throttles::new();
        let k = BucketKey::method("1", "r", "a", "s", "m");
        let now = Instant::now();
        assert_eq!(t.check(&[(k.clone(), lim(10.0, 10))], now), Decision::Allow);
        assert_eq!(t.check(&[(k.clone(), lim(1.0, 1))], now), Decision::Allow);
        assert_eq!(t.check(&[(k, lim(1.0, 1))], now), Decision::Throttled);
    }

    #[test]
    fn throttle_keys_are_distinct() {
        assert_ne!(
            BucketKey::method("1", "r", "a", "s", "m"),
            BucketKey::method("1", "r", "a", "s2", "m")
        );
        assert_ne!(
            BucketKey::plan_key("1", "r", "p", "k", None),
            BucketKey::plan_key("1", "r", "p", "k", Some("/ GET"))
        );
    }
}
