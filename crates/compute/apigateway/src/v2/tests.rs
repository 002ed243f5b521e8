//! The control plane through the `Service` interface and the data plane through `serve`,
//! against the in-memory store, with a test double of the `Invoker` trait.

use super::{V2Service, serve};
use crate::ApiGateway;
use bytes::Bytes;
use lamina_bus::{InvokeError, InvokeRequest, InvokeResponse, Invoker, NullLogSink};
use lamina_core::{AwsError, BoxFuture, Input, RequestContext, Service};
use lamina_storage_memory::MemoryStore;
use lamina_wire::{HttpRequest, HttpResponse, RawContext};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Answer = Box<dyn Fn(&Value) -> Result<InvokeResponse, InvokeError> + Send + Sync>;

/// Records every invocation and answers with `answer`.
struct FakeLambda {
    calls: Mutex<Vec<(String, Value)>>,
    answer: Mutex<Answer>,
    delay: Mutex<Duration>,
}

impl FakeLambda {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::new(Vec::new()),
            answer: Mutex::new(Box::new(|_| {
                Ok(ok(json!({"statusCode": 200, "body": "hi"})))
            })),
            delay: Mutex::new(Duration::ZERO),
        })
    }
    fn answer(
        &self,
        f: impl Fn(&Value) -> Result<InvokeResponse, InvokeError> + Send + Sync + 'static,
    ) {
        *self.answer.lock().unwrap() = Box::new(f);
    }
    fn last(&self) -> (String, Value) {
        self.calls
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("an invocation")
    }
}

fn ok(v: Value) -> InvokeResponse {
    InvokeResponse {
        status: 200,
        payload: Bytes::from(v.to_string()),
        function_error: None,
        executed_version: "$LATEST".into(),
    }
}

impl Invoker for FakeLambda {
    fn invoke(&self, req: InvokeRequest) -> BoxFuture<'_, Result<InvokeResponse, InvokeError>> {
        Box::pin(async move {
            let ev: Value = serde_json::from_slice(&req.payload).unwrap_or(Value::Null);
            self.calls
                .lock()
                .unwrap()
                .push((req.function.clone(), ev.clone()));
            let d = *self.delay.lock().unwrap();
            if !d.is_zero() {
                tokio::time::sleep(d).await;
            }
            (self.answer.lock().unwrap())(&ev)
        })
    }
}

struct Env {
    gw: Arc<ApiGateway>,
    svc: V2Service,
    lambda: Arc<FakeLambda>,
    ctx: RequestContext,
}

const FN_ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:f";

fn env() -> Env {
    let lambda = FakeLambda::new();
    let gw = ApiGateway::new(
        MemoryStore::new(),
        Some(lambda.clone()),
        Arc::new(NullLogSink),
    );
    Env {
        svc: V2Service::new(gw.clone()),
        gw,
        lambda,
        ctx: RequestContext {
            request_id: "r".into(),
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            access_key_id: "test".into(),
            endpoint: "http://localhost:4566".into(),
        },
    }
}

impl Env {
    async fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        let input = Input {
            value: input,
            payload: None,
        };
        self.svc.call(&self.ctx, op, input).await.map(|o| o.value)
    }
    async fn ok(&self, op: &str, input: Value) -> Value {
        self.call(op, input)
            .await
            .unwrap_or_else(|e| panic!("{op}: {} {}", e.code.code, e.message))
    }
    async fn http(
        &self,
        api: &str,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Option<HttpResponse> {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut h = http::HeaderMap::new();
        h.insert(
            "host",
            format!("{api}.execute-api.localhost:4566").parse().unwrap(),
        );
        for (k, v) in headers {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        let req = HttpRequest {
            method: method.parse().unwrap(),
            path: path.into(),
            query: query.into(),
            headers: h,
            body: Bytes::from(body.to_string()),
        };
        let ctx = RawContext {
            request_id: "req-1".into(),
            endpoint: "http://localhost:4566".into(),
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
        };
        serve(&self.gw, api, req, &ctx).await
    }
    /// A quick-created API (Lambda target, `$default` route and stage); returns its id.
    async fn quick(&self) -> String {
        let api = self
            .ok(
                "CreateApi",
                json!({"Name": "q", "ProtocolType": "HTTP", "Target": FN_ARN}),
            )
            .await;
        api["ApiId"].as_str().unwrap().to_string()
    }
}

fn body(r: &HttpResponse) -> Value {
    serde_json::from_slice(&r.body)
        .unwrap_or(Value::String(String::from_utf8_lossy(&r.body).into()))
}

#[tokio::test]
async fn v2_api_crud_and_errors() {
    let e = env();
    let api = e
        .ok(
            "CreateApi",
            json!({"Name": "a", "ProtocolType": "HTTP", "Tags": {"k": "v"}}),
        )
        .await;
    let id = api["ApiId"].as_str().unwrap();
    assert_eq!(id.len(), 10);
    assert_eq!(
        api["ApiEndpoint"],
        format!("http://{id}.execute-api.localhost:4566")
    );
    assert_eq!(
        api["RouteSelectionExpression"],
        "$request.method $request.path"
    );
    assert_eq!(
        api["ApiKeySelectionExpression"],
        "$request.header.x-api-key"
    );
    assert_eq!(api["DisableExecuteApiEndpoint"], false);
    let got = e.ok("GetApi", json!({"ApiId": id})).await;
    assert_eq!(got, api);
    let upd = e
        .ok(
            "UpdateApi",
            json!({"ApiId": id, "Name": "b", "CorsConfiguration": {"AllowOrigins": ["*"]}}),
        )
        .await;
    assert_eq!(upd["Name"], "b");
    assert_eq!(upd["CorsConfiguration"]["AllowOrigins"], json!(["*"]));
    e.ok("DeleteCorsConfiguration", json!({"ApiId": id})).await;
    assert!(
        e.ok("GetApi", json!({"ApiId": id}))
            .await
            .get("CorsConfiguration")
            .is_none()
    );
    let err = e
        .call("GetApi", json!({"ApiId": "nope"}))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code.code, err.message.as_str()),
        ("NotFoundException", "Invalid API identifier specified nope")
    );
    let err = e
        .call(
            "CreateApi",
            json!({"Name": "w", "ProtocolType": "WEBSOCKET"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.code, "BadRequestException");
    // tags by ARN
    let arn = format!("arn:aws:apigateway:us-east-1::/apis/{id}");
    e.ok(
        "TagResource",
        json!({"ResourceArn": arn, "Tags": {"a": "1"}}),
    )
    .await;
    e.ok(
        "UntagResource",
        json!({"ResourceArn": arn, "TagKeys": ["k"]}),
    )
    .await;
    assert_eq!(
        e.ok("GetTags", json!({"ResourceArn": arn})).await,
        json!({"Tags": {"a": "1"}})
    );
    e.ok("DeleteApi", json!({"ApiId": id})).await;
    assert!(e.call("GetApi", json!({"ApiId": id})).await.is_err());
}

#[tokio::test]
async fn v2_get_apis_pages() {
    let e = env();
    for i in 0..5 {
        e.ok(
            "CreateApi",
            json!({"Name": format!("a{i}"), "ProtocolType": "HTTP"}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut input = json!({"MaxResults": "2"});
        if let Some(t) = &token {
            input["NextToken"] = json!(t);
        }
        let page = e.ok("GetApis", input).await;
        let items = page["Items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|a| a["Name"].as_str().unwrap().to_string()),
        );
        match page.get("NextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, vec!["a0", "a1", "a2", "a3", "a4"]);
}

#[tokio::test]
async fn v2_routes_integrations_stages() {
    let e = env();
    let id = e
        .ok("CreateApi", json!({"Name": "a", "ProtocolType": "HTTP"}))
        .await["ApiId"]
        .as_str()
        .unwrap()
        .to_string();
    let integ = e
        .ok(
            "CreateIntegration",
            json!({"ApiId": id, "IntegrationType": "AWS_PROXY", "IntegrationUri": FN_ARN}),
        )
        .await;
    assert_eq!(integ["PayloadFormatVersion"], "2.0");
    assert_eq!(integ["TimeoutInMillis"], 30000);
    let iid = integ["IntegrationId"].as_str().unwrap();
    let err = e
        .call(
            "CreateIntegration",
            json!({"ApiId": id, "IntegrationType": "HTTP_PROXY", "IntegrationUri": "http://x"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.code, "BadRequestException");
    let route = e.ok("CreateRoute", json!({"ApiId": id, "RouteKey": "GET /items/{id}", "Target": format!("integrations/{iid}")})).await;
    assert_eq!(route["AuthorizationType"], "NONE");
    let rid = route["RouteId"].as_str().unwrap();
    let err = e
        .call(
            "CreateRoute",
            json!({"ApiId": id, "RouteKey": "GET /items/{id}"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code.code, "ConflictException");
    let err = e
        .call("CreateRoute", json!({"ApiId": id, "RouteKey": "FETCH /x"}))
        .await
        .unwrap_err();
    assert_eq!(err.code.code, "BadRequestException");
    let err = e
        .call("GetRoute", json!({"ApiId": id, "RouteId": "zzz"}))
        .await
        .unwrap_err();
    assert_eq!(err.message, "Invalid Route identifier specified zzz");
    let upd = e
        .ok(
            "UpdateRoute",
            json!({"ApiId": id, "RouteId": rid, "RouteKey": "ANY /items/{id}"}),
        )
        .await;
    assert_eq!(upd["Target"], format!("integrations/{iid}"));
    assert_eq!(
        e.ok("GetRoutes", json!({"ApiId": id})).await["Items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A stage without AutoDeploy serves nothing until deployed.
    e.ok(
        "CreateStage",
        json!({"ApiId": id, "StageName": "prod", "StageVariables": {"v": "1"}}),
    )
    .await;
    let err = e
        .call("CreateStage", json!({"ApiId": id, "StageName": "prod"}))
        .await
        .unwrap_err();
    assert_eq!(err.code.code, "ConflictException");
    assert_eq!(
        e.http(&id, "GET", "/prod/items/1", &[], "")
            .await
            .unwrap()
            .status,
        404
    );
    let dep = e
        .ok(
            "CreateDeployment",
            json!({"ApiId": id, "StageName": "prod"}),
        )
        .await;
    assert_eq!(dep["DeploymentStatus"], "DEPLOYED");
    let stage = e
        .ok("GetStage", json!({"ApiId": id, "StageName": "prod"}))
        .await;
    assert_eq!(stage["DeploymentId"], dep["DeploymentId"]);
    let r = e.http(&id, "GET", "/prod/items/1", &[], "").await.unwrap();
    assert_eq!(r.status, 200);
    let (_, ev) = e.lambda.last();
    assert_eq!(ev["stageVariables"], json!({"v": "1"}));
    assert_eq!(ev["pathParameters"], json!({"id": "1"}));
    // Later changes are not live until the next deployment.
    e.ok("DeleteRoute", json!({"ApiId": id, "RouteId": rid}))
        .await;
    assert_eq!(
        e.http(&id, "GET", "/prod/items/1", &[], "")
            .await
            .unwrap()
            .status,
        200
    );
    e.ok(
        "CreateDeployment",
        json!({"ApiId": id, "StageName": "prod"}),
    )
    .await;
    assert_eq!(
        e.http(&id, "GET", "/prod/items/1", &[], "")
            .await
            .unwrap()
            .status,
        404
    );
}

#[tokio::test]
async fn v2_quick_create_and_payload_2_0() {
    let e = env();
    let id = e.quick().await;
    let stages = e.ok("GetStages", json!({"ApiId": id})).await;
    assert_eq!(stages["Items"][0]["StageName"], "$default");
    assert_eq!(stages["Items"][0]["AutoDeploy"], true);
    e.lambda.answer(|_| Ok(ok(json!({"hello": "world"}))));
    let r = e
        .http(
            &id,
            "POST",
            "/any/path?x=1&x=2",
            &[("content-type", "application/json"), ("cookie", "a=1; b=2")],
            "{\"p\":1}",
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(body(&r), json!({"hello": "world"}));
    let (function, ev) = e.lambda.last();
    assert_eq!(function, FN_ARN);
    assert_eq!(ev["version"], "2.0");
    assert_eq!(ev["routeKey"], "$default");
    assert_eq!(ev["rawPath"], "/any/path");
    assert_eq!(ev["rawQueryString"], "x=1&x=2");
    assert_eq!(ev["queryStringParameters"], json!({"x": "1,2"}));
    assert_eq!(ev["cookies"], json!(["a=1", "b=2"]));
    assert_eq!(ev["body"], "{\"p\":1}");
    assert_eq!(ev["requestContext"]["stage"], "$default");
    assert_eq!(ev["requestContext"]["apiId"], json!(id));
    assert_eq!(
        ev["requestContext"]["domainName"],
        format!("{id}.execute-api.localhost")
    );
    // structured response, function error, malformed response
    e.lambda.answer(|_| {
        Ok(ok(
            json!({"statusCode": 201, "headers": {"x-a": "b"}, "cookies": ["c=d"], "body": "made"}),
        ))
    });
    let r = e.http(&id, "GET", "/", &[], "").await.unwrap();
    assert_eq!((r.status, &r.body[..]), (201, &b"made"[..]));
    assert_eq!(r.header("set-cookie"), Some("c=d"));
    e.lambda.answer(|_| {
        let mut r = ok(json!({"errorMessage": "boom"}));
        r.function_error = Some("Unhandled".into());
        Ok(r)
    });
    let r = e.http(&id, "GET", "/", &[], "").await.unwrap();
    assert_eq!(
        (r.status, body(&r)),
        (500, json!({"message": "Internal Server Error"}))
    );
    // unknown API ids are not this data plane's
    assert!(e.http("unknownapi", "GET", "/", &[], "").await.is_none());
}

#[tokio::test]
async fn v2_payload_1_0_routing_and_404() {
    let e = env();
    let id = e
        .ok("CreateApi", json!({"Name": "a", "ProtocolType": "HTTP"}))
        .await["ApiId"]
        .as_str()
        .unwrap()
        .to_string();
    let i1 = e.ok("CreateIntegration", json!({"ApiId": id, "IntegrationType": "AWS_PROXY", "IntegrationUri": FN_ARN, "PayloadFormatVersion": "1.0"})).await;
    let t = format!("integrations/{}", i1["IntegrationId"].as_str().unwrap());
    e.ok(
        "CreateRoute",
        json!({"ApiId": id, "RouteKey": "GET /pets/{id}", "Target": t}),
    )
    .await;
    e.ok(
        "CreateRoute",
        json!({"ApiId": id, "RouteKey": "ANY /{proxy+}", "Target": t}),
    )
    .await;
    e.ok(
        "CreateStage",
        json!({"ApiId": id, "StageName": "dev", "AutoDeploy": true}),
    )
    .await;
    e.lambda.answer(|_| {
        Ok(ok(
            json!({"statusCode": 200, "multiValueHeaders": {"x": ["1", "2"]}, "body": "v1"}),
        ))
    });
    let r = e.http(&id, "GET", "/dev/pets/7", &[], "").await.unwrap();
    assert_eq!((r.status, &r.body[..]), (200, &b"v1"[..]));
    let (_, ev) = e.lambda.last();
    assert_eq!(ev["version"], "1.0");
    assert_eq!(ev["resource"], "/pets/{id}");
    assert_eq!(ev["path"], "/dev/pets/7");
    assert_eq!(ev["httpMethod"], "GET");
    assert_eq!(ev["pathParameters"], json!({"id": "7"}));
    assert_eq!(ev["requestContext"]["stage"], "dev");
    e.http(&id, "DELETE", "/dev/a/b", &[], "").await.unwrap();
    assert_eq!(e.lambda.last().1["pathParameters"], json!({"proxy": "a/b"}));
    // no $default stage: another first segment is not a stage
    let r = e.http(&id, "GET", "/other/pets/7", &[], "").await.unwrap();
    assert_eq!((r.status, body(&r)), (404, json!({"message": "Not Found"})));
    // 1.0 needs a structured response
    e.lambda.answer(|_| Ok(ok(json!({"hello": 1}))));
    assert_eq!(
        e.http(&id, "GET", "/dev/pets/7", &[], "")
            .await
            .unwrap()
            .status,
        500
    );
}

#[tokio::test]
async fn v2_cors_throttling_timeout() {
    let e = env();
    let id = e.quick().await;
    e.ok("UpdateApi", json!({"ApiId": id, "CorsConfiguration": {"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["authorization"], "MaxAge": 600}})).await;
    let r = e
        .http(
            &id,
            "OPTIONS",
            "/x",
            &[
                ("origin", "https://app.example"),
                ("access-control-request-method", "POST"),
            ],
            "",
        )
        .await
        .unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(r.header("access-control-allow-methods"), Some("GET,POST"));
    assert_eq!(r.header("access-control-max-age"), Some("600"));
    let r = e
        .http(&id, "GET", "/x", &[("origin", "https://app.example")], "")
        .await
        .unwrap();
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    // throttling: burst 1, no refill
    e.ok("UpdateStage", json!({"ApiId": id, "StageName": "$default", "DefaultRouteSettings": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.0}})).await;
    assert_eq!(e.http(&id, "GET", "/x", &[], "").await.unwrap().status, 200);
    let r = e.http(&id, "GET", "/x", &[], "").await.unwrap();
    assert_eq!(
        (r.status, body(&r)),
        (429, json!({"message": "Too Many Requests"}))
    );
    // integration timeout
    let id2 = e
        .ok("CreateApi", json!({"Name": "t", "ProtocolType": "HTTP"}))
        .await["ApiId"]
        .as_str()
        .unwrap()
        .to_string();
    let i = e.ok("CreateIntegration", json!({"ApiId": id2, "IntegrationType": "AWS_PROXY", "IntegrationUri": FN_ARN, "TimeoutInMillis": 50})).await;
    e.ok("CreateRoute", json!({"ApiId": id2, "RouteKey": "$default", "Target": format!("integrations/{}", i["IntegrationId"].as_str().unwrap())})).await;
    e.ok(
        "CreateStage",
        json!({"ApiId": id2, "StageName": "$default", "AutoDeploy": true}),
    )
    .await;
    *e.lambda.delay.lock().unwrap() = Duration::from_millis(300);
    let r = e.http(&id2, "GET", "/", &[], "").await.unwrap();
    assert_eq!(
        (r.status, body(&r)),
        (503, json!({"message": "Service Unavailable"}))
    );
}

#[tokio::test]
async fn v2_lambda_authorizer() {
    let e = env();
    let id = e.quick().await;
    let a = e
        .ok(
            "CreateAuthorizer",
            json!({"ApiId": id, "Name": "auth", "AuthorizerType": "REQUEST",
        "AuthorizerUri": "arn:aws:lambda:us-east-1:000000000000:function:auth",
        "AuthorizerPayloadFormatVersion": "2.0", "EnableSimpleResponses": true,
        "IdentitySource": ["$request.header.x-token"], "AuthorizerResultTtlInSeconds": 300}),
        )
        .await;
    let routes = e.ok("GetRoutes", json!({"ApiId": id})).await;
    let rid = routes["Items"][0]["RouteId"].as_str().unwrap().to_string();
    e.ok("UpdateRoute", json!({"ApiId": id, "RouteId": rid, "AuthorizationType": "CUSTOM", "AuthorizerId": a["AuthorizerId"]})).await;
    e.lambda.answer(|ev| {
        if ev.get("type").and_then(Value::as_str) == Some("REQUEST") {
            let allowed = ev["identitySource"][0] == "good";
            return Ok(ok(
                json!({"isAuthorized": allowed, "context": {"user": "u1"}}),
            ));
        }
        Ok(ok(json!({"statusCode": 200, "body": "in"})))
    });
    let r = e.http(&id, "GET", "/", &[], "").await.unwrap();
    assert_eq!(
        (r.status, body(&r)),
        (401, json!({"message": "Unauthorized"}))
    );
    let r = e
        .http(&id, "GET", "/", &[("x-token", "bad")], "")
        .await
        .unwrap();
    assert_eq!((r.status, body(&r)), (403, json!({"message": "Forbidden"})));
    let r = e
        .http(&id, "GET", "/", &[("x-token", "good")], "")
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let (_, ev) = e.lambda.last();
    assert_eq!(ev["requestContext"]["authorizer"]["lambda"]["user"], "u1");
    // cached: the authorizer is not called again for the same identity
    let before = e.lambda.calls.lock().unwrap().len();
    e.http(&id, "GET", "/", &[("x-token", "good")], "")
        .await
        .unwrap();
    assert_eq!(e.lambda.calls.lock().unwrap().len(), before + 1);
}

/// Serves `/.well-known/openid-configuration` and `/jwks` on loopback.
async fn issuer(jwks: Value) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let b = base.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            let body = if head.starts_with("GET /.well-known/openid-configuration") {
                json!({"issuer": b, "jwks_uri": format!("{b}/jwks")}).to_string()
            } else {
                jwks.to_string()
            };
            let resp = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes()).await;
        }
    });
    base
}

#[tokio::test]
async fn v2_jwt_authorizer() {
    let key = super::data::jwt::tests::TestKey::new();
    let iss = issuer(key.jwks("k1")).await;
    let e = env();
    let id = e.quick().await;
    let a = e
        .ok(
            "CreateAuthorizer",
            json!({"ApiId": id, "Name": "jwt", "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"],
        "JwtConfiguration": {"Issuer": iss, "Audience": ["app"]}}),
        )
        .await;
    let rid = e.ok("GetRoutes", json!({"ApiId": id})).await["Items"][0]["RouteId"]
        .as_str()
        .unwrap()
        .to_string();
    e.ok("UpdateRoute", json!({"ApiId": id, "RouteId": rid, "AuthorizationType": "JWT", "AuthorizerId": a["AuthorizerId"], "AuthorizationScopes": ["read"]})).await;
    let now = (lamina_core::now_epoch_millis() / 1000) as i64;
    let good = key.sign(
        "k1",
        &json!({"iss": iss, "aud": "app", "sub": "u1", "exp": now + 300, "scope": "read"}),
    );
    let noscope = key.sign(
        "k1",
        &json!({"iss": iss, "aud": "app", "sub": "u1", "exp": now + 300}),
    );
    let r = e.http(&id, "GET", "/", &[], "").await.unwrap();
    assert_eq!(
        (r.status, body(&r)),
        (401, json!({"message": "Unauthorized"}))
    );
    let r = e
        .http(
            &id,
            "GET",
            "/",
            &[("authorization", "Bearer nope.nope.nope")],
            "",
        )
        .await
        .unwrap();
    assert_eq!(r.status, 401);
    let r = e
        .http(
            &id,
            "GET",
            "/",
            &[("authorization", &format!("Bearer {noscope}"))],
            "",
        )
        .await
        .unwrap();
    assert_eq!((r.status, body(&r)), (403, json!({"message": "Forbidden"})));
    let r = e
        .http(
            &id,
            "GET",
            "/",
            &[("authorization", &format!("Bearer {good}"))],
            "",
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    let (_, ev) = e.lambda.last();
    assert_eq!(
        ev["requestContext"]["authorizer"]["jwt"]["claims"]["sub"],
        "u1"
    );
    assert_eq!(
        ev["requestContext"]["authorizer"]["jwt"]["scopes"],
        json!(["read"])
    );
}

#[tokio::test]
async fn v2_http_proxy() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).await.unwrap_or(0);
            let line = String::from_utf8_lossy(&buf[..n])
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let resp = format!(
                "HTTP/1.1 202 Accepted\r\nx-up: 1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{line}",
                line.len()
            );
            let _ = s.write_all(resp.as_bytes()).await;
        }
    });
    let e = env();
    let id = e
        .ok("CreateApi", json!({"Name": "p", "ProtocolType": "HTTP"}))
        .await["ApiId"]
        .as_str()
        .unwrap()
        .to_string();
    let i = e.ok("CreateIntegration", json!({"ApiId": id, "IntegrationType": "HTTP_PROXY", "IntegrationMethod": "ANY", "IntegrationUri": format!("http://{addr}/up/{{proxy}}")})).await;
    e.ok("CreateRoute", json!({"ApiId": id, "RouteKey": "ANY /{proxy+}", "Target": format!("integrations/{}", i["IntegrationId"].as_str().unwrap())})).await;
    e.ok(
        "CreateStage",
        json!({"ApiId": id, "StageName": "$default", "AutoDeploy": true}),
    )
    .await;
    let r = e.http(&id, "PUT", "/a/b?q=1", &[], "x").await.unwrap();
    assert_eq!(r.status, 202);
    assert_eq!(r.header("x-up"), Some("1"));
    assert_eq!(&r.body[..], b"PUT /up/a/b?q=1 HTTP/1.1");
}
