//! The REST API data plane: one invoke-URL request against the deployed snapshot of a stage.
//!
//! Order as API Gateway runs it: stage → resource and method matching (literal, then
//! `{param}`, then greedy `{proxy+}`; the method, then `ANY`) → authorizer → API key and
//! usage plan → throttling → request validation → integration → response, then the access
//! log line.

use super::authorizer;
use super::cache;
use super::integrations;
use super::ops::{Cx, deployments};
use super::store::{ApiDoc, Db, Scope};
use super::types::{Integration, Method, Resource, Stage};
use crate::ApiGateway;
use crate::throttle::{self, Throttles};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use lamina_wire::{HttpRequest, HttpResponse, RawContext};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::{Instant, SystemTime};

/// Process-wide data-plane state that may be rebuilt: token buckets (authorizer results and
/// responses are cached in [`ApiGateway`], which the control plane can flush).
#[derive(Default)]
pub struct State {
    pub throttles: Throttles,
}

/// A JSON error answer of the data plane.
pub fn message(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("x-amzn-ErrorType".into(), error_type(status, body).into()),
        ],
        body: body.to_string().into_bytes().into(),
    }
}

fn error_type(status: u16, body: &str) -> &'static str {
    if body == MISSING_TOKEN {
        return "MissingAuthenticationTokenException";
    }
    match status {
        401 => "UnauthorizedException",
        403 => "ForbiddenException",
        404 => "NotFoundException",
        429 => "TooManyRequestsException",
        502 | 500 => "InternalServerErrorException",
        504 => "IntegrationTimeoutException",
        _ => "BadRequestException",
    }
}

pub const MISSING_TOKEN: &str = r#"{"message":"Missing Authentication Token"}"#;
pub const INTERNAL: &str = r#"{"message": "Internal server error"}"#;

/// Everything about the request the integrations and the templates need.
pub struct Call<'a> {
    pub gw: &'a ApiGateway,
    pub ctx: &'a RawContext,
    pub api: &'a ApiDoc,
    pub stage: &'a Stage,
    pub resource: &'a Resource,
    pub method: &'a Method,
    pub req: &'a HttpRequest,
    /// The path after the stage, decoded (`/pets/1`).
    pub path: String,
    pub path_params: BTreeMap<String, String>,
    pub query: Vec<(String, String)>,
    pub context: Value,
}

/// Percent-decodes a path segment or query component (`+` kept in paths).
pub fn decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

/// Finds the resource for `path` (segments already split) with API Gateway's precedence.
pub fn match_resource<'d>(
    api: &'d ApiDoc,
    segments: &[String],
) -> Option<(&'d Resource, BTreeMap<String, String>)> {
    let mut children: BTreeMap<&str, Vec<&Resource>> = BTreeMap::new();
    for r in api.resources.values() {
        if let Some(p) = &r.parent_id {
            children.entry(p.as_str()).or_default().push(r);
        }
    }
    let root = api.resources.get(&api.api.root_resource_id)?;
    let mut params = BTreeMap::new();
    let found = walk(root, segments, &children, &mut params, 0)?;
    Some((found, params))
}

fn walk<'d>(
    node: &'d Resource,
    rest: &[String],
    children: &BTreeMap<&str, Vec<&'d Resource>>,
    params: &mut BTreeMap<String, String>,
    depth: usize,
) -> Option<&'d Resource> {
    if rest.is_empty() {
        return Some(node);
    }
    if depth > 128 {
        return None;
    }
    let kids = children
        .get(node.id.as_str())
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let seg = &rest[0];
    // 1. literal
    if let Some(k) = kids
        .iter()
        .find(|k| k.path_part.as_deref() == Some(seg.as_str()))
        && let Some(r) = walk(k, &rest[1..], children, params, depth + 1)
    {
        return Some(r);
    }
    // 2. {param}
    for k in kids {
        let part = k.path_part.as_deref().unwrap_or_default();
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}'))
            && !name.ends_with('+')
        {
            let mut p = params.clone();
            p.insert(name.to_string(), seg.clone());
            if let Some(r) = walk(k, &rest[1..], children, &mut p, depth + 1) {
                *params = p;
                return Some(r);
            }
        }
    }
    // 3. {proxy+}: the rest of the path
    for k in kids {
        let part = k.path_part.as_deref().unwrap_or_default();
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            params.insert(name.to_string(), rest.join("/"));
            return Some(k);
        }
    }
    None
}

fn find_method<'d>(r: &'d Resource, verb: &str) -> Option<&'d Method> {
    let methods = r.resource_methods.as_ref()?;
    methods.get(verb).or_else(|| methods.get("ANY"))
}

/// `dd/MMM/yyyy:HH:mm:ss +0000`, as `requestContext.requestTime`.
pub fn request_time(epoch_ms: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = (epoch_ms / 1000) as i64;
    let (y, m, d) = super::ops::civil_from_days(secs.div_euclid(86400));
    let t = secs.rem_euclid(86400);
    format!(
        "{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000",
        MONTHS[(m - 1) as usize],
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// Serves one request for the REST API `api_id`, stage `stage`, `path` after the stage.
pub async fn serve(
    gw: &ApiGateway,
    state: &State,
    api_id: &str,
    stage_name: &str,
    path: &str,
    req: HttpRequest,
    ctx: &RawContext,
) -> HttpResponse {
    let started = Instant::now();
    let db = Db {
        store: gw.store.clone(),
    };
    let cx = Cx {
        db: &db,
        scope: Scope {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
        },
    };
    let (stage, api) = match deployments::deployed(&cx, api_id, stage_name).await {
        Ok(x) => x,
        Err(super::error::ApiGwError::NotFound(_)) => {
            return message(403, r#"{"message":"Forbidden"}"#);
        }
        Err(e) => {
            tracing::warn!(error = %e, api_id, "loading the deployed api");
            return message(500, INTERNAL);
        }
    };
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| decode(s, false))
        .collect();
    let verb = req.method.as_str().to_ascii_uppercase();
    let now_ms = lamina_core::now_epoch_millis();
    let host = req.header("host").unwrap_or("localhost").to_string();
    let decoded_path = format!("/{}", segments.join("/"));
    let mut context = json!({
        "resourceId": null,
        "resourcePath": null,
        "httpMethod": verb,
        "extendedRequestId": ctx.request_id,
        "requestTime": request_time(now_ms),
        "path": format!("/{stage_name}{}", if decoded_path == "/" && path.is_empty() { String::new() } else { decoded_path.clone() }),
        "accountId": ctx.account_id,
        "protocol": "HTTP/1.1",
        "stage": stage_name,
        "domainPrefix": host.split('.').next().unwrap_or_default(),
        "requestTimeEpoch": now_ms,
        "requestId": ctx.request_id,
        "identity": {
            "cognitoIdentityPoolId": null,
            "accountId": null,
            "cognitoIdentityId": null,
            "caller": null,
            "sourceIp": req.header("x-forwarded-for").and_then(|f| f.split(',').next()).map(str::trim).unwrap_or("127.0.0.1"),
            "principalOrgId": null,
            "accessKey": null,
            "cognitoAuthenticationType": null,
            "cognitoAuthenticationProvider": null,
            "userArn": null,
            "userAgent": req.header("user-agent"),
            "user": null,
        },
        "domainName": host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h),
        "apiId": api_id,
    });
    let matched = match_resource(&api, &segments)
        .and_then(|(r, params)| find_method(r, &verb).map(|m| (r, m, params)));
    let Some((resource, method, path_params)) = matched else {
        // No resource or method: still an access-log line, as on AWS.
        let mut resp = message(403, MISSING_TOKEN);
        access_log(gw, ctx, &stage, &context, &resp, started).await;
        resp.headers
            .push(("x-amz-apigw-id".into(), apigw_id(&ctx.request_id)));
        return resp;
    };
    context["resourceId"] = json!(resource.id);
    context["resourcePath"] = json!(resource.path);
    let mut call = Call {
        gw,
        ctx,
        api: &api,
        stage: &stage,
        resource,
        method,
        query: parse_query(&req.query),
        req: &req,
        path: decoded_path,
        path_params,
        context,
    };
    let resp = run(&mut call, state).await;
    access_log(gw, ctx, &stage, &call.context, &resp, started).await;
    let mut resp = resp;
    resp.headers
        .push(("x-amz-apigw-id".into(), apigw_id(&ctx.request_id)));
    resp
}

fn apigw_id(request_id: &str) -> String {
    request_id.replace('-', "").chars().take(16).collect()
}

async fn run(call: &mut Call<'_>, state: &State) -> HttpResponse {
    // Authorizer.
    let mut usage_key: Option<String> = None;
    if call.method.authorization_type == "CUSTOM" {
        match authorizer::authorize(call).await {
            Ok(ctx) => {
                usage_key = ctx.usage_identifier_key.clone();
                call.context["authorizer"] = ctx.context_value();
            }
            Err(resp) => return resp,
        }
    } else if call.method.authorization_type == "COGNITO_USER_POOLS" {
        match authorizer::cognito(call).await {
            Ok(ctx) => call.context["authorizer"] = ctx,
            Err(resp) => return resp,
        }
    }
    // API key.
    let account = call.ctx.account_id.clone();
    let region = call.ctx.region.clone();
    let mut checks = Vec::new();
    let mut grant_used = None;
    let settings = serde_json::to_value(&call.stage.method_settings).unwrap_or(Value::Null);
    let stage_limit = throttle::stage_method_limit(
        &escape_settings(&settings),
        &call.resource.path,
        &call.method.http_method,
    );
    checks.push((
        throttle::BucketKey::method(
            &account,
            &region,
            &call.api.api.id,
            &call.stage.stage_name,
            &format!("{} {}", call.method.http_method, call.resource.path),
        ),
        stage_limit,
    ));
    if call.method.api_key_required {
        let presented = if call.api.api.api_key_source.as_deref() == Some("AUTHORIZER") {
            usage_key.clone()
        } else {
            call.req.header("x-api-key").map(str::to_string)
        };
        match authorizer::api_key(call, presented.as_deref()).await {
            Some((grant, key_id)) => {
                call.context["identity"]["apiKey"] = json!(presented);
                call.context["identity"]["apiKeyId"] = json!(key_id);
                if let Some(b) = grant.bucket(&account, &region) {
                    checks.push(b);
                }
                grant_used = Some(grant);
            }
            None => return message(403, throttle::FORBIDDEN),
        }
    }
    if let Some((status, body)) = state.throttles.check(&checks, Instant::now()).response() {
        return message(status, body);
    }
    // Usage-plan quota: every request with a key counts (GetUsage reads the same counters);
    // past the plan's quota 429 Limit Exceeded. A store failure lets the request through.
    if let Some(grant) = &grant_used {
        let plan = throttle::PlanScope {
            account: &account,
            region: &region,
            plan_id: &grant.plan_id,
        };
        let usage = throttle::Usage::new(call.gw.store.clone());
        match usage
            .consume(plan, &grant.key_id, grant.quota.as_ref(), SystemTime::now())
            .await
        {
            Ok(decision) => {
                if let Some((status, body)) = decision.response() {
                    return message(status, body);
                }
            }
            Err(e) => tracing::warn!(error = %e, "counting usage-plan use"),
        }
    }
    // Request validation.
    if let Some(resp) = validate(call) {
        return resp;
    }
    let Some(integration) = call.method.method_integration.clone() else {
        return message(500, INTERNAL);
    };
    // Response cache: after authorization, keys, throttling and validation, as on AWS.
    let Some(policy) = cache::policy(
        call.stage,
        &call.resource.path,
        &call.method.http_method,
        call.req.method.as_str(),
    ) else {
        return integrate_timed(call, &integration).await;
    };
    let stage_key = cache::stage_key(&account, &region, &call.api.api.id, &call.stage.stage_name);
    let header = |name: &str| -> Vec<String> {
        call.req
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    };
    let resource_id = call.resource.id.clone();
    let key = cache::key(&cache::KeyInput {
        namespace: integration
            .cache_namespace
            .as_deref()
            .unwrap_or(&resource_id),
        verb: call.req.method.as_str(),
        params: integration.cache_key_parameters.as_deref().unwrap_or(&[]),
        path: &call.path_params,
        query: &call.query,
        header: &header,
    });
    let mut warning = false;
    if cache::wants_fresh(call.req.header("cache-control")) {
        let authorized = !policy.require_authorization || signed(call.req);
        if authorized {
            return fetch_and_store(call, &integration, &policy, &stage_key, key).await;
        }
        match policy.unauthorized_strategy.as_str() {
            "FAIL_WITH_403" => {
                let body = json!({"Message": format!(
                    "User: anonymous is not authorized to perform: execute-api:InvalidateCache on resource: arn:aws:execute-api:{region}:{account}:{}/{}/{}{}",
                    call.api.api.id, call.stage.stage_name, call.req.method.as_str(), call.path,
                )});
                return message(403, &body.to_string());
            }
            "SUCCEED_WITHOUT_RESPONSE_HEADER" => {}
            _ => warning = true,
        }
    }
    let mut resp = match call.gw.cache.get(&stage_key, &key, Instant::now()) {
        Some(hit) => hit,
        None => fetch_and_store(call, &integration, &policy, &stage_key, key).await,
    };
    if warning {
        resp.headers.push(("Warning".into(), cache::WARNING.into()));
    }
    resp
}

/// Whether the request is SigV4-signed (Lamina's test of "authorized to invalidate").
fn signed(req: &HttpRequest) -> bool {
    req.header("authorization")
        .is_some_and(|a| a.trim_start().starts_with("AWS4-HMAC-SHA256"))
        || req.query.contains("X-Amz-Signature=")
}

async fn fetch_and_store(
    call: &mut Call<'_>,
    integration: &Integration,
    policy: &cache::Policy,
    stage_key: &str,
    key: String,
) -> HttpResponse {
    let resp = integrate_timed(call, integration).await;
    if resp.status < 500 {
        call.gw.cache.put(
            stage_key,
            call.stage.cache_cluster_size.as_deref(),
            key,
            policy.ttl,
            &resp,
            Instant::now(),
        );
    }
    resp
}

/// Runs the integration and records `$context.integrationLatency`,
/// `$context.integration.latency` and `.status` (the status it answered with).
async fn integrate_timed(call: &mut Call<'_>, integration: &Integration) -> HttpResponse {
    let t = Instant::now();
    let resp = integrate(call, integration).await;
    let ms = t.elapsed().as_millis() as u64;
    call.context["integrationLatency"] = json!(ms);
    call.context["integrationStatus"] = json!(resp.status);
    call.context["integration"] = json!({"latency": ms, "status": resp.status});
    resp
}

async fn integrate(call: &Call<'_>, integration: &Integration) -> HttpResponse {
    match integration.kind.as_str() {
        "MOCK" => integrations::mock(call, integration),
        "AWS_PROXY" => integrations::lambda_proxy(call, integration).await,
        "HTTP_PROXY" | "HTTP" => integrations::http(call, integration).await,
        "AWS" => {
            let uri = integration.uri.as_deref().unwrap_or_default();
            match super::aws_service::target(uri) {
                Some(t) if t.service == "lambda" => match integrations::function_of(uri) {
                    Some(f) => integrations::lambda(call, integration, &f).await,
                    None => message(500, INTERNAL),
                },
                Some(t) => super::aws_service::serve(call, integration, &t).await,
                None => {
                    tracing::info!(uri, "aws integration uri lamina cannot read");
                    message(500, INTERNAL)
                }
            }
        }
        other => {
            tracing::warn!(kind = other, "integration type not served by lamina");
            message(500, INTERNAL)
        }
    }
}

/// Lamina stores method-settings keys as the patch path wrote them (`~1pets/GET`); the
/// throttle module reads `pets/GET`.
fn escape_settings(v: &Value) -> Value {
    let Some(m) = v.as_object() else {
        return Value::Null;
    };
    let out: Map<String, Value> = m
        .iter()
        .map(|(k, v)| (k.replace("~1", "/"), v.clone()))
        .collect();
    Value::Object(out)
}

fn validate(call: &Call<'_>) -> Option<HttpResponse> {
    let vid = call.method.request_validator_id.as_ref()?;
    let v = call.api.validators.get(vid)?;
    if v.validate_request_parameters {
        let mut missing = Vec::new();
        for (name, required) in call.method.request_parameters.iter().flatten() {
            if !required {
                continue;
            }
            let Some(rest) = name.strip_prefix("method.request.") else {
                continue;
            };
            let Some((loc, key)) = rest.split_once('.') else {
                continue;
            };
            let present = match loc {
                "querystring" => call.query.iter().any(|(k, _)| k == key),
                "header" => call.req.header(key).is_some(),
                "path" => call.path_params.contains_key(key),
                _ => true,
            };
            if !present {
                missing.push(key.to_string());
            }
        }
        if !missing.is_empty() {
            let body = json!({"message": format!("Missing required request parameters: [{}]", missing.join(", "))});
            return Some(message(400, &body.to_string()));
        }
    }
    if v.validate_request_body {
        let ct = call
            .req
            .header("content-type")
            .and_then(|c| c.split(';').next())
            .unwrap_or("application/json")
            .trim()
            .to_ascii_lowercase();
        let models = call.method.request_models.as_ref()?;
        let name = models.get(&ct).or_else(|| models.get("$default"))?;
        let model = call.api.models.get(name)?;
        let schema = model.schema.as_deref()?;
        let lookup = |n: &str| call.api.models.get(n).and_then(|m| m.schema.clone());
        let result =
            crate::schema::Compiled::new(schema, &lookup).and_then(|c| c.validate(&call.req.body));
        if let Err(e) = result {
            tracing::debug!(error = %e, "request body failed validation");
            return Some(message(400, r#"{"message": "Invalid request body"}"#));
        }
    }
    None
}

/// `$context.error.responseType` of a response the gateway itself produced (one with
/// `x-amzn-ErrorType`), from its status and message.
pub fn response_type(status: u16, msg: &str) -> &'static str {
    match (status, msg) {
        (403, "Missing Authentication Token") => "MISSING_AUTHENTICATION_TOKEN",
        (403, "Forbidden") => "INVALID_API_KEY",
        (403, m) if m.contains("not authorized") => "ACCESS_DENIED",
        (401, _) => "UNAUTHORIZED",
        (429, "Limit Exceeded") => "QUOTA_EXCEEDED",
        (429, _) => "THROTTLED",
        (400, "Invalid request body") => "BAD_REQUEST_BODY",
        (400, m) if m.starts_with("Missing required request parameters") => {
            "BAD_REQUEST_PARAMETERS"
        }
        (415, _) => "UNSUPPORTED_MEDIA_TYPE",
        (504, _) => "INTEGRATION_TIMEOUT",
        (s, _) if s >= 500 => "DEFAULT_5XX",
        _ => "DEFAULT_4XX",
    }
}

/// Writes the access-log line when the stage has `accessLogSettings` with a destination:
/// the format with `$context.*` substituted (`-` for what a request does not have), one
/// event per request in the stream `<api id>-<stage>` of the destination log group.
async fn access_log(
    gw: &ApiGateway,
    rctx: &RawContext,
    stage: &Stage,
    context: &Value,
    resp: &HttpResponse,
    started: Instant,
) {
    let Some(als) = &stage.access_log_settings else {
        return;
    };
    let (Some(format), Some(dest)) = (&als.format, &als.destination_arn) else {
        return;
    };
    let Some(group) = dest.split(":log-group:").nth(1) else {
        return;
    };
    let group = group.trim_end_matches(":*");
    let mut ctx = context.clone();
    ctx["status"] = json!(resp.status);
    ctx["responseLength"] = json!(resp.body.len());
    ctx["responseLatency"] = json!(started.elapsed().as_millis() as u64);
    let gateway_error = resp
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("x-amzn-ErrorType"));
    if gateway_error {
        let body: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        let msg = body["message"]
            .as_str()
            .or_else(|| body["Message"].as_str())
            .unwrap_or_default()
            .to_string();
        ctx["error"] = json!({
            "message": msg,
            "messageString": Value::String(msg.clone()).to_string(),
            "responseType": response_type(resp.status, &msg),
        });
    }
    let line = substitute_context(format, &ctx);
    let stream = lamina_bus::LogStreamRef {
        account_id: rctx.account_id.clone(),
        region: rctx.region.clone(),
        group: group.to_string(),
        stream: format!(
            "{}-{}",
            ctx["apiId"].as_str().unwrap_or_default(),
            stage.stage_name
        ),
    };
    let event = lamina_bus::LogEvent {
        timestamp: lamina_core::now_epoch_millis() as i64,
        message: line,
    };
    if let Err(e) = gw.logs.put_events(&stream, vec![event]).await {
        tracing::warn!(error = %e, "writing the access log");
    }
}

/// Replaces `$context.a.b` references with values from the context (`-` when absent).
pub fn substitute_context(format: &str, ctx: &Value) -> String {
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(i) = rest.find("$context.") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + "$context.".len()..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .unwrap_or(tail.len());
        let name = tail[..end].trim_end_matches('.');
        let mut v = ctx;
        for p in name.split('.') {
            v = &v[p];
        }
        match v {
            Value::Null => out.push('-'),
            Value::String(s) => out.push_str(s),
            other => out.push_str(&other.to_string()),
        }
        rest = &tail[name.len()..];
    }
    out.push_str(rest);
    out
}

/// Whether `content_type` is one of the API's binary media types (`*/*`, `image/*`).
pub fn is_binary(api: &ApiDoc, content_type: Option<&str>) -> bool {
    let Some(ct) =
        content_type.map(|c| c.split(';').next().unwrap_or(c).trim().to_ascii_lowercase())
    else {
        return false;
    };
    api.api.binary_media_types.iter().flatten().any(|t| {
        let t = t.to_ascii_lowercase();
        t == ct
            || t == "*/*"
            || t.strip_suffix("/*")
                .is_some_and(|p| ct.starts_with(&format!("{p}/")))
    })
}

pub fn b64(b: &[u8]) -> String {
    B64.encode(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::ops::resources::ensure_path;
    use crate::v1::ops::restapis::{CreateRestApiRequest, new_doc};

    #[test]
    fn v1_resource_matching_precedence() {
        let mut doc = new_doc(CreateRestApiRequest {
            name: "a".into(),
            ..Default::default()
        });
        let lit = ensure_path(&mut doc, "/pets/mine").unwrap();
        let var = ensure_path(&mut doc, "/pets/{id}").unwrap();
        let greedy = ensure_path(&mut doc, "/files/{proxy+}").unwrap();
        let seg = |p: &str| {
            p.split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(match_resource(&doc, &seg("/pets/mine")).unwrap().0.id, lit);
        let (r, p) = match_resource(&doc, &seg("/pets/42")).unwrap();
        assert_eq!((r.id.as_str(), p["id"].as_str()), (var.as_str(), "42"));
        let (r, p) = match_resource(&doc, &seg("/files/a/b/c.txt")).unwrap();
        assert_eq!(
            (r.id.as_str(), p["proxy"].as_str()),
            (greedy.as_str(), "a/b/c.txt")
        );
        assert!(match_resource(&doc, &seg("/nope")).is_none());
        assert!(match_resource(&doc, &seg("/pets/1/2")).is_none());
        assert_eq!(match_resource(&doc, &[]).unwrap().0.path, "/");
    }

    #[test]
    fn v1_access_log_error_types() {
        assert_eq!(
            response_type(403, "Missing Authentication Token"),
            "MISSING_AUTHENTICATION_TOKEN"
        );
        assert_eq!(response_type(403, "Forbidden"), "INVALID_API_KEY");
        assert_eq!(
            response_type(
                403,
                "User is not authorized to access this resource with an explicit deny"
            ),
            "ACCESS_DENIED"
        );
        assert_eq!(response_type(401, "Unauthorized"), "UNAUTHORIZED");
        assert_eq!(response_type(429, "Too Many Requests"), "THROTTLED");
        assert_eq!(response_type(429, "Limit Exceeded"), "QUOTA_EXCEEDED");
        assert_eq!(
            response_type(400, "Invalid request body"),
            "BAD_REQUEST_BODY"
        );
        assert_eq!(
            response_type(400, "Missing required request parameters: [a]"),
            "BAD_REQUEST_PARAMETERS"
        );
        assert_eq!(
            response_type(504, "Endpoint request timed out"),
            "INTEGRATION_TIMEOUT"
        );
        assert_eq!(response_type(502, "Internal server error"), "DEFAULT_5XX");
        assert_eq!(response_type(404, "Not Found"), "DEFAULT_4XX");
    }

    #[test]
    fn v1_helpers() {
        assert_eq!(decode("a%20b%2Fc+d", false), "a b/c+d");
        assert_eq!(decode("%zz%", false), "%zz%");
        assert_eq!(
            parse_query("a=1&b=x+y&a=2&c"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("a".into(), "2".into()),
                ("c".into(), String::new()),
            ]
        );
        assert_eq!(request_time(0), "01/Jan/1970:00:00:00 +0000");
        let ctx = json!({"requestId": "r1", "identity": {"sourceIp": "1.2.3.4"}, "status": 200});
        assert_eq!(
            substitute_context(
                "$context.requestId $context.identity.sourceIp $context.status $context.nope",
                &ctx
            ),
            "r1 1.2.3.4 200 -"
        );
    }
}
