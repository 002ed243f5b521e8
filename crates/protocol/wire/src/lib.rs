//! The protocol boundary: HTTP request → operation input, operation output → HTTP response.
//!
//! One hand-written codec per AWS wire protocol, each walking the service's API model
//! (`lamina-model`) at run time:
//!
//! | protocol | module | services |
//! |---|---|---|
//! | JSON 1.0 / 1.1 (`X-Amz-Target`) | [`json`] | DynamoDB, SSM, Logs, SQS, Kinesis, ... |
//! | query (form in, XML out) | [`query`] | STS, SNS, CloudFormation, IAM, SQS (old SDKs) |
//! | rest-json | [`rest_json`] | Lambda, API Gateway |
//! | rest-xml | [`rest_xml`] | S3 |
//!
//! Every codec turns a request into the operation's input in *canonical form*: the JSON
//! value the JSON protocol would carry (structure members by model name, blobs as base64
//! strings, timestamps as epoch seconds). [`validate`] then checks it against the model once,
//! generically, with AWS's messages. Services see only canonical values; outputs come back
//! in the same form and the codec writes them in the protocol's format.
//!
//! Recursive parsers bound their depth with [`MAX_DEPTH`].

pub mod detect;
pub mod json;
pub mod oracle;
pub mod query;
pub mod rest;
pub mod rest_json;
pub mod rest_xml;
pub mod sigv4;
pub mod timestamp;
pub mod validate;
pub mod xml;

use bytes::Bytes;
use lamina_core::{AwsError, Input, Output};
use lamina_model::{Model, Operation};

/// Nesting limit for every recursive parser and for validation. AWS rejects deeper
/// documents; Lamina rejects them before they can exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// A request as the gateway received it.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: http::Method,
    /// The raw (still percent-encoded) path.
    pub path: String,
    /// The raw query string without `?`, empty if none.
    pub query: String,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A response ready for the gateway to send.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json,
    Query,
    RestJson,
    RestXml,
}

impl Protocol {
    /// The protocol a model declares.
    pub fn of(model: &Model) -> Protocol {
        match model.metadata.protocol.as_str() {
            "json" => Protocol::Json,
            "query" | "ec2" => Protocol::Query,
            "rest-json" => Protocol::RestJson,
            "rest-xml" => Protocol::RestXml,
            // botocore 1.44 lists only these four for Lamina's services; smithy-rpc-v2-cbor
            // services (CloudWatch) also list json or query, see docs/protocol.md.
            _ => Protocol::Json,
        }
    }

    /// The protocol this particular request speaks: a JSON service with
    /// `awsQueryCompatible` (SQS) also accepts form-encoded query requests.
    pub fn of_request(model: &Model, req: &HttpRequest) -> Protocol {
        let declared = Protocol::of(model);
        if declared == Protocol::Json
            && model.metadata.aws_query_compatible.is_some()
            && req.header("x-amz-target").is_none()
            && req
                .header("content-type")
                .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            return Protocol::Query;
        }
        declared
    }
}

/// What a codec needs to know about the response it writes.
#[derive(Debug, Clone)]
pub struct ResponseMeta<'a> {
    pub request_id: &'a str,
}

/// Finds the operation a request addresses.
pub fn operation<'m>(
    model: &'m Model,
    protocol: Protocol,
    req: &HttpRequest,
) -> Result<&'m Operation, AwsError> {
    match protocol {
        Protocol::Json => json::operation(model, req),
        Protocol::Query => query::operation(model, req),
        Protocol::RestJson | Protocol::RestXml => rest::operation(model, req),
    }
}

/// Parses the request into the operation's canonical input (not yet validated).
pub fn parse(
    model: &Model,
    protocol: Protocol,
    op: &Operation,
    req: &HttpRequest,
) -> Result<Input, AwsError> {
    match protocol {
        Protocol::Json => json::parse(model, op, req),
        Protocol::Query => query::parse(model, op, req),
        Protocol::RestJson => rest_json::parse(model, op, req),
        Protocol::RestXml => rest_xml::parse(model, op, req),
    }
}

/// Writes an operation's output.
pub fn serialize(
    model: &Model,
    protocol: Protocol,
    op: &Operation,
    out: Output,
    meta: &ResponseMeta<'_>,
) -> HttpResponse {
    match protocol {
        Protocol::Json => json::serialize(model, op, out, meta),
        Protocol::Query => query::serialize(model, op, out, meta),
        Protocol::RestJson => rest_json::serialize(model, op, out, meta),
        Protocol::RestXml => rest_xml::serialize(model, op, out, meta),
    }
}

/// Writes an error in the protocol's envelope.
pub fn serialize_error(
    model: &Model,
    protocol: Protocol,
    err: &AwsError,
    meta: &ResponseMeta<'_>,
) -> HttpResponse {
    match protocol {
        Protocol::Json => json::serialize_error(model, err, meta),
        Protocol::Query => query::serialize_error(model, err, meta),
        Protocol::RestJson => rest_json::serialize_error(model, err, meta),
        Protocol::RestXml => rest_xml::serialize_error(model, err, meta),
    }
}

/// What a [`RawHandler`] learns about the request besides the request itself.
#[derive(Debug, Clone)]
pub struct RawContext {
    pub request_id: String,
    /// `scheme://host[:port]` the client used.
    pub endpoint: String,
    pub account_id: String,
    pub region: String,
}

/// A handler for requests that are not AWS API calls — data planes with their own HTTP
/// shape (API Gateway invoke URLs) and Lamina's service-specific routes (the SNS signing
/// certificate, test inspection endpoints). The binary registers them with the gateway by
/// path prefix or host suffix; they see the raw request and answer it as they like.
pub trait RawHandler: Send + Sync + 'static {
    fn handle<'a>(
        &'a self,
        req: HttpRequest,
        ctx: RawContext,
    ) -> lamina_core::BoxFuture<'a, HttpResponse>;
}
