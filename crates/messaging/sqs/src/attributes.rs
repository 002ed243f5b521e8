//! Queue attributes: names, ranges, defaults, and the checks CreateQueue and
//! SetQueueAttributes apply, with AWS's messages.

use crate::error::{Result, SqsError};
use crate::types::Attrs;
use serde_json::Value;

/// The largest message (and batch) AWS accepts, and the default `MaximumMessageSize`.
pub const MAX_MESSAGE_SIZE: u64 = 1_048_576;

/// `(name, min, max)` of the integer attributes.
const INTS: &[(&str, u64, u64)] = &[
    ("DelaySeconds", 0, 900),
    ("MaximumMessageSize", 1024, MAX_MESSAGE_SIZE),
    ("MessageRetentionPeriod", 60, 1_209_600),
    ("ReceiveMessageWaitTimeSeconds", 0, 20),
    ("VisibilityTimeout", 0, 43_200),
    ("KmsDataKeyReusePeriodSeconds", 60, 86_400),
];

const FIFO_ONLY: &[&str] = &[
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

/// Read-only attributes: naming them in a write is `InvalidAttributeName`.
pub const READ_ONLY: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
];

const WRITABLE: &[&str] = &[
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "SqsManagedSseEnabled",
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

pub fn unknown(name: &str) -> SqsError {
    SqsError::InvalidAttributeName(format!("Unknown Attribute {name}."))
}

fn invalid_value(name: &str) -> SqsError {
    SqsError::InvalidAttributeValue(format!("Invalid value for the parameter {name}."))
}

/// The defaults of a new queue.
pub fn defaults(fifo: bool) -> Attrs {
    let mut a = Attrs::new();
    for (k, v) in [
        ("DelaySeconds", "0"),
        ("MaximumMessageSize", "1048576"),
        ("MessageRetentionPeriod", "345600"),
        ("ReceiveMessageWaitTimeSeconds", "0"),
        ("VisibilityTimeout", "30"),
        ("SqsManagedSseEnabled", "true"),
    ] {
        a.insert(k.into(), v.into());
    }
    if fifo {
        for (k, v) in [
            ("FifoQueue", "true"),
            ("ContentBasedDeduplication", "false"),
            ("DeduplicationScope", "queue"),
            ("FifoThroughputLimit", "perQueue"),
        ] {
            a.insert(k.into(), v.into());
        }
    }
    a
}

/// Checks one attribute for a queue of the given type; returns the value as stored.
pub fn check(name: &str, value: &str, fifo: bool) -> Result<String> {
    if READ_ONLY.contains(&name) || !WRITABLE.contains(&name) {
        return Err(unknown(name));
    }
    if FIFO_ONLY.contains(&name) && !fifo {
        return Err(unknown(name));
    }
    if let Some((_, min, max)) = INTS.iter().find(|(n, _, _)| *n == name) {
        return match value.trim().parse::<u64>() {
            Ok(n) if (*min..=*max).contains(&n) => Ok(n.to_string()),
            _ => Err(invalid_value(name)),
        };
    }
    match name {
        "FifoQueue" => match value.to_ascii_lowercase().as_str() {
            "true" if fifo => Ok("true".into()),
            "false" if !fifo => Ok("false".into()),
            _ => Err(invalid_value(name)),
        },
        "ContentBasedDeduplication" | "SqsManagedSseEnabled" => {
            match value.to_ascii_lowercase().as_str() {
                v @ ("true" | "false") => Ok(v.to_string()),
                _ => Err(invalid_value(name)),
            }
        }
        "DeduplicationScope" => match value {
            "messageGroup" | "queue" => Ok(value.into()),
            _ => Err(invalid_value(name)),
        },
        "FifoThroughputLimit" => match value {
            "perQueue" | "perMessageGroupId" => Ok(value.into()),
            _ => Err(invalid_value(name)),
        },
        "Policy" => {
            if !value.is_empty() && serde_json::from_str::<Value>(value).is_err() {
                return Err(invalid_value(name));
            }
            Ok(value.into())
        }
        "RedrivePolicy" => {
            if !value.is_empty() {
                parse_redrive(value)?;
            }
            Ok(value.into())
        }
        "RedriveAllowPolicy" => {
            if !value.is_empty() {
                check_redrive_allow(value)?;
            }
            Ok(value.into())
        }
        _ => Ok(value.into()),
    }
}

/// A parsed `RedrivePolicy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    pub dead_letter_target_arn: String,
    pub max_receive_count: u64,
}

/// Parses a `RedrivePolicy` (the count may be a number or a string, as AWS accepts).
pub fn parse_redrive(value: &str) -> Result<Redrive> {
    let bad = |reason: &str| SqsError::invalid(value, "RedrivePolicy", reason);
    let v: Value =
        serde_json::from_str(value).map_err(|_| bad("Redrive policy is not a valid JSON map."))?;
    let Some(map) = v.as_object() else {
        return Err(bad("Redrive policy is not a valid JSON map."));
    };
    let arn = map
        .get("deadLetterTargetArn")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
        })?;
    let count = match map.get("maxReceiveCount") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        None => {
            return Err(bad(
                "Redrive policy does not contain mandatory attribute: maxReceiveCount.",
            ));
        }
        _ => None,
    };
    match count {
        Some(n) if (1..=1000).contains(&n) => Ok(Redrive {
            dead_letter_target_arn: arn.to_string(),
            max_receive_count: n,
        }),
        _ => Err(bad(
            "Invalid value for maxReceiveCount: must be an integer from 1 to 1000.",
        )),
    }
}

fn check_redrive_allow(value: &str) -> Result<()> {
    let bad = |reason: &str| SqsError::invalid(value, "RedriveAllowPolicy", reason);
    let v: Value = serde_json::from_str(value)
        .map_err(|_| bad("Redrive allow policy is not a valid JSON map."))?;
    match v.get("redrivePermission").and_then(Value::as_str) {
        Some("allowAll" | "denyAll") => Ok(()),
        Some("byQueue") => match v.get("sourceQueueArns").and_then(Value::as_array) {
            Some(a) if !a.is_empty() && a.len() <= 10 => Ok(()),
            _ => Err(bad(
                "Amazon SQS can't create the redrive allow policy, as it’s in an unsupported format.",
            )),
        },
        _ => Err(bad(
            "Amazon SQS can't create the redrive allow policy, as it’s in an unsupported format.",
        )),
    }
}

/// Validates a queue name (`.fifo` suffix for FIFO queues).
pub fn check_name(name: &str, fifo: bool) -> Result<()> {
    let base = if fifo {
        name.strip_suffix(".fifo")
    } else {
        Some(name)
    };
    let ok = base.is_some_and(|b| {
        !b.is_empty()
            && name.len() <= 80
            && b.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    if ok {
        return Ok(());
    }
    Err(SqsError::InvalidParameterValue(if fifo {
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.".into()
    } else {
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
            .into()
    }))
}

/// Whether the attributes ask for a FIFO queue.
pub fn wants_fifo(attrs: &Attrs) -> bool {
    attrs
        .get("FifoQueue")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Every attribute name a GetQueueAttributes call may name (besides `All`).
pub fn readable(name: &str) -> bool {
    READ_ONLY.contains(&name) || WRITABLE.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_names() {
        assert_eq!(check("VisibilityTimeout", "43200", false).unwrap(), "43200");
        assert!(matches!(
            check("VisibilityTimeout", "43201", false),
            Err(SqsError::InvalidAttributeValue(m)) if m == "Invalid value for the parameter VisibilityTimeout."
        ));
        assert!(check("MaximumMessageSize", "1023", false).is_err());
        assert!(check("MaximumMessageSize", "1048576", false).is_ok());
        assert!(check("MessageRetentionPeriod", "59", false).is_err());
        assert!(matches!(
            check("ContentBasedDeduplication", "true", false),
            Err(SqsError::InvalidAttributeName(m)) if m == "Unknown Attribute ContentBasedDeduplication."
        ));
        assert!(check("QueueArn", "x", false).is_err());
        assert!(check("Bogus", "x", false).is_err());
        assert!(check("FifoQueue", "true", false).is_err());
    }

    #[test]
    fn redrive_policy() {
        let r = parse_redrive(r#"{"deadLetterTargetArn":"arn:x","maxReceiveCount":"3"}"#).unwrap();
        assert_eq!(r.max_receive_count, 3);
        assert!(parse_redrive(r#"{"deadLetterTargetArn":"arn:x","maxReceiveCount":0}"#).is_err());
        assert!(parse_redrive("nope").is_err());
        assert!(parse_redrive(r#"{"maxReceiveCount":1}"#).is_err());
    }

    #[test]
    fn queue_names() {
        assert!(check_name("a-b_c", false).is_ok());
        assert!(check_name("a.fifo", false).is_err());
        assert!(check_name("a.fifo", true).is_ok());
        assert!(check_name(".fifo", true).is_err());
        assert!(check_name(&"a".repeat(81), false).is_err());
    }
}
