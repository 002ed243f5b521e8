//! Where rest services differ from each other or from their models, as data.
//!
//! | service | malformed body | unknown route |
//! |---|---|---|
//! | lambda | 400 `InvalidRequestContentException` | 404 `UnknownOperationException` |
//! | apigateway, apigatewayv2 | 400 `BadRequestException` | 404 `UnknownOperationException` |
//! | s3 | 400 `MalformedXML` | 405 `MethodNotAllowed` |
//! | others (rest-json) | 400 `SerializationException` | 404 `UnknownOperationException` |

use lamina_core::{ErrorCode, common};
use lamina_model::generated::{apigateway, apigatewayv2, lambda_};

/// rest-json services answer a path no operation matches with a 404 naming this code.
pub const UNKNOWN_OPERATION_404: ErrorCode = ErrorCode {
    shape: "UnknownOperationException",
    code: "UnknownOperationException",
    status: 404,
    sender_fault: true,
};

/// S3's answer to a method/resource combination it does not serve.
pub const S3_METHOD_NOT_ALLOWED: ErrorCode = ErrorCode {
    shape: "MethodNotAllowed",
    code: "MethodNotAllowed",
    status: 405,
    sender_fault: true,
};

/// S3's answer to a body that is not well-formed XML.
pub const S3_MALFORMED_XML: ErrorCode = ErrorCode {
    shape: "MalformedXML",
    code: "MalformedXML",
    status: 400,
    sender_fault: true,
};

/// The error for a body (or a bound header / query value) that does not parse.
pub fn malformed(service: &str) -> ErrorCode {
    match service {
        "lambda" => lambda_::errors::INVALID_REQUEST_CONTENT_EXCEPTION,
        "apigateway" => apigateway::errors::BAD_REQUEST_EXCEPTION,
        "apigatewayv2" => apigatewayv2::errors::BAD_REQUEST_EXCEPTION,
        "s3" => S3_MALFORMED_XML,
        _ => common::SERIALIZATION_EXCEPTION,
    }
}

/// The error for a request no operation's route matches.
pub fn unknown_operation(service: &str) -> ErrorCode {
    match service {
        "s3" => S3_METHOD_NOT_ALLOWED,
        _ => UNKNOWN_OPERATION_404,
    }
}

/// Operations that share their method and URI with a newer one and are only chosen when the
/// request names them with `x-id` (S3's deprecated lifecycle/notification calls;
/// `ListDirectoryBuckets`, which AWS serves on the S3 Express endpoint only).
const SHADOWED: &[(&str, &str)] = &[
    ("s3", "GetBucketLifecycle"),
    ("s3", "PutBucketLifecycle"),
    ("s3", "GetBucketNotification"),
    ("s3", "PutBucketNotification"),
    ("s3", "ListDirectoryBuckets"),
];

pub fn shadowed(service: &str, op: &str) -> bool {
    SHADOWED.iter().any(|(s, o)| *s == service && *o == op)
}
