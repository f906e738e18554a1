//! The canonical form of an expression, after Prometheus's `printer.go`: `sum by (job) (x)`,
//! `a + on (b) group_left (c) d`, durations as durations, strings double-quoted.
//!
//! It differs from Prometheus in one way, so that printing then parsing gives back the same tree:
//! label matchers keep their written order (Prometheus sorts them).

use std::fmt::{self, Write as _};

use super::ast::{
    AggregateExpr, AtModifier, BinaryExpr, DurationExpr, DurationNode, Expr, ExprKind,
    NumberLiteral, UnaryOp, VectorMatchCardinality, VectorSelector,
};
use super::lexer::keyword;
use crate::model::{METRIC_NAME, MatchOp};
use crate::syntax::lex::{format_duration, is_legacy_label_name, is_legacy_metric_name, quote};

impl fmt::Display for Expr {
    /// The canonical form, which parses back to the same tree.
    ///
    /// ```
    /// use promgate::promql::parse;
    /// let expr = parse("sum(rate(x[300]))by(job)>bool on()group_left vector(1)").unwrap();
    /// assert_eq!(
    ///     expr.to_string(),
    ///     "sum by (job) (rate(x[5m])) > bool on () group_left () vector(1)"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Number(number) => write_number(f, number),
            ExprKind::String(text) => write!(f, "{text}"),
            ExprKind::VectorSelector(selector) => {
                write_selector(f, selector)?;
                write_at(f, selector.at)?;
                write_range_modifier(f, selector)?;
                write_offset(f, selector.offset.as_ref())
            }
            ExprKind::MatrixSelector(matrix) => {
                let selector = &matrix.selector;
                write_selector(f, selector)?;
                write!(f, "[{}]", matrix.range)?;
                write_range_modifier(f, selector)?;
                write_at(f, selector.at)?;
                write_offset(f, selector.offset.as_ref())
            }
            ExprKind::Subquery(subquery) => {
                write!(f, "{}[{}:", subquery.expr, subquery.range)?;
                if let Some(step) = &subquery.step {
                    write!(f, "{step}")?;
                }
                f.write_char(']')?;
                write_at(f, subquery.at)?;
                write_offset(f, subquery.offset.as_ref())
            }
            ExprKind::Paren(inner) => write!(f, "({inner})"),
            ExprKind::Unary(unary) => {
                let op = match unary.op {
                    UnaryOp::Neg => '-',
                    UnaryOp::Pos => '+',
                };
                write!(f, "{op}{}", unary.expr)
            }
            ExprKind::Binary(binary) => write_binary(f, binary),
            ExprKind::Aggregate(aggregate) => write_aggregate(f, aggregate),
            ExprKind::Call(call) => {
                write!(f, "{}(", call.func.name)?;
                for (index, arg) in call.args.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{arg}")?;
                }
                f.write_char(')')
            }
        }
    }
}

impl fmt::Display for DurationNode {
    /// A literal as a Prometheus duration (`5m`, `-1h30m`), arithmetic as written.
    ///
    /// ```
    /// use promgate::promql::{DurationExpr, DurationNode};
    /// use promgate::Span;
    /// let d = DurationNode { expr: DurationExpr::Literal(5_400_000), span: Span::default() };
    /// assert_eq!(d.to_string(), "1h30m");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_duration(f, &self.expr)
    }
}

fn write_duration(f: &mut fmt::Formatter<'_>, expr: &DurationExpr) -> fmt::Result {
    match expr {
        DurationExpr::Literal(ms) => f.write_str(&format_duration(*ms)),
        DurationExpr::Number(number) => write_number(f, number),
        DurationExpr::Step => f.write_str("step()"),
        DurationExpr::Range => f.write_str("range()"),
        DurationExpr::Unary(op, inner) => {
            f.write_char(match op {
                UnaryOp::Neg => '-',
                UnaryOp::Pos => '+',
            })?;
            write_duration(f, inner)
        }
        DurationExpr::Binary(op, lhs, rhs) => {
            write_duration(f, lhs)?;
            write!(f, " {} ", op.as_str())?;
            write_duration(f, rhs)
        }
        DurationExpr::MinOf(a, b) | DurationExpr::MaxOf(a, b) => {
            let name = match expr {
                DurationExpr::MinOf(..) => "min_of",
                _ => "max_of",
            };
            write!(f, "{name}(")?;
            write_duration(f, a)?;
            f.write_str(", ")?;
            write_duration(f, b)?;
            f.write_char(')')
        }
        DurationExpr::Paren(inner) => {
            f.write_char('(')?;
            write_duration(f, inner)?;
            f.write_char(')')
        }
    }
}

/// A number as Go's `strconv.FormatFloat(v, 'f', -1, 64)`, or a duration literal as a duration.
fn write_number(f: &mut fmt::Formatter<'_>, number: &NumberLiteral) -> fmt::Result {
    let value = number.value;
    if number.duration && value.is_finite() {
        return f.write_str(&format_duration((value * 1000.0).round() as i64));
    }
    write_float(f, value)
}

fn write_float(f: &mut fmt::Formatter<'_>, value: f64) -> fmt::Result {
    if value.is_nan() {
        f.write_str("NaN")
    } else if value == f64::INFINITY {
        // Prometheus prints `+Inf`, which reads back as a unary plus: `+Inf ^ 2` would be
        // `+(Inf ^ 2)`.
        f.write_str("Inf")
    } else if value == f64::NEG_INFINITY {
        f.write_str("-Inf")
    } else {
        write!(f, "{value}")
    }
}

/// The metric name, if it can be written before the braces and reads back as the same
/// selector: a plain identifier that is not a reserved word, whose matcher comes last.
fn name_before_braces(selector: &VectorSelector) -> Option<&str> {
    let name = selector.name.as_deref()?;
    let last = selector.matchers.last()?;
    let is_name_matcher =
        last.name == METRIC_NAME && last.op == MatchOp::Equal && last.value == name;
    let plain = is_legacy_metric_name(name)
        && keyword(name).is_none_or(|kw| kw.is_metric_identifier())
        && !name.eq_ignore_ascii_case("inf")
        && !name.eq_ignore_ascii_case("nan");
    // `name{__name__="other"}` does not parse: another name matcher keeps everything in the
    // braces (found by the fuzzer: `{__name__="b", "dz"}` printed as `dz{__name__="b"}`).
    let other_name = selector.matchers[..selector.matchers.len() - 1]
        .iter()
        .any(|m| m.name == METRIC_NAME);
    (is_name_matcher && plain && !other_name).then_some(name)
}

/// `name{matchers}` without modifiers.
fn write_selector(f: &mut fmt::Formatter<'_>, selector: &VectorSelector) -> fmt::Result {
    let matchers = match name_before_braces(selector) {
        Some(name) => {
            f.write_str(name)?;
            let others = &selector.matchers[..selector.matchers.len() - 1];
            if others.is_empty() {
                return Ok(());
            }
            others
        }
        None => &selector.matchers[..],
    };
    // A name written as a bare string inside the braces, `{"my.metric"}`.
    let mut quoted_name = match name_before_braces(selector) {
        Some(_) => None,
        None => selector.name.as_deref(),
    };
    f.write_char('{')?;
    for (index, matcher) in matchers.iter().enumerate() {
        if index > 0 {
            f.write_char(',')?;
        }
        let is_quoted_name = quoted_name.is_some_and(|name| {
            matcher.name == METRIC_NAME && matcher.op == MatchOp::Equal && matcher.value == name
        });
        if is_quoted_name {
            quoted_name = None;
            f.write_str(&quote(&matcher.value))?;
        } else {
            write!(f, "{matcher}")?;
        }
    }
    f.write_char('}')
}

fn write_at(f: &mut fmt::Formatter<'_>, at: Option<AtModifier>) -> fmt::Result {
    match at {
        None => Ok(()),
        Some(AtModifier::Start) => f.write_str(" @ start()"),
        Some(AtModifier::End) => f.write_str(" @ end()"),
        Some(AtModifier::Timestamp(ms)) => {
            let sign = if ms < 0 { "-" } else { "" };
            let abs = ms.unsigned_abs();
            write!(f, " @ {sign}{}.{:03}", abs / 1000, abs % 1000)
        }
    }
}

fn write_range_modifier(f: &mut fmt::Formatter<'_>, selector: &VectorSelector) -> fmt::Result {
    if selector.anchored {
        f.write_str(" anchored")?;
    }
    if selector.smoothed {
        f.write_str(" smoothed")?;
    }
    Ok(())
}

fn write_offset(f: &mut fmt::Formatter<'_>, offset: Option<&DurationNode>) -> fmt::Result {
    match offset {
        Some(offset) => write!(f, " offset {offset}"),
        None => Ok(()),
    }
}

/// A grouping label list: plain names bare, others quoted.
fn write_labels(f: &mut fmt::Formatter<'_>, labels: &[String]) -> fmt::Result {
    f.write_char('(')?;
    for (index, label) in labels.iter().enumerate() {
        if index > 0 {
            f.write_str(", ")?;
        }
        let plain = is_legacy_label_name(label)
            && keyword(label).is_none_or(|kw| kw.is_label())
            && !label.eq_ignore_ascii_case("inf")
            && !label.eq_ignore_ascii_case("nan");
        match plain {
            true => f.write_str(label)?,
            false => f.write_str(&quote(label))?,
        }
    }
    f.write_char(')')
}

/// Whether the printed expression ends with `offset (...)`, which a following binary operator
/// would extend (found by the fuzzer: `x offset +(5)+n` printed as `x offset (5) + n`).
fn ends_with_paren_offset(expr: &Expr) -> bool {
    let paren = |offset: Option<&DurationNode>| {
        offset.is_some_and(|o| matches!(o.expr, DurationExpr::Paren(_)))
    };
    match &expr.kind {
        ExprKind::VectorSelector(selector) => paren(selector.offset.as_ref()),
        ExprKind::MatrixSelector(matrix) => paren(matrix.selector.offset.as_ref()),
        ExprKind::Subquery(subquery) => paren(subquery.offset.as_ref()),
        ExprKind::Unary(unary) => ends_with_paren_offset(&unary.expr),
        ExprKind::Binary(binary) => ends_with_paren_offset(&binary.rhs),
        _ => false,
    }
}

fn write_binary(f: &mut fmt::Formatter<'_>, binary: &BinaryExpr) -> fmt::Result {
    // `x offset (5) + y` reads back with `(5) + y` as the offset: an operand ending in a
    // parenthesised offset gets parentheses of its own.
    if ends_with_paren_offset(&binary.lhs) {
        write!(f, "({}) {}", binary.lhs, binary.op.as_str())?;
    } else {
        write!(f, "{} {}", binary.lhs, binary.op.as_str())?;
    }
    if binary.return_bool {
        f.write_str(" bool")?;
    }
    if let Some(matching) = &binary.matching {
        let grouped = matches!(
            matching.card,
            VectorMatchCardinality::ManyToOne | VectorMatchCardinality::OneToMany
        );
        if !matching.matching_labels.is_empty() || matching.on || grouped {
            f.write_str(if matching.on { " on " } else { " ignoring " })?;
            write_labels(f, &matching.matching_labels)?;
        }
        if grouped {
            f.write_str(match matching.card {
                VectorMatchCardinality::ManyToOne => " group_left ",
                _ => " group_right ",
            })?;
            write_labels(f, &matching.include)?;
        }
        let fill = matching.fill;
        match (fill.lhs, fill.rhs) {
            (Some(l), Some(r)) if l.to_bits() == r.to_bits() => write_fill(f, "fill", l)?,
            (lhs, rhs) => {
                if let Some(l) = lhs {
                    write_fill(f, "fill_left", l)?;
                }
                if let Some(r) = rhs {
                    write_fill(f, "fill_right", r)?;
                }
            }
        }
    }
    write!(f, " {}", binary.rhs)
}

fn write_fill(f: &mut fmt::Formatter<'_>, name: &str, value: f64) -> fmt::Result {
    write!(f, " {name} (")?;
    write_float(f, value)?;
    f.write_char(')')
}

fn write_aggregate(f: &mut fmt::Formatter<'_>, aggregate: &AggregateExpr) -> fmt::Result {
    f.write_str(aggregate.op.as_str())?;
    if aggregate.without {
        f.write_str(" without ")?;
        write_labels(f, &aggregate.grouping)?;
        f.write_char(' ')?;
    } else if !aggregate.grouping.is_empty() {
        f.write_str(" by ")?;
        write_labels(f, &aggregate.grouping)?;
        f.write_char(' ')?;
    }
    f.write_char('(')?;
    if let Some(param) = &aggregate.param {
        write!(f, "{param}, ")?;
    }
    write!(f, "{})", aggregate.expr)
}
