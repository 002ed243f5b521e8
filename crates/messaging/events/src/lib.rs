//! EventBridge (`lamina-events`).
//!
//! Scope: event buses, rules and targets behind the `AWSEvents` JSON 1.1 protocol, pattern
//! matching of PutEvents, and a scheduler that runs `rate(...)`/`cron(...)` rules (the
//! engine behind SAM's `Schedule` events and `AWS::Events::Rule`). State lives in the
//! [`lamina_storage::Store`] (trees `events.buses` and `events.rules`, keys
//! `account \0 region \0 ...`; a rule and its targets are one record, changed under a
//! compare-and-set precondition), so rules and targets survive a restart.
//!
//! Supported operations: PutRule, DescribeRule, ListRules, DeleteRule, EnableRule,
//! DisableRule, PutTargets, RemoveTargets, ListTargetsByRule, PutEvents, CreateEventBus,
//! DescribeEventBus, ListEventBuses, DeleteEventBus, TagResource, UntagResource,
//! ListTagsForResource.
//!
//! Supported behaviour: schedules `rate(n unit)` and AWS's six-field cron with the year,
//! `?`, `L`, `W`, `#` and day-of-week 1–7 = SUN–SAT ([`schedule`], evaluated with croner);
//! event patterns with exact values, `prefix`, `suffix`, `equals-ignore-case`, `wildcard`,
//! `anything-but`, `numeric`, `exists` and `$or` ([`pattern`]); targets that are Lambda
//! functions (asynchronous invoke), SQS queues (FIFO with `SqsParameters.MessageGroupId`)
//! and SNS topics, with `Input` or `InputPath`; unsupported targets come back in
//! `FailedEntries`; DeleteRule refuses a rule that still has targets, as AWS does.
//!
//! Known differences from AWS:
//! * Delivery is attempted once, in process: PutEvents delivers to matching targets before it
//!   returns; a failed delivery is logged, not retried for 24 hours, and there are no
//!   target dead-letter queues or retry policies.
//! * A scheduled rule fires at whole seconds of `rule set time + k × rate` (rates) or at the
//!   cron times (UTC); fire times missed while Lamina was stopped are not caught up. With
//!   several Lamina nodes on one shared store each node's scheduler fires.
//! * No InputTransformer, archives, replays, API destinations, partner event sources,
//!   resource policies (PutPermission) or cross-bus targets; RoleArn is stored, not used;
//!   the `cidr` pattern matcher is not supported.

mod deliver;
mod error;
mod ops;
pub mod pattern;
mod provider;
pub mod schedule;
mod scheduler;
mod store;

pub use error::EventsError;
pub use provider::EventsService;
pub use store::{BUSES as BUSES_TREE, RULES as RULES_TREE};

use lamina_bus::{Invoker, QueueSender, TopicPublisher};
use lamina_storage::Store;
use std::sync::{Arc, OnceLock};

/// The EventBridge state and its wiring to other services; cheap to clone.
#[derive(Clone)]
pub struct Events {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub table: store::Table,
    pub invoker: OnceLock<Arc<dyn Invoker>>,
    pub queues: OnceLock<Arc<dyn QueueSender>>,
    pub topics: OnceLock<Arc<dyn TopicPublisher>>,
}

impl Events {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            inner: Arc::new(Inner {
                table: store::Table { store },
                invoker: OnceLock::new(),
                queues: OnceLock::new(),
                topics: OnceLock::new(),
            }),
        }
    }

    /// Where Lambda targets are invoked (set once, by the binary).
    pub fn set_invoker(&self, invoker: Arc<dyn Invoker>) {
        let _ = self.inner.invoker.set(invoker);
    }

    /// Where SQS targets are sent (set once, by the binary).
    pub fn set_queue_sender(&self, queues: Arc<dyn QueueSender>) {
        let _ = self.inner.queues.set(queues);
    }

    /// Where SNS targets are published (set once, by the binary).
    pub fn set_topic_publisher(&self, topics: Arc<dyn TopicPublisher>) {
        let _ = self.inner.topics.set(topics);
    }

    /// Starts the scheduler of rate/cron rules. Abort the handle on shutdown.
    pub fn start_scheduler(&self) -> tokio::task::JoinHandle<()> {
        let inner = self.inner.clone();
        tokio::spawn(async move { scheduler::run(inner).await })
    }

    /// Fires the schedules due in `(after, upto]` (epoch seconds) once; returns how many
    /// rules fired (tests drive the scheduler with it).
    pub async fn fire_schedules(&self, after: i64, upto: i64) -> Result<usize, EventsError> {
        scheduler::tick(&self.inner, after, upto).await
    }
}
