//! Lamina's own Lambda routes under `/_lamina/lambda/` (the binary mounts them on the
//! gateway; this crate stays free of the wire crate):
//!
//! * `GET /_lamina/lambda/failed-events[?function=<name>]` — failed asynchronous events that
//!   had no destination, or whose destination could not be reached;
//! * `GET /_lamina/lambda/code/<sha256 hex>.zip` — the package behind `Code.Location`.

use super::records;
use crate::Lambda;
use crate::store::Scope;
use bytes::Bytes;
use serde_json::json;

/// A response of an admin route.
#[derive(Debug, Clone)]
pub struct AdminResponse {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Bytes,
}

impl AdminResponse {
    fn json(status: u16, v: serde_json::Value) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: Bytes::from(v.to_string()),
        }
    }

    fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(status, json!({ "__type": code, "message": message }))
    }
}

/// The value of `name` in a raw query string (no percent-decoding beyond `+`; function names
/// need none).
fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Lambda {
    /// Answers a request under `/_lamina/lambda/` for the account and region of the server.
    pub async fn admin(
        &self,
        method: &str,
        path: &str,
        query: &str,
        account: &str,
        region: &str,
    ) -> AdminResponse {
        let Some(rest) = path.strip_prefix("/_lamina/lambda/") else {
            return AdminResponse::error(404, "NotFound", "no such Lamina route");
        };
        if method != "GET" && method != "HEAD" {
            return AdminResponse::error(405, "MethodNotAllowed", "only GET is supported");
        }
        if rest == "failed-events" {
            let scope = Scope {
                account: account.to_string(),
                region: region.to_string(),
            };
            let function = query_param(query, "function");
            return match records::failed_events(self, Some(&scope)).await {
                Ok(list) => {
                    let list: Vec<_> = list
                        .into_iter()
                        .filter(|f| function.is_none_or(|n| f.function_name == n))
                        .collect();
                    AdminResponse::json(200, json!({ "FailedEvents": list }))
                }
                Err(e) => {
                    tracing::error!(error = %e, "listing failed lambda events");
                    AdminResponse::error(500, "ServiceException", "internal error")
                }
            };
        }
        if let Some(file) = rest.strip_prefix("code/") {
            let Some(key) = file.strip_suffix(".zip").filter(|k| is_sha256_hex(k)) else {
                return AdminResponse::error(404, "NotFound", "no such package");
            };
            return match self.store.get(crate::store::CODE, key.as_bytes()).await {
                Ok(Some(zip)) => AdminResponse {
                    status: 200,
                    content_type: "application/zip",
                    body: Bytes::from(zip),
                },
                Ok(None) => AdminResponse::error(404, "NotFound", "no such package"),
                Err(e) => {
                    tracing::error!(error = %e, "reading a lambda package");
                    AdminResponse::error(500, "ServiceException", "internal error")
                }
            };
        }
        AdminResponse::error(404, "NotFound", "no such Lamina route")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params() {
        assert_eq!(query_param("function=f1&x=2", "function"), Some("f1"));
        assert_eq!(query_param("x=2", "function"), None);
        assert!(is_sha256_hex(&"a".repeat(64)));
        assert!(!is_sha256_hex("../../etc/passwd"));
    }
}
