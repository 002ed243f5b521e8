//! CreateFunction, GetFunction, GetFunctionConfiguration, UpdateFunctionCode,
//! UpdateFunctionConfiguration, ListFunctions, DeleteFunction, and the configuration rules
//! they share (role ARN, memory, timeout, environment size and reserved keys, layers).

use super::{
    Cx, check_revision, input, json, load_function, page, parse_ref, resolve, update_function,
    versions,
};
use crate::code;
use crate::error::{LambdaError, Result};
use crate::model::{self, Config, FunctionRecord, LayerRef, Phase, render_config};
use crate::store::{self, Scope};
use lamina_core::{Input, Output, new_request_id};
use lamina_model::generated::lambda_::op;
use lamina_storage::{StoreError, WriteBatch};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub(crate) const OPS: &[&str] = &[
    op::CREATE_FUNCTION,
    op::GET_FUNCTION,
    op::GET_FUNCTION_CONFIGURATION,
    op::UPDATE_FUNCTION_CODE,
    op::UPDATE_FUNCTION_CONFIGURATION,
    op::LIST_FUNCTIONS,
    op::DELETE_FUNCTION,
];

pub(crate) async fn call(cx: &Cx<'_>, op: &str, i: Input) -> Result<Output> {
    match op {
        op::CREATE_FUNCTION => create(cx, i.value).await,
        op::GET_FUNCTION => get(cx, input(i.value)?).await,
        op::GET_FUNCTION_CONFIGURATION => get_configuration(cx, input(i.value)?).await,
        op::UPDATE_FUNCTION_CODE => update_code(cx, input(i.value)?).await,
        op::UPDATE_FUNCTION_CONFIGURATION => update_configuration(cx, input(i.value)?).await,
        op::LIST_FUNCTIONS => list(cx, input(i.value)?).await,
        op::DELETE_FUNCTION => delete(cx, input(i.value)?).await,
        _ => Err(LambdaError::Internal(format!(
            "{op} is not a function operation"
        ))),
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Environment {
    pub variables: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeadLetterConfig {
    pub target_arn: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TracingConfig {
    pub mode: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct EphemeralStorage {
    pub size: u32,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FunctionCode {
    pub zip_file: Option<String>,
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Option<String>,
    #[serde(rename = "S3Key")]
    pub s3_key: Option<String>,
    pub image_uri: Option<String>,
}

/// The configuration members; CreateFunction's input carries the same ones, so it is read
/// with this struct too.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateFunctionConfigurationRequest {
    pub function_name: String,
    pub role: Option<String>,
    pub handler: Option<String>,
    pub description: Option<String>,
    pub timeout: Option<u32>,
    pub memory_size: Option<u32>,
    pub environment: Option<Environment>,
    pub runtime: Option<String>,
    pub dead_letter_config: Option<DeadLetterConfig>,
    #[serde(rename = "KMSKeyArn")]
    pub kms_key_arn: Option<String>,
    pub tracing_config: Option<TracingConfig>,
    pub revision_id: Option<String>,
    pub layers: Option<Vec<String>>,
    pub ephemeral_storage: Option<EphemeralStorage>,
    pub logging_config: Option<Value>,
}

/// CreateFunction's members beyond the configuration.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateFunctionRequest {
    pub function_name: String,
    pub role: String,
    pub code: FunctionCode,
    pub publish: Option<bool>,
    pub package_type: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub architectures: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateFunctionCodeRequest {
    pub function_name: String,
    pub zip_file: Option<String>,
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Option<String>,
    #[serde(rename = "S3Key")]
    pub s3_key: Option<String>,
    pub image_uri: Option<String>,
    pub architectures: Option<Vec<String>>,
    pub publish: Option<bool>,
    pub dry_run: Option<bool>,
    pub revision_id: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetFunctionRequest {
    pub function_name: String,
    pub qualifier: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListFunctionsRequest {
    pub function_version: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<usize>,
}

/// Environment variables Lambda sets itself.
const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

const ENV_LIMIT: usize = 4096;

fn constraint(value: impl std::fmt::Display, at: &str, rule: &str) -> LambdaError {
    LambdaError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {rule}"
    ))
}

/// `arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+`
pub(crate) fn valid_role(role: &str) -> bool {
    let Some(rest) = role.strip_prefix("arn:") else {
        return false;
    };
    let Some((partition, rest)) = rest.split_once(':') else {
        return false;
    };
    if !(partition.is_empty()
        || partition
            .strip_prefix("aws")
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')))
    {
        return false;
    }
    let Some(rest) = rest.strip_prefix("iam::") else {
        return false;
    };
    let Some((account, rest)) = rest.split_once(':') else {
        return false;
    };
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let Some(path) = rest.strip_prefix("role") else {
        return false;
    };
    let path = path.strip_prefix('/').unwrap_or(path);
    !path.is_empty()
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@-_/".contains(&b))
}

fn check_role(role: &str) -> Result<()> {
    if valid_role(role) {
        return Ok(());
    }
    Err(constraint(
        role,
        "role",
        "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
    ))
}

pub(crate) fn check_environment(vars: &BTreeMap<String, String>) -> Result<()> {
    let reserved: Vec<&str> = vars
        .keys()
        .map(String::as_str)
        .filter(|k| RESERVED_ENV.contains(k))
        .collect();
    if !reserved.is_empty() {
        return Err(LambdaError::InvalidParameter(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have \
             provided contains reserved keys that are currently not supported for modification. Reserved keys used \
             in this request: {}",
            reserved.join(", ")
        )));
    }
    let measured = serde_json::to_string(vars).unwrap_or_default();
    if measured.len() > ENV_LIMIT {
        return Err(LambdaError::InvalidParameter(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have \
             provided exceeded the 4KB limit. String measured: {measured}"
        )));
    }
    Ok(())
}

/// Resolves layer version ARNs to what a configuration records.
async fn resolve_layers(cx: &Cx<'_>, arns: &[String]) -> Result<Vec<LayerRef>> {
    if arns.len() > 5 {
        return Err(LambdaError::InvalidParameter(
            "Cannot reference more than 5 layers.".into(),
        ));
    }
    let mut out = Vec::new();
    for arn in arns {
        let missing =
            || LambdaError::InvalidParameter(format!("Layer version {arn} does not exist."));
        let (scope, layer, version) = super::layers::parse_version_arn(arn).ok_or_else(missing)?;
        let rec = store::layer_version(cx.store(), &scope, &layer, version)
            .await?
            .ok_or_else(missing)?;
        out.push(LayerRef {
            arn: arn.clone(),
            code_size: rec.code_size,
            code_key: rec.code_key,
        });
    }
    Ok(out)
}

/// Applies configuration members to a configuration, with AWS's rules.
async fn apply(cx: &Cx<'_>, c: &mut Config, r: UpdateFunctionConfigurationRequest) -> Result<()> {
    if let Some(role) = r.role {
        check_role(&role)?;
        c.role = role;
    }
    if let Some(m) = r.memory_size {
        if m > 10240 {
            return Err(constraint(
                m,
                "memorySize",
                "Member must have value less than or equal to 10240",
            ));
        }
        if m < 128 {
            return Err(constraint(
                m,
                "memorySize",
                "Member must have value greater than or equal to 128",
            ));
        }
        c.memory_size = m;
    }
    if let Some(t) = r.timeout {
        if t > 900 {
            return Err(constraint(
                t,
                "timeout",
                "Member must have value less than or equal to 900",
            ));
        }
        if t < 1 {
            return Err(constraint(
                t,
                "timeout",
                "Member must have value greater than or equal to 1",
            ));
        }
        c.timeout = t;
    }
    if let Some(env) = r.environment {
        let vars = env.variables.unwrap_or_default();
        check_environment(&vars)?;
        c.environment = if vars.is_empty() { None } else { Some(vars) };
    }
    if let Some(e) = r.ephemeral_storage {
        if !(512..=10240).contains(&e.size) {
            let rule = if e.size > 10240 {
                "Member must have value less than or equal to 10240"
            } else {
                "Member must have value greater than or equal to 512"
            };
            return Err(constraint(e.size, "ephemeralStorage.size", rule));
        }
        c.ephemeral_storage = e.size;
    }
    if let Some(layers) = r.layers {
        c.layers = resolve_layers(cx, &layers).await?;
    }
    if let Some(h) = r.handler {
        c.handler = Some(h);
    }
    if let Some(rt) = r.runtime {
        c.runtime = Some(rt);
    }
    if let Some(d) = r.description {
        c.description = d;
    }
    if let Some(d) = r.dead_letter_config {
        c.dead_letter_target = d.target_arn.filter(|t| !t.is_empty());
    }
    if let Some(k) = r.kms_key_arn {
        c.kms_key_arn = Some(k).filter(|k| !k.is_empty());
    }
    if let Some(t) = r.tracing_config {
        c.tracing_mode = t.mode.unwrap_or_else(|| "PassThrough".into());
    }
    if let Some(l) = r.logging_config {
        c.logging_config = Some(l);
    }
    Ok(())
}

/// Reads the zip a request carries: inline bytes, or S3 (which Lamina does not serve yet).
async fn upload(
    cx: &Cx<'_>,
    zip: Option<&str>,
    bucket: Option<&str>,
    key: Option<&str>,
) -> Result<code::Package> {
    match (zip, bucket, key) {
        (Some(z), _, _) => code::put(cx.store(), &code::decode_blob(z)?).await,
        (None, Some(_), _) | (None, _, Some(_)) => Err(LambdaError::InvalidParameter(
            "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket \
             does not exist"
                .into(),
        )),
        (None, None, None) => Err(LambdaError::InvalidParameter("Please provide a source for function code.".into())),
    }
}

fn check_architectures(a: &Option<Vec<String>>) -> Result<Vec<String>> {
    Ok(a.clone()
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| vec!["x86_64".into()]))
}

async fn create(cx: &Cx<'_>, value: Value) -> Result<Output> {
    let req: CreateFunctionRequest = input(value.clone())?;
    let conf: UpdateFunctionConfigurationRequest = input(value)?;
    let fref = parse_ref(&cx.scope, &req.function_name, None)?;
    if fref.qualifier.is_some() {
        return Err(LambdaError::InvalidParameter(
            "Function name can only contain a qualifier for operations that accept one.".into(),
        ));
    }
    let name = fref.name;
    let package_type = req.package_type.clone().unwrap_or_else(|| "Zip".into());
    if package_type != "Zip" || req.code.image_uri.is_some() {
        return Err(LambdaError::InvalidParameter(
            "PackageType Image is not supported: Lamina runs functions from .zip packages.".into(),
        ));
    }
    if conf.runtime.is_none() || conf.handler.is_none() {
        return Err(LambdaError::InvalidParameter(
            "Runtime and Handler are mandatory parameters for functions created with deployment packages.".into(),
        ));
    }
    check_role(&req.role)?;
    if store::function(cx.store(), &cx.scope, &name)
        .await?
        .is_some()
    {
        return Err(LambdaError::Conflict(format!(
            "Function already exist: {name}"
        )));
    }
    let mut config = Config {
        v: model::FORMAT,
        name: name.clone(),
        version: "$LATEST".into(),
        description: String::new(),
        runtime: None,
        handler: None,
        role: req.role.clone(),
        memory_size: 128,
        timeout: 3,
        environment: None,
        layers: Vec::new(),
        ephemeral_storage: 512,
        tracing_mode: "PassThrough".into(),
        dead_letter_target: None,
        kms_key_arn: None,
        architectures: check_architectures(&req.architectures)?,
        package_type,
        logging_config: None,
        code_sha256: String::new(),
        code_size: 0,
        code_key: String::new(),
        revision_id: new_request_id(),
        last_modified: model::now(),
    };
    apply(cx, &mut config, conf).await?;
    let c = &req.code;
    let pkg = upload(
        cx,
        c.zip_file.as_deref(),
        c.s3_bucket.as_deref(),
        c.s3_key.as_deref(),
    )
    .await?;
    config.code_sha256 = pkg.sha256;
    config.code_size = pkg.size;
    config.code_key = pkg.key;
    if let Some(tags) = &req.tags {
        super::tags::check_tags(tags)?;
    }
    let mut record = FunctionRecord {
        v: model::FORMAT,
        latest: config,
        tags: req.tags.clone().unwrap_or_default(),
        reserved_concurrency: None,
        next_version: 1,
        last_published: None,
        event_invoke_configs: BTreeMap::new(),
    };
    let mut batch = WriteBatch::new();
    let key = store::function_key(&cx.scope, &name);
    batch.require_absent(store::FUNCTIONS, key.clone());
    let shown = if req.publish == Some(true) {
        versions::publish_into(&cx.scope, &mut record, &mut batch, None)?
    } else {
        record.latest.clone()
    };
    batch.put(store::FUNCTIONS, key, store::encode(&record)?);
    match cx.store().commit(batch).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => {
            return Err(LambdaError::Conflict(format!(
                "Function already exist: {name}"
            )));
        }
        Err(e) => return Err(e.into()),
    }
    json(render_config(
        &shown,
        &cx.scope.function_arn(&name),
        Phase::Creating,
    ))
}

async fn get(cx: &Cx<'_>, r: GetFunctionRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, r.qualifier.as_deref())?;
    let res = resolve(cx, &fref.name, fref.qualifier.as_deref()).await?;
    let arn = cx.scope.function_arn(&fref.name);
    let mut out = json!({
        "Configuration": render_config(&res.config, &arn, Phase::Settled),
        "Code": {
            "RepositoryType": "S3",
            "Location": code_location(cx, &res.config.code_key),
        },
    });
    if !res.function.tags.is_empty() {
        out["Tags"] = json!(res.function.tags);
    }
    if let Some(n) = res.function.reserved_concurrency {
        out["Concurrency"] = json!({ "ReservedConcurrentExecutions": n });
    }
    json(out)
}

/// Where a package can be downloaded from.
pub(crate) fn code_location(cx: &Cx<'_>, key: &str) -> String {
    let endpoint = if cx.ctx.endpoint.is_empty() {
        cx.lambda.config.endpoint_url.as_str()
    } else {
        &cx.ctx.endpoint
    };
    format!(
        "{}/_lamina/lambda/code/{key}.zip",
        endpoint.trim_end_matches('/')
    )
}

async fn get_configuration(cx: &Cx<'_>, r: GetFunctionRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, r.qualifier.as_deref())?;
    let res = resolve(cx, &fref.name, fref.qualifier.as_deref()).await?;
    json(render_config(
        &res.config,
        &cx.scope.function_arn(&fref.name),
        Phase::Settled,
    ))
}

/// The name of an unqualified reference (update operations accept no qualifier).
fn unqualified(scope: &Scope, raw: &str) -> Result<String> {
    let fref = parse_ref(scope, raw, None)?;
    if fref.qualifier.is_some() {
        return Err(LambdaError::InvalidParameter(
            "Function name can only contain a qualifier for operations that accept one.".into(),
        ));
    }
    Ok(fref.name)
}

async fn update_code(cx: &Cx<'_>, r: UpdateFunctionCodeRequest) -> Result<Output> {
    let name = unqualified(&cx.scope, &r.function_name)?;
    load_function(cx, &name).await?;
    if r.image_uri.is_some() {
        return Err(LambdaError::InvalidParameter(
            "Please don't provide ImageUri when updating a function with packageType Zip.".into(),
        ));
    }
    let pkg = if r.dry_run == Some(true) {
        match r.zip_file.as_deref() {
            Some(z) => Some(code::inspect(&code::decode_blob(z)?)?),
            None => None,
        }
    } else {
        Some(
            upload(
                cx,
                r.zip_file.as_deref(),
                r.s3_bucket.as_deref(),
                r.s3_key.as_deref(),
            )
            .await?,
        )
    };
    let publish = r.publish == Some(true);
    let scope = cx.scope.clone();
    let arch = r.architectures.clone();
    let change = |f: &mut FunctionRecord| -> Result<()> {
        check_revision(r.revision_id.as_deref(), &f.latest.revision_id)?;
        if let Some(p) = &pkg {
            f.latest.code_sha256 = p.sha256.clone();
            f.latest.code_size = p.size;
            f.latest.code_key = p.key.clone();
        }
        if arch.is_some() {
            f.latest.architectures = check_architectures(&arch)?;
        }
        f.latest.revision_id = new_request_id();
        f.latest.last_modified = model::now();
        Ok(())
    };
    if r.dry_run == Some(true) {
        // Nothing is written: the caller sees what the function would look like.
        let mut f = load_function(cx, &name).await?.record;
        change(&mut f)?;
        return json(render_config(
            &f.latest,
            &cx.scope.function_arn(&name),
            Phase::Updating,
        ));
    }
    let shown = update_function(cx, &name, |f, batch| {
        change(f)?;
        if publish {
            versions::publish_into(&scope, f, batch, None)
        } else {
            Ok(f.latest.clone())
        }
    })
    .await?;
    let shown = versions::published(cx, shown).await?;
    json(render_config(
        &shown,
        &cx.scope.function_arn(&name),
        Phase::Updating,
    ))
}

async fn update_configuration(
    cx: &Cx<'_>,
    r: UpdateFunctionConfigurationRequest,
) -> Result<Output> {
    let name = unqualified(&cx.scope, &r.function_name)?;
    let current = load_function(cx, &name).await?.record;
    check_revision(r.revision_id.as_deref(), &current.latest.revision_id)?;
    let expected_revision = r.revision_id.clone();
    // Validate (and resolve layers) once, outside the retry loop.
    let mut patched = current.latest.clone();
    apply(cx, &mut patched, r).await?;
    let shown = update_function(cx, &name, |f, _| {
        check_revision(expected_revision.as_deref(), &f.latest.revision_id)?;
        let mut c = patched.clone();
        // Code may have changed concurrently; the configuration members are this request's.
        c.code_sha256 = f.latest.code_sha256.clone();
        c.code_size = f.latest.code_size;
        c.code_key = f.latest.code_key.clone();
        c.architectures = f.latest.architectures.clone();
        c.revision_id = new_request_id();
        c.last_modified = model::now();
        f.latest = c.clone();
        Ok(c)
    })
    .await?;
    json(render_config(
        &shown,
        &cx.scope.function_arn(&name),
        Phase::Updating,
    ))
}

async fn list(cx: &Cx<'_>, r: ListFunctionsRequest) -> Result<Output> {
    let all = r.function_version.as_deref() == Some("ALL");
    let mut configs = Vec::new();
    for f in store::functions(cx.store(), &cx.scope).await? {
        let name = f.latest.name.clone();
        configs.push(f.latest);
        if all {
            configs.extend(store::versions(cx.store(), &cx.scope, &name).await?);
        }
    }
    let key = |c: &Config| {
        let v = if c.version == "$LATEST" {
            "$".to_string()
        } else {
            store::pad(c.version.parse().unwrap_or(0))
        };
        format!("{}\u{0}{v}", c.name)
    };
    let (items, next) = page(configs, key, r.marker.as_deref(), r.max_items, 50)?;
    let functions: Vec<Value> = items
        .iter()
        .map(|c| render_config(c, &cx.scope.function_arn(&c.name), Phase::Settled))
        .collect();
    let mut out = json!({ "Functions": functions });
    if let Some(m) = next {
        out["NextMarker"] = json!(m);
    }
    json(out)
}

async fn delete(cx: &Cx<'_>, r: GetFunctionRequest) -> Result<Output> {
    let fref = parse_ref(&cx.scope, &r.function_name, r.qualifier.as_deref())?;
    let name = fref.name;
    let s = &cx.scope;
    match fref.qualifier.as_deref() {
        None => {
            let loaded = load_function(cx, &name).await?;
            let mut batch = WriteBatch::new();
            let key = store::function_key(s, &name);
            batch.require_equals(store::FUNCTIONS, key.clone(), loaded.raw);
            batch.delete(store::FUNCTIONS, key);
            let prefix = s.prefix(&[&name]);
            for tree in [store::VERSIONS, store::ALIASES, store::POLICY] {
                store::delete_prefix(cx.store(), &mut batch, tree, &prefix).await?;
            }
            match cx.store().commit(batch).await {
                Ok(()) | Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            // Warm sandboxes of the deleted function must not serve a new one of that name.
            cx.lambda
                .sandboxes
                .evict_function(&s.account, &s.region, &name);
        }
        Some("$LATEST") => {
            return Err(LambdaError::InvalidParameter(
                "$LATEST version cannot be deleted without deleting the function.".into(),
            ));
        }
        Some(q) if super::is_version(q) => {
            let n: u64 = q
                .parse()
                .map_err(|_| super::function_not_found(s, &name, Some(q)))?;
            load_function(cx, &name).await?;
            if store::version(cx.store(), s, &name, n).await?.is_none() {
                return Err(super::function_not_found(s, &name, Some(q)));
            }
            let users: Vec<String> = store::aliases(cx.store(), s, &name)
                .await?
                .into_iter()
                .filter(|a| a.function_version == q || a.weights.contains_key(q))
                .map(|a| a.name)
                .collect();
            if !users.is_empty() {
                return Err(LambdaError::Conflict(format!(
                    "Unable to delete version because the following aliases reference it: [{}]",
                    users.join(", ")
                )));
            }
            let q = q.to_string();
            update_function(cx, &name, |f, batch| {
                f.event_invoke_configs.remove(&q);
                batch.delete(store::VERSIONS, store::version_key(s, &name, n));
                batch.delete(store::POLICY, store::policy_key(s, &name, &q));
                Ok(())
            })
            .await?;
        }
        Some(_) => {
            return Err(LambdaError::InvalidParameter(
                "Deletion of aliases is not supported by DeleteFunction. Use DeleteAlias.".into(),
            ));
        }
    }
    json(json!({}))
}
