//! Resource providers: one [`ResourceProvider`] per supported resource type, each calling
//! the owning service through [`lamina_bus::ServiceCaller`] with the canonical JSON an SDK's
//! request would have been parsed into.
//!
//! | module | types |
//! |---|---|
//! | [`data`] | `AWS::SSM::Parameter`, `AWS::DynamoDB::Table`, `AWS::Logs::LogGroup`, `AWS::IAM::Role`/`Policy`/`ManagedPolicy` |
//! | [`messaging`] | `AWS::SQS::Queue`, `AWS::SQS::QueuePolicy`, `AWS::SNS::Topic`, `AWS::SNS::Subscription` |
//! | [`lambda`] | `AWS::Lambda::Function`, `Version`, `Alias`, `Permission`, `EventSourceMapping`, `LayerVersion`, `EventInvokeConfig` |
//! | [`apigateway`] | `AWS::ApiGateway::RestApi`, `Resource`, `Method`, `Deployment`, `Stage`, `Authorizer`, `ApiKey`, `UsagePlan`, `UsagePlanKey` |
//! | [`apigatewayv2`] | `AWS::ApiGatewayV2::Api`, `Route`, `Integration`, `Stage`, `Authorizer` |
//! | [`events`] | `AWS::Events::Rule` |
//!
//! Known differences: IAM is not implemented in Lamina, so `AWS::IAM::*` resources are
//! recorded only (the ARN is generated; nothing is enforced). Lambda code comes from
//! `Code.ZipFile` (inline source, zipped as `index.<ext>`) or from Lamina's packaged form
//! `Code.LaminaZipBase64` (what `lamina deploy` / `lamina package` write); `Code.S3Bucket`
//! fails until S3 lands.

pub mod apigateway;
pub mod apigatewayv2;
pub mod data;
pub mod events;
pub mod lambda;
pub mod messaging;

use crate::engine::{Created, ProviderError, ProviderRegistry, ResourceContext, ResourceProvider};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// Every provider Lamina has.
struct Registry {
    providers: HashMap<&'static str, Box<dyn ResourceProvider>>,
}

impl ProviderRegistry for Registry {
    fn provider(&self, resource_type: &str) -> Option<&dyn ResourceProvider> {
        self.providers.get(resource_type).map(|b| b.as_ref())
    }
}

/// The production registry.
pub fn registry() -> Arc<dyn ProviderRegistry> {
    let mut providers: HashMap<&'static str, Box<dyn ResourceProvider>> = HashMap::new();
    data::register(&mut providers);
    messaging::register(&mut providers);
    lambda::register(&mut providers);
    apigateway::register(&mut providers);
    apigatewayv2::register(&mut providers);
    events::register(&mut providers);
    Arc::new(Registry { providers })
}

/// The resource types Lamina supports.
pub fn supported_types() -> Vec<&'static str> {
    let mut providers: HashMap<&'static str, Box<dyn ResourceProvider>> = HashMap::new();
    data::register(&mut providers);
    messaging::register(&mut providers);
    lambda::register(&mut providers);
    apigateway::register(&mut providers);
    apigatewayv2::register(&mut providers);
    events::register(&mut providers);
    let mut v: Vec<_> = providers.into_keys().collect();
    v.sort_unstable();
    v
}

pub type Providers = HashMap<&'static str, Box<dyn ResourceProvider>>;

/// A string property (numbers and booleans as their text, as CloudFormation passes them).
pub fn prop_str(props: &Value, key: &str) -> Option<String> {
    match props.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A required string property.
pub fn required(props: &Value, key: &str) -> Result<String, ProviderError> {
    prop_str(props, key)
        .ok_or_else(|| ProviderError::new(format!("Property {key} cannot be empty.")))
}

/// An integer property (CloudFormation passes numbers as strings just as often).
pub fn prop_i64(props: &Value, key: &str) -> Option<i64> {
    match props.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A boolean property (`true` or `"true"`).
pub fn prop_bool(props: &Value, key: &str) -> Option<bool> {
    match props.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The explicit name in `key`, else the name CloudFormation generates.
pub fn name_or_generated(
    ctx: &ResourceContext,
    props: &Value,
    key: &str,
    max_len: usize,
) -> String {
    prop_str(props, key).unwrap_or_else(|| ctx.generated_name(max_len))
}

/// `[{Key, Value}]` → `{key: value}`.
pub fn tags_map(props: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    for t in props["Tags"].as_array().into_iter().flatten() {
        if let (Some(k), Some(v)) = (t["Key"].as_str(), t.get("Value")) {
            m.insert(k.to_string(), json!(scalar_text(v)));
        }
    }
    if let Some(o) = props["Tags"].as_object() {
        for (k, v) in o {
            m.insert(k.clone(), json!(scalar_text(v)));
        }
    }
    m
}

/// A scalar as text; a JSON object or list as its JSON text (CloudFormation accepts policy
/// documents as objects where the API wants a string).
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `{"ThrottlingBurstLimit": 1}` → `{"throttlingBurstLimit": 1}`, recursively (API Gateway's
/// canonical members are camelCase where CloudFormation's properties are PascalCase). Only
/// for structures whose keys are all member names (never for user maps).
pub fn camel_keys(v: &Value, depth: usize) -> Value {
    if depth > 16 {
        return v.clone();
    }
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (lower_first(k), camel_keys(v, depth + 1)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| camel_keys(x, depth + 1)).collect()),
        other => other.clone(),
    }
}

pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Copies the listed properties that are present (same names on both sides).
pub fn copy(props: &Value, into: &mut Value, keys: &[&str]) {
    for k in keys {
        if let Some(v) = props.get(*k).filter(|v| !v.is_null()) {
            into[*k] = v.clone();
        }
    }
}

/// Copies the listed properties under new names.
pub fn copy_as(props: &Value, into: &mut Value, keys: &[(&str, &str)]) {
    for (from, to) in keys {
        if let Some(v) = props.get(*from).filter(|v| !v.is_null()) {
            into[*to] = v.clone();
        }
    }
}

/// True when any of `keys` differs between `old` and `new`.
pub fn changed(old: &Value, new: &Value, keys: &[&str]) -> bool {
    keys.iter().any(|k| old.get(*k) != new.get(*k))
}

/// A created resource with attributes.
pub fn created(physical_id: impl Into<String>, attrs: Value) -> Created {
    Created {
        physical_id: physical_id.into(),
        attributes: match attrs {
            Value::Object(m) => m,
            _ => Map::new(),
        },
    }
}

/// A delete that treats "not found" as done.
pub fn gone(r: Result<Value, ProviderError>) -> Result<(), ProviderError> {
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Declares a provider type whose methods are plain `async fn`s in its module:
/// `create(ctx, props)`, `update(ctx, id, old, new)`, `delete(ctx, id, props)` and
/// `replace(old, new)`.
#[macro_export]
macro_rules! provider {
    ($name:ident, $module:path) => {
        pub struct $name;
        impl $crate::engine::ResourceProvider for $name {
            fn create<'a>(
                &'a self,
                ctx: &'a $crate::engine::ResourceContext,
                props: &'a serde_json::Value,
            ) -> lamina_core::BoxFuture<
                'a,
                Result<$crate::engine::Created, $crate::engine::ProviderError>,
            > {
                use $module as m;
                Box::pin(m::create(ctx, props))
            }
            fn update<'a>(
                &'a self,
                ctx: &'a $crate::engine::ResourceContext,
                physical_id: &'a str,
                old: &'a serde_json::Value,
                new: &'a serde_json::Value,
            ) -> lamina_core::BoxFuture<
                'a,
                Result<$crate::engine::Updated, $crate::engine::ProviderError>,
            > {
                use $module as m;
                Box::pin(m::update(ctx, physical_id, old, new))
            }
            fn delete<'a>(
                &'a self,
                ctx: &'a $crate::engine::ResourceContext,
                physical_id: &'a str,
                props: &'a serde_json::Value,
            ) -> lamina_core::BoxFuture<'a, Result<(), $crate::engine::ProviderError>> {
                use $module as m;
                Box::pin(m::delete(ctx, physical_id, props))
            }
            fn requires_replacement(
                &self,
                old: &serde_json::Value,
                new: &serde_json::Value,
            ) -> bool {
                use $module as m;
                m::replace(old, new)
            }
        }
    };
}

#[cfg(test)]
mod tests;
