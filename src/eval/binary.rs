//! Binary operators: arithmetic, comparisons, set operators and vector matching.

use super::annotations::{Annotation, AnnotationLevel};
use super::engine::{BinopLabelsMemo, Evaluator, drop_metric_name};
use super::error::EvalError;
use super::subset::{Subset, SubsetIndex};
use super::value::{Sample, Val};
use crate::model::fxhash::{FxHashMap, FxHashSet};
use crate::model::{CounterResetHint, FloatHistogram, Labels, Timestamp};
use crate::promql::{BinaryExpr, BinaryOp, VectorMatchCardinality, VectorMatching};
use crate::syntax::Span;
use std::sync::Arc;

/// Evaluates a binary expression at `t`.
pub(crate) fn eval<'s>(
    ev: &mut Evaluator<'s>,
    b: &BinaryExpr,
    span: Span,
    t: Timestamp,
) -> Result<Val<'s>, EvalError> {
    let lhs = ev.eval(&b.lhs, t)?;
    let rhs = ev.eval(&b.rhs, t)?;
    match (lhs, rhs) {
        (Val::Scalar(l), Val::Scalar(r)) => Ok(Val::Scalar(if go_pow_242(ev, b.op) {
            super::prometheus2::pow(l, r)
        } else {
            scalar_binop(b.op, l, r)
        })),
        (Val::Vector(l), Val::Scalar(r)) => {
            vector_scalar(ev, b, span, l, r, false).map(Val::Vector)
        }
        (Val::Scalar(l), Val::Vector(r)) => vector_scalar(ev, b, span, r, l, true).map(Val::Vector),
        (Val::Vector(l), Val::Vector(r)) => {
            let default_matching;
            let matching = match &b.matching {
                Some(m) => m,
                None => {
                    default_matching = VectorMatching {
                        card: if b.op.is_set_operator() {
                            VectorMatchCardinality::ManyToMany
                        } else {
                            VectorMatchCardinality::OneToOne
                        },
                        matching_labels: Vec::new(),
                        on: false,
                        include: Vec::new(),
                        fill: Default::default(),
                    };
                    &default_matching
                }
            };
            let out = match b.op {
                BinaryOp::And => vector_and(l, r, matching),
                BinaryOp::Or => vector_or(l, r, matching),
                BinaryOp::Unless => vector_unless(l, r, matching),
                _ => vector_binop(ev, b, span, l, r, matching)?,
            };
            Ok(Val::Vector(out))
        }
        // The parser's type checks rule out strings and range vectors here.
        _ => Ok(Val::Vector(Vec::new())),
    }
}

/// Go's `math.Mod`: the result has the sign of `x` (Rust's `%` on floats does the same).
fn go_mod(x: f64, y: f64) -> f64 {
    x % y
}

/// Go's `math.Pow` differs from `powf` only in corner cases that Rust follows IEEE for; the
/// same special values apply.
fn go_pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// Whether `op` is `^` under Prometheus 2 semantics, computed with Go's `math.Pow` bit for bit
/// (kept apart from Prometheus 3's `powf`, whose results the 3.x corpus pins).
fn go_pow_242(ev: &Evaluator<'_>, op: BinaryOp) -> bool {
    op == BinaryOp::Pow && ev.opts.semantics == super::Semantics::Prometheus2
}

fn btos(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

/// An operation between two scalars.
pub(crate) fn scalar_binop(op: BinaryOp, l: f64, r: f64) -> f64 {
    match op {
        BinaryOp::Add => l + r,
        BinaryOp::Sub => l - r,
        BinaryOp::Mul => l * r,
        BinaryOp::Div => l / r,
        BinaryOp::Pow => go_pow(l, r),
        BinaryOp::Mod => go_mod(l, r),
        BinaryOp::Eql => btos(l == r),
        BinaryOp::Neq => btos(l != r),
        BinaryOp::Gtr => btos(l > r),
        BinaryOp::Lss => btos(l < r),
        BinaryOp::Gte => btos(l >= r),
        BinaryOp::Lte => btos(l <= r),
        BinaryOp::Atan2 => l.atan2(r),
        _ => f64::NAN,
    }
}

/// Whether the operation changes what the metric means, so its name must go.
fn changes_metric_schema(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Add
            | BinaryOp::Sub
            | BinaryOp::Mul
            | BinaryOp::Div
            | BinaryOp::Pow
            | BinaryOp::Mod
            | BinaryOp::Atan2
    )
}

/// Problems of one element operation.
#[derive(Default)]
struct Notes {
    err: Option<Annotation>,
    info: Option<Annotation>,
}

/// The result of one element operation.
struct ElemResult {
    f: f64,
    h: Option<Arc<FloatHistogram>>,
    keep: bool,
}

/// An operation between two vector elements (floats or histograms), Prometheus's
/// `vectorElemBinop`. Problems go to `notes`: `err` for what Prometheus returns as an error
/// (the caller drops the sample), `info` for what it returns as an info.
fn elem_binop(
    op: BinaryOp,
    lf: f64,
    rf: f64,
    lh: Option<&Arc<FloatHistogram>>,
    rh: Option<&Arc<FloatHistogram>>,
    span: Span,
    notes: &mut Notes,
) -> ElemResult {
    let drop = ElemResult {
        f: 0.0,
        h: None,
        keep: false,
    };
    let incompatible = |l: &str, r: &str| {
        Annotation::new(
            AnnotationLevel::Info,
            format!(
                "incompatible sample types encountered for binary operator {:?}: {l} {} {r}",
                op.as_str(),
                op.as_str()
            ),
            span,
        )
    };
    match (lh, rh) {
        (None, None) => {
            let (f, keep) = match op {
                BinaryOp::Add => (lf + rf, true),
                BinaryOp::Sub => (lf - rf, true),
                BinaryOp::Mul => (lf * rf, true),
                BinaryOp::Div => (lf / rf, true),
                BinaryOp::Pow => (go_pow(lf, rf), true),
                BinaryOp::Mod => (go_mod(lf, rf), true),
                BinaryOp::Eql => (lf, lf == rf),
                BinaryOp::Neq => (lf, lf != rf),
                BinaryOp::Gtr => (lf, lf > rf),
                BinaryOp::Lss => (lf, lf < rf),
                BinaryOp::Gte => (lf, lf >= rf),
                BinaryOp::Lte => (lf, lf <= rf),
                BinaryOp::Atan2 => (lf.atan2(rf), true),
                _ => {
                    notes.err = Some(incompatible("float", "float"));
                    return drop;
                }
            };
            ElemResult { f, h: None, keep }
        }
        (None, Some(h)) => match op {
            BinaryOp::Mul => ElemResult {
                f: 0.0,
                h: Some(Arc::new(scaled(h, |c| {
                    c.mul(lf);
                }))),
                keep: true,
            },
            _ => {
                notes.err = Some(incompatible("float", "histogram"));
                drop
            }
        },
        (Some(h), None) => match op {
            BinaryOp::Mul => ElemResult {
                f: 0.0,
                h: Some(Arc::new(scaled(h, |c| {
                    c.mul(rf);
                }))),
                keep: true,
            },
            BinaryOp::Div => ElemResult {
                f: 0.0,
                h: Some(Arc::new(scaled(h, |c| {
                    c.div(rf);
                }))),
                keep: true,
            },
            BinaryOp::TrimUpper | BinaryOp::TrimLower => {
                let mut c = (**h).clone();
                c.trim_buckets(rf, op == BinaryOp::TrimUpper);
                ElemResult {
                    f: 0.0,
                    h: Some(Arc::new(c)),
                    keep: true,
                }
            }
            _ => {
                notes.err = Some(incompatible("histogram", "float"));
                drop
            }
        },
        (Some(l), Some(r)) => match op {
            BinaryOp::Add | BinaryOp::Sub => {
                let mut result = (**l).clone();
                let combined = if op == BinaryOp::Add {
                    result.add_in_place(r)
                } else {
                    result.sub_in_place(r)
                };
                let operation = if op == BinaryOp::Add {
                    "addition"
                } else {
                    "subtraction"
                };
                match combined {
                    Ok(flags) => {
                        if op == BinaryOp::Sub {
                            result.counter_reset_hint = CounterResetHint::Gauge;
                        }
                        result.compact(0);
                        if flags.nhcb_bounds_reconciled {
                            notes.info = Some(Annotation::new(
                                AnnotationLevel::Info,
                                format!(
                                    "mismatched custom buckets were reconciled during {operation}"
                                ),
                                span,
                            ));
                        }
                        if flags.counter_reset_collision {
                            notes.err = Some(Annotation::new(
                                AnnotationLevel::Warning,
                                format!("conflicting counter resets during histogram {operation}"),
                                span,
                            ));
                        }
                        ElemResult {
                            f: 0.0,
                            h: Some(Arc::new(result)),
                            keep: true,
                        }
                    }
                    Err(_) => {
                        notes.err = Some(Annotation::new(
                            AnnotationLevel::Warning,
                            format!(
                                "incompatible bucket layout encountered for binary operator {}",
                                op.as_str()
                            ),
                            span,
                        ));
                        drop
                    }
                }
            }
            BinaryOp::Eql => ElemResult {
                f: 0.0,
                h: Some(l.clone()),
                keep: l.equals(r),
            },
            BinaryOp::Neq => ElemResult {
                f: 0.0,
                h: Some(l.clone()),
                keep: !l.equals(r),
            },
            _ => {
                notes.err = Some(incompatible("histogram", "histogram"));
                drop
            }
        },
    }
}

/// A copy of `h` changed by `change`, then compacted (Prometheus's `Copy().X().Compact(0)`).
fn scaled(h: &FloatHistogram, change: impl FnOnce(&mut FloatHistogram)) -> FloatHistogram {
    let mut c = h.clone();
    change(&mut c);
    c.compact(0);
    c
}

/// Vector-scalar operations; `swapped` when the scalar is on the left.
fn vector_scalar(
    ev: &mut Evaluator<'_>,
    b: &BinaryExpr,
    span: Span,
    vector: Vec<Sample>,
    scalar: f64,
    swapped: bool,
) -> Result<Vec<Sample>, EvalError> {
    let mut out = Vec::with_capacity(vector.len());
    let mut last_note = None;
    for mut sample in vector {
        let (lf, rf, lh, rh) = if swapped {
            (scalar, sample.f, None, sample.h.as_ref())
        } else {
            (sample.f, scalar, sample.h.as_ref(), None)
        };
        let mut notes = Notes::default();
        let mut r = elem_binop(b.op, lf, rf, lh, rh, span, &mut notes);
        if go_pow_242(ev, b.op) && lh.is_none() && rh.is_none() {
            r.f = super::prometheus2::pow(lf, rf);
        }
        // Infos returned as errors drop the sample; warnings are ignored here, as in
        // Prometheus's VectorscalarBinop.
        if let Some(n) = notes.err {
            if n.level == AnnotationLevel::Info {
                last_note = Some(n);
                continue;
            }
        }
        // A scalar on the left of a comparison still keeps the vector element's value.
        if b.op.is_comparison() && swapped {
            r.f = rf;
            r.h = rh.cloned();
        }
        if b.return_bool {
            r.f = btos(r.keep);
            r.h = None;
            r.keep = true;
        }
        if !r.keep {
            continue;
        }
        sample.f = r.f;
        sample.h = r.h;
        if changes_metric_schema(b.op) || b.return_bool {
            ev.drop_name(&mut sample);
        }
        out.push(sample);
    }
    if let Some(n) = last_note {
        ev.annotations.add(n);
    }
    Ok(out)
}

/// The labels two series are matched on: the `on (...)` labels, or all but the
/// `ignoring (...)` ones and the metric name.
fn matching_subset(matching: &VectorMatching) -> Subset<'_> {
    if matching.on {
        Subset::only(&matching.matching_labels)
    } else {
        Subset::all_but(&matching.matching_labels)
    }
}

/// An index of `samples` by their matching signatures.
fn signature_index<'m>(samples: &[Sample], matching: &'m VectorMatching) -> SubsetIndex<'m> {
    let mut index = SubsetIndex::new(matching_subset(matching));
    for (i, s) in samples.iter().enumerate() {
        index.find_or_insert(&s.metric, i, |j| &samples[j].metric);
    }
    index
}

fn vector_and(lhs: Vec<Sample>, rhs: Vec<Sample>, matching: &VectorMatching) -> Vec<Sample> {
    if lhs.is_empty() || rhs.is_empty() {
        return Vec::new();
    }
    let right = signature_index(&rhs, matching);
    lhs.into_iter()
        .filter(|s| right.find(&s.metric, |j| &rhs[j].metric).is_some())
        .collect()
}

fn vector_or(lhs: Vec<Sample>, rhs: Vec<Sample>, matching: &VectorMatching) -> Vec<Sample> {
    if lhs.is_empty() {
        return rhs;
    }
    if rhs.is_empty() {
        return lhs;
    }
    let left = signature_index(&lhs, matching);
    let extra: Vec<Sample> = rhs
        .into_iter()
        .filter(|s| left.find(&s.metric, |j| &lhs[j].metric).is_none())
        .collect();
    let mut out = lhs;
    out.extend(extra);
    out
}

fn vector_unless(lhs: Vec<Sample>, rhs: Vec<Sample>, matching: &VectorMatching) -> Vec<Sample> {
    if lhs.is_empty() || rhs.is_empty() {
        return lhs;
    }
    let right = signature_index(&rhs, matching);
    lhs.into_iter()
        .filter(|s| right.find(&s.metric, |j| &rhs[j].metric).is_none())
        .collect()
}

/// The labels of a result sample (Prometheus's `resultMetric`).
fn result_metric(
    ev: &Evaluator<'_>,
    lhs: &Labels,
    rhs: &Labels,
    b: &BinaryExpr,
    matching: &VectorMatching,
) -> Labels {
    let mut builder = lhs.builder();
    let drop_name = !ev.delayed_name_removal() && b.return_bool;
    if drop_name || changes_metric_schema(b.op) {
        for name in ["__name__", "__type__", "__unit__"] {
            builder.del_mut(name);
        }
    }
    if matching.card == VectorMatchCardinality::OneToOne {
        if matching.on {
            let current = builder.build();
            builder = current.keep(&matching.matching_labels).builder();
        } else {
            for name in &matching.matching_labels {
                builder.del_mut(name.as_str());
            }
        }
    }
    for name in &matching.include {
        match rhs.get(name) {
            Some(v) => builder.set_mut(name.as_str(), v),
            None => builder.del_mut(name.as_str()),
        }
    }
    builder.build()
}

/// Arithmetic and comparison between two vectors, with vector matching.
fn vector_binop(
    ev: &mut Evaluator<'_>,
    b: &BinaryExpr,
    span: Span,
    lhs: Vec<Sample>,
    rhs: Vec<Sample>,
    matching: &VectorMatching,
) -> Result<Vec<Sample>, EvalError> {
    let fill = matching.fill;
    if (lhs.is_empty() && rhs.is_empty())
        || ((lhs.is_empty() || rhs.is_empty()) && fill.lhs.is_none() && fill.rhs.is_none())
    {
        return Ok(Vec::new());
    }
    let one_to_many = matching.card == VectorMatchCardinality::OneToMany;
    // For one-to-many, swap sides so the "one" side is always on the right; the operands are
    // swapped back when computing values.
    let (many, one) = if one_to_many { (rhs, lhs) } else { (lhs, rhs) };
    // Prometheus does not swap the fill values with the sides: `fill_right` fills a missing
    // "one" side and `fill_left` a missing "many" side even for `group_right`.
    let (fill_many, fill_one) = (fill.lhs, fill.rhs);

    // The "one" side must have at most one series per signature.
    let subset = matching_subset(matching);
    let mut one_index = SubsetIndex::new(subset);
    for (i, s) in one.iter().enumerate() {
        let (prev, new) = one_index.find_or_insert(&s.metric, i, |j| &one[j].metric);
        if !new {
            let (first, second) = match ev.opts.semantics {
                super::Semantics::Prometheus3 => duplicate_pair_sorted(&one[i], &one[prev]),
                super::Semantics::Prometheus2 => duplicate_pair_2_42(ev, subset, &one)
                    .unwrap_or_else(|| duplicate_pair_sorted(&one[i], &one[prev])),
            };
            return Err(EvalError::ManyToManyMatching {
                group: subset.labels(&first),
                side: if one_to_many { "left" } else { "right" },
                first,
                second,
            });
        }
    }

    // Signatures are identified by the position of their "one" side sample; signatures only
    // the "many" side has (met with `fill_right`) get positions after those.
    let mut state = MatchState {
        labels: ev.repeats.then(|| {
            let mut memo = ev
                .binop_labels
                .remove(&(b as *const BinaryExpr))
                .unwrap_or_default();
            memo.start_step();
            memo
        }),
        ..MatchState::default()
    };
    let mut unmatched: Vec<Labels> = Vec::new();
    let mut unmatched_index = SubsetIndex::new(subset);
    for ls in &many {
        match one_index.find(&ls.metric, |j| &one[j].metric) {
            Some(i) => do_op(
                ev,
                b,
                span,
                matching,
                one_to_many,
                &mut state,
                ls,
                &one[i],
                i,
            )?,
            None => {
                let Some(fill) = fill_one else { continue };
                let (k, new) =
                    unmatched_index.find_or_insert(&ls.metric, unmatched.len(), |j| &unmatched[j]);
                if new {
                    unmatched.push(ls.metric.clone());
                }
                let rs = Sample::float(subset.labels(&ls.metric), fill);
                do_op(
                    ev,
                    b,
                    span,
                    matching,
                    one_to_many,
                    &mut state,
                    ls,
                    &rs,
                    one.len() + k,
                )?;
            }
        }
    }
    if let Some(fill) = fill_many {
        for (i, rs) in one.iter().enumerate() {
            let already = if matching.card == VectorMatchCardinality::OneToOne {
                state.one_to_one.contains(&i)
            } else {
                state.many.get(&i).is_some_and(|m| !m.is_empty())
            };
            if already {
                continue;
            }
            let ls = Sample::float(subset.labels(&rs.metric), fill);
            do_op(ev, b, span, matching, one_to_many, &mut state, &ls, rs, i)?;
        }
    }
    let MatchState {
        mut out,
        last_note,
        labels,
        ..
    } = state;
    if let Some(memo) = labels {
        ev.binop_labels.insert(b as *const BinaryExpr, memo);
    }
    if let Some(note) = last_note {
        ev.annotations.add(note);
    }
    if !ev.delayed_name_removal() {
        for s in &mut out {
            if s.drop_name {
                s.metric = drop_metric_name(&s.metric);
            }
        }
    }
    Ok(out)
}

/// What vector matching has produced and seen so far.
#[derive(Default)]
struct MatchState {
    out: Vec<Sample>,
    /// Signatures matched in one-to-one matching.
    one_to_one: FxHashSet<usize>,
    /// Result label sets per signature in many-to-one matching.
    many: FxHashMap<usize, FxHashSet<Labels>>,
    last_note: Option<Annotation>,
    /// Result label sets across the steps of a query (`repeats`).
    labels: Option<BinopLabelsMemo>,
}

/// One matched pair: computes the value and the result labels, and enforces the cardinality.
#[allow(clippy::too_many_arguments)]
fn do_op(
    ev: &mut Evaluator<'_>,
    b: &BinaryExpr,
    span: Span,
    matching: &VectorMatching,
    one_to_many: bool,
    state: &mut MatchState,
    ls: &Sample,
    rs: &Sample,
    sig: usize,
) -> Result<(), EvalError> {
    let (l, r) = if one_to_many { (rs, ls) } else { (ls, rs) };
    let mut notes = Notes::default();
    let mut result = elem_binop(b.op, l.f, r.f, l.h.as_ref(), r.h.as_ref(), span, &mut notes);
    if go_pow_242(ev, b.op) && l.h.is_none() && r.h.is_none() {
        result.f = super::prometheus2::pow(l.f, r.f);
    }
    if let Some(err) = notes.err {
        state.last_note = Some(err);
        return Ok(());
    }
    if notes.info.is_some() {
        state.last_note = notes.info;
    }
    let (f, h) = if b.return_bool {
        (btos(result.keep), None)
    } else {
        (result.f, result.h)
    };
    let metric = match &mut state.labels {
        Some(memo) => memo.get(&ls.metric, &rs.metric, || {
            result_metric(ev, &ls.metric, &rs.metric, b, matching)
        }),
        None => result_metric(ev, &ls.metric, &rs.metric, b, matching),
    };
    if matching.card == VectorMatchCardinality::OneToOne {
        if !state.one_to_one.insert(sig) {
            return Err(EvalError::MultipleMatchesOneToOne);
        }
    } else if !state.many.entry(sig).or_default().insert(metric.clone()) {
        return Err(EvalError::MultipleMatchesGrouping);
    }
    if !result.keep && !b.return_bool {
        return Ok(());
    }
    state.out.push(Sample {
        metric,
        f,
        h,
        drop_name: b.return_bool,
    });
    Ok(())
}

/// Prometheus 3 names the two duplicates of a match group in label order ("make the error
/// message consistent").
fn duplicate_pair_sorted(a: &Sample, b: &Sample) -> (Labels, Labels) {
    let (mut first, mut second) = (a.metric.clone(), b.metric.clone());
    if first.to_string() > second.to_string() {
        std::mem::swap(&mut first, &mut second);
    }
    (first, second)
}

/// Prometheus 2.42 walks the "one" side in its storage order (the order the series were
/// created in: input series first, in file order, then rule outputs) and names the series it
/// is at, then the earlier one of the same match group. Samples whose labels are not stored
/// series (computed results) come after the stored ones, in the order they have.
fn duplicate_pair_2_42(
    ev: &Evaluator<'_>,
    subset: Subset<'_>,
    one: &[Sample],
) -> Option<(Labels, Labels)> {
    let mut order: Vec<usize> = (0..one.len()).collect();
    order.sort_by_key(|&i| {
        let id = ev.store.find(&one[i].metric);
        (id.is_none(), id, i)
    });
    let mut index = SubsetIndex::new(subset);
    for i in order {
        let (prev, new) = index.find_or_insert(&one[i].metric, i, |j| &one[j].metric);
        if !new {
            return Some((one[i].metric.clone(), one[prev].metric.clone()));
        }
    }
    None
}
