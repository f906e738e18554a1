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
    // Go prints a `*time.Time` with `%d` as its internal struct fields.
    "{{ printf \"%v\" (toTime 0) }} {{ printf \"%s|%d\" (toTime 0) (toTime 0) }}",
];

#[test]
fn matches_promtool_2_42() {
    let data = [
        include_str!("../../tests/data/template/promtool-2.42.jsonl"),
        include_str!("../../tests/data/template/promtool-2.42-more.jsonl"),
        include_str!("../../tests/data/template/promtool-2.42-floats.jsonl"),
        include_str!("../../tests/data/template/promtool-2.42-idioms.jsonl"),
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
        // Go 1.22 ranges over integers.
        ("{{ range 3 }}{{ . }}{{ end }}", "012"),
        ("{{ range $i := 3 }}{{ $i }}{{ end }}", "012"),
        ("{{ range 0 }}x{{ else }}none{{ end }}", "none"),
        (
            "{{ range $i := 5 }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ $i }}{{ end }}",
            "012",
        ),
        (
            "{{ range $i, $j := 3 }}{{ end }}",
            "<error expanding template: error executing template __alert_T: template: \
             __alert_T:1:131: executing \"__alert_T\" at <3>: can't use 3 to iterate over more than \
             one variable>",
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

fn expand_error(text: &str) -> String {
    let template = AlertTemplate::parse("T", text, TemplateDialect::Prometheus3).unwrap();
    let labels = Labels::empty();
    let external_labels = BTreeMap::new();
    let data = AlertData {
        labels: &labels,
        external_labels: &external_labels,
        external_url: "",
        value: 1.0,
    };
    template
        .try_expand(&data, &TestHost)
        .unwrap_err()
        .to_string()
}

#[test]
fn text_without_actions_is_returned_as_is() {
    // Not even `{{` inside: the fast path returns the text without executing anything.
    for text in ["", "plain", "a } b }} c", "{ {", "100%"] {
        assert_eq!(expand2(text), text);
    }
}

#[test]
fn template_recursion_is_bounded() {
    let err = expand_error(r#"{{ define "a" }}{{ template "a" . }}{{ end }}{{ template "a" . }}"#);
    assert!(
        err.ends_with(&format!(
            "executing \"a\" at <{{{{template \"a\" .}}}}>: exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})"
        )),
        "{err}"
    );
}

const STACK: usize = 1 << 20;

#[test]
fn template_recursion_fits_in_a_small_stack() {
    // Deep template recursion must not overflow even a 1 MiB thread stack.
    let handle = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(|| {
            expand_error(
                r#"{{ define "a" }}{{ template "a" (args .).arg0 }}{{ end }}{{ template "a" 1 }}"#,
            )
        })
        .unwrap();
    let err = handle.join().unwrap();
    assert!(err.contains("exceeded maximum template depth"), "{err}");
    // Nesting blocks inside each template call reaches the combined limit instead.
    let handle = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(|| {
            let blocks = 40;
            expand_error(&format!(
                r#"{{{{ define "a" }}}}{}{{{{ template "a" . }}}}{}{{{{ end }}}}{{{{ template "a" 1 }}}}"#,
                "{{ if 1 }}{{ with 1 }}".repeat(blocks),
                "{{ end }}{{ end }}".repeat(blocks)
            ))
        })
        .unwrap();
    let err = handle.join().unwrap();
    assert!(
        err.contains(&format!(
            "exceeded maximum nesting depth ({MAX_EXEC_NESTING})"
        )),
        "{err}"
    );
}

#[test]
fn execution_steps_are_bounded() {
    // 2^25 calls if nothing stopped it.
    let mut text = String::from(r#"{{ define "t0" }}x{{ end }}"#);
    for level in 1..=25 {
        let below = level - 1;
        text.push_str(&format!(
            r#"{{{{ define "t{level}" }}}}{{{{ template "t{below}" }}}}{{{{ template "t{below}" }}}}{{{{ end }}}}"#
        ));
    }
    text.push_str(r#"{{ template "t25" }}"#);
    let err = expand_error(&text);
    assert!(
        err.contains(&format!(
            "exceeded maximum number of execution steps ({MAX_EXEC_STEPS})"
        )) || err.contains("output exceeds the maximum size"),
        "{err}"
    );
}

#[test]
fn output_is_bounded() {
    let mut text =
        String::from(r#"{{ define "t0" }}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{{ end }}"#);
    for level in 1..=20 {
        let below = level - 1;
        text.push_str(&format!(
            r#"{{{{ define "t{level}" }}}}{{{{ template "t{below}" }}}}{{{{ template "t{below}" }}}}{{{{ end }}}}"#
        ));
    }
    text.push_str(r#"{{ template "t20" }}"#);
    let err = expand_error(&text);
    assert!(
        err.contains(&format!(
            "output exceeds the maximum size ({MAX_OUTPUT_BYTES} bytes)"
        )),
        "{err}"
    );
    let err = expand_error(r#"{{ printf "%1000000d" 1 }}{{ printf "%1000000d" 1 }}"#);
    assert!(err.contains("output exceeds the maximum size"), "{err}");
    let err = expand_error(&r#"{{ $x := printf "%1000000d" 1 }}"#.repeat(40));
    assert!(
        err.contains("error calling printf: function results exceed the memory limit"),
        "{err}"
    );
}

#[test]
fn nesting_is_bounded() {
    let deep_parens = format!("{{{{ {}1{} }}}}", "(".repeat(500), ")".repeat(500));
    let err = AlertTemplate::parse("T", &deep_parens, TemplateDialect::Prometheus3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: __alert_T:1: max expression depth exceeded"
    );
    let deep_ifs = format!("{}x{}", "{{ if 1 }}".repeat(500), "{{ end }}".repeat(500));
    let err = AlertTemplate::parse("T", &deep_ifs, TemplateDialect::Prometheus3).unwrap_err();
    assert_eq!(
        err.to_string(),
        "template: __alert_T:1: max expression depth exceeded"
    );
    let fine = format!("{}x{}", "{{ if 1 }}".repeat(50), "{{ end }}".repeat(50));
    assert_eq!(expand3(&fine), "x");
}

#[test]
fn query_errors_are_function_errors() {
    assert_eq!(
        expand2(r#"{{ query "fail" }}"#),
        "<error expanding template: error executing template __alert_T: template: __alert_T:1:115: \
         executing \"__alert_T\" at <query \"fail\">: error calling query: query failed>"
    );
}

#[test]
fn parse_errors_carry_their_kind() {
    let err =
        AlertTemplate::parse("A2", "{{ $labels.job", TemplateDialect::Prometheus2).unwrap_err();
    assert_eq!(err.kind(), TemplateErrorKind::Parse);
    let err = expand_error("{{ gt 1 1.0 }}");
    assert!(err.contains("incompatible types for comparison"), "{err}");
}

/// Random token soup: nothing may panic, and every result is either a parse error or an
/// expansion.
#[test]
fn random_templates_never_panic() {
    const PIECES: &[&str] = &[
        "{{",
        "}}",
        "{{- ",
        " -}}",
        "{{/*",
        "*/}}",
        " ",
        "\n",
        "$",
        "$x",
        "$labels",
        ".",
        ".Labels",
        ".job",
        "(",
        ")",
        "|",
        ":=",
        "=",
        ",",
        "\"s\"",
        "`r`",
        "'c'",
        "1",
        "-1",
        "1.5",
        "0x1f",
        "1e3",
        "1i",
        "nil",
        "true",
        "if",
        "else",
        "end",
        "range",
        "with",
        "define",
        "template",
        "block",
        "break",
        "continue",
        "printf",
        "\"%d %s %v %.2f %x %q\"",
        "print",
        "len",
        "index",
        "slice",
        "eq",
        "lt",
        "and",
        "or",
        "not",
        "humanize",
        "humanizeDuration",
        "title",
        "query",
        "\"m\"",
        "first",
        "value",
        "label",
        "args",
        "toTime",
        "toDuration",
        ".Format",
        ".Add",
        "reReplaceAll",
        "\"(a\"",
        "match",
        "\"x**\"",
        "safeHtml",
        "js",
        "html",
        "urlquery",
        "parseDuration",
        "\"-1h\"",
        "stripDomain",
        "call",
        "é",
        "\u{a0}",
        "\\",
        "#",
    ];
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let labels = Labels::from_pairs([("job", "j")]);
    let external_labels = BTreeMap::new();
    let data = AlertData {
        labels: &labels,
        external_labels: &external_labels,
        external_url: "",
        value: 2.5,
    };
    let mut parsed = 0;
    for _ in 0..3000 {
        let len = 1 + next() % 14;
        let mut text = String::new();
        for _ in 0..len {
            text.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        for dialect in [TemplateDialect::Prometheus2, TemplateDialect::Prometheus3] {
            if let Ok(template) = AlertTemplate::parse("R", &text, dialect) {
                parsed += 1;
                let _ = template.expand(&data, &TestHost);
            }
        }
    }
    assert!(parsed > 100, "only {parsed} random templates parsed");
}

#[test]
fn alert_templates_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<AlertTemplate>();
    assert_send_sync::<TemplateError>();
}
