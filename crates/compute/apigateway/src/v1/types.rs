//! Typed mirrors of the `apigateway` model shapes the REST API control plane reads and
//! writes. Field names are the model's member names (camelCase); a test checks every field
//! against the model shape it mirrors. Outputs are pruned of nulls before they are returned
//! ([`super::provider`]), so optional members simply stay `None`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub type StrMap = BTreeMap<String, String>;
pub type BoolMap = BTreeMap<String, bool>;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RestApi {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub created_date: f64,
    pub version: Option<String>,
    pub warnings: Option<Vec<String>>,
    pub binary_media_types: Option<Vec<String>>,
    pub minimum_compression_size: Option<i64>,
    pub api_key_source: Option<String>,
    pub endpoint_configuration: Option<Value>,
    pub policy: Option<String>,
    pub tags: Option<StrMap>,
    pub disable_execute_api_endpoint: bool,
    pub root_resource_id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Resource {
    pub id: String,
    pub parent_id: Option<String>,
    pub path_part: Option<String>,
    pub path: String,
    pub resource_methods: Option<BTreeMap<String, Method>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Method {
    pub http_method: String,
    pub authorization_type: String,
    pub authorizer_id: Option<String>,
    pub api_key_required: bool,
    pub request_validator_id: Option<String>,
    pub operation_name: Option<String>,
    pub request_parameters: Option<BoolMap>,
    pub request_models: Option<StrMap>,
    pub method_responses: Option<BTreeMap<String, MethodResponse>>,
    pub method_integration: Option<Integration>,
    pub authorization_scopes: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Integration {
    #[serde(rename = "type")]
    pub kind: String,
    pub http_method: Option<String>,
    pub uri: Option<String>,
    pub connection_type: Option<String>,
    pub connection_id: Option<String>,
    pub credentials: Option<String>,
    pub request_parameters: Option<StrMap>,
    pub request_templates: Option<StrMap>,
    pub passthrough_behavior: Option<String>,
    pub content_handling: Option<String>,
    pub timeout_in_millis: i64,
    pub cache_namespace: Option<String>,
    pub cache_key_parameters: Option<Vec<String>>,
    pub integration_responses: Option<BTreeMap<String, IntegrationResponse>>,
    pub tls_config: Option<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct IntegrationResponse {
    pub status_code: String,
    pub selection_pattern: Option<String>,
    pub response_parameters: Option<StrMap>,
    pub response_templates: Option<StrMap>,
    pub content_handling: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct MethodResponse {
    pub status_code: String,
    pub response_parameters: Option<BoolMap>,
    pub response_models: Option<StrMap>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Model {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub schema: Option<String>,
    pub content_type: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RequestValidator {
    pub id: String,
    pub name: Option<String>,
    pub validate_request_body: bool,
    pub validate_request_parameters: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Authorizer {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "providerARNs")]
    pub provider_arns: Option<Vec<String>>,
    pub auth_type: Option<String>,
    pub authorizer_uri: Option<String>,
    pub authorizer_credentials: Option<String>,
    pub identity_source: Option<String>,
    pub identity_validation_expression: Option<String>,
    pub authorizer_result_ttl_in_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Deployment {
    pub id: String,
    pub description: Option<String>,
    pub created_date: f64,
    pub api_summary: Option<BTreeMap<String, BTreeMap<String, Value>>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct MethodSetting {
    pub metrics_enabled: bool,
    pub logging_level: Option<String>,
    pub data_trace_enabled: bool,
    pub throttling_burst_limit: Option<i64>,
    pub throttling_rate_limit: Option<f64>,
    pub caching_enabled: bool,
    pub cache_ttl_in_seconds: Option<i64>,
    pub cache_data_encrypted: bool,
    pub require_authorization_for_cache_control: bool,
    pub unauthorized_cache_control_header_strategy: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessLogSettings {
    pub format: Option<String>,
    pub destination_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Stage {
    pub deployment_id: String,
    pub client_certificate_id: Option<String>,
    pub stage_name: String,
    pub description: Option<String>,
    pub cache_cluster_enabled: bool,
    pub cache_cluster_size: Option<String>,
    pub cache_cluster_status: Option<String>,
    pub method_settings: BTreeMap<String, MethodSetting>,
    pub variables: Option<StrMap>,
    pub documentation_version: Option<String>,
    pub access_log_settings: Option<AccessLogSettings>,
    pub canary_settings: Option<Value>,
    pub tracing_enabled: bool,
    pub web_acl_arn: Option<String>,
    pub tags: Option<StrMap>,
    pub created_date: f64,
    pub last_updated_date: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiKey {
    pub id: String,
    pub value: Option<String>,
    pub name: Option<String>,
    pub customer_id: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub created_date: f64,
    pub last_updated_date: f64,
    pub stage_keys: Vec<String>,
    pub tags: Option<StrMap>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ThrottleSettings {
    pub burst_limit: Option<i64>,
    pub rate_limit: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct QuotaSettings {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
    pub period: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiStage {
    pub api_id: String,
    pub stage: String,
    pub throttle: Option<BTreeMap<String, ThrottleSettings>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct UsagePlan {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub api_stages: Vec<ApiStage>,
    pub throttle: Option<ThrottleSettings>,
    pub quota: Option<QuotaSettings>,
    pub product_code: Option<String>,
    pub tags: Option<StrMap>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct UsagePlanKey {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct DomainName {
    pub domain_name: String,
    pub domain_name_arn: Option<String>,
    pub certificate_name: Option<String>,
    pub certificate_arn: Option<String>,
    pub certificate_upload_date: Option<f64>,
    pub regional_domain_name: Option<String>,
    pub regional_hosted_zone_id: Option<String>,
    pub regional_certificate_name: Option<String>,
    pub regional_certificate_arn: Option<String>,
    pub distribution_domain_name: Option<String>,
    pub distribution_hosted_zone_id: Option<String>,
    pub endpoint_configuration: Option<Value>,
    pub domain_name_status: Option<String>,
    pub security_policy: Option<String>,
    pub tags: Option<StrMap>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct BasePathMapping {
    pub base_path: String,
    pub rest_api_id: String,
    pub stage: Option<String>,
}

/// One `PatchOperation` of an Update* request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct PatchOperation {
    pub op: String,
    pub path: String,
    pub value: Option<String>,
    pub from: Option<String>,
}

#[cfg(test)]
mod tests {
    //! Every struct's fields must be members of the model shape it mirrors.
    use super::*;

    fn check<T: for<'de> Deserialize<'de>>(shape: &str) {
        lamina_model::conformance::check_struct::<T>("apigateway", shape, &[]);
    }

    #[test]
    fn v1_structs_match_model() {
        check::<RestApi>("RestApi");
        check::<Resource>("Resource");
        check::<Method>("Method");
        check::<Integration>("Integration");
        check::<IntegrationResponse>("IntegrationResponse");
        check::<MethodResponse>("MethodResponse");
        check::<Model>("Model");
        check::<RequestValidator>("RequestValidator");
        check::<Authorizer>("Authorizer");
        check::<Deployment>("Deployment");
        check::<MethodSetting>("MethodSetting");
        check::<AccessLogSettings>("AccessLogSettings");
        check::<Stage>("Stage");
        check::<ApiKey>("ApiKey");
        check::<ThrottleSettings>("ThrottleSettings");
        check::<QuotaSettings>("QuotaSettings");
        check::<ApiStage>("ApiStage");
        check::<UsagePlan>("UsagePlan");
        check::<UsagePlanKey>("UsagePlanKey");
        check::<DomainName>("DomainName");
        check::<BasePathMapping>("BasePathMapping");
        check::<PatchOperation>("PatchOperation");
    }
}
