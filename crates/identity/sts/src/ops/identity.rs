//! Resolving the caller: GetCallerIdentity, GetAccessKeyInfo, and the caller check every
//! operation starts with.

use crate::error::StsError;
use crate::ids::TEMPORARY_KEY_PREFIX;
use crate::store::Credentials;
use crate::types::{GetAccessKeyInfoRequest, GetAccessKeyInfoResponse, GetCallerIdentityResponse};
use lamina_core::RequestContext;
use lamina_storage::Store;

/// Who signed the request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// Any access key Lamina did not issue: the account's root user.
    Root { account: String },
    /// Temporary credentials Lamina issued (AssumeRole or GetSessionToken), not expired.
    Temporary(Box<Credentials>),
}

impl Caller {
    pub fn identity(&self) -> GetCallerIdentityResponse {
        match self {
            Caller::Root { account } => GetCallerIdentityResponse {
                user_id: account.clone(),
                account: account.clone(),
                arn: root_arn(account),
            },
            Caller::Temporary(c) => GetCallerIdentityResponse {
                user_id: c.user_id.clone(),
                account: c.account.clone(),
                arn: c.arn.clone(),
            },
        }
    }
}

pub fn root_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:root")
}

/// Resolves the request's access key; credentials Lamina issued that have expired are
/// rejected with `ExpiredToken`, as AWS rejects them.
pub async fn caller(store: &dyn Store, ctx: &RequestContext, now: i64) -> Result<Caller, StsError> {
    if ctx.access_key_id.starts_with(TEMPORARY_KEY_PREFIX)
        && let Some(c) = Credentials::lookup(store, &ctx.access_key_id).await?
    {
        if c.is_expired(now) {
            return Err(StsError::ExpiredToken);
        }
        return Ok(Caller::Temporary(Box::new(c)));
    }
    Ok(Caller::Root {
        account: ctx.account_id.clone(),
    })
}

pub fn get_caller_identity(caller: &Caller) -> GetCallerIdentityResponse {
    caller.identity()
}

/// The account of any access key: the account Lamina issued it in, or the default account
/// for keys Lamina did not issue (every such key stands for the default account's root).
pub async fn get_access_key_info(
    store: &dyn Store,
    ctx: &RequestContext,
    req: GetAccessKeyInfoRequest,
) -> Result<GetAccessKeyInfoResponse, StsError> {
    let account = match Credentials::lookup(store, &req.access_key_id).await? {
        Some(c) => c.account,
        None => ctx.account_id.clone(),
    };
    Ok(GetAccessKeyInfoResponse { account })
}
