//! Every expression in Prometheus's PromQL test scripts parses with the options of the test
//! engine, and a list of invalid expressions is rejected with the expected messages.
//!
//! The scripts are read from `PROMQLTEST_DIR` (CI sets it to the conformance corpus); they are
//! not copied into this repository.

use crate::common::corpus;

use promgate::promql::{ParseOptions, parse_with};

/// Expressions of the corpus that are expected not to parse, with the reason for each.
const EXCLUDED: &[(&str, &str)] = &[];

#[test]
fn corpus_expressions_parse() {
    let Some(dir) = corpus::corpus_dir() else {
        if std::env::var_os("CI").is_some() {
            panic!("PROMQLTEST_DIR is not set; CI must point it at the promqltest corpus");
        }
        eprintln!("skipping the promqltest corpus: set PROMQLTEST_DIR to run it");
        return;
    };
    let corpus =
        corpus::read_corpus(&dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    assert!(
        !corpus.is_empty(),
        "no eval lines found in {}",
        dir.display()
    );
    let options = ParseOptions::all_features();
    let mut failures = Vec::new();
    let mut excluded = 0;
    for case in &corpus {
        if EXCLUDED.iter().any(|(expr, _)| *expr == case.expr) {
            excluded += 1;
            continue;
        }
        if let Err(error) = parse_with(&case.expr, &options) {
            failures.push(format!(
                "{}:{}: {}\n{error}",
                case.file, case.line, case.expr
            ));
        }
    }
    let parsed = corpus.len() - excluded - failures.len();
    eprintln!(
        "promqltest corpus: {parsed} of {} expressions parsed, {excluded} excluded, {} failed",
        corpus.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
