//! Parameters: declared types, defaults, constraints, NoEcho, previous values on update.
//!
//! [`resolve`] checks the given values against the Parameters section with AWS's messages and
//! returns what `Ref` sees (strings; lists for list types). Parameters of the
//! `AWS::SSM::Parameter::Value<...>` types name a Parameter Store parameter; they are listed in
//! [`Resolved::ssm`] for the caller to look up (the lookup is a service call).

use super::TemplateError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A parameter value as given in a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Given {
    pub parameter_key: Option<String>,
    pub parameter_value: Option<String>,
    pub use_previous_value: Option<bool>,
    pub resolved_value: Option<String>,
}

/// One parameter as DescribeStacks shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub key: String,
    /// The value as given (the SSM parameter name for SSM types).
    pub value: String,
    pub no_echo: bool,
    /// The value from Parameter Store, for SSM types.
    pub resolved: Option<String>,
}

/// A Parameter Store lookup the caller must make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsmLookup {
    pub key: String,
    pub name: String,
    pub list: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// Name → what `Ref` returns.
    pub values: Map<String, Value>,
    pub listed: Vec<Listed>,
    pub ssm: Vec<SsmLookup>,
}

impl Resolved {
    /// Fills in a Parameter Store value.
    pub fn set_ssm(&mut self, lookup: &SsmLookup, value: &str) {
        let v = if lookup.list {
            split_list(value)
        } else {
            Value::String(value.to_string())
        };
        self.values.insert(lookup.key.clone(), v);
        if let Some(l) = self.listed.iter_mut().find(|l| l.key == lookup.key) {
            l.resolved = Some(value.to_string());
        }
    }
}

fn split_list(s: &str) -> Value {
    Value::Array(
        s.split(',')
            .map(|p| Value::String(p.trim().to_string()))
            .collect(),
    )
}

fn is_known_type(t: &str) -> bool {
    matches!(
        t,
        "String" | "Number" | "List<Number>" | "CommaDelimitedList"
    ) || t.starts_with("AWS::EC2::")
        || t.starts_with("List<AWS::EC2::")
        || t.starts_with("AWS::SSM::Parameter::")
}

fn text(v: &Value) -> Option<String> {
    super::eval::scalar(v)
}

/// Resolves parameter values: given (or the previous value when `UsePreviousValue`), else
/// the default; then checks every constraint.
pub fn resolve(
    section: &Map<String, Value>,
    given: &[Given],
    previous: &[Listed],
) -> Result<Resolved, TemplateError> {
    let undeclared: Vec<&str> = given
        .iter()
        .filter_map(|g| g.parameter_key.as_deref())
        .filter(|k| !section.contains_key(*k))
        .collect();
    if !undeclared.is_empty() {
        return Err(TemplateError::Other(format!(
            "Parameters: [{}] do not exist in the template",
            undeclared.join(", ")
        )));
    }
    let mut out = Resolved::default();
    let mut missing = Vec::new();
    for (name, decl) in section {
        let ty = decl.get("Type").and_then(Value::as_str).unwrap_or("String");
        if !is_known_type(ty) {
            return Err(TemplateError::Format(format!(
                "Unrecognized parameter type: {ty}"
            )));
        }
        let g = given
            .iter()
            .find(|g| g.parameter_key.as_deref() == Some(name.as_str()));
        let value = match g {
            Some(g) if g.use_previous_value == Some(true) => {
                match previous.iter().find(|p| &p.key == name) {
                    Some(p) => Some(p.value.clone()),
                    None => {
                        return Err(TemplateError::Other(format!(
                            "Invalid input for parameter key {name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template"
                        )));
                    }
                }
            }
            Some(g) => g.parameter_value.clone(),
            None => decl.get("Default").and_then(text),
        };
        let Some(value) = value else {
            missing.push(name.clone());
            continue;
        };
        check(name, ty, decl, &value)?;
        let no_echo = decl
            .get("NoEcho")
            .and_then(text)
            .is_some_and(|s| s.eq_ignore_ascii_case("true"));
        if let Some(inner) = ty
            .strip_prefix("AWS::SSM::Parameter::Value<")
            .and_then(|s| s.strip_suffix('>'))
        {
            out.ssm.push(SsmLookup {
                key: name.clone(),
                name: value.clone(),
                list: inner.starts_with("List<") || inner == "CommaDelimitedList",
            });
        }
        let v = if ty == "CommaDelimitedList" || ty.starts_with("List<") {
            split_list(&value)
        } else {
            Value::String(value.clone())
        };
        out.values.insert(name.clone(), v);
        out.listed.push(Listed {
            key: name.clone(),
            value,
            no_echo,
            resolved: None,
        });
    }
    if !missing.is_empty() {
        return Err(TemplateError::Other(format!(
            "Parameters: [{}] must have values",
            missing.join(", ")
        )));
    }
    Ok(out)
}

fn check(name: &str, ty: &str, decl: &Value, value: &str) -> Result<(), TemplateError> {
    let fail = |msg: String| {
        let msg = match decl.get("ConstraintDescription").and_then(text) {
            Some(d) if !msg.ends_with("must be a number.") => {
                format!("Parameter '{name}' failed to satisfy constraint: {d}")
            }
            _ => msg,
        };
        Err(TemplateError::Other(msg))
    };
    let items: Vec<&str> = if ty == "CommaDelimitedList" || ty.starts_with("List<") {
        value.split(',').map(str::trim).collect()
    } else {
        vec![value]
    };
    for item in &items {
        if ty == "Number" || ty == "List<Number>" {
            let Ok(n) = item.parse::<f64>() else {
                return fail(format!("Parameter '{name}' must be a number."));
            };
            if let Some(min) = decl
                .get("MinValue")
                .and_then(text)
                .and_then(|s| s.parse::<f64>().ok())
                && n < min
            {
                return fail(format!(
                    "Parameter '{name}' must be a number not less than {}",
                    text(&decl["MinValue"]).unwrap_or_default()
                ));
            }
            if let Some(max) = decl
                .get("MaxValue")
                .and_then(text)
                .and_then(|s| s.parse::<f64>().ok())
                && n > max
            {
                return fail(format!(
                    "Parameter '{name}' must be a number not greater than {}",
                    text(&decl["MaxValue"]).unwrap_or_default()
                ));
            }
        }
        if let Some(Value::Array(allowed)) = decl.get("AllowedValues")
            && !allowed.iter().filter_map(text).any(|a| a == *item)
        {
            return fail(format!("Parameter '{name}' must be one of AllowedValues"));
        }
    }
    let len = value.chars().count();
    if let Some(min) = decl
        .get("MinLength")
        .and_then(text)
        .and_then(|s| s.parse::<usize>().ok())
        && len < min
    {
        return fail(format!(
            "Parameter '{name}' must contain at least {min} characters"
        ));
    }
    if let Some(max) = decl
        .get("MaxLength")
        .and_then(text)
        .and_then(|s| s.parse::<usize>().ok())
        && len > max
    {
        return fail(format!(
            "Parameter '{name}' must contain at most {max} characters"
        ));
    }
    if let Some(pattern) = decl.get("AllowedPattern").and_then(Value::as_str) {
        // AWS matches the whole value.
        let re = regex_lite::Regex::new(&format!("^(?:{pattern})$")).map_err(|_| {
            TemplateError::Other(format!("Parameter '{name}' has an invalid AllowedPattern"))
        })?;
        if !re.is_match(value) {
            return fail(format!("Parameter '{name}' must match pattern {pattern}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn given(k: &str, v: &str) -> Given {
        Given {
            parameter_key: Some(k.into()),
            parameter_value: Some(v.into()),
            ..Default::default()
        }
    }

    fn section(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn defaults_types_and_lists() {
        let s = section(json!({
            "A": {"Type": "String", "Default": "x"},
            "N": {"Type": "Number", "Default": 5},
            "L": {"Type": "CommaDelimitedList", "Default": "a, b,c"},
            "LN": {"Type": "List<Number>"},
            "S": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/p"},
            "Secret": {"Type": "String", "NoEcho": true},
        }));
        let r = resolve(&s, &[given("LN", "1,2"), given("Secret", "pw")], &[]).unwrap();
        assert_eq!(r.values["A"], "x");
        assert_eq!(r.values["N"], "5");
        assert_eq!(r.values["L"], json!(["a", "b", "c"]));
        assert_eq!(r.values["LN"], json!(["1", "2"]));
        assert_eq!(
            r.ssm,
            vec![SsmLookup {
                key: "S".into(),
                name: "/app/p".into(),
                list: false
            }]
        );
        assert!(r.listed.iter().any(|l| l.key == "Secret" && l.no_echo));
    }

    #[test]
    fn constraint_messages() {
        let s = section(json!({
            "Env": {"Type": "String", "AllowedValues": ["dev", "prod"]},
            "Name": {"Type": "String", "AllowedPattern": "[a-z]+", "MinLength": 2, "MaxLength": 4, "Default": "ab"},
            "Size": {"Type": "Number", "MinValue": 1, "MaxValue": 10, "Default": 3},
        }));
        let e = |g: &[Given]| resolve(&s, g, &[]).unwrap_err().to_string();
        assert_eq!(e(&[]), "Parameters: [Env] must have values");
        assert_eq!(
            e(&[given("Env", "qa")]),
            "Parameter 'Env' must be one of AllowedValues"
        );
        assert_eq!(
            e(&[given("Env", "dev"), given("Name", "AB")]),
            "Parameter 'Name' must match pattern [a-z]+"
        );
        assert_eq!(
            e(&[given("Env", "dev"), given("Name", "a")]),
            "Parameter 'Name' must contain at least 2 characters"
        );
        assert_eq!(
            e(&[given("Env", "dev"), given("Name", "abcde")]),
            "Parameter 'Name' must contain at most 4 characters"
        );
        assert_eq!(
            e(&[given("Env", "dev"), given("Size", "x")]),
            "Parameter 'Size' must be a number."
        );
        assert_eq!(
            e(&[given("Env", "dev"), given("Size", "0")]),
            "Parameter 'Size' must be a number not less than 1"
        );
        assert_eq!(
            e(&[given("Env", "dev"), given("Size", "11")]),
            "Parameter 'Size' must be a number not greater than 10"
        );
        assert_eq!(
            e(&[given("Env", "dev"), given("Bogus", "1")]),
            "Parameters: [Bogus] do not exist in the template"
        );
    }

    #[test]
    fn previous_values() {
        let s = section(json!({"A": {"Type": "String"}}));
        let prev = vec![Listed {
            key: "A".into(),
            value: "old".into(),
            no_echo: false,
            resolved: None,
        }];
        let g = Given {
            parameter_key: Some("A".into()),
            use_previous_value: Some(true),
            ..Default::default()
        };
        assert_eq!(resolve(&s, &[g], &prev).unwrap().values["A"], "old");
    }
}
