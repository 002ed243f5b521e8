//! Literals of a statement: strings, numbers, `TRUE`/`FALSE`, `NULL`, `{...}` maps, `[...]`
//! lists, `<<...>>` sets and `?` parameters, with AWS's `under root.x[1]` messages for values
//! that break DynamoDB's rules. Nesting is bounded like items' (32 levels).

use super::lexer::Tok;
use super::parser::{Parser, is_keyword};
use super::{MAX_DEPTH, ParseError, not_well_formed};
use crate::value::{AttrValue, MAX_NESTING, Number, rules};
use std::collections::BTreeMap;

fn err(msg: impl Into<String>) -> ParseError {
    ParseError(msg.into())
}

impl Parser<'_> {
    // ---- literals

    /// A literal or `?`; `at` names where it sits for AWS's `under root.x[1]` messages.
    pub(super) fn value(&mut self, at: &str, depth: usize) -> Result<AttrValue, ParseError> {
        if depth > MAX_NESTING.min(MAX_DEPTH) {
            return Err(err(rules::NESTING));
        }
        let Some(t) = self.next() else {
            return Err(not_well_formed("Unexpected term"));
        };
        Ok(match t {
            Tok::Param => self.param()?,
            Tok::Str(s) => AttrValue::S(s),
            Tok::Num(n) => number(&n, false, at)?,
            Tok::Sym("-") => match self.next() {
                Some(Tok::Num(n)) => number(&n, true, at)?,
                _ => return Err(not_well_formed("Unexpected term")),
            },
            Tok::Sym("+") => match self.next() {
                Some(Tok::Num(n)) => number(&n, false, at)?,
                _ => return Err(not_well_formed("Unexpected term")),
            },
            Tok::Word(w) if w.eq_ignore_ascii_case("TRUE") => AttrValue::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("FALSE") => AttrValue::Bool(false),
            Tok::Word(w) if w.eq_ignore_ascii_case("NULL") => AttrValue::Null,
            Tok::Sym("{") => {
                let mut m = BTreeMap::new();
                if !self.eat_sym("}") {
                    loop {
                        let key = match self.next() {
                            Some(Tok::Str(k)) => k,
                            Some(Tok::Param) => match self.param()? {
                                AttrValue::S(k) => k,
                                other => {
                                    return Err(err(format!(
                                        "Tuple keys must be of type String. Actual type: {} under {}",
                                        other.type_name(),
                                        if at.is_empty() { "root" } else { at }
                                    )));
                                }
                            },
                            _ => return Err(not_well_formed("Unexpected term")),
                        };
                        self.expect_sym(":")?;
                        let inner = if at.is_empty() {
                            "root".to_string()
                        } else {
                            format!("{at}.{key}")
                        };
                        let v = self.value(&inner, depth + 1)?;
                        if m.contains_key(&key) {
                            return Err(err(format!(
                                "Duplicate keys in tuple. Key: {key} under {}",
                                if at.is_empty() { "root" } else { at }
                            )));
                        }
                        m.insert(key, v);
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    self.expect_sym("}")?;
                }
                AttrValue::M(m)
            }
            Tok::Sym("[") => {
                let mut l = Vec::new();
                if !self.eat_sym("]") {
                    loop {
                        let inner = format!("{at}[{}]", l.len());
                        l.push(self.value(&inner, depth + 1)?);
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    self.expect_sym("]")?;
                }
                AttrValue::L(l)
            }
            Tok::Sym("<<") => self.bag(at, depth)?,
            Tok::Word(w) if is_keyword(&w) => {
                self.pos -= 1;
                return Err(self.unexpected());
            }
            _ => {
                self.pos -= 1;
                return Err(self.unexpected());
            }
        })
    }

    /// `<<v, ...>>`: a string, number or binary set.
    fn bag(&mut self, at: &str, depth: usize) -> Result<AttrValue, ParseError> {
        let mut items = Vec::new();
        if !self.eat_sym(">>") {
            loop {
                if matches!(self.peek(), Some(Tok::Param)) {
                    return Err(err(
                        "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
                    ));
                }
                items.push(self.value(at, depth + 1)?);
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.expect_sym(">>")?;
        }
        let bad = || {
            err(
                "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags",
            )
        };
        match items.first() {
            None => Err(err("Empty bags are not supported")),
            Some(AttrValue::S(_)) => {
                let mut out: Vec<String> = Vec::new();
                for v in items {
                    let AttrValue::S(s) = v else {
                        return Err(bad());
                    };
                    if !out.contains(&s) {
                        out.push(s);
                    }
                }
                Ok(AttrValue::Ss(out))
            }
            Some(AttrValue::N(_)) => {
                let mut out: Vec<Number> = Vec::new();
                for v in items {
                    let AttrValue::N(n) = v else {
                        return Err(bad());
                    };
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
                Ok(AttrValue::Ns(out))
            }
            Some(_) => Err(bad()),
        }
    }
}

/// A number literal with DynamoDB's rules; a broken rule names where the literal sits.
pub(super) fn number(text: &str, negative: bool, at: &str) -> Result<AttrValue, ParseError> {
    let mut s = String::with_capacity(text.len() + 2);
    if negative {
        s.push('-');
    }
    if text.starts_with('.') {
        s.push('0');
    }
    s.push_str(text);
    if s.ends_with('.') {
        s.push('0');
    }
    Number::parse(&s)
        .map(AttrValue::N)
        .map_err(|e| err(format!("{} under {at}", e.0)))
}
