//! Execution environments.
//!
//! The interface the invoke path uses: [`Manager::invoke`] with a [`FunctionSpec`] (what the
//! control plane resolved: code, runtime, limits, environment) returns an [`InvokeOutcome`].
//! Function failures — errors raised by the handler, timeouts, crashes, init errors — are
//! outcomes with `function_error` set, as AWS reports them; only "could not run at all"
//! (throttling, internal faults) is an `Err`.
//!
//! Each sandbox is one runtime process in its own process group, with its own Runtime API
//! listener (`api`), output pipe and CloudWatch log stream (`logs`), private tmp dir, and —
//! where the host allows, each layer detected at startup and reported in `/_lamina/health` —
//! its own cgroup (`cgroup`), pid and mount namespaces with a read-only root, the package at
//! `/var/task`, layers at `/opt`, its own `/tmp`, and a seccomp deny-list (`isolate`).
//! Sandboxes are pooled per function version and revision (`pool`), reused while warm, reaped
//! when idle, and discarded after a timeout or a crash. Known differences from AWS: the
//! runtime runs as Lamina's user, no network namespace, the root view is the host's
//! filesystem (read-only); without namespaces `/tmp` is private only through `TMPDIR` and
//! layers are under `<sandbox>/opt`; the CPU share is a weight, not a hard cap, unless
//! `LAMINA_LAMBDA_CPU_QUOTA=1`.

mod api;
mod cgroup;
mod instance;
mod isolate;
mod logs;
mod outcome;
mod pool;
mod process;

use crate::LambdaConfig;
use crate::error::Result;
use bytes::Bytes;
use lamina_bus::LogSink;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub use api::MAX_PAYLOAD as MAX_RESPONSE_BYTES;

/// Everything a sandbox needs to run one version of a function.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub account_id: String,
    pub region: String,
    pub function_name: String,
    /// `$LATEST` or a version number.
    pub version: String,
    /// The qualified ARN of what was invoked.
    pub invoked_arn: String,
    pub runtime: String,
    pub handler: String,
    pub memory_mb: u32,
    pub timeout: Duration,
    pub ephemeral_storage_mb: u32,
    /// The function's environment variables.
    pub environment: BTreeMap<String, String>,
    /// The extracted package (read-only task root).
    pub code_dir: PathBuf,
    /// Extracted layers, in order, merged under `/opt`.
    pub layer_dirs: Vec<PathBuf>,
    /// Temporary credentials of the function's role, if any.
    pub credentials: Option<Credentials>,
    pub log_group: String,
    /// Changes whenever code or configuration change, so stale sandboxes are not reused.
    pub revision: String,
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

/// One invocation's input.
#[derive(Debug, Clone)]
pub struct InvokeInput {
    pub request_id: String,
    pub payload: Bytes,
    /// Base64 `ClientContext`, passed through as `Lambda-Runtime-Client-Context`.
    pub client_context: Option<String>,
    /// Return the last 4 KB of the log (`LogType: Tail`).
    pub tail_logs: bool,
}

/// What happened.
#[derive(Debug, Clone)]
pub struct InvokeOutcome {
    pub payload: Bytes,
    /// `Unhandled` when the function failed.
    pub function_error: Option<String>,
    /// The last 4 KB of the invocation's log, when asked for.
    pub log_tail: Option<String>,
    pub duration_ms: f64,
    pub billed_duration_ms: u64,
    pub max_memory_used_mb: u64,
    /// Set on a cold start.
    pub init_duration_ms: Option<f64>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // the data behind these locks stays consistent between statements; a panic elsewhere
    // must not take the sandbox manager down with it
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs invocations in sandboxes.
pub struct Manager {
    inner: Arc<pool::Inner>,
}

impl Manager {
    pub fn new(config: &LambdaConfig, logs: Arc<dyn LogSink>) -> Self {
        Self {
            inner: pool::Inner::new(config, logs),
        }
    }

    /// Runs one invocation in a warm sandbox of `spec` or a new one.
    pub async fn invoke(&self, spec: &FunctionSpec, input: InvokeInput) -> Result<InvokeOutcome> {
        pool::invoke(&self.inner, spec, input).await
    }

    /// Which isolation layers are active on this host (for `/_lamina/health`).
    pub fn isolation(&self) -> serde_json::Value {
        self.inner.isolation()
    }

    /// Sandboxes alive now (idle and busy).
    pub fn live_sandboxes(&self) -> usize {
        lock(&self.inner.registry).len()
    }

    /// Stops the idle sandboxes of one function (all versions), e.g. after it was deleted.
    pub fn evict_function(&self, account_id: &str, region: &str, function_name: &str) {
        self.inner.evict_function(account_id, region, function_name);
    }

    /// Stops every sandbox (shutdown).
    pub async fn shutdown(&self) {
        self.inner.shutdown().await;
    }
}
