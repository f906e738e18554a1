//! The rule repository's tests: the promtool unit tests, and snapshots of what the rules do
//! over a fixture. After changing a rule, `cargo insta review` shows what changed.

/// Every promtool test file passes, as `promtool test rules tests/*_test.yml` would say.
#[test]
fn promtool_unit_tests() {
    promgate::assert_rule_tests!("tests/*_test.yml");
}

/// Every recorded series and every pending or firing alert, over the outage.
#[test]
fn api_rules_during_an_outage() {
    promgate::assert_rules_snapshot!(
        "rules/*.yml",
        "tests/fixtures/outage.yml",
        ["5m", "12m", "16m", "20m"]
    );
}

/// One expression over the same data: which jobs would page.
#[test]
fn jobs_over_the_error_budget() {
    promgate::assert_expr_snapshot!(
        "rules/*.yml",
        "tests/fixtures/outage.yml",
        "job:http_errors:ratio5m > 0.05",
        ["10m", "15m", "20m"]
    );
}
