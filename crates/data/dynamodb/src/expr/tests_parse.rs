//! Parse errors as a user sees them (AWS's messages), and parse results.

use super::*;
use crate::value::Number;
use proptest::prelude::*;
use serde_json::json;

fn ctx() -> Context {
    Context::new(
        Some(&json!({"#a": "a", "#d": "[3]", "#c": "c"})),
        Some(&json!({":s": {"S": "x"}, ":n": {"N": "1"}, ":n2": {"N": "2"}, ":b": {"B": "YQ=="},
            ":l": {"L": []}, ":bool": {"BOOL": true}, ":ss": {"SS": ["a"]}, ":m": {"M": {}}, ":t": {"S": "NS"}})),
    )
    .expect("valid context")
}

fn err_of(r: Result<impl std::fmt::Debug>) -> String {
    match r {
        Err(DdbError::Validation(m)) => m,
        other => panic!("expected a ValidationException, got {other:?}"),
    }
}

fn filter_err(src: &str) -> String {
    err_of(ctx().filter(src))
}

fn update_err(src: &str) -> String {
    err_of(ctx().update(src))
}

#[test]
fn expr_parse_empty_and_too_long() {
    assert_eq!(
        err_of(ctx().condition("")),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
    assert_eq!(
        err_of(ctx().update("  ")),
        "Invalid UpdateExpression: The expression can not be empty;"
    );
    assert_eq!(
        err_of(ctx().projection("")),
        "Invalid ProjectionExpression: The expression can not be empty;"
    );
    let long = format!("a = :n{}", " ".repeat(4100));
    assert_eq!(
        err_of(ctx().key_condition(&long)),
        "Invalid KeyConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4106"
    );
}

#[test]
fn expr_parse_syntax_errors_quote_token_and_context() {
    let cases = [
        (
            "things are not gonna be ok",
            "\"are\", near: \"things are not\"",
        ),
        ("a > 4", "\"4\", near: \"> 4\""),
        ("a = ", "\"<EOF>\", near: \"= \""),
        ("attribute_exists(\"x\")", "\"\"\", near: \"(\"x\""),
        ("a in b", "\"b\", near: \"in b\""),
        ("a in (b,c,)", "\")\", near: \",)\""),
        ("ü > a", "\"ü\", near: \"ü >\""),
        ("size(a).b > a", "\".\", near: \").b\""),
        ("b[:n] > a", "\":n\", near: \"[:n]\""),
        ("a > between", "\"between\", near: \"> between\""),
        ("a AND b = :n", "\"AND\", near: \"a AND b\""),
    ];
    for (src, tail) in cases {
        assert_eq!(
            filter_err(src),
            format!("Invalid FilterExpression: Syntax error; token: {tail}"),
            "{src}"
        );
    }
    assert_eq!(
        update_err("ADD hits : incr"),
        "Invalid UpdateExpression: Syntax error; token: \":\", near: \"hits : incr\""
    );
    assert_eq!(
        update_err("INVALID SYNTAX HERE"),
        "Invalid UpdateExpression: Syntax error; token: \"INVALID\", near: \"INVALID SYNTAX\""
    );
    for src in [
        "set a",
        "set a = b + c + d",
        "set a = b / c",
        "set a[1] = 1",
        "remove a = b",
        "set :s = b",
        "delete a b",
    ] {
        assert!(
            update_err(src).starts_with("Invalid UpdateExpression: Syntax error; token: "),
            "{src}"
        );
    }
    assert_eq!(
        err_of(ctx().projection("a,")),
        "Invalid ProjectionExpression: Syntax error; token: \"<EOF>\", near: \",\""
    );
}

#[test]
fn expr_parse_error_categories_in_aws_order() {
    let cases = [
        (
            "a=a and a > ((views))",
            "The expression has redundant parentheses;",
        ),
        (
            "a=:n OR ((a=:n OR (a=:n OR a=:n)))",
            "The expression has redundant parentheses;",
        ),
        (
            "a=a and whatever((:s)) > a",
            "Invalid function name; function: whatever",
        ),
        (
            "attRIbute_exIsts((views), #a)",
            "Invalid function name; function: attRIbute_exIsts",
        ),
        (
            "attribute_not_exists(things) > b",
            "The function is not allowed to be used this way in an expression; function: attribute_not_exists",
        ),
        (
            "size(things)",
            "The function is not allowed to be used this way in an expression; function: size",
        ),
        (
            "size(contains(a, b)) > a",
            "The function is not allowed to be used this way in an expression; function: contains",
        ),
        (
            "a between b and attribute_exists(things)",
            "The function is not allowed to be used this way in an expression; function: attribute_exists",
        ),
        (
            "attribute_exists(views, #zz)",
            "Attribute name is a reserved keyword; reserved keyword: views",
        ),
        (
            ":nope < abOrT",
            "Attribute name is a reserved keyword; reserved keyword: abOrT",
        ),
        (
            "begins_with(Pictures.#RearView)",
            "An expression attribute name used in the document path is not defined; attribute name: #RearView",
        ),
        (
            "begins_with(:hello, #x, #y)",
            "An expression attribute value used in expression is not defined; attribute value: :hello",
        ),
        (
            "attribute_type(things)",
            "Incorrect number of operands for operator or function; operator or function: attribute_type, number of operands: 1",
        ),
        (
            "begins_with(a, :n)",
            "Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
        ),
        (
            "size(:bool) > a",
            "Incorrect operand type for operator or function; operator or function: size, operand type: BOOL",
        ),
        (
            "a < :l",
            "Incorrect operand type for operator or function; operator or function: <, operand type: L",
        ),
        (
            "attribute_type(a, :s)",
            "Invalid attribute type name found; type: x, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}",
        ),
        (
            "attribute_exists(:s) and a=:n",
            "Operator or function requires a document path; operator or function: attribute_exists",
        ),
        (
            "attribute_not_exists(size(:s))",
            "Operator or function requires a document path; operator or function: attribute_not_exists",
        ),
        (
            "#a <> a",
            "The first operand must be distinct from the remaining operands for this operator or function; operator: <>, first operand: [a]",
        ),
        (
            "contains(ab.bc[1].a, ab.bc[1].#a)",
            "The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [ab, bc, [1], a]",
        ),
        (
            "a between :n2 and :n",
            "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}",
        ),
        (
            "a between :n and :s",
            "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:x}",
        ),
    ];
    for (src, msg) in cases {
        assert_eq!(
            filter_err(src),
            format!("Invalid FilterExpression: {msg}"),
            "{src}"
        );
    }
    let many = (0..101).map(|_| ":n").collect::<Vec<_>>().join(",");
    assert_eq!(
        filter_err(&format!("a IN ({many})")),
        "Invalid FilterExpression: The IN operator is provided with too many operands; number of operands: 101"
    );
    assert!(
        ctx()
            .filter(&format!(
                "a IN ({})",
                (0..100).map(|_| ":n").collect::<Vec<_>>().join(",")
            ))
            .is_ok()
    );
}

#[test]
fn expr_parse_update_errors() {
    let cases = [
        (
            " set #c = :s set abOrt = :s ",
            "Attribute name is a reserved keyword; reserved keyword: abOrt",
        ),
        (
            "set #c = if_not_exist(:s) set c = d",
            "Invalid function name; function: if_not_exist",
        ),
        (
            "remove #a set b = :s remove e",
            "The \"REMOVE\" section can only be used once in an update expression;",
        ),
        (
            "SET #zz = if_not_exists(:s)",
            "An expression attribute name used in the document path is not defined; attribute name: #zz",
        ),
        (
            "set d[1] = :s, d.b = :s, c[1].a = :s, #c = if_not_exists(a, :s)",
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [1], a], path two: [c]",
        ),
        (
            "set #c[3].#d = :s, #c[3] = :s",
            "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [c, [3], [3]], path two: [c, [3]]",
        ),
        (
            "remove a.#c set a[1] = :s",
            "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, c], path two: [a, [1]]",
        ),
        (
            "add a.b :s",
            "Incorrect operand type for operator or function; operator: ADD, operand type: STRING",
        ),
        (
            "delete a.b :n",
            "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER",
        ),
        (
            "add a.b :l",
            "Incorrect operand type for operator or function; operator: ADD, operand type: LIST",
        ),
        (
            "set a = if_not_exists(c)",
            "Incorrect number of operands for operator or function; operator or function: if_not_exists, number of operands: 1",
        ),
        (
            "set a = if_not_exists(:s, c)",
            "Operator or function requires a document path; operator or function: if_not_exists",
        ),
        (
            "set a = list_append(:s, a)",
            "Incorrect operand type for operator or function; operator or function: list_append, operand type: S",
        ),
        (
            "set a = a + :s",
            "Incorrect operand type for operator or function; operator or function: +, operand type: S",
        ),
        (
            "set a = :b - a",
            "Incorrect operand type for operator or function; operator or function: -, operand type: B",
        ),
        (
            "set a = :n + list_append(a, :l)",
            "Incorrect operand type for operator or function; operator or function: +, operand type: L",
        ),
    ];
    for (src, msg) in cases {
        assert_eq!(
            update_err(src),
            format!("Invalid UpdateExpression: {msg}"),
            "{src}"
        );
    }
    assert_eq!(
        err_of(ctx().projection("a.b, a")),
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"
    );
}

#[test]
fn expr_parse_results() {
    let mut c = ctx();
    let u = c.update("SET a.b[2] = :n + x, #c = list_append(if_not_exists(l, :l), :l) REMOVE r[1] ADD n :n DELETE s :ss").expect("parses");
    assert_eq!(u.actions.len(), 5);
    assert_eq!(u.actions[0].path().to_string(), "[a, b, [2]]");
    let paths = c.projection("#a.b[10], c").expect("parses");
    assert_eq!(
        paths[0].0,
        vec![
            PathElem::Name("a".into()),
            PathElem::Name("b".into()),
            PathElem::Index(10)
        ]
    );
    // NOT binds tighter than AND, AND tighter than OR.
    let cond = c
        .condition("NOT a = :n AND b = :n OR c = :n")
        .expect("parses");
    let Condition::Or(l, _) = cond else {
        panic!("OR at the top: {cond:?}")
    };
    let Condition::And(n, _) = *l else {
        panic!("AND under OR")
    };
    assert!(matches!(*n, Condition::Not(_)));
    // Keywords are case-insensitive, function names are not.
    assert!(
        c.condition("a between :n and :n2 and b in (:n, :s) or not attribute_exists(c)")
            .is_ok()
    );
}

#[test]
fn expr_unused_and_undefined_across_expressions() {
    let mut c = Context::new(
        Some(&json!({"#a": "a", "#b": "b"})),
        Some(&json!({":a": {"S": "a"}, ":b": {"S": "b"}, ":c": {"S": "c"}})),
    )
    .expect("valid");
    c.update("remove #a").expect("parses");
    c.condition("a = :b").expect("parses");
    assert_eq!(
        err_of(c.check_unused()),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#b}"
    );
    c.condition("#b = :c").expect("parses");
    assert_eq!(
        err_of(c.check_unused()),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:a}"
    );
    c.filter("b = :a").expect("parses");
    assert!(c.check_unused().is_ok());
}

#[test]
fn expr_context_checks() {
    let e = |n: Option<serde_json::Value>, v: Option<serde_json::Value>| {
        err_of(Context::new(n.as_ref(), v.as_ref()))
    };
    assert_eq!(
        e(Some(json!({})), None),
        "ExpressionAttributeNames must not be empty"
    );
    assert_eq!(
        e(None, Some(json!({}))),
        "ExpressionAttributeValues must not be empty"
    );
    assert_eq!(
        e(Some(json!({"a": "a"})), None),
        "ExpressionAttributeNames contains invalid key: Syntax error; key: \"a\""
    );
    assert_eq!(
        e(None, Some(json!({"b": {"S": "a"}}))),
        "ExpressionAttributeValues contains invalid key: Syntax error; key: \"b\""
    );
    assert_eq!(
        e(None, Some(json!({":b": {"SS": []}}))),
        "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :b"
    );
}

#[test]
fn expr_request_param_rules() {
    let r = check_request_params(
        &json!({"Expected": {}, "UpdateExpression": "", "AttributeUpdates": {}, "ConditionExpression": "x"}),
        &["UpdateExpression", "ConditionExpression"],
    );
    assert_eq!(
        err_of(r),
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates, Expected} Expression parameters: {UpdateExpression, ConditionExpression}"
    );
    let r = check_request_params(
        &json!({"ExpressionAttributeValues": {":a": {"S": "x"}}, "ProjectionExpression": "a"}),
        &["FilterExpression", "KeyConditionExpression"],
    );
    assert_eq!(
        err_of(r),
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null"
    );
    let r = check_request_params(
        &json!({"ExpressionAttributeNames": {"#a": "a"}}),
        &["ConditionExpression"],
    );
    assert_eq!(
        err_of(r),
        "ExpressionAttributeNames can only be specified when using expressions"
    );
    assert!(
        check_request_params(
            &json!({"ConditionExpression": "a = :a", "ExpressionAttributeValues": {}}),
            &["ConditionExpression"]
        )
        .is_ok()
    );
}

#[test]
fn expr_key_conditions() {
    let mut c = ctx();
    let k = c
        .key_condition(":n <= sk AND pk = :s")
        .expect("parses")
        .resolve("pk", Some("sk"))
        .expect("matches schema");
    assert_eq!(k.hash_name, "pk");
    assert_eq!(k.hash_value, crate::value::AttrValue::S("x".into()));
    assert_eq!(
        k.range,
        Some((
            "sk".into(),
            KeyOp::Cmp(
                CmpOp::Ge,
                crate::value::AttrValue::N(Number::parse("1").expect("number"))
            )
        ))
    );
    let kerr = |src: &str| err_of(ctx().key_condition(src));
    assert_eq!(
        kerr("a = :n OR b = :n"),
        "Invalid operator used in KeyConditionExpression: OR"
    );
    assert_eq!(
        kerr("attribute_exists(a)"),
        "Invalid operator used in KeyConditionExpression: attribute_exists"
    );
    assert_eq!(
        kerr("a <> :n"),
        "Invalid operator used in KeyConditionExpression: <>"
    );
    assert_eq!(
        kerr("begins_with(:s, b) and a > :n"),
        "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand"
    );
    assert_eq!(
        kerr("a > size(b.d)"),
        "KeyConditionExpressions cannot contain nested operations"
    );
    assert_eq!(
        kerr("b > a.b"),
        "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
    );
    assert_eq!(
        kerr("a.d > :n"),
        "KeyConditionExpressions cannot have conditions on nested attributes"
    );
    assert_eq!(
        kerr(":n > :n2 AND a < :n"),
        "Invalid condition in KeyConditionExpression: No key attribute specified"
    );
    assert_eq!(
        kerr("b > :n AND b < :n"),
        "KeyConditionExpressions must only contain one condition per key"
    );
    let resolve = |src: &str, range: Option<&str>| {
        err_of(
            ctx()
                .key_condition(src)
                .expect("parses")
                .resolve("pk", range),
        )
    };
    assert_eq!(
        resolve("z = :n", None),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(
        resolve("pk = :n AND b = :n", None),
        "Query key condition not supported"
    );
    assert_eq!(
        resolve("pk > :n", Some("sk")),
        "Query key condition not supported"
    );
    assert_eq!(
        resolve("pk = :n AND b = :n", Some("sk")),
        "Query condition missed key schema element: sk"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn expr_parsers_never_panic(s in "\\PC{0,80}") {
        let mut c = ctx();
        let _ = c.condition(&s);
        let _ = c.key_condition(&s);
        let _ = c.projection(&s);
        let _ = c.update(&s);
    }

    #[test]
    fn expr_parsers_never_panic_on_expression_like_input(
        parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "a", "#a", "#zz", ":n", ":s", ":l", ":zz", "(", ")", "[", "]", "0", "7", ",", ".", "=", "<>", "<", "<=",
                ">", ">=", "+", "-", "AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE", "size",
                "contains", "begins_with", "attribute_exists", "attribute_type", "if_not_exists", "list_append", "status",
            ]),
            0..40,
        )
    ) {
        let s = parts.join(" ");
        let mut c = ctx();
        let _ = c.condition(&s);
        let _ = c.key_condition(&s);
        let _ = c.projection(&s);
        if let Ok(u) = c.update(&s) {
            let mut item = crate::value::Item::new();
            let _ = apply_update(&u, &mut item);
        }
    }
}

#[test]
fn expr_deep_nesting_is_an_error_not_a_stack_overflow() {
    for n in [200, 2000, 100_000] {
        let src = format!("{}a = :n{}", "(".repeat(n), ")".repeat(n));
        let msg = filter_err(&src);
        assert!(msg.starts_with("Invalid FilterExpression: "), "{msg}");
        let src = format!("{}a = :n", "NOT ".repeat(n));
        assert!(filter_err(&src).starts_with("Invalid FilterExpression: "));
        let src = format!(
            "SET a = {}:l{}",
            "list_append(".repeat(n),
            ", :l)".repeat(n)
        );
        assert!(update_err(&src).starts_with("Invalid UpdateExpression: "));
    }
    // Within the depth bound, nesting parses.
    assert!(
        ctx()
            .filter(&format!("{}a = :n{}", "(".repeat(20), ")".repeat(20)))
            .is_err_and(|e| e.to_string().contains("redundant"))
    );
    assert!(
        ctx()
            .filter(&format!("{}a = :n", "NOT ".repeat(20)))
            .is_ok()
    );
}

#[test]
fn expr_deepest_accepted_nesting_fits_a_small_stack() {
    // The deepest input the parser accepts must parse (and evaluate) well within a 512 KB
    // stack, a quarter of a tokio worker's, even in debug builds.
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(|| {
            let d = parser::MAX_DEPTH;
            for src in [
                format!("size({}a{}) = :n", "size(".repeat(d - 2), ")".repeat(d - 2)),
                format!("{}a = :n{}", "(".repeat(d - 1), ")".repeat(d - 1)),
                format!("{}a = :n", "NOT ".repeat(d - 1)),
            ] {
                // Parsed to the end (type or parentheses errors are reported after parsing).
                match ctx().filter(&src) {
                    Ok(cond) => assert!(eval_condition(&cond, &crate::value::Item::new()).is_ok()),
                    Err(e) => assert!(!e.to_string().contains("Syntax error"), "{src}: {e}"),
                }
            }
            let src = format!(
                "SET a = {}:l{}",
                "list_append(".repeat(d - 1),
                ", :l)".repeat(d - 1)
            );
            let u = ctx().update(&src).expect("parses");
            let mut item = crate::value::Item::new();
            apply_update(&u, &mut item).expect("applies");
        })
        .expect("spawn");
    assert!(handle.join().is_ok());
}
