//! The typed tables over the [`Store`].
//!
//! * `events.buses`: `account \0 region \0 bus` → [`BusRecord`] (custom buses; the
//!   `default` bus exists implicitly and gets a record only once it is tagged).
//! * `events.rules`: `account \0 region \0 bus \0 rule` → [`RuleRecord`], targets included
//!   (at most five per rule), so a rule and its targets change in one atomic write.
//!
//! Names never contain 0x00 (the model's patterns exclude it). Every value is JSON with a
//! format version `"v": 1`.

use crate::error::{EventsError, Result};
use lamina_storage::{Direction, Range, Store, StoreError, WriteBatch, key};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::ops::Bound;
use std::sync::Arc;

pub const BUSES: &str = "events.buses";
pub const RULES: &str = "events.rules";
pub const FORMAT: u32 = 1;
pub const DEFAULT_BUS: &str = "default";

/// Account and region of a request.
#[derive(Debug, Clone)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn bus_arn(&self, bus: &str) -> String {
        lamina_core::arn(
            "events",
            &self.region,
            &self.account,
            &format!("event-bus/{bus}"),
        )
    }

    pub fn rule_arn(&self, bus: &str, rule: &str) -> String {
        let res = if bus == DEFAULT_BUS {
            format!("rule/{rule}")
        } else {
            format!("rule/{bus}/{rule}")
        };
        lamina_core::arn("events", &self.region, &self.account, &res)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tag {
    #[serde(rename = "Key")]
    pub key: String,
    #[serde(rename = "Value")]
    pub value: String,
}

/// Sets or replaces tags by key.
pub fn merge_tags(tags: &mut Vec<Tag>, new: &[Tag]) {
    for t in new {
        match tags.iter_mut().find(|x| x.key == t.key) {
            Some(x) => x.value = t.value.clone(),
            None => tags.push(t.clone()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BusRecord {
    pub v: u32,
    pub name: String,
    pub description: Option<String>,
    pub created: f64,
    pub modified: f64,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RuleRecord {
    pub v: u32,
    pub account: String,
    pub region: String,
    pub bus: String,
    pub name: String,
    pub event_pattern: Option<String>,
    pub schedule: Option<String>,
    /// When the schedule expression was set (epoch seconds): rates count from here.
    pub schedule_since: i64,
    pub state: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    /// Targets in the wire's `Target` shape, in the order they were first put.
    pub targets: Vec<Value>,
    pub tags: Vec<Tag>,
    pub created: f64,
}

impl RuleRecord {
    pub fn enabled(&self) -> bool {
        self.state.starts_with("ENABLED")
    }
}

pub fn bus_key(s: &Scope, bus: &str) -> Vec<u8> {
    key::join(&[s.account.as_str(), s.region.as_str(), bus])
}

pub fn rule_key(s: &Scope, bus: &str, rule: &str) -> Vec<u8> {
    key::join(&[s.account.as_str(), s.region.as_str(), bus, rule])
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| EventsError::Internal(format!("encode record: {e}")))
}

pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let probe: Version = serde_json::from_slice(bytes)
        .map_err(|e| EventsError::Internal(format!("decode record: {e}")))?;
    if probe.v != FORMAT {
        return Err(EventsError::Internal(format!(
            "unknown record format {}",
            probe.v
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| EventsError::Internal(format!("decode record: {e}")))
}

/// A record as read, with its raw bytes for a compare-and-set precondition.
pub struct Loaded<T> {
    pub record: T,
    pub raw: Vec<u8>,
}

#[derive(Clone)]
pub struct Table {
    pub store: Arc<dyn Store>,
}

impl Table {
    pub async fn bus(&self, s: &Scope, bus: &str) -> Result<Option<Loaded<BusRecord>>> {
        match self.store.get(BUSES, &bus_key(s, bus)).await? {
            Some(raw) => Ok(Some(Loaded {
                record: decode(&raw)?,
                raw,
            })),
            None => Ok(None),
        }
    }

    pub async fn rule(
        &self,
        s: &Scope,
        bus: &str,
        rule: &str,
    ) -> Result<Option<Loaded<RuleRecord>>> {
        match self.store.get(RULES, &rule_key(s, bus, rule)).await? {
            Some(raw) => Ok(Some(Loaded {
                record: decode(&raw)?,
                raw,
            })),
            None => Ok(None),
        }
    }

    /// Up to `limit` (0: all) rules of a bus whose name starts with `prefix`, after `after`.
    pub async fn rules(
        &self,
        s: &Scope,
        bus: &str,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RuleRecord>> {
        let mut p = key::prefix(&[s.account.as_str(), s.region.as_str(), bus]);
        p.extend_from_slice(prefix.as_bytes());
        let mut range = Range::prefix(&p);
        if let Some(after) = after {
            let k = rule_key(s, bus, after);
            if k >= p {
                range.start = Bound::Excluded(k);
            }
        }
        let entries = self
            .store
            .scan(RULES, range, Direction::Forward, limit)
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    /// Custom buses of the scope whose name starts with `prefix`.
    pub async fn buses(&self, s: &Scope, prefix: &str) -> Result<Vec<BusRecord>> {
        let mut p = key::prefix(&[s.account.as_str(), s.region.as_str()]);
        p.extend_from_slice(prefix.as_bytes());
        let entries = self
            .store
            .scan(BUSES, Range::prefix(&p), Direction::Forward, 0)
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    /// Every rule of every account and region (the scheduler's view).
    pub async fn all_rules(&self) -> Result<Vec<RuleRecord>> {
        let entries = self
            .store
            .scan(RULES, Range::all(), Direction::Forward, 0)
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    pub async fn commit(&self, batch: WriteBatch) -> std::result::Result<(), StoreError> {
        self.store.commit(batch).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frozen sample of format 1: later formats must still read it (or migrate it).
    const RULE_V1: &str = r#"{"v":1,"account":"000000000000","region":"us-east-1","bus":"default","name":"r","event_pattern":null,"schedule":"rate(1 minute)","schedule_since":1700000000,"state":"ENABLED","description":null,"role_arn":null,"targets":[{"Id":"t","Arn":"arn:aws:sqs:us-east-1:000000000000:q"}],"tags":[],"created":1700000000.5}"#;

    #[test]
    fn frozen_v1_rule_decodes() {
        let r: RuleRecord = decode(RULE_V1.as_bytes()).unwrap();
        assert_eq!(r.schedule.as_deref(), Some("rate(1 minute)"));
        assert_eq!(r.targets.len(), 1);
        assert!(r.enabled());
        assert!(decode::<RuleRecord>(br#"{"v":2}"#).is_err());
    }

    #[test]
    fn arns() {
        let s = Scope {
            account: "1".into(),
            region: "r".into(),
        };
        assert_eq!(s.rule_arn("default", "x"), "arn:aws:events:r:1:rule/x");
        assert_eq!(s.rule_arn("b", "x"), "arn:aws:events:r:1:rule/b/x");
        assert_eq!(s.bus_arn("b"), "arn:aws:events:r:1:event-bus/b");
    }
}
