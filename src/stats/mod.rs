//! Statistics for rollout gating: summaries of series with gaps, pass probabilities, drift
//! detection, early stops and grade ladders.
//!
//! Pure numbers, no PromQL: the decision module evaluates gates into time series of
//! `Option<f64>` samples (one per step, `None` where the gate had no value) and hands them here.
//! Every figure is deterministic: no clocks, no hash-map order, and the only randomness is the
//! seeded [`SplitMix64`] used for synthetic series.
//!
//! | what | entry points |
//! |---|---|
//! | summary of a series | [`summarize`], [`StreamingSummary`], [`SummaryOptions`], [`Summary`] |
//! | pass probability | [`pass_probability`], [`PassProbability`] |
//! | drift | [`Cusum`], [`PageHinkley`], [`Ewma`], [`DriftDetector`], [`detect_changes`], [`drift_episodes`] |
//! | early stop | [`EarlyStop`], [`StopCondition`], [`SignalStatus`], [`Stop`] |
//! | grades | [`GradeLadder`] (serde), [`GradeLadder::l4`] |
//! | errors | [`StatsError`] |
//!
//! # Samples
//! `None` and `NaN` are missing. Infinities are samples: min, max, quantiles and breaches
//! handle them, the mean, standard deviation and interval follow IEEE arithmetic; drift
//! detectors skip them like missing steps. Nothing panics on any `f64`.
//!
//! # Summaries
//! Count, missing, mean (compensated sum), sample standard deviation (Welford on shifted
//! samples: NIST StRD NumAcc1–4 give the certified mean and the exact standard deviation of
//! their `f64` values to at least 12 significant digits), min, max, type 7 quantiles, time
//! beyond a [`Threshold`], the longest breach, and a batch-means confidence interval of the
//! mean that allows for autocorrelation ([`ConfidenceInterval`]). [`summarize`] runs the
//! streaming accumulator, so the two agree bit for bit (a property test checks it).
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
//!
//! # Drift detection, measured
//! Defaults are sized for a day of 10 s steps (8640 samples), all thresholds in σ units.
//! Measured by the test `measured_drift_table_stays_within_bounds` (which asserts bounds and
//! prints the table with `--nocapture`): 200 runs of 8640 in-control N(0, 1) steps for false
//! alarms, and 200 runs with a +1σ shift at step 1000 for the delay (steps from the shift to the
//! first alarm at or after it). "warm-up 360" estimates μ0 and σ from the first 360 samples (the
//! default); "known" gives μ0 = 0, σ = 1.
//!
//! | detector (defaults) | baseline | runs with a false alarm | false alarms per run | mean delay | max delay | missed |
//! |---|---|---|---|---|---|---|
//! | CUSUM k=0.5 h=12 | warm-up 360 | 6/200 | 0.030 | 23.6 | 80 | 0 |
//! | CUSUM k=0.5 h=12 | known | 3/200 | 0.015 | 23.5 | 79 | 0 |
//! | Page-Hinkley δ=0.5 λ=12 α=1 | warm-up 360 | 5/200 | 0.025 | 24.2 | 80 | 0 |
//! | Page-Hinkley δ=0.5 λ=12 α=1 | known | 3/200 | 0.015 | 24.2 | 82 | 0 |
//! | EWMA λ=0.1 L=4.6 | warm-up 360 | 9/200 | 0.050 | 29.2 | 133 | 0 |
//! | EWMA λ=0.1 L=4.6 | known | 7/200 | 0.040 | 27.8 | 87 | 0 |
//!
//! Real gate series are autocorrelated and rarely normal; these rates are for white noise and
//! will be higher on real data unless σ reflects it. Textbook settings (CUSUM `h = 5`, EWMA
//! `L = 3`) alarm falsely several times a day at this step count.
//!
//! ```
//! use promgate::stats::{detect_changes, DriftOptions, CusumOptions, SplitMix64};
//! let mut rng = SplitMix64::new(11);
//! let series: Vec<Option<f64>> = (0..8640)
//!     .map(|i| Some(rng.next_normal() + if i >= 5000 { 1.0 } else { 0.0 }))
//!     .collect();
//! let alarms = detect_changes(&series, &DriftOptions::Cusum(CusumOptions::default())).unwrap();
//! assert!(alarms[0].alarm_index >= 5000 && alarms[0].alarm_index < 5080);
//! ```
//!
//! # Pass probability, early stops, grades
//! ```
//! use promgate::stats::{pass_probability, EarlyStop, GradeLadder, PassProbabilityOptions,
//!     SignalStatus, StopCondition};
//! let outcomes: Vec<Option<bool>> = (0..8640).map(|i| Some(i % 500 != 0)).collect();
//! let p = pass_probability(&outcomes, &PassProbabilityOptions::default()).unwrap();
//! assert!(p.lower > 0.99);
//!
//! let mut check = EarlyStop::new(vec![StopCondition::Failing { signal: "errors".into(), for_ms: 0 }]).unwrap();
//! let stop = check.push(0, &[("errors", SignalStatus::observed(1.0, true))]).unwrap();
//! assert!(stop.is_some());
//!
//! assert_eq!(GradeLadder::l4().grade(0.15).action, "promote");
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
    Baseline, ChangePoint, Cusum, CusumOptions, DriftDetector, DriftEpisode, DriftOptions,
    EPISODE_GAP_STEPS, Ewma, EwmaOptions, PageHinkley, PageHinkleyOptions, Shift, detect_changes,
    drift_episodes,
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
