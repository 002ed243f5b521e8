//! The persisted records (JSON with `"v": 1`) and how a configuration is rendered in the
//! canonical form of the model's `FunctionConfiguration` shape.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Format version of every record.
pub const FORMAT: u32 = 1;

fn format() -> u32 {
    FORMAT
}

/// One layer a function references.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LayerRef {
    pub arn: String,
    pub code_size: u64,
    /// sha256 hex of the layer's package (its key in `lambda.code`).
    pub code_key: String,
}

/// The configuration of `$LATEST` or of a published version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Config {
    #[serde(default = "format")]
    pub v: u32,
    pub name: String,
    /// `$LATEST` or the version number.
    pub version: String,
    pub description: String,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub role: String,
    pub memory_size: u32,
    pub timeout: u32,
    pub environment: Option<BTreeMap<String, String>>,
    pub layers: Vec<LayerRef>,
    pub ephemeral_storage: u32,
    pub tracing_mode: String,
    pub dead_letter_target: Option<String>,
    pub kms_key_arn: Option<String>,
    pub architectures: Vec<String>,
    pub package_type: String,
    pub logging_config: Option<Value>,
    /// Base64 sha256 of the zip, as AWS reports it.
    pub code_sha256: String,
    pub code_size: u64,
    /// sha256 hex: the package's key in `lambda.code`.
    pub code_key: String,
    pub revision_id: String,
    /// `2024-01-02T03:04:05.000+0000`.
    pub last_modified: String,
}

impl Config {
    /// What PublishVersion compares to decide whether `$LATEST` changed since the last
    /// version: everything except identity, revision and time.
    pub fn publish_fingerprint(&self) -> String {
        let mut c = self.clone();
        c.version = String::new();
        c.revision_id = String::new();
        c.last_modified = String::new();
        c.description = String::new();
        serde_json::to_string(&c).unwrap_or_default()
    }
}

/// Asynchronous invocation options of one qualifier.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventInvokeConfig {
    pub maximum_retry_attempts: Option<u32>,
    pub maximum_event_age_in_seconds: Option<u32>,
    pub destination_config: Option<Value>,
    /// Epoch seconds.
    pub last_modified: f64,
}

/// The function: `$LATEST` plus what belongs to the function as a whole.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FunctionRecord {
    #[serde(default = "format")]
    pub v: u32,
    pub latest: Config,
    pub tags: BTreeMap<String, String>,
    pub reserved_concurrency: Option<u32>,
    /// The number the next published version gets.
    pub next_version: u64,
    /// Fingerprint and number of the last published version.
    pub last_published: Option<(String, String)>,
    /// By qualifier (`$LATEST`, a version, an alias).
    pub event_invoke_configs: BTreeMap<String, EventInvokeConfig>,
}

/// An alias.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AliasRecord {
    #[serde(default = "format")]
    pub v: u32,
    pub name: String,
    pub function_version: String,
    pub description: String,
    /// Additional version → weight.
    pub weights: BTreeMap<String, f64>,
    pub revision_id: String,
}

/// One statement of a resource policy, stored as rendered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PolicyRecord {
    #[serde(default = "format")]
    pub v: u32,
    pub statements: Vec<Value>,
    pub revision_id: String,
}

/// A layer version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LayerVersionRecord {
    #[serde(default = "format")]
    pub v: u32,
    pub layer_name: String,
    pub version: u64,
    pub description: String,
    pub created_date: String,
    pub compatible_runtimes: Vec<String>,
    pub compatible_architectures: Vec<String>,
    pub license_info: Option<String>,
    pub code_sha256: String,
    pub code_size: u64,
    pub code_key: String,
}

/// The per-layer counter, so deleted version numbers are never reused.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LayerHead {
    #[serde(default = "format")]
    pub v: u32,
    pub next_version: u64,
}

/// How a configuration is rendered: state fields differ right after a create or update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The answer of CreateFunction: `State: Pending`.
    Creating,
    /// The answer of UpdateFunctionCode/Configuration: `LastUpdateStatus: InProgress`.
    Updating,
    /// Every later read: `Active`, `Successful`.
    Settled,
}

/// `FunctionConfiguration` in canonical form.
pub fn render_config(c: &Config, function_arn: &str, phase: Phase) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("FunctionName", json!(c.name));
    let arn = if c.version == "$LATEST" {
        function_arn.to_string()
    } else {
        format!("{function_arn}:{}", c.version)
    };
    put("FunctionArn", json!(arn));
    if let Some(r) = &c.runtime {
        put("Runtime", json!(r));
    }
    put("Role", json!(c.role));
    if let Some(h) = &c.handler {
        put("Handler", json!(h));
    }
    put("CodeSize", json!(c.code_size));
    put("Description", json!(c.description));
    put("Timeout", json!(c.timeout));
    put("MemorySize", json!(c.memory_size));
    put("LastModified", json!(c.last_modified));
    put("CodeSha256", json!(c.code_sha256));
    put("Version", json!(c.version));
    if let Some(env) = &c.environment {
        put("Environment", json!({ "Variables": env }));
    }
    if let Some(k) = &c.kms_key_arn {
        put("KMSKeyArn", json!(k));
    }
    put("TracingConfig", json!({ "Mode": c.tracing_mode }));
    if let Some(t) = &c.dead_letter_target {
        put("DeadLetterConfig", json!({ "TargetArn": t }));
    }
    put("RevisionId", json!(c.revision_id));
    if !c.layers.is_empty() {
        let layers: Vec<Value> = c
            .layers
            .iter()
            .map(|l| json!({ "Arn": l.arn, "CodeSize": l.code_size }))
            .collect();
        put("Layers", Value::Array(layers));
    }
    match phase {
        Phase::Creating => {
            put("State", json!("Pending"));
            put("StateReason", json!("The function is being created."));
            put("StateReasonCode", json!("Creating"));
        }
        Phase::Updating => {
            put("State", json!("Active"));
            put("LastUpdateStatus", json!("InProgress"));
            put(
                "LastUpdateStatusReason",
                json!("The function is being created."),
            );
            put("LastUpdateStatusReasonCode", json!("Creating"));
        }
        Phase::Settled => {
            put("State", json!("Active"));
            put("LastUpdateStatus", json!("Successful"));
        }
    }
    put("PackageType", json!(c.package_type));
    put("Architectures", json!(c.architectures));
    put("EphemeralStorage", json!({ "Size": c.ephemeral_storage }));
    put(
        "SnapStart",
        json!({ "ApplyOn": "None", "OptimizationStatus": "Off" }),
    );
    let logging = c.logging_config.clone().unwrap_or_else(
        || json!({ "LogFormat": "Text", "LogGroup": format!("/aws/lambda/{}", c.name) }),
    );
    put("LoggingConfig", logging);
    Value::Object(m)
}

/// `AliasConfiguration` in canonical form.
pub fn render_alias(a: &AliasRecord, function_arn: &str) -> Value {
    let mut v = json!({
        "AliasArn": format!("{function_arn}:{}", a.name),
        "Name": a.name,
        "FunctionVersion": a.function_version,
        "Description": a.description,
        "RevisionId": a.revision_id,
    });
    if !a.weights.is_empty() {
        v["RoutingConfig"] = json!({ "AdditionalVersionWeights": a.weights });
    }
    v
}

/// `2024-01-02T03:04:05.000+0000` from epoch milliseconds (Lambda's `LastModified`).
pub fn format_timestamp(millis: u64) -> String {
    let secs = millis / 1000;
    let ms = millis % 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}+0000",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Now, in Lambda's timestamp format.
pub fn now() -> String {
    format_timestamp(lamina_core::now_epoch_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_lambdas_format() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00.000+0000");
        // 2024-02-29T13:45:30.123Z (a leap day)
        assert_eq!(
            format_timestamp(1_709_214_330_123),
            "2024-02-29T13:45:30.123+0000"
        );
        assert_eq!(
            format_timestamp(1_704_164_645_000),
            "2024-01-02T03:04:05.000+0000"
        );
    }
}
