//! `ParameterFilters` (DescribeParameters, GetParametersByPath) and the legacy `Filters`:
//! validation with AWS's codes and messages, and matching.

use crate::error::{Result, SsmError};
use crate::names;
use crate::store::HeadRecord;
use crate::types::{ParameterStringFilter, ParametersFilter};

/// Which operation the filters belong to: the allowed keys and options differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Describe,
    ByPath,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    BeginsWith,
    Contains,
    OneLevel,
    Recursive,
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

const TYPES: &str = "[String, StringList, SecureString]";
const TIERS: &str = "[Standard, Advanced, Intelligent-Tiering]";
const DATA_TYPES: &str = "[text, aws:ec2:image, aws:ssm:integration]";

fn check_values(values: &[String], allowed: &[&str], listing: &str) -> Result<()> {
    for v in values {
        if !allowed.contains(&v.as_str()) {
            return Err(SsmError::InvalidFilterValue(format!(
                "The following filter value is not valid: {v}. Valid values include: {listing}."
            )));
        }
    }
    Ok(())
}

pub fn parse(ctx: Context, raw: &[ParameterStringFilter]) -> Result<Vec<Filter>> {
    let mut out: Vec<Filter> = Vec::with_capacity(raw.len());
    for f in raw {
        let key = f.key.as_str();
        let is_tag = key.starts_with("tag:") && key.len() > 4;
        let known = is_tag
            || matches!(
                key,
                "Name" | "Type" | "KeyId" | "Path" | "Label" | "Tier" | "DataType"
            );
        let valid_here = match ctx {
            Context::Describe => known && key != "Label",
            Context::ByPath => matches!(key, "Type" | "KeyId" | "Label"),
        };
        if !valid_here {
            let listing = match ctx {
                Context::Describe => "[Path, Name, Type, KeyId, Tier, DataType, tag:<key>]",
                Context::ByPath => "[Type, KeyId, Label]",
            };
            return Err(SsmError::InvalidFilterKey(format!(
                "The following filter key is not valid: {key}. Valid filter keys include: {listing}."
            )));
        }
        if out.iter().any(|o| o.key == key) {
            return Err(SsmError::InvalidFilterKey(format!(
                "The following filter is duplicated in the request: {key}. A request can contain only one occurrence of a specific filter."
            )));
        }
        let values = f.values.clone().unwrap_or_default();
        if values.is_empty() && !is_tag {
            return Err(SsmError::InvalidFilterValue(format!(
                "The following filter values are missing : null for filter key {key}."
            )));
        }
        let default = if key == "Path" { "OneLevel" } else { "Equals" };
        let option = f.option.as_deref().unwrap_or(default);
        let (allowed, listing): (&[&str], &str) = match key {
            "Path" => (&["OneLevel", "Recursive"], "[Recursive, OneLevel]"),
            "Label" => (&["Equals"], "[Equals]"),
            "Name" => (
                &["Equals", "BeginsWith", "Contains"],
                "[BeginsWith, Equals, Contains]",
            ),
            _ => (&["Equals", "BeginsWith"], "[BeginsWith, Equals]"),
        };
        if !allowed.contains(&option) {
            return Err(SsmError::InvalidFilterOption(format!(
                "The following filter option is not valid: {option}. Valid options include: {listing}."
            )));
        }
        let op = match option {
            "BeginsWith" => Op::BeginsWith,
            "Contains" => Op::Contains,
            "OneLevel" => Op::OneLevel,
            "Recursive" => Op::Recursive,
            _ => Op::Equals,
        };
        match key {
            "Type" => check_values(&values, &["String", "StringList", "SecureString"], TYPES)?,
            "Tier" => check_values(
                &values,
                &["Standard", "Advanced", "Intelligent-Tiering"],
                TIERS,
            )?,
            "DataType" => check_values(
                &values,
                &["text", "aws:ec2:image", "aws:ssm:integration"],
                DATA_TYPES,
            )?,
            "Path" => {
                for v in &values {
                    let lower = v.to_ascii_lowercase();
                    if lower.starts_with("/aws") || lower.starts_with("/ssm") {
                        return Err(SsmError::Validation(
                            "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). When using global parameters, please specify within a global namespace.".into(),
                        ));
                    }
                    names::path_prefix(v)?;
                }
            }
            _ => {}
        }
        out.push(Filter {
            key: key.to_string(),
            op,
            values,
        });
    }
    Ok(out)
}

fn with_slash(s: &str) -> String {
    format!("/{}", s.trim_start_matches('/'))
}

fn text_matches(op: Op, what: &str, values: &[String]) -> bool {
    values.iter().any(|v| match op {
        Op::Equals => what == v,
        Op::BeginsWith => what.starts_with(v.as_str()),
        Op::Contains => what.contains(v.as_str()),
        Op::OneLevel | Op::Recursive => false,
    })
}

impl Filter {
    /// Whether the parameter (its latest version) passes this filter. Label filters are
    /// applied by the caller, which also picks the labelled version.
    pub fn matches(&self, head: &HeadRecord) -> bool {
        let latest = &head.latest;
        match self.key.as_str() {
            "Name" => {
                let what = with_slash(&head.name);
                if self.op == Op::Contains {
                    text_matches(self.op, &head.name, &self.values)
                } else {
                    let vals: Vec<String> = self.values.iter().map(|v| with_slash(v)).collect();
                    text_matches(self.op, &what, &vals)
                }
            }
            "Path" => self.values.iter().any(|v| {
                names::path_prefix(v)
                    .map(|p| names::in_path(&head.name, &p, self.op == Op::Recursive))
                    .unwrap_or(false)
            }),
            "Type" => text_matches(self.op, &latest.kind, &self.values),
            "KeyId" => latest
                .key_id
                .as_deref()
                .is_some_and(|k| text_matches(self.op, k, &self.values)),
            "Tier" => text_matches(self.op, &latest.tier, &self.values),
            "DataType" => text_matches(self.op, &latest.data_type, &self.values),
            "Label" => head.labels.keys().any(|l| self.values.contains(l)),
            key => {
                let tag_key = key.strip_prefix("tag:").unwrap_or_default();
                head.tags.iter().any(|t| {
                    t.key == tag_key
                        && (self.values.is_empty() || text_matches(self.op, &t.value, &self.values))
                })
            }
        }
    }
}

/// The legacy `Filters` of DescribeParameters: keys Name (begins with), Type, KeyId (equal).
pub fn legacy_matches(filters: &[ParametersFilter], head: &HeadRecord) -> bool {
    filters.iter().all(|f| match f.key.as_str() {
        "Name" => f.values.iter().any(|v| head.name.starts_with(v.as_str())),
        "Type" => f.values.contains(&head.latest.kind),
        "KeyId" => head
            .latest
            .key_id
            .as_ref()
            .is_some_and(|k| f.values.contains(k)),
        _ => false,
    })
}

pub fn check_legacy(filters: &[ParametersFilter]) -> Result<()> {
    for f in filters {
        if !matches!(f.key.as_str(), "Name" | "Type" | "KeyId") {
            return Err(SsmError::InvalidFilterKey(format!(
                "The following filter key is not valid: {}. Valid filter keys include: [Name, Type, KeyId].",
                f.key
            )));
        }
        if f.values.is_empty() {
            return Err(SsmError::InvalidFilterValue(format!(
                "The following filter values are missing : null for filter key {}.",
                f.key
            )));
        }
        if f.key == "Type" {
            check_values(&f.values, &["String", "StringList", "SecureString"], TYPES)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(key: &str, option: Option<&str>, values: &[&str]) -> ParameterStringFilter {
        ParameterStringFilter {
            key: key.into(),
            option: option.map(Into::into),
            values: if values.is_empty() {
                None
            } else {
                Some(values.iter().map(|s| s.to_string()).collect())
            },
        }
    }

    #[test]
    fn validation() {
        assert!(matches!(
            parse(Context::ByPath, &[f("Name", None, &["x"])]),
            Err(SsmError::InvalidFilterKey(_))
        ));
        assert!(matches!(
            parse(Context::Describe, &[f("Label", None, &["x"])]),
            Err(SsmError::InvalidFilterKey(_))
        ));
        assert!(matches!(
            parse(Context::Describe, &[f("Type", None, &["String"]), f("Type", None, &["String"])]),
            Err(SsmError::InvalidFilterKey(m)) if m.contains("duplicated")
        ));
        assert!(matches!(
            parse(Context::Describe, &[f("Type", None, &[])]),
            Err(SsmError::InvalidFilterValue(_))
        ));
        assert!(matches!(
            parse(Context::Describe, &[f("Type", None, &["Nope"])]),
            Err(SsmError::InvalidFilterValue(_))
        ));
        assert!(matches!(
            parse(Context::Describe, &[f("Path", Some("Equals"), &["/a"])]),
            Err(SsmError::InvalidFilterOption(_))
        ));
        assert!(matches!(
            parse(
                Context::Describe,
                &[f("Type", Some("Contains"), &["String"])]
            ),
            Err(SsmError::InvalidFilterOption(_))
        ));
        assert!(
            parse(
                Context::Describe,
                &[f("Name", Some("Contains"), &["x"]), f("tag:env", None, &[])]
            )
            .is_ok()
        );
        assert!(
            parse(
                Context::ByPath,
                &[f("Label", None, &["prod"]), f("Type", None, &["String"])]
            )
            .is_ok()
        );
    }
}
