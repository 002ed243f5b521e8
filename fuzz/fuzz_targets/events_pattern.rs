//! EventBridge: arbitrary text as an event pattern (matched, when it parses, against a fixed
//! event and against the text after a 0x00 read as an event), and as a schedule expression
//! (rate or cron, then the next fire time after a few instants).
#![no_main]

use lamina_events::{pattern, schedule};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let (pat, ev) = src.split_once('\0').unwrap_or((src, "{}"));
    if let Ok(p) = pattern::parse(pat) {
        let fixed = json!({
            "source": "a", "detail-type": "b", "resources": ["x", "y"],
            "detail": {"n": 5, "s": "abc", "l": [1, "a", null], "o": {"k": true}}
        });
        let _ = pattern::matches(&p, &fixed);
        if let Ok(e) = serde_json::from_str::<serde_json::Value>(ev) {
            let _ = pattern::matches(&p, &e);
        }
    }
    for expr in [src.to_string(), format!("cron({src})"), format!("rate({src})")] {
        if let Some(s) = schedule::parse(&expr) {
            for after in [0, 1_764_000_000, 4_102_444_799, -1, i64::MAX / 2] {
                if let Some(t) = s.next_after(after, 1_764_000_000) {
                    assert!(t > after || t > 1_764_000_000, "{expr}: {t} <= {after}");
                }
            }
        }
    }
});
