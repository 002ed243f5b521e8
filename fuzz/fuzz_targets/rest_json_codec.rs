//! rest-json (Lambda, API Gateway): method, path (usually a filled URI template), query,
//! headers and body through routing, parsing and validation.
#![no_main]

use lamina_fuzz::{arbitrary::Unstructured, pick, rest_request, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = one(data);
});

fn one(data: &[u8]) -> lamina_fuzz::arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let service = pick(&mut u, &["lambda", "apigateway"])?;
    let Some(model) = lamina_model::get(service) else { return Ok(()) };
    let req = rest_request(&mut u, model, b"{}")?;
    run(model, &req);
    Ok(())
}
