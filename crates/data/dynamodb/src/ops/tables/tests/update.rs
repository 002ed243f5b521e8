//! UpdateTable, tags, TTL and the account-level answers.

use super::{INVALID, ctx, db, err, music, op, simple};
use crate::DynamoDb;
use serde_json::{Value, json};
use std::sync::Arc;

#[tokio::test]
async fn update_table_streams() {
    let db = db();
    op(&db, "CreateTable", simple("t")).await.expect("create");
    let (_, msg) = err(
        &db,
        "UpdateTable",
        json!({"TableName": "t", "StreamSpecification": {"StreamEnabled": false}}),
    )
    .await;
    assert_eq!(msg, "Table has no stream to disable: TableName: t");
    let on = json!({"TableName": "t", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}});
    let u = op(&db, "UpdateTable", on.clone()).await.expect("enable");
    assert_eq!(u["TableDescription"]["TableStatus"], "UPDATING");
    let first = u["TableDescription"]["LatestStreamArn"].clone();
    assert!(first.is_string());
    let (_, msg) = err(&db, "UpdateTable", on.clone()).await;
    assert_eq!(msg, "Table already has an enabled stream: TableName: t");
    let off = op(
        &db,
        "UpdateTable",
        json!({"TableName": "t", "StreamSpecification": {"StreamEnabled": false}}),
    )
    .await
    .expect("disable");
    assert!(off["TableDescription"].get("StreamSpecification").is_none());
    assert_eq!(off["TableDescription"]["LatestStreamArn"], first);
    let again = op(&db, "UpdateTable", on).await.expect("enable again");
    assert_ne!(again["TableDescription"]["LatestStreamArn"], first);
    let d = op(&db, "DescribeTable", json!({"TableName": "t"}))
        .await
        .expect("describe");
    assert_eq!(d["Table"]["TableStatus"], "ACTIVE");
    assert_eq!(
        d["Table"]["StreamSpecification"],
        json!({"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"})
    );
}

#[tokio::test]
async fn update_table_needs_something_to_do() {
    let db = db();
    op(&db, "CreateTable", simple("t")).await.expect("create");
    let (code, msg) = err(&db, "UpdateTable", json!({"TableName": "t"})).await;
    assert_eq!(code, "ValidationException");
    assert!(
        msg.starts_with("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled"),
        "{msg}"
    );
}

#[tokio::test]
async fn update_table_billing_and_throughput() {
    let db = db();
    let mut t = simple("t");
    t["BillingMode"] = json!("PROVISIONED");
    t["ProvisionedThroughput"] = json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1});
    op(&db, "CreateTable", t).await.expect("create");
    let same = json!({"TableName": "t", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}});
    let (_, msg) = err(&db, "UpdateTable", same).await;
    assert!(
        msg.starts_with("The provisioned throughput for the table will not change."),
        "{msg}"
    );
    let up = json!({"TableName": "t", "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 2}});
    let u = op(&db, "UpdateTable", up).await.expect("raise");
    let pt = &u["TableDescription"]["ProvisionedThroughput"];
    assert_eq!(
        (
            pt["ReadCapacityUnits"].as_i64(),
            pt["WriteCapacityUnits"].as_i64()
        ),
        (Some(4), Some(2))
    );
    assert!(pt["LastIncreaseDateTime"].is_number());

    let u = op(
        &db,
        "UpdateTable",
        json!({"TableName": "t", "BillingMode": "PAY_PER_REQUEST"}),
    )
    .await
    .expect("on demand");
    let d = &u["TableDescription"];
    assert_eq!(d["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    assert!(d["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"].is_number());
    assert_eq!(d["ProvisionedThroughput"]["ReadCapacityUnits"], 0);
    let (_, msg) = err(&db, "UpdateTable", json!({"TableName": "t", "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 2}})).await;
    assert_eq!(
        msg,
        format!(
            "{INVALID}Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
        )
    );
    let (_, msg) = err(
        &db,
        "UpdateTable",
        json!({"TableName": "t", "BillingMode": "PROVISIONED"}),
    )
    .await;
    assert_eq!(
        msg,
        format!("{INVALID}ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
    );
    let u = op(&db, "UpdateTable", json!({"TableName": "t", "BillingMode": "PROVISIONED", "ProvisionedThroughput": {"ReadCapacityUnits": 3, "WriteCapacityUnits": 3}}))
        .await
        .expect("back to provisioned");
    assert_eq!(
        u["TableDescription"]["BillingModeSummary"]["BillingMode"],
        "PROVISIONED"
    );
}

#[tokio::test]
async fn update_table_creates_and_deletes_gsis() {
    let db = db();
    op(&db, "CreateTable", simple("t")).await.expect("create");
    let create = |name: &str| {
        json!({"Create": {"IndexName": name, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}})
    };
    let (_, msg) = err(
        &db,
        "UpdateTable",
        json!({"TableName": "t", "GlobalSecondaryIndexUpdates": [create("g1")]}),
    )
    .await;
    assert_eq!(
        msg,
        format!("{INVALID}AttributeDefinitions is not specified for index: g1")
    );
    let defs = json!([{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "N"}]);
    let (code, msg) = err(
        &db,
        "UpdateTable",
        json!({"TableName": "t", "AttributeDefinitions": defs, "GlobalSecondaryIndexUpdates": [create("g1"), create("g2")]}),
    )
    .await;
    assert_eq!(code, "LimitExceededException");
    assert_eq!(
        msg,
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
    );
    let u = op(&db, "UpdateTable", json!({"TableName": "t", "AttributeDefinitions": defs, "GlobalSecondaryIndexUpdates": [create("g1")]}))
        .await
        .expect("create gsi");
    let d = &u["TableDescription"];
    assert_eq!(d["GlobalSecondaryIndexes"][0]["IndexName"], "g1");
    assert_eq!(d["GlobalSecondaryIndexes"][0]["IndexStatus"], "CREATING");
    assert_eq!(d["AttributeDefinitions"], defs);
    let t = op(&db, "DescribeTable", json!({"TableName": "t"}))
        .await
        .expect("describe");
    assert_eq!(
        t["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"],
        "ACTIVE"
    );
    let (_, msg) = err(&db, "UpdateTable", json!({"TableName": "t", "AttributeDefinitions": defs, "GlobalSecondaryIndexUpdates": [create("g1")]})).await;
    assert_eq!(msg, "Attempting to create an index which already exists");
    let (code, msg) = err(&db, "UpdateTable", json!({"TableName": "t", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "zz9"}}]})).await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "Requested resource not found: Index zz9 for table t"
        )
    );
    let u = op(
        &db,
        "UpdateTable",
        json!({"TableName": "t", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "g1"}}]}),
    )
    .await
    .expect("delete gsi");
    assert!(
        u["TableDescription"]
            .get("GlobalSecondaryIndexes")
            .is_none()
    );
    // the definition only the deleted index used is gone too
    assert_eq!(
        u["TableDescription"]["AttributeDefinitions"],
        json!([{"AttributeName": "pk", "AttributeType": "S"}])
    );
}

#[tokio::test]
async fn a_gsi_added_to_a_table_with_items_becomes_active_after_backfill() {
    let db = db();
    op(&db, "CreateTable", simple("t")).await.expect("create");
    // two items, one with the future index key and one without (sparse)
    for item in [
        json!({"pk": {"S": "a"}, "g": {"S": "x"}}),
        json!({"pk": {"S": "b"}}),
    ] {
        crate::ops::call(
            &db,
            &ctx(),
            "PutItem",
            json!({"TableName": "t", "Item": item}),
        )
        .await
        .expect("seed");
    }
    let u = op(
        &db,
        "UpdateTable",
        json!({"TableName": "t", "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
            "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}}]}),
    )
    .await
    .expect("create gsi");
    assert_eq!(
        u["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexStatus"],
        "CREATING"
    );
    assert_eq!(
        u["TableDescription"]["GlobalSecondaryIndexes"][0]["Backfilling"],
        true
    );
    let mut status = Value::Null;
    // the backfill waits out the table cache (1 s) before it starts
    for _ in 0..400 {
        let d = op(&db, "DescribeTable", json!({"TableName": "t"}))
            .await
            .expect("describe");
        status = d["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"].clone();
        if status == "ACTIVE" {
            assert!(
                d["Table"]["GlobalSecondaryIndexes"][0]
                    .get("Backfilling")
                    .is_none()
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(status, "ACTIVE");
    let q = crate::ops::call(
        &db,
        &ctx(),
        "Query",
        json!({"TableName": "t", "IndexName": "byg", "KeyConditionExpression": "g = :g",
            "ExpressionAttributeValues": {":g": {"S": "x"}}}),
    )
    .await
    .expect("query the backfilled index");
    assert_eq!(q["Count"], 1);
    assert_eq!(q["Items"][0]["pk"], json!({"S": "a"}));
}

#[tokio::test]
async fn lsis_cannot_be_changed_by_update_table() {
    let db = db();
    op(&db, "CreateTable", music()).await.expect("create");
    let (_, msg) = err(&db, "UpdateTable", json!({"TableName": "Music", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "ByYear"}}]})).await;
    assert_eq!(
        msg,
        "Cannot delete an index that is not a GlobalSecondaryIndex: ByYear"
    );
}

#[tokio::test]
async fn tags() {
    let db = db();
    op(&db, "CreateTable", music()).await.expect("create");
    let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/Music";
    let tags = |db: Arc<DynamoDb>| async move {
        op(&db, "ListTagsOfResource", json!({"ResourceArn": arn}))
            .await
            .expect("list")["Tags"]
            .clone()
    };
    assert_eq!(
        tags(db.clone()).await,
        json!([{"Key": "team", "Value": "audio"}])
    );
    op(&db, "TagResource", json!({"ResourceArn": arn, "Tags": [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "video"}]}))
        .await
        .expect("tag");
    assert_eq!(
        tags(db.clone()).await,
        json!([{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "video"}])
    );
    op(
        &db,
        "UntagResource",
        json!({"ResourceArn": arn, "TagKeys": ["team", "absent"]}),
    )
    .await
    .expect("untag");
    assert_eq!(
        tags(db.clone()).await,
        json!([{"Key": "env", "Value": "dev"}])
    );
    let many: Vec<Value> = (0..50)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let (code, msg) = err(
        &db,
        "TagResource",
        json!({"ResourceArn": arn, "Tags": many}),
    )
    .await;
    assert_eq!(code, "ValidationException");
    assert_eq!(
        msg,
        "Number of Tags exceed the current limit for the provided ResourceArn"
    );
    let (_, msg) = err(
        &db,
        "TagResource",
        json!({"ResourceArn": "table/Music", "Tags": [{"Key": "a", "Value": "b"}]}),
    )
    .await;
    assert_eq!(
        msg,
        format!("{INVALID}ARNs must start with 'arn:': table/Music")
    );
}

#[tokio::test]
async fn time_to_live() {
    let db = db();
    op(&db, "CreateTable", simple("t")).await.expect("create");
    let d = op(&db, "DescribeTimeToLive", json!({"TableName": "t"}))
        .await
        .expect("describe");
    assert_eq!(
        d,
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}})
    );
    let spec = |on: bool, attr: &str| json!({"TableName": "t", "TimeToLiveSpecification": {"Enabled": on, "AttributeName": attr}});
    let (_, msg) = err(&db, "UpdateTimeToLive", spec(false, "exp")).await;
    assert_eq!(msg, "TimeToLive is already disabled");
    let u = op(&db, "UpdateTimeToLive", spec(true, "exp"))
        .await
        .expect("enable");
    assert_eq!(
        u,
        json!({"TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}})
    );
    let d = op(&db, "DescribeTimeToLive", json!({"TableName": "t"}))
        .await
        .expect("describe");
    assert_eq!(
        d,
        json!({"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}})
    );
    let (code, msg) = err(&db, "UpdateTimeToLive", spec(true, "exp")).await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("ValidationException", "TimeToLive is already enabled")
    );
    let (_, msg) = err(&db, "UpdateTimeToLive", spec(true, "other")).await;
    assert_eq!(
        msg,
        "TimeToLive is active on a different AttributeName: current AttributeName is exp"
    );
    op(&db, "UpdateTimeToLive", spec(false, "exp"))
        .await
        .expect("disable");
    let d = op(&db, "DescribeTimeToLive", json!({"TableName": "t"}))
        .await
        .expect("describe");
    assert_eq!(d["TimeToLiveDescription"]["TimeToLiveStatus"], "DISABLED");
}

#[tokio::test]
async fn account_level_answers() {
    let db = db();
    let l = op(&db, "DescribeLimits", json!({})).await.expect("limits");
    assert_eq!(l["AccountMaxReadCapacityUnits"], 80000);
    assert_eq!(l["TableMaxWriteCapacityUnits"], 40000);
    let e = op(&db, "DescribeEndpoints", json!({}))
        .await
        .expect("endpoints");
    assert_eq!(
        e,
        json!({"Endpoints": [{"Address": "dynamodb.us-east-1.amazonaws.com", "CachePeriodInMinutes": 1440}]})
    );
    op(&db, "CreateTable", simple("t")).await.expect("create");
    let b = op(&db, "DescribeContinuousBackups", json!({"TableName": "t"}))
        .await
        .expect("backups");
    assert_eq!(
        b["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
        "DISABLED"
    );
}
