//! AddPermission, RemovePermission, GetPolicy: the function's resource-based policy, one per
//! qualifier, rendered as AWS renders it (`Version` 2012-10-17, `Id` default, statements with
//! `Principal`, `Resource` and `Condition` in AWS's shapes).
//!
//! Known difference from AWS: the policy is recorded, not yet enforced on invocations.

use super::{Cx, check_revision, input, json, parse_ref, resolve};
use crate::error::{LambdaError, Result};
use crate::model::{self, PolicyRecord};
use crate::store;
use lamina_core::{Input, Output, new_request_id};
use lamina_model::generated::lambda_::op;
use lamina_storage::{StoreError, WriteBatch};
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub(crate) const OPS: &[&str] = &[op::ADD_PERMISSION, op::REMOVE_PERMISSION, op::GET_POLICY];

pub(crate) async fn call(cx: &Cx<'_>, op: &str, i: Input) -> Result<Output> {
    match op {
        op::ADD_PERMISSION => add(cx, input(i.value)?).await,
        op::REMOVE_PERMISSION => remove(cx, input(i.value)?).await,
        op::GET_POLICY => get(cx, input(i.value)?).await,
        _ => Err(LambdaError::Internal(format!(
            "{op} is not a policy operation"
        ))),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AddPermissionRequest {
    pub function_name: String,
    pub statement_id: String,
    pub action: String,
    pub principal: String,
    pub source_arn: Option<String>,
    pub source_account: Option<String>,
    pub event_source_token: Option<String>,
    pub qualifier: Option<String>,
    pub revision_id: Option<String>,
    #[serde(rename = "PrincipalOrgID")]
    pub principal_org_id: Option<String>,
    pub function_url_auth_type: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RemovePermissionRequest {
    pub function_name: String,
    pub statement_id: String,
    pub qualifier: Option<String>,
    pub revision_id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetPolicyRequest {
    pub function_name: String,
    pub qualifier: Option<String>,
}

/// `Principal` as AWS renders it.
fn principal(p: &str) -> Value {
    if p == "*" {
        json!("*")
    } else if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        json!({ "AWS": format!("arn:aws:iam::{p}:root") })
    } else if p.starts_with("arn:") {
        json!({ "AWS": p })
    } else {
        json!({ "Service": p })
    }
}

fn statement(r: &AddPermissionRequest, resource: &str) -> Value {
    let mut condition: Map<String, Value> = Map::new();
    let mut string_equals = Map::new();
    if let Some(a) = &r.source_account {
        string_equals.insert("AWS:SourceAccount".into(), json!(a));
    }
    if let Some(o) = &r.principal_org_id {
        string_equals.insert("aws:PrincipalOrgID".into(), json!(o));
    }
    if let Some(t) = &r.event_source_token {
        string_equals.insert("lambda:EventSourceToken".into(), json!(t));
    }
    if let Some(t) = &r.function_url_auth_type {
        string_equals.insert("lambda:FunctionUrlAuthType".into(), json!(t));
    }
    if !string_equals.is_empty() {
        condition.insert("StringEquals".into(), Value::Object(string_equals));
    }
    if let Some(s) = &r.source_arn {
        condition.insert("ArnLike".into(), json!({ "AWS:SourceArn": s }));
    }
    let mut st = json!({
        "Sid": r.statement_id,
        "Effect": "Allow",
        "Principal": principal(&r.principal),
        "Action": r.action,
        "Resource": resource,
    });
    if !condition.is_empty() {
        st["Condition"] = Value::Object(condition);
    }
    st
}

fn no_policy() -> LambdaError {
    LambdaError::NotFound("The resource you requested does not exist.".into())
}

async fn add(cx: &Cx<'_>, r: AddPermissionRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, r.qualifier.as_deref())?;
    resolve(cx, &fref.name, fref.qualifier.as_deref()).await?;
    let qualifier = fref.qualifier.clone().unwrap_or_default();
    let mut resource = cx.scope.function_arn(&fref.name);
    if !qualifier.is_empty() {
        resource = format!("{resource}:{qualifier}");
    }
    let st = statement(&r, &resource);
    let key = store::policy_key(&cx.scope, &fref.name, &qualifier);
    for _ in 0..64 {
        let loaded = store::policy(cx.store(), &cx.scope, &fref.name, &qualifier).await?;
        let (mut policy, raw) = match loaded {
            Some(l) => (l.record, Some(l.raw)),
            None => (
                PolicyRecord {
                    v: model::FORMAT,
                    statements: Vec::new(),
                    revision_id: String::new(),
                },
                None,
            ),
        };
        if raw.is_some() {
            check_revision(r.revision_id.as_deref(), &policy.revision_id)?;
        }
        if policy
            .statements
            .iter()
            .any(|s| s["Sid"] == json!(r.statement_id))
        {
            return Err(LambdaError::Conflict(format!(
                "The statement id ({}) provided already exists. Please provide a new statement id, or remove the \
                 existing statement.",
                r.statement_id
            )));
        }
        policy.statements.push(st.clone());
        policy.revision_id = new_request_id();
        let mut batch = WriteBatch::new();
        batch.require(store::POLICY, key.clone(), raw);
        batch.put(store::POLICY, key.clone(), store::encode(&policy)?);
        match cx.store().commit(batch).await {
            Ok(()) => return json(json!({ "Statement": st.to_string() })),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(LambdaError::Conflict(
        "The operation cannot be performed at this time. Please try again.".into(),
    ))
}

async fn remove(cx: &Cx<'_>, r: RemovePermissionRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, r.qualifier.as_deref())?;
    resolve(cx, &fref.name, fref.qualifier.as_deref()).await?;
    let qualifier = fref.qualifier.clone().unwrap_or_default();
    let key = store::policy_key(&cx.scope, &fref.name, &qualifier);
    let missing = || {
        LambdaError::NotFound(format!(
            "Statement {} is not found in resource policy.",
            r.statement_id
        ))
    };
    for _ in 0..64 {
        let loaded = store::policy(cx.store(), &cx.scope, &fref.name, &qualifier)
            .await?
            .ok_or_else(missing)?;
        let mut policy = loaded.record;
        check_revision(r.revision_id.as_deref(), &policy.revision_id)?;
        let before = policy.statements.len();
        policy
            .statements
            .retain(|s| s["Sid"] != json!(r.statement_id));
        if policy.statements.len() == before {
            return Err(missing());
        }
        let mut batch = WriteBatch::new();
        batch.require_equals(store::POLICY, key.clone(), loaded.raw);
        if policy.statements.is_empty() {
            batch.delete(store::POLICY, key.clone());
        } else {
            policy.revision_id = new_request_id();
            batch.put(store::POLICY, key.clone(), store::encode(&policy)?);
        }
        match cx.store().commit(batch).await {
            Ok(()) => return json(json!({})),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(LambdaError::Conflict(
        "The operation cannot be performed at this time. Please try again.".into(),
    ))
}

async fn get(cx: &Cx<'_>, r: GetPolicyRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, r.qualifier.as_deref())?;
    resolve(cx, &fref.name, fref.qualifier.as_deref()).await?;
    let qualifier = fref.qualifier.clone().unwrap_or_default();
    let policy = store::policy(cx.store(), &cx.scope, &fref.name, &qualifier)
        .await?
        .ok_or_else(no_policy)?
        .record;
    let doc = json!({ "Version": "2012-10-17", "Id": "default", "Statement": policy.statements });
    json(json!({ "Policy": doc.to_string(), "RevisionId": policy.revision_id }))
}
