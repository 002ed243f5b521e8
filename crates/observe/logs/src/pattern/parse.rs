//! The filter-pattern parser: a small lexer shared by the JSON and space-delimited forms, and
//! a recursive-descent parser bounded by [`MAX_DEPTH`].

use super::{
    JsonExpr, Literal, MAX_DEPTH, Op, Pattern, PatternError, SpaceField, Step, Terms, Test,
};

fn err(msg: impl Into<String>) -> PatternError {
    PatternError(msg.into())
}

pub fn parse(text: &str) -> Result<Pattern, PatternError> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('{') {
        let inner = rest
            .strip_suffix('}')
            .ok_or_else(|| err("Invalid filter pattern: missing closing '}'"))?;
        let toks = lex(inner)?;
        let mut p = Parser { toks, pos: 0 };
        let e = p.or(0)?;
        if p.pos != p.toks.len() {
            return Err(err(
                "Invalid filter pattern: unexpected input after expression",
            ));
        }
        return Ok(Pattern::Json(e));
    }
    if let Some(rest) = t.strip_prefix('[') {
        let inner = rest
            .strip_suffix(']')
            .ok_or_else(|| err("Invalid filter pattern: missing closing ']'"))?;
        return space(inner).map(Pattern::Space);
    }
    terms(t).map(Pattern::Terms)
}

fn terms(t: &str) -> Result<Terms, PatternError> {
    let mut out = Terms::default();
    let chars: Vec<char> = t.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let kind = chars[i];
        if kind == '-' || kind == '?' {
            i += 1;
        }
        let mut term = String::new();
        if i < chars.len() && chars[i] == '"' {
            i += 1;
            let mut closed = false;
            while i < chars.len() {
                match chars[i] {
                    '\\' if i + 1 < chars.len() => {
                        term.push(chars[i + 1]);
                        i += 2;
                    }
                    '"' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    c => {
                        term.push(c);
                        i += 1;
                    }
                }
            }
            if !closed {
                return Err(err("Invalid filter pattern: unterminated quoted term"));
            }
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                term.push(chars[i]);
                i += 1;
            }
        }
        if term.is_empty() {
            if kind == '-' || kind == '?' {
                return Err(err(format!(
                    "Invalid filter pattern: '{kind}' must be followed by a term"
                )));
            }
            continue; // `""` matches everything: no constraint
        }
        match kind {
            '-' => out.excluded.push(term),
            '?' => out.any.push(term),
            _ => out.required.push(term),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Op(Op),
    Str(String),
    Word(String),
}

fn is_special(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '=' | '!' | '<' | '>' | '&' | '|' | '"' | ',')
}

fn lex(s: &str) -> Result<Vec<Tok>, PatternError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            '&' if next == Some('&') => {
                out.push(Tok::And);
                i += 2;
            }
            '|' if next == Some('|') => {
                out.push(Tok::Or);
                i += 2;
            }
            '=' => {
                out.push(Tok::Op(Op::Eq));
                i += if next == Some('=') { 2 } else { 1 };
            }
            '!' if next == Some('=') => {
                out.push(Tok::Op(Op::Ne));
                i += 2;
            }
            '<' | '>' => {
                let eq = next == Some('=');
                out.push(Tok::Op(match (c, eq) {
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    ('>', false) => Op::Gt,
                    _ => Op::Ge,
                }));
                i += if eq { 2 } else { 1 };
            }
            '"' => {
                i += 1;
                let mut s = String::new();
                let mut closed = false;
                while i < chars.len() {
                    match chars[i] {
                        '\\' if i + 1 < chars.len() => {
                            s.push(chars[i + 1]);
                            i += 2;
                        }
                        '"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        c => {
                            s.push(c);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    return Err(err("Invalid filter pattern: unterminated string"));
                }
                out.push(Tok::Str(s));
            }
            '&' | '|' | '!' | ',' => {
                return Err(err(format!("Invalid filter pattern: unexpected '{c}'")));
            }
            _ => {
                let start = i;
                while i < chars.len() && !is_special(chars[i]) {
                    i += 1;
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self, depth: usize) -> Result<JsonExpr, PatternError> {
        let mut left = self.and(depth)?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            let right = self.and(depth)?;
            left = JsonExpr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<JsonExpr, PatternError> {
        let mut left = self.unary(depth)?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            let right = self.unary(depth)?;
            left = JsonExpr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<JsonExpr, PatternError> {
        match self.next() {
            Some(Tok::LParen) => {
                if depth >= MAX_DEPTH {
                    return Err(err("Invalid filter pattern: nested too deeply"));
                }
                let e = self.or(depth + 1)?;
                match self.next() {
                    Some(Tok::RParen) => Ok(e),
                    _ => Err(err("Invalid filter pattern: missing ')'")),
                }
            }
            Some(Tok::Word(w)) if w.starts_with('$') => {
                let sel = selector(&w)?;
                let test = self.test()?;
                Ok(JsonExpr::Cond(sel, test))
            }
            _ => Err(err(
                "Invalid filter pattern: expected a selector such as $.field",
            )),
        }
    }

    fn test(&mut self) -> Result<Test, PatternError> {
        match self.next() {
            Some(Tok::Op(op)) => Ok(Test::Compare(op, self.literal(op)?)),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("IS") => match self.next() {
                Some(Tok::Word(k)) if k.eq_ignore_ascii_case("NULL") => Ok(Test::IsNull),
                Some(Tok::Word(k)) if k.eq_ignore_ascii_case("TRUE") => Ok(Test::IsTrue),
                Some(Tok::Word(k)) if k.eq_ignore_ascii_case("FALSE") => Ok(Test::IsFalse),
                _ => Err(err(
                    "Invalid filter pattern: IS must be followed by NULL, TRUE or FALSE",
                )),
            },
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("NOT") => match self.next() {
                Some(Tok::Word(k)) if k.eq_ignore_ascii_case("EXISTS") => Ok(Test::NotExists),
                _ => Err(err(
                    "Invalid filter pattern: NOT must be followed by EXISTS",
                )),
            },
            _ => Err(err(
                "Invalid filter pattern: expected a comparison after the selector",
            )),
        }
    }

    fn literal(&mut self, op: Op) -> Result<Literal, PatternError> {
        let lit = match self.next() {
            Some(Tok::Str(s)) => Literal::Text(s),
            Some(Tok::Word(w)) => word_literal(w),
            _ => return Err(err("Invalid filter pattern: expected a value")),
        };
        if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) && !matches!(lit, Literal::Number(_)) {
            return Err(err(
                "Invalid filter pattern: <, <=, > and >= need a numeric value",
            ));
        }
        Ok(lit)
    }
}

fn word_literal(w: String) -> Literal {
    match w.parse::<f64>() {
        Ok(n) if n.is_finite() && !w.contains('*') => Literal::Number(n),
        _ => Literal::Text(w),
    }
}

fn selector(w: &str) -> Result<Vec<Step>, PatternError> {
    let bad = || err(format!("Invalid filter pattern: invalid selector '{w}'"));
    let rest = w.strip_prefix('$').ok_or_else(bad)?;
    let chars: Vec<char> = rest.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '.' => {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    i += 1;
                }
                if start == i {
                    return Err(bad());
                }
                let key: String = chars[start..i].iter().collect();
                if key.contains(']') {
                    return Err(bad());
                }
                steps.push(Step::Key(key));
            }
            '[' => {
                i += 1;
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if start == i || i >= chars.len() || chars[i] != ']' {
                    return Err(bad());
                }
                let n: String = chars[start..i].iter().collect();
                steps.push(Step::Index(n.parse().map_err(|_| bad())?));
                i += 1;
            }
            _ => return Err(bad()),
        }
    }
    if steps.is_empty() {
        return Err(bad());
    }
    Ok(steps)
}

/// Splits on commas outside quotes.
fn split_commas(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match c {
            '"' if prev != '\\' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        prev = c;
    }
    out.push(&s[start..]);
    out
}

fn space(inner: &str) -> Result<Vec<SpaceField>, PatternError> {
    let mut fields = Vec::new();
    for part in split_commas(inner) {
        let part = part.trim();
        if part == "..." {
            fields.push(SpaceField::Ellipsis);
            continue;
        }
        let toks = lex(part)?;
        let mut it = toks.into_iter().peekable();
        let name = match it.next() {
            Some(Tok::Word(w)) => w,
            _ => return Err(err("Invalid filter pattern: every field needs a name")),
        };
        let mut conditions: Vec<Vec<(Op, Literal)>> = Vec::new();
        if it.peek().is_some() {
            let mut current = Vec::new();
            let mut first = true;
            loop {
                if !first {
                    match it.next() {
                        Some(Tok::Word(w)) if w == name => {}
                        _ => {
                            return Err(err(format!(
                                "Invalid filter pattern: a condition of field '{name}' must name '{name}'"
                            )));
                        }
                    }
                }
                first = false;
                let op = match it.next() {
                    Some(Tok::Op(op)) => op,
                    _ => return Err(err("Invalid filter pattern: expected a comparison")),
                };
                let lit = match it.next() {
                    Some(Tok::Str(s)) => Literal::Text(s),
                    Some(Tok::Word(w)) => word_literal(w),
                    _ => return Err(err("Invalid filter pattern: expected a value")),
                };
                current.push((op, lit));
                match it.next() {
                    None => break,
                    Some(Tok::And) => {}
                    Some(Tok::Or) => conditions.push(std::mem::take(&mut current)),
                    Some(_) => return Err(err("Invalid filter pattern: expected && or ||")),
                }
            }
            conditions.push(current);
        }
        fields.push(SpaceField::Named { name, conditions });
    }
    if fields.is_empty() {
        return Err(err("Invalid filter pattern: no fields"));
    }
    Ok(fields)
}
