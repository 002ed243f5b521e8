//! Condition evaluation, projection and legacy conditions against items.

use super::*;
use crate::value::{Item, item_from_json, item_to_json};
use proptest::prelude::*;
use serde_json::json;

fn item() -> Item {
    item_from_json(&json!({
        "pk": {"S": "p"},
        "n": {"N": "10"},
        "s": {"S": "hello"},
        "b": {"B": "AQID"},
        "t": {"BOOL": true},
        "z": {"NULL": true},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "l": {"L": [{"S": "x"}, {"N": "5"}, {"M": {"k": {"S": "v"}}}]},
        "m": {"M": {"inr": {"M": {"deep": {"N": "3"}}}, "lst": {"L": [{"N": "1"}, {"N": "2"}]}}}
    }))
    .expect("item")
}

fn check(src: &str, values: serde_json::Value) -> bool {
    let values = if values.as_object().is_some_and(|m| m.is_empty()) {
        None
    } else {
        Some(values)
    };
    let mut c = Context::new(None, values.as_ref()).expect("context");
    let cond = c.condition(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    eval_condition(&cond, &item()).expect("evaluates")
}

#[test]
fn expr_eval_comparisons() {
    let v = json!({":ten": {"N": "10.0"}, ":nine": {"N": "9"}, ":s": {"S": "10"}, ":h": {"S": "hello"}, ":b": {"B": "AQID"}, ":t": {"BOOL": true}, ":null": {"NULL": true}, ":ss": {"SS": ["b", "a"]}});
    let cases = [
        ("n = :ten", true),
        ("n <> :ten", false),
        ("n > :nine", true),
        ("n >= :ten AND n <= :ten", true),
        ("n < :nine", false),
        ("n = :s", false), // different types are never equal
        ("n <> :s", true),
        ("n > :s", false), // nor ordered
        ("gone = :ten", false),
        ("gone <> :ten", true),
        ("gone < :ten", false),
        ("s = :h AND b = :b AND t = :t AND z = :null", true),
        ("ss = :ss", true), // sets compare as sets
        ("n BETWEEN :nine AND :ten", true),
        ("n BETWEEN :ten AND :ten", true),
        ("gone BETWEEN :nine AND :ten", false),
        ("n IN (:s, :ten)", true),
        ("n IN (:s, :nine)", false),
        ("NOT n = :ten OR s = :h", true),
        ("(n = :nine OR s = :h) AND t = :t", true),
        ("l[1] = :nine OR m.inr.deep < :nine", true),
    ];
    for (src, want) in cases {
        assert_eq!(check(src, v.clone()), want, "{src}");
    }
}

#[test]
fn expr_eval_functions() {
    let v = json!({":he": {"S": "he"}, ":ell": {"S": "ell"}, ":a": {"S": "a"}, ":x": {"S": "x"}, ":one": {"N": "1"}, ":two": {"N": "2"}, ":three": {"N": "3"}, ":five": {"N": "5"}, ":S": {"S": "S"}, ":L": {"S": "L"}, ":b": {"B": "AQ=="}, ":bb": {"B": "Ag=="}});
    let cases = [
        ("attribute_exists(m.inr.deep)", true),
        ("attribute_exists(m.inr.nope)", false),
        ("attribute_not_exists(gone)", true),
        ("attribute_not_exists(l[2].k)", false),
        ("attribute_exists(l[3])", false),
        ("attribute_type(s, :S) AND attribute_type(l, :L)", true),
        ("attribute_type(gone, :S)", false),
        ("begins_with(s, :he)", true),
        ("begins_with(s, :ell)", false),
        ("begins_with(b, :b)", true),
        ("contains(s, :ell)", true),
        ("contains(ss, :a)", true),
        ("contains(ns, :two)", true),
        ("contains(ns, :three)", false),
        ("contains(l, :x)", true),
        ("contains(l, :five)", true),
        ("contains(l, :one)", false),
        ("contains(b, :bb)", true),
        ("contains(gone, :a)", false),
        ("size(s) = :five", true),
        (
            "size(ss) = :two AND size(l) = :three AND size(m) = :two AND size(b) = :three",
            true,
        ),
        ("size(gone) = :one", false),
        ("size(n) = :two", false),
    ];
    for (src, want) in cases {
        assert_eq!(check(src, v.clone()), want, "{src}");
    }
}

#[test]
fn expr_project_nested_paths_and_list_indexes() {
    let mut c = Context::new(Some(&json!({"#m": "m"})), None).expect("context");
    let paths = c
        .projection("pk, #m.inr.deep, l[2].k, l[0], m.lst[1], nope, l[9]")
        .expect("parses");
    let got = item_to_json(&project(&item(), &paths));
    assert_eq!(
        got,
        json!({
            "pk": {"S": "p"},
            "m": {"M": {"inr": {"M": {"deep": {"N": "3"}}}, "lst": {"L": [{"N": "2"}]}}},
            "l": {"L": [{"S": "x"}, {"M": {"k": {"S": "v"}}}]}
        })
    );
}

#[test]
fn expr_legacy_expected_and_filters() {
    let it = item();
    let exp = |e: serde_json::Value, op: Option<&str>| {
        let op = op.map(|o| json!(o));
        legacy::expected(Some(&e), op.as_ref())
            .map(|c| c.map(|c| eval_condition(&c, &it).expect("evaluates")))
    };
    assert_eq!(
        exp(json!({"n": {"Value": {"N": "10"}}}), None).expect("ok"),
        Some(true)
    );
    assert_eq!(
        exp(json!({"gone": {"Exists": false}}), None).expect("ok"),
        Some(true)
    );
    assert_eq!(
        exp(
            json!({"n": {"Exists": false}, "s": {"Value": {"S": "hello"}}}),
            Some("OR")
        )
        .expect("ok"),
        Some(true)
    );
    assert_eq!(
        exp(
            json!({"n": {"Exists": false}, "s": {"Value": {"S": "hello"}}}),
            Some("AND")
        )
        .expect("ok"),
        Some(false)
    );
    assert_eq!(
        exp(json!({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "10"}]}}), None).expect("ok"),
        Some(true)
    );
    assert_eq!(exp(json!({"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "c"}]}}), None).expect("ok"), Some(true));
    let e = |v: serde_json::Value| exp(v, None).expect_err("invalid").to_string();
    assert_eq!(
        e(json!({"a": {}})),
        "One or more parameter values were invalid: Value must be provided when Exists is null for Attribute: a"
    );
    assert_eq!(
        e(json!({"a": {"Exists": true}})),
        "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"
    );
    assert_eq!(
        e(json!({"a": {"Exists": false, "Value": {"S": "a"}}})),
        "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: a"
    );
    assert_eq!(
        e(json!({"a": {"ComparisonOperator": "NULL", "AttributeValueList": [{"S": "a"}]}})),
        "One or more parameter values were invalid: Invalid number of argument(s) for the NULL ComparisonOperator"
    );
    assert_eq!(
        e(json!({"a": {"AttributeValueList": [{"S": "a"}]}})),
        "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: a"
    );
    let f = legacy::filter(Some(&json!({"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "he"}]}, "z": {"ComparisonOperator": "NULL"}})), None)
        .expect("ok")
        .expect("some");
    assert!(!eval_condition(&f, &it).expect("evaluates"));
    let k = legacy::key_conditions(
        &json!({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}}),
    )
    .expect("ok");
    assert_eq!(
        k.resolve("pk", None).expect("ok").hash_value,
        crate::value::AttrValue::S("p".into())
    );
    assert_eq!(
        legacy::key_conditions(
            &json!({"pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "p"}]}})
        )
        .expect_err("bad")
        .to_string(),
        "Attempted conditional constraint is not an indexable operation"
    );
    assert_eq!(
        legacy::attributes_to_get(&json!(["a", "a"]))
            .expect_err("dup")
            .to_string(),
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    );
}

#[test]
fn expr_legacy_many_conditions_stay_shallow() {
    let mut m = serde_json::Map::new();
    for i in 0..50_000 {
        m.insert(format!("a{i}"), json!({"ComparisonOperator": "NULL"}));
    }
    let c = legacy::filter(Some(&serde_json::Value::Object(m)), None)
        .expect("ok")
        .expect("some");
    assert!(eval_condition(&c, &item()).expect("evaluates"));
}

proptest! {
    #[test]
    fn expr_eval_never_panics(src in "[a-z#:()<>=, .\\[\\]0-9]{0,60}") {
        let mut c = Context::new(None, Some(&json!({":n": {"N": "10"}, ":s": {"S": "hello"}}))).expect("context");
        if let Ok(cond) = c.condition(&src) {
            let _ = eval_condition(&cond, &item());
        }
        let mut c = Context::default();
        if let Ok(p) = c.projection(&src) {
            let _ = project(&item(), &p);
        }
    }
}
