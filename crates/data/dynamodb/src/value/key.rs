//! Order-preserving, self-delimiting encoding of key attributes (S, N, B), so that an item's
//! store key `enc(pk) ++ enc(sk)` sorts like `(pk, sk)` and Query is a range scan.
//!
//! For two values of the same type, `a < b` in DynamoDB's order (N numerically, S and B
//! bytewise over UTF-8 / raw bytes) exactly when `enc(a) < enc(b)` bytewise; and no encoding
//! is a prefix of another, so `enc(a) ++ x` and `enc(b) ++ y` compare like `a` and `b`
//! whenever `a != b`.
//!
//! * S, B: the bytes with `0x00` escaped as `0x00 0xFF`, then the terminator `0x00 0x01`.
//!   `encode_prefix` gives the escaped bytes without terminator: every value starting with
//!   the prefix (and only those) has an encoding starting with it (`begins_with`).
//! * N: a sign byte (`0x01` negative, `0x02` zero, `0x03` positive); for positive numbers the
//!   leading digit's exponent + 130 (one byte: the range is -130..=125), the digits packed two
//!   per byte (`1 + 11·d1 + (d2 + 1)`, `d2 + 1 = 0` for a final lone digit), then `0x00`.
//!   Negative numbers use the positive encoding of their magnitude with every byte
//!   complemented (`!b`), which reverses the order and stays prefix-free.
//!   At most 1 + 1 + 19 + 1 = 22 bytes.

use super::number::{MIN_EXP, Number};
use super::{AttrValue, ValueError};
use std::fmt;

/// The type of a key attribute, as declared in `AttributeDefinitions` (serialized as `"S"`,
/// `"N"`, `"B"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    /// `S`, `N` or `B`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    /// Reads `S`, `N` or `B`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    /// The scalar type of a value, if it is one of S, N, B.
    pub fn of(v: &AttrValue) -> Option<Self> {
        match v {
            AttrValue::S(_) => Some(ScalarType::S),
            AttrValue::N(_) => Some(ScalarType::N),
            AttrValue::B(_) => Some(ScalarType::B),
            _ => None,
        }
    }
}

impl fmt::Display for ScalarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const NEG: u8 = 0x01;
const ZERO: u8 = 0x02;
const POS: u8 = 0x03;

fn not_key(v: &AttrValue) -> ValueError {
    ValueError(format!(
        "a key attribute must be of type S, N or B, not {}",
        v.type_name()
    ))
}

fn corrupt(what: &str) -> ValueError {
    ValueError(format!("corrupt key encoding: {what}"))
}

/// Appends the encoding of a key value (S, N or B) to `out`.
pub fn encode_key(v: &AttrValue, out: &mut Vec<u8>) -> Result<(), ValueError> {
    match v {
        AttrValue::S(s) => encode_bytes(s.as_bytes(), out),
        AttrValue::B(b) => encode_bytes(b, out),
        AttrValue::N(n) => encode_number(n, out),
        other => return Err(not_key(other)),
    }
    Ok(())
}

/// The encoding of a key value as a new vector.
pub fn encode_key_to_vec(v: &AttrValue) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    encode_key(v, &mut out)?;
    Ok(out)
}

/// The encoding of an S or B prefix, without terminator: exactly the encodings of the values
/// that begin with it start with these bytes.
pub fn encode_prefix(v: &AttrValue) -> Result<Vec<u8>, ValueError> {
    let bytes = match v {
        AttrValue::S(s) => s.as_bytes(),
        AttrValue::B(b) => b.as_slice(),
        other => return Err(not_key(other)),
    };
    let mut out = Vec::with_capacity(bytes.len() + 2);
    escape(bytes, &mut out);
    Ok(out)
}

/// Decodes one key value of type `ty` from the front of `bytes`; returns it and the rest.
pub fn decode_key(ty: ScalarType, bytes: &[u8]) -> Result<(AttrValue, &[u8]), ValueError> {
    match ty {
        ScalarType::S => {
            let (raw, rest) = decode_bytes(bytes)?;
            let s = String::from_utf8(raw).map_err(|_| corrupt("string is not UTF-8"))?;
            Ok((AttrValue::S(s), rest))
        }
        ScalarType::B => {
            let (raw, rest) = decode_bytes(bytes)?;
            Ok((AttrValue::B(raw), rest))
        }
        ScalarType::N => {
            let (n, rest) = decode_number(bytes)?;
            Ok((AttrValue::N(n), rest))
        }
    }
}

fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
}

fn encode_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 2);
    escape(bytes, out);
    out.extend_from_slice(&[0x00, 0x01]);
}

fn decode_bytes(bytes: &[u8]) -> Result<(Vec<u8>, &[u8]), ValueError> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        match bytes.get(i) {
            None => return Err(corrupt("unterminated bytes")),
            Some(0) => match bytes.get(i + 1) {
                Some(0xFF) => {
                    out.push(0);
                    i += 2;
                }
                Some(0x01) => return Ok((out, &bytes[i + 2..])),
                _ => return Err(corrupt("bad escape")),
            },
            Some(&b) => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// Positive encoding of |n| (n non-zero), written from `start` on.
fn encode_magnitude(n: &Number, out: &mut Vec<u8>) {
    let (_, mant, _) = n.parts();
    // The range is -130..=125, so this is 0..=255.
    out.push((i64::from(n.adjusted_exponent()) - MIN_EXP) as u8);
    let digits = mant.to_string();
    for pair in digits.as_bytes().chunks(2) {
        let d1 = pair[0] - b'0';
        let d2 = pair.get(1).map_or(0, |d| d - b'0' + 1);
        out.push(1 + 11 * d1 + d2);
    }
    out.push(0x00);
}

fn encode_number(n: &Number, out: &mut Vec<u8>) {
    if n.is_zero() {
        out.push(ZERO);
        return;
    }
    if n.is_negative() {
        out.push(NEG);
        let start = out.len();
        encode_magnitude(n, out);
        for b in &mut out[start..] {
            *b = !*b;
        }
    } else {
        out.push(POS);
        encode_magnitude(n, out);
    }
}

fn decode_number(bytes: &[u8]) -> Result<(Number, &[u8]), ValueError> {
    let (&sign, rest) = bytes.split_first().ok_or_else(|| corrupt("empty number"))?;
    let flip = match sign {
        ZERO => return Ok((Number::ZERO, rest)),
        POS => 0x00,
        NEG => 0xFF,
        _ => return Err(corrupt("bad number sign")),
    };
    let (&exp, mut rest) = rest
        .split_first()
        .ok_or_else(|| corrupt("truncated number"))?;
    let adjusted = i64::from(exp ^ flip) + MIN_EXP;
    let mut mant: u128 = 0;
    let mut digits: i64 = 0;
    loop {
        let (&b, tail) = rest
            .split_first()
            .ok_or_else(|| corrupt("unterminated number"))?;
        rest = tail;
        let b = b ^ flip;
        if b == 0 {
            break;
        }
        if digits >= 38 || b > 110 {
            return Err(corrupt("bad number digits"));
        }
        let v = b - 1;
        let (d1, d2) = (v / 11, v % 11);
        mant = mant * 10 + u128::from(d1);
        digits += 1;
        if d2 > 0 {
            mant = mant * 10 + u128::from(d2 - 1);
            digits += 1;
        }
    }
    if mant == 0 {
        return Err(corrupt("number without digits"));
    }
    let n =
        Number::from_parts(flip != 0, mant, adjusted - digits + 1).map_err(|e| corrupt(&e.0))?;
    Ok((n, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::number::tests::any_number;
    use proptest::prelude::*;

    fn enc(v: &AttrValue) -> Vec<u8> {
        encode_key_to_vec(v).expect("key type")
    }

    fn num(s: &str) -> AttrValue {
        AttrValue::N(Number::parse(s).expect("number"))
    }

    fn key_cmp(a: &AttrValue, b: &AttrValue) -> std::cmp::Ordering {
        match (a, b) {
            (AttrValue::S(x), AttrValue::S(y)) => x.as_bytes().cmp(y.as_bytes()),
            (AttrValue::B(x), AttrValue::B(y)) => x.cmp(y),
            (AttrValue::N(x), AttrValue::N(y)) => x.cmp(y),
            _ => unreachable!("same type"),
        }
    }

    fn any_key(ty: ScalarType) -> BoxedStrategy<AttrValue> {
        match ty {
            // Small alphabets with NUL and 0x01/0xFF make escapes and prefixes common.
            ScalarType::S => proptest::collection::vec(
                prop_oneof![
                    Just('\0'),
                    Just('\u{1}'),
                    Just('a'),
                    Just('b'),
                    Just('é'),
                    any::<char>()
                ],
                0..6,
            )
            .prop_map(|c| AttrValue::S(c.into_iter().collect()))
            .boxed(),
            ScalarType::B => proptest::collection::vec(
                prop_oneof![Just(0u8), Just(1u8), Just(0xFFu8), any::<u8>()],
                0..6,
            )
            .prop_map(AttrValue::B)
            .boxed(),
            ScalarType::N => prop_oneof![
                any_number(),
                (-1000i64..1000).prop_map(Number::from),
                (-1000i64..1000, -3i64..3).prop_map(|(m, e)| {
                    Number::from_parts(m < 0, u128::from(m.unsigned_abs()), e).expect("small")
                }),
            ]
            .prop_map(AttrValue::N)
            .boxed(),
        }
    }

    fn pair() -> impl Strategy<Value = (AttrValue, AttrValue)> {
        prop_oneof![
            Just(ScalarType::S),
            Just(ScalarType::N),
            Just(ScalarType::B)
        ]
        .prop_flat_map(|ty| (any_key(ty), any_key(ty)))
    }

    #[test]
    fn value_key_number_order_examples() {
        let sorted = [
            "-9.9999999999999999999999999999999999999E+125",
            "-1e125",
            "-100",
            "-12",
            "-11.5",
            "-11",
            "-1",
            "-0.5",
            "-1e-130",
            "0",
            "1e-130",
            "0.001",
            "0.5",
            "1",
            "1.05",
            "1.5",
            "9",
            "10",
            "11",
            "12345678901234567890123456789012345678",
            "1e125",
            "9.9999999999999999999999999999999999999E+125",
        ];
        let encs: Vec<Vec<u8>> = sorted.iter().map(|s| enc(&num(s))).collect();
        for (i, w) in encs.windows(2).enumerate() {
            assert!(w[0] < w[1], "{} < {}", sorted[i], sorted[i + 1]);
        }
        assert!(encs.iter().all(|e| e.len() <= 22));
        assert_eq!(enc(&num("0")), vec![ZERO]);
        assert_eq!(enc(&num("1.50")), enc(&num("1.5")));
    }

    #[test]
    fn value_key_bytes_escape_and_order() {
        let s = |x: &str| AttrValue::S(x.to_string());
        assert_eq!(enc(&s("a\0b")), vec![b'a', 0, 0xFF, b'b', 0, 1]);
        assert!(enc(&s("")) < enc(&s("\0")));
        assert!(enc(&s("a")) < enc(&s("a\0")));
        assert!(enc(&s("a\0")) < enc(&s("a\u{1}")));
        assert!(
            enc(&s("Z")) < enc(&s("a")),
            "bytewise, not case-insensitive"
        );
        // (pk, sk) concatenations sort by pk first even when pk is a prefix of another.
        let mut k1 = enc(&s("a"));
        k1.extend(enc(&s("zzz")));
        let mut k2 = enc(&s("ab"));
        k2.extend(enc(&s("")));
        assert!(k1 < k2);
        assert!(encode_key_to_vec(&AttrValue::Bool(true)).is_err());
    }

    #[test]
    fn value_key_prefix_matches_begins_with() {
        let p = encode_prefix(&AttrValue::S("ab".into())).expect("S");
        for (v, starts) in [
            ("ab", true),
            ("abc", true),
            ("ab\0", true),
            ("a", false),
            ("b", false),
        ] {
            assert_eq!(
                enc(&AttrValue::S(v.into())).starts_with(&p),
                starts,
                "{v:?}"
            );
        }
        let p = encode_prefix(&AttrValue::B(vec![0])).expect("B");
        assert!(enc(&AttrValue::B(vec![0, 5])).starts_with(&p));
        assert!(!enc(&AttrValue::B(vec![])).starts_with(&p));
    }

    #[test]
    fn value_key_decode_rejects_corrupt_bytes() {
        assert!(decode_key(ScalarType::S, b"abc").is_err());
        assert!(decode_key(ScalarType::S, &[0, 7]).is_err());
        assert!(decode_key(ScalarType::S, &[0xC3, 0, 1]).is_err());
        assert!(decode_key(ScalarType::N, &[]).is_err());
        assert!(decode_key(ScalarType::N, &[9]).is_err());
        assert!(decode_key(ScalarType::N, &[POS, 130]).is_err());
        assert!(decode_key(ScalarType::N, &[POS, 130, 0]).is_err());
        assert!(decode_key(ScalarType::N, &[POS, 130, 200, 0]).is_err());
    }

    proptest! {
        #[test]
        fn value_key_order_preserved((a, b) in pair()) {
            prop_assert_eq!(enc(&a).cmp(&enc(&b)), key_cmp(&a, &b));
        }

        #[test]
        fn value_key_prefix_free((a, b) in pair(), x in proptest::collection::vec(any::<u8>(), 0..4), y in proptest::collection::vec(any::<u8>(), 0..4)) {
            prop_assume!(key_cmp(&a, &b) != std::cmp::Ordering::Equal);
            let mut ea = enc(&a);
            ea.extend(&x);
            let mut eb = enc(&b);
            eb.extend(&y);
            prop_assert_eq!(ea.cmp(&eb), key_cmp(&a, &b));
        }

        #[test]
        fn value_key_decode_roundtrips((a, b) in pair()) {
            let ty = ScalarType::of(&a).expect("key type");
            let mut bytes = enc(&a);
            bytes.extend(enc(&b));
            let (da, rest) = decode_key(ty, &bytes).expect("decodes");
            let (db, rest) = decode_key(ty, rest).expect("decodes");
            prop_assert_eq!(da, a);
            prop_assert_eq!(db, b);
            prop_assert!(rest.is_empty());
        }

        #[test]
        fn value_key_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            for ty in [ScalarType::S, ScalarType::N, ScalarType::B] {
                let _ = decode_key(ty, &bytes);
            }
        }
    }
}
