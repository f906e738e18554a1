//! The explanation engine over a folder of small cases (`tests/data/explain/*.txt`): a `load`
//! block, optional `record <interval> <name> = <expr>` rules, and `eval <time>` with the
//! expression on the next line. Each snapshot holds the one-line reason and the tree.

use promgate::explain::{ExplainOptions, explain};
use promgate::fixture::{LoadOptions, load_block};
use promgate::rules::{GroupEvaluator, RuleEvalOptions, RuleFile, RuleLoadOptions};
use promgate::{Store, parse, parse_duration};

struct Case {
    store: Store,
    rules_yaml: String,
    at: i64,
    expr: String,
}

fn read_case(text: &str) -> Case {
    let mut store = Store::new();
    let mut rules_yaml = String::from("groups:\n");
    let mut lines = text.lines().enumerate().peekable();
    let mut at = None;
    let mut expr = None;
    while let Some((_, line)) = lines.next() {
        if let Some(step) = line.strip_prefix("load ") {
            let step = parse_duration(step.trim()).unwrap();
            let mut block = Vec::new();
            while let Some((n, l)) = lines.peek() {
                if !l.starts_with("  ") {
                    break;
                }
                block.push((n + 1, l.trim()));
                lines.next();
            }
            load_block(&mut store, step, &block, &LoadOptions::default()).unwrap();
        } else if let Some(rule) = line.strip_prefix("record ") {
            let (interval, rest) = rule.split_once(' ').unwrap();
            let (name, rule_expr) = rest.split_once(" = ").unwrap();
            rules_yaml.push_str(&format!(
                "- name: {name}\n  interval: {interval}\n  rules:\n  - record: {name}\n    expr: '{rule_expr}'\n"
            ));
        } else if let Some(t) = line.strip_prefix("eval ") {
            at = Some(parse_duration(t.trim()).unwrap());
            expr = lines.next().map(|(_, l)| l.trim().to_string());
        }
    }
    Case {
        store,
        rules_yaml,
        at: at.expect("an eval line"),
        expr: expr.expect("an expression after eval"),
    }
}

#[test]
fn explanations_match_snapshots() {
    insta::glob!("../data/explain", "*.txt", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let Case {
            mut store,
            rules_yaml,
            at,
            expr,
        } = read_case(&text);
        let file = RuleFile::parse("rules.yml", &rules_yaml, &RuleLoadOptions::default()).unwrap();
        let mut rules = GroupEvaluator::new(file.groups.clone(), RuleEvalOptions::default());
        let mut t = 0;
        while t <= at && file.rule_count() > 0 {
            rules.eval_due(&mut store, t, 0, 60_000);
            t += 60_000;
        }
        let options = ExplainOptions {
            rules: &file.groups,
            ..ExplainOptions::default()
        };
        let explanation = explain(&store, &parse(&expr).unwrap(), at, &options);
        let reason = explanation.reason().unwrap_or_else(|| "(none)".to_string());
        insta::assert_snapshot!(format!("why: {reason}\n\n{explanation}"));
    });
}

#[test]
fn the_json_form_names_each_finding() {
    let case =
        read_case(&std::fs::read_to_string("tests/data/explain/binary_no_match.txt").unwrap());
    let e = explain(
        &case.store,
        &parse(&case.expr).unwrap(),
        case.at,
        &ExplainOptions::default(),
    );
    let json = serde_json::to_value(&e).unwrap();
    let finding = &json["root"]["findings"][0];
    assert_eq!(finding["kind"], "no_matching_labels");
    assert_eq!(finding["suggestions"][0]["modifier"], "on(job)");
    assert_eq!(json["root"]["result"]["type"], "series");
}

#[test]
fn a_non_empty_result_has_no_reason() {
    let case = read_case("load 1m\n  up 1x5\neval 2m\n  up\n");
    let e = explain(
        &case.store,
        &parse(&case.expr).unwrap(),
        case.at,
        &ExplainOptions::default(),
    );
    assert_eq!(e.reason(), None);
    assert!(e.findings().is_empty());
}

#[test]
fn large_expressions_stop_at_the_node_limit() {
    // A balanced sum of 512 selectors: 1023 nodes.
    fn balanced(from: usize, count: usize) -> String {
        match count {
            1 => format!("m{from}"),
            _ => format!(
                "({} + {})",
                balanced(from, count / 2),
                balanced(from + count / 2, count / 2)
            ),
        }
    }
    let expr = parse(&balanced(0, 512)).unwrap();
    let e = explain(&Store::new(), &expr, 0, &ExplainOptions::default());
    let mut evaluated = 0;
    let mut skipped = 0;
    e.root.walk(&mut |n| match n.result {
        promgate::explain::NodeResult::Skipped => skipped += 1,
        _ => evaluated += 1,
    });
    assert_eq!(evaluated, promgate::explain::MAX_NODES);
    assert!(skipped > 0);
    assert!(e.reason().unwrap().starts_with("no series matches `m0`"));
}
