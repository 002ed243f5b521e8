//! `AWS::Events::Rule`: PutRule and PutTargets on EventBridge. Ref is the rule name
//! (`bus|name` on a custom bus, as on AWS); GetAtt `Arn`.

use super::{Providers, changed, created, gone, prop_str, scalar_text};
use crate::engine::{Created, ProviderError, ResourceContext};
use crate::provider;
use serde_json::{Value, json};

provider!(Rule, rule);

pub fn register(p: &mut Providers) {
    p.insert("AWS::Events::Rule", Box::new(Rule));
}

mod rule {
    use super::*;

    /// The bus and rule name of a physical id (`name` or `bus|name`).
    fn split(id: &str) -> (Option<&str>, &str) {
        match id.split_once('|') {
            Some((bus, name)) => (Some(bus), name),
            None => (None, id),
        }
    }

    fn bus(props: &Value) -> Option<String> {
        prop_str(props, "EventBusName").filter(|b| b != "default" && !b.ends_with("/default"))
    }

    /// Targets as PutTargets takes them: `Input` as text, objects kept for the rest.
    fn targets(props: &Value) -> Vec<Value> {
        props["Targets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                let mut t = t.clone();
                if let Some(i) = t.get("Input").filter(|i| !i.is_string()).cloned() {
                    t["Input"] = json!(i.to_string());
                }
                for k in ["Id", "Arn"] {
                    if let Some(v) = t.get(k).cloned() {
                        t[k] = json!(scalar_text(&v));
                    }
                }
                t
            })
            .collect()
    }

    async fn put(
        ctx: &ResourceContext,
        name: &str,
        props: &Value,
        old_targets: &[Value],
    ) -> Result<Value, ProviderError> {
        let mut i = json!({ "Name": name });
        if let Some(b) = bus(props) {
            i["EventBusName"] = json!(b);
        }
        if let Some(p) = props.get("EventPattern").filter(|v| !v.is_null()) {
            i["EventPattern"] = json!(match p {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        }
        for k in ["ScheduleExpression", "State", "Description", "RoleArn"] {
            if let Some(v) = prop_str(props, k) {
                i[k] = json!(v);
            }
        }
        let out = ctx.call("events", "PutRule", i.clone()).await?;
        let new_targets = targets(props);
        let stale: Vec<Value> = old_targets
            .iter()
            .filter(|o| !new_targets.iter().any(|n| n["Id"] == o["Id"]))
            .map(|o| o["Id"].clone())
            .collect();
        let mut scope = json!({ "Rule": name });
        if let Some(b) = bus(props) {
            scope["EventBusName"] = json!(b);
        }
        if !stale.is_empty() {
            let mut r = scope.clone();
            r["Ids"] = json!(stale);
            ctx.call("events", "RemoveTargets", r).await?;
        }
        if !new_targets.is_empty() {
            let mut r = scope.clone();
            r["Targets"] = json!(new_targets);
            let res = ctx.call("events", "PutTargets", r).await?;
            if let Some(f) = res["FailedEntries"].as_array().and_then(|a| a.first()) {
                return Err(ProviderError::new(format!(
                    "Target {} could not be added: {}",
                    scalar_text(&f["TargetId"]),
                    scalar_text(&f["ErrorMessage"])
                )));
            }
        }
        Ok(json!({ "Arn": out["RuleArn"] }))
    }

    fn physical_id(props: &Value, name: &str) -> String {
        match bus(props) {
            Some(b) => format!("{b}|{name}"),
            None => name.to_string(),
        }
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let name = prop_str(props, "Name").unwrap_or_else(|| ctx.generated_name(64));
        let attrs = put(ctx, &name, props, &[]).await?;
        Ok(created(physical_id(props, &name), attrs))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        let (_, name) = split(id);
        let attrs = put(ctx, name, new, &targets(old)).await?;
        Ok(created(id, attrs))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        let (bus, name) = split(id);
        let mut scope = json!({ "Rule": name });
        if let Some(b) = bus {
            scope["EventBusName"] = json!(b);
        }
        let listed = match ctx.call("events", "ListTargetsByRule", scope.clone()).await {
            Ok(v) => v,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        let ids: Vec<Value> = listed["Targets"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| t["Id"].clone())
            .collect();
        if !ids.is_empty() {
            let mut r = scope.clone();
            r["Ids"] = json!(ids);
            gone(ctx.call("events", "RemoveTargets", r).await)?;
        }
        let mut d = json!({ "Name": name });
        if let Some(b) = bus {
            d["EventBusName"] = json!(b);
        }
        gone(ctx.call("events", "DeleteRule", d).await)
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["Name", "EventBusName"])
    }
}
