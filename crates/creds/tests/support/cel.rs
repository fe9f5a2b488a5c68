//! The subset of CEL (Common Expression Language) that IAM conditions written by Paddock use,
//! parsed and evaluated the way IAM does, for the fake GCP server. Anything outside the subset
//! is a parse error: the fake answers it with 400 like IAM answers an invalid expression.
//!
//! ```text
//! expr  := and ("||" and)*
//! and   := unary ("&&" unary)*
//! unary := "(" expr ")" | "true" | "false"
//!        | "request.time" "<" "timestamp(" STRING ")"
//!        | "resource.name.startsWith(" STRING ")"
//!        | "resource.type" "==" STRING
//!        | "api.getAttribute(" STRING "," STRING ")" ".startsWith(" STRING ")"
//! ```
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Bool(bool),
    TimeBefore(DateTime<Utc>),
    NameStartsWith(String),
    TypeIs(String),
    AttributeStartsWith { name: String, default: String, prefix: String },
}

/// What a request looks like to a condition.
pub struct Ctx<'a> {
    pub now: DateTime<Utc>,
    /// `projects/_/buckets/B` or `projects/_/buckets/B/objects/O`; `projects/P` for projects.
    pub resource_name: &'a str,
    pub resource_type: &'a str,
    /// `storage.googleapis.com/objectListPrefix` on `objects.list` requests.
    pub list_prefix: Option<&'a str>,
}

impl Expr {
    pub fn eval(&self, c: &Ctx<'_>) -> bool {
        match self {
            Expr::Or(v) => v.iter().any(|e| e.eval(c)),
            Expr::And(v) => v.iter().all(|e| e.eval(c)),
            Expr::Bool(b) => *b,
            Expr::TimeBefore(t) => c.now < *t,
            Expr::NameStartsWith(p) => c.resource_name.starts_with(p.as_str()),
            Expr::TypeIs(t) => c.resource_type == t,
            Expr::AttributeStartsWith { name, default, prefix } => {
                let v = match name.as_str() {
                    "storage.googleapis.com/objectListPrefix" => c.list_prefix.unwrap_or(default),
                    _ => default,
                };
                v.starts_with(prefix.as_str())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    LParen,
    RParen,
    Comma,
    Lt,
    EqEq,
    AndAnd,
    OrOr,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            ' ' | '\t' | '\n' => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '<' => {
                out.push(Tok::Lt);
                i += 1
            }
            '=' if cs.get(i + 1) == Some(&'=') => {
                out.push(Tok::EqEq);
                i += 2
            }
            '&' if cs.get(i + 1) == Some(&'&') => {
                out.push(Tok::AndAnd);
                i += 2
            }
            '|' if cs.get(i + 1) == Some(&'|') => {
                out.push(Tok::OrOr);
                i += 2
            }
            '"' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match cs.get(i) {
                        None => return Err("unterminated string".into()),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => return Err("escapes are not supported".into()),
                        Some(c) => {
                            v.push(*c);
                            i += 1
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == '.' => {
                let mut v = String::new();
                while let Some(&c) = cs.get(i) {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                        v.push(c);
                        i += 1;
                    } else {
                        break;
                    }
                }
                out.push(Tok::Ident(v));
            }
            other => return Err(format!("unexpected character `{other}`")),
        }
    }
    Ok(out)
}

struct P {
    t: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.t.get(self.i).cloned();
        self.i += 1;
        t
    }
    fn expect(&mut self, want: Tok) -> Result<(), String> {
        match self.next() {
            Some(t) if t == want => Ok(()),
            other => Err(format!("expected {want:?}, found {other:?}")),
        }
    }
    fn string(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(s),
            other => Err(format!("expected a string, found {other:?}")),
        }
    }
    fn expr(&mut self) -> Result<Expr, String> {
        let mut v = vec![self.and()?];
        while self.peek() == Some(&Tok::OrOr) {
            self.next();
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Expr::Or(v) })
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut v = vec![self.unary()?];
        while self.peek() == Some(&Tok::AndAnd) {
            self.next();
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Expr::And(v) })
    }
    fn unary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::LParen) => {
                let e = self.expr()?;
                self.expect(Tok::RParen)?;
                Ok(e)
            }
            Some(Tok::Ident(id)) => match id.as_str() {
                "true" => Ok(Expr::Bool(true)),
                "false" => Ok(Expr::Bool(false)),
                "request.time" => {
                    self.expect(Tok::Lt)?;
                    match self.next() {
                        Some(Tok::Ident(f)) if f == "timestamp" => {}
                        other => return Err(format!("expected timestamp(…), found {other:?}")),
                    }
                    self.expect(Tok::LParen)?;
                    let s = self.string()?;
                    self.expect(Tok::RParen)?;
                    let t = DateTime::parse_from_rfc3339(&s).map_err(|e| format!("timestamp `{s}`: {e}"))?;
                    Ok(Expr::TimeBefore(t.with_timezone(&Utc)))
                }
                "resource.name.startsWith" => {
                    self.expect(Tok::LParen)?;
                    let s = self.string()?;
                    self.expect(Tok::RParen)?;
                    Ok(Expr::NameStartsWith(s))
                }
                "resource.type" => {
                    self.expect(Tok::EqEq)?;
                    Ok(Expr::TypeIs(self.string()?))
                }
                "api.getAttribute" => {
                    self.expect(Tok::LParen)?;
                    let name = self.string()?;
                    self.expect(Tok::Comma)?;
                    let default = self.string()?;
                    self.expect(Tok::RParen)?;
                    match self.next() {
                        Some(Tok::Ident(f)) if f == ".startsWith" => {}
                        other => return Err(format!("expected .startsWith(…), found {other:?}")),
                    }
                    self.expect(Tok::LParen)?;
                    let prefix = self.string()?;
                    self.expect(Tok::RParen)?;
                    Ok(Expr::AttributeStartsWith { name, default, prefix })
                }
                other => Err(format!("unsupported identifier `{other}`")),
            },
            other => Err(format!("unexpected {other:?}")),
        }
    }
}

pub fn parse(s: &str) -> Result<Expr, String> {
    let mut p = P { t: lex(s)?, i: 0 };
    let e = p.expr()?;
    if p.i != p.t.len() {
        return Err(format!("trailing input at token {}", p.i));
    }
    Ok(e)
}
