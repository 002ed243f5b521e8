//! Typed inputs and outputs in the canonical (JSON) form, member names as in the model. A
//! test checks every field against the model shape it mirrors.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTopicInput {
    pub name: String,
    pub attributes: Option<BTreeMap<String, String>>,
    pub tags: Option<Vec<Tag>>,
    pub data_protection_policy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicArnInput {
    pub topic_arn: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ListInput {
    pub topic_arn: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetTopicAttributesInput {
    pub topic_arn: String,
    pub attribute_name: String,
    pub attribute_value: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct SubscribeInput {
    pub topic_arn: String,
    pub protocol: String,
    pub endpoint: Option<String>,
    pub attributes: Option<BTreeMap<String, String>>,
    pub return_subscription_arn: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmSubscriptionInput {
    pub topic_arn: String,
    pub token: String,
    pub authenticate_on_unsubscribe: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscriptionArnInput {
    pub subscription_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetSubscriptionAttributesInput {
    pub subscription_arn: String,
    pub attribute_name: String,
    pub attribute_value: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subscription {
    pub subscription_arn: String,
    pub owner: String,
    pub protocol: String,
    pub endpoint: String,
    pub topic_arn: String,
}

/// `{"DataType": .., "StringValue": ..}` or `{"DataType": .., "BinaryValue": <base64>}`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct MessageAttributeValue {
    pub data_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<String>,
}

pub type MessageAttributes = BTreeMap<String, MessageAttributeValue>;

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct PublishInput {
    pub topic_arn: Option<String>,
    pub target_arn: Option<String>,
    pub phone_number: Option<String>,
    pub message: String,
    pub subject: Option<String>,
    pub message_structure: Option<String>,
    pub message_attributes: Option<MessageAttributes>,
    pub message_deduplication_id: Option<String>,
    pub message_group_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishResponse {
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct PublishBatchRequestEntry {
    pub id: String,
    pub message: String,
    pub subject: Option<String>,
    pub message_structure: Option<String>,
    pub message_attributes: Option<MessageAttributes>,
    pub message_deduplication_id: Option<String>,
    pub message_group_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishBatchInput {
    pub topic_arn: String,
    pub publish_batch_request_entries: Vec<PublishBatchRequestEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishBatchResultEntry {
    pub id: String,
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchResultErrorEntry {
    pub id: String,
    pub code: String,
    pub message: String,
    pub sender_fault: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishBatchResponse {
    pub successful: Vec<PublishBatchResultEntry>,
    pub failed: Vec<BatchResultErrorEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceRequest {
    pub resource_arn: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceRequest {
    pub resource_arn: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceArnInput {
    pub resource_arn: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutDataProtectionPolicyInput {
    pub resource_arn: String,
    pub data_protection_policy: String,
}

/// An attribute map as outputs carry it.
pub fn attributes_output(attrs: BTreeMap<String, String>) -> Value {
    let mut m = Map::new();
    m.insert(
        "Attributes".into(),
        Value::Object(
            attrs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ),
    );
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    //! Every struct's fields must be members of the model shape it mirrors.
    use super::*;

    fn check<T: for<'de> Deserialize<'de>>(shape: &str) {
        lamina_model::conformance::check_struct::<T>("sns", shape, &[]);
    }

    /// Output structs are checked by their serialized field names.
    fn check_out(shape: &str, v: Value) {
        lamina_model::conformance::check_serialized("sns", shape, &v);
    }

    #[test]
    fn structs_match_model() {
        check::<Tag>("Tag");
        check::<CreateTopicInput>("CreateTopicInput");
        check::<TopicArnInput>("GetTopicAttributesInput");
        check::<TopicArnInput>("DeleteTopicInput");
        check::<ListInput>("ListSubscriptionsByTopicInput");
        check::<SetTopicAttributesInput>("SetTopicAttributesInput");
        check::<SubscribeInput>("SubscribeInput");
        check::<ConfirmSubscriptionInput>("ConfirmSubscriptionInput");
        check::<SubscriptionArnInput>("UnsubscribeInput");
        check::<SubscriptionArnInput>("GetSubscriptionAttributesInput");
        check::<SetSubscriptionAttributesInput>("SetSubscriptionAttributesInput");
        check::<MessageAttributeValue>("MessageAttributeValue");
        check::<PublishInput>("PublishInput");
        check::<PublishBatchRequestEntry>("PublishBatchRequestEntry");
        check::<PublishBatchInput>("PublishBatchInput");
        check::<TagResourceRequest>("TagResourceRequest");
        check::<UntagResourceRequest>("UntagResourceRequest");
        check::<ResourceArnInput>("ListTagsForResourceRequest");
        check::<ResourceArnInput>("GetDataProtectionPolicyInput");
        check::<PutDataProtectionPolicyInput>("PutDataProtectionPolicyInput");
        check_out(
            "Subscription",
            serde_json::to_value(Subscription {
                subscription_arn: String::new(),
                owner: String::new(),
                protocol: String::new(),
                endpoint: String::new(),
                topic_arn: String::new(),
            })
            .unwrap(),
        );
        check_out(
            "PublishBatchResponse",
            serde_json::to_value(PublishBatchResponse {
                successful: vec![],
                failed: vec![],
            })
            .unwrap(),
        );
        check_out(
            "PublishBatchResultEntry",
            serde_json::to_value(PublishBatchResultEntry {
                id: String::new(),
                message_id: String::new(),
                sequence_number: Some(String::new()),
            })
            .unwrap(),
        );
        check_out(
            "BatchResultErrorEntry",
            serde_json::to_value(BatchResultErrorEntry {
                id: String::new(),
                code: String::new(),
                message: String::new(),
                sender_fault: true,
            })
            .unwrap(),
        );
        check_out(
            "PublishResponse",
            serde_json::to_value(PublishResponse {
                message_id: String::new(),
                sequence_number: Some(String::new()),
            })
            .unwrap(),
        );
    }
}
