//! The `apigateway` [`Service`]: deserialize the canonical input, run the operation, map the
//! result. No logic of its own.

use super::error::{ApiGwError, Result};
use super::ops::{self, Cx, definitions as defs, deployments as deps, domains, keys, methods};
use super::store::{Db, Scope};
use crate::ApiGateway;
use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_model::generated::apigateway::op;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;

/// The REST API control plane.
pub struct RestApiService {
    gw: Arc<ApiGateway>,
}

impl RestApiService {
    pub fn new(gw: Arc<ApiGateway>) -> Self {
        Self { gw }
    }
}

const IMPLEMENTED: &[&str] = &[
    op::CREATE_REST_API,
    op::GET_REST_API,
    op::GET_REST_APIS,
    op::UPDATE_REST_API,
    op::DELETE_REST_API,
    op::IMPORT_REST_API,
    op::PUT_REST_API,
    op::GET_EXPORT,
    op::GET_RESOURCES,
    op::GET_RESOURCE,
    op::CREATE_RESOURCE,
    op::UPDATE_RESOURCE,
    op::DELETE_RESOURCE,
    op::PUT_METHOD,
    op::GET_METHOD,
    op::UPDATE_METHOD,
    op::DELETE_METHOD,
    op::PUT_INTEGRATION,
    op::GET_INTEGRATION,
    op::UPDATE_INTEGRATION,
    op::DELETE_INTEGRATION,
    op::PUT_INTEGRATION_RESPONSE,
    op::GET_INTEGRATION_RESPONSE,
    op::UPDATE_INTEGRATION_RESPONSE,
    op::DELETE_INTEGRATION_RESPONSE,
    op::PUT_METHOD_RESPONSE,
    op::GET_METHOD_RESPONSE,
    op::UPDATE_METHOD_RESPONSE,
    op::DELETE_METHOD_RESPONSE,
    op::CREATE_MODEL,
    op::GET_MODEL,
    op::GET_MODELS,
    op::UPDATE_MODEL,
    op::DELETE_MODEL,
    op::CREATE_REQUEST_VALIDATOR,
    op::GET_REQUEST_VALIDATOR,
    op::GET_REQUEST_VALIDATORS,
    op::UPDATE_REQUEST_VALIDATOR,
    op::DELETE_REQUEST_VALIDATOR,
    op::CREATE_AUTHORIZER,
    op::GET_AUTHORIZER,
    op::GET_AUTHORIZERS,
    op::UPDATE_AUTHORIZER,
    op::DELETE_AUTHORIZER,
    op::CREATE_DEPLOYMENT,
    op::GET_DEPLOYMENT,
    op::GET_DEPLOYMENTS,
    op::UPDATE_DEPLOYMENT,
    op::DELETE_DEPLOYMENT,
    op::CREATE_STAGE,
    op::GET_STAGE,
    op::GET_STAGES,
    op::UPDATE_STAGE,
    op::DELETE_STAGE,
    op::FLUSH_STAGE_CACHE,
    op::FLUSH_STAGE_AUTHORIZERS_CACHE,
    op::CREATE_API_KEY,
    op::GET_API_KEY,
    op::GET_API_KEYS,
    op::UPDATE_API_KEY,
    op::DELETE_API_KEY,
    op::CREATE_USAGE_PLAN,
    op::GET_USAGE_PLAN,
    op::GET_USAGE_PLANS,
    op::UPDATE_USAGE_PLAN,
    op::DELETE_USAGE_PLAN,
    op::CREATE_USAGE_PLAN_KEY,
    op::GET_USAGE_PLAN_KEY,
    op::GET_USAGE_PLAN_KEYS,
    op::DELETE_USAGE_PLAN_KEY,
    op::GET_USAGE,
    op::UPDATE_USAGE,
    op::CREATE_DOMAIN_NAME,
    op::GET_DOMAIN_NAME,
    op::GET_DOMAIN_NAMES,
    op::UPDATE_DOMAIN_NAME,
    op::DELETE_DOMAIN_NAME,
    op::CREATE_BASE_PATH_MAPPING,
    op::GET_BASE_PATH_MAPPING,
    op::GET_BASE_PATH_MAPPINGS,
    op::UPDATE_BASE_PATH_MAPPING,
    op::DELETE_BASE_PATH_MAPPING,
    op::TAG_RESOURCE,
    op::UNTAG_RESOURCE,
    op::GET_TAGS,
];

fn input<T: DeserializeOwned>(value: &Value) -> Result<T> {
    T::deserialize(value).map_err(|e| ApiGwError::bad(format!("Invalid request: {e}")))
}

/// Drops nulls (absent optional members) from an output document, recursively.
pub fn prune(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(prune);
        }
        Value::Array(a) => a.iter_mut().for_each(prune),
        _ => {}
    }
}

fn output<T: Serialize>(value: T) -> Result<Output> {
    let mut v = serde_json::to_value(value)
        .map_err(|e| ApiGwError::Internal(format!("encode output: {e}")))?;
    prune(&mut v);
    Ok(Output::json(v))
}

fn empty() -> Result<Output> {
    Ok(Output::json(serde_json::json!({})))
}

impl RestApiService {
    fn flush_cache(&self, cx: &Cx<'_>, api: &str, stage: &str) {
        let key = super::cache::stage_key(&cx.scope.account, &cx.scope.region, api, stage);
        self.gw.cache.flush(&key);
    }

    async fn dispatch(
        &self,
        ctx: &RequestContext,
        operation: &str,
        input_: Input,
    ) -> Result<Output> {
        let db = Db {
            store: self.gw.store.clone(),
        };
        let cx = Cx {
            db: &db,
            scope: Scope {
                account: ctx.account_id.clone(),
                region: ctx.region.clone(),
            },
        };
        let cx = &cx;
        let v = &input_.value;
        let api_id = || v["restApiId"].as_str().unwrap_or_default().to_string();
        match operation {
            op::CREATE_REST_API => output(ops::restapis::create(cx, input(v)?).await?),
            op::GET_REST_API => output(ops::restapis::get(cx, &api_id()).await?),
            op::GET_REST_APIS => output(ops::restapis::list(cx, input(v)?).await?),
            op::UPDATE_REST_API => output(ops::restapis::update(cx, &api_id(), input(v)?).await?),
            op::DELETE_REST_API => ops::restapis::delete(cx, &api_id())
                .await
                .and_then(|()| empty()),
            op::IMPORT_REST_API => output(
                super::openapi::import(cx, None, v, input_.payload.as_deref().unwrap_or_default())
                    .await?,
            ),
            op::PUT_REST_API => output(
                super::openapi::import(
                    cx,
                    Some(&api_id()),
                    v,
                    input_.payload.as_deref().unwrap_or_default(),
                )
                .await?,
            ),
            op::GET_EXPORT => super::openapi::export(cx, v).await,
            op::GET_RESOURCES => output(ops::resources::list(cx, input(v)?).await?),
            op::GET_RESOURCE => output(ops::resources::get(cx, input(v)?).await?),
            op::CREATE_RESOURCE => output(ops::resources::create(cx, input(v)?).await?),
            op::UPDATE_RESOURCE => output(ops::resources::update(cx, input(v)?, input(v)?).await?),
            op::DELETE_RESOURCE => ops::resources::delete(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::PUT_METHOD => output(methods::put_method(cx, input(v)?).await?),
            op::GET_METHOD => output(methods::get_method(cx, input(v)?).await?),
            op::UPDATE_METHOD => output(methods::update_method(cx, input(v)?, input(v)?).await?),
            op::DELETE_METHOD => methods::delete_method(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::PUT_INTEGRATION => output(methods::put_integration(cx, input(v)?).await?),
            op::GET_INTEGRATION => output(methods::get_integration(cx, input(v)?).await?),
            op::UPDATE_INTEGRATION => {
                output(methods::update_integration(cx, input(v)?, input(v)?).await?)
            }
            op::DELETE_INTEGRATION => methods::delete_integration(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::PUT_INTEGRATION_RESPONSE => {
                output(methods::put_integration_response(cx, input(v)?).await?)
            }
            op::GET_INTEGRATION_RESPONSE => {
                output(methods::get_integration_response(cx, input(v)?).await?)
            }
            op::UPDATE_INTEGRATION_RESPONSE => {
                output(methods::update_integration_response(cx, input(v)?, input(v)?).await?)
            }
            op::DELETE_INTEGRATION_RESPONSE => methods::delete_integration_response(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::PUT_METHOD_RESPONSE => output(methods::put_method_response(cx, input(v)?).await?),
            op::GET_METHOD_RESPONSE => output(methods::get_method_response(cx, input(v)?).await?),
            op::UPDATE_METHOD_RESPONSE => {
                output(methods::update_method_response(cx, input(v)?, input(v)?).await?)
            }
            op::DELETE_METHOD_RESPONSE => methods::delete_method_response(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::CREATE_MODEL => output(defs::create_model(cx, input(v)?).await?),
            op::GET_MODEL => output(defs::get_model(cx, input(v)?).await?),
            op::GET_MODELS => output(defs::get_models(cx, input(v)?).await?),
            op::UPDATE_MODEL => output(defs::update_model(cx, input(v)?, input(v)?).await?),
            op::DELETE_MODEL => defs::delete_model(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::CREATE_REQUEST_VALIDATOR => output(defs::create_validator(cx, input(v)?).await?),
            op::GET_REQUEST_VALIDATOR => output(defs::get_validator(cx, input(v)?).await?),
            op::GET_REQUEST_VALIDATORS => output(defs::get_validators(cx, input(v)?).await?),
            op::UPDATE_REQUEST_VALIDATOR => {
                output(defs::update_validator(cx, input(v)?, input(v)?).await?)
            }
            op::DELETE_REQUEST_VALIDATOR => defs::delete_validator(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::CREATE_AUTHORIZER => output(defs::create_authorizer(cx, input(v)?).await?),
            op::GET_AUTHORIZER => output(defs::get_authorizer(cx, input(v)?).await?),
            op::GET_AUTHORIZERS => output(defs::get_authorizers(cx, input(v)?).await?),
            op::UPDATE_AUTHORIZER => {
                output(defs::update_authorizer(cx, input(v)?, input(v)?).await?)
            }
            op::DELETE_AUTHORIZER => defs::delete_authorizer(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::CREATE_DEPLOYMENT => output(deps::create_deployment(cx, input(v)?).await?),
            op::GET_DEPLOYMENT => output(deps::get_deployment(cx, input(v)?).await?),
            op::GET_DEPLOYMENTS => output(deps::get_deployments(cx, input(v)?).await?),
            op::UPDATE_DEPLOYMENT => {
                output(deps::update_deployment(cx, input(v)?, input(v)?).await?)
            }
            op::DELETE_DEPLOYMENT => deps::delete_deployment(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::CREATE_STAGE => output(deps::create_stage(cx, input(v)?).await?),
            op::GET_STAGE => output(deps::get_stage(cx, input(v)?).await?),
            op::GET_STAGES => output(deps::get_stages(cx, input(v)?).await?),
            op::UPDATE_STAGE => {
                let stage = deps::update_stage(cx, input(v)?, input(v)?).await?;
                if !stage.cache_cluster_enabled {
                    self.flush_cache(cx, &api_id(), &stage.stage_name);
                }
                output(stage)
            }
            op::DELETE_STAGE => {
                let r: deps::StageRef = input(v)?;
                let name = r.stage_name.clone();
                deps::delete_stage(cx, r).await?;
                self.flush_cache(cx, &api_id(), &name);
                empty()
            }
            op::FLUSH_STAGE_AUTHORIZERS_CACHE => {
                let r: deps::StageRef = input(v)?;
                deps::load_stage(cx, &r.rest_api_id, &r.stage_name).await?;
                let prefix = super::authorizer::stage_prefix(
                    &cx.scope.account,
                    &cx.scope.region,
                    &r.rest_api_id,
                    &r.stage_name,
                );
                self.gw.auth_cache.flush_stage(&prefix);
                empty()
            }
            op::FLUSH_STAGE_CACHE => {
                let r: deps::StageRef = input(v)?;
                deps::load_stage(cx, &r.rest_api_id, &r.stage_name).await?;
                self.flush_cache(cx, &r.rest_api_id, &r.stage_name);
                empty()
            }
            op::CREATE_API_KEY => output(keys::create_key(cx, input(v)?).await?),
            op::GET_API_KEY => output(keys::get_key(cx, input(v)?).await?),
            op::GET_API_KEYS => output(keys::get_keys(cx, input(v)?).await?),
            op::UPDATE_API_KEY => output(keys::update_key(cx, input(v)?, input(v)?).await?),
            op::DELETE_API_KEY => keys::delete_key(cx, input(v)?).await.and_then(|()| empty()),
            op::CREATE_USAGE_PLAN => output(keys::create_plan(cx, input(v)?).await?),
            op::GET_USAGE_PLAN => output(keys::get_plan(cx, input(v)?).await?),
            op::GET_USAGE_PLANS => output(keys::get_plans(cx, input(v)?).await?),
            op::UPDATE_USAGE_PLAN => output(keys::update_plan(cx, input(v)?, input(v)?).await?),
            op::DELETE_USAGE_PLAN => keys::delete_plan(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::CREATE_USAGE_PLAN_KEY => output(keys::create_plan_key(cx, input(v)?).await?),
            op::GET_USAGE_PLAN_KEY => output(keys::get_plan_key(cx, input(v)?).await?),
            op::GET_USAGE_PLAN_KEYS => output(keys::get_plan_keys(cx, input(v)?).await?),
            op::DELETE_USAGE_PLAN_KEY => keys::delete_plan_key(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::GET_USAGE => output(keys::get_usage(cx, input(v)?).await?),
            op::UPDATE_USAGE => output(keys::update_usage(cx, input(v)?, input(v)?).await?),
            op::CREATE_DOMAIN_NAME => output(domains::create_domain(cx, input(v)?).await?),
            op::GET_DOMAIN_NAME => output(domains::get_domain(cx, input(v)?).await?),
            op::GET_DOMAIN_NAMES => output(domains::get_domains(cx, input(v)?).await?),
            op::UPDATE_DOMAIN_NAME => {
                output(domains::update_domain(cx, input(v)?, input(v)?).await?)
            }
            op::DELETE_DOMAIN_NAME => domains::delete_domain(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::CREATE_BASE_PATH_MAPPING => output(domains::create_mapping(cx, input(v)?).await?),
            op::GET_BASE_PATH_MAPPING => output(domains::get_mapping(cx, input(v)?).await?),
            op::GET_BASE_PATH_MAPPINGS => output(domains::get_mappings(cx, input(v)?).await?),
            op::UPDATE_BASE_PATH_MAPPING => {
                output(domains::update_mapping(cx, input(v)?, input(v)?).await?)
            }
            op::DELETE_BASE_PATH_MAPPING => domains::delete_mapping(cx, input(v)?)
                .await
                .and_then(|()| empty()),
            op::TAG_RESOURCE => domains::tag(cx, input(v)?).await.and_then(|()| empty()),
            op::UNTAG_RESOURCE => domains::untag(cx, input(v)?).await.and_then(|()| empty()),
            op::GET_TAGS => output(domains::get_tags(cx, input(v)?).await?),
            other => Err(ApiGwError::Internal(format!(
                "operation {other} is not implemented"
            ))),
        }
    }
}

impl Service for RestApiService {
    fn name(&self) -> &'static str {
        "apigateway"
    }

    fn implemented(&self) -> &'static [&'static str] {
        IMPLEMENTED
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Input,
    ) -> BoxFuture<'a, std::result::Result<Output, AwsError>> {
        Box::pin(async move {
            self.dispatch(ctx, operation, input)
                .await
                .map_err(AwsError::from)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_implemented_operations_exist_in_the_model() {
        let model = lamina_model::get("apigateway").expect("apigateway model");
        for name in IMPLEMENTED {
            assert!(model.operation(name).is_some(), "{name}");
        }
    }
}
