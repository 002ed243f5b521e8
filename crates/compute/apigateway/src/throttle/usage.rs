//! Usage-plan quota counters in the Store, and GetUsage / UpdateUsage over them.
//!
//! Tree [`TREE`], key `account \0 region \0 planId \0 keyId \0 yyyy-mm-dd` → a [`DayRecord`]
//! (`{"v":1,"used":n,"credit":c}`): the requests counted that day (UTC) and the quota given
//! back (or taken) by UpdateUsage that day. A period's remaining quota is its limit minus the
//! sum of `used - credit` over the period's days. Periods: DAY, WEEK (from Sunday), MONTH
//! (from the 1st), all UTC. Known difference: the quota `offset` is not applied.

use super::{Decision, Quota, QuotaPeriod};
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch, key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub const TREE: &str = "apigw.usage";
const FORMAT: u32 = 1;
/// Attempts of one read-modify-write before giving up (each retry follows a concurrent
/// writer's success, so this only ends under extreme contention).
const RETRIES: usize = 64;
/// The longest GetUsage range, in days.
const MAX_RANGE_DAYS: i64 = 400;

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// A caller error: API Gateway's `BadRequestException` with this message.
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("usage record: {0}")]
    Corrupt(String),
}

/// Which usage plan, in which account and region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanScope<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub plan_id: &'a str,
}

/// One key's counters for one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayRecord {
    pub v: u32,
    pub used: i64,
    #[serde(default)]
    pub credit: i64,
}

/// The usage counters of one Store.
#[derive(Clone)]
pub struct Usage {
    store: Arc<dyn Store>,
}

/// Days since 1970-01-01 (UTC) of a point in time.
pub fn day_of(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() / 86_400) as i64,
        Err(e) => -((e.duration().as_secs() / 86_400) as i64) - 1,
    }
}

/// `(year, month, day)` of a day number (proleptic Gregorian; Howard Hinnant's
/// civil_from_days).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `yyyy-mm-dd` of a day number.
pub fn format_day(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `yyyy-mm-dd` into a day number.
pub fn parse_day(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    // reject 2023-02-30 and the like: the round trip must give the same text
    (format_day(days) == s).then_some(days)
}

/// The first day of the quota period that contains `day`.
pub fn period_start(day: i64, period: QuotaPeriod) -> i64 {
    match period {
        QuotaPeriod::Day => day,
        // 1970-01-01 was a Thursday: (day + 4) mod 7 is 0 on Sundays
        QuotaPeriod::Week => day - (day + 4).rem_euclid(7),
        QuotaPeriod::Month => {
            let (y, m, _) = civil(day);
            days_from_civil(y, m, 1)
        }
    }
}

fn day_key(p: PlanScope<'_>, key_id: &str, day: i64) -> Vec<u8> {
    key::join(&[p.account, p.region, p.plan_id, key_id, &format_day(day)])
}

fn decode(raw: &[u8]) -> Result<DayRecord, UsageError> {
    let r: DayRecord =
        serde_json::from_slice(raw).map_err(|e| UsageError::Corrupt(e.to_string()))?;
    if r.v != FORMAT {
        return Err(UsageError::Corrupt(format!("unknown format {}", r.v)));
    }
    Ok(r)
}

fn encode(r: &DayRecord) -> Vec<u8> {
    // a struct of integers always serializes
    serde_json::to_vec(r).unwrap_or_default()
}

impl Usage {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Day records of one key from `from` to `to` (inclusive), by day number.
    async fn days(
        &self,
        p: PlanScope<'_>,
        key_id: &str,
        from: i64,
        to: i64,
    ) -> Result<BTreeMap<i64, (DayRecord, Vec<u8>)>, UsageError> {
        let start = day_key(p, key_id, from);
        let mut end = day_key(p, key_id, to);
        end.push(0);
        let rows = self
            .store
            .scan(TREE, Range::between(&start, &end), Direction::Forward, 0)
            .await?;
        let mut out = BTreeMap::new();
        for (k, v) in rows {
            let date = k.rsplit(|b| *b == 0).next().unwrap_or_default();
            let Some(day) = std::str::from_utf8(date).ok().and_then(parse_day) else {
                continue;
            };
            out.insert(day, (decode(&v)?, v));
        }
        Ok(out)
    }

    /// Counts one request of `key_id` under `plan_id` against `quota` at `now`:
    /// [`Decision::Allow`] (and the request is counted) or [`Decision::QuotaExceeded`]
    /// (nothing is counted). Without a quota the request is counted and allowed.
    pub async fn consume(
        &self,
        p: PlanScope<'_>,
        key_id: &str,
        quota: Option<&Quota>,
        now: SystemTime,
    ) -> Result<Decision, UsageError> {
        let today = day_of(now);
        let from = quota.map_or(today, |q| period_start(today, q.period));
        let k = day_key(p, key_id, today);
        for _ in 0..RETRIES {
            let days = self.days(p, key_id, from, today).await?;
            if let Some(q) = quota {
                let spent: i64 = days.values().map(|(r, _)| r.used - r.credit).sum();
                if spent >= q.limit {
                    return Ok(Decision::QuotaExceeded);
                }
            }
            let (mut rec, raw) = match days.get(&today) {
                Some((r, raw)) => (*r, Some(raw.clone())),
                None => (
                    DayRecord {
                        v: FORMAT,
                        used: 0,
                        credit: 0,
                    },
                    None,
                ),
            };
            rec.used += 1;
            let mut batch = WriteBatch::new();
            batch
                .require(TREE, k.clone(), raw)
                .put(TREE, k.clone(), encode(&rec));
            match self.store.commit(batch).await {
                Ok(()) => return Ok(Decision::Allow),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(UsageError::Store(StoreError::Backend(
            "usage counter contention".to_string(),
        )))
    }

    /// UpdateUsage (`replace /remaining`): sets the remaining quota of `key_id` in the
    /// current period to `remaining`.
    pub async fn set_remaining(
        &self,
        p: PlanScope<'_>,
        key_id: &str,
        quota: &Quota,
        remaining: i64,
        now: SystemTime,
    ) -> Result<(), UsageError> {
        let today = day_of(now);
        let from = period_start(today, quota.period);
        let k = day_key(p, key_id, today);
        for _ in 0..RETRIES {
            let days = self.days(p, key_id, from, today).await?;
            let spent: i64 = days.values().map(|(r, _)| r.used - r.credit).sum();
            let current = quota.limit - spent;
            let (mut rec, raw) = match days.get(&today) {
                Some((r, raw)) => (*r, Some(raw.clone())),
                None => (
                    DayRecord {
                        v: FORMAT,
                        used: 0,
                        credit: 0,
                    },
                    None,
                ),
            };
            rec.credit = rec.credit.saturating_add(remaining.saturating_sub(current));
            let mut batch = WriteBatch::new();
            batch
                .require(TREE, k.clone(), raw)
                .put(TREE, k.clone(), encode(&rec));
            match self.store.commit(batch).await {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(UsageError::Store(StoreError::Backend(
            "usage counter contention".to_string(),
        )))
    }

    /// GetUsage: `{"usagePlanId","startDate","endDate","items":{"<keyId>":[[used, remaining],
    /// ...one per day...]}}`. `key_ids` are the keys to report (e.g. the plan's keys, or the
    /// one `keyId` asked for); each gets one entry per day, `[0, remaining]` on days without
    /// requests. `remaining` is the quota left at the end of that day in its period (0
    /// without a quota).
    pub async fn get_usage(
        &self,
        p: PlanScope<'_>,
        quota: Option<&Quota>,
        key_ids: &[String],
        start_date: &str,
        end_date: &str,
    ) -> Result<Value, UsageError> {
        let start = parse_day(start_date)
            .ok_or_else(|| UsageError::BadRequest(format!("Invalid start date: {start_date}")))?;
        let end = parse_day(end_date)
            .ok_or_else(|| UsageError::BadRequest(format!("Invalid end date: {end_date}")))?;
        if end < start {
            return Err(UsageError::BadRequest(
                "The start date must be before the end date".to_string(),
            ));
        }
        if end - start >= MAX_RANGE_DAYS {
            return Err(UsageError::BadRequest(format!(
                "The date range must not exceed {MAX_RANGE_DAYS} days"
            )));
        }
        let from = quota.map_or(start, |q| period_start(start, q.period));
        let mut items = Map::new();
        for key_id in key_ids {
            let days = self.days(p, key_id, from, end).await?;
            let mut rows = Vec::new();
            let mut spent = 0i64;
            let mut period = quota.map(|q| period_start(from, q.period));
            for day in from..=end {
                if let Some(q) = quota {
                    let p = period_start(day, q.period);
                    if period != Some(p) {
                        period = Some(p);
                        spent = 0;
                    }
                }
                let (used, credit) = days.get(&day).map_or((0, 0), |(r, _)| (r.used, r.credit));
                spent += used - credit;
                if day >= start {
                    let remaining = quota.map_or(0, |q| (q.limit - spent).max(0));
                    rows.push(json!([used, remaining]));
                }
            }
            items.insert(key_id.clone(), Value::Array(rows));
        }
        Ok(json!({
            "usagePlanId": p.plan_id,
            "startDate": start_date,
            "endDate": end_date,
            "items": items,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lamina_storage_memory::MemoryStore;
    use std::time::Duration;

    fn at(date: &str) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(parse_day(date).unwrap() as u64 * 86_400 + 3600)
    }

    #[test]
    fn usage_dates() {
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(
            parse_day("2024-02-29").map(format_day).as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(parse_day("2023-02-29"), None);
        assert_eq!(parse_day("2023-13-01"), None);
        assert_eq!(parse_day("2023-1-01"), None);
        assert_eq!(parse_day("+023-01-01"), None);
        let d = parse_day("2024-05-15").unwrap(); // a Wednesday
        assert_eq!(format_day(period_start(d, QuotaPeriod::Week)), "2024-05-12");
        assert_eq!(
            format_day(period_start(d, QuotaPeriod::Month)),
            "2024-05-01"
        );
        assert_eq!(period_start(d, QuotaPeriod::Day), d);
        assert_eq!(day_of(at("2024-05-15")), d);
    }

    const P: PlanScope<'static> = PlanScope {
        account: "1",
        region: "r",
        plan_id: "p",
    };

    fn usage() -> Usage {
        Usage::new(MemoryStore::new())
    }

    #[tokio::test]
    async fn usage_quota_counts_and_resets_per_period() {
        let u = usage();
        let q = Quota {
            limit: 3,
            offset: 0,
            period: QuotaPeriod::Day,
        };
        let d1 = at("2024-05-15");
        for _ in 0..3 {
            assert_eq!(
                u.consume(P, "k", Some(&q), d1).await.unwrap(),
                Decision::Allow
            );
        }
        assert_eq!(
            u.consume(P, "k", Some(&q), d1).await.unwrap(),
            Decision::QuotaExceeded
        );
        // another key has its own quota
        assert_eq!(
            u.consume(P, "k2", Some(&q), d1).await.unwrap(),
            Decision::Allow
        );
        // the next day is a new period
        let d2 = at("2024-05-16");
        assert_eq!(
            u.consume(P, "k", Some(&q), d2).await.unwrap(),
            Decision::Allow
        );

        let report = u
            .get_usage(
                P,
                Some(&q),
                &["k".into(), "k3".into()],
                "2024-05-14",
                "2024-05-16",
            )
            .await
            .unwrap();
        assert_eq!(
            report,
            json!({"usagePlanId": "p", "startDate": "2024-05-14", "endDate": "2024-05-16",
                   "items": {"k": [[0, 3], [3, 0], [1, 2]], "k3": [[0, 3], [0, 3], [0, 3]]}})
        );
    }

    #[tokio::test]
    async fn usage_month_quota_spans_days_and_update_usage() {
        let u = usage();
        let q = Quota {
            limit: 5,
            offset: 0,
            period: QuotaPeriod::Month,
        };
        for date in ["2024-05-30", "2024-05-31", "2024-05-31"] {
            assert_eq!(
                u.consume(P, "k", Some(&q), at(date)).await.unwrap(),
                Decision::Allow
            );
        }
        let report = u
            .get_usage(P, Some(&q), &["k".into()], "2024-05-31", "2024-06-01")
            .await
            .unwrap();
        assert_eq!(report["items"]["k"], json!([[2, 2], [0, 5]]));
        // UpdateUsage: one left this month
        u.set_remaining(P, "k", &q, 1, at("2024-05-31"))
            .await
            .unwrap();
        assert_eq!(
            u.consume(P, "k", Some(&q), at("2024-05-31")).await.unwrap(),
            Decision::Allow
        );
        assert_eq!(
            u.consume(P, "k", Some(&q), at("2024-05-31")).await.unwrap(),
            Decision::QuotaExceeded
        );
        assert_eq!(
            u.consume(P, "k", Some(&q), at("2024-06-01")).await.unwrap(),
            Decision::Allow
        );
    }

    #[tokio::test]
    async fn usage_concurrent_consumers_never_exceed_the_quota() {
        let u = usage();
        let q = Quota {
            limit: 20,
            offset: 0,
            period: QuotaPeriod::Week,
        };
        let now = at("2024-05-15");
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let u = u.clone();
            tasks.push(tokio::spawn(async move {
                u.consume(P, "k", Some(&q), now).await.unwrap()
            }));
        }
        let mut allowed = 0;
        for t in tasks {
            if t.await.unwrap() == Decision::Allow {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 20);
    }

    #[tokio::test]
    async fn usage_bad_dates_are_bad_requests() {
        let u = usage();
        for (s, e) in [
            ("2024-13-01", "2024-01-01"),
            ("2024-01-02", "2024-01-01"),
            ("2020-01-01", "2024-01-01"),
        ] {
            assert!(matches!(
                u.get_usage(P, None, &[], s, e).await,
                Err(UsageError::BadRequest(_))
            ));
        }
    }
}
