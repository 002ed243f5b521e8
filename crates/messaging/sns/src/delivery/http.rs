//! A minimal HTTP/1.1 POST for `http` and `https` subscriptions (one request per connection;
//! `https` over rustls, see `tls`).

use rustls::pki_types::ServerName;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// The parts of an `http://` or `https://` URL a request needs.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

pub fn parse_url(url: &str) -> Result<Target, String> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(format!("not an http(s) url: {url}"));
    };
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
        _ => (authority.to_string(), if tls { 443 } else { 80 }),
    };
    if host.is_empty() || path.contains(['\r', '\n']) || host.contains(['\r', '\n']) {
        return Err(format!("bad url {url}"));
    }
    Ok(Target {
        tls,
        host,
        port,
        path,
    })
}

/// Writes the request and reads the status line of the answer.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    head: &str,
    body: &[u8],
) -> Result<u16, String> {
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
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| "no HTTP status line in the response".to_string())
}

/// POSTs `body` with `headers`; `Ok(status)` for any response, `Err` when no response came
/// (including a TLS handshake that failed, e.g. an untrusted certificate). `tls` is the
/// connector for `https` URLs, or why there is none.
pub async fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
    tls: Result<&TlsConnector, &str>,
) -> Result<u16, String> {
    let t = parse_url(url)?;
    let work = async {
        let host = t.host.trim_start_matches('[').trim_end_matches(']');
        let tcp = TcpStream::connect((host, t.port))
            .await
            .map_err(|e| format!("connect {}:{}: {e}", t.host, t.port))?;
        let default_port = if t.tls { 443 } else { 80 };
        let authority = if t.port == default_port {
            t.host.clone()
        } else {
            format!("{}:{}", t.host, t.port)
        };
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n",
            t.path,
            body.len()
        );
        for (k, v) in headers {
            if !v.contains(['\r', '\n']) {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str("\r\n");
        if !t.tls {
            let mut tcp = tcp;
            return exchange(&mut tcp, &head, body).await;
        }
        let connector = tls.map_err(|e| format!("https: {e}"))?;
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| format!("https: {host} is not a valid server name: {e}"))?;
        let mut stream = connector
            .connect(name, tcp)
            .await
            .map_err(|e| format!("tls handshake with {}:{}: {e}", t.host, t.port))?;
        exchange(&mut stream, &head, body).await
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
                tls: false,
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/hook?x=1".into()
            }
        );
        assert_eq!(parse_url("http://example.com").unwrap().port, 80);
        assert_eq!(parse_url("http://example.com?a").unwrap().path, "/?a");
        let t = parse_url("https://example.com/h").unwrap();
        assert_eq!((t.tls, t.port, t.path.as_str()), (true, 443, "/h"));
        assert_eq!(parse_url("https://[::1]:8443").unwrap().port, 8443);
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
            Err("unused"),
        )
        .await
        .unwrap();
        assert_eq!(status, 204);
        let req = server.await.unwrap();
        assert!(req.starts_with("POST /x HTTP/1.1\r\n"));
        assert!(req.contains("x-amz-sns-message-type: Notification\r\n"));
        assert!(req.ends_with("\r\n\r\nhello"));
    }

    /// A TLS server on loopback presenting a self-signed certificate (the SNS signing
    /// certificate, made the way Lamina makes it); answers 204 and returns what it read.
    async fn tls_server() -> (u16, tokio::task::JoinHandle<Option<String>>) {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let signer = crate::sign::Signer::generate(1_700_000_000).unwrap();
        let cert = CertificateDer::from(signer.cert_der().to_vec());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signer.key_der().unwrap()));
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut s = acceptor.accept(tcp).await.ok()?;
            let mut all = Vec::new();
            let mut buf = vec![0u8; 4096];
            while !all.ends_with(b"hello") {
                let n = s.read(&mut buf).await.ok()?;
                if n == 0 {
                    break;
                }
                all.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await.ok()?;
            s.shutdown().await.ok()?;
            Some(String::from_utf8_lossy(&all).into_owned())
        });
        (port, server)
    }

    #[tokio::test]
    async fn https_posts_over_tls_and_checks_the_certificate() {
        use super::super::tls::{HttpsOptions, connector};
        // insecure: the self-signed certificate is accepted, the request goes over TLS
        let (port, server) = tls_server().await;
        let insecure = connector(&HttpsOptions {
            insecure: true,
            ..Default::default()
        })
        .unwrap();
        let status = post(
            &format!("https://127.0.0.1:{port}/tls"),
            &[("x-amz-sns-message-type", "Notification".into())],
            b"hello",
            Duration::from_secs(10),
            Ok(&insecure),
        )
        .await
        .unwrap();
        assert_eq!(status, 204);
        let req = server.await.unwrap().unwrap();
        assert!(req.starts_with("POST /tls HTTP/1.1\r\n"), "{req}");
        assert!(req.contains(&format!("Host: 127.0.0.1:{port}\r\n")));
        // verified (the default): a certificate no root vouches for fails the handshake
        let (port, server) = tls_server().await;
        let verified = connector(&HttpsOptions::default()).unwrap();
        let e = post(
            &format!("https://127.0.0.1:{port}/tls"),
            &[],
            b"hello",
            Duration::from_secs(10),
            Ok(&verified),
        )
        .await
        .unwrap_err();
        assert!(e.starts_with("tls handshake with 127.0.0.1:"), "{e}");
        assert!(server.await.unwrap().is_none());
        // no connector: the reason is reported
        let e = post(
            "https://127.0.0.1:1/",
            &[],
            b"",
            Duration::from_secs(5),
            Err("off"),
        )
        .await
        .unwrap_err();
        assert!(e.starts_with("connect") || e == "https: off", "{e}");
    }
}
