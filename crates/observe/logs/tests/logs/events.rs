use super::*;

#[tokio::test]
async fn put_errors_and_rejections() {
    let t = T::new();
    let n = now();
    let req = |g: &str, s: &str| json!({"logGroupName": g, "logStreamName": s, "logEvents": [{"timestamp": n, "message": "m"}]});
    let (code, msg) = t.err("PutLogEvents", req("g", "s")).await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "The specified log group does not exist."
        )
    );
    t.ok("CreateLogGroup", json!({"logGroupName": "g"})).await;
    let (code, msg) = t.err("PutLogEvents", req("g", "s")).await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "The specified log stream does not exist."
        )
    );
    t.ok(
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "s"}),
    )
    .await;
    let r = t.ok("PutLogEvents", req("g", "s")).await;
    assert!(r["nextSequenceToken"].as_str().is_some());
    assert!(r.get("rejectedLogEventsInfo").is_none());

    let (code, msg) = t
        .err(
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [
                {"timestamp": n, "message": "b"}, {"timestamp": n - 1, "message": "a"}]}),
        )
        .await;
    assert_eq!(code, "InvalidParameterException");
    assert_eq!(
        msg,
        "Log events in a single PutLogEvents request must be in chronological order."
    );

    let day = 86_400_000;
    let r = t
        .put(
            "g",
            "s",
            &[
                (n - 20 * day, "ancient"),
                (n - 15 * day, "old"),
                (n, "now"),
                (n + 3 * 3_600_000, "future"),
            ],
        )
        .await;
    assert_eq!(
        r["rejectedLogEventsInfo"],
        json!({"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 3})
    );
    let v = t
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s"}),
        )
        .await;
    assert_eq!(messages(&v), ["m", "now"]);

    let big = "x".repeat(600_000);
    let (code, msg) = t
        .err(
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [
                {"timestamp": n, "message": big}, {"timestamp": n, "message": big}]}),
        )
        .await;
    assert_eq!(code, "InvalidParameterException");
    assert!(msg.starts_with("Upload too large"), "{msg}");

    let (code, msg) = t
        .err(
            "PutLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "logEvents": [
                {"timestamp": n - 2 * day, "message": "a"}, {"timestamp": n, "message": "b"}]}),
        )
        .await;
    assert_eq!(code, "InvalidParameterException");
    assert!(msg.contains("cannot span more than 24 hours"), "{msg}");
}

#[tokio::test]
async fn get_events_tokens_walk_both_ways() {
    let t = T::new();
    t.group_and_stream("g", "s").await;
    let n = now() - 10_000;
    let evs: Vec<(i64, String)> = (0..7).map(|i| (n + i, format!("e{i}"))).collect();
    let refs: Vec<(i64, &str)> = evs.iter().map(|(t, m)| (*t, m.as_str())).collect();
    t.put("g", "s", &refs).await;
    let base = json!({"logGroupName": "g", "logStreamName": "s", "limit": 3});

    // from the tail: the newest three, oldest first
    let v = t.ok("GetLogEvents", base.clone()).await;
    assert_eq!(messages(&v), ["e4", "e5", "e6"]);
    let f = v["nextForwardToken"].as_str().unwrap().to_string();
    assert!(f.starts_with("f/") && f.len() == 58, "{f}");
    assert!(v["nextBackwardToken"].as_str().unwrap().starts_with("b/"));
    // forward at the end: nothing, and the same token again
    let mut r = base.clone();
    r["nextToken"] = json!(f);
    let v2 = t.ok("GetLogEvents", r).await;
    assert_eq!(messages(&v2), Vec::<String>::new());
    assert_eq!(v2["nextForwardToken"], json!(f));
    // backwards
    let mut r = base.clone();
    r["nextToken"] = v["nextBackwardToken"].clone();
    let v3 = t.ok("GetLogEvents", r).await;
    assert_eq!(messages(&v3), ["e1", "e2", "e3"]);
    let mut r = base.clone();
    r["nextToken"] = v3["nextBackwardToken"].clone();
    let v4 = t.ok("GetLogEvents", r).await;
    assert_eq!(messages(&v4), ["e0"]);
    let mut r = base.clone();
    r["nextToken"] = v4["nextBackwardToken"].clone();
    let v5 = t.ok("GetLogEvents", r).await;
    assert_eq!(messages(&v5), Vec::<String>::new());
    assert_eq!(v5["nextBackwardToken"], v4["nextBackwardToken"]);

    // from the head, forward page by page
    let mut r = base.clone();
    r["startFromHead"] = json!(true);
    let mut seen = Vec::new();
    for _ in 0..5 {
        let v = t.ok("GetLogEvents", r.clone()).await;
        seen.extend(messages(&v));
        r["nextToken"] = v["nextForwardToken"].clone();
    }
    assert_eq!(seen, ["e0", "e1", "e2", "e3", "e4", "e5", "e6"]);
    // new events appear behind the last forward token
    t.put("g", "s", &[(now(), "e7")]).await;
    let v = t.ok("GetLogEvents", r.clone()).await;
    assert_eq!(messages(&v), ["e7"]);

    // time range: [start, end)
    let v = t
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "startTime": n + 2, "endTime": n + 5, "startFromHead": true}),
        )
        .await;
    assert_eq!(messages(&v), ["e2", "e3", "e4"]);
    assert!(v["events"][0]["ingestionTime"].as_i64().unwrap() > 0);

    let (code, _) = t
        .err(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s", "nextToken": "x/1"}),
        )
        .await;
    assert_eq!(code, "InvalidParameterException");
    let (code, msg) = t
        .err(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "nope"}),
        )
        .await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "The specified log stream does not exist."
        )
    );
}

#[tokio::test]
async fn filter_interleaves_and_matches_patterns() {
    let t = T::new();
    t.group_and_stream("g", "web-1").await;
    t.ok(
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "web-2"}),
    )
    .await;
    t.ok(
        "CreateLogStream",
        json!({"logGroupName": "g", "logStreamName": "db"}),
    )
    .await;
    let n = now() - 10_000;
    t.put(
        "g",
        "web-1",
        &[
            (n, "ERROR disk full"),
            (n + 2, r#"{"level":"ERROR","latency":250}"#),
        ],
    )
    .await;
    t.put(
        "g",
        "web-2",
        &[
            (n + 1, "INFO ok"),
            (n + 3, r#"{"level":"INFO","latency":50}"#),
        ],
    )
    .await;
    t.put("g", "db", &[(n + 4, "WARN slow query")]).await;

    let f = |extra: Value| {
        let mut r = json!({"logGroupName": "g"});
        for (k, v) in extra.as_object().unwrap() {
            r[k] = v.clone();
        }
        r
    };
    let v = t.ok("FilterLogEvents", f(json!({}))).await;
    assert_eq!(messages(&v).len(), 5);
    let streams: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["logStreamName"].as_str().unwrap())
        .collect();
    assert_eq!(streams, ["web-1", "web-2", "web-1", "web-2", "db"]);
    assert_eq!(v["events"][0]["eventId"].as_str().unwrap().len(), 56);
    assert_eq!(v["searchedLogStreams"].as_array().unwrap().len(), 3);

    let v = t
        .ok("FilterLogEvents", f(json!({"filterPattern": "ERROR"})))
        .await;
    assert_eq!(
        messages(&v),
        ["ERROR disk full", r#"{"level":"ERROR","latency":250}"#]
    );
    let v = t
        .ok(
            "FilterLogEvents",
            f(json!({"filterPattern": "{ $.latency > 100 }"})),
        )
        .await;
    assert_eq!(messages(&v), [r#"{"level":"ERROR","latency":250}"#]);
    let v = t
        .ok(
            "FilterLogEvents",
            f(json!({"filterPattern": "?WARN ?\"disk full\""})),
        )
        .await;
    assert_eq!(messages(&v), ["ERROR disk full", "WARN slow query"]);
    let v = t
        .ok(
            "FilterLogEvents",
            f(json!({"filterPattern": "", "logStreamNamePrefix": "web"})),
        )
        .await;
    assert_eq!(messages(&v).len(), 4);
    let v = t
        .ok(
            "FilterLogEvents",
            f(json!({"logStreamNames": ["db", "missing"]})),
        )
        .await;
    assert_eq!(messages(&v), ["WARN slow query"]);
    let v = t
        .ok(
            "FilterLogEvents",
            f(json!({"startTime": n + 1, "endTime": n + 3})),
        )
        .await;
    assert_eq!(
        messages(&v),
        ["INFO ok", r#"{"level":"ERROR","latency":250}"#]
    );
    let v = t
        .ok(
            "FilterLogEvents",
            f(json!({"filterPattern": "[level, ...]"})),
        )
        .await;
    assert_eq!(messages(&v).len(), 5);
    let v = t
        .ok(
            "FilterLogEvents",
            f(json!({"filterPattern": "[w = WARN, ...]"})),
        )
        .await;
    assert_eq!(messages(&v), ["WARN slow query"]);

    // pages of two cover everything exactly once, in order
    let mut seen = Vec::new();
    let mut r = f(json!({"limit": 2}));
    for _ in 0..10 {
        let v = t.ok("FilterLogEvents", r.clone()).await;
        seen.extend(messages(&v));
        match v.get("nextToken") {
            Some(tk) => r["nextToken"] = tk.clone(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen[0], "ERROR disk full");
    assert_eq!(seen[4], "WARN slow query");

    let (code, _) = t
        .err("FilterLogEvents", f(json!({"filterPattern": "{ $.a = }"})))
        .await;
    assert_eq!(code, "InvalidParameterException");
    let (code, _) = t
        .err(
            "FilterLogEvents",
            f(json!({"logStreamNames": ["a"], "logStreamNamePrefix": "a"})),
        )
        .await;
    assert_eq!(code, "InvalidParameterException");
    let (code, msg) = t
        .err("FilterLogEvents", json!({"logGroupName": "nope"}))
        .await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "The specified log group does not exist."
        )
    );
}

#[tokio::test]
async fn delete_group_removes_streams_and_events() {
    let t = T::new();
    t.group_and_stream("g", "s").await;
    t.put("g", "s", &[(now(), "x")]).await;
    t.ok("DeleteLogGroup", json!({"logGroupName": "g"})).await;
    t.group_and_stream("g", "s").await;
    let v = t
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s"}),
        )
        .await;
    assert_eq!(messages(&v), Vec::<String>::new());
}

#[tokio::test]
async fn concurrent_puts_lose_nothing() {
    let t = Arc::new(T::new());
    t.group_and_stream("g", "s").await;
    let mut tasks = Vec::new();
    for w in 0..8 {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                t.put("g", "s", &[(now(), &format!("w{w}-{i}"))]).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let v = t
        .ok(
            "GetLogEvents",
            json!({"logGroupName": "g", "logStreamName": "s"}),
        )
        .await;
    assert_eq!(messages(&v).len(), 80);
    let d = t
        .ok("DescribeLogStreams", json!({"logGroupName": "g"}))
        .await;
    let bytes: usize = messages(&v).iter().map(|m| m.len()).sum();
    assert_eq!(d["logStreams"][0]["storedBytes"], bytes);
}
