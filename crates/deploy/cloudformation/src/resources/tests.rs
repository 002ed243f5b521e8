//! Providers against a recording caller: the calls they make are what an SDK would send.

use super::*;
use crate::engine::ResourceContext;
use lamina_bus::{CallContext, CallError, ServiceCaller};
use lamina_core::BoxFuture;
use std::sync::Mutex;

/// Records calls and answers with canned outputs per operation.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(String, String, Value)>>,
}

impl ServiceCaller for Recorder {
    fn call<'a>(
        &'a self,
        _: &'a CallContext,
        service: &'a str,
        operation: &'a str,
        input: Value,
    ) -> BoxFuture<'a, Result<Value, CallError>> {
        self.calls
            .lock()
            .unwrap()
            .push((service.into(), operation.into(), input.clone()));
        Box::pin(async move {
            Ok(match operation {
                "CreateQueue" => json!({ "QueueUrl": "http://localhost:4566/000000000000/q1" }),
                "GetQueueAttributes" => {
                    json!({ "Attributes": { "QueueArn": "arn:aws:sqs:us-east-1:000000000000:q1" } })
                }
                "GetFunctionConfiguration" => {
                    json!({ "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:f" })
                }
                "ImportRestApi" => json!({ "id": "abc123" }),
                "GetResources" => json!({ "items": [{ "id": "root1", "path": "/" }] }),
                "DescribeTable" => {
                    json!({ "Table": { "TableStatus": "ACTIVE", "TableArn": "arn:t", "LatestStreamArn": "arn:t/stream/1" } })
                }
                "DeleteQueue" => {
                    return Err(CallError {
                        code: "AWS.SimpleQueueService.NonExistentQueue".into(),
                        message: "gone".into(),
                        status: 400,
                    });
                }
                _ => json!({}),
            })
        })
    }
}

fn ctx(rec: Arc<Recorder>, kind: &str) -> ResourceContext {
    ResourceContext {
        caller: rec,
        call: CallContext {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            endpoint: "http://localhost:4566".into(),
        },
        stack_name: "stack".into(),
        stack_id: "arn:stack".into(),
        logical_id: "Res".into(),
        resource_type: kind.into(),
    }
}

fn calls(rec: &Recorder) -> Vec<(String, String, Value)> {
    rec.calls.lock().unwrap().clone()
}

#[tokio::test]
async fn queue_attributes_are_strings_and_ref_is_the_url() {
    let rec = Arc::new(Recorder::default());
    let reg = registry();
    let p = reg.provider("AWS::SQS::Queue").unwrap();
    let c = ctx(rec.clone(), "AWS::SQS::Queue");
    let props = json!({ "VisibilityTimeout": 60, "RedrivePolicy": { "deadLetterTargetArn": "arn:dlq", "maxReceiveCount": 3 } });
    let out = p.create(&c, &props).await.unwrap();
    assert_eq!(out.physical_id, "http://localhost:4566/000000000000/q1");
    assert_eq!(
        out.attributes["Arn"],
        "arn:aws:sqs:us-east-1:000000000000:q1"
    );
    assert_eq!(out.attributes["QueueName"], "q1");
    let (_, op, input) = &calls(&rec)[0];
    assert_eq!(op, "CreateQueue");
    assert_eq!(input["Attributes"]["VisibilityTimeout"], "60");
    let redrive: Value =
        serde_json::from_str(input["Attributes"]["RedrivePolicy"].as_str().unwrap()).unwrap();
    assert_eq!(redrive["maxReceiveCount"], 3);
    assert!(
        input["QueueName"]
            .as_str()
            .unwrap()
            .starts_with("stack-Res-")
    );
    // A queue that is already gone is deleted.
    p.delete(&c, &out.physical_id, &props).await.unwrap();
    assert!(p.requires_replacement(&json!({ "QueueName": "a" }), &json!({ "QueueName": "b" })));
    assert!(!p.requires_replacement(&json!({ "DelaySeconds": 1 }), &json!({ "DelaySeconds": 2 })));
}

#[tokio::test]
async fn inline_function_code_is_zipped_and_s3_is_refused() {
    let rec = Arc::new(Recorder::default());
    let reg = registry();
    let p = reg.provider("AWS::Lambda::Function").unwrap();
    let c = ctx(rec.clone(), "AWS::Lambda::Function");
    let props = json!({ "Runtime": "python3.12", "Handler": "index.handler", "Role": "arn:aws:iam::000000000000:role/r",
        "Code": { "ZipFile": "def handler(e, c):\n    return 1\n" }, "ReservedConcurrentExecutions": 2 });
    let out = p.create(&c, &props).await.unwrap();
    assert_eq!(
        out.attributes["Arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:f"
    );
    let all = calls(&rec);
    let create = &all[0].2;
    let zip = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        create["Code"]["ZipFile"].as_str().unwrap(),
    )
    .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    assert_eq!(archive.by_index(0).unwrap().name(), "index.py");
    assert_eq!(all[1].1, "PutFunctionConcurrency");
    let e = p
        .create(&c, &json!({ "Code": { "S3Bucket": "b", "S3Key": "k" } }))
        .await
        .unwrap_err();
    assert!(e.message.contains("S3"), "{}", e.message);
    // Packaged code passes through.
    let out = p.create(&c, &json!({ "FunctionName": "g", "Code": { "LaminaZipBase64": "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==" } })).await;
    assert!(out.is_ok());
    assert_eq!(calls(&rec).last().unwrap().2["FunctionName"], "g");
}

#[tokio::test]
async fn rest_api_body_is_imported_and_root_resource_returned() {
    let rec = Arc::new(Recorder::default());
    let reg = registry();
    let p = reg.provider("AWS::ApiGateway::RestApi").unwrap();
    let c = ctx(rec.clone(), "AWS::ApiGateway::RestApi");
    let body = json!({ "swagger": "2.0", "info": { "title": "t" }, "paths": {} });
    let out = p
        .create(&c, &json!({ "Body": body, "Name": "api" }))
        .await
        .unwrap();
    assert_eq!(out.physical_id, "abc123");
    assert_eq!(out.attributes["RootResourceId"], "root1");
    let all = calls(&rec);
    assert_eq!(all[0].1, "ImportRestApi");
    let sent = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        all[0].2["body"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&sent).unwrap(), body);
    assert_eq!(all[1].1, "UpdateRestApi");
    assert_eq!(all[1].2["patchOperations"][0]["path"], "/name");
}

#[tokio::test]
async fn table_stream_ttl_and_stage_method_settings() {
    let rec = Arc::new(Recorder::default());
    let reg = registry();
    let p = reg.provider("AWS::DynamoDB::Table").unwrap();
    let c = ctx(rec.clone(), "AWS::DynamoDB::Table");
    let props = json!({ "TableName": "t", "AttributeDefinitions": [], "KeySchema": [], "BillingMode": "PAY_PER_REQUEST",
        "StreamSpecification": { "StreamViewType": "NEW_IMAGE" }, "TimeToLiveSpecification": { "AttributeName": "exp", "Enabled": true } });
    let out = p.create(&c, &props).await.unwrap();
    assert_eq!(out.attributes["StreamArn"], "arn:t/stream/1");
    let all = calls(&rec);
    assert_eq!(
        all[0].2["StreamSpecification"],
        json!({ "StreamEnabled": true, "StreamViewType": "NEW_IMAGE" })
    );
    assert_eq!(all[1].1, "UpdateTimeToLive");
    assert!(p.requires_replacement(&props, &json!({ "KeySchema": [1] })));

    let rec = Arc::new(Recorder::default());
    let s = reg.provider("AWS::ApiGateway::Stage").unwrap();
    let c = ctx(rec.clone(), "AWS::ApiGateway::Stage");
    let props = json!({ "RestApiId": "a", "StageName": "Prod", "DeploymentId": "d",
        "MethodSettings": [{ "ResourcePath": "/*", "HttpMethod": "*", "ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 1 }] });
    assert_eq!(s.create(&c, &props).await.unwrap().physical_id, "Prod");
    let all = calls(&rec);
    assert_eq!(all[1].1, "UpdateStage");
    assert_eq!(
        all[1].2["patchOperations"][0],
        json!({ "op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2" })
    );
}

#[test]
fn every_type_the_sam_transform_writes_has_a_provider() {
    let types = supported_types();
    for t in [
        "AWS::Lambda::Function",
        "AWS::IAM::Role",
        "AWS::Lambda::Permission",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Stage",
        "AWS::ApiGateway::UsagePlan",
        "AWS::ApiGateway::ApiKey",
        "AWS::ApiGateway::UsagePlanKey",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::Lambda::EventSourceMapping",
        "AWS::SNS::Subscription",
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::DynamoDB::Table",
        "AWS::Lambda::LayerVersion",
        "AWS::Events::Rule",
    ] {
        assert!(types.contains(&t), "{t}");
    }
}
