//! Create, read, overwrite, delete, tags, scoping, encryption at rest and name rules.

use super::*;

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
