use std::fmt;

/// One error shape of a service model: its wire code and HTTP status.
///
/// Constants of this type are generated from the API models (`lamina-model`), so a service
/// never invents an error code by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The model's shape name: the code JSON and rest-json protocols send (`__type`).
    pub shape: &'static str,
    /// The code query and XML protocols send (`<Code>`); the model's `error.code`, which
    /// differs from the shape name in a few services (SQS's `AWS.SimpleQueueService.*`).
    pub code: &'static str,
    /// HTTP status.
    pub status: u16,
    /// Whether the fault is the caller's (`Sender`) or the service's (`Receiver`).
    pub sender_fault: bool,
}

/// Errors every AWS protocol knows, independent of a service model.
pub mod common {
    use super::ErrorCode;

    pub const SERIALIZATION_EXCEPTION: ErrorCode = ErrorCode {
        shape: "SerializationException",
        code: "SerializationException",
        status: 400,
        sender_fault: true,
    };
    pub const VALIDATION_EXCEPTION: ErrorCode = ErrorCode {
        shape: "ValidationException",
        code: "ValidationException",
        status: 400,
        sender_fault: true,
    };
    /// Query-protocol services answer validation failures with this code.
    pub const VALIDATION_ERROR: ErrorCode = ErrorCode {
        shape: "ValidationError",
        code: "ValidationError",
        status: 400,
        sender_fault: true,
    };
    pub const UNKNOWN_OPERATION: ErrorCode = ErrorCode {
        shape: "UnknownOperationException",
        code: "UnknownOperationException",
        status: 400,
        sender_fault: true,
    };
    pub const INVALID_ACTION: ErrorCode = ErrorCode {
        shape: "InvalidAction",
        code: "InvalidAction",
        status: 400,
        sender_fault: true,
    };
    pub const MISSING_ACTION: ErrorCode = ErrorCode {
        shape: "MissingAction",
        code: "MissingAction",
        status: 400,
        sender_fault: true,
    };
    pub const NOT_IMPLEMENTED: ErrorCode = ErrorCode {
        shape: "NotImplemented",
        code: "NotImplemented",
        status: 501,
        sender_fault: false,
    };
    pub const INTERNAL_FAILURE: ErrorCode = ErrorCode {
        shape: "InternalFailure",
        code: "InternalFailure",
        status: 500,
        sender_fault: false,
    };
    pub const INTERNAL_SERVER_ERROR: ErrorCode = ErrorCode {
        shape: "InternalServerError",
        code: "InternalServerError",
        status: 500,
        sender_fault: false,
    };
    pub const INCOMPLETE_SIGNATURE: ErrorCode = ErrorCode {
        shape: "IncompleteSignatureException",
        code: "IncompleteSignatureException",
        status: 400,
        sender_fault: true,
    };
    pub const SIGNATURE_DOES_NOT_MATCH: ErrorCode = ErrorCode {
        shape: "SignatureDoesNotMatch",
        code: "SignatureDoesNotMatch",
        status: 403,
        sender_fault: true,
    };
    pub const MISSING_AUTHENTICATION_TOKEN: ErrorCode = ErrorCode {
        shape: "MissingAuthenticationTokenException",
        code: "MissingAuthenticationTokenException",
        status: 403,
        sender_fault: true,
    };
    pub const INVALID_SIGNATURE: ErrorCode = ErrorCode {
        shape: "InvalidSignatureException",
        code: "InvalidSignatureException",
        status: 403,
        sender_fault: true,
    };
    pub const UNRECOGNIZED_CLIENT: ErrorCode = ErrorCode {
        shape: "UnrecognizedClientException",
        code: "UnrecognizedClientException",
        status: 403,
        sender_fault: true,
    };
    pub const REQUEST_EXPIRED: ErrorCode = ErrorCode {
        shape: "RequestExpired",
        code: "RequestExpired",
        status: 400,
        sender_fault: true,
    };
    /// Query-protocol services (STS, IAM, SNS) for an unknown access key.
    pub const INVALID_CLIENT_TOKEN_ID: ErrorCode = ErrorCode {
        shape: "InvalidClientTokenId",
        code: "InvalidClientTokenId",
        status: 403,
        sender_fault: true,
    };
    /// S3 for an unknown access key.
    pub const INVALID_ACCESS_KEY_ID: ErrorCode = ErrorCode {
        shape: "InvalidAccessKeyId",
        code: "InvalidAccessKeyId",
        status: 403,
        sender_fault: true,
    };
    /// S3 for a malformed SigV4 `Authorization` header.
    pub const AUTHORIZATION_HEADER_MALFORMED: ErrorCode = ErrorCode {
        shape: "AuthorizationHeaderMalformed",
        code: "AuthorizationHeaderMalformed",
        status: 400,
        sender_fault: true,
    };
    /// S3 for malformed presigned-URL parameters.
    pub const AUTHORIZATION_QUERY_PARAMETERS_ERROR: ErrorCode = ErrorCode {
        shape: "AuthorizationQueryParametersError",
        code: "AuthorizationQueryParametersError",
        status: 400,
        sender_fault: true,
    };
    /// S3 when the request time is more than 15 minutes from the server's.
    pub const REQUEST_TIME_TOO_SKEWED: ErrorCode = ErrorCode {
        shape: "RequestTimeTooSkewed",
        code: "RequestTimeTooSkewed",
        status: 403,
        sender_fault: true,
    };
    /// S3 when the body does not hash to the signed `x-amz-content-sha256`.
    pub const X_AMZ_CONTENT_SHA256_MISMATCH: ErrorCode = ErrorCode {
        shape: "XAmzContentSHA256Mismatch",
        code: "XAmzContentSHA256Mismatch",
        status: 400,
        sender_fault: true,
    };
    /// The short `AccessDenied` (403) of S3 and the query/XML services, e.g. for an expired
    /// presigned URL.
    pub const ACCESS_DENIED_XML: ErrorCode = ErrorCode {
        shape: "AccessDenied",
        code: "AccessDenied",
        status: 403,
        sender_fault: true,
    };
    pub const ACCESS_DENIED: ErrorCode = ErrorCode {
        shape: "AccessDeniedException",
        code: "AccessDeniedException",
        status: 400,
        sender_fault: true,
    };
    pub const THROTTLING: ErrorCode = ErrorCode {
        shape: "ThrottlingException",
        code: "ThrottlingException",
        status: 400,
        sender_fault: true,
    };
}

/// The error a client sees: code, message and status, serialized by the protocol codec in
/// the service's wire format.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsError {
    pub code: ErrorCode,
    pub message: String,
    /// Extra members of the error shape (e.g. `CancellationReasons`), in canonical form.
    /// Boxed so that `Result<_, AwsError>` stays small on the happy path.
    pub fields: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl AwsError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: None,
        }
    }

    /// Adds a member of the error shape.
    pub fn with_field(mut self, name: &str, value: serde_json::Value) -> Self {
        self.fields
            .get_or_insert_with(Default::default)
            .insert(name.to_string(), value);
        self
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(common::SERIALIZATION_EXCEPTION, message)
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(common::VALIDATION_EXCEPTION, message)
    }

    /// The generic 500 for a failure the client cannot act on. The cause is logged once, at
    /// the gateway, with the request id; the client sees only a generic message.
    pub fn internal(cause: impl fmt::Display) -> Self {
        Self::new(common::INTERNAL_FAILURE, "An internal error occurred.")
            .with_field("__cause", serde_json::Value::String(cause.to_string()))
    }

    /// The internal cause attached by [`AwsError::internal`], for logging; never sent.
    pub fn cause(&self) -> Option<&str> {
        self.fields.as_ref()?.get("__cause")?.as_str()
    }

    pub fn status(&self) -> u16 {
        self.code.status
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code.code, self.code.status, self.message
        )
    }
}

impl std::error::Error for AwsError {}
