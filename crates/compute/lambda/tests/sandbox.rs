//! Sandboxes with real processes: Python and Node handlers on the built-in bootstraps, a
//! `provided` bootstrap script speaking the Runtime API itself, and the faults AWS reports
//! (handler errors, crashes, timeouts, 7 MB responses, 10 MB of logs, memory limits).
//! A runtime whose interpreter is missing is skipped with a message.

use bytes::Bytes;
use lamina_bus::{LogEvent, LogSink, LogStreamRef};
use lamina_core::BoxFuture;
use lamina_lambda::LambdaConfig;
use lamina_lambda::sandbox::{FunctionSpec, InvokeInput, InvokeOutcome, Manager};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Recorder(Mutex<Vec<(LogStreamRef, LogEvent)>>);

impl LogSink for Recorder {
    fn put_events<'a>(
        &'a self,
        s: &'a LogStreamRef,
        ev: Vec<LogEvent>,
    ) -> BoxFuture<'a, Result<(), String>> {
        let mut g = self.0.lock().unwrap();
        g.extend(ev.into_iter().map(|e| (s.clone(), e)));
        Box::pin(async { Ok(()) })
    }
}

impl Recorder {
    fn messages(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, e)| e.message.clone())
            .collect()
    }
}

struct Env {
    _dir: tempfile::TempDir,
    root: PathBuf,
    manager: Manager,
    logs: Arc<Recorder>,
}

fn env_with(idle: Duration) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let mut cfg = LambdaConfig::new(root.join("work"), "http://127.0.0.1:4566".into());
    cfg.idle_timeout = idle;
    let logs = Arc::new(Recorder::default());
    let manager = Manager::new(&cfg, logs.clone());
    Env {
        _dir: dir,
        root,
        manager,
        logs,
    }
}

fn env() -> Env {
    env_with(Duration::from_secs(300))
}

fn code(env: &Env, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let d = env.root.join("code").join(name);
    for (f, text) in files {
        let p = d.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The task root as the function sees it: AWS's /var/task inside a mount namespace, the
/// package's own directory without one.
fn task_root(e: &Env, code_dir: &Path) -> String {
    if e.manager.isolation()["namespaces"]["active"] == true {
        "/var/task".into()
    } else {
        code_dir.display().to_string()
    }
}

fn spec(code_dir: &Path, runtime: &str, handler: &str, timeout_s: u64) -> FunctionSpec {
    let name = code_dir.file_name().unwrap().to_string_lossy().to_string();
    FunctionSpec {
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        function_name: name.clone(),
        version: "$LATEST".into(),
        invoked_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{name}"),
        runtime: runtime.into(),
        handler: handler.into(),
        memory_mb: 256,
        timeout: Duration::from_secs(timeout_s),
        ephemeral_storage_mb: 512,
        environment: BTreeMap::from([("GREETING".to_string(), "hello".to_string())]),
        code_dir: code_dir.to_path_buf(),
        layer_dirs: Vec::new(),
        credentials: None,
        log_group: format!("/aws/lambda/{name}"),
        // the control plane changes the revision with every configuration change
        revision: format!("r1-{handler}-{timeout_s}"),
    }
}

fn input(payload: &str) -> InvokeInput {
    InvokeInput {
        request_id: lamina_core::new_request_id(),
        payload: Bytes::from(payload.to_string()),
        client_context: None,
        tail_logs: true,
    }
}

fn json_of(o: &InvokeOutcome) -> Value {
    serde_json::from_slice(&o.payload)
        .unwrap_or_else(|_| panic!("not JSON: {:?}", String::from_utf8_lossy(&o.payload)))
}

fn have(program: &str) -> Option<String> {
    let out = std::process::Command::new(program)
        .arg("--version")
        .output()
        .ok()?;
    out.status.success().then(|| program.to_string())
}

fn python_exe() -> Option<String> {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

macro_rules! need {
    ($prog:expr) => {
        match have($prog) {
            Some(p) => p,
            None => {
                eprintln!("SKIPPED: {} is not installed on this host", $prog);
                return;
            }
        }
    };
}

/// (cold ms, warm p50 ms, warm p99 ms) over `n` warm invokes.
async fn measure(m: &Manager, s: &FunctionSpec, n: usize) -> (f64, f64, f64) {
    let t = Instant::now();
    let o = m.invoke(s, input("{}")).await.unwrap();
    assert!(
        o.function_error.is_none(),
        "{:?}",
        String::from_utf8_lossy(&o.payload)
    );
    let cold = t.elapsed().as_secs_f64() * 1000.0;
    let mut warm = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let o = m.invoke(s, input("{}")).await.unwrap();
        assert!(o.function_error.is_none());
        warm.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    warm.sort_by(f64::total_cmp);
    (cold, warm[n / 2], warm[(n * 99 / 100).min(n - 1)])
}

const PY_COUNTER: &str = r#"
import os, json
count = 0
def handler(event, context):
    global count
    count += 1
    print("invocation", count, "event", json.dumps(event))
    return {
        "count": count,
        "event": event,
        "function_name": context.function_name,
        "version": context.function_version,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
        "stream": context.log_stream_name,
        "greeting": os.environ.get("GREETING"),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
        "tmp": os.environ.get("TMPDIR"),
        "cwd": os.getcwd(),
        "task_root": os.environ.get("LAMBDA_TASK_ROOT"),
        "exec_env": os.environ.get("AWS_EXECUTION_ENV"),
        "tz": os.environ.get("TZ"),
    }
def boom(event, context):
    raise ValueError("boom")
def die(event, context):
    print("about to exit")
    os._exit(1)
def hang(event, context):
    import time
    time.sleep(30)
def big(event, context):
    return "x" * (7 * 1024 * 1024)
def chatty(event, context):
    line = "y" * 1023
    for _ in range(10 * 1024):
        print(line)
    return "done"
def hog(event, context):
    blocks = []
    for _ in range(64):
        blocks.append(bytearray(16 * 1024 * 1024))
    return len(blocks)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_python_handler_env_warm_reuse_and_logs() {
    let py = need!("python3");
    let e = env();
    let dir = code(&e, "pyfn", &[("app.py", PY_COUNTER)]);
    let s = spec(&dir, "python3.12", "app.handler", 3);
    let first = input(r#"{"k": 1}"#);
    let rid = first.request_id.clone();
    let o = e.manager.invoke(&s, first).await.unwrap();
    assert_eq!(
        o.function_error,
        None,
        "{}",
        String::from_utf8_lossy(&o.payload)
    );
    let v = json_of(&o);
    assert_eq!(v["count"], 1);
    assert_eq!(v["event"], json!({"k": 1}));
    assert_eq!(v["function_name"], "pyfn");
    assert_eq!(v["version"], "$LATEST");
    assert_eq!(v["memory"], "256");
    assert_eq!(v["request_id"], rid.as_str());
    assert_eq!(
        v["arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:pyfn"
    );
    assert!(v["remaining"].as_u64().unwrap() > 2000 && v["remaining"].as_u64().unwrap() <= 3000);
    assert_eq!(v["greeting"], "hello");
    assert_eq!(v["endpoint"], "http://127.0.0.1:4566");
    let task = task_root(&e, &dir);
    assert_eq!(v["cwd"], task);
    assert_eq!(v["task_root"], task);
    assert_eq!(v["exec_env"], "AWS_Lambda_python3.12");
    assert_eq!(v["tz"], ":UTC");
    assert!(v["tmp"].as_str().unwrap().ends_with("/tmp"));
    let stream = v["stream"].as_str().unwrap();
    assert!(
        stream.len() == "2024/01/02/[$LATEST]".len() + 32 && stream[10..].starts_with("/[$LATEST]"),
        "{stream}"
    );
    assert!(o.init_duration_ms.is_some());
    let tail = o.log_tail.unwrap();
    assert!(
        tail.contains(&format!("START RequestId: {rid} Version: $LATEST")),
        "{tail}"
    );
    assert!(tail.contains("invocation 1 event {\"k\": 1}"), "{tail}");
    assert!(tail.contains(&format!("END RequestId: {rid}")), "{tail}");
    assert!(
        tail.contains(&format!("REPORT RequestId: {rid}\tDuration: "))
            && tail.contains("\tInit Duration: ")
    );
    assert!(
        tail.contains("\tMemory Size: 256 MB\tMax Memory Used: "),
        "{tail}"
    );

    // warm: the module-level counter survives, no init this time
    let o2 = e.manager.invoke(&s, input("{}")).await.unwrap();
    assert_eq!(json_of(&o2)["count"], 2);
    assert_eq!(o2.init_duration_ms, None);
    assert!(o2.max_memory_used_mb > 0);
    assert_eq!(e.manager.live_sandboxes(), 1);

    // a new revision never reuses the old environment
    let mut s2 = s.clone();
    s2.revision = "r2".into();
    let o3 = e.manager.invoke(&s2, input("{}")).await.unwrap();
    assert_eq!(json_of(&o3)["count"], 1);

    let (cold, p50, p99) =
        measure(&e.manager, &spec(&dir, "python3.12", "app.handler", 3), 50).await;
    println!("python ({py}): cold start {cold:.1} ms, warm invoke p50 {p50:.2} ms p99 {p99:.2} ms");

    // the log stream got START, the function's line, END and REPORT, in that order
    tokio::time::sleep(Duration::from_millis(400)).await;
    let msgs = e.logs.messages();
    let pos = |needle: &str| {
        msgs.iter()
            .position(|m| m.contains(needle))
            .unwrap_or_else(|| panic!("no {needle}"))
    };
    let (a, b, c, d) = (
        pos(&format!("START RequestId: {rid}")),
        pos("invocation 1 event"),
        pos(&format!("END RequestId: {rid}")),
        pos(&format!("REPORT RequestId: {rid}")),
    );
    assert!(a < b && b < c && c < d);
    let (sref, _) = e.logs.0.lock().unwrap()[a].clone();
    assert_eq!(sref.group, "/aws/lambda/pyfn");
    assert_eq!(sref.stream, stream);
    e.manager.shutdown().await;
    assert_eq!(e.manager.live_sandboxes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_python_errors_as_aws_formats_them() {
    need!("python3");
    let e = env();
    let dir = code(&e, "pyerr", &[("app.py", PY_COUNTER)]);
    let s = spec(&dir, "python3.12", "app.boom", 3);
    let inp = input("{}");
    let rid = inp.request_id.clone();
    let o = e.manager.invoke(&s, inp).await.unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    let v = json_of(&o);
    assert_eq!(v["errorMessage"], "boom");
    assert_eq!(v["errorType"], "ValueError");
    assert_eq!(v["requestId"], rid.as_str());
    let st = v["stackTrace"].as_array().unwrap();
    assert!(
        st.iter()
            .any(|f| f.as_str().unwrap().contains("raise ValueError(\"boom\")")),
        "{st:?}"
    );
    assert!(
        !st.iter()
            .any(|f| f.as_str().unwrap().contains("python_bootstrap")),
        "{st:?}"
    );
    let tail = o.log_tail.unwrap();
    assert!(tail.contains("[ERROR] ValueError: boom"), "{tail}");
    // the environment stays warm after a handled error
    let o2 = e.manager.invoke(&s, input("{}")).await.unwrap();
    assert_eq!(o2.init_duration_ms, None);

    // missing module: an init error
    let s = spec(&dir, "python3.12", "missing.handler", 3);
    let o = e.manager.invoke(&s, input("{}")).await.unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    let v = json_of(&o);
    assert_eq!(v["errorType"], "Runtime.ImportModuleError");
    assert_eq!(
        v["errorMessage"],
        "Unable to import module 'missing': No module named 'missing'"
    );
    assert_eq!(v["requestId"], "");
    assert!(o.log_tail.unwrap().contains("INIT_REPORT Init Duration: "));

    // missing function: at invoke time, as AWS's runtime does
    let s = spec(&dir, "python3.12", "app.nope", 3);
    let v = json_of(&e.manager.invoke(&s, input("{}")).await.unwrap());
    assert_eq!(v["errorType"], "Runtime.HandlerNotFound");
    assert_eq!(v["errorMessage"], "Handler 'nope' missing on module 'app'");

    // boto3 missing for the interpreter: the log says what to do
    let dir = code(
        &e,
        "pyboto",
        &[
            (
                "boto3/__init__.py",
                "raise ModuleNotFoundError(\"No module named 'boto3'\", name='boto3')\n",
            ),
            ("app.py", "import boto3\ndef handler(e, c):\n    return 1\n"),
        ],
    );
    let o = e
        .manager
        .invoke(&spec(&dir, "python3.12", "app.handler", 3), input("{}"))
        .await
        .unwrap();
    assert_eq!(json_of(&o)["errorType"], "Runtime.ImportModuleError");
    let tail = o.log_tail.unwrap();
    assert!(
        tail.contains("boto3 is not available to the Python interpreter")
            && tail.contains("pip install boto3"),
        "{tail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_python_exit_timeout_large_and_chatty() {
    need!("python3");
    let e = env();
    let dir = code(&e, "pyfault", &[("app.py", PY_COUNTER)]);

    // exits mid-invocation
    let inp = input("{}");
    let rid = inp.request_id.clone();
    let o = e
        .manager
        .invoke(&spec(&dir, "python3.12", "app.die", 3), inp)
        .await
        .unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json_of(&o),
        json!({"errorType": "Runtime.ExitError", "errorMessage": format!("RequestId: {rid} Error: Runtime exited with error: exit status 1")})
    );
    let tail = o.log_tail.unwrap();
    assert!(
        tail.contains("about to exit")
            && tail.contains("\tStatus: error\tError Type: Runtime.ExitError"),
        "{tail}"
    );

    // hangs past a 1 s timeout
    let inp = input("{}");
    let rid = inp.request_id.clone();
    let t = Instant::now();
    let o = e
        .manager
        .invoke(&spec(&dir, "python3.12", "app.hang", 1), inp)
        .await
        .unwrap();
    let took = t.elapsed();
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    let v = json_of(&o);
    let msg = v["errorMessage"].as_str().unwrap();
    assert_eq!(v.as_object().unwrap().len(), 1);
    assert!(
        msg.ends_with(&format!(" {rid} Task timed out after 1.00 seconds")),
        "{msg}"
    );
    assert_eq!(msg.find('Z'), Some(23), "{msg}");
    assert!(o.log_tail.unwrap().contains("\tStatus: timeout"));
    assert!(o.duration_ms >= 1000.0);

    // a 7 MB response
    let s = spec(&dir, "python3.12", "app.big", 3);
    let o = e.manager.invoke(&s, input("{}")).await.unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json_of(&o),
        json!({
            "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
            "errorType": "Function.ResponseSizeTooLarge"
        })
    );
    // the environment survives it
    let o = e.manager.invoke(&s, input("{}")).await.unwrap();
    assert_eq!(o.init_duration_ms, None);

    // 10 MB of logs: the invocation completes, memory stays bounded, the tail is 4 KB
    let t = Instant::now();
    let o = e
        .manager
        .invoke(&spec(&dir, "python3.12", "app.chatty", 30), input("{}"))
        .await
        .unwrap();
    println!(
        "python printing 10 MB of logs: {:.0} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(
        o.function_error,
        None,
        "{}",
        String::from_utf8_lossy(&o.payload)
    );
    assert_eq!(&o.payload[..], b"\"done\"");
    let tail = o.log_tail.unwrap();
    assert!(
        tail.len() <= 4096 && tail.contains("REPORT RequestId"),
        "{}",
        tail.len()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let logged: usize = e.logs.messages().iter().map(String::len).sum();
    assert!(logged >= 8 * 1024 * 1024, "logged {logged}");

    // and Lamina keeps serving
    let v = json_of(
        &e.manager
            .invoke(&spec(&dir, "python3.12", "app.handler", 3), input("{}"))
            .await
            .unwrap(),
    );
    assert_eq!(v["count"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_python_memory_limit() {
    need!("python3");
    let e = env();
    let cg = &e.manager.isolation()["cgroups"];
    if cg["memory"] != json!(true) {
        eprintln!("SKIPPED: no memory cgroup on this host: {cg}");
        return;
    }
    let dir = code(&e, "pyhog", &[("app.py", PY_COUNTER)]);
    let mut s = spec(&dir, "python3.12", "app.hog", 10);
    s.memory_mb = 128;
    let inp = input("{}");
    let rid = inp.request_id.clone();
    let o = e.manager.invoke(&s, inp).await.unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json_of(&o),
        json!({"errorType": "Runtime.OutOfMemory", "errorMessage": format!("RequestId: {rid} Error: Runtime exited with error: signal: killed")})
    );
    assert!(
        o.max_memory_used_mb >= 120 && o.max_memory_used_mb <= 129,
        "{}",
        o.max_memory_used_mb
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_node_handlers() {
    let node = need!("node");
    let e = env();
    let dir = code(
        &e,
        "nodefn",
        &[
            (
                "index.js",
                "let count = 0;\nexports.handler = async (event, context) => {\n  count += 1;\n  console.log('hello', \
                 event);\n  return { count, name: context.functionName, id: context.awsRequestId, left: \
                 context.getRemainingTimeInMillis(), path: process.env.NODE_PATH };\n};\nexports.cb = (event, \
                 context, callback) => { setTimeout(() => callback(null, { via: 'callback' }), 5); };\nexports.fail = \
                 async () => { throw new TypeError('bad thing'); };\n",
            ),
            (
                "esm.mjs",
                "export const handler = async (event) => ({ esm: true, event });\n",
            ),
        ],
    );
    let inp = input(r#"{"a": 1}"#);
    let rid = inp.request_id.clone();
    let o = e
        .manager
        .invoke(&spec(&dir, "nodejs20.x", "index.handler", 3), inp)
        .await
        .unwrap();
    assert_eq!(
        o.function_error,
        None,
        "{}",
        String::from_utf8_lossy(&o.payload)
    );
    let v = json_of(&o);
    assert_eq!(v["count"], 1);
    assert_eq!(v["name"], "nodefn");
    assert_eq!(v["id"], rid.as_str());
    assert!(
        v["path"]
            .as_str()
            .unwrap()
            .contains("/opt/nodejs/node_modules")
    );
    let tail = o.log_tail.unwrap();
    assert!(
        tail.contains(&format!("\t{rid}\tINFO\thello {{ a: 1 }}")),
        "{tail}"
    );
    let v = json_of(
        &e.manager
            .invoke(&spec(&dir, "nodejs20.x", "index.handler", 3), input("{}"))
            .await
            .unwrap(),
    );
    assert_eq!(v["count"], 2);

    let v = json_of(
        &e.manager
            .invoke(&spec(&dir, "nodejs20.x", "index.cb", 3), input("{}"))
            .await
            .unwrap(),
    );
    assert_eq!(v, json!({"via": "callback"}));

    let o = e
        .manager
        .invoke(&spec(&dir, "nodejs20.x", "index.fail", 3), input("{}"))
        .await
        .unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    let v = json_of(&o);
    assert_eq!(v["errorType"], "TypeError");
    assert_eq!(v["errorMessage"], "bad thing");
    assert!(
        v["trace"][0]
            .as_str()
            .unwrap()
            .starts_with("TypeError: bad thing")
    );

    let v = json_of(
        &e.manager
            .invoke(&spec(&dir, "nodejs20.x", "esm.handler", 3), input("[1]"))
            .await
            .unwrap(),
    );
    assert_eq!(v, json!({"esm": true, "event": [1]}));

    let v = json_of(
        &e.manager
            .invoke(&spec(&dir, "nodejs20.x", "index.nope", 3), input("{}"))
            .await
            .unwrap(),
    );
    assert_eq!(v["errorType"], "Runtime.HandlerNotFound");
    assert_eq!(v["errorMessage"], "index.nope is undefined or not exported");

    let (cold, p50, p99) = measure(
        &e.manager,
        &spec(&dir, "nodejs22.x", "index.handler", 3),
        50,
    )
    .await;
    println!("node ({node}): cold start {cold:.1} ms, warm invoke p50 {p50:.2} ms p99 {p99:.2} ms");
}

/// A custom runtime written against the Runtime API directly, which also probes the API's
/// answers to wrong requests.
const PROVIDED: &str = r#"
import json, os, urllib.request, urllib.error
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
def post(path, body, headers=None):
    req = urllib.request.Request(api + path, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
count = 0
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        headers = {k: r.headers[k] for k in ("Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id")}
        event = json.loads(r.read())
    count += 1
    if event.get("fail"):
        post("/invocation/" + rid + "/error", json.dumps({"errorMessage": "custom", "errorType": "MyError", "stackTrace": []}).encode(), {"Lambda-Runtime-Function-Error-Type": "MyError"})
        continue
    if event.get("noop"):
        post("/invocation/" + rid + "/response", b"null")
        continue
    wrong = post("/invocation/not-the-id/response", b"{}")
    late_init = post("/init/error", b"{}")
    out = {"count": count, "headers": headers, "wrong": wrong, "late_init": late_init}
    first = post("/invocation/" + rid + "/response", json.dumps(out).encode())
    again = post("/invocation/" + rid + "/response", b"{}")
    print("first", first, "again", again, flush=True)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_provided_bootstrap_and_runtime_api() {
    let Some(py) = python_exe() else {
        eprintln!("SKIPPED: python3 is not installed on this host");
        return;
    };
    let e = env();
    let script = format!("#!{py}\n{PROVIDED}");
    let dir = code(&e, "custom", &[("bootstrap", &script)]);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("bootstrap"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let s = spec(&dir, "provided.al2023", "unused", 3);
    let before = lamina_core::now_epoch_millis();
    let o = e.manager.invoke(&s, input("{}")).await.unwrap();
    assert_eq!(
        o.function_error,
        None,
        "{}",
        String::from_utf8_lossy(&o.payload)
    );
    let v = json_of(&o);
    assert_eq!(v["count"], 1);
    let deadline: u64 = v["headers"]["Lambda-Runtime-Deadline-Ms"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(deadline >= before + 3000 && deadline < before + 6000);
    assert_eq!(
        v["headers"]["Lambda-Runtime-Invoked-Function-Arn"],
        s.invoked_arn.as_str()
    );
    assert!(
        v["headers"]["Lambda-Runtime-Trace-Id"]
            .as_str()
            .unwrap()
            .starts_with("Root=1-")
    );
    assert_eq!(
        v["wrong"],
        json!([400, {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}])
    );
    assert_eq!(v["late_init"][0], 403);
    assert_eq!(v["late_init"][1]["errorType"], "InvalidStateTransition");
    let o = e
        .manager
        .invoke(&s, input(r#"{"noop": true}"#))
        .await
        .unwrap();
    assert_eq!(&o.payload[..], b"null");
    let o = e
        .manager
        .invoke(&s, input(r#"{"fail": true}"#))
        .await
        .unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        json_of(&o),
        json!({"errorMessage": "custom", "errorType": "MyError", "stackTrace": []})
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let msgs = e.logs.messages();
    assert!(
        // the first answer was accepted, the second refused
        msgs.iter()
            .any(|m| m.starts_with("first (202, {'status': 'OK'}) again (403, {'errorMessage':")),
        "{msgs:?}"
    );

    // measured with the no-op path
    let mut noop = s.clone();
    noop.revision = "bench".into();
    let t = Instant::now();
    e.manager
        .invoke(&noop, input(r#"{"noop": true}"#))
        .await
        .unwrap();
    let cold = t.elapsed().as_secs_f64() * 1000.0;
    let mut warm = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        e.manager
            .invoke(&noop, input(r#"{"noop": true}"#))
            .await
            .unwrap();
        warm.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    warm.sort_by(f64::total_cmp);
    println!(
        "provided (python script bootstrap): cold start {cold:.1} ms, warm invoke p50 {:.2} ms p99 {:.2} ms",
        warm[100], warm[198]
    );

    // no bootstrap at all
    let empty = code(&e, "empty", &[("README", "nothing")]);
    let inp = input("{}");
    let rid = inp.request_id.clone();
    let o = e
        .manager
        .invoke(&spec(&empty, "provided.al2", "x", 3), inp)
        .await
        .unwrap();
    // inside a mount namespace the task root is /var/task, as on AWS
    let task = task_root(&e, &empty);
    assert_eq!(
        json_of(&o),
        json!({
            "errorMessage": format!("RequestId: {rid} Error: Couldn't find valid bootstrap(s): [{task}/bootstrap /opt/bootstrap]"),
            "errorType": "Runtime.InvalidEntrypoint"
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_idle_reaping_and_isolation_report() {
    need!("python3");
    let e = env_with(Duration::from_millis(200));
    let dir = code(&e, "pyidle", &[("app.py", PY_COUNTER)]);
    let s = spec(&dir, "python3.12", "app.handler", 3);
    e.manager.invoke(&s, input("{}")).await.unwrap();
    assert_eq!(e.manager.live_sandboxes(), 1);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(e.manager.live_sandboxes(), 0);
    let o = e.manager.invoke(&s, input("{}")).await.unwrap();
    assert!(o.init_duration_ms.is_some());
    let iso = e.manager.isolation();
    println!("isolation: {iso}");
    assert!(iso["cgroups"]["active"].is_boolean());
    assert_eq!(iso["process_group"], true);
}

/// What a function sees of its sandbox: its pid, /proc, the root and task root (read-only),
/// /tmp (private, empty at start), /opt, and denied syscalls.
const PY_ISOLATION: &str = r#"
import ctypes, os, platform, subprocess

libc = ctypes.CDLL(None, use_errno=True)

def write_errno(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return 0
    except OSError as e:
        return e.errno

def call_errno(fn, *args):
    ctypes.set_errno(0)
    rc = fn(*args)
    return 0 if rc == 0 else ctypes.get_errno()

def handler(event, context):
    tmp_before = sorted(os.listdir("/tmp"))
    with open("/tmp/mine", "w") as f:
        f.write(event.get("mark", ""))
    return {
        "pid": os.getpid(),
        "procs": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "cwd": os.getcwd(),
        "task_root": os.environ["LAMBDA_TASK_ROOT"],
        "tmp_before": tmp_before,
        "tmp_after": sorted(os.listdir("/tmp")),
        "root_write": write_errno("/lamina-escape"),
        "etc_write": write_errno("/etc/lamina-escape"),
        "task_write": write_errno(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "new.py")),
        "opt": sorted(os.listdir("/opt")) if os.path.isdir("/opt") else None,
        "opt_python": sorted(os.listdir("/opt/python")),
        "helper": open("/opt/python/helper.py").read(),
        "opt_write": write_errno("/opt/python/new.py"),
        "mount": call_errno(libc.mount, b"none", b"/mnt", b"tmpfs", 0, None),
        "umount": call_errno(libc.umount2, b"/proc", 2),
        "reboot": call_errno(libc.reboot, 0x4321FEDC),
        "swapon": call_errno(libc.swapon, b"/tmp/mine", 0),
        "ptrace": ptrace_child(),
        "keyctl": call_errno(libc.syscall, KEYCTL, 0, 0, 0, 0),
    }

KEYCTL = 250 if platform.machine() == "x86_64" else 219

def ptrace_child():
    child = subprocess.Popen(["sleep", "5"])
    try:
        return call_errno(libc.ptrace, 16, child.pid, None, None)  # PTRACE_ATTACH
    finally:
        child.kill()
        child.wait()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_isolation_layers() {
    need!("python3");
    let e = env();
    let iso = e.manager.isolation();
    println!("isolation: {iso}");
    if iso["namespaces"]["active"] != true || iso["seccomp"]["active"] != true {
        // an unprivileged host without user namespaces: the report must say why
        assert!(
            iso["namespaces"]["reason"].is_string() || iso["seccomp"]["reason"].is_string(),
            "{iso}"
        );
        eprintln!("skipped: isolation layers not available here: {iso}");
        return;
    }
    assert_eq!(iso["read_only_root"], true);
    assert!(
        iso["seccomp"]["denied"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "mount")
    );
    let dir = code(&e, "pyiso", &[("app.py", PY_ISOLATION)]);
    // two layers: merged at /opt, the later one wins
    let layer1 = code(
        &e,
        "layer1",
        &[("python/helper.py", "X = 1\n"), ("python/a.py", "")],
    );
    let layer2 = code(
        &e,
        "layer2",
        &[("python/helper.py", "X = 2\n"), ("python/b.py", "")],
    );
    let mut s = spec(&dir, "python3.12", "app.handler", 5);
    s.layer_dirs = vec![layer1, layer2];
    let o = e
        .manager
        .invoke(&s, input(r#"{"mark": "first"}"#))
        .await
        .unwrap();
    assert_eq!(o.function_error, None, "{:?}", o.log_tail);
    let v = json_of(&o);
    println!("{v:#}");
    assert_eq!(v["pid"], 1, "the runtime is pid 1 of its namespace");
    assert_eq!(v["procs"], json!([1]), "only its own processes are visible");
    assert_eq!(v["task_root"], "/var/task");
    assert_eq!(v["cwd"], "/var/task");
    assert_eq!(v["tmp_before"], json!([]), "/tmp is empty at start");
    assert_eq!(v["tmp_after"], json!(["mine"]));
    for k in ["root_write", "etc_write", "task_write"] {
        assert_eq!(v[k], 30, "{k}: EROFS expected");
    }
    assert_eq!(v["opt"], json!(["python"]), "the layers are at /opt");
    assert_eq!(v["opt_python"], json!(["a.py", "b.py", "helper.py"]));
    assert_eq!(v["helper"], "X = 2\n");
    assert_eq!(v["opt_write"], 30, "/opt is read-only");
    for k in ["mount", "umount", "reboot", "swapon", "ptrace", "keyctl"] {
        assert_eq!(v[k], 1, "{k}: EPERM expected");
    }
    // warm: same sandbox, same /tmp
    let o = e.manager.invoke(&s, input("{}")).await.unwrap();
    assert_eq!(json_of(&o)["tmp_before"], json!(["mine"]));
    // a second environment (concurrent) has its own empty /tmp
    let (a, b) = tokio::join!(
        e.manager.invoke(&s, input("{}")),
        e.manager.invoke(&s, input("{}"))
    );
    let before: Vec<Value> = [a.unwrap(), b.unwrap()]
        .iter()
        .map(|o| json_of(o)["tmp_before"].clone())
        .collect();
    assert!(before.contains(&json!([])), "{before:?}");
    // nothing the function wrote reached the host's /tmp or root
    assert!(!Path::new("/lamina-escape").exists());
    assert!(!Path::new("/tmp/mine").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_isolation_failure_falls_back_and_is_reported() {
    need!("python3");
    let e = env();
    if e.manager.isolation()["namespaces"]["active"] != true {
        eprintln!("skipped: no namespaces on this host");
        return;
    }
    // overlayfs cannot take a layer path with ':' — the sandbox must still run, without
    // namespaces from then on, and the health report must say why
    let dir = code(
        &e,
        "pyfallback",
        &[(
            "app.py",
            "import os\ndef handler(event, context):\n    return {'pid': os.getpid(), 'task_root': os.environ['LAMBDA_TASK_ROOT']}\n",
        )],
    );
    let l1 = code(&e, "odd:layer", &[("python/helper.py", "X = 1\n")]);
    let l2 = code(&e, "layer2", &[("python/helper.py", "X = 2\n")]);
    let mut s = spec(&dir, "python3.12", "app.handler", 5);
    s.layer_dirs = vec![l1, l2];
    let o = e.manager.invoke(&s, input("{}")).await.unwrap();
    assert_eq!(o.function_error, None, "{:?}", o.log_tail);
    let v = json_of(&o);
    assert_ne!(v["pid"], 1, "runs without a pid namespace now");
    assert_eq!(v["task_root"], dir.display().to_string());
    let iso = e.manager.isolation();
    assert_eq!(iso["namespaces"]["active"], false, "{iso}");
    assert!(
        iso["namespaces"]["reason"]
            .as_str()
            .unwrap()
            .contains("layer path"),
        "{iso}"
    );
    assert_eq!(iso["seccomp"]["active"], true, "{iso}");
}
