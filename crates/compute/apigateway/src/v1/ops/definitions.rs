//! Models, request validators and authorizers of a REST API.

use super::{Cx, Patch, new_id, page};
use crate::v1::error::{ApiGwError, Result};
use crate::v1::patch::{self, Kind};
use crate::v1::types::{Authorizer, Model, RequestValidator};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ItemRef {
    pub rest_api_id: String,
    pub model_name: String,
    pub requestvalidator_id: String,
    pub request_validator_id: String,
    pub authorizer_id: String,
    pub position: Option<String>,
    pub limit: Option<i64>,
}

fn model_not_found(name: &str) -> ApiGwError {
    ApiGwError::NotFound(format!("Invalid model name specified: {name}"))
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateModelRequest {
    pub rest_api_id: String,
    pub name: String,
    pub description: Option<String>,
    pub schema: Option<String>,
    pub content_type: String,
}

fn check_model(m: &Model) -> Result<()> {
    if m.name.is_empty() || !m.name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiGwError::bad("Model name must be alphanumeric"));
    }
    if let Some(s) = &m.schema
        && serde_json::from_str::<Value>(s).map_or(true, |v| !v.is_object())
    {
        return Err(ApiGwError::bad(
            "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified]",
        ));
    }
    Ok(())
}

pub async fn create_model(cx: &Cx<'_>, req: CreateModelRequest) -> Result<Model> {
    let m = Model {
        id: new_id(6),
        name: req.name,
        description: req.description,
        schema: req.schema,
        content_type: req.content_type,
    };
    check_model(&m)?;
    cx.update_api(&req.rest_api_id, |doc| {
        if doc.models.contains_key(&m.name) {
            return Err(ApiGwError::Conflict(
                "Model name already exists for this REST API".into(),
            ));
        }
        doc.models.insert(m.name.clone(), m.clone());
        Ok(m.clone())
    })
    .await
}

pub async fn get_model(cx: &Cx<'_>, r: ItemRef) -> Result<Model> {
    let doc = cx.load_api(&r.rest_api_id).await?;
    doc.models
        .get(&r.model_name)
        .cloned()
        .ok_or_else(|| model_not_found(&r.model_name))
}

pub async fn get_models(cx: &Cx<'_>, r: ItemRef) -> Result<Value> {
    let doc = cx.load_api(&r.rest_api_id).await?;
    let (items, position) = page(
        doc.models.into_values().collect(),
        r.position.as_deref(),
        r.limit,
    );
    Ok(json!({"items": items, "position": position}))
}

pub async fn delete_model(cx: &Cx<'_>, r: ItemRef) -> Result<()> {
    cx.update_api(&r.rest_api_id, |doc| {
        for res in doc.resources.values() {
            for (verb, m) in res.resource_methods.iter().flatten() {
                if m.request_models
                    .iter()
                    .flat_map(|x| x.values())
                    .any(|n| *n == r.model_name)
                {
                    return Err(ApiGwError::Conflict(format!(
                        "Cannot delete model '{}', is referenced in method request: {}/{verb}",
                        r.model_name, res.path
                    )));
                }
            }
        }
        doc.models
            .remove(&r.model_name)
            .map(|_| ())
            .ok_or_else(|| model_not_found(&r.model_name))
    })
    .await
}

const MODEL_FIELDS: &[(&str, Kind)] = &[("description", Kind::Str), ("schema", Kind::Str)];

pub async fn update_model(cx: &Cx<'_>, r: ItemRef, p: Patch) -> Result<Model> {
    cx.update_api(&r.rest_api_id, |doc| {
        let slot = doc
            .models
            .get_mut(&r.model_name)
            .ok_or_else(|| model_not_found(&r.model_name))?;
        let new = patch::patch(slot, &p.patch_operations, MODEL_FIELDS)?;
        check_model(&new)?;
        *slot = new;
        Ok(slot.clone())
    })
    .await
}

fn validator_not_found() -> ApiGwError {
    ApiGwError::NotFound("Invalid Request Validator identifier specified".into())
}

impl ItemRef {
    fn validator(&self) -> &str {
        if self.requestvalidator_id.is_empty() {
            &self.request_validator_id
        } else {
            &self.requestvalidator_id
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateValidatorRequest {
    pub rest_api_id: String,
    pub name: Option<String>,
    pub validate_request_body: bool,
    pub validate_request_parameters: bool,
}

pub async fn create_validator(
    cx: &Cx<'_>,
    req: CreateValidatorRequest,
) -> Result<RequestValidator> {
    cx.update_api(&req.rest_api_id, |doc| {
        let v = RequestValidator {
            id: new_id(6),
            name: req.name.clone(),
            validate_request_body: req.validate_request_body,
            validate_request_parameters: req.validate_request_parameters,
        };
        doc.validators.insert(v.id.clone(), v.clone());
        Ok(v)
    })
    .await
}

pub async fn get_validator(cx: &Cx<'_>, r: ItemRef) -> Result<RequestValidator> {
    let doc = cx.load_api(&r.rest_api_id).await?;
    doc.validators
        .get(r.validator())
        .cloned()
        .ok_or_else(validator_not_found)
}

pub async fn get_validators(cx: &Cx<'_>, r: ItemRef) -> Result<Value> {
    let doc = cx.load_api(&r.rest_api_id).await?;
    let (items, position) = page(
        doc.validators.into_values().collect(),
        r.position.as_deref(),
        r.limit,
    );
    Ok(json!({"items": items, "position": position}))
}

pub async fn delete_validator(cx: &Cx<'_>, r: ItemRef) -> Result<()> {
    cx.update_api(&r.rest_api_id, |doc| {
        doc.validators
            .remove(r.validator())
            .map(|_| ())
            .ok_or_else(validator_not_found)
    })
    .await
}

const VALIDATOR_FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("validateRequestBody", Kind::Bool),
    ("validateRequestParameters", Kind::Bool),
];

pub async fn update_validator(cx: &Cx<'_>, r: ItemRef, p: Patch) -> Result<RequestValidator> {
    cx.update_api(&r.rest_api_id, |doc| {
        let slot = doc
            .validators
            .get_mut(r.validator())
            .ok_or_else(validator_not_found)?;
        *slot = patch::patch(slot, &p.patch_operations, VALIDATOR_FIELDS)?;
        Ok(slot.clone())
    })
    .await
}

fn authorizer_not_found() -> ApiGwError {
    ApiGwError::NotFound("Invalid Authorizer identifier specified".into())
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateAuthorizerRequest {
    pub rest_api_id: String,
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

pub fn check_authorizer(a: &Authorizer) -> Result<()> {
    match a.kind.as_str() {
        "TOKEN" | "REQUEST" => {
            if a.authorizer_uri.as_deref().unwrap_or_default().is_empty() {
                return Err(ApiGwError::bad(
                    "Authorizer URI is required for TOKEN and REQUEST authorizers",
                ));
            }
            if a.kind == "TOKEN" && a.identity_source.as_deref().unwrap_or_default().is_empty() {
                return Err(ApiGwError::bad(
                    "Identity source is required for TOKEN authorizers",
                ));
            }
        }
        "COGNITO_USER_POOLS" => {
            if a.provider_arns.as_ref().is_none_or(|p| p.is_empty()) {
                return Err(ApiGwError::bad(
                    "ProviderARNs need to be specified for COGNITO_USER_POOLS authorizers",
                ));
            }
        }
        other => {
            return Err(ApiGwError::bad(format!(
                "Invalid authorizer type specified: {other}. Valid values are TOKEN, REQUEST, COGNITO_USER_POOLS"
            )));
        }
    }
    if let Some(ttl) = a.authorizer_result_ttl_in_seconds
        && !(0..=3600).contains(&ttl)
    {
        return Err(ApiGwError::bad(
            "Invalid authorizer result TTL specified. Must be between 0 and 3600",
        ));
    }
    Ok(())
}

pub async fn create_authorizer(cx: &Cx<'_>, req: CreateAuthorizerRequest) -> Result<Authorizer> {
    let a = Authorizer {
        id: new_id(6),
        name: req.name,
        kind: req.kind,
        provider_arns: req.provider_arns,
        auth_type: req.auth_type,
        authorizer_uri: req.authorizer_uri,
        authorizer_credentials: req.authorizer_credentials,
        identity_source: req.identity_source,
        identity_validation_expression: req.identity_validation_expression,
        authorizer_result_ttl_in_seconds: Some(req.authorizer_result_ttl_in_seconds.unwrap_or(300)),
    };
    check_authorizer(&a)?;
    cx.update_api(&req.rest_api_id, |doc| {
        doc.authorizers.insert(a.id.clone(), a.clone());
        Ok(a.clone())
    })
    .await
}

pub async fn get_authorizer(cx: &Cx<'_>, r: ItemRef) -> Result<Authorizer> {
    let doc = cx.load_api(&r.rest_api_id).await?;
    doc.authorizers
        .get(&r.authorizer_id)
        .cloned()
        .ok_or_else(authorizer_not_found)
}

pub async fn get_authorizers(cx: &Cx<'_>, r: ItemRef) -> Result<Value> {
    let doc = cx.load_api(&r.rest_api_id).await?;
    let (items, position) = page(
        doc.authorizers.into_values().collect(),
        r.position.as_deref(),
        r.limit,
    );
    Ok(json!({"items": items, "position": position}))
}

pub async fn delete_authorizer(cx: &Cx<'_>, r: ItemRef) -> Result<()> {
    cx.update_api(&r.rest_api_id, |doc| {
        let in_use = doc
            .resources
            .values()
            .flat_map(|res| res.resource_methods.iter().flatten())
            .any(|(_, m)| m.authorizer_id.as_deref() == Some(r.authorizer_id.as_str()));
        if in_use {
            return Err(ApiGwError::Conflict(
                "Cannot delete authorizer, is referenced in method".into(),
            ));
        }
        doc.authorizers
            .remove(&r.authorizer_id)
            .map(|_| ())
            .ok_or_else(authorizer_not_found)
    })
    .await
}

const AUTHORIZER_FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("type", Kind::Str),
    ("authorizerUri", Kind::Str),
    ("authorizerCredentials", Kind::Str),
    ("identitySource", Kind::Str),
    ("identityValidationExpression", Kind::Str),
    ("authorizerResultTtlInSeconds", Kind::Int),
    ("authType", Kind::Str),
    ("providerARNs", Kind::List),
];

pub async fn update_authorizer(cx: &Cx<'_>, r: ItemRef, p: Patch) -> Result<Authorizer> {
    cx.update_api(&r.rest_api_id, |doc| {
        let slot = doc
            .authorizers
            .get_mut(&r.authorizer_id)
            .ok_or_else(authorizer_not_found)?;
        let new = patch::patch(slot, &p.patch_operations, AUTHORIZER_FIELDS)?;
        check_authorizer(&new)?;
        *slot = new;
        Ok(slot.clone())
    })
    .await
}
