//! The k-selections: `topk`, `bottomk`, `limitk` and `limit_ratio` keep some of the input
//! series of each group instead of folding the group into one sample.

use super::{grouping_subset, order_by, parameter_span};
use crate::eval::engine::Evaluator;
use crate::eval::error::EvalError;
use crate::eval::subset::SubsetIndex;
use crate::eval::value::Sample;
use crate::model::Labels;
use crate::promql::{AggregateExpr, AggregateOp};
use crate::syntax::Span;

/// A heap order: whether the first sample sorts before the second.
type SampleLess = fn(&Sample, &Sample) -> bool;

/// A binary heap with Go's `container/heap` algorithm, so ties come out in Prometheus's order.
struct GoHeap<F: Fn(&Sample, &Sample) -> bool> {
    items: Vec<Sample>,
    less: F,
}

impl<F: Fn(&Sample, &Sample) -> bool> GoHeap<F> {
    fn push(&mut self, s: Sample) {
        self.items.push(s);
        self.up(self.items.len() - 1);
    }

    fn up(&mut self, mut j: usize) {
        while j > 0 {
            let i = (j - 1) / 2;
            if !(self.less)(&self.items[j], &self.items[i]) {
                break;
            }
            self.items.swap(i, j);
            j = i;
        }
    }

    fn down(&mut self, i0: usize) -> bool {
        let n = self.items.len();
        let mut i = i0;
        loop {
            let j1 = 2 * i + 1;
            if j1 >= n {
                break;
            }
            let mut j = j1;
            let j2 = j1 + 1;
            if j2 < n && (self.less)(&self.items[j2], &self.items[j1]) {
                j = j2;
            }
            if !(self.less)(&self.items[j], &self.items[i]) {
                break;
            }
            self.items.swap(i, j);
            i = j;
        }
        i > i0
    }

    /// Go's `heap.Pop`: moves the top to the end, restores the heap before it, removes it.
    fn pop(&mut self) -> Option<Sample> {
        let n = self.items.len().checked_sub(1)?;
        self.items.swap(0, n);
        let last = self.items.pop();
        self.down(0);
        last
    }

    fn fix(&mut self, i: usize) {
        if !self.down(i) {
            self.up(i);
        }
    }
}

fn less_by_value(a: &Sample, b: &Sample) -> bool {
    a.f.is_nan() || a.f < b.f
}

fn less_by_reverse_value(a: &Sample, b: &Sample) -> bool {
    a.f.is_nan() || a.f > b.f
}

/// `topk`, `bottomk`, `limitk`, `limit_ratio`: keep some of the input series of each group.
pub(super) fn aggregate_k(
    ev: &mut Evaluator<'_>,
    a: &AggregateExpr,
    param: f64,
    input: Vec<Sample>,
    grouping: &[String],
    span: Span,
) -> Result<Vec<Sample>, EvalError> {
    let (op, without, param_span) = (a.op, a.without, parameter_span(a, span));
    let mut ratio = 0.0;
    let mut k = 0usize;
    match op {
        AggregateOp::LimitRatio => {
            if param == 0.0 {
                return Ok(Vec::new());
            }
            if param.is_nan() {
                return Err(EvalError::RatioNaN);
            }
            if param > 1.0 {
                ev.annotations.warn(
                    format!(
                        "ratio value should be between -1 and 1, got {}, capping to 1",
                        crate::model::format_float_g(param)
                    ),
                    param_span,
                );
            }
            if param < -1.0 {
                ev.annotations.warn(
                    format!(
                        "ratio value should be between -1 and 1, got {}, capping to -1",
                        crate::model::format_float_g(param)
                    ),
                    param_span,
                );
            }
            ratio = param.clamp(-1.0, 1.0);
        }
        _ => {
            if param < 1.0 {
                return Ok(Vec::new());
            }
            if param.is_nan() {
                return Err(EvalError::ParameterNaN);
            }
            if param >= 9.223372036854776e18 {
                return Err(EvalError::ScalarOverflow(crate::model::format_float_g(
                    param,
                )));
            }
            k = (param as i64).min(input.len() as i64).max(0) as usize;
            if k < 1 {
                return Ok(Vec::new());
            }
        }
    }
    let name = op.as_str();
    type Heap = GoHeap<fn(&Sample, &Sample) -> bool>;
    let mut groups: Vec<(Heap, bool)> = Vec::new();
    let mut representatives: Vec<Labels> = Vec::new();
    let mut index = SubsetIndex::new(grouping_subset(grouping, without));
    let less: SampleLess = match op {
        AggregateOp::Bottomk => less_by_reverse_value,
        _ => less_by_value,
    };
    for s in input {
        let (gi, new) = index.find_or_insert(&s.metric, groups.len(), |i| &representatives[i]);
        if new {
            representatives.push(s.metric.clone());
            groups.push((
                GoHeap {
                    items: Vec::new(),
                    less,
                },
                false,
            ));
        }
        let (heap, seen) = &mut groups[gi];
        if !*seen {
            *seen = true;
            match op {
                AggregateOp::LimitRatio => {
                    if ratio_sample_in(ratio, &s.metric) {
                        heap.push(s);
                    }
                }
                AggregateOp::Limitk => heap.items.push(s),
                _ => {
                    if s.h.is_some() {
                        *seen = false;
                        ev.annotations
                            .info(format!("ignored histogram in {name} aggregation"), span);
                    } else {
                        heap.push(s);
                    }
                }
            }
            continue;
        }
        match op {
            AggregateOp::Topk | AggregateOp::Bottomk => {
                if s.h.is_some() {
                    ev.annotations
                        .info(format!("ignored histogram in {name} aggregation"), span);
                } else if heap.items.len() < k {
                    heap.push(s);
                } else {
                    let top = &heap.items[0];
                    let replace = if op == AggregateOp::Topk {
                        top.f < s.f || (top.f.is_nan() && !s.f.is_nan())
                    } else {
                        top.f > s.f || (top.f.is_nan() && !s.f.is_nan())
                    };
                    if replace {
                        heap.items[0] = s;
                        if k > 1 {
                            heap.fix(0);
                        }
                    }
                }
            }
            AggregateOp::Limitk if heap.items.len() < k => heap.push(s),
            AggregateOp::LimitRatio if ratio_sample_in(ratio, &s.metric) => heap.push(s),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (heap, seen) in groups {
        if !seen {
            continue;
        }
        let mut items = heap.items;
        match op {
            AggregateOp::Topk => {
                // Reverse of the heap order: biggest first (NaN last). Insertion-sort stability
                // matches Go's sort for the small k Prometheus users write.
                items.sort_by(|a, b| order_by(less_by_value, b, a));
            }
            AggregateOp::Bottomk => items.sort_by(|a, b| order_by(less_by_reverse_value, b, a)),
            _ => {}
        }
        out.extend(items);
    }
    Ok(out)
}

/// `topk` and `bottomk` as 2.42's `aggregation` computes them: a NaN at the top of the heap is
/// always replaced (even by another NaN), a full heap pops its top before pushing (rather than
/// replacing it in place, except for k = 1), and the result is the heap sorted by Go's
/// `sort.Sort(sort.Reverse(heap))`.
pub(super) fn topk_prometheus2(
    ev: &mut Evaluator<'_>,
    a: &AggregateExpr,
    param: f64,
    input: Vec<Sample>,
    grouping: &[String],
    span: Span,
) -> Result<Vec<Sample>, EvalError> {
    let (op, without) = (a.op, a.without);
    // Go's `convertibleToInt64`, then `int64(f)`.
    if !(-9.223372036854776e18..=9.223372036854776e18).contains(&param) {
        return Err(EvalError::ScalarOverflow(crate::model::format_float_g(
            param,
        )));
    }
    let k = param as i64;
    if k < 1 {
        return Ok(Vec::new());
    }
    let k = k as usize;
    let less: fn(&Sample, &Sample) -> bool = match op {
        AggregateOp::Bottomk => less_by_reverse_value,
        _ => less_by_value,
    };
    let name = op.as_str();
    let mut groups: Vec<GoHeap<SampleLess>> = Vec::new();
    // The labels of each group's first sample, which later samples are matched with.
    let mut representatives: Vec<Labels> = Vec::new();
    let mut index = SubsetIndex::new(grouping_subset(grouping, without));
    for s in input {
        if s.h.is_some() {
            ev.annotations
                .info(format!("ignored histogram in {name} aggregation"), span);
            continue;
        }
        let (gi, new) = index.find_or_insert(&s.metric, groups.len(), |i| &representatives[i]);
        if new {
            representatives.push(s.metric.clone());
            groups.push(GoHeap {
                items: vec![s],
                less,
            });
            continue;
        }
        let heap = &mut groups[gi];
        let top = heap.items[0].f;
        let admit = heap.items.len() < k
            || top.is_nan()
            || if op == AggregateOp::Topk {
                top < s.f
            } else {
                top > s.f
            };
        if !admit {
            continue;
        }
        if heap.items.len() == k {
            if k == 1 {
                heap.items[0] = s;
                continue;
            }
            heap.pop();
        }
        heap.push(s);
    }
    let mut out = Vec::new();
    for heap in groups {
        let mut items = heap.items;
        if items.len() > 1 {
            // sort.Reverse: Less(i, j) is the heap's Less(j, i).
            crate::eval::prometheus2::insertion_sort_or_stable(&mut items, |a, b| less(b, a));
        }
        out.extend(items);
    }
    Ok(out)
}

/// Whether `limit_ratio` keeps a series: its label hash, as a fraction of `u64::MAX`, falls
/// inside the ratio.
fn ratio_sample_in(ratio: f64, metric: &Labels) -> bool {
    let offset = metric.prometheus_hash() as f64 / u64::MAX as f64;
    (ratio >= 0.0 && offset < ratio) || (ratio < 0.0 && offset >= 1.0 + ratio)
}
