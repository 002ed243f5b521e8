use super::*;
use proptest::prelude::*;

fn n(s: &str) -> Number {
    Number::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn parse_err(s: &str) -> String {
    Number::parse(s).expect_err(s).0
}

#[test]
fn value_number_normalized_display() {
    for (input, shown) in [
        ("1", "1"),
        ("1.50", "1.5"),
        ("1e3", "1000"),
        ("1.5E+2", "150"),
        ("-0", "0"),
        ("+0.0", "0"),
        ("0.00001", "0.00001"),
        ("00042", "42"),
        ("1.0", "1"),
        ("+3", "3"),
        (".123", "0.123"),
        ("0001.23", "1.23"),
        ("1e+5", "100000"),
        ("-17.4E37", "-174000000000000000000000000000000000000"),
        ("1.", "1"),
        ("-7.1234", "-7.1234"),
        ("12.5e-3", "0.0125"),
        ("0e125", "0"),
        (
            "31415926535897932384626433832795028841e30",
            &format!("31415926535897932384626433832795028841{}", "0".repeat(30)),
        ),
    ] {
        assert_eq!(n(input).to_string(), shown, "{input}");
    }
    assert_eq!(n("1E125").to_string(), format!("1{}", "0".repeat(125)));
    assert_eq!(n("1E-130").to_string(), format!("0.{}1", "0".repeat(129)));
    assert_eq!(
        n("-9.9999999999999999999999999999999999999E+125")
            .to_string()
            .len(),
        127
    );
}

#[test]
fn value_number_rejects_what_aws_rejects() {
    let not_numeric =
        |s: &str| format!("The parameter cannot be converted to a numeric value: {s}");
    for s in [
        "abc",
        "1.2.3",
        "",
        " 1",
        "1 ",
        "0x10",
        "1e",
        "NaN",
        "Infinity",
        "-Infinity",
        "-NaN",
        ".",
        "-",
        "e5",
        "1e+-2",
        "--1",
        "1_000",
    ] {
        assert_eq!(parse_err(s), not_numeric(s), "{s:?}");
    }
    // An exponent past a 64-bit integer cannot be converted; one that fits is range-checked.
    assert_eq!(
        parse_err("1e9223372036854775808"),
        not_numeric("1e9223372036854775808")
    );
    for s in [
        "1e126",
        "-1e126",
        "11e125",
        "1e99999999999",
        "-1e99999999999",
        "1e2147483648",
        "1e2147483647",
        "0e126",
        "1e9223372036854775807",
    ] {
        assert_eq!(parse_err(s), OVERFLOW, "{s}");
    }
    for s in [
        "1e-131",
        "-1e-131",
        "0.9e-130",
        "1e-99999999999",
        "1e-2147483648",
        "0e-131",
    ] {
        assert_eq!(parse_err(s), UNDERFLOW, "{s}");
    }
    for s in [
        "123456789012345678901234567890123456789",
        "-1.23456789012345678901234567890123456789",
        "1234567890123456789012345678901234567890",
        "3.14159265358979323846264338327950288419",
        "314159265358979323846264338327950288419e30",
    ] {
        assert_eq!(parse_err(s), TOO_MANY_DIGITS, "{s}");
    }
    // Magnitude is checked before precision.
    assert_eq!(
        parse_err("1234567890123456789012345678901234567890e100"),
        OVERFLOW
    );
}

#[test]
fn value_number_accepts_range_edges() {
    for s in [
        "9.9999999999999999999999999999999999999E+125",
        "-9.9999999999999999999999999999999999999E+125",
        "1E-130",
        "-1e-130",
        "3.1415926535897932384626433832795028841",
        "10000000000000000000000000000000000000000000000000", // trailing zeros are not significant
        "1.0000000000000000000000000000000000000000000",
    ] {
        assert!(Number::parse(s).is_ok(), "{s}");
    }
}

#[test]
fn value_number_numeric_order_and_equality() {
    assert_eq!(n("1.50"), n("1.5"));
    assert_eq!(n("-0"), n("0"));
    assert_eq!(n("1e2"), n("100"));
    let sorted = [
        "-1e125", "-100", "-99.99", "-1", "-0.001", "0", "1e-130", "0.5", "1", "2", "10", "1e125",
    ];
    let nums: Vec<Number> = sorted.iter().map(|s| n(s)).collect();
    for w in nums.windows(2) {
        assert!(w[0] < w[1], "{} < {}", w[0], w[1]);
    }
    assert!(n("9") < n("10"), "numeric, not textual");
}

#[test]
fn value_number_exact_arithmetic() {
    let add = |a: &str, b: &str| n(a).add(&n(b)).map(|x| x.to_string());
    let sub = |a: &str, b: &str| n(a).sub(&n(b)).map(|x| x.to_string());
    assert_eq!(
        add("1", "10000000000000000000000").as_deref(),
        Ok("10000000000000000000001")
    );
    assert_eq!(
        sub("10000000000000000000000", "1").as_deref(),
        Ok("9999999999999999999999")
    );
    assert_eq!(add("0.1", "0.2").as_deref(), Ok("0.3"));
    assert_eq!(add("-5", "5").as_deref(), Ok("0"));
    assert_eq!(sub("1.5", "2.25").as_deref(), Ok("-0.75"));
    // 1e50 ± 1 needs more than 38 digits: AWS calls it an overflow.
    assert_eq!(add("1e50", "1").map_err(|e| e.0), Err(OVERFLOW.to_string()));
    assert_eq!(sub("1e50", "1").map_err(|e| e.0), Err(OVERFLOW.to_string()));
    assert_eq!(
        add("9e125", "9e125").map_err(|e| e.0),
        Err(OVERFLOW.to_string())
    );
    assert_eq!(
        sub("9e125", "-9e125").map_err(|e| e.0),
        Err(OVERFLOW.to_string())
    );
    assert_eq!(
        sub("1.1e-130", "1e-130").map_err(|e| e.0),
        Err(UNDERFLOW.to_string())
    );
    // Far apart operands that cancel down to a representable value.
    let a = n("1e40");
    let b = n("-99999999999999999999999999999999999999e2");
    assert_eq!(a.add(&b).map(|x| x.to_string()).as_deref(), Ok("100"));
    assert_eq!(
        add("1e125", "1e-130").map_err(|e| e.0),
        Err(OVERFLOW.to_string())
    );
}

#[test]
fn value_number_helpers() {
    assert_eq!(n("123.45").adjusted_exponent(), 2);
    assert_eq!(n("0.05").adjusted_exponent(), -2);
    assert_eq!(n("1.200").significant_digits(), 2);
    assert_eq!(n("-1200").to_i64(), Some(-1200));
    assert_eq!(n("1.5").to_i64(), None);
    assert_eq!(Number::from(-42i64).to_string(), "-42");
    assert_eq!(Number::from(i64::MIN).to_string(), i64::MIN.to_string());
    assert_eq!(n("2.5").to_f64(), 2.5);
    assert_eq!(n("-0").negate(), Number::ZERO);
    assert_eq!(
        Number::from_parts(false, 1200, -2).map(|x| x.parts()),
        Ok((false, 12, 0))
    );
}

/// Any valid number (full range): sign, 1..=38 digit mantissa, exponent in range.
pub(crate) fn any_number() -> impl Strategy<Value = Number> {
    (any::<bool>(), 1u32..=38, any::<u128>(), -130i64..=125).prop_map(|(neg, digits, raw, lead)| {
        let mant = raw % 10u128.pow(digits);
        let mant = mant.max(1);
        let exp = lead - i64::from(digit_count(mant)) + 1;
        Number::from_parts(neg, mant, exp).expect("constructed in range")
    })
}

/// Numbers small enough that `mant × 10^(exp + 10)` fits an i128 (the exact oracle).
fn small() -> impl Strategy<Value = (i128, i32)> {
    (-(10i128.pow(17))..10i128.pow(17), -10i32..=10)
}

fn rational(m: i128, e: i32) -> i128 {
    // value × 10^10, exact for the `small` range.
    m * 10i128.pow((e + 10) as u32)
}

fn num(m: i128, e: i32) -> Number {
    Number::from_parts(m < 0, m.unsigned_abs(), i64::from(e)).expect("in range")
}

proptest! {
    #[test]
    fn value_number_display_roundtrips(x in any_number()) {
        let shown = x.to_string();
        prop_assert_eq!(Number::parse(&shown), Ok(x.clone()));
        let (neg, mant, exp) = x.parts();
        let sci = format!("{}{}E{}", if neg { "-" } else { "" }, mant, exp);
        prop_assert_eq!(Number::parse(&sci), Ok(x));
    }

    #[test]
    fn value_number_order_is_rational_order(a in small(), b in small()) {
        let (x, y) = (num(a.0, a.1), num(b.0, b.1));
        prop_assert_eq!(x.cmp(&y), rational(a.0, a.1).cmp(&rational(b.0, b.1)));
        prop_assert_eq!(x == y, rational(a.0, a.1) == rational(b.0, b.1));
    }

    #[test]
    fn value_number_order_full_range_agrees_with_subtraction(x in any_number(), y in any_number()) {
        // x < y ⇔ y - x > 0 whenever the difference is representable.
        if let Ok(d) = y.sub(&x) {
            let zero = Number::ZERO;
            prop_assert_eq!(x.cmp(&y), zero.cmp(&d));
        }
        prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
    }

    #[test]
    fn value_number_add_is_exact(a in small(), b in small()) {
        let (x, y) = (num(a.0, a.1), num(b.0, b.1));
        let sum = x.add(&y).expect("fits 38 digits");
        let exact = rational(a.0, a.1) + rational(b.0, b.1);
        prop_assert_eq!(sum.clone(), num(exact, -10));
        prop_assert_eq!(y.add(&x), Ok(sum.clone()));
        prop_assert_eq!(sum.sub(&y), Ok(x.clone()));
        prop_assert_eq!(x.sub(&y), Ok(num(rational(a.0, a.1) - rational(b.0, b.1), -10)));
    }

    #[test]
    fn value_number_add_commutes_and_inverts(x in any_number(), y in any_number()) {
        let s = x.add(&y);
        prop_assert_eq!(y.add(&x), s.clone());
        if let Ok(s) = s {
            prop_assert_eq!(s.sub(&y), Ok(x.clone()));
        }
        prop_assert_eq!(x.sub(&x), Ok(Number::ZERO));
    }

    #[test]
    fn value_number_parse_never_panics(s in "[-+0-9.eE ]{0,50}") {
        let _ = Number::parse(&s);
    }
}
