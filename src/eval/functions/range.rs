//! Range-vector functions: `rate`, `increase`, `delta`, `irate`, `idelta`, `*_over_time`,
//! `changes`, `resets`, `deriv`, `predict_linear`.

use super::{Out, RangeCtx, RangeFn};
use crate::eval::aggregate::{kahan_inc, quantile};
use crate::eval::error::EvalError;
use crate::eval::value::RangeSeries;
use crate::model::{FPoint, Timestamp};

/// The range function called `name`, if it is one.
pub(super) fn lookup(name: &str) -> Option<RangeFn> {
    Some(match name {
        "rate" => rate,
        "increase" => increase,
        "delta" => delta,
        "irate" => irate,
        "idelta" => idelta,
        "avg_over_time" => avg_over_time,
        "sum_over_time" => sum_over_time,
        "count_over_time" => count_over_time,
        "min_over_time" => min_over_time,
        "max_over_time" => max_over_time,
        "last_over_time" => last_over_time,
        "first_over_time" => first_over_time,
        "present_over_time" => present_over_time,
        "absent_over_time" => present_over_time,
        "stddev_over_time" => stddev_over_time,
        "stdvar_over_time" => stdvar_over_time,
        "quantile_over_time" => quantile_over_time,
        "changes" => changes,
        "resets" => resets,
        "deriv" => deriv,
        "predict_linear" => predict_linear,
        _ => return None,
    })
}

fn metric_name<'a>(s: &'a RangeSeries<'_>) -> &'a str {
    s.metric.metric_name().unwrap_or("")
}

fn mixed_warning(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) {
    ctx.annotations.warn(
        format!(
            "encountered a mix of histograms and floats for metric name {:?}",
            metric_name(s)
        ),
        ctx.arg_span,
    );
}

fn histogram_ignored_info(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) {
    ctx.annotations.info(
        format!(
            "ignored histograms in a range containing both floats and histograms for metric name {:?}",
            metric_name(s)
        ),
        ctx.arg_span,
    );
}

fn rate(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    extrapolated_rate(ctx, s, true, true)
}

fn increase(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    extrapolated_rate(ctx, s, true, false)
}

fn delta(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    extrapolated_rate(ctx, s, false, false)
}

/// Prometheus's `isStartTimestampReset`.
pub(super) fn is_start_timestamp_reset(prev_st: i64, prev_t: i64, cur_st: i64, cur_t: i64) -> bool {
    if cur_st == 0 || cur_st >= cur_t {
        return false;
    }
    if cur_st < prev_t {
        return false;
    }
    if cur_st > prev_t {
        return true;
    }
    if prev_st > prev_t {
        return false;
    }
    prev_st != 0 && prev_st != prev_t
}

/// `rate`, `increase` and `delta` over floats: the difference between the first and last
/// sample (corrected for counter resets), extrapolated towards the window edges.
fn extrapolated_rate(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
    is_counter: bool,
    is_rate: bool,
) -> Result<Option<Out>, EvalError> {
    if !s.histograms.is_empty() && !s.floats.is_empty() {
        mixed_warning(ctx, s);
        return Ok(None);
    }
    if !s.histograms.is_empty() {
        return Err(EvalError::Unsupported(
            "rate/increase/delta over native histograms",
        ));
    }
    if ctx.anchored || ctx.smoothed {
        return Ok(extended_rate(ctx, &s.floats, is_counter, is_rate).map(Out::Float));
    }
    let floats = &s.floats;
    if floats.is_empty() {
        return Ok(None);
    }
    let starts: &[Timestamp] = match (&s.float_start_times, ctx.use_start_timestamps) {
        (Some(st), true) => st,
        _ => &[],
    };
    let n_minus_one = floats.len() - 1;
    let first_t = floats[0].t;
    let last_t = floats[n_minus_one].t;
    let mut result = floats[n_minus_one].f - floats[0].f;
    if is_counter {
        let mut overlap = false;
        for i in 0..n_minus_one {
            let (prev, cur) = (floats[i], floats[i + 1]);
            if !overlap && i + 1 < starts.len() {
                let (prev_st, cur_st) = (starts[i], starts[i + 1]);
                if cur_st != 0 && cur_st < prev.t && cur_st != prev_st {
                    ctx.annotations.warn(
                        format!(
                            "sample has start time that overlaps with previous sample timestamp for metric name {:?}",
                            metric_name(s)
                        ),
                        ctx.arg_span,
                    );
                    overlap = true;
                }
            }
            let st_reset = i + 1 < starts.len()
                && is_start_timestamp_reset(starts[i], prev.t, starts[i + 1], cur.t);
            if cur.f < prev.f || st_reset {
                result += prev.f;
            }
        }
    }
    if ctx.prometheus2 {
        return Ok(
            prometheus2_extrapolation(ctx, floats, result, is_counter, is_rate).map(Out::Float),
        );
    }
    let mut duration_to_start = (first_t - ctx.range_start) as f64 / 1000.0;
    let mut duration_to_end = (ctx.range_end - last_t) as f64 / 1000.0;
    let mut sampled_interval = (last_t - first_t) as f64 / 1000.0;
    let average = if n_minus_one > 0 {
        sampled_interval / n_minus_one as f64
    } else {
        0.0
    };
    let threshold = average * 1.1;
    if is_counter
        && !starts.is_empty()
        && starts[0] != 0
        && starts[0] > ctx.range_start
        && starts[0] < first_t
    {
        duration_to_start = 0.0;
        sampled_interval = (last_t - starts[0]) as f64 / 1000.0;
        result += floats[0].f;
    } else if n_minus_one == 0 {
        return Ok(None);
    } else {
        if duration_to_start >= threshold {
            duration_to_start = average / 2.0;
        }
        if is_counter {
            let mut duration_to_zero = duration_to_start;
            if result > 0.0 && floats[0].f >= 0.0 {
                duration_to_zero = sampled_interval * (floats[0].f / result);
            }
            if duration_to_zero < duration_to_start {
                duration_to_start = duration_to_zero;
            }
        }
    }
    if duration_to_end >= threshold {
        duration_to_end = average / 2.0;
    }
    let mut factor = 1.0;
    if sampled_interval != 0.0 {
        factor = (sampled_interval + duration_to_start + duration_to_end) / sampled_interval;
    }
    if is_rate {
        factor /= ctx.range as f64 / 1000.0;
    }
    Ok(Some(Out::Float(result * factor)))
}

/// The extrapolation of Prometheus 2.x before 2.51: the zero-point cap applies before the
/// half-interval limit, and the window is left-closed.
fn prometheus2_extrapolation(
    ctx: &RangeCtx<'_, '_>,
    floats: &[FPoint],
    result: f64,
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    if floats.len() < 2 {
        return None;
    }
    let first = floats[0];
    let last = floats[floats.len() - 1];
    let mut duration_to_start = (first.t - ctx.range_start) as f64 / 1000.0;
    let duration_to_end = (ctx.range_end - last.t) as f64 / 1000.0;
    let sampled_interval = (last.t - first.t) as f64 / 1000.0;
    let average = sampled_interval / (floats.len() - 1) as f64;
    if is_counter && result > 0.0 && first.f >= 0.0 {
        let duration_to_zero = sampled_interval * (first.f / result);
        if duration_to_zero < duration_to_start {
            duration_to_start = duration_to_zero;
        }
    }
    let threshold = average * 1.1;
    let mut extrapolate_to = sampled_interval;
    extrapolate_to += if duration_to_start < threshold {
        duration_to_start
    } else {
        average / 2.0
    };
    extrapolate_to += if duration_to_end < threshold {
        duration_to_end
    } else {
        average / 2.0
    };
    let mut value = result * (extrapolate_to / sampled_interval);
    if is_rate {
        value /= ctx.range as f64 / 1000.0;
    }
    Some(value)
}

/// `rate`/`increase`/`delta` over `anchored` or `smoothed` windows (Prometheus's
/// `extendedRate`). The points already carry the synthesized edge points.
fn extended_rate(
    ctx: &RangeCtx<'_, '_>,
    f: &[FPoint],
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    if f.len() < 2 {
        return None;
    }
    let left = f[0].f;
    let right = f[f.len() - 1].f;
    let mut result = right - left;
    if is_counter {
        let mut correction = 0.0;
        let mut prev = left;
        for p in &f[1..f.len() - 1] {
            if p.f < prev {
                correction += prev;
            }
            prev = p.f;
        }
        if right < prev {
            correction += prev;
        }
        result += correction;
    }
    if is_rate {
        result /= ctx.range as f64 / 1000.0;
    }
    Some(result)
}

fn irate(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    instant_value(ctx, s, true)
}

fn idelta(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    instant_value(ctx, s, false)
}

/// `irate`/`idelta` over floats: the last two samples.
fn instant_value(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
    is_rate: bool,
) -> Result<Option<Out>, EvalError> {
    if s.floats.len() + s.histograms.len() < 2 {
        return Ok(None);
    }
    if !s.histograms.is_empty() {
        return Err(EvalError::Unsupported(
            "irate/idelta over native histograms",
        ));
    }
    let n = s.floats.len();
    let (prev, cur) = (s.floats[n - 2], s.floats[n - 1]);
    let (prev_st, cur_st) = match (&s.float_start_times, ctx.use_start_timestamps) {
        (Some(st), true) => (st[n - 2], st[n - 1]),
        _ => (0, 0),
    };
    let interval = cur.t - prev.t;
    if interval == 0 {
        return Ok(None);
    }
    let mut value = cur.f;
    if !is_rate || !(cur.f < prev.f || is_start_timestamp_reset(prev_st, prev.t, cur_st, cur.t)) {
        value = cur.f - prev.f;
    }
    if is_rate {
        value /= interval as f64 / 1000.0;
    }
    Ok(Some(Out::Float(value)))
}

fn floats_only<'a>(ctx: &mut RangeCtx<'_, '_>, s: &'a RangeSeries<'_>) -> Option<&'a [FPoint]> {
    if s.floats.is_empty() {
        return None;
    }
    if !s.histograms.is_empty() {
        histogram_ignored_info(ctx, s);
    }
    Some(&s.floats)
}

fn avg_over_time(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    if !s.floats.is_empty() && !s.histograms.is_empty() {
        mixed_warning(ctx, s);
        return Ok(None);
    }
    if s.floats.is_empty() {
        return Err(EvalError::Unsupported(
            "avg_over_time over native histograms",
        ));
    }
    let f = &s.floats;
    let (mut sum, mut count) = (f[0].f, 1.0);
    let (mut mean, mut c) = (0.0, 0.0);
    let mut incremental = false;
    for (i, p) in f[1..].iter().enumerate() {
        count = (i + 2) as f64;
        if !incremental {
            let (new_sum, new_c) = kahan_inc(p.f, sum, c);
            if !new_sum.is_infinite() {
                sum = new_sum;
                c = new_c;
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_inc(p.f / count, q * mean, q * c);
    }
    let value = if incremental {
        mean + c
    } else {
        sum / count + c / count
    };
    Ok(Some(Out::Float(value)))
}

fn sum_over_time(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    if !s.floats.is_empty() && !s.histograms.is_empty() {
        mixed_warning(ctx, s);
        return Ok(None);
    }
    if s.floats.is_empty() {
        return Err(EvalError::Unsupported(
            "sum_over_time over native histograms",
        ));
    }
    let (mut sum, mut c) = (0.0, 0.0);
    for p in s.floats.iter() {
        (sum, c) = kahan_inc(p.f, sum, c);
    }
    Ok(Some(Out::Float(if sum.is_infinite() {
        sum
    } else {
        sum + c
    })))
}

fn count_over_time(
    _ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    Ok(Some(Out::Float(
        (s.floats.len() + s.histograms.len()) as f64,
    )))
}

fn present_over_time(
    _ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    if s.floats.is_empty() && s.histograms.is_empty() {
        return Ok(None);
    }
    Ok(Some(Out::Float(1.0)))
}

fn compare_over_time(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
    better: fn(f64, f64) -> bool,
) -> Result<Option<Out>, EvalError> {
    let Some(f) = floats_only(ctx, s) else {
        return Ok(None);
    };
    let mut best = f[0].f;
    for p in f {
        if better(p.f, best) {
            best = p.f;
        }
    }
    Ok(Some(Out::Float(best)))
}

fn max_over_time(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    compare_over_time(ctx, s, |cur, best| cur > best || best.is_nan())
}

fn min_over_time(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    compare_over_time(ctx, s, |cur, best| cur < best || best.is_nan())
}

fn last_over_time(
    _ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    let f = s.floats.last();
    let h = s.histograms.last();
    Ok(match (f, h) {
        (None, None) => None,
        (Some(f), None) => Some(Out::Float(f.f)),
        (Some(f), Some(h)) if h.t < f.t => Some(Out::Float(f.f)),
        (_, Some(h)) => Some(Out::Histogram(h.h.clone())),
    })
}

fn first_over_time(
    _ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    let f = s.floats.first();
    let h = s.histograms.first();
    Ok(match (f, h) {
        (None, None) => None,
        (Some(f), None) => Some(Out::Float(f.f)),
        (Some(f), Some(h)) if f.t < h.t => Some(Out::Float(f.f)),
        (_, Some(h)) => Some(Out::Histogram(h.h.clone())),
    })
}

fn variance(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) -> Option<f64> {
    let f = floats_only(ctx, s)?;
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in f {
        count += 1.0;
        let delta = p.f - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (p.f - (mean + c_mean)), aux, c_aux);
    }
    Some((aux + c_aux) / count)
}

fn stddev_over_time(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    Ok(variance(ctx, s).map(|v| Out::Float(v.sqrt())))
}

fn stdvar_over_time(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    Ok(variance(ctx, s).map(Out::Float))
}

fn quantile_over_time(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    let q = ctx.scalars.first().copied().unwrap_or(f64::NAN);
    if s.floats.is_empty() {
        return Ok(None);
    }
    if q.is_nan() || !(0.0..=1.0).contains(&q) {
        ctx.annotations.warn(
            format!(
                "quantile value should be between 0 and 1, got {}",
                crate::model::format_float_g(q)
            ),
            ctx.call.args[0].span,
        );
    }
    if !s.histograms.is_empty() {
        histogram_ignored_info(ctx, s);
    }
    let mut values: Vec<f64> = s.floats.iter().map(|p| p.f).collect();
    Ok(Some(Out::Float(quantile(q, &mut values))))
}

/// The index of the first sample to use with `anchored`: the last one at or before the
/// window start (Prometheus's `pickFirstSampleIndices`, float-only form).
fn first_index(ctx: &RangeCtx<'_, '_>, f: &[FPoint]) -> Option<usize> {
    if !ctx.anchored {
        return Some(0);
    }
    let last_le = f.partition_point(|p| p.t <= ctx.range_start);
    if last_le >= f.len() {
        return None;
    }
    Some(last_le.saturating_sub(1))
}

fn changes(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    if s.floats.is_empty() && s.histograms.is_empty() {
        return Ok(None);
    }
    if !s.histograms.is_empty() {
        return Err(EvalError::Unsupported("changes over native histograms"));
    }
    let Some(first) = first_index(ctx, &s.floats) else {
        return Ok(None);
    };
    let f = &s.floats[first..];
    let mut count = 0;
    for w in f.windows(2) {
        let (prev, cur) = (w[0].f, w[1].f);
        if cur != prev && !(cur.is_nan() && prev.is_nan()) {
            count += 1;
        }
    }
    Ok(Some(Out::Float(count as f64)))
}

fn resets(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    if s.floats.is_empty() && s.histograms.is_empty() {
        return Ok(None);
    }
    if !s.histograms.is_empty() {
        return Err(EvalError::Unsupported("resets over native histograms"));
    }
    let Some(first) = first_index(ctx, &s.floats) else {
        return Ok(None);
    };
    let starts: &[Timestamp] = match (&s.float_start_times, ctx.use_start_timestamps) {
        (Some(st), true) => st,
        _ => &[],
    };
    let f = &s.floats;
    let mut count = 0;
    for i in first + 1..f.len() {
        let st_reset = i < starts.len()
            && is_start_timestamp_reset(starts[i - 1], f[i - 1].t, starts[i], f[i].t);
        if f[i].f < f[i - 1].f || st_reset {
            count += 1;
        }
    }
    Ok(Some(Out::Float(count as f64)))
}

/// Least-squares fit of the points, with x in seconds relative to `intercept_time`.
fn linear_regression(samples: &[FPoint], intercept_time: Timestamp) -> (f64, f64) {
    let (mut n, mut sum_x, mut c_x, mut sum_y, mut c_y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sum_xy, mut c_xy, mut sum_x2, mut c_x2) = (0.0, 0.0, 0.0, 0.0);
    let init_y = samples[0].f;
    let mut const_y = true;
    for (i, p) in samples.iter().enumerate() {
        if const_y && i > 0 && p.f != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (p.t - intercept_time) as f64 / 1e3;
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

fn deriv(ctx: &mut RangeCtx<'_, '_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    if s.floats.len() < 2 {
        if s.floats.len() == 1 && !s.histograms.is_empty() {
            histogram_ignored_info(ctx, s);
        }
        return Ok(None);
    }
    let (slope, _) = linear_regression(&s.floats, s.floats[0].t);
    if !s.histograms.is_empty() {
        histogram_ignored_info(ctx, s);
    }
    Ok(Some(Out::Float(slope)))
}

fn predict_linear(
    ctx: &mut RangeCtx<'_, '_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    let duration = ctx.scalars.first().copied().unwrap_or(f64::NAN);
    if s.floats.len() < 2 {
        if s.floats.len() == 1 && !s.histograms.is_empty() {
            histogram_ignored_info(ctx, s);
        }
        return Ok(None);
    }
    let (slope, intercept) = linear_regression(&s.floats, ctx.t);
    if !s.histograms.is_empty() {
        histogram_ignored_info(ctx, s);
    }
    Ok(Some(Out::Float(slope * duration + intercept)))
}
