//! Trees, keys and typed access to the persisted records. Every key starts with
//! `account \0 region \0`; versions and layer versions are zero-padded so they sort by number.

use crate::error::{LambdaError, Result};
use crate::model::{
    AliasRecord, Config, FunctionRecord, LayerHead, LayerVersionRecord, PolicyRecord,
};
use lamina_storage::{Direction, Range, Store, WriteBatch, key};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub const FUNCTIONS: &str = "lambda.functions";
pub const VERSIONS: &str = "lambda.versions";
pub const ALIASES: &str = "lambda.aliases";
pub const POLICY: &str = "lambda.policy";
pub const LAYERS: &str = "lambda.layers";
/// Per-layer counters (next version number), so numbers are never reused after a delete.
pub const LAYER_HEADS: &str = "lambda.layer_heads";
pub const CODE: &str = "lambda.code";
pub const EVENTS: &str = "lambda.events";

/// Account and region of a request.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.region, self.account
        )
    }

    pub fn layer_arn(&self, layer: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:layer:{layer}",
            self.region, self.account
        )
    }

    fn parts<'a>(&'a self, rest: &[&'a str]) -> Vec<&'a str> {
        let mut p = vec![self.account.as_str(), self.region.as_str()];
        p.extend_from_slice(rest);
        p
    }

    pub fn key(&self, rest: &[&str]) -> Vec<u8> {
        key::join(&self.parts(rest))
    }

    pub fn prefix(&self, rest: &[&str]) -> Vec<u8> {
        key::prefix(&self.parts(rest))
    }
}

/// Zero-padded so that versions sort numerically.
pub fn pad(n: u64) -> String {
    format!("{n:020}")
}

pub fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| LambdaError::Internal(format!("encode record: {e}")))
}

pub fn decode<T: DeserializeOwned>(raw: &[u8]) -> Result<T> {
    serde_json::from_slice(raw).map_err(|e| LambdaError::Internal(format!("decode record: {e}")))
}

/// A record and the exact bytes it was read from (for compare-and-set).
pub struct Loaded<T> {
    pub record: T,
    pub raw: Vec<u8>,
}

/// Reads one record.
pub async fn get<T: DeserializeOwned>(
    store: &dyn Store,
    tree: &str,
    k: &[u8],
) -> Result<Option<Loaded<T>>> {
    match store.get(tree, k).await? {
        Some(raw) => Ok(Some(Loaded {
            record: decode(&raw)?,
            raw,
        })),
        None => Ok(None),
    }
}

/// Every record under a prefix, in key order.
pub async fn scan<T: DeserializeOwned>(
    store: &dyn Store,
    tree: &str,
    prefix: &[u8],
) -> Result<Vec<(Vec<u8>, T)>> {
    let entries = store
        .scan(tree, Range::prefix(prefix), Direction::Forward, 0)
        .await?;
    entries
        .into_iter()
        .map(|(k, v)| Ok((k, decode(&v)?)))
        .collect()
}

pub fn function_key(s: &Scope, name: &str) -> Vec<u8> {
    s.key(&[name])
}

pub fn version_key(s: &Scope, name: &str, version: u64) -> Vec<u8> {
    s.key(&[name, &pad(version)])
}

pub fn alias_key(s: &Scope, name: &str, alias: &str) -> Vec<u8> {
    s.key(&[name, alias])
}

/// The policy of the unqualified function has the empty qualifier.
pub fn policy_key(s: &Scope, name: &str, qualifier: &str) -> Vec<u8> {
    s.key(&[name, qualifier])
}

pub fn layer_key(s: &Scope, layer: &str, version: u64) -> Vec<u8> {
    s.key(&[layer, &pad(version)])
}

pub async fn function(
    store: &dyn Store,
    s: &Scope,
    name: &str,
) -> Result<Option<Loaded<FunctionRecord>>> {
    get(store, FUNCTIONS, &function_key(s, name)).await
}

pub async fn version(
    store: &dyn Store,
    s: &Scope,
    name: &str,
    version: u64,
) -> Result<Option<Config>> {
    Ok(get(store, VERSIONS, &version_key(s, name, version))
        .await?
        .map(|l: Loaded<Config>| l.record))
}

pub async fn versions(store: &dyn Store, s: &Scope, name: &str) -> Result<Vec<Config>> {
    Ok(scan(store, VERSIONS, &s.prefix(&[name]))
        .await?
        .into_iter()
        .map(|(_, c)| c)
        .collect())
}

pub async fn alias(
    store: &dyn Store,
    s: &Scope,
    name: &str,
    alias: &str,
) -> Result<Option<Loaded<AliasRecord>>> {
    get(store, ALIASES, &alias_key(s, name, alias)).await
}

pub async fn aliases(store: &dyn Store, s: &Scope, name: &str) -> Result<Vec<AliasRecord>> {
    Ok(scan(store, ALIASES, &s.prefix(&[name]))
        .await?
        .into_iter()
        .map(|(_, a)| a)
        .collect())
}

pub async fn policy(
    store: &dyn Store,
    s: &Scope,
    name: &str,
    qualifier: &str,
) -> Result<Option<Loaded<PolicyRecord>>> {
    get(store, POLICY, &policy_key(s, name, qualifier)).await
}

pub async fn layer_version(
    store: &dyn Store,
    s: &Scope,
    layer: &str,
    version: u64,
) -> Result<Option<LayerVersionRecord>> {
    Ok(get(store, LAYERS, &layer_key(s, layer, version))
        .await?
        .map(|l: Loaded<LayerVersionRecord>| l.record))
}

pub async fn layer_versions(
    store: &dyn Store,
    s: &Scope,
    layer: &str,
) -> Result<Vec<LayerVersionRecord>> {
    Ok(scan(store, LAYERS, &s.prefix(&[layer]))
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .collect())
}

pub async fn layer_head(
    store: &dyn Store,
    s: &Scope,
    layer: &str,
) -> Result<Option<Loaded<LayerHead>>> {
    get(store, LAYER_HEADS, &s.key(&[layer])).await
}

/// Every function of the account and region.
pub async fn functions(store: &dyn Store, s: &Scope) -> Result<Vec<FunctionRecord>> {
    Ok(scan(store, FUNCTIONS, &s.prefix(&[]))
        .await?
        .into_iter()
        .map(|(_, f)| f)
        .collect())
}

/// Adds deletes of every record under `prefix` in `tree` to the batch.
pub async fn delete_prefix(
    store: &dyn Store,
    batch: &mut WriteBatch,
    tree: &str,
    prefix: &[u8],
) -> Result<()> {
    for (k, _) in store
        .scan(tree, Range::prefix(prefix), Direction::Forward, 0)
        .await?
    {
        batch.delete(tree, k);
    }
    Ok(())
}
