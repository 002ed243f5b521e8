//! Query and Scan against a MemoryStore, asserting what a client sees: items in order,
//! counts, `LastEvaluatedKey`, capacity, or the error code and message.

use crate::DynamoDb;
use lamina_core::{AwsError, RequestContext};
use serde_json::{Value, json};
use std::sync::Arc;

pub(crate) fn ctx() -> RequestContext {
    RequestContext {
        request_id: "r".into(),
        account_id: "000000000000".into(),
        region: "us-east-1".into(),
        access_key_id: String::new(),
        endpoint: "http://localhost:4566".into(),
    }
}

pub(crate) fn db() -> Arc<DynamoDb> {
    DynamoDb::new(
        lamina_storage_memory::MemoryStore::new(),
        Default::default(),
    )
}

/// Runs any operation.
pub(crate) async fn op(db: &DynamoDb, name: &str, input: Value) -> Result<Value, AwsError> {
    crate::ops::call(db, &ctx(), name, input)
        .await
        .map_err(AwsError::from)
}

pub(crate) async fn ok(db: &DynamoDb, name: &str, input: Value) -> Value {
    match op(db, name, input).await {
        Ok(v) => v,
        Err(e) => panic!("{name} failed: {} {}", e.code.shape, e.message),
    }
}

/// The error's (code, message).
pub(crate) async fn err(db: &DynamoDb, name: &str, input: Value) -> (String, String) {
    match op(db, name, input).await {
        Ok(v) => panic!("{name} succeeded: {v}"),
        Err(e) => (e.code.shape.to_string(), e.message.clone()),
    }
}

/// A table `t` keyed by pk (S) and sk (N), with a GSI `g` (gk S, gs N; KEYS_ONLY), a GSI
/// `all` (gk S, ALL) and an LSI `l` (pk, n N; KEYS_ONLY).
pub(crate) async fn sorted_table(db: &DynamoDb, name: &str) {
    ok(db, "CreateTable", json!({
        "TableName": name,
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "gk", "AttributeType": "S"},
            {"AttributeName": "gs", "AttributeType": "N"},
            {"AttributeName": "n", "AttributeType": "N"}
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [
            {"IndexName": "g", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}, {"AttributeName": "gs", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}},
            {"IndexName": "all", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}}
        ],
        "LocalSecondaryIndexes": [
            {"IndexName": "l", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
             "Projection": {"ProjectionType": "KEYS_ONLY"}}
        ],
        "BillingMode": "PAY_PER_REQUEST",
    })).await;
}

pub(crate) async fn hash_table(db: &DynamoDb, name: &str) {
    ok(
        db,
        "CreateTable",
        json!({
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    )
    .await;
}

pub(crate) async fn put(db: &DynamoDb, table: &str, item: Value) {
    ok(db, "PutItem", json!({"TableName": table, "Item": item})).await;
}

/// sk in -10, 0, 1.5, 2, 10, 100 under pk "p" (written out of order), and one item in "q".
async fn numbers() -> Arc<DynamoDb> {
    let db = db();
    sorted_table(&db, "t").await;
    for sk in ["10", "2", "-10", "100", "1.5", "0"] {
        put(
            &db,
            "t",
            json!({"pk": {"S": "p"}, "sk": {"N": sk}, "v": {"N": sk}}),
        )
        .await;
    }
    put(&db, "t", json!({"pk": {"S": "q"}, "sk": {"N": "1"}})).await;
    db
}

fn sks(r: &Value) -> Vec<String> {
    r["Items"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["sk"]["N"].as_str().unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn q(db: &DynamoDb, cond: &str, values: Value, extra: Value) -> Value {
    let mut input = json!({"TableName": "t", "KeyConditionExpression": cond, "ExpressionAttributeValues": values});
    if let (Some(m), Some(e)) = (input.as_object_mut(), extra.as_object()) {
        m.extend(e.clone());
    }
    ok(db, "Query", input).await
}

#[tokio::test]
async fn query_key_conditions_select_ranges_in_numeric_order() {
    let db = numbers().await;
    let p = json!({"S": "p"});
    let n = |x: &str| json!({"N": x});
    let cases: &[(&str, Value, &[&str])] = &[
        (
            "pk = :p",
            json!({":p": p}),
            &["-10", "0", "1.5", "2", "10", "100"],
        ),
        (
            "pk = :p AND sk = :a",
            json!({":p": p, ":a": n("2")}),
            &["2"],
        ),
        (
            "pk = :p AND sk < :a",
            json!({":p": p, ":a": n("2")}),
            &["-10", "0", "1.5"],
        ),
        (
            "pk = :p AND sk <= :a",
            json!({":p": p, ":a": n("2")}),
            &["-10", "0", "1.5", "2"],
        ),
        (
            "pk = :p AND sk > :a",
            json!({":p": p, ":a": n("2")}),
            &["10", "100"],
        ),
        (
            "pk = :p AND sk >= :a",
            json!({":p": p, ":a": n("2")}),
            &["2", "10", "100"],
        ),
        (
            "pk = :p AND :a < sk",
            json!({":p": p, ":a": n("2")}),
            &["10", "100"],
        ),
        (
            "pk = :p AND sk BETWEEN :a AND :b",
            json!({":p": p, ":a": n("0"), ":b": n("10")}),
            &["0", "1.5", "2", "10"],
        ),
        (
            "pk = :p AND sk BETWEEN :a AND :a",
            json!({":p": p, ":a": n("-10")}),
            &["-10"],
        ),
        (
            "pk = :p AND sk > :a",
            json!({":p": p, ":a": n("1000")}),
            &[],
        ),
    ];
    for (cond, values, want) in cases {
        let r = q(&db, cond, values.clone(), json!({})).await;
        assert_eq!(sks(&r), *want, "{cond}");
        assert_eq!(r["Count"], want.len(), "{cond}");
        assert!(r.get("LastEvaluatedKey").is_none(), "{cond}");
    }
    let r = q(
        &db,
        "pk = :p",
        json!({":p": p}),
        json!({"ScanIndexForward": false}),
    )
    .await;
    assert_eq!(sks(&r), ["100", "10", "2", "1.5", "0", "-10"]);
}

#[tokio::test]
async fn query_begins_with_and_bytewise_string_order() {
    let db = db();
    ok(&db, "CreateTable", json!({
        "TableName": "s",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST",
    })).await;
    let words = [
        "b",
        "a",
        "ab",
        "B",
        "é",
        "a\u{0}",
        "aa",
        "\u{ff5a}",
        "\u{1F600}",
    ];
    for w in words {
        put(&db, "s", json!({"pk": {"S": "p"}, "sk": {"S": w}})).await;
    }
    let r = ok(
        &db,
        "Query",
        json!({"TableName": "s", "KeyConditionExpression": "pk = :p AND begins_with(sk, :a)",
        "ExpressionAttributeValues": {":p": {"S": "p"}, ":a": {"S": "a"}}}),
    )
    .await;
    let got: Vec<&str> = r["Items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["sk"]["S"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(got, ["a", "a\u{0}", "aa", "ab"]);
    let r = ok(
        &db,
        "Query",
        json!({"TableName": "s", "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p"}}}),
    )
    .await;
    let got: Vec<&str> = r["Items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["sk"]["S"].as_str()).collect())
        .unwrap_or_default();
    let mut want = words.to_vec();
    want.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(got, want);
}

#[tokio::test]
async fn query_limit_counts_before_the_filter_and_pages_resume() {
    let db = numbers().await;
    let vals = json!({":p": {"S": "p"}, ":z": {"N": "1"}});
    let r = q(
        &db,
        "pk = :p",
        vals.clone(),
        json!({"FilterExpression": "v > :z", "Limit": 3}),
    )
    .await;
    assert_eq!(sks(&r), ["1.5"]);
    assert_eq!(
        (r["Count"].clone(), r["ScannedCount"].clone()),
        (json!(1), json!(3))
    );
    assert_eq!(
        r["LastEvaluatedKey"],
        json!({"pk": {"S": "p"}, "sk": {"N": "1.5"}})
    );
    let r = q(
        &db,
        "pk = :p",
        vals.clone(),
        json!({"FilterExpression": "v > :z", "ExclusiveStartKey": r["LastEvaluatedKey"]}),
    )
    .await;
    assert_eq!(sks(&r), ["2", "10", "100"]);
    assert_eq!(r["ScannedCount"], 3);
    // backwards from a start key
    let r = q(
        &db,
        "pk = :p",
        json!({":p": {"S": "p"}}),
        json!({"ScanIndexForward": false, "Limit": 2,
        "ExclusiveStartKey": {"pk": {"S": "p"}, "sk": {"N": "2"}}}),
    )
    .await;
    assert_eq!(sks(&r), ["1.5", "0"]);
    assert_eq!(r["LastEvaluatedKey"]["sk"]["N"], "0");
}

#[tokio::test]
async fn query_select_count_and_projection() {
    let db = numbers().await;
    let vals = json!({":p": {"S": "p"}, ":z": {"N": "1"}});
    let r = q(
        &db,
        "pk = :p",
        vals,
        json!({"FilterExpression": "v > :z", "Select": "COUNT"}),
    )
    .await;
    assert!(r.get("Items").is_none());
    assert_eq!(
        (r["Count"].clone(), r["ScannedCount"].clone()),
        (json!(4), json!(6))
    );
    let r = q(
        &db,
        "pk = :p AND sk = :a",
        json!({":p": {"S": "p"}, ":a": {"N": "2"}}),
        json!({"ProjectionExpression": "v"}),
    )
    .await;
    assert_eq!(r["Items"], json!([{"v": {"N": "2"}}]));
}

#[tokio::test]
async fn query_errors_read_as_aws_words_them() {
    let db = numbers().await;
    let base = |extra: Value| {
        let mut v = json!({"TableName": "t", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}});
        if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        v
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"TableName": "t", "KeyConditionExpression": "sk = :a", "ExpressionAttributeValues": {":a": {"N": "1"}}}),
            "Query condition missed key schema element: pk",
        ),
        (
            json!({"TableName": "t", "KeyConditionExpression": "pk = :p AND sk = :a", "ExpressionAttributeValues": {":p": {"S": "p"}, ":a": {"S": "x"}}}),
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ),
        (
            base(json!({"IndexName": "nope"})),
            "The table does not have the specified index: nope",
        ),
        (
            json!({"TableName": "t", "IndexName": "g", "KeyConditionExpression": "gk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}, "ConsistentRead": true}),
            "Consistent reads are not supported on global secondary indexes",
        ),
        (
            json!({"TableName": "t", "IndexName": "g", "KeyConditionExpression": "gk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}, "Select": "ALL_ATTRIBUTES"}),
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index g because its projection type is not ALL",
        ),
        (
            base(json!({"Select": "SPECIFIC_ATTRIBUTES"})),
            "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
        ),
        (
            base(json!({"Select": "ALL_ATTRIBUTES", "ProjectionExpression": "v"})),
            "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES",
        ),
        (
            base(json!({"Select": "COUNT", "ProjectionExpression": "v"})),
            "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get only the Count",
        ),
        (
            base(json!({"Select": "ALL_PROJECTED_ATTRIBUTES"})),
            "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        ),
        (
            json!({"TableName": "t", "KeyConditionExpression": "pk = :p", "FilterExpression": "sk > :a", "ExpressionAttributeValues": {":p": {"S": "p"}, ":a": {"N": "1"}}}),
            "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
        ),
        (
            base(json!({"ExclusiveStartKey": {"pk": {"S": "p"}}})),
            "The provided starting key is invalid: The provided key element does not match the schema",
        ),
        (
            base(json!({"ExclusiveStartKey": {"pk": {"S": "p"}, "sk": {"S": "x"}}})),
            "The provided starting key is invalid: The provided key element does not match the schema",
        ),
        (
            json!({"TableName": "t", "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ExpressionAttributeValues": {":p": {"S": "p"}, ":a": {"N": "10"}, ":b": {"N": "0"}}}),
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:0}",
        ),
        (
            json!({"TableName": "t"}),
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ),
    ];
    for (input, msg) in cases {
        let got = err(&db, "Query", input.clone()).await;
        assert_eq!(
            got,
            ("ValidationException".to_string(), msg.to_string()),
            "{input}"
        );
    }
    let (code, msg) = err(&db, "Query", json!({"TableName": "missing", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "p"}}})).await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("ResourceNotFoundException", "Requested resource not found")
    );
}

#[tokio::test]
async fn query_pages_stop_at_one_megabyte() {
    let db = db();
    sorted_table(&db, "t").await;
    let blob = "x".repeat(100 * 1024);
    for i in 0..15 {
        put(
            &db,
            "t",
            json!({"pk": {"S": "big"}, "sk": {"N": i.to_string()}, "v": {"S": blob}}),
        )
        .await;
    }
    let first = q(&db, "pk = :p", json!({":p": {"S": "big"}}), json!({})).await;
    // 11 items of ~100 KB reach 1 MB
    assert_eq!(first["Count"], 11);
    assert_eq!(first["LastEvaluatedKey"]["sk"]["N"], "10");
    let rest = q(
        &db,
        "pk = :p",
        json!({":p": {"S": "big"}}),
        json!({"ExclusiveStartKey": first["LastEvaluatedKey"]}),
    )
    .await;
    assert_eq!(sks(&rest), ["11", "12", "13", "14"]);
    assert!(rest.get("LastEvaluatedKey").is_none());
}

async fn indexed() -> Arc<DynamoDb> {
    let db = db();
    sorted_table(&db, "t").await;
    let items = [
        json!({"pk": {"S": "1"}, "sk": {"N": "1"}, "gk": {"S": "g"}, "gs": {"N": "3"}, "n": {"N": "30"}, "a": {"S": "a1"}}),
        json!({"pk": {"S": "1"}, "sk": {"N": "2"}, "gk": {"S": "g"}, "gs": {"N": "1"}, "n": {"N": "10"}, "a": {"S": "a2"}}),
        json!({"pk": {"S": "1"}, "sk": {"N": "3"}, "gk": {"S": "h"}, "gs": {"N": "2"}, "a": {"S": "a3"}}),
        json!({"pk": {"S": "2"}, "sk": {"N": "1"}, "a": {"S": "sparse"}}),
    ];
    for i in items {
        put(&db, "t", i).await;
    }
    db
}

#[tokio::test]
async fn gsi_queries_use_index_order_projection_and_positions() {
    let db = indexed().await;
    let r = ok(
        &db,
        "Query",
        json!({"TableName": "t", "IndexName": "g", "KeyConditionExpression": "gk = :g",
        "ExpressionAttributeValues": {":g": {"S": "g"}}, "Limit": 1}),
    )
    .await;
    assert_eq!(
        r["Items"],
        json!([{"pk": {"S": "1"}, "sk": {"N": "2"}, "gk": {"S": "g"}, "gs": {"N": "1"}}])
    );
    let lek = r["LastEvaluatedKey"].clone();
    assert_eq!(
        lek,
        json!({"pk": {"S": "1"}, "sk": {"N": "2"}, "gk": {"S": "g"}, "gs": {"N": "1"}})
    );
    let r = ok(
        &db,
        "Query",
        json!({"TableName": "t", "IndexName": "g", "KeyConditionExpression": "gk = :g",
        "ExpressionAttributeValues": {":g": {"S": "g"}}, "ExclusiveStartKey": lek}),
    )
    .await;
    assert_eq!(sks(&r), ["1"]);
    let r = ok(&db, "Scan", json!({"TableName": "t", "IndexName": "all"})).await;
    assert_eq!(r["Count"], 3, "sparse: the item without gk is in no index");
    assert_eq!(
        r["Items"][0]["a"]["S"].as_str().map(|s| s.starts_with('a')),
        Some(true)
    );
    let (_, msg) = err(&db, "Query", json!({"TableName": "t", "IndexName": "g", "KeyConditionExpression": "gk = :g",
        "ExpressionAttributeValues": {":g": {"S": "g"}}, "ExclusiveStartKey": {"gk": {"S": "g"}, "gs": {"N": "1"}}})).await;
    assert_eq!(
        msg,
        "Exclusive Start Key must have same size as table's key schema"
    );
}

#[tokio::test]
async fn lsi_queries_fetch_unprojected_attributes_from_the_table() {
    let db = indexed().await;
    let r = ok(
        &db,
        "Query",
        json!({"TableName": "t", "IndexName": "l", "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "1"}}, "ConsistentRead": true}),
    )
    .await;
    assert_eq!(
        r["Items"],
        json!([
            {"pk": {"S": "1"}, "sk": {"N": "2"}, "n": {"N": "10"}},
            {"pk": {"S": "1"}, "sk": {"N": "1"}, "n": {"N": "30"}},
        ])
    );
    let r = ok(&db, "Query", json!({"TableName": "t", "IndexName": "l", "KeyConditionExpression": "pk = :p AND n > :x",
        "ExpressionAttributeValues": {":p": {"S": "1"}, ":x": {"N": "15"}}, "Select": "ALL_ATTRIBUTES",
        "ReturnConsumedCapacity": "INDEXES"})).await;
    assert_eq!(r["Items"][0]["a"], json!({"S": "a1"}));
    let cc = &r["ConsumedCapacity"];
    assert_eq!(cc["LocalSecondaryIndexes"]["l"]["CapacityUnits"], 0.5);
    assert_eq!(cc["Table"]["CapacityUnits"], 0.5);
    assert_eq!(cc["CapacityUnits"], 1.0);
    let r = ok(
        &db,
        "Query",
        json!({"TableName": "t", "IndexName": "l", "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "1"}}, "ProjectionExpression": "a"}),
    )
    .await;
    assert_eq!(r["Items"], json!([{"a": {"S": "a2"}}, {"a": {"S": "a1"}}]));
}

#[tokio::test]
async fn parallel_scan_segments_are_disjoint_and_cover_everything() {
    let db = db();
    hash_table(&db, "h").await;
    for i in 0..60 {
        put(&db, "h", json!({"pk": {"S": format!("k{i:03}")}})).await;
    }
    let mut seen = Vec::new();
    for seg in 0..4 {
        let mut start: Option<Value> = None;
        loop {
            let mut input =
                json!({"TableName": "h", "Segment": seg, "TotalSegments": 4, "Limit": 7});
            if let (Some(s), Some(m)) = (&start, input.as_object_mut()) {
                m.insert("ExclusiveStartKey".into(), s.clone());
            }
            let r = ok(&db, "Scan", input).await;
            for i in r["Items"].as_array().into_iter().flatten() {
                seen.push(i["pk"]["S"].as_str().unwrap_or_default().to_string());
            }
            match r.get("LastEvaluatedKey") {
                Some(k) => start = Some(k.clone()),
                None => break,
            }
        }
    }
    seen.sort();
    let before = seen.len();
    seen.dedup();
    assert_eq!((before, seen.len()), (60, 60));
    let errors = [
        (
            json!({"TableName": "h", "Segment": 0}),
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        ),
        (
            json!({"TableName": "h", "TotalSegments": 2}),
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        ),
        (
            json!({"TableName": "h", "Segment": 2, "TotalSegments": 2}),
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 is not less than TotalSegments: 2",
        ),
        (
            json!({"TableName": "h", "Select": "ALL_PROJECTED_ATTRIBUTES"}),
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        ),
    ];
    for (input, msg) in errors {
        assert_eq!(err(&db, "Scan", input).await.1, msg);
    }
}

#[tokio::test]
async fn scan_filters_legacy_forms_and_capacity() {
    let db = db();
    hash_table(&db, "h").await;
    put(&db, "h", json!({"pk": {"S": "a"}, "n": {"N": "1"}})).await;
    put(
        &db,
        "h",
        json!({"pk": {"S": "b"}, "n": {"N": "2"}, "s": {"S": "yes"}}),
    )
    .await;
    put(&db, "h", json!({"pk": {"S": "c"}, "n": {"N": "3"}})).await;
    let r = ok(
        &db,
        "Scan",
        json!({"TableName": "h", "ConditionalOperator": "OR", "ScanFilter": {
        "n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]},
        "s": {"ComparisonOperator": "NOT_NULL"}}, "ReturnConsumedCapacity": "TOTAL"}),
    )
    .await;
    let mut pks: Vec<&str> = r["Items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["pk"]["S"].as_str())
        .collect();
    pks.sort_unstable();
    assert_eq!(pks, ["a", "b"]);
    assert_eq!(r["ScannedCount"], 3);
    assert_eq!(
        r["ConsumedCapacity"],
        json!({"TableName": "h", "CapacityUnits": 0.5})
    );
    // Scan filters may read key attributes; expressions and legacy parameters do not mix
    let r = ok(&db, "Scan", json!({"TableName": "h", "FilterExpression": "pk = :a", "ExpressionAttributeValues": {":a": {"S": "c"}},
        "ProjectionExpression": "n"})).await;
    assert_eq!(r["Items"], json!([{"n": {"N": "3"}}]));
    let (_, msg) = err(
        &db,
        "Scan",
        json!({"TableName": "h", "FilterExpression": "pk = :a",
        "ExpressionAttributeValues": {":a": {"S": "c"}}, "AttributesToGet": ["n"]}),
    )
    .await;
    assert!(
        msg.starts_with(
            "Can not use both expression and non-expression parameters in the same request"
        ),
        "{msg}"
    );
}

/// Throughput note (not a benchmark): one Query page over 10,000 small items of a partition.
/// Run with `cargo nextest run -p lamina-dynamodb -E 'test(query_page_throughput)' --run-ignored only --no-capture`.
#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn query_page_throughput() {
    let db = db();
    sorted_table(&db, "t").await;
    for i in 0..10_000 {
        put(
            &db,
            "t",
            json!({"pk": {"S": "p"}, "sk": {"N": i.to_string()}, "v": {"S": "some value"}}),
        )
        .await;
    }
    let started = std::time::Instant::now();
    let r = q(&db, "pk = :p", json!({":p": {"S": "p"}}), json!({})).await;
    let took = started.elapsed();
    assert_eq!(r["Count"], 10_000);
    println!(
        "query page of 10000 items: {took:?}, {:.0} items/s",
        10_000.0 / took.as_secs_f64()
    );
}
