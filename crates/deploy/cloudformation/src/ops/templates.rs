//! GetTemplate, GetTemplateSummary, ValidateTemplate, ListExports.

use super::{Engine, Req, body_of, expand, required_capabilities};
use crate::engine::TransformContext;
use crate::error::{CfnError, Result};
use crate::template::{self, section};
use crate::types::{ChangeSetRef, TemplateRef};
use serde_json::{Value, json};

impl Engine {
    pub async fn get_template(&self, req: &Req, input: TemplateRef) -> Result<Value> {
        let processed_stage = input.template_stage.as_deref() == Some("Processed");
        if let Some(cs) = &input.change_set_name {
            let c = self
                .describe_change_set_record(
                    req,
                    &ChangeSetRef {
                        change_set_name: Some(cs.clone()),
                        stack_name: input.stack_name.clone(),
                        next_token: None,
                    },
                )
                .await?;
            return Ok(json!({"TemplateBody": c, "StagesAvailable": ["Original", "Processed"]}));
        }
        let name = input.stack_name.clone().unwrap_or_default();
        let stack = self.stack(req, &name).await?.record;
        let body = if processed_stage {
            serde_json::to_string_pretty(&stack.template)
                .map_err(|e| CfnError::Internal(e.to_string()))?
        } else {
            stack.template_body.clone()
        };
        Ok(json!({"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}))
    }

    async fn describe_change_set_record(&self, req: &Req, input: &ChangeSetRef) -> Result<String> {
        let v = self.describe_change_set(req, input.clone()).await?;
        let id = v["ChangeSetId"].as_str().unwrap_or_default().to_string();
        let c = self
            .table
            .change_set_by_id(&req.scope, &id)
            .await?
            .ok_or(CfnError::ChangeSetNotFound(id))?;
        Ok(c.template_body)
    }

    pub async fn get_template_summary(&self, req: &Req, input: TemplateRef) -> Result<Value> {
        let body = match (&input.stack_name, &input.template_body, &input.template_url) {
            (Some(name), None, None) => self.stack(req, name).await?.record.template_body,
            _ => body_of(
                input.template_body.as_deref(),
                input.template_url.as_deref(),
            )?,
        };
        let raw = template::parse(&body)?;
        let processed = expand(
            raw.clone(),
            &TransformContext {
                account_id: req.scope.account.clone(),
                region: req.scope.region.clone(),
                stack_name: input.stack_name.clone().unwrap_or_default(),
                parameters: Default::default(),
                code_root: self.code_root.clone(),
            },
        )
        .unwrap_or_else(|_| raw.clone());
        let mut types: Vec<String> = section(&processed, "Resources")
            .values()
            .filter_map(|r| r["Type"].as_str().map(String::from))
            .collect();
        types.sort();
        types.dedup();
        let (caps, reason) = required_capabilities(&raw, &processed);
        let mut o = json!({
            "Parameters": summary_params(&raw),
            "ResourceTypes": types,
            "Version": raw.get("AWSTemplateFormatVersion").and_then(Value::as_str).unwrap_or("2010-09-09"),
            "DeclaredTransforms": template::transforms(&raw),
            "ResourceIdentifierSummaries": [],
        });
        if !caps.is_empty() {
            o["Capabilities"] = json!(caps);
        }
        if let Some(r) = reason {
            o["CapabilitiesReason"] = json!(r);
        }
        if let Some(d) = raw.get("Description").and_then(Value::as_str) {
            o["Description"] = json!(d);
        }
        if let Some(m) = raw.get("Metadata") {
            o["Metadata"] = json!(m.to_string());
        }
        Ok(o)
    }

    pub async fn validate_template(&self, req: &Req, input: TemplateRef) -> Result<Value> {
        let body = body_of(
            input.template_body.as_deref(),
            input.template_url.as_deref(),
        )?;
        let raw = template::parse(&body)?;
        // Transforms run at stack time; validate plain templates fully.
        if template::transforms(&raw).is_empty() {
            template::check(&raw)?;
        }
        let _ = req;
        let (caps, reason) = required_capabilities(&raw, &raw);
        let params: Vec<Value> = section(&raw, "Parameters")
            .iter()
            .map(|(k, d)| {
                let mut p = json!({
                    "ParameterKey": k,
                    "NoEcho": no_echo(d),
                });
                if let Some(v) = d.get("Default").and_then(template::eval::scalar) {
                    p["DefaultValue"] = json!(v);
                }
                if let Some(v) = d.get("Description").and_then(Value::as_str) {
                    p["Description"] = json!(v);
                }
                p
            })
            .collect();
        let mut o = json!({
            "Parameters": params,
            "DeclaredTransforms": template::transforms(&raw),
        });
        if !caps.is_empty() {
            o["Capabilities"] = json!(caps);
        }
        if let Some(r) = reason {
            o["CapabilitiesReason"] = json!(r);
        }
        if let Some(d) = raw.get("Description").and_then(Value::as_str) {
            o["Description"] = json!(d);
        }
        Ok(o)
    }

    pub async fn list_exports(&self, req: &Req, next_token: Option<&str>) -> Result<Value> {
        let list: Vec<(String, Value)> = self
            .table
            .exports(&req.scope)
            .await?
            .iter()
            .map(|e| {
                let o = json!({"ExportingStackId": e.stack_id, "Name": e.name, "Value": e.value});
                (e.name.clone(), o)
            })
            .collect();
        Ok(super::paged(
            "Exports",
            super::page(list, next_token, super::PAGE)?,
        ))
    }

    pub async fn list_imports(&self, req: &Req, export_name: &str) -> Result<Value> {
        let stacks = self.table.stacks(&req.scope).await?;
        let users: Vec<String> = stacks
            .iter()
            .filter(|s| !s.is_deleted() && s.imports.iter().any(|i| i == export_name))
            .map(|s| s.name.clone())
            .collect();
        if users.is_empty() {
            return Err(CfnError::Validation(format!(
                "Export '{export_name}' is not imported by any stack."
            )));
        }
        Ok(json!({"Imports": users}))
    }
}

fn no_echo(d: &Value) -> bool {
    d.get("NoEcho")
        .and_then(template::eval::scalar)
        .is_some_and(|s| s.eq_ignore_ascii_case("true"))
}

fn summary_params(raw: &Value) -> Vec<Value> {
    section(raw, "Parameters")
        .iter()
        .map(|(k, d)| {
            let mut p = json!({
                "ParameterKey": k,
                "ParameterType": d.get("Type").and_then(Value::as_str).unwrap_or("String"),
                "NoEcho": no_echo(d),
                "ParameterConstraints": {},
            });
            if let Some(v) = d.get("Default").and_then(template::eval::scalar) {
                p["DefaultValue"] = json!(v);
            }
            if let Some(v) = d.get("Description").and_then(Value::as_str) {
                p["Description"] = json!(v);
            }
            if let Some(Value::Array(a)) = d.get("AllowedValues") {
                let vals: Vec<String> = a.iter().filter_map(template::eval::scalar).collect();
                p["ParameterConstraints"] = json!({"AllowedValues": vals});
            }
            p
        })
        .collect()
}
