//! Timestamp text of the rest protocols: http-date (RFC 7231, "rfc822" in the models),
//! ISO 8601 and epoch seconds, to and from canonical epoch seconds.

use serde_json::{Number, Value};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Reads a timestamp in any of the three wire formats.
pub fn parse_any(s: &str) -> Option<f64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(epoch(t));
    }
    // ISO 8601 without a zone designator or with a short form: treat as UTC.
    let iso_no_zone = format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
    );
    if let Ok(t) = PrimitiveDateTime::parse(s.trim_end_matches('Z'), iso_no_zone) {
        return Some(epoch(t.assume_utc()));
    }
    let http_date = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    if let Ok(t) = PrimitiveDateTime::parse(s, http_date) {
        return Some(epoch(t.assume_utc()));
    }
    None
}

fn epoch(t: OffsetDateTime) -> f64 {
    let t = t.to_offset(UtcOffset::UTC);
    t.unix_timestamp() as f64 + f64::from(t.millisecond()) / 1000.0
}

/// Canonical epoch seconds: an integer when whole, else a float with millisecond precision.
pub fn to_value(secs: f64) -> Value {
    if secs.fract() == 0.0 && secs.abs() < 9.0e15 {
        Value::Number(Number::from(secs as i64))
    } else {
        Number::from_f64((secs * 1000.0).round() / 1000.0).map_or(Value::Null, Value::Number)
    }
}

fn datetime(secs: f64) -> Option<OffsetDateTime> {
    let whole = secs.floor();
    let millis = ((secs - whole) * 1000.0).round() as i64;
    let t = OffsetDateTime::from_unix_timestamp(whole as i64).ok()?;
    Some(t + time::Duration::milliseconds(millis))
}

/// `Wed, 21 Oct 2015 07:28:00 GMT`.
pub fn http_date(secs: f64) -> Option<String> {
    let f = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    datetime(secs)?.format(f).ok()
}

/// `2015-10-21T07:28:00Z`, with `.123` milliseconds when not whole.
pub fn iso8601(secs: f64) -> Option<String> {
    let t = datetime(secs)?;
    if t.millisecond() == 0 {
        t.format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .ok()
    } else {
        t.format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .ok()
    }
}

/// Formats canonical epoch seconds as a wire string in the model's `timestampFormat`.
pub fn format(secs: f64, format: &str) -> Option<String> {
    match format {
        "rfc822" => http_date(secs),
        "unixTimestamp" => Some(match to_value(secs) {
            Value::Number(n) => n.to_string(),
            _ => return None,
        }),
        _ => iso8601(secs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        let t = 1_445_412_480.0;
        assert_eq!(http_date(t).unwrap(), "Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(iso8601(t).unwrap(), "2015-10-21T07:28:00Z");
        assert_eq!(iso8601(t + 0.5).unwrap(), "2015-10-21T07:28:00.500Z");
        assert_eq!(parse_any("Wed, 21 Oct 2015 07:28:00 GMT"), Some(t));
        assert_eq!(parse_any("2015-10-21T07:28:00Z"), Some(t));
        assert_eq!(parse_any("2015-10-21T07:28:00.500Z"), Some(t + 0.5));
        assert_eq!(parse_any("2015-10-21T09:28:00+02:00"), Some(t));
        assert_eq!(parse_any("1445412480"), Some(t));
        assert_eq!(parse_any("not a date"), None);
        assert_eq!(to_value(t), serde_json::json!(1_445_412_480));
        assert_eq!(to_value(t + 0.25), serde_json::json!(1_445_412_480.25));
    }
}
