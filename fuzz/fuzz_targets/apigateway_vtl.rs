//! API Gateway mapping templates: arbitrary text as a template, rendered against a fixed
//! request whose body is also taken from the input (after the first 0x00 byte), so the
//! parser, the interpreter, `$input.json/path` (JSONPath) and `$util.*` all see fuzzed data.
//! Tight limits keep each run fast; any panic, abort or stack overflow is a finding.
#![no_main]

use lamina_apigateway::vtl::{Limits, RequestParams, VtlContext, render_with};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let (template, body) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &br#"{"a":[1,{"b":"c"}],"n":2.5}"#[..]),
    };
    let Ok(template) = std::str::from_utf8(template) else {
        return;
    };
    let mut params = RequestParams::default();
    params.path.insert("id".into(), "7".into());
    params.querystring.insert("q".into(), "x y".into());
    params.header.insert("X-H".into(), "v".into());
    let context = serde_json::json!({"requestId": "r", "identity": {"sourceIp": "1.2.3.4"}});
    let stage = BTreeMap::from([("s".to_string(), "v".to_string())]);
    let ctx = VtlContext {
        body,
        params: &params,
        context: &context,
        stage_variables: &stage,
    };
    let limits = Limits {
        max_steps: 50_000,
        max_output: 1 << 20,
        ..Limits::default()
    };
    let _ = render_with(template, &ctx, &limits);
});
