//! Comparing an actual histogram with an expected one in tests, as Prometheus's promqltest
//! `compareNativeHistogram` (spec §7.2).

use std::fmt;

use super::FloatHistogram;
use super::bounds::custom_bucket_bounds_match;
use super::spans::spans_match;

/// The first field in which an actual histogram differs from the expected one.
///
/// ```
/// use promgate::model::HistogramMismatch;
/// assert_eq!(HistogramMismatch::ZeroThreshold.to_string(), "zero threshold");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HistogramMismatch {
    /// Different schemas.
    Schema,
    /// Counts not equal within the tolerance.
    Count,
    /// Sums not equal within the tolerance.
    Sum,
    /// Different custom bounds (custom-bucket histograms only).
    CustomValues,
    /// Different zero thresholds (compared exactly).
    ZeroThreshold,
    /// Zero counts not equal within the tolerance.
    ZeroCount,
    /// Different negative bucket layouts.
    NegativeSpans,
    /// Negative bucket counts differ.
    NegativeBuckets,
    /// Different positive bucket layouts.
    PositiveSpans,
    /// Positive bucket counts differ.
    PositiveBuckets,
    /// Different counter-reset hints (checked only when the expected literal spells one out).
    CounterResetHint,
}

impl fmt::Display for HistogramMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HistogramMismatch::Schema => "schema",
            HistogramMismatch::Count => "count",
            HistogramMismatch::Sum => "sum",
            HistogramMismatch::CustomValues => "custom values",
            HistogramMismatch::ZeroThreshold => "zero threshold",
            HistogramMismatch::ZeroCount => "zero bucket count",
            HistogramMismatch::NegativeSpans => "negative spans",
            HistogramMismatch::NegativeBuckets => "negative buckets",
            HistogramMismatch::PositiveSpans => "positive spans",
            HistogramMismatch::PositiveBuckets => "positive buckets",
            HistogramMismatch::CounterResetHint => "counter reset hint",
        })
    }
}

impl FloatHistogram {
    /// Compares `actual` with `self` as the expected value of a test (spec §7.2): both are
    /// compacted first (on copies), then schema and zero threshold must be equal, count, sum,
    /// zero count and every bucket equal according to `float_eq` (the runner's relative-epsilon
    /// rule), the span layouts equal (ignoring empty spans), custom bounds equal for custom
    /// buckets, and, if `check_counter_reset_hint` (the expected literal spells out a hint), the
    /// hints equal. Returns the first difference, or `None` if they match.
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::{BucketSpan, HistogramMismatch}};
    /// let expected = FloatHistogram {
    ///     count: 1.0,
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 1 }],
    ///     positive_buckets: vec![1.0],
    ///     ..FloatHistogram::default()
    /// };
    /// // The same histogram with an explicit empty bucket: equal after compaction.
    /// let actual = FloatHistogram {
    ///     count: 1.0000000001,
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 2 }],
    ///     positive_buckets: vec![1.0, 0.0],
    ///     ..FloatHistogram::default()
    /// };
    /// let close = |a: f64, b: f64| a == b || ((a - b) / (a.abs() + b.abs())).abs() < 1e-6;
    /// assert_eq!(expected.test_mismatch(&actual, false, close), None);
    /// let other = FloatHistogram { count: 2.0, ..actual.clone() };
    /// assert_eq!(expected.test_mismatch(&other, false, close), Some(HistogramMismatch::Count));
    /// ```
    pub fn test_mismatch(
        &self,
        actual: &FloatHistogram,
        check_counter_reset_hint: bool,
        float_eq: impl Fn(f64, f64) -> bool,
    ) -> Option<HistogramMismatch> {
        let mut expected = self.clone();
        expected.compact(0);
        let mut actual = actual.clone();
        actual.compact(0);

        if expected.schema != actual.schema {
            return Some(HistogramMismatch::Schema);
        }
        if !float_eq(expected.count, actual.count) {
            return Some(HistogramMismatch::Count);
        }
        if !float_eq(expected.sum, actual.sum) {
            return Some(HistogramMismatch::Sum);
        }
        if expected.uses_custom_buckets()
            && !custom_bucket_bounds_match(&expected.custom_values, &actual.custom_values)
        {
            return Some(HistogramMismatch::CustomValues);
        }
        if expected.zero_threshold != actual.zero_threshold {
            return Some(HistogramMismatch::ZeroThreshold);
        }
        if !float_eq(expected.zero_count, actual.zero_count) {
            return Some(HistogramMismatch::ZeroCount);
        }
        let buckets_eq = |a: &[f64], b: &[f64]| {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| float_eq(*x, *y))
        };
        if !spans_match(&expected.negative_spans, &actual.negative_spans) {
            return Some(HistogramMismatch::NegativeSpans);
        }
        if !buckets_eq(&expected.negative_buckets, &actual.negative_buckets) {
            return Some(HistogramMismatch::NegativeBuckets);
        }
        if !spans_match(&expected.positive_spans, &actual.positive_spans) {
            return Some(HistogramMismatch::PositiveSpans);
        }
        if !buckets_eq(&expected.positive_buckets, &actual.positive_buckets) {
            return Some(HistogramMismatch::PositiveBuckets);
        }
        if check_counter_reset_hint && expected.counter_reset_hint != actual.counter_reset_hint {
            return Some(HistogramMismatch::CounterResetHint);
        }
        None
    }
}
