use super::*;
use proptest::prelude::*;

fn m(p: &str, msg: &str) -> bool {
    Pattern::parse(p)
        .unwrap_or_else(|e| panic!("{p}: {e}"))
        .matches(msg)
}

#[test]
fn empty_matches_everything() {
    assert!(m("", "anything"));
    assert!(m("   ", ""));
    assert!(Pattern::parse("").unwrap().is_all());
    assert!(!Pattern::parse("x").unwrap().is_all());
}

#[test]
fn terms_all_must_appear_case_sensitive() {
    assert!(m("ERROR", "[ERROR] disk full"));
    assert!(!m("ERROR", "error: disk full"));
    assert!(m("ERROR disk", "[ERROR] disk full"));
    assert!(!m("ERROR memory", "[ERROR] disk full"));
}

#[test]
fn quoted_phrases_and_exclusions() {
    assert!(m("\"disk full\"", "ERROR disk full now"));
    assert!(!m("\"disk full\"", "full disk"));
    assert!(m("ERROR -DEBUG", "ERROR x"));
    assert!(!m("ERROR -DEBUG", "ERROR DEBUG x"));
    assert!(!m("ERROR -\"retry later\"", "ERROR retry later"));
    assert!(m("\"a \\\"quoted\\\" word\"", "a \"quoted\" word"));
}

#[test]
fn optional_terms_need_one() {
    assert!(m("?ERROR ?WARN", "WARN low disk"));
    assert!(m("?ERROR ?WARN", "ERROR"));
    assert!(!m("?ERROR ?WARN", "INFO all good"));
    assert!(m("disk ?ERROR ?WARN", "WARN disk"));
    assert!(!m("disk ?ERROR ?WARN", "WARN cpu"));
}

#[test]
fn json_equality_and_wildcards() {
    let msg = r#"{"level":"ERROR","latency":150,"user":{"id":"u-42"},"tags":["a","b"],"ok":true,"gone":null}"#;
    assert!(m(r#"{ $.level = "ERROR" }"#, msg));
    assert!(m(r#"{ $.level = ERROR }"#, msg));
    assert!(!m(r#"{ $.level = "error" }"#, msg));
    assert!(m(r#"{ $.level = "ERR*" }"#, msg));
    assert!(m(r#"{ $.user.id = u-* }"#, msg));
    assert!(m(r#"{ $.tags[1] = "b" }"#, msg));
    assert!(!m(r#"{ $.tags[2] = "b" }"#, msg));
    assert!(m(r#"{ $.level != "INFO" }"#, msg));
    assert!(!m(r#"{ $.missing != "INFO" }"#, msg));
    assert!(!m(r#"{ $.level = "ERROR" }"#, "ERROR not json"));
}

#[test]
fn json_numbers() {
    let msg = r#"{"latency":150,"code":"404","ratio":0.5}"#;
    assert!(m("{ $.latency > 100 }", msg));
    assert!(!m("{ $.latency < 100 }", msg));
    assert!(m("{ $.latency >= 150 }", msg));
    assert!(m("{ $.latency <= 150 }", msg));
    assert!(m("{ $.latency = 150 }", msg));
    assert!(m("{ $.latency != 151 }", msg));
    assert!(m("{ $.ratio < 1 }", msg));
    assert!(m("{ $.code = 404 }", msg));
    assert!(m("{ $.latency = 1.5e2 }", msg));
}

#[test]
fn json_null_exists_booleans() {
    let msg = r#"{"gone":null,"ok":true,"bad":false}"#;
    assert!(m("{ $.gone IS NULL }", msg));
    assert!(!m("{ $.ok IS NULL }", msg));
    assert!(!m("{ $.nope IS NULL }", msg));
    assert!(m("{ $.nope NOT EXISTS }", msg));
    assert!(!m("{ $.gone NOT EXISTS }", msg));
    assert!(m("{ $.ok IS TRUE }", msg));
    assert!(m("{ $.bad IS FALSE }", msg));
    assert!(!m("{ $.bad IS TRUE }", msg));
}

#[test]
fn json_boolean_logic() {
    let msg = r#"{"level":"ERROR","latency":50,"retry":true}"#;
    assert!(m(r#"{ $.level = "ERROR" && $.latency < 100 }"#, msg));
    assert!(!m(r#"{ $.level = "ERROR" && $.latency > 100 }"#, msg));
    assert!(m(r#"{ $.level = "INFO" || $.latency < 100 }"#, msg));
    assert!(m(
        r#"{ $.level = "ERROR" && ($.latency > 100 || $.retry IS TRUE) }"#,
        msg
    ));
    assert!(!m(
        r#"{ ($.level = "INFO" || $.latency > 100) && $.retry IS TRUE }"#,
        msg
    ));
    // && binds tighter than ||
    assert!(m(
        r#"{ $.level = "INFO" && $.latency > 100 || $.retry IS TRUE }"#,
        msg
    ));
}

#[test]
fn space_delimited() {
    let line =
        r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534"#;
    assert!(m("[ip, id, user, timestamp, request, status, bytes]", line));
    assert!(m(
        "[ip, id, user, timestamp, request, status = 404, bytes]",
        line
    ));
    assert!(!m(
        "[ip, id, user, timestamp, request, status = 200, bytes]",
        line
    ));
    assert!(m("[..., status = 404, bytes > 1000]", line));
    assert!(m("[ip = 127.0.0.*, ...]", line));
    assert!(m("[..., status = 4*, ...]", line));
    assert!(m("[..., request = \"*gif*\", ...]", line));
    assert!(m("[..., status = 500 || status = 404, bytes]", line));
    assert!(m("[..., status >= 400 && status < 500, bytes]", line));
    assert!(!m("[ip, user]", line));
    assert!(m("[ip, ..., bytes != 0]", line));
    assert_eq!(
        split_fields(line),
        vec![
            "127.0.0.1",
            "-",
            "frank",
            "10/Oct/2000:13:25:15 -0700",
            "GET /apache_pb.gif HTTP/1.0",
            "404",
            "1534"
        ]
    );
}

#[test]
fn glob_rules() {
    assert!(glob("*", ""));
    assert!(glob("a*c", "abbbc"));
    assert!(!glob("a*c", "abbbd"));
    assert!(glob("*a*b*", "xxaxxbxx"));
    assert!(glob("", ""));
    assert!(!glob("", "a"));
    assert!(!glob(&"a*".repeat(50), &"a".repeat(30)));
}

#[test]
fn invalid_patterns_are_errors() {
    for p in [
        "{ $.a = }",
        "{ $.a = \"x\"",
        "{ a = 1 }",
        "{ $.a > abc }",
        "{ $. = 1 }",
        "{ $.a[x] = 1 }",
        "{ ($.a = 1 }",
        "{ $.a = 1 $.b = 2 }",
        "{ $.a IS MAYBE }",
        "[]",
        "[a = ]",
        "[a = 1 && b = 2]",
        "\"unterminated",
        "ERROR -",
    ] {
        assert!(Pattern::parse(p).is_err(), "{p} should not parse");
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("{{ {}$.a = 1{} }}", "(".repeat(40), ")".repeat(40));
    assert!(Pattern::parse(&deep).is_err());
    let ok = format!("{{ {}$.a = 1{} }}", "(".repeat(5), ")".repeat(5));
    assert!(m(&ok, r#"{"a":1}"#));
}

proptest! {
    #[test]
    fn never_panics(p in ".{0,200}", msg in ".{0,200}") {
        if let Ok(pat) = Pattern::parse(&p) {
            let _ = pat.matches(&msg);
        }
    }

    #[test]
    fn never_panics_on_pattern_like_input(
        p in r#"[\{\}\[\]\(\)\$\.a-c0-9 =!<>&|"*,?-]{0,80}"#,
        msg in r#"[\{\}\[\]"a-c0-9:, ]{0,80}"#,
    ) {
        if let Ok(pat) = Pattern::parse(&p) {
            let _ = pat.matches(&msg);
        }
    }

    #[test]
    fn a_plain_term_matches_messages_containing_it(term in "[A-Za-z0-9]{1,10}", pre in ".{0,20}", post in ".{0,20}") {
        let msg = format!("{pre}{term}{post}");
        prop_assert!(Pattern::parse(&term).unwrap().matches(&msg));
    }
}
