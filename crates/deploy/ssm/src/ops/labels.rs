//! LabelParameterVersion and UnlabelParameterVersion. Labels live in the head (label →
//! version), so moving a label from one version to another is a single atomic write.

use super::Engine;
use crate::error::{Result, SsmError};
use crate::names;
use crate::store::Scope;
use crate::types::*;

pub const MAX_LABELS_PER_VERSION: usize = 10;

pub async fn label(
    engine: &Engine,
    scope: &Scope,
    req: LabelParameterVersionRequest,
) -> Result<LabelParameterVersionResult> {
    let candidates = names::resource_candidates(&req.name);
    let (valid, invalid): (Vec<String>, Vec<String>) = req
        .labels
        .iter()
        .cloned()
        .partition(|l| names::valid_label(l));
    engine
        .update_head(
            scope,
            &candidates,
            || SsmError::ParameterNotFound(String::new()),
            |head| {
                let version = req.parameter_version.unwrap_or(head.latest.version);
                if !head.versions.contains(&version) {
                    return Err(SsmError::VersionNotFound {
                        name: head.name.clone(),
                        version: version.to_string(),
                    });
                }
                let current = head.labels_of(version);
                let mut added: Vec<&String> = Vec::new();
                for l in &valid {
                    if !current.contains(l) && !added.contains(&l) {
                        added.push(l);
                    }
                }
                if current.len() + added.len() > MAX_LABELS_PER_VERSION {
                    return Err(SsmError::LabelLimit);
                }
                let result = LabelParameterVersionResult {
                    invalid_labels: invalid.clone(),
                    parameter_version: version,
                };
                if added.is_empty() {
                    return Ok((None, result));
                }
                let mut new = head.clone();
                for l in added {
                    // Inserting moves the label off whichever version carried it.
                    new.labels.insert(l.clone(), version);
                }
                Ok((Some(new), result))
            },
        )
        .await
}

pub async fn unlabel(
    engine: &Engine,
    scope: &Scope,
    req: UnlabelParameterVersionRequest,
) -> Result<UnlabelParameterVersionResult> {
    let candidates = names::resource_candidates(&req.name);
    engine
        .update_head(
            scope,
            &candidates,
            || SsmError::ParameterNotFound(String::new()),
            |head| {
                let version = req.parameter_version;
                if !head.versions.contains(&version) {
                    return Err(SsmError::VersionNotFound {
                        name: head.name.clone(),
                        version: version.to_string(),
                    });
                }
                let mut new = head.clone();
                let mut result = UnlabelParameterVersionResult {
                    removed_labels: Vec::new(),
                    invalid_labels: Vec::new(),
                };
                for l in &req.labels {
                    if new.labels.get(l) == Some(&version) {
                        new.labels.remove(l);
                        result.removed_labels.push(l.clone());
                    } else if !result.invalid_labels.contains(l)
                        && !result.removed_labels.contains(l)
                    {
                        result.invalid_labels.push(l.clone());
                    }
                }
                let changed = !result.removed_labels.is_empty();
                Ok((changed.then_some(new), result))
            },
        )
        .await
}
