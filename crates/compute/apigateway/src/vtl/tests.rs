use super::*;
use proptest::prelude::*;
use serde_json::json;

struct Req {
    body: Vec<u8>,
    params: RequestParams,
    context: serde_json::Value,
    stage: BTreeMap<String, String>,
}

impl Req {
    fn new(body: &str) -> Self {
        let mut params = RequestParams::default();
        params.path.insert("petId".into(), "7".into());
        params.querystring.insert("type".into(), "dog".into());
        params.querystring.insert("petId".into(), "shadowed".into());
        params.header.insert("X-Trace".into(), "abc\"def".into());
        Self {
            body: body.as_bytes().to_vec(),
            params,
            context: json!({
                "requestId": "req-1", "httpMethod": "POST", "resourcePath": "/pets/{petId}",
                "stage": "prod", "identity": {"sourceIp": "192.0.2.1"},
                "authorizer": {"principalId": "user-1", "claims": {"email": "a@b.c"}}
            }),
            stage: BTreeMap::from([("table".to_string(), "Pets".to_string())]),
        }
    }

    fn ctx(&self) -> VtlContext<'_> {
        VtlContext {
            body: &self.body,
            params: &self.params,
            context: &self.context,
            stage_variables: &self.stage,
        }
    }

    fn render(&self, t: &str) -> String {
        render(t, &self.ctx())
            .unwrap_or_else(|e| panic!("{t}: {e}"))
            .body
    }
}

fn r(body: &str, t: &str) -> String {
    Req::new(body).render(t)
}

#[test]
fn vtl_table() {
    let pet = r#"{"name":"Rex","price":25.5,"tags":["a","b"],"owner":{"id":3},"n":7}"#;
    let cases: &[(&str, &str)] = &[
        ("plain text", "plain text"),
        ("$input.path('$.name')", "Rex"),
        ("$input.json('$.name')", "\"Rex\""),
        ("$input.json('$.owner')", r#"{"id":3}"#),
        ("$input.json('$.tags[1]')", "\"b\""),
        ("$input.path('$.tags').size()", "2"),
        ("$input.path('$.owner').id", "3"),
        ("$input.path('$.price')", "25.5"),
        (
            "$input.path('$')",
            "{name=Rex, price=25.5, tags=[a, b], owner={id=3}, n=7}",
        ),
        ("${input.path('$.name')}s", "Rexs"),
        ("$input.params('petId')", "7"),
        ("$input.params('type')", "dog"),
        ("$input.params('x-trace')", "abc\"def"),
        ("$input.params().querystring.type", "dog"),
        ("$input.params().header.get('X-Trace')", "abc\"def"),
        (
            "$util.escapeJavaScript($input.params('X-Trace'))",
            "abc\\\"def",
        ),
        (
            "$context.requestId $context.identity.sourceIp",
            "req-1 192.0.2.1",
        ),
        ("$context.authorizer.claims.email", "a@b.c"),
        ("$stageVariables.table", "Pets"),
        ("[$missing] [$!missing] [$context.nope.deeper]", "[] [] []"),
        ("#set($x = 1 + 2 * 3)$x", "7"),
        ("#set($x = (1 + 2) * 3)$x", "9"),
        (
            "#set($x = 7 / 2)$x #set($y = 7 % 3)$y #set($z = 7.0 / 2)$z",
            "3 1 3.5",
        ),
        ("#set($x = 1 / 0)[$x]", "[]"),
        (
            "#set($x = 'hi ' + $input.path('$.name') + 1)$x",
            "hi Rex1",
        ),
        ("#set($x = 1 + '2')$x", "12"),
        ("#set($x = 'a' + $nope)[$x]", "[]"),
        ("#set($x = -$input.path('$.n'))$x", "-7"),
        ("#if($input.path('$.n') > 5)big#else small#end", "big"),
        ("#if($x)a#elseif(1 == 1.0)b#else c#end", "b"),
        ("#if(!$x && 'a' != \"b\" || false)yes#end", "yes"),
        ("#if(2 ge 2 and not false)ok#end", "ok"),
        (
            "#foreach($i in [1..4])$i#if($foreach.hasNext),#end#end",
            "1,2,3,4",
        ),
        ("#foreach($i in [3..1])$i#end", "321"),
        (
            "#foreach($t in $input.path('$.tags'))$foreach.index:$velocityCount:$t #end",
            "0:1:a 1:2:b ",
        ),
        ("#foreach($i in [1..9])#if($i == 3)#break#end$i#end", "12"),
        ("a#stop b", "a"),
        (
            "#set($m = {\"a\": 1, 'b': [true]})$m $m.a $m.b.get(0) $m.keySet()",
            "{a=1, b=[true]} 1 true [a, b]",
        ),
        (
            "#set($m = {})#set($m.k = 'v')#set($_ = $m.put('j', 2))$m",
            "{k=v, j=2}",
        ),
        (
            "#set($l = [])#set($_ = $l.add('x'))#set($_ = $l.add(1))$l $l.size() $l.isEmpty() $l.empty",
            "[x, 1] 2 false false",
        ),
        (
            "#set($s = \"Hello $input.path('$.name')!\")$s.length() $s.toUpperCase()",
            "10 HELLO REX!",
        ),
        ("#set($s = 'no $interp')$s", "no $interp"),
        (
            "$input.path('$.name').substring(1) $input.path('$.name').indexOf('x') $input.path('$.name').replace('R', 'T')",
            "ex 2 Tex",
        ),
        (
            "#set($p = 'a,b,,c,,')$p.split(',') $p.split(',').size()",
            "[a, b, , c] 4",
        ),
        (
            "'$input.path('$.name').replaceAll('[aeiou]', '_')'",
            "'R_x'",
        ),
        (
            "$input.path('$.name').startsWith('R') $input.path('$.name').equals('Rex') $input.path('$.name').contains('z')",
            "true true false",
        ),
        (
            "  #set($a = 1)\n  #if($a)\n  yes\n  #end\nafter",
            "  yes\nafter",
        ),
        ("a ## comment\nb #* block\ncomment *#c", "a b c"),
        ("#[[$not #if parsed]]#", "$not #if parsed"),
        ("\\$input.body \\#if", "$input.body #if"),
        ("\\\\$stageVariables.table", "\\Pets"),
        (
            "price: $5.00, #hashtag, email@x.y, 100%",
            "price: $5.00, #hashtag, email@x.y, 100%",
        ),
        (
            "$util.urlEncode('a b&c=d/é') $util.urlDecode('a+b%26c')",
            "a+b%26c%3Dd%2F%C3%A9 a b&c",
        ),
        (
            "$util.base64Encode('hello') $util.base64Decode('aGVsbG8=')",
            "aGVsbG8= hello",
        ),
        (
            "#set($j = $util.parseJson('{\"a\":[1,2]}'))$j.a.get(1)",
            "2",
        ),
        (
            "$util.escapeJavaScript(\"it's / \\\"q\\\"\n\")",
            "it\\'s \\/ \\\"q\\\"\\n",
        ),
        ("#set($l = [1, 2])$l[0]$l[1] [$l[5]] $l[1][0]", "12 [] "),
        ("#{if}(true)x#{else}y#{end}z", "xz"),
    ];
    for (template, expected) in cases {
        assert_eq!(r(pet, template), *expected, "template: {template}");
    }
}

/// The AWS developer guide's example that passes every parameter through as JSON.
#[test]
fn vtl_aws_all_params_example() {
    let t = r#"#set($allParams = $input.params())
{
"params" : {
#foreach($type in $allParams.keySet())
    #set($params = $allParams.get($type))
"$type" : {
    #foreach($paramName in $params.keySet())
    "$paramName" : "$util.escapeJavaScript($params.get($paramName))"
        #if($foreach.hasNext),#end
    #end
}
    #if($foreach.hasNext),#end
#end
}
}"#;
    let out = r("", t);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        v,
        json!({"params": {
            "path": {"petId": "7"},
            "querystring": {"petId": "shadowed", "type": "dog"},
            "header": {"X-Trace": "abc\"def"}
        }})
    );
}

/// The developer guide's "photos" example: reshaping an array with #foreach.
#[test]
fn vtl_aws_photos_example() {
    let body = r#"{"photos":{"page":1,"pages":"1234","perpage":100,"total":"222","photo":[
        {"id":"12345678901","owner":"23456789@A12","title":"Example","ispublic":true},
        {"id":"23456789012","owner":"34567890@B23","title":"Example 2","ispublic":false}]}}"#;
    let t = r#"#set($inputRoot = $input.path('$'))
{
  "photos": [
#foreach($elem in $inputRoot.photos.photo)
    {
      "id": "$elem.id",
      "title": "$elem.title",
      "ispublic": $elem.ispublic
    }#if($foreach.hasNext),#end
#end
  ]
}"#;
    let out = r(body, t);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        v,
        json!({"photos": [
            {"id": "12345678901", "title": "Example", "ispublic": true},
            {"id": "23456789012", "title": "Example 2", "ispublic": false}
        ]})
    );
}

#[test]
fn vtl_passthrough_of_empty_and_invalid_bodies() {
    assert_eq!(r("", "$input.json('$')"), "{}");
    assert_eq!(r("not json", "$input.json('$')"), "not json");
    assert_eq!(r("not json", "[$input.path('$.a')]"), "[]");
    assert_eq!(r("not json", "$input.body"), "not json");
}

#[test]
fn vtl_overrides() {
    let req = Req::new("{}");
    let t = "#set($context.responseOverride.status = 418)\
             #set($context.responseOverride.header.X-Custom = 'v')\
             #set($context.requestOverride.header.x-amz-target = 'DynamoDB.PutItem')\
             #set($context.requestOverride.querystring.q = $input.params('type'))\
             #set($context.requestOverride.path.petId = 9)done";
    let out = render(t, &req.ctx()).unwrap();
    assert_eq!(out.body, "done");
    assert_eq!(out.overrides.response_status, Some(418));
    assert_eq!(out.overrides.response_header["X-Custom"], "v");
    assert_eq!(
        out.overrides.request_header["x-amz-target"],
        "DynamoDB.PutItem"
    );
    assert_eq!(out.overrides.request_querystring["q"], "dog");
    assert_eq!(out.overrides.request_path["petId"], "9");
    // out of range statuses are ignored
    let out = render("#set($context.responseOverride.status = 99)", &req.ctx()).unwrap();
    assert_eq!(out.overrides.response_status, None);
}

#[test]
fn vtl_errors_and_limits() {
    let req = Req::new("{}");
    let ctx = req.ctx();
    for bad in [
        "#if(true)x",
        "#end",
        "#foreach($i [1])x#end",
        "#set($x 1)",
        "#set($x = )",
        "#if(1)#else#else#end",
        "#* open",
    ] {
        assert!(
            matches!(render(bad, &ctx), Err(VtlError::Parse { .. })),
            "{bad}"
        );
    }
    match render("a\n #if(", &ctx) {
        Err(VtlError::Parse { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
    // #foreach stops after 1000 iterations, as AWS
    // `+` on strings doubling in a loop stays within the output limit
    let out = render(
        "#set($s = 'xx')#foreach($i in [1..100])#set($s = $s + $s)#end$s.length()",
        &ctx,
    )
    .unwrap();
    assert!(out.body.len() < 20, "{}", out.body);
    let out = render("#foreach($i in [1..5000])x#end", &ctx).unwrap();
    assert_eq!(out.body.len(), 1000);
    // nesting
    let deep = "#if(true)".repeat(200) + &"#end".repeat(200);
    assert!(matches!(render(&deep, &ctx), Err(VtlError::Limit(_))));
    let deep = format!("#set($x = {}1{})", "(".repeat(500), ")".repeat(500));
    assert!(matches!(render(&deep, &ctx), Err(VtlError::Limit(_))));
    // total work: loops in loops
    let t =
        "#foreach($a in [1..1000])#foreach($b in [1..1000])#foreach($c in [1..1000])#end#end#end";
    let small = Limits {
        max_steps: 100_000,
        ..Limits::default()
    };
    assert!(matches!(
        render_with(t, &ctx, &small),
        Err(VtlError::Limit(_))
    ));
    // output doubling
    let t = "#set($s = 'xxxxxxxxxxxxxxxx')#foreach($i in [1..40])#set($s = \"$s$s\")#end$s";
    assert!(matches!(render(t, &ctx), Err(VtlError::Limit(_))));
    let t = "#set($l = [1])#foreach($i in [1..64])#set($_ = $l.addAll($l))#end";
    assert!(matches!(render(t, &ctx), Err(VtlError::Limit(_))));
    // huge ranges are refused before they are built
    assert!(matches!(
        render("#set($r = [0..9000000000])", &ctx),
        Err(VtlError::Limit(_))
    ));
    // template size
    let big = "x".repeat(Limits::default().max_template + 1);
    assert!(matches!(render(&big, &ctx), Err(VtlError::Limit(_))));
}

#[test]
fn vtl_deep_structures_drop_without_recursion() {
    let req = Req::new("{}");
    let t = "#set($a = [])#foreach($i in [1..1000])#foreach($j in [1..200])#set($a = [$a])#end#end$a.size()";
    let out = render(t, &req.ctx()).unwrap();
    assert_eq!(out.body, "1");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn vtl_never_panics_on_any_text(t in ".{0,200}") {
        let req = Req::new(r#"{"a":[1,{"b":"c"}]}"#);
        let _ = render(&t, &req.ctx());
    }

    #[test]
    fn vtl_never_panics_on_template_like_text(parts in proptest::collection::vec(prop_oneof![
        Just("#set($x = "), Just("#if("), Just("#elseif("), Just("#else"), Just("#end"),
        Just("#foreach($i in "), Just("#break"), Just("#stop"), Just("$x"), Just("$!x"),
        Just("${x}"), Just("$input.path('$.a')"), Just("$input.json('$.a[1]')"),
        Just("$x.add($x)"), Just("$x.put('k', $x)"), Just("[1..3]"), Just("{'a': 1}"),
        Just(")"), Just("("), Just("\""), Just("'"), Just(" + "), Just(" == "), Just(" && "),
        Just("!"), Just("-"), Just("1"), Just("2.5"), Just("\n"), Just("##"), Just("#*"),
        Just("*#"), Just("\\"), Just("$util.escapeJavaScript("), Just(","), Just("]"), Just("["),
    ], 0..40)) {
        let t: String = parts.concat();
        let req = Req::new(r#"{"a":[1,{"b":"c"}]}"#);
        let _ = render(&t, &req.ctx());
    }

    #[test]
    fn vtl_text_without_specials_is_verbatim(t in "[^$#\\\\]{0,200}") {
        prop_assert_eq!(r("{}", &t), t);
    }
}
