//! How each way an invocation ends looks to the caller and in the log, in AWS's words.

use super::api::MAX_PAYLOAD;
use super::instance::Fault;
use bytes::Bytes;
use serde_json::{Value, json};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// The caller's view of a failure: payload, the error type for the REPORT line, the lines
/// Lamina adds to the log, and whether the sandbox may be reused.
pub(crate) struct Failure {
    pub(crate) payload: Bytes,
    pub(crate) error_type: String,
    pub(crate) log_lines: Vec<String>,
    pub(crate) status: &'static str,
    pub(crate) keep: bool,
}

/// Go's `ExitError` text, which is what AWS prints: `exit status 1`, `signal: killed`.
pub(crate) fn exit_text(status: Option<ExitStatus>) -> String {
    let Some(s) = status else {
        return "signal: killed".into();
    };
    if let Some(code) = s.code() {
        return format!("exit status {code}");
    }
    let sig = s.signal().unwrap_or(0);
    let name = match sig {
        1 => "hangup",
        2 => "interrupt",
        3 => "quit",
        4 => "illegal instruction",
        6 => "aborted",
        7 => "bus error",
        8 => "floating point exception",
        9 => "killed",
        11 => "segmentation fault",
        13 => "broken pipe",
        15 => "terminated",
        _ => return format!("signal: signal {sig}"),
    };
    format!("signal: {name}")
}

fn body(v: Value) -> Bytes {
    Bytes::from(v.to_string())
}

/// `Task timed out after 3.00 seconds`, stamped as AWS stamps it.
pub(crate) fn timeout(request_id: &str, timeout_secs: f64) -> Failure {
    let msg = format!(
        "{} {request_id} Task timed out after {timeout_secs:.2} seconds",
        super::logs::rfc3339_millis(lamina_core::now_epoch_millis())
    );
    Failure {
        payload: body(json!({ "errorMessage": msg })),
        error_type: "Sandbox.Timedout".into(),
        log_lines: vec![msg],
        status: "timeout",
        keep: false,
    }
}

/// The runtime process ended without answering.
pub(crate) fn exited(request_id: &str, status: Option<ExitStatus>, oom: bool) -> Failure {
    let error_type = if oom {
        "Runtime.OutOfMemory"
    } else {
        "Runtime.ExitError"
    };
    let msg = match status {
        Some(s) if s.success() => {
            format!("RequestId: {request_id} Error: Runtime exited without providing a reason")
        }
        _ => format!(
            "RequestId: {request_id} Error: Runtime exited with error: {}",
            exit_text(status)
        ),
    };
    Failure {
        payload: body(json!({ "errorType": error_type, "errorMessage": msg })),
        error_type: error_type.into(),
        log_lines: vec![msg, error_type.into()],
        status: "error",
        keep: false,
    }
}

/// A response past 6 MB. AWS's message names the limit, not the size (`size` is for the log).
pub(crate) fn too_large(size: usize) -> Failure {
    tracing::debug!(size, "function response over the limit");
    let msg = format!(
        "Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes)."
    );
    Failure {
        payload: body(json!({ "errorMessage": msg, "errorType": "Function.ResponseSizeTooLarge" })),
        error_type: "Function.ResponseSizeTooLarge".into(),
        log_lines: Vec::new(),
        status: "error",
        keep: true,
    }
}

/// No bootstrap, or it cannot be executed.
pub(crate) fn invalid_entrypoint(request_id: &str, msg: &str) -> Failure {
    let m = format!("RequestId: {request_id} Error: {msg}");
    Failure {
        payload: body(json!({ "errorMessage": m, "errorType": "Runtime.InvalidEntrypoint" })),
        error_type: "Runtime.InvalidEntrypoint".into(),
        log_lines: vec![m, "Runtime.InvalidEntrypoint".into()],
        status: "error",
        keep: false,
    }
}

/// The error type of a posted error: the header, else the body's `errorType`.
fn error_type_of(body: &[u8], header: Option<String>) -> (Option<Value>, String) {
    let parsed = serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object);
    let from_body = parsed
        .as_ref()
        .and_then(|v| v.get("errorType"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let t = header
        .filter(|h| !h.is_empty())
        .or(from_body)
        .unwrap_or_else(|| "Runtime.Unknown".into());
    (parsed, t)
}

/// The runtime's `/init/error`: the body it posted is what the caller gets.
pub(crate) fn init_error(body: Bytes, header: Option<String>) -> Failure {
    let (parsed, error_type) = error_type_of(&body, header);
    let payload = match parsed {
        Some(_) => body,
        None => self::body(json!({
            "errorMessage": String::from_utf8_lossy(&body),
            "errorType": error_type,
        })),
    };
    Failure {
        payload,
        error_type,
        log_lines: Vec::new(),
        status: "error",
        keep: false,
    }
}

/// The runtime's `/{id}/error`: the function failed; the environment stays warm.
pub(crate) fn function_error(body: Bytes, header: Option<String>) -> Failure {
    let mut f = init_error(body, header);
    f.keep = true;
    f
}

/// Maps a fault seen during init or invoke.
pub(crate) fn of_fault(fault: Fault, request_id: &str, timeout_secs: f64) -> Failure {
    match fault {
        Fault::InitError { body, error_type } => init_error(body, error_type),
        Fault::Exited { status, oom } => exited(request_id, status, oom),
        Fault::Timeout => timeout(request_id, timeout_secs),
        Fault::TooLarge { size } => too_large(size),
    }
}

/// The figures of one invocation, for the REPORT line.
pub(crate) struct Report<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) duration_ms: f64,
    pub(crate) billed_ms: u64,
    pub(crate) memory_mb: u32,
    pub(crate) max_memory_mb: u64,
    pub(crate) init_ms: Option<f64>,
    /// `timeout` or `error`, with the error type.
    pub(crate) status: Option<(&'a str, &'a str)>,
}

impl Report<'_> {
    pub(crate) fn line(&self) -> String {
        let mut s = format!(
            "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            self.request_id, self.duration_ms, self.billed_ms, self.memory_mb, self.max_memory_mb
        );
        if let Some(i) = self.init_ms {
            s.push_str(&format!("\tInit Duration: {i:.2} ms"));
        }
        match self.status {
            Some(("timeout", _)) => s.push_str("\tStatus: timeout"),
            Some((st, ty)) => s.push_str(&format!("\tStatus: {st}\tError Type: {ty}")),
            None => {}
        }
        s
    }
}

/// `INIT_REPORT Init Duration: 12.34 ms\tPhase: init\tStatus: error\tError Type: X`.
pub(crate) fn init_report(init_ms: f64, status: &str, error_type: &str) -> String {
    let mut s =
        format!("INIT_REPORT Init Duration: {init_ms:.2} ms\tPhase: init\tStatus: {status}");
    if status != "timeout" {
        s.push_str(&format!("\tError Type: {error_type}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_texts_as_go_prints_them() {
        assert_eq!(
            exit_text(Some(ExitStatus::from_raw(1 << 8))),
            "exit status 1"
        );
        assert_eq!(exit_text(Some(ExitStatus::from_raw(9))), "signal: killed");
        assert_eq!(
            exit_text(Some(ExitStatus::from_raw(11))),
            "signal: segmentation fault"
        );
    }

    #[test]
    fn report_line() {
        let r = Report {
            request_id: "id",
            duration_ms: 1.234,
            billed_ms: 2,
            memory_mb: 128,
            max_memory_mb: 30,
            init_ms: Some(5.0),
            status: Some(("error", "Runtime.ExitError")),
        };
        assert_eq!(
            r.line(),
            "REPORT RequestId: id\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: \
             30 MB\tInit Duration: 5.00 ms\tStatus: error\tError Type: Runtime.ExitError"
        );
    }

    #[test]
    fn payloads() {
        let t = timeout("abc", 3.0);
        let v: Value = serde_json::from_slice(&t.payload).unwrap();
        let m = v["errorMessage"].as_str().unwrap();
        assert!(
            m.ends_with("Z abc Task timed out after 3.00 seconds") && m.find('Z') == Some(23),
            "{m}"
        );
        let e = exited("abc", Some(ExitStatus::from_raw(1 << 8)), false);
        assert_eq!(
            &e.payload[..],
            br#"{"errorType":"Runtime.ExitError","errorMessage":"RequestId: abc Error: Runtime exited with error: exit status 1"}"#
        );
        let f = function_error(Bytes::from_static(b"not json"), Some("Oops".into()));
        assert_eq!(
            &f.payload[..],
            br#"{"errorMessage":"not json","errorType":"Oops"}"#
        );
        assert!(f.keep);
        let big = too_large(7 * 1024 * 1024);
        assert_eq!(
            &big.payload[..],
            br#"{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}"#
        );
    }
}
