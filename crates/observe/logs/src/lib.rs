//! CloudWatch Logs (`lamina-logs`).
//!
//! Scope: log groups, log streams and log events behind the `Logs_20140328` JSON 1.1 protocol,
//! plus the [`lamina_bus::LogSink`] through which Lambda sandboxes write their output
//! ([`Logs`] implements it: the group and stream are created on first use, events are
//! buffered in process and written within `flush_delay` (200 ms), at once when the buffer
//! passes `flush_bytes`, and by [`Logs::flush`] on shutdown).
//!
//! State lives in the [`lamina_storage::Store`]: trees `logs.groups`, `logs.streams` and
//! `logs.events` (layout in `store.rs`). Each PutLogEvents is one atomic batch (events and the
//! stream's metadata, compare-and-set on the stream record, retried on conflict), so an
//! acknowledged call is never lost.
//!
//! Supported operations: CreateLogGroup, DeleteLogGroup, DescribeLogGroups,
//! PutRetentionPolicy, DeleteRetentionPolicy, CreateLogStream, DeleteLogStream,
//! DescribeLogStreams, PutLogEvents, GetLogEvents, FilterLogEvents, TagResource,
//! UntagResource, ListTagsForResource, TagLogGroup, UntagLogGroup, ListTagsLogGroup.
//!
//! Filter patterns (`pattern/`): terms, quoted phrases, `-term`, `?term`, JSON selectors with
//! `=`, `!=`, `<`, `<=`, `>`, `>=`, wildcards, `IS NULL`, `NOT EXISTS`, `IS TRUE/FALSE`,
//! `&&`, `||`, parentheses, array indexes, and space-delimited `[a, ..., b = 404]` patterns.
//!
//! Retention is enforced: [`Logs::start_retention`] runs a sweeper every `sweep_interval`
//! (and right after PutRetentionPolicy) that deletes events older than the group's retention.
//!
//! Known differences from AWS:
//! * `storedBytes` counts message bytes (AWS counts compressed storage, updated lazily).
//! * Retention is applied within one sweep interval (AWS: up to 72 hours).
//! * `metricFilterCount` is always 0 (metric filters, subscriptions, Insights queries, KMS,
//!   data protection and anomaly detection are not provided); `kmsKeyId` is recorded only.
//! * DeleteLogGroup removes the group atomically, then its streams and events in chunks.
//! * `nextSequenceToken` is returned for old clients but never checked, as AWS does today.
//! * FilterLogEvents searches every selected stream completely before answering (no 1 MB
//!   scan budget with empty pages).

mod error;
mod logs;
pub mod ops;
pub mod pattern;
mod provider;
mod store;
pub mod types;

pub use error::LogsError;
pub use logs::{Logs, LogsConfig};
pub use provider::LogsService;
pub use store::{EVENTS as EVENTS_TREE, GROUPS as GROUPS_TREE, STREAMS as STREAMS_TREE};
