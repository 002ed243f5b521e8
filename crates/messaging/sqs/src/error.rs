//! The domain error of SQS and its single mapping to the wire error.

use lamina_core::{AwsError, ErrorCode};
use lamina_model::generated::sqs::errors as codes;
use lamina_storage::StoreError;

/// `InvalidParameterValue`: SQS's common error for a parameter that breaks a rule. It is not
/// an error shape of the model (it is one of the query protocol's common errors), so it is
/// declared here, in the one place codes are picked.
pub const INVALID_PARAMETER_VALUE: ErrorCode = ErrorCode {
    shape: "InvalidParameterValue",
    code: "InvalidParameterValue",
    status: 400,
    sender_fault: true,
};

/// `MissingParameter`: a required parameter the model leaves optional (FIFO's group id).
pub const MISSING_PARAMETER: ErrorCode = ErrorCode {
    shape: "MissingParameter",
    code: "MissingParameter",
    status: 400,
    sender_fault: true,
};

/// The query-protocol code of an error shape, where it differs from the shape name.
///
/// SQS is `awsQueryCompatible`: the JSON protocol answers `__type` with the shape name and
/// `x-amzn-query-error: <code>;Sender` with the code the query protocol always used, and SDKs
/// report that code (boto3: `AWS.SimpleQueueService.NonExistentQueue`). AWS's Smithy model
/// carries these codes (`awsQueryError` traits); the botocore model the tables are generated
/// from does not, so the differing ones are listed here, from AWS's model. The gateway's
/// codecs put `code` in the query `<Code>` and the JSON `x-amzn-query-error` header, `shape`
/// in `__type`.
const fn query_code(base: ErrorCode, code: &'static str) -> ErrorCode {
    ErrorCode { code, ..base }
}

pub const QUEUE_DOES_NOT_EXIST: ErrorCode = query_code(
    codes::QUEUE_DOES_NOT_EXIST,
    "AWS.SimpleQueueService.NonExistentQueue",
);
pub const QUEUE_DELETED_RECENTLY: ErrorCode = query_code(
    codes::QUEUE_DELETED_RECENTLY,
    "AWS.SimpleQueueService.QueueDeletedRecently",
);
pub const QUEUE_NAME_EXISTS: ErrorCode = query_code(codes::QUEUE_NAME_EXISTS, "QueueAlreadyExists");
pub const PURGE_QUEUE_IN_PROGRESS: ErrorCode = query_code(
    codes::PURGE_QUEUE_IN_PROGRESS,
    "AWS.SimpleQueueService.PurgeQueueInProgress",
);
pub const MESSAGE_NOT_INFLIGHT: ErrorCode = query_code(
    codes::MESSAGE_NOT_INFLIGHT,
    "AWS.SimpleQueueService.MessageNotInflight",
);
pub const EMPTY_BATCH_REQUEST: ErrorCode = query_code(
    codes::EMPTY_BATCH_REQUEST,
    "AWS.SimpleQueueService.EmptyBatchRequest",
);
pub const TOO_MANY_ENTRIES_IN_BATCH_REQUEST: ErrorCode = query_code(
    codes::TOO_MANY_ENTRIES_IN_BATCH_REQUEST,
    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
);
pub const BATCH_ENTRY_IDS_NOT_DISTINCT: ErrorCode = query_code(
    codes::BATCH_ENTRY_IDS_NOT_DISTINCT,
    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
);
pub const INVALID_BATCH_ENTRY_ID: ErrorCode = query_code(
    codes::INVALID_BATCH_ENTRY_ID,
    "AWS.SimpleQueueService.InvalidBatchEntryId",
);
pub const BATCH_REQUEST_TOO_LONG: ErrorCode = query_code(
    codes::BATCH_REQUEST_TOO_LONG,
    "AWS.SimpleQueueService.BatchRequestTooLong",
);
pub const UNSUPPORTED_OPERATION: ErrorCode = query_code(
    codes::UNSUPPORTED_OPERATION,
    "AWS.SimpleQueueService.UnsupportedOperation",
);

/// Everything an operation can fail with. Messages follow AWS's wording.
#[derive(Debug, thiserror::Error)]
pub enum SqsError {
    #[error("The specified queue does not exist.")]
    QueueDoesNotExist,
    #[error("A queue already exists with the same name and a different value for attribute {0}")]
    QueueNameExists(String),
    #[error(
        "You must wait 60 seconds after deleting a queue before you can create another with the same name."
    )]
    QueueDeletedRecently,
    #[error("{0}")]
    InvalidParameterValue(String),
    #[error("The request must contain the parameter {0}.")]
    MissingParameter(String),
    #[error("{0}")]
    InvalidAttributeName(String),
    #[error("{0}")]
    InvalidAttributeValue(String),
    #[error(
        "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
    )]
    InvalidMessageContents,
    #[error("The input receipt handle \"{0}\" is not a valid receipt handle.")]
    ReceiptHandleIsInvalid(String),
    #[error("Message does not exist or is not available for visibility timeout change.")]
    MessageNotInflight,
    #[error("Only one PurgeQueue operation on {0} is allowed every 60 seconds.")]
    PurgeQueueInProgress(String),
    #[error("There should be at least one {0} in the request.")]
    EmptyBatchRequest(&'static str),
    #[error("Maximum number of entries per request are 10. You have sent {0}.")]
    TooManyEntriesInBatchRequest(usize),
    #[error("Id {0} repeated.")]
    BatchEntryIdsNotDistinct(String),
    #[error(
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."
    )]
    InvalidBatchEntryId,
    #[error("Batch requests cannot be longer than {max} bytes. You have sent {sent} bytes.")]
    BatchRequestTooLong { max: usize, sent: usize },
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    UnsupportedOperation(String),
    /// The request could not be read as the operation's input.
    #[error("{0}")]
    Serialization(String),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, SqsError>;

impl SqsError {
    /// `Value {value} for parameter {param} is invalid. Reason: {reason}`: AWS's form.
    pub fn invalid(value: impl std::fmt::Display, param: &str, reason: &str) -> Self {
        SqsError::InvalidParameterValue(format!(
            "Value {value} for parameter {param} is invalid. Reason: {reason}"
        ))
    }

    /// The wire code, or `None` for an internal failure (the generic 500).
    pub fn code(&self) -> Option<ErrorCode> {
        Some(match self {
            SqsError::QueueDoesNotExist => QUEUE_DOES_NOT_EXIST,
            SqsError::QueueNameExists(_) => QUEUE_NAME_EXISTS,
            SqsError::QueueDeletedRecently => QUEUE_DELETED_RECENTLY,
            SqsError::InvalidParameterValue(_) => INVALID_PARAMETER_VALUE,
            SqsError::MissingParameter(_) => MISSING_PARAMETER,
            SqsError::InvalidAttributeName(_) => codes::INVALID_ATTRIBUTE_NAME,
            SqsError::InvalidAttributeValue(_) => codes::INVALID_ATTRIBUTE_VALUE,
            SqsError::InvalidMessageContents => codes::INVALID_MESSAGE_CONTENTS,
            SqsError::ReceiptHandleIsInvalid(_) => codes::RECEIPT_HANDLE_IS_INVALID,
            SqsError::MessageNotInflight => MESSAGE_NOT_INFLIGHT,
            SqsError::PurgeQueueInProgress(_) => PURGE_QUEUE_IN_PROGRESS,
            SqsError::EmptyBatchRequest(_) => EMPTY_BATCH_REQUEST,
            SqsError::TooManyEntriesInBatchRequest(_) => TOO_MANY_ENTRIES_IN_BATCH_REQUEST,
            SqsError::BatchEntryIdsNotDistinct(_) => BATCH_ENTRY_IDS_NOT_DISTINCT,
            SqsError::InvalidBatchEntryId => INVALID_BATCH_ENTRY_ID,
            SqsError::BatchRequestTooLong { .. } => BATCH_REQUEST_TOO_LONG,
            SqsError::ResourceNotFound(_) => codes::RESOURCE_NOT_FOUND_EXCEPTION,
            SqsError::UnsupportedOperation(_) => UNSUPPORTED_OPERATION,
            SqsError::Serialization(_) => lamina_core::common::SERIALIZATION_EXCEPTION,
            SqsError::Store(_) | SqsError::Internal(_) => return None,
        })
    }

    /// A store conflict: the caller re-reads and retries.
    pub fn is_conflict(&self) -> bool {
        matches!(self, SqsError::Store(StoreError::Conflict { .. }))
    }
}

impl From<SqsError> for AwsError {
    fn from(e: SqsError) -> Self {
        match e.code() {
            Some(code) => AwsError::new(code, e.to_string()),
            None => AwsError::internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages() {
        let e: AwsError = SqsError::QueueDoesNotExist.into();
        assert_eq!(
            (e.code.shape, e.code.code, e.message.as_str()),
            (
                "QueueDoesNotExist",
                "AWS.SimpleQueueService.NonExistentQueue",
                "The specified queue does not exist."
            )
        );
        let e: AwsError = SqsError::QueueDeletedRecently.into();
        assert_eq!(
            (e.code.shape, e.code.code, e.code.status, e.message.as_str()),
            (
                "QueueDeletedRecently",
                "AWS.SimpleQueueService.QueueDeletedRecently",
                400,
                "You must wait 60 seconds after deleting a queue before you can create another with the same name."
            )
        );
        let e: AwsError = SqsError::ReceiptHandleIsInvalid("x".into()).into();
        assert_eq!(
            e.message,
            "The input receipt handle \"x\" is not a valid receipt handle."
        );
        let e: AwsError = SqsError::invalid(5, "DelaySeconds", "nope").into();
        assert_eq!(e.code.code, "InvalidParameterValue");
        assert_eq!(
            e.message,
            "Value 5 for parameter DelaySeconds is invalid. Reason: nope"
        );
        let e: AwsError = SqsError::Store(StoreError::Closed).into();
        assert_eq!(e.code.status, 500);
    }
}
