//! `lamina_bus::StreamReader` over `lamina-dynamodb`'s stream store: Lambda's event source
//! mappings read DynamoDB streams in process, waking on the store's commit signal instead of
//! polling.

use lamina_bus::{StreamError, StreamEvent, StreamReader, StreamShard};
use lamina_core::{AwsError, BoxFuture};
use lamina_dynamodb::DynamoDb;
use lamina_dynamodb::streams::{self, StreamsError};
use std::sync::Arc;
use std::time::Duration;

pub struct DynamoDbStreams(pub Arc<DynamoDb>);

fn error(e: StreamsError) -> StreamError {
    let e = AwsError::from(e);
    StreamError {
        code: e.code.code.to_string(),
        message: e.message,
    }
}

impl StreamReader for DynamoDbStreams {
    fn shards<'a>(
        &'a self,
        stream_arn: &'a str,
    ) -> BoxFuture<'a, Result<Vec<StreamShard>, StreamError>> {
        Box::pin(async move {
            let (shard_id, latest) = streams::shard_position(&self.0, stream_arn)
                .await
                .map_err(error)?;
            Ok(vec![StreamShard { shard_id, latest }])
        })
    }

    fn read<'a>(
        &'a self,
        stream_arn: &'a str,
        shard_id: &'a str,
        after: Option<u128>,
        limit: usize,
        wait: Duration,
    ) -> BoxFuture<'a, Result<Vec<StreamEvent>, StreamError>> {
        Box::pin(async move {
            let deadline = tokio::time::Instant::now() + wait;
            // Subscribed before reading, so a commit between the read and the wait wakes it.
            let mut updates = self.0.stream_updates();
            loop {
                let (current, _) = streams::shard_position(&self.0, stream_arn)
                    .await
                    .map_err(error)?;
                if current != shard_id {
                    return Err(StreamError {
                        code: "ResourceNotFoundException".into(),
                        message: format!(
                            "Requested resource not found: Shard: {shard_id} in Stream: {stream_arn} not found"
                        ),
                    });
                }
                updates.borrow_and_update();
                let records = streams::read_records(&self.0, stream_arn, after, limit)
                    .await
                    .map_err(error)?;
                if !records.is_empty() {
                    return Ok(records
                        .into_iter()
                        .map(|r| StreamEvent {
                            sequence: r.sequence,
                            event: r.event,
                        })
                        .collect());
                }
                match tokio::time::timeout_at(deadline, updates.changed()).await {
                    Ok(Ok(())) => continue,
                    _ => return Ok(Vec::new()),
                }
            }
        })
    }
}
