//! Typed interfaces between services. A service crate never depends on another service
//! crate: it asks for one of these traits, and the binary (`crates/lamina`) passes the
//! implementation in. Calls stay in process — no loopback HTTP.
//!
//! * [`LogSink`]: write CloudWatch Logs events (implemented by `lamina-logs`, used by Lambda).
//! * [`Invoker`]: invoke a Lambda function (implemented by `lamina-lambda`, used by API Gateway,
//!   SQS/SNS/stream event sources).
//! * [`QueueSender`]: enqueue to SQS (implemented by `lamina-sqs`, used by SNS and Lambda).
//! * [`QueueConsumer`]: receive, delete and hide SQS messages (implemented by `lamina-sqs`,
//!   used by Lambda's event source mappings).
//! * [`TopicPublisher`]: publish to SNS (implemented by `lamina-sns`).
//! * [`StreamReader`]: read DynamoDB streams (implemented by the binary over `lamina-dynamodb`;
//!   used by Lambda's event source mappings).
//! * [`ServiceCaller`]: call any operation of any service in process (implemented by the
//!   binary over the gateway; used by CloudFormation).

use bytes::Bytes;
use lamina_core::BoxFuture;

/// One log event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub message: String,
}

/// Where a log stream is: account, region, group, stream.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LogStreamRef {
    pub account_id: String,
    pub region: String,
    pub group: String,
    pub stream: String,
}

/// Writes log events; creates the group and stream on first use (as Lambda's service
/// role does on AWS).
pub trait LogSink: Send + Sync + 'static {
    fn put_events<'a>(
        &'a self,
        stream: &'a LogStreamRef,
        events: Vec<LogEvent>,
    ) -> BoxFuture<'a, Result<(), String>>;
}

/// A sink that drops everything (tests, or when no logs service is wired).
pub struct NullLogSink;

impl LogSink for NullLogSink {
    fn put_events<'a>(
        &'a self,
        _: &'a LogStreamRef,
        _: Vec<LogEvent>,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// How an invocation is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    RequestResponse,
    Event,
}

/// An invocation request from another service.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    pub account_id: String,
    pub region: String,
    /// Name, partial or full ARN, optionally with `:qualifier`.
    pub function: String,
    pub qualifier: Option<String>,
    pub payload: Bytes,
    pub invocation_type: InvocationType,
}

/// The outcome of a synchronous invocation.
#[derive(Debug, Clone)]
pub struct InvokeResponse {
    pub status: u16,
    pub payload: Bytes,
    /// `Unhandled` or `Handled` when the function failed (the `X-Amz-Function-Error` header).
    pub function_error: Option<String>,
    pub executed_version: String,
}

/// Why an invocation could not be made at all (not a function error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeError {
    /// The Lambda error code (`ResourceNotFoundException`, `TooManyRequestsException`, ...).
    pub code: String,
    pub message: String,
    pub status: u16,
}

/// Invokes Lambda functions.
pub trait Invoker: Send + Sync + 'static {
    fn invoke(&self, req: InvokeRequest) -> BoxFuture<'_, Result<InvokeResponse, InvokeError>>;
}

/// A message for a queue, as another service hands it over (SNS fan-out, Lambda
/// destinations and dead-letter queues, S3 notifications).
#[derive(Debug, Clone, Default)]
pub struct QueueMessage {
    pub body: String,
    /// SQS message attributes in canonical JSON form
    /// (`{"name": {"DataType": "String", "StringValue": "v"}}`).
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// FIFO queues.
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
}

/// Why a message could not be enqueued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueError {
    /// The SQS error code as the query protocol names it (`AWS.SimpleQueueService.NonExistentQueue`,
    /// `InvalidParameterValue`, ...).
    pub code: String,
    pub message: String,
}

/// Sends messages to SQS queues by ARN (implemented by `lamina-sqs`).
pub trait QueueSender: Send + Sync + 'static {
    /// Enqueues durably; returns the message id.
    fn send<'a>(
        &'a self,
        queue_arn: &'a str,
        message: QueueMessage,
    ) -> BoxFuture<'a, Result<String, QueueError>>;
}

/// A notification for a topic (implemented by `lamina-sns`; used by Lambda destinations,
/// CloudWatch alarms, S3 notifications).
#[derive(Debug, Clone, Default)]
pub struct TopicMessage {
    pub subject: Option<String>,
    pub message: String,
    /// SNS message attributes in canonical JSON form.
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// Publishes to SNS topics by ARN.
pub trait TopicPublisher: Send + Sync + 'static {
    fn publish<'a>(
        &'a self,
        topic_arn: &'a str,
        message: TopicMessage,
    ) -> BoxFuture<'a, Result<String, QueueError>>;
}

/// Who an in-process call acts as.
#[derive(Debug, Clone)]
pub struct CallContext {
    pub account_id: String,
    pub region: String,
    /// `scheme://host[:port]` of Lamina, for URLs the called service hands back.
    pub endpoint: String,
}

/// An AWS error as a caller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub code: String,
    pub message: String,
    pub status: u16,
}

/// Calls any operation of any service in process, with the canonical JSON input a client's
/// request would have been parsed into, validated against the model as the gateway does
/// (implemented by the binary over the gateway; used by CloudFormation's resource
/// providers, which create tables, functions, queues... exactly as an SDK would).
pub trait ServiceCaller: Send + Sync + 'static {
    fn call<'a>(
        &'a self,
        ctx: &'a CallContext,
        service: &'a str,
        operation: &'a str,
        input: serde_json::Value,
    ) -> BoxFuture<'a, Result<serde_json::Value, CallError>>;
}

/// A message as a consumer receives it, with every system and message attribute.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReceivedMessage {
    pub message_id: String,
    pub receipt_handle: String,
    pub body: String,
    /// System attributes (`SentTimestamp`, `ApproximateReceiveCount`, `SenderId`,
    /// `ApproximateFirstReceiveTimestamp`, FIFO `SequenceNumber`, `MessageGroupId`,
    /// `MessageDeduplicationId`, `AWSTraceHeader` when set).
    pub attributes: std::collections::BTreeMap<String, String>,
    /// Message attributes in canonical JSON form
    /// (`{"name": {"DataType": "String", "StringValue": "v"}}`).
    pub message_attributes: serde_json::Map<String, serde_json::Value>,
    /// MD5 of the body, hex.
    pub md5_of_body: String,
}

/// What a consumer needs to know about a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueInfo {
    pub fifo: bool,
    /// The queue's VisibilityTimeout, seconds.
    pub visibility_timeout: u64,
}

/// Consumes SQS queues by ARN (implemented by `lamina-sqs`; used by Lambda's event source
/// mappings). Errors carry SQS's query-protocol codes (`AWS.SimpleQueueService.NonExistentQueue`,
/// `ReceiptHandleIsInvalid`, ...).
pub trait QueueConsumer: Send + Sync + 'static {
    /// The queue's kind and visibility timeout, or `AWS.SimpleQueueService.NonExistentQueue`.
    fn queue_info<'a>(&'a self, queue_arn: &'a str)
    -> BoxFuture<'a, Result<QueueInfo, QueueError>>;

    /// Receives up to `max` (1–10) messages, long-polling up to `wait` seconds (0–20); each
    /// becomes invisible for `visibility_timeout` seconds (`None`: the queue's).
    fn receive<'a>(
        &'a self,
        queue_arn: &'a str,
        max: u32,
        visibility_timeout: Option<u64>,
        wait: u64,
    ) -> BoxFuture<'a, Result<Vec<ReceivedMessage>, QueueError>>;

    /// Deletes the messages of these receipt handles (a handle that no longer deletes
    /// anything is not an error, as with DeleteMessage).
    fn delete_batch<'a>(
        &'a self,
        queue_arn: &'a str,
        handles: Vec<String>,
    ) -> BoxFuture<'a, Result<(), QueueError>>;

    /// Sets the visibility timeout of one in-flight message.
    fn change_visibility<'a>(
        &'a self,
        queue_arn: &'a str,
        handle: &'a str,
        seconds: u64,
    ) -> BoxFuture<'a, Result<(), QueueError>>;
}

/// Why a stream could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    /// The DynamoDB Streams error code (`ResourceNotFoundException`, `ValidationException`,
    /// `InternalServerError`).
    pub code: String,
    pub message: String,
}

/// A shard of a stream as a consumer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamShard {
    pub shard_id: String,
    /// The sequence number of the newest record now in the shard (where `LATEST` starts:
    /// after it), `None` when the shard holds no record.
    pub latest: Option<u128>,
}

/// One stream record for a consumer.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    /// Its sequence number (what `after` takes to continue behind it).
    pub sequence: u128,
    /// The record as a Lambda event's `Records[]` entry carries it (`eventID`, `eventName`,
    /// `eventVersion`, `eventSource`, `awsRegion`, `dynamodb`, `eventSourceARN`, and
    /// `userIdentity` for TTL deletions).
    pub event: serde_json::Value,
}

/// Reads DynamoDB streams by ARN (implemented by the binary over `lamina-dynamodb`'s stream
/// store; used by Lambda's event source mappings).
pub trait StreamReader: Send + Sync + 'static {
    /// The stream's shards, or `ResourceNotFoundException` when it does not exist (any more).
    fn shards<'a>(
        &'a self,
        stream_arn: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StreamShard>, StreamError>>;

    /// Up to `limit` records of `shard_id` after sequence number `after` (from the oldest
    /// kept record when `None`), in order; when there is none yet, waits up to `wait` for one.
    fn read<'a>(
        &'a self,
        stream_arn: &'a str,
        shard_id: &'a str,
        after: Option<u128>,
        limit: usize,
        wait: std::time::Duration,
    ) -> BoxFuture<'a, Result<Vec<StreamEvent>, StreamError>>;
}
