//! Shared inputs for the benchmarks, and the load generator's SigV4 signer.

pub mod sign;

use bytes::Bytes;
use lamina_wire::HttpRequest;

/// A 1 KB DynamoDB PutItem request as boto3 sends it.
pub fn put_item_request() -> HttpRequest {
    let mut item = serde_json::Map::new();
    item.insert("pk".into(), serde_json::json!({"S": "user#12345"}));
    item.insert("sk".into(), serde_json::json!({"N": "1700000000"}));
    item.insert("name".into(), serde_json::json!({"S": "Ada Lovelace"}));
    item.insert("tags".into(), serde_json::json!({"SS": ["a", "b", "c"]}));
    item.insert("payload".into(), serde_json::json!({"S": "x".repeat(900)}));
    item.insert("nested".into(), serde_json::json!({"M": {"a": {"N": "1.5"}, "b": {"L": [{"BOOL": true}, {"NULL": true}]}}}));
    let body = serde_json::json!({"TableName": "bench", "Item": item}).to_string();
    let mut headers = http::HeaderMap::new();
    headers.insert("x-amz-target", "DynamoDB_20120810.PutItem".parse().expect("static header"));
    headers.insert("content-type", "application/x-amz-json-1.0".parse().expect("static header"));
    HttpRequest { method: http::Method::POST, path: "/".into(), query: String::new(), headers, body: Bytes::from(body) }
}
