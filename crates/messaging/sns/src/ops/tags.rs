//! TagResource, UntagResource, ListTagsForResource (topics).

use super::Ctx;
use super::topics::update;
use crate::Inner;
use crate::error::{Result, SnsError};
use crate::types::{ResourceArnInput, Tag, TagResourceRequest, UntagResourceRequest};
use serde_json::{Value, json};

/// Tags per topic.
pub const MAX_TAGS: usize = 50;

fn not_found() -> SnsError {
    SnsError::ResourceNotFound
}

fn arn_ok(ctx: &Ctx, arn: &str) -> Result<()> {
    super::parse_topic_arn(ctx, arn)
        .map(|_| ())
        .map_err(|_| SnsError::ResourceNotFound)
}

pub async fn tag(inner: &Inner, ctx: &Ctx, input: TagResourceRequest) -> Result<()> {
    arn_ok(ctx, &input.resource_arn)?;
    let tags = input.tags;
    update(inner, ctx, &input.resource_arn, not_found, |t| {
        for tag in &tags {
            t.tags.insert(tag.key.clone(), tag.value.clone());
        }
        if t.tags.len() > MAX_TAGS {
            return Err(SnsError::TagLimitExceeded);
        }
        Ok(())
    })
    .await
}

pub async fn untag(inner: &Inner, ctx: &Ctx, input: UntagResourceRequest) -> Result<()> {
    arn_ok(ctx, &input.resource_arn)?;
    let keys = input.tag_keys;
    update(inner, ctx, &input.resource_arn, not_found, |t| {
        for k in &keys {
            t.tags.remove(k);
        }
        Ok(())
    })
    .await
}

pub async fn list(inner: &Inner, ctx: &Ctx, input: ResourceArnInput) -> Result<Value> {
    arn_ok(ctx, &input.resource_arn)?;
    let (scope, name) = super::parse_topic_arn(ctx, &input.resource_arn)?;
    let t = inner
        .table
        .topic(&scope, &name)
        .await?
        .ok_or(SnsError::ResourceNotFound)?;
    let tags: Vec<Tag> = t
        .value
        .tags
        .into_iter()
        .map(|(key, value)| Tag { key, value })
        .collect();
    Ok(json!({ "Tags": tags }))
}
