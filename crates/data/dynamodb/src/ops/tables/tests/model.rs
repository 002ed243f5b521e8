//! Every input struct's fields must be members of the model shape it mirrors.

use super::super::input::*;
use serde::Deserialize;

fn check<T: for<'de> Deserialize<'de>>(shape: &str) {
    lamina_model::conformance::check_struct::<T>("dynamodb", shape, &[]);
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
