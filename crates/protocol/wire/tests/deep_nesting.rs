//! Documents nested 100,000 levels deep must be answered with a 400, not a stack overflow
//! (which would abort this whole test binary). Tests run on threads with the default 2 MiB
//! stack, like the gateway's.

use bytes::Bytes;
use lamina_wire::{HttpRequest, Protocol};

const DEPTH: usize = 100_000;

fn req(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> HttpRequest {
    let mut map = http::HeaderMap::new();
    for (k, v) in headers {
        map.insert(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    HttpRequest {
        method: method.parse().unwrap(),
        path: path.into(),
        query: query.into(),
        headers: map,
        body: Bytes::from(body),
    }
}

/// Runs the inbound path (operation, parse, validate) and returns the error status, if any.
fn inbound(service: &str, req: &HttpRequest) -> Result<(), u16> {
    let model = lamina_model::get(service).unwrap();
    let protocol = Protocol::of_request(model, req);
    let op = match lamina_wire::operation(model, protocol, req) {
        Ok(op) => op,
        Err(e) => panic!("{service}: no operation: {e}"),
    };
    let input = lamina_wire::parse(model, protocol, op, req).map_err(|e| e.status())?;
    lamina_wire::validate::validate(model, op, &input.value).map_err(|e| e.status())
}

fn nested(open: &str, middle: &str, close: &str) -> Vec<u8> {
    let mut s = String::with_capacity((open.len() + close.len()) * DEPTH + middle.len());
    for _ in 0..DEPTH {
        s.push_str(open);
    }
    s.push_str(middle);
    for _ in 0..DEPTH {
        s.push_str(close);
    }
    s.into_bytes()
}

#[test]
fn deep_json_array_is_a_400_for_ssm() {
    let mut body = br#"{"Name":"#.to_vec();
    body.extend(nested("[", "1", "]"));
    body.push(b'}');
    let r = req(
        "POST",
        "/",
        "",
        &[
            ("x-amz-target", "AmazonSSM.GetParameter"),
            ("content-type", "application/x-amz-json-1.1"),
        ],
        body,
    );
    assert_eq!(inbound("ssm", &r), Err(400));
}

#[test]
fn deep_attribute_value_map_is_a_400_for_dynamodb() {
    let mut body = br#"{"TableName":"t","Item":{"pk":"#.to_vec();
    body.extend(nested(r#"{"M":{"a":"#, r#"{"S":"x"}"#, "}}"));
    body.extend_from_slice(b"}}");
    let r = req(
        "POST",
        "/",
        "",
        &[
            ("x-amz-target", "DynamoDB_20120810.PutItem"),
            ("content-type", "application/x-amz-json-1.0"),
        ],
        body,
    );
    assert_eq!(inbound("dynamodb", &r), Err(400));
}

#[test]
fn deep_xml_is_a_400_for_s3() {
    let mut body = b"<Tagging><TagSet>".to_vec();
    body.extend(nested("<Tag>", "x", "</Tag>"));
    body.extend_from_slice(b"</TagSet></Tagging>");
    let r = req(
        "PUT",
        "/bucket",
        "tagging",
        &[("content-type", "application/xml")],
        body,
    );
    assert_eq!(inbound("s3", &r), Err(400));
}

#[test]
fn deep_unclosed_xml_is_a_400_for_s3() {
    let body = nested("<a>", "", "").to_vec();
    let r = req("PUT", "/bucket", "tagging", &[], body);
    assert_eq!(inbound("s3", &r), Err(400));
}

#[test]
fn deeply_nested_query_keys_do_not_overflow_for_sts() {
    // `Tags.member.1.member.1....Key`: STS's shapes are two levels deep, so such a key names
    // nothing; the codec must either ignore it or answer 400, and must return.
    let mut key = String::from("Tags");
    for _ in 0..DEPTH {
        key.push_str(".member.1");
    }
    key.push_str(".Key");
    let body = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s&{key}=v"
    );
    let r = req(
        "POST",
        "/",
        "",
        &[("content-type", "application/x-www-form-urlencoded")],
        body.into_bytes(),
    );
    match inbound("sts", &r) {
        Ok(()) | Err(400) => {}
        Err(other) => panic!("status {other}"),
    }
}
