//! # promgate
//!
//! Test Prometheus queries the way Prometheus's own engine tests do: a PromQL parser (the full
//! Prometheus 3.x grammar), an in-memory series store fed by the series notation of promtool
//! fixtures and Prometheus's test scripts, a deterministic PromQL evaluator checked against
//! Prometheus's engine test corpus, and a runner for those test scripts; on top of it rule
//! files and groups ([`rules`]), a promtool-compatible `test rules` runner ([`unittest`]),
//! explanations, lint and reload safety ([`explain`]), sources ([`source`]), decisions
//! ([`decision`]) and statistics ([`stats`]).
//!
//! Data flows one way through the crate:
//!
//! ```text
//! text ─▶ syntax (spans, lexemes) ─▶ promql (AST) / fixture (series notation)
//!      ─▶ model + store (labels, samples) ─▶ eval (PromQL engine) ─▶ promqltest runner
//! ```
//!
//! What a tool needs is re-exported here: [`parse`], [`Store`], [`Engine`] and
//! [`EngineOptions`], [`Value`], the fixture loader [`load_input_series`] and the errors of
//! each stage, with [`Error`] to hold any of them. The modules hold the rest.
//!
//! ```
//! use promgate::{Engine, EngineOptions, Labels, Store, Value, parse};
//!
//! // Two samples of a heartbeat counter, one minute apart.
//! let mut store = Store::new();
//! let series = Labels::from_pairs([("__name__", "heartbeat_total"), ("instance", "i0")]);
//! store.append_floats(series, [(0, 10.0), (60_000, 16.0)]).unwrap();
//!
//! // A freshness check with a coalescing fallback: an empty result becomes 0.
//! let expr = parse("sum(increase(heartbeat_total[2m])) or on() vector(0)").unwrap();
//! let engine = Engine::new(EngineOptions::default());
//! let result = engine.instant_query(&store, &expr, 60_000).unwrap();
//! assert!(matches!(result.value, Value::Vector(_)));
//! assert!(result.value.single_float().unwrap() > 0.0);
//! ```
//!
//! Library users who do not need the command-line tool can leave out its dependencies (clap,
//! anyhow, indicatif) with `default-features = false`; the `report` feature adds
//! `decision::report` (Markdown and SVG charts of a dry-run, with plotters).
//!
//! This crate follows Prometheus [`PROMETHEUS_VERSION`] semantics by default and offers the 2.x
//! window semantics as an option ([`eval::Semantics`]).

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod decision;
mod error;
pub mod eval;
pub mod explain;
pub mod fixture;
pub mod model;
mod parallel;
pub mod promql;
pub mod promqltest;
pub mod rules;
pub mod source;
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

pub use error::Error;
pub use eval::{Engine, EngineOptions, EvalError, QueryResult, Value};
pub use fixture::{FixtureError, load_input_series};
pub use promql::{ParseError, parse};
pub use store::{Store, StoreError};
pub use syntax::lex::{DurationError, format_duration, parse_duration};

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
