//! Integrations of the REST API data plane: AWS_PROXY (Lambda, the v1 proxy event and
//! response mapping), MOCK (request template selects the status, integration responses map
//! the answer), HTTP and HTTP_PROXY (a minimal HTTP/1.1 client over tokio, `http://` only).

use super::invoke::{Call, INTERNAL, b64, is_binary, message};
use super::types::{Integration, IntegrationResponse};
use crate::vtl::{self, RequestParams, VtlContext};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use lamina_bus::{InvocationType, InvokeRequest, InvokeResponse};
use lamina_wire::HttpResponse;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The function ARN inside `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<fn>/invocations`
/// (a bare function ARN or name is accepted too).
pub fn function_of(uri: &str) -> Option<String> {
    if let Some(rest) = uri.split("/functions/").nth(1) {
        return Some(rest.trim_end_matches("/invocations").to_string());
    }
    (!uri.is_empty() && !uri.contains(":apigateway:")).then(|| uri.to_string())
}

pub enum InvokeFailure {
    Timeout,
    Failed,
}

/// Invokes a function synchronously within `timeout`.
pub async fn invoke(
    call: &Call<'_>,
    function: &str,
    event: &Value,
    timeout: Duration,
) -> Result<InvokeResponse, InvokeFailure> {
    let Some(invoker) = &call.gw.invoker else {
        tracing::warn!(function, "no lambda invoker wired; answering 500");
        return Err(InvokeFailure::Failed);
    };
    let (function, qualifier) = split_qualifier(function);
    let req = InvokeRequest {
        account_id: call.ctx.account_id.clone(),
        region: call.ctx.region.clone(),
        function,
        qualifier,
        payload: serde_json::to_vec(event).unwrap_or_default().into(),
        invocation_type: InvocationType::RequestResponse,
    };
    match tokio::time::timeout(timeout, invoker.invoke(req)).await {
        Err(_) => Err(InvokeFailure::Timeout),
        Ok(Err(e)) => {
            tracing::warn!(code = %e.code, message = %e.message, "lambda integration invoke failed");
            Err(InvokeFailure::Failed)
        }
        Ok(Ok(r)) => Ok(r),
    }
}

/// `arn:...:function:name:qualifier` → (`arn:...:function:name`, `qualifier`).
fn split_qualifier(f: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = f.split(':').collect();
    if parts.len() == 8 && parts[5] == "function" {
        return (parts[..7].join(":"), Some(parts[7].to_string()));
    }
    (f.to_string(), None)
}

fn null_if_empty(m: Map<String, Value>) -> Value {
    if m.is_empty() {
        Value::Null
    } else {
        Value::Object(m)
    }
}

/// The Lambda proxy integration event, payload format 1.0.
pub fn proxy_event(call: &Call<'_>) -> Value {
    let mut headers = Map::new();
    let mut multi_headers = Map::new();
    for (name, value) in &call.req.headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        let name = canonical_header(name.as_str());
        headers.insert(name.clone(), json!(v));
        if let Some(a) = multi_headers
            .entry(name)
            .or_insert_with(|| json!([]))
            .as_array_mut()
        {
            a.push(json!(v));
        }
    }
    let source_ip = call.context["identity"]["sourceIp"]
        .as_str()
        .unwrap_or("127.0.0.1");
    let epoch_ms = call.context["requestTimeEpoch"]
        .as_u64()
        .unwrap_or_default();
    for (name, v) in crate::dataplane::forwarded_headers(call.ctx, source_ip, epoch_ms) {
        let name = canonical_header(name);
        if !headers.contains_key(&name) {
            headers.insert(name.clone(), json!(v));
            multi_headers.insert(name, json!([v]));
        }
    }
    let mut query = Map::new();
    let mut multi_query = Map::new();
    for (k, v) in &call.query {
        query.insert(k.clone(), json!(v));
        if let Some(a) = multi_query
            .entry(k.clone())
            .or_insert_with(|| json!([]))
            .as_array_mut()
        {
            a.push(json!(v));
        }
    }
    let path_params: Map<String, Value> = call
        .path_params
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let stage_vars: Map<String, Value> = call
        .stage
        .variables
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let binary = is_binary(call.api, call.req.header("content-type"));
    let body = if call.req.body.is_empty() {
        Value::Null
    } else if binary {
        json!(b64(&call.req.body))
    } else {
        json!(String::from_utf8_lossy(&call.req.body))
    };
    json!({
        "resource": call.resource.path,
        "path": call.path,
        "httpMethod": call.req.method.as_str(),
        "headers": null_if_empty(headers),
        "multiValueHeaders": null_if_empty(multi_headers),
        "queryStringParameters": null_if_empty(query),
        "multiValueQueryStringParameters": null_if_empty(multi_query),
        "pathParameters": null_if_empty(path_params),
        "stageVariables": null_if_empty(stage_vars),
        "requestContext": call.context,
        "body": body,
        "isBase64Encoded": binary && !call.req.body.is_empty(),
    })
}

/// `content-type` → `Content-Type` (hyper lowercases header names; clients sent them
/// capitalized in the common case).
fn canonical_header(name: &str) -> String {
    name.split('-')
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

pub(crate) fn timeout_of(i: &Integration) -> Duration {
    Duration::from_millis(i.timeout_in_millis.clamp(50, 29000) as u64)
}

pub async fn lambda_proxy(call: &Call<'_>, i: &Integration) -> HttpResponse {
    let uri = stage_vars_in(call, i.uri.as_deref().unwrap_or_default());
    let Some(function) = function_of(&uri) else {
        return message(500, INTERNAL);
    };
    let event = proxy_event(call);
    match invoke(call, &function, &event, timeout_of(i)).await {
        Err(InvokeFailure::Timeout) => message(504, r#"{"message": "Endpoint request timed out"}"#),
        Err(InvokeFailure::Failed) => message(500, INTERNAL),
        Ok(r) if r.function_error.is_some() => message(502, INTERNAL),
        Ok(r) => proxy_response(&r.payload, decodes_binary(call)).unwrap_or_else(|| {
            tracing::info!("malformed lambda proxy response");
            message(502, INTERNAL)
        }),
    }
}

/// Whether a base64 body (`isBase64Encoded`) goes to the client as bytes: API Gateway looks
/// at the first media type of the request's `Accept` header, and decodes when it is one of
/// the API's `binaryMediaTypes`; otherwise the client gets the base64 text. A request with no
/// `Accept` header gets the bytes (Lamina's choice: AWS does not document that case).
fn decodes_binary(call: &Call<'_>) -> bool {
    match call.req.header("accept") {
        None => true,
        Some(accept) => is_binary(call.api, accept.split(',').next()),
    }
}

/// The Lambda (non-proxy) integration, `type: AWS` with a function URI: the request
/// template's output (or the body) is the event; a function error's `errorMessage` selects
/// the integration response by its selection pattern, success takes the default one.
pub async fn lambda(call: &Call<'_>, i: &Integration, function: &str) -> HttpResponse {
    let body = match request_template(call, i) {
        Ok(Some(t)) => match render(call, t, &call.req.body) {
            Ok(r) => r.body.into_bytes(),
            Err(resp) => return resp,
        },
        Ok(None) => call.req.body.to_vec(),
        Err(resp) => return resp,
    };
    let event: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => json!(String::from_utf8_lossy(&body)),
        }
    };
    let r = match invoke(call, function, &event, timeout_of(i)).await {
        Err(InvokeFailure::Timeout) => {
            return message(504, r#"{"message": "Endpoint request timed out"}"#);
        }
        Err(InvokeFailure::Failed) => return message(500, INTERNAL),
        Ok(r) => r,
    };
    let ir = if r.function_error.is_some() {
        let err: Value = serde_json::from_slice(&r.payload).unwrap_or(Value::Null);
        let msg = err["errorMessage"].as_str().unwrap_or_default();
        select_response(i, msg)
    } else {
        i.integration_responses.as_ref().and_then(|rs| {
            rs.values()
                .find(|r| r.selection_pattern.as_deref().is_none_or(str::is_empty))
        })
    };
    method_response(call, ir, &r.payload, &[])
}

/// Maps a Lambda proxy response; `None` when it is malformed (API Gateway's 502).
/// `decode_binary`: a body marked `isBase64Encoded` is decoded (else passed on as text).
pub fn proxy_response(payload: &[u8], decode_binary: bool) -> Option<HttpResponse> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    let o = v.as_object()?;
    const KEYS: &[&str] = &[
        "statusCode",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
        "cookies",
    ];
    if o.keys().any(|k| !KEYS.contains(&k.as_str())) {
        return None;
    }
    let status = match o.get("statusCode") {
        Some(Value::Number(n)) => n.as_u64()?,
        Some(Value::String(s)) => s.parse().ok()?,
        None | Some(Value::Null) => 200,
        _ => return None,
    };
    if !(100..=599).contains(&status) {
        return None;
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match o.get("headers") {
        Some(Value::Object(h)) => {
            for (k, v) in h {
                headers.push((k.clone(), scalar(v)?));
            }
        }
        None | Some(Value::Null) => {}
        _ => return None,
    }
    match o.get("multiValueHeaders") {
        Some(Value::Object(h)) => {
            for (k, vs) in h {
                for v in vs.as_array()? {
                    headers.push((k.clone(), scalar(v)?));
                }
            }
        }
        None | Some(Value::Null) => {}
        _ => return None,
    }
    let b64 = matches!(o.get("isBase64Encoded"), Some(Value::Bool(true)));
    let body: Vec<u8> = match o.get("body") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) if b64 && decode_binary => B64.decode(s).ok()?,
        Some(Value::String(s)) => s.clone().into_bytes(),
        _ => return None,
    };
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), "application/json".into()));
    }
    Some(HttpResponse {
        status: status as u16,
        headers,
        body: body.into(),
    })
}

fn params_of(call: &Call<'_>) -> RequestParams {
    RequestParams {
        path: call.path_params.clone(),
        querystring: call.query.iter().cloned().collect(),
        header: call
            .req
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    canonical_header(k.as_str()),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}

fn content_type(call: &Call<'_>) -> String {
    call.req
        .header("content-type")
        .and_then(|c| c.split(';').next())
        .unwrap_or("application/json")
        .trim()
        .to_ascii_lowercase()
}

/// The request template for the call's content type; `Err` for 415 (passthrough NEVER or
/// WHEN_NO_TEMPLATES with templates for other types).
pub(crate) fn request_template<'i>(
    call: &Call<'_>,
    i: &'i Integration,
) -> Result<Option<&'i str>, HttpResponse> {
    let ct = content_type(call);
    let templates = i.request_templates.as_ref();
    if let Some(t) = templates.and_then(|t| t.get(&ct)) {
        return Ok(Some(t.as_str()));
    }
    let has_any = templates.is_some_and(|t| !t.is_empty());
    match i.passthrough_behavior.as_deref().unwrap_or("WHEN_NO_MATCH") {
        "NEVER" => Err(message(415, r#"{"message": "Unsupported Media Type"}"#)),
        "WHEN_NO_TEMPLATES" if has_any => {
            Err(message(415, r#"{"message": "Unsupported Media Type"}"#))
        }
        _ => Ok(None),
    }
}

pub(crate) fn render(
    call: &Call<'_>,
    template: &str,
    body: &[u8],
) -> Result<vtl::Rendered, HttpResponse> {
    let params = params_of(call);
    let vars: BTreeMap<String, String> = call.stage.variables.clone().unwrap_or_default();
    let ctx = VtlContext {
        body,
        params: &params,
        context: &call.context,
        stage_variables: &vars,
    };
    vtl::render(template, &ctx).map_err(|e| {
        tracing::info!(error = %e, "mapping template failed");
        message(500, INTERNAL)
    })
}

/// Picks the integration response whose selection pattern matches `selector` (a status
/// code, or for AWS integrations an error message), else the default one.
pub(crate) fn select_response<'i>(
    i: &'i Integration,
    selector: &str,
) -> Option<&'i IntegrationResponse> {
    let responses = i.integration_responses.as_ref()?;
    let matched = responses.values().find(|r| {
        r.selection_pattern.as_deref().is_some_and(|p| {
            !p.is_empty()
                && regex_lite::Regex::new(&format!("^(?s:{p})$"))
                    .is_ok_and(|re| re.is_match(selector))
        })
    });
    matched.or_else(|| {
        responses
            .values()
            .find(|r| r.selection_pattern.as_deref().is_none_or(str::is_empty))
    })
}

/// Builds the method response from an integration response: status, mapped headers
/// (`'literal'` or `integration.response.header.X`), body template or passthrough.
pub(crate) fn method_response(
    call: &Call<'_>,
    ir: Option<&IntegrationResponse>,
    body: &[u8],
    upstream_headers: &[(String, String)],
) -> HttpResponse {
    let Some(ir) = ir else {
        return message(500, INTERNAL);
    };
    let status: u16 = ir.status_code.parse().unwrap_or(200);
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    for (target, source) in ir.response_parameters.iter().flatten() {
        let Some(name) = target.strip_prefix("method.response.header.") else {
            continue;
        };
        let value = if let Some(lit) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\''))
        {
            Some(lit.to_string())
        } else if let Some(h) = source.strip_prefix("integration.response.header.") {
            upstream_headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(h))
                .map(|(_, v)| v.clone())
        } else {
            None
        };
        if let Some(v) = value {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            headers.push((name.to_string(), v));
        }
    }
    let template = ir
        .response_templates
        .as_ref()
        .and_then(|t| t.get("application/json").or_else(|| t.values().next()));
    let (body, status, extra) = match template {
        Some(t) if !t.is_empty() => match render(call, t, body) {
            Ok(r) => (
                r.body.into_bytes(),
                r.overrides.response_status.unwrap_or(status),
                r.overrides.response_header.into_iter().collect::<Vec<_>>(),
            ),
            Err(resp) => return resp,
        },
        Some(_) => (Vec::new(), status, Vec::new()),
        None => (body.to_vec(), status, Vec::new()),
    };
    for (k, v) in extra {
        headers.retain(|(h, _)| !h.eq_ignore_ascii_case(&k));
        headers.push((k, v));
    }
    HttpResponse {
        status,
        headers,
        body: body.into(),
    }
}

pub fn mock(call: &Call<'_>, i: &Integration) -> HttpResponse {
    let template = match request_template(call, i) {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let status = match template {
        Some(t) => match render(call, t, &call.req.body) {
            Ok(r) => serde_json::from_str::<Value>(&r.body)
                .ok()
                .and_then(|v| v["statusCode"].as_u64())
                .unwrap_or(200),
            Err(resp) => return resp,
        },
        None => 200,
    };
    let ir = select_response(i, &status.to_string());
    method_response(call, ir, b"", &[])
}

/// `${stageVariables.name}` in an integration URI, filled from the stage's variables (an
/// unknown name becomes empty).
pub(crate) fn stage_vars_in(call: &Call<'_>, uri: &str) -> String {
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
        if let Some(v) = call
            .stage
            .variables
            .as_ref()
            .and_then(|m| m.get(&tail[..end]))
        {
            out.push_str(v);
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The value of a request-parameter mapping source: `method.request.{path,querystring,header}.x`,
/// `method.request.body`, `stageVariables.x`, `context.x` or a `'literal'`.
pub(crate) fn param_source(call: &Call<'_>, source: &str) -> Option<String> {
    let source = source.trim();
    if let Some(lit) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(lit.to_string());
    }
    if source == "method.request.body" {
        return Some(String::from_utf8_lossy(&call.req.body).into_owned());
    }
    if let Some(p) = source.strip_prefix("method.request.path.") {
        return call.path_params.get(p).cloned();
    }
    if let Some(q) = source.strip_prefix("method.request.querystring.") {
        return call
            .query
            .iter()
            .rev()
            .find(|(k, _)| k == q)
            .map(|(_, v)| v.clone());
    }
    if let Some(h) = source.strip_prefix("method.request.header.") {
        return call.req.header(h).map(str::to_string);
    }
    if let Some(v) = source.strip_prefix("stageVariables.") {
        return call.stage.variables.as_ref()?.get(v).cloned();
    }
    if let Some(c) = source.strip_prefix("context.") {
        let mut v = &call.context;
        for part in c.split('.') {
            v = v.get(part)?;
        }
        return match v {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            other => Some(other.to_string()),
        };
    }
    None
}

/// Substitutes `{name}` in the integration URI from the integration's request parameters
/// (`integration.request.path.x` ← any mapping source) or same-named path parameters.
fn target_uri(call: &Call<'_>, i: &Integration) -> String {
    let mut uri = stage_vars_in(call, i.uri.as_deref().unwrap_or_default());
    let mut values: BTreeMap<String, String> = call.path_params.clone();
    for (target, source) in i.request_parameters.iter().flatten() {
        let Some(name) = target.strip_prefix("integration.request.path.") else {
            continue;
        };
        if let Some(v) = param_source(call, source) {
            values.insert(name.to_string(), v);
        }
    }
    for (k, v) in &values {
        uri = uri
            .replace(&format!("{{{k}+}}"), v)
            .replace(&format!("{{{k}}}"), v);
    }
    uri
}

pub async fn http(call: &Call<'_>, i: &Integration) -> HttpResponse {
    let proxy = i.kind == "HTTP_PROXY";
    let mut uri = target_uri(call, i);
    let method = if proxy && i.http_method.as_deref() == Some("ANY") {
        call.req.method.as_str().to_string()
    } else {
        i.http_method.clone().unwrap_or_else(|| "GET".into())
    };
    let mut body = call.req.body.to_vec();
    if proxy {
        if !call.req.query.is_empty() {
            uri.push(if uri.contains('?') { '&' } else { '?' });
            uri.push_str(&call.req.query);
        }
    } else {
        match request_template(call, i) {
            Ok(Some(t)) => match render(call, t, &call.req.body) {
                Ok(r) => body = r.body.into_bytes(),
                Err(resp) => return resp,
            },
            Ok(None) => {}
            Err(resp) => return resp,
        }
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    if proxy {
        for (k, v) in &call.req.headers {
            let k = k.as_str();
            if matches!(
                k,
                "host" | "connection" | "content-length" | "transfer-encoding"
            ) {
                continue;
            }
            headers.push((
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            ));
        }
    } else if let Some(ct) = call.req.header("content-type") {
        headers.push(("content-type".into(), ct.to_string()));
    }
    // Mapped query strings and headers (`integration.request.querystring.x` /
    // `integration.request.header.X` from a method request parameter, a stage variable or a
    // 'literal'); a source without a value is left out.
    for (target, source) in i.request_parameters.iter().flatten() {
        let Some(value) = param_source(call, source) else {
            continue;
        };
        if let Some(name) = target.strip_prefix("integration.request.querystring.") {
            uri.push(if uri.contains('?') { '&' } else { '?' });
            uri.push_str(&vtl::url_encode(name));
            uri.push('=');
            uri.push_str(&vtl::url_encode(&value));
        } else if let Some(name) = target.strip_prefix("integration.request.header.") {
            headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
            headers.push((name.to_string(), value));
        }
    }
    let fut = http_request(&method, &uri, &headers, &body);
    let resp = match tokio::time::timeout(timeout_of(i), fut).await {
        Err(_) => return message(504, r#"{"message": "Endpoint request timed out"}"#),
        Ok(Err(e)) => {
            tracing::info!(error = %e, uri, "http integration failed");
            return message(500, INTERNAL);
        }
        Ok(Ok(r)) => r,
    };
    if proxy {
        let mut headers = resp.headers;
        headers.retain(|(k, _)| {
            !matches!(
                k.to_ascii_lowercase().as_str(),
                "connection" | "transfer-encoding" | "content-length"
            )
        });
        return HttpResponse {
            status: resp.status,
            headers,
            body: resp.body,
        };
    }
    let ir = select_response(i, &resp.status.to_string());
    method_response(call, ir, &resp.body, &resp.headers)
}

/// A minimal HTTP/1.1 client (`http://` only, `Connection: close`, content-length or
/// chunked bodies), enough for loopback backends.
pub async fn http_request(
    method: &str,
    uri: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<HttpResponse, String> {
    let rest = uri
        .strip_prefix("http://")
        .ok_or_else(|| format!("unsupported scheme in {uri} (only http:// is served)"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_string()),
    };
    let addr = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        if k.contains(['\r', '\n']) || v.contains(['\r', '\n']) {
            continue;
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stream.write_all(body).await.map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    // 10 MB: API Gateway's payload limit.
    (&mut stream)
        .take(10 * 1024 * 1024 + 64 * 1024)
        .read_to_end(&mut raw)
        .await
        .map_err(|e| e.to_string())?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<HttpResponse, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no header terminator")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or("empty response")?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("bad status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    } else if let Some(len) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        body.truncate(len);
    }
    Ok(HttpResponse {
        status,
        headers,
        body: body.into(),
    })
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let i = b.windows(2).position(|w| w == b"\r\n").ok_or("bad chunk")?;
        let size_str = String::from_utf8_lossy(&b[..i]);
        let size = usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| "bad chunk size")?;
        b = &b[i + 2..];
        if size == 0 {
            return Ok(out);
        }
        if b.len() < size {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&b[..size]);
        b = b.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_proxy_response_mapping() {
        let r = proxy_response(br#"{"statusCode": 201, "headers": {"X-A": "1"}, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}, "body": "hi"}"#, true).unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.header("x-a"), Some("1"));
        assert_eq!(
            r.headers.iter().filter(|(k, _)| k == "Set-Cookie").count(),
            2
        );
        assert_eq!(&r.body[..], b"hi");
        let r = proxy_response(
            br#"{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}"#,
            true,
        )
        .unwrap();
        assert_eq!(&r.body[..], b"hi");
        let r = proxy_response(
            br#"{"statusCode": 200, "body": "aGk=", "isBase64Encoded": true}"#,
            false,
        )
        .unwrap();
        assert_eq!(&r.body[..], b"aGk=");
        for bad in [
            &b"not json"[..],
            b"[1]",
            br#"{"statusCode": 200, "body": {"a": 1}}"#,
            br#"{"statusCode": 200, "extra": 1}"#,
            br#"{"statusCode": "abc"}"#,
        ] {
            assert!(
                proxy_response(bad, true).is_none(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn v1_function_arns() {
        assert_eq!(
            function_of("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:f/invocations").as_deref(),
            Some("arn:aws:lambda:us-east-1:000000000000:function:f")
        );
        assert_eq!(
            split_qualifier("arn:aws:lambda:us-east-1:1:function:f:live"),
            (
                "arn:aws:lambda:us-east-1:1:function:f".into(),
                Some("live".into())
            )
        );
    }

    #[test]
    fn v1_http_response_parsing() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n2\r\nhi\r\n3\r\n!!!\r\n0\r\n\r\n").unwrap();
        assert_eq!((r.status, &r.body[..]), (200, &b"hi!!!"[..]));
        let r = parse_response(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nnoXX").unwrap();
        assert_eq!((r.status, &r.body[..]), (404, &b"no"[..]));
        assert!(parse_response(b"garbage").is_err());
    }
}
