//! Functions over instant vectors and scalars: math, clamping, rounding, sorting, `scalar`,
//! `vector`, `absent`, `time` and the query-range functions, `timestamp` and
//! `start_timestamp`; the table of all instant functions.

use super::date::{Field, date_function};
use super::{InstantFn, absent_labels, histogram, labels};
use crate::eval::Semantics;
use crate::eval::engine::{Evaluator, go_max, go_min};
use crate::eval::error::EvalError;
use crate::eval::value::{Sample, Val};
use crate::model::{Labels, Timestamp};
use crate::promql::{AtModifier, VectorSelector};

/// The instant function called `name`, if it is one.
pub(super) fn lookup(name: &str) -> Option<InstantFn> {
    Some(match name {
        "abs" => |ev, _, _, _, args| Ok(simple(ev, args, f64::abs)),
        "ceil" => |ev, _, _, _, args| Ok(simple(ev, args, f64::ceil)),
        "floor" => |ev, _, _, _, args| Ok(simple(ev, args, f64::floor)),
        "exp" => |ev, _, _, _, args| {
            let f = if ev.opts.semantics == Semantics::Prometheus2 {
                crate::eval::prometheus2::exp
            } else {
                f64::exp
            };
            Ok(simple(ev, args, f))
        },
        "sqrt" => |ev, _, _, _, args| Ok(simple(ev, args, f64::sqrt)),
        "ln" => |ev, _, _, _, args| {
            let f = if ev.opts.semantics == Semantics::Prometheus2 {
                crate::eval::prometheus2::ln
            } else {
                f64::ln
            };
            Ok(simple(ev, args, f))
        },
        "log2" => |ev, _, _, _, args| {
            let f = if ev.opts.semantics == Semantics::Prometheus2 {
                crate::eval::prometheus2::log2
            } else {
                f64::log2
            };
            Ok(simple(ev, args, f))
        },
        "log10" => |ev, _, _, _, args| {
            let f = if ev.opts.semantics == Semantics::Prometheus2 {
                crate::eval::prometheus2::log10
            } else {
                f64::log10
            };
            Ok(simple(ev, args, f))
        },
        "sin" => |ev, _, _, _, args| Ok(simple(ev, args, f64::sin)),
        "cos" => |ev, _, _, _, args| Ok(simple(ev, args, f64::cos)),
        "tan" => |ev, _, _, _, args| Ok(simple(ev, args, f64::tan)),
        "asin" => |ev, _, _, _, args| Ok(simple(ev, args, f64::asin)),
        "acos" => |ev, _, _, _, args| Ok(simple(ev, args, f64::acos)),
        "atan" => |ev, _, _, _, args| Ok(simple(ev, args, f64::atan)),
        "sinh" => |ev, _, _, _, args| Ok(simple(ev, args, f64::sinh)),
        "cosh" => |ev, _, _, _, args| Ok(simple(ev, args, f64::cosh)),
        "tanh" => |ev, _, _, _, args| Ok(simple(ev, args, f64::tanh)),
        "asinh" => |ev, _, _, _, args| Ok(simple(ev, args, f64::asinh)),
        "acosh" => |ev, _, _, _, args| Ok(simple(ev, args, f64::acosh)),
        "atanh" => |ev, _, _, _, args| Ok(simple(ev, args, f64::atanh)),
        "rad" => |ev, _, _, _, args| Ok(simple(ev, args, |v| v * std::f64::consts::PI / 180.0)),
        "deg" => |ev, _, _, _, args| Ok(simple(ev, args, |v| v * 180.0 / std::f64::consts::PI)),
        "sgn" => |ev, _, _, _, args| {
            Ok(simple(ev, args, |v| {
                if v < 0.0 {
                    -1.0
                } else if v > 0.0 {
                    1.0
                } else {
                    v
                }
            }))
        },
        "pi" => |_, _, _, _, _| Ok(Val::Scalar(std::f64::consts::PI)),
        "time" => |_, _, _, t, _| Ok(Val::Scalar(t as f64 / 1000.0)),
        "start" => |ev, _, _, _, _| Ok(Val::Scalar(ev.start as f64 / 1000.0)),
        "end" => |ev, _, _, _, _| Ok(Val::Scalar(ev.end as f64 / 1000.0)),
        "range" => {
            |ev, _, _, _, _| Ok(Val::Scalar(ev.end.saturating_sub(ev.start) as f64 / 1000.0))
        }
        "step" => |ev, _, _, _, _| {
            let step = if ev.start == ev.end {
                0.0
            } else {
                ev.interval as f64 / 1000.0
            };
            Ok(Val::Scalar(step))
        },
        "min_of" => |_, _, _, _, args| Ok(Val::Scalar(go_min(scalar(&args, 0), scalar(&args, 1)))),
        "max_of" => |_, _, _, _, args| Ok(Val::Scalar(go_max(scalar(&args, 0), scalar(&args, 1)))),
        "vector" => |_, _, _, _, args| Ok(scalar_vector(scalar(&args, 0))),
        "scalar" => |_, _, _, _, args| {
            let mut found = None;
            for s in vector(args.into_iter().next()) {
                if s.h.is_none() {
                    if found.is_some() {
                        return Ok(Val::Scalar(f64::NAN));
                    }
                    found = Some(s.f);
                }
            }
            Ok(Val::Scalar(found.unwrap_or(f64::NAN)))
        },
        "clamp" => |ev, _, _, _, args| {
            let (lo, hi) = (scalar(&args, 1), scalar(&args, 2));
            Ok(clamp(ev, args, lo, hi))
        },
        "clamp_min" => |ev, _, _, _, args| {
            let lo = scalar(&args, 1);
            Ok(clamp(ev, args, lo, f64::INFINITY))
        },
        "clamp_max" => |ev, _, _, _, args| {
            let hi = scalar(&args, 1);
            Ok(clamp(ev, args, f64::NEG_INFINITY, hi))
        },
        "round" => |ev, _, _, _, args| {
            let to_nearest = if args.len() >= 2 {
                scalar(&args, 1)
            } else {
                1.0
            };
            let inverse = 1.0 / to_nearest;
            Ok(simple(ev, args, move |f| {
                (f * inverse + 0.5).floor() / inverse
            }))
        },
        "absent" => |_, call, _, _, args| {
            if !vector(args.into_iter().next()).is_empty() {
                return Ok(Val::Vector(Vec::new()));
            }
            Ok(Val::Vector(vec![Sample {
                metric: call
                    .args
                    .first()
                    .map(absent_labels)
                    .unwrap_or_else(Labels::empty),
                f: 1.0,
                h: None,
                drop_name: true,
            }]))
        },
        "sort" => |_, _, _, _, args| {
            Ok(Val::Vector(sort_by_value(
                vector(args.into_iter().next()),
                false,
            )))
        },
        "sort_desc" => |_, _, _, _, args| {
            Ok(Val::Vector(sort_by_value(
                vector(args.into_iter().next()),
                true,
            )))
        },
        "timestamp" => |ev, _, _, t, args| {
            // `timestamp` of an expression other than a selector: the evaluation time.
            let mut out = vector(args.into_iter().next());
            for s in &mut out {
                s.f = t as f64 / 1000.0;
                s.h = None;
                ev.drop_name(s);
            }
            Ok(Val::Vector(out))
        },
        // Over an expression other than a selector, start timestamps are not known.
        "start_timestamp" => |_, _, _, _, _| Ok(Val::Vector(Vec::new())),
        "day_of_month" => |ev, _, _, t, args| Ok(date_function(ev, t, args, Field::DayOfMonth)),
        "day_of_week" => |ev, _, _, t, args| Ok(date_function(ev, t, args, Field::DayOfWeek)),
        "day_of_year" => |ev, _, _, t, args| Ok(date_function(ev, t, args, Field::DayOfYear)),
        "days_in_month" => |ev, _, _, t, args| Ok(date_function(ev, t, args, Field::DaysInMonth)),
        "hour" => |ev, _, _, t, args| Ok(date_function(ev, t, args, Field::Hour)),
        "minute" => |ev, _, _, t, args| Ok(date_function(ev, t, args, Field::Minute)),
        "month" => |ev, _, _, t, args| Ok(date_function(ev, t, args, Field::Month)),
        "year" => |ev, _, _, t, args| Ok(date_function(ev, t, args, Field::Year)),
        "sort_by_label" => |_, call, _, _, args| Ok(labels::sort_by_label(call, args, false)),
        "sort_by_label_desc" => |_, call, _, _, args| Ok(labels::sort_by_label(call, args, true)),
        "histogram_count" => |ev, _, _, _, args| Ok(histogram::simple(ev, args, |h| h.count)),
        "histogram_sum" => |ev, _, _, _, args| Ok(histogram::simple(ev, args, |h| h.sum)),
        "histogram_avg" => |ev, _, _, _, args| Ok(histogram::simple(ev, args, |h| h.sum / h.count)),
        "histogram_stddev" => |ev, _, _, _, args| {
            Ok(histogram::simple(ev, args, |h| {
                histogram::variance(h).sqrt()
            }))
        },
        "histogram_stdvar" => {
            |ev, _, _, _, args| Ok(histogram::simple(ev, args, histogram::variance))
        }
        "histogram_fraction" => histogram::histogram_fraction,
        "histogram_quantile" => histogram::histogram_quantile,
        "histogram_quantiles" => histogram::histogram_quantiles,
        _ => return None,
    })
}

/// The scalar argument at `i` (NaN when missing).
pub(super) fn scalar(args: &[Val<'_>], i: usize) -> f64 {
    match args.get(i) {
        Some(Val::Scalar(f)) => *f,
        _ => f64::NAN,
    }
}

/// The vector in an argument (empty when it is not a vector).
pub(super) fn vector(arg: Option<Val<'_>>) -> Vec<Sample> {
    match arg {
        Some(Val::Vector(v)) => v,
        _ => Vec::new(),
    }
}

/// Applies `f` to every float sample of the first argument; histograms are dropped, names too.
pub(super) fn simple<'s>(
    ev: &mut Evaluator<'s>,
    args: Vec<Val<'s>>,
    f: impl Fn(f64) -> f64,
) -> Val<'s> {
    let mut out = Vec::new();
    for mut s in vector(args.into_iter().next()) {
        if s.h.is_some() {
            continue;
        }
        s.f = f(s.f);
        ev.drop_name(&mut s);
        out.push(s);
    }
    Val::Vector(out)
}

fn clamp<'s>(ev: &mut Evaluator<'s>, args: Vec<Val<'s>>, lo: f64, hi: f64) -> Val<'s> {
    if hi < lo {
        return Val::Vector(Vec::new());
    }
    simple(ev, args, |f| go_max(lo, go_min(hi, f)))
}

/// `sort`/`sort_desc`: float samples by value, NaN last; histograms dropped.
fn sort_by_value(mut v: Vec<Sample>, descending: bool) -> Vec<Sample> {
    v.retain(|s| s.h.is_none());
    v.sort_by(|a, b| {
        use std::cmp::Ordering::*;
        match (a.f.is_nan(), b.f.is_nan()) {
            (true, true) => Equal,
            (true, false) => Greater,
            (false, true) => Less,
            (false, false) => {
                let o = a.f.partial_cmp(&b.f).unwrap_or(Equal);
                if descending { o.reverse() } else { o }
            }
        }
    });
    v
}

/// An unlabelled one-sample vector.
pub(super) fn scalar_vector<'s>(f: f64) -> Val<'s> {
    Val::Vector(vec![Sample::float(Labels::empty(), f)])
}

/// `timestamp(selector)` and `start_timestamp(selector)`: the timestamps (or start timestamps)
/// of the samples an instant selector sees.
///
/// With an `@` modifier Prometheus looks the samples up at the `@` time and ignores the
/// selector's offset (`rangeEvalTimestampFunctionOverVectorSelector` replaces the offset with
/// the distance to the `@` time); this follows it.
pub(super) fn timestamp_of_selector<'s>(
    ev: &mut Evaluator<'s>,
    vs: &VectorSelector,
    start: bool,
    t: Timestamp,
) -> Result<Val<'s>, EvalError> {
    let found = match vs.at {
        Some(at) => {
            let at_t = match at {
                AtModifier::Timestamp(ts) => ts,
                AtModifier::Start => ev.start,
                AtModifier::End => ev.end,
            };
            ev.vector_selector_timestamps_at(vs, at_t)?
        }
        None => ev.vector_selector_timestamps(vs, t)?,
    };
    let mut out = Vec::with_capacity(found.len());
    for (metric, ts, st) in found {
        if start && !ev.opts.use_start_timestamps {
            continue;
        }
        let value = if start { st } else { ts };
        let mut s = Sample::float(metric, value as f64 / 1000.0);
        ev.drop_name(&mut s);
        out.push(s);
    }
    Ok(Val::Vector(out))
}
