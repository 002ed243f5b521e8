//! Lambda (see docs/lambda.md for the design).
//!
//! * `ops/`: the control plane and Invoke, as operation families (see `ops/mod.rs`);
//! * `sandbox/`: execution environments — one native process per environment speaking the
//!   Lambda Runtime API on its own loopback listener, warm reuse, timeouts, limits; isolation
//!   layers where the host allows them (cgroups; pid and mount namespaces with a read-only
//!   root, the package read-only at `/var/task`, layers at `/opt`, a private `/tmp`; a seccomp
//!   deny-list), each detected at startup and listed in `/_lamina/health` (docs/lambda.md);
//! * `invoke/`: concurrency limits (reserved and the account's unreserved pool; 429 with
//!   AWS's reasons), the durable asynchronous queue ([`Lambda::start_background`]: leased
//!   claims, retries, maximum event age, OnSuccess/OnFailure destinations and dead-letter
//!   queues through the bus), and the `/_lamina/lambda/` routes ([`Lambda::admin`]);
//! * `code`: function and layer packages, content-addressed, extracted on demand;
//! * `esm/` (API in `ops/esm.rs`): SQS event source mappings — persisted mappings, a
//!   supervisor ([`Lambda::start_event_source_mappings`]) and pollers that read SQS through
//!   `lamina_bus::QueueConsumer`, filter, batch and invoke, deleting only what succeeded.
//!
//! Known differences from AWS: concurrency is counted per process (several nodes sharing a
//! store each enforce the limits on their own); EventBridge and S3 destinations are not
//! delivered (such events are kept as failed events); failed events without a destination
//! are kept in `lambda.failed` instead of being dropped.

pub mod code;
pub mod error;
pub(crate) mod esm;
pub mod invoke;
pub(crate) mod model;
pub(crate) mod ops;
pub mod sandbox;
pub(crate) mod store;

pub use error::LambdaError;

use lamina_bus::LogSink;
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_storage::Store;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Options of the Lambda service.
#[derive(Debug, Clone)]
pub struct LambdaConfig {
    /// Where packages are extracted and sandboxes get their task root and `/tmp`.
    pub work_dir: PathBuf,
    /// The interpreter for `python3.x` runtimes.
    pub python: String,
    /// The interpreter for `nodejs*` runtimes.
    pub node: String,
    /// Idle sandboxes are stopped after this long.
    pub idle_timeout: Duration,
    /// `AWS_ENDPOINT_URL` given to functions: Lamina's own endpoint.
    pub endpoint_url: String,
    /// The account's concurrency limit (AWS default 1000).
    pub account_concurrency: u32,
    /// Waits before the retries of a failed asynchronous invocation (AWS: about 1, then 2
    /// minutes); the last one repeats if more retries are allowed.
    pub async_retry_delays: Vec<Duration>,
    /// A claimed asynchronous event becomes due again this long after the function's
    /// timeout (it was claimed by a process that died).
    pub async_lease_margin: Duration,
    /// Run sandboxes in their own pid and mount namespaces (read-only root, private `/tmp`)
    /// where the host allows; `false` (or `LAMINA_LAMBDA_NAMESPACES=0`) keeps them in the
    /// host's, e.g. for functions that must write outside `/tmp`.
    pub namespaces: bool,
}

impl LambdaConfig {
    pub fn new(work_dir: PathBuf, endpoint_url: String) -> Self {
        Self {
            work_dir,
            python: "python3".into(),
            node: "node".into(),
            idle_timeout: Duration::from_secs(300),
            endpoint_url,
            account_concurrency: 1000,
            async_retry_delays: vec![Duration::from_secs(60), Duration::from_secs(120)],
            async_lease_margin: Duration::from_secs(30),
            namespaces: true,
        }
    }
}

/// The state every operation reaches.
pub struct Lambda {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: LambdaConfig,
    // Kept for the asynchronous queue (destinations and failure logs); sandboxes hold their own.
    #[allow(dead_code)]
    pub(crate) logs: Arc<dyn LogSink>,
    pub(crate) sandboxes: sandbox::Manager,
    /// Concurrency counters, the queue's signals and the bus clients.
    pub(crate) runtime: invoke::Runtime,
    /// Event source mappings: the SQS client and the supervisor's signal.
    pub(crate) esm: esm::Esm,
}

impl Lambda {
    pub fn new(store: Arc<dyn Store>, config: LambdaConfig, logs: Arc<dyn LogSink>) -> Arc<Self> {
        let sandboxes = sandbox::Manager::new(&config, logs.clone());
        let runtime = invoke::Runtime::new(config.account_concurrency);
        Arc::new(Self {
            store,
            config,
            logs,
            sandboxes,
            runtime,
            esm: esm::Esm::default(),
        })
    }

    /// Stops the queue worker and every sandbox (server shutdown).
    pub async fn shutdown(&self) {
        self.stop_background();
        self.esm.stop();
        self.sandboxes.shutdown().await;
    }
}

/// The `lambda` service.
pub struct LambdaService {
    lambda: Arc<Lambda>,
}

impl LambdaService {
    pub fn new(lambda: Arc<Lambda>) -> Self {
        Self { lambda }
    }
}

impl Service for LambdaService {
    fn name(&self) -> &'static str {
        "lambda"
    }

    fn implemented(&self) -> &'static [&'static str] {
        static OPS: OnceLock<Vec<&'static str>> = OnceLock::new();
        OPS.get_or_init(ops::implemented)
    }

    fn health(&self) -> Option<serde_json::Value> {
        let s = &self.lambda.sandboxes;
        Some(serde_json::json!({
            "isolation": s.isolation(),
            "sandboxes": { "live": s.live_sandboxes() },
        }))
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Input,
    ) -> BoxFuture<'a, Result<Output, AwsError>> {
        Box::pin(async move {
            ops::call(&self.lambda, ctx, operation, input)
                .await
                .map_err(AwsError::from)
        })
    }
}
