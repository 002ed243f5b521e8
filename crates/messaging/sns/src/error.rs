//! The domain error of SNS and its single mapping to the wire error.

use lamina_core::{AwsError, ErrorCode};
use lamina_model::generated::sns::errors as codes;
use lamina_storage::StoreError;

/// Everything an operation can fail with. Messages follow AWS's wording.
#[derive(Debug, thiserror::Error)]
pub enum SnsError {
    /// `InvalidParameter` (400): the message is the whole AWS text, e.g.
    /// `Invalid parameter: Topic Name`.
    #[error("{0}")]
    InvalidParameter(String),
    /// `ParameterValueInvalid` (400): message attribute problems.
    #[error("{0}")]
    ParameterValueInvalid(String),
    /// `NotFound` (404): `Topic does not exist`, `Subscription does not exist`.
    #[error("{0}")]
    NotFound(String),
    #[error("Resource does not exist")]
    ResourceNotFound,
    #[error("Could not complete request: tag quota of per resource exceeded")]
    TagLimitExceeded,
    #[error("{0}")]
    FilterPolicyLimitExceeded(String),
    #[error("The batch request doesn't contain any entries.")]
    EmptyBatchRequest,
    #[error("The batch request contains more entries than permissible.")]
    TooManyEntriesInBatchRequest,
    #[error("Two or more batch entries in the request have the same Id.")]
    BatchEntryIdsNotDistinct,
    #[error(
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."
    )]
    InvalidBatchEntryId,
    #[error("The length of all the batch messages put together is more than the limit.")]
    BatchRequestTooLong,
    #[error("Concurrent access: the resource was modified by another request, retry")]
    ConcurrentAccess,
    /// The request could not be read as the operation's input.
    #[error("{0}")]
    Serialization(String),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, SnsError>;

impl SnsError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        SnsError::InvalidParameter(msg.into())
    }

    pub fn topic_not_found() -> Self {
        SnsError::NotFound("Topic does not exist".into())
    }

    pub fn subscription_not_found() -> Self {
        SnsError::NotFound("Subscription does not exist".into())
    }

    /// The wire code, for per-entry batch failures.
    pub fn code(&self) -> ErrorCode {
        match self {
            SnsError::InvalidParameter(_) => codes::INVALID_PARAMETER_EXCEPTION,
            SnsError::ParameterValueInvalid(_) => codes::INVALID_PARAMETER_VALUE_EXCEPTION,
            SnsError::NotFound(_) => codes::NOT_FOUND_EXCEPTION,
            SnsError::ResourceNotFound => codes::RESOURCE_NOT_FOUND_EXCEPTION,
            SnsError::TagLimitExceeded => codes::TAG_LIMIT_EXCEEDED_EXCEPTION,
            SnsError::FilterPolicyLimitExceeded(_) => codes::FILTER_POLICY_LIMIT_EXCEEDED_EXCEPTION,
            SnsError::EmptyBatchRequest => codes::EMPTY_BATCH_REQUEST_EXCEPTION,
            SnsError::TooManyEntriesInBatchRequest => {
                codes::TOO_MANY_ENTRIES_IN_BATCH_REQUEST_EXCEPTION
            }
            SnsError::BatchEntryIdsNotDistinct => codes::BATCH_ENTRY_IDS_NOT_DISTINCT_EXCEPTION,
            SnsError::InvalidBatchEntryId => codes::INVALID_BATCH_ENTRY_ID_EXCEPTION,
            SnsError::BatchRequestTooLong => codes::BATCH_REQUEST_TOO_LONG_EXCEPTION,
            SnsError::ConcurrentAccess => codes::CONCURRENT_ACCESS_EXCEPTION,
            SnsError::Serialization(_) => lamina_core::common::SERIALIZATION_EXCEPTION,
            SnsError::Store(_) | SnsError::Internal(_) => codes::INTERNAL_ERROR_EXCEPTION,
        }
    }
}

impl From<SnsError> for AwsError {
    fn from(e: SnsError) -> Self {
        match &e {
            SnsError::Store(_) | SnsError::Internal(_) => AwsError::internal(e),
            _ => AwsError::new(e.code(), e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages() {
        let e: AwsError = SnsError::topic_not_found().into();
        assert_eq!((e.code.code, e.code.status), ("NotFound", 404));
        assert_eq!(e.message, "Topic does not exist");
        let e: AwsError = SnsError::invalid("Invalid parameter: Topic Name").into();
        assert_eq!((e.code.code, e.code.status), ("InvalidParameter", 400));
        let e: AwsError = SnsError::ParameterValueInvalid("x".into()).into();
        assert_eq!(e.code.code, "ParameterValueInvalid");
        let e: AwsError = SnsError::Store(StoreError::Closed).into();
        assert_eq!(e.code.status, 500);
        assert_eq!(e.message, "An internal error occurred.");
        assert!(e.cause().is_some());
    }
}
