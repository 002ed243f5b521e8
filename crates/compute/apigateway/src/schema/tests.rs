use super::*;
use crate::vtl::RequestParams;

const PET: &str = r#"{
  "$schema": "http://json-schema.org/draft-04/schema#",
  "title": "Pet",
  "type": "object",
  "required": ["name", "price"],
  "properties": {
    "name": {"type": "string", "minLength": 1},
    "price": {"type": "number", "minimum": 10, "maximum": 500},
    "type": {"type": "string", "enum": ["dog", "cat", "fish"]}
  }
}"#;

#[test]
fn schema_valid_and_invalid_bodies() {
    assert_eq!(
        validate_body(PET, br#"{"name":"rex","price":20,"type":"dog"}"#),
        Ok(())
    );
    for bad in [
        &br#"{"name":"rex"}"#[..],
        br#"{"name":"rex","price":5}"#,
        br#"{"name":"rex","price":20,"type":"bird"}"#,
        br#"{"name":"","price":20}"#,
        br#"[1,2]"#,
        br#"{"name":"rex","price":20"#,
        b"not json",
        b"",
    ] {
        assert!(
            validate_body(PET, bad).is_err(),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn schema_draft4_semantics() {
    // draft 4: exclusiveMaximum is a boolean modifier
    let s = r#"{"type":"number","maximum":10,"exclusiveMaximum":true}"#;
    assert!(validate_body(s, b"10").is_err());
    assert!(validate_body(s, b"9.5").is_ok());
    // the empty schema (API Gateway's "Empty" model) accepts anything
    assert!(validate_body("{}", b"{\"a\":1}").is_ok());
    assert!(validate_body("{}", b"").is_ok());
}

#[test]
fn schema_bad_schema_is_an_error_not_a_panic() {
    assert!(validate_body("not json", b"{}").is_err());
    assert!(validate_body(r#"{"type": 12}"#, b"{}").is_err());
}

#[test]
fn schema_refs_to_other_models_and_cache() {
    let order = r#"{"type":"object","required":["pet"],"properties":{"pet":{"$ref":"https://apigateway.amazonaws.com/restapis/a1/models/Pet"}}}"#;
    let models = |name: &str| (name == "Pet").then(|| PET.to_string());
    let cache = SchemaCache::new();
    assert_eq!(
        cache.validate(
            "a1",
            "Order",
            "d1",
            order,
            &models,
            br#"{"pet":{"name":"x","price":11}}"#
        ),
        Ok(())
    );
    assert!(
        cache
            .validate(
                "a1",
                "Order",
                "d1",
                order,
                &models,
                br#"{"pet":{"name":"x"}}"#
            )
            .is_err()
    );
    // compiled once: a different schema under the same key is not looked at again
    assert_eq!(
        cache.validate(
            "a1",
            "Order",
            "d1",
            "{}",
            &models,
            br#"{"pet":{"name":"x","price":11}}"#
        ),
        Ok(())
    );
    // a new revision recompiles
    assert!(
        cache
            .validate("a1", "Order", "d2", r#"{"type":"string"}"#, &models, b"{}")
            .is_err()
    );
    // an unknown referenced model is a compile error
    assert!(
        cache
            .validate("a1", "Order", "d3", order, &|_| None, b"{}")
            .is_err()
    );
}

#[test]
fn schema_missing_parameters() {
    let mut req = RequestParams::default();
    req.querystring.insert("page".into(), "1".into());
    req.header.insert("X-Token".into(), "t".into());
    req.path.insert("id".into(), "7".into());
    let required = [
        ("method.request.querystring.page", true),
        ("method.request.querystring.size", true),
        ("method.request.querystring.sort", false),
        ("method.request.header.x-token", true),
        ("method.request.header.X-Other", true),
        ("method.request.path.id", true),
    ];
    let missing = missing_parameters(required, &req);
    assert_eq!(missing, vec!["size".to_string(), "X-Other".to_string()]);
    assert_eq!(
        missing_parameters_body(&missing),
        r#"{"message":"Missing required request parameters: [size, X-Other]"}"#
    );
    assert!(missing_parameters([("method.request.querystring.page", true)], &req).is_empty());
}
