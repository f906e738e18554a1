//! Bucket trimming for the `</` and `>/` operators (Prometheus's `TrimBuckets`, 3.11+).

use super::FloatHistogram;
use super::iter::HistogramBucket;

impl FloatHistogram {
    /// Trims the histogram in place for `h </ rhs` (`is_upper_trim`, keep observations below
    /// `rhs`) or `h >/ rhs` (keep observations above `rhs`), as Prometheus's `TrimBuckets`.
    ///
    /// Buckets entirely on the discarded side are emptied, a bucket containing `rhs` keeps the
    /// interpolated part of its count (linear for custom buckets and the zero bucket, on a
    /// logarithmic scale for exponential buckets; buckets with an infinite bound are kept or
    /// dropped whole), and, if anything changed, count and sum are recomputed from the kept
    /// buckets (using bucket midpoints) and the histogram is compacted.
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// // Buckets (0.5,1], (1,2], (2,4], (4,8] with 5, 5, 10 and 10 observations.
    /// let mut h = FloatHistogram {
    ///     count: 30.0,
    ///     sum: 100.0,
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 4 }],
    ///     positive_buckets: vec![5.0, 5.0, 10.0, 10.0],
    ///     ..FloatHistogram::default()
    /// };
    /// h.trim_buckets(4.0, true);
    /// assert_eq!(h.count, 20.0);
    /// assert_eq!(h.positive_buckets, vec![5.0, 5.0, 10.0]);
    /// ```
    pub fn trim_buckets(&mut self, rhs: f64, is_upper_trim: bool) -> &mut Self {
        let is_custom = self.uses_custom_buckets();
        let mut updated_count = 0.0;
        let mut updated_sum = 0.0;
        let mut trimmed = false;
        let mut has_positive = false;
        let mut has_negative = false;

        for positive in [true, false] {
            let buckets: Vec<HistogramBucket> = if positive {
                self.positive_bucket_iter().collect()
            } else {
                self.negative_bucket_iter().collect()
            };
            for (i, bucket) in buckets.into_iter().enumerate() {
                if bucket.count == 0.0 {
                    continue;
                }
                if positive {
                    has_positive = true;
                } else {
                    has_negative = true;
                }
                let (keep_all, straddles) = if is_upper_trim {
                    (bucket.upper <= rhs, bucket.lower < rhs)
                } else {
                    (bucket.lower >= rhs, bucket.upper > rhs)
                };
                let stored = if positive {
                    self.positive_buckets.get_mut(i)
                } else {
                    self.negative_buckets.get_mut(i)
                };
                if keep_all {
                    updated_count += bucket.count;
                    let midpoint =
                        compute_midpoint(bucket.lower, bucket.upper, positive, is_custom);
                    updated_sum += midpoint * bucket.count;
                } else if straddles {
                    let (keep_count, midpoint) =
                        compute_bucket_trim(bucket, rhs, is_upper_trim, positive, is_custom);
                    updated_count += keep_count;
                    updated_sum += midpoint * keep_count;
                    if let Some(stored) = stored {
                        if *stored != keep_count {
                            *stored = keep_count;
                            trimmed = true;
                        }
                    }
                } else {
                    // Entirely on the discarded side.
                    if let Some(stored) = stored {
                        *stored = 0.0;
                    }
                    trimmed = true;
                }
            }
        }

        if self.zero_count > 0.0 {
            if let Some(zero) = self.zero_bucket() {
                let (keep_count, midpoint) =
                    compute_zero_bucket_trim(zero, rhs, has_negative, has_positive, is_upper_trim);
                if self.zero_count != keep_count {
                    self.zero_count = keep_count;
                    trimmed = true;
                }
                updated_sum += midpoint * keep_count;
                updated_count += keep_count;
            }
        }

        if trimmed {
            // Only update the totals if some bucket was (partly) trimmed.
            self.count = updated_count;
            self.sum = updated_sum;
            self.compact(0);
        }
        self
    }
}

/// Prometheus's `handleInfinityBuckets`: the kept count and its midpoint for a bucket with an
/// infinite bound.
fn handle_infinity_buckets(is_upper_trim: bool, b: HistogramBucket, rhs: f64) -> (f64, f64) {
    let zero_if_inf = |x: f64| if x.is_infinite() { 0.0 } else { x };

    if b.lower == f64::NEG_INFINITY {
        if is_upper_trim {
            if rhs >= b.upper {
                // The whole bucket is below the trim point.
                return (b.count, 0.0);
            }
            if rhs > 0.0 && b.upper > 0.0 && b.upper != f64::INFINITY {
                // Only possible with custom buckets: treat the lower bound as 0 and interpolate
                // linearly.
                return (b.count * rhs / b.upper, rhs / 2.0);
            }
            if b.upper <= 0.0 {
                return (b.count, rhs);
            }
            // The distribution inside an infinite bucket is unknown: drop it.
            return (0.0, zero_if_inf(b.upper));
        }
        if rhs <= b.lower {
            return (b.count, 0.0);
        }
        if rhs >= 0.0 && b.upper > rhs && b.upper != f64::INFINITY {
            return (b.count * (1.0 - rhs / b.upper), (rhs + b.upper) / 2.0);
        }
        return (0.0, zero_if_inf(b.upper));
    }

    // The upper bound is +Inf.
    if is_upper_trim {
        // Some or all of the observations are above rhs; drop the bucket.
        return (0.0, zero_if_inf(b.lower));
    }
    if rhs >= b.lower {
        return (b.count, rhs);
    }
    (0.0, zero_if_inf(b.lower))
}

/// Prometheus's `computeSplit`: the part of the bucket's count at or below `rhs`.
fn compute_split(b: HistogramBucket, rhs: f64, is_linear: bool) -> f64 {
    if rhs <= b.lower {
        return 0.0;
    }
    if rhs >= b.upper {
        return b.count;
    }
    b.count * b.fraction_below(rhs, is_linear)
}

/// Prometheus's `computeZeroBucketTrim`.
fn compute_zero_bucket_trim(
    zero: HistogramBucket,
    rhs: f64,
    has_negative: bool,
    has_positive: bool,
    is_upper_trim: bool,
) -> (f64, f64) {
    let mut lower = zero.lower;
    let mut upper = zero.upper;
    if has_negative && !has_positive {
        upper = 0.0;
    }
    if has_positive && !has_negative {
        lower = 0.0;
    }
    let (fraction, midpoint) = if is_upper_trim {
        if rhs <= lower {
            return (0.0, 0.0);
        }
        if rhs >= upper {
            return (zero.count, (lower + upper) / 2.0);
        }
        ((rhs - lower) / (upper - lower), (lower + rhs) / 2.0)
    } else {
        if rhs <= lower {
            return (zero.count, (lower + upper) / 2.0);
        }
        if rhs >= upper {
            return (0.0, 0.0);
        }
        ((upper - rhs) / (upper - lower), (rhs + upper) / 2.0)
    };
    (zero.count * fraction, midpoint)
}

/// Prometheus's `computeBucketTrim`: the kept count of a bucket containing `rhs` and the
/// midpoint of the kept part.
fn compute_bucket_trim(
    b: HistogramBucket,
    rhs: f64,
    is_upper_trim: bool,
    is_positive: bool,
    is_custom: bool,
) -> (f64, f64) {
    if b.lower == f64::NEG_INFINITY || b.upper == f64::INFINITY {
        return handle_infinity_buckets(is_upper_trim, b, rhs);
    }
    let under_count = compute_split(b, rhs, is_custom);
    if is_upper_trim {
        return (
            under_count,
            compute_midpoint(b.lower, rhs, is_positive, is_custom),
        );
    }
    (
        b.count - under_count,
        compute_midpoint(rhs, b.upper, is_positive, is_custom),
    )
}

/// Prometheus's `computeMidpoint`: arithmetic mean for linear buckets, geometric mean (signed)
/// for exponential ones, with special cases for infinite bounds.
fn compute_midpoint(lower: f64, upper: f64, is_positive: bool, is_linear: bool) -> f64 {
    if lower.is_infinite() {
        if upper.is_infinite() {
            return 0.0;
        }
        if upper > 0.0 {
            return upper / 2.0;
        }
        return upper;
    } else if upper.is_infinite() {
        return lower;
    }
    if is_linear {
        return (lower + upper) / 2.0;
    }
    let geometric_mean = (lower * upper).abs().sqrt();
    if is_positive {
        geometric_mean
    } else {
        -geometric_mean
    }
}
