//! Histogram validation (Prometheus's `FloatHistogram.Validate`).

use super::bounds::{is_custom_buckets_schema, is_exponential_schema};
use super::spans::{check_custom_bounds, check_spans};
use super::{BucketSide, FloatHistogram, HistogramError};

impl FloatHistogram {
    /// Checks the histogram as Prometheus does before storing it: span lengths agree with the
    /// bucket counts, offsets after the first span are not negative, no count is negative, the
    /// schema is valid, custom bounds are strictly increasing, finite and cover the buckets, and
    /// fields that a schema does not use are empty. The count is not compared with the sum of
    /// the buckets (floating-point error makes that unreliable).
    ///
    /// ```
    /// use promgate::{FloatHistogram, model::BucketSpan};
    /// let mut h = FloatHistogram {
    ///     count: 1.0,
    ///     positive_spans: vec![BucketSpan { offset: 0, length: 2 }],
    ///     positive_buckets: vec![1.0, -1.0],
    ///     ..FloatHistogram::default()
    /// };
    /// assert_eq!(
    ///     h.validate().unwrap_err().to_string(),
    ///     "positive side: bucket number 2 has observation count of -1: histogram has a bucket whose observation count is negative"
    /// );
    /// h.positive_buckets[1] = 0.0;
    /// assert!(h.validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), HistogramError> {
        if is_custom_buckets_schema(self.schema) {
            check_custom_bounds(
                &self.custom_values,
                &self.positive_spans,
                self.positive_buckets.len(),
            )?;
            if self.zero_count != 0.0 {
                return Err(HistogramError::CustomBucketsZeroCount);
            }
            if self.zero_threshold != 0.0 {
                return Err(HistogramError::CustomBucketsZeroThreshold);
            }
            if !self.negative_spans.is_empty() {
                return Err(HistogramError::CustomBucketsNegativeSpans);
            }
            if !self.negative_buckets.is_empty() {
                return Err(HistogramError::CustomBucketsNegativeBuckets);
            }
        } else if is_exponential_schema(self.schema) {
            check_spans(
                &self.positive_spans,
                self.positive_buckets.len(),
                Some(BucketSide::Positive),
            )?;
            check_spans(
                &self.negative_spans,
                self.negative_buckets.len(),
                Some(BucketSide::Negative),
            )?;
            check_buckets(&self.negative_buckets, BucketSide::Negative)?;
            if self.zero_count < 0.0 {
                return Err(HistogramError::NegativeZeroCount {
                    count: self.zero_count,
                });
            }
            if !self.custom_values.is_empty() {
                return Err(HistogramError::ExponentialSchemaCustomBounds);
            }
        } else {
            return Err(HistogramError::InvalidSchema {
                schema: self.schema,
            });
        }
        if self.count < 0.0 {
            return Err(HistogramError::NegativeCount { count: self.count });
        }
        // Prometheus reports negative custom buckets as "positive side" too.
        check_buckets(&self.positive_buckets, BucketSide::Positive)
    }
}

/// Prometheus's `checkHistogramBuckets` for absolute counts.
fn check_buckets(buckets: &[f64], side: BucketSide) -> Result<(), HistogramError> {
    match buckets.iter().position(|&count| count < 0.0) {
        Some(i) => Err(HistogramError::NegativeBucketCount {
            side,
            bucket_number: i + 1,
            count: buckets[i],
        }),
        None => Ok(()),
    }
}
