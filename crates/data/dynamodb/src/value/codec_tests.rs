use super::*;
use crate::value::number::tests::any_number;
use crate::value::{item_from_json, item_to_json};
use proptest::prelude::*;
use serde_json::json;
use std::time::Instant;

fn any_value() -> impl Strategy<Value = AttrValue> {
    let leaf = prop_oneof![
        ".{0,8}".prop_map(AttrValue::S),
        any_number().prop_map(AttrValue::N),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(AttrValue::B),
        any::<bool>().prop_map(AttrValue::Bool),
        Just(AttrValue::Null),
        proptest::collection::vec(".{0,4}", 1..4).prop_map(AttrValue::Ss),
        proptest::collection::vec(any_number(), 1..4).prop_map(AttrValue::Ns),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..4), 1..4)
            .prop_map(AttrValue::Bs),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(AttrValue::L),
            proptest::collection::btree_map(".{0,4}", inner, 0..4).prop_map(AttrValue::M),
        ]
    })
}

fn any_item() -> impl Strategy<Value = Item> {
    proptest::collection::btree_map(".{0,6}", any_value(), 0..6)
}

/// A representative ~1 KB item: keys, short and long strings, numbers, a flag, a nested
/// map, a list, sets and a small binary.
fn sample_item() -> Item {
    let v = json!({
        "pk": {"S": "USER#8f14e45fceea167a5a36dedd4bea2543"},
        "sk": {"S": "ORDER#2024-06-01T12:34:56.789Z#000123"},
        "status": {"S": "SHIPPED"},
        "total": {"N": "1234.56"},
        "quantity": {"N": "3"},
        "createdAt": {"N": "1717245296789"},
        "discount": {"N": "-0.15"},
        "gift": {"BOOL": false},
        "note": {"NULL": true},
        "description": {"S": "A fairly long free-text description of the order that a user typed in, with some detail about delivery preferences and a request to leave the parcel with the neighbour at number 12 if nobody is home."},
        "address": {"M": {
            "street": {"S": "12 Example Road"},
            "city": {"S": "Springfield"},
            "zip": {"S": "12345"},
            "country": {"S": "US"},
            "geo": {"M": {"lat": {"N": "37.774929"}, "lon": {"N": "-122.419416"}}}
        }},
        "lines": {"L": [
            {"M": {"sku": {"S": "SKU-0001"}, "qty": {"N": "1"}, "price": {"N": "999.99"}}},
            {"M": {"sku": {"S": "SKU-0042"}, "qty": {"N": "2"}, "price": {"N": "117.285"}}}
        ]},
        "tags": {"SS": ["priority", "fragile", "gift-wrap", "express"]},
        "scores": {"NS": ["1", "2.5", "1000000", "-3"]},
        "thumbnail": {"B": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="},
        "history": {"L": [
            {"S": "2024-06-01T12:34:56Z created"},
            {"S": "2024-06-01T13:00:00Z paid"},
            {"S": "2024-06-02T09:10:11Z packed"},
            {"S": "2024-06-02T17:45:00Z shipped"}
        ]}
    });
    item_from_json(&v).expect("valid item")
}

#[test]
fn value_codec_roundtrips_sample() {
    let item = sample_item();
    let bytes = encode_item(&item);
    assert_eq!(bytes[0], FORMAT);
    assert_eq!(decode_item(&bytes), Ok(item));
    assert_eq!(decode_item(&encode_item(&Item::new())), Ok(Item::new()));
}

/// Frozen sample of format 1: a change to the layout must keep reading it.
#[test]
fn value_codec_reads_frozen_format_1() {
    let item: Item = [
        ("a".to_string(), AttrValue::S("x".into())),
        (
            "n".to_string(),
            AttrValue::N(Number::parse("-1.5").expect("number")),
        ),
    ]
    .into();
    let frozen = [1, 2, 1, b'a', 1, 1, b'x', 1, b'n', 2, 3, 15];
    assert_eq!(encode_item(&item), frozen);
    assert_eq!(decode_item(&frozen), Ok(item));
}

#[test]
fn value_codec_rejects_corrupt_bytes() {
    let bad: &[&[u8]] = &[
        &[],
        &[9],
        &[1],
        &[1, 1],
        &[1, 1, 1, b'a'],
        &[1, 1, 1, b'a', 99],
        &[1, 1, 1, b'a', 1, 5, b'x'],
        &[1, 1, 1, 0xC3, 6],
        &[1, 0, 0],
        &[1, 1, 1, b'a', 2, 0, 10],
        &[
            1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F,
        ],
    ];
    for b in bad {
        assert!(decode_item(b).is_err(), "{b:?}");
    }
    // Deep nesting is refused, not a stack overflow.
    let mut deep = vec![1, 1, 1, b'a'];
    for _ in 0..100_000 {
        deep.extend([L, 1]);
    }
    deep.push(NULL);
    assert!(decode_item(&deep).is_err());
}

#[test]
fn value_codec_measure_vs_json() {
    let item = sample_item();
    let json_bytes = serde_json::to_vec(&item_to_json(&item)).expect("json");
    let bin = encode_item(&item);
    assert!(bin.len() < json_bytes.len());
    let rounds = 300;
    let t = Instant::now();
    for _ in 0..rounds {
        let b = encode_item(&item);
        std::hint::black_box(decode_item(&b).expect("decodes"));
    }
    let bin_time = t.elapsed();
    let t = Instant::now();
    for _ in 0..rounds {
        let b = serde_json::to_vec(&item_to_json(&item)).expect("json");
        let v: serde_json::Value = serde_json::from_slice(&b).expect("json");
        std::hint::black_box(item_from_json(&v).expect("item"));
    }
    let json_time = t.elapsed();
    eprintln!(
        "item size (AWS) {} B; binary {} B, JSON {} B; encode+decode x{rounds}: binary {:?}, JSON {:?}",
        crate::value::size::item_size(&item),
        bin.len(),
        json_bytes.len(),
        bin_time,
        json_time
    );
}

proptest! {
    #[test]
    fn value_codec_roundtrips(item in any_item()) {
        prop_assert_eq!(decode_item(&encode_item(&item)), Ok(item));
    }

    #[test]
    fn value_codec_never_panics_on_mutations(item in any_item(), at in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
        let mut b = encode_item(&item);
        let i = at % b.len();
        b[i] = byte;
        let _ = decode_item(&b);
        b.truncate(cut % (b.len() + 1));
        let _ = decode_item(&b);
    }

    #[test]
    fn value_codec_never_panics_on_noise(b in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut v = vec![FORMAT];
        v.extend(b);
        let _ = decode_item(&v);
    }
}
