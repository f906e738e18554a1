//! The monitor as a state machine that advances one step at a time over any [`Source`]: the
//! dry-run drives it over a fixture timeline, `promgate monitor` over a live API, step by step
//! or over a past window (a backtest).
//!
//! Everything a run has seen is in a [`MonitorState`] (serde): the schedule, the gates it was
//! made for, each counted step's verdict and each gate's value, status and path, the decision,
//! and the source's warnings. The detectors (drift, early stop) are not stored: resuming
//! replays the recorded steps through fresh ones, so a resumed run is bit for bit the run that
//! never stopped, and a step is recorded exactly once ([`Monitor::push`] refuses any time but
//! the next one).
//!
//! ```
//! use promgate::decision::GatePlan;
//! use promgate::decision::monitor::Monitor;
//! use promgate::source::StoreSource;
//! let plan = GatePlan::parse("g.yml", "gates:\n  - {name: one, expr: vector(1), op: '==', threshold: 1}\ndryrun: {step: 1m, decide_at: 2m, duration: 5m}\n").unwrap();
//! let store = promgate::Store::new();
//! let source = StoreSource::new(&store);
//! let mut monitor = Monitor::new(&plan, 0).unwrap();
//! monitor.step(&source).unwrap();
//! // Stop, keep the state, resume: nothing is lost or counted twice.
//! let saved = monitor.state().clone();
//! let mut monitor = Monitor::resume(&plan, saved).unwrap();
//! while !monitor.is_finished() {
//!     monitor.step(&source).unwrap();
//! }
//! let report = monitor.report(&Default::default()).unwrap();
//! assert_eq!(report.steps, 6);
//! assert_eq!(report.verdict, promgate::decision::Verdict::Go);
//! ```

use serde::{Deserialize, Serialize};

use super::dryrun::{DryRunError, DryRunReport, DryRunSpec, GateReport, PreflightStep, Risk};
use super::{Check, Decision, Gate, GatePlan, Op, Path, Severity, Source, Status, Verdict};
use crate::Labels;
use crate::model::{Timestamp, format_float_g};
use crate::stats::{
    ChangePoint, DriftDetector, EarlyStop, GradeLadder, PassProbabilityOptions, SignalStatus, Stop,
    SummaryOptions, pass_probability, summarize,
};
use crate::syntax::lex::format_duration;

/// The version of [`MonitorState`]'s layout; a state file of another version is refused.
pub const STATE_FORMAT: u32 = 1;

/// When a run steps, decides and ends, in ms after its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// The step.
    pub step_ms: i64,
    /// The last step is at or before this.
    pub duration_ms: i64,
    /// The decision is the first counted step at or after this.
    pub decide_at_ms: i64,
    /// Steps before this count in no statistic.
    pub warmup_ms: i64,
}

impl Schedule {
    /// The schedule of a gates file's `dryrun:` section.
    ///
    /// ```
    /// let plan = promgate::decision::GatePlan::parse("g.yml", "gates: []\ndryrun: {step: 30s, duration: 1h}\n").unwrap();
    /// let s = promgate::decision::monitor::Schedule::from_spec(&plan.dryrun).unwrap();
    /// assert_eq!((s.step_ms, s.duration_ms, s.decide_at_ms), (30_000, 3_600_000, 600_000));
    /// ```
    pub fn from_spec(spec: &DryRunSpec) -> Result<Schedule, DryRunError> {
        let schedule = Schedule {
            step_ms: spec.step_ms().map_err(DryRunError)?,
            duration_ms: spec.duration_ms().map_err(DryRunError)?,
            decide_at_ms: spec.decide_at_ms().map_err(DryRunError)?,
            warmup_ms: spec.warmup_ms().map_err(DryRunError)?,
        };
        schedule.validate()?;
        Ok(schedule)
    }

    fn validate(&self) -> Result<(), DryRunError> {
        if self.step_ms <= 0 {
            return Err(DryRunError("dryrun.step: must be positive".into()));
        }
        if self.duration_ms < 0 {
            return Err(DryRunError("dryrun.duration: must not be negative".into()));
        }
        if self.warmup_ms > self.decide_at_ms {
            return Err(DryRunError(format!(
                "dryrun.warmup ({}) ends after decide_at ({})",
                format_duration(self.warmup_ms),
                format_duration(self.decide_at_ms)
            )));
        }
        Ok(())
    }

    /// How many steps a whole run has (warm-up included).
    pub fn total_steps(&self) -> i64 {
        self.duration_ms / self.step_ms + 1
    }

    /// The first counted step's offset: the first step at or after the warm-up.
    fn first_counted(&self) -> i64 {
        (self.warmup_ms + self.step_ms - 1).div_euclid(self.step_ms) * self.step_ms
    }
}

/// One gate's recorded steps: values, statuses (`p`ass, `f`ail, `m`issing) and paths
/// (`1` primary, `f`allback, `m`issing), one per counted step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GateSteps {
    /// The values, exactly (`"0.1"`, `"NaN"`, `"inf"`; `null`: missing).
    #[serde(with = "exact_values")]
    pub values: Vec<Option<f64>>,
    /// The statuses, a character per step.
    pub statuses: String,
    /// The paths, a character per step.
    pub paths: String,
    /// The first and last warm-up step where it had no value.
    pub warmup_missing: Option<(i64, i64)>,
}

/// A warning a source gave (the API's warnings, partial responses), with how often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceWarning {
    /// The warning.
    pub message: String,
    /// At how many steps it came.
    pub count: u64,
    /// The first step's offset (ms).
    pub first_ms: i64,
}

/// Everything a run has seen: what a state file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorState {
    /// [`STATE_FORMAT`].
    pub format: u32,
    /// The gates it was made for (name, comparison, expression): resuming with other gates is
    /// refused.
    pub gates: Vec<String>,
    /// The absolute start (ms; 0 for a fixture).
    pub start_ms: Timestamp,
    /// The schedule.
    pub schedule: Schedule,
    /// The next step's offset from the start.
    pub next_offset_ms: i64,
    /// Each counted step's verdict: `G`, `N` or `I`.
    pub verdicts: String,
    /// Per gate, in plan order.
    pub gate_steps: Vec<GateSteps>,
    /// The decision, once taken.
    pub decision: Option<DecisionRecord>,
    /// Whether the run is over (the duration reached, an early stop, or no GO at the
    /// decision).
    pub finished: bool,
    /// The source's warnings, in order of first appearance (at most 100 distinct).
    pub warnings: Vec<SourceWarning>,
}

/// A [`Decision`] as a state file keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// Offset of the decision (ms).
    pub time: Timestamp,
    /// The verdict.
    pub verdict: Verdict,
    /// The checks.
    pub checks: Vec<CheckRecord>,
}

/// A [`Check`] as a state file keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct CheckRecord {
    pub gate: String,
    #[serde(with = "exact_value")]
    pub value: Option<f64>,
    pub labels: Option<Vec<(String, String)>>,
    #[serde(with = "exact_threshold")]
    pub threshold: f64,
    pub op: Op,
    pub status: Status,
    pub path: Path,
    pub severity: Severity,
    pub reason: String,
}

impl From<&Decision> for DecisionRecord {
    fn from(d: &Decision) -> DecisionRecord {
        DecisionRecord {
            time: d.time,
            verdict: d.verdict,
            checks: d
                .checks
                .iter()
                .map(|c| CheckRecord {
                    gate: c.gate.clone(),
                    value: c.value,
                    labels: c.labels.as_ref().map(|l| {
                        l.iter()
                            .map(|x| (x.name().to_string(), x.value().to_string()))
                            .collect()
                    }),
                    threshold: c.threshold,
                    op: c.op,
                    status: c.status,
                    path: c.path,
                    severity: c.severity,
                    reason: c.reason.clone(),
                })
                .collect(),
        }
    }
}

impl From<&DecisionRecord> for Decision {
    fn from(d: &DecisionRecord) -> Decision {
        Decision {
            time: d.time,
            verdict: d.verdict,
            checks: d
                .checks
                .iter()
                .map(|c| Check {
                    gate: c.gate.clone(),
                    value: c.value,
                    labels: c.labels.as_ref().map(|l| Labels::from_pairs(l.clone())),
                    threshold: c.threshold,
                    op: c.op,
                    status: c.status,
                    path: c.path,
                    severity: c.severity,
                    reason: c.reason.clone(),
                })
                .collect(),
        }
    }
}

/// What the report adds beyond the steps: preflight, an explainer of missing values, risks
/// the caller found (rule evaluation order), rule errors.
#[derive(Default)]
pub struct ReportExtras<'a> {
    /// Preflight steps already run.
    pub preflight: Vec<PreflightStep>,
    /// Why gate `index` had no value at offset `t`, if known.
    pub explain_missing: Option<&'a dyn Fn(usize, Timestamp) -> Option<String>>,
    /// Further risks, after the gates' own.
    pub risks: Vec<Risk>,
    /// Rule evaluation errors seen.
    pub rule_errors: Vec<String>,
}

/// The monitor: a [`MonitorState`] and the detectors rebuilt from it.
#[derive(Debug, Clone)]
pub struct Monitor<'p> {
    plan: &'p GatePlan,
    state: MonitorState,
    early_stop: EarlyStop,
    drift: Vec<(usize, DriftDetector)>,
    change_points: Vec<Vec<ChangePoint>>,
    stop: Option<Stop>,
}

fn plan_fingerprint(plan: &GatePlan) -> Vec<String> {
    plan.gates
        .iter()
        .map(|g| {
            format!(
                "{}: {} {} {}",
                g.name,
                g.expr_text.trim(),
                g.op,
                format_float_g(g.threshold)
            )
        })
        .collect()
}

impl<'p> Monitor<'p> {
    /// A new run of `plan` (its `dryrun:` schedule) starting at `start_ms`.
    pub fn new(plan: &'p GatePlan, start_ms: Timestamp) -> Result<Monitor<'p>, DryRunError> {
        Monitor::with_schedule(plan, start_ms, Schedule::from_spec(&plan.dryrun)?)
    }

    /// A new run with an explicit schedule (the command line's `--duration` and `--step`).
    pub fn with_schedule(
        plan: &'p GatePlan,
        start_ms: Timestamp,
        schedule: Schedule,
    ) -> Result<Monitor<'p>, DryRunError> {
        schedule.validate()?;
        let state = MonitorState {
            format: STATE_FORMAT,
            gates: plan_fingerprint(plan),
            start_ms,
            schedule,
            next_offset_ms: 0,
            verdicts: String::new(),
            gate_steps: vec![GateSteps::default(); plan.gates.len()],
            decision: None,
            finished: false,
            warnings: Vec::new(),
        };
        Monitor::build(plan, state)
    }

    /// Resumes a run from its state: checks that it was made for these gates, then replays
    /// its steps through fresh detectors.
    pub fn resume(plan: &'p GatePlan, state: MonitorState) -> Result<Monitor<'p>, DryRunError> {
        if state.format != STATE_FORMAT {
            return Err(DryRunError(format!(
                "the state has format {}, this promgate writes format {STATE_FORMAT}",
                state.format
            )));
        }
        if state.gates != plan_fingerprint(plan) {
            return Err(DryRunError(
                "the state was made for other gates (names, expressions or thresholds changed): start a new state file".into(),
            ));
        }
        state.schedule.validate()?;
        let n = state.verdicts.chars().count();
        let consistent = state.gate_steps.len() == plan.gates.len()
            && state.gate_steps.iter().all(|g| {
                g.values.len() == n
                    && g.statuses.chars().count() == n
                    && g.paths.chars().count() == n
            });
        let expected_next = if n == 0 {
            None
        } else {
            Some(state.schedule.first_counted() + n as i64 * state.schedule.step_ms)
        };
        if !consistent
            || expected_next.is_some_and(|e| e != state.next_offset_ms)
            || state.next_offset_ms % state.schedule.step_ms != 0
        {
            return Err(DryRunError(
                "the state is inconsistent (step counts differ between gates or do not match the next step)".into(),
            ));
        }
        let recorded = state.clone();
        let mut fresh = MonitorState {
            verdicts: String::new(),
            gate_steps: recorded
                .gate_steps
                .iter()
                .map(|g| GateSteps {
                    warmup_missing: g.warmup_missing,
                    ..GateSteps::default()
                })
                .collect(),
            finished: false,
            ..recorded.clone()
        };
        fresh.next_offset_ms = 0;
        let mut monitor = Monitor::build(plan, fresh)?;
        // Replay: the same accounting as when the steps were recorded.
        let first = recorded.schedule.first_counted();
        for (i, verdict) in recorded.verdicts.chars().enumerate() {
            let offset = first + i as i64 * recorded.schedule.step_ms;
            monitor.state.verdicts.push(verdict);
            for (g, steps) in monitor.state.gate_steps.iter_mut().enumerate() {
                let from = &recorded.gate_steps[g];
                steps.values.push(from.values[i]);
                steps
                    .statuses
                    .push(from.statuses.chars().nth(i).unwrap_or('m'));
                steps.paths.push(from.paths.chars().nth(i).unwrap_or('m'));
            }
            monitor.account(offset)?;
        }
        monitor.state.next_offset_ms = recorded.next_offset_ms;
        if recorded.finished && !monitor.state.finished {
            monitor.state.finished = true;
        }
        if monitor.state.next_offset_ms > monitor.state.schedule.duration_ms {
            monitor.state.finished = true;
        }
        Ok(monitor)
    }

    fn build(plan: &'p GatePlan, state: MonitorState) -> Result<Monitor<'p>, DryRunError> {
        let spec = &plan.dryrun;
        let early_stop = EarlyStop::new(spec.early_stop.clone())
            .map_err(|e| DryRunError(format!("dryrun.early_stop: {e}")))?;
        let mut drift = Vec::new();
        for d in &spec.drift {
            let index = gate_index(plan, &d.signal)?;
            let detector = DriftDetector::new(&d.detector)
                .map_err(|e| DryRunError(format!("dryrun.drift: {e}")))?;
            drift.push((index, detector));
        }
        for c in &spec.early_stop {
            gate_index(plan, c.signal())?;
        }
        Ok(Monitor {
            plan,
            early_stop,
            drift,
            change_points: vec![Vec::new(); plan.gates.len()],
            stop: None,
            state,
        })
    }

    /// The state, to save after each step.
    pub fn state(&self) -> &MonitorState {
        &self.state
    }

    /// Whether the run is over.
    pub fn is_finished(&self) -> bool {
        self.state.finished
    }

    /// The next step's offset from the start (ms).
    pub fn next_offset(&self) -> i64 {
        self.state.next_offset_ms
    }

    /// The next step's absolute time (ms).
    pub fn next_time(&self) -> Timestamp {
        self.state.start_ms + self.state.next_offset_ms
    }

    /// Steps taken so far, warm-up included.
    pub fn steps_taken(&self) -> i64 {
        self.state.next_offset_ms / self.state.schedule.step_ms
    }

    /// Decides at the next step's time over `source` and records it.
    pub fn step(&mut self, source: &dyn Source) -> Result<(), DryRunError> {
        let offset = self.state.next_offset_ms;
        // Only the decision step's reasons are kept (see `push`).
        let schedule = self.state.schedule;
        let reasons = self.state.decision.is_none()
            && offset >= schedule.decide_at_ms
            && offset >= schedule.warmup_ms;
        let mut decision = self
            .plan
            .decide_with(source, self.state.start_ms + offset, reasons)
            .map_err(|e| DryRunError(format!("at {}: {e}", format_duration(offset))))?;
        decision.time = offset;
        let warnings = source.take_warnings();
        self.push(decision, &warnings)
    }

    /// Records the decision of the next step (`decision.time` is its offset from the start;
    /// any other time is refused, so no step is lost or counted twice) with the warnings the
    /// source gave for it.
    pub fn push(&mut self, decision: Decision, warnings: &[String]) -> Result<(), DryRunError> {
        let offset = self.state.next_offset_ms;
        if self.state.finished {
            return Err(DryRunError("the run is over".into()));
        }
        if decision.time != offset {
            return Err(DryRunError(format!(
                "a step at {} was pushed, the next step is at {}",
                format_duration(decision.time),
                format_duration(offset)
            )));
        }
        if decision.checks.len() != self.plan.gates.len() {
            return Err(DryRunError(
                "the decision has a check per gate of another plan".into(),
            ));
        }
        for w in warnings {
            let known = self.state.warnings.iter().position(|x| &x.message == w);
            match known {
                Some(k) => self.state.warnings[k].count += 1,
                // Distinct warnings are bounded: a source that varies its text every step
                // must not grow the state without end.
                None if self.state.warnings.len() < 100 => {
                    self.state.warnings.push(SourceWarning {
                        message: w.clone(),
                        count: 1,
                        first_ms: offset,
                    })
                }
                None => {}
            }
        }
        let schedule = self.state.schedule;
        if offset < schedule.warmup_ms {
            for (i, c) in decision.checks.iter().enumerate() {
                if c.path == Path::Missing {
                    self.state.gate_steps[i]
                        .warmup_missing
                        .get_or_insert((offset, offset))
                        .1 = offset;
                }
            }
        } else {
            self.state.verdicts.push(match decision.verdict {
                Verdict::Go => 'G',
                Verdict::NoGo => 'N',
                Verdict::Inconclusive => 'I',
            });
            for (i, c) in decision.checks.iter().enumerate() {
                let steps = &mut self.state.gate_steps[i];
                steps.values.push(c.value);
                steps.statuses.push(match c.status {
                    Status::Pass => 'p',
                    Status::Fail => 'f',
                    Status::Missing => 'm',
                });
                steps.paths.push(match c.path {
                    Path::Primary => '1',
                    Path::Fallback => 'f',
                    Path::Missing => 'm',
                });
            }
            if offset >= schedule.decide_at_ms && self.state.decision.is_none() {
                self.state.decision = Some(DecisionRecord::from(&decision));
            }
            self.account(offset)?;
        }
        self.state.next_offset_ms = offset + schedule.step_ms;
        if self.state.next_offset_ms > schedule.duration_ms {
            self.state.finished = true;
        }
        Ok(())
    }

    /// Feeds the last recorded step to the detectors and the early stop.
    fn account(&mut self, offset: i64) -> Result<(), DryRunError> {
        let gates = &self.plan.gates;
        let mut signals = Vec::with_capacity(gates.len());
        for (i, steps) in self.state.gate_steps.iter().enumerate() {
            let value = steps.values.last().copied().flatten();
            let failing = match steps.statuses.chars().last() {
                Some('p') => Some(false),
                Some('f') => Some(true),
                _ => None,
            };
            signals.push((gates[i].name.as_str(), SignalStatus { value, failing }));
        }
        for (i, detector) in &mut self.drift {
            let value = self.state.gate_steps[*i].values.last().copied().flatten();
            if let Some(cp) = detector.push(value) {
                self.change_points[*i].push(cp);
            }
        }
        let decide_at = self.state.schedule.decide_at_ms;
        let decided = offset >= decide_at;
        let go = self
            .state
            .decision
            .as_ref()
            .is_some_and(|d| d.verdict == Verdict::Go);
        if go || !decided {
            if let Some(s) = self
                .early_stop
                .push(offset, &signals)
                .map_err(|e| DryRunError(e.to_string()))?
            {
                self.stop = Some(s.clone());
                self.state.finished = true;
            }
        } else {
            // NO-GO or inconclusive at the decision: no monitor.
            self.state.finished = true;
        }
        Ok(())
    }

    /// The report (the dry-run's): statistics, probability, drift, early stop, grade, risks.
    /// Fails if the run has not reached its decision yet.
    pub fn report(&self, extras: &ReportExtras<'_>) -> Result<DryRunReport, DryRunError> {
        let spec = &self.plan.dryrun;
        let schedule = self.state.schedule;
        let step = schedule.step_ms;
        let decision: Decision = match &self.state.decision {
            Some(d) => d.into(),
            None => {
                let last = self.state.next_offset_ms - step;
                return Err(DryRunError(format!(
                    "the run ended (at {}) before decide_at ({})",
                    format_duration(last.max(0)),
                    format_duration(schedule.decide_at_ms)
                )));
            }
        };
        let outcomes: Vec<Option<bool>> = self
            .state
            .verdicts
            .chars()
            .map(|v| Some(v == 'G'))
            .collect();
        let first = schedule.first_counted();
        let decision_outcomes: Vec<Option<bool>> = outcomes
            .iter()
            .enumerate()
            .filter(|(i, _)| first + *i as i64 * step <= schedule.decide_at_ms)
            .map(|(_, o)| *o)
            .collect();
        let steps = outcomes.len();
        let level = spec.probability.as_ref().map_or(0.95, |p| p.level);
        let probability = pass_probability(
            &outcomes,
            &PassProbabilityOptions {
                credible_level: level,
                ..PassProbabilityOptions::default()
            },
        )
        .ok();
        let explain = |i: usize, t: Timestamp| {
            extras
                .explain_missing
                .and_then(|f| f(i, t))
                .unwrap_or_else(|| "no reason found".into())
        };
        let mut risks = Vec::new();
        let mut gate_reports = Vec::new();
        for (i, gate) in self.plan.gates.iter().enumerate() {
            let g = &self.state.gate_steps[i];
            let n = g.statuses.chars().count().max(1) as f64;
            let share = |s: &str, c: char| s.chars().filter(|x| *x == c).count() as f64 / n;
            let pass_fraction = share(&g.statuses, 'p');
            let summary = summarize(
                &g.values,
                &SummaryOptions {
                    step_ms: Some(step),
                    ..SummaryOptions::default()
                },
            )
            .ok();
            let missing_fraction = share(&g.paths, 'm');
            let fallback_fraction = share(&g.paths, 'f');
            let first_missing = g
                .paths
                .chars()
                .position(|p| p == 'm')
                .map(|k| first + k as i64 * step)
                .map(|t| (t, explain(i, t)));
            if let Some((t, why)) = &first_missing {
                risks.push(Risk {
                    subject: gate.name.clone(),
                    message: format!(
                        "no value at {:.2}% of steps (first at {}: {why})",
                        missing_fraction * 100.0,
                        format_duration(*t)
                    ),
                });
            }
            if let Some((from, to)) = g.warmup_missing {
                let why = explain(i, from);
                risks.push(Risk {
                    subject: gate.name.clone(),
                    message: format!(
                        "no value during the warm-up from {} to {} ({why}); the statistics leave the warm-up out",
                        format_duration(from),
                        format_duration(to)
                    ),
                });
            }
            if fallback_fraction > 0.0 {
                risks.push(Risk {
                    subject: gate.name.clone(),
                    message: format!(
                        "its expression was empty at {:.2}% of steps and the fallback decided: a missing input is hidden there",
                        fallback_fraction * 100.0
                    ),
                });
            }
            gate_reports.push(GateReport {
                name: gate.name.clone(),
                summary,
                pass_fraction,
                fallback_fraction,
                missing_fraction,
                first_missing,
                change_points: self.change_points[i].clone(),
                values: g.values.clone(),
                paths: g
                    .paths
                    .chars()
                    .map(|c| match c {
                        '1' => Path::Primary,
                        'f' => Path::Fallback,
                        _ => Path::Missing,
                    })
                    .collect(),
            });
        }
        risks.extend(extras.risks.iter().cloned());
        for w in &self.state.warnings {
            risks.push(Risk {
                subject: "source".into(),
                message: format!(
                    "{} (at {} step{}, first at {})",
                    w.message,
                    w.count,
                    if w.count == 1 { "" } else { "s" },
                    format_duration(w.first_ms)
                ),
            });
        }
        // A run that stopped early is not graded: its statistics cover part of the run, and
        // a grade such as "promote" beside a NO-GO would contradict the verdict.
        let graded = self.stop.is_none();
        let grade = spec.grade.as_ref().filter(|_| graded).and_then(|g| {
            let index = gate_index(self.plan, &g.signal).ok()?;
            let ladder = g.ladder.clone().unwrap_or_else(GradeLadder::l4);
            let summary = gate_reports[index].summary.as_ref()?;
            let graded = ladder.grade_summary(summary);
            Some((
                graded.grade.to_string(),
                graded.action.to_string(),
                graded.value,
            ))
        });
        let mut verdict = decision.verdict;
        let mut preflight = extras.preflight.clone();
        if let Some(p) = &spec.probability
            && let Some(min) = p.min_mean
        {
            let window = pass_probability(
                &decision_outcomes,
                &PassProbabilityOptions {
                    credible_level: p.level,
                    ..PassProbabilityOptions::default()
                },
            )
            .ok();
            let mean = window.as_ref().map_or(0.0, |w| w.mean);
            preflight.push(PreflightStep {
                name: "pass probability before the decision".into(),
                passed: mean >= min,
                detail: format!(
                    "posterior mean {} (needs at least {})",
                    format_float_g(mean),
                    format_float_g(min)
                ),
            });
        }
        if preflight.iter().any(|p| !p.passed) || self.stop.is_some() {
            verdict = Verdict::NoGo;
        }
        Ok(DryRunReport {
            verdict,
            preflight,
            decision,
            probability,
            gates: gate_reports,
            stop: self.stop.clone(),
            grade,
            risks,
            steps,
            step_ms: step,
            start_ms: first,
            rule_errors: extras.rule_errors.clone(),
        })
    }
}

fn gate_index(plan: &GatePlan, name: &str) -> Result<usize, DryRunError> {
    plan.gates
        .iter()
        .position(|g: &Gate| g.name == name)
        .ok_or_else(|| DryRunError(format!("no gate named {name:?}")))
}

/// An `f64` as a string that reads back bit for bit (`"0.1"`, `"NaN"`, `"inf"`).
fn exact_text(v: f64) -> String {
    v.to_string()
}

fn exact_parse<E: serde::de::Error>(text: &str) -> Result<f64, E> {
    text.parse::<f64>()
        .map_err(|_| E::custom(format!("not a number: {text:?}")))
}

mod exact_values {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(values: &[Option<f64>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(values.iter().map(|v| v.map(super::exact_text)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Option<f64>>, D::Error> {
        let texts: Vec<Option<String>> = Vec::deserialize(d)?;
        texts
            .iter()
            .map(|t| t.as_deref().map(super::exact_parse).transpose())
            .collect()
    }
}

mod exact_value {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_some(&super::exact_text(*v)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.as_deref().map(super::exact_parse).transpose()
    }
}

mod exact_threshold {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::exact_text(*value))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let text = String::deserialize(d)?;
        super::exact_parse(&text)
    }
}
