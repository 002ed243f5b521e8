//! One execution environment: the runtime process, its Runtime API listener, its log, its
//! cgroup and directories. It handles one invocation at a time; dropping it kills every
//! process of it and removes what it created.

use super::FunctionSpec;
use super::api::{Invocation, RuntimeApi, RuntimeEvent};
use super::cgroup::{Cgroups, Group};
use super::isolate::{Isolation, Paths};
use super::logs::{Capture, SandboxLog};
use super::process::{self, Family, Launch, NoEntrypoint};
use bytes::Bytes;
use lamina_bus::{LogSink, LogStreamRef};
use rustix::process::{Pid, Signal};
use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Live sandboxes' process groups, so shutdown can kill even busy ones.
pub(crate) type Registry = Arc<Mutex<HashMap<String, u32>>>;

/// What a sandbox needs from the manager to start.
pub(crate) struct Env<'a> {
    pub(crate) cgroups: &'a Cgroups,
    pub(crate) isolation: &'a Isolation,
    pub(crate) sink: Arc<dyn LogSink>,
    pub(crate) registry: Registry,
    pub(crate) runtime_dir: PathBuf,
    pub(crate) sandboxes_dir: PathBuf,
    pub(crate) interpreter: String,
    pub(crate) endpoint_url: String,
}

/// Why a sandbox could not be started.
pub(crate) enum SpawnError {
    /// Lamina's fault (no descriptors, no disk): the invoke fails with a 500.
    Internal(String),
    /// The function's fault: `Runtime.InvalidEntrypoint`, with the log to write it to.
    NoEntrypoint { msg: String, log: Arc<SandboxLog> },
}

/// Go's wording of an errno, which is what AWS prints ("permission denied").
fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        _ if e.raw_os_error() == Some(8) => "exec format error".into(),
        _ => e.to_string(),
    }
}

/// Why an invocation (or the init before it) did not produce an answer.
#[derive(Debug)]
pub(crate) enum Fault {
    /// The runtime posted `/init/error`.
    InitError {
        body: Bytes,
        error_type: Option<String>,
    },
    /// The runtime exited; `oom` when the cgroup's OOM killer did it.
    Exited {
        status: Option<ExitStatus>,
        oom: bool,
    },
    Timeout,
    TooLarge {
        size: usize,
    },
}

/// The result of one invocation.
#[derive(Debug)]
pub(crate) enum Ran {
    Response(Bytes),
    Error {
        body: Bytes,
        error_type: Option<String>,
    },
    Fault(Fault),
}

pub(crate) struct Sandbox {
    pub(crate) id: String,
    pub(crate) revision: String,
    pub(crate) last_used: Instant,
    pub(crate) log: Arc<SandboxLog>,
    capture: Arc<Capture>,
    api: RuntimeApi,
    pid: u32,
    exit: watch::Receiver<Option<ExitStatus>>,
    cgroup: Option<Arc<Group>>,
    /// The runtime runs in its own pid namespace, under a reaper (`pid` is the reaper).
    namespaced: bool,
    dir: PathBuf,
    sink: Arc<dyn LogSink>,
    registry: Registry,
    tasks: Vec<JoinHandle<()>>,
    /// Set until the first invocation reports it.
    pub(crate) init_duration_ms: Option<f64>,
}

fn random_hex(n: usize) -> String {
    let b = lamina_core::random_bytes::<32>();
    b.iter().map(|x| format!("{x:02x}")).collect::<String>()[..n].to_string()
}

fn kill_group(pid: u32) {
    if let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process_group(p, Signal::KILL);
    }
}

fn kill_pid(pid: i32) {
    if let Some(p) = Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(p, Signal::KILL);
    }
}

impl Sandbox {
    /// Creates the directories, listener and log, and spawns the runtime; does not wait for
    /// it to be ready. The log stream is `YYYY/MM/DD/[version]<32 hex>`.
    pub(crate) async fn spawn(
        spec: &FunctionSpec,
        family: Family,
        env: Env<'_>,
    ) -> Result<Self, SpawnError> {
        let id = random_hex(32);
        let stream = format!(
            "{}/[{}]{}",
            super::logs::date_path(lamina_core::now_epoch_millis()),
            spec.version,
            id
        );
        let log = SandboxLog::new(stream_ref(spec, &stream));
        // a cold start's tail includes the init output
        log.start_tail();
        let dir = env.sandboxes_dir.join(&id);
        let tmp = dir.join("tmp");
        let internal = |what: &str, e: std::io::Error| {
            let _ = std::fs::remove_dir_all(&dir);
            SpawnError::Internal(format!("{what}: {e}"))
        };
        std::fs::create_dir_all(&tmp)
            .map_err(|e| internal("cannot create the sandbox directory", e))?;
        let api = RuntimeApi::start()
            .await
            .map_err(|e| internal("cannot listen for the Runtime API", e))?;
        let (reader, writer) = std::io::pipe().map_err(|e| internal("cannot create a pipe", e))?;
        let rx = tokio::net::unix::pipe::Receiver::from_owned_fd(OwnedFd::from(reader))
            .map_err(|e| internal("cannot read a pipe", e))?;
        let cgroup = env.cgroups.create(&id, spec.memory_mb).map(Arc::new);
        let iso = env.isolation;
        let mut use_ns = iso.namespaces();
        // (error, program) of an attempt with namespaces that failed
        let mut ns_failure: Option<(std::io::Error, String)> = None;
        let spawned = loop {
            let (host_opt, view) = if use_ns {
                let host: Vec<PathBuf> = spec.layer_dirs.iter().rev().cloned().collect();
                let view = iso.view(true, &dir, &spec.code_dir, &env.runtime_dir, None);
                (host, view)
            } else {
                let merged = match process::merge_layers(&spec.layer_dirs, &dir.join("opt")) {
                    Ok(m) => m,
                    Err(e) => break Err(internal("cannot prepare the layers", e)),
                };
                let view = iso.view(
                    false,
                    &dir,
                    &spec.code_dir,
                    &env.runtime_dir,
                    merged.as_deref(),
                );
                (merged.into_iter().collect(), view)
            };
            let launch = Launch {
                spec,
                family,
                interpreter: &env.interpreter,
                view: &view,
                host_opt: &host_opt,
                api: api.addr,
                log_stream: &stream,
                endpoint_url: &env.endpoint_url,
            };
            let mut cmd = match launch.command(&writer) {
                Ok(c) => c,
                Err(NoEntrypoint(msg)) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    break Err(SpawnError::NoEntrypoint {
                        msg,
                        log: log.clone(),
                    });
                }
            };
            let program = launch
                .program()
                .map(|p| p.0.display().to_string())
                .unwrap_or_default();
            let paths = Paths {
                sandbox_dir: &dir,
                code_dir: &spec.code_dir,
                runtime_dir: &env.runtime_dir,
                layers: &spec.layer_dirs,
                cgroup_procs: cgroup.as_ref().map(|g| g.join_files()).unwrap_or_default(),
            };
            let plan = match iso.plan(&paths, use_ns) {
                Ok(p) => p,
                Err(e) if use_ns => {
                    iso.disable_namespaces(format!("cannot prepare a sandbox's root: {e}"));
                    use_ns = false;
                    continue;
                }
                Err(e) => break Err(internal("cannot prepare the sandbox", e)),
            };
            plan.install_tokio(&mut cmd);
            let res = cmd.spawn();
            drop(cmd);
            match res {
                Ok(c) => {
                    if let Some((e, _)) = ns_failure {
                        iso.disable_namespaces(format!(
                            "a sandbox did not start with namespaces ({e}) but did without them"
                        ));
                    }
                    break Ok((c, use_ns));
                }
                Err(e) if use_ns => {
                    // the function's fault (a bootstrap that cannot be executed) or the
                    // layer's: try once without namespaces to tell which
                    ns_failure = Some((e, program));
                    use_ns = false;
                }
                Err(e) => {
                    let program = ns_failure.map(|f| f.1).unwrap_or(program);
                    // as the Lambda service words it ("fork/exec /var/task/bootstrap: permission denied")
                    let msg = format!("fork/exec {program}: {}", io_text(&e));
                    let _ = std::fs::remove_dir_all(&dir);
                    break Err(SpawnError::NoEntrypoint {
                        msg,
                        log: log.clone(),
                    });
                }
            }
        };
        let (child, namespaced) = match spawned {
            Ok(s) => s,
            Err(e) => {
                if let Some(g) = &cgroup {
                    g.remove();
                }
                return Err(e);
            }
        };
        // our copy of the write end must close, or the reader never sees the end
        drop(writer);
        let capture = Capture::new(rx, log.clone());
        let (exit_tx, exit_rx) = watch::channel(None);
        let mut sb = Sandbox {
            id: id.clone(),
            revision: spec.revision.clone(),
            last_used: Instant::now(),
            log: log.clone(),
            capture: capture.clone(),
            api,
            pid: 0,
            exit: exit_rx,
            cgroup,
            namespaced,
            dir,
            sink: env.sink.clone(),
            registry: env.registry.clone(),
            tasks: vec![log.spawn_flusher(env.sink.clone()), capture.spawn_reader()],
            init_duration_ms: None,
        };
        let mut child = child;
        sb.pid = child.id().unwrap_or(0);
        // the runtime joined its groups before it exec'd; if it could not, move it now
        if let Some(g) = &sb.cgroup
            && !g.holds(sb.pid, &sb.id)
            && let Err(e) = g.join(sb.pid)
        {
            tracing::warn!(sandbox = %id, error = %e, "cannot join the sandbox cgroup");
        }
        crate::sandbox::lock(&sb.registry).insert(id, sb.pid);
        sb.tasks.push(tokio::spawn(async move {
            let status = child.wait().await.ok();
            let _ = exit_tx.send(status);
        }));
        Ok(sb)
    }

    fn exited(&self) -> Option<Fault> {
        let status = *self.exit.borrow();
        status.map(|s| Fault::Exited {
            status: Some(s),
            oom: self.oom(Some(s)),
        })
    }

    fn oom(&self, status: Option<ExitStatus>) -> bool {
        status.and_then(|s| s.signal()) == Some(9)
            && self.cgroup.as_ref().is_some_and(|g| g.oom_killed())
    }

    /// Waits for the runtime's first `/next` (init done), an init error, or its exit.
    pub(crate) async fn wait_ready(&mut self, deadline: tokio::time::Instant) -> Result<(), Fault> {
        let started = Instant::now();
        let res = loop {
            tokio::select! {
                biased;
                ev = self.api.events.recv() => match ev {
                    Some(RuntimeEvent::Next) => break Ok(()),
                    Some(RuntimeEvent::InitError { body, error_type }) => {
                        break Err(Fault::InitError { body, error_type });
                    }
                    Some(_) => {}
                    None => break Err(Fault::Exited { status: None, oom: false }),
                },
                r = self.exit.changed() => {
                    // an init error posted just before exiting wins
                    if let Ok(RuntimeEvent::InitError { body, error_type }) = self.api.events.try_recv() {
                        break Err(Fault::InitError { body, error_type });
                    }
                    if r.is_err() {
                        break Err(Fault::Exited { status: None, oom: false });
                    }
                    if let Some(f) = self.exited() { break Err(f) }
                }
                _ = tokio::time::sleep_until(deadline) => break Err(Fault::Timeout),
            }
        };
        self.init_duration_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
        res
    }

    /// Runs one invocation until its answer, the runtime's exit, or the deadline.
    pub(crate) async fn run(&mut self, inv: Invocation, deadline: tokio::time::Instant) -> Ran {
        let rid = inv.request_id.clone();
        if let Some(f) = self.exited() {
            return Ran::Fault(f);
        }
        if self.api.invocations.send(inv).await.is_err() {
            return Ran::Fault(Fault::Exited {
                status: None,
                oom: false,
            });
        }
        loop {
            tokio::select! {
                biased;
                ev = self.api.events.recv() => match ev {
                    Some(RuntimeEvent::Response { request_id, body }) if request_id == rid => return Ran::Response(body),
                    Some(RuntimeEvent::Error { request_id, body, error_type }) if request_id == rid => {
                        return Ran::Error { body, error_type };
                    }
                    Some(RuntimeEvent::ResponseTooLarge { request_id, size }) if request_id == rid => {
                        return Ran::Fault(Fault::TooLarge { size });
                    }
                    Some(_) => {}
                    None => return Ran::Fault(Fault::Exited { status: None, oom: false }),
                },
                r = self.exit.changed() => {
                    if r.is_err() {
                        return Ran::Fault(Fault::Exited { status: None, oom: false });
                    }
                    if let Some(f) = self.exited() {
                        return Ran::Fault(f);
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return Ran::Fault(Fault::Timeout),
            }
        }
    }

    /// Whether the runtime process is gone.
    pub(crate) fn is_dead(&self) -> bool {
        self.exit.borrow().is_some() || self.pid == 0
    }

    /// Reads the output the runtime wrote so far into the log.
    pub(crate) fn drain_output(&self) {
        self.capture.drain();
    }

    /// The runtime's pid (the reaper's child when namespaced).
    fn runtime_pid(&self) -> u32 {
        if !self.namespaced {
            return self.pid;
        }
        std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", self.pid))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or(self.pid)
    }

    /// The sandbox's memory high-water mark, in MB (rounded up).
    pub(crate) fn max_memory_mb(&self) -> u64 {
        let bytes = self
            .cgroup
            .as_ref()
            .and_then(|g| g.peak_memory_bytes())
            .or_else(|| process::vm_hwm_bytes(self.runtime_pid()))
            .unwrap_or(0);
        bytes.div_ceil(1024 * 1024)
    }

    /// Kills every process of the sandbox now (process group, then whatever else the cgroup
    /// holds).
    pub(crate) fn kill(&self) {
        if self.pid != 0 {
            kill_group(self.pid);
        }
        if let Some(g) = &self.cgroup {
            for p in g.pids() {
                kill_pid(p);
            }
        }
    }
}

fn stream_ref(spec: &FunctionSpec, stream: &str) -> LogStreamRef {
    LogStreamRef {
        account_id: spec.account_id.clone(),
        region: spec.region.clone(),
        group: spec.log_group.clone(),
        stream: stream.to_string(),
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.kill();
        crate::sandbox::lock(&self.registry).remove(&self.id);
        // killed processes leave their cgroup within a millisecond or two; removing it here
        // keeps nothing behind even when the runtime stops before the cleanup task runs
        if let Some(g) = &self.cgroup {
            for _ in 0..20 {
                if g.remove() {
                    self.cgroup = None;
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let mut exit = self.exit.clone();
        let capture = self.capture.clone();
        let log = self.log.clone();
        let sink = self.sink.clone();
        let cgroup = self.cgroup.take();
        let dir = self.dir.clone();
        let tasks = std::mem::take(&mut self.tasks);
        let cleanup = async move {
            let waited =
                tokio::time::timeout(Duration::from_secs(2), exit.wait_for(|s| s.is_some())).await;
            drop(waited);
            capture.drain();
            log.flush(sink.as_ref()).await;
            for t in &tasks {
                t.abort();
            }
            if let Some(g) = cgroup {
                for _ in 0..20 {
                    if g.remove() {
                        break;
                    }
                    for p in g.pids() {
                        kill_pid(p);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(&dir)).await;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(cleanup);
            }
            Err(_) => {
                let _ = std::fs::remove_dir_all(&self.dir);
            }
        }
    }
}
