//! Operation tests against the in-memory store: what a client sees for every operation and
//! error of the control plane, and Invoke's DryRun/Event paths.

use crate::code::make_zip;
use crate::{Lambda, LambdaConfig};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use lamina_core::{AwsError, Input, RequestContext};
use serde_json::{Value, json};
use std::sync::Arc;

pub(crate) const ACCOUNT: &str = "123456789012";
pub(crate) const REGION: &str = "us-east-1";
pub(crate) const ROLE: &str = "arn:aws:iam::123456789012:role/lambda-role";

pub(crate) struct T {
    pub lambda: Arc<Lambda>,
    _tmp: tempfile::TempDir,
}

pub(crate) fn ctx() -> RequestContext {
    RequestContext {
        request_id: lamina_core::new_request_id(),
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        access_key_id: "test".into(),
        endpoint: "http://127.0.0.1:4566".into(),
    }
}

pub(crate) fn setup() -> T {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = LambdaConfig::new(tmp.path().to_path_buf(), "http://127.0.0.1:4566".into());
    let lambda = Lambda::new(
        lamina_storage_memory::MemoryStore::new(),
        config,
        Arc::new(lamina_bus::NullLogSink),
    );
    T { lambda, _tmp: tmp }
}

impl T {
    pub async fn call_raw(
        &self,
        op: &str,
        value: Value,
        payload: Option<Bytes>,
    ) -> Result<lamina_core::Output, AwsError> {
        super::call(&self.lambda, &ctx(), op, Input { value, payload })
            .await
            .map_err(AwsError::from)
    }

    pub async fn call(&self, op: &str, value: Value) -> Result<Value, AwsError> {
        self.call_raw(op, value, None).await.map(|o| o.value)
    }

    pub async fn ok(&self, op: &str, value: Value) -> Value {
        self.call(op, value)
            .await
            .unwrap_or_else(|e| panic!("{op}: {e}"))
    }

    /// The error code (shape) and message.
    pub async fn err(&self, op: &str, value: Value) -> (String, String) {
        match self.call(op, value).await {
            Ok(v) => panic!("{op} succeeded: {v}"),
            Err(e) => (e.code.shape.to_string(), e.message),
        }
    }

    pub async fn create(&self, name: &str) -> Value {
        self.ok("CreateFunction", create_input(name)).await
    }
}

pub(crate) fn zip_b64(body: &str) -> String {
    B64.encode(make_zip(&[("index.py", body.as_bytes(), 0o644)]))
}

pub(crate) fn create_input(name: &str) -> Value {
    json!({
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": ROLE,
        "Handler": "index.handler",
        "Code": { "ZipFile": zip_b64("def handler(e, c):\n    return e\n") },
    })
}

fn arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

#[tokio::test]
async fn create_answers_pending_and_reads_are_active() {
    let t = setup();
    let mut input = create_input("f1");
    input["Environment"] = json!({ "Variables": { "A": "1" } });
    input["Description"] = json!("first");
    let c = t.ok("CreateFunction", input).await;
    assert_eq!(c["State"], "Pending");
    assert_eq!(c["StateReasonCode"], "Creating");
    assert_eq!(c["FunctionArn"], arn("f1"));
    assert_eq!(c["Version"], "$LATEST");
    assert_eq!(c["MemorySize"], 128);
    assert_eq!(c["Timeout"], 3);
    assert_eq!(c["PackageType"], "Zip");
    assert_eq!(c["Architectures"], json!(["x86_64"]));
    assert_eq!(c["Environment"]["Variables"]["A"], "1");
    assert_eq!(c["Description"], "first");
    let zip = B64
        .decode(zip_b64("def handler(e, c):\n    return e\n"))
        .unwrap();
    use sha2::Digest;
    assert_eq!(c["CodeSha256"], B64.encode(sha2::Sha256::digest(&zip)));
    assert_eq!(c["CodeSize"], zip.len());
    let lm = c["LastModified"].as_str().unwrap();
    assert!(lm.ends_with("+0000") && lm.len() == 28, "{lm}");

    let g = t.ok("GetFunction", json!({ "FunctionName": "f1" })).await;
    assert_eq!(g["Configuration"]["State"], "Active");
    assert_eq!(g["Configuration"]["LastUpdateStatus"], "Successful");
    assert_eq!(g["Configuration"]["RevisionId"], c["RevisionId"]);
    assert_eq!(g["Code"]["RepositoryType"], "S3");
    assert!(
        g["Code"]["Location"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:4566/")
    );

    let (code, msg) = t.err("CreateFunction", create_input("f1")).await;
    assert_eq!(code, "ResourceConflictException");
    assert_eq!(msg, "Function already exist: f1");
}

#[tokio::test]
async fn create_rejects_bad_configuration_with_awss_messages() {
    let t = setup();
    let with = |k: &str, v: Value| {
        let mut i = create_input("bad");
        i[k] = v;
        i
    };
    let (code, msg) = t
        .err("CreateFunction", with("Role", json!("not-a-role")))
        .await;
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with(
            "1 validation error detected: Value 'not-a-role' at 'role' failed to satisfy constraint"
        ),
        "{msg}"
    );
    let (code, msg) = t
        .err("CreateFunction", with("MemorySize", json!(20000)))
        .await;
    assert_eq!(code, "ValidationException");
    assert!(
        msg.ends_with("Member must have value less than or equal to 10240"),
        "{msg}"
    );
    let (_, msg) = t.err("CreateFunction", with("Timeout", json!(901))).await;
    assert!(
        msg.ends_with("Member must have value less than or equal to 900"),
        "{msg}"
    );
    let (code, msg) = t
        .err(
            "CreateFunction",
            with(
                "Environment",
                json!({ "Variables": { "AWS_REGION": "x", "B": "y" } }),
            ),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert!(
        msg.ends_with("Reserved keys used in this request: AWS_REGION"),
        "{msg}"
    );
    let big = "x".repeat(5000);
    let (code, msg) = t
        .err(
            "CreateFunction",
            with("Environment", json!({ "Variables": { "BIG": big } })),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert!(
        msg.contains("exceeded the 4KB limit. String measured: {\"BIG\":\"xxx"),
        "{msg}"
    );
    let (code, _) = t
        .err("CreateFunction", with("PackageType", json!("Image")))
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    let (code, msg) = t
        .err(
            "CreateFunction",
            with("Code", json!({ "S3Bucket": "b", "S3Key": "k" })),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert!(msg.contains("NoSuchBucket"), "{msg}");
    let (code, msg) = t
        .err(
            "CreateFunction",
            with("Code", json!({ "ZipFile": B64.encode(b"not a zip") })),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert_eq!(
        msg,
        "Could not unzip uploaded file. Please check your file, then try to upload again."
    );
    let (code, _) = t
        .err(
            "CreateFunction",
            with(
                "Layers",
                json!([format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:nope:1")]),
            ),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    let mut no_runtime = create_input("bad");
    no_runtime.as_object_mut().unwrap().remove("Runtime");
    let (_, msg) = t.err("CreateFunction", no_runtime).await;
    assert_eq!(
        msg,
        "Runtime and Handler are mandatory parameters for functions created with deployment packages."
    );
    // nothing was created along the way
    let l = t.ok("ListFunctions", json!({})).await;
    assert_eq!(l["Functions"], json!([]));
}

#[tokio::test]
async fn updates_change_code_configuration_and_revision() {
    let t = setup();
    let c = t.create("f").await;
    let rev = c["RevisionId"].as_str().unwrap().to_string();
    let (code, msg) = t
        .err(
            "UpdateFunctionCode",
            json!({ "FunctionName": "f", "ZipFile": zip_b64("x = 2"), "RevisionId": "wrong" }),
        )
        .await;
    assert_eq!(code, "PreconditionFailedException");
    assert!(msg.starts_with("The Revision Id provided does not match the latest Revision Id."));
    let u = t
        .ok(
            "UpdateFunctionCode",
            json!({ "FunctionName": "f", "ZipFile": zip_b64("x = 2"), "RevisionId": rev }),
        )
        .await;
    assert_eq!(u["LastUpdateStatus"], "InProgress");
    assert_ne!(u["CodeSha256"], c["CodeSha256"]);
    assert_ne!(u["RevisionId"], c["RevisionId"]);
    let u2 = t
        .ok(
            "UpdateFunctionConfiguration",
            json!({ "FunctionName": "f", "MemorySize": 512, "Timeout": 30, "Environment": { "Variables": { "K": "V" } },
                    "Handler": "index.other", "TracingConfig": { "Mode": "Active" }, "EphemeralStorage": { "Size": 1024 } }),
        )
        .await;
    assert_eq!(u2["MemorySize"], 512);
    assert_eq!(u2["CodeSha256"], u["CodeSha256"]);
    let g = t
        .ok("GetFunctionConfiguration", json!({ "FunctionName": "f" }))
        .await;
    assert_eq!(g["Timeout"], 30);
    assert_eq!(g["Handler"], "index.other");
    assert_eq!(g["TracingConfig"]["Mode"], "Active");
    assert_eq!(g["EphemeralStorage"]["Size"], 1024);
    assert_eq!(g["Environment"]["Variables"]["K"], "V");
    assert_eq!(g["LastUpdateStatus"], "Successful");
    let (code, _) = t
        .err(
            "UpdateFunctionConfiguration",
            json!({ "FunctionName": "f", "Timeout": 0 }),
        )
        .await;
    assert_eq!(code, "ValidationException");
    let (code, msg) = t
        .err(
            "UpdateFunctionConfiguration",
            json!({ "FunctionName": "nope", "Timeout": 5 }),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, format!("Function not found: {}", arn("nope")));
}

#[tokio::test]
async fn listing_pages_and_includes_versions_with_all() {
    let t = setup();
    for n in ["a", "b", "c"] {
        t.create(n).await;
    }
    t.ok("PublishVersion", json!({ "FunctionName": "b" })).await;
    let p1 = t.ok("ListFunctions", json!({ "MaxItems": 2 })).await;
    let names: Vec<&str> = p1["Functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["FunctionName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    let p2 = t
        .ok(
            "ListFunctions",
            json!({ "MaxItems": 2, "Marker": p1["NextMarker"] }),
        )
        .await;
    assert_eq!(p2["Functions"].as_array().unwrap().len(), 1);
    assert!(p2.get("NextMarker").is_none());
    let all = t
        .ok("ListFunctions", json!({ "FunctionVersion": "ALL" }))
        .await;
    let arns: Vec<&str> = all["Functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["FunctionArn"].as_str().unwrap())
        .collect();
    assert_eq!(
        arns,
        [arn("a"), arn("b"), format!("{}:1", arn("b")), arn("c")]
    );
}

#[tokio::test]
async fn versions_are_published_once_per_change() {
    let t = setup();
    t.create("f").await;
    let v1 = t
        .ok(
            "PublishVersion",
            json!({ "FunctionName": "f", "Description": "one" }),
        )
        .await;
    assert_eq!(v1["Version"], "1");
    assert_eq!(v1["Description"], "one");
    assert_eq!(v1["FunctionArn"], format!("{}:1", arn("f")));
    let again = t.ok("PublishVersion", json!({ "FunctionName": "f" })).await;
    assert_eq!(again["Version"], "1");
    assert_eq!(again["RevisionId"], v1["RevisionId"]);
    let (code, msg) = t
        .err(
            "PublishVersion",
            json!({ "FunctionName": "f", "CodeSha256": "abc" }),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert!(
        msg.starts_with("CodeSHA256 (abc) is different from current CodeSHA256 in $LATEST"),
        "{msg}"
    );
    t.ok(
        "UpdateFunctionConfiguration",
        json!({ "FunctionName": "f", "MemorySize": 256 }),
    )
    .await;
    let v2 = t.ok("PublishVersion", json!({ "FunctionName": "f" })).await;
    assert_eq!(v2["Version"], "2");
    let l = t
        .ok("ListVersionsByFunction", json!({ "FunctionName": "f" }))
        .await;
    let vs: Vec<&str> = l["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Version"].as_str().unwrap())
        .collect();
    assert_eq!(vs, ["$LATEST", "1", "2"]);
    // published versions keep their configuration
    let c1 = t
        .ok(
            "GetFunctionConfiguration",
            json!({ "FunctionName": "f", "Qualifier": "1" }),
        )
        .await;
    assert_eq!(c1["MemorySize"], 128);
    // Publish=true on create and on code update
    let mut i = create_input("g");
    i["Publish"] = json!(true);
    let g = t.ok("CreateFunction", i).await;
    assert_eq!(g["Version"], "1");
    let u = t
        .ok(
            "UpdateFunctionCode",
            json!({ "FunctionName": "g", "ZipFile": zip_b64("y = 1"), "Publish": true }),
        )
        .await;
    assert_eq!(u["Version"], "2");
}

#[tokio::test]
async fn qualifiers_resolve_in_every_form() {
    let t = setup();
    t.create("f").await;
    t.ok("PublishVersion", json!({ "FunctionName": "f" })).await;
    t.ok(
        "CreateAlias",
        json!({ "FunctionName": "f", "Name": "live", "FunctionVersion": "1" }),
    )
    .await;
    for (name, q) in [
        ("f:1".to_string(), None),
        (format!("{}:1", arn("f")), None),
        (format!("{ACCOUNT}:function:f:1"), None),
        ("f".to_string(), Some("1")),
        ("f:live".to_string(), None),
    ] {
        let mut i = json!({ "FunctionName": name });
        if let Some(q) = q {
            i["Qualifier"] = json!(q);
        }
        let c = t.ok("GetFunctionConfiguration", i).await;
        assert_eq!(c["Version"], "1", "{name}");
    }
    let (code, msg) = t
        .err(
            "GetFunction",
            json!({ "FunctionName": "f:1", "Qualifier": "2" }),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert_eq!(
        msg,
        "The derived qualifier from the function name does not match the specified qualifier."
    );
    let (code, msg) = t
        .err(
            "GetFunction",
            json!({ "FunctionName": "f", "Qualifier": "7" }),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, format!("Function not found: {}:7", arn("f")));
    let (code, _) = t
        .err(
            "GetFunction",
            json!({ "FunctionName": "f", "Qualifier": "nosuchalias" }),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = t
        .err(
            "GetFunction",
            json!({ "FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:f" }),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    let (code, _) = t
        .err("GetFunction", json!({ "FunctionName": "a:b:c:d:e" }))
        .await;
    assert_eq!(code, "ValidationException");
}

#[tokio::test]
async fn aliases_with_routing() {
    let t = setup();
    t.create("f").await;
    t.ok("PublishVersion", json!({ "FunctionName": "f" })).await;
    t.ok(
        "UpdateFunctionConfiguration",
        json!({ "FunctionName": "f", "MemorySize": 256 }),
    )
    .await;
    t.ok("PublishVersion", json!({ "FunctionName": "f" })).await;
    let a = t
        .ok(
            "CreateAlias",
            json!({ "FunctionName": "f", "Name": "live", "FunctionVersion": "1", "Description": "d",
                    "RoutingConfig": { "AdditionalVersionWeights": { "2": 0.25 } } }),
        )
        .await;
    assert_eq!(a["AliasArn"], format!("{}:live", arn("f")));
    assert_eq!(a["RoutingConfig"]["AdditionalVersionWeights"]["2"], 0.25);
    let (code, msg) = t
        .err(
            "CreateAlias",
            json!({ "FunctionName": "f", "Name": "live", "FunctionVersion": "1" }),
        )
        .await;
    assert_eq!(code, "ResourceConflictException");
    assert_eq!(msg, format!("Alias already exists: {}:live", arn("f")));
    let (code, _) = t
        .err(
            "CreateAlias",
            json!({ "FunctionName": "f", "Name": "x", "FunctionVersion": "9" }),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = t
        .err("CreateAlias", json!({ "FunctionName": "f", "Name": "x", "FunctionVersion": "1",
                                    "RoutingConfig": { "AdditionalVersionWeights": { "2": 1.5 } } }))
        .await;
    assert_eq!(code, "ValidationException");
    let (code, _) = t
        .err("CreateAlias", json!({ "FunctionName": "f", "Name": "x", "FunctionVersion": "1",
                                    "RoutingConfig": { "AdditionalVersionWeights": { "1": 0.5 } } }))
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    let (code, _) = t
        .err(
            "CreateAlias",
            json!({ "FunctionName": "f", "Name": "123", "FunctionVersion": "1" }),
        )
        .await;
    assert_eq!(code, "ValidationException");
    let (code, _) =
        t.err("UpdateAlias", json!({ "FunctionName": "f", "Name": "live", "FunctionVersion": "2", "RevisionId": "x" })).await;
    assert_eq!(code, "PreconditionFailedException");
    let u = t
        .ok(
            "UpdateAlias",
            json!({ "FunctionName": "f", "Name": "live", "FunctionVersion": "2",
                                   "RoutingConfig": { "AdditionalVersionWeights": {} } }),
        )
        .await;
    assert_eq!(u["FunctionVersion"], "2");
    assert!(u.get("RoutingConfig").is_none());
    assert_ne!(u["RevisionId"], a["RevisionId"]);
    t.ok(
        "CreateAlias",
        json!({ "FunctionName": "f", "Name": "dev", "FunctionVersion": "$LATEST" }),
    )
    .await;
    let l = t.ok("ListAliases", json!({ "FunctionName": "f" })).await;
    assert_eq!(l["Aliases"].as_array().unwrap().len(), 2);
    let l = t
        .ok(
            "ListAliases",
            json!({ "FunctionName": "f", "FunctionVersion": "2" }),
        )
        .await;
    assert_eq!(l["Aliases"][0]["Name"], "live");
    // a version an alias points at cannot be deleted
    let (code, msg) = t
        .err(
            "DeleteFunction",
            json!({ "FunctionName": "f", "Qualifier": "2" }),
        )
        .await;
    assert_eq!(code, "ResourceConflictException");
    assert!(msg.contains("[live]"), "{msg}");
    t.ok(
        "DeleteAlias",
        json!({ "FunctionName": "f", "Name": "live" }),
    )
    .await;
    let (code, msg) = t
        .err("GetAlias", json!({ "FunctionName": "f", "Name": "live" }))
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, format!("Cannot find alias arn: {}:live", arn("f")));
    t.ok(
        "DeleteFunction",
        json!({ "FunctionName": "f", "Qualifier": "2" }),
    )
    .await;
    let (code, _) = t.err("GetFunction", json!({ "FunctionName": "f:2" })).await;
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn delete_function_removes_everything() {
    let t = setup();
    t.create("f").await;
    t.ok("PublishVersion", json!({ "FunctionName": "f" })).await;
    t.ok(
        "CreateAlias",
        json!({ "FunctionName": "f", "Name": "a", "FunctionVersion": "1" }),
    )
    .await;
    let (code, _) = t
        .err(
            "DeleteFunction",
            json!({ "FunctionName": "f", "Qualifier": "$LATEST" }),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    t.ok("DeleteFunction", json!({ "FunctionName": "f" })).await;
    let (code, msg) = t.err("GetFunction", json!({ "FunctionName": "f" })).await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, format!("Function not found: {}", arn("f")));
    // a new function of the same name starts fresh
    t.create("f").await;
    let l = t
        .ok("ListVersionsByFunction", json!({ "FunctionName": "f" }))
        .await;
    assert_eq!(l["Versions"].as_array().unwrap().len(), 1);
    let l = t.ok("ListAliases", json!({ "FunctionName": "f" })).await;
    assert_eq!(l["Aliases"], json!([]));
}

#[tokio::test]
async fn concurrency_and_account_settings() {
    let t = setup();
    t.create("f").await;
    t.create("g").await;
    let s = t.ok("GetAccountSettings", json!({})).await;
    assert_eq!(s["AccountLimit"]["ConcurrentExecutions"], 1000);
    assert_eq!(s["AccountLimit"]["UnreservedConcurrentExecutions"], 1000);
    assert_eq!(s["AccountUsage"]["FunctionCount"], 2);
    assert!(s["AccountUsage"]["TotalCodeSize"].as_u64().unwrap() > 0);
    assert_eq!(
        t.ok("GetFunctionConcurrency", json!({ "FunctionName": "f" }))
            .await,
        json!({})
    );
    let p = t
        .ok(
            "PutFunctionConcurrency",
            json!({ "FunctionName": "f", "ReservedConcurrentExecutions": 800 }),
        )
        .await;
    assert_eq!(p["ReservedConcurrentExecutions"], 800);
    let (code, msg) = t
        .err(
            "PutFunctionConcurrency",
            json!({ "FunctionName": "g", "ReservedConcurrentExecutions": 101 }),
        )
        .await;
    assert_eq!(code, "InvalidParameterValueException");
    assert_eq!(
        msg,
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution \
         below its minimum value of [100]."
    );
    t.ok(
        "PutFunctionConcurrency",
        json!({ "FunctionName": "g", "ReservedConcurrentExecutions": 100 }),
    )
    .await;
    let s = t.ok("GetAccountSettings", json!({})).await;
    assert_eq!(s["AccountLimit"]["UnreservedConcurrentExecutions"], 100);
    let g = t.ok("GetFunction", json!({ "FunctionName": "f" })).await;
    assert_eq!(g["Concurrency"]["ReservedConcurrentExecutions"], 800);
    t.ok("DeleteFunctionConcurrency", json!({ "FunctionName": "f" }))
        .await;
    assert_eq!(
        t.ok("GetFunctionConcurrency", json!({ "FunctionName": "f" }))
            .await,
        json!({})
    );
}

#[tokio::test]
async fn permissions_render_as_aws_does() {
    let t = setup();
    t.create("f").await;
    let (code, msg) = t.err("GetPolicy", json!({ "FunctionName": "f" })).await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, "The resource you requested does not exist.");
    let a = t
        .ok(
            "AddPermission",
            json!({ "FunctionName": "f", "StatementId": "s3", "Action": "lambda:InvokeFunction",
                    "Principal": "s3.amazonaws.com", "SourceArn": "arn:aws:s3:::bucket", "SourceAccount": ACCOUNT }),
        )
        .await;
    let st: Value = serde_json::from_str(a["Statement"].as_str().unwrap()).unwrap();
    assert_eq!(
        st,
        json!({ "Sid": "s3", "Effect": "Allow", "Principal": { "Service": "s3.amazonaws.com" },
                "Action": "lambda:InvokeFunction", "Resource": arn("f"),
                "Condition": { "StringEquals": { "AWS:SourceAccount": ACCOUNT },
                               "ArnLike": { "AWS:SourceArn": "arn:aws:s3:::bucket" } } })
    );
    let (code, msg) = t
        .err("AddPermission", json!({ "FunctionName": "f", "StatementId": "s3", "Action": "lambda:InvokeFunction", "Principal": "*" }))
        .await;
    assert_eq!(code, "ResourceConflictException");
    assert!(
        msg.starts_with("The statement id (s3) provided already exists."),
        "{msg}"
    );
    t.ok("AddPermission", json!({ "FunctionName": "f", "StatementId": "acct", "Action": "lambda:GetFunction", "Principal": "210987654321" }))
        .await;
    let p = t.ok("GetPolicy", json!({ "FunctionName": "f" })).await;
    let doc: Value = serde_json::from_str(p["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(doc["Version"], "2012-10-17");
    assert_eq!(doc["Id"], "default");
    assert_eq!(
        doc["Statement"][1]["Principal"]["AWS"],
        "arn:aws:iam::210987654321:root"
    );
    assert!(p["RevisionId"].is_string());
    t.ok(
        "RemovePermission",
        json!({ "FunctionName": "f", "StatementId": "s3" }),
    )
    .await;
    let (code, msg) = t
        .err(
            "RemovePermission",
            json!({ "FunctionName": "f", "StatementId": "s3" }),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, "Statement s3 is not found in resource policy.");
    // qualified policies are separate
    t.ok("PublishVersion", json!({ "FunctionName": "f" })).await;
    t.ok("AddPermission", json!({ "FunctionName": "f", "Qualifier": "1", "StatementId": "v", "Action": "lambda:InvokeFunction", "Principal": "*" }))
        .await;
    let p = t.ok("GetPolicy", json!({ "FunctionName": "f:1" })).await;
    let doc: Value = serde_json::from_str(p["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(doc["Statement"][0]["Resource"], format!("{}:1", arn("f")));
    assert_eq!(doc["Statement"][0]["Principal"], "*");
}

#[tokio::test]
async fn layers_publish_list_and_attach() {
    let t = setup();
    let content = json!({ "ZipFile": B64.encode(make_zip(&[("python/lib.py", b"X = 1", 0o644)])) });
    let l1 = t
        .ok("PublishLayerVersion", json!({ "LayerName": "libs", "Content": content, "CompatibleRuntimes": ["python3.12"] }))
        .await;
    assert_eq!(l1["Version"], 1);
    let larn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:layer:libs");
    assert_eq!(l1["LayerArn"], larn);
    assert_eq!(l1["LayerVersionArn"], format!("{larn}:1"));
    assert!(l1["Content"]["CodeSha256"].is_string());
    let l2 = t
        .ok(
            "PublishLayerVersion",
            json!({ "LayerName": larn, "Content": content, "Description": "two" }),
        )
        .await;
    assert_eq!(l2["Version"], 2);
    let g = t
        .ok(
            "GetLayerVersion",
            json!({ "LayerName": "libs", "VersionNumber": 1 }),
        )
        .await;
    assert_eq!(g["CompatibleRuntimes"], json!(["python3.12"]));
    let g = t
        .ok(
            "GetLayerVersionByArn",
            json!({ "Arn": format!("{larn}:2") }),
        )
        .await;
    assert_eq!(g["Description"], "two");
    let ls = t.ok("ListLayers", json!({})).await;
    assert_eq!(ls["Layers"][0]["LayerName"], "libs");
    assert_eq!(ls["Layers"][0]["LatestMatchingVersion"]["Version"], 2);
    let ls = t
        .ok("ListLayers", json!({ "CompatibleRuntime": "python3.12" }))
        .await;
    assert_eq!(ls["Layers"][0]["LatestMatchingVersion"]["Version"], 1);
    let lv = t
        .ok("ListLayerVersions", json!({ "LayerName": "libs" }))
        .await;
    let vs: Vec<u64> = lv["LayerVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Version"].as_u64().unwrap())
        .collect();
    assert_eq!(vs, [2, 1]);
    let mut i = create_input("f");
    i["Layers"] = json!([format!("{larn}:1")]);
    let f = t.ok("CreateFunction", i).await;
    assert_eq!(f["Layers"][0]["Arn"], format!("{larn}:1"));
    t.ok(
        "DeleteLayerVersion",
        json!({ "LayerName": "libs", "VersionNumber": 2 }),
    )
    .await;
    let (code, msg) = t
        .err(
            "GetLayerVersion",
            json!({ "LayerName": "libs", "VersionNumber": 2 }),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, "The resource you requested does not exist.");
    // numbers are not reused
    let l3 = t
        .ok(
            "PublishLayerVersion",
            json!({ "LayerName": "libs", "Content": content }),
        )
        .await;
    assert_eq!(l3["Version"], 3);
}

#[tokio::test]
async fn event_invoke_configs() {
    let t = setup();
    t.create("f").await;
    let (code, msg) = t
        .err(
            "GetFunctionEventInvokeConfig",
            json!({ "FunctionName": "f" }),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        msg,
        format!(
            "The function {}:$LATEST doesn't have an EventInvokeConfig",
            arn("f")
        )
    );
    let p = t
        .ok(
            "PutFunctionEventInvokeConfig",
            json!({ "FunctionName": "f", "MaximumRetryAttempts": 1 }),
        )
        .await;
    assert_eq!(p["MaximumRetryAttempts"], 1);
    assert_eq!(p["FunctionArn"], format!("{}:$LATEST", arn("f")));
    assert!(p["LastModified"].as_f64().unwrap() > 1.0e9);
    let dest = json!({ "OnFailure": { "Destination": "arn:aws:sqs:us-east-1:123456789012:dlq" } });
    let u = t
        .ok("UpdateFunctionEventInvokeConfig", json!({ "FunctionName": "f", "MaximumEventAgeInSeconds": 120, "DestinationConfig": dest }))
        .await;
    assert_eq!(u["MaximumRetryAttempts"], 1);
    assert_eq!(u["MaximumEventAgeInSeconds"], 120);
    assert_eq!(
        u["DestinationConfig"]["OnFailure"]["Destination"],
        "arn:aws:sqs:us-east-1:123456789012:dlq"
    );
    let (code, _) = t
        .err(
            "PutFunctionEventInvokeConfig",
            json!({ "FunctionName": "f", "MaximumRetryAttempts": 3 }),
        )
        .await;
    assert_eq!(code, "ValidationException");
    let (code, _) = t
        .err(
            "PutFunctionEventInvokeConfig",
            json!({ "FunctionName": "f", "MaximumEventAgeInSeconds": 59 }),
        )
        .await;
    assert_eq!(code, "ValidationException");
    let l = t
        .ok(
            "ListFunctionEventInvokeConfigs",
            json!({ "FunctionName": "f" }),
        )
        .await;
    assert_eq!(l["FunctionEventInvokeConfigs"].as_array().unwrap().len(), 1);
    t.ok(
        "DeleteFunctionEventInvokeConfig",
        json!({ "FunctionName": "f" }),
    )
    .await;
    let (code, _) = t
        .err(
            "DeleteFunctionEventInvokeConfig",
            json!({ "FunctionName": "f" }),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn tags() {
    let t = setup();
    let mut i = create_input("f");
    i["Tags"] = json!({ "team": "a" });
    t.ok("CreateFunction", i).await;
    t.ok(
        "TagResource",
        json!({ "Resource": arn("f"), "Tags": { "env": "dev" } }),
    )
    .await;
    let l = t.ok("ListTags", json!({ "Resource": arn("f") })).await;
    assert_eq!(l["Tags"], json!({ "team": "a", "env": "dev" }));
    t.ok(
        "UntagResource",
        json!({ "Resource": arn("f"), "TagKeys": ["team"] }),
    )
    .await;
    let g = t.ok("GetFunction", json!({ "FunctionName": "f" })).await;
    assert_eq!(g["Tags"], json!({ "env": "dev" }));
    let (code, _) = t.err("ListTags", json!({ "Resource": arn("nope") })).await;
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn invoke_dry_run_event_and_limits() {
    let t = setup();
    t.create("f").await;
    let out = t
        .call_raw(
            "Invoke",
            json!({ "FunctionName": "f", "InvocationType": "DryRun" }),
            Some(Bytes::from_static(b"{}")),
        )
        .await
        .unwrap();
    assert_eq!(out.value["StatusCode"], 204);
    let out = t
        .call_raw(
            "Invoke",
            json!({ "FunctionName": "f", "InvocationType": "Event" }),
            Some(Bytes::from_static(b"{\"a\":1}")),
        )
        .await
        .unwrap();
    assert_eq!(out.value["StatusCode"], 202);
    let events = t
        .lambda
        .store
        .scan(
            crate::store::EVENTS,
            lamina_storage::Range::all(),
            lamina_storage::Direction::Forward,
            0,
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let e: super::invoke::QueuedEvent = serde_json::from_slice(&events[0].1).unwrap();
    assert_eq!(e.function_name, "f");
    assert_eq!(B64.decode(e.payload).unwrap(), b"{\"a\":1}");
    let big = Bytes::from(vec![b' '; 6_291_457]);
    let err = t
        .call_raw("Invoke", json!({ "FunctionName": "f" }), Some(big))
        .await
        .unwrap_err();
    assert_eq!(err.code.shape, "RequestTooLargeException");
    assert_eq!(
        err.message,
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    );
    let err = t
        .call_raw("Invoke", json!({ "FunctionName": "nope" }), None)
        .await
        .unwrap_err();
    assert_eq!(err.code.shape, "ResourceNotFoundException");
    t.ok(
        "PutFunctionConcurrency",
        json!({ "FunctionName": "f", "ReservedConcurrentExecutions": 0 }),
    )
    .await;
    let err = t
        .call_raw("Invoke", json!({ "FunctionName": "f" }), None)
        .await
        .unwrap_err();
    assert_eq!(err.code.shape, "TooManyRequestsException");
    assert_eq!(
        err.fields.as_ref().unwrap()["Reason"],
        "ReservedFunctionConcurrentInvocationLimitExceeded"
    );
}

#[tokio::test]
async fn the_bus_invoker_reports_errors_with_lambda_codes() {
    use lamina_bus::{InvocationType, InvokeRequest, Invoker};
    let t = setup();
    t.create("f").await;
    let req = |f: &str, kind| InvokeRequest {
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        function: f.into(),
        qualifier: None,
        payload: Bytes::from_static(b"{}"),
        invocation_type: kind,
    };
    let e = t
        .lambda
        .invoke(req("missing", InvocationType::RequestResponse))
        .await
        .unwrap_err();
    assert_eq!(e.code, "ResourceNotFoundException");
    assert_eq!(e.status, 404);
    let ok = t
        .lambda
        .invoke(req(&arn("f"), InvocationType::Event))
        .await
        .unwrap();
    assert_eq!(ok.status, 202);
}

#[tokio::test]
async fn invoke_maps_the_sandbox_outcome() {
    let t = setup();
    let code = "def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('boom')\n    \
                print('hello from the handler')\n    return {'echo': event, 'version': context.function_version}\n";
    let mut i = create_input("py");
    i["Code"] = json!({ "ZipFile": zip_b64(code) });
    t.ok("CreateFunction", i).await;
    t.ok("PublishVersion", json!({ "FunctionName": "py" }))
        .await;
    t.ok(
        "CreateAlias",
        json!({ "FunctionName": "py", "Name": "live", "FunctionVersion": "1" }),
    )
    .await;
    let invoke = |q: Option<&str>, payload: &'static [u8]| {
        let mut v = json!({ "FunctionName": "py", "LogType": "Tail" });
        if let Some(q) = q {
            v["Qualifier"] = json!(q);
        }
        t.call_raw("Invoke", v, Some(Bytes::from_static(payload)))
    };
    let out = invoke(None, b"{\"a\": 1}").await.unwrap();
    assert_eq!(out.value["StatusCode"], 200);
    assert_eq!(out.value["ExecutedVersion"], "$LATEST");
    assert!(out.value.get("FunctionError").is_none(), "{}", out.value);
    let body: Value = serde_json::from_slice(out.payload.as_ref().unwrap()).unwrap();
    assert_eq!(body, json!({ "echo": { "a": 1 }, "version": "$LATEST" }));
    let tail = String::from_utf8(
        B64.decode(out.value["LogResult"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(
        tail.contains("hello from the handler") && tail.contains("REPORT RequestId"),
        "{tail}"
    );
    let out = invoke(Some("live"), b"{}").await.unwrap();
    assert_eq!(out.value["ExecutedVersion"], "1");
    let out = invoke(None, b"{\"fail\": true}").await.unwrap();
    assert_eq!(out.value["StatusCode"], 200);
    assert_eq!(out.value["FunctionError"], "Unhandled");
    let body: Value = serde_json::from_slice(out.payload.as_ref().unwrap()).unwrap();
    assert_eq!(body["errorType"], "ValueError");
    assert_eq!(body["errorMessage"], "boom");
    t.lambda.shutdown().await;
}

/// Every request struct's members exist in the model shape it mirrors, and every required
/// member is read.
mod model_check {
    use serde::Deserialize;

    fn check<T: for<'de> Deserialize<'de>>(shape: &str, unread_required: &[&str]) {
        lamina_model::conformance::check_struct::<T>("lambda", shape, unread_required);
    }

    #[test]
    fn request_structs_match_the_model() {
        use crate::ops::*;
        check::<functions::CreateFunctionRequest>("CreateFunctionRequest", &[]);
        check::<functions::UpdateFunctionConfigurationRequest>(
            "UpdateFunctionConfigurationRequest",
            &[],
        );
        // CreateFunction is also read with UpdateFunctionConfigurationRequest; its RevisionId is
        // absent from CreateFunctionRequest and stays None.
        check::<functions::UpdateFunctionCodeRequest>("UpdateFunctionCodeRequest", &[]);
        check::<functions::GetFunctionRequest>("GetFunctionRequest", &[]);
        check::<functions::GetFunctionRequest>("DeleteFunctionRequest", &[]);
        check::<functions::ListFunctionsRequest>("ListFunctionsRequest", &[]);
        check::<functions::FunctionCode>("FunctionCode", &[]);
        check::<functions::Environment>("Environment", &[]);
        check::<functions::DeadLetterConfig>("DeadLetterConfig", &[]);
        check::<functions::TracingConfig>("TracingConfig", &[]);
        check::<functions::EphemeralStorage>("EphemeralStorage", &[]);
        check::<versions::PublishVersionRequest>("PublishVersionRequest", &[]);
        check::<versions::ListVersionsByFunctionRequest>("ListVersionsByFunctionRequest", &[]);
        check::<aliases::CreateAliasRequest>("CreateAliasRequest", &[]);
        check::<aliases::UpdateAliasRequest>("UpdateAliasRequest", &[]);
        check::<aliases::GetAliasRequest>("GetAliasRequest", &[]);
        check::<aliases::GetAliasRequest>("DeleteAliasRequest", &[]);
        check::<aliases::ListAliasesRequest>("ListAliasesRequest", &[]);
        check::<aliases::AliasRoutingConfiguration>("AliasRoutingConfiguration", &[]);
        check::<layers::PublishLayerVersionRequest>("PublishLayerVersionRequest", &[]);
        check::<layers::LayerVersionContentInput>("LayerVersionContentInput", &[]);
        check::<layers::GetLayerVersionRequest>("GetLayerVersionRequest", &[]);
        check::<layers::GetLayerVersionRequest>("DeleteLayerVersionRequest", &[]);
        check::<layers::GetLayerVersionByArnRequest>("GetLayerVersionByArnRequest", &[]);
        check::<layers::ListLayersRequest>("ListLayersRequest", &[]);
        check::<layers::ListLayerVersionsRequest>("ListLayerVersionsRequest", &[]);
        check::<policy::AddPermissionRequest>("AddPermissionRequest", &[]);
        check::<policy::RemovePermissionRequest>("RemovePermissionRequest", &[]);
        check::<policy::GetPolicyRequest>("GetPolicyRequest", &[]);
        check::<concurrency::PutFunctionConcurrencyRequest>("PutFunctionConcurrencyRequest", &[]);
        check::<concurrency::GetFunctionConcurrencyRequest>("GetFunctionConcurrencyRequest", &[]);
        check::<concurrency::GetFunctionConcurrencyRequest>(
            "DeleteFunctionConcurrencyRequest",
            &[],
        );
        check::<event_config::PutFunctionEventInvokeConfigRequest>(
            "PutFunctionEventInvokeConfigRequest",
            &[],
        );
        check::<event_config::PutFunctionEventInvokeConfigRequest>(
            "UpdateFunctionEventInvokeConfigRequest",
            &[],
        );
        check::<event_config::GetFunctionEventInvokeConfigRequest>(
            "GetFunctionEventInvokeConfigRequest",
            &[],
        );
        check::<event_config::GetFunctionEventInvokeConfigRequest>(
            "DeleteFunctionEventInvokeConfigRequest",
            &[],
        );
        check::<event_config::ListFunctionEventInvokeConfigsRequest>(
            "ListFunctionEventInvokeConfigsRequest",
            &[],
        );
        check::<tags::TagResourceRequest>("TagResourceRequest", &[]);
        check::<tags::UntagResourceRequest>("UntagResourceRequest", &[]);
        check::<tags::ListTagsRequest>("ListTagsRequest", &[]);
        check::<invoke::InvocationRequest>("InvocationRequest", &[]);
    }

    #[test]
    fn implemented_operations_exist_in_the_model() {
        let model = lamina_model::get("lambda").expect("lambda model");
        for op in crate::ops::implemented() {
            assert!(model.operation(op).is_some(), "{op}");
        }
    }
}
