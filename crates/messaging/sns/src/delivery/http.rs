//! A minimal HTTP/1.1 POST for `http` subscriptions (one request per connection). There is
//! no TLS client in Lamina, so `https` endpoints fail and follow their retry policy.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The parts of an `http://` URL a request needs.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

pub fn parse_url(url: &str) -> Result<Target, String> {
    if url.starts_with("https://") {
        return Err("https delivery is not supported by Lamina (no TLS client)".into());
    }
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("not an http url: {url}"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_string()),
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (
            h.to_string(),
            p.parse::<u16>().map_err(|_| format!("bad port in {url}"))?,
        ),
        _ => (authority.to_string(), 80),
    };
    if host.is_empty() || path.contains(['\r', '\n']) || host.contains(['\r', '\n']) {
        return Err(format!("bad url {url}"));
    }
    Ok(Target { host, port, path })
}

/// POSTs `body` with `headers`; `Ok(status)` for any response, `Err` when no response came.
pub async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<u16, String> {
    let t = parse_url(url)?;
    let work = async {
        let host = t.host.trim_start_matches('[').trim_end_matches(']');
        let mut stream = TcpStream::connect((host, t.port))
            .await
            .map_err(|e| format!("connect {}:{}: {e}", t.host, t.port))?;
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}:{}\r\nContent-Length: {}\r\nConnection: close\r\n",
            t.path,
            t.host,
            t.port,
            body.len()
        );
        for (k, v) in headers {
            if !v.contains(['\r', '\n']) {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str("\r\n");
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        stream.write_all(body).await.map_err(|e| e.to_string())?;
        stream.flush().await.map_err(|e| e.to_string())?;
        let mut buf = Vec::with_capacity(1024);
        let mut chunk = [0u8; 1024];
        // Only the status line matters; stop once it is in.
        while !buf.contains(&b'\n') && buf.len() < 8192 {
            let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let line = String::from_utf8_lossy(&buf);
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| "no HTTP status line in the response".to_string())?;
        Ok(status)
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| format!("timed out after {} ms", timeout.as_millis()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://127.0.0.1:8080/hook?x=1").unwrap(),
            Target {
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/hook?x=1".into()
            }
        );
        assert_eq!(parse_url("http://example.com").unwrap().port, 80);
        assert_eq!(parse_url("http://example.com?a").unwrap().path, "/?a");
        assert!(parse_url("https://example.com").is_err());
        assert!(parse_url("ftp://x").is_err());
        assert!(parse_url("http://h:99999/").is_err());
    }

    #[tokio::test]
    async fn posts_and_reads_the_status() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut all = Vec::new();
            let mut buf = vec![0u8; 4096];
            while !all.ends_with(b"hello") {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8_lossy(&all).into_owned()
        });
        let status = post(
            &format!("http://127.0.0.1:{port}/x"),
            &[("x-amz-sns-message-type", "Notification".into())],
            b"hello",
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(status, 204);
        let req = server.await.unwrap();
        assert!(req.starts_with("POST /x HTTP/1.1\r\n"));
        assert!(req.contains("x-amz-sns-message-type: Notification\r\n"));
        assert!(req.ends_with("\r\n\r\nhello"));
    }
}
