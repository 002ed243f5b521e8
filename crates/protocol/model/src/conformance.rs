//! Keeping hand-written serde structs true to the model: services deserialize canonical
//! values into their own structs, and a test per service checks each struct against the
//! shape it mirrors with these helpers: [`check_struct`] for a struct serde reads,
//! [`check_serialized`] for an output struct by the keys it writes.

use serde::Deserialize;
use serde::de::{self, Visitor};

/// A deserializer that only records the field list serde asks for.
struct FieldNames(Option<&'static [&'static str]>);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stop")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for &mut FieldNames {
    type Error = Stop;
    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0 = Some(fields);
        Err(Stop)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// The (serde-renamed) field names of a struct deriving `Deserialize`; empty for a type
/// that is not a plain struct.
pub fn struct_fields<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    let mut d = FieldNames(None);
    let _ = T::deserialize(&mut d);
    d.0.unwrap_or(&[])
}

/// The model shape `shape` of `service`; panics (this is for tests) when either is missing.
fn model_shape(service: &str, shape: &str) -> &'static crate::Shape {
    crate::get(service)
        .unwrap_or_else(|| panic!("no {service} model embedded"))
        .shape(shape)
        .unwrap_or_else(|| panic!("{service} has no shape {shape}"))
}

/// Asserts that the struct `T` mirrors the model shape `shape` of `service`: it is a struct,
/// every (serde-renamed) field is a member of the shape, and every required member is a field
/// unless it is named in `unread_required` (a member the service deliberately does not read).
pub fn check_struct<T: for<'de> Deserialize<'de>>(
    service: &str,
    shape: &str,
    unread_required: &[&str],
) {
    let s = model_shape(service, shape);
    let fields = struct_fields::<T>();
    assert!(!fields.is_empty(), "{shape}: not a struct");
    for f in fields {
        assert!(s.member(f).is_some(), "{shape} has no member {f}");
    }
    for r in &s.required {
        assert!(
            fields.contains(&r.as_str()) || unread_required.contains(&r.as_str()),
            "{shape}: required member {r} is not read"
        );
    }
}

/// Asserts that every key of `value`, a serialized output struct, is a member of the model
/// shape `shape` of `service` (serialize with every optional field set so all keys appear).
pub fn check_serialized(service: &str, shape: &str, value: &serde_json::Value) {
    let s = model_shape(service, shape);
    let obj = value
        .as_object()
        .unwrap_or_else(|| panic!("{shape}: not serialized as an object"));
    for k in obj.keys() {
        assert!(s.member(k).is_some(), "{shape} has no member {k}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Put {
        name: String,
        value: Option<String>,
    }

    #[test]
    fn reads_serde_field_names() {
        assert_eq!(struct_fields::<Put>(), ["Name", "Value"]);
        assert!(struct_fields::<String>().is_empty());
    }

    #[test]
    fn check_struct_accepts_a_true_mirror() {
        // sts Tag: Key and Value, both required.
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        #[allow(dead_code)]
        struct Tag {
            key: String,
            value: String,
        }
        check_struct::<Tag>("sts", "Tag", &[]);
    }

    #[test]
    #[should_panic(expected = "Tag has no member Nmae")]
    fn check_struct_catches_a_wrong_name() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Bad {
            #[serde(rename = "Nmae")]
            name: String,
        }
        check_struct::<Bad>("sts", "Tag", &[]);
    }

    #[test]
    #[should_panic(expected = "Tag: required member Value is not read")]
    fn check_struct_catches_a_missing_required_member() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct KeyOnly {
            #[serde(rename = "Key")]
            key: String,
        }
        check_struct::<KeyOnly>("sts", "Tag", &[]);
    }

    #[test]
    fn check_struct_lets_a_listed_required_member_go_unread() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct KeyOnly {
            #[serde(rename = "Key")]
            key: String,
        }
        check_struct::<KeyOnly>("sts", "Tag", &["Value"]);
    }

    #[test]
    #[should_panic(expected = "not a struct")]
    fn check_struct_refuses_a_non_struct() {
        check_struct::<String>("sts", "Tag", &[]);
    }

    #[test]
    fn check_serialized_reads_keys() {
        check_serialized("sts", "Tag", &serde_json::json!({"Key": "k", "Value": "v"}));
    }

    #[test]
    #[should_panic(expected = "Tag has no member Team")]
    fn check_serialized_catches_an_unknown_key() {
        check_serialized("sts", "Tag", &serde_json::json!({"Key": "k", "Team": "a"}));
    }
}
