//! The API operations, by family: `stacks` (create, update, delete, describe, list),
//! `changesets`, `templates` (GetTemplate, GetTemplateSummary, ValidateTemplate, exports).
//! This module holds what they share: preparing a template for a stack (parse, transform,
//! validate, parameters, capabilities) and rendering records.

pub mod changesets;
pub mod lifecycle;
pub mod stacks;
pub mod templates;

use crate::engine::TransformContext;
use crate::engine::run::Runner;
use crate::error::{CfnError, Result};
use crate::store::{Scope, StackRecord, Table};
use crate::template::params::{self, Given, Listed};
use crate::template::{self, eval, section};
use lamina_bus::CallContext;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The service's state.
pub struct Engine {
    pub table: Table,
    pub runner: Arc<Runner>,
    /// Where the SAM transform reads relative local `CodeUri`s (None: it refuses them).
    pub code_root: Option<std::path::PathBuf>,
}

/// Where a request runs.
pub struct Req {
    pub scope: Scope,
    pub endpoint: String,
}

/// A template ready for a stack.
pub struct Prepared {
    pub body: String,
    pub template: Value,
    pub listed: Vec<Listed>,
    pub values: Map<String, Value>,
    pub imports: Vec<String>,
}

/// The template body of a request, or AWS's error for what is missing.
pub fn body_of(body: Option<&str>, url: Option<&str>) -> Result<String> {
    match (body, url) {
        (Some(b), None) => Ok(b.to_string()),
        (None, Some(_)) => Err(CfnError::Validation(
            "TemplateURL is not supported by Lamina yet (there is no S3): pass the template as TemplateBody".into(),
        )),
        (Some(_), Some(_)) => Err(CfnError::Validation(
            "Specify exactly one of TemplateBody or TemplateUrl.".into(),
        )),
        (None, None) => Err(CfnError::Validation(
            "Either Template URL or Template Body must be specified.".into(),
        )),
    }
}

pub fn stack_id(scope: &Scope, name: &str) -> String {
    lamina_core::arn(
        "cloudformation",
        &scope.region,
        &scope.account,
        &format!("stack/{name}/{}", crate::engine::run::uuid()),
    )
}

pub fn check_stack_name(name: &str) -> Result<()> {
    let ok = name.len() <= 128
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(CfnError::Validation(format!(
            "1 validation error detected: Value '{name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*"
        )))
    }
}

/// IAM resource types and the property that names each (naming needs CAPABILITY_NAMED_IAM).
const IAM_TYPES: &[(&str, &str)] = &[
    ("AWS::IAM::Role", "RoleName"),
    ("AWS::IAM::Policy", ""),
    ("AWS::IAM::ManagedPolicy", "ManagedPolicyName"),
    ("AWS::IAM::User", "UserName"),
    ("AWS::IAM::Group", "GroupName"),
    ("AWS::IAM::AccessKey", ""),
    ("AWS::IAM::InstanceProfile", "InstanceProfileName"),
    ("AWS::IAM::UserToGroupAddition", ""),
];

/// The capabilities a processed template needs, with the reason.
pub fn required_capabilities(raw: &Value, processed: &Value) -> (Vec<String>, Option<String>) {
    let mut caps = Vec::new();
    let mut reason = None;
    let mut named = false;
    let mut iam = Vec::new();
    for (id, r) in section(processed, "Resources") {
        let ty = r["Type"].as_str().unwrap_or_default();
        if let Some((_, name_prop)) = IAM_TYPES.iter().find(|(t, _)| *t == ty) {
            iam.push(id.clone());
            if !name_prop.is_empty()
                && r.get("Properties")
                    .and_then(|p| p.get(*name_prop))
                    .is_some()
            {
                named = true;
            }
        }
    }
    if !iam.is_empty() {
        caps.push(
            if named {
                "CAPABILITY_NAMED_IAM"
            } else {
                "CAPABILITY_IAM"
            }
            .to_string(),
        );
        reason = Some(format!(
            "The following resource(s) require capabilities: [{}]",
            iam.iter()
                .map(|id| section(processed, "Resources")[id]["Type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !template::transforms(raw).is_empty() {
        caps.push("CAPABILITY_AUTO_EXPAND".to_string());
    }
    (caps, reason)
}

/// Checks `given` against what the template needs (`auto_expand` false for change sets,
/// which expand transforms without the capability).
pub fn check_capabilities(needed: &[String], given: &[String], auto_expand: bool) -> Result<()> {
    for cap in needed {
        let ok = match cap.as_str() {
            "CAPABILITY_IAM" => given
                .iter()
                .any(|g| g == "CAPABILITY_IAM" || g == "CAPABILITY_NAMED_IAM"),
            "CAPABILITY_AUTO_EXPAND" => !auto_expand || given.iter().any(|g| g == cap),
            _ => given.iter().any(|g| g == cap),
        };
        if !ok {
            return Err(CfnError::InsufficientCapabilities(cap.clone()));
        }
    }
    Ok(())
}

/// Expands the template's transforms.
pub fn expand(raw: Value, ctx: &TransformContext) -> Result<Value> {
    let mut t = raw;
    for name in template::transforms(&t) {
        if name != crate::engine::SERVERLESS_TRANSFORM {
            return Err(CfnError::Validation(format!(
                "Template format error: Unsupported transform {name}"
            )));
        }
        t = crate::engine::expand_serverless(t, ctx)
            .map_err(|m| CfnError::Transform(format!("Transform {name} failed with: {m}")))?;
    }
    Ok(t)
}

impl Engine {
    /// Parses, expands and validates a template and resolves its parameters (Parameter
    /// Store types through the caller).
    // The request's pieces, each used once; a struct for them would only rename them.
    #[allow(clippy::too_many_arguments)]
    pub async fn prepare(
        &self,
        req: &Req,
        stack_name: &str,
        body: String,
        given: &[Given],
        previous: &[Listed],
        capabilities: &[String],
        auto_expand: bool,
    ) -> Result<Prepared> {
        let raw = template::parse(&body)?;
        // Parameters first: the transform may need their values.
        let mut resolved = params::resolve(section(&raw, "Parameters"), given, previous)?;
        for lookup in resolved.ssm.clone() {
            let out = self
                .runner
                .caller
                .call(
                    &CallContext {
                        account_id: req.scope.account.clone(),
                        region: req.scope.region.clone(),
                        endpoint: req.endpoint.clone(),
                    },
                    "ssm",
                    "GetParameter",
                    json!({"Name": lookup.name}),
                )
                .await
                .map_err(|_| {
                    CfnError::Validation(format!(
                        "Parameters: [ssm:{}] cannot be found.",
                        lookup.name
                    ))
                })?;
            let v = out["Parameter"]["Value"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            resolved.set_ssm(&lookup, &v);
        }
        let ctx = TransformContext {
            account_id: req.scope.account.clone(),
            region: req.scope.region.clone(),
            stack_name: stack_name.to_string(),
            parameters: resolved.values.clone(),
            code_root: self.code_root.clone(),
        };
        let processed = expand(raw.clone(), &ctx)?;
        template::check(&processed)?;
        let (needed, _) = required_capabilities(&raw, &processed);
        check_capabilities(&needed, capabilities, auto_expand)?;
        // Conditions must evaluate.
        let pseudo = eval::Pseudo {
            account_id: req.scope.account.clone(),
            region: req.scope.region.clone(),
            stack_name: stack_name.to_string(),
            ..Default::default()
        };
        eval::conditions(
            &pseudo,
            &resolved.values,
            section(&processed, "Mappings"),
            section(&processed, "Conditions"),
        )?;
        let imports = imports_of(&processed);
        Ok(Prepared {
            body,
            template: processed,
            listed: resolved.listed,
            values: resolved.values,
            imports,
        })
    }

    /// A stack by name or id, or AWS's error.
    pub async fn stack(&self, req: &Req, name: &str) -> Result<crate::store::Loaded<StackRecord>> {
        self.table
            .find(&req.scope, name)
            .await?
            .ok_or_else(|| CfnError::no_stack(name))
    }
}

/// Export names the template imports with literal names.
fn imports_of(t: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>, depth: usize) {
        if depth > 128 {
            return;
        }
        match v {
            Value::Object(m) => {
                if let Some(Value::String(n)) = m.get("Fn::ImportValue") {
                    out.push(n.clone());
                }
                m.values().for_each(|x| walk(x, out, depth + 1));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out, depth + 1)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(t, &mut out, 0);
    out.sort();
    out.dedup();
    out
}

/// Items per page of DescribeStacks, ListStacks, DescribeStackEvents, ListStackResources,
/// ListChangeSets and ListExports. The API reference only promises pages of up to 1 MB; AWS
/// answers these with 100 items a page.
pub const PAGE: usize = 100;

/// One page of `items` (each with a key unique in the list) from `token` on, and the token
/// of the next page. A token names the first item of its page (and its position, used
/// when that item has gone), so items added before it do not shift the pages that follow.
pub fn page(
    items: Vec<(String, Value)>,
    token: Option<&str>,
    size: usize,
) -> Result<(Vec<Value>, Option<String>)> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let start = match token {
        None => 0,
        Some(t) => {
            let bad = || CfnError::Validation(format!("Invalid NextToken: {t}"));
            let raw = b64.decode(t).map_err(|_| bad())?;
            let text = String::from_utf8(raw).map_err(|_| bad())?;
            let (pos, key) = text.split_once('\n').ok_or_else(bad)?;
            let pos: usize = pos.parse().map_err(|_| bad())?;
            items
                .iter()
                .position(|(k, _)| k == key)
                .unwrap_or(pos.min(items.len()))
        }
    };
    let end = (start + size.max(1)).min(items.len());
    let next = items
        .get(end)
        .map(|(k, _)| b64.encode(format!("{end}\n{k}")));
    let out = items
        .into_iter()
        .skip(start)
        .take(end - start)
        .map(|(_, v)| v)
        .collect();
    Ok((out, next))
}

/// `{list_key: items, "NextToken": next}` (the token only when there is a next page).
pub fn paged(list_key: &str, (items, next): (Vec<Value>, Option<String>)) -> Value {
    let mut o = json!({ list_key: items });
    if let Some(t) = next {
        o["NextToken"] = json!(t);
    }
    o
}

/// Parameters as DescribeStacks lists them (NoEcho values masked).
pub fn render_params(listed: &[Listed]) -> Value {
    Value::Array(
        listed
            .iter()
            .map(|p| {
                let mut o = json!({
                    "ParameterKey": p.key,
                    "ParameterValue": if p.no_echo { "****".to_string() } else { p.value.clone() },
                });
                if let Some(r) = &p.resolved {
                    o["ResolvedValue"] = json!(if p.no_echo { "****" } else { r });
                }
                o
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(keys: &[&str]) -> Vec<(String, Value)> {
        keys.iter().map(|k| (k.to_string(), json!(k))).collect()
    }

    #[test]
    fn pages_follow_their_tokens() {
        let all = ["a", "b", "c", "d", "e"];
        let (p1, t1) = page(items(&all), None, 2).unwrap();
        assert_eq!(p1, [json!("a"), json!("b")]);
        let (p2, t2) = page(items(&all), t1.as_deref(), 2).unwrap();
        assert_eq!(p2, [json!("c"), json!("d")]);
        // An item added in front does not shift the next page.
        let (p3, t3) = page(items(&["z", "a", "b", "c", "d", "e"]), t2.as_deref(), 2).unwrap();
        assert_eq!((p3, t3), (vec![json!("e")], None));
        // The first item of a page gone: its position is used.
        let (p, _) = page(items(&["a", "b", "d", "e"]), t1.as_deref(), 2).unwrap();
        assert_eq!(p, [json!("d"), json!("e")]);
        let (p, t) = page(items(&all), None, 100).unwrap();
        assert_eq!((p.len(), t), (5, None));
        for bad in ["!!", "bm90LWEtdG9rZW4", ""] {
            let e = page(items(&all), Some(bad), 2).unwrap_err();
            assert!(matches!(e, CfnError::Validation(_)), "{bad}");
        }
    }
}
