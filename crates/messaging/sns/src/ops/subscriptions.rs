//! Subscribe, ConfirmSubscription, Unsubscribe, ListSubscriptions(ByTopic),
//! Get/SetSubscriptionAttributes.

use super::topics::{self, DEFAULT_EFFECTIVE_DELIVERY_POLICY};
use super::{Ctx, MAX_ATTEMPTS, PAGE, decode_token, encode_token, parse_sub_arn};
use crate::Inner;
use crate::delivery;
use crate::error::{Result, SnsError};
use crate::filter::{Policy, Scope as FilterScope};
use crate::store::{self, Scope, SubRecord};
use crate::types::{
    ConfirmSubscriptionInput, ListInput, SetSubscriptionAttributesInput, SubscribeInput,
    Subscription, SubscriptionArnInput, attributes_output,
};
use lamina_storage::{StoreError, WriteBatch};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const PROTOCOLS: &[&str] = &[
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
];

const ATTRIBUTES: &[&str] = &[
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
];

/// Protocols whose subscriptions wait for a confirmation.
fn needs_confirmation(protocol: &str) -> bool {
    matches!(protocol, "http" | "https" | "email" | "email-json")
}

fn is_arn_of(endpoint: &str, service: &str) -> bool {
    let p: Vec<&str> = endpoint.split(':').collect();
    p.len() >= 6 && p[0] == "arn" && p[2] == service && !p[5].is_empty()
}

fn check_endpoint(protocol: &str, endpoint: &str, topic_fifo: bool) -> Result<()> {
    let invalid = |m: &str| Err(SnsError::invalid(m.to_string()));
    match protocol {
        "http" | "https" if !endpoint.starts_with(&format!("{protocol}://")) => {
            invalid("Invalid parameter: Endpoint must match the specified protocol")
        }
        "sqs" if !is_arn_of(endpoint, "sqs") => invalid("Invalid parameter: SQS endpoint ARN"),
        "sqs" if endpoint.ends_with(".fifo") && !topic_fifo => invalid(
            "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
        ),
        "lambda" if !is_arn_of(endpoint, "lambda") => {
            invalid("Invalid parameter: Lambda endpoint ARN")
        }
        "email" | "email-json" if !endpoint.contains('@') => {
            invalid("Invalid parameter: Email address")
        }
        "sms" if !valid_phone(endpoint) => Err(SnsError::invalid(format!(
            "Invalid SMS endpoint: {endpoint}"
        ))),
        "application" if !is_arn_of(endpoint, "sns") => {
            invalid("Invalid parameter: ApplicationEndpoint ARN")
        }
        "firehose" if !is_arn_of(endpoint, "firehose") => {
            invalid("Invalid parameter: Firehose endpoint ARN")
        }
        _ => Ok(()),
    }
}

pub fn valid_phone(p: &str) -> bool {
    let digits = p.strip_prefix('+').unwrap_or(p);
    (7..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
}

/// Checks one subscription attribute; returns the value to store. `prefix` differs between
/// Subscribe (`Invalid parameter: Attributes Reason: `) and SetSubscriptionAttributes.
fn check_attribute(
    prefix: &str,
    name: &str,
    value: &str,
    sub: (&str, &str),
    topic_fifo: bool,
    filter_scope: FilterScope,
) -> Result<String> {
    let (protocol, endpoint) = sub;
    let invalid = |m: String| Err(SnsError::invalid(format!("{prefix}{m}")));
    match name {
        _ if !ATTRIBUTES.contains(&name) => invalid("AttributeName".into()),
        "RawMessageDelivery" => {
            let v = value.to_ascii_lowercase();
            if v != "true" && v != "false" {
                return invalid(format!(
                    "RawMessageDelivery: Invalid value [{value}]. Must be true or false."
                ));
            }
            if v == "true" && !matches!(protocol, "sqs" | "http" | "https" | "firehose") {
                return invalid(format!(
                    "Delivery protocol [{protocol}] does not support raw message delivery."
                ));
            }
            Ok(v)
        }
        "FilterPolicyScope" => match FilterScope::parse(value) {
            Some(_) => Ok(value.to_string()),
            None => invalid(format!(
                "FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
            )),
        },
        "FilterPolicy" => {
            if !value.is_empty()
                && let Err(e) = Policy::parse(value, filter_scope)
            {
                return invalid(e.0);
            }
            Ok(value.to_string())
        }
        "RedrivePolicy" => {
            let parsed: Value = match serde_json::from_str(value) {
                Ok(v) => v,
                Err(_) => return invalid("RedrivePolicy: failed to parse JSON.".into()),
            };
            let target = parsed
                .get("deadLetterTargetArn")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !is_arn_of(target, "sqs") {
                return invalid("RedrivePolicy: deadLetterTargetArn is an invalid arn".into());
            }
            if topic_fifo && endpoint.ends_with(".fifo") && !target.ends_with(".fifo") {
                return invalid(
                    "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
                        .into(),
                );
            }
            Ok(value.to_string())
        }
        "DeliveryPolicy" => match serde_json::from_str::<Value>(value) {
            Ok(Value::Object(_)) => Ok(value.to_string()),
            _ => invalid("DeliveryPolicy: failed to parse JSON.".into()),
        },
        _ => Ok(value.to_string()),
    }
}

fn filter_scope_of(attrs: &BTreeMap<String, String>) -> FilterScope {
    attrs
        .get("FilterPolicyScope")
        .and_then(|s| FilterScope::parse(s))
        .unwrap_or(FilterScope::MessageAttributes)
}

pub async fn subscribe(inner: &Inner, ctx: &Ctx, input: SubscribeInput) -> Result<Value> {
    let (scope, topic) = topics::load(inner, ctx, &input.topic_arn).await?;
    let topic = topic.value;
    let protocol = input.protocol.as_str();
    if !PROTOCOLS.contains(&protocol) {
        return Err(SnsError::invalid(format!(
            "Invalid parameter: Amazon SNS does not support this protocol string: {protocol}"
        )));
    }
    let Some(endpoint) = input.endpoint.filter(|e| !e.is_empty()) else {
        return Err(SnsError::invalid(
            "Invalid parameter: Endpoint Reason: no value for required parameter",
        ));
    };
    check_endpoint(protocol, &endpoint, topic.fifo())?;
    let given = input.attributes.unwrap_or_default();
    let scope_of_filter = filter_scope_of(&given);
    let mut attrs = BTreeMap::new();
    for (k, v) in &given {
        let stored = check_attribute(
            "Invalid parameter: Attributes Reason: ",
            k,
            v,
            (protocol, &endpoint),
            topic.fifo(),
            scope_of_filter,
        )?;
        attrs.insert(k.clone(), stored);
    }
    let return_arn = input.return_subscription_arn.unwrap_or(false);
    for existing in inner.table.subs(&scope, Some(&topic.name)).await? {
        let s = existing.value;
        if s.protocol == protocol && s.endpoint == endpoint {
            if attrs.iter().any(|(k, v)| s.attributes.get(k) != Some(v)) {
                return Err(SnsError::invalid(
                    "Invalid parameter: Attributes Reason: Subscription already exists with different attributes",
                ));
            }
            let arn = if s.confirmed || return_arn {
                s.arn
            } else {
                "pending confirmation".to_string()
            };
            return Ok(json!({ "SubscriptionArn": arn }));
        }
    }
    let id = super::uuid();
    let sub = SubRecord {
        v: store::FORMAT,
        arn: format!("{}:{id}", topic.arn),
        id: id.clone(),
        topic_arn: topic.arn.clone(),
        topic: topic.name.clone(),
        protocol: protocol.to_string(),
        endpoint: endpoint.clone(),
        owner: scope.account.clone(),
        confirmed: !needs_confirmation(protocol),
        authenticated: !needs_confirmation(protocol),
        token: super::token(),
        attributes: attrs,
    };
    let mut batch = WriteBatch::new();
    batch.require_exists(store::TOPICS, store::topic_key(&scope, &topic.name));
    batch.put(
        store::SUBS,
        store::sub_key(&scope, &topic.name, &id),
        store::encode(&sub)?,
    );
    if needs_confirmation(protocol) {
        delivery::confirmation(&mut batch, &scope, ctx, &topic, &sub)?;
    }
    inner.table.commit(batch).await?;
    inner.wake.notify_one();
    let arn = if sub.confirmed || return_arn {
        sub.arn
    } else {
        "pending confirmation".to_string()
    };
    Ok(json!({ "SubscriptionArn": arn }))
}

/// Read-modify-write of one subscription.
async fn update_sub(
    inner: &Inner,
    arn: &str,
    f: impl Fn(&mut SubRecord) -> Result<()>,
) -> Result<()> {
    let (scope, topic, id) = parse_sub_arn(arn)?;
    let key = store::sub_key(&scope, &topic, &id);
    for _ in 0..MAX_ATTEMPTS {
        let Some(loaded) = inner.table.get::<SubRecord>(store::SUBS, &key).await? else {
            return Err(SnsError::subscription_not_found());
        };
        let mut s = loaded.value;
        f(&mut s)?;
        let mut batch = WriteBatch::new();
        batch.require_equals(store::SUBS, key.clone(), loaded.raw);
        batch.put(store::SUBS, key.clone(), store::encode(&s)?);
        match inner.table.commit(batch).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(SnsError::ConcurrentAccess)
}

pub async fn confirm(inner: &Inner, ctx: &Ctx, input: ConfirmSubscriptionInput) -> Result<Value> {
    let (scope, topic) = topics::load(inner, ctx, &input.topic_arn).await?;
    let found = inner
        .table
        .subs(&scope, Some(&topic.value.name))
        .await?
        .into_iter()
        .find(|s| s.value.token == input.token);
    let Some(sub) = found else {
        return Err(SnsError::invalid("Invalid parameter: Token"));
    };
    let authenticated = input
        .authenticate_on_unsubscribe
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    if !sub.value.confirmed {
        update_sub(inner, &sub.value.arn, |s| {
            s.confirmed = true;
            s.authenticated = s.authenticated || authenticated;
            Ok(())
        })
        .await?;
    }
    Ok(json!({ "SubscriptionArn": sub.value.arn }))
}

pub async fn unsubscribe(inner: &Inner, input: SubscriptionArnInput) -> Result<()> {
    let (scope, topic, id) = parse_sub_arn(&input.subscription_arn)?;
    let mut batch = WriteBatch::new();
    batch.delete(store::SUBS, store::sub_key(&scope, &topic, &id));
    inner.table.commit(batch).await?;
    Ok(())
}

fn listing(s: &SubRecord) -> Subscription {
    Subscription {
        subscription_arn: if s.confirmed {
            s.arn.clone()
        } else {
            "PendingConfirmation".into()
        },
        owner: s.owner.clone(),
        protocol: s.protocol.clone(),
        endpoint: s.endpoint.clone(),
        topic_arn: s.topic_arn.clone(),
    }
}

pub async fn list(inner: &Inner, ctx: &Ctx, input: ListInput) -> Result<Value> {
    let (scope, topic) = match &input.topic_arn {
        Some(arn) => {
            let (scope, t) = topics::load(inner, ctx, arn).await?;
            (scope, Some(t.value.name))
        }
        None => (ctx.scope.clone(), None),
    };
    let prefix = store::subs_prefix(&scope, topic.as_deref());
    let after = match &input.next_token {
        Some(t) => {
            let mut k = prefix.clone();
            k.extend_from_slice(decode_token(t)?.as_bytes());
            Some(k)
        }
        None => None,
    };
    let entries = inner
        .table
        .scan_prefix(store::SUBS, &prefix, after, PAGE + 1)
        .await?;
    let mut subs = Vec::new();
    for (_, raw) in entries.iter().take(PAGE) {
        subs.push(listing(&store::decode(raw)?));
    }
    let mut out = json!({ "Subscriptions": subs });
    if entries.len() > PAGE
        && let Some((k, _)) = entries.get(PAGE - 1)
    {
        let rest = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
        out["NextToken"] = Value::String(encode_token(&rest));
    }
    Ok(out)
}

async fn load_sub(inner: &Inner, arn: &str) -> Result<(Scope, SubRecord)> {
    let (scope, topic, id) = parse_sub_arn(arn)?;
    let s = inner
        .table
        .get::<SubRecord>(store::SUBS, &store::sub_key(&scope, &topic, &id))
        .await?
        .ok_or_else(SnsError::subscription_not_found)?;
    Ok((scope, s.value))
}

pub async fn get_attributes(inner: &Inner, input: SubscriptionArnInput) -> Result<Value> {
    let (scope, s) = load_sub(inner, &input.subscription_arn).await?;
    let mut a = BTreeMap::new();
    a.insert("SubscriptionArn".into(), s.arn.clone());
    a.insert("TopicArn".into(), s.topic_arn.clone());
    a.insert("Protocol".into(), s.protocol.clone());
    a.insert("Endpoint".into(), s.endpoint.clone());
    a.insert("Owner".into(), s.owner.clone());
    a.insert("PendingConfirmation".into(), (!s.confirmed).to_string());
    a.insert(
        "ConfirmationWasAuthenticated".into(),
        s.authenticated.to_string(),
    );
    a.insert("RawMessageDelivery".into(), "false".into());
    a.insert(
        "SubscriptionPrincipal".into(),
        format!("arn:aws:iam::{}:root", scope.account),
    );
    for (k, v) in &s.attributes {
        if !v.is_empty() {
            a.insert(k.clone(), v.clone());
        }
    }
    if a.contains_key("FilterPolicy") {
        a.entry("FilterPolicyScope".into())
            .or_insert_with(|| "MessageAttributes".into());
    } else {
        a.remove("FilterPolicyScope");
    }
    if matches!(s.protocol.as_str(), "http" | "https") {
        let effective = s
            .attributes
            .get("DeliveryPolicy")
            .cloned()
            .unwrap_or_else(|| DEFAULT_EFFECTIVE_DELIVERY_POLICY.to_string());
        a.insert("EffectiveDeliveryPolicy".into(), effective);
    }
    Ok(attributes_output(a))
}

pub async fn set_attribute(inner: &Inner, input: SetSubscriptionAttributesInput) -> Result<()> {
    let (_, current) = load_sub(inner, &input.subscription_arn).await?;
    let fifo = current.topic.ends_with(".fifo");
    let name = input.attribute_name;
    let value = input.attribute_value.unwrap_or_default();
    update_sub(inner, &input.subscription_arn, |s| {
        let mut scope = filter_scope_of(&s.attributes);
        if name == "FilterPolicyScope" {
            scope = FilterScope::parse(&value).unwrap_or(scope);
        }
        let stored = check_attribute(
            "Invalid parameter: ",
            &name,
            &value,
            (&s.protocol, &s.endpoint),
            fifo,
            scope,
        )?;
        if name == "FilterPolicyScope"
            && let Some(p) = s.attributes.get("FilterPolicy").filter(|p| !p.is_empty())
        {
            Policy::parse(p, scope)
                .map_err(|e| SnsError::invalid(format!("Invalid parameter: {}", e.0)))?;
        }
        s.attributes.insert(name.clone(), stored);
        Ok(())
    })
    .await
}

/// The parsed filter of a subscription, if it has one.
pub fn filter_of(s: &SubRecord) -> Option<Policy> {
    let text = s.attributes.get("FilterPolicy").filter(|p| !p.is_empty())?;
    // Validated when set; a policy that no longer parses filters nothing out.
    Policy::parse(text, filter_scope_of(&s.attributes)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert!(check_endpoint("http", "http://x", false).is_ok());
        assert!(check_endpoint("https", "http://x", false).is_err());
        assert!(check_endpoint("sqs", "arn:aws:sqs:us-east-1:1:q", false).is_ok());
        assert!(check_endpoint("sqs", "arn:aws:sqs:us-east-1:1:q.fifo", false).is_err());
        assert!(check_endpoint("sqs", "arn:aws:sqs:us-east-1:1:q.fifo", true).is_ok());
        assert!(check_endpoint("sqs", "q", false).is_err());
        assert!(check_endpoint("lambda", "arn:aws:lambda:us-east-1:1:function:f", false).is_ok());
        assert!(check_endpoint("sms", "+15555550100", false).is_ok());
        assert!(check_endpoint("sms", "call me", false).is_err());
        assert!(check_endpoint("email", "a@b.c", false).is_ok());
    }

    #[test]
    fn attribute_messages() {
        let sub = ("sqs", "arn:aws:sqs:us-east-1:1:q");
        let a = FilterScope::MessageAttributes;
        let e = check_attribute("P: ", "Nope", "x", sub, false, a).unwrap_err();
        assert_eq!(e.to_string(), "P: AttributeName");
        let e = check_attribute("P: ", "RawMessageDelivery", "yes", sub, false, a).unwrap_err();
        assert_eq!(
            e.to_string(),
            "P: RawMessageDelivery: Invalid value [yes]. Must be true or false."
        );
        assert_eq!(
            check_attribute("P: ", "RawMessageDelivery", "TRUE", sub, false, a).unwrap(),
            "true"
        );
        let e = check_attribute("P: ", "RedrivePolicy", "{}", sub, false, a).unwrap_err();
        assert_eq!(
            e.to_string(),
            "P: RedrivePolicy: deadLetterTargetArn is an invalid arn"
        );
        let e = check_attribute("P: ", "FilterPolicy", r#"{"a":{"b":["c"]}}"#, sub, false, a)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "P: Filter policy scope MessageAttributes does not support nested filter policy"
        );
    }
}
