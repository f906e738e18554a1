//! One value per step: a gate's or an expression's value at every step of a range over a
//! fixture, with rule groups evaluated on their own schedule as the dry-run and `promgate
//! decide` do. This is what `promgate stats` summarizes.
//!
//! ```
//! use promgate::decision::series::{Probe, SampleOptions, sample_series};
//! use promgate::rules::{RuleFile, RuleLoadOptions};
//! use promgate::{Labels, Store};
//! let mut store = Store::new();
//! for (i, v) in [1.0, 3.0, 2.0].into_iter().enumerate() {
//!     store.append_float(Labels::from_pairs([("__name__", "x")]), i as i64 * 60_000, v).unwrap();
//! }
//! let rules = RuleFile::parse("r.yml", "groups: [{name: g, rules: [{record: x2, expr: x * 2}]}]", &RuleLoadOptions::default()).unwrap();
//! let expr = promgate::parse("x2").unwrap();
//! let options = SampleOptions { to: 120_000, step: 60_000, ..SampleOptions::default() };
//! let sampled = sample_series(store, &rules.groups, Probe::Expr(&expr), &options).unwrap();
//! assert_eq!(sampled.times, [0, 60_000, 120_000]);
//! assert_eq!(sampled.values, [Some(2.0), Some(6.0), Some(4.0)]);
//! ```

use super::{Gate, Path, Source, StoreSource};
use crate::eval::EngineOptions;
use crate::model::Timestamp;
use crate::promql::Expr;
use crate::rules::{GroupEvaluator, RuleEvalOptions, RuleGroup};
use crate::store::Store;
use crate::syntax::lex::format_duration;

/// What to read at each step.
#[derive(Debug, Clone, Copy)]
pub enum Probe<'a> {
    /// An expression that gives at most one series (or a scalar) at each step.
    Expr(&'a Expr),
    /// A gate: its decisive value, through its fallback when the expression is empty.
    Gate(&'a Gate),
}

/// Where and how often to sample.
///
/// ```
/// let options = promgate::decision::series::SampleOptions::default();
/// assert_eq!((options.step, options.rule_interval, options.max_steps), (60_000, 60_000, 1_000_000));
/// ```
#[derive(Debug, Clone)]
pub struct SampleOptions {
    /// The fixture's start (ms): rule groups run at `start + k * interval`.
    pub start: Timestamp,
    /// The first sample's time (ms).
    pub from: Timestamp,
    /// The last sample's time at most (ms).
    pub to: Timestamp,
    /// The time between samples (ms, positive).
    pub step: i64,
    /// The interval of rule groups that have none (ms, positive).
    pub rule_interval: i64,
    /// Engine options for the rules and the probe.
    pub engine: EngineOptions,
    /// The most samples, and the most rule evaluation times, a run may take.
    pub max_steps: usize,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            start: 0,
            from: 0,
            to: 0,
            step: 60_000,
            rule_interval: 60_000,
            engine: EngineOptions::default(),
            max_steps: 1_000_000,
        }
    }
}

/// The values read.
#[derive(Debug, Clone, PartialEq)]
pub struct SampledSeries {
    /// The time of each step (ms).
    pub times: Vec<Timestamp>,
    /// The value at each step; `None` when the probe was empty.
    pub values: Vec<Option<f64>>,
    /// For a gate, the path each step took; for an expression, `Primary` or `Missing`.
    pub paths: Vec<Path>,
    /// Rule evaluation errors seen (at most 20).
    pub rule_errors: Vec<String>,
}

/// Why a series could not be sampled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SampleError {
    /// `from` after `to`, or a step or interval that is not positive.
    #[error("invalid range: {0}")]
    Range(String),
    /// More steps than [`SampleOptions::max_steps`].
    #[error("{steps} steps exceed the limit of {limit} (use a larger step or a shorter range)")]
    TooManySteps {
        /// The steps the range needs.
        steps: u64,
        /// The limit.
        limit: usize,
    },
    /// The probe could not be evaluated.
    #[error("at {time}: {message}")]
    Eval {
        /// When, relative to the start.
        time: String,
        /// What went wrong.
        message: String,
    },
    /// The expression gave several series at one step.
    #[error("at {time}: the expression gave {count} series, not one (aggregate it, e.g. max(...))")]
    SeveralSeries {
        /// When, relative to the start.
        time: String,
        /// How many.
        count: usize,
    },
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Evaluates the rule `groups` over `store` from `options.start` to `options.to`, each group
/// at its interval, and reads `probe` at `from`, `from + step`, ... up to `to`, after the rules
/// due at that time. The store should hold the fixture's raw series; rules append their
/// results to it.
///
/// # Errors
/// [`SampleError`]: a bad range, too many steps, a probe that fails or (for an expression)
/// gives several series.
pub fn sample_series(
    mut store: Store,
    groups: &[RuleGroup],
    probe: Probe<'_>,
    options: &SampleOptions,
) -> Result<SampledSeries, SampleError> {
    let SampleOptions {
        start,
        from,
        to,
        step,
        rule_interval,
        ..
    } = *options;
    if step <= 0 || rule_interval <= 0 {
        return Err(SampleError::Range(
            "the step and the rule interval must be positive".into(),
        ));
    }
    if from > to {
        return Err(SampleError::Range(format!(
            "from ({}) is after to ({})",
            format_duration(from - start),
            format_duration(to - start)
        )));
    }
    let samples = ((to - from) / step) as u64 + 1;
    if samples > options.max_steps as u64 {
        return Err(SampleError::TooManySteps {
            steps: samples,
            limit: options.max_steps,
        });
    }
    // Rules run on a clock whose tick divides every group's interval.
    let tick = groups
        .iter()
        .map(|g| g.interval.filter(|&i| i > 0).unwrap_or(rule_interval))
        .fold(rule_interval, gcd);
    let rule_times = if groups.is_empty() || to < start {
        0
    } else {
        ((to - start) / tick) as u64 + 1
    };
    if rule_times > options.max_steps as u64 {
        return Err(SampleError::TooManySteps {
            steps: rule_times,
            limit: options.max_steps,
        });
    }
    let mut rules = GroupEvaluator::new(
        groups.to_vec(),
        RuleEvalOptions {
            engine: options.engine.clone(),
            ..RuleEvalOptions::default()
        },
    );
    let mut out = SampledSeries {
        times: Vec::with_capacity(samples as usize),
        values: Vec::with_capacity(samples as usize),
        paths: Vec::with_capacity(samples as usize),
        rule_errors: Vec::new(),
    };
    let mut next_rule = if groups.is_empty() { None } else { Some(start) };
    let mut t = from;
    while t <= to {
        // Rules due up to and including `t` run before the probe reads.
        while let Some(r) = next_rule.filter(|&r| r <= t) {
            for e in rules.eval_due(&mut store, r, start, rule_interval) {
                if out.rule_errors.len() < 20 {
                    out.rule_errors.push(e.to_string());
                }
            }
            next_rule = Some(r + tick);
        }
        let source = StoreSource::with_options(&store, options.engine.clone());
        let at = || format_duration(t - start);
        let (value, path) = match probe {
            Probe::Gate(gate) => {
                let check = gate.check(&source, t).map_err(|e| SampleError::Eval {
                    time: at(),
                    message: e.message,
                })?;
                (check.value, check.path)
            }
            Probe::Expr(expr) => {
                let samples = source.instant(expr, t).map_err(|e| SampleError::Eval {
                    time: at(),
                    message: e.message,
                })?;
                match samples.as_slice() {
                    [] => (None, Path::Missing),
                    [(_, v)] => (Some(*v), Path::Primary),
                    several => {
                        return Err(SampleError::SeveralSeries {
                            time: at(),
                            count: several.len(),
                        });
                    }
                }
            }
        };
        out.times.push(t);
        out.values.push(value);
        out.paths.push(path);
        t += step;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::GatePlan;
    use crate::model::Labels;
    use crate::rules::{RuleFile, RuleLoadOptions};

    fn store(values: &[Option<f64>], interval: i64) -> Store {
        let mut store = Store::new();
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                store
                    .append_float(
                        Labels::from_pairs([("__name__", "x")]),
                        i as i64 * interval,
                        *v,
                    )
                    .unwrap();
            }
        }
        store
    }

    #[test]
    fn groups_run_at_their_own_interval_before_the_probe() {
        // The slow group records at 0, 1m, 2m; read every 30s, its value lags.
        let rules = RuleFile::parse(
            "r.yml",
            "groups: [{name: slow, interval: 1m, rules: [{record: t, expr: time()}]}, {name: fast, interval: 30s, rules: [{record: u, expr: time()}]}]",
            &RuleLoadOptions::default(),
        )
        .unwrap();
        let options = SampleOptions {
            to: 120_000,
            step: 30_000,
            ..SampleOptions::default()
        };
        let slow = crate::parse("t").unwrap();
        let got = sample_series(Store::new(), &rules.groups, Probe::Expr(&slow), &options).unwrap();
        assert_eq!(
            got.values,
            [Some(0.0), Some(0.0), Some(60.0), Some(60.0), Some(120.0)]
        );
        let fast = crate::parse("u").unwrap();
        let got = sample_series(Store::new(), &rules.groups, Probe::Expr(&fast), &options).unwrap();
        assert_eq!(
            got.values,
            [Some(0.0), Some(30.0), Some(60.0), Some(90.0), Some(120.0)]
        );
    }

    #[test]
    fn a_gate_reads_through_its_fallback() {
        let plan = GatePlan::parse(
            "g.yml",
            "gates: [{name: g, expr: x > 1, op: '<=', threshold: 5, on_missing: fallback, fallback: vector(-1)}]",
        )
        .unwrap();
        let options = SampleOptions {
            to: 120_000,
            ..SampleOptions::default()
        };
        let got = sample_series(
            store(&[Some(1.0), Some(2.0), Some(0.5)], 60_000),
            &[],
            Probe::Gate(&plan.gates[0]),
            &options,
        )
        .unwrap();
        assert_eq!(got.values, [Some(-1.0), Some(2.0), Some(-1.0)]);
        assert_eq!(got.paths, [Path::Fallback, Path::Primary, Path::Fallback]);
    }

    #[test]
    fn bad_ranges_and_several_series_are_errors() {
        let expr = crate::parse("vector(1) or label_replace(vector(2), \"a\", \"b\", \"\", \"\")")
            .unwrap();
        let options = SampleOptions::default();
        let err = sample_series(Store::new(), &[], Probe::Expr(&expr), &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "at 0s: the expression gave 2 series, not one (aggregate it, e.g. max(...))"
        );
        let expr = crate::parse("vector(1)").unwrap();
        let backwards = SampleOptions {
            from: 60_000,
            ..SampleOptions::default()
        };
        let err = sample_series(Store::new(), &[], Probe::Expr(&expr), &backwards).unwrap_err();
        assert_eq!(err.to_string(), "invalid range: from (1m) is after to (0s)");
        let many = SampleOptions {
            to: 3_600_000,
            step: 1,
            ..SampleOptions::default()
        };
        let err = sample_series(Store::new(), &[], Probe::Expr(&expr), &many).unwrap_err();
        assert!(
            matches!(
                err,
                SampleError::TooManySteps {
                    steps: 3_600_001,
                    ..
                }
            ),
            "{err}"
        );
    }
}
