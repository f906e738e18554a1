//! The evaluator: walks the AST at one timestamp at a time.
//!
//! Prometheus evaluates every node over all steps of a range query at once; PromQL's semantics
//! are defined per step, so evaluating each step as an instant query gives the same values and
//! keeps this code close to the language definition. Range queries stitch the per-step results
//! into series; subqueries evaluate their inner expression at the absolute, step-aligned
//! timestamps inside their window, as Prometheus does.

use super::annotations::Annotations;
use super::error::EvalError;
use super::subset::SubsetLabelsMemo;
use super::value::{RangeSeries, Sample, Series, Val, Value};
use super::{EngineOptions, QueryResult, Semantics};
use crate::model::fxhash::{FxHashMap, FxHashSet};
use crate::model::{
    CounterResetHint, FPoint, HPoint, Labels, Matcher, SampleValue, Timestamp, is_stale_nan,
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

/// `labels` without the metric name and the metadata labels that go with it.
pub(crate) fn drop_metric_name(labels: &Labels) -> Labels {
    labels.drop_metric_name()
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
    /// Whether the query evaluates expressions at more than one step (a range query or a
    /// subquery).
    pub repeats: bool,
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
            repeats: false,
            unique_without_name: FxHashMap::default(),
        }
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
        let mut series: BTreeMap<Labels, (Series, bool)> = BTreeMap::new();
        // The metric of each series as produced (before delayed name removal), to detect two
        // results with the same labels at one step.
        let count = ((self.end - self.start) / self.interval) as u64 + 1;
        self.take_steps(count)?;
        self.repeats |= count > 1;
        let mut t = self.start;
        while t <= self.end {
            self.samples = 0;
            let val = self.eval(expr, t)?;
            match val {
                Val::Scalar(f) => {
                    let entry = series
                        .entry(Labels::empty())
                        .or_insert_with(|| (empty_series(Labels::empty()), false));
                    entry.0.floats.push(FPoint { t, f });
                }
                Val::Vector(vector) => {
                    for sample in vector {
                        let entry = series.entry(sample.metric.clone()).or_insert_with(|| {
                            (empty_series(sample.metric.clone()), sample.drop_name)
                        });
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
            t = match t.checked_add(self.interval) {
                Some(next) => next,
                None => break,
            };
        }
        let matrix = finish_matrix(series.into_values())?;
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

    // ---------------------------------------------------------------------------------------
    // Time arithmetic: durations, offsets and the @ modifier.

    /// The value of a duration node in ms. `allow_negative` for offsets.
    pub fn duration_ms(&self, node: &DurationNode, allow_negative: bool) -> Result<i64, EvalError> {
        let seconds = match &node.expr {
            DurationExpr::Literal(ms) => return Ok(*ms),
            other => self.duration_seconds(other, node.span)?,
        };
        if !seconds.is_finite() {
            return Err(EvalError::DurationNotFinite(node.span));
        }
        if seconds <= 0.0 && !allow_negative {
            return Err(EvalError::DurationNotPositive(node.span));
        }
        let limit = (i64::MAX / 1_000_000_000) as f64;
        if seconds > limit || seconds < -limit {
            return Err(EvalError::DurationOutOfRange(node.span));
        }
        // Prometheus converts float seconds to a time.Duration in ms: Duration(s*1000) * ms.
        Ok((seconds * 1000.0) as i64)
    }

    fn duration_seconds(&self, expr: &DurationExpr, span: Span) -> Result<f64, EvalError> {
        Ok(match expr {
            DurationExpr::Literal(ms) => *ms as f64 / 1000.0,
            DurationExpr::Number(n) => n.value,
            DurationExpr::Step => {
                if self.start == self.end {
                    0.0
                } else {
                    self.interval as f64 / 1000.0
                }
            }
            DurationExpr::Range => (self.end - self.start) as f64 / 1000.0,
            DurationExpr::Paren(inner) => self.duration_seconds(inner, span)?,
            DurationExpr::Unary(op, inner) => {
                let v = self.duration_seconds(inner, span)?;
                match op {
                    UnaryOp::Neg => -v,
                    UnaryOp::Pos => v,
                }
            }
            DurationExpr::MinOf(a, b) => go_min(
                self.duration_seconds(a, span)?,
                self.duration_seconds(b, span)?,
            ),
            DurationExpr::MaxOf(a, b) => go_max(
                self.duration_seconds(a, span)?,
                self.duration_seconds(b, span)?,
            ),
            DurationExpr::Binary(op, a, b) => {
                let (a, b) = (
                    self.duration_seconds(a, span)?,
                    self.duration_seconds(b, span)?,
                );
                match op {
                    BinaryOp::Add => a + b,
                    BinaryOp::Sub => a - b,
                    BinaryOp::Mul => a * b,
                    BinaryOp::Div => {
                        if b == 0.0 {
                            return Err(EvalError::DurationDivisionByZero(span));
                        }
                        a / b
                    }
                    BinaryOp::Mod => {
                        if b == 0.0 {
                            return Err(EvalError::DurationModuloByZero(span));
                        }
                        a % b
                    }
                    BinaryOp::Pow => a.powf(b),
                    _ => f64::NAN,
                }
            }
        })
    }

    /// The offset of a selector or subquery in ms (0 when absent).
    pub fn offset_ms(&self, offset: &Option<DurationNode>) -> Result<i64, EvalError> {
        match offset {
            Some(node) => self.duration_ms(node, true),
            None => Ok(0),
        }
    }

    /// The reference time of a selector: its `@` time or the evaluation time, minus the offset.
    pub fn reference_time(
        &self,
        at: Option<AtModifier>,
        offset: &Option<DurationNode>,
        t: Timestamp,
    ) -> Result<Timestamp, EvalError> {
        let base = match at {
            None => t,
            Some(AtModifier::Timestamp(ts)) => ts,
            Some(AtModifier::Start) => self.start,
            Some(AtModifier::End) => self.end,
        };
        let base = if self.at_drift && at.is_some() {
            base.saturating_add(t.saturating_sub(self.range_eval_start))
        } else {
            base
        };
        Ok(base.saturating_sub(self.offset_ms(offset)?))
    }

    // ---------------------------------------------------------------------------------------
    // Selectors.

    /// The store series matching a selector, selected once per query.
    pub fn select(&mut self, vs: &VectorSelector) -> Rc<Vec<&'s StoreSeries>> {
        let key = vs as *const VectorSelector;
        if let Some(found) = self.selections.get(&key) {
            return found.clone();
        }
        let found = match self.opts.semantics {
            Semantics::Prometheus3 => self.store.select(&vs.matchers),
            Semantics::Prometheus2 => {
                let matchers: Vec<Matcher> = vs
                    .matchers
                    .iter()
                    .map(|m| {
                        m.in_dialect(crate::model::RegexDialect::Prometheus2)
                            .unwrap_or_else(|_| m.clone())
                    })
                    .collect();
                self.store.select(&matchers)
            }
        };
        let found = Rc::new(found);
        self.selections.insert(key, found.clone());
        found
    }

    /// Whether the series a selector matches stay distinct without their metric names, so
    /// that no result of a function over them can hold duplicates.
    ///
    /// A selector with `__name__="..."` selects series of one name, distinct without it unless
    /// the metadata labels that are dropped with it (`__type__`, `__unit__`) tell them apart.
    /// Otherwise, with `scan`, the selection is checked once per query (worth it when the query
    /// repeats steps); without, the answer is "unknown" (`false`).
    pub fn selection_unique_without_name(&mut self, vs: &VectorSelector, scan: bool) -> bool {
        let one_name = vs
            .matchers
            .iter()
            .any(|m| m.name == crate::model::METRIC_NAME && m.op == crate::model::MatchOp::Equal);
        if one_name
            && !self.store.has_label_name("__type__")
            && !self.store.has_label_name("__unit__")
        {
            return true;
        }
        if !scan {
            return false;
        }
        let key = vs as *const VectorSelector;
        if let Some(&unique) = self.unique_without_name.get(&key) {
            return unique;
        }
        let series = self.select(vs);
        let mut seen: FxHashSet<&Labels> =
            FxHashSet::with_capacity_and_hasher(series.len(), Default::default());
        let unique = series.iter().all(|s| seen.insert(s.labels_without_name()));
        self.unique_without_name.insert(key, unique);
        unique
    }

    /// An instant vector selector at `t`: the newest sample of each series within the lookback
    /// window, unless it is a stale marker.
    pub fn vector_selector(
        &mut self,
        vs: &VectorSelector,
        span: Span,
        t: Timestamp,
    ) -> Result<Vec<Sample>, EvalError> {
        let series = self.select(vs);
        let ref_t = self.reference_time(vs.at, &vs.offset, t)?;
        if vs.smoothed {
            return self.smoothed_selector(&series, ref_t, span);
        }
        let lookback = self.opts.lookback_delta;
        let stats = self.is_stats_selector(vs);
        let mut out = Vec::with_capacity(series.len());
        for s in series.iter() {
            let Some((ts, value)) = s.latest(ref_t.saturating_sub(lookback), ref_t, self.window)
            else {
                continue;
            };
            match value {
                SampleValue::Float(f) if is_stale_nan(f) => continue,
                SampleValue::Float(f) => out.push(Sample::float(s.labels().clone(), f)),
                SampleValue::Histogram(h) => {
                    let h = if stats {
                        // The iterator seeks to the lookback start and reads forward, so the
                        // sample is compared with the histogram before it in that span.
                        let earlier = s.histogram_range(
                            ref_t.saturating_sub(lookback) - 1,
                            ts - 1,
                            Window::LeftOpen,
                        );
                        let prev = earlier
                            .end
                            .checked_sub(1)
                            .filter(|i| *i >= earlier.start)
                            .map(|i| &*s.histograms()[i].h);
                        stats_hint(prev, h)
                    } else {
                        h
                    };
                    out.push(Sample::histogram(s.labels().clone(), h));
                }
            }
        }
        self.account(out.len())?;
        Ok(out)
    }

    /// The timestamp of each series' sample seen by an instant selector (for `timestamp()`).
    pub fn vector_selector_timestamps(
        &mut self,
        vs: &VectorSelector,
        t: Timestamp,
    ) -> Result<Vec<(Labels, Timestamp, Timestamp)>, EvalError> {
        let ref_t = self.reference_time(vs.at, &vs.offset, t)?;
        self.vector_selector_timestamps_at(vs, ref_t)
    }

    /// Like [`Evaluator::vector_selector_timestamps`], with the reference time given.
    pub fn vector_selector_timestamps_at(
        &mut self,
        vs: &VectorSelector,
        ref_t: Timestamp,
    ) -> Result<Vec<(Labels, Timestamp, Timestamp)>, EvalError> {
        let series = self.select(vs);
        let lookback = self.opts.lookback_delta;
        let mut out = Vec::with_capacity(series.len());
        for s in series.iter() {
            let Some((ts, value)) = s.latest(ref_t.saturating_sub(lookback), ref_t, self.window)
            else {
                continue;
            };
            if value.is_stale() {
                continue;
            }
            let start_time = start_time_at(s, ts);
            out.push((s.labels().clone(), ts, start_time));
        }
        self.account(out.len())?;
        Ok(out)
    }

    /// A `smoothed` instant selector: the value interpolated at the reference time from the
    /// samples around it.
    fn smoothed_selector(
        &mut self,
        series: &[&'s StoreSeries],
        ref_t: Timestamp,
        span: Span,
    ) -> Result<Vec<Sample>, EvalError> {
        let lb = self.opts.lookback_delta;
        let mut out = Vec::new();
        for s in series {
            let floats: Vec<FPoint> = s
                .floats_in(
                    ref_t.saturating_sub(lb),
                    ref_t.saturating_add(lb),
                    Window::LeftOpen,
                )
                .iter()
                .copied()
                .filter(|p| !is_stale_nan(p.f))
                .collect();
            let hists = s.histograms_in(
                ref_t.saturating_sub(lb),
                ref_t.saturating_add(lb),
                Window::LeftOpen,
            );
            if floats.is_empty() && hists.is_empty() {
                continue;
            }
            if !floats.is_empty() && !hists.is_empty() {
                let name = s.labels().metric_name().unwrap_or("");
                self.annotations.warn(
                    format!(
                        "encountered a mix of histograms and floats for metric name {}",
                        crate::syntax::lex::quote(name)
                    ),
                    span,
                );
                continue;
            }
            if !hists.is_empty() {
                if let Some(h) = self.smoothed_histogram(
                    hists,
                    ref_t,
                    s.labels().metric_name().unwrap_or(""),
                    span,
                ) {
                    out.push(Sample::histogram(s.labels().clone(), Arc::new(h)));
                }
                continue;
            }
            let i = floats.partition_point(|p| p.t < ref_t);
            let value = if i < floats.len() && floats[i].t == ref_t {
                Some(floats[i].f)
            } else if i > 0 && i < floats.len() {
                Some(interpolate(floats[i - 1], floats[i], ref_t, false))
            } else if i > 0 {
                Some(floats[i - 1].f)
            } else {
                None
            };
            if let Some(f) = value {
                out.push(Sample::float(s.labels().clone(), f));
            }
        }
        self.account(out.len())?;
        Ok(out)
    }

    /// The histogram a `smoothed` selector sees at `ref_t`: the sample there, or one interpolated
    /// between its neighbours (as a counter unless both are gauges), or the last one carried
    /// forward with an unknown counter-reset hint (Prometheus's `smoothSeries`).
    fn smoothed_histogram(
        &mut self,
        hists: &[HPoint],
        ref_t: Timestamp,
        name: &str,
        span: Span,
    ) -> Option<crate::model::FloatHistogram> {
        use super::functions::rate::{interpolate_histograms, mixed_exponential_custom};
        let i = hists.partition_point(|p| p.t < ref_t);
        if i < hists.len() && hists[i].t == ref_t {
            return Some((*hists[i].h).clone());
        }
        if i > 0 && i < hists.len() {
            let (prev, next) = (&hists[i - 1], &hists[i]);
            if prev.h.uses_custom_buckets() != next.h.uses_custom_buckets() {
                self.annotations.warn(mixed_exponential_custom(name), span);
                return None;
            }
            let is_counter = prev.h.counter_reset_hint != CounterResetHint::Gauge
                || next.h.counter_reset_hint != CounterResetHint::Gauge;
            return match interpolate_histograms(
                &mut self.annotations,
                span,
                prev,
                next,
                ref_t,
                is_counter,
            ) {
                Ok(h) => Some(h),
                Err(_) => {
                    self.annotations.warn(mixed_exponential_custom(name), span);
                    None
                }
            };
        }
        if i > 0 {
            let mut h = (*hists[i - 1].h).clone();
            h.counter_reset_hint = CounterResetHint::Unknown;
            return Some(h);
        }
        None
    }

    /// A range vector selector at `t`, as a query result: `anchored` and `smoothed` windows are
    /// extended with points at their edges (Prometheus's `matrixSelector` with `extendFloats`).
    pub fn matrix_selector(
        &mut self,
        ms: &MatrixSelector,
        t: Timestamp,
    ) -> Result<Vec<RangeSeries<'s>>, EvalError> {
        self.range_selection(ms, t, true)
    }

    /// A range vector selector at `t` as a range function's argument: the raw samples, with the
    /// window widened by the lookback delta for `anchored` (before) and `smoothed` (both sides);
    /// the function picks or interpolates the edges itself.
    pub fn matrix_selector_for_function(
        &mut self,
        ms: &MatrixSelector,
        t: Timestamp,
    ) -> Result<Vec<RangeSeries<'s>>, EvalError> {
        self.range_selection(ms, t, false)
    }

    fn range_selection(
        &mut self,
        ms: &MatrixSelector,
        t: Timestamp,
        extend: bool,
    ) -> Result<Vec<RangeSeries<'s>>, EvalError> {
        let vs = &ms.selector;
        let series = self.select(vs);
        let range = self.duration_ms(&ms.range, false)?;
        let lb = self.opts.lookback_delta;
        let maxt0 = self.reference_time(vs.at, &vs.offset, t)?;
        let mint0 = maxt0.saturating_sub(range);
        let (mint, maxt) = if vs.anchored {
            (mint0.saturating_sub(lb), maxt0)
        } else if vs.smoothed {
            (mint0.saturating_sub(lb), maxt0.saturating_add(lb))
        } else {
            (mint0, maxt0)
        };
        // A drifting `@` window (see `at_drift`) still only sees the samples that Prometheus
        // 2's storage returned for the selector: those in its planned range, `[@ - range, @]`
        // (minus the offset), as the TSDB trims to the select hints.
        let (mint, maxt) = if self.at_drift && vs.at.is_some() {
            self.at_drift = false;
            let planned = self.reference_time(vs.at, &vs.offset, t);
            self.at_drift = true;
            let planned = planned?;
            (mint.max(planned.saturating_sub(range)), maxt.min(planned))
        } else {
            (mint, maxt)
        };
        if mint > maxt {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(series.len());
        let mut held = 0usize;
        for s in series.iter() {
            if mint == maxt {
                continue;
            }
            let float_range = s.float_range(mint, maxt, self.window);
            let hist_range = s.histogram_range(mint, maxt, self.window);
            let all_floats = &s.floats()[float_range.clone()];
            let (floats, float_start_times): (Cow<'s, [FPoint]>, Option<Cow<'s, [Timestamp]>>) =
                if all_floats.iter().any(|p| is_stale_nan(p.f)) {
                    let starts = s.float_start_times(float_range.clone());
                    let mut kept = Vec::with_capacity(all_floats.len());
                    let mut kept_starts = Vec::new();
                    for (i, p) in all_floats.iter().enumerate() {
                        if !is_stale_nan(p.f) {
                            kept.push(*p);
                            if let Some(st) = starts {
                                kept_starts.push(st[i]);
                            }
                        }
                    }
                    (Cow::Owned(kept), starts.map(|_| Cow::Owned(kept_starts)))
                } else {
                    (
                        Cow::Borrowed(all_floats),
                        s.float_start_times(float_range).map(Cow::Borrowed),
                    )
                };
            let mut histograms: Cow<'s, [HPoint]> =
                Cow::Borrowed(&s.histograms()[hist_range.clone()]);
            if self.is_stats_selector(vs) && !histograms.is_empty() {
                // The iterator seeks to the window start (inclusive) and reads forward,
                // detecting counter resets against the previous histogram it read.
                let seek = s.histogram_range(mint - 1, maxt, Window::LeftOpen);
                let all = &s.histograms()[seek.start..hist_range.end];
                let mut prev: Option<&crate::model::FloatHistogram> = None;
                let mut with_hints = Vec::with_capacity(histograms.len());
                for p in all {
                    let h = stats_hint(prev, p.h.clone());
                    prev = Some(&p.h);
                    if p.t > mint || self.window == Window::LeftClosed {
                        with_hints.push(HPoint { t: p.t, h });
                    }
                }
                histograms = Cow::Owned(with_hints);
            }
            let histogram_start_times = s.histogram_start_times(hist_range).map(Cow::Borrowed);
            let mut rs = RangeSeries {
                metric: s.labels().clone(),
                store_without_name: Some(s.labels_without_name()),
                floats,
                histograms,
                float_start_times,
                histogram_start_times,
                drop_name: false,
            };
            if extend && (vs.anchored || vs.smoothed) {
                if !rs.histograms.is_empty() {
                    return Err(if vs.anchored {
                        EvalError::AnchoredWithHistograms
                    } else {
                        EvalError::SmoothedWithHistograms
                    });
                }
                if rs.floats.is_empty() {
                    continue;
                }
                rs.floats = Cow::Owned(extend_floats(&rs.floats, mint0, maxt0, vs.smoothed));
                rs.float_start_times = None;
            }
            let n = rs.floats.len() + rs.histograms.len();
            if n == 0 {
                continue;
            }
            held += n;
            out.push(rs);
        }
        self.account(held)?;
        Ok(out)
    }

    /// A subquery at `t`: the inner expression evaluated at every step-aligned timestamp in the
    /// window, collected into series.
    pub fn subquery(
        &mut self,
        sq: &SubqueryExpr,
        t: Timestamp,
    ) -> Result<Vec<RangeSeries<'s>>, EvalError> {
        let range = self.duration_ms(&sq.range, false)?;
        let step = match &sq.step {
            Some(step) => self.duration_ms(step, false)?,
            None => self.opts.default_subquery_step,
        }
        .max(1);
        let end = self.reference_time(sq.at, &sq.offset, t)?;
        let window_start = end.saturating_sub(range);
        // The first step-aligned timestamp inside the window: after its start for left-open
        // windows, at or after it for left-closed ones.
        let mut first = window_start.div_euclid(step) * step;
        match self.window {
            Window::LeftOpen => {
                if first <= window_start {
                    first += step;
                }
            }
            Window::LeftClosed => {
                if first < window_start {
                    first += step;
                }
            }
        }
        let mut series: Vec<(Labels, Series, bool)> = Vec::new();
        let mut index: FxHashMap<Labels, usize> = FxHashMap::default();
        let saved_samples = self.samples;
        if first <= end {
            let count = ((end - first) / step) as u64 + 1;
            self.take_steps(count)?;
            self.repeats |= count > 1;
        }
        let saved_start = std::mem::replace(&mut self.range_eval_start, first);
        let mut ts = first;
        while ts <= end {
            self.samples = 0;
            match self.eval(&sq.expr, ts)? {
                Val::Vector(vector) => {
                    for sample in vector {
                        let slot = match index.get(&sample.metric) {
                            Some(&i) => i,
                            None => {
                                index.insert(sample.metric.clone(), series.len());
                                series.push((
                                    sample.metric.clone(),
                                    empty_series(sample.metric.clone()),
                                    false,
                                ));
                                series.len() - 1
                            }
                        };
                        let entry = &mut series[slot];
                        entry.2 |= sample.drop_name;
                        match sample.h {
                            Some(h) => {
                                let h = match h.counter_reset_hint {
                                    CounterResetHint::Reset | CounterResetHint::NotReset => {
                                        let mut copy = (*h).clone();
                                        copy.counter_reset_hint = CounterResetHint::Unknown;
                                        Arc::new(copy)
                                    }
                                    _ => h,
                                };
                                entry.1.histograms.push(HPoint { t: ts, h });
                            }
                            None => entry.1.floats.push(FPoint { t: ts, f: sample.f }),
                        }
                    }
                }
                Val::Scalar(f) => {
                    // The parser only allows subqueries over instant vectors; a scalar inner
                    // expression cannot occur, but is handled as an unlabelled series.
                    if series.is_empty() {
                        series.push((Labels::empty(), empty_series(Labels::empty()), false));
                    }
                    series[0].1.floats.push(FPoint { t: ts, f });
                }
                _ => {}
            }
            ts += step;
        }
        self.range_eval_start = saved_start;
        self.samples = saved_samples;
        series.sort_by(|a, b| a.0.cmp(&b.0));
        let mut held = 0;
        let out: Vec<RangeSeries<'s>> = series
            .into_iter()
            .map(|(metric, s, drop_name)| {
                held += s.floats.len() + s.histograms.len();
                RangeSeries {
                    metric,
                    store_without_name: None,
                    floats: Cow::Owned(s.floats),
                    histograms: Cow::Owned(s.histograms),
                    float_start_times: None,
                    histogram_start_times: None,
                    drop_name,
                }
            })
            .collect();
        self.account(held)?;
        Ok(out)
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
