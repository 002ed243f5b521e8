//! PutEvents: each entry becomes an event on its bus, is matched against the bus's enabled
//! pattern rules and delivered to their targets before the call returns.

use super::bus_name;
use crate::Inner;
use crate::deliver::{self, iso};
use crate::error::Result;
use crate::pattern;
use crate::store::{DEFAULT_BUS, RuleRecord, Scope};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutEventsInput {
    entries: Vec<Value>,
}

fn invalid(member: &str) -> Value {
    json!({
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": format!("Parameter {member} is not valid. Reason: {member} is a required argument."),
    })
}

/// The event for one entry, or the entry's error.
fn build(s: &Scope, e: &Value, now: i64) -> std::result::Result<Value, Value> {
    let field = |k: &str| e.get(k).and_then(Value::as_str).filter(|x| !x.is_empty());
    let source = field("Source").ok_or_else(|| invalid("Source"))?;
    let detail_type = field("DetailType").ok_or_else(|| invalid("DetailType"))?;
    let detail_text = field("Detail").ok_or_else(|| invalid("Detail"))?;
    let detail: Value = match serde_json::from_str(detail_text) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Err(
                json!({"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}),
            );
        }
    };
    let time = e
        .get("Time")
        .and_then(Value::as_f64)
        .map_or(now, |t| t as i64);
    Ok(json!({
        "version": "0",
        "id": lamina_core::new_request_id(),
        "detail-type": detail_type,
        "source": source,
        "account": s.account,
        "time": iso(time),
        "region": s.region,
        "resources": e.get("Resources").cloned().unwrap_or(json!([])),
        "detail": detail,
    }))
}

pub async fn put(inner: &Inner, s: &Scope, i: PutEventsInput) -> Result<Value> {
    let now = lamina_core::now_epoch_seconds() as i64;
    // Each bus's enabled pattern rules, with their parsed patterns, read once per call.
    let mut buses: HashMap<String, Option<Vec<(RuleRecord, Value)>>> = HashMap::new();
    let mut out = Vec::new();
    let mut failed = 0;
    for e in &i.entries {
        let event = match build(s, e, now) {
            Ok(ev) => ev,
            Err(err) => {
                failed += 1;
                out.push(err);
                continue;
            }
        };
        let bus = bus_name(e.get("EventBusName").and_then(Value::as_str));
        if !buses.contains_key(&bus) {
            let exists = bus == DEFAULT_BUS || inner.table.bus(s, &bus).await?.is_some();
            let rules = if exists {
                let all = inner.table.rules(s, &bus, "", None, 0).await?;
                Some(
                    all.into_iter()
                        .filter(|r| r.enabled())
                        .filter_map(|r| {
                            let p = pattern::parse(r.event_pattern.as_deref()?).ok()?;
                            Some((r, p))
                        })
                        .collect(),
                )
            } else {
                None
            };
            buses.insert(bus.clone(), rules);
        }
        let Some(Some(rules)) = buses.get(&bus) else {
            failed += 1;
            out.push(json!({
                "ErrorCode": "ResourceNotFoundException",
                "ErrorMessage": format!("Event bus {bus} does not exist."),
            }));
            continue;
        };
        for (rule, p) in rules {
            if pattern::matches(p, &event) {
                deliver::deliver(inner, rule, &event).await;
            }
        }
        out.push(json!({ "EventId": event["id"] }));
    }
    Ok(json!({ "FailedEntryCount": failed, "Entries": out }))
}
