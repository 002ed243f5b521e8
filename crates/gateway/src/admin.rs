//! Lamina's own routes under `/_lamina/`.

use crate::Gateway;
use bytes::Bytes;
use lamina_wire::{HttpRequest, HttpResponse};
use serde_json::json;

pub(crate) fn handle(gw: &Gateway, req: &HttpRequest, request_id: &str) -> HttpResponse {
    match (req.method.as_str(), req.path.as_str()) {
        ("GET" | "HEAD", "/_lamina/health") => json_response(200, health(gw), request_id),
        _ => json_response(
            404,
            json!({"__type": "NotFound", "message": format!("no Lamina route {} {}", req.method, req.path)}),
            request_id,
        ),
    }
}

/// `{"status": "running", "version": ..., "storage": ..., "services": {name: state}}`.
/// A service is `running` when Lamina implements it, `not_implemented` when only its model
/// is embedded (requests get a NotImplemented error naming the operation).
fn health(gw: &Gateway) -> serde_json::Value {
    let mut services = serde_json::Map::new();
    for name in lamina_model::service_names() {
        let state = match gw.services().get(name) {
            Some(s) => {
                let mut state = json!({"state": "running", "operations": s.implemented().len()});
                if let Some(extra) = s.health() {
                    state["details"] = extra;
                }
                state
            }
            None => json!({"state": "not_implemented"}),
        };
        services.insert(name.to_string(), state);
    }
    json!({
        "status": "running",
        "version": env!("CARGO_PKG_VERSION"),
        "region": gw.config().region,
        "account_id": gw.config().account_id,
        "storage": gw.backend(),
        "services": services,
    })
}

fn json_response(status: u16, body: serde_json::Value, request_id: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-amzn-RequestId".into(), request_id.into()),
        ],
        body: Bytes::from(body.to_string()),
    }
}
