//! The SAM transform (`AWS::Serverless-2016-10-31`): expands `AWS::Serverless::*` resources
//! and `Globals` into plain CloudFormation, as a pure function on the template's JSON.
//!
//! Supported: `Globals` (Function, Api, HttpApi, SimpleTable; maps merged, lists appended,
//! scalars overridden), `AWS::Serverless::Function` ([`function`]), `AWS::Serverless::Api`
//! and `AWS::Serverless::HttpApi` plus the implicit `ServerlessRestApi` /
//! `ServerlessHttpApi` ([`api`]), `AWS::Serverless::SimpleTable` and
//! `AWS::Serverless::LayerVersion` ([`simple`]), SAM policy templates ([`policies`]).
//!
//! Generated logical ids follow SAM's (`<Fn>Role`, `<Fn><Event>Permission`,
//! `<Fn>Alias<alias>`, `<Api><Stage>Stage`, `<Api>Deployment<hash>`, ...), so Outputs such
//! as `${ServerlessRestApi}` and `!GetAtt MyFunctionRole.Arn` resolve. Hashes are Lamina's
//! own (not SAM's SHA-1 values): they change exactly when the hashed content changes.
//!
//! Known differences: `CodeUri`/`ContentUri` is a Lamina-packaged object
//! (`{"LaminaZipBase64": ...}`, written by `lamina deploy` / `lamina package`), an S3
//! location (rejected until S3 lands), or — a Lamina convenience AWS does not have — a
//! relative local path, which the server zips from its code root (`lamina serve
//! --code-root`, [`crate::package`]); a path that is absolute, leaves the root or does not
//! exist fails the transform with SAM's "is not a valid S3 Uri" message followed by where
//! Lamina looked. Layer logical ids
//! keep their name (SAM appends a hash). `AWS::Serverless::StateMachine`, `Application`,
//! `GraphQLApi` and `Connector` are not supported and fail the transform.

pub mod api;
pub mod function;
pub mod policies;
pub mod simple;

use crate::engine::TransformContext;
use serde_json::{Map, Value, json};

/// The transform's name as templates declare it.
pub const SERVERLESS: &str = "AWS::Serverless-2016-10-31";

/// The Lamina extension for locally packaged code: `{"LaminaZipBase64": "<zip as base64>"}`
/// in `CodeUri`/`ContentUri` (SAM) and in `Code`/`Content` (plain Lambda resources).
pub const PACKAGED_KEY: &str = "LaminaZipBase64";

/// Deepest merge of Globals into a resource (templates come from the network).
const MAX_MERGE_DEPTH: usize = 32;

/// Resource attributes that stay on the main generated resource.
const RESOURCE_ATTRIBUTES: &[&str] = &[
    "Condition",
    "DependsOn",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
    "UpdatePolicy",
];

/// Expands a template that declares `Transform: AWS::Serverless-2016-10-31` (already parsed
/// to JSON with `Fn::` long forms). The error message is reported as
/// `Transform AWS::Serverless-2016-10-31 failed with: <message>`; an invalid resource as SAM
/// says it: `Invalid Serverless Application Specification document. Number of errors found:
/// 1. Resource with id [<id>] is invalid. <why>`.
pub fn transform(template: Value, ctx: &TransformContext) -> Result<Value, String> {
    transform_resources(template, ctx).map_err(|e| {
        if e.starts_with("Resource with id [") {
            format!(
                "Invalid Serverless Application Specification document. Number of errors found: 1. {e}"
            )
        } else {
            e
        }
    })
}

fn transform_resources(template: Value, ctx: &TransformContext) -> Result<Value, String> {
    let Value::Object(mut t) = template else {
        return Err("the template is not a JSON object".into());
    };
    drop_transform(&mut t);
    let globals = match t.remove("Globals") {
        None => Map::new(),
        Some(Value::Object(g)) => g,
        Some(_) => return Err("'Globals' must be a map".into()),
    };
    for k in globals.keys() {
        if !["Function", "Api", "HttpApi", "SimpleTable", "LayerVersion"].contains(&k.as_str()) {
            return Err(format!(
                "'Globals' section is invalid. '{k}' is not supported. Must be one of the \
                 following values - ['Function', 'Api', 'HttpApi', 'SimpleTable', 'LayerVersion']"
            ));
        }
    }
    let Some(Value::Object(resources)) = t.remove("Resources") else {
        return Err("the template has no 'Resources' map".into());
    };
    let mut out = Out::default();
    let mut apis = api::Apis::default();
    // Explicit APIs first: function events refer to them by `RestApiId`/`ApiId`.
    for (id, r) in &resources {
        match r["Type"].as_str() {
            Some("AWS::Serverless::Api") => {
                let r = with_globals(r, globals.get("Api"))?;
                apis.declare_rest(id, r);
            }
            Some("AWS::Serverless::HttpApi") => {
                let r = with_globals(r, globals.get("HttpApi"))?;
                apis.declare_http(id, r);
            }
            _ => {}
        }
    }
    for (id, r) in resources {
        let kind = r["Type"].as_str().unwrap_or_default().to_string();
        match kind.as_str() {
            "AWS::Serverless::Function" => {
                let r = with_globals(&r, globals.get("Function"))?;
                function::expand(&id, &r, ctx, &mut out, &mut apis)
                    .map_err(|e| format!("Resource with id [{id}] is invalid. {e}"))?;
            }
            "AWS::Serverless::Api" | "AWS::Serverless::HttpApi" => {}
            "AWS::Serverless::SimpleTable" => {
                let r = with_globals(&r, globals.get("SimpleTable"))?;
                simple::table(&id, &r, &mut out)
                    .map_err(|e| format!("Resource with id [{id}] is invalid. {e}"))?;
            }
            "AWS::Serverless::LayerVersion" => {
                let r = with_globals(&r, globals.get("LayerVersion"))?;
                simple::layer(&id, &r, ctx, &mut out)
                    .map_err(|e| format!("Resource with id [{id}] is invalid. {e}"))?;
            }
            k if k.starts_with("AWS::Serverless::") => {
                return Err(format!(
                    "Resource with id [{id}] is invalid. Lamina does not support the resource \
                     type {k} yet"
                ));
            }
            _ => out.add(&id, r),
        }
    }
    apis.expand(ctx, globals.get("Api"), &mut out)?;
    t.insert("Resources".into(), Value::Object(out.resources));
    Ok(Value::Object(t))
}

/// Removes the SAM transform from `Transform` (a string or a list of transforms).
fn drop_transform(t: &mut Map<String, Value>) {
    match t.get_mut("Transform") {
        Some(Value::String(s)) if s == SERVERLESS => {
            t.remove("Transform");
        }
        Some(Value::Array(list)) => {
            list.retain(|v| v != SERVERLESS);
            if list.is_empty() {
                t.remove("Transform");
            }
        }
        _ => {}
    }
}

/// The generated resources, in order.
#[derive(Default)]
pub struct Out {
    pub resources: Map<String, Value>,
}

impl Out {
    pub fn add(&mut self, id: &str, resource: Value) {
        self.resources.insert(id.to_string(), resource);
    }

    /// Adds `{Type, Properties}` plus the `Condition` of the SAM resource it came from.
    pub fn add_typed(&mut self, id: &str, kind: &str, props: Value, from: &Value) {
        let mut r = json!({ "Type": kind, "Properties": props });
        if let Some(c) = from.get("Condition") {
            r["Condition"] = c.clone();
        }
        self.add(id, r);
    }
}

/// A SAM resource with its Globals section merged in (the resource wins).
fn with_globals(resource: &Value, globals: Option<&Value>) -> Result<Value, String> {
    let mut r = resource.clone();
    let Some(g) = globals else { return Ok(r) };
    if !g.is_object() {
        return Err("'Globals' sections must be maps".into());
    }
    let props = r["Properties"].take();
    let props = if props.is_null() { json!({}) } else { props };
    r["Properties"] = merge(g, &props, 0)?;
    Ok(r)
}

/// SAM's Globals rule: maps merge key by key, lists are the global items then the local
/// ones, anything else is replaced by the local value.
fn merge(global: &Value, local: &Value, depth: usize) -> Result<Value, String> {
    if depth > MAX_MERGE_DEPTH {
        return Err("'Globals' are nested too deeply".into());
    }
    Ok(match (global, local) {
        (Value::Object(g), Value::Object(l)) if !is_intrinsic(l) => {
            let mut m = g.clone();
            for (k, lv) in l {
                let v = match g.get(k) {
                    Some(gv) => merge(gv, lv, depth + 1)?,
                    None => lv.clone(),
                };
                m.insert(k.clone(), v);
            }
            Value::Object(m)
        }
        (Value::Array(g), Value::Array(l)) => Value::Array(g.iter().chain(l).cloned().collect()),
        (_, l) => l.clone(),
    })
}

/// `{"Ref": ..}` / `{"Fn::...": ..}`: an intrinsic function, not a map to merge.
pub fn is_intrinsic(m: &Map<String, Value>) -> bool {
    m.len() == 1
        && m.keys()
            .next()
            .is_some_and(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
}

/// Copies a resource's attributes (DependsOn, DeletionPolicy, ...) onto a generated one.
pub fn copy_attributes(from: &Value, to: &mut Value) {
    for a in RESOURCE_ATTRIBUTES {
        if let Some(v) = from.get(*a) {
            to[*a] = v.clone();
        }
    }
}

/// A short stable hash (10 hex digits, FNV-1a 64 over the canonical JSON text): generated
/// logical ids change exactly when what they hash changes.
pub fn hash10(v: &Value) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in v.to_string().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")[..10].to_string()
}

/// `{"Ref": id}`.
pub fn r#ref(id: &str) -> Value {
    json!({ "Ref": id })
}

/// `{"Fn::GetAtt": [id, attr]}`.
pub fn get_att(id: &str, attr: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attr] })
}

/// `{"Fn::Sub": s}`.
pub fn sub(s: &str) -> Value {
    json!({ "Fn::Sub": s })
}

/// A string property's literal value, or a parameter's value when it is a `Ref` to one (SAM
/// resolves parameters in AutoPublishAlias, StageName, ...).
pub fn literal_str(v: &Value, ctx: &TransformContext) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) => {
            let name = m.get("Ref")?.as_str()?;
            ctx.parameters.get(name)?.as_str().map(str::to_string)
        }
        _ => None,
    }
}

/// Only letters and digits (SAM builds logical ids from names this way).
pub fn alnum(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

#[cfg(test)]
mod tests;
