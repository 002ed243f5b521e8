//! Intrinsic functions and conditions.
//!
//! [`eval`] resolves a value (resource properties, outputs) against a [`Context`]: parameters,
//! pseudo parameters, mappings, evaluated conditions and, through [`Resolver`], the physical
//! ids and attributes of resources and the exports of other stacks. `AWS::NoValue` removes the
//! key or list element it stands in ([`eval`] returns `None` for it at the top).
//! [`conditions`] evaluates the Conditions section; [`references`] lists what a value refers
//! to (for validation and the dependency graph).

use super::TemplateError;
use base64::Engine as _;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Nesting deeper than this is refused (the parser already bounds templates; this guards
/// values built by transforms).
const MAX_DEPTH: usize = 128;

/// What a value refers to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reference {
    /// `Ref` or `${Name}` in `Fn::Sub`.
    Ref(String),
    /// `Fn::GetAtt` or `${Name.Attr}` in `Fn::Sub`.
    GetAtt(String, String),
    /// `{"Condition": ...}` or the first argument of `Fn::If`.
    Condition(String),
}

/// Every reference in `v`, in a stable order.
pub fn references(v: &Value) -> BTreeSet<Reference> {
    let mut out = BTreeSet::new();
    collect(v, &BTreeSet::new(), &mut out, 0);
    out
}

fn collect(v: &Value, locals: &BTreeSet<String>, out: &mut BTreeSet<Reference>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect(x, locals, out, depth + 1)),
        Value::Object(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next().expect("one entry"); // len() == 1 checked above
            match (k.as_str(), arg) {
                ("Ref", Value::String(name)) => {
                    if !locals.contains(name) {
                        out.insert(Reference::Ref(name.clone()));
                    }
                }
                ("Condition", Value::String(name)) => {
                    out.insert(Reference::Condition(name.clone()));
                }
                ("Fn::GetAtt", _) => {
                    if let Some((r, a)) = get_att_args(arg) {
                        out.insert(Reference::GetAtt(r, a));
                    }
                    collect(arg, locals, out, depth + 1);
                }
                ("Fn::If", Value::Array(a)) => {
                    if let Some(Value::String(c)) = a.first() {
                        out.insert(Reference::Condition(c.clone()));
                    }
                    a.iter()
                        .skip(1)
                        .for_each(|x| collect(x, locals, out, depth + 1));
                }
                ("Fn::Sub", Value::String(s)) => sub_refs(s, locals, out),
                ("Fn::Sub", Value::Array(a)) => {
                    let mut inner = locals.clone();
                    if let Some(Value::Object(vars)) = a.get(1) {
                        inner.extend(vars.keys().cloned());
                        vars.values()
                            .for_each(|x| collect(x, locals, out, depth + 1));
                    }
                    if let Some(Value::String(s)) = a.first() {
                        sub_refs(s, &inner, out);
                    }
                }
                _ => collect(arg, locals, out, depth + 1),
            }
        }
        Value::Object(m) => m.values().for_each(|x| collect(x, locals, out, depth + 1)),
        _ => {}
    }
}

fn get_att_args(arg: &Value) -> Option<(String, String)> {
    match arg {
        Value::Array(a) if a.len() == 2 => {
            let r = a[0].as_str()?;
            let attr = match &a[1] {
                Value::String(s) => s.clone(),
                // The attribute may be a Ref to a parameter; it names no resource.
                _ => String::new(),
            };
            Some((r.to_string(), attr))
        }
        Value::String(s) => s
            .split_once('.')
            .map(|(r, a)| (r.to_string(), a.to_string())),
        _ => None,
    }
}

fn sub_refs(s: &str, locals: &BTreeSet<String>, out: &mut BTreeSet<Reference>) {
    for part in sub_parts(s) {
        if let SubPart::Var(name) = part {
            if locals.contains(name) {
                continue;
            }
            match name.split_once('.') {
                Some((r, a)) if !name.starts_with("AWS::") => {
                    out.insert(Reference::GetAtt(r.to_string(), a.to_string()));
                }
                _ => {
                    out.insert(Reference::Ref(name.to_string()));
                }
            }
        }
    }
}

enum SubPart<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Splits a `Fn::Sub` string into text and `${...}` variables; `${!X}` is the literal `${X}`.
fn sub_parts(s: &str) -> Vec<SubPart<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        if start > 0 {
            out.push(SubPart::Text(&rest[..start]));
        }
        let inner = &rest[start + 2..start + len];
        if let Some(lit) = inner.strip_prefix('!') {
            out.push(SubPart::Text("${"));
            out.push(SubPart::Text(lit));
            out.push(SubPart::Text("}"));
        } else {
            out.push(SubPart::Var(inner.trim()));
        }
        rest = &rest[start + len + 1..];
    }
    if !rest.is_empty() {
        out.push(SubPart::Text(rest));
    }
    out
}

/// The pseudo parameters of a stack.
#[derive(Debug, Clone, Default)]
pub struct Pseudo {
    pub account_id: String,
    pub region: String,
    pub stack_name: String,
    pub stack_id: String,
    pub notification_arns: Vec<String>,
}

impl Pseudo {
    pub fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    pub fn url_suffix(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        }
    }

    fn get(&self, name: &str) -> Option<Value> {
        Some(match name {
            "AWS::AccountId" => self.account_id.clone().into(),
            "AWS::Region" => self.region.clone().into(),
            "AWS::StackName" => self.stack_name.clone().into(),
            "AWS::StackId" => self.stack_id.clone().into(),
            "AWS::Partition" => self.partition().into(),
            "AWS::URLSuffix" => self.url_suffix().into(),
            "AWS::NotificationARNs" => self.notification_arns.clone().into(),
            _ => return None,
        })
    }
}

/// Resources and exports, as far as they exist.
pub trait Resolver {
    /// The physical id of a created resource.
    fn physical_id(&self, logical_id: &str) -> Option<String>;
    /// An attribute of a created resource; the error is the full message.
    fn attribute(&self, logical_id: &str, name: &str) -> Result<Value, String>;
    /// The value of another stack's export.
    fn import(&self, name: &str) -> Option<String>;
}

/// A resolver that knows no resources and no exports (conditions, tests).
pub struct Nothing;

impl Resolver for Nothing {
    fn physical_id(&self, _: &str) -> Option<String> {
        None
    }
    fn attribute(&self, logical_id: &str, _: &str) -> Result<Value, String> {
        Err(format!(
            "Template error: instance of Fn::GetAtt references undefined resource {logical_id}"
        ))
    }
    fn import(&self, _: &str) -> Option<String> {
        None
    }
}

/// Everything a value may refer to.
pub struct Context<'a> {
    pub pseudo: &'a Pseudo,
    /// Resolved parameter values: strings, or lists of strings for list types.
    pub params: &'a Map<String, Value>,
    pub mappings: &'a Map<String, Value>,
    pub conditions: &'a BTreeMap<String, bool>,
    pub resolver: &'a dyn Resolver,
}

type R<T> = Result<T, String>;

fn terr(msg: impl std::fmt::Display) -> String {
    format!("Template error: {msg}")
}

/// Evaluates `v`; `None` is `AWS::NoValue`.
pub fn eval(ctx: &Context<'_>, v: &Value) -> R<Option<Value>> {
    eval_at(ctx, v, 0)
}

/// Evaluates `v`, with `AWS::NoValue` at the top as JSON null.
pub fn eval_value(ctx: &Context<'_>, v: &Value) -> R<Value> {
    Ok(eval(ctx, v)?.unwrap_or(Value::Null))
}

fn eval_at(ctx: &Context<'_>, v: &Value, depth: usize) -> R<Option<Value>> {
    if depth > MAX_DEPTH {
        return Err(terr("template nested too deeply"));
    }
    match v {
        Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for x in a {
                if let Some(x) = eval_at(ctx, x, depth + 1)? {
                    out.push(x);
                }
            }
            Ok(Some(Value::Array(out)))
        }
        Value::Object(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next().expect("one entry"); // len() == 1 checked above
            if k == "Ref" || k.starts_with("Fn::") {
                function(ctx, k, arg, depth)
            } else {
                object(ctx, m, depth)
            }
        }
        Value::Object(m) => object(ctx, m, depth),
        other => Ok(Some(other.clone())),
    }
}

fn object(ctx: &Context<'_>, m: &Map<String, Value>, depth: usize) -> R<Option<Value>> {
    let mut out = Map::new();
    for (k, x) in m {
        if let Some(x) = eval_at(ctx, x, depth + 1)? {
            out.insert(k.clone(), x);
        }
    }
    Ok(Some(Value::Object(out)))
}

/// A value that must be there (an argument of a function).
fn need(ctx: &Context<'_>, v: &Value, depth: usize) -> R<Value> {
    Ok(eval_at(ctx, v, depth + 1)?.unwrap_or(Value::Null))
}

/// A scalar as the string CloudFormation makes of it.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn function(ctx: &Context<'_>, name: &str, arg: &Value, depth: usize) -> R<Option<Value>> {
    match name {
        "Ref" => {
            let target = arg.as_str().ok_or_else(|| terr("Ref requires a string"))?;
            if target == "AWS::NoValue" {
                return Ok(None);
            }
            if let Some(v) = ctx.params.get(target) {
                return Ok(Some(v.clone()));
            }
            if let Some(v) = ctx.pseudo.get(target) {
                return Ok(Some(v));
            }
            ctx.resolver
                .physical_id(target)
                .map(|p| Some(Value::String(p)))
                .ok_or_else(|| {
                    format!(
                        "Template format error: Unresolved resource dependencies [{target}] in the Resources block of the template"
                    )
                })
        }
        "Fn::GetAtt" => {
            let (res, attr) = match arg {
                Value::Array(a) if a.len() == 2 => {
                    let res = a[0].as_str().map(String::from);
                    let attr = scalar(&need(ctx, &a[1], depth)?);
                    (res, attr)
                }
                Value::String(s) => match s.split_once('.') {
                    Some((r, a)) => (Some(r.to_string()), Some(a.to_string())),
                    None => (None, None),
                },
                _ => (None, None),
            };
            match (res, attr) {
                (Some(r), Some(a)) if !r.is_empty() && !a.is_empty() => {
                    ctx.resolver.attribute(&r, &a).map(Some)
                }
                _ => Err(terr(
                    "every Fn::GetAtt object requires two non-empty parameters",
                )),
            }
        }
        "Fn::Join" => {
            let (delim, list) = match arg {
                Value::Array(a) if a.len() == 2 => (a[0].as_str(), need(ctx, &a[1], depth)?),
                _ => (None, Value::Null),
            };
            let (Some(delim), Value::Array(items)) = (delim, list) else {
                return Err(terr(
                    "every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.",
                ));
            };
            let parts: Option<Vec<String>> = items.iter().map(scalar).collect();
            let parts = parts.ok_or_else(|| {
                terr("every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.")
            })?;
            Ok(Some(parts.join(delim).into()))
        }
        "Fn::Sub" => sub(ctx, arg, depth).map(|s| Some(s.into())),
        "Fn::Select" => {
            let Value::Array(a) = arg else {
                return Err(terr(
                    "Fn::Select requires a list argument with two elements: an integer index and a list",
                ));
            };
            if a.len() != 2 {
                return Err(terr(
                    "Fn::Select requires a list argument with two elements: an integer index and a list",
                ));
            }
            let index = need(ctx, &a[0], depth)?;
            let index = scalar(&index)
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or_else(|| terr("Fn::Select requires a list argument with two elements: an integer index and a list"))?;
            let Value::Array(items) = need(ctx, &a[1], depth)? else {
                return Err(terr(
                    "Fn::Select requires a list argument with two elements: an integer index and a list",
                ));
            };
            items.get(index).cloned().map(Some).ok_or_else(|| {
                terr(format!(
                    "Fn::Select cannot select nonexistent value at index {index}"
                ))
            })
        }
        "Fn::Split" => {
            let (delim, source) = match arg {
                Value::Array(a) if a.len() == 2 => {
                    (a[0].as_str(), scalar(&need(ctx, &a[1], depth)?))
                }
                _ => (None, None),
            };
            match (delim, source) {
                (Some(d), Some(s)) if !d.is_empty() => Ok(Some(Value::Array(
                    s.split(d).map(|p| Value::String(p.to_string())).collect(),
                ))),
                _ => Err(terr(
                    "every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.",
                )),
            }
        }
        "Fn::If" => {
            let Value::Array(a) = arg else {
                return Err(terr("Fn::If requires a list argument with three elements"));
            };
            if a.len() != 3 {
                return Err(terr("Fn::If requires a list argument with three elements"));
            }
            let cond = a[0].as_str().unwrap_or_default();
            let chosen = *ctx
                .conditions
                .get(cond)
                .ok_or_else(|| terr(format!("Unresolved condition dependency {cond} in Fn::If")))?;
            eval_at(ctx, if chosen { &a[1] } else { &a[2] }, depth + 1)
        }
        "Fn::FindInMap" => {
            let Value::Array(a) = arg else {
                return Err(terr(
                    "Fn::FindInMap requires a list argument with three elements",
                ));
            };
            if a.len() < 3 {
                return Err(terr(
                    "Fn::FindInMap requires a list argument with three elements",
                ));
            }
            let keys: Vec<String> = a[..3]
                .iter()
                .map(|k| need(ctx, k, depth).map(|v| scalar(&v).unwrap_or_default()))
                .collect::<R<_>>()?;
            let found = ctx
                .mappings
                .get(&keys[0])
                .and_then(|m| m.get(&keys[1]))
                .and_then(|m| m.get(&keys[2]));
            match found {
                Some(v) => Ok(Some(v.clone())),
                // AWS::LanguageExtensions: a fourth element {"DefaultValue": ...}.
                None => match a.get(3).and_then(|d| d.get("DefaultValue")) {
                    Some(d) => eval_at(ctx, d, depth + 1),
                    None => Err(terr(format!(
                        "Unable to get mapping for {}::{}::{}",
                        keys[0], keys[1], keys[2]
                    ))),
                },
            }
        }
        "Fn::Base64" => {
            let s = scalar(&need(ctx, arg, depth)?)
                .ok_or_else(|| terr("Fn::Base64 requires a string argument"))?;
            Ok(Some(
                base64::engine::general_purpose::STANDARD
                    .encode(s.as_bytes())
                    .into(),
            ))
        }
        "Fn::GetAZs" => {
            let region = scalar(&need(ctx, arg, depth)?).unwrap_or_default();
            let region = if region.is_empty() {
                ctx.pseudo.region.clone()
            } else {
                region
            };
            Ok(Some(Value::Array(
                ["a", "b", "c"]
                    .iter()
                    .map(|z| Value::String(format!("{region}{z}")))
                    .collect(),
            )))
        }
        "Fn::ImportValue" => {
            let name = scalar(&need(ctx, arg, depth)?)
                .ok_or_else(|| terr("Fn::ImportValue requires a string argument"))?;
            ctx.resolver
                .import(&name)
                .map(|v| Some(v.into()))
                .ok_or_else(|| format!("No export named {name} found."))
        }
        "Fn::Cidr" => cidr(ctx, arg, depth).map(Some),
        "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => {
            condition_fn(ctx, name, arg, depth).map(|b| Some(b.into()))
        }
        "Fn::Length" => match need(ctx, arg, depth)? {
            Value::Array(a) => Ok(Some(a.len().into())),
            _ => Err(terr("Fn::Length requires a list argument")),
        },
        "Fn::ToJsonString" => {
            let v = need(ctx, arg, depth)?;
            Ok(Some(v.to_string().into()))
        }
        "Fn::Transform" => Err(terr(
            "Fn::Transform (macros and AWS::Include) is not supported by Lamina",
        )),
        other => Err(format!(
            "Template format error: Unrecognized function {other}"
        )),
    }
}

fn sub(ctx: &Context<'_>, arg: &Value, depth: usize) -> R<String> {
    let (text, vars) = match arg {
        Value::String(s) => (s.as_str(), Map::new()),
        Value::Array(a) if a.len() == 2 && a[0].is_string() => {
            let Some(Value::Object(vars)) = a.get(1) else {
                return Err(terr(
                    "One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string",
                ));
            };
            let mut resolved = Map::new();
            for (k, v) in vars {
                resolved.insert(k.clone(), need(ctx, v, depth)?);
            }
            (a[0].as_str().unwrap_or_default(), resolved)
        }
        _ => {
            return Err(terr(
                "One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string",
            ));
        }
    };
    let mut out = String::new();
    for part in sub_parts(text) {
        match part {
            SubPart::Text(t) => out.push_str(t),
            SubPart::Var(name) => {
                let value = if let Some(v) = vars.get(name) {
                    v.clone()
                } else {
                    match name.split_once('.') {
                        Some((r, a)) if !name.starts_with("AWS::") => {
                            ctx.resolver.attribute(r, a)?
                        }
                        _ => function(ctx, "Ref", &Value::String(name.to_string()), depth)?
                            .unwrap_or(Value::String(String::new())),
                    }
                };
                let s = match &value {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(scalar)
                        .collect::<Vec<_>>()
                        .join(","),
                    v => scalar(v)
                        .ok_or_else(|| terr(format!("Fn::Sub variable {name} is not a string")))?,
                };
                out.push_str(&s);
            }
        }
    }
    Ok(out)
}

fn cidr(ctx: &Context<'_>, arg: &Value, depth: usize) -> R<Value> {
    let bad = || {
        terr(
            "Fn::Cidr requires a list argument with three elements: an IP block, a count and the number of subnet bits",
        )
    };
    let Value::Array(a) = arg else {
        return Err(bad());
    };
    if a.len() != 3 {
        return Err(bad());
    }
    let block = scalar(&need(ctx, &a[0], depth)?).ok_or_else(bad)?;
    let count: u32 = scalar(&need(ctx, &a[1], depth)?)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let bits: u32 = scalar(&need(ctx, &a[2], depth)?)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let (ip, prefix) = block.split_once('/').ok_or_else(bad)?;
    let ip: std::net::Ipv4Addr = ip.parse().map_err(|_| bad())?;
    let prefix: u32 = prefix.parse().map_err(|_| bad())?;
    if prefix > 32 || bits > 32 || !(1..=256).contains(&count) || 32 - bits < prefix {
        return Err(terr(format!(
            "Fn::Cidr cannot create {count} subnets of {bits} bits from {block}"
        )));
    }
    let new_prefix = 32 - bits;
    let available = 1u64 << (new_prefix - prefix);
    if u64::from(count) > available {
        return Err(terr(format!(
            "Fn::Cidr cannot create {count} subnets of {bits} bits from {block}"
        )));
    }
    let base = u32::from(ip)
        & if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
    let step = if bits == 32 { 0 } else { 1u64 << bits };
    Ok(Value::Array(
        (0..u64::from(count))
            .map(|i| {
                let addr = std::net::Ipv4Addr::from((u64::from(base) + i * step) as u32);
                Value::String(format!("{addr}/{new_prefix}"))
            })
            .collect(),
    ))
}

/// Evaluates the Conditions section. Conditions may refer to each other (not in a cycle).
pub fn conditions(
    pseudo: &Pseudo,
    params: &Map<String, Value>,
    mappings: &Map<String, Value>,
    section: &Map<String, Value>,
) -> Result<BTreeMap<String, bool>, TemplateError> {
    let mut done = BTreeMap::new();
    for name in section.keys() {
        let mut stack = Vec::new();
        condition(
            pseudo, params, mappings, section, name, &mut done, &mut stack,
        )
        .map_err(TemplateError::Other)?;
    }
    Ok(done)
}

fn condition(
    pseudo: &Pseudo,
    params: &Map<String, Value>,
    mappings: &Map<String, Value>,
    section: &Map<String, Value>,
    name: &str,
    done: &mut BTreeMap<String, bool>,
    stack: &mut Vec<String>,
) -> R<bool> {
    if let Some(b) = done.get(name) {
        return Ok(*b);
    }
    if stack.iter().any(|s| s == name) || stack.len() > MAX_DEPTH {
        return Err(format!(
            "Template error: Circular condition dependency detected for {name}"
        ));
    }
    let def = section
        .get(name)
        .ok_or_else(|| terr(format!("unresolved condition dependency {name}")))?;
    // Conditions this one refers to first, so the evaluation below finds them.
    stack.push(name.to_string());
    for r in references(def) {
        if let Reference::Condition(c) = r {
            condition(pseudo, params, mappings, section, &c, done, stack)?;
        }
    }
    stack.pop();
    let ctx = Context {
        pseudo,
        params,
        mappings,
        conditions: done,
        resolver: &Nothing,
    };
    let value = condition_value(&ctx, def, 0)?;
    done.insert(name.to_string(), value);
    Ok(value)
}

fn condition_value(ctx: &Context<'_>, v: &Value, depth: usize) -> R<bool> {
    let Some((k, arg)) = v
        .as_object()
        .filter(|m| m.len() == 1)
        .and_then(|m| m.iter().next())
    else {
        return Err(terr(
            "Conditions can only be boolean operations on parameters and other conditions",
        ));
    };
    match k.as_str() {
        "Condition" => {
            let c = arg.as_str().unwrap_or_default();
            ctx.conditions
                .get(c)
                .copied()
                .ok_or_else(|| terr(format!("unresolved condition dependency {c}")))
        }
        "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => condition_fn(ctx, k, arg, depth),
        _ => Err(terr(
            "Conditions can only be boolean operations on parameters and other conditions",
        )),
    }
}

fn condition_fn(ctx: &Context<'_>, name: &str, arg: &Value, depth: usize) -> R<bool> {
    if depth > MAX_DEPTH {
        return Err(terr("condition nested too deeply"));
    }
    let Value::Array(a) = arg else {
        return Err(terr(format!("{name} requires a list argument")));
    };
    match name {
        "Fn::Equals" => {
            if a.len() != 2 {
                return Err(terr(
                    "Fn::Equals requires a list argument with two elements",
                ));
            }
            let x = need(ctx, &a[0], depth)?;
            let y = need(ctx, &a[1], depth)?;
            Ok(match (scalar(&x), scalar(&y)) {
                (Some(x), Some(y)) => x == y,
                _ => x == y,
            })
        }
        "Fn::Not" => {
            if a.len() != 1 {
                return Err(terr("Fn::Not requires a list argument with one element"));
            }
            Ok(!condition_value(ctx, &a[0], depth + 1)?)
        }
        _ => {
            if !(2..=10).contains(&a.len()) {
                return Err(terr(format!(
                    "{name} requires a list argument with between 2 and 10 elements"
                )));
            }
            let mut values = Vec::with_capacity(a.len());
            for x in a {
                values.push(condition_value(ctx, x, depth + 1)?);
            }
            Ok(if name == "Fn::And" {
                values.iter().all(|b| *b)
            } else {
                values.iter().any(|b| *b)
            })
        }
    }
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
