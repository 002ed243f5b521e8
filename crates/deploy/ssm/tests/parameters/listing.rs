//! GetParametersByPath and DescribeParameters: paths, filters, pages.

use super::*;

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
