//! Helpers shared by the fuzz targets: turning fuzzer bytes into `HttpRequest`s that are
//! mostly well-formed enough to reach deep into the codecs (a real operation's target,
//! action or URI template), and running a request through the whole inbound path.

use bytes::Bytes;
use lamina_model::Model;
use lamina_wire::{HttpRequest, Protocol, ResponseMeta};
use libfuzzer_sys::arbitrary::{Result, Unstructured};

pub use libfuzzer_sys::arbitrary;

/// One of `names`, chosen by the fuzzer.
pub fn pick<'a>(u: &mut Unstructured<'_>, names: &[&'a str]) -> Result<&'a str> {
    Ok(names[u.choose_index(names.len())?])
}

/// A model's operation names, sorted so a given input always picks the same one.
pub fn operation_names(model: &Model) -> Vec<&str> {
    let mut names: Vec<&str> = model.operations.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

/// A short string: usually printable, sometimes any UTF-8.
pub fn short_string(u: &mut Unstructured<'_>) -> Result<String> {
    let len = u.int_in_range(0..=24)?;
    let mut s = String::with_capacity(len);
    for _ in 0..len {
        let c = if u.ratio(7, 8)? {
            char::from(u.int_in_range(0x20u8..=0x7e)?)
        } else {
            u.arbitrary::<char>()?
        };
        s.push(c);
    }
    Ok(s)
}

/// Adds up to four arbitrary headers (names and values that `http` accepts).
pub fn extra_headers(u: &mut Unstructured<'_>, headers: &mut http::HeaderMap) -> Result<()> {
    const NAMES: &[&str] = &[
        "content-type",
        "x-amz-target",
        "x-amz-date",
        "content-md5",
        "x-amz-meta-a",
        "x-amz-acl",
        "range",
        "if-match",
        "x-amz-tagging",
        "x-amz-invocation-type",
        "x-amz-client-context",
        "x-amz-log-type",
        "content-encoding",
        "x-amz-content-sha256",
        "x-amz-copy-source",
    ];
    for _ in 0..u.int_in_range(0..=4)? {
        let name = pick(u, NAMES)?;
        let value = short_string(u)?;
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            headers.append(name, v);
        }
    }
    Ok(())
}

/// A query string: sometimes one template-style flag (`tagging`, `uploads`), then
/// arbitrary `k=v` pairs.
pub fn query_string(u: &mut Unstructured<'_>, flags: &[&str]) -> Result<String> {
    let mut q = String::new();
    if !flags.is_empty() && u.arbitrary()? {
        q.push_str(pick(u, flags)?);
    }
    for _ in 0..u.int_in_range(0..=3)? {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&short_string(u)?);
        q.push('=');
        q.push_str(&short_string(u)?);
    }
    Ok(q)
}

/// Fills a rest URI template (`/2015-03-31/functions/{FunctionName}/invocations?Qualifier`)
/// with fuzzer-chosen labels; returns (path, query flags from the template).
pub fn fill_template(u: &mut Unstructured<'_>, template: &str) -> Result<(String, String)> {
    let (path_t, query_t) = template.split_once('?').unwrap_or((template, ""));
    let mut path = String::new();
    let mut rest = path_t;
    while let Some(start) = rest.find('{') {
        path.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else { break };
        let label = short_string(u)?;
        // Labels travel percent-encoded; sometimes leave them raw to test the decoder.
        if u.arbitrary()? {
            path.push_str(&label);
        } else {
            for b in label.bytes() {
                if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                    path.push(char::from(b));
                } else {
                    path.push_str(&format!("%{b:02X}"));
                }
            }
        }
        rest = &rest[start + end + 1..];
    }
    path.push_str(rest);
    Ok((path, query_t.to_string()))
}

/// Builds a request.
pub fn request(method: &str, path: String, query: String, headers: http::HeaderMap, body: &[u8]) -> HttpRequest {
    HttpRequest {
        method: http::Method::from_bytes(method.as_bytes()).unwrap_or(http::Method::POST),
        path,
        query,
        headers,
        body: Bytes::copy_from_slice(body),
    }
}

/// The gateway's inbound path for one request: find the operation, parse, validate; on any
/// error, serialize it as the protocol would. Every step must return, never panic.
pub fn run(model: &Model, req: &HttpRequest) {
    let protocol = Protocol::of_request(model, req);
    let meta = ResponseMeta { request_id: "fuzz" };
    let result = lamina_wire::operation(model, protocol, req).and_then(|op| {
        let input = lamina_wire::parse(model, protocol, op, req)?;
        lamina_wire::validate::validate(model, op, &input.value)
    });
    if let Err(err) = result {
        let resp = lamina_wire::serialize_error(model, protocol, &err, &meta);
        assert!(resp.status >= 400, "an error must not serialize as success: {err}");
    }
}

/// A rest request for `model`: usually a real operation's method and URI template.
pub fn rest_request(u: &mut Unstructured<'_>, model: &Model, body_hint: &[u8]) -> Result<HttpRequest> {
    const METHODS: &[&str] = &["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH"];
    let names = operation_names(model);
    let (method, path, flags) = if u.ratio(9, 10)? {
        let op = &model.operations[pick(u, &names)?];
        let (path, flags) = fill_template(u, &op.http.request_uri)?;
        (op.http.method.clone(), path, flags)
    } else {
        let mut p = String::from("/");
        p.push_str(&short_string(u)?);
        (pick(u, METHODS)?.to_string(), p, String::new())
    };
    let mut query = query_string(u, &[])?;
    if !flags.is_empty() {
        query = if query.is_empty() { flags } else { format!("{flags}&{query}") };
    }
    let mut headers = http::HeaderMap::new();
    extra_headers(u, &mut headers)?;
    let rest = u.len();
    let mut body = u.bytes(rest)?.to_vec();
    if body.is_empty() {
        body = body_hint.to_vec();
    }
    Ok(request(&method, path, query, headers, &body))
}
