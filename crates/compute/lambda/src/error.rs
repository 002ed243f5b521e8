//! The domain error and its single mapping to the wire error.

use lamina_core::AwsError;
use lamina_model::generated::lambda_::errors as codes;
use lamina_storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum LambdaError {
    /// `InvalidParameterValueException`.
    #[error("{0}")]
    InvalidParameter(String),
    /// `ValidationException`.
    #[error("{0}")]
    Validation(String),
    /// `ResourceNotFoundException` ("Function not found: arn:...").
    #[error("{0}")]
    NotFound(String),
    /// `ResourceConflictException`.
    #[error("{0}")]
    Conflict(String),
    /// `PreconditionFailedException` (RevisionId mismatch).
    #[error("{0}")]
    PreconditionFailed(String),
    /// `TooManyRequestsException` with its `Reason`.
    #[error("{message}")]
    Throttled {
        message: String,
        reason: &'static str,
    },
    /// `RequestTooLargeException` (6 MB synchronous payload).
    #[error("{0}")]
    RequestTooLarge(String),
    /// `ResourceNotReadyException`.
    #[error("{0}")]
    NotReady(String),
    /// Anything the client cannot act on; logged by the gateway, sent as a generic 500.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, LambdaError>;

impl From<StoreError> for LambdaError {
    fn from(e: StoreError) -> Self {
        LambdaError::Internal(e.to_string())
    }
}

impl From<LambdaError> for AwsError {
    fn from(e: LambdaError) -> Self {
        let msg = e.to_string();
        match e {
            LambdaError::InvalidParameter(_) => {
                AwsError::new(codes::INVALID_PARAMETER_VALUE_EXCEPTION, msg)
            }
            LambdaError::Validation(_) => AwsError::validation(msg),
            LambdaError::NotFound(_) => AwsError::new(codes::RESOURCE_NOT_FOUND_EXCEPTION, msg),
            LambdaError::Conflict(_) => AwsError::new(codes::RESOURCE_CONFLICT_EXCEPTION, msg),
            LambdaError::PreconditionFailed(_) => {
                AwsError::new(codes::PRECONDITION_FAILED_EXCEPTION, msg)
            }
            LambdaError::Throttled { reason, .. } => {
                AwsError::new(codes::TOO_MANY_REQUESTS_EXCEPTION, msg)
                    .with_field("Reason", reason.into())
            }
            LambdaError::RequestTooLarge(_) => {
                AwsError::new(codes::REQUEST_TOO_LARGE_EXCEPTION, msg)
            }
            LambdaError::NotReady(_) => AwsError::new(codes::RESOURCE_NOT_READY_EXCEPTION, msg),
            LambdaError::Internal(cause) => AwsError::internal(cause),
        }
    }
}
