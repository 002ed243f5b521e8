//! PutItem, GetItem, UpdateItem, DeleteItem against a MemoryStore, asserting what a client
//! sees: the answer, or the error code and message.

use crate::DynamoDb;
use crate::write::tests::{db, indexed_table, op, records};
use serde_json::{Value, json};

async fn err(db: &DynamoDb, name: &str, input: Value) -> (String, String) {
    match op(db, name, input).await {
        Ok(v) => panic!("{name} succeeded: {v}"),
        Err(e) => (e.code.shape.to_string(), e.message.clone()),
    }
}

fn validation(msg: &str) -> (String, String) {
    ("ValidationException".into(), msg.into())
}

async fn simple(db: &DynamoDb) {
    op(
        db,
        "CreateTable",
        json!({
            "TableName": "S",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    )
    .await
    .expect("CreateTable");
}

async fn get(db: &DynamoDb, pk: &str) -> Option<Value> {
    let r = op(
        db,
        "GetItem",
        json!({"TableName": "S", "Key": {"pk": {"S": pk}}, "ConsistentRead": true}),
    )
    .await
    .expect("GetItem");
    r.get("Item").cloned()
}

async fn put(db: &DynamoDb, item: Value) -> Value {
    op(db, "PutItem", json!({"TableName": "S", "Item": item}))
        .await
        .expect("PutItem")
}

#[tokio::test]
async fn items_put_get_delete_round_trip() {
    let db = db();
    simple(&db).await;
    let it =
        json!({"pk": {"S": "a"}, "n": {"N": "1.50"}, "l": {"L": [{"S": ""}]}, "b": {"B": "AAH/"}});
    assert_eq!(put(&db, it).await, json!({}));
    assert_eq!(
        get(&db, "a").await,
        Some(
            json!({"pk": {"S": "a"}, "n": {"N": "1.5"}, "l": {"L": [{"S": ""}]}, "b": {"B": "AAH/"}})
        )
    );
    assert_eq!(get(&db, "nobody").await, None);
    let r = op(
        &db,
        "DeleteItem",
        json!({"TableName": "S", "Key": {"pk": {"S": "a"}}, "ReturnValues": "ALL_OLD"}),
    )
    .await
    .expect("delete");
    assert_eq!(r["Attributes"]["n"], json!({"N": "1.5"}));
    assert_eq!(get(&db, "a").await, None);
    let r = op(
        &db,
        "DeleteItem",
        json!({"TableName": "S", "Key": {"pk": {"S": "a"}}, "ReturnValues": "ALL_OLD"}),
    )
    .await
    .expect("delete of nothing");
    assert_eq!(r, json!({}));
}

#[tokio::test]
async fn items_key_errors_read_as_aws() {
    let db = db();
    simple(&db).await;
    let mismatch = validation("The provided key element does not match the schema");
    assert_eq!(
        err(
            &db,
            "GetItem",
            json!({"TableName": "S", "Key": {"pk": {"N": "1"}}})
        )
        .await,
        mismatch
    );
    assert_eq!(
        err(
            &db,
            "GetItem",
            json!({"TableName": "S", "Key": {"pk": {"S": "a"}, "x": {"S": "b"}}})
        )
        .await,
        mismatch
    );
    assert_eq!(
        err(
            &db,
            "DeleteItem",
            json!({"TableName": "S", "Key": {"nope": {"S": "a"}}})
        )
        .await,
        mismatch
    );
    assert_eq!(
        err(
            &db,
            "PutItem",
            json!({"TableName": "S", "Item": {"pk": {"N": "1"}}})
        )
        .await,
        validation(
            "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
        )
    );
    assert_eq!(
        err(
            &db,
            "PutItem",
            json!({"TableName": "S", "Item": {"x": {"S": "1"}}})
        )
        .await,
        validation("One or more parameter values were invalid: Missing the key pk in the item")
    );
    assert_eq!(
        err(
            &db,
            "PutItem",
            json!({"TableName": "S", "Item": {"pk": {"S": ""}}})
        )
        .await,
        validation(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
        )
    );
    for name in ["PutItem", "GetItem", "UpdateItem", "DeleteItem"] {
        let input =
            json!({"TableName": "Nope", "Item": {"pk": {"S": "a"}}, "Key": {"pk": {"S": "a"}}});
        let mut input = input.as_object().cloned().expect("object");
        input.remove(if name == "PutItem" { "Key" } else { "Item" });
        assert_eq!(
            err(&db, name, Value::Object(input)).await,
            (
                "ResourceNotFoundException".into(),
                "Requested resource not found".into()
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn items_return_values_and_their_errors() {
    let db = db();
    simple(&db).await;
    let r = op(&db, "PutItem", json!({"TableName": "S", "Item": {"pk": {"S": "r"}, "v": {"N": "1"}}, "ReturnValues": "ALL_OLD"}))
        .await
        .expect("put");
    assert_eq!(r, json!({}));
    let r = op(&db, "PutItem", json!({"TableName": "S", "Item": {"pk": {"S": "r"}, "v": {"N": "2"}}, "ReturnValues": "ALL_OLD"}))
        .await
        .expect("put");
    assert_eq!(r["Attributes"], json!({"pk": {"S": "r"}, "v": {"N": "1"}}));
    for op_name in ["PutItem", "DeleteItem"] {
        let e = err(&db, op_name, json!({"TableName": "S", "Item": {"pk": {"S": "r"}}, "Key": {"pk": {"S": "r"}}, "ReturnValues": "ALL_NEW"})
            .as_object()
            .map(|m| {
                let mut m = m.clone();
                m.remove(if op_name == "PutItem" { "Key" } else { "Item" });
                Value::Object(m)
            })
            .expect("object"))
        .await;
        assert_eq!(e, validation("ReturnValues can only be ALL_OLD or NONE"));
    }
    put(&db, json!({"pk": {"S": "u"}, "a": {"N": "1"}, "b": {"S": "keep"}, "c": {"S": "old"}, "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}}})).await;
    let update = |rv: &str| {
        json!({"TableName": "S", "Key": {"pk": {"S": "u"}}, "ReturnValues": rv,
        "UpdateExpression": "SET a = a + :one, d = :new, m.x = :one REMOVE c",
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":new": {"S": "new"}}})
    };
    let r = op(&db, "UpdateItem", update("UPDATED_OLD"))
        .await
        .expect("update");
    assert_eq!(
        r["Attributes"],
        json!({"a": {"N": "1"}, "c": {"S": "old"}, "m": {"M": {"x": {"N": "1"}}}})
    );
    let r = op(&db, "UpdateItem", update("UPDATED_NEW"))
        .await
        .expect("update");
    assert_eq!(
        r["Attributes"],
        json!({"a": {"N": "3"}, "d": {"S": "new"}, "m": {"M": {"x": {"N": "1"}}}})
    );
    let r = op(&db, "UpdateItem", update("ALL_NEW"))
        .await
        .expect("update");
    assert_eq!(r["Attributes"]["a"], json!({"N": "4"}));
    assert_eq!(r["Attributes"]["b"], json!({"S": "keep"}));
    let r = op(&db, "UpdateItem", update("ALL_OLD"))
        .await
        .expect("update");
    assert_eq!(r["Attributes"]["a"], json!({"N": "4"}));
    let r = op(&db, "UpdateItem", update("NONE")).await.expect("update");
    assert_eq!(r, json!({}));
}

#[tokio::test]
async fn items_condition_failures_return_the_old_item_when_asked() {
    let db = db();
    simple(&db).await;
    put(&db, json!({"pk": {"S": "c"}, "v": {"S": "dog"}})).await;
    let input = |rv: &str| {
        json!({"TableName": "S", "Item": {"pk": {"S": "c"}, "v": {"S": "cat"}},
        "ConditionExpression": "v = :x", "ExpressionAttributeValues": {":x": {"S": "cow"}},
        "ReturnValuesOnConditionCheckFailure": rv})
    };
    let e = op(&db, "PutItem", input("ALL_OLD"))
        .await
        .expect_err("condition");
    assert_eq!(e.code.shape, "ConditionalCheckFailedException");
    assert_eq!(e.message, "The conditional request failed");
    assert_eq!(
        e.fields.as_ref().and_then(|f| f.get("Item")),
        Some(&json!({"pk": {"S": "c"}, "v": {"S": "dog"}}))
    );
    let e = op(&db, "PutItem", input("NONE"))
        .await
        .expect_err("condition");
    assert!(e.fields.as_ref().and_then(|f| f.get("Item")).is_none());
    assert_eq!(get(&db, "c").await.expect("item")["v"], json!({"S": "dog"}));
    // on a missing item every attribute is missing
    assert_eq!(
        err(
            &db,
            "DeleteItem",
            json!({"TableName": "S", "Key": {"pk": {"S": "zz"}},
        "ConditionExpression": "attribute_exists(pk)"})
        )
        .await
        .0,
        "ConditionalCheckFailedException"
    );
    op(&db, "PutItem", json!({"TableName": "S", "Item": {"pk": {"S": "n"}}, "ConditionExpression": "attribute_not_exists(pk)"}))
        .await
        .expect("insert-if-absent");
    // legacy Expected
    assert_eq!(
        err(
            &db,
            "PutItem",
            json!({"TableName": "S", "Item": {"pk": {"S": "c"}},
        "Expected": {"v": {"Value": {"S": "cow"}}}})
        )
        .await
        .0,
        "ConditionalCheckFailedException"
    );
    op(&db, "DeleteItem", json!({"TableName": "S", "Key": {"pk": {"S": "c"}}, "ConditionalOperator": "OR",
        "Expected": {"v": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "dog"}]}, "w": {"Exists": true, "Value": {"N": "1"}}}}))
        .await
        .expect("OR of Expected");
    assert_eq!(get(&db, "c").await, None);
}

#[tokio::test]
async fn items_update_rules() {
    let db = db();
    simple(&db).await;
    // creates a missing item, except when it only removes
    op(
        &db,
        "UpdateItem",
        json!({"TableName": "S", "Key": {"pk": {"S": "g"}}, "UpdateExpression": "REMOVE a"}),
    )
    .await
    .expect("remove");
    assert_eq!(get(&db, "g").await, None);
    op(
        &db,
        "UpdateItem",
        json!({"TableName": "S", "Key": {"pk": {"S": "g"}}, "UpdateExpression": "ADD n :five",
        "ExpressionAttributeValues": {":five": {"N": "5"}}}),
    )
    .await
    .expect("add");
    assert_eq!(
        get(&db, "g").await,
        Some(json!({"pk": {"S": "g"}, "n": {"N": "5"}}))
    );
    assert_eq!(
        err(
            &db,
            "UpdateItem",
            json!({"TableName": "S", "Key": {"pk": {"S": "g"}}, "UpdateExpression": "SET pk = :v",
        "ExpressionAttributeValues": {":v": {"S": "x"}}})
        )
        .await,
        validation(
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
        )
    );
    // legacy AttributeUpdates
    op(&db, "UpdateItem", json!({"TableName": "S", "Key": {"pk": {"S": "g"}}, "AttributeUpdates": {
        "n": {"Action": "ADD", "Value": {"N": "2"}}, "s": {"Action": "PUT", "Value": {"SS": ["a"]}}}}))
        .await
        .expect("attribute updates");
    assert_eq!(
        get(&db, "g").await,
        Some(json!({"pk": {"S": "g"}, "n": {"N": "7"}, "s": {"SS": ["a"]}}))
    );
    // size cap after the update
    put(
        &db,
        json!({"pk": {"S": "big"}, "a": {"S": "x".repeat(300 * 1024)}}),
    )
    .await;
    assert_eq!(
        err(
            &db,
            "UpdateItem",
            json!({"TableName": "S", "Key": {"pk": {"S": "big"}}, "UpdateExpression": "SET b = :v",
        "ExpressionAttributeValues": {":v": {"S": "y".repeat(200 * 1024)}}})
        )
        .await,
        validation("Item size to update has exceeded the maximum allowed size")
    );
    assert_eq!(err(&db, "PutItem", json!({"TableName": "S", "Item": {"pk": {"S": "big"}, "a": {"S": "x".repeat(400 * 1024)}}})).await,
        validation("Item size has exceeded the maximum allowed size"));
}

#[tokio::test]
async fn items_expression_names_and_values_are_checked_across_expressions() {
    let db = db();
    simple(&db).await;
    assert_eq!(err(&db, "PutItem", json!({"TableName": "S", "Item": {"pk": {"S": "k"}}, "ConditionExpression": "attribute_not_exists(pk)",
        "ExpressionAttributeValues": {":unused": {"N": "1"}}})).await,
        validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"));
    assert_eq!(
        err(
            &db,
            "GetItem",
            json!({"TableName": "S", "Key": {"pk": {"S": "k"}}, "ProjectionExpression": "#a",
        "ExpressionAttributeNames": {"#a": "a", "#b": "b"}})
        )
        .await,
        validation("Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}")
    );
    // a name used only by the condition counts for the update's request
    op(
        &db,
        "UpdateItem",
        json!({"TableName": "S", "Key": {"pk": {"S": "k"}}, "UpdateExpression": "SET a = :v",
        "ConditionExpression": "attribute_not_exists(#p)", "ExpressionAttributeNames": {"#p": "pk"},
        "ExpressionAttributeValues": {":v": {"N": "1"}}}),
    )
    .await
    .expect("update");
    let (code, msg) = err(
        &db,
        "GetItem",
        json!({"TableName": "S", "Key": {"pk": {"S": "k"}}, "AttributesToGet": ["a"],
        "ProjectionExpression": "a"}),
    )
    .await;
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with("Can not use both expression and non-expression parameters"),
        "{msg}"
    );
    // projections
    put(&db, json!({"pk": {"S": "p"}, "l": {"L": [{"S": "x"}, {"S": "y"}]}, "m": {"M": {"a": {"N": "1"}, "b": {"N": "2"}}}})).await;
    let r = op(&db, "GetItem", json!({"TableName": "S", "Key": {"pk": {"S": "p"}}, "ProjectionExpression": "m.a, l[1], nope"}))
        .await
        .expect("get");
    assert_eq!(
        r["Item"],
        json!({"m": {"M": {"a": {"N": "1"}}}, "l": {"L": [{"S": "y"}]}})
    );
    let r = op(
        &db,
        "GetItem",
        json!({"TableName": "S", "Key": {"pk": {"S": "p"}}, "AttributesToGet": ["pk"]}),
    )
    .await
    .expect("get");
    assert_eq!(r["Item"], json!({"pk": {"S": "p"}}));
}

#[tokio::test]
async fn items_consumed_capacity_and_collection_metrics() {
    let db = db();
    let t = indexed_table(&db).await;
    let r = op(&db, "PutItem", json!({"TableName": "T", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g"},
        "v": {"S": "x".repeat(1500)}}, "ReturnConsumedCapacity": "INDEXES", "ReturnItemCollectionMetrics": "SIZE"}))
        .await
        .expect("put");
    // table: 2 KB → 2 units; the GSI entry (keys only + gk) 1 unit; no LSI entry (no ls)
    assert_eq!(
        r["ConsumedCapacity"],
        json!({"TableName": "T", "CapacityUnits": 3.0, "Table": {"CapacityUnits": 2.0},
        "GlobalSecondaryIndexes": {"byG": {"CapacityUnits": 1.0}}})
    );
    assert_eq!(
        r["ItemCollectionMetrics"]["ItemCollectionKey"],
        json!({"pk": {"S": "a"}})
    );
    let r = op(&db, "GetItem", json!({"TableName": "T", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ReturnConsumedCapacity": "TOTAL"}))
        .await
        .expect("get");
    assert_eq!(
        r["ConsumedCapacity"],
        json!({"TableName": "T", "CapacityUnits": 0.5})
    );
    let r = op(&db, "GetItem", json!({"TableName": "T", "Key": {"pk": {"S": "zz"}, "sk": {"N": "1"}}, "ConsistentRead": true,
        "ReturnConsumedCapacity": "TOTAL"}))
        .await
        .expect("get");
    assert_eq!(r["ConsumedCapacity"]["CapacityUnits"], json!(1.0));
    let r = op(&db, "DeleteItem", json!({"TableName": "T", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ReturnConsumedCapacity": "TOTAL"}))
        .await
        .expect("delete");
    assert_eq!(r["ConsumedCapacity"]["CapacityUnits"], json!(3.0));
    let r = op(
        &db,
        "PutItem",
        json!({"TableName": "T", "Item": {"pk": {"S": "b"}, "sk": {"N": "1"}}}),
    )
    .await
    .expect("put");
    assert_eq!(r, json!({}));
    // a failed condition emits no stream record
    let before = records(&db, &t).await.len();
    let e = op(&db, "UpdateItem", json!({"TableName": "T", "Key": {"pk": {"S": "b"}, "sk": {"N": "1"}}, "UpdateExpression": "SET v = :v",
        "ConditionExpression": "attribute_not_exists(pk)", "ExpressionAttributeValues": {":v": {"N": "1"}}}))
        .await
        .expect_err("condition");
    assert_eq!(e.code.shape, "ConditionalCheckFailedException");
    assert_eq!(records(&db, &t).await.len(), before);
}

/// Every field of `T` is a member of the model shape and every member is read.
fn matches_model<T: for<'de> serde::Deserialize<'de>>(shape: &str) {
    use lamina_model::conformance::{check_struct, struct_fields};
    check_struct::<T>("dynamodb", shape, &[]);
    let model = lamina_model::get("dynamodb").expect("dynamodb model");
    let members = model.shape(shape).expect("shape").members.len();
    assert_eq!(
        struct_fields::<T>().len(),
        members,
        "{shape}: members not read"
    );
}

#[test]
fn items_inputs_match_the_model() {
    use super::input::*;
    matches_model::<PutItemInput>("PutItemInput");
    matches_model::<GetItemInput>("GetItemInput");
    matches_model::<UpdateItemInput>("UpdateItemInput");
    matches_model::<DeleteItemInput>("DeleteItemInput");
}
