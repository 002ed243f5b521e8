//! GetParameter, GetParameters, GetParametersByPath, GetParameterHistory.

use super::filters::{self, Context};
use super::{Engine, decode_token, encode_token, parse_reference};
use crate::error::{Result, SsmError};
use crate::names;
use crate::store::{HeadRecord, Scope, VersionRecord};
use crate::types::*;

/// How many heads one scan step reads while paging through a path or a listing.
pub const SCAN_CHUNK: usize = 256;

pub async fn get(
    engine: &Engine,
    scope: &Scope,
    req: GetParameterRequest,
) -> Result<GetParameterResult> {
    let r = parse_reference(&req.name);
    let (head, v) = engine.resolve(scope, &r).await?;
    let parameter = engine.parameter(
        scope,
        &head.name,
        &v,
        req.with_decryption.unwrap_or(false),
        r.selector.as_ref(),
    )?;
    Ok(GetParameterResult { parameter })
}

pub async fn get_many(
    engine: &Engine,
    scope: &Scope,
    req: GetParametersRequest,
) -> Result<GetParametersResult> {
    let decrypt = req.with_decryption.unwrap_or(false);
    let mut out = GetParametersResult {
        parameters: Vec::new(),
        invalid_parameters: Vec::new(),
    };
    let mut seen: Vec<&str> = Vec::new();
    for name in &req.names {
        if seen.contains(&name.as_str()) {
            continue;
        }
        seen.push(name);
        let r = parse_reference(name);
        match engine.resolve(scope, &r).await {
            Ok((head, v)) => out.parameters.push(engine.parameter(
                scope,
                &head.name,
                &v,
                decrypt,
                r.selector.as_ref(),
            )?),
            Err(SsmError::ParameterNotFound(_) | SsmError::VersionNotFound { .. }) => {
                out.invalid_parameters.push(name.clone())
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The version of `head` a by-path listing returns: the latest, or with a Label filter the
/// version carrying one of the labels (`None` when no label matches).
async fn listed_version(
    engine: &Engine,
    scope: &Scope,
    head: &HeadRecord,
    labels: Option<&[String]>,
) -> Result<Option<VersionRecord>> {
    let Some(labels) = labels else {
        return Ok(Some(head.latest.clone()));
    };
    let Some(version) = head
        .labels
        .iter()
        .find(|(l, _)| labels.contains(l))
        .map(|(_, v)| *v)
    else {
        return Ok(None);
    };
    if version == head.latest.version {
        return Ok(Some(head.latest.clone()));
    }
    engine.table.version(scope, &head.name, version).await
}

pub async fn by_path(
    engine: &Engine,
    scope: &Scope,
    req: GetParametersByPathRequest,
) -> Result<GetParametersByPathResult> {
    let prefix = names::path_prefix(&req.path)?;
    let recursive = req.recursive.unwrap_or(false);
    let decrypt = req.with_decryption.unwrap_or(false);
    let max = req.max_results.unwrap_or(10).clamp(1, 10);
    let fs = filters::parse(
        Context::ByPath,
        req.parameter_filters.as_deref().unwrap_or_default(),
    )?;
    let label_values = fs
        .iter()
        .find(|f| f.key == "Label")
        .map(|f| f.values.clone());
    let mut after = match &req.next_token {
        Some(t) => Some(decode_token("path", t)?),
        None => None,
    };
    let mut page = Vec::new();
    let mut more = false;
    'scan: loop {
        let heads = engine
            .table
            .heads(scope, &prefix, after.as_deref(), SCAN_CHUNK)
            .await?;
        let exhausted = heads.len() < SCAN_CHUNK;
        for head in heads {
            after = Some(head.name.clone());
            if !names::in_path(&head.name, &prefix, recursive)
                || !fs
                    .iter()
                    .filter(|f| f.key != "Label")
                    .all(|f| f.matches(&head))
            {
                continue;
            }
            let Some(v) = listed_version(engine, scope, &head, label_values.as_deref()).await?
            else {
                continue;
            };
            if page.len() == max {
                more = true;
                break 'scan;
            }
            page.push(engine.parameter(scope, &head.name, &v, decrypt, None)?);
        }
        if exhausted {
            break;
        }
    }
    let next_token = if more {
        page.last().map(|p| encode_token("path", &p.name))
    } else {
        None
    };
    Ok(GetParametersByPathResult {
        parameters: page,
        next_token,
    })
}

pub async fn history(
    engine: &Engine,
    scope: &Scope,
    req: GetParameterHistoryRequest,
) -> Result<GetParameterHistoryResult> {
    let decrypt = req.with_decryption.unwrap_or(false);
    let max = req.max_results.unwrap_or(50).clamp(1, 50);
    let candidates = names::resource_candidates(&req.name);
    let Some(loaded) = engine.find(scope, &candidates).await? else {
        return Err(SsmError::ParameterNotFound(String::new()));
    };
    let head = loaded.head;
    let after: u64 = match &req.next_token {
        Some(t) => decode_token("history", t)?
            .parse()
            .map_err(|_| SsmError::InvalidNextToken)?,
        None => 0,
    };
    let versions = engine.table.versions(scope, &head.name).await?;
    let mut remaining = versions
        .into_iter()
        .filter(|v| v.version > after)
        .peekable();
    let mut page = Vec::new();
    while page.len() < max {
        let Some(v) = remaining.next() else { break };
        page.push(ParameterHistory {
            name: head.name.clone(),
            value: engine.value(scope, &head.name, &v, decrypt)?,
            labels: head.labels_of(v.version),
            kind: v.kind,
            key_id: v.key_id,
            last_modified_date: v.modified,
            last_modified_user: v.user,
            description: v.description,
            allowed_pattern: v.allowed_pattern,
            version: v.version,
            tier: v.tier,
            policies: v.policies,
            data_type: v.data_type,
        });
    }
    let next_token = match (remaining.peek(), page.last()) {
        (Some(_), Some(last)) => Some(encode_token("history", &last.version.to_string())),
        _ => None,
    };
    Ok(GetParameterHistoryResult {
        parameters: page,
        next_token,
    })
}
