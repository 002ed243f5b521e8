//! CloudFormation (`lamina-cloudformation`).
//!
//! Scope: stacks, change sets, exports and the template engine behind the CloudFormation
//! query protocol; resources are created by calling the other services in process through
//! [`lamina_bus::ServiceCaller`].
//!
//! Layout: `template/` (parsing, validation, parameters, intrinsic functions and
//! conditions), `engine/` (the [`engine::ResourceProvider`] interface, the dependency graph
//! and the background runs of stack operations), `resources/` (one provider per resource
//! type), `sam/` (the `AWS::Serverless-2016-10-31` transform), `ops/` (the API operations).
//! `package` zips local code folders into a template (`lamina package`, and the server for
//! a relative `CodeUri` under its code root).
//!
//! The supported operations, resource types (with what `Ref` and `Fn::GetAtt` return), SAM
//! features and the known differences from AWS are listed in `docs/cloudformation.md`.

pub mod engine;
mod error;
mod ops;
pub mod package;
mod provider;
pub mod resources;
pub mod sam;
mod store;
pub mod template;
mod types;

pub use error::CfnError;
pub use provider::CloudFormationService;
