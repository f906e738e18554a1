//! Checks of single PromQL expressions that pint users rely on and that need no server:
//! `rate` windows, counters and gauges by name, comparisons that can never be true, regex
//! matchers that are plain strings, and vector matching that can never match.

use std::collections::{BTreeMap, BTreeSet};

use super::Hit;
use super::analysis::{LabelSet, is_gauge_name, labels_of, number, range_of, selector_name};
use super::input::{Loaded, Owner, Site};
use crate::decision::Op;
use crate::model::MatchOp;
use crate::promql::{BinaryOp, Expr, ExprKind, VectorSelector};
use crate::syntax::Span;
use crate::{Matcher, format_duration};

/// Runs the PromQL checks over every rule and gate expression.
pub(super) fn check(loaded: &Loaded, sites: &[Site], hits: &mut Vec<Hit>) {
    let recorded = loaded.recorded();
    let gauges: BTreeSet<&str> = recorded
        .iter()
        .filter(|(_, exprs)| exprs.iter().all(|e| records_a_rate(e)))
        .map(|(name, _)| *name)
        .collect();
    for site in sites {
        let scrape = site.scrape_interval(loaded.config);
        site.expr.walk(&mut |e| {
            rate_window(site, e, scrape, hits);
            counter_functions(site, e, &recorded, &gauges, hits);
            impossible_comparison(site, e, hits);
            impossible_matching(site, e, hits);
            plain_regexps(site, e, hits);
        });
        gate_threshold(site, hits);
    }
}

const RATE_LIKE: &[&str] = &["rate", "irate", "increase", "delta", "idelta", "deriv"];

/// Whether a recorded expression's values are per-second rates or increases (a gauge),
/// looking through aggregations and parentheses.
fn records_a_rate(e: &Expr) -> bool {
    match &e.unparen().kind {
        ExprKind::Call(c) => matches!(c.func.name, "rate" | "irate" | "increase" | "deriv"),
        ExprKind::Aggregate(a) if a.param.is_none() => records_a_rate(&a.expr),
        _ => false,
    }
}

fn rate_window(site: &Site, e: &Expr, scrape: i64, hits: &mut Vec<Hit>) {
    let ExprKind::Call(c) = &e.kind else {
        return;
    };
    if !RATE_LIKE.contains(&c.func.name) {
        return;
    }
    let Some(ExprKind::MatrixSelector(m)) = c.args.first().map(|a| &a.unparen().kind) else {
        return;
    };
    let Some(window) = m.range.static_ms() else {
        return;
    };
    if window >= 2 * scrape {
        return;
    }
    let message = format!(
        "{}() over [{}] has fewer than two samples after one missed scrape: the window is under twice the scrape interval ({} assumed)",
        c.func.name,
        format_duration(window),
        format_duration(scrape),
    );
    let fix = format!(
        "use a window of at least {} (four scrape intervals), or set scrape_interval in the lint config if scrapes are more frequent",
        format_duration(4 * scrape)
    );
    hits.push(
        Hit::new(
            "promql/rate-window-too-short",
            site.loc(m.range.span),
            message,
        )
        .with_fix(fix),
    );
}

fn counter_functions(
    site: &Site,
    e: &Expr,
    recorded: &BTreeMap<&str, Vec<&Expr>>,
    gauges: &BTreeSet<&str>,
    hits: &mut Vec<Hit>,
) {
    let ExprKind::Call(c) = &e.kind else {
        return;
    };
    let Some(arg) = c.args.first() else {
        return;
    };
    let Some(name) = selector_name(arg.unparen()) else {
        return;
    };
    let f = c.func.name;
    if matches!(f, "rate" | "irate" | "increase" | "resets") {
        let why = if gauges.contains(name) {
            Some("it is recorded from a rate, so it is a gauge")
        } else if !recorded.contains_key(name) && is_gauge_name(name) {
            Some("its name says it is a gauge")
        } else {
            None
        };
        if let Some(why) = why {
            let message =
                format!("{f}() treats every decrease of {name} as a counter reset, but {why}");
            let fix = match f {
                "rate" | "irate" => format!("use deriv({name}[...]) for a per-second slope"),
                "increase" => format!("use delta({name}[...])"),
                _ => format!("use changes({name}[...])"),
            };
            hits.push(Hit::new("promql/rate-on-gauge", site.loc(e.span), message).with_fix(fix));
        }
    }
    // `_count` and `_sum` also name gauges ("number of things"), so only the suffixes that
    // are counters without doubt count here.
    let counter = name.ends_with("_total") || name.ends_with("_bucket");
    if matches!(f, "delta" | "idelta") && !recorded.contains_key(name) && counter {
        let message = format!(
            "{f}() on the counter {name} does not handle counter resets: a restart reads as a large negative change"
        );
        let fix = match f {
            "delta" => format!("use increase({name}[...])"),
            _ => format!("use irate({name}[...]) or increase"),
        };
        hits.push(Hit::new("promql/delta-on-counter", site.loc(e.span), message).with_fix(fix));
    }
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

fn impossible_comparison(site: &Site, e: &Expr, hits: &mut Vec<Hit>) {
    let ExprKind::Binary(b) = &e.kind else {
        return;
    };
    if !b.op.is_comparison() {
        return;
    }
    let (side, op, c) = match (number(&b.lhs), number(&b.rhs)) {
        (_, Some(c)) => (&b.lhs, b.op, c),
        (Some(c), None) => (&b.rhs, flip(b.op), c),
        (None, None) => return,
    };
    let Some(range) = range_of(side) else {
        return;
    };
    if range.can_compare(op, c) {
        return;
    }
    let text = site.text_of(side);
    let message = format!(
        "`{text} {} {}` can never be true: {text} is {range}",
        op.as_str(),
        crate::model::format_float_g(c),
    );
    let mut hit = Hit::new("promql/impossible-comparison", site.loc(e.span), message);
    if let ExprKind::Aggregate(a) = &side.unparen().kind
        && a.op == crate::promql::AggregateOp::Count
        && matches!(op, BinaryOp::Eql | BinaryOp::Lss | BinaryOp::Lte)
    {
        hit = hit.with_fix(format!(
            "count() of no series is empty, not 0: alert on absent({}) instead",
            site.text_of(&a.expr)
        ));
    }
    hits.push(hit);
}

/// A gate's threshold compared with what its expression can be.
fn gate_threshold(site: &Site, hits: &mut Vec<Hit>) {
    let Owner::Gate { gate, .. } = site.owner else {
        return;
    };
    // With `on_missing: pass` an expression that only has values when something is wrong
    // (`count(x == 0) < 1`) is the point: it passes by being empty.
    if gate.on_missing == crate::decision::OnMissing::Pass {
        return;
    }
    let Some(range) = range_of(site.expr) else {
        return;
    };
    let op = match gate.op {
        Op::Eq => BinaryOp::Eql,
        Op::Ne => BinaryOp::Neq,
        Op::Lt => BinaryOp::Lss,
        Op::Le => BinaryOp::Lte,
        Op::Gt => BinaryOp::Gtr,
        Op::Ge => BinaryOp::Gte,
    };
    if range.can_compare(op, gate.threshold) {
        return;
    }
    let message = format!(
        "gate {:?} can never pass: its value is {range}, and the gate needs {} {}",
        gate.name,
        gate.op,
        crate::model::format_float_g(gate.threshold)
    );
    hits.push(Hit::new(
        "promql/impossible-comparison",
        site.loc_expr(),
        message,
    ));
}

fn show(set: &BTreeSet<String>) -> String {
    if set.is_empty() {
        "no labels".into()
    } else {
        let names: Vec<&str> = set.iter().map(String::as_str).collect();
        format!("at most {{{}}}", names.join(", "))
    }
}

fn impossible_matching(site: &Site, e: &Expr, hits: &mut Vec<Hit>) {
    let ExprKind::Binary(b) = &e.kind else {
        return;
    };
    let Some(m) = &b.matching else {
        return;
    };
    if b.op == BinaryOp::Or {
        return;
    }
    let (LabelSet::AtMost(l), LabelSet::AtMost(r)) = (labels_of(&b.lhs), labels_of(&b.rhs)) else {
        return;
    };
    let project = |set: &BTreeSet<String>| -> BTreeSet<String> {
        if m.on {
            set.iter()
                .filter(|n| m.matching_labels.contains(n))
                .cloned()
                .collect()
        } else {
            set.iter()
                .filter(|n| !m.matching_labels.contains(n))
                .cloned()
                .collect()
        }
    };
    let (pl, pr) = (project(&l), project(&r));
    if pl == pr {
        return;
    }
    let only: Vec<&str> = pl.symmetric_difference(&pr).map(String::as_str).collect();
    let matching = if m.on {
        format!("on({})", m.matching_labels.join(", "))
    } else if m.matching_labels.is_empty() {
        "all their labels".into()
    } else {
        format!("ignoring({})", m.matching_labels.join(", "))
    };
    let message = format!(
        "`{}` matches by {matching}, but the left side has {} and the right side {}: series can only match where {} is missing, so the result is empty",
        b.op.as_str(),
        show(&l),
        show(&r),
        only.join(", "),
    );
    let both: BTreeSet<&str> = pl.intersection(&pr).map(String::as_str).collect();
    let fix = format!(
        "aggregate both sides by the same labels, or match with `on({})`",
        both.into_iter().collect::<Vec<_>>().join(", ")
    );
    hits.push(
        Hit::new(
            "promql/impossible-vector-matching",
            site.loc(e.span),
            message,
        )
        .with_fix(fix),
    );
}

/// Regex syntax: a value without any of these characters is a plain string.
fn is_plain(value: &str) -> bool {
    !value.is_empty() && !value.chars().any(|c| ".+*?()|[]{}^$\\".contains(c))
}

fn plain_regexps(site: &Site, e: &Expr, hits: &mut Vec<Hit>) {
    let (selector, span): (&VectorSelector, Span) = match &e.kind {
        ExprKind::VectorSelector(s) => (s, e.span),
        ExprKind::MatrixSelector(m) => (&m.selector, m.selector_span),
        _ => return,
    };
    for m in &selector.matchers {
        let eq = match m.op {
            MatchOp::RegexMatch => "=",
            MatchOp::RegexNoMatch => "!=",
            _ => continue,
        };
        if !is_plain(&m.value) {
            continue;
        }
        let compares = match m.op {
            MatchOp::RegexMatch => "matches",
            _ => "excludes",
        };
        let message = format!(
            "{m} is a regex matcher without regex syntax: it {compares} exactly {:?}",
            m.value
        );
        let fix = format!("use {}{eq}{:?}", m.name, m.value);
        let at = site.matcher_span(span, m);
        hits.push(Hit::new("promql/regexp-plain-string", site.loc(at), message).with_fix(fix));
    }
}

impl Site<'_> {
    /// The span of matcher `m` inside a selector's span (the selector's when not found).
    fn matcher_span(&self, selector: Span, m: &Matcher) -> Span {
        let Some(text) = selector.slice(self.source_text()) else {
            return selector;
        };
        let op = m.op.to_string();
        let mut from = 0;
        while let Some(i) = text[from..].find(m.name.as_str()) {
            let start = from + i;
            let rest = text[start + m.name.len()..].trim_start();
            if rest.starts_with(op.as_str()) {
                return Span::new(
                    selector.start as usize + start,
                    selector.start as usize + start,
                );
            }
            from = start + m.name.len();
        }
        selector
    }
}
