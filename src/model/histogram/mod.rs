//! Native histograms: the float histogram data type of Prometheus (`FloatHistogram`).
//!
//! The layout mirrors Prometheus's `model/histogram.FloatHistogram` field for field, so readers
//! can cross-reference the Go source: buckets are sparse, described by spans of consecutive
//! bucket indices, and every bucket holds an absolute count.
//!
//! The operations follow Prometheus 3.14 to the bit, including its use of Go's `math`
//! functions: arithmetic and reconciliation in `ops`, layouts in `spans`, bounds and
//! iterators in `bounds`/`iter`, reset detection in `reset`, trimming in `trim`, validation in
//! `validate`, test comparison in `compare`, and the quantile math in [`quantile`]. Each
//! function names its Go counterpart.

use std::fmt;

mod bounds;
mod compare;
mod error;
pub(crate) mod gomath;
mod iter;
mod ops;
pub mod quantile;
mod reset;
mod spans;
mod trim;
mod validate;

#[cfg(test)]
mod tests;

pub use bounds::{
    EXPONENTIAL_SCHEMA_MAX, EXPONENTIAL_SCHEMA_MIN, custom_bucket_bounds_match,
    is_custom_buckets_schema, is_exponential_schema,
};
pub use compare::HistogramMismatch;
pub use error::{BucketSide, HistogramError};
pub use iter::HistogramBucket;
pub(crate) use ops::CombineFlags;

/// What a histogram says about counter resets relative to the previous sample.
///
/// ```
/// use promgate::CounterResetHint;
/// assert_eq!(CounterResetHint::default(), CounterResetHint::Unknown);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CounterResetHint {
    /// Nothing is known (the default).
    #[default]
    Unknown,
    /// A counter reset happened at this sample.
    Reset,
    /// Definitely no counter reset at this sample.
    NotReset,
    /// A gauge histogram: counter resets do not apply.
    Gauge,
}

impl CounterResetHint {
    /// The name used in the series notation (`unknown`, `reset`, `not_reset`, `gauge`).
    ///
    /// ```
    /// # use promgate::CounterResetHint;
    /// assert_eq!(CounterResetHint::NotReset.notation(), "not_reset");
    /// ```
    pub fn notation(self) -> &'static str {
        match self {
            CounterResetHint::Unknown => "unknown",
            CounterResetHint::Reset => "reset",
            CounterResetHint::NotReset => "not_reset",
            CounterResetHint::Gauge => "gauge",
        }
    }
}

/// A run of consecutive buckets: `offset` is the gap (in bucket indices) from the end of the
/// previous span (or from index 0 for the first span), `length` the number of buckets.
///
/// ```
/// use promgate::model::BucketSpan;
/// let span = BucketSpan { offset: 2, length: 3 };
/// assert_eq!(span.length, 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BucketSpan {
    /// Gap to the previous span, or the index of the first bucket for the first span.
    pub offset: i32,
    /// Number of consecutive buckets.
    pub length: u32,
}

/// The schema number for native histograms with custom bucket bounds (NHCB).
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;

/// A native histogram with float counts, as Prometheus's `FloatHistogram`.
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
/// assert!(!h.uses_custom_buckets());
/// assert_eq!(h.count, 3.0);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FloatHistogram {
    /// Counter-reset information.
    pub counter_reset_hint: CounterResetHint,
    /// Bucket schema: −4..=8 exponential (base `2^(2^-schema)`), or −53 for custom buckets.
    pub schema: i32,
    /// Half-width of the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: f64,
    /// Total number of observations.
    pub count: f64,
    /// Sum of observations.
    pub sum: f64,
    /// Spans of the positive buckets.
    pub positive_spans: Vec<BucketSpan>,
    /// Spans of the negative buckets.
    pub negative_spans: Vec<BucketSpan>,
    /// Absolute counts of the positive buckets, in span order.
    pub positive_buckets: Vec<f64>,
    /// Absolute counts of the negative buckets, in span order.
    pub negative_buckets: Vec<f64>,
    /// Upper bounds of the custom buckets (schema −53 only), strictly increasing; `+Inf` implied.
    pub custom_values: Vec<f64>,
}

impl FloatHistogram {
    /// Whether this histogram uses custom bucket bounds (schema −53).
    ///
    /// ```
    /// # use promgate::FloatHistogram;
    /// let h = FloatHistogram { schema: -53, ..FloatHistogram::default() };
    /// assert!(h.uses_custom_buckets());
    /// ```
    pub fn uses_custom_buckets(&self) -> bool {
        self.schema == CUSTOM_BUCKETS_SCHEMA
    }

    /// What one sample of this histogram costs against a sample limit, in float samples (16
    /// bytes each): its size in bytes (a fixed 168 plus 8 per span, bucket and custom bound) and
    /// a timestamp, divided by 16, as Prometheus's `HPoint.size()` counts it. The loaders and
    /// the evaluator count histograms this way, so many buckets cannot hide behind one sample.
    ///
    /// ```
    /// # use promgate::FloatHistogram;
    /// assert_eq!(FloatHistogram::default().sample_cost(), 11);
    /// let wide = FloatHistogram { positive_buckets: vec![1.0; 1000], ..FloatHistogram::default() };
    /// assert_eq!(wide.sample_cost(), 511);
    /// ```
    pub fn sample_cost(&self) -> usize {
        histogram_cost(
            self.positive_spans.len() + self.negative_spans.len(),
            self.positive_buckets.len() + self.negative_buckets.len() + self.custom_values.len(),
        )
    }
}

/// [`FloatHistogram::sample_cost`] of a histogram with `spans` spans and `values` buckets and
/// custom bounds, without building it.
pub(crate) fn histogram_cost(spans: usize, values: usize) -> usize {
    const STRUCT_SIZE: usize = 168;
    const TIMESTAMP_SIZE: usize = 8;
    spans
        .saturating_add(values)
        .saturating_mul(8)
        .saturating_add(STRUCT_SIZE + TIMESTAMP_SIZE)
        / 16
}

impl fmt::Display for FloatHistogram {
    /// The series-notation literal, `{{schema:0 count:3 sum:5 buckets:[1 2]}}`, listing only
    /// keys whose values differ from the defaults.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if self.schema != 0 {
            parts.push(format!("schema:{}", self.schema));
        }
        parts.push(format!("count:{}", self.count));
        parts.push(format!("sum:{}", self.sum));
        if self.zero_count != 0.0 {
            parts.push(format!("z_bucket:{}", self.zero_count));
        }
        if self.zero_threshold != 0.0 {
            parts.push(format!("z_bucket_w:{}", self.zero_threshold));
        }
        if self.counter_reset_hint != CounterResetHint::Unknown {
            parts.push(format!(
                "counter_reset_hint:{}",
                self.counter_reset_hint.notation()
            ));
        }
        let list = |v: &[f64]| {
            v.iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        if !self.custom_values.is_empty() {
            parts.push(format!("custom_values:[{}]", list(&self.custom_values)));
        }
        write_buckets(&mut parts, "", &self.positive_spans, &self.positive_buckets);
        write_buckets(
            &mut parts,
            "n_",
            &self.negative_spans,
            &self.negative_buckets,
        );
        write!(f, "{{{{{}}}}}", parts.join(" "))
    }
}

/// Appends `offset:` and `buckets:` in the notation's dense form (gaps filled with zeros).
/// Layouts the notation cannot express compactly (inconsistent spans, negative or huge gaps)
/// are written as `spans:[offset:length ...]` plus the raw bucket list instead.
fn write_buckets(parts: &mut Vec<String>, prefix: &str, spans: &[BucketSpan], buckets: &[f64]) {
    if buckets.is_empty() {
        return;
    }
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let gaps_ok = spans.iter().skip(1).all(|s| s.offset >= 0);
    let slots: u64 = spans
        .iter()
        .enumerate()
        .map(|(i, s)| u64::from(s.length) + if i > 0 { s.offset.max(0) as u64 } else { 0 })
        .sum();
    let lengths: u64 = spans.iter().map(|s| u64::from(s.length)).sum();
    if !gaps_ok || slots > 10_000 || lengths != buckets.len() as u64 {
        let spans = spans
            .iter()
            .map(|s| format!("{}:{}", s.offset, s.length))
            .collect::<Vec<_>>()
            .join(" ");
        parts.push(format!("{prefix}spans:[{spans}]"));
        parts.push(format!("{prefix}buckets:[{}]", list(buckets)));
        return;
    }
    let mut dense: Vec<f64> = Vec::with_capacity(slots as usize);
    let mut values = buckets.iter();
    for (i, span) in spans.iter().enumerate() {
        if i > 0 {
            dense.extend(std::iter::repeat_n(0.0, span.offset.max(0) as usize));
        }
        for _ in 0..span.length {
            dense.push(values.next().copied().unwrap_or(0.0));
        }
    }
    let offset = spans.first().map(|s| s.offset).unwrap_or(0);
    if offset != 0 {
        parts.push(format!("{prefix}offset:{offset}"));
    }
    parts.push(format!("{prefix}buckets:[{}]", list(&dense)));
}
