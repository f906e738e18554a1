//! Stable, readable tables of rule results for snapshot tests (`insta::assert_snapshot!`):
//! rule authors review changes with `cargo insta review` instead of hand-writing expected
//! values.

use std::fmt::Write as _;

use super::fixture::{GroupFixture, GroupSelector, load_test_group};
use crate::eval::{Engine, Value};
use crate::model::{Timestamp, format_float_g};
use crate::promql::Expr;
use crate::rules::{GroupEvaluator, RuleEvalOptions, RuleGroup, RuleKind};
use crate::syntax::lex::format_duration;

/// Runs `groups` over a test group's series (every `step` from its start, each group at its
/// interval) and prints, at each of `times` (durations after the start), every recording
/// rule's series and every alert that is pending or firing. Lines are sorted, floats printed
/// as Go prints them, so the table is the same on every run.
///
/// ```
/// use promgate::eval::Semantics;
/// use promgate::rules::{RuleFile, RuleLoadOptions};
/// use promgate::unittest::{GroupSelector, load_test_group, rules_table};
/// let rules = "groups:\n- name: g\n  rules:\n  - record: twice\n    expr: up * 2\n  - alert: Down\n    expr: up == 0\n    for: 1m\n";
/// let groups = RuleFile::parse("r.yml", rules, &RuleLoadOptions::default()).unwrap().groups;
/// let test = "tests:\n- interval: 1m\n  input_series:\n  - {series: 'up{job=\"a\"}', values: '1 0 0'}\n";
/// let fixture = load_test_group(test, GroupSelector::First, Semantics::Prometheus3).unwrap();
/// let table = rules_table(&groups, &fixture, 60_000, &[0, 120_000]);
/// assert_eq!(table, "\
/// at 0s
///   twice{job=\"a\"} 2
/// at 2m
///   twice{job=\"a\"} 0
///   ALERT Down{job=\"a\"} firing since 1m
/// ");
/// ```
pub fn rules_table(
    groups: &[RuleGroup],
    fixture: &GroupFixture,
    step: i64,
    times: &[Timestamp],
) -> String {
    let engine = Engine::new(fixture.engine.clone());
    let recorded: Vec<Expr> = groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter(|r| matches!(r.kind, RuleKind::Recording))
        .filter_map(|r| crate::promql::parse(&quote_name(&r.name)).ok())
        .collect();
    step_through(groups, fixture, step, times, |out, store, rules, at| {
        let mut lines = Vec::new();
        for expr in &recorded {
            if let Ok(r) = engine.instant_query(store, expr, fixture.start + at)
                && let Value::Vector(samples) = r.value
            {
                lines.extend(samples.iter().map(|s| sample_line(&s.metric, s.f, &s.h)));
            }
        }
        lines.sort();
        let mut alerts = Vec::new();
        for (_, rule, alert) in rules.all_alerts() {
            if alert.state == crate::rules::AlertState::Inactive {
                continue;
            }
            let labels = alert.labels.builder().del("alertname").build();
            alerts.push(format!(
                "  ALERT {}{} {} since {}",
                rule.name,
                if labels.is_empty() {
                    String::new()
                } else {
                    labels.to_string()
                },
                alert.state,
                format_duration(alert.active_at - fixture.start)
            ));
        }
        alerts.sort();
        for line in lines.into_iter().chain(alerts) {
            let _ = writeln!(out, "{line}");
        }
    })
}

/// Runs `groups` over a test group's series as [`rules_table`] does and prints, at each of
/// `times`, the result of `expr`: one sorted line per series, `scalar` or `string` for the
/// other types, `ERROR` when the query fails. With no rule groups it reads the input series
/// alone.
///
/// ```
/// use promgate::eval::Semantics;
/// use promgate::unittest::{GroupSelector, expr_table, load_test_group};
/// let test = "tests:\n- interval: 1m\n  input_series:\n  - {series: 'up{job=\"a\"}', values: '1 0 1'}\n  - {series: 'up{job=\"b\"}', values: '1 1 1'}\n";
/// let fixture = load_test_group(test, GroupSelector::First, Semantics::Prometheus3).unwrap();
/// let expr = promgate::parse("sum by (job) (up)").unwrap();
/// let table = expr_table(&[], &fixture, 60_000, &expr, &[0, 60_000]);
/// assert_eq!(table, "\
/// at 0s
///   {job=\"a\"} 1
///   {job=\"b\"} 1
/// at 1m
///   {job=\"a\"} 0
///   {job=\"b\"} 1
/// ");
/// ```
pub fn expr_table(
    groups: &[RuleGroup],
    fixture: &GroupFixture,
    step: i64,
    expr: &Expr,
    times: &[Timestamp],
) -> String {
    let engine = Engine::new(fixture.engine.clone());
    step_through(
        groups,
        fixture,
        step,
        times,
        |out, store, _, at| match engine.instant_query(store, expr, fixture.start + at) {
            Err(e) => {
                let _ = writeln!(out, "  ERROR {e}");
            }
            Ok(r) => match r.value {
                Value::Vector(samples) => {
                    let mut lines: Vec<String> = samples
                        .iter()
                        .map(|s| sample_line(&s.metric, s.f, &s.h))
                        .collect();
                    lines.sort();
                    for line in lines {
                        let _ = writeln!(out, "{line}");
                    }
                }
                Value::Scalar(f) => {
                    let _ = writeln!(out, "  scalar {}", format_float_g(f));
                }
                Value::String(text) => {
                    let _ = writeln!(out, "  string {}", crate::syntax::lex::quote(&text));
                }
                Value::Matrix(series) => {
                    for s in series {
                        let _ = writeln!(out, "  {}", series_name(&s.metric));
                        for p in &s.floats {
                            let _ = writeln!(
                                out,
                                "    {} @{}",
                                format_float_g(p.f),
                                format_duration(p.t - fixture.start)
                            );
                        }
                    }
                }
            },
        },
    )
}

/// Steps the rules from the fixture's start to the last of `times` and calls `at_time` for
/// each wanted time (in order, after the rules evaluated at or before it), under an
/// `at <time>` header and any rule errors of that step.
fn step_through(
    groups: &[RuleGroup],
    fixture: &GroupFixture,
    step: i64,
    times: &[Timestamp],
    mut at_time: impl FnMut(&mut String, &crate::store::Store, &GroupEvaluator, Timestamp),
) -> String {
    let mut store = fixture.store.clone();
    let mut rules = GroupEvaluator::new(
        groups.to_vec(),
        RuleEvalOptions {
            engine: fixture.engine.clone(),
            ..RuleEvalOptions::default()
        },
    );
    let mut wanted: Vec<Timestamp> = times.to_vec();
    wanted.sort_unstable();
    let mut out = String::new();
    let end = wanted.last().copied().unwrap_or(0);
    let mut next = 0;
    let mut t = 0;
    while t <= end && step > 0 {
        let ts = fixture.start + t;
        let errors = rules.eval_due(&mut store, ts, fixture.start, step);
        while next < wanted.len() && wanted[next] < t + step {
            let at = wanted[next];
            next += 1;
            let _ = writeln!(out, "at {}", format_duration(at));
            for e in &errors {
                let _ = writeln!(out, "  ERROR {e}");
            }
            at_time(&mut out, &store, &rules, at);
        }
        t += step;
    }
    out
}

/// `  name{labels} value`, a histogram in its debug form.
fn sample_line(
    metric: &crate::Labels,
    f: f64,
    h: &Option<std::sync::Arc<crate::model::FloatHistogram>>,
) -> String {
    let value = match h {
        Some(h) => format!("{h:?}"),
        None => format_float_g(f),
    };
    format!("  {} {value}", series_name(metric))
}

/// `name{labels}` as PromQL writes a series, without `__name__` among the labels.
fn series_name(labels: &crate::Labels) -> String {
    let name = labels.metric_name().unwrap_or("").to_string();
    let rest = labels.without_metric_name();
    if rest.is_empty() {
        name
    } else {
        format!("{name}{rest}")
    }
}

/// A selector for a metric name, quoted when it is not a legacy name.
fn quote_name(name: &str) -> String {
    if crate::syntax::lex::is_legacy_metric_name(name) {
        name.to_string()
    } else {
        format!("{{{}}}", crate::syntax::lex::quote(name))
    }
}

/// Why a snapshot's files could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// A file that could not be read, or a glob that matched nothing.
    #[error("{0}")]
    Read(String),
    /// A rule file that does not load.
    #[error("{0}")]
    Rules(String),
    /// The test group that does not load.
    #[error("{path}: {error}")]
    Fixture {
        /// The test file.
        path: String,
        /// Why.
        error: super::GroupLoadError,
    },
    /// A time that is not a duration.
    #[error("time {text:?}: {error}")]
    Time {
        /// The text.
        text: String,
        /// Why.
        error: crate::syntax::lex::DurationError,
    },
    /// The expression does not parse.
    #[error("{0}")]
    Expr(String),
}

/// Reads the rule files matching a glob (none: `""`) and a test group of a promtool test file
/// (its input series are the fixture), and parses the times (durations after the group's
/// start).
fn read_snapshot_files(
    rules: &str,
    test_file: &std::path::Path,
    group: GroupSelector<'_>,
    times: &[&str],
) -> Result<(Vec<RuleGroup>, GroupFixture, Vec<Timestamp>), SnapshotError> {
    let mut groups = Vec::new();
    if !rules.is_empty() {
        let files = super::glob_files(rules).map_err(SnapshotError::Read)?;
        if files.is_empty() {
            return Err(SnapshotError::Read(format!("no rule file matches {rules}")));
        }
        for path in files {
            let text = crate::syntax::read_text_file(std::path::Path::new(&path))
                .map_err(SnapshotError::Read)?;
            let file = crate::rules::RuleFile::parse(
                &path,
                &text,
                &crate::rules::RuleLoadOptions::default(),
            )
            .map_err(|e| SnapshotError::Rules(e.to_string()))?;
            groups.extend(file.groups);
        }
    }
    let text = crate::syntax::read_text_file(test_file).map_err(SnapshotError::Read)?;
    let fixture =
        load_test_group(&text, group, crate::eval::Semantics::Prometheus3).map_err(|error| {
            SnapshotError::Fixture {
                path: test_file.display().to_string(),
                error,
            }
        })?;
    let times = times
        .iter()
        .map(|t| {
            crate::syntax::lex::parse_duration(t).map_err(|error| SnapshotError::Time {
                text: t.to_string(),
                error,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((groups, fixture, times))
}

/// [`rules_table`] over files: the rule files matching `rules` (a glob), the input series of
/// a test group of the promtool test file `test_file`, stepped at the file's
/// `evaluation_interval`, printed at `times` (durations such as `"5m"`). This is what
/// [`assert_rules_snapshot!`](crate::assert_rules_snapshot) snapshots.
///
/// ```no_run
/// use promgate::unittest::{GroupSelector, rules_table_from_files};
/// let table = rules_table_from_files(
///     "rules/*.yml",
///     std::path::Path::new("tests/fixtures/outage.yml"),
///     GroupSelector::First,
///     &["0s", "5m", "10m"],
/// )
/// .unwrap();
/// println!("{table}");
/// ```
pub fn rules_table_from_files(
    rules: &str,
    test_file: &std::path::Path,
    group: GroupSelector<'_>,
    times: &[&str],
) -> Result<String, SnapshotError> {
    let (groups, fixture, times) = read_snapshot_files(rules, test_file, group, times)?;
    let step = fixture.engine.default_subquery_step;
    Ok(rules_table(&groups, &fixture, step, &times))
}

/// [`expr_table`] over files, as [`rules_table_from_files`] reads them (`rules` may be `""`
/// for none). This is what [`assert_expr_snapshot!`](crate::assert_expr_snapshot) snapshots.
///
/// ```no_run
/// use promgate::unittest::{GroupSelector, expr_table_from_files};
/// let table = expr_table_from_files(
///     "rules/*.yml",
///     std::path::Path::new("tests/fixtures/outage.yml"),
///     GroupSelector::First,
///     "job:errors:ratio5m > 0.05",
///     &["5m", "10m"],
/// )
/// .unwrap();
/// println!("{table}");
/// ```
pub fn expr_table_from_files(
    rules: &str,
    test_file: &std::path::Path,
    group: GroupSelector<'_>,
    expr: &str,
    times: &[&str],
) -> Result<String, SnapshotError> {
    let parsed = crate::promql::parse(expr).map_err(|e| SnapshotError::Expr(e.to_string()))?;
    let (groups, fixture, times) = read_snapshot_files(rules, test_file, group, times)?;
    let step = fixture.engine.default_subquery_step;
    Ok(expr_table(&groups, &fixture, step, &parsed, &times))
}

/// Snapshots (with insta, which the calling crate must depend on) every recording rule's
/// series and every pending or firing alert of the rule files matching a glob, over the input
/// series of a promtool test file's first test group, at the given times. Paths are relative
/// to the calling crate. Review changes with `cargo insta review`.
///
/// ```no_run
/// #[test]
/// fn api_rules_during_an_outage() {
///     promgate::assert_rules_snapshot!("rules/*.yml", "tests/fixtures/outage.yml", ["0s", "5m", "10m"]);
/// }
/// ```
#[macro_export]
macro_rules! assert_rules_snapshot {
    ($rules:expr, $test_file:expr, [$($at:expr),+ $(,)?]) => {{
        let dir = ::std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let table = $crate::unittest::rules_table_from_files(
            &dir.join($rules).display().to_string(),
            &dir.join($test_file),
            $crate::unittest::GroupSelector::First,
            &[$($at),+],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        ::insta::assert_snapshot!(table);
    }};
}

/// Snapshots (with insta) an expression's result over the input series of a promtool test
/// file's first test group, after the rule files matching a glob (`""` for none) ran, at the
/// given times. Paths are relative to the calling crate.
///
/// ```no_run
/// #[test]
/// fn error_ratio_during_an_outage() {
///     promgate::assert_expr_snapshot!(
///         "rules/*.yml",
///         "tests/fixtures/outage.yml",
///         "job:errors:ratio5m",
///         ["5m", "10m"]
///     );
/// }
/// ```
#[macro_export]
macro_rules! assert_expr_snapshot {
    ($rules:expr, $test_file:expr, $expr:expr, [$($at:expr),+ $(,)?]) => {{
        let dir = ::std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let rules: &str = $rules;
        let rules = if rules.is_empty() { String::new() } else { dir.join(rules).display().to_string() };
        let table = $crate::unittest::expr_table_from_files(
            &rules,
            &dir.join($test_file),
            $crate::unittest::GroupSelector::First,
            $expr,
            &[$($at),+],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        ::insta::assert_snapshot!(table);
    }};
}
