//! CreateEventBus, DescribeEventBus, ListEventBuses, DeleteEventBus.

use super::{bus_name, decode_token, encode_token};
use crate::Inner;
use crate::error::{EventsError, Result};
use crate::store::{self, BusRecord, DEFAULT_BUS, Scope, Tag};
use lamina_storage::{StoreError, WriteBatch};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateInput {
    name: String,
    event_source_name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
}

pub async fn create(inner: &Inner, s: &Scope, i: CreateInput) -> Result<Value> {
    if i.event_source_name.is_some() {
        return Err(EventsError::Validation(
            "Partner event sources are not supported by Lamina.".into(),
        ));
    }
    if i.name == DEFAULT_BUS || i.name.contains('/') {
        return Err(if i.name == DEFAULT_BUS {
            EventsError::AlreadyExists(format!("Event bus {} already exists.", i.name))
        } else {
            EventsError::Validation(format!("Event bus name {} is not valid.", i.name))
        });
    }
    let now = lamina_core::now_epoch_seconds();
    let mut tags = Vec::new();
    store::merge_tags(&mut tags, &i.tags);
    let rec = BusRecord {
        v: store::FORMAT,
        name: i.name.clone(),
        description: i.description.clone(),
        created: now,
        modified: now,
        tags,
    };
    let k = store::bus_key(s, &i.name);
    let mut b = WriteBatch::new();
    b.require_absent(store::BUSES, k.clone());
    b.put(store::BUSES, k, store::encode(&rec)?);
    match inner.table.commit(b).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => {
            return Err(EventsError::AlreadyExists(format!(
                "Event bus {} already exists.",
                i.name
            )));
        }
        Err(e) => return Err(e.into()),
    }
    let mut out = json!({ "EventBusArn": s.bus_arn(&i.name) });
    if let Some(d) = i.description {
        out["Description"] = json!(d);
    }
    Ok(out)
}

fn bus_json(s: &Scope, name: &str, rec: Option<&BusRecord>) -> Value {
    let mut v = json!({ "Name": name, "Arn": s.bus_arn(name) });
    if let Some(r) = rec {
        if let Some(d) = &r.description {
            v["Description"] = json!(d);
        }
        v["CreationTime"] = json!(r.created);
        v["LastModifiedTime"] = json!(r.modified);
    }
    v
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NameInput {
    name: Option<String>,
}

pub async fn describe(inner: &Inner, s: &Scope, i: NameInput) -> Result<Value> {
    let name = bus_name(i.name.as_deref());
    let rec = inner.table.bus(s, &name).await?;
    if rec.is_none() && name != DEFAULT_BUS {
        return Err(EventsError::bus_not_found(&name));
    }
    Ok(bus_json(s, &name, rec.as_ref().map(|l| &l.record)))
}

pub async fn delete(inner: &Inner, s: &Scope, i: NameInput) -> Result<()> {
    let name = bus_name(i.name.as_deref());
    if name == DEFAULT_BUS {
        return Err(EventsError::Validation(
            "Cannot delete event bus default.".into(),
        ));
    }
    // The bus's rules go with it; deleting a bus that does not exist succeeds, as on AWS.
    let rules = inner.table.rules(s, &name, "", None, 0).await?;
    let mut b = WriteBatch::new();
    b.delete(store::BUSES, store::bus_key(s, &name));
    for r in rules {
        b.delete(store::RULES, store::rule_key(s, &name, &r.name));
    }
    inner.table.commit(b).await?;
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListInput {
    name_prefix: Option<String>,
    next_token: Option<String>,
    limit: Option<usize>,
}

pub async fn list(inner: &Inner, s: &Scope, i: ListInput) -> Result<Value> {
    let prefix = i.name_prefix.unwrap_or_default();
    let after = i
        .next_token
        .as_deref()
        .map(|t| decode_token("buses", t))
        .transpose()?;
    let limit = i.limit.unwrap_or(100).clamp(1, 100);
    let mut all: Vec<(String, Option<BusRecord>)> = Vec::new();
    let custom = inner.table.buses(s, &prefix).await?;
    let default_rec = inner.table.bus(s, DEFAULT_BUS).await?.map(|l| l.record);
    if DEFAULT_BUS.starts_with(&prefix) {
        all.push((DEFAULT_BUS.into(), default_rec));
    }
    all.extend(
        custom
            .into_iter()
            .filter(|b| b.name != DEFAULT_BUS)
            .map(|b| (b.name.clone(), Some(b))),
    );
    all.sort_by(|a, b| a.0.cmp(&b.0));
    let rest: Vec<_> = all
        .into_iter()
        .filter(|(n, _)| after.as_ref().is_none_or(|a| n > a))
        .collect();
    let page = &rest[..rest.len().min(limit)];
    let mut out = json!({
        "EventBuses": page.iter().map(|(n, r)| bus_json(s, n, r.as_ref())).collect::<Vec<_>>()
    });
    if rest.len() > page.len()
        && let Some((last, _)) = page.last()
    {
        out["NextToken"] = json!(encode_token("buses", last));
    }
    Ok(out)
}
