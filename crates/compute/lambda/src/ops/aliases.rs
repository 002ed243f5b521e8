//! CreateAlias, GetAlias, UpdateAlias, ListAliases, DeleteAlias. An alias points at a
//! version and may route a weighted share of invocations to one additional version.

use super::{
    Cx, check_revision, function_not_found, input, is_version, json, load_function, page, parse_ref,
};
use crate::error::{LambdaError, Result};
use crate::model::{self, AliasRecord, FunctionRecord, render_alias};
use crate::store;
use lamina_core::{Input, Output, new_request_id};
use lamina_model::generated::lambda_::op;
use lamina_storage::{StoreError, WriteBatch};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(crate) const OPS: &[&str] = &[
    op::CREATE_ALIAS,
    op::GET_ALIAS,
    op::UPDATE_ALIAS,
    op::LIST_ALIASES,
    op::DELETE_ALIAS,
];

pub(crate) async fn call(cx: &Cx<'_>, op: &str, i: Input) -> Result<Output> {
    match op {
        op::CREATE_ALIAS => create(cx, input(i.value)?).await,
        op::GET_ALIAS => get(cx, input(i.value)?).await,
        op::UPDATE_ALIAS => update(cx, input(i.value)?).await,
        op::LIST_ALIASES => list(cx, input(i.value)?).await,
        op::DELETE_ALIAS => delete(cx, input(i.value)?).await,
        _ => Err(LambdaError::Internal(format!(
            "{op} is not an alias operation"
        ))),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AliasRoutingConfiguration {
    pub additional_version_weights: Option<BTreeMap<String, f64>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateAliasRequest {
    pub function_name: String,
    pub name: String,
    pub function_version: String,
    pub description: Option<String>,
    pub routing_config: Option<AliasRoutingConfiguration>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateAliasRequest {
    pub function_name: String,
    pub name: String,
    pub function_version: Option<String>,
    pub description: Option<String>,
    pub routing_config: Option<AliasRoutingConfiguration>,
    pub revision_id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetAliasRequest {
    pub function_name: String,
    pub name: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListAliasesRequest {
    pub function_name: String,
    pub function_version: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<usize>,
}

fn alias_not_found(cx: &Cx<'_>, function: &str, alias: &str) -> LambdaError {
    LambdaError::NotFound(format!(
        "Cannot find alias arn: {}:{alias}",
        cx.scope.function_arn(function)
    ))
}

/// The version must be `$LATEST` or a published version of the function.
async fn check_version(cx: &Cx<'_>, f: &FunctionRecord, version: &str) -> Result<()> {
    if version == "$LATEST" {
        return Ok(());
    }
    let name = &f.latest.name;
    let n: u64 = if is_version(version) {
        version.parse().ok()
    } else {
        None
    }
    .ok_or_else(|| function_not_found(&cx.scope, name, Some(version)))?;
    store::version(cx.store(), &cx.scope, name, n)
        .await?
        .ok_or_else(|| function_not_found(&cx.scope, name, Some(version)))?;
    Ok(())
}

async fn check_routing(
    cx: &Cx<'_>,
    f: &FunctionRecord,
    primary: &str,
    weights: &BTreeMap<String, f64>,
) -> Result<()> {
    if weights.len() > 1 {
        return Err(LambdaError::Validation(format!(
            "1 validation error detected: Value '{}' at 'routingConfig.additionalVersionWeights' failed to satisfy \
             constraint: Member must have length less than or equal to 1",
            serde_json::to_string(weights).unwrap_or_default()
        )));
    }
    for (version, weight) in weights {
        if !(0.0..=1.0).contains(weight) {
            return Err(LambdaError::Validation(format!(
                "1 validation error detected: Value '{{{version}={weight}}}' at 'routingConfig.additionalVersionWeights' \
                 failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than \
                 or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]"
            )));
        }
        if primary == "$LATEST" || version == "$LATEST" {
            return Err(LambdaError::InvalidParameter(
                "$LATEST is not supported for an alias pointing to more than 1 version".into(),
            ));
        }
        if version == primary {
            return Err(LambdaError::InvalidParameter(format!(
                "Invalid function version {version}. Function version {version} is already included in routing \
                 configuration."
            )));
        }
        check_version(cx, f, version).await?;
    }
    Ok(())
}

fn check_alias_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !name.bytes().all(|b| b.is_ascii_digit());
    if ok {
        return Ok(());
    }
    Err(LambdaError::Validation(format!(
        "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy \
         regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
    )))
}

async fn create(cx: &Cx<'_>, r: CreateAliasRequest) -> Result<Output> {
    let name = parse_ref(&cx.scope, &r.function_name, None)?.name;
    check_alias_name(&r.name)?;
    let f = load_function(cx, &name).await?.record;
    check_version(cx, &f, &r.function_version).await?;
    let weights = r
        .routing_config
        .and_then(|c| c.additional_version_weights)
        .unwrap_or_default();
    check_routing(cx, &f, &r.function_version, &weights).await?;
    let alias = AliasRecord {
        v: model::FORMAT,
        name: r.name.clone(),
        function_version: r.function_version,
        description: r.description.unwrap_or_default(),
        weights,
        revision_id: new_request_id(),
    };
    let key = store::alias_key(&cx.scope, &name, &r.name);
    let mut batch = WriteBatch::new();
    batch.require_absent(store::ALIASES, key.clone());
    batch.put(store::ALIASES, key, store::encode(&alias)?);
    match cx.store().commit(batch).await {
        Ok(()) => json(render_alias(&alias, &cx.scope.function_arn(&name))),
        Err(StoreError::Conflict { .. }) => Err(LambdaError::Conflict(format!(
            "Alias already exists: {}:{}",
            cx.scope.function_arn(&name),
            r.name
        ))),
        Err(e) => Err(e.into()),
    }
}

async fn get(cx: &Cx<'_>, r: GetAliasRequest) -> Result<Output> {
    let name = parse_ref(&cx.scope, &r.function_name, None)?.name;
    load_function(cx, &name).await?;
    let alias = store::alias(cx.store(), &cx.scope, &name, &r.name)
        .await?
        .ok_or_else(|| alias_not_found(cx, &name, &r.name))?;
    json(render_alias(&alias.record, &cx.scope.function_arn(&name)))
}

async fn update(cx: &Cx<'_>, r: UpdateAliasRequest) -> Result<Output> {
    let name = parse_ref(&cx.scope, &r.function_name, None)?.name;
    let f = load_function(cx, &name).await?.record;
    for _ in 0..16 {
        let loaded = store::alias(cx.store(), &cx.scope, &name, &r.name)
            .await?
            .ok_or_else(|| alias_not_found(cx, &name, &r.name))?;
        let mut alias = loaded.record;
        check_revision(r.revision_id.as_deref(), &alias.revision_id)?;
        if let Some(v) = &r.function_version {
            check_version(cx, &f, v).await?;
            alias.function_version = v.clone();
        }
        if let Some(d) = &r.description {
            alias.description = d.clone();
        }
        if let Some(rc) = &r.routing_config {
            alias.weights = rc.additional_version_weights.clone().unwrap_or_default();
        }
        check_routing(cx, &f, &alias.function_version, &alias.weights).await?;
        alias.revision_id = new_request_id();
        let key = store::alias_key(&cx.scope, &name, &r.name);
        let mut batch = WriteBatch::new();
        batch.require_equals(store::ALIASES, key.clone(), loaded.raw);
        batch.put(store::ALIASES, key, store::encode(&alias)?);
        match cx.store().commit(batch).await {
            Ok(()) => return json(render_alias(&alias, &cx.scope.function_arn(&name))),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(LambdaError::Conflict(
        "The operation cannot be performed at this time. Please try again.".into(),
    ))
}

async fn list(cx: &Cx<'_>, r: ListAliasesRequest) -> Result<Output> {
    let name = parse_ref(&cx.scope, &r.function_name, None)?.name;
    load_function(cx, &name).await?;
    let mut aliases = store::aliases(cx.store(), &cx.scope, &name).await?;
    if let Some(v) = &r.function_version {
        aliases.retain(|a| a.function_version == *v || a.weights.contains_key(v));
    }
    let (items, next) = page(
        aliases,
        |a| a.name.clone(),
        r.marker.as_deref(),
        r.max_items,
        50,
    )?;
    let arn = cx.scope.function_arn(&name);
    let rendered: Vec<Value> = items.iter().map(|a| render_alias(a, &arn)).collect();
    let mut out = json!({ "Aliases": rendered });
    if let Some(m) = next {
        out["NextMarker"] = json!(m);
    }
    json(out)
}

async fn delete(cx: &Cx<'_>, r: GetAliasRequest) -> Result<Output> {
    let name = parse_ref(&cx.scope, &r.function_name, None)?.name;
    load_function(cx, &name).await?;
    let s = &cx.scope;
    let mut batch = WriteBatch::new();
    batch.delete(store::ALIASES, store::alias_key(s, &name, &r.name));
    batch.delete(store::POLICY, store::policy_key(s, &name, &r.name));
    cx.store().commit(batch).await?;
    let alias = r.name.clone();
    super::update_function(cx, &name, |f, _| {
        f.event_invoke_configs.remove(&alias);
        Ok(())
    })
    .await?;
    json(json!({}))
}
