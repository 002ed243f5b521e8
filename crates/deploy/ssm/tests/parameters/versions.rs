//! Versions, labels, the 100-version limit, and concurrent writers.

use super::*;

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
