//! The dispatch path, in process: real services over the in-memory store, requests as
//! clients put them on the wire, responses checked as a client reads them.

use bytes::Bytes;
use lamina_gateway::{Gateway, GatewayConfig};
use lamina_storage::Store;
use lamina_wire::{HttpRequest, HttpResponse};
use serde_json::{Value, json};
use std::sync::Arc;

fn gateway() -> Gateway {
    let store: Arc<dyn Store> = lamina_storage_memory::MemoryStore::new();
    Gateway::new(GatewayConfig::default(), store.backend())
        .with_service(Arc::new(lamina_ssm::SsmService::new(
            store.clone(),
            [7; 32],
        )))
        .with_service(Arc::new(lamina_sts::StsService::new(store)))
}

fn request(method: &str, uri: &str, headers: &[(&str, &str)], body: &str) -> HttpRequest {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut h = http::HeaderMap::new();
    for (k, v) in headers {
        h.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    HttpRequest {
        method: method.parse().unwrap(),
        path: path.into(),
        query: query.into(),
        headers: h,
        body: Bytes::from(body.to_string()),
    }
}

const SCOPE_SSM: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-2/ssm/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";

async fn ssm(gw: &Gateway, op: &str, body: Value) -> HttpResponse {
    let req = request(
        "POST",
        "/",
        &[
            ("x-amz-target", &format!("AmazonSSM.{op}")),
            ("content-type", "application/x-amz-json-1.1"),
            ("authorization", SCOPE_SSM),
        ],
        &body.to_string(),
    );
    gw.handle(req, "http://localhost:4566".into()).await
}

/// The error message as SDKs read it (`message` or `Message`).
fn message(b: &Value) -> String {
    b.get("message")
        .or_else(|| b.get("Message"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn body(resp: &HttpResponse) -> Value {
    serde_json::from_slice(&resp.body).unwrap_or(Value::Null)
}

#[tokio::test]
async fn put_then_get_in_the_signed_region() {
    let gw = gateway();
    let put = ssm(
        &gw,
        "PutParameter",
        json!({"Name": "/a/b", "Value": "v1", "Type": "String"}),
    )
    .await;
    assert_eq!(put.status, 200, "{:?}", body(&put));
    assert_eq!(body(&put)["Version"], 1);
    let get = ssm(&gw, "GetParameter", json!({"Name": "/a/b"})).await;
    assert_eq!(get.status, 200);
    let p = &body(&get)["Parameter"];
    assert_eq!(p["Value"], "v1");
    // the region comes from the credential scope, not the default
    assert_eq!(p["ARN"], "arn:aws:ssm:eu-west-2:000000000000:parameter/a/b");
    assert!(
        get.header("x-amzn-RequestId")
            .is_some_and(|id| id.len() == 36)
    );
}

#[tokio::test]
async fn malformed_json_is_a_serialization_exception() {
    let gw = gateway();
    let req = request(
        "POST",
        "/",
        &[
            ("x-amz-target", "AmazonSSM.PutParameter"),
            ("authorization", SCOPE_SSM),
        ],
        "{\"Name\": ",
    );
    let resp = gw.handle(req, String::new()).await;
    assert_eq!(resp.status, 400);
    assert_eq!(body(&resp)["__type"], "SerializationException");
}

#[tokio::test]
async fn missing_required_member_is_a_validation_exception() {
    let gw = gateway();
    let resp = ssm(&gw, "PutParameter", json!({"Value": "v"})).await;
    assert_eq!(resp.status, 400);
    let b = body(&resp);
    assert_eq!(b["__type"], "ValidationException", "{b}");
    // SSM's model spells its ValidationException member `Message`; SDKs read either.
    assert_eq!(
        b["Message"],
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
        "{b}"
    );
    // and nothing was written
    let get = ssm(&gw, "DescribeParameters", json!({})).await;
    assert_eq!(body(&get)["Parameters"], json!([]));
}

#[tokio::test]
async fn unimplemented_operation_names_itself() {
    let gw = gateway();
    let resp = ssm(&gw, "ListDocuments", json!({})).await;
    assert_eq!(resp.status, 501);
    let b = body(&resp);
    assert_eq!(b["__type"], "NotImplemented");
    assert!(message(&b).contains("ssm:ListDocuments"), "{b}");
}

#[tokio::test]
async fn unknown_operation_of_a_json_service() {
    let gw = gateway();
    let resp = ssm(&gw, "NoSuchThing", json!({})).await;
    assert_eq!(resp.status, 400);
    assert_eq!(body(&resp)["__type"], "UnknownOperationException");
}

#[tokio::test]
async fn service_with_a_model_but_no_implementation() {
    let gw = gateway();
    let req = request(
        "POST",
        "/",
        &[
            ("x-amz-target", "DynamoDB_20120810.ListTables"),
            ("content-type", "application/x-amz-json-1.0"),
        ],
        "{}",
    );
    let resp = gw.handle(req, String::new()).await;
    assert_eq!(resp.status, 501);
    assert!(message(&body(&resp)).contains("dynamodb"));
}

#[tokio::test]
async fn query_protocol_errors_are_xml() {
    let gw = gateway();
    let req = request(
        "POST",
        "/",
        &[("content-type", "application/x-www-form-urlencoded")],
        "Action=NoSuchAction&Version=2011-06-15",
    );
    let resp = gw.handle(req, String::new()).await;
    assert_eq!(resp.status, 400);
    let text = String::from_utf8_lossy(&resp.body);
    assert!(text.contains("<ErrorResponse"), "{text}");
    assert!(text.contains("<Code>InvalidAction</Code>"), "{text}");
}

#[tokio::test]
async fn sts_get_caller_identity_over_query() {
    let gw = gateway();
    let req = request(
        "POST",
        "/",
        &[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        "Action=GetCallerIdentity&Version=2011-06-15",
    );
    let resp = gw.handle(req, String::new()).await;
    assert_eq!(resp.status, 200);
    let text = String::from_utf8_lossy(&resp.body);
    assert!(
        text.contains("<Arn>arn:aws:iam::000000000000:root</Arn>"),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_and_unaddressed_requests_get_well_formed_errors() {
    let gw = gateway();
    let signed_other = request(
        "GET",
        "/",
        &[(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AK/20240101/us-east-1/nosuchsvc/aws4_request, SignedHeaders=host, Signature=00",
        )],
        "",
    );
    let resp = gw.handle(signed_other, String::new()).await;
    assert_eq!(resp.status, 400);
    assert!(message(&body(&resp)).contains("nosuchsvc"));
    let plain = gw
        .handle(request("GET", "/favicon.ico", &[], ""), String::new())
        .await;
    assert_eq!(plain.status, 400);
    assert_eq!(body(&plain)["__type"], "UnknownServiceException");
}

#[tokio::test]
async fn health_lists_services() {
    let gw = gateway();
    let resp = gw
        .handle(request("GET", "/_lamina/health", &[], ""), String::new())
        .await;
    assert_eq!(resp.status, 200);
    let b = body(&resp);
    assert_eq!(b["status"], "running");
    assert_eq!(b["services"]["ssm"]["state"], "running");
    assert_eq!(b["services"]["lambda"]["state"], "not_implemented");
}

struct Echo;

impl lamina_wire::RawHandler for Echo {
    fn handle<'a>(
        &'a self,
        req: HttpRequest,
        ctx: lamina_wire::RawContext,
    ) -> lamina_core::BoxFuture<'a, HttpResponse> {
        Box::pin(async move {
            HttpResponse {
                status: 200,
                headers: vec![],
                body: Bytes::from(format!("{} {} {}", req.method, req.path, ctx.account_id)),
            }
        })
    }
}

#[tokio::test]
async fn raw_routes_by_path_prefix_and_host_suffix() {
    use lamina_gateway::RawRoute;
    let gw = gateway()
        .with_raw_route(
            RawRoute::PathPrefix("/_lamina/echo/".into()),
            Arc::new(Echo),
        )
        .with_raw_route(
            RawRoute::HostSuffix(".execute-api.localhost".into()),
            Arc::new(Echo),
        );
    let by_path = gw
        .handle(request("GET", "/_lamina/echo/x", &[], ""), String::new())
        .await;
    assert_eq!(by_path.status, 200);
    assert_eq!(&by_path.body[..], b"GET /_lamina/echo/x 000000000000");
    assert!(by_path.header("x-amzn-RequestId").is_some());
    let by_host = gw
        .handle(
            request(
                "POST",
                "/prod/items",
                &[("host", "abc123.execute-api.localhost:4566")],
                "{}",
            ),
            String::new(),
        )
        .await;
    assert_eq!(&by_host.body[..], b"POST /prod/items 000000000000");
    // health still wins, and other requests still reach the services
    let health = gw
        .handle(request("GET", "/_lamina/health", &[], ""), String::new())
        .await;
    assert_eq!(body(&health)["status"], "running");
    let other = ssm(&gw, "DescribeParameters", json!({})).await;
    assert_eq!(other.status, 200);
}
