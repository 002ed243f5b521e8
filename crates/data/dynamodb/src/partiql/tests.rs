//! Parser tests: what each statement becomes, AWS's messages for the refused ones, and a
//! property test that no input panics.

use super::*;
use crate::expr::{SetOperand, SetValue};
use crate::value::Number;
use proptest::prelude::*;

fn s(x: &str) -> AttrValue {
    AttrValue::S(x.into())
}

fn n(x: &str) -> AttrValue {
    AttrValue::N(Number::parse(x).unwrap())
}

fn path(p: &str) -> Operand {
    Operand::Path(Path::attr(p))
}

fn fails(src: &str, params: &[AttrValue]) -> String {
    parse(src, params).unwrap_err().0
}

#[test]
fn partiql_select_star_with_key_and_filter() {
    let st = parse(
        "select * from \"T\" where pk = 'a' AND n > ? ORDER BY sk DESC;",
        &[n("2")],
    )
    .unwrap();
    let Statement::Select {
        source,
        projection,
        filter,
        descending,
    } = st
    else {
        panic!("not a select")
    };
    assert_eq!(
        source,
        Source {
            table: "T".into(),
            index: None
        }
    );
    assert_eq!(projection, Projection::All);
    assert!(descending);
    let f = filter.unwrap();
    assert_eq!(equality_on(&f, "pk"), Some(&s("a")));
    assert_eq!(partitions(&f, "pk"), Some(vec![s("a")]));
    assert_eq!(partitions(&f, "n"), None);
}

#[test]
fn partiql_select_paths_and_index() {
    let st = parse(
        "SELECT a, m.nested, l[1] FROM t.\"by_g\" WHERE g IN ['x', 'y']",
        &[],
    )
    .unwrap();
    let Statement::Select {
        source,
        projection,
        filter,
        ..
    } = st
    else {
        panic!("not a select")
    };
    assert_eq!(source.index.as_deref(), Some("by_g"));
    let Projection::Paths(p) = projection else {
        panic!()
    };
    assert_eq!(
        p.iter().map(result_name).collect::<Vec<_>>(),
        vec!["a", "nested", "l"]
    );
    assert_eq!(
        partitions(&filter.unwrap(), "g"),
        Some(vec![s("x"), s("y")])
    );
}

#[test]
fn partiql_or_of_key_equalities_limits_partitions() {
    let st = parse("SELECT * FROM t WHERE pk = 1 OR pk = 2", &[]).unwrap();
    let Statement::Select { filter, .. } = st else {
        panic!()
    };
    assert_eq!(
        partitions(&filter.unwrap(), "pk"),
        Some(vec![n("1"), n("2")])
    );
    let st = parse("SELECT * FROM t WHERE pk = 1 OR x = 2", &[]).unwrap();
    let Statement::Select { filter, .. } = st else {
        panic!()
    };
    assert_eq!(partitions(&filter.unwrap(), "pk"), None);
}

#[test]
fn partiql_insert_literals_of_every_type() {
    let st = parse(
        "INSERT INTO \"t\" VALUE {'pk': 'a', 'n': -1.50, 'b': TRUE, 'z': NULL, 'm': {'x': [1, 'y']}, 'ss': <<'a', 'b', 'a'>>, 'ns': <<1, 2>>, 'p': ?}",
        &[AttrValue::B(vec![1])],
    )
    .unwrap();
    let Statement::Insert { table, item } = st else {
        panic!()
    };
    assert_eq!(table, "t");
    assert_eq!(item["pk"], s("a"));
    assert_eq!(item["n"], n("-1.5"));
    assert_eq!(item["b"], AttrValue::Bool(true));
    assert_eq!(item["z"], AttrValue::Null);
    assert_eq!(
        item["m"],
        AttrValue::M([("x".to_string(), AttrValue::L(vec![n("1"), s("y")]))].into())
    );
    assert_eq!(item["ss"], AttrValue::Ss(vec!["a".into(), "b".into()]));
    assert_eq!(
        item["ns"],
        AttrValue::Ns(vec![
            Number::parse("1").unwrap(),
            Number::parse("2").unwrap()
        ])
    );
    assert_eq!(item["p"], AttrValue::B(vec![1]));
}

#[test]
fn partiql_update_actions_and_returning() {
    let st = parse(
        "UPDATE t SET n = n + 4 SET s = 'new', l = list_append(l, [1]) REMOVE old SET ss = set_add(ss, <<'x'>>) WHERE pk = 'u' RETURNING MODIFIED NEW *",
        &[],
    )
    .unwrap();
    let Statement::Update {
        table,
        actions,
        filter,
        returning,
    } = st
    else {
        panic!()
    };
    assert_eq!(table, "t");
    assert_eq!(returning, Some(Returning::ModifiedNew));
    assert_eq!(actions.len(), 5);
    assert_eq!(
        actions[0],
        UpdateAction::Set(
            Path::attr("n"),
            SetValue::Plus(SetOperand::Path(Path::attr("n")), SetOperand::Value(n("4")))
        )
    );
    assert_eq!(actions[3], UpdateAction::Remove(Path::attr("old")));
    assert_eq!(
        actions[4],
        UpdateAction::Add(Path::attr("ss"), AttrValue::Ss(vec!["x".into()]))
    );
    assert_eq!(equality_on(&filter.unwrap(), "pk"), Some(&s("u")));
    // The legacy spelling some clients send.
    let st = parse("UPDATE t SET a = 1 WHERE pk = 'u' RETURNING ALL_NEW *", &[]).unwrap();
    assert!(matches!(
        st,
        Statement::Update {
            returning: Some(Returning::AllNew),
            ..
        }
    ));
}

#[test]
fn partiql_from_first_update_form() {
    let st = parse("FROM \"t\" WHERE pk = 'x' SET c = 1", &[]).unwrap();
    assert!(matches!(
        st,
        Statement::Update {
            filter: Some(_),
            ..
        }
    ));
}

#[test]
fn partiql_conditions() {
    let st = parse(
        "SELECT * FROM t WHERE NOT (a BETWEEN 1 AND 5) AND b IS MISSING AND c IS NOT MISSING AND begins_with(\"sk\", 'p') AND contains(l, 3) AND size(s) >= 2 AND attribute_type(x, 'S') AND y <> 'q' AND z IS NOT NULL",
        &[],
    )
    .unwrap();
    let Statement::Select {
        filter: Some(f), ..
    } = st
    else {
        panic!()
    };
    let c = conjuncts(&f);
    assert_eq!(c.len(), 9);
    assert!(matches!(c[0], Condition::Not(_)));
    assert_eq!(*c[1], Condition::NotExists(Path::attr("b")));
    assert_eq!(*c[2], Condition::Exists(Path::attr("c")));
    assert_eq!(
        *c[3],
        Condition::BeginsWith(path("sk"), Operand::Value(s("p")))
    );
    assert!(matches!(
        c[5],
        Condition::Cmp(CmpOp::Ge, Operand::Size(_), _)
    ));
    let mut attrs = Vec::new();
    condition_attrs(&f, &mut attrs);
    assert_eq!(attrs, vec!["a", "b", "c", "sk", "l", "s", "x", "y", "z"]);
}

#[test]
fn partiql_aws_messages_for_malformed_statements() {
    let nwf = NOT_WELL_FORMED;
    let cases: &[(&str, String)] = &[
        ("SELEKT * FROM t", format!("{nwf}Expected data manipulation")),
        ("", format!("{nwf}Expected data manipulation")),
        ("SELECT * FROM t WHERE pk = 1 foo", format!("{nwf}Unexpected token after expression")),
        ("SELECT * FROM t WHERE pk = 1)", format!("{nwf}Unexpected token after expression")),
        ("DELETE FROM t WHERE pk = 1 ORDER BY pk", format!("{nwf}Unexpected token after expression")),
        ("INSERT INTO t x VALUE {'pk': 1}", format!("{nwf}Unexpected token after expression")),
        ("SELECT * FROM t WHERE", format!("{nwf}Unexpected term")),
        ("SELECT * FROM t WHERE;", format!("{nwf}Unexpected term")),
        ("SELECT * FROM t WHERE NOT", format!("{nwf}Unexpected term")),
        ("SELECT * FROM t WHERE (", format!("{nwf}Unexpected term")),
        ("SELECT * FROM", format!("{nwf}Unexpected term")),
        ("SELECT * FROM t WHERE pk = 'a' AND", format!("{nwf}Missing right-hand side expression of infix operator")),
        ("SELECT * FROM t WHERE pk = 'a' OR", format!("{nwf}Missing right-hand side expression of infix operator")),
        ("SELECT * FROM t WHERE ORDER BY pk", format!("{nwf}Unexpected keyword")),
        ("SELECT * FROM t WHERE IS NULL", format!("{nwf}Unexpected operator")),
        ("SELECT * FROM t WHERE pk = LIKE", format!("{nwf}Unexpected operator")),
        ("SELECT * FROM t WHERE pk = 'a' AND x IS FOO", format!("{nwf}Expected type name")),
        ("DELETE FROM", format!("{nwf}Expected identifier for simple path")),
        ("DELETE FROM;", format!("{nwf}Expected identifier for simple path")),
        ("DELETE FROM WHERE pk = 'a'", format!("{nwf}Expected identifier for simple path")),
        ("SELECT * FROM t WHERE pk = 1 # note", nwf.to_string()),
        ("SELECT * FROM \"t", nwf.to_string()),
        ("SELECT * FROM t WHERE pk = 1e2147483648", nwf.to_string()),
        ("SELECT * FROM t x WHERE pk = 'x'", "Aliasing is not supported".into()),
        ("SELECT * FROM t AS x WHERE pk = 'x'", "Aliasing is not supported".into()),
        ("UPDATE t x SET a = 3 WHERE pk = 'x'", "Aliasing is not supported".into()),
        ("DELETE FROM t x WHERE pk = 'x'", "Aliasing is not supported".into()),
        ("SELECT * FROM t.i.j WHERE pk = 'p'", "A path may contain at most 2 components in the FROM clause".into()),
        ("SELECT * FROM t.\"\" WHERE pk = 'p'", "Path component cannot be an empty string".into()),
        ("SELECT * FROM \"\" WHERE pk = 'p'", "Path component cannot be an empty string".into()),
        ("SELECT *, a FROM t", "Other attributes should not be present in the projection when '*' is used.".into()),
        ("SELECT * FROM t WHERE pk = 1e126", format!("{} under root", crate::value::number::OVERFLOW)),
        ("SELECT * FROM t WHERE pk = 1e-131", format!("{} under root", crate::value::number::UNDERFLOW)),
        ("INSERT INTO t VALUE {'pk': 1, 'm': {'x': 1e126}}", format!("{} under root.x", crate::value::number::OVERFLOW)),
        ("INSERT INTO t VALUE {'pk': 1, 'l': [1, 1e126]}", format!("{} under root[1]", crate::value::number::OVERFLOW)),
        ("INSERT INTO t VALUE {'pk': 1, 'pk': 2}", "Duplicate keys in tuple. Key: pk under root".into()),
        ("INSERT INTO t VALUE {'pk': 1} RETURNING ALL OLD *", "RETURNING is not supported in INSERT".into()),
        ("INSERT INTO t VALUE <<1>>", "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.".into()),
        ("INSERT INTO t VALUE {'s': <<>>}", "Empty bags are not supported".into()),
        ("INSERT INTO t VALUE {'s': <<1, 'a'>>}", "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags".into()),
        ("UPDATE t SET a = 1 WHERE pk = 'x' RETURNING ALL OLD", "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause".into()),
        ("UPDATE t SET a = set_add(b, <<1>>) WHERE pk = 'x'", "The first argument to SET_ADD must equal the assignment value".into()),
        ("UPDATE t SET a = set_delete(a, 1) WHERE pk = 'x'", "The second argument to SET_DELETE must be a value with type SET".into()),
        ("SELECT * FROM t WHERE a = MISSING", "MISSING must be compared using IS operator".into()),
        ("SELECT * FROM t WHERE pk = 'x' AND val < TRUE", "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL".into()),
        ("SELECT * FROM t WHERE foo(a)", "Unrecognized function: foo".into()),
    ];
    for (src, msg) in cases {
        assert_eq!(&fails(src, &[]), msg, "{src}");
    }
}

#[test]
fn partiql_parameters_bind_in_order_and_must_match() {
    let st = parse("SELECT * FROM t WHERE pk = ? AND sk = ?", &[s("a"), n("1")]).unwrap();
    let Statement::Select {
        filter: Some(f), ..
    } = st
    else {
        panic!()
    };
    assert_eq!(equality_on(&f, "pk"), Some(&s("a")));
    assert_eq!(equality_on(&f, "sk"), Some(&n("1")));
    assert_eq!(fails("SELECT * FROM t WHERE pk = ?", &[]), PARAM_COUNT);
    assert_eq!(
        fails("SELECT * FROM t WHERE pk = ?", &[s("a"), s("b")]),
        PARAM_COUNT
    );
    // A ? inside a string is text.
    assert!(parse("SELECT * FROM t WHERE pk = '?'", &[]).is_ok());
}

#[test]
fn partiql_depth_is_bounded() {
    let deep = format!(
        "SELECT * FROM t WHERE {}a = 1{}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert!(fails(&deep, &[]).starts_with(NOT_WELL_FORMED));
    let nots = format!("SELECT * FROM t WHERE {}a = 1", "NOT ".repeat(5000));
    assert!(fails(&nots, &[]).starts_with(NOT_WELL_FORMED));
    let lists = format!(
        "INSERT INTO t VALUE {{'a': {}1{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert_eq!(fails(&lists, &[]), crate::value::rules::NESTING);
}

proptest! {
    #[test]
    fn partiql_never_panics(src in "\\PC{0,200}") {
        let _ = parse(&src, &[s("p")]);
    }

    #[test]
    fn partiql_never_panics_on_statement_like_input(
        parts in proptest::collection::vec(prop_oneof![
            Just("SELECT"), Just("*"), Just("FROM"), Just("\"t\""), Just("WHERE"), Just("pk"),
            Just("="), Just("'a'"), Just("AND"), Just("OR"), Just("NOT"), Just("("), Just(")"),
            Just("["), Just("]"), Just("{"), Just("}"), Just("<<"), Just(">>"), Just(","),
            Just("?"), Just("1e5"), Just("IN"), Just("BETWEEN"), Just("IS"), Just("MISSING"),
            Just("UPDATE"), Just("SET"), Just("REMOVE"), Just("DELETE"), Just("INSERT"),
            Just("INTO"), Just("VALUE"), Just("RETURNING"), Just("ALL"), Just("NEW"), Just(":"),
            Just("size("), Just("begins_with("), Just("."), Just("+"), Just("-"),
        ], 0..40)
    ) {
        let src = parts.join(" ");
        let _ = parse(&src, &[s("p"), n("1")]);
    }
}
