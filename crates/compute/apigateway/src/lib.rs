//! API Gateway: REST APIs (`apigateway`, v1) and HTTP APIs (`apigatewayv2`), their control
//! planes (AWS services behind the rest-json codec) and the data plane (invoke URLs, a
//! [`lamina_wire::RawHandler`] the binary mounts on `.execute-api.<host>` and
//! `/restapis/<id>/<stage>/_user_request_/`). See docs/apigateway.md for the design and the
//! known differences from AWS.
//!
//! Modules: `v1/` (REST API control plane and data plane), `v2/` (HTTP API control plane and
//! data plane), `vtl/` (the Velocity template engine for mapping templates, pure), `schema/`
//! (JSON Schema draft 4 request validation), `throttle/` (token buckets, quotas, API keys
//! and usage plans). `dataplane.rs` routes an invoke URL to the v1 or v2 API that owns it.

pub mod dataplane;
pub mod schema;
pub mod throttle;
pub mod v1;
pub mod v2;
pub mod vtl;

use lamina_bus::{Invoker, LogSink};
use lamina_storage::Store;
use std::sync::Arc;

/// The state both control planes and the data plane share.
pub struct ApiGateway {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) invoker: Option<Arc<dyn Invoker>>,
    pub(crate) logs: Arc<dyn LogSink>,
    /// REST API stage response caches (process memory; FlushStageCache empties one).
    pub(crate) cache: v1::cache::ResponseCache,
    /// Lambda authorizer results by `account, region, api, stage, authorizer, identity`, for
    /// their TTL (a cache; FlushStageAuthorizersCache empties a stage's).
    pub(crate) auth_cache: v1::authorizer::AuthCache,
    /// User pool id → issuer for COGNITO_USER_POOLS authorizers (`LAMINA_COGNITO_ISSUERS`).
    pub(crate) cognito_issuers: std::collections::BTreeMap<String, String>,
    /// In-process calls to other services (AWS service integrations), set once the gateway
    /// that implements it exists.
    pub(crate) caller: std::sync::OnceLock<Arc<dyn lamina_bus::ServiceCaller>>,
}

impl ApiGateway {
    pub fn new(
        store: Arc<dyn Store>,
        invoker: Option<Arc<dyn Invoker>>,
        logs: Arc<dyn LogSink>,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            invoker,
            logs,
            cache: Default::default(),
            auth_cache: Default::default(),
            cognito_issuers: v1::cognito::issuers_from_env(),
            caller: std::sync::OnceLock::new(),
        })
    }

    /// Wires the in-process service caller AWS service integrations use (later calls are
    /// ignored).
    pub fn set_service_caller(&self, caller: Arc<dyn lamina_bus::ServiceCaller>) {
        let _ = self.caller.set(caller);
    }
}
