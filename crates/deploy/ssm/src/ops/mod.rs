//! Operation logic, by family, plus what the families share: the engine (table + crypto),
//! resolving references, rendering values and opaque page tokens.

pub mod delete;
pub mod describe;
pub mod filters;
pub mod get;
pub mod labels;
pub mod put;
pub mod tags;

use crate::crypto::Crypto;
use crate::error::{Result, SsmError};
use crate::names::{self, Reference, Selector};
use crate::store::{self, HeadRecord, Loaded, Scope, Table, VersionRecord};
use crate::types::Parameter;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lamina_storage::{StoreError, WriteBatch};
use serde::{Deserialize, Serialize};

/// How often a read-modify-write is retried on a precondition conflict before the caller
/// gets `TooManyUpdates`.
pub const MAX_ATTEMPTS: usize = 64;

pub struct Engine {
    pub table: Table,
    pub crypto: Crypto,
}

impl Engine {
    /// The head of the first candidate name that exists.
    pub async fn find(&self, scope: &Scope, candidates: &[String]) -> Result<Option<Loaded>> {
        for name in candidates {
            if let Some(l) = self.table.head(scope, name).await? {
                return Ok(Some(l));
            }
        }
        Ok(None)
    }

    /// Resolves a Get reference to the head and the selected version.
    pub async fn resolve(
        &self,
        scope: &Scope,
        r: &Reference,
    ) -> Result<(HeadRecord, VersionRecord)> {
        let Some(Loaded { head, .. }) = self.find(scope, &r.candidates).await? else {
            return Err(SsmError::ParameterNotFound(String::new()));
        };
        let version = match &r.selector {
            None => {
                let latest = head.latest.clone();
                return Ok((head, latest));
            }
            Some(Selector::Version(v)) => *v,
            Some(Selector::Label(l)) => match head.labels.get(l) {
                Some(v) => *v,
                None => return Err(SsmError::ParameterNotFound(String::new())),
            },
        };
        let not_found = || SsmError::VersionNotFound {
            name: head.name.clone(),
            version: version.to_string(),
        };
        if !head.versions.contains(&version) {
            return Err(not_found());
        }
        let record = if version == head.latest.version {
            head.latest.clone()
        } else {
            self.table
                .version(scope, &head.name, version)
                .await?
                .ok_or_else(not_found)?
        };
        Ok((head, record))
    }

    /// Read-modify-write of one head: `f` returns the new head (or `None`: nothing to write)
    /// and the result; retried on concurrent change, `TooManyUpdates` when contention persists.
    pub async fn update_head<R>(
        &self,
        scope: &Scope,
        candidates: &[String],
        missing: impl Fn() -> SsmError,
        mut f: impl FnMut(&HeadRecord) -> Result<(Option<HeadRecord>, R)>,
    ) -> Result<R> {
        for _ in 0..MAX_ATTEMPTS {
            let Some(Loaded { head, raw }) = self.find(scope, candidates).await? else {
                return Err(missing());
            };
            let (new, result) = f(&head)?;
            let Some(new) = new else { return Ok(result) };
            let key = store::head_key(scope, &head.name);
            let mut batch = WriteBatch::new();
            batch.require_equals(store::PARAMS, key.clone(), raw);
            batch.put(store::PARAMS, key, store::encode(&new)?);
            match self.table.commit(batch).await {
                Ok(()) => return Ok(result),
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(SsmError::TooManyUpdates)
    }

    /// The value a caller sees: plaintext, or for SecureString without decryption the opaque
    /// stored ciphertext.
    pub fn value(
        &self,
        scope: &Scope,
        name: &str,
        v: &VersionRecord,
        decrypt: bool,
    ) -> Result<String> {
        if v.kind == "SecureString" && decrypt {
            self.crypto.decrypt(scope, name, v.version, &v.value)
        } else {
            Ok(v.value.clone())
        }
    }

    pub fn parameter(
        &self,
        scope: &Scope,
        name: &str,
        v: &VersionRecord,
        decrypt: bool,
        selector: Option<&Selector>,
    ) -> Result<Parameter> {
        Ok(Parameter {
            name: name.to_string(),
            kind: v.kind.clone(),
            value: self.value(scope, name, v, decrypt)?,
            version: v.version,
            selector: selector.map(Selector::display),
            source_result: None,
            last_modified_date: v.modified,
            arn: scope.arn(name),
            data_type: v.data_type.clone(),
        })
    }
}

pub fn parse_reference(s: &str) -> Reference {
    names::parse_reference(s)
}

/// Opaque page token: which listing it belongs to and the last key returned.
#[derive(Serialize, Deserialize)]
struct Token {
    v: u32,
    op: String,
    after: String,
}

pub fn encode_token(op: &str, after: &str) -> String {
    let t = Token {
        v: 1,
        op: op.to_string(),
        after: after.to_string(),
    };
    // Serializing a struct of strings cannot fail.
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&t).unwrap_or_default())
}

pub fn decode_token(op: &str, token: &str) -> Result<String> {
    let raw = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| SsmError::InvalidNextToken)?;
    let t: Token = serde_json::from_slice(&raw).map_err(|_| SsmError::InvalidNextToken)?;
    if t.v != 1 || t.op != op {
        return Err(SsmError::InvalidNextToken);
    }
    Ok(t.after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = encode_token("path", "/a/b");
        assert_eq!(decode_token("path", &t).unwrap(), "/a/b");
        assert!(matches!(
            decode_token("describe", &t),
            Err(SsmError::InvalidNextToken)
        ));
        assert!(matches!(
            decode_token("path", "garbage!"),
            Err(SsmError::InvalidNextToken)
        ));
    }
}
