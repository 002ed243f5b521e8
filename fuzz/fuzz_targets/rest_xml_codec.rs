//! rest-xml (S3): method, path (usually a filled URI template), query, headers and body
//! (XML documents for operations that take one) through routing, parsing and validation.
#![no_main]

use lamina_fuzz::{arbitrary::Unstructured, rest_request, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = one(data);
});

fn one(data: &[u8]) -> lamina_fuzz::arbitrary::Result<()> {
    let mut u = Unstructured::new(data);
    let Some(model) = lamina_model::get("s3") else { return Ok(()) };
    let req = rest_request(&mut u, model, b"<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>")?;
    run(model, &req);
    Ok(())
}
