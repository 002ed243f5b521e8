//! DynamoDB numbers: an exact decimal of up to 38 significant digits whose leading digit sits
//! between 10^-130 and 10^125 (so the magnitude is 1E-130 to 9.9999999999999999999999999999999999999E+125).
//!
//! A `Number` is `(-1)^neg × mantissa × 10^exp`, normalized: the mantissa has no trailing zeros
//! (so each value has one representation, and the derived `Eq`/`Hash` are numeric), zero is
//! `0 × 10^0` and never negative. The mantissa holds at most 38 digits, which fits a `u128`.
//!
//! Parsing follows what DynamoDB accepts (Java's `BigDecimal` grammar): an optional sign (`+`
//! too), digits with at most one `.` and at least one digit, an optional exponent `e`/`E` with
//! an optional sign. No spaces, no `NaN`/`Infinity`, no hex. The exponent is read as a 64-bit
//! integer (past that the string "cannot be converted"); magnitude is checked before the digit
//! count; zero is range-checked by the exponent it is written with (`0e126` overflows).
//!
//! `Display` writes plain decimal notation, as DynamoDB returns numbers (`1E3` → `1000`,
//! `1.50` → `1.5`, `-0` → `0`, `1E-3` → `0.001`).

use std::cmp::Ordering;
use std::fmt;

/// Why a string is not a DynamoDB number. The message is AWS's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NumberError(pub String);

/// AWS's message for a number above the range (also used, as AWS does, when the result of
/// an addition would need more than 38 digits).
pub const OVERFLOW: &str =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
/// AWS's message for a non-zero number below the range.
pub const UNDERFLOW: &str =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
/// AWS's message for more than 38 significant digits.
pub const TOO_MANY_DIGITS: &str = "Attempting to store more than 38 significant digits in a Number";
/// AWS's message prefix for a string that is not a number (followed by `: <the string>`).
pub const NOT_NUMERIC: &str = "The parameter cannot be converted to a numeric value";

/// Most significant digits a number holds.
pub const MAX_DIGITS: u32 = 38;
/// Largest decimal exponent of the leading digit.
pub const MAX_EXP: i64 = 125;
/// Smallest decimal exponent of the leading digit.
pub const MIN_EXP: i64 = -130;

/// An exact DynamoDB number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    neg: bool,
    mant: u128,
    exp: i32,
}

fn err(msg: &str) -> NumberError {
    NumberError(msg.to_string())
}

/// Number of decimal digits of `m` (1 for 0).
pub(crate) fn digit_count(mut m: u128) -> u32 {
    let mut n = 1;
    while m >= 10 {
        m /= 10;
        n += 1;
    }
    n
}

impl Number {
    /// Zero.
    pub const ZERO: Number = Number {
        neg: false,
        mant: 0,
        exp: 0,
    };

    /// Parses a number as DynamoDB does, with AWS's error messages.
    pub fn parse(s: &str) -> Result<Self, NumberError> {
        let not_numeric = || NumberError(format!("{NOT_NUMERIC}: {s}"));
        let b = s.as_bytes();
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        // Significand: digits with at most one point, at least one digit.
        let mut digits: Vec<u8> = Vec::with_capacity(b.len());
        let mut frac_len: i64 = 0;
        let mut seen_point = false;
        while let Some(&c) = b.get(i) {
            match c {
                b'0'..=b'9' => {
                    digits.push(c - b'0');
                    if seen_point {
                        frac_len += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if digits.is_empty() {
            return Err(not_numeric());
        }
        let mut exp: i64 = 0;
        if let Some(&c) = b.get(i) {
            if c != b'e' && c != b'E' {
                return Err(not_numeric());
            }
            let rest = &s[i + 1..];
            let unsigned = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            if unsigned.is_empty() || !unsigned.bytes().all(|c| c.is_ascii_digit()) {
                return Err(not_numeric());
            }
            // Past a 64-bit integer, AWS cannot convert the string at all.
            exp = rest.parse::<i64>().map_err(|_| not_numeric())?;
        }
        // value = digits × 10^(exp - frac_len); i128 keeps the arithmetic exact.
        let mut low = i128::from(exp) - i128::from(frac_len);
        let first = digits.iter().position(|&d| d != 0);
        let Some(first) = first else {
            // Zero is range-checked by the exponent it is written with.
            return match low {
                l if l > i128::from(MAX_EXP) => Err(err(OVERFLOW)),
                l if l < i128::from(MIN_EXP) => Err(err(UNDERFLOW)),
                _ => Ok(Number::ZERO),
            };
        };
        // `first` found a non-zero digit, so `rposition` finds one too.
        let last = digits.iter().rposition(|&d| d != 0).unwrap_or(first);
        low += (digits.len() - 1 - last) as i128;
        let sig = &digits[first..=last];
        let adjusted = low + sig.len() as i128 - 1;
        if adjusted > i128::from(MAX_EXP) {
            return Err(err(OVERFLOW));
        }
        if adjusted < i128::from(MIN_EXP) {
            return Err(err(UNDERFLOW));
        }
        if sig.len() > MAX_DIGITS as usize {
            return Err(err(TOO_MANY_DIGITS));
        }
        let mant = sig.iter().fold(0u128, |m, &d| m * 10 + u128::from(d));
        // In range: -130 - 37 <= low <= 125.
        let exp = i32::try_from(low).map_err(|_| err(OVERFLOW))?;
        Ok(Number { neg, mant, exp })
    }

    /// Builds a number from sign, mantissa and exponent (`mant × 10^exp`), normalizing it
    /// and applying DynamoDB's range and digit rules.
    pub fn from_parts(neg: bool, mant: u128, exp: i64) -> Result<Self, NumberError> {
        if mant == 0 {
            return Ok(Number::ZERO);
        }
        let (mut mant, mut exp) = (mant, i128::from(exp));
        while mant % 10 == 0 {
            mant /= 10;
            exp += 1;
        }
        let digits = digit_count(mant);
        let adjusted = exp + i128::from(digits) - 1;
        if adjusted > i128::from(MAX_EXP) {
            return Err(err(OVERFLOW));
        }
        if adjusted < i128::from(MIN_EXP) {
            return Err(err(UNDERFLOW));
        }
        if digits > MAX_DIGITS {
            return Err(err(TOO_MANY_DIGITS));
        }
        let exp = i32::try_from(exp).map_err(|_| err(OVERFLOW))?;
        Ok(Number { neg, mant, exp })
    }

    /// `(negative, mantissa, exponent)`: the value is `±mantissa × 10^exponent`; the mantissa
    /// has no trailing zeros and at most 38 digits; zero is `(false, 0, 0)`.
    pub fn parts(&self) -> (bool, u128, i32) {
        (self.neg, self.mant, self.exp)
    }

    pub fn is_zero(&self) -> bool {
        self.mant == 0
    }

    pub fn is_negative(&self) -> bool {
        self.neg
    }

    /// Number of significant digits (0 for zero).
    pub fn significant_digits(&self) -> u32 {
        if self.mant == 0 {
            0
        } else {
            digit_count(self.mant)
        }
    }

    /// Decimal exponent of the leading digit (`123.4` → 2, `0.05` → -2); 0 for zero.
    pub fn adjusted_exponent(&self) -> i32 {
        if self.mant == 0 {
            0
        } else {
            self.exp + digit_count(self.mant) as i32 - 1
        }
    }

    /// The negated number.
    pub fn negate(&self) -> Number {
        Number {
            neg: !self.neg && self.mant != 0,
            ..self.clone()
        }
    }

    /// Exact `self + other`; an unrepresentable result is AWS's overflow/underflow error.
    pub fn add(&self, other: &Number) -> Result<Number, NumberError> {
        if other.mant == 0 {
            return Ok(self.clone());
        }
        if self.mant == 0 {
            return Ok(other.clone());
        }
        let low = self.exp.min(other.exp);
        let shift = |n: &Number| -> Option<u128> {
            let k = u32::try_from(n.exp - low).ok()?;
            if digit_count(n.mant) + k > MAX_DIGITS {
                return None;
            }
            n.mant.checked_mul(10u128.checked_pow(k)?)
        };
        if let (Some(a), Some(b)) = (shift(self), shift(other)) {
            // Both below 10^38, so the sum fits a u128.
            let (neg, mant) = if self.neg == other.neg {
                (self.neg, a + b)
            } else if a >= b {
                (self.neg, a - b)
            } else {
                (other.neg, b - a)
            };
            return finish(neg, mant, i64::from(low));
        }
        add_wide(self, other)
    }

    /// Exact `self - other`.
    pub fn sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.add(&other.negate())
    }

    /// The value as `f64` (nearest), for callers that only need an approximation.
    pub fn to_f64(&self) -> f64 {
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// The value as `i64` when it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.exp < 0 {
            return None;
        }
        let m = self
            .mant
            .checked_mul(10u128.checked_pow(self.exp as u32)?)?;
        let m = i128::try_from(m).ok()?;
        i64::try_from(if self.neg { -m } else { m }).ok()
    }
}

/// Result of an addition: AWS reports more than 38 digits as an overflow.
fn finish(neg: bool, mant: u128, exp: i64) -> Result<Number, NumberError> {
    Number::from_parts(neg, mant, exp).map_err(|e| {
        if e.0 == TOO_MANY_DIGITS {
            err(OVERFLOW)
        } else {
            e
        }
    })
}

/// Addition with operands too far apart for `u128`: digit arrays, little-endian from the
/// lower exponent. Operands are valid numbers, so the arrays hold at most ~300 digits.
fn add_wide(a: &Number, b: &Number) -> Result<Number, NumberError> {
    let low = a.exp.min(b.exp);
    let to_digits = |n: &Number| -> Vec<u8> {
        let mut v = vec![0u8; (n.exp - low) as usize];
        let mut m = n.mant;
        while m > 0 {
            v.push((m % 10) as u8);
            m /= 10;
        }
        v
    };
    let (da, db) = (to_digits(a), to_digits(b));
    let len = da.len().max(db.len()) + 1;
    let at = |v: &Vec<u8>, i: usize| i64::from(v.get(i).copied().unwrap_or(0));
    let cmp_mag = || {
        for i in (0..len).rev() {
            match at(&da, i).cmp(&at(&db, i)) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    };
    let (neg, big, small, subtract) = if a.neg == b.neg {
        (a.neg, &da, &db, false)
    } else if cmp_mag() != Ordering::Less {
        (a.neg, &da, &db, true)
    } else {
        (b.neg, &db, &da, true)
    };
    let mut out = Vec::with_capacity(len);
    let mut carry = 0i64;
    for i in 0..len {
        let d = if subtract {
            at(big, i) - at(small, i) + carry
        } else {
            at(big, i) + at(small, i) + carry
        };
        let (digit, c) = if d < 0 {
            (d + 10, -1)
        } else if d >= 10 {
            (d - 10, 1)
        } else {
            (d, 0)
        };
        out.push(digit as u8);
        carry = c;
    }
    let Some(first) = out.iter().position(|&d| d != 0) else {
        return Ok(Number::ZERO);
    };
    let last = out.iter().rposition(|&d| d != 0).unwrap_or(first);
    let exp = i64::from(low) + first as i64;
    let sig = &out[first..=last];
    if sig.len() > MAX_DIGITS as usize {
        let adjusted = exp + sig.len() as i64 - 1;
        return Err(err(if adjusted < MIN_EXP {
            UNDERFLOW
        } else {
            OVERFLOW
        }));
    }
    let mant = sig.iter().rev().fold(0u128, |m, &d| m * 10 + u128::from(d));
    finish(neg, mant, exp)
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mant == 0 {
            return f.write_str("0");
        }
        let digits = self.mant.to_string();
        let mut out = String::with_capacity(digits.len() + 2 + self.exp.unsigned_abs() as usize);
        if self.neg {
            out.push('-');
        }
        if self.exp >= 0 {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', self.exp as usize));
        } else {
            let frac = self.exp.unsigned_abs() as usize;
            if digits.len() > frac {
                let (int, fr) = digits.split_at(digits.len() - frac);
                out.push_str(int);
                out.push('.');
                out.push_str(fr);
            } else {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', frac - digits.len()));
                out.push_str(&digits);
            }
        }
        f.write_str(&out)
    }
}

impl std::str::FromStr for Number {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, NumberError> {
        Number::parse(s)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        // An i64 has at most 19 digits and an exponent of 0: always in range.
        Number::from_parts(v < 0, u128::from(v.unsigned_abs()), 0).unwrap_or(Number::ZERO)
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| {
            if n.mant == 0 {
                0
            } else if n.neg {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if sign(self) == 0 => Ordering::Equal,
            Ordering::Equal => {
                let mag = cmp_magnitude(self, other);
                if self.neg { mag.reverse() } else { mag }
            }
            o => o,
        }
    }
}

/// Compares |a| and |b| for non-zero a, b.
fn cmp_magnitude(a: &Number, b: &Number) -> Ordering {
    match a.adjusted_exponent().cmp(&b.adjusted_exponent()) {
        Ordering::Equal => {
            // Same leading position: align both mantissas to 38 digits (fits u128).
            let widen = |m: u128| m * 10u128.pow(MAX_DIGITS - digit_count(m));
            widen(a.mant).cmp(&widen(b.mant))
        }
        o => o,
    }
}

#[cfg(test)]
#[path = "number_tests.rs"]
pub(crate) mod tests;
