//! `promgate lint`: one bad file per pitfall under `tests/data/lint/bad` with a snapshot of
//! its findings, the bundled L4 example linting clean, and the output formats.

use std::path::{Path, PathBuf};

use promgate::explain::lint::{
    LINT_RULES, LintConfig, LintReport, LintSource, lint, lint_paths, render_checkstyle,
    render_text, sarif,
};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Lints a bad file with its `NAME.gates.yml` and `NAME.config.yml` beside it, if any. Files
/// are named by their file name so that snapshots do not depend on the checkout.
fn lint_case(path: &Path) -> LintReport {
    let sibling = |suffix: &str| {
        let stem = path.file_stem().unwrap().to_string_lossy();
        let p = path.with_file_name(format!("{stem}.{suffix}.yml"));
        p.exists().then_some(p)
    };
    let config = match sibling("config") {
        Some(p) => LintConfig::from_yaml("config.yml", &read(&p)).unwrap(),
        None => LintConfig::default(),
    };
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = read(path);
    let gates = sibling("gates").map(|p| {
        (
            p.file_name().unwrap().to_string_lossy().into_owned(),
            read(&p),
        )
    });
    lint(
        &[LintSource::new(&name, &text)],
        gates.as_ref().map(|(n, t)| LintSource::new(n, t)),
        &config,
    )
}

fn is_case(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name.ends_with(".yml") && !name.ends_with(".gates.yml") && !name.ends_with(".config.yml")
}

fn bad_cases() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(super::data("lint/bad"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| is_case(p))
        .collect();
    files.sort();
    files
}

/// The lint rule a bad file is about: `promql_rate_on_gauge.yml` → `promql/rate-on-gauge`.
fn rule_of(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let (group, name) = stem.split_once('_')?;
    Some(format!("{group}/{}", name.replace('_', "-")))
}

#[test]
fn each_bad_file_has_its_findings() {
    insta::glob!("../data/lint/bad", "*.yml", |path| {
        if !is_case(path) {
            return;
        }
        let report = lint_case(path);
        insta::assert_snapshot!(render_text(&report));
    });
}

#[test]
fn each_lint_rule_has_a_bad_file_that_finds_it() {
    let mut covered = Vec::new();
    for path in bad_cases() {
        let report = lint_case(&path);
        match rule_of(&path).filter(|id| LINT_RULES.iter().any(|r| r.id == id)) {
            Some(id) => {
                assert!(
                    report.findings.iter().any(|f| f.id == id),
                    "{}: no {id} finding in\n{}",
                    path.display(),
                    render_text(&report)
                );
                covered.push(id);
            }
            // Not named after a rule: a file whose findings comments disable.
            None => {
                assert!(report.findings.is_empty(), "{}", render_text(&report));
                assert!(report.suppressed > 0, "{}", path.display());
            }
        }
    }
    for rule in LINT_RULES {
        assert!(
            covered.iter().any(|c| c == rule.id),
            "no bad file for {}",
            rule.id
        );
    }
}

#[test]
fn testdata_l4_lints_clean_with_every_rule_on() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/l4");
    let mut config = LintConfig::default();
    config.enable("all").unwrap();
    let report = lint_paths(
        &[root.join("rules")],
        Some(&root.join("gates.yml")),
        &config,
    )
    .unwrap();
    assert_eq!(report.rules, 13);
    assert_eq!(report.gates, 9);
    assert!(report.findings.is_empty(), "{}", render_text(&report));
    // Without its gates the canary alert's input has no absence check, which the (opt-in)
    // heartbeat rule says; the default rules stay quiet.
    let alone = lint_paths(&[root.join("rules")], None, &config).unwrap();
    assert_eq!(alone.counts(), [("heartbeat/alert-input-unchecked", 1)]);
    let default = lint_paths(&[root.join("rules")], None, &LintConfig::default()).unwrap();
    assert!(default.findings.is_empty(), "{}", render_text(&default));
}

#[test]
fn configuration_turns_rules_off_and_changes_severities() {
    let path = super::data("lint/bad/promql_regexp_plain_string.yml");
    let text = read(&path);
    let source = [LintSource::new("r.yml", &text)];
    let config =
        LintConfig::from_yaml("c.yml", "severity: {promql/regexp-plain-string: error}\n").unwrap();
    let report = lint(&source, None, &config);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.severity.as_str() == "error")
    );
    let config = LintConfig::from_yaml("c.yml", "disable: [promql]\n").unwrap();
    assert!(lint(&source, None, &config).findings.is_empty());
    let err = LintConfig::from_yaml("c.yml", "severity: {promql: fatal}\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "c.yml: unknown severity \"fatal\", expected one of info, warning, error"
    );
}

#[test]
fn checkstyle_and_sarif_carry_every_finding() {
    let report = lint_case(&super::data("lint/bad/promql_impossible_comparison.yml"));
    insta::assert_snapshot!(render_checkstyle(&report));
    let log = serde_json::to_value(sarif(&report)).unwrap();
    // SARIF 2.1.0's required fields, and the places.
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "promgate");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), LINT_RULES.len());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for r in results {
        assert!(
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains(" can never ")
        );
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert_eq!(r["level"], "warning");
    }
    let region = &results[1]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(5), Some(15))
    );
}
