//! The rule dependency graph: which rule reads which series another rule writes, within a
//! group and across groups. Explanations use it to tell "N/A because of evaluation order"
//! from "N/A because the data is missing".

use std::collections::BTreeSet;

use super::{RuleGroup, RuleKind};
use crate::promql::{Expr, ExprKind, VectorSelector};

/// A rule by position: group index (in evaluation order) and rule index within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuleRef {
    /// The group's index.
    pub group: usize,
    /// The rule's index in its group.
    pub rule: usize,
}

/// One edge: `reader` has a selector that can match series `writer` produces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dependency {
    /// The rule that reads.
    pub reader: RuleRef,
    /// The rule that writes.
    pub writer: RuleRef,
    /// The metric name read (the record name, or `ALERTS`/`ALERTS_FOR_STATE`).
    pub metric: String,
}

impl Dependency {
    /// Does the reader run before the writer at the same evaluation time, so that it sees the
    /// writer's previous result (one interval of lag, nothing at all on the first step)?
    ///
    /// ```
    /// use promgate::rules::{Dependency, RuleRef};
    /// let d = Dependency {
    ///     reader: RuleRef { group: 0, rule: 0 },
    ///     writer: RuleRef { group: 1, rule: 0 },
    ///     metric: "r".into(),
    /// };
    /// assert!(d.reads_previous_evaluation());
    /// ```
    pub fn reads_previous_evaluation(&self) -> bool {
        self.reader <= self.writer
    }
}

/// Which rules read the output of which, for groups in evaluation order.
///
/// ```
/// use promgate::rules::{DependencyGraph, RuleFile, RuleLoadOptions};
/// let text = "groups:\n- name: a\n  rules:\n  - record: b:x\n    expr: b:y * 2\n- name: b\n  rules:\n  - record: b:y\n    expr: up\n";
/// let file = RuleFile::parse("r.yml", text, &RuleLoadOptions::default()).unwrap();
/// let graph = DependencyGraph::new(&file.groups);
/// let edge = &graph.edges()[0];
/// assert_eq!(edge.metric, "b:y");
/// assert!(edge.reads_previous_evaluation());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DependencyGraph {
    edges: Vec<Dependency>,
}

impl DependencyGraph {
    /// Builds the graph of `groups` (in evaluation order).
    pub fn new(groups: &[RuleGroup]) -> DependencyGraph {
        let mut writers: Vec<(RuleRef, String)> = Vec::new();
        for (gi, g) in groups.iter().enumerate() {
            for (ri, r) in g.rules.iter().enumerate() {
                let at = RuleRef {
                    group: gi,
                    rule: ri,
                };
                match r.kind {
                    RuleKind::Recording => writers.push((at, r.name.clone())),
                    RuleKind::Alerting(_) => {
                        writers.push((at, "ALERTS".into()));
                        writers.push((at, "ALERTS_FOR_STATE".into()));
                    }
                }
            }
        }
        let mut edges = BTreeSet::new();
        for (gi, g) in groups.iter().enumerate() {
            for (ri, r) in g.rules.iter().enumerate() {
                let reader = RuleRef {
                    group: gi,
                    rule: ri,
                };
                for selector in selectors(&r.expr) {
                    for (writer, metric) in &writers {
                        let alert_series = metric == "ALERTS" || metric == "ALERTS_FOR_STATE";
                        // An alert's series carry `alertname`: a selector that asks for
                        // another alert's series does not read this one.
                        let name_ok = !alert_series
                            || selector.matchers.iter().all(|m| {
                                m.name != "alertname"
                                    || m.matches(&groups[writer.group].rules[writer.rule].name)
                            });
                        if name_ok && may_match_name(selector, metric) {
                            edges.insert(Dependency {
                                reader,
                                writer: *writer,
                                metric: metric.clone(),
                            });
                        }
                    }
                }
            }
        }
        DependencyGraph {
            edges: edges.into_iter().collect(),
        }
    }

    /// Every edge, sorted by reader, then writer.
    pub fn edges(&self) -> &[Dependency] {
        &self.edges
    }

    /// The edges where a rule reads a series written later in the evaluation order (by a
    /// later rule of its group, or by a later group), so it sees last interval's value.
    pub fn lagging(&self) -> impl Iterator<Item = &Dependency> {
        self.edges.iter().filter(|d| d.reads_previous_evaluation())
    }

    /// Do groups `a` and `b` read each other's output (in either direction)?
    pub fn groups_interact(&self, a: usize, b: usize) -> bool {
        a != b
            && self.edges.iter().any(|d| {
                (d.reader.group == a && d.writer.group == b)
                    || (d.reader.group == b && d.writer.group == a)
            })
    }
}

/// Every vector selector of an expression (including those inside range selectors).
pub(crate) fn selectors(expr: &Expr) -> Vec<&VectorSelector> {
    let mut out = Vec::new();
    expr.walk(&mut |e| match &e.kind {
        ExprKind::VectorSelector(vs) => out.push(vs),
        ExprKind::MatrixSelector(ms) => out.push(&ms.selector),
        _ => {}
    });
    out
}

/// Can `selector` select a series named `metric`? (Only the name is known statically.)
fn may_match_name(selector: &VectorSelector, metric: &str) -> bool {
    selector
        .matchers
        .iter()
        .filter(|m| m.name == "__name__")
        .all(|m| m.matches(metric))
        && selector.matchers.iter().any(|m| m.name == "__name__")
}
