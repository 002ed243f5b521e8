//! UpdateExpression: `SET a = b + :v, c = list_append(c, :l) REMOVE d[1] ADD n :one DELETE s :x`.

use super::ast::{Path, SetOperand, SetValue, Update, UpdateAction};
use super::lexer::Tok;
use super::parser::{Cat, PResult, Parser, overlap};
use super::{Context, ExprKind};
use crate::error::Result;
use crate::value::AttrValue;

const SECTIONS: &[&str] = &["SET", "REMOVE", "ADD", "DELETE"];

/// The long type names AWS uses in ADD/DELETE operand errors.
fn long_type(v: &AttrValue) -> &'static str {
    match v {
        AttrValue::S(_) => "STRING",
        AttrValue::N(_) => "NUMBER",
        AttrValue::B(_) => "BINARY",
        AttrValue::Bool(_) => "BOOLEAN",
        AttrValue::Null => "NULL",
        AttrValue::M(_) => "MAP",
        AttrValue::L(_) => "LIST",
        AttrValue::Ss(_) => "STRING_SET",
        AttrValue::Ns(_) => "NUMBER_SET",
        AttrValue::Bs(_) => "BINARY_SET",
    }
}

fn is_set(v: &AttrValue) -> bool {
    matches!(v, AttrValue::Ss(_) | AttrValue::Ns(_) | AttrValue::Bs(_))
}

pub(crate) fn parse_update(ctx: &mut Context, src: &str) -> Result<Update> {
    let mut p = Parser::new(ctx, src, ExprKind::Update)?;
    let r = clauses(&mut p);
    if let Ok(u) = &r
        && let Some(msg) = overlap(u.paths())
    {
        p.record(Cat::Overlap, msg);
    }
    p.finish(r)
}

fn clauses(p: &mut Parser<'_>) -> PResult<Update> {
    let mut seen = [false; 4];
    let mut actions = Vec::new();
    loop {
        let Some(section) = SECTIONS.iter().position(|s| p.at_kw(s)) else {
            return Err(p.syntax());
        };
        if seen[section] {
            p.record(
                Cat::Section,
                format!(
                    "The \"{}\" section can only be used once in an update expression;",
                    SECTIONS[section]
                ),
            );
        }
        seen[section] = true;
        p.bump();
        loop {
            actions.push(action(p, section)?);
            if *p.peek() == Tok::Comma {
                p.bump();
            } else {
                break;
            }
        }
        if *p.peek() == Tok::Eof {
            return Ok(Update { actions });
        }
    }
}

fn action(p: &mut Parser<'_>, section: usize) -> PResult<UpdateAction> {
    let path = p.path(SECTIONS)?;
    match section {
        0 => {
            p.expect(Tok::Eq)?;
            let v = set_value(p)?;
            Ok(UpdateAction::Set(path, v))
        }
        1 => Ok(UpdateAction::Remove(path)),
        _ => {
            if *p.peek() != Tok::Value {
                return Err(p.syntax());
            }
            let v = p.value();
            let (op, ok) = if section == 2 {
                ("ADD", is_set(&v) || matches!(v, AttrValue::N(_)))
            } else {
                ("DELETE", is_set(&v))
            };
            if !ok {
                p.record(
                    Cat::AddDeleteType,
                    format!("Incorrect operand type for operator or function; operator: {op}, operand type: {}", long_type(&v)),
                );
            }
            Ok(if section == 2 {
                UpdateAction::Add(path, v)
            } else {
                UpdateAction::Delete(path, v)
            })
        }
    }
}

fn set_value(p: &mut Parser<'_>) -> PResult<SetValue> {
    let a = operand(p)?;
    let plus = match p.peek() {
        Tok::Plus => true,
        Tok::Minus => false,
        _ => return Ok(SetValue::Operand(a)),
    };
    let sym = if plus { "+" } else { "-" };
    p.bump();
    let b = operand(p)?;
    for o in [&a, &b] {
        if let Some(t) = static_type(o).filter(|t| *t != "N") {
            type_error(p, sym, t);
        }
    }
    Ok(if plus {
        SetValue::Plus(a, b)
    } else {
        SetValue::Minus(a, b)
    })
}

fn static_type(o: &SetOperand) -> Option<&'static str> {
    match o {
        SetOperand::Value(v) => Some(v.type_name()),
        SetOperand::ListAppend(..) => Some("L"),
        _ => None,
    }
}

fn type_error(p: &mut Parser<'_>, func: &str, ty: &str) {
    p.record(
        Cat::Type,
        format!("Incorrect operand type for operator or function; operator or function: {func}, operand type: {ty}"),
    );
}

fn operand(p: &mut Parser<'_>) -> PResult<SetOperand> {
    p.enter()?;
    let r = operand_inner(p);
    p.leave();
    r
}

fn operand_inner(p: &mut Parser<'_>) -> PResult<SetOperand> {
    match p.peek() {
        Tok::Value => Ok(SetOperand::Value(p.value())),
        Tok::Ident if *p.peek_at(1) == Tok::LParen => function(p),
        Tok::Ident | Tok::Name => Ok(SetOperand::Path(p.path(SECTIONS)?)),
        _ => Err(p.syntax()),
    }
}

fn function(p: &mut Parser<'_>) -> PResult<SetOperand> {
    let name = p.text().to_string();
    p.bump();
    p.expect(Tok::LParen)?;
    let mut args = vec![operand(p)?];
    while *p.peek() == Tok::Comma {
        p.bump();
        args.push(operand(p)?);
    }
    p.expect(Tok::RParen)?;
    Ok(build_function(p, name, args))
}

/// Apart from [`function`] so the recursive path keeps a small stack frame.
fn build_function(p: &mut Parser<'_>, name: String, args: Vec<SetOperand>) -> SetOperand {
    if name != "if_not_exists" && name != "list_append" {
        p.record(
            Cat::UnknownFn,
            format!("Invalid function name; function: {name}"),
        );
        return SetOperand::Value(AttrValue::Null);
    }
    if args.len() != 2 {
        p.record(
            Cat::Count,
            format!(
                "Incorrect number of operands for operator or function; operator or function: {name}, number of operands: {}",
                args.len()
            ),
        );
        return SetOperand::Value(AttrValue::Null);
    }
    let mut it = args.into_iter();
    let (Some(a), Some(b)) = (it.next(), it.next()) else {
        return SetOperand::Value(AttrValue::Null);
    };
    if name == "if_not_exists" {
        let path = match a {
            SetOperand::Path(path) => path,
            _ => {
                p.record(
                    Cat::PathRequired,
                    "Operator or function requires a document path; operator or function: if_not_exists".into(),
                );
                Path::attr("")
            }
        };
        return SetOperand::IfNotExists(path, Box::new(b));
    }
    for o in [&a, &b] {
        if let Some(t) = static_type(o).filter(|t| *t != "L") {
            type_error(p, "list_append", t);
        }
    }
    SetOperand::ListAppend(Box::new(a), Box::new(b))
}
