//! Template parser: text with references and directives into a tree. Hand-written
//! recursive descent over bytes; nesting is bounded, every error carries its position.

use super::VtlError;

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    /// A reference rendered into the output.
    Ref(Ref),
    Set(Ref, Expr),
    If(Vec<(Expr, Vec<Node>)>, Option<Vec<Node>>),
    Foreach(String, Expr, Vec<Node>),
    Break,
    Stop,
}

/// `$root.part.part(args)[index]`.
#[derive(Debug, Clone)]
pub(crate) struct Ref {
    pub root: String,
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone)]
pub(crate) enum Part {
    Prop(String),
    Call(String, Vec<Expr>),
    Index(Expr),
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A double-quoted string with references or directives inside.
    Interp(Vec<Node>),
    Ref(Ref),
    List(Vec<Expr>),
    Range(Box<Expr>, Box<Expr>),
    Map(Vec<(Expr, Expr)>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// How a block ended.
enum BlockEnd {
    Eof,
    End,
    Else,
    ElseIf(Expr),
}

pub(crate) fn parse(template: &str, max_depth: usize) -> Result<Vec<Node>, VtlError> {
    let mut p = Parser {
        s: template,
        b: template.as_bytes(),
        pos: 0,
        depth: 0,
        max_depth,
    };
    match p.block(false)? {
        (nodes, BlockEnd::Eof) => Ok(nodes),
        _ => Err(p.err("unexpected directive")),
    }
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

type R<T> = Result<T, VtlError>;

impl<'a> Parser<'a> {
    fn err(&self, message: &str) -> VtlError {
        let upto = &self.b[..self.pos.min(self.b.len())];
        let line = upto.iter().filter(|c| **c == b'\n').count() + 1;
        let column = upto.iter().rev().take_while(|c| **c != b'\n').count() + 1;
        VtlError::Parse {
            line,
            column,
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, off: usize) -> Option<u8> {
        self.b.get(self.pos + off).copied()
    }

    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(VtlError::Limit(format!(
                "nesting deeper than {}",
                self.max_depth
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn ident(&mut self) -> Option<String> {
        let start = self.pos;
        if !self.peek().is_some_and(is_ident_start) {
            return None;
        }
        while self.peek().is_some_and(is_ident) {
            self.pos += 1;
        }
        Some(self.s[start..self.pos].to_string())
    }

    /// A property or method name after `.`: an identifier that may also hold `-` (as in
    /// Velocity 1.7, so `$context.requestOverride.header.X-Custom` names one header).
    fn member_name(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| is_ident(c) || (c == b'-' && self.peek_at(1).is_some_and(is_ident)))
        {
            self.pos += 1;
        }
        self.s[start..self.pos].to_string()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> R<()> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected {what}")))
        }
    }

    /// Text up to the end; directives end nested blocks.
    fn block(&mut self, nested: bool) -> R<(Vec<Node>, BlockEnd)> {
        self.enter()?;
        let mut nodes = Vec::new();
        let mut text = String::new();
        let end = loop {
            let Some(next) = self.rest().find(['$', '#', '\\']) else {
                text.push_str(self.rest());
                self.pos = self.b.len();
                break BlockEnd::Eof;
            };
            text.push_str(&self.rest()[..next]);
            self.pos += next;
            match self.b[self.pos] {
                b'\\' => self.escape(&mut text),
                b'$' => match self.reference()? {
                    Some(r) => {
                        flush(&mut text, &mut nodes);
                        nodes.push(Node::Ref(r));
                    }
                    None => {
                        text.push('$');
                        self.pos += 1;
                    }
                },
                _ => {
                    if let Some(end) = self.hash(&mut text, &mut nodes, nested)? {
                        break end;
                    }
                }
            }
        };
        flush(&mut text, &mut nodes);
        self.leave();
        Ok((nodes, end))
    }

    /// A run of backslashes before `$` or `#`: pairs print one backslash each; an odd one
    /// out makes the `$`/`#` literal.
    fn escape(&mut self, text: &mut String) {
        let start = self.pos;
        while self.peek() == Some(b'\\') {
            self.pos += 1;
        }
        let n = self.pos - start;
        match self.peek() {
            Some(c @ (b'$' | b'#')) => {
                text.push_str(&"\\".repeat(n / 2));
                if n % 2 == 1 {
                    text.push(c as char);
                    self.pos += 1;
                    // the name after an escaped `$`/`#` is text as well
                    if c == b'$' && self.peek() == Some(b'!') {
                        text.push('!');
                        self.pos += 1;
                    }
                    while let Some(c) = self.peek().filter(|c| is_ident(*c) || *c == b'{') {
                        text.push(c as char);
                        self.pos += 1;
                    }
                }
            }
            _ => text.push_str(&"\\".repeat(n)),
        }
    }

    /// After a directive that stands alone on its line, drop the line's indentation and its
    /// line break ("lines" space gobbling).
    fn gobble(&mut self, directive_start: usize, text: &mut String) {
        let line_start = self.s[..directive_start].rfind('\n').map_or(0, |i| i + 1);
        let before = &self.s[line_start..directive_start];
        if !before.bytes().all(|c| c == b' ' || c == b'\t') {
            return;
        }
        let rest = self.rest();
        let ws = rest.len() - rest.trim_start_matches([' ', '\t', '\r']).len();
        let after = &rest[ws..];
        if after.is_empty() || after.starts_with('\n') {
            while text.ends_with([' ', '\t']) {
                text.pop();
            }
            self.pos += ws + usize::from(after.starts_with('\n'));
        }
    }

    /// At `#`: comments, unparsed blocks and directives. Returns `Some` when the directive
    /// ends the current block.
    fn hash(
        &mut self,
        text: &mut String,
        nodes: &mut Vec<Node>,
        nested: bool,
    ) -> R<Option<BlockEnd>> {
        let start = self.pos;
        let rest = self.rest();
        if rest.starts_with("##") {
            let len = rest.find('\n').map_or(rest.len(), |i| i + 1);
            self.pos += len;
            return Ok(None);
        }
        if let Some(body) = rest.strip_prefix("#*") {
            let close = body
                .find("*#")
                .ok_or_else(|| self.err("unterminated comment"))?;
            self.pos += 2 + close + 2;
            return Ok(None);
        }
        if let Some(body) = rest.strip_prefix("#[[") {
            let close = body
                .find("]]#")
                .ok_or_else(|| self.err("unterminated #[[ block"))?;
            text.push_str(&body[..close]);
            self.pos += 3 + close + 3;
            return Ok(None);
        }
        self.pos += 1;
        let braced = self.peek() == Some(b'{');
        if braced {
            self.pos += 1;
        }
        let name = self.ident();
        let known = matches!(
            name.as_deref(),
            Some("set" | "if" | "elseif" | "else" | "end" | "foreach" | "break" | "stop")
        );
        if !known || (braced && self.peek() != Some(b'}')) {
            self.pos = start + 1;
            text.push('#');
            return Ok(None);
        }
        if braced {
            self.pos += 1;
        }
        let name = name.unwrap_or_default();
        match name.as_str() {
            "set" => {
                self.expect(b'(', "( after #set")?;
                self.skip_ws();
                if self.peek() != Some(b'$') {
                    return Err(self.err("expected a reference in #set"));
                }
                let target = self
                    .reference()?
                    .ok_or_else(|| self.err("expected a reference in #set"))?;
                self.skip_ws();
                if self.peek() != Some(b'=') || self.peek_at(1) == Some(b'=') {
                    return Err(self.err("expected = in #set"));
                }
                self.pos += 1;
                let value = self.expr()?;
                self.expect(b')', ") closing #set")?;
                self.gobble(start, text);
                flush(text, nodes);
                nodes.push(Node::Set(target, value));
            }
            "if" => {
                let cond = self.paren_expr("#if")?;
                self.gobble(start, text);
                flush(text, nodes);
                let mut branches = Vec::new();
                let mut otherwise = None;
                let mut cond = Some(cond);
                loop {
                    let (body, end) = self.block(true)?;
                    match (end, cond.take()) {
                        (BlockEnd::End, Some(c)) => {
                            branches.push((c, body));
                            break;
                        }
                        (BlockEnd::End, None) => {
                            otherwise = Some(body);
                            break;
                        }
                        (BlockEnd::ElseIf(next), Some(c)) => {
                            branches.push((c, body));
                            cond = Some(next);
                        }
                        (BlockEnd::Else, Some(c)) => {
                            branches.push((c, body));
                        }
                        (BlockEnd::Eof, _) => return Err(self.err("#if without #end")),
                        (_, None) => return Err(self.err("#else must be the last branch")),
                    }
                }
                nodes.push(Node::If(branches, otherwise));
            }
            "elseif" | "else" | "end" => {
                if !nested {
                    return Err(self.err(&format!("#{name} without #if or #foreach")));
                }
                let end = match name.as_str() {
                    "elseif" => BlockEnd::ElseIf(self.paren_expr("#elseif")?),
                    "else" => BlockEnd::Else,
                    _ => BlockEnd::End,
                };
                self.gobble(start, text);
                return Ok(Some(end));
            }
            "foreach" => {
                self.expect(b'(', "( after #foreach")?;
                self.skip_ws();
                if self.peek() != Some(b'$') {
                    return Err(self.err("expected a variable in #foreach"));
                }
                self.pos += 1;
                if self.peek() == Some(b'!') {
                    self.pos += 1;
                }
                let braced = self.peek() == Some(b'{');
                if braced {
                    self.pos += 1;
                }
                let var = self
                    .ident()
                    .ok_or_else(|| self.err("expected a variable in #foreach"))?;
                if braced {
                    self.expect(b'}', "}")?;
                }
                self.skip_ws();
                if self.ident().as_deref() != Some("in") {
                    return Err(self.err("expected in"));
                }
                let iter = self.expr()?;
                self.expect(b')', ") closing #foreach")?;
                self.gobble(start, text);
                flush(text, nodes);
                let (body, end) = self.block(true)?;
                if !matches!(end, BlockEnd::End) {
                    return Err(self.err("#foreach without #end"));
                }
                nodes.push(Node::Foreach(var, iter, body));
            }
            "break" | "stop" => {
                self.gobble(start, text);
                flush(text, nodes);
                nodes.push(if name == "break" {
                    Node::Break
                } else {
                    Node::Stop
                });
            }
            _ => {}
        }
        Ok(None)
    }

    fn paren_expr(&mut self, what: &str) -> R<Expr> {
        self.expect(b'(', &format!("( after {what}"))?;
        let e = self.expr()?;
        self.expect(b')', &format!(") closing {what}"))?;
        Ok(e)
    }

    /// At `$`: a reference, or `None` (and the position unchanged) when the `$` is text.
    fn reference(&mut self) -> R<Option<Ref>> {
        let start = self.pos;
        self.pos += 1;
        if self.peek() == Some(b'!') {
            self.pos += 1;
        }
        let braced = self.peek() == Some(b'{');
        if braced {
            self.pos += 1;
        }
        let Some(root) = self.ident() else {
            self.pos = start;
            return Ok(None);
        };
        self.enter()?;
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') if self.peek_at(1).is_some_and(is_ident_start) => {
                    self.pos += 1;
                    let name = self.member_name();
                    if self.peek() == Some(b'(') {
                        self.pos += 1;
                        let args = self.args(b')')?;
                        parts.push(Part::Call(name, args));
                    } else {
                        parts.push(Part::Prop(name));
                    }
                }
                Some(b'[') => {
                    let save = self.pos;
                    self.pos += 1;
                    match self.expr() {
                        Ok(e) => {
                            self.skip_ws();
                            if self.peek() == Some(b']') {
                                self.pos += 1;
                                parts.push(Part::Index(e));
                            } else {
                                self.pos = save;
                                break;
                            }
                        }
                        Err(VtlError::Limit(m)) => return Err(VtlError::Limit(m)),
                        Err(_) => {
                            self.pos = save;
                            break;
                        }
                    }
                }
                _ => break,
            }
        }
        self.leave();
        if braced {
            if self.peek() == Some(b'}') {
                self.pos += 1;
            } else {
                self.pos = start;
                return Ok(None);
            }
        }
        Ok(Some(Ref { root, parts }))
    }

    /// Comma-separated expressions up to `close`.
    fn args(&mut self, close: u8) -> R<Vec<Expr>> {
        let mut out = Vec::new();
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(out);
        }
        loop {
            out.push(self.expr()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(out);
                }
                _ => return Err(self.err(&format!("expected , or {}", close as char))),
            }
        }
    }

    fn expr(&mut self) -> R<Expr> {
        self.enter()?;
        let e = self.binary(0);
        self.leave();
        e
    }

    /// The operator at the position for precedence level `level`, and its length.
    fn operator(&self, level: usize) -> Option<(BinOp, usize)> {
        let r = self.rest();
        let word =
            |w: &str| r.starts_with(w) && !r.as_bytes().get(w.len()).is_some_and(|c| is_ident(*c));
        let table: &[(&str, BinOp, bool)] = match level {
            0 => &[("||", BinOp::Or, false), ("or", BinOp::Or, true)],
            1 => &[("&&", BinOp::And, false), ("and", BinOp::And, true)],
            2 => &[
                ("==", BinOp::Eq, false),
                ("!=", BinOp::Ne, false),
                ("eq", BinOp::Eq, true),
                ("ne", BinOp::Ne, true),
            ],
            3 => &[
                ("<=", BinOp::Le, false),
                (">=", BinOp::Ge, false),
                ("<", BinOp::Lt, false),
                (">", BinOp::Gt, false),
                ("le", BinOp::Le, true),
                ("ge", BinOp::Ge, true),
                ("lt", BinOp::Lt, true),
                ("gt", BinOp::Gt, true),
            ],
            4 => &[("+", BinOp::Add, false), ("-", BinOp::Sub, false)],
            _ => &[
                ("*", BinOp::Mul, false),
                ("/", BinOp::Div, false),
                ("%", BinOp::Mod, false),
            ],
        };
        table
            .iter()
            .find(|(t, _, is_word)| if *is_word { word(t) } else { r.starts_with(t) })
            .map(|(t, op, _)| (*op, t.len()))
    }

    fn binary(&mut self, level: usize) -> R<Expr> {
        if level > 5 {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        loop {
            self.skip_ws();
            let Some((op, len)) = self.operator(level) else {
                return Ok(left);
            };
            self.pos += len;
            let right = self.binary(level + 1)?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> R<Expr> {
        self.skip_ws();
        let r = self.rest();
        if r.starts_with('!') {
            self.pos += 1;
            self.enter()?;
            let e = self.unary();
            self.leave();
            return Ok(Expr::Not(Box::new(e?)));
        }
        if r.starts_with("not") && !r.as_bytes().get(3).is_some_and(|c| is_ident(*c)) {
            self.pos += 3;
            self.enter()?;
            let e = self.unary();
            self.leave();
            return Ok(Expr::Not(Box::new(e?)));
        }
        if r.starts_with('-') {
            self.pos += 1;
            self.enter()?;
            let e = self.unary();
            self.leave();
            return Ok(match e? {
                Expr::Int(i) => Expr::Int(i.wrapping_neg()),
                Expr::Float(f) => Expr::Float(-f),
                e => Expr::Neg(Box::new(e)),
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> R<Expr> {
        self.skip_ws();
        let Some(c) = self.peek() else {
            return Err(self.err("expected an expression"));
        };
        match c {
            b'(' => {
                self.pos += 1;
                let e = self.expr()?;
                self.expect(b')', ")")?;
                Ok(e)
            }
            b'$' => match self.reference()? {
                Some(r) => Ok(Expr::Ref(r)),
                None => Err(self.err("expected a reference")),
            },
            b'0'..=b'9' => self.number(),
            b'"' | b'\'' => self.string(c),
            b'[' => {
                self.pos += 1;
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Expr::List(Vec::new()));
                }
                let first = self.expr()?;
                self.skip_ws();
                if self.rest().starts_with("..") {
                    self.pos += 2;
                    let last = self.expr()?;
                    self.expect(b']', "] closing the range")?;
                    return Ok(Expr::Range(Box::new(first), Box::new(last)));
                }
                let mut items = vec![first];
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => {
                            self.pos += 1;
                            items.push(self.expr()?);
                        }
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Expr::List(items));
                        }
                        _ => return Err(self.err("expected , or ]")),
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Expr::Map(entries));
                }
                loop {
                    let k = self.expr()?;
                    self.expect(b':', ": in a map")?;
                    let v = self.expr()?;
                    entries.push((k, v));
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Expr::Map(entries));
                        }
                        _ => return Err(self.err("expected , or }")),
                    }
                }
            }
            _ => {
                let save = self.pos;
                match self.ident().as_deref() {
                    Some("true") => Ok(Expr::Bool(true)),
                    Some("false") => Ok(Expr::Bool(false)),
                    Some("null") => Ok(Expr::Null),
                    _ => {
                        self.pos = save;
                        Err(self.err("expected an expression"))
                    }
                }
            }
        }
    }

    fn number(&mut self) -> R<Expr> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let mut float = false;
        if self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            float = true;
            self.pos += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        let t = &self.s[start..self.pos];
        if float {
            t.parse()
                .map(Expr::Float)
                .map_err(|_| self.err("bad number"))
        } else {
            // beyond i64 a literal becomes a double, as Velocity widens to BigInteger
            Ok(t.parse()
                .map(Expr::Int)
                .unwrap_or_else(|_| Expr::Float(t.parse().unwrap_or(f64::INFINITY))))
        }
    }

    /// `'verbatim'` (`''` is a quote) or `"interpolated"` (`\"` and `""` are quotes).
    fn string(&mut self, quote: u8) -> R<Expr> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = self.rest();
            let Some(i) = rest.find(|c| c == quote as char || (quote == b'"' && c == '\\')) else {
                return Err(self.err("unterminated string"));
            };
            out.push_str(&rest[..i]);
            self.pos += i;
            if self.peek() == Some(b'\\') {
                if self.peek_at(1) == Some(b'"') {
                    out.push('"');
                    self.pos += 2;
                } else {
                    out.push('\\');
                    self.pos += 1;
                }
                continue;
            }
            // at the quote
            if self.peek_at(1) == Some(quote) {
                out.push(quote as char);
                self.pos += 2;
                continue;
            }
            self.pos += 1;
            break;
        }
        if quote == b'\'' || !out.contains(['$', '#']) {
            return Ok(Expr::Str(out));
        }
        let mut inner = Parser {
            s: &out,
            b: out.as_bytes(),
            pos: 0,
            depth: self.depth,
            max_depth: self.max_depth,
        };
        match inner.block(false)? {
            (nodes, BlockEnd::Eof) => Ok(Expr::Interp(nodes)),
            _ => Err(self.err("unexpected directive in a string")),
        }
    }
}

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text)));
    }
}
