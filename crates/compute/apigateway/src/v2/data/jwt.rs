//! JWT authorizers: RS256 tokens checked against the issuer's JWKS (found through
//! `<issuer>/.well-known/openid-configuration` → `jwks_uri`, cached per issuer), then `iss`,
//! `aud` (or `client_id`), `exp`, `nbf`, `iat` and the route's scopes — as AWS documents for HTTP
//! APIs. Signature checking uses `rsa` + `sha2` (already in the build for SNS) instead of a
//! JWT crate.

use super::http;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// DER DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_PREFIX: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
const JWKS_TTL: Duration = Duration::from_secs(3600);
/// How long a failed or kid-missing refetch is not repeated.
const REFETCH_AFTER: Duration = Duration::from_secs(5);

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum Denied {
    /// 401 `{"message":"Unauthorized"}`.
    Unauthorized(String),
    /// 403 `{"message":"Forbidden"}`: valid token, insufficient scopes.
    Forbidden,
}

/// A validated token's claims and scopes.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub claims: Map<String, Value>,
    pub scopes: Option<Vec<String>>,
}

/// The token from an identity source value: `Bearer <jwt>` or the bare token.
pub fn token_of(value: &str) -> &str {
    let v = value.trim();
    match v.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => v[7..].trim(),
        _ => v,
    }
}

fn unauthorized(why: &str) -> Denied {
    Denied::Unauthorized(why.to_string())
}

fn b64json(part: &str) -> Result<Map<String, Value>, Denied> {
    let raw = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| unauthorized("token part is not base64url"))?;
    match serde_json::from_slice(&raw) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(unauthorized("token part is not a JSON object")),
    }
}

/// The `kid` of a token's header (`None` if absent or the token is malformed).
pub fn kid(token: &str) -> Option<String> {
    let head = token.split('.').next()?;
    b64json(head).ok()?.get("kid")?.as_str().map(str::to_string)
}

fn rsa_key(jwk: &Value) -> Option<RsaPublicKey> {
    if jwk.get("kty")?.as_str()? != "RSA" {
        return None;
    }
    let n = URL_SAFE_NO_PAD.decode(jwk.get("n")?.as_str()?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(jwk.get("e")?.as_str()?).ok()?;
    RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).ok()
}

/// Checks the RS256 signature of `token` against `jwks` (`{"keys": [...]}`) and its `exp`,
/// `nbf` and `iat` at `now` (epoch seconds); the claims as the token carries them. Shared by HTTP
/// API JWT authorizers and REST API Cognito user pool authorizers.
pub fn verify_signed(token: &str, jwks: &Value, now: i64) -> Result<Map<String, Value>, Denied> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return Err(unauthorized("token is not a JWS"));
    };
    let header = b64json(h)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(unauthorized("unsupported alg"));
    }
    let kid = header.get("kid").and_then(Value::as_str);
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let key = keys
        .iter()
        .filter(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)
        .find_map(rsa_key)
        .ok_or_else(|| unauthorized("no matching key"))?;
    let sig = URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| unauthorized("bad signature encoding"))?;
    let mut info = SHA256_PREFIX.to_vec();
    info.extend_from_slice(&Sha256::digest(format!("{h}.{p}").as_bytes()));
    key.verify(Pkcs1v15Sign::new_unprefixed(), &info, &sig)
        .map_err(|_| unauthorized("bad signature"))?;
    let claims = b64json(p)?;
    match claims.get("exp").and_then(Value::as_f64) {
        Some(exp) if (exp as i64) > now => {}
        _ => return Err(unauthorized("expired or no exp")),
    }
    if claims
        .get("nbf")
        .and_then(Value::as_f64)
        .is_some_and(|nbf| (nbf as i64) > now)
    {
        return Err(unauthorized("not yet valid"));
    }
    // The guide: `iat` "must be before the current time".
    if claims
        .get("iat")
        .and_then(Value::as_f64)
        .is_some_and(|iat| (iat as i64) > now)
    {
        return Err(unauthorized("issued in the future"));
    }
    Ok(claims)
}

/// The scopes of a token (`scope` as a space-separated string or `scp` as a list).
pub fn scopes_of(claims: &Map<String, Value>) -> Option<Vec<String>> {
    claims
        .get("scope")
        .or_else(|| claims.get("scp"))
        .map(|s| match s {
            Value::String(s) => s.split_whitespace().map(str::to_string).collect(),
            Value::Array(a) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        })
}

/// Claims as API Gateway hands them to integrations: every value a string.
pub fn string_claims(claims: Map<String, Value>) -> Map<String, Value> {
    claims
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => Value::String(s),
                other => Value::String(other.to_string()),
            };
            (k, s)
        })
        .collect()
}

/// Checks signature and claims of `token` against `jwks` (`{"keys": [...]}`), the issuer,
/// audiences and the route's required scopes, at `now` (epoch seconds).
pub fn verify(
    token: &str,
    jwks: &Value,
    issuer: &str,
    audiences: &[String],
    required_scopes: &[String],
    now: i64,
) -> Result<Verified, Denied> {
    let claims = verify_signed(token, jwks, now)?;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(unauthorized("issuer mismatch"));
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => audiences.contains(a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audiences.iter().any(|x| x == a)),
        _ => claims
            .get("client_id")
            .and_then(Value::as_str)
            .is_some_and(|c| audiences.iter().any(|x| x == c)),
    };
    if !aud_ok {
        return Err(unauthorized("audience mismatch"));
    }
    let scopes = scopes_of(&claims);
    if !required_scopes.is_empty() {
        let have = scopes.as_deref().unwrap_or_default();
        if !required_scopes.iter().any(|r| have.contains(r)) {
            return Err(Denied::Forbidden);
        }
    }
    Ok(Verified {
        claims: string_claims(claims),
        scopes,
    })
}

struct Cached {
    jwks: Value,
    fetched: Instant,
}

fn cache() -> &'static Mutex<HashMap<String, Cached>> {
    static C: OnceLock<Mutex<HashMap<String, Cached>>> = OnceLock::new();
    C.get_or_init(Default::default)
}

async fn get_json(url: &str) -> Option<Value> {
    let r = http::send("GET", url, &[], bytes::Bytes::new(), Duration::from_secs(5))
        .await
        .ok()?;
    if r.status != 200 {
        return None;
    }
    serde_json::from_slice(&r.body).ok()
}

async fn fetch(issuer: &str) -> Option<Value> {
    let conf = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let doc = get_json(&conf).await?;
    let uri = doc.get("jwks_uri")?.as_str()?.to_string();
    get_json(&uri).await
}

/// The issuer's JWKS (found through OpenID discovery), from the cache unless stale or
/// lacking `kid`.
pub async fn jwks(issuer: &str, kid: Option<&str>) -> Option<Value> {
    cached_jwks(issuer.to_string(), kid, fetch(issuer)).await
}

/// The JWKS at `<issuer>/.well-known/jwks.json`, where Cognito user pools publish their
/// keys, cached like [`jwks`].
pub async fn jwks_json(issuer: &str, kid: Option<&str>) -> Option<Value> {
    let url = format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/'));
    cached_jwks(url.clone(), kid, async move { get_json(&url).await }).await
}

async fn cached_jwks(
    cache_key: String,
    kid: Option<&str>,
    fetch: impl std::future::Future<Output = Option<Value>>,
) -> Option<Value> {
    let issuer = cache_key.as_str();
    let has_kid = |j: &Value| {
        kid.is_none_or(|k| {
            j.get("keys").and_then(Value::as_array).is_some_and(|ks| {
                ks.iter()
                    .any(|x| x.get("kid").and_then(Value::as_str) == Some(k))
            })
        })
    };
    {
        let c = cache().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = c.get(issuer) {
            let age = e.fetched.elapsed();
            if age < JWKS_TTL && (has_kid(&e.jwks) || age < REFETCH_AFTER) {
                return Some(e.jwks.clone());
            }
        }
    }
    let fresh = fetch.await?;
    cache().lock().unwrap_or_else(|p| p.into_inner()).insert(
        issuer.to_string(),
        Cached {
            jwks: fresh.clone(),
            fetched: Instant::now(),
        },
    );
    Some(fresh)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rsa::RsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    use serde_json::json;

    pub(crate) struct TestKey {
        key: RsaPrivateKey,
    }

    impl TestKey {
        pub(crate) fn new() -> Self {
            let mut rng = rsa::rand_core::OsRng;
            Self {
                key: RsaPrivateKey::new(&mut rng, 2048).expect("keygen"),
            }
        }
        pub(crate) fn jwks(&self, kid: &str) -> Value {
            let pk = self.key.to_public_key();
            json!({"keys": [{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
                "n": URL_SAFE_NO_PAD.encode(pk.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(pk.e().to_bytes_be())}]})
        }
        pub(crate) fn sign(&self, kid: &str, claims: &Value) -> String {
            let h = URL_SAFE_NO_PAD
                .encode(json!({"alg": "RS256", "kid": kid, "typ": "JWT"}).to_string());
            let p = URL_SAFE_NO_PAD.encode(claims.to_string());
            let mut info = SHA256_PREFIX.to_vec();
            info.extend_from_slice(&Sha256::digest(format!("{h}.{p}").as_bytes()));
            let sig = self
                .key
                .sign(Pkcs1v15Sign::new_unprefixed(), &info)
                .expect("sign");
            format!("{h}.{p}.{}", URL_SAFE_NO_PAD.encode(sig))
        }
    }

    #[test]
    fn v2_jwt_verification() {
        let k = TestKey::new();
        let jwks = k.jwks("k1");
        let iss = "http://127.0.0.1:9/issuer";
        let aud = vec!["app".to_string()];
        let now = 1_700_000_000;
        let good = json!({"iss": iss, "aud": "app", "sub": "u1", "exp": now + 60,
            "scope": "read write", "n": 5});
        let t = k.sign("k1", &good);
        let v = verify(&t, &jwks, iss, &aud, &[], now).unwrap();
        assert_eq!(v.claims["sub"], "u1");
        assert_eq!(v.claims["n"], "5");
        assert_eq!(v.scopes, Some(vec!["read".into(), "write".into()]));
        assert!(verify(&t, &jwks, iss, &aud, &["write".into()], now).is_ok());
        assert_eq!(
            verify(&t, &jwks, iss, &aud, &["admin".into()], now),
            Err(Denied::Forbidden)
        );
        // wrong audience / issuer / expired / not yet valid / tampered / other key
        assert!(verify(&t, &jwks, iss, &["other".into()], &[], now).is_err());
        assert!(verify(&t, &jwks, "http://x", &aud, &[], now).is_err());
        assert!(verify(&t, &jwks, iss, &aud, &[], now + 61).is_err());
        let early = k.sign(
            "k1",
            &json!({"iss": iss, "aud": "app", "exp": now + 60, "nbf": now + 30}),
        );
        assert!(verify(&early, &jwks, iss, &aud, &[], now).is_err());
        let future = k.sign(
            "k1",
            &json!({"iss": iss, "aud": "app", "exp": now + 60, "iat": now + 30}),
        );
        assert!(verify(&future, &jwks, iss, &aud, &[], now).is_err());
        assert!(verify(&future, &jwks, iss, &aud, &[], now + 30).is_ok());
        let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
        parts[1] = URL_SAFE_NO_PAD
            .encode(json!({"iss": iss, "aud": "app", "exp": now + 9999}).to_string());
        assert!(verify(&parts.join("."), &jwks, iss, &aud, &[], now).is_err());
        let other = TestKey::new();
        assert!(verify(&other.sign("k1", &good), &jwks, iss, &aud, &[], now).is_err());
        // client_id stands in for aud (Cognito access tokens)
        let access = k.sign(
            "k1",
            &json!({"iss": iss, "client_id": "app", "exp": now + 60}),
        );
        assert!(verify(&access, &jwks, iss, &aud, &[], now).is_ok());
        assert!(verify("garbage", &jwks, iss, &aud, &[], now).is_err());
        assert_eq!(kid(&t).as_deref(), Some("k1"));
    }

    #[test]
    fn v2_bearer_prefix() {
        assert_eq!(token_of("Bearer abc"), "abc");
        assert_eq!(token_of("bearer  abc "), "abc");
        assert_eq!(token_of("abc"), "abc");
    }
}
