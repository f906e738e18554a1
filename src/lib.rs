//! # promgate
//!
//! Test Prometheus alerting and recording rules the way `promtool test rules` does, with a
//! deterministic PromQL evaluator, explanations for empty results, and decision APIs on top.
//!
//! Data flows one way through the crate:
//!
//! ```text
//! text ─▶ syntax (spans, lexemes) ─▶ promql (AST) / fixture (series notation)
//!      ─▶ model + store (labels, samples) ─▶ eval (PromQL engine) ─▶ promqltest runner
//! ```
//!
//! This crate follows Prometheus [`PROMETHEUS_VERSION`] semantics by default and offers the 2.x
//! window semantics as an option.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod decision;
pub mod eval;
pub mod explain;
pub mod fixture;
pub mod model;
pub mod promql;
pub mod promqltest;
pub mod rules;
pub mod stats;
pub mod store;
pub mod syntax;
pub mod template;
pub mod unittest;
pub mod yaml;

pub use model::{
    CounterResetHint, FloatHistogram, Label, Labels, LabelsBuilder, MatchOp, Matcher, RegexDialect,
};
pub use syntax::{Diagnostic, LineIndex, Span};

/// The Prometheus version whose semantics this crate follows by default.
///
/// ```
/// assert_eq!(promgate::PROMETHEUS_VERSION, "3.14.0");
/// ```
pub const PROMETHEUS_VERSION: &str = "3.14.0";

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
