//! Heartbeat coverage: every series a gate or alert depends on should have an `absent()` or
//! staleness check somewhere in the set, or the gate or alert cannot tell "healthy" from
//! "not reporting".

use std::collections::{BTreeMap, BTreeSet};

use super::Hit;
use super::analysis::{constant_vector, raw_inputs};
use super::coalesce::top_fallback;
use super::input::{Loaded, Owner, Site};
use crate::decision::OnMissing;
use crate::promql::{BinaryOp, Expr, ExprKind};

/// Runs the heartbeat checks.
pub(super) fn check(loaded: &Loaded, hits: &mut Vec<Hit>) {
    let recorded = loaded.recorded();
    let rule_sites = loaded.rule_sites();
    let gate_sites = loaded.gate_sites();
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    for site in rule_sites
        .iter()
        .filter(|s| s.alert().is_some())
        .chain(&gate_sites)
    {
        covered.extend(absence_checked(site.expr, &recorded));
    }
    for site in &gate_sites {
        if let Owner::Gate {
            gate,
            fallback: false,
        } = site.owner
            && matches!(gate.on_missing, OnMissing::Fail | OnMissing::Inconclusive)
            && top_fallback(site.expr).is_none()
        {
            covered.extend(raw_inputs(site.expr, &recorded));
        }
    }
    for site in &gate_sites {
        gate_input(site, &recorded, &covered, hits);
    }
    let mut by_metric: BTreeMap<&str, Vec<&Site>> = BTreeMap::new();
    for site in rule_sites.iter().filter(|s| s.alert().is_some()) {
        if !absence_checked(site.expr, &recorded).is_empty() {
            continue;
        }
        for name in raw_inputs(site.expr, &recorded) {
            if !covered.contains(name) {
                by_metric.entry(name).or_default().push(site);
            }
        }
    }
    for (name, sites) in by_metric {
        let first = sites[0];
        let others = match sites.len() {
            1 => String::new(),
            n => format!(" (and {} more alerts)", n - 1),
        };
        let message = format!(
            "alert {:?}{others} reads {name}, which no absent() or staleness check watches: if it stops being reported the alert is silent",
            first.subject()
        );
        let fix = format!(
            "add an alert on absent({name}) with `for:` (or absent_over_time({name}[10m])), or a gate on it with on_missing: fail"
        );
        hits.push(
            Hit::new("heartbeat/alert-input-unchecked", first.loc_expr(), message).with_fix(fix),
        );
    }
}

/// The raw series an expression checks for absence or staleness: the arguments of
/// `absent()`/`absent_over_time()`, of `timestamp()`, and `x offset d unless x`.
fn absence_checked<'a>(
    expr: &'a Expr,
    recorded: &BTreeMap<&'a str, Vec<&'a Expr>>,
) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    expr.walk(&mut |e| match &e.kind {
        ExprKind::Call(c) if matches!(c.func.name, "absent" | "absent_over_time" | "timestamp") => {
            for a in &c.args {
                out.extend(raw_inputs(a, recorded));
            }
        }
        ExprKind::Binary(b) if b.op == BinaryOp::Unless => {
            let (l, r) = (b.lhs.metric_names(), b.rhs.metric_names());
            for name in l.into_iter().filter(|n| r.contains(n)) {
                out.insert(name);
            }
        }
        _ => {}
    });
    out
}

fn gate_input(
    site: &Site,
    recorded: &BTreeMap<&str, Vec<&Expr>>,
    covered: &BTreeSet<&str>,
    hits: &mut Vec<Hit>,
) {
    let Owner::Gate { gate, fallback } = site.owner else {
        return;
    };
    // A constant fallback that fails the gate reports the missing input itself.
    let passes = |c: f64| gate.op.holds(c, gate.threshold);
    let how = if fallback {
        if !constant_vector(site.expr).is_some_and(passes) {
            return;
        }
        "falls back to a passing constant when its value is missing"
    } else if let Some((_, c)) = top_fallback(site.expr) {
        if !passes(c) {
            return;
        }
        "falls back to a passing constant when its input is missing"
    } else if gate.on_missing == OnMissing::Pass {
        "passes when its value is missing (on_missing: pass)"
    } else {
        return;
    };
    // The gate's own expression: the fallback site only says how missing values are handled.
    let expr = if fallback { &gate.expr } else { site.expr };
    let unchecked: Vec<&str> = raw_inputs(expr, recorded)
        .into_iter()
        .filter(|n| !covered.contains(n))
        .collect();
    if unchecked.is_empty() {
        return;
    }
    let message = format!(
        "gate {:?} {how}, and nothing checks that {} is still reported: a dead exporter reads as healthy",
        gate.name,
        unchecked.join(", ")
    );
    hits.push(Hit::new(
        "heartbeat/gate-input-unchecked",
        site.loc_expr(),
        message,
    ));
}
