use super::*;
use serde_json::json;

struct Fake;

impl Resolver for Fake {
    fn physical_id(&self, id: &str) -> Option<String> {
        (id == "Queue").then(|| "https://sqs/q".to_string())
    }
    fn attribute(&self, id: &str, name: &str) -> Result<Value, String> {
        match (id, name) {
            ("Queue", "Arn") => Ok(json!("arn:aws:sqs:us-east-1:1:q")),
            ("Db", "Endpoint.Address") => Ok(json!("db.local")),
            _ => Err(format!(
                "Template error: resource {id} does not support attribute type {name} in Fn::GetAtt"
            )),
        }
    }
    fn import(&self, name: &str) -> Option<String> {
        (name == "Shared").then(|| "exported".to_string())
    }
}

fn pseudo() -> Pseudo {
    Pseudo {
        account_id: "123456789012".into(),
        region: "us-east-1".into(),
        stack_name: "app".into(),
        stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/app/x".into(),
        notification_arns: vec![],
    }
}

fn run(v: Value) -> Result<Option<Value>, String> {
    let params = json!({"Env": "prod", "List": ["a", "b"], "Idx": "1"});
    let mappings = json!({"Map": {"prod": {"Size": "large"}, "dev": {"Size": "small"}}});
    let conds = BTreeMap::from([("IsProd".to_string(), true), ("IsDev".to_string(), false)]);
    let p = pseudo();
    let ctx = Context {
        pseudo: &p,
        params: params.as_object().unwrap(),
        mappings: mappings.as_object().unwrap(),
        conditions: &conds,
        resolver: &Fake,
    };
    eval(&ctx, &v)
}

fn ok(v: Value) -> Value {
    run(v).unwrap().unwrap()
}

fn err(v: Value) -> String {
    run(v).unwrap_err()
}

#[test]
fn ref_parameters_pseudo_resources_and_no_value() {
    assert_eq!(ok(json!({"Ref": "Env"})), "prod");
    assert_eq!(ok(json!({"Ref": "List"})), json!(["a", "b"]));
    assert_eq!(ok(json!({"Ref": "Queue"})), "https://sqs/q");
    assert_eq!(ok(json!({"Ref": "AWS::AccountId"})), "123456789012");
    assert_eq!(ok(json!({"Ref": "AWS::Region"})), "us-east-1");
    assert_eq!(ok(json!({"Ref": "AWS::StackName"})), "app");
    assert!(
        ok(json!({"Ref": "AWS::StackId"}))
            .as_str()
            .unwrap()
            .contains(":stack/app/")
    );
    assert_eq!(ok(json!({"Ref": "AWS::Partition"})), "aws");
    assert_eq!(ok(json!({"Ref": "AWS::URLSuffix"})), "amazonaws.com");
    assert_eq!(ok(json!({"Ref": "AWS::NotificationARNs"})), json!([]));
    assert_eq!(run(json!({"Ref": "AWS::NoValue"})).unwrap(), None);
    // NoValue removes keys and list elements.
    assert_eq!(
        ok(json!({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}, 2]})),
        json!({"B": [1, 2]})
    );
    assert!(err(json!({"Ref": "Missing"})).contains("Unresolved resource dependencies [Missing]"));
}

#[test]
fn get_att_both_forms() {
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["Queue", "Arn"]})),
        "arn:aws:sqs:us-east-1:1:q"
    );
    assert_eq!(ok(json!({"Fn::GetAtt": "Db.Endpoint.Address"})), "db.local");
    assert_eq!(
        ok(json!({"Fn::GetAtt": ["Queue", {"Fn::Join": ["", ["A", "rn"]]}]})),
        "arn:aws:sqs:us-east-1:1:q"
    );
    assert_eq!(
        err(json!({"Fn::GetAtt": ["Queue", "Nope"]})),
        "Template error: resource Queue does not support attribute type Nope in Fn::GetAtt"
    );
    assert!(err(json!({"Fn::GetAtt": ["Queue"]})).starts_with("Template error: every Fn::GetAtt"));
}

#[test]
fn sub_string_and_list_forms() {
    assert_eq!(
        ok(json!({"Fn::Sub": "${AWS::StackName}-${Env}-${Queue}-${Queue.Arn}-${!Literal}"})),
        "app-prod-https://sqs/q-arn:aws:sqs:us-east-1:1:q-${Literal}"
    );
    assert_eq!(
        ok(json!({"Fn::Sub": ["${a}/${Env}/${List}", {"a": {"Ref": "AWS::Region"}}]})),
        "us-east-1/prod/a,b"
    );
    assert_eq!(ok(json!({"Fn::Sub": "no vars ${"})), "no vars ${");
    assert!(err(json!({"Fn::Sub": 5})).contains("Fn::Sub"));
    assert!(err(json!({"Fn::Sub": "${Missing}"})).contains("[Missing]"));
}

#[test]
fn join_select_split() {
    assert_eq!(ok(json!({"Fn::Join": ["-", ["a", 1, true]]})), "a-1-true");
    assert_eq!(ok(json!({"Fn::Join": [",", {"Ref": "List"}]})), "a,b");
    assert!(err(json!({"Fn::Join": ["-", "x"]})).contains("Fn::Join"));
    assert_eq!(ok(json!({"Fn::Select": [1, ["x", "y"]]})), "y");
    assert_eq!(ok(json!({"Fn::Select": ["0", {"Ref": "List"}]})), "a");
    assert_eq!(
        ok(json!({"Fn::Select": [{"Ref": "Idx"}, {"Ref": "List"}]})),
        "b"
    );
    assert_eq!(
        err(json!({"Fn::Select": [5, ["x"]]})),
        "Template error: Fn::Select cannot select nonexistent value at index 5"
    );
    assert_eq!(
        ok(json!({"Fn::Split": [",", "a,b,,c"]})),
        json!(["a", "b", "", "c"])
    );
    assert_eq!(
        ok(json!({"Fn::Select": [2, {"Fn::Split": ["/", {"Fn::Sub": "x/${Env}/z"}]}]})),
        "z"
    );
    assert!(err(json!({"Fn::Split": ["", "a"]})).contains("Fn::Split"));
}

#[test]
fn if_find_in_map_base64_get_azs_import_value() {
    assert_eq!(ok(json!({"Fn::If": ["IsProd", "big", "small"]})), "big");
    assert_eq!(
        ok(json!({"Fn::If": ["IsDev", "big", {"Ref": "Env"}]})),
        "prod"
    );
    assert_eq!(
        ok(json!({"K": {"Fn::If": ["IsDev", "x", {"Ref": "AWS::NoValue"}]}})),
        json!({})
    );
    assert!(err(json!({"Fn::If": ["Nope", 1, 2]})).contains("Nope"));
    assert_eq!(
        ok(json!({"Fn::FindInMap": ["Map", {"Ref": "Env"}, "Size"]})),
        "large"
    );
    assert_eq!(
        err(json!({"Fn::FindInMap": ["Map", "qa", "Size"]})),
        "Template error: Unable to get mapping for Map::qa::Size"
    );
    assert_eq!(
        ok(json!({"Fn::FindInMap": ["Map", "qa", "Size", {"DefaultValue": "tiny"}]})),
        "tiny"
    );
    assert_eq!(ok(json!({"Fn::Base64": "hello"})), "aGVsbG8=");
    assert_eq!(
        ok(json!({"Fn::GetAZs": ""})),
        json!(["us-east-1a", "us-east-1b", "us-east-1c"])
    );
    assert_eq!(
        ok(json!({"Fn::Select": [0, {"Fn::GetAZs": "eu-west-1"}]})),
        "eu-west-1a"
    );
    assert_eq!(ok(json!({"Fn::ImportValue": "Shared"})), "exported");
    assert_eq!(
        err(json!({"Fn::ImportValue": "Nope"})),
        "No export named Nope found."
    );
}

#[test]
fn cidr() {
    assert_eq!(
        ok(json!({"Fn::Cidr": ["10.0.0.0/16", 3, 8]})),
        json!(["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"])
    );
    assert_eq!(
        ok(json!({"Fn::Cidr": ["192.168.0.0/24", "2", "6"]})),
        json!(["192.168.0.0/26", "192.168.0.64/26"])
    );
    assert!(err(json!({"Fn::Cidr": ["10.0.0.0/24", 5, 7]})).contains("cannot create"));
    assert!(err(json!({"Fn::Cidr": ["nope", 1, 8]})).contains("Fn::Cidr"));
}

#[test]
fn condition_functions_inline() {
    assert_eq!(ok(json!({"Fn::Equals": [{"Ref": "Env"}, "prod"]})), true);
    assert_eq!(ok(json!({"Fn::Equals": ["1", 1]})), true);
    assert_eq!(ok(json!({"Fn::Not": [{"Condition": "IsProd"}]})), false);
    assert_eq!(
        ok(json!({"Fn::And": [{"Condition": "IsProd"}, {"Fn::Equals": ["a", "a"]}]})),
        true
    );
    assert_eq!(
        ok(json!({"Fn::Or": [{"Condition": "IsDev"}, {"Fn::Equals": ["a", "b"]}]})),
        false
    );
    assert!(err(json!({"Fn::And": [{"Condition": "IsProd"}]})).contains("between 2 and 10"));
    assert!(err(json!({"Fn::Bogus": 1})).contains("Unrecognized function Fn::Bogus"));
}

#[test]
fn conditions_section_with_references_and_cycles() {
    let p = pseudo();
    let params = json!({"Env": "prod", "Size": "3"});
    let section = json!({
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "IsBig": {"Fn::Equals": [{"Ref": "Size"}, "3"]},
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsBig"}]},
        "Either": {"Fn::Or": [{"Fn::Not": [{"Condition": "Both"}]}, {"Condition": "IsProd"}]},
        "InRegion": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]},
        "Neither": {"Fn::Not": [{"Condition": "Either"}]},
    });
    let c = conditions(
        &p,
        params.as_object().unwrap(),
        &Map::new(),
        section.as_object().unwrap(),
    )
    .unwrap();
    assert!(c["IsProd"] && c["Both"] && c["Either"]);
    assert!(!c["InRegion"] && !c["Neither"]);
    let cyclic = json!({
        "A": {"Fn::Not": [{"Condition": "B"}]},
        "B": {"Fn::Not": [{"Condition": "A"}]},
    });
    let e = conditions(&p, &Map::new(), &Map::new(), cyclic.as_object().unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("Circular condition dependency"), "{e}");
    let bad = json!({"A": "yes"});
    assert!(conditions(&p, &Map::new(), &Map::new(), bad.as_object().unwrap()).is_err());
}

#[test]
fn references_cover_every_form() {
    let v = json!({
        "a": {"Ref": "R1"},
        "b": {"Fn::GetAtt": ["R2", "Arn"]},
        "c": {"Fn::GetAtt": "R3.Endpoint.Port"},
        "d": {"Fn::Sub": "${R4}-${R5.Arn}-${AWS::Region}-${!Skip}"},
        "e": {"Fn::Sub": ["${local}-${R6}", {"local": {"Ref": "R7"}}]},
        "f": {"Fn::If": ["Cond", {"Ref": "R8"}, "x"]},
    });
    let r = references(&v);
    for want in [
        Reference::Ref("R1".into()),
        Reference::GetAtt("R2".into(), "Arn".into()),
        Reference::GetAtt("R3".into(), "Endpoint.Port".into()),
        Reference::Ref("R4".into()),
        Reference::GetAtt("R5".into(), "Arn".into()),
        Reference::Ref("AWS::Region".into()),
        Reference::Ref("R6".into()),
        Reference::Ref("R7".into()),
        Reference::Condition("Cond".into()),
        Reference::Ref("R8".into()),
    ] {
        assert!(r.contains(&want), "{want:?}");
    }
    assert!(!r.contains(&Reference::Ref("local".into())));
    assert!(!r.contains(&Reference::Ref("Skip".into())));
}
