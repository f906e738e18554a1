//! The `*_over_time` aggregations: `avg`, `sum`, `count`, `min`, `max`, `first`, `last`,
//! `present`, `stddev`, `stdvar`, `quantile`, `mad` and the `ts_of_*` family.

use super::hist_ops::{self, HistError};
use super::rate::{mismatched_custom_buckets, mixed_exponential_custom, mixed_floats_histograms};
use super::{Out, RangeCtx, go_quote, metric_name};
use crate::eval::aggregate::{kahan_inc, quantile};
use crate::eval::error::EvalError;
use crate::eval::prometheus2 as p2;
use crate::eval::value::RangeSeries;
use crate::model::{CounterResetHint, FPoint, FloatHistogram, HPoint, format_float_g};
use std::sync::Arc;

type Result<T> = std::result::Result<T, EvalError>;

/// The info for ranges whose histograms a float function ignores.
pub(super) fn histogram_ignored(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) {
    ctx.info(format!(
        "ignored histograms in a range containing both floats and histograms for metric name {}",
        go_quote(metric_name(&s.metric))
    ));
}

/// The floats of a float-only function: `None` when there are none; the info when histograms
/// were ignored.
fn floats_only<'a>(ctx: &mut RangeCtx<'_>, s: &'a RangeSeries<'_>) -> Option<&'a [FPoint]> {
    if s.floats.is_empty() {
        return None;
    }
    if !s.histograms.is_empty() {
        histogram_ignored(ctx, s);
    }
    Some(&s.floats)
}

/// Tracks the counter-reset hints seen while summing histograms, for the collision warning.
#[derive(Default)]
struct HintTracker {
    reset: bool,
    not_reset: bool,
    reconciled: bool,
}

impl HintTracker {
    fn track(&mut self, h: &FloatHistogram) {
        match h.counter_reset_hint {
            CounterResetHint::Reset => self.reset = true,
            CounterResetHint::NotReset => self.not_reset = true,
            _ => {}
        }
    }

    fn report(&self, ctx: &mut RangeCtx<'_>) {
        if self.reset && self.not_reset {
            ctx.warn("conflicting counter resets during histogram aggregation".to_string());
        }
        if self.reconciled {
            ctx.info(mismatched_custom_buckets("aggregation"));
        }
    }
}

pub(super) fn avg_over_time(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    if let Some(out) = histogram_window(ctx, s, avg_histograms) {
        return Ok(out);
    }
    if ctx.prometheus2 {
        return Ok(Some(Out::Float(p2::avg_over_time(&s.floats))));
    }
    // Direct mean with Kahan summation while the sum stays finite, incremental mean after.
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

/// The result of a histogram aggregation: the histogram, or the warning for incompatible
/// schemas (which drops the output).
/// The start `sum_over_time` and `avg_over_time` share: a window mixing floats and histograms
/// warns and gives nothing, an empty one nothing, and a window of histograms `fold`s them.
/// `None` for a window of floats, which the caller folds.
fn histogram_window(
    ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
    fold: fn(&[HPoint], &mut HintTracker) -> std::result::Result<FloatHistogram, HistError>,
) -> Option<Option<Out>> {
    if !s.floats.is_empty() && !s.histograms.is_empty() {
        ctx.warn(mixed_floats_histograms(metric_name(&s.metric)));
        return Some(None);
    }
    if !s.floats.is_empty() {
        return None;
    }
    if s.histograms.is_empty() {
        return Some(None);
    }
    let mut tracker = HintTracker::default();
    let result = fold(&s.histograms, &mut tracker);
    if result.is_ok() {
        tracker.report(ctx);
    }
    Some(histogram_result(ctx, s, result))
}

fn histogram_result(
    ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
    result: std::result::Result<FloatHistogram, HistError>,
) -> Option<Out> {
    match result {
        Ok(h) => Some(Out::Histogram(Arc::new(h))),
        Err(HistError::IncompatibleSchema) => {
            ctx.warn(mixed_exponential_custom(metric_name(&s.metric)));
            None
        }
    }
}

/// The mean of histograms: a Kahan sum divided by the count, switching to an incremental mean
/// if the sum overflows (Prometheus's `avg_over_time` for histograms).
fn avg_histograms(
    h: &[HPoint],
    tracker: &mut HintTracker,
) -> std::result::Result<FloatHistogram, HistError> {
    let mut sum: FloatHistogram = (*h[0].h).clone();
    tracker.track(&sum);
    let mut mean: Option<FloatHistogram> = None;
    let mut c: Option<FloatHistogram> = None;
    let mut count = 1.0;
    let mut incremental = false;
    for (i, p) in h[1..].iter().enumerate() {
        tracker.track(&p.h);
        count = (i + 2) as f64;
        if !incremental {
            let mut sum_copy = sum.clone();
            let (new_c, outcome) = hist_ops::kahan_add(&mut sum_copy, &p.h, c.clone())?;
            tracker.reconciled |= outcome.nhcb_reconciled;
            if !hist_ops::has_overflow(&sum_copy) {
                sum = sum_copy;
                c = new_c;
                continue;
            }
            incremental = true;
            let mut m = sum.clone();
            hist_ops::div(&mut m, count - 1.0);
            mean = Some(m);
            if let Some(c) = c.as_mut() {
                hist_ops::div(c, count - 1.0);
            }
        }
        let q = (count - 1.0) / count;
        if let Some(c) = c.as_mut() {
            hist_ops::mul(c, q);
        }
        let mut to_add = (*p.h).clone();
        hist_ops::div(&mut to_add, count);
        let m = mean.get_or_insert_with(FloatHistogram::default);
        hist_ops::mul(m, q);
        let (new_c, outcome) = hist_ops::kahan_add(m, &to_add, c.take())?;
        tracker.reconciled |= outcome.nhcb_reconciled;
        c = new_c;
    }
    if incremental {
        let mut m = mean.unwrap_or_default();
        if let Some(c) = c {
            hist_ops::add(&mut m, &c)?;
        }
        return Ok(m);
    }
    hist_ops::div(&mut sum, count);
    if let Some(mut c) = c {
        hist_ops::div(&mut c, count);
        hist_ops::add(&mut sum, &c)?;
    }
    Ok(sum)
}

pub(super) fn sum_over_time(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    if let Some(out) = histogram_window(ctx, s, sum_histograms) {
        return Ok(out);
    }
    if ctx.prometheus2 {
        return Ok(Some(Out::Float(p2::sum_over_time(&s.floats))));
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

fn sum_histograms(
    h: &[HPoint],
    tracker: &mut HintTracker,
) -> std::result::Result<FloatHistogram, HistError> {
    let mut sum: FloatHistogram = (*h[0].h).clone();
    tracker.track(&sum);
    let mut c: Option<FloatHistogram> = None;
    for p in &h[1..] {
        tracker.track(&p.h);
        let (new_c, outcome) = hist_ops::kahan_add(&mut sum, &p.h, c.take())?;
        tracker.reconciled |= outcome.nhcb_reconciled;
        c = new_c;
    }
    if let Some(c) = c {
        let outcome = hist_ops::add(&mut sum, &c)?;
        tracker.reconciled |= outcome.nhcb_reconciled;
    }
    Ok(sum)
}

pub(super) fn count_over_time(_ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    Ok(Some(Out::Float(
        (s.floats.len() + s.histograms.len()) as f64,
    )))
}

pub(super) fn present_over_time(
    _ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>> {
    if s.floats.is_empty() && s.histograms.is_empty() {
        return Ok(None);
    }
    Ok(Some(Out::Float(1.0)))
}

/// Prometheus's `compareOverTime`: the value (or its timestamp) that `better` prefers.
fn compare_over_time(
    ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
    better: fn(f64, f64) -> bool,
    timestamp: bool,
) -> Result<Option<Out>> {
    let Some(f) = floats_only(ctx, s) else {
        return Ok(None);
    };
    let mut best = f[0].f;
    let mut best_t = f[0].t;
    for p in f {
        if better(p.f, best) {
            best = p.f;
            best_t = p.t;
        }
    }
    Ok(Some(Out::Float(if timestamp {
        best_t as f64 / 1000.0
    } else {
        best
    })))
}

pub(super) fn max_over_time(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    compare_over_time(ctx, s, |cur, best| cur > best || best.is_nan(), false)
}

pub(super) fn min_over_time(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    compare_over_time(ctx, s, |cur, best| cur < best || best.is_nan(), false)
}

pub(super) fn ts_of_max_over_time(
    ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>> {
    compare_over_time(ctx, s, |cur, best| cur >= best || best.is_nan(), true)
}

pub(super) fn ts_of_min_over_time(
    ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>> {
    compare_over_time(ctx, s, |cur, best| cur <= best || best.is_nan(), true)
}

pub(super) fn last_over_time(_ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    Ok(match (s.floats.last(), s.histograms.last()) {
        (None, None) => None,
        (Some(f), None) => Some(Out::Float(f.f)),
        (Some(f), Some(h)) if h.t < f.t => Some(Out::Float(f.f)),
        (_, Some(h)) => Some(Out::Histogram(h.h.clone())),
    })
}

pub(super) fn first_over_time(_ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    Ok(match (s.floats.first(), s.histograms.first()) {
        (None, None) => None,
        (Some(f), None) => Some(Out::Float(f.f)),
        (Some(f), Some(h)) if f.t < h.t => Some(Out::Float(f.f)),
        (_, Some(h)) => Some(Out::Histogram(h.h.clone())),
    })
}

pub(super) fn ts_of_first_over_time(
    _ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>> {
    let tf = s.floats.first().map(|p| p.t).unwrap_or(i64::MAX);
    let th = s.histograms.first().map(|p| p.t).unwrap_or(i64::MAX);
    if s.floats.is_empty() && s.histograms.is_empty() {
        return Ok(None);
    }
    Ok(Some(Out::Float(tf.min(th) as f64 / 1000.0)))
}

pub(super) fn ts_of_last_over_time(
    _ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>> {
    if s.floats.is_empty() && s.histograms.is_empty() {
        return Ok(None);
    }
    // Go starts both from 0, so a range of only negative timestamps gives 0.
    let tf = s.floats.last().map(|p| p.t).unwrap_or(0);
    let th = s.histograms.last().map(|p| p.t).unwrap_or(0);
    Ok(Some(Out::Float(tf.max(th) as f64 / 1000.0)))
}

/// The population variance with Kahan-compensated Welford updates.
fn variance(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Option<f64> {
    let f = floats_only(ctx, s)?;
    if ctx.prometheus2 {
        return Some(p2::stdvar_over_time(f));
    }
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for p in f {
        count += 1.0;
        let delta = p.f - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (p.f - (mean + c_mean)), aux, c_aux);
    }
    Some((aux + c_aux) / count)
}

pub(super) fn stddev_over_time(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    Ok(variance(ctx, s).map(|v| Out::Float(v.sqrt())))
}

pub(super) fn stdvar_over_time(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    Ok(variance(ctx, s).map(Out::Float))
}

pub(super) fn quantile_over_time(
    ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>> {
    let q = ctx.scalars.first().copied().unwrap_or(f64::NAN);
    if s.floats.is_empty() {
        return Ok(None);
    }
    if q.is_nan() || !(0.0..=1.0).contains(&q) {
        ctx.warn(format!(
            "quantile value should be between 0 and 1, got {}",
            format_float_g(q)
        ));
    }
    if !s.histograms.is_empty() {
        histogram_ignored(ctx, s);
    }
    let mut values: Vec<f64> = s.floats.iter().map(|p| p.f).collect();
    if ctx.prometheus2 {
        return Ok(Some(Out::Float(p2::quantile(q, &mut values))));
    }
    Ok(Some(Out::Float(quantile(q, &mut values))))
}

/// `mad_over_time`: the median absolute deviation from the median; NaN if any sample is NaN.
pub(super) fn mad_over_time(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>> {
    let Some(f) = floats_only(ctx, s) else {
        return Ok(None);
    };
    if f.iter().any(|p| p.f.is_nan()) {
        return Ok(Some(Out::Float(f64::NAN)));
    }
    Ok(Some(Out::Float(median_absolute_deviation(
        f.iter().map(|p| p.f).collect(),
    ))))
}

fn median_absolute_deviation(mut values: Vec<f64>) -> f64 {
    let median = quantile(0.5, &mut values);
    for v in &mut values {
        *v = (*v - median).abs();
    }
    quantile(0.5, &mut values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mad_of_corpus_series() {
        assert_eq!(
            median_absolute_deviation(vec![4.0, 6.0, 2.0, 1.0, 999.0, 1.0, 2.0]),
            1.0
        );
        assert_eq!(
            median_absolute_deviation(vec![1.0, 2.0, 3.0, 4.0, 5.0]),
            1.0
        );
        assert_eq!(median_absolute_deviation(vec![5.0]), 0.0);
    }
}
