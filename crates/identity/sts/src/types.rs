//! Typed inputs and outputs of the implemented operations, in canonical form (member names
//! as in the model; timestamps as epoch seconds). A test checks every field against the
//! model shape it stands for.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct PolicyDescriptor {
    #[serde(default)]
    pub arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ProvidedContext {
    #[serde(default)]
    pub provider_arn: Option<String>,
    #[serde(default)]
    pub context_assertion: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AssumeRoleRequest {
    pub role_arn: String,
    pub role_session_name: String,
    #[serde(default)]
    pub policy_arns: Vec<PolicyDescriptor>,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default)]
    pub duration_seconds: Option<i64>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub transitive_tag_keys: Vec<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub token_code: Option<String>,
    #[serde(default)]
    pub source_identity: Option<String>,
    #[serde(default)]
    pub provided_contexts: Vec<ProvidedContext>,
    #[serde(default)]
    pub minimum_session_token_size: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GetSessionTokenRequest {
    #[serde(default)]
    pub duration_seconds: Option<i64>,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub token_code: Option<String>,
    #[serde(default)]
    pub minimum_session_token_size: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GetAccessKeyInfoRequest {
    pub access_key_id: String,
}

/// The `Credentials` shape of the wire (named apart from the stored [`crate::Credentials`]).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct WireCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch seconds.
    pub expiration: i64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AssumedRoleUser {
    pub assumed_role_id: String,
    pub arn: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AssumeRoleResponse {
    pub credentials: WireCredentials,
    pub assumed_role_user: AssumedRoleUser,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packed_policy_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GetSessionTokenResponse {
    pub credentials: WireCredentials,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GetCallerIdentityResponse {
    pub user_id: String,
    pub account: String,
    pub arn: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct GetAccessKeyInfoResponse {
    pub account: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of `T` is a member of `shape`, and every required member is a field.
    fn check<T: for<'de> Deserialize<'de>>(shape: &str) {
        lamina_model::conformance::check_struct::<T>("sts", shape, &[]);
    }

    #[test]
    fn structs_match_model_shapes() {
        check::<Tag>("Tag");
        check::<PolicyDescriptor>("PolicyDescriptorType");
        check::<ProvidedContext>("ProvidedContext");
        check::<AssumeRoleRequest>("AssumeRoleRequest");
        check::<GetSessionTokenRequest>("GetSessionTokenRequest");
        check::<GetAccessKeyInfoRequest>("GetAccessKeyInfoRequest");
        check::<WireCredentials>("Credentials");
        check::<AssumedRoleUser>("AssumedRoleUser");
        check::<AssumeRoleResponse>("AssumeRoleResponse");
        check::<GetSessionTokenResponse>("GetSessionTokenResponse");
        check::<GetCallerIdentityResponse>("GetCallerIdentityResponse");
        check::<GetAccessKeyInfoResponse>("GetAccessKeyInfoResponse");
    }

    #[test]
    fn request_reads_canonical_input() {
        let v = serde_json::json!({
            "RoleArn": "arn:aws:iam::123456789012:role/app",
            "RoleSessionName": "s1",
            "DurationSeconds": 900,
            "Tags": [{"Key": "team", "Value": "a"}],
            "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]
        });
        let r: AssumeRoleRequest = serde_json::from_value(v).unwrap();
        assert_eq!(r.duration_seconds, Some(900));
        assert_eq!(r.tags[0].key, "team");
        assert_eq!(
            r.policy_arns[0].arn.as_deref(),
            Some("arn:aws:iam::aws:policy/ReadOnlyAccess")
        );
    }
}
