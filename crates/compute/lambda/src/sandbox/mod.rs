//! Execution environments. (under construction)
//!
//! The interface the invoke path uses: [`Manager::invoke`] with a [`FunctionSpec`] (what the
//! control plane resolved: code, runtime, limits, environment) returns an [`InvokeOutcome`].
//! Function failures — errors raised by the handler, timeouts, crashes, init errors — are
//! outcomes with `function_error` set, as AWS reports them; only "could not run at all"
//! (throttling, internal faults) is an `Err`.

use crate::LambdaConfig;
use crate::error::{LambdaError, Result};
use bytes::Bytes;
use lamina_bus::LogSink;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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

/// Runs invocations in sandboxes.
pub struct Manager {
    _config: LambdaConfig,
    _logs: Arc<dyn LogSink>,
}

impl Manager {
    pub fn new(config: &LambdaConfig, logs: Arc<dyn LogSink>) -> Self {
        Self { _config: config.clone(), _logs: logs }
    }

    /// Runs one invocation in a warm sandbox of `spec` or a new one.
    pub async fn invoke(&self, _spec: &FunctionSpec, _input: InvokeInput) -> Result<InvokeOutcome> {
        Err(LambdaError::Internal("sandboxes are not built yet".into()))
    }

    /// Stops every sandbox (shutdown).
    pub async fn shutdown(&self) {}
}
