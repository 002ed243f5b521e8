//! HTTP APIs (`apigatewayv2`): the control plane ([`V2Service`], rest-json under `/v2/apis`)
//! and the data plane ([`serve`], called by the invoke-URL router in `dataplane.rs`).
//!
//! Control plane: APIs (quick create with `Target`/`RouteKey`/`CredentialsArn`, CORS,
//! `DisableExecuteApiEndpoint`), routes, integrations (`AWS_PROXY` with payload format 1.0 or
//! 2.0, `HTTP_PROXY`), authorizers (JWT, REQUEST Lambda), stages (AutoDeploy, stage
//! variables, default and per-route throttling), deployments (snapshots of routes,
//! integrations, authorizers and CORS), tags on APIs and stages, paginated listings.
//! State: one versioned record per API plus one snapshot per deployment (see `store`).
//!
//! Data plane: stage selection (`/<stage>/...` or the `$default` stage), AWS's route
//! selection (most specific path, method over `ANY`, `$default` last), CORS preflight and
//! headers, throttling (429), JWT authorizers (RS256 against the issuer's JWKS) and Lambda
//! REQUEST authorizers (simple and IAM-policy responses, cached for the TTL), Lambda proxy
//! integrations with the exact 2.0 and 1.0 events and response mappings, HTTP proxy
//! integrations, integration timeouts (503).
//!
//! Known differences from AWS:
//! * WebSocket APIs are not supported (CreateApi answers BadRequestException).
//! * Request/response parameter mappings are stored but not applied; VPC links, mutual TLS,
//!   custom domains, access logs and the `AWS_IAM` authorization type are not enforced.
//! * Error messages of rules AWS does not document are Lamina's own wording.

pub(crate) mod data;
pub(crate) mod error;
pub(crate) mod ops;
pub(crate) mod store;
pub(crate) mod types;

pub use data::serve;
pub use error::V2Error;

use crate::ApiGateway;
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use std::sync::{Arc, OnceLock};

/// The `apigatewayv2` service (control plane).
pub struct V2Service {
    gw: Arc<ApiGateway>,
}

impl V2Service {
    pub fn new(gw: Arc<ApiGateway>) -> Self {
        Self { gw }
    }
}

fn implemented() -> &'static [&'static str] {
    static OPS: OnceLock<Vec<&'static str>> = OnceLock::new();
    OPS.get_or_init(ops::implemented)
}

impl Service for V2Service {
    fn name(&self) -> &'static str {
        "apigatewayv2"
    }

    fn implemented(&self) -> &'static [&'static str] {
        implemented()
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Input,
    ) -> BoxFuture<'a, Result<Output, AwsError>> {
        Box::pin(async move {
            let table = store::Table::new(self.gw.store.clone());
            let cx = ops::Ctx {
                table: &table,
                scope: store::Scope {
                    account: ctx.account_id.clone(),
                    region: ctx.region.clone(),
                },
                req: ctx,
            };
            ops::call(&cx, operation, &input.value)
                .await
                .map(Output::json)
                .map_err(AwsError::from)
        })
    }
}

#[cfg(test)]
mod tests;
