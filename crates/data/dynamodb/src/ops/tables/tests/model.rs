//! Every input struct's fields must be members of the model shape it mirrors.

use super::super::input::*;
use lamina_model::conformance::struct_fields;
use serde::Deserialize;

fn check<T: for<'de> Deserialize<'de>>(shape: &str) {
    let fields = struct_fields::<T>();
    assert!(!fields.is_empty(), "{shape}: not a struct");
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
