//! The checks behind the fuzz targets, one function per input format. Each takes the fuzzer's
//! bytes and panics when an invariant breaks: a parser or evaluator panicking, a printed
//! expression that does not parse back to itself, a loader exceeding its limits.
//!
//! The fuzz targets (`fuzz_targets/*.rs`) call these functions; the main crate's tests include
//! this file (`tests/fixture/fuzz_regressions.rs`) and replay every committed crash input and
//! seed through them on stable Rust, so a fixed crash stays fixed.

use promgate::Labels;
use promgate::decision::GatePlan;
use promgate::eval::{Engine, EngineOptions};
use promgate::fixture::{LoadOptions, NotationOptions, load_block, parse_series_line_with};
use promgate::promql::{ParseOptions, parse_with};
use promgate::promqltest::{Command, parse_script};
use promgate::rules::{RuleFile, RuleLoadOptions};
use promgate::store::{Store, StoreLimits};
use promgate::template::{AlertData, AlertTemplate, QuerySample, TemplateDialect, TemplateHost};
use promgate::unittest::{MemoryLoader, TestFile, TestOptions, run_file};
use std::collections::BTreeMap;

/// Limits small enough that one fuzz input stays well under a second and a few MB.
fn small_store() -> Store {
    Store::with_limits(StoreLimits {
        max_samples: 100_000,
        max_series: 1_000,
    })
}

/// Engine limits for fuzzing: every query is bounded in steps, samples and points.
fn small_engine() -> Engine {
    Engine::new(EngineOptions {
        max_samples: 100_000,
        max_steps: 20_000,
        max_points_per_series: 200,
        ..EngineOptions::default()
    })
}

/// A store with a few float and histogram series, for evaluating fuzzed expressions.
fn sample_store() -> Store {
    let mut store = small_store();
    let lines = [
        (1, "up{job=\"a\",instance=\"1\"} 1 0 1 1 stale 1"),
        (2, "up{job=\"b\",instance=\"2\"} 0+1x5"),
        (3, "requests_total{code=\"200\"} 0+10x5"),
        (4, "requests_total{code=\"500\"} 0+1x2 0 1"),
        (5, "latency_bucket{le=\"0.1\"} 0+1x5"),
        (6, "latency_bucket{le=\"+Inf\"} 0+2x5"),
        (
            7,
            "hist {{schema:0 count:4 sum:3 buckets:[1 2 1]}}+{{count:2 buckets:[1 1]}}x5",
        ),
    ];
    load_block(&mut store, 60_000, &lines, &LoadOptions::default())
        .expect("the sample store loads");
    store
}

/// PromQL: parse with every feature; what parses prints, and the print parses back to the
/// same print (and the same tree shape); the expression evaluates without panicking within
/// small limits, as an instant and as a range query.
pub fn promql(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = ParseOptions::all_features();
    let Ok(expr) = parse_with(text, &options) else {
        return;
    };
    let printed = expr.to_string();
    let reparsed = match parse_with(&printed, &options) {
        Ok(e) => e,
        Err(err) => panic!("{text:?} printed as {printed:?}, which does not parse: {err}"),
    };
    let reprinted = reparsed.to_string();
    assert_eq!(printed, reprinted, "printing is not stable for {text:?}");
    let store = sample_store();
    let engine = small_engine();
    let _ = engine.instant_query(&store, &expr, 240_000);
    let _ = engine.range_query(&store, &expr, 0, 300_000, 30_000);
}

/// Series notation: a line parses or fails with an error; a parsed line's values stay within
/// the limit it was given.
pub fn series_notation(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let options = NotationOptions {
        max_values: 10_000,
        ..NotationOptions::default()
    };
    if let Ok((_, values)) = parse_series_line_with(text, &options) {
        assert!(
            values.len() <= 10_000,
            "{} values for {text:?}",
            values.len()
        );
    }
    let mut store = small_store();
    let _ = load_block(&mut store, 60_000, &[(1, text)], &LoadOptions::default());
    assert!(store.num_samples() <= 100_000);
}

/// promqltest scripts: the script parses or fails with an error; its load blocks load into a
/// small store or fail with an error.
pub fn promqltest(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(script) = parse_script("fuzz.test", text) else {
        return;
    };
    let mut store = small_store();
    for command in &script.commands {
        if let Command::Load {
            interval,
            nhcb,
            body,
            ..
        } = command
        {
            let lines: Vec<(usize, &str)> = body.iter().map(|(n, l)| (*n, l.as_str())).collect();
            let options = LoadOptions {
                nhcb: *nhcb,
                ..LoadOptions::default()
            };
            let _ = load_block(&mut store, *interval, &lines, &options);
            assert!(store.num_samples() <= 100_000);
        }
    }
}

/// Rule files: decode and validate (YAML, PromQL, templates).
pub fn rule_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = RuleFile::parse("fuzz.yml", text, &RuleLoadOptions::default());
}

/// promtool test files: the runner decodes and runs the file. A file naming rule files gets
/// them from memory (one small recording rule), so only the test file is fuzzed. Files whose
/// run could be long (evaluation times past a day) are only decoded.
pub fn test_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Every input is decoded; it is also run when its evaluation is short. The runner
    // evaluates the rules at every interval up to the largest eval_time, so a few bytes
    // (`eval_time: 1000d`, `interval: 1ms`) can ask for hours of honest work.
    let Ok(file) = promgate::yaml::from_str::<TestFile>(text) else {
        return;
    };
    if !short_enough(&file) {
        return;
    }
    let loader = MemoryLoader::new([(
        "rules.yml",
        "groups: [{name: g, rules: [{record: r, expr: 'sum(up)'}, {alert: A, expr: 'r > 1', for: 1m}]}]",
    )]);
    let options = TestOptions {
        jobs: 1,
        ..TestOptions::default()
    };
    let _ = run_file("fuzz.yml", text, &loader, &options);
}

/// At most 20,000 evaluation steps per group, and no series notation asking for more than
/// 100,000 values (the loader's own limit is 50 million: bounded, but slow for a fuzzer).
fn short_enough(file: &TestFile) -> bool {
    let duration = |d: &Option<promgate::yaml::Spanned<String>>, default: i64| match d {
        None => Some(default),
        Some(d) => promgate::syntax::lex::parse_duration(&d.value).ok(),
    };
    let Some(evaluation) = duration(&file.evaluation_interval, 60_000) else {
        return true;
    };
    let evaluation = evaluation.max(1);
    file.tests.iter().all(|g| {
        let g = &g.value;
        let times = g
            .alert_rule_test
            .iter()
            .map(|c| &c.value.eval_time)
            .chain(g.promql_expr_test.iter().map(|c| &c.value.eval_time));
        let end = times.filter_map(|t| duration(t, 0)).max().unwrap_or(0);
        let values_ok = g.input_series.iter().all(|s| {
            s.value
                .values
                .value
                .split(|c: char| !c.is_ascii_digit())
                .all(|digits| digits.len() <= 5)
        });
        values_ok && end / evaluation <= 20_000
    })
}

struct NoQueries;

impl TemplateHost for NoQueries {
    fn query(&self, _: &str) -> Result<Vec<QuerySample>, String> {
        Ok(Vec::new())
    }
    fn now_ms(&self) -> i64 {
        0
    }
}

/// Alert templates (Go's text/template as Prometheus uses it): parse in both dialects and
/// expand what parses.
pub fn template(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let labels = Labels::from_pairs([("alertname", "A"), ("instance", "host:9090")]);
    let external = BTreeMap::from([("cluster".to_string(), "c".to_string())]);
    let alert = AlertData {
        labels: &labels,
        external_labels: &external,
        external_url: "http://x",
        value: 1.5,
    };
    for dialect in [TemplateDialect::Prometheus2, TemplateDialect::Prometheus3] {
        if let Ok(t) = AlertTemplate::parse("Fuzz", text, dialect) {
            let _ = t.expand(&alert, &NoQueries);
        }
    }
}

/// Gates files: decode and validate.
pub fn gates(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = GatePlan::parse("gates.yml", text);
}

/// The checks by target name, for replaying committed inputs.
pub fn check(target: &str) -> Option<fn(&[u8])> {
    Some(match target {
        "promql" => promql,
        "series_notation" => series_notation,
        "promqltest" => promqltest,
        "rule_file" => rule_file,
        "test_file" => test_file,
        "template" => template,
        "gates" => gates,
        _ => return None,
    })
}
