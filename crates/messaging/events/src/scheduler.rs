//! The scheduler: once a second it looks at every enabled rule with a ScheduleExpression
//! and fires those whose next fire time fell in the second that passed, sending the
//! "Scheduled Event" to their targets. Fire times are a pure function of the expression and
//! the time the schedule was set (see [`crate::schedule`]), so nothing but the rules needs
//! to be stored; fire times missed while Lamina was stopped are not caught up (AWS does not
//! run while you are away either).

use crate::Inner;
use crate::deliver;
use crate::error::Result;
use crate::schedule;
use std::sync::Arc;
use std::time::Duration;

pub async fn run(inner: Arc<Inner>) {
    let mut last = lamina_core::now_epoch_seconds() as i64;
    loop {
        let ms = lamina_core::now_epoch_millis() % 1000;
        tokio::time::sleep(Duration::from_millis(1000 - ms + 5)).await;
        let now = lamina_core::now_epoch_seconds() as i64;
        if now <= last {
            continue;
        }
        if let Err(e) = tick(&inner, last, now).await {
            tracing::warn!(error = %e, "events scheduler tick failed");
        }
        last = now;
    }
}

/// Fires every schedule due in `(after, upto]`; returns how many rules fired.
pub async fn tick(inner: &Inner, after: i64, upto: i64) -> Result<usize> {
    let mut fired = 0;
    for rule in inner.table.all_rules().await? {
        let Some(expr) = rule.schedule.as_deref() else {
            continue;
        };
        if !rule.enabled() {
            continue;
        }
        let Some(s) = schedule::parse(expr) else {
            continue;
        };
        if let Some(t) = s.next_after(after, rule.schedule_since)
            && t <= upto
        {
            let event = deliver::scheduled_event(&rule, t);
            tracing::debug!(rule = %rule.name, time = t, "schedule fired");
            deliver::deliver(inner, &rule, &event).await;
            fired += 1;
        }
    }
    Ok(fired)
}
