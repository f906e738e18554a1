//! The error type of the statistics module.

/// Why a statistics constructor or computation refused its input.
///
/// Only parameters and structurally impossible inputs are errors; samples are never errors
/// (`NaN` counts as missing, infinities are kept).
///
/// ```
/// use promgate::stats::{summarize, StatsError, SummaryOptions};
/// let err = summarize(&[None, Some(f64::NAN)], &SummaryOptions::default()).unwrap_err();
/// assert_eq!(err, StatsError::NoSamples { missing: 2 });
/// assert_eq!(err.to_string(), "no samples to summarize, all 2 steps are missing");
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StatsError {
    /// A summary of a series without a single present sample, e.g. `[None, Some(NaN)]`.
    #[error("no samples to summarize, all {missing} steps are missing")]
    NoSamples {
        /// How many steps there were (all missing).
        missing: usize,
    },
    /// A parameter outside its domain, e.g. a confidence level of `1.5` or a CUSUM threshold
    /// `h` of `-1`.
    #[error("invalid {parameter} {value}, expected {expected}")]
    InvalidParameter {
        /// The parameter's name as in the options struct.
        parameter: &'static str,
        /// The value given.
        value: f64,
        /// What the parameter accepts.
        expected: &'static str,
    },
    /// An early-stop step whose time is before the previous step's, e.g. pushing `10_000`
    /// then `0`.
    #[error("step time {time_ms} ms is before the previous step at {previous_ms} ms")]
    TimeWentBackwards {
        /// The previous step's time (ms).
        previous_ms: i64,
        /// The offending step's time (ms).
        time_ms: i64,
    },
    /// A grade ladder whose limits are not strictly ordered in the direction of its comparison,
    /// e.g. `at_most` limits `0.3` then `0.2` (the second rung could never be reached).
    #[error(
        "grade ladder limit {limit} at rung {index} does not follow {previous} (limits must be strictly {order} and not NaN)"
    )]
    UnorderedLadder {
        /// The index of the offending rung.
        index: usize,
        /// The previous rung's limit.
        previous: f64,
        /// The offending limit.
        limit: f64,
        /// `"increasing"` for `at_most` ladders, `"decreasing"` for `at_least`.
        order: &'static str,
    },
}

impl StatsError {
    pub(crate) fn invalid(parameter: &'static str, value: f64, expected: &'static str) -> Self {
        StatsError::InvalidParameter {
            parameter,
            value,
            expected,
        }
    }
}
