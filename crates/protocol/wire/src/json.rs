//! (codec under construction)

use crate::{HttpRequest, HttpResponse, ResponseMeta};
use lamina_core::{AwsError, Input, Output, common};
use lamina_model::{Model, Operation};

pub fn parse(_model: &Model, op: &Operation, _req: &HttpRequest) -> Result<Input, AwsError> {
    Err(AwsError::new(common::NOT_IMPLEMENTED, format!("codec for {} not built yet", op.name)))
}

pub fn serialize(_model: &Model, _op: &Operation, _out: Output, _meta: &ResponseMeta<'_>) -> HttpResponse {
    HttpResponse { status: 501, headers: vec![], body: Default::default() }
}

pub fn serialize_error(_model: &Model, _err: &AwsError, _meta: &ResponseMeta<'_>) -> HttpResponse {
    HttpResponse { status: 501, headers: vec![], body: Default::default() }
}

pub fn operation<'m>(_model: &'m Model, _req: &HttpRequest) -> Result<&'m Operation, AwsError> {
    Err(AwsError::new(common::NOT_IMPLEMENTED, "codec not built yet"))
}
