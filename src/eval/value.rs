//! Query result values: scalars, strings, instant vectors and matrices.

use crate::model::{FPoint, FloatHistogram, HPoint, Labels, Timestamp, format_float};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// One element of an instant vector: a label set and a float or histogram value.
///
/// ```
/// use promgate::{Labels, eval::Sample};
/// let s = Sample::float(Labels::from_pairs([("job", "a")]), 1.5);
/// assert_eq!(s.f, 1.5);
/// assert!(s.h.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The series labels.
    pub metric: Labels,
    /// The float value (meaningless when `h` is set).
    pub f: f64,
    /// The histogram value, for native-histogram samples.
    pub h: Option<Arc<FloatHistogram>>,
    /// The metric name is to be dropped at the end of evaluation (delayed name removal).
    pub(crate) drop_name: bool,
}

impl Sample {
    /// What the sample costs against `max_samples`: 1 for a float, the histogram's size for a
    /// histogram ([`FloatHistogram::sample_cost`]).
    pub(crate) fn cost(&self) -> usize {
        self.h.as_ref().map_or(1, |h| h.sample_cost())
    }

    /// A float sample.
    pub fn float(metric: Labels, f: f64) -> Sample {
        Sample {
            metric,
            f,
            h: None,
            drop_name: false,
        }
    }

    /// A histogram sample.
    pub fn histogram(metric: Labels, h: Arc<FloatHistogram>) -> Sample {
        Sample {
            metric,
            f: 0.0,
            h: Some(h),
            drop_name: false,
        }
    }
}

/// One series of a matrix: a label set and its points in time order.
///
/// ```
/// use promgate::{Labels, eval::Series, model::FPoint};
/// let s = Series { metric: Labels::empty(), floats: vec![FPoint { t: 0, f: 1.0 }], histograms: vec![] };
/// assert_eq!(s.floats.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series labels.
    pub metric: Labels,
    /// Float points.
    pub floats: Vec<FPoint>,
    /// Histogram points.
    pub histograms: Vec<HPoint>,
}

/// The result of a query.
///
/// ```
/// use promgate::eval::Value;
/// assert_eq!(Value::Scalar(2.0).type_name(), "scalar");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar.
    Scalar(f64),
    /// A string.
    String(String),
    /// An instant vector, in evaluation order (sorted by labels unless a function sorted it).
    Vector(Vec<Sample>),
    /// A matrix, sorted by labels.
    Matrix(Vec<Series>),
}

impl Value {
    /// The scalar, when the value is one.
    ///
    /// ```
    /// use promgate::eval::Value;
    /// assert_eq!(Value::Scalar(2.0).as_scalar(), Some(2.0));
    /// assert_eq!(Value::Vector(vec![]).as_scalar(), None);
    /// ```
    pub fn as_scalar(&self) -> Option<f64> {
        match self {
            Value::Scalar(f) => Some(*f),
            _ => None,
        }
    }

    /// The instant vector, when the value is one.
    ///
    /// ```
    /// use promgate::eval::Value;
    /// assert_eq!(Value::Vector(vec![]).as_vector().map(<[_]>::len), Some(0));
    /// assert!(Value::Scalar(1.0).as_vector().is_none());
    /// ```
    pub fn as_vector(&self) -> Option<&[Sample]> {
        match self {
            Value::Vector(samples) => Some(samples),
            _ => None,
        }
    }

    /// The matrix, when the value is one.
    ///
    /// ```
    /// use promgate::eval::Value;
    /// assert!(Value::Matrix(vec![]).as_matrix().is_some());
    /// ```
    pub fn as_matrix(&self) -> Option<&[Series]> {
        match self {
            Value::Matrix(series) => Some(series),
            _ => None,
        }
    }

    /// The one number the value holds: a scalar, or the float of a vector with exactly one
    /// float sample (as `sum(...)` gives). `None` for an empty vector, several samples, a
    /// histogram, a string or a matrix.
    ///
    /// ```
    /// use promgate::eval::{Engine, Value};
    /// use promgate::store::Store;
    /// let expr = promgate::promql::parse("vector(3)").unwrap();
    /// let value = Engine::default().instant_query(&Store::new(), &expr, 0).unwrap().value;
    /// assert_eq!(value.single_float(), Some(3.0));
    /// assert_eq!(Value::Vector(vec![]).single_float(), None);
    /// ```
    pub fn single_float(&self) -> Option<f64> {
        match self {
            Value::Scalar(f) => Some(*f),
            Value::Vector(samples) => match samples.as_slice() {
                [sample] if sample.h.is_none() => Some(sample.f),
                _ => None,
            },
            _ => None,
        }
    }

    /// Prometheus's name of the value type, as in the HTTP API's `resultType`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "scalar",
            Value::String(_) => "string",
            Value::Vector(_) => "vector",
            Value::Matrix(_) => "matrix",
        }
    }
}

impl fmt::Display for Value {
    /// A readable table: one `labels => value` line per sample, `labels =>` then
    /// `value @ timestamp` points per series.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Scalar(v) => writeln!(f, "scalar: {}", format_float(*v)),
            Value::String(s) => writeln!(f, "string: {}", crate::syntax::lex::quote(s)),
            Value::Vector(samples) => {
                for s in samples {
                    match &s.h {
                        Some(h) => writeln!(f, "{} => {h}", s.metric)?,
                        None => writeln!(f, "{} => {}", s.metric, format_float(s.f))?,
                    }
                }
                Ok(())
            }
            Value::Matrix(series) => {
                for s in series {
                    writeln!(f, "{} =>", s.metric)?;
                    for p in &s.floats {
                        writeln!(f, "  {} @{}", format_float(p.f), format_timestamp(p.t))?;
                    }
                    for p in &s.histograms {
                        writeln!(f, "  {} @{}", p.h, format_timestamp(p.t))?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// Formats a millisecond timestamp as Prometheus's API does: seconds with up to three decimals.
///
/// ```
/// use promgate::eval::format_timestamp;
/// assert_eq!(format_timestamp(1500), "1.5");
/// assert_eq!(format_timestamp(60_000), "60");
/// assert_eq!(format_timestamp(-1), "-0.001");
/// ```
pub fn format_timestamp(t: Timestamp) -> String {
    format_float(t as f64 / 1000.0)
}

/// A series of a range vector during evaluation. Points borrow from the store when possible.
#[derive(Debug, Clone)]
pub(crate) struct RangeSeries<'s> {
    pub metric: Labels,
    /// `metric` without its name, cached in the store, when the series comes straight from it.
    pub store_without_name: Option<&'s Labels>,
    pub floats: Cow<'s, [FPoint]>,
    pub histograms: Cow<'s, [HPoint]>,
    /// Start timestamps parallel to `floats`, when the series has them.
    pub float_start_times: Option<Cow<'s, [Timestamp]>>,
    /// Start timestamps parallel to `histograms`, when the series has them.
    pub histogram_start_times: Option<Cow<'s, [Timestamp]>>,
    pub drop_name: bool,
    /// No float of `floats` is below the one before it: a counter window without resets
    /// (known only for windows borrowed straight from the store; `false` when unknown).
    pub no_float_drops: bool,
}

impl RangeSeries<'_> {
    pub fn into_series(self) -> Series {
        Series {
            metric: self.metric,
            floats: self.floats.into_owned(),
            histograms: self.histograms.into_owned(),
        }
    }
}

/// A value during evaluation.
#[derive(Debug, Clone)]
pub(crate) enum Val<'s> {
    Scalar(f64),
    String(String),
    Vector(Vec<Sample>),
    Matrix(Vec<RangeSeries<'s>>),
}
