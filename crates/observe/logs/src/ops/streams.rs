//! Log streams: create, delete, describe.

use super::{decode_token, encode_token, group_of};
use crate::error::{LogsError, Result};
use crate::logs::Logs;
use crate::store::{self, EVENTS, GROUPS, STREAMS, Scope, StreamRecord};
use crate::types::*;
use lamina_storage::{StoreError, WriteBatch};

pub async fn create(l: &Logs, s: &Scope, req: CreateLogStreamRequest) -> Result<()> {
    let (g, st) = (&req.log_group_name, &req.log_stream_name);
    store::require_group(l.store.as_ref(), s, g).await?;
    let rec = StreamRecord::new(st, store::now_millis());
    let k = s.stream_key(g, st);
    let mut b = WriteBatch::new();
    b.require_exists(GROUPS, s.group_key(g))
        .require_absent(STREAMS, k.clone())
        .put(STREAMS, k.clone(), store::encode(&rec)?);
    match l.store.commit(b).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict { tree, .. }) if tree == GROUPS => Err(LogsError::GroupNotFound),
        Err(StoreError::Conflict { .. }) => Err(LogsError::StreamExists),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(l: &Logs, s: &Scope, req: DeleteLogStreamRequest) -> Result<()> {
    let (g, st) = (&req.log_group_name, &req.log_stream_name);
    store::require_group(l.store.as_ref(), s, g).await?;
    let k = s.stream_key(g, st);
    let mut b = WriteBatch::new();
    b.require_exists(STREAMS, k.clone()).delete(STREAMS, k);
    match l.store.commit(b).await {
        Ok(()) => {}
        Err(StoreError::Conflict { .. }) => return Err(LogsError::StreamNotFound),
        Err(e) => return Err(e.into()),
    }
    store::delete_prefix(l.store.as_ref(), EVENTS, &s.events_prefix(g, st)).await?;
    Ok(())
}

/// The sort position of a stream: its name, or its last event time then its name.
fn position(by_time: bool, st: &StreamRecord) -> Vec<u8> {
    let mut k = Vec::new();
    if by_time {
        k.extend_from_slice(&(st.last_event_timestamp.unwrap_or(0).max(0) as u64).to_be_bytes());
    }
    k.extend_from_slice(st.name.as_bytes());
    k
}

pub async fn describe(
    l: &Logs,
    s: &Scope,
    req: DescribeLogStreamsRequest,
) -> Result<DescribeLogStreamsResponse> {
    let group = group_of(req.log_group_name, req.log_group_identifier)?;
    let by_time = match req.order_by.as_deref() {
        None | Some("LogStreamName") => false,
        Some("LastEventTime") => true,
        Some(other) => {
            return Err(LogsError::InvalidParameter(format!(
                "Invalid orderBy: {other}"
            )));
        }
    };
    if by_time && req.log_stream_name_prefix.is_some() {
        return Err(LogsError::InvalidParameter(
            "Cannot order by LastEventTime with a logStreamNamePrefix.".into(),
        ));
    }
    store::require_group(l.store.as_ref(), s, &group).await?;
    let descending = req.descending.unwrap_or(false);
    let limit = req.limit.unwrap_or(50).clamp(1, 50);
    let after = req.next_token.as_deref().map(decode_token).transpose()?;
    let mut all: Vec<(Vec<u8>, StreamRecord)> = store::list_streams(l.store.as_ref(), s, &group)
        .await?
        .into_iter()
        .filter(|st| {
            req.log_stream_name_prefix
                .as_deref()
                .is_none_or(|p| st.name.starts_with(p))
        })
        .map(|st| (position(by_time, &st), st))
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    if descending {
        all.reverse();
    }
    let mut page: Vec<(Vec<u8>, StreamRecord)> = all
        .into_iter()
        .filter(|(p, _)| match &after {
            None => true,
            Some(t) if descending => p < t,
            Some(t) => p > t,
        })
        .take(limit + 1)
        .collect();
    let more = page.len() > limit;
    page.truncate(limit);
    let next_token = if more {
        page.last().map(|(p, _)| encode_token(p))
    } else {
        None
    };
    let log_streams = page
        .into_iter()
        .map(|(_, st)| LogStream {
            arn: s.stream_arn(&group, &st.name),
            log_stream_name: st.name,
            creation_time: st.creation_time,
            first_event_timestamp: st.first_event_timestamp,
            last_event_timestamp: st.last_event_timestamp,
            last_ingestion_time: st.last_ingestion_time,
            stored_bytes: st.stored_bytes,
        })
        .collect();
    Ok(DescribeLogStreamsResponse {
        log_streams,
        next_token,
    })
}
