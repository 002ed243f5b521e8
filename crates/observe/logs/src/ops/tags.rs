//! Tags on log groups: TagResource/UntagResource/ListTagsForResource (by ARN) and the legacy
//! TagLogGroup/UntagLogGroup/ListTagsLogGroup (by name).

use crate::error::{LogsError, Result};
use crate::logs::Logs;
use crate::store::{self, Scope};
use crate::types::*;

const MAX_TAGS: usize = 50;

/// The group an ARN names: `arn:aws:logs:<region>:<account>:log-group:<name>[:*]` in the
/// caller's account and region.
fn group_from_arn(s: &Scope, arn: &str) -> Result<String> {
    let prefix = format!("arn:aws:logs:{}:{}:log-group:", s.region, s.account);
    match arn.strip_prefix(&prefix) {
        Some(name) if !name.is_empty() => Ok(name.strip_suffix(":*").unwrap_or(name).to_string()),
        _ if arn.starts_with("arn:") && arn.contains(":log-group:") => {
            Err(LogsError::GroupNotFound)
        }
        _ => Err(LogsError::InvalidParameter(format!(
            "Invalid resource arn: {arn}"
        ))),
    }
}

async fn add(l: &Logs, s: &Scope, group: &str, tags: Tags) -> Result<()> {
    store::update_group(l.store.as_ref(), s, group, |g| {
        let mut merged = g.tags.clone();
        merged.extend(tags.clone());
        if merged.len() > MAX_TAGS {
            return Err(LogsError::TooManyTags(
                "A resource can have no more than 50 tags.".into(),
            ));
        }
        g.tags = merged;
        Ok(())
    })
    .await?;
    Ok(())
}

async fn remove(l: &Logs, s: &Scope, group: &str, keys: &[String]) -> Result<()> {
    store::update_group(l.store.as_ref(), s, group, |g| {
        for k in keys {
            g.tags.remove(k);
        }
        Ok(())
    })
    .await?;
    Ok(())
}

async fn list(l: &Logs, s: &Scope, group: &str) -> Result<Tags> {
    Ok(store::require_group(l.store.as_ref(), s, group).await?.tags)
}

pub async fn tag_resource(l: &Logs, s: &Scope, req: TagResourceRequest) -> Result<()> {
    let g = group_from_arn(s, &req.resource_arn)?;
    add(l, s, &g, req.tags).await
}

pub async fn untag_resource(l: &Logs, s: &Scope, req: UntagResourceRequest) -> Result<()> {
    let g = group_from_arn(s, &req.resource_arn)?;
    remove(l, s, &g, &req.tag_keys).await
}

pub async fn list_for_resource(
    l: &Logs,
    s: &Scope,
    req: ListTagsForResourceRequest,
) -> Result<ListTagsForResourceResponse> {
    let g = group_from_arn(s, &req.resource_arn)?;
    Ok(ListTagsForResourceResponse {
        tags: list(l, s, &g).await?,
    })
}

pub async fn tag_log_group(l: &Logs, s: &Scope, req: TagLogGroupRequest) -> Result<()> {
    add(l, s, &req.log_group_name, req.tags).await
}

pub async fn untag_log_group(l: &Logs, s: &Scope, req: UntagLogGroupRequest) -> Result<()> {
    remove(l, s, &req.log_group_name, &req.tags).await
}

pub async fn list_log_group(
    l: &Logs,
    s: &Scope,
    req: ListTagsLogGroupRequest,
) -> Result<ListTagsLogGroupResponse> {
    Ok(ListTagsLogGroupResponse {
        tags: list(l, s, &req.log_group_name).await?,
    })
}
