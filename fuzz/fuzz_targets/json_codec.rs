//! JSON 1.0/1.1 (SSM, DynamoDB): arbitrary body and `X-Amz-Target` through operation
//! lookup, parsing and validation.
#![no_main]

use lamina_fuzz::{arbitrary::Unstructured, extra_headers, operation_names, pick, request, run, short_string};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = one(data);
});

fn one(data: &[u8]) -> lamina_fuzz::arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let service = pick(&mut u, &["ssm", "dynamodb"])?;
    let Some(model) = lamina_model::get(service) else { return Ok(()) };
    let prefix = model.metadata.target_prefix.clone().unwrap_or_default();
    let target = if u.ratio(15, 16)? {
        format!("{prefix}.{}", pick(&mut u, &operation_names(model))?)
    } else {
        short_string(&mut u)?
    };
    let mut headers = http::HeaderMap::new();
    if let Ok(v) = http::HeaderValue::from_str(&target) {
        headers.insert("x-amz-target", v);
    }
    let version = model.metadata.json_version.as_deref().unwrap_or("1.0");
    if let Ok(v) = http::HeaderValue::from_str(&format!("application/x-amz-json-{version}")) {
        headers.insert("content-type", v);
    }
    extra_headers(&mut u, &mut headers)?;
    let req = request("POST", "/".into(), String::new(), headers, u.take_rest());
    run(model, &req);
    Ok(())
}
