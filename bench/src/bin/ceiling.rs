//! The bare-HTTP ceiling of the side-by-side benchmark: the same stack as Lamina's gateway
//! (tokio multi-thread, hyper 1 http1 with keep-alive, TCP_NODELAY), reading each request's
//! whole body and answering every request with a fixed small JSON body. Whatever Lamina does
//! beyond this (routing, SigV4 parsing, the codec, the service, the store) is its overhead.
//!
//! ```sh
//! target/release/ceiling --port 4600     # prints "ceiling ready on http://127.0.0.1:4600"
//! ```

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;

const BODY: &[u8] = br#"{"ok":true,"service":"ceiling"}"#;

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the body as a real server must; a broken body still gets the fixed answer.
    let _ = req.into_body().collect().await;
    let mut resp = Response::new(Full::new(Bytes::from_static(BODY)));
    resp.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/x-amz-json-1.0"));
    Ok(resp)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut port = 4600u16;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--port", Some(p)) => port = p.parse().map_err(|_| std::io::Error::other("bad --port"))?,
            _ => return Err(std::io::Error::other("usage: ceiling [--port PORT]")),
        }
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("ceiling ready on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(a) => a,
            Err(_) => continue,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .await;
        });
    }
}
