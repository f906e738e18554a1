//! Counter-reset detection between consecutive histogram samples (Prometheus's `DetectReset`).

use super::bounds::custom_bucket_bounds_match;
use super::iter::{ForwardIter, HistogramBucket};
use super::{CUSTOM_BUCKETS_SCHEMA, CounterResetHint, FloatHistogram};

impl FloatHistogram {
    /// Whether `self` is a counter reset relative to `previous` (Prometheus's `DetectReset`).
    ///
    /// A `reset` hint says yes and a `not_reset` hint says no without looking further; with
    /// `unknown` or `gauge` the histograms are compared: a smaller count, a finer schema, a
    /// smaller zero threshold, a zero threshold inside a populated bucket of `previous`, a
    /// smaller zero count, or any bucket that shrank or disappeared while populated is a reset.
    /// A coarser schema or a larger zero threshold is handled by merging `previous`'s buckets
    /// first. Custom-bucket histograms with different bounds are compared on the bounds they
    /// share.
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let previous = FloatHistogram {
    ///     count: 3.0,
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 2 }],
    ///     positive_buckets: vec![1.0, 2.0],
    ///     ..FloatHistogram::default()
    /// };
    /// let mut current = previous.clone();
    /// current.count = 4.0;
    /// current.positive_buckets = vec![2.0, 2.0];
    /// assert!(!current.detect_reset(&previous));
    /// current.positive_buckets = vec![3.0, 1.0];
    /// assert!(current.detect_reset(&previous));
    /// ```
    pub fn detect_reset(&self, previous: &FloatHistogram) -> bool {
        match self.counter_reset_hint {
            CounterResetHint::Reset => return true,
            CounterResetHint::NotReset => return false,
            // Unknown needs the work below; gauge histograms should not get here, but PromQL
            // lets users apply counter functions to them, so treat them as counters.
            CounterResetHint::Unknown | CounterResetHint::Gauge => {}
        }
        if self.count < previous.count {
            return true;
        }
        if self.uses_custom_buckets() {
            if !previous.uses_custom_buckets() {
                return true;
            }
            if !custom_bucket_bounds_match(&self.custom_values, &previous.custom_values) {
                return self.detect_reset_with_mismatched_custom_bounds(previous);
            }
        }
        if self.schema > previous.schema {
            return true;
        }
        if self.zero_threshold < previous.zero_threshold {
            return true;
        }
        let (previous_zero_count, new_threshold, _) =
            previous.zero_count_for_larger_threshold(self.zero_threshold, None);
        if new_threshold != self.zero_threshold {
            // The zero threshold is inside a populated bucket of the previous histogram.
            return true;
        }
        if self.zero_count < previous_zero_count {
            return true;
        }
        for positive in [true, false] {
            let mut current = ForwardIter::new(self, positive, self.zero_threshold, self.schema);
            let mut prior = ForwardIter::new(previous, positive, self.zero_threshold, self.schema);
            if buckets_reset(&mut current, &mut prior) {
                return true;
            }
        }
        false
    }

    /// Prometheus's `detectResetWithMismatchedCustomBounds`: maps both histograms onto the
    /// bounds they share and reports a reset if any cumulative-per-shared-bound count shrank.
    fn detect_reset_with_mismatched_custom_bounds(&self, previous: &FloatHistogram) -> bool {
        if self.schema != CUSTOM_BUCKETS_SCHEMA || previous.schema != CUSTOM_BUCKETS_SCHEMA {
            return false;
        }
        let current_bounds = &self.custom_values;
        let previous_bounds = &previous.custom_values;
        let mut current = Rollup::new(ForwardIter::new(self, true, 0.0, CUSTOM_BUCKETS_SCHEMA));
        let mut prior = Rollup::new(ForwardIter::new(previous, true, 0.0, CUSTOM_BUCKETS_SCHEMA));

        let bound_at = |bounds: &[f64], i: usize| bounds.get(i).copied().unwrap_or(f64::INFINITY);
        let (mut current_index, mut previous_index) = (0, 0);
        while current_index <= current_bounds.len() && previous_index <= previous_bounds.len() {
            let current_bound = bound_at(current_bounds, current_index);
            let previous_bound = bound_at(previous_bounds, previous_index);
            if current_bound == previous_bound {
                // A shared bound: compare the counts of the buckets up to it that were not
                // accounted for yet.
                let current_sum = current.sum_up_to(current_bound);
                let previous_sum = prior.sum_up_to(current_bound);
                if current_sum < previous_sum {
                    return true;
                }
                current_index += 1;
                previous_index += 1;
            } else if current_bound < previous_bound {
                current_index += 1;
            } else {
                previous_index += 1;
            }
        }
        false
    }
}

/// Sums bucket counts up to a bound, continuing where the previous call stopped (the
/// `rollupSumForBound` closure of Prometheus's `detectResetWithMismatchedCustomBounds`).
struct Rollup<'a> {
    iter: ForwardIter<'a>,
    started: bool,
    has_more: bool,
    bucket: HistogramBucket,
}

impl<'a> Rollup<'a> {
    fn new(iter: ForwardIter<'a>) -> Self {
        Rollup {
            iter,
            started: false,
            has_more: false,
            bucket: HistogramBucket::default(),
        }
    }

    fn sum_up_to(&mut self, bound: f64) -> f64 {
        if self.started && !self.has_more {
            return 0.0;
        }
        let was_started = self.started;
        self.started = true;
        if !was_started {
            match self.iter.next() {
                Some(b) => self.bucket = b,
                None => {
                    self.has_more = false;
                    self.bucket = HistogramBucket::default();
                    return 0.0;
                }
            }
        }
        let mut sum = 0.0;
        while self.bucket.upper <= bound {
            sum += self.bucket.count;
            match self.iter.next() {
                Some(b) => self.bucket = b,
                None => {
                    self.has_more = false;
                    self.bucket = HistogramBucket::default();
                    return sum;
                }
            }
        }
        self.has_more = true;
        sum
    }
}

/// Prometheus's `detectReset` over two bucket iterators in the same schema: a reset if a
/// populated bucket of `previous` is missing in `current` or has a larger count.
fn buckets_reset(current: &mut ForwardIter<'_>, previous: &mut ForwardIter<'_>) -> bool {
    let Some(mut prev_bucket) = previous.next_stripped() else {
        // No buckets in the previous histogram: nothing can have been reset.
        return false;
    };
    // Whether any of the remaining previous buckets (from prev_bucket on) is populated.
    let rest_populated = |prev_bucket: super::iter::StrippedBucket,
                          previous: &mut ForwardIter<'_>| {
        if prev_bucket.count != 0.0 {
            return true;
        }
        while let Some(b) = previous.next_stripped() {
            if b.count != 0.0 {
                return true;
            }
        }
        false
    };
    let Some(mut curr_bucket) = current.next_stripped() else {
        return rest_populated(prev_bucket, previous);
    };
    loop {
        // Forward current until it reaches the index of prev_bucket.
        while curr_bucket.index < prev_bucket.index {
            match current.next_stripped() {
                Some(b) => curr_bucket = b,
                None => return rest_populated(prev_bucket, previous),
            }
        }
        if curr_bucket.index > prev_bucket.index {
            // The previous histogram has a bucket the current one lacks.
            if prev_bucket.count != 0.0 {
                return true;
            }
        } else if curr_bucket.count < prev_bucket.count {
            return true;
        }
        match previous.next_stripped() {
            Some(b) => prev_bucket = b,
            None => return false,
        }
    }
}
