#![allow(clippy::result_large_err)]

use super::*;
use serde_json::json;

fn form(body: &str) -> HttpRequest {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8"
            .parse()
            .unwrap(),
    );
    HttpRequest {
        method: http::Method::POST,
        path: "/".into(),
        query: String::new(),
        headers,
        body: body.as_bytes().to_vec().into(),
    }
}

fn meta() -> ResponseMeta<'static> {
    ResponseMeta {
        request_id: "req-1",
    }
}

#[test]
fn action_from_body_or_query_string() {
    let sts = lamina_model::get("sts").unwrap();
    assert_eq!(
        operation(sts, &form("Action=GetCallerIdentity&Version=2011-06-15"))
            .unwrap()
            .name,
        "GetCallerIdentity"
    );
    let mut get = form("");
    get.method = http::Method::GET;
    get.query = "Action=GetCallerIdentity".into();
    assert_eq!(operation(sts, &get).unwrap().name, "GetCallerIdentity");
    let err = operation(sts, &form("Version=2011-06-15")).unwrap_err();
    assert_eq!((err.code.code, err.status()), ("MissingAction", 400));
    let err = operation(sts, &form("Action=Nope&Version=2011-06-15")).unwrap_err();
    assert_eq!(err.code.code, "InvalidAction");
    assert_eq!(
        err.message,
        "Could not find operation Nope for version 2011-06-15"
    );
}

#[test]
fn lists_maps_and_nested_structures() {
    let sns = lamina_model::get("sns").unwrap();
    let op = sns.operation("Publish").unwrap();
    let body = "Action=Publish&TopicArn=arn%3At&Message=hi\
        &MessageAttributes.entry.1.Name=color&MessageAttributes.entry.1.Value.DataType=String\
        &MessageAttributes.entry.1.Value.StringValue=red";
    let input = parse(sns, op, &form(body)).unwrap();
    assert_eq!(
        input.value,
        json!({"TopicArn": "arn:t", "Message": "hi",
               "MessageAttributes": {"color": {"DataType": "String", "StringValue": "red"}}})
    );
    let op = sns.operation("CreateTopic").unwrap();
    let body = "Action=CreateTopic&Name=t&Tags.member.1.Key=a&Tags.member.1.Value=1\
        &Tags.member.2.Key=b&Tags.member.2.Value=2&Attributes.entry.1.key=K&Attributes.entry.1.value=V";
    let input = parse(sns, op, &form(body)).unwrap();
    assert_eq!(
        input.value,
        json!({"Name": "t", "Attributes": {"K": "V"},
               "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]})
    );
}

#[test]
fn empty_list_booleans_numbers_and_timestamps() {
    let cfn = lamina_model::get("cloudformation").unwrap();
    let op = cfn.operation("CreateStack").unwrap();
    let body =
        "Action=CreateStack&StackName=s&Capabilities=&DisableRollback=true&TimeoutInMinutes=5";
    let input = parse(cfn, op, &form(body)).unwrap();
    assert_eq!(
        input.value,
        json!({"StackName": "s", "Capabilities": [], "DisableRollback": true, "TimeoutInMinutes": 5})
    );
    let err = parse(cfn, op, &form("StackName=s&TimeoutInMinutes=five")).unwrap_err();
    assert_eq!(err.code.code, "ValidationError");
    let err = parse(cfn, op, &form("StackName=s&DisableRollback=yes")).unwrap_err();
    assert_eq!(err.code.code, "ValidationError");

    let op = cfn.operation("DescribeStackEvents").unwrap();
    assert_eq!(
        parse(cfn, op, &form("StackName=s")).unwrap().value,
        json!({"StackName": "s"})
    );
}

#[test]
fn serialize_wraps_the_result() {
    let sts = lamina_model::get("sts").unwrap();
    let op = sts.operation("GetCallerIdentity").unwrap();
    let out = Output::json(
        json!({"UserId": "u", "Account": "123456789012", "Arn": "arn:aws:iam::123456789012:root"}),
    );
    let resp = serialize(sts, op, out, &meta());
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("text/xml"));
    assert_eq!(
        String::from_utf8(resp.body.to_vec()).unwrap(),
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult><UserId>u</UserId><Account>123456789012</Account>\
         <Arn>arn:aws:iam::123456789012:root</Arn></GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    );
}

#[test]
fn operations_without_output_have_only_metadata() {
    let sns = lamina_model::get("sns").unwrap();
    let op = sns.operation("DeleteTopic").unwrap();
    let resp = serialize(sns, op, Output::default(), &meta());
    assert_eq!(
        String::from_utf8(resp.body.to_vec()).unwrap(),
        "<DeleteTopicResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
         <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DeleteTopicResponse>"
    );
}

#[test]
fn errors_use_the_query_code_and_fault() {
    let sns = lamina_model::get("sns").unwrap();
    let err = AwsError::new(
        lamina_model::generated::sns::errors::NOT_FOUND_EXCEPTION,
        "Topic does not exist",
    );
    let resp = serialize_error(sns, &err, &meta());
    assert_eq!(resp.status, 404);
    assert_eq!(
        String::from_utf8(resp.body.to_vec()).unwrap(),
        "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type>\
         <Code>NotFound</Code><Message>Topic does not exist</Message></Error>\
         <RequestId>req-1</RequestId></ErrorResponse>"
    );
    let resp = serialize_error(sns, &AwsError::internal("db down"), &meta());
    assert_eq!(resp.status, 500);
    let text = String::from_utf8(resp.body.to_vec()).unwrap();
    assert!(
        text.contains("<Type>Receiver</Type>") && !text.contains("db down"),
        "{text}"
    );
}
