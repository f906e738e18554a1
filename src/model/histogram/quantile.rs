//! Quantile math: `histogram_quantile`, `histogram_fraction` and `histogram_stddev`/`stdvar`
//! for native and classic histograms, and the φ-quantile used by the `quantile` aggregation and
//! `quantile_over_time` (Prometheus's `promql/quantile.go` and parts of `functions.go`).
//!
//! These are pure functions over numbers and histograms; the evaluator turns the returned flags
//! into annotations.

use super::FloatHistogram;
use super::gomath::{almost_equal, exp2, kahan_inc, log2};
use super::iter::{AllIter, HistogramBucket};

/// Relative differences between neighbouring classic buckets below this are treated as
/// floating-point noise by [`bucket_quantile`] (Prometheus's `smallDeltaTolerance`).
pub const SMALL_DELTA_TOLERANCE: f64 = 1e-12;

/// A bucket of a classic histogram: an `le` upper bound and the cumulative count (Prometheus's
/// `promql.Bucket`).
///
/// ```
/// use promgate::model::quantile::Bucket;
/// let b = Bucket { upper_bound: f64::INFINITY, count: 10.0 };
/// assert!(b.upper_bound.is_infinite());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bucket {
    /// The `le` bound.
    pub upper_bound: f64,
    /// Observations at or below the bound (cumulative).
    pub count: f64,
}

/// The result of [`bucket_quantile`] with what Prometheus reports about repairs it made.
///
/// ```
/// use promgate::model::quantile::{bucket_quantile, Bucket};
/// let mut buckets = vec![
///     Bucket { upper_bound: 1.0, count: 5.0 },
///     Bucket { upper_bound: 2.0, count: 4.0 },
///     Bucket { upper_bound: f64::INFINITY, count: 10.0 },
/// ];
/// let result = bucket_quantile(0.5, &mut buckets);
/// assert!(result.forced_monotonicity);
/// assert_eq!((result.min_bucket, result.max_bucket, result.max_diff), (2.0, 2.0, 1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketQuantile {
    /// The estimated quantile.
    pub quantile: f64,
    /// Some bucket count was smaller than the one before and was raised (Prometheus adds the
    /// "input to histogram_quantile needed to be fixed for monotonicity" info).
    pub forced_monotonicity: bool,
    /// Tiny differences between neighbouring buckets were ignored as floating-point noise.
    pub fixed_precision: bool,
    /// The smallest upper bound where monotonicity was forced (`+Inf` if none).
    pub min_bucket: f64,
    /// The largest upper bound where monotonicity was forced (`-Inf` if none).
    pub max_bucket: f64,
    /// The largest decrease that was removed (0 if none).
    pub max_diff: f64,
}

/// Prometheus's `BucketQuantile`: the `q`-quantile of a classic histogram, interpolating
/// linearly within the bucket the rank falls into.
///
/// `buckets` is sorted by upper bound in place, buckets with equal bounds are merged into the
/// front of the slice, and counts are made monotonic in place, exactly as Prometheus mutates its
/// argument (so calling this repeatedly on the same slice, as `histogram_quantiles` does,
/// behaves as in Prometheus). Special cases: NaN for a NaN `q`, `-Inf` for `q < 0`, `+Inf` for
/// `q > 1`; NaN without a `+Inf` bucket, with fewer than two buckets or without observations.
/// The highest bucket gives the upper bound of the second highest; the lowest bucket starts at 0
/// unless its upper bound is at most 0, in which case that bound is the answer.
///
/// ```
/// use promgate::model::quantile::{bucket_quantile, Bucket};
/// let mut buckets = vec![
///     Bucket { upper_bound: 10.0, count: 10.0 },
///     Bucket { upper_bound: 15.0, count: 15.0 },
///     Bucket { upper_bound: f64::INFINITY, count: 15.0 },
/// ];
/// assert_eq!(bucket_quantile(0.5, &mut buckets).quantile, 7.5);
/// assert_eq!(bucket_quantile(1.0, &mut buckets).quantile, 15.0);
/// assert_eq!(bucket_quantile(1.5, &mut buckets).quantile, f64::INFINITY);
/// ```
pub fn bucket_quantile(q: f64, buckets: &mut [Bucket]) -> BucketQuantile {
    let mut result = BucketQuantile {
        quantile: f64::NAN,
        forced_monotonicity: false,
        fixed_precision: false,
        min_bucket: 0.0,
        max_bucket: 0.0,
        max_diff: 0.0,
    };
    if q.is_nan() {
        return result;
    }
    if q < 0.0 {
        result.quantile = f64::NEG_INFINITY;
        return result;
    }
    if q > 1.0 {
        result.quantile = f64::INFINITY;
        return result;
    }
    sort_by_upper_bound(buckets);
    match buckets.last() {
        Some(last) if last.upper_bound == f64::INFINITY => {}
        _ => return result,
    }
    let n = coalesce_buckets(buckets);
    let buckets = &mut buckets[..n];
    let repair = ensure_monotonic_and_ignore_small_deltas(buckets, SMALL_DELTA_TOLERANCE);
    result.forced_monotonicity = repair.forced_monotonicity;
    result.fixed_precision = repair.fixed_precision;
    result.min_bucket = repair.min_bucket;
    result.max_bucket = repair.max_bucket;
    result.max_diff = repair.max_diff;

    result.quantile = interpolate_quantile(q, buckets);
    result
}

/// The last step of `BucketQuantile`, shared by every Prometheus version: the `q`-quantile
/// (`0 <= q <= 1`) of buckets already sorted, coalesced and made monotonic, by linear
/// interpolation in the bucket the rank falls into. NaN for fewer than two buckets or no
/// observations.
pub(crate) fn interpolate_quantile(q: f64, buckets: &[Bucket]) -> f64 {
    if buckets.len() < 2 {
        return f64::NAN;
    }
    let observations = buckets[buckets.len() - 1].count;
    if observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = go_search(buckets.len() - 1, |i| buckets[i].count >= rank);
    if b == buckets.len() - 1 {
        return buckets[buckets.len() - 2].upper_bound;
    }
    if b == 0 && buckets[0].upper_bound <= 0.0 {
        return buckets[0].upper_bound;
    }
    let mut bucket_start = 0.0;
    let bucket_end = buckets[b].upper_bound;
    let mut count = buckets[b].count;
    if b > 0 {
        bucket_start = buckets[b - 1].upper_bound;
        count -= buckets[b - 1].count;
        rank -= buckets[b - 1].count;
    }
    bucket_start + (bucket_end - bucket_start) * (rank / count)
}

/// Prometheus's `BucketFraction`: the fraction of observations of a classic histogram between
/// `lower` and `upper`, interpolating linearly (the first bucket starts at 0 if its upper bound
/// is positive). Sorts and coalesces `buckets` in place like [`bucket_quantile`]. NaN without
/// a `+Inf` bucket, without observations, or for NaN bounds; 0 if `lower >= upper`.
///
/// ```
/// use promgate::model::quantile::{bucket_fraction, Bucket};
/// let mut buckets = vec![
///     Bucket { upper_bound: 10.0, count: 10.0 },
///     Bucket { upper_bound: 20.0, count: 20.0 },
///     Bucket { upper_bound: f64::INFINITY, count: 20.0 },
/// ];
/// assert_eq!(bucket_fraction(f64::NEG_INFINITY, 5.0, &mut buckets), 0.25);
/// assert_eq!(bucket_fraction(10.0, 20.0, &mut buckets), 0.5);
/// ```
pub fn bucket_fraction(lower: f64, upper: f64, buckets: &mut [Bucket]) -> f64 {
    sort_by_upper_bound(buckets);
    match buckets.last() {
        Some(last) if last.upper_bound == f64::INFINITY => {}
        _ => return f64::NAN,
    }
    let n = coalesce_buckets(buckets);
    let buckets = &buckets[..n];

    let count = buckets[buckets.len() - 1].count;
    if count == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }

    let mut rank = 0.0;
    let mut lower_rank = 0.0;
    let mut upper_rank = 0.0;
    let mut lower_set = false;
    let mut upper_set = false;
    // A positive first upper bound means positive observations only: the first bucket starts
    // at 0. Otherwise it starts at -Inf.
    let mut lower_bound = if buckets[0].upper_bound <= 0.0 {
        f64::NEG_INFINITY
    } else {
        0.0
    };

    for (i, b) in buckets.iter().enumerate() {
        if i > 0 {
            lower_bound = buckets[i - 1].upper_bound;
        }
        let upper_bound = b.upper_bound;
        // No interpolation inside a bucket with an infinite bound: +Inf contributes nothing
        // through the formula, -Inf is handled explicitly.
        let interpolate_linearly = |v: f64| {
            if lower_bound == f64::NEG_INFINITY {
                return b.count;
            }
            rank + (b.count - rank) * (v - lower_bound) / (upper_bound - lower_bound)
        };

        if !lower_set && lower_bound >= lower {
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && lower_bound >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && lower_bound < lower && upper_bound > lower {
            lower_rank = interpolate_linearly(lower);
            lower_set = true;
        }
        if !upper_set && lower_bound < upper && upper_bound > upper {
            upper_rank = interpolate_linearly(upper);
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank = b.count;
    }
    if !lower_set || lower_rank > count {
        lower_rank = count;
    }
    if !upper_set || upper_rank > count {
        upper_rank = count;
    }
    (upper_rank - lower_rank) / count
}

/// Sorts classic buckets by upper bound. Prometheus sorts with `a < b`/`a > b`, which is no
/// total order for NaN bounds ("not expected"); we use `total_cmp` so that sorting cannot fail,
/// which keeps -0 and +0 adjacent (so they are still coalesced) and puts NaN bounds last.
fn sort_by_upper_bound(buckets: &mut [Bucket]) {
    buckets.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
}

/// Prometheus's `coalesceBuckets`: merges sorted buckets with equal upper bounds into the front
/// of the slice and returns how many remain. Empty input stays empty.
pub(crate) fn coalesce_buckets(buckets: &mut [Bucket]) -> usize {
    let Some(&first) = buckets.first() else {
        return 0;
    };
    let mut last = first;
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

/// What [`ensure_monotonic_and_ignore_small_deltas`] changed.
struct Repair {
    forced_monotonicity: bool,
    fixed_precision: bool,
    min_bucket: f64,
    max_bucket: f64,
    max_diff: f64,
}

/// Prometheus's `ensureMonotonicAndIgnoreSmallDeltas`: first ignores differences between
/// neighbouring counts below the relative `tolerance` (in either direction), then removes any
/// decrease, in place.
fn ensure_monotonic_and_ignore_small_deltas(buckets: &mut [Bucket], tolerance: f64) -> Repair {
    let mut repair = Repair {
        forced_monotonicity: false,
        fixed_precision: false,
        min_bucket: f64::INFINITY,
        max_bucket: f64::NEG_INFINITY,
        max_diff: 0.0,
    };
    let Some(first) = buckets.first() else {
        return repair;
    };
    let mut prev = first.count;
    for bucket in buckets.iter_mut().skip(1) {
        let curr = bucket.count;
        if curr == prev {
            continue;
        }
        if almost_equal(prev, curr, tolerance) {
            // Floating-point noise: keep prev (and do not move it).
            bucket.count = prev;
            repair.fixed_precision = true;
            continue;
        }
        if curr < prev {
            // Remove the decrease whatever its size; prev stays.
            bucket.count = prev;
            repair.forced_monotonicity = true;
            if bucket.upper_bound < repair.min_bucket {
                repair.min_bucket = bucket.upper_bound;
            }
            if bucket.upper_bound > repair.max_bucket {
                repair.max_bucket = bucket.upper_bound;
            }
            let diff = prev - curr;
            if diff > repair.max_diff {
                repair.max_diff = diff;
            }
            continue;
        }
        prev = curr;
    }
    repair
}

/// Go's `sort.Search`: the smallest `i` in `[0, n)` for which `f(i)` is true (assuming
/// `f` is false then true), or `n`. Written as Go's bisection so that non-monotonic input
/// (NaN counts) gives the same answer.
fn go_search(n: usize, f: impl Fn(usize) -> bool) -> usize {
    let (mut i, mut j) = (0usize, n);
    while i < j {
        let h = i + (j - i) / 2;
        if !f(h) {
            i = h + 1;
        } else {
            j = h;
        }
    }
    i
}

/// Information Prometheus attaches to native-histogram results when the histogram contains
/// NaN observations (its sum is NaN).
///
/// ```
/// use promgate::model::quantile::{histogram_quantile_with_info, NanObservationsInfo};
/// use promgate::{FloatHistogram, model::BucketSpan};
/// let h = FloatHistogram {
///     count: 3.0,
///     sum: f64::NAN,
///     positive_spans: vec![BucketSpan { offset: 0, length: 1 }],
///     positive_buckets: vec![1.0],
///     ..FloatHistogram::default()
/// };
/// let (value, info) = histogram_quantile_with_info(0.9, &h);
/// assert!(value.is_nan());
/// assert_eq!(info, Some(NanObservationsInfo::QuantileNaNResult));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NanObservationsInfo {
    /// The quantile falls above all buckets because of NaN observations, so it is NaN
    /// (Prometheus's `NewNativeHistogramQuantileNaNResultInfo`).
    QuantileNaNResult,
    /// NaN observations (counted as `+Inf`) may skew the quantile upwards
    /// (`NewNativeHistogramQuantileNaNSkewInfo`).
    QuantileNaNSkew,
    /// NaN observations are in no bucket, so fractions may not add up to 1
    /// (`NewNativeHistogramFractionNaNsInfo`).
    FractionNaNs,
}

/// Prometheus's `HistogramQuantile` for a native histogram, without the annotation; see
/// [`histogram_quantile_with_info`].
///
/// ```
/// use promgate::model::quantile::histogram_quantile;
/// use promgate::{FloatHistogram, model::BucketSpan};
/// // Two observations in (1, 2]: the median is the geometric middle, √2.
/// let h = FloatHistogram {
///     count: 2.0,
///     sum: 3.0,
///     positive_spans: vec![BucketSpan { offset: 1, length: 1 }],
///     positive_buckets: vec![2.0],
///     ..FloatHistogram::default()
/// };
/// assert!((histogram_quantile(0.5, &h) - 2f64.sqrt()).abs() < 1e-15);
/// ```
pub fn histogram_quantile(q: f64, h: &FloatHistogram) -> f64 {
    histogram_quantile_with_info(q, h).0
}

/// Prometheus's `HistogramQuantile`: the `q`-quantile of a native histogram.
///
/// Within exponential buckets the interpolation is exponential (as if the bucket were split
/// into finer buckets of equal population), within custom buckets and the zero bucket linear.
/// The zero bucket starts (ends) at 0 if the histogram has only positive (negative) buckets.
/// For custom buckets, the first bucket starts at 0 unless its upper bound is at most 0 (then
/// that bound is the result), and the `+Inf` bucket gives its lower bound. Quantiles below 0.5
/// are searched from the lowest bucket, others from the highest (unless the sum is NaN).
/// Special cases: `-Inf` for `q < 0`, `+Inf` for `q > 1`, NaN for NaN `q` or a zero count.
/// With NaN observations, the result may be NaN or skewed; the second value says which.
///
/// Prometheus 3.14 quirk, reproduced: when the sum is NaN, the interpolation uses the
/// histogram's last bucket rather than the one the rank fell into (the loop that counts the
/// remaining buckets reuses the bucket variable).
///
/// ```
/// use promgate::model::quantile::histogram_quantile_with_info;
/// use promgate::{FloatHistogram, model::BucketSpan};
/// let nhcb = FloatHistogram {
///     schema: -53,
///     count: 4.0,
///     custom_values: vec![10.0, 20.0],
///     positive_spans: vec![BucketSpan { offset: 0, length: 3 }],
///     positive_buckets: vec![2.0, 2.0, 0.0],
///     ..FloatHistogram::default()
/// };
/// // Linear interpolation from 0 in the first bucket.
/// assert_eq!(histogram_quantile_with_info(0.25, &nhcb), (5.0, None));
/// ```
pub fn histogram_quantile_with_info(
    q: f64,
    h: &FloatHistogram,
) -> (f64, Option<NanObservationsInfo>) {
    if q < 0.0 {
        return (f64::NEG_INFINITY, None);
    }
    if q > 1.0 {
        return (f64::INFINITY, None);
    }
    if h.count == 0.0 || q.is_nan() {
        return (f64::NAN, None);
    }

    let mut info = None;
    let forward = h.sum.is_nan() || q < 0.5;
    let (mut it, mut rank) = if forward {
        (AllIter::ascending(h), q * h.count)
    } else {
        (AllIter::descending(h), (1.0 - q) * h.count)
    };

    let mut bucket = HistogramBucket::default();
    let mut count = 0.0;
    for b in it.by_ref() {
        bucket = b;
        if bucket.count == 0.0 {
            continue;
        }
        count += bucket.count;
        if count >= rank {
            break;
        }
    }
    if !h.uses_custom_buckets() && bucket.lower < 0.0 && bucket.upper > 0.0 {
        if h.negative_buckets.is_empty() && !h.positive_buckets.is_empty() {
            // In the zero bucket with only positive buckets: 0 is the lower bound.
            bucket.lower = 0.0;
        } else if h.positive_buckets.is_empty() && !h.negative_buckets.is_empty() {
            // In the zero bucket with only negative buckets: 0 is the upper bound.
            bucket.upper = 0.0;
        }
    } else if h.uses_custom_buckets() {
        if bucket.lower == f64::NEG_INFINITY {
            // The first bucket.
            if bucket.upper <= 0.0 {
                return (bucket.upper, info);
            }
            bucket.lower = 0.0;
        } else if bucket.upper == f64::INFINITY {
            // The +Inf bucket.
            return (bucket.lower, info);
        }
    }
    // Numerical inaccuracies could make the count exceed h.count.
    if count > h.count {
        count = h.count;
    }
    // Running out of buckets before reaching the rank should only happen with NaN
    // observations (the sum is NaN then).
    if count < rank {
        if h.sum.is_nan() {
            return (f64::NAN, Some(NanObservationsInfo::QuantileNaNResult));
        }
        // Precision trouble or a broken histogram: the upper bound of the highest bucket.
        return (bucket.upper, info);
    }

    if forward {
        rank -= count - bucket.count;
    } else {
        rank = count - rank;
    }
    if h.sum.is_nan() {
        // NaN observations count in h.count but in no bucket.
        for b in it.by_ref() {
            bucket = b;
            count += bucket.count;
        }
        if count < h.count {
            info = Some(NanObservationsInfo::QuantileNaNSkew);
        }
    }

    let fraction = rank / bucket.count;
    if h.uses_custom_buckets() || (bucket.lower <= 0.0 && bucket.upper >= 0.0) {
        return (
            bucket.lower + (bucket.upper - bucket.lower) * fraction,
            info,
        );
    }
    // Exponential buckets become equally wide on a logarithmic scale.
    let log_lower = log2(bucket.lower.abs());
    let log_upper = log2(bucket.upper.abs());
    if bucket.lower > 0.0 {
        return (exp2(log_lower + (log_upper - log_lower) * fraction), info);
    }
    // A negative bucket: mirror.
    (
        -exp2(log_upper + (log_lower - log_upper) * (1.0 - fraction)),
        info,
    )
}

/// Prometheus's `HistogramFraction` without the annotation; see
/// [`histogram_fraction_with_info`].
///
/// ```
/// use promgate::model::quantile::histogram_fraction;
/// use promgate::{FloatHistogram, model::BucketSpan};
/// let h = FloatHistogram {
///     count: 4.0,
///     positive_spans: vec![BucketSpan { offset: 1, length: 2 }],
///     positive_buckets: vec![2.0, 2.0],
///     ..FloatHistogram::default()
/// };
/// assert_eq!(histogram_fraction(f64::NEG_INFINITY, 2.0, &h), 0.5);
/// assert_eq!(histogram_fraction(2.0, 1.0, &h), 0.0);
/// ```
pub fn histogram_fraction(lower: f64, upper: f64, h: &FloatHistogram) -> f64 {
    histogram_fraction_with_info(lower, upper, h).0
}

/// Prometheus's `HistogramFraction`: the estimated fraction of observations between `lower`
/// and `upper`, the inverse of [`histogram_quantile`]. Interpolation and the zero-bucket
/// assumptions are as for quantiles; buckets with an infinite bound contribute nothing when
/// interpolated. NaN for a zero count or NaN bounds, 0 if `lower >= upper`. NaN observations
/// are in no bucket; the second value reports them.
///
/// ```
/// use promgate::model::quantile::histogram_fraction_with_info;
/// use promgate::{FloatHistogram, model::BucketSpan};
/// let nhcb = FloatHistogram {
///     schema: -53,
///     count: 4.0,
///     custom_values: vec![10.0, 20.0],
///     positive_spans: vec![BucketSpan { offset: 0, length: 2 }],
///     positive_buckets: vec![2.0, 2.0],
///     ..FloatHistogram::default()
/// };
/// assert_eq!(histogram_fraction_with_info(15.0, f64::INFINITY, &nhcb), (0.25, None));
/// ```
pub fn histogram_fraction_with_info(
    lower: f64,
    upper: f64,
    h: &FloatHistogram,
) -> (f64, Option<NanObservationsInfo>) {
    if h.count == 0.0 || lower.is_nan() || upper.is_nan() {
        return (f64::NAN, None);
    }
    if lower >= upper {
        return (0.0, None);
    }

    let mut count = 0.0;
    let mut rank = 0.0;
    let mut lower_rank = 0.0;
    let mut upper_rank = 0.0;
    let mut lower_set = false;
    let mut upper_set = false;
    let mut info = None;
    let mut it = AllIter::ascending(h);

    for mut b in it.by_ref() {
        count += b.count;
        let mut zero_bucket = false;
        if b.lower <= 0.0 && b.upper >= 0.0 {
            zero_bucket = true;
            if h.negative_buckets.is_empty() && !h.positive_buckets.is_empty() {
                b.lower = 0.0;
            } else if h.positive_buckets.is_empty() && !h.negative_buckets.is_empty() {
                b.upper = 0.0;
            }
        }
        // Linear for custom buckets (as classic histograms) and the zero bucket; no
        // interpolation inside a bucket starting at -Inf.
        let interpolate_linearly = |v: f64| {
            if b.lower == f64::NEG_INFINITY {
                return b.count;
            }
            rank + b.count * b.fraction_below(v, true)
        };
        let interpolate_exponentially = |v: f64| rank + b.count * b.fraction_below(v, false);
        let linear = h.uses_custom_buckets() || zero_bucket;

        if !lower_set && b.lower >= lower {
            // The lower value is at the lower bound of this bucket.
            lower_rank = rank;
            lower_set = true;
        }
        if !upper_set && b.lower >= upper {
            upper_rank = rank;
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        if !lower_set && b.lower < lower && b.upper > lower {
            // The lower value is inside this bucket.
            lower_rank = if linear {
                interpolate_linearly(lower)
            } else {
                interpolate_exponentially(lower)
            };
            lower_set = true;
        }
        if !upper_set && b.lower < upper && b.upper > upper {
            upper_rank = if linear {
                interpolate_linearly(upper)
            } else {
                interpolate_exponentially(upper)
            };
            upper_set = true;
        }
        if lower_set && upper_set {
            break;
        }
        rank += b.count;
    }
    if h.sum.is_nan() {
        // There may be NaN observations: count only what is in buckets.
        for b in it {
            count += b.count;
        }
        if count < h.count {
            info = Some(NanObservationsInfo::FractionNaNs);
        }
    } else {
        count = h.count;
    }
    if !lower_set || lower_rank > count {
        lower_rank = count;
    }
    if !upper_set || upper_rank > count {
        upper_rank = count;
    }
    ((upper_rank - lower_rank) / h.count, info)
}

/// The estimated variance of the observations in a native histogram, as Prometheus's
/// `histogram_stdvar` (3.4+): every observation is assumed at its bucket's geometric mean
/// (arithmetic mean for custom buckets, 0 in the zero bucket), and the squared deviations from
/// `sum / count` are summed with Kahan summation.
///
/// ```
/// use promgate::model::quantile::{histogram_stddev, histogram_stdvar};
/// use promgate::{FloatHistogram, model::BucketSpan};
/// let nhcb = FloatHistogram {
///     schema: -53,
///     count: 2.0,
///     sum: 20.0,
///     custom_values: vec![0.0, 10.0, 20.0],
///     positive_spans: vec![BucketSpan { offset: 1, length: 2 }],
///     positive_buckets: vec![1.0, 1.0],
///     ..FloatHistogram::default()
/// };
/// // Observations assumed at 5 and 15, mean 10.
/// assert_eq!(histogram_stdvar(&nhcb), 25.0);
/// assert_eq!(histogram_stddev(&nhcb), 5.0);
/// ```
pub fn histogram_stdvar(h: &FloatHistogram) -> f64 {
    let mean = h.sum / h.count;
    let mut variance = 0.0;
    let mut compensation = 0.0;
    for bucket in AllIter::ascending(h) {
        if bucket.count == 0.0 {
            continue;
        }
        let value = if h.uses_custom_buckets() {
            (bucket.upper + bucket.lower) / 2.0
        } else if bucket.lower <= 0.0 && bucket.upper >= 0.0 {
            0.0
        } else {
            let geometric_mean = (bucket.upper * bucket.lower).sqrt();
            if bucket.upper < 0.0 {
                -geometric_mean
            } else {
                geometric_mean
            }
        };
        let delta = value - mean;
        (variance, compensation) = kahan_inc(bucket.count * delta * delta, variance, compensation);
    }
    variance += compensation;
    variance / h.count
}

/// The estimated standard deviation of the observations in a native histogram, the square
/// root of [`histogram_stdvar`] (Prometheus's `histogram_stddev`).
///
/// ```
/// use promgate::model::quantile::histogram_stddev;
/// use promgate::FloatHistogram;
/// assert!(histogram_stddev(&FloatHistogram::default()).is_nan());
/// ```
pub fn histogram_stddev(h: &FloatHistogram) -> f64 {
    histogram_stdvar(h).sqrt()
}

/// The mean observation, `sum / count` (Prometheus's `histogram_avg`).
///
/// ```
/// use promgate::model::quantile::histogram_avg;
/// use promgate::FloatHistogram;
/// assert_eq!(histogram_avg(&FloatHistogram { count: 4.0, sum: 10.0, ..FloatHistogram::default() }), 2.5);
/// ```
pub fn histogram_avg(h: &FloatHistogram) -> f64 {
    h.sum / h.count
}

/// Prometheus's `quantile`: the `q`-quantile of `values` (the `quantile` aggregation and
/// `quantile_over_time`), interpolating linearly between the two nearest ranks. Sorts `values`
/// in place, NaNs first as Prometheus orders them. NaN for no values or a NaN `q`, `-Inf` for
/// `q < 0`, `+Inf` for `q > 1`.
///
/// ```
/// use promgate::model::quantile::quantile;
/// let mut values = vec![4.0, 1.0, 3.0, 2.0];
/// assert_eq!(quantile(0.5, &mut values), 2.5);
/// assert_eq!(values, vec![1.0, 2.0, 3.0, 4.0]);
/// assert_eq!(quantile(-1.0, &mut values), f64::NEG_INFINITY);
/// assert!(quantile(0.5, &mut []).is_nan());
/// ```
pub fn quantile(q: f64, values: &mut [f64]) -> f64 {
    quantile_with(q, values, |values| {
        // Prometheus's vectorByValueHeap.Less puts NaN before everything.
        values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            (false, false) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
        })
    })
}

/// [`quantile`] with the given sort (Prometheus 2.42 sorts with Go's insertion sort, whose
/// arrangement of NaNs differs).
pub(crate) fn quantile_with(q: f64, values: &mut [f64], sort: impl FnOnce(&mut [f64])) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    sort(values);
    let n = values.len() as f64;
    // Between two samples, a weighted average of both.
    let rank = q * (n - 1.0);
    let lower_index = 0f64.max(rank.floor());
    let upper_index = (n - 1.0).min(lower_index + 1.0);
    let weight = rank - rank.floor();
    values[lower_index as usize] * (1.0 - weight) + values[upper_index as usize] * weight
}
