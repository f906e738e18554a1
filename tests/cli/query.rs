//! `promgate promqltest` and `promgate query`, run as the real binary.

use super::{promgate, stderr, stdout};
use std::io::Write as _;

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("promgate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("write temp file");
    path
}

#[test]
fn promqltest_runs_the_bundled_health_checks() {
    let output = promgate(&["promqltest", "testdata/health-checks.test"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).ends_with("9 passed, 0 failed\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn promqltest_reports_failures_and_exits_1() {
    let path = temp_file(
        "fail.test",
        "load 1m\n  up 1 2\n\neval instant at 1m up\n  up 3\n\neval instant at 1m up\n  up 2\n",
    );
    let output = promgate(&["promqltest", "--verbose", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(out.contains("line 4: up"), "{out}");
    assert!(
        out.contains("expected 3 for {__name__=\"up\"} but got 2"),
        "{out}"
    );
    assert!(out.ends_with("1 passed, 1 failed\n"), "{out}");
}

#[test]
fn promqltest_names_the_line_of_a_bad_script() {
    let path = temp_file("bad.test", "load 1m\n  up 1 2\n\nevil instant at 1m up\n");
    let output = promgate(&["promqltest", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains(":4: invalid command \"evil instant at 1m up\""),
        "{}",
        stdout(&output)
    );
}

#[test]
fn query_prints_the_prometheus_api_shape() {
    let output = promgate(&[
        "query",
        "--fixture",
        "testdata/health-checks.test",
        "--time",
        "10m",
        "--output",
        "json",
        "sum(rate(canary_requests_total{code=\"503\"}[5m])) or on() vector(0)",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[600,\"0\"]}]}}\n"
    );
}

#[test]
fn query_range_gives_a_matrix() {
    let output = promgate(&[
        "query",
        "--fixture",
        "testdata/health-checks.test",
        "--start",
        "9m",
        "--end",
        "10m",
        "--step",
        "30s",
        "--output",
        "json",
        "heartbeat_seq{instance=\"i1\"}",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{\"__name__\":\"heartbeat_seq\",\"instance\":\"i1\"},\"values\":[[540,\"30\"],[570,\"30\"],[600,\"30\"]]}]}}\n"
    );
}

#[test]
fn query_semantics_switch_the_window_shape() {
    // A sample exactly at the window start counts in Prometheus 2, not in Prometheus 3.
    let path = temp_file("w.test", "load 1m\n  x 0 1 2 3\n");
    let run = |semantics: &str| {
        let output = promgate(&[
            "query",
            "--fixture",
            path.to_str().unwrap(),
            "--time",
            "3m",
            "--semantics",
            semantics,
            "count_over_time(x[2m])",
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stdout(&output)
    };
    assert_eq!(run("prometheus3"), "{} => 2\n");
    assert_eq!(run("prometheus2"), "{} => 3\n");
}

#[test]
fn query_reads_promtool_test_files() {
    let path = temp_file(
        "t.yml",
        "evaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n      - series: 'up{job=\"a\"}'\n        values: '1 0 1'\n",
    );
    let output = promgate(&[
        "query",
        "--fixture",
        path.to_str().unwrap(),
        "--time",
        "2m",
        "up",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "{__name__=\"up\", job=\"a\"} => 1\n");
}

#[test]
fn query_rejects_bad_input_with_a_position() {
    let output = promgate(&[
        "query",
        "--fixture",
        "testdata/health-checks.test",
        "--time",
        "10m",
        "sum(rate(x[5m])",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains('^'), "{}", stderr(&output));

    let output = promgate(&["query", "--fixture", "nope.test", "--time", "1m", "up"]);
    assert_ne!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("nope.test"), "{}", stderr(&output));

    let output = promgate(&["query", "--fixture", "testdata/health-checks.test", "up"]);
    assert_ne!(output.status.code(), Some(0));
    assert!(stderr(&output).contains("--time"), "{}", stderr(&output));

    let output = promgate(&[
        "query",
        "--fixture",
        "testdata/health-checks.test",
        "--time",
        "soon",
        "up",
    ]);
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("invalid time \"soon\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn query_places_input_series_errors_in_the_test_file() {
    let file = temp_file(
        "bad-input.yml",
        "rule_files: []\ntests:\n  - interval: 1m\n    input_series:\n      - series: ok\n        values: 1\n      - series: up{job=\"a\"}\n        values: 1 2 3 1_\n",
    );
    let output = promgate(&[
        "query",
        "--fixture",
        file.to_str().unwrap(),
        "--time",
        "1m",
        "up",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains(
            "bad-input.yml: input_series[1].values column 7 (promtool: 3:19): parse error: bad number syntax: \"1_\""
        ),
        "{}",
        stderr(&output)
    );
}

#[test]
fn query_writes_native_histograms_as_the_api_does() {
    let path = temp_file(
        "h.test",
        "load 1m\n  h {{schema:0 count:3 sum:5 buckets:[1 2]}}\n",
    );
    let output = promgate(&[
        "query",
        "--fixture",
        path.to_str().unwrap(),
        "--time",
        "1m",
        "--output",
        "json",
        "h",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"h\"},\"histogram\":[60,{\"count\":\"3\",\"sum\":\"5\",\"buckets\":[[0,\"0.5\",\"1\",\"1\"],[0,\"1\",\"2\",\"2\"]]}]}]}}\n"
    );
}

#[test]
fn query_on_a_test_file_honours_start_timestamp_and_picks_groups_by_position() {
    let path = temp_file(
        "start.yml",
        "tests:\n  - name: a\n  - start_timestamp: 1000\n    input_series:\n      - series: up\n        values: 1x10\n",
    );
    let path = path.to_str().unwrap();
    let out = promgate(&[
        "query",
        "--fixture",
        path,
        "--test",
        "#2",
        "--time",
        "5m",
        "time()",
    ]);
    assert_eq!(stdout(&out).trim(), "scalar: 1300", "{}", stderr(&out));
    let out = promgate(&[
        "query",
        "--fixture",
        path,
        "--test",
        "#3",
        "--time",
        "5m",
        "up",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no test group #3 (the file has 2)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn negative_times_are_values_not_flags() {
    let path = temp_file("negative.test", "load 1m\n  up 1 2 3\n");
    let out = promgate(&[
        "query",
        "--fixture",
        path.to_str().unwrap(),
        "--time",
        "-5m",
        "time()",
    ]);
    assert_eq!(stdout(&out).trim(), "scalar: -300", "{}", stderr(&out));
}

#[test]
fn query_explain_prints_the_reason_and_the_tree() {
    let fixture = temp_file(
        "explain.prom",
        "load 1m\n  http_requests_total{job=\"api\"} 0+10x10\n",
    );
    let fixture = fixture.to_str().unwrap();
    let args = ["query", "--fixture", fixture, "--time", "5m", "--explain"];
    let output = promgate(&[&args[..], &["sum(rate(http_request_total[5m]))"]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output), @r"
    why: no series matches `http_request_total[5m]` (no input series and no rule writes it; similar names: http_requests_total)

    sum(rate(http_request_total[5m]))  (0 series at 5m)
      rate(http_request_total[5m])  (0 series at 5m)
        http_request_total[5m]  (0 series at 5m)
          why: no series matches `http_request_total[5m]` (no input series and no rule writes it; similar names: http_requests_total)
    ");
    let json = promgate(
        &[
            &args[..],
            &["--output", "json", "http_requests_total > 1000"],
        ]
        .concat(),
    );
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        value["explanation"]["root"]["findings"][0]["kind"],
        "comparison_filtered"
    );
    assert!(value["why"].as_str().unwrap().contains("50 > 1000"));
    let range = promgate(&[
        "query",
        "--fixture",
        fixture,
        "--start",
        "0",
        "--end",
        "1m",
        "--step",
        "1m",
        "--explain",
        "up",
    ]);
    assert_eq!(range.status.code(), Some(2), "--explain needs --time");
}
