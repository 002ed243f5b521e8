//! PutRule, DescribeRule, ListRules, DeleteRule, EnableRule, DisableRule.

use super::{bus_name, decode_token, encode_token, require_bus, update_rule};
use crate::Inner;
use crate::error::{EventsError, Result};
use crate::store::{self, DEFAULT_BUS, RuleRecord, Scope, Tag};
use crate::{pattern, schedule};
use lamina_storage::{StoreError, WriteBatch};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRuleInput {
    name: String,
    schedule_expression: Option<String>,
    event_pattern: Option<String>,
    state: Option<String>,
    description: Option<String>,
    role_arn: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
    event_bus_name: Option<String>,
}

/// The wire's `Rule` shape.
pub fn rule_json(s: &Scope, r: &RuleRecord) -> Value {
    let mut v = json!({
        "Name": r.name,
        "Arn": s.rule_arn(&r.bus, &r.name),
        "State": r.state,
        "EventBusName": r.bus,
    });
    for (k, x) in [
        ("EventPattern", &r.event_pattern),
        ("ScheduleExpression", &r.schedule),
        ("Description", &r.description),
        ("RoleArn", &r.role_arn),
    ] {
        if let Some(x) = x {
            v[k] = json!(x);
        }
    }
    v
}

pub async fn put(inner: &Inner, s: &Scope, i: PutRuleInput) -> Result<Value> {
    let bus = bus_name(i.event_bus_name.as_deref());
    let schedule = i.schedule_expression.filter(|x| !x.is_empty());
    let pattern_text = i.event_pattern.filter(|x| !x.is_empty());
    if schedule.is_none() && pattern_text.is_none() {
        return Err(EventsError::Validation(
            "Parameter(s) EventPattern or ScheduleExpression must be specified.".into(),
        ));
    }
    if let Some(e) = &schedule {
        if bus != DEFAULT_BUS {
            return Err(EventsError::Validation(
                "ScheduleExpression is supported only on the default event bus.".into(),
            ));
        }
        if schedule::parse(e).is_none() {
            return Err(EventsError::Validation(schedule::INVALID.into()));
        }
    }
    if let Some(p) = &pattern_text {
        pattern::parse(p).map_err(EventsError::InvalidPattern)?;
    }
    require_bus(inner, s, &bus).await?;
    let now = lamina_core::now_epoch_seconds();
    let state = i.state.unwrap_or_else(|| "ENABLED".into());
    for _ in 0..64 {
        let existing = inner.table.rule(s, &bus, &i.name).await?;
        let k = store::rule_key(s, &bus, &i.name);
        let mut b = WriteBatch::new();
        let record = match &existing {
            Some(l) => {
                b.require_equals(store::RULES, k.clone(), l.raw.clone());
                let old = &l.record;
                RuleRecord {
                    schedule_since: if old.schedule == schedule {
                        old.schedule_since
                    } else {
                        now as i64
                    },
                    event_pattern: pattern_text.clone(),
                    schedule: schedule.clone(),
                    state: state.clone(),
                    description: i.description.clone(),
                    role_arn: i.role_arn.clone(),
                    ..old.clone()
                }
            }
            None => {
                b.require_absent(store::RULES, k.clone());
                RuleRecord {
                    v: store::FORMAT,
                    account: s.account.clone(),
                    region: s.region.clone(),
                    bus: bus.clone(),
                    name: i.name.clone(),
                    event_pattern: pattern_text.clone(),
                    schedule: schedule.clone(),
                    schedule_since: now as i64,
                    state: state.clone(),
                    description: i.description.clone(),
                    role_arn: i.role_arn.clone(),
                    targets: Vec::new(),
                    tags: {
                        let mut t = Vec::new();
                        store::merge_tags(&mut t, &i.tags);
                        t
                    },
                    created: now,
                }
            }
        };
        b.put(store::RULES, k, store::encode(&record)?);
        match inner.table.commit(b).await {
            Ok(()) => return Ok(json!({ "RuleArn": s.rule_arn(&bus, &i.name) })),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(EventsError::Concurrent)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameInput {
    name: String,
    event_bus_name: Option<String>,
    #[serde(default)]
    force: bool,
}

pub async fn describe(inner: &Inner, s: &Scope, i: NameInput) -> Result<Value> {
    let bus = bus_name(i.event_bus_name.as_deref());
    let Some(l) = inner.table.rule(s, &bus, &i.name).await? else {
        return Err(EventsError::rule_not_found(&i.name, &bus));
    };
    let mut v = rule_json(s, &l.record);
    v["CreatedBy"] = json!(s.account);
    Ok(v)
}

pub async fn delete(inner: &Inner, s: &Scope, i: NameInput) -> Result<()> {
    let bus = bus_name(i.event_bus_name.as_deref());
    let _ = i.force; // only meaningful for managed rules, which Lamina has none of
    // Deleting a rule that does not exist succeeds, as on AWS.
    if inner.table.rule(s, &bus, &i.name).await?.is_none() {
        return Ok(());
    }
    let r = update_rule(inner, s, &bus, &i.name, |r| {
        if !r.targets.is_empty() {
            return Err(EventsError::Validation(
                "Rule can't be deleted since it has targets.".into(),
            ));
        }
        Ok((None, ()))
    })
    .await;
    match r {
        Err(EventsError::NotFound(_)) => Ok(()),
        other => other,
    }
}

pub async fn set_state(inner: &Inner, s: &Scope, i: NameInput, enabled: bool) -> Result<()> {
    let bus = bus_name(i.event_bus_name.as_deref());
    let now = lamina_core::now_epoch_seconds() as i64;
    update_rule(inner, s, &bus, &i.name, |r| {
        let mut n = r.clone();
        if enabled && !r.enabled() {
            // A re-enabled rate counts from now.
            n.schedule_since = now;
        }
        n.state = if enabled { "ENABLED" } else { "DISABLED" }.into();
        Ok((Some(n), ()))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListInput {
    name_prefix: Option<String>,
    event_bus_name: Option<String>,
    next_token: Option<String>,
    limit: Option<usize>,
}

pub async fn list(inner: &Inner, s: &Scope, i: ListInput) -> Result<Value> {
    let bus = bus_name(i.event_bus_name.as_deref());
    require_bus(inner, s, &bus).await?;
    let after = i
        .next_token
        .as_deref()
        .map(|t| decode_token("rules", t))
        .transpose()?;
    let limit = i.limit.unwrap_or(100).clamp(1, 100);
    let prefix = i.name_prefix.unwrap_or_default();
    let mut rules = inner
        .table
        .rules(s, &bus, &prefix, after.as_deref(), limit + 1)
        .await?;
    let more = rules.len() > limit;
    rules.truncate(limit);
    let mut out = json!({ "Rules": rules.iter().map(|r| rule_json(s, r)).collect::<Vec<_>>() });
    if more && let Some(last) = rules.last() {
        out["NextToken"] = json!(encode_token("rules", &last.name));
    }
    Ok(out)
}
