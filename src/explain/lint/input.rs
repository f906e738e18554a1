//! The lint's input: rule files and a gates file, loaded and validated, with the positions of
//! every rule, gate and expression so that findings point into the files.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Hit, LintConfig, LintSource, Loc};
use crate::LineIndex;
use crate::decision::{Gate, GatePlan, GatesError};
use crate::promql::Expr;
use crate::rules::{Rule, RuleFile, RuleGroup, RuleKind};
use crate::syntax::Span;
use crate::yaml::{Position, Spanned};

/// Prometheus's default scrape interval.
const DEFAULT_SCRAPE_INTERVAL: i64 = 60_000;

/// A rule file that loaded, with the positions of its rules.
pub(super) struct RuleFileIn<'a> {
    source: LintSource<'a>,
    index: LineIndex,
    file: RuleFile,
    /// Per group, per rule: where the rule is and its `expr` node.
    places: Vec<Vec<RulePlace>>,
}

struct RulePlace {
    start: Position,
    end_line: usize,
    expr: Spanned<String>,
}

/// The gates file, loaded.
pub(super) struct GatesIn<'a> {
    source: LintSource<'a>,
    index: LineIndex,
    plan: GatePlan,
    places: Vec<GatePlace>,
}

struct GatePlace {
    start: Position,
    end_line: usize,
    expr: Spanned<String>,
    fallback: Option<Spanned<String>>,
}

/// Just the positions of a gates file's gates (the file has been validated already).
#[derive(Deserialize)]
struct PositionsOnly {
    gates: Vec<Spanned<GatePositions>>,
}

#[derive(Deserialize)]
struct GatePositions {
    expr: Spanned<String>,
    #[serde(default)]
    fallback: Option<Spanned<String>>,
}

/// Everything linted in one run.
pub(super) struct Loaded<'a> {
    pub config: &'a LintConfig,
    files: Vec<RuleFileIn<'a>>,
    gates: Option<GatesIn<'a>>,
    invalid: Vec<Hit>,
    all_sources: Vec<LintSource<'a>>,
}

/// What an expression belongs to.
#[derive(Clone, Copy)]
pub(super) enum Owner<'a> {
    /// A rule in a group.
    Rule {
        group: &'a RuleGroup,
        rule: &'a Rule,
    },
    /// A gate's expression (`fallback: false`) or its fallback expression.
    Gate { gate: &'a Gate, fallback: bool },
}

/// One expression to check, with what it belongs to and how to locate its nodes.
pub(super) struct Site<'a> {
    pub expr: &'a Expr,
    pub owner: Owner<'a>,
    src: &'a Spanned<String>,
    text: &'a str,
    index: &'a LineIndex,
    file: &'a str,
    owner_line: usize,
    owner_end: usize,
}

impl<'a> Site<'a> {
    /// The rule's or gate's name.
    pub fn subject(&self) -> &'a str {
        match self.owner {
            Owner::Rule { rule, .. } => &rule.name,
            Owner::Gate { gate, .. } => &gate.name,
        }
    }

    /// The alerting rule, if this is one's expression.
    pub fn alert(&self) -> Option<&'a Rule> {
        match self.owner {
            Owner::Rule { rule, .. } if rule.is_alert() => Some(rule),
            _ => None,
        }
    }

    /// The place of `span` (a span of the expression's text) in the file.
    pub fn loc(&self, span: Span) -> Loc {
        let offset = if self.src.pos.line == 0 {
            0
        } else {
            self.src.offset_in(self.text, span.start as usize)
        };
        let (line, column) = self.index.line_col(offset);
        Loc {
            file: self.file.to_string(),
            line,
            column,
            owner_line: self.owner_line,
            expr_line: self.src.pos.line,
            subject: Some(self.subject().to_string()),
        }
    }

    /// The expression's text as written (empty when it has no position).
    pub fn source_text(&self) -> &'a str {
        &self.src.value
    }

    /// A node's text on one line: as written, else printed.
    pub fn text_of(&self, node: &Expr) -> String {
        match node.span.slice(&self.src.value) {
            Some(text) if !text.is_empty() => text.split_whitespace().collect::<Vec<_>>().join(" "),
            _ => node.to_string(),
        }
    }

    /// The first line of the rule or gate that `matches`, as a place.
    pub fn find_line(&self, matches: impl Fn(&str) -> bool) -> Option<Loc> {
        let first = self.owner_line.max(1);
        let (line, text) = self
            .text
            .lines()
            .enumerate()
            .skip(first - 1)
            .take(self.owner_end.saturating_sub(first) + 1)
            .find(|(_, l)| matches(l))?;
        let column = text.len() - text.trim_start().len() + 1;
        Some(Loc {
            line: line + 1,
            column,
            ..self.loc_expr()
        })
    }

    /// The place of the whole expression.
    pub fn loc_expr(&self) -> Loc {
        self.loc(self.expr.span)
    }

    /// The scrape interval to assume here: the configured one, else the group's interval when
    /// shorter than the default, else the default.
    pub fn scrape_interval(&self, config: &LintConfig) -> i64 {
        if let Some(ms) = config.scrape_interval {
            return ms;
        }
        match self.owner {
            Owner::Rule { group, .. } => group
                .interval
                .filter(|&ms| ms > 0)
                .map_or(DEFAULT_SCRAPE_INTERVAL, |ms| {
                    ms.min(DEFAULT_SCRAPE_INTERVAL)
                }),
            Owner::Gate { .. } => DEFAULT_SCRAPE_INTERVAL,
        }
    }
}

/// Drops the `L:C: ` prefixes promtool puts in front of rule problems (the finding has its
/// own position).
fn strip_positions(message: &str) -> &str {
    let mut rest = message;
    loop {
        let Some((head, tail)) = rest.split_once(": ") else {
            return rest;
        };
        let is_pos = head
            .split_once(':')
            .is_some_and(|(l, c)| l.parse::<usize>().is_ok() && c.parse::<usize>().is_ok());
        if !is_pos {
            return rest;
        }
        rest = tail;
    }
}

fn invalid(file: &str, line: usize, column: usize, message: String) -> Hit {
    let loc = Loc {
        file: file.to_string(),
        line: line.max(1),
        column: column.max(1),
        owner_line: 0,
        expr_line: 0,
        subject: None,
    };
    Hit::new("rules/invalid-file", loc, message)
}

impl<'a> Loaded<'a> {
    pub fn new(
        rule_files: &[LintSource<'a>],
        gates: Option<LintSource<'a>>,
        config: &'a LintConfig,
    ) -> Loaded<'a> {
        let mut files = Vec::new();
        let mut invalid_hits = Vec::new();
        for source in rule_files {
            match RuleFile::parse(source.name, source.text, &config.load) {
                Ok(file) => files.push(RuleFileIn::new(*source, file)),
                Err(err) => {
                    for p in &err.problems {
                        let (line, column) = p.pos.map_or((1, 1), |p| (p.line, p.column));
                        let message =
                            format!("the file does not load: {}", strip_positions(&p.message));
                        invalid_hits.push(invalid(source.name, line, column, message));
                    }
                }
            }
        }
        let gates = gates.and_then(|source| match GatePlan::parse(source.name, source.text) {
            Ok(plan) => Some(GatesIn::new(source, plan)),
            Err(err) => {
                let (line, column, message) = match &err {
                    GatesError::Yaml { error, .. } => {
                        let pos = error.pos.unwrap_or_default();
                        (pos.line, pos.column, error.to_string())
                    }
                    GatesError::Expr {
                        line,
                        column,
                        message,
                        gate,
                        ..
                    } => (*line, *column, format!("gate {gate:?}: {message}")),
                    GatesError::Invalid {
                        line,
                        message,
                        gate,
                        ..
                    } => (*line, 1, format!("gate {gate:?}: {message}")),
                };
                let message = format!(
                    "the gates file does not load: {}",
                    strip_positions(&message)
                );
                invalid_hits.push(invalid(source.name, line, column, message));
                None
            }
        });
        let mut all_sources: Vec<LintSource<'a>> = rule_files.to_vec();
        all_sources.extend(gates.as_ref().map(|g| g.source));
        Loaded {
            config,
            files,
            gates,
            invalid: invalid_hits,
            all_sources,
        }
    }

    /// Findings for files that did not load.
    pub fn invalid_files(&self, hits: &mut Vec<Hit>) {
        hits.extend(self.invalid.iter().cloned());
    }

    /// Every file's name and text (also those that did not load).
    pub fn sources(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.all_sources.iter().map(|s| (s.name, s.text))
    }

    /// How many rules the loaded files have.
    pub fn rule_count(&self) -> usize {
        self.files.iter().map(|f| f.file.rule_count()).sum()
    }

    /// How many gates the gates file has.
    pub fn gate_count(&self) -> usize {
        self.gates.as_ref().map_or(0, |g| g.plan.gates.len())
    }

    /// The first and last line of every rule and gate of file `name`.
    pub fn rule_lines(&self, name: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = self
            .files
            .iter()
            .filter(|f| f.source.name == name)
            .flat_map(|f| f.places.iter().flatten())
            .map(|p| (p.start.line, p.end_line))
            .collect();
        if let Some(g) = self.gates.as_ref().filter(|g| g.source.name == name) {
            out.extend(g.places.iter().map(|p| (p.start.line, p.end_line)));
        }
        out.sort_unstable();
        out
    }

    /// Every rule's expression, in file and group order.
    pub fn rule_sites(&self) -> Vec<Site<'_>> {
        let mut out = Vec::new();
        for f in &self.files {
            for (group, places) in f.file.groups.iter().zip(&f.places) {
                for (rule, place) in group.rules.iter().zip(places) {
                    out.push(Site {
                        expr: &rule.expr,
                        owner: Owner::Rule { group, rule },
                        src: &place.expr,
                        text: f.source.text,
                        index: &f.index,
                        file: f.source.name,
                        owner_line: place.start.line,
                        owner_end: place.end_line,
                    });
                }
            }
        }
        out
    }

    /// Every gate's expression and fallback expression.
    pub fn gate_sites(&self) -> Vec<Site<'_>> {
        let mut out = Vec::new();
        let Some(g) = &self.gates else {
            return out;
        };
        for (gate, place) in g.plan.gates.iter().zip(&g.places) {
            let site = |expr, src, fallback| Site {
                expr,
                owner: Owner::Gate { gate, fallback },
                src,
                text: g.source.text,
                index: &g.index,
                file: g.source.name,
                owner_line: place.start.line,
                owner_end: place.end_line,
            };
            out.push(site(&gate.expr, &place.expr, false));
            if let (Some(expr), Some(src)) = (&gate.fallback, &place.fallback) {
                out.push(site(expr, src, true));
            }
        }
        out
    }

    /// Every expression: rules, then gates.
    pub fn sites(&self) -> Vec<Site<'_>> {
        let mut out = self.rule_sites();
        out.extend(self.gate_sites());
        out
    }

    /// The expressions of the recording rules of the whole set, by record name.
    pub fn recorded(&self) -> BTreeMap<&str, Vec<&Expr>> {
        let mut out: BTreeMap<&str, Vec<&Expr>> = BTreeMap::new();
        for f in &self.files {
            for rule in f.file.groups.iter().flat_map(|g| &g.rules) {
                if matches!(rule.kind, RuleKind::Recording) {
                    out.entry(rule.name.as_str()).or_default().push(&rule.expr);
                }
            }
        }
        out
    }
}

fn end_line(index: &LineIndex, text: &str, end: usize) -> usize {
    // A node's end is just past its last character; step back over the line break so a
    // rule ending at a newline does not claim the next line.
    let trimmed = text.get(..end).unwrap_or(text).trim_end();
    index.line_col(trimmed.len().saturating_sub(1)).0
}

impl<'a> RuleFileIn<'a> {
    fn new(source: LintSource<'a>, file: RuleFile) -> RuleFileIn<'a> {
        let index = LineIndex::new(source.text);
        // The file loaded, so it decodes again and its raw groups are the validated ones, in
        // order. Unknown fields are dropped: the file may have loaded with them ignored.
        let raw =
            crate::rules::file::decode(source.text, true, crate::eval::Semantics::Prometheus3)
                .map(|(raw, _, _)| raw)
                .unwrap_or_default();
        let places = raw
            .groups
            .iter()
            .map(|g| {
                g.value
                    .rules
                    .iter()
                    .map(|r| RulePlace {
                        start: r.pos,
                        end_line: end_line(&index, source.text, r.end),
                        expr: r.value.expr.clone().unwrap_or_default(),
                    })
                    .collect()
            })
            .collect();
        RuleFileIn {
            source,
            index,
            file,
            places,
        }
    }
}

impl<'a> GatesIn<'a> {
    fn new(source: LintSource<'a>, plan: GatePlan) -> GatesIn<'a> {
        let index = LineIndex::new(source.text);
        let raw: Option<PositionsOnly> = crate::yaml::from_str(source.text).ok();
        let places = raw
            .map(|raw| {
                raw.gates
                    .into_iter()
                    .map(|g| GatePlace {
                        start: g.pos,
                        end_line: end_line(&index, source.text, g.end),
                        expr: g.value.expr,
                        fallback: g.value.fallback,
                    })
                    .collect()
            })
            .unwrap_or_default();
        GatesIn {
            source,
            index,
            plan,
            places,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_stripped_from_problem_messages() {
        assert_eq!(
            strip_positions("5:15: 6:3: group \"g\", rule 1: x"),
            "group \"g\", rule 1: x"
        );
        assert_eq!(strip_positions("a: b"), "a: b");
    }
}
