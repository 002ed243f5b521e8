//! The JSONPath subset of `$input.json(..)` / `$input.path(..)`: `$`, `.key`, `['key']`,
//! `["key"]`, `[n]` (negative counts from the end), `.*` and `[*]`. With a wildcard the
//! result is the array of every match; otherwise the one value found, if any.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath: {0}")]
pub struct JsonPathError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(i64),
    All,
}

/// At most this many steps in one path.
const MAX_STEPS: usize = 256;

fn parse(path: &str) -> Result<Vec<Step>, JsonPathError> {
    let err = |m: &str| JsonPathError(format!("{m} in {path:?}"));
    let p = path.trim();
    let mut rest = p
        .strip_prefix('$')
        .ok_or_else(|| err("a path starts with $"))?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if steps.len() >= MAX_STEPS {
            return Err(err("too many steps"));
        }
        if let Some(r) = rest.strip_prefix('.') {
            if r.starts_with('.') {
                return Err(err("recursive descent is not supported"));
            }
            if let Some(r) = r.strip_prefix('*') {
                steps.push(Step::All);
                rest = r;
                continue;
            }
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return Err(err("empty key"));
            }
            steps.push(Step::Key(r[..end].to_string()));
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let r = r.trim_start();
            if let Some(q) = r.chars().next().filter(|c| *c == '\'' || *c == '"') {
                let body = &r[1..];
                let close = body.find(q).ok_or_else(|| err("unterminated key"))?;
                steps.push(Step::Key(body[..close].to_string()));
                let after = body[close + 1..].trim_start();
                rest = after.strip_prefix(']').ok_or_else(|| err("expected ]"))?;
            } else {
                let close = r.find(']').ok_or_else(|| err("expected ]"))?;
                let inner = r[..close].trim();
                if inner == "*" {
                    steps.push(Step::All);
                } else {
                    let n: i64 = inner.parse().map_err(|_| err("bad index"))?;
                    steps.push(Step::Index(n));
                }
                rest = &r[close + 1..];
            }
        } else {
            return Err(err("unexpected character"));
        }
    }
    Ok(steps)
}

/// Selects `path` in `doc`.
pub fn select(doc: &Value, path: &str) -> Result<Option<Value>, JsonPathError> {
    let steps = parse(path)?;
    let wild = steps.contains(&Step::All);
    let mut current: Vec<&Value> = vec![doc];
    for step in &steps {
        let mut next = Vec::new();
        for v in current {
            match (step, v) {
                (Step::Key(k), Value::Object(o)) => next.extend(o.get(k)),
                (Step::Index(i), Value::Array(a)) => {
                    let idx = if *i < 0 { a.len() as i64 + i } else { *i };
                    if idx >= 0 {
                        next.extend(a.get(idx as usize));
                    }
                }
                (Step::All, Value::Array(a)) => next.extend(a.iter()),
                (Step::All, Value::Object(o)) => next.extend(o.values()),
                _ => {}
            }
        }
        current = next;
    }
    Ok(if wild {
        Some(Value::Array(current.into_iter().cloned().collect()))
    } else {
        current.first().map(|v| (*v).clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vtl_jsonpath_subset() {
        let d = json!({"a": {"b": [1, {"c": "x"}, 3]}, "k y": 2, "n": null});
        let s = |p| select(&d, p).unwrap();
        assert_eq!(s("$"), Some(d.clone()));
        assert_eq!(s("$.a.b[0]"), Some(json!(1)));
        assert_eq!(s("$.a.b[1].c"), Some(json!("x")));
        assert_eq!(s("$.a.b[-1]"), Some(json!(3)));
        assert_eq!(s("$['k y']"), Some(json!(2)));
        assert_eq!(s("$[\"a\"]['b'][2]"), Some(json!(3)));
        assert_eq!(s("$.a.b[*]"), Some(json!([1, {"c": "x"}, 3])));
        assert_eq!(s("$.a.b[*].c"), Some(json!(["x"])));
        assert_eq!(s("$.*"), Some(json!([{"b": [1, {"c": "x"}, 3]}, 2, null])));
        assert_eq!(s("$.n"), Some(Value::Null));
        assert_eq!(s("$.missing"), None);
        assert_eq!(s("$.a.b[9]"), None);
        for bad in ["a.b", "$..a", "$.", "$[", "$['a'", "$[x]", "$a"] {
            assert!(select(&d, bad).is_err(), "{bad}");
        }
    }
}
