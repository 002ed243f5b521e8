//! The typed parameter table over the [`Store`].
//!
//! Two trees:
//! * `ssm.params`: `account \0 region \0 name` → [`HeadRecord`] (the latest version, the list
//!   of live version numbers, the label → version map and the tags). Every write to a
//!   parameter replaces its head under an "unchanged since I read it" precondition, so the
//!   head serializes all writers of one parameter.
//! * `ssm.versions`: `account \0 region \0 name \0 <version, 20 digits>` → [`VersionRecord`].
//!
//! Names never contain 0x00 (the name rules allow `a-zA-Z0-9_.-/` only), so the separator is
//! unambiguous. Every value is JSON with a format version `"v": 1`.

use crate::error::{Result, SsmError};
use crate::types::{ParameterInlinePolicy, Tag};
use lamina_storage::{Direction, Range, Store, WriteBatch, key};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

pub const PARAMS: &str = "ssm.params";
pub const VERSIONS: &str = "ssm.versions";
/// The current format version of both records.
pub const FORMAT: u32 = 1;

/// Account, region and the caller, as every operation needs them.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account: String,
    pub region: String,
    /// `LastModifiedUser`: the caller's ARN.
    pub user: String,
}

impl Scope {
    pub fn arn(&self, name: &str) -> String {
        let resource = if name.starts_with('/') {
            format!("parameter{name}")
        } else {
            format!("parameter/{name}")
        };
        lamina_core::arn("ssm", &self.region, &self.account, &resource)
    }
}

/// One version of a parameter, immutable once written (labels live in the head).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VersionRecord {
    pub v: u32,
    pub version: u64,
    #[serde(rename = "type")]
    pub kind: String,
    /// The plaintext for `String`/`StringList`; for `SecureString` the base64 of
    /// `nonce || AES-256-GCM ciphertext` (see `crypto`), never the plaintext.
    pub value: String,
    pub key_id: Option<String>,
    pub description: Option<String>,
    pub allowed_pattern: Option<String>,
    pub tier: String,
    pub policies: Vec<ParameterInlinePolicy>,
    pub data_type: String,
    pub modified: f64,
    pub user: String,
}

/// The head of a parameter: the latest version and everything shared across versions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeadRecord {
    pub v: u32,
    pub name: String,
    pub latest: VersionRecord,
    /// Live version numbers, ascending (at most 100).
    pub versions: Vec<u64>,
    /// Label → the version that carries it (a label is on one version at a time).
    pub labels: BTreeMap<String, u64>,
    pub tags: Vec<Tag>,
}

impl HeadRecord {
    pub fn labels_of(&self, version: u64) -> Vec<String> {
        self.labels
            .iter()
            .filter(|(_, v)| **v == version)
            .map(|(l, _)| l.clone())
            .collect()
    }
}

/// A head as read, with its raw bytes for the compare-and-set precondition.
pub struct Loaded {
    pub head: HeadRecord,
    pub raw: Vec<u8>,
}

pub fn head_key(scope: &Scope, name: &str) -> Vec<u8> {
    key::join(&[scope.account.as_str(), scope.region.as_str(), name])
}

pub fn version_key(scope: &Scope, name: &str, version: u64) -> Vec<u8> {
    key::join(&[
        scope.account.as_str(),
        scope.region.as_str(),
        name,
        &format!("{version:020}"),
    ])
}

fn versions_prefix(scope: &Scope, name: &str) -> Vec<u8> {
    key::prefix(&[scope.account.as_str(), scope.region.as_str(), name])
}

fn scope_prefix(scope: &Scope) -> Vec<u8> {
    key::prefix(&[scope.account.as_str(), scope.region.as_str()])
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| SsmError::Internal(format!("encode record: {e}")))
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let probe: Version = serde_json::from_slice(bytes)
        .map_err(|e| SsmError::Internal(format!("decode record: {e}")))?;
    if probe.v != FORMAT {
        return Err(SsmError::Internal(format!(
            "unknown record format {}",
            probe.v
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| SsmError::Internal(format!("decode record: {e}")))
}

/// Typed access to the two trees.
#[derive(Clone)]
pub struct Table {
    store: Arc<dyn Store>,
}

impl Table {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub async fn head(&self, scope: &Scope, name: &str) -> Result<Option<Loaded>> {
        match self.store.get(PARAMS, &head_key(scope, name)).await? {
            Some(raw) => Ok(Some(Loaded {
                head: decode(&raw)?,
                raw,
            })),
            None => Ok(None),
        }
    }

    pub async fn version(
        &self,
        scope: &Scope,
        name: &str,
        version: u64,
    ) -> Result<Option<VersionRecord>> {
        match self
            .store
            .get(VERSIONS, &version_key(scope, name, version))
            .await?
        {
            Some(raw) => Ok(Some(decode(&raw)?)),
            None => Ok(None),
        }
    }

    /// Every stored version of `name`, ascending.
    pub async fn versions(&self, scope: &Scope, name: &str) -> Result<Vec<VersionRecord>> {
        let entries = self
            .store
            .scan(
                VERSIONS,
                Range::prefix(&versions_prefix(scope, name)),
                Direction::Forward,
                0,
            )
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    /// Version keys of `name`, for deletion.
    pub async fn version_keys(&self, scope: &Scope, name: &str) -> Result<Vec<Vec<u8>>> {
        let entries = self
            .store
            .scan(
                VERSIONS,
                Range::prefix(&versions_prefix(scope, name)),
                Direction::Forward,
                0,
            )
            .await?;
        Ok(entries.into_iter().map(|(k, _)| k).collect())
    }

    /// Up to `limit` heads whose name starts with `name_prefix`, in name order, strictly after
    /// the name `after` when given.
    pub async fn heads(
        &self,
        scope: &Scope,
        name_prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<HeadRecord>> {
        let mut prefix = scope_prefix(scope);
        prefix.extend_from_slice(name_prefix.as_bytes());
        let mut range = Range::prefix(&prefix);
        if let Some(after) = after {
            let k = head_key(scope, after);
            if k >= prefix {
                range.start = Bound::Excluded(k);
            }
        }
        let entries = self
            .store
            .scan(PARAMS, range, Direction::Forward, limit)
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    pub async fn commit(
        &self,
        batch: WriteBatch,
    ) -> std::result::Result<(), lamina_storage::StoreError> {
        self.store.commit(batch).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frozen sample of format 1: later formats must still read it (or migrate it).
    const HEAD_V1: &str = r#"{"v":1,"name":"/a/b","latest":{"v":1,"version":2,"type":"String","value":"x","key_id":null,"description":"d","allowed_pattern":null,"tier":"Standard","policies":[],"data_type":"text","modified":1700000000.5,"user":"arn:aws:iam::000000000000:root"},"versions":[1,2],"labels":{"prod":1},"tags":[{"Key":"k","Value":"v"}]}"#;

    #[test]
    fn frozen_v1_head_decodes() {
        let h: HeadRecord = decode(HEAD_V1.as_bytes()).unwrap();
        assert_eq!(h.name, "/a/b");
        assert_eq!(h.latest.version, 2);
        assert_eq!(h.labels_of(1), vec!["prod".to_string()]);
        assert_eq!(h.tags[0].key, "k");
    }

    #[test]
    fn unknown_format_is_rejected() {
        assert!(decode::<HeadRecord>(br#"{"v":9}"#).is_err());
    }

    #[test]
    fn keys_sort_versions_numerically() {
        let s = Scope {
            account: "1".into(),
            region: "r".into(),
            user: String::new(),
        };
        assert!(version_key(&s, "a", 9) < version_key(&s, "a", 10));
        assert!(version_key(&s, "a", 1).starts_with(&versions_prefix(&s, "a")));
        assert!(!version_key(&s, "ab", 1).starts_with(&versions_prefix(&s, "a")));
    }

    #[test]
    fn arn_form() {
        let s = Scope {
            account: "123".into(),
            region: "us-east-1".into(),
            user: String::new(),
        };
        assert_eq!(s.arn("/a/b"), "arn:aws:ssm:us-east-1:123:parameter/a/b");
        assert_eq!(s.arn("plain"), "arn:aws:ssm:us-east-1:123:parameter/plain");
    }
}
