//! PromQL functions.
//!
//! Two kinds, as in Prometheus's `functions.go`:
//! - range-vector functions (`rate`, `*_over_time`, ...) run once per input series with the
//!   series' points in the window ([`RangeFn`]);
//! - all others get their evaluated arguments ([`InstantFn`]).
//!
//! A few functions need the unevaluated expressions and are dispatched first: `timestamp` and
//! `start_timestamp` over a selector, `label_replace`, `label_join` and `info`.
//!
//! The files follow Prometheus's concepts: `rate.rs` (`rate`, `increase`, `delta`, `irate`,
//! `idelta`, over floats and native histograms, plain and `anchored`/`smoothed`),
//! `over_time.rs` (the `*_over_time` aggregations), `range.rs` (the remaining range functions
//! and the lookup), `instant.rs` (math, clamping, sorting, scalars), `date.rs`, `labels.rs`
//! (`label_replace`, `label_join`, `sort_by_label` and natural sort), `histogram.rs` (the
//! `histogram_*` functions and classic bucket grouping), `info.rs`, and `hist_ops.rs` (the
//! histogram operations they use).

pub(crate) mod date;
pub(crate) mod hist_ops;
mod histogram;
mod info;
mod instant;
mod labels;
mod over_time;
pub(crate) mod range;
pub(crate) mod rate;

use super::annotations::Annotations;
use super::engine::{Evaluator, drop_metric_name};
use super::error::EvalError;
use super::value::{RangeSeries, Sample, Val};
use crate::model::{FloatHistogram, Labels, METRIC_NAME, MatchOp, Timestamp};
use crate::promql::{Call, Expr, ExprKind, ValueType};
use crate::syntax::Span;
use std::sync::Arc;

/// The output of a range function for one series.
pub(crate) enum Out {
    Float(f64),
    Histogram(Arc<FloatHistogram>),
}

/// What a range function sees besides the series itself.
pub(crate) struct RangeCtx<'a> {
    /// Evaluation time.
    pub t: Timestamp,
    /// Start and end of the selector's window (`ref - range`, `ref`), without the extensions of
    /// `anchored`/`smoothed`.
    pub range_start: Timestamp,
    pub range_end: Timestamp,
    /// The range in ms.
    pub range: i64,
    /// Scalar arguments in order (e.g. the φ of `quantile_over_time`, the `t` of
    /// `predict_linear`), with the matrix argument left out.
    pub scalars: &'a [f64],
    /// The span of the call's first argument: Prometheus positions the annotations of range
    /// functions there (`args[0].PositionRange()`).
    pub pos: Span,
    /// Selector modifiers.
    pub anchored: bool,
    pub smoothed: bool,
    /// Whether start timestamps are used (`rate`, `increase`, `irate`, `resets`).
    pub use_start_timestamps: bool,
    /// Whether Prometheus 2 semantics are in force.
    pub prometheus2: bool,
    pub annotations: &'a mut Annotations,
}

impl RangeCtx<'_> {
    /// The start timestamps of `s`'s floats when they are in use.
    pub fn float_starts<'s>(&self, s: &'s RangeSeries<'_>) -> &'s [Timestamp] {
        match (&s.float_start_times, self.use_start_timestamps) {
            (Some(st), true) => st,
            _ => &[],
        }
    }

    /// The start timestamps of `s`'s histograms when they are in use.
    pub fn histogram_starts<'s>(&self, s: &'s RangeSeries<'_>) -> &'s [Timestamp] {
        match (&s.histogram_start_times, self.use_start_timestamps) {
            (Some(st), true) => st,
            _ => &[],
        }
    }

    pub fn warn(&mut self, message: String) {
        self.annotations.warn(message, self.pos);
    }

    pub fn info(&mut self, message: String) {
        self.annotations.info(message, self.pos);
    }
}

/// A range-vector function, called once per series.
pub(crate) type RangeFn = fn(&mut RangeCtx<'_>, &RangeSeries<'_>) -> Result<Option<Out>, EvalError>;

/// An instant function: gets the evaluator, the call and the evaluated arguments.
pub(crate) type InstantFn = for<'s> fn(
    &mut Evaluator<'s>,
    &Call,
    Span,
    Timestamp,
    Vec<Val<'s>>,
) -> Result<Val<'s>, EvalError>;

/// Evaluates a function call at `t`.
pub(crate) fn eval<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    span: Span,
    t: Timestamp,
) -> Result<Val<'s>, EvalError> {
    let name = call.func.name;
    // Functions that need the expressions, not their values.
    match name {
        "timestamp" | "start_timestamp" => {
            if let Some(ExprKind::VectorSelector(vs)) = call.args.first().map(|a| &a.unparen().kind)
            {
                return instant::timestamp_of_selector(ev, vs, name == "start_timestamp", t);
            }
        }
        "label_replace" => return labels::label_replace(ev, call, t),
        "label_join" => return labels::label_join(ev, call, t),
        "info" => return info::info(ev, call, t),
        _ => {}
    }
    if let Some(f) = range::lookup(name) {
        return eval_range_function(ev, call, t, f);
    }
    let Some(f) = instant::lookup(name) else {
        return Err(EvalError::Unsupported(call.func.name));
    };
    let mut args = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        if arg.value_type() == ValueType::String {
            args.push(Val::String(string_arg(arg)));
        } else {
            args.push(ev.eval(arg, t)?);
        }
    }
    if matches!(
        name,
        "sort" | "sort_desc" | "sort_by_label" | "sort_by_label_desc"
    ) && ev.start != ev.end
    {
        ev.annotations.warn(
            "sort is ineffective for range queries since results are always ordered by labels",
            span,
        );
    }
    f(ev, call, span, t, args)
}

/// The value of a string literal argument.
pub(crate) fn string_arg(expr: &Expr) -> String {
    string_literal_arg(expr).value
}

/// A string literal argument, with its exact bytes.
pub(crate) fn string_literal_arg(expr: &Expr) -> crate::promql::StringLiteral {
    match &expr.unparen().kind {
        ExprKind::String(s) => s.clone(),
        _ => crate::promql::StringLiteral::from(""),
    }
}

/// The functions `anchored` selectors may be passed to (Prometheus's `AnchoredSafeFunctions`).
const ANCHORED_SAFE: [&str; 5] = ["changes", "delta", "increase", "rate", "resets"];
/// The functions `smoothed` selectors may be passed to (Prometheus's `SmoothedSafeFunctions`).
const SMOOTHED_SAFE: [&str; 3] = ["delta", "increase", "rate"];

/// Runs a range function over every series of its matrix argument.
fn eval_range_function<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    t: Timestamp,
    f: RangeFn,
) -> Result<Val<'s>, EvalError> {
    let name = call.func.name;
    let matrix_index = call
        .args
        .iter()
        .position(|a| a.value_type() == ValueType::Matrix)
        .unwrap_or(0);
    let mut scalars = Vec::new();
    for (i, arg) in call.args.iter().enumerate() {
        if i != matrix_index {
            scalars.push(ev.eval_scalar(arg, t)?);
        }
    }
    let Some(matrix_arg) = call.args.get(matrix_index) else {
        return Ok(Val::Vector(Vec::new()));
    };
    let arg = matrix_arg.unparen();
    // Results over a plain selector whose series differ beyond their names need no duplicate
    // check (a scan of the selection pays off only when the query repeats steps).
    let unique_without_name = match &arg.kind {
        ExprKind::MatrixSelector(ms) if !ev.delayed_name_removal() => {
            let scan = ev.repeats;
            ev.selection_unique_without_name(&ms.selector, scan)
        }
        _ => false,
    };
    let (series, range, range_end, anchored, smoothed) = match &arg.kind {
        ExprKind::MatrixSelector(ms) => {
            let vs = &ms.selector;
            if vs.anchored && !ANCHORED_SAFE.contains(&name) {
                return Err(EvalError::AnchoredNotAllowed(call.func.name));
            }
            if vs.smoothed && !SMOOTHED_SAFE.contains(&name) {
                return Err(EvalError::SmoothedNotAllowed(call.func.name));
            }
            // 2.42 does not wrap `predict_linear` (its result depends on the evaluation time)
            // in a step-invariant node, and turns the `@` of its range argument into an offset
            // once, at the start of the (sub)query's range evaluation: at later steps the window
            // moves with the step.
            let drift = ev.opts.semantics == super::Semantics::Prometheus2
                && name == "predict_linear"
                && vs.at.is_some();
            ev.at_drift = drift;
            let selected = ev.matrix_selector_for_function(ms, t);
            let end = ev.reference_time(vs.at, &vs.offset, t);
            ev.at_drift = false;
            let series = selected?;
            let end = end?;
            let range = ev.duration_ms(&ms.range, false)?;
            (series, range, end, vs.anchored, vs.smoothed)
        }
        ExprKind::Subquery(sq) => {
            let series = ev.subquery(sq, t)?;
            let range = ev.duration_ms(&sq.range, false)?;
            let end = ev.reference_time(sq.at, &sq.offset, t)?;
            (series, range, end, false, false)
        }
        _ => match ev.eval(arg, t)? {
            Val::Matrix(m) => (m, 0, t, false, false),
            _ => (Vec::new(), 0, t, false, false),
        },
    };
    // `last_over_time` and `first_over_time` act like an offset and keep the metric name, unless
    // the input (a subquery) already drops it.
    let keep_name = matches!(name, "last_over_time" | "first_over_time");
    let use_start_timestamps =
        ev.opts.use_start_timestamps && matches!(name, "rate" | "irate" | "increase" | "resets");
    let prometheus2 = ev.opts.semantics == super::Semantics::Prometheus2;
    let delayed = ev.delayed_name_removal();
    let mut out = Vec::with_capacity(series.len());
    let mut annotations = std::mem::take(&mut ev.annotations);
    let mut ctx = RangeCtx {
        t,
        range_start: range_end.saturating_sub(range),
        range_end,
        range,
        scalars: &scalars,
        pos: call.args.first().map(|a| a.span).unwrap_or(matrix_arg.span),
        anchored,
        smoothed,
        use_start_timestamps,
        prometheus2,
        annotations: &mut annotations,
    };
    let mut result = Ok(());
    for s in &series {
        let value = match f(&mut ctx, s) {
            Ok(v) => v,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        let Some(value) = value else { continue };
        let drop_name = !keep_name || s.drop_name;
        let metric = if drop_name && !delayed {
            match s.store_without_name {
                Some(cached) => cached.clone(),
                None => drop_metric_name(&s.metric),
            }
        } else {
            s.metric.clone()
        };
        if matches!(name, "rate" | "increase") && matches!(value, Out::Float(_)) {
            possible_non_counter_info(&mut ctx, &s.metric);
        }
        out.push(match value {
            Out::Float(f) => Sample {
                metric,
                f,
                h: None,
                drop_name,
            },
            Out::Histogram(h) => Sample {
                metric,
                f: 0.0,
                h: Some(h),
                drop_name,
            },
        });
    }
    ev.annotations = annotations;
    result?;
    if name == "absent_over_time" {
        // The function gives a value for every series with samples; absence is the lack of one.
        if !out.is_empty() {
            return Ok(Val::Vector(Vec::new()));
        }
        return Ok(Val::Vector(vec![Sample {
            metric: absent_labels(matrix_arg),
            f: 1.0,
            h: None,
            drop_name: true,
        }]));
    }
    if !delayed && !unique_without_name {
        super::engine::check_no_duplicates(&out)?;
    }
    Ok(Val::Vector(out))
}

/// The info `rate` and `increase` give for a metric whose name does not look like a counter's.
fn possible_non_counter_info(ctx: &mut RangeCtx<'_>, metric: &Labels) {
    let Some(metric_name) = metric.metric_name() else {
        return;
    };
    if metric_name.is_empty() {
        return;
    }
    let counter_like = ["_total", "_sum", "_count", "_bucket"]
        .iter()
        .any(|suffix| metric_name.ends_with(suffix));
    if !counter_like {
        ctx.info(format!(
            "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: {}",
            go_quote(metric_name)
        ));
    }
}

/// Go's `%q` of a string (`strconv.Quote`), as Prometheus's annotation texts use it.
pub(crate) fn go_quote(s: &str) -> String {
    crate::syntax::lex::quote(s)
}

/// The labels `absent()` and `absent_over_time()` give their output: the equality matchers of
/// the selector, except labels matched more than once (Prometheus's
/// `createLabelsForAbsentFunction`).
pub(crate) fn absent_labels(expr: &Expr) -> Labels {
    let matchers = match &expr.unparen().kind {
        ExprKind::VectorSelector(vs) => &vs.matchers,
        ExprKind::MatrixSelector(ms) => &ms.selector.matchers,
        _ => return Labels::empty(),
    };
    let mut builder = Labels::empty().builder();
    let mut seen: Vec<&str> = Vec::new();
    for m in matchers {
        if m.name == METRIC_NAME {
            continue;
        }
        if m.op == MatchOp::Equal && !seen.contains(&m.name.as_str()) {
            builder.set_mut(m.name.as_str(), m.value.as_str());
            seen.push(&m.name);
        } else {
            builder.del_mut(m.name.as_str());
        }
    }
    builder.build()
}

/// The metric name of a series, or the empty string.
pub(crate) fn metric_name(metric: &Labels) -> &str {
    metric.metric_name().unwrap_or("")
}

#[cfg(test)]
mod tests;
