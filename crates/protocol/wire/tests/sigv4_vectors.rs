//! The AWS SigV4 test suite (see `sigv4_vectors/README.md`): for every vector, Lamina's
//! canonical request, string to sign and signature must equal the published ones, and the
//! signed request (`.sreq`) must verify.

use lamina_wire::HttpRequest;
use lamina_wire::sigv4::{self, UriMode, canonical};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const AKID: &str = "AKIDEXAMPLE";
/// 20150830T123600Z, the time every vector was signed at.
const SIGNED_AT: u64 = 1_440_938_160;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sigv4_vectors")
}

/// Every directory holding `<name>.req`, recursively.
fn vector_paths(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            if path.join(format!("{name}.req")).exists() {
                out.push(path.clone());
            }
            vector_paths(&path, out);
        }
    }
}

/// Parses the suite's raw HTTP text. Folded header lines (leading whitespace) continue the
/// previous value with a single space, as an HTTP/1.1 recipient replaces obs-fold.
fn parse_http(text: &str) -> HttpRequest {
    let (head, body) = match text.split_once("\n\n") {
        Some((h, b)) => (h, b),
        None => (text, ""),
    };
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    let target = rest.strip_suffix(" HTTP/1.1").unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.1.push(' ');
            last.1.push_str(line);
        } else {
            let (k, v) = line.split_once(':').unwrap();
            // An HTTP parser drops the optional whitespace around a field value.
            headers.push((k.to_string(), v.trim_matches([' ', '\t']).to_string()));
        }
    }
    let mut map = http::HeaderMap::new();
    for (k, v) in headers {
        map.append(
            http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
        );
    }
    HttpRequest {
        method: method.parse().unwrap(),
        path: path.to_string(),
        query: query.to_string(),
        headers: map,
        body: bytes::Bytes::from(body.as_bytes().to_vec()),
    }
}

fn read(dir: &Path, ext: &str) -> String {
    let name = dir.file_name().unwrap().to_str().unwrap();
    std::fs::read_to_string(dir.join(format!("{name}.{ext}"))).unwrap()
}

fn authz_field<'a>(authz: &'a str, field: &str) -> &'a str {
    let start = authz.find(&format!("{field}=")).unwrap() + field.len() + 1;
    let tail = &authz[start..];
    &tail[..tail.find(',').unwrap_or(tail.len())]
}

#[test]
fn sigv4_test_suite_vectors() {
    let mut dirs = Vec::new();
    vector_paths(&vectors_dir(), &mut dirs);
    dirs.sort();
    assert!(
        dirs.len() >= 30,
        "expected the whole suite, found {} vectors",
        dirs.len()
    );
    let key = canonical::signing_key(SECRET, "20150830", "us-east-1", "service");
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        // The signed request: the `.req` plus what the signer adds (date, token, Authorization,
        // which is not among the signed headers).
        let req = parse_http(&read(dir, "sreq"));
        let authz = read(dir, "authz");
        let signed: Vec<&str> = authz_field(&authz, "SignedHeaders").split(';').collect();
        let payload = canonical::sha256_hex(&req.body);
        let creq = canonical::canonical_request(
            &req,
            UriMode::NormalizedDoubleEncoded,
            &[],
            &signed,
            &payload,
        );
        if creq != read(dir, "creq") {
            failures.push(format!(
                "{name}: canonical request\n{creq}\n--- expected\n{}",
                read(dir, "creq")
            ));
            continue;
        }
        let sts = canonical::string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/service/aws4_request",
            &creq,
        );
        if sts != read(dir, "sts") {
            failures.push(format!("{name}: string to sign\n{sts}"));
            continue;
        }
        let sig = canonical::signature(&key, &sts);
        if sig != authz_field(&authz, "Signature") {
            failures.push(format!("{name}: signature {sig}"));
            continue;
        }
        // The signed request verifies, one second and 14 minutes after signing. The header
        // comes from `.authz`: upstream's get-vanilla-with-session-token.sreq carries
        // get-vanilla's signature (see the README).
        let mut sreq = req;
        sreq.headers.insert(
            "authorization",
            http::HeaderValue::from_str(authz.trim()).unwrap(),
        );
        for offset in [1, 14 * 60] {
            let now = UNIX_EPOCH + Duration::from_secs(SIGNED_AT + offset);
            match sigv4::verify(&sreq, |k| (k == AKID).then(|| SECRET.to_string()), now) {
                Ok(caller) => {
                    assert_eq!(caller.scope.access_key_id, AKID);
                    assert_eq!(caller.scope.service, "service");
                    assert!(!caller.presigned);
                }
                Err(e) => {
                    failures.push(format!("{name}: verify {offset}s after signing: {e}"));
                    break;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn sigv4_session_token_vector_reports_the_token() {
    let dir = vectors_dir().join("post-sts-token/post-sts-header-after");
    let sreq = parse_http(&read(&dir, "sreq"));
    let now = UNIX_EPOCH + Duration::from_secs(SIGNED_AT);
    let caller = sigv4::verify(&sreq, |_| Some(SECRET.to_string()), now).unwrap();
    assert!(
        caller
            .session_token
            .unwrap()
            .starts_with("AQoDYXdzEPT//////////wEXAMPLE")
    );
}

#[test]
fn sigv4_vectors_fail_with_another_secret_or_a_changed_header() {
    let dir = vectors_dir().join("get-header-value-trim");
    let sreq = parse_http(&read(&dir, "sreq"));
    let now = UNIX_EPOCH + Duration::from_secs(SIGNED_AT);
    let err = sigv4::verify(&sreq, |_| Some("not-the-secret".into()), now).unwrap_err();
    assert_eq!(err.code.code, "InvalidSignatureException");
    assert_eq!(err.message, sigv4::errors::SIGNATURE_MISMATCH_MESSAGE);

    let mut tampered = sreq.clone();
    tampered
        .headers
        .insert("my-header2", http::HeaderValue::from_static("\"a b d\""));
    assert!(sigv4::verify(&tampered, |_| Some(SECRET.into()), now).is_err());
    // Whitespace the signer trims does not matter.
    let mut spaced = sreq.clone();
    spaced.headers.insert(
        "my-header2",
        http::HeaderValue::from_static("  \"a    b c\"   "),
    );
    assert!(sigv4::verify(&spaced, |_| Some(SECRET.into()), now).is_ok());
}
