//! The native-histogram operations the functions need, behind one small facade.
//!
//! The full implementations (resolution reduction with Kahan compensation, zero-bucket
//! reconciliation, NHCB bound intersection, exact bucket bounds, quantile interpolation) live in
//! `model::histogram`, written on the `histogram` branch. Until that lands, this module carries
//! simple local fallbacks with the same contracts, so the functions can be written and tested
//! against one API; switching to the real implementations only touches this file.

use crate::model::{BucketSpan, CounterResetHint, FloatHistogram};
use std::collections::BTreeMap;

/// Why two histograms could not be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HistError {
    /// One uses exponential buckets, the other custom buckets
    /// (Prometheus's `ErrHistogramsIncompatibleSchema`).
    IncompatibleSchema,
}

/// Side results of an addition or subtraction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// One operand said "reset", the other "not reset".
    #[allow(dead_code)]
    pub counter_reset_collision: bool,
    /// Custom bucket bounds differed and were reduced to the bounds both share.
    pub nhcb_reconciled: bool,
}

/// One bucket of a histogram, as Prometheus's `Bucket[float64]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bucket {
    pub lower: f64,
    pub upper: f64,
    pub count: f64,
}

type Dense = BTreeMap<i32, f64>;

fn to_dense(spans: &[BucketSpan], buckets: &[f64]) -> Dense {
    let mut out = Dense::new();
    let mut index = 0i32;
    let mut values = buckets.iter();
    for (i, span) in spans.iter().enumerate() {
        index = if i == 0 {
            span.offset
        } else {
            index.saturating_add(span.offset)
        };
        for _ in 0..span.length {
            let Some(v) = values.next() else { return out };
            out.insert(index, *v);
            index = index.saturating_add(1);
        }
    }
    out
}

fn from_dense(dense: &Dense) -> (Vec<BucketSpan>, Vec<f64>) {
    let mut spans: Vec<BucketSpan> = Vec::new();
    let mut values = Vec::with_capacity(dense.len());
    let mut next: Option<i32> = None;
    for (&i, &v) in dense {
        match next {
            Some(n) if n == i => {
                if let Some(last) = spans.last_mut() {
                    last.length += 1;
                }
            }
            _ => {
                let offset = match next {
                    Some(n) => i - n,
                    None => i,
                };
                spans.push(BucketSpan { offset, length: 1 });
            }
        }
        values.push(v);
        next = Some(i.saturating_add(1));
    }
    (spans, values)
}

/// Prometheus's `targetIdx`: the bucket index of `idx` at a lower resolution.
fn target_index(idx: i32, origin: i32, target: i32) -> i32 {
    ((idx - 1) >> (origin - target)) + 1
}

fn reduce(dense: &Dense, origin: i32, target: i32) -> Dense {
    if origin <= target {
        return dense.clone();
    }
    let mut out = Dense::new();
    for (&i, &v) in dense {
        *out.entry(target_index(i, origin, target)).or_insert(0.0) += v;
    }
    out
}

/// A copy of `h` at the lower resolution `schema` (unchanged when it is not lower).
pub(crate) fn copy_to_schema(h: &FloatHistogram, schema: i32) -> FloatHistogram {
    let mut out = h.clone();
    if h.uses_custom_buckets() || schema >= h.schema {
        return out;
    }
    let (ps, pb) = from_dense(&reduce(
        &to_dense(&h.positive_spans, &h.positive_buckets),
        h.schema,
        schema,
    ));
    let (ns, nb) = from_dense(&reduce(
        &to_dense(&h.negative_spans, &h.negative_buckets),
        h.schema,
        schema,
    ));
    out.positive_spans = ps;
    out.positive_buckets = pb;
    out.negative_spans = ns;
    out.negative_buckets = nb;
    out.schema = schema;
    out
}

/// The upper bound of exponential bucket `idx` at `schema`.
fn exponential_bound(idx: i32, schema: i32) -> f64 {
    if schema < 0 {
        let exp = (idx as i64) << (-schema) as i64;
        if exp == 1024 {
            return f64::MAX;
        }
        return 2f64.powi(exp.clamp(-2000, 2000) as i32);
    }
    let per = 1i64 << schema;
    let frac_idx = (idx as i64).rem_euclid(per);
    let exp = (idx as i64).div_euclid(per) + 1;
    let frac = 2f64.powf(frac_idx as f64 / per as f64 - 1.0);
    if frac == 0.5 && exp == 1025 {
        return f64::MAX;
    }
    frac * 2f64.powi(exp.clamp(-2000, 2000) as i32)
}

/// The upper bound of bucket `idx` of `h`.
fn bound(h: &FloatHistogram, idx: i32) -> f64 {
    if h.uses_custom_buckets() {
        let n = h.custom_values.len() as i32;
        return match idx {
            i if i >= n => f64::INFINITY,
            i if i < 0 => f64::NEG_INFINITY,
            i => h.custom_values[i as usize],
        };
    }
    exponential_bound(idx, h.schema)
}

/// Moves buckets inside `threshold` into the zero bucket (a simplified
/// `zeroCountForLargerThreshold` that does not widen the threshold).
fn zero_count_for_threshold(h: &FloatHistogram, threshold: f64) -> (f64, Dense, Dense) {
    let mut zero = h.zero_count;
    let mut pos = to_dense(&h.positive_spans, &h.positive_buckets);
    let mut neg = to_dense(&h.negative_spans, &h.negative_buckets);
    if threshold > h.zero_threshold {
        pos.retain(|&i, v| {
            if exponential_bound(i - 1, h.schema) < threshold {
                zero += *v;
                false
            } else {
                true
            }
        });
        neg.retain(|&i, v| {
            if exponential_bound(i - 1, h.schema) < threshold {
                zero += *v;
                false
            } else {
                true
            }
        });
    }
    (zero, pos, neg)
}

/// Prometheus's `adjustCounterReset`.
fn adjust_counter_reset(h: &mut FloatHistogram, other: &FloatHistogram) -> bool {
    use CounterResetHint::*;
    match (h.counter_reset_hint, other.counter_reset_hint) {
        (a, b) if a == b => false,
        (Gauge, _) => false,
        (_, Gauge) => {
            h.counter_reset_hint = Gauge;
            false
        }
        (Unknown, _) => false,
        (_, Unknown) => {
            h.counter_reset_hint = Unknown;
            false
        }
        _ => {
            h.counter_reset_hint = Unknown;
            true
        }
    }
}

/// The bounds two custom-bucket layouts share.
fn intersect_bounds(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().copied().filter(|x| b.contains(x)).collect()
}

/// Maps custom bucket `idx` of `bounds` onto the `target` bounds: the first target bucket whose
/// upper bound is at least the bucket's upper bound.
fn map_custom(idx: i32, bounds: &[f64], target: &[f64]) -> i32 {
    let upper = if idx as usize >= bounds.len() {
        f64::INFINITY
    } else {
        bounds[idx.max(0) as usize]
    };
    target.partition_point(|b| *b < upper) as i32
}

fn combine(
    h: &mut FloatHistogram,
    other: &FloatHistogram,
    sign: f64,
) -> Result<Outcome, HistError> {
    if h.uses_custom_buckets() != other.uses_custom_buckets() {
        return Err(HistError::IncompatibleSchema);
    }
    let mut outcome = Outcome {
        counter_reset_collision: adjust_counter_reset(h, other),
        nhcb_reconciled: false,
    };
    h.count += sign * other.count;
    h.sum += sign * other.sum;
    if h.uses_custom_buckets() {
        let mut mine = to_dense(&h.positive_spans, &h.positive_buckets);
        let mut theirs = to_dense(&other.positive_spans, &other.positive_buckets);
        if h.custom_values != other.custom_values {
            outcome.nhcb_reconciled = true;
            let target = intersect_bounds(&h.custom_values, &other.custom_values);
            let remap = |d: &Dense, bounds: &[f64]| {
                let mut out = Dense::new();
                for (&i, &v) in d {
                    *out.entry(map_custom(i, bounds, &target)).or_insert(0.0) += v;
                }
                out
            };
            mine = remap(&mine, &h.custom_values);
            theirs = remap(&theirs, &other.custom_values);
            h.custom_values = target;
        }
        for (i, v) in theirs {
            *mine.entry(i).or_insert(0.0) += sign * v;
        }
        (h.positive_spans, h.positive_buckets) = from_dense(&mine);
        return Ok(outcome);
    }
    let schema = h.schema.min(other.schema);
    let threshold = h.zero_threshold.max(other.zero_threshold);
    let (my_zero, my_pos, my_neg) = zero_count_for_threshold(h, threshold);
    let (their_zero, their_pos, their_neg) = zero_count_for_threshold(other, threshold);
    let mut pos = reduce(&my_pos, h.schema, schema);
    let mut neg = reduce(&my_neg, h.schema, schema);
    for (i, v) in reduce(&their_pos, other.schema, schema) {
        *pos.entry(i).or_insert(0.0) += sign * v;
    }
    for (i, v) in reduce(&their_neg, other.schema, schema) {
        *neg.entry(i).or_insert(0.0) += sign * v;
    }
    h.zero_count = my_zero + sign * their_zero;
    h.zero_threshold = threshold;
    h.schema = schema;
    (h.positive_spans, h.positive_buckets) = from_dense(&pos);
    (h.negative_spans, h.negative_buckets) = from_dense(&neg);
    Ok(outcome)
}

/// `h += other` (Prometheus's `FloatHistogram.Add`).
pub(crate) fn add(h: &mut FloatHistogram, other: &FloatHistogram) -> Result<Outcome, HistError> {
    combine(h, other, 1.0)
}

/// `h -= other` (Prometheus's `FloatHistogram.Sub`).
pub(crate) fn sub(h: &mut FloatHistogram, other: &FloatHistogram) -> Result<Outcome, HistError> {
    combine(h, other, -1.0)
}

/// Kahan-compensated `h += other` with compensation histogram `c` (Prometheus's `KahanAdd`).
/// The fallback adds plainly and keeps no compensation.
pub(crate) fn kahan_add(
    h: &mut FloatHistogram,
    other: &FloatHistogram,
    c: Option<FloatHistogram>,
) -> Result<(Option<FloatHistogram>, Outcome), HistError> {
    let outcome = add(h, other)?;
    Ok((c, outcome))
}

/// Scales every count and the sum (Prometheus's `Mul`); a negative factor makes a gauge.
pub(crate) fn mul(h: &mut FloatHistogram, factor: f64) {
    h.zero_count *= factor;
    h.count *= factor;
    h.sum *= factor;
    for b in h
        .positive_buckets
        .iter_mut()
        .chain(h.negative_buckets.iter_mut())
    {
        *b *= factor;
    }
    if factor < 0.0 {
        h.counter_reset_hint = CounterResetHint::Gauge;
    }
}

/// Divides every count and the sum (Prometheus's `Div`); division by zero drops the buckets.
pub(crate) fn div(h: &mut FloatHistogram, divisor: f64) {
    h.zero_count /= divisor;
    h.count /= divisor;
    h.sum /= divisor;
    if divisor == 0.0 {
        h.positive_buckets.clear();
        h.negative_buckets.clear();
        h.positive_spans.clear();
        h.negative_spans.clear();
        return;
    }
    for b in h
        .positive_buckets
        .iter_mut()
        .chain(h.negative_buckets.iter_mut())
    {
        *b /= divisor;
    }
    if divisor < 0.0 {
        h.counter_reset_hint = CounterResetHint::Gauge;
    }
}

/// Drops empty buckets and merges spans (Prometheus's `Compact(0)`).
pub(crate) fn compact(h: &mut FloatHistogram) {
    let mut pos = to_dense(&h.positive_spans, &h.positive_buckets);
    let mut neg = to_dense(&h.negative_spans, &h.negative_buckets);
    pos.retain(|_, v| *v != 0.0);
    neg.retain(|_, v| *v != 0.0);
    (h.positive_spans, h.positive_buckets) = from_dense(&pos);
    (h.negative_spans, h.negative_buckets) = from_dense(&neg);
}

/// Whether any count or the sum is infinite (Prometheus's `HasOverflow`).
pub(crate) fn has_overflow(h: &FloatHistogram) -> bool {
    h.zero_count.is_infinite()
        || h.count.is_infinite()
        || h.sum.is_infinite()
        || h.positive_buckets.iter().any(|v| v.is_infinite())
        || h.negative_buckets.iter().any(|v| v.is_infinite())
        || h.custom_values.iter().any(|v| v.is_infinite())
}

/// Bit-exact data equality (Prometheus's `Equals`).
pub(crate) fn equals(a: &FloatHistogram, b: &FloatHistogram) -> bool {
    if a.schema != b.schema
        || a.count.to_bits() != b.count.to_bits()
        || a.sum.to_bits() != b.sum.to_bits()
    {
        return false;
    }
    if a.uses_custom_buckets() && a.custom_values != b.custom_values {
        return false;
    }
    if a.zero_threshold != b.zero_threshold || a.zero_count.to_bits() != b.zero_count.to_bits() {
        return false;
    }
    let same = |sa: &[BucketSpan], ba: &[f64], sb: &[BucketSpan], bb: &[f64]| {
        let da = to_dense(sa, ba);
        let db = to_dense(sb, bb);
        da.len() == db.len()
            && da
                .iter()
                .zip(db.iter())
                .all(|((i, x), (j, y))| i == j && x.to_bits() == y.to_bits())
    };
    same(
        &a.positive_spans,
        &a.positive_buckets,
        &b.positive_spans,
        &b.positive_buckets,
    ) && same(
        &a.negative_spans,
        &a.negative_buckets,
        &b.negative_spans,
        &b.negative_buckets,
    )
}

/// Whether `cur` shows a counter reset relative to `prev` (Prometheus's `DetectReset`).
pub(crate) fn detect_reset(cur: &FloatHistogram, prev: &FloatHistogram) -> bool {
    match cur.counter_reset_hint {
        CounterResetHint::Reset => return true,
        CounterResetHint::NotReset => return false,
        _ => {}
    }
    if cur.count < prev.count {
        return true;
    }
    if cur.uses_custom_buckets() != prev.uses_custom_buckets() {
        return true;
    }
    if cur.uses_custom_buckets() {
        let mut mine = to_dense(&cur.positive_spans, &cur.positive_buckets);
        let mut theirs = to_dense(&prev.positive_spans, &prev.positive_buckets);
        if cur.custom_values != prev.custom_values {
            let target = intersect_bounds(&cur.custom_values, &prev.custom_values);
            let remap = |d: &Dense, bounds: &[f64]| {
                let mut out = Dense::new();
                for (&i, &v) in d {
                    *out.entry(map_custom(i, bounds, &target)).or_insert(0.0) += v;
                }
                out
            };
            mine = remap(&mine, &cur.custom_values);
            theirs = remap(&theirs, &prev.custom_values);
        }
        return theirs
            .iter()
            .any(|(i, v)| *v != 0.0 && mine.get(i).copied().unwrap_or(0.0) < *v);
    }
    if cur.schema > prev.schema || cur.zero_threshold < prev.zero_threshold {
        return true;
    }
    let (prev_zero, prev_pos, prev_neg) = zero_count_for_threshold(prev, cur.zero_threshold);
    if cur.zero_count < prev_zero {
        return true;
    }
    let check = |cur_dense: Dense, prev_dense: Dense| {
        let prev_dense = reduce(&prev_dense, prev.schema, cur.schema);
        prev_dense
            .iter()
            .any(|(i, v)| *v != 0.0 && cur_dense.get(i).copied().unwrap_or(0.0) < *v)
    };
    check(
        to_dense(&cur.positive_spans, &cur.positive_buckets),
        prev_pos,
    ) || check(
        to_dense(&cur.negative_spans, &cur.negative_buckets),
        prev_neg,
    )
}

/// All buckets in ascending order: negative, zero, positive (Prometheus's `AllBucketIterator`).
pub(crate) fn all_buckets(h: &FloatHistogram) -> Vec<Bucket> {
    let mut out = Vec::new();
    if !h.uses_custom_buckets() {
        let neg = to_dense(&h.negative_spans, &h.negative_buckets);
        for (&i, &count) in neg.iter().rev() {
            out.push(Bucket {
                lower: -bound(h, i),
                upper: -bound(h, i - 1),
                count,
            });
        }
        if h.zero_count > 0.0 {
            out.push(Bucket {
                lower: -h.zero_threshold,
                upper: h.zero_threshold,
                count: h.zero_count,
            });
        }
    }
    for (&i, &count) in &to_dense(&h.positive_spans, &h.positive_buckets) {
        let lower = if h.uses_custom_buckets() && i == 0 {
            f64::NEG_INFINITY
        } else {
            bound(h, i - 1)
        };
        out.push(Bucket {
            lower,
            upper: bound(h, i),
            count,
        });
    }
    // Buckets overlapping the zero bucket are clipped at the threshold.
    let zt = h.zero_threshold;
    for b in &mut out {
        if b.upper < 0.0 && b.upper > -zt {
            b.upper = -zt;
        } else if b.lower > 0.0 && b.lower < zt {
            b.lower = zt;
        }
    }
    out
}

/// Which NaN annotation a native quantile or fraction raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    dead_code,
    reason = "the fallback quantile and fraction do not detect every case"
)]
pub(crate) enum NanNote {
    /// "input to histogram_quantile has NaN observations, result is NaN".
    QuantileResult,
    /// "input to histogram_quantile has NaN observations, result is skewed higher".
    QuantileSkew,
    /// "input to histogram_fraction has NaN observations, which are excluded from all fractions".
    Fraction,
}

/// The φ-quantile of a native histogram (Prometheus's `HistogramQuantile`).
///
/// Fallback: linear interpolation within the bucket.
pub(crate) fn histogram_quantile(q: f64, h: &FloatHistogram) -> (f64, Option<NanNote>) {
    if q < 0.0 {
        return (f64::NEG_INFINITY, None);
    }
    if q > 1.0 {
        return (f64::INFINITY, None);
    }
    if h.count == 0.0 || q.is_nan() {
        return (f64::NAN, None);
    }
    let buckets = all_buckets(h);
    let rank = q * h.count;
    let mut count = 0.0;
    let mut found = None;
    for b in &buckets {
        if b.count == 0.0 {
            continue;
        }
        count += b.count;
        found = Some(*b);
        if count >= rank {
            break;
        }
    }
    let Some(mut b) = found else {
        return (f64::NAN, None);
    };
    if h.uses_custom_buckets() {
        if b.lower == f64::NEG_INFINITY {
            if b.upper <= 0.0 {
                return (b.upper, None);
            }
            b.lower = 0.0;
        } else if b.upper == f64::INFINITY {
            return (b.lower, None);
        }
    }
    if count < rank {
        if h.sum.is_nan() {
            return (f64::NAN, Some(NanNote::QuantileResult));
        }
        return (b.upper, None);
    }
    let rank_in_bucket = rank - (count - b.count);
    (
        b.lower + (b.upper - b.lower) * (rank_in_bucket / b.count),
        None,
    )
}

/// The fraction of observations between `lower` and `upper` (Prometheus's `HistogramFraction`).
///
/// Fallback: linear interpolation within buckets.
pub(crate) fn histogram_fraction(
    lower: f64,
    upper: f64,
    h: &FloatHistogram,
) -> (f64, Option<NanNote>) {
    if h.count == 0.0 || lower.is_nan() || upper.is_nan() {
        return (f64::NAN, None);
    }
    if lower >= upper {
        return (0.0, None);
    }
    let mut rank = 0.0;
    for b in all_buckets(h) {
        let lo = b.lower.max(lower);
        let hi = b.upper.min(upper);
        if hi <= lo {
            continue;
        }
        if b.lower.is_infinite() || b.upper.is_infinite() {
            rank += b.count;
            continue;
        }
        rank += b.count * (hi - lo) / (b.upper - b.lower);
    }
    (rank / h.count, None)
}

/// A classic-histogram bucket: upper bound and cumulative count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ClassicBucket {
    pub upper_bound: f64,
    pub count: f64,
}

/// What `bucket_quantile` found besides the quantile.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Monotonicity {
    pub forced: bool,
    pub min_bucket: f64,
    pub max_bucket: f64,
    pub max_diff: f64,
}

/// Merges buckets with the same upper bound (Prometheus's `coalesceBuckets`); expects them
/// sorted. Like Prometheus it works in place and returns the new length, leaving the buckets
/// after it as they were (so a second pass over the whole slice sees them again).
fn coalesce(buckets: &mut [ClassicBucket]) -> usize {
    if buckets.is_empty() {
        return 0;
    }
    let mut last = buckets[0];
    let mut i = 0;
    for j in 1..buckets.len() {
        let b = buckets[j];
        if b.upper_bound == last.upper_bound {
            last.count += b.count;
        } else {
            buckets[i] = last;
            last = b;
            i += 1;
        }
    }
    buckets[i] = last;
    i + 1
}

/// Prometheus's `almost.Equal`: a relative comparison, exact against zero.
fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    const MIN_NORMAL: f64 = f64::MIN_POSITIVE;
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < MIN_NORMAL {
        return diff < epsilon * MIN_NORMAL;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

/// Prometheus's `ensureMonotonicAndIgnoreSmallDeltas`.
fn ensure_monotonic(buckets: &mut [ClassicBucket], tolerance: f64) -> Monotonicity {
    let mut m = Monotonicity {
        forced: false,
        min_bucket: f64::INFINITY,
        max_bucket: f64::NEG_INFINITY,
        max_diff: 0.0,
    };
    let Some(first) = buckets.first() else {
        return m;
    };
    let mut prev = first.count;
    for b in buckets.iter_mut().skip(1) {
        let cur = b.count;
        if cur == prev {
            continue;
        }
        if almost_equal(prev, cur, tolerance) {
            b.count = prev;
            continue;
        }
        if cur < prev {
            b.count = prev;
            m.forced = true;
            if b.upper_bound < m.min_bucket {
                m.min_bucket = b.upper_bound;
            }
            if b.upper_bound > m.max_bucket {
                m.max_bucket = b.upper_bound;
            }
            if prev - cur > m.max_diff {
                m.max_diff = prev - cur;
            }
            continue;
        }
        prev = cur;
    }
    m
}

/// The φ-quantile of classic buckets (Prometheus's `BucketQuantile`).
pub(crate) fn bucket_quantile(q: f64, buckets: &mut [ClassicBucket]) -> (f64, Monotonicity) {
    if q.is_nan() {
        return (f64::NAN, Monotonicity::default());
    }
    if q < 0.0 {
        return (f64::NEG_INFINITY, Monotonicity::default());
    }
    if q > 1.0 {
        return (f64::INFINITY, Monotonicity::default());
    }
    buckets.sort_by(|a, b| {
        a.upper_bound
            .partial_cmp(&b.upper_bound)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    if buckets.last().map(|b| b.upper_bound) != Some(f64::INFINITY) {
        return (f64::NAN, Monotonicity::default());
    }
    let len = coalesce(buckets);
    let buckets = &mut buckets[..len];
    let m = ensure_monotonic(buckets, 1e-12);
    if buckets.len() < 2 {
        return (f64::NAN, m);
    }
    let observations = buckets[buckets.len() - 1].count;
    if observations == 0.0 {
        return (f64::NAN, m);
    }
    let mut rank = q * observations;
    let b = buckets[..buckets.len() - 1].partition_point(|x| x.count < rank);
    let value = if b == buckets.len() - 1 {
        buckets[buckets.len() - 2].upper_bound
    } else if b == 0 && buckets[0].upper_bound <= 0.0 {
        buckets[0].upper_bound
    } else {
        let mut start = 0.0;
        let end = buckets[b].upper_bound;
        let mut count = buckets[b].count;
        if b > 0 {
            start = buckets[b - 1].upper_bound;
            count -= buckets[b - 1].count;
            rank -= buckets[b - 1].count;
        }
        start + (end - start) * (rank / count)
    };
    (value, m)
}

/// The fraction of observations between `lower` and `upper` in classic buckets (Prometheus's
/// `BucketFraction`).
pub(crate) fn bucket_fraction(lower: f64, upper: f64, buckets: &mut [ClassicBucket]) -> f64 {
    buckets.sort_by(|a, b| {
        a.upper_bound
            .partial_cmp(&b.upper_bound)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    if buckets.last().map(|b| b.upper_bound) != Some(f64::INFINITY) {
        return f64::NAN;
    }
    let len = coalesce(buckets);
    let buckets = &mut buckets[..len];
    ensure_monotonic(buckets, 1e-12);
    let total = buckets[buckets.len() - 1].count;
    if buckets.len() < 2 || total == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }
    let rank_at = |x: f64| -> f64 {
        let mut prev_upper = 0.0f64;
        let mut prev_count = 0.0;
        for (i, b) in buckets.iter().enumerate() {
            if x <= b.upper_bound {
                if b.upper_bound.is_infinite() {
                    return prev_count;
                }
                let lo = if i == 0 {
                    prev_upper.min(b.upper_bound)
                } else {
                    prev_upper
                };
                if x <= lo {
                    return prev_count;
                }
                return prev_count + (b.count - prev_count) * (x - lo) / (b.upper_bound - lo);
            }
            prev_upper = b.upper_bound;
            prev_count = b.count;
        }
        total
    };
    (rank_at(upper) - rank_at(lower)) / total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist(schema: i32, buckets: &[f64]) -> FloatHistogram {
        FloatHistogram {
            schema,
            count: buckets.iter().sum(),
            positive_spans: vec![BucketSpan {
                offset: 0,
                length: buckets.len() as u32,
            }],
            positive_buckets: buckets.to_vec(),
            ..FloatHistogram::default()
        }
    }

    #[test]
    fn add_reduces_to_the_lower_schema() {
        let mut a = hist(1, &[1.0, 1.0, 1.0]);
        let b = hist(0, &[2.0]);
        add(&mut a, &b).unwrap();
        assert_eq!(a.schema, 0);
        assert_eq!(
            to_dense(&a.positive_spans, &a.positive_buckets).get(&0),
            Some(&3.0)
        );
    }

    #[test]
    fn detects_bucket_decrease() {
        let prev = hist(0, &[2.0, 1.0]);
        let cur = hist(0, &[1.0, 3.0]);
        assert!(detect_reset(&cur, &prev));
        assert!(!detect_reset(&hist(0, &[2.0, 2.0]), &prev));
    }

    #[test]
    fn mixed_schemas_are_incompatible() {
        let mut a = hist(0, &[1.0]);
        let b = FloatHistogram {
            schema: -53,
            ..FloatHistogram::default()
        };
        assert_eq!(add(&mut a, &b), Err(HistError::IncompatibleSchema));
    }

    #[test]
    fn classic_quantile() {
        let mut buckets = vec![
            ClassicBucket {
                upper_bound: 1.0,
                count: 1.0,
            },
            ClassicBucket {
                upper_bound: f64::INFINITY,
                count: 2.0,
            },
            ClassicBucket {
                upper_bound: 0.5,
                count: 0.0,
            },
        ];
        let (q, m) = bucket_quantile(0.25, &mut buckets);
        assert_eq!(q, 0.75);
        assert!(!m.forced);
    }
}
