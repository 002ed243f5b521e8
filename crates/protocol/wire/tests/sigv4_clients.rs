//! Requests signed by real boto3 clients (`sigv4_fixtures/requests.json`, made by
//! `sigv4_fixtures/generate.py`) must verify; tampered, expired or wrongly keyed ones must
//! fail with the error each service family sends.

use base64::Engine;
use lamina_core::AwsError;
use lamina_wire::HttpRequest;
use lamina_wire::sigv4::{self, CredentialScope, Style, VerifiedCaller};
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 20240102T030405Z, when generate.py's frozen clock signed every request.
const SIGNED_AT: u64 = 1_704_164_645;

struct Fixtures {
    doc: Value,
}

impl Fixtures {
    fn load() -> Fixtures {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/sigv4_fixtures/requests.json"
        );
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(doc["signed_at"], "20240102T030405Z");
        Fixtures { doc }
    }

    fn akid(&self) -> &str {
        self.doc["access_key_id"].as_str().unwrap()
    }

    fn secret(&self) -> String {
        self.doc["secret_access_key"].as_str().unwrap().to_string()
    }

    fn names(&self) -> Vec<String> {
        self.doc["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    }

    fn request(&self, name: &str) -> HttpRequest {
        let r = self.doc["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap();
        let mut headers = http::HeaderMap::new();
        for h in r["headers"].as_array().unwrap() {
            headers.append(
                http::HeaderName::from_bytes(h[0].as_str().unwrap().as_bytes()).unwrap(),
                http::HeaderValue::from_str(h[1].as_str().unwrap()).unwrap(),
            );
        }
        // botocore leaves Host to the HTTP layer; it signs the endpoint's host.
        if !headers.contains_key("host") {
            headers.insert("host", http::HeaderValue::from_static("localhost:4566"));
        }
        let body = base64::engine::general_purpose::STANDARD
            .decode(r["body_b64"].as_str().unwrap())
            .unwrap();
        HttpRequest {
            method: r["method"].as_str().unwrap().parse().unwrap(),
            path: r["path"].as_str().unwrap().to_string(),
            query: r["query"].as_str().unwrap().to_string(),
            headers,
            body: body.into(),
        }
    }

    fn verify_at(
        &self,
        req: &HttpRequest,
        secs_after_signing: i64,
    ) -> Result<VerifiedCaller, AwsError> {
        let now = at(secs_after_signing);
        let akid = self.akid().to_string();
        let secret = self.secret();
        sigv4::verify(req, move |k| (k == akid).then(|| secret.clone()), now)
    }
}

fn at(secs_after_signing: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(SIGNED_AT.checked_add_signed(secs_after_signing).unwrap())
}

#[test]
fn sigv4_every_boto3_request_verifies() {
    let f = Fixtures::load();
    let names = f.names();
    assert!(names.len() >= 14, "{names:?}");
    for name in &names {
        let req = f.request(name);
        let caller = f
            .verify_at(&req, 30)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(caller.scope.access_key_id, f.akid(), "{name}");
        assert_eq!(caller.scope.region, "us-east-1", "{name}");
        assert_eq!(caller.scope.date, "20240102", "{name}");
        assert_eq!(caller.presigned, name.contains("presigned"), "{name}");
        assert_eq!(caller.signed_at, SIGNED_AT as i64, "{name}");
        assert_eq!(
            sigv4::credential_scope(&req).as_ref(),
            Some(&caller.scope),
            "{name}"
        );
    }
}

#[test]
fn sigv4_scope_names_the_service() {
    let f = Fixtures::load();
    for (name, service) in [
        ("ssm-get-parameter", "ssm"),
        ("dynamodb-put-item", "dynamodb"),
        ("sts-presigned-get-caller-identity", "sts"),
        ("lambda-invoke-arn-qualifier", "lambda"),
        ("apigateway-get-resources", "apigateway"),
        ("s3-presigned-get", "s3"),
    ] {
        let scope = sigv4::credential_scope(&f.request(name)).unwrap();
        assert_eq!(scope.service, service);
    }
}

#[test]
fn sigv4_credential_scope_is_total() {
    let f = Fixtures::load();
    let mut req = f.request("ssm-get-parameter");
    for bad in [
        "AWS4-HMAC-SHA256 Credential=AKID/20240102/us-east-1/ssm, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=",
        "AWS AKID:sig",
        "AWS4-HMAC-SHA256 Credential=AKID/2024/us-east-1/ssm/aws4_request",
        "",
    ] {
        req.headers
            .insert("authorization", http::HeaderValue::from_str(bad).unwrap());
        assert_eq!(sigv4::credential_scope(&req), None, "{bad}");
    }
    req.headers.insert(
        "authorization",
        http::HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=AK/20240101/eu-west-1/sqs/aws4_request,SignedHeaders=host,Signature=00"),
    );
    let want = CredentialScope {
        access_key_id: "AK".into(),
        date: "20240101".into(),
        region: "eu-west-1".into(),
        service: "sqs".into(),
    };
    assert_eq!(sigv4::credential_scope(&req), Some(want));
}

#[test]
fn sigv4_session_tokens_are_reported() {
    let f = Fixtures::load();
    let token = f.doc["session_token"].as_str().unwrap();
    for name in ["s3-get-object-session-token", "s3-presigned-put-token"] {
        let caller = f.verify_at(&f.request(name), 0).unwrap();
        assert_eq!(caller.session_token.as_deref(), Some(token), "{name}");
    }
    assert_eq!(
        f.verify_at(&f.request("s3-presigned-get"), 0)
            .unwrap()
            .session_token,
        None
    );
}

#[test]
fn sigv4_streaming_upload_hands_over_the_seed() {
    let f = Fixtures::load();
    let caller = f
        .verify_at(&f.request("s3-put-object-https-streaming"), 0)
        .unwrap();
    let seed = caller.streaming.expect("aws-chunked upload");
    assert_eq!(seed.payload, "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
    assert_eq!(seed.scope, "20240102/us-east-1/s3/aws4_request");
    assert_eq!(seed.seed_signature.len(), 64);
    assert!(
        f.verify_at(&f.request("s3-put-object-odd-key"), 0)
            .unwrap()
            .streaming
            .is_none()
    );
}

fn expect_err(res: Result<VerifiedCaller, AwsError>, code: &str, status: u16) -> AwsError {
    let err = res.expect_err("must not verify");
    assert_eq!((err.code.code, err.status()), (code, status), "{err}");
    err
}

#[test]
fn sigv4_tampered_body_fails() {
    let f = Fixtures::load();
    let mut req = f.request("ssm-get-parameter");
    req.body = req
        .body
        .iter()
        .map(|b| if *b == b'/' { b'_' } else { *b })
        .collect::<Vec<u8>>()
        .into();
    let err = expect_err(f.verify_at(&req, 0), "InvalidSignatureException", 400);
    assert_eq!(
        err.message,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    );

    // S3 signs the body's hash in x-amz-content-sha256: the signature holds, the hash not.
    let mut put = f.request("s3-put-object-odd-key");
    put.body = bytes::Bytes::from_static(b"hello World");
    expect_err(f.verify_at(&put, 0), "XAmzContentSHA256Mismatch", 400);
}

#[test]
fn sigv4_tampered_header_path_or_query_fails() {
    let f = Fixtures::load();
    let mut ddb = f.request("dynamodb-put-item");
    ddb.headers.insert(
        "x-amz-target",
        http::HeaderValue::from_static("DynamoDB_20120810.DeleteItem"),
    );
    expect_err(f.verify_at(&ddb, 0), "InvalidSignatureException", 400);

    let mut list = f.request("lambda-list-functions-marker");
    list.query = list.query.replace("MaxItems=5", "MaxItems=50");
    expect_err(f.verify_at(&list, 0), "InvalidSignatureException", 403);

    let mut get = f.request("s3-presigned-get");
    get.path = "/bkt/other.txt".into();
    let err = expect_err(f.verify_at(&get, 0), "SignatureDoesNotMatch", 403);
    assert_eq!(
        err.message,
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    );
    let fields = err.fields.as_ref().unwrap();
    assert!(
        fields["CanonicalRequest"]
            .as_str()
            .unwrap()
            .starts_with("GET\n/bkt/other.txt\n")
    );
    assert!(
        fields["StringToSign"]
            .as_str()
            .unwrap()
            .starts_with("AWS4-HMAC-SHA256\n20240102T030405Z\n")
    );
}

#[test]
fn sigv4_unsigned_headers_may_change() {
    let f = Fixtures::load();
    let mut req = f.request("sts-get-caller-identity");
    req.headers.insert(
        "user-agent",
        http::HeaderValue::from_static("something else"),
    );
    req.headers.insert(
        "x-forwarded-for",
        http::HeaderValue::from_static("10.0.0.1"),
    );
    f.verify_at(&req, 0).unwrap();
}

#[test]
fn sigv4_wrong_secret_or_unknown_key_fails() {
    let f = Fixtures::load();
    let sts = f.request("sts-get-caller-identity");
    let wrong = sigv4::verify(&sts, |_| Some("wrong".into()), at(0));
    expect_err(wrong, "SignatureDoesNotMatch", 403);

    let cases = [
        (
            "sts-get-caller-identity",
            "InvalidClientTokenId",
            403,
            "The security token included in the request is invalid.",
        ),
        (
            "dynamodb-put-item",
            "UnrecognizedClientException",
            400,
            "The security token included in the request is invalid.",
        ),
        (
            "lambda-invoke-arn-qualifier",
            "UnrecognizedClientException",
            403,
            "The security token included in the request is invalid.",
        ),
        (
            "s3-get-object-session-token",
            "InvalidAccessKeyId",
            403,
            "The AWS Access Key Id you provided does not exist in our records.",
        ),
    ];
    for (name, code, status, message) in cases {
        let err = expect_err(
            sigv4::verify(&f.request(name), |_| None, at(0)),
            code,
            status,
        );
        assert_eq!(err.message, message);
    }
}

#[test]
fn sigv4_requests_older_or_newer_than_15_minutes_fail() {
    let f = Fixtures::load();
    let ddb = f.request("dynamodb-put-item");
    f.verify_at(&ddb, 15 * 60).unwrap();
    f.verify_at(&ddb, -15 * 60).unwrap();
    let err = expect_err(
        f.verify_at(&ddb, 15 * 60 + 1),
        "InvalidSignatureException",
        400,
    );
    assert_eq!(
        err.message,
        "Signature expired: 20240102T030405Z is now earlier than 20240102T030406Z (20240102T031906Z - 15 min.)"
    );
    let err = expect_err(
        f.verify_at(&ddb, -16 * 60),
        "InvalidSignatureException",
        400,
    );
    assert_eq!(
        err.message,
        "Signature not yet current: 20240102T030405Z is still later than 20240102T030305Z (20240102T024805Z + 15 min.)"
    );
    let err = expect_err(
        f.verify_at(&f.request("sts-get-caller-identity"), 3600),
        "SignatureDoesNotMatch",
        403,
    );
    assert!(
        err.message
            .starts_with("Signature expired: 20240102T030405Z is now earlier than")
    );
    let err = expect_err(
        f.verify_at(&f.request("s3-put-object-odd-key"), 3600),
        "RequestTimeTooSkewed",
        403,
    );
    assert_eq!(
        err.message,
        "The difference between the request time and the current time is too large."
    );
}

#[test]
fn sigv4_presigned_urls_expire() {
    let f = Fixtures::load();
    let get = f.request("s3-presigned-get"); // X-Amz-Expires=900
    f.verify_at(&get, 900).unwrap();
    let err = expect_err(f.verify_at(&get, 901), "AccessDenied", 403);
    assert_eq!(err.message, "Request has expired");
    // Longer than the 15-minute window is fine for a presigned URL.
    f.verify_at(&f.request("s3-presigned-put-token"), 3000)
        .unwrap();

    let sts = f.request("sts-presigned-get-caller-identity"); // X-Amz-Expires=60
    f.verify_at(&sts, 60).unwrap();
    let err = expect_err(f.verify_at(&sts, 61), "SignatureDoesNotMatch", 403);
    assert!(
        err.message
            .starts_with("Signature expired: 20240102T030405Z"),
        "{}",
        err.message
    );

    let mut week = get.clone();
    week.query = week
        .query
        .replace("X-Amz-Expires=900", "X-Amz-Expires=604801");
    let err = expect_err(
        f.verify_at(&week, 0),
        "AuthorizationQueryParametersError",
        400,
    );
    assert_eq!(
        err.message,
        "X-Amz-Expires must be less than a week (in seconds) that is 604800"
    );
}

#[test]
fn sigv4_malformed_or_missing_authorization() {
    let f = Fixtures::load();
    let auth = "AWS4-HMAC-SHA256 Credential=AKIDLAMINATEST000001/20240102/us-east-1/ssm/aws4_request, SignedHeaders=host;x-amz-date";
    let mut ssm = f.request("ssm-get-parameter");
    ssm.headers
        .insert("authorization", http::HeaderValue::from_static(auth));
    let err = expect_err(f.verify_at(&ssm, 0), "IncompleteSignatureException", 400);
    assert_eq!(
        err.message,
        format!("Authorization header requires 'Signature' parameter. Authorization={auth}")
    );

    let mut sts = f.request("sts-get-caller-identity");
    sts.headers.insert(
        "authorization",
        http::HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=AKIDLAMINATEST000001/20240102/us-east-1/sts, SignedHeaders=host, Signature=00"),
    );
    // An unreadable credential does not name its service: verify() answers in the JSON
    // conventions, verify_as() in those of the service the gateway detected.
    let akid = f.akid().to_string();
    let secret = f.secret();
    let lookup = move |k: &str| (k == akid).then(|| secret.clone());
    expect_err(
        sigv4::verify(&sts, &lookup, at(0)),
        "IncompleteSignatureException",
        400,
    );
    let err = expect_err(
        sigv4::verify_as(&sts, Style::Query, &lookup, at(0)),
        "IncompleteSignature",
        400,
    );
    assert!(
        err.message
            .starts_with("Credential must have exactly 5 slash-delimited elements"),
        "{}",
        err.message
    );

    let mut s3 = f.request("s3-get-object-session-token");
    s3.headers.remove("x-amz-date");
    let err = expect_err(f.verify_at(&s3, 0), "AuthorizationHeaderMalformed", 400);
    assert!(
        err.message.contains("'X-Amz-Date' or a 'Date' header"),
        "{}",
        err.message
    );

    let mut other_day = f.request("dynamodb-put-item");
    other_day.headers.insert(
        "x-amz-date",
        http::HeaderValue::from_static("20240103T030405Z"),
    );
    let err = expect_err(
        f.verify_at(&other_day, 0),
        "IncompleteSignatureException",
        400,
    );
    assert!(
        err.message
            .starts_with("Date in Credential scope does not match YYYYMMDD"),
        "{}",
        err.message
    );

    let mut none = f.request("ssm-get-parameter");
    none.headers.remove("authorization");
    expect_err(
        f.verify_at(&none, 0),
        "MissingAuthenticationTokenException",
        400,
    );
}
