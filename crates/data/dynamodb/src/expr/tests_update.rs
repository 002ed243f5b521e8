//! Update semantics as a user sees them in the stored item.

use super::*;
use crate::value::{Item, item_from_json, item_to_json};
use serde_json::{Value, json};

fn base() -> Item {
    item_from_json(&json!({
        "pk": {"S": "p"},
        "n": {"N": "10"},
        "s": {"S": "str"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1"]},
        "l": {"L": [{"N": "0"}, {"N": "1"}, {"N": "2"}, {"N": "3"}]},
        "m": {"M": {"k": {"S": "v"}}}
    }))
    .expect("item")
}

fn values() -> Value {
    json!({":one": {"N": "1"}, ":s": {"S": "new"}, ":l": {"L": [{"S": "x"}]}, ":ss": {"SS": ["b", "c"]}, ":a": {"SS": ["a", "b"]}, ":ns": {"NS": ["1"]}})
}

fn run(src: &str) -> Result<Value> {
    let mut c = Context::new(None, Some(&values())).expect("context");
    let u = c.update(src)?;
    let mut item = base();
    apply_update(&u, &mut item)?;
    Ok(item_to_json(&item))
}

fn attr(src: &str, name: &str) -> Value {
    let got = run(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    got.get(name).cloned().unwrap_or(Value::Null)
}

#[test]
fn expr_update_set() {
    assert_eq!(attr("SET n = n + :one", "n"), json!({"N": "11"}));
    assert_eq!(attr("SET n = :one - n", "n"), json!({"N": "-9"}));
    assert_eq!(
        attr("SET x = if_not_exists(x, :one)", "x"),
        json!({"N": "1"})
    );
    assert_eq!(
        attr("SET n = if_not_exists(n, :one)", "n"),
        json!({"N": "10"})
    );
    assert_eq!(
        attr("SET l = list_append(:l, l)", "l")["L"][0],
        json!({"S": "x"})
    );
    assert_eq!(
        attr("SET m.k2 = :s", "m"),
        json!({"M": {"k": {"S": "v"}, "k2": {"S": "new"}}})
    );
    assert_eq!(attr("SET l[1] = :s", "l")["L"][1], json!({"S": "new"}));
    // An index past the end appends.
    assert_eq!(attr("SET l[100] = :s", "l")["L"][4], json!({"S": "new"}));
    // Values come from the item before the update.
    let got = run("SET n = s, s = n").expect("swaps");
    assert_eq!(
        (got["n"].clone(), got["s"].clone()),
        (json!({"S": "str"}), json!({"N": "10"}))
    );
}

#[test]
fn expr_update_remove_add_delete() {
    assert_eq!(attr("REMOVE s", "s"), Value::Null);
    assert_eq!(attr("REMOVE nothing_here", "n"), json!({"N": "10"}));
    assert_eq!(
        attr("REMOVE l[0], l[2]", "l"),
        json!({"L": [{"N": "1"}, {"N": "3"}]})
    );
    assert_eq!(
        attr("REMOVE l[9]", "l")["L"].as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(attr("REMOVE m.k", "m"), json!({"M": {}}));
    assert_eq!(attr("ADD n :one", "n"), json!({"N": "11"}));
    assert_eq!(attr("ADD fresh :one", "fresh"), json!({"N": "1"}));
    assert_eq!(attr("ADD ss :ss", "ss"), json!({"SS": ["a", "b", "c"]}));
    assert_eq!(attr("DELETE ss :ss", "ss"), json!({"SS": ["a"]}));
    // Deleting every element removes the attribute.
    assert_eq!(attr("DELETE ss :a", "ss"), Value::Null);
    assert_eq!(attr("DELETE nothing :a", "ss"), json!({"SS": ["a", "b"]}));
}

#[test]
fn expr_update_runtime_errors_leave_item_unchanged() {
    let cases = [
        (
            "SET x = gone",
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            "SET x = list_append(gone, :l)",
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            "SET x = s + :one",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET x = list_append(n, :l)",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "ADD s :one",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "ADD ss :ns",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "DELETE ns :ss",
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET nope.a = :s",
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET s.a = :s",
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET m[0] = :s",
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET l.a = :s",
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "REMOVE nope.a",
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "ADD nope.a :one",
            "The document path provided in the update expression is invalid for update",
        ),
    ];
    for (src, msg) in cases {
        let mut c = Context::new(None, Some(&values())).expect("context");
        let u = c.update(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        // A first action that succeeds must not stick when a later one fails.
        let mut u2 = c.update("SET added = :s").expect("parses");
        u2.actions.extend(u.actions);
        let mut item = base();
        let err = apply_update(&u2, &mut item).expect_err(src);
        assert_eq!(err.to_string(), msg, "{src}");
        assert_eq!(item, base(), "{src}: item changed");
    }
}

#[test]
fn expr_update_number_overflow_is_reported() {
    let mut c = Context::new(
        None,
        Some(&json!({":big": {"N": "9.9999999999999999999999999999999999999E+125"}})),
    )
    .expect("context");
    let u = c.update("SET n = :big + :big").expect("parses");
    let mut item = base();
    let err = apply_update(&u, &mut item).expect_err("overflow");
    assert!(err.to_string().contains("Number overflow"), "{err}");
    assert_eq!(item, base());
}

#[test]
fn expr_legacy_attribute_updates() {
    let u = legacy::attribute_updates(&json!({
        "n": {"Action": "ADD", "Value": {"N": "5"}},
        "s": {"Action": "DELETE"},
        "l": {"Action": "ADD", "Value": {"L": [{"S": "y"}]}},
        "new": {"Value": {"S": "put"}},
        "ss": {"Action": "DELETE", "Value": {"SS": ["a"]}}
    }))
    .expect("valid");
    let mut item = base();
    apply_update(&u, &mut item).expect("applies");
    let got = item_to_json(&item);
    assert_eq!(got["n"], json!({"N": "15"}));
    assert_eq!(got.get("s"), None);
    assert_eq!(got["l"]["L"][4], json!({"S": "y"}));
    assert_eq!(got["new"], json!({"S": "put"}));
    assert_eq!(got["ss"], json!({"SS": ["b"]}));
    let e = |v: Value| {
        legacy::attribute_updates(&v)
            .expect_err("invalid")
            .to_string()
    };
    assert_eq!(
        e(json!({"a": {"Action": "PUT"}})),
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    );
    assert_eq!(
        e(json!({"a": {"Action": "DELETE", "Value": {"S": "1"}}})),
        "One or more parameter values were invalid: DELETE action with value is not supported for the type S"
    );
    assert_eq!(
        e(json!({"a": {"Action": "ADD", "Value": {"BOOL": true}}})),
        "One or more parameter values were invalid: ADD action is not supported for the type BOOL"
    );
}
