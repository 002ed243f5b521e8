//! The interpreter: runs a parsed template against one request.

use super::parse::{BinOp, Expr, Node, Part, Ref};
use super::value::{Map, Value, map_get, map_put};
use super::{Limits, Overrides, Rendered, VtlContext, VtlError};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// How a block ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Normal,
    Break,
    Stop,
}

pub(crate) type R<T> = Result<T, VtlError>;

pub(crate) struct Eval<'c> {
    pub(crate) ctx: &'c VtlContext<'c>,
    pub(crate) limits: &'c Limits,
    vars: HashMap<String, Value>,
    out: String,
    steps: u64,
    /// The parsed body: `None` until first asked, then `Some(None)` when it is not JSON.
    body_json: Option<Option<Rc<serde_json::Value>>>,
    context: Map,
}

pub(crate) fn run(nodes: &[Node], ctx: &VtlContext<'_>, limits: &Limits) -> R<Rendered> {
    let mut ev = Eval::new(ctx, limits);
    ev.nodes(nodes, 0)?;
    let overrides = ev.overrides();
    Ok(Rendered {
        body: std::mem::take(&mut ev.out),
        overrides,
    })
}

fn new_map() -> Map {
    Rc::new(std::cell::RefCell::new(Vec::new()))
}

impl<'c> Eval<'c> {
    fn new(ctx: &'c VtlContext<'c>, limits: &'c Limits) -> Self {
        let context = match &Value::from_json(ctx.context, 64) {
            Value::Map(m) => m.clone(),
            _ => new_map(),
        };
        let ensure = |m: &Map, key: &str, members: &[&str]| {
            let inner = match &map_get(m, key) {
                Some(Value::Map(inner)) => inner.clone(),
                _ => {
                    let inner = new_map();
                    map_put(m, key, Value::Map(inner.clone()));
                    inner
                }
            };
            for member in members {
                if !matches!(map_get(&inner, member), Some(Value::Map(_))) {
                    map_put(&inner, member, Value::Map(new_map()));
                }
            }
        };
        ensure(
            &context,
            "requestOverride",
            &["header", "querystring", "path"],
        );
        ensure(&context, "responseOverride", &["header"]);
        let mut vars = HashMap::new();
        vars.insert("context".to_string(), Value::Map(context.clone()));
        vars.insert("input".to_string(), Value::Input);
        vars.insert("util".to_string(), Value::Util);
        vars.insert(
            "stageVariables".to_string(),
            Value::map(
                ctx.stage_variables
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::str(v.as_str())))
                    .collect(),
            ),
        );
        Self {
            ctx,
            limits,
            vars,
            out: String::new(),
            steps: 0,
            body_json: None,
            context,
        }
    }

    pub(crate) fn step(&mut self, n: u64) -> R<()> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.limits.max_steps {
            return Err(VtlError::Limit(format!(
                "more than {} evaluation steps",
                self.limits.max_steps
            )));
        }
        Ok(())
    }

    /// Fails when a string of `len` bytes would be larger than the output may be.
    pub(crate) fn check_len(&self, len: usize) -> R<()> {
        if len > self.limits.max_output {
            return Err(VtlError::Limit(format!(
                "output larger than {} bytes",
                self.limits.max_output
            )));
        }
        Ok(())
    }

    fn emit(&mut self, s: &str) -> R<()> {
        self.check_len(self.out.len() + s.len())?;
        self.out.push_str(s);
        Ok(())
    }

    fn emit_value(&mut self, v: &Value) -> R<()> {
        let max = self.limits.max_output;
        v.render_into(&mut self.out, 32, max);
        self.check_len(self.out.len())
    }

    /// The body as JSON (an empty body is `{}`), parsed once.
    pub(crate) fn body_json(&mut self) -> Option<Rc<serde_json::Value>> {
        if self.body_json.is_none() {
            let body = self.ctx.body;
            let parsed = if body.iter().all(u8::is_ascii_whitespace) {
                Some(serde_json::Value::Object(serde_json::Map::new()))
            } else {
                serde_json::from_slice(body).ok()
            };
            self.body_json = Some(parsed.map(Rc::new));
        }
        self.body_json.clone().flatten()
    }

    fn nodes(&mut self, nodes: &[Node], depth: usize) -> R<Flow> {
        if depth > self.limits.max_depth {
            return Err(VtlError::Limit("nesting too deep".into()));
        }
        for node in nodes {
            self.step(1)?;
            match node {
                Node::Text(t) => self.emit(t)?,
                Node::Ref(r) => {
                    let v = self.reference(r, depth)?;
                    self.emit_value(&v)?;
                }
                Node::Set(target, e) => {
                    let v = self.expr(e, depth)?;
                    // Velocity 1.7: a null right-hand side leaves the target unchanged
                    if !v.is_null() {
                        self.assign(target, v, depth)?;
                    }
                }
                Node::If(branches, otherwise) => {
                    let mut taken = None;
                    for (cond, body) in branches {
                        if self.expr(cond, depth)?.truthy() {
                            taken = Some(body);
                            break;
                        }
                    }
                    if let Some(body) = taken.or(otherwise.as_ref()) {
                        let flow = self.nodes(body, depth + 1)?;
                        if flow != Flow::Normal {
                            return Ok(flow);
                        }
                    }
                }
                Node::Foreach(var, iter, body) => {
                    if self.foreach(var, iter, body, depth)? == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
                Node::Break => return Ok(Flow::Break),
                Node::Stop => return Ok(Flow::Stop),
            }
        }
        Ok(Flow::Normal)
    }

    fn foreach(&mut self, var: &str, iter: &Expr, body: &[Node], depth: usize) -> R<Flow> {
        let items: Vec<Value> = match &self.expr(iter, depth)? {
            Value::List(l) => l
                .borrow()
                .iter()
                .take(self.limits.max_loop)
                .cloned()
                .collect(),
            Value::Map(m) => m
                .borrow()
                .iter()
                .take(self.limits.max_loop)
                .map(|(_, v)| v.clone())
                .collect(),
            _ => Vec::new(),
        };
        self.step(items.len() as u64)?;
        let saved: Vec<(String, Option<Value>)> = [var, "foreach", "velocityCount"]
            .iter()
            .map(|k| (k.to_string(), self.vars.get(*k).cloned()))
            .collect();
        let n = items.len();
        let mut flow = Flow::Normal;
        for (i, item) in items.into_iter().enumerate() {
            self.vars.insert(var.to_string(), item);
            let count = i as i64 + 1;
            self.vars.insert(
                "foreach".into(),
                Value::map(vec![
                    ("index".into(), Value::Int(i as i64)),
                    ("count".into(), Value::Int(count)),
                    ("hasNext".into(), Value::Bool(i + 1 < n)),
                    ("first".into(), Value::Bool(i == 0)),
                    ("last".into(), Value::Bool(i + 1 == n)),
                ]),
            );
            self.vars.insert("velocityCount".into(), Value::Int(count));
            match self.nodes(body, depth + 1)? {
                Flow::Normal => {}
                Flow::Break => break,
                Flow::Stop => {
                    flow = Flow::Stop;
                    break;
                }
            }
        }
        for (k, v) in saved {
            match v {
                Some(v) => self.vars.insert(k, v),
                None => self.vars.remove(&k),
            };
        }
        Ok(flow)
    }

    fn assign(&mut self, target: &Ref, v: Value, depth: usize) -> R<()> {
        let Some((last, prefix)) = target.parts.split_last() else {
            self.vars.insert(target.root.clone(), v);
            return Ok(());
        };
        let mut container = self.vars.get(&target.root).cloned().unwrap_or_default();
        for part in prefix {
            container = self.part(container, part, depth)?;
        }
        match (last, &container) {
            (Part::Prop(name), Value::Map(m)) => {
                map_put(m, name, v);
            }
            (Part::Index(e), Value::Map(m)) => {
                let k = self.expr(e, depth)?.render();
                map_put(m, &k, v);
            }
            (Part::Index(e), Value::List(l)) => {
                let index = self.expr(e, depth)?.as_i64();
                if let Some(i) = index.and_then(|i| usize::try_from(i).ok())
                    && let Ok(mut items) = l.try_borrow_mut()
                    && let Some(slot) = items.get_mut(i)
                {
                    *slot = v;
                }
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn reference(&mut self, r: &Ref, depth: usize) -> R<Value> {
        let mut v = self.vars.get(&r.root).cloned().unwrap_or_default();
        for part in &r.parts {
            if v.is_null() {
                return Ok(Value::Null);
            }
            v = self.part(v, part, depth)?;
        }
        Ok(v)
    }

    fn part(&mut self, v: Value, part: &Part, depth: usize) -> R<Value> {
        self.step(1)?;
        match part {
            Part::Prop(name) => super::methods::property(self, &v, name),
            Part::Call(name, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.expr(a, depth + 1)?);
                }
                super::methods::call(self, &v, name, &vals)
            }
            Part::Index(e) => {
                let idx = self.expr(e, depth + 1)?;
                Ok(match &v {
                    Value::List(l) => idx
                        .as_i64()
                        .and_then(|i| usize::try_from(i).ok())
                        .and_then(|i| l.borrow().get(i).cloned())
                        .unwrap_or_default(),
                    Value::Map(m) => map_get(m, &idx.render()).unwrap_or_default(),
                    _ => Value::Null,
                })
            }
        }
    }

    pub(crate) fn expr(&mut self, e: &Expr, depth: usize) -> R<Value> {
        self.step(1)?;
        if depth > self.limits.max_depth * 4 {
            return Err(VtlError::Limit("expression nesting too deep".into()));
        }
        let d = depth + 1;
        Ok(match e {
            Expr::Null => Value::Null,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::Float(f) => Value::Float(*f),
            Expr::Str(s) => Value::str(s.as_str()),
            Expr::Interp(nodes) => {
                let outer = std::mem::take(&mut self.out);
                let flow = self.nodes(nodes, d);
                let inner = std::mem::replace(&mut self.out, outer);
                flow?;
                Value::str(inner)
            }
            Expr::Ref(r) => self.reference(r, d)?,
            Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.expr(i, d)?);
                }
                Value::list(out)
            }
            Expr::Range(a, b) => {
                let (a, b) = (self.expr(a, d)?, self.expr(b, d)?);
                match (a.as_i64(), b.as_i64()) {
                    (Some(a), Some(b)) => {
                        let n = a.abs_diff(b).saturating_add(1);
                        self.step(n)?;
                        let items: Vec<Value> = if a <= b {
                            (a..=b).map(Value::Int).collect()
                        } else {
                            (b..=a).rev().map(Value::Int).collect()
                        };
                        Value::list(items)
                    }
                    _ => Value::Null,
                }
            }
            Expr::Map(entries) => {
                let m = Value::map(Vec::with_capacity(entries.len()));
                if let Value::Map(inner) = &m {
                    for (k, v) in entries {
                        let k = self.expr(k, d)?.render();
                        let v = self.expr(v, d)?;
                        map_put(inner, &k, v);
                    }
                }
                m
            }
            Expr::Not(x) => Value::Bool(!self.expr(x, d)?.truthy()),
            Expr::Neg(x) => match self.expr(x, d)? {
                Value::Int(i) => i
                    .checked_neg()
                    .map_or(Value::Float(-(i as f64)), Value::Int),
                Value::Float(f) => Value::Float(-f),
                _ => Value::Null,
            },
            Expr::Bin(op, a, b) => self.binary(*op, a, b, d)?,
        })
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, d: usize) -> R<Value> {
        match op {
            BinOp::Or => {
                return Ok(Value::Bool(
                    self.expr(a, d)?.truthy() || self.expr(b, d)?.truthy(),
                ));
            }
            BinOp::And => {
                return Ok(Value::Bool(
                    self.expr(a, d)?.truthy() && self.expr(b, d)?.truthy(),
                ));
            }
            _ => {}
        }
        let (x, y) = (self.expr(a, d)?, self.expr(b, d)?);
        Ok(match op {
            BinOp::Eq => Value::Bool(x.loose_eq(&y)),
            BinOp::Ne => Value::Bool(!x.loose_eq(&y)),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ord = match (&x, &y) {
                    (Value::Str(s), Value::Str(t)) => Some(s.cmp(t)),
                    _ => match (x.as_f64(), y.as_f64()) {
                        (Some(p), Some(q)) if x.as_f64().is_some() => p.partial_cmp(&q),
                        _ => None,
                    },
                };
                match ord {
                    None => Value::Bool(false),
                    Some(o) => Value::Bool(match op {
                        BinOp::Lt => o.is_lt(),
                        BinOp::Le => o.is_le(),
                        BinOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    }),
                }
            }
            BinOp::Add
                if (matches!(x, Value::Str(_)) || matches!(y, Value::Str(_)))
                    && !x.is_null()
                    && !y.is_null() =>
            {
                concat(&x, &y, self.limits.max_output)
            }
            _ => arith(op, &x, &y),
        })
    }

    /// What the template asked for through `$context.requestOverride` / `responseOverride`.
    fn overrides(&self) -> Overrides {
        let section = |outer: &str, inner: &str| -> BTreeMap<String, String> {
            match &map_get(&self.context, outer) {
                Some(Value::Map(o)) => match &map_get(o, inner) {
                    Some(Value::Map(m)) => m
                        .borrow()
                        .iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.clone(), v.render()))
                        .collect(),
                    _ => BTreeMap::new(),
                },
                _ => BTreeMap::new(),
            }
        };
        let status = match &map_get(&self.context, "responseOverride") {
            Some(Value::Map(o)) => map_get(o, "status")
                .and_then(|s| s.as_i64())
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| (100..=599).contains(s)),
            _ => None,
        };
        Overrides {
            request_header: section("requestOverride", "header"),
            request_querystring: section("requestOverride", "querystring"),
            request_path: section("requestOverride", "path"),
            response_status: status,
            response_header: section("responseOverride", "header"),
        }
    }
}

/// `+` with a string on either side concatenates both rendered values (Velocity 1.7's
/// ASTAddNode); a result longer than the output limit is null, so a loop that doubles a
/// string stays bounded.
fn concat(x: &Value, y: &Value, max: usize) -> Value {
    let (a, b) = (x.render(), y.render());
    if a.len().saturating_add(b.len()) > max {
        return Value::Null;
    }
    Value::str(a + &b)
}

/// `+ - * / %` on numbers; integers stay integers (widening to double on overflow),
/// division by zero is null, anything that is not a number is null (Velocity 1.7).
fn arith(op: BinOp, x: &Value, y: &Value) -> Value {
    match (x, y) {
        (Value::Int(a), Value::Int(b)) => {
            let (a, b) = (*a, *b);
            let r = match op {
                BinOp::Add => a.checked_add(b),
                BinOp::Sub => a.checked_sub(b),
                BinOp::Mul => a.checked_mul(b),
                BinOp::Div => {
                    if b == 0 {
                        return Value::Null;
                    }
                    a.checked_div(b)
                }
                _ => {
                    if b == 0 {
                        return Value::Null;
                    }
                    a.checked_rem(b)
                }
            };
            r.map_or_else(|| float_arith(op, a as f64, b as f64), Value::Int)
        }
        _ => match (x.as_f64(), y.as_f64()) {
            (Some(a), Some(b)) => float_arith(op, a, b),
            _ => Value::Null,
        },
    }
}

fn float_arith(op: BinOp, a: f64, b: f64) -> Value {
    match op {
        BinOp::Add => Value::Float(a + b),
        BinOp::Sub => Value::Float(a - b),
        BinOp::Mul => Value::Float(a * b),
        BinOp::Div if b == 0.0 => Value::Null,
        BinOp::Div => Value::Float(a / b),
        _ if b == 0.0 => Value::Null,
        _ => Value::Float(a % b),
    }
}
