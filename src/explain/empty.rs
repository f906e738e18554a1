//! The one-line reason an expression came back empty, for `got: nil` failures and the
//! dry-run's missing gates: the condensed form of the explanation tree ([`super::tree`]).

use super::tree::{RecordedRule, explain_with};
use crate::eval::EngineOptions;
use crate::model::Timestamp;
use crate::promql::Expr;
use crate::store::Store;

/// The recording rule that writes a metric name: (rule name, its expression).
pub(crate) type RecordedBy<'a> = &'a dyn Fn(&str) -> Option<(&'a str, &'a Expr)>;

/// One line saying why `expr` is empty at `t`, following selectors of recorded series into the expressions of the rules
/// that record them (`recorded`), a few levels deep.
pub(crate) fn why_empty_with_rules(
    store: &Store,
    expr: &Expr,
    t: Timestamp,
    options: &EngineOptions,
    recorded: RecordedBy<'_>,
    _depth: usize,
) -> Option<String> {
    let lookup = |name: &str| {
        recorded(name).map(|(name, expr)| RecordedRule {
            name,
            expr,
            group: None,
            reads_later: Vec::new(),
        })
    };
    explain_with(store, expr, t, options, &lookup).reason()
}
