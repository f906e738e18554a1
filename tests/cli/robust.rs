//! Robustness regressions from issue 12, run as the real binary: inputs of a few bytes that
//! took gigabytes or seconds now stop at a named limit, errors say where and why, and output
//! is byte-identical across runs and thread counts. No test measures time: each checks the
//! answer or the limit's error, which the fixed code reaches without the old work.

use super::{promgate, stderr, stdout};
use std::io::Write as _;
use std::path::PathBuf;

/// A file in a fresh temporary folder.
fn temp_file(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "promgate-robust-{}-{}",
        std::process::id(),
        name.replace('.', "-")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(content)
        .unwrap();
    path
}

#[test]
fn histogram_buckets_count_in_the_load_limit() {
    // 46 bytes that took 2.7 GB: ten million histogram samples now cost their size.
    let path = temp_file("h.test", b"load 1m\n  m {{buckets:[1]}}x10000000\n");
    let output = promgate(&[
        "query",
        "--fixture",
        path.to_str().unwrap(),
        "--time",
        "0",
        "m",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("120000012 more samples would exceed the limit of 50000000"),
        "{err}"
    );
    assert!(err.contains("StoreLimits::max_samples"), "{err}");
}

#[test]
fn a_subquery_over_a_long_histogram_series_stops_at_the_sample_limit() {
    let path = temp_file(
        "hs.test",
        b"load 1m\n  h {{buckets:[1 2 3 4 5 6 7 8]}}+{{buckets:[1 1 1 1 1 1 1 1]}}x20000\n",
    );
    let args = [
        "query",
        "--fixture",
        path.to_str().unwrap(),
        "--time",
        "13d",
    ];
    let ok = promgate(&[&args[..], &["count_over_time(h[14d:1m])"]].concat());
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert_eq!(stdout(&ok), "{} => 18721\n");
    let limited = promgate(
        &[
            &args[..],
            &["--max-samples", "100000", "count_over_time(h[14d:1m])"],
        ]
        .concat(),
    );
    assert_eq!(limited.status.code(), Some(1));
    assert!(
        stderr(&limited).contains("--max-samples"),
        "{}",
        stderr(&limited)
    );
}

#[test]
fn an_empty_inner_expression_makes_a_long_subquery_free() {
    // 31.5 million steps of an empty histogram_quantile took 12 s; the answer is empty.
    let path = temp_file("e.test", b"load 1m\n  m 1\n");
    let output = promgate(&[
        "query",
        "--fixture",
        path.to_str().unwrap(),
        "--time",
        "1y",
        "max_over_time(histogram_quantile(0.9, nope)[1y:1s])",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
}

#[test]
fn label_replace_with_a_bad_regex_points_at_it_with_the_reason() {
    let path = temp_file("l.test", b"load 1m\n  m 1\n");
    for (regex, reason) in [
        ("(", "missing closing ): `^(?s:()$`"),
        ("a[", "missing closing ]: `[)$`"),
        ("a)", "unexpected ): `^(?s:a))$`"),
    ] {
        let expr = format!(r#"label_replace(m, "a", "b", "c", "{regex}")"#);
        let output = promgate(&[
            "query",
            "--fixture",
            path.to_str().unwrap(),
            "--time",
            "0",
            &expr,
        ]);
        assert_eq!(output.status.code(), Some(1));
        let err = stderr(&output);
        assert!(
            err.starts_with("error: 1:33: invalid regular expression in label_replace(): "),
            "{err}"
        );
        assert!(
            err.contains(&format!("hint: the regex engine says: {reason}")),
            "{err}"
        );
    }
}

#[test]
fn fmt_file_reports_every_bad_line_of_a_large_file() {
    let path = temp_file("bad.promql", "up{\n".repeat(20_000).as_bytes());
    let output = promgate(&["promql", "fmt", "--file", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(
        err.matches("unexpected end of input inside braces").count(),
        20_000
    );
    assert!(
        err.contains("bad.promql:20000:4: "),
        "{}",
        &err[err.len() - 300..]
    );
}

#[test]
fn a_large_eval_block_runs() {
    let mut script = String::from("load 1m\n  m{a=\"0\"} 1\n\neval instant at 1m m\n");
    for i in 0..30_000 {
        script.push_str(&format!("  m{{a=\"{i}\"}} 1\n"));
    }
    let path = temp_file("big.test", script.as_bytes());
    let output = promgate(&["promqltest", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("0 passed, 1 failed"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_bom_at_the_start_of_a_script_is_skipped() {
    let path = temp_file(
        "bom.test",
        "\u{feff}load 1m\n  m 1\n\neval instant at 0 m\n  m 1\n".as_bytes(),
    );
    let output = promgate(&["promqltest", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("1 passed, 0 failed"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn eval_range_with_step_zero_is_rejected() {
    let path = temp_file(
        "step0.test",
        b"load 1m\n  m 1\n\neval range from 0 to 5m step 0 m\n  m 1\n",
    );
    let output = promgate(&["promqltest", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains(
            "step0.test:4: invalid step definition \"0\": the step must be greater than 0"
        ),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_histogram_offset_out_of_range_is_rejected() {
    let path = temp_file(
        "off.test",
        b"load 1m\n  m {{buckets:[1] offset:9223372036854775807}}\n",
    );
    let output = promgate(&[
        "query",
        "--fixture",
        path.to_str().unwrap(),
        "--time",
        "0",
        "m",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("\"9223372036854775807\" is out of range"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn huge_tokens_are_echoed_in_part() {
    let mut text = b"load 1m\n  m ".to_vec();
    text.extend(std::iter::repeat_n(b'1', 1_000_000));
    text.push(b'\n');
    let path = temp_file("huge.test", &text);
    let output = promgate(&[
        "query",
        "--fixture",
        path.to_str().unwrap(),
        "--time",
        "0",
        "m",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains("... (1000000 bytes)"), "{err}");
    assert!(err.len() < 400, "{} bytes of error", err.len());
}

#[test]
fn the_not_enabled_hint_names_the_flag() {
    let output = promgate(&["promql", "fmt", "sort_by_label(m)"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("hint: pass --experimental to enable it"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn query_timeout_is_a_flag_with_a_clear_error() {
    let output = promgate(&[
        "query",
        "--fixture",
        "testdata/health-checks.test",
        "--time",
        "0",
        "--query-timeout",
        "nope",
        "up",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("invalid --query-timeout \"nope\""),
        "{}",
        stderr(&output)
    );
}

#[test]
fn deep_yaml_nesting_fails_fast_with_a_position() {
    let mut text = b"tests: ".to_vec();
    text.extend(std::iter::repeat_n(b'[', 100_000));
    let path = temp_file("deep.yml", &text);
    let output = promgate(&["test", "rules", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert!(all.contains("deep.yml:1:"), "{all}");
    assert!(all.contains("recursion limit exceeded"), "{all}");
}

#[test]
fn the_limits_are_flags_of_every_command() {
    let fixture = temp_file("two.test", b"load 1m\n  a 1 2 3\n  b{x=\"y\"} 1 2 3\n");
    let fixture = fixture.to_str().unwrap();
    let run = |args: &[&str]| {
        let output = promgate(args);
        (output.status.code(), stderr(&output))
    };
    // Each limit flag, set low, with what its message must say.
    let low: [(&str, &str, &[&str]); 3] = [
        (
            "--max-file-size",
            "16",
            &["larger than the limit of 16 bytes (--max-file-size)"],
        ),
        (
            "--max-series",
            "1",
            &["would exceed the limit of 1 series", "--max-series"],
        ),
        (
            "--max-store-samples",
            "4",
            &["limit of 4 samples", "--max-store-samples"],
        ),
    ];
    for (flag, value, wanted) in low {
        let (code, err) = run(&[
            "query",
            flag,
            value,
            "--fixture",
            fixture,
            "--time",
            "0",
            "a",
        ]);
        assert_eq!(code, Some(1), "{flag}");
        for w in wanted {
            assert!(err.contains(w), "{flag}: {err}");
        }
    }
    // Raised limits let the same input through.
    let (code, err) = run(&[
        "query",
        "--max-file-size",
        "1MiB",
        "--max-series",
        "2",
        "--fixture",
        fixture,
        "--time",
        "0",
        "a",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let deep = temp_file("nested.yml", b"groups: [[[[[[1]]]]]]\n");
    let output = promgate(&[
        "check",
        "rules",
        "--yaml-max-depth",
        "3",
        deep.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        all.contains("nesting deeper than 3 levels (YamlLimits::max_depth, --yaml-max-depth)"),
        "{all}"
    );
    let (code, err) = run(&[
        "query",
        "--max-file-size",
        "12X",
        "--fixture",
        fixture,
        "--time",
        "0",
        "a",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown unit"), "{err}");
}

#[test]
fn an_endless_fixture_stops_at_the_file_size_limit() {
    let output = promgate(&["query", "--fixture", "/dev/zero", "--time", "0", "m"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("/dev/zero: larger than the limit of 256 MiB"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn malformed_inputs_exit_with_one() {
    let data = "tests/data/malformed";
    for args in [
        vec![
            "promql",
            "fmt",
            "--file",
            "tests/data/malformed/promql/unclosed_paren.promql",
        ],
        vec![
            "promqltest",
            "tests/data/malformed/promqltest/load_hex.test",
        ],
        vec![
            "check",
            "rules",
            "tests/data/malformed/rules/rule_bad_expr.yml",
        ],
        vec![
            "check",
            "rules",
            "tests/data/malformed/rules/alert_bad_template.yml",
        ],
        vec![
            "test",
            "rules",
            "tests/data/malformed/unittest/value_typo.yml",
        ],
        vec![
            "query",
            "--fixture",
            "tests/data/malformed/unittest/bad_values.yml",
            "--time",
            "0",
            "m",
        ],
        vec![
            "decide",
            "--gates",
            "tests/data/malformed/gates/gate_bad_expr.yml",
            "--fixture",
            "testdata/health-checks.test",
            "--time",
            "0",
        ],
    ] {
        let output = promgate(&args);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{args:?} under {data}: {}{}",
            stdout(&output),
            stderr(&output)
        );
    }
}

/// The example suite run twice with different thread counts gives the same bytes.
#[test]
fn example_suite_output_is_identical_across_runs_and_thread_counts() {
    let run = |jobs: &str| {
        let output = promgate(&[
            "test",
            "rules",
            "--jobs",
            jobs,
            "testdata/l4/tests/canary_test.yml",
            "testdata/l4/tests/heartbeat_test.yml",
        ]);
        (output.status.code(), output.stdout, output.stderr)
    };
    let one = run("1");
    assert_eq!(one.0, Some(0), "{}", String::from_utf8_lossy(&one.2));
    assert_eq!(one, run("4"));
    assert_eq!(one, run("1"));
    let library = |jobs: usize| {
        let options = promgate::unittest::TestOptions {
            jobs,
            ..Default::default()
        };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/l4/tests");
        promgate::unittest::run_glob(&format!("{}/*.yml", dir.display()), &options)
            .unwrap()
            .iter()
            .map(|r| r.promtool_output())
            .collect::<Vec<_>>()
    };
    assert_eq!(library(1), library(3));
}
