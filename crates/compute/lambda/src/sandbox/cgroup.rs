//! Control groups for sandboxes: a memory limit equal to the function's MemorySize, a CPU share
//! proportional to memory (1,769 MB = one vCPU, as on AWS), and a pids limit.
//!
//! Detected once: cgroup v1 (one hierarchy per controller under `/sys/fs/cgroup/<controller>`)
//! or v2 (`/sys/fs/cgroup/cgroup.controllers`, usable when our cgroup may delegate the
//! controllers). Groups are created under the cgroup Lamina itself runs in, as
//! `<own>/lamina/<sandbox id>`, so a supervisor's limits still apply to all sandboxes. Where
//! nothing is writable, sandboxes run without limits and [`Cgroups::describe`] says why.

use serde_json::{Value, json};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

const ROOT: &str = "/sys/fs/cgroup";
/// AWS's limit on processes and threads per execution environment.
const PIDS_MAX: u32 = 1024;
/// MemorySize that buys one full vCPU.
const MB_PER_VCPU: u64 = 1769;
const CFS_PERIOD_US: u64 = 100_000;

#[derive(Debug, Clone)]
enum Kind {
    None(String),
    V1 {
        memory: Option<PathBuf>,
        cpu: Option<PathBuf>,
        pids: Option<PathBuf>,
    },
    V2 {
        base: PathBuf,
    },
}

/// What the host allows, detected once.
#[derive(Debug, Clone)]
pub(crate) struct Cgroups {
    kind: Kind,
    /// Also enforce a CFS quota (hard CPU cap) and not only a share.
    cpu_quota: bool,
}

/// One sandbox's groups.
#[derive(Debug)]
pub(crate) struct Group {
    /// Every directory of this sandbox (one per v1 controller, one for v2).
    dirs: Vec<PathBuf>,
    memory: Option<PathBuf>,
    v2: bool,
}

/// Our own path in a hierarchy, from `/proc/self/cgroup` (`id:controllers:path`).
fn own_path(controller: Option<&str>) -> Option<String> {
    let text = fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines().find_map(|l| {
        let mut parts = l.splitn(3, ':');
        let (_, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
        let hit = match controller {
            Some(c) => ctrls.split(',').any(|x| x == c),
            None => ctrls.is_empty(),
        };
        hit.then(|| path.to_string())
    })
}

/// `<mount>/<own path>/lamina`, created and proven writable, or `None`.
fn prepare(mount: &Path, own: Option<String>) -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(own) = own {
        candidates.push(mount.join(own.trim_start_matches('/')));
    }
    candidates.push(mount.to_path_buf());
    for base in candidates {
        if !base.is_dir() {
            continue;
        }
        let dir = base.join("lamina");
        let probe = dir.join(format!("probe-{}", std::process::id()));
        if fs::create_dir_all(&dir).is_ok() && fs::create_dir(&probe).is_ok() {
            let _ = fs::remove_dir(&probe);
            sweep(&dir);
            return Some(dir);
        }
    }
    None
}

/// Removes the groups a crashed or killed Lamina left behind: empty, and older than a minute
/// (so a group another Lamina process is just setting up is left alone).
fn sweep(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let old = e
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(60));
        let empty = fs::read_to_string(p.join("cgroup.procs")).is_ok_and(|s| s.trim().is_empty());
        if p.is_dir() && old && empty {
            let _ = fs::remove_dir(&p);
        }
    }
}

impl Cgroups {
    pub(crate) fn detect() -> Self {
        let cpu_quota =
            std::env::var("LAMINA_LAMBDA_CPU_QUOTA").is_ok_and(|v| v == "1" || v == "true");
        let root = Path::new(ROOT);
        if root.join("memory").join("memory.limit_in_bytes").exists()
            || root.join("pids").join("pids.max").exists()
        {
            let one = |c: &str| {
                let m = root.join(c);
                if m.join("cgroup.procs").exists() {
                    prepare(&m, own_path(Some(c)))
                } else {
                    None
                }
            };
            let (memory, cpu, pids) = (one("memory"), one("cpu"), one("pids"));
            if memory.is_none() && cpu.is_none() && pids.is_none() {
                return Self {
                    kind: Kind::None("cgroup v1 hierarchies are not writable".into()),
                    cpu_quota,
                };
            }
            return Self {
                kind: Kind::V1 { memory, cpu, pids },
                cpu_quota,
            };
        }
        if root.join("cgroup.controllers").exists() {
            return match Self::detect_v2(root) {
                Ok(base) => Self {
                    kind: Kind::V2 { base },
                    cpu_quota,
                },
                Err(why) => Self {
                    kind: Kind::None(why),
                    cpu_quota,
                },
            };
        }
        Self {
            kind: Kind::None("no cgroup filesystem at /sys/fs/cgroup".into()),
            cpu_quota,
        }
    }

    fn detect_v2(root: &Path) -> Result<PathBuf, String> {
        let base =
            prepare(root, own_path(None)).ok_or("the cgroup v2 hierarchy is not writable")?;
        // controllers reach `lamina/<id>` only if `lamina` delegates them, which its parent must
        // allow; a cgroup holding processes cannot delegate (the "no internal processes" rule)
        let want = ["memory", "cpu", "pids"];
        let available = fs::read_to_string(base.join("cgroup.controllers")).unwrap_or_default();
        let missing: Vec<_> = want
            .iter()
            .filter(|c| !available.split_whitespace().any(|a| a == **c))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "cgroup v2 controllers {missing:?} are not delegated to {} (run Lamina in a cgroup with \
                 Delegate=yes, or in its own leaf)",
                base.display()
            ));
        }
        let line = want
            .iter()
            .map(|c| format!("+{c}"))
            .collect::<Vec<_>>()
            .join(" ");
        fs::write(base.join("cgroup.subtree_control"), line).map_err(|e| {
            format!(
                "cannot enable cgroup v2 controllers in {}: {e}",
                base.display()
            )
        })?;
        Ok(base)
    }

    /// For `/_lamina/health`.
    pub(crate) fn describe(&self) -> Value {
        let cpu = if self.cpu_quota {
            "shares+quota"
        } else {
            "shares"
        };
        match &self.kind {
            Kind::None(why) => json!({ "active": false, "reason": why }),
            Kind::V1 {
                memory,
                cpu: c,
                pids,
            } => json!({
                "active": true,
                "version": "v1",
                "memory": memory.is_some(),
                "cpu": if c.is_some() { Value::from(cpu) } else { Value::Bool(false) },
                "pids": pids.is_some(),
                "path": memory.as_ref().or(c.as_ref()).or(pids.as_ref()).map(|p| p.display().to_string()),
            }),
            Kind::V2 { base } => json!({
                "active": true, "version": "v2", "memory": true, "cpu": cpu, "pids": true,
                "path": base.display().to_string(),
            }),
        }
    }

    /// Creates the groups of one sandbox; `None` (logged) when that fails.
    pub(crate) fn create(&self, id: &str, memory_mb: u32) -> Option<Group> {
        let res = match &self.kind {
            Kind::None(_) => return None,
            Kind::V1 { memory, cpu, pids } => self.create_v1(id, memory_mb, memory, cpu, pids),
            Kind::V2 { base } => self.create_v2(&base.join(id), memory_mb),
        };
        match res {
            Ok(g) => Some(g),
            Err(e) => {
                tracing::warn!(sandbox = id, error = %e, "sandbox runs without cgroup limits");
                None
            }
        }
    }

    fn cpu_fraction(memory_mb: u32) -> (u64, u64) {
        let shares = (1024 * u64::from(memory_mb) / MB_PER_VCPU).max(2);
        let quota = (CFS_PERIOD_US * u64::from(memory_mb) / MB_PER_VCPU).max(1000);
        (shares, quota)
    }

    fn create_v1(
        &self,
        id: &str,
        memory_mb: u32,
        memory: &Option<PathBuf>,
        cpu: &Option<PathBuf>,
        pids: &Option<PathBuf>,
    ) -> io::Result<Group> {
        let mut g = Group {
            dirs: Vec::new(),
            memory: None,
            v2: false,
        };
        let bytes = u64::from(memory_mb) * 1024 * 1024;
        if let Some(m) = memory {
            let d = m.join(id);
            fs::create_dir(&d)?;
            g.dirs.push(d.clone());
            fs::write(d.join("memory.limit_in_bytes"), bytes.to_string())?;
            // no swapping past the limit where swap accounting exists
            let _ = fs::write(d.join("memory.memsw.limit_in_bytes"), bytes.to_string());
            let _ = fs::write(d.join("memory.swappiness"), "0");
            g.memory = Some(d);
        }
        let (shares, quota) = Self::cpu_fraction(memory_mb);
        if let Some(c) = cpu {
            let d = c.join(id);
            fs::create_dir(&d)?;
            g.dirs.push(d.clone());
            fs::write(d.join("cpu.shares"), shares.to_string())?;
            if self.cpu_quota {
                fs::write(d.join("cpu.cfs_period_us"), CFS_PERIOD_US.to_string())?;
                fs::write(d.join("cpu.cfs_quota_us"), quota.to_string())?;
            }
        }
        if let Some(p) = pids {
            let d = p.join(id);
            fs::create_dir(&d)?;
            g.dirs.push(d.clone());
            fs::write(d.join("pids.max"), PIDS_MAX.to_string())?;
        }
        Ok(g)
    }

    fn create_v2(&self, d: &Path, memory_mb: u32) -> io::Result<Group> {
        fs::create_dir(d)?;
        let g = Group {
            dirs: vec![d.to_path_buf()],
            memory: Some(d.to_path_buf()),
            v2: true,
        };
        let bytes = u64::from(memory_mb) * 1024 * 1024;
        fs::write(d.join("memory.max"), bytes.to_string())?;
        let _ = fs::write(d.join("memory.swap.max"), "0");
        let (shares, quota) = Self::cpu_fraction(memory_mb);
        // cpu.weight is 1..10000 with 100 the default, as cpu.shares 1024 was
        let weight = (shares * 100 / 1024).clamp(1, 10_000);
        fs::write(d.join("cpu.weight"), weight.to_string())?;
        if self.cpu_quota {
            fs::write(d.join("cpu.max"), format!("{quota} {CFS_PERIOD_US}"))?;
        }
        fs::write(d.join("pids.max"), PIDS_MAX.to_string())?;
        Ok(g)
    }
}

impl Group {
    /// Moves a process (all its threads) into every group of the sandbox.
    pub(crate) fn join(&self, pid: u32) -> io::Result<()> {
        for d in &self.dirs {
            fs::write(d.join("cgroup.procs"), pid.to_string())?;
        }
        Ok(())
    }

    /// The files the runtime writes `0` to, to join the sandbox's groups itself before it
    /// starts anything. On v1 that is `tasks` (the one thread of the forked child): writing
    /// `cgroup.procs` takes the global threadgroup lock, whose RCU grace period cost a cold
    /// start 5–7 ms on this 2-core host; a single thread does not need it (Linux 6.0+), and
    /// what the runtime starts later inherits the groups. v2 has only `cgroup.procs`.
    pub(crate) fn join_files(&self) -> Vec<PathBuf> {
        let file = if self.v2 { "cgroup.procs" } else { "tasks" };
        self.dirs.iter().map(|d| d.join(file)).collect()
    }

    /// Whether `pid` is in every group of the sandbox already (`/proc/<pid>/cgroup`).
    pub(crate) fn holds(&self, pid: u32, id: &str) -> bool {
        let Ok(text) = fs::read_to_string(format!("/proc/{pid}/cgroup")) else {
            return false;
        };
        let suffix = format!("/{id}");
        let inside = text.lines().filter(|l| l.ends_with(&suffix)).count();
        // v1: one line per hierarchy that holds it; v2: the one line
        inside >= if self.v2 { 1 } else { self.dirs.len() }
    }

    /// The high-water mark of the sandbox's memory.
    pub(crate) fn peak_memory_bytes(&self) -> Option<u64> {
        let m = self.memory.as_ref()?;
        let file = if self.v2 {
            "memory.peak"
        } else {
            "memory.max_usage_in_bytes"
        };
        fs::read_to_string(m.join(file)).ok()?.trim().parse().ok()
    }

    /// Whether the kernel's OOM killer acted in this group.
    pub(crate) fn oom_killed(&self) -> bool {
        let Some(m) = &self.memory else { return false };
        let file = if self.v2 {
            "memory.events"
        } else {
            "memory.oom_control"
        };
        let text = fs::read_to_string(m.join(file)).unwrap_or_default();
        let count = text
            .lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .and_then(|n| n.trim().parse::<u64>().ok());
        match count {
            Some(n) => n > 0,
            // old v1 kernels: no oom_kill counter; the limit was hit at least
            None => {
                !self.v2
                    && fs::read_to_string(m.join("memory.failcnt"))
                        .ok()
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .is_some_and(|n| n > 0)
            }
        }
    }

    /// Every process still in the sandbox (also those that left its process group).
    pub(crate) fn pids(&self) -> Vec<i32> {
        let mut out = Vec::new();
        for d in &self.dirs {
            if let Ok(text) = fs::read_to_string(d.join("cgroup.procs")) {
                out.extend(text.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Removes the groups; false while processes remain.
    pub(crate) fn remove(&self) -> bool {
        let mut ok = true;
        for d in &self.dirs {
            if d.exists() && fs::remove_dir(d).is_err() {
                ok = false;
            }
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_proportional_to_memory() {
        assert_eq!(Cgroups::cpu_fraction(1769), (1024, 100_000));
        assert_eq!(Cgroups::cpu_fraction(3538), (2048, 200_000));
        assert_eq!(Cgroups::cpu_fraction(128), (74, 7235));
    }

    #[test]
    fn detection_describes_itself() {
        let c = Cgroups::detect();
        let d = c.describe();
        let active = d["active"].as_bool().expect("active is a bool");
        if !active {
            assert!(d["reason"].is_string());
        }
    }
}
