//! Names of a stream: its ARN (`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`),
//! its label (`2024-01-31T12:34:56.789`, the UTC time the stream was enabled) and the one shard
//! Lamina exposes per stream (`shardId-<20-digit enable time in ms>-<8 hex of the table id>`).
//!
//! Sequence numbers are `now_µs × 1000` (see `write::next_sequence`), so a label converts to
//! the first sequence number its stream can hold: `label_ms × 1_000_000`.

/// A parsed stream ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamArn {
    pub region: String,
    pub account: String,
    pub table: String,
    pub label: String,
}

/// Sequence-number units (nanoseconds) per millisecond.
const SEQ_PER_MS: u128 = 1_000_000;

impl StreamArn {
    /// Parses a stream ARN; `None` when it is not one (any partition is accepted).
    pub(crate) fn parse(arn: &str) -> Option<Self> {
        let mut parts = arn.splitn(6, ':');
        let (Some("arn"), Some(partition), Some("dynamodb"), Some(region), Some(account)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let resource = parts.next()?;
        let rest = resource.strip_prefix("table/")?;
        let (table, label) = rest.split_once("/stream/")?;
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 255
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        };
        if partition.is_empty() || region.is_empty() || account.is_empty() || !name_ok(table) {
            return None;
        }
        label_millis(label)?;
        Some(Self {
            region: region.to_string(),
            account: account.to_string(),
            table: table.to_string(),
            label: label.to_string(),
        })
    }

    /// The enable time of the stream, epoch milliseconds.
    pub(crate) fn millis(&self) -> u64 {
        // `parse` only accepts labels that convert.
        label_millis(&self.label).unwrap_or_default()
    }
}

/// The first sequence number of the stream with this label.
pub(crate) fn start_sequence(label_ms: u64) -> u128 {
    u128::from(label_ms) * SEQ_PER_MS
}

/// The time a sequence number was assigned, epoch milliseconds.
pub(crate) fn sequence_millis(seq: u128) -> u64 {
    u64::try_from(seq / SEQ_PER_MS).unwrap_or(u64::MAX)
}

/// The id of the stream's shard. Deterministic, so it needs no storage.
pub(crate) fn shard_id(label_ms: u64, table_id: &str) -> String {
    let tail: String = table_id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(8)
        .collect();
    format!("shardId-{label_ms:020}-{tail:0>8}")
}

/// A sequence number as AWS prints it: at least 21 decimal digits.
pub(crate) fn sequence_string(seq: u128) -> String {
    format!("{seq:021}")
}

/// Parses a sequence number (decimal digits only).
pub(crate) fn parse_sequence(s: &str) -> Option<u128> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYY-MM-DDTHH:MM:SS.mmm` → epoch milliseconds.
pub(crate) fn label_millis(label: &str) -> Option<u64> {
    let b = label.as_bytes();
    if b.len() != 23
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u64> {
        let s = label.get(from..to)?;
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, s, ms) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(y as i64, mo as i64, d as i64);
    let days = u64::try_from(days).ok()?;
    Some(((days * 86_400 + h * 3600 + mi * 60 + s) * 1000) + ms)
}

/// (year, month, day) → days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::stream_label;
    use proptest::prelude::*;

    #[test]
    fn streams_arn_parses_what_tables_print() {
        let arn =
            "arn:aws:dynamodb:us-east-1:000000000000:table/my.tab-1/stream/2024-01-31T12:34:56.789";
        let a = StreamArn::parse(arn).expect("a stream arn");
        assert_eq!(a.region, "us-east-1");
        assert_eq!(a.account, "000000000000");
        assert_eq!(a.table, "my.tab-1");
        assert_eq!(a.label, "2024-01-31T12:34:56.789");
        assert_eq!(stream_label(a.millis()), a.label);
    }

    #[test]
    fn streams_arn_rejects_other_shapes() {
        for bad in [
            "",
            "sdfadfsdfnlfkajakfgjalksfgklasjklasdjfklasdfasdfgasf",
            "arn:aws:dynamodb:us-east-1:000000000000:table/t",
            "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/latest",
            "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-13-31T12:34:56.789",
            "arn:aws:s3:us-east-1:000000000000:table/t/stream/2024-01-31T12:34:56.789",
            "arn:aws:dynamodb:us-east-1:000000000000:table//stream/2024-01-31T12:34:56.789",
            "arn:aws:dynamodb:us-east-1:000000000000:table/a b/stream/2024-01-31T12:34:56.789",
        ] {
            assert_eq!(StreamArn::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn streams_shard_id_is_in_the_model_length_range() {
        let id = shard_id(1_700_000_000_000, "0123456789abcdef");
        assert_eq!(id, "shardId-00000001700000000000-01234567");
        assert!((28..=65).contains(&id.len()));
        assert_eq!(shard_id(1, "ab").len(), id.len());
    }

    #[test]
    fn streams_sequence_strings_round_trip() {
        assert_eq!(sequence_string(42), "000000000000000000042");
        assert_eq!(parse_sequence("000000000000000000042"), Some(42));
        assert_eq!(parse_sequence("12a"), None);
        assert_eq!(parse_sequence("-1"), None);
        assert_eq!(parse_sequence(&"9".repeat(40)), None);
    }

    proptest! {
        #[test]
        fn streams_label_round_trips(ms in 0u64..253_402_300_799_999) {
            prop_assert_eq!(label_millis(&stream_label(ms)), Some(ms));
        }

        #[test]
        fn streams_arn_parse_never_panics(s in ".{0,120}") {
            let _ = StreamArn::parse(&s);
        }
    }
}
