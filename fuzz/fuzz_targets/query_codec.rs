//! query protocol (STS, SNS, CloudFormation): a form body with a real `Action` and
//! arbitrary parameters through operation lookup, parsing and validation.
#![no_main]

use lamina_fuzz::{arbitrary::Unstructured, operation_names, pick, request, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = one(data);
});

fn one(data: &[u8]) -> lamina_fuzz::arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let service = pick(&mut u, &["sts", "sns", "cloudformation"])?;
    let Some(model) = lamina_model::get(service) else { return Ok(()) };
    let mut body = Vec::new();
    if u.ratio(15, 16)? {
        body.extend_from_slice(b"Action=");
        body.extend_from_slice(pick(&mut u, &operation_names(model))?.as_bytes());
        body.extend_from_slice(b"&Version=");
        body.extend_from_slice(model.metadata.api_version.as_bytes());
        body.push(b'&');
    }
    body.extend_from_slice(u.take_rest());
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "content-type",
        http::HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
    );
    let req = request("POST", "/".into(), String::new(), headers, &body);
    run(model, &req);
    Ok(())
}
