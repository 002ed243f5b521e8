//! The layering rules of docs/architecture.md, held by a test over `cargo metadata`:
//! service crates depend on core, model, storage (the trait) and bus only — never on another
//! service, a storage backend, the gateway or the binary; the storage trait crate and the
//! protocol crates have no backend dependencies.

use std::collections::BTreeMap;
use std::process::Command;

/// Crates that are services (they implement `lamina_core::Service`).
const SERVICES: &[&str] = &[
    "lamina-ssm",
    "lamina-sts",
    "lamina-dynamodb",
    "lamina-lambda",
    "lamina-sns",
    "lamina-events",
    "lamina-logs",
    "lamina-sqs",
    "lamina-apigateway",
    "lamina-cloudformation",
];
/// Services with a data plane of their own HTTP shape may also use the protocol layer's
/// request/response types and `RawHandler` (docs/architecture.md).
const RAW_HTTP_SERVICES: &[&str] = &["lamina-apigateway"];
/// What any service may depend on among Lamina's crates.
const SERVICE_MAY_USE: &[&str] = &[
    "lamina-core",
    "lamina-model",
    "lamina-storage",
    "lamina-bus",
];
/// Crates below the services, with the Lamina crates each may use.
const LOWER: &[(&str, &[&str])] = &[
    ("lamina-core", &[]),
    ("lamina-bus", &["lamina-core"]),
    ("lamina-model", &["lamina-core"]),
    ("lamina-wire", &["lamina-core", "lamina-model"]),
    ("lamina-storage", &["lamina-core"]),
    ("lamina-storage-memory", &["lamina-core", "lamina-storage"]),
    ("lamina-storage-redb", &["lamina-core", "lamina-storage"]),
    (
        "lamina-gateway",
        &[
            "lamina-core",
            "lamina-model",
            "lamina-wire",
            "lamina-storage",
        ],
    ),
];
/// Test helpers: dev-dependencies only (they spawn processes, kill them, write temp files).
const TEST_HELPERS: &[&str] = &["lamina-storage-testsuite", "lamina-testkit"];

/// Normal (non-dev) dependencies on Lamina crates, per Lamina crate.
fn lamina_deps() -> BTreeMap<String, Vec<String>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let mut map = BTreeMap::new();
    for pkg in meta["packages"].as_array().expect("packages") {
        let name = pkg["name"].as_str().unwrap_or_default().to_string();
        let deps = pkg["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].is_null()) // normal dependencies only
            .filter_map(|d| d["name"].as_str())
            .filter(|n| n.starts_with("lamina"))
            .map(String::from)
            .collect();
        map.insert(name, deps);
    }
    map
}

#[test]
fn services_depend_only_on_core_model_storage_and_bus() {
    let deps = lamina_deps();
    for svc in SERVICES {
        let d = deps
            .get(*svc)
            .unwrap_or_else(|| panic!("{svc} is not in the workspace"));
        for dep in d {
            let allowed = SERVICE_MAY_USE.contains(&dep.as_str())
                || (dep == "lamina-wire" && RAW_HTTP_SERVICES.contains(svc));
            assert!(allowed, "{svc} must not depend on {dep}");
        }
    }
}

#[test]
fn lower_layers_do_not_reach_up() {
    let deps = lamina_deps();
    for (krate, allowed) in LOWER {
        let d = deps
            .get(*krate)
            .unwrap_or_else(|| panic!("{krate} is not in the workspace"));
        for dep in d {
            assert!(
                allowed.contains(&dep.as_str()),
                "{krate} must not depend on {dep}"
            );
        }
    }
}

#[test]
fn every_lamina_crate_is_classified() {
    // A new crate must be placed in a layer above (or be the binary / a test helper).
    let deps = lamina_deps();
    for name in deps.keys().filter(|n| n.starts_with("lamina")) {
        let known = SERVICES.contains(&name.as_str())
            || LOWER.iter().any(|(k, _)| k == name)
            || TEST_HELPERS.contains(&name.as_str())
            || name == "lamina";
        assert!(
            known,
            "{name}: add it to a layer in tests/dependency_policy.rs"
        );
    }
}

#[test]
fn test_helpers_are_dev_dependencies_only() {
    let deps = lamina_deps();
    for (krate, d) in &deps {
        for helper in TEST_HELPERS {
            assert!(
                !d.iter().any(|dep| dep == helper),
                "{krate} must use {helper} as a dev-dependency only"
            );
        }
    }
}
