use super::*;
use crate::rest::tests::req;
use serde_json::json;

fn meta() -> ResponseMeta<'static> {
    ResponseMeta {
        request_id: "req-1",
    }
}

fn s3() -> &'static Model {
    lamina_model::get("s3").unwrap()
}

fn parse_req(r: &HttpRequest) -> Result<(String, Input), AwsError> {
    let op = crate::rest::operation(s3(), r)?;
    Ok((op.name.clone(), parse(s3(), op, r)?))
}

#[test]
fn put_object_body_is_raw_payload() {
    let r = req(
        "PUT",
        "/b/dir/k%20y",
        &[("content-type", "text/plain"), ("x-amz-meta-a", "1")],
        b"\x00hello",
    );
    let (name, input) = parse_req(&r).unwrap();
    assert_eq!(name, "PutObject");
    assert_eq!(input.payload.as_deref(), Some(&b"\x00hello"[..]));
    assert_eq!(
        input.value,
        json!({"Bucket": "b", "Key": "dir/k y", "ContentType": "text/plain", "Metadata": {"a": "1"}})
    );
}

#[test]
fn delete_objects_xml_body_flattened_list() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key><VersionId>v</VersionId></Object><Quiet>true</Quiet></Delete>"#;
    let (name, input) = parse_req(&req("POST", "/b?delete", &[], body)).unwrap();
    assert_eq!(name, "DeleteObjects");
    assert_eq!(
        input.value,
        json!({"Bucket": "b", "Delete": {"Objects": [{"Key": "a&b"}, {"Key": "c", "VersionId": "v"}], "Quiet": true}})
    );
}

#[test]
fn grantee_type_attribute_is_read() {
    let body = br#"<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>abc</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"#;
    let (_, input) = parse_req(&req("PUT", "/b?acl", &[], body)).unwrap();
    assert_eq!(
        input.value["AccessControlPolicy"]["Grants"],
        json!([{"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "READ"}])
    );
}

#[test]
fn malformed_and_too_deep_xml_is_malformed_xml() {
    for body in [
        &b"<Delete><Object></Delete>"[..],
        b"<a>x</a><b/>",
        b"not xml <",
    ] {
        let err = parse_req(&req("POST", "/b?delete", &[], body)).unwrap_err();
        assert_eq!(
            (err.code.code, err.code.status),
            ("MalformedXML", 400),
            "{body:?}"
        );
    }
    let deep = "<a>".repeat(100) + &"</a>".repeat(100);
    let err = parse_req(&req("POST", "/b?delete", &[], deep.as_bytes())).unwrap_err();
    assert_eq!(err.code.code, "MalformedXML");
}

#[test]
fn list_buckets_output_root_namespace_and_headers() {
    let op = s3().operation("ListBuckets").unwrap();
    let out = Output::json(
        json!({"Buckets": [{"Name": "b1", "CreationDate": 1445412480}], "Owner": {"ID": "o"}}),
    );
    let resp = serialize(s3(), op, out, &meta());
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("x-amz-request-id"), Some("req-1"));
    assert!(resp.header("x-amz-id-2").is_some());
    let body = String::from_utf8(resp.body.to_vec()).unwrap();
    assert!(
        body.contains(r#"<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets><Bucket><Name>b1</Name><CreationDate>2015-10-21T07:28:00Z</CreationDate></Bucket></Buckets>"#),
        "{body}"
    );
}

#[test]
fn get_object_streams_payload_with_headers() {
    let op = s3().operation("GetObject").unwrap();
    let out = Output {
        value: json!({"ContentLength": 3, "ETag": "\"e\"", "LastModified": 1445412480}),
        payload: Some(Bytes::from_static(b"abc")),
    };
    let resp = serialize(s3(), op, out, &meta());
    assert_eq!(&resp.body[..], b"abc");
    assert_eq!(
        resp.header("Last-Modified"),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(resp.header("ETag"), Some("\"e\""));
}

#[test]
fn bucket_location_is_a_text_root() {
    let op = s3().operation("GetBucketLocation").unwrap();
    let resp = serialize(
        s3(),
        op,
        Output::json(json!({"LocationConstraint": "eu-west-1"})),
        &meta(),
    );
    let body = String::from_utf8(resp.body.to_vec()).unwrap();
    assert!(body.ends_with(r#"<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>"#), "{body}");
}

#[test]
fn errors_are_s3_error_documents() {
    let err = AwsError::new(
        lamina_model::generated::s3::errors::NO_SUCH_KEY,
        "The specified key does not exist.",
    )
    .with_field("Key", json!("a<b"));
    let resp = serialize_error(s3(), &err, &meta());
    assert_eq!(resp.status, 404);
    let body = String::from_utf8(resp.body.to_vec()).unwrap();
    assert!(
        body.contains("<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&lt;b</Key><RequestId>req-1</RequestId>"),
        "{body}"
    );
    let resp = serialize_error(
        s3(),
        &AwsError::new(s3_errors::BUCKET_NOT_EMPTY, "x"),
        &meta(),
    );
    assert_eq!(resp.status, 409);
    assert_eq!(
        s3_errors::by_code("NoSuchTagSet").map(|c| c.status),
        Some(404)
    );
}
