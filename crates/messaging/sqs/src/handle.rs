//! Receipt handles: opaque base64 of `queue-id : message-id : receive-id`. Every receive
//! makes a new receive id, so each receive hands out a new handle and an older one is
//! recognisably stale.

use crate::error::{Result, SqsError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle {
    pub queue_id: String,
    pub message_id: String,
    pub receive_id: String,
}

impl Handle {
    pub fn encode(&self) -> String {
        STANDARD.encode(format!(
            "lamina:{}:{}:{}",
            self.queue_id, self.message_id, self.receive_id
        ))
    }

    /// Parses a handle; anything malformed is `ReceiptHandleIsInvalid`, as on AWS.
    pub fn decode(raw: &str) -> Result<Handle> {
        let bad = || SqsError::ReceiptHandleIsInvalid(raw.to_string());
        let bytes = STANDARD.decode(raw.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let mut parts = text.split(':');
        let (Some("lamina"), Some(q), Some(m), Some(r), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(bad());
        };
        if q.is_empty() || m.is_empty() || r.is_empty() {
            return Err(bad());
        }
        Ok(Handle {
            queue_id: q.to_string(),
            message_id: m.to_string(),
            receive_id: r.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let h = Handle {
            queue_id: "q1".into(),
            message_id: "m-1".into(),
            receive_id: "r".into(),
        };
        assert_eq!(Handle::decode(&h.encode()).unwrap(), h);
        for bad in [
            "",
            "x",
            "!!!",
            &STANDARD.encode("lamina:a:b"),
            &STANDARD.encode("other:a:b:c"),
        ] {
            let e = Handle::decode(bad).unwrap_err();
            assert!(matches!(e, SqsError::ReceiptHandleIsInvalid(_)), "{bad}");
        }
    }
}
