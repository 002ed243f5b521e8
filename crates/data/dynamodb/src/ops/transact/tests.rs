//! TransactWriteItems and TransactGetItems against a MemoryStore.

use crate::ops::query::tests::{db, err, hash_table, ok, op, put};
use serde_json::{Value, json};

fn key(pk: &str) -> Value {
    json!({"pk": {"S": pk}})
}

async fn get(db: &crate::DynamoDb, pk: &str) -> Value {
    ok(db, "GetItem", json!({"TableName": "h", "Key": key(pk)})).await["Item"].clone()
}

#[tokio::test]
async fn transact_write_applies_every_action_kind() {
    let db = db();
    hash_table(&db, "h").await;
    put(&db, "h", json!({"pk": {"S": "upd"}, "n": {"N": "1"}})).await;
    put(&db, "h", json!({"pk": {"S": "del"}})).await;
    put(&db, "h", json!({"pk": {"S": "chk"}, "ok": {"BOOL": true}})).await;
    let r = ok(&db, "TransactWriteItems", json!({"TransactItems": [
        {"Put": {"TableName": "h", "Item": {"pk": {"S": "put"}}, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": "h", "Key": key("upd"), "UpdateExpression": "SET n = n + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Delete": {"TableName": "h", "Key": key("del")}},
        {"ConditionCheck": {"TableName": "h", "Key": key("chk"), "ConditionExpression": "ok = :t", "ExpressionAttributeValues": {":t": {"BOOL": true}}}},
    ], "ReturnConsumedCapacity": "TOTAL"})).await;
    assert_eq!(get(&db, "put").await, json!({"pk": {"S": "put"}}));
    assert_eq!(get(&db, "upd").await["n"], json!({"N": "2"}));
    assert_eq!(get(&db, "del").await, Value::Null);
    // four actions of one unit each (a ConditionCheck is charged as a write), doubled
    assert_eq!(
        r["ConsumedCapacity"],
        json!([{"TableName": "h", "CapacityUnits": 8.0}])
    );
}

#[tokio::test]
async fn a_failed_condition_cancels_everything_with_reasons_in_order() {
    let db = db();
    hash_table(&db, "h").await;
    put(&db, "h", json!({"pk": {"S": "a"}, "n": {"N": "1"}})).await;
    put(
        &db,
        "h",
        json!({"pk": {"S": "b"}, "n": {"N": "1"}, "o": {"S": "x"}}),
    )
    .await;
    let e = op(&db, "TransactWriteItems", json!({"TransactItems": [
        {"Update": {"TableName": "h", "Key": key("a"), "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
        {"Delete": {"TableName": "h", "Key": key("b"), "ConditionExpression": "n = :five", "ExpressionAttributeValues": {":five": {"N": "5"}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Put": {"TableName": "h", "Item": {"pk": {"S": "c"}}}},
    ]})).await.expect_err("cancelled");
    assert_eq!(e.code.shape, "TransactionCanceledException");
    assert_eq!(
        e.message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]"
    );
    let fields = e.fields.as_ref().expect("fields");
    assert_eq!(
        fields["CancellationReasons"],
        json!([
            {"Code": "None"},
            {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
             "Item": {"pk": {"S": "b"}, "n": {"N": "1"}, "o": {"S": "x"}}},
            {"Code": "None"},
        ])
    );
    assert_eq!(get(&db, "a").await["n"], json!({"N": "1"}));
    assert_eq!(get(&db, "c").await, Value::Null);
}

#[tokio::test]
async fn transact_write_request_errors() {
    let db = db();
    hash_table(&db, "h").await;
    let cases = [
        (
            json!({"TransactItems": [
            {"Put": {"TableName": "h", "Item": {"pk": {"S": "same"}}}},
            {"Update": {"TableName": "h", "Key": key("same"), "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"N": "2"}}}}]}),
            "ValidationException",
            "Transaction request cannot include multiple operations on one item",
        ),
        (
            json!({"TransactItems": [
            {"Put": {"TableName": "h", "Item": {"pk": {"S": "a"}}}},
            {"Put": {"TableName": "missing", "Item": {"pk": {"S": "a"}}}}]}),
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
        (
            json!({"TransactItems": [{"Delete": {"TableName": "h", "Key": {"pk": {"N": "1"}}}}]}),
            "ValidationException",
            "The provided key element does not match the schema",
        ),
        (
            json!({"TransactItems": [{"Update": {"TableName": "h", "Key": key("a"), "UpdateExpression": "SET pk = :v", "ExpressionAttributeValues": {":v": {"S": "b"}}}}]}),
            "ValidationException",
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
        ),
    ];
    for (input, code, msg) in cases {
        assert_eq!(
            err(&db, "TransactWriteItems", input.clone()).await,
            (code.to_string(), msg.to_string()),
            "{input}"
        );
    }
    assert_eq!(get(&db, "a").await, Value::Null);
    assert_eq!(get(&db, "same").await, Value::Null);
}

#[tokio::test]
async fn client_request_token_makes_a_transaction_idempotent() {
    let db = db();
    hash_table(&db, "h").await;
    let req = |by: &str| {
        json!({"TransactItems": [{"Update": {"TableName": "h", "Key": key("ctr"), "UpdateExpression": "ADD n :by",
        "ExpressionAttributeValues": {":by": {"N": by}}}}], "ClientRequestToken": "tok-1"})
    };
    ok(&db, "TransactWriteItems", req("1")).await;
    ok(&db, "TransactWriteItems", req("1")).await;
    assert_eq!(get(&db, "ctr").await["n"], json!({"N": "1"}));
    assert_eq!(
        err(&db, "TransactWriteItems", req("2")).await,
        (
            "IdempotentParameterMismatchException".to_string(),
            "Token already used with different request".to_string()
        )
    );
    assert_eq!(get(&db, "ctr").await["n"], json!({"N": "1"}));
    // another token applies again
    let mut other = req("1");
    other["ClientRequestToken"] = json!("tok-2");
    ok(&db, "TransactWriteItems", other).await;
    assert_eq!(get(&db, "ctr").await["n"], json!({"N": "2"}));
}

#[tokio::test]
async fn transact_get_answers_in_order_with_projection_and_doubled_capacity() {
    let db = db();
    hash_table(&db, "h").await;
    put(
        &db,
        "h",
        json!({"pk": {"S": "a"}, "v": {"N": "1"}, "w": {"N": "2"}}),
    )
    .await;
    let r = ok(
        &db,
        "TransactGetItems",
        json!({"TransactItems": [
        {"Get": {"TableName": "h", "Key": key("a")}},
        {"Get": {"TableName": "h", "Key": key("absent")}},
        {"Get": {"TableName": "h", "Key": key("a2"), "ProjectionExpression": "w"}},
    ], "ReturnConsumedCapacity": "TOTAL"}),
    )
    .await;
    assert_eq!(
        r["Responses"],
        json!([{"Item": {"pk": {"S": "a"}, "v": {"N": "1"}, "w": {"N": "2"}}}, {}, {}])
    );
    assert_eq!(
        r["ConsumedCapacity"],
        json!([{"TableName": "h", "CapacityUnits": 6.0}])
    );
    let r = ok(&db, "TransactGetItems", json!({"TransactItems": [
        {"Get": {"TableName": "h", "Key": key("a"), "ProjectionExpression": "#w", "ExpressionAttributeNames": {"#w": "w"}}}]})).await;
    assert_eq!(r["Responses"], json!([{"Item": {"w": {"N": "2"}}}]));
    assert_eq!(
        err(
            &db,
            "TransactGetItems",
            json!({"TransactItems": [{"Get": {"TableName": "missing", "Key": key("a")}}]})
        )
        .await
        .0,
        "ResourceNotFoundException"
    );
    assert_eq!(err(&db, "TransactGetItems", json!({"TransactItems": [{"Get": {"TableName": "h", "Key": key("a")}}, {"Get": {"TableName": "h", "Key": key("a")}}]})).await.1,
        "Transaction request cannot include multiple operations on one item");
}
