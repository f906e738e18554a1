//! The static checks Prometheus runs after parsing (`checkAST` in `parse.go`): operand types,
//! function arity, `bool` and set-operator rules, vector matching, selector sanity.
//!
//! The checks visit the tree in Prometheus's order, so the first error reported is the one
//! Prometheus reports. They also finish the vector matching of binary expressions as Prometheus
//! does: set operators become many-to-many, and matching is dropped where an operand is not an
//! instant vector.

use super::ast::{
    BinaryExpr, Call, Expr, ExprKind, ValueType, VectorMatchCardinality, VectorSelector,
};
use super::error::{ArityBound, PError, ParseErrorKind};
use super::functions::Arity;
use crate::model::METRIC_NAME;
use crate::syntax::Span;

/// Checks `expr`, parsed from `src`, and completes its vector matching.
pub(crate) fn check(expr: &mut Expr, src: &str) -> Result<(), PError> {
    Checker { src }.check(expr, false)?;
    Ok(())
}

struct Checker<'s> {
    src: &'s str,
}

impl Checker<'_> {
    /// Checks a node and returns its type. `label_selector_only` is set for the second
    /// argument of `info`, which may match the empty string.
    fn check(&self, expr: &mut Expr, label_selector_only: bool) -> Result<ValueType, PError> {
        let span = expr.span;
        let error = |kind| Err(PError::new(kind, span));
        match &mut expr.kind {
            ExprKind::Number(_) => Ok(ValueType::Scalar),
            ExprKind::String(_) => Ok(ValueType::String),
            ExprKind::Paren(inner) => self.check(inner, false),
            ExprKind::VectorSelector(selector) => {
                self.selector(selector, span, label_selector_only)?;
                Ok(ValueType::Vector)
            }
            ExprKind::MatrixSelector(matrix) => {
                self.selector(&matrix.selector, matrix.selector_span, false)?;
                Ok(ValueType::Matrix)
            }
            ExprKind::Subquery(subquery) => {
                let got = self.check(&mut subquery.expr, false)?;
                if got != ValueType::Vector {
                    return error(ParseErrorKind::SubqueryOperandType { got });
                }
                Ok(ValueType::Matrix)
            }
            ExprKind::Unary(unary) => {
                let got = self.check(&mut unary.expr, false)?;
                if !matches!(got, ValueType::Scalar | ValueType::Vector) {
                    return error(ParseErrorKind::UnaryOperandType { got });
                }
                Ok(got)
            }
            ExprKind::Aggregate(aggregate) => {
                self.expect(
                    &mut aggregate.expr,
                    ValueType::Vector,
                    "aggregation expression",
                )?;
                use super::ast::AggregateOp::*;
                let param_type = match aggregate.op {
                    Topk | Bottomk | Quantile | Limitk | LimitRatio => Some(ValueType::Scalar),
                    CountValues => Some(ValueType::String),
                    _ => None,
                };
                if let (Some(want), Some(param)) = (param_type, aggregate.param.as_deref_mut()) {
                    self.expect(param, want, "aggregation parameter")?;
                }
                Ok(ValueType::Vector)
            }
            ExprKind::Call(call) => self.call(call, span),
            ExprKind::Binary(binary) => self.binary(binary, span),
        }
    }

    /// Prometheus's `expectType`.
    fn expect(&self, expr: &mut Expr, want: ValueType, context: &str) -> Result<(), PError> {
        let got = self.check(expr, false)?;
        if got != want {
            return Err(PError::new(
                ParseErrorKind::TypeMismatch {
                    expected: want,
                    got,
                    context: context.to_string(),
                },
                expr.span,
            ));
        }
        Ok(())
    }

    /// Whether the selector at `span` was written with its metric name before the braces.
    fn name_before_braces(&self, selector: &VectorSelector, span: Span) -> bool {
        selector.name.is_some()
            && !self.src.is_empty()
            && self.src.as_bytes().get(span.start as usize) != Some(&b'{')
    }

    fn selector(
        &self,
        selector: &VectorSelector,
        span: Span,
        label_selector_only: bool,
    ) -> Result<(), PError> {
        if self.name_before_braces(selector, span) {
            // The last matcher is the one made from the name.
            let others = &selector.matchers[..selector.matchers.len().saturating_sub(1)];
            if let Some(other) = others.iter().find(|m| m.name == METRIC_NAME) {
                return Err(PError::new(
                    ParseErrorKind::MetricNameTwice {
                        name: selector.name.clone().unwrap_or_default(),
                        other: other.value.clone(),
                    },
                    span,
                ));
            }
            return Ok(());
        }
        // A selector must have a matcher that does not match the empty string, so that a typo
        // does not select every series.
        if !label_selector_only && selector.matchers.iter().all(|m| m.matches_empty()) {
            return Err(PError::new(ParseErrorKind::EmptyMatchers, span));
        }
        Ok(())
    }

    fn call(&self, call: &mut Call, span: Span) -> Result<ValueType, PError> {
        let func = call.func;
        let got = call.args.len();
        let arity = |bound, expected| {
            Err(PError::new(
                ParseErrorKind::FunctionArity {
                    name: func.name,
                    bound,
                    expected,
                    got,
                },
                span,
            ))
        };
        match func.arity() {
            (exact, Some(max)) if exact == max && got != exact => {
                return arity(ArityBound::Exact, exact);
            }
            (min, _) if got < min => return arity(ArityBound::AtLeast, min),
            (_, Some(max)) if got > max => return arity(ArityBound::AtMost, max),
            _ => {}
        }

        let mut info_labels_only = false;
        if func.name == "info" && got > 1 {
            let arg = &call.args[1];
            let arg_type = arg.value_type();
            if arg_type != ValueType::Vector {
                return Err(PError::new(
                    ParseErrorKind::TypeMismatch {
                        expected: ValueType::Vector,
                        got: arg_type,
                        context: format!(
                            "call to function {}",
                            crate::syntax::lex::quote(func.name)
                        ),
                    },
                    span,
                ));
            }
            match &arg.kind {
                ExprKind::VectorSelector(selector)
                    if self.name_before_braces(selector, arg.span) =>
                {
                    return Err(PError::new(
                        ParseErrorKind::InfoSelector {
                            has_metric_name: true,
                        },
                        arg.span,
                    ));
                }
                ExprKind::VectorSelector(_) => info_labels_only = true,
                _ => {
                    return Err(PError::new(
                        ParseErrorKind::InfoSelector {
                            has_metric_name: false,
                        },
                        arg.span,
                    ));
                }
            }
        }

        for (index, arg) in call.args.iter_mut().enumerate() {
            let want = match func.arg_types.get(index) {
                Some(&want) => want,
                // Extra arguments of a variadic function repeat the last type.
                None if func.variadic != Arity::Exact => match func.arg_types.last() {
                    Some(&last) => last,
                    None => break,
                },
                None => break,
            };
            let got = self.check(arg, info_labels_only && index == 1)?;
            if got != want {
                return Err(PError::new(
                    ParseErrorKind::TypeMismatch {
                        expected: want,
                        got,
                        context: format!(
                            "call to function {}",
                            crate::syntax::lex::quote(func.name)
                        ),
                    },
                    arg.span,
                ));
            }
        }
        Ok(func.return_type)
    }

    fn binary(&self, binary: &mut BinaryExpr, span: Span) -> Result<ValueType, PError> {
        let lt = self.check(&mut binary.lhs, false)?;
        let rt = self.check(&mut binary.rhs, false)?;
        self.binary_rules(binary, span, lt, rt)
    }

    /// The rules of a binary expression whose operands have types `lt` and `rt`.
    fn binary_rules(
        &self,
        binary: &mut BinaryExpr,
        span: Span,
        lt: ValueType,
        rt: ValueType,
    ) -> Result<ValueType, PError> {
        let op = binary.op;
        let op_span = self.operator_span(binary);
        let error = |kind, at| Err(PError::new(kind, at));

        if binary.return_bool && !op.is_comparison() {
            return error(ParseErrorKind::BoolOnNonComparison, op_span);
        }
        if op.is_comparison()
            && !binary.return_bool
            && lt == ValueType::Scalar
            && rt == ValueType::Scalar
        {
            return error(ParseErrorKind::ScalarComparisonWithoutBool, op_span);
        }
        if let Some(matching) = &mut binary.matching {
            if op.is_set_operator() && matching.card == VectorMatchCardinality::OneToOne {
                matching.card = VectorMatchCardinality::ManyToMany;
            }
            if matching.on {
                if let Some(label) = matching
                    .matching_labels
                    .iter()
                    .find(|l| matching.include.contains(l))
                {
                    return error(
                        ParseErrorKind::LabelInOnAndGroup {
                            label: label.clone(),
                        },
                        op_span,
                    );
                }
            }
        }
        if !matches!(lt, ValueType::Scalar | ValueType::Vector) {
            return error(ParseErrorKind::BinaryOperandType, binary.lhs.span);
        }
        if !matches!(rt, ValueType::Scalar | ValueType::Vector) {
            return error(ParseErrorKind::BinaryOperandType, binary.rhs.span);
        }
        let both_vectors = lt == ValueType::Vector && rt == ValueType::Vector;
        if let Some(matching) = &binary.matching {
            let fill = matching.fill.lhs.is_some() || matching.fill.rhs.is_some();
            if !both_vectors {
                if !matching.matching_labels.is_empty() {
                    return error(ParseErrorKind::VectorMatchingOnScalar, span);
                }
                if fill {
                    return error(ParseErrorKind::FillOnScalar, span);
                }
            } else if op.is_set_operator() {
                if matches!(
                    matching.card,
                    VectorMatchCardinality::OneToMany | VectorMatchCardinality::ManyToOne
                ) {
                    return error(ParseErrorKind::GroupingOnSetOperator { op }, span);
                }
                if matching.card != VectorMatchCardinality::ManyToMany {
                    return error(ParseErrorKind::SetOperatorCardinality, span);
                }
                if fill {
                    return error(ParseErrorKind::FillOnSetOperator, span);
                }
            }
        }
        if !both_vectors {
            binary.matching = None;
        }
        if (lt == ValueType::Scalar || rt == ValueType::Scalar) && op.is_set_operator() {
            return error(ParseErrorKind::SetOperatorOnScalar { op }, span);
        }
        Ok(match (lt, rt) {
            (ValueType::Scalar, ValueType::Scalar) => ValueType::Scalar,
            _ => ValueType::Vector,
        })
    }

    /// The operator and its modifiers: the text between the operands, trimmed.
    fn operator_span(&self, binary: &BinaryExpr) -> Span {
        let bytes = self.src.as_bytes();
        let mut start = binary.lhs.span.end as usize;
        let mut end = binary.rhs.span.start as usize;
        while start < end && bytes.get(start).is_some_and(u8::is_ascii_whitespace) {
            start += 1;
        }
        while end > start && bytes.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
            end -= 1;
        }
        Span::new(start, end)
    }
}
