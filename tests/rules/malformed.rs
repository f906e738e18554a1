//! The malformed-input corpus for rule files, promtool test files, alert templates and gates
//! files (`tests/data/malformed/{rules,unittest,template,gates}/`): every file is rejected, and
//! its located message is snapshotted.

use promgate::decision::GatePlan;
use promgate::rules::{RuleFile, RuleLoadOptions};
use promgate::template::{AlertTemplate, TemplateDialect};
use promgate::unittest::{MemoryLoader, TestOptions, run_file};

#[test]
fn malformed_rule_files_are_rejected_with_a_located_message() {
    insta::glob!("../data/malformed/rules", "*.yml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let message = match RuleFile::parse(&name, &text, &RuleLoadOptions::default()) {
            Ok(file) => panic!("{name} loads: {} groups", file.groups.len()),
            Err(error) => error.to_string(),
        };
        insta::assert_snapshot!(message);
    });
}

#[test]
fn malformed_test_files_fail_with_a_located_message() {
    insta::glob!("../data/malformed/unittest", "*.yml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let loader = MemoryLoader::new([("r.yml", "groups: []")]);
        let options = TestOptions {
            jobs: 1,
            ..TestOptions::default()
        };
        let report = run_file(&name, &text, &loader, &options);
        assert!(!report.is_success(), "{name} passes");
        let (stdout, stderr) = report.promtool_output();
        insta::assert_snapshot!(format!("{stdout}{stderr}"));
    });
}

#[test]
fn malformed_templates_are_rejected_with_a_located_message() {
    insta::glob!("../data/malformed/template", "*.tmpl", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let message = match AlertTemplate::parse("T", &text, TemplateDialect::Prometheus2) {
            Ok(_) => panic!("{name} parses"),
            Err(error) => error.to_string(),
        };
        insta::assert_snapshot!(message);
    });
}

#[test]
fn malformed_gates_files_are_rejected_with_a_located_message() {
    insta::glob!("../data/malformed/gates", "*.yml", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let message = match GatePlan::parse(&name, &text) {
            Ok(plan) => panic!("{name} parses: {plan:?}"),
            Err(error) => error.to_string(),
        };
        insta::assert_snapshot!(message);
    });
}
