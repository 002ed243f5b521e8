//! Properties and methods: `$input`, `$util`, and the Java methods of strings, lists, maps
//! and numbers that templates call. A method that does not exist, or is called with the
//! wrong arguments, gives null (Velocity logs it and goes on).

use super::eval::{Eval, R};
use super::jsonpath;
use super::value::{Value, map_get, map_put};
use base64::Engine as _;
use std::rc::Rc;

/// `$v.name`: a map's entry, else Velocity's bean lookup (`getName()`, then `isName()`).
pub(crate) fn property(ev: &mut Eval<'_>, v: &Value, name: &str) -> R<Value> {
    if let Value::Map(m) = v {
        return Ok(map_get(m, name).unwrap_or_default());
    }
    let mut cap = String::with_capacity(name.len() + 3);
    let mut chars = name.chars();
    if let Some(first) = chars.next() {
        cap.extend(first.to_uppercase());
        cap.push_str(chars.as_str());
    }
    let got = call(ev, v, &format!("get{cap}"), &[])?;
    if !got.is_null() {
        return Ok(got);
    }
    call(ev, v, &format!("is{cap}"), &[])
}

fn arg_str(args: &[Value], i: usize) -> Option<String> {
    args.get(i).filter(|a| !a.is_null()).map(Value::render)
}

fn arg_int(args: &[Value], i: usize) -> Option<i64> {
    match args.get(i) {
        Some(v @ (Value::Int(_) | Value::Float(_))) => v.as_i64(),
        _ => None,
    }
}

pub(crate) fn call(ev: &mut Eval<'_>, v: &Value, name: &str, args: &[Value]) -> R<Value> {
    let out = match v {
        Value::Input => input(ev, name, args),
        Value::Util => util(ev, name, args)?,
        Value::Str(s) => string(ev, s, name, args)?,
        Value::List(_) => list(ev, v, name, args)?,
        Value::Map(_) => map(ev, v, name, args)?,
        Value::Int(_) | Value::Float(_) => number(v, name, args),
        Value::Bool(b) => match name {
            "booleanValue" => Value::Bool(*b),
            _ => common(v, name, args),
        },
        Value::Null => Value::Null,
    };
    Ok(out)
}

/// Methods every object has.
fn common(v: &Value, name: &str, args: &[Value]) -> Value {
    match (name, args) {
        ("toString", []) => Value::str(v.render()),
        ("equals", [o]) => Value::Bool(v.loose_eq(o) && same_kind(v, o)),
        _ => Value::Null,
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn input(ev: &mut Eval<'_>, name: &str, args: &[Value]) -> Value {
    match (name, args) {
        ("getBody", []) | ("body", []) => Value::str(String::from_utf8_lossy(ev.ctx.body)),
        ("json", [p]) => {
            let path = p.render();
            match ev.body_json() {
                Some(doc) => match jsonpath::select(&doc, &path) {
                    Ok(Some(found)) => Value::str(found.to_string()),
                    _ => Value::Null,
                },
                None if path.trim() == "$" => Value::str(String::from_utf8_lossy(ev.ctx.body)),
                None => Value::Null,
            }
        }
        ("path", [p]) => {
            let path = p.render();
            match ev.body_json() {
                Some(doc) => match jsonpath::select(&doc, &path) {
                    Ok(Some(found)) => Value::from_json(&found, 64),
                    _ => Value::Null,
                },
                None if path.trim() == "$" => Value::str(String::from_utf8_lossy(ev.ctx.body)),
                None => Value::Null,
            }
        }
        ("params", []) => {
            let p = ev.ctx.params;
            let section = |m: &std::collections::BTreeMap<String, String>| {
                Value::map(
                    m.iter()
                        .map(|(k, v)| (k.clone(), Value::str(v.as_str())))
                        .collect(),
                )
            };
            Value::map(vec![
                ("path".into(), section(&p.path)),
                ("querystring".into(), section(&p.querystring)),
                ("header".into(), section(&p.header)),
            ])
        }
        ("params", [n]) => {
            let n = n.render();
            let p = ev.ctx.params;
            p.path
                .get(&n)
                .or_else(|| p.querystring.get(&n))
                .or_else(|| p.header.get(&n))
                .or_else(|| {
                    p.header
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(&n))
                        .map(|(_, v)| v)
                })
                .map(|v| Value::str(v.as_str()))
                .unwrap_or_default()
        }
        _ => Value::Null,
    }
}

fn util(ev: &mut Eval<'_>, name: &str, args: &[Value]) -> R<Value> {
    let Some(s) = arg_str(args, 0).filter(|_| args.len() == 1) else {
        return Ok(Value::Null);
    };
    ev.step(s.len() as u64 / 64)?;
    Ok(match name {
        "escapeJavaScript" => Value::str(escape_javascript(&s)),
        "parseJson" => serde_json::from_str::<serde_json::Value>(&s)
            .map(|j| Value::from_json(&j, 64))
            .unwrap_or_default(),
        "urlEncode" => Value::str(url_encode(&s)),
        "urlDecode" => url_decode(&s).map(Value::str).unwrap_or_default(),
        "base64Encode" => Value::str(base64::engine::general_purpose::STANDARD.encode(s)),
        "base64Decode" => base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map(|b| Value::str(String::from_utf8_lossy(&b)))
            .unwrap_or_default(),
        _ => Value::Null,
    })
}

/// Java's `StringEscapeUtils.escapeJavaScript` (commons-lang 2), as `$util.escapeJavaScript`.
pub(crate) fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\u{8}' => out.push_str("\\b"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04X}", unit));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `application/x-www-form-urlencoded` as Java's `URLEncoder.encode(s, "UTF-8")`.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Java's `URLDecoder.decode(s, "UTF-8")`; `None` for a malformed escape.
pub(crate) fn url_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn regex(ev: &mut Eval<'_>, pattern: &str) -> R<Option<regex_lite::Regex>> {
    ev.step(pattern.len() as u64)?;
    Ok(regex_lite::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .ok())
}

fn string(ev: &mut Eval<'_>, s: &Rc<str>, name: &str, args: &[Value]) -> R<Value> {
    ev.step(1 + s.len() as u64 / 256)?;
    let chars = || s.chars();
    let a0 = arg_str(args, 0);
    let out = match (name, args.len()) {
        ("length", 0) => Value::Int(s.encode_utf16().count() as i64),
        ("isEmpty", 0) => Value::Bool(s.is_empty()),
        ("trim", 0) => Value::str(s.trim()),
        ("toLowerCase", 0) => Value::str(s.to_lowercase()),
        ("toUpperCase", 0) => Value::str(s.to_uppercase()),
        ("contains", 1) => a0.map_or(Value::Null, |a| Value::Bool(s.contains(a.as_str()))),
        ("startsWith", 1) => a0.map_or(Value::Null, |a| Value::Bool(s.starts_with(a.as_str()))),
        ("endsWith", 1) => a0.map_or(Value::Null, |a| Value::Bool(s.ends_with(a.as_str()))),
        ("equalsIgnoreCase", 1) => {
            Value::Bool(matches!(&args[0], Value::Str(o) if o.to_lowercase() == s.to_lowercase()))
        }
        ("equals", 1) => Value::Bool(matches!(&args[0], Value::Str(o) if o == s)),
        ("concat", 1) => {
            let a = a0.unwrap_or_default();
            ev.check_len(s.len() + a.len())?;
            Value::str(format!("{s}{a}"))
        }
        ("indexOf" | "lastIndexOf", 1 | 2) => {
            let Some(needle) = a0 else {
                return Ok(Value::Null);
            };
            let from = arg_int(args, 1).unwrap_or(0).max(0) as usize;
            let hay: Vec<char> = chars().collect();
            let n: Vec<char> = needle.chars().collect();
            let found = if name == "indexOf" {
                (from..=hay.len().saturating_sub(n.len()))
                    .find(|i| hay.get(*i..*i + n.len()) == Some(&n[..]))
            } else {
                (0..=hay.len().saturating_sub(n.len()))
                    .rev()
                    .find(|i| hay.get(*i..*i + n.len()) == Some(&n[..]))
            };
            Value::Int(found.map_or(-1, |i| i as i64))
        }
        ("charAt", 1) => arg_int(args, 0)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| chars().nth(i))
            .map(|c| Value::str(c.to_string()))
            .unwrap_or_default(),
        ("substring", 1 | 2) => {
            let len = chars().count();
            let b = arg_int(args, 0).and_then(|i| usize::try_from(i).ok());
            let e = if args.len() == 2 {
                arg_int(args, 1).and_then(|i| usize::try_from(i).ok())
            } else {
                Some(len)
            };
            match (b, e) {
                (Some(b), Some(e)) if b <= e && e <= len => {
                    Value::str(chars().skip(b).take(e - b).collect::<String>())
                }
                _ => Value::Null,
            }
        }
        ("replace", 2) => {
            let (Some(from), Some(to)) = (a0, arg_str(args, 1)) else {
                return Ok(Value::Null);
            };
            let grown = if from.is_empty() {
                s.len() + 1
            } else {
                s.matches(from.as_str()).count()
            };
            ev.check_len(s.len() + grown.saturating_mul(to.len()))?;
            if from.is_empty() {
                // Java inserts the replacement between every character
                let mut out = to.clone();
                for c in chars() {
                    out.push(c);
                    out.push_str(&to);
                }
                Value::str(out)
            } else {
                Value::str(s.replace(from.as_str(), &to))
            }
        }
        ("replaceAll" | "replaceFirst", 2) => {
            let (Some(p), Some(to)) = (a0, arg_str(args, 1)) else {
                return Ok(Value::Null);
            };
            let Some(re) = regex(ev, &p)? else {
                return Ok(Value::Null);
            };
            let count = if name == "replaceAll" {
                re.find_iter(s).count()
            } else {
                1
            };
            ev.check_len(s.len() + count.saturating_mul(to.len() + 16))?;
            let replaced = if name == "replaceAll" {
                re.replace_all(s, to.as_str())
            } else {
                re.replace(s, to.as_str())
            };
            Value::str(replaced.into_owned())
        }
        ("matches", 1) => {
            let Some(p) = a0 else { return Ok(Value::Null) };
            match regex(ev, &format!("^(?:{p})$"))? {
                Some(re) => Value::Bool(re.is_match(s)),
                None => Value::Null,
            }
        }
        ("split", 1) => {
            let Some(p) = a0 else { return Ok(Value::Null) };
            let Some(re) = regex(ev, &p)? else {
                return Ok(Value::Null);
            };
            let mut parts: Vec<&str> = re.split(s).collect();
            // Java drops trailing empty strings
            while parts.len() > 1 && parts.last() == Some(&"") {
                parts.pop();
            }
            if s.is_empty() {
                parts = vec![""];
            }
            ev.step(parts.len() as u64)?;
            Value::list(parts.into_iter().map(Value::str).collect())
        }
        _ => common(&Value::Str(s.clone()), name, args),
    };
    Ok(out)
}

fn list(ev: &mut Eval<'_>, v: &Value, name: &str, args: &[Value]) -> R<Value> {
    let Value::List(l) = v else {
        return Ok(Value::Null);
    };
    let len = l.borrow().len();
    let index = |i: usize| arg_int(args, i).and_then(|i| usize::try_from(i).ok());
    Ok(match (name, args) {
        ("size", []) => Value::Int(len as i64),
        ("isEmpty", []) => Value::Bool(len == 0),
        ("get", [_]) => index(0)
            .and_then(|i| l.borrow().get(i).cloned())
            .unwrap_or_default(),
        ("contains", [x]) => Value::Bool(l.borrow().iter().any(|e| e.loose_eq(x))),
        ("indexOf", [x]) => Value::Int(
            l.borrow()
                .iter()
                .position(|e| e.loose_eq(x))
                .map_or(-1, |i| i as i64),
        ),
        ("add", [x]) => {
            ev.step(1)?;
            l.borrow_mut().push(x.clone());
            Value::Bool(true)
        }
        ("add", [_, x]) => match index(0).filter(|i| *i <= len) {
            Some(i) => {
                ev.step(1)?;
                l.borrow_mut().insert(i, x.clone());
                Value::Null
            }
            None => Value::Null,
        },
        ("addAll", [Value::List(other)]) => {
            let items: Vec<Value> = other.borrow().clone();
            ev.step(items.len() as u64 + 1)?;
            l.borrow_mut().extend(items);
            Value::Bool(true)
        }
        ("set", [_, x]) => match index(0).filter(|i| *i < len) {
            Some(i) => std::mem::replace(&mut l.borrow_mut()[i], x.clone()),
            None => Value::Null,
        },
        ("remove", [Value::Int(_)]) => match index(0).filter(|i| *i < len) {
            Some(i) => l.borrow_mut().remove(i),
            None => Value::Null,
        },
        ("clear", []) => {
            let old = std::mem::take(&mut *l.borrow_mut());
            drop(old);
            Value::Null
        }
        ("subList", [_, _]) => match (index(0), index(1)) {
            (Some(a), Some(b)) if a <= b && b <= len => {
                ev.step((b - a) as u64)?;
                Value::list(l.borrow()[a..b].to_vec())
            }
            _ => Value::Null,
        },
        _ => common(v, name, args),
    })
}

fn map(ev: &mut Eval<'_>, v: &Value, name: &str, args: &[Value]) -> R<Value> {
    let Value::Map(m) = v else {
        return Ok(Value::Null);
    };
    let key = || arg_str(args, 0).unwrap_or_default();
    Ok(match (name, args) {
        ("get", [_]) => map_get(m, &key()).unwrap_or_default(),
        ("containsKey", [_]) => Value::Bool(map_get(m, &key()).is_some()),
        ("containsValue", [x]) => Value::Bool(m.borrow().iter().any(|(_, e)| e.loose_eq(x))),
        ("put", [_, x]) => {
            ev.step(1)?;
            map_put(m, &key(), x.clone())
        }
        ("putAll", [Value::Map(other)]) => {
            let entries: Vec<(String, Value)> = other.borrow().clone();
            ev.step(entries.len() as u64 + 1)?;
            for (k, x) in entries {
                map_put(m, &k, x);
            }
            Value::Null
        }
        ("remove", [_]) => {
            let k = key();
            let mut entries = m.borrow_mut();
            match entries.iter().position(|(e, _)| *e == k) {
                Some(i) => entries.remove(i).1,
                None => Value::Null,
            }
        }
        ("size", []) => Value::Int(m.borrow().len() as i64),
        ("isEmpty", []) => Value::Bool(m.borrow().is_empty()),
        ("keySet", []) => {
            ev.step(m.borrow().len() as u64)?;
            Value::list(
                m.borrow()
                    .iter()
                    .map(|(k, _)| Value::str(k.as_str()))
                    .collect(),
            )
        }
        ("values", []) => {
            ev.step(m.borrow().len() as u64)?;
            Value::list(m.borrow().iter().map(|(_, v)| v.clone()).collect())
        }
        ("entrySet", []) => {
            ev.step(m.borrow().len() as u64)?;
            Value::list(
                m.borrow()
                    .iter()
                    .map(|(k, v)| {
                        Value::map(vec![
                            ("key".into(), Value::str(k.as_str())),
                            ("value".into(), v.clone()),
                        ])
                    })
                    .collect(),
            )
        }
        _ => common(v, name, args),
    })
}

fn number(v: &Value, name: &str, args: &[Value]) -> Value {
    match (name, args) {
        ("intValue" | "longValue", []) => v.as_i64().map(Value::Int).unwrap_or_default(),
        ("doubleValue" | "floatValue", []) => v.as_f64().map(Value::Float).unwrap_or_default(),
        _ => common(v, name, args),
    }
}
