//! EventBridge event patterns: validation (PutRule) and matching (PutEvents). Pure.
//!
//! A pattern is a JSON object whose leaves are arrays of matchers: literal strings, numbers,
//! `true`/`false`/`null`, or one-key objects — `prefix`, `suffix` (both also with
//! `{"equals-ignore-case": ...}`), `equals-ignore-case`, `wildcard`, `anything-but` (a value,
//! a list, or a `prefix`/`suffix`/`equals-ignore-case`/`wildcard` matcher), `numeric`
//! (`[op, n]` or `[op, n, op, n]`), `exists`. Objects nest; `$or` takes a list of patterns.
//! A leaf matches when any matcher matches the event's value (or any element of it, when
//! the event holds an array); a missing field matches only `{"exists": false}`.

use serde_json::{Map, Value};

const MAX_DEPTH: usize = 64;

/// Parses and checks a pattern; the error is the reason AWS would give.
pub fn parse(text: &str) -> Result<Value, String> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| format!("Filter is not valid JSON: {e}"))?;
    let Value::Object(o) = &v else {
        return Err("Filter is not an object".into());
    };
    check_object(o, 0)?;
    Ok(v)
}

fn check_object(o: &Map<String, Value>, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("Filter is nested too deeply".into());
    }
    for (k, v) in o {
        if k == "$or" {
            let Value::Array(alts) = v else {
                return Err("Value of $or must be an array of objects".into());
            };
            if alts.len() < 2 {
                return Err("Value of $or must be an array of at least two objects".into());
            }
            for a in alts {
                let Value::Object(a) = a else {
                    return Err("Value of $or must be an array of objects".into());
                };
                check_object(a, depth + 1)?;
            }
            continue;
        }
        match v {
            Value::Object(inner) => check_object(inner, depth + 1)?,
            Value::Array(ms) => {
                if ms.is_empty() {
                    return Err(format!("Empty arrays are not allowed at {k}"));
                }
                for m in ms {
                    check_matcher(k, m)?;
                }
            }
            _ => {
                return Err(format!(
                    "Match value must be String, number, true, false, or null at {k}"
                ));
            }
        }
    }
    Ok(())
}

fn string_arg<'a>(k: &str, op: &str, v: &'a Value) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("{op} match pattern must be a string at {k}"))
}

/// `prefix`/`suffix` take a string or `{"equals-ignore-case": string}`.
fn check_affix(k: &str, op: &str, v: &Value) -> Result<(), String> {
    match v {
        Value::String(_) => Ok(()),
        Value::Object(o)
            if o.len() == 1 && o.get("equals-ignore-case").is_some_and(Value::is_string) =>
        {
            Ok(())
        }
        _ => Err(format!("{op} match pattern must be a string at {k}")),
    }
}

fn check_matcher(k: &str, m: &Value) -> Result<(), String> {
    let Value::Object(o) = m else {
        return match m {
            Value::Array(_) => Err(format!(
                "Match value must be String, number, true, false, or null at {k}"
            )),
            _ => Ok(()),
        };
    };
    if o.len() != 1 {
        return Err(format!("Only one key allowed in match expression at {k}"));
    }
    let (op, arg) = o.iter().next().ok_or_else(|| "empty matcher".to_string())?;
    match op.as_str() {
        "prefix" | "suffix" => check_affix(k, op, arg),
        "equals-ignore-case" | "wildcard" => string_arg(k, op, arg).map(|_| ()),
        "exists" => match arg {
            Value::Bool(_) => Ok(()),
            _ => Err(format!(
                "exists match pattern must be either true or false at {k}"
            )),
        },
        "numeric" => numeric_ops(arg)
            .map(|_| ())
            .map_err(|e| format!("{e} at {k}")),
        "anything-but" => match arg {
            Value::Array(vs)
                if !vs.is_empty() && vs.iter().all(|x| !x.is_object() && !x.is_array()) =>
            {
                Ok(())
            }
            Value::Object(inner) if inner.len() == 1 => {
                let (iop, iarg) = inner.iter().next().ok_or_else(|| "empty".to_string())?;
                match iop.as_str() {
                    "prefix" | "suffix" | "wildcard" => string_arg(k, iop, iarg).map(|_| ()),
                    "equals-ignore-case" => match iarg {
                        Value::String(_) => Ok(()),
                        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_string) => {
                            Ok(())
                        }
                        _ => Err(format!(
                            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported at {k}"
                        )),
                    },
                    _ => Err(format!("Unsupported anything-but pattern: {iop} at {k}")),
                }
            }
            Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null => Ok(()),
            _ => Err(format!(
                "Value of anything-but must be an array or single string/number value at {k}"
            )),
        },
        other => Err(format!("Unrecognized match type {other} at {k}")),
    }
}

#[derive(Debug, Clone, Copy)]
enum Cmp {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

fn numeric_ops(arg: &Value) -> Result<Vec<(Cmp, f64)>, String> {
    let Value::Array(a) = arg else {
        return Err("Value of numeric must be an array".into());
    };
    if a.is_empty() || a.len() % 2 != 0 || a.len() > 4 {
        return Err("Value of numeric must be an array of one or two operator/number pairs".into());
    }
    let mut out = Vec::new();
    for pair in a.chunks(2) {
        let op = match pair[0].as_str() {
            Some("<") => Cmp::Lt,
            Some("<=") => Cmp::Le,
            Some("=") => Cmp::Eq,
            Some(">=") => Cmp::Ge,
            Some(">") => Cmp::Gt,
            _ => return Err("Unrecognized numeric range operator".into()),
        };
        let n = pair[1]
            .as_f64()
            .ok_or_else(|| "Value of numeric operator must be a number".to_string())?;
        out.push((op, n));
    }
    Ok(out)
}

/// Whether `event` matches `pattern` (a pattern that passed [`parse`]).
pub fn matches(pattern: &Value, event: &Value) -> bool {
    match pattern {
        Value::Object(p) => match_object(p, Some(event)),
        _ => false,
    }
}

fn match_object(p: &Map<String, Value>, ev: Option<&Value>) -> bool {
    let obj = ev.and_then(Value::as_object);
    p.iter().all(|(k, pv)| {
        if k == "$or" {
            return pv.as_array().is_some_and(|alts| {
                alts.iter()
                    .any(|a| a.as_object().is_some_and(|a| match_object(a, ev)))
            });
        }
        let field = obj.and_then(|o| o.get(k));
        match pv {
            Value::Object(inner) => match_object(inner, field),
            Value::Array(ms) => match_leaf(ms, field),
            _ => false,
        }
    })
}

fn match_leaf(ms: &[Value], field: Option<&Value>) -> bool {
    let Some(v) = field else {
        return ms
            .iter()
            .any(|m| m.get("exists").and_then(Value::as_bool) == Some(false));
    };
    let values: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    ms.iter()
        .any(|m| match m.get("exists").and_then(Value::as_bool) {
            Some(e) => e,
            None => values.iter().any(|v| match_one(m, v)),
        })
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn affix(arg: &Value, v: &str, suffix: bool) -> bool {
    let (needle, ci) = match arg {
        Value::String(s) => (s.as_str(), false),
        Value::Object(o) => match o.get("equals-ignore-case").and_then(Value::as_str) {
            Some(s) => (s, true),
            None => return false,
        },
        _ => return false,
    };
    if ci {
        let (v, n) = (v.to_lowercase(), needle.to_lowercase());
        if suffix {
            v.ends_with(&n)
        } else {
            v.starts_with(&n)
        }
    } else if suffix {
        v.ends_with(needle)
    } else {
        v.starts_with(needle)
    }
}

/// `*` matches any run of characters (including none).
fn wildcard(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !s.starts_with(first) || s.len() < first.len() + last.len() || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

fn match_one(m: &Value, v: &Value) -> bool {
    let Value::Object(o) = m else {
        return equal(m, v);
    };
    let Some((op, arg)) = o.iter().next() else {
        return false;
    };
    let s = v.as_str();
    match op.as_str() {
        "prefix" => s.is_some_and(|s| affix(arg, s, false)),
        "suffix" => s.is_some_and(|s| affix(arg, s, true)),
        "equals-ignore-case" => s
            .zip(arg.as_str())
            .is_some_and(|(s, a)| s.to_lowercase() == a.to_lowercase()),
        "wildcard" => s.zip(arg.as_str()).is_some_and(|(s, a)| wildcard(a, s)),
        "numeric" => {
            let (Some(x), Ok(ops)) = (v.as_f64(), numeric_ops(arg)) else {
                return false;
            };
            ops.iter().all(|(op, n)| match op {
                Cmp::Lt => x < *n,
                Cmp::Le => x <= *n,
                Cmp::Eq => x == *n,
                Cmp::Ge => x >= *n,
                Cmp::Gt => x > *n,
            })
        }
        "anything-but" => match arg {
            Value::Array(vs) => !vs.iter().any(|x| equal(x, v)),
            Value::Object(inner) => {
                let Some((iop, iarg)) = inner.iter().next() else {
                    return false;
                };
                let Some(s) = s else { return true };
                match iop.as_str() {
                    "prefix" => !affix(iarg, s, false),
                    "suffix" => !affix(iarg, s, true),
                    "wildcard" => !iarg.as_str().is_some_and(|a| wildcard(a, s)),
                    "equals-ignore-case" => {
                        let l = s.to_lowercase();
                        match iarg {
                            Value::String(a) => a.to_lowercase() != l,
                            Value::Array(a) => !a
                                .iter()
                                .filter_map(Value::as_str)
                                .any(|a| a.to_lowercase() == l),
                            _ => false,
                        }
                    }
                    _ => false,
                }
            }
            scalar => !equal(scalar, v),
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({
            "version": "0", "id": "1", "detail-type": "Order Placed", "source": "com.shop",
            "account": "000000000000", "time": "2026-03-01T00:00:00Z", "region": "us-east-1",
            "resources": ["arn:aws:s3:::a", "arn:aws:s3:::b"],
            "detail": {"state": "paid", "amount": 150, "items": ["x", "y"],
                       "customer": {"tier": "Gold", "email": "a@example.com"}, "note": null}
        })
    }

    fn m(p: Value) -> bool {
        let text = p.to_string();
        let p = parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        matches(&p, &event())
    }

    #[test]
    fn exact_values_and_nesting() {
        assert!(m(json!({"source": ["com.shop"]})));
        assert!(m(
            json!({"source": ["other", "com.shop"], "detail-type": ["Order Placed"]})
        ));
        assert!(!m(
            json!({"source": ["com.shop"], "detail-type": ["Order Shipped"]})
        ));
        assert!(m(
            json!({"detail": {"state": ["paid"], "customer": {"tier": ["Gold"]}}})
        ));
        assert!(!m(json!({"detail": {"customer": {"tier": ["gold"]}}})));
        assert!(m(json!({"detail": {"amount": [150.0]}})));
        assert!(m(json!({"detail": {"note": [null]}})));
        // Arrays in the event: any element.
        assert!(m(json!({"resources": ["arn:aws:s3:::b"]})));
        assert!(m(json!({"detail": {"items": ["y"]}})));
        // A missing field does not match a value.
        assert!(!m(json!({"detail": {"missing": ["x"]}})));
    }

    #[test]
    fn content_filters() {
        assert!(m(json!({"source": [{"prefix": "com."}]})));
        assert!(!m(json!({"source": [{"prefix": "org."}]})));
        assert!(m(
            json!({"detail": {"customer": {"email": [{"suffix": "@example.com"}]}}})
        ));
        assert!(m(
            json!({"detail": {"customer": {"tier": [{"equals-ignore-case": "GOLD"}]}}})
        ));
        assert!(m(
            json!({"source": [{"prefix": {"equals-ignore-case": "COM."}}]})
        ));
        assert!(m(json!({"detail-type": [{"wildcard": "Order*"}]})));
        assert!(!m(json!({"detail-type": [{"wildcard": "*Shipped"}]})));
        assert!(m(
            json!({"detail": {"state": [{"anything-but": "cancelled"}]}})
        ));
        assert!(!m(
            json!({"detail": {"state": [{"anything-but": ["paid", "cancelled"]}]}})
        ));
        assert!(!m(
            json!({"source": [{"anything-but": {"prefix": "com."}}]})
        ));
        assert!(m(
            json!({"detail": {"amount": [{"numeric": [">", 100, "<=", 150]}]}})
        ));
        assert!(!m(json!({"detail": {"amount": [{"numeric": ["<", 100]}]}})));
        assert!(m(json!({"detail": {"amount": [{"numeric": ["=", 150]}]}})));
        // numeric never matches a string.
        assert!(!m(json!({"detail": {"state": [{"numeric": [">", 0]}]}})));
        assert!(m(json!({"detail": {"state": [{"exists": true}]}})));
        assert!(!m(json!({"detail": {"state": [{"exists": false}]}})));
        assert!(m(json!({"detail": {"gone": [{"exists": false}]}})));
        assert!(!m(json!({"detail": {"gone": [{"exists": true}]}})));
        // anything-but does not match a missing field.
        assert!(!m(json!({"detail": {"gone": [{"anything-but": "x"}]}})));
    }

    #[test]
    fn or() {
        assert!(m(
            json!({"$or": [{"source": ["nope"]}, {"detail": {"amount": [{"numeric": [">", 1]}]}}]})
        ));
        assert!(!m(
            json!({"$or": [{"source": ["nope"]}, {"detail-type": ["nope"]}]})
        ));
    }

    #[test]
    fn refusals() {
        for bad in [
            "not json",
            "[]",
            r#"{"source": "com.shop"}"#,
            r#"{"source": []}"#,
            r#"{"source": [{"prefix": 1}]}"#,
            r#"{"source": [{"nope": "x"}]}"#,
            r#"{"source": [{"prefix": "a", "suffix": "b"}]}"#,
            r#"{"n": [{"numeric": [">"]}]}"#,
            r#"{"n": [{"numeric": ["~", 1]}]}"#,
            r#"{"n": [{"numeric": [">", "1"]}]}"#,
            r#"{"n": [{"exists": "yes"}]}"#,
            r#"{"n": [{"anything-but": {"numeric": [">", 1]}}]}"#,
            r#"{"n": [["nested"]]}"#,
            r#"{"$or": [{"a": ["b"]}]}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("a*c", "abc"));
        assert!(wildcard("a*c", "ac"));
        assert!(!wildcard("a*c", "ab"));
        assert!(wildcard("*", ""));
        assert!(wildcard("a*b*c", "axxbyyc"));
        assert!(!wildcard("a*b*c", "axxc"));
        assert!(!wildcard("ab*ba", "aba"));
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use proptest::prelude::*;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| serde_json::json!(n)),
            "[a-c*]{0,4}".prop_map(Value::String),
            Just(serde_json::json!("prefix")),
            Just(serde_json::json!("anything-but")),
            Just(serde_json::json!("numeric")),
            Just(serde_json::json!(">")),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        "[a-c]{1,2}".prop_map(|s| s),
                        Just("prefix".to_string()),
                        Just("suffix".to_string()),
                        Just("anything-but".to_string()),
                        Just("numeric".to_string()),
                        Just("exists".to_string()),
                        Just("wildcard".to_string()),
                        Just("equals-ignore-case".to_string()),
                        Just("$or".to_string()),
                    ],
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any JSON a client sends as a pattern or an event is refused or evaluated, never a panic.
        #[test]
        fn never_panics(p in json(), e in json()) {
            if let Ok(p) = parse(&p.to_string()) {
                let _ = matches(&p, &e);
            }
        }
    }
}
