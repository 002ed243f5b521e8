//! [`QueueConsumer`] for other services (Lambda's event source mappings): the same receive,
//! delete and visibility paths a client's requests take, addressed by queue ARN, so a
//! mapping's poller sees exactly what ReceiveMessage would show (redrive to the dead-letter
//! queue after maxReceiveCount included).

use crate::Sqs;
use crate::error::SqsError;
use crate::ops::{self, Call};
use crate::store::{QueueRecord, Scope};
use crate::types::ReceiveMessageRequest;
use lamina_bus::{QueueConsumer, QueueError, QueueInfo, ReceivedMessage};
use lamina_core::BoxFuture;
use serde_json::Value;

fn fail(e: SqsError) -> QueueError {
    match e.code() {
        Some(c) => QueueError {
            code: c.code.to_string(),
            message: e.to_string(),
        },
        None => QueueError {
            code: "InternalFailure".to_string(),
            message: e.to_string(),
        },
    }
}

impl Sqs {
    /// The scope and record of the queue an ARN names, or `QueueDoesNotExist`.
    async fn by_arn(&self, arn: &str) -> Result<(Scope, QueueRecord), QueueError> {
        let (scope, name) = ops::parse_arn(arn).ok_or_else(|| fail(SqsError::QueueDoesNotExist))?;
        let q = self
            .table
            .queue(&scope, &name)
            .await
            .map_err(fail)?
            .ok_or_else(|| fail(SqsError::QueueDoesNotExist))?;
        Ok((scope, q.rec))
    }
}

impl QueueConsumer for Sqs {
    fn queue_info<'a>(
        &'a self,
        queue_arn: &'a str,
    ) -> BoxFuture<'a, Result<QueueInfo, QueueError>> {
        Box::pin(async move {
            let (_, q) = self.by_arn(queue_arn).await?;
            Ok(QueueInfo {
                fifo: q.fifo(),
                visibility_timeout: q.num("VisibilityTimeout", 30),
            })
        })
    }

    fn receive<'a>(
        &'a self,
        queue_arn: &'a str,
        max: u32,
        visibility_timeout: Option<u64>,
        wait: u64,
    ) -> BoxFuture<'a, Result<Vec<ReceivedMessage>, QueueError>> {
        Box::pin(async move {
            let (scope, name) =
                ops::parse_arn(queue_arn).ok_or_else(|| fail(SqsError::QueueDoesNotExist))?;
            let url = format!("{}/{}", scope.account, name);
            let call = Call {
                scope,
                endpoint: "",
            };
            let req = ReceiveMessageRequest {
                queue_url: url,
                attribute_names: None,
                message_system_attribute_names: Some(vec!["All".to_string()]),
                message_attribute_names: Some(vec!["All".to_string()]),
                max_number_of_messages: Some(i64::from(max.clamp(1, 10))),
                visibility_timeout: visibility_timeout.map(|v| v.min(43_200) as i64),
                wait_time_seconds: Some(wait.min(20) as i64),
                receive_request_attempt_id: None,
            };
            let out = ops::receive::receive(self, &call, req)
                .await
                .map_err(fail)?;
            Ok(out
                .messages
                .into_iter()
                .map(|m| ReceivedMessage {
                    message_id: m.message_id,
                    receipt_handle: m.receipt_handle,
                    body: m.body,
                    attributes: m.attributes,
                    message_attributes: match serde_json::to_value(&m.message_attributes) {
                        Ok(Value::Object(o)) => o,
                        _ => serde_json::Map::new(),
                    },
                    md5_of_body: m.md5_of_body,
                })
                .collect())
        })
    }

    fn delete_batch<'a>(
        &'a self,
        queue_arn: &'a str,
        handles: Vec<String>,
    ) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async move {
            let (scope, q) = self.by_arn(queue_arn).await?;
            let raws: Vec<&str> = handles.iter().map(String::as_str).collect();
            for r in ops::messages::delete_many(self, &scope, &q, &raws)
                .await
                .map_err(fail)?
            {
                r.map_err(fail)?;
            }
            Ok(())
        })
    }

    fn change_visibility<'a>(
        &'a self,
        queue_arn: &'a str,
        handle: &'a str,
        seconds: u64,
    ) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async move {
            let (scope, q) = self.by_arn(queue_arn).await?;
            ops::messages::change_one(self, &scope, &q, handle, seconds.min(43_200) as i64)
                .await
                .map_err(fail)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqsConfig;
    use lamina_bus::{QueueMessage, QueueSender};
    use std::sync::Arc;

    const ARN: &str = "arn:aws:sqs:us-east-1:123456789012:work";

    async fn queue(sqs: &Sqs, attrs: &[(&str, &str)]) {
        let call = Call {
            scope: Scope {
                account: "123456789012".into(),
                region: "us-east-1".into(),
            },
            endpoint: "http://localhost:4566",
        };
        let req = crate::types::CreateQueueRequest {
            queue_name: "work".into(),
            attributes: Some(
                attrs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            tags: None,
        };
        ops::queues::create(sqs, &call, req).await.expect("create");
    }

    #[tokio::test]
    async fn receive_delete_and_hide_by_arn() {
        let sqs = Sqs::new(
            lamina_storage_memory::MemoryStore::new(),
            SqsConfig::default(),
        );
        let err = sqs.queue_info(ARN).await.unwrap_err();
        assert_eq!(err.code, "AWS.SimpleQueueService.NonExistentQueue");
        queue(&sqs, &[("VisibilityTimeout", "7")]).await;
        let info = sqs.queue_info(ARN).await.unwrap();
        assert_eq!(
            info,
            QueueInfo {
                fifo: false,
                visibility_timeout: 7
            }
        );

        let mut attributes = serde_json::Map::new();
        attributes.insert(
            "k".into(),
            serde_json::json!({"DataType": "String", "StringValue": "v"}),
        );
        for i in 0..3 {
            let m = QueueMessage {
                body: format!("m{i}"),
                attributes: attributes.clone(),
                ..Default::default()
            };
            sqs.send(ARN, m).await.unwrap();
        }
        let got = sqs.receive(ARN, 10, Some(30), 0).await.unwrap();
        assert_eq!(got.len(), 3);
        let m = &got[0];
        assert_eq!(m.attributes["ApproximateReceiveCount"], "1");
        assert!(m.attributes.contains_key("SentTimestamp"));
        assert!(
            m.attributes
                .contains_key("ApproximateFirstReceiveTimestamp")
        );
        assert_eq!(m.attributes["SenderId"], "123456789012");
        assert_eq!(m.message_attributes["k"]["StringValue"], "v");
        assert_eq!(m.md5_of_body.len(), 32);
        // nothing visible while in flight
        assert!(sqs.receive(ARN, 10, None, 0).await.unwrap().is_empty());
        // delete two, make the third visible again
        let handles = got[..2].iter().map(|m| m.receipt_handle.clone()).collect();
        sqs.delete_batch(ARN, handles).await.unwrap();
        sqs.change_visibility(ARN, &got[2].receipt_handle, 0)
            .await
            .unwrap();
        let again = sqs.receive(ARN, 10, None, 0).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].message_id, got[2].message_id);
        assert_eq!(again[0].attributes["ApproximateReceiveCount"], "2");
        let _ = Arc::clone(&sqs);
    }
}
