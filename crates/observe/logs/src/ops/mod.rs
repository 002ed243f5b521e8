//! Operations, by family. Shared helpers: group identifiers and page tokens.

pub mod events;
pub mod filter;
pub mod groups;
pub mod streams;
pub mod tags;

use crate::error::{LogsError, Result};

/// The group a request names, by `logGroupName` or `logGroupIdentifier` (a name or an ARN).
pub fn group_of(name: Option<String>, identifier: Option<String>) -> Result<String> {
    match (name, identifier) {
        (Some(_), Some(_)) => Err(LogsError::InvalidParameter(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters.".into(),
        )),
        (Some(n), None) => Ok(n),
        (None, Some(id)) => Ok(name_from_identifier(&id)),
        (None, None) => Err(LogsError::InvalidParameter(
            "Should provide either name or ARN of the log group.".into(),
        )),
    }
}

/// `arn:aws:logs:<region>:<account>:log-group:<name>[:*]` → `<name>`; a name stays a name.
pub fn name_from_identifier(id: &str) -> String {
    match id.strip_prefix("arn:") {
        Some(_) => {
            let name = id.split_once(":log-group:").map(|(_, n)| n).unwrap_or(id);
            name.strip_suffix(":*").unwrap_or(name).to_string()
        }
        None => id.to_string(),
    }
}

/// An opaque page token for a position key.
pub fn encode_token(position: &[u8]) -> String {
    hex::encode(position)
}

pub fn decode_token(token: &str) -> Result<Vec<u8>> {
    hex::decode(token)
        .map_err(|_| LogsError::InvalidParameter("The specified nextToken is invalid.".into()))
}
