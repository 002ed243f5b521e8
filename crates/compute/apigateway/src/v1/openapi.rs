//! ImportRestApi / PutRestApi from OpenAPI 3 and Swagger 2 documents (JSON or YAML) with API
//! Gateway's `x-amazon-apigateway-*` extensions, and GetExport (oas30 / swagger, JSON).
//!
//! Supported extensions: `x-amazon-apigateway-integration` (with `responses`),
//! `x-amazon-apigateway-any-method`, `x-amazon-apigateway-authorizer` and `-authtype` on
//! security schemes, `x-amazon-apigateway-api-key-source`,
//! `x-amazon-apigateway-binary-media-types`, `x-amazon-apigateway-request-validators` and
//! `x-amazon-apigateway-request-validator` (document or operation level). Security schemes
//! of type `apiKey` without an authorizer make a method require an API key.

use super::error::{ApiGwError, Result};
use super::ops::restapis::{CreateRestApiRequest, new_doc, store_new};
use super::ops::{Cx, deployments, methods, new_id};
use super::store::ApiDoc;
use super::types::*;
use lamina_core::Output;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

const VERBS: &[&str] = &[
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "x-amazon-apigateway-any-method",
];

fn parse_body(body: &[u8]) -> Result<Value> {
    let v: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => parse_yaml(body)?,
    };
    if !v.is_object() || (v.get("swagger").is_none() && v.get("openapi").is_none()) {
        return Err(ApiGwError::bad(
            "Invalid OpenAPI input: 'swagger' or 'openapi' version field is missing",
        ));
    }
    Ok(v)
}

/// A YAML document as JSON: mapping keys that YAML reads as numbers or booleans
/// (`200:` under `responses`) become their text, tags are dropped.
fn parse_yaml(body: &[u8]) -> Result<Value> {
    let invalid = |e: &dyn std::fmt::Display| {
        ApiGwError::bad(format!(
            "Invalid OpenAPI input: the document is neither JSON nor YAML ({e})"
        ))
    };
    let text = std::str::from_utf8(body).map_err(|e| invalid(&e))?;
    let y: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).map_err(|e| invalid(&e))?;
    yaml_to_json(y, 0).ok_or_else(|| invalid(&"unsupported mapping key or nesting"))
}

fn yaml_to_json(y: serde_yaml_ng::Value, depth: usize) -> Option<Value> {
    use serde_yaml_ng::Value as Y;
    if depth > 128 {
        return None;
    }
    Some(match y {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                serde_json::Number::from_f64(n.as_f64()?).map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|v| yaml_to_json(v, depth + 1))
                .collect::<Option<_>>()?,
        ),
        Y::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_string(),
                    _ => return None,
                };
                out.insert(key, yaml_to_json(v, depth + 1)?);
            }
            Value::Object(out)
        }
        Y::Tagged(t) => yaml_to_json(t.value, depth + 1)?,
    })
}

fn ref_name(r: &str) -> String {
    r.rsplit('/').next().unwrap_or(r).to_string()
}

fn strs(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| {
        a.iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    })
}

fn str_map(v: &Value) -> Option<StrMap> {
    v.as_object().map(|m| {
        m.iter()
            .filter_map(|(k, x)| Some((k.clone(), x.as_str()?.to_string())))
            .collect()
    })
}

/// Builds (or merges into) a definition from an OpenAPI document.
pub fn apply(doc: &mut ApiDoc, spec: &Value) -> Result<()> {
    let info = &spec["info"];
    if let Some(t) = info["title"].as_str() {
        doc.api.name = t.to_string();
    }
    if let Some(d) = info["description"].as_str() {
        doc.api.description = Some(d.to_string());
    }
    if let Some(v) = info["version"].as_str() {
        doc.api.version = Some(v.to_string());
    }
    if let Some(src) = spec["x-amazon-apigateway-api-key-source"].as_str() {
        doc.api.api_key_source = Some(src.to_string());
    }
    if let Some(types) = strs(&spec["x-amazon-apigateway-binary-media-types"]) {
        doc.api.binary_media_types = Some(types);
    }
    // Models.
    let schemas = spec["components"]["schemas"]
        .as_object()
        .or(spec["definitions"].as_object());
    for (name, schema) in schemas.into_iter().flatten() {
        doc.models.insert(
            name.clone(),
            Model {
                id: new_id(6),
                name: name.clone(),
                description: None,
                schema: Some(schema.to_string()),
                content_type: "application/json".into(),
            },
        );
    }
    // Request validators by name.
    let mut validators: BTreeMap<String, String> = BTreeMap::new();
    for (name, v) in spec["x-amazon-apigateway-request-validators"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let rv = RequestValidator {
            id: new_id(6),
            name: Some(name.clone()),
            validate_request_body: v["validateRequestBody"].as_bool().unwrap_or(false),
            validate_request_parameters: v["validateRequestParameters"].as_bool().unwrap_or(false),
        };
        validators.insert(name.clone(), rv.id.clone());
        doc.validators.insert(rv.id.clone(), rv);
    }
    let default_validator = spec["x-amazon-apigateway-request-validator"]
        .as_str()
        .and_then(|n| validators.get(n).cloned());
    // Security schemes: authorizers and API keys.
    let schemes = spec["components"]["securitySchemes"]
        .as_object()
        .or(spec["securityDefinitions"].as_object());
    let mut authorizers: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut api_key_schemes: Vec<String> = Vec::new();
    for (name, s) in schemes.into_iter().flatten() {
        let Some(ext) = s.get("x-amazon-apigateway-authorizer") else {
            if s["type"] == "apiKey" {
                api_key_schemes.push(name.clone());
            }
            continue;
        };
        let kind = ext["type"].as_str().unwrap_or("token").to_ascii_uppercase();
        let identity = ext["identitySource"]
            .as_str()
            .map(str::to_string)
            .or_else(|| {
                (s["in"] == "header")
                    .then(|| {
                        s["name"]
                            .as_str()
                            .map(|h| format!("method.request.header.{h}"))
                    })
                    .flatten()
            });
        let a = Authorizer {
            id: new_id(6),
            name: name.clone(),
            kind: kind.clone(),
            provider_arns: strs(&ext["providerARNs"]),
            auth_type: s["x-amazon-apigateway-authtype"]
                .as_str()
                .map(str::to_string),
            authorizer_uri: ext["authorizerUri"].as_str().map(str::to_string),
            authorizer_credentials: ext["authorizerCredentials"].as_str().map(str::to_string),
            identity_source: identity,
            identity_validation_expression: ext["identityValidationExpression"]
                .as_str()
                .map(str::to_string),
            authorizer_result_ttl_in_seconds: Some(
                ext["authorizerResultTtlInSeconds"].as_i64().unwrap_or(300),
            ),
        };
        let auth_type = if kind == "COGNITO_USER_POOLS" {
            "COGNITO_USER_POOLS"
        } else {
            "CUSTOM"
        };
        authorizers.insert(name.clone(), (a.id.clone(), auth_type.to_string()));
        doc.authorizers.insert(a.id.clone(), a);
    }
    let global_security = spec.get("security");
    // Paths.
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        let rid = super::ops::resources::ensure_path(doc, path)?;
        let shared_params = item["parameters"].as_array().cloned().unwrap_or_default();
        for verb in VERBS {
            let Some(op) = item.get(*verb) else { continue };
            let http = if *verb == "x-amazon-apigateway-any-method" {
                "ANY".to_string()
            } else {
                verb.to_ascii_uppercase()
            };
            let m = method_of(
                op,
                &http,
                &shared_params,
                global_security,
                &authorizers,
                &api_key_schemes,
                &validators,
                default_validator.as_deref(),
                &rid,
            )?;
            methods::check_method(doc, &m)?;
            doc.resource_mut(&rid)?
                .resource_methods
                .get_or_insert_with(BTreeMap::new)
                .insert(http, m);
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn method_of(
    op: &Value,
    http: &str,
    shared_params: &[Value],
    global_security: Option<&Value>,
    authorizers: &BTreeMap<String, (String, String)>,
    api_key_schemes: &[String],
    validators: &BTreeMap<String, String>,
    default_validator: Option<&str>,
    rid: &str,
) -> Result<Method> {
    let mut m = Method {
        http_method: http.to_string(),
        authorization_type: "NONE".into(),
        operation_name: op["operationId"].as_str().map(str::to_string),
        ..Default::default()
    };
    let mut params = BoolMap::new();
    let mut models = StrMap::new();
    for p in shared_params
        .iter()
        .chain(op["parameters"].as_array().into_iter().flatten())
    {
        let loc = match p["in"].as_str().unwrap_or_default() {
            "path" => "path",
            "query" => "querystring",
            "header" => "header",
            "body" => {
                if let Some(r) = p["schema"]["$ref"].as_str() {
                    models.insert("application/json".into(), ref_name(r));
                }
                continue;
            }
            _ => continue,
        };
        let name = p["name"].as_str().unwrap_or_default();
        params.insert(
            format!("method.request.{loc}.{name}"),
            p["required"].as_bool().unwrap_or(false),
        );
    }
    for (ct, c) in op["requestBody"]["content"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if let Some(r) = c["schema"]["$ref"].as_str() {
            models.insert(ct.clone(), ref_name(r));
        }
    }
    m.request_parameters = (!params.is_empty()).then_some(params);
    m.request_models = (!models.is_empty()).then_some(models);
    let security = op.get("security").or(global_security);
    for req in security.and_then(Value::as_array).into_iter().flatten() {
        for (name, scopes) in req.as_object().into_iter().flatten() {
            if let Some((id, kind)) = authorizers.get(name) {
                m.authorization_type = kind.clone();
                m.authorizer_id = Some(id.clone());
                if kind == "COGNITO_USER_POOLS" {
                    m.authorization_scopes = strs(scopes).filter(|s| !s.is_empty());
                }
            } else if api_key_schemes.contains(name) {
                m.api_key_required = true;
            }
        }
    }
    m.request_validator_id = op["x-amazon-apigateway-request-validator"]
        .as_str()
        .and_then(|n| validators.get(n).cloned())
        .or(default_validator.map(str::to_string));
    let mut responses = BTreeMap::new();
    for (code, r) in op["responses"].as_object().into_iter().flatten() {
        if code.len() != 3 {
            continue;
        }
        let headers: BoolMap = r["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(h, _)| (format!("method.response.header.{h}"), false))
            .collect();
        responses.insert(
            code.clone(),
            MethodResponse {
                status_code: code.clone(),
                response_parameters: (!headers.is_empty()).then_some(headers),
                response_models: None,
            },
        );
    }
    m.method_responses = (!responses.is_empty()).then_some(responses);
    if let Some(x) = op.get("x-amazon-apigateway-integration") {
        let mut irs = BTreeMap::new();
        for (pattern, r) in x["responses"].as_object().into_iter().flatten() {
            let code = r["statusCode"]
                .as_str()
                .map(str::to_string)
                .or_else(|| r["statusCode"].as_i64().map(|c| c.to_string()))
                .unwrap_or_else(|| "200".into());
            irs.insert(
                code.clone(),
                IntegrationResponse {
                    status_code: code,
                    selection_pattern: (pattern != "default").then(|| pattern.clone()),
                    response_parameters: str_map(&r["responseParameters"]),
                    response_templates: str_map(&r["responseTemplates"]),
                    content_handling: r["contentHandling"].as_str().map(str::to_string),
                },
            );
        }
        let i = Integration {
            kind: x["type"].as_str().unwrap_or("mock").to_ascii_uppercase(),
            http_method: x["httpMethod"].as_str().map(str::to_ascii_uppercase),
            uri: x["uri"].as_str().map(str::to_string),
            connection_type: Some(
                x["connectionType"]
                    .as_str()
                    .unwrap_or("INTERNET")
                    .to_string(),
            ),
            connection_id: x["connectionId"].as_str().map(str::to_string),
            credentials: x["credentials"].as_str().map(str::to_string),
            request_parameters: str_map(&x["requestParameters"]),
            request_templates: str_map(&x["requestTemplates"]),
            passthrough_behavior: Some(
                x["passthroughBehavior"]
                    .as_str()
                    .unwrap_or("WHEN_NO_MATCH")
                    .to_ascii_uppercase(),
            ),
            content_handling: x["contentHandling"].as_str().map(str::to_string),
            timeout_in_millis: x["timeoutInMillis"].as_i64().unwrap_or(29000),
            cache_namespace: Some(x["cacheNamespace"].as_str().unwrap_or(rid).to_string()),
            cache_key_parameters: Some(strs(&x["cacheKeyParameters"]).unwrap_or_default()),
            integration_responses: (!irs.is_empty()).then_some(irs),
            tls_config: None,
        };
        methods::check_integration(&i)?;
        m.method_integration = Some(i);
    }
    Ok(m)
}

/// ImportRestApi (`api_id` None) or PutRestApi (mode `overwrite` or `merge`).
pub async fn import(
    cx: &Cx<'_>,
    api_id: Option<&str>,
    input: &Value,
    body: &[u8],
) -> Result<RestApi> {
    let spec = parse_body(body)?;
    match api_id {
        None => {
            let endpoint = input["parameters"]["endpointConfigurationTypes"]
                .as_str()
                .map(|t| json!({"types": [t]}));
            let mut doc = new_doc(CreateRestApiRequest {
                name: "imported".into(),
                endpoint_configuration: endpoint,
                ..Default::default()
            });
            apply(&mut doc, &spec)?;
            store_new(cx, doc).await
        }
        Some(id) => {
            let overwrite = input["mode"].as_str() != Some("merge");
            cx.update_api(id, |doc| {
                if overwrite {
                    let root = doc.api.root_resource_id.clone();
                    doc.resources.retain(|k, _| *k == root);
                    if let Some(r) = doc.resources.get_mut(&root) {
                        r.resource_methods = None;
                    }
                    doc.models.clear();
                    doc.validators.clear();
                    doc.authorizers.clear();
                }
                apply(doc, &spec)?;
                Ok(doc.api.clone())
            })
            .await
        }
    }
}

fn openapi_path(p: &str) -> String {
    p.replace("+}", "}")
}

/// GetExport: the deployed definition of a stage as OpenAPI 3.0 or Swagger 2.0 JSON.
pub async fn export(cx: &Cx<'_>, input: &Value) -> Result<Output> {
    let api = input["restApiId"].as_str().unwrap_or_default();
    let stage = input["stageName"].as_str().unwrap_or_default();
    let kind = input["exportType"].as_str().unwrap_or_default();
    if kind != "oas30" && kind != "swagger" {
        return Err(ApiGwError::bad(format!(
            "No API exporter for type '{kind}'"
        )));
    }
    let extensions = input["parameters"]["extensions"]
        .as_str()
        .unwrap_or_default();
    let with_integrations =
        extensions.contains("integrations") || extensions.contains("apigateway");
    let (_, doc) = deployments::deployed(cx, api, stage).await?;
    let oas3 = kind == "oas30";
    let mut paths = Map::new();
    let mut resources: Vec<&Resource> = doc.resources.values().collect();
    resources.sort_by(|a, b| a.path.cmp(&b.path));
    for r in resources {
        let Some(methods) = &r.resource_methods else {
            continue;
        };
        let mut item = Map::new();
        for (verb, m) in methods {
            let key = if verb == "ANY" {
                "x-amazon-apigateway-any-method".to_string()
            } else {
                verb.to_ascii_lowercase()
            };
            let mut o = Map::new();
            if let Some(n) = &m.operation_name {
                o.insert("operationId".into(), json!(n));
            }
            let params: Vec<Value> = m
                .request_parameters
                .iter()
                .flatten()
                .filter_map(|(k, req)| {
                    let rest = k.strip_prefix("method.request.")?;
                    let (loc, name) = rest.split_once('.')?;
                    let loc = if loc == "querystring" { "query" } else { loc };
                    Some(if oas3 {
                        json!({"name": name, "in": loc, "required": *req || loc == "path", "schema": {"type": "string"}})
                    } else {
                        json!({"name": name, "in": loc, "required": *req || loc == "path", "type": "string"})
                    })
                })
                .collect();
            if !params.is_empty() {
                o.insert("parameters".into(), Value::Array(params));
            }
            let mut responses = Map::new();
            for code in m.method_responses.iter().flat_map(|r| r.keys()) {
                responses.insert(
                    code.clone(),
                    json!({"description": format!("{code} response")}),
                );
            }
            o.insert("responses".into(), Value::Object(responses));
            if m.api_key_required {
                o.insert("security".into(), json!([{"api_key": []}]));
            }
            if with_integrations && let Some(i) = &m.method_integration {
                let mut x = serde_json::to_value(i).unwrap_or_default();
                super::provider::prune(&mut x);
                if let Some(obj) = x.as_object_mut() {
                    obj.insert("type".into(), json!(i.kind.to_ascii_lowercase()));
                    let irs = obj.remove("integrationResponses");
                    if let Some(Value::Object(irs)) = irs {
                        let mut out = Map::new();
                        for (code, r) in irs {
                            let pattern = r["selectionPattern"]
                                .as_str()
                                .unwrap_or("default")
                                .to_string();
                            let mut r = r.clone();
                            if let Some(o) = r.as_object_mut() {
                                o.remove("selectionPattern");
                                o.insert("statusCode".into(), json!(code));
                            }
                            out.insert(pattern, r);
                        }
                        obj.insert("responses".into(), Value::Object(out));
                    }
                }
                o.insert("x-amazon-apigateway-integration".into(), x);
            }
            item.insert(key, Value::Object(o));
        }
        paths.insert(openapi_path(&r.path), Value::Object(item));
    }
    let host = format!("{api}.execute-api.{}.amazonaws.com", cx.scope.region);
    let mut out = if oas3 {
        json!({
            "openapi": "3.0.1",
            "info": {"title": doc.api.name, "version": doc.api.version.clone().unwrap_or_else(|| "1.0".into())},
            "servers": [{"url": format!("https://{host}/{{basePath}}"), "variables": {"basePath": {"default": stage}}}],
            "paths": paths,
        })
    } else {
        json!({
            "swagger": "2.0",
            "info": {"title": doc.api.name, "version": doc.api.version.clone().unwrap_or_else(|| "1.0".into())},
            "host": host,
            "basePath": format!("/{stage}"),
            "schemes": ["https"],
            "paths": paths,
        })
    };
    if let Some(d) = &doc.api.description {
        out["info"]["description"] = json!(d);
    }
    let models: Map<String, Value> = doc
        .models
        .values()
        .filter_map(|m| {
            Some((
                m.name.clone(),
                serde_json::from_str(m.schema.as_deref()?).ok()?,
            ))
        })
        .collect();
    let any_key = doc
        .resources
        .values()
        .flat_map(|r| r.resource_methods.iter().flatten())
        .any(|(_, m)| m.api_key_required);
    let key_scheme = json!({"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}});
    if oas3 {
        let mut comps = Map::new();
        if !models.is_empty() {
            comps.insert("schemas".into(), Value::Object(models));
        }
        if any_key {
            comps.insert("securitySchemes".into(), key_scheme);
        }
        if !comps.is_empty() {
            out["components"] = Value::Object(comps);
        }
    } else {
        if !models.is_empty() {
            out["definitions"] = Value::Object(models);
        }
        if any_key {
            out["securityDefinitions"] = key_scheme;
        }
    }
    if let Some(t) = &doc.api.binary_media_types
        && with_integrations
    {
        out["x-amazon-apigateway-binary-media-types"] = json!(t);
    }
    let body = serde_json::to_vec_pretty(&out)
        .map_err(|e| ApiGwError::Internal(format!("encode export: {e}")))?;
    let file = if oas3 { "oas30" } else { "swagger" };
    Ok(Output {
        value: json!({
            "contentType": "application/octet-stream",
            "contentDisposition": format!("attachment; filename=\"{file}_{}.json\"", lamina_core::now_epoch_millis()),
        }),
        payload: Some(body.into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_yaml_documents_read_as_json() {
        let v = parse_body(
            b"openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        200: {description: ok}\n        true: x\n      x-n: !Custom 5\n      x-f: 1.5\n",
        )
        .unwrap();
        let get = &v["paths"]["/a"]["get"];
        assert_eq!(get["responses"]["200"]["description"], "ok");
        assert_eq!(get["responses"]["true"], "x");
        assert_eq!(get["x-n"], 5);
        assert_eq!(get["x-f"], 1.5);
        assert_eq!(v["openapi"], "3.0.1");
        // JSON is still read as JSON.
        assert!(parse_body(br#"{"swagger": "2.0", "paths": {}}"#).is_ok());
        for bad in [
            &b"paths: [unclosed"[..],
            b"just text",
            b"info: {}",
            b"\xff\xfe",
            b"[1, 2]",
        ] {
            assert!(matches!(parse_body(bad), Err(ApiGwError::BadRequest(_))));
        }
        let mut deep = String::new();
        for _ in 0..200 {
            deep.push('[');
        }
        assert!(parse_body(deep.as_bytes()).is_err());
    }
}
