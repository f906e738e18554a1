//! promgate's extensions of the test-file format ("Beyond promtool"): strict decoding of the
//! new keys, load errors with positions, semantics, limits and the JSON report. The data files
//! `tests/data/unittest/ext_*.yml` are snapshotted (and compared in blocks and step by step)
//! by `unittest.rs`.

use promgate::eval::Semantics;
use promgate::unittest::{MemoryLoader, TestOptions, run_file, run_path};

fn run(test: &str, semantics: Semantics) -> promgate::unittest::FileReport {
    let options = TestOptions {
        semantics,
        ..TestOptions::default()
    };
    run_file("t.yml", test, &MemoryLoader::default(), &options)
}

fn file_error(test: &str) -> String {
    run(test, Semantics::Prometheus3)
        .error
        .unwrap_or_else(|| panic!("no file error for:\n{test}"))
}

#[test]
fn new_keys_are_in_the_did_you_mean_list() {
    let cases = [
        (
            "epsilom: {absolute: 1}\n",
            r#"t.yml:1:1: unknown field "epsilom", did you mean "epsilon"?"#,
        ),
        (
            "tests:\n- alert_rule_test:\n  - alertname: A\n    exp_pendin: []\n",
            r#"t.yml:4:5: unknown field "exp_pendin", did you mean "exp_pending"?"#,
        ),
        (
            "tests:\n- alert_rule_test:\n  - alertname: A\n    exp_alerts:\n    - exp_keep_fring: true\n",
            r#"t.yml:5:7: unknown field "exp_keep_fring", did you mean "exp_keep_firing"?"#,
        ),
        (
            "tests:\n- input_series:\n  - series: up\n    values: '1'\n    repeat: {label: i, values: [a], formt: x}\n",
            r#"t.yml:5:37: unknown field "formt", did you mean "format"?"#,
        ),
        (
            "tests:\n- promql_expr_test:\n  - expr: up\n    epsilon: {relativ: 1}\n",
            r#"t.yml:4:15: unknown field "relativ", did you mean "relative"?"#,
        ),
    ];
    for (test, want) in cases {
        assert_eq!(file_error(test), want);
    }
}

#[test]
fn bad_extension_values_are_load_errors_with_positions() {
    let alert = |body: &str| format!("tests:\n- alert_rule_test:\n  - alertname: A\n{body}");
    let series = |repeat: &str| {
        format!("tests:\n- input_series:\n  - series: up\n    values: '1'\n    repeat: {repeat}\n")
    };
    let cases = [
        (
            "epsilon: {absolute: -1}\n".to_string(),
            "t.yml:1:10: epsilon: absolute must be a finite number >= 0, got -1",
        ),
        (
            alert("    match: fuzzy\n"),
            r#"t.yml:4:12: unknown variant "fuzzy", expected "exact" or "subset""#,
        ),
        (
            alert("    exp_pending:\n    - exp_keep_firing: true\n"),
            "t.yml:5:24: exp_keep_firing applies to firing alerts (exp_alerts), not to exp_pending",
        ),
        (
            alert("    exp_alerts:\n    - exp_labels: {a: x}\n      exp_labels_re: {a: x.*}\n"),
            r#"t.yml:6:26: exp_labels_re: "a" is also in exp_labels; give one of the two"#,
        ),
        (
            alert("    exp_pending:\n    - exp_annotations_re: {s: '*'}\n"),
            r#"t.yml:5:31: exp_annotations_re: "s": error parsing regexp: missing argument to repetition operator: `*`"#,
        ),
        (
            series("{label: i, values: [a], from: 1, to: 2}"),
            "t.yml:5:32: repeat: give either values or from/to (with format), not both",
        ),
        (
            series("{label: i, from: 3, to: 2}"),
            "t.yml:5:37: repeat: to (2) is less than from (3)",
        ),
        (
            series("{label: i, from: 1, to: 2, format: host}"),
            "t.yml:5:48: repeat: format needs a {} for the number, or every copy is the same series",
        ),
        (
            series("{label: i, values: [a, a]}"),
            r#"t.yml:5:32: repeat: value "a" is listed twice"#,
        ),
        (
            series("[{label: i, values: [a]}, {label: i, values: [b]}]"),
            r#"t.yml:5:47: repeat: label "i" is given twice"#,
        ),
        (
            series("{values: [a]}"),
            "t.yml:5:13: repeat: label is missing or empty",
        ),
        (
            series("[{label: a, from: 1, to: 1000}, {label: b, from: 1, to: 1001}]"),
            "t.yml:5:13: repeat makes 1001000 copies of the series, more than the limit of 1000000 series (StoreLimits::max_series)",
        ),
    ];
    for (test, want) in cases {
        assert_eq!(file_error(&test), want, "{test}");
    }
}

#[test]
fn repeat_checks_the_sample_limit_before_copying() {
    let test = "tests:\n- input_series:\n  - series: up\n    values: '1x100000'\n    repeat: {label: i, from: 1, to: 1000}\n";
    let report = run(test, Semantics::Prometheus3);
    let (_, err) = report.promtool_output();
    assert!(
        err.contains("input_series[0]: repeat makes 1000 copies of 100001 samples, 100001000 samples in all, more than the limit of 50000000 samples (StoreLimits::max_samples)"),
        "{err}"
    );
}

#[test]
fn repeated_series_errors_keep_promtools_positions() {
    // The series as written are loaded first: the error is on line 3 of promtool's load
    // block, as without repeat.
    let test = "tests:\n- input_series:\n  - series: up\n    values: '1'\n    repeat: {label: i, values: [a, b]}\n  - series: down\n    values: '1 x'\n";
    let (_, err) = run(test, Semantics::Prometheus3).promtool_output();
    assert!(err.contains("3:8: parse error"), "{err}");
}

#[test]
fn fixtures_load_repeated_series() {
    use promgate::unittest::{GroupSelector, load_test_group};
    let text = "tests:\n- input_series:\n  - series: up{job=\"a\"}\n    values: '1 2'\n    repeat: {label: instance, from: 1, to: 5, format: 'h{}'}\n";
    let group = load_test_group(text, GroupSelector::First, Semantics::Prometheus3).unwrap();
    assert_eq!(group.store.num_series(), 5);
    assert_eq!(group.store.num_samples(), 10);
}

/// The extension keys are promgate's, not Prometheus's: `--semantics prometheus2` accepts
/// them too (only the regex dialect follows the semantics).
#[test]
fn extension_files_give_the_same_output_under_prometheus2() {
    let dir = super::data("unittest");
    for name in ["ext_alerts.yml", "ext_epsilon.yml", "ext_repeat.yml"] {
        let outputs: Vec<String> = [Semantics::Prometheus3, Semantics::Prometheus2]
            .into_iter()
            .map(|semantics| {
                let options = TestOptions {
                    semantics,
                    ..TestOptions::default()
                };
                run_path(&dir.join(name), &options).promtool_output().1
            })
            .collect();
        assert_eq!(outputs[0], outputs[1], "{name}");
        assert!(outputs[0].contains("FAILED"), "{name} has failing cases");
    }
}

#[test]
fn json_report_carries_the_extension_details() {
    let dir = super::data("unittest");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_promgate"))
        .args([
            "test",
            "rules",
            "--output",
            "json",
            "ext_alerts.yml",
            "ext_epsilon.yml",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts = &json["files"][0]["groups"][0]["details"];
    assert_eq!(alerts[0]["state"], "pending");
    assert_eq!(alerts[0]["got"][0]["labels"]["instance"], "host-2");
    assert_eq!(alerts[1]["expected"][0]["keep_firing"], false);
    assert_eq!(alerts[1]["got"][0]["keep_firing"], true);
    assert_eq!(alerts[2]["match"], "subset");
    assert_eq!(alerts[2]["expected"][0]["labels_re"]["instance"], "host");
    let promql = &json["files"][1]["groups"][0]["details"][0];
    assert_eq!(promql["kind"], "promql");
    assert_eq!(promql["epsilon"]["absolute"], 1e-9);
}
