//! `AWS::Serverless::Api` / `AWS::Serverless::HttpApi` (explicit, or the implicit
//! `ServerlessRestApi` / `ServerlessHttpApi` that function events create).
//!
//! A REST API becomes `AWS::ApiGateway::RestApi` with a Swagger 2.0 `Body` (the events'
//! paths with `aws_proxy` integrations, merged into `DefinitionBody` when given; Lambda
//! TOKEN/REQUEST authorizers and the `api_key` scheme under `securityDefinitions`; CORS as
//! mock `options` methods), `<Api>Deployment<hash>` (a new one whenever the body changes),
//! `<Api><Stage>Stage` (MethodSettings, Variables, ...), `<Api><Auth>AuthorizerPermission`
//! and, for `Auth.UsagePlan`, `<Api>UsagePlan`/`<Api>ApiKey`/`<Api>UsagePlanKey` (PER_API) or
//! `ServerlessUsagePlan`/`ServerlessApiKey`/`ServerlessUsagePlanKey` (SHARED).
//! An HTTP API becomes `AWS::ApiGatewayV2::Api` with an OpenAPI 3 `Body` and
//! `<Api>ApiGatewayDefaultStage` (or `<Api><Stage>Stage`) with auto-deploy.

use super::{
    Out, TransformContext, alnum, copy_attributes, hash10, literal_str, r#ref, with_globals,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// One function event's route.
#[derive(Debug, Clone)]
pub struct Route {
    pub api: String,
    pub path: String,
    /// Lower case; `any` for ANY.
    pub method: String,
    /// `${Fn.Arn}` or `${FnAliaslive}`: the function the integration invokes.
    pub target_sub: String,
    pub auth: Option<Value>,
    pub payload_format: Option<Value>,
}

impl Route {
    pub fn from_event(
        ev_id: &str,
        ep: &Value,
        target_sub: &str,
        implicit: &str,
    ) -> Result<Self, String> {
        let path = ep["Path"]
            .as_str()
            .ok_or_else(|| format!("Event '{ev_id}' needs a string 'Path'"))?
            .to_string();
        let method = ep["Method"]
            .as_str()
            .ok_or_else(|| format!("Event '{ev_id}' needs a string 'Method'"))?
            .to_ascii_lowercase();
        let api = match ep.get("RestApiId").or_else(|| ep.get("ApiId")) {
            None => implicit.to_string(),
            Some(v) => v["Ref"].as_str().map(str::to_string).ok_or_else(|| {
                format!(
                    "Event '{ev_id}': RestApiId/ApiId must be a valid reference to an API \
                     resource in the same template"
                )
            })?,
        };
        Ok(Self {
            api,
            path,
            method,
            target_sub: target_sub.to_string(),
            auth: ep.get("Auth").cloned(),
            payload_format: ep.get("PayloadFormatVersion").cloned(),
        })
    }

    pub fn method_for_arn(&self) -> String {
        if self.method == "any" {
            "*".into()
        } else {
            self.method.to_ascii_uppercase()
        }
    }

    /// `/items/{id}` → `/items/*` (path parameters are wildcards in execute-api ARNs).
    pub fn path_for_arn(&self) -> String {
        if self.path == "$default" {
            return "*".into();
        }
        self.path
            .split('/')
            .map(|s| if s.starts_with('{') { "*" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    }

    fn verb(&self) -> String {
        if self.method == "any" {
            "x-amazon-apigateway-any-method".into()
        } else {
            self.method.clone()
        }
    }

    fn integration_uri(&self) -> Value {
        json!({ "Fn::Sub": format!(
            "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/{}/invocations",
            self.target_sub
        )})
    }
}

/// The APIs of a template and the routes events add to them.
#[derive(Default)]
pub struct Apis {
    rest: Vec<(String, Value)>,
    http: Vec<(String, Value)>,
    rest_routes: BTreeMap<String, Vec<Route>>,
    http_routes: BTreeMap<String, Vec<Route>>,
}

impl Apis {
    pub fn declare_rest(&mut self, id: &str, r: Value) {
        self.rest.push((id.to_string(), r));
    }

    pub fn declare_http(&mut self, id: &str, r: Value) {
        self.http.push((id.to_string(), r));
    }

    pub fn add_rest_route(&mut self, r: Route) {
        self.rest_routes.entry(r.api.clone()).or_default().push(r);
    }

    pub fn add_http_route(&mut self, r: Route) {
        self.http_routes.entry(r.api.clone()).or_default().push(r);
    }

    /// Writes every API's resources.
    pub fn expand(
        mut self,
        ctx: &TransformContext,
        global_api: Option<&Value>,
        out: &mut Out,
    ) -> Result<(), String> {
        if self.rest_routes.contains_key("ServerlessRestApi")
            && !self.rest.iter().any(|(id, _)| id == "ServerlessRestApi")
        {
            let r =
                json!({ "Type": "AWS::Serverless::Api", "Properties": { "StageName": "Prod" } });
            self.rest
                .push(("ServerlessRestApi".into(), with_globals(&r, global_api)?));
        }
        if self.http_routes.contains_key("ServerlessHttpApi")
            && !self.http.iter().any(|(id, _)| id == "ServerlessHttpApi")
        {
            let r = json!({ "Type": "AWS::Serverless::HttpApi", "Properties": {} });
            self.http.push(("ServerlessHttpApi".into(), r));
        }
        for api in self.rest_routes.keys() {
            if !self.rest.iter().any(|(id, _)| id == api) {
                return Err(format!(
                    "RestApiId must be a valid reference to an 'AWS::Serverless::Api' resource \
                     in same template ('{api}' is not one)"
                ));
            }
        }
        for api in self.http_routes.keys() {
            if !self.http.iter().any(|(id, _)| id == api) {
                return Err(format!(
                    "ApiId must be a valid reference to an 'AWS::Serverless::HttpApi' resource \
                     in same template ('{api}' is not one)"
                ));
            }
        }
        let mut shared_plan: Vec<Value> = Vec::new();
        let mut shared_plan_props: Option<Value> = None;
        for (id, r) in &self.rest {
            let routes = self
                .rest_routes
                .get(id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            rest_api(
                id,
                r,
                routes,
                ctx,
                out,
                &mut shared_plan,
                &mut shared_plan_props,
            )
            .map_err(|e| format!("Resource with id [{id}] is invalid. {e}"))?;
        }
        if let Some(plan) = shared_plan_props {
            let mut p = plan;
            p["ApiStages"] = Value::Array(shared_plan);
            out.add_typed(
                "ServerlessUsagePlan",
                "AWS::ApiGateway::UsagePlan",
                p,
                &json!({}),
            );
            out.add(
                "ServerlessApiKey",
                json!({
                    "Type": "AWS::ApiGateway::ApiKey",
                    "DependsOn": ["ServerlessUsagePlan"],
                    "Properties": { "Enabled": true },
                }),
            );
            out.add_typed(
                "ServerlessUsagePlanKey",
                "AWS::ApiGateway::UsagePlanKey",
                json!({
                    "KeyId": r#ref("ServerlessApiKey"),
                    "KeyType": "API_KEY",
                    "UsagePlanId": r#ref("ServerlessUsagePlan"),
                }),
                &json!({}),
            );
        }
        for (id, r) in &self.http {
            let routes = self
                .http_routes
                .get(id)
                .map(Vec::as_slice)
                .unwrap_or_default();
            http_api(id, r, routes, ctx, out)
                .map_err(|e| format!("Resource with id [{id}] is invalid. {e}"))?;
        }
        Ok(())
    }
}

fn obj<'a>(v: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    if !v[key].is_object() {
        v[key] = json!({});
    }
    match v.get_mut(key) {
        Some(Value::Object(m)) => m,
        // Just made an object above.
        _ => unreachable!("set to an object above"),
    }
}

fn rest_api(
    id: &str,
    r: &Value,
    routes: &[Route],
    ctx: &TransformContext,
    out: &mut Out,
    shared_plan: &mut Vec<Value>,
    shared_plan_props: &mut Option<Value>,
) -> Result<(), String> {
    let empty = json!({});
    let p = r.get("Properties").unwrap_or(&empty);
    let stage = p
        .get("StageName")
        .and_then(|v| literal_str(v, ctx))
        .ok_or("'StageName' is required (a string or a parameter)")?;
    if p.get("DefinitionUri").is_some() {
        return Err(
            "'DefinitionUri' needs S3, which Lamina does not have yet: use 'DefinitionBody'".into(),
        );
    }
    let mut body = p.get("DefinitionBody").cloned().unwrap_or_else(|| {
        json!({
            "swagger": "2.0",
            "info": { "version": "1.0", "title": p.get("Name").cloned().unwrap_or(r#ref("AWS::StackName")) },
            "paths": {},
        })
    });
    let auth = p.get("Auth").cloned().unwrap_or_else(|| json!({}));
    let authorizers = auth["Authorizers"].as_object().cloned().unwrap_or_default();
    let default_auth = auth["DefaultAuthorizer"].as_str().map(str::to_string);
    let api_key_default = auth["ApiKeyRequired"].as_bool().unwrap_or(false);
    let mut needs_api_key = false;
    for route in routes {
        let paths = obj(&mut body, "paths");
        let item = paths.entry(route.path.clone()).or_insert_with(|| json!({}));
        let verb = route.verb();
        if item
            .get(&verb)
            .is_some_and(|op| op.get("x-amazon-apigateway-integration").is_some())
        {
            continue; // DefinitionBody already says how this method integrates
        }
        let mut op = json!({
            "x-amazon-apigateway-integration": {
                "type": "aws_proxy",
                "httpMethod": "POST",
                "uri": route.integration_uri(),
            },
            "responses": {},
        });
        let ra = route.auth.clone().unwrap_or_else(|| json!({}));
        let authorizer = ra["Authorizer"]
            .as_str()
            .map(str::to_string)
            .or_else(|| default_auth.clone());
        let mut sec = Map::new();
        if let Some(a) = authorizer.filter(|a| a != "NONE" && a != "AWS_IAM") {
            if !authorizers.contains_key(&a) {
                return Err(format!(
                    "Unable to set Authorizer [{a}] on API method [{}] for path [{}] because it wasn't defined in the API's Authorizers.",
                    route.method, route.path
                ));
            }
            sec.insert(a, json!([]));
        }
        if ra["ApiKeyRequired"].as_bool().unwrap_or(api_key_default) {
            needs_api_key = true;
            sec.insert("api_key".into(), json!([]));
        }
        if !sec.is_empty() {
            op["security"] = json!([sec]);
        }
        item[verb] = op;
    }
    // Authorizers.
    let secdefs_key = if body.get("openapi").is_some() {
        None
    } else {
        Some("securityDefinitions")
    };
    let mut schemes = Map::new();
    for (name, a) in &authorizers {
        let (scheme, permission) = authorizer_scheme(id, name, a)?;
        schemes.insert(name.clone(), scheme);
        if let Some(perm) = permission {
            out.add_typed(
                &format!("{id}{}AuthorizerPermission", alnum(name)),
                "AWS::Lambda::Permission",
                perm,
                r,
            );
        }
    }
    if needs_api_key {
        schemes.insert(
            "api_key".into(),
            json!({ "type": "apiKey", "name": "x-api-key", "in": "header" }),
        );
    }
    if !schemes.is_empty() {
        let holder: &mut Map<String, Value> = match secdefs_key {
            Some(k) => obj(&mut body, k),
            None => {
                let comps = obj(&mut body, "components");
                let ss = comps.entry("securitySchemes").or_insert_with(|| json!({}));
                if !ss.is_object() {
                    *ss = json!({});
                }
                match ss {
                    Value::Object(m) => m,
                    _ => unreachable!("set to an object above"),
                }
            }
        };
        for (k, v) in schemes {
            holder.entry(k).or_insert(v);
        }
    }
    if let Some(cors) = p.get("Cors") {
        add_cors(&mut body, cors)?;
    }
    if let Some(types) = p.get("BinaryMediaTypes") {
        body["x-amazon-apigateway-binary-media-types"] = types.clone();
    }
    // Resources.
    let hash = hash10(&json!([body, stage]));
    let mut api_props = json!({ "Body": body });
    for k in [
        "Name",
        "Description",
        "EndpointConfiguration",
        "MinimumCompressionSize",
        "Mode",
        "DisableExecuteApiEndpoint",
        "ApiKeySourceType",
        "Tags",
    ] {
        if let Some(v) = p.get(k) {
            api_props[k] = v.clone();
        }
    }
    if let Some(Value::String(t)) = p.get("EndpointConfiguration") {
        api_props["EndpointConfiguration"] = json!({ "Types": [t] });
    }
    let mut main = json!({ "Type": "AWS::ApiGateway::RestApi", "Properties": api_props });
    copy_attributes(r, &mut main);
    out.add(id, main);
    let dep_id = format!("{id}Deployment{hash}");
    out.add_typed(
        &dep_id,
        "AWS::ApiGateway::Deployment",
        json!({ "RestApiId": r#ref(id), "Description": format!("RestApi deployment id: {hash}") }),
        r,
    );
    let stage_id = format!("{id}{}Stage", alnum(&stage));
    let mut sp =
        json!({ "DeploymentId": r#ref(&dep_id), "RestApiId": r#ref(id), "StageName": stage });
    for (from, to) in [
        ("Variables", "Variables"),
        ("MethodSettings", "MethodSettings"),
        ("TracingEnabled", "TracingEnabled"),
        ("CacheClusterEnabled", "CacheClusterEnabled"),
        ("CacheClusterSize", "CacheClusterSize"),
        ("AccessLogSetting", "AccessLogSetting"),
        ("CanarySetting", "CanarySetting"),
    ] {
        if let Some(v) = p.get(from) {
            sp[to] = v.clone();
        }
    }
    out.add_typed(&stage_id, "AWS::ApiGateway::Stage", sp, r);
    // Usage plans.
    if let Some(plan) = auth.get("UsagePlan") {
        let mut pp = json!({});
        for k in ["Description", "Quota", "Throttle", "Tags", "UsagePlanName"] {
            if let Some(v) = plan.get(k) {
                pp[k] = v.clone();
            }
        }
        let api_stage = json!({ "ApiId": r#ref(id), "Stage": r#ref(&stage_id) });
        match plan["CreateUsagePlan"].as_str() {
            Some("PER_API") => {
                pp["ApiStages"] = json!([api_stage]);
                let mut up = json!({ "Type": "AWS::ApiGateway::UsagePlan", "DependsOn": [id], "Properties": pp });
                if let Some(c) = r.get("Condition") {
                    up["Condition"] = c.clone();
                }
                out.add(&format!("{id}UsagePlan"), up);
                out.add(
                    &format!("{id}ApiKey"),
                    json!({
                        "Type": "AWS::ApiGateway::ApiKey",
                        "DependsOn": [format!("{id}UsagePlan")],
                        "Properties": {
                            "Enabled": true,
                            "StageKeys": [{ "RestApiId": r#ref(id), "StageName": r#ref(&stage_id) }],
                        },
                    }),
                );
                out.add_typed(
                    &format!("{id}UsagePlanKey"),
                    "AWS::ApiGateway::UsagePlanKey",
                    json!({
                        "KeyId": r#ref(&format!("{id}ApiKey")),
                        "KeyType": "API_KEY",
                        "UsagePlanId": r#ref(&format!("{id}UsagePlan")),
                    }),
                    r,
                );
            }
            Some("SHARED") => {
                shared_plan.push(api_stage);
                shared_plan_props.get_or_insert(pp);
            }
            Some("NONE") | None => {}
            Some(other) => {
                return Err(format!(
                    "'CreateUsagePlan' must be PER_API, SHARED or NONE, not '{other}'"
                ));
            }
        }
    }
    Ok(())
}

/// One entry of `Auth.Authorizers` → its security scheme and the permission that lets API
/// Gateway call the authorizer function.
fn authorizer_scheme(api: &str, name: &str, a: &Value) -> Result<(Value, Option<Value>), String> {
    if let Some(pool) = a.get("UserPoolArn") {
        let header = a["Identity"]["Header"].as_str().unwrap_or("Authorization");
        let pools = if pool.is_array() {
            pool.clone()
        } else {
            json!([pool])
        };
        return Ok((
            json!({
                "type": "apiKey", "name": header, "in": "header",
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": { "type": "cognito_user_pools", "providerARNs": pools },
            }),
            None,
        ));
    }
    let function = a
        .get("FunctionArn")
        .ok_or_else(|| format!("Authorizer {name} needs 'FunctionArn' or 'UserPoolArn'"))?;
    let identity = a.get("Identity").cloned().unwrap_or_else(|| json!({}));
    let kind = a["FunctionPayloadType"].as_str().unwrap_or("TOKEN");
    let uri = json!({ "Fn::Sub": [
        "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${__FunctionArn__}/invocations",
        { "__FunctionArn__": function },
    ]});
    let ttl = identity
        .get("ReauthorizeEvery")
        .cloned()
        .unwrap_or(json!(300));
    let (scheme, header) = match kind {
        "TOKEN" => {
            let header = identity["Header"]
                .as_str()
                .unwrap_or("Authorization")
                .to_string();
            let mut ext = json!({ "type": "token", "authorizerUri": uri, "authorizerResultTtlInSeconds": ttl });
            if let Some(v) = identity.get("ValidationExpression") {
                ext["identityValidationExpression"] = v.clone();
            }
            (ext, header)
        }
        "REQUEST" => {
            let mut sources = Vec::new();
            for (key, prefix) in [
                ("Headers", "method.request.header."),
                ("QueryStrings", "method.request.querystring."),
                ("StageVariables", "stageVariables."),
                ("Context", "context."),
            ] {
                for h in identity[key]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    sources.push(format!("{prefix}{h}"));
                }
            }
            let ext = json!({
                "type": "request", "authorizerUri": uri, "authorizerResultTtlInSeconds": ttl,
                "identitySource": sources.join(", "),
            });
            (ext, "Unused".to_string())
        }
        other => {
            return Err(format!(
                "Authorizer {name}: FunctionPayloadType must be TOKEN or REQUEST, not '{other}'"
            ));
        }
    };
    let permission = json!({
        "Action": "lambda:InvokeFunction",
        "FunctionName": function,
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": { "Fn::Sub": [
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*",
            { "__ApiId__": r#ref(api) },
        ]},
    });
    Ok((
        json!({
            "type": "apiKey", "name": header, "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": scheme,
        }),
        Some(permission),
    ))
}

/// `Cors` → an `options` method with a mock integration on every path.
fn add_cors(body: &mut Value, cors: &Value) -> Result<(), String> {
    let (origin, methods, headers, max_age, creds) = match cors {
        Value::String(s) => (json!(s), None, None, None, false),
        Value::Object(m) => (
            m.get("AllowOrigin")
                .cloned()
                .ok_or("Cors needs 'AllowOrigin'")?,
            m.get("AllowMethods").cloned(),
            m.get("AllowHeaders").cloned(),
            m.get("MaxAge").cloned(),
            m.get("AllowCredentials")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
        _ => return Err("'Cors' must be a string or a map".into()),
    };
    let paths = obj(body, "paths");
    for (_, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        if item.contains_key("options") {
            continue;
        }
        let verbs: Vec<String> = item
            .keys()
            .filter(|k| *k != "parameters")
            .map(|k| {
                if k == "x-amazon-apigateway-any-method" {
                    "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT".to_string()
                } else {
                    k.to_ascii_uppercase()
                }
            })
            .chain(std::iter::once("OPTIONS".to_string()))
            .collect();
        let methods = methods
            .clone()
            .unwrap_or_else(|| json!(format!("'{}'", verbs.join(","))));
        let mut params = json!({
            "method.response.header.Access-Control-Allow-Origin": origin,
            "method.response.header.Access-Control-Allow-Methods": methods,
        });
        let mut resp_headers = json!({
            "Access-Control-Allow-Origin": { "type": "string" },
            "Access-Control-Allow-Methods": { "type": "string" },
        });
        if let Some(h) = &headers {
            params["method.response.header.Access-Control-Allow-Headers"] = h.clone();
            resp_headers["Access-Control-Allow-Headers"] = json!({ "type": "string" });
        }
        if let Some(a) = &max_age {
            params["method.response.header.Access-Control-Max-Age"] = json!(a.to_string());
            resp_headers["Access-Control-Max-Age"] = json!({ "type": "integer" });
        }
        if creds {
            params["method.response.header.Access-Control-Allow-Credentials"] = json!("'true'");
            resp_headers["Access-Control-Allow-Credentials"] = json!({ "type": "string" });
        }
        item.insert(
            "options".into(),
            json!({
                "summary": "CORS support",
                "consumes": ["application/json"],
                "produces": ["application/json"],
                "responses": { "200": { "description": "Default response for CORS method", "headers": resp_headers } },
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": { "application/json": "{\n  \"statusCode\" : 200\n}\n" },
                    "responses": { "default": {
                        "statusCode": "200",
                        "responseParameters": params,
                        "responseTemplates": { "application/json": "{}\n" },
                    }},
                },
            }),
        );
    }
    Ok(())
}

fn http_api(
    id: &str,
    r: &Value,
    routes: &[Route],
    ctx: &TransformContext,
    out: &mut Out,
) -> Result<(), String> {
    let empty = json!({});
    let p = r.get("Properties").unwrap_or(&empty);
    if p.get("DefinitionUri").is_some() {
        return Err(
            "'DefinitionUri' needs S3, which Lamina does not have yet: use 'DefinitionBody'".into(),
        );
    }
    let mut body = p.get("DefinitionBody").cloned().unwrap_or_else(|| {
        json!({
            "openapi": "3.0.1",
            "info": { "version": "1.0", "title": p.get("Name").cloned().unwrap_or(r#ref("AWS::StackName")) },
            "paths": {},
        })
    });
    let auth = p.get("Auth").cloned().unwrap_or_else(|| json!({}));
    let default_auth = auth["DefaultAuthorizer"].as_str().map(str::to_string);
    let authorizers = auth["Authorizers"].as_object().cloned().unwrap_or_default();
    for route in routes {
        let verb = route.verb();
        let paths = obj(&mut body, "paths");
        let item = paths.entry(route.path.clone()).or_insert_with(|| json!({}));
        let mut op = json!({
            "x-amazon-apigateway-integration": {
                "type": "aws_proxy",
                "httpMethod": "POST",
                "uri": route.integration_uri(),
                "payloadFormatVersion": route.payload_format.clone().unwrap_or(json!("2.0")),
            },
            "responses": {},
        });
        let ra = route.auth.clone().unwrap_or_else(|| json!({}));
        if let Some(a) = ra["Authorizer"]
            .as_str()
            .map(str::to_string)
            .or_else(|| default_auth.clone())
            .filter(|a| a != "NONE")
        {
            if !authorizers.contains_key(&a) {
                return Err(format!(
                    "Unable to set Authorizer [{a}] on path [{}] because it wasn't defined in the API's Authorizers.",
                    route.path
                ));
            }
            op["security"] =
                json!([{ a: ra.get("AuthorizationScopes").cloned().unwrap_or(json!([])) }]);
        }
        item[verb] = op;
    }
    if !authorizers.is_empty() {
        let comps = obj(&mut body, "components");
        let ss = comps.entry("securitySchemes").or_insert_with(|| json!({}));
        for (name, a) in &authorizers {
            let scheme = if let Some(jwt) = a.get("JwtConfiguration") {
                json!({
                    "type": "oauth2",
                    "x-amazon-apigateway-authorizer": {
                        "type": "jwt",
                        "jwtConfiguration": jwt,
                        "identitySource": a.get("IdentitySource").cloned().unwrap_or(json!("$request.header.Authorization")),
                    },
                })
            } else if let Some(f) = a.get("FunctionArn") {
                json!({
                    "type": "apiKey", "name": "Unused", "in": "header",
                    "x-amazon-apigateway-authorizer": {
                        "type": "request",
                        "authorizerUri": { "Fn::Sub": [
                            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${__FunctionArn__}/invocations",
                            { "__FunctionArn__": f },
                        ]},
                        "authorizerPayloadFormatVersion": a.get("AuthorizerPayloadFormatVersion").cloned().unwrap_or(json!("2.0")),
                        "enableSimpleResponses": a.get("EnableSimpleResponses").cloned().unwrap_or(json!(false)),
                    },
                })
            } else {
                return Err(format!(
                    "Authorizer {name} needs 'JwtConfiguration' or 'FunctionArn'"
                ));
            };
            ss[name] = scheme;
        }
    }
    if let Some(cors) = p.get("CorsConfiguration") {
        body["x-amazon-apigateway-cors"] = cors.clone();
    }
    let mut api_props = json!({ "Body": body });
    for k in ["Name", "Description", "DisableExecuteApiEndpoint", "Tags"] {
        if let Some(v) = p.get(k) {
            api_props[k] = v.clone();
        }
    }
    let mut main = json!({ "Type": "AWS::ApiGatewayV2::Api", "Properties": api_props });
    copy_attributes(r, &mut main);
    out.add(id, main);
    let stage = p
        .get("StageName")
        .and_then(|v| literal_str(v, ctx))
        .unwrap_or_else(|| "$default".into());
    let stage_id = if stage == "$default" {
        format!("{id}ApiGatewayDefaultStage")
    } else {
        format!("{id}{}Stage", alnum(&stage))
    };
    let mut sp = json!({ "ApiId": r#ref(id), "StageName": stage, "AutoDeploy": true });
    for k in [
        "StageVariables",
        "DefaultRouteSettings",
        "RouteSettings",
        "AccessLogSettings",
    ] {
        if let Some(v) = p.get(k) {
            sp[k] = v.clone();
        }
    }
    out.add_typed(&stage_id, "AWS::ApiGatewayV2::Stage", sp, r);
    Ok(())
}
