//! Shared inputs for the benchmarks, and the load generator's SigV4 signer.

pub mod sign;

use bytes::Bytes;
use lamina_wire::HttpRequest;

/// A 1 KB DynamoDB PutItem request as boto3 sends it.
pub fn put_item_request() -> HttpRequest {
    put_item_request_n(12345)
}

/// [`put_item_request`] with partition key `user#<n>` (five digits at least, so the size
/// stays the same for n < 100000).
pub fn put_item_request_n(n: u32) -> HttpRequest {
    let mut item = serde_json::Map::new();
    item.insert("pk".into(), serde_json::json!({"S": format!("user#{n:05}")}));
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

/// A GetItem of the item [`put_item_request_n`] writes.
pub fn get_item_request_n(n: u32) -> HttpRequest {
    let body = serde_json::json!({"TableName": "bench", "Key": {"pk": {"S": format!("user#{n:05}")}, "sk": {"N": "1700000000"}}}).to_string();
    let mut headers = http::HeaderMap::new();
    headers.insert("x-amz-target", "DynamoDB_20120810.GetItem".parse().expect("static header"));
    headers.insert("content-type", "application/x-amz-json-1.0".parse().expect("static header"));
    HttpRequest { method: http::Method::POST, path: "/".into(), query: String::new(), headers, body: Bytes::from(body) }
}

/// A gateway serving DynamoDB alone, on `store`, with table `bench` (pk S, sk N) created:
/// the whole request path of [`put_item_request_n`] in process, without HTTP.
pub async fn ddb_gateway(store: std::sync::Arc<dyn lamina_storage::Store>) -> lamina_gateway::Gateway {
    let backend = store.backend();
    let db = lamina_dynamodb::DynamoDb::new(store, Default::default());
    let gw = lamina_gateway::Gateway::new(Default::default(), backend)
        .with_service(std::sync::Arc::new(lamina_dynamodb::DynamoDbService::new(db)));
    let table = serde_json::json!({
        "TableName": "bench",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "BillingMode": "PAY_PER_REQUEST"
    });
    gw.call_internal("000000000000", "us-east-1", "http://localhost", "dynamodb", "CreateTable", table)
        .await
        .expect("CreateTable");
    for _ in 0..200 {
        let d = gw
            .call_internal("000000000000", "us-east-1", "http://localhost", "dynamodb", "DescribeTable", serde_json::json!({"TableName": "bench"}))
            .await
            .expect("DescribeTable");
        if d["Table"]["TableStatus"] == "ACTIVE" {
            return gw;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("table bench never became ACTIVE");
}
