//! Throttle and quota settings: which limit applies to a request.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A steady rate (requests per second) and a burst (the bucket's size).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    pub rate: f64,
    pub burst: i64,
}

impl Limit {
    /// The account-level default of every region: 10,000 requests per second, burst 5,000.
    pub const ACCOUNT: Limit = Limit {
        rate: 10_000.0,
        burst: 5_000,
    };

    pub(crate) fn burst_tokens(&self) -> f64 {
        self.burst.max(0) as f64
    }

    pub(crate) fn rate_per_second(&self) -> f64 {
        if self.rate.is_finite() {
            self.rate.max(0.0)
        } else {
            0.0
        }
    }

    /// The tighter of two limits (each field on its own).
    pub fn min(self, other: Limit) -> Limit {
        Limit {
            rate: self.rate.min(other.rate),
            burst: self.burst.min(other.burst),
        }
    }

    /// Reads `{rate, burst}` from a settings object under the given member names (API
    /// Gateway spells them differently per shape). Absent or negative members fall back to
    /// `base`'s.
    fn from_members(obj: &Value, rate: &[&str], burst: &[&str], base: Limit) -> Limit {
        let r = rate
            .iter()
            .find_map(|m| obj.get(*m).and_then(Value::as_f64))
            .filter(|r| *r >= 0.0);
        let b = burst
            .iter()
            .find_map(|m| obj.get(*m).and_then(Value::as_f64))
            .filter(|b| *b >= 0.0);
        Limit {
            rate: r.unwrap_or(base.rate),
            // saturating float → int conversion
            burst: b.map(|b| b as i64).unwrap_or(base.burst),
        }
    }

    /// A usage plan's `ThrottleSettings` (`{"burstLimit": n, "rateLimit": r}`), over `base`.
    pub fn from_throttle_settings(settings: &Value, base: Limit) -> Limit {
        Self::from_members(
            settings,
            &["rateLimit", "RateLimit"],
            &["burstLimit", "BurstLimit"],
            base,
        )
    }
}

const STAGE_RATE: &[&str] = &["throttlingRateLimit", "ThrottlingRateLimit"];
const STAGE_BURST: &[&str] = &["throttlingBurstLimit", "ThrottlingBurstLimit"];

/// Normalizes a method-settings key or a resource path for comparison: `~1` is `/` (the
/// patch-path escape), and leading slashes go.
fn norm_path(p: &str) -> String {
    p.replace("~1", "/").trim_start_matches('/').to_string()
}

/// The limit of a REST API method from its stage's `methodSettings` (a JSON object keyed
/// `"*/*"` or `"<resource path>/<HTTP method>"`, e.g. `"pets/{id}/GET"`, each holding
/// `throttlingRateLimit` / `throttlingBurstLimit`). The most specific setting wins:
/// `resource/METHOD`, then `resource/*`, then `*/*`, then the account default; a stage can
/// never go beyond the account's limit.
pub fn stage_method_limit(
    method_settings: &Value,
    resource_path: &str,
    http_method: &str,
) -> Limit {
    let Some(map) = method_settings.as_object() else {
        return Limit::ACCOUNT;
    };
    let want = norm_path(resource_path);
    let method = http_method.to_ascii_uppercase();
    let mut best: Option<(u8, &Value)> = None;
    for (k, v) in map {
        let k = norm_path(k);
        let Some((res, m)) = k.rsplit_once('/') else {
            continue;
        };
        let rank = if res == want && m.eq_ignore_ascii_case(&method) {
            3
        } else if res == want && m == "*" {
            2
        } else if res == "*" && m == "*" {
            1
        } else {
            continue;
        };
        if best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, v));
        }
    }
    let mut limit = Limit::ACCOUNT;
    // the wildcard applies below a specific setting's unset members
    if let Some(all) = map.get("*/*").or_else(|| map.get("/*/*")) {
        limit = Limit::from_members(all, STAGE_RATE, STAGE_BURST, limit);
    }
    if let Some((_, v)) = best {
        limit = Limit::from_members(v, STAGE_RATE, STAGE_BURST, limit);
    }
    limit.min(Limit::ACCOUNT)
}

/// The limit of an HTTP API route from its stage's `DefaultRouteSettings` and
/// `RouteSettings` (keyed by route key, e.g. `"GET /pets"`), capped by the account limit.
pub fn route_limit(
    default_route_settings: &Value,
    route_settings: &Value,
    route_key: &str,
) -> Limit {
    let mut limit = Limit::from_members(
        default_route_settings,
        STAGE_RATE,
        STAGE_BURST,
        Limit::ACCOUNT,
    );
    if let Some(s) = route_settings.get(route_key) {
        limit = Limit::from_members(s, STAGE_RATE, STAGE_BURST, limit);
    }
    limit.min(Limit::ACCOUNT)
}

/// A usage plan's quota period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum QuotaPeriod {
    Day,
    Week,
    Month,
}

/// A usage plan's `QuotaSettings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub limit: i64,
    /// Requests subtracted from the limit in the plan's first period (`null`, as the
    /// control plane stores an unset offset, is 0).
    #[serde(default, deserialize_with = "null_is_zero")]
    pub offset: i64,
    pub period: QuotaPeriod,
}

fn null_is_zero<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(Option::<i64>::deserialize(d)?.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn throttle_stage_method_most_specific_wins() {
        let s = json!({
            "*/*": {"throttlingRateLimit": 100.0, "throttlingBurstLimit": 50},
            "~1pets/GET": {"throttlingRateLimit": 5.0, "throttlingBurstLimit": 2},
            "pets/{id}/*": {"throttlingBurstLimit": 7},
        });
        assert_eq!(
            stage_method_limit(&s, "/pets", "GET"),
            Limit {
                rate: 5.0,
                burst: 2
            }
        );
        assert_eq!(
            stage_method_limit(&s, "/pets/{id}", "DELETE"),
            Limit {
                rate: 100.0,
                burst: 7
            }
        );
        assert_eq!(
            stage_method_limit(&s, "/other", "POST"),
            Limit {
                rate: 100.0,
                burst: 50
            }
        );
        assert_eq!(stage_method_limit(&json!({}), "/", "GET"), Limit::ACCOUNT);
        // never above the account
        let high = json!({"*/*": {"throttlingRateLimit": 1e9, "throttlingBurstLimit": 1_000_000}});
        assert_eq!(stage_method_limit(&high, "/", "GET"), Limit::ACCOUNT);
    }

    #[test]
    fn throttle_route_settings() {
        let d = json!({"ThrottlingRateLimit": 20.0, "ThrottlingBurstLimit": 10});
        let r = json!({"GET /pets": {"ThrottlingBurstLimit": 1}});
        assert_eq!(
            route_limit(&d, &r, "GET /pets"),
            Limit {
                rate: 20.0,
                burst: 1
            }
        );
        assert_eq!(
            route_limit(&d, &r, "$default"),
            Limit {
                rate: 20.0,
                burst: 10
            }
        );
        assert_eq!(route_limit(&Value::Null, &Value::Null, "x"), Limit::ACCOUNT);
    }

    #[test]
    fn throttle_quota_shape() {
        let q: Quota =
            serde_json::from_value(json!({"limit": 5, "offset": 1, "period": "WEEK"})).unwrap();
        assert_eq!(q.period, QuotaPeriod::Week);
        let q: Quota = serde_json::from_value(json!({"limit": 5, "period": "DAY"})).unwrap();
        let stored: Quota =
            serde_json::from_value(json!({"limit": 5, "offset": null, "period": "DAY"})).unwrap();
        assert_eq!(stored, q);
        assert_eq!(q.offset, 0);
    }
}
