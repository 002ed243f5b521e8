//! REST API state over the [`Store`]: JSON documents in an envelope with a format version
//! (`{"v":1,"d":...}`), keyed `account \0 region \0 ...`.
//!
//! Trees:
//! * `apigw.v1.apis`: `acct \0 region \0 apiId` → [`ApiDoc`] (the live definition: the API,
//!   its resources with methods and integrations, models, validators, authorizers). Every
//!   definition change is a compare-and-set of this one document, retried on conflict.
//! * `apigw.v1.deployments`: `... \0 apiId \0 deploymentId` → [`DeploymentDoc`] (the
//!   deployment and a frozen copy of the definition the data plane serves).
//! * `apigw.v1.stages`: `... \0 apiId \0 stageName` → [`Stage`].
//! * `apigw.v1.apikeys`: `... \0 keyId` → [`ApiKey`].
//! * `apigw.v1.plans`: `... \0 planId` → [`PlanDoc`] (the plan and its keys).
//! * `apigw.v1.domains`: `... \0 domainName` → [`DomainDoc`] (the domain and its mappings).

use super::error::{ApiGwError, Result};
use super::types::*;
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch, key};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const APIS: &str = "apigw.v1.apis";
pub const DEPLOYMENTS: &str = "apigw.v1.deployments";
pub const STAGES: &str = "apigw.v1.stages";
pub const KEYS: &str = "apigw.v1.apikeys";
pub const PLANS: &str = "apigw.v1.plans";
pub const DOMAINS: &str = "apigw.v1.domains";
pub const FORMAT: u32 = 1;
/// Read-modify-write attempts before the caller gets `TooManyRequestsException`.
pub const MAX_ATTEMPTS: usize = 64;

/// Account and region of the caller.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn key(&self, parts: &[&str]) -> Vec<u8> {
        let mut all = vec![self.account.as_str(), self.region.as_str()];
        all.extend_from_slice(parts);
        key::join(&all)
    }
    pub fn prefix(&self, parts: &[&str]) -> Vec<u8> {
        let mut all = vec![self.account.as_str(), self.region.as_str()];
        all.extend_from_slice(parts);
        key::prefix(&all)
    }
}

/// The live definition of one REST API.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ApiDoc {
    pub api: RestApi,
    pub resources: BTreeMap<String, Resource>,
    pub models: BTreeMap<String, Model>,
    pub validators: BTreeMap<String, RequestValidator>,
    pub authorizers: BTreeMap<String, Authorizer>,
}

impl ApiDoc {
    pub fn resource(&self, id: &str) -> Result<&Resource> {
        self.resources
            .get(id)
            .ok_or_else(ApiGwError::resource_not_found)
    }
    pub fn resource_mut(&mut self, id: &str) -> Result<&mut Resource> {
        self.resources
            .get_mut(id)
            .ok_or_else(ApiGwError::resource_not_found)
    }
    pub fn method(&self, resource: &str, method: &str) -> Result<&Method> {
        self.resource(resource)?
            .resource_methods
            .as_ref()
            .and_then(|m| m.get(method))
            .ok_or_else(ApiGwError::method_not_found)
    }
    pub fn method_mut(&mut self, resource: &str, method: &str) -> Result<&mut Method> {
        self.resource_mut(resource)?
            .resource_methods
            .as_mut()
            .and_then(|m| m.get_mut(method))
            .ok_or_else(ApiGwError::method_not_found)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DeploymentDoc {
    pub deployment: Deployment,
    pub snapshot: ApiDoc,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct PlanDoc {
    pub plan: UsagePlan,
    pub keys: BTreeMap<String, UsagePlanKey>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct DomainDoc {
    pub domain: DomainName,
    pub mappings: BTreeMap<String, BasePathMapping>,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    v: u32,
    d: T,
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(&Envelope {
        v: FORMAT,
        d: value,
    })
    .map_err(|e| ApiGwError::Internal(format!("encode record: {e}")))
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let env: Envelope<T> = serde_json::from_slice(bytes)
        .map_err(|e| ApiGwError::Internal(format!("decode record: {e}")))?;
    if env.v != FORMAT {
        return Err(ApiGwError::Internal(format!(
            "unknown record format {}",
            env.v
        )));
    }
    Ok(env.d)
}

/// Typed access to the trees.
#[derive(Clone)]
pub struct Db {
    pub store: Arc<dyn Store>,
}

impl Db {
    pub async fn get<T: DeserializeOwned>(&self, tree: &str, key: &[u8]) -> Result<Option<T>> {
        match self.store.get(tree, key).await? {
            Some(raw) => Ok(Some(decode(&raw)?)),
            None => Ok(None),
        }
    }

    /// Every document under `prefix`, in key order.
    pub async fn list<T: DeserializeOwned>(&self, tree: &str, prefix: &[u8]) -> Result<Vec<T>> {
        let entries = self
            .store
            .scan(tree, Range::prefix(prefix), Direction::Forward, 0)
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    /// Keys under `prefix`.
    pub async fn keys(&self, tree: &str, prefix: &[u8]) -> Result<Vec<Vec<u8>>> {
        let entries = self
            .store
            .scan(tree, Range::prefix(prefix), Direction::Forward, 0)
            .await?;
        Ok(entries.into_iter().map(|(k, _)| k).collect())
    }

    /// Writes a new document; `false` when the key already exists.
    pub async fn create<T: Serialize>(&self, tree: &str, key: Vec<u8>, doc: &T) -> Result<bool> {
        let mut batch = WriteBatch::new();
        batch.require_absent(tree, key.clone());
        batch.put(tree, key, encode(doc)?);
        match self.store.commit(batch).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Read-modify-write of one document: `f` changes it in place and returns the result;
    /// retried on a concurrent change.
    pub async fn update<T, R>(
        &self,
        tree: &str,
        key: &[u8],
        missing: impl Fn() -> ApiGwError,
        mut f: impl FnMut(&mut T) -> Result<R>,
    ) -> Result<R>
    where
        T: DeserializeOwned + Serialize,
    {
        for _ in 0..MAX_ATTEMPTS {
            let Some(raw) = self.store.get(tree, key).await? else {
                return Err(missing());
            };
            let mut doc: T = decode(&raw)?;
            let result = f(&mut doc)?;
            let mut batch = WriteBatch::new();
            batch.require_equals(tree, key.to_vec(), raw);
            batch.put(tree, key.to_vec(), encode(&doc)?);
            match self.store.commit(batch).await {
                Ok(()) => return Ok(result),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ApiGwError::TooManyRequests)
    }

    /// Deletes a document; `false` when it did not exist.
    pub async fn delete(&self, tree: &str, key: &[u8]) -> Result<bool> {
        let mut batch = WriteBatch::new();
        batch.require_exists(tree, key.to_vec());
        batch.delete(tree, key.to_vec());
        match self.store.commit(batch).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn commit(&self, batch: WriteBatch) -> Result<()> {
        Ok(self.store.commit(batch).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const API_V1: &str = r#"{"v":1,"d":{"api":{"id":"abcdefghij","name":"n","createdDate":1.5,"disableExecuteApiEndpoint":false,"rootResourceId":"r"},"resources":{"r":{"id":"r","path":"/"}}}}"#;

    #[test]
    fn v1_frozen_api_doc_decodes() {
        let d: ApiDoc = decode(API_V1.as_bytes()).unwrap();
        assert_eq!(d.api.name, "n");
        assert_eq!(d.resource("r").unwrap().path, "/");
        assert!(decode::<ApiDoc>(br#"{"v":9,"d":{}}"#).is_err());
    }
}
