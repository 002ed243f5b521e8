//! Operation logic by family, plus what the families share: ARNs, page tokens, message
//! attribute validation, clocks and ids.

pub mod publish;
pub mod subscriptions;
pub mod tags;
pub mod topics;

use crate::error::{Result, SnsError};
use crate::store::Scope;
use crate::types::MessageAttributes;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How often a read-modify-write is retried on a conflict.
pub const MAX_ATTEMPTS: usize = 64;
/// Items per page of ListTopics / ListSubscriptions(ByTopic).
pub const PAGE: usize = 100;

/// Who is calling and through which endpoint.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub scope: Scope,
    /// `scheme://host[:port]` the client used.
    pub endpoint: String,
}

/// `arn:aws:sns:<region>:<account>:<topic>` → scope and topic name.
pub fn parse_topic_arn(ctx: &Ctx, arn: &str) -> Result<(Scope, String)> {
    let bad = || SnsError::invalid("Invalid parameter: TopicArn");
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[5].is_empty() {
        return Err(bad());
    }
    if parts[3] != ctx.scope.region {
        return Err(bad());
    }
    Ok((
        Scope {
            account: parts[4].to_string(),
            region: parts[3].to_string(),
        },
        parts[5].to_string(),
    ))
}

/// `arn:aws:sns:<region>:<account>:<topic>:<id>` → scope, topic name and id.
pub fn parse_sub_arn(arn: &str) -> Result<(Scope, String, String)> {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return Err(SnsError::invalid(format!(
            "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not {}",
            parts.len()
        )));
    }
    if parts.len() != 7 || parts[2] != "sns" || parts[6].is_empty() {
        return Err(SnsError::invalid("Invalid parameter: SubscriptionId"));
    }
    Ok((
        Scope {
            account: parts[4].to_string(),
            region: parts[3].to_string(),
        },
        parts[5].to_string(),
        parts[6].to_string(),
    ))
}

pub fn now_ms() -> u64 {
    lamina_core::now_epoch_millis()
}

/// ISO 8601 with milliseconds, as SNS writes `Timestamp`.
pub fn iso_millis(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A random UUID v4 (message ids, subscription ids).
pub fn uuid() -> String {
    lamina_core::new_request_id()
}

/// A confirmation token: 128 hex characters.
pub fn token() -> String {
    let a = lamina_core::random_bytes::<32>();
    let b = lamina_core::random_bytes::<32>();
    format!("{}{}", hex::encode(a), hex::encode(b))
}

pub fn encode_token(after: &str) -> String {
    URL_SAFE_NO_PAD.encode(after.as_bytes())
}

pub fn decode_token(token: &str) -> Result<String> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| SnsError::invalid("Invalid parameter: NextToken"))
}

fn valid_attribute_name(name: &str) -> Result<()> {
    let bad = |m: String| Err(SnsError::ParameterValueInvalid(m));
    if name.len() > 256 {
        return bad("Length of message attribute name must be less than 256 bytes.".into());
    }
    if name.starts_with('.') {
        return bad("Invalid message attribute name starting with character '.' was found.".into());
    }
    if name.ends_with('.') {
        return bad("Invalid message attribute name ending with character '.' was found.".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return bad(format!(
            "Invalid non-alphanumeric character '#x{:X}' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
            c as u32
        ));
    }
    if name.contains("..") {
        return bad("Message attribute name can not have successive '.' character.".into());
    }
    if name.to_ascii_lowercase().starts_with("aws.")
        || name.to_ascii_lowercase().starts_with("amazon.")
    {
        return bad(format!(
            "The message attribute name '{name}' is reserved for use by AWS."
        ));
    }
    Ok(())
}

/// AWS's checks on Publish message attributes (ParameterValueInvalid).
pub fn validate_message_attributes(attrs: &MessageAttributes) -> Result<()> {
    let bad = |m: String| Err(SnsError::ParameterValueInvalid(m));
    if attrs.len() > 10 {
        return bad(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [10].",
            attrs.len()
        ));
    }
    for (name, a) in attrs {
        valid_attribute_name(name)?;
        let dt = a.data_type.as_str();
        let base = dt.split('.').next().unwrap_or_default();
        if !matches!(base, "String" | "Number" | "Binary") {
            return bad(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            ));
        }
        if a.string_value.is_none() && a.binary_value.is_none() {
            return bad(format!(
                "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{dt}'."
            ));
        }
        let field = if base == "Binary" { "Binary" } else { "String" };
        let value = if base == "Binary" {
            &a.binary_value
        } else {
            &a.string_value
        };
        let Some(value) = value else {
            return bad(format!(
                "The message attribute '{name}' with type '{dt}' must use field '{field}'."
            ));
        };
        if value.is_empty() {
            return bad(format!(
                "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{dt}'."
            ));
        }
        if base == "Number" && !valid_number(value) {
            return bad(format!(
                "Could not cast message attribute '{name}' value to number."
            ));
        }
        if dt == "String.Array" {
            match serde_json::from_str::<serde_json::Value>(value) {
                Ok(serde_json::Value::Array(items))
                    if items.iter().all(|i| !i.is_array() && !i.is_object()) => {}
                _ => {
                    return bad(format!(
                        "The message attribute '{name}' with type 'String.Array' has an invalid value. The value must be a JSON array of strings, numbers, booleans or null."
                    ));
                }
            }
        }
    }
    Ok(())
}

fn valid_number(s: &str) -> bool {
    s.trim().parse::<f64>().is_ok_and(f64::is_finite)
}

/// The size AWS counts toward the 256 KB limit: body plus attribute names, types and values.
pub fn message_size(message: &str, attrs: &MessageAttributes) -> usize {
    message.len()
        + attrs
            .iter()
            .map(|(k, a)| {
                k.len()
                    + a.data_type.len()
                    + a.string_value.as_deref().map_or(0, str::len)
                    + a.binary_value.as_deref().map_or(0, str::len)
            })
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::MessageAttributeValue;

    fn ctx() -> Ctx {
        Ctx {
            scope: Scope {
                account: "1".into(),
                region: "us-east-1".into(),
            },
            endpoint: "http://localhost:4566".into(),
        }
    }

    #[test]
    fn arns() {
        let (s, t) = parse_topic_arn(&ctx(), "arn:aws:sns:us-east-1:123:t").unwrap();
        assert_eq!((s.account.as_str(), t.as_str()), ("123", "t"));
        assert!(parse_topic_arn(&ctx(), "arn:aws:sns:eu-west-1:123:t").is_err());
        assert!(parse_topic_arn(&ctx(), "nope").is_err());
        let (_, t, id) = parse_sub_arn("arn:aws:sns:us-east-1:1:t:abc").unwrap();
        assert_eq!((t.as_str(), id.as_str()), ("t", "abc"));
        assert_eq!(
            parse_sub_arn("a:b").unwrap_err().to_string(),
            "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 2"
        );
    }

    #[test]
    fn timestamps_have_millis() {
        assert_eq!(iso_millis(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    fn attr(dt: &str, s: Option<&str>, b: Option<&str>) -> MessageAttributes {
        let mut m = MessageAttributes::new();
        m.insert(
            "a".into(),
            MessageAttributeValue {
                data_type: dt.into(),
                string_value: s.map(Into::into),
                binary_value: b.map(Into::into),
            },
        );
        m
    }

    #[test]
    fn attribute_rules() {
        assert!(validate_message_attributes(&attr("String", Some("x"), None)).is_ok());
        assert!(validate_message_attributes(&attr("String.custom", Some("x"), None)).is_ok());
        assert!(validate_message_attributes(&attr("Number", Some("1.5e3"), None)).is_ok());
        assert!(validate_message_attributes(&attr("Binary", None, Some("AAE="))).is_ok());
        assert!(
            validate_message_attributes(&attr("String.Array", Some(r#"["a",1]"#), None)).is_ok()
        );
        let msg = |m: MessageAttributes| validate_message_attributes(&m).unwrap_err().to_string();
        assert_eq!(
            msg(attr("Number", Some("abc"), None)),
            "Could not cast message attribute 'a' value to number."
        );
        assert!(msg(attr("Foo", Some("x"), None)).contains("invalid message attribute type"));
        assert_eq!(
            msg(attr("String", Some(""), None)),
            "The message attribute 'a' must contain non-empty message attribute value for message attribute type 'String'."
        );
        assert_eq!(
            msg(attr("Binary", Some("x"), None)),
            "The message attribute 'a' with type 'Binary' must use field 'Binary'."
        );
        assert!(valid_attribute_name("a..b").is_err());
        assert!(valid_attribute_name(".a").is_err());
        assert!(
            valid_attribute_name("a b")
                .unwrap_err()
                .to_string()
                .contains("#x20")
        );
    }
}
