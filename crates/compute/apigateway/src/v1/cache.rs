//! Response caching of REST API stages (the stage's "cache cluster"), as the API Gateway
//! developer guide describes it:
//!
//! * a response is cached only when the stage has `cacheClusterEnabled` and the method's
//!   effective method setting has `cachingEnabled` with a TTL above 0 (default 300 s, at most
//!   3600 s). The effective setting is the method's own entry (`/~1pets/GET/caching/enabled`)
//!   when there is one, else the stage-wide `*/*` entry, which caches GET requests only;
//! * the cache key is the integration's `cacheNamespace` (the resource id by default), the
//!   verb, and the values of the integration's `cacheKeyParameters`
//!   (`method.request.{path,querystring,header,multivaluequerystring,multivalueheader}.<name>`);
//!   other query strings and headers do not vary the key;
//! * `Cache-Control: max-age=0` on a request bypasses the entry and replaces it with the fresh
//!   response, when `requireAuthorizationForCacheControl` is off or the caller is authorized;
//!   an unauthorized caller gets `unauthorizedCacheControlHeaderStrategy`: `FAIL_WITH_403`,
//!   `SUCCEED_WITH_RESPONSE_HEADER` (served from the cache with a `Warning` header) or
//!   `SUCCEED_WITHOUT_RESPONSE_HEADER`;
//! * FlushStageCache drops every entry of a stage; responses over 1 MB are not cached.
//!
//! Known differences: the cache lives in the memory of the process (a cache may be rebuilt; on
//! a scale-out deployment each node has its own, and FlushStageCache flushes the node that
//! serves it); its capacity is the cluster size in GB capped at 64 MiB per stage, oldest
//! entries evicted first. "Authorized" to invalidate means the request is SigV4-signed
//! (`Authorization: AWS4-HMAC-SHA256 ...` or a presigned `X-Amz-Signature`); IAM policies
//! (`execute-api:InvalidateCache`) are not evaluated. Responses of every status the
//! integration returned below 500 are cached; gateway errors (5xx) are not.

use super::types::{MethodSetting, Stage};
use lamina_wire::HttpResponse;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The largest response body API Gateway caches.
pub const MAX_ENTRY_BYTES: usize = 1_048_576;
/// The memory one stage's cache may use in Lamina, whatever its cluster size.
const MAX_STAGE_BYTES: usize = 64 << 20;
pub const DEFAULT_TTL: i64 = 300;
pub const MAX_TTL: i64 = 3600;
/// The sizes `cacheClusterSize` accepts (GB).
pub const CLUSTER_SIZES: &[&str] = &["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"];

pub const WARNING: &str =
    "199 \"Cache-control headers were ignored because the caller was unauthorized.\"";

struct Entry {
    stored: Instant,
    expires: Instant,
    resp: HttpResponse,
}

impl Entry {
    fn bytes(&self, key: &str) -> usize {
        key.len()
            + self.resp.body.len()
            + self
                .resp
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }
}

#[derive(Default)]
struct StageCache {
    entries: HashMap<String, Entry>,
    bytes: usize,
}

/// All stage caches of the process, keyed by account, region, API and stage.
#[derive(Default)]
pub struct ResponseCache {
    stages: Mutex<HashMap<String, StageCache>>,
}

pub fn stage_key(account: &str, region: &str, api: &str, stage: &str) -> String {
    format!("{account}\0{region}\0{api}\0{stage}")
}

/// The capacity of a stage cache in bytes.
fn capacity(size: Option<&str>) -> usize {
    let gb: f64 = size.and_then(|s| s.parse().ok()).unwrap_or(0.5);
    ((gb * (1u64 << 30) as f64) as usize).min(MAX_STAGE_BYTES)
}

impl ResponseCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, StageCache>> {
        // a poisoned cache only holds responses; keep using it
        self.stages.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, stage: &str, key: &str, now: Instant) -> Option<HttpResponse> {
        let mut stages = self.lock();
        let sc = stages.get_mut(stage)?;
        let e = sc.entries.get(key)?;
        if e.expires > now {
            return Some(e.resp.clone());
        }
        let bytes = e.bytes(key);
        sc.entries.remove(key);
        sc.bytes -= bytes;
        None
    }

    pub fn put(
        &self,
        stage: &str,
        cluster_size: Option<&str>,
        key: String,
        ttl: Duration,
        resp: &HttpResponse,
        now: Instant,
    ) {
        if resp.body.len() > MAX_ENTRY_BYTES {
            return;
        }
        let cap = capacity(cluster_size);
        let mut stages = self.lock();
        let sc = stages.entry(stage.to_string()).or_default();
        if let Some(old) = sc.entries.remove(&key) {
            sc.bytes -= old.bytes(&key);
        }
        let entry = Entry {
            stored: now,
            expires: now + ttl,
            resp: resp.clone(),
        };
        let size = entry.bytes(&key);
        if size > cap {
            return;
        }
        if sc.bytes + size > cap {
            let expired: Vec<String> = sc
                .entries
                .iter()
                .filter(|(_, e)| e.expires <= now)
                .map(|(k, _)| k.clone())
                .collect();
            for k in expired {
                if let Some(e) = sc.entries.remove(&k) {
                    sc.bytes -= e.bytes(&k);
                }
            }
        }
        while sc.bytes + size > cap {
            let Some(oldest) = sc
                .entries
                .iter()
                .min_by_key(|(_, e)| e.stored)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = sc.entries.remove(&oldest) {
                sc.bytes -= e.bytes(&oldest);
            }
        }
        sc.bytes += size;
        sc.entries.insert(key, entry);
    }

    /// Drops every entry of a stage (FlushStageCache, or caching switched off).
    pub fn flush(&self, stage: &str) {
        self.lock().remove(stage);
    }

    /// Number of live entries of a stage (tests).
    pub fn len(&self, stage: &str) -> usize {
        self.lock().get(stage).map_or(0, |s| s.entries.len())
    }
}

/// The method-settings key of a method: `~1pets~1{id}/GET`.
pub fn settings_key(resource_path: &str, verb: &str) -> String {
    format!("{}/{verb}", resource_path.replace('/', "~1"))
}

/// How one request uses the cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub ttl: Duration,
    pub require_authorization: bool,
    /// `FAIL_WITH_403`, `SUCCEED_WITH_RESPONSE_HEADER` or `SUCCEED_WITHOUT_RESPONSE_HEADER`.
    pub unauthorized_strategy: String,
}

/// The caching policy of a request to `resource_path` with method `method_verb` (the
/// method's own verb, possibly `ANY`) and request verb `request_verb`; `None` when the
/// response is not cached.
pub fn policy(
    stage: &Stage,
    resource_path: &str,
    method_verb: &str,
    request_verb: &str,
) -> Option<Policy> {
    if !stage.cache_cluster_enabled {
        return None;
    }
    let own = stage
        .method_settings
        .get(&settings_key(resource_path, method_verb));
    let setting: &MethodSetting = match own {
        Some(s) => s,
        None => {
            let all = stage.method_settings.get("*/*")?;
            // Stage-wide caching covers GET only, as AWS documents.
            if request_verb != "GET" {
                return None;
            }
            all
        }
    };
    if !setting.caching_enabled {
        return None;
    }
    let ttl = setting
        .cache_ttl_in_seconds
        .unwrap_or(DEFAULT_TTL)
        .min(MAX_TTL);
    if ttl <= 0 {
        return None;
    }
    Some(Policy {
        ttl: Duration::from_secs(ttl as u64),
        require_authorization: setting.require_authorization_for_cache_control,
        unauthorized_strategy: setting
            .unauthorized_cache_control_header_strategy
            .clone()
            .unwrap_or_else(|| "SUCCEED_WITH_RESPONSE_HEADER".into()),
    })
}

/// Whether a `Cache-Control` request header asks for a fresh response (`max-age=0`).
pub fn wants_fresh(cache_control: Option<&str>) -> bool {
    cache_control.is_some_and(|v| {
        v.split(',').any(|d| {
            let d = d.trim();
            d.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("max-age") && v.trim().trim_matches('"') == "0"
            })
        })
    })
}

/// What a request carries, for its cache key.
pub struct KeyInput<'a> {
    pub namespace: &'a str,
    pub verb: &'a str,
    pub params: &'a [String],
    pub path: &'a std::collections::BTreeMap<String, String>,
    pub query: &'a [(String, String)],
    /// Header lookup, all values of a (case-insensitive) name.
    pub header: &'a dyn Fn(&str) -> Vec<String>,
}

/// The cache key of a request: namespace, verb and each cache key parameter's value.
pub fn key(k: &KeyInput<'_>) -> String {
    let mut parts = vec![json!(k.namespace), json!(k.verb)];
    let mut params: Vec<&String> = k.params.iter().collect();
    params.sort();
    params.dedup();
    for p in params {
        let Some(rest) = p.strip_prefix("method.request.") else {
            continue;
        };
        let Some((loc, name)) = rest.split_once('.') else {
            continue;
        };
        let value: Value = match loc {
            "path" => json!(k.path.get(name)),
            "querystring" => json!(
                k.query
                    .iter()
                    .rev()
                    .find(|(q, _)| q == name)
                    .map(|(_, v)| v)
            ),
            "multivaluequerystring" => json!(
                k.query
                    .iter()
                    .filter(|(q, _)| q == name)
                    .map(|(_, v)| v)
                    .collect::<Vec<_>>()
            ),
            "header" => json!((k.header)(name).pop()),
            "multivalueheader" => json!((k.header)(name)),
            _ => continue,
        };
        parts.push(json!([p, value]));
    }
    Value::Array(parts).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn resp(body: &str) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes().into(),
        }
    }

    fn setting(enabled: bool, ttl: Option<i64>) -> MethodSetting {
        MethodSetting {
            caching_enabled: enabled,
            cache_ttl_in_seconds: ttl,
            require_authorization_for_cache_control: true,
            unauthorized_cache_control_header_strategy: Some("FAIL_WITH_403".into()),
            ..Default::default()
        }
    }

    #[test]
    fn cache_policy_from_stage_settings() {
        let mut s = Stage {
            cache_cluster_enabled: true,
            ..Default::default()
        };
        // No method settings: nothing is cached.
        assert_eq!(policy(&s, "/pets", "GET", "GET"), None);
        s.method_settings
            .insert("*/*".into(), setting(true, Some(60)));
        let p = policy(&s, "/pets", "GET", "GET").unwrap();
        assert_eq!(p.ttl, Duration::from_secs(60));
        assert_eq!(p.unauthorized_strategy, "FAIL_WITH_403");
        // Stage-wide caching covers GET only.
        assert_eq!(policy(&s, "/pets", "POST", "POST"), None);
        assert_eq!(policy(&s, "/pets", "ANY", "POST"), None);
        assert!(policy(&s, "/pets", "ANY", "GET").is_some());
        // A method's own entry wins, for other verbs too.
        s.method_settings
            .insert("~1pets/POST".into(), setting(true, None));
        assert_eq!(
            policy(&s, "/pets", "POST", "POST").unwrap().ttl,
            Duration::from_secs(300)
        );
        s.method_settings
            .insert("~1pets~1{id}/GET".into(), setting(false, Some(60)));
        assert_eq!(policy(&s, "/pets/{id}", "GET", "GET"), None);
        s.method_settings
            .insert("~1pets~1{id}/GET".into(), setting(true, Some(0)));
        assert_eq!(policy(&s, "/pets/{id}", "GET", "GET"), None);
        s.method_settings
            .insert("~1pets~1{id}/GET".into(), setting(true, Some(99999)));
        assert_eq!(
            policy(&s, "/pets/{id}", "GET", "GET").unwrap().ttl,
            Duration::from_secs(3600)
        );
        s.cache_cluster_enabled = false;
        assert_eq!(policy(&s, "/pets", "GET", "GET"), None);
    }

    #[test]
    fn cache_control_max_age_zero() {
        assert!(wants_fresh(Some("max-age=0")));
        assert!(wants_fresh(Some("no-cache, Max-Age = 0")));
        assert!(!wants_fresh(Some("max-age=10")));
        assert!(!wants_fresh(Some("no-cache")));
        assert!(!wants_fresh(None));
    }

    #[test]
    fn cache_keys_vary_by_key_parameters_only() {
        let path = BTreeMap::from([("id".to_string(), "1".to_string())]);
        let headers = |n: &str| {
            if n.eq_ignore_ascii_case("x-tenant") {
                vec!["a".to_string()]
            } else {
                vec![]
            }
        };
        let params = vec![
            "method.request.querystring.type".to_string(),
            "method.request.header.X-Tenant".to_string(),
        ];
        let q1 = vec![("type".to_string(), "dog".to_string())];
        let q2 = vec![
            ("type".to_string(), "dog".to_string()),
            ("other".to_string(), "x".to_string()),
        ];
        let q3 = vec![("type".to_string(), "cat".to_string())];
        let k = |q: &[(String, String)], params: &[String]| {
            key(&KeyInput {
                namespace: "r1",
                verb: "GET",
                params,
                path: &path,
                query: q,
                header: &headers,
            })
        };
        assert_eq!(k(&q1, &params), k(&q2, &params));
        assert_ne!(k(&q1, &params), k(&q3, &params));
        // Without key parameters the query does not matter.
        assert_eq!(k(&q1, &[]), k(&q3, &[]));
    }

    #[test]
    fn cache_entries_expire_flush_and_evict() {
        let c = ResponseCache::default();
        let t0 = Instant::now();
        let stage = stage_key("a", "r", "api", "prod");
        c.put(
            &stage,
            None,
            "k".into(),
            Duration::from_secs(10),
            &resp("1"),
            t0,
        );
        assert_eq!(c.get(&stage, "k", t0).unwrap().body.as_ref(), b"1");
        assert!(c.get(&stage, "k", t0 + Duration::from_secs(11)).is_none());
        assert_eq!(c.len(&stage), 0);
        c.put(
            &stage,
            None,
            "k".into(),
            Duration::from_secs(10),
            &resp("2"),
            t0,
        );
        c.flush(&stage);
        assert!(c.get(&stage, "k", t0).is_none());
        // Too large to cache.
        let big = resp(&"x".repeat(MAX_ENTRY_BYTES + 1));
        c.put(
            &stage,
            None,
            "big".into(),
            Duration::from_secs(10),
            &big,
            t0,
        );
        assert_eq!(c.len(&stage), 0);
        // Eviction keeps the stage under its capacity, oldest first.
        let chunk = resp(&"y".repeat(MAX_ENTRY_BYTES - 100));
        for i in 0..80 {
            c.put(
                &stage,
                Some("237"),
                format!("k{i}"),
                Duration::from_secs(10),
                &chunk,
                t0 + Duration::from_millis(i),
            );
        }
        assert!(c.len(&stage) < 80);
        assert!(c.get(&stage, "k79", t0).is_some());
        assert!(c.get(&stage, "k0", t0).is_none());
        assert_eq!(capacity(Some("0.5")), MAX_STAGE_BYTES);
    }
}
