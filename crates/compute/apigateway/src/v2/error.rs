//! The domain error of the HTTP API control plane and its single mapping to the wire error.

use lamina_core::{AwsError, ErrorCode};
use lamina_model::generated::apigatewayv2::errors as codes;
use lamina_storage::StoreError;

/// Everything a control-plane operation can fail with; messages follow AWS's wording.
#[derive(Debug, thiserror::Error)]
pub enum V2Error {
    /// `BadRequestException`.
    #[error("{0}")]
    BadRequest(String),
    /// `NotFoundException` (`Invalid API identifier specified <id>` and friends).
    #[error("{0}")]
    NotFound(String),
    /// `ConflictException`.
    #[error("{0}")]
    Conflict(String),
    /// Contention that outlasted the retries.
    #[error("Too Many Requests")]
    TooManyRequests,
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// A persisted value that cannot be decoded, or an output that cannot be encoded.
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, V2Error>;

impl V2Error {
    pub fn api_not_found(id: &str) -> Self {
        V2Error::NotFound(format!("Invalid API identifier specified {id}"))
    }
    pub fn bad(msg: impl Into<String>) -> Self {
        V2Error::BadRequest(msg.into())
    }
}

impl From<V2Error> for AwsError {
    fn from(e: V2Error) -> Self {
        let code: ErrorCode = match &e {
            V2Error::BadRequest(_) => codes::BAD_REQUEST_EXCEPTION,
            V2Error::NotFound(_) => codes::NOT_FOUND_EXCEPTION,
            V2Error::Conflict(_) => codes::CONFLICT_EXCEPTION,
            V2Error::TooManyRequests => codes::TOO_MANY_REQUESTS_EXCEPTION,
            V2Error::Store(_) | V2Error::Internal(_) => return AwsError::internal(e),
        };
        AwsError::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_error_codes_and_messages() {
        let e: AwsError = V2Error::api_not_found("abc123").into();
        assert_eq!(e.code.code, "NotFoundException");
        assert_eq!(e.code.status, 404);
        assert_eq!(e.message, "Invalid API identifier specified abc123");
        let e: AwsError = V2Error::Conflict("Stage already exists".into()).into();
        assert_eq!(e.code.status, 409);
        let e: AwsError = V2Error::Internal("x".into()).into();
        assert_eq!(e.code.status, 500);
    }
}
