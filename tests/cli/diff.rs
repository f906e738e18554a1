//! `promgate diff OLD NEW`: the reload-safety report over `tests/data/diff`, its exit codes
//! and its JSON form.

use super::promgate;

const FULL: &[&str] = &[
    "diff",
    "tests/data/diff/old",
    "tests/data/diff/new/rules.yml",
    "--gates",
    "tests/data/diff/gates.yml",
    "--fixture",
    "tests/data/diff/fixture.test",
    "--reload-at",
    "40m",
    "--gap",
    "7m",
];

#[test]
fn diff_reports_each_finding_and_the_reload() {
    let output = promgate(FULL);
    assert_eq!(output.status.code(), Some(1), "unsafe");
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout));
}

#[test]
fn diff_json_has_the_verdict_and_each_finding_with_its_severity() {
    let output = promgate(&[FULL, &["--output", "json"]].concat());
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["verdict"], "UNSAFE");
    let first = &json["findings"][0];
    assert_eq!(first["kind"], "removed_still_read");
    assert_eq!(first["severity"], "unsafe");
    assert_eq!(first["renamed_to"], "job:errors:rate_5m");
    assert_eq!(json["reload"]["resumed_at"], 47 * 60_000);
}

#[test]
fn the_same_rules_are_safe_and_a_short_restart_keeps_firing_alerts() {
    let same = ["diff", "tests/data/diff/old", "tests/data/diff/old"];
    let output = promgate(&same);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "VERDICT: SAFE (0 unsafe, 0 notices)\n"
    );
    // ApiDown (for 5m, under the 10m grace period) is not restored: it is pending again for
    // 5m after the restart.
    let fixture = [
        "--fixture",
        "tests/data/diff/fixture.test",
        "--reload-at",
        "30m",
        "--gap",
        "1m",
    ];
    let output = promgate(&[&same[..], &fixture[..]].concat());
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("unsafe: alert {alertname=\"ApiDown\", instance=\"a\", job=\"api\"} (firing): reset to pending at 31m, fires at 36m; not firing for 5m"), "{text}");
    // With a 1m grace period its state is restored and it fires at once.
    let output = promgate(&[&same[..], &fixture[..], &["--for-grace-period", "1m"]].concat());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn diff_load_errors_exit_2() {
    let missing = promgate(&["diff", "tests/data/diff/nothing", "tests/data/diff/old"]);
    assert_eq!(missing.status.code(), Some(2));
    let bad = std::env::temp_dir().join(format!("promgate-diff-{}.yml", std::process::id()));
    std::fs::write(
        &bad,
        "groups:\n- name: g\n  rules:\n  - record: r\n    expr: sum(\n",
    )
    .unwrap();
    let output = promgate(&["diff", "tests/data/diff/old", bad.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("could not parse expression"), "{err}");
    assert!(
        err.contains("both rule sets must pass check rules"),
        "{err}"
    );
    let no_fixture = promgate(&[
        "diff",
        "tests/data/diff/old",
        "tests/data/diff/new",
        "--reload-at",
        "1m",
    ]);
    assert_eq!(no_fixture.status.code(), Some(2));
}
