//! Shared HTTP bindings of rest-json and rest-xml.
//!
//! * [`route`]: the operation a request addresses, by method and `http.requestUri` template
//!   (literal segments, `{Label}`, greedy `{Key+}`, query literals such as `?uploads` or
//!   `?list-type=2`), compiled once per model. Among routes that fit, the most specific wins:
//!   more literal path segments, then non-greedy, then more requirements (template query
//!   literals, required query-string members, required header members such as S3
//!   `CopyObject`'s `x-amz-copy-source`), then not shadowed (see [`quirks`]), then name. A
//!   request's `x-id` query parameter (newer SDKs) names the operation outright when it fits.
//!   One trailing `/` of difference is tolerated.
//! * [`bindings`]: members bound to URI labels, query string, headers, header-prefix maps
//!   and the status code, to and from canonical form.
//! * S3 virtual-hosted requests are rewritten to path style by the gateway with
//!   [`route::rewrite_s3_virtual_host`] before routing.
//!
//! Known differences from AWS: a path no operation matches gets the service's "unknown
//! operation" error (see [`quirks`]) naming the method and path; AWS's exact text varies by
//! service and is not documented.

pub mod bindings;
pub mod quirks;
pub mod route;

pub use route::{rewrite_s3_virtual_host, s3_virtual_host_path};

use crate::HttpRequest;
use lamina_core::AwsError;
use lamina_model::{Model, Operation};

/// Finds the operation a rest request addresses.
pub fn operation<'m>(model: &'m Model, req: &HttpRequest) -> Result<&'m Operation, AwsError> {
    match route::route(model, req) {
        Some((op, _)) => Ok(op),
        None => {
            let path = if req.query.is_empty() {
                req.path.clone()
            } else {
                format!("{}?{}", req.path, req.query)
            };
            Err(AwsError::new(
                quirks::unknown_operation(model.name),
                format!("No operation matches {} {path}", req.method),
            ))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
