//! `check rules`: one bad file per validation, with snapshots of the located messages.

use promgate::eval::Semantics;
use promgate::rules::{RuleFile, RuleLoadOptions};

fn load(path: &std::path::Path, semantics: Semantics) -> Result<RuleFile, String> {
    let text = std::fs::read_to_string(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let options = RuleLoadOptions {
        semantics,
        ..RuleLoadOptions::default()
    };
    RuleFile::parse(&name, &text, &options).map_err(|e| e.render())
}

#[test]
fn bad_rule_files_report_located_problems() {
    insta::glob!("../data/rules/err", "*.yml", |path| {
        let rendered = load(path, Semantics::Prometheus3).expect_err("a bad file must fail");
        insta::assert_snapshot!(rendered);
    });
}

#[test]
fn good_rule_files_load() {
    for path in super::yaml_files("rules/ok") {
        let file = load(&path, Semantics::Prometheus3).unwrap_or_else(|e| panic!("{e}"));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match name.as_str() {
            "operator_manifest.yml" => {
                assert!(file.operator_manifest);
                assert_eq!(file.rule_count(), 2);
            }
            "duplicates.yml" => {
                let lint = file.duplicate_rules().expect("duplicates found");
                assert_eq!(
                    lint.to_string(),
                    "lint error 1 duplicate rule(s) found.\nMetric: r\nLabel(s):\n\tx: 1\nMight cause inconsistency while recording expressions"
                );
            }
            "scalars_as_strings.yml" => {
                let rule = &file.groups[0].rules[0];
                assert_eq!(rule.labels.get("code"), Some("500"));
                assert_eq!(rule.labels.get("f"), Some("1.50"));
                assert_eq!(rule.labels.get("flag"), Some("true"));
                assert_eq!(file.groups[0].interval, Some(30_000));
                assert_eq!(file.groups[0].limit, 10);
            }
            "empty.yml" => assert_eq!(file.rule_count(), 0),
            other => panic!("no expectations for {other}"),
        }
    }
}

#[test]
fn prometheus3_accepts_utf8_names_that_2_42_rejects() {
    let path = super::data("rules/err/every_rule_check.yml");
    let v3 = load(&path, Semantics::Prometheus3).unwrap_err();
    let v2 = load(&path, Semantics::Prometheus2).unwrap_err();
    assert!(
        !v3.contains("invalid recording rule name: bad-name"),
        "{v3}"
    );
    assert!(v2.contains("invalid recording rule name: bad-name"), "{v2}");
    assert!(v3.contains("invalid label name: __name__"));
    assert!(v3.contains("0:0: 0:0: group \"g\", rule 2"));
    assert!(v2.contains(": 0:0: group \"g\", rule 2"));
}

#[test]
fn group_labels_and_query_offset_are_prometheus3_only() {
    let text = "groups:\n  - name: g\n    labels: {team: a}\n    query_offset: 1m\n    rules:\n      - record: r\n        expr: up\n        labels: {x: y}\n";
    let v3 = RuleFile::parse("g.yml", text, &RuleLoadOptions::default()).unwrap();
    assert_eq!(v3.groups[0].query_offset, Some(60_000));
    assert_eq!(
        v3.groups[0].rules[0].labels.to_string(),
        r#"{team="a", x="y"}"#
    );
    let options = RuleLoadOptions {
        semantics: Semantics::Prometheus2,
        ..RuleLoadOptions::default()
    };
    assert!(RuleFile::parse("g.yml", text, &options).is_err());
}

#[test]
fn cli_exit_codes_follow_promtool() {
    let bin = env!("CARGO_BIN_EXE_promgate");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .args(args)
            .output()
            .unwrap()
            .status
            .code()
    };
    let ok = super::data("rules/ok/scalars_as_strings.yml");
    let dup = super::data("rules/ok/duplicates.yml");
    let bad = super::data("rules/err/bad_duration.yml");
    let (ok, dup, bad) = (
        ok.to_str().unwrap(),
        dup.to_str().unwrap(),
        bad.to_str().unwrap(),
    );
    assert_eq!(run(&["check", "rules", ok]), Some(0));
    assert_eq!(run(&["check", "rules", dup]), Some(0));
    assert_eq!(run(&["check", "rules", "--lint-fatal", dup]), Some(3));
    assert_eq!(
        run(&["check", "rules", "--lint=none", "--lint-fatal", dup]),
        Some(0)
    );
    assert_eq!(run(&["check", "rules", "--lint-fatal", dup, bad]), Some(1));
    assert_eq!(run(&["check", "rules", "/nonexistent.yml"]), Some(1));
}
