//! The Rust view of a botocore `service-2.json`: only what the codecs and validation read.

use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Deserialize)]
pub struct Model {
    #[serde(skip)]
    pub name: &'static str,
    pub metadata: Metadata,
    /// Keyed by operation name.
    pub operations: HashMap<String, Operation>,
    pub shapes: HashMap<String, Shape>,
}

impl Model {
    pub fn parse(name: &'static str, text: &str) -> Result<Self, serde_json::Error> {
        let mut m: Model = serde_json::from_str(text)?;
        m.name = name;
        Ok(m)
    }

    /// Parses a model after applying a JSON merge patch (RFC 7386) to it.
    pub fn parse_patched(
        name: &'static str,
        text: &str,
        patch: &str,
    ) -> Result<Self, serde_json::Error> {
        let mut doc: Value = serde_json::from_str(text)?;
        let patch: Value = serde_json::from_str(patch)?;
        merge_patch(&mut doc, &patch);
        let mut m: Model = serde_json::from_value(doc)?;
        m.name = name;
        Ok(m)
    }

    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub api_version: String,
    pub endpoint_prefix: String,
    pub protocol: String,
    #[serde(default)]
    pub protocols: Vec<String>,
    #[serde(default)]
    pub json_version: Option<String>,
    #[serde(default)]
    pub target_prefix: Option<String>,
    #[serde(default)]
    pub signing_name: Option<String>,
    #[serde(default)]
    pub service_id: Option<String>,
    #[serde(default)]
    pub xml_namespace: Option<String>,
    /// Present (as `{}`) on JSON services that also answer the old query protocol (SQS).
    #[serde(default)]
    pub aws_query_compatible: Option<Value>,
}

impl Metadata {
    /// The SigV4 signing name (credential scope service).
    pub fn signing_name(&self) -> &str {
        self.signing_name
            .as_deref()
            .unwrap_or(&self.endpoint_prefix)
    }
}

#[derive(Debug, Deserialize)]
pub struct Operation {
    pub name: String,
    #[serde(default)]
    pub http: Http,
    #[serde(default)]
    pub input: Option<ShapeRef>,
    #[serde(default)]
    pub output: Option<ShapeRef>,
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Http {
    #[serde(default = "default_method")]
    pub method: String,
    #[serde(default = "default_uri")]
    pub request_uri: String,
    #[serde(default)]
    pub response_code: Option<u16>,
}

fn default_method() -> String {
    "POST".into()
}
fn default_uri() -> String {
    "/".into()
}

impl Default for Http {
    fn default() -> Self {
        Self {
            method: default_method(),
            request_uri: default_uri(),
            response_code: None,
        }
    }
}

/// A reference to a shape, with the member traits that say where it goes on the wire.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ShapeRef {
    pub shape: String,
    /// `uri`, `querystring`, `header`, `headers`, `statusCode`; absent means the body.
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub query_name: Option<String>,
    #[serde(default)]
    pub flattened: Option<bool>,
    #[serde(default)]
    pub xml_attribute: Option<bool>,
    #[serde(default)]
    pub xml_namespace: Option<Value>,
    #[serde(default)]
    pub json_value: Option<bool>,
    #[serde(default)]
    pub idempotency_token: Option<bool>,
    #[serde(default)]
    pub host_label: Option<bool>,
    #[serde(default)]
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub streaming: Option<bool>,
    #[serde(default)]
    pub event_payload: Option<bool>,
    #[serde(default)]
    pub deprecated: Option<bool>,
    #[serde(default)]
    pub result_wrapper: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ShapeType {
    Structure,
    List,
    Map,
    String,
    Integer,
    Long,
    Float,
    Double,
    Boolean,
    Timestamp,
    Blob,
    /// Arbitrary-precision numbers are not used by these models but exist in the format.
    #[serde(alias = "bigdecimal")]
    Decimal,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    #[serde(rename = "type")]
    pub kind: ShapeType,
    /// Structure members in model order (serde_json's `preserve_order` keeps it).
    #[serde(default)]
    pub members: serde_json::Map<String, Value>,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub member: Option<ShapeRef>,
    #[serde(default)]
    pub key: Option<ShapeRef>,
    #[serde(default)]
    pub value: Option<ShapeRef>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default, rename = "enum")]
    pub enum_values: Vec<String>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub payload: Option<String>,
    #[serde(default)]
    pub exception: bool,
    #[serde(default)]
    pub fault: bool,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default)]
    pub flattened: bool,
    #[serde(default)]
    pub timestamp_format: Option<String>,
    #[serde(default)]
    pub location_name: Option<String>,
    #[serde(default)]
    pub xml_namespace: Option<Value>,
    #[serde(default)]
    pub streaming: bool,
    #[serde(default)]
    pub eventstream: bool,
    #[serde(default)]
    pub document: bool,
    #[serde(default)]
    pub union: bool,
    #[serde(default)]
    pub sensitive: bool,
    #[serde(default)]
    pub wrapper: bool,
    #[serde(skip)]
    parsed_members: std::sync::OnceLock<Vec<(String, ShapeRef)>>,
}

impl Shape {
    /// Structure members in model order.
    pub fn members(&self) -> &[(String, ShapeRef)] {
        self.parsed_members.get_or_init(|| {
            self.members
                .iter()
                .filter_map(|(k, v)| {
                    serde_json::from_value::<ShapeRef>(v.clone())
                        .ok()
                        .map(|r| (k.clone(), r))
                })
                .collect()
        })
    }

    pub fn member(&self, name: &str) -> Option<&ShapeRef> {
        self.members()
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, r)| r)
    }

    pub fn is_required(&self, name: &str) -> bool {
        self.required.iter().any(|r| r == name)
    }
}

/// RFC 7386: objects merge recursively, `null` removes, anything else replaces. Keys
/// starting with `_` (comments) are not applied.
fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if k.starts_with('_') {
                    continue;
                }
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}
