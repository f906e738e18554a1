//! The malformed-input corpus for PromQL (`tests/data/malformed/promql/`): every file is
//! rejected, and its located message is snapshotted.

use promgate::promql::parse;

#[test]
fn malformed_promql_is_rejected_with_a_located_message() {
    insta::glob!("../data/malformed/promql", "*.promql", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let message = match parse(&text) {
            Ok(expr) => panic!("{} parses as {expr}", path.display()),
            Err(error) => error.to_string(),
        };
        insta::assert_snapshot!(message);
    });
}
