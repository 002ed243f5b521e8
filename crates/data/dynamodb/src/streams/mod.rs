//! DynamoDB Streams: the `dynamodbstreams` service (ListStreams, DescribeStream,
//! GetShardIterator, GetRecords) and the internal interface the Lambda event source mapping
//! reads streams through without HTTP ([`read_records`], [`shard_position`],
//! [`DynamoDb::stream_updates`]).
//!
//! Records are written by the write path (`write::stream`) in the item's own batch, so a
//! failed write emits nothing and a committed write always has its record. They are kept 24
//! hours (the TTL sweeper trims older ones).
//!
//! Known differences from AWS:
//! * one shard per stream, never split (AWS rotates shards every few hours); its id is
//!   `shardId-<enable time, 20 digits>-<8 hex>` and it starts at the stream's enable time;
//! * only a table's latest stream is readable: when a stream is disabled and another one
//!   enabled, the earlier one is gone at once (AWS keeps it readable for 24 hours);
//! * sequence numbers come from each node's clock, so with several nodes writing one table
//!   at the same instant a reader positioned after a record may miss one committed a moment
//!   later with a smaller number.

mod arn;
mod error;
mod iterator;
mod ops;
mod read;
#[cfg(test)]
pub(crate) mod tests;

pub use error::StreamsError;

use crate::DynamoDb;
use crate::store::STREAM;
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_storage::{Store, WriteOp};
use serde_json::Value;
use std::ops::Bound;
use std::sync::Arc;
use tokio::sync::watch;

pub(crate) use ops::RETENTION_MS;

/// The `dynamodbstreams` service.
pub struct StreamsService {
    db: Arc<DynamoDb>,
}

impl StreamsService {
    pub fn new(db: Arc<DynamoDb>) -> Self {
        Self { db }
    }
}

const OPS: &[&str] = &[
    "DescribeStream",
    "GetRecords",
    "GetShardIterator",
    "ListStreams",
];

impl Service for StreamsService {
    fn name(&self) -> &'static str {
        "dynamodbstreams"
    }

    fn implemented(&self) -> &'static [&'static str] {
        OPS
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Input,
    ) -> BoxFuture<'a, Result<Output, AwsError>> {
        Box::pin(async move {
            let db = self.db.as_ref();
            let input = &input.value;
            let r = match operation {
                "ListStreams" => ops::list_streams(db, ctx, input).await,
                "DescribeStream" => ops::describe_stream(db, ctx, input).await,
                "GetShardIterator" => ops::get_shard_iterator(db, ctx, input).await,
                "GetRecords" => ops::get_records(db, ctx, input).await,
                other => Err(StreamsError::Internal(format!(
                    "operation {other} has no handler"
                ))),
            };
            r.map(Output::json).map_err(AwsError::from)
        })
    }
}

/// Signals committed stream records: a counter bumped after every durable commit that wrote
/// to `ddb.stream`, installed as a store commit hook.
pub(crate) struct Signal {
    tx: watch::Sender<u64>,
}

impl Signal {
    /// Creates the signal and registers its commit hook on `store`.
    pub(crate) fn install(store: &dyn Store) -> Arc<Self> {
        let (tx, _) = watch::channel(0u64);
        let signal = Arc::new(Self { tx });
        let hook = signal.clone();
        store.add_commit_hook(Arc::new(move |batch| {
            let wrote_records = batch
                .ops
                .iter()
                .any(|op| matches!(op, WriteOp::Put { tree, .. } if tree == STREAM));
            if wrote_records {
                hook.tx.send_modify(|n| *n = n.wrapping_add(1));
            }
        }));
        signal
    }
}

impl DynamoDb {
    /// A receiver that changes whenever stream records were committed (any table): wait on
    /// `changed()`, then [`read_records`] from your position, instead of polling.
    pub fn stream_updates(&self) -> watch::Receiver<u64> {
        self.stream_signal.tx.subscribe()
    }
}

/// One stream record for an internal consumer.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    /// Its sequence number (what `after` takes to continue behind it).
    pub sequence: u128,
    /// The record as a Lambda event's `Records[]` entry carries it (`eventID`, `eventName`,
    /// `eventVersion`, `eventSource`, `awsRegion`, `dynamodb`, `eventSourceARN`, and
    /// `userIdentity` for TTL deletes).
    pub event: Value,
}

/// Up to `limit` records of the stream `stream_arn` after sequence number `after` (from the
/// oldest kept record when `None`), in sequence order. Fails with
/// [`StreamsError::NotFound`] when the stream does not exist (any more).
pub async fn read_records(
    db: &DynamoDb,
    stream_arn: &str,
    after: Option<u128>,
    limit: usize,
) -> Result<Vec<StreamRecord>, StreamsError> {
    let stream = read::resolve(db, stream_arn, None).await?;
    let from = match after {
        Some(s) => Bound::Excluded(s),
        None => Bound::Included(arn::start_sequence(
            lamina_core::now_epoch_millis().saturating_sub(RETENTION_MS),
        )),
    };
    let records = read::scan(
        db.store.as_ref(),
        &stream,
        from,
        limit.max(1),
        read::MAX_RESPONSE_BYTES.saturating_mul(6),
    )
    .await?;
    Ok(records
        .into_iter()
        .map(|r| StreamRecord {
            sequence: r.seq,
            event: read::event_record(r.record, &stream.arn),
        })
        .collect())
}

/// The stream's shard (Lamina keeps one per stream): its id and the sequence number of its
/// newest record (`None` when it has none). Fails with [`StreamsError::NotFound`] when the
/// stream does not exist (any more).
pub async fn shard_position(
    db: &DynamoDb,
    stream_arn: &str,
) -> Result<(String, Option<u128>), StreamsError> {
    let stream = read::resolve(db, stream_arn, None).await?;
    let last = read::last(db.store.as_ref(), &stream).await?;
    Ok((stream.shard_id(), last.map(|r| r.seq)))
}
