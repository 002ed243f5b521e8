//! AddTagsToResource, RemoveTagsFromResource, ListTagsForResource for `ResourceType`
//! `Parameter` (ResourceId: the name or the parameter ARN).

use super::Engine;
use super::put::MAX_TAGS;
use crate::error::{Result, SsmError};
use crate::names;
use crate::store::Scope;
use crate::types::*;

/// Other resource types are valid in the model but Lamina keeps none of them, so no id of
/// theirs exists.
fn check_type(resource_type: &str) -> Result<()> {
    match resource_type {
        "Parameter" => Ok(()),
        "Document" | "ManagedInstance" | "MaintenanceWindow" | "PatchBaseline" | "OpsItem"
        | "OpsMetadata" | "Automation" | "Association" | "CloudConnector" => {
            Err(SsmError::InvalidResourceId)
        }
        _ => Err(SsmError::InvalidResourceType),
    }
}

/// Tag keys starting with `aws:` are reserved for AWS.
pub fn check_keys<'a>(keys: impl Iterator<Item = &'a str>) -> Result<()> {
    for k in keys {
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(SsmError::Validation(format!(
                "Tag keys can't start with the reserved prefix aws: ({k})."
            )));
        }
    }
    Ok(())
}

pub async fn add(engine: &Engine, scope: &Scope, req: AddTagsToResourceRequest) -> Result<()> {
    check_type(&req.resource_type)?;
    check_keys(req.tags.iter().map(|t| t.key.as_str()))?;
    let candidates = names::resource_candidates(&req.resource_id);
    engine
        .update_head(
            scope,
            &candidates,
            || SsmError::InvalidResourceId,
            |head| {
                let mut new = head.clone();
                for t in &req.tags {
                    match new.tags.iter_mut().find(|x| x.key == t.key) {
                        Some(x) => x.value = t.value.clone(),
                        None => new.tags.push(t.clone()),
                    }
                }
                if new.tags.len() > MAX_TAGS {
                    return Err(SsmError::TooManyTags);
                }
                Ok((Some(new), ()))
            },
        )
        .await
}

pub async fn remove(
    engine: &Engine,
    scope: &Scope,
    req: RemoveTagsFromResourceRequest,
) -> Result<()> {
    check_type(&req.resource_type)?;
    let candidates = names::resource_candidates(&req.resource_id);
    engine
        .update_head(
            scope,
            &candidates,
            || SsmError::InvalidResourceId,
            |head| {
                let mut new = head.clone();
                new.tags.retain(|t| !req.tag_keys.contains(&t.key));
                let changed = new.tags.len() != head.tags.len();
                Ok((changed.then_some(new), ()))
            },
        )
        .await
}

pub async fn list(
    engine: &Engine,
    scope: &Scope,
    req: ListTagsForResourceRequest,
) -> Result<ListTagsForResourceResult> {
    check_type(&req.resource_type)?;
    let candidates = names::resource_candidates(&req.resource_id);
    match engine.find(scope, &candidates).await? {
        Some(l) => Ok(ListTagsForResourceResult {
            tag_list: l.head.tags,
        }),
        None => Err(SsmError::InvalidResourceId),
    }
}
