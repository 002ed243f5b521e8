//! Schedule expressions: `rate(value unit)` and AWS's six-field `cron(...)`, and the next
//! fire time after a given instant. Pure: the scheduler and PutRule's validation share it.
//!
//! AWS cron is `minutes hours day-of-month month day-of-week year`, with `?` in one of the
//! two day fields, day-of-week 1–7 = SUN–SAT, `L`, `W` and `#`. It is rewritten to croner's
//! five-field form (Quartz weekday numbering); the year field, which croner lacks, is
//! checked here. Times are UTC, as on AWS.

use chrono::{DateTime, Datelike, TimeZone, Utc};
use croner::Cron;

/// A parsed schedule.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// Every `seconds`, counted from when the schedule was set.
    Rate {
        seconds: i64,
    },
    Cron {
        cron: Box<Cron>,
        years: Years,
    },
}

/// The year field of an AWS cron expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Years {
    Any,
    /// (first, last, step) ranges, any of which may match.
    Ranges(Vec<(i32, i32, i32)>),
}

impl Years {
    fn parse(field: &str) -> Option<Years> {
        if field == "*" || field == "?" {
            return Some(Years::Any);
        }
        let mut out = Vec::new();
        for item in field.split(',') {
            let (range, step) = match item.split_once('/') {
                Some((r, s)) => (r, s.parse::<i32>().ok().filter(|s| *s > 0)?),
                None => (item, 1),
            };
            let (first, last) = if range == "*" {
                (1970, 2199)
            } else if let Some((a, b)) = range.split_once('-') {
                (a.parse().ok()?, b.parse().ok()?)
            } else {
                let y: i32 = range.parse().ok()?;
                (y, if item.contains('/') { 2199 } else { y })
            };
            if !(1970..=2199).contains(&first) || !(1970..=2199).contains(&last) || first > last {
                return None;
            }
            out.push((first, last, step));
        }
        Some(Years::Ranges(out))
    }

    fn matches(&self, year: i32) -> bool {
        match self {
            Years::Any => true,
            Years::Ranges(r) => r
                .iter()
                .any(|(a, b, s)| year >= *a && year <= *b && (year - a) % s == 0),
        }
    }

    /// The first matching year after `year`, if any.
    fn next_after(&self, year: i32) -> Option<i32> {
        ((year + 1)..=2199).find(|y| self.matches(*y))
    }
}

/// Why an expression is refused (PutRule answers AWS's generic message for all of them).
pub const INVALID: &str = "Parameter ScheduleExpression is not valid.";

/// Parses `rate(...)` or `cron(...)`; `None` when AWS would refuse it.
pub fn parse(expr: &str) -> Option<Schedule> {
    let expr = expr.trim();
    if let Some(body) = expr.strip_prefix("rate(").and_then(|s| s.strip_suffix(')')) {
        let mut it = body.split_whitespace();
        let n: i64 = it.next()?.parse().ok()?;
        let unit = it.next()?;
        if it.next().is_some() || n <= 0 {
            return None;
        }
        // AWS wants the singular for 1 and the plural otherwise.
        let per = match (unit, n == 1) {
            ("minute", true) | ("minutes", false) => 60,
            ("hour", true) | ("hours", false) => 3600,
            ("day", true) | ("days", false) => 86400,
            _ => return None,
        };
        return Some(Schedule::Rate {
            seconds: n.checked_mul(per)?,
        });
    }
    let body = expr.strip_prefix("cron(")?.strip_suffix(')')?;
    let f: Vec<&str> = body.split_whitespace().collect();
    if f.len() != 6 {
        return None;
    }
    let (dom, dow) = (f[2], f[4]);
    // Exactly one of the day fields is `?`.
    if (dom == "?") == (dow == "?") {
        return None;
    }
    let years = Years::parse(f[5])?;
    let pattern = format!("{} {} {} {} {}", f[0], f[1], dom, f[3], dow);
    let cron = Cron::new(&pattern)
        .with_alternative_weekdays()
        .parse()
        .ok()?;
    Some(Schedule::Cron {
        cron: Box::new(cron),
        years,
    })
}

impl Schedule {
    /// The first fire time strictly after `after` (epoch seconds). `anchor` is when the
    /// schedule was set: rates fire at `anchor + k * period`, k ≥ 1.
    pub fn next_after(&self, after: i64, anchor: i64) -> Option<i64> {
        match self {
            Schedule::Rate { seconds } => {
                if after < anchor {
                    return anchor.checked_add(*seconds);
                }
                let k = (after - anchor) / seconds + 1;
                anchor.checked_add(k.checked_mul(*seconds)?)
            }
            Schedule::Cron { cron, years } => {
                let mut from: DateTime<Utc> = Utc.timestamp_opt(after, 0).single()?;
                let mut inclusive = false;
                // Bounded: each round either returns or jumps to a later matching year.
                for _ in 0..512 {
                    let t = cron.find_next_occurrence(&from, inclusive).ok()?;
                    if years.matches(t.year()) {
                        return Some(t.timestamp());
                    }
                    // No occurrence before `t` and `t`'s year is excluded: go on from the
                    // first allowed year after it.
                    let y = years.next_after(t.year())?;
                    from = Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single()?;
                    inclusive = true;
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    fn next(expr: &str, after: &str) -> Option<String> {
        parse(expr)
            .unwrap()
            .next_after(at(after), 0)
            .map(|t| Utc.timestamp_opt(t, 0).unwrap().to_rfc3339())
    }

    #[test]
    fn rates() {
        for (e, s) in [
            ("rate(1 minute)", 60),
            ("rate(5 minutes)", 300),
            ("rate(1 hour)", 3600),
            ("rate(2 hours)", 7200),
            ("rate(1 day)", 86400),
            ("rate(7 days)", 604800),
        ] {
            assert!(
                matches!(parse(e), Some(Schedule::Rate { seconds }) if seconds == s),
                "{e}"
            );
        }
        for bad in [
            "rate(1 minutes)",
            "rate(2 minute)",
            "rate(0 minutes)",
            "rate(-1 minutes)",
            "rate(1 week)",
            "rate(minutes)",
            "rate(1 minute",
            "rate(1 minute extra)",
            "every minute",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        let r = parse("rate(1 minute)").unwrap();
        // Anchored at the time the rule was set: 1000 → 1060, 1120, ...
        assert_eq!(r.next_after(1000, 1000), Some(1060));
        assert_eq!(r.next_after(1059, 1000), Some(1060));
        assert_eq!(r.next_after(1060, 1000), Some(1120));
        assert_eq!(r.next_after(500, 1000), Some(1060));
    }

    #[test]
    fn cron_basic_forms() {
        // Every day at 12:00 UTC.
        assert_eq!(
            next("cron(0 12 * * ? *)", "2026-03-01T12:00:00Z").as_deref(),
            Some("2026-03-02T12:00:00+00:00")
        );
        // Every 15 minutes.
        assert_eq!(
            next("cron(0/15 * * * ? *)", "2026-03-01T10:07:00Z").as_deref(),
            Some("2026-03-01T10:15:00+00:00")
        );
        // 10:15 on the last day of the month.
        assert_eq!(
            next("cron(15 10 L * ? *)", "2026-02-01T00:00:00Z").as_deref(),
            Some("2026-02-28T10:15:00+00:00")
        );
    }

    #[test]
    fn cron_weekdays_are_one_based_from_sunday() {
        // 2026-03-01 is a Sunday. AWS 2 = MON.
        assert_eq!(
            next("cron(0 8 ? * 2 *)", "2026-03-01T00:00:00Z").as_deref(),
            Some("2026-03-02T08:00:00+00:00")
        );
        // 1 = SUN.
        assert_eq!(
            next("cron(0 8 ? * 1 *)", "2026-03-01T09:00:00Z").as_deref(),
            Some("2026-03-08T08:00:00+00:00")
        );
        // MON-FRI by name, from a Saturday.
        assert_eq!(
            next("cron(0 18 ? * MON-FRI *)", "2026-03-07T00:00:00Z").as_deref(),
            Some("2026-03-09T18:00:00+00:00")
        );
        // The third Friday (6#3) of March 2026 is the 20th.
        assert_eq!(
            next("cron(0 9 ? * 6#3 *)", "2026-03-01T00:00:00Z").as_deref(),
            Some("2026-03-20T09:00:00+00:00")
        );
    }

    #[test]
    fn cron_years() {
        assert_eq!(
            next("cron(0 0 1 1 ? 2030)", "2026-03-01T00:00:00Z").as_deref(),
            Some("2030-01-01T00:00:00+00:00")
        );
        assert_eq!(
            next("cron(0 0 1 6 ? 2027-2028)", "2027-07-01T00:00:00Z").as_deref(),
            Some("2028-06-01T00:00:00+00:00")
        );
        // A year range that is over fires never again.
        assert_eq!(next("cron(0 0 * * ? 2020)", "2026-03-01T00:00:00Z"), None);
        // Years with a step.
        assert_eq!(
            next("cron(0 0 1 1 ? 2026/2)", "2026-03-01T00:00:00Z").as_deref(),
            Some("2028-01-01T00:00:00+00:00")
        );
    }

    #[test]
    fn cron_refusals() {
        for bad in [
            "cron(0 12 * * * *)", // both day fields given
            "cron(0 12 ? * ? *)", // neither
            "cron(0 12 * * ?)",   // five fields
            "cron(0 12 * * ? * *)",
            "cron(61 12 * * ? *)",
            "cron(0 25 * * ? *)",
            "cron(0 12 * 13 ? *)",
            "cron(0 12 * * ? 1800)",
            "cron(0 12 * * ? x)",
            "cron(a b c d e f)",
            "cron()",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use proptest::prelude::*;

    fn field() -> impl Strategy<Value = String> {
        prop::string::string_regex("[0-9*?,/#LW-]{1,6}|MON|FRI|JAN|[0-9]{1,12}").unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// No expression a client can send panics the parser or the next-time computation.
        #[test]
        fn cron_never_panics(f in prop::collection::vec(field(), 6), after in -1i64..4_102_444_800) {
            let expr = format!("cron({})", f.join(" "));
            if let Some(t) = parse(&expr).and_then(|s| s.next_after(after, 0)) {
                prop_assert!(t > after);
            }
        }

        #[test]
        fn rate_never_panics(n in any::<i64>(), unit in "minutes?|hours?|days?", after in any::<i64>(), anchor in any::<i64>()) {
            if let Some(t) = parse(&format!("rate({n} {unit})")).and_then(|s| s.next_after(after, anchor)) {
                prop_assert!(t > after || t > anchor);
            }
        }

        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,40}") {
            let _ = parse(&s);
            let _ = parse(&format!("cron({s})"));
            let _ = parse(&format!("rate({s})"));
        }
    }
}
