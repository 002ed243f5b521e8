//! ExecuteStatement, BatchExecuteStatement and ExecuteTransaction against a MemoryStore.

use crate::ops::query::tests::{db, err, hash_table, ok, op, put, sorted_table};
use serde_json::{Value, json};

async fn run(db: &crate::DynamoDb, stmt: &str) -> Value {
    ok(db, "ExecuteStatement", json!({"Statement": stmt})).await
}

async fn get(db: &crate::DynamoDb, pk: &str) -> Value {
    ok(
        db,
        "GetItem",
        json!({"TableName": "h", "Key": {"pk": {"S": pk}}}),
    )
    .await["Item"]
        .clone()
}

#[tokio::test]
async fn partiql_insert_select_update_delete() {
    let db = db();
    hash_table(&db, "h").await;
    let r = run(&db, "INSERT INTO \"h\" VALUE {'pk': 'a', 'n': 1, 's': 'x'}").await;
    assert_eq!(r, json!({"Items": []}));
    let r = run(&db, "SELECT * FROM \"h\" WHERE pk = 'a'").await;
    assert_eq!(
        r["Items"],
        json!([{"pk": {"S": "a"}, "n": {"N": "1"}, "s": {"S": "x"}}])
    );
    run(
        &db,
        "UPDATE \"h\" SET n = n + 4 SET t = 'new' REMOVE s WHERE pk = 'a'",
    )
    .await;
    assert_eq!(
        get(&db, "a").await,
        json!({"pk": {"S": "a"}, "n": {"N": "5"}, "t": {"S": "new"}})
    );
    let r = run(&db, "UPDATE h SET n = 7 WHERE pk = 'a' RETURNING ALL NEW *").await;
    assert_eq!(r["Items"][0]["n"], json!({"N": "7"}));
    let r = run(
        &db,
        "UPDATE h SET n = 8 WHERE pk = 'a' RETURNING MODIFIED OLD *",
    )
    .await;
    assert_eq!(r["Items"], json!([{"n": {"N": "7"}}]));
    let r = run(&db, "DELETE FROM h WHERE pk = 'a' RETURNING ALL OLD *").await;
    assert_eq!(r["Items"][0]["n"], json!({"N": "8"}));
    assert_eq!(get(&db, "a").await, Value::Null);
    // Deleting a missing item succeeds; updating one fails the condition.
    run(&db, "DELETE FROM h WHERE pk = 'a'").await;
    assert_eq!(
        err(
            &db,
            "ExecuteStatement",
            json!({"Statement": "UPDATE h SET n = 1 WHERE pk = 'ghost'"})
        )
        .await,
        (
            "ConditionalCheckFailedException".into(),
            "The conditional request failed".into()
        )
    );
    assert_eq!(get(&db, "ghost").await, Value::Null);
}

#[tokio::test]
async fn partiql_write_errors_read_as_aws() {
    let db = db();
    hash_table(&db, "h").await;
    put(&db, "h", json!({"pk": {"S": "dup"}, "n": {"N": "1"}})).await;
    let cases = [
        (
            "INSERT INTO h VALUE {'pk': 'dup', 'v': 2}",
            "DuplicateItemException",
            "Duplicate primary key exists in table",
        ),
        (
            "INSERT INTO h VALUE {'other': 1}",
            "ValidationException",
            "Key attribute should be present in the item: Key pk",
        ),
        (
            "INSERT INTO h VALUE {'pk': 1}",
            "ValidationException",
            "Key attribute's data type should match its data type in table's schema: Key pk",
        ),
        (
            "UPDATE h SET n = 2 WHERE n = 1",
            "ValidationException",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "DELETE FROM h WHERE n = 1",
            "ValidationException",
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            "UPDATE h SET n = 2 WHERE pk = 'dup' AND n = 5",
            "ConditionalCheckFailedException",
            "The conditional request failed",
        ),
        (
            "DELETE FROM h WHERE pk = 'dup' RETURNING ALL NEW *",
            "ValidationException",
            "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements.",
        ),
        (
            "SELECT * FROM nope WHERE pk = 'a'",
            "ResourceNotFoundException",
            "Requested resource not found",
        ),
        (
            "SELEKT * FROM h",
            "ValidationException",
            "Statement wasn't well formed, can't be processed: Expected data manipulation",
        ),
        (
            "SELECT * FROM h.nope WHERE pk = 'p'",
            "ValidationException",
            "The table does not have the specified index",
        ),
    ];
    for (stmt, code, msg) in cases {
        assert_eq!(
            err(&db, "ExecuteStatement", json!({"Statement": stmt})).await,
            (code.to_string(), msg.to_string()),
            "{stmt}"
        );
    }
    assert_eq!(get(&db, "dup").await["n"], json!({"N": "1"}));
    let e = op(&db, "ExecuteStatement", json!({"Statement": "UPDATE h SET n = 2 WHERE pk = 'dup' AND n = 5", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})).await.expect_err("fails");
    assert_eq!(
        e.fields.as_ref().expect("item")["Item"]["n"],
        json!({"N": "1"})
    );
}

#[tokio::test]
async fn partiql_select_query_scan_parameters_and_pages() {
    let db = db();
    sorted_table(&db, "t").await;
    for (pk, sk) in [("p", "1"), ("p", "2"), ("p", "3"), ("q", "1"), ("r", "5")] {
        put(
            &db,
            "t",
            json!({"pk": {"S": pk}, "sk": {"N": sk}, "v": {"S": format!("{pk}{sk}")}}),
        )
        .await;
    }
    let r = ok(&db, "ExecuteStatement", json!({"Statement": "SELECT sk FROM t WHERE pk = ? AND sk >= ?", "Parameters": [{"S": "p"}, {"N": "2"}]})).await;
    assert_eq!(r["Items"], json!([{"sk": {"N": "2"}}, {"sk": {"N": "3"}}]));
    let r = run(&db, "SELECT sk FROM t WHERE pk = 'p' ORDER BY sk DESC").await;
    assert_eq!(
        r["Items"],
        json!([{"sk": {"N": "3"}}, {"sk": {"N": "2"}}, {"sk": {"N": "1"}}])
    );
    let r = run(&db, "SELECT v FROM t WHERE pk IN ['r', 'q']").await;
    assert_eq!(r["Items"], json!([{"v": {"S": "q1"}}, {"v": {"S": "r5"}}]));
    let r = run(&db, "SELECT v FROM t WHERE sk = 1").await;
    let mut vs: Vec<String> = r["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["v"]["S"].as_str().unwrap().to_string())
        .collect();
    vs.sort();
    assert_eq!(vs, vec!["p1", "q1"]);
    // NextToken pagination over a scan: every item exactly once.
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..10 {
        let mut req = json!({"Statement": "SELECT v FROM t", "Limit": 2});
        if let Some(t) = &token {
            req["NextToken"] = json!(t);
        }
        let r = ok(&db, "ExecuteStatement", req).await;
        assert!(r["Items"].as_array().unwrap().len() <= 2);
        seen.extend(
            r["Items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["v"]["S"].as_str().unwrap().to_string()),
        );
        match r["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, vec!["p1", "p2", "p3", "q1", "r5"]);
    // A token of another statement is refused.
    let r = ok(
        &db,
        "ExecuteStatement",
        json!({"Statement": "SELECT v FROM t", "Limit": 1}),
    )
    .await;
    let tok = r["NextToken"].as_str().expect("more").to_string();
    assert_eq!(
        err(
            &db,
            "ExecuteStatement",
            json!({"Statement": "SELECT * FROM t", "NextToken": tok})
        )
        .await
        .1,
        "NextToken does not match request"
    );
    assert_eq!(
        err(&db, "ExecuteStatement", json!({"Statement": "SELECT * FROM t WHERE pk = ?", "Parameters": [{"S": "a"}, {"S": "b"}]})).await.1,
        "Number of parameters in request and statement don't match."
    );
}

#[tokio::test]
async fn partiql_select_from_indexes() {
    let db = db();
    sorted_table(&db, "t").await;
    put(&db, "t", json!({"pk": {"S": "1"}, "sk": {"N": "1"}, "gk": {"S": "g"}, "gs": {"N": "1"}, "x": {"S": "a"}})).await;
    put(
        &db,
        "t",
        json!({"pk": {"S": "2"}, "sk": {"N": "1"}, "gk": {"S": "h"}, "gs": {"N": "1"}}),
    )
    .await;
    put(&db, "t", json!({"pk": {"S": "3"}, "sk": {"N": "1"}})).await;
    let r = run(&db, "SELECT pk FROM \"t\".\"all\" WHERE gk = 'g'").await;
    assert_eq!(r["Items"], json!([{"pk": {"S": "1"}}]));
    assert_eq!(
        err(
            &db,
            "ExecuteStatement",
            json!({"Statement": "SELECT x FROM \"t\".\"g\" WHERE gk = 'g'"})
        )
        .await
        .1,
        "One or more parameter values were invalid: Global secondary index g does not project [x]"
    );
    assert_eq!(
        err(
            &db,
            "ExecuteStatement",
            json!({"Statement": "SELECT pk FROM \"t\".\"g\" WHERE gk = 'g' AND x = 'a'"})
        )
        .await
        .1,
        "One or more parameter values were invalid: Secondary index g does not project one or more filter attributes: [x]"
    );
    assert_eq!(
        err(&db, "ExecuteStatement", json!({"Statement": "SELECT * FROM \"t\".\"all\" WHERE gk = 'g'", "ConsistentRead": true})).await.1,
        "Strongly consistent read is not supported on Global Secondary Indexes"
    );
}

#[tokio::test]
async fn partiql_batch_answers_per_statement() {
    let db = db();
    hash_table(&db, "h").await;
    put(&db, "h", json!({"pk": {"S": "exists"}, "n": {"N": "1"}})).await;
    let r = ok(&db, "BatchExecuteStatement", json!({"Statements": [
        {"Statement": "INSERT INTO h VALUE {'pk': ?, 'n': ?}", "Parameters": [{"S": "a"}, {"N": "1"}]},
        {"Statement": "INSERT INTO h VALUE {'pk': 'exists'}"},
        {"Statement": "UPDATE h SET t = 'y' WHERE pk = 'exists' AND n = 9"},
        {"Statement": "SLECT * FROM h"},
        {"Statement": "DELETE FROM nope WHERE pk = 'a'"},
    ]})).await;
    let resp = r["Responses"].as_array().unwrap();
    assert_eq!(resp[0], json!({"TableName": "h"}));
    assert_eq!(
        resp[1]["Error"],
        json!({"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"})
    );
    assert_eq!(resp[1]["TableName"], json!("h"));
    assert_eq!(resp[2]["Error"]["Code"], json!("ConditionalCheckFailed"));
    assert_eq!(
        resp[3],
        json!({"Error": {"Code": "ValidationError", "Message": "Statement wasn't well formed, can't be processed: Expected data manipulation"}})
    );
    assert_eq!(resp[4]["Error"]["Code"], json!("ResourceNotFound"));
    assert_eq!(get(&db, "a").await["n"], json!({"N": "1"}));
    let r = ok(
        &db,
        "BatchExecuteStatement",
        json!({"Statements": [
        {"Statement": "SELECT * FROM h WHERE pk = ?", "Parameters": [{"S": "a"}]},
        {"Statement": "SELECT * FROM h WHERE pk = 'missing'"},
        {"Statement": "SELECT * FROM h WHERE n = 1"},
    ], "ReturnConsumedCapacity": "TOTAL"}),
    )
    .await;
    let resp = r["Responses"].as_array().unwrap();
    assert_eq!(
        resp[0],
        json!({"TableName": "h", "Item": {"pk": {"S": "a"}, "n": {"N": "1"}}})
    );
    assert_eq!(resp[1], json!({"TableName": "h"}));
    assert_eq!(
        resp[2]["Error"]["Message"],
        json!(
            "Select statements within BatchExecuteStatement must specify the primary key in the where clause."
        )
    );
    assert_eq!(
        r["ConsumedCapacity"],
        json!([{"TableName": "h", "CapacityUnits": 1.0}])
    );
    assert_eq!(
        err(
            &db,
            "BatchExecuteStatement",
            json!({"Statements": [
                {"Statement": "SELECT * FROM h WHERE pk = 'a'"},
                {"Statement": "DELETE FROM h WHERE pk = 'a'"},
            ]})
        )
        .await
        .0,
        "ValidationException"
    );
}

#[tokio::test]
async fn partiql_transaction_all_or_nothing() {
    let db = db();
    hash_table(&db, "h").await;
    put(&db, "h", json!({"pk": {"S": "u"}, "n": {"N": "1"}})).await;
    put(&db, "h", json!({"pk": {"S": "exists"}})).await;
    let e = op(
        &db,
        "ExecuteTransaction",
        json!({"TransactStatements": [
            {"Statement": "UPDATE h SET n = 2 WHERE pk = 'u'"},
            {"Statement": "INSERT INTO h VALUE {'pk': 'exists'}"},
            {"Statement": "INSERT INTO h VALUE {'pk': 'new'}"},
        ]}),
    )
    .await
    .expect_err("cancelled");
    assert_eq!(e.code.shape, "TransactionCanceledException");
    assert_eq!(
        e.message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, DuplicateItem, None]"
    );
    assert_eq!(get(&db, "u").await["n"], json!({"N": "1"}));
    assert_eq!(get(&db, "new").await, Value::Null);
    let r = ok(
        &db,
        "ExecuteTransaction",
        json!({"TransactStatements": [
        {"Statement": "UPDATE h SET n = n + 1 WHERE pk = 'u'"},
        {"Statement": "INSERT INTO h VALUE {'pk': 'new'}"},
    ], "ReturnConsumedCapacity": "TOTAL"}),
    )
    .await;
    assert_eq!(
        r["ConsumedCapacity"],
        json!([{"TableName": "h", "CapacityUnits": 4.0}])
    );
    assert_eq!(get(&db, "u").await["n"], json!({"N": "2"}));
    let r = ok(
        &db,
        "ExecuteTransaction",
        json!({"TransactStatements": [
            {"Statement": "SELECT * FROM h WHERE pk = 'new'"},
            {"Statement": "SELECT n FROM h WHERE pk = ?", "Parameters": [{"S": "u"}]},
            {"Statement": "SELECT * FROM h WHERE pk = 'none'"},
        ]}),
    )
    .await;
    assert_eq!(
        r["Responses"],
        json!([{"Item": {"pk": {"S": "new"}}}, {"Item": {"n": {"N": "2"}}}, {}])
    );
    let refused = [
        (
            "UPDATE h SET n = 1 WHERE pk = 'u' RETURNING ALL NEW *",
            "Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction.",
        ),
        (
            "SELECT * FROM h WHERE",
            "Validation failed in TransactStatements[0]: Statement wasn't well formed, can't be processed: Unexpected term",
        ),
        (
            "SELECT * FROM h WHERE n = 1",
            "Validation failed in TransactStatements[0]: Select statements within ExecuteTransaction must specify the primary key in the where clause.",
        ),
    ];
    for (stmt, msg) in refused {
        assert_eq!(
            err(
                &db,
                "ExecuteTransaction",
                json!({"TransactStatements": [{"Statement": stmt}]})
            )
            .await,
            ("ValidationException".to_string(), msg.to_string()),
        );
    }
    assert_eq!(
        err(
            &db,
            "ExecuteTransaction",
            json!({"TransactStatements": [
                {"Statement": "UPDATE h SET n = 1 WHERE pk = 'u'"},
                {"Statement": "DELETE FROM h WHERE pk = 'u'"},
            ]})
        )
        .await
        .1,
        "Transaction request cannot include multiple operations on one item"
    );
}

#[tokio::test]
async fn partiql_transaction_token_runs_once() {
    let db = db();
    hash_table(&db, "h").await;
    put(&db, "h", json!({"pk": {"S": "c"}, "n": {"N": "0"}})).await;
    let req = json!({"ClientRequestToken": "tok-1", "TransactStatements": [
        {"Statement": "UPDATE h SET n = n + 1 WHERE pk = 'c'"},
    ]});
    ok(&db, "ExecuteTransaction", req.clone()).await;
    ok(&db, "ExecuteTransaction", req).await;
    assert_eq!(get(&db, "c").await["n"], json!({"N": "1"}));
    let other = json!({"ClientRequestToken": "tok-1", "TransactStatements": [
        {"Statement": "UPDATE h SET n = n + 2 WHERE pk = 'c'"},
    ]});
    assert_eq!(
        err(&db, "ExecuteTransaction", other).await.0,
        "IdempotentParameterMismatchException"
    );
    assert_eq!(get(&db, "c").await["n"], json!({"N": "1"}));
}
