//! Deployments (snapshots of the definition) and stages (named pointers to a deployment,
//! with variables, method settings, caching and access-log settings).

use super::{Cx, Patch, new_id, now, page};
use crate::v1::error::{ApiGwError, Result};
use crate::v1::patch::{self, Kind, segments};
use crate::v1::store::{self, ApiDoc, DeploymentDoc, encode};
use crate::v1::types::{Deployment, MethodSetting, PatchOperation, Stage, StrMap};
use lamina_storage::{StoreError, WriteBatch};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateDeploymentRequest {
    pub rest_api_id: String,
    pub stage_name: Option<String>,
    pub stage_description: Option<String>,
    pub description: Option<String>,
    pub cache_cluster_enabled: Option<bool>,
    pub cache_cluster_size: Option<String>,
    pub variables: Option<StrMap>,
    pub canary_settings: Option<Value>,
    pub tracing_enabled: Option<bool>,
}

/// `{path: {METHOD: {authorizationType, apiKeyRequired}}}`, as GetDeployment embeds it.
fn api_summary(doc: &ApiDoc) -> BTreeMap<String, BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    for r in doc.resources.values() {
        for (verb, m) in r.resource_methods.iter().flatten() {
            out.entry(r.path.clone()).or_insert_with(BTreeMap::new).insert(
                verb.clone(),
                json!({"authorizationType": m.authorization_type, "apiKeyRequired": m.api_key_required}),
            );
        }
    }
    out
}

fn check_deployable(doc: &ApiDoc) -> Result<()> {
    let mut any = false;
    for r in doc.resources.values() {
        for m in r.resource_methods.iter().flat_map(|m| m.values()) {
            any = true;
            if m.method_integration.is_none() {
                return Err(ApiGwError::bad("No integration defined for method"));
            }
        }
    }
    if !any {
        return Err(ApiGwError::bad("The REST API doesn't contain any methods"));
    }
    Ok(())
}

pub fn check_stage_name(name: &str) -> Result<()> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ApiGwError::bad("Stage name only allows a-zA-Z0-9_"));
    }
    Ok(())
}

/// Checks `cacheClusterSize` and sets the cluster's status: a cluster Lamina "creates" is
/// available at once (AWS reports CREATE_IN_PROGRESS for a few minutes first); an enabled
/// cluster without a size is 0.5 GB.
fn set_cache_cluster(s: &mut Stage) -> Result<()> {
    if let Some(size) = &s.cache_cluster_size
        && !crate::v1::cache::CLUSTER_SIZES.contains(&size.as_str())
    {
        return Err(ApiGwError::bad(format!(
            "Invalid cache cluster size specified: {size}"
        )));
    }
    if s.cache_cluster_enabled {
        s.cache_cluster_size.get_or_insert_with(|| "0.5".into());
        s.cache_cluster_status = Some("AVAILABLE".into());
    } else {
        s.cache_cluster_status = Some("NOT_AVAILABLE".into());
    }
    Ok(())
}

fn new_stage(name: &str, deployment_id: &str) -> Stage {
    let t = now();
    Stage {
        deployment_id: deployment_id.into(),
        stage_name: name.into(),
        cache_cluster_status: Some("NOT_AVAILABLE".into()),
        tags: Some(StrMap::new()),
        created_date: t,
        last_updated_date: t,
        ..Default::default()
    }
}

pub async fn create_deployment(cx: &Cx<'_>, req: CreateDeploymentRequest) -> Result<Deployment> {
    if let Some(s) = &req.stage_name {
        check_stage_name(s)?;
    }
    for _ in 0..store::MAX_ATTEMPTS {
        let doc = cx.load_api(&req.rest_api_id).await?;
        check_deployable(&doc)?;
        let deployment = Deployment {
            id: new_id(6),
            description: req.description.clone(),
            created_date: now(),
            api_summary: Some(api_summary(&doc)),
        };
        let mut batch = WriteBatch::new();
        let dkey = cx.scope.key(&[&req.rest_api_id, &deployment.id]);
        // The definition must not change between the read and the snapshot.
        batch.require_equals(store::APIS, cx.api_key(&req.rest_api_id), encode(&doc)?);
        batch.require_absent(store::DEPLOYMENTS, dkey.clone());
        batch.put(
            store::DEPLOYMENTS,
            dkey,
            encode(&DeploymentDoc {
                deployment: deployment.clone(),
                snapshot: doc,
            })?,
        );
        if let Some(name) = &req.stage_name {
            let skey = cx.scope.key(&[&req.rest_api_id, name]);
            let raw = cx.db.store.get(store::STAGES, &skey).await?;
            let mut stage = match &raw {
                Some(raw) => store::decode::<Stage>(raw)?,
                None => {
                    let mut s = new_stage(name, &deployment.id);
                    s.description = req.stage_description.clone();
                    s.cache_cluster_enabled = req.cache_cluster_enabled.unwrap_or(false);
                    s.cache_cluster_size = req.cache_cluster_size.clone();
                    set_cache_cluster(&mut s)?;
                    s.tracing_enabled = req.tracing_enabled.unwrap_or(false);
                    s
                }
            };
            stage.deployment_id = deployment.id.clone();
            stage.last_updated_date = now();
            if let Some(vars) = &req.variables {
                let mut merged = stage.variables.take().unwrap_or_default();
                merged.extend(vars.clone());
                stage.variables = Some(merged);
            }
            batch.require(store::STAGES, skey.clone(), raw);
            batch.put(store::STAGES, skey, encode(&stage)?);
        }
        match cx.db.store.commit(batch).await {
            Ok(()) => {
                let mut d = deployment;
                d.api_summary = None;
                return Ok(d);
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiGwError::TooManyRequests)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct DeploymentRef {
    pub rest_api_id: String,
    pub deployment_id: String,
    pub embed: Option<Vec<String>>,
    pub position: Option<String>,
    pub limit: Option<i64>,
}

async fn load_deployment(cx: &Cx<'_>, api: &str, id: &str) -> Result<DeploymentDoc> {
    cx.load_api(api).await?;
    cx.db
        .get(store::DEPLOYMENTS, &cx.scope.key(&[api, id]))
        .await?
        .ok_or_else(ApiGwError::deployment_not_found)
}

pub async fn get_deployment(cx: &Cx<'_>, r: DeploymentRef) -> Result<Deployment> {
    let mut d = load_deployment(cx, &r.rest_api_id, &r.deployment_id)
        .await?
        .deployment;
    let embed = r
        .embed
        .unwrap_or_default()
        .iter()
        .any(|e| e == "apisummary");
    if !embed {
        d.api_summary = None;
    }
    Ok(d)
}

pub async fn get_deployments(cx: &Cx<'_>, r: DeploymentRef) -> Result<Value> {
    cx.load_api(&r.rest_api_id).await?;
    let docs: Vec<DeploymentDoc> = cx
        .db
        .list(store::DEPLOYMENTS, &cx.scope.prefix(&[&r.rest_api_id]))
        .await?;
    let mut items: Vec<Deployment> = docs
        .into_iter()
        .map(|d| Deployment {
            api_summary: None,
            ..d.deployment
        })
        .collect();
    items.sort_by(|a, b| a.created_date.total_cmp(&b.created_date));
    let (items, position) = page(items, r.position.as_deref(), r.limit);
    Ok(json!({"items": items, "position": position}))
}

pub async fn delete_deployment(cx: &Cx<'_>, r: DeploymentRef) -> Result<()> {
    load_deployment(cx, &r.rest_api_id, &r.deployment_id).await?;
    let stages: Vec<Stage> = cx
        .db
        .list(store::STAGES, &cx.scope.prefix(&[&r.rest_api_id]))
        .await?;
    if stages.iter().any(|s| s.deployment_id == r.deployment_id) {
        return Err(ApiGwError::bad(
            "Active stages pointing to this deployment must be moved or deleted",
        ));
    }
    cx.db
        .delete(
            store::DEPLOYMENTS,
            &cx.scope.key(&[&r.rest_api_id, &r.deployment_id]),
        )
        .await?;
    Ok(())
}

pub async fn update_deployment(cx: &Cx<'_>, r: DeploymentRef, p: Patch) -> Result<Deployment> {
    cx.load_api(&r.rest_api_id).await?;
    let key = cx.scope.key(&[&r.rest_api_id, &r.deployment_id]);
    let mut d = cx
        .db
        .update(
            store::DEPLOYMENTS,
            &key,
            ApiGwError::deployment_not_found,
            |doc: &mut DeploymentDoc| {
                doc.deployment = patch::patch(
                    &doc.deployment,
                    &p.patch_operations,
                    &[("description", Kind::Str)],
                )?;
                Ok(doc.deployment.clone())
            },
        )
        .await?;
    d.api_summary = None;
    Ok(d)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateStageRequest {
    pub rest_api_id: String,
    pub stage_name: String,
    pub deployment_id: String,
    pub description: Option<String>,
    pub cache_cluster_enabled: bool,
    pub cache_cluster_size: Option<String>,
    pub variables: Option<StrMap>,
    pub documentation_version: Option<String>,
    pub canary_settings: Option<Value>,
    pub tracing_enabled: bool,
    pub tags: Option<StrMap>,
}

pub async fn create_stage(cx: &Cx<'_>, req: CreateStageRequest) -> Result<Stage> {
    check_stage_name(&req.stage_name)?;
    load_deployment(cx, &req.rest_api_id, &req.deployment_id).await?;
    let mut s = new_stage(&req.stage_name, &req.deployment_id);
    s.description = req.description;
    s.cache_cluster_enabled = req.cache_cluster_enabled;
    s.cache_cluster_size = req.cache_cluster_size;
    set_cache_cluster(&mut s)?;
    s.variables = req.variables;
    s.documentation_version = req.documentation_version;
    s.canary_settings = req.canary_settings;
    s.tracing_enabled = req.tracing_enabled;
    s.tags = Some(req.tags.unwrap_or_default());
    let key = cx.scope.key(&[&req.rest_api_id, &req.stage_name]);
    if !cx.db.create(store::STAGES, key, &s).await? {
        return Err(ApiGwError::Conflict("Stage already exists".into()));
    }
    Ok(s)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct StageRef {
    pub rest_api_id: String,
    pub stage_name: String,
    pub deployment_id: Option<String>,
}

pub async fn load_stage(cx: &Cx<'_>, api: &str, stage: &str) -> Result<Stage> {
    cx.load_api(api).await?;
    cx.db
        .get(store::STAGES, &cx.scope.key(&[api, stage]))
        .await?
        .ok_or_else(ApiGwError::stage_not_found)
}

pub async fn get_stage(cx: &Cx<'_>, r: StageRef) -> Result<Stage> {
    load_stage(cx, &r.rest_api_id, &r.stage_name).await
}

pub async fn get_stages(cx: &Cx<'_>, r: StageRef) -> Result<Value> {
    cx.load_api(&r.rest_api_id).await?;
    let stages: Vec<Stage> = cx
        .db
        .list(store::STAGES, &cx.scope.prefix(&[&r.rest_api_id]))
        .await?;
    let items: Vec<Stage> = stages
        .into_iter()
        .filter(|s| {
            r.deployment_id
                .as_ref()
                .is_none_or(|d| *d == s.deployment_id)
        })
        .collect();
    Ok(json!({ "item": items }))
}

pub async fn delete_stage(cx: &Cx<'_>, r: StageRef) -> Result<()> {
    cx.load_api(&r.rest_api_id).await?;
    if !cx
        .db
        .delete(
            store::STAGES,
            &cx.scope.key(&[&r.rest_api_id, &r.stage_name]),
        )
        .await?
    {
        return Err(ApiGwError::stage_not_found());
    }
    Ok(())
}

/// `group/setting` of a method-settings path → the `MethodSetting` field and its kind.
fn method_setting_field(group: &str, setting: &str) -> Option<(&'static str, Kind)> {
    Some(match (group, setting) {
        ("metrics", "enabled") => ("metricsEnabled", Kind::Bool),
        ("logging", "loglevel") => ("loggingLevel", Kind::Str),
        ("logging", "dataTrace") => ("dataTraceEnabled", Kind::Bool),
        ("throttling", "burstLimit") => ("throttlingBurstLimit", Kind::Int),
        ("throttling", "rateLimit") => ("throttlingRateLimit", Kind::Float),
        ("caching", "enabled") => ("cachingEnabled", Kind::Bool),
        ("caching", "ttlInSeconds") => ("cacheTtlInSeconds", Kind::Int),
        ("caching", "dataEncrypted") => ("cacheDataEncrypted", Kind::Bool),
        ("caching", "requireAuthorizationForCacheControl") => {
            ("requireAuthorizationForCacheControl", Kind::Bool)
        }
        ("caching", "unauthorizedCacheControlHeaderStrategy") => {
            ("unauthorizedCacheControlHeaderStrategy", Kind::Str)
        }
        _ => return None,
    })
}

fn default_method_setting() -> MethodSetting {
    MethodSetting {
        logging_level: Some("OFF".into()),
        throttling_burst_limit: Some(5000),
        throttling_rate_limit: Some(10000.0),
        cache_ttl_in_seconds: Some(300),
        require_authorization_for_cache_control: true,
        unauthorized_cache_control_header_strategy: Some("SUCCEED_WITH_RESPONSE_HEADER".into()),
        ..Default::default()
    }
}

const STAGE_FIELDS: &[(&str, Kind)] = &[
    ("description", Kind::Str),
    ("deploymentId", Kind::Str),
    ("variables", Kind::StrMap),
    ("cacheClusterEnabled", Kind::Bool),
    ("cacheClusterSize", Kind::Str),
    ("tracingEnabled", Kind::Bool),
    ("clientCertificateId", Kind::Str),
    ("documentationVersion", Kind::Str),
    ("webAclArn", Kind::Str),
];

/// Applies stage patch operations, including the method-settings paths
/// (`/*/*/throttling/rateLimit`, `/~1pets/GET/caching/enabled`) and `/accessLogSettings/*`.
pub fn patch_stage(stage: &Stage, ops: &[PatchOperation]) -> Result<Stage> {
    let mut s = stage.clone();
    for op in ops {
        let raw: Vec<&str> = op.path.trim_start_matches('/').split('/').collect();
        let segs = segments(&op.path);
        if segs.len() == 4 {
            let key = format!("{}/{}", raw[0], raw[1]);
            let (field, kind) = method_setting_field(&segs[2], &segs[3]).ok_or_else(|| {
                ApiGwError::bad(format!("Invalid method setting path: {}", op.path))
            })?;
            if field == "unauthorizedCacheControlHeaderStrategy"
                && op.op != "remove"
                && !matches!(
                    op.value.as_deref(),
                    Some(
                        "FAIL_WITH_403"
                            | "SUCCEED_WITH_RESPONSE_HEADER"
                            | "SUCCEED_WITHOUT_RESPONSE_HEADER"
                    )
                )
            {
                return Err(ApiGwError::bad(format!(
                    "Invalid unauthorizedCacheControlHeaderStrategy: {}",
                    op.value.as_deref().unwrap_or_default()
                )));
            }
            let entry = s
                .method_settings
                .entry(key)
                .or_insert_with(default_method_setting);
            let single = PatchOperation {
                op: if op.op == "add" {
                    "replace".into()
                } else {
                    op.op.clone()
                },
                path: format!("/{field}"),
                value: op.value.clone(),
                from: None,
            };
            *entry = patch::patch(entry, &[single], &[(field, kind)])?;
        } else if segs.len() == 2 && op.op == "remove" && raw[0] != "variables" {
            s.method_settings.remove(&format!("{}/{}", raw[0], raw[1]));
        } else if segs[0] == "accessLogSettings" {
            if op.op == "remove" {
                s.access_log_settings = None;
                continue;
            }
            let mut als = s.access_log_settings.take().unwrap_or_default();
            match segs.get(1).map(String::as_str) {
                Some("format") => als.format = op.value.clone(),
                Some("destinationArn") => als.destination_arn = op.value.clone(),
                _ => return Err(ApiGwError::bad(format!("Invalid patch path '{}'", op.path))),
            }
            s.access_log_settings = Some(als);
        } else {
            s = patch::patch(&s, std::slice::from_ref(op), STAGE_FIELDS)?;
        }
    }
    set_cache_cluster(&mut s)?;
    s.last_updated_date = now();
    Ok(s)
}

pub async fn update_stage(cx: &Cx<'_>, r: StageRef, p: Patch) -> Result<Stage> {
    let stage = load_stage(cx, &r.rest_api_id, &r.stage_name).await?;
    let new = patch_stage(&stage, &p.patch_operations)?;
    if new.deployment_id != stage.deployment_id {
        load_deployment(cx, &r.rest_api_id, &new.deployment_id).await?;
    }
    let key = cx.scope.key(&[&r.rest_api_id, &r.stage_name]);
    cx.db
        .update(
            store::STAGES,
            &key,
            ApiGwError::stage_not_found,
            |s: &mut Stage| {
                *s = patch_stage(s, &p.patch_operations)?;
                Ok(s.clone())
            },
        )
        .await
}

/// The deployed definition a stage serves, for the data plane and GetExport.
pub async fn deployed(cx: &Cx<'_>, api: &str, stage: &str) -> Result<(Stage, ApiDoc)> {
    let s = load_stage(cx, api, stage).await?;
    let d = load_deployment(cx, api, &s.deployment_id).await?;
    Ok((s, d.snapshot))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(op: &str, path: &str, value: &str) -> PatchOperation {
        PatchOperation {
            op: op.into(),
            path: path.into(),
            value: Some(value.into()),
            from: None,
        }
    }

    #[test]
    fn v1_stage_method_settings_patch() {
        let s = new_stage("prod", "d1");
        let s = patch_stage(
            &s,
            &[
                op("replace", "/*/*/throttling/rateLimit", "100"),
                op("replace", "/*/*/throttling/burstLimit", "50"),
                op("replace", "/~1pets/GET/caching/enabled", "true"),
                op("replace", "/variables/color", "blue"),
                op("replace", "/accessLogSettings/format", "$context.requestId"),
                op("replace", "/description", "d"),
            ],
        )
        .unwrap();
        let all = &s.method_settings["*/*"];
        assert_eq!(all.throttling_rate_limit, Some(100.0));
        assert_eq!(all.throttling_burst_limit, Some(50));
        assert!(s.method_settings["~1pets/GET"].caching_enabled);
        assert_eq!(s.variables.unwrap()["color"], "blue");
        assert_eq!(
            s.access_log_settings.unwrap().format.as_deref(),
            Some("$context.requestId")
        );
        assert_eq!(s.description.as_deref(), Some("d"));
    }
}
