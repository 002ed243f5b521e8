//! Lambda authorizers (TOKEN and REQUEST) and API keys on the data plane.
//!
//! The authorizer function gets API Gateway's event, returns `principalId`, an IAM
//! `policyDocument` (Allow/Deny on `execute-api:Invoke` with `*`/`?` wildcards in the
//! resource ARN), an optional `context` and `usageIdentifierKey`. Results are cached per
//! authorizer and identity for `authorizerResultTtlInSeconds`.

use super::integrations::{function_of, invoke};
use super::invoke::{Call, message};
use super::ops::{Cx, keys};
use super::store::{Db, Scope};
use crate::throttle::{self, KeyGrant};
use serde_json::{Map, Value, json};
use std::time::{Duration, Instant};

pub const UNAUTHORIZED: &str = r#"{"message":"Unauthorized"}"#;
pub const EXPLICIT_DENY: &str =
    r#"{"Message":"User is not authorized to access this resource with an explicit deny"}"#;
pub const NOT_AUTHORIZED: &str = r#"{"Message":"User is not authorized to access this resource"}"#;

/// What an authorizer said about an identity.
#[derive(Debug, Clone)]
pub struct AuthOutcome {
    pub principal_id: Option<String>,
    pub policy: Value,
    pub context: Map<String, Value>,
    pub usage_identifier_key: Option<String>,
}

impl AuthOutcome {
    /// `requestContext.authorizer`: `principalId` plus the context values.
    pub fn context_value(&self) -> Value {
        let mut m = self.context.clone();
        if let Some(p) = &self.principal_id {
            m.insert("principalId".into(), json!(p));
        }
        m.insert("integrationLatency".into(), json!(0));
        Value::Object(m)
    }
}

/// `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<resource path>`.
pub fn method_arn(call: &Call<'_>) -> String {
    format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}{}",
        call.ctx.region,
        call.ctx.account_id,
        call.api.api.id,
        call.stage.stage_name,
        call.req.method.as_str().to_ascii_uppercase(),
        call.path
    )
}

/// `*` any run of characters, `?` one character.
pub fn wildcard(pattern: &str, s: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), s.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

/// Evaluates the policy for `arn`: `Some(true)` allow, `Some(false)` explicit deny, `None`
/// no matching statement.
pub fn evaluate(policy: &Value, arn: &str) -> Option<bool> {
    let mut allowed = None;
    for st in as_list(&policy["Statement"]) {
        let action_ok = as_list(&st["Action"])
            .iter()
            .filter_map(|a| a.as_str())
            .any(|a| wildcard(&a.to_ascii_lowercase(), "execute-api:invoke"));
        let resource_ok = as_list(&st["Resource"])
            .iter()
            .filter_map(|r| r.as_str())
            .any(|r| wildcard(r, arn));
        if !(action_ok && resource_ok) {
            continue;
        }
        match st["Effect"].as_str() {
            Some(e) if e.eq_ignore_ascii_case("deny") => return Some(false),
            Some(e) if e.eq_ignore_ascii_case("allow") => allowed = Some(true),
            _ => {}
        }
    }
    allowed
}

/// Reads one identity source (`method.request.header.X`, `method.request.querystring.x`,
/// `stageVariables.x`, `context.x`).
fn identity_value(call: &Call<'_>, source: &str) -> Option<String> {
    let source = source.trim();
    if let Some(h) = source.strip_prefix("method.request.header.") {
        return call.req.header(h).map(str::to_string);
    }
    if let Some(q) = source.strip_prefix("method.request.querystring.") {
        return call
            .query
            .iter()
            .rev()
            .find(|(k, _)| k == q)
            .map(|(_, v)| v.clone());
    }
    if let Some(p) = source.strip_prefix("method.request.path.") {
        return call.path_params.get(p).cloned();
    }
    if let Some(v) = source.strip_prefix("stageVariables.") {
        return call.stage.variables.as_ref()?.get(v).cloned();
    }
    if let Some(c) = source.strip_prefix("context.") {
        let mut v = &call.context;
        for p in c.split('.') {
            v = &v[p];
        }
        return v.as_str().map(str::to_string);
    }
    None
}

/// Cached Lambda authorizer results, keyed by [`cache_key`].
#[derive(Default)]
pub struct AuthCache {
    entries: std::sync::Mutex<std::collections::BTreeMap<String, (Instant, AuthOutcome)>>,
}

/// The cache-key prefix of one stage's results.
pub fn stage_prefix(account: &str, region: &str, api: &str, stage: &str) -> String {
    format!("{account}\0{region}\0{api}\0{stage}\0")
}

impl AuthCache {
    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, (Instant, AuthOutcome)>> {
        // a poisoned cache only holds authorizer answers; keep using it
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, key: &str, ttl: Duration) -> Option<AuthOutcome> {
        let cache = self.lock();
        let (at, outcome) = cache.get(key)?;
        (at.elapsed() < ttl).then(|| outcome.clone())
    }

    fn put(&self, key: String, outcome: AuthOutcome) {
        let mut cache = self.lock();
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(key, (Instant::now(), outcome));
    }

    /// Drops a stage's results (FlushStageAuthorizersCache); the number dropped.
    pub fn flush_stage(&self, prefix: &str) -> usize {
        let mut cache = self.lock();
        let keys: Vec<String> = cache
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            cache.remove(k);
        }
        keys.len()
    }
}

/// Runs the method's authorizer: `Ok` with the outcome to pass on, or the response to send.
pub async fn authorize(call: &Call<'_>) -> Result<AuthOutcome, lamina_wire::HttpResponse> {
    let Some(a) = call
        .method
        .authorizer_id
        .as_ref()
        .and_then(|id| call.api.authorizers.get(id))
    else {
        return Err(message(500, super::invoke::INTERNAL));
    };
    let sources: Vec<&str> = a
        .identity_source
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .collect();
    let mut identity = Vec::new();
    for s in &sources {
        match identity_value(call, s) {
            Some(v) if !v.is_empty() => identity.push(v),
            _ => return Err(message(401, UNAUTHORIZED)),
        }
    }
    let arn = method_arn(call);
    if a.kind == "TOKEN"
        && let Some(expr) = a.identity_validation_expression.as_deref()
        && let Ok(re) = regex_lite::Regex::new(&format!("^(?:{expr})$"))
        && !identity.first().is_some_and(|t| re.is_match(t))
    {
        return Err(message(401, UNAUTHORIZED));
    }
    let ttl = a.authorizer_result_ttl_in_seconds.unwrap_or(300).max(0) as u64;
    let cache_key = format!(
        "{}{}\0{}",
        stage_prefix(
            &call.ctx.account_id,
            &call.ctx.region,
            &call.api.api.id,
            &call.stage.stage_name
        ),
        a.id,
        identity.join("\0")
    );
    let cached = (ttl > 0 && !sources.is_empty())
        .then(|| call.gw.auth_cache.get(&cache_key, Duration::from_secs(ttl)))
        .flatten();
    let outcome = match cached {
        Some(o) => o,
        None => {
            let event = if a.kind == "TOKEN" {
                json!({"type": "TOKEN", "authorizationToken": identity.first(), "methodArn": arn})
            } else {
                let mut e = super::integrations::proxy_event(call);
                e["type"] = json!("REQUEST");
                e["methodArn"] = json!(arn);
                e
            };
            let Some(function) = a.authorizer_uri.as_deref().and_then(function_of) else {
                return Err(message(500, r#"{"message": null}"#));
            };
            let timeout = Duration::from_secs(30);
            let resp = match invoke(call, &function, &event, timeout).await {
                Ok(r) => r,
                Err(_) => return Err(message(500, r#"{"message": null}"#)),
            };
            let body: Value = serde_json::from_slice(&resp.payload).unwrap_or(Value::Null);
            if resp.function_error.is_some() {
                if body["errorMessage"] == "Unauthorized" {
                    return Err(message(401, UNAUTHORIZED));
                }
                return Err(message(500, r#"{"message": null}"#));
            }
            if !body["policyDocument"].is_object() {
                return Err(message(500, r#"{"message": null}"#));
            }
            // Context values must be strings, numbers or booleans: an object or an array is
            // an authorizer configuration error on AWS (500), not something to stringify.
            if body["context"]
                .as_object()
                .is_some_and(|m| m.values().any(|v| v.is_object() || v.is_array()))
            {
                tracing::info!("authorizer context holds an object or array");
                return Err(message(500, r#"{"message": null}"#));
            }
            let o = AuthOutcome {
                principal_id: body["principalId"].as_str().map(str::to_string),
                policy: body["policyDocument"].clone(),
                context: body["context"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| {
                                let v = match v {
                                    Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                                        v.clone()
                                    }
                                    other => json!(other.to_string()),
                                };
                                (k.clone(), v)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                usage_identifier_key: body["usageIdentifierKey"].as_str().map(str::to_string),
            };
            if ttl > 0 && !sources.is_empty() {
                call.gw.auth_cache.put(cache_key, o.clone());
            }
            o
        }
    };
    match evaluate(&outcome.policy, &arn) {
        Some(true) => Ok(outcome),
        Some(false) => Err(message(403, EXPLICIT_DENY)),
        None => Err(message(403, NOT_AUTHORIZED)),
    }
}

/// Runs the method's COGNITO_USER_POOLS authorizer ([`super::cognito`]): the value of
/// `requestContext.authorizer`, or the response to send.
pub async fn cognito(call: &Call<'_>) -> Result<Value, lamina_wire::HttpResponse> {
    let Some(a) = call
        .method
        .authorizer_id
        .as_ref()
        .and_then(|id| call.api.authorizers.get(id))
    else {
        return Err(message(500, super::invoke::INTERNAL));
    };
    let source = a
        .identity_source
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("method.request.header.Authorization");
    let identity = identity_value(call, source.split(',').next().unwrap_or(source));
    super::cognito::authorize(call, a, identity).await
}

/// Checks the API key presented for the call; the grant (for throttling) and the key id.
pub async fn api_key(call: &Call<'_>, presented: Option<&str>) -> Option<(KeyGrant, String)> {
    let presented = presented.filter(|p| !p.is_empty())?;
    let db = Db {
        store: call.gw.store.clone(),
    };
    let cx = Cx {
        db: &db,
        scope: Scope {
            account: call.ctx.account_id.clone(),
            region: call.ctx.region.clone(),
        },
    };
    let all = keys::all_keys(&cx).await.ok()?;
    let key = all
        .into_iter()
        .find(|k| k.value.as_deref() == Some(presented))?;
    let tk = throttle::ApiKey {
        id: key.id.clone(),
        value: key.value.clone().unwrap_or_default(),
        enabled: key.enabled,
    };
    let plans: Vec<throttle::UsagePlan> = keys::all_plans(&cx)
        .await
        .ok()?
        .into_iter()
        .filter(|p| p.keys.contains_key(&key.id))
        .filter_map(|p| serde_json::from_value(serde_json::to_value(&p.plan).ok()?).ok())
        .collect();
    let grant = throttle::authorize_key(
        Some(presented),
        Some(&tk),
        &plans,
        &call.api.api.id,
        &call.stage.stage_name,
        &call.resource.path,
        &call.method.http_method,
    )?;
    Some((grant, key.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_auth_cache_flushes_one_stage() {
        let c = AuthCache::default();
        let o = AuthOutcome {
            principal_id: Some("p".into()),
            policy: Value::Null,
            context: Map::new(),
            usage_identifier_key: None,
        };
        let prod = stage_prefix("1", "r", "api", "prod");
        let dev = stage_prefix("1", "r", "api", "dev");
        let prod2 = stage_prefix("1", "r", "api", "prod2");
        c.put(format!("{prod}a\0t1"), o.clone());
        c.put(format!("{prod}a\0t2"), o.clone());
        c.put(format!("{dev}a\0t1"), o.clone());
        c.put(format!("{prod2}a\0t1"), o);
        let ttl = Duration::from_secs(60);
        assert!(c.get(&format!("{prod}a\0t1"), ttl).is_some());
        assert!(c.get(&format!("{prod}a\0t1"), Duration::ZERO).is_none());
        assert_eq!(c.flush_stage(&prod), 2);
        assert!(c.get(&format!("{prod}a\0t1"), ttl).is_none());
        assert!(c.get(&format!("{dev}a\0t1"), ttl).is_some());
        assert!(c.get(&format!("{prod2}a\0t1"), ttl).is_some());
    }

    #[test]
    fn v1_policy_wildcards() {
        assert!(wildcard(
            "arn:aws:execute-api:*:*:abc/*/GET/*",
            "arn:aws:execute-api:us-east-1:1:abc/prod/GET/pets"
        ));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("a?c", "abbc"));
        assert!(wildcard("*", ""));
        let arn = "arn:aws:execute-api:us-east-1:1:abc/prod/GET/pets";
        let allow = json!({"Version": "2012-10-17", "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "arn:aws:execute-api:us-east-1:1:abc/*"}]});
        assert_eq!(evaluate(&allow, arn), Some(true));
        let deny = json!({"Statement": [
            {"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": ["*"]},
            {"Action": "execute-api:*", "Effect": "Deny", "Resource": arn}]});
        assert_eq!(evaluate(&deny, arn), Some(false));
        let other = json!({"Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "arn:aws:execute-api:us-east-1:1:abc/prod/POST/*"}]});
        assert_eq!(evaluate(&other, arn), None);
    }
}
