//! CreateStack, UpdateStack, DeleteStack, DescribeStacks, DescribeStackEvents,
//! DescribeStackResource(s), ListStackResources, ListStacks.

use super::{
    Engine, PAGE, Prepared, Req, body_of, check_stack_name, page, paged, render_params, stack_id,
};
use crate::engine::run::{self, Op};
use crate::error::{CfnError, Result};
use crate::store::{ResourceRecord, StackRecord};
use crate::types::{StackInput, StackRef};
use lamina_storage::WriteBatch;
use serde_json::{Map, Value, json};

/// How long a request that starts an operation waits for it before answering.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(3);

/// Statuses from which UpdateStack may start.
const UPDATABLE: &[&str] = &[
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "UPDATE_ROLLBACK_COMPLETE",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_COMPLETE",
];

impl Engine {
    /// A new stack record in CREATE_IN_PROGRESS (or REVIEW_IN_PROGRESS for a change set).
    pub fn new_stack(
        &self,
        req: &Req,
        input: &StackInput,
        p: Prepared,
        status: &str,
    ) -> StackRecord {
        StackRecord {
            v: crate::store::FORMAT,
            stack_id: stack_id(&req.scope, &input.stack_name),
            name: input.stack_name.clone(),
            status: status.to_string(),
            reason: (status == "CREATE_IN_PROGRESS").then(|| "User Initiated".to_string()),
            description: p
                .template
                .get("Description")
                .and_then(Value::as_str)
                .map(String::from),
            template_body: p.body,
            template: p.template,
            parameters: p.listed,
            param_values: p.values,
            tags: input.tags.clone().unwrap_or_default(),
            capabilities: input.capabilities.clone(),
            notification_arns: input.notification_arns.clone().unwrap_or_default(),
            disable_rollback: input.disable_rollback.unwrap_or(false)
                || matches!(input.on_failure.as_deref(), Some("DO_NOTHING")),
            role_arn: input.role_arn.clone(),
            termination_protection: input.enable_termination_protection.unwrap_or(false),
            stack_policy: input.stack_policy_body.clone(),
            outputs: Vec::new(),
            imports: p.imports,
            created: lamina_core::now_epoch_seconds(),
            updated: None,
            deleted: None,
            resources: Default::default(),
            next_event: 0,
            change_set_id: None,
            previous: None,
        }
    }

    /// Saves `stack` (with a stack event for its status) under a precondition: `raw` is what
    /// was read (None: the name must be free), then starts `op` in the background.
    pub async fn begin(
        &self,
        req: &Req,
        mut stack: StackRecord,
        raw: Option<Vec<u8>>,
        op: Op,
    ) -> Result<()> {
        let mut b = WriteBatch::new();
        let t = &self.table;
        match raw {
            Some(raw) => {
                b.require_equals(
                    crate::store::STACKS,
                    t.stack_key(&req.scope, &stack.stack_id),
                    raw,
                );
            }
            None => {
                b.require_absent(crate::store::NAMES, t.name_key(&req.scope, &stack.name));
            }
        }
        let event = crate::store::EventRecord {
            v: crate::store::FORMAT,
            stack_id: stack.stack_id.clone(),
            stack_name: stack.name.clone(),
            event_id: run::uuid(),
            logical_id: stack.name.clone(),
            physical_id: Some(stack.stack_id.clone()),
            resource_type: "AWS::CloudFormation::Stack".into(),
            timestamp: lamina_core::now_epoch_seconds(),
            status: stack.status.clone(),
            reason: stack.reason.clone(),
            properties: None,
        };
        t.put_event(&req.scope, &mut b, stack.next_event, &event)?;
        stack.next_event += 1;
        t.put_stack(&req.scope, &mut b, &stack)?;
        match t.commit(b).await {
            Err(CfnError::Store(lamina_storage::StoreError::Conflict { .. })) => {
                return Err(if matches!(op, Op::Create | Op::FailCreate(_)) {
                    CfnError::AlreadyExists(stack.name)
                } else {
                    CfnError::Validation(format!(
                        "Stack:{} is in {} state and can not be updated.",
                        stack.stack_id, "UPDATE_IN_PROGRESS"
                    ))
                });
            }
            other => other?,
        }
        if stack.status.ends_with("_IN_PROGRESS") && stack.status != "REVIEW_IN_PROGRESS" {
            let task = run::spawn(
                self.runner.clone(),
                req.scope.clone(),
                req.endpoint.clone(),
                stack,
                op,
            );
            // Short operations finish before the answer, so a client's first poll (the CLI's
            // waiters sleep 5-30 s after a non-final status) already sees the result; long
            // ones go on in the background.
            let _ = tokio::time::timeout(SETTLE, task).await;
        }
        Ok(())
    }

    pub async fn create_stack(&self, req: &Req, input: StackInput) -> Result<Value> {
        check_stack_name(&input.stack_name)?;
        super::lifecycle::check_policy(
            input.stack_policy_body.as_deref(),
            input.stack_policy_url.as_deref(),
        )?;
        if let Some(existing) = self.table.find(&req.scope, &input.stack_name).await? {
            let _ = existing;
            return Err(CfnError::AlreadyExists(input.stack_name));
        }
        let body = body_of(
            input.template_body.as_deref(),
            input.template_url.as_deref(),
        )?;
        let prepared = self
            .prepare(
                req,
                &input.stack_name,
                body.clone(),
                &input.parameters,
                &[],
                &input.capabilities,
                true,
            )
            .await;
        // A failed transform fails the stack (AWS processes transforms after accepting the
        // request): CREATE_IN_PROGRESS, then a rollback with the transform's message.
        let (p, op) = match prepared {
            Ok(p) => (p, Op::Create),
            Err(CfnError::Transform(reason)) => (
                Prepared {
                    body,
                    template: json!({}),
                    listed: Vec::new(),
                    values: Default::default(),
                    imports: Vec::new(),
                },
                Op::FailCreate(reason),
            ),
            Err(e) => return Err(e),
        };
        let stack = self.new_stack(req, &input, p, "CREATE_IN_PROGRESS");
        let id = stack.stack_id.clone();
        self.begin(req, stack, None, op).await?;
        Ok(json!({"StackId": id}))
    }

    pub async fn update_stack(&self, req: &Req, input: StackInput) -> Result<Value> {
        super::lifecycle::check_policy(
            input.stack_policy_body.as_deref(),
            input.stack_policy_url.as_deref(),
        )?;
        let loaded = self.stack(req, &input.stack_name).await?;
        let old = loaded.record;
        if !UPDATABLE.contains(&old.status.as_str()) {
            return Err(CfnError::Validation(format!(
                "Stack:{} is in {} state and can not be updated.",
                old.stack_id, old.status
            )));
        }
        let body = if input.use_previous_template == Some(true) {
            old.template_body.clone()
        } else {
            body_of(
                input.template_body.as_deref(),
                input.template_url.as_deref(),
            )?
        };
        let p = self
            .prepare(
                req,
                &old.name,
                body,
                &input.parameters,
                &old.parameters,
                &input.capabilities,
                true,
            )
            .await?;
        let tags = input.tags.clone().unwrap_or_else(|| old.tags.clone());
        if p.template == old.template && p.values == old.param_values && tags == old.tags {
            return Err(CfnError::Validation(
                "No updates are to be performed.".into(),
            ));
        }
        let stack = self.updated_stack(&old, p, &input, tags);
        let id = stack.stack_id.clone();
        self.begin(req, stack, Some(loaded.raw), Op::Update).await?;
        Ok(json!({"StackId": id}))
    }

    /// The stack record an update starts from (the old state kept in `previous`).
    pub fn updated_stack(
        &self,
        old: &StackRecord,
        p: Prepared,
        input: &StackInput,
        tags: Vec<crate::store::Tag>,
    ) -> StackRecord {
        let mut prev = old.clone();
        prev.previous = None;
        StackRecord {
            status: "UPDATE_IN_PROGRESS".into(),
            reason: Some("User Initiated".into()),
            description: p
                .template
                .get("Description")
                .and_then(Value::as_str)
                .map(String::from),
            template_body: p.body,
            template: p.template,
            parameters: p.listed,
            param_values: p.values,
            imports: p.imports,
            tags,
            capabilities: input.capabilities.clone(),
            updated: Some(lamina_core::now_epoch_seconds()),
            previous: Some(Box::new(prev)),
            stack_policy: input
                .stack_policy_body
                .clone()
                .or_else(|| old.stack_policy.clone()),
            ..old.clone()
        }
    }

    pub async fn delete_stack(&self, req: &Req, input: StackRef) -> Result<Value> {
        let name = input.stack_name.unwrap_or_default();
        let Some(loaded) = self.table.find(&req.scope, &name).await? else {
            return Ok(json!({}));
        };
        let mut stack = loaded.record;
        if stack.is_deleted() || stack.status == "DELETE_IN_PROGRESS" {
            return Ok(json!({}));
        }
        if stack.termination_protection {
            return Err(CfnError::Validation(format!(
                "Stack [{}] cannot be deleted while TerminationProtection is enabled",
                stack.name
            )));
        }
        if stack.in_progress() {
            return Err(CfnError::Validation(format!(
                "Stack [{}] cannot be deleted while in status {}",
                stack.name, stack.status
            )));
        }
        for id in &input.retain_resources {
            if let Some(r) = stack.resources.get_mut(id) {
                r.deletion_policy = Some("Retain".into());
            }
        }
        if stack.status == "REVIEW_IN_PROGRESS" {
            stack.status = "DELETE_COMPLETE".into();
            stack.reason = None;
            stack.deleted = Some(lamina_core::now_epoch_seconds());
        } else {
            stack.status = "DELETE_IN_PROGRESS".into();
            stack.reason = Some("User Initiated".into());
        }
        self.begin(req, stack, Some(loaded.raw), Op::Delete).await?;
        Ok(json!({}))
    }

    pub async fn describe_stacks(&self, req: &Req, input: StackRef) -> Result<Value> {
        let stacks: Vec<StackRecord> = match input.stack_name.as_deref() {
            Some(name) => vec![self.stack(req, name).await?.record],
            None => self
                .table
                .stacks(&req.scope)
                .await?
                .into_iter()
                .filter(|s| !s.is_deleted())
                .rev()
                .collect(),
        };
        let items = stacks
            .iter()
            .map(|s| (s.stack_id.clone(), render_stack(s)))
            .collect();
        Ok(paged(
            "Stacks",
            page(items, input.next_token.as_deref(), PAGE)?,
        ))
    }

    pub async fn describe_events(&self, req: &Req, input: StackRef) -> Result<Value> {
        let name = input.stack_name.unwrap_or_default();
        let stack = self.stack(req, &name).await?.record;
        let events = self.table.events(&req.scope, &stack.stack_id).await?;
        let list: Vec<(String, Value)> = events
            .iter()
            .map(|e| {
                let mut o = json!({
                    "StackId": e.stack_id,
                    "EventId": e.event_id,
                    "StackName": e.stack_name,
                    "LogicalResourceId": e.logical_id,
                    "ResourceType": e.resource_type,
                    "Timestamp": e.timestamp,
                    "ResourceStatus": e.status,
                });
                if let Some(p) = &e.physical_id {
                    o["PhysicalResourceId"] = json!(p);
                }
                if let Some(r) = &e.reason {
                    o["ResourceStatusReason"] = json!(r);
                }
                if let Some(p) = &e.properties {
                    o["ResourceProperties"] = json!(p);
                }
                (e.event_id.clone(), o)
            })
            .collect();
        Ok(paged(
            "StackEvents",
            page(list, input.next_token.as_deref(), PAGE)?,
        ))
    }

    pub async fn describe_resource(&self, req: &Req, input: StackRef) -> Result<Value> {
        let name = input.stack_name.unwrap_or_default();
        let stack = self.stack(req, &name).await?.record;
        let id = input.logical_resource_id.unwrap_or_default();
        let r = stack.resources.get(&id).ok_or_else(|| {
            CfnError::Validation(format!("Resource {id} does not exist for stack {name}"))
        })?;
        let mut o = render_resource(&stack, r);
        o["LastUpdatedTimestamp"] = json!(r.updated);
        o.as_object_mut().map(|m| m.remove("Timestamp"));
        if let Some(m) = &r.metadata {
            o["Metadata"] = json!(m.to_string());
        }
        Ok(json!({"StackResourceDetail": o}))
    }

    pub async fn describe_resources(&self, req: &Req, input: StackRef) -> Result<Value> {
        let stack = match (&input.stack_name, &input.physical_resource_id) {
            (Some(name), _) => self.stack(req, name).await?.record,
            (None, Some(pid)) => self
                .table
                .stacks(&req.scope)
                .await?
                .into_iter()
                .find(|s| {
                    !s.is_deleted()
                        && s.resources
                            .values()
                            .any(|r| r.physical_id.as_ref() == Some(pid))
                })
                .ok_or_else(|| CfnError::Validation(format!("Stack for {pid} does not exist")))?,
            (None, None) => {
                return Err(CfnError::Validation(
                    "Either StackName or PhysicalResourceId must be specified.".into(),
                ));
            }
        };
        let list: Vec<Value> = stack
            .resources
            .values()
            .filter(|r| {
                input
                    .logical_resource_id
                    .as_ref()
                    .is_none_or(|l| l == &r.logical_id)
            })
            .map(|r| render_resource(&stack, r))
            .collect();
        Ok(json!({"StackResources": list}))
    }

    pub async fn list_resources(&self, req: &Req, input: StackRef) -> Result<Value> {
        let name = input.stack_name.unwrap_or_default();
        let stack = self.stack(req, &name).await?.record;
        let list: Vec<(String, Value)> = stack
            .resources
            .values()
            .map(|r| {
                let mut o = json!({
                    "LogicalResourceId": r.logical_id,
                    "ResourceType": r.resource_type,
                    "LastUpdatedTimestamp": r.updated,
                    "ResourceStatus": r.status,
                });
                if let Some(p) = &r.physical_id {
                    o["PhysicalResourceId"] = json!(p);
                }
                if let Some(s) = &r.reason {
                    o["ResourceStatusReason"] = json!(s);
                }
                (r.logical_id.clone(), o)
            })
            .collect();
        Ok(paged(
            "StackResourceSummaries",
            page(list, input.next_token.as_deref(), PAGE)?,
        ))
    }

    pub async fn list_stacks(&self, req: &Req, input: StackRef) -> Result<Value> {
        let list: Vec<(String, Value)> = self
            .table
            .stacks(&req.scope)
            .await?
            .iter()
            .rev()
            .filter(|s| {
                input.stack_status_filter.is_empty()
                    || input.stack_status_filter.contains(&s.status)
            })
            .map(|s| {
                let mut o = json!({
                    "StackId": s.stack_id,
                    "StackName": s.name,
                    "CreationTime": s.created,
                    "StackStatus": s.status,
                });
                if let Some(d) = &s.description {
                    o["TemplateDescription"] = json!(d);
                }
                if let Some(u) = s.updated {
                    o["LastUpdatedTime"] = json!(u);
                }
                if let Some(d) = s.deleted {
                    o["DeletionTime"] = json!(d);
                }
                if let Some(r) = &s.reason {
                    o["StackStatusReason"] = json!(r);
                }
                (s.stack_id.clone(), o)
            })
            .collect();
        Ok(paged(
            "StackSummaries",
            page(list, input.next_token.as_deref(), PAGE)?,
        ))
    }
}

fn render_resource(stack: &StackRecord, r: &ResourceRecord) -> Value {
    let mut o = json!({
        "StackName": stack.name,
        "StackId": stack.stack_id,
        "LogicalResourceId": r.logical_id,
        "ResourceType": r.resource_type,
        "Timestamp": r.updated,
        "ResourceStatus": r.status,
    });
    if let Some(p) = &r.physical_id {
        o["PhysicalResourceId"] = json!(p);
    }
    if let Some(s) = &r.reason {
        o["ResourceStatusReason"] = json!(s);
    }
    o
}

pub fn render_stack(s: &StackRecord) -> Value {
    let mut o = json!({
        "StackId": s.stack_id,
        "StackName": s.name,
        "CreationTime": s.created,
        "StackStatus": s.status,
        "DisableRollback": s.disable_rollback,
        "EnableTerminationProtection": s.termination_protection,
        "NotificationARNs": s.notification_arns,
        "Parameters": render_params(&s.parameters),
        "Tags": s.tags,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    });
    if !s.capabilities.is_empty() {
        o["Capabilities"] = json!(s.capabilities);
    }
    if !s.outputs.is_empty() {
        o["Outputs"] = Value::Array(
            s.outputs
                .iter()
                .map(|out| {
                    let mut m = Map::new();
                    m.insert("OutputKey".into(), json!(out.key));
                    m.insert("OutputValue".into(), json!(out.value));
                    if let Some(d) = &out.description {
                        m.insert("Description".into(), json!(d));
                    }
                    if let Some(e) = &out.export_name {
                        m.insert("ExportName".into(), json!(e));
                    }
                    Value::Object(m)
                })
                .collect(),
        );
    }
    if let Some(d) = &s.description {
        o["Description"] = json!(d);
    }
    if let Some(r) = &s.reason {
        o["StackStatusReason"] = json!(r);
    }
    if let Some(u) = s.updated {
        o["LastUpdatedTime"] = json!(u);
    }
    if let Some(d) = s.deleted {
        o["DeletionTime"] = json!(d);
    }
    if let Some(r) = &s.role_arn {
        o["RoleARN"] = json!(r);
    }
    if let Some(c) = &s.change_set_id {
        o["ChangeSetId"] = json!(c);
    }
    o
}
