//! The domain error of CloudWatch Logs and its single mapping to the wire error.

use lamina_core::{AwsError, ErrorCode};
use lamina_model::generated::logs::errors as codes;
use lamina_storage::StoreError;

/// Everything an operation can fail with. Messages follow AWS's wording.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    #[error("The specified log group already exists")]
    GroupExists,
    #[error("The specified log stream already exists")]
    StreamExists,
    #[error("The specified log group does not exist.")]
    GroupNotFound,
    #[error("The specified log stream does not exist.")]
    StreamNotFound,
    /// `InvalidParameterException` with AWS's message.
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    TooManyTags(String),
    /// The request could not be read as the operation's input.
    #[error("{0}")]
    Serialization(String),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, LogsError>;

impl From<LogsError> for AwsError {
    fn from(e: LogsError) -> Self {
        let code: ErrorCode = match &e {
            LogsError::GroupExists | LogsError::StreamExists => {
                codes::RESOURCE_ALREADY_EXISTS_EXCEPTION
            }
            LogsError::GroupNotFound | LogsError::StreamNotFound => {
                codes::RESOURCE_NOT_FOUND_EXCEPTION
            }
            LogsError::InvalidParameter(_) => codes::INVALID_PARAMETER_EXCEPTION,
            LogsError::Validation(_) => codes::VALIDATION_EXCEPTION,
            LogsError::TooManyTags(_) => codes::TOO_MANY_TAGS_EXCEPTION,
            LogsError::Serialization(_) => lamina_core::common::SERIALIZATION_EXCEPTION,
            LogsError::Store(_) | LogsError::Internal(_) => return AwsError::internal(e),
        };
        AwsError::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages() {
        let e: AwsError = LogsError::GroupExists.into();
        assert_eq!(e.code.shape, "ResourceAlreadyExistsException");
        assert_eq!(e.message, "The specified log group already exists");
        let e: AwsError = LogsError::StreamNotFound.into();
        assert_eq!(e.code.shape, "ResourceNotFoundException");
        assert_eq!(e.message, "The specified log stream does not exist.");
        let e: AwsError = LogsError::Store(StoreError::Closed).into();
        assert_eq!(e.code.status, 500);
    }
}
