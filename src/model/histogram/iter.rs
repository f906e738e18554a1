//! Bucket iterators with bounds, as Prometheus's `floatBucketIterator`,
//! `reverseFloatBucketIterator` and `allFloatBucketIterator`.
//!
//! The iterators never panic: on an inconsistent layout (more span slots than buckets) they stop
//! early, as Prometheus's do, and custom bounds missing from `custom_values` read as `±Inf`.

use super::bounds::{
    get_bound, get_bound_exponential, is_custom_buckets_schema, is_exponential_schema, target_index,
};
use super::gomath::log2;
use super::{BucketSpan, FloatHistogram};

/// One bucket of a native histogram with its bounds, as Prometheus's `histogram.Bucket[float64]`.
///
/// For exponential schemas a positive bucket with index `i` covers `(b^(i-1), b^i]` and a
/// negative one `[-b^i, -b^(i-1))`; for custom buckets bucket `i` covers
/// `(custom_values[i-1], custom_values[i]]`, the first one starting at `-Inf` (inclusive) and
/// the last one ending at `+Inf`.
///
/// ```
/// use promgate::{FloatHistogram, model::{BucketSpan, HistogramBucket}};
/// let h = FloatHistogram {
///     count: 3.0,
///     positive_spans: vec![BucketSpan { offset: 1, length: 1 }],
///     positive_buckets: vec![3.0],
///     ..FloatHistogram::default()
/// };
/// let b: HistogramBucket = h.positive_bucket_iter().next().unwrap();
/// assert_eq!((b.lower, b.upper, b.count, b.index), (1.0, 2.0, 3.0, 1));
/// assert!(!b.lower_inclusive && b.upper_inclusive);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HistogramBucket {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
    /// Whether the lower bound belongs to the bucket.
    pub lower_inclusive: bool,
    /// Whether the upper bound belongs to the bucket.
    pub upper_inclusive: bool,
    /// Number of observations (absolute, not cumulative).
    pub count: f64,
    /// Index of the bucket within its schema and sign (irrelevant for the zero bucket, 0).
    pub index: i32,
}

impl HistogramBucket {
    /// Prometheus's `Bucket.FractionBelow`: the fraction of the bucket's width at or below `v`,
    /// assuming `lower < v < upper` and finite bounds. Linear interpolation when `linear` (custom
    /// buckets and the zero bucket), otherwise interpolation on a logarithmic scale (exponential
    /// buckets, mirrored for negative ones).
    ///
    /// ```
    /// use promgate::model::HistogramBucket;
    /// let b = HistogramBucket { lower: 2.0, upper: 8.0, count: 10.0, ..Default::default() };
    /// assert_eq!(b.fraction_below(4.0, false), 0.5);
    /// assert_eq!(b.fraction_below(5.0, true), 0.5);
    /// ```
    pub fn fraction_below(&self, v: f64, linear: bool) -> f64 {
        if linear {
            return (v - self.lower) / (self.upper - self.lower);
        }
        let log_lower = log2(self.lower.abs());
        let log_upper = log2(self.upper.abs());
        let log_v = log2(v.abs());
        if v > 0.0 {
            return (log_v - log_lower) / (log_upper - log_lower);
        }
        1.0 - ((log_v - log_upper) / (log_lower - log_upper))
    }
}

/// The state and bound computation shared by the forward and reverse iterators
/// (Prometheus's `baseBucketIterator`).
#[derive(Debug, Clone)]
struct Base<'a> {
    schema: i32,
    spans: &'a [BucketSpan],
    buckets: &'a [f64],
    custom_values: &'a [f64],
    positive: bool,
    current_count: f64,
    current_index: i32,
}

impl Base<'_> {
    /// The current bucket with bounds computed in `schema`.
    fn at(&self, schema: i32) -> HistogramBucket {
        let index = self.current_index;
        let (lower, upper) = if self.positive {
            (
                get_bound(index.wrapping_sub(1), schema, self.custom_values),
                get_bound(index, schema, self.custom_values),
            )
        } else {
            (
                -get_bound(index, schema, self.custom_values),
                -get_bound(index.wrapping_sub(1), schema, self.custom_values),
            )
        };
        let (lower_inclusive, upper_inclusive) = if is_custom_buckets_schema(schema) {
            (index == 0, true)
        } else {
            (lower < 0.0, upper > 0.0)
        };
        HistogramBucket {
            lower,
            upper,
            lower_inclusive,
            upper_inclusive,
            count: self.current_count,
            index,
        }
    }
}

/// A bucket index and count without bounds (Prometheus's `strippedBucket`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StrippedBucket {
    pub(crate) count: f64,
    pub(crate) index: i32,
}

/// Iterates the positive or negative buckets from the zero bucket outwards, optionally merged
/// into a coarser `target_schema` and skipping buckets whose absolute upper bound is at most
/// `absolute_start_value` (Prometheus's `floatBucketIterator`).
#[derive(Debug, Clone)]
pub(crate) struct ForwardIter<'a> {
    base: Base<'a>,
    target_schema: i32,
    spans_index: usize,
    index_in_span: u32,
    buckets_index: usize,
    original_index: i32,
    absolute_start_value: f64,
    bound_reached_start_value: bool,
    done: bool,
}

impl<'a> ForwardIter<'a> {
    /// Prometheus's `FloatHistogram.floatBucketIterator`. A `target_schema` finer than the
    /// histogram's, or a switch between custom and exponential schemas, yields nothing (Go
    /// panics); callers check schemas first.
    pub(crate) fn new(
        h: &'a FloatHistogram,
        positive: bool,
        absolute_start_value: f64,
        target_schema: i32,
    ) -> Self {
        let (spans, buckets, custom_values): (&[BucketSpan], &[f64], &[f64]) = if positive {
            (&h.positive_spans, &h.positive_buckets, &h.custom_values)
        } else {
            (&h.negative_spans, &h.negative_buckets, &[])
        };
        let incompatible = (h.uses_custom_buckets() && target_schema != h.schema)
            || (!h.uses_custom_buckets() && is_custom_buckets_schema(target_schema))
            || target_schema > h.schema;
        ForwardIter {
            base: Base {
                schema: h.schema,
                spans,
                buckets,
                custom_values,
                positive,
                current_count: 0.0,
                current_index: 0,
            },
            target_schema,
            spans_index: 0,
            index_in_span: 0,
            buckets_index: 0,
            original_index: 0,
            absolute_start_value,
            bound_reached_start_value: absolute_start_value == 0.0,
            done: incompatible,
        }
    }

    /// Advances to the next bucket; false at the end.
    fn advance(&mut self) -> bool {
        if self.done {
            return false;
        }
        loop {
            if !self.step() {
                self.done = true;
                return false;
            }
            // Skip buckets up to absolute_start_value (exponential schemas only).
            if !self.bound_reached_start_value
                && is_exponential_schema(self.target_schema)
                && get_bound_exponential(self.base.current_index, self.target_schema)
                    <= self.absolute_start_value
            {
                continue;
            }
            self.bound_reached_start_value = true;
            return true;
        }
    }

    /// One step of Prometheus's `Next`, without the skipping.
    fn step(&mut self) -> bool {
        let spans = self.base.spans;
        let buckets = self.base.buckets;
        let Some(mut span) = spans.get(self.spans_index).copied() else {
            return false;
        };

        if self.base.schema == self.target_schema {
            // Fast path for the common case.
            if self.buckets_index == 0 {
                self.base.current_index = span.offset;
            } else {
                self.base.current_index = self.base.current_index.wrapping_add(1);
            }
            if self.buckets_index >= buckets.len() {
                return false;
            }
            while self.index_in_span >= span.length {
                // Exhausted the current span (or a pathological empty one).
                self.index_in_span = 0;
                self.spans_index += 1;
                let Some(next) = spans.get(self.spans_index).copied() else {
                    return false;
                };
                span = next;
                self.base.current_index = self.base.current_index.wrapping_add(span.offset);
            }
            self.base.current_count = buckets[self.buckets_index];
            self.index_in_span += 1;
            self.buckets_index += 1;
            return true;
        }

        // Merge all buckets of the original schema that fall into one target bucket. Work on
        // copies so that we can look at the next bucket and roll back.
        let (mut original_index, mut spans_index, mut index_in_span) =
            (self.original_index, self.spans_index, self.index_in_span);
        let mut first_pass = true;
        self.base.current_count = 0.0;
        loop {
            if self.buckets_index == 0 {
                original_index = span.offset;
            } else {
                original_index = original_index.wrapping_add(1);
            }
            if self.buckets_index >= buckets.len() {
                if first_pass {
                    return false;
                }
                break;
            }
            let mut exhausted = false;
            while index_in_span >= span.length {
                index_in_span = 0;
                spans_index += 1;
                match spans.get(spans_index).copied() {
                    Some(next) => {
                        span = next;
                        original_index = original_index.wrapping_add(span.offset);
                    }
                    None => {
                        exhausted = true;
                        break;
                    }
                }
            }
            if exhausted {
                if first_pass {
                    return false;
                }
                break;
            }
            let current = target_index(original_index, self.base.schema, self.target_schema);
            if first_pass {
                self.base.current_index = current;
                first_pass = false;
            } else if current != self.base.current_index {
                // Reached the next target bucket; do not consume it.
                break;
            }
            self.base.current_count += buckets[self.buckets_index];
            index_in_span += 1;
            self.buckets_index += 1;
            self.original_index = original_index;
            self.spans_index = spans_index;
            self.index_in_span = index_in_span;
        }
        true
    }

    /// The current bucket without bounds.
    pub(crate) fn stripped(&self) -> StrippedBucket {
        StrippedBucket {
            count: self.base.current_count,
            index: self.base.current_index,
        }
    }

    /// Advances and returns the bucket without bounds.
    pub(crate) fn next_stripped(&mut self) -> Option<StrippedBucket> {
        self.advance().then(|| self.stripped())
    }
}

impl Iterator for ForwardIter<'_> {
    type Item = HistogramBucket;

    fn next(&mut self) -> Option<HistogramBucket> {
        // Bounds are computed in the target schema.
        self.advance().then(|| self.base.at(self.target_schema))
    }
}

/// Iterates positive buckets from the highest down, or negative buckets from the lowest up
/// (Prometheus's `reverseFloatBucketIterator`).
#[derive(Debug, Clone)]
pub(crate) struct ReverseIter<'a> {
    base: Base<'a>,
    spans_index: isize,
    buckets_index: isize,
    index_in_span: i32,
}

impl<'a> ReverseIter<'a> {
    pub(crate) fn new(
        spans: &'a [BucketSpan],
        buckets: &'a [f64],
        schema: i32,
        positive: bool,
        custom_values: &'a [f64],
    ) -> Self {
        let spans_index = spans.len() as isize - 1;
        let index_in_span = spans
            .last()
            .map(|s| (s.length as i32).wrapping_sub(1))
            .unwrap_or(0);
        let current_index = spans.iter().fold(0i32, |acc, s| {
            acc.wrapping_add(s.offset).wrapping_add(s.length as i32)
        });
        ReverseIter {
            base: Base {
                schema,
                spans,
                buckets,
                custom_values,
                positive,
                current_count: 0.0,
                current_index,
            },
            spans_index,
            buckets_index: buckets.len() as isize - 1,
            index_in_span,
        }
    }

    fn advance(&mut self) -> bool {
        self.base.current_index = self.base.current_index.wrapping_sub(1);
        if self.buckets_index < 0 {
            return false;
        }
        while self.index_in_span < 0 {
            // Exhausted the current span (or a pathological empty one).
            self.spans_index -= 1;
            if self.spans_index < 0 {
                return false;
            }
            let spans = self.base.spans;
            self.index_in_span = (spans[self.spans_index as usize].length as i32).wrapping_sub(1);
            let offset = spans[self.spans_index as usize + 1].offset;
            self.base.current_index = self.base.current_index.wrapping_sub(offset);
        }
        self.base.current_count = self.base.buckets[self.buckets_index as usize];
        self.buckets_index -= 1;
        self.index_in_span = self.index_in_span.wrapping_sub(1);
        true
    }
}

impl Iterator for ReverseIter<'_> {
    type Item = HistogramBucket;

    fn next(&mut self) -> Option<HistogramBucket> {
        self.advance().then(|| self.base.at(self.base.schema))
    }
}

/// Iterates all buckets, negative, zero and positive, in ascending order (or descending for the
/// reverse variant), clamping bucket bounds that reach into the zero bucket to the zero
/// threshold (Prometheus's `allFloatBucketIterator`).
#[derive(Debug, Clone)]
pub(crate) struct AllIter<'a> {
    h: &'a FloatHistogram,
    left: ReverseIter<'a>,
    right: ForwardIter<'a>,
    state: AllState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AllState {
    Left,
    Zero,
    Right,
    Done,
}

impl<'a> AllIter<'a> {
    /// Ascending: negative buckets (reversed), zero bucket, positive buckets.
    pub(crate) fn ascending(h: &'a FloatHistogram) -> Self {
        AllIter {
            h,
            left: ReverseIter::new(&h.negative_spans, &h.negative_buckets, h.schema, false, &[]),
            right: ForwardIter::new(h, true, 0.0, h.schema),
            state: AllState::Left,
        }
    }

    /// Descending: positive buckets (reversed), zero bucket, negative buckets.
    pub(crate) fn descending(h: &'a FloatHistogram) -> Self {
        AllIter {
            h,
            left: ReverseIter::new(
                &h.positive_spans,
                &h.positive_buckets,
                h.schema,
                true,
                &h.custom_values,
            ),
            right: ForwardIter::new(h, false, 0.0, h.schema),
            state: AllState::Left,
        }
    }

    fn clamp(&self, mut bucket: HistogramBucket) -> HistogramBucket {
        let threshold = self.h.zero_threshold;
        if bucket.upper < 0.0 && bucket.upper > -threshold {
            bucket.upper = -threshold;
        } else if bucket.lower > 0.0 && bucket.lower < threshold {
            bucket.lower = threshold;
        }
        bucket
    }
}

impl Iterator for AllIter<'_> {
    type Item = HistogramBucket;

    fn next(&mut self) -> Option<HistogramBucket> {
        loop {
            match self.state {
                AllState::Left => match self.left.next() {
                    Some(bucket) => return Some(self.clamp(bucket)),
                    None => self.state = AllState::Zero,
                },
                AllState::Zero => {
                    self.state = AllState::Right;
                    if self.h.zero_count > 0.0 {
                        if let Some(zero) = self.h.zero_bucket() {
                            return Some(zero);
                        }
                    }
                }
                AllState::Right => match self.right.next() {
                    Some(bucket) => return Some(self.clamp(bucket)),
                    None => {
                        self.state = AllState::Done;
                        return None;
                    }
                },
                AllState::Done => return None,
            }
        }
    }
}

impl FloatHistogram {
    /// The zero bucket `[-zero_threshold, zero_threshold]` with `zero_count` observations, or
    /// `None` for custom buckets, which have no zero bucket (Prometheus's `ZeroBucket`, which
    /// panics there).
    ///
    /// ```
    /// use promgate::FloatHistogram;
    /// let h = FloatHistogram { zero_threshold: 0.5, zero_count: 2.0, ..FloatHistogram::default() };
    /// let z = h.zero_bucket().unwrap();
    /// assert_eq!((z.lower, z.upper, z.count), (-0.5, 0.5, 2.0));
    /// assert!(FloatHistogram { schema: -53, ..FloatHistogram::default() }.zero_bucket().is_none());
    /// ```
    pub fn zero_bucket(&self) -> Option<HistogramBucket> {
        if self.uses_custom_buckets() {
            return None;
        }
        Some(HistogramBucket {
            lower: -self.zero_threshold,
            upper: self.zero_threshold,
            lower_inclusive: true,
            upper_inclusive: true,
            count: self.zero_count,
            index: 0,
        })
    }

    /// The positive buckets in ascending order, starting next to the zero bucket
    /// (Prometheus's `PositiveBucketIterator`). Empty buckets inside spans are included.
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let h = FloatHistogram {
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 2 }],
    ///     positive_buckets: vec![1.0, 2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// let uppers: Vec<f64> = h.positive_bucket_iter().map(|b| b.upper).collect();
    /// assert_eq!(uppers, vec![1.0, 2.0]);
    /// ```
    pub fn positive_bucket_iter(&self) -> impl Iterator<Item = HistogramBucket> + '_ {
        ForwardIter::new(self, true, 0.0, self.schema)
    }

    /// The negative buckets in descending order, starting next to the zero bucket
    /// (Prometheus's `NegativeBucketIterator`).
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let h = FloatHistogram {
    ///     negative_spans: vec![BucketSpan { offset: 0, length: 2 }],
    ///     negative_buckets: vec![1.0, 2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// let lowers: Vec<f64> = h.negative_bucket_iter().map(|b| b.lower).collect();
    /// assert_eq!(lowers, vec![-1.0, -2.0]);
    /// ```
    pub fn negative_bucket_iter(&self) -> impl Iterator<Item = HistogramBucket> + '_ {
        ForwardIter::new(self, false, 0.0, self.schema)
    }

    /// The positive buckets in descending order, from the highest towards the zero bucket
    /// (Prometheus's `PositiveReverseBucketIterator`).
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let h = FloatHistogram {
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 2 }],
    ///     positive_buckets: vec![1.0, 2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// let counts: Vec<f64> = h.positive_reverse_bucket_iter().map(|b| b.count).collect();
    /// assert_eq!(counts, vec![2.0, 1.0]);
    /// ```
    pub fn positive_reverse_bucket_iter(&self) -> impl Iterator<Item = HistogramBucket> + '_ {
        ReverseIter::new(
            &self.positive_spans,
            &self.positive_buckets,
            self.schema,
            true,
            &self.custom_values,
        )
    }

    /// The negative buckets in ascending order, from the lowest towards the zero bucket
    /// (Prometheus's `NegativeReverseBucketIterator`).
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let h = FloatHistogram {
    ///     negative_spans: vec![BucketSpan { offset: 0, length: 2 }],
    ///     negative_buckets: vec![1.0, 2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// let uppers: Vec<f64> = h.negative_reverse_bucket_iter().map(|b| b.upper).collect();
    /// assert_eq!(uppers, vec![-1.0, -0.5]);
    /// ```
    pub fn negative_reverse_bucket_iter(&self) -> impl Iterator<Item = HistogramBucket> + '_ {
        ReverseIter::new(
            &self.negative_spans,
            &self.negative_buckets,
            self.schema,
            false,
            &[],
        )
    }

    /// All buckets in ascending order: negative, the zero bucket (if it has a positive count),
    /// positive. Bounds of buckets that overlap the zero bucket are clamped to the zero
    /// threshold (Prometheus's `AllBucketIterator`).
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let h = FloatHistogram {
    ///     zero_threshold: 0.5,
    ///     zero_count: 1.0,
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 1 }],
    ///     positive_buckets: vec![2.0],
    ///     negative_spans: vec![BucketSpan { offset: 0, length: 1 }],
    ///     negative_buckets: vec![3.0],
    ///     ..FloatHistogram::default()
    /// };
    /// let bounds: Vec<(f64, f64)> = h.all_bucket_iter().map(|b| (b.lower, b.upper)).collect();
    /// assert_eq!(bounds, vec![(-1.0, -0.5), (-0.5, 0.5), (0.5, 1.0)]);
    /// ```
    pub fn all_bucket_iter(&self) -> impl Iterator<Item = HistogramBucket> + '_ {
        AllIter::ascending(self)
    }

    /// All buckets in descending order: positive, zero, negative (Prometheus's
    /// `AllReverseBucketIterator`).
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let h = FloatHistogram {
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 2 }],
    ///     positive_buckets: vec![1.0, 2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// let uppers: Vec<f64> = h.all_reverse_bucket_iter().map(|b| b.upper).collect();
    /// assert_eq!(uppers, vec![2.0, 1.0]);
    /// ```
    pub fn all_reverse_bucket_iter(&self) -> impl Iterator<Item = HistogramBucket> + '_ {
        AllIter::descending(self)
    }

    /// The positive (or negative) buckets merged into the coarser `target_schema`; an
    /// incompatible target yields nothing.
    #[cfg(test)]
    pub(crate) fn bucket_iter_in_schema(
        &self,
        positive: bool,
        target_schema: i32,
    ) -> ForwardIter<'_> {
        ForwardIter::new(self, positive, 0.0, target_schema)
    }
}

impl FloatHistogram {
    /// Prometheus's `FloatHistogram.String()`: `{count:20, sum:10, [-2,-1):2, (0.5,1]:1}`, the
    /// non-empty buckets from the most negative up. `count_values` uses it as a label value.
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let h = FloatHistogram {
    ///     count: 3.0,
    ///     sum: 5.0,
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 2 }],
    ///     positive_buckets: vec![1.0, 2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// assert_eq!(h.go_string(), "{count:3, sum:5, (0.5,1]:1, (1,2]:2}");
    /// ```
    pub fn go_string(&self) -> String {
        use crate::model::format_float_g as g;
        let bucket = |b: &HistogramBucket| {
            format!(
                "{}{},{}{}:{}",
                if b.lower_inclusive { '[' } else { '(' },
                g(b.lower),
                g(b.upper),
                if b.upper_inclusive { ']' } else { ')' },
                g(b.count)
            )
        };
        let mut out = format!("{{count:{}, sum:{}", g(self.count), g(self.sum));
        let negative: Vec<HistogramBucket> = self
            .negative_bucket_iter()
            .filter(|b| b.count != 0.0)
            .collect();
        for b in negative.iter().rev() {
            out.push_str(", ");
            out.push_str(&bucket(b));
        }
        if self.zero_count != 0.0 {
            if let Some(z) = self.zero_bucket() {
                out.push_str(", ");
                out.push_str(&bucket(&z));
            }
        }
        for b in self.positive_bucket_iter().filter(|b| b.count != 0.0) {
            out.push_str(", ");
            out.push_str(&bucket(&b));
        }
        out.push('}');
        out
    }
}
