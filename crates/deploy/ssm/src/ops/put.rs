//! PutParameter: create, or overwrite as a new version.

use super::{Engine, MAX_ATTEMPTS};
use crate::error::{Result, SsmError};
use crate::names;
use crate::store::{self, HeadRecord, Loaded, Scope, VersionRecord};
use crate::types::{ParameterInlinePolicy, PutParameterRequest, PutParameterResult, Tag};
use lamina_storage::{StoreError, WriteBatch};
use std::collections::BTreeMap;

pub const MAX_VERSIONS: usize = 100;
pub const MAX_TAGS: usize = 50;
const STANDARD_MAX: usize = 4096;
const ADVANCED_MAX: usize = 8192;
pub const DEFAULT_KEY: &str = "alias/aws/ssm";
const TYPES: [&str; 3] = ["String", "StringList", "SecureString"];
const DATA_TYPES: [&str; 3] = ["text", "aws:ec2:image", "aws:ssm:integration"];

/// What the request asks for, checked once before the read-modify-write loop.
struct Checked {
    name: String,
    overwrite: bool,
    pattern: Option<regex_lite::Regex>,
    policies: Option<Vec<ParameterInlinePolicy>>,
}

fn check(req: &PutParameterRequest) -> Result<Checked> {
    let name = names::validate_name(&req.name)?;
    if req.value.is_empty() {
        return Err(SsmError::Validation(
            "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.".into(),
        ));
    }
    let overwrite = req.overwrite.unwrap_or(false);
    if overwrite && req.tags.as_ref().is_some_and(|t| !t.is_empty()) {
        return Err(SsmError::Validation(
            "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.".into(),
        ));
    }
    if let Some(t) = &req.kind
        && !TYPES.contains(&t.as_str())
    {
        return Err(SsmError::Validation(format!(
            "1 validation error detected: Value '{t}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]"
        )));
    }
    if let Some(dt) = &req.data_type
        && !DATA_TYPES.contains(&dt.as_str())
    {
        return Err(SsmError::Validation(format!(
            "The following data type is not supported: {dt} (Data type names are all lowercase.)"
        )));
    }
    if let Some(tags) = &req.tags {
        if tags.len() > MAX_TAGS {
            return Err(SsmError::Validation(
                "The Tags parameter contains too many tags. A resource can have a maximum of 50 tags.".into(),
            ));
        }
        super::tags::check_keys(tags.iter().map(|t| t.key.as_str()))?;
    }
    let pattern = match &req.allowed_pattern {
        Some(p) if !p.is_empty() => Some(compile_pattern(p)?),
        _ => None,
    };
    let policies = req.policies.as_deref().map(parse_policies).transpose()?;
    Ok(Checked {
        name,
        overwrite,
        pattern,
        policies,
    })
}

fn compile_pattern(p: &str) -> Result<regex_lite::Regex> {
    regex_lite::RegexBuilder::new(p)
        .size_limit(1 << 20)
        // Nesting is bounded like every other recursive input (lamina_wire::MAX_DEPTH).
        .nest_limit(64)
        .build()
        .map_err(|e| {
            SsmError::InvalidAllowedPattern(format!("The allowed pattern is not valid: {e}"))
        })
}

/// `Policies` is a JSON array of `{"Type", "Version", "Attributes"}` objects.
fn parse_policies(text: &str) -> Result<Vec<ParameterInlinePolicy>> {
    let invalid = || {
        SsmError::InvalidPolicyAttribute(format!(
            "The policy is not valid JSON or has the wrong format: {text}"
        ))
    };
    let v: serde_json::Value = serde_json::from_str(text).map_err(|_| invalid())?;
    let items = v.as_array().ok_or_else(invalid)?;
    let mut out = Vec::with_capacity(items.len());
    let mut seen = Vec::new();
    for item in items {
        let obj = item.as_object().ok_or_else(invalid)?;
        let kind = obj.get("Type").and_then(|t| t.as_str()).unwrap_or_default();
        if !matches!(
            kind,
            "Expiration" | "ExpirationNotification" | "NoChangeNotification"
        ) {
            return Err(SsmError::InvalidPolicyType(format!(
                "The following policy type is not supported: {kind}. Supported policy types: Expiration, ExpirationNotification, NoChangeNotification."
            )));
        }
        if !obj.get("Attributes").is_some_and(|a| a.is_object()) {
            return Err(SsmError::InvalidPolicyAttribute(format!(
                "The policy of type {kind} is missing the Attributes object."
            )));
        }
        if seen.contains(&kind) {
            return Err(SsmError::IncompatiblePolicy(format!(
                "A parameter can have only one policy of type {kind}."
            )));
        }
        seen.push(kind);
        out.push(ParameterInlinePolicy {
            policy_text: item.to_string(),
            policy_type: kind.to_string(),
            policy_status: "Pending".into(),
        });
    }
    Ok(out)
}

/// The tier a value ends up in, given the request and the previous version.
fn decide_tier(
    requested: Option<&str>,
    previous: Option<&str>,
    value_len: usize,
    has_policies: bool,
) -> Result<&'static str> {
    let was_advanced = previous == Some("Advanced");
    let tier = match requested {
        Some("Standard") if was_advanced => {
            return Err(SsmError::Validation(
                "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.".into(),
            ));
        }
        Some("Standard") => "Standard",
        Some("Advanced") => "Advanced",
        Some("Intelligent-Tiering") if was_advanced || value_len > STANDARD_MAX || has_policies => {
            "Advanced"
        }
        Some("Intelligent-Tiering") => "Standard",
        Some(other) => {
            return Err(SsmError::Validation(format!(
                "1 validation error detected: Value '{other}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]"
            )));
        }
        None if was_advanced => "Advanced",
        None => "Standard",
    };
    if tier == "Standard" && value_len > STANDARD_MAX {
        return Err(SsmError::Validation(
            "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html".into(),
        ));
    }
    if value_len > ADVANCED_MAX {
        return Err(SsmError::Validation(
            "Advanced tier parameters support a maximum parameter value of 8192 characters.".into(),
        ));
    }
    if tier == "Standard" && has_policies {
        return Err(SsmError::Validation(
            "Parameter policies are supported only for advanced-parameter tier. Update the parameter to use the advanced-parameter tier and try again.".into(),
        ));
    }
    Ok(tier)
}

fn valid_ami(value: &str) -> bool {
    value.strip_prefix("ami-").is_some_and(|h| {
        (h.len() == 8 || h.len() == 17)
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

pub async fn put(
    engine: &Engine,
    scope: &Scope,
    req: PutParameterRequest,
) -> Result<PutParameterResult> {
    let c = check(&req)?;
    for _ in 0..MAX_ATTEMPTS {
        let existing = engine.table.head(scope, &c.name).await?;
        let prev = existing.as_ref().map(|l| &l.head);
        if prev.is_some() && !c.overwrite {
            return Err(SsmError::ParameterAlreadyExists);
        }
        let prev_v = prev.map(|h| &h.latest);
        let kind = match (&req.kind, prev_v) {
            (Some(k), _) => k.clone(),
            (None, Some(p)) => p.kind.clone(),
            (None, None) => {
                return Err(SsmError::Validation(
                    "A parameter type is required when you create a parameter.".into(),
                ));
            }
        };
        let key_id = if kind == "SecureString" {
            Some(match (&req.key_id, prev_v) {
                (Some(k), _) => check_key_id(k)?,
                (None, Some(p)) if p.kind == "SecureString" => {
                    p.key_id.clone().unwrap_or(DEFAULT_KEY.into())
                }
                _ => DEFAULT_KEY.to_string(),
            })
        } else if req.key_id.is_some() {
            return Err(SsmError::Validation(
                "KeyId is required for SecureString type parameter only.".into(),
            ));
        } else {
            None
        };
        let data_type = req
            .data_type
            .clone()
            .or_else(|| prev_v.map(|p| p.data_type.clone()))
            .unwrap_or("text".into());
        if data_type == "aws:ec2:image" {
            if kind != "String" {
                return Err(SsmError::Validation(
                    "The data type aws:ec2:image is only supported for String parameters.".into(),
                ));
            }
            if !valid_ami(&req.value) {
                return Err(SsmError::Validation(format!(
                    "Parameter value {} is not a valid AMI ID. AMI IDs have the format ami-12345678 or ami-1234567890abcdef0.",
                    req.value
                )));
            }
        }
        let description = req
            .description
            .clone()
            .or_else(|| prev_v.and_then(|p| p.description.clone()));
        let (allowed_pattern, pattern) = match (&req.allowed_pattern, prev_v) {
            (Some(p), _) => (Some(p.clone()).filter(|p| !p.is_empty()), c.pattern.clone()),
            (None, Some(p)) => match &p.allowed_pattern {
                Some(ap) => (Some(ap.clone()), Some(compile_pattern(ap)?)),
                None => (None, None),
            },
            (None, None) => (None, None),
        };
        if let (Some(re), Some(text)) = (&pattern, &allowed_pattern)
            && !re.is_match(&req.value)
        {
            return Err(SsmError::PatternMismatch(text.clone()));
        }
        let policies = match &c.policies {
            Some(p) => p.clone(),
            None => prev_v.map(|p| p.policies.clone()).unwrap_or_default(),
        };
        let tier = decide_tier(
            req.tier.as_deref(),
            prev_v.map(|p| p.tier.as_str()),
            req.value.len(),
            !policies.is_empty(),
        )?;
        let version = prev_v.map(|p| p.version + 1).unwrap_or(1);
        let value = if kind == "SecureString" {
            engine.crypto.encrypt(scope, &c.name, version, &req.value)?
        } else {
            req.value.clone()
        };
        let record = VersionRecord {
            v: store::FORMAT,
            version,
            kind,
            value,
            key_id,
            description,
            allowed_pattern,
            tier: tier.to_string(),
            policies,
            data_type,
            modified: lamina_core::now_epoch_seconds(),
            user: scope.user.clone(),
        };

        let mut batch = WriteBatch::new();
        let head_key = store::head_key(scope, &c.name);
        let head = match existing {
            None => {
                batch.require_absent(store::PARAMS, head_key.clone());
                let mut tags: Vec<Tag> = Vec::new();
                for t in req.tags.iter().flatten() {
                    match tags.iter_mut().find(|x| x.key == t.key) {
                        Some(x) => x.value = t.value.clone(),
                        None => tags.push(t.clone()),
                    }
                }
                HeadRecord {
                    v: store::FORMAT,
                    name: c.name.clone(),
                    latest: record.clone(),
                    versions: vec![version],
                    labels: BTreeMap::new(),
                    tags,
                }
            }
            Some(Loaded { head, raw }) => {
                batch.require_equals(store::PARAMS, head_key.clone(), raw);
                let mut versions = head.versions.clone();
                if versions.len() >= MAX_VERSIONS {
                    let oldest = versions[0];
                    if head.labels.values().any(|v| *v == oldest) {
                        return Err(SsmError::MaxVersionLimit {
                            name: c.name.clone(),
                            version: oldest,
                        });
                    }
                    versions.remove(0);
                    batch.delete(store::VERSIONS, store::version_key(scope, &c.name, oldest));
                }
                versions.push(version);
                HeadRecord {
                    latest: record.clone(),
                    versions,
                    ..head
                }
            }
        };
        batch.put(store::PARAMS, head_key, store::encode(&head)?);
        batch.put(
            store::VERSIONS,
            store::version_key(scope, &c.name, version),
            store::encode(&record)?,
        );
        match engine.table.commit(batch).await {
            Ok(()) => {
                return Ok(PutParameterResult {
                    version,
                    tier: tier.to_string(),
                });
            }
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(SsmError::TooManyUpdates)
}

/// Lamina has no KMS: any alias, key id or key ARN of the right shape is accepted and recorded.
fn check_key_id(k: &str) -> Result<String> {
    let ok = k.starts_with("alias/")
        || k.starts_with("arn:aws:kms:")
        || (k.len() == 36 && k.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        || (k.starts_with("mrk-") && k.len() > 4);
    if ok {
        Ok(k.to_string())
    } else {
        Err(SsmError::InvalidKeyId(format!("Invalid keyId {k}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers() {
        assert_eq!(decide_tier(None, None, 10, false).unwrap(), "Standard");
        assert_eq!(
            decide_tier(Some("Intelligent-Tiering"), None, 5000, false).unwrap(),
            "Advanced"
        );
        assert_eq!(
            decide_tier(Some("Intelligent-Tiering"), None, 10, false).unwrap(),
            "Standard"
        );
        assert_eq!(
            decide_tier(Some("Intelligent-Tiering"), None, 10, true).unwrap(),
            "Advanced"
        );
        assert_eq!(
            decide_tier(None, Some("Advanced"), 10, false).unwrap(),
            "Advanced"
        );
        assert!(decide_tier(Some("Standard"), Some("Advanced"), 10, false).is_err());
        assert!(decide_tier(Some("Standard"), None, 4097, false).is_err());
        assert!(decide_tier(Some("Advanced"), None, 8193, false).is_err());
        assert!(decide_tier(Some("Standard"), None, 10, true).is_err());
    }

    #[test]
    fn policies() {
        let p = parse_policies(r#"[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00.000Z"}}]"#).unwrap();
        assert_eq!(p[0].policy_type, "Expiration");
        assert_eq!(p[0].policy_status, "Pending");
        assert!(matches!(
            parse_policies(r#"[{"Type":"Nope","Attributes":{}}]"#),
            Err(SsmError::InvalidPolicyType(_))
        ));
        assert!(matches!(
            parse_policies("{"),
            Err(SsmError::InvalidPolicyAttribute(_))
        ));
    }

    #[test]
    fn amis_and_keys() {
        assert!(valid_ami("ami-12345678"));
        assert!(valid_ami("ami-0123456789abcdef0"));
        assert!(!valid_ami("ami-1234"));
        assert!(!valid_ami("img-12345678"));
        assert!(check_key_id("alias/my-key").is_ok());
        assert!(check_key_id("1234abcd-12ab-34cd-56ef-1234567890ab").is_ok());
        assert!(matches!(
            check_key_id("nope"),
            Err(SsmError::InvalidKeyId(_))
        ));
    }
}
