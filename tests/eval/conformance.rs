//! Runs Prometheus's PromQL test corpus (the folder in `PROMQLTEST_DIR`) and fails if the number
//! of passing evals of any file drops below the committed baseline
//! (`tests/data/conformance-baseline.txt`). Raise the baseline as the engine improves; never
//! lower it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus_dir() -> Option<PathBuf> {
    match std::env::var_os("PROMQLTEST_DIR") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            let default =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/promqltest");
            default.is_dir().then_some(default)
        }
    }
}

fn baseline() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance-baseline.txt"),
    )
    .expect("tests/data/conformance-baseline.txt is committed");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let file = parts.next().expect("file name").to_string();
            let passed = parts
                .next()
                .and_then(|n| n.parse().ok())
                .expect("pass count");
            (file, passed)
        })
        .collect()
}

#[test]
fn corpus_pass_counts_do_not_drop_below_baseline() {
    let Some(dir) = corpus_dir() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "PROMQLTEST_DIR is not set and ../shared/conformance/promqltest is missing; CI must provide the corpus"
        );
        eprintln!("skipping: no PromQL corpus (set PROMQLTEST_DIR)");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .test files in {}", dir.display());
    let baseline = baseline();
    let mut regressions = Vec::new();
    let (mut total_passed, mut total) = (0, 0);
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let report = promgate::promqltest::run_file(path);
        let (passed, failed) = (report.passed(), report.failed());
        total_passed += passed;
        total += passed + failed;
        println!("{name:32} {passed:5} passed {failed:5} failed");
        let floor = baseline.get(&name).copied().unwrap_or(0);
        if passed < floor {
            regressions.push(format!("{name}: {passed} passed, baseline {floor}"));
        }
    }
    println!(
        "total: {total_passed} passed, {} failed",
        total - total_passed
    );
    assert!(
        regressions.is_empty(),
        "conformance regressions:\n{}",
        regressions.join("\n")
    );
}
