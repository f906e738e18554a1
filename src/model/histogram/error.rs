//! Histogram errors, worded as Prometheus's `model/histogram` errors so that messages can be
//! compared with promtool's.

use std::fmt;

use crate::model::{format_float_f6, format_float_g};

/// Which part of a histogram an error is about; displayed as Prometheus prefixes its messages.
///
/// ```
/// use promgate::model::BucketSide;
/// assert_eq!(BucketSide::Negative.to_string(), "negative side");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BucketSide {
    /// The positive buckets of an exponential histogram.
    Positive,
    /// The negative buckets of an exponential histogram.
    Negative,
    /// The buckets of a custom-buckets histogram.
    CustomBuckets,
}

impl fmt::Display for BucketSide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BucketSide::Positive => "positive side",
            BucketSide::Negative => "negative side",
            BucketSide::CustomBuckets => "custom buckets",
        })
    }
}

/// Displays `"{side}: "`, or nothing without a side.
struct Prefix(Option<BucketSide>);

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(side) => write!(f, "{side}: "),
            None => Ok(()),
        }
    }
}

/// A float displayed as Go's `%v`.
struct GoG(f64);

impl fmt::Display for GoG {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_float_g(self.0))
    }
}

/// A float displayed as Go's `%f`.
struct GoF(f64);

impl fmt::Display for GoF {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_float_f6(self.0))
    }
}

/// Why a histogram operation failed. Each message is Prometheus's for the same condition.
///
/// ```
/// use promgate::{FloatHistogram, model::HistogramError};
/// let exponential = FloatHistogram::default();
/// let custom = FloatHistogram { schema: -53, ..FloatHistogram::default() };
/// let err = exponential.add(&custom).unwrap_err();
/// assert_eq!(err, HistogramError::MixedSchemas);
/// assert_eq!(
///     err.to_string(),
///     "cannot apply this operation on histograms with a mix of exponential and custom bucket schemas"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum HistogramError {
    /// Custom-bucket and exponential histograms cannot be combined, e.g. `{{schema:0}} +
    /// {{schema:-53}}`.
    #[error(
        "cannot apply this operation on histograms with a mix of exponential and custom bucket schemas"
    )]
    MixedSchemas,
    /// The schema is neither −4..=8 nor −53, e.g. `{{schema:9}}`.
    #[error(
        "histogram has an invalid schema, which must be between -4 and 8 for exponential buckets, or -53 for custom buckets, got schema {schema}"
    )]
    InvalidSchema {
        /// The offending schema.
        schema: i32,
    },
    /// The observation count is negative, e.g. `{{count:-1}}` (the double space is
    /// Prometheus's).
    #[error("observation count is  {}: histogram's observation count is negative", GoG(*.count))]
    NegativeCount {
        /// The count.
        count: f64,
    },
    /// The zero bucket has a negative count, e.g. `{{z_bucket:-1}}`.
    #[error("zero bucket has observation count of {}: histogram has a bucket whose observation count is negative", GoG(*.count))]
    NegativeZeroCount {
        /// The zero count.
        count: f64,
    },
    /// A bucket has a negative count, e.g. `{{buckets:[1 -2]}}`.
    #[error("{side}: bucket number {bucket_number} has observation count of {}: histogram has a bucket whose observation count is negative", GoG(*.count))]
    NegativeBucketCount {
        /// Positive or negative buckets.
        side: BucketSide,
        /// 1-based position of the bucket in its list.
        bucket_number: usize,
        /// The count.
        count: f64,
    },
    /// A span after the first (or any span of custom buckets) has a negative offset.
    #[error("{}span number {span_number} with offset {offset}: histogram has a span whose offset is negative", Prefix(*.side))]
    SpanNegativeOffset {
        /// Which buckets, if the message names them.
        side: Option<BucketSide>,
        /// 1-based position of the span.
        span_number: usize,
        /// The offset.
        offset: i32,
    },
    /// The span lengths do not add up to the number of buckets, e.g. two spans of one bucket
    /// each but three bucket counts.
    #[error("{}spans need {spans_need} buckets, have {buckets} buckets: histogram spans specify different number of buckets than provided", Prefix(*.side))]
    SpansBucketsMismatch {
        /// Which buckets, if the message names them.
        side: Option<BucketSide>,
        /// The sum of the span lengths.
        spans_need: u64,
        /// The number of bucket counts.
        buckets: usize,
    },
    /// Resolution reduction ran out of buckets before the spans ended.
    #[error(
        "have {buckets} buckets but spans need more: histogram spans specify different number of buckets than provided"
    )]
    TooFewBuckets {
        /// The number of bucket counts.
        buckets: usize,
    },
    /// The custom bounds do not cover the buckets, e.g. bounds `[1 2]` with five buckets.
    #[error(
        "custom buckets: only {bounds} custom bounds defined which is insufficient to cover total span length of {span_length}: histogram custom bounds are too few"
    )]
    CustomBoundsTooFew {
        /// The number of custom bounds.
        bounds: usize,
        /// The total span length (offsets included).
        span_length: i64,
    },
    /// The custom bounds are not strictly increasing, e.g. `custom_values:[2 1]`.
    #[error("custom buckets: previous bound is {} and current is {}: histogram custom bounds must be in strictly increasing order", GoF(*.previous), GoF(*.current))]
    CustomBoundsNotIncreasing {
        /// The previous bound.
        previous: f64,
        /// The bound that is not larger.
        current: f64,
    },
    /// The last custom bound is `+Inf`, which is implied and must not be listed.
    #[error(
        "custom buckets: last +Inf bound must not be explicitly defined: histogram custom bounds must be finite"
    )]
    CustomBoundsInfinite,
    /// A custom bound is NaN.
    #[error("custom buckets: histogram custom bounds must not be NaN")]
    CustomBoundsNaN,
    /// A custom-buckets histogram has a zero count.
    #[error("custom buckets: must have zero count of 0")]
    CustomBucketsZeroCount,
    /// A custom-buckets histogram has a zero threshold.
    #[error("custom buckets: must have zero threshold of 0")]
    CustomBucketsZeroThreshold,
    /// A custom-buckets histogram has negative spans.
    #[error("custom buckets: must not have negative spans")]
    CustomBucketsNegativeSpans,
    /// A custom-buckets histogram has negative buckets.
    #[error("custom buckets: must not have negative buckets")]
    CustomBucketsNegativeBuckets,
    /// An exponential histogram lists custom bounds.
    #[error("histogram with exponential schema must not have custom bounds")]
    ExponentialSchemaCustomBounds,
    /// Custom buckets cannot be reduced to another resolution.
    #[error("cannot reduce resolution when there are custom buckets")]
    ReduceCustomBuckets,
    /// Exponential buckets cannot be reduced to custom buckets.
    #[error("cannot reduce resolution to custom buckets schema")]
    ReduceToCustomBuckets,
    /// The target schema is not coarser than the histogram's.
    #[error("cannot reduce resolution from schema {from} to {to}")]
    ReduceToFinerSchema {
        /// The histogram's schema.
        from: i32,
        /// The requested schema.
        to: i32,
    },
}
