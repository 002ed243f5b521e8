//! A small HTTP/1.1 client (hyper's connection API over a tokio socket) for HTTP_PROXY
//! integrations and for fetching JWKS. Plain `http://` only: Lamina's integrations and
//! issuers are local; `https://` targets answer an error.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::time::Duration;

/// A response: status, headers (lowercased names), body.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// The deadline passed.
    Timeout,
    /// Anything else: bad URL, unsupported scheme, connection or protocol failure.
    Failed(String),
}

/// Largest response body read (HTTP APIs cap payloads at 10 MB).
const MAX_BODY: usize = 10 * 1024 * 1024;

/// `http://host[:port]/path?query` → (host, port, path-and-query).
pub fn split_url(url: &str) -> Result<(String, u16, String), Error> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Error::Failed(format!("unsupported URL {url}: only http:// is served")))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| Error::Failed(format!("bad port in {url}")))?,
        ),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(Error::Failed(format!("no host in {url}")));
    }
    Ok((host.to_string(), port, path))
}

/// Sends one request and reads the whole response within `timeout`.
pub async fn send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Bytes,
    timeout: Duration,
) -> Result<Response, Error> {
    match tokio::time::timeout(timeout, send_inner(method, url, headers, body)).await {
        Ok(r) => r,
        Err(_) => Err(Error::Timeout),
    }
}

async fn send_inner(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<Response, Error> {
    let fail = |e: &dyn std::fmt::Display| Error::Failed(e.to_string());
    let (host, port, path) = split_url(url)?;
    let stream = tokio::net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| fail(&e))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| fail(&e))?;
    let driver = tokio::spawn(async move {
        // The connection ends with the exchange; its error, if any, surfaces on the request.
        let _ = conn.await;
    });
    let mut req = http::Request::builder().method(method).uri(path.as_str());
    let mut has_host = false;
    for (k, v) in headers {
        has_host |= k.eq_ignore_ascii_case("host");
        req = req.header(k.as_str(), v.as_str());
    }
    if !has_host {
        req = req.header(
            "host",
            if port == 80 {
                host.clone()
            } else {
                format!("{host}:{port}")
            },
        );
    }
    let req = req.body(Full::new(body)).map_err(|e| fail(&e))?;
    let resp = sender.send_request(req).await.map_err(|e| fail(&e))?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let mut body = resp.into_body();
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| fail(&e))?;
        if let Some(d) = frame.data_ref() {
            if buf.len() + d.len() > MAX_BODY {
                return Err(Error::Failed("response body too large".into()));
            }
            buf.extend_from_slice(d);
        }
    }
    driver.abort();
    Ok(Response {
        status,
        headers,
        body: Bytes::from(buf),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_split_url() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/a/b?x=1").unwrap(),
            ("127.0.0.1".into(), 8080, "/a/b?x=1".into())
        );
        assert_eq!(split_url("http://h").unwrap(), ("h".into(), 80, "/".into()));
        assert_eq!(
            split_url("http://h?q").unwrap(),
            ("h".into(), 80, "/?q".into())
        );
        assert!(split_url("https://h/").is_err());
        assert!(split_url("http://h:x/").is_err());
    }
}
