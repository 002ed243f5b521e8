//! Event filtering for event source mappings: the EventBridge pattern syntax Lambda applies
//! to each record (`FilterCriteria.Filters[].Pattern`). A record passes when any pattern
//! matches it. Pure functions, tested on their own.
//!
//! Supported: nested objects, literal values (strings, numbers compared numerically, booleans,
//! null), arrays in the record (any element matches), `prefix`, `suffix`,
//! `equals-ignore-case`, `anything-but` (values, lists, `prefix`, `suffix`), `numeric`
//! (`=`, `<`, `<=`, `>`, `>=`, up to two conditions), `exists` and `wildcard` (`*`).

use serde_json::{Map, Value};

/// AWS's message for any pattern it cannot use.
pub const INVALID: &str = "Invalid filter pattern definition.";

/// Parses and checks a pattern: a JSON object whose leaves are non-empty arrays of values or
/// of one-operator objects.
pub fn parse(pattern: &str) -> Result<Value, &'static str> {
    let v: Value = serde_json::from_str(pattern).map_err(|_| INVALID)?;
    match &v {
        Value::Object(o) if check_object(o, 0) => Ok(v),
        _ => Err(INVALID),
    }
}

fn check_object(o: &Map<String, Value>, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    o.values().all(|v| match v {
        Value::Object(sub) => !sub.is_empty() && check_object(sub, depth + 1),
        Value::Array(items) => !items.is_empty() && items.iter().all(check_matcher),
        _ => false,
    })
}

fn check_matcher(m: &Value) -> bool {
    let Value::Object(o) = m else {
        return !m.is_array();
    };
    if o.len() != 1 {
        return false;
    }
    let Some((op, arg)) = o.iter().next() else {
        return false;
    };
    match op.as_str() {
        "prefix" | "suffix" => {
            arg.is_string() || arg.get("equals-ignore-case").is_some_and(Value::is_string)
        }
        "equals-ignore-case" | "wildcard" => arg.is_string(),
        "exists" => arg.is_boolean(),
        "anything-but" => match arg {
            Value::Array(items) => items.iter().all(|i| i.is_string() || i.is_number()),
            Value::Object(sub) => {
                sub.len() == 1
                    && (sub.get("prefix").is_some_and(Value::is_string)
                        || sub.get("suffix").is_some_and(Value::is_string))
            }
            Value::String(_) | Value::Number(_) => true,
            _ => false,
        },
        "numeric" => numeric_conditions(arg).is_some(),
        _ => false,
    }
}

/// True when `event` matches the (already parsed) pattern.
pub fn matches(pattern: &Value, event: &Value) -> bool {
    match pattern {
        Value::Object(p) => match_object(p, event),
        _ => false,
    }
}

fn match_object(p: &Map<String, Value>, event: &Value) -> bool {
    p.iter().all(|(k, pv)| {
        let ev = event.get(k);
        match pv {
            Value::Object(sub) => ev.is_some_and(|v| v.is_object() && match_object(sub, v)),
            Value::Array(matchers) => matchers.iter().any(|m| match_leaf(m, ev)),
            _ => false,
        }
    })
}

fn match_leaf(m: &Value, ev: Option<&Value>) -> bool {
    if let Some(exists) = m.get("exists").and_then(Value::as_bool) {
        let present = ev.is_some_and(|v| !v.is_object() && !v.is_null());
        return exists == present;
    }
    match ev {
        None => false,
        Some(Value::Array(items)) => items.iter().any(|x| match_value(m, x)),
        Some(v) => match_value(m, v),
    }
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn match_value(m: &Value, v: &Value) -> bool {
    let Value::Object(o) = m else {
        return same(m, v);
    };
    let Some((op, arg)) = o.iter().next() else {
        return false;
    };
    let s = v.as_str();
    match op.as_str() {
        "prefix" => match (arg, s) {
            (Value::String(p), Some(s)) => s.starts_with(p.as_str()),
            (Value::Object(ic), Some(s)) => ic
                .get("equals-ignore-case")
                .and_then(Value::as_str)
                .is_some_and(|p| s.to_lowercase().starts_with(&p.to_lowercase())),
            _ => false,
        },
        "suffix" => match (arg, s) {
            (Value::String(p), Some(s)) => s.ends_with(p.as_str()),
            (Value::Object(ic), Some(s)) => ic
                .get("equals-ignore-case")
                .and_then(Value::as_str)
                .is_some_and(|p| s.to_lowercase().ends_with(&p.to_lowercase())),
            _ => false,
        },
        "equals-ignore-case" => match (arg.as_str(), s) {
            (Some(a), Some(s)) => a.to_lowercase() == s.to_lowercase(),
            _ => false,
        },
        "wildcard" => match (arg.as_str(), s) {
            (Some(a), Some(s)) => wildcard(a, s),
            _ => false,
        },
        "anything-but" => match arg {
            Value::Array(items) => !items.iter().any(|i| same(i, v)),
            Value::Object(sub) => match (sub.get("prefix"), sub.get("suffix"), s) {
                (Some(Value::String(p)), _, Some(s)) => !s.starts_with(p.as_str()),
                (_, Some(Value::String(p)), Some(s)) => !s.ends_with(p.as_str()),
                _ => false,
            },
            other => !same(other, v),
        },
        "numeric" => match (numeric_conditions(arg), v.as_f64()) {
            (Some(conds), Some(x)) => conds.iter().all(|(op, n)| compare(op, x, *n)),
            _ => false,
        },
        _ => false,
    }
}

fn numeric_conditions(arg: &Value) -> Option<Vec<(String, f64)>> {
    let items = arg.as_array()?;
    if items.is_empty() || items.len() % 2 != 0 || items.len() > 4 {
        return None;
    }
    items
        .chunks(2)
        .map(|c| {
            let op = c[0].as_str()?;
            if !matches!(op, "=" | "<" | "<=" | ">" | ">=") {
                return None;
            }
            Some((op.to_string(), c[1].as_f64()?))
        })
        .collect()
}

fn compare(op: &str, x: f64, n: f64) -> bool {
    match op {
        "=" => x == n,
        "<" => x < n,
        "<=" => x <= n,
        ">" => x > n,
        ">=" => x >= n,
        _ => false,
    }
}

/// `*` matches any run of characters (iterative, no backtracking blow-up).
fn wildcard(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
    let (mut star, mut mark) = (None, 0usize);
    while j < t.len() {
        if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some(st) = star {
            i = st + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    while i < p.len() && p[i] == '*' {
        i += 1;
    }
    i == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(pattern: &str, event: Value) -> bool {
        matches(&parse(pattern).expect("valid pattern"), &event)
    }

    #[test]
    fn invalid_patterns_are_rejected_with_awss_message() {
        for p in [
            "",
            "nope",
            "[]",
            r#"{"body": "x"}"#,
            r#"{"body": []}"#,
            r#"{"body": {}}"#,
            r#"{"body": [{"bogus": 1}]}"#,
            r#"{"body": [{"numeric": [">"]}]}"#,
            r#"{"body": [{"prefix": 1}]}"#,
        ] {
            assert_eq!(parse(p), Err(INVALID), "{p}");
        }
    }

    #[test]
    fn literals_nesting_and_arrays() {
        let e = json!({"body": {"kind": "order", "n": 5, "tags": ["a", "b"], "ok": true}});
        assert!(m(r#"{"body": {"kind": ["order"]}}"#, e.clone()));
        assert!(!m(r#"{"body": {"kind": ["refund"]}}"#, e.clone()));
        assert!(m(r#"{"body": {"n": [5.0]}}"#, e.clone()));
        assert!(m(r#"{"body": {"tags": ["b"]}}"#, e.clone()));
        assert!(m(
            r#"{"body": {"ok": [true], "kind": ["x", "order"]}}"#,
            e.clone()
        ));
        assert!(!m(r#"{"body": {"missing": ["x"]}}"#, e.clone()));
        // a plain-text body is a string
        assert!(m(r#"{"body": ["hello"]}"#, json!({"body": "hello"})));
        assert!(!m(
            r#"{"body": {"kind": ["order"]}}"#,
            json!({"body": "kind=order"})
        ));
    }

    #[test]
    fn operators() {
        let e = json!({"body": {"s": "Order-123", "n": 42}, "attributes": {"SenderId": "AIDA"}});
        assert!(m(r#"{"body": {"s": [{"prefix": "Order"}]}}"#, e.clone()));
        assert!(m(
            r#"{"body": {"s": [{"prefix": {"equals-ignore-case": "order"}}]}}"#,
            e.clone()
        ));
        assert!(m(r#"{"body": {"s": [{"suffix": "123"}]}}"#, e.clone()));
        assert!(m(
            r#"{"body": {"s": [{"equals-ignore-case": "ORDER-123"}]}}"#,
            e.clone()
        ));
        assert!(m(
            r#"{"body": {"s": [{"wildcard": "Or*-1*3"}]}}"#,
            e.clone()
        ));
        assert!(!m(r#"{"body": {"s": [{"wildcard": "X*"}]}}"#, e.clone()));
        assert!(m(
            r#"{"body": {"s": [{"anything-but": ["a", "b"]}]}}"#,
            e.clone()
        ));
        assert!(!m(
            r#"{"body": {"s": [{"anything-but": "Order-123"}]}}"#,
            e.clone()
        ));
        assert!(!m(
            r#"{"body": {"s": [{"anything-but": {"prefix": "Ord"}}]}}"#,
            e.clone()
        ));
        assert!(m(
            r#"{"body": {"n": [{"numeric": [">", 40, "<=", 42]}]}}"#,
            e.clone()
        ));
        assert!(!m(
            r#"{"body": {"n": [{"numeric": ["<", 40]}]}}"#,
            e.clone()
        ));
        assert!(m(
            r#"{"body": {"n": [{"exists": true}], "zz": [{"exists": false}]}}"#,
            e.clone()
        ));
        assert!(!m(r#"{"body": {"zz": [{"exists": true}]}}"#, e.clone()));
        assert!(m(r#"{"attributes": {"SenderId": [{"prefix": "AI"}]}}"#, e));
    }
}
