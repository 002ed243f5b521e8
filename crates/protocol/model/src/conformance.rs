//! Keeping hand-written serde structs true to the model: services deserialize canonical
//! values into their own structs, and a test per service checks each struct against the
//! shape it mirrors with these helpers.

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
}
