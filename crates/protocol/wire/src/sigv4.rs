//! SigV4: reading the credential scope of a request, and verifying its signature.
//!
//! * [`credential_scope`] reads `AKID/date/region/service` from the `Authorization` header
//!   or a presigned URL's `X-Amz-Credential`. It is cheap and total (malformed → `None`); the
//!   gateway uses it for service detection and to name the caller.
//! * [`verify`] rebuilds the canonical request from the client's `SignedHeaders` exactly as
//!   AWS does and compares signatures in constant time: canonical URI normalized and encoded
//!   twice for every service but S3 (S3: not normalized, encoded once); query parameters
//!   decoded, re-encoded and sorted; header values trimmed with inner whitespace collapsed;
//!   `x-amz-content-sha256` used as the payload hash when present, else sha256 of the body.
//!   The request time must be within 15 minutes of the server's; presigned URLs must be
//!   within `X-Amz-Expires` (at most a week).
//!
//! Errors carry the code, status and wording each service family sends (see [`errors`]).
//!
//! Known differences from AWS:
//! * `aws-chunked` bodies (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`,
//!   `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, ...): the seed signature over the headers is
//!   verified; chunk signatures and trailers are not (yet). [`VerifiedCaller::streaming`]
//!   hands the seed signature and signing key to whoever decodes the chunks.
//! * When the strict canonical form does not match, a few variants real clients produce
//!   (the raw wire path; the other payload hash of a presigned URL) are tried before
//!   answering `SignatureDoesNotMatch`. This never accepts a request the secret did not sign.
//! * SigV4A (`AWS4-ECDSA-P256-SHA256`) and SigV2 are not supported.
//! * The credential scope's region and service are not checked against the endpoint.

pub mod canonical;
pub mod errors;
mod parse;

pub use canonical::{ALGORITHM, EMPTY_SHA256, UriMode};
pub use errors::Style;
pub use parse::MAX_PRESIGN_EXPIRES;

use crate::HttpRequest;
use canonical::{canonical_request, sha256_hex, signing_key, string_to_sign};
use lamina_core::AwsError;
use std::time::{SystemTime, UNIX_EPOCH};

/// How far the request time may be from the server's, in seconds.
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// `x-amz-content-sha256` of a request whose body is not signed.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Prefix of every `aws-chunked` payload hash (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`,
/// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, `...-TRAILER`, `...-ECDSA-...`).
pub const STREAMING_PREFIX: &str = "STREAMING-";

/// The credential a request was signed with: `AKID/20240101/us-east-1/ssm/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    pub access_key_id: String,
    /// `YYYYMMDD`.
    pub date: String,
    pub region: String,
    /// The signing name (`ssm`, `s3`, `execute-api`, ...).
    pub service: String,
}

/// A caller whose signature checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCaller {
    pub scope: CredentialScope,
    /// `X-Amz-Security-Token`, for temporary credentials.
    pub session_token: Option<String>,
    /// Whether the signature came in the query string (presigned URL).
    pub presigned: bool,
    /// The request time, seconds since the epoch.
    pub signed_at: i64,
    /// Set for `aws-chunked` bodies: what chunk verification needs.
    pub streaming: Option<StreamingSeed>,
}

/// The context of an `aws-chunked` body's chunk signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamingSeed {
    /// The `x-amz-content-sha256` value (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, ...).
    pub payload: String,
    /// The verified signature of the headers, which the first chunk's signature chains from.
    pub seed_signature: String,
    pub amz_date: String,
    /// `date/region/service/aws4_request`.
    pub scope: String,
    pub signing_key: [u8; 32],
}

/// Why a signature check failed; mapped to the service family's error in [`errors`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    Missing,
    Malformed(String),
    PresignMalformed(String),
    UnknownKey(String),
    Mismatch(Box<MismatchDetail>),
    Skewed {
        request_time: String,
        server_time: String,
        message: String,
    },
    PresignExpired {
        message: String,
        s3_message: String,
    },
    ContentSha256Mismatch {
        client: String,
        computed: String,
    },
}

/// What S3 reports back about a mismatch, to help the client debug its signer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MismatchDetail {
    access_key_id: String,
    string_to_sign: String,
    signature_provided: String,
    canonical_request: String,
}

/// Reads the credential scope from the `Authorization` header or the presigned query.
/// Never fails loudly: anything malformed gives `None`.
pub fn credential_scope(req: &HttpRequest) -> Option<CredentialScope> {
    let credential = match req.header("authorization") {
        Some(auth) => {
            let rest = auth.trim_start().strip_prefix(ALGORITHM)?;
            let start = rest.find("Credential=")? + "Credential=".len();
            let tail = rest.get(start..)?;
            let end = tail.find([',', ' ']).unwrap_or(tail.len());
            tail.get(..end)?.to_string()
        }
        None => parse::query_param(&req.query, "X-Amz-Credential")?,
    };
    parse::parse_credential(&credential)
        .ok()
        .map(|(scope, _)| scope)
}

/// Verifies the request's SigV4 signature. `secret_for` maps an access key id to its secret
/// access key (`None`: unknown key); `now` is the server's clock.
pub fn verify(
    req: &HttpRequest,
    secret_for: impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<VerifiedCaller, AwsError> {
    verify_inner(req, secret_for, now).map_err(|f| {
        let style = credential_scope(req)
            .map(|s| Style::for_signing_name(&s.service))
            .unwrap_or(Style::Json);
        errors::to_aws(f, style)
    })
}

/// Like [`verify`], with the error style chosen by the caller (e.g. from the service the
/// gateway detected by other means).
pub fn verify_as(
    req: &HttpRequest,
    style: Style,
    secret_for: impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<VerifiedCaller, AwsError> {
    verify_inner(req, secret_for, now).map_err(|f| errors::to_aws(f, style))
}

fn verify_inner(
    req: &HttpRequest,
    secret_for: impl Fn(&str) -> Option<String>,
    now: SystemTime,
) -> Result<VerifiedCaller, Failure> {
    let parts = match parse::form(req) {
        parse::Form::Header(auth) => parse::from_header(req, auth)?,
        parse::Form::Query => parse::from_query(req)?,
        parse::Form::None => return Err(Failure::Missing),
    };
    let presigned = parts.expires.is_some();
    let is_s3 = Style::for_signing_name(&parts.scope.service) == Style::S3;

    let amz_day = parts.amz_date.get(..8).unwrap_or_default();
    if parts.scope.date != amz_day {
        return Err(Failure::Malformed(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
            parts.scope.date, amz_day, parts.amz_date
        )));
    }

    let Some(secret) = secret_for(&parts.scope.access_key_id) else {
        return Err(Failure::UnknownKey(parts.scope.access_key_id));
    };

    check_time(&parts, now)?;

    let signed: Vec<&str> = parts.signed_headers.iter().map(String::as_str).collect();
    let content_sha = req.header("x-amz-content-sha256").map(str::trim);
    let body_hash = || sha256_hex(&req.body);
    // (payload hash, uri mode) candidates, strictest first.
    let uri_modes: &[UriMode] = if is_s3 {
        &[UriMode::S3SingleEncoded, UriMode::Raw]
    } else {
        &[UriMode::NormalizedDoubleEncoded, UriMode::Raw]
    };
    let payloads: Vec<String> = match (content_sha, presigned) {
        (Some(h), _) => vec![h.to_string()],
        (None, false) => vec![body_hash()],
        (None, true) if is_s3 => vec![UNSIGNED_PAYLOAD.to_string(), body_hash()],
        (None, true) => vec![body_hash(), UNSIGNED_PAYLOAD.to_string()],
    };
    let skip: &[&str] = if presigned { &["X-Amz-Signature"] } else { &[] };

    let key = signing_key(
        &secret,
        &parts.scope.date,
        &parts.scope.region,
        &parts.scope.service,
    );
    let mut first: Option<(String, String)> = None;
    let mut matched = None;
    'outer: for payload in &payloads {
        for mode in uri_modes {
            let creq = canonical_request(req, *mode, skip, &signed, payload);
            let sts = string_to_sign(&parts.amz_date, &parts.scope_string, &creq);
            if canonical::signature_matches(&key, &sts, &parts.signature) {
                matched = Some(payload.clone());
                break 'outer;
            }
            if first.is_none() {
                first = Some((creq, sts));
            }
        }
    }
    let Some(payload) = matched else {
        let (canonical_request, string_to_sign) = first.unwrap_or_default();
        return Err(Failure::Mismatch(Box::new(MismatchDetail {
            access_key_id: parts.scope.access_key_id,
            string_to_sign,
            signature_provided: parts.signature,
            canonical_request,
        })));
    };

    // A signed hex payload hash must be the body's (S3 checks this; the others would have
    // failed the signature already unless the client sent the header).
    if content_sha.is_some()
        && payload.len() == 64
        && payload.bytes().all(|b| b.is_ascii_hexdigit())
    {
        let computed = body_hash();
        if !computed.eq_ignore_ascii_case(&payload) {
            return Err(Failure::ContentSha256Mismatch {
                client: payload,
                computed,
            });
        }
    }

    let streaming = payload
        .starts_with(STREAMING_PREFIX)
        .then(|| StreamingSeed {
            payload: payload.clone(),
            seed_signature: parts.signature.to_ascii_lowercase(),
            amz_date: parts.amz_date.clone(),
            scope: parts.scope_string.clone(),
            signing_key: key,
        });
    Ok(VerifiedCaller {
        scope: parts.scope,
        session_token: parts.session_token,
        presigned,
        signed_at: parts.epoch,
        streaming,
    })
}

fn check_time(parts: &parse::SignedParts, now: SystemTime) -> Result<(), Failure> {
    let now = match now.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    };
    let t = parts.epoch;
    let fmt = parse::format_amz_date;
    if let Some(expires) = parts.expires {
        let expires = i64::try_from(expires).unwrap_or(i64::MAX);
        if now > t.saturating_add(expires) {
            return Err(Failure::PresignExpired {
                message: format!(
                    "Signature expired: {} is now earlier than {} ({} - {} sec.)",
                    parts.amz_date,
                    fmt(now - expires),
                    fmt(now),
                    expires
                ),
                s3_message: "Request has expired".into(),
            });
        }
        if t > now.saturating_add(MAX_SKEW_SECS) {
            return Err(Failure::PresignExpired {
                message: not_yet_current(&parts.amz_date, now),
                s3_message: "Request is not valid yet".into(),
            });
        }
        return Ok(());
    }
    if t < now.saturating_sub(MAX_SKEW_SECS) {
        return Err(Failure::Skewed {
            request_time: parts.amz_date.clone(),
            server_time: fmt(now),
            message: format!(
                "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                parts.amz_date,
                fmt(now - MAX_SKEW_SECS),
                fmt(now)
            ),
        });
    }
    if t > now.saturating_add(MAX_SKEW_SECS) {
        return Err(Failure::Skewed {
            request_time: parts.amz_date.clone(),
            server_time: fmt(now),
            message: not_yet_current(&parts.amz_date, now),
        });
    }
    Ok(())
}

fn not_yet_current(amz_date: &str, now: i64) -> String {
    format!(
        "Signature not yet current: {} is still later than {} ({} + 15 min.)",
        amz_date,
        parse::format_amz_date(now.saturating_add(MAX_SKEW_SECS)),
        parse::format_amz_date(now)
    )
}
