//! What promtool 3.x prints with `--debug` (timings and a dump of every series) and `--diff`
//! (a JSON diff of an alert mismatch, as `github.com/nsf/jsondiff` renders it).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::Labels;
use crate::eval::{Engine, Value};
use crate::model::{Timestamp, format_float};
use crate::store::Store;
use crate::syntax::lex::quote;

/// What `--debug` shows for one test group (promtool 3.x prints it on stderr).
///
/// ```
/// use promgate::unittest::{MemoryLoader, TestOptions, run_file};
/// let test = "tests:\n- name: t\n  input_series: [{series: up, values: '1 2'}]\n  promql_expr_test: [{expr: up, eval_time: 1m, exp_samples: [{labels: up, value: 2}]}]\n";
/// let options = TestOptions { debug: true, ..TestOptions::default() };
/// let report = run_file("t.yml", test, &MemoryLoader::default(), &options);
/// let debug = report.groups[0].debug.as_ref().unwrap();
/// assert_eq!(
///     debug.dump.as_deref(),
///     Some("DEBUG: Dump of all data (input_series and rules) at 1m1s:\n{__name__=\"up\"} =>\n2 @[60000]\n")
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupDebug {
    /// How long the group took (promtool's `DEBUG: Test <name> finished, took <d>`).
    pub elapsed: std::time::Duration,
    /// The dump of every series, its `DEBUG: Dump of all data ...` header line included, as
    /// promtool prints it after the group's assertions: every sample of the window
    /// `{__name__=~".+"}[<d>]` at `<d>` after the start, where `<d>` is the last `eval_time`
    /// plus one second, truncated to whole seconds. `None` when the group stopped early (a
    /// setup or rule evaluation error), as promtool then prints no dump.
    pub dump: Option<String>,
}

/// The name promtool 3.x gives a test group in `--debug` lines and JUnit reports: its name, or
/// `unnamed#<index>`.
pub(crate) fn test_name(name: Option<&str>, index: usize) -> String {
    match name {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => format!("unnamed#{index}"),
    }
}

/// Go's `time.Duration.String()` for a duration in nanoseconds: `0s`, `850ns`, `1.5µs`,
/// `12.034ms`, `1.5s`, `2m0.5s`, `1h0m0s`.
pub(crate) fn go_duration(nanos: u128) -> String {
    fn fraction(value: u128, unit: u128, digits: usize) -> String {
        let (whole, rest) = (value / unit, value % unit);
        if rest == 0 {
            return whole.to_string();
        }
        let frac = format!("{rest:0digits$}");
        format!("{whole}.{}", frac.trim_end_matches('0'))
    }
    match nanos {
        0 => "0s".to_string(),
        n if n < 1_000 => format!("{n}ns"),
        n if n < 1_000_000 => format!("{}µs", fraction(n, 1_000, 3)),
        n if n < 1_000_000_000 => format!("{}ms", fraction(n, 1_000_000, 6)),
        n => {
            let seconds = n / 1_000_000_000;
            let (hours, minutes) = (seconds / 3600, seconds / 60 % 60);
            let mut out = String::new();
            if hours > 0 {
                let _ = write!(out, "{hours}h{minutes}m");
            } else if minutes > 0 {
                let _ = write!(out, "{minutes}m");
            }
            let rest = n % 60_000_000_000;
            out.push_str(&fraction(rest, 1_000_000_000, 9));
            out.push('s');
            out
        }
    }
}

/// promtool's dump of every series after a group's assertions (see [`GroupDebug::dump`]).
pub(crate) fn dump(engine: &Engine, store: &Store, mint: Timestamp, max_eval: i64) -> String {
    // Whole seconds after the last eval_time, as PromQL ranges cannot hold fractions.
    let d = (max_eval + 1000).div_euclid(1000) * 1000;
    let range = go_duration(u128::try_from(d).unwrap_or(0) * 1_000_000);
    let text = format!("{{__name__=~\".+\"}}[{range}]");
    let expr = match crate::promql::parse(&text) {
        Ok(e) => e,
        Err(e) => {
            return format!(
                "DEBUG: Failed querying, expr: {}, err: {}\n",
                quote(&text),
                e.prometheus_message()
            );
        }
    };
    let mut matrix = match engine.instant_query(store, &expr, mint + d) {
        Ok(r) => match r.value {
            Value::Matrix(m) => m,
            _ => return "DEBUG: Got unexpected type promql.Vector\n".to_string(),
        },
        Err(e) => {
            return format!(
                "DEBUG: Failed query exec, expr: {}, err: {e}\n",
                quote(&text)
            );
        }
    };
    matrix.sort_by(|a, b| a.metric.cmp(&b.metric));
    let series: Vec<String> = matrix
        .iter()
        .map(|s| {
            let points = s
                .floats
                .iter()
                .map(|p| format!("{} @[{}]", format_float(p.f), p.t))
                .chain(
                    s.histograms
                        .iter()
                        .map(|p| format!("{} @[{}]", p.h.go_string(), p.t)),
                );
            format!("{} =>\n{}", s.metric, points.collect::<Vec<_>>().join("\n"))
        })
        .collect();
    format!(
        "DEBUG: Dump of all data (input_series and rules) at {range}:\n{}\n",
        series.join("\n")
    )
}

/// How `--diff` output is coloured.
///
/// ```
/// use promgate::unittest::DiffStyle;
/// assert_eq!(DiffStyle::default(), DiffStyle::Plain);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DiffStyle {
    /// No colour (the text promtool prints, without its escape sequences).
    #[default]
    Plain,
    /// ANSI colours as promtool prints them always: green added, red removed, yellow changed.
    Ansi,
}

/// A JSON value as `encoding/json` decodes the alert lists promtool diffs.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Str(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

/// The alerts as promtool marshals them: `[{"Labels": {...}, "Annotations": {...}}]`; an empty
/// list becomes one item with empty labels and annotations, as promtool fills it in.
fn alerts_json(alerts: &[(Labels, Labels)]) -> Json {
    let labels = |l: &Labels| {
        Json::Object(
            l.iter()
                .map(|l| (l.name().to_string(), Json::Str(l.value().to_string())))
                .collect(),
        )
    };
    let item = |(l, a): &(Labels, Labels)| {
        Json::Object(BTreeMap::from([
            ("Labels".to_string(), labels(l)),
            ("Annotations".to_string(), labels(a)),
        ]))
    };
    if alerts.is_empty() {
        return Json::Array(vec![item(&(Labels::empty(), Labels::empty()))]);
    }
    Json::Array(alerts.iter().map(item).collect())
}

/// The diff promtool's `--diff` prints between expected and got alerts (jsondiff's console
/// format; without colour for [`DiffStyle::Plain`]).
pub(crate) fn alerts_diff(
    expected: &[(Labels, Labels)],
    got: &[(Labels, Labels)],
    style: DiffStyle,
) -> String {
    let mut ctx = DiffContext {
        ansi: style == DiffStyle::Ansi,
        level: 0,
        last: None,
    };
    ctx.print_diff(&alerts_json(expected), &alerts_json(got))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Normal,
    Added,
    Removed,
    Changed,
}

/// jsondiff's printing state: the indentation level and the colour tag in effect.
struct DiffContext {
    ansi: bool,
    level: usize,
    last: Option<Tag>,
}

impl DiffContext {
    fn begin(&self, tag: Tag) -> &'static str {
        match (self.ansi, tag) {
            (false, _) | (true, Tag::Normal) => "",
            (true, Tag::Added) => "\x1b[0;32m",
            (true, Tag::Removed) => "\x1b[0;31m",
            (true, Tag::Changed) => "\x1b[0;33m",
        }
    }

    fn end(&self, tag: Tag) -> &'static str {
        match (self.ansi, tag) {
            (false, _) | (true, Tag::Normal) => "",
            (true, _) => "\x1b[0m",
        }
    }

    fn tag(&mut self, buf: &mut String, tag: Tag) {
        if self.last == Some(tag) {
            return;
        }
        if let Some(last) = self.last {
            buf.push_str(self.end(last));
        }
        buf.push_str(self.begin(tag));
        self.last = Some(tag);
    }

    fn newline(&self, buf: &mut String, s: &str) {
        buf.push_str(s);
        if let Some(last) = self.last {
            buf.push_str(self.end(last));
        }
        buf.push('\n');
        for _ in 0..self.level {
            buf.push_str("    ");
        }
        if let Some(last) = self.last {
            buf.push_str(self.begin(last));
        }
    }

    fn finalize(&mut self, mut buf: String) -> String {
        if let Some(last) = self.last.take() {
            buf.push_str(self.end(last));
        }
        buf
    }

    /// An array's items or an object's members (with their keys), one per line, indented one
    /// level more than the brackets.
    fn write_members<'j>(
        &mut self,
        buf: &mut String,
        (open, close): (char, char),
        members: impl ExactSizeIterator<Item = (Option<&'j str>, &'j Json)>,
    ) {
        let len = members.len();
        if len == 0 {
            buf.push(open);
        } else {
            self.level += 1;
            self.newline(buf, &open.to_string());
        }
        for (i, (key, item)) in members.enumerate() {
            if let Some(key) = key {
                buf.push_str(&quote(key));
                buf.push_str(": ");
            }
            self.write_value(buf, item, true);
            if i + 1 != len {
                self.newline(buf, ",");
            } else {
                self.level -= 1;
                self.newline(buf, "");
            }
        }
        buf.push(close);
    }

    fn write_value(&mut self, buf: &mut String, value: &Json, full: bool) {
        match value {
            Json::Str(s) => buf.push_str(&quote(s)),
            Json::Array(items) if full => {
                let items = items.iter().map(|item| (None, item));
                self.write_members(buf, ('[', ']'), items);
            }
            Json::Array(_) => buf.push_str("[]"),
            Json::Object(map) if full => {
                let members = map.iter().map(|(key, item)| (Some(key.as_str()), item));
                self.write_members(buf, ('{', '}'), members);
            }
            Json::Object(_) => buf.push_str("{}"),
        }
    }

    fn print_mismatch(&mut self, a: &Json, b: &Json) -> String {
        let mut buf = String::new();
        self.tag(&mut buf, Tag::Changed);
        self.write_value(&mut buf, a, false);
        buf.push_str(" => ");
        self.write_value(&mut buf, b, false);
        self.finalize(buf)
    }

    fn print_diff(&mut self, a: &Json, b: &Json) -> String {
        match (a, b) {
            (Json::Str(x), Json::Str(y)) if x == y => {
                let mut buf = String::new();
                self.tag(&mut buf, Tag::Normal);
                self.write_value(&mut buf, a, true);
                self.finalize(buf)
            }
            (Json::Array(x), Json::Array(y)) => {
                let len = x.len().max(y.len());
                let pairs: Vec<(Option<&Json>, Option<&Json>, Option<&str>)> =
                    (0..len).map(|i| (x.get(i), y.get(i), None)).collect();
                self.print_collection("[", "]", &pairs)
            }
            (Json::Object(x), Json::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                let pairs: Vec<(Option<&Json>, Option<&Json>, Option<&str>)> = keys
                    .into_iter()
                    .map(|k| (x.get(k), y.get(k), Some(k.as_str())))
                    .collect();
                self.print_collection("{", "}", &pairs)
            }
            _ => self.print_mismatch(a, b),
        }
    }

    fn print_collection(
        &mut self,
        open: &str,
        close: &str,
        pairs: &[(Option<&Json>, Option<&Json>, Option<&str>)],
    ) -> String {
        // jsondiff works out the items' diffs one level deeper before printing any.
        self.level += 1;
        let diffs: Vec<String> = pairs
            .iter()
            .map(|(a, b, _)| match (a, b) {
                (Some(a), Some(b)) => self.print_diff(a, b),
                _ => String::new(),
            })
            .collect();
        self.level -= 1;
        let mut buf = String::new();
        self.tag(&mut buf, Tag::Normal);
        if pairs.is_empty() {
            buf.push_str(open);
            buf.push_str(close);
            return self.finalize(buf);
        }
        self.level += 1;
        self.newline(&mut buf, open);
        let key = |buf: &mut String, k: Option<&str>| {
            if let Some(k) = k {
                buf.push_str(&quote(k));
                buf.push_str(": ");
            }
        };
        for (i, ((a, b, k), diff)) in pairs.iter().zip(&diffs).enumerate() {
            match (a, b) {
                (Some(_), Some(_)) => {
                    key(&mut buf, *k);
                    buf.push_str(diff);
                }
                (Some(a), None) => {
                    self.tag(&mut buf, Tag::Removed);
                    key(&mut buf, *k);
                    self.write_value(&mut buf, a, true);
                }
                (None, Some(b)) => {
                    self.tag(&mut buf, Tag::Added);
                    key(&mut buf, *k);
                    self.write_value(&mut buf, b, true);
                }
                (None, None) => {}
            }
            if i + 1 < pairs.len() {
                self.tag(&mut buf, Tag::Normal);
                self.newline(&mut buf, ",");
            } else {
                self.level -= 1;
                self.tag(&mut buf, Tag::Normal);
                self.newline(&mut buf, "");
            }
        }
        buf.push_str(close);
        self.finalize(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(850), "850ns");
        assert_eq!(go_duration(1_500), "1.5µs");
        assert_eq!(go_duration(12_034_000), "12.034ms");
        assert_eq!(go_duration(1_500_000_000), "1.5s");
        assert_eq!(go_duration(61_000_000_000), "1m1s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(3_661_000_000_000), "1h1m1s");
    }

    #[test]
    fn a_changed_annotation_is_one_changed_line() {
        let l = Labels::from_pairs([("alertname", "A")]);
        let exp = [(l.clone(), Labels::from_pairs([("s", "8")]))];
        let got = [(l, Labels::from_pairs([("s", "9")]))];
        let diff = alerts_diff(&exp, &got, DiffStyle::Plain);
        assert_eq!(
            diff,
            "[\n    {\n        \"Annotations\": {\n            \"s\": \"8\" => \"9\"\n        },\n        \"Labels\": {\n            \"alertname\": \"A\"\n        }\n    }\n]"
        );
        let ansi = alerts_diff(&exp, &got, DiffStyle::Ansi);
        assert!(
            ansi.contains("\x1b[0;33m\"s\": \"8\" => \"9\"\x1b[0m")
                || ansi.contains("\x1b[0;33m\"8\" => \"9\"\x1b[0m"),
            "{ansi:?}"
        );
    }
}
