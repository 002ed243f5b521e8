//! Queue lifecycle: create, look up, list, attributes, delete, purge, tags, permissions,
//! dead-letter sources.

use super::{Call, parse_arn, queue_url, resolve, retry};
use crate::attributes::{self, check, check_name, parse_redrive, wants_fifo};
use crate::error::{Result, SqsError};
use crate::store::{
    self, ATTEMPTS, DEDUP, DELETED, DeletedRecord, INDEX, MESSAGES, QUEUES, QueueRecord, Scope,
    decode, encode,
};
use crate::types::*;
use crate::{Sqs, now_ms};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lamina_storage::{Direction, Range, WriteBatch};
use serde_json::{Value, json};

/// Checks a RedrivePolicy's target: it must exist and be of the source's type.
async fn check_dead_letter_target(sqs: &Sqs, value: &str, fifo: bool) -> Result<()> {
    if value.is_empty() {
        return Ok(());
    }
    let policy = parse_redrive(value)?;
    let bad = |reason: &str| SqsError::invalid(value, "RedrivePolicy", reason);
    let Some((scope, name)) = parse_arn(&policy.dead_letter_target_arn) else {
        return Err(bad("Dead-letter target does not exist."));
    };
    let Some(target) = sqs.table.queue(&scope, &name).await? else {
        return Err(bad("Dead-letter target does not exist."));
    };
    if target.rec.fifo() != fifo {
        return Err(bad(
            "Dead-letter queue must be same type of queue as the source.",
        ));
    }
    Ok(())
}

/// Checks the attributes of a create or set call; returns them normalized.
async fn checked(sqs: &Sqs, given: &Attrs, fifo: bool) -> Result<Attrs> {
    let mut out = Attrs::new();
    for (k, v) in given {
        let v = check(k, v, fifo)?;
        if k == "RedrivePolicy" {
            check_dead_letter_target(sqs, &v, fifo).await?;
        }
        out.insert(k.clone(), v);
    }
    Ok(out)
}

pub async fn create(sqs: &Sqs, call: &Call<'_>, req: CreateQueueRequest) -> Result<QueueUrlResult> {
    let given = req.attributes.unwrap_or_default();
    let fifo = wants_fifo(&given);
    check_name(&req.queue_name, fifo)?;
    let attrs = checked(sqs, &given, fifo).await?;
    let scope = &call.scope;
    let url = queue_url(call.endpoint, scope, &req.queue_name);
    retry(|| async {
        if let Some(existing) = sqs.table.queue(scope, &req.queue_name).await? {
            for (k, v) in &attrs {
                let have = existing.rec.attributes.get(k).map(String::as_str);
                let have = have.unwrap_or(if k == "FifoQueue" { "false" } else { "" });
                if have != v {
                    return Err(SqsError::QueueNameExists(k.clone()));
                }
            }
            return Ok(QueueUrlResult {
                queue_url: url.clone(),
            });
        }
        let key = store::queue_key(scope, &req.queue_name);
        let tombstone = sqs.table.store.get(DELETED, &key).await?;
        if let Some(raw) = &tombstone {
            let rec: DeletedRecord = decode(raw)?;
            if now_ms() < rec.deleted_at + DELETED_RECENTLY_MS {
                return Err(SqsError::QueueDeletedRecently);
            }
        }
        let mut all = attributes::defaults(fifo);
        if attrs.contains_key("KmsMasterKeyId") {
            all.insert("SqsManagedSseEnabled".into(), "false".into());
            all.insert("KmsDataKeyReusePeriodSeconds".into(), "300".into());
        }
        all.extend(attrs.clone());
        let now = (now_ms() / 1000) as i64;
        let rec = QueueRecord {
            v: store::FORMAT,
            name: req.queue_name.clone(),
            id: hex::encode(lamina_core::random_bytes::<8>()),
            created: now,
            modified: now,
            attributes: all,
            tags: req.tags.clone().unwrap_or_default(),
            purged_at: None,
        };
        let mut b = WriteBatch::new();
        b.require_absent(QUEUES, key.clone());
        if let Some(raw) = tombstone {
            b.require_equals(DELETED, key.clone(), raw);
            b.delete(DELETED, key.clone());
        }
        b.put(QUEUES, key, encode(&rec)?);
        sqs.table.commit(b).await?;
        Ok(QueueUrlResult {
            queue_url: url.clone(),
        })
    })
    .await
}

/// How long a deleted queue's name stays unavailable (AWS: "You must wait 60 seconds").
pub const DELETED_RECENTLY_MS: u64 = 60_000;

pub async fn get_url(
    sqs: &Sqs,
    call: &Call<'_>,
    req: GetQueueUrlRequest,
) -> Result<QueueUrlResult> {
    let scope = Scope {
        account: req
            .queue_owner_aws_account_id
            .unwrap_or_else(|| call.scope.account.clone()),
        region: call.scope.region.clone(),
    };
    match sqs.table.queue(&scope, &req.queue_name).await? {
        Some(_) => Ok(QueueUrlResult {
            queue_url: queue_url(call.endpoint, &scope, &req.queue_name),
        }),
        None => Err(SqsError::QueueDoesNotExist),
    }
}

fn page(
    names: Vec<String>,
    max: Option<i64>,
    token: Option<&str>,
) -> Result<(Vec<String>, Option<String>)> {
    let max = match max {
        None => None,
        Some(n) if (1..=1000).contains(&n) => Some(n as usize),
        Some(n) => {
            return Err(SqsError::invalid(
                n,
                "MaxResults",
                "MaxResults must be an integer between 1 and 1000.",
            ));
        }
    };
    let after = match token {
        Some(t) => {
            let bad = || SqsError::invalid(t, "NextToken", "Invalid NextToken value.");
            let raw = STANDARD.decode(t).map_err(|_| bad())?;
            Some(String::from_utf8(raw).map_err(|_| bad())?)
        }
        None => None,
    };
    let mut rest: Vec<String> = names
        .into_iter()
        .filter(|n| after.as_ref().is_none_or(|a| n > a))
        .collect();
    let limit = max.unwrap_or(1000);
    let more = rest.len() > limit;
    rest.truncate(limit);
    let next = (more && max.is_some())
        .then(|| rest.last().map(|l| STANDARD.encode(l)))
        .flatten();
    Ok((rest, next))
}

pub async fn list(sqs: &Sqs, call: &Call<'_>, req: ListQueuesRequest) -> Result<ListQueuesResult> {
    let prefix = req.queue_name_prefix.unwrap_or_default();
    let names = sqs
        .table
        .queues(&call.scope, &prefix)
        .await?
        .into_iter()
        .map(|q| q.name)
        .collect();
    let (names, next) = page(names, req.max_results, req.next_token.as_deref())?;
    Ok(ListQueuesResult {
        queue_urls: names
            .iter()
            .map(|n| queue_url(call.endpoint, &call.scope, n))
            .collect(),
        next_token: next,
    })
}

/// The message counts GetQueueAttributes reports: visible, in flight, delayed.
pub async fn counts(sqs: &Sqs, scope: &Scope, q: &QueueRecord) -> Result<(u64, u64, u64)> {
    let now = now_ms();
    let (mut visible, mut in_flight, mut delayed) = (0, 0, 0);
    for m in sqs.table.messages(scope, &q.id, None, 0).await? {
        if m.rec.visible_at <= now {
            visible += 1;
        } else if m.rec.receive_id.is_some() {
            in_flight += 1;
        } else {
            delayed += 1;
        }
    }
    Ok((visible, in_flight, delayed))
}

pub async fn get_attributes(
    sqs: &Sqs,
    call: &Call<'_>,
    req: GetQueueAttributesRequest,
) -> Result<GetQueueAttributesResult> {
    let (scope, q) = resolve(sqs, call, &req.queue_url).await?;
    let names = req.attribute_names.unwrap_or_default();
    for n in &names {
        if n != "All" && !attributes::readable(n) {
            return Err(attributes::unknown(n));
        }
    }
    let all = names.iter().any(|n| n == "All");
    let wanted = |n: &str| all || names.iter().any(|x| x == n);
    let q = q.rec;
    let mut out = Attrs::new();
    for (k, v) in &q.attributes {
        if wanted(k) && !v.is_empty() {
            out.insert(k.clone(), v.clone());
        }
    }
    if [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    .iter()
    .any(|n| wanted(n))
    {
        let (visible, in_flight, delayed) = counts(sqs, &scope, &q).await?;
        for (k, v) in [
            ("ApproximateNumberOfMessages", visible),
            ("ApproximateNumberOfMessagesNotVisible", in_flight),
            ("ApproximateNumberOfMessagesDelayed", delayed),
        ] {
            if wanted(k) {
                out.insert(k.into(), v.to_string());
            }
        }
    }
    for (k, v) in [
        ("CreatedTimestamp", q.created.to_string()),
        ("LastModifiedTimestamp", q.modified.to_string()),
        ("QueueArn", scope.arn(&q.name)),
    ] {
        if wanted(k) {
            out.insert(k.into(), v);
        }
    }
    Ok(GetQueueAttributesResult { attributes: out })
}

/// Reads, changes and writes a queue record under "unchanged since read", retrying.
async fn update<F>(sqs: &Sqs, call: &Call<'_>, url: &str, mut f: F) -> Result<()>
where
    F: FnMut(&Scope, &mut QueueRecord) -> Result<()>,
{
    let mut attempt = 0u32;
    loop {
        let (scope, q) = resolve(sqs, call, url).await?;
        let mut rec = q.rec.clone();
        f(&scope, &mut rec)?;
        let mut b = WriteBatch::new();
        b.require_equals(QUEUES, q.key.clone(), q.raw.clone());
        b.put(QUEUES, q.key, encode(&rec)?);
        match sqs.table.commit(b).await {
            Err(e) if e.is_conflict() && attempt < 64 => attempt += 1,
            other => return other,
        }
    }
}

pub async fn set_attributes(
    sqs: &Sqs,
    call: &Call<'_>,
    req: SetQueueAttributesRequest,
) -> Result<()> {
    let (_, q) = resolve(sqs, call, &req.queue_url).await?;
    let attrs = checked(sqs, &req.attributes, q.rec.fifo()).await?;
    update(sqs, call, &req.queue_url, |_, rec| {
        for (k, v) in &attrs {
            rec.attributes.insert(k.clone(), v.clone());
        }
        rec.modified = (now_ms() / 1000) as i64;
        Ok(())
    })
    .await
}

/// Deletes every message (and index and dedup entry) of queue id `qid`, in chunks.
pub async fn delete_contents(sqs: &Sqs, scope: &Scope, qid: &str, dedup_too: bool) -> Result<u64> {
    let mut deleted = 0;
    let trees: &[&str] = if dedup_too {
        &[MESSAGES, INDEX, DEDUP, ATTEMPTS]
    } else {
        &[MESSAGES, INDEX, ATTEMPTS]
    };
    for tree in trees {
        loop {
            let keys = sqs
                .table
                .store
                .scan(
                    tree,
                    Range::prefix(&store::messages_prefix(scope, qid)),
                    Direction::Forward,
                    500,
                )
                .await?;
            if keys.is_empty() {
                break;
            }
            let mut b = WriteBatch::new();
            for (k, _) in &keys {
                b.delete(tree, k.clone());
            }
            if *tree == MESSAGES {
                deleted += keys.len() as u64;
            }
            sqs.table.commit(b).await?;
        }
    }
    Ok(deleted)
}

pub async fn delete(sqs: &Sqs, call: &Call<'_>, req: QueueRequest) -> Result<()> {
    let mut attempt = 0u32;
    let (scope, q) = loop {
        let (scope, q) = resolve(sqs, call, &req.queue_url).await?;
        let mut b = WriteBatch::new();
        b.require_equals(QUEUES, q.key.clone(), q.raw.clone());
        b.delete(QUEUES, q.key.clone());
        b.put(
            DELETED,
            q.key.clone(),
            encode(&DeletedRecord {
                v: store::FORMAT,
                deleted_at: now_ms(),
            })?,
        );
        // On a conflict (a concurrent delete or attribute change) resolve again: a queue
        // deleted meanwhile answers QueueDoesNotExist, as AWS does.
        match sqs.table.commit(b).await {
            Err(e) if e.is_conflict() && attempt < 64 => attempt += 1,
            Err(e) => return Err(e),
            Ok(()) => break (scope, q),
        }
    };
    delete_contents(sqs, &scope, &q.rec.id, true).await?;
    sqs.wake(&q.rec.id);
    Ok(())
}

pub async fn purge(sqs: &Sqs, call: &Call<'_>, req: QueueRequest) -> Result<()> {
    let now = now_ms();
    let mut qid = String::new();
    let mut scope = call.scope.clone();
    update(sqs, call, &req.queue_url, |s, rec| {
        if rec.purged_at.is_some_and(|t| now < t + 60_000) {
            return Err(SqsError::PurgeQueueInProgress(rec.name.clone()));
        }
        rec.purged_at = Some(now);
        qid = rec.id.clone();
        scope = s.clone();
        Ok(())
    })
    .await?;
    delete_contents(sqs, &scope, &qid, false).await?;
    Ok(())
}

pub async fn tag(sqs: &Sqs, call: &Call<'_>, req: TagQueueRequest) -> Result<()> {
    update(sqs, call, &req.queue_url, |_, rec| {
        rec.tags.extend(req.tags.clone());
        if rec.tags.len() > 50 {
            return Err(SqsError::InvalidParameterValue(format!(
                "Too many tags added for queue {}.",
                rec.name
            )));
        }
        Ok(())
    })
    .await
}

pub async fn untag(sqs: &Sqs, call: &Call<'_>, req: UntagQueueRequest) -> Result<()> {
    update(sqs, call, &req.queue_url, |_, rec| {
        for k in &req.tag_keys {
            rec.tags.remove(k);
        }
        Ok(())
    })
    .await
}

pub async fn list_tags(
    sqs: &Sqs,
    call: &Call<'_>,
    req: QueueRequest,
) -> Result<ListQueueTagsResult> {
    let (_, q) = resolve(sqs, call, &req.queue_url).await?;
    Ok(ListQueueTagsResult { tags: q.rec.tags })
}

fn policy_of(rec: &QueueRecord) -> Option<Value> {
    rec.attributes
        .get("Policy")
        .filter(|p| !p.is_empty())
        .and_then(|p| serde_json::from_str(p).ok())
}

pub async fn add_permission(sqs: &Sqs, call: &Call<'_>, req: AddPermissionRequest) -> Result<()> {
    update(sqs, call, &req.queue_url, |scope, rec| {
        let arn = scope.arn(&rec.name);
        let mut policy = policy_of(rec).unwrap_or_else(|| {
            json!({"Version": "2012-10-17", "Id": format!("{arn}/SQSDefaultPolicy"), "Statement": []})
        });
        let statements = policy
            .get_mut("Statement")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| SqsError::InvalidParameterValue("The queue policy is not valid.".into()))?;
        if statements.iter().any(|s| s["Sid"] == req.label.as_str()) {
            return Err(SqsError::invalid(&req.label, "Label", "Already exists."));
        }
        let principals: Vec<String> = req
            .aws_account_ids
            .iter()
            .map(|a| format!("arn:aws:iam::{a}:root"))
            .collect();
        let actions: Vec<String> = req.actions.iter().map(|a| format!("SQS:{a}")).collect();
        let one_or_many = |v: Vec<String>| {
            if v.len() == 1 { json!(v[0]) } else { json!(v) }
        };
        statements.push(json!({
            "Sid": req.label,
            "Effect": "Allow",
            "Principal": {"AWS": one_or_many(principals)},
            "Action": one_or_many(actions),
            "Resource": arn,
        }));
        rec.attributes.insert("Policy".into(), policy.to_string());
        Ok(())
    })
    .await
}

pub async fn remove_permission(
    sqs: &Sqs,
    call: &Call<'_>,
    req: RemovePermissionRequest,
) -> Result<()> {
    update(sqs, call, &req.queue_url, |_, rec| {
        let missing =
            || SqsError::invalid(&req.label, "Label", "can't find label on existing policy.");
        let mut policy = policy_of(rec).ok_or_else(missing)?;
        let statements = policy
            .get_mut("Statement")
            .and_then(Value::as_array_mut)
            .ok_or_else(missing)?;
        let before = statements.len();
        statements.retain(|s| s["Sid"] != req.label.as_str());
        if statements.len() == before {
            return Err(missing());
        }
        let value = if statements.is_empty() {
            String::new()
        } else {
            policy.to_string()
        };
        rec.attributes.insert("Policy".into(), value);
        Ok(())
    })
    .await
}

pub async fn dead_letter_sources(
    sqs: &Sqs,
    call: &Call<'_>,
    req: ListDeadLetterSourceQueuesRequest,
) -> Result<ListDeadLetterSourceQueuesResult> {
    let (scope, q) = resolve(sqs, call, &req.queue_url).await?;
    let arn = scope.arn(&q.rec.name);
    let names = sqs
        .table
        .queues(&scope, "")
        .await?
        .into_iter()
        .filter(|s| {
            s.attributes
                .get("RedrivePolicy")
                .and_then(|p| parse_redrive(p).ok())
                .is_some_and(|p| p.dead_letter_target_arn == arn)
        })
        .map(|s| s.name)
        .collect();
    let (names, next) = page(names, req.max_results, req.next_token.as_deref())?;
    Ok(ListDeadLetterSourceQueuesResult {
        queue_urls: names
            .iter()
            .map(|n| queue_url(call.endpoint, &scope, n))
            .collect(),
        next_token: next,
    })
}
