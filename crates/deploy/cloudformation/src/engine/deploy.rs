//! The create/update pass over the dependency graph, outputs and exports, and the deletion
//! helpers the runs share.

use super::{Lookup, Run, Touched};
use crate::engine::{Created, graph};
use crate::store::{ExportRecord, OutputRecord, ResourceRecord};
use crate::template::eval::{self, Context};
use crate::template::section;
use lamina_storage::WriteBatch;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use tokio::task::JoinSet;

/// What one resource task reports.
struct Outcome {
    id: String,
    result: Result<Created, String>,
}

type Touches = Vec<(String, Touched)>;

impl Run {
    /// Creates or updates every resource of the template whose condition holds, then
    /// evaluates outputs and publishes exports. On failure: the failed resource ids (or one
    /// stack-level message) and what was touched, for the rollback.
    pub(super) async fn deploy(&mut self) -> Result<Touches, (Vec<String>, Touches)> {
        let conds = match self.conditions() {
            Ok(c) => c,
            Err(e) => return Err((vec![e], Vec::new())),
        };
        let exports = self.other_exports().await;
        let defs = section(&self.stack.template, "Resources").clone();
        let active: BTreeSet<String> = defs
            .iter()
            .filter(|(_, d)| {
                d.get("Condition")
                    .and_then(Value::as_str)
                    .is_none_or(|c| conds.get(c).copied().unwrap_or(false))
            })
            .map(|(k, _)| k.clone())
            .collect();
        let deps = graph::dependencies(&self.stack.template);
        let old = self
            .stack
            .previous
            .as_ref()
            .map(|p| p.resources.clone())
            .unwrap_or_default();
        // Resources of the old stack the new template drops stay out of the map until cleanup.
        self.stack.resources.retain(|k, _| active.contains(k));

        let mut done: BTreeSet<String> = BTreeSet::new();
        let mut started: BTreeSet<String> = BTreeSet::new();
        let mut failed: Vec<String> = Vec::new();
        let mut touched: Touches = Vec::new();
        let mut tasks: JoinSet<Outcome> = JoinSet::new();
        loop {
            // Set when this pass finished resources without a task (unchanged ones): their
            // dependents may be ready now, so schedule again before waiting on tasks.
            let mut progressed = false;
            if failed.is_empty() && self.rt.cancelled(&self.stack.stack_id) {
                failed.push(super::CANCELLED.to_string());
            }
            if failed.is_empty() {
                let ready: Vec<String> = active
                    .iter()
                    .filter(|id| !started.contains(*id))
                    .filter(|id| {
                        deps.get(*id).is_none_or(|d| {
                            d.iter().all(|x| done.contains(x) || !active.contains(x))
                        })
                    })
                    .cloned()
                    .collect();
                for id in ready {
                    if tasks.len() >= self.rt.concurrency.max(1) {
                        break;
                    }
                    started.insert(id.clone());
                    let def = &defs[&id];
                    let ty = def["Type"].as_str().unwrap_or_default().to_string();
                    let props = match self.properties(&id, &conds, &exports) {
                        Ok(p) => p,
                        Err(msg) => {
                            self.start_record(&id, &ty, def, Value::Null, old.get(&id));
                            let status = if old.contains_key(&id) {
                                "UPDATE_FAILED"
                            } else {
                                "CREATE_FAILED"
                            };
                            self.resource_status(&id, status, Some(msg)).await;
                            failed.push(id);
                            continue;
                        }
                    };
                    match self
                        .start(&id, &ty, def, props, old.get(&id), &mut touched)
                        .await
                    {
                        Some(fut) => {
                            tasks.spawn(fut);
                        }
                        None => {
                            // Unchanged (or failed before starting: recorded in `failed`).
                            if self
                                .stack
                                .resources
                                .get(&id)
                                .is_some_and(|r| r.status.ends_with("FAILED"))
                            {
                                failed.push(id);
                            } else {
                                done.insert(id);
                                progressed = true;
                            }
                        }
                    }
                }
            }
            if progressed && tasks.is_empty() {
                continue;
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let Ok(Outcome { id, result }) = joined else {
                failed.push("a resource task".to_string());
                continue;
            };
            // A cancel while resources were in flight: they end as cancelled.
            if failed.is_empty() && self.rt.cancelled(&self.stack.stack_id) {
                failed.push(super::CANCELLED.to_string());
            }
            let updating = old.contains_key(&id);
            let verb = if updating { "UPDATE" } else { "CREATE" };
            match result {
                Ok(created) => {
                    if let Some(r) = self.stack.resources.get_mut(&id) {
                        r.physical_id = Some(created.physical_id);
                        r.attributes = created.attributes;
                    }
                    if failed.is_empty() {
                        self.resource_status(&id, &format!("{verb}_COMPLETE"), None)
                            .await;
                        done.insert(id);
                    } else {
                        let what = if updating { "update" } else { "creation" };
                        self.resource_status(
                            &id,
                            &format!("{verb}_FAILED"),
                            Some(format!("Resource {what} cancelled")),
                        )
                        .await;
                    }
                }
                Err(msg) => {
                    self.resource_status(&id, &format!("{verb}_FAILED"), Some(msg))
                        .await;
                    failed.push(id);
                }
            }
        }
        if !failed.is_empty() {
            return Err((failed, touched));
        }
        if let Err(msg) = self.outputs(&conds, &exports).await {
            return Err((vec![msg], touched));
        }
        Ok(touched)
    }

    /// Puts the resource's record in place (IN_PROGRESS) before its provider runs.
    fn start_record(
        &mut self,
        id: &str,
        ty: &str,
        def: &Value,
        props: Value,
        old: Option<&ResourceRecord>,
    ) {
        let policy = |k: &str| def.get(k).and_then(Value::as_str).map(String::from);
        self.stack.resources.insert(
            id.to_string(),
            ResourceRecord {
                logical_id: id.to_string(),
                resource_type: ty.to_string(),
                physical_id: old.and_then(|o| o.physical_id.clone()),
                status: String::new(),
                reason: None,
                properties: props,
                attributes: old.map(|o| o.attributes.clone()).unwrap_or_default(),
                updated: lamina_core::now_epoch_seconds(),
                deletion_policy: policy("DeletionPolicy"),
                update_replace_policy: policy("UpdateReplacePolicy"),
                metadata: def.get("Metadata").cloned(),
            },
        );
    }

    /// Starts one resource: a future for the provider call, or `None` when nothing needs to
    /// run (unchanged, or failed at once).
    async fn start(
        &mut self,
        id: &str,
        ty: &str,
        def: &Value,
        props: Value,
        old: Option<&ResourceRecord>,
        touched: &mut Touches,
    ) -> Option<lamina_core::BoxFuture<'static, Outcome>> {
        let registry = self.rt.registry.clone();
        let ctx = self.context(id, ty);
        let unsupported = registry.provider(ty).is_none();
        let old = old.filter(|o| o.physical_id.is_some());
        match old {
            Some(o) if o.resource_type == ty && o.properties == props => {
                // Unchanged: keep the record (policies may have changed).
                let mut kept = o.clone();
                kept.deletion_policy = def
                    .get("DeletionPolicy")
                    .and_then(Value::as_str)
                    .map(String::from);
                kept.update_replace_policy = def
                    .get("UpdateReplacePolicy")
                    .and_then(Value::as_str)
                    .map(String::from);
                self.stack.resources.insert(id.to_string(), kept);
                None
            }
            _ if unsupported => {
                self.start_record(id, ty, def, props, old);
                let status = if old.is_some() {
                    "UPDATE_FAILED"
                } else {
                    "CREATE_FAILED"
                };
                self.resource_status(id, status, Some(format!("Unsupported resource type: {ty}")))
                    .await;
                None
            }
            Some(o) => {
                let o = o.clone();
                let replace = o.resource_type != ty
                    || registry
                        .provider(ty)
                        .is_some_and(|p| p.requires_replacement(&o.properties, &props));
                self.start_record(id, ty, def, props.clone(), Some(&o));
                if replace {
                    touched.push((id.to_string(), Touched::Replaced(o.clone())));
                    self.resource_status(
                        id,
                        "UPDATE_IN_PROGRESS",
                        Some("Requested update requires the creation of a new physical resource; hence creating one.".into()),
                    )
                    .await;
                } else {
                    touched.push((id.to_string(), Touched::Updated(o.clone())));
                    self.resource_status(id, "UPDATE_IN_PROGRESS", None).await;
                }
                let id = id.to_string();
                Some(Box::pin(async move {
                    let result = match registry.provider(&ctx.resource_type) {
                        Some(p) if replace => p.create(&ctx, &props).await,
                        Some(p) => {
                            let pid = o.physical_id.clone().unwrap_or_default();
                            p.update(&ctx, &pid, &o.properties, &props).await
                        }
                        None => unreachable_provider(&ctx.resource_type),
                    };
                    Outcome {
                        id,
                        result: result.map_err(|e| e.message),
                    }
                }))
            }
            None => {
                self.start_record(id, ty, def, props.clone(), None);
                touched.push((id.to_string(), Touched::Created));
                self.resource_status(id, "CREATE_IN_PROGRESS", None).await;
                let id = id.to_string();
                Some(Box::pin(async move {
                    let result = match registry.provider(&ctx.resource_type) {
                        Some(p) => p.create(&ctx, &props).await,
                        None => unreachable_provider(&ctx.resource_type),
                    };
                    Outcome {
                        id,
                        result: result.map_err(|e| e.message),
                    }
                }))
            }
        }
    }

    /// Evaluates the Outputs and publishes this stack's exports.
    async fn outputs(
        &mut self,
        conds: &BTreeMap<String, bool>,
        exports: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        let pseudo = self.pseudo();
        let mut outputs = Vec::new();
        {
            let ctx = Context {
                pseudo: &pseudo,
                params: &self.stack.param_values,
                mappings: section(&self.stack.template, "Mappings"),
                conditions: conds,
                resolver: &Lookup {
                    resources: &self.stack.resources,
                    exports,
                },
            };
            for (key, out) in section(&self.stack.template, "Outputs") {
                if let Some(c) = out.get("Condition").and_then(Value::as_str)
                    && !conds.get(c).copied().unwrap_or(false)
                {
                    continue;
                }
                let value = eval::eval_value(&ctx, &out["Value"])?;
                let value = match value {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(eval::scalar)
                        .collect::<Vec<_>>()
                        .join(","),
                    v => eval::scalar(&v).unwrap_or_else(|| v.to_string()),
                };
                let export_name = match out.get("Export").and_then(|e| e.get("Name")) {
                    Some(n) => {
                        Some(eval::scalar(&eval::eval_value(&ctx, n)?).ok_or_else(|| {
                            format!(
                                "Template error: the Export Name of output {key} must be a string"
                            )
                        })?)
                    }
                    None => None,
                };
                let description = out.get("Description").and_then(eval::scalar);
                outputs.push(OutputRecord {
                    key: key.clone(),
                    value,
                    description,
                    export_name,
                });
            }
        }
        // Exports: new names must be free, removed ones unused.
        let all = self
            .rt
            .table
            .exports(&self.scope)
            .await
            .map_err(|e| e.to_string())?;
        for o in &outputs {
            if let Some(name) = &o.export_name
                && let Some(other) = all
                    .iter()
                    .find(|e| &e.name == name && e.stack_id != self.stack.stack_id)
            {
                return Err(format!(
                    "Export with name {name} is already exported by stack {}",
                    other.stack_id.split('/').nth(1).unwrap_or(&other.stack_id)
                ));
            }
        }
        let removed: Vec<String> = all
            .iter()
            .filter(|e| e.stack_id == self.stack.stack_id)
            .filter(|e| {
                !outputs
                    .iter()
                    .any(|o| o.export_name.as_ref() == Some(&e.name))
            })
            .map(|e| e.name.clone())
            .collect();
        if let Some(msg) = self.export_in_use(&removed).await {
            return Err(msg);
        }
        let mut b = WriteBatch::new();
        for name in &removed {
            self.rt.table.delete_export(&self.scope, &mut b, name);
        }
        for o in &outputs {
            if let Some(name) = &o.export_name {
                let rec = ExportRecord {
                    v: crate::store::FORMAT,
                    name: name.clone(),
                    value: o.value.clone(),
                    stack_id: self.stack.stack_id.clone(),
                };
                self.rt
                    .table
                    .put_export(&self.scope, &mut b, &rec)
                    .map_err(|e| e.to_string())?;
            }
        }
        self.rt.table.commit(b).await.map_err(|e| e.to_string())?;
        self.stack.outputs = outputs;
        Ok(())
    }

    /// Deletes `ids` in reverse dependency order of `template`. Retained resources are
    /// skipped unless `rollback`. False when any delete failed.
    pub(super) async fn delete_resources(
        &mut self,
        template: &Value,
        ids: &[String],
        rollback: bool,
    ) -> bool {
        let mut order: Vec<String> = graph::order(template).unwrap_or_default();
        order.reverse();
        let wanted: BTreeSet<&String> = ids.iter().collect();
        let mut list: Vec<String> = order.into_iter().filter(|i| wanted.contains(i)).collect();
        for id in ids {
            if !list.contains(id) {
                list.push(id.clone());
            }
        }
        let mut ok = true;
        for id in list {
            let Some(r) = self.stack.resources.get(&id).cloned() else {
                continue;
            };
            if r.status == "DELETE_COMPLETE" || r.status == "DELETE_SKIPPED" {
                continue;
            }
            if !rollback && r.deletion_policy.as_deref() == Some("Retain") {
                self.resource_status(&id, "DELETE_SKIPPED", None).await;
                continue;
            }
            let Some(pid) = r.physical_id.clone() else {
                // Never created: nothing to delete.
                self.stack.resources.remove(&id);
                continue;
            };
            self.resource_status(&id, "DELETE_IN_PROGRESS", None).await;
            match self.delete_one(&r, &pid).await {
                Ok(()) => {
                    self.resource_status(&id, "DELETE_COMPLETE", None).await;
                    if rollback || self.stack.status != "DELETE_IN_PROGRESS" {
                        self.stack.resources.remove(&id);
                    }
                }
                Err(msg) => {
                    ok = false;
                    self.resource_status(&id, "DELETE_FAILED", Some(msg)).await;
                }
            }
        }
        ok
    }

    async fn delete_one(&self, r: &ResourceRecord, pid: &str) -> Result<(), String> {
        let ctx = self.context(&r.logical_id, &r.resource_type);
        match self.rt.registry.provider(&r.resource_type) {
            Some(p) => match p.delete(&ctx, pid, &r.properties).await {
                Err(e) if !e.is_not_found() => Err(e.message),
                _ => Ok(()),
            },
            // Never created by a provider (unsupported types fail before creating).
            None => Ok(()),
        }
    }

    /// Deletes the old physical resource of a replaced resource (UpdateReplacePolicy Retain
    /// keeps it).
    pub(super) async fn delete_replaced(&mut self, id: &str, old: ResourceRecord) {
        if old.update_replace_policy.as_deref() == Some("Retain") {
            return;
        }
        let Some(pid) = old.physical_id.clone() else {
            return;
        };
        let e = self.event(
            id,
            Some(pid.clone()),
            &old.resource_type,
            "DELETE_IN_PROGRESS",
            None,
            None,
        );
        self.save(vec![e]).await;
        let (status, reason) = match self.delete_one(&old, &pid).await {
            Ok(()) => ("DELETE_COMPLETE", None),
            Err(m) => ("DELETE_FAILED", Some(m)),
        };
        let e = self.event(id, Some(pid), &old.resource_type, status, reason, None);
        self.save(vec![e]).await;
    }

    /// Updates a resource back to the properties it had before the failed update.
    /// Updates a resource back to `old`; false (the resource left as it is, UPDATE_FAILED)
    /// when the provider fails.
    pub(super) async fn revert_update(&mut self, id: &str, old: ResourceRecord) -> bool {
        let current = self.stack.resources.get(id).cloned();
        let Some(current) = current else {
            self.stack.resources.insert(id.to_string(), old);
            return true;
        };
        let Some(pid) = current.physical_id.clone() else {
            self.stack.resources.insert(id.to_string(), old);
            return true;
        };
        self.resource_status(id, "UPDATE_IN_PROGRESS", None).await;
        let ctx = self.context(id, &current.resource_type);
        let result = match self.rt.registry.provider(&current.resource_type) {
            Some(p) => p
                .update(&ctx, &pid, &current.properties, &old.properties)
                .await
                .map_err(|e| e.message),
            None => Ok(Created {
                physical_id: pid.clone(),
                attributes: Map::new(),
            }),
        };
        match result {
            Ok(c) => {
                self.stack.resources.insert(id.to_string(), old);
                if let Some(r) = self.stack.resources.get_mut(id) {
                    r.physical_id = Some(c.physical_id);
                    if !c.attributes.is_empty() {
                        r.attributes = c.attributes;
                    }
                }
                self.resource_status(id, "UPDATE_COMPLETE", None).await;
                true
            }
            Err(m) => {
                self.resource_status(id, "UPDATE_FAILED", Some(m)).await;
                false
            }
        }
    }
}

fn unreachable_provider(ty: &str) -> Result<Created, crate::engine::ProviderError> {
    Err(crate::engine::ProviderError::new(format!(
        "Unsupported resource type: {ty}"
    )))
}
