use crate::AwsError;
use bytes::Bytes;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who is calling, where, and under which request id.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub account_id: String,
    pub region: String,
    /// The access key id the request was signed with (any key is accepted unless
    /// signature verification is on); empty for unsigned requests.
    pub access_key_id: String,
    /// `scheme://host[:port]` the client used, for URLs the service hands back.
    pub endpoint: String,
}

/// An operation's input, parsed from the wire by the protocol codec and checked against the
/// model: a JSON object in canonical form (the JSON protocol's shape of the input: blobs as
/// base64 strings, timestamps as epoch seconds).
#[derive(Debug, Clone)]
pub struct Input {
    pub value: Value,
    /// The raw body when the model binds a blob or streaming member as the payload
    /// (Lambda `Invoke`, S3 `PutObject`); such a member is then absent from `value`.
    pub payload: Option<Bytes>,
}

/// An operation's output in canonical form; the codec serializes it per the model.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub value: Value,
    /// The raw body for a blob or streaming payload member.
    pub payload: Option<Bytes>,
}

impl Output {
    pub fn json(value: Value) -> Self {
        Self {
            value,
            payload: None,
        }
    }
}

/// A service: receives operations named as in its model, returns canonical output or an
/// error. The gateway has already parsed and validated the input against the model.
pub trait Service: Send + Sync + 'static {
    /// The model's service name, e.g. `ssm` (the `lamina-model` key).
    fn name(&self) -> &'static str;

    /// Operations this service implements; the others get `NotImplemented`.
    fn implemented(&self) -> &'static [&'static str];

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Input,
    ) -> BoxFuture<'a, Result<Output, AwsError>>;

    /// Extra facts for `/_lamina/health` (e.g. which sandbox isolation layers are active).
    fn health(&self) -> Option<Value> {
        None
    }
}
