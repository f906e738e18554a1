//! `--coverage`: which rules the tests exercise.
//!
//! A **recording rule** is exercised when, in one test group, it produced a non-empty result at
//! some evaluation, and an assertion of that group with an `eval_time` at or after that
//! evaluation reads its output: a `promql_expr_test` expression, or the alerting rules an
//! `alert_rule_test` case names, selecting it by metric name, directly or through other rules.
//! Failed assertions count as reading. An **alerting rule** is exercised when a passing
//! `alert_rule_test` case expected it firing (non-empty `exp_alerts`): a case that only expects
//! silence also passes for a rule whose expression can never match (a typo in a metric name).
//!
//! Rules are evaluated only up to a group's last `eval_time`, so every evaluation counted is at
//! or before an asserted time. Groups that stop early (a setup or rule evaluation error) or that
//! `--run` leaves out count for nothing. The counts are the same whether a group runs in
//! blocks or step by step, and on any number of threads.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::Timestamp;
use crate::promql::Expr;
use crate::rules::{RuleFile, RuleGroup, RuleKind};

/// How the tests use one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleUsage {
    /// A recording rule.
    Recording {
        /// It produced a non-empty result at some evaluation, in some test group.
        produced: bool,
        /// An assertion reads its output, directly or through other rules, in some test group.
        read: bool,
    },
    /// An alerting rule.
    Alerting {
        /// A passing `alert_rule_test` case expected it firing (non-empty `exp_alerts`).
        asserted_firing: bool,
        /// A passing `alert_rule_test` case expected it silent (empty `exp_alerts`).
        asserted_silent: bool,
        /// One of its alerts was pending or firing at some evaluation.
        active: bool,
        /// One of its alerts was firing at some evaluation.
        fired: bool,
    },
}

impl RuleUsage {
    /// How an alerting rule was asserted: `firing`, `silent`, `both` or `never` (`-` for a
    /// recording rule).
    ///
    /// ```
    /// use promgate::unittest::RuleUsage;
    /// let u = RuleUsage::Alerting { asserted_firing: true, asserted_silent: true, active: true, fired: true };
    /// assert_eq!(u.asserted(), "both");
    /// ```
    pub fn asserted(&self) -> &'static str {
        match self {
            RuleUsage::Recording { .. } => "-",
            RuleUsage::Alerting {
                asserted_firing,
                asserted_silent,
                ..
            } => match (asserted_firing, asserted_silent) {
                (true, true) => "both",
                (true, false) => "firing",
                (false, true) => "silent",
                (false, false) => "never",
            },
        }
    }

    fn merge(&mut self, other: &RuleUsage) {
        match (self, other) {
            (
                RuleUsage::Recording { produced, read },
                RuleUsage::Recording {
                    produced: p,
                    read: r,
                },
            ) => {
                *produced |= p;
                *read |= r;
            }
            (
                RuleUsage::Alerting {
                    asserted_firing,
                    asserted_silent,
                    active,
                    fired,
                },
                RuleUsage::Alerting {
                    asserted_firing: af,
                    asserted_silent: asl,
                    active: ac,
                    fired: fi,
                },
            ) => {
                *asserted_firing |= af;
                *asserted_silent |= asl;
                *active |= ac;
                *fired |= fi;
            }
            _ => {}
        }
    }
}

/// One rule's coverage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCoverage {
    /// The rule file (as the test file's `rule_files` resolved it).
    pub file: String,
    /// The rule group.
    pub group: String,
    /// The rule's 0-based position in its group.
    pub index: usize,
    /// The record or alert name.
    pub name: String,
    /// How the tests use it.
    pub usage: RuleUsage,
    /// Whether the tests exercise it (see [`Coverage`]).
    pub exercised: bool,
}

/// Which rules the tests exercise ([`TestOptions::coverage`](super::TestOptions::coverage)).
///
/// A recording rule is exercised when, in one test group, it produced a non-empty result and an
/// assertion at or after that evaluation reads it (directly or through other rules); an alerting
/// rule when a passing `alert_rule_test` case expected it firing.
///
/// ```
/// use promgate::unittest::{Coverage, MemoryLoader, TestOptions, run_file};
/// let rules = "groups:\n- name: g\n  rules:\n  - record: twice\n    expr: up * 2\n  - alert: Down\n    expr: up == 0\n";
/// let test = "rule_files: [r.yml]\ntests:\n- input_series: [{series: up, values: '1'}]\n  promql_expr_test: [{expr: twice, exp_samples: [{labels: twice, value: 2}]}]\n";
/// let options = TestOptions { coverage: true, ..TestOptions::default() };
/// let report = run_file("t.yml", test, &MemoryLoader::new([("r.yml", rules)]), &options);
/// let coverage = Coverage::from_reports(std::slice::from_ref(&report));
/// assert_eq!((coverage.exercised(), coverage.total()), (1, 2));
/// assert_eq!(coverage.percent(), 50.0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Every rule of the loaded rule files, in file, group and rule order.
    pub rules: Vec<RuleCoverage>,
}

impl Coverage {
    /// The coverage of several test files together (a rule file several test files load
    /// counts once, exercised if any of them exercises it).
    pub fn from_reports(reports: &[super::FileReport]) -> Coverage {
        let mut all = Coverage::default();
        for coverage in reports.iter().filter_map(|r| r.coverage.as_ref()) {
            all.merge(coverage);
        }
        all
    }

    /// Adds another run's coverage: rules are matched by file, group and position.
    pub fn merge(&mut self, other: &Coverage) {
        let mut at: BTreeMap<(String, String, usize), usize> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.file.clone(), r.group.clone(), r.index), i))
            .collect();
        for rule in &other.rules {
            let key = (rule.file.clone(), rule.group.clone(), rule.index);
            match at.get(&key) {
                Some(&i) => {
                    let mine = &mut self.rules[i];
                    mine.usage.merge(&rule.usage);
                    mine.exercised |= rule.exercised;
                }
                None => {
                    at.insert(key, self.rules.len());
                    self.rules.push(rule.clone());
                }
            }
        }
    }

    /// How many rules are exercised.
    pub fn exercised(&self) -> usize {
        self.rules.iter().filter(|r| r.exercised).count()
    }

    /// How many rules there are.
    pub fn total(&self) -> usize {
        self.rules.len()
    }

    /// The share of exercised rules, in percent (100 when there are no rules).
    pub fn percent(&self) -> f64 {
        if self.rules.is_empty() {
            return 100.0;
        }
        self.exercised() as f64 * 100.0 / self.rules.len() as f64
    }

    /// A text table: one line per rule, then the totals.
    ///
    /// ```
    /// let c = promgate::unittest::Coverage::default();
    /// assert_eq!(c.table(), "rule coverage: 0 of 0 rules exercised (100.0%)\n");
    /// ```
    pub fn table(&self) -> String {
        let mut rows: Vec<[String; 6]> = vec![[
            "RULE".into(),
            "KIND".into(),
            "EXERCISED".into(),
            "RESULT".into(),
            "ASSERTED".into(),
            "WHERE".into(),
        ]];
        for r in &self.rules {
            let yes = |b: bool| if b { "yes" } else { "no" };
            let (kind, result, asserted) = match r.usage {
                RuleUsage::Recording { produced, read } => (
                    "record",
                    if produced { "produced" } else { "empty" },
                    if read { "read" } else { "never" },
                ),
                RuleUsage::Alerting { active, fired, .. } => (
                    "alert",
                    match (fired, active) {
                        (true, _) => "fired",
                        (false, true) => "pending",
                        (false, false) => "inactive",
                    },
                    r.usage.asserted(),
                ),
            };
            rows.push([
                r.name.clone(),
                kind.into(),
                yes(r.exercised).into(),
                result.into(),
                asserted.into(),
                format!("{} group {:?} rule {}", r.file, r.group, r.index + 1),
            ]);
        }
        let mut out = String::new();
        if self.rules.is_empty() {
            rows.clear();
        }
        let widths: Vec<usize> = (0..6)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let _ = write!(line, "{cell:<w$}  ", w = widths[c]);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "rule coverage: {} of {} rules exercised ({:.1}%)",
            self.exercised(),
            self.total(),
            self.percent()
        );
        out
    }
}

/// Every rule of the loaded files, nothing exercised yet.
pub(crate) fn base(files: &[RuleFile]) -> Coverage {
    let mut rules = Vec::new();
    for file in files {
        for group in &file.groups {
            for (index, rule) in group.rules.iter().enumerate() {
                let usage = match rule.kind {
                    RuleKind::Recording => RuleUsage::Recording {
                        produced: false,
                        read: false,
                    },
                    RuleKind::Alerting(_) => RuleUsage::Alerting {
                        asserted_firing: false,
                        asserted_silent: false,
                        active: false,
                        fired: false,
                    },
                };
                rules.push(RuleCoverage {
                    file: group.file.clone(),
                    group: group.name.clone(),
                    index,
                    name: rule.name.clone(),
                    usage,
                    exercised: false,
                });
            }
        }
    }
    Coverage { rules }
}

/// An alert assertion as checked: its alert name, `eval_time`, whether it expected alerts, and
/// whether it passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AlertCheck {
    pub alertname: String,
    pub eval_time: i64,
    pub expected_firing: bool,
    pub passed: bool,
}

/// One test group's coverage.
///
/// `groups` are the rule groups in evaluation order; `activity` each rule's first output and
/// first firing time (as `GroupEvaluator::activity` gives them, in the same order); `promql`
/// the parsed expressions of the expression tests with their `eval_time`.
pub(crate) fn group_coverage(
    files: &[RuleFile],
    groups: &[RuleGroup],
    activity: &[(Option<Timestamp>, Option<Timestamp>)],
    promql: &[(i64, &Expr)],
    alerts: &[AlertCheck],
    mint: Timestamp,
) -> Coverage {
    // The latest asserted time reading each rule (by position in `groups`).
    let mut read_until: BTreeMap<(usize, usize), i64> = BTreeMap::new();
    let mut note = |reached: Vec<(usize, usize)>, t: i64| {
        for r in reached {
            let e = read_until.entry(r).or_insert(t);
            *e = (*e).max(t);
        }
    };
    for (t, expr) in promql {
        note(super::strict::reads(&[*expr], groups).1, *t);
    }
    for check in alerts {
        let exprs: Vec<&Expr> = groups
            .iter()
            .flat_map(|g| &g.rules)
            .filter(|r| r.is_alert() && r.name == check.alertname)
            .map(|r| &r.expr)
            .collect();
        note(super::strict::reads(&exprs, groups).1, check.eval_time);
    }
    let mut by_key: BTreeMap<(String, String, usize), RuleCoverage> = BTreeMap::new();
    let mut positions = activity.iter();
    for (gi, group) in groups.iter().enumerate() {
        for (ri, rule) in group.rules.iter().enumerate() {
            let (first_output, first_firing) = positions.next().copied().unwrap_or_default();
            let (usage, exercised) = match rule.kind {
                RuleKind::Recording => {
                    let read = read_until.get(&(gi, ri)).copied();
                    let exercised =
                        matches!((first_output, read), (Some(f), Some(t)) if f - mint <= t);
                    (
                        RuleUsage::Recording {
                            produced: first_output.is_some(),
                            read: read.is_some(),
                        },
                        exercised,
                    )
                }
                RuleKind::Alerting(_) => {
                    let passed = |firing: bool| {
                        alerts.iter().any(|c| {
                            c.passed && c.expected_firing == firing && c.alertname == rule.name
                        })
                    };
                    (
                        RuleUsage::Alerting {
                            asserted_firing: passed(true),
                            asserted_silent: passed(false),
                            active: first_output.is_some(),
                            fired: first_firing.is_some(),
                        },
                        passed(true),
                    )
                }
            };
            by_key.insert(
                (group.file.clone(), group.name.clone(), ri),
                RuleCoverage {
                    file: group.file.clone(),
                    group: group.name.clone(),
                    index: ri,
                    name: rule.name.clone(),
                    usage,
                    exercised,
                },
            );
        }
    }
    // In file order.
    let mut coverage = base(files);
    for rule in &mut coverage.rules {
        let found = by_key.remove(&(rule.file.clone(), rule.group.clone(), rule.index));
        if let Some(found) = found {
            *rule = found;
        }
    }
    coverage
}
