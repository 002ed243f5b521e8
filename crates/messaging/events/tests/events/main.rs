//! EventBridge through the `Service` interface, as the gateway calls it, against the
//! in-memory store: rule state changes, and the scheduler's firing decisions over the stored
//! rules (`Events::fire_schedules`).

use lamina_core::{AwsError, Input, RequestContext, Service};
use lamina_events::{Events, EventsService};
use lamina_storage_memory::MemoryStore;
use serde_json::{Value, json};

struct Env {
    events: Events,
    svc: EventsService,
    ctx: RequestContext,
}

fn env() -> Env {
    let events = Events::new(MemoryStore::new());
    Env {
        svc: EventsService::new(events.clone()),
        events,
        ctx: RequestContext {
            request_id: "r".into(),
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            access_key_id: "test".into(),
            endpoint: "http://localhost:4566".into(),
        },
    }
}

impl Env {
    async fn call(&self, op: &str, input: Value) -> Result<Value, AwsError> {
        self.svc
            .call(
                &self.ctx,
                op,
                Input {
                    value: input,
                    payload: None,
                },
            )
            .await
            .map(|o| o.value)
    }
    async fn ok(&self, op: &str, input: Value) -> Value {
        match self.call(op, input).await {
            Ok(v) => v,
            Err(e) => panic!("{op} failed: {e}"),
        }
    }
}

fn now() -> i64 {
    lamina_core::now_epoch_seconds() as i64
}

#[tokio::test]
async fn a_rate_rule_fires_once_per_period_from_when_it_was_set() {
    let e = env();
    let before = now();
    e.ok(
        "PutRule",
        json!({"Name": "tick", "ScheduleExpression": "rate(1 minute)"}),
    )
    .await;
    let after = now();
    // Nothing is due during the first minute...
    assert_eq!(
        e.events
            .fire_schedules(before - 1, before + 59)
            .await
            .unwrap(),
        0
    );
    // ...then exactly one fire time falls in the next window, and none in the one after.
    // (The rule was set at some second in [before, after].)
    assert_eq!(
        e.events
            .fire_schedules(before + 59, after + 60)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        e.events
            .fire_schedules(after + 60, before + 119)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        e.events
            .fire_schedules(before + 119, after + 120)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn disabled_pattern_and_deleted_rules_do_not_fire() {
    let e = env();
    let t = now();
    e.ok(
        "PutRule",
        json!({"Name": "off", "ScheduleExpression": "rate(1 minute)", "State": "DISABLED"}),
    )
    .await;
    e.ok(
        "PutRule",
        json!({"Name": "pattern", "EventPattern": "{\"source\": [\"x\"]}"}),
    )
    .await;
    e.ok(
        "PutRule",
        json!({"Name": "gone", "ScheduleExpression": "cron(* * * * ? *)"}),
    )
    .await;
    // Every minute: due within any 60-second window.
    assert_eq!(e.events.fire_schedules(t, t + 60).await.unwrap(), 1);
    e.ok("DeleteRule", json!({"Name": "gone"})).await;
    assert_eq!(e.events.fire_schedules(t, t + 3600).await.unwrap(), 0);
    // Enabling counts the rate from then.
    let t1 = now();
    e.ok("EnableRule", json!({"Name": "off"})).await;
    let t2 = now();
    assert_eq!(e.events.fire_schedules(t1 - 1, t1 + 59).await.unwrap(), 0);
    assert_eq!(e.events.fire_schedules(t1 + 59, t2 + 60).await.unwrap(), 1);
}

#[tokio::test]
async fn a_cron_with_a_past_year_never_fires() {
    let e = env();
    e.ok(
        "PutRule",
        json!({"Name": "past", "ScheduleExpression": "cron(0 0 * * ? 2020)"}),
    )
    .await;
    let t = now();
    assert_eq!(
        e.events.fire_schedules(t, t + 400 * 86400).await.unwrap(),
        0
    );
    let r = e.ok("DescribeRule", json!({"Name": "past"})).await;
    assert_eq!(r["ScheduleExpression"], "cron(0 0 * * ? 2020)");
    assert_eq!(r["CreatedBy"], "123456789012");
}
