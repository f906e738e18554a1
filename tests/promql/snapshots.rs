//! Snapshots of the parser's output over `tests/data/promql/{ok,err}/*.promql`.
//!
//! Each line of a data file is one case; a line starting with `|` continues the case above it on
//! a new line. Lines starting with `#` are comments, and `# options: all` (or `default`) picks
//! the parser options for the rest of the file; the default is a stock Prometheus 3.14 server.
//!
//! For `ok` files the snapshot shows each expression, its canonical form and its tree; for `err`
//! files, the rendered error and Prometheus's one-line form. In CI (`CI=true`) insta does not
//! write snapshots; review new ones with `cargo insta review` and commit them.

use std::fmt::Write as _;

use promgate::promql::{ParseOptions, parse_with};

/// The cases of a data file, each with the options it is parsed with.
fn cases(text: &str) -> Vec<(String, ParseOptions)> {
    let mut options = ParseOptions::default();
    let mut cases: Vec<(String, ParseOptions)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("# options:") {
            options = match name.trim() {
                "all" => ParseOptions::all_features(),
                "default" => ParseOptions::default(),
                other => panic!("unknown options {other:?}"),
            };
        } else if line.starts_with('#') || line.is_empty() {
            continue;
        } else if let Some(rest) = line.strip_prefix('|') {
            let last = cases.last_mut().expect("a case to continue");
            last.0.push('\n');
            last.0.push_str(rest);
        } else {
            cases.push((line.to_string(), options.clone()));
        }
    }
    cases
}

#[test]
fn valid_expressions() {
    insta::glob!("..", "data/promql/ok/*.promql", |path| {
        let text = std::fs::read_to_string(path).expect("read data file");
        let mut out = String::new();
        for (input, options) in cases(&text) {
            let expr = match parse_with(&input, &options) {
                Ok(expr) => expr,
                Err(error) => panic!("{input:?} does not parse:\n{error}"),
            };
            let printed = expr.to_string();
            writeln!(out, "input:     {input}").unwrap();
            writeln!(out, "canonical: {printed}").unwrap();
            writeln!(out, "{expr:#?}\n").unwrap();
        }
        insta::assert_snapshot!(out);
    });
}

#[test]
fn invalid_expressions() {
    insta::glob!("..", "data/promql/err/*.promql", |path| {
        let text = std::fs::read_to_string(path).expect("read data file");
        let mut out = String::new();
        for (input, options) in cases(&text) {
            let error = match parse_with(&input, &options) {
                Ok(expr) => panic!("{input:?} parses as {expr}"),
                Err(error) => error,
            };
            writeln!(out, "input: {input}").unwrap();
            writeln!(out, "{error}").unwrap();
            writeln!(out, "prometheus: {}\n", error.prometheus_message()).unwrap();
        }
        insta::assert_snapshot!(out);
    });
}
