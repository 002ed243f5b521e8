//! DynamoDB expressions: arbitrary text through every expression parser, and whatever parses
//! through the evaluators (condition, update, projection, key-condition schema check).
#![no_main]

use lamina_dynamodb::expr::{Context, apply_update, eval_condition, project};
use lamina_dynamodb::value::{AttrValue, Item, Number};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fn context() -> Context {
    let names = [("#a", "a"), ("#b", "b"), ("#l", "l"), ("#idx", "[3]")];
    let n = |s: &str| Number::parse(s).map(AttrValue::N).unwrap_or(AttrValue::Null);
    let values = [
        (":n", n("1")),
        (":big", n("9.9999999999999999999999999999999999999E+125")),
        (":s", AttrValue::S("x".into())),
        (":b", AttrValue::B(vec![1, 2])),
        (":l", AttrValue::L(vec![AttrValue::S("e".into())])),
        (":ss", AttrValue::Ss(vec!["x".into(), "y".into()])),
        (":ns", AttrValue::Ns(vec![])),
        (":m", AttrValue::M(BTreeMap::new())),
        (":t", AttrValue::S("SS".into())),
    ];
    Context::from_maps(
        names.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        values.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    )
}

fn item() -> Item {
    let mut inner = BTreeMap::new();
    inner.insert("b".to_string(), AttrValue::L(vec![AttrValue::Null, AttrValue::Bool(true)]));
    let mut item = Item::new();
    item.insert("a".into(), AttrValue::M(inner));
    item.insert("l".into(), AttrValue::L(vec![AttrValue::S("x".into()); 4]));
    item.insert("s".into(), AttrValue::Ss(vec!["x".into()]));
    if let Ok(n) = Number::parse("5") {
        item.insert("n".into(), AttrValue::N(n));
    }
    item
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let mut ctx = context();
    let item = item();
    if let Ok(c) = ctx.condition(src) {
        let _ = eval_condition(&c, &item);
    }
    if let Ok(c) = ctx.filter(src) {
        let _ = eval_condition(&c, &Item::new());
    }
    if let Ok(k) = ctx.key_condition(src) {
        let _ = k.clone().resolve("a", Some("b"));
        let _ = k.resolve("a", None);
    }
    if let Ok(p) = ctx.projection(src) {
        let _ = project(&item, &p);
    }
    if let Ok(u) = ctx.update(src) {
        let mut it = item.clone();
        let before = it.clone();
        if apply_update(&u, &mut it).is_err() {
            assert_eq!(it, before, "a failed update changed the item");
        }
    }
    let _ = ctx.check_unused();
});
