//! Checks on what a producer sends: body characters, message and system attributes, size.

use crate::error::{Result, SqsError};
use crate::types::{AttributeValue, MessageAttrs};
use base64::Engine;

/// The characters SQS accepts in a body or attribute value (XML 1.0 `Char`).
pub fn valid_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

pub fn check_body(body: &str) -> Result<()> {
    if body.is_empty() {
        return Err(SqsError::MissingParameter("MessageBody".into()));
    }
    if !body.chars().all(valid_char) {
        return Err(SqsError::InvalidMessageContents);
    }
    Ok(())
}

fn binary_len(v: &str) -> Option<usize> {
    base64::engine::general_purpose::STANDARD
        .decode(v)
        .ok()
        .map(|b| b.len())
}

/// The bytes an attribute counts toward the message size: name, type and value.
fn attribute_size(name: &str, v: &AttributeValue) -> usize {
    let value = if let Some(s) = &v.string_value {
        s.len()
    } else if let Some(b) = &v.binary_value {
        binary_len(b).unwrap_or(b.len())
    } else {
        0
    };
    name.len() + v.data_type.len() + value
}

/// The size SQS checks against `MaximumMessageSize`: body plus message attributes.
pub fn message_size(body: &str, attrs: &MessageAttrs) -> usize {
    body.len()
        + attrs
            .iter()
            .map(|(k, v)| attribute_size(k, v))
            .sum::<usize>()
}

fn check_name(name: &str) -> Result<()> {
    let lower = name.to_ascii_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 256
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !lower.starts_with("aws.")
        && !lower.starts_with("amazon.");
    if ok {
        Ok(())
    } else {
        Err(SqsError::InvalidParameterValue(format!(
            "Message (user) attribute name '{name}' is invalid. The attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters. The name must not start or end with a period, and it should not have successive periods. The name is case-sensitive and must be unique among all attribute names for the message. The name can be up to 256 characters long. The name can't start with \"AWS.\" or \"Amazon.\" (or any casing variations), because these prefixes are reserved for use by Amazon Web Services."
        )))
    }
}

fn check_value(name: &str, v: &AttributeValue, kind: &str) -> Result<()> {
    let base = v.data_type.split('.').next().unwrap_or("");
    let custom_ok = v
        .data_type
        .split_once('.')
        .is_none_or(|(_, c)| !c.is_empty() && c.len() <= 256);
    if !matches!(base, "String" | "Number" | "Binary") || !custom_ok {
        return Err(SqsError::InvalidParameterValue(format!(
            "The type of message ({kind}) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
        )));
    }
    if v.string_list_values.is_some() || v.binary_list_values.is_some() {
        return Err(SqsError::InvalidParameterValue(format!(
            "Message ({kind}) attribute '{name}' list values are not supported."
        )));
    }
    let empty = |t: &str| {
        SqsError::InvalidParameterValue(format!(
            "Message ({kind}) attribute '{name}' must contain a non-empty value of type '{t}'."
        ))
    };
    match base {
        "Binary" => {
            let b = v.binary_value.as_deref().ok_or_else(|| empty("Binary"))?;
            if binary_len(b).is_none_or(|n| n == 0) || v.string_value.is_some() {
                return Err(empty("Binary"));
            }
        }
        _ => {
            let s = v.string_value.as_deref().ok_or_else(|| empty("String"))?;
            if s.is_empty() || v.binary_value.is_some() {
                return Err(empty("String"));
            }
            if !s.chars().all(valid_char) {
                return Err(SqsError::InvalidParameterValue(format!(
                    "Message ({kind}) attribute '{name}' contains invalid characters."
                )));
            }
            if base == "Number" && !is_number(s) {
                return Err(SqsError::InvalidParameterValue(format!(
                    "Can't cast the value of message ({kind}) attribute '{name}' to a number."
                )));
            }
        }
    }
    Ok(())
}

fn is_number(s: &str) -> bool {
    let t = s.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    digits > 0 && digits <= 38 && t.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Message (user) attributes: at most 10, names and values as AWS requires.
pub fn check_attributes(attrs: &MessageAttrs) -> Result<()> {
    if attrs.len() > 10 {
        return Err(SqsError::InvalidParameterValue(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [10].",
            attrs.len()
        )));
    }
    for (name, v) in attrs {
        check_name(name)?;
        check_value(name, v, "user")?;
    }
    Ok(())
}

/// Message system attributes: only `AWSTraceHeader`, a String.
pub fn check_system(attrs: &MessageAttrs) -> Result<()> {
    for (name, v) in attrs {
        if name != "AWSTraceHeader" {
            return Err(SqsError::InvalidParameterValue(format!(
                "Message system attribute name '{name}' is invalid."
            )));
        }
        if v.data_type != "String" {
            return Err(SqsError::InvalidParameterValue(format!(
                "The message system attribute '{name}' must be of type String."
            )));
        }
        check_value(name, v, "system")?;
    }
    Ok(())
}

/// FIFO group and deduplication ids: 1–128 characters of `[!-~]`.
pub fn check_fifo_id(value: &str, param: &str) -> Result<()> {
    if value.is_empty() || value.len() > 128 || !value.chars().all(|c| ('!'..='~').contains(&c)) {
        return Err(SqsError::invalid(
            value,
            param,
            &format!(
                "{param} can only include alphanumeric and punctuation characters. 1 to 128 in length."
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str, v: &str) -> AttributeValue {
        AttributeValue {
            data_type: t.into(),
            string_value: Some(v.into()),
            ..Default::default()
        }
    }

    #[test]
    fn bodies() {
        assert!(check_body("hello\t\n\r ✓ 𝄞").is_ok());
        assert!(matches!(
            check_body("a\u{1}b"),
            Err(SqsError::InvalidMessageContents)
        ));
        assert!(matches!(
            check_body("\u{FFFE}"),
            Err(SqsError::InvalidMessageContents)
        ));
        assert!(check_body("").is_err());
    }

    #[test]
    fn attributes() {
        let mut m = MessageAttrs::new();
        m.insert("a.b".into(), s("String.custom", "x"));
        m.insert("n".into(), s("Number", "-1.5e3"));
        assert!(check_attributes(&m).is_ok());
        for (name, v) in [
            ("AWS.x", s("String", "x")),
            (".a", s("String", "x")),
            ("a..b", s("String", "x")),
            ("ok", s("Strung", "x")),
            ("ok", s("Number", "abc")),
            ("ok", s("String", "")),
            ("ok", s("String.", "x")),
        ] {
            let mut m = MessageAttrs::new();
            m.insert(name.into(), v);
            assert!(check_attributes(&m).is_err(), "{name}");
        }
        let many: MessageAttrs = (0..11)
            .map(|i| (format!("a{i}"), s("String", "x")))
            .collect();
        assert!(check_attributes(&many).is_err());
    }

    #[test]
    fn sizes_count_names_types_and_values() {
        let mut m = MessageAttrs::new();
        m.insert("ab".into(), s("String", "xyz"));
        assert_eq!(message_size("hello", &m), 5 + 2 + 6 + 3);
    }
}
