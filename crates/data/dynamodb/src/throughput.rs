//! Provisioned-throughput enforcement (off by default; `--dynamodb-enforce-throughput`).
//!
//! Each PROVISIONED table has a read and a write token bucket refilled at its provisioned
//! units per second, holding up to 300 seconds of unused capacity (DynamoDB's documented
//! burst capacity). A request is refused with `ProvisionedThroughputExceededException`
//! while the bucket is empty; an admitted request is charged the capacity it actually
//! consumed (the `ConsumedCapacity` the operation computes), so a large item can drive the
//! bucket negative, as DynamoDB does. On-demand tables are never throttled.
//!
//! Enforced for the single-table operations GetItem, PutItem, UpdateItem, DeleteItem, Query
//! and Scan; batch, transaction and PartiQL requests are charged nothing (a known gap).

use crate::error::{DdbError, Result};
use crate::table::{BillingMode, TableMeta};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Seconds of unused capacity a bucket can hold.
const BURST_SECONDS: f64 = 300.0;

pub(crate) const MESSAGE: &str = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Read,
    Write,
}

/// The operations enforcement applies to, and what they consume.
pub(crate) fn kind_of(op: &str) -> Option<Kind> {
    match op {
        "GetItem" | "Query" | "Scan" => Some(Kind::Read),
        "PutItem" | "UpdateItem" | "DeleteItem" => Some(Kind::Write),
        _ => None,
    }
}

struct Bucket {
    tokens: f64,
    rate: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, rate: f64, now: Instant) {
        if rate != self.rate {
            self.rate = rate;
        }
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(rate * BURST_SECONDS);
        self.at = now;
    }
}

/// Buckets keyed by (table id, kind).
#[derive(Default)]
pub(crate) struct Buckets {
    inner: Mutex<HashMap<(String, bool), Bucket>>,
}

fn rate(meta: &TableMeta, kind: Kind) -> Option<f64> {
    if meta.billing != BillingMode::Provisioned {
        return None;
    }
    let units = match kind {
        Kind::Read => meta.throughput.read,
        Kind::Write => meta.throughput.write,
    };
    Some(units.max(0) as f64)
}

impl Buckets {
    /// Refuses the request when the table's bucket is empty.
    pub(crate) fn admit(&self, meta: &TableMeta, kind: Kind, now: Instant) -> Result<()> {
        let Some(rate) = rate(meta, kind) else {
            return Ok(());
        };
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        // A new bucket starts full: a table has its burst capacity from the start.
        let b = map
            .entry((meta.table_id.clone(), kind == Kind::Read))
            .or_insert(Bucket {
                tokens: rate * BURST_SECONDS,
                rate,
                at: now,
            });
        b.refill(rate, now);
        if b.tokens <= 0.0 {
            return Err(DdbError::Throttled(MESSAGE.into()));
        }
        Ok(())
    }

    /// Charges what the request consumed.
    pub(crate) fn charge(&self, meta: &TableMeta, kind: Kind, units: f64) {
        if rate(meta, kind).is_none() {
            return;
        }
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = map.get_mut(&(meta.table_id.clone(), kind == Kind::Read)) {
            b.tokens -= units;
        }
    }
}

/// The capacity units a response's `ConsumedCapacity` reports.
pub(crate) fn consumed_units(output: &Value) -> f64 {
    output
        .get("ConsumedCapacity")
        .and_then(|c| c.get("CapacityUnits"))
        .and_then(Value::as_f64)
        .unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn meta(read: i64, write: i64, billing: BillingMode) -> TableMeta {
        let mut m = crate::table::TableMeta::sample_for_tests();
        m.billing = billing;
        m.throughput.read = read;
        m.throughput.write = write;
        m
    }

    #[test]
    fn burst_then_throttle_then_refill() {
        let b = Buckets::default();
        let m = meta(1, 2, BillingMode::Provisioned);
        let t0 = Instant::now();
        // 300 s of 2 WCU: 600 units of burst
        b.admit(&m, Kind::Write, t0).unwrap();
        b.charge(&m, Kind::Write, 600.0);
        assert!(matches!(
            b.admit(&m, Kind::Write, t0),
            Err(DdbError::Throttled(_))
        ));
        // reads have their own bucket
        b.admit(&m, Kind::Read, t0).unwrap();
        // one second later two units came back
        b.admit(&m, Kind::Write, t0 + Duration::from_secs(1))
            .unwrap();
    }

    #[test]
    fn on_demand_tables_are_never_throttled() {
        let b = Buckets::default();
        let m = meta(0, 0, BillingMode::PayPerRequest);
        for _ in 0..1000 {
            b.admit(&m, Kind::Write, Instant::now()).unwrap();
            b.charge(&m, Kind::Write, 1000.0);
        }
    }

    #[test]
    fn a_large_item_drives_the_bucket_negative() {
        let b = Buckets::default();
        let m = meta(1, 1, BillingMode::Provisioned);
        let t0 = Instant::now();
        b.admit(&m, Kind::Write, t0).unwrap();
        b.charge(&m, Kind::Write, 400.0); // 300 of burst, 100 of debt
        assert!(
            b.admit(&m, Kind::Write, t0 + Duration::from_secs(50))
                .is_err()
        );
        assert!(
            b.admit(&m, Kind::Write, t0 + Duration::from_secs(101))
                .is_ok()
        );
    }
}
