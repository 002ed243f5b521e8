//! CloudWatch Logs filter patterns: parse once, match many messages.
//!
//! Three forms, as AWS documents them:
//! * **terms** — `ERROR "connection reset" -DEBUG ?WARN ?FATAL`: every plain term (or quoted
//!   phrase) must appear, no `-term` may appear, and when `?term`s are present at least one of
//!   them must appear. Matching is case-sensitive, by substring. The empty pattern matches all.
//! * **JSON** — `{ $.level = "ERROR" && ($.latency > 100 || $.retry IS TRUE) }`: the message
//!   must be a JSON document; selectors `$.a.b`, `$.a[0]`, `$.a[0].b`; comparisons `=`, `!=`
//!   (strings with `*` wildcards, or numbers), `<`, `<=`, `>`, `>=` (numbers), `IS NULL`,
//!   `NOT EXISTS`, `IS TRUE`, `IS FALSE`; `&&`, `||`, parentheses.
//! * **space-delimited** — `[ip, user, ..., status = 404, bytes > 1000]`: the message is split
//!   into whitespace-separated fields (a `"quoted"` or `[bracketed]` field is one field), and
//!   each named field may carry conditions; `...` stands for any number of fields.
//!
//! Parsing is bounded (nesting depth [`MAX_DEPTH`], pattern length 1,024 by the model) and
//! neither parsing nor matching panics on any input (property-tested).

mod parse;
#[cfg(test)]
mod tests;

use serde_json::Value;

/// Deepest nesting of parentheses a JSON pattern may use.
pub const MAX_DEPTH: usize = 16;

/// A parsed filter pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// Terms, phrases, exclusions and optional terms (the empty pattern matches everything).
    Terms(Terms),
    /// `{ ... }` over a JSON message.
    Json(JsonExpr),
    /// `[ ... ]` over whitespace-separated fields.
    Space(Vec<SpaceField>),
}

/// The unstructured form.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Terms {
    pub required: Vec<String>,
    pub any: Vec<String>,
    pub excluded: Vec<String>,
}

/// A boolean expression of a JSON pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonExpr {
    And(Box<JsonExpr>, Box<JsonExpr>),
    Or(Box<JsonExpr>, Box<JsonExpr>),
    Cond(Selector, Test),
}

/// One step of a selector: `.name` or `[index]`.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
}

pub type Selector = Vec<Step>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A value on the right of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(f64),
    /// A string, possibly with `*` wildcards.
    Text(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Compare(Op, Literal),
    IsNull,
    NotExists,
    IsTrue,
    IsFalse,
}

/// One field of a space-delimited pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum SpaceField {
    /// `...`: any number of fields.
    Ellipsis,
    /// A named field with an optional condition: alternatives (`||`) of conjunctions (`&&`).
    Named {
        name: String,
        conditions: Vec<Vec<(Op, Literal)>>,
    },
}

/// Why a pattern could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(pub String);

impl Pattern {
    /// Parses a filter pattern; `""` (or only spaces) matches every event.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        parse::parse(text)
    }

    /// True when `message` matches.
    pub fn matches(&self, message: &str) -> bool {
        match self {
            Pattern::Terms(t) => t.matches(message),
            Pattern::Json(e) => match serde_json::from_str::<Value>(message) {
                Ok(doc) => e.eval(&doc),
                Err(_) => false,
            },
            Pattern::Space(fields) => match_space(fields, &split_fields(message)),
        }
    }

    /// True for the pattern that matches everything.
    pub fn is_all(&self) -> bool {
        matches!(self, Pattern::Terms(t) if t.required.is_empty() && t.any.is_empty() && t.excluded.is_empty())
    }
}

impl Terms {
    fn matches(&self, m: &str) -> bool {
        self.required.iter().all(|t| m.contains(t.as_str()))
            && !self.excluded.iter().any(|t| m.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| m.contains(t.as_str())))
    }
}

impl JsonExpr {
    fn eval(&self, doc: &Value) -> bool {
        match self {
            JsonExpr::And(a, b) => a.eval(doc) && b.eval(doc),
            JsonExpr::Or(a, b) => a.eval(doc) || b.eval(doc),
            JsonExpr::Cond(sel, test) => {
                let found = select(doc, sel);
                match test {
                    Test::NotExists => found.is_none(),
                    Test::IsNull => matches!(found, Some(Value::Null)),
                    Test::IsTrue => matches!(found, Some(Value::Bool(true))),
                    Test::IsFalse => matches!(found, Some(Value::Bool(false))),
                    Test::Compare(op, lit) => match found {
                        Some(v) => compare_json(v, *op, lit),
                        None => false,
                    },
                }
            }
        }
    }
}

fn select<'a>(doc: &'a Value, sel: &Selector) -> Option<&'a Value> {
    let mut cur = doc;
    for step in sel {
        cur = match step {
            Step::Key(k) => cur.as_object()?.get(k)?,
            Step::Index(i) => cur.as_array()?.get(*i)?,
        };
    }
    Some(cur)
}

fn compare_json(v: &Value, op: Op, lit: &Literal) -> bool {
    match (v, lit) {
        (Value::Number(n), Literal::Number(x)) => match n.as_f64() {
            Some(n) => compare_numbers(n, op, *x),
            None => false,
        },
        (Value::String(s), Literal::Text(g)) => match op {
            Op::Eq => glob(g, s),
            Op::Ne => !glob(g, s),
            _ => false,
        },
        // A quoted number against a number field, or a number against numeric text.
        (Value::Number(n), Literal::Text(g)) => match op {
            Op::Eq => glob(g, &n.to_string()),
            Op::Ne => !glob(g, &n.to_string()),
            _ => false,
        },
        (Value::String(s), Literal::Number(x)) => match s.parse::<f64>() {
            Ok(n) => compare_numbers(n, op, *x),
            Err(_) => op == Op::Ne,
        },
        (Value::Bool(b), Literal::Text(g)) => match op {
            Op::Eq => glob(g, if *b { "true" } else { "false" }),
            Op::Ne => !glob(g, if *b { "true" } else { "false" }),
            _ => false,
        },
        // Objects, arrays and null never equal a literal; they differ from it.
        _ => op == Op::Ne,
    }
}

fn compare_numbers(a: f64, op: Op, b: f64) -> bool {
    match op {
        Op::Eq => a == b,
        Op::Ne => a != b,
        Op::Lt => a < b,
        Op::Le => a <= b,
        Op::Gt => a > b,
        Op::Ge => a >= b,
    }
}

fn compare_text(field: &str, op: Op, lit: &Literal) -> bool {
    match lit {
        Literal::Number(x) => match field.parse::<f64>() {
            Ok(n) => compare_numbers(n, op, *x),
            Err(_) => op == Op::Ne,
        },
        Literal::Text(g) => match op {
            Op::Eq => glob(g, field),
            Op::Ne => !glob(g, field),
            _ => match (field.parse::<f64>(), g.parse::<f64>()) {
                (Ok(a), Ok(b)) => compare_numbers(a, op, b),
                _ => false,
            },
        },
    }
}

/// `*` matches any run of characters; everything else literally. Linear-time backtracking on
/// the last star only, so no input can make it blow up.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Splits a message into space-delimited fields: whitespace separates; `"..."` and `[...]`
/// enclose one field (without the enclosing characters).
pub fn split_fields(message: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = message.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let close = match c {
            b'"' => Some(b'"'),
            b'[' => Some(b']'),
            _ => None,
        };
        if let Some(close) = close {
            let start = i + 1;
            match bytes[start..].iter().position(|b| *b == close) {
                Some(len) => {
                    out.push(&message[start..start + len]);
                    i = start + len + 1;
                    continue;
                }
                None => {
                    // unterminated: the rest of the message is one field
                    out.push(&message[start..]);
                    break;
                }
            }
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        out.push(&message[start..i]);
    }
    out
}

/// Matches fields against tokens: `...` takes any number of tokens. Dynamic programming over
/// (field, token), so several ellipses cost O(fields × tokens).
fn match_space(fields: &[SpaceField], tokens: &[&str]) -> bool {
    let (f, t) = (fields.len(), tokens.len());
    // ok[i][j]: fields[i..] match tokens[j..]
    let mut ok = vec![vec![false; t + 1]; f + 1];
    ok[f][t] = true;
    for i in (0..f).rev() {
        for j in (0..=t).rev() {
            ok[i][j] = match &fields[i] {
                SpaceField::Ellipsis => ok[i + 1][j] || (j < t && ok[i][j + 1]),
                SpaceField::Named { conditions, .. } => {
                    j < t && ok[i + 1][j + 1] && field_ok(conditions, tokens[j])
                }
            };
        }
    }
    ok[0][0]
}

fn field_ok(conditions: &[Vec<(Op, Literal)>], token: &str) -> bool {
    conditions.is_empty()
        || conditions
            .iter()
            .any(|all| all.iter().all(|(op, lit)| compare_text(token, *op, lit)))
}
