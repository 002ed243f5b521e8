//! Every input struct's fields must be members of the model shape it mirrors.

use super::super::input::*;
use serde::Deserialize;
use serde::de::{self, Visitor};

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

fn check<T: for<'de> Deserialize<'de>>(shape: &str) {
    let mut d = FieldNames(None);
    let _ = T::deserialize(&mut d);
    let fields = d.0.expect("a struct");
    let model = lamina_model::get("dynamodb").expect("dynamodb model");
    let s = model
        .shape(shape)
        .unwrap_or_else(|| panic!("no shape {shape}"));
    for f in fields {
        assert!(s.member(f).is_some(), "{shape} has no member {f}");
    }
    for r in &s.required {
        assert!(
            fields.contains(&r.as_str()),
            "{shape}: required member {r} missing"
        );
    }
}

#[test]
fn inputs_match_the_model() {
    check::<KeySchemaElement>("KeySchemaElement");
    check::<AttributeDefinition>("AttributeDefinition");
    check::<ProvisionedThroughput>("ProvisionedThroughput");
    check::<Projection>("Projection");
    check::<LocalSecondaryIndex>("LocalSecondaryIndex");
    check::<GlobalSecondaryIndex>("GlobalSecondaryIndex");
    check::<StreamSpecification>("StreamSpecification");
    check::<SseSpecification>("SSESpecification");
    check::<Tag>("Tag");
    check::<CreateTableInput>("CreateTableInput");
    check::<UpdateGlobalSecondaryIndexAction>("UpdateGlobalSecondaryIndexAction");
    check::<CreateGlobalSecondaryIndexAction>("CreateGlobalSecondaryIndexAction");
    check::<DeleteGlobalSecondaryIndexAction>("DeleteGlobalSecondaryIndexAction");
    check::<GlobalSecondaryIndexUpdate>("GlobalSecondaryIndexUpdate");
    check::<UpdateTableInput>("UpdateTableInput");
    check::<TimeToLiveSpecification>("TimeToLiveSpecification");
}
