//! STS for Lamina: who is calling, and temporary credentials kept in the store.
//!
//! Supported operations:
//! * `GetCallerIdentity`: any access key Lamina did not issue is the account's root user
//!   (`arn:aws:iam::<account>:root`, UserId = the account id); keys issued by `AssumeRole`
//!   report `arn:aws:sts::<account>:assumed-role/<role>/<session>` and `<RoleId>:<session>`;
//!   keys issued by `GetSessionToken` report the identity that asked for them.
//! * `AssumeRole`: checks that `RoleArn` is an IAM role ARN, issues `ASIA…` credentials that
//!   expire after `DurationSeconds` (default 3600), keeps them in the store (tree `sts`) so
//!   they survive restarts, and carries transitive session tags of a calling role session.
//!   `Policy`, `PolicyArns`, `Tags`, `TransitiveTagKeys`, `ExternalId`, `SerialNumber`,
//!   `TokenCode`, `SourceIdentity` and `ProvidedContexts` are accepted.
//! * `GetSessionToken`: credentials for the calling root user, at most one hour long.
//! * `GetAccessKeyInfo`: the account of any key.
//!
//! Other services resolve an access key with [`Credentials::lookup`]. Requests signed with
//! Lamina-issued credentials past their expiration get `ExpiredToken`.
//!
//! Not implemented (the gateway answers `NotImplemented`): `AssumeRoleWithWebIdentity`,
//! `AssumeRoleWithSAML`, `AssumeRoot`, `DecodeAuthorizationMessage`, `GetFederationToken`,
//! `GetDelegatedAccessToken`, `GetScopedCredentials`, `GetWebIdentityToken`.
//!
//! Known differences from AWS:
//! * There is no IAM yet: the role need not exist, trust policies are not evaluated, the
//!   role's maximum session duration is not known (any `DurationSeconds` up to 43200 is
//!   granted, where AWS caps at the role's setting, by default 3600), `ExternalId` and MFA
//!   codes are not checked, and session policies do not restrict anything.
//! * AWS refuses `AssumeRole` from root credentials ("Roles may not be assumed by root
//!   accounts"); Lamina's default credentials are root, so Lamina allows it.
//! * The role id is derived from the role ARN (stable, `AROA` + 17 characters), not IAM's.
//! * `PackedPolicySize` counts the minified plaintext of the session policy, policy ARNs and
//!   tags against 2,048 bytes; AWS measures a compressed binary form, so its figure is lower.
//! * `MinimumSessionTokenSize` is accepted and ignored; session tokens are ~420 characters.

mod error;
mod ids;
mod ops;
mod provider;
mod store;
mod types;

pub use error::{ACCESS_DENIED, EXPIRED_TOKEN, StsError};
pub use ids::account_of_access_key;
pub use provider::StsService;
pub use store::{Credentials, Principal, TREE};
