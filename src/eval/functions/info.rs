//! The experimental `info(v, {data label matchers})` function (Prometheus's `info.go`): adds the
//! data labels of info series (by default `target_info`) that share the identifying labels
//! `instance` and `job` with each series of `v`.
//!
//! Prometheus evaluates the first argument over the whole query range and selects the info
//! series once for all identifying label values seen; here each step selects them for the
//! values present at that step. The result is the same, except that two conflicting info
//! series (same identifying labels, same timestamp) are only reported at steps where some
//! series of `v` carries their identifying label values.

use crate::eval::engine::Evaluator;
use crate::eval::error::EvalError;
use crate::eval::value::{Sample, Val};
use crate::model::{Labels, METRIC_NAME, MatchOp, Matcher, SampleValue, Timestamp, is_stale_nan};
use crate::promql::{AtModifier, Call, Expr, ExprKind};
use std::collections::{BTreeMap, BTreeSet};

const TARGET_INFO: &str = "target_info";

/// The labels that identify the target an info series describes.
const IDENTIFYING_LABELS: [&str; 2] = ["instance", "job"];

/// `info(v [, {matchers}])` at `t`.
pub(super) fn info<'s>(
    ev: &mut Evaluator<'s>,
    call: &Call,
    t: Timestamp,
) -> Result<Val<'s>, EvalError> {
    let Some(first) = call.args.first() else {
        return Ok(Val::Vector(Vec::new()));
    };
    // The `@` and offset of the first selector in the argument govern when the info series are
    // looked up, so `info(v @ T)` is enriched as of T at every step.
    let (at, offset) = select_timestamp_and_offset(ev, first)?;
    let base = ev.eval_vector(first, t)?;

    // Data label matchers by label name; `__name__` ones pick the info metrics.
    let mut data_matchers: BTreeMap<String, Vec<Matcher>> = BTreeMap::new();
    let mut name_matchers: Vec<Matcher> = Vec::new();
    if let Some(ExprKind::VectorSelector(selector)) = call.args.get(1).map(|a| &a.unparen().kind) {
        for m in &selector.matchers {
            if m.name == METRIC_NAME {
                name_matchers.push(m.clone());
            } else {
                data_matchers
                    .entry(m.name.clone())
                    .or_default()
                    .push(m.clone());
            }
        }
    }
    let effective = effective_name_matchers(name_matchers);

    // Series that are info series themselves are passed through.
    let ignored: Vec<bool> = base
        .iter()
        .map(|s| {
            let name = s.metric.get_or_empty(METRIC_NAME);
            effective.iter().all(|m| m.matches(name))
        })
        .collect();

    let mut id_values: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (s, ignored) in base.iter().zip(&ignored) {
        if *ignored {
            continue;
        }
        for label in IDENTIFYING_LABELS {
            let value = s.metric.get_or_empty(label);
            if !value.is_empty() {
                id_values
                    .entry(label)
                    .or_default()
                    .insert(value.to_string());
            }
        }
    }

    let ref_t = at.unwrap_or(t).saturating_sub(offset);
    let info = if id_values.is_empty() {
        Vec::new()
    } else {
        info_samples(ev, &id_values, &data_matchers, &effective, ref_t)?
    };
    combine(base, &ignored, &info, &data_matchers).map(Val::Vector)
}

/// Prometheus's `effectiveInfoNameMatchers`: the `__name__` matchers that select info series.
fn effective_name_matchers(matchers: Vec<Matcher>) -> Vec<Matcher> {
    if matchers
        .iter()
        .any(|m| matches!(m.op, MatchOp::Equal | MatchOp::RegexMatch))
    {
        return matchers;
    }
    if !matchers.is_empty() {
        let mut out = Vec::with_capacity(matchers.len() + 1);
        if let Ok(m) = Matcher::new(MatchOp::RegexMatch, METRIC_NAME, ".+_info") {
            out.push(m);
        }
        out.extend(matchers);
        return out;
    }
    vec![Matcher::equal(METRIC_NAME, TARGET_INFO)]
}

/// Prometheus's `infoSelectTimestampAndOffset`: the `@` time (if any) and offset (ms) of the
/// first vector selector in `expr`, with the offsets of enclosing subqueries added until one
/// with an `@` anchors it.
fn select_timestamp_and_offset(
    ev: &Evaluator<'_>,
    expr: &Expr,
) -> Result<(Option<Timestamp>, i64), EvalError> {
    let mut path: Vec<&Expr> = Vec::new();
    let Some(found) = first_selector(expr, &mut path) else {
        return Ok((None, 0));
    };
    let resolve = |at: Option<AtModifier>| -> Option<Timestamp> {
        at.map(|at| match at {
            AtModifier::Timestamp(ts) => ts,
            AtModifier::Start => ev.start,
            AtModifier::End => ev.end,
        })
    };
    let mut at = resolve(found.at);
    let mut offset = ev.offset_ms(&found.offset)?;
    for node in path.iter().rev() {
        if at.is_some() {
            break;
        }
        if let ExprKind::Subquery(sq) = &node.kind {
            offset = offset.saturating_add(ev.offset_ms(&sq.offset)?);
            at = resolve(sq.at);
        }
    }
    Ok((at, offset))
}

/// The first vector selector in a pre-order walk of `expr`, with the nodes above it.
fn first_selector<'a>(
    expr: &'a Expr,
    path: &mut Vec<&'a Expr>,
) -> Option<&'a crate::promql::VectorSelector> {
    match &expr.kind {
        ExprKind::VectorSelector(vs) => return Some(vs),
        ExprKind::MatrixSelector(ms) => return Some(&ms.selector),
        _ => {}
    }
    path.push(expr);
    for child in expr.children() {
        if let Some(found) = first_selector(child, path) {
            return Some(found);
        }
    }
    path.pop();
    None
}

/// An info series' sample at the reference time: its labels and the sample's timestamp.
struct InfoSample {
    metric: Labels,
    t: Timestamp,
}

/// The info series with matching identifying label values, data labels and names, with the
/// newest sample of each within the lookback window before `ref_t`.
fn info_samples(
    ev: &mut Evaluator<'_>,
    id_values: &BTreeMap<&str, BTreeSet<String>>,
    data_matchers: &BTreeMap<String, Vec<Matcher>>,
    name_matchers: &[Matcher],
    ref_t: Timestamp,
) -> Result<Vec<InfoSample>, EvalError> {
    let mut matchers: Vec<Matcher> = data_matchers.values().flatten().cloned().collect();
    matchers.extend(name_matchers.iter().cloned());
    let lookback = ev.opts.lookback_delta;
    let window = ev.window;
    let mut out = Vec::new();
    for series in ev.store.select(&matchers) {
        let labels = series.labels();
        let id_match = id_values
            .iter()
            .all(|(name, values)| values.contains(labels.get_or_empty(name)));
        if !id_match {
            continue;
        }
        let Some((t, value)) = series.latest(ref_t.saturating_sub(lookback), ref_t, window) else {
            continue;
        };
        match value {
            SampleValue::Float(f) if is_stale_nan(f) => continue,
            SampleValue::Float(_) => out.push(InfoSample {
                metric: labels.clone(),
                t,
            }),
            SampleValue::Histogram(_) => return Err(EvalError::InfoSeriesNotFloat(labels.clone())),
        }
    }
    ev.account(out.len())?;
    Ok(out)
}

/// The identifying signature of a series for info metric `name`.
fn signature(name: &str, metric: &Labels) -> Vec<(String, String)> {
    let mut sig = vec![(METRIC_NAME.to_string(), name.to_string())];
    for label in IDENTIFYING_LABELS {
        if let Some(v) = metric.get(label) {
            sig.push((label.to_string(), v.to_string()));
        }
    }
    sig
}

/// Prometheus's `combineWithInfoVector` for one step.
fn combine(
    base: Vec<Sample>,
    ignored: &[bool],
    info: &[InfoSample],
    data_matchers: &BTreeMap<String, Vec<Matcher>>,
) -> Result<Vec<Sample>, EvalError> {
    if base.is_empty() {
        return Ok(Vec::new());
    }
    // The newest info sample per signature; two with the same timestamp conflict.
    let mut by_signature: BTreeMap<Vec<(String, String)>, &InfoSample> = BTreeMap::new();
    let mut info_names: BTreeSet<&str> = BTreeSet::new();
    for sample in info {
        let name = sample.metric.get_or_empty(METRIC_NAME);
        info_names.insert(name);
        let sig = signature(name, &sample.metric);
        match by_signature.get(&sig) {
            Some(existing) if existing.t > sample.t => {}
            Some(existing) if existing.t == sample.t => {
                return Err(EvalError::DuplicateInfoSeries {
                    existing: existing.metric.clone(),
                    existing_t: existing.t,
                    new: sample.metric.clone(),
                    new_t: sample.t,
                });
            }
            _ => {
                by_signature.insert(sig, sample);
            }
        }
    }
    let all_match_empty = data_matchers.values().flatten().all(|m| m.matches(""));
    let mut out = Vec::with_capacity(base.len());
    for (s, ignored) in base.into_iter().zip(ignored) {
        if *ignored {
            out.push(s);
            continue;
        }
        let mut added: BTreeMap<String, String> = BTreeMap::new();
        let mut matched_any = false;
        for name in &info_names {
            let Some(sample) = by_signature.get(&signature(name, &s.metric)) else {
                continue;
            };
            for label in sample.metric.iter() {
                let label_name = label.name();
                if label_name == METRIC_NAME {
                    continue;
                }
                if !data_matchers.is_empty() && !data_matchers.contains_key(label_name) {
                    continue;
                }
                if let Some(v) = added.get(label_name) {
                    if v != label.value() {
                        return Err(EvalError::ConflictingInfoLabel(label_name.to_string()));
                    }
                }
                if s.metric.has(label_name) {
                    continue;
                }
                added.insert(label_name.to_string(), label.value().to_string());
            }
            matched_any = true;
        }
        if !matched_any && !all_match_empty {
            // No info series, and the data label matchers require a value.
            continue;
        }
        let mut builder = s.metric.builder();
        for (name, value) in added {
            builder.set_mut(name, value);
        }
        out.push(Sample {
            metric: builder.build(),
            ..s
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_negative_name_matchers() {
        let default = effective_name_matchers(Vec::new());
        assert_eq!(default.len(), 1);
        assert!(default[0].matches("target_info"));
        let negative = Matcher::new(MatchOp::NotEqual, METRIC_NAME, "target_info").unwrap();
        let effective = effective_name_matchers(vec![negative]);
        assert_eq!(effective.len(), 2);
        assert!(effective.iter().all(|m| m.matches("build_info")));
        assert!(!effective.iter().all(|m| m.matches("target_info")));
        assert!(!effective.iter().all(|m| m.matches("metric")));
    }

    #[test]
    fn signatures_use_present_identifying_labels() {
        let metric = Labels::from_pairs([("__name__", "m"), ("instance", "a"), ("x", "y")]);
        assert_eq!(
            signature("target_info", &metric),
            vec![
                ("__name__".to_string(), "target_info".to_string()),
                ("instance".to_string(), "a".to_string())
            ]
        );
    }
}
