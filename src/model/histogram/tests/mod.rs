//! Tests of the histogram layer. `prometheus_cases` runs the case tables of Prometheus's own
//! tests (re-expressed as data in `tests/data/histogram/`), the other modules hold our own
//! cases and property tests.

mod iterators;
mod operations;
mod prometheus_cases;
mod properties;
mod quantiles;

use serde::Deserialize;

use super::{BucketSpan, CounterResetHint, FloatHistogram, HistogramBucket};

/// A float written as a string in the data files, so that it reads back exactly; `NaN`,
/// `+Inf` and `-Inf` are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct F(pub(super) f64);

impl<'de> Deserialize<'de> for F {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<F, D::Error> {
        let text = String::deserialize(deserializer)?;
        let value = match text.as_str() {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            other => other.parse().map_err(serde::de::Error::custom)?,
        };
        Ok(F(value))
    }
}

/// A histogram in the data files; absent fields take their defaults.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct H {
    schema: i32,
    zero_threshold: F,
    zero_count: F,
    count: F,
    sum: F,
    hint: Option<String>,
    positive_spans: Vec<(i32, u32)>,
    negative_spans: Vec<(i32, u32)>,
    positive_buckets: Vec<F>,
    negative_buckets: Vec<F>,
    custom_values: Vec<F>,
}

impl H {
    pub(super) fn build(&self) -> FloatHistogram {
        let spans = |s: &[(i32, u32)]| {
            s.iter()
                .map(|&(offset, length)| BucketSpan { offset, length })
                .collect()
        };
        let floats = |v: &[F]| v.iter().map(|f| f.0).collect();
        FloatHistogram {
            counter_reset_hint: match self.hint.as_deref() {
                Some("reset") => CounterResetHint::Reset,
                Some("not_reset") => CounterResetHint::NotReset,
                Some("gauge") => CounterResetHint::Gauge,
                _ => CounterResetHint::Unknown,
            },
            schema: self.schema,
            zero_threshold: self.zero_threshold.0,
            zero_count: self.zero_count.0,
            count: self.count.0,
            sum: self.sum.0,
            positive_spans: spans(&self.positive_spans),
            negative_spans: spans(&self.negative_spans),
            positive_buckets: floats(&self.positive_buckets),
            negative_buckets: floats(&self.negative_buckets),
            custom_values: floats(&self.custom_values),
        }
    }
}

/// A bucket in the data files.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct B {
    lower: F,
    upper: F,
    lower_inclusive: bool,
    upper_inclusive: bool,
    count: F,
    index: i32,
}

impl B {
    pub(super) fn build(&self) -> HistogramBucket {
        HistogramBucket {
            lower: self.lower.0,
            upper: self.upper.0,
            lower_inclusive: self.lower_inclusive,
            upper_inclusive: self.upper_inclusive,
            count: self.count.0,
            index: self.index,
        }
    }
}

/// A data file: where its cases come from and the cases.
#[derive(Debug, Deserialize)]
pub(super) struct CaseFile<T> {
    pub(super) source: String,
    pub(super) cases: Vec<T>,
}

/// Reads `tests/data/histogram/<name>.json`.
macro_rules! cases {
    ($name:literal) => {{
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/histogram/",
            $name,
            ".json"
        ));
        let file: $crate::model::histogram::tests::CaseFile<_> =
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{}: {e}", $name));
        assert!(
            !file.cases.is_empty(),
            "{} has no cases ({})",
            $name,
            file.source
        );
        file.cases
    }};
}
pub(super) use cases;

/// Float equality as Go's `require.Equal` sees it, except that NaN equals NaN.
pub(super) fn float_same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Field-by-field equality with [`float_same`]; spans must be identical.
pub(super) fn same(a: &FloatHistogram, b: &FloatHistogram) -> bool {
    let floats = |x: &[f64], y: &[f64]| {
        x.len() == y.len() && x.iter().zip(y).all(|(p, q)| float_same(*p, *q))
    };
    a.counter_reset_hint == b.counter_reset_hint
        && a.schema == b.schema
        && float_same(a.zero_threshold, b.zero_threshold)
        && float_same(a.zero_count, b.zero_count)
        && float_same(a.count, b.count)
        && float_same(a.sum, b.sum)
        && a.positive_spans == b.positive_spans
        && a.negative_spans == b.negative_spans
        && floats(&a.positive_buckets, &b.positive_buckets)
        && floats(&a.negative_buckets, &b.negative_buckets)
        && floats(&a.custom_values, &b.custom_values)
}

/// Asserts [`same`] with a readable message.
#[track_caller]
pub(super) fn assert_same(actual: &FloatHistogram, expected: &FloatHistogram, context: &str) {
    assert!(
        same(actual, expected),
        "{context}\n  actual:   {actual:?}\n  expected: {expected:?}"
    );
}

/// Shorthand for tests: a histogram with one positive span starting at `offset`.
pub(super) fn exp(
    schema: i32,
    count: f64,
    sum: f64,
    offset: i32,
    buckets: &[f64],
) -> FloatHistogram {
    FloatHistogram {
        schema,
        count,
        sum,
        positive_spans: if buckets.is_empty() {
            Vec::new()
        } else {
            vec![BucketSpan {
                offset,
                length: buckets.len() as u32,
            }]
        },
        positive_buckets: buckets.to_vec(),
        ..FloatHistogram::default()
    }
}

/// Shorthand for tests: spans from `(offset, length)` pairs.
pub(super) fn spans(pairs: &[(i32, u32)]) -> Vec<BucketSpan> {
    pairs
        .iter()
        .map(|&(offset, length)| BucketSpan { offset, length })
        .collect()
}
