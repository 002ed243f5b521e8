//! DynamoDB and DynamoDB Streams. (under construction — see docs/dynamodb.md for the design
//! and what is supported)

mod error;
pub mod expr;
pub(crate) mod ops;
pub mod partiql;
mod store;
pub mod streams;
mod table;
mod throughput;
mod ttl;
pub mod value;
mod write;

pub use error::DdbError;

use lamina_core::{AwsError, BoxFuture, Input, Output, RequestContext, Service};
use lamina_storage::Store;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Options of the DynamoDB service.
#[derive(Debug, Clone)]
pub struct DynamoDbConfig {
    /// How often the TTL sweeper looks for expired items.
    pub ttl_sweep_interval: Duration,
    /// Enforce provisioned throughput with `ProvisionedThroughputExceededException`.
    pub enforce_throughput: bool,
}

impl Default for DynamoDbConfig {
    fn default() -> Self {
        Self {
            ttl_sweep_interval: Duration::from_secs(5),
            enforce_throughput: false,
        }
    }
}

/// The state every operation reaches: the store and the configuration.
pub struct DynamoDb {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: DynamoDbConfig,
    /// Cached table metas (see `store`).
    pub(crate) tables: Arc<store::TableCache>,
    /// Bumped after every commit that wrote stream records (see `streams`).
    pub(crate) stream_signal: Arc<streams::Signal>,
    /// Provisioned-throughput buckets (used when `config.enforce_throughput`).
    pub(crate) throughput: throughput::Buckets,
}

impl DynamoDb {
    pub fn new(store: Arc<dyn Store>, config: DynamoDbConfig) -> Arc<Self> {
        let stream_signal = streams::Signal::install(store.as_ref());
        Arc::new(Self {
            store,
            config,
            tables: Arc::default(),
            stream_signal,
            throughput: throughput::Buckets::default(),
        })
    }
}

/// The `dynamodb` service.
pub struct DynamoDbService {
    db: Arc<DynamoDb>,
}

impl DynamoDbService {
    pub fn new(db: Arc<DynamoDb>) -> Self {
        Self { db }
    }
}

impl Service for DynamoDbService {
    fn name(&self) -> &'static str {
        "dynamodb"
    }

    fn implemented(&self) -> &'static [&'static str] {
        static OPS: OnceLock<Vec<&'static str>> = OnceLock::new();
        OPS.get_or_init(ops::implemented)
    }

    fn call<'a>(
        &'a self,
        ctx: &'a RequestContext,
        operation: &'a str,
        input: Input,
    ) -> BoxFuture<'a, Result<Output, AwsError>> {
        Box::pin(async move {
            ops::call(&self.db, ctx, operation, input.value)
                .await
                .map(Output::json)
                .map_err(AwsError::from)
        })
    }
}
