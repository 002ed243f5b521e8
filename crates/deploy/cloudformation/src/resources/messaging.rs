//! `AWS::SQS::Queue`, `AWS::SQS::QueuePolicy`, `AWS::SNS::Topic` and `AWS::SNS::Subscription`.

use super::{Providers, changed, created, gone, prop_str, required, scalar_text, tags_map};
use crate::engine::{Created, ProviderError, ResourceContext};
use crate::provider;
use serde_json::{Map, Value, json};

provider!(Queue, queue);
provider!(QueuePolicy, queue_policy);
provider!(Topic, topic);
provider!(Subscription, subscription);

pub fn register(p: &mut Providers) {
    p.insert("AWS::SQS::Queue", Box::new(Queue));
    p.insert("AWS::SQS::QueuePolicy", Box::new(QueuePolicy));
    p.insert("AWS::SNS::Topic", Box::new(Topic));
    p.insert("AWS::SNS::Subscription", Box::new(Subscription));
}

mod queue {
    use super::*;

    const ATTRIBUTES: &[&str] = &[
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout",
        "RedrivePolicy",
        "RedriveAllowPolicy",
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
    ];

    /// The queue's attributes as SQS takes them: every value a string, JSON policies as text.
    fn attributes(props: &Value, with_fifo: bool) -> Map<String, Value> {
        let mut m = Map::new();
        for k in ATTRIBUTES {
            if let Some(v) = props.get(*k).filter(|v| !v.is_null()) {
                m.insert((*k).to_string(), json!(scalar_text(v)));
            }
        }
        if with_fifo && super::super::prop_bool(props, "FifoQueue") == Some(true) {
            m.insert("FifoQueue".into(), json!("true"));
        }
        m
    }

    async fn attrs(ctx: &ResourceContext, url: &str) -> Result<Value, ProviderError> {
        let a = ctx
            .call(
                "sqs",
                "GetQueueAttributes",
                json!({ "QueueUrl": url, "AttributeNames": ["QueueArn"] }),
            )
            .await?;
        let name = url.rsplit('/').next().unwrap_or_default();
        Ok(json!({ "Arn": a["Attributes"]["QueueArn"], "QueueName": name, "QueueUrl": url }))
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let fifo = super::super::prop_bool(props, "FifoQueue") == Some(true);
        let name = match prop_str(props, "QueueName") {
            Some(n) => n,
            None if fifo => format!("{}.fifo", ctx.generated_name(75)),
            None => ctx.generated_name(80),
        };
        let mut i = json!({ "QueueName": name });
        let a = attributes(props, true);
        if !a.is_empty() {
            i["Attributes"] = Value::Object(a);
        }
        let tags = tags_map(props);
        if !tags.is_empty() {
            i["tags"] = Value::Object(tags);
        }
        let q = ctx.call("sqs", "CreateQueue", i).await?;
        let url = scalar_text(&q["QueueUrl"]);
        Ok(created(&url, attrs(ctx, &url).await?))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        let mut a = attributes(new, false);
        // Removed attributes go back to SQS's defaults.
        for (k, default) in [
            ("DelaySeconds", "0"),
            ("MaximumMessageSize", "262144"),
            ("MessageRetentionPeriod", "345600"),
            ("ReceiveMessageWaitTimeSeconds", "0"),
            ("VisibilityTimeout", "30"),
            ("RedrivePolicy", ""),
        ] {
            if old.get(k).is_some() && new.get(k).is_none() {
                a.insert(k.into(), json!(default));
            }
        }
        if !a.is_empty() {
            ctx.call(
                "sqs",
                "SetQueueAttributes",
                json!({ "QueueUrl": id, "Attributes": a }),
            )
            .await?;
        }
        Ok(created(id, attrs(ctx, id).await?))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("sqs", "DeleteQueue", json!({ "QueueUrl": id }))
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["QueueName", "FifoQueue"])
    }
}

mod queue_policy {
    use super::*;

    async fn set(ctx: &ResourceContext, props: &Value, policy: &str) -> Result<(), ProviderError> {
        for url in props["Queues"].as_array().into_iter().flatten() {
            let i = json!({ "QueueUrl": scalar_text(url), "Attributes": { "Policy": policy } });
            gone(ctx.call("sqs", "SetQueueAttributes", i).await)
                .or_else(|e| if policy.is_empty() { Ok(()) } else { Err(e) })?;
        }
        Ok(())
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let doc = props
            .get("PolicyDocument")
            .ok_or_else(|| ProviderError::new("Property PolicyDocument cannot be empty."))?;
        set(ctx, props, &scalar_text(doc)).await?;
        Ok(created(ctx.generated_name(64), json!({})))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        set(ctx, old, "").await?;
        set(ctx, new, &scalar_text(&new["PolicyDocument"])).await?;
        Ok(created(id, json!({})))
    }

    pub async fn delete(
        ctx: &ResourceContext,
        _: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        set(ctx, props, "").await
    }

    pub fn replace(_: &Value, _: &Value) -> bool {
        false
    }
}

mod topic {
    use super::*;

    const ATTRIBUTES: &[&str] = &[
        "DisplayName",
        "KmsMasterKeyId",
        "ContentBasedDeduplication",
        "SignatureVersion",
        "TracingConfig",
        "DeliveryPolicy",
        "ArchivePolicy",
    ];

    async fn subscribe(
        ctx: &ResourceContext,
        arn: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        for s in props["Subscription"].as_array().into_iter().flatten() {
            ctx.call(
                "sns",
                "Subscribe",
                json!({
                    "TopicArn": arn,
                    "Protocol": required(s, "Protocol")?,
                    "Endpoint": required(s, "Endpoint")?,
                    "ReturnSubscriptionArn": true,
                }),
            )
            .await?;
        }
        Ok(())
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let fifo = super::super::prop_bool(props, "FifoTopic") == Some(true);
        let name = match prop_str(props, "TopicName") {
            Some(n) => n,
            None if fifo => format!("{}.fifo", ctx.generated_name(251)),
            None => ctx.generated_name(256),
        };
        let mut attrs = Map::new();
        for k in ATTRIBUTES {
            if let Some(v) = props.get(*k) {
                attrs.insert((*k).to_string(), json!(scalar_text(v)));
            }
        }
        if fifo {
            attrs.insert("FifoTopic".into(), json!("true"));
        }
        let mut i = json!({ "Name": name });
        if !attrs.is_empty() {
            i["Attributes"] = Value::Object(attrs);
        }
        let tags = tags_map(props);
        if !tags.is_empty() {
            i["Tags"] = tags
                .iter()
                .map(|(k, v)| json!({ "Key": k, "Value": v }))
                .collect();
        }
        let t = ctx.call("sns", "CreateTopic", i).await?;
        let arn = scalar_text(&t["TopicArn"]);
        subscribe(ctx, &arn, props).await?;
        Ok(created(&arn, json!({ "TopicArn": arn, "TopicName": name })))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        for k in ATTRIBUTES {
            if old.get(*k) != new.get(*k) {
                let v = new.get(*k).map(scalar_text).unwrap_or_default();
                ctx.call(
                    "sns",
                    "SetTopicAttributes",
                    json!({ "TopicArn": id, "AttributeName": k, "AttributeValue": v }),
                )
                .await?;
            }
        }
        if changed(old, new, &["Subscription"]) {
            let listed = ctx
                .call("sns", "ListSubscriptionsByTopic", json!({ "TopicArn": id }))
                .await?;
            let wanted = new["Subscription"].as_array().cloned().unwrap_or_default();
            let olds = old["Subscription"].as_array().cloned().unwrap_or_default();
            for s in listed["Subscriptions"].as_array().into_iter().flatten() {
                let same =
                    |x: &Value| x["Protocol"] == s["Protocol"] && x["Endpoint"] == s["Endpoint"];
                if olds.iter().any(same) && !wanted.iter().any(same) {
                    gone(
                        ctx.call(
                            "sns",
                            "Unsubscribe",
                            json!({ "SubscriptionArn": s["SubscriptionArn"] }),
                        )
                        .await,
                    )?;
                }
            }
            let fresh = json!({ "Subscription": wanted.iter().filter(|w| !olds.contains(w)).cloned().collect::<Vec<_>>() });
            subscribe(ctx, id, &fresh).await?;
        }
        let name = id.rsplit(':').next().unwrap_or_default();
        Ok(created(id, json!({ "TopicArn": id, "TopicName": name })))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("sns", "DeleteTopic", json!({ "TopicArn": id }))
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["TopicName", "FifoTopic"])
    }
}

mod subscription {
    use super::*;

    const ATTRIBUTES: &[&str] = &[
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    ];

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let mut attrs = Map::new();
        for k in ATTRIBUTES {
            if let Some(v) = props.get(*k) {
                attrs.insert((*k).to_string(), json!(scalar_text(v)));
            }
        }
        let mut i = json!({
            "TopicArn": required(props, "TopicArn")?,
            "Protocol": required(props, "Protocol")?,
            "ReturnSubscriptionArn": true,
        });
        if let Some(e) = prop_str(props, "Endpoint") {
            i["Endpoint"] = json!(e);
        }
        if !attrs.is_empty() {
            i["Attributes"] = Value::Object(attrs);
        }
        let s = ctx.call("sns", "Subscribe", i).await?;
        let arn = scalar_text(&s["SubscriptionArn"]);
        Ok(created(&arn, json!({ "Arn": arn })))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        for k in ATTRIBUTES {
            if old.get(*k) != new.get(*k) {
                let v = new.get(*k).map(scalar_text).unwrap_or_default();
                ctx.call(
                    "sns",
                    "SetSubscriptionAttributes",
                    json!({ "SubscriptionArn": id, "AttributeName": k, "AttributeValue": v }),
                )
                .await?;
            }
        }
        Ok(created(id, json!({ "Arn": id })))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("sns", "Unsubscribe", json!({ "SubscriptionArn": id }))
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["TopicArn", "Protocol", "Endpoint"])
    }
}
