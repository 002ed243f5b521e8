//! Typed inputs and outputs, in the canonical (JSON protocol) form, member names as in the
//! model. A test checks every field against the model shape it mirrors.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct PutParameterRequest {
    pub name: String,
    pub description: Option<String>,
    pub value: String,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub key_id: Option<String>,
    pub overwrite: Option<bool>,
    pub allowed_pattern: Option<String>,
    pub tags: Option<Vec<Tag>>,
    pub tier: Option<String>,
    pub policies: Option<String>,
    pub data_type: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutParameterResult {
    pub version: u64,
    pub tier: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterRequest {
    pub name: String,
    pub with_decryption: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "Type")]
    pub kind: String,
    pub value: String,
    pub version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_result: Option<String>,
    pub last_modified_date: f64,
    #[serde(rename = "ARN")]
    pub arn: String,
    pub data_type: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterResult {
    pub parameter: Parameter,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersRequest {
    pub names: Vec<String>,
    pub with_decryption: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersResult {
    pub parameters: Vec<Parameter>,
    pub invalid_parameters: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterStringFilter {
    pub key: String,
    pub option: Option<String>,
    pub values: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersByPathRequest {
    pub path: String,
    pub recursive: Option<bool>,
    pub parameter_filters: Option<Vec<ParameterStringFilter>>,
    pub with_decryption: Option<bool>,
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersByPathResult {
    pub parameters: Vec<Parameter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteParameterRequest {
    pub name: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteParametersRequest {
    pub names: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteParametersResult {
    pub deleted_parameters: Vec<String>,
    pub invalid_parameters: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParametersFilter {
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeParametersRequest {
    pub filters: Option<Vec<ParametersFilter>>,
    pub parameter_filters: Option<Vec<ParameterStringFilter>>,
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
    pub shared: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterInlinePolicy {
    pub policy_text: String,
    pub policy_type: String,
    pub policy_status: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterMetadata {
    pub name: String,
    #[serde(rename = "ARN")]
    pub arn: String,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    pub last_modified_date: f64,
    pub last_modified_user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    pub version: u64,
    pub tier: String,
    pub policies: Vec<ParameterInlinePolicy>,
    pub data_type: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeParametersResult {
    pub parameters: Vec<ParameterMetadata>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterHistoryRequest {
    pub name: String,
    pub with_decryption: Option<bool>,
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterHistory {
    pub name: String,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    pub last_modified_date: f64,
    pub last_modified_user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    pub version: u64,
    pub labels: Vec<String>,
    pub tier: String,
    pub policies: Vec<ParameterInlinePolicy>,
    pub data_type: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParameterHistoryResult {
    pub parameters: Vec<ParameterHistory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LabelParameterVersionRequest {
    pub name: String,
    pub parameter_version: Option<u64>,
    pub labels: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LabelParameterVersionResult {
    pub invalid_labels: Vec<String>,
    pub parameter_version: u64,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnlabelParameterVersionRequest {
    pub name: String,
    pub parameter_version: u64,
    pub labels: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnlabelParameterVersionResult {
    pub removed_labels: Vec<String>,
    pub invalid_labels: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddTagsToResourceRequest {
    pub resource_type: String,
    pub resource_id: String,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemoveTagsFromResourceRequest {
    pub resource_type: String,
    pub resource_id: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceRequest {
    pub resource_type: String,
    pub resource_id: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceResult {
    pub tag_list: Vec<Tag>,
}

#[cfg(test)]
mod tests {
    //! Every struct's fields must be members of the model shape it mirrors.
    use super::*;

    use lamina_model::conformance::struct_fields as fields;

    fn check<T: for<'de> Deserialize<'de>>(shape: &str) {
        lamina_model::conformance::check_struct::<T>("ssm", shape, &[]);
    }

    #[test]
    fn structs_match_model() {
        check::<Tag>("Tag");
        check::<PutParameterRequest>("PutParameterRequest");
        check::<PutParameterResult>("PutParameterResult");
        check::<GetParameterRequest>("GetParameterRequest");
        check::<Parameter>("Parameter");
        check::<GetParameterResult>("GetParameterResult");
        check::<GetParametersRequest>("GetParametersRequest");
        check::<GetParametersResult>("GetParametersResult");
        check::<ParameterStringFilter>("ParameterStringFilter");
        check::<GetParametersByPathRequest>("GetParametersByPathRequest");
        check::<GetParametersByPathResult>("GetParametersByPathResult");
        check::<DeleteParameterRequest>("DeleteParameterRequest");
        check::<DeleteParametersRequest>("DeleteParametersRequest");
        check::<DeleteParametersResult>("DeleteParametersResult");
        check::<ParametersFilter>("ParametersFilter");
        check::<DescribeParametersRequest>("DescribeParametersRequest");
        check::<ParameterInlinePolicy>("ParameterInlinePolicy");
        check::<ParameterMetadata>("ParameterMetadata");
        check::<DescribeParametersResult>("DescribeParametersResult");
        check::<GetParameterHistoryRequest>("GetParameterHistoryRequest");
        check::<ParameterHistory>("ParameterHistory");
        check::<GetParameterHistoryResult>("GetParameterHistoryResult");
        check::<LabelParameterVersionRequest>("LabelParameterVersionRequest");
        check::<LabelParameterVersionResult>("LabelParameterVersionResult");
        check::<UnlabelParameterVersionRequest>("UnlabelParameterVersionRequest");
        check::<UnlabelParameterVersionResult>("UnlabelParameterVersionResult");
        check::<AddTagsToResourceRequest>("AddTagsToResourceRequest");
        check::<RemoveTagsFromResourceRequest>("RemoveTagsFromResourceRequest");
        check::<ListTagsForResourceRequest>("ListTagsForResourceRequest");
        check::<ListTagsForResourceResult>("ListTagsForResourceResult");
    }

    #[test]
    fn a_wrong_name_is_caught() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Bad {
            #[serde(rename = "Nmae")]
            name: String,
        }
        let model = lamina_model::get("ssm").expect("ssm model");
        let s = model.shape("Tag").expect("Tag");
        assert!(fields::<Bad>().iter().any(|f| s.member(f).is_none()));
    }
}
