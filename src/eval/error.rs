//! Evaluation errors. Their `Display` texts are Prometheus's, so `expect fail msg:` lines of
//! the PromQL test corpus and users comparing with Prometheus see the same words.

use crate::model::Labels;
use crate::syntax::Span;

use super::annotations::rfc3339_seconds;

/// Why a query could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// More samples would be held in memory than [`EngineOptions::max_samples`](super::EngineOptions::max_samples).
    #[error("query processing would load too many samples into memory in query execution")]
    TooManySamples,
    /// The query would take more evaluation steps than [`EngineOptions::max_steps`](super::EngineOptions::max_steps).
    #[error("query would take too many evaluation steps ({needed}, the limit is {limit})")]
    TooManySteps {
        /// The steps the query needs (so far).
        needed: u64,
        /// The limit.
        limit: u64,
    },
    /// The query ran longer than [`EngineOptions::timeout`](super::EngineOptions::timeout).
    /// The text starts as Prometheus's.
    #[error("query timed out in query execution (the limit is {}s)", limit.as_secs_f64())]
    Timeout {
        /// The limit.
        limit: std::time::Duration,
    },
    /// An expression built or rewritten by hand that fails the parser's type checks (see
    /// [`promql::check`](crate::promql::check)), e.g. `vector(up)`.
    #[error("{kind}")]
    InvalidExpression {
        /// What is wrong.
        kind: crate::promql::ParseErrorKind,
        /// The node's span in the tree.
        span: Span,
    },
    /// A range query with a step of zero or less, in ms.
    #[error("{} is not a valid interval for a range query, must be greater than 0", go_duration_string(*.0))]
    InvalidStep(i64),
    /// A range query whose end is before its start.
    #[error(
        "range query time range is invalid: end time {} is before start time {}",
        rfc3339_seconds(*end),
        rfc3339_seconds(*start)
    )]
    EndBeforeStart {
        /// The start, ms.
        start: i64,
        /// The end, ms.
        end: i64,
    },
    /// A range query with more steps than [`EngineOptions::max_points_per_series`](super::EngineOptions::max_points_per_series).
    #[error(
        "exceeded maximum resolution of {} points per timeseries. Try decreasing the query resolution (?step=XX)",
        thousands(*limit)
    )]
    TooManyPoints {
        /// The limit.
        limit: u64,
    },
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
    /// `label_replace` with a regex that does not compile: `label_replace(up, "a", "b", "c", "(")`.
    /// The text is Prometheus's (test scripts match it); the regex engine's reason is in
    /// `reason`, and [`EvalError::hint`] gives it.
    #[error("invalid regular expression in label_replace(): {regex}")]
    InvalidLabelReplaceRegex {
        /// The regex as written.
        regex: String,
        /// Why it does not compile, in Go's words (``missing closing ): `(` ``, ...).
        reason: String,
        /// The regex argument in the expression.
        span: Span,
    },
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

/// Go's `time.Duration.String` for a whole number of milliseconds: `0s`, `-500ms`, `1m30s`.
fn go_duration_string(ms: i64) -> String {
    if ms == 0 {
        return "0s".to_string();
    }
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    if ms < 1000 {
        return format!("{sign}{ms}ms");
    }
    let (hours, minutes) = (ms / 3_600_000, ms / 60_000 % 60);
    let seconds = match ms % 1000 {
        0 => format!("{}", ms / 1000 % 60),
        millis => format!(
            "{}.{}",
            ms / 1000 % 60,
            format!("{millis:03}").trim_end_matches('0')
        ),
    };
    match (hours, minutes) {
        (0, 0) => format!("{sign}{seconds}s"),
        (0, m) => format!("{sign}{m}m{seconds}s"),
        (h, m) => format!("{sign}{h}h{m}m{seconds}s"),
    }
}

/// `11000` as `11,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl EvalError {
    /// Where in the expression the error is, for errors tied to one part of it.
    ///
    /// ```
    /// use promgate::{Engine, Store, parse};
    /// let expr = parse(r#"label_replace(up, "a", "b", "c", "(")"#).unwrap();
    /// let err = Engine::default().instant_query(&Store::new(), &expr, 0).unwrap_err();
    /// assert_eq!(err.to_string(), "invalid regular expression in label_replace(): (");
    /// assert_eq!(err.span().map(|s| (s.start, s.end)), Some((33, 36)));
    /// assert_eq!(err.hint().as_deref(), Some("the regex engine says: missing closing ): `^(?s:()$`"));
    /// ```
    pub fn span(&self) -> Option<Span> {
        match self {
            EvalError::InvalidExpression { span, .. }
            | EvalError::InvalidLabelReplaceRegex { span, .. } => Some(*span),
            _ => None,
        }
    }

    /// What a user can do about the error, where the message alone does not say.
    ///
    /// ```
    /// use promgate::EvalError;
    /// assert!(EvalError::TooManySamples.hint().unwrap().contains("max_samples"));
    /// assert_eq!(EvalError::DuplicateLabelSet.hint(), None);
    /// ```
    pub fn hint(&self) -> Option<String> {
        match self {
            EvalError::InvalidLabelReplaceRegex { reason, .. } => {
                Some(format!("the regex engine says: {reason}"))
            }
            EvalError::TooManySamples => Some(
                "raise the limit with EngineOptions::max_samples (on the command line: --max-samples)"
                    .to_string(),
            ),
            EvalError::TooManySteps { .. } => Some(
                "raise the limit with EngineOptions::max_steps, or use a coarser step".to_string(),
            ),
            EvalError::Timeout { .. } => Some(
                "raise the limit with EngineOptions::timeout (on the command line: --query-timeout)"
                    .to_string(),
            ),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_strings() {
        for (ms, want) in [
            (0, "0s"),
            (-1, "-1ms"),
            (1500, "1.5s"),
            (-60_000, "-1m0s"),
            (3_723_000, "1h2m3s"),
        ] {
            assert_eq!(go_duration_string(ms), want);
        }
        assert_eq!(thousands(11_000), "11,000");
        assert_eq!(thousands(999), "999");
    }
}
