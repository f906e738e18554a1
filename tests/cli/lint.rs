//! `promgate lint`, run as the real binary: exit codes, formats, `--list` and `--explain`.

use super::{promgate, stderr, stdout};

const BAD: &str = "tests/data/lint/bad/promql_impossible_comparison.yml";

#[test]
fn l4_lints_clean_with_its_gates() {
    let out = promgate(&[
        "lint",
        "testdata/l4/rules",
        "--gates",
        "testdata/l4/gates.yml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        "0 findings (0 errors, 0 warnings, 0 info) in 5 files, 13 rules, 9 gates\n"
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let out = promgate(&["lint", BAD]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with(
        "tests/data/lint/bad/promql_impossible_comparison.yml:5:15: warning [promql/impossible-comparison] "
    ));
    assert_eq!(
        promgate(&["lint", "--fail-on", "error", BAD]).status.code(),
        Some(0)
    );
    assert_eq!(
        promgate(&["lint", "--fail-on", "never", BAD]).status.code(),
        Some(0)
    );
    let raised = promgate(&[
        "lint",
        "--severity",
        "promql/impossible-comparison=error",
        "--fail-on",
        "error",
        BAD,
    ]);
    assert_eq!(raised.status.code(), Some(1));
    let off = promgate(&["lint", "--disable", "promql", BAD]);
    assert_eq!(off.status.code(), Some(0), "{}", stdout(&off));
}

#[test]
fn usage_errors_exit_with_2() {
    let out = promgate(&["lint", "--disable", "promql/typo", BAD]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: unknown lint rule \"promql/typo\" (see `promgate lint --list`)\n"
    );
    let out = promgate(&["lint", "no/such/file.yml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("error: no/such/file.yml: "),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        promgate(&["lint", "--format", "yaml", BAD]).status.code(),
        Some(2)
    );
    assert_eq!(promgate(&["lint"]).status.code(), Some(2));
}

#[test]
fn json_and_sarif_are_valid_json() {
    let out = promgate(&["lint", "--format", "json", BAD]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 3);
    assert_eq!(report["findings"][0]["id"], "promql/impossible-comparison");
    assert_eq!(report["findings"][0]["severity"], "warning");
    let out = promgate(&["lint", "--format", "sarif", BAD]);
    let log: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        BAD
    );
    let out = promgate(&["lint", "--format", "checkstyle", BAD]);
    assert!(stdout(&out).contains("source=\"promgate.promql/impossible-comparison\""));
}

#[test]
fn list_and_explain_document_the_rules() {
    let out = promgate(&["lint", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let list = stdout(&out);
    assert!(list.contains("coalesce/unlabelled-fallback"), "{list}");
    assert!(list.contains("(off by default)"), "{list}");
    let out = promgate(&["lint", "--explain", "coalesce/unlabelled-fallback"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("fix: use `or on() vector(c)`"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        promgate(&["lint", "--explain", "nope"]).status.code(),
        Some(2)
    );
}
