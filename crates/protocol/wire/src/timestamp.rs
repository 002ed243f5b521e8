//! Timestamp formats of the AWS protocols.
//!
//! The canonical form of a timestamp is epoch seconds as an `f64` (a JSON number, integral
//! when the value has no fraction). On the wire the protocols use:
//!
//! * `unixTimestamp` — epoch seconds as a JSON number (JSON, rest-json bodies), or as a
//!   decimal string in headers/query strings when a member asks for it;
//! * `iso8601` — `2024-01-02T03:04:05Z`, and `2024-01-02T03:04:05.123Z` when the value has
//!   a fraction (query and rest-xml bodies, rest-json URIs and query strings);
//! * `rfc822` — the HTTP date, `Tue, 02 Jan 2024 03:04:05 GMT` (rest headers).
//!
//! A member ref's or shape's `timestampFormat` overrides the protocol's default
//! ([`TimestampFormat::resolve`]). Parsing is lenient in the way botocore's parser is:
//! [`parse_any`] accepts all three forms wherever a timestamp appears.
//!
//! Precision: Lamina keeps milliseconds, as AWS does.

use lamina_model::{Shape, ShapeRef};
use serde_json::{Number, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// How a timestamp is written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    /// Epoch seconds (`unixTimestamp`).
    EpochSeconds,
    /// ISO 8601 / RFC 3339 in UTC (`iso8601`).
    Iso8601,
    /// The HTTP date (`rfc822`).
    Rfc822,
}

impl TimestampFormat {
    /// Reads a model's `timestampFormat` trait value.
    pub fn from_model(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "unixtimestamp" => Some(Self::EpochSeconds),
            "iso8601" => Some(Self::Iso8601),
            "rfc822" => Some(Self::Rfc822),
            _ => None,
        }
    }

    /// The format for a member: the member ref's `timestampFormat`, else the shape's, else the
    /// protocol's (or location's) default.
    pub fn resolve(member: Option<&ShapeRef>, shape: &Shape, default: Self) -> Self {
        member
            .and_then(|r| r.timestamp_format.as_deref())
            .or(shape.timestamp_format.as_deref())
            .and_then(Self::from_model)
            .unwrap_or(default)
    }
}

/// Epoch seconds rounded to whole milliseconds.
fn to_millis(secs: f64) -> i128 {
    (secs * 1000.0).round() as i128
}

fn to_datetime(secs: f64) -> Option<OffsetDateTime> {
    if !secs.is_finite() {
        return None;
    }
    OffsetDateTime::from_unix_timestamp_nanos(to_millis(secs).checked_mul(1_000_000)?).ok()
}

/// The canonical JSON value for epoch seconds: an integer when whole, else a float with
/// millisecond precision.
pub fn epoch_value(secs: f64) -> Value {
    let millis = to_millis(secs);
    if millis % 1000 == 0
        && let Ok(whole) = i64::try_from(millis / 1000)
    {
        return Value::Number(Number::from(whole));
    }
    Number::from_f64(millis as f64 / 1000.0)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Epoch seconds as the text AWS writes in headers and query strings (`1704164645` or
/// `1704164645.123`).
pub fn format_epoch(secs: f64) -> String {
    epoch_value(secs).to_string()
}

/// `2024-01-02T03:04:05Z`, or `2024-01-02T03:04:05.123Z` when there is a fraction. Values
/// outside the representable range are written as epoch seconds.
pub fn format_iso8601(secs: f64) -> String {
    let Some(dt) = to_datetime(secs) else {
        return format_epoch(secs);
    };
    let base = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let Ok(text) = dt.format(&base) else {
        return format_epoch(secs);
    };
    let ms = dt.millisecond();
    if ms == 0 {
        format!("{text}Z")
    } else {
        format!("{text}.{ms:03}Z")
    }
}

/// `Tue, 02 Jan 2024 03:04:05 GMT` (whole seconds, as the HTTP date has no fraction).
pub fn format_rfc822(secs: f64) -> String {
    let Some(dt) = to_datetime(secs.floor()) else {
        return format_epoch(secs);
    };
    let fd = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    dt.format(&fd).unwrap_or_else(|_| format_epoch(secs))
}

/// Writes epoch seconds in a wire format.
pub fn format(secs: f64, fmt: TimestampFormat) -> String {
    match fmt {
        TimestampFormat::EpochSeconds => format_epoch(secs),
        TimestampFormat::Iso8601 => format_iso8601(secs),
        TimestampFormat::Rfc822 => format_rfc822(secs),
    }
}

fn epoch_of(dt: OffsetDateTime) -> f64 {
    let millis = dt.unix_timestamp_nanos() / 1_000_000;
    millis as f64 / 1000.0
}

/// Parses ISO 8601 / RFC 3339 (`Z` or an offset, optional fraction); a value without zone is
/// taken as UTC, as botocore does.
pub fn parse_iso8601(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(dt) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(epoch_of(dt));
    }
    // Lowercase separators and a missing zone are accepted by dateutil; accept them too.
    let upper = text.to_ascii_uppercase();
    if let Ok(dt) = OffsetDateTime::parse(&upper, &Rfc3339) {
        return Some(epoch_of(dt));
    }
    let with_zone = format!("{upper}Z");
    if let Ok(dt) = OffsetDateTime::parse(&with_zone, &Rfc3339) {
        return Some(epoch_of(dt));
    }
    let date_only = format_description!("[year]-[month]-[day]");
    time::Date::parse(&upper, &date_only)
        .ok()
        .map(|d| epoch_of(d.midnight().assume_utc()))
}

/// Parses the HTTP date `Tue, 02 Jan 2024 03:04:05 GMT` (also `UTC` or `+0000`).
pub fn parse_rfc822(text: &str) -> Option<f64> {
    let text = text.trim();
    let (rest, offset) = if let Some(r) = text.strip_suffix(" GMT").or(text.strip_suffix(" UTC")) {
        (r, UtcOffset::UTC)
    } else if let Some((r, zone)) = text.rsplit_once(' ') {
        let fd = format_description!("[offset_hour sign:mandatory][offset_minute]");
        (r, UtcOffset::parse(zone, &fd).ok()?)
    } else {
        return None;
    };
    let fd = format_description!(
        "[weekday repr:short], [day padding:none] [month repr:short] [year] [hour]:[minute]:[second]"
    );
    let fd2 = format_description!(
        "[day padding:none] [month repr:short] [year] [hour]:[minute]:[second]"
    );
    let dt = PrimitiveDateTime::parse(rest, &fd)
        .or_else(|_| PrimitiveDateTime::parse(rest, &fd2))
        .ok()?;
    Some(epoch_of(dt.assume_offset(offset)))
}

/// Parses epoch seconds written as text (`1704164645`, `1704164645.5`).
pub fn parse_epoch(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty()
        || !text.bytes().all(|b| {
            b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'e' || b == b'E' || b == b'+'
        })
    {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Parses a timestamp in the given format, falling back to the others as botocore does.
pub fn parse(text: &str, fmt: TimestampFormat) -> Option<f64> {
    let first = match fmt {
        TimestampFormat::EpochSeconds => parse_epoch(text),
        TimestampFormat::Iso8601 => parse_iso8601(text),
        TimestampFormat::Rfc822 => parse_rfc822(text),
    };
    first.or_else(|| parse_any(text))
}

/// Parses any of the three forms.
pub fn parse_any(text: &str) -> Option<f64> {
    parse_epoch(text)
        .or_else(|| parse_iso8601(text))
        .or_else(|| parse_rfc822(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: f64 = 1_704_164_645.0; // 2024-01-02T03:04:05Z, a Tuesday

    #[test]
    fn iso8601_whole_and_fractional() {
        assert_eq!(format_iso8601(T), "2024-01-02T03:04:05Z");
        assert_eq!(format_iso8601(T + 0.123), "2024-01-02T03:04:05.123Z");
        assert_eq!(parse_iso8601("2024-01-02T03:04:05Z"), Some(T));
        assert_eq!(parse_iso8601("2024-01-02T03:04:05.123Z"), Some(T + 0.123));
        assert_eq!(
            parse_iso8601("2024-01-02T03:04:05.123456Z"),
            Some(T + 0.123)
        );
        assert_eq!(parse_iso8601("2024-01-02T05:04:05+02:00"), Some(T));
        assert_eq!(parse_iso8601("2024-01-02T03:04:05"), Some(T));
        assert_eq!(
            parse_iso8601("2024-01-02"),
            Some(T - 3.0 * 3600.0 - 4.0 * 60.0 - 5.0)
        );
        assert_eq!(parse_iso8601("yesterday"), None);
    }

    #[test]
    fn rfc822_round_trip() {
        assert_eq!(format_rfc822(T), "Tue, 02 Jan 2024 03:04:05 GMT");
        assert_eq!(format_rfc822(T + 0.9), "Tue, 02 Jan 2024 03:04:05 GMT");
        assert_eq!(parse_rfc822("Tue, 02 Jan 2024 03:04:05 GMT"), Some(T));
        assert_eq!(parse_rfc822("Tue, 2 Jan 2024 05:04:05 +0200"), Some(T));
        assert_eq!(parse_rfc822("2024-01-02"), None);
    }

    #[test]
    fn epoch_values() {
        assert_eq!(epoch_value(T), serde_json::json!(1_704_164_645));
        assert_eq!(epoch_value(T + 0.5), serde_json::json!(1_704_164_645.5));
        assert_eq!(format_epoch(T + 0.25), "1704164645.25");
        assert_eq!(parse_epoch("1704164645"), Some(T));
        assert_eq!(parse_epoch("abc"), None);
    }

    #[test]
    fn parse_falls_back_like_botocore() {
        assert_eq!(parse("1704164645", TimestampFormat::Iso8601), Some(T));
        assert_eq!(
            parse(
                "Tue, 02 Jan 2024 03:04:05 GMT",
                TimestampFormat::EpochSeconds
            ),
            Some(T)
        );
        assert_eq!(parse_any(""), None);
    }

    #[test]
    fn out_of_range_does_not_panic() {
        assert_eq!(format_iso8601(f64::MAX), format_epoch(f64::MAX));
        let _ = format_rfc822(-1e300);
        let _ = format_iso8601(f64::NAN);
    }

    #[test]
    fn format_is_resolved_from_ref_then_shape() {
        let shape: Shape = serde_json::from_value(
            serde_json::json!({"type": "timestamp", "timestampFormat": "rfc822"}),
        )
        .unwrap();
        let r: ShapeRef =
            serde_json::from_value(serde_json::json!({"shape": "T", "timestampFormat": "iso8601"}))
                .unwrap();
        assert_eq!(
            TimestampFormat::resolve(Some(&r), &shape, TimestampFormat::EpochSeconds),
            TimestampFormat::Iso8601
        );
        assert_eq!(
            TimestampFormat::resolve(None, &shape, TimestampFormat::EpochSeconds),
            TimestampFormat::Rfc822
        );
    }
}
