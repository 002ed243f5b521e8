//! S3 error codes the model does not declare (S3's error documentation lists them with
//! their statuses), for the S3 service to return and for [`by_code`] lookups.

use lamina_core::ErrorCode;

macro_rules! codes {
    ($($konst:ident = $code:literal, $status:literal;)*) => {
        $(pub const $konst: ErrorCode =
            ErrorCode { shape: $code, code: $code, status: $status, sender_fault: $status < 500 };)*
        /// Every code of this table.
        pub const ALL: &[ErrorCode] = &[$($konst),*];
    };
}

codes! {
    BAD_DIGEST = "BadDigest", 400;
    BUCKET_NOT_EMPTY = "BucketNotEmpty", 409;
    ENTITY_TOO_LARGE = "EntityTooLarge", 400;
    ENTITY_TOO_SMALL = "EntityTooSmall", 400;
    INCOMPLETE_BODY = "IncompleteBody", 400;
    INTERNAL_ERROR = "InternalError", 500;
    INVALID_ACCESS_KEY_ID = "InvalidAccessKeyId", 403;
    INVALID_ARGUMENT = "InvalidArgument", 400;
    INVALID_BUCKET_NAME = "InvalidBucketName", 400;
    INVALID_BUCKET_STATE = "InvalidBucketState", 409;
    INVALID_DIGEST = "InvalidDigest", 400;
    INVALID_LOCATION_CONSTRAINT = "InvalidLocationConstraint", 400;
    INVALID_PART = "InvalidPart", 400;
    INVALID_PART_ORDER = "InvalidPartOrder", 400;
    INVALID_RANGE = "InvalidRange", 416;
    INVALID_STORAGE_CLASS = "InvalidStorageClass", 400;
    INVALID_TAG = "InvalidTag", 400;
    KEY_TOO_LONG = "KeyTooLongError", 400;
    MALFORMED_XML = "MalformedXML", 400;
    MALFORMED_POLICY = "MalformedPolicy", 400;
    METHOD_NOT_ALLOWED = "MethodNotAllowed", 405;
    MISSING_CONTENT_LENGTH = "MissingContentLength", 411;
    NO_SUCH_BUCKET_POLICY = "NoSuchBucketPolicy", 404;
    NO_SUCH_CORS_CONFIGURATION = "NoSuchCORSConfiguration", 404;
    NO_SUCH_LIFECYCLE_CONFIGURATION = "NoSuchLifecycleConfiguration", 404;
    NO_SUCH_TAG_SET = "NoSuchTagSet", 404;
    NO_SUCH_VERSION = "NoSuchVersion", 404;
    NO_SUCH_WEBSITE_CONFIGURATION = "NoSuchWebsiteConfiguration", 404;
    NO_SUCH_PUBLIC_ACCESS_BLOCK_CONFIGURATION = "NoSuchPublicAccessBlockConfiguration", 404;
    OWNERSHIP_CONTROLS_NOT_FOUND = "OwnershipControlsNotFoundError", 404;
    SSE_CONFIGURATION_NOT_FOUND = "ServerSideEncryptionConfigurationNotFoundError", 404;
    NOT_IMPLEMENTED = "NotImplemented", 501;
    NOT_MODIFIED = "NotModified", 304;
    PRECONDITION_FAILED = "PreconditionFailed", 412;
    REQUEST_TIMEOUT = "RequestTimeout", 400;
    SERVICE_UNAVAILABLE = "ServiceUnavailable", 503;
    SIGNATURE_DOES_NOT_MATCH = "SignatureDoesNotMatch", 403;
    SLOW_DOWN = "SlowDown", 503;
    TOO_MANY_BUCKETS = "TooManyBuckets", 400;
    X_AMZ_CONTENT_SHA256_MISMATCH = "XAmzContentSHA256Mismatch", 400;
}

/// A code of this table by its wire name (the model's own codes are in
/// `lamina_model::generated::s3::errors`).
pub fn by_code(code: &str) -> Option<ErrorCode> {
    ALL.iter().find(|c| c.code == code).copied()
}
