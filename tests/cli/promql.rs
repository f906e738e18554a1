//! `promgate promql fmt` and `promgate promql ast`, run as the real binary.

use super::{promgate, stderr, stdout};

#[test]
fn fmt_prints_the_canonical_form() {
    let output = promgate(&[
        "promql",
        "fmt",
        "sum(rate(x[300]))by(job)>bool on()group_left vector(1)",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "sum by (job) (rate(x[5m])) > bool on () group_left () vector(1)\n"
    );
}

#[test]
fn fmt_accepts_an_expression_starting_with_a_minus() {
    let output = promgate(&["promql", "fmt", "-2^2"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "-2 ^ 2\n");
}

#[test]
fn fmt_reports_an_invalid_expression_with_a_caret() {
    let output = promgate(&["promql", "fmt", "sum(rate(x[5m])"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    let err = stderr(&output);
    assert!(
        err.starts_with("1:16: unclosed left parenthesis\n"),
        "{err}"
    );
    assert!(err.contains("1 | sum(rate(x[5m])\n"), "{err}");
    assert!(err.contains("  |                ^\n"), "{err}");
}

#[test]
fn experimental_syntax_needs_the_flag() {
    let output = promgate(&["promql", "fmt", "increase(x[1m] anchored)"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("anchored modifier is experimental and not enabled"));
    let output = promgate(&[
        "promql",
        "fmt",
        "--experimental",
        "increase(x[1m] anchored)",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "increase(x[1m] anchored)\n");
}

#[test]
fn ast_prints_the_tree() {
    let output = promgate(&["promql", "ast", "a + on(b) group_left c"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("kind: Binary("), "{out}");
    assert!(out.contains("card: ManyToOne"), "{out}");
    assert!(out.contains("span: @0..22"), "{out}");
}

#[test]
fn fmt_formats_the_bundled_expressions_file() {
    let output = promgate(&["promql", "fmt", "--file", "testdata/expressions.promql"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let input = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/expressions.promql"),
    )
    .expect("read testdata");
    let out = stdout(&output);
    assert_eq!(out.lines().count(), input.lines().count());
    assert!(out.contains("sum(increase(deploy_failures_total[1h])) or on () vector(0)\n"));
    // Formatting is idempotent: every formatted line formats to itself.
    for line in out.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let again = promgate(&["promql", "fmt", line]);
        assert_eq!(stdout(&again).trim_end(), line);
    }
}

#[test]
fn fmt_file_reports_invalid_lines_with_their_file_position() {
    let dir = std::env::temp_dir().join(format!("promgate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad.promql");
    std::fs::write(&path, "up\n# comment\nrate(x[5m]\n").expect("write");
    let output = promgate(&[
        "promql",
        "fmt",
        "--file",
        path.to_str().expect("utf-8 path"),
    ]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("bad.promql:3:11: unclosed left parenthesis"),
        "{err}"
    );
    assert!(err.contains("3 | rate(x[5m]"), "{err}");
    assert_eq!(stdout(&output), "up\n# comment\nrate(x[5m]\n");
}
