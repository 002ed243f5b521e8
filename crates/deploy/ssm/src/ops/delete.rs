//! DeleteParameter and DeleteParameters: the head and every version go in one batch.

use super::{Engine, MAX_ATTEMPTS};
use crate::error::{Result, SsmError};
use crate::names;
use crate::store::{self, Loaded, Scope};
use crate::types::*;
use lamina_storage::{StoreError, WriteBatch};

/// Deletes the parameter `name` refers to; `ParameterNotFound` when there is none.
async fn delete_one(engine: &Engine, scope: &Scope, name: &str) -> Result<()> {
    let candidates = names::resource_candidates(name);
    for _ in 0..MAX_ATTEMPTS {
        let Some(Loaded { head, raw }) = engine.find(scope, &candidates).await? else {
            return Err(SsmError::ParameterNotFound(String::new()));
        };
        let key = store::head_key(scope, &head.name);
        let mut batch = WriteBatch::new();
        batch.require_equals(store::PARAMS, key.clone(), raw);
        batch.delete(store::PARAMS, key);
        for k in engine.table.version_keys(scope, &head.name).await? {
            batch.delete(store::VERSIONS, k);
        }
        match engine.table.commit(batch).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(SsmError::TooManyUpdates)
}

pub async fn delete(engine: &Engine, scope: &Scope, req: DeleteParameterRequest) -> Result<()> {
    delete_one(engine, scope, &req.name).await
}

pub async fn delete_many(
    engine: &Engine,
    scope: &Scope,
    req: DeleteParametersRequest,
) -> Result<DeleteParametersResult> {
    let mut out = DeleteParametersResult {
        deleted_parameters: Vec::new(),
        invalid_parameters: Vec::new(),
    };
    for name in &req.names {
        if out.deleted_parameters.contains(name) || out.invalid_parameters.contains(name) {
            continue;
        }
        match delete_one(engine, scope, name).await {
            Ok(()) => out.deleted_parameters.push(name.clone()),
            Err(SsmError::ParameterNotFound(_)) => out.invalid_parameters.push(name.clone()),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}
