//! What happens after Invoke accepted a call: concurrency limits (`limits`), the durable
//! asynchronous queue with retries (`queue`), destination and dead-letter records
//! (`records`), and Lamina's own routes for failed events and package downloads (`admin`).
//!
//! The queue lives in the store (tree `lambda.events`, written before 202 is answered), so a
//! restart neither loses nor forgets an event; what lives here in memory is only rebuildable:
//! in-flight counters, the wake-up signal, the cached sum of reservations, and the
//! bus clients (SQS, SNS) the binary hands in.

pub mod admin;
pub(crate) mod limits;
pub(crate) mod queue;
pub(crate) mod records;
#[cfg(test)]
mod tests;

use crate::Lambda;
use crate::error::Result;
use crate::model::FunctionRecord;
use crate::store::{self, Scope};
use lamina_bus::{QueueSender, TopicPublisher};
use limits::{Limits, Permit, Pool};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long the sum of reservations of an account is reused before it is read again.
const RESERVED_TTL: Duration = Duration::from_secs(1);

/// The in-memory side of invocation: limits, the queue's signals, the bus clients.
pub(crate) struct Runtime {
    pub(crate) limits: Arc<Limits>,
    /// Woken when an event is queued.
    pub(crate) wake: Notify,
    pub(crate) queues: OnceLock<Arc<dyn QueueSender>>,
    pub(crate) topics: OnceLock<Arc<dyn TopicPublisher>>,
    pub(crate) stopping: AtomicBool,
    worker: Mutex<Option<tokio::task::AbortHandle>>,
    reserved: Mutex<HashMap<String, (Instant, u64)>>,
}

impl Runtime {
    pub(crate) fn new(account_limit: u32) -> Self {
        Self {
            limits: Limits::new(account_limit),
            wake: Notify::new(),
            queues: OnceLock::new(),
            topics: OnceLock::new(),
            stopping: AtomicBool::new(false),
            worker: Mutex::new(None),
            reserved: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }
}

impl Lambda {
    /// Starts the asynchronous queue worker (once); [`Lambda::shutdown`] stops it. Events
    /// whose run was cut short by the shutdown stay leased and run again after the lease.
    pub fn start_background(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let task = tokio::spawn(queue::run(self.clone()));
        *crate::sandbox::lock(&self.runtime.worker) = Some(task.abort_handle());
        task
    }

    /// Where SQS destinations and dead-letter queues are sent (the binary passes SQS in).
    pub fn set_queue_sender(&self, sender: Arc<dyn QueueSender>) {
        let _ = self.runtime.queues.set(sender);
    }

    /// Where SNS destinations and dead-letter topics are published.
    pub fn set_topic_publisher(&self, publisher: Arc<dyn TopicPublisher>) {
        let _ = self.runtime.topics.set(publisher);
    }

    pub(crate) fn stop_background(&self) {
        self.runtime.stopping.store(true, Ordering::Release);
        if let Some(h) = crate::sandbox::lock(&self.runtime.worker).take() {
            h.abort();
        }
    }

    /// A slot for one execution of `f`, or AWS's 429.
    pub(crate) async fn acquire(&self, scope: &Scope, f: &FunctionRecord) -> Result<Permit> {
        let pool = match f.reserved_concurrency {
            Some(n) => Pool::Reserved(n),
            None => Pool::Unreserved {
                reserved_total: self.reserved_total(scope).await?,
            },
        };
        self.runtime
            .limits
            .try_acquire(&scope.account, &scope.region, &f.latest.name, pool)
    }

    /// The sum of reservations in the account and region (cached for a second).
    async fn reserved_total(&self, scope: &Scope) -> Result<u64> {
        let key = format!("{}\0{}", scope.account, scope.region);
        if let Some((at, n)) = crate::sandbox::lock(&self.runtime.reserved).get(&key)
            && at.elapsed() < RESERVED_TTL
        {
            return Ok(*n);
        }
        let n = store::functions(self.store.as_ref(), scope)
            .await?
            .iter()
            .filter_map(|f| f.reserved_concurrency)
            .map(u64::from)
            .sum();
        crate::sandbox::lock(&self.runtime.reserved).insert(key, (Instant::now(), n));
        Ok(n)
    }
}
