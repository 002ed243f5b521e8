//! DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 to 9.9999999999999999999999999999999999999E+125.
//!
//! PLACEHOLDER API (to be replaced by an exact decimal implementation): `parse`, `Display`
//! (normalized), `Ord` (numeric), `add`, `sub`.

use std::cmp::Ordering;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NumberError(pub String);

#[derive(Debug, Clone)]
pub struct Number {
    text: String,
}

impl Number {
    pub fn parse(s: &str) -> Result<Self, NumberError> {
        let t = s.trim();
        if t.parse::<f64>().is_err() {
            return Err(NumberError(format!(
                "A value provided cannot be converted into a number"
            )));
        }
        Ok(Self { text: t.to_string() })
    }

    fn f(&self) -> f64 {
        self.text.parse().unwrap_or(0.0)
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Number {}
impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        self.f().total_cmp(&other.f())
    }
}
