//! SigV4: arbitrary `Authorization` header, presigned query, date and payload headers
//! through `credential_scope` and `verify`. Both must return, and agree: a request that
//! verifies has a readable credential scope naming the verified key.
#![no_main]

use lamina_fuzz::{arbitrary::Unstructured, pick, request, short_string};
use libfuzzer_sys::fuzz_target;
use std::time::{Duration, UNIX_EPOCH};

fuzz_target!(|data: &[u8]| {
    let _ = one(data);
});

fn one(data: &[u8]) -> lamina_fuzz::arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let mut headers = http::HeaderMap::new();
    let mut query = String::new();
    // Either a raw header, a structured one with fuzzed parts, or a presigned query.
    match u.int_in_range(0..=2)? {
        0 => {
            let raw: String = u.arbitrary()?;
            if let Ok(v) = http::HeaderValue::from_str(&raw) {
                headers.insert("authorization", v);
            }
        }
        1 => {
            let auth = format!(
                "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/{}, SignedHeaders={}, Signature={}",
                pick(&mut u, &["AKID", "", "A/B"])?,
                pick(&mut u, &["20240102", "2024010", "99999999", "20241302"])?,
                short_string(&mut u)?,
                pick(&mut u, &["s3", "sts", "dynamodb", "lambda", "nope"])?,
                pick(&mut u, &["aws4_request", "x"])?,
                short_string(&mut u)?,
                short_string(&mut u)?,
            );
            if let Ok(v) = http::HeaderValue::from_str(&auth) {
                headers.insert("authorization", v);
            }
        }
        _ => {
            query = format!(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={}&X-Amz-Expires={}&X-Amz-SignedHeaders={}&X-Amz-Signature={}&{}",
                short_string(&mut u)?,
                short_string(&mut u)?,
                short_string(&mut u)?,
                short_string(&mut u)?,
                short_string(&mut u)?,
                short_string(&mut u)?,
            );
        }
    }
    for name in ["x-amz-date", "date", "x-amz-content-sha256", "host", "x-amz-security-token"] {
        if u.arbitrary()? {
            let value = if name == "x-amz-date" && u.arbitrary()? { "20240102T030405Z".to_string() } else { short_string(&mut u)? };
            if let Ok(v) = http::HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
    }
    let path = format!("/{}", short_string(&mut u)?);
    let now = UNIX_EPOCH + Duration::from_secs(u.arbitrary::<u64>()? % 8_000_000_000);
    let req = request("GET", path, query, headers, u.take_rest());

    let scope = lamina_wire::sigv4::credential_scope(&req);
    let result = lamina_wire::sigv4::verify(&req, |k| (k == "AKID").then(|| "secret".to_string()), now);
    if let Ok(caller) = result {
        assert_eq!(scope.as_ref(), Some(&caller.scope), "verify accepted what credential_scope cannot read");
        assert_eq!(caller.scope.access_key_id, "AKID");
    }
    Ok(())
}
