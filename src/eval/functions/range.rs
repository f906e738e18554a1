//! The range-function table and the range functions that are neither rates nor `*_over_time`
//! aggregations: `changes`, `resets`, `deriv`, `predict_linear` and
//! `double_exponential_smoothing` (`holt_winters` in Prometheus 2).

use super::hist_ops;
use super::over_time::{self, histogram_ignored};
use super::rate::{self, is_start_timestamp_reset};
use super::{Out, RangeCtx, RangeFn};
use crate::eval::aggregate::kahan_inc;
use crate::eval::error::EvalError;
use crate::eval::value::RangeSeries;
use crate::model::{FPoint, FloatHistogram, HPoint, Timestamp};

type Result<T> = std::result::Result<T, EvalError>;

/// The range function called `name`, if it is one.
pub(super) fn lookup(name: &str) -> Option<RangeFn> {
    Some(match name {
        "rate" => rate::rate,
        "increase" => rate::increase,
        "delta" => rate::delta,
        "irate" => rate::irate,
        "idelta" => rate::idelta,
        "avg_over_time" => over_time::avg_over_time,
        "sum_over_time" => over_time::sum_over_time,
        "count_over_time" => over_time::count_over_time,
        "min_over_time" => over_time::min_over_time,
        "max_over_time" => over_time::max_over_time,
        "last_over_time" => over_time::last_over_time,
        "first_over_time" => over_time::first_over_time,
        "present_over_time" => over_time::present_over_time,
        "absent_over_time" => over_time::present_over_time,
        "stddev_over_time" => over_time::stddev_over_time,
        "stdvar_over_time" => over_time::stdvar_over_time,
        "quantile_over_time" => over_time::quantile_over_time,
        "mad_over_time" => over_time::mad_over_time,
        "ts_of_first_over_time" => over_time::ts_of_first_over_time,
        "ts_of_last_over_time" => over_time::ts_of_last_over_time,
        "ts_of_min_over_time" => over_time::ts_of_min_over_time,
        "ts_of_max_over_time" => over_time::ts_of_max_over_time,
        "changes" => changes,
        "resets" => resets,
        "deriv" => deriv,
        "predict_linear" => predict_linear,
        // `holt_winters` is Prometheus 2's name; the parser only accepts it in that dialect.
        "double_exponential_smoothing" | "holt_winters" => double_exponential_smoothing,
        _ => return None,
    })
}

/// Prometheus's `pickFirstSampleIndices`: with `anchored`, the newest sample at or before the
/// window start (of either kind) is the baseline and older ones are skipped. `None` when no
/// sample lies after the window start.
fn pick_first_sample_indices(
    ctx: &RangeCtx<'_>,
    floats: &[FPoint],
    histograms: &[HPoint],
) -> Option<(usize, usize)> {
    if !ctx.anchored {
        return Some((0, 0));
    }
    // One past the last float / histogram at or before the window start.
    let floats_le = floats.partition_point(|p| p.t <= ctx.range_start);
    let hists_le = histograms.partition_point(|p| p.t <= ctx.range_start);
    if floats_le >= floats.len() && hists_le >= histograms.len() {
        return None;
    }
    match (floats_le.checked_sub(1), hists_le.checked_sub(1)) {
        (None, None) => Some((0, 0)),
        (Some(f), None) => Some((f, hists_le)),
        (Some(f), Some(h)) if floats[f].t >= histograms[h].t => Some((f, hists_le)),
        (_, Some(h)) => Some((floats_le, h)),
    }
}

/// A sample of either kind while walking floats and histograms in time order.
#[derive(Clone, Copy)]
enum Value<'a> {
    Float(f64),
    Histogram(&'a FloatHistogram),
}

/// Walks the floats and histograms of `s` from the given indices in time order, calling `f`
/// with the timestamp, value and start timestamp (0 when unknown).
fn walk<'a>(
    floats: &'a [FPoint],
    histograms: &'a [HPoint],
    float_starts: &[Timestamp],
    hist_starts: &[Timestamp],
    (mut i_f, mut i_h): (usize, usize),
    mut f: impl FnMut(Timestamp, Value<'a>, Timestamp),
) {
    while i_f < floats.len() || i_h < histograms.len() {
        let take_float =
            i_h >= histograms.len() || (i_f < floats.len() && floats[i_f].t < histograms[i_h].t);
        if take_float {
            f(
                floats[i_f].t,
                Value::Float(floats[i_f].f),
                float_starts.get(i_f).copied().unwrap_or(0),
            );
            i_f += 1;
        } else {
            f(
                histograms[i_h].t,
                Value::Histogram(&histograms[i_h].h),
                hist_starts.get(i_h).copied().unwrap_or(0),
            );
            i_h += 1;
        }
    }
}

fn changes(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    if s.floats.is_empty() && s.histograms.is_empty() {
        return Ok(None);
    }
    let Some(first) = pick_first_sample_indices(ctx, &s.floats, &s.histograms) else {
        return Ok(None);
    };
    let mut changes = 0usize;
    let mut prev: Option<Value<'_>> = None;
    walk(&s.floats, &s.histograms, &[], &[], first, |_, cur, _| {
        if let Some(prev) = prev {
            let changed = match (prev, cur) {
                (Value::Float(a), Value::Float(b)) => b != a && !(a.is_nan() && b.is_nan()),
                (Value::Histogram(a), Value::Histogram(b)) => !hist_ops::equals(b, a),
                _ => true,
            };
            if changed {
                changes += 1;
            }
        }
        prev = Some(cur);
    });
    Ok(Some(Out::Float(changes as f64)))
}

fn resets(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    if s.floats.is_empty() && s.histograms.is_empty() {
        return Ok(None);
    }
    let Some(first) = pick_first_sample_indices(ctx, &s.floats, &s.histograms) else {
        return Ok(None);
    };
    let float_starts = ctx.float_starts(s);
    let hist_starts = ctx.histogram_starts(s);
    let mut resets = 0usize;
    let mut prev: Option<(Timestamp, Value<'_>, Timestamp)> = None;
    walk(
        &s.floats,
        &s.histograms,
        float_starts,
        hist_starts,
        first,
        |t, cur, st| {
            if let Some((prev_t, prev_v, prev_st)) = prev {
                let reset = match (prev_v, cur) {
                    (Value::Float(a), Value::Float(b)) => {
                        b < a || is_start_timestamp_reset(prev_st, prev_t, st, t)
                    }
                    (Value::Histogram(a), Value::Histogram(b)) => {
                        is_start_timestamp_reset(prev_st, prev_t, st, t)
                            || hist_ops::detect_reset(b, a)
                    }
                    _ => true,
                };
                if reset {
                    resets += 1;
                }
            }
            prev = Some((t, cur, st));
        },
    );
    Ok(Some(Out::Float(resets as f64)))
}

/// Least-squares fit of the points, with x in seconds relative to `intercept_time`: the slope
/// and the value at `intercept_time` (Prometheus's `linearRegression`, Kahan-summed).
pub(super) fn linear_regression(samples: &[FPoint], intercept_time: Timestamp) -> (f64, f64) {
    linear_regression_with(samples, intercept_time, kahan_inc)
}

/// `linearRegression` with the Kahan increment of a given Prometheus version (2.42's does not
/// reset the compensation on overflow).
pub(crate) fn linear_regression_with(
    samples: &[FPoint],
    intercept_time: Timestamp,
    kahan_inc: fn(f64, f64, f64) -> (f64, f64),
) -> (f64, f64) {
    let (mut n, mut sum_x, mut c_x, mut sum_y, mut c_y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sum_xy, mut c_xy, mut sum_x2, mut c_x2) = (0.0, 0.0, 0.0, 0.0);
    let init_y = samples[0].f;
    let mut const_y = true;
    for (i, p) in samples.iter().enumerate() {
        if const_y && i > 0 && p.f != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = p.t.wrapping_sub(intercept_time) as f64 / 1e3;
        (sum_x, c_x) = kahan_inc(x, sum_x, c_x);
        (sum_y, c_y) = kahan_inc(p.f, sum_y, c_y);
        (sum_xy, c_xy) = kahan_inc(x * p.f, sum_xy, c_xy);
        (sum_x2, c_x2) = kahan_inc(x * x, sum_x2, c_x2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    sum_x += c_x;
    sum_y += c_y;
    sum_xy += c_xy;
    sum_x2 += c_x2;
    let cov_xy = sum_xy - sum_x * sum_y / n;
    let var_x = sum_x2 - sum_x * sum_x / n;
    let slope = cov_xy / var_x;
    let intercept = sum_y / n - slope * sum_x / n;
    (slope, intercept)
}

/// The floats of a function that needs at least two: `None` (with the info when a single float
/// came with histograms) if there are fewer.
fn at_least_two_floats<'a>(ctx: &mut RangeCtx<'_>, s: &'a RangeSeries<'_>) -> Option<&'a [FPoint]> {
    if s.floats.len() < 2 {
        if s.floats.len() == 1 && !s.histograms.is_empty() {
            histogram_ignored(ctx, s);
        }
        return None;
    }
    if !s.histograms.is_empty() {
        histogram_ignored(ctx, s);
    }
    Some(&s.floats)
}

fn deriv(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    let Some(f) = at_least_two_floats(ctx, s) else {
        return Ok(None);
    };
    // An intercept time near the values avoids precision loss (prometheus/prometheus#2674).
    let (slope, _) = if ctx.prometheus2 {
        crate::eval::prometheus2::linear_regression(f, f[0].t)
    } else {
        linear_regression(f, f[0].t)
    };
    Ok(Some(Out::Float(slope)))
}

fn predict_linear(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    let duration = ctx.scalars.first().copied().unwrap_or(f64::NAN);
    let Some(f) = at_least_two_floats(ctx, s) else {
        return Ok(None);
    };
    let (slope, intercept) = if ctx.prometheus2 {
        crate::eval::prometheus2::linear_regression(f, ctx.t)
    } else {
        linear_regression(f, ctx.t)
    };
    Ok(Some(Out::Float(slope * duration + intercept)))
}

/// Go's `%f`: six decimals, `NaN`, `+Inf`, `-Inf`.
fn go_percent_f(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        format!("{f:.6}")
    }
}

/// `double_exponential_smoothing(v, sf, tf)`: Holt's linear trend smoothing of the floats.
fn double_exponential_smoothing(
    ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>> {
    let (Some(&sf), Some(&tf)) = (ctx.scalars.first(), ctx.scalars.get(1)) else {
        return Ok(None);
    };
    // NaN factors pass these checks, as in Prometheus.
    if sf <= 0.0 || sf >= 1.0 {
        return Err(EvalError::InvalidSmoothingFactor(go_percent_f(sf)));
    }
    if tf <= 0.0 || tf >= 1.0 {
        return Err(EvalError::InvalidTrendFactor(go_percent_f(tf)));
    }
    let Some(f) = at_least_two_floats(ctx, s) else {
        return Ok(None);
    };
    Ok(Some(Out::Float(smooth(f, sf, tf))))
}

fn smooth(f: &[FPoint], sf: f64, tf: f64) -> f64 {
    let mut s0 = 0.0;
    let mut s1 = f[0].f;
    let mut b = f[1].f - f[0].f;
    for (i, p) in f.iter().enumerate().skip(1) {
        let x = sf * p.f;
        // The trend at the previous point (Prometheus's `calcTrendValue(i-1, ...)`).
        if i - 1 != 0 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        s0 = s1;
        s1 = x + y;
    }
    s1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[(i64, f64)]) -> Vec<FPoint> {
        values.iter().map(|&(t, f)| FPoint { t, f }).collect()
    }

    #[test]
    fn linear_regression_matches_the_corpus_comment() {
        // functions.test: X/s = 0, 300, ..., 3000; Y = 0 10 20 30 40 0 10 20 30 40 50.
        let ys = [
            0.0, 10.0, 20.0, 30.0, 40.0, 0.0, 10.0, 20.0, 30.0, 40.0, 50.0,
        ];
        let samples: Vec<FPoint> = ys
            .iter()
            .enumerate()
            .map(|(i, &f)| FPoint {
                t: i as i64 * 300_000,
                f,
            })
            .collect();
        let (slope, intercept) = linear_regression(&samples, 0);
        assert!((slope - 0.010606060606060607).abs() < 1e-15);
        assert!((intercept - 6.818181818181818).abs() < 1e-12);
        let (_, at_end) = linear_regression(&samples, 3_000_000);
        assert!((at_end - 38.63636363636364).abs() < 1e-12);
    }

    #[test]
    fn linear_regression_of_constants() {
        assert_eq!(
            linear_regression(&points(&[(0, 3.0), (1000, 3.0)]), 0),
            (0.0, 3.0)
        );
        let (s, i) = linear_regression(&points(&[(0, f64::INFINITY), (1000, f64::INFINITY)]), 0);
        assert!(s.is_nan() && i.is_nan());
    }

    #[test]
    fn smoothing_follows_a_linear_trend() {
        let samples: Vec<FPoint> = (0..10)
            .map(|i| FPoint {
                t: i * 10_000,
                f: 10.0 * i as f64,
            })
            .collect();
        assert!((smooth(&samples, 0.01, 0.1) - 90.0).abs() < 1e-9);
    }

    #[test]
    fn percent_f() {
        assert_eq!(go_percent_f(0.0), "0.000000");
        assert_eq!(go_percent_f(1.5), "1.500000");
        assert_eq!(go_percent_f(f64::NEG_INFINITY), "-Inf");
    }
}
