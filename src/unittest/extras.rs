//! What a test group collects beside its failures for `--strict`, `--coverage` and `--debug`.

use super::coverage::{AlertCheck, Coverage};
use super::file::{PromqlTestCase, TestGroup};
use super::strict::{self, CaseRef, StrictFinding};
use super::{GroupDebug, GroupReport, TestOptions};
use crate::Labels;
use crate::eval::Annotations;
use crate::fixture::LazyLoader;
use crate::model::Timestamp;
use crate::promql::{Expr, ParseOptions};
use crate::rules::{GroupEvaluator, RuleFile, RuleGroup};
use crate::store::Store;

/// One group's extras, filled in as it runs.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    /// Strict findings known before evaluation (unread input series, ended input).
    strict: Vec<StrictFinding>,
    /// Query annotations, by promql case position (cases are checked in another order in
    /// blocks than step by step).
    annotations: Vec<(usize, StrictFinding)>,
    /// The alert assertions as checked, for coverage.
    pub(crate) alert_checks: Vec<AlertCheck>,
    coverage: Option<Coverage>,
    /// The `--debug` dump.
    pub(crate) dump: Option<String>,
}

impl Extras {
    /// Where the parts that block evaluation adds to stand, to go back to when it falls back
    /// to steps.
    pub(crate) fn checkpoint(&self) -> (usize, usize) {
        (self.annotations.len(), self.alert_checks.len())
    }

    pub(crate) fn rewind(&mut self, (annotations, alert_checks): (usize, usize)) {
        self.annotations.truncate(annotations);
        self.alert_checks.truncate(alert_checks);
    }

    /// The strict findings about input series: those nothing reads, and cases evaluated after
    /// every input series they read has ended.
    pub(crate) fn strict_inputs(
        &mut self,
        options: &TestOptions,
        group: &TestGroup,
        loader: &LazyLoader,
        rules: &[RuleGroup],
        mint: Timestamp,
        engine: &crate::eval::EngineOptions,
    ) {
        let mut store = Store::new();
        let _ = loader.clone().append_till(&mut store, i64::MAX);
        // The loader keeps its series in label order: find each input series by its labels.
        let inputs: Vec<(Labels, Option<Timestamp>)> = group
            .input_series
            .iter()
            .filter_map(|s| crate::fixture::parse_series_descriptor(&s.value.series.value).ok())
            .map(|labels| {
                let last = store.find(&labels).and_then(|id| {
                    let s = store.series(id);
                    let f = s.floats().last().map(|p| p.t);
                    let h = s.histograms().last().map(|p| p.t);
                    f.max(h)
                });
                (labels, last.map(|t| t - mint))
            })
            .collect();
        let parse = |text: &str| crate::promql::parse_with(text, &options.parse).ok();
        let promql: Vec<(usize, i64, String, Option<Expr>)> = group
            .promql_expr_test
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let t = eval_time(&c.value.eval_time);
                (i, t, c.value.expr.value.clone(), parse(&c.value.expr.value))
            })
            .collect();
        // Input series that no rule and no expression test can select.
        let mut selectors = Vec::new();
        for rule in rules.iter().flat_map(|g| &g.rules) {
            selectors.extend(crate::rules::deps::selectors(&rule.expr));
        }
        for (_, _, _, expr) in &promql {
            if let Some(expr) = expr {
                selectors.extend(crate::rules::deps::selectors(expr));
            }
        }
        for (index, (labels, _)) in inputs.iter().enumerate() {
            if !selectors.iter().any(|s| strict::selects(s, labels)) {
                let series = group
                    .input_series
                    .get(index)
                    .map(|s| s.value.series.value.clone())
                    .unwrap_or_else(|| labels.to_string());
                self.strict
                    .push(StrictFinding::UnreadInputSeries { index, series });
            }
        }
        // Cases evaluated when every input series they read has ended: its last sample is
        // further back than the expression and the rules it reads can look (their reach
        // added up, and an alert's keep_firing_for). Tests of absent() are meant to run then.
        let horizon = |exprs: &[&Expr], reached: &[(usize, usize)]| -> Option<i64> {
            let reach = |e: &Expr| {
                crate::eval::reach(e, engine.lookback_delta, engine.default_subquery_step)
            };
            let mut total = 0i64;
            for expr in exprs
                .iter()
                .copied()
                .chain(reached.iter().map(|&(g, r)| &rules[g].rules[r].expr))
            {
                if calls_absent(expr) {
                    return None;
                }
                total = total.checked_add(reach(expr)?)?;
            }
            Some(total)
        };
        let mut ended = |case: CaseRef, what: String, t: i64, exprs: &[&Expr], extra: i64| {
            let (read, reached) = strict::reads(exprs, rules);
            let Some(horizon) = horizon(exprs, &reached) else {
                return;
            };
            if let Some(last) = strict::last_input_sample(&read, &inputs)
                && t > last.saturating_add(horizon).saturating_add(extra)
            {
                self.strict.push(StrictFinding::InputEnded {
                    case,
                    what,
                    eval_time: t,
                    last_sample: last,
                });
            }
        };
        for (i, case) in group.alert_rule_test.iter().enumerate() {
            let case = &case.value;
            let named: Vec<&crate::rules::Rule> = rules
                .iter()
                .flat_map(|g| &g.rules)
                .filter(|r| r.is_alert() && r.name == case.alertname)
                .collect();
            let exprs: Vec<&Expr> = named.iter().map(|r| &r.expr).collect();
            let keep_firing = named
                .iter()
                .map(|r| match &r.kind {
                    crate::rules::RuleKind::Alerting(a) => a.keep_firing_for,
                    crate::rules::RuleKind::Recording => 0,
                })
                .max()
                .unwrap_or(0);
            let t = eval_time(&case.eval_time);
            ended(
                CaseRef::Alert(i),
                case.alertname.clone(),
                t,
                &exprs,
                keep_firing,
            );
        }
        for (i, t, text, expr) in &promql {
            if let Some(expr) = expr {
                ended(CaseRef::Promql(*i), text.clone(), *t, &[expr], 0);
            }
        }
    }

    /// Notes the warnings and infos of a promql case's query.
    pub(crate) fn annotations(
        &mut self,
        group: &TestGroup,
        case: &PromqlTestCase,
        eval_time: i64,
        annotations: &Annotations,
    ) {
        let Some(index) = group
            .promql_expr_test
            .iter()
            .position(|c| std::ptr::eq(&c.value, case))
        else {
            return;
        };
        for a in annotations.iter() {
            self.annotations.push((
                index,
                StrictFinding::QueryAnnotation {
                    case: CaseRef::Promql(index),
                    expr: case.expr.value.clone(),
                    eval_time,
                    annotation: a.with_position(&case.expr.value),
                },
            ));
        }
    }

    /// Works out the group's coverage once it ran to its end.
    pub(crate) fn coverage(
        &mut self,
        files: &[RuleFile],
        evaluator: &GroupEvaluator,
        promql_cases: &[(i64, &PromqlTestCase)],
        mint: Timestamp,
        parse: &ParseOptions,
    ) {
        let groups: Vec<RuleGroup> = evaluator.groups().cloned().collect();
        let activity: Vec<(Option<Timestamp>, Option<Timestamp>)> = evaluator
            .activity()
            .map(|(_, _, output, firing)| (output, firing))
            .collect();
        let parsed: Vec<(i64, Expr)> = promql_cases
            .iter()
            .filter_map(|(t, c)| {
                crate::promql::parse_with(&c.expr.value, parse)
                    .ok()
                    .map(|e| (*t, e))
            })
            .collect();
        let promql: Vec<(i64, &Expr)> = parsed.iter().map(|(t, e)| (*t, e)).collect();
        self.coverage = Some(super::coverage::group_coverage(
            files,
            &groups,
            &activity,
            &promql,
            &self.alert_checks,
            mint,
        ));
    }

    /// Moves what was collected into the group's report.
    pub(crate) fn fill(
        mut self,
        report: &mut GroupReport,
        options: &TestOptions,
        elapsed: std::time::Duration,
    ) {
        self.annotations.sort_by_key(|(i, _)| *i);
        report.strict = self.strict;
        report
            .strict
            .extend(self.annotations.into_iter().map(|(_, f)| f));
        report.coverage = self.coverage;
        if options.debug {
            report.debug = Some(GroupDebug {
                elapsed,
                dump: self.dump,
            });
        }
    }
}

/// Does the expression call `absent` or `absent_over_time`?
fn calls_absent(expr: &Expr) -> bool {
    let mut found = false;
    expr.walk(&mut |e| {
        if let crate::promql::ExprKind::Call(c) = &e.kind {
            found |= matches!(c.func.name, "absent" | "absent_over_time");
        }
    });
    found
}

/// A case's `eval_time` in ms (0 when it does not parse: the group fails on it anyway).
fn eval_time(field: &Option<crate::yaml::Spanned<String>>) -> i64 {
    field
        .as_ref()
        .and_then(|d| crate::syntax::lex::parse_duration(&d.value).ok())
        .unwrap_or(0)
}
