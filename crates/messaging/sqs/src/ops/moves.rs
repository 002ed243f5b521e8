//! Message move tasks: redrive messages out of a dead-letter queue, back to the queues they
//! came from or to a destination, at a rate. Start records the task; the background task
//! ([`run_tasks`]) moves messages in atomic batches, so a restart resumes where it stopped.

use super::{parse_arn, retry};
use crate::Sqs;
use crate::attributes::parse_redrive;
use crate::error::{Result, SqsError};
use crate::now_ms;
use crate::store::{
    self, Loaded, MessageRecord, QueueRecord, Scope, TASKS, TaskRecord, decode, encode,
};
use crate::types::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lamina_storage::{Direction, Range, WriteBatch};
use serde_json::{Value, json};

/// The most messages a task moves per second when no rate is given.
const DEFAULT_RATE: u64 = 500;

fn handle(id: &str, source_arn: &str) -> String {
    STANDARD.encode(json!({"taskId": id, "sourceArn": source_arn}).to_string())
}

async fn queue_by_arn(sqs: &Sqs, arn: &str) -> Result<Option<(Scope, QueueRecord)>> {
    let Some((scope, name)) = parse_arn(arn) else {
        return Ok(None);
    };
    Ok(sqs
        .table
        .queue(&scope, &name)
        .await?
        .map(|q| (scope, q.rec)))
}

async fn tasks(sqs: &Sqs, scope: &Scope, source: &str) -> Result<Vec<Loaded<TaskRecord>>> {
    let entries = sqs
        .table
        .store
        .scan(
            TASKS,
            Range::prefix(&store::tasks_prefix(scope, source)),
            Direction::Reverse,
            0,
        )
        .await?;
    entries
        .into_iter()
        .map(|(key, raw)| {
            Ok(Loaded {
                rec: decode(&raw)?,
                key,
                raw,
            })
        })
        .collect()
}

pub async fn start(
    sqs: &Sqs,
    req: StartMessageMoveTaskRequest,
) -> Result<StartMessageMoveTaskResult> {
    let Some((scope, source)) = queue_by_arn(sqs, &req.source_arn).await? else {
        return Err(SqsError::ResourceNotFound(
            "The resource that you specified for the SourceArn parameter doesn't exist.".into(),
        ));
    };
    let is_dlq = sqs.table.queues(&scope, "").await?.iter().any(|q| {
        q.attributes
            .get("RedrivePolicy")
            .and_then(|p| parse_redrive(p).ok())
            .is_some_and(|p| p.dead_letter_target_arn == req.source_arn)
    });
    if !is_dlq {
        return Err(SqsError::InvalidParameterValue(
            "Source queue must be configured as a Dead Letter Queue.".into(),
        ));
    }
    if let Some(d) = &req.destination_arn
        && queue_by_arn(sqs, d).await?.is_none()
    {
        return Err(SqsError::ResourceNotFound(
            "The resource that you specified for the DestinationArn parameter doesn't exist."
                .into(),
        ));
    }
    let rate = match req.max_number_of_messages_per_second {
        None => None,
        Some(n) if (1..=500).contains(&n) => Some(n as u64),
        Some(n) => {
            return Err(SqsError::invalid(
                n,
                "MaxNumberOfMessagesPerSecond",
                "Must be an integer between 1 and 500.",
            ));
        }
    };
    let existing = tasks(sqs, &scope, &source.name).await?;
    if existing.iter().any(|t| t.rec.status == "RUNNING") {
        return Err(SqsError::UnsupportedOperation(
            "There is already a task running. Only one active task is allowed for a source queue arn at a given time.".into(),
        ));
    }
    let to_move = sqs.table.messages(&scope, &source.id, None, 0).await?.len() as u64;
    let started = now_ms();
    let id = lamina_core::new_request_id();
    let rec = TaskRecord {
        v: store::FORMAT,
        id: id.clone(),
        source_arn: req.source_arn.clone(),
        destination_arn: req.destination_arn.clone(),
        rate,
        status: "RUNNING".into(),
        moved: 0,
        to_move,
        started,
        failure: None,
    };
    let key = store::task_key(&scope, &source.name, started, &id);
    let mut b = WriteBatch::new();
    b.require_absent(TASKS, key.clone());
    b.put(TASKS, key, encode(&rec)?);
    sqs.table.commit(b).await?;
    Ok(StartMessageMoveTaskResult {
        task_handle: handle(&id, &req.source_arn),
    })
}

pub async fn list(
    sqs: &Sqs,
    req: ListMessageMoveTasksRequest,
) -> Result<ListMessageMoveTasksResult> {
    let max = match req.max_results {
        None => 1,
        Some(n) if (1..=10).contains(&n) => n as usize,
        Some(n) => {
            return Err(SqsError::invalid(
                n,
                "MaxResults",
                "Must be an integer between 1 and 10.",
            ));
        }
    };
    let Some((scope, source)) = queue_by_arn(sqs, &req.source_arn).await? else {
        return Err(SqsError::ResourceNotFound(
            "The resource that you specified for the SourceArn parameter doesn't exist.".into(),
        ));
    };
    let results = tasks(sqs, &scope, &source.name)
        .await?
        .into_iter()
        .take(max)
        .map(|t| {
            let t = t.rec;
            ListMessageMoveTasksResultEntry {
                task_handle: (t.status == "RUNNING").then(|| handle(&t.id, &t.source_arn)),
                status: t.status,
                source_arn: t.source_arn,
                destination_arn: t.destination_arn,
                max_number_of_messages_per_second: t.rate.map(|r| r as i64),
                approximate_number_of_messages_moved: t.moved as i64,
                approximate_number_of_messages_to_move: Some(t.to_move as i64),
                failure_reason: t.failure,
                started_timestamp: t.started as i64,
            }
        })
        .collect();
    Ok(ListMessageMoveTasksResult { results })
}

pub async fn cancel(
    sqs: &Sqs,
    req: CancelMessageMoveTaskRequest,
) -> Result<CancelMessageMoveTaskResult> {
    let missing = || SqsError::ResourceNotFound("Task does not exist.".into());
    let raw = STANDARD.decode(&req.task_handle).map_err(|_| missing())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| missing())?;
    let (Some(id), Some(arn)) = (v["taskId"].as_str(), v["sourceArn"].as_str()) else {
        return Err(missing());
    };
    let (scope, name) = parse_arn(arn).ok_or_else(missing)?;
    retry(|| async {
        let t = tasks(sqs, &scope, &name)
            .await?
            .into_iter()
            .find(|t| t.rec.id == id && t.rec.status == "RUNNING")
            .ok_or_else(missing)?;
        let mut rec = t.rec.clone();
        rec.status = "CANCELLED".into();
        let mut b = WriteBatch::new();
        b.require_equals(TASKS, t.key.clone(), t.raw.clone());
        b.put(TASKS, t.key.clone(), encode(&rec)?);
        sqs.table.commit(b).await?;
        Ok(CancelMessageMoveTaskResult {
            approximate_number_of_messages_moved: rec.moved as i64,
        })
    })
    .await
}

/// One step of every running task: moves up to `rate × seconds` messages each.
pub async fn run_tasks(sqs: &Sqs, seconds: u64) -> Result<()> {
    let entries = sqs
        .table
        .store
        .scan(TASKS, Range::all(), Direction::Forward, 0)
        .await?;
    for (key, raw) in entries {
        let task: TaskRecord = decode(&raw)?;
        if task.status != "RUNNING" {
            continue;
        }
        let t = Loaded {
            key,
            raw,
            rec: task,
        };
        if let Err(e) = step(sqs, &t, seconds).await {
            if e.is_conflict() {
                continue; // cancelled or stepped concurrently; next tick
            }
            return Err(e);
        }
    }
    Ok(())
}

async fn step(sqs: &Sqs, t: &Loaded<TaskRecord>, seconds: u64) -> Result<()> {
    let mut rec = t.rec.clone();
    let budget = (rec.rate.unwrap_or(DEFAULT_RATE) * seconds.max(1)) as usize;
    let mut b = WriteBatch::new();
    b.require_equals(TASKS, t.key.clone(), t.raw.clone());
    let Some((scope, source)) = queue_by_arn(sqs, &rec.source_arn).await? else {
        rec.status = "FAILED".into();
        rec.failure = Some("AWS.SimpleQueueService.NonExistentQueue".into());
        b.put(TASKS, t.key.clone(), encode(&rec)?);
        return sqs.table.commit(b).await;
    };
    // Sequence numbers are `ms × 1000 + n`: everything written up to the end of the
    // millisecond the task started is moved (a message that reached the DLQ in that same
    // millisecond was missed before).
    let cutoff = rec.started.saturating_add(1).saturating_mul(1000);
    let eligible: Vec<Loaded<MessageRecord>> = sqs
        .table
        .messages(&scope, &source.id, None, 0)
        .await?
        .into_iter()
        .filter(|m| m.rec.seq < cutoff)
        .collect();
    let mut woken = Vec::new();
    for m in eligible.iter().take(budget) {
        let dest_arn = rec
            .destination_arn
            .clone()
            .or_else(|| m.rec.dlq_source.clone());
        let dest = match &dest_arn {
            Some(a) => queue_by_arn(sqs, a).await?,
            None => None,
        };
        let Some((dscope, dq)) = dest else {
            rec.status = "FAILED".into();
            rec.failure = Some("CouldNotDetermineMessageSource".into());
            break;
        };
        let now = now_ms();
        let mut moved = m.rec.clone();
        moved.seq = sqs.next_seq();
        moved.receive_count = 0;
        moved.receive_id = None;
        moved.first_receive = None;
        moved.visible_at = now;
        moved.dlq_source = None;
        if dq.fifo() {
            moved.sequence = Some(format!("{:020}", moved.seq));
        }
        store::delete_message(&mut b, &scope, &source.id, m);
        store::put_message(
            &mut b,
            &dscope,
            &dq.id,
            if dq.fifo() { 0 } else { now },
            &moved,
        )?;
        rec.moved += 1;
        woken.push(dq.id.clone());
    }
    if rec.status == "RUNNING" && eligible.len() <= budget {
        rec.status = "COMPLETED".into();
    }
    b.put(TASKS, t.key.clone(), encode(&rec)?);
    sqs.table.commit(b).await?;
    for q in woken {
        sqs.wake(&q);
    }
    Ok(())
}
