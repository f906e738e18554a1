//! The data model: label sets, matchers, timestamps, samples and native histograms.

mod float;
pub(crate) mod fxhash;
mod hash;
pub(crate) mod histogram;
mod labels;
mod matcher;

pub use float::{format_float, format_float_e, format_float_g};
pub(crate) use float::{format_float_f6, format_float_g_precision};
pub(crate) use hash::xxhash64;
pub(crate) use histogram::CombineFlags;
pub(crate) use histogram::gomath;
pub use histogram::{
    BucketSide, BucketSpan, CUSTOM_BUCKETS_SCHEMA, CounterResetHint, EXPONENTIAL_SCHEMA_MAX,
    EXPONENTIAL_SCHEMA_MIN, FloatHistogram, HistogramBucket, HistogramError, HistogramMismatch,
    custom_bucket_bounds_match, is_custom_buckets_schema, is_exponential_schema, quantile,
};
pub use labels::{Label, Labels, LabelsBuilder, METRIC_NAME};
pub(crate) use matcher::compile_anchored;
pub use matcher::{MatchOp, Matcher, RegexDialect};

use std::sync::Arc;

/// Milliseconds since the Unix epoch, Prometheus's timestamp unit.
pub type Timestamp = i64;

/// The bit pattern of Prometheus's stale marker, a NaN distinct from the NaN arithmetic makes.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// The stale marker value.
///
/// ```
/// use promgate::model::{stale_nan, is_stale_nan};
/// assert!(is_stale_nan(stale_nan()));
/// assert!(!is_stale_nan(f64::NAN));
/// ```
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Whether `value` is the stale marker (exact bit pattern, not any NaN).
///
/// ```
/// use promgate::model::is_stale_nan;
/// assert!(!is_stale_nan(0.0));
/// ```
pub fn is_stale_nan(value: f64) -> bool {
    value.to_bits() == STALE_NAN_BITS
}

/// A float sample point of a series.
///
/// ```
/// use promgate::model::FPoint;
/// let p = FPoint { t: 60_000, f: 1.5 };
/// assert_eq!(p.t, 60_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FPoint {
    /// Timestamp in milliseconds.
    pub t: Timestamp,
    /// Value.
    pub f: f64,
}

/// A native histogram sample point of a series. The histogram is shared, so copying points
/// between values does not copy buckets.
///
/// ```
/// use std::sync::Arc;
/// use promgate::{FloatHistogram, model::HPoint};
/// let p = HPoint { t: 0, h: Arc::new(FloatHistogram::default()) };
/// assert_eq!(p.h.count, 0.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HPoint {
    /// Timestamp in milliseconds.
    pub t: Timestamp,
    /// Value.
    pub h: Arc<FloatHistogram>,
}

/// The value of one stored sample: a float (possibly the stale marker) or a native histogram.
///
/// ```
/// use promgate::model::SampleValue;
/// assert!(SampleValue::Float(1.0).as_float().is_some());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum SampleValue {
    /// A float value.
    Float(f64),
    /// A native histogram.
    Histogram(Arc<FloatHistogram>),
}

impl SampleValue {
    /// What this sample costs against a sample limit: 1 for a float,
    /// [`FloatHistogram::sample_cost`] for a histogram.
    ///
    /// ```
    /// use promgate::model::SampleValue;
    /// assert_eq!(SampleValue::Float(1.0).cost(), 1);
    /// ```
    pub fn cost(&self) -> usize {
        match self {
            SampleValue::Float(_) => 1,
            SampleValue::Histogram(h) => h.sample_cost(),
        }
    }

    /// The float, if this is one.
    ///
    /// ```
    /// # use promgate::model::SampleValue;
    /// assert_eq!(SampleValue::Float(2.0).as_float(), Some(2.0));
    /// ```
    pub fn as_float(&self) -> Option<f64> {
        match self {
            SampleValue::Float(f) => Some(*f),
            SampleValue::Histogram(_) => None,
        }
    }

    /// Whether this is the stale marker.
    ///
    /// ```
    /// # use promgate::model::{SampleValue, stale_nan};
    /// assert!(SampleValue::Float(stale_nan()).is_stale());
    /// ```
    pub fn is_stale(&self) -> bool {
        matches!(self, SampleValue::Float(f) if is_stale_nan(*f))
    }
}
