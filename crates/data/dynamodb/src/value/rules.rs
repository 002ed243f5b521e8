//! The rules DynamoDB applies to values, items and keys, with AWS's messages (quirks
//! included: "An string set  may not be empty" has two spaces, "...]of type BS" none).
//!
//! Messages are bare; operations that answer inside AWS's `1 validation error detected: `
//! envelope (PutItem, UpdateItem, DeleteItem) or the `ExpressionAttributeValues contains
//! invalid value: ... for key :v` wrapper add it themselves.
//!
//! * [`validate_value`] / [`validate_item`]: sets non-empty and without duplicates, nesting at
//!   most 32 levels (the attribute itself is level 1), and for items the 400 KB size cap.
//! * [`validate_item_key`]: the key attributes of an item being written (PutItem and friends).
//! * [`validate_key`]: a `Key` parameter (GetItem, DeleteItem, UpdateItem, batch and
//!   transaction members): exactly the key attributes with the declared types.

use super::key::{ScalarType, encode_key};
use super::size::{MAX_ITEM_SIZE, item_size};
use super::{AttrValue, Item, MAX_NESTING, ValueError};
use base64::Engine;
use std::collections::BTreeSet;

/// Largest partition key value, in bytes (S as UTF-8, B raw; numbers are always fine).
pub const MAX_HASH_KEY_SIZE: usize = 2048;
/// Largest sort key value, in bytes.
pub const MAX_RANGE_KEY_SIZE: usize = 1024;

const INVALID: &str = "One or more parameter values were invalid: ";

/// AWS's message for a document nested deeper than 32 levels.
pub const NESTING: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
/// AWS's message for an item over 400 KB.
pub const ITEM_TOO_LARGE: &str = "Item size has exceeded the maximum allowed size";
/// AWS's message for a `Key` that is not exactly the table's key.
pub const KEY_SCHEMA_MISMATCH: &str = "The provided key element does not match the schema";

fn invalid(msg: impl AsRef<str>) -> ValueError {
    ValueError(format!("{INVALID}{}", msg.as_ref()))
}

/// The key of a table or index: the partition (HASH) attribute and the optional sort (RANGE)
/// attribute, each with its declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    pub hash: (String, ScalarType),
    pub range: Option<(String, ScalarType)>,
}

impl KeySchema {
    /// A key of one partition attribute.
    pub fn hash(name: impl Into<String>, ty: ScalarType) -> Self {
        Self {
            hash: (name.into(), ty),
            range: None,
        }
    }

    /// A key of a partition and a sort attribute.
    pub fn composite(
        hash: impl Into<String>,
        hash_ty: ScalarType,
        range: impl Into<String>,
        range_ty: ScalarType,
    ) -> Self {
        Self {
            hash: (hash.into(), hash_ty),
            range: Some((range.into(), range_ty)),
        }
    }

    /// The key attributes, partition first.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, ScalarType)> {
        std::iter::once((self.hash.0.as_str(), self.hash.1))
            .chain(self.range.as_ref().map(|(n, t)| (n.as_str(), *t)))
    }

    /// Whether `name` is one of the key attributes.
    pub fn is_key(&self, name: &str) -> bool {
        self.attributes().any(|(n, _)| n == name)
    }

    /// The key attributes of `item` (those present).
    pub fn key_of(&self, item: &Item) -> Item {
        self.attributes()
            .filter_map(|(n, _)| item.get(n).map(|v| (n.to_string(), v.clone())))
            .collect()
    }

    /// `enc(pk) ++ enc(sk)` of an item or key that passed validation: the store key suffix,
    /// sorting like `(pk, sk)`.
    pub fn encode(&self, item: &Item) -> Result<Vec<u8>, ValueError> {
        let mut out = Vec::new();
        for (name, _) in self.attributes() {
            let v = item
                .get(name)
                .ok_or_else(|| invalid(format!("Missing the key {name} in the item")))?;
            encode_key(v, &mut out)?;
        }
        Ok(out)
    }
}

/// Checks one value: sets non-empty and without duplicates, nesting within 32 levels.
pub fn validate_value(v: &AttrValue) -> Result<(), ValueError> {
    check(v, 1)
}

/// Checks an item: every value ([`validate_value`]) and the 400 KB size cap.
pub fn validate_item(item: &Item) -> Result<(), ValueError> {
    for v in item.values() {
        check(v, 1)?;
    }
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(ValueError(ITEM_TOO_LARGE.into()));
    }
    Ok(())
}

fn check(v: &AttrValue, depth: usize) -> Result<(), ValueError> {
    if depth > MAX_NESTING {
        return Err(ValueError(NESTING.into()));
    }
    match v {
        AttrValue::M(m) => m.values().try_for_each(|x| check(x, depth + 1)),
        AttrValue::L(l) => l.iter().try_for_each(|x| check(x, depth + 1)),
        AttrValue::Ss(s) if s.is_empty() => Err(invalid("An string set  may not be empty")),
        AttrValue::Ns(s) if s.is_empty() => Err(invalid("An number set  may not be empty")),
        AttrValue::Bs(s) if s.is_empty() => Err(invalid("Binary sets should not be empty")),
        AttrValue::Ss(s) => match duplicate_listing(s) {
            Some(list) => {
                // AWS prints the collection as Java does: `[a, a]`, elements unquoted.
                let shown: Vec<String> = list.iter().map(|x| x.to_string()).collect();
                Err(invalid(format!(
                    "Input collection [{}] contains duplicates.",
                    shown.join(", ")
                )))
            }
            None => Ok(()),
        },
        AttrValue::Ns(s) => match duplicate_listing(s) {
            Some(_) => Err(invalid("Input collection contains duplicates.")),
            None => Ok(()),
        },
        AttrValue::Bs(s) => match duplicate_listing(s) {
            Some(list) => {
                let b64 = base64::engine::general_purpose::STANDARD;
                let shown: Vec<String> = list
                    .iter()
                    .map(|x| format!("\"{}\"", b64.encode(x)))
                    .collect();
                Err(invalid(format!(
                    "Input collection [{}]of type BS contains duplicates.",
                    shown.join(",")
                )))
            }
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// When `set` holds a duplicate, the members as AWS lists them: those before the first
/// repeat in sorted order, then the repeat, then the rest as sent.
fn duplicate_listing<T: Ord + Clone>(set: &[T]) -> Option<Vec<T>> {
    let mut seen = BTreeSet::new();
    for (i, x) in set.iter().enumerate() {
        if !seen.insert(x) {
            let mut list: Vec<T> = seen.into_iter().cloned().collect();
            list.extend(set[i..].iter().cloned());
            return Some(list);
        }
    }
    None
}

/// Checks the key attributes of an item being written: present, of the declared type, not
/// empty, within the key size limits.
pub fn validate_item_key(item: &Item, schema: &KeySchema) -> Result<(), ValueError> {
    for (name, ty) in schema.attributes() {
        let v = item
            .get(name)
            .ok_or_else(|| invalid(format!("Missing the key {name} in the item")))?;
        if ScalarType::of(v) != Some(ty) {
            return Err(invalid(format!(
                "Type mismatch for key {name} expected: {ty} actual: {}",
                v.type_name()
            )));
        }
    }
    check_key_values(item, schema)
}

/// Checks a `Key` parameter: exactly the key attributes, of the declared types, not empty,
/// within the key size limits.
pub fn validate_key(key: &Item, schema: &KeySchema) -> Result<(), ValueError> {
    let expected = schema.attributes().count();
    let matches = key.len() == expected
        && schema
            .attributes()
            .all(|(name, ty)| key.get(name).and_then(ScalarType::of) == Some(ty));
    if !matches {
        return Err(ValueError(KEY_SCHEMA_MISMATCH.into()));
    }
    check_key_values(key, schema)
}

fn check_key_values(item: &Item, schema: &KeySchema) -> Result<(), ValueError> {
    for (i, (name, _)) in schema.attributes().enumerate() {
        let len = match item.get(name) {
            Some(AttrValue::S(s)) if s.is_empty() => {
                return Err(ValueError(format!(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {name}"
                )));
            }
            Some(AttrValue::B(b)) if b.is_empty() => {
                return Err(ValueError(format!(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: {name}"
                )));
            }
            Some(AttrValue::S(s)) => s.len(),
            Some(AttrValue::B(b)) => b.len(),
            _ => 0,
        };
        if i == 0 && len > MAX_HASH_KEY_SIZE {
            return Err(invalid(format!(
                "Size of hashkey has exceeded the maximum size limit of{MAX_HASH_KEY_SIZE} bytes"
            )));
        }
        if i == 1 && len > MAX_RANGE_KEY_SIZE {
            return Err(invalid(format!(
                "Aggregated size of all range keys has exceeded the size limit of {MAX_RANGE_KEY_SIZE} bytes"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
