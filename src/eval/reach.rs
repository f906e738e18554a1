//! How far back in time an expression reads: runners that evaluate at advancing times use it
//! to forget samples no later evaluation can see.

use crate::promql::{DurationNode, Expr, ExprKind, VectorSelector};

/// The longest span (ms) before its evaluation time that `expr` can read samples from, or
/// `None` when that is not bounded by the expression alone: an `@` modifier, a negative offset
/// (which reads after the evaluation time), or a duration computed from the query's step or
/// range. `lookback` is the lookback delta; every selector is charged it, also range
/// selectors (the `anchored` and `smoothed` modifiers look one sample beyond their range).
/// `default_step` is the default subquery step.
///
/// ```
/// use promgate::eval::reach;
/// use promgate::promql::parse;
/// let lookback = 300_000;
/// assert_eq!(reach(&parse("rate(x[1h])").unwrap(), lookback, 60_000), Some(3_600_000 + lookback));
/// assert_eq!(reach(&parse("x offset 5m").unwrap(), lookback, 60_000), Some(600_000));
/// assert_eq!(reach(&parse("max_over_time(x[10m:1m] offset 1m)").unwrap(), lookback, 60_000),
///            Some(60_000 + 600_000 + 60_000 + lookback));
/// assert_eq!(reach(&parse("x @ 100").unwrap(), lookback, 60_000), None);
/// assert_eq!(reach(&parse("x offset -1m").unwrap(), lookback, 60_000), None);
/// assert_eq!(reach(&parse("time()").unwrap(), lookback, 60_000), Some(0));
/// ```
pub fn reach(expr: &Expr, lookback: i64, default_step: i64) -> Option<i64> {
    match &expr.kind {
        ExprKind::Number(_) | ExprKind::String(_) => Some(0),
        ExprKind::VectorSelector(vs) => selector(vs, 0, lookback),
        ExprKind::MatrixSelector(ms) => selector(&ms.selector, duration(&ms.range)?, lookback),
        ExprKind::Subquery(sq) => {
            if sq.at.is_some() {
                return None;
            }
            let offset = sq.offset.as_ref().map_or(Some(0), duration)?;
            let step = sq.step.as_ref().map_or(Some(default_step), duration)?;
            let inner = reach(&sq.expr, lookback, default_step)?;
            offset
                .checked_add(duration(&sq.range)?)?
                .checked_add(step)?
                .checked_add(inner)
        }
        _ => expr.children().into_iter().try_fold(0i64, |most, child| {
            Some(most.max(reach(child, lookback, default_step)?))
        }),
    }
}

fn selector(vs: &VectorSelector, range: i64, lookback: i64) -> Option<i64> {
    if vs.at.is_some() {
        return None;
    }
    let offset = vs.offset.as_ref().map_or(Some(0), duration)?;
    offset.checked_add(range)?.checked_add(lookback)
}

/// A literal, non-negative duration.
fn duration(node: &DurationNode) -> Option<i64> {
    node.static_ms().filter(|ms| *ms >= 0)
}
