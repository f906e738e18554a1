//! Reload safety: the difference between an old and a new rule set that matters before a
//! reload. Recorded series removed or renamed while other rules or gates still read them,
//! alerts whose identity (name and static labels) changes (their `for` state starts over),
//! `for`/`keep_firing_for` changes, rules whose results change on fixtures, and a simulated
//! restart ([`ReloadSimulation`]).
//!
//! ```
//! use promgate::explain::diff::{DiffOptions, Verdict, diff_rule_sets};
//! use promgate::rules::{RuleFile, RuleLoadOptions};
//! let o = RuleLoadOptions::default();
//! let old = RuleFile::parse("old.yml", "groups:\n- name: g\n  rules:\n  - record: job:up:sum\n    expr: sum by (job) (up)\n  - alert: JobDown\n    expr: job:up:sum == 0\n", &o).unwrap();
//! let new = RuleFile::parse("new.yml", "groups:\n- name: g\n  rules:\n  - record: job:up:total\n    expr: sum by (job) (up)\n  - alert: JobDown\n    expr: job:up:sum == 0\n", &o).unwrap();
//! let report = diff_rule_sets(&[old], &[new], &DiffOptions::default()).unwrap();
//! assert_eq!(report.verdict(), Verdict::Unsafe);
//! assert_eq!(
//!     report.findings[0].to_string(),
//!     "unsafe: recorded series job:up:sum is removed (renamed to job:up:total?) but still read by rule JobDown (group g)"
//! );
//! ```

mod reload;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

pub use reload::{AlertOutcome, AlertRestore, NaWindow, ReloadReport, ReloadSimulation};

use crate::Labels;
use crate::eval::EngineOptions;
use crate::model::{Timestamp, format_float};
use crate::promql::Expr;
use crate::rules::{GroupEvaluator, RuleEvalOptions, RuleFile, RuleGroup, RuleKind};
use crate::store::Store;
use crate::syntax::lex::format_duration;

/// At most this many evaluation steps are run per fixture and rule set.
pub const MAX_STEPS: i64 = 100_000;

/// At most this many changed results are reported per fixture.
const MAX_CHANGES: usize = 20;

/// A fixture both rule sets are evaluated over.
#[derive(Debug, Clone, Copy)]
pub struct DiffFixture<'a> {
    /// Its name in messages (the file).
    pub name: &'a str,
    /// Its input series.
    pub store: &'a Store,
    /// The first evaluation time (ms).
    pub start: Timestamp,
    /// The last evaluation time (ms); `None`: the newest sample of the store.
    pub end: Option<Timestamp>,
}

/// A gate that reads recorded series (the decision module's gates, given by their parts so
/// that this module does not depend on it).
///
/// ```
/// use promgate::explain::diff::DiffGate;
/// let expr = promgate::parse("min(heartbeat:fresh_120s)").unwrap();
/// let gate = DiffGate { name: "heartbeat_fresh_120s", expr: &expr, fallback: None };
/// assert_eq!(gate.expr.metric_names(), ["heartbeat:fresh_120s"]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DiffGate<'a> {
    /// The gate's name.
    pub name: &'a str,
    /// Its expression.
    pub expr: &'a Expr,
    /// Its fallback expression, if it has one.
    pub fallback: Option<&'a Expr>,
}

/// What to compare besides the rule files.
///
/// ```
/// use promgate::explain::diff::DiffOptions;
/// assert_eq!(DiffOptions::default().evaluation_interval, 60_000);
/// ```
#[derive(Debug, Clone)]
pub struct DiffOptions<'a> {
    /// Gates whose expressions read recorded series.
    pub gates: Vec<DiffGate<'a>>,
    /// Fixtures to evaluate both rule sets over.
    pub fixtures: Vec<DiffFixture<'a>>,
    /// A reload to simulate (needs a fixture: the first one is used).
    pub reload: Option<ReloadSimulation>,
    /// The interval of groups that set none (ms).
    pub evaluation_interval: i64,
    /// The query engine's settings.
    pub engine: EngineOptions,
}

impl Default for DiffOptions<'_> {
    fn default() -> Self {
        DiffOptions {
            gates: Vec::new(),
            fixtures: Vec::new(),
            reload: None,
            evaluation_interval: 60_000,
            engine: EngineOptions::default(),
        }
    }
}

/// Why a diff could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// `--reload-at` without a fixture to run the rules over.
    #[error("the reload simulation needs a fixture (--fixture)")]
    ReloadNeedsFixture,
    /// A fixture or simulation would take too many steps.
    #[error("{what} would take {steps} evaluation steps, more than the limit of {limit}")]
    TooManySteps {
        /// What was being run.
        what: String,
        /// The steps it would take.
        steps: i64,
        /// The limit ([`MAX_STEPS`]).
        limit: i64,
    },
}

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The reload breaks something (a missing input, an alert's state lost).
    Unsafe,
    /// Worth a look; not a reason to stop the reload.
    Notice,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Unsafe => "unsafe",
            Severity::Notice => "notice",
        })
    }
}

/// The verdict of a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// No unsafe finding.
    Safe,
    /// At least one unsafe finding.
    Unsafe,
}

/// One difference between the rule sets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DiffFinding {
    /// A recorded series the new set no longer writes, still read by its rules or gates.
    RemovedStillRead {
        /// The series name.
        metric: String,
        /// A new record name with the same expression, if there is one.
        renamed_to: Option<String>,
        /// Who reads it: `rule R (group G)` or `gate N`.
        readers: Vec<String>,
    },
    /// A recorded series the new set no longer writes, read by nothing in it.
    Removed {
        /// The series name.
        metric: String,
        /// A new record name with the same expression, if there is one.
        renamed_to: Option<String>,
    },
    /// An alert whose static labels change: its alerts are new ones.
    AlertIdentityChanged {
        /// The alert name.
        alert: String,
        /// The old static labels.
        old: String,
        /// The new static labels.
        new: String,
        /// The new `for` (ms) its alerts wait again.
        hold: i64,
    },
    /// An alert the new set does not have (by name), perhaps renamed.
    AlertRemoved {
        /// The alert name.
        alert: String,
        /// A new alert name with the same expression, if there is one.
        renamed_to: Option<String>,
    },
    /// `for` or `keep_firing_for` changed.
    HoldChanged {
        /// The alert name.
        alert: String,
        /// Old and new `for` (ms).
        hold: (i64, i64),
        /// Old and new `keep_firing_for` (ms).
        keep_firing_for: (i64, i64),
    },
    /// A rule's results differ on a fixture.
    ResultChanged {
        /// The fixture.
        fixture: String,
        /// The rule (record or alert name).
        rule: String,
        /// The first time they differ (ms).
        at: Timestamp,
        /// The old results at that time (`labels value`).
        old: Vec<String>,
        /// The new results at that time.
        new: Vec<String>,
    },
}

impl DiffFinding {
    /// How serious it is.
    ///
    /// ```
    /// use promgate::explain::diff::{DiffFinding, Severity};
    /// let f = DiffFinding::Removed { metric: "x".into(), renamed_to: None };
    /// assert_eq!(f.severity(), Severity::Notice);
    /// ```
    pub fn severity(&self) -> Severity {
        match self {
            DiffFinding::RemovedStillRead { .. } | DiffFinding::AlertIdentityChanged { .. } => {
                Severity::Unsafe
            }
            DiffFinding::AlertRemoved { renamed_to, .. } if renamed_to.is_some() => {
                Severity::Unsafe
            }
            _ => Severity::Notice,
        }
    }
}

fn renamed(to: &Option<String>) -> String {
    match to {
        Some(to) => format!(" (renamed to {to}?)"),
        None => String::new(),
    }
}

impl fmt::Display for DiffFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.severity())?;
        match self {
            DiffFinding::RemovedStillRead {
                metric,
                renamed_to,
                readers,
            } => write!(
                f,
                "recorded series {metric} is removed{} but still read by {}",
                renamed(renamed_to),
                readers.join(", ")
            ),
            DiffFinding::Removed { metric, renamed_to } => write!(
                f,
                "recorded series {metric} is removed{}; nothing in the new rules or gates reads it (dashboards and other consumers may)",
                renamed(renamed_to)
            ),
            DiffFinding::AlertIdentityChanged {
                alert,
                old,
                new,
                hold,
            } => write!(
                f,
                "alert {alert} changes identity: labels {old} -> {new}; its pending and firing alerts become new alerts (firing ones resolve, and each waits its `for` of {} again)",
                format_duration(*hold)
            ),
            DiffFinding::AlertRemoved { alert, renamed_to } => match renamed_to {
                Some(to) => write!(
                    f,
                    "alert {alert} is renamed to {to}: its pending and firing alerts become new alerts and its `for` state starts over"
                ),
                None => write!(f, "alert {alert} is removed"),
            },
            DiffFinding::HoldChanged {
                alert,
                hold,
                keep_firing_for,
            } => {
                let mut parts = Vec::new();
                if hold.0 != hold.1 {
                    parts.push(format!(
                        "for {} -> {}",
                        format_duration(hold.0),
                        format_duration(hold.1)
                    ));
                }
                if keep_firing_for.0 != keep_firing_for.1 {
                    parts.push(format!(
                        "keep_firing_for {} -> {}",
                        format_duration(keep_firing_for.0),
                        format_duration(keep_firing_for.1)
                    ));
                }
                write!(f, "alert {alert}: {}", parts.join(", "))
            }
            DiffFinding::ResultChanged {
                fixture,
                rule,
                at,
                old,
                new,
            } => {
                let show = |v: &[String]| match v.is_empty() {
                    true => "nothing".to_string(),
                    false => v.join(", "),
                };
                write!(
                    f,
                    "{rule} changes on {fixture} first at {}: old {}; new {}",
                    format_duration(*at),
                    show(old),
                    show(new)
                )
            }
        }
    }
}

/// The result of [`diff_rule_sets`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiffReport {
    /// The findings: unsafe ones first, then by kind and name.
    pub findings: Vec<DiffFinding>,
    /// The reload simulation, when asked for.
    pub reload: Option<ReloadReport>,
}

impl DiffReport {
    /// Unsafe when any finding (or the reload simulation) is.
    pub fn verdict(&self) -> Verdict {
        let unsafe_finding = self
            .findings
            .iter()
            .any(|f| f.severity() == Severity::Unsafe);
        let unsafe_reload = self.reload.as_ref().is_some_and(ReloadReport::is_unsafe);
        match unsafe_finding || unsafe_reload {
            true => Verdict::Unsafe,
            false => Verdict::Safe,
        }
    }
}

impl fmt::Display for DiffReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unsafe_count = self
            .findings
            .iter()
            .filter(|x| x.severity() == Severity::Unsafe)
            .count()
            + self.reload.as_ref().map_or(0, ReloadReport::unsafe_count);
        let verdict = match self.verdict() {
            Verdict::Safe => "SAFE",
            Verdict::Unsafe => "UNSAFE",
        };
        writeln!(
            f,
            "VERDICT: {verdict} ({unsafe_count} unsafe, {} notices)",
            self.findings.len() + self.reload.as_ref().map_or(0, ReloadReport::len) - unsafe_count
        )?;
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        if let Some(reload) = &self.reload {
            write!(f, "\n{reload}")?;
        }
        Ok(())
    }
}

/// A rule with its group.
struct Located<'a> {
    group: &'a RuleGroup,
    rule: &'a crate::rules::Rule,
}

fn rules_of(files: &[RuleFile]) -> Vec<Located<'_>> {
    files
        .iter()
        .flat_map(|f| &f.groups)
        .flat_map(|g| g.rules.iter().map(move |rule| Located { group: g, rule }))
        .collect()
}

/// Alerting rule's static labels with the group's, as a key (label values are templates).
fn static_labels(labels: &Labels) -> String {
    labels.to_string()
}

/// Compares two rule sets (each a list of validated rule files).
///
/// See the [module documentation](self) for an example.
pub fn diff_rule_sets(
    old: &[RuleFile],
    new: &[RuleFile],
    options: &DiffOptions<'_>,
) -> Result<DiffReport, DiffError> {
    let old_rules = rules_of(old);
    let new_rules = rules_of(new);
    let mut findings = Vec::new();

    // Recorded series.
    let records = |rules: &[Located<'_>]| -> BTreeMap<String, String> {
        rules
            .iter()
            .filter(|r| !r.rule.is_alert())
            .map(|r| (r.rule.name.clone(), r.rule.expr.to_string()))
            .collect()
    };
    let (old_records, new_records) = (records(&old_rules), records(&new_rules));
    let mut readers: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in &new_rules {
        for name in r.rule.expr.metric_names() {
            readers
                .entry(name)
                .or_default()
                .insert(format!("rule {} (group {})", r.rule.name, r.group.name));
        }
    }
    for gate in &options.gates {
        let mut names = gate.expr.metric_names();
        if let Some(fallback) = gate.fallback {
            names.extend(fallback.metric_names());
        }
        for name in names {
            readers
                .entry(name)
                .or_default()
                .insert(format!("gate {}", gate.name));
        }
    }
    for (name, expr) in &old_records {
        if new_records.contains_key(name) {
            continue;
        }
        let renamed_to = new_records
            .iter()
            .find(|(n, e)| *e == expr && !old_records.contains_key(*n))
            .map(|(n, _)| n.clone());
        match readers.get(name.as_str()) {
            Some(who) => findings.push(DiffFinding::RemovedStillRead {
                metric: name.clone(),
                renamed_to,
                readers: who.iter().cloned().collect(),
            }),
            None => findings.push(DiffFinding::Removed {
                metric: name.clone(),
                renamed_to,
            }),
        }
    }

    // Alerts.
    type AlertKey<'a> = (String, i64, i64, String);
    let alerts = |rules: &[Located<'_>]| -> BTreeMap<String, Vec<AlertKey<'_>>> {
        let mut out: BTreeMap<String, Vec<AlertKey<'_>>> = BTreeMap::new();
        for r in rules {
            if let RuleKind::Alerting(spec) = &r.rule.kind {
                out.entry(r.rule.name.clone()).or_default().push((
                    static_labels(&r.rule.labels),
                    spec.hold,
                    spec.keep_firing_for,
                    r.rule.expr.to_string(),
                ));
            }
        }
        out
    };
    let (old_alerts, new_alerts) = (alerts(&old_rules), alerts(&new_rules));
    for (name, old_versions) in &old_alerts {
        let Some(new_versions) = new_alerts.get(name) else {
            let renamed_to = new_alerts
                .iter()
                .find(|(n, v)| {
                    !old_alerts.contains_key(*n)
                        && v.iter()
                            .any(|(_, _, _, e)| old_versions.iter().any(|o| o.3 == *e))
                })
                .map(|(n, _)| n.clone());
            findings.push(DiffFinding::AlertRemoved {
                alert: name.clone(),
                renamed_to,
            });
            continue;
        };
        // Pair versions by position (an alert name is usually used once).
        for (o, n) in old_versions.iter().zip(new_versions) {
            if o.0 != n.0 {
                findings.push(DiffFinding::AlertIdentityChanged {
                    alert: name.clone(),
                    old: o.0.clone(),
                    new: n.0.clone(),
                    hold: n.1,
                });
            }
            if o.1 != n.1 || o.2 != n.2 {
                findings.push(DiffFinding::HoldChanged {
                    alert: name.clone(),
                    hold: (o.1, n.1),
                    keep_firing_for: (o.2, n.2),
                });
            }
        }
    }

    // Results on fixtures.
    let old_groups: Vec<RuleGroup> = old.iter().flat_map(|f| f.groups.clone()).collect();
    let new_groups: Vec<RuleGroup> = new.iter().flat_map(|f| f.groups.clone()).collect();
    let shared: Vec<String> = old_rules
        .iter()
        .map(|r| r.rule.name.clone())
        .filter(|n| new_rules.iter().any(|r| r.rule.name == *n))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // Rule sets that evaluate alike write identical results (evaluation is deterministic):
    // there is nothing to compare, and a reload check of unchanged rules skips straight to
    // its simulation.
    let identical = evaluate_alike(&old_groups, &new_groups);
    for fixture in options.fixtures.iter().filter(|_| !identical) {
        let end = fixture.end.unwrap_or_else(|| newest_sample(fixture.store));
        let run = |groups: &[RuleGroup]| -> Result<Store, DiffError> {
            let mut store = fixture.store.clone();
            let mut rules = GroupEvaluator::new(groups.to_vec(), eval_options(options));
            for ts in steps(
                fixture.start,
                end,
                options.evaluation_interval,
                fixture.name,
            )? {
                rules.eval_due(&mut store, ts, fixture.start, options.evaluation_interval);
            }
            Ok(store)
        };
        // The two rule sets run at once, one on another thread.
        let (before, after) = std::thread::scope(|scope| {
            let before = scope.spawn(|| run(&old_groups));
            let after = run(&new_groups);
            let before = before
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (before, after)
        });
        let (before, after) = (before?, after?);
        let mut changes = 0;
        for name in &shared {
            if changes == MAX_CHANGES {
                break;
            }
            let is_alert = old_alerts.contains_key(name);
            if let Some((at, o, n)) = first_difference(&before, &after, name, is_alert) {
                changes += 1;
                findings.push(DiffFinding::ResultChanged {
                    fixture: fixture.name.to_string(),
                    rule: name.clone(),
                    at,
                    old: o,
                    new: n,
                });
            }
        }
    }
    findings.sort_by_key(DiffFinding::severity);

    let reload = match &options.reload {
        None => None,
        Some(sim) => {
            let fixture = options
                .fixtures
                .first()
                .ok_or(DiffError::ReloadNeedsFixture)?;
            Some(reload::simulate(
                sim,
                &old_groups,
                &new_groups,
                fixture,
                options,
            )?)
        }
    };
    Ok(DiffReport { findings, reload })
}

/// Whether two rule sets evaluate alike: the same groups in the same order, each with the
/// same schedule and limit, and the same rules (name, expression, labels, and for alerts the
/// holds and templates). Where they came from (file, line) does not matter.
fn evaluate_alike(a: &[RuleGroup], b: &[RuleGroup]) -> bool {
    use crate::rules::RuleKind;
    let templates_alike = |a: &[(
        std::sync::Arc<str>,
        std::sync::Arc<crate::template::AlertTemplate>,
    )],
                           b: &[(
        std::sync::Arc<str>,
        std::sync::Arc<crate::template::AlertTemplate>,
    )]| {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|((n, t), (m, u))| n == m && t.source() == u.source())
    };
    let rules_alike = |r: &crate::rules::Rule, s: &crate::rules::Rule| {
        r.name == s.name
            && r.expr == s.expr
            && r.labels == s.labels
            && match (&r.kind, &s.kind) {
                (RuleKind::Recording, RuleKind::Recording) => true,
                (RuleKind::Alerting(x), RuleKind::Alerting(y)) => {
                    x.hold == y.hold
                        && x.keep_firing_for == y.keep_firing_for
                        && templates_alike(&x.label_templates, &y.label_templates)
                        && templates_alike(&x.annotations, &y.annotations)
                }
                _ => false,
            }
    };
    a.len() == b.len()
        && a.iter().zip(b).all(|(g, h)| {
            g.name == h.name
                && g.interval == h.interval
                && g.query_offset == h.query_offset
                && g.limit == h.limit
                && g.labels == h.labels
                && g.rules.len() == h.rules.len()
                && g.rules.iter().zip(&h.rules).all(|(r, s)| rules_alike(r, s))
        })
}

pub(crate) fn eval_options(options: &DiffOptions<'_>) -> RuleEvalOptions {
    RuleEvalOptions {
        engine: options.engine.clone(),
        ..RuleEvalOptions::default()
    }
}

/// The evaluation times from `start` to `end` (inclusive) every `step`, within [`MAX_STEPS`].
pub(crate) fn steps(
    start: Timestamp,
    end: Timestamp,
    step: i64,
    what: &str,
) -> Result<impl Iterator<Item = Timestamp>, DiffError> {
    let step = step.max(1);
    let count = (end - start).max(0) / step + 1;
    if count > MAX_STEPS {
        return Err(DiffError::TooManySteps {
            what: what.to_string(),
            steps: count,
            limit: MAX_STEPS,
        });
    }
    Ok((0..count).map(move |i| start + i * step))
}

/// The newest sample time in a store (0 when empty).
pub(crate) fn newest_sample(store: &Store) -> Timestamp {
    store
        .iter()
        .filter_map(|s| {
            let f = s.floats().last().map(|p| p.t);
            let h = s.histograms().last().map(|p| p.t);
            f.into_iter().chain(h).max()
        })
        .max()
        .unwrap_or(0)
}

/// The samples a rule wrote, by time: recorded series by name, alerts as their `ALERTS`
/// series.
fn written(store: &Store, name: &str, is_alert: bool) -> BTreeMap<Timestamp, Vec<String>> {
    let mut out: BTreeMap<Timestamp, Vec<String>> = BTreeMap::new();
    for s in store.iter() {
        let labels = s.labels();
        let wanted = match is_alert {
            true => labels.metric_name() == Some("ALERTS") && labels.get("alertname") == Some(name),
            false => labels.metric_name() == Some(name),
        };
        if !wanted {
            continue;
        }
        for p in s.floats() {
            if crate::model::is_stale_nan(p.f) {
                continue;
            }
            out.entry(p.t).or_default().push(format!(
                "{} {}",
                labels.drop_metric_name(),
                format_float(p.f)
            ));
        }
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

fn first_difference(
    before: &Store,
    after: &Store,
    name: &str,
    is_alert: bool,
) -> Option<(Timestamp, Vec<String>, Vec<String>)> {
    let (o, n) = (
        written(before, name, is_alert),
        written(after, name, is_alert),
    );
    let times: BTreeSet<Timestamp> = o.keys().chain(n.keys()).copied().collect();
    times.into_iter().find_map(|t| {
        let (a, b) = (
            o.get(&t).cloned().unwrap_or_default(),
            n.get(&t).cloned().unwrap_or_default(),
        );
        (a != b).then_some((t, a, b))
    })
}
