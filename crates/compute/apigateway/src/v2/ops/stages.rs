//! Stages and deployments.

use super::{Ctx, changed, input, items, label, new_id, now, output, page};
use crate::v2::error::{Result, V2Error};
use crate::v2::store::{Change, Snapshot};
use crate::v2::types::{Deployment, RouteSettings, Stage, Tags, merge};
use lamina_model::generated::apigatewayv2::op;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const OPS: &[&str] = &[
    op::CREATE_STAGE,
    op::GET_STAGE,
    op::GET_STAGES,
    op::UPDATE_STAGE,
    op::DELETE_STAGE,
    op::DELETE_ROUTE_SETTINGS,
    op::DELETE_ACCESS_LOG_SETTINGS,
    op::CREATE_DEPLOYMENT,
    op::GET_DEPLOYMENT,
    op::GET_DEPLOYMENTS,
    op::UPDATE_DEPLOYMENT,
    op::DELETE_DEPLOYMENT,
];

pub async fn call(cx: &Ctx<'_>, op: &str, v: &Value) -> Option<Result<Value>> {
    let id = label(v, "ApiId");
    let stage = label(v, "StageName");
    let dep = label(v, "DeploymentId");
    Some(match op {
        op::CREATE_STAGE => create_stage(cx, &id, v).await,
        op::GET_STAGE => cx.table.get(&cx.scope, &id).await.and_then(|d| {
            d.stages
                .get(&stage)
                .ok_or_else(|| stage_not_found(&stage))
                .and_then(output)
        }),
        op::GET_STAGES => cx.table.get(&cx.scope, &id).await.and_then(|d| {
            let (p, next) = page(&d.stages, v)?;
            items(p, next)
        }),
        op::UPDATE_STAGE => update_stage(cx, &id, &stage, v).await,
        op::DELETE_STAGE => {
            cx.table
                .update(&cx.scope, &id, |mut d| {
                    d.stages
                        .remove(&stage)
                        .ok_or_else(|| stage_not_found(&stage))?;
                    Ok(changed(d, json!({}), false))
                })
                .await
        }
        op::DELETE_ROUTE_SETTINGS => {
            let key = label(v, "RouteKey");
            cx.table
                .update(&cx.scope, &id, |mut d| {
                    let s = d
                        .stages
                        .get_mut(&stage)
                        .ok_or_else(|| stage_not_found(&stage))?;
                    let removed = s.route_settings.as_mut().and_then(|m| m.remove(&key));
                    if removed.is_none() {
                        return Err(V2Error::NotFound(format!(
                            "Unable to find Route by key {key} within the provided RouteSettings"
                        )));
                    }
                    Ok(changed(d, json!({}), false))
                })
                .await
        }
        op::DELETE_ACCESS_LOG_SETTINGS => {
            cx.table
                .update(&cx.scope, &id, |mut d| {
                    let s = d
                        .stages
                        .get_mut(&stage)
                        .ok_or_else(|| stage_not_found(&stage))?;
                    s.access_log_settings = None;
                    Ok(changed(d, json!({}), false))
                })
                .await
        }
        op::CREATE_DEPLOYMENT => create_deployment(cx, &id, v).await,
        op::GET_DEPLOYMENT => cx.table.get(&cx.scope, &id).await.and_then(|d| {
            d.deployments
                .get(&dep)
                .ok_or_else(|| deployment_not_found(&dep))
                .and_then(output)
        }),
        op::GET_DEPLOYMENTS => cx.table.get(&cx.scope, &id).await.and_then(|d| {
            let (p, next) = page(&d.deployments, v)?;
            items(p, next)
        }),
        op::UPDATE_DEPLOYMENT => {
            let desc = v
                .get("Description")
                .and_then(Value::as_str)
                .map(str::to_string);
            cx.table
                .update(&cx.scope, &id, |mut d| {
                    let x = d
                        .deployments
                        .get_mut(&dep)
                        .ok_or_else(|| deployment_not_found(&dep))?;
                    if desc.is_some() {
                        x.description = desc.clone();
                    }
                    let out = x.clone();
                    Ok(changed(d, out, false))
                })
                .await
                .and_then(|x| output(&x))
        }
        op::DELETE_DEPLOYMENT => cx
            .table
            .update(&cx.scope, &id, |mut d| {
                d.deployments
                    .remove(&dep)
                    .ok_or_else(|| deployment_not_found(&dep))?;
                if d.stages
                    .values()
                    .any(|s| s.deployment_id.as_deref() == Some(dep.as_str()))
                {
                    return Err(V2Error::bad(format!(
                        "Active stages pointing to this deployment must be moved or deleted: {dep}"
                    )));
                }
                let mut c = changed(d, json!({}), false);
                c.drop_snapshots.push(dep.clone());
                Ok(c)
            })
            .await,
        _ => return None,
    })
}

fn stage_not_found(name: &str) -> V2Error {
    V2Error::NotFound(format!("Invalid stage identifier specified {name}"))
}

fn deployment_not_found(id: &str) -> V2Error {
    V2Error::NotFound(format!("Invalid Deployment identifier specified {id}"))
}

fn check_settings(s: &Stage) -> Result<()> {
    let all = s
        .default_route_settings
        .iter()
        .chain(s.route_settings.iter().flat_map(|m| m.values()));
    for r in all {
        if r.throttling_burst_limit.is_some_and(|b| b < 0)
            || r.throttling_rate_limit
                .is_some_and(|x| x < 0.0 || !x.is_finite())
        {
            return Err(V2Error::bad("Throttling limits must be non-negative"));
        }
    }
    if let Some(name) = &s.stage_name
        && name != "$default"
        && !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(V2Error::bad(format!(
            "Stage name {name} is invalid: it may only contain alphanumerics, hyphens and underscores"
        )));
    }
    Ok(())
}

async fn create_stage(cx: &Ctx<'_>, id: &str, v: &Value) -> Result<Value> {
    let mut s: Stage = input(v)?;
    check_settings(&s)?;
    let name = s.stage_name.clone().unwrap_or_default();
    let t = now();
    s.created_date = Some(t);
    s.last_updated_date = Some(t);
    s.api_gateway_managed = None;
    s.auto_deploy.get_or_insert(false);
    s.default_route_settings
        .get_or_insert_with(RouteSettings::default);
    s.route_settings.get_or_insert_with(BTreeMap::new);
    s.stage_variables.get_or_insert_with(BTreeMap::new);
    s.tags.get_or_insert_with(Tags::new);
    cx.table
        .update(&cx.scope, id, |mut d| {
            if d.stages.contains_key(&name) {
                return Err(V2Error::Conflict(format!("Stage {name} already exists")));
            }
            if let Some(dep) = &s.deployment_id
                && !d.deployments.contains_key(dep)
            {
                return Err(deployment_not_found(dep));
            }
            d.stages.insert(name.clone(), s.clone());
            let auto = s.auto_deploy == Some(true);
            let mut c = changed(d, (), auto);
            let out = c.doc.as_ref().and_then(|d| d.stages.get(&name).cloned());
            Ok(Change {
                doc: c.doc.take(),
                snapshots: std::mem::take(&mut c.snapshots),
                drop_snapshots: std::mem::take(&mut c.drop_snapshots),
                result: out,
            })
        })
        .await
        .and_then(|s| output(&s))
}

async fn update_stage(cx: &Ctx<'_>, id: &str, name: &str, v: &Value) -> Result<Value> {
    let mut patch: Stage = input(v)?;
    patch.stage_name = None;
    patch.created_date = None;
    patch.tags = None;
    check_settings(&patch)?;
    cx.table
        .update(&cx.scope, id, |mut d| {
            let old = d.stages.get(name).ok_or_else(|| stage_not_found(name))?;
            let mut new = merge(old, &patch).map_err(|e| V2Error::Internal(e.to_string()))?;
            // RouteSettings and StageVariables merge key by key.
            if let (Some(p), Some(o)) = (&patch.route_settings, &old.route_settings) {
                let mut m = o.clone();
                m.extend(p.clone());
                new.route_settings = Some(m);
            }
            if let (Some(p), Some(o)) = (&patch.stage_variables, &old.stage_variables) {
                let mut m = o.clone();
                m.extend(p.clone());
                m.retain(|_, v| !v.is_empty());
                new.stage_variables = Some(m);
            }
            if let Some(dep) = &patch.deployment_id
                && !d.deployments.contains_key(dep)
            {
                return Err(deployment_not_found(dep));
            }
            new.last_updated_date = Some(now());
            let turned_on = old.auto_deploy != Some(true) && new.auto_deploy == Some(true);
            d.stages.insert(name.to_string(), new);
            let mut c = changed(d, (), turned_on);
            let out = c.doc.as_ref().and_then(|d| d.stages.get(name).cloned());
            Ok(Change {
                doc: c.doc.take(),
                snapshots: std::mem::take(&mut c.snapshots),
                drop_snapshots: std::mem::take(&mut c.drop_snapshots),
                result: out,
            })
        })
        .await
        .and_then(|s| output(&s))
}

async fn create_deployment(cx: &Ctx<'_>, id: &str, v: &Value) -> Result<Value> {
    let stage = v
        .get("StageName")
        .and_then(Value::as_str)
        .map(str::to_string);
    let desc = v
        .get("Description")
        .and_then(Value::as_str)
        .map(str::to_string);
    cx.table
        .update(&cx.scope, id, |mut d| {
            let dep_id = new_id(6);
            if let Some(s) = &stage {
                let st = d.stages.get(s).ok_or_else(|| stage_not_found(s))?;
                if st.auto_deploy == Some(true) {
                    return Err(V2Error::bad(format!(
                        "Stage {s} has AutoDeploy enabled: it is deployed automatically"
                    )));
                }
            }
            let dep = Deployment {
                auto_deployed: Some(false),
                created_date: Some(now()),
                deployment_id: Some(dep_id.clone()),
                deployment_status: Some("DEPLOYED".into()),
                deployment_status_message: None,
                description: desc.clone(),
            };
            d.deployments.insert(dep_id.clone(), dep.clone());
            let snap = Snapshot::of(&d);
            if let Some(s) = &stage
                && let Some(st) = d.stages.get_mut(s)
            {
                st.deployment_id = Some(dep_id.clone());
                st.last_updated_date = Some(now());
            }
            let mut c = changed(d, dep, false);
            c.snapshots.push((dep_id, snap));
            Ok(c)
        })
        .await
        .and_then(|x| output(&x))
}
