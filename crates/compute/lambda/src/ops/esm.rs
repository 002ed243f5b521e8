//! Event source mappings (SQS queues and DynamoDB streams): CreateEventSourceMapping, GetEventSourceMapping,
//! ListEventSourceMappings, UpdateEventSourceMapping, DeleteEventSourceMapping, with AWS's
//! validation and answers. Writes leave the mapping in a transitional state (`Creating`,
//! `Updating`, `Deleting`) that the supervisor in `esm/` settles; see there for the pollers.

use super::{Cx, input, json, page, parse_ref, resolve};
use crate::error::{LambdaError, Result};
use crate::esm::{self, FORMAT, MappingRecord, TREE, filter};
use crate::store;
use lamina_core::{Input, Output};
use lamina_model::generated::lambda_::op;
use lamina_storage::{StoreError, WriteBatch};
use serde::{Deserialize, Serialize};
use serde_json::json as j;

pub(crate) const OPS: &[&str] = &[
    op::CREATE_EVENT_SOURCE_MAPPING,
    op::GET_EVENT_SOURCE_MAPPING,
    op::LIST_EVENT_SOURCE_MAPPINGS,
    op::UPDATE_EVENT_SOURCE_MAPPING,
    op::DELETE_EVENT_SOURCE_MAPPING,
];

const NOT_FOUND: &str = "The resource you requested does not exist.";
const WINDOW_REQUIRED: &str = "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10";
const NO_QUEUE: &str = "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. \
                        SQS Error Message: The specified queue does not exist for this wsdl version.";

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FilterCriteria {
    pub filters: Option<Vec<Filter>>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Filter {
    pub pattern: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ScalingConfig {
    pub maximum_concurrency: Option<u32>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateEventSourceMappingRequest {
    pub event_source_arn: Option<String>,
    pub function_name: String,
    pub enabled: Option<bool>,
    pub batch_size: Option<u32>,
    pub filter_criteria: Option<FilterCriteria>,
    pub scaling_config: Option<ScalingConfig>,
    pub maximum_batching_window_in_seconds: Option<u32>,
    pub starting_position: Option<String>,
    pub starting_position_timestamp: Option<f64>,
    pub function_response_types: Option<Vec<String>>,
    // Stream sources.
    pub maximum_retry_attempts: Option<i64>,
    pub maximum_record_age_in_seconds: Option<i64>,
    pub bisect_batch_on_function_error: Option<bool>,
    pub parallelization_factor: Option<u32>,
    pub tumbling_window_in_seconds: Option<u32>,
    pub destination_config: Option<DestinationConfig>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct OnFailure {
    pub destination: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DestinationConfig {
    pub on_failure: Option<OnFailure>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateEventSourceMappingRequest {
    #[serde(rename = "UUID")]
    pub uuid: String,
    pub function_name: Option<String>,
    pub enabled: Option<bool>,
    pub batch_size: Option<u32>,
    pub filter_criteria: Option<FilterCriteria>,
    pub scaling_config: Option<ScalingConfig>,
    pub maximum_batching_window_in_seconds: Option<u32>,
    pub function_response_types: Option<Vec<String>>,
    // Stream sources.
    pub maximum_retry_attempts: Option<i64>,
    pub maximum_record_age_in_seconds: Option<i64>,
    pub bisect_batch_on_function_error: Option<bool>,
    pub parallelization_factor: Option<u32>,
    pub tumbling_window_in_seconds: Option<u32>,
    pub destination_config: Option<DestinationConfig>,
}

/// Get and Delete.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetEventSourceMappingRequest {
    #[serde(rename = "UUID")]
    pub uuid: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListEventSourceMappingsRequest {
    pub event_source_arn: Option<String>,
    pub function_name: Option<String>,
    pub marker: Option<String>,
    pub max_items: Option<usize>,
}

pub(crate) async fn call(cx: &Cx<'_>, op: &str, i: Input) -> Result<Output> {
    match op {
        op::CREATE_EVENT_SOURCE_MAPPING => json(create(cx, input(i.value)?).await?.to_output()),
        op::GET_EVENT_SOURCE_MAPPING => {
            let r: GetEventSourceMappingRequest = input(i.value)?;
            json(esm::output(cx.lambda, &load(cx, &r.uuid).await?.record).await)
        }
        op::LIST_EVENT_SOURCE_MAPPINGS => list(cx, input(i.value)?).await,
        op::UPDATE_EVENT_SOURCE_MAPPING => {
            let m = update(cx, input(i.value)?).await?;
            json(esm::output(cx.lambda, &m).await)
        }
        op::DELETE_EVENT_SOURCE_MAPPING => {
            let r: GetEventSourceMappingRequest = input(i.value)?;
            let m = delete(cx, &r.uuid).await?;
            json(esm::output(cx.lambda, &m).await)
        }
        other => Err(LambdaError::Internal(format!(
            "{other} is not an event source mapping operation"
        ))),
    }
}

/// The function a mapping names: it must exist (with its version or alias); returns the
/// name and qualifier.
async fn target(cx: &Cx<'_>, raw: &str) -> Result<(String, Option<String>)> {
    let f = parse_ref(&cx.scope, raw, None)?;
    match resolve(cx, &f.name, f.qualifier.as_deref()).await {
        Ok(_) => Ok((f.name, f.qualifier)),
        Err(LambdaError::NotFound(_)) => Err(LambdaError::InvalidParameter(
            "Function does not exist".into(),
        )),
        Err(e) => Err(e),
    }
}

/// The patterns of a FilterCriteria, each checked.
fn patterns(fc: Option<FilterCriteria>) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for f in fc.and_then(|c| c.filters).unwrap_or_default() {
        let p = f.pattern.unwrap_or_default();
        filter::parse(&p).map_err(|m| LambdaError::InvalidParameter(m.into()))?;
        out.push(p);
    }
    Ok(out)
}

/// The checks that depend on several fields (and the queue's kind).
fn check_batching(m: &MappingRecord, fifo: bool) -> Result<()> {
    if m.is_stream() {
        return check_stream(m);
    }
    if fifo && m.batch_size > 10 {
        return Err(LambdaError::InvalidParameter(format!(
            "BatchSize {} is out of range for FIFO queues. The maximum batch size for an SQS FIFO queue is 10.",
            m.batch_size
        )));
    }
    if m.batch_size > 10 && m.batching_window == 0 {
        return Err(LambdaError::InvalidParameter(WINDOW_REQUIRED.into()));
    }
    Ok(())
}

/// The limits of a stream mapping's settings.
fn check_stream(m: &MappingRecord) -> Result<()> {
    if m.batch_size == 0 || m.batch_size > 10_000 {
        return Err(constraint(
            m.batch_size,
            "batchSize",
            "Member must have value less than or equal to 10000",
        ));
    }
    if m.batching_window > 300 {
        return Err(constraint(
            m.batching_window,
            "maximumBatchingWindowInSeconds",
            "Member must have value less than or equal to 300",
        ));
    }
    if let Some(n) = m.max_retry_attempts
        && !(-1..=10_000).contains(&n)
    {
        return Err(constraint(
            n,
            "maximumRetryAttempts",
            "Member must have value less than or equal to 10000",
        ));
    }
    if let Some(n) = m.max_record_age
        && n != -1
        && !(60..=604_800).contains(&n)
    {
        return Err(LambdaError::InvalidParameter(format!(
            "Invalid MaximumRecordAgeInSeconds value {n}. MaximumRecordAgeInSeconds must be -1 or between 60 and 604800."
        )));
    }
    if let Some(n) = m.parallelization
        && !(1..=10).contains(&n)
    {
        return Err(constraint(
            n,
            "parallelizationFactor",
            "Member must have value less than or equal to 10",
        ));
    }
    if let Some(n) = m.tumbling_window
        && n > 900
    {
        return Err(constraint(
            n,
            "tumblingWindowInSeconds",
            "Member must have value less than or equal to 900",
        ));
    }
    if m.tumbling_window.is_some_and(|n| n > 0) {
        // Said plainly rather than accepted and ignored.
        return Err(LambdaError::InvalidParameter(
            "TumblingWindowInSeconds is not supported by Lamina (tumbling-window aggregation is not implemented).".into(),
        ));
    }
    if let Some(d) = &m.on_failure {
        let service = d.split(':').nth(2).unwrap_or_default();
        if !d.starts_with("arn:") || !["sqs", "sns"].contains(&service) {
            return Err(LambdaError::InvalidParameter(format!(
                "The provided destination config DestinationConfig(onSuccess=null, onFailure=OnFailure(destination={d})) is invalid."
            )));
        }
    }
    Ok(())
}

fn constraint(value: impl std::fmt::Display, at: &str, rule: &str) -> LambdaError {
    LambdaError::InvalidParameter(format!(
        "1 validation error detected: Value '{value}' at '{at}' failed to satisfy constraint: {rule}"
    ))
}

/// The shard a stream mapping reads and its newest record; AWS's error when the stream
/// does not exist.
async fn stream_shard(cx: &Cx<'_>, arn: &str) -> Result<Option<lamina_bus::StreamShard>> {
    let Some(reader) = cx.lambda.esm.streams.get() else {
        return Ok(None);
    };
    match reader.shards(arn).await {
        Ok(s) => Ok(s.into_iter().next()),
        Err(_) => Err(LambdaError::InvalidParameter(format!(
            "Stream not found: {arn}"
        ))),
    }
}

/// Whether the queue is FIFO; AWS's error when it does not exist.
async fn queue_is_fifo(cx: &Cx<'_>, arn: &str) -> Result<bool> {
    match cx.lambda.esm.consumer.get() {
        Some(c) => c
            .queue_info(arn)
            .await
            .map(|i| i.fifo)
            .map_err(|_| LambdaError::InvalidParameter(NO_QUEUE.into())),
        None => Ok(arn.ends_with(".fifo")),
    }
}

async fn create(cx: &Cx<'_>, r: CreateEventSourceMappingRequest) -> Result<MappingRecord> {
    let Some(arn) = r.event_source_arn else {
        return Err(LambdaError::InvalidParameter(
            "Unrecognized event source.".into(),
        ));
    };
    let stream = esm::is_stream_arn(&arn);
    if !stream && arn.split(':').nth(2) != Some("sqs") {
        return Err(LambdaError::InvalidParameter(format!(
            "Unsupported event source: {arn}. Lamina supports SQS and DynamoDB Streams event source mappings."
        )));
    }
    if stream {
        match r.starting_position.as_deref() {
            None => {
                return Err(LambdaError::InvalidParameter(
                    "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.".into(),
                ));
            }
            Some("TRIM_HORIZON" | "LATEST") => {}
            Some(other) => {
                return Err(LambdaError::InvalidParameter(format!(
                    "Unsupported starting position for DynamoDB Streams: {other}. Use TRIM_HORIZON or LATEST."
                )));
            }
        }
    } else if r.starting_position.is_some() || r.starting_position_timestamp.is_some() {
        return Err(LambdaError::InvalidParameter(
            "Unsupported starting position for arn type.".into(),
        ));
    }
    let (name, qualifier) = target(cx, &r.function_name).await?;
    let filters = patterns(r.filter_criteria)?;
    let (fifo, start_after) = if stream {
        let shard = stream_shard(cx, &arn).await?;
        let latest = if r.starting_position.as_deref() == Some("LATEST") {
            shard.and_then(|s| s.latest).map(|n| n.to_string())
        } else {
            None
        };
        (false, latest)
    } else {
        (queue_is_fifo(cx, &arn).await?, None)
    };
    let on_failure = r
        .destination_config
        .and_then(|d| d.on_failure)
        .and_then(|o| o.destination);
    let m = MappingRecord {
        v: FORMAT,
        uuid: lamina_core::new_request_id(),
        account: cx.scope.account.clone(),
        region: cx.scope.region.clone(),
        function_name: name,
        qualifier,
        event_source_arn: arn,
        batch_size: r.batch_size.unwrap_or(if stream { 100 } else { 10 }),
        batching_window: r.maximum_batching_window_in_seconds.unwrap_or(0),
        enabled: r.enabled.unwrap_or(true),
        state: "Creating".into(),
        state_reason: "USER_INITIATED".into(),
        last_modified: lamina_core::now_epoch_seconds(),
        response_types: r.function_response_types.unwrap_or_default(),
        max_concurrency: r.scaling_config.and_then(|s| s.maximum_concurrency),
        filters,
        starting_position: r.starting_position.filter(|_| stream),
        start_after,
        max_retry_attempts: r.maximum_retry_attempts.filter(|_| stream),
        max_record_age: r.maximum_record_age_in_seconds.filter(|_| stream),
        bisect: r.bisect_batch_on_function_error.filter(|_| stream),
        parallelization: r.parallelization_factor.filter(|_| stream),
        tumbling_window: r.tumbling_window_in_seconds.filter(|_| stream),
        on_failure: on_failure.filter(|_| stream),
    };
    check_batching(&m, fifo)?;
    let function_arn = m.function_arn();
    for existing in esm::list(cx.lambda, &cx.scope).await? {
        let e = existing.record;
        if e.event_source_arn == m.event_source_arn && e.function_arn() == function_arn {
            if stream {
                return Err(LambdaError::Conflict(format!(
                    "The event source arn (\" {} \") and function (\" {} \") provided mapping already exists. Please \
                     update or delete the existing mapping with UUID {}",
                    e.event_source_arn, e.function_name, e.uuid
                )));
            }
            return Err(LambdaError::Conflict(format!(
                "An event source mapping with SQS arn (\" {} \") and function (\" {} \") already exists. Please \
                 update or delete the existing mapping with UUID {}",
                e.event_source_arn, e.function_name, e.uuid
            )));
        }
    }
    let mut b = WriteBatch::new();
    b.require_absent(TREE, m.key())
        .put(TREE, m.key(), store::encode(&m)?);
    cx.store().commit(b).await?;
    cx.lambda.esm.wake.notify_one();
    Ok(m)
}

async fn load(cx: &Cx<'_>, uuid: &str) -> Result<store::Loaded<MappingRecord>> {
    store::get(cx.store(), TREE, &cx.scope.key(&[uuid]))
        .await?
        .ok_or_else(|| LambdaError::NotFound(NOT_FOUND.into()))
}

/// Read-modify-write of one mapping, retried when it changed in between.
async fn modify(
    cx: &Cx<'_>,
    uuid: &str,
    mut f: impl FnMut(&mut MappingRecord) -> Result<()>,
) -> Result<MappingRecord> {
    for _ in 0..super::MAX_ATTEMPTS {
        let store::Loaded { mut record, raw } = load(cx, uuid).await?;
        f(&mut record)?;
        record.last_modified = lamina_core::now_epoch_seconds();
        let key = record.key();
        let mut b = WriteBatch::new();
        b.require_equals(TREE, key.clone(), raw)
            .put(TREE, key, store::encode(&record)?);
        match cx.store().commit(b).await {
            Ok(()) => {
                cx.lambda.esm.wake.notify_one();
                return Ok(record);
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(LambdaError::Conflict(
        "The operation cannot be performed at this time. Please try again.".into(),
    ))
}

fn in_use(m: &MappingRecord) -> Result<()> {
    if m.state == "Deleting" {
        return Err(LambdaError::Conflict(format!(
            "The event source mapping with UUID {} is being deleted.",
            m.uuid
        )));
    }
    Ok(())
}

async fn update(cx: &Cx<'_>, r: UpdateEventSourceMappingRequest) -> Result<MappingRecord> {
    let function = match &r.function_name {
        Some(f) => Some(target(cx, f).await?),
        None => None,
    };
    let filters = match r.filter_criteria {
        Some(fc) => Some(patterns(Some(fc))?),
        None => None,
    };
    let fifo = {
        let current = load(cx, &r.uuid).await?.record;
        !current.is_stream()
            && queue_is_fifo(cx, &current.event_source_arn)
                .await
                .unwrap_or(false)
    };
    modify(cx, &r.uuid, |m: &mut MappingRecord| {
        in_use(m)?;
        if let Some((name, qualifier)) = &function {
            m.function_name = name.clone();
            m.qualifier = qualifier.clone();
        }
        if let Some(f) = &filters {
            m.filters = f.clone();
        }
        if let Some(n) = r.batch_size {
            m.batch_size = n;
        }
        if let Some(w) = r.maximum_batching_window_in_seconds {
            m.batching_window = w;
        }
        if let Some(e) = r.enabled {
            m.enabled = e;
        }
        if let Some(t) = &r.function_response_types {
            m.response_types = t.clone();
        }
        if let Some(s) = &r.scaling_config {
            m.max_concurrency = s.maximum_concurrency;
        }
        if m.is_stream() {
            if let Some(n) = r.maximum_retry_attempts {
                m.max_retry_attempts = Some(n);
            }
            if let Some(n) = r.maximum_record_age_in_seconds {
                m.max_record_age = Some(n);
            }
            if let Some(b) = r.bisect_batch_on_function_error {
                m.bisect = Some(b);
            }
            if let Some(n) = r.parallelization_factor {
                m.parallelization = Some(n);
            }
            if let Some(n) = r.tumbling_window_in_seconds {
                m.tumbling_window = Some(n);
            }
            if let Some(d) = &r.destination_config {
                m.on_failure = d.on_failure.as_ref().and_then(|o| o.destination.clone());
            }
        }
        check_batching(m, fifo)?;
        m.state = "Updating".into();
        m.state_reason = "USER_INITIATED".into();
        Ok(())
    })
    .await
}

async fn delete(cx: &Cx<'_>, uuid: &str) -> Result<MappingRecord> {
    modify(cx, uuid, |m: &mut MappingRecord| {
        in_use(m)?;
        m.state = "Deleting".into();
        m.state_reason = "USER_INITIATED".into();
        Ok(())
    })
    .await
}

async fn list(cx: &Cx<'_>, r: ListEventSourceMappingsRequest) -> Result<Output> {
    let wanted_fn = match &r.function_name {
        Some(f) => Some(parse_ref(&cx.scope, f, None)?),
        None => None,
    };
    let all: Vec<MappingRecord> = esm::list(cx.lambda, &cx.scope)
        .await?
        .into_iter()
        .map(|l| l.record)
        .filter(|m| {
            r.event_source_arn
                .as_ref()
                .is_none_or(|a| *a == m.event_source_arn)
        })
        .filter(|m| {
            wanted_fn.as_ref().is_none_or(|f| {
                f.name == m.function_name && (f.qualifier.is_none() || f.qualifier == m.qualifier)
            })
        })
        .collect();
    let (items, next) = page(
        all,
        |m| m.uuid.clone(),
        r.marker.as_deref(),
        r.max_items,
        100,
    )?;
    let mut out = Vec::with_capacity(items.len());
    for m in &items {
        out.push(esm::output(cx.lambda, m).await);
    }
    let mut v = j!({ "EventSourceMappings": out });
    if let Some(n) = next {
        v["NextMarker"] = j!(n);
    }
    json(v)
}

#[cfg(test)]
#[path = "esm_tests.rs"]
mod tests;
