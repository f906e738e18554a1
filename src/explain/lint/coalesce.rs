//! Coalescing: expressions that go empty when an input is missing, and the fallbacks
//! (`or vector(0)`) that fill in for it, with the pitfalls of each.

use std::collections::{BTreeMap, BTreeSet};

use super::Hit;
use super::analysis::{LabelSet, constant_vector, is_bare_vector, labels_of, number};
use super::input::{Loaded, Owner, Site};
use crate::decision::OnMissing;
use crate::model::{MatchOp, format_float_g};
use crate::promql::{BinaryOp, Expr, ExprKind};

/// Labels whose values name an outcome: series for one value exist only once it happened.
const OUTCOME_LABELS: &[&str] = &[
    "code",
    "status",
    "status_code",
    "response_code",
    "http_status",
    "grpc_code",
    "result",
    "outcome",
];

/// Runs the coalesce checks.
pub(super) fn check(loaded: &Loaded, sites: &[Site], hits: &mut Vec<Hit>) {
    let recorded = loaded.recorded();
    for site in sites {
        walk_with_parent(site.expr, None, &mut |e, parent| {
            unlabelled_fallback(site, e, parent, hits);
            fallback_in_denominator(site, e, hits);
        });
        always_firing(site, hits);
        fallback_passes_gate(site, hits);
        missing_fallback(site, &recorded, hits);
    }
}

/// Calls `f` on every node with its parent (parentheses skipped).
fn walk_with_parent<'a>(
    e: &'a Expr,
    parent: Option<&'a Expr>,
    f: &mut impl FnMut(&'a Expr, Option<&'a Expr>),
) {
    f(e, parent);
    let me = match e.kind {
        ExprKind::Paren(_) => parent,
        _ => Some(e),
    };
    for child in e.children() {
        walk_with_parent(child, me, f);
    }
}

fn unlabelled_fallback(site: &Site, e: &Expr, parent: Option<&Expr>, hits: &mut Vec<Hit>) {
    let ExprKind::Binary(b) = &e.kind else {
        return;
    };
    // Directly under an aggregation the extra series only adds its own group (none at all
    // with `sum(...)`): kube-prometheus's `sum by (cluster) (x or vector(0))` relies on it.
    if parent.is_some_and(|p| matches!(p.kind, ExprKind::Aggregate(_))) {
        return;
    }
    if b.op != BinaryOp::Or || !is_bare_vector(&b.rhs) {
        return;
    }
    let Some(m) = &b.matching else {
        return;
    };
    // The fallback is added unless a left series has the same (empty) signature.
    let labelled = match labels_of(&b.lhs) {
        LabelSet::AtMost(set) => set.iter().any(|l| m.matching_labels.contains(l) == m.on),
        LabelSet::Unknown => !m.on || !m.matching_labels.is_empty(),
    };
    if !labelled {
        return;
    }
    let rhs = site.text_of(&b.rhs);
    let message = format!(
        "`or {rhs}` never matches the labelled series on its left, so it is always added: an extra unlabelled series beside them, not a fallback for a missing left side"
    );
    let fix = format!(
        "use `or on() {rhs}` to fill in only when the left side is empty, or label_replace({rhs}, ...) to give the fallback the left side's labels"
    );
    hits.push(
        Hit::new(
            "coalesce/unlabelled-fallback",
            site.loc(b.rhs.span),
            message,
        )
        .with_fix(fix),
    );
}

fn fallback_in_denominator(site: &Site, e: &Expr, hits: &mut Vec<Hit>) {
    let ExprKind::Binary(b) = &e.kind else {
        return;
    };
    if b.op != BinaryOp::Div {
        return;
    }
    let ExprKind::Binary(or) = &b.rhs.unparen().kind else {
        return;
    };
    if or.op != BinaryOp::Or || constant_vector(&or.rhs) != Some(0.0) {
        return;
    }
    let message = format!(
        "the denominator falls back to 0 when {} is missing: the ratio is then +Inf or NaN instead of missing",
        site.text_of(&or.lhs)
    );
    let fix = format!(
        "coalesce the ratio instead: `({} / {}) or on() vector(0)`",
        site.text_of(&b.lhs),
        site.text_of(&or.lhs)
    );
    hits.push(
        Hit::new(
            "coalesce/fallback-in-denominator",
            site.loc(or.rhs.span),
            message,
        )
        .with_fix(fix),
    );
}

/// The constant fallback at the top of an expression: `x or vector(c)`.
pub(super) fn top_fallback(e: &Expr) -> Option<(&Expr, f64)> {
    match &e.unparen().kind {
        ExprKind::Binary(b) if b.op == BinaryOp::Or => {
            constant_vector(&b.rhs).map(|c| (&*b.rhs, c))
        }
        _ => None,
    }
}

fn always_firing(site: &Site, hits: &mut Vec<Hit>) {
    if site.alert().is_none() {
        return;
    }
    let Some((fallback, _)) = top_fallback(site.expr) else {
        return;
    };
    let message = format!(
        "alert {:?} fires on every result; `or {}` gives one whenever the condition is false or its input missing, so the alert always fires",
        site.subject(),
        site.text_of(fallback)
    );
    hits.push(Hit::new(
        "coalesce/always-firing",
        site.loc(fallback.span),
        message,
    ));
}

fn fallback_passes_gate(site: &Site, hits: &mut Vec<Hit>) {
    let Owner::Gate { gate, fallback } = site.owner else {
        return;
    };
    let (node, value) = if fallback {
        match constant_vector(site.expr) {
            Some(c) => (site.expr, c),
            None => return,
        }
    } else {
        match top_fallback(site.expr) {
            Some(found) => found,
            None => return,
        }
    };
    if !gate.op.holds(value, gate.threshold) {
        return;
    }
    let message = format!(
        "gate {:?} passes when its input is missing: the fallback {} satisfies {} {}",
        gate.name,
        format_float_g(value),
        gate.op,
        format_float_g(gate.threshold)
    );
    hits.push(Hit::new(
        "coalesce/fallback-passes-gate",
        site.loc(node.span),
        message,
    ));
}

/// A selector in `e` filtered to one outcome (`code=~"5.."`), when `e` has no `or` that
/// could fill in for it: the selector and the matcher, as written.
fn outcome_selector(e: &Expr) -> Option<(String, String)> {
    let mut found = None;
    let mut has_or = false;
    e.walk(&mut |n| {
        if let ExprKind::Binary(b) = &n.kind
            && b.op == BinaryOp::Or
        {
            has_or = true;
        }
        let selector = match &n.kind {
            ExprKind::VectorSelector(s) => s,
            ExprKind::MatrixSelector(m) => &m.selector,
            _ => return,
        };
        let filtered = selector.matchers.iter().find(|m| {
            matches!(m.op, MatchOp::Equal | MatchOp::RegexMatch)
                && OUTCOME_LABELS.contains(&m.name.as_str())
                && !m.value.is_empty()
                && !m.matches_empty()
        });
        if let (Some(m), None) = (filtered, &found) {
            let name = selector.metric_name().unwrap_or("");
            found = Some((format!("{name}{{{m}}}"), m.to_string()));
        }
    });
    if has_or { None } else { found }
}

/// Whether a selector in `e` has the matcher `matcher` (as printed).
fn has_matcher(e: &Expr, matcher: &str) -> bool {
    let mut found = false;
    e.walk(&mut |n| {
        let selector = match &n.kind {
            ExprKind::VectorSelector(s) => s,
            ExprKind::MatrixSelector(m) => &m.selector,
            _ => return,
        };
        found |= selector.matchers.iter().any(|m| m.to_string() == matcher);
    });
    found
}

/// A ratio in `e` (or in the recorded rules it reads) whose numerator is outcome-filtered:
/// the selector, and the recorded series it was found through.
fn uncoalesced_ratio<'a>(
    e: &'a Expr,
    recorded: &BTreeMap<&'a str, Vec<&'a Expr>>,
    seen: &mut BTreeSet<&'a str>,
) -> Option<(String, Option<&'a str>)> {
    let mut found = None;
    e.walk(&mut |n| {
        if found.is_some() {
            return;
        }
        match &n.kind {
            ExprKind::Binary(b) if b.op == BinaryOp::Div => {
                // A denominator filtered to the same outcome makes a conditional ratio
                // (latency of successful requests): it is missing exactly when its
                // numerator is, which is no pitfall.
                if let Some((s, matcher)) = outcome_selector(&b.lhs)
                    && !has_matcher(&b.rhs, &matcher)
                {
                    found = Some((s, None));
                }
            }
            ExprKind::VectorSelector(s) => {
                if let Some(name) = s.metric_name()
                    && let Some(exprs) = recorded.get(name)
                    && seen.insert(name)
                {
                    for r in exprs {
                        if let Some((s, _)) = uncoalesced_ratio(r, recorded, seen) {
                            found = Some((s, Some(name)));
                            return;
                        }
                    }
                }
            }
            _ => {}
        }
    });
    found
}

fn missing_fallback(site: &Site, recorded: &BTreeMap<&str, Vec<&Expr>>, hits: &mut Vec<Hit>) {
    match site.owner {
        Owner::Gate {
            gate,
            fallback: false,
        } if matches!(gate.on_missing, OnMissing::Fail | OnMissing::Inconclusive) => {
            if top_fallback(site.expr).is_some() {
                return;
            }
            let Some((selector, via)) =
                uncoalesced_ratio(site.expr, recorded, &mut BTreeSet::new())
            else {
                return;
            };
            let via = via.map_or(String::new(), |r| format!(" (through {r})"));
            let policy = match gate.on_missing {
                OnMissing::Fail => "fails",
                _ => "is inconclusive",
            };
            let message = format!(
                "gate {:?} reads a ratio{via} whose numerator {selector} exists only after the first such event: while there is none the ratio is empty and the gate {policy} on a healthy system",
                gate.name
            );
            hits.push(Hit::new(
                "coalesce/missing-fallback",
                site.loc_expr(),
                message,
            ));
        }
        Owner::Rule { rule, .. } if rule.is_alert() => {
            let ExprKind::Binary(b) = &site.expr.unparen().kind else {
                return;
            };
            let side = match (b.op, number(&b.lhs), number(&b.rhs)) {
                (BinaryOp::Lss | BinaryOp::Lte, None, Some(_)) => &b.lhs,
                (BinaryOp::Gtr | BinaryOp::Gte, Some(_), None) => &b.rhs,
                _ => return,
            };
            let Some((selector, via)) = uncoalesced_ratio(side, recorded, &mut BTreeSet::new())
            else {
                return;
            };
            // A recorded ratio with a constant fallback (`(a / b) or vector(1)`) reads as the
            // constant instead of being empty: silent all the same.
            let fallback = via
                .and_then(|r| recorded.get(r))
                .and_then(|exprs| exprs.iter().find_map(|e| top_fallback(e)))
                .map(|(_, c)| c);
            let then = match fallback {
                Some(c) => format!("reads as its fallback {}", format_float_g(c)),
                None => "is then empty".to_string(),
            };
            let via = via.map_or(String::new(), |r| format!(" (through {r})"));
            let message = format!(
                "alert {:?} fires when a ratio{via} drops, but its numerator {selector} disappears when no such event happens (after a restart): the ratio {then} and the alert is silent exactly when it should fire",
                rule.name
            );
            hits.push(Hit::new(
                "coalesce/missing-fallback",
                site.loc_expr(),
                message,
            ));
        }
        _ => {}
    }
}
