//! Isolation layers of a sandbox beyond cgroups, each detected once at startup and reported in
//! `/_lamina/health`; where the host does not allow one, sandboxes run without it (so Lamina
//! still runs unprivileged on a laptop).
//!
//! * **pid namespace**: the runtime is pid 1 of its own namespace and sees only its own
//!   processes (`/proc` is mounted fresh, read-only).
//! * **mount namespace** with a **read-only view of the root filesystem**: a small tmpfs
//!   becomes the sandbox's root; every top-level entry of the host's `/` (and of `/var`) is
//!   bind-mounted into it, then the whole tree is made read-only (`mount_setattr`,
//!   `AT_RECURSIVE`) and `pivot_root` switches to it. The function's package is at
//!   `/var/task` (read-only), the built-in bootstraps at `/var/runtime`, its layers at `/opt`
//!   (one layer bound, several merged by a read-only overlay), and the sandbox's own directory
//!   at `/tmp` — the only writable place, empty at start and private. Interpreters and their
//!   libraries (boto3 of the host's Python) stay reachable, read-only, at their host paths.
//! * **user namespace**, only when Lamina is not root, or is root without `CAP_SYS_ADMIN` (a
//!   container): maps the user to itself so the steps above are allowed without privileges.
//! * **seccomp**: a filter denying [`DENIED_SYSCALLS`] with `EPERM`, installed last (after the
//!   mounts; it also sets `no_new_privs`).
//!
//! How: the runtime is spawned with a `pre_exec` hook. The forked child joins the sandbox's
//! cgroups, unshares the namespaces, builds the root and forks once more (a new pid namespace
//! only applies to children): the grandchild, pid 1, mounts `/proc`, pivots, installs the
//! filter and execs the runtime; the child stays as a tiny reaper that waits for it and exits
//! with its status (or dies of the same signal), so Lamina's view of the process — exit
//! status, process group, SIGKILL on timeout — is unchanged. Nothing in the hook allocates:
//! the plan is built before the fork. When spawning with namespaces fails at runtime and
//! succeeds without them, namespaces are switched off for the rest of the process and the
//! reason is reported; an invocation never fails because of a layer.

// The hooks run between fork and exec and must call the C library directly; each unsafe
// block says why it is sound.
#![allow(unsafe_code)]

use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The syscalls a function may not make (they would change the host or leave the sandbox):
/// mounting (also the new mount API), rebooting, loading kernels and modules, tracing and
/// reading other processes' memory, kernel keyrings, BPF, perf events, swap, the kernel log,
/// process accounting, the clock, the host name, namespace switching and file handles.
pub(crate) const DENIED_SYSCALLS: &[&str] = &[
    "mount",
    "umount2",
    "pivot_root",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "reboot",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "swapon",
    "swapoff",
    "syslog",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "sethostname",
    "setdomainname",
    "setns",
    "open_by_handle_at",
    "quotactl",
    #[cfg(target_arch = "x86_64")]
    "iopl",
    #[cfg(target_arch = "x86_64")]
    "ioperm",
];

fn syscall_number(name: &str) -> Option<i64> {
    let n = match name {
        "mount" => libc::SYS_mount,
        "umount2" => libc::SYS_umount2,
        "pivot_root" => libc::SYS_pivot_root,
        "fsopen" => libc::SYS_fsopen,
        "fsconfig" => libc::SYS_fsconfig,
        "fsmount" => libc::SYS_fsmount,
        "fspick" => libc::SYS_fspick,
        "move_mount" => libc::SYS_move_mount,
        "open_tree" => libc::SYS_open_tree,
        "mount_setattr" => libc::SYS_mount_setattr,
        "reboot" => libc::SYS_reboot,
        "kexec_load" => libc::SYS_kexec_load,
        "kexec_file_load" => libc::SYS_kexec_file_load,
        "init_module" => libc::SYS_init_module,
        "finit_module" => libc::SYS_finit_module,
        "delete_module" => libc::SYS_delete_module,
        "ptrace" => libc::SYS_ptrace,
        "process_vm_readv" => libc::SYS_process_vm_readv,
        "process_vm_writev" => libc::SYS_process_vm_writev,
        "keyctl" => libc::SYS_keyctl,
        "add_key" => libc::SYS_add_key,
        "request_key" => libc::SYS_request_key,
        "bpf" => libc::SYS_bpf,
        "perf_event_open" => libc::SYS_perf_event_open,
        "userfaultfd" => libc::SYS_userfaultfd,
        "swapon" => libc::SYS_swapon,
        "swapoff" => libc::SYS_swapoff,
        "syslog" => libc::SYS_syslog,
        "acct" => libc::SYS_acct,
        "settimeofday" => libc::SYS_settimeofday,
        "clock_settime" => libc::SYS_clock_settime,
        "clock_adjtime" => libc::SYS_clock_adjtime,
        "adjtimex" => libc::SYS_adjtimex,
        "sethostname" => libc::SYS_sethostname,
        "setdomainname" => libc::SYS_setdomainname,
        "setns" => libc::SYS_setns,
        "open_by_handle_at" => libc::SYS_open_by_handle_at,
        "quotactl" => libc::SYS_quotactl,
        #[cfg(target_arch = "x86_64")]
        "iopl" => libc::SYS_iopl,
        #[cfg(target_arch = "x86_64")]
        "ioperm" => libc::SYS_ioperm,
        _ => return None,
    };
    Some(n)
}

fn build_filter() -> Result<BpfProgram, String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| format!("{e:?}"))?;
    let rules = DENIED_SYSCALLS
        .iter()
        .filter_map(|n| syscall_number(n))
        .map(|nr| (nr, Vec::new()))
        .collect::<BTreeMap<_, _>>();
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(|e| e.to_string())?;
    filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())
}

/// One entry of a host directory that the sandbox's root mirrors.
#[derive(Debug, Clone)]
enum Entry {
    Dir(String),
    File(String),
    Link(String, PathBuf),
}

fn list(dir: &Path, skip: &[&str]) -> Vec<Entry> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let Some(name) = e.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if skip.contains(&name.as_str()) {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_symlink() {
            if let Ok(t) = std::fs::read_link(e.path()) {
                out.push(Entry::Link(name, t));
            }
        } else if ft.is_dir() {
            out.push(Entry::Dir(name));
        } else if ft.is_file() {
            out.push(Entry::File(name));
        }
    }
    out.sort_by(|a, b| name_of(a).cmp(name_of(b)));
    out
}

fn name_of(e: &Entry) -> &str {
    match e {
        Entry::Dir(n) | Entry::File(n) | Entry::Link(n, _) => n,
    }
}

#[derive(Debug, Clone)]
enum Layer {
    On,
    Off(String),
}

/// What the host allows, detected once.
pub(crate) struct Isolation {
    /// Namespaces (pid + mount, and user when unprivileged): on, or off with the reason.
    ns: Mutex<Layer>,
    user_ns: bool,
    seccomp: Layer,
    filter: Option<Arc<BpfProgram>>,
    root_entries: Vec<Entry>,
    var_entries: Vec<Entry>,
}

fn cstr(p: impl AsRef<std::ffi::OsStr>) -> io::Result<CString> {
    CString::new(p.as_ref().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path with a NUL byte"))
}

fn env_off(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| matches!(v.as_str(), "0" | "off" | "false" | "no"))
}

/// Where a sandbox's paths are, as its runtime sees them.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub(crate) task: PathBuf,
    pub(crate) runtime: PathBuf,
    pub(crate) opt: Option<PathBuf>,
    pub(crate) tmp: PathBuf,
}

/// Inputs of one sandbox's plan (host paths).
pub(crate) struct Paths<'a> {
    /// The sandbox's own directory (`root/` and `tmp/` are created in it).
    pub(crate) sandbox_dir: &'a Path,
    pub(crate) code_dir: &'a Path,
    pub(crate) runtime_dir: &'a Path,
    pub(crate) layers: &'a [PathBuf],
    /// `cgroup.procs` files to join before anything else.
    pub(crate) cgroup_procs: Vec<PathBuf>,
}

enum Op {
    Dir(CString),
    File(CString),
    Link(CString, CString),
    Bind(CString, CString),
    /// A mirrored host entry: one that cannot be bound (an odd mount, no permission) stays an
    /// empty directory or file rather than costing the sandbox its namespaces.
    Mirror(CString, CString),
    Overlay(CString, CString),
}

struct NsPlan {
    flags: libc::c_int,
    /// `(setgroups, uid_map, gid_map)` contents when a user namespace is created.
    user: Option<(CString, CString, CString)>,
    setgroups_path: CString,
    uid_map_path: CString,
    gid_map_path: CString,
    root: CString,
    ops: Vec<Op>,
    root_tmp: CString,
    root_proc: CString,
    workdir: CString,
}

/// Everything the `pre_exec` hook does, prepared before the fork.
pub(crate) struct Plan {
    join: Vec<CString>,
    ns: Option<NsPlan>,
    filter: Option<Arc<BpfProgram>>,
}

impl Isolation {
    /// Detects the layers: builds the seccomp filter and starts `true` once with each layer.
    pub(crate) fn detect(probe_dir: &Path, namespaces: bool) -> Self {
        let user_ns = rustix::process::geteuid().as_raw() != 0;
        let mut me = Self {
            ns: Mutex::new(Layer::Off("not probed".into())),
            user_ns,
            seccomp: Layer::Off("not probed".into()),
            filter: None,
            root_entries: list(Path::new("/"), &["proc", "tmp", "opt", "var"]),
            var_entries: list(Path::new("/var"), &["task", "runtime", "tmp"]),
        };
        if !cfg!(target_os = "linux") {
            me.seccomp = Layer::Off("not Linux".into());
            *me.ns.get_mut().unwrap_or_else(|p| p.into_inner()) = Layer::Off("not Linux".into());
            return me;
        }
        me.seccomp = if env_off("LAMINA_LAMBDA_SECCOMP") {
            Layer::Off("disabled by LAMINA_LAMBDA_SECCOMP".into())
        } else {
            match build_filter() {
                Ok(f) => {
                    me.filter = Some(Arc::new(f));
                    match me.probe(probe_dir, false, true) {
                        Ok(()) => Layer::On,
                        Err(e) => {
                            me.filter = None;
                            Layer::Off(format!("cannot install a seccomp filter: {e}"))
                        }
                    }
                }
                Err(e) => Layer::Off(format!("cannot build the seccomp filter: {e}")),
            }
        };
        let ns = if !namespaces {
            Layer::Off("disabled in the configuration".into())
        } else if env_off("LAMINA_LAMBDA_NAMESPACES") {
            Layer::Off("disabled by LAMINA_LAMBDA_NAMESPACES".into())
        } else {
            match me.probe(probe_dir, true, false) {
                Ok(()) => Layer::On,
                // root without CAP_SYS_ADMIN (a container): a user namespace may still be allowed
                Err(e) if !user_ns => {
                    me.user_ns = true;
                    match me.probe(probe_dir, true, false) {
                        Ok(()) => Layer::On,
                        Err(e2) => {
                            me.user_ns = false;
                            Layer::Off(format!(
                                "cannot create pid/mount namespaces: {e}; nor in a user namespace: {e2}"
                            ))
                        }
                    }
                }
                Err(e) => Layer::Off(format!(
                    "cannot create pid/mount namespaces in a user namespace (unprivileged): {e}"
                )),
            }
        };
        *me.ns.get_mut().unwrap_or_else(|p| p.into_inner()) = ns;
        let _ = std::fs::remove_dir_all(probe_dir);
        me
    }

    /// Starts `true` with the chosen layers in a throwaway sandbox directory.
    fn probe(&self, dir: &Path, ns: bool, seccomp: bool) -> io::Result<()> {
        let _ = std::fs::remove_dir_all(dir);
        let code = dir.join("code");
        std::fs::create_dir_all(&code)?;
        let paths = Paths {
            sandbox_dir: dir,
            code_dir: &code,
            runtime_dir: &code,
            layers: &[],
            cgroup_procs: Vec::new(),
        };
        let plan = self.plan_with(&paths, ns, seccomp)?;
        let program = ["/usr/bin/true", "/bin/true"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no `true` to probe with"))?;
        let mut cmd = std::process::Command::new(program);
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        plan.install(&mut cmd);
        let status = cmd.status()?;
        let _ = std::fs::remove_dir_all(dir);
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!("the probe exited with {status}")))
        }
    }

    pub(crate) fn namespaces(&self) -> bool {
        matches!(*super::lock(&self.ns), Layer::On)
    }

    /// Namespaces failed for a sandbox although the probe passed: off from now on.
    pub(crate) fn disable_namespaces(&self, why: String) {
        tracing::warn!(reason = %why, "lambda sandboxes continue without namespaces");
        *super::lock(&self.ns) = Layer::Off(why);
    }

    /// The paths as the runtime sees them.
    pub(crate) fn view(
        &self,
        ns: bool,
        sandbox_dir: &Path,
        code_dir: &Path,
        runtime_dir: &Path,
        opt: Option<&Path>,
    ) -> View {
        if ns {
            View {
                task: "/var/task".into(),
                runtime: "/var/runtime".into(),
                opt: Some("/opt".into()),
                tmp: "/tmp".into(),
            }
        } else {
            View {
                task: code_dir.to_path_buf(),
                runtime: runtime_dir.to_path_buf(),
                opt: opt.map(Path::to_path_buf),
                tmp: sandbox_dir.join("tmp"),
            }
        }
    }

    /// The hook's plan for one sandbox (`ns`: with namespaces, as [`Self::namespaces`] said
    /// when the sandbox was prepared).
    pub(crate) fn plan(&self, p: &Paths<'_>, ns: bool) -> io::Result<Plan> {
        self.plan_with(p, ns, matches!(self.seccomp, Layer::On))
    }

    fn plan_with(&self, p: &Paths<'_>, ns: bool, seccomp: bool) -> io::Result<Plan> {
        let join = p
            .cgroup_procs
            .iter()
            .map(cstr)
            .collect::<io::Result<Vec<_>>>()?;
        let filter = if seccomp { self.filter.clone() } else { None };
        let ns = if ns { Some(self.ns_plan(p)?) } else { None };
        Ok(Plan { join, ns, filter })
    }

    fn ns_plan(&self, p: &Paths<'_>) -> io::Result<NsPlan> {
        let root = p.sandbox_dir.join("root");
        let tmp = p.sandbox_dir.join("tmp");
        std::fs::create_dir_all(&root)?;
        std::fs::create_dir_all(&tmp)?;
        let mut ops = Vec::new();
        let mirror =
            |ops: &mut Vec<Op>, host: &Path, into: &Path, entries: &[Entry]| -> io::Result<()> {
                for e in entries {
                    let at = into.join(name_of(e));
                    match e {
                        Entry::Dir(n) => {
                            ops.push(Op::Dir(cstr(&at)?));
                            ops.push(Op::Mirror(cstr(host.join(n))?, cstr(&at)?));
                        }
                        Entry::File(n) => {
                            ops.push(Op::File(cstr(&at)?));
                            ops.push(Op::Mirror(cstr(host.join(n))?, cstr(&at)?));
                        }
                        Entry::Link(_, target) => ops.push(Op::Link(cstr(target)?, cstr(&at)?)),
                    }
                }
                Ok(())
            };
        mirror(&mut ops, Path::new("/"), &root, &self.root_entries)?;
        let var = root.join("var");
        ops.push(Op::Dir(cstr(&var)?));
        mirror(&mut ops, Path::new("/var"), &var, &self.var_entries)?;
        for (dir, src) in [("task", p.code_dir), ("runtime", p.runtime_dir)] {
            ops.push(Op::Dir(cstr(var.join(dir))?));
            ops.push(Op::Bind(cstr(src)?, cstr(var.join(dir))?));
        }
        let opt = root.join("opt");
        ops.push(Op::Dir(cstr(&opt)?));
        match p.layers {
            [] => {}
            [one] => ops.push(Op::Bind(cstr(one)?, cstr(&opt)?)),
            many => {
                // later layers win: they come first in lowerdir
                let dirs: Vec<String> =
                    many.iter().rev().map(|d| d.display().to_string()).collect();
                if dirs.iter().any(|d| d.contains([':', ','])) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "a layer path contains ':' or ','",
                    ));
                }
                ops.push(Op::Overlay(
                    cstr(&opt)?,
                    cstr(format!("lowerdir={}", dirs.join(":")))?,
                ));
            }
        }
        let root_tmp = root.join("tmp");
        ops.push(Op::Dir(cstr(&root_tmp)?));
        ops.push(Op::Bind(cstr(&tmp)?, cstr(&root_tmp)?));
        let root_proc = root.join("proc");
        ops.push(Op::Dir(cstr(&root_proc)?));
        let mut flags = libc::CLONE_NEWNS | libc::CLONE_NEWPID;
        let user = if self.user_ns {
            flags |= libc::CLONE_NEWUSER;
            let uid = rustix::process::geteuid().as_raw();
            let gid = rustix::process::getegid().as_raw();
            Some((
                cstr("deny")?,
                cstr(format!("{uid} {uid} 1"))?,
                cstr(format!("{gid} {gid} 1"))?,
            ))
        } else {
            None
        };
        Ok(NsPlan {
            flags,
            user,
            setgroups_path: cstr("/proc/self/setgroups")?,
            uid_map_path: cstr("/proc/self/uid_map")?,
            gid_map_path: cstr("/proc/self/gid_map")?,
            root: cstr(&root)?,
            ops,
            root_tmp: cstr(&root_tmp)?,
            root_proc: cstr(&root_proc)?,
            workdir: cstr("/var/task")?,
        })
    }

    /// For `/_lamina/health`.
    pub(crate) fn describe(&self) -> Value {
        let layer = |l: &Layer| match l {
            Layer::On => json!({ "active": true }),
            Layer::Off(why) => json!({ "active": false, "reason": why }),
        };
        let ns = super::lock(&self.ns).clone();
        let on = matches!(ns, Layer::On);
        let mut ns_json = layer(&ns);
        if on {
            ns_json["pid"] = json!(true);
            ns_json["mount"] = json!(true);
            ns_json["user"] = json!(self.user_ns);
        }
        let mut sc = layer(&self.seccomp);
        if matches!(self.seccomp, Layer::On) {
            sc["denied"] = json!(DENIED_SYSCALLS);
            sc["errno"] = json!("EPERM");
        }
        json!({
            "namespaces": ns_json,
            "read_only_root": on,
            "task_root": if on { "/var/task (read-only)" } else { "host path of the package (not remounted)" },
            "private_tmp": if on { "mount (the sandbox's own directory at /tmp)" } else { "TMPDIR only (no mount namespace)" },
            "layers_at_opt": on,
            "seccomp": sc,
        })
    }
}

impl Plan {
    /// Whether this plan needs a hook at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.join.is_empty() && self.ns.is_none() && self.filter.is_none()
    }

    /// Installs the hook on a command.
    pub(crate) fn install(self, cmd: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        if self.is_empty() {
            return;
        }
        // SAFETY: the hook runs in the forked child before exec; `Plan::run` only makes
        // async-signal-safe system calls on memory prepared before the fork (no allocation,
        // no locks).
        unsafe {
            cmd.pre_exec(move || self.run());
        }
    }

    /// The same for tokio's command.
    pub(crate) fn install_tokio(self, cmd: &mut tokio::process::Command) {
        if self.is_empty() {
            return;
        }
        // SAFETY: as in `install`.
        unsafe {
            cmd.pre_exec(move || self.run());
        }
    }

    fn run(&self) -> io::Result<()> {
        for f in &self.join {
            // best effort: Lamina also moves the process after the spawn
            let _ = write_file(f, b"0");
        }
        if let Some(ns) = &self.ns {
            ns.run()?;
        }
        if let Some(f) = &self.filter {
            seccompiler::apply_filter(f).map_err(|e| match e {
                seccompiler::Error::Prctl(e) | seccompiler::Error::Seccomp(e) => e,
                _ => io::Error::from_raw_os_error(libc::EINVAL),
            })?;
        }
        Ok(())
    }
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn write_file(path: &CStr, data: &[u8]) -> io::Result<()> {
    // SAFETY: `path` is a valid C string, `data` a valid buffer; the descriptor is closed here.
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        check(fd)?;
        let n = libc::write(fd, data.as_ptr().cast(), data.len());
        let err = io::Error::last_os_error();
        libc::close(fd);
        if n < 0 { Err(err) } else { Ok(()) }
    }
}

const MOUNT_ATTR_RDONLY: u64 = 0x1;
const MOUNT_ATTR_NOSUID: u64 = 0x2;
const AT_RECURSIVE: libc::c_uint = 0x8000;

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

fn mount_setattr(path: &CStr, flags: libc::c_uint, set: u64, clr: u64) -> io::Result<()> {
    let attr = MountAttr {
        attr_set: set,
        attr_clr: clr,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: valid C string and a correctly sized `struct mount_attr` on the stack.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            path.as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn mount(
    src: Option<&CStr>,
    dst: &CStr,
    fstype: Option<&CStr>,
    flags: libc::c_ulong,
    data: Option<&CStr>,
) -> io::Result<()> {
    let p = |c: Option<&CStr>| c.map_or(std::ptr::null(), CStr::as_ptr);
    // SAFETY: every pointer is a valid C string or null, as mount(2) allows.
    check(unsafe { libc::mount(p(src), dst.as_ptr(), p(fstype), flags, p(data).cast()) })
}

impl NsPlan {
    fn run(&self) -> io::Result<()> {
        // SAFETY: unshare only changes this (single-threaded, forked) process.
        check(unsafe { libc::unshare(self.flags) })?;
        if let Some((deny, uid, gid)) = &self.user {
            write_file(&self.setgroups_path, deny.as_bytes())?;
            write_file(&self.uid_map_path, uid.as_bytes())?;
            write_file(&self.gid_map_path, gid.as_bytes())?;
        }
        // nothing done below may propagate back to the host
        mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE, None)?;
        mount(
            Some(c"tmpfs"),
            &self.root,
            Some(c"tmpfs"),
            libc::MS_NOSUID | libc::MS_NODEV,
            Some(c"size=64k,mode=755"),
        )?;
        for op in &self.ops {
            match op {
                Op::Dir(p) => {
                    // SAFETY: valid C string.
                    let rc = unsafe { libc::mkdir(p.as_ptr(), 0o755) };
                    if rc < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EEXIST) {
                        return Err(io::Error::last_os_error());
                    }
                }
                Op::File(p) => {
                    // SAFETY: valid C string; the descriptor is closed at once.
                    unsafe {
                        let fd = libc::open(
                            p.as_ptr(),
                            libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                            0o644,
                        );
                        check(fd)?;
                        libc::close(fd);
                    }
                }
                // SAFETY: valid C strings.
                Op::Link(target, at) => {
                    check(unsafe { libc::symlink(target.as_ptr(), at.as_ptr()) })?
                }
                Op::Mirror(src, dst) => {
                    let _ = mount(Some(src), dst, None, libc::MS_BIND | libc::MS_REC, None);
                }
                Op::Bind(src, dst) => {
                    mount(Some(src), dst, None, libc::MS_BIND | libc::MS_REC, None)?
                }
                Op::Overlay(dst, opts) => mount(
                    Some(c"overlay"),
                    dst,
                    Some(c"overlay"),
                    libc::MS_RDONLY,
                    Some(opts),
                )?,
            }
        }
        mount_setattr(
            &self.root,
            AT_RECURSIVE,
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID,
            0,
        )?;
        mount_setattr(&self.root_tmp, 0, 0, MOUNT_ATTR_RDONLY)?;
        // a pid namespace applies to children only
        // SAFETY: fork in a single-threaded child; both sides only make system calls.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid > 0 {
            reap_and_exit(pid);
        }
        // pid 1 of the new namespace: dies with its reaper
        // SAFETY: prctl with integer arguments.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
        mount(
            Some(c"proc"),
            &self.root_proc,
            Some(c"proc"),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC | libc::MS_RDONLY,
            None,
        )?;
        // SAFETY: valid C strings; pivot_root(".", ".") stacks the old root under the new one,
        // and detaching it leaves only the new root.
        unsafe {
            check(libc::chdir(self.root.as_ptr()))?;
            check(
                libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) as libc::c_int,
            )?;
            check(libc::umount2(c".".as_ptr(), libc::MNT_DETACH))?;
            check(libc::chdir(self.workdir.as_ptr()))?;
        }
        Ok(())
    }
}

/// The reaper: closes every descriptor it does not need (so the parent's exec-error pipe
/// closes when the runtime execs), waits for pid 1 and leaves as it left.
fn reap_and_exit(pid: libc::pid_t) -> ! {
    // SAFETY: only system calls; this process never returns to Rust code that could observe
    // the closed descriptors.
    unsafe {
        if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) < 0 {
            for fd in 3..1024 {
                libc::close(fd);
            }
        }
        let mut status = 0;
        loop {
            let r = libc::waitpid(pid, &mut status, 0);
            if r == pid {
                break;
            }
            if r < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                libc::_exit(1);
            }
        }
        if libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            libc::signal(sig, libc::SIG_DFL);
            libc::kill(libc::getpid(), sig);
            libc::_exit(128 + sig);
        }
        libc::_exit(libc::WEXITSTATUS(status));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_denied_syscall_has_a_number() {
        for n in DENIED_SYSCALLS {
            assert!(syscall_number(n).is_some(), "{n}");
        }
        assert!(build_filter().is_ok());
    }

    #[test]
    fn detection_describes_itself() {
        let dir = tempfile::tempdir().unwrap();
        let iso = Isolation::detect(&dir.path().join("probe"), true);
        let d = iso.describe();
        println!("{d}");
        for layer in ["namespaces", "seccomp"] {
            let active = d[layer]["active"].as_bool().expect("active is a bool");
            assert!(active || d[layer]["reason"].is_string(), "{d}");
        }
    }
}
