//! HTTP APIs in the [`Store`].
//!
//! Two trees:
//! * `apigwv2.apis`: `account \0 region \0 api-id` → [`ApiDoc`]: the API with its routes,
//!   integrations, authorizers, stages and deployment list. One record per API, so every
//!   control-plane write (including the redeploys of AutoDeploy stages) is one compare-and-set
//!   of that record, retried on conflict.
//! * `apigwv2.deployments`: `account \0 region \0 api-id \0 deployment-id` → [`Snapshot`]: the
//!   routes, integrations, authorizers and CORS configuration a deployment froze; the data
//!   plane serves a stage from its deployment's snapshot. Written in the same batch as the
//!   API record.
//!
//! Ids are lowercase alphanumerics, so the `\0` separator is unambiguous. Every value is JSON
//! with a format version `"v": 1`.

use super::error::{Result, V2Error};
use super::types::{Api, Authorizer, Cors, Deployment, Integration, Route, Stage};
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch, key};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

pub const APIS: &str = "apigwv2.apis";
pub const DEPLOYMENTS: &str = "apigwv2.deployments";
pub const FORMAT: u32 = 1;
/// Read-modify-write attempts before `TooManyRequestsException`.
pub const MAX_ATTEMPTS: usize = 64;

/// Account and region of a request.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

/// An API and everything it owns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ApiDoc {
    pub v: u32,
    pub api: Api,
    pub routes: BTreeMap<String, Route>,
    pub integrations: BTreeMap<String, Integration>,
    pub authorizers: BTreeMap<String, Authorizer>,
    pub stages: BTreeMap<String, Stage>,
    pub deployments: BTreeMap<String, Deployment>,
}

/// What a deployment froze.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Snapshot {
    pub v: u32,
    pub routes: BTreeMap<String, Route>,
    pub integrations: BTreeMap<String, Integration>,
    pub authorizers: BTreeMap<String, Authorizer>,
    pub cors: Option<Cors>,
}

impl Snapshot {
    pub fn of(doc: &ApiDoc) -> Self {
        Snapshot {
            v: FORMAT,
            routes: doc.routes.clone(),
            integrations: doc.integrations.clone(),
            authorizers: doc.authorizers.clone(),
            cors: doc.api.cors_configuration.clone(),
        }
    }
}

pub fn api_key(scope: &Scope, id: &str) -> Vec<u8> {
    key::join(&[scope.account.as_str(), scope.region.as_str(), id])
}

pub fn deployment_key(scope: &Scope, api: &str, dep: &str) -> Vec<u8> {
    key::join(&[scope.account.as_str(), scope.region.as_str(), api, dep])
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let probe: Version = serde_json::from_slice(bytes)
        .map_err(|e| V2Error::Internal(format!("decode record: {e}")))?;
    if probe.v != FORMAT {
        return Err(V2Error::Internal(format!(
            "unknown record format {}",
            probe.v
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| V2Error::Internal(format!("decode record: {e}")))
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| V2Error::Internal(format!("encode record: {e}")))
}

/// The outcome of a mutation: the new document (`None`: delete the API), snapshots to write,
/// deployment snapshots to delete, and the result for the caller.
pub struct Change<R> {
    pub doc: Option<ApiDoc>,
    pub snapshots: Vec<(String, Snapshot)>,
    pub drop_snapshots: Vec<String>,
    pub result: R,
}

/// Typed access to the trees.
#[derive(Clone)]
pub struct Table {
    store: Arc<dyn Store>,
}

impl Table {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    async fn load(&self, scope: &Scope, id: &str) -> Result<Option<(ApiDoc, Vec<u8>)>> {
        match self.store.get(APIS, &api_key(scope, id)).await? {
            Some(raw) => Ok(Some((decode(&raw)?, raw))),
            None => Ok(None),
        }
    }

    pub async fn get(&self, scope: &Scope, id: &str) -> Result<ApiDoc> {
        self.load(scope, id)
            .await?
            .map(|(d, _)| d)
            .ok_or_else(|| V2Error::api_not_found(id))
    }

    /// The API if it exists (the data plane asks for ids that may belong to v1).
    pub async fn find(&self, scope: &Scope, id: &str) -> Result<Option<ApiDoc>> {
        Ok(self.load(scope, id).await?.map(|(d, _)| d))
    }

    pub async fn snapshot(&self, scope: &Scope, api: &str, dep: &str) -> Result<Option<Snapshot>> {
        match self
            .store
            .get(DEPLOYMENTS, &deployment_key(scope, api, dep))
            .await?
        {
            Some(raw) => Ok(Some(decode(&raw)?)),
            None => Ok(None),
        }
    }

    /// Creates a new API document; `false` when the id is taken.
    pub async fn create(
        &self,
        scope: &Scope,
        doc: &ApiDoc,
        snaps: &[(String, Snapshot)],
    ) -> Result<bool> {
        let id = doc.api.api_id.clone().unwrap_or_default();
        let k = api_key(scope, &id);
        let mut batch = WriteBatch::new();
        batch.require_absent(APIS, k.clone());
        batch.put(APIS, k, encode(doc)?);
        for (dep, s) in snaps {
            batch.put(DEPLOYMENTS, deployment_key(scope, &id, dep), encode(s)?);
        }
        match self.store.commit(batch).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Read-modify-write of one API, retried on concurrent change.
    pub async fn update<R>(
        &self,
        scope: &Scope,
        id: &str,
        mut f: impl FnMut(ApiDoc) -> Result<Change<R>>,
    ) -> Result<R> {
        for _ in 0..MAX_ATTEMPTS {
            let Some((doc, raw)) = self.load(scope, id).await? else {
                return Err(V2Error::api_not_found(id));
            };
            let change = f(doc)?;
            let k = api_key(scope, id);
            let mut batch = WriteBatch::new();
            batch.require_equals(APIS, k.clone(), raw);
            match &change.doc {
                Some(d) => batch.put(APIS, k, encode(d)?),
                None => batch.delete(APIS, k),
            };
            for (dep, s) in &change.snapshots {
                batch.put(DEPLOYMENTS, deployment_key(scope, id, dep), encode(s)?);
            }
            for dep in &change.drop_snapshots {
                batch.delete(DEPLOYMENTS, deployment_key(scope, id, dep));
            }
            match self.store.commit(batch).await {
                Ok(()) => return Ok(change.result),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(V2Error::TooManyRequests)
    }

    /// Up to `limit` APIs after the id `after`, in id order.
    pub async fn list(
        &self,
        scope: &Scope,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ApiDoc>> {
        let prefix = key::prefix(&[scope.account.as_str(), scope.region.as_str()]);
        let mut range = Range::prefix(&prefix);
        if let Some(a) = after {
            range.start = Bound::Excluded(api_key(scope, a));
        }
        let rows = self
            .store
            .scan(APIS, range, Direction::Forward, limit)
            .await?;
        rows.iter().map(|(_, v)| decode(v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frozen sample of format 1.
    const DOC_V1: &str = r#"{"v":1,"api":{"ApiId":"abc","Name":"n","ProtocolType":"HTTP"},"routes":{"r1":{"RouteId":"r1","RouteKey":"GET /a"}},"integrations":{},"authorizers":{},"stages":{"$default":{"StageName":"$default","AutoDeploy":true}},"deployments":{}}"#;

    #[test]
    fn v2_frozen_doc_decodes() {
        let d: ApiDoc = decode(DOC_V1.as_bytes()).unwrap();
        assert_eq!(d.api.api_id.as_deref(), Some("abc"));
        assert_eq!(d.routes["r1"].route_key.as_deref(), Some("GET /a"));
        assert_eq!(d.stages["$default"].auto_deploy, Some(true));
        assert!(decode::<ApiDoc>(br#"{"v":2}"#).is_err());
    }
}
