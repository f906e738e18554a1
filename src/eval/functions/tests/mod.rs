//! Tests of the function dispatcher and the functions, over hand-built stores.
//!
//! `floats.rs` covers float functions, `labels.rs` label functions and `info()`.
//!
//! Until the crate's own parser lands, [`parse`] translates the expressions with the
//! `promql-parser` dev-dependency (without spans, so annotation positions are all 0 here).
//! `anchored` and `smoothed` are written as a suffix on the whole query (`" @@anchored"`) and
//! applied to every matrix selector.

use crate::eval::{Engine, EngineOptions, Value};
use crate::model::{
    BucketSpan, CounterResetHint, FloatHistogram, Labels, MatchOp, Matcher, SampleValue, stale_nan,
};
use crate::promql::{
    AggregateExpr, AggregateOp, AtModifier, BinaryExpr, BinaryOp, Call, DurationExpr, DurationNode,
    Expr, ExprKind, FillValues, MatrixSelector, NumberLiteral, SubqueryExpr, UnaryExpr, UnaryOp,
    ValueType, VectorMatchCardinality, VectorMatching, VectorSelector,
};
use crate::store::Store;
use crate::syntax::Span;
use promql_parser::parser as pp;
use std::sync::Arc;

fn span() -> Span {
    Span::new(0, 0)
}

fn node(kind: ExprKind) -> Expr {
    Expr { kind, span: span() }
}

fn duration(d: std::time::Duration) -> DurationNode {
    DurationNode {
        expr: DurationExpr::Literal(d.as_millis() as i64),
        span: span(),
    }
}

fn offset(o: &Option<pp::Offset>) -> Option<DurationNode> {
    o.as_ref().map(|o| match o {
        pp::Offset::Pos(d) => duration(*d),
        pp::Offset::Neg(d) => DurationNode {
            expr: DurationExpr::Literal(-(d.as_millis() as i64)),
            span: span(),
        },
    })
}

fn at(a: &Option<pp::AtModifier>) -> Option<AtModifier> {
    a.as_ref().map(|a| match a {
        pp::AtModifier::Start => AtModifier::Start,
        pp::AtModifier::End => AtModifier::End,
        pp::AtModifier::At(t) => {
            AtModifier::Timestamp(match t.duration_since(std::time::UNIX_EPOCH) {
                Ok(d) => d.as_millis() as i64,
                Err(e) => -(e.duration().as_millis() as i64),
            })
        }
    })
}

fn selector(vs: &pp::VectorSelector, modifier: Modifier) -> VectorSelector {
    let name_matcher = vs
        .name
        .as_ref()
        .map(|n| Matcher::equal("__name__", n.clone()));
    let matchers = name_matcher
        .into_iter()
        .chain(vs.matchers.matchers.iter().map(|m| {
            let (op, value) = match &m.op {
                promql_parser::label::MatchOp::Equal => (MatchOp::Equal, m.value.clone()),
                promql_parser::label::MatchOp::NotEqual => (MatchOp::NotEqual, m.value.clone()),
                promql_parser::label::MatchOp::Re(_) => (MatchOp::RegexMatch, m.value.clone()),
                promql_parser::label::MatchOp::NotRe(_) => (MatchOp::RegexNoMatch, m.value.clone()),
            };
            Matcher::new(op, m.name.clone(), value).expect("valid regex")
        }))
        .collect();
    VectorSelector {
        name: vs.name.clone(),
        matchers,
        offset: offset(&vs.offset),
        at: at(&vs.at),
        anchored: modifier == Modifier::Anchored,
        smoothed: modifier == Modifier::Smoothed,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Modifier {
    None,
    Anchored,
    Smoothed,
}

fn binary_op(t: &str) -> BinaryOp {
    match t {
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        "%" => BinaryOp::Mod,
        "^" => BinaryOp::Pow,
        "atan2" => BinaryOp::Atan2,
        "==" => BinaryOp::Eql,
        "!=" => BinaryOp::Neq,
        ">" => BinaryOp::Gtr,
        "<" => BinaryOp::Lss,
        ">=" => BinaryOp::Gte,
        "<=" => BinaryOp::Lte,
        "and" => BinaryOp::And,
        "or" => BinaryOp::Or,
        "unless" => BinaryOp::Unless,
        other => panic!("operator {other}"),
    }
}

fn aggregate_op(t: &str) -> AggregateOp {
    match t {
        "sum" => AggregateOp::Sum,
        "avg" => AggregateOp::Avg,
        "count" => AggregateOp::Count,
        "min" => AggregateOp::Min,
        "max" => AggregateOp::Max,
        "group" => AggregateOp::Group,
        "stddev" => AggregateOp::Stddev,
        "stdvar" => AggregateOp::Stdvar,
        "topk" => AggregateOp::Topk,
        "bottomk" => AggregateOp::Bottomk,
        "count_values" => AggregateOp::CountValues,
        "quantile" => AggregateOp::Quantile,
        other => panic!("aggregation {other}"),
    }
}

fn convert(e: &pp::Expr, modifier: Modifier) -> Expr {
    match e {
        pp::Expr::NumberLiteral(n) => node(ExprKind::Number(NumberLiteral {
            value: n.val,
            duration: false,
        })),
        pp::Expr::StringLiteral(s) => node(ExprKind::String(s.val.clone())),
        pp::Expr::Paren(p) => node(ExprKind::Paren(Box::new(convert(&p.expr, modifier)))),
        pp::Expr::Unary(u) => node(ExprKind::Unary(UnaryExpr {
            op: UnaryOp::Neg,
            expr: Box::new(convert(&u.expr, modifier)),
        })),
        pp::Expr::VectorSelector(vs) => {
            node(ExprKind::VectorSelector(selector(vs, Modifier::None)))
        }
        pp::Expr::MatrixSelector(ms) => node(ExprKind::MatrixSelector(MatrixSelector {
            selector: selector(&ms.vs, modifier),
            selector_span: span(),
            range: duration(ms.range),
        })),
        pp::Expr::Subquery(sq) => node(ExprKind::Subquery(SubqueryExpr {
            expr: Box::new(convert(&sq.expr, modifier)),
            range: duration(sq.range),
            step: sq.step.map(duration),
            offset: offset(&sq.offset),
            at: at(&sq.at),
        })),
        pp::Expr::Call(c) => {
            let func = crate::promql::functions::lookup(c.func.name).expect("known function");
            let args = c.args.args.iter().map(|a| convert(a, modifier)).collect();
            node(ExprKind::Call(Call { func, args }))
        }
        pp::Expr::Aggregate(a) => {
            let (grouping, without) = match &a.modifier {
                Some(pp::LabelModifier::Include(l)) => (l.labels.clone(), false),
                Some(pp::LabelModifier::Exclude(l)) => (l.labels.clone(), true),
                None => (Vec::new(), false),
            };
            node(ExprKind::Aggregate(AggregateExpr {
                op: aggregate_op(&a.op.to_string()),
                expr: Box::new(convert(&a.expr, modifier)),
                param: a.param.as_ref().map(|p| Box::new(convert(p, modifier))),
                grouping,
                without,
            }))
        }
        pp::Expr::Binary(b) => {
            let lhs = convert(&b.lhs, modifier);
            let rhs = convert(&b.rhs, modifier);
            let op = binary_op(&b.op.to_string());
            let both_vectors =
                lhs.value_type() == ValueType::Vector && rhs.value_type() == ValueType::Vector;
            let matching = both_vectors.then(|| {
                let (matching_labels, on) =
                    match b.modifier.as_ref().and_then(|m| m.matching.as_ref()) {
                        Some(pp::LabelModifier::Include(l)) => (l.labels.clone(), true),
                        Some(pp::LabelModifier::Exclude(l)) => (l.labels.clone(), false),
                        None => (Vec::new(), false),
                    };
                let (card, include) = match b.modifier.as_ref().map(|m| &m.card) {
                    _ if op.is_set_operator() => (VectorMatchCardinality::ManyToMany, Vec::new()),
                    Some(pp::VectorMatchCardinality::ManyToOne(l)) => {
                        (VectorMatchCardinality::ManyToOne, l.labels.clone())
                    }
                    Some(pp::VectorMatchCardinality::OneToMany(l)) => {
                        (VectorMatchCardinality::OneToMany, l.labels.clone())
                    }
                    _ => (VectorMatchCardinality::OneToOne, Vec::new()),
                };
                VectorMatching {
                    card,
                    matching_labels,
                    on,
                    include,
                    fill: FillValues::default(),
                }
            });
            node(ExprKind::Binary(BinaryExpr {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                return_bool: b.modifier.as_ref().is_some_and(|m| m.return_bool),
                matching,
            }))
        }
        pp::Expr::Extension(_) => panic!("extension expressions are not PromQL"),
    }
}

/// Parses a query for the tests; a trailing ` @@anchored` or ` @@smoothed` applies the
/// modifier to every matrix selector.
pub(super) fn parse(query: &str) -> Expr {
    let (query, modifier) = match query.split_once(" @@") {
        Some((q, "anchored")) => (q, Modifier::Anchored),
        Some((q, "smoothed")) => (q, Modifier::Smoothed),
        _ => (query, Modifier::None),
    };
    let parsed = pp::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
    convert(&parsed, modifier)
}

/// Builds a store from `(series, samples)`; `None` samples are gaps; every sample is `step`
/// apart starting at 0.
pub(super) struct Fixture {
    pub store: Store,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            store: Store::new(),
        }
    }

    pub fn labels(text: &str) -> Labels {
        // `name{a="b",c="d"}`
        let (name, rest) = match text.find('{') {
            Some(i) => (&text[..i], &text[i + 1..text.len() - 1]),
            None => (text, ""),
        };
        let mut pairs: Vec<(String, String)> = Vec::new();
        if !name.is_empty() {
            pairs.push(("__name__".to_string(), name.to_string()));
        }
        for part in rest.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part.split_once('=').expect("label pair");
            pairs.push((k.trim().to_string(), v.trim().trim_matches('"').to_string()));
        }
        Labels::from_pairs(pairs)
    }

    /// Float samples `step` ms apart from 0; NaN with the stale bit pattern stays stale.
    pub fn floats(mut self, series: &str, step: i64, values: &[Option<f64>]) -> Fixture {
        let id = self.store.series_id(Fixture::labels(series)).unwrap();
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                self.store
                    .append(id, i as i64 * step, SampleValue::Float(*v))
                    .unwrap();
            }
        }
        self
    }

    /// Samples at explicit times.
    pub fn at(mut self, series: &str, samples: &[(i64, SampleValue)]) -> Fixture {
        let id = self.store.series_id(Fixture::labels(series)).unwrap();
        for (t, v) in samples {
            self.store.append(id, *t, v.clone()).unwrap();
        }
        self
    }

    /// `a+bxN` like the series notation: N+1 values.
    pub fn series(self, series: &str, step: i64, start: f64, inc: f64, n: usize) -> Fixture {
        let mut values = Vec::with_capacity(n + 1);
        let mut cur = start;
        for _ in 0..=n {
            values.push(Some(cur));
            cur += inc;
        }
        self.floats(series, step, &values)
    }
}

/// A histogram with positive buckets starting at index `offset`.
pub(super) fn hist(
    schema: i32,
    count: f64,
    sum: f64,
    offset: i32,
    buckets: &[f64],
) -> FloatHistogram {
    FloatHistogram {
        schema,
        count,
        sum,
        positive_spans: if buckets.is_empty() {
            Vec::new()
        } else {
            vec![BucketSpan {
                offset,
                length: buckets.len() as u32,
            }]
        },
        positive_buckets: buckets.to_vec(),
        ..FloatHistogram::default()
    }
}

pub(super) fn h(v: FloatHistogram) -> SampleValue {
    SampleValue::Histogram(Arc::new(v))
}

pub(super) fn f(v: f64) -> SampleValue {
    SampleValue::Float(v)
}

pub(super) fn engine() -> Engine {
    Engine::new(EngineOptions::promqltest())
}

/// Evaluates `query` at `t` (ms) and renders the result sorted: `labels => value` lines.
pub(super) fn eval(store: &Store, query: &str, t: i64) -> Result<String, String> {
    let expr = parse(query);
    let r = engine()
        .instant_query(store, &expr, t)
        .map_err(|e| e.to_string())?;
    Ok(render(&r.value))
}

/// Like [`eval`], with the annotations appended (`warn: ...`, `info: ...`).
pub(super) fn eval_annotated(store: &Store, query: &str, t: i64) -> Result<String, String> {
    let expr = parse(query);
    let r = engine()
        .instant_query(store, &expr, t)
        .map_err(|e| e.to_string())?;
    let mut out = render(&r.value);
    for a in r.annotations.iter() {
        out.push_str(&format!("{a}\n"));
    }
    Ok(out)
}

pub(super) fn render(v: &Value) -> String {
    match v {
        Value::Vector(samples) => {
            let mut lines: Vec<String> = samples
                .iter()
                .map(|s| match &s.h {
                    Some(h) => format!("{} => {h}", s.metric),
                    None => format!("{} => {}", s.metric, crate::model::format_float(s.f)),
                })
                .collect();
            lines.sort();
            lines.iter().map(|l| format!("{l}\n")).collect()
        }
        other => other.to_string(),
    }
}

/// Like [`eval`] but keeps the result order.
pub(super) fn eval_ordered(store: &Store, query: &str, t: i64) -> Vec<String> {
    let expr = parse(query);
    let r = engine().instant_query(store, &expr, t).unwrap();
    match r.value {
        Value::Vector(samples) => samples.iter().map(|s| s.metric.to_string()).collect(),
        other => panic!("{other:?}"),
    }
}

pub(super) fn stale() -> Option<f64> {
    Some(stale_nan())
}

pub(super) const M: i64 = 60_000;

pub(super) const S: i64 = 1000;

/// Expected lines, sorted like [`render`] sorts them.
pub(super) fn lines(v: &[&str]) -> String {
    let mut v: Vec<String> = v.iter().map(|l| format!("{l}\n")).collect();
    v.sort();
    v.concat()
}

mod floats;
mod histograms;
mod labels;
