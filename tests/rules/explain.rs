//! Evaluation-order warnings of the unit-test runner and the analysis behind them.

use promgate::explain::{EvaluationOrder, OrderOptions};
use promgate::rules::{RuleFile, RuleLoadOptions};
use promgate::unittest::{MemoryLoader, TestOptions, run_file};

const READ_EACH_OTHER: &str = "groups:\n- name: first\n  rules:\n  - record: r2\n    expr: r1 * 10\n- name: second\n  rules:\n  - record: r1\n    expr: time() / 60\n  - alert: R2High\n    expr: r2 > 100\n";

fn order_warnings(group_eval_order: &str) -> Vec<String> {
    let loader = MemoryLoader::new([("rules.yml", READ_EACH_OTHER)]);
    let test = format!(
        "rule_files: [rules.yml]\n{group_eval_order}tests:\n- promql_expr_test:\n  - expr: r1\n    eval_time: 1m\n    exp_samples:\n    - labels: r1\n      value: 1\n"
    );
    let report = run_file("t.yml", &test, &loader, &TestOptions::default());
    assert!(report.is_success(), "{:?}", report.promtool_output());
    assert!(
        !report.promtool_output().1.contains("evaluation order"),
        "promtool's output stays promtool's"
    );
    report.order_warnings
}

#[test]
fn groups_that_read_each_other_in_open_order_are_warned_about() {
    let open = order_warnings("");
    insta::assert_snapshot!(open.join("\n"), @r#"one of groups "first" and "second" reads the other's series (r2 reads r1 from r1, R2High reads r2 from r2) and group_eval_order leaves their order open: promtool 2.42 runs them in random order, so results can differ between runs (list both in group_eval_order)"#);
    // Listing one group only leaves the other at the same position (0): still open.
    assert_eq!(order_warnings("group_eval_order: [first]\n"), open);
    assert!(order_warnings("group_eval_order: [second, first]\n").is_empty());
    assert!(order_warnings("group_eval_order: [other, first]\n").is_empty());
}

#[test]
fn lagging_reads_name_the_writer_and_the_lag() {
    let text = "groups:\n- name: g\n  interval: 30s\n  rules:\n  - record: b\n    expr: a + 1\n  - record: a\n    expr: vector(1)\n  - record: c\n    expr: c offset 1m or vector(0)\n- name: h\n  rules:\n  - record: d\n    expr: e\n- name: i\n  rules:\n  - record: e\n    expr: vector(2)\n";
    let file = RuleFile::parse("r.yml", text, &RuleLoadOptions::default()).unwrap();
    let order = EvaluationOrder::new(
        &file.groups,
        &OrderOptions {
            group_eval_order: None,
            ..OrderOptions::default()
        },
    );
    assert!(
        order.open.is_empty(),
        "no warnings without a unit test's order"
    );
    let lines: Vec<String> = order.lagging.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(lines.join("\n"), @r"
    rule b (group g) reads a written by rule a later in the same group: it sees the previous evaluation's value (30s late) and nothing for the first 30s after the start
    rule c (group g) reads its own output c: it sees the previous evaluation's value (30s late) and nothing at the first evaluation
    rule d (group h) reads e written by rule e in group i, which runs after it: it sees the previous evaluation's value (1m late) and nothing for the first 1m after the start
    ");
}
