//! Control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, tags,
//! TTL settings, DescribeLimits, DescribeEndpoints, DescribeContinuousBackups.
//! (under construction)

use crate::DynamoDb;
use crate::error::Result;
use lamina_core::RequestContext;
use serde_json::Value;

pub(crate) const OPS: &[&str] = &[];

pub(crate) async fn call(
    _db: &DynamoDb,
    _ctx: &RequestContext,
    _op: &str,
    _input: &Value,
) -> Option<Result<Value>> {
    None
}
