//! The domain error of the REST API control plane and its single mapping to the wire error
//! (codes generated from the `apigateway` model).

use lamina_core::AwsError;
use lamina_model::generated::apigateway::errors as codes;
use lamina_storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiGwError {
    /// `NotFoundException` with API Gateway's message (`Invalid API identifier specified ...`).
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("Too Many Requests")]
    TooManyRequests,
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, ApiGwError>;

impl ApiGwError {
    pub fn api_not_found(account: &str, id: &str) -> Self {
        Self::NotFound(format!("Invalid API identifier specified {account}:{id}"))
    }
    pub fn resource_not_found() -> Self {
        Self::NotFound("Invalid Resource identifier specified".into())
    }
    pub fn method_not_found() -> Self {
        Self::NotFound("Invalid Method identifier specified".into())
    }
    pub fn integration_not_found() -> Self {
        Self::NotFound("Invalid Integration identifier specified".into())
    }
    pub fn status_not_found() -> Self {
        Self::NotFound("Invalid Response status code specified".into())
    }
    pub fn stage_not_found() -> Self {
        Self::NotFound("Invalid Stage identifier specified".into())
    }
    pub fn deployment_not_found() -> Self {
        Self::NotFound("Invalid Deployment identifier specified".into())
    }
    pub fn bad(msg: impl Into<String>) -> Self {
        Self::BadRequest(msg.into())
    }
}

impl From<ApiGwError> for AwsError {
    fn from(e: ApiGwError) -> Self {
        let code = match &e {
            ApiGwError::NotFound(_) => codes::NOT_FOUND_EXCEPTION,
            ApiGwError::Conflict(_) => codes::CONFLICT_EXCEPTION,
            ApiGwError::BadRequest(_) => codes::BAD_REQUEST_EXCEPTION,
            ApiGwError::LimitExceeded(_) => codes::LIMIT_EXCEEDED_EXCEPTION,
            ApiGwError::TooManyRequests => codes::TOO_MANY_REQUESTS_EXCEPTION,
            ApiGwError::Store(_) | ApiGwError::Internal(_) => return AwsError::internal(e),
        };
        AwsError::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_error_codes() {
        let e: AwsError = ApiGwError::api_not_found("000000000000", "abc").into();
        assert_eq!(e.code.code, "NotFoundException");
        assert_eq!(e.code.status, 404);
        assert_eq!(
            e.message,
            "Invalid API identifier specified 000000000000:abc"
        );
        let e: AwsError = ApiGwError::Conflict("x".into()).into();
        assert_eq!(e.code.status, 409);
        let e: AwsError = ApiGwError::Store(StoreError::Closed).into();
        assert_eq!(e.code.status, 500);
    }
}
