//! The Streams API's error and its single mapping to the wire error (codes of the
//! `dynamodbstreams` model).

use crate::error::DdbError;
use lamina_core::AwsError;
use lamina_model::generated::dynamodbstreams::errors as codes;
use lamina_storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum StreamsError {
    /// `ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// `ResourceNotFoundException`.
    #[error("{0}")]
    NotFound(String),
    /// `ExpiredIteratorException`.
    #[error("{0}")]
    Expired(String),
    /// `TrimmedDataAccessException`.
    #[error("{0}")]
    Trimmed(String),
    /// Logged by the gateway, sent as a generic 500.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, StreamsError>;

/// "Requested resource not found: Stream: <arn> not found".
pub(crate) fn stream_not_found(arn: &str) -> StreamsError {
    StreamsError::NotFound(format!(
        "Requested resource not found: Stream: {arn} not found"
    ))
}

impl From<DdbError> for StreamsError {
    fn from(e: DdbError) -> Self {
        match e {
            DdbError::Validation(m) => StreamsError::Validation(m),
            DdbError::NotFound(m) => StreamsError::NotFound(m),
            other => StreamsError::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for StreamsError {
    fn from(e: StoreError) -> Self {
        StreamsError::Internal(e.to_string())
    }
}

impl From<StreamsError> for AwsError {
    fn from(e: StreamsError) -> Self {
        let msg = e.to_string();
        match e {
            StreamsError::Validation(_) => AwsError::validation(msg),
            StreamsError::NotFound(_) => AwsError::new(codes::RESOURCE_NOT_FOUND_EXCEPTION, msg),
            StreamsError::Expired(_) => AwsError::new(codes::EXPIRED_ITERATOR_EXCEPTION, msg),
            StreamsError::Trimmed(_) => AwsError::new(codes::TRIMMED_DATA_ACCESS_EXCEPTION, msg),
            StreamsError::Internal(cause) => AwsError::internal(cause),
        }
    }
}
