//! Authorizers: JWT (issuer + audience) and REQUEST (Lambda) authorizers.

use super::{Ctx, changed, input, items, label, new_id, output, page};
use crate::v2::error::{Result, V2Error};
use crate::v2::types::{Authorizer, merge};
use lamina_model::generated::apigatewayv2::op;
use serde_json::{Value, json};

pub const OPS: &[&str] = &[
    op::CREATE_AUTHORIZER,
    op::GET_AUTHORIZER,
    op::GET_AUTHORIZERS,
    op::UPDATE_AUTHORIZER,
    op::DELETE_AUTHORIZER,
];

pub async fn call(cx: &Ctx<'_>, op: &str, v: &Value) -> Option<Result<Value>> {
    let id = label(v, "ApiId");
    let aid = label(v, "AuthorizerId");
    Some(match op {
        op::CREATE_AUTHORIZER => create(cx, &id, v).await,
        op::GET_AUTHORIZER => cx.table.get(&cx.scope, &id).await.and_then(|d| {
            d.authorizers
                .get(&aid)
                .ok_or_else(|| not_found(&aid))
                .and_then(output)
        }),
        op::GET_AUTHORIZERS => cx.table.get(&cx.scope, &id).await.and_then(|d| {
            let (p, next) = page(&d.authorizers, v)?;
            items(p, next)
        }),
        op::UPDATE_AUTHORIZER => update(cx, &id, &aid, v).await,
        op::DELETE_AUTHORIZER => {
            cx.table
                .update(&cx.scope, &id, |mut d| {
                    d.authorizers.remove(&aid).ok_or_else(|| not_found(&aid))?;
                    if d.routes
                        .values()
                        .any(|r| r.authorizer_id.as_deref() == Some(aid.as_str()))
                    {
                        return Err(V2Error::Conflict(format!(
                            "Cannot delete authorizer {aid}: it is used by a route"
                        )));
                    }
                    Ok(changed(d, json!({}), true))
                })
                .await
        }
        _ => return None,
    })
}

fn not_found(id: &str) -> V2Error {
    V2Error::NotFound(format!("Invalid Authorizer identifier specified {id}"))
}

fn check(a: &mut Authorizer) -> Result<()> {
    let sources = a.identity_source.clone().unwrap_or_default();
    match a.authorizer_type.as_deref() {
        Some("JWT") => {
            let cfg = a.jwt_configuration.as_ref().ok_or_else(|| {
                V2Error::bad("JwtConfiguration is required for authorizer of type JWT")
            })?;
            let issuer = cfg.issuer.as_deref().unwrap_or_default();
            if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
                return Err(V2Error::bad(format!(
                    "Invalid issuer {issuer}. Issuer must be a URL"
                )));
            }
            if cfg.audience.as_ref().is_none_or(|a| a.is_empty()) {
                return Err(V2Error::bad(
                    "JwtConfiguration must have at least one audience",
                ));
            }
            if sources.len() != 1 || !sources[0].starts_with("$request.") {
                return Err(V2Error::bad(
                    "JWT authorizers need exactly one identity source, such as $request.header.Authorization",
                ));
            }
        }
        Some("REQUEST") => {
            if a.authorizer_uri.is_none() {
                return Err(V2Error::bad(
                    "AuthorizerUri is required for authorizer of type REQUEST",
                ));
            }
            let pfv = a
                .authorizer_payload_format_version
                .as_deref()
                .ok_or_else(|| {
                    V2Error::bad(
                        "AuthorizerPayloadFormatVersion is required for authorizer of type REQUEST",
                    )
                })?;
            if pfv != "1.0" && pfv != "2.0" {
                return Err(V2Error::bad(format!(
                    "Unsupported authorizer payload format version {pfv}. Supported versions are 1.0 and 2.0"
                )));
            }
            if a.enable_simple_responses == Some(true) && pfv != "2.0" {
                return Err(V2Error::bad(
                    "EnableSimpleResponses is only supported for authorizer payload format version 2.0",
                ));
            }
            let ttl = a.authorizer_result_ttl_in_seconds.unwrap_or(0);
            if ttl > 0 && sources.is_empty() {
                return Err(V2Error::bad(
                    "Identity source is required when authorizer caching is enabled",
                ));
            }
            for s in &sources {
                if !(s.starts_with("$request.")
                    || s.starts_with("$context.")
                    || s.starts_with("$stageVariables."))
                {
                    return Err(V2Error::bad(format!("Invalid identity source {s}")));
                }
            }
            a.authorizer_result_ttl_in_seconds.get_or_insert(0);
            a.enable_simple_responses.get_or_insert(false);
        }
        other => {
            return Err(V2Error::bad(format!(
                "Invalid authorizer type {}; HTTP APIs support JWT and REQUEST",
                other.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

async fn create(cx: &Ctx<'_>, id: &str, v: &Value) -> Result<Value> {
    let mut a: Authorizer = input(v)?;
    check(&mut a)?;
    cx.table
        .update(&cx.scope, id, |mut d| {
            let aid = new_id(6);
            let mut a = a.clone();
            a.authorizer_id = Some(aid.clone());
            d.authorizers.insert(aid, a.clone());
            Ok(changed(d, a, true))
        })
        .await
        .and_then(|a| output(&a))
}

async fn update(cx: &Ctx<'_>, id: &str, aid: &str, v: &Value) -> Result<Value> {
    let mut patch: Authorizer = input(v)?;
    patch.authorizer_id = None;
    cx.table
        .update(&cx.scope, id, |mut d| {
            let old = d.authorizers.get(aid).ok_or_else(|| not_found(aid))?;
            let mut new = merge(old, &patch).map_err(|e| V2Error::Internal(e.to_string()))?;
            check(&mut new)?;
            d.authorizers.insert(aid.to_string(), new.clone());
            Ok(changed(d, new, true))
        })
        .await
        .and_then(|a| output(&a))
}
