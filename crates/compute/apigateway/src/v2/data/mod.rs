//! The HTTP API data plane. (under construction)

use crate::ApiGateway;
use lamina_wire::{HttpRequest, HttpResponse, RawContext};

/// Serves one invoke-URL request for the API `api_id`. `req.path` is the path as the client
/// sent it (with the stage segment for named stages). Answers `None` when `api_id` is not an
/// HTTP API, so the router can try REST APIs.
pub async fn serve(
    gw: &ApiGateway,
    api_id: &str,
    req: HttpRequest,
    ctx: &RawContext,
) -> Option<HttpResponse> {
    let _ = (gw, api_id, req, ctx);
    None
}
