//! Log groups: create, delete, describe, retention.

use super::{decode_token, encode_token, name_from_identifier};
use crate::error::{LogsError, Result};
use crate::logs::Logs;
use crate::store::{self, EVENTS, GROUPS, GroupRecord, STREAMS, Scope};
use crate::types::*;
use lamina_storage::{Direction, Range, WriteBatch};
use std::collections::BTreeSet;

/// The retention periods AWS accepts, in days.
pub const RETENTION_DAYS: &[i32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];
const MAX_TAGS: usize = 50;

pub async fn create(l: &Logs, s: &Scope, req: CreateLogGroupRequest) -> Result<()> {
    let mut rec = GroupRecord::new(&req.log_group_name, store::now_millis());
    rec.kms_key_id = req.kms_key_id;
    if let Some(c) = req.log_group_class {
        rec.log_group_class = c;
    }
    rec.deletion_protection = req.deletion_protection_enabled.unwrap_or(false);
    rec.tags = req.tags.unwrap_or_default();
    if rec.tags.len() > MAX_TAGS {
        return Err(LogsError::TooManyTags(
            "A resource can have no more than 50 tags.".into(),
        ));
    }
    let k = s.group_key(&req.log_group_name);
    let mut b = WriteBatch::new();
    b.require_absent(GROUPS, k.clone())
        .put(GROUPS, k, store::encode(&rec)?);
    match l.store.commit(b).await {
        Ok(()) => Ok(()),
        Err(lamina_storage::StoreError::Conflict { .. }) => Err(LogsError::GroupExists),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(l: &Logs, s: &Scope, req: DeleteLogGroupRequest) -> Result<()> {
    let name = &req.log_group_name;
    let g = store::require_group(l.store.as_ref(), s, name).await?;
    if g.deletion_protection {
        return Err(LogsError::Validation(
            "Log group deletion is protected. Disable deletion protection before deleting the log group.".into(),
        ));
    }
    let k = s.group_key(name);
    let mut b = WriteBatch::new();
    b.require_exists(GROUPS, k.clone()).delete(GROUPS, k);
    match l.store.commit(b).await {
        Ok(()) => {}
        Err(lamina_storage::StoreError::Conflict { .. }) => return Err(LogsError::GroupNotFound),
        Err(e) => return Err(e.into()),
    }
    // The group is gone for every reader; its streams and events follow in chunks.
    let prefix = s.group_prefix(name);
    store::delete_prefix(l.store.as_ref(), STREAMS, &prefix).await?;
    store::delete_prefix(l.store.as_ref(), EVENTS, &prefix).await?;
    Ok(())
}

pub async fn describe(
    l: &Logs,
    s: &Scope,
    req: DescribeLogGroupsRequest,
) -> Result<DescribeLogGroupsResponse> {
    if req.log_group_name_prefix.is_some() && req.log_group_name_pattern.is_some() {
        return Err(LogsError::InvalidParameter(
            "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.".into(),
        ));
    }
    if req.log_group_identifiers.is_some()
        && (req.log_group_name_prefix.is_some() || req.log_group_name_pattern.is_some())
    {
        return Err(LogsError::InvalidParameter(
            "LogGroupIdentifiers and LogGroupNamePrefix/LogGroupNamePattern are mutually exclusive parameters.".into(),
        ));
    }
    let limit = req.limit.unwrap_or(50).clamp(1, 50);
    let base = s.groups_prefix();
    let mut start = base.clone();
    if let Some(p) = &req.log_group_name_prefix {
        start.extend_from_slice(p.as_bytes());
    }
    let range = match &req.next_token {
        Some(t) => {
            let after = s.group_key(&String::from_utf8_lossy(&decode_token(t)?));
            let end = Range::prefix(&start).end;
            Range {
                start: std::ops::Bound::Excluded(after),
                end,
            }
        }
        None => Range::prefix(&start),
    };
    let wanted: Option<BTreeSet<String>> = req
        .log_group_identifiers
        .as_ref()
        .map(|ids| ids.iter().map(|i| name_from_identifier(i)).collect());
    let pattern = req
        .log_group_name_pattern
        .as_ref()
        .map(|p| p.to_lowercase());
    let entries = l.store.scan(GROUPS, range, Direction::Forward, 0).await?;
    let mut out = Vec::new();
    let mut more = false;
    for (_, v) in entries {
        let g: GroupRecord = store::decode(&v)?;
        if let Some(p) = &pattern
            && !g.name.to_lowercase().contains(p.as_str())
        {
            continue;
        }
        if let Some(w) = &wanted
            && !w.contains(&g.name)
        {
            continue;
        }
        if let Some(c) = &req.log_group_class
            && &g.log_group_class != c
        {
            continue;
        }
        if out.len() == limit {
            more = true;
            break;
        }
        out.push(g);
    }
    let next_token = if more {
        out.last().map(|g| encode_token(g.name.as_bytes()))
    } else {
        None
    };
    let mut log_groups = Vec::with_capacity(out.len());
    for g in out {
        let stored_bytes = store::list_streams(l.store.as_ref(), s, &g.name)
            .await?
            .iter()
            .map(|st| st.stored_bytes)
            .sum();
        log_groups.push(view(s, g, stored_bytes));
    }
    Ok(DescribeLogGroupsResponse {
        log_groups,
        next_token,
    })
}

fn view(s: &Scope, g: GroupRecord, stored_bytes: u64) -> LogGroup {
    LogGroup {
        arn: s.group_arn(&g.name),
        log_group_arn: s.log_group_arn(&g.name),
        log_group_name: g.name,
        creation_time: g.creation_time,
        retention_in_days: g.retention_in_days,
        metric_filter_count: 0,
        stored_bytes,
        kms_key_id: g.kms_key_id,
        log_group_class: g.log_group_class,
        deletion_protection_enabled: g.deletion_protection,
    }
}

pub async fn put_retention(l: &Logs, s: &Scope, req: PutRetentionPolicyRequest) -> Result<()> {
    let days = req.retention_in_days;
    if !RETENTION_DAYS.contains(&days) {
        let set = RETENTION_DAYS
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(LogsError::InvalidParameter(format!(
            "1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [{set}]"
        )));
    }
    store::update_group(l.store.as_ref(), s, &req.log_group_name, |g| {
        g.retention_in_days = Some(days);
        Ok(())
    })
    .await?;
    l.kick_sweeper();
    Ok(())
}

pub async fn delete_retention(
    l: &Logs,
    s: &Scope,
    req: DeleteRetentionPolicyRequest,
) -> Result<()> {
    store::update_group(l.store.as_ref(), s, &req.log_group_name, |g| {
        g.retention_in_days = None;
        Ok(())
    })
    .await?;
    Ok(())
}
