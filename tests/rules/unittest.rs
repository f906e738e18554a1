//! The unit-test runner over `tests/data/unittest`: promtool's output, snapshotted.

use promgate::eval::Semantics;
use promgate::unittest::{MemoryLoader, TestOptions, run_file, run_path};

fn output(path: &std::path::Path, semantics: Semantics, jobs: usize) -> String {
    let options = TestOptions {
        semantics,
        jobs,
        ..TestOptions::default()
    };
    let report = run_path(path, &options);
    let mut text = String::new();
    for (_, chunk) in report.promtool_chunks(false) {
        text.push_str(&chunk);
    }
    let dir = super::data("unittest").display().to_string();
    text.replace(&dir, "<dir>")
}

#[test]
fn runner_output_matches_snapshots() {
    insta::glob!("../data/unittest", "*.yml", |path| {
        if path.to_string_lossy().contains("rules") {
            return;
        }
        insta::assert_snapshot!(output(path, Semantics::Prometheus3, 1));
    });
}

#[test]
fn output_is_the_same_whatever_the_thread_count() {
    for path in super::yaml_files("unittest") {
        let one = output(&path, Semantics::Prometheus3, 1);
        let four = output(&path, Semantics::Prometheus3, 4);
        assert_eq!(one, four, "{}", path.display());
    }
}

fn run_memory(test: &str, rules: &str) -> promgate::unittest::FileReport {
    let loader = MemoryLoader::new([("rules.yml", rules)]);
    run_file("t.yml", test, &loader, &TestOptions::default())
}

#[test]
fn later_rules_see_earlier_results_at_the_same_step() {
    let rules = "groups:\n- name: g\n  rules:\n  - record: r1\n    expr: vector(1)\n  - record: r3\n    expr: r1 * 100\n";
    let test = "rule_files: [rules.yml]\ntests:\n- promql_expr_test:\n  - expr: r3\n    eval_time: 0s\n    exp_samples:\n    - labels: r3\n      value: 100\n";
    let report = run_memory(test, rules);
    assert!(report.is_success(), "{:?}", report.promtool_output());
}

#[test]
fn wrong_group_order_lags_one_interval() {
    let rules = "groups:\n- name: first\n  rules:\n  - record: r2\n    expr: r1 * 10\n- name: second\n  rules:\n  - record: r1\n    expr: time() / 60\n";
    let test = "rule_files: [rules.yml]\ngroup_eval_order: [first, second]\ntests:\n- promql_expr_test:\n  - expr: r2\n    eval_time: 2m\n    exp_samples:\n    - labels: r2\n      value: 10\n";
    let report = run_memory(test, rules);
    assert!(report.is_success(), "{:?}", report.promtool_output());
    let in_order = test.replace("[first, second]", "[second, first]");
    let report = run_memory(&in_order, rules);
    let (_, err) = report.promtool_output();
    assert!(err.contains("got: {__name__=\"r2\"} 2E+01"), "{err}");
}

#[test]
fn start_timestamp_shifts_time() {
    let test = "tests:\n- start_timestamp: 1000\n  promql_expr_test:\n  - expr: time()\n    eval_time: 5m\n    exp_samples:\n    - value: 1300\n";
    let report = run_memory(test, "");
    assert!(report.is_success(), "{:?}", report.promtool_output());
}

#[test]
fn run_filter_skips_groups() {
    let test = "tests:\n- name: keep\n- name: drop\n  promql_expr_test:\n  - expr: vector(1)\n";
    let options = TestOptions {
        run: Some(regex::Regex::new("ke").unwrap()),
        ..TestOptions::default()
    };
    let report = run_file("t.yml", test, &MemoryLoader::default(), &options);
    assert!(report.is_success());
    assert!(report.groups[1].skipped);
    let report = run_file(
        "t.yml",
        test,
        &MemoryLoader::default(),
        &TestOptions::default(),
    );
    assert!(!report.is_success());
}

#[test]
fn fuzzy_compare_accepts_one_ulp() {
    let test = "fuzzy_compare: FUZZY\ntests:\n- promql_expr_test:\n  - expr: vector(0.1 + 0.2)\n    exp_samples:\n    - value: 0.3\n";
    assert!(run_memory(&test.replace("FUZZY", "true"), "").is_success());
    assert!(!run_memory(&test.replace("FUZZY", "false"), "").is_success());
}

/// The snapshot workflow a rule repository uses: the L4 rules over the canary-burst scenario,
/// reviewed as a table with `cargo insta review`.
#[test]
fn l4_rules_over_the_canary_burst_snapshot() {
    use promgate::rules::{RuleFile, RuleLoadOptions};
    use promgate::unittest::{GroupSelector, load_test_group, rules_table};
    let dir = super::data("../../testdata/l4");
    let mut groups = Vec::new();
    for f in ["heartbeat", "canary", "slo", "stability"] {
        let text = std::fs::read_to_string(dir.join(format!("rules/{f}.yml"))).unwrap();
        groups.extend(
            RuleFile::parse(f, &text, &RuleLoadOptions::default())
                .unwrap()
                .groups,
        );
    }
    let text = std::fs::read_to_string(dir.join("scenarios/canary-burst.yml")).unwrap();
    let fixture = load_test_group(&text, GroupSelector::First, Semantics::Prometheus3).unwrap();
    // Only instance i5 (the burst) and the aggregates, to keep the table short.
    let table = rules_table(
        &groups,
        &fixture,
        10_000,
        &[600_000, 29_100_000, 29_400_000],
    );
    let table: String = table
        .lines()
        .filter(|l| !l.contains("instance=\"i") || l.contains("instance=\"i5\""))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!(table);
}

#[test]
fn the_l4_unit_tests_pass_through_the_one_line_macro() {
    promgate::assert_rule_tests!("testdata/l4/tests/*_test.yml");
    let missing = std::panic::catch_unwind(|| promgate::assert_rule_tests!("testdata/none/*.yml"));
    assert!(missing.is_err(), "a pattern that matches nothing must fail");
}
