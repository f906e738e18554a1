//! Our own promqltest-format scripts for the evaluator (`tests/data/eval/*.test`): every eval in
//! them must pass.

use std::path::Path;

#[test]
fn evaluator_scripts_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eval");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/eval exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for path in files {
        let report = promgate::promqltest::run_file(&path);
        if let Some(fatal) = &report.fatal {
            failures.push(format!("{}: {fatal}", report.name));
        }
        for eval in &report.evals {
            if let Some(why) = &eval.failure {
                failures.push(format!(
                    "{}:{}: {}: {why}",
                    report.name, eval.line, eval.query
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "failing evals:\n{}",
        failures.join("\n")
    );
}
