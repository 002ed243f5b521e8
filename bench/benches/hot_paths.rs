//! criterion micro-benchmarks of the hot paths: the JSON codec on a PutItem, model
//! validation, DynamoDB key encoding and the item codec, the expression engine, and store
//! put/get on both backends.
//!
//! `cargo bench --manifest-path bench/Cargo.toml` (add `-- <filter>` for one group).

use criterion::{Criterion, criterion_group, criterion_main};
use lamina_dynamodb::expr::Context;
use lamina_dynamodb::value::{AttrValue, Item, Number, decode_item, encode_item, encode_key, item_from_json};
use lamina_storage::{Store, WriteBatch};
use std::hint::black_box;
use std::sync::Arc;

fn codec(c: &mut Criterion) {
    let model = lamina_model::get("dynamodb").expect("embedded model");
    let req = lamina_bench::put_item_request();
    let protocol = lamina_wire::Protocol::of(model);
    let op = lamina_wire::operation(model, protocol, &req).expect("PutItem");
    c.bench_function("json_codec/parse_put_item_1kb", |b| {
        b.iter(|| lamina_wire::parse(model, protocol, op, black_box(&req)).expect("parses"))
    });
    let input = lamina_wire::parse(model, protocol, op, &req).expect("parses");
    c.bench_function("json_codec/validate_put_item_1kb", |b| {
        b.iter(|| lamina_wire::validate::violations(model, op, black_box(&input.value)))
    });
    let get = model.operation("GetItem").expect("GetItem");
    let out = serde_json::json!({"Item": input.value["Item"].clone()});
    let meta = lamina_wire::ResponseMeta { request_id: "00000000-0000-4000-8000-000000000000" };
    c.bench_function("json_codec/serialize_get_item_1kb", |b| {
        b.iter(|| {
            lamina_wire::serialize(model, protocol, get, lamina_core::Output::json(black_box(out.clone())), &meta)
        })
    });
}

fn dynamodb_values(c: &mut Criterion) {
    let n = AttrValue::N(Number::parse("-12345.6789").expect("number"));
    let s = AttrValue::S("user#000123456".into());
    c.bench_function("ddb_key/encode_n", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(32);
            encode_key(black_box(&n), &mut out).expect("key");
            out
        })
    });
    c.bench_function("ddb_key/encode_s", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(32);
            encode_key(black_box(&s), &mut out).expect("key");
            out
        })
    });
    let req = lamina_bench::put_item_request();
    let body: serde_json::Value = serde_json::from_slice(&req.body).expect("json");
    let item: Item = item_from_json(&body["Item"]).expect("item");
    let bytes = encode_item(&item);
    c.bench_function("ddb_item/encode_1kb", |b| b.iter(|| encode_item(black_box(&item))));
    c.bench_function("ddb_item/decode_1kb", |b| b.iter(|| decode_item(black_box(&bytes)).expect("decodes")));
}

fn dynamodb_expressions(c: &mut Criterion) {
    let names = serde_json::json!({"#n": "name", "#t": "tags"});
    let values = serde_json::json!({":v": {"S": "Ada"}, ":lo": {"N": "1"}, ":hi": {"N": "2000000000"}, ":t": {"S": "b"}});
    let src = "#n = :v AND sk BETWEEN :lo AND :hi AND contains(#t, :t) AND attribute_exists(payload)";
    c.bench_function("ddb_expr/parse_condition", |b| {
        b.iter(|| {
            let mut ctx = Context::new(Some(&names), Some(&values)).expect("context");
            ctx.condition(black_box(src)).expect("parses")
        })
    });
    let req = lamina_bench::put_item_request();
    let body: serde_json::Value = serde_json::from_slice(&req.body).expect("json");
    let item: Item = item_from_json(&body["Item"]).expect("item");
    let mut ctx = Context::new(Some(&names), Some(&values)).expect("context");
    let cond = ctx.condition(src).expect("parses");
    c.bench_function("ddb_expr/eval_condition", |b| {
        b.iter(|| lamina_dynamodb::expr::eval_condition(black_box(&cond), &item).expect("evaluates"))
    });
    let uvalues = serde_json::json!({":one": {"N": "1"}, ":x": {"S": "y"}});
    let mut uctx = Context::new(None, Some(&uvalues)).expect("context");
    let update = uctx.update("SET tally = if_not_exists(tally, :one) + :one, extra = :x REMOVE payload").expect("parses");
    c.bench_function("ddb_expr/apply_update", |b| {
        b.iter(|| {
            let mut it = item.clone();
            lamina_dynamodb::expr::apply_update(black_box(&update), &mut it).expect("applies");
            it
        })
    });
}

fn stores(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let redb: Arc<dyn Store> = lamina_storage_redb::RedbStore::open(dir.path()).expect("redb");
    let memory: Arc<dyn Store> = lamina_storage_memory::MemoryStore::new();
    let value = vec![7u8; 1024];
    for (name, store) in [("memory", memory), ("redb", redb)] {
        rt.block_on(async {
            for i in 0..10_000u32 {
                let mut b = WriteBatch::new();
                b.put("bench", i.to_be_bytes().to_vec(), value.clone());
                store.commit(b).await.expect("commit");
            }
        });
        let mut i = 0u32;
        c.bench_function(&format!("store/{name}/get_1kb"), |b| {
            b.iter(|| {
                i = (i + 7919) % 10_000;
                rt.block_on(store.get("bench", &i.to_be_bytes())).expect("get")
            })
        });
        let mut j = 10_000u32;
        c.bench_function(&format!("store/{name}/put_1kb_durable"), |b| {
            b.iter(|| {
                j += 1;
                let mut batch = WriteBatch::new();
                batch.put("bench", j.to_be_bytes().to_vec(), value.clone());
                rt.block_on(store.commit(batch)).expect("commit")
            })
        });
    }
}

/// The whole in-process request path (gateway, codec, validation, service) on the memory
/// store: CPU per request without HTTP and without fsync.
fn requests(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let gw = rt.block_on(lamina_bench::ddb_gateway(lamina_storage_memory::MemoryStore::new()));
    let puts: Vec<_> = (0..1000).map(lamina_bench::put_item_request_n).collect();
    let gets: Vec<_> = (0..1000).map(lamina_bench::get_item_request_n).collect();
    let mut i = 0usize;
    c.bench_function("request/put_item_1kb_memory", |b| {
        b.iter(|| {
            i = (i + 1) % puts.len();
            let r = rt.block_on(gw.handle(puts[i].clone(), "http://localhost".into()));
            assert_eq!(r.status, 200);
        })
    });
    c.bench_function("request/get_item_1kb_memory", |b| {
        b.iter(|| {
            i = (i + 1) % gets.len();
            let r = rt.block_on(gw.handle(gets[i].clone(), "http://localhost".into()));
            assert_eq!(r.status, 200);
        })
    });
}

criterion_group!(benches, codec, dynamodb_values, dynamodb_expressions, stores, requests);
criterion_main!(benches);
