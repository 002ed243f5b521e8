//! PutTargets, RemoveTargets, ListTargetsByRule.

use super::{bus_name, decode_token, encode_token, update_rule};
use crate::Inner;
use crate::deliver;
use crate::error::{EventsError, Result};
use crate::store::Scope;
use serde::Deserialize;
use serde_json::{Value, json};

/// AWS's quota of targets per rule.
pub const MAX_TARGETS: usize = 5;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutTargetsInput {
    rule: String,
    event_bus_name: Option<String>,
    targets: Vec<Value>,
}

/// Why a target cannot be accepted (a FailedEntries entry), or `None`.
fn check_target(t: &Value) -> Result<Option<(String, String)>> {
    let arn = t["Arn"].as_str().unwrap_or_default();
    let input = t.get("Input").and_then(Value::as_str);
    let path = t.get("InputPath").and_then(Value::as_str);
    let kinds = [
        input.is_some(),
        path.is_some(),
        t.get("InputTransformer").is_some(),
    ];
    if kinds.iter().filter(|x| **x).count() > 1 {
        return Err(EventsError::Validation(
            "Only one of Input, InputPath, or InputTransformer must be provided.".into(),
        ));
    }
    if let Some(i) = input
        && serde_json::from_str::<Value>(i).is_err()
    {
        return Err(EventsError::Validation(format!(
            "Input for target {} is not valid JSON text.",
            t["Id"].as_str().unwrap_or_default()
        )));
    }
    if let Some(p) = path
        && deliver::parse_path(p).is_none()
    {
        return Err(EventsError::Validation(format!(
            "InputPath for target {} is not valid.",
            t["Id"].as_str().unwrap_or_default()
        )));
    }
    if t.get("InputTransformer").is_some() {
        return Ok(Some((
            "ValidationException".into(),
            "InputTransformer is not supported by Lamina.".into(),
        )));
    }
    if deliver::Kind::of(arn).is_none() {
        return Ok(Some((
            "ValidationException".into(),
            format!(
                "Target {arn} is not supported by Lamina (supported: Lambda functions, SQS queues, SNS topics)."
            ),
        )));
    }
    Ok(None)
}

pub async fn put(inner: &Inner, s: &Scope, i: PutTargetsInput) -> Result<Value> {
    let bus = bus_name(i.event_bus_name.as_deref());
    let mut accepted = Vec::new();
    let mut failed = Vec::new();
    for t in &i.targets {
        match check_target(t)? {
            None => accepted.push(t.clone()),
            Some((code, msg)) => failed.push(json!({
                "TargetId": t["Id"], "ErrorCode": code, "ErrorMessage": msg,
            })),
        }
    }
    update_rule(inner, s, &bus, &i.rule, |r| {
        let mut n = r.clone();
        for t in &accepted {
            match n.targets.iter_mut().find(|x| x["Id"] == t["Id"]) {
                Some(x) => *x = t.clone(),
                None => n.targets.push(t.clone()),
            }
        }
        if n.targets.len() > MAX_TARGETS {
            return Err(EventsError::LimitExceeded(format!(
                "The requested resource exceeds the maximum number allowed. Rule {} can have at most {MAX_TARGETS} targets.",
                r.name
            )));
        }
        Ok((Some(n), ()))
    })
    .await?;
    Ok(json!({ "FailedEntryCount": failed.len(), "FailedEntries": failed }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveTargetsInput {
    rule: String,
    event_bus_name: Option<String>,
    ids: Vec<String>,
}

pub async fn remove(inner: &Inner, s: &Scope, i: RemoveTargetsInput) -> Result<Value> {
    let bus = bus_name(i.event_bus_name.as_deref());
    update_rule(inner, s, &bus, &i.rule, |r| {
        let mut n = r.clone();
        n.targets
            .retain(|t| !i.ids.iter().any(|id| t["Id"].as_str() == Some(id)));
        Ok((Some(n), ()))
    })
    .await?;
    Ok(json!({ "FailedEntryCount": 0, "FailedEntries": [] }))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTargetsInput {
    rule: String,
    event_bus_name: Option<String>,
    next_token: Option<String>,
    limit: Option<usize>,
}

pub async fn list(inner: &Inner, s: &Scope, i: ListTargetsInput) -> Result<Value> {
    let bus = bus_name(i.event_bus_name.as_deref());
    let Some(l) = inner.table.rule(s, &bus, &i.rule).await? else {
        return Err(EventsError::rule_not_found(&i.rule, &bus));
    };
    let start = match i.next_token.as_deref() {
        Some(t) => decode_token("targets", t)?
            .parse::<usize>()
            .map_err(|_| EventsError::InvalidNextToken)?,
        None => 0,
    };
    let limit = i.limit.unwrap_or(100).clamp(1, 100);
    let targets = &l.record.targets;
    let page: Vec<&Value> = targets.iter().skip(start).take(limit).collect();
    let mut out = json!({ "Targets": page });
    if start + page.len() < targets.len() {
        out["NextToken"] = json!(encode_token("targets", &(start + page.len()).to_string()));
    }
    Ok(out)
}
