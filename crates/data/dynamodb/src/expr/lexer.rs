//! Tokens of the expression languages, with their byte spans in the source so syntax errors
//! can quote the text "near" the offending token the way DynamoDB does.

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A bare word: attribute name, keyword (AND, SET, ...) or function name.
    Ident,
    /// `#name`
    Name,
    /// `:name`
    Value,
    /// A run of decimal digits (only valid as a list index).
    Number,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    /// Anything else (one character, or a lone `#` / `:`); always a syntax error.
    Unknown,
    Eof,
}

/// A token and where it is in the source (`start..end` in bytes).
#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn ident_part(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

fn take_while(it: &mut Chars<'_>, mut end: usize, f: fn(char) -> bool) -> usize {
    while let Some(&(i, c)) = it.peek() {
        if !f(c) {
            break;
        }
        end = i + c.len_utf8();
        it.next();
    }
    end
}

/// Splits `src` into tokens; the last one is always `Eof`.
pub fn lex(src: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut it = src.char_indices().peekable();
    while let Some((start, c)) = it.next() {
        if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        let mut end = start + c.len_utf8();
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            ',' => Tok::Comma,
            '.' => Tok::Dot,
            '+' => Tok::Plus,
            '-' => Tok::Minus,
            '=' => Tok::Eq,
            '<' | '>' => {
                let next = it.peek().map(|&(_, c)| c);
                match (c, next) {
                    ('<', Some('=')) => {
                        it.next();
                        end += 1;
                        Tok::Le
                    }
                    ('<', Some('>')) => {
                        it.next();
                        end += 1;
                        Tok::Ne
                    }
                    ('>', Some('=')) => {
                        it.next();
                        end += 1;
                        Tok::Ge
                    }
                    ('<', _) => Tok::Lt,
                    _ => Tok::Gt,
                }
            }
            '#' | ':' => {
                let before = end;
                end = take_while(&mut it, end, ident_part);
                if end == before {
                    Tok::Unknown
                } else if c == '#' {
                    Tok::Name
                } else {
                    Tok::Value
                }
            }
            c if c.is_ascii_digit() => {
                end = take_while(&mut it, end, |c| c.is_ascii_digit());
                Tok::Number
            }
            c if ident_start(c) => {
                end = take_while(&mut it, end, ident_part);
                Tok::Ident
            }
            _ => Tok::Unknown,
        };
        out.push(Token { tok, start, end });
    }
    out.push(Token {
        tok: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(Tok, &str)> {
        lex(s)
            .into_iter()
            .map(|t| (t.tok.clone(), &s[t.start..t.end]))
            .collect()
    }

    #[test]
    fn expr_lexer_tokens() {
        assert_eq!(
            kinds("a.b[12] <> #n AND :v<=x>=y<z>w"),
            vec![
                (Tok::Ident, "a"),
                (Tok::Dot, "."),
                (Tok::Ident, "b"),
                (Tok::LBracket, "["),
                (Tok::Number, "12"),
                (Tok::RBracket, "]"),
                (Tok::Ne, "<>"),
                (Tok::Name, "#n"),
                (Tok::Ident, "AND"),
                (Tok::Value, ":v"),
                (Tok::Le, "<="),
                (Tok::Ident, "x"),
                (Tok::Ge, ">="),
                (Tok::Ident, "y"),
                (Tok::Lt, "<"),
                (Tok::Ident, "z"),
                (Tok::Gt, ">"),
                (Tok::Ident, "w"),
                (Tok::Eof, ""),
            ]
        );
    }

    #[test]
    fn expr_lexer_unknown_and_lone_sigils() {
        assert_eq!(
            kinds("ü # : \"x"),
            vec![
                (Tok::Unknown, "ü"),
                (Tok::Unknown, "#"),
                (Tok::Unknown, ":"),
                (Tok::Unknown, "\""),
                (Tok::Ident, "x"),
                (Tok::Eof, ""),
            ]
        );
    }
}
