//! Throttling, API keys, usage plans and quotas for the data planes (pure logic plus the
//! persisted usage counters).
//!
//! A request passes, in order:
//! 1. [`authorize_key`] when the method requires an API key: the key presented (`x-api-key`,
//!    or the authorizer's `usageIdentifierKey`) must exist, be enabled and belong to a usage
//!    plan that lists the API's stage; otherwise 403 [`FORBIDDEN`]. The key and plan records
//!    are the v1 control plane's; this module only reads them as [`ApiKey`] and [`UsagePlan`]
//!    (both deserialize from API Gateway's own JSON shapes).
//! 2. [`Throttles::check`]: token buckets (steady rate per second plus a burst), all taken
//!    or none — the account bucket ([`Limit::ACCOUNT`]), the stage/method or route bucket
//!    ([`stage_method_limit`], [`route_limit`]) and the usage-plan key bucket
//!    ([`KeyGrant::throttle`]); an empty one gives 429 [`TOO_MANY_REQUESTS`]. Buckets live in
//!    memory (a cache: losing them on restart only refills them).
//! 3. [`Usage::consume`] when the plan has a quota: a per-day counter in the Store (tree
//!    [`usage::TREE`], key `account \0 region \0 planId \0 keyId \0 yyyy-mm-dd`) is checked
//!    against the quota of the current period and incremented atomically; over the quota
//!    gives 429 [`LIMIT_EXCEEDED`]. [`Usage::get_usage`] reports the same counters in
//!    GetUsage's shape and [`Usage::set_remaining`] serves UpdateUsage.

mod bucket;
mod keys;
mod settings;
pub mod usage;

pub use bucket::{BucketKey, Throttles};
pub use keys::{ApiKey, ApiStage, KeyGrant, UsagePlan, authorize_key};
pub use settings::{Limit, Quota, QuotaPeriod, route_limit, stage_method_limit};
pub use usage::{PlanScope, Usage, UsageError};

/// 429 body for an empty token bucket.
pub const TOO_MANY_REQUESTS: &str = r#"{"message":"Too Many Requests"}"#;
/// 429 body for an exhausted usage-plan quota.
pub const LIMIT_EXCEEDED: &str = r#"{"message":"Limit Exceeded"}"#;
/// 403 body for a missing, unknown, disabled or unsubscribed API key.
pub const FORBIDDEN: &str = r#"{"message":"Forbidden"}"#;

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// 429 [`TOO_MANY_REQUESTS`].
    Throttled,
    /// 429 [`LIMIT_EXCEEDED`].
    QuotaExceeded,
}

impl Decision {
    /// The status and JSON body API Gateway answers with, or `None` for [`Decision::Allow`].
    pub fn response(self) -> Option<(u16, &'static str)> {
        match self {
            Decision::Allow => None,
            Decision::Throttled => Some((429, TOO_MANY_REQUESTS)),
            Decision::QuotaExceeded => Some((429, LIMIT_EXCEEDED)),
        }
    }
}

/// Takes one token from every bucket in `checks` or none: see [`Throttles::check`].
pub fn check(
    throttles: &Throttles,
    checks: &[(BucketKey, Limit)],
    now: std::time::Instant,
) -> Decision {
    throttles.check(checks, now)
}
