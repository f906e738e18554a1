//! Checks the series notation against the reference: every case of
//! `tests/data/fixture/{values,descriptors}.txt` that holds in promtool 2.42 is run through
//! `promtool test rules`, and what promtool reports is compared with our expansion.
//!
//! For a series line, the generated test file loads the series at a 1m interval and queries, at
//! the last position's time, `s @ t` and `timestamp(s @ t)` for every position `t` (tagged
//! with a `k` label through `label_replace`), plus `count_over_time` over all of it. It expects
//! nothing, so promtool prints what it got. From our expansion we predict the same: promtool
//! 2.42's lookback is the closed window `[t - 5m, t]`, a stale marker hides the series, and
//! `count_over_time` skips stale markers. Labels, values (bit for bit, NaN as NaN), timestamps
//! and counts must agree; for malformed lines, the error text must be the same.

mod fixture_cases;

use fixture_cases::{Case, read_cases};
use promgate::Labels;
use promgate::fixture::{
    InputSeriesOptions, NotationDialect, NotationOptions, SeriesValue, load_input_series_with,
    parse_series_line_with,
};
use promgate::model::is_stale_nan;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// promtool's 1m input interval and 5m lookback, in ms.
const STEP: i64 = 60_000;
const LOOKBACK: i64 = 300_000;

/// Cases where promtool 2.42 and this crate differ on purpose.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        r#"s{a="1", a="2"}"#,
        "promtool reports the duplicate label from storage, without a position",
    ),
    (
        "s 1x99999999999999999999",
        "promtool records the error but still expands 2^64 values and runs out of memory",
    ),
];

fn promtool() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("PROMTOOL").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/promtool")),
    ];
    let found = candidates.into_iter().flatten().find(|p| p.is_file())?;
    let version = Command::new(&found).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&version.stdout).to_string()
        + &String::from_utf8_lossy(&version.stderr);
    text.contains("version 2.42.").then_some(found)
}

/// Splits a series line into its metric and its values where promtool's YAML keeps them.
fn split_line(line: &str) -> (&str, &str) {
    let (mut depth, mut quote, mut escaped) = (0, None, false);
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => quote = None,
            (None, '"' | '\'' | '`') if depth > 0 => quote = Some(c),
            (None, '{') => depth += 1,
            (None, '}') => depth -= 1,
            (None, ' ' | '\t') if depth == 0 => return (&line[..i], line[i + 1..].trim()),
            _ => {}
        }
        escaped = false;
    }
    (line, "")
}

fn yaml_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A selector for the one series of the test, or `None` when it has no labels at all.
fn selector(labels: &Labels) -> Option<String> {
    let label = labels.iter().next()?;
    Some(format!(
        "{{{}={}}}",
        label.name(),
        promgate::syntax::lex::quote(label.value())
    ))
}

/// The probe expression and what promtool should report for it, `label set → value`.
fn probe(
    labels: &Labels,
    values: &[SeriesValue],
) -> Option<(String, i64, BTreeMap<String, String>)> {
    let selector = selector(labels)?;
    let last = values.len().saturating_sub(1).min(40) as i64;
    let eval = last * STEP;
    let samples: Vec<(i64, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.as_float().map(|f| (k as i64 * STEP, f)))
        .collect();
    let mut arms = Vec::new();
    let mut expected = BTreeMap::new();
    let tagged = |labels: &Labels, k: &str| labels.builder().set("k", k).build().to_string();
    for k in 0..=last {
        let t = k * STEP;
        let seconds = t / 1000;
        arms.push(format!(
            r#"label_replace({selector} @ {seconds}, "k", "v{k}", "", "")"#
        ));
        arms.push(format!(
            r#"label_replace(timestamp({selector} @ {seconds}), "k", "t{k}", "", "")"#
        ));
        let newest = samples
            .iter()
            .rev()
            .find(|(st, _)| *st <= t && *st >= t - LOOKBACK);
        if let Some(&(st, f)) = newest.filter(|(_, f)| !is_stale_nan(*f)) {
            expected.insert(tagged(labels, &format!("v{k}")), value_key(f));
            expected.insert(
                tagged(&labels.without_metric_name(), &format!("t{k}")),
                value_key(st as f64 / 1000.0),
            );
        }
    }
    let window = (last + 2) * STEP / 1000;
    arms.push(format!(
        r#"label_replace(count_over_time({selector}[{window}s] @ {}), "k", "count", "", "")"#,
        eval / 1000
    ));
    let counted = samples.iter().filter(|(_, f)| !is_stale_nan(*f)).count();
    if counted > 0 {
        expected.insert(
            tagged(&labels.without_metric_name(), "count"),
            value_key(counted as f64),
        );
    }
    Some((arms.join(" or "), eval, expected))
}

/// A float as a comparison key: its bits, or `NaN`.
fn value_key(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else {
        format!("{:016x}", f.to_bits())
    }
}

/// Parses promtool's `got: {..} 1E+00, {..} NaN` into `label set → value`.
fn parse_got(line: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let text = line.trim().strip_prefix("got:").unwrap_or("").trim();
    if text == "nil" {
        return out;
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let mut in_quote = false;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if in_quote => i += 1,
                b'"' => in_quote = !in_quote,
                b'}' if !in_quote => break,
                _ => {}
            }
            i += 1;
        }
        let labels = &text[start..=i.min(bytes.len() - 1)];
        let rest = &text[(i + 2).min(text.len())..];
        let value = rest.split(", ").next().unwrap_or("");
        let f: f64 = value.parse().unwrap_or(f64::NAN);
        out.insert(labels.to_string(), value_key(f));
        i += 2 + value.len() + 2;
    }
    out
}

/// What we predict promtool reports for one case: the probe's results, or an error line.
type Outcome = Result<BTreeMap<String, String>, String>;

/// One group of the generated test file.
struct Group {
    file: &'static str,
    line: usize,
    text: String,
    yaml: String,
    ours: Outcome,
}

/// The test group for a case, or `None` when the series cannot be selected (no labels).
fn group(file: &'static str, case: &Case, line: &str, marker: usize) -> Option<Group> {
    let (series, values_text) = split_line(line);
    let options = InputSeriesOptions {
        dialect: NotationDialect::Promtool242,
        ..InputSeriesOptions::default()
    };
    let mut store = promgate::store::Store::new();
    let loaded = load_input_series_with(&mut store, &[(series, values_text)], &options);
    let (expr, eval, ours) = match loaded {
        Err(err) => ("vector(0)".to_string(), 0, Err(err.to_string())),
        Ok(()) => {
            let notation = NotationOptions {
                dialect: NotationDialect::Promtool242,
                ..NotationOptions::default()
            };
            let (labels, values) = parse_series_line_with(line, &notation).ok()?;
            let (expr, eval, expected) = probe(&labels, &values)?;
            (expr, eval, Ok(expected))
        }
    };
    // The expected sample never matches, so promtool prints what it got under this marker.
    let yaml = format!(
        "  - interval: 1m\n    input_series:\n      - series: {}\n        values: {}\n    promql_expr_test:\n      - expr: {}\n        eval_time: {}s\n        exp_samples:\n          - labels: '{{k=\"marker{marker}\"}}'\n            value: 0\n",
        yaml_quote(series),
        yaml_quote(values_text),
        yaml_quote(&expr),
        eval / 1000
    );
    Some(Group {
        file,
        line: case.line,
        text: line.to_string(),
        yaml,
        ours,
    })
}

/// Runs promtool on all groups at once. Each group prints exactly one item on stderr, in group
/// order: an input error line, or an `exp:`/`got:` pair whose marker names the group.
fn run_promtool(promtool: &Path, groups: &[Group]) -> Vec<Option<Outcome>> {
    let dir = std::env::temp_dir().join(format!("promgate-promtool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("notation.test.yml");
    let mut yaml = "evaluation_interval: 1m\ntests:\n".to_string();
    for group in groups {
        yaml.push_str(&group.yaml);
    }
    std::fs::write(&path, yaml).unwrap();
    let output = Command::new(promtool)
        .args(["test", "rules"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    match std::env::var_os("PROMGATE_KEEP_PROMTOOL_FILES") {
        Some(_) => std::fs::write(dir.join("stderr.txt"), &stderr).unwrap(),
        None => {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let mut results: Vec<Option<Outcome>> = vec![None; groups.len()];
    let (mut cursor, mut marker) = (0usize, None);
    for line in stderr.lines().map(str::trim) {
        if let Some(exp) = line.strip_prefix("exp:") {
            let digits: String = exp
                .split("marker")
                .nth(1)
                .unwrap_or("")
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            marker = digits.parse::<usize>().ok();
        } else if line.starts_with("got:") {
            if let Some(n) = marker.take().filter(|n| *n < groups.len()) {
                results[n] = Some(Ok(parse_got(line)));
                cursor = n + 1;
            }
        } else if line.is_empty() || line == "FAILED:" || line.starts_with("expr:") {
            continue;
        } else if cursor < groups.len() {
            results[cursor] = Some(Err(line.to_string()));
            cursor += 1;
        }
    }
    results
}

#[test]
#[ignore = "needs promtool 2.42 (/usr/bin/promtool); run by .ci/run with --ignored"]
fn notation_matches_promtool_2_42() {
    let Some(promtool) = promtool() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "promtool 2.42 not found (set PROMTOOL or install /usr/bin/promtool)"
        );
        eprintln!("skipped: promtool 2.42 not found");
        return;
    };
    let mut groups = Vec::new();
    let mut skipped = 0;
    for (file, suffix) in [("values.txt", ""), ("descriptors.txt", " 1")] {
        for case in read_cases(file) {
            let known = KNOWN_DIFFERENCES
                .iter()
                .any(|(input, _)| *input == case.input);
            if case.dialect == Some(NotationDialect::Prometheus3) || known {
                continue;
            }
            let line = format!("{}{suffix}", case.input);
            match group(file, &case, &line, groups.len()) {
                Some(group) => groups.push(group),
                None => skipped += 1,
            }
        }
    }
    let results = run_promtool(&promtool, &groups);
    let mut failures = Vec::new();
    for (group, theirs) in groups.iter().zip(results) {
        let agrees = theirs.as_ref() == Some(&group.ours);
        if !agrees {
            failures.push(format!(
                "{}:{}: {}\n    ours:     {:?}\n    promtool: {:?}",
                group.file, group.line, group.text, group.ours, theirs
            ));
        }
    }
    assert!(
        groups.len() > 100,
        "only {} cases checked ({skipped} skipped)",
        groups.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        groups.len(),
        failures.join("\n")
    );
}
