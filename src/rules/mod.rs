//! Prometheus rule files: reading and validating them as `promtool check rules` does, and
//! running their groups over a store as Prometheus's rule manager does (recording rules
//! written back, the alert state machine, `ALERTS` and `ALERTS_FOR_STATE`).
//!
//! ```
//! use promgate::rules::{RuleFile, RuleLoadOptions};
//! let text = "groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n";
//! let file = RuleFile::parse("rules.yml", text, &RuleLoadOptions::default()).unwrap();
//! assert_eq!(file.groups[0].rules[0].name, "job:up:sum");
//!
//! let bad = "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: sum(\n";
//! let err = RuleFile::parse("rules.yml", bad, &RuleLoadOptions::default()).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "rules.yml: 5:15: group \"g\", rule 1, \"r\": could not parse expression: 1:5: parse error: unclosed left parenthesis"
//! );
//! ```

mod alert;
mod block;
mod check;
pub(crate) mod deps;
pub(crate) mod file;
mod group;

use std::fmt;
use std::sync::Arc;

pub use alert::{Alert, AlertState};
pub use deps::{Dependency, DependencyGraph, RuleRef};
pub use group::{GroupEvaluator, RestoreOptions, RuleEvalError, RuleEvalOptions};

use crate::Labels;
use crate::eval::Semantics;
use crate::promql::{Expr, ParseOptions};
use crate::syntax::Diagnostic;
use crate::template::AlertTemplate;
use crate::yaml::{Position, YamlError};

/// How to read rule files.
///
/// ```
/// use promgate::rules::RuleLoadOptions;
/// let o = RuleLoadOptions::default();
/// assert!(!o.ignore_unknown_fields);
/// ```
#[derive(Debug, Clone, Default)]
pub struct RuleLoadOptions {
    /// Prometheus 3 (default: UTF-8 names, group `labels` and `query_offset`) or 2.42 (legacy
    /// name rules, 2.42's message positions).
    pub semantics: Semantics,
    /// PromQL features to accept in expressions.
    pub parse: ParseOptions,
    /// Accept (and drop) keys the rule-file format does not know, as promtool's
    /// `--ignore-unknown-fields`.
    pub ignore_unknown_fields: bool,
}

/// A validated rule file.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// The path (or name) it was read from.
    pub path: String,
    /// Its groups, in file order.
    pub groups: Vec<RuleGroup>,
    /// Whether it was a Prometheus-operator `PrometheusRule` manifest.
    pub operator_manifest: bool,
    /// YAML documents after the first that a plain rule file had; Prometheus ignores them.
    pub ignored_documents: usize,
}

impl RuleFile {
    /// Decodes and validates a rule file's text. `path` names it in messages.
    ///
    /// ```
    /// use promgate::rules::{RuleFile, RuleLoadOptions};
    /// let f = RuleFile::parse("x.yml", "", &RuleLoadOptions::default()).unwrap();
    /// assert!(f.groups.is_empty());
    /// ```
    pub fn parse(
        path: &str,
        text: &str,
        options: &RuleLoadOptions,
    ) -> Result<RuleFile, RuleFileError> {
        check::load(path, text, options)
    }

    /// How many rules the file has, over all groups.
    ///
    /// ```
    /// use promgate::rules::{RuleFile, RuleLoadOptions};
    /// let f = RuleFile::parse("x.yml", "groups: [{name: g, rules: [{record: r, expr: '1'}]}]", &RuleLoadOptions::default()).unwrap();
    /// assert_eq!(f.rule_count(), 1);
    /// ```
    pub fn rule_count(&self) -> usize {
        self.groups.iter().map(|g| g.rules.len()).sum()
    }

    /// promtool's duplicate-rules lint: rules of this file with the same name and label set.
    /// Returns `None` when there are none.
    ///
    /// ```
    /// use promgate::rules::{RuleFile, RuleLoadOptions};
    /// let text = "groups: [{name: g, rules: [{record: r, expr: '1'}, {record: r, expr: '2'}]}]";
    /// let f = RuleFile::parse("x.yml", text, &RuleLoadOptions::default()).unwrap();
    /// let lint = f.duplicate_rules().unwrap();
    /// assert!(lint.to_string().starts_with("lint error 1 duplicate rule(s) found.\nMetric: r\n"));
    /// ```
    pub fn duplicate_rules(&self) -> Option<DuplicateRules> {
        let keys = check::duplicate_rules(self);
        (!keys.is_empty()).then_some(DuplicateRules { keys })
    }
}

/// Rules of one file with the same name and labels (promtool's `duplicate-rules` lint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRules {
    /// Each duplicated (name, labels) key once, sorted.
    pub keys: Vec<(String, Labels)>,
}

impl fmt::Display for DuplicateRules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lint error {} duplicate rule(s) found.", self.keys.len())?;
        for (name, labels) in &self.keys {
            write!(f, "\nMetric: {name}\nLabel(s):")?;
            for l in labels.iter() {
                write!(f, "\n\t{}: {}", l.name(), l.value())?;
            }
        }
        write!(f, "\nMight cause inconsistency while recording expressions")
    }
}

/// A group of rules, validated.
#[derive(Debug, Clone)]
pub struct RuleGroup {
    /// The group's name.
    pub name: String,
    /// The file it came from.
    pub file: String,
    /// Its evaluation interval in ms, if it set one.
    pub interval: Option<i64>,
    /// Its `query_offset` in ms, if it set one.
    pub query_offset: Option<i64>,
    /// Its series or alert limit (0 or negative: none).
    pub limit: i64,
    /// Its labels (Prometheus 3), already merged into each rule's.
    pub labels: Labels,
    /// The rules, in order.
    pub rules: Vec<Rule>,
}

/// One recording or alerting rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The record or alert name.
    pub name: String,
    /// The expression.
    pub expr: Expr,
    /// The expression as written.
    pub expr_text: String,
    /// The rule's labels with the group's labels merged under them. Alert label values are
    /// templates (see [`AlertingRule::label_templates`]).
    pub labels: Labels,
    /// Recording or alerting.
    pub kind: RuleKind,
    /// The line of the rule in its file.
    pub line: usize,
}

/// What a rule does with its result.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// Writes the result as a new series named after the rule.
    Recording,
    /// Turns each result sample into an alert.
    Alerting(AlertingRule),
}

/// The alert-specific parts of a rule.
#[derive(Debug, Clone)]
pub struct AlertingRule {
    /// `for`, in ms.
    pub hold: i64,
    /// `keep_firing_for`, in ms.
    pub keep_firing_for: i64,
    /// The labels as parsed templates.
    pub label_templates: Vec<(Arc<str>, Arc<AlertTemplate>)>,
    /// The annotations as parsed templates.
    pub annotations: Vec<(Arc<str>, Arc<AlertTemplate>)>,
}

impl Rule {
    /// Is this an alerting rule?
    ///
    /// ```
    /// use promgate::rules::{RuleFile, RuleLoadOptions};
    /// let f = RuleFile::parse("x.yml", "groups: [{name: g, rules: [{alert: A, expr: '1'}]}]", &RuleLoadOptions::default()).unwrap();
    /// assert!(f.groups[0].rules[0].is_alert());
    /// ```
    pub fn is_alert(&self) -> bool {
        matches!(self.kind, RuleKind::Alerting(_))
    }
}

/// Everything wrong with one rule file. Its `Display` is promtool's: one `<path>: <message>`
/// line per problem.
#[derive(Debug, Clone, thiserror::Error)]
pub struct RuleFileError {
    /// The file.
    pub path: String,
    /// The problems, in promtool's order.
    pub problems: Vec<RuleProblem>,
    text: Arc<str>,
}

impl fmt::Display for RuleFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}: {}", self.path, p.message)?;
        }
        Ok(())
    }
}

impl RuleFileError {
    /// Each problem with a caret under the place in the file where it has one (PromQL errors
    /// point inside the expression, also in `|` and `>` blocks).
    ///
    /// ```
    /// use promgate::rules::{RuleFile, RuleLoadOptions};
    /// let bad = "groups:\n- name: g\n  rules:\n  - record: r\n    expr: |\n      sum(x)\n        +\n";
    /// let err = RuleFile::parse("r.yml", bad, &RuleLoadOptions::default()).unwrap_err();
    /// let out = err.render();
    /// assert!(out.contains("r.yml:7:10: unexpected end of input"), "{out}");
    /// ```
    pub fn render(&self) -> String {
        let mut out = String::new();
        for p in &self.problems {
            out.push_str(&format!("{}: {}\n", self.path, p.message));
            if let Some(d) = &p.detail {
                out.push_str(&d.clone().with_origin(&self.path).render(&self.text));
            }
        }
        out
    }
}

/// One problem in a rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleProblem {
    /// promtool's message, without the file name (it starts with the node positions promtool
    /// prints, e.g. `4:17: group "g", rule 1, "A": ...`).
    pub message: String,
    /// The first position it names, if any.
    pub pos: Option<Position>,
    /// The group, for problems inside one.
    pub group: Option<String>,
    /// The 1-based rule index, for problems inside a rule.
    pub rule: Option<usize>,
    /// A diagnostic pointing into the file (PromQL errors).
    pub detail: Option<Diagnostic>,
}

impl RuleProblem {
    fn new(message: String) -> RuleProblem {
        RuleProblem {
            message,
            pos: None,
            group: None,
            rule: None,
            detail: None,
        }
    }

    fn at(message: String, pos: Position) -> RuleProblem {
        RuleProblem {
            pos: Some(pos),
            ..RuleProblem::new(message)
        }
    }

    fn decode(e: YamlError) -> RuleProblem {
        RuleProblem {
            pos: e.pos,
            ..RuleProblem::new(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests;
