//! Routing a rest request to its operation by method and `http.requestUri` template.
//!
//! Each model's templates are compiled once into a [`RouteTable`] (cached per model name),
//! grouped by method and ordered most specific first, so a request walks only the routes of
//! its method and stops at the first match.

use super::quirks;
use crate::HttpRequest;
use lamina_model::{Model, Operation, ShapeType};
use percent_encoding::percent_decode_str;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// Decoded URI labels by template name.
pub type Labels = Vec<(String, String)>;

/// One segment of a URI template's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// `{Name}`: exactly one non-empty path segment.
    Label(String),
    /// `{Name+}`: the rest of the path (at least one character), `/` kept.
    Greedy(String),
}

/// A parsed `http.requestUri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub segments: Vec<Segment>,
    /// Query literals of the template: `?uploads` → `("uploads", None)`,
    /// `?list-type=2` → `("list-type", Some("2"))`.
    pub query: Vec<(String, Option<String>)>,
}

/// How well a path matched a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fit {
    Exact,
    /// Matched after ignoring one trailing `/` on either side.
    TrailingSlash,
}

impl Template {
    pub fn parse(uri: &str) -> Template {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let segments = split_path(path)
            .map(|s| {
                if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    match name.strip_suffix('+') {
                        Some(g) => Segment::Greedy(g.to_string()),
                        None => Segment::Label(name.to_string()),
                    }
                } else {
                    Segment::Literal(s.to_string())
                }
            })
            .collect();
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (p.to_string(), None),
            })
            .collect();
        Template { segments, query }
    }

    fn literals(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(l) if !l.is_empty()))
            .count()
    }

    fn greedy(&self) -> bool {
        self.segments
            .iter()
            .any(|s| matches!(s, Segment::Greedy(_)))
    }

    /// Matches a raw (percent-encoded) path; returns the decoded labels by template name
    /// (greedy labels without the `+`).
    pub fn match_path(&self, raw_path: &str) -> Option<(Fit, Labels)> {
        let parts: Vec<&str> = split_path(raw_path).collect();
        if let Some(labels) = self.match_parts(&parts) {
            return Some((Fit::Exact, labels));
        }
        // One trailing slash of difference is tolerated (`/functions/` vs `/functions`).
        if parts.len() > 1
            && parts.last() == Some(&"")
            && let Some(labels) = self.match_parts(&parts[..parts.len() - 1])
        {
            return Some((Fit::TrailingSlash, labels));
        }
        if matches!(self.segments.last(), Some(Segment::Literal(l)) if l.is_empty()) {
            let mut with_slash = parts.clone();
            with_slash.push("");
            if let Some(labels) = self.match_parts(&with_slash) {
                return Some((Fit::TrailingSlash, labels));
            }
        }
        None
    }

    fn match_parts(&self, parts: &[&str]) -> Option<Labels> {
        let mut labels = Vec::new();
        for (i, seg) in self.segments.iter().enumerate() {
            match seg {
                Segment::Literal(l) => {
                    if parts.get(i).is_none_or(|p| decode(p) != *l) {
                        return None;
                    }
                }
                Segment::Label(name) => {
                    let p = parts.get(i).filter(|p| !p.is_empty())?;
                    labels.push((name.clone(), decode(p)));
                }
                Segment::Greedy(name) => {
                    let rest = parts.get(i..)?.join("/");
                    if rest.is_empty() {
                        return None;
                    }
                    labels.push((name.clone(), decode(&rest)));
                    return Some(labels);
                }
            }
        }
        (parts.len() == self.segments.len()).then_some(labels)
    }
}

/// Splits `/a/b/` into `a`, `b`, ``; `/` into nothing.
fn split_path(path: &str) -> impl Iterator<Item = &str> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    trimmed.split('/').filter(move |_| !trimmed.is_empty())
}

/// Percent-decodes a path piece; invalid UTF-8 is replaced rather than rejected.
pub fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// A request's query string, decoded (`+` is a space, as AWS reads it).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[derive(Debug)]
struct Route {
    op: String,
    template: Template,
    /// Query keys that must be present: template literals (checked with their value) and
    /// required input members bound to the query string.
    required_query: Vec<String>,
    /// Lower-case header names of required input members bound to headers.
    required_headers: Vec<String>,
}

impl Route {
    fn requirements(&self) -> usize {
        self.template.query.len() + self.required_query.len() + self.required_headers.len()
    }

    fn accepts(&self, req: &HttpRequest, query: &[(String, String)]) -> bool {
        let has = |k: &str| query.iter().any(|(qk, _)| qk == k);
        self.template.query.iter().all(|(k, v)| match v {
            Some(v) => query.iter().any(|(qk, qv)| qk == k && qv == v),
            None => has(k),
        }) && self.required_query.iter().all(|k| has(k))
            && self
                .required_headers
                .iter()
                .all(|h| req.headers.contains_key(h.as_str()))
    }
}

/// The compiled routes of one model.
#[derive(Debug, Default)]
pub struct RouteTable {
    by_method: HashMap<String, Vec<Route>>,
}

impl RouteTable {
    pub fn build(model: &Model) -> RouteTable {
        let mut by_method: HashMap<String, Vec<Route>> = HashMap::new();
        for op in model.operations.values() {
            let template = Template::parse(&op.http.request_uri);
            let mut required_query = Vec::new();
            let mut required_headers = Vec::new();
            if let Some(shape) = op.input.as_ref().and_then(|r| model.shape(&r.shape)) {
                for (name, member) in shape.members() {
                    if !shape.is_required(name) {
                        continue;
                    }
                    let wire = member.location_name.clone().unwrap_or_else(|| name.clone());
                    let is_map = model
                        .shape(&member.shape)
                        .is_some_and(|s| s.kind == ShapeType::Map);
                    match member.location.as_deref() {
                        Some("querystring") if !is_map => required_query.push(wire),
                        Some("header") => required_headers.push(wire.to_ascii_lowercase()),
                        _ => {}
                    }
                }
            }
            by_method
                .entry(op.http.method.to_ascii_uppercase())
                .or_default()
                .push(Route {
                    op: op.name.clone(),
                    template,
                    required_query,
                    required_headers,
                });
        }
        for routes in by_method.values_mut() {
            routes.sort_by(|a, b| {
                b.template
                    .literals()
                    .cmp(&a.template.literals())
                    .then(a.template.greedy().cmp(&b.template.greedy()))
                    .then(b.requirements().cmp(&a.requirements()))
                    .then(
                        quirks::shadowed(model.name, &a.op)
                            .cmp(&quirks::shadowed(model.name, &b.op)),
                    )
                    .then(a.op.cmp(&b.op))
            });
        }
        RouteTable { by_method }
    }

    /// The operation name a request addresses, with its decoded URI labels.
    pub fn find(&self, req: &HttpRequest) -> Option<(&str, Labels)> {
        let routes = self.by_method.get(req.method.as_str())?;
        let query = query_pairs(&req.query);
        // Newer SDKs name the operation in `x-id`; it wins over the heuristics when it fits.
        let x_id = query
            .iter()
            .find(|(k, _)| k == "x-id")
            .map(|(_, v)| v.as_str());
        let mut best: Option<(&Route, Labels)> = None;
        for route in routes {
            if x_id.is_some_and(|x| x != route.op) {
                continue;
            }
            if let Some((fit, labels)) = route.template.match_path(&req.path) {
                if !route.accepts(req, &query) {
                    continue;
                }
                if fit == Fit::Exact {
                    return Some((&route.op, labels));
                }
                if best.is_none() {
                    best = Some((route, labels));
                }
            }
        }
        if let Some((route, labels)) = best {
            return Some((&route.op, labels));
        }
        if x_id.is_some() {
            let without = HttpRequest {
                query: strip_x_id(&req.query),
                ..req.clone()
            };
            return self.find(&without);
        }
        None
    }
}

fn strip_x_id(query: &str) -> String {
    query
        .split('&')
        .filter(|p| !p.starts_with("x-id=") && *p != "x-id")
        .collect::<Vec<_>>()
        .join("&")
}

/// The route table of a model, built on first use and cached by model name.
pub fn table(model: &Model) -> Arc<RouteTable> {
    static TABLES: OnceLock<RwLock<HashMap<&'static str, Arc<RouteTable>>>> = OnceLock::new();
    let tables = TABLES.get_or_init(Default::default);
    if let Some(t) = tables.read().ok().and_then(|t| t.get(model.name).cloned()) {
        return t;
    }
    let built = Arc::new(RouteTable::build(model));
    if let Ok(mut t) = tables.write() {
        return t.entry(model.name).or_insert(built).clone();
    }
    built
}

/// Finds the operation and its URI labels.
pub fn route<'m>(
    model: &'m Model,
    req: &HttpRequest,
) -> Option<(&'m Operation, Vec<(String, String)>)> {
    let table = table(model);
    let (name, labels) = table.find(req)?;
    Some((model.operation(name)?, labels))
}

/// The URI labels of a request already known to address `op`.
pub fn labels_for(op: &Operation, req: &HttpRequest) -> Labels {
    Template::parse(&op.http.request_uri)
        .match_path(&req.path)
        .map(|(_, labels)| labels)
        .unwrap_or_default()
}

/// Rewrites a virtual-hosted S3 request's path into path style.
///
/// `host` is the request's `Host` header, `base_host` the gateway's own host name (e.g.
/// `localhost` or `localhost.localstack.cloud`; ports on either are ignored). Recognised:
/// `<bucket>.s3.<base>`, `<bucket>.s3.<region>.<base>`, `<bucket>.s3-<region>.<base>` and
/// `<bucket>.<base>`. Bucket names may contain dots. Returns the path-style path
/// (`/<bucket>` + the original path, `/` dropped for bucket-level requests) or `None` when
/// the host carries no bucket (path style already, or `s3.<base>`).
pub fn s3_virtual_host_path(host: &str, base_host: &str, path: &str) -> Option<String> {
    let host = strip_port(host).to_ascii_lowercase();
    let base = strip_port(base_host).to_ascii_lowercase();
    let prefix = host.strip_suffix(&base)?.strip_suffix('.')?;
    let bucket = strip_s3_suffix(prefix);
    if bucket.is_empty() || bucket == "s3" || bucket.starts_with("s3.") || bucket.starts_with("s3-")
    {
        return None;
    }
    let rest = if path.is_empty() || path == "/" {
        ""
    } else {
        path
    };
    let sep = if rest.starts_with('/') || rest.is_empty() {
        ""
    } else {
        "/"
    };
    Some(format!("/{bucket}{sep}{rest}"))
}

/// `bucket.s3` / `bucket.s3.us-east-1` / `bucket.s3-us-east-1` → `bucket`.
fn strip_s3_suffix(prefix: &str) -> &str {
    if let Some(b) = prefix.strip_suffix(".s3") {
        return b;
    }
    if let Some(i) = prefix.rfind(".s3.").or_else(|| prefix.rfind(".s3-")) {
        let region = &prefix[i + 4..];
        if !region.is_empty() && !region.contains('.') {
            return &prefix[..i];
        }
    }
    prefix
}

fn strip_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

/// Applies [`s3_virtual_host_path`] to a request in place; true when it was rewritten.
/// The gateway calls this for S3 before routing, so the codec only sees path style.
pub fn rewrite_s3_virtual_host(req: &mut HttpRequest, base_host: &str) -> bool {
    let Some(host) = req.header("host").map(str::to_string) else {
        return false;
    };
    match s3_virtual_host_path(&host, base_host, &req.path) {
        Some(path) => {
            req.path = path;
            true
        }
        None => false,
    }
}
