//! Shard iterators: opaque strings that carry the stream ARN, a position and the time they
//! were issued (they are valid 15 minutes), as AWS's do
//! (`<stream arn>|1|<base64 of position, time and checksum>`). Nothing is stored: any node
//! sharing the store can continue an iterator another node issued.
//!
//! The checksum only catches damaged or invented strings; an iterator is bound to its stream
//! ARN (account and region included), which the caller checks against the request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How long an iterator is valid.
pub(crate) const ITERATOR_TTL_MS: u64 = 15 * 60 * 1000;

const VERSION: &str = "1";
const PAYLOAD_LEN: usize = 1 + 16 + 8 + 8;

/// Where reading starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// The oldest record still kept.
    TrimHorizon,
    /// The record with this sequence number, or the first after it.
    At(u128),
    /// The first record after this sequence number.
    After(u128),
}

/// A decoded iterator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShardIterator {
    pub stream_arn: String,
    pub position: Position,
    /// When it was issued, epoch milliseconds.
    pub issued_ms: u64,
}

impl ShardIterator {
    pub(crate) fn encode(&self) -> String {
        let (kind, seq) = match self.position {
            Position::TrimHorizon => (0u8, 0u128),
            Position::At(s) => (1, s),
            Position::After(s) => (2, s),
        };
        let mut payload = Vec::with_capacity(PAYLOAD_LEN);
        payload.push(kind);
        payload.extend_from_slice(&seq.to_be_bytes());
        payload.extend_from_slice(&self.issued_ms.to_be_bytes());
        let sum = checksum(&self.stream_arn, &payload);
        payload.extend_from_slice(&sum.to_be_bytes());
        format!(
            "{}|{VERSION}|{}",
            self.stream_arn,
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    /// Decodes an iterator; `None` for anything this module did not produce.
    pub(crate) fn decode(s: &str) -> Option<Self> {
        let mut parts = s.rsplitn(3, '|');
        let (Some(data), Some(VERSION), Some(arn)) = (parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let payload = URL_SAFE_NO_PAD.decode(data).ok()?;
        if payload.len() != PAYLOAD_LEN {
            return None;
        }
        let (body, sum) = payload.split_at(PAYLOAD_LEN - 8);
        if checksum(arn, body).to_be_bytes() != sum {
            return None;
        }
        let seq = u128::from_be_bytes(body[1..17].try_into().ok()?);
        let issued_ms = u64::from_be_bytes(body[17..25].try_into().ok()?);
        let position = match body[0] {
            0 => Position::TrimHorizon,
            1 => Position::At(seq),
            2 => Position::After(seq),
            _ => return None,
        };
        Some(Self {
            stream_arn: arn.to_string(),
            position,
            issued_ms,
        })
    }

    /// Whether the iterator is older than [`ITERATOR_TTL_MS`] at `now_ms`.
    pub(crate) fn expired(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.issued_ms) > ITERATOR_TTL_MS
    }
}

/// FNV-1a over the ARN and the payload.
fn checksum(arn: &str, payload: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in arn.as_bytes().iter().chain([0u8].iter()).chain(payload) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ARN: &str =
        "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-01-31T12:34:56.789";

    fn it(position: Position) -> ShardIterator {
        ShardIterator {
            stream_arn: ARN.into(),
            position,
            issued_ms: 1_700_000_000_000,
        }
    }

    #[test]
    fn streams_iterator_round_trips_and_names_its_stream() {
        for p in [
            Position::TrimHorizon,
            Position::At(7),
            Position::After(u128::MAX),
        ] {
            let s = it(p).encode();
            assert!(s.starts_with(&format!("{ARN}|1|")), "{s}");
            assert!(s.len() <= 2048);
            assert_eq!(ShardIterator::decode(&s), Some(it(p)));
        }
    }

    #[test]
    fn streams_iterator_rejects_tampering() {
        let s = it(Position::At(7)).encode();
        let other_arn = s.replacen("table/t/", "table/u/", 1);
        assert_eq!(ShardIterator::decode(&other_arn), None);
        let mut bytes = s.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            ShardIterator::decode(&String::from_utf8(bytes).expect("ascii")),
            None
        );
        assert_eq!(ShardIterator::decode("not-an-iterator"), None);
        assert_eq!(ShardIterator::decode(&format!("{ARN}|2|AAAA")), None);
    }

    #[test]
    fn streams_iterator_expires_after_15_minutes() {
        let i = it(Position::TrimHorizon);
        assert!(!i.expired(i.issued_ms + ITERATOR_TTL_MS));
        assert!(i.expired(i.issued_ms + ITERATOR_TTL_MS + 1));
        assert!(!i.expired(0), "a clock that went back is not expiry");
    }

    proptest! {
        #[test]
        fn streams_iterator_decode_never_panics(s in ".{0,200}") {
            let _ = ShardIterator::decode(&s);
        }

        #[test]
        fn streams_iterator_round_trips_any_position(seq: u128, issued: u64, kind in 0u8..3) {
            let position = match kind { 0 => Position::TrimHorizon, 1 => Position::At(seq), _ => Position::After(seq) };
            let i = ShardIterator { stream_arn: ARN.into(), position, issued_ms: issued };
            prop_assert_eq!(ShardIterator::decode(&i.encode()), Some(i));
        }
    }
}
