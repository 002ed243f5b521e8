//! API keys and usage plans as the data plane sees them.

use super::{BucketKey, Limit, Quota};
use serde::Deserialize;
use serde_json::Value;

/// The parts of an `ApiKey` record the data plane needs (API Gateway's `ApiKey` JSON shape
/// deserializes into it; other members are ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    pub id: String,
    pub value: String,
    #[serde(default)]
    pub enabled: bool,
}

/// One `apiStages` entry of a usage plan.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiStage {
    pub api_id: String,
    pub stage: String,
    /// Per-method throttles keyed `"/<resource path>/<HTTP method>"` (e.g. `"/pets/GET"`),
    /// each a `ThrottleSettings` object.
    #[serde(default)]
    pub throttle: Option<serde_json::Map<String, Value>>,
}

/// The parts of a `UsagePlan` record the data plane needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsagePlan {
    pub id: String,
    #[serde(default)]
    pub api_stages: Vec<ApiStage>,
    /// `ThrottleSettings` (`burstLimit`, `rateLimit`).
    #[serde(default)]
    pub throttle: Option<Value>,
    #[serde(default)]
    pub quota: Option<Quota>,
}

/// A key accepted for a request: whose it is and what its plan allows.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyGrant {
    pub key_id: String,
    pub plan_id: String,
    /// The plan's throttle for this method, if the plan has one; `per_method` is the method
    /// key when the limit came from the API stage's per-method throttle.
    pub throttle: Option<Limit>,
    pub per_method: Option<String>,
    pub quota: Option<Quota>,
}

impl KeyGrant {
    /// The bucket to pass to [`super::Throttles::check`] for this key, if the plan throttles.
    pub fn bucket(&self, account: &str, region: &str) -> Option<(BucketKey, Limit)> {
        self.throttle.map(|limit| {
            (
                BucketKey::plan_key(
                    account,
                    region,
                    &self.plan_id,
                    &self.key_id,
                    self.per_method.as_deref(),
                ),
                limit,
            )
        })
    }
}

/// Checks the key a client presented for a method that requires one.
///
/// `presented` is the `x-api-key` header (or the authorizer's `usageIdentifierKey`), `key`
/// the record the caller found by that value (or `None`), and `plans` the usage plans the
/// key is attached to (through usage-plan keys). `None` means 403 `{"message":"Forbidden"}`:
/// no key, an unknown or disabled key, or no plan of the key covering `api_id`/`stage`.
pub fn authorize_key(
    presented: Option<&str>,
    key: Option<&ApiKey>,
    plans: &[UsagePlan],
    api_id: &str,
    stage: &str,
    resource_path: &str,
    http_method: &str,
) -> Option<KeyGrant> {
    let presented = presented.filter(|p| !p.is_empty())?;
    let key = key.filter(|k| k.enabled && k.value == presented)?;
    for plan in plans {
        let Some(api_stage) = plan
            .api_stages
            .iter()
            .find(|s| s.api_id == api_id && s.stage == stage)
        else {
            continue;
        };
        let plan_limit = plan
            .throttle
            .as_ref()
            .map(|t| Limit::from_throttle_settings(t, Limit::ACCOUNT));
        let method_key = format!(
            "/{}/{}",
            resource_path.trim_start_matches('/'),
            http_method.to_ascii_uppercase()
        );
        let method_key = method_key.replace("//", "/");
        let per_method = api_stage.throttle.as_ref().and_then(|m| {
            m.iter()
                .find(|(k, _)| k.replace("~1", "/") == method_key)
                .map(|(_, v)| v)
        });
        let (throttle, per_method) = match per_method {
            Some(v) => (
                Some(Limit::from_throttle_settings(
                    v,
                    plan_limit.unwrap_or(Limit::ACCOUNT),
                )),
                Some(method_key),
            ),
            None => (plan_limit, None),
        };
        return Some(KeyGrant {
            key_id: key.id.clone(),
            plan_id: plan.id.clone(),
            throttle,
            per_method,
            quota: plan.quota,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(enabled: bool) -> ApiKey {
        serde_json::from_value(json!({"id": "k1", "value": "secret-value-0123456789", "enabled": enabled, "name": "n"}))
            .unwrap()
    }

    fn plan() -> UsagePlan {
        serde_json::from_value(json!({
            "id": "p1", "name": "basic",
            "apiStages": [{"apiId": "a1", "stage": "prod", "throttle": {"/pets/GET": {"burstLimit": 1, "rateLimit": 0.5}}}],
            "throttle": {"burstLimit": 10, "rateLimit": 5.0},
            "quota": {"limit": 100, "offset": 0, "period": "MONTH"}
        }))
        .unwrap()
    }

    #[test]
    fn throttle_key_forbidden_cases() {
        let k = key(true);
        let plans = [plan()];
        let v = Some("secret-value-0123456789");
        let ok = |p, k: Option<&ApiKey>, api, stage| {
            authorize_key(p, k, &plans, api, stage, "/", "GET").is_some()
        };
        assert!(ok(v, Some(&k), "a1", "prod"));
        assert!(!ok(None, Some(&k), "a1", "prod"), "no key presented");
        assert!(!ok(Some(""), Some(&k), "a1", "prod"), "empty key");
        assert!(!ok(Some("other"), Some(&k), "a1", "prod"), "wrong value");
        assert!(!ok(v, None, "a1", "prod"), "unknown key");
        assert!(!ok(v, Some(&key(false)), "a1", "prod"), "disabled key");
        assert!(!ok(v, Some(&k), "a1", "dev"), "stage not in plan");
        assert!(!ok(v, Some(&k), "a2", "prod"), "api not in plan");
        assert!(authorize_key(v, Some(&k), &[], "a1", "prod", "/", "GET").is_none());
    }

    #[test]
    fn throttle_key_grant_limits() {
        let k = key(true);
        let plans = [plan()];
        let v = Some("secret-value-0123456789");
        let g = authorize_key(v, Some(&k), &plans, "a1", "prod", "/pets", "get").unwrap();
        assert_eq!(
            g.throttle,
            Some(Limit {
                rate: 0.5,
                burst: 1
            })
        );
        assert_eq!(g.per_method.as_deref(), Some("/pets/GET"));
        assert_eq!(g.quota.map(|q| q.limit), Some(100));
        let g = authorize_key(v, Some(&k), &plans, "a1", "prod", "/pets", "POST").unwrap();
        assert_eq!(
            g.throttle,
            Some(Limit {
                rate: 5.0,
                burst: 10
            })
        );
        assert_eq!(g.per_method, None);
        let (bk, _) = g.bucket("1", "r").unwrap();
        assert_eq!(bk, BucketKey::plan_key("1", "r", "p1", "k1", None));
    }
}
