//! The invoke-URL handler: finds the API (v1 or v2) an invoke URL belongs to and hands the
//! request to its data plane.
//!
//! Two URL forms reach it (the binary mounts it on both):
//! * `http://<api-id>.execute-api.<host>/<stage>/<path>` (routing by Host), and
//! * `http://<host>/restapis/<api-id>/<stage>/_user_request_/<path>` (LocalStack's form).
//!
//! A REST API (v1) is served by [`crate::v1::invoke::serve`]; any other id goes to the HTTP
//! API data plane, `crate::v2::serve(gw, api_id, req, &ctx) -> Option<HttpResponse>`, with
//! the path rewritten to the Host form (`/<stage>/<path>`, or `/<path>` for the `$default`
//! stage).

use crate::ApiGateway;
use crate::v1::invoke::{self, State, message};
use crate::v1::store::{self, Scope};
use lamina_core::BoxFuture;
use lamina_wire::{HttpRequest, HttpResponse, RawContext, RawHandler};
use std::sync::Arc;

/// The marker of the path form of invoke URLs.
pub const USER_REQUEST: &str = "/_user_request_";

/// Where an invoke URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub api_id: String,
    /// The first path segment (a v1 stage, or for v2 possibly `$default`'s first segment).
    pub stage: String,
    /// The rest of the path after the stage, starting with `/` (or empty).
    pub rest: String,
    /// The path in the Host form: `/<stage><rest>`.
    pub host_path: String,
}

/// Parses either invoke-URL form; `None` when the request is not an invoke URL.
pub fn target(req: &HttpRequest) -> Option<Target> {
    let path = req.path.as_str();
    if let Some(after) = path.strip_prefix("/restapis/")
        && let Some(i) = after.find(USER_REQUEST)
    {
        let (head, tail) = (&after[..i], &after[i + USER_REQUEST.len()..]);
        let (api, stage) = head.split_once('/')?;
        if api.is_empty() || stage.is_empty() || stage.contains('/') {
            return None;
        }
        let rest = if tail.is_empty() || tail == "/" {
            String::new()
        } else {
            tail.to_string()
        };
        // An HTTP API's `$default` stage has no stage segment in the Host form.
        let host_path = if stage == "$default" {
            if rest.is_empty() {
                "/".to_string()
            } else {
                rest.clone()
            }
        } else {
            format!("/{stage}{rest}")
        };
        return Some(Target {
            api_id: api.to_string(),
            stage: stage.to_string(),
            host_path,
            rest,
        });
    }
    let host = req.header("host")?;
    let name = host.rsplit_once(':').map_or(host, |(n, _)| n);
    let (api, domain) = name.split_once('.')?;
    if !domain.starts_with("execute-api.") || api.is_empty() {
        return None;
    }
    let trimmed = path.trim_start_matches('/');
    let (stage, rest) = match trimmed.find('/') {
        Some(i) => (&trimmed[..i], &trimmed[i..]),
        None => (trimmed, ""),
    };
    Some(Target {
        api_id: api.to_string(),
        stage: stage.to_string(),
        rest: rest.to_string(),
        host_path: path.to_string(),
    })
}

/// The headers API Gateway adds to what an integration sees: `x-forwarded-for` (the client
/// address), `x-forwarded-port` and `x-forwarded-proto` (of the invoke URL the client used)
/// and an X-Ray style `x-amzn-trace-id` (`Root=1-<epoch seconds hex>-<24 hex>`).
pub(crate) fn forwarded_headers(
    ctx: &RawContext,
    source_ip: &str,
    epoch_ms: u64,
) -> [(&'static str, String); 4] {
    let (scheme, rest) = ctx
        .endpoint
        .split_once("://")
        .unwrap_or(("http", ctx.endpoint.as_str()));
    let authority = rest.split('/').next().unwrap_or_default();
    let port = authority
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .unwrap_or(if scheme == "https" { 443 } else { 80 });
    let id: String = ctx
        .request_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(24)
        .collect();
    [
        ("x-forwarded-for", source_ip.to_string()),
        ("x-forwarded-port", port.to_string()),
        ("x-forwarded-proto", scheme.to_string()),
        (
            "x-amzn-trace-id",
            format!("Root=1-{:08x}-{id:0<24}", epoch_ms / 1000),
        ),
    ]
}

/// The [`RawHandler`] for invoke URLs.
pub struct DataPlane {
    gw: Arc<ApiGateway>,
    state: State,
}

impl DataPlane {
    pub fn new(gw: Arc<ApiGateway>) -> Arc<Self> {
        Arc::new(Self {
            gw,
            state: State::default(),
        })
    }

    async fn serve(&self, mut req: HttpRequest, ctx: RawContext) -> HttpResponse {
        let Some(t) = target(&req) else {
            return message(404, r#"{"message":"Not Found"}"#);
        };
        let scope = Scope {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
        };
        let is_v1 = match self
            .gw
            .store
            .get(store::APIS, &scope.key(&[&t.api_id]))
            .await
        {
            Ok(found) => found.is_some(),
            Err(e) => {
                tracing::warn!(error = %e, "looking up the api of an invoke url");
                return message(500, invoke::INTERNAL);
            }
        };
        if is_v1 {
            if t.stage.is_empty() {
                return message(403, invoke::MISSING_TOKEN);
            }
            return invoke::serve(
                &self.gw,
                &self.state,
                &t.api_id,
                &t.stage,
                &t.rest,
                req,
                &ctx,
            )
            .await;
        }
        req.path = t.host_path.clone();
        match crate::v2::serve(&self.gw, &t.api_id, req, &ctx).await {
            Some(resp) => resp,
            None => message(404, r#"{"message":"Not Found"}"#),
        }
    }
}

impl RawHandler for DataPlane {
    fn handle<'a>(&'a self, req: HttpRequest, ctx: RawContext) -> BoxFuture<'a, HttpResponse> {
        Box::pin(self.serve(req, ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(host: &str, path: &str) -> HttpRequest {
        let mut headers = http::HeaderMap::new();
        headers.insert("host", host.parse().unwrap());
        HttpRequest {
            method: http::Method::GET,
            path: path.into(),
            query: String::new(),
            headers,
            body: Default::default(),
        }
    }

    #[test]
    fn forwarded_headers_of_the_invoke_url() {
        let ctx = RawContext {
            request_id: "0a1b2c3d-4e5f-6789-abcd-ef0123456789".into(),
            endpoint: "http://abc.execute-api.localhost:4566".into(),
            account_id: "1".into(),
            region: "r".into(),
        };
        let h = forwarded_headers(&ctx, "10.0.0.1", 1_600_000_000_000);
        assert_eq!(h[0], ("x-forwarded-for", "10.0.0.1".to_string()));
        assert_eq!(h[1], ("x-forwarded-port", "4566".to_string()));
        assert_eq!(h[2], ("x-forwarded-proto", "http".to_string()));
        assert_eq!(
            h[3],
            (
                "x-amzn-trace-id",
                "Root=1-5f5e1000-0a1b2c3d4e5f6789abcdef01".to_string()
            )
        );
        let ctx = RawContext {
            endpoint: "https://[::1]".into(),
            ..ctx
        };
        let h = forwarded_headers(&ctx, "::1", 0);
        assert_eq!((h[1].1.as_str(), h[2].1.as_str()), ("443", "https"));
    }

    #[test]
    fn v1_invoke_url_forms() {
        let t = target(&req(
            "localhost:4566",
            "/restapis/abc123/prod/_user_request_/pets/1",
        ))
        .unwrap();
        assert_eq!(
            (t.api_id.as_str(), t.stage.as_str(), t.rest.as_str()),
            ("abc123", "prod", "/pets/1")
        );
        assert_eq!(t.host_path, "/prod/pets/1");
        let t = target(&req("localhost", "/restapis/abc123/prod/_user_request_/")).unwrap();
        assert_eq!(t.rest, "");
        let t = target(&req("abc123.execute-api.localhost:4566", "/prod/pets")).unwrap();
        assert_eq!(
            (t.api_id.as_str(), t.stage.as_str(), t.rest.as_str()),
            ("abc123", "prod", "/pets")
        );
        let t = target(&req("abc123.execute-api.localhost", "/prod")).unwrap();
        assert_eq!((t.stage.as_str(), t.rest.as_str()), ("prod", ""));
        assert!(target(&req("localhost", "/restapis/abc123/resources")).is_none());
        let t = target(&req(
            "localhost",
            "/restapis/abc123/$default/_user_request_/a/b",
        ))
        .unwrap();
        assert_eq!(
            (t.stage.as_str(), t.host_path.as_str()),
            ("$default", "/a/b")
        );
        let t = target(&req(
            "localhost",
            "/restapis/abc123/$default/_user_request_",
        ))
        .unwrap();
        assert_eq!(t.host_path, "/");
    }
}
