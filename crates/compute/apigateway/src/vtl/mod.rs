//! The Velocity Template Language engine behind API Gateway mapping templates (pure).
//!
//! [`render`] parses a template and runs it against one request's [`VtlContext`]. The
//! language is Velocity 1.7 as API Gateway documents it: references (`$x`, `$x.y`, `${x}`,
//! `$x.method(args)`, `$x[0]`, quiet `$!x`), literals (numbers, `"interpolated $x"`,
//! `'verbatim'`, booleans, `[lists]`, `[1..3]` ranges, `{"maps": 1}`), arithmetic, comparison
//! and logical operators (also `eq ne lt le gt ge and or not`), `#set`, `#if/#elseif/#else/#end`,
//! `#foreach` (with `$foreach.index`, `$foreach.count`, `$foreach.hasNext`, `$velocityCount`),
//! `#break`, `#stop`, comments (`##`, `#* *#`), `#[[unparsed]]#` and `\$` / `\#` escapes.
//! A directive alone on its line takes its line with it (Velocity's "lines" space gobbling).
//!
//! API Gateway's variables: `$input` (`body`, `json(path)`, `path(path)`, `params()`,
//! `params(name)`), `$util` (`escapeJavaScript`, `parseJson`, `urlEncode`, `urlDecode`,
//! `base64Encode`, `base64Decode`), `$context` (the caller's JSON; `requestOverride` and
//! `responseOverride` maps are writable with `#set` and come back in [`Rendered::overrides`])
//! and `$stageVariables`. Strings, lists and maps have the Java methods templates use.
//!
//! Everything is bounded ([`Limits`]): template size, nesting depth, `#foreach` iterations
//! (1000 per loop, as AWS), total evaluation steps and output size. No input panics.
//!
//! Choices where Velocity and API Gateway leave room: a reference that resolves to null
//! renders as the empty string, quiet (`$!x`) or not; `#set` with a null value leaves the
//! target unchanged (Velocity 1.7); property and method names may contain `-` (so
//! `$context.requestOverride.header.X-Custom` is one name), variable names may not (so
//! `$a-1` is arithmetic); `+` with a string operand concatenates (Velocity 1.7).
//!
//! Known differences from AWS: no `#macro`, `#define`, `#parse`, `#include`, `#evaluate`;
//! Java reflection beyond the listed methods is not available.

mod eval;
mod jsonpath;
mod methods;
mod parse;
#[cfg(test)]
mod tests;
mod value;

pub(crate) use methods::url_encode;

use std::collections::BTreeMap;

pub use jsonpath::{JsonPathError, select as json_path};

/// One request's parameters as `$input.params()` sees them (single values; a repeated
/// query string parameter or header gives its last value, as AWS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestParams {
    pub path: BTreeMap<String, String>,
    pub querystring: BTreeMap<String, String>,
    /// Header names as the client sent them; lookups by `$input.params('X')` fall back to a
    /// case-insensitive match.
    pub header: BTreeMap<String, String>,
}

/// What a template can see.
#[derive(Debug, Clone, Copy)]
pub struct VtlContext<'a> {
    /// The raw request (or integration response) body: `$input.body`, `$input.json`, `$input.path`.
    pub body: &'a [u8],
    pub params: &'a RequestParams,
    /// `$context`: a JSON object (`requestId`, `httpMethod`, `resourcePath`, `stage`,
    /// `identity.sourceIp`, `authorizer.*`, ...). Anything that is not an object is treated as `{}`.
    pub context: &'a serde_json::Value,
    /// `$stageVariables`.
    pub stage_variables: &'a BTreeMap<String, String>,
}

/// Bounds of one render. [`Limits::default`] are API Gateway's (where it documents them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Template size in bytes (AWS: mapping templates up to 300 KB).
    pub max_template: usize,
    /// Iterations of one `#foreach` (AWS: 1000; more are silently not run).
    pub max_loop: usize,
    /// Nesting of directives, expressions and rendered values.
    pub max_depth: usize,
    /// Evaluation steps of the whole render (loops inside loops end here).
    pub max_steps: u64,
    /// Output size in bytes.
    pub max_output: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_template: 300 * 1024,
            max_loop: 1000,
            max_depth: 64,
            max_steps: 2_000_000,
            max_output: 10 * 1024 * 1024,
        }
    }
}

/// What `#set($context.requestOverride...)` / `$context.responseOverride...` asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub request_header: BTreeMap<String, String>,
    pub request_querystring: BTreeMap<String, String>,
    pub request_path: BTreeMap<String, String>,
    /// `$context.responseOverride.status`, when set to a number in 100..=599.
    pub response_status: Option<u16>,
    pub response_header: BTreeMap<String, String>,
}

/// The result of a render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub body: String,
    pub overrides: Overrides,
}

/// Why a template could not be rendered. API Gateway answers 500
/// `{"message": "Internal server error"}` for all of them; the text is for logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VtlError {
    #[error("template syntax error at line {line}, column {column}: {message}")]
    Parse {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("template limit exceeded: {0}")]
    Limit(String),
}

/// Renders `template` with the default [`Limits`].
pub fn render(template: &str, ctx: &VtlContext<'_>) -> Result<Rendered, VtlError> {
    render_with(template, ctx, &Limits::default())
}

/// Renders `template` with explicit limits.
pub fn render_with(
    template: &str,
    ctx: &VtlContext<'_>,
    limits: &Limits,
) -> Result<Rendered, VtlError> {
    if template.len() > limits.max_template {
        return Err(VtlError::Limit(format!(
            "template of {} bytes is larger than {} bytes",
            template.len(),
            limits.max_template
        )));
    }
    let nodes = parse::parse(template, limits.max_depth)?;
    eval::run(&nodes, ctx, limits)
}
