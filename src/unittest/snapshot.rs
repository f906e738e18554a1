//! Stable, readable tables of rule results for snapshot tests (`insta::assert_snapshot!`):
//! rule authors review changes with `cargo insta review` instead of hand-writing expected
//! values.

use std::fmt::Write as _;

use super::fixture::GroupFixture;
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
    let engine = Engine::new(fixture.engine.clone());
    let recorded: Vec<Expr> = groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter(|r| matches!(r.kind, RuleKind::Recording))
        .filter_map(|r| crate::promql::parse(&quote_name(&r.name)).ok())
        .collect();
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
            let mut lines = Vec::new();
            for expr in &recorded {
                if let Ok(r) = engine.instant_query(&store, expr, fixture.start + at)
                    && let Value::Vector(samples) = r.value
                {
                    for s in samples {
                        let value = match &s.h {
                            Some(h) => format!("{h:?}"),
                            None => format_float_g(s.f),
                        };
                        lines.push(format!("  {} {value}", series_name(&s.metric)));
                    }
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
        }
        t += step;
    }
    out
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
