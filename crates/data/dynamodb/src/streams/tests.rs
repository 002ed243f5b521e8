//! The Streams API against a MemoryStore, through both services as a client calls them:
//! records per view type, iterator semantics, errors, disabled streams, the internal interface.

use super::iterator::{Position, ShardIterator};
use super::*;
use crate::DynamoDbService;
use lamina_core::{AwsError, Input, RequestContext};
use serde_json::{Value, json};

pub(crate) struct Env {
    pub db: Arc<DynamoDb>,
    ddb: DynamoDbService,
    streams: StreamsService,
    pub ctx: RequestContext,
}

pub(crate) fn env() -> Env {
    env_with(Default::default())
}

pub(crate) fn env_with(config: crate::DynamoDbConfig) -> Env {
    let db = DynamoDb::new(lamina_storage_memory::MemoryStore::new(), config);
    Env {
        ddb: DynamoDbService::new(db.clone()),
        streams: StreamsService::new(db.clone()),
        db,
        ctx: RequestContext {
            request_id: "r".into(),
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            access_key_id: String::new(),
            endpoint: "http://localhost:4566".into(),
        },
    }
}

fn input(value: Value) -> Input {
    Input {
        value,
        payload: None,
    }
}

impl Env {
    pub async fn ddb(&self, op: &str, v: Value) -> Result<Value, AwsError> {
        self.ddb
            .call(&self.ctx, op, input(v))
            .await
            .map(|o| o.value)
    }

    pub async fn ok(&self, op: &str, v: Value) -> Value {
        match self.ddb(op, v).await {
            Ok(v) => v,
            Err(e) => panic!("{op}: {} {}", e.code.code, e.message),
        }
    }

    pub async fn st(&self, op: &str, v: Value) -> Result<Value, AwsError> {
        self.streams
            .call(&self.ctx, op, input(v))
            .await
            .map(|o| o.value)
    }

    pub async fn st_ok(&self, op: &str, v: Value) -> Value {
        match self.st(op, v).await {
            Ok(v) => v,
            Err(e) => panic!("{op}: {} {}", e.code.code, e.message),
        }
    }

    /// (code, message) of a Streams call that must fail.
    pub async fn st_err(&self, op: &str, v: Value) -> (String, String) {
        let e = self.st(op, v).await.expect_err("an error");
        (e.code.code.to_string(), e.message)
    }

    /// Creates table `name` (hash key `pk` S) with a stream of `view` (None: no stream);
    /// returns the stream ARN (or "").
    pub async fn table(&self, name: &str, view: Option<&str>) -> String {
        let mut req = json!({
            "TableName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        });
        if let Some(v) = view {
            req["StreamSpecification"] = json!({"StreamEnabled": true, "StreamViewType": v});
        }
        let d = self.ok("CreateTable", req).await;
        d["TableDescription"]["LatestStreamArn"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub async fn put(&self, table: &str, item: Value) {
        self.ok("PutItem", json!({"TableName": table, "Item": item}))
            .await;
    }

    pub async fn shard(&self, arn: &str) -> String {
        let d = self
            .st_ok("DescribeStream", json!({"StreamArn": arn}))
            .await;
        d["StreamDescription"]["Shards"][0]["ShardId"]
            .as_str()
            .expect("a shard")
            .to_string()
    }

    pub async fn iterator(&self, arn: &str, kind: &str, seq: Option<&str>) -> String {
        let mut req =
            json!({"StreamArn": arn, "ShardId": self.shard(arn).await, "ShardIteratorType": kind});
        if let Some(s) = seq {
            req["SequenceNumber"] = json!(s);
        }
        let r = self.st_ok("GetShardIterator", req).await;
        r["ShardIterator"]
            .as_str()
            .expect("an iterator")
            .to_string()
    }

    /// Every record from TRIM_HORIZON.
    pub async fn records(&self, arn: &str) -> Vec<Value> {
        let it = self.iterator(arn, "TRIM_HORIZON", None).await;
        self.read_from(it).await
    }

    pub async fn read_from(&self, mut it: String) -> Vec<Value> {
        let mut out = Vec::new();
        for _ in 0..100 {
            let r = self.st_ok("GetRecords", json!({"ShardIterator": it})).await;
            let recs = r["Records"].as_array().cloned().unwrap_or_default();
            if recs.is_empty() {
                break;
            }
            out.extend(recs);
            match r["NextShardIterator"].as_str() {
                Some(n) => it = n.to_string(),
                None => break,
            }
        }
        out
    }
}

fn s(v: &str) -> Value {
    json!({"S": v})
}

fn pks(recs: &[Value]) -> Vec<String> {
    recs.iter()
        .map(|r| {
            r["dynamodb"]["Keys"]["pk"]["S"]
                .as_str()
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

async fn put_update_delete(e: &Env, t: &str) {
    e.put(t, json!({"pk": s("a"), "v": {"N": "1"}})).await;
    e.ok(
        "UpdateItem",
        json!({"TableName": t, "Key": {"pk": s("a")}, "UpdateExpression": "SET v = :two",
               "ExpressionAttributeValues": {":two": {"N": "2"}}}),
    )
    .await;
    e.ok("DeleteItem", json!({"TableName": t, "Key": {"pk": s("a")}}))
        .await;
}

#[tokio::test]
async fn streams_records_of_each_view_type() {
    let cases = [
        (
            "KEYS_ONLY",
            [(false, false), (false, false), (false, false)],
        ),
        ("NEW_IMAGE", [(true, false), (true, false), (false, false)]),
        ("OLD_IMAGE", [(false, false), (false, true), (false, true)]),
        (
            "NEW_AND_OLD_IMAGES",
            [(true, false), (true, true), (false, true)],
        ),
    ];
    for (view, want) in cases {
        let e = env();
        let arn = e.table("t", Some(view)).await;
        put_update_delete(&e, "t").await;
        let recs = e.records(&arn).await;
        let names: Vec<&str> = recs
            .iter()
            .map(|r| r["eventName"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(names, ["INSERT", "MODIFY", "REMOVE"], "{view}");
        for (r, (new, old)) in recs.iter().zip(want) {
            let d = &r["dynamodb"];
            assert_eq!(d["Keys"], json!({"pk": s("a")}), "{view}");
            assert_eq!(d.get("NewImage").is_some(), new, "{view} {r}");
            assert_eq!(d.get("OldImage").is_some(), old, "{view} {r}");
            assert_eq!(d["StreamViewType"], view);
            assert!(d["SizeBytes"].as_u64().unwrap_or(0) > 0);
            assert_eq!(r["eventSource"], "aws:dynamodb");
            assert_eq!(r["eventVersion"], "1.1");
            assert_eq!(r["awsRegion"], "us-east-1");
            assert!(
                r.get("v").is_none() && r.get("userIdentity").is_none(),
                "{r}"
            );
        }
        if view == "NEW_AND_OLD_IMAGES" {
            assert_eq!(recs[1]["dynamodb"]["OldImage"]["v"], json!({"N": "1"}));
            assert_eq!(recs[1]["dynamodb"]["NewImage"]["v"], json!({"N": "2"}));
            assert_eq!(recs[2]["dynamodb"]["OldImage"]["v"], json!({"N": "2"}));
        }
        let seqs: Vec<u128> = recs
            .iter()
            .map(|r| {
                r["dynamodb"]["SequenceNumber"]
                    .as_str()
                    .and_then(arn::parse_sequence)
                    .unwrap_or(0)
            })
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    }
}

#[tokio::test]
async fn streams_list_and_describe() {
    let e = env();
    let a = e.table("a", Some("NEW_IMAGE")).await;
    e.table("b", None).await;
    let c = e.table("c", Some("KEYS_ONLY")).await;
    let all = e.st_ok("ListStreams", json!({})).await;
    let arns: Vec<&str> = all["Streams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["StreamArn"].as_str())
        .collect();
    assert_eq!(arns, [a.as_str(), c.as_str()]);
    assert!(all.get("LastEvaluatedStreamArn").is_none());

    let page = e.st_ok("ListStreams", json!({"Limit": 1})).await;
    assert_eq!(page["Streams"][0]["StreamArn"], a.as_str());
    assert_eq!(page["LastEvaluatedStreamArn"], a.as_str());
    let rest = e
        .st_ok("ListStreams", json!({"ExclusiveStartStreamArn": a}))
        .await;
    assert_eq!(rest["Streams"][0]["StreamArn"], c.as_str());
    assert_eq!(rest["Streams"].as_array().map(Vec::len), Some(1));

    let only_b = e.st_ok("ListStreams", json!({"TableName": "b"})).await;
    assert_eq!(only_b["Streams"], json!([]));
    let only_a = e.st_ok("ListStreams", json!({"TableName": "a"})).await;
    let label = a.rsplit('/').next().unwrap_or_default();
    assert_eq!(
        only_a["Streams"],
        json!([{"StreamArn": a, "TableName": "a", "StreamLabel": label}])
    );
    let (code, _) = e.st_err("ListStreams", json!({"Limit": 101})).await;
    assert_eq!(code, "ValidationException");
    let (code, _) = e
        .st_err("ListStreams", json!({"ExclusiveStartStreamArn": "kossa"}))
        .await;
    assert_eq!(code, "ValidationException");

    let d = e.st_ok("DescribeStream", json!({"StreamArn": a})).await;
    let d = &d["StreamDescription"];
    assert_eq!(d["StreamArn"], a.as_str());
    assert_eq!(d["StreamLabel"], label);
    assert_eq!(d["StreamStatus"], "ENABLED");
    assert_eq!(d["StreamViewType"], "NEW_IMAGE");
    assert_eq!(d["TableName"], "a");
    assert_eq!(
        d["KeySchema"],
        json!([{"AttributeName": "pk", "KeyType": "HASH"}])
    );
    assert!(d["CreationRequestDateTime"].as_f64().unwrap_or(0.0) > 1.6e9);
    let shard = &d["Shards"][0];
    let id = shard["ShardId"].as_str().unwrap_or_default();
    assert!(
        id.starts_with("shardId-") && (28..=65).contains(&id.len()),
        "{id}"
    );
    let start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
        .as_str()
        .unwrap_or_default();
    assert!(
        start.len() >= 21 && start.bytes().all(|b| b.is_ascii_digit()),
        "{start}"
    );
    assert!(
        shard["SequenceNumberRange"]
            .get("EndingSequenceNumber")
            .is_none()
    );
    let after = e
        .st_ok(
            "DescribeStream",
            json!({"StreamArn": a, "ExclusiveStartShardId": id}),
        )
        .await;
    assert_eq!(after["StreamDescription"]["Shards"], json!([]));
}

#[tokio::test]
async fn streams_unknown_and_malformed_names() {
    let e = env();
    let arn = e.table("t", Some("KEYS_ONLY")).await;
    let missing =
        "arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/2020-01-01T00:00:00.000";
    let (code, msg) = e
        .st_err("DescribeStream", json!({"StreamArn": missing}))
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    assert_eq!(
        msg,
        format!("Requested resource not found: Stream: {missing} not found")
    );
    let old_label = format!(
        "{}/2000-01-01T00:00:00.000",
        &arn[..arn.rfind('/').unwrap_or(0)]
    );
    let (code, _) = e
        .st_err("DescribeStream", json!({"StreamArn": old_label}))
        .await;
    assert_eq!(code, "ResourceNotFoundException");
    let (code, _) = e
        .st_err(
            "DescribeStream",
            json!({"StreamArn": "sdfadfsdfnlfkajakfgjalksfgklasjklasdjf"}),
        )
        .await;
    assert_eq!(code, "ValidationException");
    let other_account = arn.replace(":000000000000:", ":111111111111:");
    let (code, _) = e
        .st_err("DescribeStream", json!({"StreamArn": other_account}))
        .await;
    assert_eq!(code, "ResourceNotFoundException");

    let (code, msg) = e
        .st_err(
            "GetShardIterator",
            json!({"StreamArn": arn, "ShardId": "shardId-00000000000000000000-00000000", "ShardIteratorType": "LATEST"}),
        )
        .await;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        (
            "ResourceNotFoundException",
            "Requested resource not found: Shard does not exist"
        )
    );
    for bad in ["not-an-iterator-not-an-iterator", &format!("{arn}|1|AAAA")] {
        let (code, msg) = e.st_err("GetRecords", json!({"ShardIterator": bad})).await;
        assert_eq!(
            (code.as_str(), msg.as_str()),
            ("ValidationException", "Invalid ShardIterator")
        );
    }
}

#[tokio::test]
async fn streams_iterator_positions() {
    let e = env();
    let arn = e.table("t", Some("KEYS_ONLY")).await;
    let latest_empty = e.iterator(&arn, "LATEST", None).await;
    for k in ["x", "y", "z"] {
        e.put("t", json!({"pk": s(k)})).await;
    }
    assert_eq!(pks(&e.read_from(latest_empty).await), ["x", "y", "z"]);
    let recs = e.records(&arn).await;
    assert_eq!(pks(&recs), ["x", "y", "z"]);
    let y = recs[1]["dynamodb"]["SequenceNumber"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let at = e.iterator(&arn, "AT_SEQUENCE_NUMBER", Some(&y)).await;
    assert_eq!(pks(&e.read_from(at).await), ["y", "z"]);
    let after = e.iterator(&arn, "AFTER_SEQUENCE_NUMBER", Some(&y)).await;
    assert_eq!(pks(&e.read_from(after).await), ["z"]);

    let latest = e.iterator(&arn, "LATEST", None).await;
    let r = e
        .st_ok("GetRecords", json!({"ShardIterator": latest}))
        .await;
    assert_eq!(r["Records"], json!([]));
    let next = r["NextShardIterator"]
        .as_str()
        .expect("an open shard has a next iterator")
        .to_string();
    e.put("t", json!({"pk": s("after")})).await;
    assert_eq!(pks(&e.read_from(next).await), ["after"]);

    // Limit and NextShardIterator walk the records one by one, then nothing is left.
    let mut it = e.iterator(&arn, "TRIM_HORIZON", None).await;
    let mut got = Vec::new();
    for _ in 0..4 {
        let r = e
            .st_ok("GetRecords", json!({"ShardIterator": it, "Limit": 1}))
            .await;
        got.extend(pks(r["Records"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()));
        it = r["NextShardIterator"]
            .as_str()
            .unwrap_or_default()
            .to_string();
    }
    assert_eq!(got, ["x", "y", "z", "after"]);
    let r = e.st_ok("GetRecords", json!({"ShardIterator": it})).await;
    assert_eq!(r["Records"], json!([]));

    // The shard's StartingSequenceNumber reads everything, as TRIM_HORIZON does.
    let d = e.st_ok("DescribeStream", json!({"StreamArn": arn})).await;
    let start =
        d["StreamDescription"]["Shards"][0]["SequenceNumberRange"]["StartingSequenceNumber"]
            .as_str()
            .unwrap_or_default()
            .to_string();
    let from_start = e.iterator(&arn, "AT_SEQUENCE_NUMBER", Some(&start)).await;
    assert_eq!(e.read_from(from_start).await.len(), 4);
}

#[tokio::test]
async fn streams_iterator_request_errors() {
    let e = env();
    let arn = e.table("t", Some("KEYS_ONLY")).await;
    let shard = e.shard(&arn).await;
    let req = |kind: &str, seq: Option<&str>| {
        let mut r = json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": kind});
        if let Some(s) = seq {
            r["SequenceNumber"] = json!(s);
        }
        r
    };
    let seq = "000000000000000000042";
    for (kind, seq) in [
        ("AT_SEQUENCE_NUMBER", None),
        ("AFTER_SEQUENCE_NUMBER", None),
        ("TRIM_HORIZON", Some(seq)),
        ("LATEST", Some(seq)),
        (
            "LATEST",
            Some("sdfsafglldfngjdafnasdflgnaldklkafdsgklnasdlv"),
        ),
        ("AT_SEQUENCE_NUMBER", Some("12x45678901234567890123")),
    ] {
        let (code, msg) = e.st_err("GetShardIterator", req(kind, seq)).await;
        assert_eq!(code, "ValidationException", "{kind} {seq:?}: {msg}");
    }
    // A sequence number older than the 24-hour retention is trimmed data.
    let (code, _) = e
        .st_err("GetShardIterator", req("AT_SEQUENCE_NUMBER", Some(seq)))
        .await;
    assert_eq!(code, "TrimmedDataAccessException");

    let it = e.iterator(&arn, "TRIM_HORIZON", None).await;
    let (code, msg) = e
        .st_err("GetRecords", json!({"ShardIterator": it, "Limit": 1001}))
        .await;
    assert_eq!(code, "ValidationException");
    assert_eq!(
        msg,
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000"
    );
    e.st_ok("GetRecords", json!({"ShardIterator": it, "Limit": 1000}))
        .await;

    // 15 minutes after it was issued, an iterator is expired.
    let old = ShardIterator {
        stream_arn: arn.clone(),
        position: Position::TrimHorizon,
        issued_ms: lamina_core::now_epoch_millis() - 16 * 60 * 1000,
    };
    let (code, msg) = e
        .st_err("GetRecords", json!({"ShardIterator": old.encode()}))
        .await;
    assert_eq!(code, "ExpiredIteratorException");
    assert!(msg.starts_with("Iterator expired."), "{msg}");

    // An iterator of a table that is gone names a stream that is not found.
    e.ok("DeleteTable", json!({"TableName": "t"})).await;
    e.db.tables.invalidate("000000000000", "us-east-1", "t");
    let (code, _) = e.st_err("GetRecords", json!({"ShardIterator": it})).await;
    assert_eq!(code, "ResourceNotFoundException");
}

#[tokio::test]
async fn streams_disabled_stream_is_closed_but_readable() {
    let e = env();
    let arn = e.table("t", Some("OLD_IMAGE")).await;
    let it = e.iterator(&arn, "TRIM_HORIZON", None).await;
    e.put("t", json!({"pk": s("a")})).await;
    e.ok(
        "UpdateTable",
        json!({"TableName": "t", "StreamSpecification": {"StreamEnabled": false}}),
    )
    .await;
    e.db.tables.invalidate("000000000000", "us-east-1", "t");
    e.put("t", json!({"pk": s("b")})).await;

    let d = e.st_ok("DescribeStream", json!({"StreamArn": arn})).await;
    let d = &d["StreamDescription"];
    assert_eq!(d["StreamStatus"], "DISABLED");
    assert_eq!(d["StreamViewType"], "OLD_IMAGE");
    let range = &d["Shards"][0]["SequenceNumberRange"];
    let recs = e.records(&arn).await;
    assert_eq!(pks(&recs), ["a"], "no record once the stream is off");
    assert_eq!(
        range["EndingSequenceNumber"],
        recs[0]["dynamodb"]["SequenceNumber"]
    );

    let r = e.st_ok("GetRecords", json!({"ShardIterator": it})).await;
    assert_eq!(
        pks(r["Records"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()),
        ["a"]
    );
    assert!(
        r.get("NextShardIterator").is_none(),
        "a closed shard read to its end: {r}"
    );
    let listed = e.st_ok("ListStreams", json!({"TableName": "t"})).await;
    assert_eq!(listed["Streams"][0]["StreamArn"], arn.as_str());
}

#[tokio::test]
async fn streams_internal_readers_wait_for_commits() {
    let e = env();
    let arn = e.table("t", Some("NEW_IMAGE")).await;
    let mut updates = e.db.stream_updates();
    assert!(
        read_records(&e.db, &arn, None, 10)
            .await
            .expect("read")
            .is_empty()
    );

    let db = e.db.clone();
    let arn2 = arn.clone();
    let waiter = tokio::spawn(async move {
        updates.changed().await.expect("the signal lives");
        read_records(&db, &arn2, None, 10).await.expect("read")
    });
    e.put("t", json!({"pk": s("a")})).await;
    let got = tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
        .await
        .expect("woken by the commit")
        .expect("task");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event["eventName"], "INSERT");
    assert_eq!(got[0].event["eventSourceARN"], arn.as_str());
    assert_eq!(got[0].event["dynamodb"]["NewImage"], json!({"pk": s("a")}));

    e.put("t", json!({"pk": s("b")})).await;
    let rest = read_records(&e.db, &arn, Some(got[0].sequence), 10)
        .await
        .expect("read");
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].event["dynamodb"]["Keys"], json!({"pk": s("b")}));
    assert!(rest[0].sequence > got[0].sequence);

    // Writes that fail or change nothing emit nothing.
    let before = *e.db.stream_updates().borrow();
    e.put("t", json!({"pk": s("b")})).await;
    let failed = e
        .ddb("PutItem", json!({"TableName": "t", "Item": {"pk": s("b")}, "ConditionExpression": "attribute_not_exists(pk)"}))
        .await;
    assert!(failed.is_err());
    assert_eq!(*e.db.stream_updates().borrow(), before);
    assert_eq!(
        read_records(&e.db, &arn, None, 10)
            .await
            .expect("read")
            .len(),
        2
    );

    let missing =
        "arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/2020-01-01T00:00:00.000";
    assert!(matches!(
        read_records(&e.db, missing, None, 10).await,
        Err(StreamsError::NotFound(_))
    ));
}
