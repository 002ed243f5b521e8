//! The domain error of Parameter Store and its single mapping to the wire error.

use lamina_core::{AwsError, ErrorCode};
use lamina_model::generated::ssm::errors as codes;
use lamina_storage::StoreError;

/// Everything an operation can fail with. Messages follow AWS's wording where it is known.
#[derive(Debug, thiserror::Error)]
pub enum SsmError {
    /// A request that breaks a rule the model cannot express (`ValidationException`).
    #[error("{0}")]
    Validation(String),
    /// The named parameter does not exist; AWS sends an empty message for most operations.
    #[error("parameter not found")]
    ParameterNotFound(String),
    #[error(
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
    )]
    ParameterAlreadyExists,
    #[error(
        "Systems Manager could not find version {version} of {name}. Verify the version and try again."
    )]
    VersionNotFound { name: String, version: String },
    #[error(
        "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide."
    )]
    HierarchyLevelLimit,
    #[error("Parameter value, cannot be validated against allowedPattern: {0}")]
    PatternMismatch(String),
    #[error("{0}")]
    InvalidAllowedPattern(String),
    #[error("{0}")]
    InvalidKeyId(String),
    #[error(
        "You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. Version {version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again."
    )]
    MaxVersionLimit { name: String, version: u64 },
    #[error(
        "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again."
    )]
    LabelLimit,
    #[error("{0}")]
    InvalidFilterKey(String),
    #[error("{0}")]
    InvalidFilterValue(String),
    #[error("{0}")]
    InvalidFilterOption(String),
    #[error("The specified token isn't valid.")]
    InvalidNextToken,
    #[error("The resource ID isn't valid. Verify that you entered the correct ID and try again.")]
    InvalidResourceId,
    #[error("The resource type isn't valid. Verify the resource type and try again.")]
    InvalidResourceType,
    #[error("The Tags parameter contains too many tags. A resource can have a maximum of 50 tags.")]
    TooManyTags,
    #[error("There are concurrent updates for a resource that supports one update at a time.")]
    TooManyUpdates,
    #[error("{0}")]
    InvalidPolicyType(String),
    #[error("{0}")]
    InvalidPolicyAttribute(String),
    #[error("{0}")]
    IncompatiblePolicy(String),
    /// The request could not be read as the operation's input (the gateway should have
    /// caught this; kept so a malformed value never panics).
    #[error("{0}")]
    Serialization(String),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// A persisted value that cannot be decoded or decrypted: corruption or a wrong key.
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, SsmError>;

impl From<SsmError> for AwsError {
    fn from(e: SsmError) -> Self {
        let code: ErrorCode = match &e {
            SsmError::Validation(_) => lamina_core::common::VALIDATION_EXCEPTION,
            SsmError::ParameterNotFound(msg) => {
                return AwsError::new(codes::PARAMETER_NOT_FOUND, msg.clone());
            }
            SsmError::ParameterAlreadyExists => codes::PARAMETER_ALREADY_EXISTS,
            SsmError::VersionNotFound { .. } => codes::PARAMETER_VERSION_NOT_FOUND,
            SsmError::HierarchyLevelLimit => codes::HIERARCHY_LEVEL_LIMIT_EXCEEDED_EXCEPTION,
            SsmError::PatternMismatch(_) => codes::PARAMETER_PATTERN_MISMATCH_EXCEPTION,
            SsmError::InvalidAllowedPattern(_) => codes::INVALID_ALLOWED_PATTERN_EXCEPTION,
            SsmError::InvalidKeyId(_) => codes::INVALID_KEY_ID,
            SsmError::MaxVersionLimit { .. } => codes::PARAMETER_MAX_VERSION_LIMIT_EXCEEDED,
            SsmError::LabelLimit => codes::PARAMETER_VERSION_LABEL_LIMIT_EXCEEDED,
            SsmError::InvalidFilterKey(_) => codes::INVALID_FILTER_KEY,
            SsmError::InvalidFilterValue(_) => codes::INVALID_FILTER_VALUE,
            SsmError::InvalidFilterOption(_) => codes::INVALID_FILTER_OPTION,
            SsmError::InvalidNextToken => codes::INVALID_NEXT_TOKEN,
            SsmError::InvalidResourceId => codes::INVALID_RESOURCE_ID,
            SsmError::InvalidResourceType => codes::INVALID_RESOURCE_TYPE,
            SsmError::TooManyTags => codes::TOO_MANY_TAGS_ERROR,
            SsmError::TooManyUpdates => codes::TOO_MANY_UPDATES,
            SsmError::InvalidPolicyType(_) => codes::INVALID_POLICY_TYPE_EXCEPTION,
            SsmError::InvalidPolicyAttribute(_) => codes::INVALID_POLICY_ATTRIBUTE_EXCEPTION,
            SsmError::IncompatiblePolicy(_) => codes::INCOMPATIBLE_POLICY_EXCEPTION,
            SsmError::Serialization(_) => lamina_core::common::SERIALIZATION_EXCEPTION,
            SsmError::Store(_) | SsmError::Internal(_) => return AwsError::internal(e),
        };
        AwsError::new(code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages() {
        let e: AwsError = SsmError::ParameterAlreadyExists.into();
        assert_eq!(e.code.code, "ParameterAlreadyExists");
        assert!(e.message.starts_with("The parameter already exists."));
        let e: AwsError = SsmError::ParameterNotFound(String::new()).into();
        assert_eq!((e.code.code, e.message.as_str()), ("ParameterNotFound", ""));
        let e: AwsError = SsmError::Store(StoreError::Closed).into();
        assert_eq!(e.code.status, 500);
        assert_eq!(e.message, "An internal error occurred.");
    }
}
