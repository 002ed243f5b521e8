//! Request validation: bodies against an API's models (JSON Schema draft 4) and required
//! request parameters, with API Gateway's 400 answers.
//!
//! * [`SchemaCache::validate`] compiles a model's schema once per (api, model, revision) and
//!   validates a body; [`validate_body`] is the uncached form. An invalid body (not JSON, or
//!   not matching) is 400 [`INVALID_BODY`]; the `Err` text is the detail API Gateway puts in
//!   `$context.error.validationErrorString` (for access logs).
//! * [`missing_parameters`] lists required `method.request.{querystring,header,path}.<name>`
//!   parameters a request lacks; a non-empty list is 400 [`missing_parameters_body`].
//!
//! References between models (`"$ref": "https://apigateway.amazonaws.com/restapis/<api>/models/<name>"`)
//! resolve through the `models` lookup the caller passes.

mod params;

pub use params::{missing_parameters, missing_parameters_body, missing_parameters_message};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The 400 body of a request whose body fails its model.
pub const INVALID_BODY: &str = r#"{"message":"Invalid request body"}"#;

/// The URL prefix API Gateway models use to refer to each other.
pub const MODEL_URL_PREFIX: &str = "https://apigateway.amazonaws.com/restapis/";

/// How many models one schema may pull in through `$ref` (transitively).
const MAX_REFERENCED_MODELS: usize = 64;
/// Compiled schemas kept before the cache starts over.
const MAX_CACHED: usize = 1024;

/// A compiled schema, ready to validate bodies.
pub struct Compiled {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Compiled")
    }
}

impl Compiled {
    /// Compiles a model's schema (draft 4 unless it names another `$schema`). `models`
    /// returns the schema of another model of the same API by name, for `$ref`s.
    pub fn new(schema: &str, models: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let root: serde_json::Value =
            serde_json::from_str(schema).map_err(|e| format!("model schema is not JSON: {e}"))?;
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V4);
        const ROOT: &str = "https://lamina.local/model.json";
        // pull in referenced models, breadth first, bounded
        let mut pending = Vec::new();
        collect_refs(&root, &mut pending, 0);
        compiler
            .add_resource(ROOT, root)
            .map_err(|e| format!("model schema: {e}"))?;
        let mut added = std::collections::HashSet::new();
        while let Some(url) = pending.pop() {
            if !added.insert(url.clone()) {
                continue;
            }
            if added.len() > MAX_REFERENCED_MODELS {
                return Err("too many referenced models".to_string());
            }
            let name = url.rsplit('/').next().unwrap_or_default();
            let Some(text) = models(name) else {
                return Err(format!("referenced model {name} does not exist"));
            };
            let doc: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("model {name} is not JSON: {e}"))?;
            collect_refs(&doc, &mut pending, 0);
            compiler
                .add_resource(&url, doc)
                .map_err(|e| format!("model {name}: {e}"))?;
        }
        let mut schemas = boon::Schemas::new();
        let index = compiler
            .compile(ROOT, &mut schemas)
            .map_err(|e| format!("model schema: {e}"))?;
        Ok(Self { schemas, index })
    }

    /// Validates a body. `Err` carries the validation detail.
    pub fn validate(&self, body: &[u8]) -> Result<(), String> {
        let value: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
            // API Gateway validates an empty body as an empty object
            serde_json::Value::Object(serde_json::Map::new())
        } else {
            serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?
        };
        self.schemas
            .validate(&value, self.index)
            .map_err(|e| format!("{e}"))
    }
}

/// Every `$ref` to another API Gateway model inside `v` (depth-bounded).
fn collect_refs(v: &serde_json::Value, out: &mut Vec<String>, depth: usize) {
    if depth > 128 {
        return;
    }
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                if k == "$ref"
                    && let Some(r) = child.as_str()
                    && r.starts_with(MODEL_URL_PREFIX)
                {
                    let doc = r.split('#').next().unwrap_or(r);
                    out.push(doc.to_string());
                } else {
                    collect_refs(child, out, depth + 1);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for child in items {
                collect_refs(child, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// Validates `body` against a model's schema (draft 4) without caching. `Err` is the detail;
/// the client gets 400 [`INVALID_BODY`]. A schema that does not compile is an `Err` too.
pub fn validate_body(model_schema: &str, body: &[u8]) -> Result<(), String> {
    Compiled::new(model_schema, &|_| None)?.validate(body)
}

/// Compiled schemas by (api id, model name, revision). The revision is whatever changes when
/// the model (or a model it references) changes: e.g. the deployment id the stage serves.
#[derive(Debug, Default)]
pub struct SchemaCache {
    compiled: Mutex<HashMap<(String, String, String), Arc<Compiled>>>,
}

impl SchemaCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The compiled schema of a model, compiling `schema` (and the models it references,
    /// via `models`) on first use.
    pub fn get_or_compile(
        &self,
        api: &str,
        model: &str,
        revision: &str,
        schema: &str,
        models: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Arc<Compiled>, String> {
        let key = (api.to_string(), model.to_string(), revision.to_string());
        if let Some(c) = self.lock().get(&key) {
            return Ok(c.clone());
        }
        let compiled = Arc::new(Compiled::new(schema, models)?);
        let mut map = self.lock();
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        map.insert(key, compiled.clone());
        Ok(compiled)
    }

    /// [`Self::get_or_compile`] then [`Compiled::validate`].
    pub fn validate(
        &self,
        api: &str,
        model: &str,
        revision: &str,
        schema: &str,
        models: &dyn Fn(&str) -> Option<String>,
        body: &[u8],
    ) -> Result<(), String> {
        self.get_or_compile(api, model, revision, schema, models)?
            .validate(body)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String, String), Arc<Compiled>>> {
        // a poisoned cache is still a valid cache
        self.compiled
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests;
