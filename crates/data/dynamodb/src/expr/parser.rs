//! Recursive-descent parser for conditions (Condition/Filter/KeyCondition expressions) and
//! projections, and the state shared with the update parser.
//!
//! DynamoDB reports the first syntax error at once; the other errors are collected by
//! category while parsing goes on and the highest-priority one is reported (redundant
//! parentheses before unknown functions before misused functions before reserved words
//! before undefined names/values before operand checks), as DynamoDB orders them.

use super::ast::{CmpOp, Condition, Operand, Path, PathElem};
use super::lexer::{Tok, Token, lex};
use super::reserved::is_reserved;
use super::{Context, ExprKind, MAX_EXPRESSION_BYTES, invalid};
use crate::error::{DdbError, Result};
use crate::value::AttrValue;

/// Nesting bound (parentheses, NOT, function calls): deeper input is a syntax error rather
/// than a stack overflow. Real expressions nest a few levels; at this bound the deepest
/// input needs under 512 KB of stack in a debug build (a test holds that line).
pub(crate) const MAX_DEPTH: usize = 24;

/// Most operands an IN list takes.
const MAX_IN_OPERANDS: usize = 100;

/// Error categories, in reporting priority.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cat {
    Parens = 0,
    UnknownFn,
    MisusedFn,
    Reserved,
    Section,
    Undefined,
    Overlap,
    AddDeleteType,
    Count,
    Type,
    PathRequired,
    Distinct,
}
const CATS: usize = 12;

/// A syntax error (already formatted); stops parsing.
pub(crate) struct Syntax(pub String);

pub(crate) type PResult<T> = std::result::Result<T, Syntax>;

pub(crate) struct Parser<'a> {
    pub src: &'a str,
    pub toks: Vec<Token>,
    pub pos: usize,
    pub depth: usize,
    pub kind: ExprKind,
    pub ctx: &'a mut Context,
    errs: [Option<String>; CATS],
}

/// A parsed sub-expression whose role (operand or condition) the caller decides.
pub(crate) enum Node {
    Op(Operand),
    Cond(Condition),
    /// Something already reported (unknown function); fits anywhere.
    Bad,
}

pub(crate) struct Parsed {
    node: Node,
    /// A parenthesized primary with nothing applied to it.
    paren: bool,
    /// The function name, when this is directly a function call.
    func: Option<String>,
}

impl Parsed {
    fn new(node: Node) -> Self {
        Parsed {
            node,
            paren: false,
            func: None,
        }
    }
}

fn is_kw(s: &str, kw: &str) -> bool {
    s.eq_ignore_ascii_case(kw)
}

const CONDITION_KEYWORDS: &[&str] = &["AND", "OR", "NOT", "BETWEEN", "IN"];

impl<'a> Parser<'a> {
    /// Checks emptiness and size, lexes.
    pub fn new(ctx: &'a mut Context, src: &'a str, kind: ExprKind) -> Result<Self> {
        if src.trim().is_empty() {
            return Err(invalid(format!(
                "Invalid {}: The expression can not be empty;",
                kind.param()
            )));
        }
        if src.len() > MAX_EXPRESSION_BYTES {
            return Err(invalid(format!(
                "Invalid {}: Expression size has exceeded the maximum allowed size; expression size: {}",
                kind.param(),
                src.len()
            )));
        }
        Ok(Parser {
            src,
            toks: lex(src),
            pos: 0,
            depth: 0,
            kind,
            ctx,
            errs: Default::default(),
        })
    }

    pub fn peek(&self) -> &Tok {
        self.toks.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    pub fn peek_at(&self, ahead: usize) -> &Tok {
        self.toks
            .get(self.pos + ahead)
            .map_or(&Tok::Eof, |t| &t.tok)
    }

    pub fn text(&self) -> &'a str {
        self.toks
            .get(self.pos)
            .map_or("", |t| &self.src[t.start..t.end])
    }

    pub fn bump(&mut self) {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    /// Whether the current token is the keyword `kw` (any case).
    pub fn at_kw(&self, kw: &str) -> bool {
        *self.peek() == Tok::Ident && is_kw(self.text(), kw)
    }

    /// `Syntax error; token: "<tok>", near: "<prev tok next>"` at the current token.
    pub fn syntax(&self) -> Syntax {
        let i = self.pos.min(self.toks.len().saturating_sub(1));
        let Some(t) = self.toks.get(i) else {
            return Syntax(format!(
                "Invalid {}: Syntax error; token: \"<EOF>\", near: \"\"",
                self.kind.param()
            ));
        };
        let start = if i > 0 {
            self.toks[i - 1].start
        } else {
            t.start
        };
        let (token, end) = if t.tok == Tok::Eof {
            ("<EOF>".to_string(), self.src.len())
        } else {
            let end = self.toks.get(i + 1).map_or(t.end, |n| n.end);
            (self.src[t.start..t.end].to_string(), end)
        };
        Syntax(format!(
            "Invalid {}: Syntax error; token: \"{token}\", near: \"{}\"",
            self.kind.param(),
            &self.src[start..end]
        ))
    }

    pub fn expect(&mut self, tok: Tok) -> PResult<()> {
        if *self.peek() == tok {
            self.bump();
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    /// Records the first error of a category (message without the `Invalid X: ` prefix).
    pub fn record(&mut self, cat: Cat, msg: String) {
        let slot = &mut self.errs[cat as usize];
        if slot.is_none() {
            *slot = Some(msg);
        }
    }

    pub fn has_errors(&self) -> bool {
        self.errs.iter().any(Option::is_some)
    }

    /// The final result: a syntax error, else the highest-priority recorded error, else `v`.
    pub fn finish<T>(self, r: PResult<T>) -> Result<T> {
        let v = r.map_err(|Syntax(m)| DdbError::Validation(m))?;
        match self.errs.into_iter().flatten().next() {
            Some(msg) => Err(invalid(format!("Invalid {}: {msg}", self.kind.param()))),
            None => Ok(v),
        }
    }

    pub fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(self.syntax())
        } else {
            Ok(())
        }
    }

    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// A document path: `name`, `#n`, then `.name`, `.#n`, `[digits]`.
    pub fn path(&mut self, keywords: &[&str]) -> PResult<Path> {
        let first = self.path_name(keywords)?;
        let mut elems = vec![PathElem::Name(first)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.bump();
                    let n = self.path_name(keywords)?;
                    elems.push(PathElem::Name(n));
                }
                Tok::LBracket => {
                    self.bump();
                    if *self.peek() != Tok::Number {
                        return Err(self.syntax());
                    }
                    let Ok(i) = self.text().parse::<u32>() else {
                        return Err(self.syntax());
                    };
                    self.bump();
                    self.expect(Tok::RBracket)?;
                    elems.push(PathElem::Index(i));
                }
                _ => return Ok(Path(elems)),
            }
        }
    }

    fn path_name(&mut self, keywords: &[&str]) -> PResult<String> {
        let text = self.text();
        match self.peek() {
            Tok::Ident if !keywords.iter().any(|k| is_kw(text, k)) => {
                if is_reserved(text) {
                    self.record(
                        Cat::Reserved,
                        format!("Attribute name is a reserved keyword; reserved keyword: {text}"),
                    );
                }
                self.bump();
                Ok(text.to_string())
            }
            Tok::Name => {
                self.bump();
                Ok(self.ctx.name(text).unwrap_or_else(|| {
                    self.record(
                        Cat::Undefined,
                        format!("An expression attribute name used in the document path is not defined; attribute name: {text}"),
                    );
                    String::new()
                }))
            }
            _ => Err(self.syntax()),
        }
    }

    /// `:v` at the current token, substituted.
    pub fn value(&mut self) -> AttrValue {
        let text = self.text();
        self.bump();
        self.ctx.value(text).unwrap_or_else(|| {
            self.record(
                Cat::Undefined,
                format!("An expression attribute value used in expression is not defined; attribute value: {text}"),
            );
            AttrValue::Null
        })
    }

    // ---- conditions ----

    fn or(&mut self) -> PResult<Parsed> {
        let mut left = self.and()?;
        while self.at_kw("OR") {
            let l = self.as_cond(left)?;
            self.bump();
            let right = self.and()?;
            let r = self.as_cond(right)?;
            left = Parsed::new(Node::Cond(Condition::Or(Box::new(l), Box::new(r))));
        }
        Ok(left)
    }

    fn and(&mut self) -> PResult<Parsed> {
        let mut left = self.not()?;
        while self.at_kw("AND") {
            let l = self.as_cond(left)?;
            self.bump();
            let right = self.not()?;
            let r = self.as_cond(right)?;
            left = Parsed::new(Node::Cond(Condition::And(Box::new(l), Box::new(r))));
        }
        Ok(left)
    }

    fn not(&mut self) -> PResult<Parsed> {
        if self.at_kw("NOT") {
            self.enter()?;
            self.bump();
            let inner = self.not()?;
            let c = self.as_cond(inner)?;
            self.leave();
            return Ok(Parsed::new(Node::Cond(Condition::Not(Box::new(c)))));
        }
        self.comparison()
    }

    // The recursive path (or → and → not → comparison → primary → or) keeps small frames:
    // the operator tails and function building live in their own functions, so each level of
    // nesting costs little stack even in debug builds.
    fn comparison(&mut self) -> PResult<Parsed> {
        let left = self.primary()?;
        let op = match self.peek() {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            _ if self.at_kw("BETWEEN") => return self.between_tail(left),
            _ if self.at_kw("IN") => return self.in_tail(left),
            _ => return Ok(left),
        };
        self.cmp_tail(op, left)
    }

    fn cmp_tail(&mut self, op: CmpOp, left: Parsed) -> PResult<Parsed> {
        let l = self.as_operand(left)?;
        self.bump();
        let right = self.primary()?;
        let r = self.as_operand(right)?;
        if matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge) {
            self.check_orderable(op.symbol(), &l);
            self.check_orderable(op.symbol(), &r);
        }
        self.check_distinct(op.symbol(), &l, [&r]);
        Ok(Parsed::new(Node::Cond(Condition::Cmp(op, l, r))))
    }

    fn between_tail(&mut self, left: Parsed) -> PResult<Parsed> {
        let v = self.as_operand(left)?;
        self.bump();
        let lo = self.primary()?;
        let lo = self.as_operand(lo)?;
        if !self.at_kw("AND") {
            return Err(self.syntax());
        }
        self.bump();
        let hi = self.primary()?;
        let hi = self.as_operand(hi)?;
        for o in [&v, &lo, &hi] {
            self.check_orderable("BETWEEN", o);
        }
        self.check_bounds(&lo, &hi);
        self.check_distinct("BETWEEN", &v, [&lo, &hi]);
        Ok(Parsed::new(Node::Cond(Condition::Between(v, lo, hi))))
    }

    fn in_tail(&mut self, left: Parsed) -> PResult<Parsed> {
        let v = self.as_operand(left)?;
        self.bump();
        self.expect(Tok::LParen)?;
        let mut list = Vec::new();
        loop {
            let o = self.primary()?;
            list.push(self.as_operand(o)?);
            if *self.peek() == Tok::Comma {
                self.bump();
            } else {
                break;
            }
        }
        self.expect(Tok::RParen)?;
        if list.len() > MAX_IN_OPERANDS {
            self.record(
                Cat::Count,
                format!(
                    "The IN operator is provided with too many operands; number of operands: {}",
                    list.len()
                ),
            );
        }
        self.check_distinct("IN", &v, list.iter());
        Ok(Parsed::new(Node::Cond(Condition::In(v, list))))
    }

    /// A primary. On a syntax error the whole parse stops, so only the success paths need to
    /// give the depth back.
    fn primary(&mut self) -> PResult<Parsed> {
        self.enter()?;
        let r = match self.peek() {
            Tok::LParen => {
                self.bump();
                let inner = self.or()?;
                self.expect(Tok::RParen)?;
                if inner.paren {
                    self.record(
                        Cat::Parens,
                        "The expression has redundant parentheses;".into(),
                    );
                }
                Ok(Parsed {
                    node: inner.node,
                    paren: true,
                    func: None,
                })
            }
            Tok::Ident
                if *self.peek_at(1) == Tok::LParen
                    && !CONDITION_KEYWORDS.iter().any(|k| self.at_kw(k)) =>
            {
                self.function()
            }
            Tok::Ident | Tok::Name => Ok(Parsed::new(Node::Op(Operand::Path(
                self.path(CONDITION_KEYWORDS)?,
            )))),
            Tok::Value => Ok(Parsed::new(Node::Op(Operand::Value(self.value())))),
            _ => Err(self.syntax()),
        };
        self.leave();
        r
    }

    fn function(&mut self) -> PResult<Parsed> {
        let name = self.text().to_string();
        self.bump();
        self.expect(Tok::LParen)?;
        let mut args = Vec::new();
        if *self.peek() != Tok::RParen {
            loop {
                let a = self.or()?;
                args.push(self.as_operand(a)?);
                if *self.peek() == Tok::Comma {
                    self.bump();
                } else {
                    break;
                }
            }
        }
        self.expect(Tok::RParen)?;
        Ok(self.build_function(name, args))
    }

    fn build_function(&mut self, name: String, args: Vec<Operand>) -> Parsed {
        let want = match name.as_str() {
            "attribute_exists" | "attribute_not_exists" | "size" => 1,
            "attribute_type" | "begins_with" | "contains" => 2,
            _ => {
                self.record(
                    Cat::UnknownFn,
                    format!("Invalid function name; function: {name}"),
                );
                return Parsed {
                    node: Node::Bad,
                    paren: false,
                    func: None,
                };
            }
        };
        let func = Some(name.clone());
        if args.len() != want {
            self.record(
                Cat::Count,
                format!(
                    "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                    args.len()
                ),
            );
            let node = if name == "size" {
                Node::Op(Operand::Value(AttrValue::Null))
            } else {
                Node::Cond(Condition::True)
            };
            return Parsed {
                node,
                paren: false,
                func,
            };
        }
        let mut it = args.into_iter();
        let (Some(a), b) = (it.next(), it.next()) else {
            return Parsed {
                node: Node::Bad,
                paren: false,
                func,
            };
        };
        let node = match (name.as_str(), b) {
            ("size", _) => {
                self.check_sizable(&a);
                Node::Op(Operand::Size(Box::new(a)))
            }
            ("attribute_exists", _) => Node::Cond(Condition::Exists(self.require_path(&name, a))),
            ("attribute_not_exists", _) => {
                Node::Cond(Condition::NotExists(self.require_path(&name, a)))
            }
            ("attribute_type", Some(b)) => {
                let ty = self.type_name_operand(&b);
                Node::Cond(Condition::AttrType(self.require_path(&name, a), ty))
            }
            ("begins_with", Some(b)) => {
                for o in [&a, &b] {
                    self.check_types(&name, o, &["S", "B"]);
                }
                self.check_distinct(&name, &a, [&b]);
                Node::Cond(Condition::BeginsWith(a, b))
            }
            ("contains", Some(b)) => {
                self.check_distinct(&name, &a, [&b]);
                Node::Cond(Condition::Contains(a, b))
            }
            _ => Node::Bad,
        };
        Parsed {
            node,
            paren: false,
            func,
        }
    }

    fn as_operand(&mut self, p: Parsed) -> PResult<Operand> {
        match p.node {
            Node::Op(o) => Ok(o),
            Node::Bad => Ok(Operand::Value(AttrValue::Null)),
            Node::Cond(_) => match p.func {
                Some(f) => {
                    self.record(
                        Cat::MisusedFn,
                        format!("The function is not allowed to be used this way in an expression; function: {f}"),
                    );
                    Ok(Operand::Value(AttrValue::Null))
                }
                None => Err(self.syntax()),
            },
        }
    }

    fn as_cond(&mut self, p: Parsed) -> PResult<Condition> {
        match p.node {
            Node::Cond(c) => Ok(c),
            Node::Bad => Ok(Condition::True),
            Node::Op(_) => match p.func {
                Some(f) => {
                    self.record(
                        Cat::MisusedFn,
                        format!("The function is not allowed to be used this way in an expression; function: {f}"),
                    );
                    Ok(Condition::True)
                }
                None => Err(self.syntax()),
            },
        }
    }

    // ---- operand checks ----

    fn require_path(&mut self, func: &str, o: Operand) -> Path {
        match o {
            Operand::Path(p) => p,
            other => {
                self.check_sizable_inner(&other);
                self.record(
                    Cat::PathRequired,
                    format!("Operator or function requires a document path; operator or function: {func}"),
                );
                Path::attr("")
            }
        }
    }

    fn check_sizable_inner(&mut self, o: &Operand) {
        if let Operand::Size(inner) = o {
            self.check_sizable(inner);
        }
    }

    fn type_error(&mut self, func: &str, ty: &str) {
        self.record(
            Cat::Type,
            format!("Incorrect operand type for operator or function; operator or function: {func}, operand type: {ty}"),
        );
    }

    /// Static type of an operand when it is known without the item.
    fn static_type(o: &Operand) -> Option<&'static str> {
        match o {
            Operand::Value(v) => Some(v.type_name()),
            Operand::Size(_) => Some("N"),
            Operand::Path(_) => None,
        }
    }

    fn check_types(&mut self, func: &str, o: &Operand, allowed: &[&str]) {
        if let Some(t) = Self::static_type(o).filter(|t| !allowed.contains(t)) {
            self.type_error(func, t);
        }
    }

    fn check_orderable(&mut self, op: &str, o: &Operand) {
        self.check_types(op, o, &["S", "N", "B"]);
    }

    fn check_sizable(&mut self, o: &Operand) {
        self.check_types("size", o, &["S", "B", "SS", "NS", "BS", "L", "M"]);
    }

    fn type_name_operand(&mut self, o: &Operand) -> String {
        match o {
            Operand::Value(AttrValue::S(s)) => {
                const TYPES: &[&str] = &["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];
                if !TYPES.contains(&s.as_str()) {
                    self.record(
                        Cat::Type,
                        format!("Invalid attribute type name found; type: {s}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"),
                    );
                }
                s.clone()
            }
            other => {
                let t = Self::static_type(other).unwrap_or("M");
                self.type_error("attribute_type", t);
                String::new()
            }
        }
    }

    fn check_bounds(&mut self, lo: &Operand, hi: &Operand) {
        let (Operand::Value(l), Operand::Value(h)) = (lo, hi) else {
            return;
        };
        let show = |v: &AttrValue| match v {
            AttrValue::S(s) => format!("{{S:{s}}}"),
            AttrValue::N(n) => format!("{{N:{n}}}"),
            other => format!("{{{}:{}}}", other.type_name(), other.to_json()),
        };
        let detail = format!(
            "lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
            show(l),
            show(h)
        );
        if l.type_name() != h.type_name() {
            self.record(Cat::Type, format!("The BETWEEN operator requires same data type for lower and upper bounds; {detail}"));
        } else if super::eval::compare(l, h) == Some(std::cmp::Ordering::Greater) {
            self.record(
                Cat::Type,
                format!("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; {detail}"),
            );
        }
    }

    fn check_distinct<'o>(
        &mut self,
        op: &str,
        first: &Operand,
        rest: impl IntoIterator<Item = &'o Operand>,
    ) {
        let Operand::Path(p) = first else { return };
        if rest
            .into_iter()
            .any(|o| matches!(o, Operand::Path(q) if q == p))
        {
            self.record(
                Cat::Distinct,
                format!(
                    "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {p}"
                ),
            );
        }
    }
}

/// Parses a Condition/Filter/KeyCondition expression.
pub(crate) fn parse_condition(ctx: &mut Context, src: &str, kind: ExprKind) -> Result<Condition> {
    let mut p = Parser::new(ctx, src, kind)?;
    let r = (|| {
        let top = p.or()?;
        let c = p.as_cond(top)?;
        if *p.peek() != Tok::Eof {
            return Err(p.syntax());
        }
        Ok(c)
    })();
    p.finish(r)
}

/// Parses a ProjectionExpression: a comma-separated list of document paths.
pub(crate) fn parse_projection(ctx: &mut Context, src: &str) -> Result<Vec<Path>> {
    let mut p = Parser::new(ctx, src, ExprKind::Projection)?;
    let r = (|| {
        let mut paths = vec![p.path(&[])?];
        while *p.peek() == Tok::Comma {
            p.bump();
            paths.push(p.path(&[])?);
        }
        if *p.peek() != Tok::Eof {
            return Err(p.syntax());
        }
        Ok(paths)
    })();
    if let Ok(paths) = &r
        && !p.has_errors()
        && let Some(msg) = overlap(paths.iter())
    {
        p.record(Cat::Overlap, msg);
    }
    p.finish(r)
}

/// The first overlapping pair (one path is a prefix of the other), else the first
/// conflicting pair (a name and an index at the same place), in AWS's words.
pub(crate) fn overlap<'p>(paths: impl Iterator<Item = &'p Path>) -> Option<String> {
    let v: Vec<&Path> = paths.collect();
    for (i, a) in v.iter().enumerate() {
        for b in &v[i + 1..] {
            let n = a.0.len().min(b.0.len());
            if a.0[..n] == b.0[..n] {
                return Some(format!(
                    "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
                ));
            }
        }
    }
    for (i, a) in v.iter().enumerate() {
        for b in &v[i + 1..] {
            let diff = a.0.iter().zip(&b.0).find(|(x, y)| x != y);
            if let Some((x, y)) = diff
                && matches!(
                    (x, y),
                    (PathElem::Name(_), PathElem::Index(_))
                        | (PathElem::Index(_), PathElem::Name(_))
                )
            {
                return Some(format!(
                    "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {a}, path two: {b}"
                ));
            }
        }
    }
    None
}
