//! `lamina_bus::ServiceCaller` over the gateway: services that act on other services as a
//! client would (CloudFormation's resource providers) call operations in process.
//!
//! The gateway owns the services and a service may own a caller, so the caller is created
//! first and pointed at the gateway once the gateway exists ([`GatewayCaller::attach`]).

use lamina_bus::{CallContext, CallError, ServiceCaller};
use lamina_core::BoxFuture;
use lamina_gateway::Gateway;
use std::sync::{Arc, OnceLock};

#[derive(Default)]
pub struct GatewayCaller {
    gateway: OnceLock<Arc<Gateway>>,
}

impl GatewayCaller {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Points the caller at the gateway; later calls are ignored.
    pub fn attach(&self, gateway: Arc<Gateway>) {
        let _ = self.gateway.set(gateway);
    }
}

impl ServiceCaller for GatewayCaller {
    fn call<'a>(
        &'a self,
        ctx: &'a CallContext,
        service: &'a str,
        operation: &'a str,
        input: serde_json::Value,
    ) -> BoxFuture<'a, Result<serde_json::Value, CallError>> {
        Box::pin(async move {
            let Some(gw) = self.gateway.get() else {
                return Err(CallError {
                    code: "ServiceUnavailable".into(),
                    message: "Lamina is still starting".into(),
                    status: 503,
                });
            };
            gw.call_internal(
                &ctx.account_id,
                &ctx.region,
                &ctx.endpoint,
                service,
                operation,
                input,
            )
            .await
            .map_err(|e| CallError {
                code: e.code.code.to_string(),
                message: e.message,
                status: e.code.status,
            })
        })
    }
}
