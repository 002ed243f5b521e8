//! REST APIs (API Gateway v1): the `apigateway` control plane (rest-json, `/restapis...`,
//! `/apikeys`, `/usageplans`, `/domainnames`, `/tags`) and the v1 data plane.
//!
//! Control plane: RestApis, Resources, Methods, Integrations, method and integration
//! responses, Models, RequestValidators, Authorizers, Deployments (each a frozen snapshot of
//! the definition), Stages (patchable method settings, variables, access-log settings), API
//! keys, usage plans and their keys, GetUsage and UpdateUsage (the data plane's quota
//! counters, `throttle::Usage`), FlushStageCache, FlushStageAuthorizersCache,
//! ImportRestApi/PutRestApi (OpenAPI 3 / Swagger 2, JSON or YAML), GetExport, domain names
//! with base path mappings, tags.
//!
//! Data plane ([`invoke`]): resource matching against the deployed snapshot of a stage,
//! MOCK, AWS_PROXY (Lambda through [`lamina_bus::Invoker`]), AWS (Lambda non-proxy, and
//! service integrations such as DynamoDB `action/PutItem` or SQS `path/<account>/<queue>`
//! called in process through [`lamina_bus::ServiceCaller`], see [`aws_service`]), HTTP and
//! HTTP_PROXY integrations, Lambda TOKEN/REQUEST authorizers with cached results,
//! COGNITO_USER_POOLS authorizers ([`cognito`]: JWTs checked against the pool's JWKS, claims
//! in `requestContext.authorizer.claims`), API keys, usage-plan throttles and quotas, stage
//! response caching ([`cache`]: method settings, cache key parameters, TTL,
//! `Cache-Control: max-age=0`, FlushStageCache), access-log lines to CloudWatch Logs.
//!
//! Known differences from AWS: AWS integrations do not assume their `credentials` role;
//! Cognito pools are not Lamina's own yet (the issuer of a pool is configured with
//! `LAMINA_COGNITO_ISSUERS` or recognised by its `/<pool id>` suffix, see [`cognito`]); YAML
//! documents are read as YAML 1.2.

pub mod authorizer;
pub mod aws_service;
pub mod cache;
pub mod cognito;
pub mod error;
pub mod integrations;
pub mod invoke;
pub mod openapi;
pub mod ops;
pub mod patch;
pub mod provider;
pub mod store;
pub mod types;

pub use provider::RestApiService;
