//! A load generator that sends correctly formed, SigV4-signed AWS requests to any endpoint,
//! checks every response's status, and prints one JSON line per run:
//! `{"scenario", "concurrency", "seconds", "requests", "errors", "rps", "p50_us", "p99_us", "p999_us"}`.
//!
//! ```sh
//! cargo run --release --manifest-path bench/Cargo.toml --bin loadgen -- \
//!     --endpoint http://127.0.0.1:4566 --scenario ddb-get --concurrency 32 --seconds 10
//! ```
//! Scenarios: health, ddb-put, ddb-get, ddb-query, ssm-get. A scenario whose service the
//! endpoint does not serve fails its setup and is reported as skipped, never faked.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use lamina_bench::sign::{Signer, SignedRequest};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

struct Args {
    endpoint: String,
    scenario: String,
    concurrency: usize,
    seconds: f64,
    warmup: f64,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        endpoint: "http://127.0.0.1:4566".into(),
        scenario: "ddb-get".into(),
        concurrency: 1,
        seconds: 5.0,
        warmup: 1.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut v = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--endpoint" => a.endpoint = v()?.trim_end_matches('/').to_string(),
            "--scenario" => a.scenario = v()?,
            "--concurrency" => a.concurrency = v()?.parse().map_err(|_| "bad --concurrency")?,
            "--seconds" => a.seconds = v()?.parse().map_err(|_| "bad --seconds")?,
            "--warmup" => a.warmup = v()?.parse().map_err(|_| "bad --warmup")?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

/// What one request of a scenario looks like; `n` makes requests differ.
type MakeRequest = Arc<dyn Fn(u64) -> SignedRequest + Send + Sync>;

fn json_req(signer: &Signer, target: &str, service: &str, body: String) -> SignedRequest {
    let version = if service == "dynamodb" { "1.0" } else { "1.1" };
    signer.sign(
        "POST",
        "/",
        service,
        &[("x-amz-target", target), ("content-type", &format!("application/x-amz-json-{version}"))],
        body.into_bytes(),
    )
}

async fn send(client: &HttpClient, endpoint: &str, r: &SignedRequest) -> Result<(u16, Bytes), String> {
    let mut b = hyper::Request::builder().method(r.method.as_str()).uri(format!("{endpoint}{}", r.path));
    for (k, v) in &r.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let req = b.body(Full::new(Bytes::from(r.body.clone()))).map_err(|e| e.to_string())?;
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok((status, body))
}

async fn setup(client: &HttpClient, endpoint: &str, signer: &Signer, scenario: &str) -> Result<MakeRequest, String> {
    let s = signer.clone();
    let must = |r: Result<(u16, Bytes), String>, what: &str| -> Result<Bytes, String> {
        match r {
            Ok((200, b)) => Ok(b),
            Ok((st, b)) => Err(format!("{what}: {st} {}", String::from_utf8_lossy(&b))),
            Err(e) => Err(format!("{what}: {e}")),
        }
    };
    let table = "lamina_bench";
    let payload = "x".repeat(900);
    match scenario {
        "health" => Ok(Arc::new(|_| SignedRequest::plain("GET", "/_lamina/health"))),
        "ddb-put" | "ddb-get" | "ddb-query" => {
            let create = format!(
                r#"{{"TableName":"{table}","AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}},{{"AttributeName":"sk","AttributeType":"N"}}],"KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}},{{"AttributeName":"sk","KeyType":"RANGE"}}],"BillingMode":"PAY_PER_REQUEST"}}"#
            );
            match send(client, endpoint, &json_req(signer, "DynamoDB_20120810.CreateTable", "dynamodb", create)).await {
                Ok((200, _)) => tokio::time::sleep(Duration::from_millis(500)).await,
                Ok((400, b)) if String::from_utf8_lossy(&b).contains("ResourceInUse") => {}
                other => return Err(format!("CreateTable: {other:?}")),
            }
            for i in 0..100 {
                let item = format!(
                    r#"{{"TableName":"{table}","Item":{{"pk":{{"S":"p0"}},"sk":{{"N":"{i}"}},"payload":{{"S":"{payload}"}}}}}}"#
                );
                must(send(client, endpoint, &json_req(signer, "DynamoDB_20120810.PutItem", "dynamodb", item)).await, "seed")?;
            }
            let f: MakeRequest = match scenario {
                "ddb-put" => Arc::new(move |n| {
                    let body = format!(
                        r#"{{"TableName":"{table}","Item":{{"pk":{{"S":"put{}"}},"sk":{{"N":"{n}"}},"payload":{{"S":"{payload}"}}}}}}"#,
                        n % 1000
                    );
                    json_req(&s, "DynamoDB_20120810.PutItem", "dynamodb", body)
                }),
                "ddb-get" => Arc::new(move |n| {
                    let body = format!(r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"p0"}},"sk":{{"N":"{}"}}}}}}"#, n % 100);
                    json_req(&s, "DynamoDB_20120810.GetItem", "dynamodb", body)
                }),
                _ => Arc::new(move |_| {
                    let body = format!(
                        r#"{{"TableName":"{table}","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{{":p":{{"S":"p0"}}}},"Limit":10}}"#
                    );
                    json_req(&s, "DynamoDB_20120810.Query", "dynamodb", body)
                }),
            };
            Ok(f)
        }
        "ssm-get" => {
            let put = r#"{"Name":"/lamina/bench","Value":"v","Type":"String","Overwrite":true}"#.to_string();
            must(send(client, endpoint, &json_req(signer, "AmazonSSM.PutParameter", "ssm", put)).await, "PutParameter")?;
            Ok(Arc::new(move |_| json_req(&s, "AmazonSSM.GetParameter", "ssm", r#"{"Name":"/lamina/bench"}"#.into())))
        }
        other => Err(format!("unknown scenario {other}")),
    }
}

#[tokio::main]
async fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    let client: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(256).build_http();
    let signer = Signer::new("test", "test", "us-east-1");
    let make = match setup(&client, &a.endpoint, &signer, &a.scenario).await {
        Ok(m) => m,
        Err(e) => {
            println!(r#"{{"scenario":"{}","concurrency":{},"skipped":{}}}"#, a.scenario, a.concurrency, serde_json::to_string(&e).unwrap_or_default());
            return;
        }
    };
    let recording = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (client, make, endpoint) = (client.clone(), make.clone(), a.endpoint.clone());
        let (recording, stop, counter, errors) = (recording.clone(), stop.clone(), counter.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            while !stop.load(Ordering::Relaxed) {
                let req = make(counter.fetch_add(1, Ordering::Relaxed));
                let t = Instant::now();
                let ok = matches!(send(&client, &endpoint, &req).await, Ok((200, _)));
                if recording.load(Ordering::Relaxed) {
                    lat.push(t.elapsed().as_micros() as u64);
                    if !ok {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(a.warmup)).await;
    recording.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(a.seconds)).await;
    recording.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        if let Ok(l) = t.await {
            all.extend(l);
        }
    }
    all.sort_unstable();
    let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(0);
    println!(
        r#"{{"scenario":"{}","concurrency":{},"seconds":{:.2},"requests":{},"errors":{},"rps":{:.1},"p50_us":{},"p99_us":{},"p999_us":{}}}"#,
        a.scenario,
        a.concurrency,
        elapsed,
        all.len(),
        errors.load(Ordering::Relaxed),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        pct(0.999)
    );
}
