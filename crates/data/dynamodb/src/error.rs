//! The domain error and its single mapping to the wire error.

use crate::value::{Item, ValueError, item_to_json};
use lamina_core::AwsError;
use lamina_model::generated::dynamodb::errors as codes;
use lamina_storage::StoreError;
use serde_json::{Value, json};

#[derive(Debug, thiserror::Error)]
pub enum DdbError {
    /// `ValidationException` with AWS's message.
    #[error("{0}")]
    Validation(String),
    /// `ResourceNotFoundException` ("Requested resource not found", or a more specific text).
    #[error("{0}")]
    NotFound(String),
    /// `TableNotFoundException` (the backup APIs' "Table not found: <name>").
    #[error("{0}")]
    TableNotFound(String),
    /// `ResourceInUseException`.
    #[error("{0}")]
    InUse(String),
    /// `ConditionalCheckFailedException`; `item` is returned when the caller asked for
    /// `ReturnValuesOnConditionCheckFailure: ALL_OLD`.
    #[error("The conditional request failed")]
    ConditionFailed { item: Option<Item> },
    /// `TransactionCanceledException` with `CancellationReasons` in request order.
    #[error("{message}")]
    TransactionCanceled {
        message: String,
        reasons: Vec<Value>,
    },
    /// `TransactionConflictException`.
    #[error("{0}")]
    TransactionConflict(String),
    /// `IdempotentParameterMismatchException`.
    #[error("{0}")]
    IdempotentMismatch(String),
    /// `ItemCollectionSizeLimitExceededException`.
    #[error("{0}")]
    CollectionTooLarge(String),
    /// `LimitExceededException`.
    #[error("{0}")]
    LimitExceeded(String),
    /// `ProvisionedThroughputExceededException`.
    #[error("{0}")]
    Throttled(String),
    /// `DuplicateItemException` (PartiQL INSERT of an existing key).
    #[error("{0}")]
    DuplicateItem(String),
    /// Anything the client cannot act on; logged by the gateway, sent as a generic 500.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, DdbError>;

impl From<ValueError> for DdbError {
    fn from(e: ValueError) -> Self {
        DdbError::Validation(e.0)
    }
}

impl From<StoreError> for DdbError {
    fn from(e: StoreError) -> Self {
        DdbError::Internal(e.to_string())
    }
}

impl From<DdbError> for AwsError {
    fn from(e: DdbError) -> Self {
        let msg = e.to_string();
        match e {
            DdbError::Validation(_) => AwsError::validation(msg),
            DdbError::NotFound(_) => AwsError::new(codes::RESOURCE_NOT_FOUND_EXCEPTION, msg),
            DdbError::TableNotFound(_) => AwsError::new(codes::TABLE_NOT_FOUND_EXCEPTION, msg),
            DdbError::InUse(_) => AwsError::new(codes::RESOURCE_IN_USE_EXCEPTION, msg),
            DdbError::ConditionFailed { item } => {
                let err = AwsError::new(codes::CONDITIONAL_CHECK_FAILED_EXCEPTION, msg);
                match item {
                    Some(item) => err.with_field("Item", item_to_json(&item)),
                    None => err,
                }
            }
            DdbError::TransactionCanceled { reasons, .. } => {
                AwsError::new(codes::TRANSACTION_CANCELED_EXCEPTION, msg)
                    .with_field("CancellationReasons", json!(reasons))
            }
            DdbError::TransactionConflict(_) => {
                AwsError::new(codes::TRANSACTION_CONFLICT_EXCEPTION, msg)
            }
            DdbError::IdempotentMismatch(_) => {
                AwsError::new(codes::IDEMPOTENT_PARAMETER_MISMATCH_EXCEPTION, msg)
            }
            DdbError::CollectionTooLarge(_) => {
                AwsError::new(codes::ITEM_COLLECTION_SIZE_LIMIT_EXCEEDED_EXCEPTION, msg)
            }
            DdbError::LimitExceeded(_) => AwsError::new(codes::LIMIT_EXCEEDED_EXCEPTION, msg),
            DdbError::Throttled(_) => {
                AwsError::new(codes::PROVISIONED_THROUGHPUT_EXCEEDED_EXCEPTION, msg)
            }
            DdbError::DuplicateItem(_) => AwsError::new(codes::DUPLICATE_ITEM_EXCEPTION, msg),
            DdbError::Internal(cause) => AwsError::internal(cause),
        }
    }
}
