use super::*;
use crate::rest::tests::req;
use lamina_core::common;
use serde_json::json;

fn meta() -> ResponseMeta<'static> {
    ResponseMeta {
        request_id: "req-1",
    }
}

fn parse_req(service: &str, r: &HttpRequest) -> Result<(String, Input), AwsError> {
    let model = lamina_model::get(service).unwrap();
    let op = crate::rest::operation(model, r)?;
    Ok((op.name.clone(), parse(model, op, r)?))
}

#[test]
fn lambda_invoke_payload_is_raw() {
    let r = req(
        "POST",
        "/2015-03-31/functions/f/invocations?Qualifier=live",
        &[
            ("X-Amz-Invocation-Type", "Event"),
            ("X-Amz-Log-Type", "Tail"),
        ],
        br#"{"k": 1}"#,
    );
    let (name, input) = parse_req("lambda", &r).unwrap();
    assert_eq!(name, "Invoke");
    assert_eq!(
        input.value,
        json!({"FunctionName": "f", "Qualifier": "live", "InvocationType": "Event", "LogType": "Tail"})
    );
    assert_eq!(input.payload.as_deref(), Some(&br#"{"k": 1}"#[..]));
}

#[test]
fn body_members_use_wire_names_and_timestamps() {
    // apigatewayv2 names members in camelCase on the wire.
    let r = req(
        "POST",
        "/v2/apis",
        &[],
        br#"{"name": "a", "protocolType": "HTTP", "tags": {"k": "v"}}"#,
    );
    let (_, input) = parse_req("apigatewayv2", &r).unwrap();
    assert_eq!(
        input.value,
        json!({"Name": "a", "ProtocolType": "HTTP", "Tags": {"k": "v"}})
    );

    let model = lamina_model::get("apigatewayv2").unwrap();
    let op = model.operation("GetApi").unwrap();
    let out = Output::json(json!({"ApiId": "a1", "CreatedDate": 1445412480, "Name": "n"}));
    let resp = serialize(model, op, out, &meta());
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("x-amzn-RequestId"), Some("req-1"));
    let body: Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(
        body,
        json!({"apiId": "a1", "createdDate": "2015-10-21T07:28:00Z", "name": "n"})
    );
}

#[test]
fn malformed_bodies_get_each_services_error() {
    for (service, uri, code) in [
        (
            "lambda",
            "/2015-03-31/functions",
            "InvalidRequestContentException",
        ),
        ("apigateway", "/restapis", "BadRequestException"),
        ("apigatewayv2", "/v2/apis", "BadRequestException"),
    ] {
        let err = parse_req(service, &req("POST", uri, &[], b"{not json")).unwrap_err();
        assert_eq!((err.code.code, err.code.status), (code, 400), "{service}");
        let err = parse_req(service, &req("POST", uri, &[], b"[1]")).unwrap_err();
        assert_eq!(err.code.code, code, "{service}");
    }
    let deep = "[".repeat(200) + &"]".repeat(200);
    let err = parse_req(
        "lambda",
        &req("POST", "/2015-03-31/functions", &[], deep.as_bytes()),
    )
    .unwrap_err();
    assert_eq!(err.code.code, "InvalidRequestContentException");
}

#[test]
fn invoke_response_status_headers_and_raw_payload() {
    let model = lamina_model::get("lambda").unwrap();
    let op = model.operation("Invoke").unwrap();
    let out = Output {
        value: json!({"StatusCode": 200, "FunctionError": "Unhandled", "ExecutedVersion": "$LATEST"}),
        payload: Some(Bytes::from_static(b"{\"errorMessage\":\"boom\"}")),
    };
    let resp = serialize(model, op, out, &meta());
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("X-Amz-Function-Error"), Some("Unhandled"));
    assert_eq!(resp.header("X-Amz-Executed-Version"), Some("$LATEST"));
    assert_eq!(&resp.body[..], b"{\"errorMessage\":\"boom\"}");

    let op = model.operation("DeleteAlias").unwrap();
    let resp = serialize(model, op, Output::default(), &meta());
    assert_eq!(resp.status, 204);
    assert!(resp.body.is_empty());
}

#[test]
fn errors_carry_type_header_and_message_member() {
    let lambda = lamina_model::get("lambda").unwrap();
    let err = AwsError::new(
        lamina_model::generated::lambda_::errors::RESOURCE_NOT_FOUND_EXCEPTION,
        "Function not found: f",
    );
    let resp = serialize_error(lambda, &err, &meta());
    assert_eq!(resp.status, 404);
    assert_eq!(
        resp.header("x-amzn-ErrorType"),
        Some("ResourceNotFoundException")
    );
    let body: Value = serde_json::from_slice(&resp.body).unwrap();
    assert_eq!(
        body,
        json!({"Type": "User", "Message": "Function not found: f"})
    );

    let v2 = lamina_model::get("apigatewayv2").unwrap();
    let err = AwsError::new(
        lamina_model::generated::apigatewayv2::errors::NOT_FOUND_EXCEPTION,
        "nope",
    )
    .with_field("ResourceType", json!("Api"));
    let body: Value = serde_json::from_slice(&serialize_error(v2, &err, &meta()).body).unwrap();
    assert_eq!(body, json!({"resourceType": "Api", "message": "nope"}));

    let internal = AwsError::internal("disk on fire");
    let resp = serialize_error(v2, &internal, &meta());
    assert_eq!(resp.status, 500);
    assert!(
        !String::from_utf8_lossy(&resp.body).contains("disk"),
        "the cause is never sent"
    );
    let unknown = AwsError::new(common::UNKNOWN_OPERATION, "x");
    assert_eq!(
        serialize_error(v2, &unknown, &meta()).header("x-amzn-ErrorType"),
        Some("UnknownOperationException")
    );
}
