//! Methods, integrations, method responses and integration responses
//! (Put/Get/Delete/Update of each).

use super::{Cx, Patch};
use crate::v1::error::{ApiGwError, Result};
use crate::v1::patch::{self, Kind};
use crate::v1::store::ApiDoc;
use crate::v1::types::{BoolMap, Integration, IntegrationResponse, Method, MethodResponse, StrMap};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub const HTTP_METHODS: &[&str] = &[
    "ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
];

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MethodRef {
    pub rest_api_id: String,
    pub resource_id: String,
    pub http_method: String,
    pub status_code: String,
}

fn check_http_method(m: &str) -> Result<()> {
    if HTTP_METHODS.contains(&m) {
        Ok(())
    } else {
        Err(ApiGwError::bad(
            "Invalid HttpMethod specified. Valid options are ANY,DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT",
        ))
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PutMethodRequest {
    pub rest_api_id: String,
    pub resource_id: String,
    pub http_method: String,
    pub authorization_type: String,
    pub authorizer_id: Option<String>,
    pub api_key_required: bool,
    pub operation_name: Option<String>,
    pub request_parameters: Option<BoolMap>,
    pub request_models: Option<StrMap>,
    pub request_validator_id: Option<String>,
    pub authorization_scopes: Option<Vec<String>>,
}

/// The method-level rules API Gateway checks on Put and Update.
pub fn check_method(doc: &ApiDoc, m: &Method) -> Result<()> {
    match m.authorization_type.as_str() {
        "NONE" | "AWS_IAM" => {}
        "CUSTOM" | "COGNITO_USER_POOLS" => {
            let ok = m
                .authorizer_id
                .as_ref()
                .is_some_and(|a| doc.authorizers.contains_key(a));
            if !ok {
                return Err(ApiGwError::bad(
                    "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.",
                ));
            }
        }
        other => {
            return Err(ApiGwError::bad(format!(
                "Invalid authorization type specified: {other}. Valid values are NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS"
            )));
        }
    }
    if let Some(v) = &m.request_validator_id
        && !doc.validators.contains_key(v)
    {
        return Err(ApiGwError::bad(
            "Invalid Request Validator identifier specified",
        ));
    }
    for model in m.request_models.iter().flat_map(|r| r.values()) {
        if !doc.models.contains_key(model) {
            return Err(ApiGwError::bad(format!(
                "Invalid model identifier specified: {model}"
            )));
        }
    }
    Ok(())
}

pub async fn put_method(cx: &Cx<'_>, req: PutMethodRequest) -> Result<Method> {
    check_http_method(&req.http_method)?;
    cx.update_api(&req.rest_api_id, |doc| {
        let m = Method {
            http_method: req.http_method.clone(),
            authorization_type: req.authorization_type.clone(),
            authorizer_id: req.authorizer_id.clone(),
            api_key_required: req.api_key_required,
            request_validator_id: req.request_validator_id.clone(),
            operation_name: req.operation_name.clone(),
            request_parameters: req.request_parameters.clone(),
            request_models: req.request_models.clone(),
            method_responses: None,
            method_integration: None,
            authorization_scopes: req.authorization_scopes.clone(),
        };
        check_method(doc, &m)?;
        let r = doc.resource_mut(&req.resource_id)?;
        let methods = r.resource_methods.get_or_insert_with(BTreeMap::new);
        if methods.contains_key(&req.http_method) {
            return Err(ApiGwError::Conflict(
                "Method already exists for this resource".into(),
            ));
        }
        methods.insert(req.http_method.clone(), m.clone());
        Ok(m)
    })
    .await
}

pub async fn get_method(cx: &Cx<'_>, r: MethodRef) -> Result<Method> {
    let doc = cx.load_api(&r.rest_api_id).await?;
    Ok(doc.method(&r.resource_id, &r.http_method)?.clone())
}

pub async fn delete_method(cx: &Cx<'_>, r: MethodRef) -> Result<()> {
    cx.update_api(&r.rest_api_id, |doc| {
        let res = doc.resource_mut(&r.resource_id)?;
        let removed = res
            .resource_methods
            .as_mut()
            .and_then(|m| m.remove(&r.http_method));
        if res.resource_methods.as_ref().is_some_and(|m| m.is_empty()) {
            res.resource_methods = None;
        }
        removed.map(|_| ()).ok_or_else(ApiGwError::method_not_found)
    })
    .await
}

const METHOD_FIELDS: &[(&str, Kind)] = &[
    ("authorizationType", Kind::Str),
    ("authorizerId", Kind::Str),
    ("apiKeyRequired", Kind::Bool),
    ("requestValidatorId", Kind::Str),
    ("operationName", Kind::Str),
    ("requestParameters", Kind::BoolMap),
    ("requestModels", Kind::StrMap),
    ("authorizationScopes", Kind::List),
];

pub async fn update_method(cx: &Cx<'_>, r: MethodRef, p: Patch) -> Result<Method> {
    cx.update_api(&r.rest_api_id, |doc| {
        let old = doc.method(&r.resource_id, &r.http_method)?.clone();
        let new = patch::patch(&old, &p.patch_operations, METHOD_FIELDS)?;
        check_method(doc, &new)?;
        *doc.method_mut(&r.resource_id, &r.http_method)? = new.clone();
        Ok(new)
    })
    .await
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PutIntegrationRequest {
    pub rest_api_id: String,
    pub resource_id: String,
    pub http_method: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub integration_http_method: Option<String>,
    pub uri: Option<String>,
    pub connection_type: Option<String>,
    pub connection_id: Option<String>,
    pub credentials: Option<String>,
    pub request_parameters: Option<StrMap>,
    pub request_templates: Option<StrMap>,
    pub passthrough_behavior: Option<String>,
    pub cache_namespace: Option<String>,
    pub cache_key_parameters: Option<Vec<String>>,
    pub content_handling: Option<String>,
    pub timeout_in_millis: Option<i64>,
    pub tls_config: Option<Value>,
}

/// The integration-level rules API Gateway checks on Put and Update.
pub fn check_integration(i: &Integration) -> Result<()> {
    match i.kind.as_str() {
        "MOCK" => {}
        "AWS" | "AWS_PROXY" | "HTTP" | "HTTP_PROXY" => {
            if i.http_method.as_deref().unwrap_or_default().is_empty() {
                return Err(ApiGwError::bad(
                    "Enumeration value for HttpMethod must be non-empty",
                ));
            }
            if i.uri.as_deref().unwrap_or_default().is_empty() {
                return Err(ApiGwError::bad("Invalid integration URI specified"));
            }
            if i.kind.starts_with("HTTP")
                && !i
                    .uri
                    .as_deref()
                    .is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"))
            {
                return Err(ApiGwError::bad("Invalid HTTP endpoint specified for URI"));
            }
            if i.kind.starts_with("AWS") && !i.uri.as_deref().is_some_and(|u| u.starts_with("arn:"))
            {
                return Err(ApiGwError::bad(
                    "AWS ARN for integration must contain path or action",
                ));
            }
        }
        other => {
            return Err(ApiGwError::bad(format!(
                "Invalid integration type specified: {other}"
            )));
        }
    }
    if !(50..=29000).contains(&i.timeout_in_millis) {
        return Err(ApiGwError::bad(
            "Timeout should be between 50 ms and 29000 ms",
        ));
    }
    if let Some(p) = i.passthrough_behavior.as_deref()
        && !matches!(p, "WHEN_NO_MATCH" | "WHEN_NO_TEMPLATES" | "NEVER")
    {
        return Err(ApiGwError::bad(format!(
            "Invalid passthrough behavior specified: {p}"
        )));
    }
    if let Some(c) = i.content_handling.as_deref()
        && !matches!(c, "CONVERT_TO_BINARY" | "CONVERT_TO_TEXT")
    {
        return Err(ApiGwError::bad(format!(
            "Invalid content handling specified: {c}"
        )));
    }
    Ok(())
}

pub async fn put_integration(cx: &Cx<'_>, req: PutIntegrationRequest) -> Result<Integration> {
    cx.update_api(&req.rest_api_id, |doc| {
        let i = Integration {
            kind: req.kind.clone(),
            http_method: req.integration_http_method.clone(),
            uri: req.uri.clone(),
            connection_type: Some(req.connection_type.clone().unwrap_or("INTERNET".into())),
            connection_id: req.connection_id.clone(),
            credentials: req.credentials.clone(),
            request_parameters: req.request_parameters.clone(),
            request_templates: req.request_templates.clone(),
            passthrough_behavior: Some(
                req.passthrough_behavior
                    .clone()
                    .unwrap_or_else(|| "WHEN_NO_MATCH".into()),
            ),
            content_handling: req.content_handling.clone(),
            timeout_in_millis: req.timeout_in_millis.unwrap_or(29000),
            cache_namespace: Some(
                req.cache_namespace
                    .clone()
                    .unwrap_or_else(|| req.resource_id.clone()),
            ),
            cache_key_parameters: Some(req.cache_key_parameters.clone().unwrap_or_default()),
            integration_responses: None,
            tls_config: req.tls_config.clone(),
        };
        check_integration(&i)?;
        let m = doc.method_mut(&req.resource_id, &req.http_method)?;
        m.method_integration = Some(i.clone());
        Ok(i)
    })
    .await
}

fn integration<'d>(doc: &'d ApiDoc, r: &MethodRef) -> Result<&'d Integration> {
    doc.method(&r.resource_id, &r.http_method)?
        .method_integration
        .as_ref()
        .ok_or_else(ApiGwError::integration_not_found)
}

fn integration_mut<'d>(doc: &'d mut ApiDoc, r: &MethodRef) -> Result<&'d mut Integration> {
    doc.method_mut(&r.resource_id, &r.http_method)?
        .method_integration
        .as_mut()
        .ok_or_else(ApiGwError::integration_not_found)
}

pub async fn get_integration(cx: &Cx<'_>, r: MethodRef) -> Result<Integration> {
    let doc = cx.load_api(&r.rest_api_id).await?;
    Ok(integration(&doc, &r)?.clone())
}

pub async fn delete_integration(cx: &Cx<'_>, r: MethodRef) -> Result<()> {
    cx.update_api(&r.rest_api_id, |doc| {
        let m = doc.method_mut(&r.resource_id, &r.http_method)?;
        m.method_integration
            .take()
            .map(|_| ())
            .ok_or_else(ApiGwError::integration_not_found)
    })
    .await
}

const INTEGRATION_FIELDS: &[(&str, Kind)] = &[
    ("type", Kind::Str),
    ("httpMethod", Kind::Str),
    ("uri", Kind::Str),
    ("connectionType", Kind::Str),
    ("connectionId", Kind::Str),
    ("credentials", Kind::Str),
    ("requestParameters", Kind::StrMap),
    ("requestTemplates", Kind::StrMap),
    ("passthroughBehavior", Kind::Str),
    ("contentHandling", Kind::Str),
    ("timeoutInMillis", Kind::Int),
    ("cacheNamespace", Kind::Str),
    ("cacheKeyParameters", Kind::List),
];

pub async fn update_integration(cx: &Cx<'_>, r: MethodRef, p: Patch) -> Result<Integration> {
    cx.update_api(&r.rest_api_id, |doc| {
        let old = integration(doc, &r)?.clone();
        let new = patch::patch(&old, &p.patch_operations, INTEGRATION_FIELDS)?;
        check_integration(&new)?;
        *integration_mut(doc, &r)? = new.clone();
        Ok(new)
    })
    .await
}

fn check_status(code: &str) -> Result<()> {
    let ok = code.len() == 3
        && code.bytes().all(|b| b.is_ascii_digit())
        && (b'1'..=b'5').contains(&code.as_bytes()[0]);
    if ok {
        Ok(())
    } else {
        Err(ApiGwError::bad(format!(
            "Invalid status code specified: {code}"
        )))
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PutIntegrationResponseRequest {
    pub rest_api_id: String,
    pub resource_id: String,
    pub http_method: String,
    pub status_code: String,
    pub selection_pattern: Option<String>,
    pub response_parameters: Option<StrMap>,
    pub response_templates: Option<StrMap>,
    pub content_handling: Option<String>,
}

pub async fn put_integration_response(
    cx: &Cx<'_>,
    req: PutIntegrationResponseRequest,
) -> Result<IntegrationResponse> {
    check_status(&req.status_code)?;
    let r = MethodRef {
        rest_api_id: req.rest_api_id.clone(),
        resource_id: req.resource_id.clone(),
        http_method: req.http_method.clone(),
        status_code: req.status_code.clone(),
    };
    cx.update_api(&req.rest_api_id, |doc| {
        let ir = IntegrationResponse {
            status_code: req.status_code.clone(),
            selection_pattern: req.selection_pattern.clone(),
            response_parameters: req.response_parameters.clone(),
            response_templates: req.response_templates.clone(),
            content_handling: req.content_handling.clone(),
        };
        integration_mut(doc, &r)?
            .integration_responses
            .get_or_insert_with(BTreeMap::new)
            .insert(req.status_code.clone(), ir.clone());
        Ok(ir)
    })
    .await
}

pub async fn get_integration_response(cx: &Cx<'_>, r: MethodRef) -> Result<IntegrationResponse> {
    let doc = cx.load_api(&r.rest_api_id).await?;
    integration(&doc, &r)?
        .integration_responses
        .as_ref()
        .and_then(|m| m.get(&r.status_code))
        .cloned()
        .ok_or_else(ApiGwError::status_not_found)
}

pub async fn delete_integration_response(cx: &Cx<'_>, r: MethodRef) -> Result<()> {
    cx.update_api(&r.rest_api_id, |doc| {
        integration_mut(doc, &r)?
            .integration_responses
            .as_mut()
            .and_then(|m| m.remove(&r.status_code))
            .map(|_| ())
            .ok_or_else(ApiGwError::status_not_found)
    })
    .await
}

const IR_FIELDS: &[(&str, Kind)] = &[
    ("selectionPattern", Kind::Str),
    ("responseParameters", Kind::StrMap),
    ("responseTemplates", Kind::StrMap),
    ("contentHandling", Kind::Str),
];

pub async fn update_integration_response(
    cx: &Cx<'_>,
    r: MethodRef,
    p: Patch,
) -> Result<IntegrationResponse> {
    cx.update_api(&r.rest_api_id, |doc| {
        let slot = integration_mut(doc, &r)?
            .integration_responses
            .as_mut()
            .and_then(|m| m.get_mut(&r.status_code))
            .ok_or_else(ApiGwError::status_not_found)?;
        *slot = patch::patch(slot, &p.patch_operations, IR_FIELDS)?;
        Ok(slot.clone())
    })
    .await
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct PutMethodResponseRequest {
    pub rest_api_id: String,
    pub resource_id: String,
    pub http_method: String,
    pub status_code: String,
    pub response_parameters: Option<BoolMap>,
    pub response_models: Option<StrMap>,
}

pub async fn put_method_response(
    cx: &Cx<'_>,
    req: PutMethodResponseRequest,
) -> Result<MethodResponse> {
    check_status(&req.status_code)?;
    cx.update_api(&req.rest_api_id, |doc| {
        let mr = MethodResponse {
            status_code: req.status_code.clone(),
            response_parameters: req.response_parameters.clone(),
            response_models: req.response_models.clone(),
        };
        let m = doc.method_mut(&req.resource_id, &req.http_method)?;
        let responses = m.method_responses.get_or_insert_with(BTreeMap::new);
        if responses.contains_key(&req.status_code) {
            return Err(ApiGwError::Conflict(
                "Response already exists for this resource".into(),
            ));
        }
        responses.insert(req.status_code.clone(), mr.clone());
        Ok(mr)
    })
    .await
}

pub async fn get_method_response(cx: &Cx<'_>, r: MethodRef) -> Result<MethodResponse> {
    let doc = cx.load_api(&r.rest_api_id).await?;
    doc.method(&r.resource_id, &r.http_method)?
        .method_responses
        .as_ref()
        .and_then(|m| m.get(&r.status_code))
        .cloned()
        .ok_or_else(ApiGwError::status_not_found)
}

pub async fn delete_method_response(cx: &Cx<'_>, r: MethodRef) -> Result<()> {
    cx.update_api(&r.rest_api_id, |doc| {
        doc.method_mut(&r.resource_id, &r.http_method)?
            .method_responses
            .as_mut()
            .and_then(|m| m.remove(&r.status_code))
            .map(|_| ())
            .ok_or_else(ApiGwError::status_not_found)
    })
    .await
}

const MR_FIELDS: &[(&str, Kind)] = &[
    ("responseParameters", Kind::BoolMap),
    ("responseModels", Kind::StrMap),
];

pub async fn update_method_response(cx: &Cx<'_>, r: MethodRef, p: Patch) -> Result<MethodResponse> {
    cx.update_api(&r.rest_api_id, |doc| {
        let slot = doc
            .method_mut(&r.resource_id, &r.http_method)?
            .method_responses
            .as_mut()
            .and_then(|m| m.get_mut(&r.status_code))
            .ok_or_else(ApiGwError::status_not_found)?;
        *slot = patch::patch(slot, &p.patch_operations, MR_FIELDS)?;
        Ok(slot.clone())
    })
    .await
}
