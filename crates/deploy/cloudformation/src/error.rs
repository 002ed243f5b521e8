//! The domain error of CloudFormation and its single mapping to the wire error.

use crate::template::TemplateError;
use lamina_core::{AwsError, ErrorCode};
use lamina_model::generated::cloudformation::errors as codes;
use lamina_storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CfnError {
    /// `ValidationError`: bad input, template errors, missing stacks.
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Template(#[from] TemplateError),
    /// `Transform <name> failed with: <why>` (a ValidationError where it is answered at once;
    /// the StatusReason of a FAILED change set).
    #[error("{0}")]
    Transform(String),
    #[error("Stack [{0}] already exists")]
    AlreadyExists(String),
    #[error("Requires capabilities : [{0}]")]
    InsufficientCapabilities(String),
    #[error("ChangeSet [{0}] does not exist")]
    ChangeSetNotFound(String),
    #[error("{0}")]
    InvalidChangeSetStatus(String),
    #[error("{0}")]
    NameAlreadyExists(String),
    #[error("{0}")]
    TokenAlreadyExists(String),
    #[error("{0}")]
    Serialization(String),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, CfnError>;

impl CfnError {
    /// `Stack with id X does not exist`, AWS's answer for every unknown stack.
    pub fn no_stack(name: &str) -> Self {
        CfnError::Validation(format!("Stack with id {name} does not exist"))
    }
}

impl From<CfnError> for AwsError {
    fn from(e: CfnError) -> Self {
        let code: ErrorCode = match &e {
            CfnError::Validation(_) | CfnError::Template(_) | CfnError::Transform(_) => {
                lamina_core::common::VALIDATION_ERROR
            }
            CfnError::AlreadyExists(_) => codes::ALREADY_EXISTS_EXCEPTION,
            CfnError::InsufficientCapabilities(_) => codes::INSUFFICIENT_CAPABILITIES_EXCEPTION,
            CfnError::ChangeSetNotFound(_) => codes::CHANGE_SET_NOT_FOUND_EXCEPTION,
            CfnError::InvalidChangeSetStatus(_) => codes::INVALID_CHANGE_SET_STATUS_EXCEPTION,
            CfnError::NameAlreadyExists(_) => codes::ALREADY_EXISTS_EXCEPTION,
            CfnError::TokenAlreadyExists(_) => codes::TOKEN_ALREADY_EXISTS_EXCEPTION,
            CfnError::Serialization(_) => lamina_core::common::VALIDATION_ERROR,
            CfnError::Store(_) | CfnError::Internal(_) => return AwsError::internal(e),
        };
        AwsError::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages() {
        let e: AwsError = CfnError::no_stack("s").into();
        assert_eq!(
            (e.code.code, e.message.as_str()),
            ("ValidationError", "Stack with id s does not exist")
        );
        let e: AwsError = CfnError::InsufficientCapabilities("CAPABILITY_IAM".into()).into();
        assert_eq!(e.code.code, "InsufficientCapabilitiesException");
        assert_eq!(e.message, "Requires capabilities : [CAPABILITY_IAM]");
        let e: AwsError = CfnError::AlreadyExists("s".into()).into();
        assert_eq!(e.code.code, "AlreadyExistsException");
        let e: AwsError = CfnError::Store(StoreError::Closed).into();
        assert_eq!(e.code.status, 500);
    }
}
