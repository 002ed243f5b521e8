//! The TTL sweeper against a MemoryStore: what expires and what never does, the service
//! identity on the REMOVE record, a concurrent extension winning, bounded ticks, the
//! background task, and the 24-hour trim of stream records.

use super::*;
use crate::store::{STREAM, stream_prefix};
use crate::streams::tests::{Env, env, env_with};
use serde_json::{Value, json};

fn s(v: &str) -> Value {
    json!({"S": v})
}

fn n(v: f64) -> Value {
    json!({"N": format!("{v}")})
}

fn now() -> f64 {
    lamina_core::now_epoch_seconds().floor()
}

async fn ttl_table(e: &Env, name: &str, view: Option<&str>) -> String {
    let arn = e.table(name, view).await;
    e.ok(
        "UpdateTimeToLive",
        json!({"TableName": name, "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "expires"}}),
    )
    .await;
    e.db.tables.invalidate("000000000000", "us-east-1", name);
    arn
}

async fn exists(e: &Env, table: &str, pk: &str) -> bool {
    let r = e
        .ok(
            "GetItem",
            json!({"TableName": table, "Key": {"pk": s(pk)}, "ConsistentRead": true}),
        )
        .await;
    r.get("Item").is_some()
}

async fn meta(e: &Env, name: &str) -> TableMeta {
    crate::store::read_table(e.db.store.as_ref(), "000000000000", "us-east-1", name)
        .await
        .expect("store")
        .expect("table")
        .meta
}

#[test]
fn ttl_expiry_rule() {
    let t = 1_700_000_000.0;
    let item = |v: AttrValue| Item::from([("e".to_string(), v)]);
    let num = |x: &str| AttrValue::N(crate::value::Number::parse(x).expect("number"));
    assert!(expired(&item(num("1699999999")), "e", t));
    assert!(expired(&item(num("1699999999.5")), "e", t));
    assert!(
        !expired(&item(num("1700000000")), "e", t),
        "not before the second has passed"
    );
    assert!(!expired(&item(num("1700000001")), "e", t));
    assert!(
        !expired(&item(num("1000")), "e", t),
        "more than five years back is ignored"
    );
    assert!(expired(
        &item(num(&format!("{}", t - 4.0 * 365.0 * 86_400.0))),
        "e",
        t
    ));
    assert!(!expired(&item(AttrValue::S("1".into())), "e", t));
    assert!(!expired(&item(AttrValue::Ns(vec![])), "e", t));
    assert!(!expired(&item(num("1")), "other", t));
}

#[tokio::test]
async fn ttl_deletes_expired_items_with_the_service_identity() {
    let e = env();
    let arn = ttl_table(&e, "t", Some("NEW_AND_OLD_IMAGES")).await;
    let t = now();
    e.put("t", json!({"pk": s("old"), "expires": n(t - 60.0)}))
        .await;
    e.put("t", json!({"pk": s("future"), "expires": n(t + 3600.0)}))
        .await;
    e.put(
        "t",
        json!({"pk": s("text"), "expires": s(&format!("{}", t - 60.0))}),
    )
    .await;
    e.put(
        "t",
        json!({"pk": s("ancient"), "expires": n(t - 6.0 * 365.0 * 86_400.0)}),
    )
    .await;
    e.put("t", json!({"pk": s("none")})).await;

    let stats = sweep(&e.db, &mut State::default(), Limits::default())
        .await
        .expect("sweep");
    assert_eq!(stats.deleted, 1);
    assert!(!exists(&e, "t", "old").await);
    for k in ["future", "text", "ancient", "none"] {
        assert!(exists(&e, "t", k).await, "{k}");
    }
    let recs = e.records(&arn).await;
    let removes: Vec<&Value> = recs.iter().filter(|r| r["eventName"] == "REMOVE").collect();
    assert_eq!(removes.len(), 1);
    let rem = removes[0];
    assert_eq!(rem["dynamodb"]["Keys"], json!({"pk": s("old")}));
    assert_eq!(
        rem["dynamodb"]["OldImage"],
        json!({"pk": s("old"), "expires": n(t - 60.0)})
    );
    assert_eq!(
        rem["userIdentity"],
        json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})
    );
    let internal = crate::streams::read_records(&e.db, &arn, None, 100)
        .await
        .expect("read");
    let ev = &internal.last().expect("a record").event;
    assert_eq!(
        ev["userIdentity"],
        json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
    );

    // A user's delete carries no identity.
    e.ok(
        "DeleteItem",
        json!({"TableName": "t", "Key": {"pk": s("future")}}),
    )
    .await;
    let last = e.records(&arn).await.pop().expect("a record");
    assert_eq!(last["eventName"], "REMOVE");
    assert!(last.get("userIdentity").is_none());
}

#[tokio::test]
async fn ttl_disabled_keeps_expired_items() {
    let e = env();
    e.table("t", None).await;
    e.put("t", json!({"pk": s("old"), "expires": n(now() - 60.0)}))
        .await;
    let stats = sweep(&e.db, &mut State::default(), Limits::default())
        .await
        .expect("sweep");
    assert_eq!((stats.tables, stats.deleted), (1, 0));
    assert!(exists(&e, "t", "old").await);
}

#[tokio::test]
async fn ttl_concurrent_extension_wins() {
    let e = env();
    let arn = ttl_table(&e, "t", Some("KEYS_ONLY")).await;
    let t = now();
    e.put("t", json!({"pk": s("a"), "expires": n(t - 60.0)}))
        .await;
    let m = meta(&e, "t").await;
    let seen = crate::write::get_item(
        e.db.store.as_ref(),
        &m,
        &crate::value::Item::from([("pk".to_string(), AttrValue::S("a".into()))]),
    )
    .await
    .expect("store")
    .expect("the item");
    // The sweeper read the item expired; a user extends it before the delete commits.
    e.ok(
        "UpdateItem",
        json!({"TableName": "t", "Key": {"pk": s("a")}, "UpdateExpression": "SET expires = :later",
               "ExpressionAttributeValues": {":later": n(t + 3600.0)}}),
    )
    .await;
    assert!(
        !expire(&e.db, &m, "expires", &seen, t)
            .await
            .expect("expire")
    );
    assert!(exists(&e, "t", "a").await);
    let names: Vec<String> = e
        .records(&arn)
        .await
        .iter()
        .map(|r| r["eventName"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, ["INSERT", "MODIFY"], "no REMOVE record");
}

#[tokio::test]
async fn ttl_ticks_are_bounded_and_resume() {
    let e = env();
    ttl_table(&e, "t", None).await;
    let t = now();
    for i in 0..7 {
        e.put(
            "t",
            json!({"pk": s(&format!("k{i}")), "expires": n(t - 10.0)}),
        )
        .await;
    }
    e.put("t", json!({"pk": s("keep")})).await;
    let limits = Limits {
        deletes: 3,
        scanned: 1000,
        trimmed: 10,
    };
    let mut state = State::default();
    let mut per_tick = Vec::new();
    for _ in 0..4 {
        per_tick.push(
            sweep(&e.db, &mut state, limits)
                .await
                .expect("sweep")
                .deleted,
        );
    }
    assert_eq!(per_tick, [3, 3, 1, 0]);
    let scan = e.ok("Scan", json!({"TableName": "t"})).await;
    assert_eq!(scan["Count"], 1);

    // A scan budget smaller than the table: the cursor carries the walk to the next ticks.
    for i in 0..5 {
        e.put(
            "t",
            json!({"pk": s(&format!("j{i}")), "expires": n(t - 10.0)}),
        )
        .await;
    }
    let limits = Limits {
        deletes: 100,
        scanned: 2,
        trimmed: 10,
    };
    let mut deleted = 0;
    for _ in 0..5 {
        let st = sweep(&e.db, &mut state, limits).await.expect("sweep");
        assert!(st.scanned <= 2);
        deleted += st.deleted;
    }
    assert_eq!(deleted, 5);
}

#[tokio::test]
async fn ttl_background_task_deletes_within_the_interval() {
    let e = env_with(crate::DynamoDbConfig {
        ttl_sweep_interval: Duration::from_millis(20),
        ..Default::default()
    });
    ttl_table(&e, "t", None).await;
    let handle = e.db.start_background();
    e.put("t", json!({"pk": s("old"), "expires": n(now() - 1.0)}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while exists(&e, "t", "old").await {
        assert!(Instant::now() < deadline, "not deleted within 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    handle.abort();
}

#[tokio::test]
async fn ttl_sweeper_trims_records_older_than_a_day() {
    let e = env();
    let arn = e.table("t", Some("KEYS_ONLY")).await;
    e.put("t", json!({"pk": s("fresh")})).await;
    let m = meta(&e, "t").await;
    // A record written 25 hours ago, next to the fresh one.
    let seq = u128::from(lamina_core::now_epoch_millis() - 25 * 3600 * 1000) * 1_000_000;
    let mut k = stream_prefix(&m.account, &m.region, &m.table_id);
    k.extend_from_slice(&seq.to_be_bytes());
    let mut batch = WriteBatch::new();
    batch.put(
        STREAM,
        k.clone(),
        br#"{"v":1,"eventName":"INSERT"}"#.to_vec(),
    );
    e.db.store.commit(batch).await.expect("commit");

    let stats = sweep(&e.db, &mut State::default(), Limits::default())
        .await
        .expect("sweep");
    assert_eq!(stats.trimmed, 1);
    assert!(e.db.store.get(STREAM, &k).await.expect("get").is_none());
    let recs = e.records(&arn).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["dynamodb"]["Keys"], json!({"pk": s("fresh")}));
}
