//! `AWS::ApiGatewayV2::*` (HTTP APIs). The properties are the API's own PascalCase members.
//! `Api` with `Body` (an OpenAPI 3 document, as the SAM transform writes for HTTP APIs) is
//! applied route by route — integrations, routes, JWT/Lambda authorizers and
//! `x-amazon-apigateway-cors` — because Lamina's HTTP APIs have no ImportApi yet; on update the
//! API keeps its id and its routes, integrations and authorizers are rebuilt.

use super::{Providers, changed, copy, created, gone, prop_str, required, scalar_text, tags_map};
use crate::engine::{Created, ProviderError, ResourceContext};
use crate::provider;
use serde_json::{Map, Value, json};

provider!(Api, api);
provider!(Route, route);
provider!(Integration, integration);
provider!(Stage, stage);
provider!(Authorizer, authorizer);

pub fn register(p: &mut Providers) {
    p.insert("AWS::ApiGatewayV2::Api", Box::new(Api));
    p.insert("AWS::ApiGatewayV2::Route", Box::new(Route));
    p.insert("AWS::ApiGatewayV2::Integration", Box::new(Integration));
    p.insert("AWS::ApiGatewayV2::Stage", Box::new(Stage));
    p.insert("AWS::ApiGatewayV2::Authorizer", Box::new(Authorizer));
}

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

/// `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<fn>/invocations` → `<fn>`.
fn function_of(uri: &str) -> String {
    uri.split_once(":lambda:path/2015-03-31/functions/")
        .and_then(|(_, rest)| rest.strip_suffix("/invocations"))
        .unwrap_or(uri)
        .to_string()
}

/// `{"allowOrigins": [..]}` → `{"AllowOrigins": [..]}`.
fn pascal_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let mut c = k.chars();
                    let k = c
                        .next()
                        .map(|f| f.to_uppercase().chain(c).collect())
                        .unwrap_or_default();
                    (k, v.clone())
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

mod api {
    use super::*;

    async fn apply_body(
        ctx: &ResourceContext,
        api_id: &str,
        body: &Value,
    ) -> Result<(), ProviderError> {
        let mut authorizers: Map<String, Value> = Map::new();
        for (name, s) in body["components"]["securitySchemes"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let Some(ext) = s.get("x-amazon-apigateway-authorizer") else {
                continue;
            };
            let mut i = json!({ "ApiId": api_id, "Name": name });
            match ext["type"].as_str() {
                Some("jwt") => {
                    i["AuthorizerType"] = json!("JWT");
                    i["IdentitySource"] = json!([scalar_text(&ext["identitySource"])]);
                    i["JwtConfiguration"] = pascal_keys(&ext["jwtConfiguration"]);
                }
                _ => {
                    i["AuthorizerType"] = json!("REQUEST");
                    i["AuthorizerUri"] = ext["authorizerUri"].clone();
                    copy(
                        &json!({
                            "AuthorizerPayloadFormatVersion": ext["authorizerPayloadFormatVersion"],
                            "EnableSimpleResponses": ext["enableSimpleResponses"],
                        }),
                        &mut i,
                        &["AuthorizerPayloadFormatVersion", "EnableSimpleResponses"],
                    );
                    if let Some(src) = ext["identitySource"].as_str() {
                        i["IdentitySource"] = src.split(',').map(|s| json!(s.trim())).collect();
                    }
                }
            }
            let a = ctx.call("apigatewayv2", "CreateAuthorizer", i).await?;
            let kind = if ext["type"] == "jwt" {
                "JWT"
            } else {
                "CUSTOM"
            };
            authorizers.insert(name.clone(), json!([a["AuthorizerId"], kind]));
        }
        for (path, item) in body["paths"].as_object().into_iter().flatten() {
            for verb in VERBS {
                let Some(op) = item.get(*verb) else { continue };
                let Some(x) = op.get("x-amazon-apigateway-integration") else {
                    continue;
                };
                let mut i = json!({
                    "ApiId": api_id,
                    "IntegrationType": scalar_text(&x["type"]).to_ascii_uppercase(),
                    "PayloadFormatVersion": x.get("payloadFormatVersion").map(scalar_text).unwrap_or_else(|| "2.0".into()),
                });
                if let Some(uri) = x["uri"].as_str() {
                    i["IntegrationUri"] = json!(if i["IntegrationType"] == "AWS_PROXY" {
                        function_of(uri)
                    } else {
                        uri.to_string()
                    });
                }
                if let Some(m) = x["httpMethod"].as_str() {
                    i["IntegrationMethod"] = json!(m);
                }
                if let Some(t) = x.get("timeoutInMillis") {
                    i["TimeoutInMillis"] = t.clone();
                }
                let integ = ctx.call("apigatewayv2", "CreateIntegration", i).await?;
                let route_key = if path == "$default" {
                    "$default".to_string()
                } else if *verb == "x-amazon-apigateway-any-method" {
                    format!("ANY {path}")
                } else {
                    format!("{} {path}", verb.to_ascii_uppercase())
                };
                let mut r = json!({
                    "ApiId": api_id,
                    "RouteKey": route_key,
                    "Target": format!("integrations/{}", scalar_text(&integ["IntegrationId"])),
                });
                for sec in op["security"].as_array().into_iter().flatten() {
                    for (name, scopes) in sec.as_object().into_iter().flatten() {
                        if let Some(a) = authorizers.get(name) {
                            r["AuthorizerId"] = a[0].clone();
                            r["AuthorizationType"] = a[1].clone();
                            if scopes.as_array().is_some_and(|s| !s.is_empty()) {
                                r["AuthorizationScopes"] = scopes.clone();
                            }
                        }
                    }
                }
                ctx.call("apigatewayv2", "CreateRoute", r).await?;
            }
        }
        Ok(())
    }

    /// Removes the routes, integrations and authorizers a body created.
    async fn clear(ctx: &ResourceContext, api_id: &str) -> Result<(), ProviderError> {
        let routes = ctx
            .call(
                "apigatewayv2",
                "GetRoutes",
                json!({ "ApiId": api_id, "MaxResults": "500" }),
            )
            .await?;
        for r in routes["Items"].as_array().into_iter().flatten() {
            gone(
                ctx.call(
                    "apigatewayv2",
                    "DeleteRoute",
                    json!({ "ApiId": api_id, "RouteId": r["RouteId"] }),
                )
                .await,
            )?;
        }
        let ints = ctx
            .call(
                "apigatewayv2",
                "GetIntegrations",
                json!({ "ApiId": api_id, "MaxResults": "500" }),
            )
            .await?;
        for i in ints["Items"].as_array().into_iter().flatten() {
            gone(
                ctx.call(
                    "apigatewayv2",
                    "DeleteIntegration",
                    json!({ "ApiId": api_id, "IntegrationId": i["IntegrationId"] }),
                )
                .await,
            )?;
        }
        let auths = ctx
            .call(
                "apigatewayv2",
                "GetAuthorizers",
                json!({ "ApiId": api_id, "MaxResults": "500" }),
            )
            .await?;
        for a in auths["Items"].as_array().into_iter().flatten() {
            gone(
                ctx.call(
                    "apigatewayv2",
                    "DeleteAuthorizer",
                    json!({ "ApiId": api_id, "AuthorizerId": a["AuthorizerId"] }),
                )
                .await,
            )?;
        }
        Ok(())
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        if props.get("BodyS3Location").is_some() {
            return Err(ProviderError::new(
                "BodyS3Location is not supported until Lamina has S3: use Body",
            ));
        }
        let body = props.get("Body");
        let name = prop_str(props, "Name")
            .or_else(|| body.and_then(|b| b["info"]["title"].as_str().map(str::to_string)))
            .ok_or_else(|| ProviderError::new("Property Name cannot be empty."))?;
        let mut i = json!({ "Name": name, "ProtocolType": prop_str(props, "ProtocolType").unwrap_or_else(|| "HTTP".into()) });
        copy(
            props,
            &mut i,
            &[
                "Description",
                "CorsConfiguration",
                "RouteSelectionExpression",
                "ApiKeySelectionExpression",
                "DisableExecuteApiEndpoint",
                "DisableSchemaValidation",
                "Version",
                "RouteKey",
                "Target",
                "CredentialsArn",
            ],
        );
        if let Some(c) = body.and_then(|b| b.get("x-amazon-apigateway-cors")) {
            i["CorsConfiguration"] = pascal_keys(c);
        }
        let tags = tags_map(props);
        if !tags.is_empty() {
            i["Tags"] = Value::Object(tags);
        }
        let a = ctx.call("apigatewayv2", "CreateApi", i).await?;
        let id = scalar_text(&a["ApiId"]);
        if let Some(b) = body {
            apply_body(ctx, &id, b).await?;
        }
        Ok(created(
            &id,
            json!({ "ApiId": id, "ApiEndpoint": a["ApiEndpoint"] }),
        ))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        let mut i = json!({ "ApiId": id });
        copy(
            new,
            &mut i,
            &[
                "Name",
                "Description",
                "CorsConfiguration",
                "DisableExecuteApiEndpoint",
                "Version",
            ],
        );
        if let Some(c) = new
            .get("Body")
            .and_then(|b| b.get("x-amazon-apigateway-cors"))
        {
            i["CorsConfiguration"] = pascal_keys(c);
        }
        let a = ctx.call("apigatewayv2", "UpdateApi", i).await?;
        if changed(old, new, &["Body"]) {
            clear(ctx, id).await?;
            if let Some(b) = new.get("Body") {
                apply_body(ctx, id, b).await?;
            }
        }
        Ok(created(
            id,
            json!({ "ApiId": id, "ApiEndpoint": a["ApiEndpoint"] }),
        ))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("apigatewayv2", "DeleteApi", json!({ "ApiId": id }))
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["ProtocolType"])
    }
}

/// A sub-resource of an API whose properties are the create call's input as they are.
macro_rules! child {
    ($module:ident, $create:literal, $update:literal, $delete:literal, $id_member:literal, $attr:literal, [$($replace:literal),*]) => {
        mod $module {
            use super::*;

            pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
                required(props, "ApiId")?;
                let out = ctx.call("apigatewayv2", $create, props.clone()).await?;
                let id = scalar_text(&out[$id_member]);
                Ok(created(&id, json!({ $attr: id })))
            }

            pub async fn update(ctx: &ResourceContext, id: &str, _: &Value, new: &Value) -> Result<Created, ProviderError> {
                let mut i = new.clone();
                i[$id_member] = json!(id);
                ctx.call("apigatewayv2", $update, i).await?;
                Ok(created(id, json!({ $attr: id })))
            }

            pub async fn delete(ctx: &ResourceContext, id: &str, props: &Value) -> Result<(), ProviderError> {
                let i = json!({ "ApiId": required(props, "ApiId")?, $id_member: id });
                gone(ctx.call("apigatewayv2", $delete, i).await)
            }

            pub fn replace(old: &Value, new: &Value) -> bool {
                changed(old, new, &["ApiId" $(, $replace)*])
            }
        }
    };
}

child!(
    route,
    "CreateRoute",
    "UpdateRoute",
    "DeleteRoute",
    "RouteId",
    "RouteId",
    []
);
child!(
    integration,
    "CreateIntegration",
    "UpdateIntegration",
    "DeleteIntegration",
    "IntegrationId",
    "IntegrationId",
    []
);
child!(
    authorizer,
    "CreateAuthorizer",
    "UpdateAuthorizer",
    "DeleteAuthorizer",
    "AuthorizerId",
    "AuthorizerId",
    []
);
child!(
    stage,
    "CreateStage",
    "UpdateStage",
    "DeleteStage",
    "StageName",
    "StageName",
    ["StageName"]
);
