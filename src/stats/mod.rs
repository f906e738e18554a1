//! Statistics for rollout gating: summaries of series with gaps, pass probabilities, drift
//! detection, early stops and grade ladders.
//!
//! Pure numbers, no PromQL: the decision module evaluates gates into time series of
//! `Option<f64>` samples (one per step, `None` where the gate had no value) and hands them here.
//! Every figure is deterministic: no clocks, no randomness, no hash-map order.
//!
//! - [`summarize`] / [`StreamingSummary`]: count, missing, mean, standard deviation, min, max,
//!   type 7 quantiles, time beyond a [`Threshold`], longest breach and a batch-means
//!   confidence interval of the mean.
//!
//! ```
//! use promgate::stats::{summarize, SummaryOptions, Threshold};
//! let error_ratio = [Some(0.01), Some(0.02), None, Some(0.30), Some(0.01)];
//! let options = SummaryOptions {
//!     step_ms: Some(10_000),
//!     threshold: Some(Threshold::above(0.2)),
//!     ..SummaryOptions::default()
//! };
//! let summary = summarize(&error_ratio, &options).unwrap();
//! assert_eq!(summary.missing, 1);
//! assert_eq!(summary.breach.unwrap().duration_ms, Some(10_000));
//! ```

mod drift;
mod early_stop;
mod error;
mod grade;
mod probability;
mod special;
mod summary;
mod synthetic;

pub use drift::{
    Baseline, ChangePoint, Cusum, CusumOptions, DriftDetector, DriftOptions, Ewma, EwmaOptions,
    PageHinkley, PageHinkleyOptions, Shift, detect_changes,
};
pub use early_stop::{EarlyStop, SignalStatus, Stop, StopCondition, StopReason};
pub use error::StatsError;
pub use grade::{Comparison, GradeLadder, Graded, Otherwise, Rung, Statistic};
pub use probability::{MissingOutcome, PassProbability, PassProbabilityOptions, pass_probability};
pub use summary::{
    Breach, BreachSummary, ConfidenceInterval, Direction, Quantiles, StreamingSummary, Summary,
    SummaryOptions, Threshold, quantile, summarize,
};
pub use synthetic::SplitMix64;
