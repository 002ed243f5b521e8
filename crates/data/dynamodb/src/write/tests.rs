//! The write path against a MemoryStore: item, index entries (projection, sparseness, key
//! changes) and stream records committed together; nothing on a failed condition or a no-op;
//! CAS retry under concurrency; the multi-item variant; GSI backfill.

use super::*;
use crate::DynamoDb;
use crate::store::{INDEX, STREAM, index_prefix, load_table_for_items, stream_prefix};
use crate::value::{AttrValue, Number, item_from_json};
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

pub(crate) async fn op(
    db: &DynamoDb,
    name: &str,
    input: Value,
) -> std::result::Result<Value, AwsError> {
    crate::ops::call(db, &ctx(), name, input)
        .await
        .map_err(AwsError::from)
}

/// A TableMeta as JSON, for pure tests that need one.
pub(crate) fn meta_json() -> Value {
    json!({
        "v": 1, "name": "t", "table_id": "0123456789abcdef", "uuid": "u", "account": "000000000000",
        "region": "us-east-1", "created": 0.0,
        "attributes": [{"name": "pk", "type": "S"}],
        "key": {"hash": {"name": "pk", "type": "S"}},
        "billing": "PAY_PER_REQUEST", "throughput": {"read": 0, "write": 0},
    })
}

/// Table "T": pk (S) + sk (N); GSI "byG" on gk (S) projecting INCLUDE [inc]; LSI "byL" on
/// (pk, ls) projecting ALL; stream NEW_AND_OLD_IMAGES.
pub(crate) async fn indexed_table(db: &DynamoDb) -> TableMeta {
    op(db, "CreateTable", json!({
        "TableName": "T",
        "AttributeDefinitions": [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "gk", "AttributeType": "S"},
            {"AttributeName": "ls", "AttributeType": "S"},
        ],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{
            "IndexName": "byG",
            "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["inc"]},
        }],
        "LocalSecondaryIndexes": [{
            "IndexName": "byL",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "ls", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "BillingMode": "PAY_PER_REQUEST",
    }))
    .await
    .expect("CreateTable");
    load_table_for_items(db, "000000000000", "us-east-1", "T")
        .await
        .expect("meta")
        .meta
        .clone()
}

pub(crate) fn item(v: Value) -> Item {
    item_from_json(&v).expect("item")
}

/// The entries of one index, as (projected item) in key order.
pub(crate) async fn index_entries(db: &DynamoDb, t: &TableMeta, index: &str) -> Vec<Item> {
    let p = index_prefix(&t.account, &t.region, &t.table_id, index);
    let rows = db
        .store
        .scan(INDEX, Range::prefix(&p), Direction::Forward, 0)
        .await
        .expect("scan");
    rows.iter()
        .map(|(_, v)| decode_item(v).expect("entry"))
        .collect()
}

/// The stream records of a table, in sequence order.
pub(crate) async fn records(db: &DynamoDb, t: &TableMeta) -> Vec<Value> {
    let p = stream_prefix(&t.account, &t.region, &t.table_id);
    let rows = db
        .store
        .scan(STREAM, Range::prefix(&p), Direction::Forward, 0)
        .await
        .expect("scan");
    rows.iter()
        .map(|(_, v)| serde_json::from_slice(v).expect("record json"))
        .collect()
}

fn key(pk: &str, sk: i64) -> Item {
    item(json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}}))
}

async fn put(db: &DynamoDb, t: &TableMeta, it: Value) -> Outcome {
    let it = item(it);
    let k = key_schema(&t.key).key_of(&it);
    write_item(db.store.as_ref(), t, &k, Origin::User, |_| {
        Ok(Mutation::Put(it.clone()))
    })
    .await
    .expect("write")
}

#[tokio::test]
async fn write_put_maintains_item_indexes_and_stream_in_one_go() {
    let db = db();
    let t = indexed_table(&db).await;
    let o = put(
        &db,
        &t,
        json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g1"}, "ls": {"S": "l1"},
        "inc": {"N": "7"}, "other": {"S": "x"}}),
    )
    .await;
    assert!(o.changed && o.old.is_none());
    assert_eq!(
        o.indexes
            .iter()
            .map(|i| (i.name.as_str(), i.global))
            .collect::<Vec<_>>(),
        [("byG", true), ("byL", false)]
    );
    let got = get_item(db.store.as_ref(), &t, &key("a", 1))
        .await
        .expect("get")
        .expect("item");
    assert_eq!(got.get("other"), Some(&AttrValue::S("x".into())));
    // INCLUDE projects the table key, the index key and `inc`; ALL projects everything.
    let g = index_entries(&db, &t, "byG").await;
    assert_eq!(
        g,
        [item(
            json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g1"}, "inc": {"N": "7"}})
        )]
    );
    assert_eq!(
        index_entries(&db, &t, "byL").await,
        std::slice::from_ref(&got)
    );
    let r = records(&db, &t).await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["eventName"], "INSERT");
    assert_eq!(r[0]["eventSource"], "aws:dynamodb");
    assert_eq!(r[0]["eventVersion"], "1.1");
    assert_eq!(r[0]["awsRegion"], "us-east-1");
    assert_eq!(r[0]["v"], 1);
    assert_eq!(
        r[0]["dynamodb"]["Keys"],
        json!({"pk": {"S": "a"}, "sk": {"N": "1"}})
    );
    assert_eq!(item(r[0]["dynamodb"]["NewImage"].clone()), got);
    assert!(r[0]["dynamodb"].get("OldImage").is_none());
    assert_eq!(r[0]["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES");
    assert_eq!(
        r[0]["dynamodb"]["SequenceNumber"].as_str().map(str::len),
        Some(21)
    );
    assert!(r[0].get("userIdentity").is_none());
}

#[tokio::test]
async fn write_index_key_change_moves_the_entry_and_missing_key_is_sparse() {
    let db = db();
    let t = indexed_table(&db).await;
    put(
        &db,
        &t,
        json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g1"}}),
    )
    .await;
    put(&db, &t, json!({"pk": {"S": "b"}, "sk": {"N": "1"}})).await;
    // b has neither gk nor ls: in no index.
    assert_eq!(index_entries(&db, &t, "byG").await.len(), 1);
    assert!(index_entries(&db, &t, "byL").await.is_empty());
    let o = put(
        &db,
        &t,
        json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g2"}}),
    )
    .await;
    let g = index_entries(&db, &t, "byG").await;
    assert_eq!(
        g,
        [item(
            json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g2"}})
        )]
    );
    // delete of the old entry + put of the new one
    assert_eq!(o.indexes[0].units, 2.0);
    // a change outside the projection leaves the GSI entry alone
    let o = put(
        &db,
        &t,
        json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g2"}, "big": {"S": "y"}}),
    )
    .await;
    assert!(o.indexes.is_empty(), "{:?}", o.indexes);
    // removing the index key removes the entry
    put(&db, &t, json!({"pk": {"S": "a"}, "sk": {"N": "1"}})).await;
    assert!(index_entries(&db, &t, "byG").await.is_empty());
    let r = records(&db, &t).await;
    let names: Vec<&str> = r.iter().filter_map(|r| r["eventName"].as_str()).collect();
    assert_eq!(names, ["INSERT", "INSERT", "MODIFY", "MODIFY", "MODIFY"]);
    assert_eq!(r[2]["dynamodb"]["OldImage"]["gk"], json!({"S": "g1"}));
    assert_eq!(r[2]["dynamodb"]["NewImage"]["gk"], json!({"S": "g2"}));
}

#[tokio::test]
async fn write_delete_removes_entries_and_emits_remove() {
    let db = db();
    let t = indexed_table(&db).await;
    put(
        &db,
        &t,
        json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g"}, "ls": {"S": "l"}}),
    )
    .await;
    let o = write_item(db.store.as_ref(), &t, &key("a", 1), Origin::Ttl, |_| {
        Ok(Mutation::Delete)
    })
    .await
    .expect("delete");
    assert!(o.changed && o.new.is_none() && o.old.is_some());
    assert!(
        get_item(db.store.as_ref(), &t, &key("a", 1))
            .await
            .expect("get")
            .is_none()
    );
    assert!(index_entries(&db, &t, "byG").await.is_empty());
    assert!(index_entries(&db, &t, "byL").await.is_empty());
    let r = records(&db, &t).await;
    assert_eq!(r[1]["eventName"], "REMOVE");
    assert!(r[1]["dynamodb"].get("NewImage").is_none());
    assert_eq!(r[1]["dynamodb"]["OldImage"]["gk"], json!({"S": "g"}));
    assert_eq!(
        r[1]["userIdentity"],
        json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
    );
    // deleting what is not there changes nothing and emits nothing
    let o = write_item(db.store.as_ref(), &t, &key("a", 1), Origin::User, |_| {
        Ok(Mutation::Delete)
    })
    .await
    .expect("delete");
    assert!(!o.changed);
    assert_eq!(records(&db, &t).await.len(), 2);
}

#[tokio::test]
async fn write_failed_closure_or_no_op_writes_nothing() {
    let db = db();
    let t = indexed_table(&db).await;
    let it = json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g"}});
    put(&db, &t, it.clone()).await;
    let r = write_item(db.store.as_ref(), &t, &key("a", 1), Origin::User, |_| {
        Err(DdbError::ConditionFailed { item: None })
    })
    .await;
    assert!(matches!(r, Err(DdbError::ConditionFailed { .. })));
    let o = put(&db, &t, it).await;
    assert!(!o.changed);
    let o = write_item(db.store.as_ref(), &t, &key("zz", 1), Origin::User, |_| {
        Ok(Mutation::NoChange)
    })
    .await
    .expect("no change");
    assert!(!o.changed && o.new.is_none());
    assert_eq!(records(&db, &t).await.len(), 1);
}

#[tokio::test]
async fn write_rejects_bad_index_keys_and_foreign_keys() {
    let db = db();
    let t = indexed_table(&db).await;
    let bad = item(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"N": "5"}}));
    let e = write_item(db.store.as_ref(), &t, &key("a", 1), Origin::User, |_| {
        Ok(Mutation::Put(bad.clone()))
    })
    .await
    .expect_err("type mismatch");
    assert_eq!(
        e.to_string(),
        "One or more parameter values were invalid: Type mismatch for Index Key gk Expected: S Actual: N IndexName: byG"
    );
    let empty = item(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "ls": {"S": ""}}));
    let e = write_item(db.store.as_ref(), &t, &key("a", 1), Origin::User, |_| {
        Ok(Mutation::Put(empty.clone()))
    })
    .await
    .expect_err("empty index key");
    assert_eq!(
        e.to_string(),
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: byL, IndexKey: ls"
    );
    let other = item(json!({"pk": {"S": "b"}, "sk": {"N": "1"}}));
    let e = write_item(db.store.as_ref(), &t, &key("a", 1), Origin::User, |_| {
        Ok(Mutation::Put(other.clone()))
    })
    .await
    .expect_err("other key");
    assert!(matches!(e, DdbError::Internal(_)));
    assert!(records(&db, &t).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_concurrent_add_counter_counts_every_increment() {
    const N: usize = 40;
    let db = db();
    let t = Arc::new(indexed_table(&db).await);
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let (db, t) = (db.clone(), t.clone());
            tokio::spawn(async move {
                write_item(db.store.as_ref(), &t, &key("c", 1), Origin::User, |old| {
                    let mut it = old.cloned().unwrap_or_else(|| key("c", 1));
                    let n = match it.get("n") {
                        Some(AttrValue::N(n)) => n.clone(),
                        _ => Number::ZERO,
                    };
                    let one = Number::parse("1").expect("one");
                    it.insert("n".into(), AttrValue::N(n.add(&one).expect("add")));
                    Ok(Mutation::Put(it))
                })
                .await
                .expect("increment")
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let got = get_item(db.store.as_ref(), &t, &key("c", 1))
        .await
        .expect("get")
        .expect("item");
    assert_eq!(
        got.get("n"),
        Some(&AttrValue::N(Number::parse(&N.to_string()).expect("n")))
    );
    // one record per committed increment, in increasing sequence order
    let r = records(&db, &t).await;
    assert_eq!(r.len(), N);
    let seqs: Vec<&str> = r
        .iter()
        .filter_map(|r| r["dynamodb"]["SequenceNumber"].as_str())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn write_items_commits_all_or_nothing_with_results_in_order() {
    let db = db();
    let t = indexed_table(&db).await;
    let a = item(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gk": {"S": "g"}}));
    let b = item(json!({"pk": {"S": "b"}, "sk": {"N": "1"}}));
    let (a2, b2) = (a.clone(), b.clone());
    let writes = vec![
        ItemWrite {
            table: &t,
            key: key("a", 1),
            origin: Origin::User,
            apply: Box::new(move |_| Ok(Mutation::Put(a2.clone()))),
        },
        ItemWrite {
            table: &t,
            key: key("b", 1),
            origin: Origin::User,
            apply: Box::new(|old| {
                if old.is_none() {
                    Err(DdbError::ConditionFailed { item: None })
                } else {
                    Ok(Mutation::Delete)
                }
            }),
        },
    ];
    let r = write_items(db.store.as_ref(), writes)
        .await
        .expect("store ok");
    assert!(r[0].is_ok() && matches!(r[1], Err(DdbError::ConditionFailed { .. })));
    assert!(
        get_item(db.store.as_ref(), &t, &key("a", 1))
            .await
            .expect("get")
            .is_none()
    );
    assert!(records(&db, &t).await.is_empty());
    let writes = vec![
        ItemWrite {
            table: &t,
            key: key("a", 1),
            origin: Origin::User,
            apply: Box::new(move |_| Ok(Mutation::Put(a.clone()))),
        },
        ItemWrite {
            table: &t,
            key: key("b", 1),
            origin: Origin::User,
            apply: Box::new(move |_| Ok(Mutation::Put(b2.clone()))),
        },
    ];
    let r = write_items(db.store.as_ref(), writes)
        .await
        .expect("store ok");
    assert!(r.iter().all(|r| r.as_ref().is_ok_and(|o| o.changed)));
    assert_eq!(
        get_item(db.store.as_ref(), &t, &key("b", 1))
            .await
            .expect("get"),
        Some(b)
    );
    assert_eq!(index_entries(&db, &t, "byG").await.len(), 1);
    assert_eq!(records(&db, &t).await.len(), 2);
}

#[tokio::test]
async fn write_backfill_fills_a_new_gsi_from_existing_items() {
    let db = db();
    let mut t = indexed_table(&db).await;
    for i in 0..600 {
        let gk = if i % 3 == 0 {
            json!({"N": "1"})
        } else {
            json!({"S": format!("g{}", i % 7)})
        };
        put(
            &db,
            &t,
            json!({"pk": {"S": format!("p{i}")}, "sk": {"N": "1"}, "nk": gk, "x": {"S": "y"}}),
        )
        .await;
    }
    let mut gsi = t.gsis[0].clone();
    gsi.name = "byN".into();
    gsi.key.hash.name = "nk".into();
    gsi.projection.kind = crate::table::ProjectionType::KeysOnly;
    t.gsis.push(gsi);
    backfill_index(db.store.as_ref(), &t, "byN")
        .await
        .expect("backfill");
    let e = index_entries(&db, &t, "byN").await;
    // items whose nk is a number (not the declared S) are not in the index
    assert_eq!(e.len(), 400);
    assert!(
        e.iter()
            .all(|i| i.len() == 3 && i.contains_key("nk") && !i.contains_key("x"))
    );
    // the other indexes are untouched
    assert!(index_entries(&db, &t, "byL").await.is_empty());
}
