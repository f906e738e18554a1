//! Invalid expressions are rejected with the expected messages.
//!
//! `tests/data/promql/invalid.txt` holds the cases, one block each, blocks separated by blank
//! lines:
//!
//! ```text
//! // A comment.
//! options: default
//! foo{
//! => 1:5: parse error: unexpected end of input inside braces
//! ```
//!
//! The line after `=>` is Prometheus's one-line form of the error, as promtool prints it. An
//! `options:` line picks the parser options for the following blocks: `prometheus-tests` (the
//! options of Prometheus's own parser tests, the default here: experimental functions, duration
//! expressions and extended range selectors on), `default` or `all`.

use promgate::promql::{ParseOptions, parse_with};

fn prometheus_test_options() -> ParseOptions {
    ParseOptions {
        binop_fill_modifiers: false,
        ..ParseOptions::all_features()
    }
}

#[test]
fn invalid_expressions_are_rejected_with_their_messages() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/promql/invalid.txt");
    let text = std::fs::read_to_string(path).expect("read invalid.txt");
    let mut options = prometheus_test_options();
    let mut failures = Vec::new();
    let mut cases = 0;
    for block in text.split("\n\n") {
        let mut input = None;
        let mut expected = None;
        for line in block.lines() {
            if line.starts_with("//") {
                continue;
            }
            if let Some(name) = line.strip_prefix("options: ") {
                options = match name.trim() {
                    "default" => ParseOptions::default(),
                    "all" => ParseOptions::all_features(),
                    "prometheus-tests" => prometheus_test_options(),
                    other => panic!("unknown options {other:?}"),
                };
                continue;
            }
            match line.strip_prefix("=> ") {
                Some(message) => expected = Some(message),
                None => input = Some(line),
            }
        }
        let (Some(input), Some(expected)) = (input, expected) else {
            continue;
        };
        cases += 1;
        match parse_with(input, &options) {
            Ok(expr) => failures.push(format!(
                "{input}\n  parsed as {expr}\n  expected {expected}"
            )),
            Err(error) if error.prometheus_message() != expected => failures.push(format!(
                "{input}\n  got      {}\n  expected {expected}",
                error.prometheus_message()
            )),
            Err(_) => {}
        }
    }
    eprintln!("{cases} invalid expressions checked");
    assert!(cases > 100, "too few cases: {cases}");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
