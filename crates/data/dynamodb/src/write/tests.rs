pub(crate) fn meta_json() -> serde_json::Value {
    serde_json::Value::Null
}
