//! TagResource, UntagResource, ListTagsForResource on rules and event buses.

use super::update_rule;
use crate::Inner;
use crate::error::{EventsError, Result};
use crate::store::{self, BusRecord, DEFAULT_BUS, Scope, Tag};
use lamina_storage::{StoreError, WriteBatch};
use serde::Deserialize;
use serde_json::{Value, json};

/// At most 50 tags per resource.
const MAX_TAGS: usize = 50;

enum Resource {
    Rule { bus: String, name: String },
    Bus(String),
}

fn resource(s: &Scope, arn: &str) -> Result<Resource> {
    let prefix = format!("arn:aws:events:{}:{}:", s.region, s.account);
    let not_found = || EventsError::NotFound(format!("Resource {arn} does not exist."));
    let rest = arn.strip_prefix(&prefix).ok_or_else(not_found)?;
    if let Some(r) = rest.strip_prefix("rule/") {
        return Ok(match r.split_once('/') {
            Some((bus, name)) => Resource::Rule {
                bus: bus.into(),
                name: name.into(),
            },
            None => Resource::Rule {
                bus: DEFAULT_BUS.into(),
                name: r.into(),
            },
        });
    }
    if let Some(b) = rest.strip_prefix("event-bus/") {
        return Ok(Resource::Bus(b.into()));
    }
    Err(not_found())
}

fn check(tags: &[Tag]) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(EventsError::LimitExceeded(
            "The requested resource exceeds the maximum number allowed.".into(),
        ));
    }
    Ok(())
}

/// Read-modify-write of a bus's tags (the default bus gets a record on first tag).
async fn update_bus_tags(
    inner: &Inner,
    s: &Scope,
    bus: &str,
    f: impl Fn(&mut Vec<Tag>),
) -> Result<()> {
    for _ in 0..64 {
        let k = store::bus_key(s, bus);
        let mut b = WriteBatch::new();
        let mut rec = match inner.table.bus(s, bus).await? {
            Some(l) => {
                b.require_equals(store::BUSES, k.clone(), l.raw);
                l.record
            }
            None if bus == DEFAULT_BUS => {
                b.require_absent(store::BUSES, k.clone());
                let now = lamina_core::now_epoch_seconds();
                BusRecord {
                    v: store::FORMAT,
                    name: bus.into(),
                    description: None,
                    created: now,
                    modified: now,
                    tags: Vec::new(),
                }
            }
            None => return Err(EventsError::bus_not_found(bus)),
        };
        f(&mut rec.tags);
        check(&rec.tags)?;
        b.put(store::BUSES, k, store::encode(&rec)?);
        match inner.table.commit(b).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(EventsError::Concurrent)
}

async fn modify(inner: &Inner, s: &Scope, arn: &str, f: impl Fn(&mut Vec<Tag>)) -> Result<()> {
    match resource(s, arn)? {
        Resource::Rule { bus, name } => {
            update_rule(inner, s, &bus, &name, |r| {
                let mut n = r.clone();
                f(&mut n.tags);
                check(&n.tags)?;
                Ok((Some(n), ()))
            })
            .await
        }
        Resource::Bus(bus) => update_bus_tags(inner, s, &bus, f).await,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: String,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    tag_keys: Vec<String>,
}

pub async fn tag(inner: &Inner, s: &Scope, i: TagInput) -> Result<()> {
    modify(inner, s, &i.resource_arn, |t| store::merge_tags(t, &i.tags)).await
}

pub async fn untag(inner: &Inner, s: &Scope, i: TagInput) -> Result<()> {
    modify(inner, s, &i.resource_arn, |t| {
        t.retain(|x| !i.tag_keys.contains(&x.key))
    })
    .await
}

pub async fn list(inner: &Inner, s: &Scope, i: TagInput) -> Result<Value> {
    let tags = match resource(s, &i.resource_arn)? {
        Resource::Rule { bus, name } => match inner.table.rule(s, &bus, &name).await? {
            Some(l) => l.record.tags,
            None => return Err(EventsError::rule_not_found(&name, &bus)),
        },
        Resource::Bus(bus) => match inner.table.bus(s, &bus).await? {
            Some(l) => l.record.tags,
            None if bus == DEFAULT_BUS => Vec::new(),
            None => return Err(EventsError::bus_not_found(&bus)),
        },
    };
    Ok(json!({ "Tags": tags }))
}
