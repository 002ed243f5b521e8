//! PublishLayerVersion, GetLayerVersion, GetLayerVersionByArn, ListLayers, ListLayerVersions,
//! DeleteLayerVersion. Layer packages are stored like function packages (content-addressed);
//! version numbers are never reused after a delete.

use super::{Cx, input, json, page};
use crate::code;
use crate::error::{LambdaError, Result};
use crate::model::{self, LayerHead, LayerVersionRecord};
use crate::store::{self, Scope};
use lamina_core::{Input, Output};
use lamina_model::generated::lambda_::op;
use lamina_storage::{StoreError, WriteBatch};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(crate) const OPS: &[&str] = &[
    op::PUBLISH_LAYER_VERSION,
    op::GET_LAYER_VERSION,
    op::GET_LAYER_VERSION_BY_ARN,
    op::LIST_LAYERS,
    op::LIST_LAYER_VERSIONS,
    op::DELETE_LAYER_VERSION,
];

pub(crate) async fn call(cx: &Cx<'_>, op: &str, i: Input) -> Result<Output> {
    match op {
        op::PUBLISH_LAYER_VERSION => publish(cx, input(i.value)?).await,
        op::GET_LAYER_VERSION => get(cx, input(i.value)?).await,
        op::GET_LAYER_VERSION_BY_ARN => get_by_arn(cx, input(i.value)?).await,
        op::LIST_LAYERS => list_layers(cx, input(i.value)?).await,
        op::LIST_LAYER_VERSIONS => list_versions(cx, input(i.value)?).await,
        op::DELETE_LAYER_VERSION => delete(cx, input(i.value)?).await,
        _ => Err(LambdaError::Internal(format!(
            "{op} is not a layer operation"
        ))),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct LayerVersionContentInput {
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Option<String>,
    #[serde(rename = "S3Key")]
    pub s3_key: Option<String>,
    pub zip_file: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PublishLayerVersionRequest {
    pub layer_name: String,
    pub description: Option<String>,
    pub content: LayerVersionContentInput,
    pub compatible_architectures: Option<Vec<String>>,
    pub compatible_runtimes: Option<Vec<String>>,
    pub license_info: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetLayerVersionRequest {
    pub layer_name: String,
    pub version_number: u64,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetLayerVersionByArnRequest {
    pub arn: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListLayersRequest {
    pub compatible_runtime: Option<String>,
    pub compatible_architecture: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<usize>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListLayerVersionsRequest {
    pub layer_name: String,
    pub compatible_runtime: Option<String>,
    pub compatible_architecture: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<usize>,
}

const NOT_FOUND: &str = "The resource you requested does not exist.";

fn not_found() -> LambdaError {
    LambdaError::NotFound(NOT_FOUND.into())
}

fn valid_layer_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 140
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A layer name or layer ARN (`arn:aws:lambda:<region>:<account>:layer:<name>`) → name.
fn layer_name(scope: &Scope, raw: &str) -> Result<String> {
    let name = if raw.starts_with("arn:") {
        let parts: Vec<&str> = raw.split(':').collect();
        if parts.len() != 7 || parts[2] != "lambda" || parts[5] != "layer" {
            return Err(invalid_layer_name(raw));
        }
        if parts[3] != scope.region || parts[4] != scope.account {
            return Err(not_found());
        }
        parts[6]
    } else {
        raw
    };
    if !valid_layer_name(name) {
        return Err(invalid_layer_name(raw));
    }
    Ok(name.to_string())
}

fn invalid_layer_name(raw: &str) -> LambdaError {
    LambdaError::Validation(format!(
        "1 validation error detected: Value '{raw}' at 'layerName' failed to satisfy constraint: Member must satisfy \
         regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{{12}}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+"
    ))
}

/// `arn:aws:lambda:<region>:<account>:layer:<name>:<version>` → (scope, name, version).
pub(crate) fn parse_version_arn(arn: &str) -> Option<(Scope, String, u64)> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() != 8 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "layer" {
        return None;
    }
    let version = parts[7].parse().ok()?;
    if !valid_layer_name(parts[6]) {
        return None;
    }
    Some((
        Scope {
            account: parts[4].into(),
            region: parts[3].into(),
        },
        parts[6].into(),
        version,
    ))
}

fn render(cx: &Cx<'_>, l: &LayerVersionRecord) -> Value {
    let arn = cx.scope.layer_arn(&l.layer_name);
    let mut v = json!({
        "Content": {
            "Location": super::functions::code_location(cx, &l.code_key),
            "CodeSha256": l.code_sha256,
            "CodeSize": l.code_size,
        },
        "LayerArn": arn,
        "LayerVersionArn": format!("{arn}:{}", l.version),
        "Description": l.description,
        "CreatedDate": l.created_date,
        "Version": l.version,
        "CompatibleRuntimes": l.compatible_runtimes,
        "CompatibleArchitectures": l.compatible_architectures,
    });
    if let Some(li) = &l.license_info {
        v["LicenseInfo"] = json!(li);
    }
    v
}

/// A `LayerVersionsListItem`.
fn list_item(cx: &Cx<'_>, l: &LayerVersionRecord) -> Value {
    let mut v = render(cx, l);
    if let Value::Object(m) = &mut v {
        m.remove("Content");
        m.remove("LayerArn");
    }
    v
}

async fn publish(cx: &Cx<'_>, r: PublishLayerVersionRequest) -> Result<Output> {
    let name = layer_name(&cx.scope, &r.layer_name)?;
    let s3 = r.content.s3_bucket.is_some() || r.content.s3_key.is_some();
    let pkg = match (&r.content.zip_file, s3) {
        (Some(z), _) => code::put(cx.store(), &code::decode_blob(z)?).await?,
        (None, true) => {
            return Err(LambdaError::InvalidParameter(
                "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket \
                 does not exist"
                    .into(),
            ));
        }
        (None, false) => {
            return Err(LambdaError::InvalidParameter(
                "Please provide a source for the layer content.".into(),
            ));
        }
    };
    let head_key = cx.scope.key(&[&name]);
    for _ in 0..64 {
        let head = store::layer_head(cx.store(), &cx.scope, &name).await?;
        let (version, raw) = match head {
            Some(h) => (h.record.next_version, Some(h.raw)),
            None => (1, None),
        };
        let record = LayerVersionRecord {
            v: model::FORMAT,
            layer_name: name.clone(),
            version,
            description: r.description.clone().unwrap_or_default(),
            created_date: model::now(),
            compatible_runtimes: r.compatible_runtimes.clone().unwrap_or_default(),
            compatible_architectures: r.compatible_architectures.clone().unwrap_or_default(),
            license_info: r.license_info.clone(),
            code_sha256: pkg.sha256.clone(),
            code_size: pkg.size,
            code_key: pkg.key.clone(),
        };
        let mut batch = WriteBatch::new();
        batch.require(store::LAYER_HEADS, head_key.clone(), raw);
        let next = LayerHead {
            v: model::FORMAT,
            next_version: version + 1,
        };
        batch.put(store::LAYER_HEADS, head_key.clone(), store::encode(&next)?);
        batch.put(
            store::LAYERS,
            store::layer_key(&cx.scope, &name, version),
            store::encode(&record)?,
        );
        match cx.store().commit(batch).await {
            Ok(()) => return json(render(cx, &record)),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(LambdaError::Conflict(
        "The operation cannot be performed at this time. Please try again.".into(),
    ))
}

async fn get(cx: &Cx<'_>, r: GetLayerVersionRequest) -> Result<Output> {
    let name = layer_name(&cx.scope, &r.layer_name)?;
    let l = store::layer_version(cx.store(), &cx.scope, &name, r.version_number)
        .await?
        .ok_or_else(not_found)?;
    json(render(cx, &l))
}

async fn get_by_arn(cx: &Cx<'_>, r: GetLayerVersionByArnRequest) -> Result<Output> {
    let Some((scope, name, version)) = parse_version_arn(&r.arn) else {
        return Err(LambdaError::Validation(format!(
            "1 validation error detected: Value '{}' at 'arn' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{{2}}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{{1}}:\\d{{12}}:layer:[a-zA-Z0-9-_]+:[0-9]+)|(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)",
            r.arn
        )));
    };
    if scope.account != cx.scope.account || scope.region != cx.scope.region {
        return Err(not_found());
    }
    let l = store::layer_version(cx.store(), &cx.scope, &name, version)
        .await?
        .ok_or_else(not_found)?;
    json(render(cx, &l))
}

fn matches(l: &LayerVersionRecord, runtime: Option<&str>, arch: Option<&str>) -> bool {
    runtime.is_none_or(|r| l.compatible_runtimes.iter().any(|x| x == r))
        && arch.is_none_or(|a| l.compatible_architectures.iter().any(|x| x == a))
}

async fn list_layers(cx: &Cx<'_>, r: ListLayersRequest) -> Result<Output> {
    let all: Vec<(Vec<u8>, LayerVersionRecord)> =
        store::scan(cx.store(), store::LAYERS, &cx.scope.prefix(&[])).await?;
    // Latest matching version per layer, layers in name order.
    let mut latest: BTreeMap<String, LayerVersionRecord> = BTreeMap::new();
    for (_, l) in all {
        if matches(
            &l,
            r.compatible_runtime.as_deref(),
            r.compatible_architecture.as_deref(),
        ) {
            latest.insert(l.layer_name.clone(), l);
        }
    }
    let (items, next) = page(
        latest.into_values().collect(),
        |l| l.layer_name.clone(),
        r.marker.as_deref(),
        r.max_items,
        50,
    )?;
    let layers: Vec<Value> = items
        .iter()
        .map(|l| {
            json!({
                "LayerName": l.layer_name,
                "LayerArn": cx.scope.layer_arn(&l.layer_name),
                "LatestMatchingVersion": list_item(cx, l),
            })
        })
        .collect();
    let mut out = json!({ "Layers": layers });
    if let Some(m) = next {
        out["NextMarker"] = json!(m);
    }
    json(out)
}

async fn list_versions(cx: &Cx<'_>, r: ListLayerVersionsRequest) -> Result<Output> {
    let name = layer_name(&cx.scope, &r.layer_name)?;
    let mut versions = store::layer_versions(cx.store(), &cx.scope, &name).await?;
    versions.retain(|l| {
        matches(
            l,
            r.compatible_runtime.as_deref(),
            r.compatible_architecture.as_deref(),
        )
    });
    // Newest first, as AWS lists them.
    versions.reverse();
    let key = |l: &LayerVersionRecord| store::pad(u64::MAX - l.version);
    let (items, next) = page(versions, key, r.marker.as_deref(), r.max_items, 50)?;
    let list: Vec<Value> = items.iter().map(|l| list_item(cx, l)).collect();
    let mut out = json!({ "LayerVersions": list });
    if let Some(m) = next {
        out["NextMarker"] = json!(m);
    }
    json(out)
}

async fn delete(cx: &Cx<'_>, r: GetLayerVersionRequest) -> Result<Output> {
    let name = layer_name(&cx.scope, &r.layer_name)?;
    let mut batch = WriteBatch::new();
    batch.delete(
        store::LAYERS,
        store::layer_key(&cx.scope, &name, r.version_number),
    );
    cx.store().commit(batch).await?;
    json(json!({}))
}
