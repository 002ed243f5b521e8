//! BatchGetItem and BatchWriteItem against a MemoryStore.

use crate::ops::query::tests::{db, err, hash_table, ok, put, sorted_table};
use serde_json::{Value, json};

fn key(pk: &str) -> Value {
    json!({"pk": {"S": pk}})
}

#[tokio::test]
async fn batch_write_then_get_across_tables_with_capacity() {
    let db = db();
    hash_table(&db, "h").await;
    sorted_table(&db, "t").await;
    let puts: Vec<Value> = (0..3)
        .map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("k{i}")}, "n": {"N": i.to_string()}}}}))
        .collect();
    let r = ok(&db, "BatchWriteItem", json!({"RequestItems": {
        "h": puts,
        "t": [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g"}, "gs": {"N": "1"}}}}],
    }, "ReturnConsumedCapacity": "TOTAL"})).await;
    assert_eq!(r["UnprocessedItems"], json!({}));
    assert_eq!(
        r["ConsumedCapacity"][0],
        json!({"TableName": "h", "CapacityUnits": 3.0})
    );
    // the table write and two index entries (KEYS_ONLY g, ALL all)
    assert_eq!(
        r["ConsumedCapacity"][1],
        json!({"TableName": "t", "CapacityUnits": 3.0})
    );
    // the index entries were written with the item
    let q = ok(
        &db,
        "Query",
        json!({"TableName": "t", "IndexName": "g", "KeyConditionExpression": "gk = :g",
        "ExpressionAttributeValues": {":g": {"S": "g"}}}),
    )
    .await;
    assert_eq!(q["Count"], 1);
    let r = ok(&db, "BatchGetItem", json!({"RequestItems": {
        "h": {"Keys": [key("k0"), key("k2"), key("absent")], "ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": "n"}, "ConsistentRead": true},
        "t": {"Keys": [{"pk": {"S": "a"}, "sk": {"N": "1"}}], "AttributesToGet": ["pk"]},
    }, "ReturnConsumedCapacity": "TOTAL"})).await;
    assert_eq!(
        r["Responses"]["h"],
        json!([{"n": {"N": "0"}}, {"n": {"N": "2"}}])
    );
    assert_eq!(r["Responses"]["t"], json!([{"pk": {"S": "a"}}]));
    assert_eq!(r["UnprocessedKeys"], json!({}));
    assert_eq!(
        r["ConsumedCapacity"][0],
        json!({"TableName": "h", "CapacityUnits": 3.0})
    );
    assert_eq!(
        r["ConsumedCapacity"][1],
        json!({"TableName": "t", "CapacityUnits": 0.5})
    );
}

#[tokio::test]
async fn batch_write_deletes_and_checks_everything_before_writing() {
    let db = db();
    hash_table(&db, "h").await;
    put(&db, "h", json!({"pk": {"S": "old"}})).await;
    ok(
        &db,
        "BatchWriteItem",
        json!({"RequestItems": {"h": [
            {"DeleteRequest": {"Key": key("old")}},
            {"DeleteRequest": {"Key": key("never")}},
            {"PutRequest": {"Item": {"pk": {"S": "new"}}}},
        ]}}),
    )
    .await;
    let r = ok(
        &db,
        "BatchGetItem",
        json!({"RequestItems": {"h": {"Keys": [key("old"), key("new")]}}}),
    )
    .await;
    assert_eq!(r["Responses"]["h"], json!([{"pk": {"S": "new"}}]));
    let cases = [
        (
            json!({"RequestItems": {"h": [{"PutRequest": {"Item": {"pk": {"S": "x"}, "v": {"N": "1"}}}}, {"DeleteRequest": {"Key": key("x")}}]}}),
            "ValidationException",
            "Provided list of item keys contains duplicates",
        ),
        (
            json!({"RequestItems": {"h": [{"PutRequest": {"Item": {"pk": {"S": "good"}}}}, {"PutRequest": {"Item": {"pk": {"N": "1"}}}}]}}),
            "ValidationException",
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N",
        ),
        (
            json!({"RequestItems": {"h": [{"PutRequest": {"Item": {"pk": {"S": "good"}}}}], "missing": [{"DeleteRequest": {"Key": key("a")}}]}}),
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
        (
            json!({"RequestItems": {"h": (0..13).map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("a{i}")}}}})).collect::<Vec<_>>(),
                                 "h2": (0..13).map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("b{i}")}}}})).collect::<Vec<_>>()}}),
            "ValidationException",
            "Too many items requested for the BatchWriteItem call",
        ),
    ];
    for (input, code, msg) in cases {
        assert_eq!(
            err(&db, "BatchWriteItem", input.clone()).await,
            (code.to_string(), msg.to_string()),
            "{input}"
        );
    }
    let r = ok(
        &db,
        "BatchGetItem",
        json!({"RequestItems": {"h": {"Keys": [key("x"), key("good")]}}}),
    )
    .await;
    assert_eq!(
        r["Responses"]["h"],
        json!([]),
        "a rejected batch writes nothing"
    );
}

#[tokio::test]
async fn batch_get_errors_read_as_aws_words_them() {
    let db = db();
    hash_table(&db, "h").await;
    hash_table(&db, "h2").await;
    let keys = |n: usize| (0..n).map(|i| key(&format!("k{i}"))).collect::<Vec<_>>();
    let cases = [
        (
            json!({"RequestItems": {"h": {"Keys": keys(100)}, "h2": {"Keys": keys(1)}}}),
            "ValidationException",
            "Too many items requested for the BatchGetItem call",
        ),
        (
            json!({"RequestItems": {"h": {"Keys": [key("a"), key("a")]}}}),
            "ValidationException",
            "Provided list of item keys contains duplicates",
        ),
        (
            json!({"RequestItems": {"h": {"Keys": [{"pk": {"N": "1"}}]}}}),
            "ValidationException",
            "The provided key element does not match the schema",
        ),
        (
            json!({"RequestItems": {"missing": {"Keys": [key("a")]}}}),
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
    ];
    for (input, code, msg) in cases {
        assert_eq!(
            err(&db, "BatchGetItem", input.clone()).await,
            (code.to_string(), msg.to_string()),
            "{input}"
        );
    }
    let r = ok(
        &db,
        "BatchGetItem",
        json!({"RequestItems": {"h": {"Keys": keys(100)}}}),
    )
    .await;
    assert_eq!(r["Responses"]["h"], json!([]));
}

#[tokio::test]
async fn batch_get_leaves_keys_past_16_megabytes_unprocessed() {
    let db = db();
    hash_table(&db, "h").await;
    let blob = "x".repeat(390 * 1024);
    for i in 0..50 {
        put(
            &db,
            "h",
            json!({"pk": {"S": format!("k{i:02}")}, "v": {"S": blob}}),
        )
        .await;
    }
    let keys: Vec<Value> = (0..50).map(|i| key(&format!("k{i:02}"))).collect();
    let r = ok(
        &db,
        "BatchGetItem",
        json!({"RequestItems": {"h": {"Keys": keys, "ProjectionExpression": "pk"}}}),
    )
    .await;
    let got = r["Responses"]["h"].as_array().map_or(0, Vec::len);
    let left = r["UnprocessedKeys"]["h"]["Keys"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(got + left, 50);
    assert_eq!(got, 43, "16 MB / 390 KB items");
    assert_eq!(r["UnprocessedKeys"]["h"]["ProjectionExpression"], "pk");
}
