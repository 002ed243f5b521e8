#![allow(clippy::result_large_err)]

use super::*;
use serde_json::json;

fn check(service: &str, op: &str, input: Value) -> Result<(), AwsError> {
    let model = lamina_model::get(service).unwrap();
    validate(model, model.operation(op).unwrap(), &input)
}

#[test]
fn missing_required_member() {
    let err = check("ssm", "GetParameter", json!({})).unwrap_err();
    assert_eq!(err.code.code, "ValidationException");
    assert_eq!(
        err.message,
        "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
    );
    let err = check("ssm", "GetParameter", json!({"Name": null})).unwrap_err();
    assert!(err.message.contains("Value null at 'name'"));
}

#[test]
fn several_errors_are_joined() {
    let err = check("ssm", "PutParameter", json!({"Name": "", "Type": "Bogus"})).unwrap_err();
    assert_eq!(
        err.message,
        "3 validation errors detected: \
         Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value null at 'value' failed to satisfy constraint: Member must not be null; \
         Value 'Bogus' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [String, StringList, SecureString]"
    );
}

#[test]
fn lengths_are_counted_in_characters() {
    // SSM parameter names are 1..=2048 characters; 2048 two-byte characters fit.
    let name = "é".repeat(2048);
    assert!(check("ssm", "GetParameter", json!({"Name": name})).is_ok());
    let err = check("ssm", "GetParameter", json!({"Name": "é".repeat(2049)})).unwrap_err();
    assert!(
        err.message
            .ends_with("Member must have length less than or equal to 2048"),
        "{}",
        err.message
    );
}

#[test]
fn numeric_ranges_and_nested_paths() {
    let err = check("ssm", "DescribeParameters", json!({"MaxResults": 0})).unwrap_err();
    assert!(err.message.contains("Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"), "{}", err.message);
    let err = check(
        "ssm",
        "DescribeParameters",
        json!({"ParameterFilters": [{"Key": "Name"}, {}]}),
    )
    .unwrap_err();
    assert!(
        err.message
            .contains("Value null at 'parameterFilters.2.member.key'"),
        "{}",
        err.message
    );
}

#[test]
fn patterns_match_the_whole_value() {
    // PutParameter's AllowedPattern is free text but Tier is an enum; use a patterned
    // member: ssm Tag keys match ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$, which regex-lite cannot
    // compile, so it must be skipped rather than failing.
    assert!(check("ssm", "AddTagsToResource", json!({"ResourceType": "Parameter", "ResourceId": "a", "Tags": [{"Key": "k!", "Value": "v"}]})).is_ok());
    // sts RoleSessionName: [\w+=,.@-]*
    let ok = json!({"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s1"});
    assert!(check("sts", "AssumeRole", ok).is_ok());
    let err = check(
        "sts",
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "a b"}),
    )
    .unwrap_err();
    assert_eq!(err.code.code, "ValidationError");
    assert!(
        err.message
            .contains("Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        "{}",
        err.message
    );
}

#[test]
fn list_sizes_and_caps() {
    let tags: Vec<Value> = (0..1001)
        .map(|i| json!({"Key": format!("k{i}"), "Value": "v"}))
        .collect();
    let err = check(
        "ssm",
        "AddTagsToResource",
        json!({"ResourceType": "Parameter", "ResourceId": "a", "Tags": tags}),
    )
    .unwrap_err();
    assert!(err.message.contains("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 1000"), "{}", err.message);
    let many: Vec<Value> = (0..20).map(|_| json!({})).collect();
    let err = check(
        "ssm",
        "DescribeParameters",
        json!({"ParameterFilters": many}),
    )
    .unwrap_err();
    assert!(
        err.message.starts_with("10 validation errors detected"),
        "{}",
        err.message
    );
}

#[test]
fn query_protocol_uses_validation_error() {
    let err = check("sts", "AssumeRole", json!({})).unwrap_err();
    assert_eq!(err.code.code, "ValidationError");
    assert!(
        err.message
            .starts_with("2 validation errors detected: Value null at 'roleArn'"),
        "{}",
        err.message
    );
}

#[test]
fn deep_values_do_not_overflow() {
    let mut v = json!("x");
    for _ in 0..1_000 {
        v = json!([v]);
    }
    // Wrong-typed deep values are the codec's job; validation must simply terminate.
    let _ = check("ssm", "DescribeParameters", json!({"ParameterFilters": v}));
}

/// The paths of map keys and values, list items inside maps, and sensitive values (no value
/// shown), each as AWS names them.
#[test]
fn map_key_and_value_paths_and_sensitive_values() {
    // Lambda environment variable names: sensitive, pattern [a-zA-Z]([a-zA-Z0-9_])+.
    let err = check(
        "lambda",
        "UpdateFunctionConfiguration",
        json!({"FunctionName": "f", "Environment": {"Variables": {"1bad": "v", "GOOD": "v"}}}),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value at 'environment.variables.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+"
    );
    // A map key and a map value's members, a list inside it by 1-based index.
    let err = check(
        "dynamodb",
        "BatchGetItem",
        json!({"RequestItems": {"": {"Keys": [{"k": {"S": "v"}}]}, "t": {"Keys": [], "ProjectionExpression": "a"}}}),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "2 validation errors detected: \
         Value '' at 'requestItems.key' failed to satisfy constraint: Member must have length greater than or equal to 1; \
         Value '[]' at 'requestItems.t.keys' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
    let err = check(
        "ssm",
        "DescribeParameters",
        json!({"ParameterFilters": [{"Key": "Name", "Values": ["a", ""]}]}),
    )
    .unwrap_err();
    assert_eq!(
        err.message,
        "1 validation error detected: Value '' at 'parameterFilters.1.member.values.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}
