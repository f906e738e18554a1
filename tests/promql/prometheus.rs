//! Prometheus's own parser and printer test cases (from `parse_test.go` and `printer_test.go`
//! of Prometheus 3.14), kept as data in `tests/data/promql/`.

use promgate::promql::{ParseOptions, parse_with};

/// The options of Prometheus's parser tests, plus fill modifiers (its printer tests use them).
fn options() -> ParseOptions {
    ParseOptions::all_features()
}

fn data(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/promql")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
}

#[test]
fn prometheus_valid_expressions_parse_and_format_idempotently() {
    let text = data("prometheus_valid.txt");
    let mut failures = Vec::new();
    let mut count = 0;
    for input in lines(&text) {
        count += 1;
        let formatted = match parse_with(input, &options()) {
            Ok(expr) => expr.to_string(),
            Err(error) => {
                failures.push(format!("{input}\n{error}"));
                continue;
            }
        };
        match parse_with(&formatted, &options()) {
            Ok(again) if again.to_string() == formatted => {}
            Ok(again) => failures.push(format!(
                "{input}\n  formats as {formatted}\n  then as {again}"
            )),
            Err(error) => failures.push(format!(
                "{input}\n  formats as {formatted}, which fails:\n{error}"
            )),
        }
    }
    assert!(count > 200, "too few cases: {count}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn canonical_form_matches_prometheus_printer() {
    let text = data("prometheus_printer.tsv");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in lines(&text) {
        let (input, want) = line.split_once('\t').expect("input<TAB>output");
        count += 1;
        match parse_with(input, &options()) {
            Ok(expr) if expr.to_string() == want => {}
            Ok(expr) => failures.push(format!("{input}\n  got  {expr}\n  want {want}")),
            Err(error) => failures.push(format!("{input}\n{error}")),
        }
    }
    assert!(count > 80, "too few cases: {count}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
