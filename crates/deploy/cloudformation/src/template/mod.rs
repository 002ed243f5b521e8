//! Templates: parsing (JSON and YAML with short-form tags), structural validation with AWS's
//! messages, parameters, conditions and the evaluation of intrinsic functions.
//!
//! * [`parse`] turns a body into a JSON value in long form (`Fn::*`).
//! * [`check`] validates the sections and every reference (`Ref`, `Fn::GetAtt`, `Fn::Sub`,
//!   `DependsOn`, conditions) before anything is created.
//! * [`params`] resolves parameter values against their declarations.
//! * [`eval`] evaluates intrinsic functions and conditions.

pub mod eval;
pub mod params;
pub mod yaml;

use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The largest template body accepted (the TemplateBody limit of the API).
pub const MAX_BODY: usize = 1024 * 1024;

/// Sections a template may have.
const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
    "Hooks",
];

/// Attributes a resource entry may have.
const RESOURCE_KEYS: &[&str] = &[
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
    "CreationPolicy",
    "UpdatePolicy",
    "Version",
];

/// Pseudo parameters `Ref` accepts.
pub const PSEUDO: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// A template problem, worded as AWS words it (every one is a `ValidationError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("Template format error: {0}")]
    Format(String),
    #[error("Template error: {0}")]
    Template(String),
    /// A message that stands alone (parameters, circular dependencies).
    #[error("{0}")]
    Other(String),
}

/// Parses a template body: JSON when it is a JSON object, YAML otherwise.
pub fn parse(body: &str) -> Result<Value, TemplateError> {
    if body.len() > MAX_BODY {
        return Err(TemplateError::Other(format!(
            "Template may not exceed {MAX_BODY} bytes in size."
        )));
    }
    let trimmed = body.trim_start();
    let value = if trimmed.starts_with('{') {
        match serde_json::from_str::<Value>(trimmed) {
            Ok(v) => {
                check_depth(&v, 0)?;
                v
            }
            // A flow-style YAML mapping also starts with `{`.
            Err(_) => yaml::parse(body)
                .map_err(|_| TemplateError::Format("JSON not well-formed.".to_string()))?,
        }
    } else {
        yaml::parse(body)?
    };
    if !value.is_object() {
        return Err(TemplateError::Format("unsupported structure.".to_string()));
    }
    Ok(value)
}

fn check_depth(v: &Value, depth: usize) -> Result<(), TemplateError> {
    if depth > yaml::MAX_DEPTH {
        return Err(TemplateError::Format(
            "Template is nested too deeply".to_string(),
        ));
    }
    match v {
        Value::Array(a) => a.iter().try_for_each(|x| check_depth(x, depth + 1)),
        Value::Object(m) => m.values().try_for_each(|x| check_depth(x, depth + 1)),
        _ => Ok(()),
    }
}

/// The transforms a template declares (`Transform: X` or a list).
pub fn transforms(template: &Value) -> Vec<String> {
    match template.get("Transform") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// A section as a map (empty when absent).
pub fn section<'a>(template: &'a Value, name: &str) -> &'a Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    template
        .get(name)
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// `DependsOn` as a list.
pub fn depends_on(resource: &Value) -> Vec<String> {
    match resource.get("DependsOn") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// Validates the structure of a processed template (after transforms) and every reference
/// in it, with AWS's messages.
pub fn check(template: &Value) -> Result<(), TemplateError> {
    let top = template
        .as_object()
        .ok_or_else(|| TemplateError::Format("unsupported structure.".to_string()))?;
    let unknown: Vec<&str> = top
        .keys()
        .map(String::as_str)
        .filter(|k| !SECTIONS.contains(k))
        .collect();
    if !unknown.is_empty() {
        return Err(TemplateError::Format(format!(
            "Invalid template property or properties [{}]",
            unknown.join(", ")
        )));
    }
    if let Some(v) = top.get("AWSTemplateFormatVersion")
        && v.as_str() != Some("2010-09-09")
    {
        return Err(TemplateError::Format(format!(
            "'{}' is not a valid template version",
            v.as_str().unwrap_or_default()
        )));
    }
    for name in [
        "Parameters",
        "Mappings",
        "Conditions",
        "Resources",
        "Outputs",
    ] {
        if let Some(v) = top.get(name)
            && !v.is_object()
        {
            return Err(TemplateError::Format(format!("{name} must be an object")));
        }
    }
    let resources = section(template, "Resources");
    if resources.is_empty() {
        return Err(TemplateError::Format(
            "At least one Resources member must be defined.".to_string(),
        ));
    }
    let params = section(template, "Parameters");
    let conditions = section(template, "Conditions");
    for (name, decl) in params {
        if decl.get("Type").and_then(Value::as_str).is_none() {
            return Err(TemplateError::Format(format!(
                "[/Parameters/{name}] 'null' values are not allowed in templates"
            )));
        }
    }
    for (id, res) in resources {
        let Some(obj) = res.as_object() else {
            return Err(TemplateError::Format(format!(
                "[/Resources/{id}] resource definition is malformed"
            )));
        };
        if !obj.get("Type").is_some_and(Value::is_string) {
            return Err(TemplateError::Format(format!(
                "[/Resources/{id}] Every Resources object must contain a Type member."
            )));
        }
        let unknown: Vec<&str> = obj
            .keys()
            .map(String::as_str)
            .filter(|k| !RESOURCE_KEYS.contains(k))
            .collect();
        if !unknown.is_empty() {
            return Err(TemplateError::Format(format!(
                "Invalid template resource property '{}'",
                unknown.join(", ")
            )));
        }
        if let Some(c) = obj.get("Condition") {
            let c = c.as_str().unwrap_or_default();
            if !conditions.contains_key(c) {
                return Err(TemplateError::Format(format!(
                    "Unresolved dependencies [{c}]. Cannot reference resources in the Conditions block of the template"
                )));
            }
        }
        for dep in depends_on(res) {
            if !resources.contains_key(&dep) {
                return Err(TemplateError::Format(format!(
                    "Unresolved resource dependencies [{dep}] in the Resources block of the template"
                )));
            }
        }
    }
    // References from resources and outputs.
    let mut unresolved = BTreeSet::new();
    let known = |name: &str| {
        resources.contains_key(name) || params.contains_key(name) || PSEUDO.contains(&name)
    };
    for res in resources.values() {
        for r in eval::references(res.get("Properties").unwrap_or(&Value::Null)) {
            check_ref(&r, &known, resources, &mut unresolved)?;
        }
    }
    if !unresolved.is_empty() {
        return Err(TemplateError::Format(format!(
            "Unresolved resource dependencies [{}] in the Resources block of the template",
            unresolved.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    for (name, out) in section(template, "Outputs") {
        if out.get("Value").is_none() {
            return Err(TemplateError::Format(format!(
                "Every Outputs member must contain a Value object, the Outputs member {name} is invalid"
            )));
        }
        let mut unresolved = BTreeSet::new();
        for r in eval::references(out) {
            check_ref(&r, &known, resources, &mut unresolved)?;
        }
        if !unresolved.is_empty() {
            return Err(TemplateError::Format(format!(
                "Unresolved resource dependencies [{}] in the Outputs block of the template",
                unresolved.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        if let Some(c) = out.get("Condition").and_then(Value::as_str)
            && !conditions.contains_key(c)
        {
            return Err(TemplateError::Format(format!(
                "Unresolved dependencies [{c}]. Cannot reference resources in the Conditions block of the template"
            )));
        }
    }
    for (name, cond) in conditions {
        for r in eval::references(cond) {
            match r {
                eval::Reference::Ref(t) if !params.contains_key(&t) && !PSEUDO.contains(&&*t) => {
                    return Err(TemplateError::Format(format!(
                        "Unresolved dependencies [{t}]. Cannot reference resources in the Conditions block of the template"
                    )));
                }
                eval::Reference::Condition(c) if !conditions.contains_key(&c) => {
                    return Err(TemplateError::Format(format!(
                        "Condition {name} references undefined condition {c}"
                    )));
                }
                eval::Reference::GetAtt(..) => {
                    return Err(TemplateError::Format(format!(
                        "Cannot reference resources in the Conditions block of the template ({name})"
                    )));
                }
                _ => {}
            }
        }
    }
    crate::engine::graph::order(template)
        .map(|_| ())
        .map_err(TemplateError::Other)
}

fn check_ref(
    r: &eval::Reference,
    known: &impl Fn(&str) -> bool,
    resources: &Map<String, Value>,
    unresolved: &mut BTreeSet<String>,
) -> Result<(), TemplateError> {
    match r {
        eval::Reference::Ref(t) if !known(t) => {
            unresolved.insert(t.clone());
        }
        eval::Reference::GetAtt(res, _) if !resources.contains_key(res) => {
            return Err(TemplateError::Template(format!(
                "instance of Fn::GetAtt references undefined resource {res}"
            )));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(t: Value) -> String {
        check(&t).unwrap_err().to_string()
    }

    #[test]
    fn json_and_yaml_bodies_parse_to_the_same_value() {
        let j = parse(r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}"#).unwrap();
        let y = parse("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n").unwrap();
        assert_eq!(j, y);
        let flow = parse("{Resources: {Q: {Type: AWS::SQS::Queue}}}").unwrap();
        assert_eq!(j, flow);
        assert!(parse("- a\n- b").is_err());
    }

    #[test]
    fn structure_messages() {
        assert_eq!(
            err(json!({"Resources": {}})),
            "Template format error: At least one Resources member must be defined."
        );
        assert_eq!(
            err(json!({"Foo": 1, "Resources": {"A": {"Type": "T"}}})),
            "Template format error: Invalid template property or properties [Foo]"
        );
        assert_eq!(
            err(json!({"Resources": {"A": {"Properties": {}}}})),
            "Template format error: [/Resources/A] Every Resources object must contain a Type member."
        );
        assert_eq!(
            err(
                json!({"AWSTemplateFormatVersion": "2011-01-01", "Resources": {"A": {"Type": "T"}}})
            ),
            "Template format error: '2011-01-01' is not a valid template version"
        );
    }

    #[test]
    fn reference_messages() {
        assert_eq!(
            err(json!({"Resources": {"A": {"Type": "T", "Properties": {"X": {"Ref": "Nope"}}}}})),
            "Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"
        );
        assert_eq!(
            err(
                json!({"Resources": {"A": {"Type": "T", "Properties": {"X": {"Fn::GetAtt": ["Nope", "Arn"]}}}}})
            ),
            "Template error: instance of Fn::GetAtt references undefined resource Nope"
        );
        assert_eq!(
            err(
                json!({"Resources": {"A": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${Nope.Arn}-${Missing}"}}}}})
            ),
            "Template error: instance of Fn::GetAtt references undefined resource Nope"
        );
        assert_eq!(
            err(json!({"Resources": {"A": {"Type": "T", "DependsOn": "B"}}})),
            "Template format error: Unresolved resource dependencies [B] in the Resources block of the template"
        );
        assert_eq!(
            err(json!({"Resources": {
                "A": {"Type": "T", "Properties": {"X": {"Ref": "B"}}},
                "B": {"Type": "T", "Properties": {"X": {"Fn::GetAtt": ["A", "Arn"]}}}
            }})),
            "Circular dependency between resources: [A, B]"
        );
        assert!(
            err(json!({"Resources": {"A": {"Type": "T"}}, "Outputs": {"O": {"Value": {"Ref": "Z"}}}}))
                .contains("[Z] in the Outputs block")
        );
    }

    #[test]
    fn pseudo_parameters_and_parameters_resolve() {
        check(&json!({
            "Parameters": {"P": {"Type": "String"}},
            "Resources": {"A": {"Type": "T", "Properties": {
                "X": {"Ref": "P"}, "Y": {"Ref": "AWS::Region"}, "Z": {"Fn::Sub": "${AWS::StackName}-${P}-${!Literal}"}
            }}}
        }))
        .unwrap();
    }
}
