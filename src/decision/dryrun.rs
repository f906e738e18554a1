//! The dry-run: preflight, the GO/NO-GO decision, then a monitor over a fixture timeline with
//! rules evaluated as Prometheus would, statistics, the pass probability, drift alarms, early
//! stops, residual risks and a grade.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

use super::monitor::{Monitor, ReportExtras, Schedule};
use super::{Decision, GatePlan, StoreSource, Verdict};
use crate::eval::EngineOptions;
use crate::fixture::{InputSeriesOptions, LazyLoader};
use crate::model::{Timestamp, format_float_g};
use crate::rules::{DependencyGraph, GroupEvaluator, RuleEvalOptions, RuleFile, RuleGroup};
use crate::source::Prefetched;
use crate::stats::{
    ChangePoint, DriftOptions, GradeLadder, PassProbability, StopCondition, Summary,
};
use crate::store::Store;
use crate::syntax::lex::{format_duration, parse_duration};
use crate::unittest::TestFile;

/// The `dryrun:` section of a gates file.
///
/// ```
/// let plan = promgate::decision::GatePlan::parse("g.yml", "gates: []\ndryrun: {step: 30s, duration: 1h}\n").unwrap();
/// assert_eq!(plan.dryrun.step_ms().unwrap(), 30_000);
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryRunSpec {
    /// Rule files (globs relative to the gates file) evaluated during the run.
    #[serde(default)]
    pub rule_files: Vec<String>,
    /// promtool unit-test files (globs) that preflight runs.
    #[serde(default)]
    pub unit_tests: Vec<String>,
    /// The default scenario: a promtool test file whose first test group's `input_series` is
    /// the timeline.
    #[serde(default)]
    pub scenario: Option<String>,
    /// When the GO/NO-GO decision is taken (a duration after the start; default 10m).
    #[serde(default)]
    pub decide_at: Option<String>,
    /// Steps before this (a duration after the start; default 0) run the rules but count in
    /// no statistic, probability, early stop or drift detector: range windows (`rate(x[5m])`)
    /// are not yet full then. Set it to the longest window the gates read.
    #[serde(default)]
    pub warmup: Option<String>,
    /// How long the monitor runs after the decision's start (default 24h).
    #[serde(default)]
    pub duration: Option<String>,
    /// The monitor's step (default 10s). Rule groups run at their own `interval` (those
    /// without one at every step), on a schedule aligned to the start.
    #[serde(default)]
    pub step: Option<String>,
    /// The pass probability's settings.
    #[serde(default)]
    pub probability: Option<ProbabilitySpec>,
    /// Conditions that stop the monitor early (signals are gate names).
    #[serde(default)]
    pub early_stop: Vec<StopCondition>,
    /// Drift detectors reported on (they do not stop the run unless an early-stop condition
    /// says so).
    #[serde(default)]
    pub drift: Vec<DriftSpec>,
    /// The grade.
    #[serde(default)]
    pub grade: Option<GradeSpec>,
    /// Preflight's lint of the rule files and gates (on by default).
    #[serde(default)]
    pub lint: Option<LintSpec>,
    /// Preflight's reload cross-check: a rule reload simulated over the scenario.
    #[serde(default)]
    pub reload: Option<ReloadSpec>,
}

/// Preflight's lint (`explain::lint`) of the rule files with the gates.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintSpec {
    /// Run it (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Findings at or above this severity fail preflight: `info`, `warning` or `error`
    /// (default; lower findings are listed in the step's detail).
    #[serde(default)]
    pub fail_on: Option<String>,
}

fn default_true() -> bool {
    true
}

/// Preflight's reload cross-check (`explain::diff`): the rules that ran before (by default
/// the same files) stop at `at`, nothing runs for `gap`, then the rule files start with their
/// `for` state restored as Prometheus restores it; it fails when a gate without a fallback
/// loses its value or a firing alert stops firing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReloadSpec {
    /// The rules running before the reload (globs; default: `rule_files`).
    #[serde(default)]
    pub previous_rule_files: Vec<String>,
    /// When the reload happens (a duration after the start; default: `decide_at`).
    #[serde(default)]
    pub at: Option<String>,
    /// How long no rule runs (default: one step).
    #[serde(default)]
    pub gap: Option<String>,
}

/// The pass probability's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbabilitySpec {
    /// The credible level of the interval (default 0.95).
    #[serde(default = "default_level")]
    pub level: f64,
    /// GO at the decision also needs the posterior mean over the decision window to be at
    /// least this.
    #[serde(default)]
    pub min_mean: Option<f64>,
}

fn default_level() -> f64 {
    0.95
}

/// A drift detector on a gate's value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSpec {
    /// The gate.
    pub signal: String,
    /// The detector.
    pub detector: DriftOptions,
}

/// A grade ladder on a statistic of a gate's value.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeSpec {
    /// The gate.
    pub signal: String,
    /// The ladder (default: the L4 ladder).
    #[serde(default)]
    pub ladder: Option<GradeLadder>,
}

impl DryRunSpec {
    fn duration(field: &Option<String>, default: i64, name: &str) -> Result<i64, String> {
        match field {
            None => Ok(default),
            Some(text) => parse_duration(text).map_err(|e| format!("dryrun.{name}: {e}")),
        }
    }

    /// The monitor's step in ms.
    pub fn step_ms(&self) -> Result<i64, String> {
        match Self::duration(&self.step, 10_000, "step")? {
            0 => Err("dryrun.step: must be positive".into()),
            s => Ok(s),
        }
    }

    /// The monitor's duration in ms.
    pub fn duration_ms(&self) -> Result<i64, String> {
        Self::duration(&self.duration, 24 * 3_600_000, "duration")
    }

    /// The warm-up, in ms after the start.
    pub fn warmup_ms(&self) -> Result<i64, String> {
        Self::duration(&self.warmup, 0, "warmup")
    }

    /// When the decision is taken, in ms after the start.
    pub fn decide_at_ms(&self) -> Result<i64, String> {
        Self::duration(&self.decide_at, 10 * 60_000, "decide_at")
    }
}

/// One preflight step's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreflightStep {
    /// What was checked.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What happened, in a line or a few.
    pub detail: String,
}

/// The inputs of a dry-run, already read.
#[derive(Debug, Clone)]
pub struct DryRunInput {
    /// The gates.
    pub plan: GatePlan,
    /// The rule groups, in evaluation order.
    pub groups: Vec<RuleGroup>,
    /// The timeline: (series, values) pairs and the sample interval (ms).
    pub series: Vec<(String, String)>,
    /// The interval between samples of `series` (ms).
    pub interval: i64,
    /// Preflight steps already run (rule checks, unit tests); they gate the decision.
    pub preflight: Vec<PreflightStep>,
}

/// A gate over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct GateReport {
    /// The gate.
    pub name: String,
    /// Its value's statistics over the steps it had one.
    pub summary: Option<Summary>,
    /// The share of steps where it passed.
    pub pass_fraction: f64,
    /// The share of steps where its expression was empty and the fallback gave the value.
    pub fallback_fraction: f64,
    /// The share of steps with no value at all.
    pub missing_fraction: f64,
    /// The first step without a value, and why the expression was empty then.
    pub first_missing: Option<(Timestamp, String)>,
    /// Drift change points on its value.
    pub change_points: Vec<ChangePoint>,
    /// Its value at each step (`None`: missing).
    pub values: Vec<Option<f64>>,
    /// The path each step's value took (primary, fallback or missing), beside `values`.
    pub paths: Vec<super::Path>,
}

impl GateReport {
    /// Its drift alarms folded into episodes ([`crate::stats::drift_episodes`]): one per
    /// lasting shift, however many times the detector alarmed while it lasted.
    pub fn drift_episodes(&self) -> Vec<crate::stats::DriftEpisode> {
        crate::stats::drift_episodes(&self.change_points)
    }
}

impl DryRunReport {
    /// One line on a drift episode: direction, where it began, its first alarm and how long
    /// the alarms went on.
    pub fn describe_episode(&self, e: &crate::stats::DriftEpisode) -> String {
        let time = |i: usize| format_duration(self.start_ms + i as i64 * self.step_ms);
        let way = match e.shift {
            crate::stats::Shift::Up => "up",
            crate::stats::Shift::Down => "down",
        };
        let from = e
            .start_index
            .map_or(String::new(), |s| format!(" from {} (step {s})", time(s)));
        let mut line = format!(
            "level {way}{from}, alarm at {} (step {})",
            time(e.first_alarm_index),
            e.first_alarm_index
        );
        if e.alarms > 1 {
            line.push_str(&format!(
                ", still shifted at {} (step {}; {} alarms as the detector restarted)",
                time(e.last_alarm_index),
                e.last_alarm_index,
                e.alarms
            ));
        }
        line
    }
}

/// A risk the report must show: a value that went missing, fell back, or lagged because of
/// evaluation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    /// The gate or rule it concerns.
    pub subject: String,
    /// What it is.
    pub message: String,
}

/// Everything a dry-run found.
#[derive(Debug, Clone, PartialEq)]
pub struct DryRunReport {
    /// The final verdict: the decision's, turned NO-GO by a failed preflight or an early stop.
    pub verdict: Verdict,
    /// Preflight steps.
    pub preflight: Vec<PreflightStep>,
    /// The decision at `decide_at`.
    pub decision: Decision,
    /// The pass probability of a GO verdict per step over the monitor.
    pub probability: Option<PassProbability>,
    /// Per gate statistics.
    pub gates: Vec<GateReport>,
    /// The early stop, if one tripped: its reason and time.
    pub stop: Option<crate::stats::Stop>,
    /// The grade, action and graded value, if a ladder is configured and the monitor ran to its
    /// end (a run stopped early is not graded).
    pub grade: Option<(String, String, Option<f64>)>,
    /// Residual risks.
    pub risks: Vec<Risk>,
    /// Monitor steps run.
    pub steps: usize,
    /// The monitor's step (ms).
    pub step_ms: i64,
    /// The time of the first counted step, the warm-up's end rounded up to a step (ms after
    /// the start): step `i` of [`GateReport::values`] is at `start_ms + i * step_ms`.
    pub start_ms: Timestamp,
    /// Rule evaluation errors seen (rule, time, message), at most 20.
    pub rule_errors: Vec<String>,
}

/// A dry-run that could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DryRunError(pub String);

/// Loads the first test group of a promtool test file as a timeline: (series, values) pairs
/// and the interval.
///
/// ```
/// let text = "tests:\n  - interval: 10s\n    input_series:\n      - series: up\n        values: 1x5\n";
/// let (series, interval) = promgate::decision::dryrun::scenario_series("s.yml", text).unwrap();
/// assert_eq!((series.len(), interval), (1, 10_000));
/// ```
pub fn scenario_series(
    name: &str,
    text: &str,
) -> Result<(Vec<(String, String)>, i64), DryRunError> {
    let file: TestFile =
        crate::yaml::from_str(text).map_err(|e| DryRunError(format!("{name}:{e}")))?;
    let evaluation_interval = match &file.evaluation_interval {
        Some(d) => parse_duration(&d.value).map_err(|e| DryRunError(format!("{name}: {e}")))?,
        None => 60_000,
    };
    let group = file
        .tests
        .first()
        .ok_or_else(|| DryRunError(format!("{name}: no test group")))?;
    let interval = match &group.value.interval {
        Some(d) => parse_duration(&d.value).map_err(|e| DryRunError(format!("{name}: {e}")))?,
        None => evaluation_interval,
    };
    let series = group
        .value
        .input_series
        .iter()
        .map(|s| (s.value.series.value.clone(), s.value.values.value.clone()))
        .collect();
    Ok((series, interval))
}

/// Loads rule files (already read) and returns their groups in file order, or the problems.
pub fn load_rule_groups(files: &[(String, String)]) -> Result<Vec<RuleGroup>, DryRunError> {
    let mut groups = Vec::new();
    let mut problems = Vec::new();
    for (name, text) in files {
        match RuleFile::parse(name, text, &Default::default()) {
            Ok(f) => groups.extend(f.groups),
            Err(e) => problems.push(e.to_string()),
        }
    }
    if problems.is_empty() {
        Ok(groups)
    } else {
        Err(DryRunError(problems.join("\n")))
    }
}

/// Runs a dry-run: the [`Monitor`] stepped over the fixture timeline, the rules evaluated
/// before each step as Prometheus would.
pub fn run(input: &DryRunInput) -> Result<DryRunReport, DryRunError> {
    run_with_progress(input, &mut |_| {})
}

/// How far a dry-run has got: passed to the callback of [`run_with_progress`] after each step.
///
/// ```
/// let p = promgate::decision::dryrun::Progress { time_ms: 30_000, end_ms: 60_000, steps: 4 };
/// assert_eq!(p.fraction(), 0.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The time of the step just run (ms after the start).
    pub time_ms: Timestamp,
    /// The time of the last step the run would reach without an early stop (ms).
    pub end_ms: Timestamp,
    /// Steps run so far, warm-up included.
    pub steps: usize,
}

impl Progress {
    /// The share of the run's time covered, in [0, 1].
    ///
    /// ```
    /// let p = promgate::decision::dryrun::Progress { time_ms: 0, end_ms: 0, steps: 1 };
    /// assert_eq!(p.fraction(), 1.0);
    /// ```
    pub fn fraction(&self) -> f64 {
        if self.end_ms <= 0 {
            return 1.0;
        }
        (self.time_ms as f64 / self.end_ms as f64).clamp(0.0, 1.0)
    }
}

/// Runs a dry-run as [`run`] does, calling `progress` after every step (for a progress bar;
/// the library itself never prints). A run that stops early, or ends at a NO-GO decision,
/// simply calls it no more.
///
/// ```
/// use promgate::decision::GatePlan;
/// use promgate::decision::dryrun::{DryRunInput, run_with_progress};
/// let plan = GatePlan::parse("g.yml", "gates: [{name: up, expr: min(up), op: '==', threshold: 1}]\ndryrun: {duration: 1m, decide_at: 30s}\n").unwrap();
/// let input = DryRunInput { plan, groups: vec![], series: vec![("up".into(), "1x6".into())], interval: 10_000, preflight: vec![] };
/// let mut seen = Vec::new();
/// let report = run_with_progress(&input, &mut |p| seen.push(p.time_ms)).unwrap();
/// assert_eq!(seen, [0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
/// assert_eq!(report.steps, 7);
/// ```
pub fn run_with_progress(
    input: &DryRunInput,
    progress: &mut dyn FnMut(Progress),
) -> Result<DryRunReport, DryRunError> {
    run_as(input, progress, true)
}

/// [`run_with_progress`], in blocks where it can (`blocks`) or step by step.
fn run_as(
    input: &DryRunInput,
    progress: &mut dyn FnMut(Progress),
    blocks: bool,
) -> Result<DryRunReport, DryRunError> {
    let schedule = Schedule::from_spec(&input.plan.dryrun)?;
    let step = schedule.step_ms;
    let schedule_end = schedule.duration_ms - schedule.duration_ms.rem_euclid(step);
    let engine_options = EngineOptions {
        default_subquery_step: step,
        ..EngineOptions::default()
    };
    let mut loader = timeline(input).map_err(|e| DryRunError(format!("scenario: {e}")))?;
    let mut rules = GroupEvaluator::new(
        input.groups.clone(),
        RuleEvalOptions {
            engine: engine_options.clone(),
            ..RuleEvalOptions::default()
        },
    );
    let mut block_progress = |ts, n| {
        progress(Progress {
            time_ms: ts,
            end_ms: schedule_end,
            steps: n,
        })
    };
    let in_blocks = match blocks {
        true => run_in_blocks(
            input,
            &engine_options,
            &rules,
            schedule,
            &mut block_progress,
        )?,
        false => None,
    };
    if let Some(monitor) = in_blocks {
        return finish(input, &engine_options, monitor, Vec::new());
    }
    let mut monitor = Monitor::with_schedule(&input.plan, 0, schedule)?;
    let mut store = Store::new();
    let mut rule_errors = Vec::new();
    while !monitor.is_finished() {
        let ts = monitor.next_offset();
        loader
            .append_till(&mut store, ts)
            .map_err(|e| DryRunError(format!("scenario: {e}")))?;
        for e in rules.eval_due(&mut store, ts, 0, step) {
            if rule_errors.len() < 20 {
                rule_errors.push(e.to_string());
            }
        }
        monitor.step(&StoreSource::with_options(&store, engine_options.clone()))?;
        progress(Progress {
            time_ms: ts,
            end_ms: schedule_end,
            steps: usize::try_from(monitor.steps_taken()).unwrap_or(0),
        });
    }
    finish(input, &engine_options, monitor, rule_errors)
}

/// Steps of the dry-run per block (see [`run_in_blocks`]).
const BLOCK_STEPS: i64 = 360;

/// The dry-run a block of steps at a time: the scenario revealed up to the block's end, the
/// rules evaluated over the block with one range query each (`rules::block`), the gates with
/// one range query each, and the samples no later query reads forgotten (per series, by how
/// far its readers look back), on one thread; the monitor stepped through each block on this
/// one meanwhile. This decides exactly as the step loop does, and is taken only when
/// it can: every group runs at the step, the rules allow blocks, no gate reads after its time,
/// and the rules write none of the scenario's series. `None`: run step by step (also when
/// anything fails in a block: the step loop then meets it at its time).
fn run_in_blocks<'p>(
    input: &'p DryRunInput,
    engine_options: &EngineOptions,
    rules: &GroupEvaluator,
    schedule: Schedule,
    progress: &mut dyn FnMut(Timestamp, usize),
) -> Result<Option<Monitor<'p>>, DryRunError> {
    let step = schedule.step_ms;

    let gates = &input.plan.gates;
    let exprs: Vec<&crate::promql::Expr> = gates
        .iter()
        .flat_map(|g| std::iter::once(&g.expr).chain(&g.fallback))
        .collect();
    let Some(reach) = reach_by_name(
        rules
            .groups()
            .flat_map(|g| {
                let offset = g.query_offset.unwrap_or(0).max(0);
                g.rules.iter().map(move |r| (&r.expr, offset))
            })
            .chain(exprs.iter().map(|e| (*e, 0))),
        engine_options,
    ) else {
        return Ok(None);
    };
    let Ok(mut loader) = timeline(input) else {
        return Ok(None);
    };
    if rules
        .block_obstacle_over(loader.series_labels(), Some(step))
        .is_some()
    {
        return Ok(None);
    }
    let mut rules = rules.clone();
    let mut monitor = Monitor::with_schedule(&input.plan, 0, schedule)?;
    let last_step = schedule.duration_ms - schedule.duration_ms.rem_euclid(step);
    // This thread steps the monitor through each block while another evaluates the next
    // block's rules and gates (the monitor reads only the block's fetched window). The
    // evaluating thread stops when the monitor hangs up (done, stopped early, or failed), and
    // a block it cannot evaluate ends the channel early: the run then goes step by step.
    let (send, receive) = std::sync::mpsc::sync_channel::<(Vec<Timestamp>, Prefetched)>(1);
    let evaluate = move || -> bool {
        let mut store = Store::new();
        let mut first = 0;
        while first <= last_step {
            let last = (first + (BLOCK_STEPS - 1) * step).min(last_step);
            let steps: Vec<Timestamp> = (0..=(last - first) / step)
                .map(|i| first + i * step)
                .collect();
            if loader.append_till(&mut store, last).is_err()
                || rules.eval_block(&mut store, &steps).is_err()
            {
                return false;
            }
            let source = || StoreSource::with_options(&store, engine_options.clone());
            let Ok(window) = Prefetched::fetch_parallel(source, &exprs, first, last, step) else {
                return false;
            };
            if send.send((steps, window)).is_err() {
                return true;
            }
            // Keep what the next block's rules and gates read of each series, and as much
            // again: a week of a counter a 7d rate reads, minutes of recorded series.
            store.forget_before_by(|labels| {
                (last + step).saturating_sub(2 * reach.of(labels.metric_name()))
            });
            first = last + step;
        }
        true
    };
    std::thread::scope(|scope| {
        let evaluating = scope.spawn(evaluate);
        let mut steps_run = 0;
        while !monitor.is_finished() {
            let Ok((steps, window)) = receive.recv() else {
                break;
            };
            for &ts in &steps {
                if monitor.is_finished() {
                    break;
                }
                monitor.step(&window)?;
                steps_run += 1;
                progress(ts, steps_run);
            }
        }
        // Hang up: the evaluating thread stops at its next block.
        drop(receive);
        let evaluated = evaluating
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        Ok((evaluated && monitor.is_finished()).then_some(monitor))
    })
}

/// How far back from their evaluation times (ms) a set of queries reads each metric name.
struct Reach {
    by_name: BTreeMap<String, i64>,
    /// When some query reads series without naming them: the furthest reach, for every series.
    every: Option<i64>,
}

impl Reach {
    fn of(&self, name: Option<&str>) -> i64 {
        match (self.every, name) {
            (Some(every), _) => every,
            (None, Some(name)) => self.by_name.get(name).copied().unwrap_or(0),
            (None, None) => 0,
        }
    }
}

/// The reach of each metric name over `queries` (expression, query offset): the furthest
/// reach of any query that selects it (conservative: a query's whole reach counts for every
/// name it reads). `None` when a query's reach is unbounded.
fn reach_by_name<'e>(
    queries: impl Iterator<Item = (&'e crate::promql::Expr, i64)>,
    options: &EngineOptions,
) -> Option<Reach> {
    let mut reach = Reach {
        by_name: BTreeMap::new(),
        every: None,
    };
    let mut unnamed = false;
    for (expr, offset) in queries {
        let r = crate::eval::reach(expr, options.lookback_delta, options.default_subquery_step)?
            .checked_add(offset)?;
        for selector in crate::rules::deps::selectors(expr) {
            match selector.metric_name() {
                Some(name) => {
                    let most = reach.by_name.entry(name.to_string()).or_insert(0);
                    *most = (*most).max(r);
                }
                None => unnamed = true,
            }
        }
    }
    if unnamed {
        reach.every = Some(reach.by_name.values().copied().max().unwrap_or(0));
    }
    Some(reach)
}

/// The report of a finished run: the risks the rules' evaluation order makes, then the
/// monitor's report.
fn finish(
    input: &DryRunInput,
    engine_options: &EngineOptions,
    monitor: Monitor<'_>,
    rule_errors: Vec<String>,
) -> Result<DryRunReport, DryRunError> {
    let graph = DependencyGraph::new(&input.groups);
    let mut risks = Vec::new();
    for d in graph.lagging() {
        let reader = &input.groups[d.reader.group];
        let writer = &input.groups[d.writer.group];
        risks.push(Risk {
            subject: reader.rules[d.reader.rule].name.clone(),
            message: format!(
                "reads {} written by {} (group {:?}), which runs after it: it sees the previous evaluation's value, and nothing at the first step",
                d.metric, writer.rules[d.writer.rule].name, writer.name
            ),
        });
    }
    let explain = |gate: usize, t: Timestamp| {
        explain_missing(input, engine_options, &input.plan.gates[gate], t)
    };
    monitor.report(&ReportExtras {
        preflight: input.preflight.clone(),
        explain_missing: Some(&explain),
        risks,
        rule_errors,
    })
}

/// The scenario's samples, revealed step by step as the rule manager would see them.
fn timeline(input: &DryRunInput) -> Result<LazyLoader, crate::fixture::FixtureError> {
    let pairs: Vec<(&str, &str)> = input
        .series
        .iter()
        .map(|(s, v)| (s.as_str(), v.as_str()))
        .collect();
    let options = InputSeriesOptions {
        interval: input.interval,
        ..InputSeriesOptions::default()
    };
    LazyLoader::new(&Store::new(), &pairs, &options)
}

/// Why a gate's expression was empty at `t`: replays the timeline up to `t` (only for the
/// first missing step of each gate, so the cost stays small) and asks the explainer.
fn explain_missing(
    input: &DryRunInput,
    options: &EngineOptions,
    gate: &super::Gate,
    t: Timestamp,
) -> Option<String> {
    let mut loader = timeline(input).ok()?;
    let mut store = Store::new();
    let mut rules = GroupEvaluator::new(
        input.groups.clone(),
        RuleEvalOptions {
            engine: options.clone(),
            ..RuleEvalOptions::default()
        },
    );
    let step = input.plan.dryrun.step_ms().ok()?;
    let mut ts = 0;
    while ts <= t {
        loader.append_till(&mut store, ts).ok()?;
        rules.eval_due(&mut store, ts, 0, step);
        ts += step;
    }
    let recorded =
        |name: &str| {
            input.groups.iter().flat_map(|g| &g.rules).find_map(|r| {
                (!r.is_alert() && r.name == name).then_some((r.name.as_str(), &r.expr))
            })
        };
    crate::explain::why_empty_with_rules(&store, &gate.expr, t, options, &recorded, 0)
}

impl fmt::Display for DryRunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "VERDICT: {}", self.verdict)?;
        if let Some((grade, action, value)) = &self.grade {
            let shown = value.map_or("n/a".to_string(), short);
            writeln!(f, "GRADE:   {grade} ({action}; graded value {shown})")?;
        } else if self.stop.is_some() {
            writeln!(
                f,
                "GRADE:   none (the run stopped early; only a run that reaches its end is graded)"
            )?;
        }
        if let Some(stop) = &self.stop {
            writeln!(
                f,
                "EARLY STOP at {}: {}",
                format_duration(stop.time_ms),
                stop.reason
            )?;
        }
        writeln!(f)?;
        if !self.preflight.is_empty() {
            writeln!(f, "Preflight:")?;
            for p in &self.preflight {
                let mark = if p.passed { "ok  " } else { "FAIL" };
                writeln!(f, "  [{mark}] {}: {}", p.name, p.detail)?;
            }
            writeln!(f)?;
        }
        writeln!(
            f,
            "Decision at {}: {}",
            format_duration(self.decision.time),
            self.decision.verdict
        )?;
        for c in &self.decision.checks {
            let value = c.value.map_or("-".to_string(), short);
            writeln!(
                f,
                "  {:<7} {:<26} {:>10} {:<2} {:<6} {:<9} {}",
                c.status.to_string().to_uppercase(),
                c.gate,
                value,
                c.op,
                format_float_g(c.threshold),
                format!("[{}]", c.path),
                c.reason
            )?;
        }
        writeln!(f)?;
        if let Some(p) = &self.probability {
            writeln!(
                f,
                "Pass probability (GO per step, {} steps of {}): {:.4} [{:.4}, {:.4}] at {}% (Beta-binomial, uniform prior, effective n {:.0} from lag-1 autocorrelation {:.3})",
                p.trials,
                format_duration(self.step_ms),
                p.mean,
                p.lower,
                p.upper,
                format_float_g(p.level * 100.0),
                p.effective_trials,
                p.rho
            )?;
            writeln!(f)?;
        }
        writeln!(f, "Gates over the run:")?;
        writeln!(
            f,
            "  {:<26} {:>7} {:>9} {:>9} {:>11} {:>11} {:>11} {:>7}",
            "gate", "pass%", "missing%", "fallbk%", "mean", "p95", "max", "drift"
        )?;
        for g in &self.gates {
            let stat = |f: fn(&Summary) -> f64| {
                g.summary
                    .as_ref()
                    .filter(|s| s.count > 0)
                    .map_or("-".to_string(), |s| format_float_g(round4(f(s))))
            };
            writeln!(
                f,
                "  {:<26} {:>7.2} {:>9.2} {:>9.2} {:>11} {:>11} {:>11} {:>7}",
                g.name,
                g.pass_fraction * 100.0,
                g.missing_fraction * 100.0,
                g.fallback_fraction * 100.0,
                stat(|s| s.mean),
                stat(|s| s.quantiles.p95),
                stat(|s| s.max),
                g.drift_episodes().len()
            )?;
        }
        for g in &self.gates {
            let episodes = g.drift_episodes();
            for e in episodes.iter().take(SHOWN_EPISODES) {
                writeln!(f, "  drift on {}: {}", g.name, self.describe_episode(e))?;
            }
            if episodes.len() > SHOWN_EPISODES {
                writeln!(
                    f,
                    "  ... {} drift episodes on {} in all",
                    episodes.len(),
                    g.name
                )?;
            }
        }
        writeln!(f)?;
        writeln!(f, "Residual risks:")?;
        if self.risks.is_empty() {
            writeln!(f, "  none found")?;
        }
        for r in &self.risks {
            writeln!(f, "  - {}: {}", r.subject, r.message)?;
        }
        for e in &self.rule_errors {
            writeln!(f, "  - rule error: {e}")?;
        }
        Ok(())
    }
}

/// Drift alarms listed per gate in the text report (the report keeps them all).
const SHOWN_EPISODES: usize = 10;

/// A value for a table: at most 6 significant digits.
fn short(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format_float_g(v);
    }
    let digits = 5 - v.abs().log10().floor() as i32;
    if (0..=10).contains(&digits) {
        let scale = 10f64.powi(digits);
        format_float_g((v * scale).round() / scale)
    } else {
        format_float_g(v)
    }
}

fn round4(v: f64) -> f64 {
    if v.is_finite() {
        (v * 1e4).round() / 1e4
    } else {
        v
    }
}

/// A JSON-friendly map of the report's headline figures (the CLI's `--output json` adds the
/// rest).
pub fn headline(report: &DryRunReport) -> BTreeMap<&'static str, String> {
    let mut m = BTreeMap::new();
    m.insert("verdict", report.verdict.to_string());
    m.insert("decision", report.decision.verdict.to_string());
    if let Some((g, a, _)) = &report.grade {
        m.insert("grade", g.clone());
        m.insert("action", a.clone());
    }
    m
}

/// Runs the whole dry-run of a folder laid out as `testdata/l4`: `gates.yml` (with its
/// `dryrun:` section naming rule files, unit tests and the default scenario, relative to the
/// folder). Preflight checks the rule files and runs the unit tests; `scenario` overrides the
/// default timeline.
///
/// ```no_run
/// use promgate::decision::dryrun::run_dir;
/// let report = run_dir(std::path::Path::new("testdata/l4"), None).unwrap();
/// println!("{report}");
/// ```
pub fn run_dir(
    dir: &std::path::Path,
    scenario: Option<&std::path::Path>,
) -> Result<DryRunReport, DryRunError> {
    run_dir_with_progress(dir, scenario, &mut |_| {})
}

/// [`run_dir`], calling `progress` after every step of the run as [`run_with_progress`] does.
pub fn run_dir_with_progress(
    dir: &std::path::Path,
    scenario: Option<&std::path::Path>,
    progress: &mut dyn FnMut(Progress),
) -> Result<DryRunReport, DryRunError> {
    use crate::unittest::{FileLoader, FsLoader, TestOptions, run_path};
    let read = |path: &std::path::Path| crate::syntax::read_text_file(path).map_err(DryRunError);
    let gates_path = dir.join("gates.yml");
    let plan = GatePlan::parse(&gates_path.display().to_string(), &read(&gates_path)?)
        .map_err(|e| DryRunError(e.to_string()))?;
    let glob = |patterns: &[String]| -> Result<Vec<std::path::PathBuf>, DryRunError> {
        let mut out = Vec::new();
        for p in patterns {
            let pattern = dir.join(p).display().to_string();
            let found = FsLoader.glob(&pattern).map_err(DryRunError)?;
            if found.is_empty() {
                return Err(DryRunError(format!("no file matches {pattern}")));
            }
            out.extend(found.into_iter().map(std::path::PathBuf::from));
        }
        Ok(out)
    };
    let mut preflight = Vec::new();
    let rule_paths = glob(&plan.dryrun.rule_files)?;
    let mut rule_texts = Vec::new();
    for p in &rule_paths {
        rule_texts.push((p.display().to_string(), read(p)?));
    }
    let (groups, check) = match load_rule_groups(&rule_texts) {
        Ok(groups) => {
            let rules: usize = groups.iter().map(|g| g.rules.len()).sum();
            let detail = format!(
                "{} files, {} groups, {rules} rules",
                rule_paths.len(),
                groups.len()
            );
            (
                groups,
                PreflightStep {
                    name: "check rules".into(),
                    passed: true,
                    detail,
                },
            )
        }
        Err(e) => (
            Vec::new(),
            PreflightStep {
                name: "check rules".into(),
                passed: false,
                detail: e.0,
            },
        ),
    };
    preflight.push(check);
    let tests = glob(&plan.dryrun.unit_tests)?;
    if !tests.is_empty() {
        let mut failed = Vec::new();
        let mut groups_run = 0;
        for t in &tests {
            let report = run_path(t, &TestOptions::default());
            groups_run += report.groups.len();
            if !report.is_success() {
                failed.push(format!(
                    "{} ({} failures)",
                    t.display(),
                    report.failure_count()
                ));
            }
        }
        preflight.push(PreflightStep {
            name: "rule unit tests".into(),
            passed: failed.is_empty(),
            detail: if failed.is_empty() {
                format!("{} files, {groups_run} test groups passed", tests.len())
            } else {
                format!("failed: {}", failed.join(", "))
            },
        });
    }
    let lint = plan.dryrun.lint.clone().unwrap_or(LintSpec {
        enabled: true,
        fail_on: None,
    });
    if lint.enabled {
        preflight.push(lint_step(&rule_paths, &gates_path, &lint)?);
    }
    let scenario_path = match (scenario, &plan.dryrun.scenario) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(s)) => dir.join(s),
        (None, None) => {
            return Err(DryRunError(
                "no scenario: give one or set dryrun.scenario".into(),
            ));
        }
    };
    let (series, interval) =
        scenario_series(&scenario_path.display().to_string(), &read(&scenario_path)?)?;
    // The rules before the reload: other files when given, else the same.
    let mut previous = Vec::new();
    if let Some(reload) = &plan.dryrun.reload {
        for p in glob(&reload.previous_rule_files)? {
            previous.push((p.display().to_string(), read(&p)?));
        }
    }
    let input = DryRunInput {
        plan,
        groups,
        series,
        interval,
        preflight,
    };
    // The reload cross-check reads the scenario on its own: it runs beside the simulation,
    // and its step joins the preflight afterwards, in its place (before the pass probability
    // the report adds) and with its weight (a failed step makes the verdict NO-GO).
    let before: &[(String, String)] = match previous.is_empty() {
        true => &rule_texts,
        false => &previous,
    };
    let (input, after) = (&input, &rule_texts);
    let (reload, report) = std::thread::scope(|scope| {
        let reload = input.plan.dryrun.reload.as_ref().map(|spec| {
            scope.spawn(move || {
                reload_step(
                    &input.plan,
                    spec,
                    before,
                    after,
                    &input.series,
                    input.interval,
                )
            })
        });
        let report = run_with_progress(input, progress);
        let reload = reload.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (reload, report)
    });
    let Some(reload) = reload else {
        return report;
    };
    let reload = reload?;
    let mut report = report?;
    if !reload.passed {
        report.verdict = Verdict::NoGo;
    }
    report.preflight.insert(input.preflight.len(), reload);
    Ok(report)
}

/// Preflight's lint step: the rule files with the gates file.
fn lint_step(
    rule_paths: &[std::path::PathBuf],
    gates: &std::path::Path,
    spec: &LintSpec,
) -> Result<PreflightStep, DryRunError> {
    use crate::explain::lint::{LintConfig, Severity, lint_paths};
    let threshold = match spec.fail_on.as_deref() {
        Some("warning") => Severity::Warning,
        Some("info") => Severity::Info,
        None | Some("error") => Severity::Error,
        Some(other) => {
            return Err(DryRunError(format!(
                "dryrun.lint.fail_on: {other:?} is not info, warning or error"
            )));
        }
    };
    let report = lint_paths(rule_paths, Some(gates), &LintConfig::default())
        .map_err(|e| DryRunError(format!("lint: {e}")))?;
    let failing: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.severity >= threshold)
        .map(|f| format!("[{}] {}", f.id, f.message))
        .collect();
    let below: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("[{}] {}", f.id, f.message))
        .collect();
    let threshold = format!("{threshold:?}").to_lowercase();
    Ok(PreflightStep {
        name: "lint".into(),
        passed: failing.is_empty(),
        detail: match (failing.is_empty(), below.is_empty()) {
            (false, _) => failing.join("; "),
            (true, true) => format!(
                "{} rules and {} gates, no finding",
                report.rules, report.gates
            ),
            (true, false) => format!(
                "{} rules and {} gates, findings below {threshold}: {}",
                report.rules,
                report.gates,
                below.join("; ")
            ),
        },
    })
}

/// Preflight's reload cross-check over the scenario.
fn reload_step(
    plan: &GatePlan,
    spec: &ReloadSpec,
    previous: &[(String, String)],
    current: &[(String, String)],
    series: &[(String, String)],
    interval: i64,
) -> Result<PreflightStep, DryRunError> {
    use crate::explain::diff::{
        DiffFixture, DiffGate, DiffOptions, ReloadSimulation, diff_rule_sets,
    };
    let parse = |files: &[(String, String)]| -> Result<Vec<RuleFile>, DryRunError> {
        files
            .iter()
            .map(|(name, text)| {
                RuleFile::parse(name, text, &Default::default())
                    .map_err(|e| DryRunError(e.to_string()))
            })
            .collect()
    };
    let (old, new) = (parse(previous)?, parse(current)?);
    let step = plan.dryrun.step_ms().map_err(DryRunError)?;
    let at = match &spec.at {
        Some(_) => DryRunSpec::duration(&spec.at, 0, "reload.at").map_err(DryRunError)?,
        None => plan.dryrun.decide_at_ms().map_err(DryRunError)?,
    };
    let gap = DryRunSpec::duration(&spec.gap, step, "reload.gap").map_err(DryRunError)?;
    let pairs: Vec<(&str, &str)> = series
        .iter()
        .map(|(s, v)| (s.as_str(), v.as_str()))
        .collect();
    let simulation = ReloadSimulation {
        at,
        gap,
        horizon: 30 * 60_000,
        ..ReloadSimulation::default()
    };
    let end = at + gap + simulation.horizon;
    // The simulation reads nothing after its end: load the scenario up to there only.
    let mut store = Store::new();
    let options = crate::fixture::InputSeriesOptions {
        interval,
        ..Default::default()
    };
    crate::fixture::LazyLoader::new(&store, &pairs, &options)
        .and_then(|mut loader| loader.append_till(&mut store, end))
        .map_err(|e| DryRunError(format!("scenario: {e}")))?;
    let options = DiffOptions {
        gates: plan
            .gates
            .iter()
            .map(|g| DiffGate {
                name: &g.name,
                expr: &g.expr,
                fallback: g.fallback.as_ref(),
            })
            .collect(),
        fixtures: vec![DiffFixture {
            name: "scenario",
            store: &store,
            start: 0,
            end: Some(end),
        }],
        reload: Some(simulation),
        evaluation_interval: step,
        engine: EngineOptions {
            default_subquery_step: step,
            ..EngineOptions::default()
        },
    };
    let report = diff_rule_sets(&old, &new, &options).map_err(|e| DryRunError(e.to_string()))?;
    let passed = report.verdict() == crate::explain::diff::Verdict::Safe;
    let detail = match (&report.reload, passed) {
        (Some(r), true) if r.na.is_empty() => format!(
            "a reload at {} with a {} gap leaves every gate and recorded series with a value",
            format_duration(at),
            format_duration(gap)
        ),
        _ => report
            .to_string()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; "),
    };
    Ok(PreflightStep {
        name: "reload cross-check".into(),
        passed,
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The L4 example's rules and gates over its healthy scenario for `duration`, with
    /// instance i0's heartbeat stalled and its canary failing for a while (so that the run
    /// meets missing values, failures, drift and an early stop).
    fn l4_input(duration: &str, early_stop: bool) -> DryRunInput {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/l4");
        let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap();
        let mut plan = GatePlan::parse("gates.yml", &read("gates.yml")).unwrap();
        plan.dryrun.duration = Some(duration.into());
        if !early_stop {
            plan.dryrun.early_stop.clear();
        }
        let files: Vec<(String, String)> = ["heartbeat", "canary", "slo", "stability"]
            .iter()
            .map(|f| (f.to_string(), read(&format!("rules/{f}.yml"))))
            .collect();
        let (mut series, interval) =
            scenario_series("healthy.yml", &read("scenarios/healthy.yml")).unwrap();
        for (labels, values) in &mut series {
            if labels.contains(r#"instance="i0""#) && labels.starts_with("heartbeat_seq") {
                *values = "0+1x400 400x60 401+1x8180".into();
            }
            // Longer than the lookback: i1's heartbeat series goes missing for a while.
            if labels.contains(r#"instance="i1""#) && labels.starts_with("heartbeat_seq") {
                *values = "0+1x600 _x40 641+1x8000".into();
            }
            if labels.contains(r#"instance="i0""#) && labels.contains(r#"code="500""#) {
                *values = "0+2x500 1000+200x60 13000+2x8080".into();
            }
        }
        DryRunInput {
            plan,
            groups: load_rule_groups(&files).unwrap(),
            series,
            interval,
            preflight: Vec::new(),
        }
    }

    #[test]
    fn blocks_report_what_steps_report() {
        for early_stop in [false, true] {
            let input = l4_input("3h", early_stop);
            let mut seen = Vec::new();
            let blocks = run_as(&input, &mut |p| seen.push(p.time_ms), true).unwrap();
            let steps = run_as(&input, &mut |_| {}, false).unwrap();
            assert_eq!(format!("{blocks:?}"), format!("{steps:?}"));
            assert_eq!(blocks.to_string(), steps.to_string());
            assert!(seen.windows(2).all(|w| w[1] == w[0] + 10_000), "{seen:?}");
            assert!(
                seen.len() >= blocks.steps,
                "{} < {}",
                seen.len(),
                blocks.steps
            );
            // The run met what it was built to meet.
            let text = blocks.to_string();
            let stall = &blocks.gates[1];
            assert_eq!(stall.name, "heartbeat_stall");
            assert!(stall.pass_fraction < 1.0, "{text}");
            if early_stop {
                assert!(text.contains("EARLY STOP at 1h14m20s"), "{text}");
            } else {
                assert!(blocks.stop.is_none(), "{text}");
                assert!(text.contains("drift on lyapunov_V: level up"), "{text}");
                assert!(blocks.gates[5].pass_fraction < 1.0, "{text}");
            }
        }
    }
}
