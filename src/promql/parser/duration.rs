//! Durations (ranges, subquery steps, offsets) with Prometheus 3's duration arithmetic,
//! `@` timestamps, and the conversion of number, duration and string tokens.

use std::cell::Cell;

use super::expr::{AtValue, negate};
use super::{PResult, Parser};
use crate::promql::ast::{BinaryOp, DurationExpr, DurationNode, NumberLiteral, UnaryOp};
use crate::promql::error::{Feature, PError, ParseErrorKind};
use crate::promql::lexer::{BracketMode, Kw, Token, TokenKind};
use crate::promql::prec::{self, Assoc, Climber, climb};
use crate::syntax::Span;
use crate::syntax::lex::DurationError;

/// The largest duration in seconds: Prometheus stores durations as `i64` nanoseconds.
const MAX_DURATION_SECONDS: f64 = (1u64 << 63) as f64 / 1e9;

/// A duration expression being parsed, with the span and depth the parser needs.
struct Dur {
    expr: DurationExpr,
    span: Span,
    depth: u32,
}

/// Where a duration is written; it picks the lexer mode and the wording of errors.
#[derive(Clone, Copy)]
enum Place<'m> {
    /// The range of `x[range]` or `x[range:step]`.
    Range(&'m Cell<BracketMode>),
    /// The step of `x[range:step]`.
    Step(&'m Cell<BracketMode>),
    /// After `offset`.
    Offset,
}

/// Drives precedence climbing over `+ - * / % ^` in durations.
struct DurationClimber<'p, 'a, 'm> {
    p: &'p Parser<'a>,
    place: Place<'m>,
}

impl<'a> DurationClimber<'_, 'a, '_> {
    /// The next token in the lexer mode of the place.
    fn token(&self, i: &'a str) -> Result<Token<'a>, PError> {
        match self.place {
            Place::Range(mode) | Place::Step(mode) => {
                let tok = self.p.lx.in_brackets(i, mode.get())?;
                if matches!(tok.kind, TokenKind::Number | TokenKind::Duration) {
                    mode.set(BracketMode::Statements);
                }
                Ok(tok)
            }
            Place::Offset => self.p.lx.normal(i),
        }
    }

    /// The error for a token that cannot start a duration here.
    fn not_a_duration(&self, tok: &Token<'_>) -> PError {
        let (context, expected) = match self.place {
            Place::Range(_) => (
                "subquery or range selector",
                "number, duration, step(), or range()",
            ),
            Place::Step(_) => (
                "subquery selector",
                "number, duration, step(), range(), or \"]\"",
            ),
            Place::Offset => ("offset", "number, duration, step(), or range()"),
        };
        self.p.unexpected(tok, Some(context), Some(expected))
    }

    fn experimental(&self, span: Span) -> Result<(), PError> {
        if self.p.opts.duration_expressions {
            return Ok(());
        }
        Err(PError::new(
            ParseErrorKind::FeatureNotEnabled {
                feature: Feature::DurationExpressions,
            },
            span,
        ))
    }

    /// `number_duration_literal` in a duration: seconds, within ±292 years.
    fn literal(&self, tok: &Token<'a>) -> Result<Dur, PError> {
        let number = self.p.number_literal(tok)?;
        if out_of_range(number.value) {
            return Err(PError::new(ParseErrorKind::DurationOutOfRange, tok.span));
        }
        Ok(Dur {
            expr: DurationExpr::Number(number),
            span: tok.span,
            depth: 1,
        })
    }

    /// A sign applied to a duration: folded into a number literal, `+` dropped otherwise.
    fn apply_sign(&self, sign: &Token<'a>, inner: Dur) -> Result<Dur, PError> {
        let span = sign.span.to(inner.span);
        match inner.expr {
            DurationExpr::Number(mut number) => {
                if sign.kind == TokenKind::Sub {
                    number.value = negate(number.value);
                }
                if out_of_range(number.value) {
                    return Err(PError::new(ParseErrorKind::DurationOutOfRange, sign.span));
                }
                Ok(Dur {
                    expr: DurationExpr::Number(number),
                    span,
                    depth: inner.depth,
                })
            }
            expr if sign.kind == TokenKind::Sub => {
                self.p.depth_ok(inner.depth + 1, span)?;
                Ok(Dur {
                    expr: DurationExpr::Unary(UnaryOp::Neg, Box::new(expr)),
                    span,
                    depth: inner.depth + 1,
                })
            }
            expr => Ok(Dur {
                expr,
                span,
                depth: inner.depth,
            }),
        }
    }

    /// `step()`, `range()`, `min_of(a, b)`, `max_of(a, b)` and `( d )`.
    fn primary(&self, tok: Token<'a>) -> PResult<'a, Dur> {
        let p = self.p;
        let after = p.after(&tok);
        match tok.kind {
            TokenKind::Kw(kw @ (Kw::Step | Kw::Range)) => {
                let (rest, close) = self.empty_parens(after)?;
                let span = tok.span.to(close);
                self.experimental(span)?;
                let expr = match kw {
                    Kw::Step => DurationExpr::Step,
                    _ => DurationExpr::Range,
                };
                Ok((
                    rest,
                    Dur {
                        expr,
                        span,
                        depth: 1,
                    },
                ))
            }
            TokenKind::Kw(kw @ (Kw::MinOf | Kw::MaxOf)) => {
                let open = self.token(after)?;
                if open.kind != TokenKind::LParen {
                    return Err(self.not_a_duration(&open));
                }
                p.open_paren();
                let (rest, a) = self.operand_at(p.after(&open), 0)?;
                let comma = self.token(rest)?;
                if comma.kind != TokenKind::Comma {
                    return Err(self.not_a_duration(&comma));
                }
                let (rest, b) = self.operand_at(p.after(&comma), 0)?;
                let (rest, close) = self.close(rest)?;
                let span = tok.span.to(close);
                self.experimental(span)?;
                let depth = a.depth.max(b.depth) + 1;
                p.depth_ok(depth, span)?;
                let (a, b) = (Box::new(a.expr), Box::new(b.expr));
                let expr = match kw {
                    Kw::MinOf => DurationExpr::MinOf(a, b),
                    _ => DurationExpr::MaxOf(a, b),
                };
                Ok((rest, Dur { expr, span, depth }))
            }
            TokenKind::LParen => {
                p.open_paren();
                let (rest, inner) = self.operand_at(after, 0)?;
                let (rest, close) = self.close(rest)?;
                let span = tok.span.to(close);
                self.experimental(span)?;
                p.depth_ok(inner.depth + 1, span)?;
                let expr = DurationExpr::Paren(Box::new(inner.expr));
                Ok((
                    rest,
                    Dur {
                        expr,
                        span,
                        depth: inner.depth + 1,
                    },
                ))
            }
            _ => Err(self.not_a_duration(&tok)),
        }
    }

    /// `( )` after `step` or `range`.
    fn empty_parens(&self, i: &'a str) -> PResult<'a, Span> {
        let open = self.token(i)?;
        if open.kind != TokenKind::LParen {
            return Err(self.not_a_duration(&open));
        }
        self.p.open_paren();
        self.close(self.p.after(&open))
    }

    /// A `)`.
    fn close(&self, i: &'a str) -> PResult<'a, Span> {
        let close = self.token(i)?;
        if close.kind != TokenKind::RParen {
            return Err(self.not_a_duration(&close));
        }
        self.p.close_paren();
        Ok((self.p.after(&close), close.span))
    }
}

impl<'a> Climber<&'a str> for DurationClimber<'_, 'a, '_> {
    type Op = (BinaryOp, Span);
    type Modifiers = ();
    type Out = Dur;
    type Error = PError;

    fn operand(&self, i: &'a str) -> PResult<'a, Dur> {
        let tok = self.token(i)?;
        match tok.kind {
            TokenKind::Number | TokenKind::Duration => {
                Ok((self.p.after(&tok), self.literal(&tok)?))
            }
            TokenKind::Add | TokenKind::Sub => {
                let (rest, inner) = self.operand_at(self.p.after(&tok), prec::UNARY_OPERAND)?;
                Ok((rest, self.apply_sign(&tok, inner)?))
            }
            _ => self.primary(tok),
        }
    }

    fn operator(&self, i: &'a str) -> Result<Option<(&'a str, (BinaryOp, Span))>, PError> {
        let tok = self.token(i)?;
        let op = match tok.kind {
            TokenKind::Add => BinaryOp::Add,
            TokenKind::Sub => BinaryOp::Sub,
            TokenKind::Mul => BinaryOp::Mul,
            TokenKind::Div => BinaryOp::Div,
            TokenKind::Mod => BinaryOp::Mod,
            TokenKind::Pow => BinaryOp::Pow,
            _ => return Ok(None),
        };
        Ok(Some((self.p.after(&tok), (op, tok.span))))
    }

    fn binding(&self, op: (BinaryOp, Span)) -> (u8, Assoc) {
        prec::binding(op.0)
    }

    fn modifiers(&self, i: &'a str, _op: (BinaryOp, Span)) -> PResult<'a, ()> {
        Ok((i, ()))
    }

    fn operand_at(&self, i: &'a str, min_prec: u8) -> PResult<'a, Dur> {
        self.p.nested(i, || climb(self, i, min_prec))
    }

    fn combine(
        &self,
        lhs: Dur,
        (op, op_span): (BinaryOp, Span),
        _: (),
        rhs: Dur,
    ) -> Result<Dur, PError> {
        self.experimental(lhs.span)?;
        let rhs_is_zero = matches!(rhs.expr, DurationExpr::Number(n) if n.value == 0.0);
        if rhs_is_zero && op == BinaryOp::Div {
            return Err(PError::new(ParseErrorKind::DivisionByZero, op_span));
        }
        if rhs_is_zero && op == BinaryOp::Mod {
            return Err(PError::new(ParseErrorKind::ModuloByZero, op_span));
        }
        let span = lhs.span.to(rhs.span);
        let depth = lhs.depth.max(rhs.depth) + 1;
        self.p.depth_ok(depth, span)?;
        Ok(Dur {
            expr: DurationExpr::Binary(op, Box::new(lhs.expr), Box::new(rhs.expr)),
            span,
            depth,
        })
    }
}

fn out_of_range(seconds: f64) -> bool {
    seconds.is_nan() || !(-MAX_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&seconds)
}

/// The node for a parsed duration: a plain literal becomes [`DurationExpr::Literal`] in
/// milliseconds, anything else stays an expression.
fn node(d: Dur) -> DurationNode {
    let expr = match d.expr {
        DurationExpr::Number(number) => {
            DurationExpr::Literal((number.value * 1000.0).round() as i64)
        }
        other => other,
    };
    DurationNode { expr, span: d.span }
}

impl<'a> Parser<'a> {
    /// `positive_duration_expr` inside brackets: the range (`step` false) or the step of a
    /// range selector or subquery. A literal must be greater than zero.
    pub(super) fn bracket_duration(
        &self,
        i: &'a str,
        mode: &Cell<BracketMode>,
        step: bool,
    ) -> PResult<'a, DurationNode> {
        let place = match step {
            true => Place::Step(mode),
            false => Place::Range(mode),
        };
        let climber = DurationClimber { p: self, place };
        let (rest, d) = climber.operand_at(i, 0)?;
        if let DurationExpr::Number(number) = d.expr {
            if number.value <= 0.0 {
                return Err(PError::new(ParseErrorKind::NonPositiveDuration, d.span));
            }
        }
        Ok((rest, node(d)))
    }

    /// `offset_duration_expr`. A literal, `step()`, `range()`, `min_of(...)`, `max_of(...)` or a
    /// signed parenthesis ends the offset, so `foo offset -2 ^ 2` is `(foo offset -2) ^ 2`; only
    /// an offset starting with `(` continues with duration arithmetic, as in Prometheus.
    pub(super) fn offset_duration(&self, i: &'a str) -> PResult<'a, DurationNode> {
        let climber = DurationClimber {
            p: self,
            place: Place::Offset,
        };
        let tok = self.lx.normal(i)?;
        let (rest, d) = match tok.kind {
            TokenKind::Number | TokenKind::Duration => (self.after(&tok), climber.literal(&tok)?),
            TokenKind::Add | TokenKind::Sub => {
                let next = self.lx.normal(self.after(&tok))?;
                let (rest, inner) = match next.kind {
                    TokenKind::Number | TokenKind::Duration => {
                        (self.after(&next), climber.literal(&next)?)
                    }
                    TokenKind::LParen
                    | TokenKind::Kw(Kw::Step | Kw::Range | Kw::MinOf | Kw::MaxOf) => {
                        climber.primary(next)?
                    }
                    _ => return Err(climber.not_a_duration(&next)),
                };
                (rest, climber.apply_sign(&tok, inner)?)
            }
            TokenKind::Kw(Kw::Step | Kw::Range | Kw::MinOf | Kw::MaxOf) => climber.primary(tok)?,
            TokenKind::LParen => climber.operand_at(i, 0)?,
            _ => return Err(climber.not_a_duration(&tok)),
        };
        Ok((rest, node(d)))
    }

    /// The value after `@`: a signed number or duration in seconds, `start()` or `end()`.
    /// Returns it with the end of the modifier.
    pub(super) fn at_value(&self, i: &'a str) -> Result<(&'a str, AtValue, Span), PError> {
        let unexpected = |tok: &Token<'_>| self.unexpected(tok, Some("@"), Some("timestamp"));
        let tok = self.lx.normal(i)?;
        match tok.kind {
            TokenKind::Number | TokenKind::Duration => {
                let value = self.number_literal(&tok)?.value;
                Ok((self.after(&tok), AtValue::Seconds(value), tok.span))
            }
            TokenKind::Add | TokenKind::Sub => {
                let next = self.lx.normal(self.after(&tok))?;
                if !matches!(next.kind, TokenKind::Number | TokenKind::Duration) {
                    return Err(unexpected(&next));
                }
                let value = self.number_literal(&next)?.value;
                let value = if tok.kind == TokenKind::Sub {
                    negate(value)
                } else {
                    value
                };
                Ok((self.after(&next), AtValue::Seconds(value), next.span))
            }
            TokenKind::Kw(kw @ (Kw::Start | Kw::End)) => {
                let open = self.lx.normal(self.after(&tok))?;
                if open.kind != TokenKind::LParen {
                    return Err(unexpected(&open));
                }
                self.open_paren();
                let close = self.lx.normal(self.after(&open))?;
                if close.kind != TokenKind::RParen {
                    return Err(unexpected(&close));
                }
                self.close_paren();
                let value = match kw {
                    Kw::Start => AtValue::Start,
                    _ => AtValue::End,
                };
                Ok((self.after(&close), value, close.span))
            }
            _ => Err(unexpected(&tok)),
        }
    }

    /// A number or duration token as a number literal (durations in seconds).
    pub(super) fn number_literal(&self, tok: &Token<'a>) -> Result<NumberLiteral, PError> {
        Ok(match tok.kind {
            TokenKind::Duration => NumberLiteral {
                value: self.duration_ms(tok)? as f64 / 1000.0,
                duration: true,
            },
            _ => NumberLiteral {
                value: self.number_value(tok)?,
                duration: false,
            },
        })
    }

    /// The value of a number token, as Prometheus's `strconv.ParseInt(s, 0, 64)` then
    /// `strconv.ParseFloat(s, 64)`.
    pub(super) fn number_value(&self, tok: &Token<'a>) -> Result<f64, PError> {
        let text = tok.text;
        let invalid = || {
            PError::new(
                ParseErrorKind::InvalidNumber {
                    text: text.to_string(),
                },
                tok.span,
            )
        };
        // Go's ParseFloat only takes hexadecimal with a `p` exponent, which the lexer never
        // produces, so a hexadecimal number must fit ParseInt.
        if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            let digits: String = hex.chars().filter(|&c| c != '_').collect();
            return i64::from_str_radix(&digits, 16)
                .map(|v| v as f64)
                .map_err(|_| invalid());
        }
        // Plain decimals, the common case, need none of Go's integer forms.
        let plain = text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && !(text.len() > 1 && text.starts_with('0') && text.as_bytes()[1].is_ascii_digit());
        let value = match plain {
            true => text.parse::<f64>().map_err(|_| invalid())?,
            false => crate::syntax::lex::parse_number(text).map_err(|_| invalid())?,
        };
        let written_infinite = text.eq_ignore_ascii_case("inf");
        if value.is_infinite() && !written_infinite {
            return Err(PError::new(
                ParseErrorKind::NumberOutOfRange {
                    text: text.to_string(),
                },
                tok.span,
            ));
        }
        Ok(value)
    }

    /// The value of a duration token in milliseconds, with the errors of Prometheus's
    /// `model.ParseDuration`.
    pub(super) fn duration_ms(&self, tok: &Token<'a>) -> Result<i64, PError> {
        parse_go_duration(tok.text).map_err(|kind| PError::new(kind, tok.span))
    }

    /// The value of a string token.
    pub(super) fn unquote(&self, tok: &Token<'a>) -> Result<String, PError> {
        let bytes = self.unquote_bytes(tok)?;
        Ok(match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    /// The exact bytes of a string token (Go strings may hold invalid UTF-8).
    pub(super) fn unquote_bytes(&self, tok: &Token<'a>) -> Result<Vec<u8>, PError> {
        crate::syntax::lex::unquote_bytes(tok.text).map_err(|e| {
            PError::new(
                ParseErrorKind::InvalidEscape {
                    message: format!(
                        "error unquoting string {}: {e}",
                        crate::syntax::lex::quote(tok.text)
                    ),
                },
                tok.span,
            )
        })
    }
}

/// Prometheus's `model.ParseDuration`, in milliseconds, with its errors as parse errors.
fn parse_go_duration(text: &str) -> Result<i64, ParseErrorKind> {
    crate::syntax::lex::parse_duration(text).map_err(|e| match e {
        DurationError::OutOfRange(_) => ParseErrorKind::DurationOutOfRange,
        other => ParseErrorKind::InvalidDuration {
            message: other.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_go_duration("5ms"), Ok(5));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(
            parse_go_duration("5m1h").unwrap_err().to_string(),
            "not a valid duration string: \"5m1h\""
        );
        assert_eq!(
            parse_go_duration("5y1hs").unwrap_err().to_string(),
            "unknown unit \"hs\" in duration \"5y1hs\""
        );
        assert_eq!(
            parse_go_duration("300000y"),
            Err(ParseErrorKind::DurationOutOfRange)
        );
    }
}
