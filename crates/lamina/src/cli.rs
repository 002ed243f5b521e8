//! Client commands against a running Lamina: `lamina invoke` and `lamina logs`.
//!
//! They speak the same HTTP APIs the AWS SDKs use (Lambda's rest-json Invoke, CloudWatch
//! Logs' JSON 1.1 FilterLogEvents) through a deliberately tiny HTTP/1.1 client on tokio:
//! one request per connection, `Connection: close`, content-length or chunked answers.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A parsed client command.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Invoke {
        function: String,
        payload: String,
        qualifier: Option<String>,
        endpoint: String,
    },
    Logs {
        function: String,
        follow: bool,
        endpoint: String,
    },
}

/// Parses `invoke ...` / `logs ...` (the command word first). `env` is injected for tests.
pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Command, String> {
    let (cmd, rest) = args.split_first().ok_or("missing command")?;
    let mut function = None;
    let mut payload = None;
    let mut qualifier = None;
    let mut endpoint = None;
    let mut follow = false;
    let mut it = rest.iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "--payload" if cmd == "invoke" => payload = Some(value()?),
            "--qualifier" if cmd == "invoke" => qualifier = Some(value()?),
            "--follow" | "-f" if cmd == "logs" => follow = true,
            "--endpoint" | "--endpoint-url" => endpoint = Some(value()?),
            f if f.starts_with('-') => return Err(format!("unknown option: {f}")),
            _ if function.is_none() => function = Some(arg.clone()),
            _ => return Err(format!("unexpected argument: {arg}")),
        }
    }
    let function = function.ok_or("missing <FUNCTION>")?;
    let endpoint = endpoint
        .or_else(|| env("LAMINA_ENDPOINT"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| "http://127.0.0.1:4566".into());
    match cmd.as_str() {
        "invoke" => Ok(Command::Invoke {
            function,
            payload: payload.unwrap_or_else(|| "{}".into()),
            qualifier,
            endpoint,
        }),
        "logs" => Ok(Command::Logs {
            function,
            follow,
            endpoint,
        }),
        other => Err(format!("unknown command: {other}")),
    }
}

/// Runs a client command; the process exit code (errors are printed, never returned).
pub fn run(cmd: Command) -> anyhow::Result<i32> {
    match run_inner(cmd) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("lamina: {e:#}");
            Ok(1)
        }
    }
}

fn run_inner(cmd: Command) -> anyhow::Result<i32> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cmd {
            Command::Invoke {
                function,
                payload,
                qualifier,
                endpoint,
            } => invoke(&endpoint, &function, &payload, qualifier.as_deref()).await,
            Command::Logs {
                function,
                follow,
                endpoint,
            } => logs(&endpoint, &function, follow).await,
        }
    })
}

/// Percent-encodes a path segment (function names and qualifiers need little, ARNs a colon).
fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn invoke(
    endpoint: &str,
    function: &str,
    payload: &str,
    qualifier: Option<&str>,
) -> anyhow::Result<i32> {
    let mut path = format!(
        "/2015-03-31/functions/{}/invocations",
        encode_segment(function)
    );
    if let Some(q) = qualifier {
        path.push_str(&format!("?Qualifier={}", encode_segment(q)));
    }
    let resp = request(
        endpoint,
        "POST",
        &path,
        &[("content-type", "application/json")],
        payload.as_bytes(),
    )
    .await?;
    if !(200..300).contains(&resp.status) {
        eprintln!(
            "lamina: invoke failed ({}): {}",
            resp.status,
            resp.error_text()
        );
        return Ok(1);
    }
    let body = String::from_utf8_lossy(&resp.body);
    println!("{body}");
    match resp.header("x-amz-function-error") {
        Some(kind) => {
            eprintln!("lamina: function error ({kind})");
            Ok(1)
        }
        None => Ok(0),
    }
}

/// `Code: message` of an AWS JSON error body, else the body.
fn error_text(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let code = v
                .get("__type")
                .or_else(|| v.get("Type"))
                .and_then(Value::as_str)
                .unwrap_or("Error");
            let code = code.rsplit('#').next().unwrap_or(code);
            let msg = v
                .get("message")
                .or_else(|| v.get("Message"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            format!("{code}: {msg}")
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    }
}

async fn logs(endpoint: &str, function: &str, follow: bool) -> anyhow::Result<i32> {
    let group = format!("/aws/lambda/{function}");
    let mut start: Option<i64> = None;
    let mut seen: HashSet<String> = HashSet::new();
    loop {
        let mut token: Option<String> = None;
        let mut newest = start;
        loop {
            let mut body = json!({ "logGroupName": group });
            if let Some(s) = start {
                body["startTime"] = json!(s);
            }
            if let Some(t) = &token {
                body["nextToken"] = json!(t);
            }
            let resp = request(
                endpoint,
                "POST",
                "/",
                &[
                    ("content-type", "application/x-amz-json-1.1"),
                    ("x-amz-target", "Logs_20140328.FilterLogEvents"),
                ],
                body.to_string().as_bytes(),
            )
            .await?;
            if resp.status != 200 {
                let text = resp.error_text();
                if follow && text.starts_with("ResourceNotFoundException") {
                    break; // the group appears with the first invocation
                }
                eprintln!("lamina: {text}");
                return Ok(1);
            }
            let v: Value = serde_json::from_slice(&resp.body).context("FilterLogEvents answer")?;
            for e in v["events"].as_array().into_iter().flatten() {
                let id = e["eventId"].as_str().unwrap_or_default().to_string();
                if !seen.insert(id) {
                    continue;
                }
                let ts = e["timestamp"].as_i64().unwrap_or_default();
                newest = Some(newest.map_or(ts, |n| n.max(ts)));
                let msg = e["message"].as_str().unwrap_or_default();
                println!("{}", msg.trim_end_matches('\n'));
            }
            token = v["nextToken"].as_str().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        if !follow {
            return Ok(0);
        }
        start = newest;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// An HTTP answer.
pub struct Response {
    pub status: u16,
    headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// `Code: message` of an AWS error (rest-json names the code in `x-amzn-ErrorType`).
    pub fn error_text(&self) -> String {
        let text = error_text(&self.body);
        match self.header("x-amzn-errortype") {
            Some(code) => {
                let code = code.split(':').next().unwrap_or(code);
                let msg = text.split_once(": ").map_or(text.as_str(), |(_, m)| m);
                format!("{code}: {msg}")
            }
            None => text,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `http://host:port` → (`host:port`, `host`).
fn authority(endpoint: &str) -> anyhow::Result<String> {
    let Some(rest) = endpoint.strip_prefix("http://") else {
        bail!("only http:// endpoints are supported, got {endpoint}");
    };
    let auth = rest.split('/').next().unwrap_or_default();
    if auth.is_empty() {
        bail!("no host in {endpoint}");
    }
    Ok(if auth.contains(':') {
        auth.to_string()
    } else {
        format!("{auth}:80")
    })
}

/// One request on its own connection.
pub async fn request(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> anyhow::Result<Response> {
    let auth = authority(endpoint)?;
    let mut stream = tokio::net::TcpStream::connect(&auth)
        .await
        .with_context(|| format!("connecting to Lamina at {endpoint}"))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {auth}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> anyhow::Result<Response> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("incomplete HTTP answer")?;
    let head = std::str::from_utf8(&raw[..end]).context("HTTP head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line: {status_line}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("bad chunk")?;
        let size_text = std::str::from_utf8(&b[..eol])?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .context("bad chunk size")?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if b.len() < size + 2 {
            bail!("truncated chunk");
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn commands_parse() {
        let c = parse(&args("invoke f1 --payload {\"a\":1}"), |_| None).unwrap();
        assert_eq!(
            c,
            Command::Invoke {
                function: "f1".into(),
                payload: "{\"a\":1}".into(),
                qualifier: None,
                endpoint: "http://127.0.0.1:4566".into(),
            }
        );
        let env = |k: &str| (k == "LAMINA_ENDPOINT").then(|| "http://127.0.0.1:9".to_string());
        let c = parse(&args("logs f1 --follow"), env).unwrap();
        assert_eq!(
            c,
            Command::Logs {
                function: "f1".into(),
                follow: true,
                endpoint: "http://127.0.0.1:9".into(),
            }
        );
        let c = parse(&args("logs f1 --endpoint=http://h:1"), env).unwrap();
        assert!(matches!(c, Command::Logs { endpoint, .. } if endpoint == "http://h:1"));
        assert!(parse(&args("invoke"), |_| None).is_err());
        assert!(parse(&args("logs f --payload x"), |_| None).is_err());
        assert!(parse(&args("invoke f g"), |_| None).is_err());
    }

    #[test]
    fn answers_parse_plain_and_chunked() {
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nX-Amz-Function-Error: Unhandled\r\ncontent-length: 2\r\n\r\n{}",
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("x-amz-function-error"), Some("Unhandled"));
        assert_eq!(r.body, b"{}");
        let r = parse_response(b"HTTP/1.1 429 Too Many\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            .unwrap();
        assert_eq!(r.status, 429);
        assert_eq!(r.body, b"abcde");
        assert_eq!(
            error_text(br#"{"__type":"ResourceNotFoundException","message":"Function not found"}"#),
            "ResourceNotFoundException: Function not found"
        );
        let r = parse_response(
            b"HTTP/1.1 404 Not Found\r\nx-amzn-ErrorType: ResourceNotFoundException:http://x/\r\n\r\n{\"Type\":\"User\",\"Message\":\"Function not found: f\"}",
        )
        .unwrap();
        assert_eq!(
            r.error_text(),
            "ResourceNotFoundException: Function not found: f"
        );
        assert_eq!(encode_segment("arn:aws:lambda"), "arn%3Aaws%3Alambda");
        assert_eq!(
            authority("http://127.0.0.1:4566/").unwrap(),
            "127.0.0.1:4566"
        );
        assert!(authority("https://x").is_err());
    }
}
