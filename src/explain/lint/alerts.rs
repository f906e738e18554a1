//! Checks of alerting and recording rules as a whole: `for` on absent() and flapping-prone
//! alerts, `$value` in alert labels, and duplicate rules across the set.

use std::collections::BTreeMap;

use super::Hit;
use super::analysis::{is_counter_name, number};
use super::input::{Loaded, Owner, Site};
use crate::promql::{AggregateOp, BinaryOp, Expr, ExprKind};
use crate::rules::RuleKind;

/// Runs the rule checks.
pub(super) fn check(loaded: &Loaded, hits: &mut Vec<Hit>) {
    let sites = loaded.rule_sites();
    let recorded = loaded.recorded();
    for site in &sites {
        let Some(rule) = site.alert() else {
            continue;
        };
        let RuleKind::Alerting(alert) = &rule.kind else {
            continue;
        };
        if alert.hold == 0 {
            absent_without_for(site, hits);
            if alert.keep_firing_for == 0 {
                flapping(site, &recorded, hits);
            }
        }
        value_in_labels(site, hits);
    }
    duplicates(&sites, hits);
}

/// The `absent()` call that makes an alert fire: the whole expression, or an operand of
/// its top-level `or`s (not a guard inside `and`/`unless`).
fn firing_absent(e: &Expr) -> Option<&Expr> {
    let e = e.unparen();
    match &e.kind {
        ExprKind::Call(c) if matches!(c.func.name, "absent" | "absent_over_time") => Some(e),
        ExprKind::Binary(b) if b.op == BinaryOp::Or => {
            firing_absent(&b.lhs).or_else(|| firing_absent(&b.rhs))
        }
        _ => None,
    }
}

fn absent_without_for(site: &Site, hits: &mut Vec<Hit>) {
    let Some(call) = firing_absent(site.expr) else {
        return;
    };
    let message = format!(
        "alert {:?} uses {} without `for`: it fires whenever the series is missing for one evaluation (a restart, one failed scrape)",
        site.subject(),
        site.text_of(call)
    );
    hits.push(Hit::new(
        "alerts/absent-without-for",
        site.loc(call.span),
        message,
    ));
}

/// The side of an instant, unsmoothed signal: `irate`/`idelta`, or a raw gauge (aggregated
/// across series at most).
fn instant_signal(e: &Expr, recorded: &BTreeMap<&str, Vec<&Expr>>) -> Option<String> {
    let mut irate = None;
    e.walk(&mut |n| {
        if let ExprKind::Call(c) = &n.kind
            && matches!(c.func.name, "irate" | "idelta")
        {
            irate = Some(format!("{}()", c.func.name));
        }
    });
    if irate.is_some() {
        return irate;
    }
    let mut e = e.unparen();
    while let ExprKind::Aggregate(a) = &e.kind {
        if !matches!(
            a.op,
            AggregateOp::Sum | AggregateOp::Min | AggregateOp::Max | AggregateOp::Avg
        ) {
            return None;
        }
        e = a.expr.unparen();
    }
    let ExprKind::VectorSelector(s) = &e.kind else {
        return None;
    };
    let name = s.metric_name()?;
    if name.contains(':') || recorded.contains_key(name) || is_counter_name(name) {
        return None;
    }
    // Expiry times, TTLs and timestamps move one way: they cross a threshold once.
    if ["expir", "ttl", "time_left", "timestamp", "_time_seconds"]
        .iter()
        .any(|s| name.contains(s))
    {
        return None;
    }
    Some(format!("the raw gauge {name}"))
}

fn flapping(site: &Site, recorded: &BTreeMap<&str, Vec<&Expr>>, hits: &mut Vec<Hit>) {
    let ExprKind::Binary(b) = &site.expr.unparen().kind else {
        return;
    };
    if b.return_bool
        || !matches!(
            b.op,
            BinaryOp::Gtr | BinaryOp::Lss | BinaryOp::Gte | BinaryOp::Lte
        )
    {
        return;
    }
    let (side, threshold, op) = match (number(&b.lhs), number(&b.rhs)) {
        (None, Some(c)) => (&b.lhs, c, b.op),
        (Some(c), None) => (&b.rhs, c, flip(b.op)),
        _ => return,
    };
    // `x > 0` and `x >= 1` alert on an event or a state being present (partitions, lost
    // jobs), which should fire at once; thresholds inside a range of values flap.
    let presence = matches!(
        (op, threshold),
        (BinaryOp::Gtr, 0.0) | (BinaryOp::Gte, 1.0) | (BinaryOp::Lss, 1.0) | (BinaryOp::Lte, 0.0)
    );
    if presence && !side_has_irate(side) {
        return;
    }
    let Some(signal) = instant_signal(side, recorded) else {
        return;
    };
    let message = format!(
        "alert {:?} compares {signal} with a threshold and has no `for`: it fires and resolves each time the value crosses the threshold",
        site.subject()
    );
    hits.push(Hit::new(
        "alerts/flapping-without-for",
        site.loc_expr(),
        message,
    ));
}

fn flip(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Gtr => BinaryOp::Lss,
        BinaryOp::Lss => BinaryOp::Gtr,
        BinaryOp::Gte => BinaryOp::Lte,
        BinaryOp::Lte => BinaryOp::Gte,
        other => other,
    }
}

fn side_has_irate(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |n| {
        found |= matches!(&n.kind, ExprKind::Call(c) if matches!(c.func.name, "irate" | "idelta"));
    });
    found
}

/// Whether a template uses the alert's value inside an action.
fn templates_value(template: &str) -> bool {
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").unwrap_or(after.len());
        let action = &after[..end];
        if action.contains("$value") || action.contains(".Value") {
            return true;
        }
        rest = &after[end..];
    }
    false
}

fn value_in_labels(site: &Site, hits: &mut Vec<Hit>) {
    let Owner::Rule { rule, group } = site.owner else {
        return;
    };
    for label in rule.labels.iter() {
        if !templates_value(label.value()) || group.labels.get(label.name()).is_some() {
            continue;
        }
        let name = label.name();
        let loc = site
            .find_line(|line| {
                line.trim_start()
                    .trim_start_matches(['"', '\''])
                    .starts_with(name)
                    && templates_value(line)
            })
            .unwrap_or_else(|| site.loc_expr());
        let message = format!(
            "alert {:?} has label {name}: {:?} with the alert's value in it: each new value is a new alert, so `for` restarts and notifications repeat",
            rule.name,
            label.value()
        );
        hits.push(Hit::new("alerts/value-in-labels", loc, message));
    }
}

fn duplicates(sites: &[Site], hits: &mut Vec<Hit>) {
    let mut first: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for site in sites {
        let Owner::Rule { rule, .. } = site.owner else {
            continue;
        };
        let (key, what) = match &rule.kind {
            // Same name and labels alone is no conflict: expressions that select different
            // `code`s write different series (kube-prometheus does this on purpose).
            RuleKind::Recording => (
                format!(
                    "record\u{0}{}\u{0}{}\u{0}{}",
                    rule.name, rule.labels, rule.expr
                ),
                "is the same rule as",
            ),
            RuleKind::Alerting(a) => (
                format!(
                    "alert\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
                    rule.name, rule.labels, rule.expr, a.hold
                ),
                "is the same alert as",
            ),
        };
        let loc = site.loc_expr();
        match first.get(&key) {
            Some((file, line)) => {
                let kind = if rule.is_alert() {
                    "alert"
                } else {
                    "recording rule"
                };
                let message = format!("{kind} {:?} {what} the one at {file}:{line}", rule.name);
                let at = site.find_line(|_| true).unwrap_or(loc);
                hits.push(Hit::new("rules/duplicate", at, message));
            }
            None => {
                first.insert(key, (loc.file.clone(), loc.owner_line));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_templates_are_found_inside_actions_only() {
        assert!(templates_value("{{ $value }}"));
        assert!(templates_value("x {{ .Value | humanize }}"));
        assert!(!templates_value("$value"));
        assert!(!templates_value("{{ $labels.instance }}"));
    }
}
