//! SNS (`lamina-sns`), behind the query protocol.
//!
//! Scope: topics (standard and FIFO), subscriptions (`sqs`, `lambda`, `http`/`https` with the
//! SubscriptionConfirmation handshake, `email`/`email-json`/`sms`/`application` recorded for
//! inspection), Publish and PublishBatch with message attributes, `MessageStructure=json`,
//! FIFO groups, deduplication (5 minutes) and sequence numbers, filter policies on attributes
//! and on the body ([`filter`]), raw message delivery, delivery retry policies, subscription
//! dead-letter queues, tags and data protection policies.
//!
//! Supported operations: CreateTopic, DeleteTopic, ListTopics, GetTopicAttributes,
//! SetTopicAttributes, Subscribe, ConfirmSubscription, Unsubscribe, ListSubscriptions,
//! ListSubscriptionsByTopic, GetSubscriptionAttributes, SetSubscriptionAttributes, Publish,
//! PublishBatch, TagResource, UntagResource, ListTagsForResource, GetDataProtectionPolicy,
//! PutDataProtectionPolicy.
//!
//! Delivery is durable and asynchronous: Publish writes one outbox record per matching
//! subscription in the same atomic batch that acknowledges it; a background task
//! ([`Sns::start_background`]) delivers, retries with backoff and dead-letters them, so a
//! `kill -9` after the acknowledgement loses nothing (delivery is at least once). Messages are
//! signed as SNS signs them (SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA) with a key
//! and self-signed certificate generated once and kept in the store; the certificate is
//! served at the `SigningCertURL` by [`Sns::admin`], with the inspection listing.
//!
//! `https` endpoints are delivered to over TLS (rustls, ring provider), the certificate checked
//! against the webpki roots plus an optional CA file, or not at all for local testing
//! ([`HttpsOptions`]; `--sns-ca-file`, `--sns-https-insecure`). A delivery whose handshake
//! fails (an untrusted certificate) follows the retry policy like any failed delivery.
//!
//! Known differences from AWS:
//! * The system's trust store is not read: the webpki roots (Mozilla's) are built in, and a
//!   private CA is added with `--sns-ca-file`.
//! * Platform applications, SMS sandbox and SMS attributes are not implemented; `sms`,
//!   `email`, `email-json` and `application` deliveries are recorded, never sent.
//! * Retries to SQS and Lambda are bounded (10 attempts with backoff), not AWS's 23 days.
//! * The topic policy is stored and returned but not enforced; KMS keys are accepted and
//!   recorded, messages are not encrypted.
//! * `SubscriptionsDeleted` is always 0 (deleted subscriptions are gone at once).

mod admin;
mod delivery;
mod error;
pub mod filter;
mod ops;
mod provider;
pub mod sign;
mod store;
mod types;

pub use admin::AdminResponse;
pub use delivery::tls::HttpsOptions;
pub use error::SnsError;
pub use provider::SnsService;

use lamina_bus::{Invoker, QueueSender};
use lamina_storage::Store;
use std::sync::{Arc, OnceLock};

/// Tunables; the defaults suit a server, tests shorten the delays.
#[derive(Debug, Clone)]
pub struct SnsConfig {
    /// Lamina's own URL, used when no request tells it (internal publishes).
    pub endpoint: String,
    /// Attempts for SQS and Lambda deliveries before the DLQ (or the message is dropped).
    pub max_attempts: u32,
    /// The first retry delay for SQS and Lambda; doubled per attempt, capped at 60 s.
    pub retry_base_ms: u64,
    /// How long the delivery loop sleeps when nothing is due.
    pub idle_poll_ms: u64,
    /// Timeout of one HTTP delivery attempt.
    pub http_timeout_ms: u64,
    /// How `https` endpoints' certificates are checked.
    pub https: HttpsOptions,
}

impl Default for SnsConfig {
    fn default() -> Self {
        Self {
            endpoint: "http://localhost:4566".into(),
            max_attempts: 10,
            retry_base_ms: 1000,
            idle_poll_ms: 500,
            http_timeout_ms: 15_000,
            https: HttpsOptions::default(),
        }
    }
}

/// The SNS engine: shared by the service, the delivery task and the admin routes.
#[derive(Clone)]
pub struct Sns {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub table: store::Table,
    pub config: SnsConfig,
    pub queues: OnceLock<Arc<dyn QueueSender>>,
    pub invoker: OnceLock<Arc<dyn Invoker>>,
    pub signer: tokio::sync::OnceCell<Arc<sign::Signer>>,
    pub wake: tokio::sync::Notify,
    /// The TLS connector of `https` deliveries (or why it cannot be built), on first use.
    pub tls: OnceLock<Result<tokio_rustls::TlsConnector, String>>,
}

impl Sns {
    pub fn new(store: Arc<dyn Store>, config: SnsConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                table: store::Table { store },
                config,
                queues: OnceLock::new(),
                invoker: OnceLock::new(),
                signer: tokio::sync::OnceCell::new(),
                wake: tokio::sync::Notify::new(),
                tls: OnceLock::new(),
            }),
        }
    }

    /// Where `sqs` subscriptions and subscription DLQs deliver (set once, by the binary).
    pub fn set_queue_sender(&self, queues: Arc<dyn QueueSender>) {
        let _ = self.inner.queues.set(queues);
    }

    /// Where `lambda` subscriptions deliver (set once, by the binary).
    pub fn set_invoker(&self, invoker: Arc<dyn Invoker>) {
        let _ = self.inner.invoker.set(invoker);
    }

    /// Starts the delivery task: delivers due outbox records, retries, dead-letters, and
    /// forgets expired FIFO deduplication records. Abort the handle on shutdown.
    pub fn start_background(&self) -> tokio::task::JoinHandle<()> {
        let inner = self.inner.clone();
        tokio::spawn(async move { delivery::run(inner).await })
    }

    /// Delivers everything due now, once (tests drive delivery with it). Returns how many
    /// outbox records were handled.
    pub async fn deliver_due(&self) -> Result<usize, SnsError> {
        delivery::pass(&self.inner).await
    }

    /// Builds the TLS client of `https` deliveries now: `Err` says why it cannot be (an
    /// unreadable or empty CA file), so the binary can refuse to start instead of failing
    /// every delivery.
    pub fn check_https(&self) -> Result<(), String> {
        delivery::https(&self.inner)
            .as_ref()
            .map(|_| ())
            .map_err(Clone::clone)
    }

    /// The signing certificate in PEM (generated on first use).
    pub async fn certificate_pem(&self) -> Result<String, SnsError> {
        Ok(delivery::signer(&self.inner).await?.cert_pem())
    }

    /// Lamina's own routes under `/_lamina/sns/`: the signing certificate and the inspection
    /// listing. `path` is the request path, `query` the raw query string.
    pub async fn admin(&self, method: &str, path: &str, query: &str) -> AdminResponse {
        admin::handle(self, method, path, query).await
    }
}
