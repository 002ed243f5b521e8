//! Typed inputs and outputs in the canonical (JSON protocol) form, member names as in the
//! model. A test checks every field against the model shape it mirrors.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub type Attrs = BTreeMap<String, String>;
pub type MessageAttrs = BTreeMap<String, AttributeValue>;

/// `MessageAttributeValue` / `MessageSystemAttributeValue` (blobs as base64 strings).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeValue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub string_list_values: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary_list_values: Option<Vec<String>>,
    pub data_type: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateQueueRequest {
    pub queue_name: String,
    pub attributes: Option<Attrs>,
    #[serde(rename = "tags")]
    pub tags: Option<Attrs>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueUrlResult {
    pub queue_url: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueUrlRequest {
    pub queue_name: String,
    #[serde(rename = "QueueOwnerAWSAccountId")]
    pub queue_owner_aws_account_id: Option<String>,
}

/// Every request that names only a queue (DeleteQueue, PurgeQueue, ListQueueTags).
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueueRequest {
    pub queue_url: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueuesRequest {
    pub queue_name_prefix: Option<String>,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueuesResult {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queue_urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueAttributesRequest {
    pub queue_url: String,
    pub attribute_names: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetQueueAttributesResult {
    #[serde(skip_serializing_if = "Attrs::is_empty")]
    pub attributes: Attrs,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetQueueAttributesRequest {
    pub queue_url: String,
    pub attributes: Attrs,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagQueueRequest {
    pub queue_url: String,
    pub tags: Attrs,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagQueueRequest {
    pub queue_url: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListQueueTagsResult {
    #[serde(skip_serializing_if = "Attrs::is_empty")]
    pub tags: Attrs,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddPermissionRequest {
    pub queue_url: String,
    pub label: String,
    #[serde(rename = "AWSAccountIds")]
    pub aws_account_ids: Vec<String>,
    pub actions: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemovePermissionRequest {
    pub queue_url: String,
    pub label: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListDeadLetterSourceQueuesRequest {
    pub queue_url: String,
    pub next_token: Option<String>,
    pub max_results: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize)]
pub struct ListDeadLetterSourceQueuesResult {
    #[serde(rename = "queueUrls")]
    pub queue_urls: Vec<String>,
    #[serde(rename = "NextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageRequest {
    pub queue_url: String,
    pub message_body: String,
    pub delay_seconds: Option<i64>,
    pub message_attributes: Option<MessageAttrs>,
    pub message_system_attributes: Option<MessageAttrs>,
    pub message_deduplication_id: Option<String>,
    pub message_group_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageResult {
    #[serde(rename = "MD5OfMessageBody")]
    pub md5_of_message_body: String,
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_attributes: Option<String>,
    #[serde(
        rename = "MD5OfMessageSystemAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_system_attributes: Option<String>,
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchRequestEntry {
    pub id: String,
    pub message_body: String,
    pub delay_seconds: Option<i64>,
    pub message_attributes: Option<MessageAttrs>,
    pub message_system_attributes: Option<MessageAttrs>,
    pub message_deduplication_id: Option<String>,
    pub message_group_id: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchRequest {
    pub queue_url: String,
    pub entries: Vec<SendMessageBatchRequestEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchResultEntry {
    pub id: String,
    pub message_id: String,
    #[serde(rename = "MD5OfMessageBody")]
    pub md5_of_message_body: String,
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_attributes: Option<String>,
    #[serde(
        rename = "MD5OfMessageSystemAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_system_attributes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchResultErrorEntry {
    pub id: String,
    pub sender_fault: bool,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendMessageBatchResult {
    pub successful: Vec<SendMessageBatchResultEntry>,
    pub failed: Vec<BatchResultErrorEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiveMessageRequest {
    pub queue_url: String,
    pub attribute_names: Option<Vec<String>>,
    pub message_system_attribute_names: Option<Vec<String>>,
    pub message_attribute_names: Option<Vec<String>>,
    pub max_number_of_messages: Option<i64>,
    pub visibility_timeout: Option<i64>,
    pub wait_time_seconds: Option<i64>,
    pub receive_request_attempt_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Message {
    pub message_id: String,
    pub receipt_handle: String,
    #[serde(rename = "MD5OfBody")]
    pub md5_of_body: String,
    pub body: String,
    #[serde(skip_serializing_if = "Attrs::is_empty", default)]
    pub attributes: Attrs,
    #[serde(
        rename = "MD5OfMessageAttributes",
        skip_serializing_if = "Option::is_none"
    )]
    pub md5_of_message_attributes: Option<String>,
    #[serde(skip_serializing_if = "MessageAttrs::is_empty", default)]
    pub message_attributes: MessageAttrs,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReceiveMessageResult {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageRequest {
    pub queue_url: String,
    pub receipt_handle: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageBatchRequestEntry {
    pub id: String,
    pub receipt_handle: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteMessageBatchRequest {
    pub queue_url: String,
    pub entries: Vec<DeleteMessageBatchRequestEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchResultEntry {
    pub id: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchResult {
    pub successful: Vec<BatchResultEntry>,
    pub failed: Vec<BatchResultErrorEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeMessageVisibilityRequest {
    pub queue_url: String,
    pub receipt_handle: String,
    pub visibility_timeout: i64,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeMessageVisibilityBatchRequestEntry {
    pub id: String,
    pub receipt_handle: String,
    pub visibility_timeout: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeMessageVisibilityBatchRequest {
    pub queue_url: String,
    pub entries: Vec<ChangeMessageVisibilityBatchRequestEntry>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartMessageMoveTaskRequest {
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub max_number_of_messages_per_second: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StartMessageMoveTaskResult {
    pub task_handle: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelMessageMoveTaskRequest {
    pub task_handle: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CancelMessageMoveTaskResult {
    pub approximate_number_of_messages_moved: i64,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMessageMoveTasksRequest {
    pub source_arn: String,
    pub max_results: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMessageMoveTasksResultEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_handle: Option<String>,
    pub status: String,
    pub source_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_number_of_messages_per_second: Option<i64>,
    pub approximate_number_of_messages_moved: i64,
    pub approximate_number_of_messages_to_move: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub started_timestamp: i64,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListMessageMoveTasksResult {
    pub results: Vec<ListMessageMoveTasksResultEntry>,
}

#[cfg(test)]
mod tests {
    //! Every struct's fields must be members of the model shape it mirrors.
    use super::*;

    fn check<T: for<'de> Deserialize<'de>>(shape: &str) {
        lamina_model::conformance::check_struct::<T>("sqs", shape, &[]);
    }

    #[test]
    fn structs_match_model() {
        check::<AttributeValue>("MessageAttributeValue");
        check::<AttributeValue>("MessageSystemAttributeValue");
        check::<CreateQueueRequest>("CreateQueueRequest");
        check::<QueueUrlResult>("CreateQueueResult");
        check::<QueueUrlResult>("GetQueueUrlResult");
        check::<GetQueueUrlRequest>("GetQueueUrlRequest");
        for s in [
            "DeleteQueueRequest",
            "PurgeQueueRequest",
            "ListQueueTagsRequest",
        ] {
            check::<QueueRequest>(s);
        }
        check::<ListQueuesRequest>("ListQueuesRequest");
        check::<ListQueuesResult>("ListQueuesResult");
        check::<GetQueueAttributesRequest>("GetQueueAttributesRequest");
        check::<GetQueueAttributesResult>("GetQueueAttributesResult");
        check::<SetQueueAttributesRequest>("SetQueueAttributesRequest");
        check::<TagQueueRequest>("TagQueueRequest");
        check::<UntagQueueRequest>("UntagQueueRequest");
        check::<ListQueueTagsResult>("ListQueueTagsResult");
        check::<AddPermissionRequest>("AddPermissionRequest");
        check::<RemovePermissionRequest>("RemovePermissionRequest");
        check::<ListDeadLetterSourceQueuesRequest>("ListDeadLetterSourceQueuesRequest");
        check::<ListDeadLetterSourceQueuesResult>("ListDeadLetterSourceQueuesResult");
        check::<SendMessageRequest>("SendMessageRequest");
        check::<SendMessageResult>("SendMessageResult");
        check::<SendMessageBatchRequestEntry>("SendMessageBatchRequestEntry");
        check::<SendMessageBatchRequest>("SendMessageBatchRequest");
        check::<SendMessageBatchResultEntry>("SendMessageBatchResultEntry");
        check::<BatchResultErrorEntry>("BatchResultErrorEntry");
        check::<SendMessageBatchResult>("SendMessageBatchResult");
        check::<ReceiveMessageRequest>("ReceiveMessageRequest");
        check::<Message>("Message");
        check::<ReceiveMessageResult>("ReceiveMessageResult");
        check::<DeleteMessageRequest>("DeleteMessageRequest");
        check::<DeleteMessageBatchRequestEntry>("DeleteMessageBatchRequestEntry");
        check::<DeleteMessageBatchRequest>("DeleteMessageBatchRequest");
        check::<BatchResultEntry>("DeleteMessageBatchResultEntry");
        check::<BatchResultEntry>("ChangeMessageVisibilityBatchResultEntry");
        check::<BatchResult>("DeleteMessageBatchResult");
        check::<BatchResult>("ChangeMessageVisibilityBatchResult");
        check::<ChangeMessageVisibilityRequest>("ChangeMessageVisibilityRequest");
        check::<ChangeMessageVisibilityBatchRequestEntry>(
            "ChangeMessageVisibilityBatchRequestEntry",
        );
        check::<ChangeMessageVisibilityBatchRequest>("ChangeMessageVisibilityBatchRequest");
        check::<StartMessageMoveTaskRequest>("StartMessageMoveTaskRequest");
        check::<StartMessageMoveTaskResult>("StartMessageMoveTaskResult");
        check::<CancelMessageMoveTaskRequest>("CancelMessageMoveTaskRequest");
        check::<CancelMessageMoveTaskResult>("CancelMessageMoveTaskResult");
        check::<ListMessageMoveTasksRequest>("ListMessageMoveTasksRequest");
        check::<ListMessageMoveTasksResultEntry>("ListMessageMoveTasksResultEntry");
        check::<ListMessageMoveTasksResult>("ListMessageMoveTasksResult");
    }
}
