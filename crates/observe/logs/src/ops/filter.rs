//! FilterLogEvents: events of several streams of a group, interleaved by time, matched
//! against a filter pattern.

use super::events::{EVENT_OVERHEAD, MAX_RESPONSE_BYTES};
use super::{decode_token, encode_token, group_of};
use crate::error::{LogsError, Result};
use crate::logs::Logs;
use crate::pattern::Pattern;
use crate::store::{self, EVENTS, Scope, StoredEvent};
use crate::types::*;
use lamina_storage::{Direction, Range};
use std::ops::Bound;

/// Events read from one stream per scan.
const CHUNK: usize = 1000;

/// The position after which a page starts: (timestamp, sequence, stream name).
type Position = (u64, u64, String);

fn encode_position(p: &Position) -> String {
    let mut raw = Vec::new();
    raw.extend_from_slice(&p.0.to_be_bytes());
    raw.extend_from_slice(&p.1.to_be_bytes());
    raw.extend_from_slice(p.2.as_bytes());
    encode_token(&raw)
}

fn decode_position(token: &str) -> Result<Position> {
    let raw = decode_token(token)?;
    let bad = || LogsError::InvalidParameter("The specified nextToken is invalid.".into());
    if raw.len() < 16 {
        return Err(bad());
    }
    let ts = u64::from_be_bytes(raw[..8].try_into().map_err(|_| bad())?);
    let seq = u64::from_be_bytes(raw[8..16].try_into().map_err(|_| bad())?);
    let stream = String::from_utf8(raw[16..].to_vec()).map_err(|_| bad())?;
    Ok((ts, seq, stream))
}

/// A 56-digit event id, as AWS shows them: timestamp, sequence and a hash of the stream.
fn event_id(e: &StoredEvent, stream: &str) -> String {
    // FNV-1a: stable across runs, unlike the std hasher
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in stream.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!(
        "{:020}{:020}{:016}",
        e.timestamp,
        e.seq,
        h % 10_000_000_000_000_000
    )
}

pub async fn filter(
    l: &Logs,
    s: &Scope,
    req: FilterLogEventsRequest,
) -> Result<FilterLogEventsResponse> {
    let group = group_of(req.log_group_name, req.log_group_identifier)?;
    if req.log_stream_names.is_some() && req.log_stream_name_prefix.is_some() {
        return Err(LogsError::InvalidParameter(
            "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.".into(),
        ));
    }
    let pattern = Pattern::parse(req.filter_pattern.as_deref().unwrap_or(""))
        .map_err(|e| LogsError::InvalidParameter(e.to_string()))?;
    store::require_group(l.store.as_ref(), s, &group).await?;
    let limit = req.limit.unwrap_or(10_000).clamp(1, 10_000);
    let after = req.next_token.as_deref().map(decode_position).transpose()?;
    let streams: Vec<String> = store::list_streams(l.store.as_ref(), s, &group)
        .await?
        .into_iter()
        .map(|st| st.name)
        .filter(
            |n| match (&req.log_stream_names, &req.log_stream_name_prefix) {
                (Some(names), _) => names.contains(n),
                (_, Some(p)) => n.starts_with(p.as_str()),
                _ => true,
            },
        )
        .collect();

    let mut found: Vec<(Position, StoredEvent)> = Vec::new();
    let mut more = false;
    for st in &streams {
        let prefix = s.events_prefix(&group, st);
        let start_ts = req.start_time.unwrap_or(0).max(0) as u64;
        let mut start = Bound::Included(store::event_key(&prefix, start_ts as i64, 0));
        if let Some((ts, seq, name)) = &after {
            // Resume just after the token's position (same stream) or at its time (others:
            // events of equal time and larger sequence follow the token).
            let from = if name == st {
                Bound::Excluded(store::event_key(&prefix, *ts as i64, *seq))
            } else {
                Bound::Included(store::event_key(&prefix, *ts as i64, 0))
            };
            if *ts >= start_ts {
                start = from;
            }
        }
        let end = match req.end_time {
            Some(e) => Bound::Excluded(store::event_key(&prefix, e.max(0), 0)),
            None => Range::prefix(&prefix).end,
        };
        let mut matched = 0;
        loop {
            let range = Range {
                start: start.clone(),
                end: end.clone(),
            };
            if range.is_empty() {
                break;
            }
            let chunk = l
                .store
                .scan(EVENTS, range, Direction::Forward, CHUNK)
                .await?;
            let n = chunk.len();
            for (k, v) in &chunk {
                let e = store::decode_event(prefix.len(), k, v)?;
                let pos = (e.timestamp as u64, e.seq, st.clone());
                if after.as_ref().is_some_and(|a| &pos <= a) {
                    continue;
                }
                if pattern.matches(&e.message) {
                    found.push((pos, e));
                    matched += 1;
                    if matched >= limit {
                        break;
                    }
                }
            }
            if matched >= limit {
                more = true;
                break;
            }
            if n < CHUNK {
                break;
            }
            match chunk.last() {
                Some((k, _)) => start = Bound::Excluded(k.clone()),
                None => break,
            }
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    if found.len() > limit {
        more = true;
        found.truncate(limit);
    }
    let mut bytes = 0;
    let mut cut = found.len();
    for (i, (_, e)) in found.iter().enumerate() {
        bytes += e.message.len() + EVENT_OVERHEAD;
        if bytes > MAX_RESPONSE_BYTES && i > 0 {
            cut = i;
            more = true;
            break;
        }
    }
    found.truncate(cut);
    let next_token = if more {
        found.last().map(|(p, _)| encode_position(p))
    } else {
        None
    };
    let events = found
        .into_iter()
        .map(|((_, _, stream), e)| FilteredLogEvent {
            event_id: event_id(&e, &stream),
            log_stream_name: stream,
            timestamp: e.timestamp,
            message: e.message,
            ingestion_time: e.ingestion_time,
        })
        .collect();
    Ok(FilterLogEventsResponse {
        events,
        searched_log_streams: streams
            .into_iter()
            .map(|log_stream_name| SearchedLogStream {
                log_stream_name,
                searched_completely: true,
            })
            .collect(),
        next_token,
    })
}
