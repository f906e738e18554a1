//! The evaluator: walks the AST at one timestamp at a time.
//!
//! Prometheus evaluates every node over all steps of a range query at once; PromQL's semantics
//! are defined per step, so evaluating each step as an instant query gives the same values and
//! keeps this code close to the language definition. Range queries stitch the per-step results
//! into series; subqueries evaluate their inner expression at the absolute, step-aligned
//! timestamps inside their window, as Prometheus does.

use super::annotations::Annotations;
use super::error::EvalError;
use super::subset::{GroupKeys, SubsetLabelsMemo};
use super::value::{RangeSeries, Sample, Series, Val, Value};
use super::{EngineOptions, QueryResult, Semantics};
use crate::model::fxhash::{FxHashMap, FxHashSet};
use crate::model::{
    CounterResetHint, FPoint, HPoint, Labels, Matcher, RegexDialect, SampleValue, Timestamp,
    compile_anchored, is_stale_nan,
};
use crate::promql::{
    AtModifier, BinaryOp, DurationExpr, DurationNode, Expr, ExprKind, MatrixSelector, SubqueryExpr,
    UnaryOp, VectorSelector,
};
use crate::store::{Store, StoredSeries as StoreSeries, Window};
use crate::syntax::Span;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

mod selectors;
mod time;

/// `labels` without the metric name and the metadata labels that go with it.
/// What `label_replace` made of each input label set: identity → (the label set, the result).
pub type RelabelMemo = FxHashMap<usize, (Labels, Option<Labels>)>;

/// The result label sets of one vector binary operation, by the identities of the two
/// operands' label sets (both kept alive beside it), from its last evaluation and from this
/// one: label sets that recur from step to step are built once, and the memo never holds more
/// than two steps' worth.
#[derive(Debug, Default)]
pub struct BinopLabelsMemo {
    last: FxHashMap<(usize, usize), (Labels, Labels, Labels)>,
    this: FxHashMap<(usize, usize), (Labels, Labels, Labels)>,
}

impl BinopLabelsMemo {
    /// Starts an evaluation: what the one before built becomes the last.
    pub fn start_step(&mut self) {
        std::mem::swap(&mut self.last, &mut self.this);
        self.this.clear();
    }

    /// The result labels of `lhs` with `rhs`: the last evaluation's, or `build`'s.
    pub fn get(&mut self, lhs: &Labels, rhs: &Labels, build: impl FnOnce() -> Labels) -> Labels {
        let key = (lhs.identity(), rhs.identity());
        let entry = match self.last.remove(&key) {
            Some(entry) => entry,
            None => (lhs.clone(), rhs.clone(), build()),
        };
        let metric = entry.2.clone();
        self.this.insert(key, entry);
        metric
    }
}

pub(crate) fn drop_metric_name(labels: &Labels) -> Labels {
    labels.drop_metric_name()
}

/// The reason of a regex error: the last line (`error: <reason>`) of a syntax error, or the
/// whole text of other errors.
fn regex_reason(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .unwrap_or_else(|| text.trim())
        .to_string()
}

/// Per-query evaluation state.
pub(crate) struct Evaluator<'s> {
    pub store: &'s Store,
    pub opts: &'s EngineOptions,
    /// Query start, end and step (for `@ start()`, `@ end()`, `start()`, `step()`, ...).
    pub start: Timestamp,
    pub end: Timestamp,
    pub interval: i64,
    pub annotations: Annotations,
    pub window: Window,
    /// Samples held at the current step, checked against `max_samples`.
    samples: usize,
    /// Evaluation steps taken so far, checked against `max_steps`.
    steps: u64,
    /// Series selected per selector node, so a range query selects once.
    selections: FxHashMap<*const VectorSelector, Rc<Vec<&'s StoreSeries>>>,
    /// Selectors read through Prometheus's `HistogramStatsIterator` (under `histogram_count`,
    /// `histogram_sum` or `histogram_avg`), which detects counter resets on the fly.
    stats_selectors: FxHashSet<*const VectorSelector>,
    /// The first step of the innermost range evaluation (the query's start, or a subquery's
    /// first step), where Prometheus 2 converts `@` to offsets.
    pub range_eval_start: Timestamp,
    /// Resolve `@` as Prometheus 2 does for `predict_linear`'s range argument: as an offset
    /// fixed at `range_eval_start`.
    pub at_drift: bool,
    /// Per selector: whether its series stay distinct without their names.
    unique_without_name: FxHashMap<*const VectorSelector, bool>,
    /// Group label sets of aggregations, built once per query when it evaluates several steps
    /// (`repeats`): a single step has nothing to reuse.
    pub group_labels: SubsetLabelsMemo,
    /// The groups of each aggregation, kept across the steps of a query (`repeats`).
    pub aggregation_groups: FxHashMap<*const crate::promql::AggregateExpr, GroupKeys>,
    /// Per range selector and selected series: the sample positions of its last window, where
    /// the next step's search starts (`repeats`).
    pub window_hints: FxHashMap<*const VectorSelector, Vec<(u32, u32)>>,
    /// Per instant selector and selected series: how many samples its last lookup found at
    /// or before its time, where the next step's search starts (`repeats`).
    pub latest_hints: FxHashMap<*const VectorSelector, Vec<u32>>,
    /// Per `label_replace` call: each input label set (by identity, kept alive) and what it
    /// became (`None`: the regex did not match), across the steps of a query (`repeats`).
    pub relabeled: FxHashMap<*const crate::promql::Call, RelabelMemo>,
    /// Per vector binary operation: its result label sets (`repeats`).
    pub binop_labels: FxHashMap<*const crate::promql::BinaryExpr, BinopLabelsMemo>,
    /// Whether the query evaluates expressions at more than one step (a range query or a
    /// subquery).
    pub repeats: bool,
    /// Regexes of `label_replace` compiled so far, by pattern: compiled once per query, not at
    /// every step (a `[10d:1s]` subquery has 864,000).
    regexes: FxHashMap<String, Result<regex::Regex, String>>,
    /// When the query must be done by ([`EngineOptions::timeout`]), checked every few steps.
    deadline: Option<std::time::Instant>,
    /// Steps since the clock was last read.
    ticks: u32,
}

impl<'s> Evaluator<'s> {
    pub fn new(
        store: &'s Store,
        opts: &'s EngineOptions,
        start: Timestamp,
        end: Timestamp,
        interval: i64,
    ) -> Self {
        Evaluator {
            store,
            opts,
            start,
            end,
            interval,
            annotations: Annotations::default(),
            window: opts.semantics.window(),
            samples: 0,
            steps: 0,
            selections: FxHashMap::default(),
            stats_selectors: FxHashSet::default(),
            range_eval_start: start,
            at_drift: false,
            group_labels: SubsetLabelsMemo::default(),
            aggregation_groups: FxHashMap::default(),
            window_hints: FxHashMap::default(),
            latest_hints: FxHashMap::default(),
            relabeled: FxHashMap::default(),
            binop_labels: FxHashMap::default(),
            repeats: false,
            unique_without_name: FxHashMap::default(),
            regexes: FxHashMap::default(),
            deadline: opts
                .timeout
                .and_then(|limit| std::time::Instant::now().checked_add(limit)),
            ticks: 0,
        }
    }

    /// Counts one evaluation step (of a range query or a subquery) and, every 64 steps, fails
    /// once the query's time is up.
    pub fn tick(&mut self) -> Result<(), EvalError> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % 64 != 0 {
            return Ok(());
        }
        self.check_deadline()
    }

    /// Fails once the query's time is up ([`EngineOptions::timeout`]).
    pub fn check_deadline(&self) -> Result<(), EvalError> {
        match (self.deadline, self.opts.timeout) {
            (Some(deadline), Some(limit)) if std::time::Instant::now() >= deadline => {
                Err(EvalError::Timeout { limit })
            }
            _ => Ok(()),
        }
    }

    /// Whether `expr` gives an empty vector at every step whatever the time: all the series it
    /// could draw on are absent from the store and nothing in it makes samples from nothing
    /// (`vector`, `absent`, a scalar operand of `or`, fill modifiers, ...). Conservative: `false`
    /// when unsure. A subquery over such an expression is empty without evaluating its steps.
    pub fn always_empty(&mut self, expr: &Expr) -> bool {
        match &expr.kind {
            ExprKind::VectorSelector(vs) => self.select(vs).is_empty(),
            ExprKind::MatrixSelector(ms) => self.select(&ms.selector).is_empty(),
            ExprKind::Subquery(sq) => self.always_empty(&sq.expr),
            ExprKind::Paren(inner) => self.always_empty(inner),
            ExprKind::Unary(u) => self.always_empty(&u.expr),
            ExprKind::Aggregate(a) => self.always_empty(&a.expr),
            ExprKind::Number(_) | ExprKind::String(_) => false,
            ExprKind::Call(c) => {
                if matches!(
                    c.func.name,
                    "absent" | "absent_over_time" | "vector" | "scalar"
                ) {
                    return false;
                }
                // The first vector or matrix argument is the one whose series the result has.
                match c.args.iter().find(|a| {
                    matches!(
                        a.value_type(),
                        crate::promql::ValueType::Vector | crate::promql::ValueType::Matrix
                    )
                }) {
                    Some(arg) => self.always_empty(arg),
                    None => false,
                }
            }
            ExprKind::Binary(b) => {
                use crate::promql::ValueType;
                let (l, r) = (b.lhs.value_type(), b.rhs.value_type());
                match (l, r) {
                    (ValueType::Vector, ValueType::Vector) => {
                        let fills = b
                            .matching
                            .as_ref()
                            .is_some_and(|m| m.fill.lhs.is_some() || m.fill.rhs.is_some());
                        if fills {
                            return false;
                        }
                        match b.op {
                            BinaryOp::And | BinaryOp::Unless => self.always_empty(&b.lhs),
                            BinaryOp::Or => self.always_empty(&b.lhs) && self.always_empty(&b.rhs),
                            _ => self.always_empty(&b.lhs) || self.always_empty(&b.rhs),
                        }
                    }
                    (ValueType::Vector, _) => self.always_empty(&b.lhs),
                    (_, ValueType::Vector) => self.always_empty(&b.rhs),
                    _ => false,
                }
            }
        }
    }

    /// `pattern` compiled anchored, as `label_replace` matches (`^(?s:pattern)$` in Prometheus 3,
    /// `^(?:pattern)$` in 2), once per query. `Err` is the regex engine's reason, found by
    /// compiling the pattern alone so that it speaks of what the user wrote.
    pub fn anchored_regex(&mut self, pattern: &str) -> Result<regex::Regex, String> {
        if let Some(found) = self.regexes.get(pattern) {
            return found.clone();
        }
        let dialect = match self.opts.semantics {
            Semantics::Prometheus3 => RegexDialect::Prometheus3,
            Semantics::Prometheus2 => RegexDialect::Prometheus2,
        };
        let compiled = compile_anchored(pattern, dialect).map_err(|error| {
            let text = error.to_string();
            if let Some(go) = text.strip_prefix("error parsing regexp: ") {
                return go.to_string();
            }
            let alone = regex::Regex::new(pattern).err().unwrap_or(error);
            regex_reason(&alone)
        });
        self.regexes.insert(pattern.to_string(), compiled.clone());
        compiled
    }

    /// Finds the selectors Prometheus reads through its histogram-stats iterator: those with a
    /// `histogram_count`, `histogram_sum` or `histogram_avg` above them and no subquery,
    /// bucket-reading function or trim operator anywhere above (`detectHistogramStatsDecoding`).
    fn mark_stats_selectors(&mut self, expr: &Expr, seen: bool, blocked: bool) {
        match &expr.kind {
            ExprKind::VectorSelector(vs) => {
                if seen && !blocked {
                    self.stats_selectors.insert(vs as *const VectorSelector);
                }
            }
            ExprKind::MatrixSelector(ms) => {
                if seen && !blocked {
                    self.stats_selectors
                        .insert(&ms.selector as *const VectorSelector);
                }
            }
            ExprKind::Subquery(sq) => self.mark_stats_selectors(&sq.expr, seen, true),
            ExprKind::Call(c) => {
                let (seen, blocked) = match c.func.name {
                    "histogram_count" | "histogram_sum" | "histogram_avg" => (true, blocked),
                    "histogram_quantile" | "histogram_quantiles" | "histogram_fraction" => {
                        (seen, true)
                    }
                    _ => (seen, blocked),
                };
                for arg in &c.args {
                    self.mark_stats_selectors(arg, seen, blocked);
                }
            }
            ExprKind::Binary(b) => {
                let blocked = blocked || matches!(b.op, BinaryOp::TrimUpper | BinaryOp::TrimLower);
                self.mark_stats_selectors(&b.lhs, seen, blocked);
                self.mark_stats_selectors(&b.rhs, seen, blocked);
            }
            _ => {
                for child in expr.children() {
                    self.mark_stats_selectors(child, seen, blocked);
                }
            }
        }
    }

    fn is_stats_selector(&self, vs: &VectorSelector) -> bool {
        !self.stats_selectors.is_empty()
            && self
                .stats_selectors
                .contains(&(vs as *const VectorSelector))
    }

    /// An instant query: evaluate, then apply delayed name removal and duplicate checks.
    pub fn run_instant(mut self, expr: &Expr, t: Timestamp) -> Result<QueryResult, EvalError> {
        self.mark_stats_selectors(expr, false, false);
        self.samples = 0;
        let val = self.eval(expr, t)?;
        let value = match val {
            Val::Scalar(f) => Value::Scalar(f),
            Val::String(s) => Value::String(s),
            Val::Vector(v) => Value::Vector(finish_vector(v)?),
            Val::Matrix(m) => Value::Matrix(finish_matrix(m.into_iter().map(|s| {
                let drop = s.drop_name;
                (s.into_series(), drop)
            }))?),
        };
        Ok(QueryResult {
            value,
            annotations: self.annotations,
        })
    }

    /// A range query: evaluate at every step and stitch the results into series.
    pub fn run_range(mut self, expr: &Expr) -> Result<QueryResult, EvalError> {
        self.mark_stats_selectors(expr, false, false);
        match expr.value_type() {
            crate::promql::ValueType::Scalar | crate::promql::ValueType::Vector => {}
            crate::promql::ValueType::String => {
                return Err(EvalError::InvalidRangeQueryType("string"));
            }
            crate::promql::ValueType::Matrix => {
                return Err(EvalError::InvalidRangeQueryType("range vector"));
            }
        }
        // The result's series in the order met, where each label set is among them, and the
        // series each sample of the last step went to.
        let mut series: Vec<(Series, bool)> = Vec::new();
        let mut by_labels: BTreeMap<Labels, usize> = BTreeMap::new();
        let (mut last_step, mut this_step): (Vec<usize>, Vec<usize>) = (Vec::new(), Vec::new());
        // The metric of each series as produced (before delayed name removal), to detect two
        // results with the same labels at one step.
        let count = ((self.end - self.start) / self.interval) as u64 + 1;
        self.take_steps(count)?;
        self.repeats |= count > 1;
        let mut t = self.start;
        // Samples of the result so far: they stay in memory until the query ends, so they count
        // against `max_samples` with those of each step (as in Prometheus).
        let mut held = 0usize;
        while t <= self.end {
            // A step of a range query can be long (a selector over many series): the clock is
            // read at each.
            self.check_deadline()?;
            self.samples = held;
            let val = self.eval(expr, t)?;
            if let Val::Vector(vector) = &val {
                held = held.saturating_add(vector.iter().map(Sample::cost).sum::<usize>());
                if held > self.opts.max_samples {
                    return Err(EvalError::TooManySamples);
                }
            }
            match val {
                Val::Scalar(f) => {
                    let index = *by_labels.entry(Labels::empty()).or_insert_with(|| {
                        series.push((empty_series(Labels::empty()), false));
                        series.len() - 1
                    });
                    series[index].0.floats.push(FPoint { t, f });
                }
                Val::Vector(vector) => {
                    for sample in vector {
                        // Most steps produce the label sets of the step before in the same
                        // order, often the very same: the one at this position last step is
                        // tried first (one comparison, or none when shared), then the search.
                        let guess = last_step
                            .get(this_step.len())
                            .filter(|&&i| series[i].0.metric == sample.metric);
                        let index = match guess {
                            Some(&i) => i,
                            None => *by_labels.entry(sample.metric.clone()).or_insert_with(|| {
                                series
                                    .push((empty_series(sample.metric.clone()), sample.drop_name));
                                series.len() - 1
                            }),
                        };
                        this_step.push(index);
                        let entry = &mut series[index];
                        let last_t = entry
                            .0
                            .floats
                            .last()
                            .map(|p| p.t)
                            .max(entry.0.histograms.last().map(|p| p.t));
                        if last_t == Some(t) {
                            return Err(EvalError::DuplicateLabelSet);
                        }
                        entry.1 |= sample.drop_name;
                        match sample.h {
                            Some(h) => entry.0.histograms.push(HPoint { t, h }),
                            None => entry.0.floats.push(FPoint { t, f: sample.f }),
                        }
                    }
                }
                Val::String(_) => return Err(EvalError::InvalidRangeQueryType("string")),
                Val::Matrix(_) => return Err(EvalError::InvalidRangeQueryType("range vector")),
            }
            std::mem::swap(&mut last_step, &mut this_step);
            this_step.clear();
            t = match t.checked_add(self.interval) {
                Some(next) => next,
                None => break,
            };
        }
        let in_order = by_labels
            .into_values()
            .map(|i| std::mem::replace(&mut series[i], (empty_series(Labels::empty()), false)));
        let matrix = finish_matrix(in_order)?;
        Ok(QueryResult {
            value: Value::Matrix(matrix),
            annotations: self.annotations,
        })
    }

    /// Takes `n` evaluation steps from the query's budget, or fails before taking them.
    fn take_steps(&mut self, n: u64) -> Result<(), EvalError> {
        let needed = self.steps.saturating_add(n);
        if needed > self.opts.max_steps {
            return Err(EvalError::TooManySteps {
                needed,
                limit: self.opts.max_steps,
            });
        }
        self.steps = needed;
        Ok(())
    }

    /// Counts `n` more samples held at this step.
    pub fn account(&mut self, n: usize) -> Result<(), EvalError> {
        self.samples = self.samples.saturating_add(n);
        if self.samples > self.opts.max_samples {
            return Err(EvalError::TooManySamples);
        }
        Ok(())
    }

    /// Whether names are dropped at the end of evaluation rather than immediately.
    pub fn delayed_name_removal(&self) -> bool {
        self.opts.delayed_name_removal
    }

    /// Marks a sample's metric name for removal: at once, or at the end with delayed removal.
    pub fn drop_name(&self, sample: &mut Sample) {
        sample.drop_name = true;
        if !self.opts.delayed_name_removal {
            sample.metric = drop_metric_name(&sample.metric);
        }
    }

    /// Evaluates `expr` at `t`.
    pub fn eval(&mut self, expr: &Expr, t: Timestamp) -> Result<Val<'s>, EvalError> {
        match &expr.kind {
            ExprKind::Number(n) => Ok(Val::Scalar(n.value)),
            ExprKind::String(s) => Ok(Val::String(s.value.clone())),
            ExprKind::Paren(inner) => self.eval(inner, t),
            ExprKind::Unary(u) => {
                let val = self.eval(&u.expr, t)?;
                match u.op {
                    UnaryOp::Pos => Ok(val),
                    UnaryOp::Neg => self.negate(val),
                }
            }
            ExprKind::VectorSelector(vs) => {
                Ok(Val::Vector(self.vector_selector(vs, expr.span, t)?))
            }
            ExprKind::MatrixSelector(ms) => Ok(Val::Matrix(self.matrix_selector(ms, t)?)),
            ExprKind::Subquery(sq) => Ok(Val::Matrix(self.subquery(sq, t)?)),
            ExprKind::Binary(b) => super::binary::eval(self, b, expr.span, t),
            ExprKind::Aggregate(a) => super::aggregate::eval(self, a, expr.span, t),
            ExprKind::Call(c) => super::functions::eval(self, c, expr.span, t),
        }
    }

    /// Evaluates an expression that must give a scalar.
    pub fn eval_scalar(&mut self, expr: &Expr, t: Timestamp) -> Result<f64, EvalError> {
        match self.eval(expr, t)? {
            Val::Scalar(f) => Ok(f),
            // The parser's type checks make other types impossible here.
            _ => Ok(f64::NAN),
        }
    }

    /// Evaluates an expression that must give an instant vector.
    pub fn eval_vector(&mut self, expr: &Expr, t: Timestamp) -> Result<Vec<Sample>, EvalError> {
        match self.eval(expr, t)? {
            Val::Vector(v) => Ok(v),
            _ => Ok(Vec::new()),
        }
    }

    fn negate(&mut self, val: Val<'s>) -> Result<Val<'s>, EvalError> {
        match val {
            Val::Scalar(f) => Ok(Val::Scalar(-f)),
            Val::Vector(mut vector) => {
                for sample in &mut vector {
                    self.drop_name(sample);
                    match &sample.h {
                        Some(h) => sample.h = Some(Arc::new(negate_histogram(h))),
                        None => sample.f = -sample.f,
                    }
                }
                if !self.opts.delayed_name_removal {
                    check_no_duplicates(&vector)?;
                }
                Ok(Val::Vector(vector))
            }
            other => Ok(other),
        }
    }
}

/// The hint Prometheus's `HistogramStatsIterator` gives a histogram: a stored hint other than
/// `unknown` stays; otherwise `reset` or `not_reset` against the previous histogram read, or
/// `unknown` for the first one.
fn stats_hint(
    prev: Option<&crate::model::FloatHistogram>,
    h: Arc<crate::model::FloatHistogram>,
) -> Arc<crate::model::FloatHistogram> {
    if h.counter_reset_hint != CounterResetHint::Unknown {
        return h;
    }
    let Some(prev) = prev else { return h };
    let hint = if h.detect_reset(prev) {
        CounterResetHint::Reset
    } else {
        CounterResetHint::NotReset
    };
    let mut changed = (*h).clone();
    changed.counter_reset_hint = hint;
    Arc::new(changed)
}

/// The start timestamp stored for the sample of `series` at `t` (0 when unknown).
fn start_time_at(series: &StoreSeries, t: Timestamp) -> Timestamp {
    let range = series.float_range(t.saturating_sub(1), t, Window::LeftOpen);
    if !range.is_empty() {
        return series
            .float_start_times(range)
            .and_then(|s| s.first().copied())
            .unwrap_or(0);
    }
    let range = series.histogram_range(t.saturating_sub(1), t, Window::LeftOpen);
    series
        .histogram_start_times(range)
        .and_then(|s| s.first().copied())
        .unwrap_or(0)
}

fn empty_series(metric: Labels) -> Series {
    Series {
        metric,
        floats: Vec::new(),
        histograms: Vec::new(),
    }
}

/// Go's `math.Min`: NaN if either is NaN.
pub(crate) fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// Go's `math.Max`: NaN if either is NaN.
pub(crate) fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Linear interpolation of the value at `t` between two points.
pub(crate) fn interpolate(p1: FPoint, p2: FPoint, t: Timestamp, is_counter: bool) -> f64 {
    let y1 = if is_counter && p2.f < p1.f { 0.0 } else { p1.f };
    y1 + (p2.f - y1) * t.wrapping_sub(p1.t) as f64 / p2.t.wrapping_sub(p1.t) as f64
}

/// Prometheus's `extendFloats`: adds points at the window edges for `anchored` and `smoothed`
/// selectors, picking or interpolating their values.
fn extend_floats(
    floats: &[FPoint],
    mint: Timestamp,
    maxt: Timestamp,
    smoothed: bool,
) -> Vec<FPoint> {
    let mut last = floats.len() - 1;
    let search = |n: usize, pred: &dyn Fn(usize) -> bool| -> usize {
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if pred(mid) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    };
    let mut first = search(last, &|i| floats[i].t > mint).saturating_sub(1);
    if smoothed {
        last = search(last, &|i| floats[i].t >= maxt);
    }
    if floats[last].t <= mint {
        return Vec::new();
    }
    let left = pick_or_interpolate_left(floats, first, mint, smoothed);
    let right = pick_or_interpolate_right(floats, last, maxt, smoothed);
    if floats[first].t <= mint {
        first += 1;
    }
    let last_inclusive = if floats[last].t >= maxt {
        last as isize - 1
    } else {
        last as isize
    };
    let mut out = Vec::with_capacity(floats.len() + 2);
    out.push(FPoint { t: mint, f: left });
    if last_inclusive >= first as isize {
        out.extend_from_slice(&floats[first..=last_inclusive as usize]);
    }
    out.push(FPoint { t: maxt, f: right });
    out
}

fn pick_or_interpolate_left(
    floats: &[FPoint],
    first: usize,
    mint: Timestamp,
    smoothed: bool,
) -> f64 {
    if smoothed && floats[first].t < mint && first + 1 < floats.len() {
        return interpolate(floats[first], floats[first + 1], mint, false);
    }
    floats[first].f
}

fn pick_or_interpolate_right(
    floats: &[FPoint],
    last: usize,
    maxt: Timestamp,
    smoothed: bool,
) -> f64 {
    if smoothed && last > 0 && floats[last].t > maxt {
        return interpolate(floats[last - 1], floats[last], maxt, false);
    }
    floats[last].f
}

/// Negates a histogram (unary minus): Prometheus's `Copy().Mul(-1)`.
pub(crate) fn negate_histogram(h: &crate::model::FloatHistogram) -> crate::model::FloatHistogram {
    let mut out = h.clone();
    out.negate();
    out
}

/// Errors when two samples of a vector have the same labels.
pub(crate) fn check_no_duplicates(vector: &[Sample]) -> Result<(), EvalError> {
    if vector.len() < 2 {
        return Ok(());
    }
    let mut seen: FxHashSet<&Labels> =
        FxHashSet::with_capacity_and_hasher(vector.len(), Default::default());
    for s in vector {
        if !seen.insert(&s.metric) {
            return Err(EvalError::DuplicateLabelSet);
        }
    }
    Ok(())
}

/// Applies delayed name removal to an instant vector result and checks for duplicates.
fn finish_vector(mut vector: Vec<Sample>) -> Result<Vec<Sample>, EvalError> {
    for s in &mut vector {
        if s.drop_name {
            s.metric = drop_metric_name(&s.metric);
            s.drop_name = false;
        }
    }
    check_no_duplicates(&vector)?;
    Ok(vector)
}

/// Applies delayed name removal to matrix series, merges series that end up with the same
/// labels (an error if they overlap in time), and sorts them by labels.
fn finish_matrix(
    series: impl IntoIterator<Item = (Series, bool)>,
) -> Result<Vec<Series>, EvalError> {
    let mut merged: BTreeMap<Labels, Series> = BTreeMap::new();
    for (mut s, drop) in series {
        if drop {
            s.metric = drop_metric_name(&s.metric);
        }
        match merged.get_mut(&s.metric) {
            None => {
                merged.insert(s.metric.clone(), s);
            }
            Some(existing) => {
                existing.floats.extend(s.floats);
                existing.histograms.extend(s.histograms);
                existing.floats.sort_by_key(|p| p.t);
                existing.histograms.sort_by_key(|p| p.t);
                let dup_f = existing.floats.windows(2).any(|w| w[0].t == w[1].t);
                let dup_h = existing.histograms.windows(2).any(|w| w[0].t == w[1].t);
                if dup_f || dup_h {
                    return Err(EvalError::DuplicateLabelSet);
                }
            }
        }
    }
    Ok(merged.into_values().collect())
}
