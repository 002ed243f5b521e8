//! The HTTP API data plane: stage → deployment snapshot → CORS preflight → route →
//! throttling → authorization → integration → CORS headers.

pub(crate) mod authorizer;
pub(crate) mod cors;
pub(crate) mod event;
pub(crate) mod http;
pub(crate) mod jwt;
pub(crate) mod routing;

use crate::ApiGateway;
use crate::throttle::{self, BucketKey, Limit, Throttles};
use crate::v2::store::{Scope, Snapshot, Table};
use crate::v2::types::{Integration, Stage};
use authorizer::Outcome;
use bytes::Bytes;
use event::{AuthContext, Request};
use lamina_bus::{InvocationType, InvokeRequest};
use lamina_wire::{HttpRequest, HttpResponse, RawContext};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn throttles() -> &'static Throttles {
    static T: OnceLock<Throttles> = OnceLock::new();
    T.get_or_init(Throttles::new)
}

fn message(status: u16, msg: &str, request_id: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("apigw-requestid".into(), request_id.to_string()),
        ],
        body: Bytes::from(serde_json::json!({ "message": msg }).to_string()),
    }
}

/// Serves one invoke-URL request for the API `api_id`. `req.path` is the path relative to
/// the API as the client sent it — `/<stage>/<path>` for a named stage, `/<path>` for the
/// `$default` stage (a path-style router strips `/restapis/<id>` and `_user_request_`
/// first). Answers `None` when `api_id` is not an HTTP API, so the router can try REST APIs.
pub async fn serve(
    gw: &ApiGateway,
    api_id: &str,
    req: HttpRequest,
    ctx: &RawContext,
) -> Option<HttpResponse> {
    let scope = Scope {
        account: ctx.account_id.clone(),
        region: ctx.region.clone(),
    };
    let table = Table::new(gw.store.clone());
    let rid = ctx.request_id.as_str();
    let doc = match table.find(&scope, api_id).await {
        Ok(Some(d)) => d,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %e, api_id, "loading http api");
            return Some(message(500, "Internal Server Error", rid));
        }
    };
    if doc.api.disable_execute_api_endpoint == Some(true) {
        return Some(message(403, "Forbidden", rid));
    }
    let Some((stage, path_in_stage)) = pick_stage(&doc.stages, &req.path) else {
        return Some(message(404, "Not Found", rid));
    };
    let snap = match &stage.deployment_id {
        Some(dep) => match table.snapshot(&scope, api_id, dep).await {
            Ok(Some(s)) => s,
            Ok(None) => return Some(message(404, "Not Found", rid)),
            Err(e) => {
                tracing::warn!(error = %e, api_id, "loading deployment");
                return Some(message(500, "Internal Server Error", rid));
            }
        },
        None => return Some(message(404, "Not Found", rid)),
    };
    let mut resp = handle(gw, &scope, api_id, stage, &path_in_stage, &snap, &req, ctx).await;
    if let Some(cors) = &snap.cors
        && resp.status != 204
    {
        cors::apply(cors, req.header("origin"), &mut resp.headers);
    }
    if resp.header("apigw-requestid").is_none() {
        resp.headers
            .push(("apigw-requestid".into(), rid.to_string()));
    }
    Some(resp)
}

/// The stage a path addresses and the path within it.
fn pick_stage<'a>(
    stages: &'a std::collections::BTreeMap<String, Stage>,
    path: &str,
) -> Option<(&'a Stage, String)> {
    let trimmed = path.trim_start_matches('/');
    let (first, rest) = match trimmed.split_once('/') {
        Some((f, r)) => (f, format!("/{r}")),
        None => (trimmed, "/".to_string()),
    };
    if !first.is_empty()
        && first != "$default"
        && let Some(s) = stages.get(first)
    {
        return Some((s, rest));
    }
    stages.get("$default").map(|s| (s, format!("/{trimmed}")))
}

#[allow(clippy::too_many_arguments)]
async fn handle(
    gw: &ApiGateway,
    scope: &Scope,
    api_id: &str,
    stage: &Stage,
    path: &str,
    snap: &Snapshot,
    req: &HttpRequest,
    ctx: &RawContext,
) -> HttpResponse {
    let rid = ctx.request_id.as_str();
    let method = req.method.as_str().to_string();
    if let Some(c) = &snap.cors
        && cors::is_preflight(
            &method,
            req.header("origin"),
            req.header("access-control-request-method"),
        )
    {
        let headers = cors::preflight(
            c,
            req.header("origin").unwrap_or_default(),
            req.header("access-control-request-method")
                .unwrap_or_default(),
        );
        return HttpResponse {
            status: 204,
            headers,
            body: Bytes::new(),
        };
    }
    let routes = snap
        .routes
        .iter()
        .filter_map(|(id, r)| Some((id.as_str(), r.route_key.as_deref()?)));
    let Some(m) = routing::select(routes, &method, path) else {
        return message(404, "Not Found", rid);
    };
    let Some(route) = snap.routes.get(&m.route_id) else {
        return message(404, "Not Found", rid);
    };
    let stage_name = stage.stage_name.clone().unwrap_or_default();
    // Throttling: the account bucket and the route's (DefaultRouteSettings / RouteSettings).
    let defaults = serde_json::to_value(&stage.default_route_settings).unwrap_or_default();
    let per_route = serde_json::to_value(&stage.route_settings).unwrap_or_default();
    let limit: Limit = throttle::route_limit(&defaults, &per_route, &m.route_key);
    let checks = [
        (
            BucketKey::account(&scope.account, &scope.region),
            Limit::ACCOUNT,
        ),
        (
            BucketKey::method(
                &scope.account,
                &scope.region,
                api_id,
                &stage_name,
                &m.route_key,
            ),
            limit,
        ),
    ];
    if let Some((status, body)) = throttle::check(throttles(), &checks, Instant::now()).response() {
        return HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Bytes::from_static(body.as_bytes()),
        };
    }
    let host = req
        .header("host")
        .map(|h| h.rsplit_once(':').map_or(h, |(n, _)| n).to_string())
        .unwrap_or_else(|| format!("{api_id}.execute-api.localhost"));
    let mut r = Request {
        method: method.clone(),
        raw_path: req.path.clone(),
        query: req.query.clone(),
        headers: req
            .headers
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().ok()?.to_string(),
                ))
            })
            .collect(),
        body: req.body.clone(),
        account_id: scope.account.clone(),
        api_id: api_id.to_string(),
        domain_name: host,
        stage: stage_name,
        route_key: m.route_key.clone(),
        resource: m
            .route_key
            .split_once(' ')
            .map(|(_, p)| p.to_string())
            .unwrap_or_else(|| "$default".into()),
        path_params: m.params.clone(),
        stage_vars: stage.stage_variables.clone().unwrap_or_default(),
        request_id: rid.to_string(),
        source_ip: req
            .header("x-forwarded-for")
            .and_then(|x| x.split(',').next())
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| "127.0.0.1".into()),
        time_ms: lamina_core::now_epoch_millis(),
        auth: AuthContext::None,
    };
    for (name, value) in crate::dataplane::forwarded_headers(ctx, &r.source_ip, r.time_ms) {
        if r.header(name).is_none() {
            r.headers.push((name.to_string(), value));
        }
    }
    // Authorization.
    match route.authorization_type.as_deref() {
        Some("JWT") => {
            let a = route
                .authorizer_id
                .as_ref()
                .and_then(|id| snap.authorizers.get(id));
            let Some(a) = a else {
                return message(500, "Internal Server Error", rid);
            };
            match authorize_jwt(
                a,
                &r,
                route.authorization_scopes.as_deref().unwrap_or_default(),
            )
            .await
            {
                Ok(auth) => r.auth = auth,
                Err(jwt::Denied::Forbidden) => return message(403, "Forbidden", rid),
                Err(jwt::Denied::Unauthorized(why)) => {
                    tracing::debug!(why, "jwt authorizer refused the request");
                    return message(401, "Unauthorized", rid);
                }
            }
        }
        Some("CUSTOM") => {
            let a = route
                .authorizer_id
                .as_ref()
                .and_then(|id| snap.authorizers.get(id));
            let Some(a) = a else {
                return message(500, "Internal Server Error", rid);
            };
            match authorize_lambda(gw, scope, a, &r, path).await {
                Outcome::Allow(c) => r.auth = AuthContext::Lambda(c),
                Outcome::Deny => return message(403, "Forbidden", rid),
                Outcome::Unauthorized => return message(401, "Unauthorized", rid),
                Outcome::Error => return message(500, "Internal Server Error", rid),
            }
        }
        _ => {}
    }
    let integ = route
        .target
        .as_deref()
        .and_then(|t| t.strip_prefix("integrations/"))
        .and_then(|id| snap.integrations.get(id));
    let Some(integ) = integ else {
        return message(404, "Not Found", rid);
    };
    match integ.integration_type.as_deref() {
        Some("AWS_PROXY") => lambda_proxy(gw, scope, integ, &r).await,
        Some("HTTP_PROXY") => http_proxy(integ, &r).await,
        _ => message(500, "Internal Server Error", rid),
    }
}

async fn authorize_jwt(
    a: &crate::v2::types::Authorizer,
    r: &Request,
    scopes: &[String],
) -> Result<AuthContext, jwt::Denied> {
    let source = a
        .identity_source
        .as_ref()
        .and_then(|s| s.first())
        .map(String::as_str)
        .unwrap_or("$request.header.Authorization");
    let value = authorizer::identity_value(r, source)
        .ok_or_else(|| jwt::Denied::Unauthorized("no token".into()))?;
    let token = jwt::token_of(&value);
    let cfg = a.jwt_configuration.clone().unwrap_or_default();
    let issuer = cfg.issuer.unwrap_or_default();
    let jwks = jwt::jwks(&issuer, jwt::kid(token).as_deref())
        .await
        .ok_or_else(|| jwt::Denied::Unauthorized("jwks unavailable".into()))?;
    let now = (lamina_core::now_epoch_millis() / 1000) as i64;
    let v = jwt::verify(
        token,
        &jwks,
        &issuer,
        &cfg.audience.unwrap_or_default(),
        scopes,
        now,
    )?;
    // `verify` hands the claims over as strings (`"exp": "1583352244"`), as AWS does.
    Ok(AuthContext::Jwt {
        claims: v.claims,
        scopes: v.scopes,
    })
}

/// The function a Lambda integration or authorizer URI names: a function ARN, or the
/// `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations` form.
pub fn function_of(uri: &str) -> String {
    match (uri.find("/functions/"), uri.rfind("/invocations")) {
        (Some(s), Some(e)) if s + 11 <= e => uri[s + 11..e].to_string(),
        _ => uri.to_string(),
    }
}

async fn invoke(
    gw: &ApiGateway,
    scope: &Scope,
    uri: &str,
    payload: Vec<u8>,
    timeout: Duration,
) -> Result<lamina_bus::InvokeResponse, Option<String>> {
    let Some(invoker) = gw.invoker.as_ref() else {
        return Err(Some("no Lambda invoker is wired".into()));
    };
    let call = invoker.invoke(InvokeRequest {
        account_id: scope.account.clone(),
        region: scope.region.clone(),
        function: function_of(uri),
        qualifier: None,
        payload: Bytes::from(payload),
        invocation_type: InvocationType::RequestResponse,
    });
    match tokio::time::timeout(timeout, call).await {
        Err(_) => Err(None),
        Ok(Err(e)) => Err(Some(format!("{}: {}", e.code, e.message))),
        Ok(Ok(resp)) => Ok(resp),
    }
}

async fn authorize_lambda(
    gw: &ApiGateway,
    scope: &Scope,
    a: &crate::v2::types::Authorizer,
    r: &Request,
    path: &str,
) -> Outcome {
    let sources = a.identity_source.clone().unwrap_or_default();
    let mut identity = Vec::with_capacity(sources.len());
    for s in &sources {
        match authorizer::identity_value(r, s) {
            Some(v) => identity.push(v),
            None => return Outcome::Unauthorized,
        }
    }
    let ttl = a.authorizer_result_ttl_in_seconds.unwrap_or(0);
    let cache_key = format!(
        "{}\0{}\0{}\0{}",
        r.api_id,
        a.authorizer_id.as_deref().unwrap_or_default(),
        r.stage,
        identity.join("\0")
    );
    if ttl > 0
        && let Some(o) = authorizer::cached(&cache_key)
    {
        return o;
    }
    let arn = authorizer::route_arn(r, &scope.region, path);
    let ev = authorizer::event(a, r, &arn, &identity);
    let uri = a.authorizer_uri.clone().unwrap_or_default();
    let resp = match invoke(
        gw,
        scope,
        &uri,
        ev.to_string().into_bytes(),
        Duration::from_secs(10),
    )
    .await
    {
        Ok(resp) if resp.function_error.is_none() => resp,
        Ok(_) | Err(_) => return Outcome::Error,
    };
    let v1 = a.authorizer_payload_format_version.as_deref() == Some("1.0");
    let simple = a.enable_simple_responses == Some(true);
    let outcome = authorizer::decide(simple, &resp.payload, &arn, v1);
    authorizer::remember(cache_key, &outcome, ttl);
    outcome
}

fn timeout_of(i: &Integration) -> Duration {
    Duration::from_millis(i.timeout_in_millis.unwrap_or(30_000).clamp(50, 30_000) as u64)
}

async fn lambda_proxy(
    gw: &ApiGateway,
    scope: &Scope,
    i: &Integration,
    r: &Request,
) -> HttpResponse {
    let rid = r.request_id.as_str();
    let v1 = i.payload_format_version.as_deref() == Some("1.0");
    let ev = if v1 {
        event::event_v1(r)
    } else {
        event::event_v2(r)
    };
    let uri = stage_vars_in(
        i.integration_uri.as_deref().unwrap_or_default(),
        &r.stage_vars,
    );
    let resp = match invoke(gw, scope, &uri, ev.to_string().into_bytes(), timeout_of(i)).await {
        Ok(resp) => resp,
        Err(None) => return message(503, "Service Unavailable", rid),
        Err(Some(why)) => {
            tracing::warn!(why, function = uri, "lambda integration failed");
            return message(500, "Internal Server Error", rid);
        }
    };
    if resp.function_error.is_some() {
        return message(500, "Internal Server Error", rid);
    }
    let mapped = if v1 {
        event::map_response_v1(&resp.payload)
    } else {
        event::map_response_v2(&resp.payload)
    };
    match mapped {
        Some(m) => HttpResponse {
            status: m.status,
            headers: m.headers,
            body: m.body,
        },
        None => message(500, "Internal Server Error", rid),
    }
}

/// `${stageVariables.name}` in an integration URI, filled from the stage's variables (an
/// unknown name becomes empty).
fn stage_vars_in(uri: &str, vars: &std::collections::BTreeMap<String, String>) -> String {
    const MARK: &str = "${stageVariables.";
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(i) = rest.find(MARK) {
        out.push_str(&rest[..i]);
        let tail = &rest[i + MARK.len()..];
        let Some(end) = tail.find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        if let Some(v) = vars.get(&tail[..end]) {
            out.push_str(v);
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

async fn http_proxy(i: &Integration, r: &Request) -> HttpResponse {
    let rid = r.request_id.as_str();
    let mut url = stage_vars_in(
        i.integration_uri.as_deref().unwrap_or_default(),
        &r.stage_vars,
    );
    for (k, v) in &r.path_params {
        url = url
            .replace(&format!("{{{k}}}"), v)
            .replace(&format!("{{{k}+}}"), v);
    }
    if !r.query.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&r.query);
    }
    let method = match i.integration_method.as_deref() {
        None | Some("ANY") => r.method.clone(),
        Some(m) => m.to_string(),
    };
    let headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(k, _)| !HOP_BY_HOP.contains(&k.as_str()))
        .cloned()
        .collect();
    match http::send(&method, &url, &headers, r.body.clone(), timeout_of(i)).await {
        Ok(resp) => HttpResponse {
            status: resp.status,
            headers: resp
                .headers
                .into_iter()
                .filter(|(k, _)| !HOP_BY_HOP.contains(&k.as_str()))
                .collect(),
            body: resp.body,
        },
        Err(http::Error::Timeout) => message(503, "Service Unavailable", rid),
        Err(http::Error::Failed(why)) => {
            tracing::warn!(why, url, "http integration failed");
            message(500, "Internal Server Error", rid)
        }
    }
}
