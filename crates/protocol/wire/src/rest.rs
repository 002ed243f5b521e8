//! Shared HTTP bindings of rest-json and rest-xml: routing by method and URI template, URI
//! labels (incl. greedy), query string, headers. (under construction)

use crate::HttpRequest;
use lamina_core::{AwsError, common};
use lamina_model::{Model, Operation};

pub fn operation<'m>(_model: &'m Model, _req: &HttpRequest) -> Result<&'m Operation, AwsError> {
    Err(AwsError::new(common::NOT_IMPLEMENTED, "codec not built yet"))
}
