//! The stack engine through the service API, with a fake registry of recording providers
//! (no other service involved): concurrency-safe create, rollback with events, update in
//! place vs replacement (new before old), Retain, unsupported types, delete order.

use lamina_bus::{CallContext, CallError, ServiceCaller};
use lamina_cloudformation::CloudFormationService;
use lamina_cloudformation::engine::{
    Created, ProviderError, ProviderRegistry, ResourceContext, ResourceProvider, Updated,
};
use lamina_core::{BoxFuture, Input, RequestContext, Service};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Log(Mutex<Vec<String>>, std::sync::atomic::AtomicBool);

impl Log {
    fn push(&self, s: String) {
        self.0.lock().unwrap().push(s);
    }
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// `Test::Thing`: physical id = Name (or a generated one); `Fail: true` fails; `DelayMs`
/// makes create and update take that long; an update away from `Sticky: true` fails until
/// the log's flag is set; changing `Name` requires replacement.
struct Thing(Arc<Log>);

impl ResourceProvider for Thing {
    fn create<'a>(
        &'a self,
        ctx: &'a ResourceContext,
        props: &'a Value,
    ) -> BoxFuture<'a, Result<Created, ProviderError>> {
        Box::pin(async move {
            if let Some(ms) = props["DelayMs"].as_u64() {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            if props["Fail"] == true {
                return Err(ProviderError::new(format!("{} exploded", ctx.logical_id)));
            }
            let id = props["Name"]
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| ctx.generated_name(64));
            self.0.push(format!("create {id}"));
            let mut attributes = Map::new();
            attributes.insert("Arn".into(), json!(format!("arn:test:{id}")));
            Ok(Created {
                physical_id: id,
                attributes,
            })
        })
    }
    fn update<'a>(
        &'a self,
        _: &'a ResourceContext,
        physical_id: &'a str,
        old: &'a Value,
        new: &'a Value,
    ) -> BoxFuture<'a, Result<Updated, ProviderError>> {
        Box::pin(async move {
            if let Some(ms) = new["DelayMs"].as_u64() {
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            if new["Fail"] == true {
                return Err(ProviderError::new("update exploded"));
            }
            if old["Sticky"] == true
                && new["Sticky"] != true
                && !self.0.1.load(std::sync::atomic::Ordering::SeqCst)
            {
                return Err(ProviderError::new(format!("{physical_id} is stuck")));
            }
            self.0.push(format!("update {physical_id}"));
            let mut attributes = Map::new();
            attributes.insert("Arn".into(), json!(format!("arn:test:{physical_id}")));
            Ok(Created {
                physical_id: physical_id.to_string(),
                attributes,
            })
        })
    }
    fn delete<'a>(
        &'a self,
        _: &'a ResourceContext,
        physical_id: &'a str,
        _: &'a Value,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            self.0.push(format!("delete {physical_id}"));
            Ok(())
        })
    }
    fn requires_replacement(&self, old: &Value, new: &Value) -> bool {
        old["Name"] != new["Name"]
    }
}

struct Registry(Thing);

impl ProviderRegistry for Registry {
    fn provider(&self, t: &str) -> Option<&dyn ResourceProvider> {
        (t == "Test::Thing").then_some(&self.0 as &dyn ResourceProvider)
    }
}

struct NoCalls;

impl ServiceCaller for NoCalls {
    fn call<'a>(
        &'a self,
        _: &'a CallContext,
        _: &'a str,
        _: &'a str,
        _: Value,
    ) -> BoxFuture<'a, Result<Value, CallError>> {
        Box::pin(async {
            Err(CallError {
                code: "ParameterNotFound".into(),
                message: String::new(),
                status: 400,
            })
        })
    }
}

struct Env {
    svc: CloudFormationService,
    log: Arc<Log>,
}

fn env() -> Env {
    let log = Arc::new(Log::default());
    let svc = CloudFormationService::with_registry(
        lamina_storage_memory::MemoryStore::new(),
        Arc::new(NoCalls),
        Arc::new(Registry(Thing(log.clone()))),
    );
    Env { svc, log }
}

impl Env {
    async fn call(&self, op: &str, input: Value) -> Result<Value, String> {
        let ctx = RequestContext {
            request_id: "r".into(),
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            access_key_id: String::new(),
            endpoint: "http://localhost".into(),
        };
        self.svc
            .call(
                &ctx,
                op,
                Input {
                    value: input,
                    payload: None,
                },
            )
            .await
            .map(|o| o.value)
            .map_err(|e| format!("{}: {}", e.code.code, e.message))
    }

    /// Waits until the stack leaves *_IN_PROGRESS; returns it.
    async fn settle(&self, name: &str) -> Value {
        for _ in 0..200 {
            let s = self
                .call("DescribeStacks", json!({"StackName": name}))
                .await
                .unwrap()["Stacks"][0]
                .clone();
            if !s["StackStatus"].as_str().unwrap().ends_with("IN_PROGRESS") {
                return s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("stack {name} did not settle");
    }

    async fn events(&self, name: &str) -> Vec<(String, String, String)> {
        let v = self
            .call("DescribeStackEvents", json!({"StackName": name}))
            .await
            .unwrap();
        let mut out: Vec<(String, String, String)> = v["StackEvents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["LogicalResourceId"].as_str().unwrap().to_string(),
                    e["ResourceStatus"].as_str().unwrap().to_string(),
                    e["ResourceStatusReason"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        out.reverse();
        out
    }
}

fn body(resources: Value) -> String {
    json!({"Resources": resources, "Outputs": {}}).to_string()
}

#[tokio::test]
async fn create_in_dependency_order_and_delete_in_reverse() {
    let e = env();
    let t = json!({
        "A": {"Type": "Test::Thing", "Properties": {"Name": "a"}},
        "B": {"Type": "Test::Thing", "Properties": {"Name": {"Fn::Sub": "b-of-${A.Arn}"}}},
        "C": {"Type": "Test::Thing", "Properties": {"Name": "c", "X": {"Ref": "B"}}},
    });
    e.call(
        "CreateStack",
        json!({"StackName": "s", "TemplateBody": body(t)}),
    )
    .await
    .unwrap();
    let s = e.settle("s").await;
    assert_eq!(s["StackStatus"], "CREATE_COMPLETE");
    assert_eq!(
        e.log.all(),
        vec!["create a", "create b-of-arn:test:a", "create c"]
    );
    e.call("DeleteStack", json!({"StackName": "s"}))
        .await
        .unwrap();
    let s = e.settle(s["StackId"].as_str().unwrap()).await;
    assert_eq!(s["StackStatus"], "DELETE_COMPLETE");
    assert_eq!(
        e.log.all()[3..],
        ["delete c", "delete b-of-arn:test:a", "delete a"]
    );
}

#[tokio::test]
async fn failure_rolls_back_what_was_created() {
    let e = env();
    let t = json!({
        "A": {"Type": "Test::Thing", "Properties": {"Name": "a"}},
        "Bad": {"Type": "Test::Thing", "DependsOn": "A", "Properties": {"Fail": true}},
    });
    e.call(
        "CreateStack",
        json!({"StackName": "s", "TemplateBody": body(t)}),
    )
    .await
    .unwrap();
    let s = e.settle("s").await;
    assert_eq!(s["StackStatus"], "ROLLBACK_COMPLETE");
    let ev = e.events("s").await;
    assert!(ev.contains(&("Bad".into(), "CREATE_FAILED".into(), "Bad exploded".into())));
    assert!(ev.contains(&(
        "s".into(),
        "ROLLBACK_IN_PROGRESS".into(),
        "The following resource(s) failed to create: [Bad]. ".into()
    )));
    assert!(ev.contains(&("A".into(), "DELETE_COMPLETE".into(), String::new())));
    assert_eq!(e.log.all(), vec!["create a", "delete a"]);
}

#[tokio::test]
async fn unsupported_type_fails_the_stack_by_name() {
    let e = env();
    let t = json!({"X": {"Type": "AWS::Foo::Bar"}});
    e.call(
        "CreateStack",
        json!({"StackName": "s", "TemplateBody": body(t)}),
    )
    .await
    .unwrap();
    assert_eq!(e.settle("s").await["StackStatus"], "ROLLBACK_COMPLETE");
    assert!(e.events("s").await.contains(&(
        "X".into(),
        "CREATE_FAILED".into(),
        "Unsupported resource type: AWS::Foo::Bar".into()
    )));
}

#[tokio::test]
async fn update_in_place_replacement_retain_and_rollback() {
    let e = env();
    let v1 = json!({
        "Same": {"Type": "Test::Thing", "Properties": {"Name": "same"}},
        "InPlace": {"Type": "Test::Thing", "Properties": {"Name": "ip", "V": 1}},
        "Replaced": {"Type": "Test::Thing", "Properties": {"Name": "r1"}},
        "Gone": {"Type": "Test::Thing", "DeletionPolicy": "Retain", "Properties": {"Name": "kept"}},
    });
    e.call(
        "CreateStack",
        json!({"StackName": "s", "TemplateBody": body(v1.clone())}),
    )
    .await
    .unwrap();
    assert_eq!(e.settle("s").await["StackStatus"], "CREATE_COMPLETE");
    let v2 = json!({
        "Same": {"Type": "Test::Thing", "Properties": {"Name": "same"}},
        "InPlace": {"Type": "Test::Thing", "Properties": {"Name": "ip", "V": 2}},
        "Replaced": {"Type": "Test::Thing", "Properties": {"Name": "r2"}},
    });
    e.call(
        "UpdateStack",
        json!({"StackName": "s", "TemplateBody": body(v2.clone())}),
    )
    .await
    .unwrap();
    assert_eq!(e.settle("s").await["StackStatus"], "UPDATE_COMPLETE");
    let log = e.log.all();
    assert_eq!(
        log[4..].to_vec(),
        vec!["update ip", "create r2", "delete r1"],
        "{log:?}"
    );
    let err = e
        .call(
            "UpdateStack",
            json!({"StackName": "s", "TemplateBody": body(v2.clone())}),
        )
        .await
        .unwrap_err();
    assert_eq!(err, "ValidationError: No updates are to be performed.");

    // A failed update restores the previous state.
    let mut v3 = v2.clone();
    v3["InPlace"]["Properties"]["V"] = json!(3);
    v3["New"] =
        json!({"Type": "Test::Thing", "DependsOn": "InPlace", "Properties": {"Fail": true}});
    e.call(
        "UpdateStack",
        json!({"StackName": "s", "TemplateBody": body(v3)}),
    )
    .await
    .unwrap();
    let s = e.settle("s").await;
    assert_eq!(s["StackStatus"], "UPDATE_ROLLBACK_COMPLETE");
    let ev = e.events("s").await;
    assert!(
        ev.iter()
            .any(|(id, st, _)| id == "s" && st == "UPDATE_ROLLBACK_IN_PROGRESS")
    );
    assert_eq!(e.log.all()[7..].to_vec(), vec!["update ip", "update ip"]);
    let tpl = e
        .call("GetTemplate", json!({"StackName": "s"}))
        .await
        .unwrap();
    assert_eq!(tpl["TemplateBody"], body(v2));
}

#[tokio::test]
async fn a_changed_resource_behind_unchanged_ones_is_updated() {
    // Role (unchanged) <- Function (changed): the unchanged dependency finishes without a
    // task, and its dependent must still be scheduled.
    let e = env();
    let v1 = json!({
        "Role": {"Type": "Test::Thing", "Properties": {"Name": "role"}},
        "Fn": {"Type": "Test::Thing", "Properties": {"Name": "fn", "Env": "1", "R": {"Ref": "Role"}}},
    });
    e.call(
        "CreateStack",
        json!({"StackName": "s", "TemplateBody": body(v1.clone())}),
    )
    .await
    .unwrap();
    assert_eq!(e.settle("s").await["StackStatus"], "CREATE_COMPLETE");
    let mut v2 = v1.clone();
    v2["Fn"]["Properties"]["Env"] = json!("2");
    e.call(
        "UpdateStack",
        json!({"StackName": "s", "TemplateBody": body(v2)}),
    )
    .await
    .unwrap();
    assert_eq!(e.settle("s").await["StackStatus"], "UPDATE_COMPLETE");
    assert_eq!(e.log.all()[2..], ["update fn"]);
}

#[tokio::test]
async fn cancel_update_stack_rolls_the_update_back() {
    let e = env();
    let v1 = json!({"A": {"Type": "Test::Thing", "Properties": {"Name": "a", "V": 1}}});
    e.call(
        "CreateStack",
        json!({"StackName": "s", "TemplateBody": body(v1.clone())}),
    )
    .await
    .unwrap();
    assert_eq!(e.settle("s").await["StackStatus"], "CREATE_COMPLETE");
    let err = e
        .call("CancelUpdateStack", json!({"StackName": "s"}))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        "ValidationError: CancelUpdateStack cannot be called from current stack status"
    );
    // A slow update (longer than UpdateStack waits) with a second resource behind it.
    let v2 = json!({
        "A": {"Type": "Test::Thing", "Properties": {"Name": "a", "V": 2, "DelayMs": 3600}},
        "B": {"Type": "Test::Thing", "DependsOn": "A", "Properties": {"Name": "b"}},
    });
    e.call(
        "UpdateStack",
        json!({"StackName": "s", "TemplateBody": body(v2)}),
    )
    .await
    .unwrap();
    let s = e
        .call("DescribeStacks", json!({"StackName": "s"}))
        .await
        .unwrap();
    assert_eq!(s["Stacks"][0]["StackStatus"], "UPDATE_IN_PROGRESS");
    e.call("CancelUpdateStack", json!({"StackName": "s"}))
        .await
        .unwrap();
    assert_eq!(
        e.settle("s").await["StackStatus"],
        "UPDATE_ROLLBACK_COMPLETE"
    );
    let ev = e.events("s").await;
    assert!(
        ev.contains(&(
            "s".into(),
            "UPDATE_ROLLBACK_IN_PROGRESS".into(),
            "Stack update cancelled".into()
        )),
        "{ev:?}"
    );
    assert!(
        ev.contains(&(
            "A".into(),
            "UPDATE_FAILED".into(),
            "Resource update cancelled".into()
        )),
        "{ev:?}"
    );
    // B never started; A went back.
    assert_eq!(e.log.all()[1..], ["update a", "update a"]);
    let tpl = e
        .call("GetTemplate", json!({"StackName": "s"}))
        .await
        .unwrap();
    assert_eq!(tpl["TemplateBody"], body(v1));
}

#[tokio::test]
async fn continue_update_rollback_retries_or_skips() {
    let e = env();
    let v1 = json!({
        "A": {"Type": "Test::Thing", "Properties": {"Name": "a"}},
        "B": {"Type": "Test::Thing", "Properties": {"Name": "b"}},
    });
    e.call(
        "CreateStack",
        json!({"StackName": "s", "TemplateBody": body(v1.clone())}),
    )
    .await
    .unwrap();
    assert_eq!(e.settle("s").await["StackStatus"], "CREATE_COMPLETE");
    let err = e
        .call("ContinueUpdateRollback", json!({"StackName": "s"}))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        "ValidationError: ContinueUpdateRollback cannot be called from current stack status"
    );
    // A becomes sticky (its revert fails), then C fails: the rollback fails. B, dropped by
    // the new template, is still listed.
    let v2 = json!({
        "A": {"Type": "Test::Thing", "Properties": {"Name": "a", "Sticky": true}},
        "C": {"Type": "Test::Thing", "DependsOn": "A", "Properties": {"Fail": true}},
    });
    e.call(
        "UpdateStack",
        json!({"StackName": "s", "TemplateBody": body(v2)}),
    )
    .await
    .unwrap();
    let s = e.settle("s").await;
    assert_eq!(s["StackStatus"], "UPDATE_ROLLBACK_FAILED");
    assert_eq!(
        s["StackStatusReason"],
        "The following resource(s) failed to update: [A]. "
    );
    let listed = e
        .call("ListStackResources", json!({"StackName": "s"}))
        .await
        .unwrap();
    let ids: Vec<&str> = listed["StackResourceSummaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["LogicalResourceId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"A") && ids.contains(&"B"), "{ids:?}");
    assert!(!e.log.all().contains(&"delete b".to_string()));
    // Updates are refused in that state.
    let err = e
        .call(
            "UpdateStack",
            json!({"StackName": "s", "TemplateBody": body(v1.clone())}),
        )
        .await
        .unwrap_err();
    assert!(
        err.contains("is in UPDATE_ROLLBACK_FAILED state and can not be updated."),
        "{err}"
    );
    // Still stuck: the retry fails again.
    e.call("ContinueUpdateRollback", json!({"StackName": "s"}))
        .await
        .unwrap();
    assert_eq!(e.settle("s").await["StackStatus"], "UPDATE_ROLLBACK_FAILED");
    let err = e
        .call(
            "ContinueUpdateRollback",
            json!({"StackName": "s", "ResourcesToSkip": ["Nope"]}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        "ValidationError: Resource Nope does not exist for stack s"
    );
    // Unstuck: the retry reverts A and the stack is back on v1.
    e.log.1.store(true, std::sync::atomic::Ordering::SeqCst);
    e.call("ContinueUpdateRollback", json!({"StackName": "s"}))
        .await
        .unwrap();
    assert_eq!(
        e.settle("s").await["StackStatus"],
        "UPDATE_ROLLBACK_COMPLETE"
    );
    let tpl = e
        .call("GetTemplate", json!({"StackName": "s"}))
        .await
        .unwrap();
    assert_eq!(tpl["TemplateBody"], body(v1));
    assert_eq!(e.log.all().last().unwrap(), "update a");
    let r = e
        .call(
            "DescribeStackResource",
            json!({"StackName": "s", "LogicalResourceId": "A"}),
        )
        .await
        .unwrap();
    assert_eq!(
        r["StackResourceDetail"]["ResourceStatus"],
        "UPDATE_COMPLETE"
    );
}

#[tokio::test]
async fn continue_update_rollback_skipping_a_resource_keeps_it() {
    let e = env();
    let v1 = json!({"A": {"Type": "Test::Thing", "Properties": {"Name": "a"}}});
    e.call(
        "CreateStack",
        json!({"StackName": "s", "TemplateBody": body(v1.clone())}),
    )
    .await
    .unwrap();
    e.settle("s").await;
    let v2 = json!({
        "A": {"Type": "Test::Thing", "Properties": {"Name": "a", "Sticky": true}},
        "C": {"Type": "Test::Thing", "DependsOn": "A", "Properties": {"Fail": true}},
    });
    e.call(
        "UpdateStack",
        json!({"StackName": "s", "TemplateBody": body(v2)}),
    )
    .await
    .unwrap();
    assert_eq!(e.settle("s").await["StackStatus"], "UPDATE_ROLLBACK_FAILED");
    let before = e.log.all().len();
    e.call(
        "ContinueUpdateRollback",
        json!({"StackName": "s", "ResourcesToSkip": ["A"]}),
    )
    .await
    .unwrap();
    assert_eq!(
        e.settle("s").await["StackStatus"],
        "UPDATE_ROLLBACK_COMPLETE"
    );
    // A was not touched again and keeps what the failed update gave it.
    assert_eq!(e.log.all().len(), before);
    let ev = e.events("s").await;
    assert_eq!(
        ev.iter().rev().find(|(id, _, _)| id == "A").unwrap().1,
        "UPDATE_COMPLETE"
    );
    let r = e
        .call(
            "DescribeStackResource",
            json!({"StackName": "s", "LogicalResourceId": "A"}),
        )
        .await
        .unwrap();
    assert_eq!(r["StackResourceDetail"]["PhysicalResourceId"], "a");
}

#[tokio::test]
async fn a_failed_transform_fails_create_stack_with_its_message() {
    let e = env();
    let t = json!({
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"F": {"Type": "AWS::Serverless::Function",
                            "Properties": {"CodeUri": "src/", "Handler": "a.h", "Runtime": "python3.12"}}},
    })
    .to_string();
    e.call(
        "CreateStack",
        json!({"StackName": "s", "TemplateBody": t, "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]}),
    )
    .await
    .unwrap();
    let s = e.settle("s").await;
    assert_eq!(s["StackStatus"], "ROLLBACK_COMPLETE");
    let ev = e.events("s").await;
    assert_eq!(ev.len(), 3, "{ev:?}");
    assert_eq!(
        (ev[0].1.as_str(), ev[2].1.as_str()),
        ("CREATE_IN_PROGRESS", "ROLLBACK_COMPLETE")
    );
    assert_eq!(ev[1].1, "ROLLBACK_IN_PROGRESS");
    assert!(
        ev[1].2.starts_with(
            "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application \
             Specification document. Number of errors found: 1. Resource with id [F] is invalid."
        ),
        "{ev:?}"
    );
    // The name stays taken until the stack is deleted, as on AWS.
    let err = e
        .call(
            "CreateStack",
            json!({"StackName": "s", "TemplateBody": body(json!({}))}),
        )
        .await
        .unwrap_err();
    assert_eq!(err, "AlreadyExistsException: Stack [s] already exists");
}
