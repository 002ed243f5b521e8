//! The one listener. Every request goes the same way:
//!
//! request id → admin routes (`/_lamina/*`) → SigV4 credential scope (and, with
//! `--auth verify`, signature verification) → service detection → the service's codec
//! (operation, parse) → model validation → the service → the codec (output or error) →
//! one log line (service, operation, status, latency).
//!
//! An unknown service, an operation missing from the model, and an operation Lamina has not
//! implemented each get a well-formed error in the service's protocol that names it.

mod admin;
mod dispatch;
mod server;

pub use dispatch::{
    AuthMode, CredentialResolver, Gateway, GatewayConfig, RawRoute, ResolvedCredentials,
};
pub use server::serve;
