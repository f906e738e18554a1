//! What the checks know about an expression without data: the labels its series can have,
//! the range of its values, constant fallbacks, and the raw series it reads.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::MatchOp;
use crate::promql::{
    AggregateOp, BinaryOp, Expr, ExprKind, UnaryOp, ValueType, VectorMatchCardinality,
};

/// The labels the series of an expression can have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LabelSet {
    /// At most these labels (an aggregation `by (...)`, `vector()`): a series has a subset.
    AtMost(BTreeSet<String>),
    /// Whatever the input series have.
    Unknown,
}

impl LabelSet {
    fn none() -> LabelSet {
        LabelSet::AtMost(BTreeSet::new())
    }

    fn map(self, f: impl FnOnce(&mut BTreeSet<String>)) -> LabelSet {
        match self {
            LabelSet::AtMost(mut set) => {
                f(&mut set);
                LabelSet::AtMost(set)
            }
            LabelSet::Unknown => LabelSet::Unknown,
        }
    }
}

fn string_arg(e: &Expr) -> Option<&str> {
    match &e.unparen().kind {
        ExprKind::String(s) => Some(&s.value),
        _ => None,
    }
}

/// The labels of an expression's series (the metric name aside).
pub(super) fn labels_of(e: &Expr) -> LabelSet {
    match &e.kind {
        ExprKind::Number(_) | ExprKind::String(_) => LabelSet::none(),
        ExprKind::VectorSelector(_) | ExprKind::MatrixSelector(_) => LabelSet::Unknown,
        ExprKind::Subquery(s) => labels_of(&s.expr),
        ExprKind::Paren(inner) => labels_of(inner),
        ExprKind::Unary(u) => labels_of(&u.expr),
        ExprKind::Aggregate(a) => match a.op {
            AggregateOp::Topk
            | AggregateOp::Bottomk
            | AggregateOp::Limitk
            | AggregateOp::LimitRatio => labels_of(&a.expr),
            _ if a.without => LabelSet::Unknown,
            AggregateOp::CountValues => {
                let mut set: BTreeSet<String> = a.grouping.iter().cloned().collect();
                match a.param.as_deref().and_then(string_arg) {
                    Some(label) => {
                        set.insert(label.to_string());
                        LabelSet::AtMost(set)
                    }
                    None => LabelSet::Unknown,
                }
            }
            _ => LabelSet::AtMost(a.grouping.iter().cloned().collect()),
        },
        ExprKind::Call(c) => match c.func.name {
            "vector" | "time" | "scalar" | "pi" => LabelSet::none(),
            "absent" | "absent_over_time" => absent_labels(c.args.first()),
            "label_replace" | "label_join" => {
                let dst = c.args.get(1).and_then(string_arg).map(str::to_string);
                match (c.args.first(), dst) {
                    (Some(v), Some(dst)) => labels_of(v).map(|s| {
                        s.insert(dst);
                    }),
                    _ => LabelSet::Unknown,
                }
            }
            "histogram_quantile" | "histogram_fraction" => match c.args.last() {
                Some(v) => labels_of(v).map(|s| {
                    s.remove("le");
                }),
                None => LabelSet::Unknown,
            },
            _ => c
                .args
                .iter()
                .find(|a| matches!(a.value_type(), ValueType::Vector | ValueType::Matrix))
                .map_or(LabelSet::none(), labels_of),
        },
        ExprKind::Binary(b) => {
            let (lt, rt) = (b.lhs.value_type(), b.rhs.value_type());
            if lt == ValueType::Scalar && rt == ValueType::Scalar {
                return LabelSet::none();
            }
            if rt == ValueType::Scalar {
                return labels_of(&b.lhs);
            }
            if lt == ValueType::Scalar {
                return labels_of(&b.rhs);
            }
            let Some(m) = &b.matching else {
                return LabelSet::Unknown;
            };
            let (l, r) = (labels_of(&b.lhs), labels_of(&b.rhs));
            match (b.op, m.card) {
                (BinaryOp::And | BinaryOp::Unless, _) => l,
                (BinaryOp::Or, _) => match (l, r) {
                    (LabelSet::AtMost(a), LabelSet::AtMost(b)) => {
                        LabelSet::AtMost(a.union(&b).cloned().collect())
                    }
                    _ => LabelSet::Unknown,
                },
                (_, VectorMatchCardinality::OneToOne) => {
                    if m.on {
                        let on: BTreeSet<String> = m.matching_labels.iter().cloned().collect();
                        match l {
                            LabelSet::AtMost(l) => {
                                LabelSet::AtMost(l.intersection(&on).cloned().collect())
                            }
                            LabelSet::Unknown => LabelSet::AtMost(on),
                        }
                    } else {
                        l.map(|s| {
                            for name in &m.matching_labels {
                                s.remove(name);
                            }
                        })
                    }
                }
                (_, VectorMatchCardinality::ManyToOne) => l.map(|s| s.extend(m.include.clone())),
                (_, VectorMatchCardinality::OneToMany) => r.map(|s| s.extend(m.include.clone())),
                (_, VectorMatchCardinality::ManyToMany) => LabelSet::Unknown,
            }
        }
    }
}

/// `absent(x{a="b"})` returns `{a="b"}`: the labels of its equality matchers.
fn absent_labels(arg: Option<&Expr>) -> LabelSet {
    let selector = match arg.map(|a| &a.unparen().kind) {
        Some(ExprKind::VectorSelector(s)) => s,
        Some(ExprKind::MatrixSelector(m)) => &m.selector,
        _ => return LabelSet::none(),
    };
    LabelSet::AtMost(
        selector
            .matchers
            .iter()
            .filter(|m| m.op == MatchOp::Equal && m.name != crate::model::METRIC_NAME)
            .map(|m| m.name.clone())
            .collect(),
    )
}

/// The closed range of values an expression can take (NaN aside).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Range {
    pub min: f64,
    pub max: f64,
}

impl Range {
    fn new(min: f64, max: f64) -> Range {
        Range { min, max }
    }

    fn at_least(min: f64) -> Range {
        Range::new(min, f64::INFINITY)
    }

    fn point(v: f64) -> Range {
        Range::new(v, v)
    }

    /// Can `value op c` hold for some value in the range?
    pub fn can_compare(self, op: BinaryOp, c: f64) -> bool {
        match op {
            BinaryOp::Gtr => self.max > c,
            BinaryOp::Gte => self.max >= c,
            BinaryOp::Lss => self.min < c,
            BinaryOp::Lte => self.min <= c,
            BinaryOp::Eql => self.min <= c && c <= self.max,
            BinaryOp::Neq => !(self.min == c && self.max == c),
            _ => true,
        }
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let num = |v: f64| crate::model::format_float_g(v);
        if self.min == self.max {
            write!(f, "always {}", num(self.min))
        } else if self.max == f64::INFINITY {
            write!(f, "at least {}", num(self.min))
        } else {
            write!(f, "between {} and {}", num(self.min), num(self.max))
        }
    }
}

/// The value of a number literal, possibly negated or in parentheses.
pub(super) fn number(e: &Expr) -> Option<f64> {
    match &e.unparen().kind {
        ExprKind::Number(n) => Some(n.value),
        ExprKind::Unary(u) => {
            let v = number(&u.expr)?;
            Some(if u.op == UnaryOp::Neg { -v } else { v })
        }
        _ => None,
    }
}

/// The range of values of an expression, when its functions tell.
pub(super) fn range_of(e: &Expr) -> Option<Range> {
    match &e.kind {
        ExprKind::Number(n) => Some(Range::point(n.value)),
        ExprKind::Paren(inner) => range_of(inner),
        ExprKind::Unary(u) => {
            let r = range_of(&u.expr)?;
            Some(match u.op {
                UnaryOp::Neg => Range::new(-r.max, -r.min),
                UnaryOp::Pos => r,
            })
        }
        ExprKind::VectorSelector(s) if s.metric_name() == Some("up") && s.offset.is_none() => {
            Some(Range::new(0.0, 1.0))
        }
        ExprKind::Call(c) => {
            let arg = |i: usize| c.args.get(i).and_then(range_of);
            match c.func.name {
                "absent" | "absent_over_time" | "present_over_time" => Some(Range::point(1.0)),
                "count_over_time" => Some(Range::at_least(1.0)),
                "rate" | "irate" | "increase" | "changes" | "resets" | "abs" | "sqrt" => {
                    Some(Range::at_least(0.0))
                }
                "vector" => arg(0),
                "clamp_min" => {
                    let min = number(c.args.get(1)?)?;
                    Some(Range::at_least(min.max(arg(0).map_or(min, |r| r.min))))
                }
                "clamp_max" => {
                    let max = number(c.args.get(1)?)?;
                    Some(Range::new(
                        arg(0).map_or(f64::NEG_INFINITY, |r| r.min.min(max)),
                        max,
                    ))
                }
                "clamp" => {
                    let (min, max) = (number(c.args.get(1)?)?, number(c.args.get(2)?)?);
                    (min <= max).then(|| Range::new(min, max))
                }
                "max_over_time" | "min_over_time" | "avg_over_time" | "last_over_time" => {
                    match &c.args.first()?.unparen().kind {
                        ExprKind::MatrixSelector(m)
                            if m.selector.metric_name() == Some("up")
                                && m.selector.offset.is_none() =>
                        {
                            Some(Range::new(0.0, 1.0))
                        }
                        ExprKind::Subquery(s) => range_of(&s.expr),
                        _ => None,
                    }
                }
                _ => None,
            }
        }
        ExprKind::Aggregate(a) => match a.op {
            AggregateOp::Count => Some(Range::at_least(1.0)),
            AggregateOp::Group => Some(Range::point(1.0)),
            AggregateOp::Max
            | AggregateOp::Min
            | AggregateOp::Avg
            | AggregateOp::Topk
            | AggregateOp::Bottomk => range_of(&a.expr),
            AggregateOp::Sum => {
                let r = range_of(&a.expr)?;
                (r.min >= 0.0).then(|| Range::at_least(r.min))
            }
            _ => None,
        },
        ExprKind::Binary(b) => {
            if b.op.is_comparison() {
                if b.return_bool {
                    return Some(Range::new(0.0, 1.0));
                }
                return range_of(&b.lhs).or_else(|| {
                    // `c < x` keeps the right side's values when the left is a scalar.
                    (b.lhs.value_type() == ValueType::Scalar)
                        .then(|| range_of(&b.rhs))
                        .flatten()
                });
            }
            match b.op {
                BinaryOp::And | BinaryOp::Unless => range_of(&b.lhs),
                BinaryOp::Or => {
                    let (l, r) = (range_of(&b.lhs)?, range_of(&b.rhs)?);
                    Some(Range::new(l.min.min(r.min), l.max.max(r.max)))
                }
                BinaryOp::Add => {
                    let (l, r) = (range_of(&b.lhs)?, range_of(&b.rhs)?);
                    Some(Range::new(l.min + r.min, l.max + r.max))
                }
                BinaryOp::Mul => {
                    let (l, r) = (range_of(&b.lhs)?, range_of(&b.rhs)?);
                    (l.min >= 0.0 && r.min >= 0.0).then(|| Range::new(l.min * r.min, l.max * r.max))
                }
                BinaryOp::Div => {
                    let (l, r) = (range_of(&b.lhs)?, range_of(&b.rhs)?);
                    (l.min >= 0.0 && r.min >= 0.0).then(|| Range::at_least(0.0))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The value of a constant vector: `vector(c)`, possibly relabelled with `label_replace`.
pub(super) fn constant_vector(e: &Expr) -> Option<f64> {
    match &e.unparen().kind {
        ExprKind::Call(c) if c.func.name == "vector" => number(c.args.first()?),
        ExprKind::Call(c) if matches!(c.func.name, "label_replace" | "label_join") => {
            constant_vector(c.args.first()?)
        }
        _ => None,
    }
}

/// `vector(c)` itself (not relabelled).
pub(super) fn is_bare_vector(e: &Expr) -> bool {
    matches!(&e.unparen().kind, ExprKind::Call(c) if c.func.name == "vector")
}

/// Counters by name, as Prometheus's naming conventions have them.
pub(super) fn is_counter_name(name: &str) -> bool {
    ["_total", "_count", "_sum", "_bucket"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// Metric names whose suffix tells a gauge.
pub(super) fn is_gauge_name(name: &str) -> bool {
    name == "up"
        || [
            "_info",
            "_ratio",
            "_percent",
            "_percentage",
            "_celsius",
            "_temperature",
        ]
        .iter()
        .any(|s| name.ends_with(s))
}

/// The metric names a selector or range selector reads, with the node.
pub(super) fn selector_name(e: &Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::VectorSelector(s) => s.metric_name(),
        ExprKind::MatrixSelector(m) => m.selector.metric_name(),
        _ => None,
    }
}

/// Names that are not data: Prometheus writes them itself.
fn is_synthetic(name: &str) -> bool {
    matches!(name, "up" | "ALERTS" | "ALERTS_FOR_STATE")
        || name.starts_with("scrape_")
        || name.starts_with("prometheus_")
}

/// The metric names an expression reads, following recorded series to the raw series
/// their rules read. Series Prometheus writes itself (`up`, `ALERTS`, `scrape_*`) are left
/// out.
pub(super) fn raw_inputs<'a>(
    expr: &'a Expr,
    recorded: &BTreeMap<&'a str, Vec<&'a Expr>>,
) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&'a Expr> = vec![expr];
    while let Some(e) = stack.pop() {
        for name in e.metric_names() {
            match recorded.get(name) {
                Some(exprs) if seen.insert(name) => stack.extend(exprs.iter().copied()),
                Some(_) => {}
                None if !is_synthetic(name) => {
                    out.insert(name);
                }
                None => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn labels(text: &str) -> Option<Vec<String>> {
        match labels_of(&parse(text).unwrap()) {
            LabelSet::AtMost(s) => Some(s.into_iter().collect()),
            LabelSet::Unknown => None,
        }
    }

    #[test]
    fn label_sets_follow_aggregations_and_matching() {
        assert_eq!(labels("sum(x)"), Some(vec![]));
        assert_eq!(labels("sum by (job) (x)"), Some(vec!["job".into()]));
        assert_eq!(labels("x"), None);
        assert_eq!(labels("sum without (job) (x)"), None);
        assert_eq!(
            labels("histogram_quantile(0.9, sum by (le, job) (rate(x_bucket[5m])))"),
            Some(vec!["job".into()])
        );
        assert_eq!(labels("x / on(job) y"), Some(vec!["job".into()]));
        assert_eq!(
            labels(r#"label_replace(vector(0), "job", "a", "", "")"#),
            Some(vec!["job".into()])
        );
        assert_eq!(labels(r#"absent(x{job="a"})"#), Some(vec!["job".into()]));
    }

    fn range(text: &str) -> Option<(f64, f64)> {
        range_of(&parse(text).unwrap()).map(|r| (r.min, r.max))
    }

    #[test]
    fn ranges_come_from_functions_and_aggregations() {
        assert_eq!(range("count(x)"), Some((1.0, f64::INFINITY)));
        assert_eq!(range("absent(x)"), Some((1.0, 1.0)));
        assert_eq!(range("sum(rate(x[5m]))"), Some((0.0, f64::INFINITY)));
        assert_eq!(range("x > bool 3"), Some((0.0, 1.0)));
        assert_eq!(range("max(up)"), Some((0.0, 1.0)));
        assert_eq!(range("x"), None);
        assert_eq!(range("rate(x[5m]) - 1"), None);
        assert_eq!(range("clamp_max(x, 1)"), Some((f64::NEG_INFINITY, 1.0)));
    }

    #[test]
    fn raw_inputs_follow_recorded_series() {
        let rule = parse("sum(rate(a_total[5m])) + b").unwrap();
        let mut recorded = BTreeMap::new();
        recorded.insert("r:a", vec![&rule]);
        let expr = parse("r:a > 0 and on() up").unwrap();
        let inputs: Vec<_> = raw_inputs(&expr, &recorded).into_iter().collect();
        assert_eq!(inputs, ["a_total", "b"]);
    }
}
