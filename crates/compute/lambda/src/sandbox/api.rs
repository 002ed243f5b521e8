//! The Lambda Runtime API (version 2018-06-01) of one sandbox, on its own loopback listener:
//!
//! | route | answer |
//! |---|---|
//! | `GET /2018-06-01/runtime/invocation/next` | long poll; the event with the `Lambda-Runtime-*` headers |
//! | `POST /2018-06-01/runtime/invocation/{id}/response` | 202 `{"status":"OK"}`; 413 past 6 MB |
//! | `POST /2018-06-01/runtime/invocation/{id}/error` | 202; `Lambda-Runtime-Function-Error-Type` |
//! | `POST /2018-06-01/runtime/init/error` | 202 during init, 403 afterwards |
//!
//! A request id that is not the current invocation's gets 400 `InvalidRequestID`, a second
//! answer to the same invocation 403 `InvalidStateTransition`, as the Lambda service answers.

use bytes::{Bytes, BytesMut};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// AWS's synchronous response cap: 6 MB plus 100 bytes.
pub const MAX_PAYLOAD: usize = 6 * 1024 * 1024 + 100;
const PREFIX: &str = "/2018-06-01/runtime/";

/// One event handed to the runtime by `/next`.
#[derive(Debug, Clone)]
pub(crate) struct Invocation {
    pub(crate) request_id: String,
    pub(crate) payload: Bytes,
    pub(crate) deadline_ms: u64,
    pub(crate) invoked_arn: String,
    pub(crate) trace_id: String,
    pub(crate) client_context: Option<String>,
    pub(crate) cognito_identity: Option<String>,
}

/// What the runtime told us.
#[derive(Debug)]
pub(crate) enum RuntimeEvent {
    /// A `/next` call: the runtime is initialised and waits.
    Next,
    InitError {
        body: Bytes,
        error_type: Option<String>,
    },
    Response {
        request_id: String,
        body: Bytes,
    },
    ResponseTooLarge {
        request_id: String,
        size: usize,
    },
    Error {
        request_id: String,
        body: Bytes,
        error_type: Option<String>,
    },
}

struct Current {
    request_id: String,
    answered: bool,
}

struct Shared {
    next_rx: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    events: mpsc::UnboundedSender<RuntimeEvent>,
    current: Mutex<Option<Current>>,
    initialised: Mutex<bool>,
}

/// The server end held by the sandbox.
pub(crate) struct RuntimeApi {
    pub(crate) addr: SocketAddr,
    pub(crate) invocations: mpsc::Sender<Invocation>,
    pub(crate) events: mpsc::UnboundedReceiver<RuntimeEvent>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // stops accepting and, through the JoinSet it owns, every open connection
        self.task.abort();
    }
}

impl RuntimeApi {
    pub(crate) async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (inv_tx, inv_rx) = mpsc::channel(1);
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            next_rx: tokio::sync::Mutex::new(inv_rx),
            events: ev_tx,
            current: Mutex::new(None),
            initialised: Mutex::new(false),
        });
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        let shared = shared.clone();
                        conns.spawn(async move {
                            let svc = hyper::service::service_fn(move |req| {
                                let shared = shared.clone();
                                async move { Ok::<_, Infallible>(route(&shared, req).await) }
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), svc)
                                .await;
                        });
                    }
                    Some(_) = conns.join_next(), if !conns.is_empty() => {}
                }
            }
        });
        Ok(Self {
            addr,
            invocations: inv_tx,
            events: ev_rx,
            task,
        })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

fn error(status: StatusCode, error_type: &str, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "errorMessage": message, "errorType": error_type });
    json(status, body.to_string())
}

fn accepted() -> Response<Full<Bytes>> {
    json(StatusCode::ACCEPTED, r#"{"status":"OK"}"#.into())
}

async fn route(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return error(StatusCode::NOT_FOUND, "InvalidRequest", "Not Found");
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let method = req.method().clone();
    match (method, parts.as_slice()) {
        (Method::GET, ["invocation", "next"]) => next(shared).await,
        (Method::POST, ["invocation", id, "response"]) => {
            let id = id.to_string();
            answer(shared, id, req, false).await
        }
        (Method::POST, ["invocation", id, "error"]) => {
            let id = id.to_string();
            answer(shared, id, req, true).await
        }
        (Method::POST, ["init", "error"]) => {
            if *lock(&shared.initialised) {
                return error(
                    StatusCode::FORBIDDEN,
                    "InvalidStateTransition",
                    "State transition from Ready to InitError failed for runtime. Error: State transition is not allowed",
                );
            }
            let error_type = error_type_header(&req);
            let (body, _) = read_capped(req.into_body()).await;
            let _ = shared
                .events
                .send(RuntimeEvent::InitError { body, error_type });
            accepted()
        }
        (
            _,
            ["invocation", "next"] | ["invocation", _, "response" | "error"] | ["init", "error"],
        ) => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "InvalidRequest",
            "Method Not Allowed",
        ),
        _ => error(StatusCode::NOT_FOUND, "InvalidRequest", "Not Found"),
    }
}

fn error_type_header(req: &Request<Incoming>) -> Option<String> {
    req.headers()
        .get("Lambda-Runtime-Function-Error-Type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn next(shared: &Shared) -> Response<Full<Bytes>> {
    *lock(&shared.initialised) = true;
    let _ = shared.events.send(RuntimeEvent::Next);
    let inv = {
        let mut rx = shared.next_rx.lock().await;
        rx.recv().await
    };
    let Some(inv) = inv else {
        // the sandbox is going away
        return error(
            StatusCode::GONE,
            "ExecutionEnvironmentShutdown",
            "The execution environment is shutting down",
        );
    };
    *lock(&shared.current) = Some(Current {
        request_id: inv.request_id.clone(),
        answered: false,
    });
    let mut r = Response::new(Full::new(inv.payload));
    let h = r.headers_mut();
    let mut set = |name: &'static str, v: &str| {
        if let Ok(v) = http::HeaderValue::from_str(v) {
            h.insert(name, v);
        }
    };
    set("Lambda-Runtime-Aws-Request-Id", &inv.request_id);
    set("Lambda-Runtime-Deadline-Ms", &inv.deadline_ms.to_string());
    set("Lambda-Runtime-Invoked-Function-Arn", &inv.invoked_arn);
    set("Lambda-Runtime-Trace-Id", &inv.trace_id);
    if let Some(cc) = &inv.client_context {
        set("Lambda-Runtime-Client-Context", cc);
    }
    if let Some(ci) = &inv.cognito_identity {
        set("Lambda-Runtime-Cognito-Identity", ci);
    }
    set("Content-Type", "application/json");
    r
}

/// Reads a body up to [`MAX_PAYLOAD`]; past it only counts. Returns the bytes kept and the
/// full size.
async fn read_capped(mut body: Incoming) -> (Bytes, usize) {
    let mut buf = BytesMut::new();
    let mut size = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { break };
        if let Ok(data) = frame.into_data() {
            size += data.len();
            if size <= MAX_PAYLOAD {
                buf.extend_from_slice(&data);
            }
        }
    }
    (buf.freeze(), size)
}

async fn answer(
    shared: &Shared,
    id: String,
    req: Request<Incoming>,
    is_error: bool,
) -> Response<Full<Bytes>> {
    {
        let cur = lock(&shared.current);
        match cur.as_ref() {
            Some(c) if c.request_id == id && !c.answered => {}
            Some(c) if c.request_id == id => {
                let to = if is_error {
                    "InvocationErrorResponse"
                } else {
                    "InvocationResponse"
                };
                return error(
                    StatusCode::FORBIDDEN,
                    "InvalidStateTransition",
                    &format!(
                        "State transition from RuntimeResponseSentState to {to} failed for runtime. Error: State \
                         transition is not allowed"
                    ),
                );
            }
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestID",
                    "Invalid request ID",
                );
            }
        }
    }
    let error_type = error_type_header(&req);
    let (body, size) = read_capped(req.into_body()).await;
    if let Some(c) = lock(&shared.current).as_mut() {
        c.answered = true;
    }
    if size > MAX_PAYLOAD {
        let _ = shared.events.send(RuntimeEvent::ResponseTooLarge {
            request_id: id,
            size,
        });
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            &format!("Exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes)."),
        );
    }
    let ev = if is_error {
        RuntimeEvent::Error {
            request_id: id,
            body,
            error_type,
        }
    } else {
        RuntimeEvent::Response {
            request_id: id,
            body,
        }
    };
    let _ = shared.events.send(ev);
    accepted()
}
