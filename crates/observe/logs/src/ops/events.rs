//! PutLogEvents and GetLogEvents.

use super::group_of;
use crate::error::{LogsError, Result};
use crate::logs::Logs;
use crate::store::{self, EVENTS, Scope};
use crate::types::*;
use lamina_storage::{Direction, Range};
use std::ops::Bound;

pub const MAX_BATCH_EVENTS: usize = 10_000;
pub const MAX_BATCH_BYTES: usize = 1_048_576;
/// AWS counts 26 bytes of overhead per event against the batch size.
pub const EVENT_OVERHEAD: usize = 26;
const DAY_MS: i64 = 86_400_000;
const TOO_OLD_MS: i64 = 14 * DAY_MS;
const TOO_NEW_MS: i64 = 2 * 3_600_000;
/// A response carries at most this many message bytes (as AWS: 1 MB).
pub const MAX_RESPONSE_BYTES: usize = 1_048_576;

pub async fn put(l: &Logs, s: &Scope, req: PutLogEventsRequest) -> Result<PutLogEventsResponse> {
    let (g, st) = (&req.log_group_name, &req.log_stream_name);
    let events = &req.log_events;
    if events.len() > MAX_BATCH_EVENTS {
        return Err(LogsError::InvalidParameter(format!(
            "The number of log events in the batch ({}) exceeds the limit of {MAX_BATCH_EVENTS}.",
            events.len()
        )));
    }
    let size: usize = events
        .iter()
        .map(|e| e.message.len() + EVENT_OVERHEAD)
        .sum();
    if size > MAX_BATCH_BYTES {
        return Err(LogsError::InvalidParameter(format!(
            "Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )));
    }
    if events.windows(2).any(|w| w[1].timestamp < w[0].timestamp) {
        return Err(LogsError::InvalidParameter(
            "Log events in a single PutLogEvents request must be in chronological order.".into(),
        ));
    }
    let group = store::require_group(l.store.as_ref(), s, g).await?;
    if store::get_stream(l.store.as_ref(), s, g, st)
        .await?
        .is_none()
    {
        return Err(LogsError::StreamNotFound);
    }
    let now = store::now_millis();
    let retention_floor = group.retention_in_days.map(|d| now - i64::from(d) * DAY_MS);
    let mut info = RejectedLogEventsInfo::default();
    let mut accepted: Vec<(i64, &str)> = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        if e.timestamp > now + TOO_NEW_MS {
            info.too_new_log_event_start_index.get_or_insert(i);
        } else if e.timestamp < now - TOO_OLD_MS {
            info.too_old_log_event_end_index = Some(i);
        } else if retention_floor.is_some_and(|f| e.timestamp < f) {
            info.expired_log_event_end_index = Some(i);
        } else {
            accepted.push((e.timestamp, e.message.as_str()));
        }
    }
    if let (Some(first), Some(last)) = (accepted.first(), accepted.last())
        && last.0 - first.0 > DAY_MS
    {
        return Err(LogsError::InvalidParameter(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.".into(),
        ));
    }
    if !accepted.is_empty() {
        store::append(l.store.as_ref(), s, g, st, &accepted, false).await?;
    }
    let rejected = (info != RejectedLogEventsInfo::default()).then_some(info);
    Ok(PutLogEventsResponse {
        next_sequence_token: Some(format!("{:056}", store::next_seq())),
        rejected_log_events_info: rejected,
    })
}

/// A position between events: (timestamp, sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos(pub u64, pub u64);

impl Pos {
    fn token(self, dir: char) -> String {
        format!("{dir}/{:020}{:020}{:016}", self.0, self.1, 0)
    }

    fn parse(token: &str) -> Result<(char, Pos)> {
        let bad = || LogsError::InvalidParameter("The specified nextToken is invalid.".into());
        let (dir, digits) = token.split_once('/').ok_or_else(bad)?;
        let dir = match dir {
            "f" => 'f',
            "b" => 'b',
            _ => return Err(bad()),
        };
        if digits.len() != 56 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let ts = digits[..20].parse().map_err(|_| bad())?;
        let seq = digits[20..40].parse().map_err(|_| bad())?;
        Ok((dir, Pos(ts, seq)))
    }

    /// The position just before this one.
    fn pred(self) -> Pos {
        match self {
            Pos(ts, 0) => Pos(ts.saturating_sub(1), u64::MAX),
            Pos(ts, seq) => Pos(ts, seq - 1),
        }
    }
}

pub async fn get(l: &Logs, s: &Scope, req: GetLogEventsRequest) -> Result<GetLogEventsResponse> {
    let group = group_of(req.log_group_name, req.log_group_identifier)?;
    let st = &req.log_stream_name;
    store::require_group(l.store.as_ref(), s, &group).await?;
    if store::get_stream(l.store.as_ref(), s, &group, st)
        .await?
        .is_none()
    {
        return Err(LogsError::StreamNotFound);
    }
    let limit = req.limit.unwrap_or(10_000).clamp(1, 10_000);
    let prefix = s.events_prefix(&group, st);
    let key = |p: Pos| store::event_key(&prefix, p.0 as i64, p.1);
    let start_key = store::event_key(&prefix, req.start_time.unwrap_or(0).max(0), 0);
    let end_bound = match req.end_time {
        Some(e) => Bound::Excluded(store::event_key(&prefix, e.max(0), 0)),
        None => Range::prefix(&prefix).end,
    };
    let token = req.next_token.as_deref().map(Pos::parse).transpose()?;
    let (range, dir) = match token {
        Some(('f', p)) => (
            Range {
                start: Bound::Excluded(key(p).max(start_key.clone())),
                end: end_bound,
            },
            Direction::Forward,
        ),
        Some((_, p)) => {
            let end = match end_bound {
                Bound::Excluded(e) => key(p).min(e),
                _ => key(p),
            };
            (
                Range {
                    start: Bound::Included(start_key),
                    end: Bound::Excluded(end),
                },
                Direction::Reverse,
            )
        }
        None if req.start_from_head.unwrap_or(false) => (
            Range {
                start: Bound::Included(start_key),
                end: end_bound,
            },
            Direction::Forward,
        ),
        None => (
            Range {
                start: Bound::Included(start_key),
                end: end_bound,
            },
            Direction::Reverse,
        ),
    };
    let entries = if range.is_empty() {
        Vec::new()
    } else {
        l.store.scan(EVENTS, range, dir, limit).await?
    };
    let mut found = Vec::with_capacity(entries.len());
    let mut bytes = 0;
    for (k, v) in &entries {
        let e = store::decode_event(prefix.len(), k, v)?;
        bytes += e.message.len() + EVENT_OVERHEAD;
        if bytes > MAX_RESPONSE_BYTES && !found.is_empty() {
            break;
        }
        found.push(e);
    }
    if dir == Direction::Reverse {
        found.reverse();
    }
    let (forward, backward) = match (found.first(), found.last()) {
        (Some(first), Some(last)) => (
            Pos(last.timestamp as u64, last.seq).token('f'),
            Pos(first.timestamp as u64, first.seq).token('b'),
        ),
        _ => match token {
            // At either end: the same token again, and the way back.
            Some(('f', p)) => (p.token('f'), Pos(p.0, p.1).token('b')),
            Some((_, p)) => (p.pred().token('f'), p.token('b')),
            None => (Pos(0, 0).token('f'), Pos(0, 0).token('b')),
        },
    };
    let events = found
        .into_iter()
        .map(|e| OutputLogEvent {
            timestamp: e.timestamp,
            message: e.message,
            ingestion_time: e.ingestion_time,
        })
        .collect();
    Ok(GetLogEventsResponse {
        events,
        next_forward_token: forward,
        next_backward_token: backward,
    })
}
