//! Typed inputs and outputs in canonical (JSON protocol) form, member names as in the `logs`
//! model. A test checks every field against the model shape it mirrors.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub type Tags = BTreeMap<String, String>;

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLogGroupRequest {
    pub log_group_name: String,
    pub kms_key_id: Option<String>,
    pub tags: Option<Tags>,
    pub log_group_class: Option<String>,
    pub deletion_protection_enabled: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteLogGroupRequest {
    pub log_group_name: String,
}

#[derive(Debug, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogGroupsRequest {
    pub log_group_name_prefix: Option<String>,
    pub log_group_name_pattern: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<usize>,
    pub log_group_class: Option<String>,
    pub log_group_identifiers: Option<Vec<String>>,
    pub include_linked_accounts: Option<bool>,
    pub account_identifiers: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LogGroup {
    pub log_group_name: String,
    pub creation_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<i32>,
    pub metric_filter_count: i32,
    pub arn: String,
    pub stored_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    pub log_group_class: String,
    pub log_group_arn: String,
    pub deletion_protection_enabled: bool,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogGroupsResponse {
    pub log_groups: Vec<LogGroup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutRetentionPolicyRequest {
    pub log_group_name: String,
    pub retention_in_days: i32,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteRetentionPolicyRequest {
    pub log_group_name: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLogStreamRequest {
    pub log_group_name: String,
    pub log_stream_name: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteLogStreamRequest {
    pub log_group_name: String,
    pub log_stream_name: String,
}

#[derive(Debug, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogStreamsRequest {
    pub log_group_name: Option<String>,
    pub log_group_identifier: Option<String>,
    pub log_stream_name_prefix: Option<String>,
    pub order_by: Option<String>,
    pub descending: Option<bool>,
    pub next_token: Option<String>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LogStream {
    pub log_stream_name: String,
    pub creation_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_event_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_ingestion_time: Option<i64>,
    pub arn: String,
    pub stored_bytes: u64,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DescribeLogStreamsResponse {
    pub log_streams: Vec<LogStream>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputLogEvent {
    pub timestamp: i64,
    pub message: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutLogEventsRequest {
    pub log_group_name: String,
    pub log_stream_name: String,
    pub log_events: Vec<InputLogEvent>,
    pub sequence_token: Option<String>,
    pub entity: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RejectedLogEventsInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub too_new_log_event_start_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub too_old_log_event_end_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_log_event_end_index: Option<usize>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PutLogEventsResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_sequence_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejected_log_events_info: Option<RejectedLogEventsInfo>,
}

#[derive(Debug, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct GetLogEventsRequest {
    pub log_group_name: Option<String>,
    pub log_group_identifier: Option<String>,
    pub log_stream_name: String,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub next_token: Option<String>,
    pub limit: Option<usize>,
    pub start_from_head: Option<bool>,
    pub unmask: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OutputLogEvent {
    pub timestamp: i64,
    pub message: String,
    pub ingestion_time: i64,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetLogEventsResponse {
    pub events: Vec<OutputLogEvent>,
    pub next_forward_token: String,
    pub next_backward_token: String,
}

#[derive(Debug, Deserialize, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FilterLogEventsRequest {
    pub log_group_name: Option<String>,
    pub log_group_identifier: Option<String>,
    pub log_stream_names: Option<Vec<String>>,
    pub log_stream_name_prefix: Option<String>,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    pub filter_pattern: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<usize>,
    pub start_from_head: Option<bool>,
    pub interleaved: Option<bool>,
    pub unmask: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FilteredLogEvent {
    pub log_stream_name: String,
    pub timestamp: i64,
    pub message: String,
    pub ingestion_time: i64,
    pub event_id: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SearchedLogStream {
    pub log_stream_name: String,
    pub searched_completely: bool,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterLogEventsResponse {
    pub events: Vec<FilteredLogEvent>,
    pub searched_log_streams: Vec<SearchedLogStream>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagResourceRequest {
    pub resource_arn: String,
    pub tags: Tags,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagResourceRequest {
    pub resource_arn: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceRequest {
    pub resource_arn: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsForResourceResponse {
    pub tags: Tags,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagLogGroupRequest {
    pub log_group_name: String,
    pub tags: Tags,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UntagLogGroupRequest {
    pub log_group_name: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsLogGroupRequest {
    pub log_group_name: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListTagsLogGroupResponse {
    pub tags: Tags,
}

#[cfg(test)]
mod tests {
    //! Every struct's fields must be members of the model shape it mirrors.
    use super::*;

    fn check<T: for<'de> Deserialize<'de>>(shape: &str) {
        lamina_model::conformance::check_struct::<T>("logs", shape, &[]);
    }

    #[test]
    fn structs_match_model() {
        check::<CreateLogGroupRequest>("CreateLogGroupRequest");
        check::<DeleteLogGroupRequest>("DeleteLogGroupRequest");
        check::<DescribeLogGroupsRequest>("DescribeLogGroupsRequest");
        check::<LogGroup>("LogGroup");
        check::<DescribeLogGroupsResponse>("DescribeLogGroupsResponse");
        check::<PutRetentionPolicyRequest>("PutRetentionPolicyRequest");
        check::<DeleteRetentionPolicyRequest>("DeleteRetentionPolicyRequest");
        check::<CreateLogStreamRequest>("CreateLogStreamRequest");
        check::<DeleteLogStreamRequest>("DeleteLogStreamRequest");
        check::<DescribeLogStreamsRequest>("DescribeLogStreamsRequest");
        check::<LogStream>("LogStream");
        check::<DescribeLogStreamsResponse>("DescribeLogStreamsResponse");
        check::<InputLogEvent>("InputLogEvent");
        check::<PutLogEventsRequest>("PutLogEventsRequest");
        check::<RejectedLogEventsInfo>("RejectedLogEventsInfo");
        check::<PutLogEventsResponse>("PutLogEventsResponse");
        check::<GetLogEventsRequest>("GetLogEventsRequest");
        check::<OutputLogEvent>("OutputLogEvent");
        check::<GetLogEventsResponse>("GetLogEventsResponse");
        check::<FilterLogEventsRequest>("FilterLogEventsRequest");
        check::<FilteredLogEvent>("FilteredLogEvent");
        check::<SearchedLogStream>("SearchedLogStream");
        check::<FilterLogEventsResponse>("FilterLogEventsResponse");
        check::<TagResourceRequest>("TagResourceRequest");
        check::<UntagResourceRequest>("UntagResourceRequest");
        check::<ListTagsForResourceRequest>("ListTagsForResourceRequest");
        check::<ListTagsForResourceResponse>("ListTagsForResourceResponse");
        check::<TagLogGroupRequest>("TagLogGroupRequest");
        check::<UntagLogGroupRequest>("UntagLogGroupRequest");
        check::<ListTagsLogGroupRequest>("ListTagsLogGroupRequest");
        check::<ListTagsLogGroupResponse>("ListTagsLogGroupResponse");
    }
}
