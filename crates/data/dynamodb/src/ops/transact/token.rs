//! `ClientRequestToken` idempotency of TransactWriteItems: for 10 minutes after a token's
//! first successful use, the same token with the same request answers the first answer
//! without writing again, and the same token with another request is
//! `IdempotentParameterMismatchException`.
//!
//! Tree `ddb.txtoken`, key `acct \0 region \0 token`, value JSON `{"v": 1, "hash": <SHA-256 of
//! the request without the token>, "at": <epoch seconds>, "answer": <the answer>}`. Expired
//! records are ignored and overwritten by the token's next use.

use crate::DynamoDb;
use crate::error::{DdbError, Result};
use lamina_core::RequestContext;
use lamina_storage::{WriteBatch, key};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub(crate) const TREE: &str = "ddb.txtoken";
/// How long a token is remembered.
pub(crate) const WINDOW_SECONDS: f64 = 600.0;
const FORMAT: u64 = 1;

fn token_key(ctx: &RequestContext, token: &str) -> Vec<u8> {
    key::join(&[ctx.account_id.as_str(), ctx.region.as_str(), token])
}

/// The request's identity: SHA-256 (hex) of its JSON without the token and the
/// capacity/metrics switches, which do not change what the transaction does.
pub(crate) fn fingerprint(input: &Value) -> String {
    let mut v = input.clone();
    if let Some(m) = v.as_object_mut() {
        for k in [
            "ClientRequestToken",
            "ReturnConsumedCapacity",
            "ReturnItemCollectionMetrics",
        ] {
            m.remove(k);
        }
    }
    let bytes = serde_json::to_vec(&v).unwrap_or_default();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The remembered answer for `token`, if the same request used it within the window.
pub(crate) async fn lookup(
    db: &DynamoDb,
    ctx: &RequestContext,
    token: &str,
    fingerprint: &str,
) -> Result<Option<Value>> {
    let Some(raw) = db.store.get(TREE, &token_key(ctx, token)).await? else {
        return Ok(None);
    };
    let rec: Value = serde_json::from_slice(&raw)
        .map_err(|e| DdbError::Internal(format!("decode transaction token: {e}")))?;
    let at = rec["at"].as_f64().unwrap_or(0.0);
    if lamina_core::now_epoch_seconds() - at > WINDOW_SECONDS {
        return Ok(None);
    }
    if rec["hash"].as_str() != Some(fingerprint) {
        return Err(DdbError::IdempotentMismatch(
            "Token already used with different request".into(),
        ));
    }
    Ok(Some(rec["answer"].clone()))
}

/// Remembers the answer of a committed transaction under its token.
pub(crate) async fn remember(
    db: &DynamoDb,
    ctx: &RequestContext,
    token: &str,
    fingerprint: &str,
    answer: &Value,
) -> Result<()> {
    let rec = json!({
        "v": FORMAT,
        "hash": fingerprint,
        "at": lamina_core::now_epoch_seconds(),
        "answer": answer,
    });
    let bytes = serde_json::to_vec(&rec)
        .map_err(|e| DdbError::Internal(format!("encode transaction token: {e}")))?;
    let mut batch = WriteBatch::new();
    batch.put(TREE, token_key(ctx, token), bytes);
    db.store.commit(batch).await?;
    Ok(())
}
