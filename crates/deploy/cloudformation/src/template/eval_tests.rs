use super::*;
use serde_json::json;

#[test]
fn placeholder() {
    assert!(references(&json!({"Ref": "A"})).contains(&Reference::Ref("A".into())));
}
