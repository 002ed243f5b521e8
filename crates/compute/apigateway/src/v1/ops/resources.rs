//! GetResources, GetResource, CreateResource, UpdateResource, DeleteResource.

use super::{Cx, Patch, new_id, page};
use crate::v1::error::{ApiGwError, Result};
use crate::v1::patch::{self, Kind};
use crate::v1::store::ApiDoc;
use crate::v1::types::Resource;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct GetResourcesRequest {
    pub rest_api_id: String,
    pub position: Option<String>,
    pub limit: Option<i64>,
    pub embed: Option<Vec<String>>,
}

/// A resource as listed without `embed=methods`: method names mapped to empty objects.
fn summary(r: &Resource) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(methods) = &r.resource_methods {
        let stub: serde_json::Map<String, Value> =
            methods.keys().map(|m| (m.clone(), json!({}))).collect();
        v["resourceMethods"] = Value::Object(stub);
    }
    v
}

pub async fn list(cx: &Cx<'_>, req: GetResourcesRequest) -> Result<Value> {
    let doc = cx.load_api(&req.rest_api_id).await?;
    let embed = req
        .embed
        .unwrap_or_default()
        .iter()
        .any(|e| e.split(',').any(|p| p.trim() == "methods"));
    let mut resources: Vec<&Resource> = doc.resources.values().collect();
    resources.sort_by(|a, b| a.path.cmp(&b.path));
    let items: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            if embed {
                serde_json::to_value(r).unwrap_or(Value::Null)
            } else {
                summary(r)
            }
        })
        .collect();
    let (items, position) = page(items, req.position.as_deref(), req.limit);
    Ok(json!({"items": items, "position": position}))
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceRef {
    pub rest_api_id: String,
    pub resource_id: String,
}

pub async fn get(cx: &Cx<'_>, req: ResourceRef) -> Result<Resource> {
    let doc = cx.load_api(&req.rest_api_id).await?;
    Ok(doc.resource(&req.resource_id)?.clone())
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateResourceRequest {
    pub rest_api_id: String,
    pub parent_id: String,
    pub path_part: String,
}

/// `a-zA-Z0-9._-`, or `{name}`, or `{name+}`.
pub fn valid_path_part(p: &str) -> bool {
    let inner = match p.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        Some(inner) => inner.strip_suffix('+').unwrap_or(inner),
        None => p,
    };
    !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':'))
}

fn is_variable(p: &str) -> bool {
    p.starts_with('{')
}

fn join_path(parent: &str, part: &str) -> String {
    if parent == "/" {
        format!("/{part}")
    } else {
        format!("{parent}/{part}")
    }
}

/// Checks that `part` may be added under `parent` (no duplicate name, one variable child,
/// nothing under a greedy `{proxy+}`).
fn check_child(doc: &ApiDoc, parent: &str, part: &str, except: Option<&str>) -> Result<()> {
    if !valid_path_part(part) {
        return Err(ApiGwError::bad(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.",
        ));
    }
    let p = doc.resource(parent)?;
    if p.path_part.as_deref().is_some_and(|pp| pp.ends_with("+}")) {
        return Err(ApiGwError::bad(
            "Cannot create a child of a resource with a greedy path variable",
        ));
    }
    for sib in doc.resources.values() {
        if sib.parent_id.as_deref() != Some(parent) || Some(sib.id.as_str()) == except {
            continue;
        }
        let sp = sib.path_part.as_deref().unwrap_or_default();
        if sp == part {
            return Err(ApiGwError::Conflict(format!(
                "Another resource with the same parent already has this name: {part}"
            )));
        }
        if is_variable(sp) && is_variable(part) {
            return Err(ApiGwError::bad(format!(
                "A sibling ({sp}) of this resource already has a variable path part -- only one is allowed"
            )));
        }
    }
    Ok(())
}

pub async fn create(cx: &Cx<'_>, req: CreateResourceRequest) -> Result<Resource> {
    cx.update_api(&req.rest_api_id, |doc| {
        check_child(doc, &req.parent_id, &req.path_part, None)?;
        let parent_path = doc.resource(&req.parent_id)?.path.clone();
        let r = Resource {
            id: new_id(10),
            parent_id: Some(req.parent_id.clone()),
            path_part: Some(req.path_part.clone()),
            path: join_path(&parent_path, &req.path_part),
            resource_methods: None,
        };
        doc.resources.insert(r.id.clone(), r.clone());
        Ok(r)
    })
    .await
}

/// Recomputes the paths of `id`'s subtree after a move or rename (bounded by the number of
/// resources, so a corrupt cycle cannot loop forever).
fn repath(doc: &mut ApiDoc, id: &str) {
    let mut stack = vec![id.to_string()];
    let mut steps = 0;
    while let Some(cur) = stack.pop() {
        steps += 1;
        if steps > doc.resources.len() + 1 {
            break;
        }
        let Some(r) = doc.resources.get(&cur) else {
            continue;
        };
        let parent_path = r
            .parent_id
            .as_ref()
            .and_then(|p| doc.resources.get(p))
            .map(|p| p.path.clone())
            .unwrap_or_else(|| "/".into());
        let part = r.path_part.clone().unwrap_or_default();
        if let Some(r) = doc.resources.get_mut(&cur) {
            r.path = join_path(&parent_path, &part);
        }
        stack.extend(
            doc.resources
                .values()
                .filter(|c| c.parent_id.as_deref() == Some(cur.as_str()))
                .map(|c| c.id.clone()),
        );
    }
}

const FIELDS: &[(&str, Kind)] = &[("pathPart", Kind::Str), ("parentId", Kind::Str)];

pub async fn update(cx: &Cx<'_>, req: ResourceRef, p: Patch) -> Result<Resource> {
    cx.update_api(&req.rest_api_id, |doc| {
        let old = doc.resource(&req.resource_id)?.clone();
        if old.parent_id.is_none() {
            return Err(ApiGwError::bad("Root resource cannot be updated"));
        }
        let new = patch::patch(&old, &p.patch_operations, FIELDS)?;
        let parent = new.parent_id.clone().unwrap_or_default();
        check_child(
            doc,
            &parent,
            new.path_part.as_deref().unwrap_or_default(),
            Some(&old.id),
        )?;
        doc.resources.insert(old.id.clone(), new);
        repath(doc, &req.resource_id);
        Ok(doc.resource(&req.resource_id)?.clone())
    })
    .await
}

pub async fn delete(cx: &Cx<'_>, req: ResourceRef) -> Result<()> {
    cx.update_api(&req.rest_api_id, |doc| {
        let r = doc.resource(&req.resource_id)?;
        if r.parent_id.is_none() {
            return Err(ApiGwError::bad("Cannot delete the root resource"));
        }
        let prefix = format!("{}/", r.path);
        let path = r.path.clone();
        let doomed: Vec<String> = doc
            .resources
            .values()
            .filter(|c| c.path == path || c.path.starts_with(&prefix))
            .map(|c| c.id.clone())
            .collect();
        for id in doomed {
            doc.resources.remove(&id);
        }
        Ok(())
    })
    .await
}

/// Adds a resource path (`/a/{b}/c`) to a definition, creating missing parents; returns the
/// id of the last resource. Used by the OpenAPI importer.
pub fn ensure_path(doc: &mut ApiDoc, path: &str) -> Result<String> {
    let mut cur = doc.api.root_resource_id.clone();
    let mut by_parent: BTreeMap<(String, String), String> = doc
        .resources
        .values()
        .filter_map(|r| Some(((r.parent_id.clone()?, r.path_part.clone()?), r.id.clone())))
        .collect();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        if let Some(id) = by_parent.get(&(cur.clone(), part.to_string())) {
            cur = id.clone();
            continue;
        }
        check_child(doc, &cur, part, None)?;
        let parent_path = doc.resource(&cur)?.path.clone();
        let r = Resource {
            id: new_id(10),
            parent_id: Some(cur.clone()),
            path_part: Some(part.to_string()),
            path: join_path(&parent_path, part),
            resource_methods: None,
        };
        by_parent.insert((cur.clone(), part.to_string()), r.id.clone());
        cur = r.id.clone();
        doc.resources.insert(r.id.clone(), r);
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_path_parts() {
        for ok in ["pets", "{id}", "{proxy+}", "a.b_c-d"] {
            assert!(valid_path_part(ok), "{ok}");
        }
        for bad in ["", "{}", "a/b", "{a", "a b", "{+}"] {
            assert!(!valid_path_part(bad), "{bad}");
        }
    }
}
