//! The first reason an expression came back empty, for `got: nil` failures: no series
//! matches a selector, the newest sample is older than the lookback window (the fixture's
//! timeline is too short), or a range window holds too few samples.

use crate::eval::{EngineOptions, Semantics};
use crate::model::{Timestamp, is_stale_nan};
use crate::promql::{Expr, ExprKind, VectorSelector};
use crate::store::Store;
use crate::syntax::lex::format_duration;

/// The recording rule that writes a metric name: (rule name, its expression).
pub(crate) type RecordedBy<'a> = &'a dyn Fn(&str) -> Option<(&'a str, &'a Expr)>;

/// One line saying why `expr` is empty at `t`, when a selector explains it.
pub(crate) fn why_empty(
    store: &Store,
    expr: &Expr,
    t: Timestamp,
    options: &EngineOptions,
) -> Option<String> {
    why_empty_with_rules(store, expr, t, options, &|_| None, 0)
}

/// [`why_empty`], following selectors of recorded series into the expressions of the rules
/// that record them (`recorded`), a few levels deep.
pub(crate) fn why_empty_with_rules(
    store: &Store,
    expr: &Expr,
    t: Timestamp,
    options: &EngineOptions,
    recorded: RecordedBy<'_>,
    depth: usize,
) -> Option<String> {
    let mut reason = None;
    expr.walk(&mut |e| {
        if reason.is_some() {
            return;
        }
        reason = match &e.kind {
            ExprKind::VectorSelector(vs) => {
                let direct = instant(store, vs, e, t, options);
                match (direct, vs.name.as_deref().and_then(recorded)) {
                    (Some(_), Some((rule, inner))) if depth < 5 => {
                        let at = selector_time(vs, t);
                        Some(
                            match why_empty_with_rules(store, inner, at, options, recorded, depth + 1) {
                                Some(why) => format!(
                                    "`{e}` is recorded by rule {rule}, whose expression was empty at {}: {why}",
                                    format_duration(at)
                                ),
                                None => format!(
                                    "`{e}` is recorded by rule {rule}, which had not written it by {} (evaluation order or interval)",
                                    format_duration(at)
                                ),
                            },
                        )
                    }
                    (direct, _) => direct,
                }
            }
            ExprKind::MatrixSelector(ms) => {
                let Some(range) = ms.range.static_ms() else {
                    return;
                };
                window(store, &ms.selector, t, range, options, e)
            }
            _ => None,
        };
    });
    reason
}

fn selector_time(vs: &VectorSelector, t: Timestamp) -> Timestamp {
    t - vs.offset.as_ref().and_then(|d| d.static_ms()).unwrap_or(0)
}

/// Why a selector that matched no series matched none.
fn no_match(store: &Store, vs: &VectorSelector, shown: &Expr) -> String {
    let name = vs.name.as_deref().unwrap_or("");
    let same_name =
        !name.is_empty() && store.iter().any(|s| s.labels().metric_name() == Some(name));
    if same_name {
        format!("no series matches `{shown}`: series named {name} exist, but their labels differ")
    } else {
        format!("no series matches `{shown}` (no input series and no rule writes it)")
    }
}

fn instant(
    store: &Store,
    vs: &VectorSelector,
    shown: &Expr,
    t: Timestamp,
    options: &EngineOptions,
) -> Option<String> {
    let series = store.select(&vs.matchers);
    if series.is_empty() {
        return Some(no_match(store, vs, shown));
    }
    let t = selector_time(vs, t);
    let newest = series
        .iter()
        .filter_map(|s| {
            s.floats()
                .iter()
                .rev()
                .find(|p| p.t <= t)
                .map(|p| (p.t, p.f))
        })
        .max_by_key(|(pt, _)| *pt);
    let lookback = options.lookback_delta;
    match newest {
        None => {
            let first = series
                .iter()
                .filter_map(|s| s.floats().first().map(|p| p.t))
                .min();
            Some(match first {
                Some(first) => format!(
                    "`{shown}` has no sample at or before {}; its first sample is at {}",
                    format_duration(t),
                    format_duration(first)
                ),
                None => format!("`{shown}` has no samples"),
            })
        }
        Some((pt, f)) if is_stale_nan(f) => Some(format!(
            "the newest sample of `{shown}` before {} is a stale marker (at {})",
            format_duration(t),
            format_duration(pt)
        )),
        Some((pt, _)) => {
            let outside = match options.semantics {
                Semantics::Prometheus3 => pt <= t - lookback,
                Semantics::Prometheus2 => pt < t - lookback,
            };
            outside.then(|| {
                format!(
                    "the newest sample of `{shown}` is at {}, {} before {}: outside the {} lookback window (the fixture's timeline is too short)",
                    format_duration(pt),
                    format_duration(t - pt),
                    format_duration(t),
                    format_duration(lookback)
                )
            })
        }
    }
}

fn window(
    store: &Store,
    vs: &VectorSelector,
    t: Timestamp,
    range: i64,
    options: &EngineOptions,
    expr: &Expr,
) -> Option<String> {
    let shown = expr;
    let series = store.select(&vs.matchers);
    if series.is_empty() {
        return Some(no_match(store, vs, shown));
    }
    let t = selector_time(vs, t);
    let window = options.semantics.window();
    let most = series
        .iter()
        .map(|s| s.floats_in(t - range, t, window).len())
        .max()
        .unwrap_or(0);
    let first = series
        .iter()
        .filter_map(|s| s.floats().first().map(|p| p.t))
        .min()
        .unwrap_or(0);
    if most == 0 {
        return Some(format!(
            "`{expr}` at {} reads ({}, {}] and no sample of `{shown}` falls in it",
            format_duration(t),
            format_duration(t - range),
            format_duration(t)
        ));
    }
    if most < 2 && t - range < first {
        return Some(format!(
            "`{expr}` at {} needs samples from {}, but the fixture starts at {}: at most {most} sample in the window (rate-like functions need two)",
            format_duration(t),
            format_duration(t - range),
            format_duration(first)
        ));
    }
    None
}
