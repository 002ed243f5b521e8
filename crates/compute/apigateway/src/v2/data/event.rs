//! The Lambda proxy events (payload format 2.0 and 1.0) and the mapping of a function's
//! answer back to HTTP, as AWS documents them for HTTP APIs. Pure.

use super::routing::decode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// What the authorizer found, for `requestContext.authorizer`.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum AuthContext {
    #[default]
    None,
    Jwt {
        claims: Map<String, Value>,
        scopes: Option<Vec<String>>,
    },
    Lambda(Value),
}

/// Everything the events are built from.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// The path as the client sent it (with the stage segment for named stages).
    pub raw_path: String,
    pub query: String,
    /// Header names lowercased, in arrival order, one entry per value.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub account_id: String,
    pub api_id: String,
    pub domain_name: String,
    pub stage: String,
    pub route_key: String,
    /// The route's path (`/items/{id}`) for 1.0's `resource`.
    pub resource: String,
    pub path_params: BTreeMap<String, String>,
    pub stage_vars: BTreeMap<String, String>,
    pub request_id: String,
    pub source_ip: String,
    pub time_ms: u64,
    pub auth: AuthContext,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Headers with repeated names comma-joined; `cookie` is left out when `skip_cookie`.
    pub fn joined_headers(&self, skip_cookie: bool) -> Map<String, Value> {
        let mut m: Map<String, Value> = Map::new();
        for (k, v) in &self.headers {
            if skip_cookie && k == "cookie" {
                continue;
            }
            match m.get_mut(k) {
                Some(Value::String(s)) => {
                    s.push(',');
                    s.push_str(v);
                }
                _ => {
                    m.insert(k.clone(), Value::String(v.clone()));
                }
            }
        }
        m
    }

    /// Query parameters, decoded, in order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            })
            .collect()
    }

    fn cookies(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "cookie")
            .flat_map(|(_, v)| v.split(';').map(|c| c.trim().to_string()))
            .filter(|c| !c.is_empty())
            .collect()
    }

    /// The body as the event carries it, and whether it is base64.
    fn body(&self) -> (Option<String>, bool) {
        if self.body.is_empty() {
            return (None, false);
        }
        let ct = self
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        let textual = ct.is_empty()
            || ct.starts_with("text/")
            || ct.contains("json")
            || ct.contains("xml")
            || ct.contains("javascript")
            || ct.contains("x-www-form-urlencoded");
        match std::str::from_utf8(&self.body) {
            Ok(s) if textual => (Some(s.to_string()), false),
            _ => (Some(STANDARD.encode(&self.body)), true),
        }
    }

    fn user_agent(&self) -> String {
        self.header("user-agent").unwrap_or("").to_string()
    }

    fn domain_prefix(&self) -> &str {
        self.domain_name.split('.').next().unwrap_or("")
    }

    fn path_only(&self) -> &str {
        &self.raw_path
    }
}

fn opt_map(m: &BTreeMap<String, String>) -> Value {
    if m.is_empty() { Value::Null } else { json!(m) }
}

/// The payload format 2.0 event.
pub fn event_v2(r: &Request) -> Value {
    let mut ev = Map::new();
    ev.insert("version".into(), json!("2.0"));
    ev.insert("routeKey".into(), json!(r.route_key));
    ev.insert("rawPath".into(), json!(r.raw_path));
    ev.insert("rawQueryString".into(), json!(r.query));
    let cookies = r.cookies();
    if !cookies.is_empty() {
        ev.insert("cookies".into(), json!(cookies));
    }
    ev.insert("headers".into(), Value::Object(r.joined_headers(true)));
    let q = r.query_pairs();
    if !q.is_empty() {
        let mut m: Map<String, Value> = Map::new();
        for (k, v) in q {
            match m.get_mut(&k) {
                Some(Value::String(s)) => {
                    s.push(',');
                    s.push_str(&v);
                }
                _ => {
                    m.insert(k, Value::String(v));
                }
            }
        }
        ev.insert("queryStringParameters".into(), Value::Object(m));
    }
    let mut rc = json!({
        "accountId": r.account_id,
        "apiId": r.api_id,
        "domainName": r.domain_name,
        "domainPrefix": r.domain_prefix(),
        "http": {
            "method": r.method,
            "path": r.path_only(),
            "protocol": "HTTP/1.1",
            "sourceIp": r.source_ip,
            "userAgent": r.user_agent(),
        },
        "requestId": r.request_id,
        "routeKey": r.route_key,
        "stage": r.stage,
        "time": clf_time(r.time_ms),
        "timeEpoch": r.time_ms,
    });
    match &r.auth {
        AuthContext::None => {}
        AuthContext::Jwt { claims, scopes } => {
            rc["authorizer"] = json!({"jwt": {"claims": claims, "scopes": scopes}});
        }
        AuthContext::Lambda(ctx) => rc["authorizer"] = json!({ "lambda": ctx }),
    }
    ev.insert("requestContext".into(), rc);
    let (body, b64) = r.body();
    if let Some(b) = body {
        ev.insert("body".into(), json!(b));
    }
    if !r.path_params.is_empty() {
        ev.insert("pathParameters".into(), json!(r.path_params));
    }
    ev.insert("isBase64Encoded".into(), json!(b64));
    if !r.stage_vars.is_empty() {
        ev.insert("stageVariables".into(), json!(r.stage_vars));
    }
    Value::Object(ev)
}

/// The payload format 1.0 event (the REST API proxy event with `version: "1.0"`).
pub fn event_v1(r: &Request) -> Value {
    let mut headers = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, v) in &r.headers {
        headers.insert(k.clone(), json!(v));
        match multi.get_mut(k) {
            Some(Value::Array(a)) => a.push(json!(v)),
            _ => {
                multi.insert(k.clone(), json!([v]));
            }
        }
    }
    let q = r.query_pairs();
    let (qs, mqs) = if q.is_empty() {
        (Value::Null, Value::Null)
    } else {
        let mut one = Map::new();
        let mut many: Map<String, Value> = Map::new();
        for (k, v) in q {
            one.insert(k.clone(), json!(v));
            match many.get_mut(&k) {
                Some(Value::Array(a)) => a.push(json!(v)),
                _ => {
                    many.insert(k, json!([v]));
                }
            }
        }
        (Value::Object(one), Value::Object(many))
    };
    let authorizer = match &r.auth {
        AuthContext::None => Value::Null,
        AuthContext::Jwt { claims, scopes } => json!({"claims": claims, "scopes": scopes}),
        AuthContext::Lambda(ctx) => ctx.clone(),
    };
    let (body, b64) = r.body();
    json!({
        "version": "1.0",
        "resource": r.resource,
        "path": r.raw_path,
        "httpMethod": r.method,
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": qs,
        "multiValueQueryStringParameters": mqs,
        "requestContext": {
            "accountId": r.account_id,
            "apiId": r.api_id,
            "authorizer": authorizer,
            "domainName": r.domain_name,
            "domainPrefix": r.domain_prefix(),
            "extendedRequestId": r.request_id,
            "httpMethod": r.method,
            "identity": {
                "accessKey": null, "accountId": null, "caller": null,
                "cognitoAuthenticationProvider": null, "cognitoAuthenticationType": null,
                "cognitoIdentityId": null, "cognitoIdentityPoolId": null, "principalOrgId": null,
                "sourceIp": r.source_ip, "user": null, "userAgent": r.user_agent(),
                "userArn": null,
            },
            "path": r.raw_path,
            "protocol": "HTTP/1.1",
            "requestId": r.request_id,
            "requestTime": clf_time(r.time_ms),
            "requestTimeEpoch": r.time_ms,
            "resourceId": r.route_key,
            "resourcePath": r.resource,
            "stage": r.stage,
        },
        "pathParameters": opt_map(&r.path_params),
        "stageVariables": opt_map(&r.stage_vars),
        "body": body,
        "isBase64Encoded": b64,
    })
}

/// An HTTP answer built from a function's response.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

fn header_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The structured response (`statusCode`, `headers`, `body`, ...) of either format; `None`
/// when it is malformed.
fn structured(obj: &Map<String, Value>, v1: bool) -> Option<Mapped> {
    let status = obj.get("statusCode")?;
    let status = status
        .as_u64()
        .or_else(|| status.as_str().and_then(|s| s.parse().ok()))?;
    let status = u16::try_from(status)
        .ok()
        .filter(|s| (100..=599).contains(s))?;
    let mut headers = Vec::new();
    if let Some(h) = obj.get("headers").filter(|h| !h.is_null()) {
        for (k, v) in h.as_object()? {
            headers.push((k.clone(), header_value(v)?));
        }
    }
    if v1 && let Some(h) = obj.get("multiValueHeaders").filter(|h| !h.is_null()) {
        for (k, vs) in h.as_object()? {
            headers.retain(|(n, _)| !n.eq_ignore_ascii_case(k));
            for v in vs.as_array()? {
                headers.push((k.clone(), header_value(v)?));
            }
        }
    }
    if !v1 && let Some(c) = obj.get("cookies").filter(|c| !c.is_null()) {
        for cookie in c.as_array()? {
            headers.push(("set-cookie".into(), cookie.as_str()?.to_string()));
        }
    }
    let b64 = obj
        .get("isBase64Encoded")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let body = match obj.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(s)) if b64 => Bytes::from(STANDARD.decode(s).ok()?),
        Some(Value::String(s)) => Bytes::from(s.clone()),
        Some(other) => Bytes::from(other.to_string()),
    };
    Some(Mapped {
        status,
        headers,
        body,
    })
}

/// Maps a 2.0 response: a structured object as given; any other JSON value becomes a 200
/// with the payload as an `application/json` body. `None`: 500 Internal Server Error.
pub fn map_response_v2(payload: &[u8]) -> Option<Mapped> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    if let Value::Object(obj) = &v
        && obj.contains_key("statusCode")
    {
        return structured(obj, false);
    }
    // The function's answer is the body: a JSON string as its text (the guide's
    // `"Hello from Lambda!"` → body `Hello from Lambda!`), anything else as its JSON.
    let body = match &v {
        Value::String(s) => Bytes::from(s.clone()),
        _ => Bytes::copy_from_slice(payload),
    };
    Some(Mapped {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    })
}

/// Maps a 1.0 response, which must be structured. `None`: 500 Internal Server Error.
pub fn map_response_v1(payload: &[u8]) -> Option<Mapped> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    structured(v.as_object()?, true)
}

/// `12/Mar/2020:19:03:58 +0000` (the common log format AWS uses in `time`).
pub fn clf_time(ms: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{d:02}/{}/{y}:{:02}:{:02}:{:02} +0000",
        MONTHS[(m - 1).clamp(0, 11) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> Request {
        Request {
            method: "POST".into(),
            raw_path: "/prod/items/42".into(),
            query: "a=1&a=2&b=x%20y".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-multi".into(), "1".into()),
                ("x-multi".into(), "2".into()),
                ("cookie".into(), "c1=v1; c2=v2".into()),
                ("user-agent".into(), "ua/1".into()),
            ],
            body: Bytes::from_static(b"{\"k\":1}"),
            account_id: "000000000000".into(),
            api_id: "abc123".into(),
            domain_name: "abc123.execute-api.localhost".into(),
            stage: "prod".into(),
            route_key: "POST /items/{id}".into(),
            resource: "/items/{id}".into(),
            path_params: [("id".to_string(), "42".to_string())].into(),
            stage_vars: BTreeMap::new(),
            request_id: "rid".into(),
            source_ip: "127.0.0.1".into(),
            time_ms: 1_583_348_638_390,
            auth: AuthContext::Jwt {
                claims: [("sub".to_string(), json!("u1"))].into_iter().collect(),
                scopes: None,
            },
        }
    }

    #[test]
    fn v2_event_2_0_shape() {
        let e = event_v2(&req());
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["routeKey"], "POST /items/{id}");
        assert_eq!(e["rawPath"], "/prod/items/42");
        assert_eq!(e["rawQueryString"], "a=1&a=2&b=x%20y");
        assert_eq!(e["cookies"], json!(["c1=v1", "c2=v2"]));
        assert_eq!(e["headers"]["x-multi"], "1,2");
        assert!(e["headers"].get("cookie").is_none());
        assert_eq!(e["queryStringParameters"], json!({"a": "1,2", "b": "x y"}));
        assert_eq!(e["pathParameters"], json!({"id": "42"}));
        assert!(e.get("stageVariables").is_none());
        assert_eq!(e["body"], "{\"k\":1}");
        assert_eq!(e["isBase64Encoded"], false);
        let rc = &e["requestContext"];
        assert_eq!(rc["http"]["method"], "POST");
        assert_eq!(rc["http"]["userAgent"], "ua/1");
        assert_eq!(rc["domainPrefix"], "abc123");
        assert_eq!(rc["time"], "04/Mar/2020:19:03:58 +0000");
        assert_eq!(rc["timeEpoch"], 1_583_348_638_390u64);
        assert_eq!(rc["authorizer"]["jwt"]["claims"]["sub"], "u1");
        assert!(rc["authorizer"]["jwt"]["scopes"].is_null());
    }

    #[test]
    fn v2_event_1_0_shape() {
        let e = event_v1(&req());
        assert_eq!(e["version"], "1.0");
        assert_eq!(e["resource"], "/items/{id}");
        assert_eq!(e["httpMethod"], "POST");
        assert_eq!(e["headers"]["x-multi"], "2");
        assert_eq!(e["multiValueHeaders"]["x-multi"], json!(["1", "2"]));
        assert_eq!(e["queryStringParameters"]["a"], "2");
        assert_eq!(e["multiValueQueryStringParameters"]["a"], json!(["1", "2"]));
        assert!(e["stageVariables"].is_null());
        assert_eq!(e["requestContext"]["identity"]["sourceIp"], "127.0.0.1");
        assert_eq!(e["requestContext"]["authorizer"]["claims"]["sub"], "u1");
    }

    #[test]
    fn v2_binary_body_is_base64() {
        let mut r = req();
        r.headers[0].1 = "application/octet-stream".into();
        r.body = Bytes::from_static(&[0xff, 0x00]);
        let e = event_v2(&r);
        assert_eq!(e["isBase64Encoded"], true);
        assert_eq!(e["body"], "/wA=");
    }

    #[test]
    fn v2_response_mapping_2_0() {
        let m = map_response_v2(br#"{"hello":"world"}"#).unwrap();
        assert_eq!(m.status, 200);
        assert_eq!(
            m.headers,
            vec![("content-type".into(), "application/json".into())]
        );
        assert_eq!(&m.body[..], br#"{"hello":"world"}"#);
        let m = map_response_v2(br#""plain \"text\"""#).unwrap();
        assert_eq!(&m.body[..], br#"plain "text""#);
        let m = map_response_v2(b"42").unwrap();
        assert_eq!((m.status, &m.body[..]), (200, &b"42"[..]));
        let m = map_response_v2(
            br#"{"statusCode":201,"headers":{"x-a":"1","x-n":2},"cookies":["s=1"],"body":"aGk=","isBase64Encoded":true}"#,
        )
        .unwrap();
        assert_eq!(m.status, 201);
        assert!(m.headers.contains(&("x-n".into(), "2".into())));
        assert!(m.headers.contains(&("set-cookie".into(), "s=1".into())));
        assert_eq!(&m.body[..], b"hi");
        assert!(map_response_v2(br#"{"statusCode":"abc"}"#).is_none());
        assert!(map_response_v2(b"not json").is_none());
    }

    #[test]
    fn v2_response_mapping_1_0() {
        let m = map_response_v1(
            br#"{"statusCode":200,"headers":{"a":"1"},"multiValueHeaders":{"b":["1","2"]},"body":"x"}"#,
        )
        .unwrap();
        assert_eq!(m.headers.len(), 3);
        assert!(map_response_v1(br#"{"hello":1}"#).is_none());
    }

    #[test]
    fn v2_clf_time() {
        assert_eq!(clf_time(0), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(clf_time(951_782_400_000), "29/Feb/2000:00:00:00 +0000");
    }
}
