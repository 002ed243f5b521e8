//! Records and keys over the [`Store`]. Every value is JSON with a format version `"v": 1`.
//!
//! Trees (keys joined with `\0`; names and ids never contain it):
//! * `sns.topics`: `account \0 region \0 topic` → [`TopicRecord`]
//! * `sns.subs`: `account \0 region \0 topic \0 subscription-id` → [`SubRecord`]
//! * `sns.outbox`: `due-millis(20 digits) \0 delivery-id` → [`Delivery`]: written in the same
//!   batch that acknowledges a Publish, deleted once delivered (or dead-lettered)
//! * `sns.dedup`: `account \0 region \0 topic \0 dedup-id` → [`DedupRecord`] (FIFO, 5 minutes)
//! * `sns.messages`: `millis(20 digits) \0 id` → [`Inspected`]: what went to email, sms and
//!   unconfirmed http endpoints, for the inspection endpoint
//! * `sns.keys`: `signing` → [`KeyRecord`]

use crate::error::{Result, SnsError};
use lamina_storage::{Direction, Range, Store, WriteBatch, key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

pub const TOPICS: &str = "sns.topics";
pub const SUBS: &str = "sns.subs";
pub const OUTBOX: &str = "sns.outbox";
pub const DEDUP: &str = "sns.dedup";
pub const MESSAGES: &str = "sns.messages";
pub const KEYS: &str = "sns.keys";
pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn topic_arn(&self, name: &str) -> String {
        lamina_core::arn("sns", &self.region, &self.account, name)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopicRecord {
    pub v: u32,
    pub name: String,
    pub arn: String,
    /// Settable attributes as the caller gave them (DisplayName, Policy, DeliveryPolicy, ...).
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub data_protection_policy: Option<String>,
    /// FIFO topics: the last sequence number handed out.
    pub seq: u64,
}

impl TopicRecord {
    pub fn fifo(&self) -> bool {
        self.attributes
            .get("FifoTopic")
            .is_some_and(|v| v == "true")
    }

    pub fn content_dedup(&self) -> bool {
        self.attributes
            .get("ContentBasedDeduplication")
            .is_some_and(|v| v == "true")
    }

    pub fn signature_version(&self) -> u8 {
        if self
            .attributes
            .get("SignatureVersion")
            .is_some_and(|v| v == "2")
        {
            2
        } else {
            1
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SubRecord {
    pub v: u32,
    pub id: String,
    pub arn: String,
    pub topic_arn: String,
    pub topic: String,
    pub protocol: String,
    pub endpoint: String,
    pub owner: String,
    pub confirmed: bool,
    /// Whether confirmation was authenticated (ConfirmSubscription with credentials).
    pub authenticated: bool,
    pub token: String,
    pub attributes: BTreeMap<String, String>,
}

impl SubRecord {
    pub fn raw(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .is_some_and(|v| v == "true")
    }
}

/// One message on its way to one endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Delivery {
    pub v: u32,
    pub id: String,
    pub account: String,
    pub region: String,
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    pub kind: String,
    pub protocol: String,
    pub endpoint: String,
    pub topic_arn: String,
    pub subscription_arn: String,
    pub message_id: String,
    pub message: String,
    pub subject: Option<String>,
    /// SNS message attributes in canonical form (`{"DataType", "StringValue"|"BinaryValue"}`).
    pub attributes: Map<String, Value>,
    /// ISO 8601 with milliseconds.
    pub timestamp: String,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
    pub sequence: Option<String>,
    pub token: Option<String>,
    pub signature_version: u8,
    /// `scheme://host:port` of Lamina, for the signing certificate and the URLs.
    pub endpoint_url: String,
    pub raw: bool,
    /// The subscription's DeliveryPolicy or the topic's (JSON), for http/https retries.
    pub delivery_policy: Option<String>,
    /// The subscription DLQ (an SQS queue ARN) from its RedrivePolicy.
    pub dead_letter_arn: Option<String>,
    pub attempts: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DedupRecord {
    pub v: u32,
    pub message_id: String,
    pub sequence: Option<String>,
    pub expires_ms: u64,
}

/// A message kept for the inspection endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Inspected {
    pub v: u32,
    pub account: String,
    pub region: String,
    pub protocol: String,
    pub endpoint: String,
    pub topic_arn: String,
    pub subscription_arn: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub message_id: String,
    pub subject: Option<String>,
    pub message: String,
    /// The payload as it would have been sent (the JSON envelope for email-json and http).
    pub body: String,
    pub timestamp: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyRecord {
    pub v: u32,
    pub key_der: String,
    pub cert_der: String,
}

pub fn topic_key(s: &Scope, name: &str) -> Vec<u8> {
    key::join(&[s.account.as_str(), s.region.as_str(), name])
}

pub fn sub_key(s: &Scope, topic: &str, id: &str) -> Vec<u8> {
    key::join(&[s.account.as_str(), s.region.as_str(), topic, id])
}

pub fn subs_prefix(s: &Scope, topic: Option<&str>) -> Vec<u8> {
    match topic {
        Some(t) => key::prefix(&[s.account.as_str(), s.region.as_str(), t]),
        None => key::prefix(&[s.account.as_str(), s.region.as_str()]),
    }
}

pub fn dedup_key(s: &Scope, topic: &str, id: &str) -> Vec<u8> {
    key::join(&[s.account.as_str(), s.region.as_str(), topic, id])
}

pub fn timed_key(millis: u64, id: &str) -> Vec<u8> {
    key::join(&[format!("{millis:020}").as_str(), id])
}

pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| SnsError::Internal(format!("encode record: {e}")))
}

pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T> {
    #[derive(Deserialize)]
    struct Version {
        v: u32,
    }
    let probe: Version = serde_json::from_slice(bytes)
        .map_err(|e| SnsError::Internal(format!("decode record: {e}")))?;
    if probe.v != FORMAT {
        return Err(SnsError::Internal(format!(
            "unknown record format {}",
            probe.v
        )));
    }
    serde_json::from_slice(bytes).map_err(|e| SnsError::Internal(format!("decode record: {e}")))
}

/// A value as read, with its raw bytes for compare-and-set.
pub struct Loaded<T> {
    pub value: T,
    pub raw: Vec<u8>,
}

#[derive(Clone)]
pub struct Table {
    pub store: Arc<dyn Store>,
}

impl Table {
    pub async fn get<T: for<'de> Deserialize<'de>>(
        &self,
        tree: &str,
        key: &[u8],
    ) -> Result<Option<Loaded<T>>> {
        match self.store.get(tree, key).await? {
            Some(raw) => Ok(Some(Loaded {
                value: decode(&raw)?,
                raw,
            })),
            None => Ok(None),
        }
    }

    pub async fn topic(&self, s: &Scope, name: &str) -> Result<Option<Loaded<TopicRecord>>> {
        self.get(TOPICS, &topic_key(s, name)).await
    }

    /// Up to `limit` entries under `prefix`, strictly after `after` when given.
    pub async fn scan_prefix(
        &self,
        tree: &str,
        prefix: &[u8],
        after: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut range = Range::prefix(prefix);
        if let Some(a) = after {
            range.start = Bound::Excluded(a);
        }
        Ok(self
            .store
            .scan(tree, range, Direction::Forward, limit)
            .await?)
    }

    pub async fn subs(&self, s: &Scope, topic: Option<&str>) -> Result<Vec<Loaded<SubRecord>>> {
        let entries = self
            .scan_prefix(SUBS, &subs_prefix(s, topic), None, 0)
            .await?;
        entries
            .into_iter()
            .map(|(_, raw)| {
                Ok(Loaded {
                    value: decode(&raw)?,
                    raw,
                })
            })
            .collect()
    }

    pub async fn commit(
        &self,
        batch: WriteBatch,
    ) -> std::result::Result<(), lamina_storage::StoreError> {
        self.store.commit(batch).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOPIC_V1: &str = r#"{"v":1,"name":"t.fifo","arn":"arn:aws:sns:us-east-1:1:t.fifo","attributes":{"FifoTopic":"true","ContentBasedDeduplication":"true","SignatureVersion":"2"},"tags":{"k":"v"},"data_protection_policy":null,"seq":7}"#;

    #[test]
    fn frozen_v1_topic_decodes() {
        let t: TopicRecord = decode(TOPIC_V1.as_bytes()).unwrap();
        assert!(t.fifo() && t.content_dedup());
        assert_eq!((t.signature_version(), t.seq), (2, 7));
        assert!(decode::<TopicRecord>(br#"{"v":2}"#).is_err());
    }

    #[test]
    fn keys_order_by_time_and_separate_topics() {
        assert!(timed_key(9, "z") < timed_key(10, "a"));
        let s = Scope {
            account: "1".into(),
            region: "r".into(),
        };
        assert!(sub_key(&s, "a", "x").starts_with(&subs_prefix(&s, Some("a"))));
        assert!(!sub_key(&s, "ab", "x").starts_with(&subs_prefix(&s, Some("a"))));
        assert_eq!(s.topic_arn("t"), "arn:aws:sns:r:1:t");
    }
}
