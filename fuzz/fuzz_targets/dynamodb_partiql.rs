//! DynamoDB PartiQL: arbitrary text through the statement parser, with a few parameters of
//! every shape, and whatever parses through the helpers the operations use on it (key
//! equalities, partitions, condition evaluation against a sample item).
#![no_main]

use lamina_dynamodb::expr::eval_condition;
use lamina_dynamodb::partiql::{self, Statement};
use lamina_dynamodb::value::{AttrValue, Item, Number};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let n = |s: &str| Number::parse(s).map(AttrValue::N).unwrap_or(AttrValue::Null);
    let params = [
        AttrValue::S("p".into()),
        n("1"),
        AttrValue::B(vec![1]),
        AttrValue::L(vec![AttrValue::Null]),
    ];
    let mut item = Item::new();
    item.insert("pk".into(), AttrValue::S("p".into()));
    item.insert("n".into(), n("1"));
    item.insert("l".into(), AttrValue::L(vec![n("2")]));
    for used in 0..=params.len() {
        let Ok(stmt) = partiql::parse(src, &params[..used]) else {
            continue;
        };
        let filter = match &stmt {
            Statement::Select { filter, .. }
            | Statement::Update { filter, .. }
            | Statement::Delete { filter, .. } => filter.clone(),
            Statement::Insert { .. } => None,
        };
        if let Some(f) = filter {
            let _ = partiql::partitions(&f, "pk");
            let _ = partiql::equality_on(&f, "pk");
            let _ = eval_condition(&f, &item);
        }
    }
});
