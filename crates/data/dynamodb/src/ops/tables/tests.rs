//! Control-plane operations against a MemoryStore, asserting what a client sees: the answer,
//! or the error code and message.

use super::call;
use crate::DynamoDb;
use crate::store;
use lamina_core::{AwsError, RequestContext};
use lamina_storage::{Direction, Range, WriteBatch};
use serde_json::{Value, json};
use std::sync::Arc;

mod model;
mod update;

pub(super) fn ctx() -> RequestContext {
    RequestContext {
        request_id: "r".into(),
        account_id: "000000000000".into(),
        region: "us-east-1".into(),
        access_key_id: String::new(),
        endpoint: "http://localhost:4566".into(),
    }
}

pub(super) fn db() -> Arc<DynamoDb> {
    DynamoDb::new(
        lamina_storage_memory::MemoryStore::new(),
        Default::default(),
    )
}

pub(super) async fn op(db: &DynamoDb, name: &str, input: Value) -> Result<Value, AwsError> {
    call(db, &ctx(), name, &input)
        .await
        .expect("a control-plane operation")
        .map_err(AwsError::from)
}

/// The error's (code, message).
pub(super) async fn err(db: &DynamoDb, name: &str, input: Value) -> (String, String) {
    match op(db, name, input).await {
        Ok(v) => panic!("{name} succeeded: {v}"),
        Err(e) => (e.code.shape.to_string(), e.message.clone()),
    }
}

pub(super) fn simple(name: &str) -> Value {
    json!({
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    })
}

pub(super) fn music() -> Value {
    json!({
        "TableName": "Music",
        "AttributeDefinitions": [
            {"AttributeName": "Artist", "AttributeType": "S"},
            {"AttributeName": "Song", "AttributeType": "S"},
            {"AttributeName": "Year", "AttributeType": "N"},
            {"AttributeName": "Genre", "AttributeType": "S"}
        ],
        "KeySchema": [{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "Song", "KeyType": "RANGE"}],
        "LocalSecondaryIndexes": [{
            "IndexName": "ByYear",
            "KeySchema": [{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "Year", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}
        }],
        "GlobalSecondaryIndexes": [{
            "IndexName": "ByGenre",
            "KeySchema": [{"AttributeName": "Genre", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Album"]},
            "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
        }],
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 6},
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "Tags": [{"Key": "team", "Value": "audio"}]
    })
}

pub(super) const INVALID: &str = "One or more parameter values were invalid: ";

#[tokio::test]
async fn create_answers_creating_then_describe_answers_active() {
    let db = db();
    let out = op(&db, "CreateTable", music()).await.expect("create");
    let d = &out["TableDescription"];
    assert_eq!(d["TableStatus"], "CREATING");
    assert_eq!(d["TableName"], "Music");
    assert_eq!(
        d["TableArn"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/Music"
    );
    assert_eq!(d["ProvisionedThroughput"]["ReadCapacityUnits"], 5);
    assert_eq!(d["GlobalSecondaryIndexes"][0]["IndexStatus"], "CREATING");
    assert_eq!(
        d["StreamSpecification"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );
    let stream_arn = d["LatestStreamArn"].as_str().expect("stream arn");
    assert!(
        stream_arn.starts_with("arn:aws:dynamodb:us-east-1:000000000000:table/Music/stream/20")
    );
    assert!(d.get("BillingModeSummary").is_none());

    let t = op(&db, "DescribeTable", json!({"TableName": "Music"}))
        .await
        .expect("describe");
    let t = &t["Table"];
    assert_eq!(t["TableStatus"], "ACTIVE");
    assert_eq!(t["ItemCount"], 0);
    assert_eq!(t["TableSizeBytes"], 0);
    assert_eq!(t["TableId"], d["TableId"]);
    assert_eq!(t["GlobalSecondaryIndexes"][0]["IndexStatus"], "ACTIVE");
    assert_eq!(
        t["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"]["WriteCapacityUnits"],
        3
    );
    assert_eq!(
        t["GlobalSecondaryIndexes"][0]["Projection"]["NonKeyAttributes"],
        json!(["Album"])
    );
    assert_eq!(
        t["LocalSecondaryIndexes"][0]["KeySchema"][1]["AttributeName"],
        "Year"
    );
    assert_eq!(
        t["LocalSecondaryIndexes"][0]["IndexArn"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/Music/index/ByYear"
    );
    assert_eq!(t["LatestStreamArn"], stream_arn);
    assert_eq!(t["DeletionProtectionEnabled"], false);
}

#[tokio::test]
async fn on_demand_tables_report_a_billing_summary_and_zero_capacity() {
    let db = db();
    let d = op(&db, "CreateTable", simple("t")).await.expect("create");
    assert_eq!(
        d["TableDescription"]["BillingModeSummary"]["BillingMode"],
        "PAY_PER_REQUEST"
    );
    assert_eq!(
        d["TableDescription"]["ProvisionedThroughput"]["ReadCapacityUnits"],
        0
    );
}

#[tokio::test]
async fn creating_an_existing_table_is_resource_in_use() {
    let db = db();
    op(&db, "CreateTable", simple("t")).await.expect("create");
    let (code, msg) = err(&db, "CreateTable", simple("t")).await;
    assert_eq!(code, "ResourceInUseException");
    assert_eq!(msg, "Table already exists: t");
}

#[tokio::test]
async fn create_table_validation_messages() {
    let db = db();
    let cases: Vec<(Value, String)> = vec![
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "b", "KeyType": "HASH"}]}),
            format!(
                "{INVALID}Some index key attributes are not defined in AttributeDefinitions. Keys: [b], AttributeDefinitions: [a]"
            ),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}]}),
            format!(
                "{INVALID}Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions"
            ),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}]}),
            "Invalid KeySchema: Some index key attribute have no definition".into(),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "RANGE"}, {"AttributeName": "b", "KeyType": "HASH"}]}),
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type".into(),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "HASH"}]}),
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type".into(),
        ),
        (
            json!({"TableName": "t",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}]}),
            format!(
                "{INVALID}ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
            ),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}]}),
            format!(
                "{INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
            ),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                "LocalSecondaryIndexes": [{"IndexName": "lsi", "Projection": {"ProjectionType": "ALL"},
                    "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}]}]}),
            format!(
                "{INVALID}Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"
            ),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "S"}, {"AttributeName": "c", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
                "LocalSecondaryIndexes": [{"IndexName": "lsi", "Projection": {"ProjectionType": "ALL"},
                    "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}]}]}),
            format!(
                "{INVALID}Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi. index hash key: c, table hash key: a"
            ),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "gsi", "Projection": {"ProjectionType": "INCLUDE"},
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]}),
            format!("{INVALID}ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [
                    {"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]},
                    {"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]}),
            format!("{INVALID}Duplicate index name: gsi"),
        ),
        (
            json!({"TableName": "t",
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"},
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]}),
            format!("{INVALID}ProvisionedThroughput is not specified for index: gsi"),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                "GlobalSecondaryIndexes": [{"IndexName": "gsi", "Projection": {"ProjectionType": "ALL"},
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}]}),
            format!(
                "{INVALID}Some AttributeDefinitions are not used. AttributeDefinitions: [a, g, x], keys used: [a, g]"
            ),
        ),
        (
            json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                "StreamSpecification": {"StreamEnabled": true}}),
            format!(
                "{INVALID}Table is being created with a stream enabled, UpdateViewType is required"
            ),
        ),
    ];
    for (input, want) in cases {
        let (code, msg) = err(&db, "CreateTable", input.clone()).await;
        assert_eq!(code, "ValidationException", "{input}");
        assert_eq!(msg, want, "{input}");
    }
    // nothing was created by the failed calls
    let l = op(&db, "ListTables", json!({})).await.expect("list");
    assert_eq!(l["TableNames"], json!([]));
}

#[tokio::test]
async fn index_count_limits() {
    let db = db();
    let mut defs = vec![
        json!({"AttributeName": "a", "AttributeType": "S"}),
        json!({"AttributeName": "b", "AttributeType": "S"}),
    ];
    let mut lsis = Vec::new();
    let mut gsis = Vec::new();
    for i in 0..21 {
        defs.push(json!({"AttributeName": format!("k{i}"), "AttributeType": "S"}));
        let ks = |h: &str| json!([{"AttributeName": h, "KeyType": "HASH"}, {"AttributeName": format!("k{i}"), "KeyType": "RANGE"}]);
        lsis.push(json!({"IndexName": format!("lsi{i}"), "KeySchema": ks("a"), "Projection": {"ProjectionType": "ALL"}}));
        gsis.push(json!({"IndexName": format!("gsi{i}"), "KeySchema": ks("b"), "Projection": {"ProjectionType": "ALL"}}));
    }
    let base = |defs: &[Value]| {
        json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": defs,
            "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}]})
    };
    let mut t = base(&defs[..8]);
    t["LocalSecondaryIndexes"] = json!(lsis[..6]);
    let (_, msg) = err(&db, "CreateTable", t).await;
    assert_eq!(
        msg,
        format!("{INVALID}Number of LocalSecondaryIndexes exceeds per-table limit of 5")
    );
    let mut t = base(&defs);
    t["GlobalSecondaryIndexes"] = json!(gsis);
    let (_, msg) = err(&db, "CreateTable", t).await;
    assert_eq!(
        msg,
        format!("{INVALID}GlobalSecondaryIndex count exceeds the per-table limit of 20")
    );
    let mut t = base(&defs[..22]);
    t["GlobalSecondaryIndexes"] = json!(gsis[..20]);
    op(&db, "CreateTable", t)
        .await
        .expect("20 GSIs are allowed");
}

#[tokio::test]
async fn missing_tables_say_so() {
    let db = db();
    for name in ["DescribeTable", "DeleteTable", "DescribeTimeToLive"] {
        let (code, msg) = err(&db, name, json!({"TableName": "nope"})).await;
        assert_eq!(code, "ResourceNotFoundException", "{name}");
        assert_eq!(
            msg, "Requested resource not found: Table: nope not found",
            "{name}"
        );
    }
    let (code, msg) = err(
        &db,
        "UpdateTable",
        json!({"TableName": "nope", "DeletionProtectionEnabled": true}),
    )
    .await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "Requested resource not found: Table: nope not found"
        )
    );
    let (code, msg) = err(
        &db,
        "DescribeContinuousBackups",
        json!({"TableName": "nope"}),
    )
    .await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("TableNotFoundException", "Table not found: nope")
    );
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/nope";
    let (code, msg) = err(&db, "ListTagsOfResource", json!({"ResourceArn": arn})).await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        msg,
        format!("Requested resource not found: ResourceArn: {arn} not found")
    );
    let (code, _) = err(
        &db,
        "TagResource",
        json!({"ResourceArn": arn, "Tags": [{"Key": "a", "Value": "b"}]}),
    )
    .await;
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn list_tables_pages_in_name_order() {
    let db = db();
    for n in ["c", "a", "e", "b", "d"] {
        op(&db, "CreateTable", simple(n)).await.expect("create");
    }
    let p1 = op(&db, "ListTables", json!({"Limit": 2}))
        .await
        .expect("list");
    assert_eq!(
        p1,
        json!({"TableNames": ["a", "b"], "LastEvaluatedTableName": "b"})
    );
    let p2 = op(
        &db,
        "ListTables",
        json!({"Limit": 2, "ExclusiveStartTableName": "b"}),
    )
    .await
    .expect("list");
    assert_eq!(
        p2,
        json!({"TableNames": ["c", "d"], "LastEvaluatedTableName": "d"})
    );
    let p3 = op(
        &db,
        "ListTables",
        json!({"Limit": 2, "ExclusiveStartTableName": "d"}),
    )
    .await
    .expect("list");
    assert_eq!(p3, json!({"TableNames": ["e"]}));
    let all = op(&db, "ListTables", json!({})).await.expect("list");
    assert_eq!(all, json!({"TableNames": ["a", "b", "c", "d", "e"]}));
}

#[tokio::test]
async fn tables_are_per_region() {
    let db = db();
    op(&db, "CreateTable", simple("t")).await.expect("create");
    let mut other = ctx();
    other.region = "eu-west-1".into();
    let l = call(&db, &other, "ListTables", &json!({}))
        .await
        .expect("op")
        .expect("list");
    assert_eq!(l["TableNames"], json!([]));
}

#[tokio::test]
async fn delete_table_answers_deleting_and_purges_data_in_the_background() {
    let db = db();
    op(&db, "CreateTable", simple("t")).await.expect("create");
    let l = store::read_table(db.store.as_ref(), "000000000000", "us-east-1", "t")
        .await
        .expect("read")
        .expect("table");
    let prefix = store::item_prefix("000000000000", "us-east-1", &l.meta.table_id);
    let mut batch = WriteBatch::new();
    for i in 0..1200u32 {
        let mut k = prefix.clone();
        k.extend_from_slice(&i.to_be_bytes());
        batch.put(store::ITEMS, k, vec![7u8; 10]);
    }
    db.store.commit(batch).await.expect("seed");
    let d = op(&db, "DescribeTable", json!({"TableName": "t"}))
        .await
        .expect("describe");
    assert_eq!(d["Table"]["ItemCount"], 1200);
    assert_eq!(d["Table"]["TableSizeBytes"], 12000);

    let out = op(&db, "DeleteTable", json!({"TableName": "t"}))
        .await
        .expect("delete");
    assert_eq!(out["TableDescription"]["TableStatus"], "DELETING");
    assert_eq!(out["TableDescription"]["ItemCount"], 1200);
    let (code, _) = err(&db, "DescribeTable", json!({"TableName": "t"})).await;
    assert_eq!(code, "ResourceNotFoundException");
    let mut left = usize::MAX;
    for _ in 0..200 {
        left = db
            .store
            .scan(store::ITEMS, Range::prefix(&prefix), Direction::Forward, 0)
            .await
            .expect("scan")
            .len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(left, 0, "items of the deleted table remain");

    // a table created again under the same name starts empty, with a new id
    op(&db, "CreateTable", simple("t"))
        .await
        .expect("create again");
    let again = store::read_table(db.store.as_ref(), "000000000000", "us-east-1", "t")
        .await
        .expect("read")
        .expect("table");
    assert_ne!(again.meta.table_id, l.meta.table_id);
}

#[tokio::test]
async fn deletion_protection() {
    let db = db();
    let mut t = simple("t");
    t["DeletionProtectionEnabled"] = json!(true);
    op(&db, "CreateTable", t).await.expect("create");
    let (code, msg) = err(&db, "DeleteTable", json!({"TableName": "t"})).await;
    assert_eq!(code, "ValidationException");
    assert_eq!(
        msg,
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
    );
    let u = op(
        &db,
        "UpdateTable",
        json!({"TableName": "t", "DeletionProtectionEnabled": false}),
    )
    .await
    .expect("update");
    assert_eq!(u["TableDescription"]["DeletionProtectionEnabled"], false);
    op(&db, "DeleteTable", json!({"TableName": "t"}))
        .await
        .expect("delete");
}
