//! The canonical request, the string to sign and the signing key, as the SigV4 spec
//! (and botocore's signer) build them.
//!
//! Everything here is total: any bytes in, a string out. A request that cannot have been
//! signed this way simply produces a canonical form whose signature will not match.

use crate::HttpRequest;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};
use sha2::{Digest, Sha256};

/// The algorithm name in the `Authorization` header and `X-Amz-Algorithm`.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The last element of every credential scope.
pub const TERMINATOR: &str = "aws4_request";
/// sha256 of the empty string, the payload hash of a request without body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Characters AWS's `UriEncode` leaves alone: `A-Z a-z 0-9 - . _ ~`.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// The same, plus `/`, for paths.
const UNRESERVED_PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// How the canonical URI is derived from the request path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriMode {
    /// Every service but S3: remove dot segments and empty segments, then URI-encode the
    /// (already encoded) path once more, so `%20` on the wire becomes `%2520`.
    NormalizedDoubleEncoded,
    /// S3: no normalization; the path is encoded once (decoded, then re-encoded with
    /// `UriEncode`, so clients that encode more or fewer characters still match).
    S3SingleEncoded,
    /// The raw path exactly as received (a fallback for clients that sign the wire path).
    Raw,
}

/// Lowercase hex sha256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// AWS `UriEncode` of arbitrary bytes; `/` is encoded unless `keep_slash`.
pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let set = if keep_slash {
        UNRESERVED_PATH
    } else {
        UNRESERVED
    };
    percent_encode(bytes, set).to_string()
}

/// RFC 3986 dot-segment removal as AWS services apply it, which also collapses empty
/// segments (`//a//` → `/a/`).
pub fn remove_dot_segments(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let mut s = String::with_capacity(path.len());
    if path.starts_with('/') {
        s.push('/');
    }
    s.push_str(&out.join("/"));
    if path.ends_with('/') && !out.is_empty() {
        s.push('/');
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

/// The canonical URI of a raw (percent-encoded) request path.
pub fn canonical_uri(raw_path: &str, mode: UriMode) -> String {
    let path = if raw_path.is_empty() { "/" } else { raw_path };
    match mode {
        UriMode::NormalizedDoubleEncoded => uri_encode(remove_dot_segments(path).as_bytes(), true),
        UriMode::S3SingleEncoded => {
            let decoded: Vec<u8> = percent_decode_str(path).collect();
            uri_encode(&decoded, true)
        }
        UriMode::Raw => path.to_string(),
    }
}

/// The canonical query string: each `key=value` pair decoded and re-encoded with
/// `UriEncode`, sorted by key then value. Parameters named in `skip` (case-sensitive, e.g.
/// `X-Amz-Signature` of a presigned URL) are left out.
pub fn canonical_query(raw_query: &str, skip: &[&str]) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let key: Vec<u8> = percent_decode_str(k).collect();
            if skip.iter().any(|s| s.as_bytes() == key.as_slice()) {
                return None;
            }
            let value: Vec<u8> = percent_decode_str(v).collect();
            Some((uri_encode(&key, false), uri_encode(&value, false)))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 8);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// A header value as SigV4 signs it: leading and trailing whitespace removed, runs of
/// whitespace collapsed into one space.
pub fn trim_all(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let mut out = String::with_capacity(text.len());
    for word in text
        .split([' ', '\t', '\r', '\n'])
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// `name:value` lines for the signed headers, in the order the client listed them (which
/// SigV4 requires to be sorted). Repeated headers join with `,`; a signed header the
/// request lacks contributes an empty value.
pub fn canonical_headers(req: &HttpRequest, signed_headers: &[&str]) -> String {
    let mut out = String::new();
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        for (i, v) in req.headers.get_all(*name).iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&trim_all(v.as_bytes()));
        }
        out.push('\n');
    }
    out
}

/// The canonical request: method, URI, query, headers, signed header list, payload hash.
pub fn canonical_request(
    req: &HttpRequest,
    uri_mode: UriMode,
    query_skip: &[&str],
    signed_headers: &[&str],
    payload_hash: &str,
) -> String {
    let mut s = String::with_capacity(256 + req.query.len());
    s.push_str(req.method.as_str());
    s.push('\n');
    s.push_str(&canonical_uri(&req.path, uri_mode));
    s.push('\n');
    s.push_str(&canonical_query(&req.query, query_skip));
    s.push('\n');
    s.push_str(&canonical_headers(req, signed_headers));
    s.push('\n');
    s.push_str(&signed_headers.join(";"));
    s.push('\n');
    s.push_str(payload_hash);
    s
}

/// `AWS4-HMAC-SHA256 \n <amz-date> \n <scope> \n hex(sha256(canonical request))`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC is defined for keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, TERMINATOR.as_bytes())
}

/// The hex signature of a string to sign.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// Whether `provided_hex` is the signature of `string_to_sign`, compared in constant time.
pub fn signature_matches(signing_key: &[u8; 32], string_to_sign: &str, provided_hex: &str) -> bool {
    let Ok(provided) = hex::decode(provided_hex) else {
        return false;
    };
    // See hmac_sha256: any key length is accepted.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(signing_key).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&provided).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_and_slashes() {
        assert_eq!(remove_dot_segments("//example//"), "/example/");
        assert_eq!(remove_dot_segments("/example1/example2/../.."), "/");
        assert_eq!(remove_dot_segments("/./"), "/");
        assert_eq!(remove_dot_segments("/a/../../b"), "/b");
        assert_eq!(remove_dot_segments(""), "/");
    }

    #[test]
    fn uri_double_and_single_encoding() {
        assert_eq!(
            canonical_uri("/a%20b/", UriMode::NormalizedDoubleEncoded),
            "/a%2520b/"
        );
        assert_eq!(
            canonical_uri("/a%20b//c", UriMode::S3SingleEncoded),
            "/a%20b//c"
        );
        assert_eq!(
            canonical_uri("/a b+c~", UriMode::S3SingleEncoded),
            "/a%20b%2Bc~"
        );
        assert_eq!(canonical_uri("", UriMode::S3SingleEncoded), "/");
    }

    #[test]
    fn query_sorted_by_encoded_key_then_value() {
        assert_eq!(canonical_query("b=2&a=2&a=1&c", &[]), "a=1&a=2&b=2&c=");
        assert_eq!(
            canonical_query("x=a+b%2f&X-Amz-Signature=ff", &["X-Amz-Signature"]),
            "x=a%2Bb%2F"
        );
    }

    #[test]
    fn trim_collapses_inner_whitespace() {
        assert_eq!(trim_all(b"  \"a   b\tc\"  "), "\"a b c\"");
    }
}
