//! Routes and integrations.

use super::{Ctx, changed, input, items, label, new_id, output, page};
use crate::v2::error::{Result, V2Error};
use crate::v2::store::ApiDoc;
use crate::v2::types::{Integration, Route, merge};
use lamina_model::generated::apigatewayv2::op;
use serde_json::{Value, json};

pub const OPS: &[&str] = &[
    op::CREATE_ROUTE,
    op::GET_ROUTE,
    op::GET_ROUTES,
    op::UPDATE_ROUTE,
    op::DELETE_ROUTE,
    op::CREATE_INTEGRATION,
    op::GET_INTEGRATION,
    op::GET_INTEGRATIONS,
    op::UPDATE_INTEGRATION,
    op::DELETE_INTEGRATION,
];

const METHODS: &[&str] = &[
    "ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
];

pub async fn call(cx: &Ctx<'_>, op: &str, v: &Value) -> Option<Result<Value>> {
    let id = label(v, "ApiId");
    Some(match op {
        op::CREATE_ROUTE => create_route(cx, &id, v).await,
        op::GET_ROUTE => {
            let rid = label(v, "RouteId");
            cx.table.get(&cx.scope, &id).await.and_then(|d| {
                d.routes
                    .get(&rid)
                    .ok_or_else(|| route_not_found(&rid))
                    .and_then(output)
            })
        }
        op::GET_ROUTES => cx.table.get(&cx.scope, &id).await.and_then(|d| {
            let (p, next) = page(&d.routes, v)?;
            items(p, next)
        }),
        op::UPDATE_ROUTE => update_route(cx, &id, v).await,
        op::DELETE_ROUTE => {
            let rid = label(v, "RouteId");
            cx.table
                .update(&cx.scope, &id, |mut d| {
                    d.routes.remove(&rid).ok_or_else(|| route_not_found(&rid))?;
                    Ok(changed(d, json!({}), true))
                })
                .await
        }
        op::CREATE_INTEGRATION => create_integration(cx, &id, v).await,
        op::GET_INTEGRATION => {
            let iid = label(v, "IntegrationId");
            cx.table.get(&cx.scope, &id).await.and_then(|d| {
                d.integrations
                    .get(&iid)
                    .ok_or_else(|| integration_not_found(&iid))
                    .and_then(output)
            })
        }
        op::GET_INTEGRATIONS => cx.table.get(&cx.scope, &id).await.and_then(|d| {
            let (p, next) = page(&d.integrations, v)?;
            items(p, next)
        }),
        op::UPDATE_INTEGRATION => update_integration(cx, &id, v).await,
        op::DELETE_INTEGRATION => {
            let iid = label(v, "IntegrationId");
            cx.table
                .update(&cx.scope, &id, |mut d| {
                    d.integrations
                        .remove(&iid)
                        .ok_or_else(|| integration_not_found(&iid))?;
                    let target = format!("integrations/{iid}");
                    if d.routes
                        .values()
                        .any(|r| r.target.as_deref() == Some(target.as_str()))
                    {
                        return Err(V2Error::Conflict(format!(
                            "Cannot delete integration {iid}: it is the target of a route"
                        )));
                    }
                    Ok(changed(d, json!({}), true))
                })
                .await
        }
        _ => return None,
    })
}

fn route_not_found(id: &str) -> V2Error {
    V2Error::NotFound(format!("Invalid Route identifier specified {id}"))
}

fn integration_not_found(id: &str) -> V2Error {
    V2Error::NotFound(format!("Invalid Integration identifier specified {id}"))
}

/// `$default` or `<METHOD> /<path>` where segments are literals, `{name}` or a last `{name+}`.
pub fn check_route_key(key: &str) -> Result<()> {
    if key == "$default" {
        return Ok(());
    }
    let bad = || {
        V2Error::bad(format!(
            "Unable to create Route. The route key '{key}' is not valid: use $default or '<HTTP method> <resource path>', for example 'GET /pets/{{id}}'"
        ))
    };
    let (method, path) = key.split_once(' ').ok_or_else(bad)?;
    if !METHODS.contains(&method) || !path.starts_with('/') || path.contains(' ') {
        return Err(bad());
    }
    if path == "/" {
        return Ok(());
    }
    let segs: Vec<&str> = path[1..].split('/').collect();
    for (i, s) in segs.iter().enumerate() {
        if s.is_empty() {
            return Err(bad());
        }
        if let Some(inner) = s.strip_prefix('{') {
            let Some(name) = inner.strip_suffix('}') else {
                return Err(bad());
            };
            let (name, greedy) = match name.strip_suffix('+') {
                Some(n) => (n, true),
                None => (name, false),
            };
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                || (greedy && i + 1 != segs.len())
            {
                return Err(bad());
            }
        } else if s.contains('{') || s.contains('}') {
            return Err(bad());
        }
    }
    Ok(())
}

/// Checks a route's references against the API.
fn check_route(d: &ApiDoc, r: &Route) -> Result<()> {
    if let Some(t) = &r.target {
        let iid = t.strip_prefix("integrations/").ok_or_else(|| {
            V2Error::bad(format!(
                "Invalid target {t}: must be of the form integrations/<id>"
            ))
        })?;
        if !d.integrations.contains_key(iid) {
            return Err(V2Error::bad(format!(
                "Invalid integration identifier specified {iid}"
            )));
        }
    }
    let kind = r.authorization_type.as_deref().unwrap_or("NONE");
    let authorizer = r.authorizer_id.as_ref().map(|a| {
        d.authorizers
            .get(a)
            .ok_or_else(|| V2Error::bad(format!("Invalid authorizer identifier specified {a}")))
    });
    match kind {
        "NONE" | "AWS_IAM" => {
            if r.authorizer_id.is_some() {
                return Err(V2Error::bad(format!(
                    "AuthorizerId must not be specified with AuthorizationType {kind}"
                )));
            }
        }
        "JWT" | "CUSTOM" => {
            let want = if kind == "JWT" { "JWT" } else { "REQUEST" };
            let a = authorizer.ok_or_else(|| {
                V2Error::bad(format!(
                    "AuthorizerId is required for AuthorizationType {kind}"
                ))
            })??;
            if a.authorizer_type.as_deref() != Some(want) {
                return Err(V2Error::bad(format!(
                    "AuthorizationType {kind} requires an authorizer of type {want}"
                )));
            }
        }
        other => return Err(V2Error::bad(format!("Invalid authorization type {other}"))),
    }
    if kind != "JWT"
        && r.authorization_scopes
            .as_ref()
            .is_some_and(|s| !s.is_empty())
    {
        return Err(V2Error::bad(
            "AuthorizationScopes can only be specified for routes with AuthorizationType JWT",
        ));
    }
    Ok(())
}

fn key_taken(d: &ApiDoc, key: &str, except: &str) -> Result<()> {
    if d.routes
        .iter()
        .any(|(id, r)| id != except && r.route_key.as_deref() == Some(key))
    {
        return Err(V2Error::Conflict(format!(
            "Unable to create Route. Route key {key} already exists for this API"
        )));
    }
    Ok(())
}

async fn create_route(cx: &Ctx<'_>, id: &str, v: &Value) -> Result<Value> {
    let mut r: Route = input(v)?;
    let key = r.route_key.clone().unwrap_or_default();
    check_route_key(&key)?;
    r.api_key_required.get_or_insert(false);
    r.authorization_type.get_or_insert_with(|| "NONE".into());
    r.api_gateway_managed = None;
    cx.table
        .update(&cx.scope, id, |mut d| {
            check_route(&d, &r)?;
            key_taken(&d, &key, "")?;
            let rid = new_id(7);
            let mut r = r.clone();
            r.route_id = Some(rid.clone());
            d.routes.insert(rid, r.clone());
            Ok(changed(d, r, true))
        })
        .await
        .and_then(|r| output(&r))
}

async fn update_route(cx: &Ctx<'_>, id: &str, v: &Value) -> Result<Value> {
    let rid = label(v, "RouteId");
    let mut patch: Route = input(v)?;
    patch.route_id = None;
    patch.api_gateway_managed = None;
    if let Some(k) = &patch.route_key {
        check_route_key(k)?;
    }
    cx.table
        .update(&cx.scope, id, |mut d| {
            let old = d.routes.get(&rid).ok_or_else(|| route_not_found(&rid))?;
            let new = merge(old, &patch).map_err(|e| V2Error::Internal(e.to_string()))?;
            check_route(&d, &new)?;
            key_taken(&d, new.route_key.as_deref().unwrap_or_default(), &rid)?;
            d.routes.insert(rid.clone(), new.clone());
            Ok(changed(d, new, true))
        })
        .await
        .and_then(|r| output(&r))
}

fn check_integration(i: &mut Integration) -> Result<()> {
    match i.integration_type.as_deref() {
        Some("AWS_PROXY") => {
            let uri = i.integration_uri.as_deref().unwrap_or_default();
            if i.integration_subtype.is_none() && !uri.contains(":lambda:") {
                return Err(V2Error::bad(format!(
                    "Invalid IntegrationUri specified {uri}: AWS_PROXY integrations need a Lambda function ARN"
                )));
            }
            let pfv = i.payload_format_version.get_or_insert_with(|| "2.0".into());
            if pfv != "1.0" && pfv != "2.0" {
                return Err(V2Error::bad(format!(
                    "Unsupported payload format version {pfv}. Supported versions are 1.0 and 2.0"
                )));
            }
            i.integration_method.get_or_insert_with(|| "POST".into());
        }
        Some("HTTP_PROXY") => {
            let uri = i.integration_uri.as_deref().unwrap_or_default();
            if !(uri.starts_with("http://") || uri.starts_with("https://")) {
                return Err(V2Error::bad(format!(
                    "Invalid IntegrationUri specified {uri}: HTTP_PROXY integrations need an http(s) URL"
                )));
            }
            if i.integration_method.is_none() {
                return Err(V2Error::bad(
                    "IntegrationMethod is required for HTTP_PROXY integrations",
                ));
            }
            let pfv = i.payload_format_version.get_or_insert_with(|| "1.0".into());
            if pfv != "1.0" {
                return Err(V2Error::bad(
                    "Unsupported payload format version for HTTP_PROXY integrations. Supported version is 1.0",
                ));
            }
        }
        Some(other) => {
            return Err(V2Error::bad(format!(
                "Integration type {other} is not supported by HTTP APIs; use AWS_PROXY or HTTP_PROXY"
            )));
        }
        None => return Err(V2Error::bad("IntegrationType is required")),
    }
    if let Some(t) = i.timeout_in_millis
        && !(50..=30000).contains(&t)
    {
        return Err(V2Error::bad(
            "Timeout must be between 50 milliseconds and 30 seconds.",
        ));
    }
    i.timeout_in_millis.get_or_insert(30000);
    i.connection_type.get_or_insert_with(|| "INTERNET".into());
    Ok(())
}

async fn create_integration(cx: &Ctx<'_>, id: &str, v: &Value) -> Result<Value> {
    let mut i: Integration = input(v)?;
    i.api_gateway_managed = None;
    check_integration(&mut i)?;
    cx.table
        .update(&cx.scope, id, |mut d| {
            let iid = new_id(7);
            let mut i = i.clone();
            i.integration_id = Some(iid.clone());
            d.integrations.insert(iid, i.clone());
            Ok(changed(d, i, true))
        })
        .await
        .and_then(|i| output(&i))
}

async fn update_integration(cx: &Ctx<'_>, id: &str, v: &Value) -> Result<Value> {
    let iid = label(v, "IntegrationId");
    let mut patch: Integration = input(v)?;
    patch.integration_id = None;
    patch.api_gateway_managed = None;
    cx.table
        .update(&cx.scope, id, |mut d| {
            let old = d
                .integrations
                .get(&iid)
                .ok_or_else(|| integration_not_found(&iid))?;
            let mut new = merge(old, &patch).map_err(|e| V2Error::Internal(e.to_string()))?;
            check_integration(&mut new)?;
            d.integrations.insert(iid.clone(), new.clone());
            Ok(changed(d, new, true))
        })
        .await
        .and_then(|i| output(&i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_route_keys() {
        for ok in [
            "$default",
            "GET /",
            "GET /items/{id}",
            "ANY /{proxy+}",
            "POST /a/b-c/{x_y}",
        ] {
            assert!(check_route_key(ok).is_ok(), "{ok}");
        }
        for bad in [
            "GET",
            "FETCH /a",
            "GET a",
            "GET /a//b",
            "GET /{proxy+}/x",
            "GET /{}",
            "GET /a{b}",
        ] {
            assert!(check_route_key(bad).is_err(), "{bad}");
        }
    }
}
