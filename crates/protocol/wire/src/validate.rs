//! Generic input validation against the model. (under construction)

use lamina_core::AwsError;
use lamina_model::{Model, Operation};
use serde_json::Value;

/// Checks a canonical input against the operation's input shape.
pub fn validate(_model: &Model, _op: &Operation, _input: &Value) -> Result<(), AwsError> {
    Ok(())
}
