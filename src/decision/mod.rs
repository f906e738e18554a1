//! Gates → GO/NO-GO decisions with reasons.
//!
//! A gates file lists health checks: a PromQL expression, a comparison with a threshold, what
//! a missing value means (fail, pass, inconclusive, or a fallback expression: the coalesce
//! path), and a severity. [`GatePlan::decide`] evaluates them at one time over any
//! [`Source`] and returns a [`Decision`] whose every check says its value, the path it took
//! and why it passed or failed. [`crate::decision::dryrun`] runs a plan over a whole fixture
//! timeline (rules evaluated as Prometheus would) with statistics, the pass probability, drift
//! alarms, early stops and a grade.
//!
//! ```
//! use promgate::decision::{GatePlan, Verdict, StoreSource};
//! use promgate::store::Store;
//! use promgate::Labels;
//! let gates = r#"
//! gates:
//!   - name: error_ratio
//!     expr: sum(rate(errors_total[5m])) / sum(rate(requests_total[5m]))
//!     op: "<="
//!     threshold: 0.05
//!     on_missing: fallback
//!     fallback: vector(0)
//!   - name: up
//!     expr: min(up)
//!     op: "=="
//!     threshold: 1
//! "#;
//! let plan = GatePlan::parse("gates.yml", gates).unwrap();
//! let mut store = Store::new();
//! store.append_float(Labels::from_pairs([("__name__", "up"), ("job", "a")]), 0, 1.0).unwrap();
//! let decision = plan.decide(&StoreSource::new(&store), 60_000).unwrap();
//! assert_eq!(decision.verdict, Verdict::Go);
//! assert_eq!(decision.checks[0].path.to_string(), "fallback");
//! ```

pub mod backtest;
pub mod dryrun;
pub mod monitor;
#[cfg(feature = "report")]
pub mod report;
pub mod series;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use crate::source::{Source, SourceError, StoreSource};

use crate::Labels;
use crate::model::{Timestamp, format_float_g};
use crate::promql::{Expr, ParseOptions, parse_with};
use crate::yaml::{self, Spanned, YamlError};

/// A comparison of a gate's value with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `==`
    #[serde(rename = "==")]
    Eq,
    /// `!=`
    #[serde(rename = "!=")]
    Ne,
    /// `<`
    #[serde(rename = "<")]
    Lt,
    /// `<=`
    #[serde(rename = "<=")]
    Le,
    /// `>`
    #[serde(rename = ">")]
    Gt,
    /// `>=`
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    /// Does `value op threshold` hold? (NaN never does.)
    ///
    /// ```
    /// use promgate::decision::Op;
    /// assert!(Op::Le.holds(0.05, 0.08));
    /// assert!(!Op::Ge.holds(f64::NAN, 0.0));
    /// ```
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Eq => value == threshold,
            Op::Ne => value != threshold && !value.is_nan(),
            Op::Lt => value < threshold,
            Op::Le => value <= threshold,
            Op::Gt => value > threshold,
            Op::Ge => value >= threshold,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// What a missing value (an empty result) means for a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMissing {
    /// The gate fails (the default: no data is no evidence of health).
    #[default]
    Fail,
    /// The gate passes.
    Pass,
    /// The decision cannot be made: the verdict becomes inconclusive unless another gate
    /// fails.
    Inconclusive,
    /// Evaluate the gate's `fallback` expression instead (the coalesce path).
    Fallback,
}

/// How much a gate's failure weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A failure is reported but does not block.
    Warning,
    /// A failure means NO-GO (the default).
    #[default]
    Critical,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGatesFile {
    gates: Vec<Spanned<RawGate>>,
    #[serde(default)]
    dryrun: Option<dryrun::DryRunSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    name: String,
    expr: Spanned<String>,
    op: Op,
    threshold: f64,
    #[serde(default)]
    on_missing: OnMissing,
    #[serde(default)]
    fallback: Option<Spanned<String>>,
    #[serde(default)]
    severity: Severity,
    #[serde(default)]
    description: String,
}

/// One gate, parsed.
#[derive(Debug, Clone)]
pub struct Gate {
    /// Its name.
    pub name: String,
    /// The expression.
    pub expr: Expr,
    /// The expression as written.
    pub expr_text: String,
    /// The comparison.
    pub op: Op,
    /// The threshold.
    pub threshold: f64,
    /// What a missing value means.
    pub on_missing: OnMissing,
    /// The fallback expression, for [`OnMissing::Fallback`].
    pub fallback: Option<Expr>,
    /// The severity.
    pub severity: Severity,
    /// A description for reports.
    pub description: String,
}

/// A gates file, parsed: the gates in order and the dry-run settings.
#[derive(Debug, Clone)]
pub struct GatePlan {
    /// The gates.
    pub gates: Vec<Gate>,
    /// The dry-run section (monitor, probability, early stop, grade), if any.
    pub dryrun: dryrun::DryRunSpec,
}

/// A gates file that could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GatesError {
    /// Bad YAML or a value of the wrong shape.
    #[error("{file}:{error}")]
    Yaml {
        /// The file.
        file: String,
        /// The error.
        error: YamlError,
    },
    /// An expression that does not parse.
    #[error("{file}:{line}:{column}: gate {gate:?}: {message}")]
    Expr {
        /// The file.
        file: String,
        /// The gate.
        gate: String,
        /// Line of the error inside the file.
        line: usize,
        /// Column of the error inside the file.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// A gate that cannot be evaluated as written.
    #[error("{file}:{line}: gate {gate:?}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The gate.
        gate: String,
        /// Its line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl GatePlan {
    /// Parses a gates file.
    ///
    /// ```
    /// use promgate::decision::GatePlan;
    /// let err = GatePlan::parse("g.yml", "gates:\n  - name: a\n    expr: sum(\n    op: '<'\n    threshold: 1\n").unwrap_err();
    /// assert_eq!(err.to_string(), "g.yml:3:15: gate \"a\": unclosed left parenthesis");
    /// ```
    pub fn parse(file: &str, text: &str) -> Result<GatePlan, GatesError> {
        let raw: RawGatesFile = yaml::from_str(text).map_err(|error| GatesError::Yaml {
            file: file.to_string(),
            error,
        })?;
        let options = ParseOptions::default();
        let index = crate::syntax::LineIndex::new(text);
        let parse_expr = |gate: &str, e: &Spanned<String>| {
            parse_with(&e.value, &options).map_err(|err| {
                let at = e.offset_in(
                    text,
                    (err.span.start as usize).min(e.value.trim_end().len()),
                );
                let (line, column) = index.line_col(at);
                GatesError::Expr {
                    file: file.to_string(),
                    gate: gate.to_string(),
                    line,
                    column,
                    message: err.kind.to_string(),
                }
            })
        };
        let mut gates = Vec::new();
        let mut names = std::collections::BTreeSet::new();
        for g in raw.gates {
            let line = g.pos.line;
            let g = g.value;
            let invalid = |message: String| GatesError::Invalid {
                file: file.to_string(),
                gate: g.name.clone(),
                line,
                message,
            };
            if !names.insert(g.name.clone()) {
                return Err(invalid("the name is used by an earlier gate".into()));
            }
            let expr = parse_expr(&g.name, &g.expr)?;
            let fallback = match (&g.fallback, g.on_missing) {
                (Some(f), OnMissing::Fallback) => Some(parse_expr(&g.name, f)?),
                (None, OnMissing::Fallback) => {
                    return Err(invalid(
                        "on_missing: fallback needs a fallback expression".into(),
                    ));
                }
                (Some(_), other) => {
                    return Err(invalid(format!(
                        "a fallback is only used with on_missing: fallback (this gate has {other:?})"
                    )));
                }
                (None, _) => None,
            };
            if g.threshold.is_nan() {
                return Err(invalid("the threshold is NaN".into()));
            }
            gates.push(Gate {
                name: g.name,
                expr_text: g.expr.value,
                expr,
                op: g.op,
                threshold: g.threshold,
                on_missing: g.on_missing,
                fallback,
                severity: g.severity,
                description: g.description,
            });
        }
        Ok(GatePlan {
            gates,
            dryrun: raw.dryrun.unwrap_or_default(),
        })
    }

    /// Evaluates every gate at `t` over `source`.
    pub fn decide(&self, source: &dyn Source, t: Timestamp) -> Result<Decision, SourceError> {
        self.decide_with(source, t, true)
    }

    /// [`GatePlan::decide`], with each check's reason written only when `reasons` (a monitor
    /// keeps the outcomes of most steps, not their words).
    pub(crate) fn decide_with(
        &self,
        source: &dyn Source,
        t: Timestamp,
        reasons: bool,
    ) -> Result<Decision, SourceError> {
        let checks = self
            .gates
            .iter()
            .map(|g| check(g, source, t, reasons))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Decision::from_checks(t, checks))
    }
}

impl Gate {
    /// Evaluates this gate alone at `t` over `source`: its value (through the fallback when
    /// the expression is empty), the path taken and the outcome, as [`GatePlan::decide`]
    /// gives for each gate.
    ///
    /// ```
    /// use promgate::decision::{GatePlan, Path, Status, StoreSource};
    /// let plan = GatePlan::parse("g.yml", "gates: [{name: e, expr: nothing, op: '<=', threshold: 0.1, on_missing: fallback, fallback: vector(0)}]").unwrap();
    /// let store = promgate::store::Store::new();
    /// let check = plan.gates[0].check(&StoreSource::new(&store), 0).unwrap();
    /// assert_eq!((check.value, check.path, check.status), (Some(0.0), Path::Fallback, Status::Pass));
    /// ```
    pub fn check(&self, source: &dyn Source, t: Timestamp) -> Result<Check, SourceError> {
        check(self, source, t, true)
    }
}

/// Which way a check got its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    /// The expression had a value.
    Primary,
    /// The expression was empty; the fallback expression gave the value.
    Fallback,
    /// No value: the missing-value policy decided.
    Missing,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Path::Primary => "primary",
            Path::Fallback => "fallback",
            Path::Missing => "missing",
        })
    }
}

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The comparison held.
    Pass,
    /// The comparison did not hold (or a missing value counts as failure).
    Fail,
    /// No value, and the policy says the decision cannot be made.
    Missing,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Missing => "missing",
        })
    }
}

/// One gate's outcome at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The gate's name.
    pub gate: String,
    /// The value compared (the worst sample when the expression gave several), if any.
    pub value: Option<f64>,
    /// The labels of that sample.
    pub labels: Option<Labels>,
    /// The threshold.
    pub threshold: f64,
    /// The comparison.
    pub op: Op,
    /// The outcome.
    pub status: Status,
    /// How the value was obtained.
    pub path: Path,
    /// The gate's severity.
    pub severity: Severity,
    /// Why, in one line.
    pub reason: String,
}

/// GO, NO-GO or inconclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every critical gate passed.
    Go,
    /// A critical gate failed.
    NoGo,
    /// No critical gate failed, but one had no value and its policy is `inconclusive`.
    Inconclusive,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Go => "GO",
            Verdict::NoGo => "NO-GO",
            Verdict::Inconclusive => "INCONCLUSIVE",
        })
    }
}

/// The decision at one time: the verdict and every check behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// When (ms).
    pub time: Timestamp,
    /// The verdict.
    pub verdict: Verdict,
    /// Each gate's check, in plan order.
    pub checks: Vec<Check>,
}

impl Decision {
    /// The verdict implied by checks: NO-GO if a critical gate failed, else inconclusive if a
    /// critical gate is missing, else GO.
    ///
    /// ```
    /// use promgate::decision::{Decision, Verdict};
    /// assert_eq!(Decision::from_checks(0, vec![]).verdict, Verdict::Go);
    /// ```
    pub fn from_checks(time: Timestamp, checks: Vec<Check>) -> Decision {
        let critical = |s: Status| {
            checks
                .iter()
                .any(|c| c.severity == Severity::Critical && c.status == s)
        };
        let verdict = if critical(Status::Fail) {
            Verdict::NoGo
        } else if critical(Status::Missing) {
            Verdict::Inconclusive
        } else {
            Verdict::Go
        };
        Decision {
            time,
            verdict,
            checks,
        }
    }
}

/// Picks the sample that decides a gate: a failing one if any (the worst for ordered
/// comparisons), else the one closest to failing.
fn decisive(samples: &[(Labels, f64)], op: Op, threshold: f64) -> (Labels, f64) {
    let key = |v: f64| match op {
        Op::Lt | Op::Le => v,
        Op::Gt | Op::Ge => -v,
        Op::Eq | Op::Ne => 0.0,
    };
    let failing = samples.iter().find(|(_, v)| !op.holds(*v, threshold));
    if matches!(op, Op::Eq | Op::Ne) {
        return failing.unwrap_or(&samples[0]).clone();
    }
    samples
        .iter()
        .max_by(|a, b| {
            let (ka, kb) = (key(a.1), key(b.1));
            // NaN is the worst value of all.
            match (ka.is_nan(), kb.is_nan()) {
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => ka.partial_cmp(&kb).unwrap_or(std::cmp::Ordering::Equal),
            }
        })
        .cloned()
        .unwrap_or_else(|| samples[0].clone())
}

fn check(
    gate: &Gate,
    source: &dyn Source,
    t: Timestamp,
    reasons: bool,
) -> Result<Check, SourceError> {
    let mut samples = source.instant(&gate.expr, t)?;
    let mut path = Path::Primary;
    if samples.is_empty()
        && let Some(fallback) = &gate.fallback
    {
        samples = source.instant(fallback, t)?;
        path = Path::Fallback;
    }
    let base = Check {
        gate: gate.name.clone(),
        value: None,
        labels: None,
        threshold: gate.threshold,
        op: gate.op,
        status: Status::Missing,
        path,
        severity: gate.severity,
        reason: String::new(),
    };
    if samples.is_empty() {
        let (status, what) = match gate.on_missing {
            OnMissing::Pass => (Status::Pass, "counts as a pass"),
            OnMissing::Inconclusive => (Status::Missing, "leaves the decision open"),
            OnMissing::Fail | OnMissing::Fallback => (Status::Fail, "counts as a failure"),
        };
        let empty = if path == Path::Fallback {
            "the expression and its fallback were empty"
        } else {
            "the expression was empty"
        };
        return Ok(Check {
            status,
            path: Path::Missing,
            reason: format!("{empty}; a missing value {what}"),
            ..base
        });
    }
    let (labels, value) = decisive(&samples, gate.op, gate.threshold);
    let holds = gate.op.holds(value, gate.threshold);
    let status = if holds { Status::Pass } else { Status::Fail };
    if !reasons {
        return Ok(Check {
            value: Some(value),
            labels: Some(labels),
            status,
            ..base
        });
    }
    let shown = format!(
        "{} {} {}",
        format_float_g(value),
        gate.op,
        format_float_g(gate.threshold)
    );
    let reason = match (holds, path, samples.len()) {
        (true, Path::Fallback, _) => {
            format!("{shown} holds (from the fallback: the expression was empty)")
        }
        (true, _, 1) => format!("{shown} holds"),
        (true, _, n) => format!("{shown} holds for all {n} series"),
        (false, _, 1) => format!("{shown} does not hold"),
        (false, _, n) => format!("{shown} does not hold for {labels} (of {n} series)"),
    };
    Ok(Check {
        value: Some(value),
        labels: Some(labels),
        status,
        reason,
        ..base
    })
}
