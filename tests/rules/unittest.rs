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

/// A file's report and output, step by step or in blocks.
fn run_mode(
    path: &std::path::Path,
    semantics: Semantics,
    step_by_step: bool,
) -> (String, Vec<bool>) {
    let options = TestOptions {
        semantics,
        step_by_step,
        ..TestOptions::default()
    };
    let report = run_path(path, &options);
    let blocks = report
        .groups
        .iter()
        .map(|g| g.evaluated_in_blocks)
        .collect();
    let (_, text) = report.promtool_output();
    (text, blocks)
}

#[test]
fn blocks_give_what_steps_give() {
    let mut files = super::yaml_files("unittest");
    files.retain(|p| !p.to_string_lossy().contains("rules"));
    let l4 = std::fs::read_dir("testdata/l4/tests").unwrap();
    files.extend(l4.map(|e| e.unwrap().path()));
    let mut in_blocks = 0;
    for path in &files {
        for semantics in [Semantics::Prometheus3, Semantics::Prometheus2] {
            let (steps, by_steps) = run_mode(path, semantics, true);
            let (blocks, by_blocks) = run_mode(path, semantics, false);
            assert_eq!(blocks, steps, "{} ({semantics:?})", path.display());
            assert!(by_steps.iter().all(|b| !b), "step_by_step is honoured");
            in_blocks += by_blocks.iter().filter(|b| **b).count();
        }
    }
    assert!(in_blocks >= 10, "only {in_blocks} groups ran in blocks");
}

#[test]
fn which_groups_run_in_blocks() {
    let dir = super::data("unittest");
    let (_, long) = run_mode(&dir.join("blocks_long.yml"), Semantics::Prometheus3, false);
    assert_eq!(
        long,
        [true],
        "twelve hours of independent rules run in blocks"
    );
    let (_, order) = run_mode(&dir.join("blocks_order.yml"), Semantics::Prometheus3, false);
    assert_eq!(
        order,
        [false, false],
        "a rule reading a later rule needs steps"
    );
    // The limit trips in a block: the group runs again step by step for the error's time.
    let (text, limit) = run_mode(&dir.join("blocks_limit.yml"), Semantics::Prometheus3, false);
    assert_eq!(limit, [false]);
    assert!(
        text.contains("time: 40m0s, err: exceeded limit of 2 with 3 series"),
        "{text}"
    );
}

/// Cases the promtool-compared files cannot hold (newer syntax): each gives the same output
/// in blocks as step by step, and runs in blocks.
#[test]
fn blocks_give_what_steps_give_on_newer_features() {
    let rules = r#"
groups:
  - name: offset
    interval: 30s
    query_offset: 1m
    rules:
      - record: shifted
        expr: value + 0
      - record: split
        expr: value
        labels: {half: a}
      - record: split
        expr: value * 2
        labels: {half: b}
      - record: hist:sum
        expr: sum(histogram_sum(rate(h[5m])))
      - record: hist:rate
        expr: rate(h[5m])
      - alert: Rising
        expr: deriv(value[5m]) > 0
        for: 90s
        keep_firing_for: 2m
        labels: {direction: "{{ if gt $value 0.0 }}up{{ else }}down{{ end }}"}
        annotations: {summary: "{{ $value | humanize }}"}
"#;
    let test = r#"
rule_files: [rules.yml]
evaluation_interval: 30s
tests:
  - interval: 30s
    input_series:
      - series: value
        values: '0+1x400 400x200 400-1x400 _x100 stale 5x100'
      - series: h
        values: '{{sum:1 count:1 buckets:[1]}}+{{sum:2 count:1 buckets:[1]}}x600'
    alert_rule_test:
      - eval_time: 3m
        alertname: Rising
      - eval_time: 4h
        alertname: Rising
      - eval_time: 5h
        alertname: Rising
      - eval_time: 8h
        alertname: Rising
    promql_expr_test:
      - expr: shifted
        eval_time: 2h
        exp_samples: [{labels: shifted, value: 240}]
      - expr: split
        eval_time: 9h
      - expr: hist:sum
        eval_time: 3h
      - expr: count(hist:rate)
        eval_time: 4h59m59s
        exp_samples: [{labels: '{}', value: 1}]
      - expr: count_over_time(shifted[10h])
        eval_time: 10h
"#;
    let loader = MemoryLoader::new([("rules.yml", rules)]);
    let mut outputs = Vec::new();
    for step_by_step in [true, false] {
        let options = TestOptions {
            step_by_step,
            ..TestOptions::default()
        };
        let report = run_file("t.yml", test, &loader, &options);
        assert_eq!(report.groups[0].evaluated_in_blocks, !step_by_step);
        outputs.push(report.promtool_output().1);
    }
    assert_eq!(outputs[0], outputs[1]);
    assert!(
        outputs[0].contains("FAILED"),
        "the cases without expectations fail"
    );
}

/// The files the runner flags are checked over: the flags folder, the promtool-compared files
/// and the L4 tests.
fn flag_files() -> Vec<std::path::PathBuf> {
    let mut files = super::yaml_files("unittest/flags");
    files.retain(|p| p.to_string_lossy().ends_with("_test.yml"));
    let mut plain = super::yaml_files("unittest");
    plain.retain(|p| !p.to_string_lossy().contains("rules"));
    files.extend(plain);
    let mut l4: Vec<_> = std::fs::read_dir("testdata/l4/tests")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    l4.sort();
    files.extend(l4);
    files
}

/// The parts of a report the flags add, with the time taken left out.
#[derive(Debug, PartialEq)]
struct FlagParts {
    coverage: Option<promgate::unittest::Coverage>,
    strict: Vec<Vec<promgate::unittest::StrictFinding>>,
    dumps: Vec<Option<Option<String>>>,
    stderr: String,
}

fn flag_parts(report: &promgate::unittest::FileReport) -> FlagParts {
    FlagParts {
        coverage: report.coverage.clone(),
        strict: report.groups.iter().map(|g| g.strict.clone()).collect(),
        dumps: report
            .groups
            .iter()
            .map(|g| g.debug.as_ref().map(|d| d.dump.clone()))
            .collect(),
        // The time taken varies.
        stderr: regex::Regex::new(r"took \S+")
            .unwrap()
            .replace_all(&report.promtool_output().1, "took <d>")
            .into_owned(),
    }
}

#[test]
fn coverage_strict_and_debug_are_the_same_in_blocks_and_steps_and_on_any_thread_count() {
    let mut in_blocks = 0;
    for path in flag_files() {
        let mut seen = Vec::new();
        for (step_by_step, jobs) in [(true, 1), (false, 1), (false, 4)] {
            let options = TestOptions {
                step_by_step,
                jobs,
                coverage: true,
                strict: true,
                debug: true,
                ..TestOptions::default()
            };
            let report = run_path(&path, &options);
            in_blocks += report
                .groups
                .iter()
                .filter(|g| g.evaluated_in_blocks)
                .count();
            seen.push(flag_parts(&report));
        }
        assert_eq!(seen[0], seen[1], "{} (blocks)", path.display());
        assert_eq!(seen[0], seen[2], "{} (threads)", path.display());
    }
    assert!(in_blocks >= 5, "only {in_blocks} groups ran in blocks");
}

#[test]
fn without_the_flags_reports_carry_nothing_new_and_coverage_changes_no_output() {
    for path in flag_files() {
        let plain = run_path(&path, &TestOptions::default());
        assert!(plain.coverage.is_none() && plain.strict.is_empty());
        assert!(
            plain
                .groups
                .iter()
                .all(|g| g.strict.is_empty() && g.debug.is_none() && g.coverage.is_none())
        );
        let with_coverage = TestOptions {
            coverage: true,
            ..TestOptions::default()
        };
        let covered = run_path(&path, &with_coverage);
        assert_eq!(
            covered.promtool_chunks(false),
            plain.promtool_chunks(false),
            "{}",
            path.display()
        );
    }
}

#[test]
fn strict_finds_each_kind() {
    use promgate::unittest::{CaseRef, StrictFinding};
    let path = super::data("unittest/flags/strict_test.yml");
    let strict = TestOptions {
        strict: true,
        ..TestOptions::default()
    };
    let report = run_path(&path, &strict);
    assert!(!report.is_success());
    assert!(matches!(
        report.strict.as_slice(),
        [StrictFinding::UnmatchedRuleFiles { pattern }] if pattern.ends_with("missing_*.yml")
    ));
    let found = &report.groups[0].strict;
    assert!(matches!(
        found[0],
        StrictFinding::UnreadInputSeries { index: 2, .. }
    ));
    assert!(matches!(
        found[1],
        StrictFinding::InputEnded {
            case: CaseRef::Promql(1),
            eval_time: 900_000,
            last_sample: 120_000,
            ..
        }
    ));
    assert!(matches!(
        &found[2],
        StrictFinding::QueryAnnotation { case: CaseRef::Promql(0), annotation, .. }
            if annotation.starts_with("PromQL info: metric might not be a counter")
    ));
    assert_eq!(found.len(), 3);
    assert!(report.groups[1].strict.is_empty(), "the clean group");
    // Without --strict the same file passes, with promtool's warning.
    let plain = run_path(&path, &TestOptions::default());
    assert!(plain.is_success());
    assert_eq!(plain.warnings.len(), 1);
}

#[test]
fn strict_reads_through_rules_and_alerts() {
    use promgate::unittest::StrictFinding;
    // `raw` is read only through the recording rule an alert reads: its last sample (3m) is
    // out of reach (5m lookback twice) at 14m, not at 13m.
    let rules = "groups:\n- name: g\n  rules:\n  - record: r\n    expr: raw * 2\n  - alert: A\n    expr: r > 100\n";
    let test = "rule_files: [rules.yml]\ntests:\n- input_series: [{series: raw, values: '1 2 3 4'}]\n  alert_rule_test: [{alertname: A, eval_time: 14m}, {alertname: A, eval_time: 13m}]\n";
    let loader = MemoryLoader::new([("rules.yml", rules)]);
    let options = TestOptions {
        strict: true,
        ..TestOptions::default()
    };
    let report = run_file("t.yml", test, &loader, &options);
    assert!(
        matches!(
            report.groups[0].strict.as_slice(),
            [StrictFinding::InputEnded {
                eval_time: 840_000,
                last_sample: 180_000,
                ..
            }]
        ),
        "{:?}",
        report.groups[0].strict
    );
}

#[test]
fn coverage_counts_what_each_definition_says() {
    use promgate::unittest::RuleUsage;
    let path = super::data("unittest/flags/coverage_test.yml");
    let options = TestOptions {
        coverage: true,
        ..TestOptions::default()
    };
    let report = run_path(&path, &options);
    assert!(report.is_success());
    let coverage = report.coverage.clone().unwrap();
    let by_name = |n: &str| coverage.rules.iter().find(|r| r.name == n).unwrap().clone();
    // Read by a promql test at 5m, produced from 0s.
    assert!(by_name("job:up:sum").exercised);
    // Produced, never read.
    let count = by_name("job:up:count");
    assert_eq!(
        count.usage,
        RuleUsage::Recording {
            produced: true,
            read: false
        }
    );
    assert!(!count.exercised);
    // Asserted firing at 4m and silent at 1m.
    assert_eq!(by_name("InstanceDown").usage.asserted(), "both");
    assert!(by_name("InstanceDown").exercised);
    // Silent only: not exercised.
    assert_eq!(by_name("TooMany").usage.asserted(), "silent");
    assert!(!by_name("TooMany").exercised);
    // Pending, never asserted.
    assert!(matches!(
        by_name("LongDown").usage,
        RuleUsage::Alerting {
            active: true,
            fired: false,
            ..
        }
    ));
    assert_eq!((coverage.exercised(), coverage.total()), (3, 7));
}

#[test]
fn a_recording_rule_read_only_before_it_produces_is_not_exercised() {
    let rules = "groups:\n- name: g\n  rules:\n  - record: late\n    expr: up > 1\n";
    let test = "rule_files: [rules.yml]\ntests:\n- input_series: [{series: up, values: '1 1 1 5'}]\n  promql_expr_test:\n  - {expr: late, eval_time: 1m}\n  - {expr: up, eval_time: 3m, exp_samples: [{labels: up, value: 5}]}\n";
    let loader = MemoryLoader::new([("rules.yml", rules)]);
    let options = TestOptions {
        coverage: true,
        ..TestOptions::default()
    };
    let report = run_file("t.yml", test, &loader, &options);
    assert!(report.is_success(), "{:?}", report.promtool_output());
    let rule = &report.coverage.as_ref().unwrap().rules[0];
    assert_eq!(
        rule.usage,
        promgate::unittest::RuleUsage::Recording {
            produced: true,
            read: true
        }
    );
    assert!(!rule.exercised, "read at 1m, first produced at 3m");
}

#[test]
fn diff_replaces_the_lists_of_an_alert_mismatch() {
    use promgate::unittest::DiffStyle;
    let path = super::data("unittest/flags/diff_test.yml");
    let options = TestOptions {
        diff: Some(DiffStyle::Ansi),
        ..TestOptions::default()
    };
    let (_, err) = run_path(&path, &options).promtool_output();
    assert!(err.contains("\n        diff: [\n"), "{err}");
    assert!(
        err.contains("\"summary\": \u{1b}[0;33m\"b is down\" => \"a is down\"\u{1b}[0m"),
        "{err:?}"
    );
    assert!(!err.contains("exp:["));
}
