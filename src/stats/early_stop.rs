//! Early stops: conditions checked at every step of a monitor, over named signals.

use std::fmt;

use serde::Deserialize;

use super::{ChangePoint, DriftDetector, DriftOptions, StatsError};

/// A condition that stops a run early.
///
/// In YAML (tagged by `kind`):
///
/// ```
/// use promgate::stats::StopCondition;
/// let conditions: Vec<StopCondition> = serde_yaml::from_str(r#"
/// - { kind: failing, signal: error_ratio, for_ms: 300000 }
/// - { kind: drift, signal: latency_p99, detector: { method: cusum, h: 12 } }
/// - { kind: missing, signal: error_ratio, max_fraction: 0.2, min_steps: 360 }
/// "#).unwrap();
/// assert_eq!(conditions.len(), 3);
/// assert_eq!(conditions[0].signal(), "error_ratio");
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum StopCondition {
    /// The signal's `failing` flag has been `Some(true)` at every step for at least `for_ms`:
    /// it trips at the first step whose time is `for_ms` or more after the first failing step
    /// of the current run (as a Prometheus alert's `for`; `for_ms: 0` trips on the first
    /// failing step). A step where the signal passes, is unknown or is absent ends the run.
    Failing {
        /// The signal's name.
        signal: String,
        /// How long it must fail without a break (ms).
        for_ms: i64,
    },
    /// A drift detector on the signal's `value` raises an alarm (absent or `None` values are
    /// missing steps for the detector).
    Drift {
        /// The signal's name.
        signal: String,
        /// The detector and its options.
        detector: DriftOptions,
    },
    /// More than `max_fraction` of the steps so far miss the signal, checked once at least
    /// `min_steps` steps have been pushed. A signal is missing at a step when it is absent
    /// from the step, or has neither a value (`None` or `NaN`) nor a `failing` flag.
    Missing {
        /// The signal's name.
        signal: String,
        /// The largest tolerated share of missing steps, in [0, 1].
        max_fraction: f64,
        /// Steps before the condition is checked.
        min_steps: usize,
    },
}

impl StopCondition {
    /// The signal the condition watches.
    ///
    /// ```
    /// use promgate::stats::StopCondition;
    /// let condition = StopCondition::Failing { signal: "up".into(), for_ms: 0 };
    /// assert_eq!(condition.signal(), "up");
    /// ```
    pub fn signal(&self) -> &str {
        match self {
            StopCondition::Failing { signal, .. }
            | StopCondition::Drift { signal, .. }
            | StopCondition::Missing { signal, .. } => signal,
        }
    }
}

/// What one signal looked like at one step.
///
/// ```
/// use promgate::stats::SignalStatus;
/// assert!(SignalStatus::missing().is_missing());
/// assert!(!SignalStatus::observed(0.3, true).is_missing());
/// assert!(!SignalStatus { value: None, failing: Some(false) }.is_missing());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SignalStatus {
    /// The signal's value, for drift detection; `None` or `NaN` when there was none.
    pub value: Option<f64>,
    /// Whether the signal's gate failed at this step; `None` when unknown.
    pub failing: Option<bool>,
}

impl SignalStatus {
    /// No value and no verdict.
    ///
    /// ```
    /// assert_eq!(promgate::stats::SignalStatus::missing().value, None);
    /// ```
    pub fn missing() -> Self {
        SignalStatus::default()
    }

    /// A value and a verdict.
    ///
    /// ```
    /// let status = promgate::stats::SignalStatus::observed(0.1, false);
    /// assert_eq!((status.value, status.failing), (Some(0.1), Some(false)));
    /// ```
    pub fn observed(value: f64, failing: bool) -> Self {
        SignalStatus {
            value: Some(value),
            failing: Some(failing),
        }
    }

    /// Neither a value (`None` or `NaN`) nor a verdict.
    ///
    /// ```
    /// let status = promgate::stats::SignalStatus { value: Some(f64::NAN), failing: None };
    /// assert!(status.is_missing());
    /// ```
    pub fn is_missing(&self) -> bool {
        self.value.is_none_or(f64::is_nan) && self.failing.is_none()
    }
}

/// Why a run stopped.
///
/// ```
/// use promgate::stats::StopReason;
/// let reason = StopReason::Missing { signal: "up".into(), missing: 30, steps: 100 };
/// assert_eq!(reason.to_string(), "up missing at 30 of 100 steps (30.0%)");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum StopReason {
    /// A [`StopCondition::Failing`] tripped.
    Failing {
        /// The signal.
        signal: String,
        /// The time of the first failing step of the run (ms).
        since_ms: i64,
        /// How long it had been failing when the condition tripped (ms).
        for_ms: i64,
    },
    /// A [`StopCondition::Drift`] tripped.
    Drift {
        /// The signal.
        signal: String,
        /// The alarm, with indices counted in steps pushed to the [`EarlyStop`].
        change: ChangePoint,
    },
    /// A [`StopCondition::Missing`] tripped.
    Missing {
        /// The signal.
        signal: String,
        /// Steps where it was missing.
        missing: usize,
        /// Steps so far.
        steps: usize,
    },
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Failing {
                signal,
                since_ms,
                for_ms,
            } => write!(
                f,
                "{signal} failing since {} (for at least {})",
                crate::syntax::lex::format_duration(*since_ms),
                crate::syntax::lex::format_duration(*for_ms)
            ),
            StopReason::Drift { signal, change } => {
                let direction = match change.shift {
                    super::Shift::Up => "up",
                    super::Shift::Down => "down",
                };
                write!(
                    f,
                    "{signal} drifted {direction}, alarm at step {}",
                    change.alarm_index
                )?;
                match change.start_index {
                    Some(start) => write!(f, ", change estimated from step {start}"),
                    None => Ok(()),
                }
            }
            StopReason::Missing {
                signal,
                missing,
                steps,
            } => write!(
                f,
                "{signal} missing at {missing} of {steps} steps ({:.1}%)",
                100.0 * *missing as f64 / *steps as f64
            ),
        }
    }
}

/// The first condition that tripped.
///
/// ```
/// use promgate::stats::{EarlyStop, SignalStatus, StopCondition};
/// let mut check = EarlyStop::new(vec![StopCondition::Failing { signal: "up".into(), for_ms: 0 }]).unwrap();
/// let stop = check.push(5_000, &[("up", SignalStatus::observed(0.0, true))]).unwrap().unwrap();
/// assert_eq!((stop.time_ms, stop.step, stop.condition), (5_000, 0, 0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    /// The time of the step at which it tripped (ms).
    pub time_ms: i64,
    /// The index of that step (0 for the first step pushed).
    pub step: usize,
    /// The index of the condition in the list given to [`EarlyStop::new`].
    pub condition: usize,
    /// Why.
    pub reason: StopReason,
}

#[derive(Debug, Clone)]
enum ConditionState {
    Failing { since_ms: Option<i64> },
    Drift(Box<DriftDetector>),
    Missing { missing: usize },
}

/// Checks stop conditions as a monitor advances, one step at a time.
///
/// Every condition sees every step (so detectors keep their state in step with the run); when
/// several trip at the same step the first in the list given to [`EarlyStop::new`] is the one
/// reported. Once stopped the checker stays stopped and ignores later steps.
///
/// ```
/// use promgate::stats::{EarlyStop, SignalStatus, StopCondition};
/// let mut check = EarlyStop::new(vec![
///     StopCondition::Failing { signal: "error_ratio".into(), for_ms: 30_000 },
///     StopCondition::Missing { signal: "error_ratio".into(), max_fraction: 0.5, min_steps: 4 },
/// ]).unwrap();
/// let failing = SignalStatus::observed(0.4, true);
/// assert_eq!(check.push(0, &[("error_ratio", failing)]).unwrap(), None);
/// assert_eq!(check.push(10_000, &[("error_ratio", failing)]).unwrap(), None);
/// assert_eq!(check.push(20_000, &[("error_ratio", failing)]).unwrap(), None);
/// let stop = check.push(30_000, &[("error_ratio", failing)]).unwrap().unwrap();
/// assert_eq!(stop.reason.to_string(), "error_ratio failing since 0s (for at least 30s)");
/// ```
#[derive(Debug, Clone)]
pub struct EarlyStop {
    conditions: Vec<StopCondition>,
    states: Vec<ConditionState>,
    steps: usize,
    last_time_ms: Option<i64>,
    stopped: Option<Stop>,
}

impl EarlyStop {
    /// A checker for `conditions`, in priority order.
    ///
    /// # Errors
    /// [`StatsError::InvalidParameter`] for a negative `for_ms`, a `max_fraction` outside
    /// [0, 1], or invalid detector options.
    ///
    /// ```
    /// use promgate::stats::{EarlyStop, StopCondition};
    /// let bad = StopCondition::Missing { signal: "up".into(), max_fraction: 1.5, min_steps: 0 };
    /// assert!(EarlyStop::new(vec![bad]).is_err());
    /// ```
    pub fn new(conditions: Vec<StopCondition>) -> Result<Self, StatsError> {
        let states = conditions
            .iter()
            .map(|condition| match condition {
                StopCondition::Failing { for_ms, .. } => {
                    if *for_ms < 0 {
                        return Err(StatsError::invalid(
                            "for_ms",
                            *for_ms as f64,
                            "a non-negative duration",
                        ));
                    }
                    Ok(ConditionState::Failing { since_ms: None })
                }
                StopCondition::Drift { detector, .. } => Ok(ConditionState::Drift(Box::new(
                    DriftDetector::new(detector)?,
                ))),
                StopCondition::Missing { max_fraction, .. } => {
                    if !(0.0..=1.0).contains(max_fraction) {
                        return Err(StatsError::invalid(
                            "max_fraction",
                            *max_fraction,
                            "a number in [0, 1]",
                        ));
                    }
                    Ok(ConditionState::Missing { missing: 0 })
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(EarlyStop {
            conditions,
            states,
            steps: 0,
            last_time_ms: None,
            stopped: None,
        })
    }

    /// Adds the step at `time_ms` with the status of each signal (looked up by name, the
    /// first entry wins; an absent signal is missing). Returns the stop, if the run has
    /// stopped at this step or before.
    ///
    /// # Errors
    /// [`StatsError::TimeWentBackwards`] when `time_ms` is before the previous step's.
    ///
    /// ```
    /// use promgate::stats::{EarlyStop, StatsError};
    /// let mut check = EarlyStop::new(vec![]).unwrap();
    /// check.push(10_000, &[]).unwrap();
    /// assert!(matches!(check.push(0, &[]), Err(StatsError::TimeWentBackwards { .. })));
    /// ```
    pub fn push(
        &mut self,
        time_ms: i64,
        signals: &[(&str, SignalStatus)],
    ) -> Result<Option<&Stop>, StatsError> {
        if self.stopped.is_some() {
            return Ok(self.stopped.as_ref());
        }
        if let Some(previous_ms) = self.last_time_ms
            && time_ms < previous_ms
        {
            return Err(StatsError::TimeWentBackwards {
                previous_ms,
                time_ms,
            });
        }
        self.last_time_ms = Some(time_ms);
        let step = self.steps;
        self.steps += 1;
        let mut first = None;
        for (index, (condition, state)) in self.conditions.iter().zip(&mut self.states).enumerate()
        {
            let status = signals
                .iter()
                .find(|(name, _)| *name == condition.signal())
                .map_or_else(SignalStatus::missing, |(_, status)| *status);
            let tripped = check(condition, state, &status, time_ms, self.steps);
            if first.is_none()
                && let Some(reason) = tripped
            {
                first = Some(Stop {
                    time_ms,
                    step,
                    condition: index,
                    reason,
                });
            }
        }
        self.stopped = first;
        Ok(self.stopped.as_ref())
    }

    /// The stop, once a condition has tripped.
    ///
    /// ```
    /// let check = promgate::stats::EarlyStop::new(vec![]).unwrap();
    /// assert_eq!(check.stopped(), None);
    /// ```
    pub fn stopped(&self) -> Option<&Stop> {
        self.stopped.as_ref()
    }

    /// Steps pushed so far (not counting those after a stop).
    ///
    /// ```
    /// let mut check = promgate::stats::EarlyStop::new(vec![]).unwrap();
    /// check.push(0, &[]).unwrap();
    /// assert_eq!(check.steps(), 1);
    /// ```
    pub fn steps(&self) -> usize {
        self.steps
    }
}

/// Updates one condition with one step; the reason if it trips.
fn check(
    condition: &StopCondition,
    state: &mut ConditionState,
    status: &SignalStatus,
    time_ms: i64,
    steps: usize,
) -> Option<StopReason> {
    match (condition, state) {
        (StopCondition::Failing { signal, for_ms }, ConditionState::Failing { since_ms }) => {
            if status.failing != Some(true) {
                *since_ms = None;
                return None;
            }
            let since = *since_ms.get_or_insert(time_ms);
            let failing_for = time_ms.saturating_sub(since);
            (failing_for >= *for_ms).then(|| StopReason::Failing {
                signal: signal.clone(),
                since_ms: since,
                for_ms: failing_for,
            })
        }
        (StopCondition::Drift { signal, .. }, ConditionState::Drift(detector)) => {
            let change = detector.push(status.value)?;
            Some(StopReason::Drift {
                signal: signal.clone(),
                change,
            })
        }
        (
            StopCondition::Missing {
                signal,
                max_fraction,
                min_steps,
            },
            ConditionState::Missing { missing },
        ) => {
            *missing += usize::from(status.is_missing());
            let fraction = *missing as f64 / steps as f64;
            (steps >= *min_steps && fraction > *max_fraction).then(|| StopReason::Missing {
                signal: signal.clone(),
                missing: *missing,
                steps,
            })
        }
        // `new` builds each state from its condition.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Baseline, CusumOptions, Shift};

    fn conditions() -> Vec<StopCondition> {
        vec![
            StopCondition::Failing {
                signal: "errors".into(),
                for_ms: 60_000,
            },
            StopCondition::Drift {
                signal: "latency".into(),
                detector: DriftOptions::Cusum(CusumOptions {
                    baseline: Baseline {
                        mean: Some(0.1),
                        sigma: Some(0.01),
                        warmup: 0,
                    },
                    ..Default::default()
                }),
            },
            StopCondition::Missing {
                signal: "latency".into(),
                max_fraction: 0.25,
                min_steps: 10,
            },
        ]
    }

    #[test]
    fn a_failing_run_needs_no_break() {
        let mut check = EarlyStop::new(conditions()).unwrap();
        let step = |failing: Option<bool>| {
            [
                (
                    "errors",
                    SignalStatus {
                        value: Some(0.0),
                        failing,
                    },
                ),
                ("latency", SignalStatus::observed(0.1, false)),
            ]
        };
        // Failing for 50 s, a pass, then failing again from 70 s: trips at 130 s.
        for t in 0..=5 {
            assert_eq!(check.push(t * 10_000, &step(Some(true))).unwrap(), None);
        }
        assert_eq!(check.push(60_000, &step(Some(false))).unwrap(), None);
        for t in 7..13 {
            assert_eq!(
                check.push(t * 10_000, &step(Some(true))).unwrap(),
                None,
                "{t}"
            );
        }
        // An unknown verdict breaks the run too.
        assert_eq!(check.push(130_000, &step(None)).unwrap(), None);
        for t in 14..20 {
            assert_eq!(
                check.push(t * 10_000, &step(Some(true))).unwrap(),
                None,
                "{t}"
            );
        }
        let stop = check
            .push(200_000, &step(Some(true)))
            .unwrap()
            .unwrap()
            .clone();
        assert_eq!(stop.condition, 0);
        assert_eq!(
            stop.reason,
            StopReason::Failing {
                signal: "errors".into(),
                since_ms: 140_000,
                for_ms: 60_000
            }
        );
        // Stopped stays stopped.
        assert_eq!(
            check.push(210_000, &step(Some(false))).unwrap(),
            Some(&stop)
        );
        assert_eq!(check.steps(), 21);
    }

    #[test]
    fn drift_and_missing_trip_in_list_order() {
        let mut check = EarlyStop::new(conditions()).unwrap();
        // Latency absent at 3 of the first 8 steps (not checked before 10 steps), then a jump.
        let mut stop = None;
        for i in 0..40i64 {
            let latency = match i {
                1 | 3 | 5 => SignalStatus::missing(),
                i if i >= 8 => SignalStatus::observed(0.2, false),
                _ => SignalStatus::observed(0.1, false),
            };
            if let Some(s) = check.push(i * 10_000, &[("latency", latency)]).unwrap() {
                stop = Some(s.clone());
                break;
            }
        }
        let stop = stop.unwrap();
        // 10σ per step against h = 12: the second shifted step (index 9) alarms.
        assert_eq!(stop.condition, 1);
        assert_eq!(stop.step, 9);
        match &stop.reason {
            StopReason::Drift { change, .. } => {
                assert_eq!(
                    (change.alarm_index, change.start_index, change.shift),
                    (9, Some(8), Shift::Up)
                );
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            stop.reason.to_string(),
            "latency drifted up, alarm at step 9, change estimated from step 8"
        );

        let mut check = EarlyStop::new(conditions()).unwrap();
        let mut stop = None;
        for i in 0..40i64 {
            let signals: &[(&str, SignalStatus)] = if i % 3 == 0 {
                &[]
            } else {
                &[("latency", SignalStatus::observed(0.1, false))]
            };
            if let Some(s) = check.push(i * 10_000, signals).unwrap() {
                stop = Some(s.clone());
                break;
            }
        }
        // Missing at steps 0, 3, 6, 9: 4 of 10 > 25% at the first check.
        let stop = stop.unwrap();
        assert_eq!((stop.condition, stop.step, stop.time_ms), (2, 9, 90_000));
        assert_eq!(
            stop.reason,
            StopReason::Missing {
                signal: "latency".into(),
                missing: 4,
                steps: 10
            }
        );
    }

    #[test]
    fn equal_times_are_allowed() {
        let mut check = EarlyStop::new(conditions()).unwrap();
        check.push(0, &[]).unwrap();
        assert!(check.push(0, &[]).is_ok());
        assert!(check.push(-1, &[]).is_err());
    }
}
