//! TagResource, UntagResource, ListTags on functions (by ARN), 50 tags per function.

use super::{Cx, input, json, load_function, parse_ref, update_function};
use crate::error::{LambdaError, Result};
use lamina_core::{Input, Output};
use lamina_model::generated::lambda_::op;
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

pub(crate) const OPS: &[&str] = &[op::TAG_RESOURCE, op::UNTAG_RESOURCE, op::LIST_TAGS];

const MAX_TAGS: usize = 50;

pub(crate) async fn call(cx: &Cx<'_>, op: &str, i: Input) -> Result<Output> {
    match op {
        op::TAG_RESOURCE => tag(cx, input(i.value)?).await,
        op::UNTAG_RESOURCE => untag(cx, input(i.value)?).await,
        op::LIST_TAGS => list(cx, input(i.value)?).await,
        _ => Err(LambdaError::Internal(format!(
            "{op} is not a tag operation"
        ))),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagResourceRequest {
    pub resource: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UntagResourceRequest {
    pub resource: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListTagsRequest {
    pub resource: String,
}

pub(crate) fn check_tags(tags: &BTreeMap<String, String>) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(LambdaError::InvalidParameter(
            "Number of tags exceeds resource tag limit.".into(),
        ));
    }
    Ok(())
}

/// The function a taggable ARN names; tags belong to the unqualified function.
fn function_of(cx: &Cx<'_>, resource: &str) -> Result<String> {
    let fref = parse_ref(&cx.scope, resource, None)?;
    if let Some(q) = fref.qualifier {
        return Err(LambdaError::InvalidParameter(format!(
            "Tags on function aliases and versions are not supported. Please specify a function ARN. ({}:{q})",
            cx.scope.function_arn(&fref.name)
        )));
    }
    Ok(fref.name)
}

async fn tag(cx: &Cx<'_>, r: TagResourceRequest) -> Result<Output> {
    let name = function_of(cx, &r.resource)?;
    update_function(cx, &name, |f, _| {
        let mut tags = f.tags.clone();
        tags.extend(r.tags.clone());
        check_tags(&tags)?;
        f.tags = tags;
        Ok(())
    })
    .await?;
    json(json!({}))
}

async fn untag(cx: &Cx<'_>, r: UntagResourceRequest) -> Result<Output> {
    let name = function_of(cx, &r.resource)?;
    update_function(cx, &name, |f, _| {
        for k in &r.tag_keys {
            f.tags.remove(k);
        }
        Ok(())
    })
    .await?;
    json(json!({}))
}

async fn list(cx: &Cx<'_>, r: ListTagsRequest) -> Result<Output> {
    let name = function_of(cx, &r.resource)?;
    let f = load_function(cx, &name).await?.record;
    json(json!({ "Tags": f.tags }))
}
