//! API Gateway's patch operations (`op` replace/add/remove/copy, `path` in JSON-pointer
//! style with `~1` for `/`), applied generically to a document in canonical JSON.
//!
//! Each Update* operation passes the fields it allows and their kinds; the helper checks the
//! path, converts the string `value` to the field's type and edits the document. Paths:
//! `/field` (a scalar), `/map/key` (an entry of a string or boolean map), `/list/item`
//! (an element of a string list: `add` appends it, `remove` drops it).

use super::error::{ApiGwError, Result};
use super::types::PatchOperation;
use serde_json::{Map, Value};

/// The type of a patchable field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Bool,
    Int,
    Float,
    /// A map of strings (`/requestTemplates/application~1json`).
    StrMap,
    /// A map of booleans (`/requestParameters/method.request.querystring.q`).
    BoolMap,
    /// A list of strings (`/binaryMediaTypes/image~1png`).
    List,
}

/// Splits and unescapes a patch path.
pub fn segments(path: &str) -> Vec<String> {
    path.strip_prefix('/')
        .unwrap_or(path)
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

fn invalid_path(op: &PatchOperation, fields: &[(&str, Kind)]) -> ApiGwError {
    let allowed: Vec<String> = fields.iter().map(|(f, _)| format!("/{f}")).collect();
    ApiGwError::bad(format!(
        "Invalid patch path '{}' specified for op '{}'. Must be one of: [{}]",
        op.path,
        op.op,
        allowed.join(", ")
    ))
}

fn convert(kind: Kind, field: &str, value: Option<&str>) -> Result<Value> {
    let Some(v) = value else {
        return Err(ApiGwError::bad(format!(
            "Invalid null value for field {field}"
        )));
    };
    Ok(match kind {
        Kind::Bool | Kind::BoolMap => match v {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => {
                return Err(ApiGwError::bad(format!(
                    "Invalid Boolean value for field {field}: {v}"
                )));
            }
        },
        Kind::Int => v.parse::<i64>().map(Value::from).map_err(|_| {
            ApiGwError::bad(format!("Invalid Integer value for field {field}: {v}"))
        })?,
        Kind::Float => v
            .parse::<f64>()
            .map(Value::from)
            .map_err(|_| ApiGwError::bad(format!("Invalid Double value for field {field}: {v}")))?,
        Kind::Str | Kind::StrMap | Kind::List => Value::String(v.to_string()),
    })
}

/// Applies `ops` in order to the object `doc`. Only the listed fields may be patched.
pub fn apply(doc: &mut Value, ops: &[PatchOperation], fields: &[(&str, Kind)]) -> Result<()> {
    for op in ops {
        apply_one(doc, op, fields)?;
    }
    Ok(())
}

fn object(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        // Just made an object.
        _ => unreachable!("value is an object"),
    }
}

fn apply_one(doc: &mut Value, op: &PatchOperation, fields: &[(&str, Kind)]) -> Result<()> {
    let segs = segments(&op.path);
    let Some((field, kind)) = fields.iter().find(|(f, _)| *f == segs[0]).copied() else {
        return Err(invalid_path(op, fields));
    };
    let root = object(doc);
    match (kind, segs.len()) {
        (Kind::StrMap | Kind::BoolMap, 2) => {
            let map = object(root.entry(field).or_insert(Value::Null));
            match op.op.as_str() {
                "add" | "replace" => {
                    map.insert(segs[1].clone(), convert(kind, field, op.value.as_deref())?);
                }
                "remove" => {
                    map.remove(&segs[1]);
                }
                _ => return Err(unsupported(op)),
            }
        }
        (Kind::List, 1 | 2) => {
            let item = match segs.get(1) {
                Some(s) if !s.is_empty() => s.clone(),
                _ => op.value.clone().ok_or_else(|| invalid_path(op, fields))?,
            };
            let slot = root.entry(field).or_insert(Value::Array(Vec::new()));
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            if let Value::Array(list) = slot {
                match op.op.as_str() {
                    "add" => {
                        if !list.iter().any(|v| v.as_str() == Some(item.as_str())) {
                            list.push(Value::String(item));
                        }
                    }
                    "remove" => list.retain(|v| v.as_str() != Some(item.as_str())),
                    "replace" => {
                        *list = vec![Value::String(op.value.clone().unwrap_or(item))];
                    }
                    _ => return Err(unsupported(op)),
                }
            }
        }
        (Kind::StrMap | Kind::BoolMap | Kind::List, _) if segs.len() == 1 && op.op == "remove" => {
            root.remove(field);
        }
        (Kind::Str | Kind::Bool | Kind::Int | Kind::Float, 1) => match op.op.as_str() {
            "add" | "replace" => {
                root.insert(
                    field.to_string(),
                    convert(kind, field, op.value.as_deref())?,
                );
            }
            "remove" => {
                root.insert(field.to_string(), Value::Null);
            }
            "copy" => {
                let from = op.from.as_deref().map(segments).unwrap_or_default();
                let v = from
                    .first()
                    .and_then(|f| root.get(f.as_str()))
                    .cloned()
                    .ok_or_else(|| invalid_path(op, fields))?;
                root.insert(field.to_string(), v);
            }
            _ => return Err(unsupported(op)),
        },
        _ => return Err(invalid_path(op, fields)),
    }
    Ok(())
}

fn unsupported(op: &PatchOperation) -> ApiGwError {
    ApiGwError::bad(format!(
        "Invalid patch operation specified. Must be 'add'|'remove'|'replace'|'copy': {}",
        op.op
    ))
}

/// Round-trips a typed document through the patch helper.
pub fn patch<T>(doc: &T, ops: &[PatchOperation], fields: &[(&str, Kind)]) -> Result<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let mut v = serde_json::to_value(doc).map_err(|e| ApiGwError::Internal(e.to_string()))?;
    apply(&mut v, ops, fields)?;
    serde_json::from_value(v).map_err(|e| ApiGwError::bad(format!("Invalid patch value: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(op: &str, path: &str, value: Option<&str>) -> PatchOperation {
        PatchOperation {
            op: op.into(),
            path: path.into(),
            value: value.map(str::to_string),
            from: None,
        }
    }

    const FIELDS: &[(&str, Kind)] = &[
        ("name", Kind::Str),
        ("enabled", Kind::Bool),
        ("timeout", Kind::Int),
        ("types", Kind::List),
        ("vars", Kind::StrMap),
        ("params", Kind::BoolMap),
    ];

    #[test]
    fn v1_patch_scalars_maps_lists() {
        let mut d = json!({"name": "a", "types": ["x"]});
        apply(
            &mut d,
            &[
                op("replace", "/name", Some("b")),
                op("replace", "/enabled", Some("true")),
                op("replace", "/timeout", Some("500")),
                op("add", "/types/image~1png", None),
                op("remove", "/types/x", None),
                op("replace", "/vars/k", Some("v")),
                op("add", "/params/method.request.querystring.q", Some("false")),
            ],
            FIELDS,
        )
        .unwrap();
        assert_eq!(
            d,
            json!({"name": "b", "types": ["image/png"], "enabled": true, "timeout": 500,
                   "vars": {"k": "v"}, "params": {"method.request.querystring.q": false}})
        );
        apply(&mut d, &[op("remove", "/vars/k", None)], FIELDS).unwrap();
        assert_eq!(d["vars"], json!({}));
    }

    #[test]
    fn v1_patch_rejects_bad_paths_and_values() {
        let mut d = json!({});
        let e = apply(&mut d, &[op("replace", "/nope", Some("x"))], FIELDS).unwrap_err();
        assert!(
            e.to_string().starts_with("Invalid patch path '/nope'"),
            "{e}"
        );
        let e = apply(&mut d, &[op("replace", "/enabled", Some("yes"))], FIELDS).unwrap_err();
        assert!(matches!(e, ApiGwError::BadRequest(_)));
        let e = apply(&mut d, &[op("move", "/name", Some("x"))], FIELDS).unwrap_err();
        assert!(e.to_string().contains("Invalid patch operation"), "{e}");
    }
}
