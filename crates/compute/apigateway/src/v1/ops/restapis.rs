//! CreateRestApi, GetRestApi, GetRestApis, UpdateRestApi, DeleteRestApi.

use super::{Cx, Patch, new_id, now, page};
use crate::v1::error::{ApiGwError, Result};
use crate::v1::patch::{self, Kind};
use crate::v1::store::{self, ApiDoc};
use crate::v1::types::{Resource, RestApi, StrMap};
use lamina_storage::WriteBatch;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateRestApiRequest {
    pub name: String,
    pub description: Option<String>,
    pub version: Option<String>,
    pub clone_from: Option<String>,
    pub binary_media_types: Option<Vec<String>>,
    pub minimum_compression_size: Option<i64>,
    pub api_key_source: Option<String>,
    pub endpoint_configuration: Option<Value>,
    pub policy: Option<String>,
    pub tags: Option<StrMap>,
    pub disable_execute_api_endpoint: bool,
}

/// A fresh definition: the API and its root resource `/`.
pub fn new_doc(req: CreateRestApiRequest) -> ApiDoc {
    let root = new_id(10);
    let api = RestApi {
        id: new_id(10),
        name: req.name,
        description: req.description,
        created_date: now(),
        version: req.version,
        warnings: None,
        binary_media_types: req.binary_media_types,
        minimum_compression_size: req.minimum_compression_size,
        api_key_source: Some(req.api_key_source.unwrap_or_else(|| "HEADER".into())),
        endpoint_configuration: Some(
            req.endpoint_configuration
                .unwrap_or_else(|| json!({"types": ["EDGE"]})),
        ),
        policy: req.policy,
        tags: Some(req.tags.unwrap_or_default()),
        disable_execute_api_endpoint: req.disable_execute_api_endpoint,
        root_resource_id: root.clone(),
    };
    let mut resources = BTreeMap::new();
    resources.insert(
        root.clone(),
        Resource {
            id: root,
            path: "/".into(),
            ..Default::default()
        },
    );
    ApiDoc {
        api,
        resources,
        ..Default::default()
    }
}

pub async fn create(cx: &Cx<'_>, req: CreateRestApiRequest) -> Result<RestApi> {
    let clone = match &req.clone_from {
        Some(src) => Some(cx.load_api(src).await?),
        None => None,
    };
    let mut doc = new_doc(req);
    if let Some(src) = clone {
        doc.resources = src.resources;
        doc.models = src.models;
        doc.validators = src.validators;
        doc.authorizers = src.authorizers;
        doc.api.root_resource_id = src.api.root_resource_id;
    }
    store_new(cx, doc).await
}

/// Writes a new API document, drawing another id on the (unlikely) collision.
pub async fn store_new(cx: &Cx<'_>, mut doc: ApiDoc) -> Result<RestApi> {
    for _ in 0..8 {
        if cx
            .db
            .create(store::APIS, cx.api_key(&doc.api.id), &doc)
            .await?
        {
            return Ok(doc.api);
        }
        doc.api.id = new_id(10);
    }
    Err(ApiGwError::Internal("no free REST API id".into()))
}

pub async fn get(cx: &Cx<'_>, api_id: &str) -> Result<RestApi> {
    Ok(cx.load_api(api_id).await?.api)
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ListRequest {
    pub position: Option<String>,
    pub limit: Option<i64>,
}

pub async fn list(cx: &Cx<'_>, req: ListRequest) -> Result<Value> {
    let docs: Vec<ApiDoc> = cx.db.list(store::APIS, &cx.scope.prefix(&[])).await?;
    let mut apis: Vec<RestApi> = docs.into_iter().map(|d| d.api).collect();
    apis.sort_by(|a, b| {
        a.created_date
            .total_cmp(&b.created_date)
            .then(a.id.cmp(&b.id))
    });
    let (items, position) = page(apis, req.position.as_deref(), req.limit);
    Ok(json!({"items": items, "position": position}))
}

const FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::Str),
    ("description", Kind::Str),
    ("version", Kind::Str),
    ("policy", Kind::Str),
    ("apiKeySource", Kind::Str),
    ("binaryMediaTypes", Kind::List),
    ("minimumCompressionSize", Kind::Int),
    ("disableExecuteApiEndpoint", Kind::Bool),
];

pub async fn update(cx: &Cx<'_>, api_id: &str, p: Patch) -> Result<RestApi> {
    cx.update_api(api_id, |doc| {
        let mut api = patch::patch(&doc.api, &p.patch_operations, FIELDS)?;
        if let Some(src) = api.api_key_source.as_deref()
            && src != "HEADER"
            && src != "AUTHORIZER"
        {
            return Err(ApiGwError::bad(format!(
                "Invalid API Key source specified: {src}"
            )));
        }
        if api.api_key_source.is_none() {
            api.api_key_source = Some("HEADER".into());
        }
        doc.api = api;
        Ok(doc.api.clone())
    })
    .await
}

pub async fn delete(cx: &Cx<'_>, api_id: &str) -> Result<()> {
    let key = cx.api_key(api_id);
    let mut batch = WriteBatch::new();
    batch.require_exists(store::APIS, key.clone());
    batch.delete(store::APIS, key);
    for k in cx
        .db
        .keys(store::DEPLOYMENTS, &cx.scope.prefix(&[api_id]))
        .await?
    {
        batch.delete(store::DEPLOYMENTS, k);
    }
    for k in cx
        .db
        .keys(store::STAGES, &cx.scope.prefix(&[api_id]))
        .await?
    {
        batch.delete(store::STAGES, k);
    }
    match cx.db.store.commit(batch).await {
        Ok(()) => Ok(()),
        Err(lamina_storage::StoreError::Conflict { .. }) => Err(cx.api_not_found(api_id)),
        Err(e) => Err(e.into()),
    }
}
