//! The inputs of the single-item operations, as serde views of the canonical JSON the gateway
//! hands over (already validated against the model: required members, enums, lengths).
//! Attribute values, items and legacy parameters stay JSON and are read by `value` / `expr`.

use crate::error::{DdbError, Result};
use serde::Deserialize;
use serde_json::Value;

/// Deserializes an operation input.
pub(crate) fn parse<T: for<'de> Deserialize<'de>>(input: &Value) -> Result<T> {
    T::deserialize(input).map_err(|e| DdbError::Validation(format!("Invalid request: {e}")))
}

/// What a request asked to be told about capacity and item collections.
#[derive(Debug, Clone, Default)]
pub(crate) struct Capacity {
    /// `ReturnConsumedCapacity`: `TOTAL`, `INDEXES` or `NONE`.
    pub consumed: Option<String>,
    /// `ReturnItemCollectionMetrics: SIZE`.
    pub collection_metrics: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PutItemInput {
    pub table_name: String,
    /// Required, but read from the input by reference ([`PutItemInput::item`]): a 1 KB item
    /// copied into this struct was a tenth of a PutItem's CPU.
    #[allow(dead_code)] // present for the "missing field" error and the model-match test
    pub item: serde::de::IgnoredAny,
    pub expected: Option<Value>,
    pub return_values: Option<String>,
    pub return_consumed_capacity: Option<String>,
    pub return_item_collection_metrics: Option<String>,
    pub conditional_operator: Option<Value>,
    pub condition_expression: Option<String>,
    pub expression_attribute_names: Option<Value>,
    pub expression_attribute_values: Option<Value>,
    pub return_values_on_condition_check_failure: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DeleteItemInput {
    pub table_name: String,
    pub key: Value,
    pub expected: Option<Value>,
    pub conditional_operator: Option<Value>,
    pub return_values: Option<String>,
    pub return_consumed_capacity: Option<String>,
    pub return_item_collection_metrics: Option<String>,
    pub condition_expression: Option<String>,
    pub expression_attribute_names: Option<Value>,
    pub expression_attribute_values: Option<Value>,
    pub return_values_on_condition_check_failure: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateItemInput {
    pub table_name: String,
    pub key: Value,
    pub attribute_updates: Option<Value>,
    pub expected: Option<Value>,
    pub conditional_operator: Option<Value>,
    pub return_values: Option<String>,
    pub return_consumed_capacity: Option<String>,
    pub return_item_collection_metrics: Option<String>,
    pub update_expression: Option<String>,
    pub condition_expression: Option<String>,
    pub expression_attribute_names: Option<Value>,
    pub expression_attribute_values: Option<Value>,
    pub return_values_on_condition_check_failure: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetItemInput {
    pub table_name: String,
    pub key: Value,
    pub attributes_to_get: Option<Value>,
    pub consistent_read: Option<bool>,
    pub return_consumed_capacity: Option<String>,
    pub projection_expression: Option<String>,
    pub expression_attribute_names: Option<Value>,
}

fn capacity(consumed: &Option<String>, metrics: &Option<String>) -> Capacity {
    Capacity {
        consumed: consumed.clone(),
        collection_metrics: metrics.as_deref() == Some("SIZE"),
    }
}

impl PutItemInput {
    pub fn capacity(&self) -> Capacity {
        capacity(
            &self.return_consumed_capacity,
            &self.return_item_collection_metrics,
        )
    }
}

impl DeleteItemInput {
    pub fn capacity(&self) -> Capacity {
        capacity(
            &self.return_consumed_capacity,
            &self.return_item_collection_metrics,
        )
    }
}

impl UpdateItemInput {
    pub fn capacity(&self) -> Capacity {
        capacity(
            &self.return_consumed_capacity,
            &self.return_item_collection_metrics,
        )
    }
}

impl GetItemInput {
    pub fn capacity(&self) -> Capacity {
        capacity(&self.return_consumed_capacity, &None)
    }
}

impl PutItemInput {
    /// The `Item` member of the `input` this was parsed from.
    pub(crate) fn item(input: &Value) -> &Value {
        input.get("Item").unwrap_or(&Value::Null)
    }
}
