//! Issuing temporary credentials: AssumeRole and GetSessionToken.

use super::identity::Caller;
use crate::error::StsError;
use crate::ids;
use crate::store::{Credentials, Principal};
use crate::types::{
    AssumeRoleRequest, AssumeRoleResponse, AssumedRoleUser, GetSessionTokenRequest,
    GetSessionTokenResponse, WireCredentials,
};
use lamina_storage::Store;

/// AssumeRole's default session length.
const DEFAULT_ROLE_SESSION_SECONDS: i64 = 3600;
/// The longest session a role session may ask for when it assumes another role.
const CHAINED_SESSION_MAX_SECONDS: i64 = 3600;
/// GetSessionToken's default for IAM users; the root user is held to an hour.
const DEFAULT_SESSION_TOKEN_SECONDS: i64 = 43_200;
const ROOT_SESSION_TOKEN_MAX_SECONDS: i64 = 3600;
/// Session policies and tags are packed into this many bytes (approximation, see lib.rs).
const PACKED_POLICY_BUDGET: usize = 2048;

/// The parts of an IAM role ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    /// The role's name, without its path.
    pub name: &'a str,
}

/// Parses `arn:<partition>:iam::<12 digits>:role/<path/>name`.
pub fn parse_role_arn(arn: &str) -> Option<RoleArn<'_>> {
    let mut parts = arn.splitn(6, ':');
    let (scheme, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let partition_ok = partition == "aws"
        || partition
            .strip_prefix("aws-")
            .is_some_and(|p| !p.is_empty());
    if scheme != "arn" || !partition_ok || service != "iam" || !region.is_empty() {
        return None;
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let path_and_name = resource.strip_prefix("role/")?;
    let (path, name) = match path_and_name.rfind('/') {
        Some(i) => (&path_and_name[..i], &path_and_name[i + 1..]),
        None => ("", path_and_name),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    let path_ok = path.len() <= 512 && path.bytes().all(|b| (0x21..=0x7e).contains(&b));
    (name_ok && path_ok).then_some(RoleArn {
        partition,
        account,
        name,
    })
}

pub async fn assume_role(
    store: &dyn Store,
    caller: &Caller,
    req: AssumeRoleRequest,
    now: i64,
) -> Result<AssumeRoleResponse, StsError> {
    let role = parse_role_arn(&req.role_arn)
        .ok_or_else(|| StsError::InvalidRoleArn(req.role_arn.clone()))?;
    let chained = matches!(caller, Caller::Temporary(c) if c.role_arn().is_some());
    if chained
        && req
            .duration_seconds
            .is_some_and(|d| d > CHAINED_SESSION_MAX_SECONDS)
    {
        return Err(StsError::ChainedSessionTooLong);
    }
    let packed_policy_size = packed_policy_size(&req)?;
    let duration = req.duration_seconds.unwrap_or(DEFAULT_ROLE_SESSION_SECONDS);

    let role_id = ids::role_id(&req.role_arn);
    let assumed_role_id = format!("{role_id}:{}", req.role_session_name);
    let arn = format!(
        "arn:{}:sts::{}:assumed-role/{}/{}",
        role.partition, role.account, role.name, req.role_session_name
    );
    let (tags, transitive_tag_keys) = session_tags(caller, &req);
    let creds = Credentials {
        version: Credentials::version(),
        access_key_id: ids::access_key_id(ids::TEMPORARY_KEY_PREFIX, role.account),
        secret_access_key: ids::secret_access_key(),
        session_token: ids::session_token(),
        expiration: now + duration,
        account: role.account.to_string(),
        arn: arn.clone(),
        user_id: assumed_role_id.clone(),
        principal: Principal::AssumedRole {
            role_arn: req.role_arn.clone(),
            role_id,
            session_name: req.role_session_name.clone(),
        },
        source_identity: req.source_identity.clone(),
        tags,
        transitive_tag_keys,
        issued: now,
    };
    creds.save(store).await?;
    tracing::debug!(role_arn = %req.role_arn, access_key_id = %creds.access_key_id, "assumed role");
    Ok(AssumeRoleResponse {
        credentials: wire(&creds),
        assumed_role_user: AssumedRoleUser {
            assumed_role_id,
            arn,
        },
        packed_policy_size,
        source_identity: req.source_identity,
    })
}

pub async fn get_session_token(
    store: &dyn Store,
    caller: &Caller,
    req: GetSessionTokenRequest,
    now: i64,
) -> Result<GetSessionTokenResponse, StsError> {
    let Caller::Root { account } = caller else {
        return Err(StsError::SessionCredentials);
    };
    // Every key Lamina did not issue stands for the root user, whose sessions AWS holds to
    // one hour (longer requests are shortened, not refused).
    let duration = req
        .duration_seconds
        .unwrap_or(DEFAULT_SESSION_TOKEN_SECONDS)
        .min(ROOT_SESSION_TOKEN_MAX_SECONDS);
    let identity = caller.identity();
    let creds = Credentials {
        version: Credentials::version(),
        access_key_id: ids::access_key_id(ids::TEMPORARY_KEY_PREFIX, account),
        secret_access_key: ids::secret_access_key(),
        session_token: ids::session_token(),
        expiration: now + duration,
        account: account.clone(),
        arn: identity.arn,
        user_id: identity.user_id,
        principal: Principal::Session,
        source_identity: None,
        tags: Vec::new(),
        transitive_tag_keys: Vec::new(),
        issued: now,
    };
    creds.save(store).await?;
    Ok(GetSessionTokenResponse {
        credentials: wire(&creds),
    })
}

fn wire(c: &Credentials) -> WireCredentials {
    WireCredentials {
        access_key_id: c.access_key_id.clone(),
        secret_access_key: c.secret_access_key.clone(),
        session_token: c.session_token.clone(),
        expiration: c.expiration,
    }
}

/// The session's tags: the request's, plus the transitive tags of a calling role session.
fn session_tags(caller: &Caller, req: &AssumeRoleRequest) -> (Vec<(String, String)>, Vec<String>) {
    let mut tags: Vec<(String, String)> = req
        .tags
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect();
    let mut transitive = req.transitive_tag_keys.clone();
    if let Caller::Temporary(c) = caller {
        for key in &c.transitive_tag_keys {
            if let Some(tag) = c.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))
                && !tags.iter().any(|(k, _)| k.eq_ignore_ascii_case(key))
            {
                tags.push(tag.clone());
                transitive.push(key.clone());
            }
        }
    }
    (tags, transitive)
}

/// The packed size of the session policies and tags as a percentage of the allowed size,
/// when any were passed. AWS packs them into a compressed binary form it does not document;
/// this counts the minified plaintext against a 2,048-byte budget, which is the plaintext
/// limit AWS states, so policies AWS accepts are accepted here.
fn packed_policy_size(req: &AssumeRoleRequest) -> Result<Option<u32>, StsError> {
    if req.policy.is_none() && req.policy_arns.is_empty() && req.tags.is_empty() {
        return Ok(None);
    }
    let mut bytes = 0usize;
    if let Some(policy) = &req.policy {
        let doc: serde_json::Value =
            serde_json::from_str(policy).map_err(|_| StsError::MalformedPolicy)?;
        if !doc.is_object() {
            return Err(StsError::MalformedPolicy);
        }
        bytes += doc.to_string().len();
    }
    bytes += req
        .policy_arns
        .iter()
        .filter_map(|p| p.arn.as_deref())
        .map(str::len)
        .sum::<usize>();
    bytes += req
        .tags
        .iter()
        .map(|t| t.key.len() + t.value.len())
        .sum::<usize>();
    let percent = (bytes * 100).div_ceil(PACKED_POLICY_BUDGET);
    let percent = u32::try_from(percent).unwrap_or(u32::MAX);
    if percent > 100 {
        return Err(StsError::PackedPolicyTooLarge(percent));
    }
    Ok(Some(percent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        let r = parse_role_arn("arn:aws:iam::123456789012:role/app").unwrap();
        assert_eq!(
            (r.partition, r.account, r.name),
            ("aws", "123456789012", "app")
        );
        let r = parse_role_arn("arn:aws:iam::123456789012:role/service-role/team/app-x").unwrap();
        assert_eq!(r.name, "app-x");
        assert!(parse_role_arn("arn:aws-cn:iam::123456789012:role/app").is_some());
        for bad in [
            "arn:aws:iam::123456789012:user/app",
            "arn:aws:s3:::123456789012:role/app",
            "arn:aws:iam:us-east-1:123456789012:role/app",
            "arn:aws:iam::12345678901:role/app",
            "arn:aws:iam::12345678901x:role/app",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::123456789012:role/path/",
            "arn:aws:iam::123456789012:role/a b",
            "arn:aws:iam::123456789012",
            "arn:aws-:iam::123456789012:role/app",
            "xrn:aws:iam::123456789012:role/app",
            "role/app-that-is-long-enough",
        ] {
            assert_eq!(parse_role_arn(bad), None, "{bad}");
        }
    }
}
