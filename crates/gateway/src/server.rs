//! The HTTP/1.1 listener (hyper) with graceful shutdown.

use crate::Gateway;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use lamina_wire::HttpRequest;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long shutdown waits for in-flight requests before closing connections.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves until `shutdown` completes, then stops accepting and waits (bounded) for
/// in-flight requests to finish.
pub async fn serve(
    listener: TcpListener,
    gateway: Arc<Gateway>,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let local = listener.local_addr().ok();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let gw = gateway.clone();
                let default_host = local.map(|a| a.to_string()).unwrap_or_default();
                let svc = service_fn(move |req: Request<Incoming>| {
                    let gw = gw.clone();
                    let default_host = default_host.clone();
                    async move { Ok::<_, Infallible>(handle(gw, req, &default_host).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection closed with error");
                    }
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: draining in-flight requests");
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("drain timed out; closing remaining connections");
    }
}

async fn handle(
    gw: Arc<Gateway>,
    req: Request<Incoming>,
    default_host: &str,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let limit = gw.config().max_body_bytes;
    let body = match Limited::new(body, limit).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            let (status, msg) = if too_large {
                (413, format!("Request body larger than {limit} bytes"))
            } else {
                (400, "Request body could not be read".to_string())
            };
            return Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(
                    serde_json::json!({"message": msg}).to_string(),
                )))
                .unwrap_or_default();
        }
    };
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or(default_host)
        .to_string();
    let endpoint = format!("http://{host}");
    let request = HttpRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body,
    };
    let head = request.method == http::Method::HEAD;
    let resp = gw.handle(request, endpoint).await;
    let mut builder = Response::builder().status(resp.status);
    for (k, v) in &resp.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let body = if head { Bytes::new() } else { resp.body };
    builder.body(Full::new(body)).unwrap_or_else(|e| {
        tracing::error!(error = %e, "response could not be built");
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}
