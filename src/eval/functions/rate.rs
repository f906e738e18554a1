//! `rate`, `increase`, `delta`, `irate` and `idelta`, over floats and native histograms, with
//! Prometheus's extrapolation, start-timestamp handling, and the `anchored`/`smoothed` variants
//! (`extendedRate`, `extendedHistogramRate`).

use super::hist_ops::{self, HistError};
use super::{Out, RangeCtx, go_quote, metric_name};
use crate::eval::annotations::Annotations;
use crate::eval::engine::interpolate;
use crate::eval::error::EvalError;
use crate::eval::value::RangeSeries;
use crate::model::{CounterResetHint, FPoint, FloatHistogram, HPoint, Timestamp};
use crate::syntax::Span;
use std::sync::Arc;

pub(super) fn rate(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    Ok(extrapolated_rate(ctx, s, true, true))
}

pub(super) fn increase(
    ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    Ok(extrapolated_rate(ctx, s, true, false))
}

pub(super) fn delta(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    Ok(extrapolated_rate(ctx, s, false, false))
}

pub(super) fn irate(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>) -> Result<Option<Out>, EvalError> {
    Ok(instant_value(ctx, s, true))
}

pub(super) fn idelta(
    ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
) -> Result<Option<Out>, EvalError> {
    Ok(instant_value(ctx, s, false))
}

// ---------------------------------------------------------------------------------------------
// Annotation texts.

pub(super) fn mixed_floats_histograms(name: &str) -> String {
    format!(
        "encountered a mix of histograms and floats for metric name {}",
        go_quote(name)
    )
}

pub(crate) fn mixed_exponential_custom(name: &str) -> String {
    format!(
        "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {}",
        go_quote(name)
    )
}

fn not_counter(name: &str) -> String {
    format!(
        "this native histogram metric is not a counter: {}",
        go_quote(name)
    )
}

fn not_gauge(name: &str) -> String {
    format!(
        "this native histogram metric is not a gauge: {}",
        go_quote(name)
    )
}

/// The info for custom bucket bounds reconciled during `operation` (`addition`,
/// `subtraction`, `aggregation`).
pub(super) fn mismatched_custom_buckets(operation: &str) -> String {
    format!("mismatched custom buckets were reconciled during {operation}")
}

fn start_time_overlap(ctx: &mut RangeCtx<'_>, name: &str) {
    ctx.annotations.add_merging(
        crate::eval::AnnotationLevel::Warning,
        format!(
            "sample has start time that overlaps with previous sample timestamp for metric {}",
            go_quote(name)
        ),
        ctx.pos,
        crate::eval::annotations::Merge::Occurrences(1),
    );
}

// ---------------------------------------------------------------------------------------------
// Start timestamps.

/// Prometheus's `isStartTimestampReset`: whether the current sample's start timestamp shows a
/// counter reset since the previous sample.
pub(super) fn is_start_timestamp_reset(prev_st: i64, prev_t: i64, cur_st: i64, cur_t: i64) -> bool {
    if cur_st == 0 || cur_st >= cur_t {
        // Unknown, invalid (after T) or OTel's unknown start (= T).
        return false;
    }
    if cur_st < prev_t {
        return false;
    }
    if cur_st > prev_t {
        return true;
    }
    // The start points at the previous sample: a delta sample (reset) unless the previous start
    // is unknown (a cumulative series with unknown start) or invalid.
    if prev_st > prev_t {
        return false;
    }
    prev_st != 0 && prev_st != prev_t
}

/// Prometheus's `checkStartTimeOverlap`.
fn check_start_time_overlap(prev_st: i64, prev_t: i64, cur_st: i64) -> bool {
    cur_st != 0 && cur_st < prev_t && cur_st != prev_st
}

fn st(starts: &[Timestamp], i: usize) -> Option<Timestamp> {
    starts.get(i).copied()
}

// ---------------------------------------------------------------------------------------------
// rate, increase, delta.

/// Prometheus's `extrapolatedRate`: the difference between the first and last sample (with
/// counter resets corrected), extrapolated towards the window edges.
fn extrapolated_rate(
    ctx: &mut RangeCtx<'_>,
    s: &RangeSeries<'_>,
    is_counter: bool,
    is_rate: bool,
) -> Option<Out> {
    let name = metric_name(&s.metric);
    if !s.histograms.is_empty() && !s.floats.is_empty() {
        ctx.warn(mixed_floats_histograms(name));
        return None;
    }
    if ctx.anchored || ctx.smoothed {
        if !s.histograms.is_empty() {
            return extended_histogram_rate(ctx, &s.histograms, name, is_counter, is_rate)
                .map(Out::Histogram);
        }
        if !s.floats.is_empty() {
            return extended_rate(ctx, &s.floats, is_counter, is_rate).map(Out::Float);
        }
        return None;
    }
    if ctx.prometheus2 && !s.floats.is_empty() {
        return prometheus2_rate(ctx, &s.floats, is_counter, is_rate).map(Out::Float);
    }

    let mut result_float = 0.0;
    let mut result_histogram: Option<FloatHistogram> = None;
    let starts: &[Timestamp];
    let (first_t, last_t, n_minus_one);
    if !s.histograms.is_empty() {
        let h = &s.histograms;
        n_minus_one = h.len() - 1;
        first_t = h[0].t;
        last_t = h[n_minus_one].t;
        starts = ctx.histogram_starts(s);
        if h.len() > 1 {
            result_histogram = Some(histogram_rate(ctx, h, starts, is_counter, name)?);
        }
    } else if !s.floats.is_empty() {
        let f = &s.floats;
        n_minus_one = f.len() - 1;
        first_t = f[0].t;
        last_t = f[n_minus_one].t;
        result_float = f[n_minus_one].f - f[0].f;
        starts = if is_counter { ctx.float_starts(s) } else { &[] };
        // A window the store knows has no drop, and no start times, has no reset to add.
        if is_counter && !(s.no_float_drops && starts.is_empty()) {
            let mut overlap_detected = false;
            for i in 0..n_minus_one {
                let (prev, cur) = (f[i], f[i + 1]);
                if !overlap_detected
                    && i + 1 < starts.len()
                    && check_start_time_overlap(starts[i], prev.t, starts[i + 1])
                {
                    start_time_overlap(ctx, name);
                    overlap_detected = true;
                }
                let st_reset = i + 1 < starts.len()
                    && is_start_timestamp_reset(starts[i], prev.t, starts[i + 1], cur.t);
                if cur.f < prev.f || st_reset {
                    result_float += prev.f;
                }
            }
        }
    } else {
        return None;
    }

    let mut duration_to_start = first_t.wrapping_sub(ctx.range_start) as f64 / 1000.0;
    let mut duration_to_end = ctx.range_end.wrapping_sub(last_t) as f64 / 1000.0;
    let mut sampled_interval = last_t.wrapping_sub(first_t) as f64 / 1000.0;
    let average = if n_minus_one > 0 {
        sampled_interval / n_minus_one as f64
    } else {
        0.0
    };
    let threshold = average * 1.1;

    let first_st = st(starts, 0).unwrap_or(0);
    if is_counter
        && !starts.is_empty()
        && first_st != 0
        && first_st > ctx.range_start
        && first_st < first_t
    {
        // The first sample's start lies inside the window: assume a zero-valued sample there
        // instead of extrapolating to the left.
        duration_to_start = 0.0;
        sampled_interval = last_t.wrapping_sub(first_st) as f64 / 1000.0;
        if !s.floats.is_empty() {
            result_float += s.floats[0].f;
        } else {
            let first = &s.histograms[0].h;
            match result_histogram.as_mut() {
                None => result_histogram = Some((**first).clone()),
                Some(r) => {
                    if !add_with_annotations(ctx, r, first, name) {
                        return None;
                    }
                }
            }
        }
    } else if n_minus_one == 0 {
        return None;
    } else {
        if duration_to_start >= threshold {
            duration_to_start = average / 2.0;
        }
        if is_counter {
            // Counters cannot go negative: do not extrapolate past the zero point.
            let mut duration_to_zero = duration_to_start;
            if let Some(first) = s.floats.first() {
                if result_float > 0.0 && first.f >= 0.0 {
                    duration_to_zero = sampled_interval * (first.f / result_float);
                }
            } else if let (Some(r), Some(first)) = (&result_histogram, s.histograms.first()) {
                if r.count > 0.0 && first.h.count >= 0.0 {
                    duration_to_zero = sampled_interval * (first.h.count / r.count);
                }
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
    match result_histogram {
        None => Some(Out::Float(result_float * factor)),
        Some(mut h) => {
            hist_ops::mul(&mut h, factor);
            Some(Out::Histogram(Arc::new(h)))
        }
    }
}

/// Adds `other` into `base`, turning errors and reconciliations into annotations
/// (Prometheus's `addHistogramWithAnnotations`). False if the addition failed.
pub(super) fn add_with_annotations(
    ctx: &mut RangeCtx<'_>,
    base: &mut FloatHistogram,
    other: &FloatHistogram,
    name: &str,
) -> bool {
    match hist_ops::add(base, other) {
        Err(HistError::IncompatibleSchema) => {
            ctx.warn(mixed_exponential_custom(name));
            false
        }
        Ok(outcome) => {
            if outcome.nhcb_reconciled {
                ctx.info(mismatched_custom_buckets("addition"));
            }
            true
        }
    }
}

/// Subtracts `other` from `base` (Prometheus's `subHistogramWithAnnotations`).
fn sub_with_annotations(
    ctx: &mut RangeCtx<'_>,
    base: &mut FloatHistogram,
    other: &FloatHistogram,
    name: &str,
) -> bool {
    match hist_ops::sub(base, other) {
        Err(HistError::IncompatibleSchema) => {
            ctx.warn(mixed_exponential_custom(name));
            false
        }
        Ok(outcome) => {
            if outcome.nhcb_reconciled {
                ctx.info(mismatched_custom_buckets("subtraction"));
            }
            true
        }
    }
}

/// Prometheus's `histogramRate`: the increase between the first and last histogram, with
/// counter resets corrected. `None` (with a warning) if the histograms cannot be combined.
fn histogram_rate(
    ctx: &mut RangeCtx<'_>,
    points: &[HPoint],
    starts: &[Timestamp],
    is_counter: bool,
    name: &str,
) -> Option<FloatHistogram> {
    // Prometheus returns a fresh annotation set with just the incompatibility warning in some
    // failure cases, discarding the warnings gathered so far in this call.
    let saved = ctx.annotations.clone();
    let fail_incompatible = |ctx: &mut RangeCtx<'_>| {
        *ctx.annotations = saved.clone();
        ctx.warn(mixed_exponential_custom(name));
        None
    };
    let first = &points[0].h;
    let last = &points[points.len() - 1].h;
    let mut prev: FloatHistogram = (**first).clone();
    let mut using_custom = prev.uses_custom_buckets();
    if is_counter
        && (first.counter_reset_hint == CounterResetHint::Gauge
            || last.counter_reset_hint == CounterResetHint::Gauge)
    {
        ctx.warn(not_counter(name));
    }
    if is_counter {
        let second = &points[1].h;
        let st_reset = starts.len() > 1
            && is_start_timestamp_reset(starts[0], points[0].t, starts[1], points[1].t);
        if st_reset || hist_ops::detect_reset(second, first) {
            // A reset right after the first sample: ignore the first sample's layout.
            prev = FloatHistogram {
                schema: second.schema,
                custom_values: second.custom_values.clone(),
                ..FloatHistogram::default()
            };
            using_custom = second.uses_custom_buckets();
        }
    }
    if last.uses_custom_buckets() != using_custom {
        return fail_incompatible(ctx);
    }
    let mut min_schema = last.schema.min(prev.schema);
    for p in &points[1..points.len() - 1] {
        if !is_counter {
            continue;
        }
        if p.h.counter_reset_hint == CounterResetHint::Gauge {
            ctx.warn(not_counter(name));
        }
        min_schema = min_schema.min(p.h.schema);
        if p.h.uses_custom_buckets() != using_custom {
            return fail_incompatible(ctx);
        }
    }
    let mut h = hist_ops::copy_to_schema(last, min_schema);
    match hist_ops::sub(&mut h, &prev) {
        Err(HistError::IncompatibleSchema) => return fail_incompatible(ctx),
        Ok(outcome) => {
            if outcome.nhcb_reconciled {
                ctx.info(mismatched_custom_buckets("subtraction"));
            }
        }
    }
    if is_counter {
        let mut overlap_detected = false;
        let mut prev_h: &FloatHistogram = &prev;
        for i in 0..points.len() - 1 {
            let cur = &points[i + 1].h;
            if !overlap_detected
                && i + 1 < starts.len()
                && check_start_time_overlap(starts[i], points[i].t, starts[i + 1])
            {
                start_time_overlap(ctx, name);
                overlap_detected = true;
            }
            let st_reset = i + 1 < starts.len()
                && is_start_timestamp_reset(starts[i], points[i].t, starts[i + 1], points[i + 1].t);
            if st_reset || hist_ops::detect_reset(cur, prev_h) {
                match hist_ops::add(&mut h, prev_h) {
                    Err(HistError::IncompatibleSchema) => return fail_incompatible(ctx),
                    Ok(outcome) => {
                        if outcome.nhcb_reconciled {
                            ctx.info(mismatched_custom_buckets("addition"));
                        }
                    }
                }
            }
            prev_h = cur;
        }
    } else if first.counter_reset_hint != CounterResetHint::Gauge
        || last.counter_reset_hint != CounterResetHint::Gauge
    {
        ctx.warn(not_gauge(name));
    }
    h.counter_reset_hint = CounterResetHint::Gauge;
    hist_ops::compact(&mut h);
    Some(h)
}

/// The rate extrapolation of Prometheus 2.x before 2.51 (see `prometheus2::extrapolated_rate`).
/// Start timestamps do not exist there.
fn prometheus2_rate(
    ctx: &RangeCtx<'_>,
    floats: &[FPoint],
    is_counter: bool,
    is_rate: bool,
) -> Option<f64> {
    crate::eval::prometheus2::extrapolated_rate(
        floats,
        ctx.range_start,
        ctx.range_end,
        ctx.range,
        is_counter,
        is_rate,
    )
}

// ---------------------------------------------------------------------------------------------
// anchored and smoothed.

/// The index of the last sample at or before `range_start` (or 0) and, for `smoothed`, of the
/// first sample at or after `range_end` (otherwise the last sample): the samples that stand for
/// the window edges.
fn edge_indices(
    times: impl Fn(usize) -> Timestamp,
    len: usize,
    ctx: &RangeCtx<'_>,
) -> (usize, usize) {
    let mut last = len - 1;
    let first = partition(last, |i| times(i) > ctx.range_start).saturating_sub(1);
    if ctx.smoothed {
        last = partition(last, |i| times(i) >= ctx.range_end);
    }
    (first, last)
}

/// Go's `sort.Search(n, pred)`: the first index in `0..n` where `pred` holds (or `n`).
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// Prometheus's `extendedRate`: `rate`/`increase`/`delta` over an `anchored` or `smoothed`
/// window, from the raw samples (the window widened by the lookback delta).
fn extended_rate(ctx: &RangeCtx<'_>, f: &[FPoint], is_counter: bool, is_rate: bool) -> Option<f64> {
    let (mut first, mut last) = edge_indices(|i| f[i].t, f.len(), ctx);
    if f[last].t <= ctx.range_start {
        return None;
    }
    if ctx.smoothed && f[first].t > ctx.range_end {
        return None;
    }
    let left = if ctx.smoothed && f[first].t < ctx.range_start && first + 1 < f.len() {
        interpolate(f[first], f[first + 1], ctx.range_start, is_counter)
    } else {
        f[first].f
    };
    let right = if ctx.smoothed && last > 0 && f[last].t > ctx.range_end {
        interpolate(f[last - 1], f[last], ctx.range_end, is_counter)
    } else {
        f[last].f
    };
    let mut result = right - left;
    if is_counter {
        // Only samples strictly inside the window need checking; the edges already account for
        // resets next to them.
        if f[first].t <= ctx.range_start {
            first += 1;
        }
        if f[last].t >= ctx.range_end {
            last = last.wrapping_sub(1);
        }
        let inner: &[FPoint] = if last == usize::MAX || first > last {
            &[]
        } else {
            &f[first..=last]
        };
        result += correct_for_counter_resets(left, right, inner);
    }
    if is_rate {
        result /= ctx.range as f64 / 1000.0;
    }
    Some(result)
}

/// Prometheus's `correctForCounterResets`.
fn correct_for_counter_resets(left: f64, right: f64, points: &[FPoint]) -> f64 {
    let mut correction = 0.0;
    let mut prev = left;
    for p in points {
        if p.f < prev {
            correction += prev;
        }
        prev = p.f;
    }
    if right < prev {
        correction += prev;
    }
    correction
}

/// Prometheus's `interpolateHistograms`: the histogram at `t` between two points, from zero
/// after a counter reset. Bucket-bound reconciliations are noted in `annotations` at `pos`.
pub(crate) fn interpolate_histograms(
    annotations: &mut Annotations,
    pos: Span,
    p1: &HPoint,
    p2: &HPoint,
    t: Timestamp,
    is_counter: bool,
) -> Result<FloatHistogram, HistError> {
    if t == p1.t {
        return Ok((*p1.h).clone());
    }
    if t == p2.t {
        return Ok((*p2.h).clone());
    }
    let fraction = t.wrapping_sub(p1.t) as f64 / p2.t.wrapping_sub(p1.t) as f64;
    if is_counter && hist_ops::detect_reset(&p2.h, &p1.h) {
        let mut h = (*p2.h).clone();
        hist_ops::mul(&mut h, fraction);
        return Ok(h);
    }
    let mut result = (*p2.h).clone();
    if hist_ops::sub(&mut result, &p1.h)?.nhcb_reconciled {
        annotations.info(mismatched_custom_buckets("subtraction"), pos);
    }
    hist_ops::mul(&mut result, fraction);
    if hist_ops::add(&mut result, &p1.h)?.nhcb_reconciled {
        annotations.info(mismatched_custom_buckets("addition"), pos);
    }
    Ok(result)
}

/// Prometheus's `extendedHistogramRate`.
fn extended_histogram_rate(
    ctx: &mut RangeCtx<'_>,
    h: &[HPoint],
    name: &str,
    is_counter: bool,
    is_rate: bool,
) -> Option<Arc<FloatHistogram>> {
    let (first, last) = edge_indices(|i| h[i].t, h.len(), ctx);
    if h[last].t <= ctx.range_start {
        return None;
    }
    if ctx.smoothed && h[first].t > ctx.range_end {
        return None;
    }
    // validateHistogramRange.
    let using_custom = h[first].h.uses_custom_buckets();
    for p in &h[first..=last] {
        if p.h.uses_custom_buckets() != using_custom {
            ctx.warn(mixed_exponential_custom(name));
            return None;
        }
        if is_counter && p.h.counter_reset_hint == CounterResetHint::Gauge {
            ctx.warn(not_counter(name));
        }
    }
    let left = if ctx.smoothed && h[first].t < ctx.range_start && first + 1 < h.len() {
        interpolate_histograms(
            ctx.annotations,
            ctx.pos,
            &h[first],
            &h[first + 1],
            ctx.range_start,
            is_counter,
        )
    } else {
        Ok((*h[first].h).clone())
    };
    let Ok(left) = left else {
        ctx.warn(mixed_exponential_custom(name));
        return None;
    };
    let right = if ctx.smoothed && last > 0 && h[last].t > ctx.range_end {
        interpolate_histograms(
            ctx.annotations,
            ctx.pos,
            &h[last - 1],
            &h[last],
            ctx.range_end,
            is_counter,
        )
    } else {
        Ok((*h[last].h).clone())
    };
    let Ok(right) = right else {
        ctx.warn(mixed_exponential_custom(name));
        return None;
    };
    if !is_counter
        && (left.counter_reset_hint != CounterResetHint::Gauge
            || right.counter_reset_hint != CounterResetHint::Gauge)
    {
        ctx.warn(not_gauge(name));
    }
    let mut result = right.clone();
    if !sub_with_annotations(ctx, &mut result, &left, name) {
        return None;
    }
    if is_counter {
        let correction =
            correct_for_counter_resets_histogram(ctx, h, first, last, &left, &right, name)?;
        if let Some(correction) = correction {
            if !add_with_annotations(ctx, &mut result, &correction, name) {
                return None;
            }
        }
    }
    if is_rate {
        hist_ops::div(&mut result, ctx.range as f64 / 1000.0);
    }
    result.counter_reset_hint = CounterResetHint::Gauge;
    hist_ops::compact(&mut result);
    Some(Arc::new(result))
}

/// Prometheus's `correctForCounterResetsHistogram`: the sum of the histograms before each
/// counter reset strictly inside the window. `Some(None)` when there is nothing to correct,
/// `None` when combining failed.
fn correct_for_counter_resets_histogram(
    ctx: &mut RangeCtx<'_>,
    h: &[HPoint],
    first_index: usize,
    last_index: usize,
    left: &FloatHistogram,
    right: &FloatHistogram,
    name: &str,
) -> Option<Option<FloatHistogram>> {
    let mut first = first_index + 1;
    let mut prev: &FloatHistogram = left;
    if ctx.smoothed
        && h[first_index].t < ctx.range_start
        && first_index + 1 < h.len()
        && hist_ops::detect_reset(&h[first_index + 1].h, &h[first_index].h)
    {
        // The left interpolation already spanned this reset.
        prev = &h[first_index + 1].h;
        first += 1;
    }
    // The last sample is represented by `right` and is never compared with itself.
    if first > last_index {
        return Some(None);
    }
    let last = last_index - 1;
    let mut correction: Option<FloatHistogram> = None;
    let mut add_correction = |ctx: &mut RangeCtx<'_>, c: &FloatHistogram| -> bool {
        match correction.as_mut() {
            None => {
                correction = Some(c.clone());
                true
            }
            Some(total) => add_with_annotations(ctx, total, c, name),
        }
    };
    if first <= last {
        for p in &h[first..=last] {
            if hist_ops::detect_reset(&p.h, prev) && !add_correction(ctx, prev) {
                return None;
            }
            prev = &p.h;
        }
    }
    if hist_ops::detect_reset(right, prev) && !add_correction(ctx, prev) {
        return None;
    }
    Some(correction)
}

// ---------------------------------------------------------------------------------------------
// irate, idelta.

struct Point<'a> {
    t: Timestamp,
    f: f64,
    h: Option<&'a Arc<FloatHistogram>>,
    st: Timestamp,
}

/// Prometheus's `instantValue`: `irate` and `idelta` from the last two samples of either kind.
fn instant_value(ctx: &mut RangeCtx<'_>, s: &RangeSeries<'_>, is_rate: bool) -> Option<Out> {
    if s.floats.len() + s.histograms.len() < 2 {
        return None;
    }
    let float_starts = ctx.float_starts(s);
    let hist_starts = ctx.histogram_starts(s);
    let mut ss: Vec<Point<'_>> = Vec::with_capacity(2);
    for i in s.floats.len().saturating_sub(2)..s.floats.len() {
        ss.push(Point {
            t: s.floats[i].t,
            f: s.floats[i].f,
            h: None,
            st: float_starts.get(i).copied().unwrap_or(0),
        });
    }
    for i in s.histograms.len().saturating_sub(2)..s.histograms.len() {
        let p = Point {
            t: s.histograms[i].t,
            f: 0.0,
            h: Some(&s.histograms[i].h),
            st: hist_starts.get(i).copied().unwrap_or(0),
        };
        match ss.len() {
            0 => ss.push(p),
            1 => {
                if p.t < ss[0].t {
                    ss.insert(0, p);
                } else {
                    ss.push(p);
                }
            }
            _ => {
                if p.t < ss[0].t {
                    // Older than both.
                } else if p.t > ss[1].t {
                    ss.swap(0, 1);
                    ss[1] = p;
                } else {
                    ss[0] = p;
                }
            }
        }
    }
    let (prev, cur) = (&ss[0], &ss[1]);
    let interval = cur.t.wrapping_sub(prev.t);
    if interval == 0 {
        return None;
    }
    let name = metric_name(&s.metric);
    let out = match (prev.h, cur.h) {
        (None, None) => {
            let mut value = cur.f;
            if !is_rate
                || !(cur.f < prev.f || is_start_timestamp_reset(prev.st, prev.t, cur.st, cur.t))
            {
                value = cur.f - prev.f;
            }
            if is_rate {
                value /= interval as f64 / 1000.0;
            }
            Out::Float(value)
        }
        (Some(prev_h), Some(cur_h)) => {
            let mut result = (**cur_h).clone();
            if is_rate
                && (cur_h.counter_reset_hint == CounterResetHint::Gauge
                    || prev_h.counter_reset_hint == CounterResetHint::Gauge)
            {
                ctx.warn(not_counter(name));
            }
            if !is_rate
                && (cur_h.counter_reset_hint != CounterResetHint::Gauge
                    || prev_h.counter_reset_hint != CounterResetHint::Gauge)
            {
                ctx.warn(not_gauge(name));
            }
            if !is_rate
                || (!is_start_timestamp_reset(prev.st, prev.t, cur.st, cur.t)
                    && !hist_ops::detect_reset(cur_h, prev_h))
            {
                match hist_ops::sub(&mut result, prev_h) {
                    Err(HistError::IncompatibleSchema) => {
                        ctx.warn(mixed_exponential_custom(name));
                        return None;
                    }
                    Ok(outcome) => {
                        if outcome.nhcb_reconciled {
                            ctx.info(mismatched_custom_buckets("subtraction"));
                        }
                    }
                }
            }
            result.counter_reset_hint = CounterResetHint::Gauge;
            hist_ops::compact(&mut result);
            if is_rate {
                hist_ops::div(&mut result, interval as f64 / 1000.0);
            }
            Out::Histogram(Arc::new(result))
        }
        _ => {
            ctx.warn(mixed_floats_histograms(name));
            return None;
        }
    };
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_timestamp_resets() {
        // Unknown or invalid starts are never resets.
        assert!(!is_start_timestamp_reset(0, 60, 0, 120));
        assert!(!is_start_timestamp_reset(0, 60, 120, 120));
        assert!(!is_start_timestamp_reset(0, 60, 130, 120));
        // A start after the previous sample is a reset.
        assert!(is_start_timestamp_reset(0, 60, 61, 120));
        // A start before the previous sample is not.
        assert!(!is_start_timestamp_reset(0, 60, 59, 120));
        // Pointing at the previous sample: a delta sample only when the previous start is
        // known and valid.
        assert!(is_start_timestamp_reset(1, 60, 60, 120));
        assert!(!is_start_timestamp_reset(0, 60, 60, 120));
        assert!(!is_start_timestamp_reset(60, 60, 60, 120));
        assert!(!is_start_timestamp_reset(61, 60, 60, 120));
    }

    #[test]
    fn counter_reset_correction_includes_the_right_edge() {
        let points = [FPoint { t: 1, f: 5.0 }, FPoint { t: 2, f: 2.0 }];
        assert_eq!(correct_for_counter_resets(4.0, 1.0, &points), 5.0 + 2.0);
        assert_eq!(correct_for_counter_resets(1.0, 9.0, &[]), 0.0);
    }
}
