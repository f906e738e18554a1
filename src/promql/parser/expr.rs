//! Expressions: operators, postfix modifiers, primaries, aggregations and function calls.

use super::{Node, PResult, Parser};
use crate::promql::ast::{
    AggregateExpr, AggregateOp, BinaryExpr, BinaryOp, Call, DurationExpr, DurationNode, Expr,
    ExprKind, FillValues, MatrixSelector, SubqueryExpr, UnaryExpr, UnaryOp, VectorMatchCardinality,
    VectorMatching, VectorSelector,
};
use crate::promql::error::{Feature, PError, ParseErrorKind};
use crate::promql::functions::{self, Function};
use crate::promql::lexer::{BracketMode, Kw, Token, TokenKind};
use crate::promql::prec::{self, Assoc, Climber};
use crate::syntax::Span;
use std::cell::Cell;

/// The modifiers between a binary operator and its right operand: `bool`, `on(...)` or
/// `ignoring(...)`, `group_left(...)` or `group_right(...)`, and the `fill` modifiers.
pub(super) struct BinModifiers {
    return_bool: bool,
    matching: VectorMatching,
    fill_written: bool,
}

/// Drives precedence climbing over PromQL's binary operators.
struct ExprClimber<'p, 'a>(&'p Parser<'a>);

impl<'a> Climber<&'a str> for ExprClimber<'_, 'a> {
    type Op = BinaryOp;
    type Modifiers = BinModifiers;
    type Out = Node;
    type Error = PError;

    fn operand(&self, i: &'a str) -> PResult<'a, Node> {
        self.0.unary(i)
    }

    fn operator(&self, i: &'a str) -> Result<Option<(&'a str, BinaryOp)>, PError> {
        let p = self.0;
        let tok = p.lx.normal(i)?;
        let op = match tok.kind {
            TokenKind::Add => BinaryOp::Add,
            TokenKind::Sub => BinaryOp::Sub,
            TokenKind::Mul => BinaryOp::Mul,
            TokenKind::Div => BinaryOp::Div,
            TokenKind::Mod => BinaryOp::Mod,
            TokenKind::Pow => BinaryOp::Pow,
            TokenKind::EqlC => BinaryOp::Eql,
            TokenKind::Neq => BinaryOp::Neq,
            TokenKind::Gtr => BinaryOp::Gtr,
            TokenKind::Lss => BinaryOp::Lss,
            TokenKind::Gte => BinaryOp::Gte,
            TokenKind::Lte => BinaryOp::Lte,
            TokenKind::TrimUpper => BinaryOp::TrimUpper,
            TokenKind::TrimLower => BinaryOp::TrimLower,
            TokenKind::Kw(Kw::And) => BinaryOp::And,
            TokenKind::Kw(Kw::Or) => BinaryOp::Or,
            TokenKind::Kw(Kw::Unless) => BinaryOp::Unless,
            TokenKind::Kw(Kw::Atan2) => BinaryOp::Atan2,
            _ => return Ok(None),
        };
        if matches!(op, BinaryOp::TrimUpper | BinaryOp::TrimLower)
            && !p.opts.histogram_trim_operators
        {
            return Err(PError::new(
                ParseErrorKind::FeatureNotEnabled {
                    feature: Feature::HistogramTrimOperators,
                },
                tok.span,
            ));
        }
        Ok(Some((p.after(&tok), op)))
    }

    fn binding(&self, op: BinaryOp) -> (u8, Assoc) {
        prec::binding(op)
    }

    fn modifiers(&self, i: &'a str, _op: BinaryOp) -> PResult<'a, BinModifiers> {
        self.0.bin_modifiers(i)
    }

    fn operand_at(&self, i: &'a str, min_prec: u8) -> PResult<'a, Node> {
        self.0.expr_prec(i, min_prec)
    }

    fn combine(&self, lhs: Node, op: BinaryOp, m: BinModifiers, rhs: Node) -> Result<Node, PError> {
        self.0.binary(lhs, op, m, rhs)
    }
}

/// `-x` with Go's sign handling: negating a NaN leaves it as it is.
pub(super) fn negate(value: f64) -> f64 {
    if value.is_nan() { value } else { -value }
}

fn aggregate_op(kw: Kw) -> Option<AggregateOp> {
    match kw {
        Kw::Aggregate(op) => Some(op),
        _ => None,
    }
}

impl<'a> Parser<'a> {
    /// `expr`: a whole expression.
    pub(super) fn expr(&self, i: &'a str) -> PResult<'a, Node> {
        self.expr_prec(i, 0)
    }

    /// An expression whose binary operators bind at least `min_prec`.
    fn expr_prec(&self, i: &'a str, min_prec: u8) -> PResult<'a, Node> {
        self.nested(i, || prec::climb(&ExprClimber(self), i, min_prec))
    }

    /// `unary_expr`: `+x`, `-x`; a sign on a number literal is folded into it, as Prometheus
    /// does (`-1` is the number -1, `-2^2` is `-(2^2)`).
    fn unary(&self, i: &'a str) -> PResult<'a, Node> {
        let tok = self.lx.normal(i)?;
        let op = match tok.kind {
            TokenKind::Add => UnaryOp::Pos,
            TokenKind::Sub => UnaryOp::Neg,
            _ => return self.postfix(tok),
        };
        let (rest, operand) = self.expr_prec(self.after(&tok), prec::UNARY_OPERAND)?;
        let span = tok.span.to(operand.expr.span);
        let Node { mut expr, depth } = operand;
        if let ExprKind::Number(number) = &mut expr.kind {
            if op == UnaryOp::Neg {
                number.value = negate(number.value);
            }
            expr.span = span;
            return Ok((rest, Node { expr, depth }));
        }
        self.depth_ok(depth + 1, span)?;
        let kind = ExprKind::Unary(UnaryExpr { op, expr });
        Ok((rest, Node::new(kind, span, depth + 1)))
    }

    /// A primary followed by any postfix modifiers: `[range]`, `[range:step]`, `offset d`,
    /// `@ t`, `anchored`, `smoothed`. They bind tighter than every operator.
    fn postfix(&self, tok: Token<'a>) -> PResult<'a, Node> {
        let (mut i, mut node) = self.primary(tok)?;
        loop {
            let next = self.lx.normal(i)?;
            (i, node) = match next.kind {
                TokenKind::LBracket => self.range_or_subquery(node, &next)?,
                TokenKind::Kw(Kw::Offset) => self.offset_modifier(node, &next)?,
                TokenKind::At => self.at_modifier(node, &next)?,
                TokenKind::Kw(Kw::Anchored) => {
                    self.range_modifier(node, &next, Feature::Anchored)?
                }
                TokenKind::Kw(Kw::Smoothed) => {
                    self.range_modifier(node, &next, Feature::Smoothed)?
                }
                _ => return Ok((i, node)),
            };
        }
    }

    /// Literals, parentheses, selectors, aggregations and calls.
    fn primary(&self, tok: Token<'a>) -> PResult<'a, Node> {
        match tok.kind {
            TokenKind::Number | TokenKind::Duration | TokenKind::Str => self.literal(tok),
            TokenKind::LParen => self.paren(tok),
            TokenKind::LBrace => self.selector_from_brace(tok),
            TokenKind::Ident | TokenKind::MetricIdent => self.identifier_primary(tok),
            TokenKind::Kw(kw) => self.keyword_primary(tok, kw),
            _ => Err(self.unexpected(&tok, None, None)),
        }
    }

    /// `number_duration_literal` and `string_literal`.
    fn literal(&self, tok: Token<'a>) -> PResult<'a, Node> {
        let kind = match tok.kind {
            TokenKind::Str => ExprKind::String(crate::promql::StringLiteral::from_bytes(
                self.unquote_bytes(&tok)?,
            )),
            _ => ExprKind::Number(self.number_literal(&tok)?),
        };
        Ok((self.after(&tok), Node::new(kind, tok.span, 1)))
    }

    /// An identifier: a function call when `(` follows, a metric name otherwise.
    fn identifier_primary(&self, tok: Token<'a>) -> PResult<'a, Node> {
        let next = self.lx.normal(self.after(&tok))?;
        match (tok.kind, next.kind) {
            (TokenKind::Ident, TokenKind::LParen) => self.call(tok, next),
            _ => self.selector_from_name(tok, next),
        }
    }

    /// A keyword where an expression starts: an aggregation, one of the functions named like
    /// keywords (`start()`, `step()`, `min_of(...)`), or a metric named like a keyword (`sum`,
    /// `offset`, `by`, ... are valid metric names).
    fn keyword_primary(&self, tok: Token<'a>, kw: Kw) -> PResult<'a, Node> {
        if !kw.is_metric_identifier() {
            return Err(self.unexpected(&tok, None, None));
        }
        let next = self.lx.normal(self.after(&tok))?;
        if let Some(op) = aggregate_op(kw) {
            if matches!(
                next.kind,
                TokenKind::LParen | TokenKind::Kw(Kw::By) | TokenKind::Kw(Kw::Without)
            ) {
                return self.aggregate(tok, op, next);
            }
        }
        let is_function = matches!(
            kw,
            Kw::Start | Kw::End | Kw::Step | Kw::Range | Kw::MinOf | Kw::MaxOf
        );
        if is_function && next.kind == TokenKind::LParen {
            return self.call(tok, next);
        }
        self.selector_from_name(tok, next)
    }

    /// `paren_expr`: `( expr )`.
    fn paren(&self, open: Token<'a>) -> PResult<'a, Node> {
        self.open_paren();
        let (rest, inner) = self.expr(self.after(&open))?;
        let (rest, close) = self.expect_rparen(rest, None, None)?;
        let span = open.span.to(close.span);
        let depth = inner.depth + 1;
        self.depth_ok(depth, span)?;
        Ok((rest, Node::new(ExprKind::Paren(inner.expr), span, depth)))
    }

    /// `function_call_body`: `( )` or `( expr, ... )`, returning the arguments and the `)`.
    fn call_args(&self, open: Token<'a>) -> Result<(&'a str, Vec<Node>, Token<'a>), PError> {
        self.open_paren();
        let mut i = self.after(&open);
        let mut args = Vec::new();
        let first = self.lx.normal(i)?;
        if first.kind == TokenKind::RParen {
            self.close_paren();
            return Ok((self.after(&first), args, first));
        }
        loop {
            let (rest, arg) = self.expr(i)?;
            args.push(arg);
            let tok = self.lx.normal(rest)?;
            match tok.kind {
                TokenKind::Comma => {
                    i = self.after(&tok);
                    if self.lx.normal(i)?.kind == TokenKind::RParen {
                        return Err(PError::new(ParseErrorKind::TrailingComma, tok.span));
                    }
                }
                TokenKind::RParen => {
                    self.close_paren();
                    return Ok((self.after(&tok), args, tok));
                }
                _ => return Err(self.unexpected(&tok, None, None)),
            }
        }
    }

    /// `function_call`: a name and its arguments, checked against the function table.
    fn call(&self, name: Token<'a>, open: Token<'a>) -> PResult<'a, Node> {
        let (rest, args, close) = self.call_args(open)?;
        let func = self.function(&name)?;
        let span = name.span.to(close.span);
        let depth = args.iter().map(|a| a.depth).max().unwrap_or(0) + 1;
        self.depth_ok(depth, span)?;
        let args = args.into_iter().map(|a| *a.expr).collect();
        Ok((
            rest,
            Node::new(ExprKind::Call(Call { func, args }), span, depth),
        ))
    }

    /// Looks a function up by the name as written (function names are case-sensitive).
    fn function(&self, name: &Token<'a>) -> Result<&'static Function, PError> {
        let func = match functions::lookup(name.text) {
            Some(func) => func,
            None if self.opts.legacy_holt_winters && name.text == "holt_winters" => {
                &functions::HOLT_WINTERS
            }
            None => {
                return Err(PError::new(
                    ParseErrorKind::UnknownFunction {
                        name: name.text.to_string(),
                    },
                    name.span,
                ));
            }
        };
        if func.experimental && !self.opts.experimental_functions {
            return Err(PError::new(
                ParseErrorKind::FunctionNotEnabled {
                    name: name.text.to_string(),
                },
                name.span,
            ));
        }
        Ok(func)
    }

    /// `aggregate_expr`: `op [by|without (labels)] (args) [by|without (labels)]`.
    fn aggregate(&self, op_tok: Token<'a>, op: AggregateOp, next: Token<'a>) -> PResult<'a, Node> {
        let mut open = next;
        let mut grouping = None;
        if let TokenKind::Kw(kw @ (Kw::By | Kw::Without)) = next.kind {
            let (rest, g) = self.aggregate_modifier(kw, &next)?;
            grouping = Some(g);
            open = self.lx.normal(rest)?;
        }
        if open.kind != TokenKind::LParen {
            return Err(self.unexpected(&open, Some("aggregation"), None));
        }
        let (mut rest, args, close) = self.call_args(open)?;
        let mut end = close.span;
        if grouping.is_none() {
            let tok = self.lx.normal(rest)?;
            if let TokenKind::Kw(kw @ (Kw::By | Kw::Without)) = tok.kind {
                let (after, g) = self.aggregate_modifier(kw, &tok)?;
                end = g.2;
                grouping = Some(g);
                rest = after;
            }
        }
        let node = self.aggregate_node(op, op_tok.span.to(end), args, grouping)?;
        Ok((rest, node))
    }

    /// `aggregate_modifier`: `by (labels)` or `without (labels)`, returning the labels, whether
    /// it is `without`, and the span of the `)`.
    fn aggregate_modifier(
        &self,
        kw: Kw,
        tok: &Token<'a>,
    ) -> PResult<'a, (Vec<String>, bool, Span)> {
        let (rest, labels, close) = self.grouping_labels(self.after(tok))?;
        Ok((rest, (labels, kw == Kw::Without, close.span)))
    }

    /// Checks the arguments of an aggregation as Prometheus's `newAggregateExpr` and builds it.
    fn aggregate_node(
        &self,
        op: AggregateOp,
        span: Span,
        args: Vec<Node>,
        grouping: Option<(Vec<String>, bool, Span)>,
    ) -> Result<Node, PError> {
        let error = |kind| Err(PError::new(kind, span));
        if args.is_empty() {
            return error(ParseErrorKind::NoAggregateArguments);
        }
        let wanted = if op.takes_parameter() { 2 } else { 1 };
        if op.is_experimental() && !self.opts.experimental_functions {
            return error(ParseErrorKind::AggregatorNotEnabled { name: op.as_str() });
        }
        if args.len() != wanted {
            return error(ParseErrorKind::AggregateArity {
                expected: wanted,
                got: args.len(),
            });
        }
        let depth = args.iter().map(|a| a.depth).max().unwrap_or(0) + 1;
        self.depth_ok(depth, span)?;
        let mut args = args.into_iter().map(|a| a.expr);
        let (param, expr) = match (wanted, args.next(), args.next()) {
            (2, Some(param), Some(expr)) => (Some(param), expr),
            (_, Some(expr), _) => (None, expr),
            _ => return error(ParseErrorKind::NoAggregateArguments),
        };
        let (grouping, without) = grouping.map(|(g, w, _)| (g, w)).unwrap_or_default();
        let kind = ExprKind::Aggregate(AggregateExpr {
            op,
            expr,
            param,
            grouping,
            without,
        });
        Ok(Node::new(kind, span, depth))
    }

    /// `bin_modifier`: `[bool] [on|ignoring (labels) [group_left|group_right [(labels)]]]
    /// [fill(v) | fill_left(v) [fill_right(v)] | fill_right(v) [fill_left(v)]]`.
    fn bin_modifiers(&self, mut i: &'a str) -> PResult<'a, BinModifiers> {
        let mut m = BinModifiers {
            return_bool: false,
            matching: VectorMatching {
                card: VectorMatchCardinality::OneToOne,
                matching_labels: Vec::new(),
                on: false,
                include: Vec::new(),
                fill: FillValues::default(),
            },
            fill_written: false,
        };
        let mut tok = self.lx.normal(i)?;
        if tok.kind == TokenKind::Kw(Kw::Bool) {
            m.return_bool = true;
            i = self.after(&tok);
            tok = self.lx.normal(i)?;
        }
        if let TokenKind::Kw(kw @ (Kw::On | Kw::Ignoring)) = tok.kind {
            let (rest, labels, _) = self.grouping_labels(self.after(&tok))?;
            m.matching.on = kw == Kw::On;
            m.matching.matching_labels = labels;
            i = rest;
            tok = self.lx.normal(i)?;
            if let TokenKind::Kw(kw @ (Kw::GroupLeft | Kw::GroupRight)) = tok.kind {
                m.matching.card = match kw {
                    Kw::GroupLeft => VectorMatchCardinality::ManyToOne,
                    _ => VectorMatchCardinality::OneToMany,
                };
                i = self.after(&tok);
                tok = self.lx.normal(i)?;
                if tok.kind == TokenKind::LParen {
                    let (rest, labels, _) = self.grouping_labels(i)?;
                    m.matching.include = labels;
                    i = rest;
                    tok = self.lx.normal(i)?;
                }
            }
        }
        let fill = &mut m.matching.fill;
        match tok.kind {
            TokenKind::Kw(Kw::Fill) => {
                let (rest, value) = self.fill_value(self.after(&tok))?;
                fill.lhs = Some(value);
                fill.rhs = Some(value);
                i = rest;
            }
            TokenKind::Kw(first @ (Kw::FillLeft | Kw::FillRight)) => {
                let (rest, value) = self.fill_value(self.after(&tok))?;
                i = rest;
                let (this, other) = match first {
                    Kw::FillLeft => (&mut fill.lhs, Kw::FillRight),
                    _ => (&mut fill.rhs, Kw::FillLeft),
                };
                *this = Some(value);
                let tok = self.lx.normal(i)?;
                if tok.kind == TokenKind::Kw(other) {
                    let (rest, value) = self.fill_value(self.after(&tok))?;
                    i = rest;
                    match other {
                        Kw::FillLeft => fill.lhs = Some(value),
                        _ => fill.rhs = Some(value),
                    }
                }
            }
            _ => return Ok((i, m)),
        }
        m.fill_written = true;
        Ok((i, m))
    }

    /// `fill_value`: `( [+|-] number )`.
    fn fill_value(&self, i: &'a str) -> PResult<'a, f64> {
        let open = self.lx.normal(i)?;
        if open.kind != TokenKind::LParen {
            return Err(self.unexpected(&open, None, None));
        }
        self.open_paren();
        let mut tok = self.lx.normal(self.after(&open))?;
        let mut negative = false;
        if matches!(tok.kind, TokenKind::Add | TokenKind::Sub) {
            negative = tok.kind == TokenKind::Sub;
            tok = self.lx.normal(self.after(&tok))?;
        }
        let value = match tok.kind {
            TokenKind::Number => self.number_value(&tok)?,
            TokenKind::Duration => self.duration_ms(&tok)? as f64 / 1000.0,
            _ => return Err(self.unexpected(&tok, None, None)),
        };
        let (rest, _) = self.expect_rparen(self.after(&tok), None, None)?;
        Ok((rest, if negative { negate(value) } else { value }))
    }

    /// Builds a binary expression from its parts.
    fn binary(&self, lhs: Node, op: BinaryOp, m: BinModifiers, rhs: Node) -> Result<Node, PError> {
        let span = lhs.expr.span.to(rhs.expr.span);
        if m.fill_written && !self.opts.binop_fill_modifiers {
            return Err(PError::new(
                ParseErrorKind::FeatureNotEnabled {
                    feature: Feature::BinopFillModifiers,
                },
                span,
            ));
        }
        let depth = lhs.depth.max(rhs.depth) + 1;
        self.depth_ok(depth, span)?;
        let kind = ExprKind::Binary(BinaryExpr {
            op,
            lhs: lhs.expr,
            rhs: rhs.expr,
            return_bool: m.return_bool,
            // Prometheus sets vector matching on every binary expression while parsing; the type
            // check removes it where an operand is not an instant vector.
            matching: Some(m.matching),
        });
        Ok(Node::new(kind, span, depth))
    }

    /// `matrix_selector` and `subquery_expr`: `x[range]`, `x[range:step]`, `x[range:]`.
    fn range_or_subquery(&self, node: Node, open: &Token<'a>) -> PResult<'a, Node> {
        let mode = Cell::new(BracketMode::DurationExpr);
        let (rest, range) = self.bracket_duration(self.after(open), &mode, false)?;
        let tok = self.lx.in_brackets(rest, mode.get())?;
        match tok.kind {
            TokenKind::RBracket => self.matrix(node, open, range, tok),
            TokenKind::Colon => {
                let next = self.lx.in_brackets(self.after(&tok), mode.get())?;
                let (rest, step) = match next.kind {
                    TokenKind::RBracket => (self.after(&tok), None),
                    TokenKind::Number
                    | TokenKind::Duration
                    | TokenKind::Add
                    | TokenKind::Sub
                    | TokenKind::LParen
                    | TokenKind::Kw(Kw::Step | Kw::Range | Kw::MinOf | Kw::MaxOf) => {
                        let (rest, step) = self.bracket_duration(self.after(&tok), &mode, true)?;
                        (rest, Some(step))
                    }
                    _ => {
                        return Err(self.unexpected(
                            &next,
                            Some("subquery selector"),
                            Some("number, duration, step(), range(), or \"]\""),
                        ));
                    }
                };
                let close = self.lx.in_brackets(rest, mode.get())?;
                if close.kind != TokenKind::RBracket {
                    return Err(self.unexpected(&close, Some("subquery selector"), Some("\"]\"")));
                }
                let span = node.expr.span.to(close.span);
                let depth = node.depth + 1;
                self.depth_ok(depth, span)?;
                let kind = ExprKind::Subquery(SubqueryExpr {
                    expr: node.expr,
                    range,
                    step,
                    offset: None,
                    at: None,
                });
                Ok((self.after(&close), Node::new(kind, span, depth)))
            }
            _ => Err(self.unexpected(&tok, Some("subquery or range"), Some("\":\" or \"]\""))),
        }
    }

    /// Completes a range selector `x[range]`.
    fn matrix(
        &self,
        node: Node,
        open: &Token<'a>,
        range: DurationNode,
        close: Token<'a>,
    ) -> PResult<'a, Node> {
        let error = |kind| Err(PError::new(kind, open.span.to(close.span)));
        let Node { mut expr, depth } = node;
        let selector_span = expr.span;
        let selector = match &mut expr.kind {
            ExprKind::VectorSelector(selector) => selector,
            _ => return error(ParseErrorKind::RangeOnNonSelector),
        };
        if selector.offset.as_ref().is_some_and(is_set) {
            return error(ParseErrorKind::OffsetBeforeRange);
        }
        if selector.at.is_some() {
            return error(ParseErrorKind::AtBeforeRange);
        }
        // Reuse the box of the vector selector for the range selector.
        let selector = std::mem::replace(selector, empty_selector());
        *expr = Expr {
            kind: ExprKind::MatrixSelector(MatrixSelector {
                selector,
                selector_span,
                range,
            }),
            span: selector_span.to(close.span),
        };
        Ok((
            self.after(&close),
            Node {
                expr,
                depth: depth + 1,
            },
        ))
    }

    /// `offset_expr`: `x offset d`. On a range selector the offset goes on its vector selector.
    fn offset_modifier(&self, mut node: Node, kw: &Token<'a>) -> PResult<'a, Node> {
        let (rest, offset) = self.offset_duration(self.after(kw))?;
        let error = |kind| Err(PError::new(kind, node.expr.span));
        let slot = match &mut node.expr.kind {
            ExprKind::VectorSelector(selector) => &mut selector.offset,
            ExprKind::MatrixSelector(matrix) => &mut matrix.selector.offset,
            ExprKind::Subquery(subquery) => &mut subquery.offset,
            _ => return error(ParseErrorKind::OffsetNotAllowed),
        };
        if slot.as_ref().is_some_and(is_set) {
            return error(ParseErrorKind::OffsetTwice);
        }
        let end = offset.span;
        *slot = Some(offset);
        node.expr.span = node.expr.span.to(end);
        Ok((rest, node))
    }

    /// `step_invariant_expr`: `x @ t`, `x @ start()`, `x @ end()`.
    fn at_modifier(&self, mut node: Node, at: &Token<'a>) -> PResult<'a, Node> {
        let (rest, value, end) = self.at_value(self.after(at))?;
        let error = |kind| Err(PError::new(kind, node.expr.span));
        let value = match value {
            AtValue::Seconds(seconds) => {
                if !seconds.is_finite() || seconds >= i64::MAX as f64 || seconds <= i64::MIN as f64
                {
                    return error(ParseErrorKind::TimestampOutOfBounds { value: seconds });
                }
                crate::promql::ast::AtModifier::Timestamp(seconds_to_ms(seconds))
            }
            AtValue::Start => crate::promql::ast::AtModifier::Start,
            AtValue::End => crate::promql::ast::AtModifier::End,
        };
        let slot = match &mut node.expr.kind {
            ExprKind::VectorSelector(selector) => &mut selector.at,
            ExprKind::MatrixSelector(matrix) => &mut matrix.selector.at,
            ExprKind::Subquery(subquery) => &mut subquery.at,
            _ => return error(ParseErrorKind::AtNotAllowed),
        };
        if slot.is_some() {
            return error(ParseErrorKind::AtTwice);
        }
        *slot = Some(value);
        node.expr.span = node.expr.span.to(end);
        Ok((rest, node))
    }

    /// `anchored_expr` and `smoothed_expr`.
    fn range_modifier(
        &self,
        mut node: Node,
        kw: &Token<'a>,
        feature: Feature,
    ) -> PResult<'a, Node> {
        let span = node.expr.span;
        let error = |kind| Err(PError::new(kind, span));
        if !self.opts.extended_range_selectors {
            return error(ParseErrorKind::FeatureNotEnabled { feature });
        }
        let name = match feature {
            Feature::Anchored => "anchored",
            _ => "smoothed",
        };
        let selector: &mut VectorSelector = match &mut node.expr.kind {
            ExprKind::VectorSelector(selector) => selector,
            ExprKind::MatrixSelector(matrix) => &mut matrix.selector,
            ExprKind::Subquery(_) => {
                return error(ParseErrorKind::ModifierOnSubquery { modifier: name });
            }
            _ => return error(ParseErrorKind::ModifierNotAllowed { modifier: name }),
        };
        match feature {
            Feature::Anchored => selector.anchored = true,
            _ => selector.smoothed = true,
        }
        if selector.anchored && selector.smoothed {
            return error(ParseErrorKind::AnchoredAndSmoothed);
        }
        node.expr.span = span.to(kw.span);
        Ok((self.after(kw), node))
    }
}

fn empty_selector() -> VectorSelector {
    VectorSelector {
        name: None,
        matchers: Vec::new(),
        offset: None,
        at: None,
        anchored: false,
        smoothed: false,
    }
}

/// Whether an offset counts as set. Prometheus ignores a literal zero offset here, so
/// `foo offset 0 offset 5m` is accepted as it is there.
fn is_set(offset: &DurationNode) -> bool {
    !matches!(offset.expr, DurationExpr::Literal(0))
}

/// The value after `@`.
pub(super) enum AtValue {
    Seconds(f64),
    Start,
    End,
}

/// Seconds to milliseconds, rounded, as Prometheus's `timestamp.FromFloatSeconds`.
pub(super) fn seconds_to_ms(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}
