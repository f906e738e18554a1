//! The explanation engine: why a PromQL expression returned nothing (or less than expected)
//! at a time, as a tree that matches the expression's AST.
//!
//! Each node evaluates its sub-expression at the time the parent reads it, counts what it
//! produced and attaches findings: a selector that matched no series (with typo hints), series
//! without a sample in the lookback window, a range window the fixture does not cover, a binary
//! operation whose sides did not match, a comparison that filtered everything, an `or` or
//! `absent()` fallback that hid a missing input, a recorded series whose rule had not written it
//! yet. [`Explanation::reason`] condenses the tree to the one line the test runner prints under
//! `got: nil`; its `Display` is the indented tree `promgate query --explain` prints.
//!
//! ```
//! use promgate::explain::{ExplainOptions, explain};
//! use promgate::{Labels, Store, parse};
//! let mut store = Store::new();
//! store.append_float(Labels::from_pairs([("__name__", "http_requests_total")]), 0, 1.0).unwrap();
//! let expr = parse("sum(http_request_total)").unwrap();
//! let explanation = explain(&store, &expr, 0, &ExplainOptions::default());
//! assert_eq!(
//!     explanation.reason().unwrap(),
//!     "no series matches `http_request_total` (no input series and no rule writes it; similar names: http_requests_total)"
//! );
//! ```

mod binary;
mod findings;
mod render;
mod selector;

use serde::Serialize;

pub use findings::{ComparedPair, Finding, LabelHint, MatchSuggestion};

use crate::eval::{Engine, EngineOptions, Value};
use crate::model::Timestamp;
use crate::promql::{Expr, ExprKind};
use crate::rules::RuleGroup;
use crate::store::Store;

/// At most this many nodes are evaluated for one explanation (recorded rules' trees included);
/// deeper parts of larger expressions are left out.
pub const MAX_NODES: usize = 400;

/// How deep the engine follows recorded series into the rules that record them.
pub const MAX_RULE_DEPTH: usize = 5;

/// Settings of an explanation.
///
/// ```
/// use promgate::explain::ExplainOptions;
/// let o = ExplainOptions::default();
/// assert!(o.rules.is_empty());
/// assert_eq!(o.evaluation_interval, 60_000);
/// ```
#[derive(Debug, Clone)]
pub struct ExplainOptions<'a> {
    /// The engine settings the expression was evaluated with (lookback, semantics).
    pub engine: EngineOptions,
    /// Rule groups whose recording rules wrote into the store, in evaluation order: a selector
    /// of a recorded series is followed into its rule's expression.
    pub rules: &'a [RuleGroup],
    /// The interval of groups that set none (ms).
    pub evaluation_interval: i64,
}

impl Default for ExplainOptions<'_> {
    fn default() -> Self {
        ExplainOptions {
            engine: EngineOptions::default(),
            rules: &[],
            evaluation_interval: 60_000,
        }
    }
}

/// What a node's sub-expression produced at its time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeResult {
    /// An instant vector or a range vector: how many series (with at least one point).
    Series {
        /// The number of series.
        count: usize,
    },
    /// A scalar.
    Scalar {
        /// Its value, formatted as Prometheus does.
        value: String,
    },
    /// A string.
    String,
    /// The sub-expression failed to evaluate.
    Error {
        /// The engine's message.
        message: String,
    },
    /// Not evaluated: the node limit was reached.
    Skipped,
}

impl NodeResult {
    /// Is this an empty vector (or a failure, which gives nothing either)?
    ///
    /// ```
    /// use promgate::explain::NodeResult;
    /// assert!(NodeResult::Series { count: 0 }.is_empty());
    /// assert!(!NodeResult::String.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(
            self,
            NodeResult::Series { count: 0 } | NodeResult::Error { .. }
        )
    }
}

/// One node of an explanation: a sub-expression, what it produced and what was found there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExplainNode {
    /// The sub-expression, printed canonically.
    pub expr: String,
    /// Its byte span in the explained expression's text (for nodes of recorded rules: in the
    /// rule's expression).
    pub span: (u32, u32),
    /// The time it was evaluated at (ms), after `offset`.
    pub time: Timestamp,
    /// What it produced.
    pub result: NodeResult,
    /// What was found at this node.
    pub findings: Vec<Finding>,
    /// The nodes of its operands (parentheses are skipped), and for a selector of a recorded
    /// series, the root of its rule's explanation.
    pub children: Vec<ExplainNode>,
}

impl ExplainNode {
    /// The first finding on the path of empty nodes from here down that explains why this
    /// node is empty, as one line; `None` when the node is not empty or nothing explains it.
    pub fn reason(&self) -> Option<String> {
        if !self.result.is_empty() {
            return None;
        }
        self.cause()
    }

    /// The first cause on the path of empty nodes (or nodes with a cause, such as a range
    /// window the fixture does not cover) from here down.
    fn cause(&self) -> Option<String> {
        if !self.findings.iter().any(Finding::is_recorded) {
            for child in &self.children {
                let relevant =
                    child.result.is_empty() || child.findings.iter().any(Finding::is_cause);
                if relevant && let Some(why) = child.cause() {
                    return Some(why);
                }
            }
        }
        self.findings
            .iter()
            .find(|f| f.is_cause())
            .map(|f| f.message_with(self))
    }

    /// Calls `f` on this node and every descendant, parents first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a ExplainNode)) {
        f(self);
        for child in &self.children {
            child.walk(f);
        }
    }
}

/// Why an expression was empty (or what it produced) at a time, as a tree over its AST.
///
/// ```
/// use promgate::explain::{ExplainOptions, explain};
/// use promgate::{Store, parse};
/// let e = explain(&Store::new(), &parse("up == 1").unwrap(), 0, &ExplainOptions::default());
/// assert!(e.root.result.is_empty());
/// assert!(e.to_string().starts_with("up == 1  (0 series at 0s)\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// The explained expression's root node.
    pub root: ExplainNode,
}

impl Explanation {
    /// The one-line reason the expression was empty (what the test runner prints under
    /// `got: nil`); `None` when it was not empty or no finding explains it.
    pub fn reason(&self) -> Option<String> {
        self.root.reason()
    }

    /// Every finding in the tree with the node it belongs to, parents first.
    pub fn findings(&self) -> Vec<(&ExplainNode, &Finding)> {
        let mut out = Vec::new();
        self.root
            .walk(&mut |n| out.extend(n.findings.iter().map(|f| (n, f))));
        out
    }
}

/// Explains `expr` evaluated over `store` at `t`.
///
/// ```
/// use promgate::explain::{ExplainOptions, explain};
/// use promgate::{Labels, Store, parse};
/// let mut store = Store::new();
/// store.append_float(Labels::from_pairs([("__name__", "up"), ("job", "api")]), 0, 1.0).unwrap();
/// let e = explain(&store, &parse(r#"up{job="apu"}"#).unwrap(), 0, &ExplainOptions::default());
/// assert!(e.reason().unwrap().contains(r#"nearest values: "api""#));
/// ```
pub fn explain(
    store: &Store,
    expr: &Expr,
    t: Timestamp,
    options: &ExplainOptions<'_>,
) -> Explanation {
    let order = super::order::EvaluationOrder::new(
        options.rules,
        &super::order::OrderOptions {
            group_eval_order: None,
            evaluation_interval: options.evaluation_interval,
        },
    );
    let recorded = |name: &str| {
        options.rules.iter().find_map(|g| {
            g.rules
                .iter()
                .find(|r| !r.is_alert() && r.name == name)
                .map(|r| RecordedRule {
                    name: r.name.as_str(),
                    expr: &r.expr,
                    group: Some((
                        g.name.as_str(),
                        g.interval.unwrap_or(options.evaluation_interval),
                    )),
                    reads_later: order
                        .lagging
                        .iter()
                        .filter(|l| {
                            l.reader == r.name && l.reader_group == g.name && l.reader != l.writer
                        })
                        .map(|l| l.metric.clone())
                        .collect(),
                })
        })
    };
    explain_with(store, expr, t, &options.engine, &recorded)
}

/// A recording rule that writes a metric name.
#[derive(Clone)]
pub(crate) struct RecordedRule<'a> {
    pub name: &'a str,
    pub expr: &'a Expr,
    /// Its group's name and interval, when known.
    pub group: Option<(&'a str, i64)>,
    /// Series it reads that are recorded after it in the evaluation order.
    pub reads_later: Vec<String>,
}

/// Finds the recording rule of a metric name.
pub(crate) type RecordedLookup<'a> = &'a dyn Fn(&str) -> Option<RecordedRule<'a>>;

/// [`explain`] with a lookup of recording rules.
pub(crate) fn explain_with<'a>(
    store: &Store,
    expr: &Expr,
    t: Timestamp,
    engine: &EngineOptions,
    recorded: RecordedLookup<'a>,
) -> Explanation {
    let mut walker = Walker {
        store,
        engine: Engine::new(engine.clone()),
        recorded,
        nodes: 0,
    };
    Explanation {
        root: walker.node(expr, t, 0),
    }
}

pub(crate) struct Walker<'s, 'a> {
    pub store: &'s Store,
    pub engine: Engine,
    pub recorded: RecordedLookup<'a>,
    pub nodes: usize,
}

impl Walker<'_, '_> {
    fn evaluate(&self, expr: &Expr, t: Timestamp) -> (NodeResult, Option<Value>) {
        match self.engine.instant_query(self.store, expr, t) {
            Ok(r) => {
                let result = match &r.value {
                    Value::Scalar(f) => NodeResult::Scalar {
                        value: crate::model::format_float(*f),
                    },
                    Value::String(_) => NodeResult::String,
                    Value::Vector(v) => NodeResult::Series { count: v.len() },
                    Value::Matrix(m) => NodeResult::Series {
                        count: m
                            .iter()
                            .filter(|s| !s.floats.is_empty() || !s.histograms.is_empty())
                            .count(),
                    },
                };
                (result, Some(r.value))
            }
            Err(e) => (
                NodeResult::Error {
                    message: e.to_string(),
                },
                None,
            ),
        }
    }

    /// The explanation node of `expr` evaluated at `t`; `depth` counts recorded rules followed.
    pub(crate) fn node(&mut self, expr: &Expr, t: Timestamp, depth: usize) -> ExplainNode {
        let expr = expr.unparen();
        let mut node = ExplainNode {
            expr: expr.to_string(),
            span: (expr.span.start, expr.span.end),
            time: t,
            result: NodeResult::Skipped,
            findings: Vec::new(),
            children: Vec::new(),
        };
        if self.nodes >= MAX_NODES {
            return node;
        }
        self.nodes += 1;
        let (result, value) = self.evaluate(expr, t);
        node.result = result;
        let child_time = match &expr.kind {
            ExprKind::Subquery(sq) => {
                t - sq.offset.as_ref().and_then(|d| d.static_ms()).unwrap_or(0)
            }
            _ => t,
        };
        let mut child_values = Vec::new();
        for child in expr.children() {
            let child_node = self.node(child, child_time, depth);
            child_values.push(child_node);
        }
        node.children = child_values;
        match &expr.kind {
            ExprKind::VectorSelector(vs) => {
                selector::instant(self, &mut node, vs, expr, t, depth);
            }
            ExprKind::MatrixSelector(ms) => {
                if let Some(range) = ms.range.static_ms() {
                    selector::range(self, &mut node, &ms.selector, expr, t, range);
                }
            }
            ExprKind::Binary(b) => {
                binary::explain_binary(self, &mut node, b, value.as_ref(), t);
            }
            ExprKind::Call(c) => self.call(&mut node, c, expr, t),
            ExprKind::Aggregate(_) | ExprKind::Unary(_) | ExprKind::Subquery(_) => {}
            ExprKind::Number(_) | ExprKind::String(_) | ExprKind::Paren(_) => {}
        }
        if let NodeResult::Error { message } = &node.result {
            node.findings.push(Finding::EvalFailed {
                message: message.clone(),
            });
        }
        node
    }

    fn call(
        &mut self,
        node: &mut ExplainNode,
        call: &crate::promql::Call,
        expr: &Expr,
        t: Timestamp,
    ) {
        let name = call.func.name;
        match name {
            "absent" | "absent_over_time" => {
                let Some(arg) = node.children.first() else {
                    return;
                };
                if arg.result.is_empty() && !node.result.is_empty() {
                    node.findings.push(Finding::AbsentFired {
                        input: arg.expr.clone(),
                        hidden: arg.reason(),
                    });
                } else if node.result.is_empty()
                    && let NodeResult::Series { count } = arg.result
                {
                    node.findings.push(Finding::AbsentInputPresent {
                        input: arg.expr.clone(),
                        series: count,
                    });
                }
            }
            _ if is_rate_like(name) && node.result.is_empty() => {
                let Some(arg) = call.args.first() else {
                    return;
                };
                let ExprKind::MatrixSelector(ms) = &arg.unparen().kind else {
                    return;
                };
                let Ok(r) = self.engine.instant_query(self.store, arg, t) else {
                    return;
                };
                let Value::Matrix(series) = r.value else {
                    return;
                };
                let most = series
                    .iter()
                    .map(|s| s.floats.len() + s.histograms.len())
                    .max()
                    .unwrap_or(0);
                let covered = node.children.first().is_none_or(|c| {
                    !c.findings
                        .iter()
                        .any(|f| matches!(f, Finding::WindowNotCovered { .. }))
                });
                if most == 1 && covered {
                    node.findings.push(Finding::TooFewSamples {
                        function: name.to_string(),
                        window: arg.unparen().to_string(),
                        series: series.len(),
                        range: ms.range.static_ms().unwrap_or(0),
                    });
                }
            }
            _ => {}
        }
        let _ = expr;
        if node.result.is_empty()
            && node.findings.is_empty()
            && node
                .children
                .iter()
                .all(|c| !c.result.is_empty() && !c.findings.iter().any(Finding::is_cause))
            && let Some(series) = node.children.iter().find_map(|c| match c.result {
                NodeResult::Series { count } if count > 0 => Some(count),
                _ => None,
            })
        {
            node.findings.push(Finding::NothingFromInputs {
                function: name.to_string(),
                series,
            });
        }
    }
}

/// Functions that need two samples in their window.
fn is_rate_like(name: &str) -> bool {
    matches!(
        name,
        "rate" | "irate" | "increase" | "delta" | "idelta" | "deriv" | "predict_linear"
    )
}
