//! Aggregation operators: `sum`, `avg`, `count`, `min`, `max`, `group`, `stddev`, `stdvar`,
//! `quantile`, `topk`, `bottomk`, `count_values`, `limitk`, `limit_ratio`.

use super::engine::Evaluator;
use super::error::EvalError;
use super::subset::{Subset, SubsetIndex};
use super::value::{Sample, Val};
use crate::model::{
    CombineFlags, CounterResetHint, FloatHistogram, Labels, Timestamp, format_float,
};
use crate::promql::{AggregateExpr, AggregateOp, ExprKind, StringLiteral};
use crate::syntax::Span;
use std::sync::Arc;

mod k;

/// Evaluates an aggregation at `t`.
pub(crate) fn eval<'s>(
    ev: &mut Evaluator<'s>,
    a: &AggregateExpr,
    span: Span,
    t: Timestamp,
) -> Result<Val<'s>, EvalError> {
    let mut grouping: Vec<String> = a.grouping.clone();
    grouping.sort();
    if a.op == AggregateOp::CountValues {
        let literal = match a.param.as_deref().map(|p| &p.unparen().kind) {
            Some(ExprKind::String(s)) => s.clone(),
            _ => StringLiteral::from(""),
        };
        if !literal.is_valid_label_name() {
            return Err(EvalError::InvalidCountValuesLabel(literal.to_string()));
        }
        let label = literal.value;
        if !a.without {
            grouping.push(label.clone());
            grouping.sort();
        }
        let input = ev.eval_vector(&a.expr, t)?;
        return Ok(Val::Vector(count_values(
            &input, &grouping, a.without, &label,
        )));
    }
    let param = match &a.param {
        Some(p) => Some(ev.eval_scalar(p, t)?),
        None => None,
    };
    let input = ev.eval_vector(&a.expr, t)?;
    let param = param.unwrap_or(f64::NAN);
    match a.op {
        AggregateOp::Topk | AggregateOp::Bottomk
            if ev.opts.semantics == super::Semantics::Prometheus2 =>
        {
            k::topk_prometheus2(ev, a, param, input, &grouping, span).map(Val::Vector)
        }
        AggregateOp::Topk
        | AggregateOp::Bottomk
        | AggregateOp::Limitk
        | AggregateOp::LimitRatio => {
            k::aggregate_k(ev, a, param, input, &grouping, span).map(Val::Vector)
        }
        _ => aggregate(ev, a, param, input, &grouping, span).map(Val::Vector),
    }
}

/// The span of the aggregation's parameter, or of the whole aggregation without one.
fn parameter_span(a: &AggregateExpr, span: Span) -> Span {
    a.param.as_ref().map_or(span, |p| p.span)
}

/// The labels a sample's group is decided by: the `by` labels, or all labels but the
/// `without` ones and the metric name.
fn grouping_subset(grouping: &[String], without: bool) -> Subset<'_> {
    if without {
        Subset::all_but(grouping)
    } else {
        Subset::only(grouping)
    }
}

pub(crate) use crate::model::gomath::kahan_inc;

struct Group {
    /// The output labels.
    labels: Labels,
    float_value: f64,
    float_mean: f64,
    float_kahan: f64,
    // Boxed: groups are built at every step, and float-only groups should stay small.
    histogram: Option<Box<FloatHistogram>>,
    histogram_kahan: Option<Box<FloatHistogram>>,
    histogram_mean: Option<Box<FloatHistogram>>,
    histogram_incremental_mean: bool,
    count: f64,
    values: Vec<f64>,
    seen: bool,
    has_float: bool,
    has_histogram: bool,
    incompatible: bool,
    incremental_mean: bool,
    counter_reset_seen: bool,
    not_counter_reset_seen: bool,
    drop_name: bool,
}

impl Group {
    /// A group with these output labels that has seen no sample.
    fn new(labels: Labels) -> Group {
        Group {
            labels,
            float_value: 0.0,
            float_mean: 0.0,
            float_kahan: 0.0,
            histogram: None,
            histogram_kahan: None,
            histogram_mean: None,
            histogram_incremental_mean: false,
            count: 0.0,
            values: Vec::new(),
            seen: false,
            has_float: false,
            has_histogram: false,
            incompatible: false,
            incremental_mean: false,
            counter_reset_seen: false,
            not_counter_reset_seen: false,
            drop_name: false,
        }
    }

    /// Starts the group again from its first sample's float value: everything but the labels
    /// as [`Group::new`] has it, then seen with one sample.
    fn start(&mut self, f: f64, drop_name: bool) {
        self.float_value = f;
        self.float_mean = f;
        self.float_kahan = 0.0;
        self.histogram = None;
        self.histogram_kahan = None;
        self.histogram_mean = None;
        self.histogram_incremental_mean = false;
        self.count = 1.0;
        self.values.clear();
        self.seen = true;
        self.has_float = false;
        self.has_histogram = false;
        self.incompatible = false;
        self.incremental_mean = false;
        self.counter_reset_seen = false;
        self.not_counter_reset_seen = false;
        self.drop_name = drop_name;
    }
}

/// The aggregations that fold each group into one sample (all but the k-selections).
fn aggregate(
    ev: &mut Evaluator<'_>,
    a: &AggregateExpr,
    q: f64,
    input: Vec<Sample>,
    grouping: &[String],
    span: Span,
) -> Result<Vec<Sample>, EvalError> {
    let (op, without, expr_span) = (a.op, a.without, a.expr.span);
    let param_span = parameter_span(a, span);
    if op == AggregateOp::Quantile && (q.is_nan() || !(0.0..=1.0).contains(&q)) {
        ev.annotations.warn(
            format!(
                "quantile value should be between 0 and 1, got {}",
                crate::model::format_float_g(q)
            ),
            param_span,
        );
    }
    let p2 = ev.opts.semantics == super::Semantics::Prometheus2;
    let mut groups: Vec<Group> = Vec::new();
    let subset = grouping_subset(grouping, without);
    let mut index = SubsetIndex::new(subset);
    let ignored = |ev: &mut Evaluator<'_>, name: &str| {
        ev.annotations.info(
            format!("ignored histogram in {name} aggregation"),
            expr_span,
        );
    };
    // Over several steps, each input label set's group is remembered.
    let mut keys = ev.repeats.then(|| {
        let mut keys = ev
            .aggregation_groups
            .remove(&(a as *const AggregateExpr))
            .unwrap_or_default();
        keys.start_step();
        keys
    });
    // Without `keys`: the labels of each group's first sample, which later samples are
    // compared with.
    let mut representatives: Vec<Labels> = Vec::new();
    for sample in input {
        let gi = match &mut keys {
            Some(keys) => {
                let (gi, new, labels) =
                    keys.group(subset, &sample.metric, groups.len(), &mut ev.group_labels);
                if new {
                    groups.push(Group::new(labels.clone()));
                }
                gi
            }
            None => {
                let (gi, new) =
                    index.find_or_insert(&sample.metric, groups.len(), |i| &representatives[i]);
                if new {
                    groups.push(Group::new(subset.labels(&sample.metric)));
                    representatives.push(sample.metric.clone());
                }
                gi
            }
        };
        let group = &mut groups[gi];
        let f = sample.f;
        let h = sample.h.as_deref();
        if !group.seen {
            group.start(f, sample.drop_name);
            match op {
                AggregateOp::Sum | AggregateOp::Avg => match h {
                    None => group.has_float = true,
                    Some(h) => {
                        group.histogram = Some(Box::new(h.clone()));
                        group.has_histogram = true;
                        note_hint(group, h);
                    }
                },
                AggregateOp::Stddev | AggregateOp::Stdvar => {
                    if h.is_some() {
                        group.seen = false;
                        ignored(ev, op.as_str());
                    } else if p2 {
                        // 2.42 starts every group at 0, whatever the first value.
                        group.float_value = 0.0;
                    } else if f.is_nan() || f.is_infinite() {
                        group.float_value = f64::NAN;
                    } else {
                        group.float_value = 0.0;
                    }
                }
                AggregateOp::Quantile => {
                    if h.is_some() {
                        group.seen = false;
                        ignored(ev, "quantile");
                    }
                    group.values.push(f);
                }
                AggregateOp::Group => group.float_value = 1.0,
                AggregateOp::Min | AggregateOp::Max if h.is_some() => {
                    group.seen = false;
                    ignored(ev, op.as_str());
                }
                _ => {}
            }
            continue;
        }
        if group.incompatible {
            continue;
        }
        if sample.drop_name {
            group.drop_name = true;
        }
        match op {
            AggregateOp::Sum => match h {
                Some(h) => {
                    group.has_histogram = true;
                    sum_histogram(ev, group, h, &sample, expr_span);
                }
                None if p2 => {
                    // 2.42 sums plainly, in input order.
                    group.has_float = true;
                    group.float_value += f;
                }
                None => {
                    group.has_float = true;
                    (group.float_value, group.float_kahan) =
                        kahan_inc(f, group.float_value, group.float_kahan);
                }
            },
            AggregateOp::Avg => {
                group.count += 1.0;
                match h {
                    Some(h) => {
                        group.has_histogram = true;
                        average_histogram(ev, group, h, &sample, expr_span);
                    }
                    None if p2 => {
                        // 2.42's incremental mean: an infinite mean stays unless a NaN or an
                        // infinity of the other sign comes.
                        group.has_float = true;
                        group.incremental_mean = true;
                        let mean = group.float_mean;
                        if mean.is_infinite() {
                            if f.is_infinite() && (mean > 0.0) == (f > 0.0) {
                                continue;
                            }
                            if !f.is_infinite() && !f.is_nan() {
                                continue;
                            }
                        }
                        group.float_mean += f / group.count - mean / group.count;
                    }
                    None => {
                        group.has_float = true;
                        if !group.incremental_mean {
                            let (new_v, new_c) = kahan_inc(f, group.float_value, group.float_kahan);
                            if !new_v.is_infinite() {
                                group.float_value = new_v;
                                group.float_kahan = new_c;
                                continue;
                            }
                            group.incremental_mean = true;
                            group.float_mean = group.float_value / (group.count - 1.0);
                            group.float_kahan /= group.count - 1.0;
                        }
                        let q = (group.count - 1.0) / group.count;
                        (group.float_mean, group.float_kahan) =
                            kahan_inc(f / group.count, q * group.float_mean, q * group.float_kahan);
                    }
                }
            }
            AggregateOp::Group => {}
            AggregateOp::Max => {
                if h.is_some() {
                    ignored(ev, "max");
                    continue;
                }
                if group.float_value < f || group.float_value.is_nan() {
                    group.float_value = f;
                }
            }
            AggregateOp::Min => {
                if h.is_some() {
                    ignored(ev, "min");
                    continue;
                }
                if group.float_value > f || group.float_value.is_nan() {
                    group.float_value = f;
                }
            }
            AggregateOp::Count => group.count += 1.0,
            AggregateOp::Stddev | AggregateOp::Stdvar => {
                if h.is_some() {
                    ignored(ev, op.as_str());
                    continue;
                }
                group.count += 1.0;
                let delta = f - group.float_mean;
                group.float_mean += delta / group.count;
                group.float_value += delta * (f - group.float_mean);
            }
            AggregateOp::Quantile => {
                if h.is_some() {
                    ignored(ev, "quantile");
                    continue;
                }
                group.values.push(f);
            }
            _ => {}
        }
    }
    if let Some(keys) = keys {
        ev.aggregation_groups
            .insert(a as *const AggregateExpr, keys);
    }

    let mut out = Vec::with_capacity(groups.len());
    for group in groups {
        if !group.seen {
            continue;
        }
        let mut f = group.float_value;
        let mut h: Option<FloatHistogram> = None;
        match op {
            AggregateOp::Avg | AggregateOp::Sum => {
                if group.has_float && group.has_histogram {
                    ev.annotations.warn(
                        "encountered a mix of histograms and floats for aggregation",
                        expr_span,
                    );
                    continue;
                }
                if group.incompatible {
                    continue;
                }
                if group.has_histogram {
                    h = Some(finish_histogram(op, group_histogram_parts(&group)));
                } else if op == AggregateOp::Avg && p2 {
                    f = group.float_mean;
                } else if op == AggregateOp::Sum && p2 {
                    f = group.float_value;
                } else if op == AggregateOp::Avg {
                    f = if group.incremental_mean {
                        group.float_mean + group.float_kahan
                    } else {
                        group.float_value / group.count + group.float_kahan / group.count
                    };
                } else {
                    f = group.float_value + group.float_kahan;
                }
            }
            AggregateOp::Count => f = group.count,
            AggregateOp::Stdvar => f = group.float_value / group.count,
            AggregateOp::Stddev => f = (group.float_value / group.count).sqrt(),
            AggregateOp::Quantile if p2 => {
                let mut values = group.values;
                f = super::prometheus2::quantile(q, &mut values);
            }
            AggregateOp::Quantile => {
                let mut values = group.values;
                f = quantile(q, &mut values);
            }
            _ => {}
        }
        if group.counter_reset_seen && group.not_counter_reset_seen {
            ev.annotations.warn(
                "conflicting counter resets during histogram aggregation",
                expr_span,
            );
        }
        out.push(Sample {
            metric: group.labels,
            f,
            h: h.map(Arc::new),
            drop_name: group.drop_name,
        });
    }
    Ok(out)
}

fn reconciled_info(ev: &mut Evaluator<'_>, span: Span) {
    ev.annotations.info(
        "mismatched custom buckets were reconciled during aggregation",
        span,
    );
}

/// `sum`: Kahan-adds a histogram to the group (when the group holds one: a group that started
/// with a float is invalid anyway).
fn sum_histogram(
    ev: &mut Evaluator<'_>,
    group: &mut Group,
    h: &FloatHistogram,
    sample: &Sample,
    span: Span,
) {
    if group.histogram.is_none() {
        return;
    }
    note_hint(group, h);
    let Some(acc) = group.histogram.as_mut() else {
        return;
    };
    let added = unboxed(&mut group.histogram_kahan, |k| acc.kahan_add(h, k));
    if !note_added(ev, added, sample, span) {
        group.incompatible = true;
    }
}

/// `avg`: Prometheus's direct mean with Kahan summation, switching to an incremental mean when
/// the running sum would overflow.
fn average_histogram(
    ev: &mut Evaluator<'_>,
    group: &mut Group,
    h: &FloatHistogram,
    sample: &Sample,
    span: Span,
) {
    if group.histogram.is_none() {
        return;
    }
    note_hint(group, h);
    let Some(value) = group.histogram.as_deref() else {
        return;
    };
    if !group.histogram_incremental_mean {
        let mut v = value.clone();
        let mut c = group.histogram_kahan.clone();
        let added = unboxed(&mut c, |c| v.kahan_add(h, c));
        if !note_added(ev, added, sample, span) {
            group.incompatible = true;
            return;
        }
        if !v.has_overflow() {
            group.histogram = Some(Box::new(v));
            group.histogram_kahan = c;
            return;
        }
        group.histogram_incremental_mean = true;
        // The running sum before this sample (still in the group) becomes the mean so far.
        let Some(mut mean) = group.histogram.clone() else {
            return;
        };
        mean.div(group.count - 1.0);
        group.histogram_mean = Some(mean);
        if let Some(k) = group.histogram_kahan.as_mut() {
            k.div(group.count - 1.0);
        }
    }
    let q = (group.count - 1.0) / group.count;
    if let Some(k) = group.histogram_kahan.as_mut() {
        k.mul(q);
    }
    let mut to_add = h.clone();
    to_add.div(group.count);
    let Some(mean) = group.histogram_mean.as_mut() else {
        return;
    };
    mean.mul(q);
    let added = unboxed(&mut group.histogram_kahan, |k| mean.kahan_add(&to_add, k));
    if !note_added(ev, added, sample, span) {
        group.incompatible = true;
    }
}

/// Annotates what adding a histogram to a group did: an info when custom bucket bounds were
/// reconciled, a warning when the schemas do not mix. Whether the addition succeeded.
fn note_added<E>(
    ev: &mut Evaluator<'_>,
    added: Result<CombineFlags, E>,
    sample: &Sample,
    span: Span,
) -> bool {
    match added {
        Ok(flags) => {
            if flags.nhcb_bounds_reconciled {
                reconciled_info(ev, span);
            }
            true
        }
        Err(_) => {
            mixed_schemas(ev, sample, span);
            false
        }
    }
}

/// Runs `f` on the histogram in `slot` as an unboxed `Option`, as the histogram arithmetic
/// takes its Kahan compensation.
fn unboxed<R>(
    slot: &mut Option<Box<FloatHistogram>>,
    f: impl FnOnce(&mut Option<FloatHistogram>) -> R,
) -> R {
    let mut value = slot.take().map(|b| *b);
    let result = f(&mut value);
    *slot = value.map(Box::new);
    result
}

struct HistogramParts {
    value: FloatHistogram,
    kahan: Option<FloatHistogram>,
    mean: Option<FloatHistogram>,
    incremental: bool,
    count: f64,
}

fn group_histogram_parts(group: &Group) -> HistogramParts {
    HistogramParts {
        value: group.histogram.as_deref().cloned().unwrap_or_default(),
        kahan: group.histogram_kahan.as_deref().cloned(),
        mean: group.histogram_mean.as_deref().cloned(),
        incremental: group.histogram_incremental_mean,
        count: group.count,
    }
}

/// The final histogram of a `sum` or `avg` group.
fn finish_histogram(op: AggregateOp, parts: HistogramParts) -> FloatHistogram {
    let mut value = parts.value;
    if op == AggregateOp::Avg {
        if parts.incremental {
            value = parts.mean.unwrap_or_default();
            if let Some(k) = &parts.kahan {
                let _ = value.add_in_place(k);
            }
        } else {
            value.div(parts.count);
            if let Some(mut k) = parts.kahan {
                k.div(parts.count);
                let _ = value.add_in_place(&k);
            }
        }
    } else if let Some(k) = &parts.kahan {
        let _ = value.add_in_place(k);
    }
    value.compact(0);
    value
}

fn note_hint(group: &mut Group, h: &FloatHistogram) {
    match h.counter_reset_hint {
        CounterResetHint::Reset => group.counter_reset_seen = true,
        CounterResetHint::NotReset => group.not_counter_reset_seen = true,
        _ => {}
    }
}

fn mixed_schemas(ev: &mut Evaluator<'_>, sample: &Sample, span: Span) {
    let name = sample.metric.metric_name().unwrap_or("");
    ev.annotations.warn(
        format!(
            "vector contains a mix of histograms with exponential and custom buckets schemas for metric name {name:?}"
        ),
        span,
    );
}

pub(crate) use crate::model::quantile::quantile;

/// `count_values`: one output series per distinct value per group.
fn count_values(input: &[Sample], grouping: &[String], without: bool, label: &str) -> Vec<Sample> {
    let subset = grouping_subset(grouping, without);
    let mut index = SubsetIndex::new(subset);
    // Per group: the first labelled sample's labels (to match later ones), the output labels
    // and the count.
    let mut groups: Vec<(Labels, Labels, f64)> = Vec::new();
    for s in input {
        let value = match &s.h {
            Some(h) => h.go_string(),
            None => format_float(s.f),
        };
        let metric = s.metric.builder().set(label, value).build();
        let (gi, new) = index.find_or_insert(&metric, groups.len(), |i| &groups[i].0);
        if new {
            let output = subset.labels(&metric);
            groups.push((metric, output, 1.0));
        } else {
            groups[gi].2 += 1.0;
        }
    }
    groups
        .into_iter()
        .map(|(_, labels, count)| Sample::float(labels, count))
        .collect()
}

/// The ordering a Go `Less` function implies.
pub(crate) fn order_by<T>(less: impl Fn(&T, &T) -> bool, a: &T, b: &T) -> std::cmp::Ordering {
    if less(a, b) {
        std::cmp::Ordering::Less
    } else if less(b, a) {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}
