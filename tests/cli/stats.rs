//! `promgate stats`, run as the real binary: figures checked against numbers computed
//! independently (by hand and with Python's `statistics` module and a t table).

use std::process::{Command, Output};

use serde_json::Value;

fn promgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_promgate"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run promgate")
}

fn json(args: &[&str]) -> Value {
    let out = promgate(args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn close(got: &Value, want: f64) {
    let got = got
        .as_f64()
        .unwrap_or_else(|| panic!("not a number: {got}"));
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
        "{got} vs {want}"
    );
}

/// `x > 0` reads 1 3 _ 2 5 _ 4 8 6 7 at 0..9m.
const GAPPY: [&str; 10] = [
    "stats",
    "--fixture",
    "tests/data/cli/stats/gappy.prom",
    "--expr",
    "x > 0",
    "--to",
    "9m",
    "--step",
    "1m",
    "--output",
    // The format is appended by each test.
];

#[test]
fn stats_of_an_expression_with_gaps() {
    let mut args = GAPPY.to_vec();
    args.extend([
        "json",
        "--threshold",
        ">",
        "4.5",
        "--ladder",
        "l4",
        "--drift",
        "{method: cusum, baseline: {mean: 1, sigma: 1}, k: 0.5, h: 4}",
    ]);
    let out = json(&args);
    let s = &out[0];
    assert_eq!(s["steps"], 10);
    let m = &s["summary"];
    assert_eq!(
        (m["count"].as_u64(), m["missing"].as_u64()),
        (Some(8), Some(2))
    );
    // statistics.mean / statistics.stdev of 1 3 2 5 4 8 6 7: 4.5 and sqrt(6).
    close(&m["mean"], 4.5);
    close(&m["std_dev"], 6f64.sqrt());
    close(&m["min"], 1.0);
    close(&m["max"], 8.0);
    // Type 7 quantiles of 1..8: 1 + 7q.
    for (q, want) in [("p50", 4.5), ("p90", 7.3), ("p95", 7.65), ("p99", 7.93)] {
        close(&m[q], want);
    }
    // Eight samples are one-sample batches: the t interval, 4.5 ± t(0.975, 7) sqrt(6/8)
    // with t(0.975, 7) = 2.3646242515927849.
    let ci = &m["mean_ci"];
    close(&ci["lower"], 2.452175327715883);
    close(&ci["upper"], 6.547824672284117);
    assert_eq!(
        (ci["batches"].as_u64(), ci["batch_size"].as_u64()),
        (Some(8), Some(1))
    );
    // Above 4.5: 5 (4m), 8 6 7 (7m to 9m); the gap at 5m ends a run.
    let b = &m["breach"];
    assert_eq!(b["samples"], 4);
    assert_eq!(b["duration_ms"], 240_000);
    assert_eq!(b["longest"]["start_ms"], 420_000);
    assert_eq!(b["longest"]["steps"], 3);
    // CUSUM by hand (z = x - 1, S = max(0, S + z - 0.5), alarm over 4, then restart):
    // 0, 1.5, _, 2, 5.5 (alarm at 4m, from 1m); _, 2.5, 9 (7m, from 6m); 4.5 (8m); 5.5 (9m).
    let alarms: Vec<(i64, i64)> = s["change_points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["alarm_ms"].as_i64().unwrap(),
                c["start_ms"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        alarms,
        [
            (240_000, 60_000),
            (420_000, 360_000),
            (480_000, 480_000),
            (540_000, 540_000)
        ]
    );
    // A mean of 4.5 is past the L4 ladder's last rung (0.3).
    assert_eq!(s["grade"]["grade"], "L4");
    assert_eq!(s["grade"]["action"], "investigate");
}

#[test]
fn stats_text_output() {
    let mut args = GAPPY.to_vec();
    args.extend(["text", "--threshold", "<", "2"]);
    let out = promgate(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.starts_with("expr: x > 0\n  steps      10 from 0s to 9m every 1m\n"),
        "{text}"
    );
    assert!(
        text.contains("  count      8 present, 2 missing (20.00%)\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  mean       4.5  95% CI [2.45218, 6.54782] (batch means: 8 batches of 1)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  quantiles  p50 4.5, p90 7.3, p95 7.65, p99 7.93\n"),
        "{text}"
    );
    assert!(
        text.contains("  beyond < 2: 1 steps (1m), longest 1 steps (1m) from 0s\n"),
        "{text}"
    );
}

#[test]
fn stats_of_a_gate_runs_the_rules_as_the_dry_run_does() {
    // The healthy day's V is constant; by hand from the stability rule:
    // (0.025² + 0.1875² + (0.2/0.6)² + 0.5²) / 4.
    let v = (0.025f64.powi(2) + 0.1875f64.powi(2) + (0.2f64 / 0.6).powi(2) + 0.25) / 4.0;
    let out = json(&[
        "stats",
        "--fixture",
        "testdata/l4/scenarios/healthy.yml",
        "--gates",
        "testdata/l4/gates.yml",
        "--gate",
        "lyapunov_V",
        "--from",
        "6m",
        "--to",
        "40m",
        "--step",
        "10s",
        "--output",
        "json",
    ]);
    let s = &out[0];
    assert_eq!(s["name"], "lyapunov_V");
    // 6m to 40m at 10 s.
    assert_eq!(s["steps"], 34 * 6 + 1);
    let m = &s["summary"];
    assert_eq!(m["missing"], 0);
    assert!((m["mean"].as_f64().unwrap() - v).abs() < 1e-9, "{m}");
    assert!((m["max"].as_f64().unwrap() - v).abs() < 1e-9, "{m}");
    // The gate is `<= 0.35`: breaches are values above it.
    assert_eq!(m["breach"]["threshold"].as_f64(), Some(0.35));
    assert_eq!(m["breach"]["samples"], 0);
    // The gates file's CUSUM on V and the L4 ladder apply to the gate.
    assert_eq!(s["change_points"].as_array().map(Vec::len), Some(0));
    assert_eq!(s["grade"]["grade"], "L4.9");
}

#[test]
fn stats_rejects_bad_input_with_a_message() {
    for (extra, want) in [
        (
            vec!["--threshold", ">=", "1"],
            "--threshold: unknown operator \">=\"",
        ),
        (
            vec!["--threshold", ">", "one"],
            "--threshold: \"one\" is not a number",
        ),
        (
            vec!["--from", "10m"],
            "invalid range: from (10m) is after to (9m)",
        ),
        (
            vec!["--threshold", ">", "1", "--threshold", "<", "2"],
            "--threshold is given once, as OP VALUE",
        ),
        (vec!["--ladder", "no-such-ladder.yml"], "no-such-ladder.yml"),
        (vec!["--drift", "{method: sideways}"], "--drift"),
    ] {
        let mut args = GAPPY.to_vec();
        args.push("text");
        args.extend(extra);
        let out = promgate(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(want), "{err}\nwant: {want}");
    }
    let out = promgate(&[
        "stats",
        "--fixture",
        "tests/data/cli/stats/gappy.prom",
        "--expr",
        "x or label_replace(vector(1), \"a\", \"b\", \"\", \"\")",
        "--to",
        "1m",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("at 0s: the expression gave 2 series, not one (aggregate it, e.g. max(...))"),
        "{err}"
    );
}
