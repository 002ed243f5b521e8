//! One test per resource type the transform writes (and its errors).

use super::*;

fn ctx() -> TransformContext {
    TransformContext {
        account_id: "000000000000".into(),
        region: "us-east-1".into(),
        stack_name: "s".into(),
        parameters: Map::new(),
        code_root: None,
    }
}

fn run(t: Value) -> Value {
    transform(t, &ctx()).unwrap()["Resources"].clone()
}

fn code() -> Value {
    json!({ PACKAGED_KEY: "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==" })
}

#[test]
fn function_gets_role_code_and_tags_with_globals_merged() {
    let r = run(json!({
        "Transform": SERVERLESS,
        "Globals": { "Function": { "Runtime": "python3.12", "Timeout": 9,
            "Environment": { "Variables": { "A": "1" } } } },
        "Resources": { "Fn": { "Type": "AWS::Serverless::Function", "Properties": {
            "CodeUri": code(), "Handler": "app.h", "Timeout": 3,
            "Environment": { "Variables": { "B": "2" } },
            "Policies": ["AmazonSQSFullAccess", { "DynamoDBCrudPolicy": { "TableName": { "Ref": "T" } } }],
        }}},
    }));
    let f = &r["Fn"];
    assert_eq!(f["Type"], "AWS::Lambda::Function");
    let p = &f["Properties"];
    assert_eq!(p["Runtime"], "python3.12");
    assert_eq!(p["Timeout"], 3);
    assert_eq!(p["Environment"]["Variables"], json!({ "A": "1", "B": "2" }));
    assert_eq!(p["Code"], code());
    assert_eq!(p["Role"], json!({ "Fn::GetAtt": ["FnRole", "Arn"] }));
    let role = &r["FnRole"]["Properties"];
    assert_eq!(r["FnRole"]["Type"], "AWS::IAM::Role");
    assert_eq!(role["ManagedPolicyArns"].as_array().unwrap().len(), 2);
    let stmt = &role["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert!(
        stmt["Action"]
            .as_array()
            .unwrap()
            .contains(&json!("dynamodb:PutItem"))
    );
}

#[test]
fn local_code_uri_and_unknown_things_fail_clearly() {
    let t = |props: Value| {
        json!({ "Transform": SERVERLESS, "Resources": {
        "Fn": { "Type": "AWS::Serverless::Function", "Properties": props } } })
    };
    let e = transform(
        t(json!({ "CodeUri": "./src", "Handler": "a.b", "Runtime": "python3.12" })),
        &ctx(),
    )
    .unwrap_err();
    assert!(e.contains("lamina deploy"), "{e}");
    let e = transform(
        t(json!({ "InlineCode": "x", "Policies": [{ "NoSuchPolicy": {} }] })),
        &ctx(),
    )
    .unwrap_err();
    assert!(e.contains("NoSuchPolicy"), "{e}");
    let e = transform(
        t(json!({ "InlineCode": "x", "Events": { "E": { "Type": "IoTRule" } } })),
        &ctx(),
    )
    .unwrap_err();
    assert!(e.contains("IoTRule"), "{e}");
    let e = transform(
        json!({ "Resources": { "M": { "Type": "AWS::Serverless::StateMachine" } } }),
        &ctx(),
    )
    .unwrap_err();
    assert!(e.contains("AWS::Serverless::StateMachine"), "{e}");
}

#[test]
fn api_event_makes_the_implicit_rest_api() {
    let r = run(json!({
        "Transform": SERVERLESS,
        "Resources": { "Fn": { "Type": "AWS::Serverless::Function", "Properties": {
            "InlineCode": "x", "Handler": "index.h", "Runtime": "python3.12",
            "Events": { "Get": { "Type": "Api", "Properties": { "Path": "/items/{id}", "Method": "get" } } },
        }}},
    }));
    let api = &r["ServerlessRestApi"];
    assert_eq!(api["Type"], "AWS::ApiGateway::RestApi");
    let op = &api["Properties"]["Body"]["paths"]["/items/{id}"]["get"];
    assert_eq!(op["x-amazon-apigateway-integration"]["type"], "aws_proxy");
    assert!(
        op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            .as_str()
            .unwrap()
            .contains("${Fn.Arn}")
    );
    assert_eq!(
        r["ServerlessRestApiProdStage"]["Properties"]["StageName"],
        "Prod"
    );
    let dep = r
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.starts_with("ServerlessRestApiDeployment"))
        .unwrap();
    assert_eq!(
        r["ServerlessRestApiProdStage"]["Properties"]["DeploymentId"],
        json!({ "Ref": dep })
    );
    let perm = &r["FnGetPermission"]["Properties"];
    assert_eq!(perm["Principal"], "apigateway.amazonaws.com");
    assert!(
        perm["SourceArn"]["Fn::Sub"][0]
            .as_str()
            .unwrap()
            .ends_with("/*/GET/items/*")
    );
    assert_eq!(r["Fn"]["Properties"]["Code"], json!({ "ZipFile": "x" }));
}

#[test]
fn explicit_api_with_authorizer_api_key_and_usage_plan() {
    let r = run(json!({
        "Transform": SERVERLESS,
        "Resources": {
            "Api": { "Type": "AWS::Serverless::Api", "Properties": {
                "StageName": "dev",
                "MethodSettings": [{ "ResourcePath": "/*", "HttpMethod": "*", "ThrottlingBurstLimit": 2 }],
                "Cors": "'*'",
                "Auth": {
                    "DefaultAuthorizer": "Tok",
                    "ApiKeyRequired": true,
                    "Authorizers": { "Tok": { "FunctionArn": { "Fn::GetAtt": ["AuthFn", "Arn"] } } },
                    "UsagePlan": { "CreateUsagePlan": "PER_API", "Throttle": { "RateLimit": 5 } },
                },
            }},
            "Fn": { "Type": "AWS::Serverless::Function", "Properties": {
                "InlineCode": "x", "Handler": "index.h", "Runtime": "python3.12",
                "Events": {
                    "Put": { "Type": "Api", "Properties": { "Path": "/items", "Method": "put", "RestApiId": { "Ref": "Api" } } },
                    "Open": { "Type": "Api", "Properties": { "Path": "/health", "Method": "get", "RestApiId": { "Ref": "Api" },
                        "Auth": { "Authorizer": "NONE", "ApiKeyRequired": false } } },
                },
            }},
        },
    }));
    let body = &r["Api"]["Properties"]["Body"];
    assert_eq!(
        body["paths"]["/items"]["put"]["security"],
        json!([{ "Tok": [], "api_key": [] }])
    );
    assert!(body["paths"]["/health"]["get"].get("security").is_none());
    assert!(
        body["paths"]["/items"]["options"]["x-amazon-apigateway-integration"]["type"] == "mock"
    );
    let tok = &body["securityDefinitions"]["Tok"];
    assert_eq!(tok["x-amazon-apigateway-authorizer"]["type"], "token");
    assert_eq!(tok["name"], "Authorization");
    assert_eq!(body["securityDefinitions"]["api_key"]["name"], "x-api-key");
    assert_eq!(
        r["ApiTokAuthorizerPermission"]["Type"],
        "AWS::Lambda::Permission"
    );
    assert_eq!(
        r["ApidevStage"]["Properties"]["MethodSettings"][0]["ThrottlingBurstLimit"],
        2
    );
    assert_eq!(
        r["ApiUsagePlan"]["Properties"]["ApiStages"][0]["Stage"],
        json!({ "Ref": "ApidevStage" })
    );
    assert_eq!(r["ApiApiKey"]["DependsOn"], json!(["ApiUsagePlan"]));
    assert_eq!(
        r["ApiUsagePlanKey"]["Properties"]["KeyId"],
        json!({ "Ref": "ApiApiKey" })
    );
    assert!(!r.as_object().unwrap().contains_key("ServerlessRestApi"));
    // An undefined authorizer is an error.
    let mut t = json!({ "Resources": { "A": { "Type": "AWS::Serverless::Api", "Properties": { "StageName": "x", "Auth": { "DefaultAuthorizer": "Nope" } } },
        "F": { "Type": "AWS::Serverless::Function", "Properties": { "InlineCode": "x",
            "Events": { "E": { "Type": "Api", "Properties": { "Path": "/", "Method": "get", "RestApiId": { "Ref": "A" } } } } } } } });
    assert!(transform(t.take(), &ctx()).unwrap_err().contains("Nope"));
}

#[test]
fn deployment_id_changes_with_the_body() {
    let t = |path: &str| {
        json!({ "Resources": { "Fn": { "Type": "AWS::Serverless::Function", "Properties": {
        "InlineCode": "x", "Events": { "E": { "Type": "Api", "Properties": { "Path": path, "Method": "any" } } } } } } })
    };
    let dep = |r: &Value| {
        r.as_object()
            .unwrap()
            .keys()
            .find(|k| k.contains("Deployment"))
            .cloned()
            .unwrap()
    };
    let a = run(t("/a"));
    assert_eq!(dep(&a), dep(&run(t("/a"))));
    assert_ne!(dep(&a), dep(&run(t("/b"))));
    assert!(a["ServerlessRestApi"]["Properties"]["Body"]["paths"]["/a"]["x-amazon-apigateway-any-method"].is_object());
}

#[test]
fn http_api_event_makes_the_implicit_http_api() {
    let r = run(
        json!({ "Resources": { "Fn": { "Type": "AWS::Serverless::Function", "Properties": {
        "InlineCode": "x", "Events": { "H": { "Type": "HttpApi" } } } } } }),
    );
    assert_eq!(r["ServerlessHttpApi"]["Type"], "AWS::ApiGatewayV2::Api");
    let op = &r["ServerlessHttpApi"]["Properties"]["Body"]["paths"]["$default"]["x-amazon-apigateway-any-method"];
    assert_eq!(
        op["x-amazon-apigateway-integration"]["payloadFormatVersion"],
        "2.0"
    );
    assert_eq!(
        r["ServerlessHttpApiApiGatewayDefaultStage"]["Properties"]["AutoDeploy"],
        true
    );
    assert_eq!(r["FnHPermission"]["Type"], "AWS::Lambda::Permission");
}

#[test]
fn queue_topic_stream_and_schedule_events() {
    let r = run(
        json!({ "Resources": { "Fn": { "Type": "AWS::Serverless::Function", "Properties": {
        "InlineCode": "x",
        "Events": {
            "Q": { "Type": "SQS", "Properties": { "Queue": { "Fn::GetAtt": ["Q", "Arn"] }, "BatchSize": 5 } },
            "T": { "Type": "SNS", "Properties": { "Topic": { "Ref": "T" } } },
            "D": { "Type": "DynamoDB", "Properties": { "Stream": "arn:s", "StartingPosition": "LATEST" } },
            "S": { "Type": "Schedule", "Properties": { "Schedule": "rate(5 minutes)" } },
        } } } } }),
    );
    assert_eq!(r["FnQ"]["Type"], "AWS::Lambda::EventSourceMapping");
    assert_eq!(r["FnQ"]["Properties"]["BatchSize"], 5);
    assert_eq!(r["FnT"]["Type"], "AWS::SNS::Subscription");
    assert_eq!(
        r["FnT"]["Properties"]["Endpoint"],
        json!({ "Fn::GetAtt": ["Fn", "Arn"] })
    );
    assert_eq!(
        r["FnTPermission"]["Properties"]["Principal"],
        "sns.amazonaws.com"
    );
    assert_eq!(r["FnD"]["Properties"]["StartingPosition"], "LATEST");
    assert_eq!(r["FnS"]["Type"], "AWS::Events::Rule");
    let e = transform(
        json!({ "Resources": { "Fn": { "Type": "AWS::Serverless::Function", "Properties": {
        "InlineCode": "x", "Events": { "S": { "Type": "Schedule", "Properties": { "Schedule": "every 5 min" } } } } } } }),
        &ctx(),
    );
    assert!(e.unwrap_err().contains("rate(...)"));
}

#[test]
fn auto_publish_alias_dlq_and_event_invoke_config() {
    let mut c = ctx();
    c.parameters.insert("Alias".into(), json!("live"));
    let r = transform(json!({ "Resources": { "Fn": { "Type": "AWS::Serverless::Function", "Properties": {
        "InlineCode": "x", "AutoPublishAlias": { "Ref": "Alias" },
        "DeadLetterQueue": { "Type": "SQS", "TargetArn": "arn:q" },
        "EventInvokeConfig": { "MaximumRetryAttempts": 1, "DestinationConfig": { "OnFailure": { "Type": "SQS", "Destination": "arn:q" } } },
        "Events": { "Q": { "Type": "SQS", "Properties": { "Queue": "arn:q" } } },
    } } } }), &c).unwrap()["Resources"].clone();
    let version = r
        .as_object()
        .unwrap()
        .keys()
        .find(|k| k.starts_with("FnVersion"))
        .cloned()
        .unwrap();
    assert_eq!(r[&version]["DeletionPolicy"], "Retain");
    assert_eq!(
        r["FnAliaslive"]["Properties"]["FunctionVersion"],
        json!({ "Fn::GetAtt": [version, "Version"] })
    );
    assert_eq!(
        r["FnQ"]["Properties"]["FunctionName"],
        json!({ "Ref": "FnAliaslive" })
    );
    assert_eq!(
        r["Fn"]["Properties"]["DeadLetterConfig"]["TargetArn"],
        "arn:q"
    );
    assert_eq!(r["FnEventInvokeConfig"]["Properties"]["Qualifier"], "live");
    assert_eq!(
        r["FnEventInvokeConfig"]["Properties"]["DestinationConfig"]["OnFailure"]["Destination"],
        "arn:q"
    );
}

#[test]
fn simple_table_and_layer() {
    let r = run(json!({ "Transform": [SERVERLESS], "Resources": {
        "T": { "Type": "AWS::Serverless::SimpleTable", "Properties": { "PrimaryKey": { "Name": "pk", "Type": "Number" } } },
        "D": { "Type": "AWS::Serverless::SimpleTable" },
        "L": { "Type": "AWS::Serverless::LayerVersion", "Properties": { "ContentUri": code() } },
        "Q": { "Type": "AWS::SQS::Queue" },
    } }));
    assert_eq!(r["T"]["Properties"]["KeySchema"][0]["AttributeName"], "pk");
    assert_eq!(
        r["T"]["Properties"]["AttributeDefinitions"][0]["AttributeType"],
        "N"
    );
    assert_eq!(r["T"]["Properties"]["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(r["D"]["Properties"]["KeySchema"][0]["AttributeName"], "id");
    assert_eq!(r["L"]["Type"], "AWS::Lambda::LayerVersion");
    assert_eq!(r["L"]["DeletionPolicy"], "Retain");
    assert_eq!(r["L"]["Properties"]["Content"], code());
    assert_eq!(r["Q"], json!({ "Type": "AWS::SQS::Queue" }));
}

#[test]
fn transform_key_and_globals_are_removed() {
    let t = transform(json!({ "Transform": SERVERLESS, "Globals": {}, "Resources": {}, "Outputs": { "O": { "Value": { "Fn::Sub": "${ServerlessRestApi}" } } } }), &ctx()).unwrap();
    assert!(t.get("Transform").is_none());
    assert!(t.get("Globals").is_none());
    assert!(t.get("Outputs").is_some());
    assert!(
        transform(
            json!({ "Globals": { "Bogus": {} }, "Resources": {} }),
            &ctx()
        )
        .unwrap_err()
        .contains("Bogus")
    );
}

#[test]
fn local_code_uri_is_zipped_from_the_code_root() {
    use base64::Engine as _;
    let root = std::env::temp_dir().join(format!("lamina-cfn-root-{}", crate::engine::run::uuid()));
    std::fs::create_dir_all(root.join("src/fn/pkg")).unwrap();
    std::fs::write(root.join("src/fn/app.py"), "def h(e, c):\n    return 1\n").unwrap();
    std::fs::write(root.join("src/fn/pkg/m.py"), "X = 1\n").unwrap();
    std::fs::write(root.join("layer.zip"), b"PK\x05\x06not-really").unwrap();
    let c = TransformContext {
        code_root: Some(root.clone()),
        ..ctx()
    };
    let template = |uri: &str| {
        json!({ "Resources": {
            "F": { "Type": "AWS::Serverless::Function",
                   "Properties": { "CodeUri": uri, "Handler": "app.h", "Runtime": "python3.12" } },
            "L": { "Type": "AWS::Serverless::LayerVersion", "Properties": { "ContentUri": "layer.zip" } },
        } })
    };
    let r = transform(template("src/fn/"), &c).unwrap()["Resources"].clone();
    let b64 = r["F"]["Properties"]["Code"][PACKAGED_KEY].as_str().unwrap();
    let zip = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let mut names: Vec<String> = zip::ZipArchive::new(std::io::Cursor::new(zip))
        .unwrap()
        .file_names()
        .map(String::from)
        .collect();
    names.sort();
    assert_eq!(names, ["app.py", "pkg/m.py"]);
    // A zip is taken as it is.
    let layer = r["L"]["Properties"]["Content"][PACKAGED_KEY]
        .as_str()
        .unwrap();
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(layer)
            .unwrap(),
        b"PK\x05\x06not-really"
    );

    // A missing folder: SAM's complaint, then where Lamina looked.
    let e = transform(template("src/nope/"), &c).unwrap_err();
    assert!(
        e.starts_with(
            "Invalid Serverless Application Specification document. Number of errors found: 1. \
             Resource with id [F] is invalid. 'CodeUri' is not a valid S3 Uri of the form \
             's3://bucket/key' with optional versionId query parameter, and Lamina cannot read \
             it from its code root"
        ),
        "{e}"
    );
    let looked = root.join("src/nope/");
    assert!(
        e.contains(&format!(
            "'src/nope/' does not exist (looked for {})",
            looked.display()
        )),
        "{e}"
    );
    // Paths that leave the root are never read.
    for bad in ["../outside", "src/../../outside", "/etc/hostname"] {
        let e = transform(template(bad), &c).unwrap_err();
        assert!(e.contains("Resource with id [F] is invalid"), "{e}");
        assert!(!e.contains("does not exist"), "{bad}: {e}");
    }
    // Without a code root the path is refused as before.
    let e = transform(template("src/fn/"), &ctx()).unwrap_err();
    assert!(e.contains("only a client can read"), "{e}");
    std::fs::remove_dir_all(&root).unwrap();
}
