//! Lamina's core vocabulary, shared by every layer: who is calling ([`RequestContext`]),
//! the error a client sees ([`AwsError`], built from model-derived [`ErrorCode`]s), the
//! interface every service implements ([`Service`]), ids, ARNs and the clock.
//!
//! Nothing here does I/O.

mod error;
mod ids;
mod service;

pub use error::{AwsError, ErrorCode, common};
pub use ids::{new_request_id, random_alnum, random_bytes};
pub use service::{BoxFuture, Input, Output, RequestContext, Service};

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, with millisecond precision, as AWS JSON protocols carry
/// timestamps.
pub fn now_epoch_seconds() -> f64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_millis() as f64) / 1000.0
}

/// Milliseconds since the Unix epoch.
pub fn now_epoch_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

/// Builds `arn:aws:<service>:<region>:<account>:<resource>`.
pub fn arn(service: &str, region: &str, account: &str, resource: &str) -> String {
    format!("arn:aws:{service}:{region}:{account}:{resource}")
}
