//! Recursive descent over the tokens of [`super::lexer`], binding `?` parameters as it goes.
//! Every recursion (conditions, parentheses, literals) carries a depth checked against
//! [`MAX_DEPTH`].

use super::lexer::{Tok, tokenize};
use super::{
    MAX_DEPTH, MAX_STATEMENT_BYTES, PARAM_COUNT, ParseError, Projection, Returning, Source,
    Statement, not_well_formed,
};
use crate::expr::{CmpOp, Condition, Operand, Path, PathElem, SetOperand, SetValue, UpdateAction};
use crate::value::{AttrValue, rules};

/// Words that end a clause or start one; never read as a name unless quoted.
const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "BETWEEN",
    "SET",
    "REMOVE",
    "VALUE",
    "VALUES",
    "INSERT",
    "INTO",
    "UPDATE",
    "DELETE",
    "RETURNING",
    "ORDER",
    "BY",
    "ASC",
    "DESC",
    "MISSING",
    "NULL",
    "TRUE",
    "FALSE",
    "AS",
    "LIMIT",
    "LIKE",
    "EXISTS",
    "GROUP",
    "HAVING",
    "UNION",
    "JOIN",
    "AT",
    "ON",
];

/// Operators that cannot start a term.
const OPERATORS: &[&str] = &["IS", "LIKE", "BETWEEN", "IN"];

pub(super) fn is_keyword(w: &str) -> bool {
    KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(w))
}

fn err(msg: impl Into<String>) -> ParseError {
    ParseError(msg.into())
}

/// Parses `src` with its `Parameters`.
pub fn parse(src: &str, params: &[AttrValue]) -> Result<Statement, ParseError> {
    if src.len() > MAX_STATEMENT_BYTES {
        return Err(not_well_formed(""));
    }
    let toks = tokenize(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        params,
        used: 0,
    };
    let stmt = p.statement()?;
    p.eat_sym(";");
    if p.peek().is_some() {
        return Err(not_well_formed("Unexpected token after expression"));
    }
    if p.used != params.len() {
        return Err(err(PARAM_COUNT));
    }
    Ok(stmt)
}

pub(super) struct Parser<'a> {
    pub(super) toks: Vec<Tok>,
    pub(super) pos: usize,
    pub(super) params: &'a [AttrValue],
    pub(super) used: usize,
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n)
    }

    pub(super) fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn at_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.at_kw(kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn at_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }

    pub(super) fn eat_sym(&mut self, s: &str) -> bool {
        let hit = self.at_sym(s);
        if hit {
            self.pos += 1;
        }
        hit
    }

    pub(super) fn expect_sym(&mut self, s: &str) -> Result<(), ParseError> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    /// The detail for the token at the cursor being wrong where it is.
    pub(super) fn unexpected(&self) -> ParseError {
        match self.peek() {
            None | Some(Tok::Sym(";")) => not_well_formed("Unexpected term"),
            Some(Tok::Word(w)) if OPERATORS.iter().any(|o| o.eq_ignore_ascii_case(w)) => {
                not_well_formed("Unexpected operator")
            }
            Some(Tok::Word(w)) if is_keyword(w) => not_well_formed("Unexpected keyword"),
            Some(_) => not_well_formed("Unexpected token"),
        }
    }

    pub(super) fn param(&mut self) -> Result<AttrValue, ParseError> {
        let v = self
            .params
            .get(self.used)
            .cloned()
            .ok_or_else(|| err(PARAM_COUNT))?;
        self.used += 1;
        Ok(v)
    }

    // ---- statements

    fn statement(&mut self) -> Result<Statement, ParseError> {
        match self.peek() {
            Some(t) if t.is_kw("SELECT") => self.select(),
            Some(t) if t.is_kw("INSERT") => self.insert(),
            Some(t) if t.is_kw("UPDATE") => {
                self.pos += 1;
                let table = self.table_name()?;
                self.no_alias()?;
                self.update_rest(table, None)
            }
            Some(t) if t.is_kw("DELETE") => self.delete(),
            Some(t) if t.is_kw("FROM") => {
                // `FROM "t" [WHERE c] SET ...`: an UPDATE written FROM-first.
                self.pos += 1;
                let table = self.table_name()?;
                self.no_alias()?;
                let filter = if self.eat_kw("WHERE") {
                    Some(self.condition(0)?)
                } else {
                    None
                };
                if !self.at_kw("SET") && !self.at_kw("REMOVE") {
                    return Err(self.unexpected());
                }
                let actions = self.actions()?;
                Ok(Statement::Update {
                    table,
                    actions,
                    filter,
                    returning: None,
                })
            }
            _ => Err(not_well_formed("Expected data manipulation")),
        }
    }

    fn select(&mut self) -> Result<Statement, ParseError> {
        self.pos += 1;
        let projection = if self.eat_sym("*") {
            if self.at_sym(",") {
                return Err(err(
                    "Other attributes should not be present in the projection when '*' is used.",
                ));
            }
            Projection::All
        } else {
            let mut paths = vec![self.path()?];
            while self.eat_sym(",") {
                if self.at_sym("*") {
                    return Err(err(
                        "Other attributes should not be present in the projection when '*' is used.",
                    ));
                }
                paths.push(self.path()?);
            }
            Projection::Paths(paths)
        };
        if !self.eat_kw("FROM") {
            return Err(self.unexpected());
        }
        let source = self.source()?;
        self.no_alias()?;
        let filter = if self.eat_kw("WHERE") {
            Some(self.condition(0)?)
        } else {
            None
        };
        let mut descending = false;
        if self.eat_kw("ORDER") {
            if !self.eat_kw("BY") {
                return Err(self.unexpected());
            }
            loop {
                self.path()?;
                if self.eat_kw("DESC") {
                    descending = true;
                } else {
                    self.eat_kw("ASC");
                }
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        Ok(Statement::Select {
            source,
            projection,
            filter,
            descending,
        })
    }

    fn insert(&mut self) -> Result<Statement, ParseError> {
        self.pos += 1;
        if !self.eat_kw("INTO") {
            return Err(self.unexpected());
        }
        let table = self.table_name()?;
        if !self.eat_kw("VALUE") {
            return match self.peek() {
                Some(Tok::Word(w)) if is_keyword(w) => Err(not_well_formed("Unexpected keyword")),
                _ => Err(not_well_formed("Unexpected token after expression")),
            };
        }
        if !self.at_sym("{") {
            return match self.peek() {
                None => Err(not_well_formed("Unexpected term")),
                _ => Err(err(
                    "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.",
                )),
            };
        }
        // The item's own attributes each sit at `root` in AWS's messages.
        let AttrValue::M(item) = self.value("", 0)? else {
            return Err(not_well_formed("Unexpected term"));
        };
        if self.at_kw("RETURNING") {
            return Err(err("RETURNING is not supported in INSERT"));
        }
        Ok(Statement::Insert { table, item })
    }

    fn delete(&mut self) -> Result<Statement, ParseError> {
        self.pos += 1;
        if !self.eat_kw("FROM") {
            return Err(self.unexpected());
        }
        let table = self.table_name()?;
        self.no_alias()?;
        let filter = if self.eat_kw("WHERE") {
            Some(self.condition(0)?)
        } else {
            None
        };
        let returning = self.returning()?;
        Ok(Statement::Delete {
            table,
            filter,
            returning,
        })
    }

    fn update_rest(
        &mut self,
        table: String,
        filter: Option<Condition>,
    ) -> Result<Statement, ParseError> {
        if !self.at_kw("SET") && !self.at_kw("REMOVE") {
            return Err(self.unexpected());
        }
        let actions = self.actions()?;
        let filter = match filter {
            Some(f) => Some(f),
            None if self.eat_kw("WHERE") => Some(self.condition(0)?),
            None => None,
        };
        let returning = self.returning()?;
        Ok(Statement::Update {
            table,
            actions,
            filter,
            returning,
        })
    }

    /// `(SET path = value [, path = value] | REMOVE path [, path])...`
    fn actions(&mut self) -> Result<Vec<UpdateAction>, ParseError> {
        let mut actions = Vec::new();
        loop {
            if self.eat_kw("SET") {
                loop {
                    actions.push(self.set_action()?);
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            } else if self.eat_kw("REMOVE") {
                loop {
                    actions.push(UpdateAction::Remove(self.path()?));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            } else {
                return Ok(actions);
            }
        }
    }

    fn set_action(&mut self) -> Result<UpdateAction, ParseError> {
        let target = self.path()?;
        self.expect_sym("=")?;
        if let Some(Tok::Word(w)) = self.peek()
            && matches!(self.peek_at(1), Some(Tok::Sym("(")))
        {
            let f = w.to_ascii_lowercase();
            if f == "set_add" || f == "set_delete" {
                let op = if f == "set_add" { "ADD" } else { "DELETE" };
                self.pos += 2;
                let first = self.path()?;
                if !self.eat_sym(",") {
                    return Err(err(format!("SET_{op} must have exactly two arguments")));
                }
                let second = self.value("root", 0)?;
                if !self.eat_sym(")") {
                    return Err(err(format!("SET_{op} must have exactly two arguments")));
                }
                if first != target {
                    return Err(err(format!(
                        "The first argument to SET_{op} must equal the assignment value"
                    )));
                }
                if !matches!(
                    second,
                    AttrValue::Ss(_) | AttrValue::Ns(_) | AttrValue::Bs(_)
                ) {
                    return Err(err(format!(
                        "The second argument to SET_{op} must be a value with type SET"
                    )));
                }
                return Ok(if op == "ADD" {
                    UpdateAction::Add(target, second)
                } else {
                    UpdateAction::Delete(target, second)
                });
            }
        }
        let left = self.set_operand(0)?;
        let value = if self.eat_sym("+") {
            SetValue::Plus(left, self.set_operand(0)?)
        } else if self.eat_sym("-") {
            SetValue::Minus(left, self.set_operand(0)?)
        } else {
            SetValue::Operand(left)
        };
        Ok(UpdateAction::Set(target, value))
    }

    fn set_operand(&mut self, depth: usize) -> Result<SetOperand, ParseError> {
        if depth > MAX_DEPTH {
            return Err(not_well_formed(""));
        }
        if let Some(Tok::Word(w)) = self.peek()
            && matches!(self.peek_at(1), Some(Tok::Sym("(")))
        {
            let f = w.to_ascii_lowercase();
            self.pos += 2;
            let r = match f.as_str() {
                "list_append" => {
                    let a = self.set_operand(depth + 1)?;
                    self.expect_sym(",")?;
                    let b = self.set_operand(depth + 1)?;
                    SetOperand::ListAppend(Box::new(a), Box::new(b))
                }
                "if_not_exists" => {
                    let p = self.path()?;
                    self.expect_sym(",")?;
                    let b = self.set_operand(depth + 1)?;
                    SetOperand::IfNotExists(p, Box::new(b))
                }
                _ => return Err(err(format!("Unrecognized function: {f}"))),
            };
            self.expect_sym(")")?;
            return Ok(r);
        }
        if self.starts_path() {
            return Ok(SetOperand::Path(self.path()?));
        }
        Ok(SetOperand::Value(self.value("root", depth)?))
    }

    fn returning(&mut self) -> Result<Option<Returning>, ParseError> {
        if !self.eat_kw("RETURNING") {
            return Ok(None);
        }
        let Some(Tok::Word(w)) = self.next() else {
            return Err(not_well_formed("Unexpected term"));
        };
        let w = w.to_ascii_uppercase();
        let (all, new) = match w.as_str() {
            "ALL_OLD" => (true, false),
            "ALL_NEW" => (true, true),
            "MODIFIED_OLD" | "UPDATED_OLD" => (false, false),
            "MODIFIED_NEW" | "UPDATED_NEW" => (false, true),
            "ALL" | "MODIFIED" => {
                let new = if self.eat_kw("NEW") {
                    true
                } else if self.eat_kw("OLD") {
                    false
                } else {
                    return Err(self.unexpected());
                };
                (w == "ALL", new)
            }
            _ => return Err(not_well_formed("Unexpected term")),
        };
        if !self.eat_sym("*") {
            return Err(err(
                "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause",
            ));
        }
        Ok(Some(match (all, new) {
            (true, false) => Returning::AllOld,
            (true, true) => Returning::AllNew,
            (false, false) => Returning::ModifiedOld,
            (false, true) => Returning::ModifiedNew,
        }))
    }

    // ---- names and paths

    /// A table or index name: a quoted name or a word that is not a keyword.
    fn name_component(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(Tok::Quoted(q)) => {
                let q = q.clone();
                self.pos += 1;
                if q.is_empty() {
                    return Err(err("Path component cannot be an empty string"));
                }
                Ok(q)
            }
            Some(Tok::Word(w)) if !is_keyword(w) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.unexpected()),
        }
    }

    /// The table of an INSERT, UPDATE or DELETE (no index).
    fn table_name(&mut self) -> Result<String, ParseError> {
        let ok = matches!(self.peek(), Some(Tok::Quoted(_)))
            || matches!(self.peek(), Some(Tok::Word(w)) if !is_keyword(w));
        if !ok {
            return Err(not_well_formed("Expected identifier for simple path"));
        }
        let t = self.name_component()?;
        if self.at_sym(".") {
            return Err(err(
                "FROM clause may only contain a single table name in data manipulation statements",
            ));
        }
        Ok(t)
    }

    /// `table[.index]` of a SELECT.
    fn source(&mut self) -> Result<Source, ParseError> {
        let table = self.name_component()?;
        let mut index = None;
        if self.eat_sym(".") {
            index = Some(self.name_component()?);
            if self.at_sym(".") {
                return Err(err(
                    "A path may contain at most 2 components in the FROM clause",
                ));
            }
        }
        Ok(Source { table, index })
    }

    /// A name or `AS name` after the source is an alias, which DynamoDB refuses.
    fn no_alias(&self) -> Result<(), ParseError> {
        match self.peek() {
            Some(t) if t.is_kw("AS") => Err(err("Aliasing is not supported")),
            Some(Tok::Quoted(_)) => Err(err("Aliasing is not supported")),
            Some(Tok::Word(w)) if !is_keyword(w) => Err(err("Aliasing is not supported")),
            _ => Ok(()),
        }
    }

    fn starts_path(&self) -> bool {
        match self.peek() {
            Some(Tok::Quoted(_)) => true,
            Some(Tok::Word(w)) => !is_keyword(w) && !matches!(self.peek_at(1), Some(Tok::Sym("("))),
            _ => false,
        }
    }

    /// `name(.name | ."name" | [n] | ['key'])*`
    fn path(&mut self) -> Result<Path, ParseError> {
        let first = match self.peek() {
            Some(Tok::Quoted(q)) => q.clone(),
            Some(Tok::Word(w)) if !is_keyword(w) => w.clone(),
            Some(Tok::Sym("[")) => return Err(err("A path cannot start with a list index")),
            _ => return Err(self.unexpected()),
        };
        self.pos += 1;
        let mut elems = vec![PathElem::Name(first)];
        loop {
            if self.eat_sym(".") {
                match self.next() {
                    Some(Tok::Quoted(q)) => elems.push(PathElem::Name(q)),
                    Some(Tok::Word(w)) => elems.push(PathElem::Name(w)),
                    Some(Tok::Sym("*")) => {
                        return Err(err("Unpivot path component like a.*.b are not supported"));
                    }
                    _ => return Err(not_well_formed("Unexpected term")),
                }
            } else if self.eat_sym("[") {
                match self.next() {
                    Some(Tok::Num(n)) => {
                        let i: u32 = n.parse().map_err(|_| {
                            err(format!(
                                "List index is not within the allowable range; index: [{n}]"
                            ))
                        })?;
                        elems.push(PathElem::Index(i));
                    }
                    Some(Tok::Str(s)) => elems.push(PathElem::Name(s)),
                    Some(Tok::Sym("*")) => {
                        return Err(err("Wildcard path component like a[*].b are not supported"));
                    }
                    _ => return Err(not_well_formed("Unexpected term")),
                }
                self.expect_sym("]")?;
            } else {
                return Ok(Path(elems));
            }
            if elems.len() > MAX_DEPTH {
                return Err(err(rules::NESTING));
            }
        }
    }

    // ---- conditions

    fn condition(&mut self, depth: usize) -> Result<Condition, ParseError> {
        self.or(depth)
    }

    fn or(&mut self, depth: usize) -> Result<Condition, ParseError> {
        let mut left = self.and(depth)?;
        while self.eat_kw("OR") {
            self.rhs_present()?;
            let right = self.and(depth)?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Condition, ParseError> {
        let mut left = self.not(depth)?;
        while self.eat_kw("AND") {
            self.rhs_present()?;
            let right = self.not(depth)?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn rhs_present(&self) -> Result<(), ParseError> {
        match self.peek() {
            None | Some(Tok::Sym(";")) => Err(not_well_formed(
                "Missing right-hand side expression of infix operator",
            )),
            _ => Ok(()),
        }
    }

    fn not(&mut self, depth: usize) -> Result<Condition, ParseError> {
        if depth > MAX_DEPTH {
            return Err(not_well_formed(""));
        }
        if self.eat_kw("NOT") {
            return Ok(Condition::Not(Box::new(self.not(depth + 1)?)));
        }
        self.predicate(depth)
    }

    fn predicate(&mut self, depth: usize) -> Result<Condition, ParseError> {
        if self.eat_sym("(") {
            let c = self.condition(depth + 1)?;
            self.expect_sym(")")?;
            return Ok(c);
        }
        if let Some(Tok::Word(w)) = self.peek()
            && matches!(self.peek_at(1), Some(Tok::Sym("(")))
        {
            let f = w.to_ascii_lowercase();
            if f != "size" {
                self.pos += 2;
                let c = self.function(&f, depth)?;
                self.expect_sym(")")?;
                return Ok(c);
            }
        }
        let left = self.operand(depth)?;
        if let Some(Tok::Sym(s)) = self.peek() {
            let op = match *s {
                "=" => Some(CmpOp::Eq),
                "<>" | "!=" => Some(CmpOp::Ne),
                "<" => Some(CmpOp::Lt),
                "<=" => Some(CmpOp::Le),
                ">" => Some(CmpOp::Gt),
                ">=" => Some(CmpOp::Ge),
                _ => None,
            };
            if let Some(op) = op {
                self.pos += 1;
                let right = self.operand(depth)?;
                if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                    ordered(op.symbol(), &left)?;
                    ordered(op.symbol(), &right)?;
                }
                return Ok(Condition::Cmp(op, left, right));
            }
        }
        let negated = self.eat_kw("NOT");
        let c = if self.eat_kw("BETWEEN") {
            let lo = self.operand(depth)?;
            if !self.eat_kw("AND") {
                return Err(self.unexpected());
            }
            let hi = self.operand(depth)?;
            for o in [&left, &lo, &hi] {
                ordered("BETWEEN", o)?;
            }
            Condition::Between(left, lo, hi)
        } else if self.eat_kw("IN") {
            let close = if self.eat_sym("[") {
                "]"
            } else if self.eat_sym("(") {
                ")"
            } else {
                return Err(self.unexpected());
            };
            let mut list = Vec::new();
            if !self.at_sym(close) {
                loop {
                    list.push(self.operand(depth)?);
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            }
            self.expect_sym(close)?;
            if list.is_empty() || !matches!(left, Operand::Path(_)) {
                return Err(err(
                    "IN operator must have a left hand argument of type Variable Reference and right hand argument of type Seq with at least one member",
                ));
            }
            Condition::In(left, list)
        } else if !negated && self.eat_kw("IS") {
            let not = self.eat_kw("NOT");
            let Operand::Path(p) = left else {
                return Err(err(
                    "The left hand side argument to IS must be a Variable Reference, Literal, or Path",
                ));
            };
            let c = match self.next() {
                Some(t) if t.is_kw("MISSING") => Condition::NotExists(p),
                Some(t) if t.is_kw("NULL") => Condition::AttrType(p, "NULL".into()),
                Some(Tok::Word(w)) => match type_test(&w) {
                    Some(ty) => type_condition(p, ty),
                    None => return Err(not_well_formed("Expected type name")),
                },
                _ => return Err(not_well_formed("Expected type name")),
            };
            if not { negate(c) } else { c }
        } else {
            return Err(match self.peek() {
                None | Some(Tok::Sym(";")) | Some(Tok::Sym(")")) => {
                    err("WHERE clause must contain an expression that resolves to a boolean")
                }
                _ => self.unexpected(),
            });
        };
        Ok(if negated {
            Condition::Not(Box::new(c))
        } else {
            c
        })
    }

    fn function(&mut self, f: &str, depth: usize) -> Result<Condition, ParseError> {
        let two = |p: &mut Self| -> Result<(Operand, Operand), ParseError> {
            let a = p.operand(depth)?;
            p.expect_sym(",")?;
            let b = p.operand(depth)?;
            Ok((a, b))
        };
        Ok(match f {
            "begins_with" => {
                let (a, b) = two(self)?;
                Condition::BeginsWith(a, b)
            }
            "contains" => {
                let (a, b) = two(self)?;
                Condition::Contains(a, b)
            }
            "attribute_exists" => Condition::Exists(self.path()?),
            "attribute_not_exists" => Condition::NotExists(self.path()?),
            "attribute_type" => {
                let p = self.path()?;
                self.expect_sym(",")?;
                let t = match self.operand(depth)? {
                    Operand::Value(AttrValue::S(t)) => t,
                    _ => {
                        return Err(err(
                            "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: N",
                        ));
                    }
                };
                Condition::AttrType(p, t)
            }
            "exists" => {
                return Err(err(
                    "EXISTS can only be used in ExecuteTransaction write requests.",
                ));
            }
            other => return Err(err(format!("Unrecognized function: {other}"))),
        })
    }

    fn operand(&mut self, depth: usize) -> Result<Operand, ParseError> {
        if depth > MAX_DEPTH {
            return Err(not_well_formed(""));
        }
        if let Some(Tok::Word(w)) = self.peek()
            && w.eq_ignore_ascii_case("size")
            && matches!(self.peek_at(1), Some(Tok::Sym("(")))
        {
            self.pos += 2;
            let inner = self.operand(depth + 1)?;
            self.expect_sym(")")?;
            return Ok(Operand::Size(Box::new(inner)));
        }
        if self.starts_path() {
            return Ok(Operand::Path(self.path()?));
        }
        if self.at_kw("MISSING") {
            return Err(err("MISSING must be compared using IS operator"));
        }
        Ok(Operand::Value(self.value("root", depth)?))
    }
}

/// `<`, `<=`, `>`, `>=` and BETWEEN take only ordered literals (S, N, B).
fn ordered(op: &str, o: &Operand) -> Result<(), ParseError> {
    match o {
        Operand::Value(AttrValue::S(_) | AttrValue::N(_) | AttrValue::B(_)) => Ok(()),
        Operand::Value(v) => Err(err(format!(
            "Incorrect operand type for operator or function; operator or function: {op}, operand type: {}",
            v.type_name()
        ))),
        _ => Ok(()),
    }
}

/// The DynamoDB types an `IS <type>` test names.
fn type_test(w: &str) -> Option<&'static [&'static str]> {
    Some(match w.to_ascii_uppercase().as_str() {
        "BOOLEAN" | "BOOL" => &["BOOL"],
        "STRING" => &["S"],
        "NUMERIC" | "NUMBER" | "INT" | "INTEGER" | "DECIMAL" | "FLOAT" => &["N"],
        "BLOB" => &["B"],
        "STRUCT" | "TUPLE" => &["M"],
        "LIST" => &["L"],
        "BAG" => &["SS", "NS", "BS"],
        _ => return None,
    })
}

fn type_condition(p: Path, types: &[&str]) -> Condition {
    let mut it = types.iter();
    let first = it.next().copied().unwrap_or("NULL");
    let mut c = Condition::AttrType(p.clone(), first.to_string());
    for t in it {
        c = Condition::Or(
            Box::new(c),
            Box::new(Condition::AttrType(p.clone(), (*t).to_string())),
        );
    }
    c
}

/// `IS NOT MISSING` is `attribute_exists`; other `IS NOT` tests are negations.
fn negate(c: Condition) -> Condition {
    match c {
        Condition::NotExists(p) => Condition::Exists(p),
        other => Condition::Not(Box::new(other)),
    }
}
