//! The function behind the apigw-proxy scenario: a `bootstrap` for a `provided.al2023` Lambda
//! function that speaks the Runtime API directly (the same two calls `lambda_runtime` makes per
//! invocation: `GET /invocation/next`, `POST /invocation/{id}/response`) and answers every event
//! with a minimal Lambda proxy response. `tests/functions/rust-noop` echoes its event, which is
//! not a proxy response (API Gateway answers it with a 502, as on AWS), hence this function.
//! bench/run zips it as `target/bench-peers/proxy-fn.zip`.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

const RESPONSE: &str = r#"{"statusCode":200,"headers":{"content-type":"application/json"},"body":"{\"ok\":true}"}"#;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let base = format!("http://{api}/2018-06-01/runtime/invocation");
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    loop {
        let next = client.get(format!("{base}/next").parse()?).await?;
        let id = next
            .headers()
            .get("lambda-runtime-aws-request-id")
            .ok_or("no Lambda-Runtime-Aws-Request-Id")?
            .to_str()?
            .to_string();
        next.into_body().collect().await?;
        let post = hyper::Request::post(format!("{base}/{id}/response"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(RESPONSE.as_bytes())))?;
        client.request(post).await?.into_body().collect().await?;
    }
}
