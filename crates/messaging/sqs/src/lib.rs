//! Amazon SQS (`lamina-sqs`).
//!
//! Scope: standard and FIFO queues behind both wire protocols SDKs use (the JSON protocol
//! with `AmazonSQS.*` targets, and the query protocol; the gateway's codec turns both into
//! the same canonical input). State lives in the [`lamina_storage::Store`] (see `store` for
//! the trees and keys): a message acknowledged by SendMessage is durable, and a received
//! message stays invisible until its visibility deadline, which is stored, even across a
//! restart. Every write is one atomic batch with preconditions, retried on conflict, so
//! concurrent consumers never receive the same message twice within its visibility timeout.
//!
//! Supported operations: CreateQueue, GetQueueUrl, ListQueues, GetQueueAttributes,
//! SetQueueAttributes, DeleteQueue, PurgeQueue, SendMessage, SendMessageBatch,
//! ReceiveMessage, DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility,
//! ChangeMessageVisibilityBatch, TagQueue, UntagQueue, ListQueueTags, AddPermission,
//! RemovePermission, ListDeadLetterSourceQueues, StartMessageMoveTask, ListMessageMoveTasks,
//! CancelMessageMoveTask.
//!
//! Behaviour: every queue attribute with AWS's ranges and defaults (MaximumMessageSize up
//! to and by default 1 MiB), long polling that wakes on arrival (a `Notify` per queue),
//! delays, visibility timeouts, redrive to the dead-letter queue on the receive that would
//! exceed `maxReceiveCount`, FIFO ordering per message group with the group blocked while a
//! message of it is in flight, the 5-minute deduplication window (explicit or content-based,
//! per queue or per group), sequence numbers, MD5 digests of bodies and attributes as AWS
//! computes them, queue URLs built from the endpoint the client used, ReceiveRequestAttemptId
//! on FIFO queues (a retry within 5 minutes returns the same messages and receipt handles and
//! resets their visibility timeout, unless one was deleted, had its visibility changed or was
//! received again since, which AWS answers with InvalidParameterValue), QueueDeletedRecently
//! for a create within 60 seconds of a delete of the same name, a retention sweep and
//! message move tasks (redrive out of a dead-letter queue) in a background task
//! ([`Sqs::start_background`]). [`Sqs`] also implements [`lamina_bus::QueueSender`] and
//! [`lamina_bus::QueueConsumer`] (`consumer`, for Lambda's event source mappings).
//!
//! Known differences from AWS:
//! * No KMS: KmsMasterKeyId and KmsDataKeyReusePeriodSeconds are accepted and returned.
//! * Policies (AddPermission, the Policy attribute) are stored and returned, not enforced.
//! * Standard queues deliver each message once per visibility window (AWS may deliver
//!   twice); ordering is best-effort send order, as on AWS.
//! * FifoThroughputLimit and DeduplicationScope are stored; throughput is not limited.
//! * RedriveAllowPolicy is validated and stored; which queues may name a queue as their
//!   dead-letter queue is not enforced.
//! * A receipt handle from an earlier receive of a message that has since been received
//!   again does not delete it (as AWS documents); ChangeMessageVisibility rejects it.
//! * A ReceiveRequestAttemptId whose receive returned no messages is not remembered (a
//!   retry receives afresh); on standard queues the parameter is ignored, as AWS documents.
//! * Error codes: the query protocol's codes (and the JSON protocol's `x-amzn-query-error`)
//!   follow AWS's model, e.g. `AWS.SimpleQueueService.NonExistentQueue` (see `error`).

mod attributes;
mod background;
mod consumer;
mod error;
mod handle;
mod md5;
mod message;
mod ops;
mod provider;
mod store;
mod types;

pub use error::SqsError;
pub use provider::SqsService;
pub use store::{INDEX as INDEX_TREE, MESSAGES as MESSAGES_TREE, QUEUES as QUEUES_TREE};

use lamina_storage::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// Options of the SQS service.
#[derive(Debug, Clone)]
pub struct SqsConfig {
    /// How often the background task advances message move tasks.
    pub sweep_interval: Duration,
    /// How often it deletes messages past their retention period and expired deduplication,
    /// receive-attempt and deleted-queue records. The pass reads every message of every
    /// queue, so it must not run every second on a large backlog; nothing depends on its
    /// promptness (receives skip expired messages, and the records are checked against
    /// their expiry when used), and the retention period is at least 60 s.
    pub retention_interval: Duration,
}

impl Default for SqsConfig {
    fn default() -> Self {
        Self {
            sweep_interval: Duration::from_secs(1),
            retention_interval: Duration::from_secs(60),
        }
    }
}

/// The SQS engine: the store, the long-polling notifiers and the send-order counter.
pub struct Sqs {
    pub(crate) table: store::Table,
    pub(crate) config: SqsConfig,
    /// One `Notify` per queue id: a send wakes the receivers waiting on it. A cache:
    /// waiters re-scan the store, so losing it loses nothing.
    notifiers: Mutex<HashMap<String, Arc<Notify>>>,
    seq: AtomicU64,
}

impl Sqs {
    pub fn new(store: Arc<dyn Store>, config: SqsConfig) -> Arc<Self> {
        Arc::new(Self {
            table: store::Table { store },
            config,
            notifiers: Mutex::default(),
            seq: AtomicU64::new(0),
        })
    }

    pub(crate) fn notifier(&self, qid: &str) -> Arc<Notify> {
        // A poisoned lock only means another thread panicked while inserting; the map is
        // still usable.
        let mut map = self.notifiers.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(qid.to_string()).or_default().clone()
    }

    pub(crate) fn wake(&self, qid: &str) {
        let map = self.notifiers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get(qid) {
            n.notify_waiters();
        }
    }

    /// A strictly increasing send-order number: microseconds since the epoch, bumped past
    /// the last one handed out, so it also increases across restarts.
    pub(crate) fn next_seq(&self) -> u64 {
        let now = lamina_core::now_epoch_millis().saturating_mul(1000);
        let mut cur = self.seq.load(Ordering::Relaxed);
        loop {
            let next = now.max(cur + 1);
            match self
                .seq
                .compare_exchange_weak(cur, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return next,
                Err(seen) => cur = seen,
            }
        }
    }
}

/// Milliseconds since the epoch.
pub(crate) fn now_ms() -> u64 {
    lamina_core::now_epoch_millis()
}
