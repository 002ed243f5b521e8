//! `AWS::ApiGateway::*` (REST APIs). CloudFormation's properties are PascalCase, the API's
//! members camelCase. `RestApi` with `Body` imports the OpenAPI document (ImportRestApi, then
//! PutRestApi `overwrite` on update); Ref values follow AWS: RestApi/Resource/Deployment/
//! Authorizer/ApiKey/UsagePlan → id, Stage → stage name, UsagePlanKey → key id.

use super::tags_map;
use super::{
    Providers, camel_keys, changed, copy_as, created, gone, prop_str, required, scalar_text,
};
use crate::engine::{Created, ProviderError, ResourceContext};
use crate::provider;
use base64::Engine as _;
use serde_json::{Value, json};

provider!(RestApi, rest_api);
provider!(Resource, resource);
provider!(Method, method);
provider!(Deployment, deployment);
provider!(Stage, stage);
provider!(Authorizer, authorizer);
provider!(ApiKey, api_key);
provider!(UsagePlan, usage_plan);
provider!(UsagePlanKey, usage_plan_key);

pub fn register(p: &mut Providers) {
    p.insert("AWS::ApiGateway::RestApi", Box::new(RestApi));
    p.insert("AWS::ApiGateway::Resource", Box::new(Resource));
    p.insert("AWS::ApiGateway::Method", Box::new(Method));
    p.insert("AWS::ApiGateway::Deployment", Box::new(Deployment));
    p.insert("AWS::ApiGateway::Stage", Box::new(Stage));
    p.insert("AWS::ApiGateway::Authorizer", Box::new(Authorizer));
    p.insert("AWS::ApiGateway::ApiKey", Box::new(ApiKey));
    p.insert("AWS::ApiGateway::UsagePlan", Box::new(UsagePlan));
    p.insert("AWS::ApiGateway::UsagePlanKey", Box::new(UsagePlanKey));
}

fn replace_op(path: &str, value: impl Into<String>) -> Value {
    json!({ "op": "replace", "path": path, "value": value.into() })
}

fn tags(props: &Value) -> Option<Value> {
    let t = tags_map(props);
    (!t.is_empty()).then(|| Value::Object(t))
}

mod rest_api {
    use super::*;

    fn body_b64(props: &Value) -> Option<String> {
        let body = props.get("Body")?;
        let text = match body {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Some(base64::engine::general_purpose::STANDARD.encode(text))
    }

    async fn attrs(ctx: &ResourceContext, id: &str) -> Result<Value, ProviderError> {
        let r = ctx
            .call(
                "apigateway",
                "GetResources",
                json!({ "restApiId": id, "limit": 500 }),
            )
            .await?;
        let root = r["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|i| i["path"] == "/")
            .map(|i| i["id"].clone());
        Ok(json!({ "RestApiId": id, "RootResourceId": root.unwrap_or(Value::Null) }))
    }

    async fn patch_basics(
        ctx: &ResourceContext,
        id: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        let mut ops = Vec::new();
        if let Some(n) = prop_str(props, "Name") {
            ops.push(replace_op("/name", n));
        }
        if let Some(d) = prop_str(props, "Description") {
            ops.push(replace_op("/description", d));
        }
        if !ops.is_empty() {
            ctx.call(
                "apigateway",
                "UpdateRestApi",
                json!({ "restApiId": id, "patchOperations": ops }),
            )
            .await?;
        }
        Ok(())
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        if props.get("BodyS3Location").is_some() {
            return Err(ProviderError::new(
                "BodyS3Location is not supported until Lamina has S3: use Body",
            ));
        }
        let id = if let Some(body) = body_b64(props) {
            let mut i = json!({ "body": body });
            if let Some(p) = props.get("Parameters") {
                i["parameters"] = p.clone();
            }
            if let Some(t) = props["EndpointConfiguration"]["Types"][0].as_str() {
                i["parameters"]["endpointConfigurationTypes"] = json!(t);
            }
            let a = ctx.call("apigateway", "ImportRestApi", i).await?;
            let id = scalar_text(&a["id"]);
            patch_basics(ctx, &id, props).await?;
            id
        } else {
            let mut i = json!({ "name": required(props, "Name")? });
            copy_as(
                props,
                &mut i,
                &[
                    ("Description", "description"),
                    ("BinaryMediaTypes", "binaryMediaTypes"),
                    ("ApiKeySourceType", "apiKeySource"),
                    ("MinimumCompressionSize", "minimumCompressionSize"),
                    ("DisableExecuteApiEndpoint", "disableExecuteApiEndpoint"),
                    ("Policy", "policy"),
                ],
            );
            if let Some(p) = i.get("policy").filter(|p| p.is_object()) {
                i["policy"] = json!(p.to_string());
            }
            if let Some(e) = props.get("EndpointConfiguration") {
                i["endpointConfiguration"] = camel_keys(e, 0);
            }
            if let Some(t) = tags(props) {
                i["tags"] = t;
            }
            let a = ctx.call("apigateway", "CreateRestApi", i).await?;
            scalar_text(&a["id"])
        };
        Ok(created(&id, attrs(ctx, &id).await?))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        if changed(old, new, &["Body"])
            && let Some(body) = body_b64(new)
        {
            ctx.call(
                "apigateway",
                "PutRestApi",
                json!({ "restApiId": id, "mode": "overwrite", "body": body }),
            )
            .await?;
        }
        if changed(old, new, &["Name", "Description", "Body"]) {
            patch_basics(ctx, id, new).await?;
        }
        Ok(created(id, attrs(ctx, id).await?))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("apigateway", "DeleteRestApi", json!({ "restApiId": id }))
                .await,
        )
    }

    pub fn replace(_: &Value, _: &Value) -> bool {
        false
    }
}

mod resource {
    use super::*;

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let i = json!({
            "restApiId": required(props, "RestApiId")?,
            "parentId": required(props, "ParentId")?,
            "pathPart": required(props, "PathPart")?,
        });
        let r = ctx.call("apigateway", "CreateResource", i).await?;
        let id = scalar_text(&r["id"]);
        Ok(created(&id, json!({ "ResourceId": id })))
    }

    pub async fn update(
        _: &ResourceContext,
        id: &str,
        _: &Value,
        _: &Value,
    ) -> Result<Created, ProviderError> {
        Ok(created(id, json!({ "ResourceId": id })))
    }

    pub async fn delete(
        ctx: &ResourceContext,
        id: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        gone(
            ctx.call(
                "apigateway",
                "DeleteResource",
                json!({ "restApiId": required(props, "RestApiId")?, "resourceId": id }),
            )
            .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        old != new
    }
}

mod method {
    use super::*;

    fn key(props: &Value) -> Result<Value, ProviderError> {
        Ok(json!({
            "restApiId": required(props, "RestApiId")?,
            "resourceId": required(props, "ResourceId")?,
            "httpMethod": required(props, "HttpMethod")?.to_ascii_uppercase(),
        }))
    }

    async fn put(ctx: &ResourceContext, props: &Value) -> Result<(), ProviderError> {
        let k = key(props)?;
        let mut m = k.clone();
        m["authorizationType"] =
            json!(prop_str(props, "AuthorizationType").unwrap_or_else(|| "NONE".into()));
        copy_as(
            props,
            &mut m,
            &[
                ("AuthorizerId", "authorizerId"),
                ("ApiKeyRequired", "apiKeyRequired"),
                ("OperationName", "operationName"),
                ("RequestParameters", "requestParameters"),
                ("RequestModels", "requestModels"),
                ("RequestValidatorId", "requestValidatorId"),
                ("AuthorizationScopes", "authorizationScopes"),
            ],
        );
        ctx.call("apigateway", "PutMethod", m).await?;
        for r in props["MethodResponses"].as_array().into_iter().flatten() {
            let mut i = k.clone();
            i["statusCode"] = json!(scalar_text(&r["StatusCode"]));
            copy_as(
                r,
                &mut i,
                &[
                    ("ResponseParameters", "responseParameters"),
                    ("ResponseModels", "responseModels"),
                ],
            );
            ctx.call("apigateway", "PutMethodResponse", i).await?;
        }
        if let Some(integ) = props.get("Integration") {
            let mut i = k.clone();
            i["type"] = json!(required(integ, "Type")?);
            copy_as(
                integ,
                &mut i,
                &[
                    ("IntegrationHttpMethod", "integrationHttpMethod"),
                    ("Uri", "uri"),
                    ("Credentials", "credentials"),
                    ("RequestParameters", "requestParameters"),
                    ("RequestTemplates", "requestTemplates"),
                    ("PassthroughBehavior", "passthroughBehavior"),
                    ("CacheNamespace", "cacheNamespace"),
                    ("CacheKeyParameters", "cacheKeyParameters"),
                    ("ContentHandling", "contentHandling"),
                    ("TimeoutInMillis", "timeoutInMillis"),
                    ("ConnectionType", "connectionType"),
                    ("ConnectionId", "connectionId"),
                ],
            );
            ctx.call("apigateway", "PutIntegration", i).await?;
            for r in integ["IntegrationResponses"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let mut i = k.clone();
                i["statusCode"] = json!(scalar_text(&r["StatusCode"]));
                copy_as(
                    r,
                    &mut i,
                    &[
                        ("SelectionPattern", "selectionPattern"),
                        ("ResponseParameters", "responseParameters"),
                        ("ResponseTemplates", "responseTemplates"),
                        ("ContentHandling", "contentHandling"),
                    ],
                );
                ctx.call("apigateway", "PutIntegrationResponse", i).await?;
            }
        }
        Ok(())
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        put(ctx, props).await?;
        Ok(created(ctx.generated_name(64), json!({})))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        gone(ctx.call("apigateway", "DeleteMethod", key(old)?).await)?;
        put(ctx, new).await?;
        Ok(created(id, json!({})))
    }

    pub async fn delete(
        ctx: &ResourceContext,
        _: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        gone(ctx.call("apigateway", "DeleteMethod", key(props)?).await)
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["RestApiId", "ResourceId", "HttpMethod"])
    }
}

mod deployment {
    use super::*;

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let mut i = json!({ "restApiId": required(props, "RestApiId")? });
        copy_as(
            props,
            &mut i,
            &[("Description", "description"), ("StageName", "stageName")],
        );
        if let Some(d) = props["StageDescription"]["Description"].as_str() {
            i["stageDescription"] = json!(d);
        }
        let d = ctx.call("apigateway", "CreateDeployment", i).await?;
        let id = scalar_text(&d["id"]);
        Ok(created(&id, json!({ "DeploymentId": id })))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        _: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        if let Some(d) = prop_str(new, "Description") {
            ctx.call(
                "apigateway",
                "UpdateDeployment",
                json!({ "restApiId": required(new, "RestApiId")?, "deploymentId": id,
                "patchOperations": [replace_op("/description", d)] }),
            )
            .await?;
        }
        Ok(created(id, json!({ "DeploymentId": id })))
    }

    pub async fn delete(
        ctx: &ResourceContext,
        id: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        let api = required(props, "RestApiId")?;
        if let Some(stage) = prop_str(props, "StageName") {
            gone(
                ctx.call(
                    "apigateway",
                    "DeleteStage",
                    json!({ "restApiId": api, "stageName": stage }),
                )
                .await,
            )?;
        }
        gone(
            ctx.call(
                "apigateway",
                "DeleteDeployment",
                json!({ "restApiId": api, "deploymentId": id }),
            )
            .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["RestApiId", "StageName"])
    }
}

mod stage {
    use super::*;

    /// `~1` encodes `/` inside one path segment of a patch path.
    fn method_setting_ops(settings: &Value) -> Vec<Value> {
        let mut ops = Vec::new();
        for s in settings.as_array().into_iter().flatten() {
            let path = prop_str(s, "ResourcePath").unwrap_or_else(|| "/*".into());
            let method = prop_str(s, "HttpMethod").unwrap_or_else(|| "*".into());
            let seg = if path == "/*" {
                "*".to_string()
            } else {
                path.replace('/', "~1")
            };
            let base = format!("/{seg}/{method}");
            for (k, p) in [
                ("ThrottlingBurstLimit", "throttling/burstLimit"),
                ("ThrottlingRateLimit", "throttling/rateLimit"),
                ("MetricsEnabled", "metrics/enabled"),
                ("LoggingLevel", "logging/loglevel"),
                ("DataTraceEnabled", "logging/dataTrace"),
                ("CachingEnabled", "caching/enabled"),
                ("CacheTtlInSeconds", "caching/ttlInSeconds"),
            ] {
                if let Some(v) = s.get(k) {
                    ops.push(replace_op(&format!("{base}/{p}"), scalar_text(v)));
                }
            }
        }
        ops
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let api = required(props, "RestApiId")?;
        let name = required(props, "StageName")?;
        let mut i = json!({ "restApiId": api, "stageName": name, "deploymentId": required(props, "DeploymentId")? });
        copy_as(
            props,
            &mut i,
            &[
                ("Description", "description"),
                ("Variables", "variables"),
                ("CacheClusterEnabled", "cacheClusterEnabled"),
                ("CacheClusterSize", "cacheClusterSize"),
                ("TracingEnabled", "tracingEnabled"),
            ],
        );
        if let Some(t) = tags(props) {
            i["tags"] = t;
        }
        ctx.call("apigateway", "CreateStage", i).await?;
        let ops = method_setting_ops(&props["MethodSettings"]);
        if !ops.is_empty() {
            ctx.call(
                "apigateway",
                "UpdateStage",
                json!({ "restApiId": api, "stageName": name, "patchOperations": ops }),
            )
            .await?;
        }
        Ok(created(&name, json!({})))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        let api = required(new, "RestApiId")?;
        let mut ops = Vec::new();
        if changed(old, new, &["DeploymentId"]) {
            ops.push(replace_op("/deploymentId", required(new, "DeploymentId")?));
        }
        if let Some(d) =
            prop_str(new, "Description").filter(|_| changed(old, new, &["Description"]))
        {
            ops.push(replace_op("/description", d));
        }
        if changed(old, new, &["Variables"]) {
            for (k, _) in old["Variables"].as_object().into_iter().flatten() {
                if new["Variables"].get(k).is_none() {
                    ops.push(json!({ "op": "remove", "path": format!("/variables/{k}") }));
                }
            }
            for (k, v) in new["Variables"].as_object().into_iter().flatten() {
                ops.push(replace_op(&format!("/variables/{k}"), scalar_text(v)));
            }
        }
        if changed(old, new, &["MethodSettings"]) {
            ops.extend(method_setting_ops(&new["MethodSettings"]));
        }
        if !ops.is_empty() {
            ctx.call(
                "apigateway",
                "UpdateStage",
                json!({ "restApiId": api, "stageName": id, "patchOperations": ops }),
            )
            .await?;
        }
        Ok(created(id, json!({})))
    }

    pub async fn delete(
        ctx: &ResourceContext,
        id: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        gone(
            ctx.call(
                "apigateway",
                "DeleteStage",
                json!({ "restApiId": required(props, "RestApiId")?, "stageName": id }),
            )
            .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["RestApiId", "StageName"])
    }
}

mod authorizer {
    use super::*;

    fn input(props: &Value) -> Result<Value, ProviderError> {
        let mut i = json!({
            "restApiId": required(props, "RestApiId")?,
            "name": required(props, "Name")?,
            "type": required(props, "Type")?,
        });
        copy_as(
            props,
            &mut i,
            &[
                ("ProviderARNs", "providerARNs"),
                ("AuthType", "authType"),
                ("AuthorizerUri", "authorizerUri"),
                ("AuthorizerCredentials", "authorizerCredentials"),
                ("IdentitySource", "identitySource"),
                (
                    "IdentityValidationExpression",
                    "identityValidationExpression",
                ),
                (
                    "AuthorizerResultTtlInSeconds",
                    "authorizerResultTtlInSeconds",
                ),
            ],
        );
        Ok(i)
    }

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let a = ctx
            .call("apigateway", "CreateAuthorizer", input(props)?)
            .await?;
        let id = scalar_text(&a["id"]);
        Ok(created(&id, json!({ "AuthorizerId": id })))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        _: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        let i = input(new)?;
        let mut ops = Vec::new();
        for k in [
            "name",
            "type",
            "authorizerUri",
            "identitySource",
            "identityValidationExpression",
            "authorizerResultTtlInSeconds",
            "authorizerCredentials",
        ] {
            if let Some(v) = i.get(k) {
                ops.push(replace_op(&format!("/{k}"), scalar_text(v)));
            }
        }
        ctx.call(
            "apigateway",
            "UpdateAuthorizer",
            json!({ "restApiId": i["restApiId"], "authorizerId": id, "patchOperations": ops }),
        )
        .await?;
        Ok(created(id, json!({ "AuthorizerId": id })))
    }

    pub async fn delete(
        ctx: &ResourceContext,
        id: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        gone(
            ctx.call(
                "apigateway",
                "DeleteAuthorizer",
                json!({ "restApiId": required(props, "RestApiId")?, "authorizerId": id }),
            )
            .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(old, new, &["RestApiId"])
    }
}

mod api_key {
    use super::*;

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let mut i =
            json!({ "name": prop_str(props, "Name").unwrap_or_else(|| ctx.generated_name(128)) });
        copy_as(
            props,
            &mut i,
            &[
                ("Description", "description"),
                ("Enabled", "enabled"),
                ("Value", "value"),
                ("GenerateDistinctId", "generateDistinctId"),
                ("CustomerId", "customerId"),
            ],
        );
        if let Some(keys) = props.get("StageKeys") {
            i["stageKeys"] = camel_keys(keys, 0);
        }
        if let Some(t) = tags(props) {
            i["tags"] = t;
        }
        let k = ctx.call("apigateway", "CreateApiKey", i).await?;
        let id = scalar_text(&k["id"]);
        Ok(created(&id, json!({ "APIKeyId": id })))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        let mut ops = Vec::new();
        if changed(old, new, &["Enabled"]) {
            ops.push(replace_op(
                "/enabled",
                super::super::prop_bool(new, "Enabled")
                    .unwrap_or(false)
                    .to_string(),
            ));
        }
        if changed(old, new, &["Description"]) {
            ops.push(replace_op(
                "/description",
                prop_str(new, "Description").unwrap_or_default(),
            ));
        }
        if !ops.is_empty() {
            ctx.call(
                "apigateway",
                "UpdateApiKey",
                json!({ "apiKey": id, "patchOperations": ops }),
            )
            .await?;
        }
        Ok(created(id, json!({ "APIKeyId": id })))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call("apigateway", "DeleteApiKey", json!({ "apiKey": id }))
                .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        changed(
            old,
            new,
            &["Name", "Value", "StageKeys", "GenerateDistinctId"],
        )
    }
}

mod usage_plan {
    use super::*;

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let mut i = json!({ "name": prop_str(props, "UsagePlanName").unwrap_or_else(|| ctx.generated_name(128)) });
        copy_as(props, &mut i, &[("Description", "description")]);
        for (from, to) in [
            ("ApiStages", "apiStages"),
            ("Throttle", "throttle"),
            ("Quota", "quota"),
        ] {
            if let Some(v) = props.get(from) {
                i[to] = camel_keys(v, 0);
            }
        }
        if let Some(t) = tags(props) {
            i["tags"] = t;
        }
        let p = ctx.call("apigateway", "CreateUsagePlan", i).await?;
        let id = scalar_text(&p["id"]);
        Ok(created(&id, json!({ "Id": id })))
    }

    pub async fn update(
        ctx: &ResourceContext,
        id: &str,
        old: &Value,
        new: &Value,
    ) -> Result<Created, ProviderError> {
        let mut ops = Vec::new();
        for (k, path) in [
            ("BurstLimit", "/throttle/burstLimit"),
            ("RateLimit", "/throttle/rateLimit"),
        ] {
            if let Some(v) = new["Throttle"]
                .get(k)
                .filter(|v| Some(*v) != old["Throttle"].get(k))
            {
                ops.push(replace_op(path, scalar_text(v)));
            }
        }
        for (k, path) in [
            ("Limit", "/quota/limit"),
            ("Offset", "/quota/offset"),
            ("Period", "/quota/period"),
        ] {
            if let Some(v) = new["Quota"]
                .get(k)
                .filter(|v| Some(*v) != old["Quota"].get(k))
            {
                ops.push(replace_op(path, scalar_text(v)));
            }
        }
        if let Some(n) =
            prop_str(new, "UsagePlanName").filter(|_| changed(old, new, &["UsagePlanName"]))
        {
            ops.push(replace_op("/name", n));
        }
        let stage_key =
            |s: &Value| format!("{}:{}", scalar_text(&s["ApiId"]), scalar_text(&s["Stage"]));
        let olds: Vec<String> = old["ApiStages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(stage_key)
            .collect();
        let news: Vec<String> = new["ApiStages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(stage_key)
            .collect();
        for s in olds.iter().filter(|s| !news.contains(s)) {
            ops.push(json!({ "op": "remove", "path": "/apiStages", "value": s }));
        }
        for s in news.iter().filter(|s| !olds.contains(s)) {
            ops.push(json!({ "op": "add", "path": "/apiStages", "value": s }));
        }
        if !ops.is_empty() {
            ctx.call(
                "apigateway",
                "UpdateUsagePlan",
                json!({ "usagePlanId": id, "patchOperations": ops }),
            )
            .await?;
        }
        Ok(created(id, json!({ "Id": id })))
    }

    pub async fn delete(ctx: &ResourceContext, id: &str, _: &Value) -> Result<(), ProviderError> {
        gone(
            ctx.call(
                "apigateway",
                "DeleteUsagePlan",
                json!({ "usagePlanId": id }),
            )
            .await,
        )
    }

    pub fn replace(_: &Value, _: &Value) -> bool {
        false
    }
}

mod usage_plan_key {
    use super::*;

    pub async fn create(ctx: &ResourceContext, props: &Value) -> Result<Created, ProviderError> {
        let i = json!({
            "usagePlanId": required(props, "UsagePlanId")?,
            "keyId": required(props, "KeyId")?,
            "keyType": prop_str(props, "KeyType").unwrap_or_else(|| "API_KEY".into()),
        });
        ctx.call("apigateway", "CreateUsagePlanKey", i).await?;
        let id = required(props, "KeyId")?;
        Ok(created(&id, json!({ "Id": id })))
    }

    pub async fn update(
        _: &ResourceContext,
        id: &str,
        _: &Value,
        _: &Value,
    ) -> Result<Created, ProviderError> {
        Ok(created(id, json!({ "Id": id })))
    }

    pub async fn delete(
        ctx: &ResourceContext,
        id: &str,
        props: &Value,
    ) -> Result<(), ProviderError> {
        gone(
            ctx.call(
                "apigateway",
                "DeleteUsagePlanKey",
                json!({ "usagePlanId": required(props, "UsagePlanId")?, "keyId": id }),
            )
            .await,
        )
    }

    pub fn replace(old: &Value, new: &Value) -> bool {
        old != new
    }
}
