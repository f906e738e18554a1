//! Deep nesting ends in an error, not a stack overflow, and nesting up to the limit parses.

use promgate::promql::{ParseErrorKind, ParseOptions, parse, parse_with};

fn too_deep(input: &str) {
    let error = parse(input).expect_err("too deep");
    assert!(
        matches!(error.kind, ParseErrorKind::TooDeep { limit: 200 }),
        "{}",
        error.prometheus_message()
    );
}

#[test]
fn hundred_thousand_open_parentheses() {
    too_deep(&"(".repeat(100_000));
}

#[test]
fn hundred_thousand_nested_parentheses() {
    too_deep(&format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000)));
}

#[test]
fn long_operator_chains() {
    too_deep(&"-".repeat(100_000));
    too_deep(&format!("1{}", " + 1".repeat(100_000)));
    too_deep(&format!("2{}", " ^ 2".repeat(100_000)));
    too_deep(&format!("{}x", "sum(".repeat(100_000)));
    too_deep(&format!("x{}", "[1m:]".repeat(100_000)));
    too_deep(&format!("foo[{}1m]", "(".repeat(100_000)));
    too_deep(&format!("foo[1m{}]", " + 1m".repeat(100_000)));
    too_deep(&format!("foo offset {}1m", "(".repeat(100_000)));
}

#[test]
fn nesting_up_to_the_limit_parses() {
    // The deepest tree accepted has max_depth levels: 199 parentheses around a number.
    let input = format!("{}1{}", "(".repeat(199), ")".repeat(199));
    let expr = parse(&input).expect("199 levels");
    assert_eq!(expr.to_string(), input);
    let input = format!("{}1{}", "(".repeat(200), ")".repeat(200));
    too_deep(&input);
}

#[test]
fn the_limit_is_an_option() {
    let options = ParseOptions {
        max_depth: 1000,
        ..ParseOptions::default()
    };
    // Run on a thread with an explicit stack, as a service parsing untrusted input with a
    // raised limit would.
    let input = format!("{}1{}", "(".repeat(999), ")".repeat(999));
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || parse_with(&input, &options).map(|_| ()))
        .expect("thread")
        .join()
        .expect("no panic")
        .expect("999 levels parse");
}
