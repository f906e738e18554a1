//! `--strict`: what promtool lets pass (with a warning or silently) and is likely a mistake.

use std::fmt;

use crate::Labels;
use crate::model::Timestamp;
use crate::promql::{Expr, VectorSelector};
use crate::rules::{RuleGroup, RuleKind};
use crate::syntax::lex::{format_duration, quote};

/// One test case of a group, by kind and 0-based position in the file.
///
/// ```
/// use promgate::unittest::CaseRef;
/// assert_eq!(CaseRef::Promql(2).to_string(), "promql_expr_test[2]");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CaseRef {
    /// An `alert_rule_test` item.
    Alert(usize),
    /// A `promql_expr_test` item.
    Promql(usize),
}

impl fmt::Display for CaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseRef::Alert(i) => write!(f, "alert_rule_test[{i}]"),
            CaseRef::Promql(i) => write!(f, "promql_expr_test[{i}]"),
        }
    }
}

/// A finding of [`TestOptions::strict`](super::TestOptions::strict). Each one fails its file.
///
/// ```
/// use promgate::unittest::{MemoryLoader, StrictFinding, TestOptions, run_file};
/// let test = "rule_files: [missing.yml]\ntests:\n- input_series: [{series: up, values: '1'}]\n";
/// let options = TestOptions { strict: true, ..TestOptions::default() };
/// let report = run_file("t.yml", test, &MemoryLoader::default(), &options);
/// assert!(!report.is_success());
/// assert_eq!(report.strict, [StrictFinding::UnmatchedRuleFiles { pattern: "missing.yml".into() }]);
/// assert!(matches!(report.groups[0].strict[0], StrictFinding::UnreadInputSeries { index: 0, .. }));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StrictFinding {
    /// A `rule_files` pattern (joined to the test file's folder) matched no file; promtool
    /// only prints a warning and runs the tests without those rules.
    UnmatchedRuleFiles {
        /// The pattern.
        pattern: String,
    },
    /// The evaluator returned a warning or an info (Prometheus's annotations) for a
    /// `promql_expr_test` expression, e.g. `rate()` over a metric that is not a counter.
    QueryAnnotation {
        /// The case.
        case: CaseRef,
        /// Its expression.
        expr: String,
        /// Its `eval_time` (ms after the start).
        eval_time: i64,
        /// The annotation, `PromQL warning: ...` or `PromQL info: ...`, with its position.
        annotation: String,
    },
    /// A case's `eval_time` comes after every input series it reads has ended: the input
    /// series its expression selects (for an alert case, the alerting rules with that name),
    /// and those the rules it reads select, followed by metric name, all have their last
    /// sample further back than the expression and those rules can look (their ranges,
    /// offsets and lookback added up, plus an alert's `keep_firing_for`). So the case sees
    /// no input at all. Expressions calling `absent` or `absent_over_time` are left out, as
    /// they are meant to run on missing data.
    InputEnded {
        /// The case.
        case: CaseRef,
        /// The expression (promql case) or the alert name (alert case).
        what: String,
        /// Its `eval_time` (ms after the start).
        eval_time: i64,
        /// The last sample of the input series it reads (ms after the start).
        last_sample: i64,
    },
    /// An input series no selector of a rule (in any loaded rule file) and no `promql_expr_test`
    /// expression of its group can select: it tests nothing.
    UnreadInputSeries {
        /// Its 0-based position in `input_series`.
        index: usize,
        /// The series as written.
        series: String,
    },
}

impl fmt::Display for StrictFinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrictFinding::UnmatchedRuleFiles { pattern } => {
                write!(f, "rule_files pattern {pattern} matches no file")
            }
            StrictFinding::QueryAnnotation {
                case,
                expr,
                eval_time,
                annotation,
            } => write!(
                f,
                "{case} (expr: {}, time: {}): {annotation}",
                quote(expr),
                format_duration(*eval_time)
            ),
            StrictFinding::InputEnded {
                case,
                what,
                eval_time,
                last_sample,
            } => {
                let what = match case {
                    CaseRef::Alert(_) => format!("alertname: {what}"),
                    CaseRef::Promql(_) => format!("expr: {}", quote(what)),
                };
                write!(
                    f,
                    "{case} ({what}, time: {}): every input series it reads has ended by then (last sample at {})",
                    format_duration(*eval_time),
                    format_duration(*last_sample)
                )
            }
            StrictFinding::UnreadInputSeries { index, series } => write!(
                f,
                "input_series[{index}] {}: no rule and no promql_expr_test expression selects it",
                series.trim()
            ),
        }
    }
}

/// Can `selector` select a series with these labels? (Every matcher matches; a missing label
/// matches as the empty value.)
pub(crate) fn selects(selector: &VectorSelector, labels: &Labels) -> bool {
    selector
        .matchers
        .iter()
        .all(|m| m.matches(labels.get_or_empty(&m.name)))
}

/// Can `selector` select series named `metric`? Only the name is known for a rule's output, so
/// a selector must name the metric (as `rules::DependencyGraph` reads it).
pub(crate) fn selects_name(selector: &VectorSelector, metric: &str) -> bool {
    let mut named = false;
    for m in selector.matchers.iter().filter(|m| m.name == "__name__") {
        named = true;
        if !m.matches(metric) {
            return false;
        }
    }
    named
}

/// The selectors an expression reads, following the recording rules (by metric name) and the
/// alerting rules (by `ALERTS`/`ALERTS_FOR_STATE` and `alertname`) it may read, each rule once.
/// Also returns the rules reached, as (group index, rule index) in `groups`.
pub(crate) fn reads<'a>(
    exprs: &[&'a Expr],
    groups: &'a [RuleGroup],
) -> (Vec<&'a VectorSelector>, Vec<(usize, usize)>) {
    let mut selectors: Vec<&VectorSelector> = Vec::new();
    let mut seen: std::collections::BTreeSet<(usize, usize)> = Default::default();
    let mut queue: Vec<&Expr> = exprs.to_vec();
    while let Some(expr) = queue.pop() {
        for selector in crate::rules::deps::selectors(expr) {
            selectors.push(selector);
            for (gi, group) in groups.iter().enumerate() {
                for (ri, rule) in group.rules.iter().enumerate() {
                    let hit = match rule.kind {
                        RuleKind::Recording => selects_name(selector, &rule.name),
                        RuleKind::Alerting(_) => {
                            (selects_name(selector, "ALERTS")
                                || selects_name(selector, "ALERTS_FOR_STATE"))
                                && selector
                                    .matchers
                                    .iter()
                                    .all(|m| m.name != "alertname" || m.matches(&rule.name))
                        }
                    };
                    if hit && seen.insert((gi, ri)) {
                        queue.push(&rule.expr);
                    }
                }
            }
        }
    }
    (selectors, seen.into_iter().collect())
}

/// The last sample time among the input series `selectors` select (series without samples
/// left out), or `None` when they select none with a sample.
pub(crate) fn last_input_sample(
    selectors: &[&VectorSelector],
    inputs: &[(Labels, Option<Timestamp>)],
) -> Option<Timestamp> {
    inputs
        .iter()
        .filter(|(labels, _)| selectors.iter().any(|s| selects(s, labels)))
        .filter_map(|(_, last)| *last)
        .max()
}
