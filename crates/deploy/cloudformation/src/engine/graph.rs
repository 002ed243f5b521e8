//! The dependency graph of a template's resources: `Ref`, `Fn::GetAtt`, `Fn::Sub` variables
//! and `DependsOn` make edges; [`order`] sorts topologically and names a cycle with AWS's
//! message.

use crate::template::eval::{Reference, references};
use crate::template::{depends_on, section};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Logical id → the resources it depends on (only resources of the template).
pub type Deps = BTreeMap<String, BTreeSet<String>>;

/// The dependencies of every resource.
pub fn dependencies(template: &Value) -> Deps {
    let resources = section(template, "Resources");
    let mut deps = Deps::new();
    for (id, res) in resources {
        let mut set = BTreeSet::new();
        for r in references(res.get("Properties").unwrap_or(&Value::Null)) {
            let target = match r {
                Reference::Ref(t) => t,
                Reference::GetAtt(t, _) => t,
                Reference::Condition(_) => continue,
            };
            if resources.contains_key(&target) {
                set.insert(target);
            }
        }
        for d in depends_on(res) {
            if resources.contains_key(&d) {
                set.insert(d);
            }
        }
        deps.insert(id.clone(), set);
    }
    deps
}

/// The resources in an order where each comes after what it depends on; a cycle is an error
/// worded as AWS words it (`Circular dependency between resources: [A, B]`).
pub fn order(template: &Value) -> Result<Vec<String>, String> {
    let deps = dependencies(template);
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(deps.len());
    loop {
        let ready: Vec<String> = deps
            .iter()
            .filter(|(id, d)| !done.contains(*id) && d.iter().all(|x| done.contains(x)))
            .map(|(id, _)| id.clone())
            .collect();
        if ready.is_empty() {
            break;
        }
        for id in ready {
            done.insert(id.clone());
            out.push(id);
        }
    }
    if out.len() < deps.len() {
        let cycle: Vec<String> = deps
            .keys()
            .filter(|id| !done.contains(*id))
            .cloned()
            .collect();
        return Err(format!(
            "Circular dependency between resources: [{}]",
            cycle.join(", ")
        ));
    }
    Ok(out)
}

/// Who depends on each resource (the reverse graph, for deletion order).
pub fn dependents(deps: &Deps) -> Deps {
    let mut rev: Deps = deps.keys().map(|k| (k.clone(), BTreeSet::new())).collect();
    for (id, ds) in deps {
        for d in ds {
            rev.entry(d.clone()).or_default().insert(id.clone());
        }
    }
    rev
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn edges_from_ref_getatt_sub_and_depends_on() {
        let t = json!({"Resources": {
            "A": {"Type": "T"},
            "B": {"Type": "T", "Properties": {"X": {"Ref": "A"}}},
            "C": {"Type": "T", "Properties": {"X": {"Fn::GetAtt": ["B", "Arn"]}}},
            "D": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${C.Arn}/${AWS::Region}"}}},
            "E": {"Type": "T", "DependsOn": ["D", "A"]},
        }});
        let d = dependencies(&t);
        assert_eq!(d["B"], BTreeSet::from(["A".to_string()]));
        assert_eq!(d["D"], BTreeSet::from(["C".to_string()]));
        assert_eq!(d["E"], BTreeSet::from(["A".to_string(), "D".to_string()]));
        assert_eq!(order(&t).unwrap(), vec!["A", "B", "C", "D", "E"]);
        assert_eq!(
            dependents(&d)["A"],
            BTreeSet::from(["B".into(), "E".into()])
        );
    }

    #[test]
    fn cycles_are_named() {
        let t = json!({"Resources": {
            "A": {"Type": "T", "DependsOn": "C"},
            "B": {"Type": "T", "Properties": {"X": {"Ref": "A"}}},
            "C": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${B}"}}},
            "Free": {"Type": "T"},
        }});
        assert_eq!(
            order(&t).unwrap_err(),
            "Circular dependency between resources: [A, B, C]"
        );
    }
}
