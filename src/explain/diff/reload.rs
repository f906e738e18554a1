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

pub(super) fn simulate(
    sim: &ReloadSimulation,
    old_groups: &[RuleGroup],
    new_groups: &[RuleGroup],
    fixture: &DiffFixture<'_>,
    options: &DiffOptions<'_>,
) -> Result<ReloadReport, DiffError> {
    let interval = options.evaluation_interval.max(1);
    let stop = fixture.start + sim.at;
    let resume = stop + sim.gap;
    let mut store = fixture.store.clone();
    let mut old = GroupEvaluator::new(old_groups.to_vec(), eval_options(options));
    for ts in steps(fixture.start, stop, interval, "the reload simulation")? {
        old.eval_due(&mut store, ts, fixture.start, interval);
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
    let mut observe = |store: &crate::store::Store, t: Timestamp| {
        for (i, w) in watched.iter().enumerate() {
            if !had_value[i] {
                continue;
            }
            let here = present(store, &w.expr, t);
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
            observe(&store, t);
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
    observe(&store, resume);
    for ts in steps(resume, resume + sim.horizon, interval, "the reload horizon")?.skip(1) {
        new.eval_due(&mut store, ts, resume, interval);
        observe(&store, ts);
    }
    Ok(ReloadReport {
        at: stop,
        resumed_at: resume,
        for_grace_period: sim.restore.for_grace_period,
        alerts,
        na: windows.into_iter().flatten().collect(),
    })
}
