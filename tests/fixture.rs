//! Tests of the series notation and fixture loading, driven by the cases in
//! `tests/data/fixture/*.txt` (one per line), plus round-trip properties and every `load` block
//! and expected-result line of the promqltest conformance corpus.

mod fixture_cases;

use fixture_cases::{Case, expansion, read_cases};
use promgate::Labels;
use promgate::fixture::{
    FixtureError, LoadOptions, NotationDialect, NotationOptions, SeriesValue,
    format_series_descriptor, format_series_values, load_block, parse_series_descriptor,
    parse_series_line_with,
};
use promgate::model::{BucketSpan, CounterResetHint, FloatHistogram, stale_nan};
use promgate::store::Store;
use proptest::prelude::*;
use std::sync::Arc;

fn options(dialect: NotationDialect) -> NotationOptions {
    NotationOptions {
        dialect,
        ..NotationOptions::default()
    }
}

/// What a case's input gives in `dialect`, in the notation of the case files.
fn actual_values(case: &Case, dialect: NotationDialect) -> String {
    match parse_series_line_with(&case.input, &options(dialect)) {
        Ok((_, values)) => expansion(&values),
        Err(err) => format!("! {err}"),
    }
}

fn check_all(file: &str, actual: impl Fn(&Case, NotationDialect) -> String) {
    let mut failures = Vec::new();
    let cases = read_cases(file);
    assert!(cases.len() > 10, "{file} has too few cases");
    for case in &cases {
        for dialect in case.dialects() {
            let got = actual(case, dialect);
            if got != case.expected {
                failures.push(format!(
                    "{file}:{} [{dialect:?}] {}\n    expected: {}\n    got:      {got}",
                    case.line, case.input, case.expected
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn values_expand_as_the_case_file_says() {
    check_all("values.txt", actual_values);
}

#[test]
fn descriptors_parse_as_the_case_file_says() {
    check_all("descriptors.txt", |case, dialect| {
        match parse_descriptor(&case.input, dialect) {
            Ok(labels) => labels.to_string(),
            Err(err) => format!("! {err}"),
        }
    });
}

/// The descriptor parser, or (for promtool 2.42) the line parser's metric part.
fn parse_descriptor(text: &str, dialect: NotationDialect) -> Result<Labels, FixtureError> {
    match dialect {
        NotationDialect::Prometheus3 => parse_series_descriptor(text),
        _ => parse_series_line_with(text, &options(dialect)).map(|(labels, _)| labels),
    }
}

/// Every error case, rendered with its line, caret, series and expectation.
#[test]
fn rendered_errors() {
    let mut out = String::new();
    for file in ["values.txt", "descriptors.txt"] {
        for case in read_cases(file)
            .iter()
            .filter(|c| c.expected.starts_with('!'))
        {
            let dialect = case.dialects()[0];
            let result = match file {
                "descriptors.txt" => parse_descriptor(&case.input, dialect).map(|_| ()),
                _ => parse_series_line_with(&case.input, &options(dialect)).map(|_| ()),
            };
            let err = match result {
                Err(FixtureError::Syntax(err)) => err,
                other => panic!(
                    "{file}:{}: expected a syntax error, got {other:?}",
                    case.line
                ),
            };
            out.push_str(&format!("── {file}:{} [{dialect:?}]\n", case.line));
            out.push_str(&err.render());
        }
    }
    insta::assert_snapshot!("rendered_errors", out);
}

#[test]
fn huge_repetitions_are_refused_before_allocating() {
    let err = parse_series_line_with("up{job=\"a\"} 1x99999999999", &NotationOptions::default())
        .unwrap_err();
    insta::assert_snapshot!("too_many_values", format!("{err}\n\n{}", render(&err)));
    let mut store = Store::new();
    let err = load_block(
        &mut store,
        60_000,
        &[
            (4, "ok 1 2"),
            (5, "up{job=\"a\"} _x99999999999 1x99999999999"),
        ],
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "5: series {__name__=\"up\", job=\"a\"}: 100000000000 more samples would exceed the limit of 50000000 samples (the store holds 2)"
    );
    assert_eq!(store.num_samples(), 0);
    // Gaps cost nothing when loading: only samples count.
    load_block(
        &mut store,
        1,
        &[(1, "up _x99999999999 1")],
        &LoadOptions::default(),
    )
    .unwrap();
    assert_eq!(store.num_samples(), 1);
}

fn render(err: &FixtureError) -> String {
    match err {
        FixtureError::Syntax(err) => err.render(),
        other => other.to_string(),
    }
}

/// Splits a promqltest script into its `load` blocks and the series lines of its `eval` blocks,
/// as `promqltest-format.md` §1 and §3 describe.
fn corpus_blocks(script: &str) -> Vec<(String, Vec<(usize, String)>)> {
    let lines: Vec<String> = script
        .split('\n')
        .map(|l| l.trim())
        .map(|l| if l.starts_with('#') { "" } else { l }.to_string())
        .collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let header = lines[i].clone();
        i += 1;
        if header.is_empty() {
            continue;
        }
        let mut body = Vec::new();
        while i < lines.len() && !lines[i].is_empty() {
            body.push((i + 1, lines[i].clone()));
            i += 1;
            if header.starts_with("eval") {
                let last = &body[body.len() - 1].1;
                let word = last.split_whitespace().next().unwrap_or("");
                let scalar = promgate::syntax::lex::parse_number(last).is_ok();
                if scalar || word == "expected_fail_message" || word == "expected_fail_regexp" {
                    break;
                }
            }
        }
        blocks.push((header, body));
    }
    blocks
}

/// Every load block of the conformance corpus loads, and every expected series line parses.
#[test]
fn conformance_corpus_fixtures_parse_and_load() {
    let Some(dir) = std::env::var_os("PROMQLTEST_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let default = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/conformance/promqltest");
            default.is_dir().then_some(default)
        })
    else {
        assert!(std::env::var_os("CI").is_none(), "CI needs PROMQLTEST_DIR");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .test files in {}", dir.display());
    let (mut loads, mut expected, mut failures) = (0, 0, Vec::new());
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let script = std::fs::read_to_string(file).unwrap();
        let mut store = Store::new();
        for (header, body) in corpus_blocks(&script) {
            let word = header
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_lowercase();
            if word == "clear" {
                store.clear();
            } else if word.starts_with("load") {
                let step = header.split_whitespace().nth(1).unwrap_or("");
                let step = promgate::syntax::lex::parse_duration(step).unwrap();
                let options = LoadOptions {
                    nhcb: word == "load_with_nhcb",
                    ..LoadOptions::default()
                };
                let lines: Vec<(usize, &str)> =
                    body.iter().map(|(n, l)| (*n, l.as_str())).collect();
                loads += 1;
                if let Err(err) = load_block(&mut store, step, &lines, &options) {
                    failures.push(format!("{name}: {err}"));
                }
            } else if word.starts_with("eval") {
                for (n, line) in &body {
                    let first = line.split_whitespace().next().unwrap_or("");
                    let not_series = ["expect", "expected_fail_message", "expected_fail_regexp"];
                    if not_series.contains(&first)
                        || promgate::syntax::lex::parse_number(line).is_ok()
                    {
                        continue;
                    }
                    expected += 1;
                    if let Err(err) = parse_series_line_with(line, &NotationOptions::default()) {
                        failures.push(format!("{name}:{n}: {line}: {err}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    assert!(loads >= 250, "only {loads} load blocks");
    assert!(expected > 1000, "only {expected} expected lines");
}

fn label_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9_]{0,8}",
        "\\PC{1,6}",
        Just("le".to_string()),
        Just("bool".to_string()),
    ]
}

fn labels() -> impl Strategy<Value = Labels> {
    let name = prop_oneof![
        "[a-zA-Z_:][a-zA-Z0-9_:]{0,10}",
        "\\PC{1,8}",
        Just("sum".to_string()),
        Just("Inf".to_string()),
        Just("on".to_string()),
    ];
    let value = prop_oneof!["[ -~]{1,10}", "\\PC{1,8}", ".{1,6}"];
    (
        proptest::option::of(name),
        proptest::collection::btree_map(label_name(), value, 0..4),
    )
        .prop_map(|(name, labels)| {
            let mut pairs: Vec<(String, String)> = labels.into_iter().collect();
            pairs.retain(|(n, _)| n != "__name__");
            if let Some(name) = name {
                pairs.push(("__name__".to_string(), name));
            }
            Labels::from_pairs(pairs)
        })
}

fn histogram() -> impl Strategy<Value = (FloatHistogram, bool)> {
    let count = prop_oneof![
        Just(0.0),
        Just(-0.0),
        0.0..1e6,
        -1e3..0.0,
        Just(f64::INFINITY)
    ];
    let bucket = prop_oneof![0.0..100.0, Just(-0.0), Just(f64::INFINITY), -5.0..0.0];
    let hint = prop_oneof![
        Just(CounterResetHint::Unknown),
        Just(CounterResetHint::Reset),
        Just(CounterResetHint::NotReset),
        Just(CounterResetHint::Gauge),
    ];
    (
        prop_oneof![-4..=8i32, Just(-53)],
        (count.clone(), count.clone(), count, 0.0..1.0),
        proptest::collection::vec(bucket.clone(), 0..5),
        proptest::collection::vec(bucket, 0..3),
        (any::<i32>(), -5..5i32),
        (hint, any::<bool>()),
    )
        .prop_map(
            |(
                schema,
                (count, sum, zero, width),
                positive,
                negative,
                (offset, n_offset),
                (hint, flag),
            )| {
                let span = |offset: i32, len: usize| match len {
                    0 => Vec::new(),
                    len => vec![BucketSpan {
                        offset,
                        length: len as u32,
                    }],
                };
                let custom_values = match schema {
                    -53 => (1..=positive.len()).map(|i| i as f64 * 0.5).collect(),
                    _ => Vec::new(),
                };
                let h = FloatHistogram {
                    counter_reset_hint: hint,
                    schema,
                    zero_threshold: width,
                    zero_count: zero,
                    count,
                    sum,
                    positive_spans: span(offset, positive.len()),
                    negative_spans: span(n_offset, negative.len()),
                    positive_buckets: positive,
                    negative_buckets: negative,
                    custom_values,
                };
                (h, flag || hint != CounterResetHint::Unknown)
            },
        )
}

/// Runs of values of the kinds the printer compresses, and single odd values.
fn values() -> impl Strategy<Value = Vec<SeriesValue>> {
    let finite = any::<f64>().prop_filter("finite", |f| f.is_finite());
    let run = prop_oneof![
        (1..4usize).prop_map(|n| vec![SeriesValue::Omitted; n]),
        (finite.clone(), 1..5usize).prop_map(|(v, n)| vec![SeriesValue::Float(v); n]),
        (
            -1e6..1e6f64,
            prop_oneof![-10.0..10.0f64, Just(0.1), Just(-0.25)],
            1..6usize
        )
            .prop_map(|(start, step, n)| {
                let mut v = start;
                (0..n)
                    .map(|i| {
                        if i > 0 {
                            v += step;
                        }
                        SeriesValue::Float(v)
                    })
                    .collect()
            }),
        prop_oneof![
            Just(stale_nan()),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
            Just(f64::MIN_POSITIVE),
            Just(5e-324),
            Just(f64::MAX),
            finite,
        ]
        .prop_map(|v| vec![SeriesValue::Float(v)]),
        (histogram(), 1..4usize).prop_map(|((h, explicit_hint), n)| {
            let histogram = Arc::new(h);
            vec![
                SeriesValue::Histogram {
                    histogram,
                    explicit_hint
                };
                n
            ]
        }),
    ];
    proptest::collection::vec(run, 0..8).prop_map(|runs| runs.concat())
}

proptest! {
    #[test]
    fn descriptors_round_trip(labels in labels()) {
        let text = format_series_descriptor(&labels);
        let parsed = parse_series_descriptor(&text);
        prop_assert_eq!(parsed.as_ref().ok(), Some(&labels), "{} → {:?}", text, parsed);
    }

    #[test]
    fn values_round_trip(labels in labels(), values in values()) {
        let line = promgate::fixture::format_series_line(&labels, &values);
        let parsed = parse_series_line_with(&line, &NotationOptions::default());
        let (back_labels, back) = match parsed {
            Ok(parsed) => parsed,
            Err(err) => return Err(TestCaseError::fail(format!("{line}\n{err}"))),
        };
        prop_assert_eq!(&back_labels, &labels);
        prop_assert_eq!(back.len(), values.len(), "{}", line);
        for (i, (a, b)) in back.iter().zip(&values).enumerate() {
            prop_assert!(a.identical(b), "{}: value {}: {:?} != {:?}", line, i, a, b);
        }
        // Printing is deterministic and stable: the parsed values print the same.
        prop_assert_eq!(format_series_values(&back), format_series_values(&values));
    }
}

/// Token soup close to the notation: the parsers see mostly near-valid input, where the edge
/// cases live.
fn notation_soup() -> impl Strategy<Value = String> {
    let token = proptest::sample::select(vec![
        "m",
        "{",
        "}",
        "\"a\"",
        "\"\\xff\"",
        "job",
        "=",
        "!=",
        "=~",
        ",",
        " ",
        " ",
        " ",
        "1",
        "-2",
        "0.5",
        "1e308",
        "0x1f",
        "Inf",
        "-Inf",
        "NaN",
        "+",
        "-",
        "x",
        "3",
        "99999999999999999999",
        "_",
        "stale",
        "{{",
        "}}",
        "schema:",
        "sum:",
        "count:",
        "buckets:[",
        "n_buckets:[",
        "offset:",
        "z_bucket:",
        "custom_values:[",
        "counter_reset_hint:",
        "gauge",
        "]",
        "\n",
        "\t",
        "é",
        "@st",
        "#",
    ]);
    proptest::collection::vec(token, 0..40).prop_map(|tokens| tokens.concat())
}

proptest! {
    #[test]
    fn notation_text_never_panics(text in notation_soup()) {
        for dialect in [NotationDialect::Prometheus3, NotationDialect::Promtool242] {
            let _ = parse_series_line_with(&text, &options(dialect));
            let _ = parse_series_descriptor(&text);
            // A small store: huge repetitions must be refused, not allocated.
            let mut store = Store::with_limits(promgate::store::StoreLimits {
                max_samples: 10_000,
                max_series: 100,
            });
            let lines: Vec<(usize, &str)> = text.lines().enumerate().collect();
            let loaded = load_block(&mut store, 60_000, &lines, &LoadOptions { dialect, ..LoadOptions::default() });
            prop_assert!(store.num_samples() <= 10_000);
            if let Err(err) = loaded {
                // Every error renders with a position or a series name.
                prop_assert!(!err.to_string().is_empty());
            }
        }
    }

    #[test]
    fn script_text_never_panics(body in notation_soup(), expr in "[a-z(){}\\[\\]0-9 +*/\"=,:@]{0,30}") {
        let script = format!("load 1m\n  {body}\n\neval instant at 1m {expr}\n  {body}\n\neval range from 0 to 5m step 1m {expr}\n  {body}\n");
        if let Ok(script) = promgate::promqltest::parse_script("soup.test", &script) {
            let report = promgate::promqltest::run_script(&script);
            // Two evals, and one more failure when the load block is fatal.
            prop_assert!(report.evals.len() == 2);
            prop_assert!(report.passed() + report.failed() <= 3);
        }
    }
}

#[test]
fn load_errors_count_columns_from_the_line_start() {
    // Columns count from the start of the file's line, indentation included, so that an editor
    // lands on the offending text (Prometheus's promqltest counts from the trimmed line).
    for (indent, column) in [("", 17), ("  ", 19), ("\t", 18), ("      ", 23)] {
        let text = format!(
            "load 1m\n{indent}up{{job=\"a\"}} 1 2 x3\n\neval instant at 0 up\n  up{{job=\"a\"}} 1\n"
        );
        let script = promgate::promqltest::parse_script("t.test", &text).unwrap();
        let report = promgate::promqltest::run_script(&script);
        assert_eq!(
            report.fatal.as_deref(),
            Some(format!("2:{column}: parse error: unexpected \"x\"").as_str()),
            "indent {indent:?}"
        );
    }
}
