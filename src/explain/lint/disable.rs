//! Disabling lint rules in comments: `# promgate-lint file/disable ID`, `disable ID`,
//! `disable-next-line ID`, `disable-line ID` (see the module documentation of `lint`).

use super::{Loc, selects};

const MARKER: &str = "promgate-lint";

/// The disable comments of one file.
#[derive(Debug, Default)]
pub(super) struct Directives {
    /// Selectors disabled for the whole file.
    file: Vec<String>,
    /// Selectors disabled on a line (and for a rule or expression starting there).
    lines: Vec<(usize, Vec<String>)>,
    /// Selectors disabled for the rule starting at a line.
    rules: Vec<(usize, Vec<String>)>,
}

/// The command and selectors of a `# promgate-lint ...` comment on a line.
fn directive(line: &str) -> Option<(&str, Vec<String>)> {
    let hash = line.find('#')?;
    let rest = line[hash + 1..].trim_start();
    let rest = rest.strip_prefix(MARKER)?;
    let mut words = rest
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty());
    let command = words.next()?;
    let mut selectors: Vec<String> = words.map(str::to_string).collect();
    if selectors.is_empty() {
        selectors.push("all".into());
    }
    Some((command, selectors))
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

impl Directives {
    /// Reads the comments of `text`; `rules` are the first and last lines of its rules and
    /// gates, sorted.
    pub fn parse(text: &str, rules: &[(usize, usize)]) -> Directives {
        let lines: Vec<&str> = text.lines().collect();
        let mut out = Directives::default();
        for (i, line) in lines.iter().enumerate() {
            let Some((command, selectors)) = directive(line) else {
                continue;
            };
            let number = i + 1;
            match command {
                "file/disable" => out.file.extend(selectors),
                "disable-line" => out.lines.push((number, selectors)),
                "disable-next-line" => out.lines.push((number + 1, selectors)),
                "disable" => match owning_rule(&lines, number, rules) {
                    Some(start) => out.rules.push((start, selectors)),
                    None => out.file.extend(selectors),
                },
                // An unknown command disables nothing, so a typo shows as the finding it
                // meant to hide.
                _ => {}
            }
        }
        out
    }

    /// Whether a finding of rule `id` at `loc` is disabled.
    pub fn suppresses(&self, id: &str, loc: &Loc) -> bool {
        let any = |selectors: &[String]| selectors.iter().any(|s| selects(s, id));
        any(&self.file)
            || self.lines.iter().any(|(line, s)| {
                (*line == loc.line || *line == loc.owner_line || *line == loc.expr_line) && any(s)
            })
            || self
                .rules
                .iter()
                .any(|(start, s)| *start == loc.owner_line && any(s))
    }
}

/// The rule a `disable` comment on line `number` belongs to: the one it is inside, or the
/// one right below its comment block.
fn owning_rule(lines: &[&str], number: usize, rules: &[(usize, usize)]) -> Option<usize> {
    if let Some((start, _)) = rules
        .iter()
        .find(|(start, end)| *start <= number && number <= *end)
    {
        return Some(*start);
    }
    let mut next = number + 1;
    while next <= lines.len() && is_comment(lines[next - 1]) {
        next += 1;
    }
    rules
        .iter()
        .find(|(start, _)| *start == next)
        .map(|(start, _)| *start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(line: usize, owner_line: usize) -> Loc {
        Loc {
            file: "f".into(),
            line,
            column: 1,
            owner_line,
            expr_line: owner_line + 1,
            subject: None,
        }
    }

    #[test]
    fn directives_apply_to_files_rules_and_lines() {
        let text = "# promgate-lint disable promql/regexp-plain-string\ngroups:\n- name: g\n  rules:\n  # promgate-lint disable coalesce\n  - alert: A\n    expr: x\n  - alert: B # promgate-lint disable-line alerts\n    # promgate-lint disable-next-line rules/duplicate, promql\n    expr: y\n";
        let d = Directives::parse(text, &[(6, 7), (8, 10)]);
        assert!(d.suppresses("promql/regexp-plain-string", &loc(10, 8)));
        assert!(d.suppresses("coalesce/always-firing", &loc(7, 6)));
        assert!(!d.suppresses("coalesce/always-firing", &loc(10, 8)));
        assert!(d.suppresses("alerts/value-in-labels", &loc(12, 8)));
        assert!(d.suppresses("promql/impossible-comparison", &loc(10, 8)));
        assert!(!d.suppresses("heartbeat/gate-input-unchecked", &loc(7, 6)));
    }

    #[test]
    fn a_bare_directive_disables_everything_and_unknown_commands_nothing() {
        let d = Directives::parse("# promgate-lint file/disable\n", &[]);
        assert!(d.suppresses("rules/duplicate", &loc(3, 3)));
        let d = Directives::parse("# promgate-lint disabel rules/duplicate\n", &[]);
        assert!(!d.suppresses("rules/duplicate", &loc(3, 3)));
    }
}
