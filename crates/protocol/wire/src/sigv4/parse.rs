//! Reading the signature's parts from the `Authorization` header or a presigned URL's
//! query string, and the request time from `X-Amz-Date` / `Date`.

use super::canonical::{ALGORITHM, TERMINATOR};
use super::{CredentialScope, Failure};
use crate::HttpRequest;
use percent_encoding::percent_decode_str;

/// Presigned URLs live at most a week.
pub const MAX_PRESIGN_EXPIRES: u64 = 604_800;

/// Everything the client said about its signature.
#[derive(Debug, Clone)]
pub(super) struct SignedParts {
    pub scope: CredentialScope,
    /// `date/region/service/aws4_request` as the client wrote it.
    pub scope_string: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
    /// The request time in ISO 8601 basic form (`20150830T123600Z`).
    pub amz_date: String,
    pub epoch: i64,
    /// `Some` for presigned URLs: `X-Amz-Expires` in seconds.
    pub expires: Option<u64>,
    pub session_token: Option<String>,
}

/// Where the client put its signature, if anywhere.
pub(super) enum Form<'a> {
    Header(&'a str),
    Query,
    None,
}

pub(super) fn form(req: &HttpRequest) -> Form<'_> {
    if let Some(auth) = req.header("authorization") {
        return Form::Header(auth.trim());
    }
    if query_param(&req.query, "X-Amz-Algorithm").is_some()
        || query_param(&req.query, "X-Amz-Credential").is_some()
        || query_param(&req.query, "X-Amz-Signature").is_some()
    {
        return Form::Query;
    }
    Form::None
}

/// The decoded value of the first query parameter named `name` (case-sensitive, as AWS
/// treats the `X-Amz-*` parameters).
pub(super) fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if percent_decode_str(k).decode_utf8().ok()? == name {
            Some(percent_decode_str(v).decode_utf8_lossy().into_owned())
        } else {
            None
        }
    })
}

/// Splits `AKID/20150830/us-east-1/service/aws4_request`.
pub(super) fn parse_credential(cred: &str) -> Result<(CredentialScope, &str), Failure> {
    let parts: Vec<&str> = cred.split('/').collect();
    let [akid, date, region, service, term] = parts.as_slice() else {
        return Err(Failure::Malformed(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{cred}'"
        )));
    };
    if *term != TERMINATOR {
        return Err(Failure::Malformed(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{term}'."
        )));
    }
    if akid.is_empty() || region.is_empty() || service.is_empty() || parse_ymd(date).is_none() {
        return Err(Failure::Malformed(format!(
            "Credential should be scoped to a valid date, region and service: '{cred}'."
        )));
    }
    let scope = CredentialScope {
        access_key_id: (*akid).to_string(),
        date: (*date).to_string(),
        region: (*region).to_string(),
        service: (*service).to_string(),
    };
    let scope_string = cred.get(akid.len() + 1..).unwrap_or_default();
    Ok((scope, scope_string))
}

/// Parses `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
pub(super) fn from_header(req: &HttpRequest, auth: &str) -> Result<SignedParts, Failure> {
    let Some(rest) = auth.strip_prefix(ALGORITHM) else {
        let scheme = auth.split_whitespace().next().unwrap_or_default();
        return Err(Failure::Malformed(format!(
            "Unsupported authorization type '{scheme}'; only {ALGORITHM} (Signature Version 4) is supported."
        )));
    };
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for item in rest.split(',') {
        let item = item.trim();
        let Some((k, v)) = item.split_once('=') else {
            continue;
        };
        match k.trim() {
            "Credential" => credential = Some(v.trim()),
            "SignedHeaders" => signed = Some(v.trim()),
            "Signature" => signature = Some(v.trim()),
            _ => {}
        }
    }
    let date = request_date(req);
    let mut missing = String::new();
    if credential.is_none() {
        missing.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if signature.is_none() {
        missing.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if signed.is_none() {
        missing.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if date.is_none() {
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    let (Some(credential), Some(signed), Some(signature), Some((amz_date, epoch))) =
        (credential, signed, signature, date)
    else {
        return Err(Failure::Malformed(format!("{missing}Authorization={auth}")));
    };
    let (scope, scope_string) = parse_credential(credential)?;
    Ok(SignedParts {
        scope,
        scope_string: scope_string.to_string(),
        signed_headers: split_signed_headers(signed),
        signature: signature.to_string(),
        amz_date,
        epoch,
        expires: None,
        session_token: req.header("x-amz-security-token").map(str::to_string),
    })
}

/// Parses the `X-Amz-*` parameters of a presigned URL.
pub(super) fn from_query(req: &HttpRequest) -> Result<SignedParts, Failure> {
    let q = |name| query_param(&req.query, name);
    let (Some(algorithm), Some(credential), Some(amz_date), Some(signed), Some(signature)) = (
        q("X-Amz-Algorithm"),
        q("X-Amz-Credential"),
        q("X-Amz-Date"),
        q("X-Amz-SignedHeaders"),
        q("X-Amz-Signature"),
    ) else {
        return Err(Failure::PresignMalformed(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.".into(),
        ));
    };
    if algorithm != ALGORITHM {
        return Err(Failure::PresignMalformed(format!(
            "X-Amz-Algorithm only supports \"{ALGORITHM}\", not \"{algorithm}\"."
        )));
    }
    let Some(epoch) = parse_amz_date(&amz_date) else {
        return Err(Failure::PresignMalformed(format!(
            "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\", not \"{amz_date}\"."
        )));
    };
    // botocore always sends X-Amz-Expires; AWS's own default when it is absent is a week
    // for S3. Lamina takes the same.
    let expires = match q("X-Amz-Expires") {
        None => MAX_PRESIGN_EXPIRES,
        Some(e) => match e.parse::<u64>() {
            Ok(n) if n <= MAX_PRESIGN_EXPIRES => n,
            Ok(_) => {
                return Err(Failure::PresignMalformed(
                    "X-Amz-Expires must be less than a week (in seconds) that is 604800".into(),
                ));
            }
            Err(_) => {
                return Err(Failure::PresignMalformed(format!(
                    "X-Amz-Expires should be a number, not \"{e}\"."
                )));
            }
        },
    };
    let (scope, scope_string) = parse_credential(&credential)?;
    Ok(SignedParts {
        scope_string: scope_string.to_string(),
        scope,
        signed_headers: split_signed_headers(&signed),
        signature,
        amz_date,
        epoch,
        expires: Some(expires),
        session_token: q("X-Amz-Security-Token"),
    })
}

fn split_signed_headers(s: &str) -> Vec<String> {
    s.split(';')
        .filter(|h| !h.is_empty())
        .map(|h| h.trim().to_ascii_lowercase())
        .collect()
}

/// The request time: the `X-Amz-Date` header, else the `Date` header, as
/// (ISO 8601 basic string, epoch seconds).
fn request_date(req: &HttpRequest) -> Option<(String, i64)> {
    if let Some(d) = req.header("x-amz-date") {
        let d = d.trim();
        return parse_amz_date(d).map(|e| (d.to_string(), e));
    }
    let epoch = parse_http_date(req.header("date")?)?;
    Some((format_amz_date(epoch), epoch))
}

/// `YYYYMMDD` → days since the epoch.
fn parse_ymd(s: &str) -> Option<i64> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i64 = s.get(0..4)?.parse().ok()?;
    let m: u32 = s.get(4..6)?.parse().ok()?;
    let d: u32 = s.get(6..8)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// `20150830T123600Z` → epoch seconds.
pub(super) fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let days = parse_ymd(s.get(0..8)?)?;
    let hms = s.get(9..15)?;
    if !hms.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let h: i64 = hms.get(0..2)?.parse().ok()?;
    let mi: i64 = hms.get(2..4)?.parse().ok()?;
    let se: i64 = hms.get(4..6)?.parse().ok()?;
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days * 86_400 + h * 3600 + mi * 60 + se)
}

/// `Sun, 30 Aug 2015 12:36:00 GMT` (RFC 7231 IMF-fixdate) → epoch seconds.
fn parse_http_date(s: &str) -> Option<i64> {
    let mut it = s.split_whitespace();
    let _weekday = it.next()?;
    let day: u32 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut t = it.next()?.split(':');
    let h: i64 = t.next()?.parse().ok()?;
    let mi: i64 = t.next()?.parse().ok()?;
    let se: i64 = t.next()?.parse().ok()?;
    if !(1..=31).contains(&day) || !(0..=9999).contains(&year) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    if !matches!(it.next(), Some("GMT") | Some("UTC")) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Epoch seconds → `20150830T123600Z`.
pub(super) fn format_amz_date(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

// Howard Hinnant's civil calendar algorithms (public domain).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let e = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(e, 1_440_938_160);
        assert_eq!(format_amz_date(e), "20150830T123600Z");
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"), Some(e));
        assert_eq!(parse_amz_date("20151330T123600Z"), None);
        assert_eq!(parse_amz_date("2015083OT123600Z"), None);
        assert_eq!(parse_amz_date("20150830T12360\u{e9}"), None);
    }

    #[test]
    fn credential_needs_five_elements() {
        let err = parse_credential("AKID/20150830/us-east-1/ssm").unwrap_err();
        assert!(matches!(err, Failure::Malformed(m) if m.contains("exactly 5 slash-delimited")));
        let (scope, rest) = parse_credential("AKID/20150830/us-east-1/ssm/aws4_request").unwrap();
        assert_eq!(scope.service, "ssm");
        assert_eq!(rest, "20150830/us-east-1/ssm/aws4_request");
    }
}
