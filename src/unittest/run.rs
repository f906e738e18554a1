//! Running one test file as promtool does (see `shared/spec/rule-testing.md` §3).

use super::extras::Extras;
use super::file::{PromqlTestCase, TestFile, TestGroup, parse_start_timestamp};
use super::{
    AlertFailure, Failure, FileLoader, FileReport, GroupReport, PromqlFailure, PromqlFailureKind,
    StrictFinding, TestOptions,
};
use crate::Labels;
use crate::eval::{Engine, EngineOptions, Semantics, Value};
use crate::fixture::{
    InputSeriesOptions, LazyLoader, NotationDialect, SeriesValue, format_series_values,
    parse_series_descriptor, parse_series_line,
};
use crate::model::{Timestamp, format_float_e};
use crate::rules::{GroupEvaluator, RuleEvalOptions, RuleFile, RuleGroup, RuleLoadOptions};
use crate::store::Store;
use crate::syntax::lex::parse_duration;
use crate::yaml::{self, Spanned};

/// What every test group of a file shares.
struct FileContext<'a> {
    /// The test file's path, as given.
    path: &'a str,
    options: &'a TestOptions,
    evaluation_interval: i64,
    fuzzy_compare: bool,
    /// The file's `epsilon` (promgate extension).
    epsilon: Option<super::Epsilon>,
    /// The rule files, loaded once: their groups, or their problems as promtool prints them.
    rules: Result<Vec<RuleFile>, Vec<String>>,
    /// Group name → position in `group_eval_order`.
    order: Vec<String>,
}

/// Runs a test file given as text. `path` names it and anchors relative `rule_files`; rule
/// files are read through `loader`.
pub fn run_file(
    path: &str,
    text: &str,
    loader: &dyn FileLoader,
    options: &TestOptions,
) -> FileReport {
    let mut report = FileReport {
        path: path.to_string(),
        ..FileReport::default()
    };
    // promtool 2.42 decodes with its own (older) types, so newer keys fail the whole file.
    if options.semantics == Semantics::Prometheus2
        && let Some(message) = super::file::unknown_fields_2_42(text)
    {
        report.error = Some(message);
        return report;
    }
    let file: TestFile = match yaml::from_str::<Option<TestFile>>(text) {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            report.error = Some(format!("{path}:{e}"));
            return report;
        }
    };
    if let Err(e) = super::ext::validate(&file, options.semantics) {
        report.error = Some(format!("{path}:{e}"));
        return report;
    }
    let evaluation_interval =
        match duration_field(&file.evaluation_interval, 60_000, options.semantics) {
            Ok(0) => 60_000,
            Ok(d) => d,
            Err(e) => {
                report.error = Some(format!("{path}: evaluation_interval: {e}"));
                return report;
            }
        };
    let mut order: Vec<String> = Vec::new();
    for name in &file.group_eval_order {
        if order.contains(&name.value) {
            report.error = Some(format!(
                "group name repeated in evaluation order: {}",
                name.value
            ));
            return report;
        }
        order.push(name.value.clone());
    }
    let dir = std::path::Path::new(path)
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    let mut rule_paths = Vec::new();
    for pattern in &file.rule_files {
        if pattern.value.is_empty() {
            continue;
        }
        let joined = if std::path::Path::new(&pattern.value).is_absolute() {
            pattern.value.clone()
        } else {
            clean_path(&dir.join(&pattern.value).display().to_string())
        };
        match loader.glob(&joined) {
            Ok(paths) if paths.is_empty() => {
                report
                    .warnings
                    .push(format!("no file match pattern {joined}"));
                if options.strict {
                    report
                        .strict
                        .push(StrictFinding::UnmatchedRuleFiles { pattern: joined });
                }
            }
            Ok(paths) => rule_paths.extend(paths),
            Err(e) => {
                report.error = Some(format!("{path}: rule_files: {e}"));
                return report;
            }
        }
    }
    let rule_options = RuleLoadOptions {
        semantics: options.semantics,
        parse: options.parse.clone(),
        ignore_unknown_fields: options.ignore_unknown_fields,
    };
    let rules = load_rules(&rule_paths, loader, &rule_options);
    if let Ok(files) = &rules {
        let order_options = crate::explain::OrderOptions {
            group_eval_order: Some(order.clone()),
            evaluation_interval,
        };
        let groups = ordered_groups(files, &order);
        report.order_warnings =
            crate::explain::EvaluationOrder::new(&groups, &order_options).warnings();
    }
    let context = FileContext {
        path,
        options,
        evaluation_interval,
        fuzzy_compare: file.fuzzy_compare,
        epsilon: file.epsilon.as_ref().map(|e| e.value),
        rules,
        order,
    };
    report.groups = run_groups(&context, &file.tests);
    if options.coverage
        && let Ok(files) = &context.rules
    {
        let mut coverage = super::coverage::base(files);
        for group in report.groups.iter().filter_map(|g| g.coverage.as_ref()) {
            coverage.merge(group);
        }
        report.coverage = Some(coverage);
    }
    report
}

fn load_rules(
    paths: &[String],
    loader: &dyn FileLoader,
    options: &RuleLoadOptions,
) -> Result<Vec<RuleFile>, Vec<String>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let text = match loader.read(path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        match RuleFile::parse(path, &text, options) {
            Ok(f) => files.push(f),
            Err(e) => problems.extend(
                e.problems
                    .iter()
                    .map(|p| format!("{}: {}", e.path, p.message)),
            ),
        }
    }
    if problems.is_empty() {
        Ok(files)
    } else {
        Err(problems)
    }
}

/// `dir/./x` → `dir/x`, `./x` → `x` (Go's `filepath.Clean`, for the parts promtool shows).
fn clean_path(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn duration_field(
    field: &Option<Spanned<String>>,
    default: i64,
    semantics: Semantics,
) -> Result<i64, String> {
    match field {
        None => Ok(default),
        Some(d) => parse_duration(&d.value).map_err(|e| match semantics {
            Semantics::Prometheus2 => e.legacy_message(),
            Semantics::Prometheus3 => e.to_string(),
        }),
    }
}

/// Runs the test groups on `jobs` threads; reports stay in file order.
fn run_groups(context: &FileContext<'_>, groups: &[Spanned<TestGroup>]) -> Vec<GroupReport> {
    let jobs = match context.options.jobs {
        0 => crate::parallel::cores(),
        n => n,
    };
    crate::parallel::map_in_order(groups.len(), jobs, |i| {
        run_group(context, i, &groups[i].value)
    })
}

fn run_group(context: &FileContext<'_>, index: usize, group: &TestGroup) -> GroupReport {
    let mut report = GroupReport {
        name: group.name.clone(),
        index,
        ..GroupReport::default()
    };
    if let Some(run) = &context.options.run
        && !run.is_match(group.name.as_deref().unwrap_or(""))
    {
        report.skipped = true;
        return report;
    }
    let in_blocks = std::cell::Cell::new(false);
    let extras = std::cell::RefCell::new(Extras::default());
    let started = std::time::Instant::now();
    report.failures = GroupRun::new(context, group, &in_blocks)
        .with_extras(&extras)
        .run();
    report.evaluated_in_blocks = in_blocks.get();
    extras
        .into_inner()
        .fill(&mut report, context.options, started.elapsed());
    report
}

struct GroupRun<'a> {
    context: &'a FileContext<'a>,
    group: &'a TestGroup,
    failures: Vec<Failure>,
    /// Set when the steps ran in blocks.
    in_blocks: &'a std::cell::Cell<bool>,
    /// What `--strict`, `--coverage` and `--debug` collect.
    extras: Option<&'a std::cell::RefCell<Extras>>,
}

impl<'a> GroupRun<'a> {
    fn new(
        context: &'a FileContext<'a>,
        group: &'a TestGroup,
        in_blocks: &'a std::cell::Cell<bool>,
    ) -> Self {
        GroupRun {
            context,
            group,
            failures: Vec::new(),
            in_blocks,
            extras: None,
        }
    }

    fn with_extras(mut self, extras: &'a std::cell::RefCell<Extras>) -> Self {
        self.extras = Some(extras);
        self
    }

    fn setup_failure(mut self, message: String) -> Vec<Failure> {
        self.failures.push(Failure::Setup(message));
        self.failures
    }

    fn run(mut self) -> Vec<Failure> {
        let context = self.context;
        let options = context.options;
        let group = self.group;
        let semantics = options.semantics;
        let evaluation_interval = context.evaluation_interval;
        let mint = match &group.start_timestamp {
            None => 0,
            Some(s) => match parse_start_timestamp(&s.value) {
                Some(t) => t,
                None => {
                    return self.setup_failure(format!(
                        "start_timestamp: {:?} is neither Unix seconds nor an RFC 3339 time",
                        s.value
                    ));
                }
            },
        };
        // promtool 2.42 leaves a missing interval at 0s, so every input sample lands at t=0
        // and the first value of each series wins (fixed in 2.48: the evaluation interval).
        let default_interval = match semantics {
            Semantics::Prometheus2 => 0,
            Semantics::Prometheus3 => evaluation_interval,
        };
        let interval = match duration_field(&group.interval, default_interval, semantics) {
            Ok(d) => d,
            Err(e) => return self.setup_failure(format!("interval: {e}")),
        };
        // (a) Input series.
        let store_for_limits = Store::new();
        let input_options = InputSeriesOptions {
            interval,
            start: mint,
            dialect: match semantics {
                Semantics::Prometheus2 => NotationDialect::Promtool242,
                Semantics::Prometheus3 => NotationDialect::Prometheus3,
            },
        };
        let mut loader = match super::ext::input_loader(
            group,
            &store_for_limits,
            &input_options,
            self.context.path,
        ) {
            Ok(l) => l,
            Err(e) => return self.setup_failure(e),
        };
        // (b) Rule files, ordered by group_eval_order.
        let files = match &context.rules {
            Ok(files) => files,
            Err(problems) => {
                self.failures
                    .extend(problems.iter().cloned().map(Failure::Setup));
                return self.failures;
            }
        };
        let groups = ordered_groups(files, &context.order);
        // (c) Every alert test names its alert.
        for case in &group.alert_rule_test {
            if case.value.alertname.is_empty() {
                let t = duration_field(&case.value.eval_time, 0, semantics).unwrap_or(0);
                let mut message = format!(
                    "an item under alert_rule_test misses required attribute alertname at eval_time {}",
                    crate::syntax::lex::format_duration(t)
                );
                if let Some(name) = &group.name {
                    message.push_str(&format!(" (in TestGroup {name})"));
                }
                return self.setup_failure(message);
            }
        }
        let mut alert_cases = Vec::new();
        for case in &group.alert_rule_test {
            match duration_field(&case.value.eval_time, 0, semantics) {
                Ok(t) => alert_cases.push((t, &case.value)),
                Err(e) => return self.setup_failure(format!("eval_time: {e}")),
            }
        }
        let mut promql_cases = Vec::new();
        for case in &group.promql_expr_test {
            match duration_field(&case.value.eval_time, 0, semantics) {
                Ok(t) => promql_cases.push((t, &case.value)),
                Err(e) => return self.setup_failure(format!("eval_time: {e}")),
            }
        }
        alert_cases.sort_by_key(|(t, _)| *t);
        let max_eval = alert_cases
            .iter()
            .map(|(t, _)| *t)
            .chain(promql_cases.iter().map(|(t, _)| *t))
            .max()
            .unwrap_or(0);
        let engine_options = EngineOptions {
            semantics,
            delayed_name_removal: options.delayed_name_removal,
            default_subquery_step: evaluation_interval,
            timeout: Some(EngineOptions::DEFAULT_TIMEOUT),
            ..EngineOptions::default()
        };
        if options.strict
            && let Some(extras) = self.extras
        {
            extras.borrow_mut().strict_inputs(
                options,
                group,
                &loader,
                &groups,
                mint,
                &engine_options,
            );
        }
        let mut evaluator = GroupEvaluator::new(
            groups,
            RuleEvalOptions {
                engine: engine_options.clone(),
                external_labels: group.external_labels.clone(),
                external_url: group.external_url.clone(),
                write_alert_series: true,
            },
        );
        let maxt = mint + max_eval;
        if self.run_in_blocks(
            &evaluator,
            &loader,
            &alert_cases,
            &promql_cases,
            (mint, maxt, evaluation_interval),
            &engine_options,
        ) {
            return self.failures;
        }
        let mut store = Store::new();
        let mut next_alert = 0;
        let mut ts = mint;
        while ts <= maxt {
            let mut evaluate = true;
            if let Err(e) = loader.append_till(&mut store, ts) {
                self.failures.push(Failure::Setup(e.to_string()));
                evaluate = false;
            }
            if evaluate {
                let errors = evaluator.eval_all(&mut store, ts);
                if !errors.is_empty() {
                    self.failures
                        .extend(errors.into_iter().map(Failure::RuleEval));
                    return self.failures;
                }
            }
            while let Some((t, case)) = alert_cases.get(next_alert) {
                if *t >= ts - mint + evaluation_interval {
                    break;
                }
                next_alert += 1;
                self.check_alerts(&evaluator, *t, case);
            }
            ts += evaluation_interval;
        }
        let engine = Engine::new(engine_options);
        let rule_groups: Vec<RuleGroup> = evaluator.groups().cloned().collect();
        for (t, case) in &promql_cases {
            if let Some(f) = self.check_promql(&engine, &store, &rule_groups, mint, *t, case) {
                self.failures.push(Failure::Promql(f));
            }
        }
        self.finish(&evaluator, &engine, &store, &promql_cases, mint, max_eval);
        self.failures
    }

    /// Notes what the extras need once a group ran to its end: its coverage and debug dump.
    fn finish(
        &self,
        evaluator: &GroupEvaluator,
        engine: &Engine,
        store: &Store,
        promql_cases: &[(i64, &PromqlTestCase)],
        mint: Timestamp,
        max_eval: i64,
    ) {
        let Some(extras) = self.extras else { return };
        let options = self.context.options;
        let mut extras = extras.borrow_mut();
        if options.coverage
            && let Ok(files) = &self.context.rules
        {
            extras.coverage(files, evaluator, promql_cases, mint, &options.parse);
        }
        if options.debug {
            extras.dump = Some(super::debug::dump(engine, store, mint, max_eval));
        }
    }

    /// Runs the steps as [`GroupRun::run`] does, but a block of steps at a time with one range
    /// query per rule (see `rules::block`), checking each case at the step where the step loop
    /// would, and forgetting the samples no later query can read. Returns `false`, with
    /// nothing changed, when the rules or the cases need the step loop.
    fn run_in_blocks(
        &mut self,
        evaluator: &GroupEvaluator,
        loader: &LazyLoader,
        alert_cases: &[(i64, &super::AlertTestCase)],
        promql_cases: &[(i64, &PromqlTestCase)],
        (mint, maxt, interval): (Timestamp, Timestamp, i64),
        engine_options: &EngineOptions,
    ) -> bool {
        /// Steps per block: the rules' range queries cover this many steps at most.
        const BLOCK: usize = 128;
        if self.context.options.step_by_step
            || interval <= 0
            || maxt < mint
            || evaluator
                .block_obstacle_over(loader.series_labels(), None)
                .is_some()
        {
            return false;
        }
        let Some(rules_reach) = evaluator.reach() else {
            return false;
        };
        // Expression tests are checked as soon as their time has passed (and the samples they
        // read are final) when they read nothing after it; otherwise at the end, and then no
        // sample is forgotten.
        let case_reach: Vec<Option<i64>> = promql_cases
            .iter()
            .map(|(_, case)| {
                match crate::promql::parse_with(&case.expr.value, &self.context.options.parse) {
                    Ok(expr) => crate::eval::reach(
                        &expr,
                        engine_options.lookback_delta,
                        engine_options.default_subquery_step,
                    ),
                    Err(_) => Some(0),
                }
            })
            .collect();
        let in_loop = case_reach.iter().all(Option::is_some);
        let steps: Vec<Timestamp> = std::iter::successors(Some(mint), |t| {
            t.checked_add(interval).filter(|next| *next <= maxt)
        })
        .collect();
        let alert_due: Vec<usize> = alert_cases
            .iter()
            .map(|(t, _)| {
                steps
                    .iter()
                    .position(|ts| *t < ts - mint + interval)
                    .unwrap_or(steps.len())
            })
            .collect();
        // Samples at a time are final once every group has evaluated that time: a group with a
        // query offset writes at the step's time minus the offset.
        let settled = evaluator
            .groups()
            .map(|g| g.query_offset.unwrap_or(0).max(0))
            .max()
            .unwrap_or(0);
        let promql_due: Vec<usize> = promql_cases
            .iter()
            .map(|(t, _)| {
                let due = steps
                    .iter()
                    .position(|ts| *ts >= (mint + t).saturating_add(settled));
                if in_loop {
                    due.unwrap_or(steps.len())
                } else {
                    steps.len()
                }
            })
            .collect();
        let mut evaluator = evaluator.clone();
        let mut loader = loader.clone();
        let engine = Engine::new(engine_options.clone());
        let rule_groups: Vec<RuleGroup> = evaluator.groups().cloned().collect();
        let mut store = Store::new();
        let failures_before = self.failures.len();
        let extras_before = self.extras.map(|e| e.borrow().checkpoint());
        // The debug dump reads every sample, and strict mode compares annotations.
        let keep_samples = self.context.options.debug || self.context.options.strict;
        let mut promql_failures: Vec<Option<PromqlFailure>> = vec![None; promql_cases.len()];
        let mut next_alert = 0;
        let mut k = 0;
        while k < steps.len() {
            let mut end = (k + BLOCK).min(steps.len());
            for &due in alert_due[next_alert..].iter().chain(&promql_due) {
                if due >= k && due < end {
                    end = due + 1;
                }
            }
            let ts = steps[end - 1];
            if loader.append_till(&mut store, ts).is_err()
                || evaluator.eval_block(&mut store, &steps[k..end]).is_err()
            {
                self.failures.truncate(failures_before);
                if let (Some(extras), Some(at)) = (self.extras, extras_before) {
                    extras.borrow_mut().rewind(at);
                }
                return false;
            }
            while let Some((t, case)) = alert_cases.get(next_alert) {
                if *t >= ts - mint + interval {
                    break;
                }
                next_alert += 1;
                self.check_alerts(&evaluator, *t, case);
            }
            for (i, (t, case)) in promql_cases.iter().enumerate() {
                if promql_due[i] == end - 1 {
                    promql_failures[i] =
                        self.check_promql(&engine, &store, &rule_groups, mint, *t, case);
                }
            }
            if in_loop
                && !keep_samples
                && let Some(&next) = steps.get(end)
            {
                // Keep what the next step's rules and the pending cases read, and as much
                // again (explanations of empty results look before the windows).
                let mut cutoff = next.saturating_sub(rules_reach.saturating_mul(2));
                for (i, (t, _)) in promql_cases.iter().enumerate() {
                    if promql_due[i] >= end {
                        let reach = case_reach[i].unwrap_or(i64::MAX / 4);
                        cutoff = cutoff.min((mint + t).saturating_sub(reach.saturating_mul(2)));
                    }
                }
                store.forget_before(cutoff);
            }
            k = end;
        }
        for (i, (t, case)) in promql_cases.iter().enumerate() {
            if promql_due[i] == steps.len() {
                promql_failures[i] =
                    self.check_promql(&engine, &store, &rule_groups, mint, *t, case);
            }
        }
        self.failures
            .extend(promql_failures.into_iter().flatten().map(Failure::Promql));
        self.finish(&evaluator, &engine, &store, promql_cases, mint, maxt - mint);
        self.in_blocks.set(true);
        true
    }

    fn check_alerts(
        &mut self,
        evaluator: &GroupEvaluator,
        eval_time: i64,
        case: &super::AlertTestCase,
    ) {
        let dialect = super::ext::regex_dialect(self.context.options.semantics);
        if let Some(pending) = &case.exp_pending {
            let actual: Vec<super::ext::ActualAlert> = evaluator
                .alerts(&case.alertname)
                .filter(|a| a.state == crate::rules::AlertState::Pending)
                .map(|a| (a.labels.clone(), a.annotations.clone(), false))
                .collect();
            let failure = super::ext::compare_alerts(
                self.group.name.as_deref(),
                case,
                eval_time,
                &pending.value,
                actual,
                true,
                dialect,
            );
            // The firing alerts are checked first, as their failure comes first.
            let firing = self.firing_failure(evaluator, eval_time, case, dialect);
            self.record_alert_check(case, eval_time, firing.is_none() && failure.is_none());
            self.failures.extend(firing.map(Failure::Alert));
            self.failures.extend(failure.map(Failure::Alert));
            return;
        }
        let firing = self.firing_failure(evaluator, eval_time, case, dialect);
        self.record_alert_check(case, eval_time, firing.is_none());
        self.failures.extend(firing.map(Failure::Alert));
    }

    /// Notes an alert case for `--coverage`.
    fn record_alert_check(&self, case: &super::AlertTestCase, eval_time: i64, passed: bool) {
        if let Some(extras) = self.extras
            && self.context.options.coverage
        {
            extras
                .borrow_mut()
                .alert_checks
                .push(super::coverage::AlertCheck {
                    alertname: case.alertname.clone(),
                    eval_time,
                    expected_firing: !case.exp_alerts.is_empty(),
                    passed,
                });
        }
    }

    /// The failure of a case's firing alerts, if they differ from `exp_alerts`.
    fn firing_failure(
        &self,
        evaluator: &GroupEvaluator,
        eval_time: i64,
        case: &super::AlertTestCase,
        dialect: crate::model::RegexDialect,
    ) -> Option<AlertFailure> {
        if super::ext::firing_is_extended(case) {
            let actual: Vec<super::ext::ActualAlert> = evaluator
                .alerts(&case.alertname)
                .filter(|a| a.is_firing())
                .map(|a| (a.labels.clone(), a.annotations.clone(), a.is_kept_firing()))
                .collect();
            return super::ext::compare_alerts(
                self.group.name.as_deref(),
                case,
                eval_time,
                &case.exp_alerts,
                actual,
                false,
                dialect,
            );
        }
        let mut got: Vec<(Labels, Labels)> = evaluator
            .alerts(&case.alertname)
            .filter(|a| a.is_firing())
            .map(|a| (a.labels.clone(), a.annotations.clone()))
            .collect();
        let mut expected: Vec<(Labels, Labels)> = case
            .exp_alerts
            .iter()
            .map(|e| {
                // As promtool, the expected side keeps labels and annotations written with
                // empty values (an alert never has an empty label, so such a test fails).
                let labels = Labels::from_pairs_keeping_empty(
                    e.exp_labels
                        .iter()
                        .filter(|(k, _)| k.as_str() != "alertname")
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .chain([("alertname", case.alertname.as_str())]),
                );
                (
                    labels,
                    Labels::from_pairs_keeping_empty(
                        e.exp_annotations
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str())),
                    ),
                )
            })
            .collect();
        got.sort();
        expected.sort();
        (got != expected).then(|| {
            let diff = self
                .context
                .options
                .diff
                .map(|style| super::debug::alerts_diff(&expected, &got, style));
            AlertFailure {
                group: self.group.name.clone(),
                alertname: case.alertname.clone(),
                eval_time,
                expected,
                got,
                extension: None,
                diff,
            }
        })
    }

    fn check_promql(
        &self,
        engine: &Engine,
        store: &Store,
        rule_groups: &[RuleGroup],
        mint: Timestamp,
        eval_time: i64,
        case: &PromqlTestCase,
    ) -> Option<PromqlFailure> {
        let expr_text = &case.expr.value;
        let failure = |kind| {
            Some(PromqlFailure {
                expr: expr_text.clone(),
                eval_time,
                kind,
                why_empty: None,
                epsilon: None,
            })
        };
        let expr = match crate::promql::parse_with(expr_text, &self.context.options.parse) {
            Ok(e) => e,
            Err(e) => {
                let dialect = match self.context.options.semantics {
                    Semantics::Prometheus2 => crate::model::RegexDialect::Prometheus2,
                    Semantics::Prometheus3 => crate::model::RegexDialect::Prometheus3,
                };
                return failure(PromqlFailureKind::Error(e.prometheus_message_in(dialect)));
            }
        };
        let t = mint + eval_time;
        let result = match engine.instant_query(store, &expr, t) {
            Ok(r) => r,
            Err(e) => return failure(PromqlFailureKind::Error(e.to_string())),
        };
        if let Some(extras) = self.extras
            && self.context.options.strict
        {
            extras
                .borrow_mut()
                .annotations(self.group, case, eval_time, &result.annotations);
        }
        let got_samples = match result.value {
            Value::Vector(v) => v,
            Value::Scalar(f) => vec![crate::eval::Sample::float(Labels::empty(), f)],
            _ => {
                return failure(PromqlFailureKind::Error(
                    "rule result is not a vector or scalar".into(),
                ));
            }
        };
        let mut expected: Vec<(Labels, f64, Option<String>)> = Vec::new();
        for s in &case.exp_samples {
            let s = &s.value;
            let labels = if s.labels.trim().is_empty() {
                Labels::empty()
            } else {
                match parse_series_descriptor(&s.labels) {
                    Ok(l) => l,
                    Err(e) => {
                        return failure(PromqlFailureKind::BadLabels {
                            labels: s.labels.clone(),
                            error: e.to_string(),
                        });
                    }
                }
            };
            let histogram = if s.histogram.is_empty() {
                None
            } else {
                match parse_series_line(&format!("{{}} {}", s.histogram)) {
                    Ok((_, values)) => match values.as_slice() {
                        [v @ SeriesValue::Histogram { .. }] => {
                            Some(format_series_values(std::slice::from_ref(v)))
                        }
                        [v] => {
                            return failure(PromqlFailureKind::Error(format!(
                                "expected histogram, got {}",
                                format_series_values(std::slice::from_ref(v))
                            )));
                        }
                        vs => {
                            return failure(PromqlFailureKind::Error(format!(
                                "expected 1 value, got {}",
                                vs.len()
                            )));
                        }
                    },
                    Err(e) => return failure(PromqlFailureKind::Error(e.to_string())),
                }
            };
            expected.push((labels, s.value, histogram));
        }
        let mut got: Vec<(Labels, f64, Option<String>)> = got_samples
            .into_iter()
            .map(|s| {
                let h = s.h.map(|h| {
                    format_series_values(&[SeriesValue::Histogram {
                        histogram: h,
                        explicit_hint: true,
                    }])
                });
                (s.metric, if h.is_some() { 0.0 } else { s.f }, h)
            })
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        got.sort_by(|a, b| a.0.cmp(&b.0));
        let fuzzy = self.context.fuzzy_compare;
        let epsilon = super::ext::effective_epsilon(self.context.epsilon, self.group, case);
        let equal = expected.len() == got.len()
            && expected.iter().zip(&got).all(|(e, g)| {
                e.0 == g.0
                    && (floats_equal(e.1, g.1, fuzzy)
                        || epsilon.is_some_and(|eps| eps.accepts(e.1, g.1)))
                    && e.2 == g.2
            });
        if equal {
            return None;
        }
        let print = |v: &[(Labels, f64, Option<String>)]| -> Vec<String> {
            v.iter()
                .map(|(l, f, h)| match h {
                    Some(h) => format!("{l} {h}"),
                    None => format!("{l} {}", format_float_e(*f)),
                })
                .collect()
        };
        let why_empty = (got.is_empty() && !expected.is_empty())
            .then(|| {
                // Recorded series are followed into their rules (evaluation order, interval).
                let options = crate::explain::ExplainOptions {
                    engine: engine.options().clone(),
                    rules: rule_groups,
                    evaluation_interval: self.context.evaluation_interval,
                };
                crate::explain::explain(store, &expr, t, &options).reason()
            })
            .flatten();
        Some(PromqlFailure {
            expr: expr_text.clone(),
            eval_time,
            kind: PromqlFailureKind::Mismatch {
                expected: print(&expected),
                got: print(&got),
            },
            why_empty,
            epsilon,
        })
    }
}

/// Go's `==` on floats, or within one ULP with `fuzzy_compare`.
fn floats_equal(a: f64, b: f64, fuzzy: bool) -> bool {
    if a == b {
        return true;
    }
    if !fuzzy || a.is_nan() || b.is_nan() {
        return false;
    }
    next_up(a) == b || next_up(b) == a
}

fn next_up(f: f64) -> f64 {
    if f.is_nan() || f == f64::INFINITY {
        return f;
    }
    if f == 0.0 {
        return f64::from_bits(1);
    }
    let bits = f.to_bits();
    f64::from_bits(if f > 0.0 { bits + 1 } else { bits - 1 })
}

/// The rule groups of the loaded files in evaluation order: by position in
/// `group_eval_order` (unlisted groups take position 0, as in promtool), then file order, then
/// order in the file. promtool's order among ties is random; this is one of its orders.
fn ordered_groups(files: &[RuleFile], order: &[String]) -> Vec<RuleGroup> {
    let mut groups: Vec<(usize, usize, usize, &RuleGroup)> = Vec::new();
    for (fi, file) in files.iter().enumerate() {
        for (gi, g) in file.groups.iter().enumerate() {
            let position = order.iter().position(|n| *n == g.name).unwrap_or(0);
            groups.push((position, fi, gi, g));
        }
    }
    groups.sort_by_key(|(p, f, g, _)| (*p, *f, *g));
    groups.into_iter().map(|(_, _, _, g)| g.clone()).collect()
}

/// promtool's message for an input-series error, and a `why:` line with its place in the test
/// file (promtool numbers the lines of the `load` block it builds, not of the file).
/// (promtool 2.42 numbers every series error line 1: there is no entry to point at, and no hint.)
pub(super) fn input_series_message(
    path: &str,
    input: &[Spanned<crate::unittest::InputSeries>],
    pairs: &[(&str, &str)],
    err: &crate::fixture::FixtureError,
) -> String {
    let mut message = err.to_string();
    if let Some(hint) = input_series_hint(path, input, pairs, err) {
        message.push_str("\n        why: ");
        message.push_str(&hint);
    }
    message
}

/// Where an input-series error is in the test file.
fn input_series_hint(
    path: &str,
    input: &[Spanned<crate::unittest::InputSeries>],
    pairs: &[(&str, &str)],
    err: &crate::fixture::FixtureError,
) -> Option<String> {
    let at = crate::fixture::locate_input_series_error(pairs, err)?;
    let entry = input.get(at.index)?;
    if entry.value.series.value.trim().is_empty() {
        return Some(format!(
            "{path}:{}:{}: input_series[{}] has no `series:`, so its values were read as the series",
            entry.pos.line, entry.pos.column, at.index
        ));
    }
    let (field, spanned) = match at.field {
        crate::fixture::InputSeriesField::Series => ("series", &entry.value.series),
        crate::fixture::InputSeriesField::Values => ("values", &entry.value.values),
    };
    let mut place = format!("{path}:{}:{}", spanned.pos.line, spanned.pos.column);
    if at.line_in_field > 1 {
        place.push_str(&format!(" (line {} of the value", at.line_in_field));
    } else {
        place.push_str(" (");
    }
    match at.column {
        Some(c) if at.line_in_field > 1 => place.push_str(&format!(", column {c})")),
        Some(c) => place.push_str(&format!("column {c} of the value)")),
        None if at.line_in_field > 1 => place.push(')'),
        None => place.truncate(place.len() - 2),
    }
    Some(format!("in input_series[{}].{field} at {place}", at.index))
}
