//! Evaluating rule groups over a block of steps at once, with one range query per rule,
//! when that writes exactly what evaluating step by step writes.
//!
//! Step by step, a rule at step `k` sees the series that rules before it wrote at steps up to
//! `k` and those the rules after it wrote up to step `k - 1`. A block runs each rule over all
//! its steps before the next rule starts, so the rules before it have written the whole block
//! (the same as step by step, as the rule reads nothing after its evaluation time) and the
//! rules after it nothing (not the same, unless it reads nothing they write). So blocks are
//! used only when no rule reads a series written by itself or a later rule, no query reads
//! after its evaluation time (`@`, negative offsets) and no alert template runs a query. Any
//! failure (a rule error, a refused write, a limit) sends the caller back to steps, which
//! report it at its time.

use std::sync::Arc;

use super::group::{GroupEvaluator, apply_result, set_or_delete, write_output};
use super::{DependencyGraph, RuleKind};
use crate::eval::{Sample, Value, reach};
use crate::model::fxhash::FxHashSet;
use crate::model::{SampleValue, Timestamp, stale_nan};
use crate::store::Store;
use crate::{Labels, LabelsBuilder};

/// Blocks shorter than this run their rules' queries on one thread.
const PARALLEL_STEPS: usize = 64;

/// A block could not be evaluated as steps would be; evaluate step by step instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockFallback;

impl GroupEvaluator {
    /// Why these groups cannot be evaluated in blocks, or `None` when they can.
    pub(crate) fn block_obstacle(&self) -> Option<&'static str> {
        let groups: Vec<_> = self.groups.iter().map(|g| (*g.group).clone()).collect();
        if DependencyGraph::new(&groups).lagging().next().is_some() {
            return Some("a rule reads a series written by itself or a later rule");
        }
        for group in &groups {
            if group.query_offset.is_some_and(|o| o < 0) {
                return Some("a negative query offset");
            }
            for rule in &group.rules {
                if self.rule_reach(&rule.expr).is_none() {
                    return Some("a query reads after its evaluation time or has a computed range");
                }
                if super::deps::selectors(&rule.expr)
                    .iter()
                    .any(|s| !s.matchers.iter().any(|m| m.name == "__name__"))
                {
                    return Some("a selector without a metric name");
                }
                if let RuleKind::Alerting(spec) = &rule.kind
                    && spec
                        .label_templates
                        .iter()
                        .chain(&spec.annotations)
                        .any(|(_, t)| t.may_query())
                {
                    return Some("an alert template runs a query");
                }
            }
        }
        None
    }

    /// [`GroupEvaluator::block_obstacle`] for rules evaluated over a store whose input series
    /// (`inputs`) are loaded ahead of the steps: also refuses when a rule writes a series of
    /// an input's name (it would see the input early), and when a group runs at another
    /// interval than `interval` (a block evaluates every group at every step).
    pub(crate) fn block_obstacle_over<'l>(
        &self,
        inputs: impl IntoIterator<Item = &'l Labels>,
        interval: Option<i64>,
    ) -> Option<&'static str> {
        if let Some(obstacle) = self.block_obstacle() {
            return Some(obstacle);
        }
        if let Some(interval) = interval
            && self
                .groups()
                .any(|g| g.interval.filter(|i| *i > 0).unwrap_or(interval) != interval)
        {
            return Some("a group runs at another interval");
        }
        let mut written = std::collections::BTreeSet::new();
        for rule in self.groups().flat_map(|g| &g.rules) {
            if rule.is_alert() {
                written.extend(["ALERTS", "ALERTS_FOR_STATE"]);
            } else {
                written.insert(rule.name.as_str());
            }
        }
        inputs
            .into_iter()
            .any(|l| l.metric_name().is_none_or(|n| written.contains(n)))
            .then_some("a rule writes a series of an input series' name")
    }

    fn rule_reach(&self, expr: &crate::promql::Expr) -> Option<i64> {
        let o = &self.options.engine;
        reach(expr, o.lookback_delta, o.default_subquery_step)
    }

    /// How far back from an evaluation time the rules read (ms), query offsets included, or
    /// `None` when that is unbounded.
    pub(crate) fn reach(&self) -> Option<i64> {
        self.groups.iter().try_fold(0i64, |most, g| {
            let offset = g.group.query_offset.unwrap_or(0).max(0);
            g.group.rules.iter().try_fold(most, |most, r| {
                Some(most.max(self.rule_reach(&r.expr)?.checked_add(offset)?))
            })
        })
    }

    /// Evaluates every group at each of `steps` (ascending, evenly spaced), writing what
    /// [`GroupEvaluator::eval_all`] at each step would, provided
    /// [`GroupEvaluator::block_obstacle`] is `None` and the store holds the input samples up
    /// to the last step. On `Err` the store and the rules' state are part way: start again
    /// step by step.
    pub(crate) fn eval_block(
        &mut self,
        store: &mut Store,
        steps: &[Timestamp],
    ) -> Result<(), BlockFallback> {
        let (Some(&first), Some(&last)) = (steps.first(), steps.last()) else {
            return Ok(());
        };
        let interval = if steps.len() > 1 {
            steps[1] - steps[0]
        } else {
            1
        };
        let plan = Arc::clone(self.block_plan());
        // Threads pay off on long blocks only (a thread costs about what a short query does).
        let threads = if steps.len() >= PARALLEL_STEPS {
            usize::MAX
        } else {
            1
        };
        // Results are applied in the rules' order. A rule's query runs as soon as every rule
        // it reads has been applied (it reads nothing else the block writes, so running it
        // earlier than its turn gives the same result): each round runs every such query at
        // once, on as many threads as there are cores, then applies the results it can.
        let mut results: Vec<Option<Result<crate::QueryResult, crate::EvalError>>> =
            (0..plan.order.len()).map(|_| None).collect();
        let mut applied = 0;
        while applied < plan.order.len() {
            let ready: Vec<usize> = (applied..plan.order.len())
                .filter(|&i| results[i].is_none() && plan.reads[i].iter().all(|&w| w < applied))
                .collect();
            let queries: Vec<(&crate::promql::Expr, i64)> = ready
                .iter()
                .map(|&i| {
                    let (gi, ri) = plan.order[i];
                    let group = &self.groups[gi].group;
                    (&group.rules[ri].expr, group.query_offset.unwrap_or(0))
                })
                .collect();
            let done = run_queries(
                &self.engine,
                store,
                &queries,
                first,
                last,
                interval,
                threads,
            );
            for (i, result) in ready.into_iter().zip(done) {
                results[i] = Some(result);
            }
            while let Some(result) = results.get_mut(applied).and_then(Option::take) {
                self.apply_block_result(store, steps, interval, plan.order[applied], result)?;
                applied += 1;
            }
        }
        Ok(())
    }

    /// Applies rule `(gi, ri)`'s range query result over the block `steps` (every
    /// `interval`) as evaluating it at each step would.
    fn apply_block_result(
        &mut self,
        store: &mut Store,
        steps: &[Timestamp],
        interval: i64,
        (gi, ri): (usize, usize),
        result: Result<crate::QueryResult, crate::EvalError>,
    ) -> Result<(), BlockFallback> {
        let semantics = self.options.engine.semantics;
        let first = steps.first().copied().unwrap_or(0);
        let group = Arc::clone(&self.groups[gi].group);
        let rule = &group.rules[ri];
        let offset = group.query_offset.unwrap_or(0);
        let Value::Matrix(matrix) = result.map_err(|_| BlockFallback)?.value else {
            return Err(BlockFallback);
        };
        let state = &mut self.groups[gi].rules[ri];
        match &rule.kind {
            RuleKind::Recording => {
                let mut out = Vec::with_capacity(matrix.len());
                for series in matrix {
                    let mut b = LabelsBuilder::new(series.metric.clone());
                    b.set_mut("__name__", rule.name.as_str());
                    for l in rule.labels.iter() {
                        set_or_delete(&mut b, l.name(), l.value());
                    }
                    out.push((b.build(), series));
                }
                let mut seen = FxHashSet::default();
                if !out.iter().all(|(l, _)| seen.insert(l)) {
                    return Err(BlockFallback);
                }
                if group.limit > 0 {
                    let mut counts = vec![0i64; steps.len()];
                    for (_, s) in &out {
                        let times = s.floats.iter().map(|p| p.t);
                        for t in times.chain(s.histograms.iter().map(|p| p.t)) {
                            counts[((t - first + offset) / interval) as usize] += 1;
                        }
                    }
                    if counts.iter().any(|&c| c > group.limit) {
                        return Err(BlockFallback);
                    }
                }
                // The first step with a result, as `apply_result` notes it step by step.
                let first_point = out
                    .iter()
                    .flat_map(|(_, s)| {
                        s.floats
                            .first()
                            .map(|p| p.t)
                            .into_iter()
                            .chain(s.histograms.first().map(|p| p.t))
                    })
                    .min();
                if let Some(t) = first_point
                    && state.first_output.is_none()
                {
                    state.first_output = Some(steps[((t - first + offset) / interval) as usize]);
                }
                write_block(store, steps, offset, out, &mut state.written)?;
                state.last_error = None;
            }
            RuleKind::Alerting(_) => {
                let mut per_step: Vec<Vec<Sample>> = vec![Vec::new(); steps.len()];
                for series in matrix {
                    for p in &series.floats {
                        per_step[((p.t - first + offset) / interval) as usize]
                            .push(Sample::float(series.metric.clone(), p.f));
                    }
                    for p in &series.histograms {
                        let mut s = Sample::float(series.metric.clone(), 0.0);
                        s.h = Some(Arc::clone(&p.h));
                        per_step[((p.t - first + offset) / interval) as usize].push(s);
                    }
                }
                for (k, samples) in per_step.into_iter().enumerate() {
                    let ts = steps[k];
                    let output = apply_result(
                        &self.engine,
                        &self.options,
                        &group,
                        rule,
                        state,
                        store,
                        ts,
                        samples,
                    )
                    .map_err(|_| BlockFallback)?;
                    state.last_error = None;
                    write_output(store, ts - offset, output, state, semantics);
                    if state.last_error.is_some() {
                        return Err(BlockFallback);
                    }
                }
            }
        }
        Ok(())
    }
}

impl GroupEvaluator {
    /// The rules (group, rule) in evaluation order, and for each the positions in that order
    /// of the rules it reads (all before it: blocks are not used otherwise).
    fn block_plan(&self) -> &Arc<BlockPlan> {
        self.block_plan.get_or_init(|| {
            let groups: Vec<_> = self.groups.iter().map(|g| (*g.group).clone()).collect();
            let graph = DependencyGraph::new(&groups);
            let order: Vec<(usize, usize)> = groups
                .iter()
                .enumerate()
                .flat_map(|(gi, g)| (0..g.rules.len()).map(move |ri| (gi, ri)))
                .collect();
            let position = |r: (usize, usize)| order.iter().position(|&o| o == r);
            let reads = order
                .iter()
                .enumerate()
                .map(|(i, &rule)| {
                    // A rule reading itself or a later rule is a block obstacle, and never
                    // waits here.
                    let mut reads: Vec<usize> = graph
                        .edges()
                        .iter()
                        .filter(|d| (d.reader.group, d.reader.rule) == rule)
                        .filter_map(|d| position((d.writer.group, d.writer.rule)))
                        .filter(|&w| w < i)
                        .collect();
                    reads.sort_unstable();
                    reads.dedup();
                    reads
                })
                .collect();
            Arc::new(BlockPlan { order, reads })
        })
    }
}

/// The rules in evaluation order, with what each reads (see [`GroupEvaluator::block_plan`]).
#[derive(Debug)]
pub(crate) struct BlockPlan {
    order: Vec<(usize, usize)>,
    reads: Vec<Vec<usize>>,
}

/// Range queries of `queries` (expression, query offset) from `first` to `last`, on up to as
/// many threads as there are cores (and `most_threads`); results in the order of `queries`.
fn run_queries(
    engine: &crate::Engine,
    store: &Store,
    queries: &[(&crate::promql::Expr, i64)],
    first: Timestamp,
    last: Timestamp,
    interval: i64,
    most_threads: usize,
) -> Vec<Result<crate::QueryResult, crate::EvalError>> {
    let threads = crate::parallel::cores().min(most_threads);
    crate::parallel::map_in_order(queries.len(), threads, |i| {
        let (expr, offset) = queries[i];
        engine.range_query(store, expr, first - offset, last - offset, interval)
    })
}

/// Writes a recording rule's results over a block: each series' values at the steps it has
/// one, a stale marker at each step it stops having one, and a stale marker at the first step
/// for the series written before the block and absent from it all. `written` holds the series
/// written at the step before the block, and afterwards those written at its last step.
fn write_block(
    store: &mut Store,
    steps: &[Timestamp],
    offset: i64,
    out: Vec<(Labels, crate::eval::Series)>,
    written: &mut FxHashSet<Labels>,
) -> Result<(), BlockFallback> {
    let before = std::mem::take(written);
    let mut absent: FxHashSet<&Labels> = before.iter().collect();
    for (labels, series) in &out {
        absent.remove(labels);
        let id = store.series_id(labels.clone()).map_err(|_| BlockFallback)?;
        let mut present = before.contains(labels);
        let (mut fi, mut hi) = (0, 0);
        for &ts in steps {
            let t = ts - offset;
            let value = if series.floats.get(fi).is_some_and(|p| p.t == t) {
                fi += 1;
                Some(SampleValue::Float(series.floats[fi - 1].f))
            } else if series.histograms.get(hi).is_some_and(|p| p.t == t) {
                hi += 1;
                Some(SampleValue::Histogram(Arc::clone(
                    &series.histograms[hi - 1].h,
                )))
            } else {
                None
            };
            match value {
                Some(v) => {
                    store.append(id, t, v).map_err(|_| BlockFallback)?;
                    present = true;
                }
                None if present => {
                    let _ = store.append(id, t, SampleValue::Float(stale_nan()));
                    present = false;
                }
                None => {}
            }
        }
        if present {
            written.insert(labels.clone());
        }
    }
    let mut gone: Vec<&Labels> = absent.into_iter().collect();
    gone.sort();
    for labels in gone {
        if let Ok(id) = store.series_id(labels.clone()) {
            let _ = store.append(id, steps[0] - offset, SampleValue::Float(stale_nan()));
        }
    }
    Ok(())
}
