use super::*;

#[tokio::test]
async fn create_describe_delete_group() {
    let t = T::new();
    t.ok(
        "CreateLogGroup",
        json!({"logGroupName": "/app/a", "tags": {"team": "x"}}),
    )
    .await;
    let (code, msg) = t
        .err("CreateLogGroup", json!({"logGroupName": "/app/a"}))
        .await;
    assert_eq!(code, "ResourceAlreadyExistsException");
    assert_eq!(msg, "The specified log group already exists");
    let d = t.ok("DescribeLogGroups", json!({})).await;
    let g = &d["logGroups"][0];
    assert_eq!(g["logGroupName"], "/app/a");
    assert_eq!(
        g["arn"],
        "arn:aws:logs:us-east-1:000000000000:log-group:/app/a:*"
    );
    assert_eq!(
        g["logGroupArn"],
        "arn:aws:logs:us-east-1:000000000000:log-group:/app/a"
    );
    assert_eq!(g["storedBytes"], 0);
    assert_eq!(g["metricFilterCount"], 0);
    assert_eq!(g["logGroupClass"], "STANDARD");
    assert!(g.get("retentionInDays").is_none());
    assert!(g["creationTime"].as_i64().unwrap() > 0);
    t.ok("DeleteLogGroup", json!({"logGroupName": "/app/a"}))
        .await;
    let (code, msg) = t
        .err("DeleteLogGroup", json!({"logGroupName": "/app/a"}))
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(msg, "The specified log group does not exist.");
    let d = t.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(d["logGroups"], json!([]));
}

#[tokio::test]
async fn describe_groups_prefix_pattern_and_pages() {
    let t = T::new();
    for n in ["/a/1", "/a/2", "/a/3", "/b/API-x", "/c/api"] {
        t.ok("CreateLogGroup", json!({"logGroupName": n})).await;
    }
    let names = |v: &Value| -> Vec<String> {
        v["logGroups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["logGroupName"].as_str().unwrap().to_string())
            .collect()
    };
    let d = t
        .ok("DescribeLogGroups", json!({"logGroupNamePrefix": "/a/"}))
        .await;
    assert_eq!(names(&d), ["/a/1", "/a/2", "/a/3"]);
    let d = t
        .ok("DescribeLogGroups", json!({"logGroupNamePattern": "api"}))
        .await;
    assert_eq!(names(&d), ["/b/API-x", "/c/api"]);
    let (code, _) = t
        .err(
            "DescribeLogGroups",
            json!({"logGroupNamePattern": "a", "logGroupNamePrefix": "/a"}),
        )
        .await;
    assert_eq!(code, "InvalidParameterException");
    // pages of two
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = json!({"limit": 2});
        if let Some(tk) = &token {
            req["nextToken"] = json!(tk);
        }
        let d = t.ok("DescribeLogGroups", req).await;
        all.extend(names(&d));
        match d.get("nextToken").and_then(Value::as_str) {
            Some(tk) => token = Some(tk.to_string()),
            None => break,
        }
    }
    assert_eq!(all, ["/a/1", "/a/2", "/a/3", "/b/API-x", "/c/api"]);
}

#[tokio::test]
async fn retention_values_and_enforcement() {
    let t = T::new();
    let sweeper = t.logs.start_retention();
    t.group_and_stream("g", "s").await;
    let old = now() - 5 * 86_400_000;
    t.put("g", "s", &[(old, "old one"), (old + 1, "old two")])
        .await;
    t.put("g", "s", &[(now(), "fresh")]).await;
    let (code, msg) = t
        .err(
            "PutRetentionPolicy",
            json!({"logGroupName": "g", "retentionInDays": 2}),
        )
        .await;
    assert_eq!(code, "InvalidParameterException");
    assert!(
        msg.contains("Member must satisfy enum value set: [1, 3, 5, 7, 14"),
        "{msg}"
    );
    let (code, _) = t
        .err(
            "PutRetentionPolicy",
            json!({"logGroupName": "nope", "retentionInDays": 1}),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    t.ok(
        "PutRetentionPolicy",
        json!({"logGroupName": "g", "retentionInDays": 3}),
    )
    .await;
    let d = t.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(d["logGroups"][0]["retentionInDays"], 3);
    let mut left = Vec::new();
    for _ in 0..100 {
        let v = t
            .ok(
                "GetLogEvents",
                json!({"logGroupName": "g", "logStreamName": "s", "startFromHead": true}),
            )
            .await;
        left = messages(&v);
        if left.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(left, ["fresh"]);
    let st = t
        .ok("DescribeLogStreams", json!({"logGroupName": "g"}))
        .await;
    assert_eq!(st["logStreams"][0]["storedBytes"], 5);
    // events older than the retention are now rejected as expired
    let r = t.put("g", "s", &[(old, "too late"), (now(), "ok")]).await;
    assert_eq!(
        r["rejectedLogEventsInfo"],
        json!({"expiredLogEventEndIndex": 0})
    );
    t.ok("DeleteRetentionPolicy", json!({"logGroupName": "g"}))
        .await;
    let d = t.ok("DescribeLogGroups", json!({})).await;
    assert!(d["logGroups"][0].get("retentionInDays").is_none());
    sweeper.abort();
}

#[tokio::test]
async fn streams_create_describe_order_delete() {
    let t = T::new();
    t.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    let (code, msg) = t
        .err(
            "CreateLogStream",
            json!({"logGroupName": "nope", "logStreamName": "s"}),
        )
        .await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "The specified log group does not exist."
        )
    );
    for s in ["b", "a", "c"] {
        t.ok(
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": s}),
        )
        .await;
    }
    let (code, msg) = t
        .err(
            "CreateLogStream",
            json!({"logGroupName": "g", "logStreamName": "a"}),
        )
        .await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceAlreadyExistsException",
            "The specified log stream already exists"
        )
    );
    let n = now();
    t.put("g", "c", &[(n - 3000, "x")]).await;
    t.put("g", "a", &[(n - 1000, "yy")]).await;
    t.put("g", "b", &[(n - 2000, "z")]).await;
    let names = |v: &Value| -> Vec<String> {
        v["logStreams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["logStreamName"].as_str().unwrap().to_string())
            .collect()
    };
    let d = t
        .ok("DescribeLogStreams", json!({"logGroupName": "g"}))
        .await;
    assert_eq!(names(&d), ["a", "b", "c"]);
    let a = &d["logStreams"][0];
    assert_eq!(a["firstEventTimestamp"], n - 1000);
    assert_eq!(a["lastEventTimestamp"], n - 1000);
    assert_eq!(a["storedBytes"], 2);
    assert_eq!(
        a["arn"],
        "arn:aws:logs:us-east-1:000000000000:log-group:g:log-stream:a"
    );
    assert!(a["lastIngestionTime"].as_i64().unwrap() >= n);
    let d = t
        .ok(
            "DescribeLogStreams",
            json!({"logGroupName": "g", "orderBy": "LastEventTime", "descending": true}),
        )
        .await;
    assert_eq!(names(&d), ["a", "b", "c"]);
    let d = t
        .ok(
            "DescribeLogStreams",
            json!({"logGroupIdentifier": "arn:aws:logs:us-east-1:000000000000:log-group:g", "orderBy": "LastEventTime"}),
        )
        .await;
    assert_eq!(names(&d), ["c", "b", "a"]);
    let (code, msg) = t
        .err(
            "DescribeLogStreams",
            json!({"logGroupName": "g", "orderBy": "LastEventTime", "logStreamNamePrefix": "a"}),
        )
        .await;
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        msg,
        "Cannot order by LastEventTime with a logStreamNamePrefix."
    );
    // pages, descending by name
    let d = t
        .ok(
            "DescribeLogStreams",
            json!({"logGroupName": "g", "descending": true, "limit": 2}),
        )
        .await;
    assert_eq!(names(&d), ["c", "b"]);
    let d = t
        .ok(
            "DescribeLogStreams",
            json!({"logGroupName": "g", "descending": true, "limit": 2, "nextToken": d["nextToken"]}),
        )
        .await;
    assert_eq!(names(&d), ["a"]);
    assert!(d.get("nextToken").is_none());
    t.ok(
        "DeleteLogStream",
        json!({"logGroupName": "g", "logStreamName": "a"}),
    )
    .await;
    let (code, msg) = t
        .err(
            "DeleteLogStream",
            json!({"logGroupName": "g", "logStreamName": "a"}),
        )
        .await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "The specified log stream does not exist."
        )
    );
    // a recreated stream starts empty
    t.ok(
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "a"}),
    )
    .await;
    let v = t
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "a"}),
        )
        .await;
    assert_eq!(messages(&v), Vec::<String>::new());
    // the group's storedBytes sums its streams
    let d = t.ok("DescribeLogGroups", json!({})).await;
    assert_eq!(d["logGroups"][0]["storedBytes"], 2);
}

#[tokio::test]
async fn tags_by_arn_and_by_name() {
    let t = T::new();
    t.ok(
        "CreateLogGroup",
        json!({"logGroupName": "g", "tags": {"a": "1"}}),
    )
    .await;
    let arn = "arn:aws:logs:us-east-1:000000000000:log-group:g";
    t.ok(
        "TagResource",
        json!({"resourceArn": arn, "tags": {"b": "2"}}),
    )
    .await;
    let v = t
        .ok("ListTagsForResource", json!({"resourceArn": arn}))
        .await;
    assert_eq!(v["tags"], json!({"a": "1", "b": "2"}));
    t.ok(
        "UntagResource",
        json!({"resourceArn": arn, "tagKeys": ["a"]}),
    )
    .await;
    t.ok(
        "TagLogGroup",
        json!({"logGroupName": "g", "tags": {"c": "3"}}),
    )
    .await;
    let v = t.ok("ListTagsLogGroup", json!({"logGroupName": "g"})).await;
    assert_eq!(v["tags"], json!({"b": "2", "c": "3"}));
    t.ok("UntagLogGroup", json!({"logGroupName": "g", "tags": ["c"]}))
        .await;
    let v = t
        .ok(
            "ListTagsForResource",
            json!({"resourceArn": format!("{arn}:*")}),
        )
        .await;
    assert_eq!(v["tags"], json!({"b": "2"}));
    let (code, _) = t
        .err(
            "ListTagsForResource",
            json!({"resourceArn": "arn:aws:logs:us-east-1:000000000000:log-group:nope"}),
        )
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    let many: serde_json::Map<String, Value> =
        (0..50).map(|i| (format!("k{i}"), json!("v"))).collect();
    let (code, _) = t
        .err("TagResource", json!({"resourceArn": arn, "tags": many}))
        .await;
    assert_eq!(code, "TooManyTagsException");
}

#[tokio::test]
async fn the_sink_creates_group_and_stream_and_flushes() {
    let t = T::new();
    let r = LogStreamRef {
        account_id: "000000000000".into(),
        region: "us-east-1".into(),
        group: "/aws/lambda/f".into(),
        stream: "2026/01/01/[$LATEST]abc".into(),
    };
    let n = now();
    t.logs
        .put_events(
            &r,
            vec![LogEvent {
                timestamp: n,
                message: "START RequestId: 1\n".into(),
            }],
        )
        .await
        .unwrap();
    t.logs
        .put_events(
            &r,
            vec![LogEvent {
                timestamp: n + 1,
                message: "END RequestId: 1\n".into(),
            }],
        )
        .await
        .unwrap();
    t.logs.flush().await.unwrap();
    let v = t
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "/aws/lambda/f", "logStreamName": "2026/01/01/[$LATEST]abc", "startFromHead": true}),
        )
        .await;
    assert_eq!(messages(&v), ["START RequestId: 1\n", "END RequestId: 1\n"]);
    // without an explicit flush, the buffer is written within the flush delay
    t.logs
        .put_events(
            &r,
            vec![LogEvent {
                timestamp: n + 2,
                message: "REPORT".into(),
            }],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let v = t
        .ok(
            "FilterLogEvents",
            json!({"logGroupName": "/aws/lambda/f", "filterPattern": "REPORT"}),
        )
        .await;
    assert_eq!(messages(&v), ["REPORT"]);
}
