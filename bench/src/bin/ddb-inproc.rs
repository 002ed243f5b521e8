//! A fixed number of DynamoDB requests through the whole in-process request path (gateway:
//! detection, codec, validation, service, store), without HTTP: the instrument for
//! instruction counts per request under callgrind.
//!
//! ```sh
//! valgrind --tool=callgrind target/release/ddb-inproc --op put --requests 2000 [--redb DIR]
//! ```
//! Prints the count and the wall time. The first `--warmup` requests (default 100) are not
//! counted in the time; under callgrind, compare two `--requests` values and divide the
//! difference of the totals by the difference of the counts.

use lamina_storage::Store;
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let mut op = "put".to_string();
    let mut requests = 2000u32;
    let mut warmup = 100u32;
    let mut redb: Option<String> = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut v = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--op" => op = v(),
            "--requests" => requests = v().parse().expect("--requests"),
            "--warmup" => warmup = v().parse().expect("--warmup"),
            "--redb" => redb = Some(v()),
            other => panic!("unknown option {other}"),
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let store: Arc<dyn Store> = match &redb {
            Some(dir) => lamina_storage_redb::RedbStore::open(std::path::Path::new(dir)).expect("redb"),
            None => lamina_storage_memory::MemoryStore::new(),
        };
        let gw = lamina_bench::ddb_gateway(store).await;
        let total = warmup + requests;
        if op == "get" {
            for n in 0..1000 {
                let r = gw.handle(lamina_bench::put_item_request_n(n), "http://localhost".into()).await;
                assert_eq!(r.status, 200);
            }
        }
        let reqs: Vec<_> = (0..total)
            .map(|n| match op.as_str() {
                "put" => lamina_bench::put_item_request_n(n),
                "get" => lamina_bench::get_item_request_n(n % 1000),
                other => panic!("unknown --op {other} (put, get)"),
            })
            .collect();
        let mut started = Instant::now();
        for (i, req) in reqs.into_iter().enumerate() {
            if i as u32 == warmup {
                started = Instant::now();
            }
            let r = gw.handle(req, "http://localhost".into()).await;
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        }
        let el = started.elapsed();
        println!("{op}: {requests} requests in {:.3} s, {:.2} µs each", el.as_secs_f64(), el.as_secs_f64() * 1e6 / requests as f64);
    });
}
