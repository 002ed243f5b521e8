//! STS's domain errors and their one mapping to the wire error.

use lamina_core::{AwsError, ErrorCode, common};
use lamina_model::generated::sts::errors;
use lamina_storage::StoreError;

/// `ExpiredToken` is what AWS answers, on every query-protocol service, when the request is
/// signed with temporary credentials past their expiration. It is an authentication error,
/// not an error shape of the STS model, so it is declared here.
pub const EXPIRED_TOKEN: ErrorCode = ErrorCode {
    shape: "ExpiredToken",
    code: "ExpiredToken",
    status: 403,
    sender_fault: true,
};

/// `AccessDenied` as query-protocol services send it (the JSON services' spelling,
/// `AccessDeniedException`, is `lamina_core::common::ACCESS_DENIED`).
pub const ACCESS_DENIED: ErrorCode = ErrorCode {
    shape: "AccessDenied",
    code: "AccessDenied",
    status: 403,
    sender_fault: true,
};

#[derive(Debug, thiserror::Error)]
pub enum StsError {
    /// `RoleArn` is not an IAM role ARN.
    #[error("{0} is invalid")]
    InvalidRoleArn(String),
    /// A role session asked for more than an hour when assuming another role.
    #[error(
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
    )]
    ChainedSessionTooLong,
    /// The request was signed with Lamina-issued temporary credentials that have expired.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    /// GetSessionToken called with temporary credentials.
    #[error("Cannot call GetSessionToken with session credentials")]
    SessionCredentials,
    /// The session policy is not a JSON object.
    #[error("The policy is not in the valid JSON format.")]
    MalformedPolicy,
    /// The session policies exceed the packed size limit; the value is the percentage used.
    #[error(
        "Packed policy consumes {0}% of allotted space, please use smaller policy for this action."
    )]
    PackedPolicyTooLarge(u32),
    /// The canonical input did not have the operation's shape (the gateway validates it, so
    /// this means a codec or model mismatch).
    #[error("{0}")]
    Input(String),
    #[error("stored credentials are corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<StsError> for AwsError {
    fn from(e: StsError) -> Self {
        let message = e.to_string();
        match e {
            StsError::InvalidRoleArn(_) | StsError::ChainedSessionTooLong | StsError::Input(_) => {
                AwsError::new(common::VALIDATION_ERROR, message)
            }
            StsError::ExpiredToken => AwsError::new(EXPIRED_TOKEN, message),
            StsError::SessionCredentials => AwsError::new(ACCESS_DENIED, message),
            StsError::MalformedPolicy => {
                AwsError::new(errors::MALFORMED_POLICY_DOCUMENT_EXCEPTION, message)
            }
            StsError::PackedPolicyTooLarge(_) => {
                AwsError::new(errors::PACKED_POLICY_TOO_LARGE_EXCEPTION, message)
            }
            StsError::Corrupt(_) | StsError::Store(_) => AwsError::internal(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_to_aws_codes_and_messages() {
        let e: AwsError = StsError::InvalidRoleArn("arn:aws:s3:::bucket-name-long".into()).into();
        assert_eq!(e.code.code, "ValidationError");
        assert_eq!(e.status(), 400);
        assert_eq!(e.message, "arn:aws:s3:::bucket-name-long is invalid");

        let e: AwsError = StsError::ExpiredToken.into();
        assert_eq!((e.code.code, e.status()), ("ExpiredToken", 403));

        let e: AwsError = StsError::PackedPolicyTooLarge(140).into();
        assert_eq!(e.code.code, "PackedPolicyTooLarge");
        assert!(e.message.contains("140%"));

        let e: AwsError = StsError::Store(StoreError::Closed).into();
        assert_eq!(e.status(), 500);
        assert_eq!(e.message, "An internal error occurred.");
        assert!(e.cause().is_some_and(|c| c.contains("closed")));
    }
}
