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

/// The XML namespace a rest-xml service puts on every response's root element (S3's model
/// does not declare it in its metadata).
pub fn xml_namespace(service: &str) -> Option<&'static str> {
    match service {
        "s3" => Some("http://s3.amazonaws.com/doc/2006-03-01/"),
        _ => None,
    }
}

/// Root element names of S3 responses without a payload member: AWS's names, which the
/// stripped model does not carry. Others default to the output shape's name.
const XML_ROOTS: &[(&str, &str, &str)] = &[
    ("s3", "ListBucketsOutput", "ListAllMyBucketsResult"),
    (
        "s3",
        "ListDirectoryBucketsOutput",
        "ListAllMyDirectoryBucketsResult",
    ),
    ("s3", "ListObjectsOutput", "ListBucketResult"),
    ("s3", "ListObjectsV2Output", "ListBucketResult"),
    ("s3", "ListObjectVersionsOutput", "ListVersionsResult"),
    (
        "s3",
        "ListMultipartUploadsOutput",
        "ListMultipartUploadsResult",
    ),
    ("s3", "ListPartsOutput", "ListPartsResult"),
    (
        "s3",
        "CreateMultipartUploadOutput",
        "InitiateMultipartUploadResult",
    ),
    (
        "s3",
        "CompleteMultipartUploadOutput",
        "CompleteMultipartUploadResult",
    ),
    ("s3", "DeleteObjectsOutput", "DeleteResult"),
    ("s3", "GetObjectTaggingOutput", "Tagging"),
    ("s3", "GetBucketTaggingOutput", "Tagging"),
    ("s3", "GetObjectAclOutput", "AccessControlPolicy"),
    ("s3", "GetBucketAclOutput", "AccessControlPolicy"),
    ("s3", "GetBucketVersioningOutput", "VersioningConfiguration"),
    ("s3", "GetBucketCorsOutput", "CORSConfiguration"),
    (
        "s3",
        "GetBucketLifecycleConfigurationOutput",
        "LifecycleConfiguration",
    ),
    (
        "s3",
        "GetBucketNotificationConfigurationOutput",
        "NotificationConfiguration",
    ),
    ("s3", "GetBucketWebsiteOutput", "WebsiteConfiguration"),
    (
        "s3",
        "GetBucketAccelerateConfigurationOutput",
        "AccelerateConfiguration",
    ),
    (
        "s3",
        "GetBucketRequestPaymentOutput",
        "RequestPaymentConfiguration",
    ),
    ("s3", "GetBucketLoggingOutput", "BucketLoggingStatus"),
    (
        "s3",
        "GetObjectAttributesOutput",
        "GetObjectAttributesResponse",
    ),
];

/// The root element of an XML output body without payload member.
pub fn xml_root<'a>(service: &str, shape_name: &'a str, location_name: Option<&'a str>) -> &'a str {
    if let Some(n) = location_name {
        return n;
    }
    XML_ROOTS
        .iter()
        .find(|(s, shape, _)| *s == service && *shape == shape_name)
        .map_or(shape_name, |(_, _, root)| root)
}

/// Outputs whose body is one element holding a member's text directly:
/// `GetBucketLocation` answers `<LocationConstraint>eu-west-1</LocationConstraint>`, which
/// SDKs read as the root's text.
pub fn xml_text_root(service: &str, shape_name: &str) -> Option<&'static str> {
    match (service, shape_name) {
        ("s3", "GetBucketLocationOutput") => Some("LocationConstraint"),
        _ => None,
    }
}
