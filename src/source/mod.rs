//! Where samples come from: the in-memory fixture store ([`StoreSource`]), or any
//! Prometheus-compatible HTTP query API ([`http::HttpSource`], behind the `http` feature:
//! Prometheus, Thanos, Mimir, Cortex, VictoriaMetrics).
//!
//! Both answer the same [`Source`] questions with the same types, so decisions and statistics
//! cannot tell them apart. A backtest asks for whole windows at once ([`Source::range`]) and
//! replays them through [`Prefetched`], so a past day costs one range query per expression
//! instead of 8640 instant queries.
//!
//! ```
//! use promgate::source::{Prefetched, Source, StoreSource};
//! use promgate::{Labels, Store, parse};
//! let mut store = Store::new();
//! let up = Labels::from_pairs([("__name__", "up"), ("job", "a")]);
//! store.append_floats(up, [(0, 1.0), (10_000, 0.0)]).unwrap();
//! let source = StoreSource::new(&store);
//! let expr = parse("sum(up)").unwrap();
//! let window = Prefetched::fetch(&source, &[&expr], 0, 20_000, 10_000).unwrap();
//! assert_eq!(window.instant(&expr, 10_000).unwrap()[0].1, 0.0);
//! assert_eq!(window.instant(&expr, 10_000).unwrap(), source.instant(&expr, 10_000).unwrap());
//! ```

#[cfg(feature = "http")]
pub mod http;

use std::collections::BTreeMap;

use crate::Labels;
use crate::eval::{Engine, EngineOptions, EvalError, Value};
use crate::model::Timestamp;
use crate::promql::Expr;
use crate::store::Store;

/// The most steps one [`Source::range`] call may cover (a day of 1 s steps): an explicit
/// limit, so a mistyped step cannot ask for billions of samples.
pub const MAX_RANGE_STEPS: i64 = 86_400;

/// Where samples come from. The fixture store is the default; a live Prometheus-compatible
/// HTTP API implements the same trait without changing decisions or statistics.
pub trait Source {
    /// Evaluates `expr` as an instant query at `t` (ms): the samples of a vector, or one
    /// unlabelled sample for a scalar.
    fn instant(&self, expr: &Expr, t: Timestamp) -> Result<Vec<(Labels, f64)>, SourceError>;

    /// Evaluates `expr` at every step from `start` to `end` (ms, both included): one entry
    /// per step, each what [`Source::instant`] gives at that time. The default asks one
    /// instant query per step; an HTTP source uses `query_range`.
    fn range(
        &self,
        expr: &Expr,
        start: Timestamp,
        end: Timestamp,
        step: i64,
    ) -> Result<Vec<Vec<(Labels, f64)>>, SourceError> {
        let count = range_steps(start, end, step)?;
        (0..count)
            .map(|i| self.instant(expr, start + i * step))
            .collect()
    }

    /// Warnings the source saw since the last call (the API's `warnings` and `infos`, Thanos's
    /// partial responses, skipped histogram samples), oldest first. They are not errors: the
    /// monitor keeps them and the report shows them.
    fn take_warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// How many steps `start..=end` holds, or an error for a bad window.
///
/// ```
/// assert_eq!(promgate::source::range_steps(0, 60_000, 10_000).unwrap(), 7);
/// assert!(promgate::source::range_steps(10, 0, 1).is_err());
/// ```
pub fn range_steps(start: Timestamp, end: Timestamp, step: i64) -> Result<i64, SourceError> {
    if step <= 0 {
        return Err(SourceError::new(format!(
            "the step must be positive, not {step}ms"
        )));
    }
    if end < start {
        return Err(SourceError::new(format!(
            "the window ends ({end}) before it starts ({start})"
        )));
    }
    let count = (end - start) / step + 1;
    if count > MAX_RANGE_STEPS {
        return Err(SourceError::new(format!(
            "the window holds {count} steps, more than the limit of {MAX_RANGE_STEPS}: use a longer step or a shorter window"
        )));
    }
    Ok(count)
}

/// A query a [`Source`] could not answer.
///
/// ```
/// let e = promgate::source::SourceError::new("http://x/api/v1/query: HTTP 503");
/// assert_eq!(e.to_string(), "http://x/api/v1/query: HTTP 503");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SourceError {
    /// What went wrong (an HTTP source names the URL, the status, what came back and how
    /// often it tried).
    pub message: String,
}

impl SourceError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> SourceError {
        SourceError {
            message: message.into(),
        }
    }
}

/// The in-memory store as a [`Source`].
///
/// ```
/// use promgate::decision::{Source, StoreSource};
/// let store = promgate::store::Store::new();
/// let source = StoreSource::new(&store);
/// let expr = promgate::promql::parse("vector(2)").unwrap();
/// assert_eq!(source.instant(&expr, 0).unwrap()[0].1, 2.0);
/// ```
#[derive(Debug, Clone)]
pub struct StoreSource<'a> {
    store: &'a Store,
    engine: Engine,
}

impl<'a> StoreSource<'a> {
    /// A source over `store` with the default engine options.
    pub fn new(store: &'a Store) -> StoreSource<'a> {
        StoreSource::with_options(store, EngineOptions::default())
    }

    /// A source over `store` with these engine options.
    pub fn with_options(store: &'a Store, options: EngineOptions) -> StoreSource<'a> {
        StoreSource {
            store,
            engine: Engine::new(options),
        }
    }
}

impl Source for StoreSource<'_> {
    fn instant(&self, expr: &Expr, t: Timestamp) -> Result<Vec<(Labels, f64)>, SourceError> {
        let result = self
            .engine
            .instant_query(self.store, expr, t)
            .map_err(|e: EvalError| SourceError::new(e.to_string()))?;
        match result.value {
            Value::Vector(v) => Ok(v
                .into_iter()
                .filter(|s| s.h.is_none())
                .map(|s| (s.metric, s.f))
                .collect()),
            Value::Scalar(f) => Ok(vec![(Labels::empty(), f)]),
            other => Err(SourceError::new(format!(
                "a gate must give a vector or a scalar, not a {}",
                other.type_name()
            ))),
        }
    }

    /// One range query over the store, answered per step as [`Source::instant`] would: a
    /// step with more than one sample (whose order a range query does not keep), an error
    /// anywhere, and an expression whose meaning depends on the query (`@`, negative offsets,
    /// `step()`) go back to instant queries.
    fn range(
        &self,
        expr: &Expr,
        start: Timestamp,
        end: Timestamp,
        step: i64,
    ) -> Result<Vec<Vec<(Labels, f64)>>, SourceError> {
        let count = range_steps(start, end, step)?;
        let per_step = || {
            (0..count)
                .map(|i| self.instant(expr, start + i * step))
                .collect()
        };
        let options = self.engine.options();
        if crate::eval::reach(expr, options.lookback_delta, options.default_subquery_step).is_none()
        {
            return per_step();
        }
        let Ok(result) = self.engine.range_query(self.store, expr, start, end, step) else {
            return per_step();
        };
        let Value::Matrix(matrix) = result.value else {
            return per_step();
        };
        let mut steps: Vec<Vec<(Labels, f64)>> = vec![Vec::new(); count as usize];
        for series in matrix {
            for p in series.floats {
                steps[((p.t - start) / step) as usize].push((series.metric.clone(), p.f));
            }
        }
        for (i, samples) in steps.iter_mut().enumerate() {
            if samples.len() > 1 {
                *samples = self.instant(expr, start + i as i64 * step)?;
            }
        }
        Ok(steps)
    }
}

/// Expressions evaluated over a whole window in advance (one [`Source::range`] call each),
/// answered back step by step as a [`Source`]: the backtest's source. Asking for an
/// expression or a time it did not fetch is an error, never a silently empty result.
#[derive(Debug, Clone)]
pub struct Prefetched {
    start: Timestamp,
    end: Timestamp,
    step: i64,
    results: BTreeMap<String, Vec<Vec<(Labels, f64)>>>,
    /// Each expression fetched, by its address when fetched (with a copy to check that it is
    /// still that expression) and its key in `results`: a caller asking again with the same
    /// expression is answered without printing it.
    asked: Vec<(usize, Expr, String)>,
    warnings: Vec<String>,
    taken: std::cell::Cell<bool>,
}

impl Prefetched {
    /// Fetches every expression over `start..=end` at `step` from `source`.
    pub fn fetch(
        source: &dyn Source,
        exprs: &[&Expr],
        start: Timestamp,
        end: Timestamp,
        step: i64,
    ) -> Result<Prefetched, SourceError> {
        range_steps(start, end, step)?;
        let mut results = BTreeMap::new();
        for (key, expr) in unique_keys(exprs) {
            results.insert(key, source.range(expr, start, end, step)?);
        }
        Ok(Prefetched::new(
            (start, end, step),
            results,
            exprs,
            source.take_warnings(),
        ))
    }

    /// [`Prefetched::fetch`] on as many threads as there are cores, each with its own source
    /// made by `source`: the same results, and the warnings in the same order (each
    /// expression's, in the order of `exprs`), as fetching them one after another.
    ///
    /// ```
    /// use promgate::source::{Prefetched, Source, StoreSource};
    /// use promgate::{Labels, Store, parse};
    /// let mut store = Store::new();
    /// store.append_floats(Labels::from_pairs([("__name__", "up")]), [(0, 1.0), (10_000, 0.0)]).unwrap();
    /// let (up, down) = (parse("up == 1").unwrap(), parse("up == 0").unwrap());
    /// let window = Prefetched::fetch_parallel(|| StoreSource::new(&store), &[&up, &down], 0, 10_000, 10_000).unwrap();
    /// assert_eq!(window.instant(&up, 0).unwrap().len(), 1);
    /// assert_eq!(window.instant(&down, 0).unwrap().len(), 0);
    /// assert_eq!(window.instant(&down, 10_000).unwrap().len(), 1);
    /// ```
    pub fn fetch_parallel<S: Source>(
        source: impl Fn() -> S + Sync,
        exprs: &[&Expr],
        start: Timestamp,
        end: Timestamp,
        step: i64,
    ) -> Result<Prefetched, SourceError> {
        range_steps(start, end, step)?;
        let unique = unique_keys(exprs);
        // Each job has a source of its own (a source need not be shareable between threads),
        // and takes the warnings its expression gave.
        let fetched = crate::parallel::map_in_order(unique.len(), crate::parallel::cores(), |i| {
            let source = source();
            let steps = source.range(unique[i].1, start, end, step);
            (steps, source.take_warnings())
        });
        let mut results = BTreeMap::new();
        let mut warnings = Vec::new();
        for ((key, _), (steps, w)) in unique.into_iter().zip(fetched) {
            results.insert(key, steps?);
            warnings.extend(w);
        }
        Ok(Prefetched::new(
            (start, end, step),
            results,
            exprs,
            warnings,
        ))
    }

    fn new(
        (start, end, step): (Timestamp, Timestamp, i64),
        results: BTreeMap<String, Vec<Vec<(Labels, f64)>>>,
        exprs: &[&Expr],
        warnings: Vec<String>,
    ) -> Prefetched {
        Prefetched {
            start,
            end,
            step,
            results,
            asked: exprs
                .iter()
                .map(|e| (*e as *const Expr as usize, (*e).clone(), e.to_string()))
                .collect(),
            warnings,
            taken: std::cell::Cell::new(false),
        }
    }
}

/// Each distinct expression of `exprs` (by its text, which is its key) once, in order.
fn unique_keys<'e>(exprs: &[&'e Expr]) -> Vec<(String, &'e Expr)> {
    let mut unique: Vec<(String, &Expr)> = Vec::new();
    for expr in exprs {
        let key = expr.to_string();
        if !unique.iter().any(|(k, _)| *k == key) {
            unique.push((key, expr));
        }
    }
    unique
}

impl Source for Prefetched {
    fn instant(&self, expr: &Expr, t: Timestamp) -> Result<Vec<(Labels, f64)>, SourceError> {
        let address = expr as *const Expr as usize;
        let key = match self
            .asked
            .iter()
            .find(|(a, e, _)| *a == address && e == expr)
        {
            Some((_, _, key)) => std::borrow::Cow::Borrowed(key.as_str()),
            None => std::borrow::Cow::Owned(expr.to_string()),
        };
        let steps = self
            .results
            .get(key.as_ref())
            .ok_or_else(|| SourceError::new(format!("{key}: not fetched for this window")))?;
        if t < self.start || t > self.end || (t - self.start) % self.step != 0 {
            return Err(SourceError::new(format!(
                "{key}: time {t} is not a step of the fetched window"
            )));
        }
        Ok(steps[((t - self.start) / self.step) as usize].clone())
    }

    fn take_warnings(&self) -> Vec<String> {
        // The window's warnings belong to the whole window: hand them over once.
        if self.taken.replace(true) {
            Vec::new()
        } else {
            self.warnings.clone()
        }
    }
}
