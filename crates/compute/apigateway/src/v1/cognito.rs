//! COGNITO_USER_POOLS authorizers of REST APIs: the token in the identity source (by default
//! the `Authorization` header, the bare token or `Bearer <token>`) must be an RS256 JWT signed
//! by a key of the JWKS of one of the authorizer's user pools (`providerARNs`), unexpired,
//! issued by that pool, and, when the method lists `authorizationScopes`, carry one of them.
//! A missing token and an invalid one both answer 401 `{"message":"Unauthorized"}`; the
//! claims (values as strings) reach the integration as `requestContext.authorizer.claims`
//! and `$context.authorizer.claims.<name>`.
//!
//! Lamina has no Cognito yet, so the issuer of a pool is found like this:
//! * `LAMINA_COGNITO_ISSUERS` (read at start): comma-separated `<pool id or ARN>=<issuer URL>`
//!   pairs; a listed pool trusts exactly that issuer;
//! * otherwise the token's `iss` must end with `/<pool id>`, the form of Cognito's own issuers
//!   (`https://cognito-idp.<region>.amazonaws.com/<pool id>`).
//!
//! The keys come from `<issuer>/.well-known/jwks.json` (where Cognito publishes them), fetched
//! and cached by the HTTP API JWT authorizer's code (`v2::data::jwt`); only `http://` issuers
//! can be reached (Lamina's HTTP client has no TLS), so real Cognito pools need a local JWKS.

use super::invoke::{Call, message};
use super::types::Authorizer;
use crate::v2::data::jwt;
use lamina_wire::HttpResponse;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const UNAUTHORIZED: &str = r#"{"message":"Unauthorized"}"#;
pub const ENV: &str = "LAMINA_COGNITO_ISSUERS";

/// The pool id of `arn:aws:cognito-idp:<region>:<account>:userpool/<id>` (or a bare id).
pub fn pool_id(arn_or_id: &str) -> &str {
    arn_or_id
        .rsplit_once(":userpool/")
        .map_or(arn_or_id, |(_, id)| id)
        .trim()
}

/// Parses `pool=issuer,pool2=issuer2` (pool ids or ARNs) into pool id → issuer.
pub fn parse_issuers(s: &str) -> BTreeMap<String, String> {
    s.split(',')
        .filter_map(|pair| {
            let (pool, issuer) = pair.split_once('=')?;
            let (pool, issuer) = (pool_id(pool.trim()), issuer.trim().trim_end_matches('/'));
            (!pool.is_empty() && !issuer.is_empty()).then(|| (pool.to_string(), issuer.to_string()))
        })
        .collect()
}

/// The configured issuers from the environment (empty when unset).
pub fn issuers_from_env() -> BTreeMap<String, String> {
    std::env::var(ENV)
        .map(|s| parse_issuers(&s))
        .unwrap_or_default()
}

/// The issuer to trust for a token whose `iss` is `claimed`, given the authorizer's pools;
/// `None` when no pool of the authorizer issued it.
pub fn trusted_issuer(
    provider_arns: &[String],
    configured: &BTreeMap<String, String>,
    claimed: &str,
) -> Option<String> {
    let claimed = claimed.trim_end_matches('/');
    provider_arns.iter().find_map(|arn| {
        let pool = pool_id(arn);
        if pool.is_empty() {
            return None;
        }
        match configured.get(pool) {
            Some(issuer) => (issuer == claimed).then(|| issuer.clone()),
            None => claimed
                .strip_suffix(pool)
                .is_some_and(|head| head.ends_with('/'))
                .then(|| claimed.to_string()),
        }
    })
}

/// The unverified claims of a token (to learn its issuer before fetching keys).
fn peek_claims(token: &str) -> Option<Map<String, Value>> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&raw).ok()? {
        Value::Object(m) => Some(m),
        _ => None,
    }
}

/// Runs a COGNITO_USER_POOLS authorizer: `Ok` with the value of
/// `requestContext.authorizer` (`{"claims": {...}}`), or the 401 to send.
pub async fn authorize(
    call: &Call<'_>,
    a: &Authorizer,
    identity: Option<String>,
) -> Result<Value, HttpResponse> {
    let deny = |why: &str| {
        tracing::debug!(authorizer = %a.id, why, "cognito authorizer refused the token");
        message(401, UNAUTHORIZED)
    };
    let Some(raw) = identity.filter(|v| !v.trim().is_empty()) else {
        return Err(deny("no token"));
    };
    let token = jwt::token_of(&raw);
    if let Some(expr) = a.identity_validation_expression.as_deref()
        && let Ok(re) = regex_lite::Regex::new(&format!("^(?:{expr})$"))
        && !re.is_match(&raw)
    {
        return Err(deny("identity validation expression"));
    }
    let claimed = peek_claims(token)
        .and_then(|c| c.get("iss").and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| deny("no iss"))?;
    let issuer = trusted_issuer(
        a.provider_arns.as_deref().unwrap_or_default(),
        &call.gw.cognito_issuers,
        &claimed,
    )
    .ok_or_else(|| deny("issuer of no pool of the authorizer"))?;
    let keys = jwt::jwks_json(&issuer, jwt::kid(token).as_deref())
        .await
        .ok_or_else(|| deny("jwks unavailable"))?;
    let now = lamina_core::now_epoch_seconds() as i64;
    let claims = jwt::verify_signed(token, &keys, now).map_err(|_| deny("bad token"))?;
    if claims
        .get("iss")
        .and_then(Value::as_str)
        .map(|s| s.trim_end_matches('/'))
        != Some(issuer.as_str())
    {
        return Err(deny("issuer mismatch"));
    }
    let required = call
        .method
        .authorization_scopes
        .as_deref()
        .unwrap_or_default();
    if !required.is_empty() {
        let have = jwt::scopes_of(&claims).unwrap_or_default();
        if !required.iter().any(|r| have.contains(r)) {
            return Err(deny("scope"));
        }
    }
    let mut ctx = Map::new();
    ctx.insert("claims".into(), Value::Object(jwt::string_claims(claims)));
    Ok(Value::Object(ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cognito_issuer_resolution() {
        let arns =
            vec!["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Abc".to_string()];
        let none = BTreeMap::new();
        assert_eq!(pool_id(&arns[0]), "us-east-1_Abc");
        assert_eq!(
            trusted_issuer(
                &arns,
                &none,
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc"
            ),
            Some("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc".into())
        );
        assert_eq!(
            trusted_issuer(&arns, &none, "http://127.0.0.1:9/us-east-1_Abc/"),
            Some("http://127.0.0.1:9/us-east-1_Abc".into())
        );
        assert_eq!(
            trusted_issuer(&arns, &none, "http://x/us-east-1_Other"),
            None
        );
        assert_eq!(
            trusted_issuer(&arns, &none, "http://x/xus-east-1_Abc"),
            None
        );
        let conf = parse_issuers(
            " arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_Abc = http://idp:8080/realm/ ,bad, =x",
        );
        assert_eq!(conf.len(), 1);
        assert_eq!(conf["us-east-1_Abc"], "http://idp:8080/realm");
        assert_eq!(
            trusted_issuer(&arns, &conf, "http://idp:8080/realm"),
            Some("http://idp:8080/realm".into())
        );
        // A configured pool trusts its issuer only.
        assert_eq!(
            trusted_issuer(&arns, &conf, "http://127.0.0.1:9/us-east-1_Abc"),
            None
        );
    }

    #[test]
    fn cognito_peek_claims() {
        use base64::Engine as _;
        let p = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"iss":"i"}"#);
        assert_eq!(peek_claims(&format!("h.{p}.s")).unwrap()["iss"], "i");
        assert!(peek_claims("garbage").is_none());
        assert!(peek_claims("a.!!.c").is_none());
    }
}
