//! Validation: what `promtool check rules` reports, in its order and wording, and the
//! validated model the evaluator runs.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::file::{self, Layout, RawGroup, RawRule};
use super::{
    AlertingRule, Rule, RuleFile, RuleFileError, RuleGroup, RuleKind, RuleLoadOptions, RuleProblem,
};
use crate::eval::Semantics;
use crate::promql::parse_with;
use crate::syntax::lex::{is_legacy_label_name, is_legacy_metric_name, parse_duration};
use crate::syntax::{Diagnostic, Span};
use crate::template::{AlertTemplate, TemplateDialect};
use crate::yaml::{Position, Spanned};
use crate::{Labels, LabelsBuilder};

/// Reads, decodes and validates a rule file.
pub(crate) fn load(
    path: &str,
    text: &str,
    options: &RuleLoadOptions,
) -> Result<RuleFile, RuleFileError> {
    let fail = |problems| RuleFileError {
        path: path.to_string(),
        problems,
        text: Arc::from(text),
    };
    let (raw, layout, ignored_documents) =
        match file::decode(text, options.ignore_unknown_fields, options.semantics) {
            Ok(decoded) => decoded,
            Err(errors) => return Err(fail(errors.into_iter().map(RuleProblem::decode).collect())),
        };
    let mut problems = Vec::new();
    let mut groups = Vec::new();
    let mut seen_names: BTreeMap<&str, ()> = BTreeMap::new();
    // Durations abort decoding in Prometheus (they are decoded with the YAML), so they are
    // checked first, for the whole file.
    for group in &raw.groups {
        let durations = group
            .value
            .rules
            .iter()
            .flat_map(|r| [&r.value.for_, &r.value.keep_firing_for])
            .chain([&group.value.interval, &group.value.query_offset]);
        for d in durations.flatten() {
            if let Err(e) = parse_duration(&d.value) {
                let message = match options.semantics {
                    Semantics::Prometheus2 => e.legacy_message(),
                    Semantics::Prometheus3 => e.to_string(),
                };
                return Err(fail(vec![RuleProblem::at(message, d.pos)]));
            }
        }
    }
    for group in &raw.groups {
        let g = &group.value;
        if g.name.value.is_empty() {
            problems.push(RuleProblem::at(
                format!("{}Groupname must not be empty", pos_prefix(&[group.pos])),
                group.pos,
            ));
        } else if seen_names.insert(&g.name.value, ()).is_some() {
            problems.push(RuleProblem::at(
                format!(
                    "{}groupname: {:?} is repeated in the same file",
                    pos_prefix(&[group.pos]),
                    g.name.value
                ),
                group.pos,
            ));
        }
        let group_labels = check_group_labels(g, &mut problems);
        let before = problems.len();
        let rules: Vec<Rule> = g
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, rule)| {
                check_rule(
                    text,
                    &g.name.value,
                    i + 1,
                    rule,
                    &group_labels,
                    options,
                    &mut problems,
                )
            })
            .collect();
        if problems.len() == before {
            groups.push(RuleGroup {
                name: g.name.value.clone(),
                file: path.to_string(),
                interval: g
                    .interval
                    .as_ref()
                    .map(|d| parse_duration(&d.value).unwrap_or(0)),
                query_offset: g
                    .query_offset
                    .as_ref()
                    .map(|d| parse_duration(&d.value).unwrap_or(0)),
                limit: g.limit.unwrap_or(0),
                labels: group_labels,
                rules,
            });
        }
    }
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    Ok(RuleFile {
        path: path.to_string(),
        groups,
        operator_manifest: layout == Layout::Operator,
        ignored_documents,
    })
}

/// `L:C: ` for each node (`0:0: ` for a missing one), as promtool prefixes rule errors.
fn pos_prefix(nodes: &[Position]) -> String {
    nodes
        .iter()
        .map(|p| format!("{}:{}: ", p.line, p.column))
        .collect()
}

fn pos_of(node: &Option<Spanned<String>>) -> Position {
    node.as_ref().map(|n| n.pos).unwrap_or_default()
}

fn check_group_labels(g: &RawGroup, problems: &mut Vec<RuleProblem>) -> Labels {
    let Some(labels) = &g.labels else {
        return Labels::empty();
    };
    for name in labels.keys() {
        if name.is_empty() || name == "__name__" {
            problems.push(RuleProblem::new(format!("invalid label name: {name}")));
        }
    }
    Labels::from_pairs(labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

fn label_name_ok(name: &str, semantics: Semantics) -> bool {
    name != "__name__"
        && match semantics {
            Semantics::Prometheus2 => is_legacy_label_name(name),
            Semantics::Prometheus3 => !name.is_empty(),
        }
}

fn is_set(node: &Option<Spanned<String>>) -> bool {
    node.as_ref().is_some_and(|n| !n.value.is_empty())
}

#[allow(clippy::too_many_arguments)]
fn check_rule(
    text: &str,
    group: &str,
    index: usize,
    rule: &Spanned<RawRule>,
    group_labels: &Labels,
    options: &RuleLoadOptions,
    problems: &mut Vec<RuleProblem>,
) -> Option<Rule> {
    let r = &rule.value;
    let semantics = options.semantics;
    let name = if is_set(&r.alert) {
        r.alert.as_ref().map_or("", |a| a.value.as_str())
    } else {
        r.record.as_ref().map_or("", |a| a.value.as_str())
    };
    let before = problems.len();
    let mut push = |positions: &[Position], message: String, detail: Option<Diagnostic>| {
        problems.push(RuleProblem {
            message: format!(
                "{}group {group:?}, rule {index}, {name:?}: {message}",
                pos_prefix(positions)
            ),
            pos: positions.first().copied(),
            group: Some(group.to_string()),
            rule: Some(index),
            detail,
        });
    };
    let (record_pos, alert_pos, expr_pos) = (pos_of(&r.record), pos_of(&r.alert), pos_of(&r.expr));
    match (is_set(&r.record), is_set(&r.alert)) {
        (true, true) => push(
            &[record_pos, alert_pos],
            "only one of 'record' and 'alert' must be set".into(),
            None,
        ),
        (false, false) => {
            let positions: &[Position] = match semantics {
                Semantics::Prometheus2 => &[record_pos],
                Semantics::Prometheus3 => &[record_pos, alert_pos],
            };
            push(
                positions,
                "one of 'record' or 'alert' must be set".into(),
                None,
            )
        }
        _ => {}
    }
    let expr = match &r.expr {
        Some(e) if !e.value.is_empty() => match parse_with(&e.value, &options.parse) {
            // Prometheus evaluates a rule from its expression printed back (`expr.String()`),
            // which sorts label matchers; `absent()` builds its labels in that order.
            Ok(mut expr) => {
                sort_matchers_as_printed(&mut expr);
                Some(expr)
            }
            Err(err) => {
                // An error at the end of input points just after the last character written,
                // not at the line after a block scalar's final newline.
                let last = e.value.trim_end().len();
                let start = e.offset_in(text, (err.span.start as usize).min(last));
                let end = e
                    .offset_in(text, (err.span.end as usize).min(last))
                    .max(start);
                let detail = Diagnostic::new(err.kind.to_string(), Span::new(start, end));
                push(
                    &[e.pos],
                    format!(
                        "could not parse expression: {}",
                        err.prometheus_message_in(match semantics {
                            Semantics::Prometheus2 => crate::model::RegexDialect::Prometheus2,
                            Semantics::Prometheus3 => crate::model::RegexDialect::Prometheus3,
                        })
                    ),
                    Some(detail),
                );
                None
            }
        },
        _ => {
            push(&[expr_pos], "field 'expr' must be set in rule".into(), None);
            None
        }
    };
    let duration = |d: &Option<Spanned<String>>| {
        d.as_ref()
            .map_or(0, |d| parse_duration(&d.value).unwrap_or(0))
    };
    let (hold, keep_firing_for) = (duration(&r.for_), duration(&r.keep_firing_for));
    if is_set(&r.record) {
        let record = r.record.as_ref().map_or("", |n| n.value.as_str());
        if !r.annotations.is_empty() {
            push(
                &[record_pos],
                "invalid field 'annotations' in recording rule".into(),
                None,
            );
        }
        if hold != 0 {
            push(
                &[record_pos],
                "invalid field 'for' in recording rule".into(),
                None,
            );
        }
        if keep_firing_for != 0 {
            push(
                &[record_pos],
                "invalid field 'keep_firing_for' in recording rule".into(),
                None,
            );
        }
        let valid = match semantics {
            Semantics::Prometheus2 => is_legacy_metric_name(record),
            Semantics::Prometheus3 => !record.is_empty(),
        };
        if !valid {
            push(
                &[record_pos],
                format!("invalid recording rule name: {record}"),
                None,
            );
        }
        if semantics == Semantics::Prometheus3 && (record.contains('{') || record.contains('}')) {
            push(
                &[record_pos],
                format!(
                    "braces present in the recording rule name; should it be in expr?: {record}"
                ),
                None,
            );
        }
    }
    for k in r.labels.keys() {
        if !label_name_ok(k, semantics) {
            push(&[], format!("invalid label name: {k}"), None);
        }
    }
    for k in r.annotations.keys() {
        let valid = match semantics {
            Semantics::Prometheus2 => is_legacy_label_name(k),
            Semantics::Prometheus3 => !k.is_empty(),
        };
        if !valid {
            push(&[], format!("invalid annotation name: {k}"), None);
        }
    }
    let dialect = match semantics {
        Semantics::Prometheus2 => TemplateDialect::Prometheus2,
        Semantics::Prometheus3 => TemplateDialect::Prometheus3,
    };
    // Group labels go under the rule's own (Prometheus 3 merges them when it loads a group).
    let mut merged = LabelsBuilder::new(group_labels.clone());
    for (k, v) in &r.labels {
        merged.set_mut(k.as_str(), v.as_str());
    }
    let labels = merged.build();
    let kind = if is_set(&r.alert) {
        let mut templates = |what: &str, map: &mut dyn Iterator<Item = (&str, &str)>| {
            let mut out = Vec::new();
            for (k, v) in map {
                match AlertTemplate::parse(name, v, dialect) {
                    Ok(t) => out.push((Arc::<str>::from(k), Arc::new(t))),
                    Err(e) => push(&[], format!("{what} {k:?}: {e}"), None),
                }
            }
            out
        };
        let label_templates = templates("label", &mut labels.iter().map(|l| (l.name(), l.value())));
        let annotations = templates(
            "annotation",
            &mut r.annotations.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        RuleKind::Alerting(AlertingRule {
            hold,
            keep_firing_for,
            label_templates,
            annotations,
        })
    } else {
        RuleKind::Recording
    };
    if problems.len() != before {
        return None;
    }
    let expr_text = r.expr.as_ref().map(|e| e.value.clone()).unwrap_or_default();
    Some(Rule {
        name: name.to_string(),
        expr: expr?,
        expr_text,
        labels,
        kind,
        line: rule.pos.line,
    })
}

/// Orders every selector's matchers as Prometheus's `VectorSelector.String()` prints them
/// (sorted as strings, the metric name matcher kept last as our parser puts it).
fn sort_matchers_as_printed(expr: &mut crate::promql::Expr) {
    use crate::promql::ExprKind;
    let sort = |vs: &mut crate::promql::VectorSelector| {
        let name_last =
            vs.name.is_some() && vs.matchers.last().is_some_and(|m| m.name == "__name__");
        let end = vs.matchers.len() - usize::from(name_last);
        vs.matchers[..end].sort_by_cached_key(|m| m.to_string());
    };
    match &mut expr.kind {
        ExprKind::VectorSelector(vs) => sort(vs),
        ExprKind::MatrixSelector(ms) => sort(&mut ms.selector),
        ExprKind::Subquery(s) => sort_matchers_as_printed(&mut s.expr),
        ExprKind::Paren(inner) => sort_matchers_as_printed(inner),
        ExprKind::Unary(u) => sort_matchers_as_printed(&mut u.expr),
        ExprKind::Binary(b) => {
            sort_matchers_as_printed(&mut b.lhs);
            sort_matchers_as_printed(&mut b.rhs);
        }
        ExprKind::Aggregate(a) => {
            sort_matchers_as_printed(&mut a.expr);
            if let Some(p) = &mut a.param {
                sort_matchers_as_printed(p);
            }
        }
        ExprKind::Call(c) => c.args.iter_mut().for_each(sort_matchers_as_printed),
        ExprKind::Number(_) | ExprKind::String(_) => {}
    }
}

/// promtool's duplicate-rules lint for one file: the keys (name and label set) that appear
/// more than once, sorted. The labels are the rule's with its group's merged under them
/// (Prometheus 3); 2.42 had no group labels, so its key is the same.
pub(crate) fn duplicate_rules(file: &RuleFile) -> Vec<(String, Labels)> {
    let mut counts: BTreeMap<(String, Labels), usize> = BTreeMap::new();
    for rule in file.groups.iter().flat_map(|g| &g.rules) {
        *counts
            .entry((rule.name.clone(), rule.labels.clone()))
            .or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k)
        .collect()
}
