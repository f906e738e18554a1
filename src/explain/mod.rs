//! Explanations: why a PromQL result is empty at a time, evaluation order between rules,
//! and the reload-safety diff of two rule sets ([`diff`]).
//!
//! The test runner prints the reason under `got: nil`, and the decision module attaches it
//! to gates that had no value. [`explain`] returns the whole explanation as a tree over the
//! expression's AST. [`lint`] checks rule files and gates files for the pitfalls that make
//! results empty, or alerts and gates wrong, without data.

pub mod diff;
mod empty;
pub mod lint;
mod order;
mod tree;

pub(crate) use empty::why_empty_with_rules;
pub use order::{EvaluationOrder, LaggingRead, OpenOrder, OrderOptions};
pub use tree::{
    ComparedPair, ExplainNode, ExplainOptions, Explanation, Finding, LabelHint, MAX_NODES,
    MAX_RULE_DEPTH, MatchSuggestion, NodeResult, explain,
};
