//! A load generator that sends correctly formed, SigV4-signed AWS requests to any endpoint,
//! checks every response's status, and prints one JSON line per run:
//! `{"scenario", "concurrency", "seconds", "requests", "errors", "rps", "p50_us", "p99_us", "p999_us"}`.
//!
//! ```sh
//! cargo run --release --manifest-path bench/Cargo.toml --bin loadgen -- \
//!     --endpoint http://127.0.0.1:4566 --scenario ddb-get --concurrency 32 --seconds 10
//! ```
//! Scenarios: health, ddb-put, ddb-get, ddb-query, ssm-get, lambda-invoke (warm Invoke of a
//! no-op `provided.al2023` function from `--function-zip`; `--runtime`, `--handler` and
//! `--function` pick another runtime, e.g. `python3.11` with `handler.echo`), lambda-cold (the
//! same function, but every operation first changes an environment variable with
//! UpdateFunctionConfiguration, untimed, so the timed Invoke must start a new sandbox: a cold
//! start as a client sees it), lambda-cold-new (CreateFunction of a new function, untimed, then
//! its timed first Invoke: a cold start with no other sandbox stopping at the same time),
//! apigw-proxy (REST API `ANY /{proxy+}`
//! with an AWS_PROXY integration to that function, loaded through its invoke URL with the Host
//! `<id>.execute-api.localhost`; the function is `--proxy-function-zip`, bench's `proxy-fn`,
//! which answers with a proxy response), sqs-send, sqs-recv-del (ReceiveMessage of one message and its
//! DeleteMessage, timed as one operation, from a queue topped up to `--sqs-seed` messages in
//! setup), sqs-recv-batch (ReceiveMessage of up to 10 messages and one DeleteMessageBatch of
//! their receipt handles, timed as one operation: messages/s is about 10 x rps while the queue, seeded
//! with 4 x `--sqs-seed` messages, lasts). A scenario whose service the endpoint does not serve fails its setup or its first
//! request and is reported as skipped with the reason, never faked. `--no-setup` sends the same
//! requests without creating anything (placeholder ids): the bare-HTTP ceiling's mode.

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
    function_zip: String,
    function: String,
    runtime: String,
    handler: String,
    proxy_function_zip: String,
    sqs_seed: u64,
    no_setup: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        endpoint: "http://127.0.0.1:4566".into(),
        scenario: "ddb-get".into(),
        concurrency: 1,
        seconds: 5.0,
        warmup: 1.0,
        function_zip: "target/test-functions/rust-noop.zip".into(),
        function: FUNCTION.into(),
        runtime: "provided.al2023".into(),
        handler: "bootstrap".into(),
        proxy_function_zip: "target/bench-peers/proxy-fn.zip".into(),
        sqs_seed: 50_000,
        no_setup: false,
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
            "--function-zip" => a.function_zip = v()?,
            "--function" => a.function = v()?,
            "--runtime" => a.runtime = v()?,
            "--handler" => a.handler = v()?,
            "--proxy-function-zip" => a.proxy_function_zip = v()?,
            "--sqs-seed" => a.sqs_seed = v()?.parse().map_err(|_| "bad --sqs-seed")?,
            "--no-setup" => a.no_setup = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(a)
}

/// What one request of a scenario looks like; `n` makes requests differ.
type MakeRequest = Arc<dyn Fn(u64) -> SignedRequest + Send + Sync>;

/// One timed operation of a scenario: a single request, or SQS's receive-then-delete pair.
#[derive(Clone)]
enum Op {
    One(MakeRequest),
    /// ReceiveMessage (one message) then DeleteMessage of its receipt handle.
    RecvDel { signer: Signer, queue_url: String, placeholder: bool },
    /// ReceiveMessage (up to 10 messages) then DeleteMessageBatch of their receipt handles.
    RecvBatchDel { signer: Signer, queue_url: String, placeholder: bool },
    /// An untimed request (a configuration change), then the timed one.
    Prepared { prepare: MakeRequest, timed: MakeRequest },
}

fn json_req(signer: &Signer, target: &str, service: &str, body: String) -> SignedRequest {
    let version = if service == "dynamodb" || service == "sqs" { "1.0" } else { "1.1" };
    signer.sign(
        "POST",
        "/",
        service,
        &[("x-amz-target", target), ("content-type", &format!("application/x-amz-json-{version}"))],
        body.into_bytes(),
    )
}

/// A rest-json request (Lambda, API Gateway control planes).
fn rest_req(signer: &Signer, method: &str, path: &str, service: &str, body: String) -> SignedRequest {
    signer.sign(method, path, service, &[("content-type", "application/json")], body.into_bytes())
}

/// Sends a request; a Lambda function error (`X-Amz-Function-Error` on a 200) is an error too.
async fn send(client: &HttpClient, endpoint: &str, r: &SignedRequest) -> Result<(u16, Bytes), String> {
    let mut b = hyper::Request::builder().method(r.method.as_str()).uri(format!("{endpoint}{}", r.path));
    for (k, v) in &r.headers {
        b = b.header(k.as_str(), v.as_str());
    }
    let req = b.body(Full::new(Bytes::from(r.body.clone()))).map_err(|e| e.to_string())?;
    let resp = client.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let function_error = resp.headers().get("x-amz-function-error").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    match function_error {
        Some(kind) => Err(format!("function error {kind}: {}", String::from_utf8_lossy(&body))),
        None => Ok((status, body)),
    }
}

/// Runs one operation; Ok when every response was a 2xx (and, for RecvDel, a message came),
/// with the time to count when only part of the operation is timed.
async fn run_op(client: &HttpClient, endpoint: &str, op: &Op, n: u64) -> Result<Option<Duration>, String> {
    let ok = |r: Result<(u16, Bytes), String>| -> Result<Bytes, String> {
        match r? {
            (200..=299, b) => Ok(b),
            (st, b) => Err(format!("{st} {}", String::from_utf8_lossy(&b).chars().take(300).collect::<String>())),
        }
    };
    match op {
        Op::One(make) => ok(send(client, endpoint, &make(n)).await).map(|_| None),
        Op::Prepared { prepare, timed } => {
            ok(send(client, endpoint, &prepare(n)).await).map_err(|e| format!("prepare: {e}"))?;
            let t = Instant::now();
            ok(send(client, endpoint, &timed(n)).await)?;
            Ok(Some(t.elapsed()))
        }
        Op::RecvDel { signer, queue_url, placeholder } => {
            let recv = format!(r#"{{"QueueUrl":"{queue_url}","MaxNumberOfMessages":1,"WaitTimeSeconds":0}}"#);
            let body = ok(send(client, endpoint, &json_req(signer, "AmazonSQS.ReceiveMessage", "sqs", recv)).await)?;
            let handle = if *placeholder {
                "placeholder".to_string()
            } else {
                let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("ReceiveMessage: {e}"))?;
                v["Messages"][0]["ReceiptHandle"].as_str().ok_or("ReceiveMessage: the queue ran dry")?.to_string()
            };
            let del = serde_json::json!({"QueueUrl": queue_url, "ReceiptHandle": handle}).to_string();
            ok(send(client, endpoint, &json_req(signer, "AmazonSQS.DeleteMessage", "sqs", del)).await).map(|_| None)
        }
        Op::RecvBatchDel { signer, queue_url, placeholder } => {
            let recv = format!(r#"{{"QueueUrl":"{queue_url}","MaxNumberOfMessages":10,"WaitTimeSeconds":0}}"#);
            let body = ok(send(client, endpoint, &json_req(signer, "AmazonSQS.ReceiveMessage", "sqs", recv)).await)?;
            let handles: Vec<String> = if *placeholder {
                vec!["placeholder".to_string()]
            } else {
                let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("ReceiveMessage: {e}"))?;
                v["Messages"].as_array().into_iter().flatten().filter_map(|m| m["ReceiptHandle"].as_str().map(str::to_string)).collect()
            };
            if handles.is_empty() {
                return Err("ReceiveMessage: the queue ran dry".into());
            }
            let entries: Vec<_> = handles.iter().enumerate().map(|(i, h)| serde_json::json!({"Id": format!("d{i}"), "ReceiptHandle": h})).collect();
            let del = serde_json::json!({"QueueUrl": queue_url, "Entries": entries}).to_string();
            let answer = ok(send(client, endpoint, &json_req(signer, "AmazonSQS.DeleteMessageBatch", "sqs", del)).await)?;
            if !*placeholder {
                let v: serde_json::Value = serde_json::from_slice(&answer).map_err(|e| format!("DeleteMessageBatch: {e}"))?;
                if let Some(f) = v["Failed"].as_array().and_then(|f| f.first()) {
                    return Err(format!("DeleteMessageBatch: entry failed: {f}"));
                }
            }
            Ok(None)
        }
    }
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn json(b: &Bytes, what: &str) -> Result<serde_json::Value, String> {
    serde_json::from_slice(b).map_err(|e| format!("{what}: not JSON ({e})"))
}

const FUNCTION: &str = "lamina-bench-noop";
const PROXY_FUNCTION: &str = "lamina-bench-proxy";
const ACCOUNT: &str = "000000000000";

/// A query-protocol request (STS, IAM).
fn query_req(signer: &Signer, service: &str, body: &str) -> SignedRequest {
    signer.sign("POST", "/", service, &[("content-type", "application/x-www-form-urlencoded")], body.as_bytes().to_vec())
}

/// The caller's account (STS GetCallerIdentity), so the role ARN is in the target's own account
/// (moto refuses a role of another account); 000000000000 when the target has no STS.
async fn account(client: &HttpClient, endpoint: &str, signer: &Signer) -> String {
    let r = query_req(signer, "sts", "Action=GetCallerIdentity&Version=2011-06-15");
    if let Ok((200, b)) = send(client, endpoint, &r).await {
        let text = String::from_utf8_lossy(&b);
        if let Some(acct) = text.split("<Account>").nth(1).and_then(|t| t.split("</Account>").next()) {
            return acct.trim().to_string();
        }
    }
    ACCOUNT.to_string()
}

/// Creates (or finds) a `provided.al2023` function and waits for it to be Active; its ARN.
async fn setup_function(
    client: &HttpClient,
    endpoint: &str,
    signer: &Signer,
    name: &str,
    zip_path: &str,
    (runtime, handler): (&str, &str),
) -> Result<String, String> {
    let get = || rest_req(signer, "GET", &format!("/2015-03-31/functions/{name}"), "lambda", String::new());
    if !matches!(send(client, endpoint, &get()).await, Ok((200, _))) {
        let acct = account(client, endpoint, signer).await;
        // The execution role, where the target has IAM and checks that it exists (moto does);
        // an error here (no IAM, or the role is already there) is not the scenario's concern.
        let trust = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        let role = format!("Action=CreateRole&Version=2010-05-08&RoleName=lamina-bench&AssumeRolePolicyDocument={trust}");
        let _ = send(client, endpoint, &query_req(signer, "iam", &role)).await;
        let zip = std::fs::read(zip_path).map_err(|e| format!("{zip_path}: {e} (bench/run builds it)"))?;
        let create = serde_json::json!({
            "FunctionName": name, "Runtime": runtime, "Handler": handler,
            "Role": format!("arn:aws:iam::{acct}:role/lamina-bench"), "MemorySize": 128, "Timeout": 10,
            "Code": {"ZipFile": base64(&zip)},
        });
        match send(client, endpoint, &rest_req(signer, "POST", "/2015-03-31/functions", "lambda", create.to_string())).await {
            Ok((200 | 201, _)) => {}
            Ok((409, _)) => {}
            Ok((st, b)) => return Err(format!("CreateFunction: {st} {}", String::from_utf8_lossy(&b))),
            Err(e) => return Err(format!("CreateFunction: {e}")),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = match send(client, endpoint, &get()).await {
            Ok((200, b)) => json(&b, "GetFunction")?,
            Ok((st, b)) => return Err(format!("GetFunction: {st} {}", String::from_utf8_lossy(&b))),
            Err(e) => return Err(format!("GetFunction: {e}")),
        };
        let state = v["Configuration"]["State"].as_str().unwrap_or("Active");
        if state == "Active" {
            return v["Configuration"]["FunctionArn"].as_str().map(str::to_string).ok_or_else(|| "GetFunction: no FunctionArn".into());
        }
        if state == "Failed" || Instant::now() > deadline {
            return Err(format!("function state {state}: {}", v["Configuration"]["StateReason"]));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A REST API `ANY /{proxy+}` → AWS_PROXY to the function, deployed to stage `bench`; its id.
async fn setup_rest_api(client: &HttpClient, endpoint: &str, signer: &Signer, function_arn: &str) -> Result<String, String> {
    let call = |method: &str, path: String, body: serde_json::Value| {
        let body = if body.is_null() { String::new() } else { body.to_string() };
        let r = rest_req(signer, method, &path, "apigateway", body);
        let what = format!("{method} {path}");
        async move {
            match send(client, endpoint, &r).await {
                Ok((200..=299, b)) => json(&b, &what),
                Ok((st, b)) => Err(format!("{what}: {st} {}", String::from_utf8_lossy(&b))),
                Err(e) => Err(format!("{what}: {e}")),
            }
        }
    };
    // Lambda's resource policy, as on AWS (409 when it is already there).
    let perm = serde_json::json!({"StatementId": "lamina-bench-apigw", "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"});
    let _ = send(client, endpoint, &rest_req(signer, "POST", &format!("/2015-03-31/functions/{PROXY_FUNCTION}/policy"), "lambda", perm.to_string())).await;
    let api = call("POST", "/restapis".into(), serde_json::json!({"name": "lamina-bench"})).await?;
    let id = api["id"].as_str().ok_or("CreateRestApi: no id")?.to_string();
    let resources = call("GET", format!("/restapis/{id}/resources"), serde_json::Value::Null).await?;
    // the wire name is `item` (boto3 shows it as `items`)
    let root = resources["item"]
        .as_array()
        .or_else(|| resources["items"].as_array())
        .and_then(|items| items.iter().find(|r| r["path"] == "/"))
        .and_then(|r| r["id"].as_str())
        .ok_or("GetResources: no root resource")?
        .to_string();
    let proxy = call("POST", format!("/restapis/{id}/resources/{root}"), serde_json::json!({"pathPart": "{proxy+}"})).await?;
    let rid = proxy["id"].as_str().ok_or("CreateResource: no id")?.to_string();
    call("PUT", format!("/restapis/{id}/resources/{rid}/methods/ANY"), serde_json::json!({"authorizationType": "NONE"})).await?;
    let uri = format!("arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations");
    call(
        "PUT",
        format!("/restapis/{id}/resources/{rid}/methods/ANY/integration"),
        serde_json::json!({"type": "AWS_PROXY", "httpMethod": "POST", "uri": uri}),
    )
    .await?;
    call("POST", format!("/restapis/{id}/deployments"), serde_json::json!({"stageName": "bench"})).await?;
    Ok(id)
}

/// Creates (or finds) a queue; its URL.
async fn setup_queue(client: &HttpClient, endpoint: &str, signer: &Signer, name: &str) -> Result<String, String> {
    let body = format!(r#"{{"QueueName":"{name}"}}"#);
    match send(client, endpoint, &json_req(signer, "AmazonSQS.CreateQueue", "sqs", body)).await {
        Ok((200, b)) => json(&b, "CreateQueue")?["QueueUrl"].as_str().map(str::to_string).ok_or_else(|| "CreateQueue: no QueueUrl".into()),
        Ok((st, b)) => Err(format!("CreateQueue: {st} {}", String::from_utf8_lossy(&b))),
        Err(e) => Err(format!("CreateQueue: {e}")),
    }
}

/// Tops the queue up to `seed` visible messages with SendMessageBatch, 32 batches in flight,
/// for at most 20 s (a slow target gets fewer; if its queue runs dry, that shows as errors).
async fn seed_queue(client: &HttpClient, endpoint: &str, signer: &Signer, queue_url: &str, seed: u64) -> Result<(), String> {
    let attrs = serde_json::json!({"QueueUrl": queue_url, "AttributeNames": ["ApproximateNumberOfMessages"]}).to_string();
    let have = match send(client, endpoint, &json_req(signer, "AmazonSQS.GetQueueAttributes", "sqs", attrs)).await {
        Ok((200, b)) => json(&b, "GetQueueAttributes")?["Attributes"]["ApproximateNumberOfMessages"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0u64),
        other => return Err(format!("GetQueueAttributes: {other:?}")),
    };
    let batches = seed.saturating_sub(have).div_ceil(10);
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (client, endpoint, signer, queue_url, next) = (client.clone(), endpoint.to_string(), signer.clone(), queue_url.to_string(), next.clone());
        tasks.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < batches && Instant::now() < deadline {
                let entries: Vec<_> = (0..10).map(|i| serde_json::json!({"Id": format!("m{i}"), "MessageBody": "x".repeat(256)})).collect();
                let body = serde_json::json!({"QueueUrl": queue_url, "Entries": entries}).to_string();
                match send(&client, &endpoint, &json_req(&signer, "AmazonSQS.SendMessageBatch", "sqs", body)).await {
                    Ok((200, _)) => {}
                    other => return Err(format!("SendMessageBatch: {other:?}")),
                }
            }
            Ok(())
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    Ok(())
}

async fn setup(client: &HttpClient, a: &Args, signer: &Signer) -> Result<Op, String> {
    let (endpoint, scenario) = (a.endpoint.as_str(), a.scenario.as_str());
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
        "health" => Ok(Op::One(Arc::new(|_| SignedRequest::plain("GET", "/_lamina/health")))),
        "ddb-put" | "ddb-get" | "ddb-query" => {
            if !a.no_setup {
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
            Ok(Op::One(f))
        }
        "ssm-get" => {
            if !a.no_setup {
                let put = r#"{"Name":"/lamina/bench","Value":"v","Type":"String","Overwrite":true}"#.to_string();
                must(send(client, endpoint, &json_req(signer, "AmazonSSM.PutParameter", "ssm", put)).await, "PutParameter")?;
            }
            Ok(Op::One(Arc::new(move |_| json_req(&s, "AmazonSSM.GetParameter", "ssm", r#"{"Name":"/lamina/bench"}"#.into()))))
        }
        "lambda-cold-new" => {
            let zip = std::fs::read(&a.function_zip).map_err(|e| format!("{}: {e}", a.function_zip))?;
            let acct = account(client, endpoint, signer).await;
            let (runtime, handler, base) = (a.runtime.clone(), a.handler.clone(), a.function.clone());
            let code = base64(&zip);
            let s2 = s.clone();
            let prepare: MakeRequest = Arc::new(move |n| {
                let create = serde_json::json!({
                    "FunctionName": format!("{base}-{n}"), "Runtime": runtime, "Handler": handler,
                    "Role": format!("arn:aws:iam::{acct}:role/lamina-bench"), "MemorySize": 128, "Timeout": 10,
                    "Code": {"ZipFile": code},
                });
                rest_req(&s2, "POST", "/2015-03-31/functions", "lambda", create.to_string())
            });
            let base = a.function.clone();
            let timed: MakeRequest = Arc::new(move |n| {
                rest_req(&s, "POST", &format!("/2015-03-31/functions/{base}-{n}/invocations"), "lambda", format!(r#"{{"n":{n}}}"#))
            });
            Ok(Op::Prepared { prepare, timed })
        }
        "lambda-invoke" | "lambda-cold" => {
            let name = a.function.clone();
            if !a.no_setup {
                setup_function(client, endpoint, signer, &name, &a.function_zip, (&a.runtime, &a.handler)).await?;
            }
            let path = format!("/2015-03-31/functions/{name}/invocations");
            let s2 = s.clone();
            let invoke: MakeRequest = Arc::new(move |n| rest_req(&s2, "POST", &path, "lambda", format!(r#"{{"n":{n}}}"#)));
            if scenario == "lambda-invoke" {
                return Ok(Op::One(invoke));
            }
            let config = format!("/2015-03-31/functions/{name}/configuration");
            let prepare: MakeRequest = Arc::new(move |n| {
                let body = format!(r#"{{"Environment":{{"Variables":{{"LAMINA_BENCH_COLD":"{n}"}}}}}}"#);
                rest_req(&s, "PUT", &config, "lambda", body)
            });
            Ok(Op::Prepared { prepare, timed: invoke })
        }
        "apigw-proxy" => {
            let id = if a.no_setup {
                "placeholder".to_string()
            } else {
                let arn = setup_function(client, endpoint, signer, PROXY_FUNCTION, &a.proxy_function_zip, ("provided.al2023", "bootstrap")).await?;
                setup_rest_api(client, endpoint, signer, &arn).await?
            };
            let host = format!("{id}.execute-api.localhost");
            Ok(Op::One(Arc::new(move |n| {
                let mut r = SignedRequest::plain("GET", &format!("/bench/items/{}", n % 100));
                r.headers.push(("host".into(), host.clone()));
                r
            })))
        }
        "sqs-send" => {
            let url = if a.no_setup { format!("http://localhost/{ACCOUNT}/lamina-bench-send") } else { setup_queue(client, endpoint, signer, "lamina-bench-send").await? };
            let body = "x".repeat(256);
            Ok(Op::One(Arc::new(move |_| {
                json_req(&s, "AmazonSQS.SendMessage", "sqs", format!(r#"{{"QueueUrl":"{url}","MessageBody":"{body}"}}"#))
            })))
        }
        "sqs-recv-del" => {
            let queue_url = if a.no_setup {
                format!("http://localhost/{ACCOUNT}/lamina-bench-recv")
            } else {
                let url = setup_queue(client, endpoint, signer, "lamina-bench-recv").await?;
                seed_queue(client, endpoint, signer, &url, a.sqs_seed).await?;
                url
            };
            Ok(Op::RecvDel { signer: s, queue_url, placeholder: a.no_setup })
        }
        "sqs-recv-batch" => {
            let queue_url = if a.no_setup {
                format!("http://localhost/{ACCOUNT}/lamina-bench-recv-batch")
            } else {
                let url = setup_queue(client, endpoint, signer, "lamina-bench-recv-batch").await?;
                // An operation takes up to ten messages: seed more, or a fast server runs the
                // queue dry within the window (seen: 25,910 "ran dry" errors at c=32 in memory).
                seed_queue(client, endpoint, signer, &url, a.sqs_seed.saturating_mul(4)).await?;
                url
            };
            Ok(Op::RecvBatchDel { signer: s, queue_url, placeholder: a.no_setup })
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
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_nodelay(true);
    let client: HttpClient = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(256).build(connector);
    let signer = Signer::new("test", "test", "us-east-1");
    let skip = |why: String| {
        println!(r#"{{"scenario":"{}","concurrency":{},"skipped":{}}}"#, a.scenario, a.concurrency, serde_json::to_string(&why).unwrap_or_default());
    };
    let op = match setup(&client, &a, &signer).await {
        Ok(op) => op,
        Err(e) => return skip(e),
    };
    // The first request must succeed: a service that answers setup but not the operation
    // (e.g. an Invoke that needs Docker) is skipped with its answer, not counted as load.
    if let Err(e) = run_op(&client, &a.endpoint, &op, 0).await {
        return skip(format!("first request: {e}"));
    }
    let recording = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(1));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency {
        let (client, op, endpoint) = (client.clone(), op.clone(), a.endpoint.clone());
        let (recording, stop, counter, errors, first_error) = (recording.clone(), stop.clone(), counter.clone(), errors.clone(), first_error.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            while !stop.load(Ordering::Relaxed) {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let result = run_op(&client, &endpoint, &op, n).await;
                if recording.load(Ordering::Relaxed) {
                    let took = result.as_ref().ok().copied().flatten().unwrap_or_else(|| t.elapsed());
                    lat.push(took.as_micros() as u64);
                    if let Err(e) = result {
                        errors.fetch_add(1, Ordering::Relaxed);
                        if let Ok(mut f) = first_error.lock() {
                            f.get_or_insert(e);
                        }
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
    let first_error = first_error.lock().ok().and_then(|f| f.clone());
    println!(
        r#"{{"scenario":"{}","concurrency":{},"seconds":{:.2},"requests":{},"errors":{},"rps":{:.1},"p50_us":{},"p99_us":{},"p999_us":{},"first_error":{}}}"#,
        a.scenario,
        a.concurrency,
        elapsed,
        all.len(),
        errors.load(Ordering::Relaxed),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99),
        pct(0.999),
        serde_json::to_string(&first_error).unwrap_or_default()
    );
}
