//! Lambda REQUEST authorizers for HTTP APIs: identity sources, the 2.0 and 1.0 authorizer
//! events, simple (`isAuthorized`) and IAM-policy responses, and caching of results by
//! identity values for `AuthorizerResultTtlInSeconds`.

use super::event::{self, Request};
use crate::v2::types::Authorizer;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The outcome of authorizing a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Allowed, with the context handed to the integration.
    Allow(Value),
    /// 403 Forbidden.
    Deny,
    /// 401 Unauthorized (an identity source is missing).
    Unauthorized,
    /// 500 (the authorizer failed or answered something unreadable).
    Error,
}

/// The value of one identity source (`$request.header.X`, `$request.querystring.x`,
/// `$context.x`, `$stageVariables.x`) for this request.
pub fn identity_value(r: &Request, source: &str) -> Option<String> {
    if let Some(h) = source.strip_prefix("$request.header.") {
        let h = h.to_ascii_lowercase();
        let vals: Vec<&str> = r
            .headers
            .iter()
            .filter(|(k, _)| *k == h)
            .map(|(_, v)| v.as_str())
            .collect();
        return (!vals.is_empty()).then(|| vals.join(","));
    }
    if let Some(q) = source.strip_prefix("$request.querystring.") {
        let vals: Vec<String> = r
            .query_pairs()
            .into_iter()
            .filter(|(k, _)| k == q)
            .map(|(_, v)| v)
            .collect();
        return (!vals.is_empty()).then(|| vals.join(","));
    }
    if let Some(s) = source.strip_prefix("$stageVariables.") {
        return r.stage_vars.get(s).cloned();
    }
    if let Some(c) = source.strip_prefix("$context.") {
        return match c {
            "requestId" => Some(r.request_id.clone()),
            "stage" => Some(r.stage.clone()),
            "apiId" => Some(r.api_id.clone()),
            "routeKey" => Some(r.route_key.clone()),
            "httpMethod" => Some(r.method.clone()),
            "identity.sourceIp" => Some(r.source_ip.clone()),
            _ => None,
        };
    }
    None
}

/// `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>`.
pub fn route_arn(r: &Request, region: &str, path_in_stage: &str) -> String {
    format!(
        "arn:aws:execute-api:{region}:{}:{}/{}/{}{}",
        r.account_id, r.api_id, r.stage, r.method, path_in_stage
    )
}

/// The authorizer event of the given payload format.
pub fn event(a: &Authorizer, r: &Request, arn: &str, identity: &[String]) -> Value {
    if a.authorizer_payload_format_version.as_deref() == Some("1.0") {
        let mut e = event::event_v1(r);
        e["type"] = json!("REQUEST");
        e["methodArn"] = json!(arn);
        e["identitySource"] = json!(identity.join(","));
        if let Some(o) = e.as_object_mut() {
            o.remove("body");
            o.remove("isBase64Encoded");
        }
        e
    } else {
        let mut e = event::event_v2(r);
        e["type"] = json!("REQUEST");
        e["routeArn"] = json!(arn);
        e["identitySource"] = json!(identity);
        if let Some(o) = e.as_object_mut() {
            o.remove("body");
            o.remove("isBase64Encoded");
            if let Some(rc) = o.get_mut("requestContext").and_then(Value::as_object_mut) {
                rc.remove("authorizer");
            }
        }
        e
    }
}

/// `*` and `?` glob matching as IAM resources use it (iterative, no recursion).
fn glob(pattern: &str, s: &str) -> bool {
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
    p[pi..].iter().all(|c| *c == '*')
}

fn as_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads the function's answer: a simple response when enabled, otherwise an IAM policy
/// (an explicit Deny wins; some Allow must match `arn`).
pub fn decide(simple: bool, payload: &[u8], arn: &str, v1: bool) -> Outcome {
    let Ok(v) = serde_json::from_slice::<Value>(payload) else {
        return Outcome::Error;
    };
    let context = v.get("context").cloned().unwrap_or_else(|| json!({}));
    if simple {
        return match v.get("isAuthorized").and_then(Value::as_bool) {
            Some(true) => Outcome::Allow(context),
            Some(false) => Outcome::Deny,
            None => Outcome::Error,
        };
    }
    let Some(statements) = v.pointer("/policyDocument/Statement") else {
        return Outcome::Error;
    };
    let statements: Vec<Value> = match statements {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    let mut allowed = false;
    for s in &statements {
        let actions = as_list(s.get("Action"));
        if !actions.iter().any(|a| glob(a, "execute-api:Invoke")) {
            continue;
        }
        if !as_list(s.get("Resource")).iter().any(|r| glob(r, arn)) {
            continue;
        }
        match s.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return Outcome::Deny,
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    if !allowed {
        return Outcome::Deny;
    }
    let mut ctx = context;
    if v1 && let (Some(o), Some(p)) = (ctx.as_object_mut(), v.get("principalId")) {
        o.insert("principalId".into(), p.clone());
    }
    if !v1 && let Some(p) = v.get("principalId") {
        // 2.0 integrations see the principal next to the context.
        if let Some(o) = ctx.as_object_mut() {
            o.entry("principalId").or_insert(p.clone());
        }
    }
    Outcome::Allow(ctx)
}

struct Entry {
    outcome: Outcome,
    until: Instant,
}

fn cache() -> &'static Mutex<HashMap<String, Entry>> {
    static C: OnceLock<Mutex<HashMap<String, Entry>>> = OnceLock::new();
    C.get_or_init(Default::default)
}

/// A cached outcome for this authorizer and identity, if still fresh.
pub fn cached(key: &str) -> Option<Outcome> {
    let c = cache().lock().unwrap_or_else(|p| p.into_inner());
    c.get(key)
        .filter(|e| e.until > Instant::now())
        .map(|e| e.outcome.clone())
}

/// Remembers an outcome for `ttl` seconds (nothing when 0).
pub fn remember(key: String, outcome: &Outcome, ttl: i64) {
    if ttl <= 0 || matches!(outcome, Outcome::Error | Outcome::Unauthorized) {
        return;
    }
    let mut c = cache().lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    if c.len() > 10_000 {
        c.retain(|_, e| e.until > now);
    }
    c.insert(
        key,
        Entry {
            outcome: outcome.clone(),
            until: now + Duration::from_secs(ttl.unsigned_abs().min(3600)),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_authorizer_simple_responses() {
        assert_eq!(
            decide(
                true,
                br#"{"isAuthorized":true,"context":{"u":"1"}}"#,
                "arn",
                false
            ),
            Outcome::Allow(json!({"u": "1"}))
        );
        assert_eq!(
            decide(true, br#"{"isAuthorized":false}"#, "arn", false),
            Outcome::Deny
        );
        assert_eq!(decide(true, br#"{"nope":1}"#, "arn", false), Outcome::Error);
        assert_eq!(decide(true, b"xx", "arn", false), Outcome::Error);
    }

    #[test]
    fn v2_authorizer_policies() {
        let arn = "arn:aws:execute-api:us-east-1:000000000000:abc/prod/GET/pets";
        let allow = br#"{"principalId":"me","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:000000000000:abc/*"}]},"context":{"k":"v"}}"#;
        assert_eq!(
            decide(false, allow, arn, true),
            Outcome::Allow(json!({"k": "v", "principalId": "me"}))
        );
        let deny = br#"{"principalId":"me","policyDocument":{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"*"},{"Action":"*","Effect":"Deny","Resource":["arn:aws:execute-api:*:*:abc/prod/GET/*"]}]}}"#;
        assert_eq!(decide(false, deny, arn, false), Outcome::Deny);
        let other = br#"{"policyDocument":{"Statement":[{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:us-east-1:000000000000:xyz/*"}]}}"#;
        assert_eq!(decide(false, other, arn, false), Outcome::Deny);
    }

    #[test]
    fn v2_identity_sources() {
        let r = Request {
            headers: vec![("authorization".into(), "tok".into())],
            query: "k=1".into(),
            stage_vars: [("sv".to_string(), "x".to_string())].into(),
            ..Default::default()
        };
        assert_eq!(
            identity_value(&r, "$request.header.Authorization").as_deref(),
            Some("tok")
        );
        assert_eq!(
            identity_value(&r, "$request.querystring.k").as_deref(),
            Some("1")
        );
        assert_eq!(
            identity_value(&r, "$stageVariables.sv").as_deref(),
            Some("x")
        );
        assert_eq!(identity_value(&r, "$request.header.missing"), None);
    }

    #[test]
    fn v2_glob() {
        assert!(glob("a*c", "abbbc"));
        assert!(glob("*", ""));
        assert!(!glob("a?c", "ac"));
        assert!(glob("arn:*:abc/*/GET/*", "arn:x:abc/prod/GET/p/q"));
    }

    #[test]
    fn v2_authorizer_cache() {
        remember("k-test".into(), &Outcome::Deny, 60);
        assert_eq!(cached("k-test"), Some(Outcome::Deny));
        remember("k-zero".into(), &Outcome::Deny, 0);
        assert_eq!(cached("k-zero"), None);
    }
}
