//! The reload simulation: the old rules run up to `T`, nothing is evaluated for a gap `D`
//! (a restart), the new rules run from `T + D` with the `for` state restored from
//! `ALERTS_FOR_STATE` as Prometheus does at startup, and every gate and recorded series is
//! watched for the time it has no value.

use std::fmt;

use serde::Serialize;

use super::{DiffError, DiffFixture, DiffOptions, eval_options, steps};
use crate::eval::{Engine, Value};
use crate::model::Timestamp;
use crate::promql::Expr;
use crate::rules::{AlertState, GroupEvaluator, RestoreOptions, RuleGroup, RuleKind};
use crate::syntax::lex::format_duration;

/// A reload to simulate: at `at` (ms after the fixture's start) evaluation stops for `gap`
/// ms, then the new rules start.
///
/// ```
/// use promgate::explain::diff::ReloadSimulation;
/// let sim = ReloadSimulation { at: 3_600_000, gap: 600_000, ..ReloadSimulation::default() };
/// assert_eq!(sim.horizon, 3_600_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReloadSimulation {
    /// When the old rules stop (ms after the fixture's start).
    pub at: Timestamp,
    /// How long nothing is evaluated (ms).
    pub gap: i64,
    /// Prometheus's restore settings (`for` grace period, outage tolerance).
    pub restore: RestoreOptions,
    /// How long after the restart to watch for missing values (ms).
    pub horizon: i64,
}

impl Default for ReloadSimulation {
    fn default() -> Self {
        ReloadSimulation {
            at: 0,
            gap: 0,
            restore: RestoreOptions::default(),
            horizon: 3_600_000,
        }
    }
}

/// What happened to an alert that was pending or firing when evaluation stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AlertOutcome {
    /// Its `for` state was restored from `ALERTS_FOR_STATE`.
    Restored {
        /// The restored active time (ms).
        active_at: Timestamp,
        /// When it fires (again) (ms).
        fires_at: Timestamp,
    },
    /// It started over as a new pending alert at the restart (its `for` is under the grace
    /// period, or no `ALERTS_FOR_STATE` sample was within the outage tolerance).
    Reset {
        /// When it fires (ms).
        fires_at: Timestamp,
    },
    /// The new rules have no alert with these labels at the restart (identity changed, the
    /// rule is gone, or its condition no longer holds).
    Gone,
}

/// One alert through the reload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRestore {
    /// The alert's labels.
    pub labels: String,
    /// Its state when evaluation stopped.
    pub state: String,
    /// What happened.
    pub outcome: AlertOutcome,
    /// How long a firing alert stopped firing (ms), from the restart; `None` when it was not
    /// firing or does not stop.
    pub not_firing_for: Option<i64>,
}

/// A time a gate or recorded series had no value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NaWindow {
    /// `gate <name>` or `series <name>`.
    pub subject: String,
    /// Whether the gate has a fallback (for gates).
    pub fallback: bool,
    /// The first time without a value (ms).
    pub from: Timestamp,
    /// The first time with a value again (ms); `None`: not within the horizon.
    pub until: Option<Timestamp>,
}

impl NaWindow {
    /// Does this window make the reload unsafe (a gate without fallback)?
    pub fn is_unsafe(&self) -> bool {
        self.subject.starts_with("gate ") && !self.fallback
    }
}

/// The result of a reload simulation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReloadReport {
    /// When evaluation stopped (ms).
    pub at: Timestamp,
    /// When the new rules first ran (ms).
    pub resumed_at: Timestamp,
    /// The grace period used (ms).
    pub for_grace_period: i64,
    /// The alerts that were pending or firing at `at`.
    pub alerts: Vec<AlertRestore>,
    /// Gates and recorded series that had a value at `at` and lost it.
    pub na: Vec<NaWindow>,
}

impl ReloadReport {
    /// Does anything in it make the reload unsafe (a firing alert stops firing, a gate without
    /// fallback loses its value)?
    pub fn is_unsafe(&self) -> bool {
        self.unsafe_count() > 0
    }

    pub(super) fn unsafe_count(&self) -> usize {
        self.alerts
            .iter()
            .filter(|a| a.not_firing_for.is_some())
            .count()
            + self.na.iter().filter(|w| w.is_unsafe()).count()
    }

    pub(super) fn len(&self) -> usize {
        self.alerts.len() + self.na.len()
    }
}

impl fmt::Display for ReloadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = format_duration;
        writeln!(
            f,
            "Reload at {}, rules again at {} (for-grace-period {}):",
            d(self.at),
            d(self.resumed_at),
            d(self.for_grace_period)
        )?;
        if self.alerts.is_empty() && self.na.is_empty() {
            writeln!(f, "  no alert was active and no value went missing")?;
        }
        for a in &self.alerts {
            let outcome = match &a.outcome {
                AlertOutcome::Restored {
                    active_at,
                    fires_at,
                } => format!(
                    "restored (active since {}), fires at {}",
                    d(*active_at),
                    d(*fires_at)
                ),
                AlertOutcome::Reset { fires_at } => {
                    format!(
                        "reset to pending at {}, fires at {}",
                        d(self.resumed_at),
                        d(*fires_at)
                    )
                }
                AlertOutcome::Gone => "gone after the reload".to_string(),
            };
            let severity = match a.not_firing_for {
                Some(_) => "unsafe",
                None => "notice",
            };
            write!(f, "{severity}: alert {} ({}): {outcome}", a.labels, a.state)?;
            if let Some(ms) = a.not_firing_for {
                write!(f, "; not firing for {}", d(ms))?;
            }
            writeln!(f)?;
        }
        for w in &self.na {
            let severity = if w.is_unsafe() { "unsafe" } else { "notice" };
            let until = match w.until {
                Some(until) => format!("until {} ({})", d(until), d(until - w.from)),
                None => "and had none at the end of the horizon".to_string(),
            };
            let fallback = if w.fallback {
                " (its fallback applies)"
            } else {
                ""
            };
            writeln!(
                f,
                "{severity}: {} has no value from {} {until}{fallback}",
                w.subject,
                d(w.from)
            )?;
        }
        Ok(())
    }
}

/// Something watched for missing values.
struct Watched {
    subject: String,
    fallback: bool,
    expr: Expr,
}

/// Evaluates `rules` at each of `times` (consecutive steps `interval` apart, at which every
/// group is due) over a store holding the inputs (`inputs`) up to the last of them, at once
/// in blocks, when the rules allow it (then the store ends as evaluating step by step leaves
/// it). `Some(true)`: done; `Some(false)`: the rules do not allow blocks, nothing was done;
/// `None`: a block failed part way (start the simulation again step by step).
fn in_blocks(
    rules: &mut GroupEvaluator,
    store: &mut crate::store::Store,
    inputs: &[crate::Labels],
    times: &[Timestamp],
    interval: i64,
) -> Option<bool> {
    if times.is_empty() || rules.block_obstacle_over(inputs, Some(interval)).is_some() {
        return Some(false);
    }
    rules.eval_block(store, times).is_ok().then_some(true)
}

/// Whether `expr` has a value at each step from `first` to `last` (every `step`), by one
/// range query: what an instant query at each gives, as the engine evaluates a range query
/// step by step. `None` when the range query fails (the caller then asks step by step).
fn presence_over(
    engine: &Engine,
    store: &crate::store::Store,
    expr: &Expr,
    (first, last, step): (Timestamp, Timestamp, i64),
) -> Option<Vec<bool>> {
    let Ok(Value::Matrix(matrix)) = engine
        .range_query(store, expr, first, last, step)
        .map(|r| r.value)
    else {
        return None;
    };
    let mut steps = vec![false; ((last - first) / step + 1) as usize];
    for series in matrix {
        let floats = series.floats.iter().map(|p| p.t);
        for t in floats.chain(series.histograms.iter().map(|p| p.t)) {
            steps[((t - first) / step) as usize] = true;
        }
    }
    Some(steps)
}

pub(super) fn simulate(
    sim: &ReloadSimulation,
    old_groups: &[RuleGroup],
    new_groups: &[RuleGroup],
    fixture: &DiffFixture<'_>,
    options: &DiffOptions<'_>,
) -> Result<ReloadReport, DiffError> {
    simulate_as(sim, (old_groups, new_groups), fixture, options, true)
}

/// [`simulate`], evaluating the rules in blocks where it can (`blocks`) or step by step.
fn simulate_as(
    sim: &ReloadSimulation,
    (old_groups, new_groups): (&[RuleGroup], &[RuleGroup]),
    fixture: &DiffFixture<'_>,
    options: &DiffOptions<'_>,
    blocks: bool,
) -> Result<ReloadReport, DiffError> {
    let interval = options.evaluation_interval.max(1);
    let stop = fixture.start + sim.at;
    let resume = stop + sim.gap;
    let mut store = fixture.store.clone();
    let mut old = GroupEvaluator::new(old_groups.to_vec(), eval_options(options));
    let times: Vec<Timestamp> =
        steps(fixture.start, stop, interval, "the reload simulation")?.collect();
    let inputs: Vec<crate::Labels> = fixture.store.iter().map(|s| s.labels().clone()).collect();
    let step_by_step = || simulate_as(sim, (old_groups, new_groups), fixture, options, false);
    let evaluated = match blocks {
        true => in_blocks(&mut old, &mut store, &inputs, &times, interval),
        false => Some(false),
    };
    match evaluated {
        None => return step_by_step(),
        Some(true) => {}
        Some(false) => {
            for &ts in &times {
                old.eval_due(&mut store, ts, fixture.start, interval);
            }
        }
    }
    let before: Vec<(String, AlertState, i64)> = old
        .all_alerts()
        .filter(|(_, _, a)| a.state != AlertState::Inactive)
        .map(|(_, _, a)| (a.labels.to_string(), a.state, a.active_at))
        .collect();

    // What to watch: every gate, every recorded series of either set.
    let mut watched = Vec::new();
    for gate in &options.gates {
        watched.push(Watched {
            subject: format!("gate {}", gate.name),
            fallback: gate.fallback.is_some(),
            expr: gate.expr.clone(),
        });
    }
    let mut names: Vec<&str> = old_groups
        .iter()
        .chain(new_groups)
        .flat_map(|g| &g.rules)
        .filter(|r| !r.is_alert())
        .map(|r| r.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let selector = format!("{{__name__={name:?}}}");
        if let Ok(expr) = crate::promql::parse(&selector) {
            watched.push(Watched {
                subject: format!("series {name}"),
                fallback: false,
                expr,
            });
        }
    }
    let engine = Engine::new(options.engine.clone());
    let present = |store: &crate::store::Store, expr: &Expr, t: Timestamp| match engine
        .instant_query(store, expr, t)
        .map(|r| r.value)
    {
        Ok(Value::Vector(v)) => !v.is_empty(),
        Ok(Value::Scalar(_)) => true,
        _ => false,
    };
    let had_value: Vec<bool> = watched
        .iter()
        .map(|w| present(&store, &w.expr, stop))
        .collect();
    let mut windows: Vec<Option<NaWindow>> = vec![None; watched.len()];
    // Notes at `t` which watched expressions (by position) have a value (`here`).
    let mut observe = |t: Timestamp, here: &mut dyn FnMut(usize, &Expr) -> bool| {
        for (i, w) in watched.iter().enumerate() {
            if !had_value[i] {
                continue;
            }
            let here = here(i, &w.expr);
            match (&mut windows[i], here) {
                (None, false) => {
                    windows[i] = Some(NaWindow {
                        subject: w.subject.clone(),
                        fallback: w.fallback,
                        from: t,
                        until: None,
                    })
                }
                (Some(window), true) if window.until.is_none() => window.until = Some(t),
                _ => {}
            }
        }
    };
    // The gap: time passes, nothing is evaluated.
    for t in steps(stop, resume, interval, "the reload gap")?.skip(1) {
        if t < resume {
            observe(t, &mut |_, e| present(&store, e, t));
        }
    }
    // The restart: the first evaluation, then the `for` state restored.
    let mut new = GroupEvaluator::new(new_groups.to_vec(), eval_options(options));
    new.eval_all(&mut store, resume);
    new.restore_for_state(&store, resume, &sim.restore);
    let holds: Vec<(String, i64)> = new
        .groups()
        .flat_map(|g| &g.rules)
        .filter_map(|r| match &r.kind {
            RuleKind::Alerting(spec) => Some((r.name.clone(), spec.hold)),
            RuleKind::Recording => None,
        })
        .collect();
    let restored: Vec<(String, Timestamp, Timestamp)> = new
        .all_alerts()
        .map(|(_, rule, a)| {
            let hold = holds
                .iter()
                .find(|(n, _)| *n == rule.name)
                .map_or(0, |(_, h)| *h);
            (a.labels.to_string(), a.active_at, a.active_at + hold)
        })
        .collect();
    let alerts = before
        .into_iter()
        .map(|(labels, state, _)| {
            let outcome = match restored.iter().find(|(l, _, _)| *l == labels) {
                None => AlertOutcome::Gone,
                Some((_, active_at, fires_at)) if *active_at == resume => AlertOutcome::Reset {
                    fires_at: *fires_at,
                },
                Some((_, active_at, fires_at)) => AlertOutcome::Restored {
                    active_at: *active_at,
                    fires_at: *fires_at,
                },
            };
            let not_firing_for = match (&outcome, state) {
                (AlertOutcome::Gone, AlertState::Firing) => None,
                (
                    AlertOutcome::Reset { fires_at } | AlertOutcome::Restored { fires_at, .. },
                    AlertState::Firing,
                ) if *fires_at > resume => Some(*fires_at - resume),
                _ => None,
            };
            AlertRestore {
                labels,
                state: state.to_string(),
                outcome,
                not_firing_for,
            }
        })
        .collect();
    observe(resume, &mut |_, e| present(&store, e, resume));
    let times: Vec<Timestamp> =
        steps(resume, resume + sim.horizon, interval, "the reload horizon")?
            .skip(1)
            .collect();
    // Watched expressions that read nothing after their time can be watched after the rules
    // have run over the whole horizon (in blocks), with one range query each.
    let o = &options.engine;
    let ahead = watched
        .iter()
        .all(|w| crate::eval::reach(&w.expr, o.lookback_delta, o.default_subquery_step).is_some());
    let evaluated = match blocks && ahead {
        true => in_blocks(&mut new, &mut store, &inputs, &times, interval),
        false => Some(false),
    };
    if evaluated.is_none() {
        return step_by_step();
    }
    if evaluated == Some(true) {
        if let (Some(&first), Some(&last)) = (times.first(), times.last()) {
            let presence: Vec<Option<Vec<bool>>> = watched
                .iter()
                .map(|w| presence_over(&engine, &store, &w.expr, (first, last, interval)))
                .collect();
            for (k, &ts) in times.iter().enumerate() {
                observe(ts, &mut |i, e| match &presence[i] {
                    Some(steps) => steps[k],
                    None => present(&store, e, ts),
                });
            }
        }
    } else {
        for &ts in &times {
            new.eval_due(&mut store, ts, resume, interval);
            observe(ts, &mut |_, e| present(&store, e, ts));
        }
    }
    Ok(ReloadReport {
        at: stop,
        resumed_at: resume,
        for_grace_period: sim.restore.for_grace_period,
        alerts,
        na: windows.into_iter().flatten().collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::diff::DiffGate;
    use crate::rules::RuleFile;

    fn groups(path: &str) -> Vec<RuleGroup> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let text = std::fs::read_to_string(&path).unwrap();
        RuleFile::parse("rules.yml", &text, &Default::default())
            .unwrap()
            .groups
    }

    /// The diff tests' rule sets and fixture (an API with errors from 10m and a target down
    /// from 20m to 50m), reloaded at several times: in blocks and step by step, the same report.
    #[test]
    fn blocks_simulate_what_steps_simulate() {
        let (old, new) = (
            groups("tests/data/diff/old/rules.yml"),
            groups("tests/data/diff/new/rules.yml"),
        );
        let mut store = crate::store::Store::new();
        crate::load_input_series(
            &mut store,
            &[
                (r#"requests_total{job="api", instance="a"}"#, "0+100x60"),
                (r#"errors_total{job="api", instance="a"}"#, "0x10 0+10x50"),
                (r#"up{job="api", instance="a"}"#, "1x20 0x30 1x10"),
            ],
            60_000,
        )
        .unwrap();
        let (ratio, errors, fallback) = (
            crate::promql::parse("max(job:error_ratio:rate5m)").unwrap(),
            crate::promql::parse("sum(job:errors:rate5m)").unwrap(),
            crate::promql::parse("sum(rate(errors_total[5m]))").unwrap(),
        );
        let options = DiffOptions {
            gates: vec![
                DiffGate {
                    name: "error_ratio",
                    expr: &ratio,
                    fallback: None,
                },
                DiffGate {
                    name: "errors",
                    expr: &errors,
                    fallback: Some(&fallback),
                },
            ],
            ..DiffOptions::default()
        };
        let fixture = DiffFixture {
            name: "f",
            store: &store,
            start: 0,
            end: None,
        };
        let mut lost = 0;
        for (at, gap) in [(10, 1), (25, 1), (30, 7), (40, 3)] {
            let sim = ReloadSimulation {
                at: at * 60_000,
                gap: gap * 60_000,
                horizon: 20 * 60_000,
                ..ReloadSimulation::default()
            };
            for (a, b) in [(&old, &new), (&old, &old)] {
                let blocks = simulate_as(&sim, (a, b), &fixture, &options, true).unwrap();
                let steps = simulate_as(&sim, (a, b), &fixture, &options, false).unwrap();
                assert_eq!(
                    format!("{blocks:?}"),
                    format!("{steps:?}"),
                    "at {at}m, gap {gap}m"
                );
                lost += blocks.na.len();
            }
        }
        assert!(lost > 0, "some reload loses a value");
        // And blocks were taken.
        let mut rules = GroupEvaluator::new(new.clone(), eval_options(&options));
        let mut copy = store.clone();
        let inputs: Vec<crate::Labels> = store.iter().map(|s| s.labels().clone()).collect();
        let times: Vec<Timestamp> = (0..30).map(|i| i * 60_000).collect();
        assert_eq!(
            in_blocks(&mut rules, &mut copy, &inputs, &times, 60_000),
            Some(true)
        );
    }
}
