//! The promtool unit-test file format, read strictly with positions.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::yaml::Spanned;

/// A promtool unit-test file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestFile {
    /// Rule files (globs, relative to the test file).
    #[serde(default)]
    pub rule_files: Vec<Spanned<String>>,
    /// The rule evaluation interval (default 1m).
    #[serde(default)]
    pub evaluation_interval: Option<Spanned<String>>,
    /// The order of rule groups.
    #[serde(default)]
    pub group_eval_order: Vec<Spanned<String>>,
    /// Accept a one-ULP difference in PromQL test values (Prometheus 3.5+).
    #[serde(default)]
    pub fuzzy_compare: bool,
    /// promgate extension: the float tolerance of every `promql_expr_test` of the file, unless
    /// a test group or case sets its own.
    #[serde(default)]
    pub epsilon: Option<Spanned<Epsilon>>,
    /// The test groups.
    #[serde(default)]
    pub tests: Vec<Spanned<TestGroup>>,
}

/// One test group.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestGroup {
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// The spacing of input samples (default: the evaluation interval).
    #[serde(default)]
    pub interval: Option<Spanned<String>>,
    /// The input series.
    #[serde(default)]
    pub input_series: Vec<Spanned<InputSeries>>,
    /// Alert assertions.
    #[serde(default)]
    pub alert_rule_test: Vec<Spanned<AlertTestCase>>,
    /// PromQL assertions.
    #[serde(default)]
    pub promql_expr_test: Vec<Spanned<PromqlTestCase>>,
    /// `$externalLabels` in templates.
    #[serde(default)]
    pub external_labels: BTreeMap<String, String>,
    /// `$externalURL` in templates.
    #[serde(default)]
    pub external_url: String,
    /// When the test starts: Unix seconds or RFC 3339 (Prometheus 3.9+).
    #[serde(default)]
    pub start_timestamp: Option<Spanned<String>>,
    /// promgate extension: the float tolerance of the group's `promql_expr_test` cases, unless
    /// a case sets its own (replaces the file's as a whole).
    #[serde(default)]
    pub epsilon: Option<Spanned<Epsilon>>,
}

/// One input series.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSeries {
    /// The series, in PromQL series syntax.
    #[serde(default)]
    pub series: Spanned<String>,
    /// Its values, in series notation.
    #[serde(default)]
    pub values: Spanned<String>,
    /// promgate extension: copies of the series, one per value of a label (or per combination
    /// of several labels), each with the same values.
    #[serde(default)]
    pub repeat: Option<Spanned<Repeat>>,
}

/// promgate's `repeat` of an input series: one axis (`{label: instance, values: [a, b]}`) or a
/// list of axes, whose cartesian product gives the copies.
///
/// ```
/// use promgate::unittest::InputSeries;
/// let one: InputSeries = promgate::yaml::from_str(
///     "{series: up, values: '1', repeat: {label: instance, from: 1, to: 3, format: 'h-{}'}}",
/// ).unwrap();
/// assert_eq!(one.repeat.unwrap().value.axes[0].to.as_ref().unwrap().value, 3);
/// let product: InputSeries = promgate::yaml::from_str(
///     "{series: up, values: '1', repeat: [{label: a, values: [x, y]}, {label: b, values: [z]}]}",
/// ).unwrap();
/// assert_eq!(product.repeat.unwrap().value.axes.len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Repeat {
    /// The axes, in file order (the first varies slowest).
    pub axes: Vec<RepeatAxis>,
}

/// One axis of a [`Repeat`]: a label and the values it takes, listed or numbered.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepeatAxis {
    /// The label added to (or overridden in) each copy.
    #[serde(default)]
    pub label: Spanned<String>,
    /// The label's values, one copy each.
    #[serde(default)]
    pub values: Option<Spanned<Vec<String>>>,
    /// The first number of a numbered axis (with `to`).
    #[serde(default)]
    pub from: Option<Spanned<i64>>,
    /// The last number of a numbered axis, inclusive.
    #[serde(default)]
    pub to: Option<Spanned<i64>>,
    /// How a number becomes a value: `{}` is replaced by the number (default `{}`).
    #[serde(default)]
    pub format: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for Repeat {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Repeat, D::Error> {
        struct RepeatVisitor;
        impl<'de> serde::de::Visitor<'de> for RepeatVisitor {
            type Value = Repeat;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a repeat axis or a list of them")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Repeat, A::Error> {
                let axis =
                    RepeatAxis::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Repeat { axes: vec![axis] })
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Repeat, A::Error> {
                let mut axes = Vec::new();
                while let Some(axis) = seq.next_element::<RepeatAxis>()? {
                    axes.push(axis);
                }
                Ok(Repeat { axes })
            }
        }
        deserializer.deserialize_any(RepeatVisitor)
    }
}

/// One alert assertion.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertTestCase {
    /// When (a duration after the start).
    #[serde(default)]
    pub eval_time: Option<Spanned<String>>,
    /// The alert's name.
    #[serde(default)]
    pub alertname: String,
    /// The firing alerts expected.
    #[serde(default)]
    pub exp_alerts: Vec<ExpectedAlert>,
    /// promgate extension: the pending alerts expected. When present, the alerts of this name
    /// that are pending at `eval_time` must match it; when absent, pending alerts are ignored
    /// (as promtool does).
    #[serde(default)]
    pub exp_pending: Option<Spanned<Vec<ExpectedAlert>>>,
    /// promgate extension: how expected alerts match actual ones (default `exact`).
    #[serde(default, rename = "match")]
    pub match_mode: Option<Spanned<AlertMatch>>,
}

/// How an expected alert matches an actual one (promgate's `match` key).
///
/// ```
/// use promgate::unittest::AlertMatch;
/// assert_eq!(AlertMatch::default(), AlertMatch::Exact);
/// assert_eq!(AlertMatch::Subset.to_string(), "subset");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertMatch {
    /// The labels and annotations are exactly the expected ones, as promtool compares.
    #[default]
    Exact,
    /// The labels and annotations contain the expected ones; others are ignored.
    Subset,
}

impl std::fmt::Display for AlertMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AlertMatch::Exact => "exact",
            AlertMatch::Subset => "subset",
        })
    }
}

/// One expected alert.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedAlert {
    /// Its labels (`alertname` is added).
    #[serde(default)]
    pub exp_labels: BTreeMap<String, String>,
    /// Its annotations, exactly.
    #[serde(default)]
    pub exp_annotations: BTreeMap<String, String>,
    /// promgate extension: labels whose values must match a regex (fully anchored, as
    /// Prometheus anchors label matchers).
    #[serde(default)]
    pub exp_labels_re: BTreeMap<String, Spanned<String>>,
    /// promgate extension: annotations whose text must match a regex (fully anchored).
    #[serde(default)]
    pub exp_annotations_re: BTreeMap<String, Spanned<String>>,
    /// promgate extension: whether the firing alert is held only by `keep_firing_for` (its
    /// condition no longer true). Absent: either.
    #[serde(default)]
    pub exp_keep_firing: Option<Spanned<bool>>,
}

/// One PromQL assertion.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromqlTestCase {
    /// The expression.
    #[serde(default)]
    pub expr: Spanned<String>,
    /// When (a duration after the start).
    #[serde(default)]
    pub eval_time: Option<Spanned<String>>,
    /// The samples expected (empty: an empty result).
    #[serde(default)]
    pub exp_samples: Vec<Spanned<ExpectedSample>>,
    /// promgate extension: the float tolerance of this case (replaces the group's and the
    /// file's as a whole).
    #[serde(default)]
    pub epsilon: Option<Spanned<Epsilon>>,
}

/// promgate's float tolerance for `promql_expr_test` values: a float passes when
/// `|got - exp| <= absolute` or `|got - exp| <= relative * max(|got|, |exp|)`. Both bounds
/// are optional; NaN still never equals anything, and infinities only themselves. Native
/// histograms are compared exactly, as promtool compares them.
///
/// ```
/// use promgate::unittest::Epsilon;
/// let e = Epsilon { absolute: Some(1e-9), relative: None };
/// assert!(e.accepts(0.3, 0.1 + 0.2));
/// assert!(!e.accepts(0.3, 0.31));
/// let r = Epsilon { absolute: None, relative: Some(0.01) };
/// assert!(r.accepts(100.0, 100.9));
/// assert!(!r.accepts(f64::NAN, f64::NAN));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Epsilon {
    /// The largest absolute difference accepted.
    #[serde(default)]
    pub absolute: Option<f64>,
    /// The largest difference accepted, relative to the larger magnitude of the two.
    #[serde(default)]
    pub relative: Option<f64>,
}

impl Epsilon {
    /// Whether `got` is close enough to `expected` (equal floats always are; NaN never is).
    pub fn accepts(&self, expected: f64, got: f64) -> bool {
        if expected == got {
            return true;
        }
        if !expected.is_finite() || !got.is_finite() {
            return false;
        }
        let difference = (got - expected).abs();
        self.absolute.is_some_and(|a| difference <= a)
            || self
                .relative
                .is_some_and(|r| difference <= r * got.abs().max(expected.abs()))
    }
}

/// One expected sample.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedSample {
    /// Its labels, in PromQL series syntax (empty: no labels).
    #[serde(default)]
    pub labels: String,
    /// Its float value.
    #[serde(default)]
    pub value: f64,
    /// Its native histogram, as a `{{...}}` literal.
    #[serde(default)]
    pub histogram: String,
}

/// Parses `start_timestamp`: Unix seconds (possibly fractional) or an RFC 3339 time, to ms.
///
/// ```
/// use promgate::unittest::parse_start_timestamp;
/// assert_eq!(parse_start_timestamp("1.5"), Some(1500));
/// assert_eq!(parse_start_timestamp("1970-01-01T00:01:00Z"), Some(60_000));
/// ```
pub fn parse_start_timestamp(text: &str) -> Option<i64> {
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds.abs() < 9.2e15)
            .then(|| (seconds * 1000.0).round() as i64);
    }
    parse_rfc3339(text)
}

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` to ms since the epoch.
fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &text[start..i];
        if frac.is_empty() {
            return None;
        }
        millis = format!("{frac:0<3}")[..3].parse::<i64>().ok()?;
    }
    let offset_minutes = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'-' { -m } else { m }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// A type of promtool 2.42's test-file decoder (`cmd/promtool/unittest.go`): its Go name, as
/// yaml.v2 prints it, and its keys, each with the element type of a list of structs.
struct GoType {
    name: &'static str,
    fields: &'static [(&'static str, Option<&'static GoType>)],
    /// promgate's own extension keys on this type: not 2.42's, but opt-in and accepted under
    /// both semantics.
    extensions: &'static [(&'static str, Option<&'static GoType>)],
}

const SAMPLE_2_42: GoType = GoType {
    name: "main.sample",
    fields: &[("labels", None), ("value", None)],
    extensions: &[],
};
const PROMQL_TEST_CASE_2_42: GoType = GoType {
    name: "main.promqlTestCase",
    fields: &[
        ("expr", None),
        ("eval_time", None),
        ("exp_samples", Some(&SAMPLE_2_42)),
    ],
    extensions: &[("epsilon", None)],
};
const ALERT_2_42: GoType = GoType {
    name: "main.alert",
    fields: &[("exp_labels", None), ("exp_annotations", None)],
    extensions: &[
        ("exp_labels_re", None),
        ("exp_annotations_re", None),
        ("exp_keep_firing", None),
    ],
};
const ALERT_TEST_CASE_2_42: GoType = GoType {
    name: "main.alertTestCase",
    fields: &[
        ("eval_time", None),
        ("alertname", None),
        ("exp_alerts", Some(&ALERT_2_42)),
    ],
    extensions: &[("match", None), ("exp_pending", Some(&ALERT_2_42))],
};
const SERIES_2_42: GoType = GoType {
    name: "main.series",
    fields: &[("series", None), ("values", None)],
    extensions: &[("repeat", None)],
};
const TEST_GROUP_2_42: GoType = GoType {
    name: "main.testGroup",
    fields: &[
        ("interval", None),
        ("input_series", Some(&SERIES_2_42)),
        ("alert_rule_test", Some(&ALERT_TEST_CASE_2_42)),
        ("promql_expr_test", Some(&PROMQL_TEST_CASE_2_42)),
        ("external_labels", None),
        ("external_url", None),
        ("name", None),
    ],
    extensions: &[("epsilon", None)],
};
const UNIT_TEST_FILE_2_42: GoType = GoType {
    name: "main.unitTestFile",
    fields: &[
        ("rule_files", None),
        ("evaluation_interval", None),
        ("group_eval_order", None),
        ("tests", Some(&TEST_GROUP_2_42)),
    ],
    extensions: &[("epsilon", None)],
};

/// The keys promtool 2.42 does not know in a test file (`fuzzy_compare`, `start_timestamp`,
/// `exp_samples[].histogram` and any misspelt one; promgate's own extension keys are not
/// among them), as its yaml.v2 `UnmarshalStrict` reports
/// them all: `yaml: unmarshal errors:` and one `  line <n>: field <key> not found in type
/// <Go type>` line per key, in document order. `None` when there are none or the text is not
/// YAML (the ordinary decoder reports that).
pub(crate) fn unknown_fields_2_42(text: &str) -> Option<String> {
    let docs = crate::yaml::parse_documents(text, &crate::yaml::YamlLimits::default()).ok()?;
    let mut lines = Vec::new();
    walk_2_42(docs.first()?, &UNIT_TEST_FILE_2_42, &mut lines);
    if lines.is_empty() {
        return None;
    }
    Some(format!("yaml: unmarshal errors:\n{}", lines.join("\n")))
}

fn walk_2_42(node: &crate::yaml::Node, go_type: &GoType, lines: &mut Vec<String>) {
    use crate::yaml::NodeKind;
    let NodeKind::Mapping(entries) = &node.kind else {
        return;
    };
    for (key, value) in entries {
        let NodeKind::Scalar { value: name, .. } = &key.kind else {
            continue;
        };
        let mut known = go_type.fields.iter().chain(go_type.extensions);
        match known.find(|(field, _)| field == name) {
            None => lines.push(format!(
                "  line {}: field {name} not found in type {}",
                key.pos.line, go_type.name
            )),
            Some((_, Some(element))) => {
                if let NodeKind::Sequence(items) = &value.kind {
                    for item in items {
                        walk_2_42(item, element, lines);
                    }
                }
            }
            Some((_, None)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_timestamps() {
        assert_eq!(parse_start_timestamp("0"), Some(0));
        assert_eq!(parse_start_timestamp("1.5"), Some(1500));
        assert_eq!(parse_start_timestamp("1970-01-01T00:01:00Z"), Some(60_000));
        assert_eq!(
            parse_start_timestamp("2024-02-29T12:00:00.25+01:00"),
            Some(1_709_204_400_250)
        );
        assert_eq!(parse_start_timestamp("yesterday"), None);
        assert_eq!(parse_start_timestamp("2024-13-01T00:00:00Z"), None);
    }

    #[test]
    fn keys_newer_than_2_42_are_unknown_to_it() {
        let text = "fuzzy_compare: true\ntests:\n  - start_timestamp: 0\n    promql_expr_test:\n      - expr: m\n        exp_samples:\n          - labels: m\n            histogram: '{{}}'\n";
        assert_eq!(
            unknown_fields_2_42(text).unwrap(),
            "yaml: unmarshal errors:\n  line 1: field fuzzy_compare not found in type main.unitTestFile\n  line 3: field start_timestamp not found in type main.testGroup\n  line 8: field histogram not found in type main.sample"
        );
        assert_eq!(
            unknown_fields_2_42("tests: [{interval: 1m, external_url: x}]\n"),
            None
        );
    }
}
