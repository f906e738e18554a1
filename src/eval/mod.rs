//! The deterministic PromQL evaluator.
//!
//! An [`Engine`] evaluates a parsed expression over a [`Store`], either at one
//! instant ([`Engine::instant_query`]) or over a range of steps ([`Engine::range_query`]), and
//! returns the [`Value`] with the [`Annotations`] (warnings and infos) Prometheus would return.
//! The same input gives the same bytes out on every run: no clocks, no randomness, no hash-map
//! iteration order reaches a result.
//!
//! ```
//! use promgate::eval::{Engine, EngineOptions, Value};
//! use promgate::store::Store;
//! use promgate::Labels;
//! let mut store = Store::new();
//! for (t, v) in [(0, 1.0), (60_000, 7.0)] {
//!     store.append_float(Labels::from_pairs([("__name__", "up"), ("job", "api")]), t, v).unwrap();
//! }
//! let engine = Engine::new(EngineOptions::default());
//! let expr = promgate::promql::parse("sum(up) or on() vector(0)").unwrap();
//! let result = engine.instant_query(&store, &expr, 90_000).unwrap();
//! match result.value {
//!     Value::Vector(v) => assert_eq!(v[0].f, 7.0),
//!     other => panic!("unexpected {other:?}"),
//! }
//! ```

mod aggregate;
mod annotations;
mod binary;
mod engine;
mod error;
pub(crate) mod functions;
mod prometheus2;
mod reach;
mod subset;
mod value;

pub use annotations::{Annotation, AnnotationLevel, Annotations};
pub use error::EvalError;
pub use reach::reach;
pub use value::{Sample, Series, Value, format_timestamp};

use crate::model::Timestamp;
use crate::promql::Expr;
use crate::store::{Store, Window};

/// Which Prometheus major version's query semantics to follow.
///
/// ```
/// use promgate::eval::Semantics;
/// assert_eq!(Semantics::default(), Semantics::Prometheus3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Semantics {
    /// Prometheus 3.x: left-open range and lookback windows `(t - r, t]`, `.` in regexes
    /// matches newlines.
    #[default]
    Prometheus3,
    /// Prometheus 2.x: left-closed windows `[t - r, t]`, regexes without the `s` flag, the
    /// pre-2.51 rate extrapolation. Use it to compare with promtool 2.x.
    Prometheus2,
}

impl Semantics {
    /// The range and lookback window shape of these semantics.
    pub fn window(self) -> Window {
        match self {
            Semantics::Prometheus3 => Window::LeftOpen,
            Semantics::Prometheus2 => Window::LeftClosed,
        }
    }
}

/// Engine settings.
///
/// ```
/// use promgate::eval::EngineOptions;
/// let opts = EngineOptions { lookback_delta: 60_000, ..EngineOptions::default() };
/// assert_eq!(opts.default_subquery_step, 60_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOptions {
    /// How far back an instant selector looks for a sample, in ms (default 5m).
    pub lookback_delta: i64,
    /// The most samples a query may hold at one evaluation step (default 50 million, as
    /// Prometheus's `--query.max-samples`).
    pub max_samples: usize,
    /// Prometheus 3 (default) or 2 semantics.
    pub semantics: Semantics,
    /// Drop `__name__` at the end of evaluation instead of at each operation (Prometheus's
    /// `promql-delayed-name-removal` feature; on in Prometheus's own test engine).
    pub delayed_name_removal: bool,
    /// The step of subqueries written without one (`[1h:]`), in ms (default 1m).
    pub default_subquery_step: i64,
    /// Use sample start timestamps in `rate`, `increase`, `irate` and `resets`.
    pub use_start_timestamps: bool,
    /// The most evaluation steps a query may take, counting every step of a range query and
    /// every inner step of every subquery evaluation (default 50 million). The engine has no
    /// clock and no timeout, so this bounds the time a query can take: `x[365d:1ms]` fails at
    /// once instead of running for hours.
    pub max_steps: u64,
    /// The most steps a range query may have after its first, as Prometheus's HTTP API limits
    /// `(end - start) / step` (default 11,000; off in [`EngineOptions::promqltest`], whose
    /// scripts call the engine directly).
    pub max_points_per_series: u64,
    /// The most wall-clock time a query may take, as Prometheus's `--query.timeout` (default:
    /// none, so that library results never depend on the machine's speed; the command line,
    /// the rule-test runner and [`EngineOptions::promqltest`] use
    /// [`EngineOptions::DEFAULT_TIMEOUT`]). A query past it fails with
    /// [`EvalError::Timeout`]. `max_steps` and `max_samples` bound the work deterministically;
    /// this bounds what they cannot see, such as a selector over a million series at every step.
    pub timeout: Option<std::time::Duration>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lookback_delta: 5 * 60_000,
            max_samples: 50_000_000,
            semantics: Semantics::Prometheus3,
            delayed_name_removal: false,
            default_subquery_step: 60_000,
            use_start_timestamps: false,
            max_steps: 50_000_000,
            max_points_per_series: 11_000,
            timeout: None,
        }
    }
}

impl EngineOptions {
    /// The query timeout of the command line and the rule-test runner: two minutes, as
    /// Prometheus's `--query.timeout` default.
    ///
    /// ```
    /// use promgate::eval::EngineOptions;
    /// assert_eq!(EngineOptions::DEFAULT_TIMEOUT.as_secs(), 120);
    /// ```
    pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

    /// The settings of Prometheus's own PromQL test engine (`promqltest`): delayed name removal
    /// and start timestamps on, at most 10,000 samples per query, the default timeout.
    ///
    /// ```
    /// use promgate::eval::EngineOptions;
    /// assert!(EngineOptions::promqltest().delayed_name_removal);
    /// ```
    pub fn promqltest() -> EngineOptions {
        EngineOptions {
            max_samples: 10_000,
            delayed_name_removal: true,
            use_start_timestamps: true,
            max_points_per_series: u64::MAX,
            timeout: Some(EngineOptions::DEFAULT_TIMEOUT),
            ..EngineOptions::default()
        }
    }
}

/// The expression after the parser's type checks, so that a tree built or rewritten by hand
/// fails with [`EvalError::InvalidExpression`] instead of being evaluated with a guess.
fn checked(expr: &Expr) -> Result<Expr, EvalError> {
    let mut checked = expr.clone();
    crate::promql::check(&mut checked, "").map_err(|e| EvalError::InvalidExpression {
        kind: e.kind,
        span: e.span,
    })?;
    Ok(checked)
}

/// A query's result: its value and the annotations raised while computing it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// The value.
    pub value: Value,
    /// Warnings and infos.
    pub annotations: Annotations,
}

/// Evaluates PromQL expressions over a store.
///
/// ```
/// use promgate::eval::{Engine, EngineOptions};
/// let engine = Engine::new(EngineOptions::default());
/// assert_eq!(engine.options().lookback_delta, 300_000);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Engine {
    options: EngineOptions,
}

impl Engine {
    /// An engine with the given options.
    pub fn new(options: EngineOptions) -> Engine {
        Engine { options }
    }

    /// The options in force.
    pub fn options(&self) -> &EngineOptions {
        &self.options
    }

    /// Evaluates `expr` at time `t` (ms since the epoch).
    ///
    /// ```
    /// use promgate::eval::{Engine, Value};
    /// use promgate::store::Store;
    /// let expr = promgate::promql::parse("1 + 2").unwrap();
    /// let r = Engine::default().instant_query(&Store::new(), &expr, 0).unwrap();
    /// assert_eq!(r.value, Value::Scalar(3.0));
    /// ```
    pub fn instant_query(
        &self,
        store: &Store,
        expr: &Expr,
        t: Timestamp,
    ) -> Result<QueryResult, EvalError> {
        let expr = checked(expr)?;
        engine::Evaluator::new(store, &self.options, t, t, 0).run_instant(&expr, t)
    }

    /// Evaluates `expr` at every step from `start` to `end` (inclusive, ms) and returns a matrix
    /// sorted by labels.
    ///
    /// As Prometheus, it rejects a step of zero or less ([`EvalError::InvalidStep`]), an end
    /// before the start ([`EvalError::EndBeforeStart`]) and more than
    /// [`EngineOptions::max_points_per_series`] steps ([`EvalError::TooManyPoints`]).
    ///
    /// ```
    /// use promgate::eval::{Engine, Value};
    /// use promgate::store::Store;
    /// let expr = promgate::promql::parse("time()").unwrap();
    /// let r = Engine::default().range_query(&Store::new(), &expr, 0, 120_000, 60_000).unwrap();
    /// let Value::Matrix(m) = r.value else { panic!() };
    /// assert_eq!(m[0].floats.iter().map(|p| p.f).collect::<Vec<_>>(), [0.0, 60.0, 120.0]);
    ///
    /// let err = Engine::default().range_query(&Store::new(), &expr, 0, 120_000, 0).unwrap_err();
    /// assert_eq!(err.to_string(), "0s is not a valid interval for a range query, must be greater than 0");
    /// ```
    pub fn range_query(
        &self,
        store: &Store,
        expr: &Expr,
        start: Timestamp,
        end: Timestamp,
        step: i64,
    ) -> Result<QueryResult, EvalError> {
        if step <= 0 {
            return Err(EvalError::InvalidStep(step));
        }
        if end < start {
            return Err(EvalError::EndBeforeStart { start, end });
        }
        let points = u64::try_from((i128::from(end) - i128::from(start)) / i128::from(step));
        if points.map_or(true, |n| n > self.options.max_points_per_series) {
            return Err(EvalError::TooManyPoints {
                limit: self.options.max_points_per_series,
            });
        }
        let expr = checked(expr)?;
        engine::Evaluator::new(store, &self.options, start, end, step).run_range(&expr)
    }
}
