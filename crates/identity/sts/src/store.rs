//! Temporary credentials as kept in the store.
//!
//! Tree `sts`, key `<account>\0credentials\0<access key id>`, value JSON with a format
//! version (`"v": 1`). The account in the key is the one encoded in the access key id (see
//! [`crate::ids`]), so a key id alone is enough to find its record.

use crate::error::StsError;
use crate::ids;
use lamina_storage::{Store, StoreError, WriteBatch, key};
use serde::{Deserialize, Serialize};

/// The store tree STS writes to.
pub const TREE: &str = "sts";
const FORMAT_VERSION: u32 = 1;

/// Who a set of temporary credentials stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "Type")]
pub enum Principal {
    /// Issued by AssumeRole.
    AssumedRole {
        #[serde(rename = "RoleArn")]
        role_arn: String,
        #[serde(rename = "RoleId")]
        role_id: String,
        #[serde(rename = "RoleSessionName")]
        session_name: String,
    },
    /// Issued by GetSessionToken: the caller's own identity.
    Session,
}

/// Temporary credentials issued by Lamina's STS, as persisted.
///
/// Other services resolve a request's access key with [`Credentials::lookup`] to learn the
/// role it acts as and the secret to verify its signature with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Credentials {
    #[serde(rename = "v")]
    pub version: u32,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch seconds after which the credentials are rejected.
    pub expiration: i64,
    /// The account the credentials act in (the role's account for an assumed role).
    pub account: String,
    /// The ARN GetCallerIdentity reports: `arn:aws:sts::<acct>:assumed-role/<role>/<session>`
    /// or, for GetSessionToken, the caller's own ARN.
    pub arn: String,
    /// The UserId GetCallerIdentity reports: `<RoleId>:<session>` or the caller's own id.
    pub user_id: String,
    pub principal: Principal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// Session tags (key, value) and which of them are transitive.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    /// Epoch seconds at issue.
    pub issued: i64,
}

impl Credentials {
    /// The record for `access_key_id`, if Lamina issued it (expired ones included: check
    /// [`Credentials::is_expired`]).
    pub async fn lookup(
        store: &dyn Store,
        access_key_id: &str,
    ) -> Result<Option<Self>, StoreError> {
        let Some(account) = ids::account_of_access_key(access_key_id) else {
            return Ok(None);
        };
        let Some(bytes) = store
            .get(TREE, &record_key(&account, access_key_id))
            .await?
        else {
            return Ok(None);
        };
        serde_json::from_slice::<Self>(&bytes)
            .map(Some)
            .map_err(|e| {
                StoreError::Backend(format!("sts credentials record {access_key_id}: {e}"))
            })
    }

    /// The role ARN for credentials issued by AssumeRole.
    pub fn role_arn(&self) -> Option<&str> {
        match &self.principal {
            Principal::AssumedRole { role_arn, .. } => Some(role_arn),
            Principal::Session => None,
        }
    }

    pub fn is_expired(&self, now_epoch_seconds: i64) -> bool {
        now_epoch_seconds >= self.expiration
    }

    pub(crate) fn version() -> u32 {
        FORMAT_VERSION
    }

    /// Persists a new record; the key id is random, so the key must not exist yet.
    pub(crate) async fn save(&self, store: &dyn Store) -> Result<(), StsError> {
        let value = serde_json::to_vec(self).map_err(|e| StsError::Corrupt(e.to_string()))?;
        let mut batch = WriteBatch::new();
        let k = record_key(&self.account, &self.access_key_id);
        batch.require_absent(TREE, k.clone()).put(TREE, k, value);
        store.commit(batch).await?;
        Ok(())
    }
}

fn record_key(account: &str, access_key_id: &str) -> Vec<u8> {
    key::join(&[account, "credentials", access_key_id])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record in format 1 as written by the first release; it must keep reading.
    const FROZEN_V1: &str = r#"{"v":1,"AccessKeyId":"ASIAAAAAAAAAAAAAAAAA","SecretAccessKey":"s","SessionToken":"t","Expiration":1700003600,"Account":"123456789012","Arn":"arn:aws:sts::123456789012:assumed-role/app/s1","UserId":"AROAAAAAAAAAAAAAAAAAA:s1","Principal":{"Type":"AssumedRole","RoleArn":"arn:aws:iam::123456789012:role/app","RoleId":"AROAAAAAAAAAAAAAAAAAA","RoleSessionName":"s1"},"Issued":1700000000}"#;

    #[test]
    fn frozen_v1_record_reads() {
        let c: Credentials = serde_json::from_str(FROZEN_V1).unwrap();
        assert_eq!(c.version, 1);
        assert_eq!(c.role_arn(), Some("arn:aws:iam::123456789012:role/app"));
        assert!(c.is_expired(1700003600));
        assert!(!c.is_expired(1700003599));
    }

    #[test]
    fn key_starts_with_account() {
        assert!(record_key("123456789012", "ASIAX").starts_with(b"123456789012\0"));
    }
}
