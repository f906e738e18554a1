//! The L4 dry-run of `testdata/l4`: decisions, early stops, drift and grades on the four
//! scenarios, and gates files with bad input.

use promgate::Labels;
use promgate::decision::dryrun::{DryRunReport, run_dir};
use promgate::decision::{GatePlan, Path, Status, StoreSource, Verdict};
use promgate::stats::StopReason;
use promgate::store::Store;

fn l4(scenario: &str) -> DryRunReport {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/l4");
    let scenario = dir.join("scenarios").join(format!("{scenario}.yml"));
    run_dir(&dir, Some(&scenario)).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn healthy_day_is_go_and_grades_l4_9() {
    let r = l4("healthy");
    assert_eq!(r.verdict, Verdict::Go, "{r}");
    assert!(r.preflight.iter().all(|p| p.passed), "{r}");
    assert!(r.stop.is_none());
    assert_eq!(r.steps, 8605, "24 h at 10 s after the 6m warm-up");
    let (grade, action, value) = r.grade.clone().unwrap();
    assert_eq!((grade.as_str(), action.as_str()), ("L4.9", "promote"));
    // V by hand: (0.025² + 0.1875² + (0.2/0.6)² + 0.5²) / 4.
    let expected = (0.025f64.powi(2) + 0.1875f64.powi(2) + (0.2f64 / 0.6).powi(2) + 0.25) / 4.0;
    assert!(
        (value.unwrap() - expected).abs() < 1e-9,
        "{value:?} vs {expected}"
    );
    let p = r.probability.as_ref().unwrap();
    assert_eq!(p.successes, p.trials);
    assert!(p.lower > 0.999 && p.upper <= 1.0);
    for g in &r.gates {
        assert_eq!(g.pass_fraction, 1.0, "{}", g.name);
        assert!(g.change_points.is_empty(), "{}", g.name);
    }
    // The warm-up's empty windows are reported, explained down to the raw series.
    let v = r.risks.iter().find(|k| k.subject == "lyapunov_V").unwrap();
    assert!(
        v.message
            .contains("needs samples from -5m, but the fixture starts at 0s"),
        "{}",
        v.message
    );
}

#[test]
fn heartbeat_stall_stops_the_monitor() {
    let r = l4("heartbeat-stall");
    assert_eq!(r.decision.verdict, Verdict::Go);
    assert_eq!(r.verdict, Verdict::NoGo);
    let stop = r.stop.as_ref().unwrap();
    assert!(
        matches!(&stop.reason, StopReason::Failing { signal, .. } if signal == "heartbeat_stall"),
        "{stop:?}"
    );
    // A run that stopped is not graded (its grade would read "promote" beside NO-GO).
    assert_eq!(r.grade, None);
    // The stall starts at 12 h; changes over 6m drop below 2 about 5m later, plus `for` 2m.
    assert!(
        (43_500_000..=44_000_000).contains(&stop.time_ms),
        "{}",
        stop.time_ms
    );
}

#[test]
fn canary_burst_stops_on_the_failure_ratio() {
    let r = l4("canary-burst");
    assert_eq!(r.verdict, Verdict::NoGo);
    let stop = r.stop.as_ref().unwrap();
    assert!(
        matches!(&stop.reason, StopReason::Failing { signal, .. } if signal == "canary_failure_ratio"),
        "{stop:?}"
    );
    // The burst starts at 8 h; the 5m rate crosses 8% within a minute, then 5m of failing.
    assert!(
        (29_100_000..=29_300_000).contains(&stop.time_ms),
        "{}",
        stop.time_ms
    );
}

#[test]
fn slow_drift_in_v_is_detected_and_grades_hold() {
    let r = l4("v-drift");
    assert_eq!(r.verdict, Verdict::Go, "no gate fails: {r}");
    let (grade, action, _) = r.grade.clone().unwrap();
    assert_eq!((grade.as_str(), action.as_str()), ("L4.7", "hold"));
    let v = r.gates.iter().find(|g| g.name == "lyapunov_V").unwrap();
    let first = v.change_points.first().expect("a drift alarm on V");
    // The degradation starts at 3 h (step 1044 after the warm-up).
    let alarm_time = first.alarm_index as i64 * 10_000 + 360_000;
    assert!(
        alarm_time > 3 * 3_600_000 && alarm_time < 5 * 3_600_000,
        "{alarm_time}"
    );
}

#[test]
fn missing_values_follow_the_gate_policy() {
    let gates = r#"
gates:
  - {name: fail_default, expr: nothing, op: "<", threshold: 1}
  - {name: pass_policy, expr: nothing, op: "<", threshold: 1, on_missing: pass}
  - {name: coalesced, expr: nothing, op: "<", threshold: 1, on_missing: fallback, fallback: vector(0)}
  - {name: open, expr: nothing, op: "<", threshold: 1, on_missing: inconclusive, severity: warning}
"#;
    let plan = GatePlan::parse("g.yml", gates).unwrap();
    let store = Store::new();
    let d = plan.decide(&StoreSource::new(&store), 0).unwrap();
    let got: Vec<(Status, Path)> = d.checks.iter().map(|c| (c.status, c.path)).collect();
    assert_eq!(
        got,
        [
            (Status::Fail, Path::Missing),
            (Status::Pass, Path::Missing),
            (Status::Pass, Path::Fallback),
            (Status::Missing, Path::Missing),
        ]
    );
    assert_eq!(d.verdict, Verdict::NoGo);
}

#[test]
fn the_worst_series_decides_and_is_named() {
    let mut store = Store::new();
    for (i, v) in [0.01, 0.2, 0.05].into_iter().enumerate() {
        let l = Labels::from_pairs([
            ("__name__", "ratio"),
            ("instance", format!("i{i}").as_str()),
        ]);
        store.append_float(l, 0, v).unwrap();
    }
    let plan = GatePlan::parse(
        "g.yml",
        "gates:\n  - {name: r, expr: ratio, op: '<=', threshold: 0.08}\n",
    )
    .unwrap();
    let d = plan.decide(&StoreSource::new(&store), 0).unwrap();
    assert_eq!(d.checks[0].value, Some(0.2));
    assert_eq!(
        d.checks[0].reason,
        "0.2 <= 0.08 does not hold for {__name__=\"ratio\", instance=\"i1\"} (of 3 series)"
    );
}

#[test]
fn bad_gates_files_say_where() {
    for (text, want) in [
        (
            "gates:\n  - {name: a, expr: 'up', op: '=<', threshold: 1}\n",
            "g.yml:2:31: unknown variant \"=<\"",
        ),
        (
            "gates:\n  - {name: a, expr: 'up', op: '<', threshold: 1, on_missing: fallback}\n",
            "g.yml:2: gate \"a\": on_missing: fallback needs a fallback expression",
        ),
        (
            "gates:\n  - {name: a, expr: 'up', op: '<', treshold: 1}\n",
            "g.yml:2:36: unknown field \"treshold\", did you mean \"threshold\"?",
        ),
        (
            "gates:\n  - name: a\n    expr: |\n      sum(up\n    op: '<'\n    threshold: 1\n",
            "g.yml:4:13: gate \"a\": unclosed left parenthesis",
        ),
    ] {
        let err = GatePlan::parse("g.yml", text).unwrap_err().to_string();
        assert!(err.starts_with(want), "{err}\nwant: {want}");
    }
}

#[test]
fn decide_runs_the_rules_then_the_gates_at_one_time() {
    let run = |scenario: &str, time: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_promgate"))
            .args(["decide", "--gates", "testdata/l4/gates.yml", "--fixture"])
            .arg(format!("testdata/l4/scenarios/{scenario}.yml"))
            .args(["--time", time])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let out = run("healthy", "10m");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("GO at 10m\n"), "{text}");
    assert_eq!(text.matches("PASS").count(), 9, "{text}");
    let out = run("canary-burst", "8h10m");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL    canary_failure_ratio"), "{text}");
}

/// `testdata/l4` copied to a temporary folder, with `gates.yml` edited.
fn l4_copy(name: &str, edit: impl Fn(String) -> String) -> std::path::PathBuf {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("promgate-l4-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/l4"),
        &dir,
    );
    let gates = dir.join("gates.yml");
    let text = std::fs::read_to_string(&gates).unwrap();
    std::fs::write(&gates, edit(text)).unwrap();
    dir
}

#[test]
fn preflight_lints_and_cross_checks_a_reload() {
    let r = l4("healthy");
    let names: Vec<&str> = r.preflight.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "check rules",
            "rule unit tests",
            "lint",
            "reload cross-check",
            "pass probability before the decision"
        ]
    );
    // A six-minute gap outlasts the 5m lookback: the heartbeat gates without a fallback lose
    // their value, the cross-check fails and the verdict is NO-GO whatever the gates say.
    let dir = l4_copy("gap", |t| t.replace("gap: 30s", "gap: 6m"));
    let r = run_dir(&dir, None).unwrap();
    let reload = r
        .preflight
        .iter()
        .find(|p| p.name == "reload cross-check")
        .unwrap();
    assert!(!reload.passed, "{r}");
    assert!(reload.detail.contains("heartbeat"), "{}", reload.detail);
    assert_eq!(r.verdict, Verdict::NoGo);
    let _ = std::fs::remove_dir_all(dir);
    // A gate whose fallback passes it when its input is missing is what the lint catches.
    let dir = l4_copy("lint", |t| {
        t.replace(
            "gates:\n",
            "gates:\n  - name: raw\n    expr: sum(rate(canary_requests_total[5m])) or vector(0)\n    op: \">=\"\n    threshold: 0\n",
        )
    });
    let r = run_dir(&dir, None).unwrap();
    let lint = r.preflight.iter().find(|p| p.name == "lint").unwrap();
    assert!(!lint.passed, "{r}");
    assert!(
        lint.detail.contains("coalesce/fallback-passes-gate"),
        "{}",
        lint.detail
    );
    assert_eq!(r.verdict, Verdict::NoGo);
    let _ = std::fs::remove_dir_all(dir);
}
