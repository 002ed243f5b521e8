//! How each family of services reports a failed signature check.
//!
//! The same failure has a different code and status per protocol family: DynamoDB (JSON)
//! answers `InvalidSignatureException` with 400, Lambda (rest-json) the same code with 403,
//! STS (query) `SignatureDoesNotMatch` with 403, S3 its own codes. The family is taken from
//! the credential scope's service via the embedded models' signing names.

use super::Failure;
use lamina_core::{AwsError, ErrorCode, common};

/// The message AWS sends for a signature mismatch (all services but S3).
pub const SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
/// S3's wording of the same.
pub const S3_SIGNATURE_MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
const INVALID_TOKEN_MESSAGE: &str = "The security token included in the request is invalid.";

/// The protocol family whose error conventions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// JSON 1.0/1.1 services: auth errors are 400.
    Json,
    /// rest-json services (Lambda, API Gateway): auth errors are 403.
    RestJson,
    /// query services (STS, SNS, IAM, CloudFormation).
    Query,
    /// S3 (rest-xml).
    S3,
}

impl Style {
    /// The family of the service whose SigV4 signing name is `service`; unknown services
    /// get the JSON conventions.
    pub fn for_signing_name(service: &str) -> Style {
        let info = lamina_model::services()
            .iter()
            .find(|s| s.signing_name == service);
        match info.map(|s| s.protocol) {
            Some("rest-xml") => Style::S3,
            Some("query") | Some("ec2") => Style::Query,
            Some("rest-json") => Style::RestJson,
            _ => Style::Json,
        }
    }
}

fn status(code: ErrorCode, status: u16) -> ErrorCode {
    ErrorCode { status, ..code }
}

/// The code query services send in `<Code>` for a JSON-style shape name (`IncompleteSignature`
/// for `IncompleteSignatureException`).
fn query_code(code: ErrorCode, short: &'static str) -> ErrorCode {
    ErrorCode {
        code: short,
        ..code
    }
}

/// The error for a request without any signature, for callers (the gateway) that look
/// credentials up themselves before calling `verify`.
pub fn missing_authentication(style: Style) -> AwsError {
    to_aws(Failure::Missing, style)
}

/// The error for a signature made with an access key nobody knows.
pub fn unknown_access_key(style: Style, access_key_id: &str) -> AwsError {
    to_aws(Failure::UnknownKey(access_key_id.to_string()), style)
}

/// The wire error for a failure, in the conventions of `style`.
pub(super) fn to_aws(failure: Failure, style: Style) -> AwsError {
    use Style::*;
    match failure {
        Failure::Missing => match style {
            Json => AwsError::new(
                status(common::MISSING_AUTHENTICATION_TOKEN, 400),
                "Request is missing Authentication Token",
            ),
            RestJson => AwsError::new(
                common::MISSING_AUTHENTICATION_TOKEN,
                "Missing Authentication Token",
            ),
            Query => AwsError::new(
                query_code(
                    common::MISSING_AUTHENTICATION_TOKEN,
                    "MissingAuthenticationToken",
                ),
                "Request is missing Authentication Token",
            ),
            S3 => AwsError::new(common::ACCESS_DENIED_XML, "Access Denied"),
        },
        Failure::Malformed(msg) => match style {
            Json => AwsError::new(common::INCOMPLETE_SIGNATURE, msg),
            RestJson => AwsError::new(status(common::INCOMPLETE_SIGNATURE, 403), msg),
            Query => AwsError::new(
                query_code(common::INCOMPLETE_SIGNATURE, "IncompleteSignature"),
                msg,
            ),
            S3 => AwsError::new(
                common::AUTHORIZATION_HEADER_MALFORMED,
                format!("The authorization header is malformed; {msg}"),
            ),
        },
        Failure::PresignMalformed(msg) => match style {
            S3 => AwsError::new(common::AUTHORIZATION_QUERY_PARAMETERS_ERROR, msg),
            other => to_aws(Failure::Malformed(msg), other),
        },
        Failure::UnknownKey(akid) => match style {
            Json => AwsError::new(
                status(common::UNRECOGNIZED_CLIENT, 400),
                INVALID_TOKEN_MESSAGE,
            ),
            RestJson => AwsError::new(common::UNRECOGNIZED_CLIENT, INVALID_TOKEN_MESSAGE),
            Query => AwsError::new(common::INVALID_CLIENT_TOKEN_ID, INVALID_TOKEN_MESSAGE),
            S3 => AwsError::new(
                common::INVALID_ACCESS_KEY_ID,
                "The AWS Access Key Id you provided does not exist in our records.",
            )
            .with_field("AWSAccessKeyId", akid.into()),
        },
        Failure::Mismatch(detail) => match style {
            S3 => AwsError::new(
                common::SIGNATURE_DOES_NOT_MATCH,
                S3_SIGNATURE_MISMATCH_MESSAGE,
            )
            .with_field("AWSAccessKeyId", detail.access_key_id.into())
            .with_field("StringToSign", detail.string_to_sign.into())
            .with_field("SignatureProvided", detail.signature_provided.into())
            .with_field("CanonicalRequest", detail.canonical_request.into()),
            other => signature_error(other, SIGNATURE_MISMATCH_MESSAGE.to_string()),
        },
        Failure::Skewed {
            request_time,
            server_time,
            message,
        } => match style {
            S3 => AwsError::new(
                common::REQUEST_TIME_TOO_SKEWED,
                "The difference between the request time and the current time is too large.",
            )
            .with_field("RequestTime", request_time.into())
            .with_field("ServerTime", server_time.into())
            .with_field("MaxAllowedSkewMilliseconds", "900000".into()),
            other => signature_error(other, message),
        },
        Failure::PresignExpired {
            message,
            s3_message,
        } => match style {
            S3 => AwsError::new(common::ACCESS_DENIED_XML, s3_message),
            other => signature_error(other, message),
        },
        Failure::ContentSha256Mismatch { client, computed } => AwsError::new(
            common::X_AMZ_CONTENT_SHA256_MISMATCH,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
        .with_field("ClientComputedContentSHA256", client.into())
        .with_field("S3ComputedContentSHA256", computed.into()),
    }
}

/// A signature that is wrong or out of its time window (not S3).
fn signature_error(style: Style, message: String) -> AwsError {
    match style {
        Style::Json => AwsError::new(status(common::INVALID_SIGNATURE, 400), message),
        Style::RestJson => AwsError::new(common::INVALID_SIGNATURE, message),
        Style::Query | Style::S3 => AwsError::new(common::SIGNATURE_DOES_NOT_MATCH, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_follow_the_models() {
        assert_eq!(Style::for_signing_name("s3"), Style::S3);
        assert_eq!(Style::for_signing_name("sts"), Style::Query);
        assert_eq!(Style::for_signing_name("dynamodb"), Style::Json);
        assert_eq!(Style::for_signing_name("lambda"), Style::RestJson);
        assert_eq!(Style::for_signing_name("no-such"), Style::Json);
    }

    #[test]
    fn public_constructors_follow_the_style() {
        assert_eq!(
            unknown_access_key(Style::Query, "AK").code.code,
            "InvalidClientTokenId"
        );
        assert_eq!(
            unknown_access_key(Style::S3, "AK").code.code,
            "InvalidAccessKeyId"
        );
        let missing = missing_authentication(Style::Query);
        assert_eq!(
            (missing.code.code, missing.status()),
            ("MissingAuthenticationToken", 403)
        );
    }
}
