//! Stacks, events, change sets and exports in the [`Store`].
//!
//! Trees (keys start `account \0 region \0`):
//! * `cloudformation.stacks`: `... \0 stack id` → [`StackRecord`] (deleted stacks stay, as
//!   AWS keeps them visible by id and in ListStacks);
//! * `cloudformation.names`: `... \0 name` → stack id, for stacks that are not deleted;
//! * `cloudformation.events`: `... \0 stack id \0 <seq, 20 digits>` → [`EventRecord`];
//! * `cloudformation.changesets`: `... \0 stack id \0 name` → [`ChangeSetRecord`];
//! * `cloudformation.exports`: `... \0 export name` → [`ExportRecord`].
//!
//! Every value is JSON with a format version `"v": 1`. While an operation runs, its
//! background task is the only writer of the stack record; API calls that start operations
//! write under an "unchanged since I read it" precondition.

use crate::error::{CfnError, Result};
use crate::template::params::{Given, Listed};
use lamina_storage::{Direction, Range, Store, WriteBatch, key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const STACKS: &str = "cloudformation.stacks";
pub const NAMES: &str = "cloudformation.names";
pub const EVENTS: &str = "cloudformation.events";
pub const CHANGESETS: &str = "cloudformation.changesets";
pub const EXPORTS: &str = "cloudformation.exports";
pub const FORMAT: u32 = 1;

/// Account and region of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    fn key(&self, rest: &[&str]) -> Vec<u8> {
        let mut parts = vec![self.account.as_str(), self.region.as_str()];
        parts.extend_from_slice(rest);
        key::join(&parts)
    }

    fn prefix(&self, rest: &[&str]) -> Vec<u8> {
        let mut parts = vec![self.account.as_str(), self.region.as_str()];
        parts.extend_from_slice(rest);
        key::prefix(&parts)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputRecord {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
    pub export_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
    pub status: String,
    pub reason: Option<String>,
    /// The resolved properties the resource was created or last updated with.
    pub properties: Value,
    pub attributes: Map<String, Value>,
    pub updated: f64,
    pub deletion_policy: Option<String>,
    pub update_replace_policy: Option<String>,
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackRecord {
    pub v: u32,
    pub stack_id: String,
    pub name: String,
    pub status: String,
    pub reason: Option<String>,
    pub description: Option<String>,
    /// The template as submitted.
    pub template_body: String,
    /// After transforms (GetTemplate Stage Processed), in long form.
    pub template: Value,
    pub parameters: Vec<Listed>,
    /// What `Ref` returns for each parameter.
    pub param_values: Map<String, Value>,
    pub tags: Vec<Tag>,
    pub capabilities: Vec<String>,
    pub notification_arns: Vec<String>,
    pub disable_rollback: bool,
    pub role_arn: Option<String>,
    pub termination_protection: bool,
    pub outputs: Vec<OutputRecord>,
    /// Export names this stack's template imports.
    pub imports: Vec<String>,
    pub created: f64,
    pub updated: Option<f64>,
    pub deleted: Option<f64>,
    pub resources: BTreeMap<String, ResourceRecord>,
    pub next_event: u64,
    /// The change set that created or last updated the stack.
    pub change_set_id: Option<String>,
    /// The stack as it was before the running update (restored on rollback).
    pub previous: Option<Box<StackRecord>>,
    /// The stack policy (SetStackPolicy, StackPolicyBody), stored as given.
    #[serde(default)]
    pub stack_policy: Option<String>,
}

impl StackRecord {
    pub fn is_deleted(&self) -> bool {
        self.status == "DELETE_COMPLETE"
    }

    pub fn in_progress(&self) -> bool {
        self.status.ends_with("_IN_PROGRESS") && self.status != "REVIEW_IN_PROGRESS"
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub v: u32,
    pub stack_id: String,
    pub stack_name: String,
    pub event_id: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub timestamp: f64,
    pub status: String,
    pub reason: Option<String>,
    pub properties: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSetRecord {
    pub v: u32,
    pub id: String,
    pub name: String,
    pub stack_id: String,
    pub stack_name: String,
    /// CREATE or UPDATE.
    pub kind: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub execution_status: String,
    pub description: Option<String>,
    pub template_body: String,
    pub parameters: Vec<Given>,
    /// Resolved parameters, as DescribeChangeSet lists them.
    pub listed: Vec<Listed>,
    pub capabilities: Vec<String>,
    pub tags: Vec<Tag>,
    pub notification_arns: Vec<String>,
    pub changes: Vec<Value>,
    pub created: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportRecord {
    pub v: u32,
    pub name: String,
    pub value: String,
    pub stack_id: String,
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| CfnError::Internal(format!("encode record: {e}")))
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let probe: Version = serde_json::from_slice(bytes)
        .map_err(|e| CfnError::Internal(format!("decode record: {e}")))?;
    if probe.v != FORMAT {
        return Err(CfnError::Internal(format!(
            "unknown record format {}",
            probe.v
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| CfnError::Internal(format!("decode record: {e}")))
}

/// A record as read, with its raw bytes for a compare-and-set precondition.
pub struct Loaded<T> {
    pub record: T,
    pub raw: Vec<u8>,
}

/// Typed access to the trees.
#[derive(Clone)]
pub struct Table {
    store: Arc<dyn Store>,
}

impl Table {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    pub async fn commit(&self, batch: WriteBatch) -> Result<()> {
        Ok(self.store.commit(batch).await?)
    }

    pub async fn stack(&self, s: &Scope, stack_id: &str) -> Result<Option<Loaded<StackRecord>>> {
        Ok(match self.store.get(STACKS, &s.key(&[stack_id])).await? {
            Some(raw) => Some(Loaded {
                record: decode(&raw)?,
                raw,
            }),
            None => None,
        })
    }

    /// A stack by name (active stacks) or id (any stack).
    pub async fn find(&self, s: &Scope, name_or_id: &str) -> Result<Option<Loaded<StackRecord>>> {
        if name_or_id.starts_with("arn:") {
            return self.stack(s, name_or_id).await;
        }
        match self.store.get(NAMES, &s.key(&[name_or_id])).await? {
            Some(id) => self.stack(s, &String::from_utf8_lossy(&id)).await,
            None => Ok(None),
        }
    }

    /// Every stack of the scope (deleted ones too), oldest first.
    pub async fn stacks(&self, s: &Scope) -> Result<Vec<StackRecord>> {
        let entries = self
            .store
            .scan(STACKS, Range::prefix(&s.prefix(&[])), Direction::Forward, 0)
            .await?;
        let mut out: Vec<StackRecord> = entries
            .iter()
            .map(|(_, v)| decode(v))
            .collect::<Result<_>>()?;
        out.sort_by(|a, b| a.created.total_cmp(&b.created));
        Ok(out)
    }

    /// Every stack of every scope (startup recovery).
    pub async fn all_stacks(&self) -> Result<Vec<StackRecord>> {
        let entries = self
            .store
            .scan(STACKS, Range::all(), Direction::Forward, 0)
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    /// Writes the stack record, its name index and (when given) an event, unconditionally:
    /// the running operation is the stack's only writer.
    pub fn put_stack(&self, s: &Scope, b: &mut WriteBatch, stack: &StackRecord) -> Result<()> {
        b.put(STACKS, s.key(&[&stack.stack_id]), encode(stack)?);
        if stack.is_deleted() {
            b.delete(NAMES, s.key(&[&stack.name]));
        } else {
            b.put(
                NAMES,
                s.key(&[&stack.name]),
                stack.stack_id.as_bytes().to_vec(),
            );
        }
        Ok(())
    }

    pub fn put_event(
        &self,
        s: &Scope,
        b: &mut WriteBatch,
        seq: u64,
        e: &EventRecord,
    ) -> Result<()> {
        b.put(
            EVENTS,
            s.key(&[&e.stack_id, &format!("{seq:020}")]),
            encode(e)?,
        );
        Ok(())
    }

    /// Events of a stack, newest first.
    pub async fn events(&self, s: &Scope, stack_id: &str) -> Result<Vec<EventRecord>> {
        let entries = self
            .store
            .scan(
                EVENTS,
                Range::prefix(&s.prefix(&[stack_id])),
                Direction::Reverse,
                0,
            )
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    pub fn put_change_set(&self, s: &Scope, b: &mut WriteBatch, c: &ChangeSetRecord) -> Result<()> {
        b.put(CHANGESETS, s.key(&[&c.stack_id, &c.name]), encode(c)?);
        Ok(())
    }

    pub fn delete_change_set(&self, s: &Scope, b: &mut WriteBatch, c: &ChangeSetRecord) {
        b.delete(CHANGESETS, s.key(&[&c.stack_id, &c.name]));
    }

    pub async fn change_sets(&self, s: &Scope, stack_id: &str) -> Result<Vec<ChangeSetRecord>> {
        let entries = self
            .store
            .scan(
                CHANGESETS,
                Range::prefix(&s.prefix(&[stack_id])),
                Direction::Forward,
                0,
            )
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    /// A change set by ARN (any stack of the scope).
    pub async fn change_set_by_id(&self, s: &Scope, id: &str) -> Result<Option<ChangeSetRecord>> {
        let entries = self
            .store
            .scan(
                CHANGESETS,
                Range::prefix(&s.prefix(&[])),
                Direction::Forward,
                0,
            )
            .await?;
        for (_, v) in entries {
            let c: ChangeSetRecord = decode(&v)?;
            if c.id == id {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    pub async fn exports(&self, s: &Scope) -> Result<Vec<ExportRecord>> {
        let entries = self
            .store
            .scan(
                EXPORTS,
                Range::prefix(&s.prefix(&[])),
                Direction::Forward,
                0,
            )
            .await?;
        entries.iter().map(|(_, v)| decode(v)).collect()
    }

    pub fn put_export(&self, s: &Scope, b: &mut WriteBatch, e: &ExportRecord) -> Result<()> {
        b.put(EXPORTS, s.key(&[&e.name]), encode(e)?);
        Ok(())
    }

    pub fn delete_export(&self, s: &Scope, b: &mut WriteBatch, name: &str) {
        b.delete(EXPORTS, s.key(&[name]));
    }

    /// The raw key of a stack record (for preconditions).
    pub fn stack_key(&self, s: &Scope, stack_id: &str) -> Vec<u8> {
        s.key(&[stack_id])
    }

    pub fn name_key(&self, s: &Scope, name: &str) -> Vec<u8> {
        s.key(&[name])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_format_is_rejected() {
        assert!(decode::<ExportRecord>(br#"{"v":9}"#).is_err());
        let e = ExportRecord {
            v: 1,
            name: "n".into(),
            value: "x".into(),
            stack_id: "s".into(),
        };
        assert_eq!(decode::<ExportRecord>(&encode(&e).unwrap()).unwrap(), e);
    }
}
