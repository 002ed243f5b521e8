//! Change sets: CreateChangeSet (CREATE makes a REVIEW_IN_PROGRESS stack), DescribeChangeSet,
//! ExecuteChangeSet, DeleteChangeSet, ListChangeSets.
//!
//! A change set is computed when it is created (its status is CREATE_COMPLETE at once, or
//! FAILED with AWS's reason when it holds no changes or lacks capabilities).

use super::{Engine, PAGE, Prepared, Req, body_of, check_stack_name, page, paged, render_params};
use crate::engine::run::{Op, uuid};
use crate::error::{CfnError, Result};
use crate::store::{ChangeSetRecord, ResourceRecord, StackRecord};
use crate::template::eval::{self, Context, Pseudo, Resolver};
use crate::template::section;
use crate::types::{ChangeSetRef, StackInput};
use lamina_storage::WriteBatch;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const NO_CHANGES: &str = "The submitted information didn't contain changes. Submit different information to create a change set.";

struct OldResources<'a>(&'a BTreeMap<String, ResourceRecord>);

impl Resolver for OldResources<'_> {
    fn physical_id(&self, id: &str) -> Option<String> {
        self.0.get(id)?.physical_id.clone()
    }
    fn attribute(&self, id: &str, name: &str) -> std::result::Result<Value, String> {
        self.0
            .get(id)
            .and_then(|r| r.attributes.get(name).cloned())
            .ok_or_else(|| format!("{id}.{name} is not known yet"))
    }
    fn import(&self, _: &str) -> Option<String> {
        None
    }
}

impl Engine {
    /// The resource changes between a stack and a prepared template.
    fn changes(&self, req: &Req, old: Option<&StackRecord>, p: &Prepared) -> Vec<Value> {
        let empty = BTreeMap::new();
        let old_resources = old.map(|o| &o.resources).unwrap_or(&empty);
        let pseudo = Pseudo {
            account_id: req.scope.account.clone(),
            region: req.scope.region.clone(),
            stack_name: old.map(|o| o.name.clone()).unwrap_or_default(),
            stack_id: old.map(|o| o.stack_id.clone()).unwrap_or_default(),
            notification_arns: Vec::new(),
        };
        let conds = eval::conditions(
            &pseudo,
            &p.values,
            section(&p.template, "Mappings"),
            section(&p.template, "Conditions"),
        )
        .unwrap_or_default();
        let ctx = Context {
            pseudo: &pseudo,
            params: &p.values,
            mappings: section(&p.template, "Mappings"),
            conditions: &conds,
            resolver: &OldResources(old_resources),
        };
        let mut out = Vec::new();
        let new = section(&p.template, "Resources");
        for (id, def) in new {
            if let Some(c) = def.get("Condition").and_then(Value::as_str)
                && !conds.get(c).copied().unwrap_or(false)
            {
                continue;
            }
            let ty = def["Type"].as_str().unwrap_or_default();
            let Some(o) = old_resources.get(id) else {
                out.push(change("Add", id, None, ty, None));
                continue;
            };
            let props = eval::eval(&ctx, def.get("Properties").unwrap_or(&Value::Null))
                .map(|v| v.filter(|v| !v.is_null()).unwrap_or_else(|| json!({})));
            let replacement = match props {
                Ok(p) if o.resource_type == ty && p == o.properties => continue,
                Ok(p) if o.resource_type == ty => match self.runner.registry.provider(ty) {
                    Some(prov) if prov.requires_replacement(&o.properties, &p) => "True",
                    _ => "False",
                },
                Ok(_) => "True",
                Err(_) => "Conditional",
            };
            out.push(change(
                "Modify",
                id,
                o.physical_id.as_deref(),
                ty,
                Some(replacement),
            ));
        }
        for (id, o) in old_resources {
            if !new.contains_key(id) {
                out.push(change(
                    "Remove",
                    id,
                    o.physical_id.as_deref(),
                    &o.resource_type,
                    None,
                ));
            }
        }
        out
    }

    pub async fn create_change_set(&self, req: &Req, input: StackInput) -> Result<Value> {
        check_stack_name(&input.stack_name)?;
        let name = input.change_set_name.clone().unwrap_or_default();
        let kind = input
            .change_set_type
            .clone()
            .unwrap_or_else(|| "UPDATE".into());
        let existing = self.table.find(&req.scope, &input.stack_name).await?;
        let (old, raw) = match (&existing, kind.as_str()) {
            (Some(l), "CREATE") if l.record.status != "REVIEW_IN_PROGRESS" => {
                return Err(CfnError::AlreadyExists(format!(
                    "{}] already exists and cannot be created again with the changeSet [{name}",
                    input.stack_name
                )));
            }
            (Some(l), "CREATE") => (None, Some((l.record.clone(), l.raw.clone()))),
            (Some(l), _) if l.record.status == "REVIEW_IN_PROGRESS" => {
                return Err(CfnError::Validation(format!(
                    "Stack:{} is in REVIEW_IN_PROGRESS state and can not be updated.",
                    l.record.stack_id
                )));
            }
            (Some(l), _) => (Some(l.record.clone()), None),
            (None, "CREATE") => (None, None),
            (None, _) => {
                return Err(CfnError::Validation(format!(
                    "Stack [{}] does not exist",
                    input.stack_name
                )));
            }
        };
        if let Some(o) = &old {
            let sets = self.table.change_sets(&req.scope, &o.stack_id).await?;
            if sets.iter().any(|c| c.name == name) {
                return Err(CfnError::AlreadyExists(format!(
                    "ChangeSet {name} already exists"
                )));
            }
        }
        let body = match (input.use_previous_template, &old) {
            (Some(true), Some(o)) => o.template_body.clone(),
            _ => body_of(
                input.template_body.as_deref(),
                input.template_url.as_deref(),
            )?,
        };
        let previous = old
            .as_ref()
            .map(|o| o.parameters.clone())
            .unwrap_or_default();
        let prepared = self
            .prepare(
                req,
                &input.stack_name,
                body.clone(),
                &input.parameters,
                &previous,
                &input.capabilities,
                false,
            )
            .await;
        let (status, reason, changes, listed, prepared) = match prepared {
            Ok(p) => {
                let changes = self.changes(req, old.as_ref(), &p);
                let same_params = old.as_ref().is_some_and(|o| o.param_values == p.values);
                let same_tags = old
                    .as_ref()
                    .is_some_and(|o| input.tags.as_ref().is_none_or(|t| t == &o.tags));
                if old.is_some() && changes.is_empty() && same_params && same_tags {
                    (
                        "FAILED",
                        Some(NO_CHANGES.to_string()),
                        changes,
                        p.listed.clone(),
                        Some(p),
                    )
                } else {
                    ("CREATE_COMPLETE", None, changes, p.listed.clone(), Some(p))
                }
            }
            Err(e @ (CfnError::InsufficientCapabilities(_) | CfnError::Transform(_))) => {
                ("FAILED", Some(e.to_string()), Vec::new(), Vec::new(), None)
            }
            Err(e) => return Err(e),
        };
        // The stack: the existing one, or a new REVIEW_IN_PROGRESS one.
        let stack_id = match (&old, &raw, prepared) {
            (Some(o), _, _) => o.stack_id.clone(),
            (None, Some((r, _)), _) => r.stack_id.clone(),
            (None, None, p) => {
                let p = p.unwrap_or(Prepared {
                    body: body.clone(),
                    template: json!({}),
                    listed: Vec::new(),
                    values: Default::default(),
                    imports: Vec::new(),
                });
                let stack = self.new_stack(req, &input, p, "REVIEW_IN_PROGRESS");
                let id = stack.stack_id.clone();
                self.begin(req, stack, None, Op::Create).await?;
                id
            }
        };
        let id = lamina_core::arn(
            "cloudformation",
            &req.scope.region,
            &req.scope.account,
            &format!("changeSet/{name}/{}", uuid()),
        );
        let record = ChangeSetRecord {
            v: crate::store::FORMAT,
            id: id.clone(),
            name,
            stack_id: stack_id.clone(),
            stack_name: input.stack_name.clone(),
            kind,
            status: status.into(),
            status_reason: reason,
            execution_status: if status == "FAILED" {
                "UNAVAILABLE"
            } else {
                "AVAILABLE"
            }
            .into(),
            description: input.description.clone(),
            template_body: body,
            parameters: input.parameters.clone(),
            listed,
            capabilities: input.capabilities.clone(),
            tags: input.tags.clone().unwrap_or_default(),
            notification_arns: input.notification_arns.clone().unwrap_or_default(),
            changes,
            created: lamina_core::now_epoch_seconds(),
        };
        let mut b = WriteBatch::new();
        self.table.put_change_set(&req.scope, &mut b, &record)?;
        self.table.commit(b).await?;
        Ok(json!({"Id": id, "StackId": stack_id}))
    }

    async fn find_change_set(&self, req: &Req, input: &ChangeSetRef) -> Result<ChangeSetRecord> {
        let name = input.change_set_name.clone().unwrap_or_default();
        let found = if name.starts_with("arn:") {
            self.table.change_set_by_id(&req.scope, &name).await?
        } else {
            let stack_name = input.stack_name.clone().ok_or_else(|| {
                CfnError::Validation(
                    "StackName must be specified if ChangeSetName is not specified as an ARN."
                        .into(),
                )
            })?;
            match self.table.find(&req.scope, &stack_name).await? {
                Some(s) => self
                    .table
                    .change_sets(&req.scope, &s.record.stack_id)
                    .await?
                    .into_iter()
                    .find(|c| c.name == name),
                None => None,
            }
        };
        found.ok_or(CfnError::ChangeSetNotFound(name))
    }

    pub async fn describe_change_set(&self, req: &Req, input: ChangeSetRef) -> Result<Value> {
        let c = self.find_change_set(req, &input).await?;
        let mut o = json!({
            "ChangeSetName": c.name,
            "ChangeSetId": c.id,
            "StackId": c.stack_id,
            "StackName": c.stack_name,
            "Parameters": render_params(&c.listed),
            "CreationTime": c.created,
            "ExecutionStatus": c.execution_status,
            "Status": c.status,
            "NotificationARNs": c.notification_arns,
            "Capabilities": c.capabilities,
            "Tags": c.tags,
            "Changes": c.changes,
            "IncludeNestedStacks": false,
        });
        if let Some(r) = &c.status_reason {
            o["StatusReason"] = json!(r);
        }
        if let Some(d) = &c.description {
            o["Description"] = json!(d);
        }
        Ok(o)
    }

    pub async fn execute_change_set(&self, req: &Req, input: ChangeSetRef) -> Result<Value> {
        let c = self.find_change_set(req, &input).await?;
        if c.status != "CREATE_COMPLETE" || c.execution_status != "AVAILABLE" {
            return Err(CfnError::InvalidChangeSetStatus(format!(
                "ChangeSet [{}] cannot be executed in its current status of [{}]",
                c.id, c.status
            )));
        }
        let loaded = self.stack(req, &c.stack_id).await?;
        let old = loaded.record;
        let input = StackInput {
            stack_name: old.name.clone(),
            parameters: c.parameters.clone(),
            capabilities: c.capabilities.clone(),
            tags: Some(c.tags.clone()),
            notification_arns: Some(c.notification_arns.clone()),
            ..Default::default()
        };
        let previous = if c.kind == "CREATE" {
            Vec::new()
        } else {
            old.parameters.clone()
        };
        let p = self
            .prepare(
                req,
                &old.name,
                c.template_body.clone(),
                &c.parameters,
                &previous,
                &c.capabilities,
                false,
            )
            .await?;
        let (mut stack, op) = if c.kind == "CREATE" {
            let mut s = self.new_stack(req, &input, p, "CREATE_IN_PROGRESS");
            s.stack_id = old.stack_id.clone();
            s.created = old.created;
            s.next_event = old.next_event;
            (s, Op::Create)
        } else {
            if ![
                "CREATE_COMPLETE",
                "UPDATE_COMPLETE",
                "UPDATE_ROLLBACK_COMPLETE",
            ]
            .contains(&old.status.as_str())
            {
                return Err(CfnError::InvalidChangeSetStatus(format!(
                    "Stack:{} is in {} state and can not be updated.",
                    old.stack_id, old.status
                )));
            }
            let tags = c.tags.clone();
            let tags = if tags.is_empty() {
                old.tags.clone()
            } else {
                tags
            };
            (self.updated_stack(&old, p, &input, tags), Op::Update)
        };
        stack.change_set_id = Some(c.id.clone());
        // "After you execute a change set, CloudFormation removes all change sets associated
        // with the stack": the executed one included (the stack keeps its id).
        let mut b = WriteBatch::new();
        for set in self.table.change_sets(&req.scope, &c.stack_id).await? {
            self.table.delete_change_set(&req.scope, &mut b, &set);
        }
        self.begin(req, stack, Some(loaded.raw), op).await?;
        self.table.commit(b).await?;
        Ok(json!({}))
    }

    pub async fn delete_change_set(&self, req: &Req, input: ChangeSetRef) -> Result<Value> {
        let c = self.find_change_set(req, &input).await?;
        if c.execution_status == "EXECUTE_IN_PROGRESS" {
            return Err(CfnError::InvalidChangeSetStatus(format!(
                "ChangeSet [{}] cannot be deleted in its current status of [{}]",
                c.id, c.execution_status
            )));
        }
        let mut b = WriteBatch::new();
        self.table.delete_change_set(&req.scope, &mut b, &c);
        self.table.commit(b).await?;
        Ok(json!({}))
    }

    pub async fn list_change_sets(&self, req: &Req, input: ChangeSetRef) -> Result<Value> {
        let name = input.stack_name.unwrap_or_default();
        let stack = self.stack(req, &name).await?.record;
        let list: Vec<(String, Value)> = self
            .table
            .change_sets(&req.scope, &stack.stack_id)
            .await?
            .iter()
            .map(|c| {
                let mut o = json!({
                    "StackId": c.stack_id,
                    "StackName": c.stack_name,
                    "ChangeSetId": c.id,
                    "ChangeSetName": c.name,
                    "ExecutionStatus": c.execution_status,
                    "Status": c.status,
                    "CreationTime": c.created,
                    "IncludeNestedStacks": false,
                });
                if let Some(r) = &c.status_reason {
                    o["StatusReason"] = json!(r);
                }
                if let Some(d) = &c.description {
                    o["Description"] = json!(d);
                }
                (c.id.clone(), o)
            })
            .collect();
        Ok(paged(
            "Summaries",
            page(list, input.next_token.as_deref(), PAGE)?,
        ))
    }
}

fn change(action: &str, id: &str, pid: Option<&str>, ty: &str, replacement: Option<&str>) -> Value {
    let mut rc = json!({
        "Action": action,
        "LogicalResourceId": id,
        "ResourceType": ty,
        "Scope": if action == "Modify" { json!(["Properties"]) } else { json!([]) },
        "Details": [],
    });
    if let Some(p) = pid {
        rc["PhysicalResourceId"] = json!(p);
    }
    if let Some(r) = replacement {
        rc["Replacement"] = json!(r);
    }
    json!({"Type": "Resource", "ResourceChange": rc})
}
