//! Output formats of a lint report: text, checkstyle XML and SARIF 2.1.0 (JSON is the
//! report's own `Serialize`).

use std::fmt::Write as _;

use serde::Serialize;

use super::{LINT_RULES, LintReport, Severity};

/// One line per finding, `file:line:col: severity [id] message`, then the fix indented.
///
/// ```
/// use promgate::explain::lint::{LintConfig, LintSource, lint, render_text};
/// let rules = "groups:\n- name: g\n  rules:\n  - record: r\n    expr: up{job=~\"api\"}\n";
/// let report = lint(&[LintSource::new("r.yml", rules)], None, &LintConfig::default());
/// assert_eq!(
///     render_text(&report),
///     "r.yml:5:14: info [promql/regexp-plain-string] job=~\"api\" is a regex matcher without regex syntax: it matches exactly \"api\"\n    fix: use job=\"api\"\n"
/// );
/// ```
pub fn render_text(report: &LintReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{}:{}:{}: {} [{}] {}",
            f.file, f.line, f.column, f.severity, f.id, f.message
        );
        if !f.fix.is_empty() {
            let _ = writeln!(out, "    fix: {}", f.fix);
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Checkstyle XML, as CI annotators (reviewdog, Jenkins) read it: one `<file>` per file
/// with findings, one `<error>` per finding with `source` = `promgate.<id>`.
///
/// ```
/// use promgate::explain::lint::{LintReport, render_checkstyle};
/// let xml = render_checkstyle(&LintReport::default());
/// assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">"));
/// ```
pub fn render_checkstyle(report: &LintReport) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    let mut current: Option<&str> = None;
    for f in &report.findings {
        if current != Some(f.file.as_str()) {
            if current.is_some() {
                out.push_str("  </file>\n");
            }
            let _ = writeln!(out, "  <file name=\"{}\">", xml_escape(&f.file));
            current = Some(&f.file);
        }
        let message = if f.fix.is_empty() {
            f.message.clone()
        } else {
            format!("{} (fix: {})", f.message, f.fix)
        };
        let _ = writeln!(
            out,
            "    <error line=\"{}\" column=\"{}\" severity=\"{}\" message=\"{}\" source=\"promgate.{}\"/>",
            f.line,
            f.column,
            f.severity,
            xml_escape(&message),
            xml_escape(f.id)
        );
    }
    if current.is_some() {
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}

/// A SARIF 2.1.0 log (serialize it with any serde JSON serializer).
#[derive(Debug, Clone, Serialize)]
pub struct Sarif {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<SarifRun>,
}

#[derive(Debug, Clone, Serialize)]
struct SarifRun {
    tool: SarifTool,
    results: Vec<SarifResult>,
}

#[derive(Debug, Clone, Serialize)]
struct SarifTool {
    driver: SarifDriver,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifDriver {
    name: &'static str,
    version: &'static str,
    rules: Vec<SarifRule>,
}

#[derive(Debug, Clone, Serialize)]
struct SarifText {
    text: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRule {
    id: &'static str,
    short_description: SarifText,
    full_description: SarifText,
    help: SarifText,
    default_configuration: SarifConfiguration,
}

#[derive(Debug, Clone, Serialize)]
struct SarifConfiguration {
    level: &'static str,
    enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: SarifText,
    locations: Vec<SarifLocation>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    physical_location: SarifPhysical,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifPhysical {
    artifact_location: SarifArtifact,
    region: SarifRegion,
}

#[derive(Debug, Clone, Serialize)]
struct SarifArtifact {
    uri: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: usize,
    start_column: usize,
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Info => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

/// Paths as SARIF URIs: relative, `/`-separated, spaces and `%` escaped.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::new();
    for c in path.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}

/// The report as a SARIF 2.1.0 log for code scanning (GitHub's upload-sarif): every lint
/// rule in `tool.driver.rules`, every finding a result with its rule, level and place.
///
/// ```
/// use promgate::explain::lint::{LintReport, sarif};
/// let log = sarif(&LintReport::default());
/// let json = serde_json::to_value(&log).unwrap();
/// assert_eq!(json["version"], "2.1.0");
/// assert_eq!(json["runs"][0]["tool"]["driver"]["name"], "promgate");
/// ```
pub fn sarif(report: &LintReport) -> Sarif {
    let rules = LINT_RULES
        .iter()
        .map(|r| SarifRule {
            id: r.id,
            short_description: SarifText {
                text: r.summary.to_string(),
            },
            full_description: SarifText {
                text: r.rationale.to_string(),
            },
            help: SarifText {
                text: format!("Fix: {}", r.fix),
            },
            default_configuration: SarifConfiguration {
                level: sarif_level(r.severity),
                enabled: r.enabled,
            },
        })
        .collect();
    let results = report
        .findings
        .iter()
        .map(|f| SarifResult {
            rule_id: f.id,
            rule_index: LINT_RULES.iter().position(|r| r.id == f.id).unwrap_or(0),
            level: sarif_level(f.severity),
            message: SarifText {
                text: if f.fix.is_empty() {
                    f.message.clone()
                } else {
                    format!("{}\nFix: {}", f.message, f.fix)
                },
            },
            locations: vec![SarifLocation {
                physical_location: SarifPhysical {
                    artifact_location: SarifArtifact { uri: uri(&f.file) },
                    region: SarifRegion {
                        start_line: f.line,
                        start_column: f.column,
                    },
                },
            }],
        })
        .collect();
    Sarif {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![SarifRun {
            tool: SarifTool {
                driver: SarifDriver {
                    name: "promgate",
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            results,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_and_uris_are_escaped() {
        assert_eq!(xml_escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(uri("./a b/c#1.yml"), "a%20b/c%231.yml");
    }
}
