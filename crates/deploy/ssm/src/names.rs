//! Parameter name, path, selector, label and ARN rules.

use crate::error::{Result, SsmError};

/// The longest fully qualified name AWS accepts (the model's 2048 includes 1037 characters
/// AWS reserves for internal use).
pub const MAX_NAME_LEN: usize = 1011;
pub const MAX_LEVELS: usize = 15;

const INVALID_NAME: &str = "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_";
const RESERVED_PREFIX: &str =
    "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).";
pub const INVALID_PATH: &str = "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.";

fn allowed_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')
}

fn levels(name: &str) -> usize {
    name.trim_start_matches('/').split('/').count()
}

fn reserved(name: &str) -> bool {
    let l = name.trim_start_matches('/').to_ascii_lowercase();
    l.starts_with("aws") || l.starts_with("ssm")
}

/// Checks a name for PutParameter and returns it with surrounding spaces removed (AWS trims
/// them).
pub fn validate_name(raw: &str) -> Result<String> {
    let name = raw.trim_matches(' ');
    if name.is_empty() {
        return Err(SsmError::Validation(
            "1 validation error detected: Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(SsmError::Validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to {MAX_NAME_LEN}"
        )));
    }
    if reserved(name) {
        let is_path = name.matches('/').count() > 1;
        return Err(SsmError::Validation(
            if is_path {
                INVALID_NAME
            } else {
                RESERVED_PREFIX
            }
            .into(),
        ));
    }
    if name.contains('/') && !name.starts_with('/') {
        return Err(SsmError::Validation(
            "Parameter name must be a fully qualified name.".into(),
        ));
    }
    if !name.chars().all(allowed_char)
        || name.contains("//")
        || (name.len() > 1 && name.ends_with('/'))
        || name == "/"
    {
        return Err(SsmError::Validation(INVALID_NAME.into()));
    }
    if levels(name) > MAX_LEVELS {
        return Err(SsmError::HierarchyLevelLimit);
    }
    Ok(name.to_string())
}

/// Checks a GetParametersByPath path and returns its scan prefix: `""` for `/` (every name),
/// otherwise the path with exactly one trailing slash.
pub fn path_prefix(path: &str) -> Result<String> {
    let ok = path.starts_with('/') && path.chars().all(allowed_char) && !path.contains("//");
    if !ok {
        return Err(SsmError::Validation(INVALID_PATH.into()));
    }
    if path == "/" {
        return Ok(String::new());
    }
    if levels(path.trim_end_matches('/')) > MAX_LEVELS {
        return Err(SsmError::HierarchyLevelLimit);
    }
    Ok(format!("{}/", path.trim_end_matches('/')))
}

/// Whether `name` is within the path whose prefix [`path_prefix`] returned.
pub fn in_path(name: &str, prefix: &str, recursive: bool) -> bool {
    let Some(rest) = name.strip_prefix(prefix) else {
        return false;
    };
    let rest = if prefix.is_empty() {
        rest.trim_start_matches('/')
    } else {
        rest
    };
    !rest.is_empty() && (recursive || !rest.contains('/'))
}

/// A `name:version` or `name:label` suffix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Version(u64),
    Label(String),
}

impl Selector {
    /// As the response's `Selector` member shows it: `:3`, `:prod`.
    pub fn display(&self) -> String {
        match self {
            Selector::Version(v) => format!(":{v}"),
            Selector::Label(l) => format!(":{l}"),
        }
    }
}

/// A reference to a parameter as Get calls accept it: a name or a parameter ARN, optionally
/// with a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Names to try, in order (an ARN `parameter/x` may name `x` or `/x`).
    pub candidates: Vec<String>,
    pub selector: Option<Selector>,
}

/// Strips an ARN prefix: `arn:aws:ssm:region:account:parameter/a/b` → candidates `/a/b`;
/// `...:parameter/x` → `x`, then `/x`.
fn strip_arn(s: &str) -> Option<Vec<String>> {
    let rest = s.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, service, _region, _account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if service != "ssm" {
        return None;
    }
    let path = resource.strip_prefix("parameter/")?;
    if path.contains('/') {
        Some(vec![format!("/{path}")])
    } else {
        Some(vec![path.to_string(), format!("/{path}")])
    }
}

pub fn parse_reference(input: &str) -> Reference {
    let input = input.trim_matches(' ');
    // An ARN's own colons come first; a selector is whatever follows the resource part.
    let (body, selector) = if input.starts_with("arn:") {
        let idx = input.match_indices(':').nth(5).map(|(i, _)| i);
        match idx {
            Some(i) => (&input[..i], Some(&input[i + 1..])),
            None => (input, None),
        }
    } else {
        match input.split_once(':') {
            Some((n, s)) => (n, Some(s)),
            None => (input, None),
        }
    };
    let candidates = strip_arn(body).unwrap_or_else(|| vec![body.to_string()]);
    let selector = selector.map(|s| match s.parse::<u64>() {
        Ok(v) if s.bytes().all(|b| b.is_ascii_digit()) => Selector::Version(v),
        _ => Selector::Label(s.to_string()),
    });
    Reference {
        candidates,
        selector,
    }
}

/// Candidates for a tag ResourceId or a Name that does not take selectors.
pub fn resource_candidates(input: &str) -> Vec<String> {
    let input = input.trim_matches(' ');
    strip_arn(input).unwrap_or_else(|| vec![input.to_string()])
}

/// AWS's label rules: at most 100 characters, letters, digits, `.`, `-`, `_`; must not start
/// with a digit or with `aws`/`ssm` (case-insensitive).
pub fn valid_label(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    !label.is_empty()
        && label.len() <= 100
        && !label.starts_with(|c: char| c.is_ascii_digit())
        && !lower.starts_with("aws")
        && !lower.starts_with("ssm")
        && label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(validate_name(" /a/b ").unwrap(), "/a/b");
        assert_eq!(validate_name("plain.name-1_x").unwrap(), "plain.name-1_x");
        assert!(
            matches!(validate_name("a/b"), Err(SsmError::Validation(m)) if m.contains("fully qualified"))
        );
        assert!(matches!(validate_name("/a b"), Err(SsmError::Validation(m)) if m == INVALID_NAME));
        assert!(matches!(
            validate_name("/a//b"),
            Err(SsmError::Validation(_))
        ));
        assert!(
            matches!(validate_name("AWS-x"), Err(SsmError::Validation(m)) if m == RESERVED_PREFIX)
        );
        assert!(
            matches!(validate_name("/ssm/x"), Err(SsmError::Validation(m)) if m == INVALID_NAME)
        );
        let fifteen = "/l".repeat(15);
        assert!(validate_name(&fifteen).is_ok());
        assert!(matches!(
            validate_name(&format!("{fifteen}/x")),
            Err(SsmError::HierarchyLevelLimit)
        ));
        let long = format!("/{}", "a".repeat(MAX_NAME_LEN));
        assert!(matches!(validate_name(&long), Err(SsmError::Validation(_))));
    }

    #[test]
    fn paths() {
        assert_eq!(path_prefix("/").unwrap(), "");
        assert_eq!(path_prefix("/a/b/").unwrap(), "/a/b/");
        assert_eq!(path_prefix("/a").unwrap(), "/a/");
        assert!(path_prefix("a").is_err());
        assert!(path_prefix("/a b").is_err());
        assert!(in_path("/a/x", "/a/", false));
        assert!(!in_path("/a/x/y", "/a/", false));
        assert!(in_path("/a/x/y", "/a/", true));
        assert!(!in_path("/ab", "/a/", true));
        assert!(in_path("top", "", false));
        assert!(in_path("/top", "", false));
        assert!(!in_path("/top/x", "", false));
    }

    #[test]
    fn references() {
        let r = parse_reference("/a/b:3");
        assert_eq!(r.candidates, vec!["/a/b"]);
        assert_eq!(r.selector, Some(Selector::Version(3)));
        let r = parse_reference("arn:aws:ssm:us-east-1:123456789012:parameter/a/b:prod");
        assert_eq!(r.candidates, vec!["/a/b"]);
        assert_eq!(r.selector, Some(Selector::Label("prod".into())));
        let r = parse_reference("arn:aws:ssm:us-east-1:123456789012:parameter/x");
        assert_eq!(r.candidates, vec!["x", "/x"]);
        assert_eq!(r.selector, None);
        assert_eq!(parse_reference("x").selector, None);
    }

    #[test]
    fn labels() {
        assert!(valid_label("prod"));
        assert!(valid_label("v1.2-rc_3"));
        assert!(!valid_label("1st"));
        assert!(!valid_label("AWSlabel"));
        assert!(!valid_label("ssm"));
        assert!(!valid_label("bad label"));
        assert!(!valid_label(&"a".repeat(101)));
    }
}
