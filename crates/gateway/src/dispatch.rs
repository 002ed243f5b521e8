use bytes::Bytes;
use lamina_core::{AwsError, BoxFuture, RequestContext, Service, common, new_request_id};
use lamina_wire::detect::{Detected, detect};
use lamina_wire::{
    HttpRequest, HttpResponse, Protocol, RawContext, RawHandler, ResponseMeta, sigv4,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Any access key is accepted and recorded as the caller (what local emulators do).
    #[default]
    Accept,
    /// SigV4 signatures are verified against known credentials.
    Verify,
}

#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub region: String,
    pub account_id: String,
    pub auth: AuthMode,
    /// Requests with larger bodies get 413.
    pub max_body_bytes: usize,
    /// The host name virtual-hosted S3 requests are under (`<bucket>.s3.<base_host>`,
    /// `<bucket>.<base_host>`).
    pub base_host: String,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            auth: AuthMode::Accept,
            max_body_bytes: 64 * 1024 * 1024,
            base_host: "localhost".into(),
        }
    }
}

/// Credentials known for an access key id.
#[derive(Debug, Clone)]
pub struct ResolvedCredentials {
    pub secret_access_key: String,
    pub account_id: String,
}

/// Looks up the secret of an access key (root keys from configuration, temporary
/// credentials issued by STS from the store).
pub trait CredentialResolver: Send + Sync + 'static {
    fn resolve<'a>(&'a self, access_key_id: &'a str) -> BoxFuture<'a, Option<ResolvedCredentials>>;
}

/// Where a [`RawHandler`] is mounted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawRoute {
    /// Requests whose path starts with this prefix (e.g. `/_lamina/sns/`).
    PathPrefix(String),
    /// Requests whose Host (without port) ends with this suffix (e.g. `.execute-api.localhost`).
    HostSuffix(String),
    /// Requests whose path contains this string (e.g. `/_user_request_/`, the path form of
    /// API Gateway invoke URLs, which shares the `/restapis/` prefix with the control plane).
    PathContains(String),
}

impl RawRoute {
    fn matches(&self, req: &HttpRequest) -> bool {
        match self {
            RawRoute::PathPrefix(p) => req.path.starts_with(p.as_str()),
            RawRoute::PathContains(p) => req.path.contains(p.as_str()),
            RawRoute::HostSuffix(suffix) => req
                .header("host")
                .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name))
                .is_some_and(|name| name.ends_with(suffix.as_str())),
        }
    }
}

/// Routes requests to services.
pub struct Gateway {
    config: GatewayConfig,
    raw: Vec<(RawRoute, Arc<dyn RawHandler>)>,
    services: BTreeMap<&'static str, Arc<dyn Service>>,
    credentials: Option<Arc<dyn CredentialResolver>>,
    backend: &'static str,
}

impl Gateway {
    pub fn new(config: GatewayConfig, backend: &'static str) -> Self {
        Self {
            config,
            raw: Vec::new(),
            services: BTreeMap::new(),
            credentials: None,
            backend,
        }
    }

    pub fn with_service(mut self, service: Arc<dyn Service>) -> Self {
        self.services.insert(service.name(), service);
        self
    }

    /// Mounts a handler for non-API requests; routes are tried in the order added, before
    /// Lamina's own admin routes and service detection.
    pub fn with_raw_route(mut self, route: RawRoute, handler: Arc<dyn RawHandler>) -> Self {
        self.raw.push((route, handler));
        self
    }

    pub fn with_credentials(mut self, resolver: Arc<dyn CredentialResolver>) -> Self {
        self.credentials = Some(resolver);
        self
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    pub(crate) fn services(&self) -> &BTreeMap<&'static str, Arc<dyn Service>> {
        &self.services
    }

    pub(crate) fn backend(&self) -> &'static str {
        self.backend
    }

    /// Handles one request and returns the response; never fails.
    pub async fn handle(&self, req: HttpRequest, endpoint: String) -> HttpResponse {
        let started = Instant::now();
        let request_id = new_request_id();
        if let Some((route, handler)) = self.raw.iter().find(|(r, _)| r.matches(&req)) {
            let label = match route {
                RawRoute::PathPrefix(p) | RawRoute::HostSuffix(p) | RawRoute::PathContains(p) => {
                    p.clone()
                }
            };
            let ctx = RawContext {
                request_id: request_id.clone(),
                endpoint,
                account_id: self.config.account_id.clone(),
                region: self.config.region.clone(),
            };
            let mut resp = handler.handle(req, ctx).await;
            if resp.header("x-amzn-RequestId").is_none() {
                resp.headers
                    .push(("x-amzn-RequestId".into(), request_id.clone()));
            }
            Trail::new("raw", &label).log(&request_id, resp.status, started, None);
            return resp;
        }
        if req.path.starts_with("/_lamina/") || req.path == "/_lamina" {
            let resp = crate::admin::handle(self, &req, &request_id);
            Trail::new("lamina", &req.path).log(&request_id, resp.status, started, None);
            return resp;
        }
        let mut trail = Trail::new("-", "-");
        let (resp, cause) = self.dispatch(req, endpoint, &request_id, &mut trail).await;
        trail.log(&request_id, resp.status, started, cause.as_deref());
        resp
    }

    async fn dispatch(
        &self,
        mut req: HttpRequest,
        endpoint: String,
        request_id: &str,
        trail: &mut Trail,
    ) -> (HttpResponse, Option<String>) {
        let meta = ResponseMeta { request_id };
        let scope = sigv4::credential_scope(&req);
        let info = match detect(&req, scope.as_ref().map(|s| s.service.as_str())) {
            Detected::Service(info) => info,
            Detected::Unknown(what) => {
                let msg = format!("Lamina does not serve this service ({what})");
                return (unknown_service(&req, &msg, request_id), None);
            }
            Detected::Unaddressed => {
                let msg = format!(
                    "Lamina could not tell which AWS service {} {} is for: sign the request with SigV4 or use a service's endpoint path",
                    req.method, req.path
                );
                return (unknown_service(&req, &msg, request_id), None);
            }
        };
        trail.service = info.name;
        if info.name == "s3" {
            // S3's transport quirk: the bucket may be in the host name.
            lamina_wire::rest::rewrite_s3_virtual_host(&mut req, &self.config.base_host);
        }
        // Only embedded models are ever detected, so the model exists.
        let Some(model) = lamina_model::get(info.name) else {
            return (unknown_service(&req, "model missing", request_id), None);
        };
        let protocol = Protocol::of_request(model, &req);
        let fail = |err: AwsError| {
            let cause = err.cause().map(str::to_string);
            (
                lamina_wire::serialize_error(model, protocol, &err, &meta),
                cause,
            )
        };

        let access_key_id = scope
            .as_ref()
            .map(|s| s.access_key_id.clone())
            .unwrap_or_default();
        trail.caller.clone_from(&access_key_id);
        let mut account_id = self.config.account_id.clone();
        if self.config.auth == AuthMode::Verify {
            match self.verify(&req, info.signing_name).await {
                Ok(account) => account_id = account,
                Err(e) => return fail(e),
            }
        }

        let op = match lamina_wire::operation(model, protocol, &req) {
            Ok(op) => op,
            Err(e) => return fail(e),
        };
        trail.operation = op.name.clone();
        let input = match lamina_wire::parse(model, protocol, op, &req) {
            Ok(i) => i,
            Err(e) => return fail(e),
        };
        let violations = lamina_wire::validate::violations(model, op, &input.value);
        if let Some(e) = lamina_wire::validate::error(protocol, &violations) {
            return fail(e);
        }
        let Some(service) = self.services.get(info.name) else {
            return fail(AwsError::new(
                common::NOT_IMPLEMENTED,
                format!("Lamina does not implement the {} service yet", info.name),
            ));
        };
        if !service.implemented().contains(&op.name.as_str()) {
            return fail(AwsError::new(
                common::NOT_IMPLEMENTED,
                format!("Lamina does not implement {}:{} yet", info.name, op.name),
            ));
        }
        let region = scope
            .as_ref()
            .map(|s| s.region.clone())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| self.config.region.clone());
        let ctx = RequestContext {
            request_id: request_id.to_string(),
            account_id,
            region,
            access_key_id,
            endpoint,
        };
        match service.call(&ctx, &op.name, input).await {
            Ok(out) => (
                lamina_wire::serialize(model, protocol, op, out, &meta),
                None,
            ),
            Err(e) => fail(e),
        }
    }

    /// Runs an operation in process: the canonical input is validated against the model as a
    /// parsed request would be, then the service is called. No HTTP, no codec.
    pub async fn call_internal(
        &self,
        account_id: &str,
        region: &str,
        endpoint: &str,
        service: &str,
        operation: &str,
        input: serde_json::Value,
    ) -> Result<serde_json::Value, AwsError> {
        let unknown = || {
            AwsError::new(
                common::UNKNOWN_OPERATION,
                format!("{service}:{operation} is not an operation Lamina knows"),
            )
        };
        let model = lamina_model::get(service).ok_or_else(unknown)?;
        let op = model.operation(operation).ok_or_else(unknown)?;
        let violations = lamina_wire::validate::violations(model, op, &input);
        if let Some(e) = lamina_wire::validate::error(Protocol::of(model), &violations) {
            return Err(e);
        }
        let (input, payload) = split_raw_payload(model, op, input);
        let svc = self
            .services
            .get(service)
            .filter(|s| s.implemented().contains(&operation))
            .ok_or_else(|| {
                AwsError::new(
                    common::NOT_IMPLEMENTED,
                    format!("Lamina does not implement {service}:{operation} yet"),
                )
            })?;
        let ctx = RequestContext {
            request_id: new_request_id(),
            account_id: account_id.to_string(),
            region: region.to_string(),
            access_key_id: String::new(),
            endpoint: endpoint.to_string(),
        };
        let out = svc
            .call(
                &ctx,
                operation,
                lamina_core::Input {
                    value: input,
                    payload,
                },
            )
            .await?;
        Ok(out.value)
    }

    /// Verifies the request's signature; returns the caller's account. Errors follow the
    /// conventions of the detected service's family.
    async fn verify(&self, req: &HttpRequest, signing_name: &str) -> Result<String, AwsError> {
        let style = sigv4::Style::for_signing_name(signing_name);
        let Some(scope) = sigv4::credential_scope(req) else {
            return Err(sigv4::errors::missing_authentication(style));
        };
        let resolved = match &self.credentials {
            Some(r) => r.resolve(&scope.access_key_id).await,
            None => None,
        };
        let Some(creds) = resolved else {
            return Err(sigv4::errors::unknown_access_key(
                style,
                &scope.access_key_id,
            ));
        };
        let secret = creds.secret_access_key;
        sigv4::verify_as(req, style, |_| Some(secret.clone()), SystemTime::now())?;
        Ok(creds.account_id)
    }
}

/// What the request log line says about a request, filled in as dispatch learns it.
struct Trail {
    service: &'static str,
    operation: String,
    /// The access key the request was signed with (the caller Lamina records).
    caller: String,
}

impl Trail {
    fn new(service: &'static str, operation: &str) -> Self {
        Self {
            service,
            operation: operation.to_string(),
            caller: String::new(),
        }
    }

    /// One line per request; a failure's internal cause is logged here, once.
    fn log(&self, id: &str, status: u16, started: Instant, cause: Option<&str>) {
        let micros = started.elapsed().as_micros() as u64;
        let (service, operation, caller) =
            (self.service, self.operation.as_str(), self.caller.as_str());
        match cause {
            Some(cause) => tracing::error!(
                request_id = id,
                service,
                operation,
                caller,
                status,
                micros,
                cause,
                "request failed"
            ),
            None => tracing::info!(
                request_id = id,
                service,
                operation,
                caller,
                status,
                micros,
                "request"
            ),
        }
    }
}

/// The answer for a request no embedded model covers: JSON, or the query protocol's XML
/// when the request was a form post.
fn unknown_service(req: &HttpRequest, message: &str, request_id: &str) -> HttpResponse {
    let form = req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let code = "UnknownServiceException";
    if form {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
            xml_escape(message)
        );
        HttpResponse {
            status: 400,
            headers: vec![
                ("content-type".into(), "text/xml".into()),
                ("x-amzn-RequestId".into(), request_id.into()),
            ],
            body: Bytes::from(body),
        }
    } else {
        let body = serde_json::json!({ "__type": code, "message": message });
        HttpResponse {
            status: 400,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-amzn-RequestId".into(), request_id.into()),
                ("x-amzn-ErrorType".into(), code.into()),
            ],
            body: Bytes::from(body.to_string()),
        }
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An in-process caller passes a rest operation's raw payload member (ImportRestApi's `body`,
/// ...) inside the canonical value, a blob as base64 as everywhere else: move it to
/// `Input::payload`, where a service reads it when the request came over HTTP.
fn split_raw_payload(
    model: &lamina_model::Model,
    op: &lamina_model::Operation,
    mut input: serde_json::Value,
) -> (serde_json::Value, Option<bytes::Bytes>) {
    use base64::Engine as _;
    let Some(shape) = op.input.as_ref().and_then(|r| model.shape(&r.shape)) else {
        return (input, None);
    };
    let Some(name) = shape.payload.as_deref() else {
        return (input, None);
    };
    let Some(kind) = shape
        .member(name)
        .and_then(|r| model.shape(&r.shape))
        .map(|s| s.kind)
    else {
        return (input, None);
    };
    let raw = match (kind, input.get(name)) {
        (lamina_model::ShapeType::Blob, Some(serde_json::Value::String(b64))) => {
            base64::engine::general_purpose::STANDARD.decode(b64).ok()
        }
        (lamina_model::ShapeType::String, Some(serde_json::Value::String(s))) => {
            Some(s.clone().into_bytes())
        }
        _ => None,
    };
    match raw {
        Some(bytes) => {
            if let Some(obj) = input.as_object_mut() {
                obj.remove(name);
            }
            (input, Some(bytes.into()))
        }
        None => (input, None),
    }
}
