//! Which service a request is for, from what is on the wire and without parsing any model.
//!
//! Checked in this order (the first that decides wins):
//! 1. `X-Amz-Target: <prefix>.<Operation>` → the JSON service with that target prefix.
//! 2. Host `<bucket>.s3.<anything>` → S3 (virtual-hosted style).
//! 3. The SigV4 credential scope's service (`Authorization` header or presigned query),
//!    narrowed by path where two models share a signing name (`apigateway` v1 / v2 by the
//!    `/v2/` prefix; `dynamodb` and its Streams by target, handled in step 1).
//! 4. Unsigned requests: rest path prefixes (`/2015-03-31/functions` → Lambda), then the
//!    query protocol's `Version` parameter (STS `2011-06-15`, SNS `2010-03-31`, ...).
//!
//! A request nothing matches is [`Detected::Unknown`]; the gateway answers it with a
//! well-formed error naming what it saw.

use crate::HttpRequest;
use lamina_model::{ServiceInfo, services};

#[derive(Debug, Clone)]
pub enum Detected {
    /// An embedded model.
    Service(&'static ServiceInfo),
    /// A SigV4 scope or target naming a service Lamina has no model for.
    Unknown(String),
    /// Nothing on the request names a service.
    Unaddressed,
}

/// Detects the service. `scope_service` is the SigV4 credential scope's service, if signed.
pub fn detect(req: &HttpRequest, scope_service: Option<&str>) -> Detected {
    if let Some(target) = req.header("x-amz-target") {
        let prefix = target.split('.').next().unwrap_or("");
        return match services().iter().find(|s| s.target_prefix == Some(prefix)) {
            Some(s) => Detected::Service(s),
            None => Detected::Unknown(format!("X-Amz-Target {target}")),
        };
    }
    if let Some(host) = req.header("host") {
        let name = host.split(':').next().unwrap_or("");
        if name.contains(".s3.") {
            return by_name("s3");
        }
    }
    if let Some(scope) = scope_service {
        let candidates: Vec<&'static ServiceInfo> = services()
            .iter()
            .filter(|s| s.signing_name == scope && s.target_prefix.is_none())
            .collect();
        return match candidates.as_slice() {
            [] => match services().iter().find(|s| s.signing_name == scope) {
                // A JSON service signed but sent without its target: let its codec answer.
                Some(s) => Detected::Service(s),
                None => Detected::Unknown(format!("credential scope service '{scope}'")),
            },
            [one] => Detected::Service(one),
            several => {
                Detected::Service(by_path(several.iter().copied(), &req.path).unwrap_or(several[0]))
            }
        };
    }
    if let Some(s) = by_path(services(), &req.path) {
        return Detected::Service(s);
    }
    if let Some(version) = query_version(req)
        && let Some(s) = services()
            .iter()
            .find(|s| s.protocol == "query" && s.api_version == version)
    {
        return Detected::Service(s);
    }
    Detected::Unaddressed
}

fn by_name(name: &str) -> Detected {
    match services().iter().find(|s| s.name == name) {
        Some(s) => Detected::Service(s),
        None => Detected::Unknown(name.to_string()),
    }
}

/// The service whose rest path prefix matches the first path segment (longest wins).
fn by_path<'a>(
    candidates: impl IntoIterator<Item = &'a ServiceInfo>,
    path: &str,
) -> Option<&'a ServiceInfo> {
    let first = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    if first.is_empty() {
        return None;
    }
    candidates
        .into_iter()
        .filter(|s| {
            s.path_prefixes
                .iter()
                .any(|p| p.trim_start_matches('/') == first)
        })
        .max_by_key(|s| s.path_prefixes.len())
}

/// `Version=` of a query-protocol request (form body or query string).
fn query_version(req: &HttpRequest) -> Option<String> {
    let form = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let from = |bytes: &[u8]| {
        form_urlencoded::parse(bytes)
            .find(|(k, _)| k == "Version")
            .map(|(_, v)| v.into_owned())
    };
    if form && let Some(v) = from(&req.body) {
        return Some(v);
    }
    from(req.query.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> HttpRequest {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let mut h = http::HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        HttpRequest {
            method: method.parse().unwrap(),
            path: path.into(),
            query: query.into(),
            headers: h,
            body: body.to_string().into(),
        }
    }

    fn name(d: Detected) -> String {
        match d {
            Detected::Service(s) => s.name.to_string(),
            Detected::Unknown(s) => format!("unknown:{s}"),
            Detected::Unaddressed => "none".into(),
        }
    }

    const FORM: (&str, &str) = (
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    );

    /// `METHOD uri [+header] [scope] ⇒ service`
    #[test]
    fn routing_table() {
        type Case<'a> = (
            &'a str,
            &'a str,
            &'a [(&'a str, &'a str)],
            &'a str,
            Option<&'a str>,
            &'a str,
        );
        let cases: &[Case] = &[
            (
                "POST",
                "/",
                &[("x-amz-target", "AmazonSSM.PutParameter")],
                "{}",
                Some("ssm"),
                "ssm",
            ),
            (
                "POST",
                "/",
                &[("x-amz-target", "AmazonSSM.PutParameter")],
                "{}",
                None,
                "ssm",
            ),
            (
                "POST",
                "/",
                &[("x-amz-target", "DynamoDB_20120810.GetItem")],
                "{}",
                Some("dynamodb"),
                "dynamodb",
            ),
            (
                "POST",
                "/",
                &[("x-amz-target", "DynamoDBStreams_20120810.GetRecords")],
                "{}",
                Some("dynamodb"),
                "dynamodbstreams",
            ),
            (
                "POST",
                "/",
                &[("x-amz-target", "Logs_20140328.PutLogEvents")],
                "{}",
                None,
                "logs",
            ),
            (
                "POST",
                "/",
                &[("x-amz-target", "AmazonSQS.SendMessage")],
                "{}",
                Some("sqs"),
                "sqs",
            ),
            (
                "POST",
                "/",
                &[("x-amz-target", "Nope_2020.Do")],
                "{}",
                None,
                "unknown:X-Amz-Target Nope_2020.Do",
            ),
            (
                "POST",
                "/",
                &[FORM],
                "Action=GetCallerIdentity&Version=2011-06-15",
                Some("sts"),
                "sts",
            ),
            (
                "POST",
                "/",
                &[FORM],
                "Action=GetCallerIdentity&Version=2011-06-15",
                None,
                "sts",
            ),
            (
                "POST",
                "/",
                &[FORM],
                "Action=ListTopics&Version=2010-03-31",
                None,
                "sns",
            ),
            (
                "POST",
                "/",
                &[FORM],
                "Action=ListStacks&Version=2010-05-15",
                None,
                "cloudformation",
            ),
            (
                "POST",
                "/",
                &[FORM],
                "Action=SendMessage&Version=2012-11-05",
                Some("sqs"),
                "sqs",
            ),
            (
                "GET",
                "/?Action=GetCallerIdentity&Version=2011-06-15",
                &[],
                "",
                None,
                "sts",
            ),
            ("GET", "/2015-03-31/functions/", &[], "", None, "lambda"),
            (
                "POST",
                "/2015-03-31/functions/f/invocations",
                &[],
                "",
                Some("lambda"),
                "lambda",
            ),
            (
                "GET",
                "/restapis",
                &[],
                "",
                Some("apigateway"),
                "apigateway",
            ),
            (
                "GET",
                "/v2/apis",
                &[],
                "",
                Some("apigateway"),
                "apigatewayv2",
            ),
            (
                "GET",
                "/restapis/abc/resources",
                &[],
                "",
                None,
                "apigateway",
            ),
            ("GET", "/v2/apis", &[], "", None, "apigatewayv2"),
            ("PUT", "/my-bucket/key", &[], "", Some("s3"), "s3"),
            (
                "GET",
                "/key.txt",
                &[("host", "my-bucket.s3.localhost:4566")],
                "",
                None,
                "s3",
            ),
            (
                "GET",
                "/",
                &[],
                "",
                Some("nosuchsvc"),
                "unknown:credential scope service 'nosuchsvc'",
            ),
            ("GET", "/", &[], "", None, "none"),
            ("GET", "/favicon.ico", &[], "", None, "none"),
        ];
        for (method, uri, headers, body, scope, want) in cases {
            let got = name(detect(&req(method, uri, headers, body), *scope));
            assert_eq!(&got, want, "{method} {uri} {headers:?} scope={scope:?}");
        }
    }
}
