//! Evaluation errors. Their `Display` texts are Prometheus's, so `expect fail msg:` lines of
//! the PromQL test corpus and users comparing with Prometheus see the same words.

use crate::model::Labels;
use crate::syntax::Span;

/// Why a query could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// More samples would be held in memory than [`EngineOptions::max_samples`](super::EngineOptions::max_samples).
    #[error("query processing would load too many samples into memory in query execution")]
    TooManySamples,
    /// Two series in a result have the same label set (e.g. after dropping `__name__`).
    #[error("vector cannot contain metrics with the same labelset")]
    DuplicateLabelSet,
    /// The "one" side of a vector match has two series for one match group.
    #[error(
        "found duplicate series for the match group {group} on the {side} hand-side of the operation: [{first}, {second}];many-to-many matching not allowed: matching labels must be unique on one side"
    )]
    ManyToManyMatching {
        /// The labels the series were matched on.
        group: Labels,
        /// `left` or `right`.
        side: &'static str,
        /// The first duplicate (in label order).
        first: Labels,
        /// The second duplicate.
        second: Labels,
    },
    /// One-to-one matching found several matches for one series.
    #[error(
        "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)"
    )]
    MultipleMatchesOneToOne,
    /// Many-to-one matching produced the same output series twice.
    #[error("multiple matches for labels: grouping labels must ensure unique matches")]
    MultipleMatchesGrouping,
    /// `topk`/`bottomk`/`limitk` parameter is NaN.
    #[error("Parameter value is NaN")]
    ParameterNaN,
    /// `limit_ratio` parameter is NaN.
    #[error("Ratio value is NaN")]
    RatioNaN,
    /// A `k` parameter below the smallest `i64`.
    #[error("Scalar value {0} underflows int64")]
    ScalarUnderflow(String),
    /// A `k` parameter above the largest `i64`.
    #[error("Scalar value {0} overflows int64")]
    ScalarOverflow(String),
    /// `count_values` label name is not valid.
    #[error("invalid label name {0}")]
    InvalidCountValuesLabel(String),
    /// A range function that does not accept `anchored`.
    #[error(
        "anchored modifier can only be used with: changes, delta, increase, rate, resets - not with {0}"
    )]
    AnchoredNotAllowed(&'static str),
    /// A range function that does not accept `smoothed`.
    #[error("smoothed modifier can only be used with: delta, increase, rate - not with {0}")]
    SmoothedNotAllowed(&'static str),
    /// `anchored` over a series with histograms.
    #[error("anchored modifier is not supported with histograms")]
    AnchoredWithHistograms,
    /// `smoothed` over a series with histograms.
    #[error("smoothed modifier is not supported with histograms")]
    SmoothedWithHistograms,
    /// A duration expression evaluated to zero or less where a positive one is needed.
    #[error("{}:{}: duration must be greater than 0", .0.start, .0.end)]
    DurationNotPositive(Span),
    /// A duration expression evaluated to NaN or ±Inf.
    #[error("{}:{}: duration is NaN or infinite", .0.start, .0.end)]
    DurationNotFinite(Span),
    /// A duration expression is out of range.
    #[error("{}:{}: duration is out of range", .0.start, .0.end)]
    DurationOutOfRange(Span),
    /// Division by zero in a duration expression.
    #[error("{}:{}: division by zero", .0.start, .0.end)]
    DurationDivisionByZero(Span),
    /// Modulo by zero in a duration expression.
    #[error("{}:{}: modulo by zero", .0.start, .0.end)]
    DurationModuloByZero(Span),
    /// A range query over an expression that is not a scalar or instant vector.
    #[error("invalid expression type {0:?} for range query, must be Scalar or instant Vector")]
    InvalidRangeQueryType(&'static str),
    /// `label_replace` with a regex that does not compile.
    #[error("invalid regular expression in label_replace(): {0}")]
    InvalidLabelReplaceRegex(String),
    /// `label_replace` with an invalid destination label name.
    #[error("invalid destination label name in label_replace(): {0}")]
    InvalidLabelReplaceDestination(String),
    /// `label_join` with an invalid source label name.
    #[error("invalid source label name in label_join(): {0}")]
    InvalidLabelJoinSource(String),
    /// `label_join` with an invalid destination label name.
    #[error("invalid destination label name in label_join(): {0}")]
    InvalidLabelJoinDestination(String),
    /// `double_exponential_smoothing` smoothing factor out of (0, 1).
    #[error("invalid smoothing factor. Expected: 0 < sf < 1, got: {0}")]
    InvalidSmoothingFactor(String),
    /// `double_exponential_smoothing` trend factor out of (0, 1).
    #[error("invalid trend factor. Expected: 0 < tf < 1, got: {0}")]
    InvalidTrendFactor(String),
    /// `info()`: an info series with a histogram value.
    #[error("info sample should be float")]
    InfoSampleNotFloat,
    /// `info()`: a series selected as an info series has a histogram sample.
    #[error("this should be an info metric, with float samples: {0}")]
    InfoSeriesNotFloat(Labels),
    /// `info()`: two info series with the same identifying labels at one time.
    #[error(
        "found duplicate series for info metric: existing {existing} @ {existing_t}, new {new} @ {new_t}"
    )]
    DuplicateInfoSeries {
        /// The series seen first.
        existing: Labels,
        /// Its timestamp.
        existing_t: i64,
        /// The series seen second.
        new: Labels,
        /// Its timestamp.
        new_t: i64,
    },
    /// `info()`: a data label conflicts with a label of the base series.
    #[error("conflicting label: {0}")]
    ConflictingInfoLabel(String),
    /// The expression uses a feature this engine does not evaluate yet.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}
