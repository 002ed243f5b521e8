//! Starting a runtime process: which program runs for which runtime, the environment AWS
//! gives it, its directories (task root, `/opt` from layers, private tmp) and its output pipe.

use super::FunctionSpec;
use super::isolate::View;
use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;

pub(crate) const PYTHON_BOOTSTRAP: &str = include_str!("../../bootstrap/python_bootstrap.py");
pub(crate) const NODE_BOOTSTRAP: &str = include_str!("../../bootstrap/node_bootstrap.js");

/// How a runtime is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Provided,
    Python,
    Node,
}

impl Family {
    pub(crate) fn of(runtime: &str) -> Option<Self> {
        if runtime == "provided" || runtime.starts_with("provided.") {
            Some(Family::Provided)
        } else if runtime.starts_with("python3") {
            Some(Family::Python)
        } else if runtime.starts_with("nodejs") {
            Some(Family::Node)
        } else {
            None
        }
    }
}

/// Writes the built-in bootstraps into `dir` (once per Lamina process; rewritten when they
/// differ so an upgrade takes effect).
pub(crate) fn install_bootstraps(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in [
        ("python_bootstrap.py", PYTHON_BOOTSTRAP),
        ("node_bootstrap.js", NODE_BOOTSTRAP),
    ] {
        let p = dir.join(name);
        if std::fs::read_to_string(&p).ok().as_deref() != Some(text) {
            let tmp = dir.join(format!(".{name}.{}", std::process::id()));
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, &p)?;
        }
    }
    Ok(())
}

/// Resolves an interpreter to its real executable (pyenv and nvm shims need their own
/// environment, which a sandbox does not inherit).
pub(crate) async fn resolve_interpreter(program: &str, family: Family) -> String {
    let (flag, code) = match family {
        Family::Python => ("-c", "import sys; print(sys.executable)"),
        Family::Node => ("-e", "console.log(process.execPath)"),
        Family::Provided => return program.to_string(),
    };
    let out = tokio::process::Command::new(program)
        .arg(flag)
        .arg(code)
        .stdin(Stdio::null())
        .output()
        .await;
    match out {
        Ok(o) if o.status.success() => {
            let p = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if p.is_empty() { program.to_string() } else { p }
        }
        _ => program.to_string(),
    }
}

/// `/opt` of a sandbox: the one layer itself, or a tree of links merging several (later
/// layers win, as AWS extracts them in order).
pub(crate) fn merge_layers(layers: &[PathBuf], into: &Path) -> io::Result<Option<PathBuf>> {
    match layers {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        many => {
            std::fs::create_dir_all(into)?;
            for layer in many {
                link_tree(layer, into)?;
            }
            Ok(Some(into.to_path_buf()))
        }
    }
}

fn link_tree(from: &Path, to: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            if target.is_symlink() {
                std::fs::remove_file(&target)?;
            }
            std::fs::create_dir_all(&target)?;
            link_tree(&entry.path(), &target)?;
        } else {
            if target.symlink_metadata().is_ok() {
                std::fs::remove_file(&target)?;
            }
            std::os::unix::fs::symlink(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Everything needed to build the command line and environment.
pub(crate) struct Launch<'a> {
    pub(crate) spec: &'a FunctionSpec,
    pub(crate) family: Family,
    pub(crate) interpreter: &'a str,
    /// The sandbox's paths as the runtime sees them (AWS's `/var/task`, `/opt`, `/tmp` inside
    /// a mount namespace; host paths without one).
    pub(crate) view: &'a View,
    /// Host directories that make up `/opt`, the one that wins first (where a `provided`
    /// bootstrap may be).
    pub(crate) host_opt: &'a [PathBuf],
    pub(crate) api: SocketAddr,
    pub(crate) log_stream: &'a str,
    pub(crate) endpoint_url: &'a str,
}

/// Why a runtime cannot start at all (reported as an init error).
pub(crate) struct NoEntrypoint(pub(crate) String);

impl Launch<'_> {
    /// The program and its arguments.
    pub(crate) fn program(&self) -> Result<(PathBuf, Vec<String>), NoEntrypoint> {
        match self.family {
            Family::Python => Ok((
                PathBuf::from(self.interpreter),
                vec![
                    self.view
                        .runtime
                        .join("python_bootstrap.py")
                        .display()
                        .to_string(),
                ],
            )),
            Family::Node => Ok((
                PathBuf::from(self.interpreter),
                vec![
                    self.view
                        .runtime
                        .join("node_bootstrap.js")
                        .display()
                        .to_string(),
                ],
            )),
            Family::Provided => {
                let task = self.view.task.join("bootstrap");
                if self.spec.code_dir.join("bootstrap").is_file() {
                    return Ok((task, Vec::new()));
                }
                let opt = self
                    .view
                    .opt
                    .as_deref()
                    .unwrap_or(Path::new("/opt"))
                    .join("bootstrap");
                if self.host_opt.iter().any(|d| d.join("bootstrap").is_file()) {
                    return Ok((opt, Vec::new()));
                }
                Err(NoEntrypoint(format!(
                    "Couldn't find valid bootstrap(s): [{} {}]",
                    task.display(),
                    opt.display()
                )))
            }
        }
    }

    /// The environment AWS sets, then the function's own variables (which cannot override
    /// the reserved ones, as on AWS).
    pub(crate) fn environment(&self) -> BTreeMap<String, String> {
        let s = self.spec;
        let task = self.view.task.display().to_string();
        let opt = self.view.opt.as_ref().map(|o| o.display().to_string());
        let opt_or = |sub: &str| match &opt {
            Some(o) => format!("{o}/{sub}"),
            None => format!("/opt/{sub}"),
        };
        let mut env = BTreeMap::new();
        let mut set = |k: &str, v: String| {
            env.insert(k.to_string(), v);
        };
        for (k, v) in &s.environment {
            set(k, v.clone());
        }
        let host_path =
            std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into());
        set(
            "PATH",
            format!("{task}/bin:{}:{host_path}:/opt/bin", opt_or("bin")),
        );
        set(
            "LD_LIBRARY_PATH",
            format!("{task}:{task}/lib:{}:/opt/lib", opt_or("lib")),
        );
        set("LANG", "en_US.UTF-8".into());
        set("TZ", ":UTC".into());
        set("TMPDIR", self.view.tmp.display().to_string());
        set("LAMBDA_TASK_ROOT", task.clone());
        set(
            "LAMBDA_RUNTIME_DIR",
            self.view.runtime.display().to_string(),
        );
        set("_HANDLER", s.handler.clone());
        set("AWS_REGION", s.region.clone());
        set("AWS_DEFAULT_REGION", s.region.clone());
        set("AWS_EXECUTION_ENV", format!("AWS_Lambda_{}", s.runtime));
        set("AWS_LAMBDA_FUNCTION_NAME", s.function_name.clone());
        set("AWS_LAMBDA_FUNCTION_VERSION", s.version.clone());
        set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", s.memory_mb.to_string());
        set("AWS_LAMBDA_LOG_GROUP_NAME", s.log_group.clone());
        set("AWS_LAMBDA_LOG_STREAM_NAME", self.log_stream.to_string());
        set("AWS_LAMBDA_RUNTIME_API", self.api.to_string());
        set("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into());
        set("AWS_ENDPOINT_URL", self.endpoint_url.to_string());
        if let Some(c) = &s.credentials {
            set("AWS_ACCESS_KEY_ID", c.access_key_id.clone());
            set("AWS_SECRET_ACCESS_KEY", c.secret_access_key.clone());
            set("AWS_SESSION_TOKEN", c.session_token.clone());
        }
        match self.family {
            Family::Python => {
                let ver = s.runtime.trim_start_matches("python");
                let mut pp = vec![task.clone()];
                if let Some(o) = &opt {
                    pp.push(format!("{o}/python/lib/python{ver}/site-packages"));
                    pp.push(format!("{o}/python"));
                }
                pp.push(format!("/opt/python/lib/python{ver}/site-packages"));
                pp.push("/opt/python".into());
                pp.push(self.view.runtime.display().to_string());
                set("PYTHONPATH", pp.join(":"));
                set("PYTHONUNBUFFERED", "1".into());
                // the task root is read-only; do not try to write __pycache__ into it
                set("PYTHONDONTWRITEBYTECODE", "1".into());
            }
            Family::Node => {
                let major = s
                    .runtime
                    .trim_start_matches("nodejs")
                    .split('.')
                    .next()
                    .unwrap_or("")
                    .to_string();
                let mut np = Vec::new();
                if let Some(o) = &opt {
                    np.push(format!("{o}/nodejs/node{major}/node_modules"));
                    np.push(format!("{o}/nodejs/node_modules"));
                }
                np.push("/opt/nodejs/node_modules".into());
                np.push(format!("{}/node_modules", self.view.runtime.display()));
                np.push(task.clone());
                set("NODE_PATH", np.join(":"));
            }
            Family::Provided => {}
        }
        env
    }

    /// The command, ready to spawn: clean environment, own process group, cwd = task root,
    /// stdin null, stdout and stderr into `out`.
    pub(crate) fn command(
        &self,
        out: &std::io::PipeWriter,
    ) -> Result<tokio::process::Command, NoEntrypoint> {
        let (program, args) = self.program()?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(self.environment())
            .current_dir(&self.spec.code_dir)
            .stdin(Stdio::null())
            .process_group(0)
            .kill_on_drop(true);
        let (o, e) = match (out.try_clone(), out.try_clone()) {
            (Ok(o), Ok(e)) => (o, e),
            (Err(err), _) | (_, Err(err)) => {
                return Err(NoEntrypoint(format!("cannot create output pipe: {err}")));
            }
        };
        cmd.stdout(Stdio::from(o)).stderr(Stdio::from(e));
        Ok(cmd)
    }
}

/// `VmHWM` of a live process, in bytes (the fallback without cgroups).
pub(crate) fn vm_hwm_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(Family::of("provided.al2023"), Some(Family::Provided));
        assert_eq!(Family::of("provided"), Some(Family::Provided));
        assert_eq!(Family::of("python3.12"), Some(Family::Python));
        assert_eq!(Family::of("nodejs20.x"), Some(Family::Node));
        assert_eq!(Family::of("java21"), None);
    }

    #[test]
    fn own_hwm_is_readable() {
        assert!(vm_hwm_bytes(std::process::id()).is_some_and(|b| b > 0));
    }
}
