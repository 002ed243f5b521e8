//! SSM Parameter Store (`lamina-ssm`).
//!
//! Scope: the Parameter Store part of AWS Systems Manager, behind the `AmazonSSM` JSON 1.1
//! protocol. State lives in the [`lamina_storage::Store`] (trees `ssm.params` and
//! `ssm.versions`, keys `account \0 region \0 name`), every write a single atomic batch with a
//! compare-and-set precondition, retried on conflict, so concurrent overwrites never lose a
//! version and concurrent creates have exactly one winner. SecureString values are encrypted
//! at rest with AES-256-GCM under the installation's master key (random nonce per value); the
//! plaintext is never stored.
//!
//! Supported operations: PutParameter, GetParameter, GetParameters, GetParametersByPath,
//! GetParameterHistory, DescribeParameters, DeleteParameter, DeleteParameters,
//! LabelParameterVersion, UnlabelParameterVersion, AddTagsToResource,
//! RemoveTagsFromResource, ListTagsForResource (ResourceType `Parameter`).
//!
//! Supported behaviour: String / StringList / SecureString, versions (100 kept, the oldest
//! dropped unless labelled), `name:version` and `name:label` selectors, parameter ARNs in
//! place of names, labels (10 per version, moved between versions), AllowedPattern, tiers
//! (Standard 4 KB, Advanced 8 KB, Intelligent-Tiering), DataType `text` / `aws:ec2:image` /
//! `aws:ssm:integration`, Policies (parsed and returned), tags (50 per parameter),
//! ParameterFilters and legacy Filters, opaque and stable page tokens.
//!
//! Known differences from AWS:
//! * There is no KMS: any well-formed KeyId is accepted and recorded; every SecureString is
//!   encrypted under the one master key. Without `WithDecryption` the value is an opaque
//!   base64 ciphertext, not a KMS blob.
//! * Parameter policies are stored and returned (status `Pending`) but never enforced
//!   (no expiration, no EventBridge notifications).
//! * `aws:ec2:image` values are checked for the AMI id format synchronously; AWS checks that
//!   the image exists, asynchronously.
//! * Public parameters (`/aws/service/...`), shared parameters (`Shared`) and resource
//!   policies are not provided.
//! * The type of a parameter may change on overwrite in any direction.
//! * DescribeParameters pages count matching parameters (AWS may return short or empty pages
//!   with a token).

mod crypto;
mod error;
mod names;
mod ops;
mod provider;
mod store;
mod types;

pub use error::SsmError;
pub use provider::SsmService;
pub use store::{PARAMS as PARAMS_TREE, VERSIONS as VERSIONS_TREE};
