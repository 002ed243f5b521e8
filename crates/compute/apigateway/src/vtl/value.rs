//! The values templates compute with: Java-like scalars, shared mutable lists and ordered
//! maps (Velocity's `[..]` and `{..}` are `ArrayList` and `LinkedHashMap`), and the built-in
//! `$input` and `$util` objects.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

/// The longest `toString()` taken for comparisons and string arguments.
pub(crate) const RENDER_MAX: usize = 1 << 20;

pub(crate) type List = Rc<RefCell<Vec<Value>>>;
pub(crate) type Map = Rc<RefCell<Vec<(String, Value)>>>;

#[derive(Debug, Clone, Default)]
pub(crate) enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    List(List),
    Map(Map),
    /// `$input`.
    Input,
    /// `$util`.
    Util,
}

impl Value {
    pub(crate) fn str(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into())
    }

    pub(crate) fn list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(items)))
    }

    pub(crate) fn map(entries: Vec<(String, Value)>) -> Value {
        Value::Map(Rc::new(RefCell::new(entries)))
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Velocity 1.7 truth: null and `false` are false, everything else is true.
    pub(crate) fn truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }

    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            // saturating, truncating like Java's (int) cast of a double
            Value::Float(f) if f.is_finite() => Some(*f as i64),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// From a JSON value (objects keep their order).
    pub(crate) fn from_json(v: &serde_json::Value, depth: usize) -> Value {
        if depth == 0 {
            return Value::Null;
        }
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::str(s.as_str()),
            serde_json::Value::Array(a) => {
                Value::list(a.iter().map(|x| Value::from_json(x, depth - 1)).collect())
            }
            serde_json::Value::Object(o) => Value::map(
                o.iter()
                    .map(|(k, x)| (k.clone(), Value::from_json(x, depth - 1)))
                    .collect(),
            ),
        }
    }

    /// Java's `toString()` of the value, appended to `out` (depth-bounded: a list that holds
    /// itself prints `...` where it recurs too deep).
    /// Rendering stops once `out` is longer than `max_len`.
    pub(crate) fn render_into(&self, out: &mut String, depth: usize, max_len: usize) {
        if out.len() > max_len {
            return;
        }
        if depth == 0 {
            out.push_str("...");
            return;
        }
        match self {
            Value::Null => {}
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&java_double(*f)),
            Value::Str(s) => out.push_str(s),
            Value::List(l) => {
                out.push('[');
                for (i, v) in l.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.render_into(out, depth - 1, max_len);
                }
                out.push(']');
            }
            Value::Map(m) => {
                out.push('{');
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push('=');
                    v.render_into(out, depth - 1, max_len);
                }
                out.push('}');
            }
            Value::Input => out.push_str("$input"),
            Value::Util => out.push_str("$util"),
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut s = String::new();
        self.render_into(&mut s, 32, RENDER_MAX);
        s
    }

    /// Velocity's `==`: numbers by value, same kinds by value, otherwise by `toString()`.
    pub(crate) fn loose_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Null, _) | (_, Value::Null) => false,
            (a, b) if a.as_f64().is_some() && b.as_f64().is_some() => match (a, b) {
                (Value::Int(x), Value::Int(y)) => x == y,
                _ => a.as_f64() == b.as_f64(),
            },
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) if Rc::ptr_eq(a, b) => true,
            (Value::Map(a), Value::Map(b)) if Rc::ptr_eq(a, b) => true,
            (a, b) => a.render() == b.render(),
        }
    }
}

/// Dropping a deeply nested list or map must not recurse once per level: children of a
/// value being dropped are moved to a local stack first.
impl Drop for Value {
    fn drop(&mut self) {
        let mut stack: Vec<Value> = Vec::new();
        take_children(self, &mut stack);
        while let Some(mut v) = stack.pop() {
            take_children(&mut v, &mut stack);
        }
    }
}

fn take_children(v: &mut Value, stack: &mut Vec<Value>) {
    match v {
        Value::List(l) if Rc::strong_count(l) == 1 => {
            if let Ok(mut items) = l.try_borrow_mut() {
                stack.append(&mut items);
            }
        }
        Value::Map(m) if Rc::strong_count(m) == 1 => {
            if let Ok(mut entries) = m.try_borrow_mut() {
                stack.extend(entries.drain(..).map(|(_, v)| v));
            }
        }
        _ => {}
    }
}

/// Looks a key up in a map.
pub(crate) fn map_get(m: &Map, key: &str) -> Option<Value> {
    m.borrow()
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// Puts a key into a map (replacing in place, keeping order); returns the previous value.
pub(crate) fn map_put(m: &Map, key: &str, value: Value) -> Value {
    let mut entries = m.borrow_mut();
    if let Some(slot) = entries.iter_mut().find(|(k, _)| k == key) {
        return std::mem::replace(&mut slot.1, value);
    }
    entries.push((key.to_string(), value));
    Value::Null
}

/// Java's `Double.toString`: `1.0`, `0.5`, `1.0E10`, `1.0E-5`, `NaN`, `Infinity`.
pub(crate) fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = f.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{f}");
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{f:e}"); // e.g. 1.5e10, 1e-5
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') {
            m.to_string()
        } else {
            format!("{m}.0")
        };
        format!("{m}E{e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vtl_java_double_format() {
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.5), "0.5");
        assert_eq!(java_double(-2.25), "-2.25");
        assert_eq!(java_double(1e10), "1.0E10");
        assert_eq!(java_double(1.5e-5), "1.5E-5");
        assert_eq!(java_double(f64::NAN), "NaN");
    }

    #[test]
    fn vtl_render_collections_like_java() {
        let v = Value::map(vec![
            ("a".into(), Value::Int(1)),
            (
                "b".into(),
                Value::list(vec![Value::str("x"), Value::Bool(true)]),
            ),
        ]);
        assert_eq!(v.render(), "{a=1, b=[x, true]}");
        // a list that contains itself renders bounded
        let l = Value::list(vec![]);
        if let Value::List(inner) = &l {
            inner.borrow_mut().push(l.clone());
        }
        assert!(l.render().contains("..."));
        if let Value::List(inner) = &l {
            inner.borrow_mut().clear(); // break the cycle so the test does not leak
        }
    }
}
