//! The resources of an HTTP API, as the model names their members. The same structs are the
//! stored records, the operations' outputs and (with `#[serde(default)]`) the create/update
//! inputs: a test checks every field against the model's output shapes.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

pub type Tags = BTreeMap<String, String>;

/// `Cors`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Cors {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_credentials: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_headers: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_methods: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_origins: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expose_headers: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
}

/// `Api` (GetApi's output).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Api {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_gateway_managed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors_configuration: Option<Cors>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_schema_validation: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_execute_api_endpoint: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// `Route`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Route {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_gateway_managed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_models: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_parameters: Option<BTreeMap<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_response_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// `Integration`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Integration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_gateway_managed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_handling_strategy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_subtype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passthrough_behavior: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_format_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_parameters: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_parameters: Option<BTreeMap<String, BTreeMap<String, String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_in_millis: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<Value>,
}

/// `JWTConfiguration`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct JwtConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// `Authorizer`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Authorizer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_credentials_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_payload_format_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_result_ttl_in_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorizer_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_simple_responses: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_source: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_validation_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwt_configuration: Option<JwtConfiguration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `RouteSettings`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct RouteSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_trace_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detailed_metrics_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttling_burst_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttling_rate_limit: Option<f64>,
}

/// `Stage`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Stage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_settings: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_gateway_managed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_deploy: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_certificate_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_route_settings: Option<RouteSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_deployment_status_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_settings: Option<BTreeMap<String, RouteSettings>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage_variables: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Tags>,
}

/// `Deployment`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Deployment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_deployed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_status_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Replaces every field of `target` that `patch` sets (UpdateX semantics). Both values must
/// serialize to JSON objects; fields absent from `patch` are kept.
pub fn merge<T: Serialize + serde::de::DeserializeOwned>(
    target: &T,
    patch: &T,
) -> Result<T, serde_json::Error> {
    let mut base = serde_json::to_value(target)?;
    if let (Some(b), Value::Object(p)) = (base.as_object_mut(), serde_json::to_value(patch)?) {
        for (k, v) in p {
            b.insert(k, v);
        }
    }
    serde_json::from_value(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every key of `v` must be a member of the model shape `shape`.
    fn check(shape: &str, v: &Value) {
        lamina_model::conformance::check_serialized("apigatewayv2", shape, v);
    }

    #[test]
    fn v2_types_match_the_model() {
        let api = Api {
            api_endpoint: Some("e".into()),
            api_gateway_managed: Some(true),
            api_id: Some("a".into()),
            api_key_selection_expression: Some("x".into()),
            cors_configuration: Some(Cors {
                allow_credentials: Some(true),
                allow_headers: Some(vec![]),
                allow_methods: Some(vec![]),
                allow_origins: Some(vec![]),
                expose_headers: Some(vec![]),
                max_age: Some(1),
            }),
            created_date: Some(1.0),
            description: Some("d".into()),
            disable_schema_validation: Some(false),
            disable_execute_api_endpoint: Some(false),
            ip_address_type: Some("ipv4".into()),
            name: Some("n".into()),
            protocol_type: Some("HTTP".into()),
            route_selection_expression: Some("r".into()),
            tags: Some(Tags::new()),
            version: Some("v".into()),
        };
        let v = serde_json::to_value(&api).unwrap();
        check("Api", &v);
        check("Cors", &v["CorsConfiguration"]);
        let route: Route = serde_json::from_value(json!({
            "ApiGatewayManaged": true, "ApiKeyRequired": false, "AuthorizationScopes": [],
            "AuthorizationType": "NONE", "AuthorizerId": "a", "ModelSelectionExpression": "m",
            "OperationName": "o", "RequestModels": {}, "RequestParameters": {}, "RouteId": "r",
            "RouteKey": "$default", "RouteResponseSelectionExpression": "x", "Target": "t"}))
        .unwrap();
        let v = serde_json::to_value(&route).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 13);
        check("Route", &v);
        let integ: Integration = serde_json::from_value(json!({
            "ApiGatewayManaged": true, "ConnectionId": "c", "ConnectionType": "INTERNET",
            "ContentHandlingStrategy": "x", "CredentialsArn": "a", "Description": "d",
            "IntegrationId": "i", "IntegrationMethod": "GET", "IntegrationSubtype": "s",
            "IntegrationType": "AWS_PROXY", "IntegrationUri": "u", "PassthroughBehavior": "p",
            "PayloadFormatVersion": "2.0", "RequestParameters": {}, "ResponseParameters": {},
            "TimeoutInMillis": 30000, "TlsConfig": {}}))
        .unwrap();
        let v = serde_json::to_value(&integ).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 17);
        check("Integration", &v);
        let auth: Authorizer = serde_json::from_value(json!({
            "AuthorizerCredentialsArn": "a", "AuthorizerId": "i",
            "AuthorizerPayloadFormatVersion": "2.0", "AuthorizerResultTtlInSeconds": 0,
            "AuthorizerType": "JWT", "AuthorizerUri": "u", "EnableSimpleResponses": true,
            "IdentitySource": [], "IdentityValidationExpression": "x",
            "JwtConfiguration": {"Audience": [], "Issuer": "i"}, "Name": "n"}))
        .unwrap();
        let v = serde_json::to_value(&auth).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 11);
        check("Authorizer", &v);
        check("JWTConfiguration", &v["JwtConfiguration"]);
        let stage: Stage = serde_json::from_value(json!({
            "AccessLogSettings": {}, "ApiGatewayManaged": true, "AutoDeploy": true,
            "ClientCertificateId": "c", "CreatedDate": 1.0,
            "DefaultRouteSettings": {"DataTraceEnabled": true, "DetailedMetricsEnabled": true,
                "LoggingLevel": "INFO", "ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 1.0},
            "DeploymentId": "d", "Description": "d", "LastDeploymentStatusMessage": "m",
            "LastUpdatedDate": 1.0, "RouteSettings": {}, "StageName": "s",
            "StageVariables": {}, "Tags": {}}))
        .unwrap();
        let v = serde_json::to_value(&stage).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 14);
        check("Stage", &v);
        check("RouteSettings", &v["DefaultRouteSettings"]);
        let dep: Deployment = serde_json::from_value(json!({"AutoDeployed": true,
            "CreatedDate": 1.0, "DeploymentId": "d", "DeploymentStatus": "DEPLOYED",
            "DeploymentStatusMessage": "m", "Description": "d"}))
        .unwrap();
        let v = serde_json::to_value(&dep).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 6);
        check("Deployment", &v);
    }

    #[test]
    fn v2_merge_keeps_unset_fields() {
        let a = Route {
            route_key: Some("GET /a".into()),
            target: Some("integrations/x".into()),
            ..Default::default()
        };
        let p = Route {
            route_key: Some("GET /b".into()),
            ..Default::default()
        };
        let m = merge(&a, &p).unwrap();
        assert_eq!(m.route_key.as_deref(), Some("GET /b"));
        assert_eq!(m.target.as_deref(), Some("integrations/x"));
    }
}
