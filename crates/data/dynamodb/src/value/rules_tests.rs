use super::*;
use crate::value::{Number, item_from_json};
use serde_json::json;

fn item(v: serde_json::Value) -> Item {
    item_from_json(&v).expect("well-formed item")
}

fn err_item(v: serde_json::Value) -> String {
    validate_item(&item(v)).expect_err("invalid").0
}

fn deep_map(levels: usize) -> serde_json::Value {
    let mut v = json!({"S": "leaf"});
    for _ in 0..levels {
        v = json!({"M": {"n": v}});
    }
    v
}

#[test]
fn value_rules_empty_sets() {
    assert_eq!(
        err_item(json!({"a": {"SS": []}})),
        "One or more parameter values were invalid: An string set  may not be empty"
    );
    assert_eq!(
        err_item(json!({"a": {"NS": []}})),
        "One or more parameter values were invalid: An number set  may not be empty"
    );
    assert_eq!(
        err_item(json!({"a": {"BS": []}})),
        "One or more parameter values were invalid: Binary sets should not be empty"
    );
    // Nested sets are checked too.
    assert_eq!(
        err_item(json!({"a": {"L": [{"M": {"x": {"SS": []}}}]}})),
        "One or more parameter values were invalid: An string set  may not be empty"
    );
    // Empty strings and binaries are fine outside keys, in sets too.
    assert!(
        validate_item(&item(
            json!({"a": {"S": ""}, "b": {"B": ""}, "c": {"SS": [""]}})
        ))
        .is_ok()
    );
}

#[test]
fn value_rules_duplicate_set_members() {
    assert_eq!(
        err_item(json!({"s": {"SS": ["b", "a", "b"]}})),
        "One or more parameter values were invalid: Input collection [a, b, b] contains duplicates."
    );
    assert_eq!(
        err_item(json!({"s": {"BS": ["/w==", "AA==", "AA=="]}})),
        r#"One or more parameter values were invalid: Input collection ["AA==","/w==","AA=="]of type BS contains duplicates."#
    );
    assert_eq!(
        err_item(json!({"s": {"NS": ["2", "1", "2"]}})),
        "One or more parameter values were invalid: Input collection contains duplicates."
    );
    // Numbers are compared as numbers.
    assert_eq!(
        err_item(json!({"s": {"NS": ["1", "1.0"]}})),
        "One or more parameter values were invalid: Input collection contains duplicates."
    );
    assert_eq!(
        err_item(json!({"s": {"SS": ["", ""]}})),
        "One or more parameter values were invalid: Input collection [, ] contains duplicates."
    );
    assert!(
        validate_item(&item(
            json!({"s": {"SS": ["a", "A"]}, "n": {"NS": ["1", "10"]}})
        ))
        .is_ok()
    );
}

#[test]
fn value_rules_nesting_limit() {
    assert!(validate_item(&item(json!({"data": deep_map(31)}))).is_ok());
    let mut too_deep = Item::new();
    let mut v = AttrValue::S("leaf".into());
    for _ in 0..32 {
        v = AttrValue::M([("n".to_string(), v)].into());
    }
    too_deep.insert("data".into(), v);
    assert_eq!(validate_item(&too_deep).expect_err("too deep").0, NESTING);
    // The JSON reader refuses the same depth with the same message.
    assert_eq!(
        item_from_json(&json!({"data": deep_map(32)}))
            .expect_err("too deep")
            .0,
        NESTING
    );
}

#[test]
fn value_rules_item_size_cap() {
    let fits = "x".repeat(MAX_ITEM_SIZE - 2);
    assert!(validate_item(&item(json!({"pk": {"S": fits}}))).is_ok());
    let over = "x".repeat(MAX_ITEM_SIZE - 1);
    assert_eq!(err_item(json!({"pk": {"S": over}})), ITEM_TOO_LARGE);
}

#[test]
fn value_rules_item_key() {
    let schema = KeySchema::composite("pk", ScalarType::S, "sk", ScalarType::N);
    let check = |v| validate_item_key(&item(v), &schema).map_err(|e| e.0);
    assert_eq!(
        check(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"BOOL": true}})),
        Ok(())
    );
    assert_eq!(
        check(json!({"sk": {"N": "1"}})),
        Err("One or more parameter values were invalid: Missing the key pk in the item".into())
    );
    assert_eq!(
        check(json!({"pk": {"N": "1"}, "sk": {"N": "1"}})),
        Err("One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N".into())
    );
    assert_eq!(
        check(json!({"pk": {"S": "a"}, "sk": {"SS": ["1"]}})),
        Err("One or more parameter values were invalid: Type mismatch for key sk expected: N actual: SS".into())
    );
    assert_eq!(
        check(json!({"pk": {"S": ""}, "sk": {"N": "1"}})),
        Err("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk".into())
    );
    let bin = KeySchema::hash("pk", ScalarType::B);
    assert_eq!(
        validate_item_key(&item(json!({"pk": {"B": ""}})), &bin).map_err(|e| e.0),
        Err("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: pk".into())
    );
}

#[test]
fn value_rules_key_sizes() {
    let schema = KeySchema::composite("pk", ScalarType::S, "sk", ScalarType::S);
    let key = |pk: usize, sk: usize| {
        item(
            json!({"pk": {"S": "é".repeat(pk / 2) + &"a".repeat(pk % 2)}, "sk": {"S": "a".repeat(sk)}}),
        )
    };
    assert!(validate_key(&key(2048, 1024), &schema).is_ok());
    assert_eq!(
        validate_key(&key(2049, 1), &schema).map_err(|e| e.0),
        Err("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes".into())
    );
    assert_eq!(
        validate_item_key(&key(1, 1025), &schema).map_err(|e| e.0),
        Err("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes".into())
    );
    // Numbers never exceed the key size.
    let n = KeySchema::hash("pk", ScalarType::N);
    assert!(
        validate_key(
            &item(json!({"pk": {"N": "9.9999999999999999999999999999999999999E+125"}})),
            &n
        )
        .is_ok()
    );
}

#[test]
fn value_rules_key_parameter_must_match_schema() {
    let schema = KeySchema::composite("pk", ScalarType::S, "sk", ScalarType::N);
    let check = |v| validate_key(&item(v), &schema).map_err(|e| e.0);
    assert_eq!(check(json!({"pk": {"S": "a"}, "sk": {"N": "1"}})), Ok(()));
    for bad in [
        json!({"pk": {"S": "a"}}),
        json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "y"}}),
        json!({"pk": {"S": "a"}, "other": {"N": "1"}}),
        json!({"pk": {"N": "1"}, "sk": {"N": "1"}}),
        json!({}),
    ] {
        assert_eq!(check(bad.clone()), Err(KEY_SCHEMA_MISMATCH.into()), "{bad}");
    }
    assert_eq!(
        check(json!({"pk": {"S": ""}, "sk": {"N": "1"}})),
        Err("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk".into())
    );
}

#[test]
fn value_rules_key_schema_helpers() {
    let schema = KeySchema::composite("pk", ScalarType::S, "sk", ScalarType::N);
    let it = item(json!({"pk": {"S": "a"}, "sk": {"N": "2"}, "x": {"S": "y"}}));
    assert!(schema.is_key("sk") && !schema.is_key("x"));
    assert_eq!(
        schema.key_of(&it),
        item(json!({"pk": {"S": "a"}, "sk": {"N": "2"}}))
    );
    let lo = schema
        .encode(&item(json!({"pk": {"S": "a"}, "sk": {"N": "10"}})))
        .expect("key");
    let hi = schema
        .encode(&item(json!({"pk": {"S": "a"}, "sk": {"N": "9"}})))
        .expect("key");
    assert!(hi < lo, "sort key compared numerically");
    let next_pk = schema
        .encode(&item(json!({"pk": {"S": "a\u{1}"}, "sk": {"N": "-1"}})))
        .expect("key");
    assert!(lo < next_pk);
    assert_eq!(
        Number::parse("2").map(AttrValue::N).ok().as_ref(),
        it.get("sk")
    );
}
