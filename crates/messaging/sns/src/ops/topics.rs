//! CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes, data protection policies.

use super::{Ctx, MAX_ATTEMPTS, PAGE, decode_token, encode_token, parse_topic_arn};
use crate::Inner;
use crate::error::{Result, SnsError};
use crate::store::{self, Scope, TopicRecord};
use crate::types::{
    CreateTopicInput, ListInput, PutDataProtectionPolicyInput, ResourceArnInput,
    SetTopicAttributesInput, TopicArnInput, attributes_output,
};
use lamina_storage::{StoreError, WriteBatch};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Attributes a caller may set on a topic (besides `FifoTopic`, create only).
const SETTABLE: &[&str] = &[
    "DeliveryPolicy",
    "DisplayName",
    "Policy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "ContentBasedDeduplication",
    "ArchivePolicy",
    "FifoThroughputScope",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
];

pub const DEFAULT_EFFECTIVE_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

/// The policy AWS gives a new topic, rendered as AWS renders it (compact, this key order).
pub fn default_policy(arn: &str, account: &str) -> String {
    json!({
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [{
            "Sid": "__default_statement_ID",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": [
                "SNS:GetTopicAttributes",
                "SNS:SetTopicAttributes",
                "SNS:AddPermission",
                "SNS:RemovePermission",
                "SNS:DeleteTopic",
                "SNS:Subscribe",
                "SNS:ListSubscriptionsByTopic",
                "SNS:Publish"
            ],
            "Resource": arn,
            "Condition": {"StringEquals": {"AWS:SourceOwner": account}}
        }]
    })
    .to_string()
}

fn valid_name(name: &str, fifo: bool) -> bool {
    let (base, max) = match name.strip_suffix(".fifo") {
        Some(b) if fifo => (b, 251),
        _ if fifo => return false,
        _ => (name, 256),
    };
    !base.is_empty()
        && base.len() <= max
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Checks one attribute's value; `prefix` is `Invalid parameter: Attributes Reason: ` on
/// create and `Invalid parameter: ` on set.
fn check_value(name: &str, value: &str, fifo: bool, on_create: bool) -> Result<()> {
    let reason = |r: &str| {
        if on_create {
            SnsError::invalid(format!("Invalid parameter: Attributes Reason: {r}"))
        } else {
            SnsError::invalid(format!("Invalid parameter: {name} Reason: {r}"))
        }
    };
    match name {
        "SignatureVersion" if !matches!(value, "1" | "2") => Err(reason(&format!(
            "SignatureVersion: Invalid value [{value}]. Must be 1 or 2."
        ))),
        "TracingConfig" if !matches!(value, "PassThrough" | "Active") => Err(reason(&format!(
            "TracingConfig: Invalid value [{value}]. Must be PassThrough or Active."
        ))),
        "ContentBasedDeduplication" if !fifo => Err(reason(
            "Content-based deduplication can only be set for FIFO topics",
        )),
        "ContentBasedDeduplication" if !matches!(value, "true" | "false") => Err(reason(&format!(
            "ContentBasedDeduplication: Invalid value [{value}]. Must be true or false."
        ))),
        "Policy" | "DeliveryPolicy" | "ArchivePolicy" if !value.is_empty() => {
            match serde_json::from_str::<Value>(value) {
                Ok(Value::Object(_)) => Ok(()),
                _ => Err(reason(&format!("{name}: failed to parse JSON."))),
            }
        }
        _ => Ok(()),
    }
}

pub async fn create(inner: &Inner, ctx: &Ctx, input: CreateTopicInput) -> Result<Value> {
    let mut attrs = input.attributes.unwrap_or_default();
    let fifo = match attrs.get("FifoTopic").map(|v| v.to_ascii_lowercase()) {
        Some(v) if v == "true" => {
            attrs.insert("FifoTopic".into(), "true".into());
            true
        }
        Some(_) => {
            attrs.remove("FifoTopic");
            false
        }
        None => false,
    };
    if !valid_name(&input.name, fifo) {
        return Err(SnsError::invalid("Invalid parameter: Topic Name"));
    }
    for (k, v) in &attrs {
        if k != "FifoTopic" && !SETTABLE.contains(&k.as_str()) {
            return Err(SnsError::invalid(format!(
                "Invalid parameter: Attributes Reason: Unknown attribute: {k}"
            )));
        }
        check_value(k, v, fifo, true)?;
    }
    let tags: BTreeMap<String, String> = input
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    if tags.len() > 50 {
        return Err(SnsError::TagLimitExceeded);
    }
    let scope = &ctx.scope;
    let arn = scope.topic_arn(&input.name);
    let key = store::topic_key(scope, &input.name);
    for _ in 0..MAX_ATTEMPTS {
        if let Some(existing) = inner.table.topic(scope, &input.name).await? {
            let t = existing.value;
            if attrs.iter().any(|(k, v)| t.attributes.get(k) != Some(v)) {
                return Err(SnsError::invalid(
                    "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
                ));
            }
            if !tags.is_empty() && tags.iter().any(|(k, v)| t.tags.get(k) != Some(v)) {
                return Err(SnsError::invalid(
                    "Invalid parameter: Tags Reason: Topic already exists with different tags",
                ));
            }
            return Ok(json!({ "TopicArn": arn }));
        }
        let record = TopicRecord {
            v: store::FORMAT,
            name: input.name.clone(),
            arn: arn.clone(),
            attributes: attrs.clone(),
            tags: tags.clone(),
            data_protection_policy: input.data_protection_policy.clone(),
            seq: 0,
        };
        let mut batch = WriteBatch::new();
        batch.require_absent(store::TOPICS, key.clone());
        batch.put(store::TOPICS, key.clone(), store::encode(&record)?);
        match inner.table.commit(batch).await {
            Ok(()) => return Ok(json!({ "TopicArn": arn })),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(SnsError::ConcurrentAccess)
}

pub async fn delete(inner: &Inner, ctx: &Ctx, input: TopicArnInput) -> Result<()> {
    let (scope, name) = parse_topic_arn(ctx, &input.topic_arn)?;
    let subs = inner.table.subs(&scope, Some(&name)).await?;
    let mut batch = WriteBatch::new();
    batch.delete(store::TOPICS, store::topic_key(&scope, &name));
    for s in subs {
        batch.delete(store::SUBS, store::sub_key(&scope, &name, &s.value.id));
    }
    inner.table.commit(batch).await?;
    Ok(())
}

pub async fn list(inner: &Inner, ctx: &Ctx, input: ListInput) -> Result<Value> {
    let scope = &ctx.scope;
    let prefix = lamina_storage::key::prefix(&[scope.account.as_str(), scope.region.as_str()]);
    let after = match &input.next_token {
        Some(t) => Some(store::topic_key(scope, &decode_token(t)?)),
        None => None,
    };
    let entries = inner
        .table
        .scan_prefix(store::TOPICS, &prefix, after, PAGE + 1)
        .await?;
    let mut topics = Vec::new();
    let mut last = None;
    for (_, raw) in entries.iter().take(PAGE) {
        let t: TopicRecord = store::decode(raw)?;
        topics.push(json!({ "TopicArn": t.arn }));
        last = Some(t.name);
    }
    let mut out = json!({ "Topics": topics });
    if entries.len() > PAGE
        && let Some(l) = last
    {
        out["NextToken"] = Value::String(encode_token(&l));
    }
    Ok(out)
}

pub async fn load(
    inner: &Inner,
    ctx: &Ctx,
    arn: &str,
) -> Result<(Scope, store::Loaded<TopicRecord>)> {
    let (scope, name) = parse_topic_arn(ctx, arn)?;
    let t = inner
        .table
        .topic(&scope, &name)
        .await?
        .ok_or_else(SnsError::topic_not_found)?;
    Ok((scope, t))
}

pub async fn get_attributes(inner: &Inner, ctx: &Ctx, input: TopicArnInput) -> Result<Value> {
    let (scope, t) = load(inner, ctx, &input.topic_arn).await?;
    let t = t.value;
    let subs = inner.table.subs(&scope, Some(&t.name)).await?;
    let confirmed = subs.iter().filter(|s| s.value.confirmed).count();
    let mut attrs = BTreeMap::new();
    attrs.insert("DisplayName".into(), String::new());
    attrs.insert("Owner".into(), scope.account.clone());
    attrs.insert("Policy".into(), default_policy(&t.arn, &scope.account));
    attrs.insert("SubscriptionsConfirmed".into(), confirmed.to_string());
    attrs.insert(
        "SubscriptionsPending".into(),
        (subs.len() - confirmed).to_string(),
    );
    attrs.insert("SubscriptionsDeleted".into(), "0".into());
    attrs.insert("TopicArn".into(), t.arn.clone());
    attrs.insert(
        "EffectiveDeliveryPolicy".into(),
        t.attributes
            .get("DeliveryPolicy")
            .filter(|p| !p.is_empty())
            .cloned()
            .unwrap_or_else(|| DEFAULT_EFFECTIVE_DELIVERY_POLICY.to_string()),
    );
    if t.fifo() {
        attrs.insert("FifoTopic".into(), "true".into());
        attrs.insert("ContentBasedDeduplication".into(), "false".into());
    }
    for (k, v) in &t.attributes {
        attrs.insert(k.clone(), v.clone());
    }
    Ok(attributes_output(attrs))
}

/// Read-modify-write of one topic record.
pub async fn update(
    inner: &Inner,
    ctx: &Ctx,
    arn: &str,
    missing: fn() -> SnsError,
    f: impl Fn(&mut TopicRecord) -> Result<()>,
) -> Result<()> {
    let (scope, name) = parse_topic_arn(ctx, arn)?;
    let key = store::topic_key(&scope, &name);
    for _ in 0..MAX_ATTEMPTS {
        let Some(loaded) = inner.table.topic(&scope, &name).await? else {
            return Err(missing());
        };
        let mut t = loaded.value;
        f(&mut t)?;
        let mut batch = WriteBatch::new();
        batch.require_equals(store::TOPICS, key.clone(), loaded.raw);
        batch.put(store::TOPICS, key.clone(), store::encode(&t)?);
        match inner.table.commit(batch).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(SnsError::ConcurrentAccess)
}

pub async fn set_attribute(inner: &Inner, ctx: &Ctx, input: SetTopicAttributesInput) -> Result<()> {
    let name = input.attribute_name.clone();
    if !SETTABLE.contains(&name.as_str()) {
        return Err(SnsError::invalid("Invalid parameter: AttributeName"));
    }
    let value = input.attribute_value.unwrap_or_default();
    update(
        inner,
        ctx,
        &input.topic_arn,
        SnsError::topic_not_found,
        |t| {
            check_value(&name, &value, t.fifo(), false)?;
            if value.is_empty() && name != "DisplayName" {
                t.attributes.remove(&name);
            } else {
                t.attributes.insert(name.clone(), value.clone());
            }
            Ok(())
        },
    )
    .await
}

pub async fn put_data_protection_policy(
    inner: &Inner,
    ctx: &Ctx,
    input: PutDataProtectionPolicyInput,
) -> Result<()> {
    if !input.data_protection_policy.is_empty()
        && serde_json::from_str::<Value>(&input.data_protection_policy).is_err()
    {
        return Err(SnsError::invalid(
            "Invalid parameter: DataProtectionPolicy Reason: failed to parse JSON.",
        ));
    }
    let policy = input.data_protection_policy;
    update(
        inner,
        ctx,
        &input.resource_arn,
        SnsError::topic_not_found,
        |t| {
            t.data_protection_policy = Some(policy.clone()).filter(|p| !p.is_empty());
            Ok(())
        },
    )
    .await
}

pub async fn get_data_protection_policy(
    inner: &Inner,
    ctx: &Ctx,
    input: ResourceArnInput,
) -> Result<Value> {
    let (_, t) = load(inner, ctx, &input.resource_arn).await?;
    Ok(match t.value.data_protection_policy {
        Some(p) => json!({ "DataProtectionPolicy": p }),
        None => json!({}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name("a-b_C9", false));
        assert!(!valid_name("a.b", false));
        assert!(!valid_name("", false));
        assert!(!valid_name(&"a".repeat(257), false));
        assert!(valid_name(&"a".repeat(256), false));
        assert!(valid_name("t.fifo", true));
        assert!(!valid_name("t", true));
        assert!(!valid_name("t.fifo", false));
        assert!(!valid_name(".fifo", true));
    }

    #[test]
    fn default_policy_renders_like_aws() {
        let p = default_policy("arn:aws:sns:us-east-1:1:t", "1");
        assert!(p.starts_with(
            r#"{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","#
        ));
        assert!(p.ends_with(
            r#""Resource":"arn:aws:sns:us-east-1:1:t","Condition":{"StringEquals":{"AWS:SourceOwner":"1"}}}]}"#
        ));
    }
}
