//! Item size the AWS way (the developer guide's "DynamoDB item sizes and formats"), and the
//! capacity units derived from it.
//!
//! * an attribute: UTF-8 length of its name + the size of its value;
//! * S: UTF-8 bytes; B: raw bytes; BOOL and NULL: 1 byte;
//! * N: 1 byte + 1 byte per base-100 digit pair, pairs aligned on the decimal point, leading
//!   and trailing zero pairs dropped, + 1 byte if negative. This is the measured behaviour
//!   (an accept/reject pair at the 400 KB gate per literal): `3.14159` costs 5 bytes
//!   (`03 . 14 15 90`), `123456` costs 4, `1.5` costs 3, `-42` costs 3, `0` costs 1. The
//!   guide's "1 byte per two significant digits plus 1 byte" is the same rule, roughly;
//! * M and L: 3 bytes + per element 1 byte + the element (for M, its name's length too);
//! * SS, NS, BS: the sum of the elements' sizes.
//!
//! Capacity: 1 RCU reads up to 4 KB strongly consistent (an eventually consistent read costs
//! half), 1 WCU writes up to 1 KB; sizes round up, and every request costs at least one unit.

use super::number::Number;
use super::{AttrValue, Item};

/// Largest item DynamoDB stores: 400 KB. `size > MAX_ITEM_SIZE` is refused.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// Bytes a read capacity unit covers.
pub const READ_UNIT: usize = 4 * 1024;

/// Bytes a write capacity unit covers.
pub const WRITE_UNIT: usize = 1024;

/// Size of a number value.
pub fn number_size(n: &Number) -> usize {
    let (neg, mant, exp) = n.parts();
    if mant == 0 {
        return 1;
    }
    let digits = i64::from(super::number::digit_count(mant));
    let low = i64::from(exp);
    let high = low + digits - 1;
    // Base-100 pairs aligned on the decimal point: position p belongs to pair floor(p / 2).
    let pairs = high.div_euclid(2) - low.div_euclid(2) + 1;
    1 + pairs as usize + usize::from(neg)
}

/// Size of a value without any attribute name.
pub fn value_size(v: &AttrValue) -> usize {
    match v {
        AttrValue::S(s) => s.len(),
        AttrValue::N(n) => number_size(n),
        AttrValue::B(b) => b.len(),
        AttrValue::Bool(_) | AttrValue::Null => 1,
        AttrValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        AttrValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttrValue::Ss(s) => s.iter().map(String::len).sum(),
        AttrValue::Ns(n) => n.iter().map(number_size).sum(),
        AttrValue::Bs(b) => b.iter().map(Vec::len).sum(),
    }
}

/// Size of one attribute: its name and its value.
pub fn attr_size(name: &str, v: &AttrValue) -> usize {
    name.len() + value_size(v)
}

/// Size of an item: the sum of its attributes.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| attr_size(k, v)).sum()
}

/// Read capacity units for reading `size` bytes: 4 KB per unit rounded up, at least one unit;
/// half as much when eventually consistent.
pub fn read_units(size: usize, consistent: bool) -> f64 {
    let units = size.div_ceil(READ_UNIT).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

/// Write capacity units for writing `size` bytes: 1 KB per unit rounded up, at least one unit.
pub fn write_units(size: usize) -> f64 {
    size.div_ceil(WRITE_UNIT).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn n(s: &str) -> Number {
        Number::parse(s).expect("number")
    }

    #[test]
    fn value_size_numbers_match_measured_costs() {
        // Each figure measured against DynamoDB by an accept/reject pair at the 400 KB gate.
        for (literal, bytes) in [
            ("0", 1),
            ("1", 2),
            ("12", 2),
            ("123", 3),
            ("1234", 3),
            ("12345678901234567890123456789012345678", 20),
            ("0042", 2),
            ("100", 2),
            ("1010", 3),
            ("0.0000001", 2),
            ("1E125", 2),
            ("1E-100", 2),
            ("1.5", 3),
            ("15", 2),
            ("1.2", 3),
            ("1.200", 3),
            ("1.234", 4),
            ("3.14159", 5),
            ("123456", 4),
            ("100.5", 4),
            ("0.15", 2),
            ("-42", 3),
            ("-0", 1),
        ] {
            assert_eq!(number_size(&n(literal)), bytes, "{literal}");
        }
    }

    #[test]
    fn value_size_of_each_type() {
        let s = |x: &str| AttrValue::S(x.into());
        assert_eq!(attr_size("name", &s("héllo")), 4 + 6);
        assert_eq!(attr_size("b", &AttrValue::B(vec![1, 2, 3])), 4);
        assert_eq!(attr_size("t", &AttrValue::Bool(true)), 2);
        assert_eq!(attr_size("nul", &AttrValue::Null), 4);
        assert_eq!(attr_size("l", &AttrValue::L(vec![])), 4);
        assert_eq!(attr_size("m", &AttrValue::M(BTreeMap::new())), 4);
        // L: 3 + (1 + 1) + (1 + 2) ; M: 3 + (1 + len("ab") + 1)
        assert_eq!(
            value_size(&AttrValue::L(vec![s("x"), AttrValue::N(n("12"))])),
            8
        );
        let m: BTreeMap<String, AttrValue> = [("ab".to_string(), s("c"))].into();
        assert_eq!(value_size(&AttrValue::M(m)), 7);
        assert_eq!(value_size(&AttrValue::Ss(vec!["ab".into(), "c".into()])), 3);
        assert_eq!(value_size(&AttrValue::Ns(vec![n("1"), n("-1.5")])), 2 + 4);
        assert_eq!(value_size(&AttrValue::Bs(vec![vec![1], vec![]])), 1);
        let item: Item = [
            ("pk".to_string(), s("abc")),
            ("n".to_string(), AttrValue::N(n("7"))),
        ]
        .into();
        assert_eq!(item_size(&item), 5 + 3);
    }

    #[test]
    fn value_size_capacity_units_round_up() {
        assert_eq!(read_units(0, true), 1.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(read_units(100, false), 0.5);
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(write_units(MAX_ITEM_SIZE), 400.0);
    }
}
