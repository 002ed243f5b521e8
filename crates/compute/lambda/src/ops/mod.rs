//! Operation families. Each family module exports `OPS` and `call`, which answers `None` for
//! operations that are not its own, so families are added without editing each other.
//!
//! What the families share lives here: the typed-input helper, function references (name,
//! `name:qualifier`, partial and full ARNs) and their resolution with AWS's errors, and the
//! compare-and-set update of a function record.

pub(crate) mod account;
pub(crate) mod aliases;
pub(crate) mod concurrency;
pub(crate) mod esm;
pub(crate) mod event_config;
pub(crate) mod functions;
pub(crate) mod invoke;
pub(crate) mod layers;
pub(crate) mod policy;
pub(crate) mod tags;
pub(crate) mod versions;

#[cfg(test)]
mod tests;

use crate::Lambda;
use crate::error::{LambdaError, Result};
use crate::model::{AliasRecord, Config, FunctionRecord};
use crate::store::{self, Loaded, Scope};
use lamina_core::{Input, Output, RequestContext};
use lamina_storage::{StoreError, WriteBatch};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// How often a read-modify-write is retried on a concurrent change.
const MAX_ATTEMPTS: usize = 64;

/// Every implemented operation.
pub(crate) fn implemented() -> Vec<&'static str> {
    let mut ops: Vec<&'static str> = Vec::new();
    for family in [
        functions::OPS,
        versions::OPS,
        aliases::OPS,
        layers::OPS,
        policy::OPS,
        concurrency::OPS,
        event_config::OPS,
        tags::OPS,
        account::OPS,
        invoke::OPS,
        esm::OPS,
    ] {
        ops.extend_from_slice(family);
    }
    ops
}

/// What an operation runs with.
pub(crate) struct Cx<'a> {
    pub lambda: &'a Lambda,
    pub scope: Scope,
    pub ctx: &'a RequestContext,
}

impl Cx<'_> {
    pub fn store(&self) -> &dyn lamina_storage::Store {
        self.lambda.store.as_ref()
    }
}

/// Runs an operation of any family.
pub(crate) async fn call(
    lambda: &Lambda,
    ctx: &RequestContext,
    op: &str,
    input: Input,
) -> Result<Output> {
    let cx = Cx {
        lambda,
        scope: Scope {
            account: ctx.account_id.clone(),
            region: ctx.region.clone(),
        },
        ctx,
    };
    let mut input = Some(input);
    macro_rules! family {
        ($m:ident) => {
            if $m::OPS.contains(&op) {
                let i = input.take().unwrap_or_else(|| Input {
                    value: Value::Null,
                    payload: None,
                });
                return $m::call(&cx, op, i).await;
            }
        };
    }
    family!(functions);
    family!(versions);
    family!(aliases);
    family!(layers);
    family!(policy);
    family!(concurrency);
    family!(event_config);
    family!(tags);
    family!(account);
    family!(invoke);
    family!(esm);
    Err(LambdaError::Internal(format!(
        "operation {op} has no handler"
    )))
}

/// The canonical input as a typed request.
pub(crate) fn input<T: DeserializeOwned>(value: Value) -> Result<T> {
    let value = if value.is_null() {
        Value::Object(Default::default())
    } else {
        value
    };
    serde_json::from_value(value)
        .map_err(|e| LambdaError::InvalidParameter(format!("Invalid request: {e}")))
}

pub(crate) fn json(value: Value) -> Result<Output> {
    Ok(Output::json(value))
}

/// A function reference from a request: `name`, `name:qualifier`, `account:function:name[:q]`
/// or `arn:aws:lambda:region:account:function:name[:q]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FnRef {
    pub name: String,
    pub qualifier: Option<String>,
}

fn name_pattern_error(raw: &str) -> LambdaError {
    LambdaError::Validation(format!(
        "1 validation error detected: Value '{raw}' at 'functionName' failed to satisfy constraint: Member must \
         satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}(-gov)?-[a-z]+-\\d{{1}}:)?\
         (\\d{{12}}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
    ))
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 140
        && n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn valid_qualifier(q: &str) -> bool {
    q == "$LATEST"
        || (!q.is_empty()
            && q.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// Parses a function reference and merges the explicit `Qualifier` parameter.
pub(crate) fn parse_ref(scope: &Scope, raw: &str, explicit: Option<&str>) -> Result<FnRef> {
    let parts: Vec<&str> = raw.split(':').collect();
    let (account, region, name, qualifier) = if raw.starts_with("arn:") {
        if !(7..=8).contains(&parts.len()) || parts[2] != "lambda" || parts[5] != "function" {
            return Err(name_pattern_error(raw));
        }
        (
            Some(parts[4]),
            Some(parts[3]),
            parts[6],
            parts.get(7).copied(),
        )
    } else {
        match parts.len() {
            1 => (None, None, parts[0], None),
            2 => (None, None, parts[0], Some(parts[1])),
            3 | 4 if parts[1] == "function" => {
                (Some(parts[0]), None, parts[2], parts.get(3).copied())
            }
            _ => return Err(name_pattern_error(raw)),
        }
    };
    if !valid_name(name) || qualifier.is_some_and(|q| !valid_qualifier(q)) {
        return Err(name_pattern_error(raw));
    }
    if let Some(r) = region
        && r != scope.region
    {
        return Err(LambdaError::InvalidParameter(format!(
            "Functions from '{r}' are not reachable in this region ('{}')",
            scope.region
        )));
    }
    if let Some(a) = account
        && a != scope.account
    {
        return Err(LambdaError::NotFound(format!(
            "Function not found: {}",
            scope.function_arn(name)
        )));
    }
    let qualifier = match (qualifier, explicit) {
        (Some(a), Some(b)) if a != b => {
            return Err(LambdaError::InvalidParameter(
                "The derived qualifier from the function name does not match the specified qualifier.".into(),
            ));
        }
        (a, b) => a.or(b).map(str::to_string),
    };
    Ok(FnRef {
        name: name.to_string(),
        qualifier,
    })
}

pub(crate) fn function_not_found(
    scope: &Scope,
    name: &str,
    qualifier: Option<&str>,
) -> LambdaError {
    let arn = scope.function_arn(name);
    match qualifier {
        Some(q) => LambdaError::NotFound(format!("Function not found: {arn}:{q}")),
        None => LambdaError::NotFound(format!("Function not found: {arn}")),
    }
}

/// The function record, or AWS's "Function not found".
pub(crate) async fn load_function(cx: &Cx<'_>, name: &str) -> Result<Loaded<FunctionRecord>> {
    store::function(cx.store(), &cx.scope, name)
        .await?
        .ok_or_else(|| function_not_found(&cx.scope, name, None))
}

/// True for a published version number.
pub(crate) fn is_version(q: &str) -> bool {
    !q.is_empty() && q.len() <= 20 && q.bytes().all(|b| b.is_ascii_digit())
}

/// What a qualifier selects.
pub(crate) struct Resolved {
    pub function: FunctionRecord,
    pub config: Config,
    /// The alias, when the qualifier named one.
    pub alias: Option<AliasRecord>,
}

/// Resolves `$LATEST` (or no qualifier), a version number or an alias to a configuration.
pub(crate) async fn resolve(cx: &Cx<'_>, name: &str, qualifier: Option<&str>) -> Result<Resolved> {
    let function = load_function(cx, name).await?.record;
    match qualifier {
        None | Some("$LATEST") => {
            let config = function.latest.clone();
            Ok(Resolved {
                function,
                config,
                alias: None,
            })
        }
        Some(q) if is_version(q) => {
            let n: u64 = q
                .parse()
                .map_err(|_| function_not_found(&cx.scope, name, Some(q)))?;
            let config = store::version(cx.store(), &cx.scope, name, n)
                .await?
                .ok_or_else(|| function_not_found(&cx.scope, name, Some(q)))?;
            Ok(Resolved {
                function,
                config,
                alias: None,
            })
        }
        Some(q) => {
            let alias = store::alias(cx.store(), &cx.scope, name, q)
                .await?
                .ok_or_else(|| function_not_found(&cx.scope, name, Some(q)))?
                .record;
            let config = version_config(cx, &function, &alias.function_version).await?;
            Ok(Resolved {
                function,
                config,
                alias: Some(alias),
            })
        }
    }
}

/// The configuration of `$LATEST` or of a published version of a loaded function.
pub(crate) async fn version_config(
    cx: &Cx<'_>,
    f: &FunctionRecord,
    version: &str,
) -> Result<Config> {
    if version == "$LATEST" {
        return Ok(f.latest.clone());
    }
    let n: u64 = version
        .parse()
        .map_err(|_| function_not_found(&cx.scope, &f.latest.name, Some(version)))?;
    store::version(cx.store(), &cx.scope, &f.latest.name, n)
        .await?
        .ok_or_else(|| function_not_found(&cx.scope, &f.latest.name, Some(version)))
}

/// Read-modify-write of a function record: `f` changes it (and may add writes to the batch);
/// committed only if the record is unchanged since it was read, retried otherwise.
pub(crate) async fn update_function<R>(
    cx: &Cx<'_>,
    name: &str,
    mut f: impl FnMut(&mut FunctionRecord, &mut WriteBatch) -> Result<R>,
) -> Result<R> {
    for _ in 0..MAX_ATTEMPTS {
        let Loaded { mut record, raw } = load_function(cx, name).await?;
        let mut batch = WriteBatch::new();
        let result = f(&mut record, &mut batch)?;
        let key = store::function_key(&cx.scope, name);
        batch.require_equals(store::FUNCTIONS, key.clone(), raw);
        batch.put(store::FUNCTIONS, key, store::encode(&record)?);
        match cx.store().commit(batch).await {
            Ok(()) => return Ok(result),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(LambdaError::Conflict(
        "The operation cannot be performed at this time. Please try again.".into(),
    ))
}

pub(crate) const REVISION_MISMATCH: &str = "The Revision Id provided does not match the latest Revision Id. Call the \
                                            GetFunction/GetAlias API to retrieve the latest Revision Id";

/// Checks an optional RevisionId precondition.
pub(crate) fn check_revision(expected: Option<&str>, actual: &str) -> Result<()> {
    match expected {
        Some(e) if e != actual => Err(LambdaError::PreconditionFailed(REVISION_MISMATCH.into())),
        _ => Ok(()),
    }
}

/// Opaque page markers: base64 of the last key returned.
pub(crate) fn encode_marker(last: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last)
}

pub(crate) fn decode_marker(m: &str) -> Result<String> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(m)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| LambdaError::InvalidParameter("Invalid Marker".into()))
}

/// One page of `items` (already in order, keyed by `key`) after `marker`.
pub(crate) fn page<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    marker: Option<&str>,
    max_items: Option<usize>,
    default_max: usize,
) -> Result<(Vec<T>, Option<String>)> {
    let after = marker.map(decode_marker).transpose()?;
    let max = max_items.unwrap_or(default_max).max(1);
    let mut out = Vec::new();
    let mut next = None;
    for item in items {
        let k = key(&item);
        if after.as_ref().is_some_and(|a| k.as_str() <= a.as_str()) {
            continue;
        }
        if out.len() == max {
            next = out.last().map(|last| encode_marker(&key(last)));
            break;
        }
        out.push(item);
    }
    Ok((out, next))
}
