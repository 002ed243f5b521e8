//! The domain error of EventBridge and its single mapping to the wire error.

use lamina_core::{AwsError, ErrorCode};
use lamina_model::generated::events::errors as codes;
use lamina_storage::StoreError;

/// Everything an operation can fail with. Messages follow AWS's wording where it is known.
#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("Event pattern is not valid. Reason: {0}")]
    InvalidPattern(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("Provided token is not valid.")]
    InvalidNextToken,
    #[error("There are concurrent updates for a resource that supports one update at a time.")]
    Concurrent,
    #[error("{0}")]
    Serialization(String),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, EventsError>;

impl EventsError {
    pub fn rule_not_found(rule: &str, bus: &str) -> Self {
        Self::NotFound(format!("Rule {rule} does not exist on EventBus {bus}."))
    }

    pub fn bus_not_found(bus: &str) -> Self {
        Self::NotFound(format!("Event bus {bus} does not exist."))
    }
}

impl From<EventsError> for AwsError {
    fn from(e: EventsError) -> Self {
        let code: ErrorCode = match &e {
            EventsError::Validation(_) | EventsError::InvalidNextToken => {
                lamina_core::common::VALIDATION_EXCEPTION
            }
            EventsError::NotFound(_) => codes::RESOURCE_NOT_FOUND_EXCEPTION,
            EventsError::AlreadyExists(_) => codes::RESOURCE_ALREADY_EXISTS_EXCEPTION,
            EventsError::InvalidPattern(_) => codes::INVALID_EVENT_PATTERN_EXCEPTION,
            EventsError::LimitExceeded(_) => codes::LIMIT_EXCEEDED_EXCEPTION,
            EventsError::Concurrent => codes::CONCURRENT_MODIFICATION_EXCEPTION,
            EventsError::Serialization(_) => lamina_core::common::SERIALIZATION_EXCEPTION,
            EventsError::Store(_) | EventsError::Internal(_) => return AwsError::internal(e),
        };
        AwsError::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages() {
        let e: AwsError = EventsError::rule_not_found("r", "default").into();
        assert_eq!(e.code.code, "ResourceNotFoundException");
        assert_eq!(e.message, "Rule r does not exist on EventBus default.");
        let e: AwsError = EventsError::InvalidPattern("x".into()).into();
        assert_eq!(e.code.code, "InvalidEventPatternException");
        let e: AwsError = EventsError::Store(StoreError::Closed).into();
        assert_eq!(e.code.status, 500);
    }
}
