//! YAML templates → the JSON value a JSON template would have been.
//!
//! Short-form tags become their long forms (`!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` →
//! `{"Fn::GetAtt": ["A", "B"]}`, `!Sub ...` → `{"Fn::Sub": ...}`, `!Condition C` →
//! `{"Condition": "C"}`). The YAML is read as YAML 1.2 (serde_yaml_ng): `yes`, `no`, `on`,
//! `off` stay strings, as CloudFormation keeps them; only `true`/`false` are booleans.
//! Mapping keys that are not strings (numbers, booleans) become their string form.

use super::TemplateError;
use serde_json::{Map, Number, Value};
use serde_yaml_ng::Value as Yaml;

/// Deeper nesting than this is rejected (templates come from the network).
pub const MAX_DEPTH: usize = 64;

/// Tags that map to `Fn::<name>`.
const FN_TAGS: &[&str] = &[
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "Length",
    "ToJsonString",
];

/// Parses a YAML template body.
pub fn parse(body: &str) -> Result<Value, TemplateError> {
    let yaml: Yaml = serde_yaml_ng::from_str(body)
        .map_err(|e| TemplateError::Format(format!("YAML not well-formed. ({})", location(&e))))?;
    convert(yaml, 0)
}

fn location(e: &serde_yaml_ng::Error) -> String {
    match e.location() {
        Some(l) => format!("line {}, column {}", l.line(), l.column()),
        None => e.to_string(),
    }
}

fn convert(yaml: Yaml, depth: usize) -> Result<Value, TemplateError> {
    if depth > MAX_DEPTH {
        return Err(TemplateError::Format(
            "Template is nested too deeply".to_string(),
        ));
    }
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => number(&n),
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(|v| convert(v, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Yaml::String(s) => s,
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    Yaml::Null => "null".to_string(),
                    _ => {
                        return Err(TemplateError::Format(
                            "YAML not well-formed. (a mapping key must be a scalar)".to_string(),
                        ));
                    }
                };
                out.insert(key, convert(v, depth + 1)?);
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let inner = convert(tagged.value, depth + 1)?;
            tag_to_long_form(name, inner)?
        }
    })
}

fn number(n: &serde_yaml_ng::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::Number(i.into())
    } else if let Some(u) = n.as_u64() {
        Value::Number(u.into())
    } else {
        n.as_f64()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(n.to_string()))
    }
}

fn tag_to_long_form(name: &str, inner: Value) -> Result<Value, TemplateError> {
    let long = match name {
        "Ref" => ("Ref".to_string(), inner),
        "Condition" => ("Condition".to_string(), inner),
        "GetAtt" => {
            let v = match inner {
                // `!GetAtt Resource.Attribute` (the attribute may itself contain dots).
                Value::String(s) => match s.split_once('.') {
                    Some((res, attr)) => Value::Array(vec![res.into(), attr.into()]),
                    None => {
                        return Err(TemplateError::Format(format!(
                            "Template error: every Fn::GetAtt object requires two non-empty parameters; found !GetAtt {s}"
                        )));
                    }
                },
                other => other,
            };
            ("Fn::GetAtt".to_string(), v)
        }
        n if FN_TAGS.contains(&n) => (format!("Fn::{n}"), inner),
        other => {
            return Err(TemplateError::Format(format!(
                "YAML not well-formed. (unknown tag !{other})"
            )));
        }
    };
    let mut m = Map::new();
    m.insert(long.0, long.1);
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_forms_become_long_forms() {
        let v = parse(
            r#"
A: !Ref X
B: !GetAtt Res.Arn
C: !GetAtt [Res, Arn]
D: !Sub "${AWS::Region}-x"
E: !Sub ["${a}", {a: !Ref P}]
F: !Join [",", [a, b]]
G: !Select [0, !GetAZs ""]
H: !Split [",", "a,b"]
I: !If [Cond, 1, !Ref AWS::NoValue]
J: !Equals [a, b]
K: !And [!Condition C1, !Not [!Condition C2]]
L: !Or [!Equals [a, a], !Equals [b, c]]
M: !FindInMap [Map, Top, Second]
N: !ImportValue Exp
O: !Base64 abc
P: !Cidr [10.0.0.0/16, 4, 8]
Q: !GetAtt Res.Endpoint.Address
"#,
        )
        .unwrap();
        assert_eq!(v["A"], json!({"Ref": "X"}));
        assert_eq!(v["B"], json!({"Fn::GetAtt": ["Res", "Arn"]}));
        assert_eq!(v["C"], json!({"Fn::GetAtt": ["Res", "Arn"]}));
        assert_eq!(v["D"], json!({"Fn::Sub": "${AWS::Region}-x"}));
        assert_eq!(v["E"], json!({"Fn::Sub": ["${a}", {"a": {"Ref": "P"}}]}));
        assert_eq!(v["F"], json!({"Fn::Join": [",", ["a", "b"]]}));
        assert_eq!(v["G"], json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}));
        assert_eq!(v["H"], json!({"Fn::Split": [",", "a,b"]}));
        assert_eq!(
            v["I"],
            json!({"Fn::If": ["Cond", 1, {"Ref": "AWS::NoValue"}]})
        );
        assert_eq!(v["J"], json!({"Fn::Equals": ["a", "b"]}));
        assert_eq!(
            v["K"],
            json!({"Fn::And": [{"Condition": "C1"}, {"Fn::Not": [{"Condition": "C2"}]}]})
        );
        assert_eq!(v["L"]["Fn::Or"][1], json!({"Fn::Equals": ["b", "c"]}));
        assert_eq!(v["M"], json!({"Fn::FindInMap": ["Map", "Top", "Second"]}));
        assert_eq!(v["N"], json!({"Fn::ImportValue": "Exp"}));
        assert_eq!(v["O"], json!({"Fn::Base64": "abc"}));
        assert_eq!(v["P"], json!({"Fn::Cidr": ["10.0.0.0/16", 4, 8]}));
        assert_eq!(v["Q"], json!({"Fn::GetAtt": ["Res", "Endpoint.Address"]}));
    }

    #[test]
    fn yaml_1_1_words_stay_strings() {
        let v = parse("a: yes\nb: no\nc: on\nd: off\ne: true\nf: 5\ng: 1.5\n1: x\n").unwrap();
        assert_eq!(v["a"], "yes");
        assert_eq!(v["b"], "no");
        assert_eq!(v["c"], "on");
        assert_eq!(v["d"], "off");
        assert_eq!(v["e"], true);
        assert_eq!(v["f"], 5);
        assert_eq!(v["g"], 1.5);
        assert_eq!(v["1"], "x");
    }

    #[test]
    fn bad_yaml_and_unknown_tags_are_format_errors() {
        let e = parse("a: [1, 2").unwrap_err().to_string();
        assert!(
            e.starts_with("Template format error: YAML not well-formed."),
            "{e}"
        );
        let e = parse("a: !Bogus x").unwrap_err().to_string();
        assert!(e.contains("!Bogus"), "{e}");
    }

    #[test]
    fn deep_nesting_is_rejected_not_overflowed() {
        let body = format!("a: {}1{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&body).is_err());
    }
}
