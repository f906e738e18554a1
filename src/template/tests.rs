//! Table-driven tests. `tests/data/template/promtool-2.42.jsonl` holds templates with the output
//! (or `check rules` parse error) that the real promtool 2.42 produced for them, recorded with a
//! rule `T` (`P` for parse errors) over the series `s{job="j",instance="host.example.com:9090"}`
//! = 1234567.5 and `m{a=...}`, external labels `{cluster="eu1"}` and external URL
//! `http://prom.example.com/prefix`.

use std::collections::BTreeMap;

use super::*;
use crate::Labels;

struct TestHost;

impl TemplateHost for TestHost {
    fn query(&self, query: &str) -> Result<Vec<QuerySample>, String> {
        let sample = |pairs: &[(&str, &str)], value: f64| QuerySample {
            labels: Labels::from_pairs(pairs.iter().copied()),
            value,
        };
        Ok(match query {
            "s" => vec![sample(
                &[
                    ("__name__", "s"),
                    ("instance", "host.example.com:9090"),
                    ("job", "j"),
                ],
                1234567.5,
            )],
            // In the order promtool's storage returned them.
            "m" => vec![
                sample(&[("__name__", "m"), ("a", "x"), ("b", "2")], 3.0),
                sample(&[("__name__", "m"), ("a", "y"), ("b", "1")], 1.0),
                sample(&[("__name__", "m"), ("a", "w"), ("b", "3")], 2.0),
            ],
            "fail" => return Err("query failed".to_string()),
            _ => Vec::new(),
        })
    }

    fn now_ms(&self) -> i64 {
        1_600_000_000_500
    }
}

fn expand_with(dialect: TemplateDialect, rule: &str, text: &str) -> Result<String, String> {
    let template = AlertTemplate::parse(rule, text, dialect).map_err(|e| e.to_string())?;
    let labels = Labels::from_pairs([
        ("__name__", "s"),
        ("instance", "host.example.com:9090"),
        ("job", "j"),
    ]);
    let external_labels = BTreeMap::from([("cluster".to_string(), "eu1".to_string())]);
    let data = AlertData {
        labels: &labels,
        external_labels: &external_labels,
        external_url: "http://prom.example.com/prefix",
        value: 1234567.5,
    };
    Ok(template.expand(&data, &TestHost))
}

fn expand2(text: &str) -> String {
    expand_with(TemplateDialect::Prometheus2, "T", text).unwrap_or_else(|e| e)
}

fn expand3(text: &str) -> String {
    expand_with(TemplateDialect::Prometheus3, "T", text).unwrap_or_else(|e| e)
}

/// Cases where we knowingly differ from Go; each is a deliberate decision.
const KNOWN_DIFFERENCES: &[&str] = &[
    // Complex constants are rejected at execution instead of printed as `(0+1i)`.
    "{{ 1i }}",
    // `%x`/`%X` of a float (hexadecimal mantissa) is not implemented.
    "{{ printf \"%x %X\" -255 3.5 }}",
    // Go prints a `*time.Time` with `%d` as its internal struct fields.
    "{{ printf \"%v\" (toTime 0) }} {{ printf \"%s|%d\" (toTime 0) (toTime 0) }}",
];

#[test]
fn matches_promtool_2_42() {
    let data = [
        include_str!("../../tests/data/template/promtool-2.42.jsonl"),
        include_str!("../../tests/data/template/promtool-2.42-more.jsonl"),
    ]
    .concat();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in data.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = case["t"].as_str().unwrap();
        if KNOWN_DIFFERENCES.contains(&text) {
            continue;
        }
        count += 1;
        let (got, want) = match case.get("parse_err") {
            Some(err) => (
                match AlertTemplate::parse("P", text, TemplateDialect::Prometheus2) {
                    Ok(_) => "<parsed>".to_string(),
                    Err(e) => e.to_string(),
                },
                err.as_str().unwrap().to_string(),
            ),
            None => {
                // Our template depth limit is lower than Go's.
                let want = case["want"].as_str().unwrap().replace(
                    "maximum template depth (100000)",
                    &format!("maximum template depth ({MAX_TEMPLATE_DEPTH})"),
                );
                (expand2(text), want)
            }
        };
        if got != want {
            failures.push(format!(
                "template: {text:?}\n   got: {got:?}\n  want: {want:?}"
            ));
        }
    }
    assert!(count > 100);
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Prometheus 3.x behaviour, from `template/template_test.go` and the function sources of
/// Prometheus 3.14 (read, not run: promtool 3.x is not available here).
#[test]
fn prometheus3_dialect() {
    let cases: &[(&str, &str)] = &[
        ("{{ now }}", "1.6000000005e+09"),
        ("{{ (1800 | toDuration).String }}", "30m0s"),
        ("{{ (\"1800\" | toDuration).String }}", "30m0s"),
        ("{{ toDuration 1.5 }}", "1.5s"),
        ("{{ toDuration 0.0005 }}", "500µs"),
        (
            "{{ (toDuration 90).Seconds }} {{ (toDuration 90).Minutes }}",
            "90 1.5",
        ),
        (
            "{{ (now | toTime).Format \"Mon Jan 2 15:04:05 2006\" }}",
            "Sun Sep 13 12:26:40 2020",
        ),
        (
            "{{ (now | toTime).Format \"2006-01-02T15:04:05.000Z07:00\" }}",
            "2020-09-13T12:26:40.500Z",
        ),
        (
            "{{ (\"-30m\" | parseDuration | toDuration | (now | toTime).Add).UnixMilli }}",
            "1599998200500",
        ),
        ("{{ (now | toTime).Unix }}", "1600000000"),
        ("{{ urlQueryEscape \"a b&c=d/é\" }}", "a+b%26c%3Dd%2F%C3%A9"),
        ("{{ \"aa bb CC\" | title }}", "Aa Bb CC"),
        ("{{ title \"o'neil\" }}", "O'neil"),
        (
            "{{ printf \"%0.2f\" (parseDuration \"1h2m10ms\") }}",
            "3720.01",
        ),
        (
            "{{ printf \"%0.2f\" (parseDuration \"-1h2m10ms\") }}",
            "-3720.01",
        ),
        ("{{ with $x := 1 }}a{{ else with 2 }}b{{ end }}", "a"),
        (
            "{{ with $labels.nope }}a{{ else with $labels.job }}{{ . }}{{ end }}",
            "j",
        ),
        (
            "{{ humanizeDuration (toDuration 90) }}",
            "<error expanding template: error executing template __alert_T: template: \
             __alert_T:1:115: executing \"__alert_T\" at <humanizeDuration (toDuration 90)>: \
             error calling humanizeDuration: can't convert *time.Duration to float>",
        ),
        (
            "{{ humanizeDuration ((toTime 100).Sub (toTime 10)) }}",
            "1m 30s",
        ),
        (
            "{{ .Foo }}",
            "<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing \"__alert_T\" at <.Foo>: can't evaluate field Foo in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value interface {} }>",
        ),
        // Everything 2.x has still works.
        ("{{ $value | humanize }}", "1.235M"),
    ];
    let mut failures = Vec::new();
    for (text, want) in cases {
        let got = expand3(text);
        if got != *want {
            failures.push(format!(
                "template: {text:?}\n   got: {got:?}\n  want: {want:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
