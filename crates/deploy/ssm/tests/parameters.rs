//! Parameter Store through the `Service` interface, as the gateway calls it, against the
//! in-memory store.

use lamina_core::{AwsError, Input, RequestContext, Service};
use lamina_ssm::SsmService;
use lamina_storage::{Direction, Range, Store};
use lamina_storage_memory::MemoryStore;
use serde_json::{Value, json};
use std::sync::Arc;

struct Env {
    svc: Arc<SsmService>,
    store: Arc<MemoryStore>,
    ctx: RequestContext,
}

fn env() -> Env {
    let store = MemoryStore::new();
    let svc = Arc::new(SsmService::new(store.clone(), [42; 32]));
    Env {
        svc,
        store,
        ctx: ctx("123456789012", "us-east-1"),
    }
}

fn ctx(account: &str, region: &str) -> RequestContext {
    RequestContext {
        request_id: "r".into(),
        account_id: account.into(),
        region: region.into(),
        access_key_id: "test".into(),
        endpoint: "http://localhost:4566".into(),
    }
}

impl Env {
    async fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        self.svc
            .call(
                &self.ctx,
                op,
                Input {
                    value: input,
                    payload: None,
                },
            )
            .await
            .map(|o| o.value)
    }
    async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op} failed: {e}"),
        }
    }
    async fn err(&self, op: &str, input: Value) -> AwsError {
        match self.call(op, input).await {
            Ok(v) => panic!("{op} succeeded unexpectedly: {v}"),
            Err(e) => e,
        }
    }
    async fn put(&self, name: &str, value: &str) -> Value {
        self.ok(
            "PutParameter",
            json!({"Name": name, "Value": value, "Type": "String"}),
        )
        .await
    }
    async fn value(&self, name: &str) -> String {
        let v = self
            .ok(
                "GetParameter",
                json!({"Name": name, "WithDecryption": true}),
            )
            .await;
        v["Parameter"]["Value"].as_str().unwrap().to_string()
    }
}

fn names(v: &Value) -> Vec<String> {
    v["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn create_get_overwrite_versions() {
    let e = env();
    let r = e.put("/app/db/host", "a").await;
    assert_eq!(r, json!({"Version": 1, "Tier": "Standard"}));

    let err = e
        .err(
            "PutParameter",
            json!({"Name": "/app/db/host", "Value": "b", "Type": "String"}),
        )
        .await;
    assert_eq!(err.code.code, "ParameterAlreadyExists");
    assert_eq!(
        err.message,
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
    );

    let r = e
        .ok(
            "PutParameter",
            json!({"Name": "/app/db/host", "Value": "b", "Overwrite": true}),
        )
        .await;
    assert_eq!(r["Version"], 2);
    let p = e.ok("GetParameter", json!({"Name": "/app/db/host"})).await["Parameter"].clone();
    assert_eq!(p["Value"], "b");
    assert_eq!(p["Type"], "String", "type kept on overwrite without Type");
    assert_eq!(p["Version"], 2);
    assert_eq!(p["DataType"], "text");
    assert_eq!(
        p["ARN"],
        "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/host"
    );
    assert!(p["LastModifiedDate"].as_f64().unwrap() > 1.6e9);
    assert!(p.get("Selector").is_none());

    let p = e
        .ok("GetParameter", json!({"Name": "/app/db/host:1"}))
        .await["Parameter"]
        .clone();
    assert_eq!(
        (p["Value"].as_str(), p["Selector"].as_str()),
        (Some("a"), Some(":1"))
    );
    let err = e
        .err("GetParameter", json!({"Name": "/app/db/host:7"}))
        .await;
    assert_eq!(err.code.code, "ParameterVersionNotFound");
    assert_eq!(
        err.message,
        "Systems Manager could not find version 7 of /app/db/host. Verify the version and try again."
    );

    let p = e
        .ok(
            "GetParameter",
            json!({"Name": "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/host"}),
        )
        .await;
    assert_eq!(p["Parameter"]["Value"], "b");

    let err = e.err("GetParameter", json!({"Name": "/missing"})).await;
    assert_eq!(
        (err.code.code, err.message.as_str()),
        ("ParameterNotFound", "")
    );

    let err = e
        .err("PutParameter", json!({"Name": "/new", "Value": "x"}))
        .await;
    assert_eq!(err.code.code, "ValidationException");
    assert_eq!(
        err.message,
        "A parameter type is required when you create a parameter."
    );
}

#[tokio::test]
async fn scoped_by_account_and_region() {
    let e = env();
    e.put("/shared/name", "east").await;
    let west = Env {
        svc: e.svc.clone(),
        store: e.store.clone(),
        ctx: ctx("123456789012", "us-west-2"),
    };
    assert_eq!(
        west.err("GetParameter", json!({"Name": "/shared/name"}))
            .await
            .code
            .code,
        "ParameterNotFound"
    );
    west.put("/shared/name", "west").await;
    assert_eq!(e.value("/shared/name").await, "east");
    assert_eq!(west.value("/shared/name").await, "west");
}

#[tokio::test]
async fn secure_string_is_encrypted_at_rest() {
    let e = env();
    let secret = "correct-horse-battery-staple";
    e.ok(
        "PutParameter",
        json!({"Name": "/s/pw", "Value": secret, "Type": "SecureString"}),
    )
    .await;
    e.ok(
        "PutParameter",
        json!({"Name": "/s/pw", "Value": format!("{secret}-2"), "Overwrite": true}),
    )
    .await;

    for tree in [lamina_ssm::PARAMS_TREE, lamina_ssm::VERSIONS_TREE] {
        let rows = e
            .store
            .scan(tree, Range::all(), Direction::Forward, 0)
            .await
            .unwrap();
        assert!(!rows.is_empty());
        for (_, v) in rows {
            let text = String::from_utf8_lossy(&v);
            assert!(!text.contains(secret), "plaintext stored in {tree}: {text}");
        }
    }
    let plain = e.ok("GetParameter", json!({"Name": "/s/pw"})).await;
    let opaque = plain["Parameter"]["Value"].as_str().unwrap();
    assert!(!opaque.contains(secret));
    assert_eq!(plain["Parameter"]["Type"], "SecureString");
    assert_eq!(e.value("/s/pw").await, format!("{secret}-2"));
    let v1 = e
        .ok(
            "GetParameter",
            json!({"Name": "/s/pw:1", "WithDecryption": true}),
        )
        .await;
    assert_eq!(v1["Parameter"]["Value"], secret);

    let d = e.ok("DescribeParameters", json!({})).await;
    assert_eq!(d["Parameters"][0]["KeyId"], "alias/aws/ssm");
    assert!(d["Parameters"][0].get("Value").is_none());
    let h = e
        .ok(
            "GetParameterHistory",
            json!({"Name": "/s/pw", "WithDecryption": true}),
        )
        .await;
    assert_eq!(h["Parameters"][0]["Value"], secret);
}

#[tokio::test]
async fn labels_move_between_versions() {
    let e = env();
    for v in ["1", "2", "3"] {
        e.ok(
            "PutParameter",
            json!({"Name": "/l/p", "Value": v, "Type": "String", "Overwrite": true}),
        )
        .await;
    }
    let r = e
        .ok(
            "LabelParameterVersion",
            json!({"Name": "/l/p", "ParameterVersion": 1, "Labels": ["prod", "1bad", "awsx"]}),
        )
        .await;
    assert_eq!(
        r,
        json!({"InvalidLabels": ["1bad", "awsx"], "ParameterVersion": 1})
    );
    assert_eq!(e.value("/l/p:prod").await, "1");

    // Without ParameterVersion the latest version gets the label; it leaves version 1.
    let r = e
        .ok(
            "LabelParameterVersion",
            json!({"Name": "/l/p", "Labels": ["prod"]}),
        )
        .await;
    assert_eq!(r["ParameterVersion"], 3);
    assert_eq!(e.value("/l/p:prod").await, "3");
    let h = e.ok("GetParameterHistory", json!({"Name": "/l/p"})).await;
    let labels: Vec<Value> = h["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Labels"].clone())
        .collect();
    assert_eq!(labels, vec![json!([]), json!([]), json!(["prod"])]);

    let err = e
        .err(
            "LabelParameterVersion",
            json!({"Name": "/l/p", "ParameterVersion": 9, "Labels": ["x"]}),
        )
        .await;
    assert_eq!(err.code.code, "ParameterVersionNotFound");
    let err = e
        .err(
            "LabelParameterVersion",
            json!({"Name": "/nope", "Labels": ["x"]}),
        )
        .await;
    assert_eq!(err.code.code, "ParameterNotFound");

    let ten: Vec<String> = (0..10).map(|i| format!("l{i}")).collect();
    e.ok(
        "LabelParameterVersion",
        json!({"Name": "/l/p", "ParameterVersion": 2, "Labels": ten}),
    )
    .await;
    let err = e
        .err(
            "LabelParameterVersion",
            json!({"Name": "/l/p", "ParameterVersion": 2, "Labels": ["eleventh"]}),
        )
        .await;
    assert_eq!(err.code.code, "ParameterVersionLabelLimitExceeded");

    let r = e
        .ok(
            "UnlabelParameterVersion",
            json!({"Name": "/l/p", "ParameterVersion": 3, "Labels": ["prod", "l0"]}),
        )
        .await;
    assert_eq!(
        r,
        json!({"RemovedLabels": ["prod"], "InvalidLabels": ["l0"]})
    );
    assert_eq!(
        e.err("GetParameter", json!({"Name": "/l/p:prod"}))
            .await
            .code
            .code,
        "ParameterNotFound"
    );
}

#[tokio::test]
async fn hundred_versions_then_oldest_dropped_unless_labelled() {
    let e = env();
    for i in 1..=100 {
        e.ok(
            "PutParameter",
            json!({"Name": "p", "Value": i.to_string(), "Type": "String", "Overwrite": true}),
        )
        .await;
    }
    e.ok(
        "LabelParameterVersion",
        json!({"Name": "p", "ParameterVersion": 1, "Labels": ["keep"]}),
    )
    .await;
    let err = e
        .err(
            "PutParameter",
            json!({"Name": "p", "Value": "101", "Overwrite": true}),
        )
        .await;
    assert_eq!(err.code.code, "ParameterMaxVersionLimitExceeded");
    assert!(
        err.message
            .contains("Version 1, the oldest version, can't be deleted"),
        "{}",
        err.message
    );

    e.ok(
        "UnlabelParameterVersion",
        json!({"Name": "p", "ParameterVersion": 1, "Labels": ["keep"]}),
    )
    .await;
    let r = e
        .ok(
            "PutParameter",
            json!({"Name": "p", "Value": "101", "Overwrite": true}),
        )
        .await;
    assert_eq!(r["Version"], 101);
    assert_eq!(
        e.err("GetParameter", json!({"Name": "p:1"}))
            .await
            .code
            .code,
        "ParameterVersionNotFound"
    );
    assert_eq!(e.value("p:2").await, "2");

    // History pages: 50 + 50, no duplicates, versions 2..=101.
    let first = e.ok("GetParameterHistory", json!({"Name": "p"})).await;
    assert_eq!(first["Parameters"].as_array().unwrap().len(), 50);
    let token = first["NextToken"].as_str().unwrap();
    let second = e
        .ok(
            "GetParameterHistory",
            json!({"Name": "p", "NextToken": token}),
        )
        .await;
    assert!(second.get("NextToken").is_none());
    let all: Vec<u64> = [&first, &second]
        .iter()
        .flat_map(|p| {
            p["Parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["Version"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(all, (2..=101).collect::<Vec<_>>());
}

#[tokio::test]
async fn by_path_recursive_one_level_and_pages() {
    let e = env();
    let mut expected = Vec::new();
    for i in 0..23 {
        let n = format!("/app/svc/k{i:02}");
        e.put(&n, "v").await;
        expected.push(n);
    }
    e.put("/app/svc/deep/x", "v").await;
    e.put("/app/other", "v").await;
    e.put("/apple", "v").await;
    e.put("top", "v").await;

    let one = e
        .ok(
            "GetParametersByPath",
            json!({"Path": "/app", "MaxResults": 10}),
        )
        .await;
    assert_eq!(names(&one), vec!["/app/other"]);
    assert!(one.get("NextToken").is_none());

    // Page through /app/svc one level: 23 names, pages of 10, no duplicates or gaps.
    let mut got = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut req = json!({"Path": "/app/svc/", "MaxResults": 10});
        if let Some(t) = &token {
            req["NextToken"] = json!(t);
        }
        let page = e.ok("GetParametersByPath", req).await;
        pages += 1;
        got.extend(names(&page));
        match page.get("NextToken").and_then(Value::as_str) {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(got, expected);

    let rec = e
        .ok(
            "GetParametersByPath",
            json!({"Path": "/app", "Recursive": true, "MaxResults": 10}),
        )
        .await;
    assert_eq!(rec["Parameters"].as_array().unwrap().len(), 10);
    let root = e.ok("GetParametersByPath", json!({"Path": "/"})).await;
    assert_eq!(names(&root), vec!["/apple", "top"]);

    let err = e.err("GetParametersByPath", json!({"Path": "app"})).await;
    assert_eq!(err.code.code, "ValidationException");
    let err = e
        .err(
            "GetParametersByPath",
            json!({"Path": "/app", "NextToken": "bogus"}),
        )
        .await;
    assert_eq!(err.code.code, "InvalidNextToken");
    let err = e
        .err(
            "GetParametersByPath",
            json!({"Path": "/app", "ParameterFilters": [{"Key": "Name", "Values": ["x"]}]}),
        )
        .await;
    assert_eq!(err.code.code, "InvalidFilterKey");
}

#[tokio::test]
async fn by_path_filters_type_and_label() {
    let e = env();
    e.put("/f/a", "1").await;
    e.ok(
        "PutParameter",
        json!({"Name": "/f/a", "Value": "2", "Overwrite": true}),
    )
    .await;
    e.ok(
        "PutParameter",
        json!({"Name": "/f/s", "Value": "x", "Type": "SecureString"}),
    )
    .await;
    e.ok(
        "LabelParameterVersion",
        json!({"Name": "/f/a", "ParameterVersion": 1, "Labels": ["old"]}),
    )
    .await;

    let r = e
        .ok("GetParametersByPath", json!({"Path": "/f", "ParameterFilters": [{"Key": "Type", "Values": ["SecureString"]}]}))
        .await;
    assert_eq!(names(&r), vec!["/f/s"]);
    let r = e
        .ok(
            "GetParametersByPath",
            json!({"Path": "/f", "ParameterFilters": [{"Key": "Label", "Values": ["old"]}]}),
        )
        .await;
    assert_eq!(names(&r), vec!["/f/a"]);
    assert_eq!(
        r["Parameters"][0]["Value"], "1",
        "the labelled version is returned"
    );
}

#[tokio::test]
async fn describe_filters_and_pages() {
    let e = env();
    e.ok(
        "PutParameter",
        json!({"Name": "/d/one", "Value": "1", "Type": "String", "Description": "first", "Tags": [{"Key": "env", "Value": "prod"}]}),
    )
    .await;
    e.ok(
        "PutParameter",
        json!({"Name": "/d/two", "Value": "a,b", "Type": "StringList", "Tier": "Advanced"}),
    )
    .await;
    e.ok("PutParameter", json!({"Name": "/d/sub/three", "Value": "x", "Type": "SecureString", "KeyId": "alias/mine"}))
        .await;
    e.put("other", "x").await;

    let all = e.ok("DescribeParameters", json!({})).await;
    assert_eq!(
        names(&all),
        vec!["/d/one", "/d/sub/three", "/d/two", "other"]
    );
    let one = &all["Parameters"][0];
    assert_eq!(one["Description"], "first");
    assert_eq!(one["LastModifiedUser"], "arn:aws:iam::123456789012:root");
    assert_eq!(one["Policies"], json!([]));
    assert_eq!(one["Tier"], "Standard");

    let f = |filters: Value| json!({ "ParameterFilters": filters });
    let r = e
        .ok(
            "DescribeParameters",
            f(json!([{"Key": "Path", "Values": ["/d"]}])),
        )
        .await;
    assert_eq!(names(&r), vec!["/d/one", "/d/two"]);
    let r = e
        .ok(
            "DescribeParameters",
            f(json!([{"Key": "Path", "Option": "Recursive", "Values": ["/d"]}])),
        )
        .await;
    assert_eq!(names(&r), vec!["/d/one", "/d/sub/three", "/d/two"]);
    let r = e
        .ok(
            "DescribeParameters",
            f(json!([{"Key": "Name", "Option": "BeginsWith", "Values": ["/d/t"]}])),
        )
        .await;
    assert_eq!(names(&r), vec!["/d/two"]);
    let r = e
        .ok(
            "DescribeParameters",
            f(json!([{"Key": "Name", "Option": "Contains", "Values": ["th"]}])),
        )
        .await;
    assert_eq!(names(&r), vec!["/d/sub/three", "other"]);
    let r = e
        .ok(
            "DescribeParameters",
            f(json!([{"Key": "Tier", "Values": ["Advanced"]}])),
        )
        .await;
    assert_eq!(names(&r), vec!["/d/two"]);
    let r = e
        .ok(
            "DescribeParameters",
            f(json!([{"Key": "KeyId", "Values": ["alias/mine"]}])),
        )
        .await;
    assert_eq!(names(&r), vec!["/d/sub/three"]);
    let r = e
        .ok(
            "DescribeParameters",
            f(json!([{"Key": "tag:env", "Values": ["prod"]}])),
        )
        .await;
    assert_eq!(names(&r), vec!["/d/one"]);
    let r = e
        .ok(
            "DescribeParameters",
            json!({"Filters": [{"Key": "Type", "Values": ["StringList"]}]}),
        )
        .await;
    assert_eq!(names(&r), vec!["/d/two"]);

    let err = e
        .err(
            "DescribeParameters",
            f(json!([{"Key": "Type", "Option": "Contains", "Values": ["S"]}])),
        )
        .await;
    assert_eq!(err.code.code, "InvalidFilterOption");
    let err = e
        .err(
            "DescribeParameters",
            f(json!([{"Key": "Type", "Values": ["Nope"]}])),
        )
        .await;
    assert_eq!(err.code.code, "InvalidFilterValue");
    let err = e
        .err(
            "DescribeParameters",
            json!({"Filters": [{"Key": "Name", "Values": ["x"]}], "ParameterFilters": [{"Key": "Name", "Values": ["x"]}]}),
        )
        .await;
    assert_eq!(err.code.code, "ValidationException");

    let p1 = e.ok("DescribeParameters", json!({"MaxResults": 3})).await;
    let t = p1["NextToken"].as_str().unwrap();
    let p2 = e
        .ok(
            "DescribeParameters",
            json!({"MaxResults": 3, "NextToken": t}),
        )
        .await;
    assert_eq!([names(&p1), names(&p2)].concat(), names(&all));
    assert!(p2.get("NextToken").is_none());
}

#[tokio::test]
async fn get_and_delete_many() {
    let e = env();
    e.put("/m/a", "1").await;
    e.put("/m/b", "2").await;
    let r = e
        .ok(
            "GetParameters",
            json!({"Names": ["/m/a", "/m/zz", "/m/b:5", "/m/b", "/m/a"]}),
        )
        .await;
    assert_eq!(names(&r), vec!["/m/a", "/m/b"]);
    assert_eq!(r["InvalidParameters"], json!(["/m/zz", "/m/b:5"]));

    let r = e
        .ok("DeleteParameters", json!({"Names": ["/m/a", "/m/nope"]}))
        .await;
    assert_eq!(
        r,
        json!({"DeletedParameters": ["/m/a"], "InvalidParameters": ["/m/nope"]})
    );
    e.ok("DeleteParameter", json!({"Name": "/m/b"})).await;
    let err = e.err("DeleteParameter", json!({"Name": "/m/b"})).await;
    assert_eq!(err.code.code, "ParameterNotFound");
    assert!(
        e.store
            .scan(
                lamina_ssm::VERSIONS_TREE,
                Range::all(),
                Direction::Forward,
                0
            )
            .await
            .unwrap()
            .is_empty()
    );
    // A deleted name starts again at version 1.
    assert_eq!(e.put("/m/b", "new").await["Version"], 1);
}

#[tokio::test]
async fn name_rules_and_limits() {
    let e = env();
    let cases = [
        ("aws-thing", "ValidationException"),
        ("/SSM/x/y", "ValidationException"),
        ("a/b", "ValidationException"),
        ("/has space/x", "ValidationException"),
        (
            "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p",
            "HierarchyLevelLimitExceededException",
        ),
    ];
    for (name, code) in cases {
        let err = e
            .err(
                "PutParameter",
                json!({"Name": name, "Value": "v", "Type": "String"}),
            )
            .await;
        assert_eq!(err.code.code, code, "{name}");
    }
    assert!(
        e.call(
            "PutParameter",
            json!({"Name": "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o", "Value": "v", "Type": "String"})
        )
        .await
        .is_ok()
    );

    let big = "x".repeat(4097);
    let err = e
        .err(
            "PutParameter",
            json!({"Name": "/big", "Value": big, "Type": "String"}),
        )
        .await;
    assert_eq!(err.code.code, "ValidationException");
    assert!(err.message.starts_with(
        "Standard tier parameters support a maximum parameter value of 4096 characters."
    ));
    let r = e
        .ok(
            "PutParameter",
            json!({"Name": "/big", "Value": big, "Type": "String", "Tier": "Intelligent-Tiering"}),
        )
        .await;
    assert_eq!(r["Tier"], "Advanced");
    let err = e
        .err(
            "PutParameter",
            json!({"Name": "/big", "Value": "s", "Tier": "Standard", "Overwrite": true}),
        )
        .await;
    assert_eq!(err.code.code, "ValidationException");

    let err = e
        .err(
            "PutParameter",
            json!({"Name": "/pat", "Value": "abc", "Type": "String", "AllowedPattern": "^\\d+$"}),
        )
        .await;
    assert_eq!(err.code.code, "ParameterPatternMismatchException");
    assert_eq!(
        err.message,
        "Parameter value, cannot be validated against allowedPattern: ^\\d+$"
    );
    e.ok(
        "PutParameter",
        json!({"Name": "/pat", "Value": "123", "Type": "String", "AllowedPattern": "^\\d+$"}),
    )
    .await;
    let err = e
        .err(
            "PutParameter",
            json!({"Name": "/pat", "Value": "x", "Overwrite": true}),
        )
        .await;
    assert_eq!(
        err.code.code, "ParameterPatternMismatchException",
        "the pattern stays with the parameter"
    );

    let err = e
        .err("PutParameter", json!({"Name": "/t", "Value": "v", "Type": "String", "Overwrite": true, "Tags": [{"Key": "a", "Value": "b"}]}))
        .await;
    assert_eq!(err.code.code, "ValidationException");
    assert!(
        err.message
            .starts_with("Invalid request: tags and overwrite can't be used together.")
    );

    let err = e
        .err(
            "PutParameter",
            json!({"Name": "/dt", "Value": "v", "Type": "String", "DataType": "Text"}),
        )
        .await;
    assert_eq!(
        err.message,
        "The following data type is not supported: Text (Data type names are all lowercase.)"
    );
    let err = e
        .err(
            "PutParameter",
            json!({"Name": "/ami", "Value": "v", "Type": "String", "DataType": "aws:ec2:image"}),
        )
        .await;
    assert_eq!(err.code.code, "ValidationException");
    e.ok("PutParameter", json!({"Name": "/ami", "Value": "ami-0123456789abcdef0", "Type": "String", "DataType": "aws:ec2:image"}))
        .await;
    let err = e
        .err(
            "PutParameter",
            json!({"Name": "/k", "Value": "v", "Type": "SecureString", "KeyId": "bogus"}),
        )
        .await;
    assert_eq!(err.code.code, "InvalidKeyId");
}

#[tokio::test]
async fn tags() {
    let e = env();
    e.ok("PutParameter", json!({"Name": "/t/p", "Value": "v", "Type": "String", "Tags": [{"Key": "a", "Value": "1"}]})).await;
    let arn = "arn:aws:ssm:us-east-1:123456789012:parameter/t/p";
    e.ok(
        "AddTagsToResource",
        json!({"ResourceType": "Parameter", "ResourceId": arn, "Tags": [{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}]}),
    )
    .await;
    let l = e
        .ok(
            "ListTagsForResource",
            json!({"ResourceType": "Parameter", "ResourceId": "/t/p"}),
        )
        .await;
    assert_eq!(
        l["TagList"],
        json!([{"Key": "a", "Value": "2"}, {"Key": "b", "Value": "3"}])
    );
    e.ok(
        "RemoveTagsFromResource",
        json!({"ResourceType": "Parameter", "ResourceId": "/t/p", "TagKeys": ["a"]}),
    )
    .await;
    let l = e
        .ok(
            "ListTagsForResource",
            json!({"ResourceType": "Parameter", "ResourceId": "/t/p"}),
        )
        .await;
    assert_eq!(l["TagList"], json!([{"Key": "b", "Value": "3"}]));

    let many: Vec<Value> = (0..50)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let err = e
        .err(
            "AddTagsToResource",
            json!({"ResourceType": "Parameter", "ResourceId": "/t/p", "Tags": many}),
        )
        .await;
    assert_eq!(err.code.code, "TooManyTagsError");
    let err = e
        .err(
            "ListTagsForResource",
            json!({"ResourceType": "Parameter", "ResourceId": "/none"}),
        )
        .await;
    assert_eq!(err.code.code, "InvalidResourceId");
    let err = e
        .err(
            "ListTagsForResource",
            json!({"ResourceType": "Document", "ResourceId": "/t/p"}),
        )
        .await;
    assert_eq!(err.code.code, "InvalidResourceId");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_overwrites_keep_every_version() {
    let e = Arc::new(env());
    e.put("/c/p", "initial").await;
    let n = 24;
    let mut tasks = Vec::new();
    for i in 0..n {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            e.ok(
                "PutParameter",
                json!({"Name": "/c/p", "Value": format!("w{i}"), "Overwrite": true}),
            )
            .await["Version"]
                .as_u64()
                .unwrap()
        }));
    }
    let mut versions = Vec::new();
    for t in tasks {
        versions.push(t.await.unwrap());
    }
    versions.sort();
    assert_eq!(
        versions,
        (2..=n + 1).collect::<Vec<_>>(),
        "each writer got its own version"
    );
    let h = e.ok("GetParameterHistory", json!({"Name": "/c/p"})).await;
    let hv: Vec<u64> = h["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Version"].as_u64().unwrap())
        .collect();
    assert_eq!(hv, (1..=n + 1).collect::<Vec<_>>());
    let mut values: Vec<String> = h["Parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Value"].as_str().unwrap().to_string())
        .collect();
    values.sort();
    let mut expected: Vec<String> = (0..n)
        .map(|i| format!("w{i}"))
        .chain(["initial".to_string()])
        .collect();
    expected.sort();
    assert_eq!(values, expected, "no write was lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_have_one_winner() {
    let e = Arc::new(env());
    let mut tasks = Vec::new();
    for i in 0..16 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            e.call(
                "PutParameter",
                json!({"Name": "/race", "Value": format!("v{i}"), "Type": "String"}),
            )
            .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(v) => {
                assert_eq!(v["Version"], 1);
                wins += 1;
            }
            Err(err) => assert_eq!(err.code.code, "ParameterAlreadyExists"),
        }
    }
    assert_eq!(wins, 1);
}
