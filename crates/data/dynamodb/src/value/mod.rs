//! DynamoDB attribute values: the typed form of `{"S": "x"}`, `{"N": "1"}`, ... and the rules
//! DynamoDB applies to them.
//!
//! Sub-modules: `number` (38-digit decimal), `key` (order-preserving key encoding), `size`
//! (item size the AWS way), `codec` (compact binary item encoding for the store), `rules`
//! (validation of values, items and keys with AWS's messages).

pub mod codec;
pub mod key;
pub mod number;
pub mod rules;
pub mod size;

pub use codec::{decode_item, encode_item};
pub use key::{ScalarType, decode_key, encode_key};
pub use number::Number;
pub use rules::{KeySchema, validate_item, validate_item_key, validate_key, validate_value};
pub use size::{MAX_ITEM_SIZE, attr_size, item_size, read_units, write_units};

use base64::Engine;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(BTreeMap<String, AttrValue>),
    L(Vec<AttrValue>),
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
}

/// An item: attribute name → value.
pub type Item = BTreeMap<String, AttrValue>;

/// Why a JSON value is not a valid attribute value. The message is AWS's, ready for a
/// `ValidationException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

/// Nesting limit of maps and lists (DynamoDB allows 32 levels).
pub const MAX_NESTING: usize = 32;

impl AttrValue {
    /// The type descriptor: `S`, `N`, `B`, `BOOL`, `NULL`, `M`, `L`, `SS`, `NS`, `BS`.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttrValue::S(_) => "S",
            AttrValue::N(_) => "N",
            AttrValue::B(_) => "B",
            AttrValue::Bool(_) => "BOOL",
            AttrValue::Null => "NULL",
            AttrValue::M(_) => "M",
            AttrValue::L(_) => "L",
            AttrValue::Ss(_) => "SS",
            AttrValue::Ns(_) => "NS",
            AttrValue::Bs(_) => "BS",
        }
    }

    /// Reads the canonical JSON form (`{"S": "x"}`; `B` as base64). Structural checks only
    /// (exactly one type key, well-formed numbers and base64, depth); the set and emptiness
    /// rules that depend on where a value is used are checked by the callers.
    pub fn from_json(v: &Value) -> Result<Self, ValueError> {
        from_json(v, 0)
    }

    /// The canonical JSON form.
    pub fn to_json(&self) -> Value {
        let b64 = |b: &[u8]| Value::String(base64::engine::general_purpose::STANDARD.encode(b));
        let (k, v) = match self {
            AttrValue::S(s) => ("S", Value::String(s.clone())),
            AttrValue::N(n) => ("N", Value::String(n.to_string())),
            AttrValue::B(b) => ("B", b64(b)),
            AttrValue::Bool(b) => ("BOOL", Value::Bool(*b)),
            AttrValue::Null => ("NULL", Value::Bool(true)),
            AttrValue::M(m) => ("M", item_to_json(m)),
            AttrValue::L(l) => (
                "L",
                Value::Array(l.iter().map(AttrValue::to_json).collect()),
            ),
            AttrValue::Ss(s) => (
                "SS",
                Value::Array(s.iter().cloned().map(Value::String).collect()),
            ),
            AttrValue::Ns(n) => (
                "NS",
                Value::Array(n.iter().map(|x| Value::String(x.to_string())).collect()),
            ),
            AttrValue::Bs(b) => ("BS", Value::Array(b.iter().map(|x| b64(x)).collect())),
        };
        let mut m = Map::new();
        m.insert(k.to_string(), v);
        Value::Object(m)
    }
}

/// Reads an item (`{"name": {"S": "x"}, ...}`).
pub fn item_from_json(v: &Value) -> Result<Item, ValueError> {
    item_from_json_at(v, 0)
}

/// Writes an item in canonical JSON.
pub fn item_to_json(item: &Item) -> Value {
    Value::Object(item.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

fn item_from_json_at(v: &Value, depth: usize) -> Result<Item, ValueError> {
    let Value::Object(map) = v else {
        return Err(ValueError("Supplied AttributeValue is not a map".into()));
    };
    map.iter()
        .map(|(k, v)| Ok((k.clone(), from_json(v, depth + 1)?)))
        .collect()
}

fn from_json(v: &Value, depth: usize) -> Result<AttrValue, ValueError> {
    if depth > MAX_NESTING {
        return Err(ValueError(rules::NESTING.into()));
    }
    let Value::Object(map) = v else {
        return Err(ValueError(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
                .into(),
        ));
    };
    let mut present = map.iter().filter(|(_, v)| !v.is_null());
    let (k, v) = match (present.next(), present.next()) {
        (Some(one), None) => one,
        (None, _) => {
            return Err(ValueError(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes".into(),
            ));
        }
        (Some(_), Some(_)) => {
            return Err(ValueError(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"
                    .into(),
            ));
        }
    };
    let str_of = |v: &Value| {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| ValueError(format!("Invalid {k} value")))
    };
    let bytes_of = |v: &Value| -> Result<Vec<u8>, ValueError> {
        let s = v
            .as_str()
            .ok_or_else(|| ValueError(format!("Invalid {k} value")))?;
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| ValueError("Invalid Binary value: not base64".into()))
    };
    let arr_of = |v| Value::as_array(v).ok_or_else(|| ValueError(format!("Invalid {k} value")));
    let number_of = |v: &Value| {
        let s = v
            .as_str()
            .ok_or_else(|| ValueError(format!("Invalid {k} value")))?;
        Number::parse(s).map_err(|e| ValueError(e.to_string()))
    };
    Ok(match k.as_str() {
        "S" => AttrValue::S(str_of(v)?),
        "N" => AttrValue::N(number_of(v)?),
        "B" => AttrValue::B(bytes_of(v)?),
        "BOOL" => AttrValue::Bool(v.as_bool().ok_or_else(|| ValueError("Invalid BOOL value".into()))?),
        "NULL" => match v.as_bool() {
            Some(true) => AttrValue::Null,
            _ => return Err(ValueError("One or more parameter values were invalid: Null attribute value types must have the value of true".into())),
        },
        "M" => AttrValue::M(item_from_json_at(v, depth)?),
        "L" => AttrValue::L(arr_of(v)?.iter().map(|x| from_json(x, depth + 1)).collect::<Result<_, _>>()?),
        "SS" => AttrValue::Ss(arr_of(v)?.iter().map(str_of).collect::<Result<_, _>>()?),
        "NS" => AttrValue::Ns(
            arr_of(v)?.iter().map(number_of).collect::<Result<_, _>>()?,
        ),
        "BS" => AttrValue::Bs(arr_of(v)?.iter().map(bytes_of).collect::<Result<_, _>>()?),
        other => return Err(ValueError(format!("Unknown AttributeValue type: {other}"))),
    })
}
