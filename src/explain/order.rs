//! Evaluation order between rules: reads of series that a later rule (of the same group or of
//! a later group) records, which see the previous evaluation's value (one interval late, and
//! nothing at the first evaluation), and pairs of groups that read each other while
//! `group_eval_order` leaves their order open (promtool 2.42 then runs them in random order,
//! so test results can flip between runs).
//!
//! ```
//! use promgate::explain::{EvaluationOrder, OrderOptions};
//! use promgate::rules::{RuleFile, RuleLoadOptions};
//! let text = "groups:\n- name: first\n  rules: [{record: r2, expr: r1 * 10}]\n- name: second\n  rules: [{record: r1, expr: vector(3)}]\n";
//! let file = RuleFile::parse("r.yml", text, &RuleLoadOptions::default()).unwrap();
//! let order = EvaluationOrder::new(&file.groups, &OrderOptions::default());
//! assert_eq!(order.lagging.len(), 1);
//! assert_eq!(order.open.len(), 1);
//! assert!(order.open[0].to_string().contains("random order"));
//! ```

use std::fmt;

use serde::Serialize;

use crate::rules::{DependencyGraph, RuleGroup};
use crate::syntax::lex::format_duration;

/// Settings of the evaluation-order analysis. The default is a unit test without
/// `group_eval_order`.
///
/// ```
/// use promgate::explain::OrderOptions;
/// assert_eq!(OrderOptions::default().group_eval_order, Some(vec![]));
/// ```
#[derive(Debug, Clone)]
pub struct OrderOptions {
    /// The test file's `group_eval_order`, when the groups run in a unit test: groups at the
    /// same position (unlisted groups take position 0) run in random order under promtool.
    /// `None` means the order given is fixed (a rule manager runs groups concurrently, each
    /// on its own schedule: the analysis then reports lagging reads only).
    pub group_eval_order: Option<Vec<String>>,
    /// The interval of groups that set none (ms).
    pub evaluation_interval: i64,
}

impl Default for OrderOptions {
    fn default() -> Self {
        OrderOptions {
            group_eval_order: Some(Vec::new()),
            evaluation_interval: 60_000,
        }
    }
}

/// A rule that reads a series recorded by a rule that runs after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LaggingRead {
    /// The reading rule's group.
    pub reader_group: String,
    /// The reading rule.
    pub reader: String,
    /// The writing rule's group.
    pub writer_group: String,
    /// The writing rule (for alerts: the alert, writing `ALERTS`/`ALERTS_FOR_STATE`).
    pub writer: String,
    /// The series read.
    pub metric: String,
    /// How late the value read is: the writer group's interval (ms). The reader has nothing
    /// from it for this long after the first evaluation.
    pub lag: i64,
}

impl fmt::Display for LaggingRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reader_group == self.writer_group && self.reader == self.writer {
            return write!(
                f,
                "rule {} (group {}) reads its own output {}: it sees the previous evaluation's value ({} late) and nothing at the first evaluation",
                self.reader,
                self.reader_group,
                self.metric,
                format_duration(self.lag)
            );
        }
        let place = match self.reader_group == self.writer_group {
            true => "later in the same group".to_string(),
            false => format!("in group {}, which runs after it", self.writer_group),
        };
        write!(
            f,
            "rule {} (group {}) reads {} written by rule {} {place}: it sees the previous evaluation's value ({} late) and nothing for the first {} after the start",
            self.reader,
            self.reader_group,
            self.metric,
            self.writer,
            format_duration(self.lag),
            format_duration(self.lag)
        )
    }
}

/// Two groups, one of which reads the other's series, while their relative order is left open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenOrder {
    /// The first group (in the order promgate runs them).
    pub first: String,
    /// The second group.
    pub second: String,
    /// The reads between them: (reading rule, series, writing rule).
    pub reads: Vec<(String, String, String)>,
}

impl fmt::Display for OpenOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reads: Vec<String> = self
            .reads
            .iter()
            .map(|(reader, metric, writer)| format!("{reader} reads {metric} from {writer}"))
            .collect();
        write!(
            f,
            "one of groups {:?} and {:?} reads the other's series ({}) and group_eval_order leaves their order open: promtool 2.42 runs them in random order, so results can differ between runs (list both in group_eval_order)",
            self.first,
            self.second,
            reads.join(", ")
        )
    }
}

/// The evaluation-order analysis of rule groups (in the order they run).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EvaluationOrder {
    /// Reads of series recorded later in the order, sorted by reader.
    pub lagging: Vec<LaggingRead>,
    /// Pairs of groups whose order is open and matters.
    pub open: Vec<OpenOrder>,
}

impl EvaluationOrder {
    /// Analyses `groups` (in the order they run).
    pub fn new(groups: &[RuleGroup], options: &OrderOptions) -> EvaluationOrder {
        let graph = DependencyGraph::new(groups);
        let interval = |g: &RuleGroup| {
            g.interval
                .filter(|i| *i > 0)
                .unwrap_or(options.evaluation_interval)
        };
        let lagging = graph
            .lagging()
            .map(|d| {
                let reader = &groups[d.reader.group];
                let writer = &groups[d.writer.group];
                LaggingRead {
                    reader_group: reader.name.clone(),
                    reader: reader.rules[d.reader.rule].name.clone(),
                    writer_group: writer.name.clone(),
                    writer: writer.rules[d.writer.rule].name.clone(),
                    metric: d.metric.clone(),
                    lag: interval(writer),
                }
            })
            .collect();
        let mut open = Vec::new();
        if let Some(order) = &options.group_eval_order {
            let position = |g: &RuleGroup| order.iter().position(|n| *n == g.name).unwrap_or(0);
            for a in 0..groups.len() {
                for b in a + 1..groups.len() {
                    if position(&groups[a]) != position(&groups[b]) || !graph.groups_interact(a, b)
                    {
                        continue;
                    }
                    let mut reads: Vec<(String, String, String)> = graph
                        .edges()
                        .iter()
                        .filter(|d| {
                            (d.reader.group == a && d.writer.group == b)
                                || (d.reader.group == b && d.writer.group == a)
                        })
                        .map(|d| {
                            (
                                groups[d.reader.group].rules[d.reader.rule].name.clone(),
                                d.metric.clone(),
                                groups[d.writer.group].rules[d.writer.rule].name.clone(),
                            )
                        })
                        .collect();
                    reads.dedup();
                    open.push(OpenOrder {
                        first: groups[a].name.clone(),
                        second: groups[b].name.clone(),
                        reads,
                    });
                }
            }
        }
        EvaluationOrder { lagging, open }
    }

    /// The lagging reads of series named `metric` (to tell a value missing because of
    /// evaluation order from one missing because of data).
    ///
    /// ```
    /// use promgate::explain::{EvaluationOrder, OrderOptions};
    /// use promgate::rules::{RuleFile, RuleLoadOptions};
    /// let text = "groups:\n- name: g\n  rules: [{record: b, expr: a}, {record: a, expr: vector(1)}]\n";
    /// let file = RuleFile::parse("r.yml", text, &RuleLoadOptions::default()).unwrap();
    /// let order = EvaluationOrder::new(&file.groups, &OrderOptions::default());
    /// assert_eq!(order.lagging_reads_of("a").count(), 1);
    /// assert_eq!(order.lagging_reads_of("b").count(), 0);
    /// ```
    pub fn lagging_reads_of<'a>(
        &'a self,
        metric: &'a str,
    ) -> impl Iterator<Item = &'a LaggingRead> {
        self.lagging.iter().filter(move |l| l.metric == metric)
    }

    /// The warnings `test rules` prints: one per pair of groups whose order is open.
    pub fn warnings(&self) -> Vec<String> {
        self.open.iter().map(ToString::to_string).collect()
    }
}
