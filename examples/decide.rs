//! How another tool makes a GO/NO-GO decision with promgate: load a promtool test group as
//! the data, run the rules that record the gates' inputs, evaluate the gates, act on the
//! verdict.
//!
//! ```sh
//! cargo run --example decide
//! ```

use promgate::decision::{GatePlan, StoreSource, Verdict};
use promgate::eval::Semantics;
use promgate::rules::{GroupEvaluator, RuleEvalOptions, RuleFile, RuleLoadOptions};
use promgate::unittest::{GroupSelector, load_test_group};

const RULES: &str = r#"
groups:
  - name: canary
    interval: 1m
    rules:
      - record: canary:error_ratio:rate5m
        expr: |
          sum(rate(requests_total{code=~"5.."}[5m]) or rate(requests_total[5m]) * 0)
            / sum(rate(requests_total[5m]))
"#;

const DATA: &str = r#"
tests:
  - interval: 1m
    input_series:
      - series: 'requests_total{code="200"}'
        values: '0+990x30'
      - series: 'requests_total{code="500"}'
        values: '0+10x30'
"#;

const GATES: &str = r#"
gates:
  - name: error_ratio
    expr: canary:error_ratio:rate5m
    op: "<="
    threshold: 0.05
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let fixture = load_test_group(DATA, GroupSelector::First, Semantics::Prometheus3)?;
    let rules = RuleFile::parse("rules.yml", RULES, &RuleLoadOptions::default())?;
    let plan = GatePlan::parse("gates.yml", GATES)?;

    // Evaluate the rules every minute for 20 minutes, as Prometheus would.
    let mut store = fixture.store;
    let mut evaluator = GroupEvaluator::new(rules.groups, RuleEvalOptions::default());
    for minute in 0..=20 {
        let errors = evaluator.eval_due(&mut store, minute * 60_000, 0, 60_000);
        assert!(errors.is_empty(), "{errors:?}");
    }

    let decision = plan.decide(&StoreSource::new(&store), 20 * 60_000)?;
    for check in &decision.checks {
        println!("{}: {} ({})", check.gate, check.status, check.reason);
    }
    println!("verdict: {}", decision.verdict);
    std::process::exit(if decision.verdict == Verdict::Go {
        0
    } else {
        1
    });
}
