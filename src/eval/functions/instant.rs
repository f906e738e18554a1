//! Functions over instant vectors and scalars.

use super::{InstantFn, absent_labels, string_arg};
use crate::eval::engine::{Evaluator, check_no_duplicates, go_max, go_min};
use crate::eval::error::EvalError;
use crate::eval::value::{Sample, Val};
use crate::model::{Labels, METRIC_NAME, Timestamp};
use crate::promql::{Call, VectorSelector};

/// The instant function called `name`, if it is one.
pub(super) fn lookup(name: &str) -> Option<InstantFn> {
    Some(match name {
        "abs" => |ev, _, _, _, args| Ok(simple(ev, args, f64::abs)),
        "ceil" => |ev, _, _, _, args| Ok(simple(ev, args, f64::ceil)),
        "floor" => |ev, _, _, _, args| Ok(simple(ev, args, f64::floor)),
        "exp" => |ev, _, _, _, args| Ok(simple(ev, args, f64::exp)),
        "sqrt" => |ev, _, _, _, args| Ok(simple(ev, args, f64::sqrt)),
        "ln" => |ev, _, _, _, args| Ok(simple(ev, args, f64::ln)),
        "log2" => |ev, _, _, _, args| Ok(simple(ev, args, f64::log2)),
        "log10" => |ev, _, _, _, args| Ok(simple(ev, args, f64::log10)),
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
        "range" => |ev, _, _, _, _| Ok(Val::Scalar((ev.end - ev.start) as f64 / 1000.0)),
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
        "vector" => |_, _, _, _, args| {
            Ok(Val::Vector(vec![Sample::float(
                Labels::empty(),
                scalar(&args, 0),
            )]))
        },
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
                metric: absent_labels(&call.args[0]),
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
        "start_timestamp" => |_, _, _, _, _| Ok(Val::Vector(Vec::new())),
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

/// `timestamp(selector)` and `start_timestamp(selector)`: the timestamps of the samples an
/// instant selector sees.
pub(super) fn timestamp_of_selector<'s>(
    ev: &mut Evaluator<'s>,
    vs: &VectorSelector,
    start: bool,
    t: Timestamp,
) -> Result<Val<'s>, EvalError> {
    let found = ev.vector_selector_timestamps(vs, t)?;
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

/// Whether `name` is a valid label name under the UTF-8 scheme (any non-empty string).
fn valid_label_name(name: &str) -> bool {
    !name.is_empty()
}

/// `label_replace(v, dst, replacement, src, regex)`.
pub(super) fn label_replace<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    t: Timestamp,
) -> Result<Val<'s>, EvalError> {
    let dst = string_arg(&call.args[1]);
    let replacement = string_arg(&call.args[2]);
    let src = string_arg(&call.args[3]);
    let pattern = string_arg(&call.args[4]);
    let regex = regex::Regex::new(&format!("^(?s:{pattern})$"))
        .map_err(|_| EvalError::InvalidLabelReplaceRegex(pattern.clone()))?;
    if !valid_label_name(&dst) {
        return Err(EvalError::InvalidLabelReplaceDestination(dst));
    }
    let mut v = ev.eval_vector(&call.args[0], t)?;
    for s in &mut v {
        let value = s.metric.get_or_empty(&src).to_string();
        if let Some(caps) = regex.captures(&value) {
            let mut expanded = String::new();
            caps.expand(&replacement, &mut expanded);
            s.metric = s.metric.builder().set(dst.as_str(), expanded).build();
            if dst == METRIC_NAME {
                s.drop_name = false;
            }
        }
    }
    finish_relabel(ev, v)
}

/// `label_join(v, dst, separator, src...)`.
pub(super) fn label_join<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    t: Timestamp,
) -> Result<Val<'s>, EvalError> {
    let dst = string_arg(&call.args[1]);
    let separator = string_arg(&call.args[2]);
    let sources: Vec<String> = call.args[3..].iter().map(string_arg).collect();
    for src in &sources {
        if !valid_label_name(src) {
            return Err(EvalError::InvalidLabelJoinSource(src.clone()));
        }
    }
    if !valid_label_name(&dst) {
        return Err(EvalError::InvalidLabelJoinDestination(dst));
    }
    let mut v = ev.eval_vector(&call.args[0], t)?;
    for s in &mut v {
        let joined = sources
            .iter()
            .map(|src| s.metric.get_or_empty(src))
            .collect::<Vec<_>>()
            .join(&separator);
        s.metric = s.metric.builder().set(dst.as_str(), joined).build();
        if dst == METRIC_NAME {
            s.drop_name = false;
        }
    }
    finish_relabel(ev, v)
}

/// After relabelling, two samples may share labels: an error unless names are dropped later.
fn finish_relabel<'s>(ev: &Evaluator<'s>, v: Vec<Sample>) -> Result<Val<'s>, EvalError> {
    if !ev.delayed_name_removal() {
        check_no_duplicates(&v)?;
    } else {
        // With delayed removal, only samples that keep their names must be unique now.
        let named: Vec<Sample> = v.iter().filter(|s| !s.drop_name).cloned().collect();
        check_no_duplicates(&named)?;
    }
    Ok(Val::Vector(v))
}
