//! The AWS API models, embedded and parsed on first use.
//!
//! `models/<service>.json` are botocore's `service-2.json` files stripped of documentation by
//! `xtask/codegen.py`, which also writes `src/generated/` (operation names and error codes as
//! constants). The protocol codecs in `lamina-wire` walk these models at run time; see
//! `docs/protocol.md` for why the codec is generic rather than generated per service.
//!
//! A model is parsed the first time a request for its service arrives, so startup does not
//! pay for models nobody uses.

pub mod conformance;
pub mod generated;
mod shape;

pub use generated::BOTOCORE_VERSION;
pub use shape::{Http, Metadata, Model, Operation, Shape, ShapeRef, ShapeType};

use std::collections::HashMap;
use std::sync::OnceLock;

/// A service's identity on the wire, known without parsing its model (generated).
#[derive(Debug, Clone, Copy)]
pub struct ServiceInfo {
    /// The model's name (`ssm`, `lambda`, `dynamodbstreams`).
    pub name: &'static str,
    pub api_version: &'static str,
    /// `json`, `query`, `rest-json` or `rest-xml`.
    pub protocol: &'static str,
    /// The SigV4 credential-scope service name.
    pub signing_name: &'static str,
    pub endpoint_prefix: &'static str,
    /// The `X-Amz-Target` prefix of JSON-protocol services.
    pub target_prefix: Option<&'static str>,
    /// First path segments of rest services' request URIs (`/2015-03-31`, `/restapis`).
    pub path_prefixes: &'static [&'static str],
}

/// Every embedded service's wire identity.
pub fn services() -> &'static [ServiceInfo] {
    generated::SERVICES
}

/// Names of every embedded model.
pub fn service_names() -> impl Iterator<Item = &'static str> {
    generated::MODELS.iter().map(|(name, _, _)| *name)
}

/// The parsed model of a service, or `None` if Lamina does not embed it.
pub fn get(service: &str) -> Option<&'static Model> {
    static CELLS: OnceLock<HashMap<&'static str, (usize, OnceLock<Model>)>> = OnceLock::new();
    let cells = CELLS.get_or_init(|| {
        generated::MODELS
            .iter()
            .enumerate()
            .map(|(i, (name, _, _))| (*name, (i, OnceLock::new())))
            .collect()
    });
    let (index, cell) = cells.get(service)?;
    Some(cell.get_or_init(|| {
        let (name, _, text) = generated::MODELS[*index];
        // The embedded models and patches are checked by `every_model_parses`; a failure
        // here is a build defect, not an input error.
        match patch_for(name) {
            Some(patch) => Model::parse_patched(name, text, patch).expect("embedded model parses"),
            None => Model::parse(name, text).expect("embedded model parses"),
        }
    }))
}

/// Where AWS behaves differently from its own model, the difference is data: a JSON merge
/// patch (RFC 7386) per service in `patches/`, applied when the model is loaded. Each patch
/// file says why in its `_comment`.
const PATCHES: &[(&str, &str)] = &[("sqs", include_str!("../patches/sqs.json"))];

fn patch_for(service: &str) -> Option<&'static str> {
    PATCHES.iter().find(|(s, _)| *s == service).map(|(_, p)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_model_parses() {
        for name in service_names() {
            let m = get(name).unwrap();
            assert!(!m.operations.is_empty(), "{name}");
            for op in m.operations.values() {
                for r in op
                    .input
                    .iter()
                    .chain(op.output.iter())
                    .chain(op.errors.iter())
                {
                    assert!(
                        m.shapes.contains_key(&r.shape),
                        "{name}: {} missing",
                        r.shape
                    );
                }
            }
        }
    }

    #[test]
    fn patches_apply() {
        let sqs = get("sqs").unwrap();
        assert!(
            sqs.shape("QueueAttributeName")
                .unwrap()
                .enum_values
                .is_empty()
        );
        // untouched parts of the model stay
        assert!(sqs.shape("QueueAttributeName").is_some());
        assert!(sqs.operation("SendMessage").is_some());
        for (service, _) in PATCHES {
            assert!(
                service_names().any(|n| n == *service),
                "patch for unknown service {service}"
            );
        }
    }

    #[test]
    fn generated_operations_match_model() {
        let m = get("ssm").unwrap();
        let mut ops: Vec<&str> = m.operations.keys().map(String::as_str).collect();
        ops.sort();
        assert_eq!(ops, generated::ssm::OPERATIONS);
        assert_eq!(
            generated::ssm::errors::PARAMETER_NOT_FOUND.code,
            "ParameterNotFound"
        );
    }

    #[test]
    fn metadata_is_read() {
        let m = get("ssm").unwrap();
        assert_eq!(m.metadata.protocol, "json");
        assert_eq!(m.metadata.target_prefix.as_deref(), Some("AmazonSSM"));
        assert_eq!(m.metadata.json_version.as_deref(), Some("1.1"));
        let sts = get("sts").unwrap();
        assert_eq!(sts.metadata.protocol, "query");
        let put = &m.operations["PutParameter"];
        let input = m.shape(&put.input.as_ref().unwrap().shape).unwrap();
        assert!(input.required.iter().any(|r| r == "Name"));
    }
}
