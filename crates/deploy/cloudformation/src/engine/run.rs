//! Running stack operations in the background: create, update (with cleanup), delete and
//! the rollbacks, with an event for every transition and the stack persisted after each step.
//!
//! Independent resources are created or updated concurrently (up to
//! [`Runner::concurrency`]); a resource starts when everything it depends on is done. After
//! the first failure nothing new starts; resources still in flight finish and are marked
//! `Resource creation cancelled` / `Resource update cancelled`, then the stack rolls back.
//! Deletions run one at a time in reverse dependency order.

use super::{ProviderRegistry, ResourceContext};
use crate::store::{EventRecord, ResourceRecord, Scope, StackRecord, Table};
use crate::template::eval::{self, Context, Pseudo, Resolver};
use crate::template::section;
use lamina_bus::{CallContext, ServiceCaller};
use lamina_storage::WriteBatch;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the background runs share.
pub struct Runner {
    pub table: Table,
    pub registry: Arc<dyn ProviderRegistry>,
    pub caller: Arc<dyn ServiceCaller>,
    /// Resources created or updated at once.
    pub concurrency: usize,
    /// Stack ids whose running update was cancelled (CancelUpdateStack). Only a run of this
    /// process can be cancelled, so the set lives as long as the process.
    pub cancels: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Runner {
    /// Asks the running update of `stack_id` to stop and roll back.
    pub fn cancel(&self, stack_id: &str) {
        if let Ok(mut c) = self.cancels.lock() {
            c.insert(stack_id.to_string());
        }
    }

    /// True when the update of `stack_id` was cancelled.
    pub fn cancelled(&self, stack_id: &str) -> bool {
        self.cancels
            .lock()
            .map(|c| c.contains(stack_id))
            .unwrap_or(false)
    }

    /// True (once) when the update of `stack_id` was cancelled.
    pub fn take_cancel(&self, stack_id: &str) -> bool {
        self.cancels
            .lock()
            .map(|mut c| c.remove(stack_id))
            .unwrap_or(false)
    }
}

/// The reason of the rollback a CancelUpdateStack starts.
pub const CANCELLED: &str = "Stack update cancelled";

/// The operation a run performs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Create,
    /// The stack's `previous` holds the state before the update.
    Update,
    Delete,
    /// ContinueUpdateRollback of an UPDATE_ROLLBACK_FAILED stack (whose `previous` holds the
    /// state to return to), skipping the listed resources.
    ContinueRollback(Vec<String>),
    /// A CreateStack whose template could not be processed (a transform failed): the stack
    /// rolls back at once with this reason, as AWS reports it.
    FailCreate(String),
}

/// A random UUID (version 4 form).
pub fn uuid() -> String {
    let b: [u8; 16] = lamina_core::random_bytes();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// Starts `op` on `stack` in a background task; the stack record already carries the
/// `*_IN_PROGRESS` status and was saved by the caller.
pub fn spawn(
    runner: Arc<Runner>,
    scope: Scope,
    endpoint: String,
    stack: StackRecord,
    op: Op,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut run = Run {
            rt: runner,
            scope,
            endpoint,
            stack,
        };
        match op {
            Op::Create => run.create().await,
            Op::Update => run.update().await,
            Op::Delete => run.delete().await,
            Op::ContinueRollback(skip) => run.continue_rollback(&skip).await,
            Op::FailCreate(reason) => {
                run.stack_status("ROLLBACK_IN_PROGRESS", Some(reason)).await;
                run.stack_status("ROLLBACK_COMPLETE", None).await;
            }
        }
    })
}

struct Run {
    rt: Arc<Runner>,
    scope: Scope,
    endpoint: String,
    stack: StackRecord,
}

/// Resolves `Ref`/`Fn::GetAtt` against a stack's resources and `Fn::ImportValue` against
/// exports.
struct Lookup<'a> {
    resources: &'a BTreeMap<String, ResourceRecord>,
    exports: &'a BTreeMap<String, String>,
}

impl Resolver for Lookup<'_> {
    fn physical_id(&self, logical_id: &str) -> Option<String> {
        self.resources.get(logical_id)?.physical_id.clone()
    }
    fn attribute(&self, logical_id: &str, name: &str) -> Result<Value, String> {
        let Some(r) = self.resources.get(logical_id) else {
            return Err(format!(
                "Template error: instance of Fn::GetAtt references undefined resource {logical_id}"
            ));
        };
        r.attributes.get(name).cloned().ok_or_else(|| {
            format!(
                "Template error: resource {logical_id} does not support attribute type {name} in Fn::GetAtt"
            )
        })
    }
    fn import(&self, name: &str) -> Option<String> {
        self.exports.get(name).cloned()
    }
}

/// What happened to a resource during create/update (for rollback and cleanup).
enum Touched {
    Created,
    Updated(ResourceRecord),
    Replaced(ResourceRecord),
}

impl Run {
    fn pseudo(&self) -> Pseudo {
        Pseudo {
            account_id: self.scope.account.clone(),
            region: self.scope.region.clone(),
            stack_name: self.stack.name.clone(),
            stack_id: self.stack.stack_id.clone(),
            notification_arns: self.stack.notification_arns.clone(),
        }
    }

    fn context(&self, logical_id: &str, resource_type: &str) -> ResourceContext {
        ResourceContext {
            caller: self.rt.caller.clone(),
            call: CallContext {
                account_id: self.scope.account.clone(),
                region: self.scope.region.clone(),
                endpoint: self.endpoint.clone(),
            },
            stack_name: self.stack.name.clone(),
            stack_id: self.stack.stack_id.clone(),
            logical_id: logical_id.to_string(),
            resource_type: resource_type.to_string(),
        }
    }

    async fn save(&mut self, events: Vec<EventRecord>) {
        let mut b = WriteBatch::new();
        for e in &events {
            let seq = self.stack.next_event;
            self.stack.next_event += 1;
            if let Err(e) = self.rt.table.put_event(&self.scope, &mut b, seq, e) {
                tracing::error!(error = %e, "cloudformation event not encoded");
            }
        }
        if let Err(e) = self.rt.table.put_stack(&self.scope, &mut b, &self.stack) {
            tracing::error!(error = %e, "cloudformation stack not encoded");
            return;
        }
        if let Err(e) = self.rt.table.commit(b).await {
            tracing::error!(stack = %self.stack.name, error = %e, "cloudformation stack not saved");
        }
    }

    fn event(
        &self,
        logical_id: &str,
        physical_id: Option<String>,
        resource_type: &str,
        status: &str,
        reason: Option<String>,
        properties: Option<&Value>,
    ) -> EventRecord {
        EventRecord {
            v: crate::store::FORMAT,
            stack_id: self.stack.stack_id.clone(),
            stack_name: self.stack.name.clone(),
            event_id: uuid(),
            logical_id: logical_id.to_string(),
            physical_id,
            resource_type: resource_type.to_string(),
            timestamp: lamina_core::now_epoch_seconds(),
            status: status.to_string(),
            reason,
            properties: properties.map(Value::to_string),
        }
    }

    /// Moves the stack to `status` and records the stack event.
    async fn stack_status(&mut self, status: &str, reason: Option<String>) {
        self.stack.status = status.to_string();
        self.stack.reason = reason.clone();
        let e = self.event(
            &self.stack.name.clone(),
            Some(self.stack.stack_id.clone()),
            "AWS::CloudFormation::Stack",
            status,
            reason,
            None,
        );
        self.save(vec![e]).await;
    }

    /// Moves a resource to `status` and records its event.
    async fn resource_status(&mut self, id: &str, status: &str, reason: Option<String>) {
        let now = lamina_core::now_epoch_seconds();
        let Some(r) = self.stack.resources.get_mut(id) else {
            return;
        };
        r.status = status.to_string();
        r.reason = reason.clone();
        r.updated = now;
        let (pid, ty, props) = (
            r.physical_id.clone(),
            r.resource_type.clone(),
            r.properties.clone(),
        );
        let props = status.ends_with("IN_PROGRESS").then_some(&props);
        let e = self.event(id, pid, &ty, status, reason, props);
        self.save(vec![e]).await;
    }

    async fn other_exports(&self) -> BTreeMap<String, String> {
        match self.rt.table.exports(&self.scope).await {
            Ok(list) => list.into_iter().map(|e| (e.name, e.value)).collect(),
            Err(e) => {
                tracing::error!(error = %e, "cloudformation exports not read");
                BTreeMap::new()
            }
        }
    }

    fn conditions(&self) -> Result<BTreeMap<String, bool>, String> {
        eval::conditions(
            &self.pseudo(),
            &self.stack.param_values,
            section(&self.stack.template, "Mappings"),
            section(&self.stack.template, "Conditions"),
        )
        .map_err(|e| e.to_string())
    }

    /// Resolved properties of a resource of the template.
    fn properties(
        &self,
        id: &str,
        conds: &BTreeMap<String, bool>,
        exports: &BTreeMap<String, String>,
    ) -> Result<Value, String> {
        let def = &section(&self.stack.template, "Resources")[id];
        let pseudo = self.pseudo();
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
        Ok(
            eval::eval(&ctx, def.get("Properties").unwrap_or(&Value::Null))?
                .filter(|v| !v.is_null())
                .unwrap_or_else(|| Value::Object(Map::new())),
        )
    }

    async fn create(&mut self) {
        match self.deploy().await {
            Ok(_) => {
                self.stack_status("CREATE_COMPLETE", None).await;
            }
            Err((failed, _touched)) => {
                let reason = failure_reason(&failed, "create");
                if self.stack.disable_rollback {
                    self.stack_status("CREATE_FAILED", Some(reason)).await;
                    return;
                }
                self.stack_status("ROLLBACK_IN_PROGRESS", Some(reason))
                    .await;
                let template = self.stack.template.clone();
                let ids: Vec<String> = self.stack.resources.keys().cloned().collect();
                let ok = self.delete_resources(&template, &ids, true).await;
                self.stack.outputs.clear();
                if ok {
                    self.stack_status("ROLLBACK_COMPLETE", None).await;
                } else {
                    self.stack_status(
                        "ROLLBACK_FAILED",
                        Some("The following resource(s) failed to delete during rollback.".into()),
                    )
                    .await;
                }
            }
        }
    }

    async fn update(&mut self) {
        let Some(previous) = self.stack.previous.clone() else {
            self.stack_status("UPDATE_FAILED", Some("Internal Failure".into()))
                .await;
            return;
        };
        match self.deploy().await {
            Ok(touched) => {
                self.stack_status("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", None)
                    .await;
                // Removed resources (old template) and replaced ones (their old physical ids).
                let removed: Vec<String> = previous
                    .resources
                    .keys()
                    .filter(|id| !self.stack.resources.contains_key(*id))
                    .cloned()
                    .collect();
                for id in &removed {
                    if let Some(r) = previous.resources.get(id) {
                        self.stack.resources.insert(id.clone(), r.clone());
                    }
                }
                self.delete_resources(&previous.template, &removed, false)
                    .await;
                for (id, t) in touched {
                    if let Touched::Replaced(old) = t {
                        self.delete_replaced(&id, old).await;
                    }
                }
                self.stack.previous = None;
                // A cancel that came after the last resource has nothing left to stop.
                self.rt.take_cancel(&self.stack.stack_id);
                self.stack_status("UPDATE_COMPLETE", None).await;
            }
            Err((failed, touched)) => {
                let reason = if self.rt.take_cancel(&self.stack.stack_id) {
                    CANCELLED.to_string()
                } else {
                    failure_reason(&failed, "update")
                };
                self.stack_status("UPDATE_ROLLBACK_IN_PROGRESS", Some(reason))
                    .await;
                self.roll_back_update(*previous, touched).await;
            }
        }
    }

    /// Returns an UPDATE_ROLLBACK_IN_PROGRESS stack to `previous`: resources updated in place
    /// are updated back, replacements and new resources deleted, the rest restored. A revert
    /// or delete that fails leaves the stack UPDATE_ROLLBACK_FAILED (with `previous` kept for
    /// ContinueUpdateRollback).
    async fn roll_back_update(&mut self, previous: StackRecord, touched: Vec<(String, Touched)>) {
        let new_template = self.stack.template.clone();
        let mut to_delete = Vec::new();
        let mut failed = Vec::new();
        // Updated in place: update back to the previous properties.
        for (id, t) in touched {
            match t {
                Touched::Updated(old) => {
                    if !self.revert_update(&id, old).await {
                        failed.push(id);
                    }
                }
                Touched::Replaced(old) => {
                    to_delete.push((id.clone(), self.stack.resources.get(&id).cloned()));
                    self.stack.resources.insert(id, old);
                }
                Touched::Created => {
                    to_delete.push((id.clone(), None));
                }
            }
        }
        if !failed.is_empty() {
            // Resources the new template dropped are still there: keep them on the stack so
            // that a later delete or ContinueUpdateRollback sees them.
            for (k, r) in &previous.resources {
                if !self.stack.resources.contains_key(k) {
                    self.stack.resources.insert(k.clone(), r.clone());
                }
            }
            let reason = failure_reason(&failed, "update");
            self.stack_status("UPDATE_ROLLBACK_FAILED", Some(reason))
                .await;
            return;
        }
        self.stack_status("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", None)
            .await;
        for (id, new_record) in to_delete {
            match new_record {
                // The replacement: delete it, keep the restored old resource.
                Some(new) => {
                    let old = self.stack.resources.insert(id.clone(), new);
                    self.delete_resources(&new_template, std::slice::from_ref(&id), true)
                        .await;
                    if let Some(old) = old {
                        self.stack.resources.insert(id, old);
                    }
                }
                None => {
                    self.delete_resources(&new_template, std::slice::from_ref(&id), true)
                        .await;
                }
            }
        }
        // Everything else goes back to what it was.
        let prev = previous;
        let resources = std::mem::take(&mut self.stack.resources);
        let next_event = self.stack.next_event;
        let status_reason = self.stack.reason.clone();
        self.stack = StackRecord {
            resources: prev
                .resources
                .keys()
                .filter_map(|k| {
                    resources
                        .get(k)
                        .or(prev.resources.get(k))
                        .map(|r| (k.clone(), r.clone()))
                })
                .collect(),
            next_event,
            reason: status_reason,
            previous: None,
            updated: Some(lamina_core::now_epoch_seconds()),
            ..prev
        };
        self.stack_status("UPDATE_ROLLBACK_COMPLETE", None).await;
    }

    /// ContinueUpdateRollback: what still differs from `previous` is rolled back again; the
    /// resources in `skip` are left as they are and marked UPDATE_COMPLETE.
    async fn continue_rollback(&mut self, skip: &[String]) {
        let Some(previous) = self.stack.previous.clone() else {
            // Nothing to return to: the stack is as its template says.
            self.stack_status("UPDATE_ROLLBACK_COMPLETE", None).await;
            return;
        };
        let mut touched = Vec::new();
        let current: Vec<(String, ResourceRecord)> = self
            .stack
            .resources
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (id, now) in current {
            if skip.contains(&id) {
                self.resource_status(&id, "UPDATE_COMPLETE", None).await;
                continue;
            }
            match previous.resources.get(&id) {
                None => touched.push((id, Touched::Created)),
                Some(old) if old.physical_id != now.physical_id => {
                    touched.push((id, Touched::Replaced(old.clone())))
                }
                Some(old) if old.properties != now.properties => {
                    touched.push((id, Touched::Updated(old.clone())))
                }
                Some(_) => {}
            }
        }
        let mut previous = *previous;
        // A skipped resource stays as it is now.
        for id in skip {
            if let Some(r) = self.stack.resources.get(id) {
                previous.resources.insert(id.clone(), r.clone());
            }
        }
        self.roll_back_update(previous, touched).await;
    }

    async fn delete(&mut self) {
        // Exports of this stack still imported elsewhere block the delete.
        let mine: Vec<String> = self
            .stack
            .outputs
            .iter()
            .filter_map(|o| o.export_name.clone())
            .collect();
        if let Some(msg) = self.export_in_use(&mine).await {
            self.stack_status("DELETE_FAILED", Some(msg)).await;
            return;
        }
        let template = self.stack.template.clone();
        let ids: Vec<String> = self.stack.resources.keys().cloned().collect();
        if !self.delete_resources(&template, &ids, false).await {
            let failed: Vec<String> = self
                .stack
                .resources
                .values()
                .filter(|r| r.status == "DELETE_FAILED")
                .map(|r| r.logical_id.clone())
                .collect();
            self.stack_status(
                "DELETE_FAILED",
                Some(format!(
                    "The following resource(s) failed to delete: [{}]. ",
                    failed.join(", ")
                )),
            )
            .await;
            return;
        }
        let mut b = WriteBatch::new();
        for name in &mine {
            self.rt.table.delete_export(&self.scope, &mut b, name);
        }
        if let Err(e) = self.rt.table.commit(b).await {
            tracing::error!(error = %e, "cloudformation exports not removed");
        }
        self.stack.deleted = Some(lamina_core::now_epoch_seconds());
        self.stack_status("DELETE_COMPLETE", None).await;
    }

    /// Names the first export of `names` another stack imports.
    async fn export_in_use(&self, names: &[String]) -> Option<String> {
        let stacks = self.rt.table.stacks(&self.scope).await.ok()?;
        for name in names {
            if let Some(user) = stacks.iter().find(|s| {
                !s.is_deleted() && s.stack_id != self.stack.stack_id && s.imports.contains(name)
            }) {
                return Some(format!(
                    "Export {name} cannot be deleted as it is in use by {}",
                    user.name
                ));
            }
        }
        None
    }
}

/// `The following resource(s) failed to create: [A, B]. `
fn failure_reason(failed: &[String], verb: &str) -> String {
    if failed.is_empty() {
        return "Stack operation failed".to_string();
    }
    if failed.len() == 1 && failed[0].contains(' ') {
        // A stack-level failure (outputs, exports): its message as is.
        return failed[0].clone();
    }
    format!(
        "The following resource(s) failed to {verb}: [{}]. ",
        failed.join(", ")
    )
}

#[path = "deploy.rs"]
mod deploy;
