//! `promgate test rules` with `--debug`, `--diff`, `--strict` and `--coverage`, run as the real
//! binary over `tests/data/unittest/flags`: each case's exit code, stdout and stderr,
//! snapshotted (durations, which vary, are replaced by `<d>`).

use std::path::Path;

const DIR: &str = "tests/data/unittest/flags";

/// The cases: a name and the arguments after `test rules` (`@` stands for the data folder).
const CASES: &[(&str, &[&str])] = &[
    ("coverage_table", &["--coverage", "@/coverage_test.yml"]),
    (
        "coverage_below_min_fails",
        &["--coverage-min", "50", "@/coverage_test.yml"],
    ),
    (
        "coverage_at_min_passes",
        &["--coverage-min", "42.8", "@/coverage_test.yml"],
    ),
    (
        "coverage_over_two_files",
        &["--coverage", "@/coverage_test.yml", "@/debug_test.yml"],
    ),
    (
        "coverage_json",
        &["--coverage", "--output", "json", "@/coverage_test.yml"],
    ),
    ("strict_finds_each_kind", &["--strict", "@/strict_test.yml"]),
    (
        "strict_json",
        &["--strict", "--output", "json", "@/strict_test.yml"],
    ),
    (
        "strict_passes_a_clean_file",
        &["--strict", "@/debug_test.yml"],
    ),
    ("without_strict_only_warns", &["@/strict_test.yml"]),
    ("diff", &["--diff", "@/diff_test.yml"]),
    ("without_diff", &["@/diff_test.yml"]),
    ("debug", &["--debug", "@/debug_test.yml"]),
    (
        "debug_step_by_step",
        &["--debug", "--step-by-step", "@/debug_test.yml"],
    ),
    (
        "debug_json",
        &["--debug", "--output", "json", "@/debug_test.yml"],
    ),
];

/// Exit code, stdout and stderr of one run, with varying durations replaced.
fn transcript(args: &[&str]) -> String {
    let args: Vec<String> = ["test", "rules"]
        .iter()
        .map(|a| a.to_string())
        .chain(args.iter().map(|a| a.replace('@', DIR)))
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = super::promgate(&args);
    let took = regex::Regex::new(r"took [0-9.]+(ns|µs|ms|s|m[0-9.]+s)").unwrap();
    let elapsed = regex::Regex::new(r#""elapsed_seconds": [0-9.e-]+"#).unwrap();
    let text = format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        super::stdout(&out),
        super::stderr(&out)
    );
    let text = took.replace_all(&text, "took <d>");
    elapsed
        .replace_all(&text, r#""elapsed_seconds": <d>"#)
        .into_owned()
}

#[test]
fn flag_transcripts_match_snapshots() {
    for (name, args) in CASES {
        insta::assert_snapshot!(format!("flags_{name}"), transcript(args));
    }
}

#[test]
fn coverage_below_the_minimum_exits_1() {
    let out = super::promgate(&[
        "test",
        "rules",
        "--coverage-min",
        "100",
        "tests/data/unittest/flags/coverage_test.yml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        super::stderr(&out).contains("is below --coverage-min 100%"),
        "{}",
        super::stderr(&out)
    );
    // The tests themselves passed.
    assert!(super::stdout(&out).contains("  SUCCESS"));
}

#[test]
fn a_bad_minimum_is_a_usage_error() {
    let out = super::promgate(&[
        "test",
        "rules",
        "--coverage-min",
        "120",
        "tests/data/unittest/flags/coverage_test.yml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(super::stderr(&out).contains("expected a percentage"));
}

#[test]
fn coverage_output_writes_json() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("coverage-output.json");
    let _ = std::fs::remove_file(&path);
    let out = super::promgate(&[
        "test",
        "rules",
        "--coverage-output",
        path.to_str().unwrap(),
        "tests/data/unittest/flags/coverage_test.yml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", super::stderr(&out));
    // Without --coverage the table is not printed: stdout is promtool's.
    assert_eq!(super::stdout(&out), "  SUCCESS\n\n");
    let text = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!("flags_coverage_output_file", text);
}

#[test]
fn the_l4_rules_coverage() {
    let mut files: Vec<String> = std::fs::read_dir("testdata/l4/tests")
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with("_test.yml"))
        .collect();
    files.sort();
    let mut args = vec!["test", "rules", "--coverage"];
    args.extend(files.iter().map(String::as_str));
    let out = super::promgate(&args);
    assert_eq!(out.status.code(), Some(0), "{}", super::stderr(&out));
    insta::assert_snapshot!("flags_l4_coverage", super::stdout(&out));
}

#[test]
fn strict_findings_reach_the_junit_report() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("strict-junit.xml");
    let _ = std::fs::remove_file(&path);
    let out = super::promgate(&[
        "test",
        "--junit",
        path.to_str().unwrap(),
        "rules",
        "--strict",
        "tests/data/unittest/flags/strict_test.yml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(
        "flags_strict_junit",
        std::fs::read_to_string(&path).unwrap()
    );
}
