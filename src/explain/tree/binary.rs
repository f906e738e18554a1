//! Findings at binary operations: sides that did not match, comparisons that filtered
//! everything, `or` fallbacks, `unless` that removed everything.

use std::collections::BTreeSet;

use super::{ComparedPair, ExplainNode, Finding, MatchSuggestion, Walker};
use crate::Labels;
use crate::eval::{Sample, Value};
use crate::model::{Timestamp, format_float};
use crate::promql::{BinaryExpr, BinaryOp, VectorMatching};

/// At most this many signatures and comparisons are shown.
const SHOWN: usize = 5;

pub(super) fn explain_binary(
    walker: &mut Walker<'_, '_>,
    node: &mut ExplainNode,
    b: &BinaryExpr,
    _value: Option<&Value>,
    t: Timestamp,
) {
    let [lhs_node, rhs_node] = [&node.children[0], &node.children[1]];
    if b.op == BinaryOp::Or {
        if lhs_node.result.is_empty() && !rhs_node.result.is_empty() {
            let finding = Finding::FallbackUsed {
                lhs: lhs_node.expr.clone(),
                rhs: rhs_node.expr.clone(),
                hidden: lhs_node.reason(),
            };
            node.findings.push(finding);
        }
        return;
    }
    if !node.result.is_empty() || lhs_node.result.is_empty() || rhs_node.result.is_empty() {
        return;
    }
    let lhs = walker
        .engine
        .instant_query(walker.store, &b.lhs, t)
        .ok()
        .map(|r| r.value);
    let rhs = walker
        .engine
        .instant_query(walker.store, &b.rhs, t)
        .ok()
        .map(|r| r.value);
    let (Some(lhs), Some(rhs)) = (lhs, rhs) else {
        return;
    };
    let op = op_text(b);
    match (&lhs, &rhs, &b.matching) {
        (Value::Vector(l), Value::Vector(r), Some(matching)) => {
            let pairs = matched_pairs(l, r, matching);
            if b.op == BinaryOp::Unless {
                node.findings
                    .push(Finding::UnlessRemovedAll { series: l.len() });
            } else if pairs.is_empty() {
                node.findings.push(no_match(l, r, matching, op));
            } else if b.op.is_comparison() && !b.return_bool {
                let compared = pairs
                    .iter()
                    .map(|(ls, rs)| compared(&ls.metric, ls, rs.f))
                    .collect();
                node.findings.push(filtered(op, compared));
            }
        }
        (Value::Vector(l), Value::Scalar(s), _) if b.op.is_comparison() && !b.return_bool => {
            let compared = l.iter().map(|ls| compared(&ls.metric, ls, *s)).collect();
            node.findings.push(filtered(op, compared));
        }
        (Value::Scalar(s), Value::Vector(r), _) if b.op.is_comparison() && !b.return_bool => {
            let compared = r
                .iter()
                .map(|rs| ComparedPair {
                    labels: rs.metric.to_string(),
                    lhs: format_float(*s),
                    rhs: value_text(rs),
                })
                .collect();
            node.findings.push(filtered(op, compared));
        }
        _ => {}
    }
}

fn value_text(s: &Sample) -> String {
    match &s.h {
        Some(_) => "(histogram)".to_string(),
        None => format_float(s.f),
    }
}

fn compared(labels: &Labels, lhs: &Sample, rhs: f64) -> ComparedPair {
    ComparedPair {
        labels: labels.to_string(),
        lhs: value_text(lhs),
        rhs: format_float(rhs),
    }
}

fn filtered(op: String, mut compared: Vec<ComparedPair>) -> Finding {
    let total = compared.len();
    compared.truncate(SHOWN);
    Finding::ComparisonFiltered {
        op,
        compared,
        total,
    }
}

/// The operator with its modifiers, as written in canonical form.
fn op_text(b: &BinaryExpr) -> String {
    let mut op = b.op.as_str().to_string();
    if b.return_bool {
        op.push_str(" bool");
    }
    if let Some(m) = &b.matching
        && (m.on || !m.matching_labels.is_empty())
    {
        let kind = if m.on { "on" } else { "ignoring" };
        op.push_str(&format!(" {kind}({})", m.matching_labels.join(", ")));
    }
    op
}

/// The match signature of a series under `matching`.
fn signature(labels: &Labels, matching: &VectorMatching) -> Labels {
    match matching.on {
        true => labels.keep(&matching.matching_labels),
        false => labels.drop_metric_name().drop(&matching.matching_labels),
    }
}

/// The (left, right) pairs whose signatures are equal.
fn matched_pairs<'v>(
    l: &'v [Sample],
    r: &'v [Sample],
    matching: &VectorMatching,
) -> Vec<(&'v Sample, &'v Sample)> {
    let mut out = Vec::new();
    for ls in l {
        let sig = signature(&ls.metric, matching);
        for rs in r {
            if signature(&rs.metric, matching) == sig {
                out.push((ls, rs));
            }
        }
    }
    out
}

fn count_pairs(l: &[Labels], r: &[Labels], key: impl Fn(&Labels) -> Labels) -> usize {
    let rk: Vec<Labels> = r.iter().map(&key).collect();
    l.iter()
        .map(|ls| {
            let k = key(ls);
            rk.iter().filter(|x| **x == k).count()
        })
        .sum()
}

fn no_match(l: &[Sample], r: &[Sample], matching: &VectorMatching, op: String) -> Finding {
    let signatures = |side: &[Sample]| -> Vec<String> {
        let set: BTreeSet<String> = side
            .iter()
            .map(|s| signature(&s.metric, matching).to_string())
            .collect();
        set.into_iter().take(SHOWN).collect()
    };
    let l_labels: Vec<Labels> = l.iter().map(|s| s.metric.drop_metric_name()).collect();
    let r_labels: Vec<Labels> = r.iter().map(|s| s.metric.drop_metric_name()).collect();
    // Label names every series on both sides has, kept where the two sides share a value.
    let all = l_labels.iter().chain(&r_labels);
    let mut shared: Option<BTreeSet<String>> = None;
    for labels in all.clone() {
        let names: BTreeSet<String> = labels.names().map(str::to_string).collect();
        shared = Some(match shared {
            None => names,
            Some(s) => s.intersection(&names).cloned().collect(),
        });
    }
    let kept: Vec<String> = shared
        .unwrap_or_default()
        .into_iter()
        .filter(|name| {
            let lv: BTreeSet<&str> = l_labels.iter().filter_map(|x| x.get(name)).collect();
            r_labels
                .iter()
                .any(|x| x.get(name).is_some_and(|v| lv.contains(v)))
        })
        .collect();
    let mut suggestions = Vec::new();
    let on_pairs = count_pairs(&l_labels, &r_labels, |x| x.keep(&kept));
    if on_pairs > 0 {
        suggestions.push(MatchSuggestion {
            modifier: format!("on({})", kept.join(", ")),
            pairs: on_pairs,
        });
        let union: BTreeSet<String> = all
            .flat_map(|x| x.names().map(str::to_string).collect::<Vec<_>>())
            .collect();
        let ignored: Vec<String> = union.into_iter().filter(|n| !kept.contains(n)).collect();
        if !ignored.is_empty() {
            let pairs = count_pairs(&l_labels, &r_labels, |x| x.drop(&ignored));
            if pairs > 0 {
                suggestions.push(MatchSuggestion {
                    modifier: format!("ignoring({})", ignored.join(", ")),
                    pairs,
                });
            }
        }
    }
    Finding::NoMatchingLabels {
        op,
        lhs: signatures(l),
        rhs: signatures(r),
        suggestions,
    }
}
