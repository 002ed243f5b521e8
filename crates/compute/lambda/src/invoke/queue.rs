//! The asynchronous queue worker.
//!
//! Events wait in tree `lambda.events` under `account \0 region \0 due millis \0 id`. A due
//! event is claimed by moving it, in one batch conditioned on the exact bytes read, to a
//! lease key due at `now + 10 s (init) + timeout + lease margin`, its attempt counted: of
//! two workers only one commit succeeds, and if the process dies mid-run the event is due again
//! once the lease ends. After the run the lease key is deleted (success, or failure handed
//! to a destination) or moved to the retry time (AWS waits about one minute, then two;
//! `LambdaConfig::async_retry_delays`). `MaximumRetryAttempts` (default 2) and
//! `MaximumEventAgeInSeconds` (default 21600) come from the event invoke config of the
//! qualifier as invoked. Events of a function at its concurrency limit stay queued.

use super::records::{self, Condition, FailedEvent, Response};
use crate::Lambda;
use crate::error::{LambdaError, Result};
use crate::model::{self, Config, EventInvokeConfig};
use crate::ops::Cx;
use crate::ops::invoke::{QueuedEvent, select, spec};
use crate::sandbox::InvokeInput;
use crate::store::{self, Scope};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use lamina_core::RequestContext;
use lamina_storage::{Direction, Range, StoreError, WriteBatch};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// Longest sleep between scans (other nodes may queue events, leases end).
const MAX_IDLE: Duration = Duration::from_secs(1);
/// How soon events that waited for a concurrency slot are looked at again.
const THROTTLED_RETRY: Duration = Duration::from_millis(50);
/// Events scanned per pass.
const SCAN_LIMIT: usize = 1000;

/// The init phase AWS allows before the invocation's own timeout starts (10 s).
const INIT_ALLOWANCE: Duration = Duration::from_secs(10);

pub(crate) const DEFAULT_MAX_RETRIES: u32 = 2;
pub(crate) const DEFAULT_MAX_AGE_SECS: u32 = 21_600;

/// The worker loop; ends when the task is aborted.
pub(crate) async fn run(lambda: Arc<Lambda>) {
    loop {
        let wait = match pass(&lambda).await {
            Ok(p) => p.sleep(),
            Err(e) => {
                tracing::warn!(error = %e, "lambda event queue pass failed");
                MAX_IDLE
            }
        };
        let rt = &lambda.runtime;
        tokio::select! {
            _ = rt.wake.notified() => {}
            _ = rt.limits.released.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// What one pass saw.
#[derive(Debug, Default)]
pub(crate) struct Pass {
    /// Events claimed and started.
    pub started: usize,
    /// The earliest due time still in the future.
    pub next_due: Option<u64>,
    /// Some due event waits for a concurrency slot.
    pub throttled: bool,
}

impl Pass {
    fn sleep(&self) -> Duration {
        let mut d = MAX_IDLE;
        if let Some(due) = self.next_due {
            let now = lamina_core::now_epoch_millis();
            d = d.min(Duration::from_millis(due.saturating_sub(now)));
        }
        if self.throttled {
            d = d.min(THROTTLED_RETRY);
        }
        d
    }
}

/// `(account, region, due, id)` of a key in `lambda.events`.
fn parse_key(k: &[u8]) -> Option<(String, String, u64, String)> {
    let parts: Vec<&[u8]> = k.split(|b| *b == 0).collect();
    let [a, r, due, id] = parts.as_slice() else {
        return None;
    };
    let s = |b: &[u8]| String::from_utf8(b.to_vec()).ok();
    Some((s(a)?, s(r)?, s(due)?.parse().ok()?, s(id)?))
}

/// Claims and starts every due event it can; the spawned runs finish on their own.
pub(crate) async fn pass(lambda: &Arc<Lambda>) -> Result<Pass> {
    let entries = lambda
        .store
        .scan(store::EVENTS, Range::all(), Direction::Forward, SCAN_LIMIT)
        .await?;
    let mut pass = Pass::default();
    let now = lamina_core::now_epoch_millis();
    for (k, raw) in entries {
        if lambda.runtime.stopping() {
            break;
        }
        let Some((account, region, due, _)) = parse_key(&k) else {
            continue;
        };
        if due > now {
            pass.next_due = Some(pass.next_due.map_or(due, |n| n.min(due)));
            continue;
        }
        let event: QueuedEvent = match store::decode(&raw) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "undecodable queued lambda event skipped");
                continue;
            }
        };
        let scope = Scope { account, region };
        match claim(lambda, scope, k, raw, event).await {
            Ok(Claim::Started) => pass.started += 1,
            Ok(Claim::Throttled) => pass.throttled = true,
            Ok(Claim::Skipped) => {}
            Err(e) => tracing::warn!(error = %e, "claiming a lambda event failed"),
        }
    }
    Ok(pass)
}

enum Claim {
    Started,
    Throttled,
    Skipped,
}

fn context(lambda: &Lambda, scope: &Scope, request_id: &str) -> RequestContext {
    RequestContext {
        request_id: request_id.to_string(),
        account_id: scope.account.clone(),
        region: scope.region.clone(),
        access_key_id: String::new(),
        endpoint: lambda.config.endpoint_url.clone(),
    }
}

/// The limits that apply to an event.
struct Policy {
    max_retries: u32,
    max_age_ms: u64,
    config: Option<EventInvokeConfig>,
}

impl Policy {
    fn destination(&self, side: &str) -> Option<String> {
        self.config
            .as_ref()?
            .destination_config
            .as_ref()?
            .get(side)?
            .get("Destination")?
            .as_str()
            .map(str::to_string)
    }
}

/// One claimed event on its way through a run.
struct Leased {
    scope: Scope,
    key: Vec<u8>,
    raw: Vec<u8>,
    event: QueuedEvent,
    config: Config,
    policy: Policy,
}

async fn claim(
    lambda: &Arc<Lambda>,
    scope: Scope,
    key: Vec<u8>,
    raw: Vec<u8>,
    event: QueuedEvent,
) -> Result<Claim> {
    let ctx = context(lambda, &scope, &event.id);
    let cx = Cx {
        lambda,
        scope: scope.clone(),
        ctx: &ctx,
    };
    let (function, config) = match select(&cx, &event.function_name, event.qualifier.as_deref())
        .await
    {
        Ok(s) => s,
        Err(LambdaError::NotFound(msg)) => {
            tracing::warn!(request_id = %event.id, %msg, "queued event dropped: its function is gone");
            let mut b = WriteBatch::new();
            b.require_equals(store::EVENTS, key.clone(), raw);
            b.delete(store::EVENTS, key);
            commit_or_skip(lambda, b).await?;
            return Ok(Claim::Skipped);
        }
        Err(e) => return Err(e),
    };
    let qualifier = event.qualifier.as_deref().unwrap_or("$LATEST");
    let eic = function.event_invoke_configs.get(qualifier).cloned();
    let policy = Policy {
        max_retries: eic
            .as_ref()
            .and_then(|c| c.maximum_retry_attempts)
            .unwrap_or(DEFAULT_MAX_RETRIES),
        max_age_ms: u64::from(
            eic.as_ref()
                .and_then(|c| c.maximum_event_age_in_seconds)
                .unwrap_or(DEFAULT_MAX_AGE_SECS),
        ) * 1000,
        config: eic,
    };
    let now = lamina_core::now_epoch_millis();
    let expired = now.saturating_sub(event.received) > policy.max_age_ms;
    let permit = if expired {
        None
    } else {
        match lambda.acquire(&scope, &function).await {
            Ok(p) => Some(p),
            Err(LambdaError::Throttled { .. }) => return Ok(Claim::Throttled),
            Err(e) => return Err(e),
        }
    };
    let mut claimed = event.clone();
    if !expired {
        claimed.attempts += 1;
    }
    // The run may take the init phase, then the timeout; only then is the claim stale.
    let lease = INIT_ALLOWANCE
        + Duration::from_secs(u64::from(config.timeout))
        + lambda.config.async_lease_margin;
    let lease_key = scope.key(&[&store::pad(now + lease.as_millis() as u64), &claimed.id]);
    let lease_raw = store::encode(&claimed)?;
    let mut b = WriteBatch::new();
    b.require_equals(store::EVENTS, key.clone(), raw);
    b.delete(store::EVENTS, key);
    b.put(store::EVENTS, lease_key.clone(), lease_raw.clone());
    if !commit_or_skip(lambda, b).await? {
        return Ok(Claim::Skipped);
    }
    let leased = Leased {
        scope,
        key: lease_key,
        raw: lease_raw,
        event: claimed,
        config,
        policy,
    };
    let lambda = lambda.clone();
    tokio::spawn(async move {
        let id = leased.event.id.clone();
        let result = match permit {
            None => fail(&lambda, leased, Condition::EventAgeExceeded, None).await,
            Some(permit) => {
                let response = execute(&lambda, &leased).await;
                drop(permit);
                if lambda.runtime.stopping() {
                    // cut short by the shutdown: the lease brings it back
                    return;
                }
                finish(&lambda, leased, response).await
            }
        };
        if let Err(e) = result {
            tracing::warn!(request_id = %id, error = %e, "finishing a lambda event failed");
        }
    });
    Ok(Claim::Started)
}

/// Commits; `false` when another worker changed the event first.
async fn commit_or_skip(lambda: &Lambda, b: WriteBatch) -> Result<bool> {
    match lambda.store.commit(b).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// One attempt in a sandbox, with the event's id as the request id (as AWS keeps it across
/// retries).
async fn execute(lambda: &Lambda, l: &Leased) -> Response {
    let payload = B64
        .decode(&l.event.payload)
        .map(Bytes::from)
        .unwrap_or_default();
    let run = async {
        let spec = spec(lambda, &l.scope, &l.config, l.event.qualifier.as_deref()).await?;
        let input = InvokeInput {
            request_id: l.event.id.clone(),
            payload,
            client_context: None,
            tail_logs: false,
        };
        lambda.sandboxes.invoke(&spec, input).await
    };
    match run.await {
        Ok(o) => Response {
            status: 200,
            payload: o.payload,
            function_error: o.function_error,
            executed_version: l.config.version.clone(),
        },
        Err(e) => {
            tracing::warn!(request_id = %l.event.id, error = %e, "asynchronous invocation could not run");
            Response {
                status: 500,
                payload: Bytes::from(
                    json!({ "errorMessage": "An error occurred while running the function", "errorType": "ServiceException" })
                        .to_string(),
                ),
                function_error: Some("Unhandled".into()),
                executed_version: l.config.version.clone(),
            }
        }
    }
}

fn function_arn(l: &Leased) -> String {
    format!(
        "{}:{}",
        l.scope.function_arn(&l.event.function_name),
        l.event.qualifier.as_deref().unwrap_or("$LATEST")
    )
}

fn payload_of(e: &QueuedEvent) -> Vec<u8> {
    B64.decode(&e.payload).unwrap_or_default()
}

async fn finish(lambda: &Lambda, l: Leased, response: Response) -> Result<()> {
    if response.function_error.is_none() {
        if let Some(target) = l.policy.destination("OnSuccess") {
            let record = records::destination_record(
                Condition::Success,
                &l.event.id,
                &function_arn(&l),
                l.event.attempts,
                &payload_of(&l.event),
                Some(&response),
            );
            if let Err(e) =
                records::deliver(lambda, &target, record.to_string(), Default::default()).await
            {
                tracing::warn!(request_id = %l.event.id, %target, error = %e, "OnSuccess destination not reached");
            }
        }
        let mut b = WriteBatch::new();
        b.require_equals(store::EVENTS, l.key.clone(), l.raw);
        b.delete(store::EVENTS, l.key);
        commit_or_skip(lambda, b).await?;
        return Ok(());
    }
    if l.event.attempts <= l.policy.max_retries {
        let delays = &lambda.config.async_retry_delays;
        let i = (l.event.attempts as usize).saturating_sub(1);
        let delay = delays.get(i).or(delays.last()).copied().unwrap_or_default();
        let due = lamina_core::now_epoch_millis() + delay.as_millis() as u64;
        let mut b = WriteBatch::new();
        b.require_equals(store::EVENTS, l.key.clone(), l.raw.clone());
        b.delete(store::EVENTS, l.key);
        b.put(
            store::EVENTS,
            l.scope.key(&[&store::pad(due), &l.event.id]),
            l.raw,
        );
        commit_or_skip(lambda, b).await?;
        return Ok(());
    }
    fail(lambda, l, Condition::RetriesExhausted, Some(response)).await
}

/// Hands a failed event to its OnFailure destination, else the dead-letter target, else keeps
/// it in `lambda.failed`; then ends the lease.
async fn fail(
    lambda: &Lambda,
    l: Leased,
    condition: Condition,
    response: Option<Response>,
) -> Result<()> {
    let payload = payload_of(&l.event);
    let record = records::destination_record(
        condition,
        &l.event.id,
        &function_arn(&l),
        l.event.attempts,
        &payload,
        response.as_ref(),
    );
    let (target, delivered) = if let Some(t) = l.policy.destination("OnFailure") {
        let r = records::deliver(lambda, &t, record.to_string(), Default::default()).await;
        (Some(t), r)
    } else if let Some(t) = l.config.dead_letter_target.clone() {
        let attributes = records::dead_letter_attributes(&l.event.id, response.as_ref());
        let body = String::from_utf8_lossy(&payload).into_owned();
        let r = records::deliver(lambda, &t, body, attributes).await;
        (Some(t), r)
    } else {
        (None, Err(String::new()))
    };
    let mut b = WriteBatch::new();
    b.require_equals(store::EVENTS, l.key.clone(), l.raw);
    b.delete(store::EVENTS, l.key);
    if let Err(e) = delivered {
        let now = lamina_core::now_epoch_millis();
        if target.is_some() {
            tracing::warn!(request_id = %l.event.id, target = ?target, error = %e, "failed event kept: its destination was not reached");
        }
        let failed = FailedEvent {
            v: model::FORMAT,
            request_id: l.event.id.clone(),
            function_name: l.event.function_name.clone(),
            qualifier: l.event.qualifier.clone(),
            condition: condition.as_str().into(),
            approximate_invoke_count: l.event.attempts,
            failed_at: now,
            delivery_error: target.as_ref().map(|_| e),
            target,
            record,
        };
        b.put(
            records::FAILED,
            records::failed_key(&l.scope, now, &l.event.id),
            store::encode(&failed)?,
        );
    }
    commit_or_skip(lambda, b).await?;
    Ok(())
}
