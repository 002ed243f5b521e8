//! The tokens of a PartiQL statement. Keywords are plain words here (the parser matches them
//! case-insensitively); a `"quoted"` name is never a keyword. `--` and `/* */` comments and
//! white space separate tokens. A string, quoted name or block comment that does not end,
//! and a character PartiQL does not know, make the statement unreadable: AWS then answers
//! the bare "not well formed" text with nothing after the colon.

use super::{ParseError, not_well_formed};

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An unquoted word: a name or a keyword.
    Word(String),
    /// A `"quoted"` name (`""` inside stands for one `"`).
    Quoted(String),
    /// A `'string'` literal (`''` inside stands for one `'`).
    Str(String),
    /// A number literal as written (digits, point, exponent; no sign).
    Num(String),
    /// `?`
    Param,
    /// Punctuation and operators: `* , . ( ) [ ] { } << >> : ; = <> != < <= > >= + -`.
    Sym(&'static str),
}

impl Tok {
    /// Whether the token is the word `kw` (any case).
    pub(crate) fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

const SYMS: &[&str] = &[
    "<<", ">>", "<>", "!=", "<=", ">=", "*", ",", ".", "(", ")", "[", "]", "{", "}", ":", ";", "=",
    "<", ">", "+", "-",
];

/// Splits `src` into tokens.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Tok>, ParseError> {
    let bytes = src.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if src[i..].starts_with("--") {
            i = src[i..].find('\n').map_or(bytes.len(), |n| i + n + 1);
        } else if src[i..].starts_with("/*") {
            let end = src[i + 2..].find("*/").ok_or_else(|| not_well_formed(""))?;
            i += 2 + end + 2;
        } else if c == b'\'' || c == b'"' {
            let (text, next) = quoted(src, i, c)?;
            toks.push(if c == b'\'' {
                Tok::Str(text)
            } else {
                Tok::Quoted(text)
            });
            i = next;
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let (text, next) = number(src, i)?;
            toks.push(Tok::Num(text));
            i = next;
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
            {
                i += 1;
            }
            toks.push(Tok::Word(src[start..i].to_string()));
        } else if c == b'?' {
            toks.push(Tok::Param);
            i += 1;
        } else if let Some(sym) = SYMS.iter().find(|s| src[i..].starts_with(**s)) {
            toks.push(Tok::Sym(sym));
            i += sym.len();
        } else {
            return Err(not_well_formed(""));
        }
    }
    Ok(toks)
}

/// A quoted text starting at `start` (the opening quote); the doubled quote escapes itself.
fn quoted(src: &str, start: usize, q: u8) -> Result<(String, usize), ParseError> {
    let bytes = src.as_bytes();
    let mut out = String::new();
    let mut i = start + 1;
    let mut run = i;
    loop {
        match bytes.get(i) {
            None => return Err(not_well_formed("")),
            Some(&b) if b == q => {
                out.push_str(&src[run..i]);
                if bytes.get(i + 1) == Some(&q) {
                    out.push(q as char);
                    i += 2;
                    run = i;
                } else {
                    return Ok((out, i + 1));
                }
            }
            Some(_) => i += 1,
        }
    }
}

/// A number literal: `12`, `1.5`, `.5`, `1e5`, `1.5E-3`. An exponent that does not fit a
/// 32-bit integer is unreadable, as on AWS.
fn number(src: &str, start: usize) -> Result<(String, usize), ParseError> {
    let bytes = src.as_bytes();
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    if bytes.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let end = digits(j);
        if end > j {
            if src[i + 1..end].parse::<i32>().is_err() {
                return Err(not_well_formed(""));
            }
            i = end;
        }
    }
    Ok((src[start..i].to_string(), i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partiql_lexer_tokens() {
        let t = tokenize("SELECT a.\"b c\" FROM t WHERE x <= 'it''s' AND y <> 1.5e3 -- note\n")
            .unwrap();
        assert_eq!(
            t,
            vec![
                Tok::Word("SELECT".into()),
                Tok::Word("a".into()),
                Tok::Sym("."),
                Tok::Quoted("b c".into()),
                Tok::Word("FROM".into()),
                Tok::Word("t".into()),
                Tok::Word("WHERE".into()),
                Tok::Word("x".into()),
                Tok::Sym("<="),
                Tok::Str("it's".into()),
                Tok::Word("AND".into()),
                Tok::Word("y".into()),
                Tok::Sym("<>"),
                Tok::Num("1.5e3".into()),
            ]
        );
        assert_eq!(tokenize("<<1>> /* c */ ?").unwrap().len(), 4);
    }

    #[test]
    fn partiql_lexer_unreadable_inputs() {
        for bad in ["'open", "\"open", "a # b", "/* open", "1e2147483648"] {
            assert_eq!(
                tokenize(bad).unwrap_err().0,
                "Statement wasn't well formed, can't be processed: ",
                "{bad}"
            );
        }
    }
}
