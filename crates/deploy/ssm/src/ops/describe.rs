//! DescribeParameters: metadata of the latest versions, filtered and paged in name order.

use super::filters::{self, Context};
use super::get::SCAN_CHUNK;
use super::{Engine, decode_token, encode_token};
use crate::error::{Result, SsmError};
use crate::store::{HeadRecord, Scope};
use crate::types::{DescribeParametersRequest, DescribeParametersResult, ParameterMetadata};

fn metadata(scope: &Scope, head: &HeadRecord) -> ParameterMetadata {
    let v = &head.latest;
    ParameterMetadata {
        name: head.name.clone(),
        arn: scope.arn(&head.name),
        kind: v.kind.clone(),
        key_id: v.key_id.clone(),
        last_modified_date: v.modified,
        last_modified_user: v.user.clone(),
        description: v.description.clone(),
        allowed_pattern: v.allowed_pattern.clone(),
        version: v.version,
        tier: v.tier.clone(),
        policies: v.policies.clone(),
        data_type: v.data_type.clone(),
    }
}

pub async fn describe(
    engine: &Engine,
    scope: &Scope,
    req: DescribeParametersRequest,
) -> Result<DescribeParametersResult> {
    let legacy = req.filters.unwrap_or_default();
    let raw = req.parameter_filters.unwrap_or_default();
    if !legacy.is_empty() && !raw.is_empty() {
        return Err(SsmError::Validation(
            "You can use either Filters or ParameterFilters in a single request.".into(),
        ));
    }
    filters::check_legacy(&legacy)?;
    let fs = filters::parse(Context::Describe, &raw)?;
    let max = req.max_results.unwrap_or(10).clamp(1, 50);
    let mut after = match &req.next_token {
        Some(t) => Some(decode_token("describe", t)?),
        None => None,
    };
    // Sharing parameters with other accounts is not modelled: nothing is shared with the caller.
    if req.shared == Some(true) {
        return Ok(DescribeParametersResult {
            parameters: Vec::new(),
            next_token: None,
        });
    }
    let mut page = Vec::new();
    let mut more = false;
    'scan: loop {
        let heads = engine
            .table
            .heads(scope, "", after.as_deref(), SCAN_CHUNK)
            .await?;
        let exhausted = heads.len() < SCAN_CHUNK;
        for head in heads {
            after = Some(head.name.clone());
            if !filters::legacy_matches(&legacy, &head) || !fs.iter().all(|f| f.matches(&head)) {
                continue;
            }
            if page.len() == max {
                more = true;
                break 'scan;
            }
            page.push(metadata(scope, &head));
        }
        if exhausted {
            break;
        }
    }
    let next_token = if more {
        page.last().map(|p| encode_token("describe", &p.name))
    } else {
        None
    };
    Ok(DescribeParametersResult {
        parameters: page,
        next_token,
    })
}
