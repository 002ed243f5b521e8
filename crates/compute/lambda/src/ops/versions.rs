//! PublishVersion and ListVersionsByFunction. A version is an immutable copy of `$LATEST`;
//! publishing when nothing changed since the last version returns that version, as AWS does.

use super::{Cx, check_revision, input, json, load_function, page, parse_ref, update_function};
use crate::error::{LambdaError, Result};
use crate::model::{Config, FunctionRecord, Phase, render_config};
use crate::store::{self, Scope};
use lamina_core::{Input, Output, new_request_id};
use lamina_model::generated::lambda_::op;
use lamina_storage::WriteBatch;
use serde::Deserialize;
use serde_json::{Value, json};

pub(crate) const OPS: &[&str] = &[op::PUBLISH_VERSION, op::LIST_VERSIONS_BY_FUNCTION];

pub(crate) async fn call(cx: &Cx<'_>, op: &str, i: Input) -> Result<Output> {
    match op {
        op::PUBLISH_VERSION => publish(cx, input(i.value)?).await,
        op::LIST_VERSIONS_BY_FUNCTION => list(cx, input(i.value)?).await,
        _ => Err(LambdaError::Internal(format!(
            "{op} is not a version operation"
        ))),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PublishVersionRequest {
    pub function_name: String,
    pub code_sha256: Option<String>,
    pub description: Option<String>,
    pub revision_id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListVersionsByFunctionRequest {
    pub function_name: String,
    pub marker: Option<String>,
    pub max_items: Option<usize>,
}

/// Publishes `$LATEST` of `f` as a new version (its record added to `batch`), or returns
/// the last version when nothing changed since it was published.
pub(crate) fn publish_into(
    scope: &Scope,
    f: &mut FunctionRecord,
    batch: &mut WriteBatch,
    description: Option<&str>,
) -> Result<Config> {
    let fingerprint = f.latest.publish_fingerprint();
    if let Some((last, version)) = &f.last_published
        && *last == fingerprint
    {
        // Marker for "unchanged": the caller loads the stored version.
        let mut c = f.latest.clone();
        c.version = version.clone();
        c.revision_id = String::new();
        return Ok(c);
    }
    let n = f.next_version;
    let mut c = f.latest.clone();
    c.version = n.to_string();
    c.revision_id = new_request_id();
    if let Some(d) = description {
        c.description = d.to_string();
    }
    batch.put(
        store::VERSIONS,
        store::version_key(scope, &c.name, n),
        store::encode(&c)?,
    );
    f.next_version = n + 1;
    f.last_published = Some((fingerprint, c.version.clone()));
    // Publishing changes the function's revision.
    f.latest.revision_id = new_request_id();
    Ok(c)
}

/// The stored configuration of what [`publish_into`] returned.
pub(crate) async fn published(cx: &Cx<'_>, c: Config) -> Result<Config> {
    if !c.revision_id.is_empty() {
        return Ok(c);
    }
    let n: u64 = c
        .version
        .parse()
        .map_err(|_| LambdaError::Internal("bad version number".into()))?;
    store::version(cx.store(), &cx.scope, &c.name, n)
        .await?
        .ok_or_else(|| super::function_not_found(&cx.scope, &c.name, Some(&c.version)))
}

async fn publish(cx: &Cx<'_>, r: PublishVersionRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, None)?;
    let name = fref.name;
    let scope = cx.scope.clone();
    let c = update_function(cx, &name, |f, batch| {
        check_revision(r.revision_id.as_deref(), &f.latest.revision_id)?;
        if let Some(sha) = &r.code_sha256
            && *sha != f.latest.code_sha256
        {
            return Err(LambdaError::InvalidParameter(format!(
                "CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({}). Please try publishing \
                 again.",
                f.latest.code_sha256
            )));
        }
        publish_into(&scope, f, batch, r.description.as_deref())
    })
    .await?;
    let c = published(cx, c).await?;
    let mut out = render_config(&c, &cx.scope.function_arn(&name), Phase::Settled);
    // A new version is answered while it is still being created.
    out["State"] = json!("Active");
    json(out)
}

async fn list(cx: &Cx<'_>, r: ListVersionsByFunctionRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, None)?;
    let f = load_function(cx, &fref.name).await?.record;
    let mut configs = vec![f.latest];
    configs.extend(store::versions(cx.store(), &cx.scope, &fref.name).await?);
    let key = |c: &Config| {
        if c.version == "$LATEST" {
            "$".to_string()
        } else {
            store::pad(c.version.parse().unwrap_or(0))
        }
    };
    let (items, next) = page(configs, key, r.marker.as_deref(), r.max_items, 50)?;
    let arn = cx.scope.function_arn(&fref.name);
    let versions: Vec<Value> = items
        .iter()
        .map(|c| render_config(c, &arn, Phase::Settled))
        .collect();
    let mut out = json!({ "Versions": versions });
    if let Some(m) = next {
        out["NextMarker"] = json!(m);
    }
    json(out)
}
