//! Control-plane operations by family. Each family exports `OPS` and `call`, which answers
//! `None` for operations that are not its own (the pattern of the DynamoDB crate).

pub mod apis;
pub mod authorizers;
pub mod routes;
pub mod stages;

use super::error::{Result, V2Error};
use super::store::{ApiDoc, Change, Scope, Snapshot, Table};
use super::types::Deployment;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lamina_core::RequestContext;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A new resource id of `len` lowercase alphanumerics (APIs 10, routes and integrations 7,
/// authorizers and deployments 6, as AWS's are).
pub fn new_id(len: usize) -> String {
    lamina_core::random_alnum(len, ID_ALPHABET)
}

/// What every operation needs.
pub struct Ctx<'a> {
    pub table: &'a Table,
    pub scope: Scope,
    pub req: &'a RequestContext,
}

impl Ctx<'_> {
    /// The invoke URL base of an API: `http://<id>.execute-api.localhost:<port>`.
    pub fn api_endpoint(&self, id: &str) -> String {
        let port = self
            .req
            .endpoint
            .rsplit_once(':')
            .map(|(_, p)| p)
            .filter(|p| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty())
            .unwrap_or("4566");
        format!("http://{id}.execute-api.localhost:{port}")
    }
}

pub fn input<T: DeserializeOwned>(v: &Value) -> Result<T> {
    serde_json::from_value(v.clone()).map_err(|e| V2Error::bad(format!("Invalid request: {e}")))
}

pub fn output<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| V2Error::Internal(format!("encode output: {e}")))
}

/// A string member of the canonical input (URI labels such as `ApiId`).
pub fn label(v: &Value, name: &str) -> String {
    v.get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub fn now() -> f64 {
    // Whole seconds: the codec writes ISO 8601 and AWS shows no fractions.
    lamina_core::now_epoch_seconds().floor()
}

/// Every implemented operation, for `Service::implemented`.
pub fn implemented() -> Vec<&'static str> {
    let mut ops: Vec<&'static str> = Vec::new();
    ops.extend_from_slice(apis::OPS);
    ops.extend_from_slice(routes::OPS);
    ops.extend_from_slice(authorizers::OPS);
    ops.extend_from_slice(stages::OPS);
    ops.sort_unstable();
    ops
}

/// Runs an operation of any family.
pub async fn call(cx: &Ctx<'_>, op: &str, v: &Value) -> Result<Value> {
    if let Some(r) = apis::call(cx, op, v).await {
        return r;
    }
    if let Some(r) = routes::call(cx, op, v).await {
        return r;
    }
    if let Some(r) = authorizers::call(cx, op, v).await {
        return r;
    }
    if let Some(r) = stages::call(cx, op, v).await {
        return r;
    }
    Err(V2Error::Internal(format!("operation {op} has no handler")))
}

/// A change to the document that needs no snapshot bookkeeping besides auto-deploys.
pub fn changed<R>(mut doc: ApiDoc, result: R, redeploy: bool) -> Change<R> {
    let mut snapshots = Vec::new();
    let mut drop = Vec::new();
    if redeploy {
        auto_deploy(&mut doc, &mut snapshots, &mut drop);
    }
    Change {
        doc: Some(doc),
        snapshots,
        drop_snapshots: drop,
        result,
    }
}

/// Redeploys every stage with AutoDeploy: one new deployment of the current configuration;
/// auto-deployments no stage uses any more are dropped.
pub fn auto_deploy(
    doc: &mut ApiDoc,
    snapshots: &mut Vec<(String, Snapshot)>,
    drop: &mut Vec<String>,
) {
    if !doc.stages.values().any(|s| s.auto_deploy == Some(true)) {
        return;
    }
    let id = new_id(6);
    let t = now();
    doc.deployments.insert(
        id.clone(),
        Deployment {
            auto_deployed: Some(true),
            created_date: Some(t),
            deployment_id: Some(id.clone()),
            deployment_status: Some("DEPLOYED".into()),
            deployment_status_message: None,
            description: Some(
                "Automatic deployment triggered by changes to the Api configuration".into(),
            ),
        },
    );
    snapshots.push((id.clone(), Snapshot::of(doc)));
    for stage in doc
        .stages
        .values_mut()
        .filter(|s| s.auto_deploy == Some(true))
    {
        stage.deployment_id = Some(id.clone());
        stage.last_updated_date = Some(t);
        stage.last_deployment_status_message = Some(format!(
            "Successfully deployed stage with deployment ID '{id}'"
        ));
    }
    let used: Vec<String> = doc
        .stages
        .values()
        .filter_map(|s| s.deployment_id.clone())
        .collect();
    let stale: Vec<String> = doc
        .deployments
        .iter()
        .filter(|(k, d)| d.auto_deployed == Some(true) && !used.contains(k))
        .map(|(k, _)| k.clone())
        .collect();
    for k in stale {
        doc.deployments.remove(&k);
        drop.push(k);
    }
}

/// A page of `items` (in key order) after the `NextToken`, with the token of the next page.
pub fn page<T: Clone>(
    items: &std::collections::BTreeMap<String, T>,
    v: &Value,
) -> Result<(Vec<T>, Option<String>)> {
    let (limit, after) = page_args(v)?;
    let mut out = Vec::new();
    let mut last = None;
    let mut more = false;
    for (k, item) in items {
        if after.as_deref().is_some_and(|a| k.as_str() <= a) {
            continue;
        }
        if out.len() == limit {
            more = true;
            break;
        }
        out.push(item.clone());
        last = Some(k.clone());
    }
    Ok((
        out,
        if more {
            last.map(|l| encode_token(&l))
        } else {
            None
        },
    ))
}

/// `MaxResults` (a string in this model) and the decoded `NextToken`.
pub fn page_args(v: &Value) -> Result<(usize, Option<String>)> {
    let limit = match v.get("MaxResults").and_then(Value::as_str) {
        None => 100,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(500),
            _ => {
                return Err(V2Error::bad(
                    "The maxResults parameter must be a positive integer",
                ));
            }
        },
    };
    let after = match v.get("NextToken").and_then(Value::as_str) {
        None | Some("") => None,
        Some(t) => Some(decode_token(t)?),
    };
    Ok((limit, after))
}

pub fn encode_token(after: &str) -> String {
    URL_SAFE_NO_PAD.encode(after.as_bytes())
}

pub fn decode_token(t: &str) -> Result<String> {
    URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| V2Error::bad("Invalid pagination token"))
}

/// The `{"Items": [...], "NextToken"}` output of a Get* listing.
pub fn items<T: Serialize>(items: Vec<T>, next: Option<String>) -> Result<Value> {
    let mut out = serde_json::json!({ "Items": output(&items)? });
    if let Some(n) = next {
        out["NextToken"] = Value::String(n);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn v2_pages_and_tokens() {
        let mut m = BTreeMap::new();
        for k in ["a", "b", "c"] {
            m.insert(k.to_string(), k.to_string());
        }
        let (p, next) = page(&m, &serde_json::json!({"MaxResults": "2"})).unwrap();
        assert_eq!(p, vec!["a", "b"]);
        let next = next.unwrap();
        let (p, n2) = page(
            &m,
            &serde_json::json!({"MaxResults": "2", "NextToken": next}),
        )
        .unwrap();
        assert_eq!(p, vec!["c"]);
        assert!(n2.is_none());
        assert!(page(&m, &serde_json::json!({"MaxResults": "x"})).is_err());
        assert!(page(&m, &serde_json::json!({"NextToken": "%%%"})).is_err());
    }

    #[test]
    fn v2_ids() {
        let id = new_id(10);
        assert_eq!(id.len(), 10);
        assert!(id.bytes().all(|b| ID_ALPHABET.contains(&b)));
    }
}
