use super::*;
use serde_json::json;

fn attrs_policy(p: serde_json::Value) -> Policy {
    Policy::from_value(&p, Scope::MessageAttributes).expect("valid policy")
}

fn body_policy(p: serde_json::Value) -> Policy {
    Policy::from_value(&p, Scope::MessageBody).expect("valid policy")
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::String(v.into())
}

fn n(v: f64) -> AttributeValue {
    AttributeValue::Number(v)
}

fn error(p: serde_json::Value, scope: Scope) -> String {
    Policy::from_value(&p, scope).expect_err("invalid policy").0
}

#[test]
fn exact_strings_and_lists() {
    let p = attrs_policy(json!({"color": ["red", "blue"]}));
    assert!(p.matches_attributes(&[("color", s("red"))]));
    assert!(p.matches_attributes(&[("color", s("blue")), ("x", s("y"))]));
    assert!(!p.matches_attributes(&[("color", s("green"))]));
    assert!(!p.matches_attributes(&[]));
    // a string rule does not match a Number attribute
    let p = attrs_policy(json!({"size": ["10"]}));
    assert!(!p.matches_attributes(&[("size", n(10.0))]));
}

#[test]
fn every_key_must_match() {
    let p = attrs_policy(json!({"a": ["1"], "b": [{"prefix": "x"}]}));
    assert!(p.matches_attributes(&[("a", s("1")), ("b", s("xyz"))]));
    assert!(!p.matches_attributes(&[("a", s("1")), ("b", s("yz"))]));
    assert!(!p.matches_attributes(&[("a", s("1"))]));
}

#[test]
fn anything_but_forms() {
    let p = attrs_policy(json!({"c": [{"anything-but": "red"}]}));
    assert!(p.matches_attributes(&[("c", s("blue"))]));
    assert!(!p.matches_attributes(&[("c", s("red"))]));
    assert!(
        !p.matches_attributes(&[]),
        "absent keys do not match anything-but"
    );
    let p = attrs_policy(json!({"c": [{"anything-but": ["red", "blue"]}]}));
    assert!(!p.matches_attributes(&[("c", s("blue"))]));
    assert!(p.matches_attributes(&[("c", s("green"))]));
    let p = attrs_policy(json!({"n": [{"anything-but": [100, 200]}]}));
    assert!(p.matches_attributes(&[("n", n(150.0))]));
    assert!(!p.matches_attributes(&[("n", n(100.0))]));
    let p = attrs_policy(json!({"c": [{"anything-but": {"prefix": "re"}}]}));
    assert!(p.matches_attributes(&[("c", s("blue"))]));
    assert!(!p.matches_attributes(&[("c", s("red"))]));
    let p = attrs_policy(json!({"c": [{"anything-but": {"suffix": "ed"}}]}));
    assert!(!p.matches_attributes(&[("c", s("red"))]));
}

#[test]
fn prefix_suffix_ignore_case() {
    let p = attrs_policy(json!({"k": [{"prefix": "ab"}, {"suffix": "yz"}]}));
    assert!(p.matches_attributes(&[("k", s("abc"))]));
    assert!(p.matches_attributes(&[("k", s("xyz"))]));
    assert!(!p.matches_attributes(&[("k", s("mmm"))]));
    let p = attrs_policy(json!({"k": [{"equals-ignore-case": "ReD"}]}));
    assert!(p.matches_attributes(&[("k", s("red"))]));
    assert!(p.matches_attributes(&[("k", s("RED"))]));
    assert!(!p.matches_attributes(&[("k", s("reds"))]));
}

#[test]
fn numeric_comparisons_and_ranges() {
    let p = attrs_policy(json!({"p": [{"numeric": ["=", 301.5]}]}));
    assert!(p.matches_attributes(&[("p", n(301.5))]));
    assert!(!p.matches_attributes(&[("p", n(301.0))]));
    assert!(!p.matches_attributes(&[("p", s("301.5"))]));
    let p = attrs_policy(json!({"p": [{"numeric": [">", 0, "<=", 150]}]}));
    assert!(p.matches_attributes(&[("p", n(150.0))]));
    assert!(p.matches_attributes(&[("p", n(0.5))]));
    assert!(!p.matches_attributes(&[("p", n(0.0))]));
    assert!(!p.matches_attributes(&[("p", n(151.0))]));
    let p = attrs_policy(json!({"p": [{"numeric": ["<", 10]}]}));
    assert!(p.matches_attributes(&[("p", n(-3.0))]));
    let p = attrs_policy(json!({"p": [{"numeric": [">=", 10]}]}));
    assert!(p.matches_attributes(&[("p", n(10.0))]));
    let p = attrs_policy(json!({"p": [100]}));
    assert!(p.matches_attributes(&[("p", n(100.0))]));
}

#[test]
fn exists() {
    let p = attrs_policy(json!({"k": [{"exists": true}]}));
    assert!(p.matches_attributes(&[("k", s("anything"))]));
    assert!(p.matches_attributes(&[("k", AttributeValue::Binary)]));
    assert!(!p.matches_attributes(&[]));
    let p = attrs_policy(json!({"k": [{"exists": false}]}));
    assert!(p.matches_attributes(&[]));
    assert!(!p.matches_attributes(&[("k", s("v"))]));
}

#[test]
fn arrays_match_any_element() {
    let p = attrs_policy(json!({"tags": ["b"]}));
    let arr = AttributeValue::Array(vec![json!("a"), json!("b")]);
    assert!(p.matches_attributes(&[("tags", arr)]));
    let arr = AttributeValue::Array(vec![json!("a"), json!("c")]);
    assert!(!p.matches_attributes(&[("tags", arr)]));
    let p = attrs_policy(json!({"nums": [{"numeric": [">", 5]}]}));
    assert!(p.matches_attributes(&[("nums", AttributeValue::Array(vec![json!(1), json!(9)]))]));
}

#[test]
fn or_branches() {
    let p = attrs_policy(json!({
        "source": ["aws.cloudwatch"],
        "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]
    }));
    assert!(p.matches_attributes(&[("source", s("aws.cloudwatch")), ("namespace", s("AWS/EC2"))]));
    assert!(p.matches_attributes(&[
        ("source", s("aws.cloudwatch")),
        ("metricName", s("CPUUtilization"))
    ]));
    assert!(!p.matches_attributes(&[("source", s("aws.cloudwatch"))]));
    assert!(!p.matches_attributes(&[("namespace", s("AWS/EC2"))]));
}

#[test]
fn body_scope_nested_keys_and_arrays() {
    let p = body_policy(
        json!({"store": ["example_corp"], "order": {"total": [{"numeric": [">", 100]}]}}),
    );
    assert!(p.matches_body(r#"{"store":"example_corp","order":{"total":150}}"#));
    assert!(!p.matches_body(r#"{"store":"example_corp","order":{"total":50}}"#));
    assert!(!p.matches_body(r#"{"store":"example_corp"}"#));
    assert!(!p.matches_body("not json"));
    assert!(!p.matches_body(r#"["store"]"#));
    let p = body_policy(json!({"items": {"sku": ["b"]}}));
    assert!(p.matches_body(r#"{"items":[{"sku":"a"},{"sku":"b"}]}"#));
    assert!(!p.matches_body(r#"{"items":[{"sku":"a"}]}"#));
    let p = body_policy(json!({"colors": ["red"]}));
    assert!(p.matches_body(r#"{"colors":["blue","red"]}"#));
    let p = body_policy(json!({"a": {"b": [{"exists": false}]}}));
    assert!(p.matches_body(r#"{"c":1}"#));
    assert!(!p.matches_body(r#"{"a":{"b":1}}"#));
    let p = body_policy(json!({"v": [null, true]}));
    assert!(p.matches_body(r#"{"v":null}"#));
    assert!(p.matches_body(r#"{"v":true}"#));
    assert!(!p.matches_body(r#"{"v":false}"#));
}

#[test]
fn validation_messages() {
    let a = Scope::MessageAttributes;
    assert_eq!(
        error(json!({"a": {"b": ["c"]}}), a),
        "Filter policy scope MessageAttributes does not support nested filter policy"
    );
    assert_eq!(
        error(json!({"a": "x"}), a),
        "FilterPolicy: \"a\" must be an object or an array"
    );
    assert_eq!(
        error(json!({"a": []}), a),
        "FilterPolicy: Empty arrays are not allowed"
    );
    assert_eq!(
        error(json!({"a": [{"exists": "yes"}]}), a),
        "FilterPolicy: exists match pattern must be either true or false."
    );
    assert_eq!(
        error(json!({"a": [{"nope": 1}]}), a),
        "FilterPolicy: Unrecognized match type nope"
    );
    assert_eq!(
        error(json!({"a": [{"prefix": 1}]}), a),
        "FilterPolicy: prefix match pattern must be a string"
    );
    assert_eq!(
        error(json!({"a": [{"prefix": "a", "suffix": "b"}]}), a),
        "FilterPolicy: Only one key allowed in match expression"
    );
    assert_eq!(
        error(json!({"a": [["x"]]}), a),
        "FilterPolicy: Match value must be String, number, true, false, or null"
    );
    assert_eq!(
        error(json!({"a": [{"numeric": ["<", "x"]}]}), a),
        "FilterPolicy: Value of < must be numeric"
    );
    assert_eq!(
        error(json!({"a": [{"numeric": ["=", "x"]}]}), a),
        "FilterPolicy: Value of equals must be numeric"
    );
    assert_eq!(
        error(json!({"a": [{"numeric": ["!", 1]}]}), a),
        "FilterPolicy: Unrecognized numeric range operator: !"
    );
    assert_eq!(
        error(json!({"a": [{"numeric": [">", 10, "<", 5]}]}), a),
        "FilterPolicy: Bottom must be less than top"
    );
    assert_eq!(
        error(json!({"a": [{"numeric": ["<", 10, "<", 50]}]}), a),
        "FilterPolicy: Too many elements in numeric expression"
    );
    assert_eq!(
        error(json!({"a": [{"numeric": [">", 1, ">", 50]}]}), a),
        "FilterPolicy: Bad numeric range operator: >"
    );
    assert_eq!(
        error(json!({"a": [{"numeric": []}]}), a),
        "FilterPolicy: Invalid member in numeric match: ]"
    );
    assert_eq!(
        error(json!({"a": [{"anything-but": {"wildcard": "x"}}]}), a),
        "FilterPolicy: Unsupported anything-but pattern: wildcard"
    );
    assert_eq!(
        error(
            json!({"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}),
            a
        ),
        "FilterPolicy: Filter policy can not have more than 5 keys"
    );
    assert!(
        Policy::parse("{nope", a)
            .unwrap_err()
            .0
            .contains("failed to parse JSON")
    );
}

#[test]
fn complexity_limit() {
    let ten: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let fifteen: Vec<String> = (0..15).map(|i| i.to_string()).collect();
    let sixteen: Vec<String> = (0..16).map(|i| i.to_string()).collect();
    // 10 x 15 = 150: the limit itself is accepted
    assert!(Policy::from_value(&json!({"a": ten, "b": fifteen}), Scope::MessageAttributes).is_ok());
    assert_eq!(
        error(json!({"a": ten, "b": sixteen}), Scope::MessageAttributes),
        "FilterPolicy: Filter policy is too complex"
    );
    // nested keys count their depth (AWS's documented example: 3 x 4 x 2 x 3 = 72)
    let p = json!({"key_a": {"key_b": {"key_c": ["1", "2", "3", "4"]}}, "key_d": {"key_e": ["1", "2", "3"]}});
    assert!(Policy::from_value(&p, Scope::MessageBody).is_ok());
    // $or branches add up
    let or = json!({"$or": [{"a": sixteen}, {"b": ten}], "c": ["1", "2"]});
    assert!(Policy::from_value(&or, Scope::MessageAttributes).is_ok());
    let or = json!({"$or": [{"a": sixteen}, {"b": ten}], "c": ["1", "2", "3", "4", "5", "6"]});
    assert_eq!(
        error(or, Scope::MessageAttributes),
        "FilterPolicy: Filter policy is too complex"
    );
}

#[test]
fn deep_nesting_is_bounded() {
    let mut v = json!({"leaf": ["x"]});
    for _ in 0..200 {
        v = json!({ "k": v });
    }
    assert!(Policy::from_value(&v, Scope::MessageBody).is_err());
}
