//! Resource providers: one [`ResourceProvider`] per supported resource type, each calling
//! the owning service through [`lamina_bus::ServiceCaller`].
//!
//! (Owned by the resource-provider work; this placeholder registers no types yet.)

use crate::engine::{ProviderRegistry, ResourceProvider};
use std::sync::Arc;

/// Every provider Lamina has.
struct Registry;

impl ProviderRegistry for Registry {
    fn provider(&self, _resource_type: &str) -> Option<&dyn ResourceProvider> {
        None
    }
}

/// The production registry.
pub fn registry() -> Arc<dyn ProviderRegistry> {
    Arc::new(Registry)
}
