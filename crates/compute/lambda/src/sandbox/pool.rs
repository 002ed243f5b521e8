//! The pools of warm sandboxes and one invocation's way through them: take an idle sandbox
//! of the same function version and revision or start one, run, write START/END/REPORT,
//! give the sandbox back (or discard it after a timeout or crash). A reaper stops sandboxes
//! idle for longer than `idle_timeout`.

use super::api::Invocation;
use super::cgroup::Cgroups;
use super::instance::{Env, Ran, Registry, Sandbox, SpawnError};
use super::isolate::Isolation;
use super::logs::SandboxLog;
use super::outcome::{self, Failure, Report};
use super::process::{self, Family};
use super::{FunctionSpec, InvokeInput, InvokeOutcome, lock};
use crate::LambdaConfig;
use crate::error::{LambdaError, Result};
use bytes::Bytes;
use lamina_bus::LogSink;
use serde_json::json;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// AWS gives the Init phase 10 seconds before it retries init inside the invoke.
const INIT_LIMIT: Duration = Duration::from_secs(10);

struct Pool {
    revision: String,
    idle: Vec<Sandbox>,
}

pub(crate) struct Inner {
    config: LambdaConfig,
    sink: Arc<dyn LogSink>,
    cgroups: Cgroups,
    isolation: Isolation,
    runtime_dir: PathBuf,
    sandboxes_dir: PathBuf,
    pools: Mutex<HashMap<String, Pool>>,
    pub(crate) registry: Registry,
    python: OnceCell<String>,
    node: OnceCell<String>,
    reaper: AtomicBool,
    closed: AtomicBool,
    /// Most sandboxes alive at once (a safety net; the invoke path enforces concurrency).
    cap: usize,
}

fn pool_key(s: &FunctionSpec) -> String {
    format!(
        "{}\0{}\0{}\0{}",
        s.account_id, s.region, s.function_name, s.version
    )
}

fn trace_id() -> String {
    let b = lamina_core::random_bytes::<20>();
    let hex =
        |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
    let secs = lamina_core::now_epoch_millis() / 1000;
    format!(
        "Root=1-{secs:08x}-{};Parent={};Sampled=0",
        hex(0..12),
        hex(12..20)
    )
}

impl Inner {
    pub(crate) fn new(config: &LambdaConfig, sink: Arc<dyn LogSink>) -> Arc<Self> {
        let runtime_dir = config.work_dir.join("runtime");
        if let Err(e) = process::install_bootstraps(&runtime_dir) {
            tracing::warn!(dir = %runtime_dir.display(), error = %e, "cannot write the lambda bootstraps");
        }
        let cgroups = Cgroups::detect();
        let sandboxes_dir = config.work_dir.join("sandboxes");
        let isolation = Isolation::detect(
            &sandboxes_dir.join(format!("probe-{}", std::process::id())),
            config.namespaces,
        );
        tracing::debug!(cgroups = %cgroups.describe(), isolation = %isolation.describe(), "lambda sandbox isolation");
        Arc::new(Self {
            cap: (config.account_concurrency as usize).max(1) + 64,
            config: config.clone(),
            sink,
            cgroups,
            isolation,
            runtime_dir,
            sandboxes_dir,
            pools: Mutex::new(HashMap::new()),
            registry: Arc::default(),
            python: OnceCell::new(),
            node: OnceCell::new(),
            reaper: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        })
    }

    pub(crate) fn isolation(&self) -> serde_json::Value {
        let mut v = self.isolation.describe();
        v["cgroups"] = self.cgroups.describe();
        v["process_group"] = json!(true);
        v["clean_environment"] = json!(true);
        v
    }

    async fn interpreter(&self, family: Family) -> String {
        match family {
            Family::Python => self
                .python
                .get_or_init(|| process::resolve_interpreter(&self.config.python, family))
                .await
                .clone(),
            Family::Node => self
                .node
                .get_or_init(|| process::resolve_interpreter(&self.config.node, family))
                .await
                .clone(),
            Family::Provided => String::new(),
        }
    }

    fn take_idle(&self, key: &str, revision: &str) -> Option<Sandbox> {
        let mut stale = None;
        let found = {
            let mut pools = lock(&self.pools);
            let pool = pools.entry(key.to_string()).or_insert_with(|| Pool {
                revision: revision.into(),
                idle: Vec::new(),
            });
            if pool.revision != revision {
                // code or configuration changed: the old environments must not serve again
                stale = Some(std::mem::take(&mut pool.idle));
                pool.revision = revision.to_string();
            }
            loop {
                match pool.idle.pop() {
                    Some(sb) if sb.is_dead() => drop(sb),
                    other => break other,
                }
            }
        };
        // stopping them (kill, wait for the cgroup to empty) is not this invocation's business
        if let Some(stale) = stale.filter(|v| !v.is_empty()) {
            match tokio::runtime::Handle::try_current() {
                Ok(h) => drop(h.spawn_blocking(move || drop(stale))),
                Err(_) => drop(stale),
            }
        }
        found
    }

    fn give_back(&self, key: &str, mut sb: Sandbox) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        sb.last_used = Instant::now();
        let mut pools = lock(&self.pools);
        // the reaper drops empty pools, also while their only sandbox is busy
        let pool = pools.entry(key.to_string()).or_insert_with(|| Pool {
            revision: sb.revision.clone(),
            idle: Vec::new(),
        });
        if pool.revision == sb.revision {
            pool.idle.push(sb);
        }
    }

    /// Makes room for one more sandbox: stops the longest-idle one when at the cap.
    fn make_room(&self) -> Result<()> {
        if lock(&self.registry).len() < self.cap {
            return Ok(());
        }
        let victim = {
            let mut pools = lock(&self.pools);
            let oldest = pools
                .iter()
                .filter_map(|(k, p)| {
                    p.idle
                        .iter()
                        .enumerate()
                        .map(|(i, s)| (s.last_used, k.clone(), i))
                        .min()
                })
                .min();
            oldest.and_then(|(_, k, i)| pools.get_mut(&k).map(|p| p.idle.swap_remove(i)))
        };
        match victim {
            Some(sb) => {
                drop(sb);
                Ok(())
            }
            None => Err(LambdaError::Throttled {
                message: "Rate Exceeded.".into(),
                reason: "ConcurrentInvocationLimitExceeded",
            }),
        }
    }

    fn reap(&self, idle_timeout: Duration) {
        let expired: Vec<Sandbox> = {
            let mut pools = lock(&self.pools);
            let mut out = Vec::new();
            for p in pools.values_mut() {
                let (old, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut p.idle)
                    .into_iter()
                    .partition(|s| s.last_used.elapsed() >= idle_timeout || s.is_dead());
                p.idle = keep;
                out.extend(old);
            }
            pools.retain(|_, p| !p.idle.is_empty());
            out
        };
        if !expired.is_empty() {
            tracing::debug!(count = expired.len(), "lambda idle sandboxes reaped");
        }
        drop(expired);
    }

    fn ensure_reaper(self: &Arc<Self>) {
        if self.reaper.swap(true, Ordering::AcqRel) {
            return;
        }
        let weak: Weak<Self> = Arc::downgrade(self);
        let idle = self.config.idle_timeout;
        let every = (idle / 2).clamp(Duration::from_millis(50), Duration::from_secs(30));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match weak.upgrade() {
                    Some(inner) if !inner.closed.load(Ordering::Acquire) => inner.reap(idle),
                    _ => return,
                }
            }
        });
    }

    pub(crate) fn evict_function(&self, account: &str, region: &str, name: &str) {
        let prefix = format!("{account}\0{region}\0{name}\0");
        let gone: Vec<Pool> = {
            let mut pools = lock(&self.pools);
            let keys: Vec<String> = pools
                .keys()
                .filter(|k| k.starts_with(&prefix))
                .cloned()
                .collect();
            keys.iter().filter_map(|k| pools.remove(k)).collect()
        };
        drop(gone);
    }

    pub(crate) async fn shutdown(&self) {
        self.closed.store(true, Ordering::Release);
        let all: Vec<Pool> = lock(&self.pools).drain().map(|(_, p)| p).collect();
        drop(all);
        // busy sandboxes: kill them; their invocations end as crashes and drop them
        let pids: Vec<u32> = lock(&self.registry).values().copied().collect();
        for pid in pids {
            if let Some(p) = i32::try_from(pid)
                .ok()
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process_group(p, rustix::process::Signal::KILL);
            }
        }
        for _ in 0..40 {
            if lock(&self.registry).is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Writes the closing lines, takes the tail, builds the outcome.
struct Finish<'a> {
    spec: &'a FunctionSpec,
    input: &'a InvokeInput,
    log: &'a SandboxLog,
    duration_ms: f64,
    init_ms: Option<f64>,
    max_memory_mb: u64,
}

impl Finish<'_> {
    fn done(self, payload: Bytes, failure: Option<&Failure>) -> InvokeOutcome {
        let rid = &self.input.request_id;
        if let Some(f) = failure {
            for l in &f.log_lines {
                self.log.line(l);
            }
        }
        self.log.line(&format!("END RequestId: {rid}"));
        let billed = (self.duration_ms + self.init_ms.unwrap_or(0.0))
            .ceil()
            .max(1.0) as u64;
        let report = Report {
            request_id: rid,
            duration_ms: self.duration_ms,
            billed_ms: billed,
            memory_mb: self.spec.memory_mb,
            max_memory_mb: self.max_memory_mb,
            init_ms: self.init_ms,
            status: failure.map(|f| (f.status, f.error_type.as_str())),
        };
        self.log.line(&report.line());
        let tail = self.log.take_tail();
        InvokeOutcome {
            payload,
            function_error: failure.map(|_| "Unhandled".to_string()),
            log_tail: self.input.tail_logs.then_some(tail),
            duration_ms: self.duration_ms,
            billed_duration_ms: billed,
            max_memory_used_mb: self.max_memory_mb,
            init_duration_ms: self.init_ms,
        }
    }
}

fn start_line(spec: &FunctionSpec, input: &InvokeInput) -> String {
    format!(
        "START RequestId: {} Version: {}",
        input.request_id, spec.version
    )
}

pub(crate) async fn invoke(
    inner: &Arc<Inner>,
    spec: &FunctionSpec,
    input: InvokeInput,
) -> Result<InvokeOutcome> {
    if inner.closed.load(Ordering::Acquire) {
        return Err(LambdaError::Internal(
            "the sandbox manager is shut down".into(),
        ));
    }
    let family = Family::of(&spec.runtime).ok_or_else(|| {
        LambdaError::InvalidParameter(format!("Lamina cannot run the runtime {}.", spec.runtime))
    })?;
    inner.ensure_reaper();
    let key = pool_key(spec);
    let timeout_secs = spec.timeout.as_secs_f64();
    let mut sb = match inner.take_idle(&key, &spec.revision) {
        Some(sb) => {
            sb.log.start_tail();
            sb
        }
        None => {
            inner.make_room()?;
            let env = Env {
                cgroups: &inner.cgroups,
                isolation: &inner.isolation,
                sink: inner.sink.clone(),
                registry: inner.registry.clone(),
                runtime_dir: inner.runtime_dir.clone(),
                sandboxes_dir: inner.sandboxes_dir.clone(),
                interpreter: inner.interpreter(family).await,
                endpoint_url: inner.config.endpoint_url.clone(),
            };
            let mut sb = match Sandbox::spawn(spec, family, env).await {
                Ok(sb) => sb,
                Err(SpawnError::Internal(m)) => return Err(LambdaError::Internal(m)),
                Err(SpawnError::NoEntrypoint { msg, log }) => {
                    let f = outcome::invalid_entrypoint(&input.request_id, &msg);
                    log.line(&outcome::init_report(0.0, "error", &f.error_type));
                    log.line(&start_line(spec, &input));
                    let fin = Finish {
                        spec,
                        input: &input,
                        log: &log,
                        duration_ms: 0.0,
                        init_ms: None,
                        max_memory_mb: 0,
                    };
                    let out = fin.done(f.payload.clone(), Some(&f));
                    log.flush(inner.sink.as_ref()).await;
                    return Ok(out);
                }
            };
            let init_deadline = tokio::time::Instant::now() + INIT_LIMIT + spec.timeout;
            if let Err(fault) = sb.wait_ready(init_deadline).await {
                let init_ms = sb.init_duration_ms.take().unwrap_or(0.0);
                let max_memory_mb = sb.max_memory_mb();
                sb.kill();
                sb.drain_output();
                let f = outcome::of_fault(fault, &input.request_id, timeout_secs);
                sb.log
                    .line(&outcome::init_report(init_ms, f.status, &f.error_type));
                sb.log.line(&start_line(spec, &input));
                let fin = Finish {
                    spec,
                    input: &input,
                    log: &sb.log,
                    duration_ms: 0.0,
                    init_ms: Some(init_ms),
                    max_memory_mb,
                };
                return Ok(fin.done(f.payload.clone(), Some(&f)));
            }
            sb
        }
    };
    let init_ms = sb.init_duration_ms.take();
    sb.log.line(&start_line(spec, &input));
    let now_ms = lamina_core::now_epoch_millis();
    let inv = Invocation {
        request_id: input.request_id.clone(),
        payload: input.payload.clone(),
        deadline_ms: now_ms + spec.timeout.as_millis() as u64,
        invoked_arn: spec.invoked_arn.clone(),
        trace_id: trace_id(),
        client_context: input.client_context.clone(),
        cognito_identity: None,
    };
    let started = Instant::now();
    let ran = sb
        .run(inv, tokio::time::Instant::now() + spec.timeout)
        .await;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let max_memory_mb = sb.max_memory_mb();
    let (payload, failure) = match ran {
        Ran::Response(body) => (body, None),
        Ran::Error { body, error_type } => {
            let f = outcome::function_error(body, error_type);
            (f.payload.clone(), Some(f))
        }
        Ran::Fault(fault) => {
            let f = outcome::of_fault(fault, &input.request_id, timeout_secs);
            (f.payload.clone(), Some(f))
        }
    };
    let keep = failure.as_ref().is_none_or(|f| f.keep);
    if !keep {
        sb.kill();
    }
    sb.drain_output();
    let fin = Finish {
        spec,
        input: &input,
        log: &sb.log,
        duration_ms,
        init_ms,
        max_memory_mb,
    };
    let out = fin.done(payload, failure.as_ref());
    if keep && !sb.is_dead() {
        inner.give_back(&key, sb);
    }
    Ok(out)
}
