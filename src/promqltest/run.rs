//! Running promqltest commands against the engine, with Prometheus's comparison rules.

use super::script::{
    Command, EvalCommand, EvalTime, Expected, ExpectedSeries, MessageMatcher, Script,
};
use crate::eval::{Engine, EngineOptions, QueryResult, Value};
use crate::fixture::{LoadOptions, SeriesValue, load_block};
use crate::model::{FloatHistogram, Labels, is_stale_nan};
use crate::promql::{AtModifier, Expr, ExprKind};
use crate::store::Store;

/// The outcome of one eval command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalOutcome {
    /// 1-based line of the eval header.
    pub line: usize,
    /// The query.
    pub query: String,
    /// `None` when it passed, else why it failed.
    pub failure: Option<EvalFailure>,
}

/// Why an eval command failed: the message, and where the result differs from the expectation
/// when it does so at one series or point.
///
/// ```
/// use promgate::promqltest::{parse_script, run_script};
/// let script = parse_script("t", "load 1m\n  up 1 2\n\neval instant at 1m up\n  up 3\n").unwrap();
/// let report = run_script(&script);
/// let failure = report.evals[0].failure.as_ref().unwrap();
/// assert_eq!(failure.expected.as_deref(), Some("3"));
/// assert_eq!(failure.got.as_deref(), Some("2"));
/// assert_eq!(failure.series.as_ref().unwrap().to_string(), "{__name__=\"up\"}");
/// assert_eq!(failure.to_string(), "expected 3 for {__name__=\"up\"} but got 2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EvalFailure {
    /// The whole message, as [`Display`](std::fmt::Display) prints it.
    pub message: String,
    /// The expected value, as the script writes it, when a value differs.
    pub expected: Option<String>,
    /// The value the engine returned, when a value differs.
    pub got: Option<String>,
    /// The series where the result differs, when the failure is about one series.
    pub series: Option<Labels>,
    /// The timestamp (ms) of the differing point, for range results.
    pub time: Option<i64>,
}

impl EvalFailure {
    fn new(message: String) -> EvalFailure {
        EvalFailure {
            message,
            expected: None,
            got: None,
            series: None,
            time: None,
        }
    }

    /// A value that differs: the message, the series, and both values.
    fn mismatch(
        message: String,
        series: &Labels,
        expected: impl ToString,
        got: impl ToString,
    ) -> EvalFailure {
        EvalFailure {
            expected: Some(expected.to_string()),
            got: Some(got.to_string()),
            series: Some(series.clone()),
            ..EvalFailure::new(message)
        }
    }

    fn at(mut self, t: i64) -> EvalFailure {
        self.time = Some(t);
        self
    }

    fn prefixed(mut self, prefix: &str) -> EvalFailure {
        self.message = format!("{prefix}{}", self.message);
        self
    }
}

impl std::fmt::Display for EvalFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// `Err(fail!("..."))`: a failure with only a message.
macro_rules! fail {
    ($($arg:tt)*) => {
        EvalFailure::new(format!($($arg)*))
    };
}

/// The result of running one script.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileReport {
    /// The script's name.
    pub name: String,
    /// One outcome per eval command, in order.
    pub evals: Vec<EvalOutcome>,
    /// An error that stopped the script: it could not be read or parsed, or a load block
    /// failed (later evals are counted as failed).
    pub fatal: Option<String>,
}

impl FileReport {
    /// How many evals passed.
    pub fn passed(&self) -> usize {
        self.evals.iter().filter(|e| e.failure.is_none()).count()
    }

    /// How many evals failed, plus one for a fatal error, so that `failed() == 0` holds only
    /// for a script that ran completely and passed.
    ///
    /// ```
    /// let report = promgate::promqltest::run_file("no/such/file.test".as_ref());
    /// assert_eq!((report.passed(), report.failed()), (0, 1));
    /// ```
    pub fn failed(&self) -> usize {
        self.evals.len() - self.passed() + usize::from(self.fatal.is_some())
    }

    /// Whether the script ran without a fatal error and every eval passed.
    ///
    /// ```
    /// use promgate::promqltest::{parse_script, run_script};
    /// let report = run_script(&parse_script("t", "eval instant at 0 1\n  1\n").unwrap());
    /// assert!(report.is_success());
    /// assert_eq!(report.to_string(), "t: 1 passed, 0 failed");
    /// ```
    pub fn is_success(&self) -> bool {
        self.failed() == 0
    }
}

impl std::fmt::Display for FileReport {
    /// `name: N passed, M failed`, then `; error: ...` when a fatal error stopped the script.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} passed, {} failed",
            self.name,
            self.passed(),
            self.failed()
        )?;
        match &self.fatal {
            Some(error) => write!(f, "; error: {error}"),
            None => Ok(()),
        }
    }
}

/// Runs a parsed script with the test engine's settings.
///
/// ```
/// use promgate::promqltest::{parse_script, run_script};
/// let script = parse_script("t", "load 1m\n  up 1 2\n\neval instant at 1m up\n  up 2\n").unwrap();
/// let report = run_script(&script);
/// assert_eq!(report.passed(), 1, "{:?}", report);
/// ```
pub fn run_script(script: &Script) -> FileReport {
    run_script_with(script, &EngineOptions::promqltest())
}

/// Runs a parsed script with explicit engine options.
pub fn run_script_with(script: &Script, options: &EngineOptions) -> FileReport {
    let engine = Engine::new(options.clone());
    let mut store = Store::new();
    let mut report = FileReport {
        name: script.name.clone(),
        ..FileReport::default()
    };
    for command in &script.commands {
        match command {
            Command::Clear { .. } => store.clear(),
            Command::Load {
                line: _,
                interval,
                nhcb,
                body,
            } => {
                if report.fatal.is_some() {
                    continue;
                }
                let lines: Vec<(usize, &str)> =
                    body.iter().map(|(n, l)| (*n, l.as_str())).collect();
                if let Err(e) = load_block(
                    &mut store,
                    *interval,
                    &lines,
                    &LoadOptions {
                        nhcb: *nhcb,
                        ..LoadOptions::default()
                    },
                ) {
                    // The file name, as the script's own parse errors have it.
                    report.fatal = Some(format!("{}:{e}", script.name));
                }
            }
            Command::Eval(cmd) => {
                let failure = match &report.fatal {
                    Some(fatal) => Some(fail!("not run: {fatal}")),
                    None => run_eval(&engine, &store, cmd).err(),
                };
                report.evals.push(EvalOutcome {
                    line: cmd.line,
                    query: cmd.query.clone(),
                    failure,
                });
            }
        }
    }
    report
}

/// Functions whose result depends on the evaluation time even with step-invariant arguments;
/// queries using them skip the `@` reruns.
const AT_UNSAFE_FUNCTIONS: [&str; 15] = [
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "end",
    "hour",
    "minute",
    "month",
    "year",
    "predict_linear",
    "range",
    "start",
    "step",
    "time",
    "timestamp",
];

fn run_eval(engine: &Engine, store: &Store, cmd: &EvalCommand) -> Result<(), EvalFailure> {
    match cmd.time {
        EvalTime::Range { start, end, step } => {
            let result = engine.range_query(store, &cmd.expr, start, end, step);
            check_run(cmd, &cmd.query, result, start, end, step)
        }
        EvalTime::Instant(at) => {
            let (t, start, end, step) = match cmd.range_vector {
                Some((s, e, st)) => (e, s, e, st),
                None => (at, at, at, 0),
            };
            let mut runs: Vec<(Expr, i64)> = vec![(cmd.expr.clone(), t)];
            if let Some(pinned) = pin_at(&cmd.expr, t) {
                let times: Vec<i64> = if t == 0 {
                    vec![-1000, 0, 1000]
                } else {
                    vec![-10 * t, 0, t / 5, t, 10 * t]
                };
                runs.extend(times.into_iter().map(|time| (pinned.clone(), time)));
            }
            for (expr, time) in &runs {
                let result = engine.instant_query(store, expr, *time);
                let failed_as_expected = cmd.expects_failure() && result.is_err();
                check_run(cmd, &cmd.query, result, start, end, step)?;
                if failed_as_expected || cmd.range_vector.is_some() || cmd.expect_string.is_some() {
                    continue;
                }
                if uses_query_context_functions(&cmd.query) {
                    continue;
                }
                range_cross_check(engine, store, cmd, expr, *time)?;
            }
            Ok(())
        }
    }
}

/// Whether the query text calls `start()`, `end()`, `range()` or `step()`.
fn uses_query_context_functions(query: &str) -> bool {
    ["start()", "end()", "range()", "step()"]
        .iter()
        .any(|f| query.contains(f))
}

/// The query with `@ t` set on every selector and subquery that has no numeric `@` (not
/// descending into subqueries), or `None` when the query uses a time-dependent function.
fn pin_at(expr: &Expr, t: i64) -> Option<Expr> {
    let mut unsafe_fn = false;
    expr.walk(&mut |e| {
        if let ExprKind::Call(c) = &e.kind {
            if AT_UNSAFE_FUNCTIONS.contains(&c.func.name) {
                unsafe_fn = true;
            }
        }
    });
    if unsafe_fn {
        return None;
    }
    let mut pinned = expr.clone();
    set_at(&mut pinned, t);
    Some(pinned)
}

fn pin(at: &mut Option<AtModifier>, t: i64) {
    if !matches!(at, Some(AtModifier::Timestamp(_))) {
        *at = Some(AtModifier::Timestamp(t));
    }
}

fn set_at(expr: &mut Expr, t: i64) {
    match &mut expr.kind {
        ExprKind::VectorSelector(vs) => pin(&mut vs.at, t),
        ExprKind::MatrixSelector(ms) => pin(&mut ms.selector.at, t),
        ExprKind::Subquery(sq) => pin(&mut sq.at, t),
        ExprKind::Paren(inner) => set_at(inner, t),
        ExprKind::Unary(u) => set_at(&mut u.expr, t),
        ExprKind::Binary(b) => {
            set_at(&mut b.lhs, t);
            set_at(&mut b.rhs, t);
        }
        ExprKind::Aggregate(a) => {
            if let Some(p) = &mut a.param {
                set_at(p, t);
            }
            set_at(&mut a.expr, t);
        }
        ExprKind::Call(c) => {
            for arg in &mut c.args {
                set_at(arg, t);
            }
        }
        ExprKind::Number(_) | ExprKind::String(_) => {}
    }
}

/// Checks one run: failure expectations, annotations, then the result.
fn check_run(
    cmd: &EvalCommand,
    query: &str,
    result: Result<QueryResult, crate::eval::EvalError>,
    start: i64,
    end: i64,
    step: i64,
) -> Result<(), EvalFailure> {
    let result = match result {
        Err(e) => {
            let message = e.to_string();
            return match &cmd.expect_fail {
                Some(matcher) if matcher.matches(&message) => Ok(()),
                Some(matcher) => Err(fail!(
                    "expected error matching {matcher}, but got: {message}"
                )),
                None => Err(fail!("error evaluating query: {message}")),
            };
        }
        Ok(r) => r,
    };
    if cmd.expects_failure() {
        return Err(fail!("expected an error evaluating the query but got none"));
    }
    check_annotations(cmd, query, &result)?;
    compare_result(cmd, &result.value, start, end, step)
}

fn check_annotations(
    cmd: &EvalCommand,
    query: &str,
    result: &QueryResult,
) -> Result<(), EvalFailure> {
    let warnings: Vec<String> = result
        .annotations
        .warnings()
        .map(|a| a.with_position(query))
        .collect();
    let infos: Vec<String> = result
        .annotations
        .infos()
        .map(|a| a.with_position(query))
        .collect();
    if cmd.legacy_warn && warnings.is_empty() {
        return Err(fail!("expected warnings but got none"));
    }
    if cmd.legacy_info && infos.is_empty() {
        return Err(fail!("expected info annotations but got none"));
    }
    check_annotation_kind(&cmd.expect_warn, &warnings, "warn")?;
    check_annotation_kind(&cmd.expect_info, &infos, "info")?;
    if cmd.no_warn && !warnings.is_empty() {
        return Err(fail!("unexpected warning annotations: {warnings:?}"));
    }
    if cmd.no_info && !infos.is_empty() {
        return Err(fail!("unexpected info annotations: {infos:?}"));
    }
    Ok(())
}

fn check_annotation_kind(
    expected: &[MessageMatcher],
    actual: &[String],
    kind: &str,
) -> Result<(), EvalFailure> {
    if expected.is_empty() {
        return Ok(());
    }
    if actual.is_empty() {
        return Err(fail!("expected {kind} annotations but none were found"));
    }
    for e in expected {
        if !actual.iter().any(|a| e.matches(a)) {
            return Err(fail!(
                "expected {kind} annotation matching {e} but found: {actual:?}"
            ));
        }
    }
    for a in actual {
        if !expected.iter().any(|e| e.matches(a)) {
            return Err(fail!("unexpected {kind} annotation {a:?}"));
        }
    }
    Ok(())
}

/// The range-mode cross-check: the same query as a range query around `t` must give the same
/// result at `t`.
fn range_cross_check(
    engine: &Engine,
    store: &Store,
    cmd: &EvalCommand,
    expr: &Expr,
    t: i64,
) -> Result<(), EvalFailure> {
    let result = engine
        .range_query(store, expr, t - 60_000, t + 60_000, 60_000)
        .map_err(|e| fail!("error evaluating query in range mode: {e}"))?;
    if cmd.ordered {
        return Ok(());
    }
    let Value::Matrix(matrix) = &result.value else {
        return Err(fail!("range query did not return a matrix"));
    };
    if matrix.windows(2).any(|w| w[0].metric > w[1].metric) {
        return Err(fail!("matrix results should always be sorted by labels"));
    }
    let mut vector = Vec::new();
    for s in matrix {
        if let Some(p) = s.floats.iter().find(|p| p.t == t) {
            vector.push(crate::eval::Sample::float(s.metric.clone(), p.f));
        }
        if let Some(p) = s.histograms.iter().find(|p| p.t == t) {
            vector.push(crate::eval::Sample::histogram(
                s.metric.clone(),
                p.h.clone(),
            ));
        }
    }
    let value = match &cmd.expected {
        Expected::Scalar(_) => Value::Scalar(vector.first().map_or(f64::NAN, |s| s.f)),
        Expected::Series(_) => Value::Vector(vector),
    };
    compare_result(cmd, &value, t, t, 0).map_err(|e| e.prefixed("range mode: "))
}

/// Prometheus's `almost.Equal` with epsilon 1e-6; a stale marker equals only a stale marker.
pub(crate) fn almost_equal(a: f64, b: f64) -> bool {
    if is_stale_nan(a) || is_stale_nan(b) {
        return is_stale_nan(a) && is_stale_nan(b);
    }
    crate::model::gomath::almost_equal(a, b, 1e-6)
}

fn expected_series<'a>(cmd: &'a EvalCommand, labels: &Labels) -> Option<&'a ExpectedSeries> {
    match &cmd.expected {
        Expected::Series(list) => list.iter().find(|s| &s.labels == labels),
        Expected::Scalar(_) => None,
    }
}

fn compare_result(
    cmd: &EvalCommand,
    value: &Value,
    start: i64,
    end: i64,
    step: i64,
) -> Result<(), EvalFailure> {
    let expected_list: &[ExpectedSeries] = match &cmd.expected {
        Expected::Series(list) => list,
        Expected::Scalar(_) => &[],
    };
    match value {
        Value::Matrix(matrix) => {
            if cmd.ordered {
                return Err(fail!(
                    "expected ordered result, but query returned a matrix"
                ));
            }
            if let Expected::Scalar(_) = cmd.expected {
                return Err(fail!("expected scalar result, but got a matrix"));
            }
            if matrix.windows(2).any(|w| w[0].metric > w[1].metric) {
                return Err(fail!("matrix results should always be sorted by labels"));
            }
            for s in matrix {
                let Some(exp) = expected_series(cmd, &s.metric) else {
                    return Err(fail!("unexpected metric {} in result", s.metric));
                };
                let mut floats = Vec::new();
                let mut hists = Vec::new();
                for (i, v) in exp.values.iter().enumerate() {
                    let t = start + i as i64 * step;
                    if t > end || (step == 0 && i > 0) {
                        return Err(fail!(
                            "expected {} points for {}, but query time range cannot return this many points",
                            exp.values.len(),
                            exp.labels
                        ));
                    }
                    match v {
                        SeriesValue::Omitted => {}
                        SeriesValue::Float(f) => floats.push((t, *f)),
                        SeriesValue::Histogram {
                            histogram,
                            explicit_hint,
                        } => hists.push((t, histogram, *explicit_hint)),
                    }
                }
                if floats.len() != s.floats.len() || hists.len() != s.histograms.len() {
                    return Err(fail!(
                        "expected {} float points and {} histogram points for {}, but got {} and {}",
                        floats.len(),
                        hists.len(),
                        exp.labels,
                        s.floats.len(),
                        s.histograms.len()
                    ));
                }
                for ((t, f), actual) in floats.iter().zip(&s.floats) {
                    if *t != actual.t {
                        return Err(fail!(
                            "expected float point for {} at {t}, got one at {}",
                            exp.labels,
                            actual.t
                        ));
                    }
                    if !almost_equal(actual.f, *f) {
                        let message = format!(
                            "expected {f} at {t} for {} but got {}",
                            exp.labels, actual.f
                        );
                        return Err(EvalFailure::mismatch(message, &exp.labels, f, actual.f).at(*t));
                    }
                }
                for ((t, h, explicit), actual) in hists.iter().zip(&s.histograms) {
                    if *t != actual.t {
                        return Err(fail!(
                            "expected histogram point for {} at {t}, got one at {}",
                            exp.labels,
                            actual.t
                        ));
                    }
                    if !histograms_match(h, &actual.h, *explicit) {
                        let message = format!(
                            "expected {h} at {t} for {} but got {}",
                            exp.labels, actual.h
                        );
                        return Err(
                            EvalFailure::mismatch(message, &exp.labels, h, &actual.h).at(*t)
                        );
                    }
                }
            }
            for exp in expected_list {
                if !matrix.iter().any(|s| s.metric == exp.labels) {
                    return Err(fail!("expected metric {} not found", exp.labels));
                }
            }
            Ok(())
        }
        Value::Vector(vector) => {
            if let Expected::Scalar(_) = cmd.expected {
                return Err(fail!("expected scalar result, but got a vector"));
            }
            for (pos, s) in vector.iter().enumerate() {
                let Some(exp) = expected_series(cmd, &s.metric) else {
                    return Err(match &s.h {
                        Some(h) => {
                            fail!("unexpected metric {} in result, has value {h}", s.metric)
                        }
                        None => fail!(
                            "unexpected metric {} in result, has value {}",
                            s.metric,
                            s.f
                        ),
                    });
                };
                if cmd.ordered && exp.position != pos + 1 {
                    return Err(fail!(
                        "expected metric {} at position {} but was at {}",
                        s.metric,
                        exp.position,
                        pos + 1
                    ));
                }
                match (exp.values.first(), &s.h) {
                    (
                        Some(SeriesValue::Histogram {
                            histogram,
                            explicit_hint,
                        }),
                        Some(h),
                    ) => {
                        if !histograms_match(histogram, h, *explicit_hint) {
                            let message =
                                format!("expected {histogram} for {} but got {h}", s.metric);
                            return Err(EvalFailure::mismatch(message, &s.metric, histogram, h));
                        }
                    }
                    (Some(SeriesValue::Histogram { histogram, .. }), None) => {
                        return Err(fail!(
                            "expected histogram {histogram} for {} but got float value {}",
                            s.metric,
                            s.f
                        ));
                    }
                    (_, Some(h)) => {
                        return Err(fail!(
                            "expected float value for {} but got histogram {h}",
                            s.metric
                        ));
                    }
                    (Some(SeriesValue::Float(f)), None) => {
                        if !almost_equal(*f, s.f) {
                            let message = format!("expected {f} for {} but got {}", s.metric, s.f);
                            return Err(EvalFailure::mismatch(message, &s.metric, f, s.f));
                        }
                    }
                    (_, None) => {
                        if !almost_equal(0.0, s.f) {
                            return Err(fail!(
                                "expected no value for {} but got {}",
                                s.metric,
                                s.f
                            ));
                        }
                    }
                }
            }
            for exp in expected_list {
                if !vector.iter().any(|s| s.metric == exp.labels) {
                    return Err(fail!("expected metric {} not found", exp.labels));
                }
            }
            Ok(())
        }
        Value::Scalar(v) => match &cmd.expected {
            Expected::Scalar(e) => {
                if almost_equal(*e, *v) {
                    Ok(())
                } else {
                    Err(EvalFailure {
                        expected: Some(e.to_string()),
                        got: Some(v.to_string()),
                        ..fail!("expected scalar {e} but got {v}")
                    })
                }
            }
            Expected::Series(_) => Err(fail!(
                "expected vector or matrix result, but got scalar {v}"
            )),
        },
        Value::String(s) => {
            let expected = cmd.expect_string.clone().unwrap_or_default();
            if &expected == s {
                Ok(())
            } else {
                Err(EvalFailure {
                    expected: Some(expected.clone()),
                    got: Some(s.clone()),
                    ..fail!("expected string {expected:?} but got {s:?}")
                })
            }
        }
    }
}

/// Compares histograms as the test harness does: after compaction, schema and zero threshold
/// exactly, counts and buckets with the float rule, the hint only when spelled out.
fn histograms_match(
    expected: &FloatHistogram,
    actual: &FloatHistogram,
    explicit_hint: bool,
) -> bool {
    expected
        .test_mismatch(actual, explicit_hint, almost_equal)
        .is_none()
}
