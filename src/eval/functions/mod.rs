//! PromQL functions.
//!
//! Two kinds, as in Prometheus's `functions.go`:
//! - range-vector functions (`rate`, `*_over_time`, ...) run once per input series with the
//!   series' points in the window ([`RangeFn`]);
//! - all others get their evaluated arguments ([`InstantFn`]).
//!
//! [`eval`] dispatches by name; `TABLE` maps every name to its implementation.

mod instant;
mod range;

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
pub(crate) struct RangeCtx<'a, 'e> {
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
    /// The matrix argument expression (for annotation positions).
    pub arg_span: Span,
    /// The whole call's span.
    pub span: Span,
    /// Selector modifiers.
    pub anchored: bool,
    pub smoothed: bool,
    /// Whether start timestamps are used (`rate`, `increase`, `irate`, `resets`).
    pub use_start_timestamps: bool,
    /// Whether Prometheus 2 semantics are in force.
    pub prometheus2: bool,
    pub annotations: &'a mut super::annotations::Annotations,
    pub call: &'e Call,
}

/// A range-vector function, called once per series.
pub(crate) type RangeFn =
    fn(&mut RangeCtx<'_, '_>, &RangeSeries<'_>) -> Result<Option<Out>, EvalError>;

/// An instant function: gets the evaluator, the call and the evaluated arguments.
pub(crate) type InstantFn = for<'s> fn(
    &mut Evaluator<'s>,
    &Call,
    Span,
    Timestamp,
    Vec<Val<'s>>,
) -> Result<Val<'s>, EvalError>;

/// The implementation of a function.
pub(crate) enum Impl {
    Range(RangeFn),
    Instant(InstantFn),
}

/// Looks up the implementation of function `name`.
fn implementation(name: &str) -> Option<Impl> {
    range::lookup(name)
        .map(Impl::Range)
        .or_else(|| instant::lookup(name).map(Impl::Instant))
}

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
            if let ExprKind::VectorSelector(vs) = &call.args[0].unparen().kind {
                return instant::timestamp_of_selector(ev, vs, name == "start_timestamp", t);
            }
        }
        "label_replace" => return instant::label_replace(ev, call, t),
        "label_join" => return instant::label_join(ev, call, t),
        _ => {}
    }
    let Some(implementation) = implementation(name) else {
        return Err(EvalError::Unsupported(call.func.name));
    };
    match implementation {
        Impl::Instant(f) => {
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
        Impl::Range(f) => eval_range_function(ev, call, span, t, f),
    }
}

/// The value of a string literal argument.
pub(crate) fn string_arg(expr: &Expr) -> String {
    match &expr.unparen().kind {
        ExprKind::String(s) => s.clone(),
        _ => String::new(),
    }
}

const ANCHORED_SAFE: [&str; 5] = ["changes", "delta", "increase", "rate", "resets"];
const SMOOTHED_SAFE: [&str; 3] = ["delta", "increase", "rate"];

/// Runs a range function over every series of its matrix argument.
fn eval_range_function<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    span: Span,
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
    let arg = call.args[matrix_index].unparen();
    let (series, range, range_end, anchored, smoothed) = match &arg.kind {
        ExprKind::MatrixSelector(ms) => {
            let vs = &ms.selector;
            if vs.anchored && !ANCHORED_SAFE.contains(&name) {
                return Err(EvalError::AnchoredNotAllowed(call.func.name));
            }
            if vs.smoothed && !SMOOTHED_SAFE.contains(&name) {
                return Err(EvalError::SmoothedNotAllowed(call.func.name));
            }
            let series = ev.matrix_selector(ms, t)?;
            let range = ev.duration_ms(&ms.range, false)?;
            let end = ev.reference_time(vs.at, &vs.offset, t)?;
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
    let keep_name = matches!(name, "last_over_time" | "first_over_time");
    let use_start_timestamps =
        ev.opts.use_start_timestamps && matches!(name, "rate" | "irate" | "increase" | "resets");
    let prometheus2 = ev.opts.semantics == super::Semantics::Prometheus2;
    let delayed = ev.delayed_name_removal();
    let mut out = Vec::with_capacity(series.len());
    let mut any_output = false;
    let mut annotations = std::mem::take(&mut ev.annotations);
    let mut ctx = RangeCtx {
        t,
        range_start: range_end - range,
        range_end,
        range,
        scalars: &scalars,
        arg_span: call.args[matrix_index].span,
        span,
        anchored,
        smoothed,
        use_start_timestamps,
        prometheus2,
        annotations: &mut annotations,
        call,
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
        any_output = true;
        let drop_name = !keep_name || s.drop_name;
        let metric = if drop_name && !delayed {
            drop_metric_name(&s.metric)
        } else {
            s.metric.clone()
        };
        if matches!(name, "rate" | "increase") {
            if let (Some(metric_name), Out::Float(_)) = (s.metric.metric_name(), &value) {
                let counter_like = ["_total", "_sum", "_count", "_bucket"]
                    .iter()
                    .any(|suffix| metric_name.ends_with(suffix));
                if !counter_like {
                    ctx.annotations.info(
                        format!(
                            "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: {metric_name:?}"
                        ),
                        ctx.arg_span,
                    );
                }
            }
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
        if any_output || !series.is_empty() {
            return Ok(Val::Vector(Vec::new()));
        }
        return Ok(Val::Vector(vec![Sample {
            metric: absent_labels(&call.args[0]),
            f: 1.0,
            h: None,
            drop_name: true,
        }]));
    }
    if !delayed {
        super::engine::check_no_duplicates(&out)?;
    }
    Ok(Val::Vector(out))
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
